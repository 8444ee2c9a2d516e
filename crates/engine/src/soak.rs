//! The soak harness: random scenarios with random fault schedules, every invariant of
//! [`crate::invariants`] checked after every event, each seed run twice to compare trace hashes
//! (as TigerBeetle's VOPR and Kafka's `RaftEventSimulationTest` do). `cargo xtask soak` and
//! `streamlab soak` drive it; a violation names the seed, the invariant, the trace lines before
//! it, and the scenario, which `streamlab run --scenario` replays.

use crate::command::{Command, TimedCommand};
use crate::consumer::CommitMode;
use crate::invariants::{InvariantChecker, Promises};
use crate::scenario::{
    AggregateSpec, ErrorsSpec, GroupSpec, OnFailure, OutputMode, ProducerSpec, Scenario, SinkSpec, StepSpec, TopicSpec,
    WindowSpec, WindowType, WorkloadSpec,
};
use crate::sim::{LatencyModel, SimRng, SimTime};
use crate::simulation::Simulation;
use serde_json::Value;
use std::collections::BTreeMap;

/// What kind of cluster a soak seed runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// RF 3, `min.insync.replicas=2`, `acks=all`, clean elections: nothing acknowledged may be
    /// lost, whatever the faults.
    #[default]
    Durable,
    /// `acks=1`, and every fault crashes the leader of partition 0: the negative control.
    AcksOne,
    /// `unclean.leader.election.enable=true` and `min.insync.replicas=1`, and a fault schedule
    /// that shrinks the ISR to the leader and then loses it: the other negative control.
    Unclean,
}

/// How one soak seed runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SoakOptions {
    pub durability: Durability,
    /// A test-only switch that breaks the engine (leaders advance the HW without their
    /// followers), to show the harness catches it.
    pub break_high_watermark: bool,
    /// Force `enable.idempotence` on or off (with 5 requests in flight when off), instead of
    /// the seed's random choice.
    pub idempotence: Option<bool>,
    /// Force a transactional producer (with aborts) and a `read_committed` group on or off,
    /// instead of the seed's random choice (one idempotent seed in three).
    pub transactions: Option<bool>,
}

/// What one seed came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoakRun {
    pub seed: u64,
    pub events: u64,
    /// Simulated time run, ms.
    pub simulated_ms: u64,
    pub trace_hash: u64,
    pub acknowledged_lost: u64,
    /// Extra copies of records in the logs at the end (retries without idempotence).
    pub log_duplicates: u64,
    /// Records the group processed after a later-sent record of the same key.
    pub reordered: u64,
    /// Whether the producer was idempotent.
    pub idempotent: bool,
    /// Transactions committed and aborted (a transactional seed).
    pub transactions: (u64, u64),
    /// Records sent to the dead-letter queue, and records late for their windows.
    pub dead_lettered: u64,
    pub late: u64,
    /// Records a filter step dropped before the windows.
    pub filtered: u64,
    /// A seed whose window store has a changelog: task restores, and changelog records read.
    pub restores: Option<(u64, u64)>,
}

/// An invariant broken on a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub seed: u64,
    /// `invariant_name: what was found`.
    pub invariant: String,
    /// When it was found, ms.
    pub at_ms: u64,
    /// The trace lines that lead to it, oldest first.
    pub excerpt: Vec<String>,
    /// The scenario, as JSON `streamlab run --scenario` takes.
    pub scenario_json: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "seed {} broke {} at {}", self.seed, self.invariant, SimTime(self.at_ms))?;
        for l in &self.excerpt {
            writeln!(f, "  {l}")?;
        }
        Ok(())
    }
}

/// Trace lines shown before a violation.
const EXCERPT_LINES: usize = 12;

