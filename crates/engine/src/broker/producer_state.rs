//! One partition replica's producer state (Kafka's `ProducerStateManager`): for each
//! idempotent producer id, its epoch and the metadata of its last five batches, so that the
//! leader drops a retried batch it already has and refuses one that leaves a gap. Followers
//! build the same state from the batch headers they replicate, so a new leader goes on
//! deduplicating. It knows nothing of nodes or the network.
//!
//! Kafka rebuilds this state from the batch headers in the log (and snapshots); we keep the
//! headers beside the log's columns, only as many as the state can still need: a producer's
//! last five batches, and the ones after them. Transactional batches and markers are kept for
//! as long as the log holds them: they decide the LSO and which records a `read_committed`
//! reader skips (Kafka's ongoing-transaction map and transaction index).

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
    /// A transactional batch (the header's transactional bit).
    pub transactional: bool,
    /// A transaction marker (a control batch of one record): `Some(true)` commits the
    /// producer's open transaction, `Some(false)` aborts it.
    pub marker: Option<bool>,
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
    /// Headers of transactional batches and markers, in offset order, all of them.
    txn_headers: Vec<BatchHeader>,
    /// Per producer id, its open transaction: first offset and its batches' offset ranges.
    ongoing: BTreeMap<u64, (Offset, Vec<(Offset, Offset)>)>,
    /// Decided transactions whose marker may not be below the HW yet: (first offset, marker offset).
    unreplicated: Vec<(Offset, Offset)>,
    /// The offset ranges `[first, last]` of aborted transactions' batches, by first offset.
    aborted: Vec<(Offset, Offset)>,
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

    /// Records an appended batch or marker (on the leader after `check`, on a follower as
    /// replicated).
    pub fn on_append(&mut self, header: BatchHeader) {
        if header.transactional || header.marker.is_some() {
            self.txn_headers.push(header);
            self.track_transaction(header);
        }
        self.replay(header);
    }

    fn track_transaction(&mut self, h: BatchHeader) {
        let pid = h.stamp.producer_id;
        match h.marker {
            None => {
                let (_, batches) = self.ongoing.entry(pid).or_insert((h.base_offset, vec![]));
                batches.push((h.base_offset, h.last_offset));
            }
            Some(commit) => {
                let Some((first, batches)) = self.ongoing.remove(&pid) else { return };
                self.unreplicated.push((first, h.base_offset));
                if !commit {
                    for b in batches {
                        let at = self.aborted.partition_point(|a| a.0 < b.0);
                        self.aborted.insert(at, b);
                    }
                }
            }
        }
    }

    /// The high watermark reached `hw`: transactions whose marker is below it are stable.
    pub fn on_high_watermark(&mut self, hw: Offset) {
        self.unreplicated.retain(|&(_, marker)| marker >= hw);
    }

    /// Kafka's `firstUnstableOffset`: the first offset of the earliest transaction that is
    /// open, or decided with its marker not yet below the HW.
    pub fn first_unstable_offset(&self) -> Option<Offset> {
        let open = self.ongoing.values().map(|(first, _)| *first).min();
        let unreplicated = self.unreplicated.iter().map(|(first, _)| *first).min();
        match (open, unreplicated) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The aborted records' ranges `[first, last]` that meet offsets `from..until`.
    pub fn aborted_in(&self, from: Offset, until: Offset) -> Vec<(Offset, Offset)> {
        self.aborted.iter().filter(|(f, l)| *l >= from && *f < until).copied().collect()
    }

    /// Whether offset `o` holds a record of an aborted transaction.
    pub fn is_aborted(&self, o: Offset) -> bool {
        // Batches do not overlap: only the last range starting at or before `o` can hold it.
        let i = self.aborted.partition_point(|a| a.0 <= o);
        i > 0 && o <= self.aborted[i - 1].1
    }

    /// Producer ids with a transaction open here, and its first offset.
    pub fn open_transactions(&self) -> Vec<(u64, Offset)> {
        self.ongoing.iter().map(|(pid, (first, _))| (*pid, *first)).collect()
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
        let mut out: Vec<BatchHeader> =
            self.headers.iter().skip(start).take_while(|h| h.base_offset < until).copied().collect();
        let start = self.txn_headers.partition_point(|h| h.last_offset < from);
        let txn = self.txn_headers[start..].iter().take_while(|h| h.base_offset < until);
        // A transactional batch may be in both lists.
        out.extend(txn.filter(|h| h.marker.is_some() || !self.headers.contains(h)).copied());
        out.sort_by_key(|h| h.base_offset);
        out.dedup();
        out
    }

    /// The log was truncated to `offset`: batches from it on are gone, and the state is built
    /// again from the headers that remain (Kafka's `UnifiedLog.rebuildProducerState`).
    pub fn truncate_to(&mut self, offset: Offset) {
        while self.headers.back().is_some_and(|h| h.base_offset >= offset) {
            self.headers.pop_back();
        }
        self.txn_headers.retain(|h| h.base_offset < offset);
        let headers = std::mem::take(&mut self.headers);
        let txn_headers = std::mem::take(&mut self.txn_headers);
        self.producers.clear();
        self.ongoing.clear();
        self.unreplicated.clear();
        self.aborted.clear();
        // Replay both lists in offset order; a header in both is replayed once.
        let mut all: Vec<BatchHeader> = headers.into_iter().chain(txn_headers).collect();
        all.sort_by_key(|h| h.base_offset);
        all.dedup();
        for h in all {
            if h.transactional || h.marker.is_some() {
                self.txn_headers.push(h);
                self.track_transaction(h);
            }
            self.replay(h);
        }
    }

    /// The producer-entry part of [`Self::on_append`]: a marker moves the epoch (under
    /// transaction protocol v2 it has the bumped one, and the next transaction's sequences
    /// start again at 0); a data batch joins the producer's last five.
    fn replay(&mut self, header: BatchHeader) {
        let entry = self.producers.entry(header.stamp.producer_id).or_default();
        if header.stamp.producer_epoch != entry.epoch {
            entry.epoch = header.stamp.producer_epoch;
            entry.batches.clear();
        }
        if header.marker.is_some() {
            return;
        }
        entry.batches.push_back(header);
        if entry.batches.len() > NUM_BATCHES_TO_RETAIN {
            entry.batches.pop_front();
        }
        self.headers.push_back(header);
        self.prune();
    }

    /// The epoch and last sequence of `producer_id` here, if it has state (for views and tests).
    pub fn last_sequence(&self, producer_id: u64) -> Option<(u16, u32)> {
        let e = self.producers.get(&producer_id)?;
        Some((e.epoch, e.batches.back()?.last_sequence()))
    }

    /// The epoch `producer_id` has here, if it has state.
    pub fn last_epoch(&self, producer_id: u64) -> Option<u16> {
        self.producers.get(&producer_id).map(|e| e.epoch)
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
            transactional: false,
            marker: None,
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
