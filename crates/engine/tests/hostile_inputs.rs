//! Untrusted input: every parser (scenario, exercise, course, share link, taxi and bids CSV) given
//! random and mutated input returns a value or an error, never panics; oversized, deeply nested
//! and non-UTF-8 input is refused with a clear error; HTML in text fields stays text.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use streamlab_engine::exercise::{Course, Exercise, MAX_EXERCISE_BYTES};
use streamlab_engine::scenario::MAX_SCENARIO_BYTES;
use streamlab_engine::share::{self, SharedState, MAX_ENCODED_BYTES};
use streamlab_engine::workload::table::{parse_bids, parse_taxi};
use streamlab_engine::workload::KeyTable;
use streamlab_engine::Scenario;

const EXERCISE: &[u8] = include_bytes!("../../../static/exercises/at-least-once.json");
const COURSE: &[u8] = include_bytes!("../../../static/exercises/course.json");
const SCENARIO: &str = r#"{"seed": 1, "topics": [{"name": "t", "partitions": 2}],
  "producers": [{"topic": "t", "configs": {"acks": "1"}, "workload": {"type": "iot", "devices": 3}}],
  "consumer_groups": [{"group_id": "g", "topics": ["t"], "windows": {"size_ms": 1000}}]}"#;

fn taxi_head() -> String {
    let csv = include_str!("../../../static/data/nyc-yellow-taxi-2019-01-sample.csv");
    csv.lines().take(40).collect::<Vec<_>>().join("\n")
}

fn bids_head() -> String {
    let csv = include_str!("../../../static/data/ebay-auction-bids.csv");
    csv.lines().take(40).collect::<Vec<_>>().join("\n")
}

fn link() -> String {
    share::encode(
        &serde_json::from_str::<SharedState>(
            r#"{"setup": {"start": {"preset": "iot"}, "settings": {"partitions": 3}}, "commands":
            [{"at_ms": 1000, "command": {"type": "add_consumer", "group_id": "g1"}}], "at_ms": 2000}"#,
        )
        .unwrap(),
    )
}

/// Edits to a byte string: (position, what): 0 flips a bit, 1 deletes, 2 inserts, 3 duplicates
/// the rest from there (growth).
fn mutate(input: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut v = input.to_vec();
    for &(at, what, byte) in edits {
        if v.is_empty() {
            v.push(byte);
            continue;
        }
        let i = at % v.len();
        match what % 4 {
            0 => v[i] ^= 1 << (byte % 8),
            1 => {
                v.remove(i);
            }
            2 => v.insert(i, byte),
            _ => {
                let tail = v[i..].to_vec();
                v.extend_from_slice(&tail[..tail.len().min(64)]);
            }
        }
    }
    v
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..12)
}