/// The random scenario of `seed`: 3 brokers, one topic of 1 to 3 partitions replicated 3 times,
/// an IoT producer, a group of 1 or 2 consumers, 30 to 60 s, and up to 5 fault episodes one
/// after the other (crash, power off, isolation, or a slow follower link), each healed and the
/// broker back in the ISR before the next: the cluster tolerates one failed broker at a time,
/// as RF 3 with `min.insync.replicas=2` promises. `durability` picks the configs and, for the negative
/// controls, the faults that defeat them.
pub fn random_scenario(seed: u64, durability: Durability) -> Scenario {
    random_scenario_with(seed, SoakOptions { durability, ..SoakOptions::default() })
}

/// [`random_scenario`] with `options` applied (`idempotence` forced on or off).
pub fn random_scenario_with(seed: u64, options: SoakOptions) -> Scenario {
    let durability = options.durability;
    let mut rng = SimRng::new(seed, 0x50a4);
    let brokers = 3;
    let partitions = rng.range_inclusive(1, 3) as u32;
    let run_ms = rng.range_inclusive(30, 60) * 1000;
    let mean_ms = rng.range_inclusive(1, 20);
    let (acks, min_isr, unclean) = match durability {
        Durability::Durable => ("all", 2, false),
        Durability::AcksOne => ("1", 1, false),
        Durability::Unclean => ("all", 1, true),
    };
    let mut topic_configs = BTreeMap::from([("min.insync.replicas".to_string(), Value::from(min_isr))]);
    if unclean {
        topic_configs.insert("unclean.leader.election.enable".into(), Value::from(true));
    }
    let commit_mode = match rng.range_inclusive(0, 3) {
        0 => CommitMode::Auto,
        1 => CommitMode::AfterProcessing,
        2 => CommitMode::AfterProcessingAsync,
        _ => CommitMode::BeforeProcessing,
    };
    let mut faults = vec![];
    let mut t = rng.range_inclusive(2_000, 8_000);
    let episodes = if durability == Durability::Unclean { 0 } else { rng.range_inclusive(1, 5) };
    if durability == Durability::Unclean {
        // The followers of partition 0 (led by broker 0 as placed) die, so the ISR is the
        // leader alone; then the leader dies, and a follower that missed what the leader took
        // alone comes back first: unclean election makes it leader.
        let at = |at_ms, command| TimedCommand { at_ms, command };
        let gap = rng.range_inclusive(3_000, 10_000);
        faults.extend([
            at(t, Command::CrashBroker { broker: 1 }),
            at(t, Command::CrashBroker { broker: 2 }),
            at(t + gap, Command::CrashBroker { broker: 0 }),
            at(t + gap + 1_000, Command::RestartBroker { broker: 1 }),
            at(t + gap + 6_000, Command::RestartBroker { broker: 0 }),
            at(t + gap + 6_000, Command::RestartBroker { broker: 2 }),
        ]);
        t = run_ms;
    }
    for _ in 0..episodes {
        if t + 4_000 > run_ms {
            break;
        }
        let broker = rng.range_inclusive(0, brokers as u64 - 1) as u32;
        let node = format!("broker-{broker}");
        let down_ms = rng.range_inclusive(1_000, 20_000);
        let end = (t + down_ms).min(run_ms - 1_000);
        let kind = if durability == Durability::AcksOne { 0 } else { rng.range_inclusive(0, 3) };
        let (start, stop) = match kind {
            0 if durability == Durability::AcksOne => {
                (Command::CrashLeader { topic: "soak".into(), partition: 0 }, None)
            }
            0 => (Command::CrashBroker { broker }, Some(Command::RestartBroker { broker })),
            1 => (Command::PowerOffBroker { broker }, Some(Command::RestartBroker { broker })),
            2 => (Command::Isolate { node: node.clone(), from: vec![] }, Some(Command::Heal { node: node.clone() })),
            _ => {
                let peer = format!("broker-{}", (broker + 1) % brokers);
                let extra_ms = rng.range_inclusive(50, 2_000);
                (
                    Command::SlowLink { node: node.clone(), peer: peer.clone(), extra_ms },
                    Some(Command::SlowLink { node, peer, extra_ms: 0 }),
                )
            }
        };
        faults.push(TimedCommand { at_ms: t, command: start });
        match stop {
            Some(stop) => faults.push(TimedCommand { at_ms: end, command: stop }),
            // acks=1: the crashed leader comes back later, whichever it was.
            None => {
                for b in 0..brokers {
                    faults.push(TimedCommand { at_ms: end, command: Command::RestartBroker { broker: b } });
                }
            }
        }
        // The next fault waits until the healed broker is surely back in the ISR: fenced
        // brokers heartbeat again within 2 s, and a fetch lost on a cut link is given up after
        // `replica.socket.timeout.ms` (4 s here) before the follower catches up.
        t = end + rng.range_inclusive(10_000, 15_000);
    }
    let members = rng.range_inclusive(1, 2) as u32;
    let processing_ms_per_record = rng.range_inclusive(0, 3);
    let (group, consumer_faults) = random_group(seed, run_ms, members, commit_mode, partitions);
    faults.extend(consumer_faults);
    let (mut producer_configs, link_faults) = random_producer(seed, run_ms);
    producer_configs.insert("acks".to_string(), Value::from(acks));
    if acks != "all" {
        // Idempotence needs acks=all: left to its default, acks=1 turns it off.
        producer_configs.remove("enable.idempotence");
    }
    if let Some(on) = options.idempotence {
        producer_configs.insert("enable.idempotence".to_string(), Value::from(on));
        if !on {
            producer_configs.insert("max.in.flight.requests.per.connection".to_string(), Value::from(5));
        }
    }
    faults.extend(link_faults);
    faults.sort_by_key(|f| f.at_ms);
    // Transactions, from their own stream: on one idempotent seed in three, the producer is
    // transactional (5 to 200 records per transaction, up to 30% aborted) and the group reads
    // committed.
    let mut trng = SimRng::new(seed, 0x7a5);
    let idempotent = acks == "all" && producer_configs.get("enable.idempotence") != Some(&Value::from(false));
    let transactional = idempotent && options.transactions.unwrap_or(trng.range_inclusive(0, 2) == 0);
    let mut group = group;
    let transactions = transactional.then(|| {
        producer_configs.insert("transactional.id".to_string(), Value::from("soak-tx"));
        group.configs.insert("isolation.level".to_string(), Value::from("read_committed"));
        crate::producer::TransactionsSpec {
            records_per_transaction: trng.range_inclusive(5, 200) as u32,
            abort_rate: trng.range_inclusive(0, 30) as f64 / 100.0,
        }
    });
    // One seed in five without poison records, sliding windows or added partitions runs its
    // group as an exactly-once pipeline whose window store has a changelog, so that restores
    // happen under the seed's faults and `windows_account_for_every_record` covers them.
    let mut topics = vec![TopicSpec { name: "soak".into(), partitions, replication_factor: 3, configs: topic_configs }];
    let grows = faults.iter().any(|f| matches!(f.command, Command::CreatePartitions { .. }));
    if seed % 5 == 4 && group.errors.is_none() && group.windows.is_some_and(|w| w.kind != WindowType::Sliding) && !grows
    {
        topics.push(TopicSpec { name: "soak-out".into(), ..topics[0].clone() });
        group.pipeline = Some(crate::scenario::PipelineSpec {
            output_topic: "soak-out".into(),
            guarantee: crate::consumer::Guarantee::ExactlyOnce,
        });
        group.commit_mode = CommitMode::AfterProcessing;
        group.configs.insert("enable.auto.commit".to_string(), Value::from(false));
        if let Some(w) = group.windows.as_mut() {
            w.changelog = true;
        }
    }
    Scenario {
        seed,
        run_ms,
        network: LatencyModel { min_ms: 1, mean_ms, jitter_ms: mean_ms / 2 },
        brokers,
        broker_configs: BTreeMap::from([
            ("offsets.topic.num.partitions".to_string(), Value::from(rng.range_inclusive(1, 3))),
            ("replica.socket.timeout.ms".to_string(), Value::from(4_000)),
        ]),
        topics,
        producers: vec![ProducerSpec {
            defaults: Default::default(),
            topic: "soak".into(),
            configs: producer_configs,
            transactions,
            start_ms: 0,
            partition: None,
            workload: WorkloadSpec::iot(rng.range_inclusive(2, 8) as u32, rng.range_inclusive(20, 200), None),
        }],
        consumer_groups: vec![GroupSpec { processing_ms_per_record, ..group }],
        faults,
    }
}

