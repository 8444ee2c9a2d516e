//! Scenario-level behaviour of replication: replica placement, followers, `acks`,
//! `min.insync.replicas`, ISR shrink and expansion, clean, unclean and preferred elections,
//! divergence truncation, power loss, coordinator failover, retention, compaction, timestamps
//! and record size limits. Every test asserts exact offsets, ids or counts.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use streamlab_engine::broker::PartitionLog;
use streamlab_engine::command::TimedCommand;
use streamlab_engine::invariants::InvariantChecker;
use streamlab_engine::scenario::WorkloadSpec;
use streamlab_engine::sim::TraceCapacity;
use streamlab_engine::simulation::assign_replicas;
use streamlab_engine::{BrokerId, Command, Offset, Scenario, SimTime, Simulation, TopicId, TopicPartition, TraceEvent};

/// `brokers` brokers, topic `readings` with `partitions` partitions of `rf` replicas, the IoT
/// producer (12 sensors, one reading per second each, a record every 83 or 84 ms) and no
/// consumer group, so `__consumer_offsets` gets one partition (instead of 50) to keep the
/// invariant checks after every event cheap.
fn scenario(seed: u64, brokers: u32, rf: u32, partitions: u32) -> Scenario {
    let mut s = Scenario::iot_default(seed, partitions, 0);
    s.brokers = brokers;
    s.topics[0].replication_factor = rf;
    s.consumer_groups.clear();
    set(&mut s.broker_configs, "offsets.topic.num.partitions", 1);
    s.run_ms = 600_000;
    s
}

fn set(map: &mut BTreeMap<String, Value>, key: &str, value: impl Into<Value>) {
    map.insert(key.to_string(), value.into());
}

fn readings(p: u32) -> TopicPartition {
    TopicPartition::new(TopicId(0), p)
}

fn start(s: Scenario) -> Simulation {
    let mut sim = Simulation::new(s).unwrap();
    sim.set_trace_capacity(TraceCapacity { recent: 1_000_000, info: 100_000 });
    sim
}

fn replica_log(sim: &Simulation, b: u32, tp: TopicPartition) -> &PartitionLog {
    &sim.broker(BrokerId(b)).unwrap().replicas[&tp].log
}

/// The record ids of `[log start, LEO)` of broker `b`'s replica (`None` in compaction gaps).
fn ids(sim: &Simulation, b: u32, tp: TopicPartition) -> Vec<Option<u64>> {
    let log = replica_log(sim, b, tp);
    (log.log_start_offset().0..log.log_end_offset().0).map(|o| log.record_id_at(Offset(o)).map(|id| id.0)).collect()
}

fn leo(sim: &Simulation, b: u32, tp: TopicPartition) -> u64 {
    replica_log(sim, b, tp).log_end_offset().0
}

fn hw(sim: &Simulation, b: u32, tp: TopicPartition) -> u64 {
    replica_log(sim, b, tp).high_watermark().0
}

/// (leader, ISR, leader epoch) as the controller records them.
fn reg(sim: &Simulation, tp: TopicPartition) -> (Option<u32>, Vec<u32>, u32) {
    let r = sim.registration(tp).unwrap();
    (r.leader.map(|b| b.0), r.isr.iter().map(|b| b.0).collect(), r.leader_epoch)
}

fn count(sim: &Simulation, kind: &str) -> u64 {
    sim.report().events[kind]
}

/// One `leader_elected`: (time, old leader, new leader, leader epoch, how).
type Election = (u64, Option<u32>, Option<u32>, u32, &'static str);

/// Every `leader_elected` of `tp`.
fn elections(sim: &Simulation, tp: TopicPartition) -> Vec<Election> {
    sim.trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::LeaderElected { partition, old_leader, leader, leader_epoch, how } if *partition == tp => {
                Some((e.time.0, *old_leader, *leader, *leader_epoch, *how))
            }
            _ => None,
        })
        .collect()
}

/// Every `isr_changed` of `tp`: (old ISR, new ISR).
fn isr_changes(sim: &Simulation, tp: TopicPartition) -> Vec<(Vec<u32>, Vec<u32>)> {
    sim.trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::IsrChanged { partition, old_isr, new_isr, .. } if *partition == tp => {
                Some((old_isr.clone(), new_isr.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Every `truncated` of `tp`: (broker, from, to, leader epoch).
fn truncations(sim: &Simulation, tp: TopicPartition) -> Vec<(u32, u64, u64, u32)> {
    sim.trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::Truncated { broker, partition, from, to, leader_epoch } if *partition == tp => {
                Some((*broker, from.0, to.0, *leader_epoch))
            }
            _ => None,
        })
        .collect()
}

/// Every `produce_failed`: (error, retrying, records).
fn produce_failures(sim: &Simulation) -> Vec<(&'static str, bool, u32)> {
    sim.trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::ProduceFailed { error, retry_backoff_ms, records, .. } => {
                Some((*error, retry_backoff_ms.is_some(), *records))
            }
            _ => None,
        })
        .collect()
}

fn acked(sim: &Simulation) -> u64 {
    sim.producers().map(|p| p.stats.records_acked).sum()
}

/// Steps until the clock reaches `until` (the last event may be a little past it), checking
/// every invariant after each event. Commands come from the scenario's `faults`, so that they
/// too run at their exact times.
fn run_checked(sim: &mut Simulation, checker: &mut InvariantChecker, until: u64) {
    while sim.now().0 < until {
        let Some(t) = sim.step() else { break };
        if let Err(e) = checker.check(sim) {
            panic!("at {} ms: {e}", t.0);
        }
    }
}

fn fault(at_ms: u64, command: Command) -> TimedCommand {
    TimedCommand { at_ms, command }
}

