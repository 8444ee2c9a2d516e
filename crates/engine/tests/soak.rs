#![cfg(not(target_arch = "wasm32"))]
//! The soak harness on a few seeds (`cargo xtask test` runs 1,000 more in release through
//! `streamlab soak`): the durable cluster keeps every invariant, the negative controls lose
//! acknowledged records on some seeds, and a deliberately broken engine is caught.

use streamlab_engine::soak::{run_seed, Durability, SoakOptions};

fn options(durability: Durability) -> SoakOptions {
    SoakOptions { durability, break_high_watermark: false }
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
    let broken = SoakOptions { durability: Durability::Durable, break_high_watermark: true };
    let caught = (0..20).find_map(|seed| run_seed(seed, broken).err());
    let v = caught.expect("leaders that ignore their followers for the HW break an invariant within 20 seeds");
    assert!(!v.excerpt.is_empty(), "the violation shows the trace before it");
    assert!(v.scenario_json.contains("\"faults\""), "the violation carries its scenario");
}
