//! The producer client: the application's send loop (driven by a workload), the record
//! accumulator that builds one batch per partition (`batch.size`, `linger.ms`, `buffer.memory`),
//! and the sender that drains ready brokers as Kafka's `Sender` and `RecordAccumulator` do
//! (`acks`, `max.in.flight.requests.per.connection`, `max.request.size`). It knows brokers only
//! through protocol messages.
//!
//! Leaders come from `MetadataRequest`s to the brokers: at start, and again whenever a send
//! fails with a retriable error (`NotLeaderOrFollower`, `NotEnoughReplicas`, a timeout, a
//! dropped connection), after which the batch is retried after an exponential backoff
//! (`retry.backoff.ms` doubling up to `retry.backoff.max.ms`, ±20%, KIP-580), within
//! `retries` and `delivery.timeout.ms`, as the Java client's `Sender.completeBatch` does. A
//! request that times out closes its connection, failing every request in flight on it, as
//! the Java `NetworkClient` does.
//!
//! With `enable.idempotence` (Kafka 4.x's default) the producer first gets a producer id
//! (`InitProducerId`) and stamps each batch with it and a per-partition sequence when the
//! batch is first drained; a retried batch keeps its sequence, goes back into its queue in
//! sequence order, and is sent again only when it is the first of its partition in flight
//! (`RecordAccumulator.shouldStopDrainBatchesForPartition`), so the broker can drop a
//! duplicate and order holds with up to 5 requests in flight.
//!
//! Records are not events: the producer wakes only when a batch can become ready (it fills, or
//! its `linger.ms` runs out) or a response frees a request slot, and then takes every record the
//! workload has due by then, each with its own due time. What leaves the producer is the same as
//! with one wake per record; only the work is batched.

pub mod compression;
pub mod partitioner;
mod transactions;

pub use transactions::{TransactionsSpec, TxnClientState, TxnOffsets};

use crate::config::{Acks, ProducerConfig};
use crate::ids::{NodeId, Offset, RecordId, TopicId, TopicPartition};
use crate::node::{ClusterMetadata, Ctx, MetadataClient, MetadataTimer, Timer};
use crate::protocol::{KafkaError, Message, ProducePartitionResult, ProducerBatch, ProducerStamp, Record};
use crate::sim::{SimTime, TraceEvent};
use crate::workload::{Due, KeyTable, Workload};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

/// How many upcoming records one wake looks at to find when the next batch fills; past that it
/// wakes at the last one looked at and looks again.
const LOOKAHEAD_RECORDS: u64 = 4096;

/// Producer timers.
#[derive(Debug, Clone, PartialEq)]
pub enum ProducerTimer {
    /// A batch may be ready: one fills up, its `linger.ms` runs out, or its retry backoff ends.
    Wake,
    /// The oldest produce request in flight may have had no answer within
    /// `request.timeout.ms`. One check for all requests, armed for the earliest deadline: a
    /// timer per request would fill the scheduler with thousands that almost never fire.
    RequestTimeoutCheck,
    /// An InitProducerId got no answer within `request.timeout.ms`.
    InitProducerIdTimeout {
        correlation_id: u64,
    },
    /// Ask for a producer id again, after `retry.backoff.ms`.
    InitProducerIdRetry,
    Metadata(MetadataTimer),
    /// A transactional request to the coordinator got no answer within `request.timeout.ms`.
    TxnRequestTimeout {
        correlation_id: u64,
    },
    /// Send the transaction's next coordinator request again, after a backoff.
    TxnRetry,
    /// The application starts (a producer with a later start).
    Start,
}

#[derive(Debug, Clone)]
struct OpenBatch {
    records: Vec<Record>,
    bytes: u64,
    /// When its first record was appended (`linger.ms` and `delivery.timeout.ms` count from here).
    created: SimTime,
    /// Sends so far.
    attempts: u32,
    /// A retried batch is not sent again before this (`retry.backoff.ms`).
    retry_at: SimTime,
    /// With idempotence: the sequence of its first record and the producer epoch it belongs
    /// to, given when it is first drained and kept by every retry.
    base_sequence: Option<u32>,
    epoch: u16,
    /// Drained once: no record joins it any more, even while it waits for a retry (Java's
    /// `ProducerBatch.closeForRecordAppends` on drain), so a retry resends the same batch.
    closed: bool,
}

/// One broker the producer sends to: the partitions it leads, where the next drain starts
/// (Kafka's per-node `drainIndex`), and the requests awaiting an answer.
#[derive(Debug, Clone)]
struct Destination {
    node: NodeId,
    partitions: Vec<u32>,
    drain_index: usize,
    in_flight: u32,
}

/// An unanswered ProduceRequest: its destination and its batches (kept to retry them).
#[derive(Debug, Clone)]
struct InFlight {
    node: NodeId,
    batches: Vec<(TopicPartition, OpenBatch)>,
    /// Its response, arrived while an older request on the same connection has none yet: TCP
    /// delivers a connection's responses in order, so it is read only after the older one.
    held: Option<Vec<ProducePartitionResult>>,
    /// When it times out (`request.timeout.ms` after it was sent).
    deadline: SimTime,
}

/// Counters the snapshot and report read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProducerStats {
    /// Records the application handed to `send()`.
    pub records_sent: u64,
    /// Records whose batch the leader acknowledged (with `acks=0`: put on the wire).
    pub records_acked: u64,
    pub batches_sent: u64,
    pub requests_in_flight: u32,
    /// Records whose send failed for good (a fatal error, or `delivery.timeout.ms` passed).
    pub records_failed: u64,
    /// Batches sent again after a retriable error.
    pub retries: u64,
}

/// One partition as the producer panel shows it: what waits in the accumulator, what is in
/// flight, and the idempotence sequence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartitionQueue {
    pub partition: u32,
    /// Batches waiting in the accumulator (open or ready, or waiting for a retry).
    pub batches: u32,
    /// Records in them.
    pub records: u32,
    /// Bytes in the last batch, if it still takes records (its fill against `batch.size`).
    pub open_batch_bytes: Option<u64>,
    /// When the open batch's `linger.ms` runs out, ms from now (0: ready).
    pub linger_left_ms: Option<u64>,
    /// The first batch waits for a retry: its backoff left, ms, and its sends so far.
    pub retry_in_ms: Option<u64>,
    pub attempts: u32,
    /// Idempotent: the next sequence to give, and the base sequences in flight.
    pub next_sequence: Option<u32>,
    pub sequences_in_flight: Vec<u32>,
}

