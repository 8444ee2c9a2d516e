//! The consumer client (classic group protocol, eager rebalancing): group membership
//! (JoinGroup / SyncGroup / Heartbeat / LeaveGroup), positions and commits (auto-commit from
//! within `poll()`), the fetcher, and the application's poll-process loop with a processing time
//! per record. It knows brokers only through protocol messages: it finds partition leaders with
//! `MetadataRequest`s and its group coordinator with `FindCoordinator`, and looks again when a
//! broker answers `NotLeaderOrFollower` / `NOT_COORDINATOR`, drops the connection, or stops
//! answering (the Java client's `AbstractCoordinator.markCoordinatorUnknown`).

pub mod assignors;

use crate::config::{AutoOffsetReset, ConsumerConfig};
use crate::ids::{GroupId, NodeId, Offset, TopicId, TopicPartition};
use crate::node::{ClusterMetadata, Ctx, MetadataClient, MetadataTimer, Timer};
use crate::protocol::{FetchPartition, KafkaError, Message, OffsetSpec, Record};
use crate::sim::{SimTime, TraceEvent};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// When the application commits its offsets, which decides its delivery semantics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitMode {
    /// `enable.auto.commit=true`: `poll()` commits the positions of the records it returned
    /// before, every `auto.commit.interval.ms`. A crash re-delivers what was processed since the
    /// last commit: at-least-once.
    #[default]
    Auto,
    /// `commitSync()` after the records of a `poll()` are processed: at-least-once; a crash
    /// mid-batch re-delivers the processed part (duplicates).
    AfterProcessing,
    /// `commitSync()` right after `poll()`, before processing: at-most-once; a crash mid-batch
    /// loses the unprocessed part.
    BeforeProcessing,
}

impl CommitMode {
    /// The mode's name in reports: `auto`, `after_processing` or `before_processing`.
    pub fn name(self) -> &'static str {
        match self {
            CommitMode::Auto => "auto",
            CommitMode::AfterProcessing => "after_processing",
            CommitMode::BeforeProcessing => "before_processing",
        }
    }
}

/// A consumer's membership state machine (the client side of the classic protocol, as Kafka's
/// `AbstractCoordinator.MemberState`, plus the two ways a process ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MemberState {
    /// Sent JoinGroup, waiting for the new generation. → AwaitingSync on success.
    Joining,
    /// Sent SyncGroup, waiting for the assignment. → Stable, or → Joining on
    /// `RebalanceInProgressException`.
    AwaitingSync,
    /// Has its partitions, fetches and heartbeats. → Joining when a heartbeat answers
    /// `RebalanceInProgressException` (at the next `poll()`).
    Stable,
    /// The application called `close()`: LeaveGroup was sent. Final.
    Closed,
    /// The process died: nothing more is sent. Final.
    Crashed,
}

/// Consumer timers.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsumerTimer {
    /// Send the next heartbeat of this generation's heartbeat loop.
    Heartbeat {
        epoch: u64,
    },
    /// The application finished processing the records of its last `poll()`.
    ProcessingDone,
    /// An auto-commit is due while the application waits in `poll()`.
    AutoCommitDue,
    Metadata(MetadataTimer),
    /// A FindCoordinator went unanswered (`request.timeout.ms`), or its retry backoff ended.
    FindCoordinatorRetry {
        correlation_id: u64,
    },
    /// A JoinGroup went unanswered for the rebalance timeout plus 5 s.
    JoinTimeout {
        correlation_id: u64,
    },
    /// A fetch went unanswered for `request.timeout.ms`.
    FetchTimeout {
        node: NodeId,
        correlation_id: u64,
    },
    /// An OffsetFetch or ListOffsets went unanswered for `request.timeout.ms`.
    PositionTimeout {
        correlation_id: u64,
    },
}

/// `retry.backoff.ms` (Kafka's default), between metadata and coordinator lookups.
const RETRY_BACKOFF_MS: u64 = 100;
/// `request.timeout.ms` (Kafka's consumer default).
const REQUEST_TIMEOUT_MS: u64 = 30_000;

/// Counters the snapshot and report read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ConsumerStats {
    /// Records `poll()` returned to the application (re-deliveries included).
    pub records_polled: u64,
    /// Records the application finished processing.
    pub records_processed: u64,
    pub commits: u64,
}

/// Records fetched for one partition and not yet returned by `poll()`: `records[next..]`, the
/// first of them at offset `first`. A fetch response's records are taken over as they are.
#[derive(Debug, Default)]
struct Buffered {
    first: Offset,
    records: Vec<Record>,
    next: usize,
}

