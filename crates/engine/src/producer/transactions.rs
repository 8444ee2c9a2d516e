//! The transactional producer (the Java client's `TransactionManager` with a
//! `transactional.id`): it finds its coordinator, gets its producer id and epoch with
//! InitProducerId (which fences any older instance), and wraps the application's sends in
//! transactions: `beginTransaction()` before the first send, an AddPartitionsToTxn before the
//! first batch to each partition, and `commitTransaction()` or `abortTransaction()` (an EndTxn)
//! once the transaction's batches are all answered. The application here sends
//! `records_per_transaction` records per transaction and aborts each with `abort_rate`.

use super::{Producer, ProducerTimer};
use crate::ids::{NodeId, TopicPartition};
use crate::node::{Ctx, Timer};
use crate::protocol::{KafkaError, Message};
use crate::sim::TraceEvent;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How the application groups its sends into transactions (not Kafka configs: the loop around
/// `beginTransaction()` and `commitTransaction()`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionsSpec {
    /// Records sent per transaction, 1 to 100000 (default 100).
    #[serde(default = "default_records_per_transaction")]
    pub records_per_transaction: u32,
    /// The share of transactions the application aborts instead of committing, 0 to 1.
    #[serde(default)]
    pub abort_rate: f64,
}

fn default_records_per_transaction() -> u32 {
    100
}

impl Default for TransactionsSpec {
    fn default() -> Self {
        TransactionsSpec { records_per_transaction: default_records_per_transaction(), abort_rate: 0.0 }
    }
}

/// The client's transaction state (Kafka's `TransactionManager.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TxnClientState {
    Uninitialized,
    Initializing,
    Ready,
    InTransaction,
    CommittingTransaction,
    AbortingTransaction,
    /// Fenced by a newer instance (or another fatal error): it sends nothing more.
    FatalError,
}

impl TxnClientState {
    /// Kafka's name, in upper snake case.
    pub fn name(self) -> &'static str {
        match self {
            TxnClientState::Uninitialized => "UNINITIALIZED",
            TxnClientState::Initializing => "INITIALIZING",
            TxnClientState::Ready => "READY",
            TxnClientState::InTransaction => "IN_TRANSACTION",
            TxnClientState::CommittingTransaction => "COMMITTING_TRANSACTION",
            TxnClientState::AbortingTransaction => "ABORTING_TRANSACTION",
            TxnClientState::FatalError => "FATAL_ERROR",
        }
    }
}

/// The coordinator request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxnRequest {
    FindCoordinator,
    InitProducerId,
    AddPartitions,
    AddOffsets,
    TxnOffsetCommit,
    EndTxn,
}

/// What `sendOffsetsToTransaction()` commits with the transaction: a consumer group's positions,
/// and the member's group metadata (generation, member id) for the coordinator's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnOffsets {
    pub group_id: String,
    /// The group coordinator's node.
    pub coordinator: NodeId,
    pub generation_id: u32,
    pub member_id: String,
    pub offsets: Vec<(TopicPartition, crate::ids::Offset)>,
}

/// How far `sendOffsetsToTransaction()` has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum OffsetsStep {
    #[default]
    NotSent,
    /// AddOffsetsToTxn answered: TxnOffsetCommit next.
    Added,
    Committed,
}

/// A transactional producer's state.
#[derive(Debug, Clone)]
pub(super) struct Transactional {
    pub id: String,
    pub spec: TransactionsSpec,
    pub state: TxnClientState,
    coordinator: Option<NodeId>,
    in_flight: Option<(u64, TxnRequest)>,
    /// Partitions the coordinator has in the transaction.
    pub added: BTreeSet<u32>,
    /// Partitions written to but not added yet.
    pending_add: BTreeSet<u32>,
    adding: Vec<u32>,
    /// Records sent in the open transaction.
    pub records_in_txn: u64,
    /// A batch of this transaction failed for good: it can only be aborted.
    abortable: bool,
    attempts: u32,
    pub committed: u64,
    pub aborted: u64,
    /// The application decides when to commit (a consume-transform-produce pipeline), rather
    /// than every `records_per_transaction` records.
    app_driven: bool,
    commit_requested: bool,
    offsets: Option<TxnOffsets>,
    offsets_step: OffsetsStep,
    /// The last transaction's end, not yet taken by the application: committed or not.
    completed: Option<bool>,
}

