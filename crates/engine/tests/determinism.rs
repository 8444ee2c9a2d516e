//! Same scenario and seed → same trace hash; another seed → another; and the hash equals the
//! golden value in `golden/iot_trace_hash.txt`, which this test checks both natively and in wasm
//! (wasm-bindgen-test in headless Chromium), so both platforms compute the same bits.

use streamlab_engine::{Scenario, SimTime, Simulation};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The golden scenario: the IoT preset with seed 7, run for 45 s with a consumer crash at 20 s.
fn golden_hash() -> String {
    let mut sim = Simulation::new(Scenario::iot_default(7, 6, 3)).expect("valid");
    sim.run_until(SimTime(20_000));
    sim.apply(streamlab_engine::Command::CrashConsumer { client_id: "consumer-g1-2".into() }).expect("running");
    sim.run_until(SimTime(45_000));
    format!("{:016x}", sim.trace_hash())
}

fn hash_of(seed: u64) -> u64 {
    let mut s = Scenario::iot_default(seed, 4, 2);
    s.run_ms = 30_000;
    let mut sim = Simulation::new(s).expect("valid");
    sim.run();
    sim.trace_hash()
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn same_seed_same_hash_other_seed_other_hash() {
    assert_eq!(hash_of(1), hash_of(1));
    assert_ne!(hash_of(1), hash_of(2));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn trace_hash_matches_golden_value() {
    let golden = include_str!("golden/iot_trace_hash.txt").trim();
    assert_eq!(golden_hash(), golden, "the trace changed: if on purpose, update tests/golden/iot_trace_hash.txt");
}
