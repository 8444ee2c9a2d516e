//! Snapshot: the serde view of the simulation that the UI renders. It is built from what a
//! screen shows (the tail of each log, each member's partitions), never a copy of every record.

use crate::ledger::Outcome;
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
    pub trace_len: u64,
    /// The first group's windows, if it aggregates any.
    pub windows: Option<WindowsView>,
    /// The brokers and what the controller knows of them.
    pub brokers: Vec<BrokerView>,
    /// What the run has lost so far: acknowledged records gone from the log.
    pub acknowledged_lost: u64,
    /// The first of those record ids (at most 200).
    pub acknowledged_lost_ids: Vec<u64>,
    /// Extra copies of records in the logs (retries without idempotence), and the first ids.
    pub log_duplicates: u64,
    pub log_duplicate_ids: Vec<u64>,
    /// The dead-letter queue: unreadable input rows, then records the applications failed to
    /// process (at most 200 shown), and how many there are in all.
    pub dead_letters: Vec<DeadLetterRow>,
    pub dead_letters_total: u64,
    /// The first deduping group's two rules compared.
    pub dedupe: Option<crate::report::DedupeReport>,
    /// The first windowed group's store, if a changelog topic backs it.
    pub store: Option<StoreView>,
    /// The first windowed group's pipeline, when window rows are asked for.
    pub pipeline: Option<PipelineView>,
}

/// A window store backed by a changelog topic: each task's owner, the restores, and the
/// changelog read two ways, as a stream (every update, `KStream`) and as a table (the latest
/// committed record of each key, `KTable`: what a restore ends with).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreView {
    pub group_id: String,
    /// The changelog topic's name.
    pub changelog: String,
    /// One per input partition (task), in partition order.
    pub tasks: Vec<TaskStoreView>,
    /// The latest restores, newest first (at most 12).
    pub restores: Vec<RestoreView>,
    pub restores_total: u64,
    /// Changelog records the members wrote.
    pub written: u64,
    /// The changelog as a stream: records in its logs (transaction markers left out), of them
    /// in aborted transactions and in transactions still open, and the newest (at most 12).
    pub stream_records: u64,
    pub stream_aborted: u64,
    pub stream_pending: u64,
    pub stream_tail: Vec<ChangelogRow>,
    /// The changelog as a table: keys, and the rows of the busiest (at most 12).
    pub table_keys: u64,
    pub table: Vec<ChangelogRow>,
}

/// A task and the member whose store holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskStoreView {
    /// `topic-p`.
    pub partition: String,
    /// The member that restored it last (its client id), if any.
    pub owner: Option<String>,
    /// Whether that member is still reading the changelog (it does not process the task yet).
    pub restoring: bool,
    /// Windows the store holds for it that can still change.
    pub open_windows: u64,
}

/// One restore of a task's store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreView {
    pub partition: String,
    pub member: String,
    pub started_ms: u64,
    pub finished_ms: Option<u64>,
    /// Changelog records read, and windows the store held after.
    pub records: u64,
    pub windows: u64,
}

/// A changelog record as the views show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangelogRow {
    /// `p@offset`: the changelog partition (its task's number) and offset.
    pub at: String,
    /// Its timestamp: the task's stream time when it was written, ms.
    pub timestamp_ms: u64,
    pub key: String,
    /// Its windows, `start: count` each (starts in ms since the Unix epoch).
    pub windows: Vec<(u64, u64)>,
    /// `committed`, `aborted` or `pending` (its transaction is still open).
    pub state: &'static str,
}

/// One dead letter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetterRow {
    /// Where it came from: `input file, line 17`, or `group g1: taxi-trips-3@120`.
    pub source: String,
    pub record_id: Option<u64>,
    pub error: String,
    /// Attempts made (0 for an input row, which is never produced).
    pub attempts: u32,
    /// When its first attempt failed and when it was sent to the queue, ms.
    pub first_attempt_ms: Option<u64>,
    pub dead_lettered_ms: Option<u64>,
}

