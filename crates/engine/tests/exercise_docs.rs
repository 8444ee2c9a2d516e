//! docs/exercises.md lists every metric path, operator, setting and event kind a goal may use,
//! and nothing else; every listed metric resolves on a real report, and every metric a report
//! has is listed.

use streamlab_engine::exercise::{Exercise, OPERATORS};
use streamlab_engine::metrics::{pattern_of, METRICS};
use streamlab_engine::session::SETTINGS;
use streamlab_engine::{Command, Scenario, SimTime, Simulation, TraceEvent};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const DOC: &str = include_str!("../../../docs/exercises.md");

/// The first column of the table under `heading`: each row's first `code` span.
fn column(heading: &str) -> Vec<String> {
    let section = DOC.split(heading).nth(1).unwrap_or_else(|| panic!("{heading} in docs/exercises.md"));
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| l.split('`').nth(1).expect("a code span in the first column").to_string())
        .collect()
}

#[test]
fn the_doc_lists_every_metric_operator_setting_and_event_kind() {
    let patterns: Vec<&str> = METRICS.iter().map(|(p, _)| *p).collect();
    assert_eq!(column("### Metrics"), patterns);
    assert_eq!(column("### Operators"), OPERATORS);
    let settings: Vec<&str> = SETTINGS.iter().map(|(s, _)| *s).collect();
    assert_eq!(column("## Settings"), settings);
    let kinds_line = DOC.lines().find(|l| l.starts_with("`<kind>` is one of:")).expect("the kinds line");
    let kinds: Vec<&str> = kinds_line.split('`').skip(3).step_by(2).collect();
    assert_eq!(kinds, TraceEvent::KINDS);
}

#[test]
fn every_listed_metric_resolves_on_a_real_report_and_nothing_else_does() {
    let json = r#"{
        "topics": [{"name": "readings", "partitions": 3}, {"name": "alerts", "partitions": 1}],
        "producers": [{"topic": "readings", "workload": {"type": "iot", "devices": 6}}],
        "consumer_groups": [
            {"group_id": "g1", "topics": ["readings"], "members": 2, "windows": {"size_ms": 5000},
             "configs": {"auto.offset.reset": "earliest"}},
            {"group_id": "audit", "topics": ["readings", "alerts"], "members": 1, "dedupe": {"horizon_ms": 60000}}
        ]
    }"#;
    let mut sim = Simulation::new(Scenario::from_json(json).unwrap()).unwrap();
    sim.run_until(SimTime(10_000));
    sim.apply(Command::CrashConsumer { client_id: "consumer-g1-1".into() }).unwrap();
    sim.run();
    let metrics = sim.metrics();
    let mut resolved = std::collections::BTreeSet::new();
    for (path, _) in metrics.iter() {
        let (pattern, _) = pattern_of(path).unwrap_or_else(|| panic!("{path} is not in docs/exercises.md"));
        resolved.insert(pattern);
    }
    for (pattern, _) in METRICS {
        assert!(resolved.contains(pattern), "{pattern} resolves on no metric of the report");
    }
    assert_eq!(metrics.get("groups.g1.members"), Some(1.0));
    assert_eq!(metrics.get("groups.audit.members"), Some(1.0));
    assert_eq!(metrics.get("events.consumer_crashed"), Some(1.0));
    assert_eq!(metrics.get("topics.alerts.partitions_empty"), Some(1.0));
    assert_eq!(
        metrics.get("partitions.readings-2.log_end_offset"),
        metrics.get("partitions.readings-2.high_watermark")
    );
    assert_eq!(metrics.get("finished"), Some(1.0));
}

#[test]
fn every_exercise_of_the_course_parses() {
    let course =
        streamlab_engine::exercise::Course::from_json(include_bytes!("../../../static/exercises/course.json")).unwrap();
    let files: &[(&str, &[u8])] = &[
        ("keys-pick-partitions", include_bytes!("../../../static/exercises/keys-pick-partitions.json")),
        ("spread-the-zones", include_bytes!("../../../static/exercises/spread-the-zones.json")),
        ("idle-consumers", include_bytes!("../../../static/exercises/idle-consumers.json")),
        ("keep-up-with-the-stream", include_bytes!("../../../static/exercises/keep-up-with-the-stream.json")),
        ("crash-and-rebalance", include_bytes!("../../../static/exercises/crash-and-rebalance.json")),
        ("slow-consumer-poll-timeout", include_bytes!("../../../static/exercises/slow-consumer-poll-timeout.json")),
        ("static-membership", include_bytes!("../../../static/exercises/static-membership.json")),
        ("cooperative-rebalancing", include_bytes!("../../../static/exercises/cooperative-rebalancing.json")),
        ("at-most-once", include_bytes!("../../../static/exercises/at-most-once.json")),
        ("at-least-once", include_bytes!("../../../static/exercises/at-least-once.json")),
        ("auto-commit-interval", include_bytes!("../../../static/exercises/auto-commit-interval.json")),
        ("retries-and-duplicates", include_bytes!("../../../static/exercises/retries-and-duplicates.json")),
        ("zombie-fenced", include_bytes!("../../../static/exercises/zombie-fenced.json")),
        ("exactly-once-end-to-end", include_bytes!("../../../static/exercises/exactly-once-end-to-end.json")),
        ("acks-and-lost-writes", include_bytes!("../../../static/exercises/acks-and-lost-writes.json")),
        ("isr-and-min-insync-replicas", include_bytes!("../../../static/exercises/isr-and-min-insync-replicas.json")),
        ("late-taxi-trips", include_bytes!("../../../static/exercises/late-taxi-trips.json")),
        ("hopping-windows", include_bytes!("../../../static/exercises/hopping-windows.json")),
        ("watermark-idle-partition", include_bytes!("../../../static/exercises/watermark-idle-partition.json")),
        ("dead-letter-queue", include_bytes!("../../../static/exercises/dead-letter-queue.json")),
        ("state-restore", include_bytes!("../../../static/exercises/state-restore.json")),
        ("output-modes", include_bytes!("../../../static/exercises/output-modes.json")),
    ];
    let listed: Vec<&str> = course.modules.iter().flat_map(|m| m.exercises.iter().map(String::as_str)).collect();
    assert_eq!(listed, files.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    for (id, bytes) in files {
        let e = Exercise::from_json(bytes).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(course.module_of(id).map(|m| m.id.as_str()), Some(e.module.as_str()));
    }
}