/// An idempotent producer's state (the Java client's `TransactionManager` for a producer
/// without `transactional.id`).
#[derive(Debug, Clone, Default)]
struct Idempotence {
    /// The producer id and epoch, once InitProducerId answered.
    producer: Option<(u64, u16)>,
    /// The InitProducerId in flight: its correlation id.
    init_in_flight: Option<u64>,
    init_attempts: u32,
    /// Per partition: the epoch its sequences count in; behind the producer's after a bump
    /// until its batches in flight are resolved, and then it starts again at sequence 0.
    partition_epoch: Vec<u16>,
    /// Per partition: the next sequence to give.
    next_sequence: Vec<u32>,
    /// Per partition: the base sequences of its batches sent and not yet acknowledged or
    /// failed for good; a batch waiting to be retried stays (`inflightBatchesBySequence`).
    in_flight: Vec<BTreeSet<u32>>,
    /// Per partition: the last sequence acknowledged (`lastAckedSequence`).
    last_acked: Vec<Option<u32>>,
}

/// A producer node.
#[derive(Debug, Clone)]
pub struct Producer {
    pub config: ProducerConfig,
    pub topic: TopicId,
    /// Bits 40.. of every record id this producer makes.
    index: u64,
    keys: Rc<KeyTable>,
    workload: Workload,
    metadata: MetadataClient,
    /// Batches per partition, oldest first; only the last may still grow.
    accumulator: Vec<VecDeque<OpenBatch>>,
    destinations: Vec<Destination>,
    pending: BTreeMap<u64, InFlight>,
    next_correlation_id: u64,
    /// Index of the workload's next record.
    next_record: u64,
    /// Bytes of records in the accumulator or in flight (`buffer.memory` bounds it).
    buffered_bytes: u64,
    /// When the wake timer set last will fire.
    wake_at: Option<SimTime>,
    /// When the request timeout check set last will fire.
    timeout_check_at: Option<SimTime>,
    /// Per partition, for the look-ahead: bytes of the last open batch, or `None`.
    scratch: Vec<Option<u64>>,
    /// Each key's partition once computed (`u32::MAX` until then): murmur2 modulo the partition
    /// count is the same for every record of a key.
    partition_of_key: Vec<u32>,
    /// `Some` with `enable.idempotence`.
    idempotence: Option<Idempotence>,
    /// The sticky partitioner's partition and the bytes produced to it since it was picked
    /// (`partitioner.ignore.keys`; Kafka's `BuiltInPartitioner.StickyPartitionInfo`).
    sticky: Option<(u32, u64)>,
    /// `compression.type`: the estimated ratio (Kafka's `CompressionRatioEstimator`, from 1),
    /// the last ratio seen, and a buffer for the records' bytes.
    compression_ratio: f64,
    last_compression_ratio: Option<f64>,
    payload: Vec<u8>,
    /// With `transactional.id`: the transaction state.
    txn: Option<Box<transactions::Transactional>>,
    /// When the application starts, ms.
    start_ms: u64,
    /// The partition the application names in every `ProducerRecord`, if it does: the
    /// partitioner is not asked.
    explicit_partition: Option<u32>,
    /// A second topic the application writes to, naming the partition of each record (a
    /// window store's changelog), and its partition count: its partitions follow `topic`'s in
    /// the per-partition queues ("slots").
    changelog: Option<(TopicId, u32)>,
    pub stats: ProducerStats,
}

impl Producer {
    /// A producer that has not started; `config` holds its Kafka configs (`acks`, `linger.ms`,
    /// `batch.size`, ...). It writes to `topic`, which `metadata` describes.
    pub fn new(
        index: u32,
        config: ProducerConfig,
        topic: TopicId,
        metadata: &ClusterMetadata,
        keys: Rc<KeyTable>,
        workload: Workload,
    ) -> Self {
        let partitions = metadata.partitions(topic);
        let metadata =
            MetadataClient::new(metadata, index as usize, config.retry_backoff_ms, config.request_timeout_ms)
                .with_max_age(config.metadata_max_age_ms);
        Producer {
            config,
            topic,
            index: index as u64,
            keys,
            workload,
            metadata,
            accumulator: (0..partitions).map(|_| VecDeque::new()).collect(),
            destinations: vec![],
            pending: BTreeMap::new(),
            next_correlation_id: 0,
            next_record: 0,
            buffered_bytes: 0,
            wake_at: None,
            timeout_check_at: None,
            scratch: vec![None; partitions as usize],
            partition_of_key: Vec::new(),
            idempotence: None,
            sticky: None,
            compression_ratio: 1.0,
            last_compression_ratio: None,
            payload: Vec::new(),
            txn: None,
            start_ms: 0,
            explicit_partition: None,
            changelog: None,
            stats: ProducerStats::default(),
        }
        .with_idempotence(partitions as usize)
    }

    fn with_idempotence(mut self, partitions: usize) -> Self {
        if self.config.enable_idempotence {
            self.idempotence = Some(Idempotence {
                next_sequence: vec![0; partitions],
                partition_epoch: vec![0; partitions],
                in_flight: vec![BTreeSet::new(); partitions],
                last_acked: vec![None; partitions],
                ..Idempotence::default()
            });
        }
        self
    }

    /// Makes it transactional if its config has a `transactional.id`, sending as `spec` says.
    pub fn with_transactions(mut self, spec: TransactionsSpec) -> Self {
        if let Some(id) = self.config.transactional_id.clone() {
            self.txn = Some(Box::new(transactions::Transactional::new(id, spec)));
        }
        self
    }

    /// An embedded producer of a pipeline's application: records come from
    /// [`Producer::feed`]; with a `transactional.id` the application commits; its correlation ids
    /// start above `correlation_base`, so that its node (a consumer) can tell its responses apart.
    pub fn embedded(mut self, correlation_base: u64) -> Self {
        self.workload = Workload::Feed(Default::default());
        self.next_correlation_id = correlation_base;
        if let Some(id) = self.config.transactional_id.clone() {
            self.txn = Some(Box::new(transactions::Transactional::app_driven(id)));
        }
        self
    }

    /// Continues the correlation ids of `previous` (a new instance in the same process), so
    /// that a late response to the old one is not taken for an answer to the new one.
    pub fn continue_correlation_ids(&mut self, previous: &Producer) {
        self.next_correlation_id = self.next_correlation_id.max(previous.next_correlation_id);
    }

