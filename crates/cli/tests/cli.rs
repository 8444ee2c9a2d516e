//! The `streamlab` binary as a user runs it: the JSON report's shape, determinism across runs,
//! and the error for a bad duration.

use std::process::Command;

fn streamlab(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_streamlab"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

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
    let r = json(&["run", "--preset", "bids", "--commit", "after", "--crash-consumer-at", "20s", "--format", "json"]);
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
