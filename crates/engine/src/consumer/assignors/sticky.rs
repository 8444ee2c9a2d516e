//! Kafka's `AbstractStickyAssignor`
//! (clients/src/main/java/org/apache/kafka/clients/consumer/internals/AbstractStickyAssignor.java,
//! 4.x) on its rack-unaware path, shared by `sticky` and `cooperative-sticky`, and the member data
//! of `StickyAssignor` (clients/src/main/java/org/apache/kafka/clients/consumer/StickyAssignor.java).
//!
//! One call first settles who owned what (`allSubscriptionsEqual`: the highest generation wins
//! a partition claimed twice, two claims in the same generation cancel each other), then takes
//! one of two paths: when every member subscribes to the same topics, the
//! `ConstrainedAssignmentBuilder` (members keep up to their quota of owned partitions, the rest
//! is dealt round-robin to the members still under quota); otherwise the
//! `GeneralAssignmentBuilder` (keep what is still subscribed, give each new partition to the
//! least-loaded subscriber, then move partitions until balanced, preferring to undo earlier
//! moves). Knows only the [`Group`] it is given.
//!
//! Kept from Kafka although surprising: `allSubscriptionsEqual` compares subscriptions with the
//! first non-empty one, so members subscribing to nothing that come before it are dealt
//! partitions by the constrained path; and the general path moves a partition back to the member
//! that owned it in an older generation without checking that the member still subscribes to
//! its topic (the consumer then finds the assignment does not match its subscription and
//! rejoins).

use super::java::JavaHashMap;
use super::{remove_first, Group, Tp};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// What one `AbstractStickyAssignor.assignPartitions` call leaves behind.
pub(super) struct Outcome {
    /// Each member's partitions (`currentAssignment` / `assignment` in Kafka).
    pub(super) assignment: Vec<Vec<Tp>>,
    /// `partitionsTransferringOwnership`: partitions newly given to a member while another must
    /// first revoke them; `None` after the general path, which leaves it to the cooperative
    /// assignor to compute.
    pub(super) transferring: Option<BTreeMap<Tp, usize>>,
}

/// `StickyAssignor.assign`: the eager sticky assignor returns the core's assignment as it is.
pub(super) fn assign(group: &Group) -> Vec<Vec<Tp>> {
    let owned: Vec<Vec<Tp>> = (0..group.len()).map(|m| member_data(group, m)).collect();
    assign_partitions(group, &owned).assignment
}

/// `StickyAssignor.memberData`: the previous assignment and its generation come back in the
/// subscription's user data, serialized by `CollectionUtils.groupPartitionsByTopic` into a
/// `HashMap<String, List<Integer>>`, so they arrive grouped by topic in that map's order.
fn member_data(group: &Group, member: usize) -> Vec<Tp> {
    let mut by_topic: JavaHashMap<&str, Vec<u32>> = JavaHashMap::new();
    for (topic, p) in group.owned_partitions(member) {
        let hash = super::java::string_hash(topic);
        match by_topic.get_mut(hash, &topic) {
            Some(list) => list.push(p),
            None => {
                by_topic.insert(hash, topic, vec![p]);
            }
        }
    }
    by_topic.iter().flat_map(|(topic, ps)| ps.iter().filter_map(|&p| group.tp(topic, p))).collect()
}

/// `AbstractStickyAssignor.assignPartitions` for members whose member data (`owned`, per
/// member, in the order it arrives) is given; generations come from [`Group::generation`].
pub(super) fn assign_partitions(group: &Group, owned: &[Vec<Tp>]) -> Outcome {
    let mut consumer_owned = vec![Vec::new(); group.len()];
    let mut multiple_owners = BTreeSet::new();
    let (all_equal, max_generation) = all_subscriptions_equal(group, owned, &mut consumer_owned, &mut multiple_owners);
    if all_equal {
        constrained_assign(group, consumer_owned, &multiple_owners)
    } else {
        GeneralAssignment::new(group, consumer_owned).build(owned, max_generation)
    }
}

