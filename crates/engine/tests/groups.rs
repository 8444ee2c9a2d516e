//! Scenario-level behaviour of the producer, the log and the consumer group: exact offsets,
//! range assignments, and the rebalances that a join, a leave and a crash cause.

use std::collections::BTreeMap;
use streamlab_engine::consumer::CommitMode;
use streamlab_engine::consumer::MemberState;
use streamlab_engine::invariants::InvariantChecker;
use streamlab_engine::producer::partitioner::partition_for_key;
use streamlab_engine::scenario::WorkloadSpec;
use streamlab_engine::sim::SimRng;
use streamlab_engine::{Command, Scenario, SimTime, Simulation, TraceEvent};

/// 12 sensors, `limit` readings in all, `partitions` partitions, `members` consumers.
fn scenario(seed: u64, partitions: u32, members: u32, limit: Option<u64>) -> Scenario {
    let mut s = Scenario::iot_default(seed, partitions, members);
    s.producers[0].workload = WorkloadSpec::iot(12, 1000, limit);
    s
}

fn assignments(sim: &Simulation) -> BTreeMap<String, Vec<String>> {
    sim.consumers()
        .filter(|c| c.state == MemberState::Stable)
        .map(|c| (c.client_id.clone(), c.assignment.iter().map(|tp| sim.catalog().partition_name(*tp)).collect()))
        .collect()
}

#[test]
fn every_record_lands_on_its_key_partition_and_is_consumed_once() {
    let mut sim = Simulation::new(scenario(5, 6, 3, Some(120))).unwrap();
    sim.run_until(SimTime(40_000));
    // 120 readings, 10 per sensor; each partition holds exactly the readings of its keys.
    let mut expected = [0u64; 6];
    for d in 0..12 {
        expected[partition_for_key(format!("sensor-{d:02}").as_bytes(), 6) as usize] += 10;
    }
    let report = sim.report();
    assert_eq!(report.produced, 120);
    assert_eq!(report.acknowledged, 120);
    let leos: Vec<u64> = report.partitions.iter().map(|p| p.log_end_offset).collect();
    assert_eq!(leos, expected);
    let g = &report.groups[0];
    assert_eq!((g.polled, g.processed), (120, 120), "no crash: every record once");
    // Auto-commit has caught up with the log end offsets.
    let committed: Vec<u64> = g.committed.iter().map(|(_, o)| *o).collect();
    assert_eq!(committed, expected);
    assert_eq!(g.lag, 0);
}

#[test]
fn first_generation_is_a_range_assignment_after_the_initial_delay() {
    let mut sim = Simulation::new(scenario(11, 6, 3, None)).unwrap();
    sim.run_until(SimTime(5_000));
    assert!(assignments(&sim).is_empty(), "group.initial.rebalance.delay.ms holds the first rebalance");
    sim.run_until(SimTime(10_000));
    let report = sim.report();
    assert_eq!((report.groups[0].generation, report.groups[0].state.as_str()), (1, "Stable"));
    // Range: members sorted by member id take readings-0,1 / 2,3 / 4,5.
    let mut by_member: Vec<(String, Vec<String>)> = sim
        .consumers()
        .map(|c| (c.member_id.clone(), c.assignment.iter().map(|tp| sim.catalog().partition_name(*tp)).collect()))
        .collect();
    by_member.sort();
    let parts: Vec<Vec<String>> = by_member.into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        parts,
        vec![vec!["readings-0", "readings-1"], vec!["readings-2", "readings-3"], vec!["readings-4", "readings-5"]]
    );
}

fn stabilized_generations(sim: &Simulation) -> Vec<(u64, u32, usize)> {
    sim.trace_info()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::GroupStabilized { generation_id, members, .. } => Some((e.time.0, *generation_id, *members)),
            _ => None,
        })
        .collect()
}

#[test]
fn leave_group_rebalances_within_a_heartbeat() {
    let mut sim = Simulation::new(scenario(2, 6, 3, None)).unwrap();
    sim.run_until(SimTime(20_000));
    sim.apply(Command::CloseConsumer { client_id: "consumer-g1-3".into() }).unwrap();
    sim.run_until(SimTime(25_000));
    let gens = stabilized_generations(&sim);
    assert_eq!(gens.len(), 2);
    let (at, generation, members) = gens[1];
    assert_eq!((generation, members), (2, 2));
    // The others learn of it from their next heartbeat (heartbeat.interval.ms = 3 s), not 45 s later.
    assert!((20_000..23_100).contains(&at), "rebalanced at {at} ms");
    assert!(sim.trace_info().iter().any(|e| matches!(&e.event, TraceEvent::MemberLeft { .. })));
    let a = assignments(&sim);
    assert_eq!(a.len(), 2);
    assert_eq!(a.values().map(|p| p.len()).sum::<usize>(), 6);
}

