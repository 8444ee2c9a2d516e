//! A broker: its replicas of partitions (leading some, following others), produce and fetch
//! handling (consumers' fetches long-polled by `fetch.min.bytes` / `fetch.max.wait.ms`,
//! followers' by `replica.fetch.wait.max.ms`), the ISR it keeps as a leader, its follower
//! fetchers, the metadata cache clients ask, and the group coordinator of the groups whose
//! `__consumer_offsets` partition it leads. It knows other nodes only through protocol messages.

pub mod controller;
pub mod group_coordinator;
pub mod log;
pub mod producer_state;
pub mod replica;
mod transactions;
pub mod txn_coordinator;

pub use controller::{Controller, ControllerTimer};
pub use group_coordinator::{GroupCoordinator, GroupState, GroupTimer};
pub use log::{LogConfig, LogError, Maintenance, PartitionLog, TailEntry, LOG_RETENTION_CHECK_INTERVAL_MS};
pub use replica::{LeaderEpochCache, Replica};

use crate::config::{Acks, BrokerConfig, TopicConfig};
use crate::ids::{BrokerId, KeyId, NodeId, Offset, RecordId, TopicId, TopicPartition};
use crate::node::{group_partition, Ctx, Timer};
use crate::protocol::{
    FetchPartition, FetchPartitionResponse, IsolationLevel, KafkaError, Message, OffsetSpec, PartitionRegistration,
    ProducePartitionResult, Record, TopicRecord,
};
use crate::sim::{SimTime, TraceEvent};
use producer_state::{BatchHeader, SequenceCheck};
use replica::FollowerState;
use std::collections::{BTreeMap, BTreeSet};

/// `replica.fetch.max.bytes`: the most a follower fetches of one partition per request.
const REPLICA_FETCH_MAX_BYTES: u32 = 1_048_576;
/// `controller.socket.timeout.ms`: how long a broker waits for the controller to answer an
/// AlterPartition before it sends it again.
const CONTROLLER_SOCKET_TIMEOUT_MS: u64 = 30_000;
/// `replica.fetch.backoff.ms`: a follower's pause after a fetch that failed.
const REPLICA_FETCH_BACKOFF_MS: u64 = 1000;
/// How often the OS's flusher writes dirty pages back (Linux `dirty_writeback_centisecs`).
const WRITEBACK_INTERVAL_MS: u64 = 5_000;
/// The producer index in the record ids of `__consumer_offsets` records.
const OFFSETS_RECORD_PRODUCER: u64 = 0xFFFF;
/// The low 16 bits of a group-metadata record's key (offset records carry a partition there).
const GROUP_METADATA_KEY: u32 = 0xF_FFFF;

/// The key of an offset commit or group-metadata record in `__consumer_offsets`: the group in
/// the top 12 bits, then the topic and the partition in 10 bits each (at most 1024 of both).
fn offsets_key(group: u32, low: u32) -> KeyId {
    KeyId((group << 20) | low)
}

/// The low 20 bits of an offset commit's key.
fn partition_key(tp: TopicPartition) -> u32 {
    (tp.topic.0 << 10) | tp.partition.0
}

/// Broker timers.
#[derive(Debug, Clone, PartialEq)]
pub enum BrokerTimer {
    /// The earliest held fetch's wait runs out (one timer stands for them all: Kafka's
    /// `DelayedOperationPurgatory` keeps one timing wheel, not a timer per fetch).
    FetchExpiry,
    /// An `acks=all` produce or an offset commit reached its timeout.
    DelayedExpiry {
        id: u64,
    },
    /// Send the controller a heartbeat.
    Heartbeat,
    /// Look for followers out of sync for `replica.lag.time.max.ms`.
    IsrCheck,
    /// A follower fetch unanswered for `replica.socket.timeout.ms`, or a fetch backoff ended.
    FetcherRetry {
        leader: BrokerId,
        correlation_id: u64,
    },
    /// Retention and compaction.
    LogMaintenance,
    /// The OS writes dirty pages back.
    Writeback,
    Group(GroupTimer),
    /// Send again the transaction markers still unanswered.
    TxnMarkerRetry,
    /// Abort the transactions open longer than their `transaction.timeout.ms`.
    TxnTimeoutCheck,
}

/// Whether the broker's process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessState {
    Running,
    /// The process stopped; its logs stay as they were.
    Crashed,
    /// The machine lost power; the unflushed tail of each log is gone.
    PoweredOff,
}

impl ProcessState {
    /// `Running`, `Crashed` or `PoweredOff`.
    pub fn name(self) -> &'static str {
        match self {
            ProcessState::Running => "Running",
            ProcessState::Crashed => "Crashed",
            ProcessState::PoweredOff => "PoweredOff",
        }
    }
}

#[derive(Debug, Clone)]
struct HeldFetch {
    from: NodeId,
    replica_id: Option<BrokerId>,
    /// When the wait runs out.
    deadline: SimTime,
    correlation_id: u64,
    min_bytes: u32,
    max_partition_bytes: u32,
    isolation_level: IsolationLevel,
    partitions: Vec<FetchPartition>,
}

/// What a delayed operation answers when it completes.
#[derive(Debug, Clone)]
enum DelayedKind {
    /// An `acks=all` ProduceRequest: `waiting` are (index into `results`, partition, the offset
    /// the HW must reach).
    Produce { results: Vec<ProducePartitionResult>, waiting: Vec<(usize, TopicPartition, Offset)> },
    /// An OffsetCommit whose records must reach the HW of the group's offsets partition.
    Commit { offsets: Vec<(TopicPartition, Offset)>, partition: TopicPartition, required: Offset },
    /// A SyncGroup held until the group's new generation is replicated, so that a coordinator
    /// that takes over never hands out a generation twice.
    Sync { request: Message, partition: TopicPartition, required: Offset },
    /// A WriteTxnMarkers whose markers must reach the HW.
    Markers {
        producer_id: u64,
        results: Vec<(TopicPartition, Option<KafkaError>)>,
        waiting: Vec<(usize, TopicPartition, Offset)>,
    },
}

#[derive(Debug, Clone)]
struct Delayed {
    from: NodeId,
    correlation_id: u64,
    kind: DelayedKind,
}

/// A follower's fetcher towards one leader: the fetch in flight, if any.
#[derive(Debug, Clone, Copy, Default)]
struct Fetcher {
    in_flight: Option<u64>,
    /// Waiting out a backoff until this retry's timer fires.
    backoff: Option<u64>,
}

/// Where the broker's cluster knowledge comes from: node addresses, the topics' partition
/// counts and configs, and the `__consumer_offsets` topic.
#[derive(Debug, Clone)]
pub struct BrokerSetup {
    pub controller: NodeId,
    /// The node of broker `b` is `brokers[b]`.
    pub brokers: Vec<NodeId>,
    /// Per topic (by index): its config, `__consumer_offsets` included.
    pub topic_configs: Vec<TopicConfig>,
    /// Per topic: its name (empty once deleted).
    pub topic_names: Vec<String>,
    /// Per topic: its partition count as created.
    pub partition_counts: Vec<u32>,
    pub offsets_topic: TopicId,
    /// The scenario's `group.id`s, in `GroupId` order.
    pub group_ids: Vec<String>,
    /// The scenario's producers' `transactional.id`s, each once.
    pub transactional_ids: Vec<String>,
}

