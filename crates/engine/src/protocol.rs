//! The protocol messages nodes exchange over the simulated network, named as in Kafka's wire
//! protocol (`ProduceRequest`, `FetchResponse`, `JoinGroupRequest`, ...), and Kafka's error codes.
//! Only the fields the simulation needs are carried.

use crate::config::Acks;
use crate::ids::{BrokerId, KeyId, NodeId, Offset, RecordId, TopicId, TopicPartition};
use serde::Serialize;

/// One record as it travels in batches. The payload itself lives with the workload that made it
/// (looked up by `record_id`); the record carries only what brokers and clients act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Record {
    pub record_id: RecordId,
    pub key: Option<KeyId>,
    /// The record's timestamp (`CreateTime`), ms.
    pub timestamp_ms: u64,
    /// Serialized size of key + value, bytes.
    pub size_bytes: u32,
    /// The record's offset in its partition, set by the log when the record is read. Producers
    /// send `Offset(0)` and a leader's append ignores it; a follower's append keeps the leader's.
    /// Compaction leaves gaps, so an offset is not a batch's base offset plus an index.
    pub offset: Offset,
    /// A record with a null value: a delete marker for compaction (Kafka's tombstone).
    pub tombstone: bool,
}

/// A producer batch for one partition (Kafka's `ProducerBatch` / `RecordBatch`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerBatch {
    pub partition: TopicPartition,
    pub records: Vec<Record>,
    /// An idempotent producer's id, epoch and sequence; `None` for a plain producer (Kafka's
    /// `NO_PRODUCER_ID`).
    pub stamp: Option<ProducerStamp>,
    /// Part of a transaction (the batch header's transactional bit): it stays above the LSO
    /// until its transaction's marker, and `read_committed` readers skip it if that is an abort.
    pub transactional: bool,
}

/// `isolation.level` of a consumer's fetches (Kafka's `IsolationLevel`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IsolationLevel {
    /// Read up to the high watermark, aborted transactional records included (the default).
    #[default]
    ReadUncommitted,
    /// Read up to the last stable offset, skipping the records of aborted transactions.
    ReadCommitted,
}

impl IsolationLevel {
    /// The config value: `read_uncommitted` or `read_committed`.
    pub fn name(self) -> &'static str {
        match self {
            IsolationLevel::ReadUncommitted => "read_uncommitted",
            IsolationLevel::ReadCommitted => "read_committed",
        }
    }
}

/// The idempotence fields of a record batch's header (Kafka's `RecordBatch.producerId()`,
/// `producerEpoch()`, `baseSequence()`): the broker keeps the last five per producer and
/// partition to drop retried duplicates and refuse gaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProducerStamp {
    pub producer_id: u64,
    pub producer_epoch: u16,
    /// The sequence of the batch's first record; the others follow one by one.
    pub base_sequence: u32,
}

/// Kafka error codes the simulation produces, displayed by their Java exception names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KafkaError {
    /// KIP-394: the first JoinGroup of a dynamic member returns its new member id with this error.
    MemberIdRequired,
    RebalanceInProgress,
    UnknownMemberId,
    IllegalGeneration,
    OffsetOutOfRange,
    UnknownTopicOrPartition,
    NotEnoughReplicas,
    /// The record was appended, but the ISR shrank below `min.insync.replicas` before it was
    /// replicated.
    NotEnoughReplicasAfterAppend,
    /// The broker does not lead the partition (any more): refresh metadata and retry.
    NotLeaderOrFollower,
    /// The request's leader epoch is older than the broker's (KIP-320).
    FencedLeaderEpoch,
    /// The request's leader epoch is newer than the broker's: it has not heard of it yet.
    UnknownLeaderEpoch,
    /// A new leader whose high watermark has not reached its epoch's start offset (KIP-207).
    OffsetNotAvailable,
    /// The batch exceeds `max.message.bytes`.
    RecordTooLarge,
    /// A record without a key sent to a compacted topic.
    InvalidRecord,
    /// `acks=all` waited `request.timeout.ms` for the ISR.
    RequestTimedOut,
    /// The broker does not coordinate this group (any more): find the coordinator again.
    NotCoordinator,
    /// The group's `__consumer_offsets` partition has no leader.
    CoordinatorNotAvailable,
    /// The connection to the broker dropped.
    Network,
    /// KIP-345: another member has since joined with this member's `group.instance.id`. Fatal
    /// for the fenced consumer.
    FencedInstanceId,
    /// The member supports none of the assignors the group's members have in common.
    InconsistentGroupProtocol,
    /// An idempotent batch's sequence does not follow the last one the broker has from that
    /// producer: a batch before it is missing.
    OutOfOrderSequenceNumber,
    /// The batch's producer epoch is older than the broker's for that producer id.
    InvalidProducerEpoch,
    /// A newer instance with the same `transactional.id` has bumped the epoch: this producer
    /// is a zombie and must close. Fatal.
    ProducerFenced,
    /// The coordinator is still completing the transaction's previous step (writing markers,
    /// or aborting an open transaction before a new instance may start): retry.
    ConcurrentTransactions,
    /// The request does not fit the transaction's state (a commit of a transaction being
    /// aborted, ...). Fatal.
    InvalidTxnState,
}