/// Kafka's `AdminUtils.assignReplicasToBrokersRackUnaware` (docs of `kafka-topics.sh
/// --create` without `--replica-assignment`): first replicas round-robin, followers shifted.
#[test]
fn replicas_are_placed_as_kafka_places_them_without_racks() {
    let b = |v: &[u32]| v.iter().map(|&x| BrokerId(x)).collect::<Vec<_>>();
    // 3 brokers, RF 3, 6 partitions: the shift grows by one after every 3 partitions.
    assert_eq!(
        assign_replicas(6, 3, 3, 0),
        vec![b(&[0, 1, 2]), b(&[1, 2, 0]), b(&[2, 0, 1]), b(&[0, 2, 1]), b(&[1, 0, 2]), b(&[2, 1, 0])]
    );
    // 5 brokers, RF 2, 10 partitions.
    assert_eq!(
        assign_replicas(10, 2, 5, 0),
        vec![
            b(&[0, 1]),
            b(&[1, 2]),
            b(&[2, 3]),
            b(&[3, 4]),
            b(&[4, 0]),
            b(&[0, 2]),
            b(&[1, 3]),
            b(&[2, 4]),
            b(&[3, 0]),
            b(&[4, 1])
        ]
    );
    // The example table in the Javadoc of `assignReplicasToBrokersRackUnaware` (5 brokers,
    // 10 partitions, RF 3, start index 0, shift 0), read partition by partition.
    let table: [&[u32]; 10] = [
        &[0, 1, 2],
        &[1, 2, 3],
        &[2, 3, 4],
        &[3, 4, 0],
        &[4, 0, 1],
        &[0, 2, 3],
        &[1, 3, 4],
        &[2, 4, 0],
        &[3, 0, 1],
        &[4, 1, 2],
    ];
    assert_eq!(assign_replicas(10, 3, 5, 0), table.map(b).to_vec());
    // The simulation registers exactly that placement, leader first, ISR = replicas, epoch 0;
    // `__consumer_offsets` (topic index 1) starts one broker further.
    let sim = start(scenario(1, 3, 3, 6));
    for (p, replicas) in assign_replicas(6, 3, 3, 0).into_iter().enumerate() {
        let r = sim.registration(readings(p as u32)).unwrap();
        assert_eq!(
            (r.replicas.clone(), r.isr.clone(), r.leader, r.leader_epoch),
            (replicas.clone(), replicas.clone(), Some(replicas[0]), 0)
        );
    }
    let offsets0 = sim.registration(TopicPartition::new(TopicId(1), 0)).unwrap();
    assert_eq!(offsets0.replicas, assign_replicas(1, 3, 3, 1)[0]);
    assert_eq!(offsets0.replicas, b(&[1, 0, 2]));
}

/// Kafka's design docs ("Replication"): followers fetch from the leader like consumers and
/// apply its records in the same order, so every replica holds the same log.
#[test]
fn followers_hold_the_leaders_records_at_the_same_offsets() {
    let mut s = scenario(2, 3, 3, 3);
    s.producers[0].workload = WorkloadSpec::iot(12, 1000, Some(240));
    let mut sim = start(s);
    let mut checker = InvariantChecker::for_simulation(&sim);
    run_checked(&mut sim, &mut checker, 25_000);
    // 240 readings, 20 per sensor, each on its key's partition.
    let mut expected = [0u64; 3];
    for d in 0..12 {
        let key = format!("sensor-{d:02}");
        expected[streamlab_engine::producer::partitioner::partition_for_key(key.as_bytes(), 3) as usize] += 20;
    }
    let placement = assign_replicas(3, 3, 3, 0);
    for p in 0..3u32 {
        let tp = readings(p);
        let replicas: Vec<u32> = placement[p as usize].iter().map(|b| b.0).collect();
        assert_eq!(reg(&sim, tp), (Some(replicas[0]), replicas.clone(), 0), "no election, no ISR change");
        let leader_ids = ids(&sim, replicas[0], tp);
        assert_eq!(leader_ids.len() as u64, expected[p as usize]);
        for b in 0..3 {
            assert_eq!(
                (leo(&sim, b, tp), hw(&sim, b, tp)),
                (expected[p as usize], expected[p as usize]),
                "{tp:?} on {b}"
            );
            assert_eq!(ids(&sim, b, tp), leader_ids, "{tp:?}: broker {b} holds other records");
        }
    }
    assert_eq!(sim.report().acknowledged, 240);
    assert_eq!((count(&sim, "isr_changed"), count(&sim, "leader_elected"), count(&sim, "truncated")), (0, 0, 0));
}

/// `acks=0` (producer config docs): "the producer will not wait for any acknowledgment from
/// the server at all ... the record will be immediately added to the socket buffer and
/// considered sent".
#[test]
fn acks_0_counts_records_as_sent_before_the_broker_has_them() {
    let mut s = scenario(3, 1, 1, 1);
    set(&mut s.producers[0].configs, "acks", "0");
    s.producers[0].workload = WorkloadSpec::iot(12, 1000, Some(120));
    // Every message takes exactly 500 ms.
    s.network = streamlab_engine::sim::LatencyModel { min_ms: 500, mean_ms: 500, jitter_ms: 0 };
    let mut sim = start(s);
    sim.run_until(SimTime(5_000));
    let tp = readings(0);
    let p = sim.producers().next().unwrap();
    // Records 0..=59 are due by 4995 ms and sent at due + linger.ms; the broker has appended
    // only those sent by 4500 ms (0..=53).
    assert_eq!((p.stats.records_acked, p.stats.requests_in_flight), (60, 0));
    assert_eq!(leo(&sim, 0, tp), 54);
    sim.run_until(SimTime(20_000));
    let p = sim.producers().next().unwrap();
    assert_eq!((p.stats.records_sent, p.stats.records_acked, p.stats.requests_in_flight), (120, 120, 0));
    assert_eq!(leo(&sim, 0, tp), 120);
    assert_eq!(ids(&sim, 0, tp), (0..120).map(Some).collect::<Vec<_>>());
}

/// `acks=1` (producer config docs): "the leader will write the record to its local log but
/// will respond without awaiting full acknowledgement from all followers ... if the leader
/// fails immediately after acknowledging the record but before the followers have replicated
/// it then the record will be lost"; the controller fences the leader after
/// `broker.session.timeout.ms` (9 s) and elects a leader from the ISR.
#[test]
fn acks_1_records_only_the_crashed_leader_had_are_lost() {
    let mut s = scenario(4, 3, 3, 1);
    set(&mut s.producers[0].configs, "acks", "1");
    let mut sim = start(s);
    let tp = readings(0);
    for f in ["broker-1", "broker-2"] {
        sim.apply(Command::SlowLink { node: "broker-0".into(), peer: f.into(), extra_ms: 20_000 }).unwrap();
    }
    sim.run_until(SimTime(5_000));
    // Readings 0..=59 (due by 4916 ms) are acknowledged by the leader alone.
    assert_eq!(acked(&sim), 60);
    assert_eq!((leo(&sim, 0, tp), leo(&sim, 1, tp), leo(&sim, 2, tp)), (60, 0, 0));
    sim.apply(Command::CrashBroker { broker: 0 }).unwrap();
    sim.run_until(SimTime(13_999));
    assert_eq!(reg(&sim, tp), (Some(0), vec![0, 1, 2], 0), "not fenced before broker.session.timeout.ms");
    sim.run_until(SimTime(20_000));
    // Last heartbeat at 4 s (+ latency), 9 s session: fenced at the controller's check at 14 s.
    assert_eq!(elections(&sim, tp), vec![(14_000, Some(0), Some(1), 1, "clean")]);
    assert_eq!(reg(&sim, tp), (Some(1), vec![1, 2], 1));
    let (lost, lost_ids) = sim.acknowledged_lost();
    assert_eq!(lost, 60);
    assert_eq!(lost_ids, (0..60).collect::<Vec<u64>>());
    let report = sim.report();
    assert_eq!((report.acknowledged_lost, report.failed), (60, 0));
}

