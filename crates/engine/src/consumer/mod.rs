//! The consumer client (classic group protocol, eager or cooperative rebalancing): group
//! membership (JoinGroup / SyncGroup / Heartbeat / LeaveGroup, static membership), positions and
//! commits (auto-commit from within `poll()`), the fetcher, `max.poll.interval.ms`, and the
//! application's poll-process loop with a processing time per record. It knows brokers only through protocol messages: it finds partition leaders with
//! `MetadataRequest`s and its group coordinator with `FindCoordinator`, and looks again when a
//! broker answers `NotLeaderOrFollower` / `NOT_COORDINATOR`, drops the connection, or stops
//! answering (the Java client's `AbstractCoordinator.markCoordinatorUnknown`).

pub mod assignors;
mod pipeline;
mod restore;

pub use pipeline::{Guarantee, Output, OUTPUT_CORRELATION_BASE};

use crate::config::{AutoOffsetReset, ConsumerConfig};
use crate::ids::{GroupId, NodeId, Offset, TopicId, TopicPartition};
use crate::node::{ClusterMetadata, Ctx, MetadataClient, MetadataTimer, Timer};
use crate::protocol::{FetchPartition, JoinGroupMember, KafkaError, Message, OffsetSpec, RebalanceTrigger, Record};
use crate::scenario::{ErrorsSpec, OnFailure};
use crate::sim::{SimTime, TraceEvent};
use assignors::{RebalanceProtocol, Strategy, Subscription};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

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
    /// `commitAsync()` after the records of a `poll()` are processed: the application polls
    /// again without waiting, and a failed commit only reaches its callback (it is not retried),
    /// so a rebalance or crash re-delivers more than with `commitSync()`: still at-least-once.
    AfterProcessingAsync,
}

impl CommitMode {
    /// The mode's name in reports: `auto`, `after_processing` or `before_processing`.
    pub fn name(self) -> &'static str {
        match self {
            CommitMode::Auto => "auto",
            CommitMode::AfterProcessing => "after_processing",
            CommitMode::BeforeProcessing => "before_processing",
            CommitMode::AfterProcessingAsync => "after_processing_async",
        }
    }
}