/// The producer side of a soak seed, from its own random stream: idempotence on for three
/// seeds in four, 1 to 5 requests in flight, a short `request.timeout.ms` (2 to 8 s), and up
/// to 3 windows in which links between brokers and the producer drop produce requests or
/// responses (up to 20%) or deliver produce requests twice: retries then duplicate and
/// reorder records unless the producer is idempotent.
fn random_producer(seed: u64, run_ms: u64) -> (BTreeMap<String, Value>, Vec<TimedCommand>) {
    let mut rng = SimRng::new(seed, 0x1de);
    let request_timeout_ms = rng.range_inclusive(2_000, 8_000);
    let configs = BTreeMap::from([
        ("enable.idempotence".to_string(), Value::from(rng.range_inclusive(0, 3) > 0)),
        ("max.in.flight.requests.per.connection".to_string(), Value::from(rng.range_inclusive(1, 5))),
        ("request.timeout.ms".to_string(), Value::from(request_timeout_ms)),
        ("delivery.timeout.ms".to_string(), Value::from(request_timeout_ms * 4 + 100)),
    ]);
    let mut faults = vec![];
    let mut t = rng.range_inclusive(1_000, 10_000);
    for _ in 0..rng.range_inclusive(0, 3) {
        if t + 2_000 > run_ms {
            break;
        }
        let (from, to, message, duplicate) = match rng.range_inclusive(0, 2) {
            0 => ("brokers", "producers", "ProduceResponse", false),
            1 => ("producers", "brokers", "ProduceRequest", false),
            _ => ("producers", "brokers", "ProduceRequest", true),
        };
        let rate = rng.range_inclusive(1, 20) as f64 / 100.0;
        let fault = |rate: f64| Command::LinkFault {
            from: from.into(),
            to: to.into(),
            message: Some(message.into()),
            drop_rate: if duplicate { 0.0 } else { rate },
            duplicate_rate: if duplicate { rate } else { 0.0 },
            delay_ms: 0,
            count: None,
        };
        let end = (t + rng.range_inclusive(1_000, 15_000)).min(run_ms - 1);
        faults.push(TimedCommand { at_ms: t, command: fault(rate) });
        faults.push(TimedCommand { at_ms: end, command: fault(0.0) });
        t = end + rng.range_inclusive(1_000, 10_000);
    }
    (configs, faults)
}