impl Transactional {
    pub(super) fn new(id: String, spec: TransactionsSpec) -> Self {
        Transactional {
            id,
            spec,
            state: TxnClientState::Uninitialized,
            coordinator: None,
            in_flight: None,
            added: BTreeSet::new(),
            pending_add: BTreeSet::new(),
            adding: vec![],
            records_in_txn: 0,
            abortable: false,
            attempts: 0,
            committed: 0,
            aborted: 0,
            app_driven: false,
            commit_requested: false,
            offsets: None,
            offsets_step: OffsetsStep::NotSent,
            completed: None,
        }
    }

    /// A transactional producer whose application calls commit itself.
    pub(super) fn app_driven(id: String) -> Self {
        Transactional { app_driven: true, ..Self::new(id, TransactionsSpec::default()) }
    }

    /// Whether `send()` takes another record now.
    pub(super) fn takes_records(&self) -> bool {
        matches!(self.state, TxnClientState::Ready | TxnClientState::InTransaction)
            && (self.app_driven || self.records_in_txn < self.spec.records_per_transaction as u64)
    }

    /// Whether a batch to partition `p` may be drained (its partition is in the transaction).
    pub(super) fn may_drain(&self, p: u32) -> bool {
        self.state != TxnClientState::FatalError && self.added.contains(&p)
    }
}

impl Producer {
    /// The transaction state, for a transactional producer.
    pub fn transaction_state(&self) -> Option<TxnClientState> {
        self.txn.as_ref().map(|t| t.state)
    }

    /// The panel's view of its transactions, if transactional.
    pub fn transaction_view(&self) -> Option<crate::snapshot::TransactionView> {
        let t = self.txn.as_ref()?;
        Some(crate::snapshot::TransactionView {
            transactional_id: t.id.clone(),
            state: t.state.name(),
            committed: t.committed,
            aborted: t.aborted,
            records_in_transaction: t.records_in_txn,
            partitions: t.added.iter().copied().collect(),
        })
    }

    /// The application hands `send()` the output records (each keeping its input record's id),
    /// beginning a transaction if none is open.
    pub fn feed(&mut self, ctx: &mut Ctx, records: &[crate::protocol::Record], size_bytes: u32) {
        let now = ctx.now().0;
        if let crate::workload::Workload::Feed(w) = &mut self.workload {
            for r in records {
                let Some(key) = r.key else { continue };
                let e = crate::workload::Emitted { key, timestamp_ms: r.timestamp_ms, size_bytes };
                w.push(now, e, r.record_id);
            }
        }
        self.step(ctx);
    }

    /// Hands `send()` a window store's changelog records: `(partition, record)` each, to the
    /// changelog topic of [`Producer::with_changelog`], keeping their ids.
    pub fn feed_changelog(&mut self, ctx: &mut Ctx, records: &[(u32, crate::protocol::Record)]) {
        let now = ctx.now().0;
        if let crate::workload::Workload::Feed(w) = &mut self.workload {
            let partitions = self.changelog.map_or(0, |(_, n)| n);
            for (p, r) in records.iter().filter(|(p, _)| *p < partitions) {
                let Some(key) = r.key else { continue };
                let e = crate::workload::Emitted { key, timestamp_ms: r.timestamp_ms, size_bytes: r.size_bytes };
                w.push_to(now, e, r.record_id, *p);
            }
        }
        self.step(ctx);
    }

