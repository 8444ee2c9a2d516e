//! One partition's log on its leader, stored column by column (record ids, keys, timestamps,
//! sizes) so that a million records cost a few flat vectors, not a million allocations: 24 bytes
//! a retained record. Values are never stored: nothing reads their bytes, only their size.
//!
//! Columns grow in chunks of 65,536 records rather than as one vector each, so that a long log
//! never copies itself to grow (a wasm heap cannot remap memory, and doubling a vector of
//! millions of entries copies them all and briefly holds both).

use crate::ids::{KeyId, Offset, RecordId};
use crate::protocol::Record;

const NO_KEY: u32 = u32::MAX;

/// Temporary.
#[derive(Debug, Default)]
pub struct Maintenance {
    pub segments_deleted: u32,
    pub records_cleaned: u64,
}
const CHUNK_BITS: u32 = 16;
/// Records per chunk.
const CHUNK: usize = 1 << CHUNK_BITS;

/// Up to [`CHUNK`] consecutive records, column by column.
#[derive(Debug, Clone, Default)]
struct Chunk {
    record_ids: Vec<RecordId>,
    keys: Vec<u32>,
    timestamps_ms: Vec<u64>,
    sizes_bytes: Vec<u32>,
}

impl Chunk {
    fn with_capacity(n: usize) -> Self {
        Chunk {
            record_ids: Vec::with_capacity(n),
            keys: Vec::with_capacity(n),
            timestamps_ms: Vec::with_capacity(n),
            sizes_bytes: Vec::with_capacity(n),
        }
    }

    fn record(&self, j: usize) -> Record {
        Record {
            record_id: self.record_ids[j],
            key: (self.keys[j] != NO_KEY).then_some(KeyId(self.keys[j])),
            timestamp_ms: self.timestamps_ms[j],
            size_bytes: self.sizes_bytes[j],
            offset: Offset(0),
            tombstone: false,
        }
    }
}

/// A partition log: offsets `[log_start_offset, log_end_offset)`; consumers may read below the
/// `high_watermark`.
#[derive(Debug, Clone, Default)]
pub struct PartitionLog {
    log_start_offset: u64,
    chunks: Vec<Chunk>,
    /// Records held (the last chunk may be partly filled).
    len: usize,
    high_watermark: u64,
    pub leader_epoch: u32,
}

impl PartitionLog {
    /// The first offset still in the log (0 until retention exists).
    pub fn log_start_offset(&self) -> Offset {
        Offset(self.log_start_offset)
    }

    /// The offset the next appended record gets (LEO).
    pub fn log_end_offset(&self) -> Offset {
        Offset(self.log_start_offset + self.len as u64)
    }

    /// The high watermark: the offset up to which records are replicated to the ISR and visible
    /// to consumers (with one replica, it follows the log end offset).
    pub fn high_watermark(&self) -> Offset {
        Offset(self.high_watermark)
    }

    /// Temporary: replaced by the segmented log.
    pub fn new(_config: ()) -> Self {
        Self::default()
    }

    /// Temporary.
    pub fn append_replicated(&mut self, records: &[Record], now_ms: u64) {
        self.append(records, now_ms);
    }

    /// Temporary.
    pub fn set_high_watermark(&mut self, offset: Offset) {
        self.high_watermark = offset.0.min(self.log_end_offset().0);
    }

    /// Temporary.
    pub fn advance_log_start_offset(&mut self, _offset: Offset) {}

    /// Temporary.
    pub fn truncate_to(&mut self, offset: Offset) {
        let keep = offset.0.saturating_sub(self.log_start_offset).min(self.len as u64) as usize;
        while self.len > keep {
            let c = self.chunks.last_mut().expect("chunk");
            c.record_ids.pop();
            c.keys.pop();
            c.timestamps_ms.pop();
            c.sizes_bytes.pop();
            if c.record_ids.is_empty() {
                self.chunks.pop();
            }
            self.len -= 1;
        }
        self.high_watermark = self.high_watermark.min(self.log_end_offset().0);
    }

    /// Temporary.
    pub fn segment_base_offsets(&self) -> Vec<Offset> {
        vec![Offset(self.log_start_offset)]
    }