impl KafkaError {
    /// The Java exception the client raises for this code.
    pub fn exception_name(self) -> &'static str {
        match self {
            KafkaError::MemberIdRequired => "MemberIdRequiredException",
            KafkaError::RebalanceInProgress => "RebalanceInProgressException",
            KafkaError::UnknownMemberId => "UnknownMemberIdException",
            KafkaError::IllegalGeneration => "IllegalGenerationException",
            KafkaError::OffsetOutOfRange => "OffsetOutOfRangeException",
            KafkaError::UnknownTopicOrPartition => "UnknownTopicOrPartitionException",
            KafkaError::NotEnoughReplicas => "NotEnoughReplicasException",
            KafkaError::NotEnoughReplicasAfterAppend => "NotEnoughReplicasAfterAppendException",
            KafkaError::NotLeaderOrFollower => "NotLeaderOrFollowerException",
            KafkaError::FencedLeaderEpoch => "FencedLeaderEpochException",
            KafkaError::UnknownLeaderEpoch => "UnknownLeaderEpochException",
            KafkaError::OffsetNotAvailable => "OffsetNotAvailableException",
            KafkaError::RecordTooLarge => "RecordTooLargeException",
            KafkaError::InvalidRecord => "InvalidRecordException",
            KafkaError::RequestTimedOut => "TimeoutException",
            KafkaError::NotCoordinator => "NotCoordinatorException",
            KafkaError::CoordinatorNotAvailable => "CoordinatorNotAvailableException",
            KafkaError::Network => "NetworkException",
            KafkaError::FencedInstanceId => "FencedInstanceIdException",
            KafkaError::InconsistentGroupProtocol => "InconsistentGroupProtocolException",
            KafkaError::OutOfOrderSequenceNumber => "OutOfOrderSequenceException",
            KafkaError::InvalidProducerEpoch => "InvalidProducerEpochException",
            KafkaError::ProducerFenced => "ProducerFencedException",
            KafkaError::ConcurrentTransactions => "ConcurrentTransactionsException",
            KafkaError::InvalidTxnState => "InvalidTxnStateException",
        }
    }

    /// Whether a client retries after it (Kafka's `RetriableException` subclasses).
    pub fn is_retriable(self) -> bool {
        !matches!(
            self,
            KafkaError::RecordTooLarge
                | KafkaError::InvalidRecord
                | KafkaError::FencedInstanceId
                | KafkaError::InconsistentGroupProtocol
                | KafkaError::OutOfOrderSequenceNumber
                | KafkaError::InvalidProducerEpoch
                | KafkaError::ProducerFenced
                | KafkaError::InvalidTxnState
        )
    }
}

/// Which offset a `ListOffsetsRequest` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    /// The first offset whose record's timestamp is at least this (ms); the high watermark if
    /// none is (Kafka answers -1 and the Java client's `offsetsForTimes` gives null).
    Timestamp(u64),
}

