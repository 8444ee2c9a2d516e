//! One partition's log on its leader, stored column by column (record ids, keys, timestamps,
//! sizes) so that a million records cost four flat vectors, not a million allocations: 24 bytes
//! a retained record. Values are never stored: nothing reads their bytes, only their size.

use crate::ids::{KeyId, Offset, RecordId};
use crate::protocol::Record;

const NO_KEY: u32 = u32::MAX;

/// A partition log: offsets `[log_start_offset, log_end_offset)`; consumers may read below the
/// `high_watermark`.
#[derive(Debug, Clone, Default)]
pub struct PartitionLog {
    log_start_offset: u64,
    record_ids: Vec<RecordId>,
    keys: Vec<u32>,
    timestamps_ms: Vec<u64>,
    sizes_bytes: Vec<u32>,
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
        Offset(self.log_start_offset + self.record_ids.len() as u64)
    }

    /// The high watermark: the offset up to which records are replicated to the ISR and visible
    /// to consumers (with one replica, it follows the log end offset).
    pub fn high_watermark(&self) -> Offset {
        Offset(self.high_watermark)
    }

    /// Appends records in order; returns the base offset (the first record's).
    pub fn append(&mut self, records: &[Record]) -> Offset {
        let base = self.log_end_offset();
        self.record_ids.reserve(records.len());
        for r in records {
            self.record_ids.push(r.record_id);
            self.keys.push(r.key.map_or(NO_KEY, |k| k.0));
            self.timestamps_ms.push(r.timestamp_ms);
            self.sizes_bytes.push(r.size_bytes);
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

    /// The record at `offset`, or `None` if it is below the log start or at/after the log end.
    pub fn record_at(&self, offset: Offset) -> Option<Record> {
        let i = offset.0.checked_sub(self.log_start_offset)? as usize;
        (i < self.record_ids.len()).then(|| Record {
            record_id: self.record_ids[i],
            key: (self.keys[i] != NO_KEY).then_some(KeyId(self.keys[i])),
            timestamp_ms: self.timestamps_ms[i],
            size_bytes: self.sizes_bytes[i],
        })
    }

    /// Records from `from` below `until`, at most `max_bytes` of them but always at least one if
    /// any is there (as Kafka returns at least one batch so that a consumer can make progress).
    pub fn read(&self, from: Offset, until: Offset, max_bytes: u64) -> Vec<Record> {
        let Some(range) = self.range(from, until) else { return Vec::new() };
        let sizes = &self.sizes_bytes[range.clone()];
        let mut bytes = 0u64;
        let mut n = 0;
        while n < sizes.len() {
            let next = bytes + sizes[n] as u64;
            if n > 0 && next > max_bytes {
                break;
            }
            bytes = next;
            n += 1;
        }
        let start = range.start;
        (start..start + n)
            .map(|i| Record {
                record_id: self.record_ids[i],
                key: (self.keys[i] != NO_KEY).then_some(KeyId(self.keys[i])),
                timestamp_ms: self.timestamps_ms[i],
                size_bytes: self.sizes_bytes[i],
            })
            .collect()
    }

    /// Bytes of the records from `from` below `until`, counting no further than `enough`: what a
    /// held fetch asks before it answers (`fetch.min.bytes`).
    pub fn bytes_available(&self, from: Offset, until: Offset, enough: u64) -> u64 {
        let Some(range) = self.range(from, until) else { return 0 };
        let mut bytes = 0u64;
        for &s in &self.sizes_bytes[range] {
            bytes += s as u64;
            if bytes >= enough {
                break;
            }
        }
        bytes
    }

    /// The record id at `offset`, if the log holds it.
    pub fn record_id_at(&self, offset: Offset) -> Option<RecordId> {
        let i = offset.0.checked_sub(self.log_start_offset)? as usize;
        self.record_ids.get(i).copied()
    }

    /// Indexes into the columns of offsets `[from, until)` clipped to the log, if any.
    fn range(&self, from: Offset, until: Offset) -> Option<std::ops::Range<usize>> {
        let start = from.0.checked_sub(self.log_start_offset)? as usize;
        let end = (until.0.saturating_sub(self.log_start_offset) as usize).min(self.record_ids.len());
        (start < end).then_some(start..end)
    }

    /// The key of each of the last `n` records, oldest first, with its offset.
    pub fn tail_keys(&self, n: usize) -> Vec<(Offset, Option<KeyId>)> {
        let len = self.keys.len();
        let start = len.saturating_sub(n);
        (start..len)
            .map(|i| {
                let k = self.keys[i];
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
    }
}
