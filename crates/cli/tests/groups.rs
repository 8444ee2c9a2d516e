//! `streamlab run` with the consumer-group flags: a member paused past `max.poll.interval.ms`,
//! static membership across a restart, eager against cooperative rebalancing, a second group,
//! `auto.offset.reset=none`, and the errors of bad flag values.

use serde_json::Value;
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn streamlab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_streamlab")).args(args).current_dir(ROOT).output().expect("runs")
}

/// The JSON report of `run --preset iot` (6 partitions, 3 consumers, 60 s) with `extra` flags.
fn iot(extra: &[&str]) -> Value {
    let mut args = vec!["run", "--preset", "iot", "--format", "json", "--quiet"];
    args.extend_from_slice(extra);
    let out = streamlab(&args);
    assert!(out.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

fn triggers(group: &Value) -> Vec<&str> {
    group["timeline"].as_array().unwrap().iter().map(|r| r["trigger"].as_str().unwrap()).collect()
}

#[test]
fn a_member_paused_past_max_poll_interval_leaves_and_its_commit_fails() {
    let r = iot(&["--max-poll-interval-ms", "10000", "--pause-consumer", "consumer-g1-2@20s:15s"]);
    let g = &r["groups"][0];
    assert_eq!(triggers(g), ["member_joined", "poll_timeout", "member_joined"]);
    let timed_out = &g["timeline"][1];
    // Its last poll was just before 20 s; the heartbeat thread notices 10 s later.
    assert!((30_000..30_100).contains(&timed_out["started_ms"].as_u64().unwrap()), "{timed_out}");
    let mut moved: Vec<&str> = timed_out["moved"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    moved.sort_unstable();
    assert_eq!(moved, ["readings-2", "readings-3"]);
    assert_eq!(r["events"]["poll_timeout_expired"], 1);
    assert_eq!(r["events"]["commit_failed"], 1);
    assert_eq!(r["events"]["partitions_lost"], 1);
    assert!(g["duplicated"].as_u64().unwrap() > 0, "another member read its records again");
    assert_eq!(g["lost"], 0);
}

#[test]
fn a_static_member_restarted_within_the_session_timeout_causes_no_rebalance() {
    let crash = ["--crash", "consumer-g1-2@20s", "--restart-consumer", "consumer-g1-2@25s"];
    let dynamic = iot(&crash);
    // Dynamic: the restarted process joins with a new member id, and the rebalance waits for
    // the old one until its session times out.
    assert_eq!(triggers(&dynamic["groups"][0]), ["member_joined", "member_joined"]);
    let mut args = crash.to_vec();
    args.push("--static-membership");
    let stat = iot(&args);
    assert_eq!(triggers(&stat["groups"][0]), ["member_joined"]);
    assert_eq!(stat["groups"][0]["generation"], 1);
    assert_eq!(stat["events"]["static_member_replaced"], 1, "the coordinator swapped the member id in Stable");
}

#[test]
fn cooperative_sticky_revokes_nothing_when_a_member_crashes_and_range_revokes_all() {
    let revoked = |assignor: &str| {
        let r = iot(&["--assignor", assignor, "--crash", "consumer-g1-3@20s"]);
        let tl = r["groups"][0]["timeline"].as_array().unwrap().clone();
        assert_eq!(tl[1]["trigger"], "session_timeout", "{assignor}");
        tl[1]["revoked"].as_u64().unwrap()
    };
    assert_eq!(revoked("range"), 4, "eager: the two survivors revoke their 4 partitions");
    assert_eq!(revoked("cooperative-sticky"), 0, "cooperative: survivors keep theirs");
}

#[test]
fn a_second_group_reads_every_record_too() {
    let r = iot(&["--second-group", "2"]);
    let groups = r["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[1]["group_id"], "g2");
    assert_eq!(groups[1]["members"], 2);
    for g in groups {
        assert_eq!(g["processed_once"], groups[0]["processed_once"], "{}", g["group_id"]);
        assert_eq!(g["lost"], 0);
    }
}

#[test]
fn auto_offset_reset_none_stops_consumers_without_committed_offsets() {
    let r = iot(&["--auto-offset-reset", "none"]);
    assert_eq!(r["groups"][0]["processed"], 0);
    assert!(r["events"]["no_offset_for_partition"].as_u64().unwrap() > 0);
}

#[test]
fn bad_group_flags_are_refused_with_the_value() {
    for (args, expected) in [
        (
            vec!["--pause-consumer", "consumer-g1-1@20s"],
            "expected CLIENT_ID@TIME:DURATION, e.g. consumer-g1-2@20s:40s, got \"consumer-g1-1@20s\"",
        ),
        (
            vec!["--pause-consumer", "consumer-g1-1@20s:0s"],
            "faults[0].command.duration_ms: must be between 1 and 3600000, got 0",
        ),
        (vec!["--pause-consumer", "nobody@20s:5s"], "got \"nobody\""),
        (vec!["--second-group", "99"], "--second-group: consumer_groups[1].members: must be between 0 and 64, got 99"),
        (vec!["--assignor", "fastest"], "possible values: range, roundrobin, sticky, cooperative-sticky"),
    ] {
        let mut all = vec!["run", "--preset", "iot", "--quiet"];
        all.extend_from_slice(&args);
        let out = streamlab(&all);
        assert!(!out.status.success(), "{args:?} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn partitions_added_at_run_time_rebalance_the_group_at_its_next_metadata_refresh() {
    let r = iot(&["--create-partitions", "readings:8@20s", "--metadata-max-age-ms", "10000"]);
    let g = &r["groups"][0];
    assert_eq!(triggers(g), ["member_joined", "partitions_added"]);
    assert!((20_000..=30_100).contains(&g["timeline"][1]["started_ms"].as_u64().unwrap()));
    assert_eq!(r["partitions"].as_array().unwrap().len(), 8);
    assert_eq!(r["events"]["partitions_created"], 1);
    let bad = streamlab(&["run", "--preset", "iot", "--quiet", "--create-partitions", "readings:3@20s"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("faults[0].command.count: must be more than the topic's 6 partitions and at most 1024, got 3"),
        "{err}"
    );
}

#[test]
fn a_seek_to_the_beginning_processes_records_again_and_one_to_the_end_skips() {
    let back = iot(&["--seek", "consumer-g1-1@20s:beginning"]);
    assert!(back["groups"][0]["duplicated"].as_u64().unwrap() > 0);
    assert_eq!(back["events"]["seeking"], 1);
    let forward = iot(&["--seek", "consumer-g1-1@20s:end", "--pause-consumer", "consumer-g1-1@10s:9s"]);
    assert!(forward["groups"][0]["skipped"].as_u64().unwrap() > 0, "{}", forward["groups"][0]);
    assert_eq!(forward["groups"][0]["lost"], 0);
    let bad = streamlab(&["run", "--preset", "iot", "--quiet", "--seek", "consumer-g1-1@20s:middle"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("expected CLIENT_ID@TIME:TARGET (beginning, end, offset=N or timestamp=MS)"));
}

#[test]
fn manually_assigned_members_do_not_rebalance_when_one_crashes() {
    let r = iot(&["--assign", "--crash", "consumer-g1-3@20s"]);
    let g = &r["groups"][0];
    assert_eq!(g["rebalances"], 0);
    assert_eq!(g["state"], "Empty");
    assert!(g["lag"].as_u64().unwrap() > 0, "the crashed member's partitions wait for it");
    assert_eq!(r["events"]["manually_assigned"], 3);
}
