use super::SimTime;
use crate::catalog::Catalog;
use crate::ids::{GroupId, NodeId, Offset, TopicId, TopicPartition};
use crate::protocol::RebalanceTrigger;
use serde::Serialize;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

/// The trace hash: a fixed, non-randomised 64-bit hash that folds a word at a time (FxHash's
/// rotate-xor-multiply step) and finishes with MurmurHash3's `fmix64`. It hashes the events'
/// fields through `#[derive(Hash)]`, never formatted text, so hashing costs a few nanoseconds an
/// event. Integers are widened to 64 bits (`usize` too), so a 32-bit wasm build and a 64-bit
/// native build feed it the same words.
#[derive(Debug, Clone, Copy)]
pub struct TraceHasher(u64);

/// FNV-1a's 64-bit offset basis, a customary non-zero start.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher(FNV_OFFSET)
    }
}

impl TraceHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for TraceHasher {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.mix(i as u64)
    }
    fn write_u16(&mut self, i: u16) {
        self.mix(i as u64)
    }
    fn write_u32(&mut self, i: u32) {
        self.mix(i as u64)
    }
    fn write_u64(&mut self, i: u64) {
        self.mix(i)
    }
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64)
    }
    fn write_i32(&mut self, i: i32) {
        self.mix(i as i64 as u64)
    }
    fn write_i64(&mut self, i: i64) {
        self.mix(i as u64)
    }
    fn write_isize(&mut self, i: isize) {
        self.mix(i as i64 as u64)
    }
}

/// Whether a trace line is shown by default (`Info`) or only on request (`Debug`), as in Kafka's
/// log4j levels. Both count towards the trace hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Level {
    Info,
    Debug,
}

