//! The broker's transaction roles: as a `transactional.id`'s coordinator (it leads the
//! id's coordinator partition), and as a partition leader writing transaction markers.
//!
//! Kafka keeps transaction state in `__transaction_state`; StreamLab keeps it in
//! `__consumer_offsets`, beside the groups, on the partition `hash(transactional.id)` picks.
//! Every state change is a record there, and a broker that comes to lead the partition loads
//! the transactions from it and finishes the markers of any transaction left half done.

use super::txn_coordinator::{Decision, TxnState, TIMED_OUT_CHECK_INTERVAL_MS};
use super::{offsets_key, partition_key, timer, Broker, BrokerTimer, Delayed, DelayedKind, OFFSETS_RECORD_PRODUCER};
use crate::broker::producer_state::BatchHeader;
use crate::ids::{KeyId, NodeId, Offset, RecordId, TopicPartition};
use crate::node::Ctx;
use crate::protocol::{KafkaError, Message, ProducerStamp, Record};
use crate::sim::{SimTime, TraceEvent};

/// Transactions' records use keys above the groups': `(TXN_KEY_BASE + t) << 20 | low`.
const TXN_KEY_BASE: u32 = 0x800;
/// The low bits of a transaction's state record (its partitions' records carry the partition).
const TXN_STATE_KEY: u32 = 0xF_FFFF;
/// How long the coordinator waits for a marker's answer before sending it again.
const MARKER_RETRY_MS: u64 = 1_000;
/// Bytes of a control batch of one record.
const MARKER_BYTES: u32 = 78;

impl Broker {
    fn txn_index(&self, id: &str) -> Option<u32> {
        self.setup.transactional_ids.iter().position(|t| t == id).map(|i| i as u32)
    }

    /// Appends `id`'s current state (and `added` partitions) to its coordinator partition.
    fn persist_txn(&mut self, ctx: &mut Ctx, id: &str, added: &[TopicPartition]) {
        let (Some(t), Some(meta)) = (self.txn_index(id), self.txn.txns.get(id)) else { return };
        let tp = self.offsets_partition(id);
        let now = ctx.now().0;
        let key = |low| Some(offsets_key(TXN_KEY_BASE + t, low));
        let record = |record_id, key| Record {
            record_id,
            key,
            timestamp_ms: now,
            size_bytes: 64,
            offset: Offset(0),
            tombstone: false,
        };
        // The record id's 40 bits: producer id (20), epoch (16), state (4).
        debug_assert!(meta.producer_id < 1 << 20, "producer id {} beyond the state record's 20 bits", meta.producer_id);
        let state = ((meta.producer_id & 0xF_FFFF) << 20) | ((meta.producer_epoch as u64) << 4) | meta.state.code();
        let mut records = vec![record(RecordId::new(OFFSETS_RECORD_PRODUCER, state), key(TXN_STATE_KEY))];
        records.extend(
            added
                .iter()
                .map(|p| record(RecordId::new(OFFSETS_RECORD_PRODUCER, meta.timeout_ms), key(partition_key(*p)))),
        );
        let Some(r) = self.replicas.get_mut(&tp).filter(|r| r.is_leader()) else { return };
        r.log.append(&records, now);
        r.log.flush_due(now);
        self.advance_high_watermark(ctx, tp);
        self.complete_held_fetches(ctx);
    }

