//! One partition's log on one replica (Kafka's `UnifiedLog` with its `LogSegment`s and the
//! `LogCleaner`'s work on it): appends (leader and follower), segments, retention, compaction,
//! truncation, the high watermark and the flushed point. It must not know about replication,
//! nodes or the network: the broker tells it the high watermark and calls `maintain`.
//!
//! Records are stored column by column (record ids, keys, timestamps, sizes, offsets, a
//! tombstone flag) so that a million records cost a few flat vectors, not a million
//! allocations: 33 bytes a retained record. Values are never stored: nothing reads their bytes,
//! only their size. Offsets are a column of their own because compaction leaves gaps.
//!
//! Columns grow in chunks of 65,536 records rather than as one vector each, so that a long log
//! never copies itself to grow (a wasm heap cannot remap memory, and doubling a vector of
//! millions of entries copies them all and briefly holds both). Retention frees whole chunks
//! from the front; compaction moves kept records down in place.
//!
//! Segments are metadata over the columns: a base offset and the index of their first record.
//! Sizes count the records' `size_bytes` only (Kafka's files add batch headers; we have none).

use crate::config::TopicConfig;
use crate::ids::{KeyId, Offset, RecordId};
use crate::protocol::Record;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;

const NO_KEY: u32 = u32::MAX;
const CHUNK_BITS: u32 = 16;
/// Records per chunk.
const CHUNK: usize = 1 << CHUNK_BITS;

/// How long Linux keeps a dirty page cache page before its flusher threads write it back:
/// `vm.dirty_expire_centisecs` = 3000, i.e. 30 s. Our model of an unforced write: a record
/// appended at `t` is on disk from `t + 30 s` (the flusher's own 5 s wake-up period,
/// `vm.dirty_writeback_centisecs`, is left out).
pub const OS_DIRTY_EXPIRE_MS: u64 = 30_000;

/// How often the broker runs retention (`log.retention.check.interval.ms`, Kafka's default).
pub const LOG_RETENTION_CHECK_INTERVAL_MS: u64 = 300_000;

/// The configs a log acts on: a topic's (`cleanup.policy`, `segment.bytes`, `segment.ms`,
/// `retention.ms`, `retention.bytes`, `delete.retention.ms`, `min.cleanable.dirty.ratio`,
/// `min.compaction.lag.ms`, `message.timestamp.type`, `max.message.bytes`, `flush.messages`,
/// `flush.ms`; see [`TopicConfig`] for units). Durations in ms, sizes in bytes; `None` is
/// unlimited or never.
pub type LogConfig = TopicConfig;

/// Why the log refuses a batch or a record; `exception_name` is the Java exception a Kafka
/// client would see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogError {
    /// The batch is larger than `max.message.bytes` (Kafka's `RecordTooLargeException`).
    RecordTooLarge { batch_bytes: u64, max_message_bytes: u32 },
    /// A record without a key on a compacted topic (Kafka's `InvalidRecordException`, raised by
    /// `LogValidator`).
    KeylessRecordOnCompactedTopic,
}

impl LogError {
    /// The Java exception name.
    pub fn exception_name(&self) -> &'static str {
        match self {
            LogError::RecordTooLarge { .. } => "RecordTooLargeException",
            LogError::KeylessRecordOnCompactedTopic => "InvalidRecordException",
        }
    }
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::RecordTooLarge { batch_bytes, max_message_bytes } => write!(
                f,
                "RecordTooLargeException: the batch is {batch_bytes} bytes, larger than max.message.bytes {max_message_bytes}"
            ),
            LogError::KeylessRecordOnCompactedTopic => {
                write!(f, "InvalidRecordException: Compacted topic cannot accept message without key")
            }
        }
    }
}

/// One of the last records of a log, as the log strip shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TailEntry {
    pub offset: Offset,
    pub key: Option<KeyId>,
    pub tombstone: bool,
}

/// What one `maintain` call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Maintenance {
    /// Segments deleted by retention or because the log start offset passed them.
    pub segments_deleted: u32,
    /// The log start offset afterwards.
    pub log_start_offset: Offset,
    /// Records the cleaner removed (superseded, keyless, or tombstones past their horizon).
    pub records_cleaned: u64,
    /// How many of `records_cleaned` were tombstones.
    pub tombstones_removed: u64,
}

/// Up to [`CHUNK`] records, column by column.
#[derive(Debug, Clone, Default)]
struct Chunk {
    record_ids: Vec<RecordId>,
    keys: Vec<u32>,
    timestamps_ms: Vec<u64>,
    sizes_bytes: Vec<u32>,
    offsets: Vec<u64>,
    tombstones: Vec<bool>,
}

impl Chunk {
    fn with_capacity(n: usize) -> Self {
        Chunk {
            record_ids: Vec::with_capacity(n),
            keys: Vec::with_capacity(n),
            timestamps_ms: Vec::with_capacity(n),
            sizes_bytes: Vec::with_capacity(n),
            offsets: Vec::with_capacity(n),
            tombstones: Vec::with_capacity(n),
        }
    }

    fn record(&self, j: usize) -> Record {
        Record {
            record_id: self.record_ids[j],
            key: (self.keys[j] != NO_KEY).then_some(KeyId(self.keys[j])),
            timestamp_ms: self.timestamps_ms[j],
            size_bytes: self.sizes_bytes[j],
            offset: Offset(self.offsets[j]),
            tombstone: self.tombstones[j],
        }
    }

    fn truncate(&mut self, n: usize) {
        self.record_ids.truncate(n);
        self.keys.truncate(n);
        self.timestamps_ms.truncate(n);
        self.sizes_bytes.truncate(n);
        self.offsets.truncate(n);
        self.tombstones.truncate(n);
    }
}

/// The records held, in offset order, indexed from 0 (the oldest held). The first `head` slots
/// of the first chunk are records already dropped from the front.
#[derive(Debug, Clone, Default)]
struct Columns {
    chunks: VecDeque<Chunk>,
    head: usize,
    len: usize,
}

impl Columns {
    /// Chunk and slot of index `i`.
    fn at(&self, i: usize) -> (usize, usize) {
        let p = self.head + i;
        (p >> CHUNK_BITS, p & (CHUNK - 1))
    }

    fn push(&mut self, r: &Record, offset: u64) {
        if self.chunks.back().is_none_or(|c| c.offsets.len() == CHUNK) {
            // The first chunk grows as a vector does, so a short log stays small; later ones
            // are allocated whole.
            self.chunks.push_back(if self.chunks.is_empty() { Chunk::default() } else { Chunk::with_capacity(CHUNK) });
        }
        let c = self.chunks.back_mut().expect("a chunk with room");
        c.record_ids.push(r.record_id);
        c.keys.push(r.key.map_or(NO_KEY, |k| k.0));
        c.timestamps_ms.push(r.timestamp_ms);
        c.sizes_bytes.push(r.size_bytes);
        c.offsets.push(offset);
        c.tombstones.push(r.tombstone);
        self.len += 1;
    }

    fn record(&self, i: usize) -> Record {
        let (c, j) = self.at(i);
        self.chunks[c].record(j)
    }

    fn offset(&self, i: usize) -> u64 {
        let (c, j) = self.at(i);
        self.chunks[c].offsets[j]
    }

    fn key(&self, i: usize) -> u32 {
        let (c, j) = self.at(i);
        self.chunks[c].keys[j]
    }

    fn size(&self, i: usize) -> u64 {
        let (c, j) = self.at(i);
        self.chunks[c].sizes_bytes[j] as u64
    }

    fn timestamp_ms(&self, i: usize) -> u64 {
        let (c, j) = self.at(i);
        self.chunks[c].timestamps_ms[j]
    }

    fn tombstone(&self, i: usize) -> bool {
        let (c, j) = self.at(i);
        self.chunks[c].tombstones[j]
    }

