//! The protocol messages nodes exchange over the simulated network, named as in Kafka's wire
//! protocol (`ProduceRequest`, `FetchResponse`, `JoinGroupRequest`, ...), and Kafka's error codes.
//! Only the fields the simulation needs are carried.

use crate::config::Acks;
use crate::ids::{KeyId, Offset, RecordId, TopicPartition};
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
        }
    }
}

/// Which offset a `ListOffsetsRequest` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
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
}

/// A member's entry in the leader's JoinGroupResponse: its id and subscribed topics.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinGroupMember {
    pub member_id: String,
    pub topics: Vec<String>,
}

/// Every protocol message. Requests carry a `correlation_id` where the sender may have several
/// of the same kind in flight.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    ProduceRequest {
        correlation_id: u64,
        acks: Acks,
        batches: Vec<ProducerBatch>,
    },
    ProduceResponse {
        correlation_id: u64,
        results: Vec<ProducePartitionResult>,
    },
    FetchRequest {
        correlation_id: u64,
        max_wait_ms: u64,
        min_bytes: u32,
        max_partition_bytes: u32,
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
        offsets: Vec<(TopicPartition, Offset)>,
    },
    JoinGroupRequest {
        group_id: String,
        /// Empty on a member's first join (KIP-394).
        member_id: String,
        client_id: String,
        session_timeout_ms: u64,
        rebalance_timeout_ms: u64,
        /// The subscription: the consumer protocol's metadata.
        topics: Vec<String>,
    },
    JoinGroupResponse {
        error: Option<KafkaError>,
        generation_id: u32,
        leader: String,
        member_id: String,
        /// Filled for the leader only: every member and its subscription.
        members: Vec<JoinGroupMember>,
    },
    SyncGroupRequest {
        group_id: String,
        generation_id: u32,
        member_id: String,
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
    },
    HeartbeatResponse {
        error: Option<KafkaError>,
    },
    LeaveGroupRequest {
        group_id: String,
        member_id: String,
    },
    LeaveGroupResponse {
        error: Option<KafkaError>,
    },
    OffsetCommitRequest {
        correlation_id: u64,
        group_id: String,
        generation_id: u32,
        member_id: String,
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
        offsets: Vec<(TopicPartition, Option<Offset>)>,
    },
}