/// One partition's result in a ProduceResponse: the base offset given to the batch, or an error.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducePartitionResult {
    pub partition: TopicPartition,
    /// The offset given to the batch's first record (meaningless when `error` is set).
    pub base_offset: Offset,
    pub error: Option<KafkaError>,
}

/// One partition of a FetchRequest: where to read from.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchPartition {
    pub partition: TopicPartition,
    pub fetch_offset: Offset,
    /// The leader epoch the fetcher believes current (KIP-320), if it knows one.
    pub current_leader_epoch: Option<u32>,
    /// A follower's: the epoch of the last record it holds, so that the leader can tell it
    /// where its log diverges (KIP-595's fetch-based truncation, replacing KIP-101's
    /// OffsetsForLeaderEpoch round trip).
    pub last_fetched_epoch: Option<u32>,
}

/// One partition's leadership as the controller records it (KRaft's `PartitionRecord` /
/// `PartitionChangeRecord`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRegistration {
    pub partition: TopicPartition,
    /// Assigned replicas; the first is the preferred leader.
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
    /// `None` while the partition is offline.
    pub leader: Option<BrokerId>,
    pub leader_epoch: u32,
    /// Bumped by every change, so that a stale AlterPartition is refused.
    pub partition_epoch: u32,
}

/// A topic as the controller records it (KRaft's `TopicRecord` with its `ConfigRecord`s, or
/// a `RemoveTopicRecord` once deleted).
#[derive(Debug, Clone, PartialEq)]
pub struct TopicRecord {
    pub topic: TopicId,
    pub name: String,
    pub config: crate::config::TopicConfig,
    pub deleted: bool,
}

/// One partition of a FetchResponse: the records read, the high watermark, or an error.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchPartitionResponse {
    pub partition: TopicPartition,
    pub high_watermark: Offset,
    pub log_start_offset: Offset,
    /// Offset of the first record in `records`.
    pub base_offset: Offset,
    pub records: Vec<Record>,
    pub error: Option<KafkaError>,
    /// To a follower whose log diverges from the leader's: the largest epoch both have, and
    /// where it ends in the leader's log. The follower truncates there.
    pub diverging_epoch: Option<(u32, Offset)>,
    /// To a follower: the leader-epoch entries `(epoch, start offset)` that begin among the
    /// records sent, so that its epoch cache matches the leader's.
    pub epochs: Vec<(u32, Offset)>,
    /// To a follower: the idempotence headers of the batches among the records sent, so that
    /// its producer state matches the leader's if it takes over.
    pub batches: Vec<crate::broker::producer_state::BatchHeader>,
    /// The last stable offset (KIP-98): below it every transaction is decided.
    pub last_stable_offset: Offset,
    /// To a `read_committed` consumer: the offset ranges `[first, last]` among the records sent
    /// that belong to aborted transactions. The Java consumer works them out from the response's
    /// aborted-transaction list and the batch headers (`CompletedFetch.nextFetchedRecord`); the
    /// broker doing it here skips the same records.
    pub aborted: Vec<(Offset, Offset)>,
}

/// A member's entry in the leader's JoinGroupResponse: its id, `group.instance.id` and the
/// consumer protocol's subscription (topics, owned partitions and the generation they were
/// assigned in, as `ConsumerProtocolSubscription` v2+ carries them).
#[derive(Debug, Clone, PartialEq)]
pub struct JoinGroupMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub topics: Vec<String>,
    pub owned_partitions: Vec<TopicPartition>,
    /// `None`: no generation (Kafka's -1).
    pub generation_id: Option<u32>,
}

