//! What every node shares: the handler context, the effects a handler returns, timers, and the
//! cluster metadata clients start with. Handlers never do IO or touch another node: they record
//! effects in the [`Ctx`], and the `Simulation` applies them.

use crate::broker::{BrokerTimer, ControllerTimer};
use crate::consumer::ConsumerTimer;
use crate::ids::{BrokerId, GroupId, NodeId, Offset, TopicId, TopicPartition};
use crate::producer::ProducerTimer;
use crate::protocol::{Message, Record};
use crate::sim::{SimRng, SimTime, TraceEvent};

/// A timer a node set for itself; it comes back to the same node.
#[derive(Debug, Clone, PartialEq)]
pub enum Timer {
    Broker(BrokerTimer),
    Controller(ControllerTimer),
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
    /// A producer got an acknowledgement for `records`, appended at `base_offset..` of `partition`.
    fn acknowledged(&mut self, partition: TopicPartition, base_offset: Offset, records: &[Record]);

    /// Member `member` of `group` finished processing `records`, which sit at offsets
    /// `base_offset..base_offset + records.len()` of `partition`.
    fn processed(
        &mut self,
        member: NodeId,
        group: GroupId,
        partition: TopicPartition,
        base_offset: Offset,
        records: &[Record],
    );

    /// A member of `group` jumped over `partition`'s offsets `from..to` (`auto.offset.reset=latest`
    /// from 0, or a seek forward): what it had not processed there is skipped, not lost.
    fn skipped(&mut self, group: GroupId, partition: TopicPartition, from: Offset, to: Offset);

    /// A member of `group` sent `record` (at `offset` of `partition`) to the dead-letter queue
    /// after `attempts` failed attempts, the first at `first_attempt_ms`.
    fn dead_lettered(&mut self, _: GroupId, _: TopicPartition, _: Offset, _: &Record, _: u32, _: u64) {}

    /// Member `member` of `group` owns task `task` (an input partition) now and restores its
    /// window store from the changelog before processing it.
    fn restore_started(&mut self, _member: NodeId, _group: GroupId, _task: TopicPartition) {}

    /// Member `member` of `group` read `records` from task `task`'s changelog, up to its end:
    /// the store holds what they say (the latest record of each key wins).
    fn restored(&mut self, _member: NodeId, _group: GroupId, _task: TopicPartition, _records: &[Record]) {}

    /// The changelog records of the windows member `member` of `group` updated since its last
    /// flush, each with its changelog partition (the task's partition number); written before
    /// the commit, as Kafka Streams flushes its record cache then.
    fn flush_store(&mut self, _member: NodeId, _group: GroupId) -> Vec<(u32, Record)> {
        vec![]
    }

    /// A member of `group` finished a batch (a poll's records): one trigger of its sink.
    fn trigger_done(&mut self, _group: GroupId) {}
}

/// An observer that ignores everything, for testing a node alone.
#[derive(Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {
    fn acknowledged(&mut self, _: TopicPartition, _: Offset, _: &[Record]) {}
    fn processed(&mut self, _: NodeId, _: GroupId, _: TopicPartition, _: Offset, _: &[Record]) {}
    fn skipped(&mut self, _: GroupId, _: TopicPartition, _: Offset, _: Offset) {}
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

    /// Tells the observer that a producer's `records` were acknowledged at `base_offset..`.
    pub fn acknowledged(&mut self, partition: TopicPartition, base_offset: Offset, records: &[Record]) {
        self.observer.acknowledged(partition, base_offset, records);
    }

    /// Tells the observer that `group`'s application processed `records` of `partition` from
    /// `base_offset` on.
    pub fn processed(&mut self, group: GroupId, partition: TopicPartition, base_offset: Offset, records: &[Record]) {
        self.observer.processed(self.me, group, partition, base_offset, records);
    }

    /// Tells the observer that a member of `group` finished a batch.
    pub fn trigger_done(&mut self, group: GroupId) {
        self.observer.trigger_done(group);
    }

    /// Tells the observer that this member restores task `task` of `group` now.
    pub fn restore_started(&mut self, group: GroupId, task: TopicPartition) {
        self.observer.restore_started(self.me, group, task);
    }

    /// Hands the observer the changelog records this member read to restore task `task`.
    pub fn restored(&mut self, group: GroupId, task: TopicPartition, records: &[Record]) {
        self.observer.restored(self.me, group, task, records);
    }

    /// The changelog records this member's store must write now (see [`Observer::flush_store`]).
    pub fn flush_store(&mut self, group: GroupId) -> Vec<(u32, Record)> {
        self.observer.flush_store(self.me, group)
    }

    /// Tells the observer that `group` sent `record` to its dead-letter queue.
    pub fn dead_lettered(
        &mut self,
        group: GroupId,
        partition: TopicPartition,
        offset: Offset,
        record: &Record,
        attempts: u32,
        first_attempt_ms: u64,
    ) {
        self.observer.dead_lettered(group, partition, offset, record, attempts, first_attempt_ms);
    }

    /// Tells the observer that `group` jumped over `partition`'s offsets `from..to`.
    pub fn skipped(&mut self, group: GroupId, partition: TopicPartition, from: Offset, to: Offset) {
        self.observer.skipped(group, partition, from, to);
    }
}