impl Buffered {
    fn len(&self) -> usize {
        self.records.len() - self.next
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A run of records of one partition within the batch being processed.
#[derive(Debug, Clone, Copy)]
struct Segment {
    partition: TopicPartition,
    base_offset: Offset,
    /// Index of its first record in `processing`, and how many.
    start: usize,
    len: usize,
}

/// A consumer node.
#[derive(Debug)]
pub struct Consumer {
    pub client_id: String,
    pub group_id: String,
    pub group: GroupId,
    /// The subscription, by topic name (as the consumer protocol carries it).
    pub topics: Vec<String>,
    pub config: ConsumerConfig,
    /// Simulated application work per record, ms.
    pub processing_ms_per_record: u64,
    pub commit_mode: CommitMode,
    metadata: MetadataClient,
    /// The group coordinator, once found.
    coordinator: Option<NodeId>,
    /// The FindCoordinator in flight (or backing off), and where the next one goes.
    find_coordinator: Option<u64>,
    next_find: usize,
    /// The last HeartbeatResponse: with none for `session.timeout.ms`, the coordinator is
    /// taken for dead.
    last_heartbeat_response: SimTime,
    /// The JoinGroup in flight.
    join_request: Option<u64>,
    /// A commit or OffsetFetch to send again once the coordinator is found.
    commit_lost: bool,
    offset_fetch_lost: bool,
    /// Partitions whose `auto.offset.reset` must be asked again (no leader known, or the
    /// leader could not answer yet).
    pending_resets: BTreeSet<TopicPartition>,
    pub state: MemberState,
    pub member_id: String,
    pub generation_id: u32,
    pub assignment: Vec<TopicPartition>,
    /// The offset the next `poll()` returns for each assigned partition.
    pub positions: BTreeMap<TopicPartition, Offset>,
    /// The last offsets this consumer committed successfully.
    pub committed: BTreeMap<TopicPartition, Offset>,
    /// The next offset to fetch (ahead of `positions` by what is buffered).
    fetch_positions: BTreeMap<TopicPartition, Offset>,
    buffer: BTreeMap<TopicPartition, Buffered>,
    /// Per leader node, the fetch in flight.
    fetches_in_flight: BTreeMap<NodeId, u64>,
    /// Records of the `poll()` being processed, partition by partition (`segments`); empty when
    /// the application waits in `poll()`.
    processing: Vec<Record>,
    segments: Vec<Segment>,
    /// When processing began; `None` while a commit-before-processing is awaited.
    processing_started: Option<SimTime>,
    /// The `commitSync()` the application is blocked on.
    awaiting_commit: Option<u64>,
    /// `close()` was called during processing: it completes when the batch is done.
    closing: bool,
    auto_commit_armed: bool,
    rejoin_reason: Option<String>,
    next_auto_commit: SimTime,
    heartbeat_epoch: u64,
    next_correlation_id: u64,
    /// The OffsetFetch / ListOffsets requests of the current assignment: where each went, and
    /// for a ListOffsets its partitions (asked again if the answer never comes).
    position_requests: BTreeMap<u64, (NodeId, Option<Vec<TopicPartition>>)>,
    pub stats: ConsumerStats,
}

impl Consumer {
    /// A consumer that has not started: no member id, no assignment, no positions.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client_id: String,
        group_id: String,
        group: GroupId,
        topics: Vec<String>,
        config: ConsumerConfig,
        processing_ms_per_record: u64,
        commit_mode: CommitMode,
        metadata: &ClusterMetadata,
    ) -> Self {
        // Clients spread their first requests over the bootstrap brokers.
        let first = client_id.bytes().map(|b| b as usize).sum::<usize>();
        Consumer {
            client_id,
            group_id,
            group,
            topics,
            config,
            processing_ms_per_record,
            commit_mode,
            metadata: MetadataClient::new(metadata, first, RETRY_BACKOFF_MS, REQUEST_TIMEOUT_MS),
            coordinator: None,
            find_coordinator: None,
            next_find: first,
            last_heartbeat_response: SimTime::ZERO,
            join_request: None,
            commit_lost: false,
            offset_fetch_lost: false,
            pending_resets: BTreeSet::new(),
            state: MemberState::Joining,
            member_id: String::new(),
            generation_id: 0,
            assignment: vec![],
            positions: BTreeMap::new(),
            committed: BTreeMap::new(),
            fetch_positions: BTreeMap::new(),
            buffer: BTreeMap::new(),
            fetches_in_flight: BTreeMap::new(),
            processing: vec![],
            segments: vec![],
            processing_started: None,
            awaiting_commit: None,
            closing: false,
            auto_commit_armed: false,
            rejoin_reason: None,
            next_auto_commit: SimTime::ZERO,
            heartbeat_epoch: 0,
            next_correlation_id: 0,
            position_requests: BTreeMap::new(),
            stats: ConsumerStats::default(),
        }
    }

    /// False once it has crashed or closed.
    pub fn is_alive(&self) -> bool {
        !matches!(self.state, MemberState::Crashed | MemberState::Closed)
    }

    /// `subscribe()` then the first `poll()`: join the group.
    pub fn start(&mut self, ctx: &mut Ctx) {
        let topics: Vec<TopicId> = self.topics.iter().filter_map(|t| self.metadata.cluster.topic_id(t)).collect();
        ctx.trace(TraceEvent::ConsumerStarted { consumer: ctx.me(), topics });
        self.next_auto_commit = ctx.now().plus_ms(self.config.auto_commit_interval_ms);
        self.request_metadata(ctx);
        self.send_join(ctx);
    }

    fn request_metadata(&mut self, ctx: &mut Ctx) {
        let id = self.correlation_id();
        self.metadata.request(ctx, id, |t| Timer::Consumer(ConsumerTimer::Metadata(t)));
    }

    /// Sends a FindCoordinator to the next bootstrap broker, unless one is in flight.
    fn find_coordinator(&mut self, ctx: &mut Ctx) {
        if self.find_coordinator.is_some() || !self.is_alive() {
            return;
        }
        let brokers = &self.metadata.cluster.brokers;
        let node = brokers[self.next_find % brokers.len()];
        self.next_find += 1;
        let correlation_id = self.correlation_id();
        self.find_coordinator = Some(correlation_id);
        ctx.send(node, Message::FindCoordinatorRequest { correlation_id, group_id: self.group_id.clone() });
        ctx.set_timer(REQUEST_TIMEOUT_MS, Timer::Consumer(ConsumerTimer::FindCoordinatorRetry { correlation_id }));
    }

    /// The coordinator is gone or moved: forget it and look for it again; what was waiting on
    /// it is sent again once it is found.
    fn coordinator_lost(&mut self, ctx: &mut Ctx, reason: &'static str) {
        if self.coordinator.take().is_none() {
            return;
        }
        ctx.trace(TraceEvent::CoordinatorLost { consumer: ctx.me(), reason });
        if matches!(self.state, MemberState::Joining | MemberState::AwaitingSync) {
            self.state = MemberState::Joining;
            self.join_request = None;
        }
        self.find_coordinator(ctx);
    }

    /// The process dies: no LeaveGroup, no commit, no more heartbeats. Records of the current
    /// batch whose processing had finished (`processing_ms_per_record` each, in order) count as
    /// processed; the rest never are.
    pub fn crash(&mut self, ctx: &mut Ctx) {
        ctx.trace(TraceEvent::ConsumerCrashed { consumer: ctx.me() });
        if let Some(started) = self.processing_started {
            let elapsed = ctx.now().0 - started.0;
            let done = match self.processing_ms_per_record {
                0 => self.processing.len(),
                per => ((elapsed / per) as usize).min(self.processing.len()),
            };
            self.report_processed(ctx, done);
        }
        self.state = MemberState::Crashed;
    }

    /// `close()`: once the current batch is processed, commit (with auto-commit on) and leave
    /// the group.
    pub fn close(&mut self, ctx: &mut Ctx) {
        self.closing = true;
        if self.state != MemberState::Stable || (self.processing.is_empty() && self.awaiting_commit.is_none()) {
            self.finish_close(ctx);
        }
    }

    fn finish_close(&mut self, ctx: &mut Ctx) {
        ctx.trace(TraceEvent::ConsumerClosing { consumer: ctx.me() });
        if self.auto_commit() && self.state == MemberState::Stable {
            self.commit(ctx);
        }
        if let Some(coordinator) = self.coordinator.filter(|_| !self.member_id.is_empty()) {
            ctx.send(
                coordinator,
                Message::LeaveGroupRequest { group_id: self.group_id.clone(), member_id: self.member_id.clone() },
            );
        }
        self.state = MemberState::Closed;
    }

    fn correlation_id(&mut self) -> u64 {
        self.next_correlation_id += 1;
        self.next_correlation_id
    }

    fn send_join(&mut self, ctx: &mut Ctx) {
        self.state = MemberState::Joining;
        let Some(coordinator) = self.coordinator else {
            self.join_request = None;
            return self.find_coordinator(ctx);
        };
        let correlation_id = self.correlation_id();
        self.join_request = Some(correlation_id);
        let wait = self.config.max_poll_interval_ms + 5_000;
        ctx.set_timer(wait, Timer::Consumer(ConsumerTimer::JoinTimeout { correlation_id }));
        ctx.send(
            coordinator,
            Message::JoinGroupRequest {
                group_id: self.group_id.clone(),
                member_id: self.member_id.clone(),
                client_id: self.client_id.clone(),
                session_timeout_ms: self.config.session_timeout_ms,
                rebalance_timeout_ms: self.config.max_poll_interval_ms,
                topics: self.topics.clone(),
            },
        );
    }

    /// Handles one of its timers: a heartbeat (`heartbeat.interval.ms`), the end of processing a
    /// batch (`processing_ms_per_record` each), or an auto-commit falling due while it waits in `poll()`.
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: ConsumerTimer) {
        match timer {
            ConsumerTimer::Heartbeat { epoch } => {
                if epoch != self.heartbeat_epoch || self.state != MemberState::Stable {
                    return;
                }
                ctx.set_timer(self.config.heartbeat_interval_ms, Timer::Consumer(ConsumerTimer::Heartbeat { epoch }));
                if ctx.now().0 >= self.last_heartbeat_response.0 + self.config.session_timeout_ms {
                    self.last_heartbeat_response = ctx.now();
                    self.coordinator_lost(ctx, "session timed out without receiving a heartbeat response");
                }
                let Some(coordinator) = self.coordinator else { return };
                ctx.send(
                    coordinator,
                    Message::HeartbeatRequest {
                        group_id: self.group_id.clone(),
                        generation_id: self.generation_id,
                        member_id: self.member_id.clone(),
                    },
                );
            }
            ConsumerTimer::Metadata(t) => {
                if self.metadata.on_timer(t) {
                    self.request_metadata(ctx);
                }
            }
            ConsumerTimer::FindCoordinatorRetry { correlation_id } => {
                if self.find_coordinator == Some(correlation_id) {
                    self.find_coordinator = None;
                    self.find_coordinator(ctx);
                }
            }
            ConsumerTimer::JoinTimeout { correlation_id } => {
                if self.state == MemberState::Joining && self.join_request == Some(correlation_id) {
                    self.coordinator_lost(ctx, "JoinGroup request timed out");
                }
            }
            ConsumerTimer::PositionTimeout { correlation_id } => {
                if let Some((_, request)) = self.position_requests.remove(&correlation_id) {
                    self.position_request_failed(ctx, request);
                }
            }
            ConsumerTimer::FetchTimeout { node, correlation_id } => {
                if self.fetches_in_flight.get(&node) == Some(&correlation_id) {
                    self.fetches_in_flight.remove(&node);
                    self.request_metadata(ctx);
                    self.send_fetches(ctx);
                }
            }
            ConsumerTimer::ProcessingDone => {
                self.processing_started = None;
                self.report_processed(ctx, self.processing.len());
                if self.commit_mode == CommitMode::AfterProcessing {
                    self.awaiting_commit = self.commit(ctx);
                }
                if self.awaiting_commit.is_none() {
                    self.poll(ctx);
                }
            }
            ConsumerTimer::AutoCommitDue => {
                self.auto_commit_armed = false;
                if self.processing.is_empty() && self.awaiting_commit.is_none() {
                    self.poll(ctx);
                }
            }
        }
    }

