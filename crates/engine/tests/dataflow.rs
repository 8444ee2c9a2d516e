//! Pipelines described in the scenario: filter and map steps, the aggregate functions over a
//! field, alerts, and the sink table's output modes. Results are checked against the test's own
//! fold of the IoT readings (`workload::iot_reading`, the values the records carry).

use std::collections::BTreeMap;
use streamlab_engine::report::WindowReport;
use streamlab_engine::scenario::{AggregateSpec, OutputMode, SinkSpec, StepSpec, WindowSpec, WorkloadSpec};
use streamlab_engine::streams::{AggregateFunction, CmpOp};
use streamlab_engine::workload::iot_reading;
use streamlab_engine::{Preset, Report, Scenario, SimTime, Simulation};

const DEVICES: u64 = 6;
const RECORDS: u64 = 600;

/// Six sensors, a reading a second each, 600 readings in time order, 3 partitions, 2 members,
/// 10 s tumbling windows without grace: no record is late.
fn scenario() -> Scenario {
    let mut s = Scenario::iot_default(3, 3, 2);
    s.run_ms = 300_000;
    s.producers[0].workload = WorkloadSpec::iot(DEVICES as u32, 1000, Some(RECORDS));
    s.consumer_groups[0].windows = Some(WindowSpec::tumbling(10_000, 0));
    s
}

fn aggregate(function: AggregateFunction, field: &str) -> Option<AggregateSpec> {
    Some(AggregateSpec { function, field: Some(field.into()), n: None, alert_above: None })
}

fn run(s: Scenario) -> Report {
    let mut sim = Simulation::new(s).expect("valid");
    assert!(sim.run_to_drain(SimTime(300_000)), "drains");
    sim.report()
}

/// Reading `k`: its key, event time (ms), temperature and humidity.
fn reading(k: u64) -> (String, u64, f64, f64) {
    let ts = k * 1000 / DEVICES;
    let (t, h) = iot_reading(k, DEVICES, 1000);
    (format!("sensor-{:02}", k % DEVICES), ts, t, h)
}

/// The windows' rows by (key, start): count and value.
fn by_window(r: &Report) -> BTreeMap<(String, u64), &WindowReport> {
    r.windows.iter().map(|w| ((w.key.clone(), w.start_ms), w)).collect()
}

