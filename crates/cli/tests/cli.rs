//! The `streamlab` binary as a user runs it: the JSON report's shape, determinism across runs,
//! the trace of a crash, and the errors for a bad duration and bad rows.

mod common;
use common::streamlab;

fn json(args: &[&str]) -> serde_json::Value {
    let (ok, out, err) = streamlab(args);
    assert!(ok, "streamlab {args:?} failed: {err}");
    serde_json::from_str(&out).expect("one JSON object")
}

#[test]
fn taxi_json_report_has_the_documented_fields_and_is_deterministic() {
    let a = json(&["run", "--preset", "taxi", "--format", "json", "--seed", "9"]);
    let b = json(&["run", "--preset", "taxi", "--format", "json", "--seed", "9"]);
    let c = json(&["run", "--preset", "taxi", "--format", "json", "--seed", "10"]);
    let hash = a["trace_hash"].as_str().unwrap();
    assert_eq!(hash.len(), 16);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(a["trace_hash"], b["trace_hash"], "same command, same hash");
    assert_ne!(a["trace_hash"], c["trace_hash"], "another seed, another hash");
    assert_eq!(a["produced"], 5882);
    assert_eq!(a["acknowledged"], 5882);
    let g = &a["groups"][0];
    for field in ["processed_once", "duplicated", "lost", "generation", "rebalances"] {
        assert!(g[field].is_u64(), "groups[0].{field}");
    }
    let w = &a["windows"][0];
    assert!(w["key"].is_string() && w["start_ms"].is_u64() && w["end_ms"].is_u64() && w["count"].is_u64());
    assert!(w["fare_amount_avg"].is_f64() && w["trip_duration_s_avg"].is_f64());
    assert!(a["late"].is_u64());
    assert_eq!(a["dead_letters"], serde_json::json!([]));
}

#[test]
fn bids_crash_under_commit_after_processing_shows_duplicates() {
    // At 25 s the busy consumer is part-way through a batch: 28 of its records are processed,
    // not committed, and read again by the next owner. (At 20 s it has processed none of its
    // 2-record batch, so nothing is duplicated.)
    let r = json(&["run", "--preset", "bids", "--commit", "after", "--crash-consumer-at", "25s", "--format", "json"]);
    let g = &r["groups"][0];
    assert!(g["duplicated"].as_u64().unwrap() > 0, "{g}");
    assert_eq!(g["lost"], 0);
    let w = &r["windows"][0];
    assert!(w["bid_max"].is_f64() && w["bidder"].is_string());
}

#[test]
fn bad_duration_names_the_unit() {
    let (ok, _, err) = streamlab(&["run", "--preset", "taxi", "--window", "15w"]);
    assert!(!ok);
    assert!(err.contains("unknown unit \"w\" in \"15w\" (use ms, s, m, h or d)"), "{err}");
}

#[test]
fn bad_rows_in_a_data_file_become_dead_letters() {
    let taxi = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../static/data/nyc-yellow-taxi-2019-01-sample.csv"
    ))
    .unwrap();
    let mut lines: Vec<String> = taxi.lines().take(11).map(String::from).collect();
    lines[2] = "1,1/1/2019 0:59".into(); // too few columns
    let mut fields: Vec<&str> = lines[5].split(',').collect();
    fields[1] = "1/1/20x9 0:10"; // an unparsable time
    lines[5] = fields.join(",");
    lines[8] = "1,1/1/2019 0:59,1/1/2019 1:18,1,2.6,1,N,239,246,1,fourteen,0.5,0.5,1,0,0.3,16.3,".into(); // an unparsable number
    let path = std::env::temp_dir().join(format!("streamlab-bad-rows-{}.csv", std::process::id()));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let r = json(&["run", "--preset", "taxi", "--data", path.to_str().unwrap(), "--format", "json"]);
    std::fs::remove_file(&path).ok();
    assert_eq!(r["produced"], 7);
    assert_eq!(r["drained"], true);
    assert_eq!(r["groups"][0]["processed_once"], 7);
    let dead: Vec<(u64, String)> = r["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["line"].as_u64().unwrap(), d["reason"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(dead.len(), 3, "{dead:?}");
    assert_eq!(dead[0], (3, "expected 18 fields, found 2".to_string()));
    assert_eq!(dead[1].0, 6);
    assert!(dead[1].1.starts_with("tpep_pickup_datetime: expected M/D/YYYY H:MM"), "{dead:?}");
    assert_eq!(dead[2], (9, "fare_amount: invalid float literal, got \"fourteen\"".to_string()));
}

#[test]
fn trace_of_a_crash_shows_the_timeout_and_the_new_generation_and_matches_run() {
    let args = ["--preset", "taxi", "--commit", "after", "--crash-consumer-at", "10s"];
    let (ok, out, err) = streamlab(&[&["trace"][..], &args].concat());
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    let at = |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle:?}"));
    let crashed = at("[Consumer clientId=consumer-g1-1, groupId=g1] process crashed");
    let expired = at("has failed, removing it from the group (session timeout 45000 ms expired)");
    let stabilized = at("Stabilized group g1 generation 2 with 2 members");
    assert!(crashed < expired && expired < stabilized);
    let hash = lines.last().unwrap().strip_prefix("trace_hash ").expect("the last line is the hash");
    let report = json(&[&["run"][..], &args, &["--format", "json"]].concat());
    assert_eq!(report["trace_hash"], hash);
}

/// `trace` streams: a run with far more events than the 10,000 the simulation keeps in memory
/// prints every one of them, then the same hash as `run`. No progress bar when stderr is not a
/// terminal.
#[test]
fn trace_streams_every_line_of_a_long_run() {
    let args = ["--scenario", "crates/engine/benches/iot-1h.json", "--duration", "20s"];
    let report = json(&[&["run", "--format", "json"][..], &args[..]].concat());
    let events = report["trace_events"].as_u64().unwrap();
    assert!(events > 20_000, "{events} events");
    let (ok, out, err) = streamlab(&[&["trace", "--debug"][..], &args[..]].concat());
    assert!(ok, "{err}");
    assert!(err.is_empty(), "nothing on stderr when it is not a terminal: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len() as u64, events + 1, "every event, then the hash");
    assert!(lines[0].contains("[KafkaServer id=0] started"), "{}", lines[0]);
    assert!(lines.iter().any(|l| l.contains("Appended") && l.contains("from producer-1")));
    assert!(lines.iter().any(|l| l.contains("poll() returned")));
    assert_eq!(lines.last().unwrap(), &format!("trace_hash {}", report["trace_hash"].as_str().unwrap()));
}