    /// Copies the record at index `from` over the one at `to` (compaction moves records down).
    fn copy(&mut self, to: usize, from: usize) {
        if to == from {
            return;
        }
        let ((fc, fj), (tc, tj)) = (self.at(from), self.at(to));
        let r = self.chunks[fc].record(fj);
        let t = &mut self.chunks[tc];
        t.record_ids[tj] = r.record_id;
        t.keys[tj] = r.key.map_or(NO_KEY, |k| k.0);
        t.timestamps_ms[tj] = r.timestamp_ms;
        t.sizes_bytes[tj] = r.size_bytes;
        t.offsets[tj] = r.offset.0;
        t.tombstones[tj] = r.tombstone;
    }

    /// Keeps the first `n` records.
    fn truncate(&mut self, n: usize) {
        debug_assert!(n <= self.len);
        if n == 0 {
            *self = Columns::default();
            return;
        }
        let (c, j) = self.at(n - 1);
        self.chunks.truncate(c + 1);
        self.chunks[c].truncate(j + 1);
        self.len = n;
    }

    /// Drops the first `n` records, freeing every chunk they empty.
    fn drop_front(&mut self, n: usize) {
        debug_assert!(n <= self.len);
        if n == self.len {
            *self = Columns::default();
            return;
        }
        self.head += n;
        self.len -= n;
        while self.head >= CHUNK {
            self.chunks.pop_front();
            self.head -= CHUNK;
        }
    }

    /// The index of the first record whose offset is at least `offset` (`len` if none).
    fn index_of(&self, offset: u64) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.offset(mid) < offset {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Bytes of the records at indexes `[from, until)`.
    fn bytes(&self, from: usize, until: usize) -> u64 {
        (from..until).map(|i| self.size(i)).sum()
    }
}

/// A segment: the records from `start` up to the next segment's `start` (Kafka's `LogSegment`).
#[derive(Debug, Clone)]
struct Segment {
    /// No record of this segment has a lower offset, and every record of the previous one has.
    base_offset: u64,
    /// Index of its first record in the columns.
    start: usize,
    size_bytes: u64,
    /// The largest record timestamp, ms; `None` while it holds no record.
    largest_timestamp_ms: Option<u64>,
    /// The max timestamp of the first batch appended to it (Kafka's `rollingBasedTimestamp`).
    rolling_timestamp_ms: Option<u64>,
    created_ms: u64,
    /// The last append or cleaning, ms (the file's mtime in Kafka).
    last_modified_ms: u64,
}

impl Segment {
    fn new(base_offset: u64, start: usize, now_ms: u64) -> Self {
        Segment {
            base_offset,
            start,
            size_bytes: 0,
            largest_timestamp_ms: None,
            rolling_timestamp_ms: None,
            created_ms: now_ms,
            last_modified_ms: now_ms,
        }
    }

    /// Kafka's `LogSegment.largestTimestamp`: the newest record's timestamp, or the last
    /// modification time when the segment holds none.
    fn largest_timestamp(&self) -> u64 {
        self.largest_timestamp_ms.unwrap_or(self.last_modified_ms)
    }
}

/// A partition log: offsets `[log_start_offset, log_end_offset)`, possibly with gaps left by
/// compaction; consumers may read below the `high_watermark`.
#[derive(Debug, Clone)]
pub struct PartitionLog {
    config: LogConfig,
    columns: Columns,
    /// Oldest first; never empty; the last is the active segment.
    segments: Vec<Segment>,
    log_start_offset: u64,
    log_end_offset: u64,
    high_watermark: u64,
    /// Every record below it is on disk (fsynced, or written back by the OS).
    recovery_point: u64,
    /// Sum of the held records' sizes.
    bytes: u64,
    /// The cleaner's checkpoint: records from here on have not been compacted yet.
    first_dirty_offset: u64,
    /// For each tombstone seen by a cleaning, the time from which a later cleaning removes it
    /// (Kafka sets `deleteHorizonMs` on the batch; we have no batches, so per record).
    delete_horizons_ms: BTreeMap<u64, u64>,
    /// When the last forced flush happened, ms.
    last_flush_ms: u64,
    /// Appends the OS has not written back yet: (append time ms, log end offset after it).
    unwritten: VecDeque<(u64, u64)>,
    pub leader_epoch: u32,
    /// Idempotent producers' last batches here (Kafka's `UnifiedLog.producerStateManager`).
    pub producer_state: super::producer_state::ProducerStateManager,
}

impl Default for PartitionLog {
    fn default() -> Self {
        PartitionLog::new(LogConfig::default())
    }
}

impl PartitionLog {
    /// An empty log with one empty segment at offset 0.
    pub fn new(config: LogConfig) -> Self {
        PartitionLog {
            config,
            columns: Columns::default(),
            segments: vec![Segment::new(0, 0, 0)],
            log_start_offset: 0,
            log_end_offset: 0,
            high_watermark: 0,
            recovery_point: 0,
            bytes: 0,
            first_dirty_offset: 0,
            delete_horizons_ms: BTreeMap::new(),
            last_flush_ms: 0,
            unwritten: VecDeque::new(),
            leader_epoch: 0,
            producer_state: Default::default(),
        }
    }

    /// The settings this log obeys.
    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// The first offset a consumer may read; retention and `advance_log_start_offset` move it up.
    pub fn log_start_offset(&self) -> Offset {
        Offset(self.log_start_offset)
    }

    /// The offset the next appended record gets (LEO).
    pub fn log_end_offset(&self) -> Offset {
        Offset(self.log_end_offset)
    }

    /// The high watermark: records below it are replicated to the ISR and visible to consumers.
    pub fn high_watermark(&self) -> Offset {
        Offset(self.high_watermark)
    }

    /// The last stable offset (LSO): below it every transaction is decided and its marker
    /// replicated, so `read_committed` consumers may read up to it (Kafka's
    /// `UnifiedLog.lastStableOffset`: the first unstable offset if below the HW, else the HW).
    pub fn last_stable_offset(&self) -> Offset {
        let hw = self.high_watermark();
        match self.producer_state.first_unstable_offset() {
            Some(first) if first < hw => first.max(self.log_start_offset()),
            _ => hw,
        }
    }

    /// Sum of the held records' sizes, bytes (records below the log start offset that still
    /// sit in the first segment count, as in Kafka's `UnifiedLog.size`).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The offset below which every record is on disk: fsynced (`flush.messages`, `flush.ms`,
    /// a segment roll) or written back by the OS after [`OS_DIRTY_EXPIRE_MS`].
    pub fn recovery_point(&self) -> Offset {
        Offset(self.recovery_point)
    }

    fn check_invariants(&self) {
        debug_assert!(
            self.high_watermark <= self.log_end_offset,
            "HW {} > LEO {}",
            self.high_watermark,
            self.log_end_offset
        );
        debug_assert!(
            self.log_start_offset <= self.high_watermark,
            "log start {} > HW {}",
            self.log_start_offset,
            self.high_watermark
        );
        debug_assert!(self.recovery_point <= self.log_end_offset);
        debug_assert!(!self.segments.is_empty());
        debug_assert!(self.segments[0].base_offset <= self.log_start_offset, "the first segment holds the log start");
        debug_assert!(self
            .segments
            .windows(2)
            .all(|w| w[0].base_offset < w[1].base_offset && w[0].start <= w[1].start));
        debug_assert!(self.columns.len == 0 || self.columns.offset(self.columns.len - 1) < self.log_end_offset);
    }

    /// Moves the high watermark to `offset` on a leader. It never goes back and never passes
    /// the LEO (Kafka's `maybeIncrementHighWatermark`).
    pub fn advance_high_watermark(&mut self, offset: Offset) {
        let hw = offset.0.min(self.log_end_offset);
        if hw > self.high_watermark {
            self.high_watermark = hw;
            self.producer_state.on_high_watermark(Offset(hw));
        }
        self.check_invariants();
    }

