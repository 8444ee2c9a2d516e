//! Kafka's `RoundRobinAssignor` (clients/src/main/java/org/apache/kafka/clients/consumer/RoundRobinAssignor.java,
//! 4.x): every partition of every subscribed topic, sorted by topic name then partition, is dealt
//! to the members sorted as `MemberInfo` (static members by `group.instance.id` first, then by
//! member id) in a circle, skipping members not subscribed to the partition's topic.
//! Knows only the [`Group`] it is given.

use super::{java, Group, Tp};

/// `RoundRobinAssignor.assign`.
pub(super) fn assign(group: &Group) -> Vec<Vec<Tp>> {
    let mut assignment = vec![Vec::new(); group.len()];
    // CircularIterator<MemberInfo> over Utils.sorted(memberInfoList); Kafka never gets an empty
    // group (the leader is a member), and a CircularIterator of nothing would throw.
    let members = group.members_by_member_info();
    if members.is_empty() {
        return assignment;
    }
    // allPartitionsSorted: a TreeSet<String> of every subscribed topic, those with metadata.
    let mut topics: Vec<&str> = group.topic_names.iter().flatten().copied().collect();
    topics.sort_by(|a, b| java::compare(a, b));
    topics.dedup();
    let mut next = 0;
    for name in topics {
        let Some(&t) = group.topic_index.get(name) else { continue };
        for p in 0..group.topics[t].partitions {
            // Some member subscribes to `t`, so this ends within one turn of the circle.
            while !group.subscribes(members[next], t) {
                next = (next + 1) % members.len();
            }
            assignment[members[next]].push((t, p));
            next = (next + 1) % members.len();
        }
    }
    assignment
}
