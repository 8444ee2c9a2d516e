//! Scenario-level behaviour of consumer groups against Kafka 4.x's classic protocol: who leads,
//! each rebalance trigger with its generation, `max.poll.interval.ms`, static membership
//! (KIP-345), eager against cooperative rebalancing (KIP-429), the order `poll()` returns
//! buffered records in, and `auto.offset.reset=none`. Every test asserts exact members,
//! generations, offsets or counts.

use serde_json::Value;
use streamlab_engine::consumer::CommitMode;
use streamlab_engine::protocol::RebalanceTrigger;
use streamlab_engine::sim::TraceCapacity;
use streamlab_engine::{Command, Scenario, SimTime, Simulation, TopicId, TopicPartition, TraceEvent};

/// The IoT scenario with `partitions` partitions and `members` consumers of group `g1`,
/// committing after processing, 5 ms of work per record.
fn scenario(partitions: u32, members: u32) -> Scenario {
    let mut s = Scenario::iot_default(7, partitions, members);
    let g = &mut s.consumer_groups[0];
    g.commit_mode = CommitMode::AfterProcessing;
    g.processing_ms_per_record = 5;
    g.windows = None;
    set(&mut s, "enable.auto.commit", false);
    s.run_ms = 120_000;
    s
}

fn set(s: &mut Scenario, key: &str, value: impl Into<Value>) {
    s.consumer_groups[0].configs.insert(key.to_string(), value.into());
}

fn start(s: Scenario) -> Simulation {
    let mut sim = Simulation::new(s).unwrap();
    sim.set_trace_capacity(TraceCapacity { recent: 1_000_000, info: 100_000 });
    sim
}

fn tp(p: u32) -> TopicPartition {
    TopicPartition::new(TopicId(0), p)
}

/// Every rebalance the coordinator started: (time ms, trigger, generation it ends).
fn rebalances(sim: &Simulation) -> Vec<(u64, RebalanceTrigger, u32)> {
    sim.trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::PreparingRebalance { trigger, generation_id, .. } => Some((e.time.0, *trigger, *generation_id)),
            _ => None,
        })
        .collect()
}

/// The generations the group stabilised at, in order.
fn generations(sim: &Simulation) -> Vec<(u32, usize)> {
    sim.trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::GroupStabilized { generation_id, members, .. } => Some((*generation_id, *members)),
            _ => None,
        })
        .collect()
}

fn at(sim: &mut Simulation, ms: u64, command: Command) {
    sim.run_until(SimTime(ms));
    sim.apply(command).unwrap();
}

/// `ClassicGroup.add`: the first member added leads, whatever its id; ids sort otherwise.
#[test]
fn the_first_member_to_join_leads_the_group() {
    for seed in 1..=20 {
        let mut s = scenario(6, 3);
        s.seed = seed;
        let mut sim = start(s);
        sim.run_until(SimTime(10_000));
        let first_added = sim
            .trace()
            .iter()
            .find_map(|e| match &e.event {
                TraceEvent::PreparingRebalance { reason, .. } => reason
                    .strip_prefix("Adding new member ")
                    .and_then(|r| r.strip_suffix(" with group instance id null"))
                    .map(str::to_string),
                _ => None,
            })
            .expect("a first member");
        let leader = sim.group_state("g1").unwrap().leader.clone().unwrap();
        assert_eq!(leader, first_added, "seed {seed}");
    }
}

