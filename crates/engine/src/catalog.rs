//! Names for ids. Hot-path state and trace events carry ids (`TopicId`, `TopicPartition`,
//! `NodeId`, `GroupId`); their text lives here once and is looked up only when a line or a view
//! is rendered. It knows nothing of nodes' behaviour.

use crate::ids::{GroupId, NodeId, PartitionId, TopicId, TopicPartition};

#[derive(Debug, Clone)]
struct TopicInfo {
    name: String,
    /// Each partition's dense index among every partition of every topic: consecutive for
    /// the partitions a topic starts with, at the end for partitions added later.
    slots: Vec<usize>,
    /// Deleted by a `DeleteTopic` command: its id and partitions stay named, nothing uses them.
    deleted: bool,
}

#[derive(Debug, Clone)]
struct NodeInfo {
    name: String,
    group: Option<GroupId>,
}

/// Topic, partition, node and group names of one simulation.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    topics: Vec<TopicInfo>,
    nodes: Vec<NodeInfo>,
    groups: Vec<String>,
    /// The partition at each dense index.
    partition_at: Vec<TopicPartition>,
}

impl Catalog {
    /// Adds a topic with `partitions` partitions; ids are given in order.
    pub fn add_topic(&mut self, name: &str, partitions: u32) -> TopicId {
        let id = TopicId(self.topics.len() as u32);
        self.topics.push(TopicInfo { name: name.to_string(), slots: vec![], deleted: false });
        self.add_partitions(id, partitions);
        id
    }

    /// Grows `topic` to `total` partitions (Kafka's `CreatePartitions`: never fewer); the
    /// new partitions take the next dense indexes.
    pub fn add_partitions(&mut self, topic: TopicId, total: u32) {
        let t = &mut self.topics[topic.0 as usize];
        for p in t.slots.len() as u32..total {
            t.slots.push(self.partition_at.len());
            self.partition_at.push(TopicPartition::new(topic, p));
        }
    }

    /// Marks `topic` deleted: it keeps its id, name and dense indexes.
    pub fn delete_topic(&mut self, topic: TopicId) {
        if let Some(t) = self.topics.get_mut(topic.0 as usize) {
            t.deleted = true;
        }
    }

    /// Topic ids given so far, deleted topics included.
    pub fn topic_ids(&self) -> usize {
        self.topics.len()
    }

    /// Whether `topic` was deleted.
    pub fn is_deleted(&self, topic: TopicId) -> bool {
        self.topics.get(topic.0 as usize).is_some_and(|t| t.deleted)
    }

    /// Adds a consumer group; ids are given in order.
    pub fn add_group(&mut self, name: &str) -> GroupId {
        self.groups.push(name.to_string());
        GroupId(self.groups.len() as u32 - 1)
    }

    /// Names the next node (`NodeId`s are given in order): a broker, or a client with its
    /// `client.id` and, for a consumer, its group.
    pub fn add_node(&mut self, name: &str, group: Option<GroupId>) -> NodeId {
        self.nodes.push(NodeInfo { name: name.to_string(), group });
        NodeId(self.nodes.len() as u32 - 1)
    }

    /// The id of topic `name` (not a deleted one).
    pub fn topic_id(&self, name: &str) -> Option<TopicId> {
        self.topics.iter().position(|t| t.name == name && !t.deleted).map(|i| TopicId(i as u32))
    }

    /// The name of topic `topic` (`?` for an id this catalog never gave).
    pub fn topic_name(&self, topic: TopicId) -> &str {
        self.topics.get(topic.0 as usize).map_or("?", |t| t.name.as_str())
    }

    /// Partitions of `topic` (0 for an unknown id).
    pub fn partitions(&self, topic: TopicId) -> u32 {
        self.topics.get(topic.0 as usize).map_or(0, |t| t.slots.len() as u32)
    }

    /// Every topic id but deleted ones, in the order they were created.
    pub fn topics(&self) -> impl Iterator<Item = TopicId> + '_ {
        (0..self.topics.len() as u32).map(TopicId).filter(|t| !self.is_deleted(*t))
    }

    /// Every partition of every topic, in (topic, partition) order.
    pub fn all_partitions(&self) -> impl Iterator<Item = TopicPartition> + '_ {
        self.topics().flat_map(move |t| (0..self.partitions(t)).map(move |p| TopicPartition::new(t, p)))
    }

    /// Partitions of every topic together: the length of a dense per-partition table.
    pub fn partition_count(&self) -> usize {
        self.partition_at.len()
    }

    /// `tp`'s slot in a dense per-partition table, `0..partition_count()`.
    pub fn partition_index(&self, tp: TopicPartition) -> usize {
        self.topics[tp.topic.0 as usize].slots[tp.partition.0 as usize]
    }

    /// The partition in slot `index` of a dense per-partition table.
    pub fn partition_at(&self, index: usize) -> TopicPartition {
        self.partition_at.get(index).copied().unwrap_or(TopicPartition { topic: TopicId(0), partition: PartitionId(0) })
    }

    /// `readings-3`, as Kafka prints a `TopicPartition`.
    pub fn partition_name(&self, tp: TopicPartition) -> String {
        format!("{}-{}", self.topic_name(tp.topic), tp.partition.0)
    }

    /// The node's name: `broker-0`, or a client's `client.id`.
    pub fn node_name(&self, node: NodeId) -> &str {
        self.nodes.get(node.0 as usize).map_or("?", |n| n.name.as_str())
    }

    /// The node named `name` (`broker-0`, `consumer-g1-2`, ...), if any.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.name == name).map(|i| NodeId(i as u32))
    }

    /// The group of a consumer node.
    pub fn node_group(&self, node: NodeId) -> Option<GroupId> {
        self.nodes.get(node.0 as usize).and_then(|n| n.group)
    }

    /// The `group.id` of `group`.
    pub fn group_name(&self, group: GroupId) -> &str {
        self.groups.get(group.0 as usize).map_or("?", |g| g.as_str())
    }

    /// The id of group `name`.
    pub fn group_id(&self, name: &str) -> Option<GroupId> {
        self.groups.iter().position(|g| g == name).map(|i| GroupId(i as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_partition_indexes_cover_every_topic() {
        let mut c = Catalog::default();
        let a = c.add_topic("a", 3);
        let b = c.add_topic("b", 2);
        assert_eq!(c.partition_count(), 5);
        assert_eq!(c.partition_index(TopicPartition::new(b, 1)), 4);
        assert_eq!(c.partition_at(3), TopicPartition::new(b, 0));
        assert_eq!(c.partition_at(2), TopicPartition::new(a, 2));
        assert_eq!(c.partition_name(TopicPartition::new(b, 1)), "b-1");
        assert_eq!(c.all_partitions().count(), 5);
        c.add_partitions(a, 4);
        assert_eq!(c.partition_index(TopicPartition::new(a, 3)), 5, "an added partition goes at the end");
        assert_eq!(c.partition_at(5), TopicPartition::new(a, 3));
        assert_eq!(c.partition_index(TopicPartition::new(b, 0)), 3, "the others keep their index");
        c.delete_topic(b);
        assert_eq!(c.topic_id("b"), None);
        assert_eq!(c.topic_name(b), "b");
    }
}