/// `min.insync.replicas` (topic config docs): with `acks=all`, "if a minimum number of
/// replicas ... cannot be met then the producer will raise an exception (either
/// NotEnoughReplicas or NotEnoughReplicasAfterAppend)"; a follower that has not caught up for
/// `replica.lag.time.max.ms` (30 s) leaves the ISR.
#[test]
fn acks_all_with_min_insync_replicas_2_shrinks_then_refuses_writes_and_loses_nothing() {
    let mut s = scenario(5, 3, 3, 1);
    set(&mut s.topics[0].configs, "min.insync.replicas", 2);
    s.faults = vec![
        // Broker 2 still heartbeats to the controller but can no longer fetch from the leader.
        fault(5_000, Command::Isolate { node: "broker-2".into(), from: vec!["broker-0".into()] }),
        fault(61_000, Command::CrashBroker { broker: 1 }),
    ];
    let mut sim = start(s);
    let tp = readings(0);
    let mut checker = InvariantChecker::for_simulation(&sim);
    run_checked(&mut sim, &mut checker, 44_000);
    // The leader's ISR checks run every replica.lag.time.max.ms / 2: at 30 s broker 2 had been
    // behind for 25 s, at 45 s for 40 s.
    assert_eq!(reg(&sim, tp), (Some(0), vec![0, 1, 2], 0));
    let stuck = acked(&sim);
    run_checked(&mut sim, &mut checker, 46_000);
    assert_eq!(reg(&sim, tp), (Some(0), vec![0, 1], 0));
    assert_eq!(isr_changes(&sim, tp), vec![(vec![0, 1, 2], vec![0, 1])]);
    assert!(acked(&sim) > stuck, "the delayed acks=all produces complete once the ISR shrinks");
    let after_shrink = acked(&sim);
    run_checked(&mut sim, &mut checker, 61_000);
    assert!(acked(&sim) > after_shrink, "writes continue with 2 in-sync replicas");
    assert_eq!(count(&sim, "not_enough_replicas"), 0);
    run_checked(&mut sim, &mut checker, 70_100);
    // Broker 1 is fenced at 70 s and leaves the ISR: one in-sync replica, fewer than 2.
    assert_eq!(reg(&sim, tp), (Some(0), vec![0], 0));
    let frozen = acked(&sim);
    run_checked(&mut sim, &mut checker, 120_000);
    assert!(count(&sim, "not_enough_replicas") > 0);
    assert!(produce_failures(&sim).contains(&("NotEnoughReplicasException", true, 1)));
    assert_eq!(acked(&sim), frozen, "nothing is acknowledged with fewer than min.insync.replicas in sync");
    let report = sim.report();
    assert_eq!((report.acknowledged_lost, report.failed), (0, 0));
}

/// `NotEnoughReplicasAfterAppendException` (Kafka's `Partition.checkEnoughReplicasReachOffset`):
/// an `acks=all` produce appended while the ISR was large enough, then answered once the HW
/// reaches it with fewer than `min.insync.replicas` in the ISR, fails with this retriable error;
/// the records stay in the leader's log.
#[test]
fn isr_shrinking_under_a_waiting_produce_answers_not_enough_replicas_after_append() {
    let mut s = scenario(6, 2, 2, 1);
    set(&mut s.topics[0].configs, "min.insync.replicas", 2);
    s.faults = vec![fault(5_000, Command::CrashBroker { broker: 1 })];
    let mut sim = start(s);
    let tp = readings(0);
    let mut checker = InvariantChecker::for_simulation(&sim);
    run_checked(&mut sim, &mut checker, 13_900);
    // Readings 0..=59 were acknowledged; 60..=64 are appended, each its own request, and wait
    // for the dead follower (max.in.flight.requests.per.connection = 5).
    assert_eq!(acked(&sim), 60);
    assert_eq!((leo(&sim, 0, tp), hw(&sim, 0, tp)), (65, 60));
    assert_eq!(sim.producers().next().unwrap().stats.requests_in_flight, 5);
    run_checked(&mut sim, &mut checker, 20_000);
    assert_eq!(reg(&sim, tp), (Some(0), vec![0], 0));
    let failures = produce_failures(&sim);
    let after_append: Vec<_> = failures.iter().filter(|f| f.0 == "NotEnoughReplicasAfterAppendException").collect();
    assert_eq!(after_append, vec![&("NotEnoughReplicasAfterAppendException", true, 1); 5]);
    // Their retries are refused before the append: the log keeps the 5 records, once.
    assert!(failures.iter().any(|f| f.0 == "NotEnoughReplicasException"));
    assert_eq!((leo(&sim, 0, tp), hw(&sim, 0, tp), acked(&sim)), (65, 65, 60));
    assert_eq!(sim.report().acknowledged_lost, 0);
}