    /// A new instance of this producer's process after a crash: the application goes on with its
    /// next record; the records the old instance held or had in flight, never acknowledged,
    /// count as failed. Nothing of the old instance's state is kept but its counters and its
    /// correlation ids (a late response to the old one must not answer the new one).
    pub fn restarted(&self) -> Producer {
        let mut p = self.clone();
        let lost: u64 = p.accumulator.iter().flatten().map(|b| b.records.len() as u64).sum::<u64>()
            + p.pending.values().flat_map(|f| &f.batches).map(|(_, b)| b.records.len() as u64).sum::<u64>();
        p.stats.records_failed += lost;
        p.stats.requests_in_flight = 0;
        p.accumulator.iter_mut().for_each(|q| q.clear());
        p.pending.clear();
        p.destinations.iter_mut().for_each(|d| d.in_flight = 0);
        p.buffered_bytes = 0;
        p.wake_at = None;
        p.timeout_check_at = None;
        p.sticky = None;
        let partitions = p.accumulator.len();
        p.idempotence = None;
        p = p.with_idempotence(partitions);
        if let Some(t) = &self.txn {
            p.txn = Some(Box::new(transactions::Transactional::new(t.id.clone(), t.spec)));
        }
        p.start_ms = 0;
        p
    }

    /// Starts the application `start_ms` after the simulation does.
    pub fn with_start(mut self, start_ms: u64) -> Self {
        self.start_ms = start_ms;
        self
    }

    /// Lets the application also write to `topic` (of `partitions` partitions), naming each
    /// record's partition: a window store's changelog, in the same transaction as the outputs.
    pub fn with_changelog(mut self, topic: TopicId, partitions: u32) -> Self {
        let slots = self.accumulator.len() + partitions as usize;
        self.changelog = Some((topic, partitions));
        self.accumulator.resize_with(slots, VecDeque::new);
        self.scratch.resize(slots, None);
        self.idempotence = None;
        self.with_idempotence(slots)
    }

    /// Partitions of `topic` (the slots before the changelog's).
    fn topic_partitions(&self) -> usize {
        self.accumulator.len() - self.changelog.map_or(0, |(_, n)| n as usize)
    }

    /// The partition a queue slot sends to.
    fn slot_partition(&self, slot: u32) -> TopicPartition {
        let main = self.topic_partitions() as u32;
        match self.changelog {
            Some((topic, _)) if slot >= main => TopicPartition::new(topic, slot - main),
            _ => TopicPartition::new(self.topic, slot),
        }
    }

    /// The queue slot of a partition this producer writes to.
    fn slot_of(&self, tp: TopicPartition) -> usize {
        match self.changelog {
            Some((topic, _)) if tp.topic == topic => self.topic_partitions() + tp.partition.0 as usize,
            _ => tp.partition.0 as usize,
        }
    }

    /// Has the application name `partition` in every record (`new ProducerRecord(topic,
    /// partition, key, value)`): keys and the partitioner no longer choose.
    pub fn with_partition(mut self, partition: Option<u32>) -> Self {
        self.explicit_partition = partition;
        self
    }

    /// The producer id and epoch of an idempotent producer that has one.
    pub fn producer_id(&self) -> Option<(u64, u16)> {
        self.idempotence.as_ref().and_then(|i| i.producer)
    }

    /// Bytes of records in the accumulator or in flight (`buffer.memory` bounds them).
    pub fn buffered_bytes(&self) -> u64 {
        self.buffered_bytes
    }

    /// Requests awaiting an answer, per destination node.
    pub fn in_flight_by_node(&self) -> Vec<(NodeId, u32)> {
        let mut out: Vec<(NodeId, u32)> = vec![];
        for f in self.pending.values() {
            match out.iter_mut().find(|(n, _)| *n == f.node) {
                Some((_, k)) => *k += 1,
                None => out.push((f.node, 1)),
            }
        }
        out.sort();
        out
    }

    /// Each partition's queue at `now`, for the producer panel.
    pub fn partition_queues(&self, now: SimTime) -> Vec<PartitionQueue> {
        let batch_size = self.config.batch_size_bytes as u64;
        self.accumulator
            .iter()
            .take(self.topic_partitions())
            .enumerate()
            .map(|(p, q)| {
                let open = q.back().filter(|b| !b.closed && self.estimated(b.bytes) < batch_size);
                let retry = q.front().filter(|b| b.attempts > 0);
                PartitionQueue {
                    partition: p as u32,
                    batches: q.len() as u32,
                    records: q.iter().map(|b| b.records.len() as u32).sum(),
                    open_batch_bytes: open.map(|b| b.bytes),
                    linger_left_ms: open.map(|b| b.created.plus_ms(self.config.linger_ms).0.saturating_sub(now.0)),
                    retry_in_ms: retry.map(|b| b.retry_at.0.saturating_sub(now.0)),
                    attempts: retry.map_or(0, |b| b.attempts),
                    next_sequence: self.idempotence.as_ref().map(|i| i.next_sequence[p]),
                    sequences_in_flight: self
                        .idempotence
                        .as_ref()
                        .map_or(vec![], |i| i.in_flight[p].iter().copied().collect()),
                }
            })
            .collect()
    }

    /// Per partition, the next sequence an idempotent producer gives (empty otherwise).
    pub fn next_sequences(&self) -> &[u32] {
        self.idempotence.as_ref().map_or(&[], |i| &i.next_sequence)
    }

    /// Records the application has handed to `send()` by `now`: those taken so far, plus those
    /// due by `now` that the next wake will take (the producer takes records in slices, but the
    /// application sends each at its own time). Records `send()` would block on are not counted.
    pub fn records_sent(&self, now: SimTime) -> u64 {
        let mut n = self.stats.records_sent;
        let mut buffered = self.buffered_bytes;
        let mut k = self.next_record;
        while let Some((Due::At(at), e)) = self.workload.record(k) {
            let size = e.size_bytes as u64;
            if at > now.0 || !self.admits(buffered, size) {
                break;
            }
            buffered += size;
            n += 1;
            k += 1;
        }
        n
    }

    /// Whether the workload is exhausted and every record is acknowledged.
    pub fn is_done(&self) -> bool {
        if self.txn.as_ref().is_some_and(|t| t.state == TxnClientState::FatalError) {
            return self.pending.is_empty(); // fenced: it sends nothing more
        }
        let txn_open = self.txn.as_ref().is_some_and(|t| {
            !matches!(t.state, TxnClientState::Ready | TxnClientState::FatalError | TxnClientState::Uninitialized)
        });
        self.workload.is_exhausted_at(self.next_record)
            && self.accumulator.iter().all(|q| q.is_empty())
            && self.pending.is_empty()
            && !txn_open
    }

    /// Asks for metadata (and, idempotent, a producer id), takes the records due at time 0
    /// and plans the first wake.
    pub fn start(&mut self, ctx: &mut Ctx) {
        if self.start_ms > ctx.now().0 {
            ctx.set_timer(self.start_ms - ctx.now().0, Timer::Producer(ProducerTimer::Start));
            return;
        }
        if let Some(why) = self.config.idempotence_disabled_because {
            ctx.trace(TraceEvent::ProducerConfigAdjusted { producer: ctx.me(), message: why });
        }
        self.request_metadata(ctx);
        self.init_producer_id(ctx);
        self.step(ctx);
    }