    /// `sendOffsetsToTransaction(offsets)` (if any) and `commitTransaction()`: the transaction
    /// ends once its batches are answered; [`Producer::take_completed`] then tells how.
    pub fn commit_transaction(&mut self, ctx: &mut Ctx, offsets: Option<TxnOffsets>) {
        let Some(t) = self.txn.as_mut() else { return };
        t.commit_requested = true;
        t.offsets = offsets;
        if t.state == TxnClientState::Ready {
            // Nothing was sent: commitTransaction() returns at once.
            t.commit_requested = false;
            t.offsets = None;
            t.completed = Some(true);
        }
        self.step(ctx);
    }

    /// How the last transaction ended (true: committed), once, after it did.
    pub fn take_completed(&mut self) -> Option<bool> {
        self.txn.as_mut().and_then(|t| t.completed.take())
    }

    /// Whether the producer can no longer send (fenced).
    pub fn is_fatal(&self) -> bool {
        self.txn.as_ref().is_some_and(|t| t.state == TxnClientState::FatalError)
    }

    /// Whether every record handed to `send()` is answered: `flush()` would return.
    pub fn is_flushed(&self) -> bool {
        self.workload.is_exhausted_at(self.next_record)
            && self.accumulator.iter().all(|q| q.is_empty())
            && self.pending.is_empty()
    }

    /// Transactions committed and aborted so far (0, 0 for other producers).
    pub fn transactions(&self) -> (u64, u64) {
        self.txn.as_ref().map_or((0, 0), |t| (t.committed, t.aborted))
    }

    /// A record is taken into the transaction, for partition `p`.
    pub(super) fn txn_record_taken(&mut self, p: u32) {
        let Some(t) = self.txn.as_mut() else { return };
        if t.state == TxnClientState::Ready {
            t.state = TxnClientState::InTransaction; // beginTransaction()
        }
        t.records_in_txn += 1;
        if !t.added.contains(&p) {
            t.pending_add.insert(p);
        }
    }

    fn txn_send(&mut self, ctx: &mut Ctx, to: NodeId, kind: TxnRequest, msg: impl FnOnce(u64) -> Message) {
        self.next_correlation_id += 1;
        let id = self.next_correlation_id;
        if let Some(t) = self.txn.as_mut() {
            t.in_flight = Some((id, kind));
        }
        ctx.send(to, msg(id));
        ctx.set_timer(
            self.config.request_timeout_ms,
            Timer::Producer(ProducerTimer::TxnRequestTimeout { correlation_id: id }),
        );
    }