/// `allSubscriptionsEqual`: whether every member subscribes to the same topics (compared with
/// the first member whose subscription is not empty: a member subscribing to nothing that
/// comes before it in `subscriptions` order is not compared, as in Kafka), and each member's
/// previously owned partitions with conflicting claims settled, in `subscriptions` order:
/// a later claim in a higher generation takes the partition, in a lower one it is dropped, in
/// the same one both lose it and it goes to `multiple_owners`. Returns the highest generation.
fn all_subscriptions_equal(
    group: &Group,
    owned: &[Vec<Tp>],
    consumer_owned: &mut [Vec<Tp>],
    multiple_owners: &mut BTreeSet<Tp>,
) -> (bool, i32) {
    let mut all_equal = true;
    let mut subscribed: BTreeSet<&str> = BTreeSet::new();
    let mut previous_owner: BTreeMap<Tp, usize> = BTreeMap::new();
    let mut max_generation = -1;
    for &m in &group.java_order {
        let topics = &group.topic_names[m];
        if subscribed.is_empty() {
            subscribed.extend(topics.iter().copied());
        } else if all_equal && !(topics.len() == subscribed.len() && topics.iter().all(|t| subscribed.contains(t))) {
            all_equal = false;
        }
        let generation = group.generation(m);
        max_generation = max_generation.max(generation);
        for &tp in &owned[m] {
            match previous_owner.get(&tp).copied() {
                None => {
                    consumer_owned[m].push(tp);
                    previous_owner.insert(tp, m);
                }
                Some(other) => {
                    let other_generation = group.generation(other);
                    if generation == other_generation {
                        multiple_owners.insert(tp);
                        remove_first(&mut consumer_owned[other], tp);
                        previous_owner.insert(tp, m);
                    } else if generation > other_generation {
                        consumer_owned[m].push(tp);
                        remove_first(&mut consumer_owned[other], tp);
                        previous_owner.insert(tp, m);
                    }
                }
            }
        }
    }
    (all_equal, max_generation)
}

/// The partitions of `partitionsPerTopic`, topics sorted by name, that are not in `assigned`
/// (`ConstrainedAssignmentBuilder.getUnassignedPartitions`; its two-pointer walk gives this
/// because `assigned` holds each partition at most once, all of them valid).
fn unassigned_sorted(group: &Group, assigned: &[Tp]) -> Vec<Tp> {
    let assigned: BTreeSet<Tp> = assigned.iter().copied().collect();
    let mut topics: Vec<usize> = (0..group.topics.len()).collect();
    topics.sort_by(|&a, &b| group.topic_cmp(a, b));
    topics
        .into_iter()
        .flat_map(|t| (0..group.topics[t].partitions).map(move |p| (t, p)))
        .filter(|tp| !assigned.contains(tp))
        .collect()
}

/// `ConstrainedAssignmentBuilder.build` (all subscriptions equal), without racks.
fn constrained_assign(group: &Group, consumer_owned: Vec<Vec<Tp>>, multiple_owners: &BTreeSet<Tp>) -> Outcome {
    let members = group.len();
    let total: usize = group.topics.iter().map(|t| t.partitions as usize).sum();
    let min_quota = total / members;
    let max_quota = total.div_ceil(members);
    let expected_over_min = total % members;
    let mut current_over_min = 0;
    let mut assignment: Vec<Vec<Tp>> = vec![Vec::new(); members];
    let mut assigned = Vec::new();
    let mut revoked = BTreeSet::new();
    let mut under_min: Vec<usize> = Vec::new();
    let mut exactly_min: VecDeque<usize> = VecDeque::new();

    // assignOwnedPartitions, in the order of consumerToOwnedPartitions: a HashMap filled in
    // `subscriptions` order with the same keys, hence iterated in that same order.
    for &m in &group.java_order {
        let mut owned = consumer_owned[m].clone();
        owned.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| group.topic_cmp(a.0, b.0)));
        for &tp in multiple_owners {
            remove_first(&mut owned, tp);
        }
        if owned.len() < min_quota {
            assignment[m].extend_from_slice(&owned);
            assigned.extend_from_slice(&owned);
            under_min.push(m);
        } else if owned.len() >= max_quota && current_over_min < expected_over_min {
            current_over_min += 1;
            if current_over_min == expected_over_min {
                exactly_min.clear();
            }
            assignment[m].extend_from_slice(&owned[..max_quota]);
            assigned.extend_from_slice(&owned[..max_quota]);
            revoked.extend(owned[max_quota..].iter().copied());
        } else {
            assignment[m].extend_from_slice(&owned[..min_quota]);
            assigned.extend_from_slice(&owned[..min_quota]);
            revoked.extend(owned[min_quota..].iter().copied());
            if current_over_min < expected_over_min {
                exactly_min.push_back(m);
            }
        }
    }

    let unassigned = unassigned_sorted(group, &assigned);
    under_min.sort_by(|&a, &b| group.member_cmp(a, b));
    exactly_min.make_contiguous().sort_by(|&a, &b| group.member_cmp(a, b));

    // assignRoundRobin: `under_min` is a LinkedList walked by an iterator that can remove the
    // member it returned last; `next` and `last_returned` are that iterator.
    let mut transferring = BTreeMap::new();
    let mut next = 0;
    let mut last_returned: Option<usize> = None;
    for &tp in &unassigned {
        let consumer = if next < under_min.len() {
            last_returned = Some(next);
            next += 1;
            under_min[next - 1]
        } else if under_min.is_empty() {
            match exactly_min.pop_front() {
                Some(c) => c,
                // Kafka throws IllegalStateException("No more unfilled consumers to be
                // assigned."); the quotas add up to the partitions, so it cannot happen.
                None => break,
            }
        } else {
            next = 1;
            last_returned = Some(0);
            under_min[0]
        };
        // assignNewPartition
        assignment[consumer].push(tp);
        if revoked.contains(&tp) || multiple_owners.contains(&tp) {
            transferring.insert(tp, consumer);
        }
        // (Kafka also counts the members reaching maxQuota here, only to log an error if the
        // last of them is filled before the last partition.)
        if assignment[consumer].len() == min_quota {
            if let Some(i) = last_returned.take() {
                under_min.remove(i);
                next -= 1;
            }
            exactly_min.push_back(consumer);
        }
    }
    Outcome { assignment, transferring: Some(transferring) }
}

