//! One partition replica's producer state (Kafka's `ProducerStateManager`): for each
//! idempotent producer id, its epoch and the metadata of its last five batches, so that the
//! leader drops a retried batch it already has and refuses one that leaves a gap. Followers
//! build the same state from the batch headers they replicate, so a new leader goes on
//! deduplicating. It knows nothing of nodes or the network.
//!
//! Kafka rebuilds this state from the batch headers in the log (and snapshots); we keep the
//! headers beside the log's columns, only as many as the state can still need: a producer's
//! last five batches, and the ones after them.

use crate::ids::Offset;
use crate::protocol::ProducerStamp;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Batches remembered per producer (Kafka's `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`).
pub const NUM_BATCHES_TO_RETAIN: usize = 5;

/// One appended batch's idempotence header and where it sits in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BatchHeader {
    pub stamp: ProducerStamp,
    pub base_offset: Offset,
    /// The offset of the batch's last record.
    pub last_offset: Offset,
    pub records: u32,
}

impl BatchHeader {
    fn last_sequence(&self) -> u32 {
        self.stamp.base_sequence.wrapping_add(self.records - 1) & i32::MAX as u32
    }
}

/// A producer's state on one partition (Kafka's `ProducerStateEntry`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ProducerEntry {
    epoch: u16,
    /// Its last batches, oldest first, at most [`NUM_BATCHES_TO_RETAIN`].
    batches: VecDeque<BatchHeader>,
}

/// What the leader does with an idempotent batch (Kafka's `UnifiedLog.analyzeAndValidateProducerState`
/// and `ProducerAppendInfo.checkSequence` / `checkProducerEpoch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCheck {
    /// Append it.
    Append,
    /// The same batch (epoch, first and last sequence) is among the producer's last five: do
    /// not append it again, answer with the offset it got the first time.
    Duplicate { base_offset: Offset },
    /// Its first sequence does not follow the producer's last (`OutOfOrderSequenceException`).
    OutOfOrder { last_sequence: Option<u32> },
    /// Its epoch is older than the producer's (`InvalidProducerEpochException`).
    InvalidEpoch { current: u16 },
}

/// The producer state of one partition replica.
#[derive(Debug, Clone, Default)]
pub struct ProducerStateManager {
    producers: BTreeMap<u64, ProducerEntry>,
    /// Headers of the batches in the log that a producer's state may still need, in offset order.
    headers: VecDeque<BatchHeader>,
}

/// Kafka's `ProducerStateEntry.inSequence`: `next` follows `last`, wrapping at `i32::MAX`.
fn in_sequence(last: u32, next: u32) -> bool {
    next == last + 1 || (next == 0 && last == i32::MAX as u32)
}

impl ProducerStateManager {
    /// The leader's check of a batch of `records` records stamped `stamp`, before appending it.
    pub fn check(&self, stamp: ProducerStamp, records: u32) -> SequenceCheck {
        let Some(entry) = self.producers.get(&stamp.producer_id) else {
            // No state for this producer (new, or its batches left the log): any sequence.
            return SequenceCheck::Append;
        };
        if stamp.producer_epoch < entry.epoch {
            return SequenceCheck::InvalidEpoch { current: entry.epoch };
        }
        let last = (stamp.base_sequence.wrapping_add(records - 1)) & i32::MAX as u32;
        if stamp.producer_epoch == entry.epoch {
            if let Some(b) =
                entry.batches.iter().find(|b| b.stamp.base_sequence == stamp.base_sequence && b.last_sequence() == last)
            {
                return SequenceCheck::Duplicate { base_offset: b.base_offset };
            }
            let last_sequence = entry.batches.back().map(|b| b.last_sequence());
            match last_sequence {
                Some(l) if !in_sequence(l, stamp.base_sequence) => SequenceCheck::OutOfOrder { last_sequence },
                _ => SequenceCheck::Append,
            }
        } else if stamp.base_sequence != 0 {
            // A bumped epoch starts its sequences again at 0.
            SequenceCheck::OutOfOrder { last_sequence: None }
        } else {
            SequenceCheck::Append
        }
    }

    /// Records an appended batch (on the leader after `check`, on a follower as replicated).
    pub fn on_append(&mut self, header: BatchHeader) {
        let entry = self.producers.entry(header.stamp.producer_id).or_default();
        if header.stamp.producer_epoch != entry.epoch {
            entry.epoch = header.stamp.producer_epoch;
            entry.batches.clear();
        }
        entry.batches.push_back(header);
        if entry.batches.len() > NUM_BATCHES_TO_RETAIN {
            entry.batches.pop_front();
        }
        self.headers.push_back(header);
        self.prune();
    }