/// A broker as the cluster view draws it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrokerView {
    /// `node.id`.
    pub id: u32,
    /// `Running`, `Crashed` (the process stopped; its log stays) or `PoweredOff` (the machine
    /// lost power; its unflushed tail is gone).
    pub state: String,
    /// Whether the controller has fenced it (no heartbeat for `broker.session.timeout.ms`): it
    /// leads nothing and is in no ISR until it registers again.
    pub fenced: bool,
    /// The nodes it cannot reach (a network partition), by name (`broker-1`, `producer-1`, ...).
    pub isolated_from: Vec<String>,
    /// Partitions it leads (user topics and `__consumer_offsets`).
    pub leader_of: u32,
    /// The groups it coordinates (it leads their `__consumer_offsets` partition).
    pub coordinator_for: Vec<String>,
}

/// A group's windowed aggregation, cut to what a screen shows: the busiest keys and each one's
/// latest windows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowsView {
    pub group_id: String,
    /// The window definition: type, sizes and grace.
    pub windows: crate::streams::Windows,
    /// `Count`, `TaxiTrips` or `HighestBid`.
    pub aggregation: String,
    /// Records no window took, because their windows had closed (the late output).
    pub late: u64,
    /// Windows that skipped a record because they had closed (Kafka's `dropped-records-total`;
    /// a hopping record can be kept by some windows and skipped by others).
    pub skipped_windows: u64,
    /// The first late records (at most 200), in arrival order.
    pub late_records: Vec<LateView>,
    /// Stream time of each task (partition), ms since the Unix epoch.
    pub stream_time_ms: Vec<(String, u64)>,
    pub total_windows: usize,
    pub open_windows: usize,
    /// `on_window_update` or `on_window_close` (Kafka Streams' `EmitStrategy`).
    pub emit: String,
    /// The time the windows use: `event`, `log_append` or `processing`.
    pub time: String,
    /// The latest records processed (at most 400): processing time, the time the windows used
    /// (ms), and whether the record was late.
    pub recent: Vec<(u64, u64, bool)>,
    /// Results an `onWindowUpdate` aggregation has forwarded; under `onWindowClose` one final
    /// result per closed window goes downstream instead (`total_windows − open_windows`).
    pub forwarded: u64,
    /// The Flink / Beam-style watermark over the group's partitions.
    pub watermark: WatermarkView,
    pub rows: Vec<WindowRow>,
}

/// The watermark a Flink or Beam job would have on the same input: the minimum over the
/// partitions of their largest event time minus `max_out_of_orderness_ms`, idle ones left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatermarkView {
    /// ms since the Unix epoch; `None` while a partition holds it back.
    pub watermark_ms: Option<u64>,
    pub max_out_of_orderness_ms: u64,
    pub idle_timeout_ms: Option<u64>,
    /// Partitions with no record yet and not idle: each keeps the watermark from moving.
    pub holding_back: Vec<String>,
    /// Partitions idle for `idle_timeout_ms`: left out of the minimum.
    pub idle: Vec<String>,
}

/// A record of the late output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LateView {
    pub id: u64,
    pub key: String,
    /// The partition (task) it came from, `topic-p`.
    pub partition: String,
    /// Its event time, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// Its task's stream time when it came, ms; the lateness is the difference.
    pub stream_time_ms: u64,
}

/// One key's latest windows, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowRow {
    pub key: String,
    /// The partition (task) of its latest window, `topic-p`: whose stream time closes it.
    pub partition: Option<String>,
    /// Records of the key some window took (the busiest keys are shown).
    pub total: u64,
    pub cells: Vec<WindowCell>,
}