#[test]
fn a_map_and_a_filter_drop_exactly_the_records_the_predicate_rejects() {
    let mut s = scenario();
    let g = &mut s.consumer_groups[0];
    g.steps = vec![
        StepSpec::Map { field: "temperature_c".into(), multiply: 1.8, add: 32.0, name: "temperature_f".into() },
        StepSpec::Filter { field: "temperature_f".into(), op: CmpOp::Gt, value: 72.0 },
    ];
    g.aggregate = aggregate(AggregateFunction::Avg, "temperature_f");
    let r = run(s);
    let mut expected: BTreeMap<(String, u64), Vec<f64>> = BTreeMap::new();
    let mut dropped = 0;
    for k in 0..RECORDS {
        let (key, ts, t, _) = reading(k);
        let f = t * 1.8 + 32.0;
        if f > 72.0 {
            expected.entry((key, ts / 10_000 * 10_000)).or_default().push(f);
        } else {
            dropped += 1;
        }
    }
    assert!(dropped > 50 && dropped < 550, "the threshold splits the readings: {dropped} dropped");
    let p = r.pipeline.as_ref().expect("a windowed group");
    assert_eq!((p.filtered, r.late), (dropped, 0));
    let got = by_window(&r);
    assert_eq!(got.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (at, values) in &expected {
        let w = got[at];
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert_eq!(w.count, values.len() as u64, "{at:?}");
        assert!((w.value.expect("a value") - mean).abs() < 1e-9, "{at:?}: {:?} vs {mean}", w.value);
    }
}

#[test]
fn each_aggregate_function_equals_the_tests_own_fold() {
    let mut records: BTreeMap<(String, u64), Vec<(u64, f64)>> = BTreeMap::new();
    for k in 0..RECORDS {
        let (key, ts, _, h) = reading(k);
        records.entry((key, ts / 10_000 * 10_000)).or_default().push((ts, h));
    }
    for function in AggregateFunction::ALL {
        let mut s = scenario();
        s.consumer_groups[0].aggregate = match function {
            AggregateFunction::Count => Some(AggregateSpec { function, field: None, n: None, alert_above: None }),
            AggregateFunction::TopN => {
                Some(AggregateSpec { n: Some(2), ..aggregate(function, "humidity_pct").unwrap() })
            }
            _ => aggregate(function, "humidity_pct"),
        };
        let r = run(s);
        let got = by_window(&r);
        assert_eq!(got.len(), records.len(), "{}", function.name());
        for (at, recs) in &records {
            let values: Vec<f64> = recs.iter().map(|r| r.1).collect();
            let mut sorted = values.clone();
            sorted.sort_by(|a, b| b.total_cmp(a));
            let expected = match function {
                AggregateFunction::Count => values.len() as f64,
                AggregateFunction::Sum => values.iter().sum(),
                AggregateFunction::Min => sorted[sorted.len() - 1],
                AggregateFunction::Max | AggregateFunction::TopN => sorted[0],
                AggregateFunction::Avg => values.iter().sum::<f64>() / values.len() as f64,
                AggregateFunction::First => recs.iter().min_by_key(|r| r.0).unwrap().1,
                AggregateFunction::Last => recs.iter().max_by_key(|r| r.0).unwrap().1,
            };
            let w = got[at];
            assert!(
                (w.value.unwrap() - expected).abs() < 1e-9,
                "{} {at:?}: {:?} vs {expected}",
                function.name(),
                w.value
            );
            if function == AggregateFunction::TopN {
                assert_eq!(w.top, sorted[..2.min(sorted.len())], "{at:?}");
            }
        }
    }
}

#[test]
fn the_output_mode_changes_what_the_sink_writes_not_what_is_computed() {
    let mut reports = vec![];
    for mode in [OutputMode::Append, OutputMode::Update, OutputMode::Complete] {
        let mut s = scenario();
        s.consumer_groups[0].aggregate = aggregate(AggregateFunction::Max, "temperature_c");
        s.consumer_groups[0].sink = Some(SinkSpec { output_mode: mode });
        reports.push(run(s));
    }
    let [append, update, complete] = &reports[..] else { unreachable!() };
    for r in [update, complete] {
        assert_eq!(r.trace_hash, append.trace_hash);
        assert_eq!(
            r.windows.iter().map(|w| (w.count, w.value)).collect::<Vec<_>>(),
            append.windows.iter().map(|w| (w.count, w.value)).collect::<Vec<_>>()
        );
    }
    let (a, u, c) =
        (append.pipeline.as_ref().unwrap(), update.pipeline.as_ref().unwrap(), complete.pipeline.as_ref().unwrap());
    // Append: each closed window once; the open ones (each key's last) not at all.
    assert_eq!((a.sink_rows, a.sink_writes, a.sink_open_rows), (append.windows_closed, append.windows_closed, 0));
    assert_eq!(append.window_count - append.windows_closed, DEVICES);
    // Update: every window, written once per trigger that changed it: at least once, at most
    // once per record.
    assert_eq!((u.sink_rows, u.sink_open_rows), (update.window_count, DEVICES));
    assert!(u.sink_writes >= update.window_count && u.sink_writes <= RECORDS, "{}", u.sink_writes);
    assert!(u.sink_writes > update.window_count, "some window changed in two triggers");
    // Complete: the whole table at every trigger.
    assert_eq!(c.sink_rows, complete.window_count);
    assert!(c.sink_writes > u.sink_writes * 5, "{} vs {}", c.sink_writes, u.sink_writes);
    assert_eq!(a.triggers, c.triggers);
}

#[test]
fn the_iot_preset_alerts_when_a_moving_average_rises_above_25_degrees() {
    let mut sim = Simulation::new(Scenario::preset(Preset::Iot, 42, 6, 3)).expect("valid");
    sim.run_until(SimTime(60_000));
    let r = sim.report();
    let p = r.pipeline.as_ref().expect("a pipeline");
    assert_eq!(
        (p.aggregate.as_str(), p.alert_above, p.output_mode.as_deref()),
        ("avg(temperature_c)", Some(25.0), Some("update"))
    );
    assert!(p.alerts > 0);
    let view = sim.snapshot().pipeline.expect("the pipeline view");
    let kinds: Vec<&str> = view.steps.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, ["source", "parse", "key", "window", "aggregate", "emit", "sink"]);
    assert_eq!(view.steps[3].title, "sliding 10 s, grace 2 s");
    for a in &view.alerts {
        // The moving average at the record: its left window [t − 10 s, t] ([0, 10 s] near
        // the epoch).
        let left = (a.start_ms, a.end_ms) == (a.timestamp_ms.saturating_sub(10_000), a.timestamp_ms)
            || (a.start_ms, a.end_ms) == (0, 10_000) && a.timestamp_ms <= 10_000;
        assert!(a.value > 25.0 && left, "{a:?}");
    }
}