    /// Sends the next coordinator request the transaction needs, if none is in flight: find the
    /// coordinator, InitProducerId, AddPartitionsToTxn, or EndTxn once the transaction's batches
    /// are all answered.
    pub(super) fn txn_progress(&mut self, ctx: &mut Ctx) {
        if self.txn.is_none() {
            return; // every step of every producer comes here
        }
        let batches_done = self.accumulator.iter().all(|q| q.is_empty()) && self.pending.is_empty();
        let producer = self.producer_id();
        let Some(t) = self.txn.as_mut() else { return };
        if t.in_flight.is_some() || t.state == TxnClientState::FatalError {
            return;
        }
        // The application commits (or aborts) once it has sent the transaction's records,
        // or has no more to send.
        let due = if t.app_driven {
            t.commit_requested
        } else {
            t.records_in_txn >= t.spec.records_per_transaction as u64 || self.workload.is_exhausted_at(self.next_record)
        };
        if t.state == TxnClientState::InTransaction && due {
            let abort = t.abortable || (t.spec.abort_rate > 0.0 && ctx.rng.unit_f64() < t.spec.abort_rate);
            t.state = if abort { TxnClientState::AbortingTransaction } else { TxnClientState::CommittingTransaction };
            if abort {
                // abortTransaction(): batches not sent yet fail (TransactionAbortedException).
                for q in self.accumulator.iter_mut() {
                    for b in q.iter().filter(|b| b.attempts == 0) {
                        self.stats.records_failed += b.records.len() as u64;
                        self.buffered_bytes = self.buffered_bytes.saturating_sub(b.bytes);
                    }
                    q.retain(|b| b.attempts > 0);
                }
            }
        }
        let t = self.txn.as_mut().expect("transactional");
        let Some(coordinator) = t.coordinator else {
            let brokers = &self.metadata.cluster.brokers;
            if brokers.is_empty() {
                return;
            }
            let node = brokers[(self.index as usize + t.attempts as usize) % brokers.len()];
            t.attempts += 1;
            let group_id = t.id.clone();
            self.txn_send(ctx, node, TxnRequest::FindCoordinator, |correlation_id| Message::FindCoordinatorRequest {
                correlation_id,
                group_id,
            });
            return;
        };
        let id = t.id.clone();
        match t.state {
            TxnClientState::Uninitialized | TxnClientState::Initializing => {
                t.state = TxnClientState::Initializing;
                let transaction_timeout_ms = self.config.transaction_timeout_ms;
                self.txn_send(ctx, coordinator, TxnRequest::InitProducerId, |correlation_id| {
                    Message::InitProducerIdRequest {
                        correlation_id,
                        transactional_id: Some(id),
                        transaction_timeout_ms,
                    }
                });
            }
            TxnClientState::InTransaction
            | TxnClientState::CommittingTransaction
            | TxnClientState::AbortingTransaction
                if !t.pending_add.is_empty() =>
            {
                let Some((producer_id, producer_epoch)) = producer else { return };
                t.adding = std::mem::take(&mut t.pending_add).into_iter().collect();
                let adding = t.adding.to_vec();
                let partitions = adding.into_iter().map(|p| self.slot_partition(p)).collect();
                self.txn_send(ctx, coordinator, TxnRequest::AddPartitions, |correlation_id| {
                    Message::AddPartitionsToTxnRequest {
                        correlation_id,
                        transactional_id: id,
                        producer_id,
                        producer_epoch,
                        partitions,
                    }
                });
            }
            TxnClientState::CommittingTransaction
                if t.offsets.is_some() && t.offsets_step != OffsetsStep::Committed =>
            {
                let Some((producer_id, producer_epoch)) = producer else { return };
                let o = t.offsets.clone().expect("offsets");
                if t.offsets_step == OffsetsStep::NotSent {
                    self.txn_send(ctx, coordinator, TxnRequest::AddOffsets, |correlation_id| {
                        Message::AddOffsetsToTxnRequest {
                            correlation_id,
                            transactional_id: id,
                            producer_id,
                            producer_epoch,
                            group_id: o.group_id,
                        }
                    });
                } else {
                    self.txn_send(ctx, o.coordinator, TxnRequest::TxnOffsetCommit, |correlation_id| {
                        Message::TxnOffsetCommitRequest {
                            correlation_id,
                            transactional_id: id,
                            group_id: o.group_id,
                            producer_id,
                            producer_epoch,
                            generation_id: o.generation_id,
                            member_id: o.member_id,
                            offsets: o.offsets,
                        }
                    });
                }
            }
            TxnClientState::CommittingTransaction | TxnClientState::AbortingTransaction if batches_done => {
                let Some((producer_id, producer_epoch)) = producer else { return };
                let commit = t.state == TxnClientState::CommittingTransaction;
                if t.added.is_empty() {
                    // Nothing was sent: the Java client completes locally.
                    self.txn_completed(ctx, commit, None);
                    return;
                }
                self.txn_send(ctx, coordinator, TxnRequest::EndTxn, |correlation_id| Message::EndTxnRequest {
                    correlation_id,
                    transactional_id: id,
                    producer_id,
                    producer_epoch,
                    commit,
                });
            }
            _ => {}
        }
    }

    fn txn_completed(&mut self, ctx: &mut Ctx, commit: bool, new_epoch: Option<(u64, u16)>) {
        let Some(t) = self.txn.as_mut() else { return };
        if commit {
            t.committed += 1;
        } else {
            t.aborted += 1;
        }
        ctx.trace(TraceEvent::TransactionFinished {
            producer: ctx.me(),
            transactional_id: t.id.clone(),
            committed: commit,
            records: t.records_in_txn,
        });
        t.state = TxnClientState::Ready;
        t.added.clear();
        t.pending_add.clear();
        t.records_in_txn = 0;
        t.abortable = false;
        t.commit_requested = false;
        t.offsets = None;
        t.offsets_step = OffsetsStep::NotSent;
        t.completed = Some(commit);
        if let (Some(pid_epoch), Some(idem)) = (new_epoch, self.idempotence.as_mut()) {
            // Transaction version 2: the next transaction has the bumped epoch; every
            // partition's sequences start again at 0.
            idem.producer = Some(pid_epoch);
        }
    }

