//! `streamlab run` with a pipeline's flags: `--filter`, `--aggregate`, `--alert-above` and
//! `--output-mode`, checked against the test's own reading of the taxi CSV, and their errors.

mod common;
use common::streamlab;

/// Each trip's `fare_amount`, from the CSV.
fn fares() -> Vec<f64> {
    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../static/data/nyc-yellow-taxi-2019-01-sample.csv"
    ))
    .expect("the taxi CSV");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let at = header.iter().position(|h| *h == "fare_amount").expect("fare_amount");
    lines.map(|l| l.split(',').nth(at).expect("a fare").parse().expect("a number")).collect()
}

#[test]
fn a_filter_drops_the_trips_the_csv_says_and_append_mode_writes_each_closed_window_once() {
    let args = [
        "run",
        "--preset",
        "taxi",
        "--format",
        "json",
        "--filter",
        "fare_amount > 20",
        "--aggregate",
        "max:fare_amount",
        "--output-mode",
        "append",
    ];
    let (ok, out, err) = streamlab(&args);
    assert!(ok, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let cheap = fares().iter().filter(|&&f| f <= 20.0).count() as u64;
    assert_eq!(cheap, 5113);
    let p = &r["pipeline"];
    assert_eq!(p["filtered"], cheap);
    assert_eq!(p["aggregate"], "max(fare_amount)");
    assert_eq!(p["output_mode"], "append");
    // Append: the closed windows, each written once; none of them can change.
    assert_eq!(p["sink_rows"], r["windows_closed"]);
    assert_eq!(p["sink_writes"], r["windows_closed"]);
    assert_eq!(p["sink_open_rows"], 0);
    // Every window's maximum is above the filter's threshold.
    let windows = r["windows"].as_array().expect("windows");
    assert!(!windows.is_empty());
    assert!(windows.iter().all(|w| w["value"].as_f64().expect("a value") > 20.0));

    let (ok, text, err) = streamlab(&[
        "run",
        "--preset",
        "iot",
        "--aggregate",
        "avg:temperature_c",
        "--alert-above",
        "24",
        "--output-mode",
        "complete",
    ]);
    assert!(ok, "{err}");
    assert!(
        text.contains("pipeline: avg(temperature_c); ") && text.contains(" alerts above 24; sink (complete mode): "),
        "{text}"
    );
}

#[test]
fn bad_pipeline_flags_name_the_flag_the_allowed_values_and_the_value() {
    let cases = [
        (vec!["--filter", "fare_amount 20"], "--filter: must be \"FIELD OP VALUE\" (e.g. \"fare_amount > 0\"), got \"fare_amount 20\""),
        (vec!["--filter", "fare_amount => 20"], "--filter: the operator must be <, <=, >, >=, == or !=, got \"=>\""),
        (vec!["--filter", "tip > 2"], "consumer_groups[0].steps[0].filter.field: must be one of fare_amount, trip_duration_s (the taxi workload's fields), got \"tip\""),
        (vec!["--aggregate", "median:fare_amount"], "--aggregate: must be count, sum, min, max, avg, first, last or top_n, got \"median\""),
        (vec!["--aggregate", "top_n", "--alert-above", "3"], "--alert-above: consumer_groups[0].aggregate.alert_above: does not apply to top_n, which has several values"),
    ];
    for (flags, message) in cases {
        let mut args = vec!["run", "--preset", "taxi", "--quiet"];
        args.extend(flags.iter().copied());
        let (ok, _, err) = streamlab(&args);
        assert!(!ok, "{flags:?} was taken");
        assert!(err.contains(message), "{flags:?}: {err}");
    }
}