/// One window of one key in the windows view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowCell {
    pub start_ms: u64,
    pub end_ms: u64,
    pub count: u64,
    pub closed: bool,
    /// The aggregate in words: `3 trips · avg fare $12.50 · avg 14.2 min`.
    pub summary: String,
    /// The aggregate in a few characters for the cell itself (`$12.50 · 14 min`, `$250.00
    /// birdkowsky`); empty for a plain count.
    pub detail: String,
}

/// One partition of a user topic: the controller's view (leader, epoch, ISR) and its leader's
/// log (or, while it is offline, the log of its first replica).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionView {
    pub topic: String,
    pub partition: u32,
    /// The leader's `node.id`; `None` while the partition is offline (no eligible replica).
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    /// The assigned replicas, preferred leader first.
    pub replicas: Vec<u32>,
    /// The in-sync replicas, as the controller has them.
    pub isr: Vec<u32>,
    /// Fewer replicas in sync than assigned.
    pub under_replicated: bool,
    /// No leader: nobody can produce to it or fetch from it.
    pub offline: bool,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    pub high_watermark: u64,
    /// Each replica's log, in `replicas` order: a lagging follower shows here.
    pub replica_logs: Vec<ReplicaLogView>,
    /// Base offsets of the leader's segments, oldest first (the last is the active one).
    pub segments: Vec<u64>,
    /// The newest records, oldest first (compacted gaps show as jumps in `offset`).
    pub tail: Vec<TailRecord>,
    /// Each group's committed offset for this partition, if it has one.
    pub committed: Vec<(String, u64)>,
}

/// One replica's log offsets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplicaLogView {
    pub broker: u32,
    /// `leader`, `follower` or `offline` (its broker is down or fenced).
    pub role: String,
    pub in_sync: bool,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    pub high_watermark: u64,
}

/// A record in a log strip: its offset, its key's index (for its colour), and whether it is a
/// tombstone (a null value: a delete marker for compaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TailRecord {
    pub offset: u64,
    pub key: Option<u32>,
    pub tombstone: bool,
}

/// A consumer group: the coordinator's view, and each member's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupView {
    pub group_id: String,
    /// `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Stable` or `Dead`.
    pub state: String,
    pub generation_id: u32,
    /// Leader's member id.
    pub leader: Option<String>,
    pub rebalances: u32,
    pub members: Vec<MemberView>,
    /// Which records the group processed once, twice, or never.
    pub outcome: Outcome,
    /// `auto`, `after_processing` or `before_processing`.
    pub commit_mode: String,
    /// `auto.commit.interval.ms`: how often auto-commit commits, when it is on.
    pub auto_commit_interval_ms: u64,
    /// The assignor the current generation uses (`range`, `cooperative-sticky`, ...).
    pub protocol: Option<String>,
    /// `eager` or `cooperative` (KIP-429), from the members' `partition.assignment.strategy`.
    pub rebalance_protocol: &'static str,
    /// The members' `partition.assignment.strategy`, by assignor name, preferred first.
    pub assignors: Vec<&'static str>,
    pub max_poll_interval_ms: u64,
    pub session_timeout_ms: u64,
    /// Every rebalance so far, oldest first.
    pub timeline: Vec<crate::timeline::Rebalance>,
    /// `isolation.level`: `read_uncommitted` or `read_committed`.
    pub isolation_level: &'static str,
    /// Records of aborted transactions the group processed (a `read_uncommitted` group).
    pub aborted_processed: u64,
    /// The group's pipeline guarantee, if it is a consume-transform-produce application.
    pub guarantee: Option<&'static str>,
    /// Whether its counts are per input record (it reads a pipeline's output).
    pub by_input: bool,
}