/// Kafka's rebalance triggers, one after another on one group, each named in the trace and
/// each ending in the next generation: a member joins (`AddConsumer`), leaves (`close()`),
/// stops heartbeating (a crash, after `session.timeout.ms`) and stops polling (a pause past
/// `max.poll.interval.ms`).
#[test]
fn each_trigger_starts_a_rebalance_named_after_it() {
    let mut s = scenario(6, 3);
    set(&mut s, "max.poll.interval.ms", 20_000);
    set(&mut s, "session.timeout.ms", 10_000);
    let mut sim = start(s);
    at(&mut sim, 10_000, Command::AddConsumer { group_id: "g1".into() });
    at(&mut sim, 20_000, Command::CloseConsumer { client_id: "consumer-g1-4".into() });
    at(&mut sim, 30_000, Command::CrashConsumer { client_id: "consumer-g1-3".into() });
    at(&mut sim, 50_000, Command::PauseConsumer { client_id: "consumer-g1-2".into(), duration_ms: 40_000 });
    sim.run_until(SimTime(80_000));
    let triggers: Vec<(RebalanceTrigger, u32)> = rebalances(&sim).iter().map(|(_, t, g)| (*t, *g)).collect();
    assert_eq!(
        triggers,
        [
            (RebalanceTrigger::MemberJoined, 0),
            (RebalanceTrigger::MemberJoined, 1),
            (RebalanceTrigger::MemberLeft, 2),
            (RebalanceTrigger::SessionTimeout, 3),
            (RebalanceTrigger::PollTimeout, 4),
        ]
    );
    assert_eq!(generations(&sim), [(1, 3), (2, 4), (3, 3), (4, 2), (5, 1)]);
    // The session runs from the last heartbeat (every 3 s) before the crash at 30 s; the poll
    // timeout from the last poll() before the pause at 50 s.
    let times: Vec<u64> = rebalances(&sim).iter().map(|(t, _, _)| *t).collect();
    assert!((37_000..=40_000).contains(&times[3]), "{times:?}");
    assert!((69_000..=70_100).contains(&times[4]), "{times:?}");
}

/// `max.poll.interval.ms`: the member whose application stalls leaves (its heartbeat thread
/// sends LeaveGroup), the group rebalances, another member reprocesses the stalled batch, and
/// the stalled member's commit after it fails with CommitFailedException; at its next poll()
/// its partitions are lost and it joins again as a new member.
#[test]
fn a_member_past_max_poll_interval_leaves_and_its_late_commit_fails() {
    let mut s = scenario(2, 2);
    set(&mut s, "max.poll.interval.ms", 10_000);
    set(&mut s, "max.poll.records", 50);
    s.consumer_groups[0].processing_ms_per_record = 100;
    let mut sim = start(s);
    sim.run_until(SimTime(20_000));
    let slow = "consumer-g1-1";
    let slow_node = sim.catalog().node_id(slow).unwrap();
    let stalled_batch: u64 = sim
        .trace()
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            TraceEvent::Polled { consumer, from, until, .. } if *consumer == slow_node => Some(until.0 - from.0),
            _ => None,
        })
        .unwrap();
    sim.apply(Command::PauseConsumer { client_id: slow.into(), duration_ms: 15_000 }).unwrap();
    sim.run_until(SimTime(60_000));
    let events: Vec<(u64, &TraceEvent)> = sim.trace().iter().map(|e| (e.time.0, &e.event)).collect();
    let expired = events
        .iter()
        .position(|(_, e)| matches!(e, TraceEvent::PollTimeoutExpired { consumer, max_poll_interval_ms: 10_000 } if *consumer == slow_node))
        .expect("the poll timeout expired");
    let left = events[expired..]
        .iter()
        .position(|(_, e)| matches!(e, TraceEvent::MemberLeft { trigger: RebalanceTrigger::PollTimeout, .. }))
        .expect("LeaveGroup reached the coordinator");
    let failed = events[expired..]
        .iter()
        .position(
            |(_, e)| matches!(e, TraceEvent::CommitFailed { consumer, error: "CommitFailedException" } if *consumer == slow_node),
        )
        .expect("the late commit failed");
    assert!(failed > left);
    let lost = events[expired..]
        .iter()
        .position(|(_, e)| matches!(e, TraceEvent::PartitionsLost { consumer, .. } if *consumer == slow_node))
        .expect("its partitions are lost at its next poll()");
    assert!(lost > failed);
    let triggers: Vec<RebalanceTrigger> = rebalances(&sim).iter().map(|(_, t, _)| *t).collect();
    assert_eq!(
        triggers,
        [RebalanceTrigger::MemberJoined, RebalanceTrigger::PollTimeout, RebalanceTrigger::MemberJoined]
    );
    assert_eq!(generations(&sim), [(1, 2), (2, 1), (3, 2)]);
    let o = &sim.report().groups[0].outcome;
    assert_eq!(o.lost, 0);
    assert!(stalled_batch > 0);
    assert_eq!(o.duplicated, stalled_batch, "the stalled batch was processed twice");
}