/// One topic as clients know it: its name and each partition's leader and leader epoch
/// (`None`: unknown or offline).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TopicMetadata {
    pub name: String,
    /// The leader of partition `p` is `leaders[p]`.
    pub leaders: Vec<Option<BrokerId>>,
    pub leader_epochs: Vec<u32>,
}

/// What a client knows of the cluster: each broker's address (its `bootstrap.servers`), the
/// topics, and, from its last `MetadataResponse`, each partition's leader.
#[derive(Debug, Clone, Default)]
pub struct ClusterMetadata {
    /// The node of broker `b` is `brokers[b]`.
    pub brokers: Vec<NodeId>,
    /// Topic `t` is `topics[t]`.
    pub topics: Vec<TopicMetadata>,
}

impl ClusterMetadata {
    /// The node of the leader of `tp`, if known.
    pub fn leader_node(&self, tp: TopicPartition) -> Option<NodeId> {
        let leader = (*self.topics.get(tp.topic.0 as usize)?.leaders.get(tp.partition.0 as usize)?)?;
        self.brokers.get(leader.0 as usize).copied()
    }

    /// The leader epoch of `tp` the client last heard of.
    pub fn leader_epoch(&self, tp: TopicPartition) -> Option<u32> {
        self.topics.get(tp.topic.0 as usize)?.leader_epochs.get(tp.partition.0 as usize).copied()
    }

    /// Partitions of `topic` (0 if unknown).
    pub fn partitions(&self, topic: TopicId) -> u32 {
        self.topics.get(topic.0 as usize).map_or(0, |t| t.leaders.len() as u32)
    }

    /// The id of the topic called `name`.
    pub fn topic_id(&self, name: &str) -> Option<TopicId> {
        self.topics.iter().position(|t| t.name == name && !name.is_empty()).map(|i| TopicId(i as u32))
    }

    /// Forgets every leader, so that nothing is sent until a MetadataResponse names them.
    pub fn without_leaders(mut self) -> Self {
        for t in &mut self.topics {
            t.leaders.iter_mut().for_each(|l| *l = None);
        }
        self
    }

    /// Takes a MetadataResponse: its topics (new ones added, missing ones deleted: their name
    /// and partitions cleared) and their partitions' leaders. A leader epoch older than the one
    /// known is ignored, as the Java client's `Metadata.updateLatestMetadata` does (KIP-320).
    pub fn update(&mut self, topics: &[(TopicId, String)], partitions: &[(TopicPartition, Option<BrokerId>, u32)]) {
        for t in &mut self.topics {
            if !t.name.is_empty() && !topics.iter().any(|(_, n)| *n == t.name) {
                *t = TopicMetadata::default();
            }
        }
        for (id, name) in topics {
            let i = id.0 as usize;
            if self.topics.len() <= i {
                self.topics.resize_with(i + 1, TopicMetadata::default);
            }
            if self.topics[i].name != *name {
                self.topics[i] = TopicMetadata { name: name.clone(), ..Default::default() };
            }
        }
        for (tp, leader, epoch) in partitions {
            let Some(t) = self.topics.get_mut(tp.topic.0 as usize).filter(|t| !t.name.is_empty()) else { continue };
            let i = tp.partition.0 as usize;
            if t.leaders.len() <= i {
                t.leaders.resize(i + 1, None);
                t.leader_epochs.resize(i + 1, 0);
            }
            if *epoch >= t.leader_epochs[i] {
                t.leaders[i] = *leader;
                t.leader_epochs[i] = *epoch;
            }
        }
    }

    /// The broker at node `node`, if it is one.
    pub fn broker_at(&self, node: NodeId) -> Option<BrokerId> {
        self.brokers.iter().position(|n| *n == node).map(|b| BrokerId(b as u32))
    }
}

/// A client's metadata timers.
#[derive(Debug, Clone, PartialEq)]
pub enum MetadataTimer {
    /// The `retry.backoff.ms` since the last request ran out: a wanted refresh may go.
    Backoff,
    /// A MetadataRequest got no answer within `request.timeout.ms`.
    Timeout { correlation_id: u64 },
    /// `metadata.max.age.ms` after request number `requests`: refresh unless one went since.
    MaxAge { requests: u64 },
}