/// What started a rebalance, as the trace and the rebalance timeline name it. The member's
/// JoinGroup or LeaveGroup carries it as the request's `reason` (KIP-800); the coordinator
/// keeps the first one of a rebalance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RebalanceTrigger {
    /// A new member joined the group.
    MemberJoined,
    /// A known member rejoined: its heartbeat saw a rebalance, or (KIP-429) it revoked
    /// partitions and joins again for the second round.
    MemberRejoined,
    /// A member called `close()` and sent LeaveGroup.
    MemberLeft,
    /// The coordinator heard no heartbeat for `session.timeout.ms`.
    SessionTimeout,
    /// The application did not call `poll()` within `max.poll.interval.ms`; the heartbeat
    /// thread sent LeaveGroup.
    PollTimeout,
    /// A member joined with the `group.instance.id` of another one while the group was
    /// completing a rebalance.
    StaticMemberReplaced,
    /// KIP-429's second round: a cooperative member revoked the partitions it must give up
    /// and rejoins so that they can be assigned to their new owners.
    CooperativeRejoin,
    /// The leader's metadata shows more partitions of a subscribed topic than it assigned.
    PartitionsAdded,
    /// A subscribed topic that did not exist when the leader assigned now does.
    TopicCreated,
    /// A subscribed topic was deleted.
    TopicDeleted,
    /// A new topic matches a member's subscribed pattern.
    PatternMatched,
}

impl RebalanceTrigger {
    /// The trigger's name in reports and the trace (`member_joined`, ...).
    pub fn name(self) -> &'static str {
        match self {
            RebalanceTrigger::MemberJoined => "member_joined",
            RebalanceTrigger::MemberRejoined => "member_rejoined",
            RebalanceTrigger::MemberLeft => "member_left",
            RebalanceTrigger::SessionTimeout => "session_timeout",
            RebalanceTrigger::PollTimeout => "poll_timeout",
            RebalanceTrigger::StaticMemberReplaced => "static_member_replaced",
            RebalanceTrigger::CooperativeRejoin => "cooperative_rejoin",
            RebalanceTrigger::PartitionsAdded => "partitions_added",
            RebalanceTrigger::TopicCreated => "topic_created",
            RebalanceTrigger::TopicDeleted => "topic_deleted",
            RebalanceTrigger::PatternMatched => "pattern_matched",
        }
    }
}