    /// Sends InitProducerId to the next broker, if idempotent and none is in flight.
    fn init_producer_id(&mut self, ctx: &mut Ctx) {
        let brokers = &self.metadata.cluster.brokers;
        let Some(idem) = self.idempotence.as_mut() else { return };
        if idem.init_in_flight.is_some() || brokers.is_empty() || self.txn.is_some() {
            return;
        }
        let node = brokers[(self.index as usize + idem.init_attempts as usize) % brokers.len()];
        idem.init_attempts += 1;
        self.next_correlation_id += 1;
        let correlation_id = self.next_correlation_id;
        idem.init_in_flight = Some(correlation_id);
        let msg = Message::InitProducerIdRequest { correlation_id, transactional_id: None, transaction_timeout_ms: 0 };
        ctx.send(node, msg);
        ctx.set_timer(
            self.config.request_timeout_ms,
            Timer::Producer(ProducerTimer::InitProducerIdTimeout { correlation_id }),
        );
    }

    /// The InitProducerId failed (a timeout, a dropped connection): ask again after the backoff.
    fn retry_init_producer_id(&mut self, ctx: &mut Ctx) {
        if let Some(idem) = self.idempotence.as_mut() {
            idem.init_in_flight = None;
            let backoff = self.config.retry_backoff_ms_for(idem.init_attempts, ctx.rng);
            ctx.set_timer(backoff, Timer::Producer(ProducerTimer::InitProducerIdRetry));
        }
    }

    fn request_metadata(&mut self, ctx: &mut Ctx) {
        self.next_correlation_id += 1;
        self.metadata.request(ctx, self.next_correlation_id, |t| Timer::Producer(ProducerTimer::Metadata(t)));
    }

    /// Groups the topic's partitions by leader, keeping each destination's drain position and
    /// in-flight count.
    fn rebuild_destinations(&mut self) {
        let mut destinations: Vec<Destination> = vec![];
        for p in 0..self.accumulator.len() as u32 {
            let Some(node) = self.metadata.cluster.leader_node(self.slot_partition(p)) else { continue };
            let i = match destinations.iter().position(|d| d.node == node) {
                Some(i) => i,
                None => {
                    let old = self.destinations.iter().find(|d| d.node == node);
                    destinations.push(Destination {
                        node,
                        partitions: vec![],
                        drain_index: old.map_or(0, |d| d.drain_index),
                        in_flight: old.map_or(0, |d| d.in_flight),
                    });
                    destinations.len() - 1
                }
            };
            destinations[i].partitions.push(p);
        }
        // Requests still in flight to a node that leads nothing now keep their slot count.
        for d in &self.destinations {
            if d.in_flight > 0 && !destinations.iter().any(|n| n.node == d.node) {
                destinations.push(Destination {
                    node: d.node,
                    partitions: vec![],
                    drain_index: 0,
                    in_flight: d.in_flight,
                });
            }
        }
        self.destinations = destinations;
    }

