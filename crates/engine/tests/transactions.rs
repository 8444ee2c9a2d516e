//! Transactions: the coordinator, markers, the LSO, `read_committed`, and fencing of a zombie
//! instance by a newer one with the same `transactional.id` (Kafka's `TransactionCoordinator`,
//! `TransactionManager`, `ProducerStateManager` and `CompletedFetch`).

use serde_json::Value;
use streamlab_engine::command::TimedCommand;
use streamlab_engine::ids::GroupId;
use streamlab_engine::producer::TransactionsSpec;
use streamlab_engine::scenario::WorkloadSpec;
use streamlab_engine::sim::TraceCapacity;
use streamlab_engine::{Command, Scenario, SimTime, Simulation, TraceEvent};

/// One transactional IoT producer of `records` records, `per_txn` per transaction, aborting
/// `abort_rate` of them; group 0 reads uncommitted, group 1 (`committed`) read_committed.
fn scenario(seed: u64, records: u64, per_txn: u32, abort_rate: f64) -> Scenario {
    let mut s = Scenario::iot_default(seed, 3, 1);
    s.brokers = 3;
    s.topics[0].replication_factor = 3;
    s.run_ms = 600_000;
    let p = &mut s.producers[0];
    p.configs.insert("transactional.id".into(), Value::from("sensor-tx"));
    p.transactions = Some(TransactionsSpec { records_per_transaction: per_txn, abort_rate });
    if let WorkloadSpec::Iot { limit, .. } = &mut p.workload {
        *limit = Some(records);
    }
    let mut committed = s.consumer_groups[0].clone();
    committed.group_id = "committed".into();
    committed.configs.insert("isolation.level".into(), Value::from("read_committed"));
    s.consumer_groups.push(committed);
    s
}

fn run(s: Scenario) -> Simulation {
    let mut sim = Simulation::new(s).unwrap();
    sim.set_trace_capacity(TraceCapacity { recent: 1_000_000, info: 100_000 });
    assert!(sim.run_to_drain(SimTime(600_000)), "drains");
    sim
}

fn finished(sim: &Simulation) -> Vec<(String, bool, u64)> {
    sim.trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::TransactionFinished { producer, committed, records, .. } => {
                Some((sim.catalog().node_name(*producer).to_string(), *committed, *records))
            }
            _ => None,
        })
        .collect()
}

/// Committed transactions reach both groups; aborted ones only the read_uncommitted group.
/// Markers are in the log but no group processes them.
#[test]
fn read_committed_skips_aborted_transactions_and_read_uncommitted_sees_them() {
    let sim = run(scenario(4, 600, 50, 0.4));
    let txns = finished(&sim);
    assert_eq!(txns.len(), 12, "600 records, 50 per transaction: {txns:?}");
    let aborted: u64 = txns.iter().filter(|t| !t.1).map(|t| t.2).sum();
    let committed: u64 = txns.iter().filter(|t| t.1).map(|t| t.2).sum();
    assert!(aborted > 0 && committed > 0, "seed 4 aborts some and commits some: {txns:?}");
    let report = sim.report();
    let all = &report.groups[0].outcome;
    let rc = &report.groups[1].outcome;
    assert_eq!((all.processed_once, all.duplicated, all.lost), (600, 0, 0), "read_uncommitted reads every record");
    assert_eq!((rc.processed_once, rc.duplicated, rc.lost), (committed, 0, 0), "read_committed: committed ones only");
    assert_eq!(sim.aborted_processed(GroupId(1)), 0);
    assert_eq!(sim.aborted_processed(GroupId(0)), aborted);
    // One marker per partition written to, per transaction.
    let markers = report.events["marker_written"];
    assert!(markers >= 12, "markers: {markers}");
    let log_records: u64 = (0..3u32)
        .map(|p| {
            let tp = streamlab_engine::ids::TopicPartition::new(streamlab_engine::ids::TopicId(0), p);
            sim.log(tp).unwrap().log_end_offset().0
        })
        .sum();
    assert_eq!(log_records, 600 + markers, "the log holds every record and every marker");
}