/// KIP-101 and KIP-279: a restarted replica asks the leader where its last leader epoch ends
/// and truncates what diverged; it then catches up and the leader adds it back to the ISR with
/// an AlterPartition request (KIP-497).
#[test]
fn restarted_replica_truncates_its_divergent_tail_catches_up_and_rejoins_the_isr() {
    let mut s = scenario(7, 3, 3, 1);
    set(&mut s.producers[0].configs, "acks", "1");
    let mut sim = start(s);
    let tp = readings(0);
    for f in ["broker-1", "broker-2"] {
        sim.apply(Command::SlowLink { node: "broker-0".into(), peer: f.into(), extra_ms: 2_000 }).unwrap();
    }
    sim.run_until(SimTime(5_000));
    let old_leader_end = leo(&sim, 0, tp);
    sim.apply(Command::CrashBroker { broker: 0 }).unwrap();
    sim.run_until(SimTime(14_100));
    assert_eq!(reg(&sim, tp), (Some(1), vec![1, 2], 1));
    // Where epoch 1 starts: the new leader's LEO when it took over.
    let epoch_1_start = sim
        .trace()
        .iter()
        .find_map(|e| match &e.event {
            TraceEvent::BecameLeader { broker: 1, partition, leader_epoch: 1, log_end_offset, .. }
                if *partition == tp =>
            {
                Some(log_end_offset.0)
            }
            _ => None,
        })
        .unwrap();
    assert!(epoch_1_start < old_leader_end, "broker 0 holds records no follower had");
    assert_eq!(truncations(&sim, tp), vec![]);
    for f in ["broker-1", "broker-2"] {
        sim.apply(Command::SlowLink { node: "broker-0".into(), peer: f.into(), extra_ms: 0 }).unwrap();
    }
    sim.run_until(SimTime(20_000));
    sim.apply(Command::RestartBroker { broker: 0 }).unwrap();
    sim.run_until(SimTime(20_100));
    assert_eq!(truncations(&sim, tp), vec![(0, old_leader_end, epoch_1_start, 0)]);
    sim.run_until(SimTime(30_000));
    assert_eq!(isr_changes(&sim, tp), vec![(vec![1, 2], vec![0, 1, 2])]);
    assert_eq!(reg(&sim, tp), (Some(1), vec![0, 1, 2], 1));
    let leader_ids = ids(&sim, 1, tp);
    assert_eq!(ids(&sim, 0, tp), leader_ids);
    assert_eq!(ids(&sim, 2, tp), leader_ids);
    assert_eq!(sim.acknowledged_lost().0, old_leader_end - epoch_1_start);
}

/// Crashes both followers of a single-partition RF 3 topic at 5 s (the ISR is down to the
/// leader once they are fenced at 14 s), keeps writing with `acks=1`, crashes the leader at
/// 40 s, restarts follower 1 at 50 s and the old leader at 60 s.
fn last_replica_standing(seed: u64, unclean: bool) -> Simulation {
    let mut s = scenario(seed, 3, 3, 1);
    set(&mut s.producers[0].configs, "acks", "1");
    set(&mut s.topics[0].configs, "unclean.leader.election.enable", unclean);
    s.faults = vec![
        fault(5_000, Command::CrashBroker { broker: 1 }),
        fault(5_000, Command::CrashBroker { broker: 2 }),
        fault(40_000, Command::CrashBroker { broker: 0 }),
        fault(50_000, Command::RestartBroker { broker: 1 }),
        fault(60_000, Command::RestartBroker { broker: 0 }),
    ];
    start(s)
}

/// `unclean.leader.election.enable=true` (topic config docs): "Indicates whether to enable
/// replicas not in the ISR set to be elected as leader as a last resort, even though doing so
/// may result in data loss".
#[test]
fn unclean_election_elects_an_out_of_sync_replica_and_loses_acknowledged_records() {
    let mut sim = last_replica_standing(8, true);
    let tp = readings(0);
    let mut checker = InvariantChecker::for_simulation(&sim);
    run_checked(&mut sim, &mut checker, 39_999);
    assert_eq!(reg(&sim, tp), (Some(0), vec![0], 0));
    let (leader_end, follower_end) = (leo(&sim, 0, tp), leo(&sim, 1, tp));
    assert!(follower_end < leader_end);
    assert_eq!(acked(&sim), leader_end, "acks=1: every record the leader appended is acknowledged");
    run_checked(&mut sim, &mut checker, 49_999);
    // Fenced at 48 s: no live replica, the partition is offline with its last ISR.
    assert_eq!(reg(&sim, tp), (None, vec![0], 0));
    run_checked(&mut sim, &mut checker, 50_100);
    assert_eq!(reg(&sim, tp), (Some(1), vec![1], 1));
    assert_eq!(
        elections(&sim, tp).iter().map(|e| (e.1, e.2, e.3, e.4)).collect::<Vec<_>>(),
        vec![(Some(0), None, 0, "offline"), (None, Some(1), 1, "unclean")]
    );
    let (lost, lost_ids) = sim.acknowledged_lost();
    assert_eq!(lost, leader_end - follower_end);
    let first_lost = replica_log(&sim, 0, tp).record_id_at(Offset(follower_end)).unwrap().0;
    assert_eq!(lost_ids[0], first_lost);
    // The old leader comes back as a follower and truncates to where epoch 0 ends on broker 1.
    run_checked(&mut sim, &mut checker, 70_000);
    assert_eq!(truncations(&sim, tp)[0], (0, leader_end, follower_end, 0));
    assert_eq!(sim.report().acknowledged_lost, lost);
}

/// With the default `unclean.leader.election.enable=false`, the controller waits for a
/// replica of the last ISR: the partition stays offline and nothing acknowledged is lost.
#[test]
fn without_unclean_election_the_partition_waits_for_its_last_in_sync_replica() {
    let mut sim = last_replica_standing(8, false);
    let tp = readings(0);
    let mut checker = InvariantChecker::for_simulation(&sim);
    run_checked(&mut sim, &mut checker, 39_999);
    let leader_end = leo(&sim, 0, tp);
    run_checked(&mut sim, &mut checker, 59_999);
    assert_eq!(reg(&sim, tp), (None, vec![0], 0), "broker 1 is back but out of sync: still offline");
    assert!(sim.log(tp).is_none());
    run_checked(&mut sim, &mut checker, 60_100);
    assert_eq!((reg(&sim, tp).0, reg(&sim, tp).2), (Some(0), 1));
    assert_eq!(
        elections(&sim, tp).iter().map(|e| (e.1, e.2, e.3, e.4)).collect::<Vec<_>>(),
        vec![(Some(0), None, 0, "offline"), (None, Some(0), 1, "clean")]
    );
    run_checked(&mut sim, &mut checker, 90_000);
    assert!(leo(&sim, 0, tp) > leader_end, "writes resume on the old leader");
    assert_eq!(reg(&sim, tp).1, vec![0, 1], "broker 1 caught up and rejoined");
    assert_eq!(truncations(&sim, tp), vec![]);
    assert_eq!(sim.report().acknowledged_lost, 0);
}