/// The group of a soak seed, from its own random stream (so that the broker faults of a seed
/// stay what they were): 1 to 3 members, one of Kafka's assignor lists, static membership or
/// not, short session and poll timeouts, and up to 4 member faults: a crash and a restart
/// 1 to 20 s later (within or past `session.timeout.ms`), or a stall of the application
/// (within or past `max.poll.interval.ms`); and on one seed in three, 1 to 3 partitions added
/// to the topic, which clients see within their `metadata.max.age.ms` (5 to 30 s).
fn random_group(
    seed: u64,
    run_ms: u64,
    base_members: u32,
    commit_mode: CommitMode,
    partitions: u32,
) -> (GroupSpec, Vec<TimedCommand>) {
    let mut rng = SimRng::new(seed, 0xc0a5);
    let members = base_members + rng.range_inclusive(0, 1) as u32;
    let strategy = match rng.range_inclusive(0, 4) {
        0 => "org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        1 => "org.apache.kafka.clients.consumer.RoundRobinAssignor",
        2 => "org.apache.kafka.clients.consumer.StickyAssignor",
        3 => "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        _ => "org.apache.kafka.clients.consumer.RangeAssignor",
    };
    let session_ms = rng.range_inclusive(6_000, 20_000);
    let poll_interval_ms = rng.range_inclusive(5_000, 30_000);
    let configs = BTreeMap::from([
        ("auto.offset.reset".to_string(), Value::from("earliest")),
        ("partition.assignment.strategy".to_string(), Value::from(strategy)),
        ("session.timeout.ms".to_string(), Value::from(session_ms)),
        ("heartbeat.interval.ms".to_string(), Value::from(1_000)),
        ("max.poll.interval.ms".to_string(), Value::from(poll_interval_ms)),
        ("enable.auto.commit".to_string(), Value::from(commit_mode == CommitMode::Auto)),
        ("metadata.max.age.ms".to_string(), Value::from(rng.range_inclusive(5_000, 30_000))),
    ]);
    let group = GroupSpec {
        group_id: "g1".into(),
        topics: vec!["soak".into()],
        topic_pattern: None,
        members,
        configs,
        processing_ms_per_record: 1,
        commit_mode,
        static_membership: rng.range_inclusive(0, 1) == 1,
        commit_on_revoke: rng.range_inclusive(0, 1) == 1,
        assign: false,
        // Every window type in turn, chosen by the seed (not the RNG, whose draws set the
        // faults), so that `windows_account_for_every_record` is checked under faults.
        windows: Some({
            let mut w = WindowSpec::tumbling(200, 50);
            w.set_type(
                [WindowType::Tumbling, WindowType::Hopping, WindowType::Sliding, WindowType::Session]
                    [(seed % 4) as usize],
            );
            w
        }),
        pipeline: None,
        // One seed in three has poison records, retried briefly and sent to the dead-letter
        // queue, so that the invariant also covers records that reach no window.
        errors: (seed % 3 == 1).then_some(ErrorsSpec {
            poison_every: 97,
            retry_initial_ms: 5,
            retry_multiplier: 2.0,
            retry_max_ms: 40,
            max_attempts: 3,
            on_failure: OnFailure::DeadLetter,
        }),
        dedupe: None,
        // One seed in three filters out the cooler readings before the windows and averages the
        // rest, so that the invariant also covers records a filter drops.
        steps: if seed % 3 == 2 {
            vec![StepSpec::Filter { field: "temperature_c".into(), op: crate::streams::CmpOp::Gt, value: 22.0 }]
        } else {
            vec![]
        },
        aggregate: (seed % 3 == 2).then(|| AggregateSpec {
            function: crate::streams::AggregateFunction::Avg,
            field: Some("temperature_c".into()),
            n: None,
            alert_above: Some(25.0),
        }),
        sink: (seed % 3 == 2).then_some(SinkSpec { output_mode: OutputMode::Update }),
    };
    let mut faults = vec![];
    let mut t = rng.range_inclusive(3_000, 10_000);
    for _ in 0..rng.range_inclusive(0, 4) {
        if t + 2_000 > run_ms {
            break;
        }
        let client_id = format!("consumer-g1-{}", rng.range_inclusive(1, members as u64));
        let at = |at_ms, command| TimedCommand { at_ms, command };
        let length = rng.range_inclusive(1_000, 20_000);
        if rng.range_inclusive(0, 1) == 0 {
            faults.push(at(t, Command::CrashConsumer { client_id: client_id.clone() }));
            faults.push(at((t + length).min(run_ms - 1), Command::RestartConsumer { client_id }));
        } else {
            faults.push(at(t, Command::PauseConsumer { client_id, duration_ms: length }));
        }
        t += length + rng.range_inclusive(1_000, 10_000);
    }
    if rng.range_inclusive(0, 2) == 0 {
        let count = partitions + rng.range_inclusive(1, 3) as u32;
        let at_ms = rng.range_inclusive(1_000, run_ms - 1);
        faults.push(TimedCommand { at_ms, command: Command::CreatePartitions { topic: "soak".into(), count } });
    }
    (group, faults)
}

