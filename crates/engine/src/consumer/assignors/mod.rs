//! Partition assignors the group leader runs during a rebalance (`partition.assignment.strategy`).
//! They see only the members' subscriptions and the partition counts, never the coordinator.
//!
//! Each strategy is a port of the Kafka 4.x client class it is named after, on its rack-unaware
//! path (StreamLab's brokers and consumers have no `broker.rack` / `client.rack`):
//! `range.rs` is `RangeAssignor`, `round_robin.rs` is `RoundRobinAssignor`, `sticky.rs` is
//! `AbstractStickyAssignor` with `StickyAssignor`'s member data, and `cooperative_sticky.rs` is
//! `CooperativeStickyAssignor`. Where Kafka breaks a tie by the order of a Java `HashMap`, a
//! `TreeSet` or a stable sort, the port reproduces that order (`java.rs`), so that a group gives
//! the same assignment here as on a real cluster, partition for partition.
//!
//! What the port has to assume, or does differently:
//! - the leader fills its `subscriptions` `HashMap` in the JoinGroup response's member order;
//!   [`assign`] takes that to be member id order (member ids that share a hash bucket are then
//!   visited in that order);
//! - Kafka's sticky assignors keep `maxGeneration` in the leader's assignor object from one
//!   rebalance to the next; here each call starts afresh (generations only grow, so they agree
//!   unless a new leader once led with a higher generation);
//! - where Kafka's general sticky path would throw a `NullPointerException` (moving a partition
//!   back to its older-generation owner when that member has been set aside), the port skips
//!   that move;
//! - Kafka's own quirks are kept: a member subscribing to nothing that the leader's map lists
//!   first can get partitions, and so can a member that owned a partition in an older generation
//!   of a topic it no longer subscribes to (see `sticky.rs`).

mod cooperative_sticky;
mod java;
mod range;
mod round_robin;
mod sticky;

#[cfg(test)]
mod kafka_tests;
#[cfg(test)]
mod property_tests;

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Strategy {
    Range,
    RoundRobin,
    Sticky,
    CooperativeSticky,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RebalanceProtocol {
    Eager,
    Cooperative,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Range => "range",
            Strategy::RoundRobin => "roundrobin",
            Strategy::Sticky => "sticky",
            Strategy::CooperativeSticky => "cooperative-sticky",
        }
    }
    pub fn class_name(self) -> &'static str {
        match self {
            Strategy::Range => "org.apache.kafka.clients.consumer.RangeAssignor",
            Strategy::RoundRobin => "org.apache.kafka.clients.consumer.RoundRobinAssignor",
            Strategy::Sticky => "org.apache.kafka.clients.consumer.StickyAssignor",
            Strategy::CooperativeSticky => "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        }
    }
    pub fn parse(s: &str) -> Option<Strategy> {
        [Strategy::Range, Strategy::RoundRobin, Strategy::Sticky, Strategy::CooperativeSticky]
            .into_iter()
            .find(|x| x.name() == s || x.class_name() == s)
    }
    pub fn protocols(self) -> &'static [RebalanceProtocol] {
        match self {
            Strategy::CooperativeSticky => &[RebalanceProtocol::Cooperative, RebalanceProtocol::Eager],
            _ => &[RebalanceProtocol::Eager],
        }
    }
}

/// One member's `JoinGroup` metadata as the leader's assignor reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscription {
    /// Subscribed topic names (order and duplicates do not matter: Kafka's `ConsumerProtocol`
    /// sends them sorted, from a set).
    pub topics: Vec<String>,
    /// The partitions the member owned: `ownedPartitions` for cooperative-sticky, the previous
    /// assignment from `StickyAssignor`'s user data for sticky; the others ignore them. (Order
    /// does not matter for cooperative-sticky; a repeated partition counts once.)
    pub owned_partitions: Vec<(String, u32)>,
    /// The generation they were owned in; `None` is Kafka's `DEFAULT_GENERATION` (-1).
    pub generation_id: Option<i32>,
    /// `group.instance.id` of a static member (KIP-345).
    pub group_instance_id: Option<String>,
}