/// KIP-345: a static member that restarts within `session.timeout.ms` takes its place back
/// with no rebalance; a dynamic one causes two (its new self joins, its old self times out).
#[test]
fn a_static_member_restarted_within_the_session_timeout_causes_no_rebalance() {
    let run = |static_membership: bool| {
        let mut s = scenario(4, 2);
        s.consumer_groups[0].static_membership = static_membership;
        set(&mut s, "session.timeout.ms", 30_000);
        let mut sim = start(s);
        at(&mut sim, 20_000, Command::CrashConsumer { client_id: "consumer-g1-2".into() });
        at(&mut sim, 30_000, Command::RestartConsumer { client_id: "consumer-g1-2".into() });
        sim.run_until(SimTime(90_000));
        sim
    };
    let sim = run(true);
    assert_eq!(generations(&sim), [(1, 2)], "one generation, never a rebalance");
    let replaced = sim.trace().iter().filter(|e| matches!(e.event, TraceEvent::StaticMemberReplaced { .. })).count();
    assert_eq!(replaced, 1);
    let g = sim.group_state("g1").unwrap();
    assert_eq!(g.static_members.keys().collect::<Vec<_>>(), ["consumer-g1-1", "consumer-g1-2"]);
    let report = sim.report();
    assert_eq!(report.groups[0].outcome.lost, 0);

    // Dynamic: the restarted process is a new member, and the rebalance it starts waits for
    // the old one until its session expires (removed then, without a rebalance of its own).
    let sim = run(false);
    let r = rebalances(&sim);
    assert_eq!(r.iter().map(|(_, t, _)| *t).collect::<Vec<_>>(), [RebalanceTrigger::MemberJoined; 2]);
    assert_eq!(generations(&sim), [(1, 2), (2, 2)]);
    let expired = sim.trace().iter().find(|e| matches!(e.event, TraceEvent::MemberSessionExpired { .. })).unwrap();
    assert!((47_000..=50_000).contains(&expired.time.0));
}

/// A static member that does not come back is removed when its session expires.
#[test]
fn a_static_member_gone_for_good_is_removed_at_its_session_timeout() {
    let mut s = scenario(4, 2);
    s.consumer_groups[0].static_membership = true;
    set(&mut s, "session.timeout.ms", 30_000);
    let mut sim = start(s);
    at(&mut sim, 20_000, Command::CrashConsumer { client_id: "consumer-g1-2".into() });
    sim.run_until(SimTime(90_000));
    let r = rebalances(&sim);
    assert_eq!(r.len(), 2);
    assert_eq!(r[1].1, RebalanceTrigger::SessionTimeout);
    assert!((47_000..=50_000).contains(&r[1].0), "30 s after the last heartbeat before the crash: {r:?}");
    assert_eq!(generations(&sim), [(1, 2), (2, 1)]);
}

