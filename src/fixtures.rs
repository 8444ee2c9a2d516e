//! Hand-built snapshots for the views' tests: a replicated cluster in trouble, as the engine
//! describes one, so that the views can be tested without running a simulation.

use streamlab_engine::ledger::Outcome;
use streamlab_engine::snapshot::{BrokerView, GroupView, PartitionView, ReplicaLogView, TailRecord};
use streamlab_engine::Snapshot;

fn replica(broker: u32, role: &str, in_sync: bool, log_end_offset: u64, high_watermark: u64) -> ReplicaLogView {
    ReplicaLogView { broker, role: role.into(), in_sync, log_start_offset: 100, log_end_offset, high_watermark }
}

fn record(offset: u64, key: u32) -> TailRecord {
    TailRecord { offset, key: Some(key), tombstone: false }
}

/// Three brokers, topic `readings` with replication factor 3. Broker 2 crashed and was fenced,
/// so partition 0 (led by broker 1 at epoch 3) has ISR 1,3; broker 3 is cut off from broker 1.
/// Partition 0's tail has a segment boundary at 106, a compacted gap (103 to 105) and a
/// tombstone at 108; broker 3, out of sync, lags 2 records behind. Partition 1 is offline: its
/// only in-sync replica was broker 2. The cluster lost 4 acknowledged records, the group 1.
pub fn troubled_cluster() -> Snapshot {
    let mut tail: Vec<TailRecord> = [100, 101, 102, 106, 107, 108, 109].map(|o| record(o, (o % 3) as u32)).to_vec();
    tail[5].tombstone = true;
    let p0 = PartitionView {
        topic: "readings".into(),
        partition: 0,
        leader: Some(1),
        leader_epoch: 3,
        replicas: vec![1, 2, 3],
        isr: vec![1, 3],
        under_replicated: true,
        offline: false,
        log_start_offset: 100,
        log_end_offset: 110,
        high_watermark: 108,
        replica_logs: vec![
            replica(1, "leader", true, 110, 108),
            replica(2, "offline", false, 104, 104),
            replica(3, "follower", true, 108, 108),
        ],
        segments: vec![0, 50, 106],
        tail,
        committed: vec![("g1".into(), 107)],
    };
    let p1 = PartitionView {
        topic: "readings".into(),
        partition: 1,
        leader: None,
        leader_epoch: 5,
        replicas: vec![2, 3, 1],
        isr: vec![2],
        under_replicated: true,
        offline: true,
        log_start_offset: 0,
        log_end_offset: 2,
        high_watermark: 2,
        replica_logs: vec![
            replica(2, "offline", true, 2, 2),
            replica(3, "follower", false, 1, 1),
            replica(1, "follower", false, 1, 1),
        ],
        segments: vec![0],
        tail: vec![record(0, 1), record(1, 1)],
        committed: vec![],
    };
    let broker = |id: u32, state: &str| BrokerView {
        id,
        state: state.into(),
        fenced: false,
        isolated_from: vec![],
        leader_of: 0,
        coordinator_for: vec![],
    };
    let mut brokers = vec![broker(1, "Running"), broker(2, "Crashed"), broker(3, "Running")];
    brokers[0].leader_of = 1;
    brokers[0].coordinator_for = vec!["g1".into()];
    brokers[1].fenced = true;
    brokers[2].isolated_from = vec!["broker-1".into()];
    Snapshot {
        now_ms: 15_000,
        partitions: vec![p0, p1],
        groups: vec![GroupView {
            group_id: "g1".into(),
            state: "Stable".into(),
            generation_id: 2,
            leader: None,
            rebalances: 2,
            members: vec![],
            outcome: Outcome { processed_once: 90, lost: 1, lost_ids: vec![7], ..Outcome::default() },
            commit_mode: "auto".into(),
            auto_commit_interval_ms: 5000,
            protocol: Some("range".into()),
            rebalance_protocol: "eager",
            assignors: vec!["range", "cooperative-sticky"],
            max_poll_interval_ms: 300_000,
            session_timeout_ms: 45_000,
            timeline: vec![],
            isolation_level: "read_uncommitted",
            aborted_processed: 0,
            guarantee: None,
            by_input: false,
        }],
        producers: vec![],
        trace_tail: vec![],
        trace_len: 0,
        windows: None,
        brokers,
        acknowledged_lost: 4,
        acknowledged_lost_ids: vec![11, 12, 13, 14],
        log_duplicates: 0,
        log_duplicate_ids: vec![],
        dead_letters: vec![],
        dead_letters_total: 0,
        dedupe: None,
        store: None,
        pipeline: None,
    }
}