/// A `ConsumerPair`: (from member, to member).
type ConsumerPair = (usize, usize);

/// The moved partitions of one topic, by the pair of members they moved between, each set a
/// Java `HashSet` (`getTheActualPartitionToBeMoved` takes its first element).
type TopicMovements = BTreeMap<ConsumerPair, JavaHashMap<Tp, ()>>;

/// `PartitionMovements`: which partitions moved between which members during the general
/// path's balancing, so that a move can undo an earlier one instead of adding another.
#[derive(Default)]
struct PartitionMovements {
    /// `partitionMovementsByTopic`.
    by_topic: BTreeMap<usize, TopicMovements>,
    /// `partitionMovements`: each moved partition's (original owner, current owner).
    movements: BTreeMap<Tp, ConsumerPair>,
}

impl PartitionMovements {
    fn remove_movement_record(&mut self, group: &Group, tp: Tp) -> Option<ConsumerPair> {
        let pair = self.movements.remove(&tp)?;
        if let Some(for_topic) = self.by_topic.get_mut(&tp.0) {
            if let Some(set) = for_topic.get_mut(&pair) {
                set.remove(group.tp_hash(tp), &tp);
                if set.is_empty() {
                    for_topic.remove(&pair);
                }
            }
            if for_topic.is_empty() {
                self.by_topic.remove(&tp.0);
            }
        }
        Some(pair)
    }

    fn add_movement_record(&mut self, group: &Group, tp: Tp, pair: ConsumerPair) {
        self.movements.insert(tp, pair);
        self.by_topic.entry(tp.0).or_default().entry(pair).or_insert_with(JavaHashMap::new).insert(
            group.tp_hash(tp),
            tp,
            (),
        );
    }

    fn move_partition(&mut self, group: &Group, tp: Tp, old: usize, new: usize) {
        if self.movements.contains_key(&tp) {
            // It moved before: record it as one move from its original owner, or none at all
            // if it goes back there.
            if let Some((src, _)) = self.remove_movement_record(group, tp) {
                if src != new {
                    self.add_movement_record(group, tp, (src, new));
                }
            }
        } else {
            self.add_movement_record(group, tp, (old, new));
        }
    }

    /// `getTheActualPartitionToBeMoved`: rather than move `tp` from `old` to `new`, move back a
    /// partition of the same topic that earlier moved from `new` to `old`, if there is one.
    fn actual_partition_to_move(&self, tp: Tp, old: usize, new: usize) -> Tp {
        let Some(for_topic) = self.by_topic.get(&tp.0) else { return tp };
        let old = self.movements.get(&tp).map_or(old, |&(src, _)| src);
        match for_topic.get(&(new, old)).and_then(|set| set.keys().next()) {
            Some(&first) => first,
            None => tp,
        }
    }
}