/// `poll()` drains buffered records in the order their fetches completed (the Java client's
/// `FetchCollector`), so a partition refilled while another still has records waits its turn.
#[test]
fn poll_returns_records_in_fetch_completion_order() {
    let mut s = scenario(2, 1);
    set(&mut s, "max.poll.records", 5);
    // Start late, so that both partitions hold a backlog.
    s.consumer_groups[0].members = 0;
    let mut sim = start(s);
    at(&mut sim, 30_000, Command::AddConsumer { group_id: "g1".into() });
    sim.run_until(SimTime(60_000));
    let polled: Vec<(u32, u64, u64)> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::Polled { partition, from, until, .. } => Some((partition.partition.0, from.0, until.0)),
            _ => None,
        })
        .collect();
    // A partition's run is never cut by the other while it still has buffered records: the
    // runs alternate, and each ends where a fetch's records ended.
    let mut runs: Vec<(u32, u64, u64)> = vec![];
    for (p, from, until) in polled {
        match runs.last_mut() {
            Some((q, _, end)) if *q == p && *end == from => *end = until,
            _ => runs.push((p, from, until)),
        }
    }
    assert!(runs.len() >= 4, "{runs:?}");
    for pair in runs.windows(2) {
        assert_ne!(pair[0].0, pair[1].0, "runs alternate between the partitions: {runs:?}");
    }
    assert_eq!(runs[0].1, 0);
    assert_eq!(runs[1].1, 0);
    assert_eq!(tp(0).partition.0, runs[0].0);
}