/// `kafka-leader-election.sh --election-type PREFERRED` (and `auto.leader.rebalance.enable`):
/// leadership goes back to the first assigned replica once it is alive and in the ISR.
#[test]
fn preferred_leader_election_moves_leadership_back_once_the_replica_is_in_sync() {
    let mut s = scenario(9, 3, 3, 1);
    s.faults =
        vec![fault(5_000, Command::CrashBroker { broker: 0 }), fault(20_000, Command::RestartBroker { broker: 0 })];
    let mut sim = start(s);
    let tp = readings(0);
    sim.run_until(SimTime(20_000));
    assert_eq!(reg(&sim, tp), (Some(1), vec![1, 2], 1));
    // Broker 0 runs again but is not in the ISR yet: nothing moves.
    sim.apply(Command::ElectPreferredLeaders).unwrap();
    assert_eq!(reg(&sim, tp), (Some(1), vec![1, 2], 1));
    sim.run_until(SimTime(30_000));
    assert_eq!(reg(&sim, tp), (Some(1), vec![0, 1, 2], 1));
    sim.apply(Command::ElectPreferredLeaders).unwrap();
    assert_eq!(reg(&sim, tp), (Some(0), vec![0, 1, 2], 2));
    assert_eq!(
        elections(&sim, tp).last().map(|e| (e.0, e.1, e.2, e.3, e.4)),
        Some((30_000, Some(1), Some(0), 2, "preferred"))
    );
    let before = leo(&sim, 0, tp);
    sim.run_until(SimTime(40_000));
    assert!(leo(&sim, 0, tp) > before, "the producer writes to the preferred leader");
    assert_eq!(ids(&sim, 1, tp), ids(&sim, 0, tp));
    let report = sim.report();
    assert_eq!((report.acknowledged_lost, report.failed), (0, 0));
}

/// `flush.messages` / `flush.ms` (topic config docs): by default Kafka never forces an fsync
/// and leaves it to the OS, so a machine that loses power loses the tail of the log that was
/// not written back; with `flush.messages=1` every record is fsynced as it is appended.
#[test]
fn power_loss_takes_the_unflushed_tail_unless_flush_messages_is_1() {
    for flush_every_record in [false, true] {
        let mut s = scenario(10, 1, 1, 1);
        if flush_every_record {
            set(&mut s.topics[0].configs, "flush.messages", 1);
        }
        let mut sim = start(s);
        let tp = readings(0);
        sim.run_until(SimTime(59_500));
        let log = replica_log(&sim, 0, tp);
        let (end, recovery_point) = (log.log_end_offset().0, log.recovery_point().0);
        let tail: Vec<u64> = (recovery_point..end).map(|o| log.record_id_at(Offset(o)).unwrap().0).collect();
        assert_eq!(acked(&sim), end, "RF 1, acks=all: acknowledged once appended");
        if flush_every_record {
            assert_eq!(recovery_point, end);
        } else {
            // The OS has written back what was appended 30 s before the last append:
            // readings 0..=353 (dirty_expire_centisecs).
            assert_eq!((recovery_point, end), (354, 714));
        }
        sim.apply(Command::PowerOffBroker { broker: 0 }).unwrap();
        sim.run_until(SimTime(59_600));
        let lost: Vec<(u64, u64)> = sim
            .trace()
            .iter()
            .filter_map(|e| match &e.event {
                TraceEvent::UnflushedLost { partition, records, log_end_offset, .. } if *partition == tp => {
                    Some((*records, log_end_offset.0))
                }
                _ => None,
            })
            .collect();
        // Nothing is decided while the partition has no running leader.
        assert_eq!(sim.acknowledged_lost().0, 0);
        if flush_every_record {
            assert_eq!(lost, vec![]);
            assert_eq!(leo(&sim, 0, tp), end);
        } else {
            assert_eq!(lost, vec![(end - recovery_point, recovery_point)]);
            assert_eq!(leo(&sim, 0, tp), recovery_point);
        }
        sim.apply(Command::RestartBroker { broker: 0 }).unwrap();
        sim.run_until(SimTime(70_000));
        // Leading again, from the log that lost its tail: the ledger counts what is gone, and
        // keeps the first 200 ids.
        let (acked_lost, acked_lost_ids) = sim.acknowledged_lost();
        if flush_every_record {
            assert_eq!(acked_lost, 0);
        } else {
            assert_eq!((acked_lost, &acked_lost_ids[..]), (end - recovery_point, &tail[..200]));
        }
        assert_eq!(sim.report().acknowledged_lost, end - recovery_point);
    }
}

/// The group coordinator is the leader of the group's `__consumer_offsets` partition
/// (`offsets.topic.replication.factor`, default 3): when its broker dies, the new leader loads
/// the committed offsets from the replicated log and the consumers find it with
/// FindCoordinator.
#[test]
fn group_coordinator_fails_over_with_its_committed_offsets() {
    let mut s = Scenario::iot_default(11, 3, 2);
    s.brokers = 3;
    s.topics[0].replication_factor = 3;
    s.consumer_groups[0].windows = None;
    let mut sim = start(s);
    sim.run_until(SimTime(30_000));
    let old = sim.coordinator_broker("g1").unwrap();
    let before = sim.group_state("g1").unwrap().offsets.clone();
    assert_eq!(before.len(), 3, "each partition has a committed offset");
    sim.apply(Command::CrashBroker { broker: old.0 }).unwrap();
    sim.run_until(SimTime(90_000));
    let new = sim.coordinator_broker("g1").unwrap();
    assert_ne!(new, old);
    let offsets_tp = sim.broker(new).unwrap().offsets_partition("g1");
    assert_eq!(sim.registration(offsets_tp).unwrap().leader_epoch, 1);
    let loaded: Vec<u32> = sim
        .trace()
        .iter()
        .filter(|e| e.time.0 > 30_000)
        .filter_map(|e| match &e.event {
            TraceEvent::CoordinatorLoaded { broker, .. } => Some(*broker),
            _ => None,
        })
        .collect();
    assert_eq!(loaded, vec![new.0]);
    // Until the controller fences it (9 s), the brokers still name the crashed broker, and the
    // consumers keep finding it; then each finds the new coordinator, and keeps it.
    let fenced_at = sim
        .trace()
        .iter()
        .find_map(|e| matches!(e.event, TraceEvent::BrokerFenced { broker } if broker == old.0).then_some(e.time.0))
        .unwrap();
    assert_eq!(fenced_at, 40_000);
    let mut last_found: BTreeMap<u32, u32> = BTreeMap::new();
    let mut found_new = BTreeSet::new();
    for e in sim.trace().iter().filter(|e| e.time.0 > 30_000) {
        if let TraceEvent::CoordinatorFound { consumer, broker } = e.event {
            last_found.insert(consumer.0, broker);
            if e.time.0 > fenced_at {
                found_new.insert(broker);
            }
        }
    }
    assert_eq!(last_found.len(), 2, "both consumers looked for the coordinator again");
    assert!(last_found.values().all(|b| *b == new.0), "{last_found:?}");
    assert_eq!(found_new, BTreeSet::from([new.0]));
    let after = &sim.group_state("g1").unwrap().offsets;
    for (tp, o) in &before {
        assert!(after[tp] >= *o, "{tp:?}: committed {} before the failover, {} after", o, after[tp]);
    }
    let report = sim.report();
    assert_eq!(report.groups[0].state, "Stable");
    assert_eq!((report.groups[0].outcome.lost, report.acknowledged_lost), (0, 0));
}