/// Runs `scenario` to its end, checking every invariant after every event when `check`.
fn run_checked(seed: u64, scenario: &Scenario, options: SoakOptions, check: bool) -> Result<SoakRun, Violation> {
    let violation = |invariant: String, at_ms: u64, excerpt: Vec<String>| Violation {
        seed,
        invariant,
        at_ms,
        excerpt,
        scenario_json: scenario.to_json_pretty(),
    };
    let mut sim =
        Simulation::new(scenario.clone()).map_err(|e| violation(format!("scenario_valid: {e}"), 0, vec![]))?;
    if options.break_high_watermark {
        sim.break_high_watermark_for_test();
    }
    let mut promises = Promises::of(&sim);
    // The switch breaks the promise the scenario makes; the checker must still hold it to it.
    promises.durable_writes |= options.break_high_watermark;
    let mut checker = InvariantChecker::new(promises);
    let end = SimTime(scenario.run_ms);
    while sim.next_event_time().is_some_and(|t| t <= end) {
        sim.step();
        if !check {
            continue;
        }
        if let Err(e) = checker.check(&sim) {
            let recent = sim.trace();
            let excerpt = recent
                .iter()
                .skip(recent.len().saturating_sub(EXCERPT_LINES))
                .map(|e| format!("{} {}", e.time, e.event.line(sim.catalog())))
                .collect();
            return Err(violation(e, sim.now().0, excerpt));
        }
    }
    checker.check_transactions(&sim).map_err(|e| violation(e, sim.now().0, vec![]))?;
    checker.check_windows(&sim).map_err(|e| violation(e, sim.now().0, vec![]))?;
    checker.check_store(&sim).map_err(|e| violation(e, sim.now().0, vec![]))?;
    let groups = sim.valid().scenario.consumer_groups.iter();
    let reordered = groups.map(|g| sim.outcome(&g.group_id).reordered).sum();
    Ok(SoakRun {
        seed,
        events: sim.events_processed(),
        simulated_ms: sim.now().0,
        trace_hash: sim.trace_hash(),
        acknowledged_lost: sim.acknowledged_lost().0,
        log_duplicates: sim.log_duplicates().0,
        reordered,
        idempotent: sim.valid().producer_configs.iter().all(|p| p.enable_idempotence),
        transactions: sim.producers().fold((0, 0), |(c, a), p| {
            let (pc, pa) = p.transactions();
            (c + pc, a + pa)
        }),
        dead_lettered: sim.dead_letter_queue(crate::ids::GroupId(0)).len() as u64,
        late: sim.windows("g1").map_or(0, |w| w.late),
        filtered: sim.windows("g1").map_or(0, |w| w.dataflow.filtered()),
        restores: sim.store("g1").map(|s| (s.restores_total, s.restored_records)),
    })
}

/// Runs seed `seed` with every invariant checked after every event, then again to compare the
/// trace hashes; fails on the first violation, or if the hashes differ.
pub fn run_seed(seed: u64, options: SoakOptions) -> Result<SoakRun, Violation> {
    let scenario = random_scenario_with(seed, options);
    let first = run_checked(seed, &scenario, options, true)?;
    let second = run_checked(seed, &scenario, options, false)?;
    if first.trace_hash != second.trace_hash {
        return Err(Violation {
            seed,
            invariant: format!(
                "deterministic: the same scenario gave trace hashes {:016x} and {:016x}",
                first.trace_hash, second.trace_hash
            ),
            at_ms: first.simulated_ms,
            excerpt: vec![],
            scenario_json: scenario.to_json_pretty(),
        });
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_scenarios_are_valid_and_keep_one_broker_down_at_a_time() {
        for seed in 0..200 {
            for d in [Durability::Durable, Durability::AcksOne, Durability::Unclean] {
                let s = random_scenario(seed, d);
                s.validate().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                let mut last = 0;
                for f in &s.faults {
                    assert!(f.at_ms >= last, "seed {seed}: faults in time order");
                    last = f.at_ms;
                }
            }
        }
    }
}