    /// Sets the high watermark on a follower, from the leader's: it may go back (after a
    /// truncation), never passes the LEO, and never falls below the log start offset (Kafka's
    /// `updateHighWatermark` clamps it to `[logStartOffset, logEndOffset]`).
    pub fn set_high_watermark(&mut self, offset: Offset) {
        self.high_watermark = offset.0.clamp(self.log_start_offset, self.log_end_offset);
        self.producer_state.on_high_watermark(Offset(self.high_watermark));
        self.check_invariants();
    }

    /// Whether the leader may append `record`: a compacted topic refuses records without a key
    /// (Kafka's `LogValidator`: `InvalidRecordException`, "Compacted topic cannot accept message
    /// without key").
    pub fn accepts(&self, record: &Record) -> Result<(), LogError> {
        if self.config.cleanup_policy.compact && record.key.is_none() {
            return Err(LogError::KeylessRecordOnCompactedTopic);
        }
        Ok(())
    }

    /// Whether a batch of `batch_bytes` fits `max.message.bytes` (Kafka's
    /// `RecordTooLargeException` otherwise).
    pub fn check_batch_size(&self, batch_bytes: u64) -> Result<(), LogError> {
        if batch_bytes > self.config.max_message_bytes as u64 {
            return Err(LogError::RecordTooLarge { batch_bytes, max_message_bytes: self.config.max_message_bytes });
        }
        Ok(())
    }

    /// Leader append: gives `records` consecutive offsets from the LEO; returns the base offset
    /// (the first record's). `now_ms` is the append time; with `LogAppendTime` the caller has
    /// already overwritten the timestamps. The records' own `offset` fields are ignored.
    pub fn append(&mut self, records: &[Record], now_ms: u64) -> Offset {
        let base = self.log_end_offset;
        if records.is_empty() {
            return Offset(base);
        }
        self.maybe_roll(base, records, now_ms);
        for (i, r) in records.iter().enumerate() {
            self.columns.push(r, base + i as u64);
        }
        self.after_append(records, base + records.len() as u64, now_ms);
        Offset(base)
    }

    /// Follower append: `records` carry the leader's offsets, ascending and at least the LEO,
    /// with gaps where the leader's cleaner removed records; the LEO becomes the last offset + 1.
    /// Records below the LEO (a caller's mistake) are skipped.
    pub fn append_replicated(&mut self, records: &[Record], now_ms: u64) {
        debug_assert!(records.windows(2).all(|w| w[0].offset < w[1].offset), "replicated offsets ascend");
        debug_assert!(
            records.first().is_none_or(|r| r.offset.0 >= self.log_end_offset),
            "replicated offsets start at the LEO or above"
        );
        let skip = records.iter().take_while(|r| r.offset.0 < self.log_end_offset).count();
        let records = &records[skip..];
        let Some(last) = records.last() else { return };
        self.maybe_roll(records[0].offset.0, records, now_ms);
        let mut previous = None;
        for r in records {
            // Release builds stay consistent even if offsets do not ascend: such records drop.
            if previous.is_some_and(|p| r.offset.0 <= p) {
                continue;
            }
            self.columns.push(r, r.offset.0);
            previous = Some(r.offset.0);
        }
        self.after_append(records, last.offset.0 + 1, now_ms);
    }

    /// Rolls a new active segment at `next_offset` if appending `records` would make the active
    /// one exceed `segment.bytes`, or if their newest timestamp is more than `segment.ms` after
    /// the max timestamp of the segment's first batch (Kafka's `LogSegment.shouldRoll` and
    /// `timeWaitedForRoll`: record timestamps, not the broker clock, unless the segment has
    /// none). An empty segment never rolls. Kafka's `segment.jitter.ms` (default 0) is not
    /// modelled.
    fn maybe_roll(&mut self, next_offset: u64, records: &[Record], now_ms: u64) {
        let batch_bytes: u64 = records.iter().map(|r| r.size_bytes as u64).sum();
        let max_timestamp_ms = records.iter().map(|r| r.timestamp_ms).max().unwrap_or(0);
        let active = self.segments.last().expect("a segment");
        if active.start == self.columns.len {
            return;
        }
        let too_big = active.size_bytes + batch_bytes > self.config.segment_bytes;
        let waited_ms = match active.rolling_timestamp_ms {
            Some(t) => max_timestamp_ms.saturating_sub(t),
            None => now_ms.saturating_sub(active.created_ms),
        };
        if too_big || waited_ms > self.config.segment_ms {
            self.roll(next_offset, now_ms);
        }
    }

    /// Starts a new active segment at `base_offset`. Kafka flushes the closed segments at once
    /// (`roll` schedules `flushUptoOffsetExclusive(newSegment.baseOffset)`), so the recovery
    /// point moves up to the LEO.
    fn roll(&mut self, base_offset: u64, now_ms: u64) {
        debug_assert!(base_offset >= self.log_end_offset);
        self.segments.push(Segment::new(base_offset, self.columns.len, now_ms));
        self.recovery_point = self.recovery_point.max(self.log_end_offset);
    }

    fn after_append(&mut self, records: &[Record], log_end_offset: u64, now_ms: u64) {
        let batch_bytes: u64 = records.iter().map(|r| r.size_bytes as u64).sum();
        let max_timestamp_ms = records.iter().map(|r| r.timestamp_ms).max().unwrap_or(0);
        let active = self.segments.last_mut().expect("a segment");
        active.size_bytes += batch_bytes;
        active.largest_timestamp_ms =
            Some(active.largest_timestamp_ms.map_or(max_timestamp_ms, |t| t.max(max_timestamp_ms)));
        active.rolling_timestamp_ms.get_or_insert(max_timestamp_ms);
        active.last_modified_ms = now_ms;
        self.bytes += batch_bytes;
        self.log_end_offset = log_end_offset;
        self.unwritten.push_back((now_ms, log_end_offset));
        // Kafka's `UnifiedLog.append`: flush once the unflushed offsets reach flush.messages.
        if self.config.flush_messages.is_some_and(|n| self.log_end_offset - self.recovery_point >= n) {
            self.flush(now_ms);
        }
        self.flush_due(now_ms);
        self.check_invariants();
    }

    /// An fsync of everything appended.
    fn flush(&mut self, now_ms: u64) {
        self.recovery_point = self.log_end_offset;
        self.last_flush_ms = now_ms;
        self.unwritten.clear();
    }

    /// Brings the on-disk point up to date at `now_ms`: the OS has written back what was
    /// appended [`OS_DIRTY_EXPIRE_MS`] ago, and `flush.ms` forces an fsync when the last one is
    /// that old (Kafka's `LogManager.flushDirtyLogs`, here checked on every call rather than
    /// every `log.flush.scheduler.interval.ms`). `append` calls it; the broker may call it
    /// periodically too.
    pub fn flush_due(&mut self, now_ms: u64) {
        while let Some(&(appended_ms, end)) = self.unwritten.front() {
            if appended_ms + OS_DIRTY_EXPIRE_MS > now_ms {
                break;
            }
            self.recovery_point = self.recovery_point.max(end.min(self.log_end_offset));
            self.unwritten.pop_front();
        }
        if self.config.flush_ms.is_some_and(|ms| now_ms.saturating_sub(self.last_flush_ms) >= ms) {
            self.flush(now_ms);
        }
        self.check_invariants();
    }

    /// Power loss: everything at or above the recovery point is gone, as Kafka's log recovery
    /// finds it (`truncate_to(recovery_point)`). Returns how many records were lost.
    pub fn lose_unflushed(&mut self) -> u64 {
        let lost = self.columns.len - self.columns.index_of(self.recovery_point);
        self.truncate_to(Offset(self.recovery_point));
        lost as u64
    }