    /// Loads the transactions whose coordinator partition it now leads from that partition,
    /// sends the markers of those left in a Prepare state, and drops those it no longer
    /// coordinates.
    pub(super) fn load_transactions(&mut self, ctx: &mut Ctx) {
        let ids = self.setup.transactional_ids.clone();
        for (t, id) in ids.iter().enumerate() {
            let leads = self.coordinates(id);
            let loaded = self.txn.txns.contains_key(id);
            if !leads {
                if loaded {
                    self.txn.txns.remove(id);
                }
                continue;
            }
            if loaded {
                continue;
            }
            let tp = self.offsets_partition(id);
            let log = &self.replicas[&tp].log;
            let mut meta: Option<super::txn_coordinator::TxnMetadata> = None;
            for r in log.read(log.log_start_offset(), log.log_end_offset(), u64::MAX) {
                let Some(KeyId(k)) = r.key else { continue };
                if k >> 20 != TXN_KEY_BASE + t as u32 {
                    continue;
                }
                let seq = r.record_id.seq() as u64;
                let low = k & TXN_STATE_KEY;
                if low == TXN_STATE_KEY {
                    let Some(state) = TxnState::from_code(seq & 0xF) else { continue };
                    let m = meta.get_or_insert_with(|| super::txn_coordinator::TxnMetadata {
                        producer_id: 0,
                        producer_epoch: 0,
                        last_epoch: None,
                        state,
                        partitions: Default::default(),
                        timeout_ms: 60_000,
                        started: SimTime::ZERO,
                        pending_markers: Default::default(),
                    });
                    if m.state != TxnState::Ongoing && state == TxnState::Ongoing {
                        m.started = SimTime(r.timestamp_ms);
                    }
                    if matches!(state, TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort) {
                        m.partitions.clear();
                    }
                    m.producer_id = seq >> 20;
                    m.producer_epoch = ((seq >> 4) & 0xFFFF) as u16;
                    m.state = state;
                } else if let Some(m) = meta.as_mut() {
                    m.partitions.insert(TopicPartition::new(crate::ids::TopicId(low >> 10), low & 0x3FF));
                    m.timeout_ms = seq;
                }
            }
            let Some(mut m) = meta else { continue };
            if matches!(m.state, TxnState::PrepareCommit | TxnState::PrepareAbort) {
                m.pending_markers = m.partitions.clone();
            }
            self.txn.txns.insert(id.clone(), m);
        }
        self.send_pending_markers(ctx);
        self.arm_txn_timeout_check(ctx);
    }