    /// A batch of the transaction failed for good: the transaction must be aborted.
    pub(super) fn txn_batch_failed(&mut self, ctx: &mut Ctx, e: KafkaError) {
        if matches!(e, KafkaError::InvalidProducerEpoch | KafkaError::ProducerFenced) {
            self.txn_fatal(ctx, KafkaError::ProducerFenced);
        } else if let Some(t) = self.txn.as_mut() {
            t.abortable = true;
        }
    }

    /// A fatal error (`ProducerFencedException`): the producer stops; what it holds fails.
    fn txn_fatal(&mut self, ctx: &mut Ctx, e: KafkaError) {
        let Some(t) = self.txn.as_mut() else { return };
        if t.state == TxnClientState::FatalError {
            return;
        }
        t.state = TxnClientState::FatalError;
        ctx.trace(TraceEvent::ProducerFenced {
            producer: ctx.me(),
            transactional_id: t.id.clone(),
            error: e.exception_name(),
        });
        for q in self.accumulator.iter_mut() {
            for b in q.drain(..) {
                self.stats.records_failed += b.records.len() as u64;
                self.buffered_bytes = self.buffered_bytes.saturating_sub(b.bytes);
            }
        }
    }

    fn txn_retry(&mut self, ctx: &mut Ctx, lost_coordinator: bool, backoff_ms: u64) {
        let Some(t) = self.txn.as_mut() else { return };
        t.in_flight = None;
        if lost_coordinator {
            t.coordinator = None;
        }
        // A failed AddPartitionsToTxn is sent again.
        let adding = std::mem::take(&mut t.adding);
        t.pending_add.extend(adding);
        ctx.set_timer(backoff_ms, Timer::Producer(ProducerTimer::TxnRetry));
    }