/// A client's metadata: what it knows, and its MetadataRequests — one in flight at most, to
/// its bootstrap brokers in turn, no sooner than `retry.backoff.ms` after the last (the Java
/// client's `Metadata` and `NetworkClient.DefaultMetadataUpdater`).
#[derive(Debug, Clone)]
pub struct MetadataClient {
    pub cluster: ClusterMetadata,
    in_flight: Option<u64>,
    /// A refresh was asked for while one was in flight or the backoff ran.
    wanted: bool,
    backoff_armed: bool,
    last_request: Option<SimTime>,
    next_bootstrap: usize,
    backoff_ms: u64,
    timeout_ms: u64,
    /// `metadata.max.age.ms`, and the requests sent so far.
    max_age_ms: u64,
    requests: u64,
}

impl MetadataClient {
    /// A client that knows `cluster`'s brokers and topics but no leaders yet; it starts its
    /// bootstrap list at broker `first` (so that clients spread their first requests).
    pub fn new(cluster: &ClusterMetadata, first: usize, backoff_ms: u64, timeout_ms: u64) -> Self {
        MetadataClient {
            cluster: cluster.clone().without_leaders(),
            in_flight: None,
            wanted: false,
            backoff_armed: false,
            last_request: None,
            next_bootstrap: first,
            backoff_ms: backoff_ms.max(1),
            timeout_ms,
            max_age_ms: u64::MAX,
            requests: 0,
        }
    }

    /// Refreshes at least every `ms` (`metadata.max.age.ms`) from the next request on.
    pub fn with_max_age(mut self, ms: u64) -> Self {
        self.max_age_ms = ms.max(1);
        self
    }

    /// Asks for fresh metadata: now if nothing is in flight and the backoff has passed, else
    /// as soon as it may. `correlation_id` is a fresh id of the client's; `wrap` makes its timer.
    pub fn request(&mut self, ctx: &mut Ctx, correlation_id: u64, wrap: fn(MetadataTimer) -> Timer) {
        self.wanted = true;
        if self.in_flight.is_some() || self.cluster.brokers.is_empty() {
            return;
        }
        let now = ctx.now();
        if let Some(last) = self.last_request {
            let ready = last.plus_ms(self.backoff_ms);
            if now < ready {
                if !self.backoff_armed {
                    self.backoff_armed = true;
                    ctx.set_timer(ready.0 - now.0, wrap(MetadataTimer::Backoff));
                }
                return;
            }
        }
        self.wanted = false;
        self.last_request = Some(now);
        let node = self.cluster.brokers[self.next_bootstrap % self.cluster.brokers.len()];
        self.next_bootstrap += 1;
        self.in_flight = Some(correlation_id);
        ctx.send(node, Message::MetadataRequest { correlation_id });
        ctx.set_timer(self.timeout_ms, wrap(MetadataTimer::Timeout { correlation_id }));
        self.requests += 1;
        if self.max_age_ms != u64::MAX {
            ctx.set_timer(self.max_age_ms, wrap(MetadataTimer::MaxAge { requests: self.requests }));
        }
    }

    /// Handles a metadata timer; returns true if a request should be sent now (call
    /// [`MetadataClient::request`]).
    pub fn on_timer(&mut self, t: MetadataTimer) -> bool {
        match t {
            MetadataTimer::Backoff => {
                self.backoff_armed = false;
                self.wanted
            }
            MetadataTimer::Timeout { correlation_id } => {
                if self.in_flight == Some(correlation_id) {
                    self.in_flight = None;
                    return true;
                }
                false
            }
            MetadataTimer::MaxAge { requests } => requests == self.requests,
        }
    }

    /// Takes a MetadataResponse; false if it answers no request in flight.
    pub fn on_response(
        &mut self,
        correlation_id: u64,
        topics: &[(TopicId, String)],
        partitions: &[(TopicPartition, Option<BrokerId>, u32)],
    ) -> bool {
        if self.in_flight != Some(correlation_id) {
            return false;
        }
        self.in_flight = None;
        self.cluster.update(topics, partitions);
        true
    }

    /// The connection to `node` dropped; returns true if the request in flight went to it
    /// and a new one should be sent.
    pub fn on_disconnected(&mut self, node: NodeId) -> bool {
        let asked = self.cluster.brokers.len().max(1);
        let last = self.cluster.brokers.get((self.next_bootstrap + asked - 1) % asked).copied();
        if self.in_flight.is_some() && last == Some(node) {
            self.in_flight = None;
            return true;
        }
        false
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