/// `GeneralAssignmentBuilder` (subscriptions differ), without racks.
struct GeneralAssignment<'g, 'a> {
    group: &'g Group<'a>,
    /// `topic2AllPotentialConsumers`, members in `subscriptions` order.
    topic_consumers: Vec<Vec<usize>>,
    /// `consumer2AllPotentialTopics`.
    consumer_topics: Vec<Vec<usize>>,
    /// `currentAssignment`; `None` while a member's assignment is set aside as fixed.
    current: Vec<Option<Vec<Tp>>>,
    /// `currentPartitionConsumer`, indexed by [`Self::slot`].
    owner: Vec<Option<usize>>,
    /// Where each topic's partitions start in `owner`.
    first_slot: Vec<usize>,
    /// `sortedAllPartitions`: topics by number of potential consumers, then name.
    sorted_all: Vec<Tp>,
    /// `sortedCurrentSubscriptions`, a TreeSet ordered by (assigned count, member id), kept as
    /// (count, member rank); a member is removed before its count changes and put back after.
    sorted: BTreeSet<(usize, usize)>,
    revocation_required: bool,
    movements: PartitionMovements,
    total: usize,
}

impl<'g, 'a> GeneralAssignment<'g, 'a> {
    fn new(group: &'g Group<'a>, consumer_owned: Vec<Vec<Tp>>) -> Self {
        let topic_consumers: Vec<Vec<usize>> = (0..group.topics.len())
            .map(|t| group.java_order.iter().copied().filter(|&m| group.subscribes(m, t)).collect())
            .collect();
        let consumer_topics: Vec<Vec<usize>> = (0..group.len()).map(|m| group.member_topics(m)).collect();
        let mut first_slot = Vec::with_capacity(group.topics.len());
        let mut slots = 0;
        for t in &group.topics {
            first_slot.push(slots);
            slots += t.partitions as usize;
        }
        let mut owner = vec![None; slots];
        for (m, list) in consumer_owned.iter().enumerate() {
            for &(t, p) in list {
                owner[first_slot[t] + p as usize] = Some(m);
            }
        }
        let mut topics: Vec<usize> = (0..group.topics.len()).collect();
        topics.sort_by(|&a, &b| {
            topic_consumers[a].len().cmp(&topic_consumers[b].len()).then_with(|| group.topic_cmp(a, b))
        });
        let sorted_all = topics.iter().flat_map(|&t| (0..group.topics[t].partitions).map(move |p| (t, p))).collect();
        GeneralAssignment {
            group,
            topic_consumers,
            consumer_topics,
            current: consumer_owned.into_iter().map(Some).collect(),
            owner,
            first_slot,
            sorted_all,
            sorted: BTreeSet::new(),
            revocation_required: false,
            movements: PartitionMovements::default(),
            total: group.topics.iter().map(|t| t.partitions as usize).sum(),
        }
    }

    /// A partition's index in `owner`.
    fn slot(&self, tp: Tp) -> usize {
        self.first_slot[tp.0] + tp.1 as usize
    }

    fn owner_of(&self, tp: Tp) -> Option<usize> {
        self.owner[self.slot(tp)]
    }

    fn count(&self, member: usize) -> Option<usize> {
        self.current[member].as_ref().map(Vec::len)
    }

    fn key(&self, member: usize) -> (usize, usize) {
        (self.count(member).unwrap_or(0), self.group.member_rank[member])
    }

    fn build(mut self, owned: &[Vec<Tp>], max_generation: i32) -> Outcome {
        let previous = self.prepopulate_current_assignments(owned, max_generation);
        let assigned = self.assign_owned_partitions();
        let unassigned: Vec<Tp> = if assigned.is_empty() {
            self.sorted_all.clone()
        } else {
            let assigned: BTreeSet<Tp> = assigned.into_iter().collect();
            self.sorted_all.iter().copied().filter(|tp| !assigned.contains(tp)).collect()
        };
        for m in 0..self.group.len() {
            let key = self.key(m);
            self.sorted.insert(key);
        }
        self.balance(&previous, unassigned);
        let assignment = self.current.into_iter().map(Option::unwrap_or_default).collect();
        Outcome { assignment, transferring: None }
    }

    /// `prepopulateCurrentAssignments`: for each partition, the member of the highest generation
    /// below `max_generation` that claimed it (the first such in `subscriptions` order on a
    /// tie), from the raw member data.
    fn prepopulate_current_assignments(&self, owned: &[Vec<Tp>], max_generation: i32) -> BTreeMap<Tp, (usize, i32)> {
        let mut previous: BTreeMap<Tp, (usize, i32)> = BTreeMap::new();
        for &m in &self.group.java_order {
            let generation = self.group.generation(m);
            if generation >= max_generation {
                continue;
            }
            for &tp in &owned[m] {
                match previous.get(&tp) {
                    Some(&(_, g)) if generation <= g => {}
                    _ => {
                        previous.insert(tp, (m, generation));
                    }
                }
            }
        }
        previous
    }

