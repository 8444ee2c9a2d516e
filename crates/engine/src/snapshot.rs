//! Snapshot: the serde view of the simulation that the UI renders. It is built from what a
//! screen shows (the tail of each log, each member's partitions), never a copy of every record.

use serde::Serialize;

/// What the UI draws at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// Simulated time, ms.
    pub now_ms: u64,
    pub partitions: Vec<PartitionView>,
    pub groups: Vec<GroupView>,
    pub producers: Vec<ProducerView>,
    /// The newest Info-level trace lines, oldest first.
    pub trace_tail: Vec<TraceLine>,
    /// How many trace events the run has produced.
    pub trace_len: usize,
}

/// One partition as its leader sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionView {
    pub topic: String,
    pub partition: u32,
    pub leader: u32,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    pub high_watermark: u64,
    /// The newest records, oldest first.
    pub tail: Vec<TailRecord>,
    /// Each group's committed offset for this partition, if it has one.
    pub committed: Vec<(String, u64)>,
}

/// A record in a log strip: its offset and its key's index (for its colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TailRecord {
    pub offset: u64,
    pub key: Option<u32>,
}

/// A consumer group: the coordinator's view, and each member's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupView {
    pub group_id: String,
    /// `Empty`, `PreparingRebalance`, `CompletingRebalance` or `Stable`.
    pub state: String,
    pub generation_id: u32,
    /// Leader's member id.
    pub leader: Option<String>,
    pub rebalances: u32,
    pub members: Vec<MemberView>,
}

/// A consumer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberView {
    pub client_id: String,
    pub member_id: String,
    /// `Joining`, `AwaitingSync`, `Stable`, `Closed` or `Crashed`.
    pub state: String,
    pub generation_id: u32,
    pub partitions: Vec<AssignedPartition>,
    pub records_polled: u64,
    pub records_processed: u64,
}

/// One assigned partition of a member.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignedPartition {
    /// `topic-partition`.
    pub partition: String,
    /// The offset the member's next `poll()` returns.
    pub position: Option<u64>,
    /// The group's committed offset (as the coordinator stores it).
    pub committed: Option<u64>,
    /// High watermark minus committed offset, as `kafka-consumer-groups.sh --describe` shows LAG.
    pub lag: Option<u64>,
}

/// A producer's counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProducerView {
    pub client_id: String,
    pub topic: String,
    pub records_sent: u64,
    pub records_acked: u64,
    pub batches_sent: u64,
    pub requests_in_flight: u32,
}

/// One rendered trace line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceLine {
    pub time_ms: u64,
    pub line: String,
}