/// A broker node.
#[derive(Debug)]
pub struct Broker {
    pub id: BrokerId,
    pub process: ProcessState,
    /// Its replicas, of user topics and of `__consumer_offsets`.
    pub replicas: BTreeMap<TopicPartition, Replica>,
    /// The controller's record of every partition, as last heard (the metadata cache).
    pub registry: BTreeMap<TopicPartition, PartitionRegistration>,
    /// Brokers the controller has fenced, as last heard.
    pub fenced: BTreeSet<BrokerId>,
    pub coordinator: GroupCoordinator,
    config: BrokerConfig,
    setup: BrokerSetup,
    held_fetches: BTreeMap<u64, HeldFetch>,
    next_fetch_id: u64,
    /// When the pending FetchExpiry timer fires, if one is set.
    expiry_timer_at: Option<SimTime>,
    delayed: BTreeMap<u64, Delayed>,
    next_delayed: u64,
    fetchers: BTreeMap<BrokerId, Fetcher>,
    next_correlation_id: u64,
    /// Per group: where its last generation record ends in its offsets partition.
    generation_records: BTreeMap<String, Offset>,
    /// See `Simulation::break_high_watermark_for_test`.
    #[doc(hidden)]
    pub test_high_watermark_ignores_isr: bool,
    /// The last metadata update applied in order (see `Message::MetadataUpdate`).
    metadata_offset: u64,
    /// Producer ids this broker has handed out.
    producer_ids_issued: u64,
    /// The transactions it coordinates.
    pub txn: txn_coordinator::TransactionCoordinator,
    marker_retry_armed: bool,
    txn_timeout_armed: bool,
    /// Offsets sent with transactions (TxnOffsetCommit), per producer id: the group and its
    /// offsets, committed when the transaction's COMMIT marker reaches the group's partition.
    pending_txn_offsets: BTreeMap<u64, (String, Vec<(TopicPartition, Offset)>)>,
}

fn timer(t: BrokerTimer) -> Timer {
    Timer::Broker(t)
}

/// Sends the controller the leader's `pending_isr` of `tp` (KIP-497's AlterPartition), and notes
/// when, so that an unanswered request is sent again.
fn send_alter_partition(
    ctx: &mut Ctx,
    controller: NodeId,
    broker: BrokerId,
    tp: TopicPartition,
    r: &mut Replica,
    now: SimTime,
) {
    let (Some(leader_epoch), Some(new_isr)) = (r.leading_epoch, r.pending_isr.clone()) else { return };
    r.pending_isr_sent = now;
    ctx.send(
        controller,
        Message::AlterPartitionRequest {
            broker,
            partition: tp,
            leader_epoch,
            partition_epoch: r.registration.partition_epoch,
            new_isr,
        },
    );
}

impl Broker {
    /// Broker `id`, holding a replica of each partition in `registrations` that lists it, with
    /// empty logs; it leads (epoch as registered) those that name it leader.
    pub fn new(
        id: BrokerId,
        config: BrokerConfig,
        setup: BrokerSetup,
        registrations: &[PartitionRegistration],
    ) -> Self {
        let mut replicas = BTreeMap::new();
        for r in registrations.iter().filter(|r| r.replicas.contains(&id)) {
            let log = PartitionLog::new(setup.topic_configs[r.partition.topic.0 as usize].clone());
            let mut replica = Replica::new(log, r.clone());
            if r.leader == Some(id) {
                replica.leading_epoch = Some(r.leader_epoch);
                replica.epochs.assign(r.leader_epoch, Offset(0));
                replica.followers = r
                    .replicas
                    .iter()
                    .filter(|b| **b != id)
                    .map(|b| {
                        let at = SimTime::ZERO;
                        let fs = FollowerState {
                            log_end_offset: Offset(0),
                            last_caught_up: at,
                            last_fetch: at,
                            last_fetch_leader_log_end_offset: Offset(0),
                        };
                        (*b, fs)
                    })
                    .collect();
            }
            replicas.insert(r.partition, replica);
        }
        Broker {
            id,
            process: ProcessState::Running,
            replicas,
            registry: registrations.iter().map(|r| (r.partition, r.clone())).collect(),
            fenced: BTreeSet::new(),
            coordinator: GroupCoordinator::new(id.0, config.clone(), setup.group_ids.clone()),
            config,
            setup,
            held_fetches: BTreeMap::new(),
            next_fetch_id: 0,
            expiry_timer_at: None,
            delayed: BTreeMap::new(),
            next_delayed: 0,
            fetchers: BTreeMap::new(),
            next_correlation_id: 0,
            test_high_watermark_ignores_isr: false,
            generation_records: BTreeMap::new(),
            metadata_offset: 0,
            producer_ids_issued: 0,
            txn: Default::default(),
            marker_retry_armed: false,
            txn_timeout_armed: false,
            pending_txn_offsets: BTreeMap::new(),
        }
    }

    /// Whether the process runs.
    pub fn is_running(&self) -> bool {
        self.process == ProcessState::Running
    }

    /// The replicas this broker leads, with their logs.
    pub fn leader_logs(&self) -> impl Iterator<Item = (&TopicPartition, &PartitionLog)> {
        self.replicas.iter().filter(|(_, r)| r.is_leader()).map(|(tp, r)| (tp, &r.log))
    }

    /// Traces the start, starts its timers and its followers' fetchers.
    pub fn start(&mut self, ctx: &mut Ctx) {
        let leader_for = self.replicas.iter().filter(|(_, r)| r.is_leader()).map(|(tp, _)| *tp).collect();
        ctx.trace(TraceEvent::BrokerStarted { broker: self.id.0, leader_for });
        self.start_timers(ctx);
        self.start_fetchers(ctx);
        self.load_coordinated_groups(ctx);
    }

    fn start_timers(&mut self, ctx: &mut Ctx) {
        ctx.set_timer(self.config.broker_heartbeat_interval_ms, timer(BrokerTimer::Heartbeat));
        ctx.set_timer((self.config.replica_lag_time_max_ms / 2).max(1), timer(BrokerTimer::IsrCheck));
        ctx.set_timer(LOG_RETENTION_CHECK_INTERVAL_MS, timer(BrokerTimer::LogMaintenance));
        ctx.set_timer(WRITEBACK_INTERVAL_MS, timer(BrokerTimer::Writeback));
    }

    /// The process stops: everything in memory is gone (held requests, followers' states, the
    /// groups); the logs stay. With `power_loss`, each log also loses its unflushed tail.
    pub fn stop(&mut self, ctx: &mut Ctx, power_loss: bool) {
        self.process = if power_loss { ProcessState::PoweredOff } else { ProcessState::Crashed };
        ctx.trace(TraceEvent::BrokerStopped { broker: self.id.0, power_loss });
        self.held_fetches.clear();
        self.expiry_timer_at = None;
        self.delayed.clear();
        self.generation_records.clear();
        self.fetchers.clear();
        self.coordinator.groups.clear();
        self.txn.txns.clear();
        self.pending_txn_offsets.clear();
        self.marker_retry_armed = false;
        self.txn_timeout_armed = false;
        for (tp, r) in self.replicas.iter_mut() {
            r.leading_epoch = None;
            r.followers.clear();
            r.pending_isr = None;
            if power_loss {
                let lost = r.log.lose_unflushed();
                r.epochs.truncate_from_end(r.log.log_end_offset());
                if lost > 0 {
                    ctx.trace(TraceEvent::UnflushedLost {
                        broker: self.id.0,
                        partition: *tp,
                        records: lost,
                        log_end_offset: r.log.log_end_offset(),
                    });
                }
            }
        }
    }