/// A change to the scenario, the error's path and its message.
type Case = (Box<dyn Fn(&mut Scenario)>, &'static str, &'static str);

#[test]
fn a_bad_pipeline_is_refused_with_the_field_the_allowed_values_and_the_value() {
    let cases: Vec<Case> = vec![
        (
            Box::new(|s| s.consumer_groups[0].aggregate = aggregate(AggregateFunction::Avg, "fare_amount")),
            "consumer_groups[0].aggregate.field",
            "must be one of temperature_c, humidity_pct (the iot workload's fields), got \"fare_amount\"",
        ),
        (
            Box::new(|s| s.consumer_groups[0].aggregate = aggregate(AggregateFunction::Count, "temperature_c")),
            "consumer_groups[0].aggregate.field",
            "does not apply to count, which reads no field",
        ),
        (
            Box::new(|s| {
                s.consumer_groups[0].aggregate =
                    Some(AggregateSpec { n: Some(9), ..aggregate(AggregateFunction::TopN, "temperature_c").unwrap() })
            }),
            "consumer_groups[0].aggregate.n",
            "must be between 1 and 3, got 9",
        ),
        (
            Box::new(|s| {
                s.consumer_groups[0].aggregate = Some(AggregateSpec {
                    alert_above: Some(3.0),
                    ..aggregate(AggregateFunction::TopN, "temperature_c").unwrap()
                })
            }),
            "consumer_groups[0].aggregate.alert_above",
            "does not apply to top_n, which has several values",
        ),
        (
            Box::new(|s| {
                s.consumer_groups[0].steps = vec![StepSpec::Map {
                    field: "humidity_pct".into(),
                    multiply: 1.0,
                    add: 0.0,
                    name: "temperature_c".into(),
                }]
            }),
            "consumer_groups[0].steps[0].map.as",
            "must be a new field, but \"temperature_c\" exists",
        ),
        (
            Box::new(|s| {
                s.consumer_groups[0].windows = None;
                s.consumer_groups[0].sink = Some(SinkSpec::default());
            }),
            "consumer_groups[0].sink",
            "needs windows (the steps feed the windows, the sink takes their results), got none",
        ),
    ];
    for (change, path, message) in cases {
        let mut s = scenario();
        change(&mut s);
        let e = s.validate().expect_err(path);
        assert_eq!((e.path.as_str(), e.message.as_str()), (path, message));
    }
    let json = r#"{"filter": {"field": "temperature_c", "op": "=>", "value": 3}}"#;
    let e = serde_json::from_str::<StepSpec>(json).expect_err("no such operator").to_string();
    assert!(e.contains("unknown variant `=>`"), "{e}");
}
