//! Kafka's `RangeAssignor` (clients/src/main/java/org/apache/kafka/clients/consumer/RangeAssignor.java,
//! 4.x), on its rack-unaware path: topic by topic, the subscribed members sorted as `MemberInfo`
//! (static members by `group.instance.id` first, then by member id) each take the next
//! contiguous range of partitions; the first `partitions % members` take one extra.
//! Knows only the [`Group`] it is given.

use super::{Group, Tp};

/// `RangeAssignor.assignPartitions` without racks: one `TopicAssignmentState` per topic of
/// `partitionsPerTopic`, in that map's order (which is the order of each member's list), then
/// `assignRanges` with every partition assignable.
pub(super) fn assign(group: &Group) -> Vec<Vec<Tp>> {
    let mut assignment = vec![Vec::new(); group.len()];
    for (t, topic) in group.topics.iter().enumerate() {
        // consumersPerTopic: members in the order of `subscriptions`, then Collections.sort.
        let mut consumers: Vec<usize> = group.java_order.iter().copied().filter(|&m| group.subscribes(m, t)).collect();
        consumers.sort_by(|&a, &b| group.member_info_cmp(a, b));
        if consumers.is_empty() {
            continue;
        }
        let n = consumers.len() as u32;
        let per_consumer = topic.partitions / n;
        let mut remaining_with_extra = topic.partitions % n;
        // The unassigned partitions are always a suffix: each consumer takes from the front.
        let mut next = 0;
        for m in consumers {
            if next == topic.partitions {
                break;
            }
            // maxAssignable: nothing is assigned to this consumer yet in the rack-unaware pass.
            let max_assignable = per_consumer + u32::from(remaining_with_extra > 0);
            let take = max_assignable.min(topic.partitions - next);
            if take == 0 {
                continue;
            }
            assignment[m].extend((next..next + take).map(|p| (t, p)));
            next += take;
            // onAssigned
            if take > per_consumer {
                remaining_with_extra -= 1;
            }
        }
    }
    assignment
}
