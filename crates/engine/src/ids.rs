//! Identifier newtypes shared by every node. They carry no behaviour beyond ordering and display.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Index of a node (broker, producer or consumer) in the simulation; the network address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeId(pub u32);

/// A broker's `node.id` (Kafka's `broker.id`), 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BrokerId(pub u32);

/// A partition number within a topic, 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartitionId(pub u32);

/// A position in a partition's log: the offset of a record, or of the next record to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Offset(pub u64);

/// A unique id given to every record a producer creates, so that the ledger can follow it from
/// send to sink. Not part of Kafka's wire format: it stands in for the record's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordId(pub u64);

impl RecordId {
    /// Bits of the id that hold the sequence number; the producer's index is above them.
    const SEQ_BITS: u32 = 40;

    /// The id of the `seq`-th record (from 0) of the producer at `producer` in the scenario.
    pub fn new(producer: u64, seq: u64) -> Self {
        RecordId((producer << Self::SEQ_BITS) | seq)
    }

    /// The index of the producer that created it.
    pub fn producer(self) -> usize {
        (self.0 >> Self::SEQ_BITS) as usize
    }

    /// Its producer's sequence number: for a taxi or bids workload, also its row in the data table.
    pub fn seq(self) -> usize {
        (self.0 & ((1 << Self::SEQ_BITS) - 1)) as usize
    }

    /// The id a transaction marker (a control record) carries: it is no producer's record.
    pub const CONTROL: RecordId = RecordId(u64::MAX);

    /// Whether this is a transaction marker's id.
    pub fn is_control(self) -> bool {
        self == Self::CONTROL
    }
}

/// An interned record key: an index into the simulation's [`crate::workload::KeyTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyId(pub u32);

/// A topic of the scenario: its index in `Scenario::topics`. Names are looked up in the
/// [`crate::catalog::Catalog`] when a line is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicId(pub u32);

/// A consumer group of the scenario: its index in `Scenario::consumer_groups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GroupId(pub u32);

/// A topic and partition number, as Kafka's `TopicPartition`, by id: 8 bytes, `Copy`, compared
/// as two integers. [`crate::catalog::Catalog::partition_name`] renders it as Kafka does,
/// `readings-3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicPartition {
    pub topic: TopicId,
    pub partition: PartitionId,
}

impl TopicPartition {
    /// Partition `partition` of topic `topic`.
    pub fn new(topic: TopicId, partition: u32) -> Self {
        TopicPartition { topic, partition: PartitionId(partition) }
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