/// `auto.offset.reset=none`: with no committed offset, poll() throws
/// NoOffsetForPartitionException and the application stops.
#[test]
fn auto_offset_reset_none_without_a_committed_offset_stops_the_consumer() {
    let mut s = scenario(2, 1);
    set(&mut s, "auto.offset.reset", "none");
    let mut sim = start(s);
    sim.run_until(SimTime(20_000));
    let thrown: Vec<Vec<TopicPartition>> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::NoOffsetForPartition { partitions, .. } => Some(partitions.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(thrown, [vec![tp(0), tp(1)]]);
    assert_eq!(sim.report().groups[0].processed, 0);
    assert!(sim.consumers().all(|c| !c.is_alive()));
}

/// Eager: every member revokes everything at each rebalance. Cooperative (KIP-429): a member
/// keeps what it keeps, revokes only what moves, and a second round hands that out.
#[test]
fn cooperative_rebalancing_revokes_only_the_partitions_that_move() {
    let run = |strategy: &str| {
        let mut s = scenario(6, 2);
        set(&mut s, "partition.assignment.strategy", strategy);
        let mut sim = start(s);
        at(&mut sim, 20_000, Command::AddConsumer { group_id: "g1".into() });
        sim.run_until(SimTime(40_000));
        let revoked: usize = sim
            .trace()
            .iter()
            .filter(|e| e.time.0 >= 20_000)
            .map(|e| match &e.event {
                TraceEvent::PartitionsRevoked { partitions, .. } => partitions.len(),
                _ => 0,
            })
            .sum();
        (sim, revoked)
    };
    let (eager, eager_revoked) = run("org.apache.kafka.clients.consumer.RangeAssignor");
    assert_eq!(eager_revoked, 6, "eager: both members revoke all they own");
    assert_eq!(generations(&eager).len(), 2);
    let (coop, coop_revoked) = run("org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    assert_eq!(coop_revoked, 2, "cooperative: one partition from each old member moves");
    let triggers: Vec<RebalanceTrigger> = rebalances(&coop).iter().map(|(_, t, _)| *t).collect();
    assert_eq!(
        triggers,
        [RebalanceTrigger::MemberJoined, RebalanceTrigger::MemberJoined, RebalanceTrigger::CooperativeRejoin]
    );
    for c in coop.consumers() {
        assert_eq!(c.assignment.len(), 2, "{}: balanced after the second round", c.client_id);
    }
    // Unconsumed time, summed over the partitions the rebalances after 20 s handed out.
    let unconsumed = |sim: &Simulation| -> (usize, u64) {
        let tl = sim.rebalance_timeline("g1");
        let after: Vec<_> = tl.iter().filter(|r| r.started_ms >= 20_000).collect();
        (
            after.iter().map(|r| r.unconsumed_ms.len()).sum(),
            after.iter().flat_map(|r| &r.unconsumed_ms).map(|(_, ms)| ms).sum(),
        )
    };
    // Eager stops all six partitions, but only for the JoinGroup round trip: both old members
    // learn of the rebalance at the same heartbeat and rejoin at once. Cooperative stops only
    // the two that move, but each waits for the second round, which every member learns of at
    // its next heartbeat (heartbeat.interval.ms, 3 s): more unconsumed time in all here, none
    // for the four partitions that stay.
    assert_eq!(unconsumed(&eager), (6, 64), "eager: partitions, total unconsumed ms");
    assert_eq!(unconsumed(&coop), (2, 6027), "cooperative: partitions, total unconsumed ms");
}

/// Two groups on one topic each read every record with their own offsets (the `second_group`
/// setting the presets offer).
#[test]
fn a_second_group_reads_every_record_with_its_own_offsets() {
    use streamlab_engine::session::{apply_settings, Settings};
    let mut s = Scenario::iot_default(3, 4, 2);
    s.producers[0].workload = streamlab_engine::scenario::WorkloadSpec::iot(12, 1000, Some(600));
    apply_settings(&mut s, &Settings::from([("second_group".to_string(), Value::from(3))]), "settings").unwrap();
    assert_eq!(
        s.consumer_groups.iter().map(|g| (g.group_id.as_str(), g.members)).collect::<Vec<_>>(),
        [("g1", 2), ("g2", 3)]
    );
    let mut sim = start(s);
    sim.run_until(SimTime(120_000));
    for g in ["g1", "g2"] {
        let o = sim.outcome(g);
        assert_eq!((o.processed_once, o.duplicated, o.lost), (600, 0, 0), "group {g}");
    }
    assert_eq!(sim.group_state("g2").unwrap().members.len(), 3);
}

/// Metadata-driven triggers: the group learns of a change only at a metadata refresh
/// (`metadata.max.age.ms`, 10 s here), and its leader (or, for a pattern, any member) rejoins.
fn metadata_scenario() -> Scenario {
    let mut s = scenario(4, 2);
    set(&mut s, "metadata.max.age.ms", 10_000);
    s.producers[0].configs.insert("metadata.max.age.ms".into(), 10_000.into());
    s
}

fn triggers_after(sim: &Simulation, ms: u64) -> Vec<(u64, RebalanceTrigger, u32)> {
    rebalances(sim).into_iter().filter(|(t, _, _)| *t >= ms).collect()
}

fn owners(sim: &Simulation) -> Vec<(String, Vec<String>)> {
    sim.consumers()
        .map(|c| (c.client_id.clone(), c.assignment.iter().map(|tp| sim.catalog().partition_name(*tp)).collect()))
        .collect()
}

#[test]
fn partitions_added_to_a_subscribed_topic_start_a_rebalance_at_the_leaders_next_refresh() {
    let mut sim = start(metadata_scenario());
    at(&mut sim, 20_000, Command::CreatePartitions { topic: "readings".into(), count: 6 });
    sim.run_until(SimTime(60_000));
    let after = triggers_after(&sim, 20_000);
    assert_eq!(after.len(), 1, "{after:?}");
    let (t, trigger, generation) = after[0];
    assert_eq!((trigger, generation), (RebalanceTrigger::PartitionsAdded, 1));
    assert!((20_000..=30_100).contains(&t), "within one metadata.max.age.ms: {t}");
    assert_eq!(
        owners(&sim),
        [
            ("consumer-g1-1".to_string(), vec!["readings-0".into(), "readings-1".into(), "readings-2".into()]),
            ("consumer-g1-2".to_string(), vec!["readings-3".into(), "readings-4".into(), "readings-5".into()]),
        ]
    );
    // The producer's keys now spread over six partitions, and the new ones are read.
    let o = sim.outcome("g1");
    assert_eq!((o.duplicated, o.lost), (0, 0));
    // Of the twelve sensor keys, murmur2 sends two to partition 5 and none to 4.
    assert!(sim.log(tp(5)).unwrap().log_end_offset().0 > 0, "readings-5 got records");
    assert_eq!(sim.log(tp(4)).unwrap().log_end_offset().0, 0);
    assert_eq!(sim.report().events["partitions_created"], 1);
}

fn create_topic(name: &str, partitions: u32) -> Command {
    Command::CreateTopic { topic: name.into(), partitions, replication_factor: 1, configs: Default::default() }
}

fn assigned(sim: &Simulation) -> Vec<String> {
    let mut all: Vec<String> = owners(sim).into_iter().flat_map(|(_, ps)| ps).collect();
    all.sort();
    all
}

#[test]
fn a_subscribed_topic_created_later_starts_a_rebalance() {
    let mut s = metadata_scenario();
    s.consumer_groups[0].topics.push("alerts".into());
    s.faults.push(streamlab_engine::command::TimedCommand { at_ms: 20_000, command: create_topic("alerts", 2) });
    let mut sim = start(s);
    sim.run_until(SimTime(60_000));
    let after = triggers_after(&sim, 20_000);
    assert_eq!(after.iter().map(|r| (r.1, r.2)).collect::<Vec<_>>(), [(RebalanceTrigger::TopicCreated, 1)]);
    assert!(after[0].0 <= 30_100, "{after:?}");
    assert!(assigned(&sim).contains(&"alerts-0".to_string()) && assigned(&sim).contains(&"alerts-1".to_string()));
    assert_eq!(generations(&sim).last(), Some(&(2, 2)));
}

#[test]
fn a_deleted_topic_leaves_the_assignment_after_a_rebalance() {
    let mut s = metadata_scenario();
    s.topics.push(streamlab_engine::scenario::TopicSpec {
        name: "alerts".into(),
        partitions: 2,
        replication_factor: 1,
        configs: Default::default(),
    });
    s.consumer_groups[0].topics.push("alerts".into());
    let mut sim = start(s);
    sim.run_until(SimTime(19_000));
    assert_eq!(assigned(&sim).len(), 6);
    at(&mut sim, 20_000, Command::DeleteTopic { topic: "alerts".into() });
    sim.run_until(SimTime(60_000));
    let after = triggers_after(&sim, 20_000);
    assert_eq!(after.iter().map(|r| (r.1, r.2)).collect::<Vec<_>>(), [(RebalanceTrigger::TopicDeleted, 1)]);
    assert_eq!(assigned(&sim), ["readings-0", "readings-1", "readings-2", "readings-3"]);
    // The producer's topic cannot be deleted here.
    assert!(sim
        .apply(Command::DeleteTopic { topic: "readings".into() })
        .unwrap_err()
        .to_string()
        .contains("producers write"));
}

#[test]
fn a_new_topic_matching_a_subscribed_pattern_starts_a_rebalance() {
    let mut s = metadata_scenario();
    s.consumer_groups[0].topics = vec![];
    s.consumer_groups[0].topic_pattern = Some("readings|alerts-.*".into());
    let mut sim = start(s);
    sim.run_until(SimTime(19_000));
    assert_eq!(assigned(&sim).len(), 4, "the pattern matches readings");
    at(&mut sim, 20_000, create_topic("alerts-eu", 2));
    at(&mut sim, 21_000, create_topic("audit", 2));
    sim.run_until(SimTime(60_000));
    let after = triggers_after(&sim, 20_000);
    assert_eq!(after.iter().map(|r| (r.1, r.2)).collect::<Vec<_>>(), [(RebalanceTrigger::PatternMatched, 1)]);
    let all = assigned(&sim);
    assert_eq!(all.len(), 6, "{all:?}");
    assert!(!all.iter().any(|p| p.starts_with("audit")), "audit does not match");
}

#[test]
fn admin_commands_refuse_bad_input_with_kafkas_errors() {
    let mut sim = start(metadata_scenario());
    for (command, expected) in [
        (
            Command::CreatePartitions { topic: "readings".into(), count: 4 },
            "count: InvalidPartitionsException: Topic currently has 4 partitions, which is higher than or equal to the requested 4.",
        ),
        (Command::CreatePartitions { topic: "nope".into(), count: 9 }, "topic: UnknownTopicOrPartitionException: no topic named \"nope\""),
        (create_topic("readings", 1), "topic: TopicExistsException: Topic 'readings' already exists."),
        (create_topic("bad name", 1), "topic: must contain only ASCII letters"),
        (create_topic("x", 0), "partitions: must be between 1 and 1024, got 0"),
        (
            Command::CreateTopic { topic: "x".into(), partitions: 1, replication_factor: 2, configs: Default::default() },
            "InvalidReplicationFactorException: Replication factor: 2 larger than available brokers: 1.",
        ),
    ] {
        let e = sim.apply(command.clone()).unwrap_err().to_string();
        assert!(e.contains(expected), "{command:?}: {e}");
    }
    assert_eq!(sim.catalog().topics().count(), 2, "nothing was created");
}

/// `commitAsync()`: the application polls again before the commit is answered; at-least-once
/// still holds through a crash.
#[test]
fn commit_async_does_not_wait_for_the_answer_and_loses_nothing() {
    let mut s = scenario(4, 2);
    s.consumer_groups[0].commit_mode = CommitMode::AfterProcessingAsync;
    // 200 readings a second keep the members busy: each polls again as soon as it is done.
    s.producers[0].workload = streamlab_engine::scenario::WorkloadSpec::iot(200, 1000, Some(12_000));
    s.network.mean_ms = 20;
    s.network.jitter_ms = 0;
    s.network.min_ms = 20;
    let mut sim = start(s);
    at(&mut sim, 20_000, Command::CrashConsumer { client_id: "consumer-g1-2".into() });
    sim.run_until(SimTime(120_000));
    let o = sim.outcome("g1");
    assert_eq!(o.lost, 0);
    assert!(o.processed_once > 0);
    // A poll between a member's commit and its answer: the commit was not awaited.
    let trace = sim.trace();
    let me = trace.iter().find_map(|e| match &e.event {
        TraceEvent::OffsetsCommitted { consumer, .. } => Some(*consumer),
        _ => None,
    });
    let committed_at: Vec<u64> = trace
        .iter()
        .filter(|e| matches!(&e.event, TraceEvent::OffsetsCommitted { consumer, .. } if Some(*consumer) == me))
        .map(|e| e.time.0)
        .collect();
    let polled_at: Vec<u64> = trace
        .iter()
        .filter(|e| matches!(&e.event, TraceEvent::Polled { consumer, .. } if Some(*consumer) == me))
        .map(|e| e.time.0)
        .collect();
    assert!(
        committed_at.iter().any(|c| polled_at.iter().any(|p| *p < *c && *p + 40 > *c)),
        "some poll fell within a commit's 40 ms round trip"
    );
}

/// A rebalance listener that commits in `onPartitionsRevoked`, shown in the trace before the
/// revocation.
#[test]
fn a_listener_commits_on_revoke_before_the_partitions_go() {
    let mut s = scenario(4, 2);
    s.consumer_groups[0].commit_on_revoke = true;
    let mut sim = start(s);
    at(&mut sim, 20_000, Command::AddConsumer { group_id: "g1".into() });
    sim.run_until(SimTime(40_000));
    let kinds: Vec<&str> = sim
        .trace()
        .iter()
        .filter(|e| e.time.0 >= 20_000)
        .filter(|e| matches!(e.event, TraceEvent::CommitOnRevoke { .. } | TraceEvent::PartitionsRevoked { .. }))
        .map(|e| e.event.kind())
        .collect();
    assert_eq!(kinds, ["commit_on_revoke", "partitions_revoked", "commit_on_revoke", "partitions_revoked"]);
    assert_eq!(sim.outcome("g1").duplicated, 0);
}

/// `seekToBeginning`, `offsetsForTimes` + `seek`, and `seekToEnd` on a member's partitions:
/// seeking back processes records again, seeking forward skips them (named `skipped`, not lost).
#[test]
fn seeking_back_reprocesses_and_seeking_forward_skips() {
    use streamlab_engine::command::SeekTo;
    let seek = |to: SeekTo, processing_ms: u64| {
        let mut s = scenario(2, 1);
        s.consumer_groups[0].processing_ms_per_record = processing_ms;
        let mut sim = start(s);
        sim.run_until(SimTime(20_000));
        let before = sim.outcome("g1").processed_once;
        sim.apply(Command::SeekConsumer { client_id: "consumer-g1-1".into(), to }).unwrap();
        sim.run_until(SimTime(30_000));
        (before, sim.outcome("g1"), sim)
    };
    let (before, o, sim) = seek(SeekTo::Beginning, 5);
    assert_eq!(o.duplicated, before, "every record processed by 20 s is processed again");
    assert_eq!((o.lost, o.skipped), (0, 0));
    assert_eq!(sim.report().events["seeking"], 1);

    let (before, o, _) = seek(SeekTo::Timestamp(10_000), 5);
    // Twelve sensors a second: the readings stamped 10 s to 20 s are read again.
    assert!(o.duplicated > 0 && o.duplicated < before, "{} of {before}", o.duplicated);
    assert_eq!(o.duplicated, 12 * 10, "ten seconds of twelve readings");

    // 200 ms a record against 12 a second: a backlog; seeking to the end skips it.
    let (_, o, sim) = seek(SeekTo::End, 200);
    assert!(o.skipped > 0);
    assert_eq!(o.lost, 0);
    // Every record in the log is processed once, duplicated, skipped or pending.
    let in_log: u64 = (0..2).map(|p| sim.log(tp(p)).unwrap().log_end_offset().0).sum();
    assert_eq!(o.processed_once + o.duplicated + o.skipped + o.pending, in_log);

    let mut sim = start(scenario(2, 1));
    let e = sim.apply(Command::SeekConsumer { client_id: "nobody".into(), to: SeekTo::End }).unwrap_err();
    assert_eq!(e.to_string(), "client_id: no running consumer named \"nobody\"");
}

/// `assign()`: no membership, no rebalance, and no failover: a crashed member's partitions wait
/// for it, and a second consumer given the same partitions reads them again.
#[test]
fn manually_assigned_consumers_never_rebalance_and_have_no_failover() {
    let mut s = scenario(4, 2);
    s.consumer_groups[0].assign = true;
    let mut sim = start(s);
    sim.run_until(SimTime(10_000));
    let owned: Vec<(String, Vec<String>)> = owners(&sim);
    assert_eq!(
        owned,
        [
            ("consumer-g1-1".to_string(), vec!["readings-0".into(), "readings-2".into()]),
            ("consumer-g1-2".to_string(), vec!["readings-1".into(), "readings-3".into()]),
        ]
    );
    at(&mut sim, 20_000, Command::CrashConsumer { client_id: "consumer-g1-2".into() });
    sim.run_until(SimTime(60_000));
    assert!(rebalances(&sim).is_empty(), "no group membership, no rebalance");
    let lag: Vec<u64> = [1, 3]
        .iter()
        .map(|&p| {
            let end = sim.log(tp(p)).unwrap().log_end_offset().0;
            let committed = sim.group_state("g1").unwrap().offsets.get(&tp(p)).map_or(0, |o| o.0);
            end - committed
        })
        .collect();
    assert!(lag.iter().all(|l| *l > 0), "nobody took over readings-1 and readings-3: lag {lag:?}");
    at(&mut sim, 60_000, Command::RestartConsumer { client_id: "consumer-g1-2".into() });
    sim.run_until(SimTime(90_000));
    let o = sim.outcome("g1");
    assert_eq!(o.lost, 0);
    assert_eq!(sim.report().events["manually_assigned"], 3);
}
