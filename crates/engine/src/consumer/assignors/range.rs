use crate::ids::TopicPartition;
use crate::node::ClusterMetadata;
use std::collections::BTreeMap;

/// Kafka's `RangeAssignor` (without rack awareness): per topic, the subscribed members sorted by
/// member id each take a contiguous range of partitions; the first
/// `partitions % members` members take one extra.
///
/// `members`: member id → subscribed topic names. `metadata`: the topics and their partition
/// counts. Returns every member (even one with nothing) mapped to its partitions, sorted by
/// topic name then partition.
pub fn range_assign(
    members: &BTreeMap<String, Vec<String>>,
    metadata: &ClusterMetadata,
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut out: BTreeMap<String, Vec<TopicPartition>> = members.keys().map(|m| (m.clone(), vec![])).collect();
    let mut topics: Vec<(&str, crate::ids::TopicId)> =
        metadata.topics.iter().enumerate().map(|(i, t)| (t.name.as_str(), crate::ids::TopicId(i as u32))).collect();
    topics.sort();
    for (topic, id) in topics {
        let count = metadata.partitions(id);
        // BTreeMap keys are already sorted by member id, as RangeAssignor sorts them.
        let subscribers: Vec<&String> =
            members.iter().filter(|(_, ts)| ts.iter().any(|t| t == topic)).map(|(m, _)| m).collect();
        if subscribers.is_empty() {
            continue;
        }
        let n = subscribers.len() as u32;
        let per_member = count / n;
        let with_extra = count % n;
        for (i, member) in subscribers.into_iter().enumerate() {
            let i = i as u32;
            let start = per_member * i + i.min(with_extra);
            let len = per_member + u32::from(i < with_extra);
            let list = out.get_mut(member).expect("every member has an entry");
            list.extend((start..start + len).map(|p| TopicPartition::new(id, p)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(ids: &[&str], topics: &[&str]) -> BTreeMap<String, Vec<String>> {
        ids.iter().map(|m| (m.to_string(), topics.iter().map(|t| t.to_string()).collect())).collect()
    }

    fn metadata(topics: &[(&str, u32)]) -> ClusterMetadata {
        let topics = topics
            .iter()
            .map(|(name, n)| crate::node::TopicMetadata {
                name: name.to_string(),
                leaders: vec![Some(crate::ids::BrokerId(0)); *n as usize],
                leader_epochs: vec![0; *n as usize],
            })
            .collect();
        ClusterMetadata { brokers: vec![crate::ids::NodeId(0)], topics }
    }

    /// `t{topic id}-{partition}`: topic 0 prints as `t0`.
    fn names(v: &[TopicPartition]) -> Vec<String> {
        v.iter().map(|tp| format!("t{}-{}", tp.topic.0, tp.partition.0)).collect()
    }

    /// The example from RangeAssignor's Javadoc: C0 and C1, topics t0 and t1 with 3 partitions each.
    #[test]
    fn javadoc_example() {
        let parts = metadata(&[("t0", 3), ("t1", 3)]);
        let a = range_assign(&members(&["C0", "C1"], &["t0", "t1"]), &parts);
        assert_eq!(names(&a["C0"]), ["t0-0", "t0-1", "t1-0", "t1-1"]);
        assert_eq!(names(&a["C1"]), ["t0-2", "t1-2"]);
    }

    #[test]
    fn more_members_than_partitions_leaves_some_idle() {
        let parts = metadata(&[("t", 2)]);
        let a = range_assign(&members(&["a", "b", "c"], &["t"]), &parts);
        assert_eq!(names(&a["a"]), ["t0-0"]);
        assert_eq!(names(&a["b"]), ["t0-1"]);
        assert!(a["c"].is_empty());
    }

    #[test]
    fn seven_partitions_three_members() {
        let parts = metadata(&[("t", 7)]);
        let a = range_assign(&members(&["m1", "m2", "m3"], &["t"]), &parts);
        assert_eq!(names(&a["m1"]), ["t0-0", "t0-1", "t0-2"]);
        assert_eq!(names(&a["m2"]), ["t0-3", "t0-4"]);
        assert_eq!(names(&a["m3"]), ["t0-5", "t0-6"]);
    }
}