/// `retention.ms` (topic config docs) deletes whole segments whose newest record is older than
/// it, checked every `log.retention.check.interval.ms` (300 s); a consumer whose committed
/// offset is now below the log start offset gets OffsetOutOfRange and is reset by
/// `auto.offset.reset`.
#[test]
fn retention_moves_the_log_start_and_a_committed_offset_below_it_is_reset() {
    let mut s = Scenario::iot_default(12, 1, 1);
    s.run_ms = 600_000;
    set(&mut s.topics[0].configs, "retention.ms", 60_000);
    set(&mut s.topics[0].configs, "segment.ms", 10_000);
    s.consumer_groups[0].windows = None;
    // The group reads for 20 s, then has no member until after the retention check.
    s.faults = vec![
        fault(20_000, Command::CloseConsumer { client_id: "consumer-g1-1".into() }),
        fault(301_000, Command::AddConsumer { group_id: "g1".into() }),
    ];
    let mut sim = start(s);
    let tp = readings(0);
    sim.run_until(SimTime(299_999));
    let committed = sim.group_state("g1").unwrap().offsets[&tp];
    let log = replica_log(&sim, 0, tp);
    assert_eq!(log.log_start_offset(), Offset(0));
    // The first segment that keeps a record newer than 300 s - retention.ms.
    let bases = log.segment_base_offsets();
    let expected_start = bases
        .iter()
        .enumerate()
        .find(|(k, base)| {
            let end = bases.get(k + 1).map_or(log.log_end_offset(), |b| *b);
            (base.0..end.0).any(|o| log.record_at(Offset(o)).unwrap().timestamp_ms >= 240_000)
        })
        .map(|(_, b)| *b)
        .unwrap();
    let deleted = bases.iter().filter(|b| **b < expected_start).count() as u32;
    assert!(committed.0 > 0 && committed < expected_start, "committed {committed}, new log start {expected_start}");
    sim.run_until(SimTime(300_000));
    assert_eq!(replica_log(&sim, 0, tp).log_start_offset(), expected_start);
    let cleaned: Vec<(u32, Offset)> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::LogCleaned { partition, segments_deleted, log_start_offset, .. } if *partition == tp => {
                Some((*segments_deleted, *log_start_offset))
            }
            _ => None,
        })
        .collect();
    assert_eq!(cleaned, vec![(deleted, expected_start)]);
    sim.run_until(SimTime(320_000));
    // The new member starts at the committed offset, which is gone: reset to the earliest.
    let positions: Vec<(&str, u64)> = sim
        .trace()
        .iter()
        .filter(|e| e.time.0 >= 300_000)
        .filter_map(|e| match &e.event {
            TraceEvent::SettingOffset { partition, offset, .. } if *partition == tp => Some(("committed", offset.0)),
            TraceEvent::ResettingOffset { partition, offset, strategy, .. } if *partition == tp => {
                Some((*strategy, offset.0))
            }
            _ => None,
        })
        .collect();
    assert_eq!(positions, vec![("committed", committed.0), ("earliest", expected_start.0)]);
    // What retention deleted before the group read it is lost to the group, once it commits past.
    assert!(sim.group_state("g1").unwrap().offsets[&tp] > expected_start);
    assert_eq!(sim.report().groups[0].outcome.lost, expected_start.0 - committed.0);
}

/// `cleanup.policy=compact` (topic config docs, "Log Compaction" in the design docs): the
/// cleaner keeps at least the last record of every key, so a consumer reading from the start
/// sees the latest value of each key.
#[test]
fn compaction_keeps_the_latest_record_of_every_key_for_a_consumer_reading_from_the_start() {
    let mut s = Scenario::iot_default(13, 1, 0);
    s.brokers = 3;
    s.topics[0].replication_factor = 3;
    set(&mut s.topics[0].configs, "cleanup.policy", "compact");
    set(&mut s.topics[0].configs, "segment.ms", 10_000);
    s.consumer_groups[0].windows = None;
    let mut sim = start(s);
    let tp = readings(0);
    sim.run_until(SimTime(299_999));
    let leader = reg(&sim, tp).0.unwrap();
    let log = replica_log(&sim, leader, tp);
    let active_base = *log.segment_base_offsets().last().unwrap();
    // Before the cleaner: the last offset and record id of every key below the active segment.
    let mut latest: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for o in 0..active_base.0 {
        let r = log.record_at(Offset(o)).unwrap();
        latest.insert(r.key.unwrap().0, (o, r.record_id.0));
    }
    assert_eq!(latest.len(), 12);
    let before_end = log.log_end_offset();
    sim.run_until(SimTime(300_000));
    let log = replica_log(&sim, leader, tp);
    let cleaned: Vec<u64> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::LogCleaned { broker, partition, records_cleaned, .. }
                if *partition == tp && *broker == leader =>
            {
                Some(*records_cleaned)
            }
            _ => None,
        })
        .collect();
    assert_eq!(cleaned, vec![active_base.0 - 12]);
    // Below the active segment, exactly the latest record of each key is left.
    let kept: BTreeMap<u32, (u64, u64)> = (0..active_base.0)
        .filter_map(|o| log.record_at(Offset(o)).map(|r| (r.key.unwrap().0, (o, r.record_id.0))))
        .collect();
    assert_eq!(kept, latest);
    assert_eq!(log.log_end_offset(), before_end, "offsets are kept");
    // A consumer starting now reads from offset 0 and gets every record left.
    sim.apply(Command::AddConsumer { group_id: "g1".into() }).unwrap();
    sim.run_until(SimTime(320_000));
    let polled: Vec<(u64, u64)> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::Polled { partition, from, until, .. } if *partition == tp => Some((from.0, until.0)),
            _ => None,
        })
        .collect();
    let resets: Vec<u64> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::ResettingOffset { offset, .. } => Some(offset.0),
            _ => None,
        })
        .collect();
    assert_eq!(resets, vec![0], "auto.offset.reset=earliest: the log start offset");
    // The keys take turns, so the 12 records left below the active segment are its last 12:
    // the first poll from offset 0 skips the gap and starts at the first of them.
    let first_kept = latest.values().map(|(o, _)| *o).min().unwrap();
    assert_eq!((first_kept, polled[0].0), (active_base.0 - 12, first_kept));
    for (key, (offset, _)) in &latest {
        assert!(polled.iter().any(|(f, u)| (f..u).contains(&offset)), "key {key}: offset {offset} never polled");
    }
    let group = &sim.report().groups[0];
    let present = {
        let log = replica_log(&sim, leader, tp);
        (0..log.high_watermark().0).filter(|o| log.record_at(Offset(*o)).is_some()).count() as u64
    };
    assert_eq!((group.processed, group.outcome.duplicated), (present, 0));
}