    /// Removes every record at or above `offset` (a follower's KIP-101 truncation, Kafka's
    /// `UnifiedLog.truncateTo`): a no-op at or above the LEO; otherwise the LEO becomes
    /// `offset`, segments based above it go, the high watermark, recovery point and cleaner
    /// checkpoint come down to it, and, as in Kafka, the log start offset too if it was higher
    /// (below the first segment the log is emptied and restarts at `offset`,
    /// `truncateFullyAndStartAt`).
    pub fn truncate_to(&mut self, offset: Offset) {
        let offset = offset.0;
        if offset >= self.log_end_offset {
            return;
        }
        self.producer_state.truncate_to(Offset(offset));
        if offset < self.segments[0].base_offset {
            self.restart_at(offset);
            return;
        }
        let index = self.columns.index_of(offset);
        self.bytes -= self.columns.bytes(index, self.columns.len);
        self.columns.truncate(index);
        self.segments.retain(|s| s.base_offset <= offset);
        let k = self.segments.len() - 1;
        self.recompute_segment(k);
        self.log_end_offset = offset;
        self.log_start_offset = self.log_start_offset.min(offset);
        self.high_watermark = self.high_watermark.min(offset);
        self.recovery_point = self.recovery_point.min(offset);
        self.first_dirty_offset = self.first_dirty_offset.min(offset);
        self.delete_horizons_ms.split_off(&offset);
        for entry in &mut self.unwritten {
            entry.1 = entry.1.min(offset);
        }
        self.check_invariants();
    }

    /// Empties the log and restarts it at `offset` (Kafka's `truncateFullyAndStartAt`).
    fn restart_at(&mut self, offset: u64) {
        let config = self.config.clone();
        let (leader_epoch, last_flush_ms) = (self.leader_epoch, self.last_flush_ms);
        *self = PartitionLog::new(config);
        self.segments[0].base_offset = offset;
        self.log_start_offset = offset;
        self.log_end_offset = offset;
        self.high_watermark = offset;
        self.recovery_point = offset;
        self.first_dirty_offset = offset;
        self.leader_epoch = leader_epoch;
        self.last_flush_ms = last_flush_ms;
        self.check_invariants();
    }

    /// Recomputes segment `k`'s size and largest timestamp from its records.
    fn recompute_segment(&mut self, k: usize) {
        let (start, end) = self.segment_range(k);
        let size = self.columns.bytes(start, end);
        let largest = (start..end).map(|i| self.columns.timestamp_ms(i)).max();
        let s = &mut self.segments[k];
        s.size_bytes = size;
        s.largest_timestamp_ms = largest;
        if start == end {
            s.rolling_timestamp_ms = None;
        }
    }

    /// Indexes `[start, end)` of segment `k`'s records.
    fn segment_range(&self, k: usize) -> (usize, usize) {
        let end = self.segments.get(k + 1).map_or(self.columns.len, |s| s.start);
        (self.segments[k].start, end)
    }

    /// The leader's log start offset moved up (retention or DeleteRecords there): a follower
    /// follows, dropping the segments wholly below it (Kafka's `maybeIncrementLogStartOffset`,
    /// then `deleteLogStartOffsetBreachedSegments`, here at once). The high watermark and the
    /// recovery point are raised to it if lower; above the LEO the log restarts there (Kafka's
    /// follower does `truncateFullyAndStartAt` when the leader's log start passes its LEO).
    pub fn advance_log_start_offset(&mut self, offset: Offset) {
        let offset = offset.0;
        if offset <= self.log_start_offset {
            return;
        }
        if offset > self.log_end_offset {
            self.restart_at(offset);
            return;
        }
        self.log_start_offset = offset;
        self.high_watermark = self.high_watermark.max(offset);
        self.recovery_point = self.recovery_point.max(offset);
        self.first_dirty_offset = self.first_dirty_offset.max(offset);
        self.delete_log_start_breached_segments();
        self.check_invariants();
    }

    /// Kafka's `deleteLogStartOffsetBreachedSegments`: segments whose next segment starts at or
    /// below the log start offset.
    fn delete_log_start_breached_segments(&mut self) -> u32 {
        let n = self.segments.windows(2).take_while(|w| w[1].base_offset <= self.log_start_offset).count();
        self.delete_segments(n)
    }

    /// Deletes the `n` oldest segments, first rolling a new empty one if that would delete them
    /// all (Kafka's `deleteSegments`), and moves the log start offset up to the first segment
    /// left.
    fn delete_segments(&mut self, n: usize) -> u32 {
        if n == 0 {
            return 0;
        }
        if n == self.segments.len() {
            let (leo, now) = (self.log_end_offset, self.segments[n - 1].last_modified_ms);
            self.roll(leo, now);
        }
        let dropped = self.segments[n].start;
        let freed: u64 = self.segments[..n].iter().map(|s| s.size_bytes).sum();
        self.columns.drop_front(dropped);
        self.segments.drain(..n);
        for s in &mut self.segments {
            s.start -= dropped;
        }
        self.bytes -= freed;
        self.log_start_offset = self.log_start_offset.max(self.segments[0].base_offset);
        self.high_watermark = self.high_watermark.max(self.log_start_offset);
        self.recovery_point = self.recovery_point.max(self.log_start_offset);
        self.first_dirty_offset = self.first_dirty_offset.max(self.log_start_offset);
        self.delete_horizons_ms = self.delete_horizons_ms.split_off(&self.log_start_offset);
        self.check_invariants();
        n as u32
    }

    /// How many of the oldest segments `delete` allows, walking from the first and stopping at
    /// the first it refuses (Kafka's `deletableSegments`): only segments wholly below the high
    /// watermark (the next segment's base, or the LEO for the last, is at most the HW), and
    /// never the last segment when it is empty.
    fn deletable_segments(&self, mut delete: impl FnMut(&Segment) -> bool) -> usize {
        let mut n = 0;
        for (k, s) in self.segments.iter().enumerate() {
            let next = self.segments.get(k + 1);
            let upper_bound = next.map_or(self.log_end_offset, |n| n.base_offset);
            let last_and_empty = next.is_none() && s.start == self.columns.len;
            if self.high_watermark >= upper_bound && !last_and_empty && delete(s) {
                n += 1;
            } else {
                break;
            }
        }
        n
    }

    /// Retention and compaction due at `now_ms` (the broker calls it every
    /// [`LOG_RETENTION_CHECK_INTERVAL_MS`] and for the cleaner's checks). With `compact` the
    /// cleaner runs first, then retention, as Kafka's cleaner thread does for `compact,delete`.
    /// Retention follows Kafka's `deleteOldSegments`: segments below the log start offset, then
    /// `retention.bytes`, then `retention.ms`; like Kafka it may delete the active segment (after
    /// rolling an empty one) once all of it is below the HW and expired.
    pub fn maintain(&mut self, now_ms: u64) -> Maintenance {
        let mut m = Maintenance::default();
        if self.config.cleanup_policy.compact {
            let (cleaned, tombstones) = self.clean(now_ms);
            m.records_cleaned = cleaned;
            m.tombstones_removed = tombstones;
        }
        m.segments_deleted += self.delete_log_start_breached_segments();
        if self.config.cleanup_policy.delete {
            if let Some(retention_bytes) = self.config.retention_bytes {
                // Kafka's `deleteRetentionSizeBreachedSegments`: delete the oldest segments while
                // what remains would still be at least retention.bytes.
                if self.bytes >= retention_bytes {
                    let mut excess = self.bytes - retention_bytes;
                    let n = self.deletable_segments(|s| {
                        if excess >= s.size_bytes {
                            excess -= s.size_bytes;
                            true
                        } else {
                            false
                        }
                    });
                    m.segments_deleted += self.delete_segments(n);
                }
            }
            if let Some(retention_ms) = self.config.retention_ms {
                // Kafka's `deleteRetentionMsBreachedSegments`: now - largestTimestamp > retention.ms.
                let n = self.deletable_segments(|s| now_ms.saturating_sub(s.largest_timestamp()) > retention_ms);
                m.segments_deleted += self.delete_segments(n);
            }
        }
        m.log_start_offset = Offset(self.log_start_offset);
        m
    }