    /// `assignOwnedPartitions`: drops owned partitions of topics the member no longer
    /// subscribes to (which requires a revocation) and returns those it keeps. As in Kafka,
    /// `currentPartitionConsumer` still names it for the dropped ones until they are reassigned.
    fn assign_owned_partitions(&mut self) -> Vec<Tp> {
        let mut assigned = Vec::new();
        for m in 0..self.group.len() {
            let Some(list) = self.current[m].as_mut() else { continue };
            let before = list.len();
            list.retain(|tp| self.group.subscribes(m, tp.0));
            if list.len() != before {
                self.revocation_required = true;
            }
            assigned.extend_from_slice(list);
        }
        assigned
    }

    /// `getMaxAssignmentSize`.
    fn max_assignment_size(&self, member: usize) -> usize {
        let topics = &self.consumer_topics[member];
        if topics.len() == self.group.topics.len() {
            self.total
        } else {
            topics.iter().map(|&t| self.group.topics[t].partitions as usize).sum()
        }
    }

    /// `isBalanced`: the counts differ by at most one, or no member could take a partition it
    /// may have from a member with two or more partitions more.
    fn is_balanced(&self) -> bool {
        let (Some(&(min, _)), Some(&(max, _))) = (self.sorted.first(), self.sorted.last()) else { return true };
        if min + 1 >= max {
            return true;
        }
        // Kafka maps each partition to its member afresh here; `owner` is that map, kept up to
        // date by every move (and complete since every unassigned partition was assigned).
        for &(count, rank) in &self.sorted {
            let m = self.group.by_member_rank[rank];
            if count == self.max_assignment_size(m) {
                continue;
            }
            for &t in &self.consumer_topics[m] {
                for p in 0..self.group.topics[t].partitions {
                    let tp = (t, p);
                    let Some(other) = self.owner_of(tp) else { continue };
                    if other == m {
                        continue;
                    }
                    if self.count(other).is_some_and(|other_count| count + 1 < other_count) {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// `getBalanceScore`: the sum over pairs of members of the difference of their counts.
    fn balance_score(assignment: &[Option<Vec<Tp>>]) -> usize {
        let counts: Vec<usize> = assignment.iter().flatten().map(Vec::len).collect();
        let mut score = 0;
        for (i, a) in counts.iter().enumerate() {
            for b in &counts[i + 1..] {
                score += a.abs_diff(*b);
            }
        }
        score
    }

    /// `maybeAssignPartition` without racks: to the first member in `sorted` order that
    /// subscribes to its topic.
    fn maybe_assign_partition(&mut self, tp: Tp) -> bool {
        let found = self
            .sorted
            .iter()
            .map(|&(_, rank)| self.group.by_member_rank[rank])
            .find(|&m| self.consumer_topics[m].contains(&tp.0) && self.current[m].is_some());
        let Some(m) = found else { return false };
        let key = self.key(m);
        self.sorted.remove(&key);
        if let Some(list) = self.current[m].as_mut() {
            list.push(tp);
        }
        let slot = self.slot(tp);
        self.owner[slot] = Some(m);
        let key = self.key(m);
        self.sorted.insert(key);
        true
    }

    fn can_topic_participate_in_reassignment(&self, topic: usize) -> bool {
        self.topic_consumers[topic].len() >= 2
    }

    fn can_consumer_participate_in_reassignment(&self, member: usize) -> bool {
        let Some(list) = self.current[member].as_ref() else { return false };
        if list.len() < self.max_assignment_size(member) {
            return true;
        }
        list.iter().any(|tp| self.can_topic_participate_in_reassignment(tp.0))
    }

    /// `balance`.
    fn balance(&mut self, previous: &BTreeMap<Tp, (usize, i32)>, mut unassigned: Vec<Tp>) {
        let initializing = match self.sorted.last() {
            Some(&(_, rank)) => self.count(self.group.by_member_rank[rank]) == Some(0),
            None => true,
        };
        // maybeAssign(unassigned, null, false): every topic here has a potential consumer.
        for &tp in &unassigned {
            if !self.topic_consumers[tp.0].is_empty() {
                self.maybe_assign_partition(tp);
            }
        }

        // Only partitions of topics with two or more potential consumers can move.
        let fixed_partition = |this: &Self, tp: &Tp| !this.can_topic_participate_in_reassignment(tp.0);
        let sorted_all: Vec<Tp> = self.sorted_all.iter().copied().filter(|tp| !fixed_partition(self, tp)).collect();
        self.sorted_all = sorted_all;
        unassigned.retain(|tp| !fixed_partition(self, tp));

        // Only members that could gain or lose a partition take part; the others are set aside.
        let mut fixed_assignments = Vec::new();
        for m in 0..self.group.len() {
            if !self.can_consumer_participate_in_reassignment(m) {
                let key = self.key(m);
                self.sorted.remove(&key);
                fixed_assignments.push((m, self.current[m].take()));
            }
        }

        let pre_balance_assignment = self.current.clone();
        let pre_balance_owner = self.owner.clone();
        if !self.revocation_required {
            self.perform_reassignments(&unassigned, previous);
        }
        let sorted_all = self.sorted_all.clone();
        let reassignment_performed = self.perform_reassignments(&sorted_all, previous);
        // Keep the moves only if they made the assignment more balanced.
        if !initializing
            && reassignment_performed
            && Self::balance_score(&self.current) >= Self::balance_score(&pre_balance_assignment)
        {
            self.current = pre_balance_assignment;
            self.owner = pre_balance_owner;
        }
        for (m, list) in fixed_assignments {
            self.current[m] = list;
        }
        // Kafka puts the fixed members back into sortedCurrentSubscriptions here; nothing reads
        // it afterwards.
    }

    /// `performReassignments`: passes over `partitions` until one pass moves nothing, each pass
    /// stopping as soon as the assignment is balanced.
    fn perform_reassignments(&mut self, partitions: &[Tp], previous: &BTreeMap<Tp, (usize, i32)>) -> bool {
        let mut reassignment_performed = false;
        loop {
            let mut modified = false;
            for &tp in partitions {
                if self.is_balanced() {
                    break;
                }
                let Some(consumer) = self.owner_of(tp) else { continue };
                let Some(consumer_count) = self.count(consumer) else { continue };
                // Move it back to the member that had it in an earlier generation if that member
                // has two or more fewer partitions. (Kafka does not check that that member still
                // subscribes to the topic; when it has been set aside as fixed, Kafka throws a
                // NullPointerException, and this port skips the rule instead.)
                if let Some(&(previous_owner, _)) = previous.get(&tp) {
                    if self.count(previous_owner).is_some_and(|c| consumer_count > c + 1) {
                        self.reassign_partition_to(tp, previous_owner);
                        reassignment_performed = true;
                        modified = true;
                        continue;
                    }
                }
                let better_suited = self.topic_consumers[tp.0]
                    .iter()
                    .any(|&other| self.count(other).is_some_and(|c| consumer_count > c + 1));
                if better_suited {
                    self.reassign_partition(tp);
                    reassignment_performed = true;
                    modified = true;
                }
            }
            if !modified {
                return reassignment_performed;
            }
        }
    }

    /// `reassignPartition(partition)`: to the least-loaded member subscribed to its topic.
    fn reassign_partition(&mut self, tp: Tp) {
        let new = self
            .sorted
            .iter()
            .map(|&(_, rank)| self.group.by_member_rank[rank])
            .find(|&m| self.consumer_topics[m].contains(&tp.0));
        if let Some(new) = new {
            self.reassign_partition_to(tp, new);
        }
    }

    /// `reassignPartition(partition, newConsumer)`.
    fn reassign_partition_to(&mut self, tp: Tp, new: usize) {
        let Some(old) = self.owner_of(tp) else { return };
        let to_move = self.movements.actual_partition_to_move(tp, old, new);
        self.process_partition_movement(to_move, new);
    }

    /// `processPartitionMovement`.
    fn process_partition_movement(&mut self, tp: Tp, new: usize) {
        let Some(old) = self.owner_of(tp) else { return };
        if self.current[old].is_none() || self.current[new].is_none() {
            return;
        }
        let (old_key, new_key) = (self.key(old), self.key(new));
        self.sorted.remove(&old_key);
        self.sorted.remove(&new_key);
        self.movements.move_partition(self.group, tp, old, new);
        if let Some(list) = self.current[old].as_mut() {
            remove_first(list, tp);
        }
        if let Some(list) = self.current[new].as_mut() {
            list.push(tp);
        }
        let slot = self.slot(tp);
        self.owner[slot] = Some(new);
        let (old_key, new_key) = (self.key(old), self.key(new));
        self.sorted.insert(new_key);
        self.sorted.insert(old_key);
    }
}
