//! What every node shares: the handler context, the effects a handler returns, timers, and the
//! cluster metadata clients start with. Handlers never do IO or touch another node: they record
//! effects in the [`Ctx`], and the `Simulation` applies them.

use crate::broker::BrokerTimer;
use crate::consumer::ConsumerTimer;
use crate::ids::{BrokerId, NodeId, Offset, RecordId, TopicPartition};
use crate::producer::ProducerTimer;
use crate::protocol::{Message, Record};
use crate::sim::{SimRng, SimTime, TraceEvent};
use std::collections::BTreeMap;

/// A timer a node set for itself; it comes back to the same node.
#[derive(Debug, Clone, PartialEq)]
pub enum Timer {
    Broker(BrokerTimer),
    Producer(ProducerTimer),
    Consumer(ConsumerTimer),
}

/// Something a handler asks the simulation to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send {
        to: NodeId,
        msg: Message,
    },
    SetTimer {
        after_ms: u64,
        timer: Timer,
    },
    Trace(TraceEvent),
    /// A fact for the observers (the ledger, the stream application); it changes no node.
    Observe(Observation),
}

/// What nodes tell the observers about records.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// A leader appended these records, the first at `base_offset`.
    Appended { partition: TopicPartition, base_offset: Offset, records: Vec<RecordId> },
    /// A producer learned that these records were acknowledged (with `acks=0`: sent).
    Acked { records: Vec<RecordId> },
    /// A consumer's application finished processing these records of one partition.
    Processed { group_id: String, partition: TopicPartition, records: Vec<(Offset, Record)> },
}

/// The handler context: the current time, the node's own id, the shared RNG, and the list of
/// effects the handler produces.
pub struct Ctx<'a> {
    now: SimTime,
    me: NodeId,
    pub rng: &'a mut SimRng,
    effects: &'a mut Vec<Effect>,
}

impl<'a> Ctx<'a> {
    /// A context for one handler call on node `me` at time `now`; effects go to `effects`.
    pub fn new(now: SimTime, me: NodeId, rng: &'a mut SimRng, effects: &'a mut Vec<Effect>) -> Self {
        Ctx { now, me, rng, effects }
    }

    /// The simulated time of the event being handled.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The node being run.
    pub fn me(&self) -> NodeId {
        self.me
    }

    /// Sends `msg` to node `to` over the simulated network (latency drawn by the network, FIFO per link).
    pub fn send(&mut self, to: NodeId, msg: Message) {
        self.effects.push(Effect::Send { to, msg });
    }

    /// Fires `timer` on this node `after_ms` ms from now.
    pub fn set_timer(&mut self, after_ms: u64, timer: Timer) {
        self.effects.push(Effect::SetTimer { after_ms, timer });
    }

    /// Appends `event` to the trace at the current time.
    pub fn trace(&mut self, event: TraceEvent) {
        self.effects.push(Effect::Trace(event));
    }

    /// Tells the simulation something its bookkeeping (ledger, stream application) needs; not a
    /// message, so it takes no time and no node sees it.
    pub fn observe(&mut self, observation: Observation) {
        self.effects.push(Effect::Observe(observation));
    }
}

/// What a client knows of the cluster when it starts: partition leaders and each broker's
/// address. Real clients learn this from a `MetadataRequest` to a bootstrap server; here it is
/// handed over at start, and a later version will fetch it.
#[derive(Debug, Clone, Default)]
pub struct ClusterMetadata {
    pub brokers: BTreeMap<BrokerId, NodeId>,
    /// Partition count of each topic.
    pub topics: BTreeMap<String, u32>,
    pub leaders: BTreeMap<TopicPartition, BrokerId>,
    /// `offsets.topic.num.partitions` (50): the partitions of `__consumer_offsets`.
    pub offsets_topic_partitions: u32,
}

impl ClusterMetadata {
    /// The node of the leader of `tp`, if the topic partition exists.
    pub fn leader_node(&self, tp: &TopicPartition) -> Option<NodeId> {
        self.leaders.get(tp).and_then(|b| self.brokers.get(b)).copied()
    }

    /// The broker that coordinates `group_id`: the leader of `__consumer_offsets` partition
    /// `abs(javaHashCode(group_id)) % offsets.topic.num.partitions`, as Kafka's
    /// `GroupCoordinator.partitionFor` computes it. Partition `p` of that topic is led by broker
    /// `p % brokers`, as the engine places every topic.
    pub fn coordinator_for(&self, group_id: &str) -> (BrokerId, NodeId) {
        let partition = group_partition(group_id, self.offsets_topic_partitions);
        let n = self.brokers.len() as u32;
        let broker = BrokerId(partition % n.max(1));
        (broker, self.brokers.get(&broker).copied().unwrap_or(NodeId(0)))
    }
}

/// Java's `String.hashCode()` over UTF-16 code units.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// `Utils.abs(groupId.hashCode()) % partitions`; Kafka's `Utils.abs` maps `i32::MIN` to 0.
pub fn group_partition(group_id: &str, partitions: u32) -> u32 {
    let h = java_string_hash(group_id);
    let abs = if h == i32::MIN { 0 } else { h.unsigned_abs() };
    abs % partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_matches_java() {
        // "hello".hashCode() == 99162322 and "polygenelubricants".hashCode() == Integer.MIN_VALUE.
        assert_eq!(java_string_hash("hello"), 99162322);
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        assert_eq!(group_partition("polygenelubricants", 50), 0);
        assert_eq!(group_partition("hello", 50), 99162322 % 50);
    }
}