    /// One pass of Kafka's `LogCleaner` if the log is dirty enough; returns (records removed,
    /// tombstones among them).
    ///
    /// The cleanable part is the closed segments wholly below the first uncleanable offset:
    /// the least of the active segment's base, the high watermark (Kafka: the last stable
    /// offset, equal to it without transactions) and the base of the first segment newer than
    /// `min.compaction.lag.ms`. It is cleaned when its dirty bytes (from the cleaner
    /// checkpoint on) are more than `min.cleanable.dirty.ratio` of clean + dirty bytes (Kafka
    /// compares with `>`). The offset map holds the last offset of each key in the dirty part;
    /// every record of the cleanable part (clean or dirty) older than its key's entry is removed,
    /// and so are records without a key. A tombstone survives the cleaning that first sees it,
    /// which sets its delete horizon to now + `delete.retention.ms` (KIP-534's
    /// `deleteHorizonMs`); a later cleaning at or after the horizon removes it. Kafka also
    /// cleans when only expired tombstones remain; that trigger is not modelled. Offsets are
    /// kept, so gaps appear; segments of the cleaned part are merged in groups whose sizes
    /// before cleaning add up to at most `segment.bytes` (Kafka's `groupSegmentsBySize`).
    fn clean(&mut self, now_ms: u64) -> (u64, u64) {
        let active_base = self.segments.last().expect("a segment").base_offset;
        let mut first_uncleanable = active_base.min(self.high_watermark);
        let first_dirty = self.first_dirty_offset.max(self.log_start_offset);
        if self.config.min_compaction_lag_ms > 0 {
            let lag = self.config.min_compaction_lag_ms;
            let closed = &self.segments[..self.segments.len() - 1];
            if let Some(s) = closed.iter().enumerate().find(|(k, s)| {
                let end = self.segments[k + 1].base_offset;
                end > first_dirty && s.largest_timestamp() > now_ms.saturating_sub(lag)
            }) {
                first_uncleanable = first_uncleanable.min(s.1.base_offset);
            }
        }
        // Segments wholly below the first uncleanable offset.
        let cleanable_segments = self.segments.windows(2).take_while(|w| w[1].base_offset <= first_uncleanable).count();
        if cleanable_segments == 0 {
            return (0, 0);
        }
        let end_offset = self.segments[cleanable_segments].base_offset;
        if first_dirty >= end_offset {
            return (0, 0);
        }
        let start_index = self.columns.index_of(self.log_start_offset);
        let dirty_index = self.columns.index_of(first_dirty);
        let end_index = self.segments[cleanable_segments].start;
        let clean_bytes = self.columns.bytes(start_index, dirty_index);
        let dirty_bytes = self.columns.bytes(dirty_index, end_index);
        let total = clean_bytes + dirty_bytes;
        if total == 0 || (dirty_bytes as f64 / total as f64) <= self.config.min_cleanable_dirty_ratio {
            return (0, 0);
        }

        // The offset map is only looked up, never iterated, so a HashMap cannot reach output.
        let mut latest: HashMap<u32, u64> = HashMap::new();
        for i in dirty_index..end_index {
            let key = self.columns.key(i);
            if key != NO_KEY {
                latest.insert(key, self.columns.offset(i));
            }
        }

        // Groups of segments merged into one, by their sizes before cleaning.
        let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
        let mut k = 0;
        while k < cleanable_segments {
            let mut size = self.segments[k].size_bytes;
            let mut end = k + 1;
            while end < cleanable_segments && size + self.segments[end].size_bytes <= self.config.segment_bytes {
                size += self.segments[end].size_bytes;
                end += 1;
            }
            groups.push(k..end);
            k = end;
        }

        let (mut removed, mut tombstones_removed) = (0u64, 0u64);
        let mut kept = 0usize;
        let mut cleaned_segments = Vec::with_capacity(groups.len());
        for group in groups {
            let first = &self.segments[group.start];
            let mut merged = Segment::new(first.base_offset, kept, first.created_ms);
            merged.rolling_timestamp_ms = first.rolling_timestamp_ms;
            merged.last_modified_ms =
                self.segments[group.clone()].iter().map(|s| s.last_modified_ms).max().unwrap_or(0);
            let (from, _) = self.segment_range(group.start);
            let (_, until) = self.segment_range(group.end - 1);
            for i in from..until {
                let (offset, key, tombstone) = (self.columns.offset(i), self.columns.key(i), self.columns.tombstone(i));
                let superseded = key == NO_KEY || latest.get(&key).is_some_and(|&l| offset < l);
                let expired = tombstone && self.delete_horizons_ms.get(&offset).is_some_and(|&h| now_ms >= h);
                if superseded || expired {
                    removed += 1;
                    if tombstone {
                        tombstones_removed += 1;
                        self.delete_horizons_ms.remove(&offset);
                    }
                    continue;
                }
                if tombstone {
                    self.delete_horizons_ms.entry(offset).or_insert(now_ms + self.config.delete_retention_ms);
                }
                let timestamp_ms = self.columns.timestamp_ms(i);
                merged.size_bytes += self.columns.size(i);
                merged.largest_timestamp_ms =
                    Some(merged.largest_timestamp_ms.map_or(timestamp_ms, |t| t.max(timestamp_ms)));
                self.columns.copy(kept, i);
                kept += 1;
            }
            cleaned_segments.push(merged);
        }
        // Move the uncleaned rest down over the freed slots.
        let gap = end_index - kept;
        for i in end_index..self.columns.len {
            self.columns.copy(i - gap, i);
        }
        let new_len = self.columns.len - gap;
        self.columns.truncate(new_len);
        let mut rest = self.segments.split_off(cleanable_segments);
        for s in &mut rest {
            s.start -= gap;
        }
        let freed = self.segments.iter().map(|s| s.size_bytes).sum::<u64>()
            - cleaned_segments.iter().map(|s| s.size_bytes).sum::<u64>();
        self.bytes -= freed;
        self.segments = cleaned_segments;
        self.segments.append(&mut rest);
        self.first_dirty_offset = end_offset;
        self.check_invariants();
        (removed, tombstones_removed)
    }

    /// Records with offsets in `[from, until)`, each with its `offset` set, skipping compaction
    /// gaps: at most `max_bytes` of them but always at least one if any is there (as Kafka
    /// returns at least one batch so that a consumer can make progress). Nothing below the log
    /// start offset is returned (Kafka answers `OffsetOutOfRange`).
    pub fn read(&self, from: Offset, until: Offset, max_bytes: u64) -> Vec<Record> {
        if from.0 < self.log_start_offset {
            return Vec::new();
        }
        let (start, end) = (self.columns.index_of(from.0), self.columns.index_of(until.0));
        let mut out = Vec::new();
        let mut bytes = 0u64;
        for i in start..end {
            let next = bytes + self.columns.size(i);
            if !out.is_empty() && next > max_bytes {
                break;
            }
            bytes = next;
            out.push(self.columns.record(i));
        }
        out
    }

    /// The index of the record at exactly `offset`, if the log holds it above its log start.
    fn index(&self, offset: Offset) -> Option<usize> {
        if offset.0 < self.log_start_offset || offset.0 >= self.log_end_offset {
            return None;
        }
        let i = self.columns.index_of(offset.0);
        (i < self.columns.len && self.columns.offset(i) == offset.0).then_some(i)
    }

    /// The record at `offset`, or `None` in a compaction gap, below the log start or at/after
    /// the log end.
    pub fn record_at(&self, offset: Offset) -> Option<Record> {
        self.index(offset).map(|i| self.columns.record(i))
    }

    /// The record id at `offset`, if the log holds a record there.
    pub fn record_id_at(&self, offset: Offset) -> Option<RecordId> {
        self.index(offset).map(|i| {
            let (c, j) = self.columns.at(i);
            self.columns.chunks[c].record_ids[j]
        })
    }

    /// The record ids of every record from `from` (at least the log start offset) on, in
    /// offset order.
    pub fn record_ids_from(&self, from: Offset) -> impl Iterator<Item = RecordId> + '_ {
        let start = self.columns.index_of(self.log_start_offset.max(from.0));
        (start..self.columns.len).map(move |i| {
            let (c, j) = self.columns.at(i);
            self.columns.chunks[c].record_ids[j]
        })
    }