    /// Temporary.
    pub fn recovery_point(&self) -> Offset {
        self.log_end_offset()
    }

    /// Temporary.
    pub fn lose_unflushed(&mut self) -> u64 {
        0
    }

    /// Temporary.
    pub fn flush_due(&mut self, _now_ms: u64) {}

    /// Temporary.
    pub fn maintain(&mut self, _now_ms: u64) -> Maintenance {
        Maintenance::default()
    }

    /// Appends records in order; returns the base offset (the first record's).
    pub fn append(&mut self, records: &[Record], _now_ms: u64) -> Offset {
        let base = self.log_end_offset();
        for r in records {
            if self.len == self.chunks.len() * CHUNK {
                // The first chunk grows as a vector does, so a short log stays small; later
                // ones are allocated whole.
                self.chunks.push(if self.chunks.is_empty() { Chunk::default() } else { Chunk::with_capacity(CHUNK) });
            }
            let c = self.chunks.last_mut().expect("a chunk with room");
            c.record_ids.push(r.record_id);
            c.keys.push(r.key.map_or(NO_KEY, |k| k.0));
            c.timestamps_ms.push(r.timestamp_ms);
            c.sizes_bytes.push(r.size_bytes);
            self.len += 1;
        }
        base
    }

    /// Moves the high watermark to `offset`. It never goes back and never passes the LEO.
    pub fn advance_high_watermark(&mut self, offset: Offset) {
        let hw = offset.0.min(self.log_end_offset().0);
        if hw > self.high_watermark {
            self.high_watermark = hw;
        }
        debug_assert!(self.high_watermark <= self.log_end_offset().0);
    }

    /// The index of `offset` among the records held, if the log holds it.
    fn index(&self, offset: Offset) -> Option<usize> {
        let i = offset.0.checked_sub(self.log_start_offset)? as usize;
        (i < self.len).then_some(i)
    }

    /// The record at `offset`, or `None` if it is below the log start or at/after the log end.
    pub fn record_at(&self, offset: Offset) -> Option<Record> {
        let i = self.index(offset)?;
        Some(self.chunks[i >> CHUNK_BITS].record(i & (CHUNK - 1)))
    }

    /// The record id at `offset`, if the log holds it.
    pub fn record_id_at(&self, offset: Offset) -> Option<RecordId> {
        let i = self.index(offset)?;
        Some(self.chunks[i >> CHUNK_BITS].record_ids[i & (CHUNK - 1)])
    }

    /// Indexes of the records held at offsets `[from, until)`, if any.
    fn range(&self, from: Offset, until: Offset) -> Option<std::ops::Range<usize>> {
        let start = from.0.checked_sub(self.log_start_offset)? as usize;
        let end = (until.0.saturating_sub(self.log_start_offset) as usize).min(self.len);
        (start < end).then_some(start..end)
    }

    /// The sizes of the records at indexes `range`, chunk by chunk.
    fn sizes(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = u32> + '_ {
        let (first, last) = (range.start >> CHUNK_BITS, (range.end - 1) >> CHUNK_BITS);
        (first..=last).flat_map(move |c| {
            let lo = if c == first { range.start & (CHUNK - 1) } else { 0 };
            let hi = if c == last { ((range.end - 1) & (CHUNK - 1)) + 1 } else { CHUNK };
            self.chunks[c].sizes_bytes[lo..hi].iter().copied()
        })
    }

    /// Records from `from` below `until`, at most `max_bytes` of them but always at least one if
    /// any is there (as Kafka returns at least one batch so that a consumer can make progress).
    pub fn read(&self, from: Offset, until: Offset, max_bytes: u64) -> Vec<Record> {
        let Some(range) = self.range(from, until) else { return Vec::new() };
        let mut bytes = 0u64;
        let mut n = 0;
        for size in self.sizes(range.clone()) {
            let next = bytes + size as u64;
            if n > 0 && next > max_bytes {
                break;
            }
            bytes = next;
            n += 1;
        }
        let mut out = Vec::with_capacity(n);
        let mut i = range.start;
        while out.len() < n {
            let chunk = &self.chunks[i >> CHUNK_BITS];
            let lo = i & (CHUNK - 1);
            let hi = (lo + (n - out.len())).min(chunk.record_ids.len());
            let base = self.log_start_offset + i as u64 - lo as u64;
            out.extend((lo..hi).map(|j| Record { offset: Offset(base + j as u64), ..chunk.record(j) }));
            i += hi - lo;
        }
        out
    }