/// Every parser on the same bytes: each must return, whatever it returns.
fn parse_all(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = Scenario::from_json(&text).map(|s| s.validate());
    let _ = Exercise::from_json(bytes);
    let _ = Course::from_json(bytes);
    let _ = share::decode(&text);
    let _ = parse_taxi(&text, &mut KeyTable::default());
    let _ = parse_bids(&text, &mut KeyTable::default());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        parse_all(&bytes);
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,512}") {
        parse_all(text.as_bytes());
    }

    #[test]
    fn mutated_exercises_never_panic(e in edits()) {
        let bytes = mutate(EXERCISE, &e);
        let _ = Exercise::from_json(&bytes);
        let _ = Course::from_json(&mutate(COURSE, &e));
    }

    #[test]
    fn mutated_scenarios_never_panic(e in edits()) {
        let bytes = mutate(SCENARIO.as_bytes(), &e);
        let _ = Scenario::from_json(&String::from_utf8_lossy(&bytes)).map(|s| s.validate());
    }

    #[test]
    fn mutated_share_links_never_panic(e in edits()) {
        let bytes = mutate(link().as_bytes(), &e);
        let _ = share::decode(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_csvs_never_panic(e in edits()) {
        let taxi = mutate(taxi_head().as_bytes(), &e);
        let _ = parse_taxi(&String::from_utf8_lossy(&taxi), &mut KeyTable::default());
        let bids = mutate(bids_head().as_bytes(), &e);
        let _ = parse_bids(&String::from_utf8_lossy(&bids), &mut KeyTable::default());
    }
}

#[test]
fn oversized_inputs_are_refused_with_the_cap() {
    let big = format!("{{\"title\": \"{}\"}}", "x".repeat(MAX_EXERCISE_BYTES));
    assert_eq!(
        Exercise::from_json(big.as_bytes()).unwrap_err().to_string(),
        format!("exercise: must be at most {MAX_EXERCISE_BYTES} bytes of JSON, got {} bytes", big.len())
    );
    assert!(Course::from_json(big.as_bytes()).unwrap_err().to_string().starts_with("course: must be at most"));
    let big = format!("{{\"seed\": 1, \"x\": \"{}\"}}", "x".repeat(MAX_SCENARIO_BYTES));
    assert!(Scenario::from_json(&big).unwrap_err().to_string().starts_with("scenario: must be at most 1048576 bytes"));
    let big = format!("v1.{}", "A".repeat(MAX_ENCODED_BYTES));
    assert!(share::decode(&big).unwrap_err().to_string().starts_with("share link: must be at most 65536 characters"));
}

#[test]
fn deeply_nested_inputs_are_refused() {
    let nested = format!("{{\"goal\": {}1{}}}", "{\"a\": ".repeat(20_000), "}".repeat(20_000));
    let e = Exercise::from_json(nested.as_bytes()).unwrap_err().to_string();
    assert!(e.starts_with("goal.a.a.a") && e.contains("…: recursion limit exceeded"), "{e}");
    let nested = format!("{{\"broker_configs\": {}1{}}}", "{\"a\": ".repeat(20_000), "}".repeat(20_000));
    let e = Scenario::from_json(&nested).unwrap_err().to_string();
    assert!(e.contains("recursion limit exceeded"), "{e}");
    // A goal nested within the size cap is refused by its depth limit.
    let mut v: serde_json::Value = serde_json::from_slice(EXERCISE).unwrap();
    let mut goal = serde_json::json!({"happened": "consumer_crashed"});
    for _ in 0..20 {
        goal = serde_json::json!({"not": goal});
    }
    v["goal"] = goal;
    let e = Exercise::from_json(serde_json::to_string(&v).unwrap().as_bytes()).unwrap_err().to_string();
    assert!(e.starts_with("goal.not.not.not.not.not.not.not.not.not: nests deeper than 8 levels"), "{e}");
}

#[test]
fn invalid_utf8_is_refused_by_name() {
    let mut bytes = EXERCISE.to_vec();
    bytes[20] = 0xff;
    assert_eq!(
        Exercise::from_json(&bytes).unwrap_err().to_string(),
        "exercise: must be UTF-8 text, but holds bytes that are not"
    );
    assert_eq!(
        Course::from_json(&[0xc3, 0x28]).unwrap_err().to_string(),
        "course: must be UTF-8 text, but holds bytes that are not"
    );
}

#[test]
fn html_in_text_fields_is_kept_as_text_and_refused_where_an_id_is_expected() {
    let script = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let mut v: serde_json::Value = serde_json::from_slice(EXERCISE).unwrap();
    for field in ["title", "story", "instructions", "explanation"] {
        v[field] = script.into();
    }
    v["hints"] = serde_json::json!([script]);
    v["goal"]["all"][0]["label"] = script.into();
    let e = Exercise::from_json(serde_json::to_string(&v).unwrap().as_bytes()).unwrap();
    assert_eq!((e.title.as_str(), e.story.as_str(), e.hints[0].as_str()), (script, script, script));

    v["id"] = script.into();
    let err = Exercise::from_json(serde_json::to_string(&v).unwrap().as_bytes()).unwrap_err().to_string();
    assert!(err.starts_with("id: must be 1 to 64 characters of a-z, 0-9 and '-', got \"<script>"), "{err}");

    // In a share link, an exercise id with HTML is refused; in a CSV, it is only a key's name.
    let mut state: SharedState = share::decode(&link()).unwrap();
    state.exercise = Some(script.into());
    let err = share::decode(&share::encode(&state)).unwrap_err().to_string();
    assert!(err.starts_with("share link: exercise: must be 1 to 64 characters"), "{err}");
    let csv = format!("auctionid,bid,bidtime,bidder,bidderrate,openbid,price\n{script},1,0.5,<b>x</b>,1,1,1\n");
    let mut keys = KeyTable::default();
    let table = parse_bids(&csv, &mut keys).unwrap();
    assert_eq!(keys.name(table.keys[0]), script);
}