/// Every protocol message. Requests carry a `correlation_id` where the sender may have several
/// of the same kind in flight.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    ProduceRequest {
        correlation_id: u64,
        acks: Acks,
        /// How long the leader may wait for the ISR with `acks=all` (`request.timeout.ms`).
        timeout_ms: u64,
        batches: Vec<ProducerBatch>,
    },
    ProduceResponse {
        correlation_id: u64,
        results: Vec<ProducePartitionResult>,
    },
    FetchRequest {
        correlation_id: u64,
        /// A follower's `node.id`; `None` for a consumer.
        replica_id: Option<BrokerId>,
        max_wait_ms: u64,
        min_bytes: u32,
        max_partition_bytes: u32,
        /// A consumer's `isolation.level`; followers read uncommitted, up to the LEO.
        isolation_level: IsolationLevel,
        partitions: Vec<FetchPartition>,
    },
    FetchResponse {
        correlation_id: u64,
        partitions: Vec<FetchPartitionResponse>,
    },
    ListOffsetsRequest {
        correlation_id: u64,
        spec: OffsetSpec,
        partitions: Vec<TopicPartition>,
    },
    ListOffsetsResponse {
        correlation_id: u64,
        /// Each partition's offset, or why the broker could not give it (`NotLeaderOrFollower`,
        /// or `OffsetNotAvailable` from a new leader, KIP-207).
        offsets: Vec<(TopicPartition, Result<Offset, KafkaError>)>,
    },
    JoinGroupRequest {
        group_id: String,
        /// Empty on a member's first join (KIP-394).
        member_id: String,
        /// `group.instance.id` of a static member (KIP-345).
        group_instance_id: Option<String>,
        client_id: String,
        session_timeout_ms: u64,
        rebalance_timeout_ms: u64,
        /// The assignors it supports, preferred first (`partition.assignment.strategy`, by
        /// their `name()`s): the coordinator picks one every member supports.
        protocols: Vec<String>,
        /// The subscription: topics, owned partitions and their generation.
        topics: Vec<String>,
        owned_partitions: Vec<TopicPartition>,
        owned_generation: Option<u32>,
        /// Why it joins (KIP-800).
        reason: RebalanceTrigger,
    },
    JoinGroupResponse {
        error: Option<KafkaError>,
        generation_id: u32,
        /// The assignor the group uses this generation.
        protocol_name: String,
        leader: String,
        member_id: String,
        /// Filled for the leader only: every member and its subscription.
        members: Vec<JoinGroupMember>,
    },
    SyncGroupRequest {
        group_id: String,
        generation_id: u32,
        member_id: String,
        group_instance_id: Option<String>,
        assignments: Vec<(String, Vec<TopicPartition>)>,
    },
    SyncGroupResponse {
        error: Option<KafkaError>,
        generation_id: u32,
        assignment: Vec<TopicPartition>,
    },
    HeartbeatRequest {
        group_id: String,
        generation_id: u32,
        member_id: String,
        group_instance_id: Option<String>,
    },
    HeartbeatResponse {
        error: Option<KafkaError>,
    },
    LeaveGroupRequest {
        group_id: String,
        member_id: String,
        /// `MemberLeft` on `close()`, `PollTimeout` from the heartbeat thread (KIP-800).
        reason: RebalanceTrigger,
    },
    LeaveGroupResponse {
        error: Option<KafkaError>,
    },
    OffsetCommitRequest {
        correlation_id: u64,
        group_id: String,
        generation_id: u32,
        member_id: String,
        group_instance_id: Option<String>,
        offsets: Vec<(TopicPartition, Offset)>,
    },
    OffsetCommitResponse {
        correlation_id: u64,
        error: Option<KafkaError>,
        offsets: Vec<(TopicPartition, Offset)>,
    },
    OffsetFetchRequest {
        correlation_id: u64,
        group_id: String,
        partitions: Vec<TopicPartition>,
    },
    OffsetFetchResponse {
        correlation_id: u64,
        error: Option<KafkaError>,
        offsets: Vec<(TopicPartition, Option<Offset>)>,
    },
    /// A client asks a broker for the leaders of every partition.
    MetadataRequest {
        correlation_id: u64,
    },
    MetadataResponse {
        correlation_id: u64,
        /// The unfenced brokers and their addresses.
        brokers: Vec<(BrokerId, NodeId)>,
        /// Every topic but internal and deleted ones, with its name.
        topics: Vec<(TopicId, String)>,
        /// Each partition's leader (`None`: offline) and leader epoch.
        partitions: Vec<(TopicPartition, Option<BrokerId>, u32)>,
    },
    /// A consumer asks which broker coordinates its group.
    FindCoordinatorRequest {
        correlation_id: u64,
        group_id: String,
    },
    FindCoordinatorResponse {
        correlation_id: u64,
        error: Option<KafkaError>,
        coordinator: Option<NodeId>,
    },
    /// A broker registers with the controller when it starts (KRaft's BrokerRegistration).
    BrokerRegistrationRequest {
        broker: BrokerId,
    },
    /// A broker's liveness signal to the controller, every `broker.heartbeat.interval.ms`,
    /// with the metadata offset it has applied (KRaft's `CurrentMetadataOffset`).
    BrokerHeartbeatRequest {
        broker: BrokerId,
        metadata_offset: u64,
    },
    /// The controller's metadata changes, as brokers replay them from the metadata log:
    /// partitions' leaders and ISRs, and which brokers are fenced. `full` replaces everything.
    /// `metadata_offset` numbers the updates: a broker that missed one (lost on a cut link)
    /// reports an older offset in its heartbeats and gets everything again.
    MetadataUpdate {
        full: bool,
        fenced: Vec<BrokerId>,
        partitions: Vec<PartitionRegistration>,
        /// Topics created or deleted (KRaft's `TopicRecord` / `RemoveTopicRecord`); all of
        /// them in a full update.
        topics: Vec<TopicRecord>,
        metadata_offset: u64,
    },
    /// A partition leader asks the controller to change the ISR (KIP-497).
    AlterPartitionRequest {
        broker: BrokerId,
        partition: TopicPartition,
        leader_epoch: u32,
        partition_epoch: u32,
        new_isr: Vec<BrokerId>,
    },
    AlterPartitionResponse {
        partition: TopicPartition,
        error: Option<KafkaError>,
    },
    /// The connection to `node` dropped (its process died): every request in flight to it fails.
    Disconnected {
        node: NodeId,
    },
    /// A producer asks for a producer id: an idempotent one from any broker, a transactional
    /// one from its transaction coordinator, which bumps the epoch of an earlier instance with
    /// the same `transactional.id` (fencing it) and aborts its open transaction first.
    InitProducerIdRequest {
        correlation_id: u64,
        transactional_id: Option<String>,
        /// `transaction.timeout.ms`.
        transaction_timeout_ms: u64,
    },
    InitProducerIdResponse {
        correlation_id: u64,
        error: Option<KafkaError>,
        producer_id: u64,
        producer_epoch: u16,
    },
    /// A transactional producer adds partitions to its transaction before it writes to them
    /// (transaction protocol v1's AddPartitionsToTxn; see `docs/delivery.md`).
    AddPartitionsToTxnRequest {
        correlation_id: u64,
        transactional_id: String,
        producer_id: u64,
        producer_epoch: u16,
        partitions: Vec<TopicPartition>,
    },
    AddPartitionsToTxnResponse {
        correlation_id: u64,
        error: Option<KafkaError>,
    },
    /// `commitTransaction()` / `abortTransaction()`.
    EndTxnRequest {
        correlation_id: u64,
        transactional_id: String,
        producer_id: u64,
        producer_epoch: u16,
        commit: bool,
    },
    /// With transaction protocol v2 (Kafka 4.x) the coordinator bumps the epoch at every
    /// EndTxn and returns it.
    EndTxnResponse {
        correlation_id: u64,
        error: Option<KafkaError>,
        producer_id: u64,
        producer_epoch: u16,
    },
    /// `sendOffsetsToTransaction()`, first step: the group's offsets partition joins the
    /// transaction (its markers make the offsets committed or discarded).
    AddOffsetsToTxnRequest {
        correlation_id: u64,
        transactional_id: String,
        producer_id: u64,
        producer_epoch: u16,
        group_id: String,
    },
    AddOffsetsToTxnResponse {
        correlation_id: u64,
        error: Option<KafkaError>,
    },
    /// `sendOffsetsToTransaction()`, second step, to the group coordinator: offsets that count
    /// only if the transaction commits. The member's generation is checked as for a commit
    /// (KIP-447), so a member that left the group cannot commit.
    TxnOffsetCommitRequest {
        correlation_id: u64,
        transactional_id: String,
        group_id: String,
        producer_id: u64,
        producer_epoch: u16,
        generation_id: u32,
        member_id: String,
        offsets: Vec<(TopicPartition, Offset)>,
    },
    TxnOffsetCommitResponse {
        correlation_id: u64,
        error: Option<KafkaError>,
    },
    /// The coordinator asks a partition leader to append a transaction marker.
    WriteTxnMarkersRequest {
        correlation_id: u64,
        producer_id: u64,
        producer_epoch: u16,
        commit: bool,
        partitions: Vec<TopicPartition>,
    },
    WriteTxnMarkersResponse {
        correlation_id: u64,
        producer_id: u64,
        /// Per partition: written (`None`), or why not (`NotLeaderOrFollower`, ...).
        results: Vec<(TopicPartition, Option<KafkaError>)>,
    },
}