/// What the leader's assignor for `strategy` returns for one rebalance: every member id mapped
/// to its partitions (maybe none), each list in the order Kafka's assignor builds it
/// (`ConsumerProtocol` then sends it grouped by topic, in order of first appearance).
///
/// Topics missing from `partitions_per_topic` (or with 0 partitions) are skipped, as Kafka
/// skips topics without metadata. Owned partitions of such topics, or with a partition number
/// the topic does not have, are ignored: Kafka never sees them, since partitions only grow.
/// The leader is a member, so Kafka never assigns for an empty group; here that gives an empty
/// map. `members` is read in its own (sorted) order as the order in which the leader's
/// `subscriptions` map was filled from the JoinGroup response.
pub fn assign(
    strategy: Strategy,
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
) -> BTreeMap<String, Vec<(String, u32)>> {
    if members.is_empty() {
        return BTreeMap::new();
    }
    let group = Group::new(partitions_per_topic, members);
    let assignment = match strategy {
        Strategy::Range => range::assign(&group),
        Strategy::RoundRobin => round_robin::assign(&group),
        Strategy::Sticky => sticky::assign(&group),
        Strategy::CooperativeSticky => cooperative_sticky::assign(&group),
    };
    group
        .ids
        .iter()
        .zip(assignment)
        .map(|(id, tps)| {
            let tps = tps.into_iter().map(|(t, p)| (group.topics[t].name.to_string(), p)).collect();
            (id.to_string(), tps)
        })
        .collect()
}

/// A topic partition inside the assignors: (index into [`Group::topics`], partition).
type Tp = (usize, u32);

/// A topic of Kafka's `partitionsPerTopic`: subscribed by some member, known, with partitions.
#[derive(Debug, Clone)]
struct Topic<'a> {
    name: &'a str,
    partitions: u32,
    /// `name.hashCode()`.
    hash: i32,
}

/// The group as Kafka's `AbstractPartitionAssignor.assign(Cluster, GroupSubscription)` hands it
/// to an assignor. A member is its index in `ids`; a topic its index in `topics`.
struct Group<'a> {
    /// Member ids, in the caller's order.
    ids: Vec<&'a str>,
    subscriptions: Vec<&'a Subscription>,
    /// `group.instance.id` per member.
    instance_ids: Vec<Option<&'a str>>,
    /// Each member's subscription as `ConsumerProtocol.deserializeSubscription` gives it:
    /// sorted (Java order), without duplicates; it may name topics that do not exist.
    topic_names: Vec<Vec<&'a str>>,
    /// The iteration order of the leader's `subscriptions` `HashMap` (filled in `ids` order):
    /// `ConsumerCoordinator.onLeaderElected` builds it with `new HashMap<>()`.
    java_order: Vec<usize>,
    /// `partitionsPerTopic`, in the iteration order of its `HashMap`.
    topics: Vec<Topic<'a>>,
    topic_index: BTreeMap<&'a str, usize>,
    /// `subscribed[member][topic]`.
    subscribed: Vec<Vec<bool>>,
    /// Position of each topic when sorted by name in Java order.
    topic_rank: Vec<usize>,
    /// Position of each member when sorted by member id in Java order, and the inverse.
    member_rank: Vec<usize>,
    by_member_rank: Vec<usize>,
}

impl<'a> Group<'a> {
    fn new(partitions_per_topic: &'a BTreeMap<String, u32>, members: &'a BTreeMap<String, Subscription>) -> Self {
        let ids: Vec<&str> = members.keys().map(String::as_str).collect();
        let subscriptions: Vec<&Subscription> = members.values().collect();
        let instance_ids = subscriptions.iter().map(|s| s.group_instance_id.as_deref()).collect();
        let mut by_id = java::JavaHashMap::new();
        for (m, id) in ids.iter().enumerate() {
            by_id.insert(java::string_hash(id), *id, m);
        }
        let java_order: Vec<usize> = by_id.iter().map(|(_, &m)| m).collect();
        let topic_names: Vec<Vec<&str>> = subscriptions
            .iter()
            .map(|s| {
                let mut t: Vec<&str> = s.topics.iter().map(String::as_str).collect();
                t.sort_by(|a, b| java::compare(a, b));
                t.dedup();
                t
            })
            .collect();
        // AbstractPartitionAssignor.assign: allSubscribedTopics (a HashSet) filled member by
        // member, then partitionsPerTopic (a HashMap) from it, for topics with partitions.
        let mut all_subscribed = java::JavaHashMap::new();
        for &m in &java_order {
            for &t in &topic_names[m] {
                all_subscribed.insert(java::string_hash(t), t, ());
            }
        }
        let mut per_topic = java::JavaHashMap::new();
        for &t in all_subscribed.keys() {
            match partitions_per_topic.get_key_value(t) {
                Some((name, &n)) if n > 0 => {
                    per_topic.insert(java::string_hash(t), name.as_str(), n);
                }
                _ => {}
            }
        }
        let topics: Vec<Topic> = per_topic
            .iter()
            .map(|(&name, &partitions)| Topic { name, partitions, hash: java::string_hash(name) })
            .collect();
        let topic_index: BTreeMap<&str, usize> = topics.iter().enumerate().map(|(i, t)| (t.name, i)).collect();
        let subscribed = topic_names
            .iter()
            .map(|names| {
                let mut row = vec![false; topics.len()];
                for n in names {
                    if let Some(&t) = topic_index.get(n) {
                        row[t] = true;
                    }
                }
                row
            })
            .collect();
        let rank = |n: usize, cmp: &dyn Fn(usize, usize) -> Ordering| {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| cmp(a, b));
            let mut rank = vec![0; n];
            for (r, &i) in order.iter().enumerate() {
                rank[i] = r;
            }
            (rank, order)
        };
        let (topic_rank, _) = rank(topics.len(), &|a, b| java::compare(topics[a].name, topics[b].name));
        let (member_rank, by_member_rank) = rank(ids.len(), &|a, b| java::compare(ids[a], ids[b]));
        Group {
            ids,
            subscriptions,
            instance_ids,
            topic_names,
            java_order,
            topics,
            topic_index,
            subscribed,
            topic_rank,
            member_rank,
            by_member_rank,
        }
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn subscribes(&self, member: usize, topic: usize) -> bool {
        self.subscribed[member][topic]
    }

