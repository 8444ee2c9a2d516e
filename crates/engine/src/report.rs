//! Report: what a run comes to (counts, groups, partitions, the trace hash), as the CLI prints it
//! and tests assert it.

use crate::ledger::Outcome;
use crate::workload::DeadLetter;
use serde::Serialize;
use std::collections::BTreeMap;

/// The outcome of a run so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The hash of the whole trace ([`crate::sim::TraceHasher`]), 16 lowercase hex digits.
    pub trace_hash: String,
    pub seed: u64,
    /// Simulated time at the end, ms.
    pub end_ms: u64,
    /// The scenario's `run_ms`: where the run stops at the latest, ms.
    pub run_ms: u64,
    /// Records the producers' applications sent.
    pub produced: u64,
    /// Records whose batch a leader acknowledged.
    pub acknowledged: u64,
    /// Records acknowledged to a producer and then gone from the log: the leader that had them
    /// failed before its followers copied them (`acks=1`, an unclean election, a power loss).
    pub acknowledged_lost: u64,
    /// The first of those record ids (at most 200).
    pub acknowledged_lost_ids: Vec<u64>,
    /// Records whose send failed for good (a fatal error, or `delivery.timeout.ms` passed).
    pub failed: u64,
    /// Extra copies of records in the logs: a retry appended a batch the leader already had
    /// (its first response lost, idempotence off).
    pub log_duplicates: u64,
    /// The first of those record ids (at most 200).
    pub log_duplicate_ids: Vec<u64>,
    pub topics: Vec<TopicReport>,
    pub partitions: Vec<PartitionReport>,
    pub groups: Vec<GroupReport>,
    /// The first windowed group's windows, sorted by key then start (empty in a
    /// [`crate::Simulation::summary`]).
    pub windows: Vec<WindowReport>,
    /// How many windows the first windowed group has, and how many of them are closed.
    pub window_count: u64,
    pub windows_closed: u64,
    /// Records the first windowed group dropped as late (no window took them).
    pub late: u64,
    /// Windows of the first windowed group that skipped a record because they had closed
    /// (Kafka Streams' `dropped-records-total`).
    pub windows_skipped: u64,
    /// Σ over its windows of their record count ÷ records taken (0 before any): 1 for tumbling
    /// windows and sessions, size ÷ advance for hopping windows.
    pub windows_per_record: f64,
    /// Σ over its windows of their record count (a record counts once per window that took it,
    /// and again if it was processed again into the same window).
    pub windows_records: u64,
    /// Results the first windowed group sent downstream: every update under
    /// `on_window_update`, one per closed window under `on_window_close`.
    pub windows_emitted: u64,
    /// Whether a partition of its topics with no record yet (and not idle) holds its
    /// Flink / Beam-style watermark back.
    pub watermark_held: bool,
    /// The first windowed group's store, if it has a changelog: restores since the start (one
    /// per task a member got), changelog records they read, and changelog records written.
    pub store_restores: u64,
    pub store_restored_records: u64,
    pub changelog_written: u64,
    /// The first windowed group's pipeline: its aggregate, filters, alerts and sink.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<PipelineReport>,
    /// The first deduping group's two rules compared, if a group dedupes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dedupe: Option<DedupeReport>,
    /// Rows of the input files that could not be read.
    pub dead_letters: Vec<DeadLetter>,
    /// Whether every record was produced, processed and committed when the report was made.
    pub drained: bool,
    pub trace_events: u64,
    /// Trace events since the start by kind (`consumer_crashed`, `preparing_rebalance`, ...,
    /// every one of `TraceEvent::KINDS`), the ones that never happened with 0.
    pub events: BTreeMap<&'static str, u64>,
}

/// One topic: how its records spread over its partitions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicReport {
    pub topic: String,
    pub partitions: u32,
    /// Records in all its partitions (the sum of their log end offsets).
    pub records: u64,
    /// Partitions holding no record.
    pub partitions_empty: u32,
    /// The fullest partition's share of the topic's records, 0 to 1 (0 while it is empty).
    pub max_partition_share: f64,
}