/// `message.timestamp.type=LogAppendTime` (topic config docs): the broker overwrites each
/// record's timestamp with its own append time; with `CreateTime` the producer's stays.
#[test]
fn log_append_time_overwrites_timestamps_with_the_brokers_append_time() {
    for log_append_time in [false, true] {
        let mut s = scenario(14, 1, 1, 1);
        s.producers[0].workload = WorkloadSpec::iot(12, 1000, Some(60));
        let kind = if log_append_time { "LogAppendTime" } else { "CreateTime" };
        set(&mut s.topics[0].configs, "message.timestamp.type", kind);
        let mut sim = start(s);
        sim.run_until(SimTime(10_000));
        let tp = readings(0);
        let log = replica_log(&sim, 0, tp);
        let appends: Vec<(u64, u64, u32)> = sim
            .trace()
            .iter()
            .filter_map(|e| match &e.event {
                TraceEvent::Appended { partition, base_offset, records, .. } if *partition == tp => {
                    Some((e.time.0, base_offset.0, *records))
                }
                _ => None,
            })
            .collect();
        assert_eq!(appends.iter().map(|a| a.2 as u64).sum::<u64>(), 60);
        for (time, base, records) in appends {
            for o in base..base + records as u64 {
                let r = log.record_at(Offset(o)).unwrap();
                // Reading k is due (and stamped, with CreateTime) at k * 1000 / 12 ms.
                let create_time = r.record_id.0 * 1000 / 12;
                let expected = if log_append_time { time } else { create_time };
                assert_eq!(r.timestamp_ms, expected, "{kind}: offset {o}");
                assert!(time > create_time, "appended after linger.ms and the network");
            }
        }
    }
}

/// `max.message.bytes` (topic config docs): the largest record batch the broker accepts; a
/// larger one fails with the non-retriable `RecordTooLargeException`.
#[test]
fn a_batch_over_max_message_bytes_fails_with_record_too_large() {
    let mut s = scenario(15, 1, 1, 1);
    s.producers[0].workload = WorkloadSpec::iot(12, 1000, Some(24));
    // An IoT reading is 58 bytes: even a batch of one is too large.
    set(&mut s.topics[0].configs, "max.message.bytes", 50);
    let mut sim = start(s);
    sim.run_until(SimTime(10_000));
    let report = sim.report();
    assert_eq!((report.produced, report.acknowledged, report.failed), (24, 0, 24));
    let failures = produce_failures(&sim);
    assert!(failures.iter().all(|f| (f.0, f.1) == ("RecordTooLargeException", false)), "{failures:?}");
    assert_eq!(failures.iter().map(|f| f.2 as u64).sum::<u64>(), 24);
    assert_eq!(report.events["produce_failed"], failures.len() as u64);
    assert_eq!(leo(&sim, 0, readings(0)), 0);
}

/// The leader of a single-partition RF 3 topic (`acks=1`, followers 2 s behind) is cut off
/// from every node at 5 s and healed at 20 s.
fn isolated_leader(seed: u64) -> Scenario {
    let mut s = scenario(seed, 3, 3, 1);
    set(&mut s.producers[0].configs, "acks", "1");
    let slow = |extra_ms| {
        ["broker-1", "broker-2"].map(|f| Command::SlowLink { node: "broker-0".into(), peer: f.into(), extra_ms })
    };
    s.faults = slow(2_000).into_iter().map(|c| fault(0, c)).collect();
    s.faults.push(fault(5_000, Command::Isolate { node: "broker-0".into(), from: vec![] }));
    s.faults.push(fault(20_000, Command::Heal { node: "broker-0".into() }));
    s.faults.extend(slow(0).into_iter().map(|c| fault(20_000, c)));
    s
}

/// KRaft fencing (`broker.session.timeout.ms`): a leader cut off from the controller is fenced
/// and replaced; once healed it learns the new leader epoch, truncates what it took alone
/// (KIP-101 / KIP-279) and follows.
#[test]
fn an_isolated_leader_is_replaced_and_truncates_its_acks_1_writes_after_the_heal() {
    let mut sim = start(isolated_leader(16));
    let tp = readings(0);
    sim.run_until(SimTime(14_100));
    assert_eq!(elections(&sim, tp), vec![(14_000, Some(0), Some(1), 1, "clean")]);
    assert_eq!(reg(&sim, tp), (Some(1), vec![1, 2], 1));
    // The old leader has heard nothing: it still leads epoch 0 in its own eyes.
    assert_eq!(sim.broker(BrokerId(0)).unwrap().replicas[&tp].leading_epoch, Some(0));
    let old_end = leo(&sim, 0, tp);
    let epoch_1_start = sim
        .trace()
        .iter()
        .find_map(|e| match &e.event {
            TraceEvent::BecameLeader { broker: 1, partition, leader_epoch: 1, log_end_offset, .. }
                if *partition == tp =>
            {
                Some(log_end_offset.0)
            }
            _ => None,
        })
        .unwrap();
    assert!(epoch_1_start < old_end);
    let alone: Vec<u64> =
        (epoch_1_start..old_end).map(|o| replica_log(&sim, 0, tp).record_id_at(Offset(o)).unwrap().0).collect();
    sim.run_until(SimTime(19_999));
    assert_eq!(leo(&sim, 0, tp), old_end, "isolated: no write reaches it");
    sim.run_until(SimTime(40_000));
    assert_eq!(truncations(&sim, tp), vec![(0, old_end, epoch_1_start, 0)]);
    assert_eq!(sim.broker(BrokerId(0)).unwrap().replicas[&tp].leading_epoch, None);
    assert_eq!(reg(&sim, tp), (Some(1), vec![0, 1, 2], 1));
    assert_eq!(ids(&sim, 0, tp), ids(&sim, 1, tp));
    // What it acknowledged alone is lost: acks=1.
    let (lost, lost_ids) = sim.acknowledged_lost();
    assert!(lost > 0);
    assert!(lost_ids.iter().all(|id| alone.contains(id)), "{lost_ids:?} not among {alone:?}");
}