    /// Drops headers from the front that no producer's state holds any more.
    fn prune(&mut self) {
        while let Some(h) = self.headers.front() {
            let held = self
                .producers
                .get(&h.stamp.producer_id)
                .and_then(|e| e.batches.front())
                .is_some_and(|first| first.base_offset <= h.base_offset);
            if held {
                break;
            }
            self.headers.pop_front();
        }
    }

    /// The headers of the batches that end at or after `from` and start before `until`, for a
    /// follower's fetch.
    pub fn headers_in(&self, from: Offset, until: Offset) -> Vec<BatchHeader> {
        let start = self.headers.partition_point(|h| h.last_offset < from);
        self.headers.iter().skip(start).take_while(|h| h.base_offset < until).copied().collect()
    }

    /// The log was truncated to `offset`: batches from it on are gone, and the state is built
    /// again from the headers that remain (Kafka's `UnifiedLog.rebuildProducerState`).
    pub fn truncate_to(&mut self, offset: Offset) {
        while self.headers.back().is_some_and(|h| h.base_offset >= offset) {
            self.headers.pop_back();
        }
        let headers = std::mem::take(&mut self.headers);
        self.producers.clear();
        for h in headers {
            self.on_append(h);
        }
    }

    /// The epoch and last sequence of `producer_id` here, if it has state (for views and tests).
    pub fn last_sequence(&self, producer_id: u64) -> Option<(u16, u32)> {
        let e = self.producers.get(&producer_id)?;
        Some((e.epoch, e.batches.back()?.last_sequence()))
    }

    /// How many producers have state here.
    pub fn producers(&self) -> usize {
        self.producers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(pid: u64, epoch: u16, seq: u32, offset: u64, records: u32) -> BatchHeader {
        BatchHeader {
            stamp: ProducerStamp { producer_id: pid, producer_epoch: epoch, base_sequence: seq },
            base_offset: Offset(offset),
            last_offset: Offset(offset + records as u64 - 1),
            records,
        }
    }

    fn stamp(pid: u64, epoch: u16, seq: u32) -> ProducerStamp {
        ProducerStamp { producer_id: pid, producer_epoch: epoch, base_sequence: seq }
    }

    #[test]
    fn a_retried_batch_among_the_last_five_is_a_duplicate_and_an_older_one_is_out_of_order() {
        let mut s = ProducerStateManager::default();
        for i in 0..6u32 {
            assert_eq!(s.check(stamp(7, 0, i * 2), 2), SequenceCheck::Append);
            s.on_append(header(7, 0, i * 2, i as u64 * 2, 2));
        }
        assert_eq!(s.check(stamp(7, 0, 2), 2), SequenceCheck::Duplicate { base_offset: Offset(2) });
        assert_eq!(s.check(stamp(7, 0, 10), 2), SequenceCheck::Duplicate { base_offset: Offset(10) });
        assert_eq!(
            s.check(stamp(7, 0, 0), 2),
            SequenceCheck::OutOfOrder { last_sequence: Some(11) },
            "the first batch is no longer among the last five"
        );
        assert_eq!(s.check(stamp(7, 0, 14), 1), SequenceCheck::OutOfOrder { last_sequence: Some(11) }, "a gap");
        assert_eq!(s.check(stamp(7, 0, 12), 1), SequenceCheck::Append);
        assert_eq!(s.headers.len(), 5, "headers no state needs are dropped");
    }

    #[test]
    fn epochs_unknown_producers_and_truncation() {
        let mut s = ProducerStateManager::default();
        assert_eq!(s.check(stamp(1, 0, 40), 1), SequenceCheck::Append, "no state: any sequence");
        s.on_append(header(1, 3, 0, 0, 1));
        assert_eq!(s.check(stamp(1, 2, 1), 1), SequenceCheck::InvalidEpoch { current: 3 });
        assert_eq!(s.check(stamp(1, 4, 5), 1), SequenceCheck::OutOfOrder { last_sequence: None });
        assert_eq!(s.check(stamp(1, 4, 0), 1), SequenceCheck::Append);
        s.on_append(header(1, 3, 1, 1, 3));
        s.on_append(header(2, 0, 0, 4, 1));
        assert_eq!(s.headers_in(Offset(2), Offset(5)).len(), 2);
        s.truncate_to(Offset(1));
        assert_eq!(s.last_sequence(1), Some((3, 0)));
        assert_eq!(s.last_sequence(2), None);
        assert_eq!(s.producers(), 1);
    }
}