/// The first deduping group's two rules compared: how many ids (within their horizons) it
/// kept, how many repeats it dropped, and the ids whose first record by processing order is not
/// the earliest by event time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DedupeReport {
    pub group_id: String,
    pub horizon_ms: u64,
    pub kept: u64,
    pub repeats: u64,
    pub disagreements: Vec<DedupeDisagreement>,
}

/// An id whose two dedupe rules keep different records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DedupeDisagreement {
    pub key: String,
    /// What "the record processed first wins" keeps.
    pub processed_first: DedupeRecord,
    /// What "the record with the earliest event time wins" keeps: it arrived later.
    pub earliest: DedupeRecord,
    /// Why it arrived later.
    pub why: String,
}

/// A record a dedupe rule kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DedupeRecord {
    pub record_id: u64,
    /// Its event time, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// Its payload in words (`$150.00 by birdkowsky`), or empty.
    pub detail: String,
}

/// One per-key tumbling window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowReport {
    pub key: String,
    /// `[start_ms, end_ms)`, ms since the Unix epoch.
    pub start_ms: u64,
    pub end_ms: u64,
    pub count: u64,
    /// Whether its task's stream time has passed end + grace.
    pub closed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fare_amount_avg: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trip_duration_s_avg: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bid_max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bidder: Option<String>,
    /// The group's `aggregate` function's value (the mean for `avg`; the largest for `top_n`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// `top_n`: the values, largest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<f64>,
}

/// One partition at the end of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionReport {
    pub partition: String,
    /// The leader's `node.id`; `None` while the partition is offline.
    pub leader: Option<u32>,
    pub isr: Vec<u32>,
    pub leader_epoch: u32,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    pub high_watermark: u64,
}

/// One consumer group at the end of a run: its membership, commits, lag and delivery outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    pub group_id: String,
    pub state: String,
    pub generation: u32,
    pub rebalances: u32,
    /// Members still in the group.
    pub members: usize,
    /// Live consumers of the group that own no partition: with more consumers than partitions,
    /// the extra ones sit idle.
    pub idle_members: usize,
    /// Records `poll()` returned, re-deliveries included.
    pub polled: u64,
    /// Records the applications finished processing.
    pub processed: u64,
    /// Committed offset per partition.
    pub committed: Vec<(String, u64)>,
    /// Sum over the group's partitions of high watermark minus committed offset.
    pub lag: u64,
    pub commit_mode: String,
    /// `isolation.level`: `read_uncommitted` or `read_committed`.
    pub isolation_level: String,
    /// Records of aborted transactions the group processed (only `read_uncommitted` groups
    /// see them).
    pub aborted_processed: u64,
    /// Records the group's application sent to its dead-letter queue.
    pub dead_lettered: u64,
    /// The delivery outcome, whose fields (`processed_once`, `duplicated`, `lost`, `pending`,
    /// `duplicated_ids`, `lost_ids`) the JSON puts beside the others.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Each rebalance: trigger, generations, start and end (ms), partitions revoked and moved,
    /// and how long each partition it assigned had gone unconsumed.
    pub timeline: Vec<crate::timeline::Rebalance>,
}

/// A windowed group's pipeline: the aggregate it computes, what its filters dropped, its alerts,
/// and what its sink table holds and how often it was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineReport {
    pub group_id: String,
    /// The aggregate in words: `avg(temperature_c)`, `count()`.
    pub aggregate: String,
    pub alert_above: Option<f64>,
    /// The sink's output mode (`append`, `update`, `complete`); `None` without a sink.
    pub output_mode: Option<String>,
    /// Records the filter steps dropped.
    pub filtered: u64,
    /// Times a key's value rose above `alert_above`.
    pub alerts: u64,
    /// Triggers so far: the members' processed batches.
    pub triggers: u64,
    /// Rows written to the sink: append, each closed window once; update, each window once per
    /// trigger that changed it; complete, every window at every trigger.
    pub sink_writes: u64,
    /// Rows the sink table holds: append, the closed windows; update and complete, every window.
    pub sink_rows: u64,
    /// Of those, rows whose window is still open, so their value may still change.
    pub sink_open_rows: u64,
}