#[test]
fn crash_is_noticed_after_the_session_timeout() {
    let mut sim = Simulation::new(scenario(2, 6, 3, None)).unwrap();
    sim.run_until(SimTime(20_000));
    sim.apply(Command::CrashConsumer { client_id: "consumer-g1-2".into() }).unwrap();
    assert_eq!(
        sim.apply(Command::CrashConsumer { client_id: "consumer-g1-2".into() }).unwrap_err().to_string(),
        "client_id: no running consumer named \"consumer-g1-2\""
    );
    sim.run_until(SimTime(60_000));
    assert_eq!(stabilized_generations(&sim).len(), 1, "45 s session: nothing yet at 60 s");
    sim.run_until(SimTime(70_000));
    let expired: Vec<u64> = sim
        .trace_info()
        .iter()
        .filter(|e| matches!(&e.event, TraceEvent::MemberSessionExpired { .. }))
        .map(|e| e.time.0)
        .collect();
    assert_eq!(expired.len(), 1);
    // The last heartbeat came at most heartbeat.interval.ms (3 s) before the crash.
    assert!((62_000..=65_010).contains(&expired[0]), "expired at {}", expired[0]);
    let gens = stabilized_generations(&sim);
    assert_eq!(gens.last().map(|g| (g.1, g.2)), Some((2, 2)));
}

#[test]
fn adding_a_consumer_rebalances_to_four_members() {
    let mut sim = Simulation::new(scenario(4, 6, 3, None)).unwrap();
    sim.run_until(SimTime(15_000));
    sim.apply(Command::AddConsumer { group_id: "g1".into() }).unwrap();
    assert_eq!(
        sim.apply(Command::AddConsumer { group_id: "nope".into() }).unwrap_err().to_string(),
        "group_id: no consumer group named \"nope\" in this scenario"
    );
    sim.run_until(SimTime(25_000));
    let gens = stabilized_generations(&sim);
    assert_eq!(gens.last().map(|g| (g.1, g.2)), Some((2, 4)));
    let sizes: Vec<usize> = assignments(&sim).values().map(|p| p.len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 6);
    assert_eq!(sizes.iter().filter(|&&n| n == 2).count(), 2, "6 over 4: two members take 2, two take 1");
}

/// Random joins, leaves and crashes; every invariant holds after every event. Prints the seed
/// of a failure; `streamlab run --seed S` replays the scenario.
#[test]
fn invariants_hold_under_random_membership_changes() {
    for seed in 0..12u64 {
        let mut rng = SimRng::new(seed, 1234);
        let partitions = 1 + rng.range_inclusive(0, 7) as u32;
        let members = rng.range_inclusive(0, 4) as u32;
        let mut s = scenario(seed, partitions, members, None);
        // Every commit mode, so that crashes both duplicate and lose records.
        s.consumer_groups[0].commit_mode =
            [CommitMode::Auto, CommitMode::AfterProcessing, CommitMode::BeforeProcessing][seed as usize % 3];
        let mut sim = Simulation::new(s).unwrap();
        let mut checker = InvariantChecker::default();
        let mut next_command = 2_000 + rng.range_inclusive(0, 8_000);
        while sim.now().0 < 120_000 {
            let Some(t) = sim.step() else { break };
            if let Err(e) = checker.check(&sim) {
                panic!("seed {seed}: at {t}: {e}");
            }
            if t.0 >= next_command {
                next_command = t.0 + 2_000 + rng.range_inclusive(0, 15_000);
                let running: Vec<String> =
                    sim.consumers().filter(|c| c.is_alive()).map(|c| c.client_id.clone()).collect();
                let command = match (rng.range_inclusive(0, 2), running.is_empty()) {
                    (0, _) | (_, true) => Command::AddConsumer { group_id: "g1".into() },
                    (1, false) => Command::CloseConsumer {
                        client_id: running[rng.range_inclusive(0, running.len() as u64 - 1) as usize].clone(),
                    },
                    _ => Command::CrashConsumer {
                        client_id: running[rng.range_inclusive(0, running.len() as u64 - 1) as usize].clone(),
                    },
                };
                sim.apply(command).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            }
        }
    }
}
