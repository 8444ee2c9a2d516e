#![cfg(not(target_arch = "wasm32"))]
//! The soak harness on a few seeds (`cargo xtask test` runs 1,000 more in release through
//! `streamlab soak`): the durable cluster keeps every invariant, the negative controls lose
//! acknowledged records on some seeds, and a deliberately broken engine is caught.

use streamlab_engine::soak::{random_scenario_with, run_seed, Durability, SoakOptions};

fn options(durability: Durability) -> SoakOptions {
    SoakOptions { durability, ..SoakOptions::default() }
}

#[test]
fn durable_seeds_keep_every_invariant() {
    for seed in 0..6 {
        let run = run_seed(seed, options(Durability::Durable)).unwrap_or_else(|v| panic!("{v}"));
        assert_eq!(run.acknowledged_lost, 0, "seed {seed}");
    }
}

#[test]
fn acks_one_with_leader_crashes_loses_acknowledged_records_on_some_seeds() {
    let lost = (0..12)
        .map(|seed| run_seed(seed, options(Durability::AcksOne)).unwrap_or_else(|v| panic!("{v}")))
        .any(|r| r.acknowledged_lost > 0);
    assert!(lost, "no seed of 0..12 lost an acknowledged record with acks=1");
}

#[test]
fn unclean_election_loses_acknowledged_records_on_some_seeds() {
    let lost = (0..30)
        .map(|seed| run_seed(seed, options(Durability::Unclean)).unwrap_or_else(|v| panic!("{v}")))
        .any(|r| r.acknowledged_lost > 0);
    assert!(lost, "no seed of 0..30 lost an acknowledged record with unclean elections");
}

#[test]
fn a_broken_engine_is_caught() {
    let broken = SoakOptions { break_high_watermark: true, ..options(Durability::Durable) };
    let caught = (0..20).find_map(|seed| run_seed(seed, broken).err());
    let v = caught.expect("leaders that ignore their followers for the HW break an invariant within 20 seeds");
    assert!(!v.excerpt.is_empty(), "the violation shows the trace before it");
    assert!(v.scenario_json.contains("\"faults\""), "the violation carries its scenario");
}

/// The producer side of the soak (dropped and duplicated produce requests and responses, short
/// request timeouts, beside the broker crashes): without idempotence and with 5 requests in
/// flight, retries leave duplicates in the logs and records out of send order on some seeds;
/// with it, the invariant `idempotent_producer_writes_once_in_order` holds after every event,
/// no log holds a duplicate, and no key's records are processed out of send order (except on
/// seeds that add partitions: a key then moves to another partition, which Kafka does not order
/// against the first).
#[test]
fn retries_duplicate_and_reorder_only_without_idempotence() {
    let off = SoakOptions { idempotence: Some(false), ..options(Durability::Durable) };
    let runs: Vec<_> = (0..40).map(|seed| run_seed(seed, off).unwrap_or_else(|v| panic!("{v}"))).collect();
    assert!(runs.iter().any(|r| r.log_duplicates > 0), "no seed of 0..40 duplicated a record");
    assert!(runs.iter().any(|r| r.reordered > 0), "no seed of 0..40 reordered a record");
    let on = SoakOptions { idempotence: Some(true), ..options(Durability::Durable) };
    for seed in 0..40 {
        let r = run_seed(seed, on).unwrap_or_else(|v| panic!("{v}"));
        assert_eq!(r.log_duplicates, 0, "seed {seed}");
        let grows = random_scenario_with(seed, on)
            .faults
            .iter()
            .any(|f| matches!(f.command, streamlab_engine::Command::CreatePartitions { .. }));
        if !grows {
            assert_eq!(r.reordered, 0, "seed {seed}");
        }
    }
}