/// Something that happened, typed. Events carry ids (nodes, topics, partitions, groups); their
/// names are looked up in the [`Catalog`] by [`TraceEvent::line`]. Member ids stay text: Kafka
/// makes them (`client.id` plus a UUID), and they come once a rebalance, not once a batch.
#[derive(Debug, Clone, PartialEq, Hash, Serialize)]
#[serde(tag = "type")]
pub enum TraceEvent {
    /// A broker came up and now leads these partitions.
    BrokerStarted { broker: u32, leader_for: Vec<TopicPartition> },
    /// A batch from producer node `producer` was appended to a partition leader's log.
    Appended { broker: u32, partition: TopicPartition, base_offset: Offset, records: u32, producer: NodeId },
    /// KIP-394: a member joined with an empty member id and was told to rejoin with this one.
    MemberIdRequired { broker: u32, group: GroupId, member_id: String, state: &'static str },
    /// The group coordinator started a rebalance.
    PreparingRebalance {
        broker: u32,
        group: GroupId,
        state: &'static str,
        generation_id: u32,
        trigger: RebalanceTrigger,
        reason: String,
    },
    /// All members joined: a new generation, with the assignor (`protocol`) it uses.
    GroupStabilized { broker: u32, group: GroupId, generation_id: u32, members: usize, protocol: String },
    /// The leader's SyncGroup carried the assignment.
    AssignmentReceived {
        broker: u32,
        group: GroupId,
        leader: String,
        generation_id: u32,
        members: usize,
        static_members: usize,
    },
    /// A member's session timed out: no heartbeat within `session.timeout.ms`.
    MemberSessionExpired { broker: u32, group: GroupId, member_id: String, session_timeout_ms: u64 },
    /// A member sent LeaveGroup.
    MemberLeft { broker: u32, group: GroupId, member_id: String, trigger: RebalanceTrigger },
    /// The last member left: the group is Empty.
    GroupEmpty { broker: u32, group: GroupId, generation_id: u32 },
    /// A consumer started (the application called `subscribe` then `poll`).
    ConsumerStarted { consumer: NodeId, topics: Vec<TopicId> },
    /// A consumer's JoinGroup completed.
    JoinedGroup { consumer: NodeId, generation_id: u32, member_id: String, leader: bool, protocol: String },
    /// A rebalance began on the consumer side: it must rejoin (eager protocol: it gives up all partitions).
    RequestingRejoin { consumer: NodeId, reason: String },
    /// Eager protocol: the consumer gives up every partition before rejoining.
    PartitionsRevoked { consumer: NodeId, partitions: Vec<TopicPartition> },
    /// SyncGroup gave the consumer its partitions.
    PartitionsAssigned {
        consumer: NodeId,
        generation_id: u32,
        partitions: Vec<TopicPartition>,
        added: Vec<TopicPartition>,
    },
    /// The consumer resumes a partition at its committed offset.
    SettingOffset { consumer: NodeId, partition: TopicPartition, offset: Offset },
    /// No committed offset: `auto.offset.reset` decided where to start.
    ResettingOffset { consumer: NodeId, partition: TopicPartition, offset: Offset, strategy: &'static str },
    /// `poll()` returned records of one partition to the application.
    Polled { consumer: NodeId, partition: TopicPartition, from: Offset, until: Offset },
    /// The group coordinator stored committed offsets.
    OffsetsCommitted { consumer: NodeId, offsets: Vec<(TopicPartition, Offset)> },
    /// An OffsetCommit failed with this exception (for instance `RebalanceInProgressException`).
    CommitFailed { consumer: NodeId, error: &'static str },
    /// The consumer's process died without a word: no LeaveGroup, no more heartbeats.
    ConsumerCrashed { consumer: NodeId },
    /// The application called `close()`: the consumer leaves the group.
    ConsumerClosing { consumer: NodeId },
    /// The broker's process stopped (`power_loss`: the machine lost power).
    BrokerStopped { broker: u32, power_loss: bool },
    /// The broker's process started again and registered with the controller.
    BrokerRestarted { broker: u32 },
    /// The controller fenced a broker that stopped heartbeating (`broker.session.timeout.ms`).
    BrokerFenced { broker: u32 },
    /// The controller unfenced a broker that registered or heartbeated again.
    BrokerUnfenced { broker: u32 },
    /// The controller changed a partition's leader: `clean` (from the ISR), `unclean`, `preferred`, or `offline` (no leader).
    LeaderElected {
        partition: TopicPartition,
        old_leader: Option<u32>,
        leader: Option<u32>,
        leader_epoch: u32,
        how: &'static str,
    },
    /// A broker started leading a partition.
    BecameLeader {
        broker: u32,
        partition: TopicPartition,
        leader_epoch: u32,
        log_end_offset: Offset,
        high_watermark: Offset,
    },
    /// A broker stopped leading a partition.
    BecameFollower { broker: u32, partition: TopicPartition, leader: Option<u32>, leader_epoch: u32 },
    /// The controller committed a leader's AlterPartition.
    IsrChanged { partition: TopicPartition, leader_epoch: u32, old_isr: Vec<u32>, new_isr: Vec<u32> },
    /// A leader asks to drop followers that did not catch up within `replica.lag.time.max.ms`.
    IsrShrinking { broker: u32, partition: TopicPartition, out_of_sync: Vec<u32>, replica_lag_time_max_ms: u64 },
    /// The controller refused a leader's ISR change.
    AlterPartitionFailed { broker: u32, partition: TopicPartition, error: &'static str },
    /// A follower truncated the entries that diverged from its leader's log (KIP-101 / KIP-279).
    Truncated { broker: u32, partition: TopicPartition, from: Offset, to: Offset, leader_epoch: u32 },
    /// Power loss: the unflushed tail of a log is gone.
    UnflushedLost { broker: u32, partition: TopicPartition, records: u64, log_end_offset: Offset },
    /// An `acks=all` produce was refused: the ISR is smaller than `min.insync.replicas`.
    NotEnoughReplicas { broker: u32, partition: TopicPartition, isr: u32, min_insync_replicas: u32 },
    /// A follower's fetch got no answer within `replica.socket.timeout.ms`.
    FetcherTimedOut { broker: u32, leader: u32 },
    /// Retention deleted segments or the cleaner compacted a log.
    LogCleaned {
        broker: u32,
        partition: TopicPartition,
        segments_deleted: u32,
        records_cleaned: u64,
        log_start_offset: Offset,
    },
    /// A broker became a group's coordinator and loaded its offsets from `__consumer_offsets`.
    CoordinatorLoaded { broker: u32, group: GroupId },
    /// A produce request's batch failed; the producer retries it or gives it up.
    /// `retry_backoff_ms`: the batch is sent again after this backoff; `None`: the send failed.
    ProduceFailed {
        producer: NodeId,
        partition: TopicPartition,
        error: &'static str,
        records: u32,
        retry_backoff_ms: Option<u64>,
    },
    /// A consumer found its group's coordinator (FindCoordinator).
    CoordinatorFound { consumer: NodeId, broker: u32 },
    /// A consumer marked its coordinator unknown (`NOT_COORDINATOR`, a dropped connection or a timeout).
    CoordinatorLost { consumer: NodeId, reason: &'static str },
    /// Acknowledged records are gone from the partition's log: its new leader never had them.
    AcknowledgedLost { partition: TopicPartition, records: u64, leader: Option<u32> },
    /// A scheduled fault could not be applied (the broker was already down, ...).
    FaultRefused { reason: String },
    /// A node was cut off from some (`peers`) or all (0) other nodes.
    NetworkPartitioned { node: NodeId, peers: u32 },
    /// Every cut link of a node was healed.
    NetworkHealed { node: NodeId },
    /// The link between two nodes got `extra_ms` more latency (0: back to normal).
    LinkSlowed { node: NodeId, peer: NodeId, extra_ms: u64 },
    /// KIP-345: a static member rejoined without its member id (a restart) and took over the
    /// entry of its `group.instance.id`; the old member id is fenced.
    StaticMemberReplaced {
        broker: u32,
        group: GroupId,
        group_instance_id: String,
        old_member_id: String,
        new_member_id: String,
        state: &'static str,
    },
    /// The coordinator gave up a group (its offsets partition moved): the group is Dead there.
    GroupUnloaded { broker: u32, group: GroupId, state: &'static str },
    /// The application did not call `poll()` within `max.poll.interval.ms`: the heartbeat
    /// thread leaves the group.
    PollTimeoutExpired { consumer: NodeId, max_poll_interval_ms: u64 },
    /// The consumer gave up partitions it no longer owns without committing
    /// (`onPartitionsLost`): its generation was reset.
    PartitionsLost { consumer: NodeId, partitions: Vec<TopicPartition> },
    /// The application stalled (a long GC pause, a slow call) and calls nothing for this long.
    ConsumerPaused { consumer: NodeId, duration_ms: u64 },
    /// A fatal error stopped the consumer (`FencedInstanceIdException`).
    ConsumerFenced { consumer: NodeId },
    /// `auto.offset.reset=none` and no committed offset: `poll()` threw
    /// `NoOffsetForPartitionException`, and the application closed the consumer.
    NoOffsetForPartition { consumer: NodeId, partitions: Vec<TopicPartition> },
    /// `CreatePartitions`: `topic` grew from `from` to `to` partitions.
    PartitionsCreated { topic: TopicId, from: u32, to: u32 },
    /// `CreateTopics`: a new topic.
    TopicCreated { topic: TopicId, partitions: u32, replication_factor: u32 },
    /// `DeleteTopics`: the topic and its logs are gone.
    TopicDeleted { topic: TopicId },
    /// A rebalance listener's `onPartitionsRevoked` commits before the partitions go.
    CommitOnRevoke { consumer: NodeId, partitions: Vec<TopicPartition> },
    /// The application called `seek` on these partitions (`beginning`, `end`, an offset or a
    /// timestamp).
    Seeking { consumer: NodeId, partitions: Vec<TopicPartition>, to: String },
    /// `assign()`: the consumer reads these partitions outside any group membership.
    ManuallyAssigned { consumer: NodeId, partitions: Vec<TopicPartition> },
    /// An idempotent producer got its producer id and epoch (InitProducerId).
    ProducerIdAssigned { producer: NodeId, producer_id: u64, producer_epoch: u16 },
    /// A leader did not append a batch it already had from that producer (a retry whose first
    /// send was appended, its response lost) and answered with the batch's first offset.
    DuplicateBatch { broker: u32, partition: TopicPartition, producer_id: u64, base_sequence: u32, base_offset: Offset },
    /// A link fault dropped a message.
    MessageDropped { from: NodeId, to: NodeId, message: &'static str },
    /// A link fault delivered a message twice.
    MessageDuplicated { from: NodeId, to: NodeId, message: &'static str },
    /// A link fault was set (all rates 0 and no delay: removed). Rates in parts per million.
    LinkFaultSet {
        from: crate::faults::Nodes,
        to: crate::faults::Nodes,
        message: Option<&'static str>,
        drop_ppm: u32,
        duplicate_ppm: u32,
        delay_ms: u64,
        count: Option<u32>,
    },
    /// A producer config was changed to keep the others consistent, as the Java client does
    /// and logs (an implicit `enable.idempotence=true` turned off by `acks=1`, ...).
    ProducerConfigAdjusted { producer: NodeId, message: &'static str },
    /// `send()` blocked on a full `buffer.memory` for `max.block.ms` and threw.
    SendFailed { producer: NodeId, records: u32, max_block_ms: u64 },
    /// A transaction coordinator gave a `transactional.id` its producer id and epoch (an epoch
    /// above the last fences every older instance).
    TransactionalIdInitialized { broker: u32, transactional_id: String, producer_id: u64, producer_epoch: u16 },
    /// A coordinator moved a transaction to PrepareCommit or PrepareAbort: the markers go out.
    TransactionEnding {
        broker: u32,
        transactional_id: String,
        producer_id: u64,
        producer_epoch: u16,
        commit: bool,
        partitions: Vec<TopicPartition>,
    },
    /// Every marker of a transaction is written: CompleteCommit or CompleteAbort.
    TransactionCompleted { broker: u32, transactional_id: String, producer_id: u64, committed: bool },
    /// A transaction stayed open past `transaction.timeout.ms`: its coordinator aborts it.
    TransactionTimedOut { broker: u32, transactional_id: String },
    /// A partition leader appended a transaction marker (a control record).
    MarkerWritten { broker: u32, partition: TopicPartition, producer_id: u64, commit: bool, offset: Offset },
    /// `commitTransaction()` or `abortTransaction()` returned.
    TransactionFinished { producer: NodeId, transactional_id: String, committed: bool, records: u64 },
    /// A newer instance with the same `transactional.id` fenced this producer: it stops.
    ProducerFenced { producer: NodeId, transactional_id: String, error: &'static str },
    /// A producer's process crashed and a new instance started.
    ProducerCrashed { producer: NodeId },
    /// The application failed to process a record; `retry_in_ms`: when it tries again (`None`:
    /// it gives up).
    ProcessingFailed {
        consumer: NodeId,
        partition: TopicPartition,
        offset: Offset,
        attempt: u32,
        retry_in_ms: Option<u64>,
    },
    /// A record whose every attempt failed went to the dead-letter queue.
    RecordDeadLettered { consumer: NodeId, partition: TopicPartition, offset: Offset, attempts: u32 },
    /// A record whose every attempt failed failed the application: the member stops and leaves.
    ApplicationFailed { consumer: NodeId, partition: TopicPartition, offset: Offset },
    /// The member got a task (an input partition) whose window store it must restore from
    /// `changelog` before it processes.
    StoreRestoreStarted { consumer: NodeId, partition: TopicPartition, changelog: TopicPartition },
    /// The task's store is restored: `records` changelog records read in `duration_ms`.
    StoreRestored { consumer: NodeId, partition: TopicPartition, records: u64, duration_ms: u64 },
}

impl TraceEvent {
    /// Every event kind's name in snake case (`consumer_crashed`), in [`TraceEvent::kind_index`]
    /// order: the names exercise goals use (`{"happened": "consumer_crashed"}`) and the report
    /// counts under `events`.
    pub const KINDS: [&'static str; 78] = [
        "broker_started",
        "appended",
        "member_id_required",
        "preparing_rebalance",
        "group_stabilized",
        "assignment_received",
        "member_session_expired",
        "member_left",
        "group_empty",
        "consumer_started",
        "joined_group",
        "requesting_rejoin",
        "partitions_revoked",
        "partitions_assigned",
        "setting_offset",
        "resetting_offset",
        "polled",
        "offsets_committed",
        "commit_failed",
        "consumer_crashed",
        "consumer_closing",
        "broker_stopped",
        "broker_restarted",
        "broker_fenced",
        "broker_unfenced",
        "leader_elected",
        "became_leader",
        "became_follower",
        "isr_changed",
        "isr_shrinking",
        "alter_partition_failed",
        "truncated",
        "unflushed_lost",
        "not_enough_replicas",
        "fetcher_timed_out",
        "log_cleaned",
        "coordinator_loaded",
        "produce_failed",
        "coordinator_found",
        "coordinator_lost",
        "acknowledged_lost",
        "fault_refused",
        "network_partitioned",
        "network_healed",
        "link_slowed",
        "static_member_replaced",
        "group_unloaded",
        "poll_timeout_expired",
        "partitions_lost",
        "consumer_paused",
        "consumer_fenced",
        "no_offset_for_partition",
        "partitions_created",
        "topic_created",
        "topic_deleted",
        "commit_on_revoke",
        "seeking",
        "manually_assigned",
        "producer_id_assigned",
        "duplicate_batch",
        "message_dropped",
        "message_duplicated",
        "link_fault_set",
        "producer_config_adjusted",
        "send_failed",
        "transactional_id_initialized",
        "transaction_ending",
        "transaction_completed",
        "transaction_timed_out",
        "marker_written",
        "transaction_finished",
        "producer_fenced",
        "producer_crashed",
        "processing_failed",
        "record_dead_lettered",
        "application_failed",
        "store_restore_started",
        "store_restored",
    ];

    /// The position of the event's kind in [`TraceEvent::KINDS`].
    pub fn kind_index(&self) -> usize {
        match self {
            TraceEvent::BrokerStarted { .. } => 0,
            TraceEvent::Appended { .. } => 1,
            TraceEvent::MemberIdRequired { .. } => 2,
            TraceEvent::PreparingRebalance { .. } => 3,
            TraceEvent::GroupStabilized { .. } => 4,
            TraceEvent::AssignmentReceived { .. } => 5,
            TraceEvent::MemberSessionExpired { .. } => 6,
            TraceEvent::MemberLeft { .. } => 7,
            TraceEvent::GroupEmpty { .. } => 8,
            TraceEvent::ConsumerStarted { .. } => 9,
            TraceEvent::JoinedGroup { .. } => 10,
            TraceEvent::RequestingRejoin { .. } => 11,
            TraceEvent::PartitionsRevoked { .. } => 12,
            TraceEvent::PartitionsAssigned { .. } => 13,
            TraceEvent::SettingOffset { .. } => 14,
            TraceEvent::ResettingOffset { .. } => 15,
            TraceEvent::Polled { .. } => 16,
            TraceEvent::OffsetsCommitted { .. } => 17,
            TraceEvent::CommitFailed { .. } => 18,
            TraceEvent::ConsumerCrashed { .. } => 19,
            TraceEvent::ConsumerClosing { .. } => 20,
            TraceEvent::BrokerStopped { .. } => 21,
            TraceEvent::BrokerRestarted { .. } => 22,
            TraceEvent::BrokerFenced { .. } => 23,
            TraceEvent::BrokerUnfenced { .. } => 24,
            TraceEvent::LeaderElected { .. } => 25,
            TraceEvent::BecameLeader { .. } => 26,
            TraceEvent::BecameFollower { .. } => 27,
            TraceEvent::IsrChanged { .. } => 28,
            TraceEvent::IsrShrinking { .. } => 29,
            TraceEvent::AlterPartitionFailed { .. } => 30,
            TraceEvent::Truncated { .. } => 31,
            TraceEvent::UnflushedLost { .. } => 32,
            TraceEvent::NotEnoughReplicas { .. } => 33,
            TraceEvent::FetcherTimedOut { .. } => 34,
            TraceEvent::LogCleaned { .. } => 35,
            TraceEvent::CoordinatorLoaded { .. } => 36,
            TraceEvent::ProduceFailed { .. } => 37,
            TraceEvent::CoordinatorFound { .. } => 38,
            TraceEvent::CoordinatorLost { .. } => 39,
            TraceEvent::AcknowledgedLost { .. } => 40,
            TraceEvent::FaultRefused { .. } => 41,
            TraceEvent::NetworkPartitioned { .. } => 42,
            TraceEvent::NetworkHealed { .. } => 43,
            TraceEvent::LinkSlowed { .. } => 44,
            TraceEvent::StaticMemberReplaced { .. } => 45,
            TraceEvent::GroupUnloaded { .. } => 46,
            TraceEvent::PollTimeoutExpired { .. } => 47,
            TraceEvent::PartitionsLost { .. } => 48,
            TraceEvent::ConsumerPaused { .. } => 49,
            TraceEvent::ConsumerFenced { .. } => 50,
            TraceEvent::NoOffsetForPartition { .. } => 51,
            TraceEvent::PartitionsCreated { .. } => 52,
            TraceEvent::TopicCreated { .. } => 53,
            TraceEvent::TopicDeleted { .. } => 54,
            TraceEvent::CommitOnRevoke { .. } => 55,
            TraceEvent::Seeking { .. } => 56,
            TraceEvent::ManuallyAssigned { .. } => 57,
            TraceEvent::ProducerIdAssigned { .. } => 58,
            TraceEvent::DuplicateBatch { .. } => 59,
            TraceEvent::MessageDropped { .. } => 60,
            TraceEvent::MessageDuplicated { .. } => 61,
            TraceEvent::LinkFaultSet { .. } => 62,
            TraceEvent::ProducerConfigAdjusted { .. } => 63,
            TraceEvent::SendFailed { .. } => 64,
            TraceEvent::TransactionalIdInitialized { .. } => 65,
            TraceEvent::TransactionEnding { .. } => 66,
            TraceEvent::TransactionCompleted { .. } => 67,
            TraceEvent::TransactionTimedOut { .. } => 68,
            TraceEvent::MarkerWritten { .. } => 69,
            TraceEvent::TransactionFinished { .. } => 70,
            TraceEvent::ProducerFenced { .. } => 71,
            TraceEvent::ProducerCrashed { .. } => 72,
            TraceEvent::ProcessingFailed { .. } => 73,
            TraceEvent::RecordDeadLettered { .. } => 74,
            TraceEvent::ApplicationFailed { .. } => 75,
            TraceEvent::StoreRestoreStarted { .. } => 76,
            TraceEvent::StoreRestored { .. } => 77,
        }
    }

    /// The event's kind in snake case, as listed in [`TraceEvent::KINDS`].
    pub fn kind(&self) -> &'static str {
        Self::KINDS[self.kind_index()]
    }

    /// Info for what Kafka logs at INFO (joins, rebalances, crashes); Debug for the per-batch
    /// detail (appends, polls, commits), which the UI's event log leaves out.
    pub fn level(&self) -> Level {
        match self {
            TraceEvent::Appended { .. }
            | TraceEvent::Polled { .. }
            | TraceEvent::OffsetsCommitted { .. }
            | TraceEvent::CoordinatorLoaded { .. }
            | TraceEvent::CoordinatorFound { .. } => Level::Debug,
            _ => Level::Info,
        }
    }

    /// The event as one log line, in the wording of Kafka's own logs.
    pub fn line(&self, names: &Catalog) -> String {
        let list = |ps: &[TopicPartition]| ps.iter().map(|p| names.partition_name(*p)).collect::<Vec<_>>().join(", ");
        let tp = |p: &TopicPartition| names.partition_name(*p);
        let client = |c: &NodeId| {
            let group = names.node_group(*c).map_or("?", |g| names.group_name(g));
            format!("[Consumer clientId={}, groupId={group}]", names.node_name(*c))
        };
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = match self {
            TraceEvent::BrokerStarted { broker, leader_for } => {
                write!(s, "[KafkaServer id={broker}] started; leader for [{}]", list(leader_for))
            }
            TraceEvent::Appended { broker, partition, base_offset, records, producer } => write!(
                s,
                "[Partition {} broker={broker}] Appended {records} record(s) from {} at offsets {base_offset}..{}",
                tp(partition),
                names.node_name(*producer),
                base_offset.0 + *records as u64 - 1
            ),
            TraceEvent::MemberIdRequired { broker, group, member_id, state } => write!(
                s,
                "[GroupCoordinator {broker}] Dynamic member with unknown member id joins group {} in {state} state. Created a new member id {member_id} and request the member to rejoin with this id.",
                names.group_name(*group)
            ),
            TraceEvent::PreparingRebalance { broker, group, state, generation_id, reason, .. } => write!(
                s,
                "[GroupCoordinator {broker}] Preparing to rebalance group {} in state PreparingRebalance with old generation {generation_id} (previous state {state}) (reason: {reason})",
                names.group_name(*group)
            ),
            TraceEvent::GroupStabilized { broker, group, generation_id, members, protocol } => write!(
                s,
                "[GroupCoordinator {broker}] Stabilized group {} generation {generation_id} with {members} members (protocol {protocol})",
                names.group_name(*group)
            ),
            TraceEvent::AssignmentReceived { broker, group, leader, generation_id, members, static_members } => write!(
                s,
                "[GroupCoordinator {broker}] Assignment received from leader {leader} for group {} for generation {generation_id}. The group has {members} members, {static_members} of which are static.",
                names.group_name(*group)
            ),
            TraceEvent::MemberSessionExpired { broker, group, member_id, session_timeout_ms } => write!(
                s,
                "[GroupCoordinator {broker}] Member {member_id} in group {} has failed, removing it from the group (session timeout {session_timeout_ms} ms expired)",
                names.group_name(*group)
            ),
            TraceEvent::MemberLeft { broker, group, member_id, .. } => write!(
                s,
                "[GroupCoordinator {broker}] Member {member_id} has left group {} through explicit `LeaveGroup` request",
                names.group_name(*group)
            ),
            TraceEvent::GroupEmpty { broker, group, generation_id } => write!(
                s,
                "[GroupCoordinator {broker}] Group {} with generation {generation_id} is now empty",
                names.group_name(*group)
            ),
            TraceEvent::ConsumerStarted { consumer, topics } => {
                let topics: Vec<&str> = topics.iter().map(|t| names.topic_name(*t)).collect();
                write!(s, "{} Subscribed to topic(s): {}", client(consumer), topics.join(", "))
            }
            TraceEvent::JoinedGroup { consumer, generation_id, member_id, leader, protocol } => write!(
                s,
                "{} Successfully joined group with generation Generation{{generationId={generation_id}, memberId='{member_id}', protocol='{protocol}'}}{}",
                client(consumer),
                if *leader { " as leader" } else { "" }
            ),
            TraceEvent::RequestingRejoin { consumer, reason } => {
                write!(s, "{} Request joining group due to: {reason}", client(consumer))
            }
            TraceEvent::PartitionsRevoked { consumer, partitions } => {
                write!(s, "{} Revoke previously assigned partitions {}", client(consumer), list(partitions))
            }
            TraceEvent::PartitionsAssigned { consumer, generation_id, partitions, added } => write!(
                s,
                "{} Adding newly assigned partitions: {} (generation {generation_id}; now owns {})",
                client(consumer),
                list(added),
                list(partitions)
            ),
            TraceEvent::SettingOffset { consumer, partition, offset } => write!(
                s,
                "{} Setting offset for partition {} to the committed offset FetchPosition{{offset={offset}}}",
                client(consumer),
                tp(partition)
            ),
            TraceEvent::ResettingOffset { consumer, partition, offset, strategy } => write!(
                s,
                "{} Resetting offset for partition {} to position FetchPosition{{offset={offset}}} ({})",
                client(consumer),
                tp(partition),
                if *strategy == "seek" { "seek".to_string() } else { format!("auto.offset.reset={strategy}") }
            ),
            TraceEvent::Polled { consumer, partition, from, until } => write!(
                s,
                "[Consumer clientId={}] poll() returned {} record(s) of {} at offsets {from}..{}",
                names.node_name(*consumer),
                until.0 - from.0,
                tp(partition),
                until.0.saturating_sub(1)
            ),
            TraceEvent::OffsetsCommitted { consumer, offsets } => {
                let parts: Vec<String> = offsets.iter().map(|(p, o)| format!("{}={o}", tp(p))).collect();
                write!(s, "{} Committed offsets {}", client(consumer), parts.join(", "))
            }
            TraceEvent::CommitFailed { consumer, error } => {
                write!(s, "{} Offset commit failed: {error}", client(consumer))
            }
            TraceEvent::ConsumerCrashed { consumer } => {
                write!(s, "{} process crashed: no LeaveGroup is sent, heartbeats stop", client(consumer))
            }
            TraceEvent::ConsumerClosing { consumer } => write!(
                s,
                "{} Member sending LeaveGroup request to coordinator due to the consumer is being closed",
                client(consumer)
            ),
            TraceEvent::BrokerStopped { broker, power_loss } => write!(
                s,
                "[KafkaServer id={broker}] {}",
                if *power_loss { "machine lost power: the unflushed tail of every log is gone" } else { "process crashed (kill -9): its logs stay on disk" }
            ),
            TraceEvent::BrokerRestarted { broker } => {
                write!(s, "[KafkaServer id={broker}] started again; recovering logs and registering with the controller")
            }
            TraceEvent::BrokerFenced { broker } => write!(
                s,
                "[QuorumController] Fencing broker {broker} because its session has timed out (no heartbeat within broker.session.timeout.ms)"
            ),
            TraceEvent::BrokerUnfenced { broker } => write!(s, "[QuorumController] Unfenced broker {broker}"),
            TraceEvent::LeaderElected { partition, old_leader, leader, leader_epoch, how } => {
                let name = |b: &Option<u32>| b.map_or("none".to_string(), |b| b.to_string());
                match how {
                    &"offline" => write!(
                        s,
                        "[QuorumController] Partition {} is offline: leader {} is gone and no in-sync replica is alive",
                        tp(partition),
                        name(old_leader)
                    ),
                    _ => write!(
                        s,
                        "[QuorumController] Partition {}: {how} leader election, leader {} -> {} (leader epoch {leader_epoch})",
                        tp(partition),
                        name(old_leader),
                        name(leader)
                    ),
                }
            }
            TraceEvent::BecameLeader { broker, partition, leader_epoch, log_end_offset, high_watermark } => write!(
                s,
                "[Partition {} broker={broker}] Leader {} starts at leader epoch {leader_epoch} from offset {log_end_offset} with high watermark {high_watermark}",
                tp(partition),
                broker
            ),
            TraceEvent::BecameFollower { broker, partition, leader, leader_epoch } => write!(
                s,
                "[Partition {} broker={broker}] Follower of leader {} at leader epoch {leader_epoch}",
                tp(partition),
                leader.map_or("none".to_string(), |b| b.to_string())
            ),
            TraceEvent::IsrChanged { partition, leader_epoch, old_isr, new_isr } => write!(
                s,
                "[QuorumController] ISR of {} changed from {old_isr:?} to {new_isr:?} (leader epoch {leader_epoch})",
                tp(partition)
            ),
            TraceEvent::IsrShrinking { broker, partition, out_of_sync, replica_lag_time_max_ms } => write!(
                s,
                "[Partition {} broker={broker}] Shrinking ISR: out-of-sync replicas {out_of_sync:?} have not caught up within replica.lag.time.max.ms={replica_lag_time_max_ms}",
                tp(partition)
            ),
            TraceEvent::AlterPartitionFailed { broker, partition, error } => {
                write!(s, "[Partition {} broker={broker}] AlterPartition failed: {error}", tp(partition))
            }
            TraceEvent::Truncated { broker, partition, from, to, leader_epoch } => write!(
                s,
                "[UnifiedLog partition={} broker={broker}] Truncating to offset {to} (log end offset was {from}): the log diverged from the leader's after leader epoch {leader_epoch}",
                tp(partition)
            ),
            TraceEvent::UnflushedLost { broker, partition, records, log_end_offset } => write!(
                s,
                "[UnifiedLog partition={} broker={broker}] {records} unflushed record(s) lost to power loss; log end offset now {log_end_offset}",
                tp(partition)
            ),
            TraceEvent::NotEnoughReplicas { broker, partition, isr, min_insync_replicas } => write!(
                s,
                "[ReplicaManager broker={broker}] NotEnoughReplicasException: the size of the current ISR {isr} is insufficient to satisfy the min.isr requirement of {min_insync_replicas} for partition {}",
                tp(partition)
            ),
            TraceEvent::FetcherTimedOut { broker, leader } => write!(
                s,
                "[ReplicaFetcher replicaId={broker}, leaderId={leader}] Error sending fetch request: no response within replica.socket.timeout.ms"
            ),
            TraceEvent::LogCleaned { broker, partition, segments_deleted, records_cleaned, log_start_offset } => write!(
                s,
                "[UnifiedLog partition={} broker={broker}] Deleted {segments_deleted} segment(s), cleaned {records_cleaned} record(s); log start offset {log_start_offset}",
                tp(partition)
            ),
            TraceEvent::CoordinatorLoaded { broker, group } => write!(
                s,
                "[GroupCoordinator {broker}] Loaded group {} from __consumer_offsets",
                names.group_name(*group)
            ),
            TraceEvent::ProduceFailed { producer, partition, error, records, retry_backoff_ms } => write!(
                s,
                "[Producer clientId={}] Got error produce response on topic-partition {}: {error}; {records} record(s) {}",
                names.node_name(*producer),
                tp(partition),
                match retry_backoff_ms {
                    Some(ms) => format!("will be retried in {ms} ms"),
                    None => "failed".to_string(),
                }
            ),
            TraceEvent::ProducerIdAssigned { producer, producer_id, producer_epoch } => write!(
                s,
                "[Producer clientId={}] ProducerId set to {producer_id} with epoch {producer_epoch}",
                names.node_name(*producer)
            ),
            TraceEvent::DuplicateBatch { broker, partition, producer_id, base_sequence, base_offset } => write!(
                s,
                "[UnifiedLog partition={} broker={broker}] Duplicate batch from producerId {producer_id} (sequence {base_sequence}) not appended again; answered with its offset {base_offset}",
                tp(partition)
            ),
            TraceEvent::MessageDropped { from, to, message } => write!(
                s,
                "[Network] {message} from {} to {} dropped",
                names.node_name(*from),
                names.node_name(*to)
            ),
            TraceEvent::MessageDuplicated { from, to, message } => write!(
                s,
                "[Network] {message} from {} to {} delivered twice",
                names.node_name(*from),
                names.node_name(*to)
            ),
            TraceEvent::LinkFaultSet { from, to, message, drop_ppm, duplicate_ppm, delay_ms, count } => {
                let end = |n: &crate::faults::Nodes| match n {
                    crate::faults::Nodes::One(id) => names.node_name(*id).to_string(),
                    other => other.label().to_string(),
                };
                write!(
                    s,
                    "[Network] Link fault {} -> {} ({}): drop {:.2}%, duplicate {:.2}%, delay {delay_ms} ms{}",
                    end(from),
                    end(to),
                    message.unwrap_or("every message"),
                    *drop_ppm as f64 / 10_000.0,
                    *duplicate_ppm as f64 / 10_000.0,
                    count.map_or(String::new(), |n| format!(", for the next {n} message(s)"))
                )
            }
            TraceEvent::SendFailed { producer, records, max_block_ms } => write!(
                s,
                "[Producer clientId={}] send() of {records} record(s) failed: TimeoutException: Failed to allocate memory within the configured max blocking time {max_block_ms} ms.",
                names.node_name(*producer)
            ),
            TraceEvent::TransactionalIdInitialized { broker, transactional_id, producer_id, producer_epoch } => write!(
                s,
                "[TransactionCoordinator id={broker}] Initialized transactionalId {transactional_id} with producerId {producer_id} and producer epoch {producer_epoch}"
            ),
            TraceEvent::TransactionEnding { broker, transactional_id, producer_id, producer_epoch, commit, partitions } => {
                let list: Vec<String> = partitions.iter().map(tp).collect();
                write!(
                    s,
                    "[TransactionCoordinator id={broker}] {} transaction of {transactional_id} (producerId {producer_id}, epoch {producer_epoch}): writing {} markers to [{}]",
                    if *commit { "PrepareCommit" } else { "PrepareAbort" },
                    if *commit { "COMMIT" } else { "ABORT" },
                    list.join(", ")
                )
            }
            TraceEvent::TransactionCompleted { broker, transactional_id, producer_id, committed } => write!(
                s,
                "[TransactionCoordinator id={broker}] Transaction of {transactional_id} (producerId {producer_id}) is {}",
                if *committed { "CompleteCommit" } else { "CompleteAbort" }
            ),
            TraceEvent::TransactionTimedOut { broker, transactional_id } => write!(
                s,
                "[TransactionCoordinator id={broker}] Aborting the transaction of {transactional_id}: open longer than its transaction.timeout.ms"
            ),
            TraceEvent::MarkerWritten { broker, partition, producer_id, commit, offset } => write!(
                s,
                "[UnifiedLog partition={} broker={broker}] {} marker of producerId {producer_id} appended at offset {offset}",
                tp(partition),
                if *commit { "COMMIT" } else { "ABORT" }
            ),
            TraceEvent::TransactionFinished { producer, transactional_id, committed, records } => write!(
                s,
                "[Producer clientId={}, transactionalId={transactional_id}] {} with {records} record(s) sent",
                names.node_name(*producer),
                if *committed { "commitTransaction() done" } else { "abortTransaction() done" }
            ),
            TraceEvent::ProducerFenced { producer, transactional_id, error } => write!(
                s,
                "[Producer clientId={}, transactionalId={transactional_id}] {error}: There is a newer producer with the same transactionalId which fences the current one.",
                names.node_name(*producer)
            ),
            TraceEvent::ProducerCrashed { producer } => write!(
                s,
                "[Producer clientId={}] process crashed; a new instance starts with the next record (what the old one had not had acknowledged is lost)",
                names.node_name(*producer)
            ),
            TraceEvent::ProcessingFailed { consumer, partition, offset, attempt, retry_in_ms } => match retry_in_ms {
                Some(ms) => write!(
                    s,
                    "{} Processing {}@{} failed (attempt {attempt}); retrying in {ms} ms",
                    client(consumer),
                    tp(partition),
                    offset.0
                ),
                None => write!(s, "{} Processing {}@{} failed (attempt {attempt}); giving up", client(consumer), tp(partition), offset.0),
            },
            TraceEvent::RecordDeadLettered { consumer, partition, offset, attempts } => write!(
                s,
                "{} Sent {}@{} to the dead-letter queue after {attempts} attempts; continuing",
                client(consumer),
                tp(partition),
                offset.0
            ),
            TraceEvent::ApplicationFailed { consumer, partition, offset } => write!(
                s,
                "{} Processing {}@{} failed for good: the stream thread dies and its consumer leaves the group without committing",
                client(consumer),
                tp(partition),
                offset.0
            ),
            // Kafka Streams' StoreChangelogReader logs these at INFO.
            TraceEvent::StoreRestoreStarted { consumer, partition, changelog } => write!(
                s,
                "{} Task {} restoring its window store from changelog {} before processing",
                client(consumer),
                tp(partition),
                tp(changelog)
            ),
            TraceEvent::StoreRestored { consumer, partition, records, duration_ms } => write!(
                s,
                "{} Finished restoring task {}: {records} changelog records in {duration_ms} ms",
                client(consumer),
                tp(partition)
            ),
            TraceEvent::ProducerConfigAdjusted { producer, message } => {
                write!(s, "[Producer clientId={}] {message}", names.node_name(*producer))
            }
            TraceEvent::CoordinatorFound { consumer, broker } => {
                write!(s, "{} Discovered group coordinator broker-{broker}", client(consumer))
            }
            TraceEvent::CoordinatorLost { consumer, reason } => {
                write!(s, "{} Group coordinator is unavailable or invalid due to cause: {reason}", client(consumer))
            }
            TraceEvent::AcknowledgedLost { partition, records, leader } => write!(
                s,
                "[Ledger] {records} acknowledged record(s) of {} are gone: leader {} never had them",
                tp(partition),
                leader.map_or("none".to_string(), |b| b.to_string())
            ),
            TraceEvent::FaultRefused { reason } => write!(s, "[Faults] scheduled fault not applied: {reason}"),
            TraceEvent::NetworkPartitioned { node, peers } => write!(
                s,
                "[Network] {} is cut off from {}",
                names.node_name(*node),
                if *peers == 0 { "every other node".to_string() } else { format!("{peers} node(s)") }
            ),
            TraceEvent::NetworkHealed { node } => write!(s, "[Network] every link of {} is healed", names.node_name(*node)),
            TraceEvent::StaticMemberReplaced { broker, group, group_instance_id, old_member_id, new_member_id, state } => write!(
                s,
                "[GroupCoordinator {broker}] Static member with groupInstanceId={group_instance_id} and unknown member id joins group {} in {state} state. Replacing previously mapped member {old_member_id} with this groupInstanceId (new member id {new_member_id}).",
                names.group_name(*group)
            ),
            TraceEvent::GroupUnloaded { broker, group, state } => write!(
                s,
                "[GroupCoordinator {broker}] Unloading group {} (state {state} -> Dead): its __consumer_offsets partition moved",
                names.group_name(*group)
            ),
            TraceEvent::PollTimeoutExpired { consumer, max_poll_interval_ms } => write!(
                s,
                "{} consumer poll timeout has expired. This means the time between subsequent calls to poll() was longer than the configured max.poll.interval.ms ({max_poll_interval_ms} ms), which typically implies that the poll loop is spending too much time processing messages. Member sending LeaveGroup request to coordinator.",
                client(consumer)
            ),
            TraceEvent::PartitionsLost { consumer, partitions } => write!(
                s,
                "{} Giving away all assigned partitions as lost since generation/memberID has been reset, indicating that consumer is in old state or no longer part of the group: {}",
                client(consumer),
                list(partitions)
            ),
            TraceEvent::ConsumerPaused { consumer, duration_ms } => {
                write!(s, "{} the application stalls for {duration_ms} ms: no poll(), no commit", client(consumer))
            }
            TraceEvent::ConsumerFenced { consumer } => write!(
                s,
                "{} FencedInstanceIdException: another consumer with the same group.instance.id has joined; this one stops",
                client(consumer)
            ),
            TraceEvent::NoOffsetForPartition { consumer, partitions } => write!(
                s,
                "{} NoOffsetForPartitionException: Undefined offset with no reset policy for partitions: {}",
                client(consumer),
                list(partitions)
            ),
            TraceEvent::PartitionsCreated { topic, from, to } => write!(
                s,
                "[Controller] CreatePartitions: topic {} grew from {from} to {to} partitions; clients see them at their next metadata refresh",
                names.topic_name(*topic)
            ),
            TraceEvent::TopicCreated { topic, partitions, replication_factor } => write!(
                s,
                "[Controller] CreateTopics: created topic {} with {partitions} partitions and replication factor {replication_factor}",
                names.topic_name(*topic)
            ),
            TraceEvent::CommitOnRevoke { consumer, partitions } => write!(
                s,
                "{} onPartitionsRevoked: the rebalance listener commits its processed offsets (commitSync) before giving up {}",
                client(consumer),
                list(partitions)
            ),
            TraceEvent::ManuallyAssigned { consumer, partitions } => {
                write!(s, "{} Assigned to partition(s): {}", client(consumer), list(partitions))
            }
            TraceEvent::Seeking { consumer, partitions, to } => {
                write!(s, "{} Seeking to {to} of partitions {}", client(consumer), list(partitions))
            }
            TraceEvent::TopicDeleted { topic } => {
                write!(s, "[Controller] DeleteTopics: deleted topic {} and its logs", names.topic_name(*topic))
            }
            TraceEvent::LinkSlowed { node, peer, extra_ms } => write!(
                s,
                "[Network] the link {} <-> {} is {extra_ms} ms slower",
                names.node_name(*node),
                names.node_name(*peer)
            ),
        };
        s
    }
}

/// One trace line: when it happened and what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEntry {
    pub time: SimTime,
    pub event: TraceEvent,
}

/// How much of the trace is kept in memory: the most recent events of every level, and the most
/// recent Info events (what the UI's event log shows). The hash always covers every event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceCapacity {
    /// Most recent events of any level kept, 0 to keep none.
    pub recent: usize,
    /// Most recent Info events kept, 0 to keep none.
    pub info: usize,
}

impl Default for TraceCapacity {
    /// 10,000 recent events and 1,000 Info lines: about 1.5 MB, which suits a browser tab.
    fn default() -> Self {
        TraceCapacity { recent: 10_000, info: 1_000 }
    }
}

/// The trace of a run: a running hash over every entry, the count of entries, and the most
/// recent entries (bounded by [`TraceCapacity`]). Memory does not grow with the length of the run.
#[derive(Debug, Clone)]
pub struct Trace {
    hasher: TraceHasher,
    total: u64,
    capacity: TraceCapacity,
    recent: VecDeque<TraceEntry>,
    info: VecDeque<TraceEntry>,
    /// Events since the start, by kind ([`TraceEvent::kind_index`]).
    counts: [u64; TraceEvent::KINDS.len()],
}

impl Default for Trace {
    fn default() -> Self {
        Trace::with_capacity(TraceCapacity::default())
    }
}

impl Trace {
    /// An empty trace keeping at most `capacity` entries.
    pub fn with_capacity(capacity: TraceCapacity) -> Self {
        Trace {
            hasher: TraceHasher::default(),
            total: 0,
            capacity,
            recent: VecDeque::new(),
            info: VecDeque::new(),
            counts: [0; TraceEvent::KINDS.len()],
        }
    }

    /// Changes how many entries are kept; the oldest go first.
    pub fn set_capacity(&mut self, capacity: TraceCapacity) {
        self.capacity = capacity;
        while self.recent.len() > capacity.recent {
            self.recent.pop_front();
        }
        while self.info.len() > capacity.info {
            self.info.pop_front();
        }
    }

    /// Folds `entry` into the hash and keeps it among the recent ones.
    pub fn push(&mut self, entry: TraceEntry) {
        entry.time.0.hash(&mut self.hasher);
        entry.event.hash(&mut self.hasher);
        self.total += 1;
        self.counts[entry.event.kind_index()] += 1;
        if entry.event.level() == Level::Info && self.capacity.info > 0 {
            if self.info.len() == self.capacity.info {
                self.info.pop_front();
            }
            self.info.push_back(entry.clone());
        }
        if self.capacity.recent > 0 {
            if self.recent.len() == self.capacity.recent {
                self.recent.pop_front();
            }
            self.recent.push_back(entry);
        }
    }

    /// The last `n` Info-level entries kept, oldest first.
    pub fn latest_info(&self, n: usize) -> impl Iterator<Item = &TraceEntry> {
        self.info.range(self.info.len().saturating_sub(n)..)
    }

    /// The Info-level entries kept, oldest first.
    pub fn info(&self) -> &VecDeque<TraceEntry> {
        &self.info
    }

    /// The most recent entries of every level kept, oldest first.
    pub fn recent(&self) -> &VecDeque<TraceEntry> {
        &self.recent
    }

    /// Entries traced since the start, kept or not.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// How many events of each kind were traced since the start, in [`TraceEvent::KINDS`] order.
    pub fn counts(&self) -> &[u64; TraceEvent::KINDS.len()] {
        &self.counts
    }

    /// The [`TraceHasher`] hash of every entry's time and event, in order.
    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 32-bit wasm build and a 64-bit native one must feed the hasher the same words: lengths
    /// (`usize`) and enum discriminants (`isize`) are widened to 64 bits, bytes are folded a word
    /// at a time whatever their alignment.
    #[test]
    fn hasher_is_independent_of_the_word_width() {
        let hash = |f: &dyn Fn(&mut TraceHasher)| {
            let mut h = TraceHasher::default();
            f(&mut h);
            h.finish()
        };
        assert_eq!(hash(&|h| h.write_usize(7)), hash(&|h| h.write_u64(7)));
        assert_eq!(hash(&|h| h.write_isize(-3)), hash(&|h| h.write_i64(-3)));
        assert_eq!(hash(&|h| h.write_u32(9)), hash(&|h| h.write_u64(9)));
        assert_eq!(
            hash(&|h| h.write(b"readings-10")),
            hash(&|h| {
                h.write_u64(u64::from_le_bytes(*b"readings"));
                h.write_u64(u64::from_le_bytes(*b"-10\0\0\0\0\0"));
            })
        );
        assert_ne!(hash(&|h| h.write_u64(1)), hash(&|h| h.write_u64(2)));
    }

    #[test]
    fn ring_keeps_the_newest_and_hash_covers_all() {
        let mut t = Trace::with_capacity(TraceCapacity { recent: 2, info: 1 });
        let mut u = Trace::with_capacity(TraceCapacity { recent: 0, info: 0 });
        for i in 0..5 {
            let e = TraceEntry { time: SimTime(i), event: TraceEvent::ConsumerCrashed { consumer: NodeId(i as u32) } };
            t.push(e.clone());
            u.push(e);
        }
        assert_eq!(t.total(), 5);
        assert_eq!(t.recent().iter().map(|e| e.time.0).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(t.info().len(), 1);
        assert_eq!(t.hash(), u.hash(), "what is kept does not change the hash");
        let mut v = Trace::default();
        v.push(TraceEntry { time: SimTime(1), event: TraceEvent::ConsumerCrashed { consumer: NodeId(0) } });
        assert_ne!(v.hash(), Trace::default().hash());
    }
}