    /// The process starts again: it recovers its logs, and registers with the controller,
    /// whose answer tells it what it leads and follows now.
    pub fn restart(&mut self, ctx: &mut Ctx) {
        self.process = ProcessState::Running;
        ctx.trace(TraceEvent::BrokerRestarted { broker: self.id.0 });
        ctx.send(self.setup.controller, Message::BrokerRegistrationRequest { broker: self.id });
        self.start_timers(ctx);
    }

    fn correlation_id(&mut self) -> u64 {
        self.next_correlation_id += 1;
        self.next_correlation_id
    }

    fn node_of(&self, b: BrokerId) -> NodeId {
        self.setup.brokers[b.0 as usize]
    }

    /// Handles one of the broker's timers.
    pub fn on_timer(&mut self, ctx: &mut Ctx, t: BrokerTimer) {
        match t {
            BrokerTimer::FetchExpiry => {
                self.expiry_timer_at = None;
                let now = ctx.now();
                let expired: Vec<u64> =
                    self.held_fetches.iter().filter(|(_, h)| h.deadline <= now).map(|(id, _)| *id).collect();
                for id in expired {
                    let held = self.held_fetches.remove(&id).expect("present");
                    self.answer_held(ctx, held);
                }
                self.arm_fetch_expiry(ctx);
            }
            BrokerTimer::DelayedExpiry { id } => {
                if let Some(d) = self.delayed.remove(&id) {
                    self.finish_delayed(ctx, d, Some(KafkaError::RequestTimedOut));
                }
            }
            BrokerTimer::Heartbeat => {
                ctx.send(
                    self.setup.controller,
                    Message::BrokerHeartbeatRequest { broker: self.id, metadata_offset: self.metadata_offset },
                );
                ctx.set_timer(self.config.broker_heartbeat_interval_ms, timer(BrokerTimer::Heartbeat));
            }
            BrokerTimer::IsrCheck => {
                self.shrink_isrs(ctx);
                ctx.set_timer((self.config.replica_lag_time_max_ms / 2).max(1), timer(BrokerTimer::IsrCheck));
            }
            BrokerTimer::FetcherRetry { leader, correlation_id } => {
                let Some(f) = self.fetchers.get_mut(&leader) else { return };
                if f.in_flight == Some(correlation_id) {
                    f.in_flight = None;
                    ctx.trace(TraceEvent::FetcherTimedOut { broker: self.id.0, leader: leader.0 });
                } else if f.backoff == Some(correlation_id) {
                    f.backoff = None;
                } else {
                    return;
                }
                self.fetch_from(ctx, leader);
            }
            BrokerTimer::LogMaintenance => {
                let now = ctx.now().0;
                for (tp, r) in self.replicas.iter_mut() {
                    let m = r.log.maintain(now);
                    if m.segments_deleted > 0 || m.records_cleaned > 0 {
                        ctx.trace(TraceEvent::LogCleaned {
                            broker: self.id.0,
                            partition: *tp,
                            segments_deleted: m.segments_deleted,
                            records_cleaned: m.records_cleaned,
                            log_start_offset: r.log.log_start_offset(),
                        });
                    }
                }
                ctx.set_timer(LOG_RETENTION_CHECK_INTERVAL_MS, timer(BrokerTimer::LogMaintenance));
            }
            BrokerTimer::Writeback => {
                let now = ctx.now().0;
                for r in self.replicas.values_mut() {
                    r.log.flush_due(now);
                }
                ctx.set_timer(WRITEBACK_INTERVAL_MS, timer(BrokerTimer::Writeback));
            }
            BrokerTimer::Group(t) => {
                self.coordinator.on_timer(ctx, t);
                self.persist_generations(ctx);
            }
            BrokerTimer::TxnMarkerRetry => self.on_marker_retry(ctx),
            BrokerTimer::TxnTimeoutCheck => self.on_txn_timeout_check(ctx),
        }
    }

