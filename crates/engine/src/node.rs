//! What every node shares: the handler context, the effects a handler returns, timers, and the
//! cluster metadata clients start with. Handlers never do IO or touch another node: they record
//! effects in the [`Ctx`], and the `Simulation` applies them.

use crate::broker::BrokerTimer;
use crate::consumer::ConsumerTimer;
use crate::ids::{BrokerId, GroupId, NodeId, Offset, TopicId, TopicPartition};
use crate::producer::ProducerTimer;
use crate::protocol::{Message, Record};
use crate::sim::{SimRng, SimTime, TraceEvent};

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
    Send { to: NodeId, msg: Message },
    SetTimer { after_ms: u64, timer: Timer },
    Trace(TraceEvent),
}

/// The simulation's bookkeeping (the delivery ledger, the stream applications), told facts by
/// nodes as they happen. It changes no node and takes no simulated time, so it is called at
/// once, with the records borrowed, rather than queued as an effect.
pub trait Observer {
    /// A member of `group`'s application finished processing `records`, which sit at offsets
    /// `base_offset..base_offset + records.len()` of `partition`.
    fn processed(&mut self, group: GroupId, partition: TopicPartition, base_offset: Offset, records: &[Record]);
}

/// An observer that ignores everything, for testing a node alone.
#[derive(Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {
    fn processed(&mut self, _: GroupId, _: TopicPartition, _: Offset, _: &[Record]) {}
}

/// The handler context: the current time, the node's own id, the shared RNG, the list of
/// effects the handler produces, and the observer.
pub struct Ctx<'a> {
    now: SimTime,
    me: NodeId,
    pub rng: &'a mut SimRng,
    effects: &'a mut Vec<Effect>,
    observer: &'a mut dyn Observer,
}

impl<'a> Ctx<'a> {
    /// A context for one handler call on node `me` at time `now`; effects go to `effects`,
    /// observations to `observer`.
    pub fn new(
        now: SimTime,
        me: NodeId,
        rng: &'a mut SimRng,
        effects: &'a mut Vec<Effect>,
        observer: &'a mut dyn Observer,
    ) -> Self {
        Ctx { now, me, rng, effects, observer }
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

    /// Tells the observer that `group`'s application processed `records` of `partition` from
    /// `base_offset` on.
    pub fn processed(&mut self, group: GroupId, partition: TopicPartition, base_offset: Offset, records: &[Record]) {
        self.observer.processed(group, partition, base_offset, records);
    }
}

/// One topic as clients know it: its name and each partition's leader.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicMetadata {
    pub name: String,
    /// The leader of partition `p` is `leaders[p]`.
    pub leaders: Vec<BrokerId>,
}

/// What a client knows of the cluster when it starts: partition leaders and each broker's
/// address. Real clients learn this from a `MetadataRequest` to a bootstrap server; here it is
/// handed over at start, and a later version will fetch it.
#[derive(Debug, Clone, Default)]
pub struct ClusterMetadata {
    /// The node of broker `b` is `brokers[b]`.
    pub brokers: Vec<NodeId>,
    /// Topic `t` is `topics[t]`.
    pub topics: Vec<TopicMetadata>,
    /// `offsets.topic.num.partitions` (50): the partitions of `__consumer_offsets`.
    pub offsets_topic_partitions: u32,
}

impl ClusterMetadata {
    /// The node of the leader of `tp`, if the topic partition exists.
    pub fn leader_node(&self, tp: TopicPartition) -> Option<NodeId> {
        let leader = self.topics.get(tp.topic.0 as usize)?.leaders.get(tp.partition.0 as usize)?;
        self.brokers.get(leader.0 as usize).copied()
    }

    /// Partitions of `topic` (0 if unknown).
    pub fn partitions(&self, topic: TopicId) -> u32 {
        self.topics.get(topic.0 as usize).map_or(0, |t| t.leaders.len() as u32)
    }

    /// The id of the topic called `name`.
    pub fn topic_id(&self, name: &str) -> Option<TopicId> {
        self.topics.iter().position(|t| t.name == name).map(|i| TopicId(i as u32))
    }

    /// The broker that coordinates `group_id`: the leader of `__consumer_offsets` partition
    /// `abs(javaHashCode(group_id)) % offsets.topic.num.partitions`, as Kafka's
    /// `GroupCoordinator.partitionFor` computes it. Partition `p` of that topic is led by broker
    /// `p % brokers`, as the engine places every topic.
    pub fn coordinator_for(&self, group_id: &str) -> (BrokerId, NodeId) {
        let partition = group_partition(group_id, self.offsets_topic_partitions);
        let n = self.brokers.len() as u32;
        let broker = BrokerId(partition % n.max(1));
        (broker, self.brokers.get(broker.0 as usize).copied().unwrap_or(NodeId(0)))
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