    /// Handles a response from a broker: JoinGroup, SyncGroup, Heartbeat, OffsetFetch, ListOffsets,
    /// Fetch or OffsetCommit.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        match msg {
            Message::JoinGroupResponse { error, generation_id, leader, member_id, members } => {
                if self.state != MemberState::Joining || self.join_request.is_none() {
                    return;
                }
                self.join_request = None;
                match error {
                    Some(KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable) => {
                        self.coordinator_lost(ctx, "NOT_COORDINATOR from JoinGroup")
                    }
                    Some(KafkaError::MemberIdRequired) => {
                        self.member_id = member_id;
                        self.send_join(ctx);
                    }
                    Some(_) => {
                        self.member_id.clear();
                        self.send_join(ctx);
                    }
                    None => {
                        self.generation_id = generation_id;
                        self.member_id = member_id;
                        let is_leader = leader == self.member_id;
                        ctx.trace(TraceEvent::JoinedGroup {
                            consumer: ctx.me(),
                            generation_id,
                            member_id: self.member_id.clone(),
                            leader: is_leader,
                        });
                        let assignments = if is_leader {
                            let subs = members.into_iter().map(|m| (m.member_id, m.topics)).collect();
                            assignors::range_assign(&subs, &self.metadata.cluster).into_iter().collect()
                        } else {
                            vec![]
                        };
                        self.state = MemberState::AwaitingSync;
                        let Some(coordinator) = self.coordinator else { return };
                        ctx.send(
                            coordinator,
                            Message::SyncGroupRequest {
                                group_id: self.group_id.clone(),
                                generation_id,
                                member_id: self.member_id.clone(),
                                assignments,
                            },
                        );
                    }
                }
            }
            Message::SyncGroupResponse { error, generation_id, assignment } => {
                if self.state != MemberState::AwaitingSync || generation_id != self.generation_id {
                    return;
                }
                match error {
                    Some(KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable) => {
                        self.coordinator_lost(ctx, "NOT_COORDINATOR from SyncGroup")
                    }
                    Some(KafkaError::RebalanceInProgress) => self.send_join(ctx),
                    Some(_) => {
                        self.member_id.clear();
                        self.send_join(ctx);
                    }
                    None => self.on_assignment(ctx, assignment),
                }
            }
            Message::HeartbeatResponse { error } => {
                if self.state != MemberState::Stable {
                    return;
                }
                self.last_heartbeat_response = ctx.now();
                match error {
                    None => {}
                    Some(KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable) => {
                        self.coordinator_lost(ctx, "NOT_COORDINATOR from Heartbeat")
                    }
                    Some(KafkaError::RebalanceInProgress) => self.request_rejoin(ctx, "group is already rebalancing"),
                    Some(e) => {
                        if e == KafkaError::UnknownMemberId {
                            self.member_id.clear();
                        }
                        self.request_rejoin(ctx, &format!("encountered {} from heartbeat", e.exception_name()))
                    }
                }
            }
            Message::OffsetFetchResponse { correlation_id, error, offsets } => {
                if self.position_requests.remove(&correlation_id).is_none() {
                    return;
                }
                if error.is_some() {
                    self.offset_fetch_lost = true;
                    self.coordinator_lost(ctx, "NOT_COORDINATOR from OffsetFetch");
                    return;
                }
                let mut reset = vec![];
                for (tp, committed) in offsets {
                    match committed {
                        Some(offset) => {
                            ctx.trace(TraceEvent::SettingOffset { consumer: ctx.me(), partition: tp, offset });
                            self.committed.insert(tp, offset);
                            self.seek(tp, offset);
                        }
                        None => reset.push(tp),
                    }
                }
                self.reset_positions(ctx, reset);
                self.after_progress(ctx);
            }
            Message::ListOffsetsResponse { correlation_id, offsets } => {
                if self.position_requests.remove(&correlation_id).is_none() {
                    return;
                }
                let mut retry = false;
                for (tp, offset) in offsets {
                    let Ok(offset) = offset else {
                        self.pending_resets.insert(tp);
                        retry = true;
                        continue;
                    };
                    ctx.trace(TraceEvent::ResettingOffset {
                        consumer: ctx.me(),
                        partition: tp,
                        offset,
                        strategy: self.config.auto_offset_reset.name(),
                    });
                    self.seek(tp, offset);
                }
                if retry {
                    self.request_metadata(ctx);
                }
                self.after_progress(ctx);
            }
            Message::FetchResponse { correlation_id, partitions } => {
                if self.fetches_in_flight.get(&from) != Some(&correlation_id) {
                    return;
                }
                self.fetches_in_flight.remove(&from);
                let mut reset = vec![];
                let mut stale = false;
                for p in partitions {
                    if self.fetch_positions.get(&p.partition) != Some(&p.base_offset) {
                        continue; // revoked or sought elsewhere since the fetch was sent
                    }
                    match p.error {
                        None => {}
                        Some(KafkaError::OffsetOutOfRange) => {
                            self.fetch_positions.remove(&p.partition);
                            self.positions.remove(&p.partition);
                            reset.push(p.partition);
                            continue;
                        }
                        // The leader moved, or a new one is not ready: refresh and fetch again.
                        Some(_) => {
                            stale = true;
                            continue;
                        }
                    }
                    let next = p.records.last().map_or(p.base_offset, |r| Offset(r.offset.0 + 1));
                    let buf = self.buffer.entry(p.partition).or_default();
                    if buf.is_empty() {
                        *buf = Buffered { first: p.base_offset, records: p.records, next: 0 };
                    } else {
                        buf.records.extend(p.records);
                    }
                    self.fetch_positions.insert(p.partition, next);
                }
                self.reset_positions(ctx, reset);
                if stale {
                    self.request_metadata(ctx);
                }
                self.after_progress(ctx);
            }
            Message::OffsetCommitResponse { correlation_id, error, offsets } => {
                match error {
                    Some(
                        KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable | KafkaError::RequestTimedOut,
                    ) if self.awaiting_commit == Some(correlation_id) => {
                        // commitSync() retries a retriable error once the coordinator is found.
                        ctx.trace(TraceEvent::CommitFailed { consumer: ctx.me(), error: "NotCoordinatorException" });
                        self.commit_lost = true;
                        self.coordinator_lost(ctx, "NOT_COORDINATOR from OffsetCommit");
                        return;
                    }
                    None => {
                        for (tp, o) in &offsets {
                            self.committed.insert(*tp, *o);
                        }
                        ctx.trace(TraceEvent::OffsetsCommitted { consumer: ctx.me(), offsets });
                    }
                    Some(e) => ctx.trace(TraceEvent::CommitFailed { consumer: ctx.me(), error: e.exception_name() }),
                }
                if self.awaiting_commit == Some(correlation_id) {
                    // The application's commitSync() returned (or threw: this application logs
                    // the exception and carries on).
                    self.awaiting_commit = None;
                    if !self.processing.is_empty() && self.processing_started.is_none() {
                        self.start_processing(ctx);
                    } else {
                        self.poll(ctx);
                    }
                }
            }
            Message::MetadataResponse { correlation_id, partitions, .. } => {
                if !self.metadata.on_response(correlation_id, &partitions) {
                    return;
                }
                let retry: Vec<TopicPartition> = std::mem::take(&mut self.pending_resets).into_iter().collect();
                self.reset_positions(ctx, retry);
                self.send_fetches(ctx);
            }
            Message::FindCoordinatorResponse { correlation_id, error, coordinator } => {
                if self.find_coordinator != Some(correlation_id) {
                    return;
                }
                match coordinator.filter(|_| error.is_none()) {
                    Some(node) => {
                        self.find_coordinator = None;
                        self.coordinator = Some(node);
                        self.last_heartbeat_response = ctx.now();
                        let broker = self.metadata.cluster.broker_at(node).map_or(0, |b| b.0);
                        ctx.trace(TraceEvent::CoordinatorFound { consumer: ctx.me(), broker });
                        self.resume_with_coordinator(ctx);
                    }
                    None => {
                        // No leader for the group's offsets partition yet: ask again after the backoff.
                        let retry = self.correlation_id();
                        self.find_coordinator = Some(retry);
                        ctx.set_timer(
                            RETRY_BACKOFF_MS,
                            Timer::Consumer(ConsumerTimer::FindCoordinatorRetry { correlation_id: retry }),
                        );
                    }
                }
            }
            Message::Disconnected { node } => {
                if self.metadata.on_disconnected(node) {
                    self.request_metadata(ctx);
                }
                if self.coordinator == Some(node) {
                    self.coordinator_lost(ctx, "the coordinator's connection dropped");
                }
                if self.fetches_in_flight.remove(&node).is_some() {
                    self.request_metadata(ctx);
                }
                if self.find_coordinator.is_some() {
                    self.find_coordinator = None;
                    self.find_coordinator(ctx);
                }
                let dropped: Vec<u64> =
                    self.position_requests.iter().filter(|(_, (n, _))| *n == node).map(|(id, _)| *id).collect();
                for id in dropped {
                    let (_, request) = self.position_requests.remove(&id).expect("listed");
                    self.position_request_failed(ctx, request);
                }
            }
            _ => {}
        }
    }

    /// An OffsetFetch (`None`) or a ListOffsets for `partitions` got no answer: ask again once
    /// the coordinator or the leaders are known again.
    fn position_request_failed(&mut self, ctx: &mut Ctx, partitions: Option<Vec<TopicPartition>>) {
        match partitions {
            None if self.coordinator.is_some() => self.fetch_committed(ctx),
            None => self.offset_fetch_lost = true,
            Some(partitions) => {
                self.pending_resets.extend(partitions);
                self.request_metadata(ctx);
            }
        }
    }

    /// The coordinator is known again: send what waited for it.
    fn resume_with_coordinator(&mut self, ctx: &mut Ctx) {
        match self.state {
            MemberState::Joining if self.join_request.is_none() => self.send_join(ctx),
            MemberState::Stable => {
                if std::mem::take(&mut self.offset_fetch_lost) {
                    self.fetch_committed(ctx);
                }
                if std::mem::take(&mut self.commit_lost) && self.awaiting_commit.is_some() {
                    self.awaiting_commit = self.commit(ctx);
                }
            }
            _ => {}
        }
    }

    fn seek(&mut self, tp: TopicPartition, offset: Offset) {
        if self.assignment.contains(&tp) {
            self.positions.insert(tp, offset);
            self.fetch_positions.insert(tp, offset);
            self.buffer.remove(&tp);
        }
    }

    /// `auto.offset.reset` for partitions with no usable offset: ask their leaders.
    fn reset_positions(&mut self, ctx: &mut Ctx, partitions: Vec<TopicPartition>) {
        let spec = match self.config.auto_offset_reset {
            AutoOffsetReset::Earliest => OffsetSpec::Earliest,
            AutoOffsetReset::Latest => OffsetSpec::Latest,
        };
        let mut per_leader: BTreeMap<NodeId, Vec<TopicPartition>> = BTreeMap::new();
        for tp in partitions {
            match self.metadata.cluster.leader_node(tp) {
                Some(leader) => per_leader.entry(leader).or_default().push(tp),
                None => {
                    self.pending_resets.insert(tp);
                }
            }
        }
        if !self.pending_resets.is_empty() {
            self.request_metadata(ctx);
        }
        for (leader, partitions) in per_leader {
            let correlation_id = self.correlation_id();
            self.position_requests.insert(correlation_id, (leader, Some(partitions.clone())));
            ctx.set_timer(REQUEST_TIMEOUT_MS, Timer::Consumer(ConsumerTimer::PositionTimeout { correlation_id }));
            ctx.send(leader, Message::ListOffsetsRequest { correlation_id, spec, partitions });
        }
    }

    fn on_assignment(&mut self, ctx: &mut Ctx, assignment: Vec<TopicPartition>) {
        self.state = MemberState::Stable;
        self.assignment = assignment;
        ctx.trace(TraceEvent::PartitionsAssigned {
            consumer: ctx.me(),
            generation_id: self.generation_id,
            partitions: self.assignment.clone(),
        });
        self.heartbeat_epoch += 1;
        self.last_heartbeat_response = ctx.now();
        let epoch = self.heartbeat_epoch;
        ctx.set_timer(self.config.heartbeat_interval_ms, Timer::Consumer(ConsumerTimer::Heartbeat { epoch }));
        self.fetch_committed(ctx);
    }

    /// Asks the coordinator for the committed offsets of the assigned partitions.
    fn fetch_committed(&mut self, ctx: &mut Ctx) {
        if self.assignment.is_empty() {
            return;
        }
        let Some(coordinator) = self.coordinator else {
            self.offset_fetch_lost = true;
            return;
        };
        let correlation_id = self.correlation_id();
        self.position_requests.insert(correlation_id, (coordinator, None));
        ctx.set_timer(REQUEST_TIMEOUT_MS, Timer::Consumer(ConsumerTimer::PositionTimeout { correlation_id }));
        ctx.send(
            coordinator,
            Message::OffsetFetchRequest {
                correlation_id,
                group_id: self.group_id.clone(),
                partitions: self.assignment.clone(),
            },
        );
    }

    /// The heartbeat thread saw a rebalance; the application thread rejoins at its next `poll()`
    /// (at once if it is waiting inside `poll()`).
    fn request_rejoin(&mut self, ctx: &mut Ctx, reason: &str) {
        if self.rejoin_reason.is_none() {
            ctx.trace(TraceEvent::RequestingRejoin { consumer: ctx.me(), reason: reason.to_string() });
            self.rejoin_reason = Some(reason.to_string());
        }
        if self.processing.is_empty() {
            self.poll(ctx);
        }
    }

    /// New data or positions: fetch more, and wake the application if it waits in `poll()`.
    fn after_progress(&mut self, ctx: &mut Ctx) {
        self.send_fetches(ctx);
        if self.processing.is_empty() {
            self.poll(ctx);
        }
    }

    fn auto_commit(&self) -> bool {
        self.commit_mode == CommitMode::Auto && self.config.enable_auto_commit
    }

    /// Tells the observer that the application finished the first `done` records of the batch
    /// being processed (all of them, or those done before a crash), partition by partition, and
    /// clears the batch.
    fn report_processed(&mut self, ctx: &mut Ctx, done: usize) {
        self.stats.records_processed += done as u64;
        for s in &self.segments {
            let n = s.len.min(done.saturating_sub(s.start));
            if n > 0 {
                ctx.processed(self.group, s.partition, s.base_offset, &self.processing[s.start..s.start + n]);
            }
        }
        self.processing.clear();
        self.segments.clear();
    }

    fn start_processing(&mut self, ctx: &mut Ctx) {
        self.processing_started = Some(ctx.now());
        let work = self.processing_ms_per_record.saturating_mul(self.processing.len() as u64);
        ctx.set_timer(work, Timer::Consumer(ConsumerTimer::ProcessingDone));
    }

    /// Commits the position of every assigned partition (all consumed offsets); returns the
    /// request's correlation id, or `None` if there was nothing to commit.
    fn commit(&mut self, ctx: &mut Ctx) -> Option<u64> {
        if self.positions.is_empty() {
            return None;
        }
        self.stats.commits += 1;
        let correlation_id = self.correlation_id();
        let Some(coordinator) = self.coordinator else {
            // No coordinator: commitSync() waits until one is found.
            self.commit_lost = true;
            return Some(correlation_id);
        };
        ctx.send(
            coordinator,
            Message::OffsetCommitRequest {
                correlation_id,
                group_id: self.group_id.clone(),
                generation_id: self.generation_id,
                member_id: self.member_id.clone(),
                offsets: self.positions.iter().map(|(tp, o)| (*tp, *o)).collect(),
            },
        );
        Some(correlation_id)
    }

    /// Whether the application is idle with nothing buffered or awaited.
    pub fn is_idle(&self) -> bool {
        self.processing.is_empty() && self.awaiting_commit.is_none() && self.buffer.values().all(|b| b.is_empty())
    }

    /// Whether the application is processing records right now.
    pub fn is_processing(&self) -> bool {
        self.processing_started.is_some()
    }

    /// The application's `poll()`: rejoin if a rebalance is pending (eager: commit, then revoke
    /// everything), auto-commit when due, then hand up to `max.poll.records` buffered records to
    /// the application, which processes them for `processing_ms_per_record` each.
    fn poll(&mut self, ctx: &mut Ctx) {
        if self.state != MemberState::Stable || self.awaiting_commit.is_some() || !self.processing.is_empty() {
            return;
        }
        if self.closing {
            return self.finish_close(ctx);
        }
        if self.rejoin_reason.take().is_some() {
            if self.auto_commit() {
                self.commit(ctx);
            }
            ctx.trace(TraceEvent::PartitionsRevoked { consumer: ctx.me(), partitions: self.assignment.clone() });
            self.assignment.clear();
            self.positions.clear();
            self.fetch_positions.clear();
            self.buffer.clear();
            self.position_requests.clear();
            self.send_join(ctx);
            return;
        }
        if self.auto_commit() && ctx.now() >= self.next_auto_commit {
            self.commit(ctx);
            self.next_auto_commit = ctx.now().plus_ms(self.config.auto_commit_interval_ms);
        }
        let mut budget = self.config.max_poll_records as usize;
        for (tp, buf) in self.buffer.iter_mut() {
            if budget == 0 {
                break;
            }
            let n = budget.min(buf.len());
            if n == 0 {
                continue;
            }
            let from = buf.records[buf.next].offset;
            self.segments.push(Segment { partition: *tp, base_offset: from, start: self.processing.len(), len: n });
            self.processing.extend_from_slice(&buf.records[buf.next..buf.next + n]);
            buf.next += n;
            let until = Offset(buf.records[buf.next - 1].offset.0 + 1);
            buf.first = until;
            self.positions.insert(*tp, until);
            budget -= n;
            ctx.trace(TraceEvent::Polled { consumer: ctx.me(), partition: *tp, from, until });
        }
        self.buffer.retain(|_, b| !b.is_empty());
        if self.processing.is_empty() {
            // Waiting inside poll(): an auto-commit still happens on time.
            if self.auto_commit() && !self.auto_commit_armed {
                self.auto_commit_armed = true;
                let after = self.next_auto_commit.0.saturating_sub(ctx.now().0);
                ctx.set_timer(after, Timer::Consumer(ConsumerTimer::AutoCommitDue));
            }
            return;
        }
        self.stats.records_polled += self.processing.len() as u64;
        if self.commit_mode == CommitMode::BeforeProcessing {
            self.awaiting_commit = self.commit(ctx);
        }
        if self.awaiting_commit.is_none() {
            self.start_processing(ctx);
        }
        self.send_fetches(ctx);
    }

    /// One FetchRequest per leader for the assigned partitions that have a position, nothing
    /// buffered, and no fetch already in flight to that leader.
    fn send_fetches(&mut self, ctx: &mut Ctx) {
        if self.state != MemberState::Stable {
            return;
        }
        // Few leaders: a small list in leader order is cheaper than a map.
        let mut per_leader: Vec<(NodeId, Vec<FetchPartition>)> = Vec::new();
        for tp in &self.assignment {
            let Some(&fetch_offset) = self.fetch_positions.get(tp) else { continue };
            if self.buffer.get(tp).is_some_and(|b| !b.is_empty()) {
                continue;
            }
            let Some(leader) = self.metadata.cluster.leader_node(*tp) else { continue };
            if self.fetches_in_flight.contains_key(&leader) {
                continue;
            }
            let fetch = FetchPartition {
                partition: *tp,
                fetch_offset,
                current_leader_epoch: self.metadata.cluster.leader_epoch(*tp),
                last_fetched_epoch: None,
            };
            match per_leader.iter_mut().find(|(l, _)| *l == leader) {
                Some((_, list)) => list.push(fetch),
                None => per_leader.push((leader, vec![fetch])),
            }
        }
        per_leader.sort_by_key(|(l, _)| *l);
        for (leader, partitions) in per_leader {
            let correlation_id = self.correlation_id();
            self.fetches_in_flight.insert(leader, correlation_id);
            ctx.set_timer(
                REQUEST_TIMEOUT_MS,
                Timer::Consumer(ConsumerTimer::FetchTimeout { node: leader, correlation_id }),
            );
            ctx.send(
                leader,
                Message::FetchRequest {
                    correlation_id,
                    replica_id: None,
                    max_wait_ms: self.config.fetch_max_wait_ms,
                    min_bytes: self.config.fetch_min_bytes,
                    max_partition_bytes: self.config.max_partition_fetch_bytes,
                    partitions,
                },
            );
        }
    }
}