    /// Bytes of the records from `from` below `until`, counting no further than `enough`: what a
    /// held fetch asks before it answers (`fetch.min.bytes`).
    pub fn bytes_available(&self, from: Offset, until: Offset, enough: u64) -> u64 {
        let Some(range) = self.range(from, until) else { return 0 };
        let mut bytes = 0u64;
        for s in self.sizes(range) {
            bytes += s as u64;
            if bytes >= enough {
                break;
            }
        }
        bytes
    }

    /// The key of each of the last `n` records, oldest first, with its offset.
    pub fn tail_keys(&self, n: usize) -> Vec<(Offset, Option<KeyId>)> {
        (self.len.saturating_sub(n)..self.len)
            .map(|i| {
                let k = self.chunks[i >> CHUNK_BITS].keys[i & (CHUNK - 1)];
                (Offset(self.log_start_offset + i as u64), (k != NO_KEY).then_some(KeyId(k)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: u64) -> Record {
        Record { record_id: RecordId(id), key: Some(KeyId(id as u32 % 3)), timestamp_ms: id * 10, size_bytes: 100 }
    }

    #[test]
    fn append_read_and_high_watermark() {
        let mut log = PartitionLog::default();
        assert_eq!(log.append(&[rec(0), rec(1)]), Offset(0));
        assert_eq!(log.append(&[rec(2)]), Offset(2));
        assert_eq!(log.log_end_offset(), Offset(3));
        assert_eq!(log.high_watermark(), Offset(0));
        log.advance_high_watermark(Offset(9));
        assert_eq!(log.high_watermark(), Offset(3), "HW is capped at the LEO");
        log.advance_high_watermark(Offset(1));
        assert_eq!(log.high_watermark(), Offset(3), "HW never goes back");
        let read: Vec<u64> = log.read(Offset(1), Offset(3), 10_000).iter().map(|r| r.record_id.0).collect();
        assert_eq!(read, [1, 2]);
        let one = log.read(Offset(0), Offset(3), 1);
        assert_eq!(one.len(), 1, "at least one record even when it exceeds max_bytes");
        assert_eq!(log.tail_keys(2), vec![(Offset(1), Some(KeyId(1))), (Offset(2), Some(KeyId(2)))]);
        assert_eq!(log.bytes_available(Offset(0), Offset(3), 150), 200);
        assert_eq!(log.bytes_available(Offset(0), Offset(3), 1_000), 300);
        assert_eq!(log.record_id_at(Offset(2)), Some(RecordId(2)));
        assert_eq!(log.record_id_at(Offset(3)), None);
    }

    #[test]
    fn reads_cross_chunk_boundaries() {
        let mut log = PartitionLog::default();
        let n = 2 * CHUNK as u64 + 10;
        let records: Vec<Record> = (0..n).map(rec).collect();
        for part in records.chunks(1000) {
            log.append(part);
        }
        assert_eq!(log.log_end_offset(), Offset(n));
        assert_eq!(log.chunks.len(), 3);
        let from = CHUNK as u64 - 5;
        let read = log.read(Offset(from), Offset(n), u64::MAX);
        assert_eq!(read.len() as u64, n - from);
        assert!(read.iter().enumerate().all(|(i, r)| r.record_id.0 == from + i as u64));
        let capped = log.read(Offset(from), Offset(n), 100 * 10);
        assert_eq!(capped.iter().map(|r| r.record_id.0).collect::<Vec<_>>(), (from..from + 10).collect::<Vec<_>>());
        assert_eq!(log.record_at(Offset(CHUNK as u64)), Some(rec(CHUNK as u64)));
        assert_eq!(log.tail_keys(1), vec![(Offset(n - 1), Some(KeyId(((n - 1) % 3) as u32)))]);
        assert_eq!(log.bytes_available(Offset(0), Offset(n), u64::MAX), n * 100);
    }
}