/// A consumer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberView {
    pub client_id: String,
    pub member_id: String,
    /// `Unjoined`, `Joining`, `AwaitingSync`, `Stable`, `Closed` or `Crashed`.
    pub state: String,
    pub generation_id: u32,
    pub partitions: Vec<AssignedPartition>,
    pub records_polled: u64,
    pub records_processed: u64,
    /// KIP-345's `group.instance.id` of a static member.
    pub group_instance_id: Option<String>,
    /// The application is stalled (a `PauseConsumer`): no `poll()`.
    pub paused: bool,
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
    /// The partition's high watermark.
    pub high_watermark: u64,
    /// High watermark minus committed offset, as `kafka-consumer-groups.sh --describe` shows LAG.
    pub lag: Option<u64>,
}

/// A producer: its counters, its idempotence state, and what waits in its accumulator and on
/// the wire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProducerView {
    pub client_id: String,
    pub topic: String,
    pub records_sent: u64,
    pub records_acked: u64,
    pub batches_sent: u64,
    pub requests_in_flight: u32,
    /// Records whose send failed for good.
    pub records_failed: u64,
    /// Batches sent again after a retriable error.
    pub retries: u64,
    /// `enable.idempotence` as in effect (after Kafka's adjustments).
    pub idempotent: bool,
    /// The producer id and epoch, once InitProducerId answered.
    pub producer_id: Option<(u64, u16)>,
    /// Bytes in the accumulator or in flight, and `buffer.memory`.
    pub buffered_bytes: u64,
    pub buffer_memory_bytes: u64,
    /// Requests awaiting an answer, per broker `node.id`.
    pub in_flight: Vec<(u32, u32)>,
    /// One row per partition of its topic.
    pub partitions: Vec<crate::producer::PartitionQueue>,
    /// Every producer config with its value in effect, in the order of
    /// [`crate::config::PRODUCER_CONFIGS`].
    pub configs: Vec<(String, String)>,
    /// With `compression.type`: the last batch's compressed size over its uncompressed size,
    /// and why that size is an estimate, if it is.
    pub compression_ratio: Option<f64>,
    pub compression_estimated: Option<&'static str>,
    /// A transactional producer: its `transactional.id`, its transaction state (Kafka's
    /// `TransactionManager.State` name), transactions committed and aborted, and records sent
    /// in the open one.
    pub transaction: Option<TransactionView>,
}

/// A transactional producer's transactions, for the producer panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionView {
    pub transactional_id: String,
    pub state: &'static str,
    pub committed: u64,
    pub aborted: u64,
    pub records_in_transaction: u64,
    /// Partitions the coordinator has in the open transaction.
    pub partitions: Vec<u32>,
}

/// One rendered trace line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceLine {
    pub time_ms: u64,
    pub line: String,
}

/// A windowed group's pipeline, drawn as its steps, with its sink table and alerts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineView {
    pub report: crate::report::PipelineReport,
    /// Source, parse, each filter and map, key, window, aggregate, emit, sink, output topic.
    pub steps: Vec<StepView>,
    /// The sink table's latest written rows (closed windows only in append mode).
    pub sink_rows: Vec<SinkRow>,
    /// The latest alerts, newest first.
    pub alerts: Vec<AlertView>,
}

/// One step of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepView {
    /// `source`, `parse`, `filter`, `map`, `key`, `window`, `aggregate`, `emit`, `sink`, `topic`.
    pub kind: &'static str,
    /// `filter: fare_amount > 0`.
    pub title: String,
    /// Its count in words: `118 dropped`.
    pub detail: String,
}

/// A row of a sink table: key and window → the aggregate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SinkRow {
    pub key: String,
    pub start_ms: u64,
    pub end_ms: u64,
    pub count: u64,
    /// The aggregate's value, formatted (`24.13`; `9.00, 7.50` for `top_n`).
    pub value: String,
    /// The window has closed: the row will not change.
    pub is_final: bool,
}

/// An alert: a key's value rose above the threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertView {
    pub key: String,
    pub start_ms: u64,
    pub end_ms: u64,
    pub value: f64,
    /// The record's event time and when it was processed, ms.
    pub timestamp_ms: u64,
    pub at_ms: u64,
}