    /// The topics of `partitionsPerTopic` a member subscribes to, in its subscription's order.
    fn member_topics(&self, member: usize) -> Vec<usize> {
        self.topic_names[member].iter().filter_map(|n| self.topic_index.get(n).copied()).collect()
    }

    /// A member's owned partitions in the order given, each once: Kafka's come from a set
    /// (the consumer's assignment), so a repeated one can only be a repetition in the input.
    fn owned_partitions(&self, member: usize) -> Vec<(&'a str, u32)> {
        let mut seen = std::collections::BTreeSet::new();
        self.subscriptions[member]
            .owned_partitions
            .iter()
            .map(|(t, p)| (t.as_str(), *p))
            .filter(|tp| seen.insert(*tp))
            .collect()
    }

    /// A `TopicPartition` of `partitionsPerTopic`, if it is one.
    fn tp(&self, topic: &str, partition: u32) -> Option<Tp> {
        let &t = self.topic_index.get(topic)?;
        (partition < self.topics[t].partitions).then_some((t, partition))
    }

    /// `TopicPartition.hashCode()`.
    fn tp_hash(&self, tp: Tp) -> i32 {
        java::topic_partition_hash(self.topics[tp.0].hash, tp.1)
    }

    /// Topic names compared as `String.compareTo` does.
    fn topic_cmp(&self, a: usize, b: usize) -> Ordering {
        self.topic_rank[a].cmp(&self.topic_rank[b])
    }

    /// Member ids compared as `String.compareTo` does.
    fn member_cmp(&self, a: usize, b: usize) -> Ordering {
        self.member_rank[a].cmp(&self.member_rank[b])
    }

    /// `AbstractPartitionAssignor.MemberInfo.compareTo`: static members (with a
    /// `group.instance.id`) first, by instance id, then dynamic members by member id.
    fn member_info_cmp(&self, a: usize, b: usize) -> Ordering {
        match (self.instance_ids[a], self.instance_ids[b]) {
            (Some(x), Some(y)) => java::compare(x, y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.member_cmp(a, b),
        }
    }

    /// A member's generation; `DEFAULT_GENERATION` (-1) when it has none.
    fn generation(&self, member: usize) -> i32 {
        self.subscriptions[member].generation_id.filter(|&g| g >= 0).unwrap_or(-1)
    }

    /// Members sorted as `Collections.sort(List<MemberInfo>)` sorts the list Kafka builds by
    /// iterating `subscriptions` (a stable sort, though instance ids and member ids are unique).
    fn members_by_member_info(&self) -> Vec<usize> {
        let mut members = self.java_order.clone();
        members.sort_by(|&a, &b| self.member_info_cmp(a, b));
        members
    }
}

/// `List.remove(Object)`: removes the first occurrence, if any.
fn remove_first(list: &mut Vec<Tp>, tp: Tp) -> bool {
    match list.iter().position(|&x| x == tp) {
        Some(i) => {
            list.remove(i);
            true
        }
        None => false,
    }
}
