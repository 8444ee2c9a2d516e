//! The transaction coordinator (Kafka's `TransactionCoordinator` and `TransactionMetadata`):
//! per `transactional.id`, the producer id and epoch, the transaction's state and the
//! partitions in it. It decides; the broker around it persists each change to the
//! coordinator's partition, sends the markers and answers the clients.
//!
//! It follows Kafka 4.x with `transaction.version=2` (KIP-890) in two ways: the epoch is bumped
//! at every EndTxn, commit or abort, and the markers carry the bumped epoch, so a late write
//! of the old epoch is refused. Partitions join a transaction by an AddPartitionsToTxn from
//! the producer, as in version 1 (in version 2 the partition leader sends it).

use crate::ids::TopicPartition;
use crate::protocol::KafkaError;
use crate::sim::SimTime;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How often the coordinator looks for transactions open longer than their timeout
/// (`transaction.abort.timed.out.transaction.cleanup.interval.ms`, default 10 s).
pub const TIMED_OUT_CHECK_INTERVAL_MS: u64 = 10_000;

/// A transaction's state at its coordinator (Kafka's `TransactionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TxnState {
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
}

impl TxnState {
    /// Kafka's name: `Empty`, `Ongoing`, `PrepareCommit`, ...
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Empty => "Empty",
            TxnState::Ongoing => "Ongoing",
            TxnState::PrepareCommit => "PrepareCommit",
            TxnState::PrepareAbort => "PrepareAbort",
            TxnState::CompleteCommit => "CompleteCommit",
            TxnState::CompleteAbort => "CompleteAbort",
        }
    }

    /// Its code in a persisted state record.
    pub fn code(self) -> u64 {
        self as u64
    }

    /// The state of a persisted code.
    pub fn from_code(c: u64) -> Option<TxnState> {
        use TxnState::*;
        [Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort].get(c as usize).copied()
    }

    fn is_complete(self) -> bool {
        matches!(self, TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort)
    }
}

/// One `transactional.id`'s metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TxnMetadata {
    pub producer_id: u64,
    pub producer_epoch: u16,
    /// The epoch before the last bump, so that a retried EndTxn is recognised.
    pub last_epoch: Option<u16>,
    pub state: TxnState,
    pub partitions: BTreeSet<TopicPartition>,
    /// `transaction.timeout.ms` the producer gave.
    pub timeout_ms: u64,
    /// When the first partition was added (the transaction's start).
    pub started: SimTime,
    /// Partitions whose marker is not written yet, in a Prepare state.
    pub pending_markers: BTreeSet<TopicPartition>,
}

/// What the broker must do after a coordinator decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Answer with this producer id and epoch.
    Granted { producer_id: u64, producer_epoch: u16 },
    /// Answer with this error.
    Refused(KafkaError),
    /// Write markers (commit or abort) for these partitions, epoch as given; the transaction
    /// waits in PrepareCommit / PrepareAbort.
    WriteMarkers { producer_id: u64, producer_epoch: u16, commit: bool, partitions: Vec<TopicPartition> },
}

/// The transactions this broker coordinates.
#[derive(Debug, Clone, Default)]
pub struct TransactionCoordinator {
    pub txns: BTreeMap<String, TxnMetadata>,
}

