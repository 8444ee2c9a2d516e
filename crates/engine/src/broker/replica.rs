//! One broker's replica of one partition: its log, its leader-epoch cache, what the controller
//! last said about the partition, and, while it leads, what it knows of its followers (Kafka's
//! `Partition` and `LeaderEpochFileCache`). It knows other brokers only by id.

use super::log::PartitionLog;
use crate::ids::{BrokerId, Offset};
use crate::protocol::PartitionRegistration;
use crate::sim::SimTime;
use std::collections::BTreeMap;

/// The leader-epoch cache (KIP-101): for each leader epoch, the offset of its first record.
/// Entries ascend in both epoch and start offset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaderEpochCache {
    entries: Vec<(u32, Offset)>,
}

impl LeaderEpochCache {
    /// Records that `epoch` starts at `start_offset` (a new leader's LEO, or an entry a
    /// follower copies from its leader). Entries it contradicts (a later epoch or a start at or
    /// past `start_offset`) are dropped first, as Kafka's `assign` does.
    pub fn assign(&mut self, epoch: u32, start_offset: Offset) {
        if self.entries.last().is_some_and(|&(e, _)| e == epoch) {
            return;
        }
        self.entries.retain(|&(e, s)| e < epoch && s < start_offset);
        self.entries.push((epoch, start_offset));
    }

    /// The epoch of the last entry (the epoch of the log's last record), if any.
    pub fn latest_epoch(&self) -> Option<u32> {
        self.entries.last().map(|&(e, _)| e)
    }

    /// Kafka's `endOffsetFor(requestedEpoch)`: the largest epoch ≤ `epoch` that this log holds,
    /// and the offset where it ends here (the next epoch's start, or `log_end_offset` for the
    /// latest). `None` if the log holds no epoch that old.
    pub fn end_offset_for(&self, epoch: u32, log_end_offset: Offset) -> Option<(u32, Offset)> {
        let i = self.entries.iter().rposition(|&(e, _)| e <= epoch)?;
        let end = self.entries.get(i + 1).map_or(log_end_offset, |&(_, s)| s);
        Some((self.entries[i].0, end))
    }

    /// Entries starting in `[from, until)`: what a follower reading those offsets must copy.
    pub fn starting_in(&self, from: Offset, until: Offset) -> Vec<(u32, Offset)> {
        self.entries.iter().copied().filter(|&(_, s)| s >= from && s < until).collect()
    }

    /// Drops entries that start at or past `offset` (after a truncation).
    pub fn truncate_from_end(&mut self, offset: Offset) {
        self.entries.retain(|&(_, s)| s < offset);
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[(u32, Offset)] {
        &self.entries
    }
}

/// What the leader knows of one follower (Kafka's `Replica` state on the leader).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowerState {
    /// The follower's LEO, as its last fetch offset said.
    pub log_end_offset: Offset,
    /// The last time it was caught up (`lastCaughtUpTimeMs`): it fetched up to the leader's LEO
    /// of then. Out of the ISR after `replica.lag.time.max.ms` without catching up.
    pub last_caught_up: SimTime,
    /// When it last fetched, and the leader's LEO then.
    pub last_fetch: SimTime,
    pub last_fetch_leader_log_end_offset: Offset,
}

/// A replica of one partition on one broker.
#[derive(Debug, Clone)]
pub struct Replica {
    pub log: PartitionLog,
    pub epochs: LeaderEpochCache,
    /// The controller's record of the partition, as this broker last heard it.
    pub registration: PartitionRegistration,
    /// While this replica leads: its followers.
    pub followers: BTreeMap<BrokerId, FollowerState>,
    /// An AlterPartition sent and not yet answered: the ISR it asked for.
    pub pending_isr: Option<Vec<BrokerId>>,
    /// When that AlterPartition was (last) sent.
    pub pending_isr_sent: SimTime,
    /// The epoch this replica leads in, if it leads.
    pub leading_epoch: Option<u32>,
}

impl Replica {
    /// A replica with an empty log, registered as `registration` says.
    pub fn new(log: PartitionLog, registration: PartitionRegistration) -> Self {
        Replica {
            log,
            epochs: LeaderEpochCache::default(),
            registration,
            followers: BTreeMap::new(),
            pending_isr: None,
            pending_isr_sent: SimTime::ZERO,
            leading_epoch: None,
        }
    }

    /// Whether it leads in the current epoch.
    pub fn is_leader(&self) -> bool {
        self.leading_epoch.is_some()
    }

    /// The ISR used to advance the high watermark: the committed ISR plus any replica an
    /// in-flight AlterPartition adds (Kafka's "maximal ISR", so that the HW never counts on a
    /// smaller set than the controller may have committed).
    pub fn maximal_isr(&self) -> Vec<BrokerId> {
        let mut isr = self.registration.isr.clone();
        if let Some(p) = &self.pending_isr {
            for b in p {
                if !isr.contains(b) {
                    isr.push(*b);
                }
            }
        }
        isr
    }

    /// Truncates the log and the epoch cache to `offset`.
    pub fn truncate_to(&mut self, offset: Offset) {
        self.log.truncate_to(offset);
        self.epochs.truncate_from_end(self.log.log_end_offset());
    }

    /// KIP-207: a new leader serves reads only once its HW reaches the start of its epoch, so
    /// that the HW clients see never goes back.
    pub fn serves_reads(&self) -> bool {
        match self.leading_epoch {
            Some(epoch) => {
                let start = self.epochs.entries().iter().find(|&&(e, _)| e == epoch).map_or(Offset(0), |&(_, s)| s);
                self.log.high_watermark() >= start
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_offset_for_finds_the_divergence_point() {
        let mut c = LeaderEpochCache::default();
        c.assign(0, Offset(0));
        c.assign(2, Offset(10));
        c.assign(5, Offset(18));
        assert_eq!(c.end_offset_for(0, Offset(25)), Some((0, Offset(10))));
        assert_eq!(c.end_offset_for(1, Offset(25)), Some((0, Offset(10))), "epoch 1 never led here: epoch 0's end");
        assert_eq!(c.end_offset_for(4, Offset(25)), Some((2, Offset(18))));
        assert_eq!(c.end_offset_for(9, Offset(25)), Some((5, Offset(25))));
        c.truncate_from_end(Offset(18));
        assert_eq!(c.latest_epoch(), Some(2));
        // A later assign drops what it contradicts.
        c.assign(6, Offset(12));
        assert_eq!(c.entries(), &[(0, Offset(0)), (2, Offset(10)), (6, Offset(12))]);
    }
}