impl Message {
    /// The message's name in Kafka's protocol (`ProduceResponse`, ...), as link faults select it.
    pub fn name(&self) -> &'static str {
        match self {
            Message::ProduceRequest { .. } => "ProduceRequest",
            Message::ProduceResponse { .. } => "ProduceResponse",
            Message::FetchRequest { .. } => "FetchRequest",
            Message::FetchResponse { .. } => "FetchResponse",
            Message::ListOffsetsRequest { .. } => "ListOffsetsRequest",
            Message::ListOffsetsResponse { .. } => "ListOffsetsResponse",
            Message::JoinGroupRequest { .. } => "JoinGroupRequest",
            Message::JoinGroupResponse { .. } => "JoinGroupResponse",
            Message::SyncGroupRequest { .. } => "SyncGroupRequest",
            Message::SyncGroupResponse { .. } => "SyncGroupResponse",
            Message::HeartbeatRequest { .. } => "HeartbeatRequest",
            Message::HeartbeatResponse { .. } => "HeartbeatResponse",
            Message::LeaveGroupRequest { .. } => "LeaveGroupRequest",
            Message::LeaveGroupResponse { .. } => "LeaveGroupResponse",
            Message::OffsetCommitRequest { .. } => "OffsetCommitRequest",
            Message::OffsetCommitResponse { .. } => "OffsetCommitResponse",
            Message::OffsetFetchRequest { .. } => "OffsetFetchRequest",
            Message::OffsetFetchResponse { .. } => "OffsetFetchResponse",
            Message::MetadataRequest { .. } => "MetadataRequest",
            Message::MetadataResponse { .. } => "MetadataResponse",
            Message::FindCoordinatorRequest { .. } => "FindCoordinatorRequest",
            Message::FindCoordinatorResponse { .. } => "FindCoordinatorResponse",
            Message::BrokerRegistrationRequest { .. } => "BrokerRegistrationRequest",
            Message::BrokerHeartbeatRequest { .. } => "BrokerHeartbeatRequest",
            Message::MetadataUpdate { .. } => "MetadataUpdate",
            Message::AlterPartitionRequest { .. } => "AlterPartitionRequest",
            Message::AlterPartitionResponse { .. } => "AlterPartitionResponse",
            Message::Disconnected { .. } => "Disconnected",
            Message::InitProducerIdRequest { .. } => "InitProducerIdRequest",
            Message::InitProducerIdResponse { .. } => "InitProducerIdResponse",
            Message::AddPartitionsToTxnRequest { .. } => "AddPartitionsToTxnRequest",
            Message::AddPartitionsToTxnResponse { .. } => "AddPartitionsToTxnResponse",
            Message::EndTxnRequest { .. } => "EndTxnRequest",
            Message::EndTxnResponse { .. } => "EndTxnResponse",
            Message::AddOffsetsToTxnRequest { .. } => "AddOffsetsToTxnRequest",
            Message::AddOffsetsToTxnResponse { .. } => "AddOffsetsToTxnResponse",
            Message::TxnOffsetCommitRequest { .. } => "TxnOffsetCommitRequest",
            Message::TxnOffsetCommitResponse { .. } => "TxnOffsetCommitResponse",
            Message::WriteTxnMarkersRequest { .. } => "WriteTxnMarkersRequest",
            Message::WriteTxnMarkersResponse { .. } => "WriteTxnMarkersResponse",
        }
    }

    /// Every name [`Message::name`] gives, for validating a link fault's `message`.
    pub const NAMES: &'static [&'static str] = &[
        "ProduceRequest",
        "ProduceResponse",
        "FetchRequest",
        "FetchResponse",
        "ListOffsetsRequest",
        "ListOffsetsResponse",
        "JoinGroupRequest",
        "JoinGroupResponse",
        "SyncGroupRequest",
        "SyncGroupResponse",
        "HeartbeatRequest",
        "HeartbeatResponse",
        "LeaveGroupRequest",
        "LeaveGroupResponse",
        "OffsetCommitRequest",
        "OffsetCommitResponse",
        "OffsetFetchRequest",
        "OffsetFetchResponse",
        "MetadataRequest",
        "MetadataResponse",
        "FindCoordinatorRequest",
        "FindCoordinatorResponse",
        "BrokerRegistrationRequest",
        "BrokerHeartbeatRequest",
        "MetadataUpdate",
        "AlterPartitionRequest",
        "AlterPartitionResponse",
        "InitProducerIdRequest",
        "InitProducerIdResponse",
        "AddPartitionsToTxnRequest",
        "AddPartitionsToTxnResponse",
        "EndTxnRequest",
        "EndTxnResponse",
        "AddOffsetsToTxnRequest",
        "AddOffsetsToTxnResponse",
        "TxnOffsetCommitRequest",
        "TxnOffsetCommitResponse",
        "WriteTxnMarkersRequest",
        "WriteTxnMarkersResponse",
    ];
}
