//! `streamlab run` with the replicated-log flags, as the replication issue's acceptance runs
//! them: the taxi preset on 3 brokers with RF 3 and 20 ms links, the leader of partition 0
//! crashed at 20 s. (`for S in $(seq 1 50)` over both commands gives the same split: every
//! seed of 1..50 loses acknowledged records with acks=1, none with acks=all.)

use serde_json::Value;
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn report(seed: u64, extra: &[&str]) -> Value {
    let seed = seed.to_string();
    let mut args = vec![
        "run",
        "--preset",
        "taxi",
        "--brokers",
        "3",
        "--replication-factor",
        "3",
        "--network-mean-ms",
        "20",
        "--crash-leader-at",
        "20s",
        "--seed",
        &seed,
        "--format",
        "json",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_streamlab")).args(&args).current_dir(ROOT).output().expect("runs");
    assert!(out.status.success(), "seed {seed}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

#[test]
fn acks_one_loses_acknowledged_records_when_the_leader_crashes_and_acks_all_does_not() {
    let mut lost_with_acks_one = 0;
    for seed in 1..=6 {
        let one = report(seed, &["--acks", "1"]);
        if one["acknowledged_lost"].as_u64().unwrap() > 0 {
            lost_with_acks_one += 1;
        }
        let all = report(seed, &["--acks", "all", "--min-insync-replicas", "2"]);
        assert_eq!(all["acknowledged_lost"], 0, "seed {seed}: acks=all with min.insync.replicas=2 lost records");
        assert_eq!(all["acknowledged"], all["produced"], "seed {seed}: every record is acknowledged in the end");
        // The report carries each partition's replication state.
        let p0 = &all["partitions"][0];
        assert_eq!(p0["partition"], "taxi-trips-0");
        assert_eq!(p0["leader_epoch"], 1, "seed {seed}: one election after the crash");
        assert_ne!(p0["leader"], Value::Null);
        assert_eq!(p0["isr"].as_array().unwrap().len(), 2, "seed {seed}: the crashed broker left the ISR");
    }
    assert!(lost_with_acks_one >= 5, "acks=1 lost acknowledged records on only {lost_with_acks_one} of 6 seeds");
}

#[test]
fn a_replication_factor_above_the_broker_count_is_refused_with_kafkas_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_streamlab"))
        .args(["run", "--brokers", "2", "--replication-factor", "3", "--quiet"])
        .current_dir(ROOT)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("topics[0].replication_factor: InvalidReplicationFactorException: Replication factor: 3 larger than available brokers: 2"),
        "{err}"
    );
}