/// While a transaction is open, the LSO stays at its first record: read_committed readers wait
/// there, read_uncommitted ones read on to the HW.
#[test]
fn the_lso_stops_at_the_first_open_transaction() {
    let mut s = scenario(1, 10_000, 100_000, 0.0);
    s.run_ms = 20_000;
    let mut sim = Simulation::new(s).unwrap();
    sim.run_until(SimTime(10_000));
    let mut open = 0;
    for p in 0..3u32 {
        let tp = streamlab_engine::ids::TopicPartition::new(streamlab_engine::ids::TopicId(0), p);
        let log = sim.log(tp).unwrap();
        let txns = log.producer_state.open_transactions();
        if let Some((_, first)) = txns.first() {
            open += 1;
            assert_eq!(log.last_stable_offset(), *first, "partition {p}");
            assert!(log.high_watermark() > *first, "partition {p}: records above the LSO");
        }
    }
    assert_eq!(open, 3, "one open transaction over every partition");
    let report = sim.report();
    assert_eq!(report.groups[1].outcome.processed_once, 0, "read_committed has read nothing yet");
    assert!(report.groups[0].outcome.processed_once > 0);
}

/// The zombie: producer-1 is cut off mid-transaction; producer-2 starts with the same
/// transactional.id, which fences producer-1 (epoch bump) and aborts its open transaction.
/// Back on the network, producer-1 cannot write or commit: ProducerFencedException.
#[test]
fn a_zombie_with_the_same_transactional_id_is_fenced_and_cannot_commit() {
    let mut s = scenario(2, 2_000, 100, 0.0);
    s.producers[0].configs.insert("request.timeout.ms".into(), Value::from(5_000));
    s.producers[0].configs.insert("delivery.timeout.ms".into(), Value::from(20_000));
    let mut second = s.producers[0].clone();
    second.start_ms = 6_000;
    second.configs.insert("client.id".into(), Value::from("producer-2"));
    s.producers.push(second);
    // producer-1 sends 40 records a second: 100 per transaction, so one is open at 3.5 s.
    s.faults.push(TimedCommand { at_ms: 3_500, command: Command::Isolate { node: "producer-1".into(), from: vec![] } });
    s.faults.push(TimedCommand { at_ms: 10_000, command: Command::Heal { node: "producer-1".into() } });
    let sim = run(s);
    let fenced: Vec<_> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::ProducerFenced { producer, .. } => {
                Some((e.time, sim.catalog().node_name(*producer).to_string()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(fenced.len(), 1, "{fenced:?}");
    assert_eq!(fenced[0].1, "producer-1");
    assert!(fenced[0].0 >= SimTime(10_000), "fenced once back on the network");
    // The coordinator aborted producer-1's open transaction when producer-2 initialised.
    let fence_abort = sim.trace().iter().any(|e| {
        matches!(&e.event, TraceEvent::TransactionEnding { commit: false, .. })
            && e.time >= SimTime(6_000)
            && e.time < SimTime(7_000)
    });
    assert!(fence_abort, "the open transaction is aborted when the new instance initialises");
    let commits_after_fence = finished(&sim).iter().filter(|(p, committed, _)| p == "producer-1" && *committed).count();
    let before: usize = sim
        .trace()
        .iter()
        .filter(|e| {
            e.time < SimTime(3_500)
                && matches!(&e.event, TraceEvent::TransactionFinished { producer, committed: true, .. }
                    if sim.catalog().node_name(*producer) == "producer-1")
        })
        .count();
    assert_eq!(commits_after_fence, before, "producer-1 commits nothing once cut off");
    assert_eq!(sim.aborted_processed(GroupId(1)), 0);
    let report = sim.report();
    assert_eq!(report.groups[1].outcome.duplicated, 0);
    assert!(report.failed > 0, "the zombie's unsent records fail");
}

/// Bad transaction settings are refused with the field, the range and the value.
#[test]
fn transactional_configs_are_validated() {
    let mut s = scenario(1, 100, 10, 0.0);
    s.producers[0].configs.insert("enable.idempotence".into(), Value::from(false));
    let e = Simulation::new(s).unwrap_err().to_string();
    assert!(e.contains("producers[0].configs.transactional.id"), "{e}");
    assert!(e.contains("Cannot set a transactional.id without also enabling idempotence"), "{e}");

    let mut s = scenario(1, 100, 10, 0.0);
    s.producers[0].transactions = Some(TransactionsSpec { records_per_transaction: 0, abort_rate: 0.0 });
    let e = Simulation::new(s).unwrap_err().to_string();
    assert!(e.contains("producers[0].transactions.records_per_transaction"), "{e}");

    let mut s = scenario(1, 100, 10, 0.0);
    s.producers[0].transactions = Some(TransactionsSpec { records_per_transaction: 5, abort_rate: 1.5 });
    let e = Simulation::new(s).unwrap_err().to_string();
    assert!(e.contains("producers[0].transactions.abort_rate") && e.contains("1.5"), "{e}");

    let mut s = scenario(1, 100, 10, 0.0);
    s.producers[0].configs.remove("transactional.id");
    let e = Simulation::new(s).unwrap_err().to_string();
    assert!(e.contains("producers[0].transactions") && e.contains("transactional.id"), "{e}");

    let mut s = scenario(1, 100, 10, 0.0);
    s.consumer_groups[1].configs.insert("isolation.level".into(), Value::from("serializable"));
    let e = Simulation::new(s).unwrap_err().to_string();
    assert!(e.contains("consumer_groups[1].configs.isolation.level") && e.contains("serializable"), "{e}");
}

/// Randomised, through the soak harness: transactional producers with aborts, dropped and
/// duplicated produce messages, broker crashes and consumer faults. On every seed every
/// invariant holds after every event, `read_committed_skips_aborted` among them; the seeds
/// both commit and abort. A failure prints its seed and scenario.
#[test]
fn read_committed_never_returns_an_aborted_record_on_random_seeds() {
    use streamlab_engine::soak::{run_seed, Durability, SoakOptions};
    let options = SoakOptions { durability: Durability::Durable, transactions: Some(true), ..Default::default() };
    let (mut committed, mut aborted) = (0, 0);
    for seed in 0..30 {
        let r = run_seed(seed, options).unwrap_or_else(|v| panic!("seed {seed}: {v}"));
        committed += r.transactions.0;
        aborted += r.transactions.1;
    }
    assert!(committed > 0 && aborted > 0, "committed {committed}, aborted {aborted}");
}

/// `transaction.timeout.ms`: a producer cut off with a transaction open (and not replaced) has
/// it aborted by its coordinator once it is older than the timeout, at the next check (every
/// 10 s); read_committed readers, held at its first record until then, go on past it.
#[test]
fn a_transaction_open_past_transaction_timeout_ms_is_aborted_by_the_coordinator() {
    let mut s = scenario(2, 2_000, 100, 0.0);
    s.producers[0].configs.insert("transaction.timeout.ms".into(), Value::from(5_000));
    s.faults.push(TimedCommand { at_ms: 3_500, command: Command::Isolate { node: "producer-1".into(), from: vec![] } });
    let mut sim = Simulation::new(s).unwrap();
    sim.set_trace_capacity(TraceCapacity { recent: 1_000_000, info: 100_000 });
    sim.run_until(SimTime(60_000));
    let timed_out: Vec<SimTime> = sim
        .trace()
        .iter()
        .filter(|e| matches!(e.event, TraceEvent::TransactionTimedOut { .. }))
        .map(|e| e.time)
        .collect();
    assert_eq!(timed_out.len(), 1, "{timed_out:?}");
    // The transaction began at 2.5 s (the third of 100 records at 40 a second): older than 5 s
    // from 7.5 s, aborted at the first check after that, 10 s apart.
    assert!(timed_out[0] > SimTime(7_500) && timed_out[0] <= SimTime(17_600), "{timed_out:?}");
    let report = sim.report();
    assert_eq!(report.groups[1].outcome.pending, 0, "read_committed went past the aborted transaction");
    assert_eq!(sim.aborted_processed(GroupId(1)), 0);
    assert!(sim.aborted_processed(GroupId(0)) > 0, "read_uncommitted processed the aborted records");
}

/// `crash_producer`: the transactional producer's process dies mid-transaction and a new
/// instance starts at once; its InitProducerId fences the old epoch and aborts the open
/// transaction, whose records read_committed never returns.
#[test]
fn a_crashed_transactional_producer_is_replaced_and_its_open_transaction_aborted() {
    let mut s = scenario(5, 1_000, 100, 0.0);
    s.faults.push(TimedCommand { at_ms: 3_500, command: Command::CrashProducer { client_id: "producer-1".into() } });
    let sim = run(s);
    let trace = sim.trace();
    let crash = trace.iter().position(|e| matches!(e.event, TraceEvent::ProducerCrashed { .. })).unwrap();
    assert!(trace.iter().skip(crash).any(|e| matches!(e.event, TraceEvent::TransactionEnding { commit: false, .. })));
    let report = sim.report();
    assert_eq!(sim.aborted_processed(GroupId(1)), 0);
    let aborted = sim.aborted_processed(GroupId(0));
    assert!(aborted > 0, "the open transaction had records in the log");
    let rc = &report.groups[1].outcome;
    assert_eq!((rc.duplicated, rc.lost, rc.pending), (0, 0, 0));
    // Every record sent is committed and read once, or aborted, or failed with the old instance.
    assert_eq!(rc.processed_once + aborted + report.failed, 1_000);
}