/// The same scenario and seed give the same trace (DESIGN.md, "Determinism"), faults and all.
#[test]
fn a_replicated_run_with_faults_is_deterministic() {
    let run = || {
        let mut s = isolated_leader(17);
        s.faults.push(fault(30_000, Command::CrashBroker { broker: 2 }));
        s.faults.push(fault(45_000, Command::RestartBroker { broker: 2 }));
        s.faults.push(fault(50_000, Command::ElectPreferredLeaders));
        let mut sim = Simulation::new(s).unwrap();
        sim.run_until(SimTime(60_000));
        (sim.trace_hash(), sim.report())
    };
    let (a, b) = (run(), run());
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert!(a.1.events["truncated"] > 0 && a.1.events["leader_elected"] >= 2);
}

/// Kafka's `AlterPartitionManager` (KIP-497) sends an AlterPartition that got no answer
/// again: an ISR shrink due while the leader cannot reach the controller (for less than
/// `broker.session.timeout.ms`) happens once it can.
#[test]
fn an_isr_shrink_sent_while_the_controller_is_unreachable_happens_after_the_heal() {
    let mut s = scenario(18, 3, 3, 1);
    s.faults = vec![
        fault(5_000, Command::Isolate { node: "broker-2".into(), from: vec!["broker-0".into()] }),
        // The leader's ISR check at 45 s sends its AlterPartition into the cut.
        fault(44_000, Command::Isolate { node: "broker-0".into(), from: vec!["controller".into()] }),
        // Heals the controller's links only: broker 2 stays cut off from the leader.
        fault(47_000, Command::Heal { node: "controller".into() }),
    ];
    let mut sim = start(s);
    let tp = readings(0);
    sim.run_until(SimTime(47_000));
    assert_eq!(reg(&sim, tp), (Some(0), vec![0, 1, 2], 0), "not fenced: the cut is shorter than 9 s");
    // Sent again after controller.socket.timeout.ms (30 s), at the ISR check at 75 s.
    sim.run_until(SimTime(74_999));
    assert_eq!(reg(&sim, tp), (Some(0), vec![0, 1, 2], 0));
    sim.run_until(SimTime(75_100));
    assert_eq!(reg(&sim, tp), (Some(0), vec![0, 1], 0));
    assert_eq!(isr_changes(&sim, tp), vec![(vec![0, 1, 2], vec![0, 1])]);
    assert_eq!(count(&sim, "alter_partition_failed"), 0);
}

/// KRaft brokers replay the metadata log (KIP-500, KIP-631): a broker cut off from the
/// controller for less than `broker.session.timeout.ms` catches up with the changes it missed
/// once the link heals, here a new leader, and follows it.
#[test]
fn a_broker_that_missed_a_leader_change_catches_up_with_the_metadata_after_the_heal() {
    let mut s = scenario(19, 3, 3, 1);
    s.faults = vec![
        fault(3_000, Command::CrashBroker { broker: 0 }),
        // Broker 2 misses the election at 12 s; its last heartbeat before the cut is at 10 s,
        // so it is healed before its own session runs out.
        fault(10_500, Command::Isolate { node: "broker-2".into(), from: vec!["controller".into()] }),
        fault(16_000, Command::Heal { node: "broker-2".into() }),
    ];
    let mut sim = start(s);
    let tp = readings(0);
    sim.run_until(SimTime(15_999));
    assert_eq!(reg(&sim, tp), (Some(1), vec![1, 2], 1));
    assert_eq!(sim.broker(BrokerId(2)).unwrap().replicas[&tp].registration.leader, Some(BrokerId(0)), "stale");
    assert_eq!(count(&sim, "broker_fenced"), 1, "only broker 0 was fenced");
    // Its next heartbeat (at 16 s) tells the controller it is behind; it gets the metadata.
    sim.run_until(SimTime(16_100));
    assert_eq!(sim.broker(BrokerId(2)).unwrap().replicas[&tp].registration.leader, Some(BrokerId(1)));
    sim.run_until(SimTime(60_000));
    assert_eq!(count(&sim, "broker_fenced"), 1);
    assert_eq!(isr_changes(&sim, tp), vec![], "broker 2 never fell out of sync");
    assert_eq!(reg(&sim, tp), (Some(1), vec![1, 2], 1));
    assert_eq!(ids(&sim, 2, tp), ids(&sim, 1, tp));
}

/// A consumer whose ListOffsets or OffsetFetch went to a broker that then crashed asks again
/// (the Java client fails every request in flight on a dropped connection and retries): every
/// partition of a 3-broker, RF 3 run gets a position and is read to its end.
#[test]
fn consumers_read_every_partition_after_the_leader_crashes_at_start() {
    let mut s = Scenario::iot_default(42, 6, 3);
    s.brokers = 3;
    s.topics[0].replication_factor = 3;
    s.faults =
        vec![fault(100, Command::CrashBroker { broker: 0 }), fault(20_000, Command::RestartBroker { broker: 0 })];
    let mut sim = start(s);
    sim.run_until(SimTime(60_000));
    let r = sim.report();
    let g = &r.groups[0];
    assert_eq!(g.committed.len(), 6, "every partition has a committed offset: {:?}", g.committed);
    assert_eq!(g.outcome.lost, 0);
    assert!(g.outcome.pending < 30, "the group keeps up: {} pending", g.outcome.pending);
    for c in sim.consumers() {
        for tp in &c.assignment {
            assert!(c.positions.contains_key(tp), "{} has no position on {:?}", c.client_id, tp);
        }
    }
}