/// A consumer's membership state machine (the client side of the classic protocol, as Kafka's
/// `AbstractCoordinator.MemberState`, plus the two ways a process ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MemberState {
    /// Not in the group: its generation was reset (it left after `max.poll.interval.ms`).
    /// → Joining at the application's next `poll()`.
    Unjoined,
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
    /// An attempt to process a poison record failed (see `ErrorsSpec`).
    AttemptFailed,
    /// `max.poll.interval.ms` after a `poll()`: if the application has not polled since, the
    /// heartbeat thread leaves the group.
    PollTimeout,
    /// The application's stall (a `PauseConsumer`) is over.
    PauseOver,
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
    /// The oldest fetch in flight may have gone unanswered for `request.timeout.ms`. One
    /// check for all fetches, armed for the earliest deadline: a consumer fetches many times a
    /// second, and a timer per fetch would fill the scheduler with timers that never fire.
    FetchTimeoutCheck,
    /// An OffsetFetch or ListOffsets went unanswered for `request.timeout.ms`.
    PositionTimeout {
        correlation_id: u64,
    },
    /// A pipeline's application hands the outputs of the records processed so far to `send()`.
    EmitOutputs,
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
    /// Indexes into `records` of records that follow a stretch the consumer skipped
    /// (transaction markers, aborted records): a processed run must not span the stretch.
    breaks: Vec<usize>,
    /// The next fetch offset after the last fetch appended: past any markers or aborted
    /// records it ended with, where the position goes once the buffer is consumed.
    end: Offset,
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
    /// KIP-345 `group.instance.id`: a static member.
    pub group_instance_id: Option<String>,
    /// Eager or cooperative, from the assignors configured.
    pub protocol: RebalanceProtocol,
    /// A rebalance listener commits synchronously in `onPartitionsRevoked`.
    pub commit_on_revoke: bool,
    /// `assign()` instead of `subscribe()`: these partitions, no group membership (no
    /// JoinGroup, no heartbeats, no rebalance); commits go as a "simple consumer's".
    manual: Option<Vec<TopicPartition>>,
    /// The topics subscribed to by name, and the pattern subscribed to (`topics` is both,
    /// as of the last metadata).
    explicit_topics: Vec<String>,
    pattern: Option<regex_lite::Regex>,
    /// The leader's `assignmentSnapshot`: partitions per topic of the group's subscription
    /// when it computed the assignment (`None` for other members).
    assignment_snapshot: Option<BTreeMap<String, u32>>,
    /// A pattern member waits for a metadata response before it rejoins, and has it.
    awaiting_fresh_metadata: bool,
    fresh_for_join: bool,
    /// The assignor the group chose in the current generation.
    pub protocol_name: String,
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
    /// Partitions with buffered records, in the order their fetches completed: `poll()` drains
    /// them in this order, as the Java client's `FetchCollector` does.
    completed_fetches: VecDeque<TopicPartition>,
    /// When `poll()` was last called (`max.poll.interval.ms`), and whether a poll-timeout
    /// check is scheduled (one at a time, moved on when the application polled since).
    last_poll: SimTime,
    poll_timer_armed: bool,
    /// The application is stalled until then (a `PauseConsumer`), and the stall still to add
    /// to the batch being processed.
    paused_until: Option<SimTime>,
    stall_ms: u64,
    /// JoinGroup / SyncGroup responses that came while the application was busy: handled at
    /// its next `poll()`.
    deferred: Vec<Message>,
    /// Per leader node, the fetch in flight.
    fetches_in_flight: BTreeMap<NodeId, u64>,
    /// The fetches sent, oldest first, with when each times out; answered ones leave lazily.
    fetch_deadlines: VecDeque<(SimTime, NodeId, u64)>,
    /// When the fetch timeout check set last will fire.
    fetch_check_at: Option<SimTime>,
    /// Records of the `poll()` being processed, partition by partition (`segments`); empty when
    /// the application waits in `poll()`.
    processing: Vec<Record>,
    segments: Vec<Segment>,
    /// When processing began; `None` while a commit-before-processing is awaited.
    processing_started: Option<SimTime>,
    /// How the application handles records it fails to process; `None`: it never fails.
    pub errors: Option<ErrorsSpec>,
    /// For a batch holding poison records: when (ms after its start) each record is done, and
    /// the failed attempts still to come, in time order: (when, index in `processing`,
    /// attempt, first attempt's time).
    batch_finish_ms: Vec<u64>,
    attempts_due: VecDeque<(SimTime, usize, u32, SimTime)>,
    /// The `commitSync()` the application is blocked on.
    awaiting_commit: Option<u64>,
    /// `close()` was called during processing: it completes when the batch is done.
    closing: bool,
    auto_commit_armed: bool,
    rejoin_reason: Option<String>,
    /// What the next JoinGroup gives as its reason.
    rejoin_trigger: RebalanceTrigger,
    next_auto_commit: SimTime,
    heartbeat_epoch: u64,
    next_correlation_id: u64,
    /// The OffsetFetch / ListOffsets requests of the current assignment: where each went, and
    /// for a ListOffsets its partitions (asked again if the answer never comes).
    position_requests: BTreeMap<u64, (NodeId, Option<Vec<TopicPartition>>)>,
    /// ListOffsets requests that answer a `seek` (the rest answer `auto.offset.reset`).
    seek_requests: BTreeMap<u64, OffsetSpec>,
    pub stats: ConsumerStats,
    /// A consume-transform-produce pipeline's embedded producer.
    pub output: Option<Box<Output>>,
    /// The changelog topic of the application's window store, if it logs one: a task is
    /// restored from it before it is processed.
    pub changelog: Option<TopicId>,
    restoring: BTreeMap<TopicPartition, restore::Restoring>,
    /// Per leader node, the changelog fetch in flight.
    restore_fetches: BTreeMap<NodeId, u64>,
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
            config: config.clone(),
            processing_ms_per_record,
            commit_mode,
            group_instance_id: None,
            protocol: config.rebalance_protocol(),
            commit_on_revoke: false,
            manual: None,
            protocol_name: String::new(),
            metadata: MetadataClient::new(metadata, first, RETRY_BACKOFF_MS, REQUEST_TIMEOUT_MS)
                .with_max_age(config.metadata_max_age_ms),
            explicit_topics: vec![],
            pattern: None,
            assignment_snapshot: None,
            awaiting_fresh_metadata: false,
            fresh_for_join: false,
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
            completed_fetches: VecDeque::new(),
            poll_timer_armed: false,
            last_poll: SimTime::ZERO,
            paused_until: None,
            stall_ms: 0,
            deferred: vec![],
            fetches_in_flight: BTreeMap::new(),
            fetch_deadlines: VecDeque::new(),
            fetch_check_at: None,
            processing: vec![],
            segments: vec![],
            processing_started: None,
            errors: None,
            batch_finish_ms: vec![],
            attempts_due: VecDeque::new(),
            awaiting_commit: None,
            closing: false,
            auto_commit_armed: false,
            rejoin_reason: None,
            rejoin_trigger: RebalanceTrigger::MemberRejoined,
            next_auto_commit: SimTime::ZERO,
            heartbeat_epoch: 0,
            next_correlation_id: 0,
            position_requests: BTreeMap::new(),
            seek_requests: BTreeMap::new(),
            stats: ConsumerStats::default(),
            output: None,
            changelog: None,
            restoring: BTreeMap::new(),
            restore_fetches: BTreeMap::new(),
        }
    }

    /// False once it has crashed or closed.
    pub fn is_alive(&self) -> bool {
        !matches!(self.state, MemberState::Crashed | MemberState::Closed)
    }

    /// `subscribe()` then the first `poll()`: join the group.
    /// Subscribes to `pattern` (`subscribe(Pattern)`) as well as to the topics it was made with.
    /// An invalid pattern matches nothing (the scenario's validation refuses it first).
    pub fn subscribe_pattern(&mut self, pattern: &str) {
        self.pattern = crate::scenario::topic_regex(pattern).ok();
        self.explicit_topics = self.topics.clone();
        self.topics = self.subscription();
    }

    /// The explicit topics and those matching the pattern in the metadata, sorted.
    fn subscription(&self) -> Vec<String> {
        let mut topics = self.explicit_topics.clone();
        if let Some(re) = &self.pattern {
            for t in &self.metadata.cluster.topics {
                if !t.name.is_empty() && re.is_match(&t.name) && !topics.contains(&t.name) {
                    topics.push(t.name.clone());
                }
            }
        }
        topics.sort();
        topics
    }

    /// Partitions per topic of `topics` in the current metadata (0: unknown or deleted).
    fn metadata_snapshot<'a>(&self, topics: impl Iterator<Item = &'a String>) -> BTreeMap<String, u32> {
        let cluster = &self.metadata.cluster;
        topics.map(|t| (t.clone(), cluster.topic_id(t).map_or(0, |id| cluster.partitions(id)))).collect()
    }

    /// After a metadata update, as `ConsumerCoordinator.poll` and `rejoinNeededOrPending` do:
    /// a pattern subscription takes the topics that match now ("subscription has changed"),
    /// and the leader compares the group's topics with the snapshot it assigned from ("cached
    /// metadata has changed"). Either makes the member rejoin, which starts a rebalance.
    fn check_metadata(&mut self, ctx: &mut Ctx) {
        if !self.is_alive() || self.closing {
            return;
        }
        if self.pattern.is_some() {
            let now = self.subscription();
            if now != self.topics {
                let added = now.iter().any(|t| !self.topics.contains(t));
                let reason = format!("subscription has changed from {:?} to {:?}", self.topics, now);
                self.topics = now;
                if self.state == MemberState::Stable && self.rejoin_reason.is_none() {
                    self.rejoin_trigger =
                        if added { RebalanceTrigger::PatternMatched } else { RebalanceTrigger::TopicDeleted };
                    self.request_rejoin(ctx, &reason);
                }
                return;
            }
        }
        let Some(before) = &self.assignment_snapshot else { return };
        let now = self.metadata_snapshot(before.keys());
        if now == *before || self.state != MemberState::Stable || self.rejoin_reason.is_some() {
            return;
        }
        let changed = |f: fn(u32, u32) -> bool| before.iter().any(|(t, &b)| f(b, now[t]));
        self.rejoin_trigger = if changed(|b, n| b == 0 && n > 0) {
            RebalanceTrigger::TopicCreated
        } else if changed(|b, n| b > 0 && n == 0) {
            RebalanceTrigger::TopicDeleted
        } else {
            RebalanceTrigger::PartitionsAdded
        };
        let show = |m: &BTreeMap<String, u32>| m.iter().map(|(t, n)| format!("{t}={n}")).collect::<Vec<_>>().join(", ");
        let reason = format!(
            "cached metadata has changed from {{{}}} at the beginning of the rebalance to {{{}}}",
            show(before),
            show(&now)
        );
        self.request_rejoin(ctx, &reason);
    }

    /// `assign(partitions)`: the consumer reads exactly these, outside any group membership.
    pub fn assign_manually(&mut self, partitions: Vec<TopicPartition>) {
        self.manual = Some(partitions);
    }

    /// Whether it uses `assign()` rather than a group subscription.
    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
    }

    pub fn start(&mut self, ctx: &mut Ctx) {
        self.start_output(ctx);
        if let Some(partitions) = self.manual.clone() {
            ctx.trace(TraceEvent::ManuallyAssigned { consumer: ctx.me(), partitions: partitions.clone() });
            self.next_auto_commit = ctx.now().plus_ms(self.config.auto_commit_interval_ms);
            self.state = MemberState::Stable;
            self.assignment = partitions.clone();
            self.request_metadata(ctx);
            self.find_coordinator(ctx);
            return self.fetch_committed(ctx, partitions);
        }
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
            let done = if !self.batch_finish_ms.is_empty() {
                self.batch_finish_ms.partition_point(|&f| f <= elapsed)
            } else {
                match self.processing_ms_per_record {
                    0 => self.processing.len(),
                    per => ((elapsed / per) as usize).min(self.processing.len()),
                }
            };
            self.report_processed(ctx, done);
        }
        self.attempts_due.clear();
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
        // A static member stays in the group until its session expires (KIP-345).
        if self.group_instance_id.is_none() {
            self.send_leave(ctx, RebalanceTrigger::MemberLeft);
        }
        self.state = MemberState::Closed;
    }

    fn send_leave(&mut self, ctx: &mut Ctx, reason: RebalanceTrigger) {
        if let Some(coordinator) = self.coordinator.filter(|_| !self.member_id.is_empty()) {
            ctx.send(
                coordinator,
                Message::LeaveGroupRequest {
                    group_id: self.group_id.clone(),
                    member_id: self.member_id.clone(),
                    reason,
                },
            );
        }
    }

    /// The application stalls for `duration_ms` (a long GC pause, a slow downstream call): it
    /// neither polls nor commits, while the heartbeat thread goes on. A batch being processed
    /// finishes that much later.
    pub fn pause(&mut self, ctx: &mut Ctx, duration_ms: u64) {
        ctx.trace(TraceEvent::ConsumerPaused { consumer: ctx.me(), duration_ms });
        let until = ctx.now().plus_ms(duration_ms);
        if self.is_processing() {
            self.stall_ms += duration_ms;
            return;
        }
        if self.app_in_poll() {
            // It was inside poll() until now.
            self.last_poll = ctx.now();
            self.arm_poll_timeout(ctx);
        }
        if self.paused_until.is_none_or(|p| p < until) {
            self.paused_until = Some(until);
            ctx.set_timer(duration_ms, Timer::Consumer(ConsumerTimer::PauseOver));
        }
    }

    /// Whether the application is inside `poll()` (waiting for records), which keeps it
    /// within `max.poll.interval.ms`.
    fn app_in_poll(&self) -> bool {
        self.processing.is_empty()
            && self.awaiting_commit.is_none()
            && self.paused_until.is_none()
            && self.output.as_ref().is_none_or(|o| !o.committing())
    }

    /// Schedules the `max.poll.interval.ms` check of the last `poll()`, unless one is pending:
    /// a pending check that finds a later poll moves itself on (one timer, not one per poll).
    fn arm_poll_timeout(&mut self, ctx: &mut Ctx) {
        if self.poll_timer_armed {
            return;
        }
        self.poll_timer_armed = true;
        let due = self.last_poll.0 + self.config.max_poll_interval_ms + 1;
        ctx.set_timer(due.saturating_sub(ctx.now().0).max(1), Timer::Consumer(ConsumerTimer::PollTimeout));
    }

    /// The heartbeat thread finds the last `poll()` more than `max.poll.interval.ms` ago: it
    /// sends LeaveGroup (a static member does not) and resets the generation; the partitions
    /// are lost at the next `poll()`, and a commit before that fails (`maybeLeaveGroup`).
    fn poll_timeout_expired(&mut self, ctx: &mut Ctx) {
        ctx.trace(TraceEvent::PollTimeoutExpired {
            consumer: ctx.me(),
            max_poll_interval_ms: self.config.max_poll_interval_ms,
        });
        if self.group_instance_id.is_none() {
            self.send_leave(ctx, RebalanceTrigger::PollTimeout);
        }
        self.reset_generation();
        self.state = MemberState::Unjoined;
        self.rejoin_reason = None;
        self.heartbeat_epoch += 1;
    }

    /// `resetStateAndGeneration`: no generation, no member id.
    fn reset_generation(&mut self) {
        self.generation_id = 0;
        self.member_id.clear();
    }

    /// Whether it belongs to a generation (Kafka's `generation != NO_GENERATION`).
    fn has_generation(&self) -> bool {
        self.generation_id > 0 && !self.member_id.is_empty()
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
        let reason = if self.has_generation() {
            std::mem::replace(&mut self.rejoin_trigger, RebalanceTrigger::MemberRejoined)
        } else {
            RebalanceTrigger::MemberJoined
        };
        ctx.send(
            coordinator,
            Message::JoinGroupRequest {
                group_id: self.group_id.clone(),
                member_id: self.member_id.clone(),
                group_instance_id: self.group_instance_id.clone(),
                client_id: self.client_id.clone(),
                session_timeout_ms: self.config.session_timeout_ms,
                rebalance_timeout_ms: self.config.max_poll_interval_ms,
                protocols: self.config.partition_assignment_strategy.iter().map(|s| s.name().to_string()).collect(),
                topics: self.topics.clone(),
                owned_partitions: self.assignment.clone(),
                owned_generation: self.has_generation().then_some(self.generation_id),
                reason,
            },
        );
    }

    /// The leader's assignment for the generation: the chosen assignor over every member's
    /// subscription (`ConsumerCoordinator.onLeaderElected`).
    fn assign(&self, protocol_name: &str, members: Vec<JoinGroupMember>) -> Vec<(String, Vec<TopicPartition>)> {
        let cluster = &self.metadata.cluster;
        let strategy = Strategy::parse(protocol_name).unwrap_or(Strategy::Range);
        // A member may own partitions of a topic this leader's metadata does not know (yet).
        let name = |tp: &TopicPartition| {
            let t = cluster.topics.get(tp.topic.0 as usize).filter(|t| !t.name.is_empty())?;
            Some((t.name.clone(), tp.partition.0))
        };
        let subscriptions: BTreeMap<String, Subscription> = members
            .into_iter()
            .map(|m| {
                let sub = Subscription {
                    topics: m.topics,
                    owned_partitions: m.owned_partitions.iter().filter_map(name).collect(),
                    generation_id: m.generation_id.map(|g| g as i32),
                    group_instance_id: m.group_instance_id,
                };
                (m.member_id, sub)
            })
            .collect();
        let partitions: BTreeMap<String, u32> = cluster
            .topics
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.name.is_empty() && !t.leaders.is_empty())
            .map(|(i, t)| (t.name.clone(), cluster.partitions(TopicId(i as u32))))
            .collect();
        assignors::assign(strategy, &partitions, &subscriptions)
            .into_iter()
            .map(|(member, tps)| {
                let tps = tps
                    .into_iter()
                    .filter_map(|(t, p)| cluster.topic_id(&t).map(|id| TopicPartition::new(id, p)))
                    .collect();
                (member, tps)
            })
            .collect()
    }

    /// Handles one of its timers: a heartbeat (`heartbeat.interval.ms`), the end of processing a
    /// batch (`processing_ms_per_record` each), or an auto-commit falling due while it waits in `poll()`.
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: ConsumerTimer) {
        match timer {
            ConsumerTimer::Heartbeat { epoch } => {
                if epoch != self.heartbeat_epoch || self.state != MemberState::Stable {
                    return;
                }
                if !self.app_in_poll() && ctx.now().0 > self.last_poll.0 + self.config.max_poll_interval_ms {
                    return self.poll_timeout_expired(ctx);
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
                        group_instance_id: self.group_instance_id.clone(),
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
                    self.position_request_failed(ctx, correlation_id, request);
                }
            }
            ConsumerTimer::FetchTimeoutCheck => {
                if self.fetch_check_at == Some(ctx.now()) {
                    self.fetch_check_at = None;
                }
                let mut timed_out = false;
                while let Some(&(deadline, node, correlation_id)) = self.fetch_deadlines.front() {
                    if deadline > ctx.now() {
                        break;
                    }
                    self.fetch_deadlines.pop_front();
                    if self.fetches_in_flight.get(&node) == Some(&correlation_id) {
                        self.fetches_in_flight.remove(&node);
                        timed_out = true;
                    }
                    if self.restore_fetch_failed(node, Some(correlation_id)) {
                        timed_out = true;
                    }
                }
                if timed_out {
                    self.request_metadata(ctx);
                    self.send_fetches(ctx);
                }
                self.arm_fetch_check(ctx);
            }
            ConsumerTimer::PollTimeout => {
                self.poll_timer_armed = false;
                if self.app_in_poll() || !self.is_alive() {
                    // Inside poll(): the next poll() that returns records schedules the check.
                    return;
                }
                if ctx.now().0 <= self.last_poll.0 + self.config.max_poll_interval_ms {
                    // It polled since: check again an interval after that poll.
                    return self.arm_poll_timeout(ctx);
                }
                if self.manual.is_none() && matches!(self.state, MemberState::Stable | MemberState::AwaitingSync) {
                    self.poll_timeout_expired(ctx);
                }
            }
            ConsumerTimer::PauseOver => {
                if self.paused_until.is_some_and(|p| p <= ctx.now()) {
                    self.paused_until = None;
                    self.poll(ctx);
                }
            }
            ConsumerTimer::ProcessingDone => {
                if self.stall_ms > 0 {
                    // A stall during processing: the batch finishes that much later.
                    let stall = std::mem::take(&mut self.stall_ms);
                    ctx.set_timer(stall, Timer::Consumer(ConsumerTimer::ProcessingDone));
                    return;
                }
                // A last failed attempt due at the batch's end comes first.
                self.attempt_failed(ctx);
                self.batch_finish_ms.clear();
                self.processing_started = None;
                // Outputs, then the store's changelog writes, then the commit (or the
                // transaction's end) that covers both.
                self.emit_outputs(ctx, true);
                self.report_processed(ctx, self.processing.len());
                self.flush_store(ctx);
                let pipeline_commits = self.output_batch_done(ctx);
                if pipeline_commits {
                    return;
                }
                match self.commit_mode {
                    CommitMode::AfterProcessing => self.awaiting_commit = self.commit(ctx),
                    CommitMode::AfterProcessingAsync => {
                        self.commit(ctx);
                    }
                    _ => {}
                }
                if self.awaiting_commit.is_none() {
                    self.poll(ctx);
                }
            }
            ConsumerTimer::EmitOutputs => self.emit_outputs(ctx, false),
            ConsumerTimer::AttemptFailed => self.attempt_failed(ctx),
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
        if self.route_to_output(ctx, from, &msg) {
            return;
        }
        match msg {
            Message::JoinGroupResponse { .. } | Message::SyncGroupResponse { .. } if !self.app_in_poll() => {
                // The application thread completes a rebalance inside poll(), so a busy
                // application delays it.
                self.deferred.push(msg);
            }
            Message::JoinGroupResponse { error, generation_id, protocol_name, leader, member_id, members } => {
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
                    Some(KafkaError::FencedInstanceId) => self.fenced(ctx),
                    Some(_) => {
                        self.reset_generation();
                        self.send_join(ctx);
                    }
                    None => {
                        self.generation_id = generation_id;
                        self.member_id = member_id;
                        self.protocol_name = protocol_name.clone();
                        let is_leader = leader == self.member_id;
                        ctx.trace(TraceEvent::JoinedGroup {
                            consumer: ctx.me(),
                            generation_id,
                            member_id: self.member_id.clone(),
                            leader: is_leader,
                            protocol: protocol_name.clone(),
                        });
                        let assignments = if is_leader {
                            let group_topics: BTreeSet<String> =
                                members.iter().flat_map(|m| m.topics.clone()).collect();
                            self.assignment_snapshot = Some(self.metadata_snapshot(group_topics.iter()));
                            self.assign(&protocol_name, members)
                        } else {
                            self.assignment_snapshot = None;
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
                                group_instance_id: self.group_instance_id.clone(),
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
                    Some(KafkaError::FencedInstanceId) => self.fenced(ctx),
                    Some(_) => {
                        self.reset_generation();
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
                    Some(KafkaError::FencedInstanceId) => self.fenced(ctx),
                    Some(e) => {
                        // UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION: out of the group; the partitions
                        // are lost at the next poll() (`resetGenerationOnResponseError`).
                        ctx.trace(TraceEvent::RequestingRejoin {
                            consumer: ctx.me(),
                            reason: format!("encountered {} from heartbeat", e.exception_name()),
                        });
                        self.reset_generation();
                        self.state = MemberState::Unjoined;
                        self.heartbeat_epoch += 1;
                        if self.app_in_poll() {
                            self.poll(ctx);
                        }
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
                let seek = self.seek_requests.remove(&correlation_id);
                let mut retry = false;
                for (tp, offset) in offsets {
                    let Ok(offset) = offset else {
                        self.pending_resets.insert(tp);
                        retry = true;
                        continue;
                    };
                    if seek.is_some() {
                        ctx.trace(TraceEvent::ResettingOffset {
                            consumer: ctx.me(),
                            partition: tp,
                            offset,
                            strategy: "seek",
                        });
                        self.seek_forward_or_back(ctx, tp, offset);
                        continue;
                    }
                    ctx.trace(TraceEvent::ResettingOffset {
                        consumer: ctx.me(),
                        partition: tp,
                        offset,
                        strategy: self.config.auto_offset_reset.name(),
                    });
                    if self.config.auto_offset_reset == AutoOffsetReset::Latest {
                        ctx.skipped(self.group, tp, Offset(0), offset);
                    }
                    self.seek(tp, offset);
                }
                if retry {
                    self.request_metadata(ctx);
                }
                self.after_progress(ctx);
            }
            Message::FetchResponse { correlation_id, partitions } if self.is_restore_fetch(from, correlation_id) => {
                self.on_restore_fetch(ctx, from, partitions);
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
                    let (records, skipped) = Self::without_skipped(p.records, &p.aborted);
                    let buf = self.buffer.entry(p.partition).or_default();
                    if buf.is_empty() {
                        if !records.is_empty() {
                            self.completed_fetches.push_back(p.partition);
                        }
                        *buf = Buffered { first: p.base_offset, records: vec![], next: 0, breaks: vec![], end: next };
                    }
                    buf.end = next;
                    let at = buf.records.len();
                    for &(from, to, index) in &skipped {
                        buf.breaks.push(at + index);
                        ctx.skipped(self.group, p.partition, from, to);
                    }
                    buf.records.extend(records);
                    if buf.is_empty() && next > buf.first {
                        // Only markers or aborted records: the position moves past them.
                        buf.first = next;
                        if self.positions.get(&p.partition).is_some_and(|o| *o < next) {
                            self.positions.insert(p.partition, next);
                        }
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
                let failed = error.is_some();
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
                    Some(KafkaError::FencedInstanceId) => return self.fenced(ctx),
                    Some(KafkaError::UnknownMemberId | KafkaError::IllegalGeneration) => {
                        ctx.trace(TraceEvent::CommitFailed { consumer: ctx.me(), error: "CommitFailedException" });
                        if self.state == MemberState::Stable {
                            self.reset_generation();
                            self.state = MemberState::Unjoined;
                            self.heartbeat_epoch += 1;
                        }
                    }
                    Some(
                        KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable | KafkaError::RequestTimedOut,
                    ) => {
                        // commitAsync(): the callback gets a retriable error; nothing is retried.
                        ctx.trace(TraceEvent::CommitFailed {
                            consumer: ctx.me(),
                            error: "RetriableCommitFailedException",
                        });
                        self.coordinator_lost(ctx, "NOT_COORDINATOR from OffsetCommit");
                    }
                    Some(e) => ctx.trace(TraceEvent::CommitFailed { consumer: ctx.me(), error: e.exception_name() }),
                }
                if self.awaiting_commit == Some(correlation_id) {
                    // The application's commitSync() returned, or threw: this application logs
                    // the exception and carries on, except that at-most-once does not process
                    // a batch it could not commit.
                    self.awaiting_commit = None;
                    if failed && self.commit_mode == CommitMode::BeforeProcessing && self.processing_started.is_none() {
                        return self.discard_batch(ctx);
                    }
                    if !self.processing.is_empty() && self.processing_started.is_none() {
                        self.start_processing(ctx);
                    } else {
                        self.poll(ctx);
                    }
                }
            }
            Message::MetadataResponse { correlation_id, topics, partitions, .. } => {
                if !self.metadata.on_response(correlation_id, &topics, &partitions) {
                    return;
                }
                self.check_metadata(ctx);
                if std::mem::take(&mut self.awaiting_fresh_metadata) {
                    self.fresh_for_join = true;
                    self.poll(ctx);
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
                let restore_lost = self.restore_fetch_failed(node, None);
                if self.fetches_in_flight.remove(&node).is_some() || restore_lost {
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
                    self.position_request_failed(ctx, id, request);
                }
            }
            _ => {}
        }
    }

    /// An OffsetFetch (`None`) or a ListOffsets for `partitions` got no answer: ask again once
    /// the coordinator or the leaders are known again.
    fn position_request_failed(&mut self, ctx: &mut Ctx, id: u64, partitions: Option<Vec<TopicPartition>>) {
        if let (Some(spec), Some(partitions)) = (self.seek_requests.remove(&id), partitions.clone()) {
            // A seek is retried until a leader answers, as the client's lazy reset is.
            self.request_metadata(ctx);
            return self.list_offsets(ctx, partitions, spec, true);
        }
        match partitions {
            None if self.coordinator.is_some() => self.fetch_committed(ctx, self.unpositioned()),
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
                    self.fetch_committed(ctx, self.unpositioned());
                }
                if std::mem::take(&mut self.commit_lost) && self.awaiting_commit.is_some() {
                    self.awaiting_commit = self.commit(ctx);
                }
            }
            _ => {}
        }
    }

    /// Assigned partitions without a position yet.
    fn unpositioned(&self) -> Vec<TopicPartition> {
        self.assignment.iter().copied().filter(|tp| !self.positions.contains_key(tp)).collect()
    }

    fn seek(&mut self, tp: TopicPartition, offset: Offset) {
        if self.assignment.contains(&tp) {
            self.positions.insert(tp, offset);
            self.fetch_positions.insert(tp, offset);
            self.buffer.remove(&tp);
        }
    }

    /// The application seeks every partition it owns (`seekToBeginning`, `seekToEnd`, `seek`,
    /// or `offsetsForTimes` then `seek`). Buffered records of them are dropped.
    pub fn seek_all(&mut self, ctx: &mut Ctx, to: crate::command::SeekTo) {
        use crate::command::SeekTo;
        let partitions = self.assignment.clone();
        if partitions.is_empty() {
            return;
        }
        ctx.trace(TraceEvent::Seeking { consumer: ctx.me(), partitions: partitions.clone(), to: to.label() });
        let spec = match to {
            SeekTo::Offset(o) => {
                for tp in partitions {
                    self.seek_forward_or_back(ctx, tp, Offset(o));
                }
                return self.after_progress(ctx);
            }
            SeekTo::Beginning => OffsetSpec::Earliest,
            SeekTo::End => OffsetSpec::Latest,
            SeekTo::Timestamp(t) => OffsetSpec::Timestamp(t),
        };
        self.list_offsets(ctx, partitions, spec, true);
    }

    /// Moves `tp` to `offset`; what lies between its position and a later offset is skipped.
    fn seek_forward_or_back(&mut self, ctx: &mut Ctx, tp: TopicPartition, offset: Offset) {
        if let Some(&from) = self.positions.get(&tp) {
            ctx.skipped(self.group, tp, from, offset);
        }
        self.seek(tp, offset);
    }

    /// `auto.offset.reset` for partitions with no usable offset: ask their leaders.
    fn reset_positions(&mut self, ctx: &mut Ctx, partitions: Vec<TopicPartition>) {
        if partitions.is_empty() {
            return;
        }
        let spec = match self.config.auto_offset_reset {
            AutoOffsetReset::Earliest => OffsetSpec::Earliest,
            AutoOffsetReset::Latest => OffsetSpec::Latest,
            AutoOffsetReset::None => {
                // poll() throws NoOffsetForPartitionException; this application does not
                // catch it, so it closes the consumer and stops.
                ctx.trace(TraceEvent::NoOffsetForPartition { consumer: ctx.me(), partitions });
                self.closing = true;
                if self.app_in_poll() {
                    self.finish_close(ctx);
                }
                return;
            }
        };
        self.list_offsets(ctx, partitions, spec, false);
    }

    /// ListOffsets of `partitions` to their leaders; a partition with no known leader waits
    /// for fresh metadata (`auto.offset.reset` only).
    fn list_offsets(&mut self, ctx: &mut Ctx, partitions: Vec<TopicPartition>, spec: OffsetSpec, seek: bool) {
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
            if seek {
                self.seek_requests.insert(correlation_id, spec);
            }
            ctx.set_timer(REQUEST_TIMEOUT_MS, Timer::Consumer(ConsumerTimer::PositionTimeout { correlation_id }));
            ctx.send(leader, Message::ListOffsetsRequest { correlation_id, spec, partitions });
        }
    }

    /// SyncGroup gave the assignment (`ConsumerCoordinator.onJoinComplete`). Eager: everything
    /// was revoked before, so all of it is new. Cooperative (KIP-429): partitions kept go on
    /// where they were, partitions no longer assigned are revoked now and the member rejoins
    /// so that the next round can give them to their new owner.
    fn on_assignment(&mut self, ctx: &mut Ctx, assignment: Vec<TopicPartition>) {
        self.state = MemberState::Stable;
        let owned: BTreeSet<TopicPartition> = self.assignment.iter().copied().collect();
        let assigned: BTreeSet<TopicPartition> = assignment.iter().copied().collect();
        let revoked: Vec<TopicPartition> = owned.difference(&assigned).copied().collect();
        let added: Vec<TopicPartition> = assigned.difference(&owned).copied().collect();
        if !revoked.is_empty() {
            self.commit_on_revoke(ctx, &revoked);
            ctx.trace(TraceEvent::PartitionsRevoked { consumer: ctx.me(), partitions: revoked.clone() });
            self.drop_partitions(&revoked);
        }
        self.assignment = assignment;
        ctx.trace(TraceEvent::PartitionsAssigned {
            consumer: ctx.me(),
            generation_id: self.generation_id,
            partitions: self.assignment.clone(),
            added: added.clone(),
        });
        self.heartbeat_epoch += 1;
        self.last_heartbeat_response = ctx.now();
        let epoch = self.heartbeat_epoch;
        ctx.set_timer(self.config.heartbeat_interval_ms, Timer::Consumer(ConsumerTimer::Heartbeat { epoch }));
        if !revoked.is_empty() {
            let reason = format!(
                "need to revoke partitions {} as indicated by the current assignment and re-join",
                revoked.len()
            );
            ctx.trace(TraceEvent::RequestingRejoin { consumer: ctx.me(), reason: reason.clone() });
            self.rejoin_reason = Some(reason);
            self.rejoin_trigger = RebalanceTrigger::CooperativeRejoin;
        }
        self.start_tasks(ctx, added);
    }

    /// Forgets partitions the consumer no longer owns: positions, buffered records, requests.
    fn drop_partitions(&mut self, partitions: &[TopicPartition]) {
        for tp in partitions {
            self.positions.remove(tp);
            self.fetch_positions.remove(tp);
            self.buffer.remove(tp);
            self.pending_resets.remove(tp);
        }
        self.completed_fetches.retain(|tp| !partitions.contains(tp));
        self.assignment.retain(|tp| !partitions.contains(tp));
        self.drop_restores(partitions);
    }

    /// `FencedInstanceIdException`: another instance took this member's `group.instance.id`.
    /// Fatal: the application stops without leaving the group.
    fn fenced(&mut self, ctx: &mut Ctx) {
        ctx.trace(TraceEvent::ConsumerFenced { consumer: ctx.me() });
        self.state = MemberState::Closed;
    }

    /// Asks the coordinator for the committed offsets of `partitions`.
    fn fetch_committed(&mut self, ctx: &mut Ctx, partitions: Vec<TopicPartition>) {
        if partitions.is_empty() {
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
            Message::OffsetFetchRequest { correlation_id, group_id: self.group_id.clone(), partitions },
        );
    }

    /// The heartbeat thread saw a rebalance; the application thread rejoins at its next `poll()`
    /// (at once if it is waiting inside `poll()`).
    fn request_rejoin(&mut self, ctx: &mut Ctx, reason: &str) {
        if self.rejoin_reason.is_none() {
            ctx.trace(TraceEvent::RequestingRejoin { consumer: ctx.me(), reason: reason.to_string() });
            self.rejoin_reason = Some(reason.to_string());
        }
        self.poll(ctx);
    }

    /// New data or positions: fetch more, and wake the application if it waits in `poll()`.
    fn after_progress(&mut self, ctx: &mut Ctx) {
        self.send_fetches(ctx);
        self.poll(ctx);
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
        if done > 0 {
            ctx.trigger_done(self.group);
        }
        self.processing.clear();
        self.segments.clear();
    }

    fn start_processing(&mut self, ctx: &mut Ctx) {
        self.processing_started = Some(ctx.now());
        self.output_batch_started(ctx);
        let per = self.processing_ms_per_record;
        self.batch_finish_ms.clear();
        self.attempts_due.clear();
        if let Some(e) = self.errors.filter(|e| self.processing.iter().any(|r| e.is_poison(r.record_id.seq()))) {
            // Each attempt at a poison record takes a record's time, and the backoff comes
            // between attempts; the records after it wait.
            let start = ctx.now();
            let mut t = 0;
            for (i, r) in self.processing.iter().enumerate() {
                t += per;
                if e.is_poison(r.record_id.seq()) {
                    let first = start.plus_ms(t);
                    for attempt in 1..=e.max_attempts {
                        self.attempts_due.push_back((start.plus_ms(t), i, attempt, first));
                        if attempt < e.max_attempts {
                            t += e.backoff_ms(attempt) + per;
                        }
                    }
                    if e.on_failure == OnFailure::Fail {
                        // Nothing after it is processed: the batch ends with the failure.
                        self.batch_finish_ms.push(u64::MAX);
                        self.batch_finish_ms.resize(self.processing.len(), u64::MAX);
                        break;
                    }
                }
                self.batch_finish_ms.push(t);
            }
            let (first_due, ..) = self.attempts_due[0];
            ctx.set_timer(first_due.0 - start.0, Timer::Consumer(ConsumerTimer::AttemptFailed));
            if e.on_failure == OnFailure::Fail && self.batch_finish_ms.contains(&u64::MAX) {
                return;
            }
            ctx.set_timer(t, Timer::Consumer(ConsumerTimer::ProcessingDone));
            return;
        }
        let work = per.saturating_mul(self.processing.len() as u64);
        ctx.set_timer(work, Timer::Consumer(ConsumerTimer::ProcessingDone));
    }

    /// The failed attempts due now: each is traced; a record out of attempts goes to the
    /// dead-letter queue, or fails the application.
    fn attempt_failed(&mut self, ctx: &mut Ctx) {
        let Some(e) = self.errors else { return };
        while let Some(&(at, i, attempt, first)) = self.attempts_due.front() {
            if at > ctx.now() {
                ctx.set_timer(at.0 - ctx.now().0, Timer::Consumer(ConsumerTimer::AttemptFailed));
                return;
            }
            self.attempts_due.pop_front();
            let Some(seg) = self.segments.iter().find(|s| i >= s.start && i < s.start + s.len) else { continue };
            let (partition, offset) = (seg.partition, Offset(seg.base_offset.0 + (i - seg.start) as u64));
            let retry_in_ms = (attempt < e.max_attempts).then(|| e.backoff_ms(attempt));
            ctx.trace(TraceEvent::ProcessingFailed { consumer: ctx.me(), partition, offset, attempt, retry_in_ms });
            if retry_in_ms.is_some() {
                continue;
            }
            match e.on_failure {
                OnFailure::DeadLetter => {
                    ctx.trace(TraceEvent::RecordDeadLettered {
                        consumer: ctx.me(),
                        partition,
                        offset,
                        attempts: attempt,
                    });
                    let record = self.processing[i];
                    ctx.dead_lettered(self.group, partition, offset, &record, attempt, first.0);
                }
                OnFailure::Fail => {
                    ctx.trace(TraceEvent::ApplicationFailed { consumer: ctx.me(), partition, offset });
                    // What came before it was processed; nothing is committed, and the
                    // member leaves: its partitions go to others, who meet the same record.
                    self.report_processed(ctx, i);
                    self.processing_started = None;
                    self.attempts_due.clear();
                    self.batch_finish_ms.clear();
                    self.fail(ctx);
                    return;
                }
            }
        }
    }

    /// The stream thread died: its consumer closes without committing and leaves the group.
    fn fail(&mut self, ctx: &mut Ctx) {
        ctx.trace(TraceEvent::ConsumerClosing { consumer: ctx.me() });
        if self.group_instance_id.is_none() {
            self.send_leave(ctx, RebalanceTrigger::MemberLeft);
        }
        self.state = MemberState::Closed;
    }

    /// Commits the position of every assigned partition (all consumed offsets); returns the
    /// request's correlation id, or `None` if there was nothing to commit.
    fn commit(&mut self, ctx: &mut Ctx) -> Option<u64> {
        if self.positions.is_empty() {
            return None;
        }
        // `sendOffsetCommitRequest` fails at once, without a request, outside a stable generation
        // (a manually assigned consumer commits with none, as a simple consumer).
        if self.manual.is_none() && (!self.has_generation() || self.state == MemberState::Unjoined) {
            ctx.trace(TraceEvent::CommitFailed { consumer: ctx.me(), error: "CommitFailedException" });
            return None;
        }
        if self.state != MemberState::Stable {
            ctx.trace(TraceEvent::CommitFailed { consumer: ctx.me(), error: "RebalanceInProgressException" });
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
                group_instance_id: self.group_instance_id.clone(),
                offsets: self.positions.iter().map(|(tp, o)| (*tp, *o)).collect(),
            },
        );
        Some(correlation_id)
    }

    /// The rebalance listener's `onPartitionsRevoked` with `commit_on_revoke`: `commitSync()`
    /// of the positions of what it processed, before giving the partitions up (auto-commit
    /// already commits in `onJoinPrepare`).
    fn commit_on_revoke(&mut self, ctx: &mut Ctx, partitions: &[TopicPartition]) {
        if !self.commit_on_revoke || self.auto_commit() || self.commit_mode == CommitMode::BeforeProcessing {
            return;
        }
        ctx.trace(TraceEvent::CommitOnRevoke { consumer: ctx.me(), partitions: partitions.to_vec() });
        self.commit(ctx);
    }

    /// Whether the application is idle with nothing buffered or awaited.
    pub fn is_idle(&self) -> bool {
        self.processing.is_empty()
            && self.awaiting_commit.is_none()
            && self.buffer.values().all(|b| b.is_empty())
            && self.output.as_ref().is_none_or(|o| o.is_idle())
            && self.restoring.is_empty()
    }

    /// Whether the application is stalled at `now` (a `PauseConsumer`).
    pub fn is_paused(&self, now: SimTime) -> bool {
        self.is_alive() && (self.paused_until.is_some_and(|p| p > now) || self.stall_ms > 0)
    }

    /// The partitions per topic the leader assigned from in the current generation (its
    /// `assignmentSnapshot`); `None` for other members.
    pub fn assignment_snapshot(&self) -> Option<&BTreeMap<String, u32>> {
        self.assignment_snapshot.as_ref()
    }

    /// Whether it still has a rebalance to finish: a rejoin requested, or a JoinGroup or
    /// SyncGroup response waiting for the application's next `poll()`.
    pub fn rebalance_pending(&self) -> bool {
        self.rejoin_reason.is_some() || !self.deferred.is_empty()
    }

    /// Whether the application is processing records right now.
    pub fn is_processing(&self) -> bool {
        self.processing_started.is_some()
    }

    /// `onJoinPrepare`, before a JoinGroup: with auto-commit on, commit; then, if the generation
    /// was reset, the partitions are lost (no commit, `onPartitionsLost`); otherwise the eager
    /// protocol revokes everything and the cooperative one nothing yet.
    fn join_prepare(&mut self, ctx: &mut Ctx) {
        self.rejoin_reason = None;
        if self.auto_commit() {
            self.commit(ctx);
        }
        if self.assignment.is_empty() {
            return;
        }
        let all = self.assignment.clone();
        if !self.has_generation() {
            ctx.trace(TraceEvent::PartitionsLost { consumer: ctx.me(), partitions: all.clone() });
        } else if self.protocol == RebalanceProtocol::Eager {
            self.commit_on_revoke(ctx, &all);
            ctx.trace(TraceEvent::PartitionsRevoked { consumer: ctx.me(), partitions: all.clone() });
        } else {
            return;
        }
        self.drop_partitions(&all);
        self.position_requests.clear();
        self.seek_requests.clear();
    }

    /// The application's `poll()`: finish a rebalance whose responses came while it was busy,
    /// rejoin if one is pending (see [`Consumer::join_prepare`]), auto-commit when due, then hand
    /// up to `max.poll.records` buffered records to the application, in the order their fetches
    /// completed; it processes them for `processing_ms_per_record` each.
    fn poll(&mut self, ctx: &mut Ctx) {
        if !self.is_alive() || !self.app_in_poll() {
            return;
        }
        self.last_poll = ctx.now();
        for msg in std::mem::take(&mut self.deferred) {
            let from = self.coordinator.unwrap_or(NodeId(0));
            self.on_message(ctx, from, msg);
            if !self.is_alive() || !self.app_in_poll() {
                return;
            }
        }
        if self.closing {
            return self.finish_close(ctx);
        }
        let rejoin = match self.state {
            MemberState::Unjoined => true,
            MemberState::Stable => self.rejoin_reason.is_some(),
            _ => false,
        };
        if rejoin && self.pattern.is_some() && !self.fresh_for_join {
            // A pattern subscription joins with fresh metadata (`ensureFreshMetadata`), so that
            // every member rejoins with the topics that match now.
            if !self.awaiting_fresh_metadata {
                self.awaiting_fresh_metadata = true;
                self.request_metadata(ctx);
            }
        } else if rejoin {
            self.fresh_for_join = false;
            self.join_prepare(ctx);
            self.send_join(ctx);
        }
        if self.assignment.is_empty() {
            return;
        }
        if self.state == MemberState::Stable && self.auto_commit() && ctx.now() >= self.next_auto_commit {
            self.commit(ctx);
            self.next_auto_commit = ctx.now().plus_ms(self.config.auto_commit_interval_ms);
        }
        let mut budget = self.config.max_poll_records as usize;
        while budget > 0 {
            let Some(&tp) = self.completed_fetches.front() else { break };
            let Some(buf) = self.buffer.get_mut(&tp).filter(|b| !b.is_empty()) else {
                self.completed_fetches.pop_front();
                continue;
            };
            let n = budget.min(buf.len());
            let from = buf.records[buf.next].offset;
            let end = buf.next + n;
            let mut s = buf.next;
            while s < end {
                // A processed run stops where the consumer skipped markers or aborted records.
                let e = buf.breaks.iter().copied().filter(|&b| b > s && b < end).min().unwrap_or(end);
                let start = self.processing.len() + (s - buf.next);
                self.segments.push(Segment { partition: tp, base_offset: buf.records[s].offset, start, len: e - s });
                s = e;
            }
            self.processing.extend_from_slice(&buf.records[buf.next..end]);
            buf.next += n;
            let mut until = Offset(buf.records[buf.next - 1].offset.0 + 1);
            if buf.is_empty() {
                until = until.max(buf.end);
            }
            buf.first = until;
            if buf.is_empty() {
                self.completed_fetches.pop_front();
            }
            self.positions.insert(tp, until);
            budget -= n;
            ctx.trace(TraceEvent::Polled { consumer: ctx.me(), partition: tp, from, until });
        }
        self.buffer.retain(|_, b| !b.is_empty());
        if self.processing.is_empty() {
            // Waiting inside poll(): an auto-commit still happens on time.
            if self.state == MemberState::Stable && self.auto_commit() && !self.auto_commit_armed {
                self.auto_commit_armed = true;
                let after = self.next_auto_commit.0.saturating_sub(ctx.now().0);
                ctx.set_timer(after, Timer::Consumer(ConsumerTimer::AutoCommitDue));
            }
            return;
        }
        self.stats.records_polled += self.processing.len() as u64;
        self.arm_poll_timeout(ctx);
        if self.commit_mode == CommitMode::BeforeProcessing {
            self.awaiting_commit = self.commit(ctx);
            if self.awaiting_commit.is_none() {
                // commitSync() threw: at-most-once does not process what it could not commit.
                return self.discard_batch(ctx);
            }
        }
        if self.awaiting_commit.is_none() {
            self.start_processing(ctx);
        }
        self.send_fetches(ctx);
    }

    /// Drops the batch handed to the application unprocessed, and polls again.
    fn discard_batch(&mut self, ctx: &mut Ctx) {
        self.processing.clear();
        self.segments.clear();
        self.send_fetches(ctx);
        self.poll(ctx);
    }

    /// Drops what the application never sees: transaction markers, and with `read_committed`
    /// the records in `aborted` ranges (Kafka's `CompletedFetch.nextFetchedRecord`). Returns
    /// the records kept and each skipped stretch `(from, to, index of the next kept record)`.
    fn without_skipped(
        records: Vec<Record>,
        aborted: &[(Offset, Offset)],
    ) -> (Vec<Record>, Vec<(Offset, Offset, usize)>) {
        let hidden =
            |r: &Record| r.record_id.is_control() || aborted.iter().any(|(f, l)| *f <= r.offset && r.offset <= *l);
        if !records.iter().any(hidden) {
            return (records, vec![]);
        }
        let mut kept = Vec::with_capacity(records.len());
        let mut skipped: Vec<(Offset, Offset, usize)> = vec![];
        for r in records {
            if hidden(&r) {
                match skipped.last_mut() {
                    Some(s) if s.1 == r.offset && s.2 == kept.len() => s.1 = Offset(r.offset.0 + 1),
                    _ => skipped.push((r.offset, Offset(r.offset.0 + 1), kept.len())),
                }
            } else {
                kept.push(r);
            }
        }
        (kept, skipped)
    }

    /// Arms the fetch timeout check for the oldest fetch still in flight (answered ones leave
    /// the front of the list first), unless one is armed for that time or earlier.
    fn arm_fetch_check(&mut self, ctx: &mut Ctx) {
        while let Some(&(_, node, id)) = self.fetch_deadlines.front() {
            if self.fetches_in_flight.get(&node) == Some(&id) || self.is_restore_fetch(node, id) {
                break;
            }
            self.fetch_deadlines.pop_front();
        }
        let Some(&(deadline, _, _)) = self.fetch_deadlines.front() else { return };
        if self.fetch_check_at.is_some_and(|at| at <= deadline && at >= ctx.now()) {
            return;
        }
        self.fetch_check_at = Some(deadline);
        ctx.set_timer(deadline.0.saturating_sub(ctx.now().0), Timer::Consumer(ConsumerTimer::FetchTimeoutCheck));
    }

    /// One FetchRequest per leader for the assigned partitions that have a position, nothing
    /// buffered, and no fetch already in flight to that leader.
    fn send_fetches(&mut self, ctx: &mut Ctx) {
        self.send_restore_fetches(ctx);
        if !self.is_alive() || self.assignment.is_empty() {
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
            self.add_fetch(&mut per_leader, leader, *tp, fetch_offset);
        }
        let (max_wait_ms, min_bytes) = (self.config.fetch_max_wait_ms, self.config.fetch_min_bytes);
        self.send_fetch_requests(ctx, per_leader, false, max_wait_ms, min_bytes, self.config.isolation_level);
    }

    /// Adds a fetch of `tp` from `offset` to its leader's list (few leaders: a small list in
    /// order of first use is cheaper than a map).
    fn add_fetch(
        &self,
        per_leader: &mut Vec<(NodeId, Vec<FetchPartition>)>,
        leader: NodeId,
        tp: TopicPartition,
        offset: Offset,
    ) {
        let fetch = FetchPartition {
            partition: tp,
            fetch_offset: offset,
            current_leader_epoch: self.metadata.cluster.leader_epoch(tp),
            last_fetched_epoch: None,
        };
        match per_leader.iter_mut().find(|(l, _)| *l == leader) {
            Some((_, list)) => list.push(fetch),
            None => per_leader.push((leader, vec![fetch])),
        }
    }

    /// One FetchRequest per leader, in leader order, each remembered as in flight there (the
    /// application's fetches, or a store's restore fetches) with its timeout.
    fn send_fetch_requests(
        &mut self,
        ctx: &mut Ctx,
        mut per_leader: Vec<(NodeId, Vec<FetchPartition>)>,
        restore: bool,
        max_wait_ms: u64,
        min_bytes: u32,
        isolation_level: crate::protocol::IsolationLevel,
    ) {
        per_leader.sort_by_key(|(l, _)| *l);
        for (leader, partitions) in per_leader {
            let correlation_id = self.correlation_id();
            let in_flight = if restore { &mut self.restore_fetches } else { &mut self.fetches_in_flight };
            in_flight.insert(leader, correlation_id);
            self.fetch_deadlines.push_back((ctx.now().plus_ms(REQUEST_TIMEOUT_MS), leader, correlation_id));
            ctx.send(
                leader,
                Message::FetchRequest {
                    correlation_id,
                    replica_id: None,
                    max_wait_ms,
                    min_bytes,
                    max_partition_bytes: self.config.max_partition_fetch_bytes,
                    isolation_level,
                    partitions,
                },
            );
        }
        self.arm_fetch_check(ctx);
    }
}