    /// Handles a coordinator response; `false` if `msg` is not one this producer awaits.
    pub(super) fn on_txn_message(&mut self, ctx: &mut Ctx, msg: &Message) -> bool {
        let Some(t) = self.txn.as_mut() else { return false };
        let Some((awaited, kind)) = t.in_flight else { return false };
        let backoff = self.config.retry_backoff_ms;
        match (kind, msg) {
            (TxnRequest::FindCoordinator, Message::FindCoordinatorResponse { correlation_id, error, coordinator })
                if *correlation_id == awaited =>
            {
                match coordinator.filter(|_| error.is_none()) {
                    Some(node) => {
                        t.in_flight = None;
                        t.coordinator = Some(node);
                        self.txn_progress(ctx);
                    }
                    None => self.txn_retry(ctx, true, backoff),
                }
            }
            (
                TxnRequest::InitProducerId,
                Message::InitProducerIdResponse { correlation_id, error, producer_id, producer_epoch },
            ) if *correlation_id == awaited => match error {
                None => {
                    t.in_flight = None;
                    t.state = TxnClientState::Ready;
                    let (producer_id, producer_epoch) = (*producer_id, *producer_epoch);
                    if let Some(idem) = self.idempotence.as_mut() {
                        idem.producer = Some((producer_id, producer_epoch));
                    }
                    ctx.trace(TraceEvent::ProducerIdAssigned { producer: ctx.me(), producer_id, producer_epoch });
                    self.step(ctx);
                }
                Some(KafkaError::ProducerFenced | KafkaError::InvalidProducerEpoch) => {
                    t.in_flight = None;
                    self.txn_fatal(ctx, KafkaError::ProducerFenced);
                }
                Some(e) => {
                    let lost = matches!(e, KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable);
                    self.txn_retry(ctx, lost, backoff);
                }
            },
            (TxnRequest::AddPartitions, Message::AddPartitionsToTxnResponse { correlation_id, error })
                if *correlation_id == awaited =>
            {
                if error.is_none() {
                    t.in_flight = None;
                    let adding = std::mem::take(&mut t.adding);
                    t.added.extend(adding);
                }
                self.txn_add_answered(ctx, *error);
            }
            (TxnRequest::AddOffsets, Message::AddOffsetsToTxnResponse { correlation_id, error })
                if *correlation_id == awaited =>
            {
                if error.is_none() {
                    t.in_flight = None;
                    t.offsets_step = OffsetsStep::Added;
                }
                self.txn_add_answered(ctx, *error);
            }
            (TxnRequest::TxnOffsetCommit, Message::TxnOffsetCommitResponse { correlation_id, error })
                if *correlation_id == awaited =>
            {
                t.in_flight = None;
                match error {
                    None => t.offsets_step = OffsetsStep::Committed,
                    Some(e) => {
                        // CommitFailedException (the member left the group, or a rebalance) or a
                        // lost coordinator: the application aborts, and its input is read again.
                        ctx.trace(TraceEvent::CommitFailed { consumer: ctx.me(), error: e.exception_name() });
                        t.state = TxnClientState::AbortingTransaction;
                        t.offsets = None;
                    }
                }
                self.step(ctx);
            }
            (TxnRequest::EndTxn, Message::EndTxnResponse { correlation_id, error, producer_id, producer_epoch })
                if *correlation_id == awaited =>
            {
                match error {
                    None => {
                        t.in_flight = None;
                        let commit = t.state == TxnClientState::CommittingTransaction;
                        self.txn_completed(ctx, commit, Some((*producer_id, *producer_epoch)));
                        self.step(ctx);
                    }
                    Some(
                        KafkaError::ProducerFenced | KafkaError::InvalidProducerEpoch | KafkaError::InvalidTxnState,
                    ) => {
                        t.in_flight = None;
                        self.txn_fatal(ctx, KafkaError::ProducerFenced);
                    }
                    Some(e) => {
                        let lost = matches!(e, KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable);
                        self.txn_retry(ctx, lost, backoff);
                    }
                }
            }
            _ => return false,
        }
        true
    }

    /// After an AddPartitionsToTxn or AddOffsetsToTxn answer (its success already noted): go on,
    /// stop if fenced, or ask again (after Kafka's ADD_PARTITIONS_RETRY_BACKOFF_MS, 20 ms, for
    /// CONCURRENT_TRANSACTIONS; after `retry.backoff.ms`, finding the coordinator again if lost).
    fn txn_add_answered(&mut self, ctx: &mut Ctx, error: Option<KafkaError>) {
        match error {
            None => self.step(ctx),
            Some(KafkaError::ProducerFenced | KafkaError::InvalidProducerEpoch | KafkaError::InvalidTxnState) => {
                if let Some(t) = self.txn.as_mut() {
                    t.in_flight = None;
                }
                self.txn_fatal(ctx, KafkaError::ProducerFenced);
            }
            Some(KafkaError::ConcurrentTransactions) => self.txn_retry(ctx, false, 20),
            Some(e) => {
                let lost = matches!(e, KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable);
                let backoff = self.config.retry_backoff_ms;
                self.txn_retry(ctx, lost, backoff);
            }
        }
    }

    /// A coordinator request timed out, or its connection dropped: find the coordinator again.
    pub(super) fn txn_request_failed(&mut self, ctx: &mut Ctx, correlation_id: Option<u64>, node: Option<NodeId>) {
        let Some(t) = self.txn.as_ref() else { return };
        let Some((awaited, _)) = t.in_flight else { return };
        let matches = correlation_id.is_some_and(|c| c == awaited) || (node.is_some() && node == t.coordinator);
        if matches {
            let backoff = self.config.retry_backoff_ms;
            self.txn_retry(ctx, true, backoff);
        }
    }
}