    /// Handles a transaction request, as coordinator or as partition leader; `false` if `msg`
    /// is not one.
    pub(super) fn on_txn_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: &Message) -> bool {
        match msg {
            Message::InitProducerIdRequest { correlation_id, transactional_id, transaction_timeout_ms } => {
                let correlation_id = *correlation_id;
                let answer = |error, producer_id, producer_epoch| Message::InitProducerIdResponse {
                    correlation_id,
                    error,
                    producer_id,
                    producer_epoch,
                };
                let Some(id) = transactional_id else {
                    let producer_id = self.next_producer_id();
                    ctx.send(from, answer(None, producer_id, 0));
                    return true;
                };
                if !self.coordinates(id) {
                    ctx.send(from, answer(Some(KafkaError::NotCoordinator), 0, 0));
                    return true;
                }
                let fresh = (!self.txn.txns.contains_key(id)).then(|| self.next_producer_id());
                let decisions = self.txn.init_producer_id(id, *transaction_timeout_ms, || fresh.expect("new id"));
                for d in decisions {
                    match d {
                        Decision::Granted { producer_id, producer_epoch } => {
                            ctx.trace(TraceEvent::TransactionalIdInitialized {
                                broker: self.id.0,
                                transactional_id: id.clone(),
                                producer_id,
                                producer_epoch,
                            });
                            ctx.send(from, answer(None, producer_id, producer_epoch));
                        }
                        Decision::Refused(e) => ctx.send(from, answer(Some(e), 0, 0)),
                        Decision::WriteMarkers { .. } => self.start_markers(ctx, id, d),
                    }
                }
                self.persist_txn(ctx, id, &[]);
                true
            }
            Message::AddPartitionsToTxnRequest {
                correlation_id,
                transactional_id,
                producer_id,
                producer_epoch,
                partitions,
            } => {
                let error = self.add_to_txn(ctx, transactional_id, *producer_id, *producer_epoch, partitions);
                ctx.send(from, Message::AddPartitionsToTxnResponse { correlation_id: *correlation_id, error });
                true
            }
            Message::EndTxnRequest { correlation_id, transactional_id, producer_id, producer_epoch, commit } => {
                let correlation_id = *correlation_id;
                let answer = |error, producer_id, producer_epoch| Message::EndTxnResponse {
                    correlation_id,
                    error,
                    producer_id,
                    producer_epoch,
                };
                if !self.coordinates(transactional_id) {
                    ctx.send(from, answer(Some(KafkaError::NotCoordinator), 0, 0));
                    return true;
                }
                for d in self.txn.end_txn(transactional_id, *producer_id, *producer_epoch, *commit) {
                    match d {
                        Decision::Granted { producer_id, producer_epoch } => {
                            ctx.send(from, answer(None, producer_id, producer_epoch))
                        }
                        Decision::Refused(e) => ctx.send(from, answer(Some(e), 0, 0)),
                        Decision::WriteMarkers { .. } => {
                            self.start_markers(ctx, transactional_id, d);
                        }
                    }
                }
                self.persist_txn(ctx, transactional_id, &[]);
                true
            }
            Message::AddOffsetsToTxnRequest {
                correlation_id,
                transactional_id,
                producer_id,
                producer_epoch,
                group_id,
            } => {
                let tp = self.offsets_partition(group_id);
                let error = self.add_to_txn(ctx, transactional_id, *producer_id, *producer_epoch, &[tp]);
                ctx.send(from, Message::AddOffsetsToTxnResponse { correlation_id: *correlation_id, error });
                true
            }
            Message::TxnOffsetCommitRequest {
                correlation_id,
                group_id,
                producer_id,
                producer_epoch,
                generation_id,
                member_id,
                offsets,
                ..
            } => {
                // A producer epoch below the last marker's is from a transaction already ended
                // (timed out and aborted): its offsets must not wait for a later commit.
                let tp = self.offsets_partition(group_id);
                let stale = self
                    .replicas
                    .get(&tp)
                    .and_then(|r| r.log.producer_state.last_epoch(*producer_id))
                    .is_some_and(|e| *producer_epoch < e);
                let error = if !self.coordinates(group_id) {
                    Some(KafkaError::NotCoordinator)
                } else if stale {
                    Some(KafkaError::InvalidProducerEpoch)
                } else {
                    self.coordinator.validate_txn_commit(group_id, *generation_id, member_id)
                };
                if error.is_none() {
                    let entry =
                        self.pending_txn_offsets.entry(*producer_id).or_insert_with(|| (group_id.clone(), vec![]));
                    entry.1.extend(offsets.iter().copied());
                }
                ctx.send(from, Message::TxnOffsetCommitResponse { correlation_id: *correlation_id, error });
                true
            }
            Message::WriteTxnMarkersRequest { correlation_id, producer_id, producer_epoch, commit, partitions } => {
                self.write_markers(ctx, from, *correlation_id, *producer_id, *producer_epoch, *commit, partitions);
                true
            }
            Message::WriteTxnMarkersResponse { producer_id, results, .. } => {
                for (tp, error) in results {
                    // A partition that is gone needs no marker; another error is retried.
                    if error.is_some_and(|e| e != KafkaError::UnknownTopicOrPartition) {
                        continue;
                    }
                    if let Some((id, state)) = self.txn.marker_written(*producer_id, *tp) {
                        ctx.trace(TraceEvent::TransactionCompleted {
                            broker: self.id.0,
                            transactional_id: id.clone(),
                            producer_id: *producer_id,
                            committed: state == TxnState::CompleteCommit,
                        });
                        self.persist_txn(ctx, &id, &[]);
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// AddPartitionsToTxn (and AddOffsetsToTxn, for a group's offsets partition) at the
    /// coordinator: the partitions join `id`'s transaction, which starts with the first.
    fn add_to_txn(
        &mut self,
        ctx: &mut Ctx,
        id: &str,
        producer_id: u64,
        producer_epoch: u16,
        partitions: &[TopicPartition],
    ) -> Option<KafkaError> {
        if !self.coordinates(id) {
            return Some(KafkaError::NotCoordinator);
        }
        match self.txn.add_partitions(id, producer_id, producer_epoch, partitions, ctx.now()) {
            Ok(added) => {
                if !added.is_empty() {
                    self.persist_txn(ctx, id, &added);
                }
                self.arm_txn_timeout_check(ctx);
                None
            }
            Err(e) => Some(e),
        }
    }

    /// Traces the decision to end `id`'s transaction and sends its markers.
    fn start_markers(&mut self, ctx: &mut Ctx, id: &str, d: Decision) {
        let Decision::WriteMarkers { producer_id, producer_epoch, commit, partitions } = d else { return };
        ctx.trace(TraceEvent::TransactionEnding {
            broker: self.id.0,
            transactional_id: id.to_string(),
            producer_id,
            producer_epoch,
            commit,
            partitions: partitions.clone(),
        });
        if partitions.is_empty() {
            // Nothing to mark: complete at once.
            if let Some(t) = self.txn.txns.get_mut(id) {
                t.state = if commit { TxnState::CompleteCommit } else { TxnState::CompleteAbort };
            }
            return;
        }
        self.send_pending_markers(ctx);
    }

    /// Sends every pending marker to its partition's leader, grouped by leader, and arms the
    /// retry.
    pub(super) fn send_pending_markers(&mut self, ctx: &mut Ctx) {
        let pending = self.txn.pending_markers();
        if pending.is_empty() {
            return;
        }
        for (producer_id, producer_epoch, commit, partitions) in pending {
            let mut by_leader: Vec<(NodeId, Vec<TopicPartition>)> = vec![];
            for tp in partitions {
                let Some(leader) = self.registry.get(&tp).and_then(|r| r.leader) else { continue };
                let node = self.node_of(leader);
                match by_leader.iter_mut().find(|(n, _)| *n == node) {
                    Some((_, ps)) => ps.push(tp),
                    None => by_leader.push((node, vec![tp])),
                }
            }
            for (node, partitions) in by_leader {
                let correlation_id = self.correlation_id();
                let msg =
                    Message::WriteTxnMarkersRequest { correlation_id, producer_id, producer_epoch, commit, partitions };
                ctx.send(node, msg);
            }
        }
        if !self.marker_retry_armed {
            self.marker_retry_armed = true;
            ctx.set_timer(MARKER_RETRY_MS, timer(BrokerTimer::TxnMarkerRetry));
        }
    }

    /// The marker retry timer: send again what is still pending.
    pub(super) fn on_marker_retry(&mut self, ctx: &mut Ctx) {
        self.marker_retry_armed = false;
        self.send_pending_markers(ctx);
    }

    /// The timed-out transaction check (every 10 s while a transaction is open).
    pub(super) fn on_txn_timeout_check(&mut self, ctx: &mut Ctx) {
        self.txn_timeout_armed = false;
        for (id, d) in self.txn.abort_timed_out(ctx.now()) {
            ctx.trace(TraceEvent::TransactionTimedOut { broker: self.id.0, transactional_id: id.clone() });
            self.start_markers(ctx, &id, d);
            self.persist_txn(ctx, &id, &[]);
        }
        self.arm_txn_timeout_check(ctx);
    }

    fn arm_txn_timeout_check(&mut self, ctx: &mut Ctx) {
        if !self.txn_timeout_armed && self.txn.any_ongoing() {
            self.txn_timeout_armed = true;
            ctx.set_timer(TIMED_OUT_CHECK_INTERVAL_MS, timer(BrokerTimer::TxnTimeoutCheck));
        }
    }

    /// WriteTxnMarkers at a partition leader: appends a control record per partition and
    /// answers once each is replicated (markers are written with acks=all).
    #[allow(clippy::too_many_arguments)]
    fn write_markers(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        correlation_id: u64,
        producer_id: u64,
        producer_epoch: u16,
        commit: bool,
        partitions: &[TopicPartition],
    ) {
        let now = ctx.now().0;
        let mut results = vec![];
        let mut waiting = vec![];
        for &tp in partitions {
            let Some(r) = self.replicas.get_mut(&tp).filter(|r| r.is_leader()) else {
                results.push((tp, Some(KafkaError::NotLeaderOrFollower)));
                continue;
            };
            if r.log.producer_state.last_epoch(producer_id).is_some_and(|e| e > producer_epoch) {
                results.push((tp, Some(KafkaError::InvalidProducerEpoch)));
                continue;
            }
            let marker = Record {
                record_id: RecordId::CONTROL,
                key: None,
                timestamp_ms: now,
                size_bytes: MARKER_BYTES,
                offset: Offset(0),
                tombstone: false,
            };
            let base_offset = r.log.append(&[marker], now);
            r.log.producer_state.on_append(BatchHeader {
                stamp: ProducerStamp { producer_id, producer_epoch, base_sequence: 0 },
                base_offset,
                last_offset: base_offset,
                records: 1,
                transactional: true,
                marker: Some(commit),
            });
            r.log.flush_due(now);
            ctx.trace(TraceEvent::MarkerWritten {
                broker: self.id.0,
                partition: tp,
                producer_id,
                commit,
                offset: base_offset,
            });
            let mut required = Offset(base_offset.0 + 1);
            self.advance_high_watermark(ctx, tp);
            if tp.topic == self.setup.offsets_topic {
                // The group's offsets sent with the transaction count now, or never.
                let pending = self.pending_txn_offsets.get(&producer_id).map(|(g, _)| g.clone());
                if let Some(group_id) = pending.filter(|g| self.offsets_partition(g) == tp) {
                    let (_, offsets) = self.pending_txn_offsets.remove(&producer_id).expect("present");
                    if commit {
                        if let Some(g) = self.coordinator.groups.get_mut(&group_id) {
                            for (p, o) in &offsets {
                                g.offsets.insert(*p, *o);
                            }
                        }
                        required = self.append_offsets(ctx, &group_id, &offsets).1;
                    }
                }
            }
            waiting.push((results.len(), tp, required));
            results.push((tp, None));
        }
        self.complete_held_fetches(ctx);
        let d = Delayed { from, correlation_id, kind: DelayedKind::Markers { producer_id, results, waiting } };
        self.delay(ctx, d, 30_000);
    }
}