    /// Handles its timers: a wake (take the records due by now, send what is ready, plan the
    /// next wake), or a request that timed out.
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: ProducerTimer) {
        match timer {
            ProducerTimer::Wake => {
                if self.wake_at == Some(ctx.now()) {
                    self.wake_at = None;
                }
                self.step(ctx);
            }
            ProducerTimer::RequestTimeoutCheck => {
                if self.timeout_check_at == Some(ctx.now()) {
                    self.timeout_check_at = None;
                }
                let now = ctx.now();
                let mut timed_out = false;
                // Deadlines grow with correlation ids (one timeout, a clock that never goes back).
                while let Some((&id, _)) = self.pending.first_key_value().filter(|(_, f)| f.deadline <= now) {
                    let sent = self.pending.remove(&id).expect("present");
                    // The Java NetworkClient closes a connection whose request timed out: every
                    // other request in flight on it fails too.
                    let node = sent.node;
                    self.fail_request(ctx, sent, KafkaError::RequestTimedOut);
                    self.fail_node(ctx, node, KafkaError::Network);
                    timed_out = true;
                }
                if timed_out {
                    self.step(ctx);
                }
                self.arm_timeout_check(ctx);
            }
            ProducerTimer::InitProducerIdTimeout { correlation_id } => {
                if self.idempotence.as_ref().is_some_and(|i| i.init_in_flight == Some(correlation_id)) {
                    self.retry_init_producer_id(ctx);
                }
            }
            ProducerTimer::InitProducerIdRetry => self.init_producer_id(ctx),
            ProducerTimer::TxnRequestTimeout { correlation_id } => {
                self.txn_request_failed(ctx, Some(correlation_id), None);
            }
            ProducerTimer::TxnRetry => self.step(ctx),
            ProducerTimer::Start => {
                self.start_ms = 0;
                self.start(ctx);
            }
            ProducerTimer::Metadata(t) => {
                if self.metadata.on_timer(t) {
                    self.request_metadata(ctx);
                }
            }
        }
    }

    /// Arms the request timeout check for the oldest request in flight, unless one is armed
    /// for that time or earlier.
    fn arm_timeout_check(&mut self, ctx: &mut Ctx) {
        let Some(deadline) = self.pending.first_key_value().map(|(_, f)| f.deadline) else { return };
        if self.timeout_check_at.is_some_and(|at| at <= deadline && at >= ctx.now()) {
            return;
        }
        self.timeout_check_at = Some(deadline);
        ctx.set_timer(deadline.0.saturating_sub(ctx.now().0), Timer::Producer(ProducerTimer::RequestTimeoutCheck));
    }

    /// Every request in flight to `node` failed with `error` (its connection closed).
    fn fail_node(&mut self, ctx: &mut Ctx, node: NodeId, error: KafkaError) {
        let dropped: Vec<u64> = self.pending.iter().filter(|(_, f)| f.node == node).map(|(id, _)| *id).collect();
        for id in dropped {
            let sent = self.pending.remove(&id).expect("present");
            self.fail_request(ctx, sent, error);
        }
    }

    /// Every batch of `sent` failed with `error` (a timeout or a dropped connection).
    fn fail_request(&mut self, ctx: &mut Ctx, sent: InFlight, error: KafkaError) {
        self.release_slot(sent.node);
        let results: Vec<ProducePartitionResult> = sent
            .batches
            .iter()
            .map(|(tp, _)| ProducePartitionResult { partition: *tp, base_offset: Offset(0), error: Some(error) })
            .collect();
        self.complete(ctx, sent.batches, &results);
    }

    fn release_slot(&mut self, node: NodeId) {
        if let Some(d) = self.destinations.iter_mut().find(|d| d.node == node) {
            d.in_flight = d.in_flight.saturating_sub(1);
        }
        self.stats.requests_in_flight = self.stats.requests_in_flight.saturating_sub(1);
    }

    /// Completes each batch by its result: acknowledged, retried (back in its partition's
    /// queue, at the front or, idempotent, in sequence order, after the retry backoff), or
    /// failed for good.
    fn complete(
        &mut self,
        ctx: &mut Ctx,
        batches: Vec<(TopicPartition, OpenBatch)>,
        results: &[ProducePartitionResult],
    ) {
        let now = ctx.now();
        let mut refresh = false;
        // Re-enqueued in reverse so that the batches keep their order at the front.
        for (tp, mut batch) in batches.into_iter().rev() {
            let p = self.slot_of(tp);
            let result = results.iter().find(|r| r.partition == tp);
            let error = result.map_or(Some(KafkaError::Network), |r| r.error);
            let n = batch.records.len() as u32;
            if let (Some(idem), Some(seq), None) = (self.idempotence.as_mut(), batch.base_sequence, error) {
                idem.in_flight[p].remove(&seq);
                let last = seq + n - 1;
                idem.last_acked[p] = Some(idem.last_acked[p].map_or(last, |l| l.max(last)));
            }
            match error {
                None => {
                    let base = result.map_or(Offset(0), |r| r.base_offset);
                    self.buffered_bytes = self.buffered_bytes.saturating_sub(batch.bytes);
                    self.stats.records_acked += n as u64;
                    ctx.acknowledged(tp, base, &batch.records);
                }
                Some(e) => {
                    let expired = now.0 >= batch.created.0 + self.config.delivery_timeout_ms;
                    let retriable = e.is_retriable() || self.out_of_order_is_retriable(e, batch.base_sequence);
                    let retrying = retriable && batch.attempts <= self.config.retries && !expired;
                    let backoff = retrying.then(|| self.config.retry_backoff_ms_for(batch.attempts, ctx.rng));
                    ctx.trace(TraceEvent::ProduceFailed {
                        producer: ctx.me(),
                        partition: tp,
                        error: e.exception_name(),
                        records: n,
                        retry_backoff_ms: backoff,
                    });
                    if let Some(backoff) = backoff {
                        refresh = true;
                        batch.retry_at = now.plus_ms(backoff);
                        self.stats.retries += 1;
                        let queue = &mut self.accumulator[p];
                        match batch.base_sequence {
                            // Kafka's `RecordAccumulator.insertInSequenceOrder`.
                            Some(seq) => {
                                let at = queue
                                    .iter()
                                    .position(|b| b.base_sequence.is_none_or(|s| s > seq))
                                    .unwrap_or(queue.len());
                                queue.insert(at, batch);
                            }
                            None => queue.push_front(batch),
                        }
                    } else {
                        self.buffered_bytes = self.buffered_bytes.saturating_sub(batch.bytes);
                        self.stats.records_failed += n as u64;
                        if self.txn.is_some() {
                            if let (Some(idem), Some(seq)) = (self.idempotence.as_mut(), batch.base_sequence) {
                                idem.in_flight[p].remove(&seq);
                            }
                            self.txn_batch_failed(ctx, e);
                        } else if let Some(seq) = batch.base_sequence {
                            // Kafka's `handleFailedBatch`: the sequences after it may not follow
                            // any more, so the epoch is bumped.
                            if let Some(idem) = self.idempotence.as_mut() {
                                idem.in_flight[p].remove(&seq);
                            }
                            self.bump_epoch(ctx);
                        }
                    }
                }
            }
        }
        if refresh {
            self.request_metadata(ctx);
        }
    }

    /// Kafka's `TransactionManager.canRetry` for `OutOfOrderSequenceException` of an
    /// idempotent producer: always retried. (When the batch is the next after the last
    /// acknowledged, the gap is real: the Java client bumps the epoch and renumbers the
    /// partition's batches in flight from 0. Here the batch is retried with its sequence until
    /// it expires, and its failure bumps the epoch; a real gap needs the leader to lose
    /// acknowledged records, an unclean election.)
    fn out_of_order_is_retriable(&mut self, e: KafkaError, seq: Option<u32>) -> bool {
        self.idempotence.is_some() && e == KafkaError::OutOfOrderSequenceNumber && seq.is_some()
    }

    /// Handles a ProduceResponse: acknowledges (or fails) the batches it answers, frees their
    /// memory and request slot, and sends what that lets through.
    pub fn on_message(&mut self, ctx: &mut Ctx, _from: NodeId, msg: Message) {
        if self.on_txn_message(ctx, &msg) {
            return;
        }
        match msg {
            Message::ProduceResponse { correlation_id, results } => {
                let Some(sent) = self.pending.get_mut(&correlation_id) else { return };
                sent.held = Some(results);
                let node = sent.node;
                // Read the connection's responses in request order, up to the first still missing
                // (a response a link fault dropped holds the later ones until the request times
                // out and the connection closes, as a stalled TCP stream would).
                while let Some((&id, first)) = self.pending.iter().find(|(_, f)| f.node == node) {
                    if first.held.is_none() {
                        break;
                    }
                    let sent = self.pending.remove(&id).expect("present");
                    self.release_slot(node);
                    self.complete(ctx, sent.batches, &sent.held.expect("held"));
                }
                self.step(ctx);
            }
            Message::InitProducerIdResponse { correlation_id, producer_id, producer_epoch, .. } => {
                let Some(idem) = self.idempotence.as_mut().filter(|i| i.init_in_flight == Some(correlation_id)) else {
                    return;
                };
                idem.init_in_flight = None;
                idem.producer = Some((producer_id, producer_epoch));
                ctx.trace(TraceEvent::ProducerIdAssigned { producer: ctx.me(), producer_id, producer_epoch });
                self.step(ctx);
            }
            Message::MetadataResponse { correlation_id, topics, partitions, .. } => {
                if !self.metadata.on_response(correlation_id, &topics, &partitions) {
                    return;
                }
                let n = self.metadata.cluster.partitions(self.topic) as usize;
                // (A producer that also writes a changelog keeps its slots.)
                if n > self.accumulator.len() && self.changelog.is_none() {
                    // CreatePartitions: keys now hash over more partitions.
                    self.accumulator.resize_with(n, VecDeque::new);
                    self.scratch.resize(n, None);
                    self.partition_of_key.clear();
                    if let Some(idem) = self.idempotence.as_mut() {
                        idem.next_sequence.resize(n, 0);
                        idem.in_flight.resize(n, BTreeSet::new());
                        idem.last_acked.resize(n, None);
                        let epoch = idem.producer.map_or(0, |(_, e)| e);
                        idem.partition_epoch.resize(n, epoch);
                    }
                }
                self.rebuild_destinations();
                // A partition still without a leader: ask again (after the backoff).
                let cluster = &self.metadata.cluster;
                if (0..self.accumulator.len() as u32).any(|p| cluster.leader_node(self.slot_partition(p)).is_none()) {
                    self.request_metadata(ctx);
                }
                self.step(ctx);
            }
            Message::Disconnected { node } => {
                self.fail_node(ctx, node, KafkaError::Network);
                self.txn_request_failed(ctx, None, Some(node));
                if self.metadata.on_disconnected(node) {
                    self.request_metadata(ctx);
                }
                if self.idempotence.as_ref().is_some_and(|i| i.init_in_flight.is_some()) {
                    // The InitProducerId may have gone to that broker: ask again.
                    self.retry_init_producer_id(ctx);
                }
                self.step(ctx);
            }
            _ => {}
        }
    }

    /// Whether `send()` takes a record of `size` bytes while `buffered` bytes wait or are in
    /// flight: it blocks while `buffer.memory` would overflow. An empty buffer takes any one
    /// record, so that a `buffer.memory` smaller than a record slows the producer instead of
    /// stopping it; Kafka would fail that record with `RecordTooLargeException`, which is not
    /// simulated yet.
    fn admits(&self, buffered: u64, size: u64) -> bool {
        buffered == 0 || buffered + size <= self.config.buffer_memory_bytes
    }

    /// Whether a record of `size` bytes joins an open batch of `bytes` (else it opens a new one).
    fn fits(&self, bytes: u64, size: u64) -> bool {
        self.estimated(bytes + size) <= self.config.batch_size_bytes as u64
    }

    /// A batch's size on the wire, estimated from its records' `bytes`: with compression, the
    /// estimated ratio times 1.05 (Kafka's `MemoryRecordsBuilder.estimatedBytesWritten`).
    fn estimated(&self, bytes: u64) -> u64 {
        if self.config.compression == compression::CompressionType::None {
            return bytes;
        }
        (bytes as f64 * self.compression_ratio * compression::ESTIMATION_FACTOR) as u64
    }

    /// Compresses a batch on its first send (Kafka closes and compresses it on drain): its
    /// records' sizes become their share of the compressed size, and the ratio seen updates
    /// the estimate the next batches fill by.
    fn compress(&mut self, batch: &mut OpenBatch) {
        let codec = self.config.compression;
        if codec == compression::CompressionType::None || batch.attempts > 0 {
            return;
        }
        self.payload.clear();
        for r in &batch.records {
            self.workload.payload(r.record_id.seq() as u64, &self.keys, &mut self.payload);
        }
        if self.payload.is_empty() {
            return;
        }
        let ratio = codec.compressed_len(&self.payload) as f64 / self.payload.len() as f64;
        self.compression_ratio = compression::update_estimate(self.compression_ratio, ratio);
        self.last_compression_ratio = Some(ratio);
        for r in &mut batch.records {
            r.size_bytes = ((r.size_bytes as f64 * ratio).round() as u32).max(1);
        }
    }

    /// The compression ratio of the last batch compressed (compressed / uncompressed).
    pub fn last_compression_ratio(&self) -> Option<f64> {
        self.last_compression_ratio
    }

    fn step(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        let timed_out = self.catch_up(now, ctx.rng);
        if let Workload::Feed(w) = &mut self.workload {
            w.trim(self.next_record);
        }
        if timed_out > 0 {
            ctx.trace(TraceEvent::SendFailed {
                producer: ctx.me(),
                records: timed_out,
                max_block_ms: self.config.max_block_ms,
            });
        }
        self.drain(ctx);
        self.txn_progress(ctx);
        self.plan_wake(ctx);
    }

    /// A batch failed for good: the idempotent producer bumps its own epoch (the Java
    /// client's `bumpIdempotentProducerEpoch`, KIP-360; no request is needed: a leader takes a
    /// higher epoch whose first sequence is 0). Each partition moves to the new epoch, at
    /// sequence 0, once its batches in flight are resolved; those keep their old epoch and
    /// sequence, so none that may be in a log is ever sent under another number.
    fn bump_epoch(&mut self, ctx: &mut Ctx) {
        let Some(idem) = self.idempotence.as_mut() else { return };
        let Some((producer_id, epoch)) = idem.producer else { return };
        let producer_epoch = epoch.wrapping_add(1);
        idem.producer = Some((producer_id, producer_epoch));
        ctx.trace(TraceEvent::ProducerIdAssigned { producer: ctx.me(), producer_id, producer_epoch });
    }

    /// Whether the idempotent producer holds back `p`'s first batch: it has no producer id
    /// yet, or the batch is a retry that is not the first of its partition in flight
    /// (Kafka's `shouldStopDrainBatchesForPartition`).
    fn held_back(&self, p: u32, first: &OpenBatch) -> bool {
        if self.txn.as_ref().is_some_and(|t| !t.may_drain(p)) {
            return true;
        }
        let Some(idem) = self.idempotence.as_ref() else { return false };
        let Some((_, epoch)) = idem.producer else { return true };
        let stale = idem.partition_epoch[p as usize] != epoch;
        if first.base_sequence.is_none() && stale && !idem.in_flight[p as usize].is_empty() {
            // Kafka's `hasStaleProducerIdAndEpoch`: no new batch until the old epoch's are resolved.
            return true;
        }
        match (first.base_sequence, idem.in_flight[p as usize].first()) {
            (Some(seq), Some(&first_in_flight)) => seq != first_in_flight,
            _ => false,
        }
    }

    fn partition_of(&mut self, key: crate::ids::KeyId) -> u32 {
        let k = key.0 as usize;
        if k >= self.partition_of_key.len() {
            self.partition_of_key.resize(self.keys.len().max(k + 1), u32::MAX);
        }
        if self.partition_of_key[k] == u32::MAX {
            self.partition_of_key[k] =
                partitioner::partition_for_hash(self.keys.murmur2(key), self.topic_partitions() as u32);
        }
        self.partition_of_key[k]
    }

    /// The application's `send()` of every record due by `now`, in order, each appended at its
    /// own due time; stops while `buffer.memory` is full (`send()` blocks). A record whose
    /// `send()` has blocked for `max.block.ms` fails (`TimeoutException`) and the application
    /// goes on with the next; returns how many failed so.
    fn catch_up(&mut self, now: SimTime, rng: &mut crate::sim::SimRng) -> u32 {
        let mut timed_out = 0;
        while let Some((due, emitted)) = self.workload.record(self.next_record) {
            if self.txn.as_ref().is_some_and(|t| !t.takes_records()) {
                break;
            }
            let at = match due {
                Due::At(at) if at <= now.0 => at,
                Due::At(_) => break,
                Due::WhenAccepted => now.0,
            };
            let size = emitted.size_bytes as u64;
            if !self.admits(self.buffered_bytes, size) {
                if due != Due::WhenAccepted && now.0 >= at.saturating_add(self.config.max_block_ms) {
                    self.next_record += 1;
                    self.stats.records_sent += 1;
                    self.stats.records_failed += 1;
                    timed_out += 1;
                    continue;
                }
                break;
            }
            let timestamp_ms = if due == Due::WhenAccepted { at } else { emitted.timestamp_ms };
            let record = Record {
                record_id: self
                    .workload
                    .record_id(self.next_record)
                    .unwrap_or(RecordId::new(self.index, self.next_record)),
                key: Some(emitted.key),
                timestamp_ms,
                size_bytes: emitted.size_bytes,
                offset: Offset(0),
                tombstone: false,
            };
            self.next_record += 1;
            self.stats.records_sent += 1;
            self.buffered_bytes += size;
            let p = if let Some(p) = self.workload.changelog_partition(self.next_record - 1) {
                self.topic_partitions() + p as usize
            } else if let Some(p) = self.explicit_partition {
                p as usize
            } else if self.config.partitioner_ignore_keys {
                self.sticky_partition(size, rng) as usize
            } else {
                self.partition_of(emitted.key) as usize
            };
            self.txn_record_taken(p as u32);
            let joins = self.accumulator[p].back().is_some_and(|b| !b.closed && self.fits(b.bytes, size));
            let queue = &mut self.accumulator[p];
            match queue.back_mut() {
                Some(b) if joins => {
                    b.bytes += size;
                    b.records.push(record);
                }
                _ => queue.push_back(OpenBatch {
                    records: vec![record],
                    bytes: size,
                    created: SimTime(at),
                    attempts: 0,
                    retry_at: SimTime::ZERO,
                    base_sequence: None,
                    epoch: 0,
                    closed: false,
                }),
            }
        }
        timed_out
    }

    /// Kafka's `BuiltInPartitioner` for a record of `size` bytes taking the sticky path: the
    /// sticky partition, then `updatePartitionInfo`: once `batch.size` bytes went to it and its
    /// last batch is full (or twice `batch.size` in any case), the next record gets a new one.
    fn sticky_partition(&mut self, size: u64, rng: &mut crate::sim::SimRng) -> u32 {
        let p = match self.sticky {
            Some((p, _)) => p,
            None => {
                let p = self.next_sticky_partition(rng);
                self.sticky = Some((p, 0));
                p
            }
        };
        let batch_size = self.config.batch_size_bytes as u64;
        let full = self.accumulator[p as usize].back().is_none_or(|b| b.closed || !self.fits(b.bytes, size));
        let produced = self.sticky.map_or(0, |(_, b)| b) + size;
        self.sticky = Some((p, produced));
        if (produced >= batch_size && full) || produced >= 2 * batch_size {
            let next = self.next_sticky_partition(rng);
            self.sticky = Some((next, 0));
        }
        p
    }

    /// Kafka's `BuiltInPartitioner.nextPartition`: a random partition among those with a
    /// leader (all of them if none has), uniformly, or, with adaptive partitioning and queues
    /// of unequal length, weighted by `max queue + 1 - queue` (batches waiting per partition).
    fn next_sticky_partition(&self, rng: &mut crate::sim::SimRng) -> u32 {
        let n = self.topic_partitions() as u32;
        let cluster = &self.metadata.cluster;
        let mut available: Vec<u32> =
            (0..n).filter(|&p| cluster.leader_node(TopicPartition::new(self.topic, p)).is_some()).collect();
        if available.is_empty() {
            available = (0..n).collect();
        }
        let queues: Vec<u64> = available.iter().map(|&p| self.accumulator[p as usize].len() as u64).collect();
        let max = queues.iter().copied().max().unwrap_or(0);
        let random = rng.next_u64() & 0x7fff_ffff;
        if !self.config.partitioner_adaptive || available.len() < 2 || queues.iter().all(|&q| q == max) {
            return available[(random % available.len() as u64) as usize];
        }
        let mut cumulative = Vec::with_capacity(queues.len());
        let mut total = 0;
        for q in &queues {
            total += max + 1 - q;
            cumulative.push(total);
        }
        let pick = random % total;
        available[cumulative.partition_point(|&c| c <= pick)]
    }

    /// Kafka's `RecordAccumulator.ready`: a partition's first batch is sendable when another
    /// batch waits behind it, it is full, or it has waited `linger.ms`.
    fn sendable(&self, p: u32, now: SimTime) -> bool {
        let q = &self.accumulator[p as usize];
        q.front().is_some_and(|b| {
            now >= b.retry_at
                && !self.held_back(p, b)
                && (q.len() > 1
                    || b.attempts > 0
                    || self.estimated(b.bytes) >= self.config.batch_size_bytes as u64
                    || now >= b.created.plus_ms(self.config.linger_ms))
        })
    }

    /// The sender: while a broker has a sendable batch and a free request slot, one
    /// ProduceRequest takes the first batch of each of that broker's partitions, ready or not,
    /// starting where the last drain stopped, up to `max.request.size` (Kafka's
    /// `RecordAccumulator.drainBatchesForOneNode`).
    fn drain(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        let limited = self.config.acks != Acks::None;
        loop {
            let mut sent = false;
            for di in 0..self.destinations.len() {
                let d = &self.destinations[di];
                if limited && d.in_flight >= self.config.max_in_flight_requests_per_connection {
                    continue;
                }
                if !d.partitions.iter().any(|&p| self.sendable(p, now)) {
                    continue;
                }
                let n = d.partitions.len();
                let start = d.drain_index % n;
                let mut i = start;
                let mut size = 0u64;
                let mut batches = vec![];
                loop {
                    let p = self.destinations[di].partitions[i];
                    self.destinations[di].drain_index = i;
                    i = (i + 1) % n;
                    if let Some(first) = self.accumulator[p as usize].front().filter(|b| now >= b.retry_at) {
                        if size + first.bytes > self.config.max_request_size_bytes && !batches.is_empty() {
                            break;
                        }
                        if self.held_back(p, first) {
                            break;
                        }
                        let mut b = self.accumulator[p as usize].pop_front().expect("front exists");
                        if let Some(idem) = self.idempotence.as_mut() {
                            let pi = p as usize;
                            if b.base_sequence.is_none() {
                                let epoch = idem.producer.map_or(0, |(_, e)| e);
                                if idem.partition_epoch[pi] != epoch {
                                    // Kafka's `startSequencesAtBeginning` for this partition.
                                    idem.partition_epoch[pi] = epoch;
                                    idem.next_sequence[pi] = 0;
                                    idem.last_acked[pi] = None;
                                }
                                let seq = idem.next_sequence[pi];
                                idem.next_sequence[pi] = seq.wrapping_add(b.records.len() as u32) & i32::MAX as u32;
                                b.base_sequence = Some(seq);
                                b.epoch = epoch;
                            }
                            idem.in_flight[pi].insert(b.base_sequence.expect("set"));
                        }
                        size += b.bytes;
                        batches.push((self.slot_partition(p), b));
                    }
                    if i == start {
                        break;
                    }
                }
                if batches.is_empty() {
                    // The first partition in turn holds its batch back (Kafka's drain stops there too).
                    continue;
                }
                self.send(ctx, di, batches);
                sent = true;
            }
            if !sent {
                break;
            }
        }
    }

    fn send(&mut self, ctx: &mut Ctx, di: usize, mut batches: Vec<(TopicPartition, OpenBatch)>) {
        for (_, b) in batches.iter_mut() {
            self.compress(b);
            b.attempts += 1;
            b.closed = true;
        }
        let producer = self.producer_id();
        let wire: Vec<ProducerBatch> = batches
            .iter()
            .map(|(partition, b)| ProducerBatch {
                partition: *partition,
                records: b.records.clone(),
                stamp: producer.zip(b.base_sequence).map(|((producer_id, _), base_sequence)| ProducerStamp {
                    producer_id,
                    producer_epoch: b.epoch,
                    base_sequence,
                }),
                transactional: self.txn.is_some(),
            })
            .collect();
        self.stats.batches_sent += wire.len() as u64;
        self.next_correlation_id += 1;
        let correlation_id = self.next_correlation_id;
        let to = self.destinations[di].node;
        if self.config.acks == Acks::None {
            // acks=0: no answer comes; a record counts as sent, and its memory is free, once on the wire.
            for (_, b) in &batches {
                self.stats.records_acked += b.records.len() as u64;
                self.buffered_bytes = self.buffered_bytes.saturating_sub(b.bytes);
            }
        } else {
            self.destinations[di].in_flight += 1;
            self.stats.requests_in_flight += 1;
            let deadline = ctx.now().plus_ms(self.config.request_timeout_ms);
            self.pending.insert(correlation_id, InFlight { node: to, batches, held: None, deadline });
            self.arm_timeout_check(ctx);
        }
        let timeout_ms = self.config.request_timeout_ms;
        ctx.send(to, Message::ProduceRequest { correlation_id, acks: self.config.acks, timeout_ms, batches: wire });
    }

    /// Sets the wake timer for the earliest time a batch can become sendable without a response
    /// arriving first: a lone batch's `linger.ms` running out, or an upcoming record filling a
    /// batch or opening a new one. Upcoming records are looked at, not taken.
    fn plan_wake(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        let linger = self.config.linger_ms;
        let batch_size = self.config.batch_size_bytes as u64;
        let mut best = u64::MAX;
        for (p, q) in self.accumulator.iter().enumerate() {
            self.scratch[p] = q.back().filter(|b| !b.closed).map(|b| b.bytes);
            if let Some(b) = q.front().filter(|b| b.retry_at > now) {
                best = best.min(b.retry_at.0);
            }
            // A batch that is sendable already waits for a request slot: a response wakes us.
            if let (1, Some(b)) = (q.len(), q.front()) {
                let expiry = b.created.0.saturating_add(linger);
                if self.estimated(b.bytes) < batch_size && expiry > now.0 {
                    best = best.min(expiry);
                }
            }
        }
        if let Some((Due::At(at), e)) = self.workload.record(self.next_record) {
            if at <= now.0 && !self.admits(self.buffered_bytes, e.size_bytes as u64) {
                // send() blocks: it fails when max.block.ms runs out, unless memory frees first.
                best = best.min(at.saturating_add(self.config.max_block_ms));
            }
        }
        let mut buffered = self.buffered_bytes;
        let mut k = self.next_record;
        let mut sticky_bytes = self.sticky.map_or(0, |(_, b)| b);
        while let Some((Due::At(at), e)) = self.workload.record(k) {
            let size = e.size_bytes as u64;
            if at >= best || at <= now.0 || !self.admits(buffered, size) {
                // Past the earliest wake already found, or send() blocks on `buffer.memory`
                // (a response frees memory and wakes the producer).
                break;
            }
            buffered += size;
            if k - self.next_record >= LOOKAHEAD_RECORDS {
                best = at; // enough looked at: wake here and look again
                break;
            }
            let p = if let Some(p) = self.workload.changelog_partition(k) {
                self.topic_partitions() + p as usize
            } else if let Some(p) = self.explicit_partition {
                p as usize
            } else if self.config.partitioner_ignore_keys {
                // The sticky partition takes records until it switches, at a random draw the
                // look-ahead cannot make: wake there and look again.
                match self.sticky {
                    Some((p, _)) if sticky_bytes + size < self.config.batch_size_bytes as u64 => {
                        sticky_bytes += size;
                        p as usize
                    }
                    _ => {
                        best = best.min(at);
                        break;
                    }
                }
            } else {
                self.partition_of(e.key) as usize
            };
            match self.scratch[p] {
                None => {
                    self.scratch[p] = Some(size);
                    best = best.min(at.saturating_add(linger));
                    if self.estimated(size) >= batch_size {
                        best = at;
                    }
                }
                Some(bytes) if !self.fits(bytes, size) => best = at,
                Some(bytes) => {
                    self.scratch[p] = Some(bytes + size);
                    if self.estimated(bytes + size) >= batch_size {
                        best = at;
                    }
                }
            }
            k += 1;
        }
        if best == u64::MAX {
            return;
        }
        let at = SimTime(best.max(now.0));
        if self.wake_at.is_none_or(|w| at < w || w < now) {
            self.wake_at = Some(at);
            ctx.set_timer(at.0 - now.0, Timer::Producer(ProducerTimer::Wake));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::partitioner::*;

    /// Kafka's own `UtilsTest.testMurmur2` vectors.
    #[test]
    fn murmur2_matches_kafka_utils_test() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
            (b"a-little-bit-longer-string", -1486304829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
            (b"abc", 479470107),
        ];
        for (key, expected) in cases {
            assert_eq!(murmur2(key), expected, "murmur2({:?})", String::from_utf8_lossy(key));
        }
    }

    #[test]
    fn to_positive_clears_sign_bit() {
        assert_eq!(to_positive(-1), 0x7fff_ffff);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(5), 5);
    }
}