impl TransactionCoordinator {
    /// InitProducerId for `id` (`TransactionCoordinator.handleInitProducerId`): a new id gets
    /// `new_producer_id()` and epoch 0; a known one gets its epoch bumped, which fences the older
    /// instance. An open transaction is aborted first (PrepareEpochFence), and the caller is
    /// told `CONCURRENT_TRANSACTIONS` so that it asks again once the abort is done.
    pub fn init_producer_id(
        &mut self,
        id: &str,
        timeout_ms: u64,
        new_producer_id: impl FnOnce() -> u64,
    ) -> Vec<Decision> {
        let Some(t) = self.txns.get_mut(id) else {
            let producer_id = new_producer_id();
            self.txns.insert(
                id.to_string(),
                TxnMetadata {
                    producer_id,
                    producer_epoch: 0,
                    last_epoch: None,
                    state: TxnState::Empty,
                    partitions: BTreeSet::new(),
                    timeout_ms,
                    started: SimTime::ZERO,
                    pending_markers: BTreeSet::new(),
                },
            );
            return vec![Decision::Granted { producer_id, producer_epoch: 0 }];
        };
        t.timeout_ms = timeout_ms;
        match t.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort => {
                vec![Decision::Refused(KafkaError::ConcurrentTransactions)]
            }
            TxnState::Ongoing => {
                // prepareFenceProducerEpoch, then an abort (which bumps once more, v2).
                t.producer_epoch += 1;
                let abort = Self::prepare_end(t, false);
                vec![abort, Decision::Refused(KafkaError::ConcurrentTransactions)]
            }
            _ => {
                t.last_epoch = Some(t.producer_epoch);
                t.producer_epoch += 1;
                t.state = TxnState::Empty;
                t.partitions.clear();
                vec![Decision::Granted { producer_id: t.producer_id, producer_epoch: t.producer_epoch }]
            }
        }
    }

    fn check_producer(t: &TxnMetadata, producer_id: u64, epoch: u16) -> Result<(), KafkaError> {
        if t.producer_id != producer_id || epoch != t.producer_epoch {
            return Err(KafkaError::ProducerFenced);
        }
        Ok(())
    }

    /// AddPartitionsToTxn: the first partition starts the transaction (Ongoing) at `now`.
    /// Returns the partitions new to it (for the state log).
    pub fn add_partitions(
        &mut self,
        id: &str,
        producer_id: u64,
        epoch: u16,
        partitions: &[TopicPartition],
        now: SimTime,
    ) -> Result<Vec<TopicPartition>, KafkaError> {
        let t = self.txns.get_mut(id).ok_or(KafkaError::InvalidTxnState)?;
        Self::check_producer(t, producer_id, epoch)?;
        match t.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort => return Err(KafkaError::ConcurrentTransactions),
            TxnState::Ongoing => {}
            _ => {
                t.state = TxnState::Ongoing;
                t.started = now;
                t.partitions.clear();
            }
        }
        Ok(partitions.iter().filter(|p| t.partitions.insert(**p)).copied().collect())
    }

    /// Moves `t` to PrepareCommit / PrepareAbort, bumping the epoch (transaction version 2).
    fn prepare_end(t: &mut TxnMetadata, commit: bool) -> Decision {
        t.last_epoch = Some(t.producer_epoch);
        t.producer_epoch += 1;
        t.state = if commit { TxnState::PrepareCommit } else { TxnState::PrepareAbort };
        t.pending_markers = t.partitions.clone();
        Decision::WriteMarkers {
            producer_id: t.producer_id,
            producer_epoch: t.producer_epoch,
            commit,
            partitions: t.partitions.iter().copied().collect(),
        }
    }

    /// EndTxn (`handleEndTransaction`, with transaction version 2's rules): an open
    /// transaction goes to PrepareCommit or PrepareAbort and its markers are to be written; the
    /// client gets the bumped epoch. A retry of the EndTxn just done (old epoch, same result)
    /// succeeds again; any other old epoch is fenced.
    pub fn end_txn(&mut self, id: &str, producer_id: u64, epoch: u16, commit: bool) -> Vec<Decision> {
        let Some(t) = self.txns.get_mut(id) else { return vec![Decision::Refused(KafkaError::InvalidTxnState)] };
        if t.producer_id != producer_id {
            return vec![Decision::Refused(KafkaError::ProducerFenced)];
        }
        let granted =
            |t: &TxnMetadata| Decision::Granted { producer_id: t.producer_id, producer_epoch: t.producer_epoch };
        if epoch != t.producer_epoch {
            let retry = Some(epoch) == t.last_epoch;
            return match (t.state, commit) {
                (TxnState::PrepareCommit, true) | (TxnState::PrepareAbort, false) if retry => vec![granted(t)],
                (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) if retry => vec![granted(t)],
                _ => vec![Decision::Refused(KafkaError::ProducerFenced)],
            };
        }
        match t.state {
            TxnState::Ongoing => {
                let markers = Self::prepare_end(t, commit);
                vec![markers, granted(t)]
            }
            TxnState::PrepareCommit | TxnState::PrepareAbort => {
                vec![Decision::Refused(KafkaError::ConcurrentTransactions)]
            }
            // Nothing was added: an abort only bumps the epoch; a commit is refused.
            _ if !commit => {
                t.last_epoch = Some(t.producer_epoch);
                t.producer_epoch += 1;
                vec![granted(t)]
            }
            _ => vec![Decision::Refused(KafkaError::InvalidTxnState)],
        }
    }

    /// A leader wrote (or could not need) `partition`'s marker for `producer_id`'s transaction.
    /// Returns the transactional id and the new state when the transaction is now complete.
    pub fn marker_written(&mut self, producer_id: u64, partition: TopicPartition) -> Option<(String, TxnState)> {
        let (id, t) = self
            .txns
            .iter_mut()
            .find(|(_, t)| t.producer_id == producer_id && !t.state.is_complete() && t.state != TxnState::Ongoing)?;
        t.pending_markers.remove(&partition);
        if !t.pending_markers.is_empty() {
            return None;
        }
        t.state = if t.state == TxnState::PrepareCommit { TxnState::CompleteCommit } else { TxnState::CompleteAbort };
        t.partitions.clear();
        Some((id.clone(), t.state))
    }

    /// `abortTimedOutTransactions`: every Ongoing transaction started more than its timeout
    /// before `now` is fenced (epoch + 1) and aborted.
    pub fn abort_timed_out(&mut self, now: SimTime) -> Vec<(String, Decision)> {
        let mut out = vec![];
        for (id, t) in self.txns.iter_mut() {
            if t.state == TxnState::Ongoing && t.started.plus_ms(t.timeout_ms) < now {
                t.producer_epoch += 1;
                out.push((id.clone(), Self::prepare_end(t, false)));
            }
        }
        out
    }

    /// Transactions waiting for markers: (producer id, epoch, commit, partitions still pending).
    pub fn pending_markers(&self) -> Vec<(u64, u16, bool, Vec<TopicPartition>)> {
        self.txns
            .values()
            .filter(|t| !t.pending_markers.is_empty())
            .map(|t| {
                let commit = t.state == TxnState::PrepareCommit;
                (t.producer_id, t.producer_epoch, commit, t.pending_markers.iter().copied().collect())
            })
            .collect()
    }

    /// Whether any transaction is open (the timeout check is needed).
    pub fn any_ongoing(&self) -> bool {
        self.txns.values().any(|t| t.state == TxnState::Ongoing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TopicId;

    fn tp(p: u32) -> TopicPartition {
        TopicPartition::new(TopicId(0), p)
    }

    #[test]
    fn a_second_instance_fences_the_first_and_aborts_its_open_transaction() {
        let mut c = TransactionCoordinator::default();
        assert_eq!(c.init_producer_id("t", 60_000, || 7), [Decision::Granted { producer_id: 7, producer_epoch: 0 }]);
        assert_eq!(c.add_partitions("t", 7, 0, &[tp(0), tp(1)], SimTime(5)), Ok(vec![tp(0), tp(1)]));
        // The new instance: the open transaction is aborted at epoch 2 (fence + v2 bump).
        let d = c.init_producer_id("t", 60_000, || unreachable!());
        assert_eq!(
            d,
            [
                Decision::WriteMarkers {
                    producer_id: 7,
                    producer_epoch: 2,
                    commit: false,
                    partitions: vec![tp(0), tp(1)]
                },
                Decision::Refused(KafkaError::ConcurrentTransactions)
            ]
        );
        // The zombie can neither add nor commit.
        assert_eq!(c.add_partitions("t", 7, 0, &[tp(2)], SimTime(6)), Err(KafkaError::ProducerFenced));
        assert_eq!(c.end_txn("t", 7, 0, true), [Decision::Refused(KafkaError::ProducerFenced)]);
        assert_eq!(c.marker_written(7, tp(0)), None);
        assert_eq!(c.marker_written(7, tp(1)), Some(("t".to_string(), TxnState::CompleteAbort)));
        assert_eq!(
            c.init_producer_id("t", 60_000, || unreachable!()),
            [Decision::Granted { producer_id: 7, producer_epoch: 3 }]
        );
    }

    #[test]
    fn commit_bumps_the_epoch_and_a_retry_is_answered_again() {
        let mut c = TransactionCoordinator::default();
        c.init_producer_id("t", 60_000, || 1);
        c.add_partitions("t", 1, 0, &[tp(3)], SimTime(0)).unwrap();
        let d = c.end_txn("t", 1, 0, true);
        assert_eq!(
            d,
            [
                Decision::WriteMarkers { producer_id: 1, producer_epoch: 1, commit: true, partitions: vec![tp(3)] },
                Decision::Granted { producer_id: 1, producer_epoch: 1 }
            ]
        );
        assert_eq!(c.end_txn("t", 1, 0, true), [Decision::Granted { producer_id: 1, producer_epoch: 1 }]);
        assert_eq!(c.end_txn("t", 1, 0, false), [Decision::Refused(KafkaError::ProducerFenced)]);
        assert_eq!(c.add_partitions("t", 1, 1, &[tp(3)], SimTime(1)), Err(KafkaError::ConcurrentTransactions));
        c.marker_written(1, tp(3));
        assert_eq!(c.add_partitions("t", 1, 1, &[tp(3)], SimTime(2)), Ok(vec![tp(3)]));
    }

    #[test]
    fn a_transaction_open_past_its_timeout_is_aborted() {
        let mut c = TransactionCoordinator::default();
        c.init_producer_id("t", 1_000, || 1);
        c.add_partitions("t", 1, 0, &[tp(0)], SimTime(100)).unwrap();
        assert!(c.abort_timed_out(SimTime(1_100)).is_empty());
        let d = c.abort_timed_out(SimTime(1_101));
        assert_eq!(
            d,
            [(
                "t".to_string(),
                Decision::WriteMarkers { producer_id: 1, producer_epoch: 2, commit: false, partitions: vec![tp(0)] }
            )]
        );
        assert_eq!(c.end_txn("t", 1, 0, true), [Decision::Refused(KafkaError::ProducerFenced)]);
    }
}