    /// Handles one message from node `from`.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        match msg {
            Message::ProduceRequest { correlation_id, acks, timeout_ms, batches } => {
                self.produce(ctx, from, correlation_id, acks, timeout_ms, batches)
            }
            Message::InitProducerIdRequest { .. }
            | Message::AddPartitionsToTxnRequest { .. }
            | Message::EndTxnRequest { .. }
            | Message::AddOffsetsToTxnRequest { .. }
            | Message::TxnOffsetCommitRequest { .. }
            | Message::WriteTxnMarkersRequest { .. }
            | Message::WriteTxnMarkersResponse { .. } => {
                self.on_txn_message(ctx, from, &msg);
            }
            Message::FetchRequest {
                correlation_id,
                replica_id,
                max_wait_ms,
                min_bytes,
                max_partition_bytes,
                isolation_level,
                partitions,
            } => {
                if let Some(f) = replica_id {
                    self.note_follower_fetch(ctx, f, &partitions);
                }
                let (response, bytes) =
                    self.read(ctx.now(), replica_id, isolation_level, &partitions, max_partition_bytes);
                let has_error = response.iter().any(|p| p.error.is_some() || p.diverging_epoch.is_some());
                if bytes >= min_bytes as u64 || max_wait_ms == 0 || has_error {
                    ctx.send(from, Message::FetchResponse { correlation_id, partitions: response });
                } else {
                    let id = self.next_fetch_id;
                    self.next_fetch_id += 1;
                    let deadline = ctx.now().plus_ms(max_wait_ms);
                    self.held_fetches.insert(
                        id,
                        HeldFetch {
                            from,
                            replica_id,
                            deadline,
                            correlation_id,
                            min_bytes,
                            max_partition_bytes,
                            isolation_level,
                            partitions,
                        },
                    );
                    self.arm_fetch_expiry(ctx);
                }
            }
            Message::FetchResponse { correlation_id, partitions } => {
                self.on_fetch_response(ctx, from, correlation_id, partitions)
            }
            Message::ListOffsetsRequest { correlation_id, spec, partitions } => {
                let offsets = partitions
                    .into_iter()
                    .map(|tp| {
                        let o = match self.replicas.get(&tp).filter(|r| r.is_leader()) {
                            None => Err(KafkaError::NotLeaderOrFollower),
                            Some(r) if !r.serves_reads() => Err(KafkaError::OffsetNotAvailable),
                            Some(r) => Ok(match spec {
                                OffsetSpec::Earliest => r.log.log_start_offset(),
                                OffsetSpec::Latest => r.log.high_watermark(),
                                OffsetSpec::Timestamp(t) => {
                                    let (start, hw) = (r.log.log_start_offset(), r.log.high_watermark());
                                    r.log
                                        .read(start, hw, u64::MAX)
                                        .iter()
                                        .find(|x| x.timestamp_ms >= t)
                                        .map_or(hw, |x| x.offset)
                                }
                            }),
                        };
                        (tp, o)
                    })
                    .collect();
                ctx.send(from, Message::ListOffsetsResponse { correlation_id, offsets });
            }
            Message::MetadataRequest { correlation_id } => {
                let brokers = (0..self.setup.brokers.len() as u32)
                    .map(BrokerId)
                    .filter(|b| !self.fenced.contains(b))
                    .map(|b| (b, self.node_of(b)))
                    .collect();
                let partitions = self
                    .registry
                    .values()
                    .filter(|r| r.partition.topic != self.setup.offsets_topic)
                    .map(|r| (r.partition, r.leader, r.leader_epoch))
                    .collect();
                let topics = self
                    .setup
                    .topic_names
                    .iter()
                    .enumerate()
                    .map(|(i, name)| (TopicId(i as u32), name))
                    .filter(|(t, name)| *t != self.setup.offsets_topic && !name.is_empty())
                    .map(|(t, name)| (t, name.clone()))
                    .collect();
                ctx.send(from, Message::MetadataResponse { correlation_id, brokers, topics, partitions });
            }
            Message::FindCoordinatorRequest { correlation_id, group_id } => {
                let tp = self.offsets_partition(&group_id);
                let leader = self.registry.get(&tp).and_then(|r| r.leader);
                let (error, coordinator) = match leader {
                    Some(b) => (None, Some(self.node_of(b))),
                    None => (Some(KafkaError::CoordinatorNotAvailable), None),
                };
                ctx.send(from, Message::FindCoordinatorResponse { correlation_id, error, coordinator });
            }
            Message::MetadataUpdate { full, fenced, partitions, topics, metadata_offset } => {
                // After a gap (an update lost on a cut link) the offset stays behind, so that
                // the next heartbeat asks for everything.
                if full || metadata_offset == self.metadata_offset + 1 {
                    self.metadata_offset = metadata_offset;
                }
                self.on_topics(topics);
                self.on_metadata(ctx, full, fenced, partitions)
            }
            Message::AlterPartitionResponse { partition, error } => {
                if let Some(r) = self.replicas.get_mut(&partition) {
                    r.pending_isr = None;
                    if let Some(e) = error {
                        ctx.trace(TraceEvent::AlterPartitionFailed {
                            broker: self.id.0,
                            partition,
                            error: e.exception_name(),
                        });
                    }
                }
                self.advance_high_watermark(ctx, partition);
            }
            Message::Disconnected { node } => {
                // A leader we fetch from died: retry after the backoff (the metadata update
                // naming its successor may come first).
                let leader = self.setup.brokers.iter().position(|n| *n == node).map(|b| BrokerId(b as u32));
                if let Some(leader) = leader {
                    if let Some(f) = self.fetchers.get_mut(&leader) {
                        if f.in_flight.take().is_some() {
                            self.backoff_fetcher(ctx, leader);
                        }
                    }
                }
            }
            Message::OffsetCommitRequest {
                correlation_id,
                group_id,
                generation_id,
                member_id,
                group_instance_id,
                offsets,
            } => {
                let member = (member_id, group_instance_id);
                self.offset_commit(ctx, from, correlation_id, group_id, generation_id, member, offsets)
            }
            other => {
                if let Some(error) = self.not_coordinator(&other) {
                    ctx.send(from, error);
                    return;
                }
                if let Message::SyncGroupRequest { group_id, .. } = &other {
                    let tp = self.offsets_partition(group_id);
                    let required = self.generation_records.get(group_id).copied().unwrap_or(Offset(0));
                    if self.replicas.get(&tp).is_some_and(|r| r.log.high_watermark() < required) {
                        let d = Delayed {
                            from,
                            correlation_id: 0,
                            kind: DelayedKind::Sync { request: other, partition: tp, required },
                        };
                        self.delay(ctx, d, 5_000);
                        return;
                    }
                }
                self.coordinator.on_message(ctx, from, other);
                self.persist_generations(ctx);
            }
        }
    }

    /// The `__consumer_offsets` partition of `group_id`.
    pub fn offsets_partition(&self, group_id: &str) -> TopicPartition {
        let n = self.setup.partition_counts[self.setup.offsets_topic.0 as usize];
        TopicPartition::new(self.setup.offsets_topic, group_partition(group_id, n))
    }

    /// Whether this broker coordinates `group_id`: it leads the group's offsets partition.
    pub fn coordinates(&self, group_id: &str) -> bool {
        self.replicas.get(&self.offsets_partition(group_id)).is_some_and(|r| r.is_leader())
    }

    /// For a group request this broker does not coordinate, the NOT_COORDINATOR answer.
    fn not_coordinator(&self, msg: &Message) -> Option<Message> {
        let e = Some(KafkaError::NotCoordinator);
        let (group_id, answer) = match msg {
            Message::JoinGroupRequest { group_id, member_id, .. } => (
                group_id,
                Message::JoinGroupResponse {
                    error: e,
                    generation_id: 0,
                    protocol_name: String::new(),
                    leader: String::new(),
                    member_id: member_id.clone(),
                    members: vec![],
                },
            ),
            Message::SyncGroupRequest { group_id, generation_id, .. } => {
                (group_id, Message::SyncGroupResponse { error: e, generation_id: *generation_id, assignment: vec![] })
            }
            Message::HeartbeatRequest { group_id, .. } => (group_id, Message::HeartbeatResponse { error: e }),
            Message::LeaveGroupRequest { group_id, .. } => (group_id, Message::LeaveGroupResponse { error: e }),
            Message::OffsetFetchRequest { correlation_id, group_id, .. } => {
                (group_id, Message::OffsetFetchResponse { correlation_id: *correlation_id, error: e, offsets: vec![] })
            }
            _ => return None,
        };
        (!self.coordinates(group_id)).then_some(answer)
    }

    /// A new producer id. Kafka's controller hands each broker blocks of 1,000 ids
    /// (`ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`) in the order brokers ask; here broker `n`'s
    /// blocks are the `n`-th of every `brokers` blocks, which keeps ids unique without a round trip.
    fn next_producer_id(&mut self) -> u64 {
        const BLOCK: u64 = 1000;
        let brokers = self.setup.brokers.len() as u64;
        let n = self.producer_ids_issued;
        self.producer_ids_issued += 1;
        (n / BLOCK * brokers + self.id.0 as u64) * BLOCK + n % BLOCK
    }

    fn produce(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        correlation_id: u64,
        acks: Acks,
        timeout_ms: u64,
        batches: Vec<crate::protocol::ProducerBatch>,
    ) {
        let mut results = Vec::with_capacity(batches.len());
        let mut waiting = vec![];
        let now = ctx.now();
        for batch in batches {
            let tp = batch.partition;
            let fail = |error| ProducePartitionResult { partition: tp, base_offset: Offset(0), error: Some(error) };
            let Some(replica) = self.replicas.get_mut(&tp).filter(|r| r.is_leader()) else {
                results.push(fail(KafkaError::NotLeaderOrFollower));
                continue;
            };
            let config = &self.setup.topic_configs[tp.topic.0 as usize];
            let bytes: u64 = batch.records.iter().map(|r| r.size_bytes as u64).sum();
            if replica.log.check_batch_size(bytes).is_err() {
                results.push(fail(KafkaError::RecordTooLarge));
                continue;
            }
            if batch.records.iter().any(|r| replica.log.accepts(r).is_err()) {
                results.push(fail(KafkaError::InvalidRecord));
                continue;
            }
            // Kafka checks the ISR before appending with acks=all.
            if acks == Acks::All && (replica.registration.isr.len() as u32) < config.min_insync_replicas {
                ctx.trace(TraceEvent::NotEnoughReplicas {
                    broker: self.id.0,
                    partition: tp,
                    isr: replica.registration.isr.len() as u32,
                    min_insync_replicas: config.min_insync_replicas,
                });
                results.push(fail(KafkaError::NotEnoughReplicas));
                continue;
            }
            let n = batch.records.len() as u32;
            if let Some(stamp) = batch.stamp {
                match replica.log.producer_state.check(stamp, n) {
                    SequenceCheck::Append => {}
                    SequenceCheck::Duplicate { base_offset } => {
                        // Kafka answers a duplicate with the offsets it had, and no error.
                        ctx.trace(TraceEvent::DuplicateBatch {
                            broker: self.id.0,
                            partition: tp,
                            producer_id: stamp.producer_id,
                            base_sequence: stamp.base_sequence,
                            base_offset,
                        });
                        if acks == Acks::All {
                            waiting.push((results.len(), tp, Offset(base_offset.0 + n as u64)));
                        }
                        results.push(ProducePartitionResult { partition: tp, base_offset, error: None });
                        continue;
                    }
                    SequenceCheck::OutOfOrder { .. } => {
                        results.push(fail(KafkaError::OutOfOrderSequenceNumber));
                        continue;
                    }
                    SequenceCheck::InvalidEpoch { .. } => {
                        results.push(fail(KafkaError::InvalidProducerEpoch));
                        continue;
                    }
                }
            }
            let mut records = batch.records;
            if config.message_timestamp_type == crate::config::TimestampType::LogAppendTime {
                records.iter_mut().for_each(|r| r.timestamp_ms = now.0);
            }
            let base_offset = replica.log.append(&records, now.0);
            if let Some(stamp) = batch.stamp {
                let last_offset = Offset(base_offset.0 + n as u64 - 1);
                replica.log.producer_state.on_append(BatchHeader {
                    stamp,
                    base_offset,
                    last_offset,
                    records: n,
                    transactional: batch.transactional,
                    marker: None,
                });
            }
            replica.log.flush_due(now.0);
            ctx.trace(TraceEvent::Appended {
                broker: self.id.0,
                partition: tp,
                base_offset,
                records: records.len() as u32,
                producer: from,
            });
            if acks == Acks::All {
                waiting.push((results.len(), tp, Offset(base_offset.0 + records.len() as u64)));
            }
            results.push(ProducePartitionResult { partition: tp, base_offset, error: None });
            self.advance_high_watermark(ctx, tp);
        }
        // Followers' fetches waiting at this leader read up to the LEO: they may go now.
        self.complete_held_fetches(ctx);
        if acks == Acks::None {
            return;
        }
        let d = Delayed { from, correlation_id, kind: DelayedKind::Produce { results, waiting } };
        self.delay(ctx, d, timeout_ms);
    }

    /// Answers `d` now if it is complete, or parks it until the HW moves or `timeout_ms` passes.
    fn delay(&mut self, ctx: &mut Ctx, d: Delayed, timeout_ms: u64) {
        if self.is_complete(&d) {
            self.finish_delayed(ctx, d, None);
            return;
        }
        let id = self.next_delayed;
        self.next_delayed += 1;
        self.delayed.insert(id, d);
        ctx.set_timer(timeout_ms, timer(BrokerTimer::DelayedExpiry { id }));
    }

    /// Whether every partition `d` waits on has its HW at the required offset, or is no longer
    /// led here.
    fn is_complete(&self, d: &Delayed) -> bool {
        let done = |tp: &TopicPartition, required: Offset| {
            self.replicas.get(tp).is_none_or(|r| !r.is_leader() || r.log.high_watermark() >= required)
        };
        match &d.kind {
            DelayedKind::Produce { waiting, .. } | DelayedKind::Markers { waiting, .. } => {
                waiting.iter().all(|(_, tp, o)| done(tp, *o))
            }
            DelayedKind::Commit { partition, required, .. } | DelayedKind::Sync { partition, required, .. } => {
                done(partition, *required)
            }
        }
    }

    /// Sends `d`'s answer; partitions still waiting get `timeout` (when it expired).
    fn finish_delayed(&mut self, ctx: &mut Ctx, d: Delayed, timeout: Option<KafkaError>) {
        match d.kind {
            DelayedKind::Produce { mut results, waiting } => {
                for (i, tp, required) in waiting {
                    let error = match self.replicas.get(&tp) {
                        Some(r) if r.is_leader() && r.log.high_watermark() >= required => {
                            let min = self.setup.topic_configs[tp.topic.0 as usize].min_insync_replicas;
                            ((r.registration.isr.len() as u32) < min)
                                .then_some(KafkaError::NotEnoughReplicasAfterAppend)
                        }
                        Some(r) if r.is_leader() => timeout,
                        _ => Some(KafkaError::NotLeaderOrFollower),
                    };
                    results[i].error = error;
                }
                ctx.send(d.from, Message::ProduceResponse { correlation_id: d.correlation_id, results });
            }
            DelayedKind::Markers { producer_id, mut results, waiting } => {
                for (i, tp, required) in waiting {
                    let written =
                        self.replicas.get(&tp).is_some_and(|r| r.is_leader() && r.log.high_watermark() >= required);
                    if !written {
                        results[i].1 = Some(timeout.unwrap_or(KafkaError::NotLeaderOrFollower));
                    }
                }
                let msg = Message::WriteTxnMarkersResponse { correlation_id: d.correlation_id, producer_id, results };
                ctx.send(d.from, msg);
            }
            DelayedKind::Commit { offsets, partition, required } => {
                let error = match self.replicas.get(&partition) {
                    Some(r) if r.is_leader() && r.log.high_watermark() >= required => None,
                    Some(r) if r.is_leader() => timeout,
                    _ => Some(KafkaError::NotCoordinator),
                };
                ctx.send(d.from, Message::OffsetCommitResponse { correlation_id: d.correlation_id, error, offsets });
            }
            DelayedKind::Sync { request, partition, required } => {
                let committed =
                    self.replicas.get(&partition).is_some_and(|r| r.is_leader() && r.log.high_watermark() >= required);
                if committed {
                    self.coordinator.on_message(ctx, d.from, request);
                    self.persist_generations(ctx);
                } else if let Message::SyncGroupRequest { generation_id, .. } = request {
                    let error = Some(KafkaError::NotCoordinator);
                    ctx.send(d.from, Message::SyncGroupResponse { error, generation_id, assignment: vec![] });
                }
            }
        }
    }

    /// Completes every delayed operation that can be.
    fn complete_delayed(&mut self, ctx: &mut Ctx) {
        if self.delayed.is_empty() {
            return;
        }
        let ready: Vec<u64> = self.delayed.iter().filter(|(_, d)| self.is_complete(d)).map(|(id, _)| *id).collect();
        for id in ready {
            let d = self.delayed.remove(&id).expect("present");
            self.finish_delayed(ctx, d, None);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn offset_commit(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        correlation_id: u64,
        group_id: String,
        generation_id: u32,
        (member_id, group_instance_id): (String, Option<String>),
        offsets: Vec<(TopicPartition, Offset)>,
    ) {
        if !self.coordinates(&group_id) {
            let error = Some(KafkaError::NotCoordinator);
            ctx.send(from, Message::OffsetCommitResponse { correlation_id, error, offsets });
            return;
        }
        if let Some(error) =
            self.coordinator.commit(ctx, &group_id, generation_id, &member_id, group_instance_id.as_deref(), &offsets)
        {
            ctx.send(from, Message::OffsetCommitResponse { correlation_id, error: Some(error), offsets });
            return;
        }
        let (tp, required) = self.append_offsets(ctx, &group_id, &offsets);
        let d = Delayed { from, correlation_id, kind: DelayedKind::Commit { offsets, partition: tp, required } };
        self.delay(ctx, d, 5_000);
    }

    /// Writes a group-metadata record for each group whose generation changed, so that a new
    /// coordinator carries on from it (Kafka's `GroupMetadataManager.storeGroup`).
    /// Appends committed `offsets` of `group_id` to its `__consumer_offsets` partition, a record
    /// per partition (Kafka appends offset commits with acks=all: the caller answers once
    /// replicated). Returns the partition and its new LEO.
    fn append_offsets(
        &mut self,
        ctx: &mut Ctx,
        group_id: &str,
        offsets: &[(TopicPartition, Offset)],
    ) -> (TopicPartition, Offset) {
        let tp = self.offsets_partition(group_id);
        let group = self.coordinator.groups.get(group_id).map_or(0, |g| g.id.0);
        let records: Vec<Record> = offsets
            .iter()
            .map(|(p, o)| Record {
                record_id: RecordId::new(OFFSETS_RECORD_PRODUCER, o.0),
                key: Some(offsets_key(group, partition_key(*p))),
                timestamp_ms: ctx.now().0,
                size_bytes: 64,
                offset: Offset(0),
                tombstone: false,
            })
            .collect();
        let now = ctx.now().0;
        let replica = self.replicas.get_mut(&tp).expect("coordinates: leads it");
        replica.log.append(&records, now);
        replica.log.flush_due(now);
        let required = replica.log.log_end_offset();
        self.advance_high_watermark(ctx, tp);
        self.complete_held_fetches(ctx);
        (tp, required)
    }

    fn persist_generations(&mut self, ctx: &mut Ctx) {
        let changed: Vec<(String, u32, u32)> = self
            .coordinator
            .groups
            .values()
            .filter(|g| g.generation_id != g.persisted_generation)
            .map(|g| (g.group_id.clone(), g.id.0, g.generation_id))
            .collect();
        let now = ctx.now().0;
        for (group_id, group, generation) in changed {
            let tp = self.offsets_partition(&group_id);
            let Some(r) = self.replicas.get_mut(&tp).filter(|r| r.is_leader()) else { continue };
            let record = Record {
                record_id: RecordId::new(OFFSETS_RECORD_PRODUCER, generation as u64),
                key: Some(offsets_key(group, GROUP_METADATA_KEY)),
                timestamp_ms: now,
                size_bytes: 64,
                offset: Offset(0),
                tombstone: false,
            };
            r.log.append(&[record], now);
            self.generation_records.insert(group_id.clone(), r.log.log_end_offset());
            if let Some(g) = self.coordinator.groups.get_mut(&group_id) {
                g.persisted_generation = generation;
            }
            self.advance_high_watermark(ctx, tp);
            self.complete_held_fetches(ctx);
        }
    }

    /// Loads the committed offsets of the groups whose offsets partition it now leads, from
    /// that partition's log (Kafka's `GroupMetadataManager.loadGroupsAndOffsets`), and drops
    /// the groups it no longer coordinates.
    fn load_coordinated_groups(&mut self, ctx: &mut Ctx) {
        self.load_transactions(ctx);
        let group_ids = self.setup.group_ids.clone();
        for (gi, group_id) in group_ids.iter().enumerate() {
            let leads = self.coordinates(group_id);
            let loaded = self.coordinator.groups.contains_key(group_id);
            if leads && !loaded {
                let tp = self.offsets_partition(group_id);
                let log = &self.replicas[&tp].log;
                let mut offsets = BTreeMap::new();
                let mut generation = 0;
                for r in log.read(log.log_start_offset(), log.log_end_offset(), u64::MAX) {
                    let Some(key) = r.key else { continue };
                    if key.0 >> 20 != gi as u32 {
                        continue;
                    }
                    let low = key.0 & GROUP_METADATA_KEY;
                    if low == GROUP_METADATA_KEY {
                        generation = r.record_id.seq() as u32;
                    } else {
                        let p = TopicPartition::new(TopicId(low >> 10), low & 0x3FF);
                        offsets.insert(p, Offset(r.record_id.seq() as u64));
                    }
                }
                self.coordinator.load(group_id, generation, offsets);
                ctx.trace(TraceEvent::CoordinatorLoaded { broker: self.id.0, group: crate::ids::GroupId(gi as u32) });
            } else if !leads && loaded {
                self.coordinator.unload(ctx, group_id);
            }
        }
    }

    /// Takes created and deleted topics: a deleted topic's replicas, logs and registrations go
    /// (its name is kept empty, so that it is listed no more).
    fn on_topics(&mut self, topics: Vec<TopicRecord>) {
        for t in topics {
            let i = t.topic.0 as usize;
            if self.setup.topic_names.len() <= i {
                self.setup.topic_names.resize(i + 1, String::new());
                self.setup.topic_configs.resize(i + 1, TopicConfig::default());
            }
            self.setup.topic_configs[i] = t.config;
            if t.deleted {
                self.setup.topic_names[i].clear();
                self.replicas.retain(|tp, _| tp.topic != t.topic);
                self.registry.retain(|tp, _| tp.topic != t.topic);
            } else {
                self.setup.topic_names[i] = t.name;
            }
        }
    }

    /// Applies the controller's changes: leads, follows or stops leading each partition.
    fn on_metadata(
        &mut self,
        ctx: &mut Ctx,
        full: bool,
        fenced: Vec<BrokerId>,
        partitions: Vec<PartitionRegistration>,
    ) {
        self.fenced = fenced.into_iter().collect();
        let now = ctx.now();
        for reg in partitions {
            let tp = reg.partition;
            let known = self.registry.get(&tp).map_or(0, |r| r.partition_epoch);
            if !full && reg.partition_epoch < known {
                continue;
            }
            if self.setup.topic_names.get(tp.topic.0 as usize).is_none_or(|n| n.is_empty()) {
                continue;
            }
            self.registry.insert(tp, reg.clone());
            if !self.replicas.contains_key(&tp) && reg.replicas.contains(&self.id) {
                // A partition created since (CreateTopics, CreatePartitions): an empty log.
                let config = self.setup.topic_configs[tp.topic.0 as usize].clone();
                self.replicas.insert(tp, Replica::new(PartitionLog::new(config), reg.clone()));
            }
            let Some(replica) = self.replicas.get_mut(&tp) else { continue };
            let was = replica.leading_epoch;
            replica.registration = reg.clone();
            if reg.leader == Some(self.id) {
                if was != Some(reg.leader_epoch) {
                    replica.leading_epoch = Some(reg.leader_epoch);
                    replica.epochs.assign(reg.leader_epoch, replica.log.log_end_offset());
                    replica.pending_isr = None;
                    // Kafka starts every follower as caught up now, so that a new leader does
                    // not shrink the ISR before followers had a chance to fetch.
                    replica.followers = reg
                        .replicas
                        .iter()
                        .filter(|b| **b != self.id)
                        .map(|b| {
                            (
                                *b,
                                FollowerState {
                                    log_end_offset: Offset(0),
                                    last_caught_up: now,
                                    last_fetch: now,
                                    last_fetch_leader_log_end_offset: Offset(0),
                                },
                            )
                        })
                        .collect();
                    ctx.trace(TraceEvent::BecameLeader {
                        broker: self.id.0,
                        partition: tp,
                        leader_epoch: reg.leader_epoch,
                        log_end_offset: replica.log.log_end_offset(),
                        high_watermark: replica.log.high_watermark(),
                    });
                }
            } else if was.is_some() {
                replica.leading_epoch = None;
                replica.followers.clear();
                replica.pending_isr = None;
                ctx.trace(TraceEvent::BecameFollower {
                    broker: self.id.0,
                    partition: tp,
                    leader: reg.leader.map(|b| b.0),
                    leader_epoch: reg.leader_epoch,
                });
            }
            self.advance_high_watermark(ctx, tp);
        }
        self.complete_delayed(ctx);
        self.load_coordinated_groups(ctx);
        self.start_fetchers(ctx);
    }

    /// Starts a fetch towards every leader this broker follows a partition of.
    fn start_fetchers(&mut self, ctx: &mut Ctx) {
        let leaders: BTreeSet<BrokerId> = self
            .replicas
            .values()
            .filter(|r| !r.is_leader())
            .filter_map(|r| r.registration.leader)
            .filter(|l| *l != self.id)
            .collect();
        for l in leaders {
            self.fetch_from(ctx, l);
        }
    }

    /// Sends a follower fetch to `leader` for every partition it leads that this broker follows,
    /// unless one is in flight or backing off.
    fn fetch_from(&mut self, ctx: &mut Ctx, leader: BrokerId) {
        if !self.is_running() {
            return;
        }
        let f = self.fetchers.entry(leader).or_default();
        if f.in_flight.is_some() || f.backoff.is_some() {
            return;
        }
        let me = self.id;
        let partitions: Vec<FetchPartition> = self
            .replicas
            .iter()
            .filter(|(_, r)| !r.is_leader() && r.registration.leader == Some(leader) && leader != me)
            .map(|(tp, r)| FetchPartition {
                partition: *tp,
                fetch_offset: r.log.log_end_offset(),
                current_leader_epoch: Some(r.registration.leader_epoch),
                last_fetched_epoch: r.epochs.latest_epoch(),
            })
            .collect();
        if partitions.is_empty() {
            return;
        }
        let correlation_id = self.correlation_id();
        self.fetchers.get_mut(&leader).expect("inserted").in_flight = Some(correlation_id);
        ctx.send(
            self.node_of(leader),
            Message::FetchRequest {
                correlation_id,
                replica_id: Some(me),
                max_wait_ms: self.config.replica_fetch_wait_max_ms,
                min_bytes: 1,
                max_partition_bytes: REPLICA_FETCH_MAX_BYTES,
                isolation_level: IsolationLevel::ReadUncommitted,
                partitions,
            },
        );
        ctx.set_timer(
            self.config.replica_socket_timeout_ms,
            timer(BrokerTimer::FetcherRetry { leader, correlation_id }),
        );
    }

    fn backoff_fetcher(&mut self, ctx: &mut Ctx, leader: BrokerId) {
        let correlation_id = self.correlation_id();
        self.fetchers.entry(leader).or_default().backoff = Some(correlation_id);
        ctx.set_timer(REPLICA_FETCH_BACKOFF_MS, timer(BrokerTimer::FetcherRetry { leader, correlation_id }));
    }

    /// A follower's fetch response: truncate where the log diverges, or append what came.
    fn on_fetch_response(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        correlation_id: u64,
        partitions: Vec<FetchPartitionResponse>,
    ) {
        let Some(leader) = self.setup.brokers.iter().position(|n| *n == from).map(|b| BrokerId(b as u32)) else {
            return;
        };
        let Some(f) = self.fetchers.get_mut(&leader) else { return };
        if f.in_flight != Some(correlation_id) {
            return;
        }
        f.in_flight = None;
        let now = ctx.now().0;
        let mut failed = false;
        for p in partitions {
            let tp = p.partition;
            let Some(r) = self.replicas.get_mut(&tp) else { continue };
            if r.is_leader() || r.registration.leader != Some(leader) {
                continue;
            }
            if let Some((epoch, end)) = p.diverging_epoch {
                // Truncate to the smaller of where the epoch ends at the leader and here.
                let mine = r.epochs.end_offset_for(epoch, r.log.log_end_offset()).map_or(Offset(0), |(_, o)| o);
                let to = end.min(mine).max(r.log.log_start_offset());
                let from_leo = r.log.log_end_offset();
                r.truncate_to(to);
                ctx.trace(TraceEvent::Truncated {
                    broker: self.id.0,
                    partition: tp,
                    from: from_leo,
                    to: r.log.log_end_offset(),
                    leader_epoch: epoch,
                });
                continue;
            }
            match p.error {
                None => {}
                Some(KafkaError::OffsetOutOfRange) if p.log_start_offset > r.log.log_end_offset() => {
                    // The leader deleted what this follower still needs: start over at its log start.
                    r.truncate_to(r.log.log_start_offset());
                    r.log.advance_log_start_offset(p.log_start_offset);
                    continue;
                }
                Some(_) => {
                    failed = true;
                    continue;
                }
            }
            for (epoch, start) in &p.epochs {
                r.epochs.assign(*epoch, *start);
            }
            if !p.records.is_empty() && p.records[0].offset >= r.log.log_end_offset() {
                let before = r.log.log_end_offset();
                r.log.append_replicated(&p.records, now);
                for h in p.batches.iter().filter(|h| h.base_offset >= before) {
                    r.log.producer_state.on_append(*h);
                }
                r.log.flush_due(now);
            }
            r.log.advance_log_start_offset(p.log_start_offset);
            let hw = p.high_watermark.min(r.log.log_end_offset());
            r.log.set_high_watermark(hw);
        }
        if failed {
            self.backoff_fetcher(ctx, leader);
        } else {
            self.fetch_from(ctx, leader);
        }
    }

    /// A follower fetched: its fetch offset is its LEO. Updates its caught-up time (Kafka's
    /// `Replica.updateFetchStateOrThrow`), adds it back to the ISR once it has caught up, and
    /// advances the HW.
    fn note_follower_fetch(&mut self, ctx: &mut Ctx, follower: BrokerId, partitions: &[FetchPartition]) {
        let now = ctx.now();
        for p in partitions {
            let Some(r) = self.replicas.get_mut(&p.partition) else { continue };
            let Some(epoch) = r.leading_epoch else { continue };
            if p.current_leader_epoch != Some(epoch) || Self::divergence(r, p).is_some() {
                continue;
            }
            let leo = r.log.log_end_offset();
            let Some(fs) = r.followers.get_mut(&follower) else { continue };
            if p.fetch_offset >= leo {
                fs.last_caught_up = fs.last_caught_up.max(now);
            } else if p.fetch_offset >= fs.last_fetch_leader_log_end_offset {
                fs.last_caught_up = fs.last_caught_up.max(fs.last_fetch);
            }
            fs.log_end_offset = p.fetch_offset;
            fs.last_fetch = now;
            fs.last_fetch_leader_log_end_offset = leo;
            // ISR expansion: caught up to the HW and into this leader's epoch.
            let epoch_start = r.epochs.entries().iter().find(|&&(e, _)| e == epoch).map_or(Offset(0), |&(_, s)| s);
            if !r.registration.isr.contains(&follower)
                && r.pending_isr.is_none()
                && !self.fenced.contains(&follower)
                && p.fetch_offset >= r.log.high_watermark()
                && p.fetch_offset >= epoch_start
            {
                let mut new_isr = r.registration.isr.clone();
                new_isr.push(follower);
                new_isr.sort();
                r.pending_isr = Some(new_isr);
                send_alter_partition(ctx, self.setup.controller, self.id, p.partition, r, now);
            }
            self.advance_high_watermark(ctx, p.partition);
        }
    }

    /// The leader's answer to a follower's `last_fetched_epoch`: where its log diverges, if it
    /// does (the follower's epoch ends earlier here, or this log has no such epoch).
    fn divergence(r: &Replica, p: &FetchPartition) -> Option<(u32, Offset)> {
        let epoch = p.last_fetched_epoch?;
        match r.epochs.end_offset_for(epoch, r.log.log_end_offset()) {
            Some((e, end)) if e == epoch && end >= p.fetch_offset => None,
            Some((e, end)) => Some((e, end)),
            None => Some((0, r.log.log_start_offset())),
        }
    }

    /// The ISR check: followers that have not caught up for `replica.lag.time.max.ms` leave the ISR.
    fn shrink_isrs(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        let lag_max = self.config.replica_lag_time_max_ms;
        for (tp, r) in self.replicas.iter_mut() {
            if !r.is_leader() {
                continue;
            }
            if r.pending_isr.is_some() {
                // Kafka's AlterPartitionManager sends a request the controller did not answer
                // again (it was lost on a cut link); without this the leader would wait forever
                // and never change this partition's ISR again.
                if now.0.saturating_sub(r.pending_isr_sent.0) >= CONTROLLER_SOCKET_TIMEOUT_MS {
                    send_alter_partition(ctx, self.setup.controller, self.id, *tp, r, now);
                }
                continue;
            }
            let leo = r.log.log_end_offset();
            let out: Vec<BrokerId> = r
                .registration
                .isr
                .iter()
                .copied()
                .filter(|b| *b != self.id)
                .filter(|b| {
                    r.followers
                        .get(b)
                        .is_some_and(|f| f.log_end_offset < leo && now.0.saturating_sub(f.last_caught_up.0) > lag_max)
                })
                .collect();
            if out.is_empty() {
                continue;
            }
            let new_isr: Vec<BrokerId> = r.registration.isr.iter().copied().filter(|b| !out.contains(b)).collect();
            ctx.trace(TraceEvent::IsrShrinking {
                broker: self.id.0,
                partition: *tp,
                out_of_sync: out.iter().map(|b| b.0).collect(),
                replica_lag_time_max_ms: lag_max,
            });
            r.pending_isr = Some(new_isr);
            send_alter_partition(ctx, self.setup.controller, self.id, *tp, r, now);
        }
    }

    /// A leader's HW is the smallest LEO in the (maximal) ISR. When it moves, held fetches and
    /// delayed operations may complete.
    fn advance_high_watermark(&mut self, ctx: &mut Ctx, tp: TopicPartition) {
        let Some(r) = self.replicas.get_mut(&tp) else { return };
        if !r.is_leader() {
            return;
        }
        let me = self.id;
        let mut hw = r.log.log_end_offset();
        for b in r.maximal_isr() {
            if b != me && !self.test_high_watermark_ignores_isr {
                hw = hw.min(r.followers.get(&b).map_or(Offset(0), |f| f.log_end_offset));
            }
        }
        let before = r.log.high_watermark();
        r.log.advance_high_watermark(hw);
        if r.log.high_watermark() > before {
            self.complete_delayed(ctx);
            self.complete_held_fetches(ctx);
        }
    }

    /// Reads each partition for a consumer (up to the HW) or a follower (up to the LEO, with
    /// the divergence check); returns the response and the bytes it carries.
    fn read(
        &self,
        _now: SimTime,
        replica_id: Option<BrokerId>,
        isolation_level: IsolationLevel,
        partitions: &[FetchPartition],
        max_partition_bytes: u32,
    ) -> (Vec<FetchPartitionResponse>, u64) {
        let mut bytes = 0;
        let out = partitions
            .iter()
            .map(|p| {
                let mut resp = FetchPartitionResponse {
                    partition: p.partition,
                    high_watermark: Offset(0),
                    log_start_offset: Offset(0),
                    base_offset: p.fetch_offset,
                    records: vec![],
                    error: None,
                    diverging_epoch: None,
                    epochs: vec![],
                    batches: vec![],
                    last_stable_offset: Offset(0),
                    aborted: vec![],
                };
                let Some(r) = self.replicas.get(&p.partition).filter(|r| r.is_leader()) else {
                    resp.error = Some(KafkaError::NotLeaderOrFollower);
                    return resp;
                };
                let epoch = r.leading_epoch.expect("leads");
                match p.current_leader_epoch {
                    Some(e) if e < epoch => resp.error = Some(KafkaError::FencedLeaderEpoch),
                    Some(e) if e > epoch => resp.error = Some(KafkaError::UnknownLeaderEpoch),
                    _ => {}
                }
                if resp.error.is_some() {
                    return resp;
                }
                let log = &r.log;
                resp.high_watermark = log.high_watermark();
                resp.log_start_offset = log.log_start_offset();
                resp.last_stable_offset = log.last_stable_offset();
                let until = if replica_id.is_some() {
                    if let Some(d) = Self::divergence(r, p) {
                        resp.diverging_epoch = Some(d);
                        return resp;
                    }
                    log.log_end_offset()
                } else {
                    if !r.serves_reads() {
                        resp.error = Some(KafkaError::OffsetNotAvailable);
                        return resp;
                    }
                    match isolation_level {
                        IsolationLevel::ReadCommitted => log.last_stable_offset(),
                        IsolationLevel::ReadUncommitted => log.high_watermark(),
                    }
                };
                if p.fetch_offset < log.log_start_offset() || p.fetch_offset > log.log_end_offset() {
                    resp.error = Some(KafkaError::OffsetOutOfRange);
                    return resp;
                }
                resp.records = log.read(p.fetch_offset, until, max_partition_bytes as u64);
                if replica_id.is_some() {
                    if let Some(last) = resp.records.last() {
                        let until = Offset(last.offset.0 + 1);
                        resp.epochs = r.epochs.starting_in(p.fetch_offset, until);
                        resp.batches = log.producer_state.headers_in(p.fetch_offset, until);
                    }
                } else if isolation_level == IsolationLevel::ReadCommitted {
                    if let Some(last) = resp.records.last() {
                        resp.aborted = log.producer_state.aborted_in(p.fetch_offset, Offset(last.offset.0 + 1));
                    }
                }
                bytes += resp.records.iter().map(|r| r.size_bytes as u64).sum::<u64>();
                resp
            })
            .collect();
        (out, bytes)
    }

    fn answer_held(&mut self, ctx: &mut Ctx, held: HeldFetch) {
        let partitions =
            self.read(ctx.now(), held.replica_id, held.isolation_level, &held.partitions, held.max_partition_bytes).0;
        ctx.send(held.from, Message::FetchResponse { correlation_id: held.correlation_id, partitions });
    }

    /// Sets the FetchExpiry timer for the earliest held fetch's deadline, unless one is set
    /// that fires no later.
    fn arm_fetch_expiry(&mut self, ctx: &mut Ctx) {
        let Some(earliest) = self.held_fetches.values().map(|h| h.deadline).min() else { return };
        if self.expiry_timer_at.is_none_or(|t| t > earliest) {
            self.expiry_timer_at = Some(earliest);
            ctx.set_timer(earliest.0 - ctx.now().0, timer(BrokerTimer::FetchExpiry));
        }
    }

    /// Answers every held fetch that now has its minimum bytes to read (consumers up to the
    /// HW, followers up to the LEO). Counting the bytes first means nothing is built that is
    /// not sent.
    fn complete_held_fetches(&mut self, ctx: &mut Ctx) {
        if self.held_fetches.is_empty() {
            return;
        }
        let ready: Vec<u64> = self
            .held_fetches
            .iter()
            .filter(|(_, held)| {
                let enough = held.min_bytes as u64;
                let mut bytes = 0;
                for p in &held.partitions {
                    if let Some(r) = self.replicas.get(&p.partition) {
                        if !r.is_leader() {
                            return true; // answered with NotLeaderOrFollower at once
                        }
                        let until = if held.replica_id.is_some() {
                            r.log.log_end_offset()
                        } else if held.isolation_level == IsolationLevel::ReadCommitted {
                            r.log.last_stable_offset()
                        } else {
                            r.log.high_watermark()
                        };
                        let cap = (held.max_partition_bytes as u64).max(1);
                        bytes += r.log.bytes_available(p.fetch_offset, until, enough.min(cap));
                    }
                    if bytes >= enough {
                        return true;
                    }
                }
                false
            })
            .map(|(id, _)| *id)
            .collect();
        for id in ready {
            let held = self.held_fetches.remove(&id).expect("present");
            self.answer_held(ctx, held);
        }
    }
}
