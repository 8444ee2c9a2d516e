//! Same scenario and seed → same trace hash; another seed → another; and the hash equals the
//! golden values in `golden/iot_trace_hash.txt` and `golden/replicated_trace_hash.txt` (a
//! replicated cluster with broker faults), which this test checks both natively and in wasm
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

/// The replicated golden scenario: 3 brokers, RF 3, `acks=1`, the leader of `readings-0`
/// crashed at 10 s, powered-off broker 2 at 25 s, both restarted, a slow link and an isolation:
/// elections, truncations, coordinator failover and acknowledged losses, the same bits natively
/// and in wasm.
fn replicated_golden_hash() -> String {
    use streamlab_engine::command::TimedCommand;
    use streamlab_engine::Command;
    let mut s = Scenario::iot_default(11, 3, 2);
    s.brokers = 3;
    s.topics[0].replication_factor = 3;
    s.producers[0].configs.insert("acks".into(), "1".into());
    s.network.mean_ms = 15;
    let at = |at_ms, command| TimedCommand { at_ms, command };
    s.faults = vec![
        at(10_000, Command::CrashLeader { topic: "readings".into(), partition: 0 }),
        at(20_000, Command::RestartBroker { broker: 0 }),
        at(25_000, Command::PowerOffBroker { broker: 2 }),
        at(35_000, Command::RestartBroker { broker: 2 }),
        at(40_000, Command::SlowLink { node: "broker-1".into(), peer: "broker-0".into(), extra_ms: 400 }),
        at(45_000, Command::Isolate { node: "broker-1".into(), from: vec![] }),
        at(55_000, Command::Heal { node: "broker-1".into() }),
    ];
    let mut sim = Simulation::new(s).expect("valid");
    sim.run_until(SimTime(60_000));
    format!("{:016x}", sim.trace_hash())
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn replicated_trace_hash_matches_golden_value() {
    let golden = include_str!("golden/replicated_trace_hash.txt").trim();
    assert_eq!(
        replicated_golden_hash(),
        golden,
        "the trace changed: if on purpose, update tests/golden/replicated_trace_hash.txt"
    );
}