    /// Bytes of the records from `from` below `until`, counting no further than `enough`: what a
    /// held fetch asks before it answers (`fetch.min.bytes`).
    pub fn bytes_available(&self, from: Offset, until: Offset, enough: u64) -> u64 {
        // Most held fetches wait at the end of the log: nothing to look up then.
        if from.0 < self.log_start_offset || from >= until {
            return 0;
        }
        let mut bytes = 0u64;
        let mut i = self.columns.index_of(from.0);
        while i < self.columns.len && self.columns.offset(i) < until.0 {
            bytes += self.columns.size(i);
            if bytes >= enough {
                break;
            }
            i += 1;
        }
        bytes
    }

    /// The last `n` records at or above the log start offset, oldest first: offset, key,
    /// tombstone.
    pub fn tail(&self, n: usize) -> Vec<TailEntry> {
        let first = self.columns.len.saturating_sub(n).max(self.columns.index_of(self.log_start_offset));
        (first..self.columns.len)
            .map(|i| {
                let key = self.columns.key(i);
                TailEntry {
                    offset: Offset(self.columns.offset(i)),
                    key: (key != NO_KEY).then_some(KeyId(key)),
                    tombstone: self.columns.tombstone(i),
                }
            })
            .collect()
    }

    /// The base offsets of the segments, oldest first: the first is at most the log start
    /// offset, the last is the active segment's.
    pub fn segment_base_offsets(&self) -> Vec<Offset> {
        self.segments.iter().map(|s| Offset(s.base_offset)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CleanupPolicy;
    use crate::sim::SimRng;

    /// A 100-byte record of key `key` (none for `u32::MAX`) with timestamp `ts`.
    fn rec(id: u64, key: u32, ts: u64) -> Record {
        Record {
            record_id: RecordId(id),
            key: (key != NO_KEY).then_some(KeyId(key)),
            timestamp_ms: ts,
            size_bytes: 100,
            offset: Offset(0),
            tombstone: false,
        }
    }

    fn tombstone(id: u64, key: u32, ts: u64) -> Record {
        Record { tombstone: true, ..rec(id, key, ts) }
    }

    /// A log of 300-byte segments (three records each).
    fn small(config: LogConfig) -> PartitionLog {
        PartitionLog::new(LogConfig { segment_bytes: 300, ..config })
    }

    /// Appends records one by one with keys `keys` (offset `i` has timestamp `i * 1000`) and
    /// moves the HW to the LEO.
    fn fill(log: &mut PartitionLog, keys: &[u32]) {
        for &k in keys {
            let o = log.log_end_offset().0;
            log.append(&[rec(o, k, o * 1000)], o * 1000);
        }
        log.advance_high_watermark(log.log_end_offset());
    }

    fn offsets(records: &[Record]) -> Vec<u64> {
        records.iter().map(|r| r.offset.0).collect()
    }

    fn bases(log: &PartitionLog) -> Vec<u64> {
        log.segment_base_offsets().iter().map(|o| o.0).collect()
    }

    fn all(log: &PartitionLog) -> Vec<u64> {
        offsets(&log.read(log.log_start_offset(), log.log_end_offset(), u64::MAX))
    }

    #[test]
    fn append_read_and_high_watermark() {
        let mut log = PartitionLog::default();
        assert_eq!(log.append(&[rec(0, 0, 0), rec(1, 1, 10)], 0), Offset(0));
        assert_eq!(log.append(&[rec(2, 2, 20)], 0), Offset(2));
        assert_eq!(log.log_end_offset(), Offset(3));
        assert_eq!(log.high_watermark(), Offset(0));
        log.advance_high_watermark(Offset(9));
        assert_eq!(log.high_watermark(), Offset(3), "HW is capped at the LEO");
        log.advance_high_watermark(Offset(1));
        assert_eq!(log.high_watermark(), Offset(3), "HW never goes back");
        let read = log.read(Offset(1), Offset(3), 10_000);
        assert_eq!(read.iter().map(|r| r.record_id.0).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(offsets(&read), [1, 2], "each record carries its offset");
        assert_eq!(log.read(Offset(0), Offset(3), 1).len(), 1, "at least one record even when it exceeds max_bytes");
        assert_eq!(
            log.tail(2),
            vec![
                TailEntry { offset: Offset(1), key: Some(KeyId(1)), tombstone: false },
                TailEntry { offset: Offset(2), key: Some(KeyId(2)), tombstone: false }
            ]
        );
        assert_eq!(log.bytes_available(Offset(0), Offset(3), 150), 200);
        assert_eq!(log.bytes_available(Offset(0), Offset(3), 1_000), 300);
        assert_eq!(log.record_id_at(Offset(2)), Some(RecordId(2)));
        assert_eq!(log.record_id_at(Offset(3)), None);
        assert_eq!(log.bytes(), 300);
    }

    #[test]
    fn reads_cross_chunk_boundaries() {
        let mut log = PartitionLog::default();
        let n = 2 * CHUNK as u64 + 10;
        let records: Vec<Record> = (0..n).map(|i| rec(i, (i % 3) as u32, i)).collect();
        for part in records.chunks(1000) {
            log.append(part, 0);
        }
        assert_eq!(log.log_end_offset(), Offset(n));
        assert_eq!(log.columns.chunks.len(), 3);
        let from = CHUNK as u64 - 5;
        let read = log.read(Offset(from), Offset(n), u64::MAX);
        assert_eq!(read.len() as u64, n - from);
        assert!(read
            .iter()
            .enumerate()
            .all(|(i, r)| r.record_id.0 == from + i as u64 && r.offset.0 == from + i as u64));
        let capped = log.read(Offset(from), Offset(n), 100 * 10);
        assert_eq!(offsets(&capped), (from..from + 10).collect::<Vec<_>>());
        assert_eq!(
            log.record_at(Offset(CHUNK as u64)),
            Some(Record { offset: Offset(CHUNK as u64), ..records[CHUNK] })
        );
        assert_eq!(log.tail(1)[0].offset, Offset(n - 1));
        assert_eq!(log.bytes_available(Offset(0), Offset(n), u64::MAX), n * 100);
    }

    #[test]
    fn follower_high_watermark_may_go_back_but_stays_within_the_log() {
        let mut log = PartitionLog::default();
        fill(&mut log, &[0, 1, 2, 3]);
        log.set_high_watermark(Offset(2));
        assert_eq!(log.high_watermark(), Offset(2));
        log.set_high_watermark(Offset(10));
        assert_eq!(log.high_watermark(), Offset(4), "capped at the LEO");
    }

    #[test]
    fn rolls_when_the_active_segment_would_exceed_segment_bytes() {
        let mut log = PartitionLog::new(LogConfig { segment_bytes: 1000, ..LogConfig::default() });
        fill(&mut log, &[0; 10]);
        assert_eq!(bases(&log), [0], "ten 100-byte records fill 1000 bytes exactly");
        fill(&mut log, &[0]);
        assert_eq!(bases(&log), [0, 10]);
        // A batch rolls as a whole: 10..13 would make 400 bytes, so 3 records fit, then 4 do not.
        log.append(&[rec(0, 0, 0); 9], 0);
        log.append(&[rec(0, 0, 0); 4], 0);
        assert_eq!(bases(&log), [0, 10, 20]);
    }

    #[test]
    fn rolls_when_a_batch_is_segment_ms_newer_than_the_first_batch() {
        let mut log = PartitionLog::new(LogConfig { segment_ms: 1000, ..LogConfig::default() });
        log.append(&[rec(0, 0, 500), rec(1, 0, 0)], 0);
        log.append(&[rec(2, 0, 1500)], 99_999);
        assert_eq!(bases(&log), [0], "1500 - 500 is not more than segment.ms; the broker clock does not count");
        log.append(&[rec(3, 0, 1501)], 0);
        assert_eq!(bases(&log), [0, 3]);
    }

    #[test]
    fn retention_ms_deletes_closed_segments_by_their_largest_timestamp() {
        let mut log = small(LogConfig { retention_ms: Some(5000), ..LogConfig::default() });
        fill(&mut log, &[0; 10]);
        assert_eq!(bases(&log), [0, 3, 6, 9]);
        // Segment 0 ends at timestamp 2000 (10000 - 2000 > 5000); segment 3 at 5000 (not > 5000).
        let m = log.maintain(10_000);
        assert_eq!(
            m,
            Maintenance { segments_deleted: 1, log_start_offset: Offset(3), records_cleaned: 0, tombstones_removed: 0 }
        );
        assert_eq!(bases(&log), [3, 6, 9]);
        assert_eq!(log.read(Offset(0), Offset(10), u64::MAX), vec![], "nothing below the log start");
        assert_eq!(all(&log), (3..10).collect::<Vec<_>>());
        assert_eq!(log.bytes(), 700);
    }

    #[test]
    fn retention_never_deletes_at_or_above_the_high_watermark() {
        let mut log = small(LogConfig { retention_ms: Some(5000), ..LogConfig::default() });
        fill(&mut log, &[0; 10]);
        log.set_high_watermark(Offset(5));
        let m = log.maintain(1_000_000);
        assert_eq!(m.segments_deleted, 1, "segment 3 ends at 6, above the HW 5");
        assert_eq!(log.log_start_offset(), Offset(3));
    }

    #[test]
    fn retention_bytes_deletes_oldest_segments_while_the_rest_stays_at_least_the_limit() {
        let mut log = small(LogConfig { retention_ms: None, retention_bytes: Some(450), ..LogConfig::default() });
        fill(&mut log, &[0; 10]);
        // 1000 bytes: without segment 0 there are 700 >= 450; without segment 3 too, 400 < 450.
        let m = log.maintain(0);
        assert_eq!(m.segments_deleted, 1);
        assert_eq!(log.log_start_offset(), Offset(3));
        assert_eq!(log.bytes(), 700);
    }

    #[test]
    fn retention_deletes_an_expired_active_segment_after_rolling_an_empty_one() {
        let mut log = small(LogConfig { retention_ms: Some(5000), ..LogConfig::default() });
        fill(&mut log, &[0; 10]);
        let m = log.maintain(1_000_000);
        assert_eq!(m.segments_deleted, 4);
        assert_eq!(bases(&log), [10]);
        assert_eq!(
            (log.log_start_offset(), log.log_end_offset(), log.high_watermark()),
            (Offset(10), Offset(10), Offset(10))
        );
        assert_eq!(log.bytes(), 0);
        assert_eq!(log.append(&[rec(0, 0, 0)], 0), Offset(10));
    }

    fn compacted() -> LogConfig {
        LogConfig {
            cleanup_policy: CleanupPolicy { delete: false, compact: true },
            segment_bytes: 500,
            ..LogConfig::default()
        }
    }

    #[test]
    fn compaction_keeps_the_latest_record_of_each_key_at_its_offset() {
        let mut log = PartitionLog::new(compacted());
        fill(&mut log, &[0, 1, 0, 1, 2, 0, 1, 3, 3, 4, 5]);
        assert_eq!(bases(&log), [0, 5, 10]);
        let m = log.maintain(1_000_000);
        assert_eq!((m.records_cleaned, m.tombstones_removed, m.segments_deleted), (5, 0, 0));
        assert_eq!(all(&log), [4, 5, 6, 8, 9, 10], "the active segment (10) is never cleaned");
        assert_eq!(log.record_at(Offset(7)), None, "a compaction gap");
        assert_eq!(offsets(&log.read(Offset(0), Offset(11), 1)), [4], "a read from a gap starts at the next record");
        assert_eq!(bases(&log), [0, 5, 10], "500 + 500 bytes do not fit one 500-byte segment");
        assert_eq!(log.log_end_offset(), Offset(11));
        assert_eq!(log.bytes(), 600);
    }

    #[test]
    fn compaction_waits_until_the_dirty_ratio_exceeds_min_cleanable_dirty_ratio() {
        let mut log = PartitionLog::new(compacted());
        fill(&mut log, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(log.maintain(0).records_cleaned, 0, "distinct keys: nothing to remove, checkpoint moves to 10");
        fill(&mut log, &[0, 1, 2, 3, 4, 5]);
        // Now 15 is active; dirty 10..15 (500 bytes) against clean 0..10 (1000): 1/3 <= 0.5.
        assert_eq!(bases(&log), [0, 5, 10, 15]);
        assert_eq!(log.maintain(0).records_cleaned, 0);
        fill(&mut log, &[6, 7, 8, 9, 0, 1, 2, 3, 4, 5]);
        // Dirty 10..25 (1500) against clean 1000: 0.6 > 0.5. Keys 0..9 at 0..9 and keys 0..3
        // at 11..14 are superseded.
        assert_eq!(log.maintain(0).records_cleaned, 14);
        assert_eq!(all(&log), [10].into_iter().chain(15..27).collect::<Vec<_>>());
    }

    #[test]
    fn compaction_leaves_segments_newer_than_min_compaction_lag_ms() {
        let mut log = PartitionLog::new(LogConfig { min_compaction_lag_ms: 6000, ..compacted() });
        fill(&mut log, &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        // Segment 5 holds timestamps up to 9000 > 10000 - 6000, so only segment 0 is cleanable,
        // and its keys have no later entry inside it but the last.
        let m = log.maintain(10_000);
        assert_eq!(m.records_cleaned, 4);
        assert_eq!(all(&log), [4, 5, 6, 7, 8, 9, 10]);
    }

    #[test]
    fn tombstones_survive_the_first_cleaning_and_go_once_delete_retention_ms_has_passed() {
        let config =
            LogConfig { segment_bytes: 200, delete_retention_ms: 1000, min_cleanable_dirty_ratio: 0.1, ..compacted() };
        let mut log = PartitionLog::new(config);
        log.append(&[rec(0, 0, 0)], 0);
        log.append(&[tombstone(1, 0, 0)], 0);
        log.append(&[rec(2, 1, 0)], 0);
        log.advance_high_watermark(log.log_end_offset());
        let m = log.maintain(100);
        assert_eq!((m.records_cleaned, m.tombstones_removed), (1, 0));
        assert_eq!(all(&log), [1, 2], "the tombstone stays; its horizon is 1100");
        log.append(&[rec(3, 1, 0)], 0);
        log.append(&[rec(4, 2, 0)], 0);
        log.advance_high_watermark(log.log_end_offset());
        let m = log.maintain(500);
        assert_eq!((m.records_cleaned, m.tombstones_removed), (1, 0), "offset 2 goes; 500 < 1100");
        assert_eq!(all(&log), [1, 3, 4]);
        log.append(&[rec(5, 2, 0)], 0);
        log.append(&[rec(6, 3, 0)], 0);
        log.advance_high_watermark(log.log_end_offset());
        let m = log.maintain(1100);
        assert_eq!((m.records_cleaned, m.tombstones_removed), (2, 1));
        assert_eq!(all(&log), [3, 5, 6]);
        assert_eq!(bases(&log), [0, 4, 6], "segments 0 and 2 (100 bytes each) merged");
        assert!(log.tail(10).iter().all(|e| !e.tombstone));
    }

    #[test]
    fn compacted_topic_refuses_records_without_a_key() {
        let log = PartitionLog::new(compacted());
        assert_eq!(log.accepts(&rec(0, 1, 0)), Ok(()));
        let err = log.accepts(&rec(0, NO_KEY, 0)).unwrap_err();
        assert_eq!(err, LogError::KeylessRecordOnCompactedTopic);
        assert_eq!(err.exception_name(), "InvalidRecordException");
        assert_eq!(err.to_string(), "InvalidRecordException: Compacted topic cannot accept message without key");
        assert_eq!(PartitionLog::default().accepts(&rec(0, NO_KEY, 0)), Ok(()), "delete topics take keyless records");
    }

    #[test]
    fn batches_above_max_message_bytes_are_too_large() {
        let log = PartitionLog::default();
        assert_eq!(log.check_batch_size(1_048_588), Ok(()));
        let err = log.check_batch_size(1_048_589).unwrap_err();
        assert_eq!(err, LogError::RecordTooLarge { batch_bytes: 1_048_589, max_message_bytes: 1_048_588 });
        assert_eq!(err.exception_name(), "RecordTooLargeException");
    }

    #[test]
    fn compact_delete_compacts_and_then_applies_retention() {
        let config = LogConfig {
            cleanup_policy: CleanupPolicy { delete: true, compact: true },
            retention_ms: Some(5000),
            ..small(LogConfig::default()).config
        };
        let mut log = PartitionLog::new(config);
        fill(&mut log, &[0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
        let m = log.maintain(10_000);
        // Cleaning removes 0, 2, 4, 6 (not 8: segment 9 is active); then segment 0 (largest
        // timestamp 1000 after cleaning) is expired, segment 3 (5000) is not.
        assert_eq!((m.records_cleaned, m.segments_deleted, m.log_start_offset), (4, 1, Offset(3)));
        assert_eq!(all(&log), [3, 5, 7, 8, 9]);
    }

    /// A consumer reading a compacted log sees at least the latest value of every key, and a
    /// cleaning of everything but a new active segment leaves exactly one record per key.
    #[test]
    fn randomised_compaction_keeps_the_latest_value_of_every_key() {
        for seed in 0..200 {
            let mut rng = SimRng::new(seed, 0);
            let config = LogConfig {
                segment_bytes: 100 * rng.range_inclusive(2, 12),
                min_cleanable_dirty_ratio: rng.range_inclusive(0, 9) as f64 / 10.0,
                ..compacted()
            };
            let mut log = PartitionLog::new(config);
            let mut latest: BTreeMap<u32, u64> = BTreeMap::new();
            let mut now = 0;
            for _ in 0..rng.range_inclusive(20, 120) {
                now += rng.range_inclusive(1, 100);
                let batch: Vec<Record> = (0..rng.range_inclusive(1, 5))
                    .map(|_| {
                        let key = rng.range_inclusive(0, 15) as u32;
                        let r = rec(rng.next_u64(), key, now);
                        if rng.range_inclusive(0, 9) == 0 {
                            Record { tombstone: true, ..r }
                        } else {
                            r
                        }
                    })
                    .collect();
                let base = log.append(&batch, now).0;
                for (i, r) in batch.iter().enumerate() {
                    latest.insert(r.key.unwrap().0, base + i as u64);
                }
                if rng.range_inclusive(0, 3) > 0 {
                    log.advance_high_watermark(log.log_end_offset());
                }
                if rng.range_inclusive(0, 2) == 0 {
                    log.maintain(now);
                }
                let read = log.read(Offset(0), log.log_end_offset(), u64::MAX);
                for (&key, &offset) in &latest {
                    assert!(
                        offsets(&read).contains(&offset),
                        "seed {seed}: key {key}'s latest offset {offset} is gone"
                    );
                }
            }
            // Roll past everything (a far newer timestamp) and clean all of it.
            let sentinel = log.append(&[rec(0, 1000, now + 604_800_001)], now).0;
            log.advance_high_watermark(log.log_end_offset());
            log.config.min_cleanable_dirty_ratio = 0.0;
            log.maintain(now);
            let read = log.read(Offset(0), log.log_end_offset(), u64::MAX);
            let mut expected: Vec<u64> = latest.values().copied().chain([sentinel]).collect();
            expected.sort_unstable();
            assert_eq!(offsets(&read), expected, "seed {seed}: exactly the latest record of each key");
        }
    }

    #[test]
    fn truncate_to_removes_records_at_and_above_the_offset() {
        let mut log = small(LogConfig::default());
        fill(&mut log, &[0; 10]);
        log.set_high_watermark(Offset(8));
        log.truncate_to(Offset(6));
        assert_eq!((log.log_end_offset(), log.high_watermark()), (Offset(6), Offset(6)));
        assert_eq!(bases(&log), [0, 3, 6], "the segment based at 6 stays, empty");
        assert_eq!(all(&log), [0, 1, 2, 3, 4, 5]);
        assert_eq!(log.record_at(Offset(6)), None);
        assert_eq!(log.bytes(), 600);
        assert_eq!(log.append(&[rec(0, 0, 0)], 0), Offset(6));
        log.truncate_to(Offset(20));
        assert_eq!(log.log_end_offset(), Offset(7), "truncating at or above the LEO does nothing");
    }

    #[test]
    fn append_replicated_keeps_the_leaders_offsets_and_gaps() {
        let mut log = PartitionLog::default();
        let with = |o: u64| Record { offset: Offset(o), ..rec(o, 0, 0) };
        log.append_replicated(&[with(0), with(1), with(4), with(7)], 0);
        assert_eq!(log.log_end_offset(), Offset(8));
        log.set_high_watermark(Offset(8));
        assert_eq!(all(&log), [0, 1, 4, 7]);
        assert_eq!(log.record_at(Offset(2)), None);
        assert_eq!(log.record_id_at(Offset(4)), Some(RecordId(4)));
        log.append_replicated(&[with(9)], 0);
        assert_eq!(log.log_end_offset(), Offset(10));
    }

    #[test]
    fn advance_log_start_offset_drops_segments_wholly_below_it() {
        let mut log = small(LogConfig::default());
        fill(&mut log, &[0; 10]);
        log.advance_log_start_offset(Offset(7));
        assert_eq!(log.log_start_offset(), Offset(7));
        assert_eq!(bases(&log), [6, 9]);
        assert_eq!(log.read(Offset(6), Offset(10), u64::MAX), vec![], "6 is held but below the log start");
        assert_eq!(log.record_at(Offset(6)), None);
        assert_eq!(all(&log), [7, 8, 9]);
        assert_eq!(log.bytes(), 400, "offset 6 still sits in its segment");
    }

    #[test]
    fn nothing_is_lost_on_power_loss_with_flush_messages_one() {
        let mut log = PartitionLog::new(LogConfig { flush_messages: Some(1), ..LogConfig::default() });
        fill(&mut log, &[0, 1, 2]);
        assert_eq!(log.recovery_point(), Offset(3));
        assert_eq!(log.lose_unflushed(), 0);
        assert_eq!(log.log_end_offset(), Offset(3));
    }

    #[test]
    fn power_loss_with_default_flushing_loses_what_the_os_has_not_written_back() {
        let mut log = PartitionLog::default();
        log.append(&[rec(0, 0, 0), rec(1, 0, 0), rec(2, 0, 0)], 0);
        log.append(&[rec(3, 0, 0), rec(4, 0, 0)], 29_999);
        log.append(&[rec(5, 0, 0)], 30_000);
        log.advance_high_watermark(log.log_end_offset());
        assert_eq!(log.recovery_point(), Offset(3), "the first batch is 30 s old, the second is not");
        assert_eq!(log.lose_unflushed(), 3);
        assert_eq!((log.log_end_offset(), log.high_watermark()), (Offset(3), Offset(3)));
    }

    #[test]
    fn a_roll_flushes_the_closed_segments() {
        let mut log = small(LogConfig::default());
        fill(&mut log, &[0; 4]);
        assert_eq!(log.recovery_point(), Offset(3));
        log.flush_due(32_999);
        assert_eq!(log.recovery_point(), Offset(3));
        log.flush_due(33_000);
        assert_eq!(log.recovery_point(), Offset(4), "offset 3, appended at 3000, is written back by the OS 30 s later");
    }

    #[test]
    fn flush_ms_forces_an_fsync() {
        let mut log = PartitionLog::new(LogConfig { flush_ms: Some(1000), ..LogConfig::default() });
        log.append(&[rec(0, 0, 0)], 500);
        assert_eq!(log.recovery_point(), Offset(0));
        log.flush_due(1000);
        assert_eq!(log.recovery_point(), Offset(1));
    }
}
