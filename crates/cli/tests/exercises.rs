//! `streamlab check` on exercises and `streamlab export`, as a teacher runs them.

mod common;
use common::streamlab;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn exercise(id: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join(format!("static/exercises/{id}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Writes `v` to a fresh file under target/ and returns its path.
fn write(name: &str, v: &Value) -> PathBuf {
    let dir = Path::new(ROOT).join("target/test-exercises");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(v).unwrap()).unwrap();
    path
}

#[test]
fn check_passes_an_exercise_and_prints_each_predicate_for_start_and_solution() {
    let (ok, out, err) = streamlab(&["check", "static/exercises/at-least-once.json"]);
    assert!(ok, "{err}");
    let row = |label: &str| {
        out.lines().find(|l| l.trim_start().starts_with(label)).unwrap_or_else(|| panic!("{out}")).to_string()
    };
    let lost = row("groups.g1.lost == 0");
    let lost: Vec<&str> = lost.split_whitespace().skip(3).collect();
    assert_eq!(lost, ["46", "(not", "met)", "0", "(met)"]);
    let goal = out.lines().rev().find(|l| l.trim_start().starts_with("goal ")).unwrap();
    assert_eq!(goal.split_whitespace().collect::<Vec<_>>(), ["goal", "not", "met", "met"], "{out}");
}

/// `streamlab check` on the at-least-once exercise with the value at JSON `pointer` replaced by
/// `value` (the field created if missing): it must fail; returns what it printed on stderr.
fn check_changed(pointer: &str, value: Value) -> String {
    let mut e = exercise("at-least-once");
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    e.pointer_mut(parent).unwrap()[key] = value;
    let path = write(&format!("{}.json", pointer.replace('/', "_")), &e);
    let (ok, out, err) = streamlab(&["check", path.to_str().unwrap()]);
    assert!(!ok, "{pointer}: {out}");
    err
}

#[test]
fn check_fails_an_exercise_whose_solution_does_not_meet_the_goal() {
    let err = check_changed("/solution/settings/commit_mode", json!("before_processing"));
    assert!(err.contains("the reference solution does not meet the goal"), "{err}");
}

#[test]
fn check_fails_an_exercise_whose_start_already_meets_the_goal() {
    let err = check_changed("/start/settings/commit_mode", json!("after_processing"));
    assert!(err.contains("the starting state already meets the goal"), "{err}");
}

#[test]
fn check_names_the_field_of_a_bad_exercise() {
    let cases = [
        ("/goal/all/0/metric", json!("groups.g1.lots"), "goal.all[0].metric: unknown metric \"groups.g1.lots\""),
        ("/goal/all/0/metric", json!("groups.g9.lost"), "goal.all[0].metric: names \"g9\", which is not in this exercise's scenario"),
        ("/goal/all/0/op", json!("=~"), "goal.all[0].op: must be one of ==, !=, <, <=, >, >=, got \"=~\""),
        ("/solution/settings/commit_mode", json!("never"), "solution.settings.commit_mode: must be one of \"auto\", \"after_processing\", \"before_processing\", got \"never\""),
        ("/id", json!("<script>"), "id: must be 1 to 64 characters of a-z, 0-9 and '-', got \"<script>\""),
    ];
    for (pointer, value, expected) in cases {
        let err = check_changed(pointer, value);
        assert!(err.contains(expected), "{pointer}: {err}");
    }
}

#[test]
fn export_writes_topic_commands_properties_and_records_in_send_order() {
    let out = Path::new(ROOT).join("target/test-export");
    let _ = std::fs::remove_dir_all(&out);
    let scenario = json!({
        "topics": [{"name": "taxi-trips", "partitions": 5, "configs": {"min.insync.replicas": 1}}],
        "producers": [{"topic": "taxi-trips", "configs": {"linger.ms": 20, "acks": "1"}, "workload": {"type": "taxi"}}],
        "consumer_groups": [{"group_id": "fares", "topics": ["taxi-trips"], "commit_mode": "after_processing",
                             "configs": {"auto.offset.reset": "earliest"}}]
    });
    let path = write("export-scenario.json", &scenario);
    let (ok, listed, err) = streamlab(&["export", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(listed.lines().count(), 5, "{listed}");
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();

    let topics = read("create-topics.sh");
    assert!(topics.contains(
        "kafka-topics.sh --bootstrap-server \"$B\" --create --topic taxi-trips --partitions 5 --replication-factor 1 --config min.insync.replicas=1\n"
    ), "{topics}");
    let producer = read("producer.properties");
    for line in ["acks=1", "linger.ms=20", "batch.size=16384", "client.id=producer-1"] {
        assert!(producer.lines().any(|l| l == line), "{line} in {producer}");
    }
    let consumer = read("consumer.properties");
    for line in ["group.id=fares", "enable.auto.commit=false", "auto.offset.reset=earliest", "session.timeout.ms=45000"]
    {
        assert!(consumer.lines().any(|l| l == line), "{line} in {consumer}");
    }

    // One `key<TAB>value` line per record the simulation sends, in the CSV's order.
    let records = read("records-taxi-trips.txt");
    let (ok, report, _) = streamlab(&["run", "--scenario", path.to_str().unwrap(), "--format", "json", "--quiet"]);
    assert!(ok);
    let produced = serde_json::from_str::<Value>(&report).unwrap()["produced"].as_u64().unwrap();
    assert_eq!(records.lines().count() as u64, produced);
    let csv = std::fs::read_to_string(Path::new(ROOT).join("static/data/nyc-yellow-taxi-2019-01-sample.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let key_column = header.iter().position(|h| *h == "PULocationID").unwrap();
    let mut rows = csv.lines().skip(1);
    for line in records.lines() {
        let (key, value) = line.split_once('\t').unwrap();
        assert!(!value.contains('\t'));
        // Rows that do not parse are skipped, as the producer skips them.
        let row = rows.by_ref().find(|r| *r == value).unwrap_or_else(|| panic!("{value} not in file order"));
        assert_eq!(row.split(',').nth(key_column), Some(key));
    }
    assert!(read("replay.sh").contains("--property parse.key=true < records-taxi-trips.txt"));
}
