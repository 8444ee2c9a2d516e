//! Report: what a run comes to (counts, groups, partitions, the trace hash), as the CLI prints it
//! and tests assert it.

use serde::Serialize;

/// The outcome of a run so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// FNV-1a 64 of the whole trace, 16 lowercase hex digits.
    pub trace_hash: String,
    pub seed: u64,
    /// Simulated time at the end, ms.
    pub end_ms: u64,
    /// Records the producers' applications sent.
    pub produced: u64,
    /// Records whose batch a leader acknowledged.
    pub acknowledged: u64,
    pub partitions: Vec<PartitionReport>,
    pub groups: Vec<GroupReport>,
    pub trace_events: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionReport {
    pub partition: String,
    pub log_end_offset: u64,
    pub high_watermark: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    pub group_id: String,
    pub state: String,
    pub generation: u32,
    pub rebalances: u32,
    /// Members still in the group.
    pub members: usize,
    /// Records `poll()` returned, re-deliveries included.
    pub polled: u64,
    /// Records the applications finished processing.
    pub processed: u64,
    /// Committed offset per partition.
    pub committed: Vec<(String, u64)>,
    /// Sum over the group's partitions of high watermark minus committed offset.
    pub lag: u64,
}
