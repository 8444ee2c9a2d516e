//! Kafka's own assignor tests (clients/src/test/java/org/apache/kafka/clients/consumer/
//! RangeAssignorTest, RoundRobinAssignorTest, CooperativeStickyAssignorTest and
//! internals/AbstractStickyAssignorTest, 4.x) and the classes' Javadoc examples, with the
//! expected assignments Kafka asserts. Where Kafka compares lists, so does the test here; where
//! it compares sets (or sorted strings), the test here sorts.

use super::*;
use std::collections::BTreeSet;

fn subscription(topics: &[&str]) -> Subscription {
    Subscription { topics: topics.iter().map(|t| t.to_string()).collect(), ..Subscription::default() }
}

/// "t1-0, t1-3" → [("t1", 0), ("t1", 3)].
fn partitions(list: &str) -> Vec<(String, u32)> {
    list.split(", ")
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (t, p) = s.rsplit_once('-').expect("topic-partition");
            (t.to_string(), p.parse().expect("a partition number"))
        })
        .collect()
}

/// `buildSubscriptionV2Above(topics, owned, generation)`.
fn owning(topics: &[&str], owned: &str, generation: i32) -> Subscription {
    Subscription { owned_partitions: partitions(owned), generation_id: Some(generation), ..subscription(topics) }
}

fn static_member(mut s: Subscription, instance: &str) -> Subscription {
    s.group_instance_id = Some(instance.to_string());
    s
}

type Assignment = BTreeMap<String, Vec<String>>;

fn run(strategy: Strategy, topics: &[(&str, u32)], members: &[(&str, Subscription)]) -> Assignment {
    let partitions_per_topic = topics.iter().map(|(t, n)| (t.to_string(), *n)).collect();
    let members = members.iter().map(|(m, s)| (m.to_string(), s.clone())).collect();
    assign(strategy, &partitions_per_topic, &members)
        .into_iter()
        .map(|(m, tps)| (m, tps.into_iter().map(|(t, p)| format!("{t}-{p}")).collect()))
        .collect()
}

/// The member's list, in the assignor's order.
fn list(a: &Assignment, member: &str) -> Vec<String> {
    a.get(member).cloned().unwrap_or_else(|| panic!("{member} is missing from {a:?}"))
}

/// The member's partitions as Kafka's `toSortedString` prints them.
fn sorted(a: &Assignment, member: &str) -> String {
    let mut v = list(a, member);
    v.sort();
    v.join(", ")
}

fn expect(a: &Assignment, member: &str, expected: &str) {
    assert_eq!(list(a, member).join(", "), expected, "{member} in {a:?}");
}

fn expect_set(a: &Assignment, member: &str, expected: &str) {
    let mut e: Vec<&str> = expected.split(", ").filter(|s| !s.is_empty()).collect();
    e.sort();
    assert_eq!(sorted(a, member), e.join(", "), "{member} in {a:?}");
}

/// The next rebalance's subscriptions: every member owns what it was given, in `generation`.
fn owning_result(topics: &[(&str, &[&str])], a: &Assignment, generation: i32) -> Vec<(String, Subscription)> {
    topics.iter().map(|(m, t)| (m.to_string(), owning(t, &list(a, m).join(", "), generation))).collect()
}

fn as_refs(members: &[(String, Subscription)]) -> Vec<(&str, Subscription)> {
    members.iter().map(|(m, s)| (m.as_str(), s.clone())).collect()
}

const STICKY: [Strategy; 2] = [Strategy::Sticky, Strategy::CooperativeSticky];

// ---- RangeAssignor ----

/// RangeAssignor's Javadoc: C0, C1; t0, t1 with 3 partitions each.
#[test]
fn range_javadoc_example() {
    let a = run(
        Strategy::Range,
        &[("t0", 3), ("t1", 3)],
        &[("C0", subscription(&["t0", "t1"])), ("C1", subscription(&["t0", "t1"]))],
    );
    expect(&a, "C0", "t0-0, t0-1, t1-0, t1-1");
    expect(&a, "C1", "t0-2, t1-2");
}

/// RangeAssignorTest: testOneConsumerNoTopic, testOneConsumerNonexistentTopic,
/// testOneConsumerOneTopic, testOnlyAssignsPartitionsFromSubscribedTopics,
/// testOneConsumerMultipleTopics, and the same tests of RoundRobinAssignorTest and
/// AbstractStickyAssignorTest, which expect the same for every assignor.
#[test]
fn one_consumer_cases_for_every_assignor() {
    for s in [Strategy::Range, Strategy::RoundRobin, Strategy::Sticky, Strategy::CooperativeSticky] {
        let a = run(s, &[], &[("consumer", subscription(&[]))]);
        assert_eq!(a, [("consumer".to_string(), vec![])].into(), "{s:?} testOneConsumerNoTopic");
        let a = run(s, &[], &[("consumer", subscription(&["topic"]))]);
        assert_eq!(a, [("consumer".to_string(), vec![])].into(), "{s:?} testOneConsumerNonexistentTopic");
        let a = run(s, &[("topic", 3)], &[("consumer", subscription(&["topic"]))]);
        expect(&a, "consumer", "topic-0, topic-1, topic-2");
        let a = run(s, &[("topic", 3), ("other", 3)], &[("consumer", subscription(&["topic"]))]);
        expect(&a, "consumer", "topic-0, topic-1, topic-2");
        let a = run(s, &[("topic1", 1), ("topic2", 2)], &[("consumer", subscription(&["topic1", "topic2"]))]);
        expect(&a, "consumer", "topic1-0, topic2-0, topic2-1");
    }
}

/// RangeAssignorTest: testTwoConsumersOneTopicOnePartition, testTwoConsumersOneTopicTwoPartitions,
/// testMultipleConsumersMixedTopics, testTwoConsumersTwoTopicsSixPartitions.
#[test]
fn range_two_and_three_consumers() {
    let both = |n| {
        run(
            Strategy::Range,
            &[("topic1", n)],
            &[("consumer1", subscription(&["topic1"])), ("consumer2", subscription(&["topic1"]))],
        )
    };
    let a = both(1);
    expect(&a, "consumer1", "topic1-0");
    expect(&a, "consumer2", "");
    let a = both(2);
    expect(&a, "consumer1", "topic1-0");
    expect(&a, "consumer2", "topic1-1");
    let a = run(
        Strategy::Range,
        &[("topic1", 3), ("topic2", 2)],
        &[
            ("consumer1", subscription(&["topic1"])),
            ("consumer2", subscription(&["topic1", "topic2"])),
            ("consumer3", subscription(&["topic1"])),
        ],
    );
    expect_set(&a, "consumer1", "topic1-0");
    expect_set(&a, "consumer2", "topic1-1, topic2-0, topic2-1");
    expect_set(&a, "consumer3", "topic1-2");
    let a = run(
        Strategy::Range,
        &[("topic1", 3), ("topic2", 3)],
        &[("consumer1", subscription(&["topic1", "topic2"])), ("consumer2", subscription(&["topic1", "topic2"]))],
    );
    expect_set(&a, "consumer1", "topic1-0, topic1-1, topic2-0, topic2-1");
    expect_set(&a, "consumer2", "topic1-2, topic2-2");
}

/// RangeAssignorTest and RoundRobinAssignorTest: testTwoStaticConsumersTwoTopicsSixPartitions and
/// testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions: "consumer-b" sorts before
/// "consumer-a" because it has the lower (or the only) group.instance.id.
#[test]
fn static_members_sort_by_instance_id_first() {
    let topics = [("topic1", 3), ("topic2", 3)];
    let both = ["topic1", "topic2"];
    let two_static = [
        ("consumer-b", static_member(subscription(&both), "instance1")),
        ("consumer-a", static_member(subscription(&both), "instance2")),
    ];
    let one_static =
        [("consumer-b", static_member(subscription(&both), "instance1")), ("consumer-a", subscription(&both))];
    for members in [&two_static[..], &one_static[..]] {
        let a = run(Strategy::Range, &topics, members);
        expect_set(&a, "consumer-b", "topic1-0, topic1-1, topic2-0, topic2-1");
        expect_set(&a, "consumer-a", "topic1-2, topic2-2");
        let a = run(Strategy::RoundRobin, &topics, members);
        expect(&a, "consumer-b", "topic1-0, topic1-2, topic2-1");
        expect(&a, "consumer-a", "topic1-1, topic2-0, topic2-2");
    }
}

/// RangeAssignorTest: testStaticMemberRangeAssignmentPersistent (list order included: Kafka
/// compares the maps with assertEquals).
#[test]
fn range_static_member_assignment_persistent() {
    let both = ["topic1", "topic2"];
    let mut members: Vec<(&str, Subscription)> = vec![
        ("consumer1", static_member(subscription(&both), "instance1")),
        ("consumer2", static_member(subscription(&both), "instance2")),
        ("consumer3", static_member(subscription(&both), "instance3")),
        ("consumer4", subscription(&both)),
    ];
    let topics = [("topic1", 5), ("topic2", 4)];
    let a = run(Strategy::Range, &topics, &members);
    expect(&a, "consumer1", "topic1-0, topic1-1, topic2-0");
    expect(&a, "consumer2", "topic1-2, topic2-1");
    expect(&a, "consumer3", "topic1-3, topic2-2");
    expect(&a, "consumer4", "topic1-4, topic2-3");
    members[3].0 = "consumer5";
    let a = run(Strategy::Range, &topics, &members);
    expect(&a, "consumer1", "topic1-0, topic1-1, topic2-0");
    expect(&a, "consumer5", "topic1-4, topic2-3");
}

/// RangeAssignorTest and RoundRobinAssignorTest: testStaticMember...PersistentAfterMemberIdChanges:
/// new member ids for the same instances give each instance the same partitions.
#[test]
fn static_member_assignment_persistent_after_member_id_changes() {
    let both = ["topic1", "topic2"];
    let by_instance = |strategy, ids: [&str; 3]| {
        let members: Vec<(&str, Subscription)> = ids
            .iter()
            .zip(["instance1", "instance2", "instance3"])
            .map(|(m, i)| (*m, static_member(subscription(&both), i)))
            .collect();
        let a = run(strategy, &[("topic1", 5), ("topic2", 5)], &members);
        members.iter().map(|(m, s)| (s.group_instance_id.clone().unwrap(), sorted(&a, m))).collect::<BTreeMap<_, _>>()
    };
    let range = by_instance(Strategy::Range, ["consumer1", "consumer2", "consumer3"]);
    assert_eq!(range["instance1"], "topic1-0, topic1-1, topic2-0, topic2-1");
    assert_eq!(range["instance2"], "topic1-2, topic1-3, topic2-2, topic2-3");
    assert_eq!(range["instance3"], "topic1-4, topic2-4");
    assert_eq!(by_instance(Strategy::Range, ["consumer1", "consumer5", "consumer4"]), range);
    let rr = by_instance(Strategy::RoundRobin, ["consumer1", "consumer2", "consumer3"]);
    assert_eq!(rr["instance1"], "topic1-0, topic1-3, topic2-1, topic2-4");
    assert_eq!(rr["instance2"], "topic1-1, topic1-4, topic2-2");
    assert_eq!(rr["instance3"], "topic1-2, topic2-0, topic2-3");
    assert_eq!(by_instance(Strategy::RoundRobin, ["consumer1", "consumer5", "consumer4"]), rr);
}

/// RangeAssignorTest's rack tests, on their rack-unaware expectations (`verifyNonRackAwareAssignment`
/// and the no-rack rows): testRackAwareAssignmentWithUniformSubscription,
/// testRackAwareAssignmentWithNonEqualSubscription, testRackAwareAssignmentWithUniformPartitions,
/// testRackAwareAssignmentWithUniformPartitionsNonEqualSubscription,
/// testRackAwareAssignmentWithCoPartitioning, testCoPartitionedAssignmentWithSameSubscription.
#[test]
fn range_rack_tests_without_racks() {
    let check = |topics: &[(&str, u32)], subscriptions: &[&[&str]], expected: &[&str]| {
        let names: Vec<String> = (0..subscriptions.len()).map(|i| format!("consumer{i}")).collect();
        let members: Vec<(&str, Subscription)> =
            names.iter().zip(subscriptions).map(|(m, t)| (m.as_str(), subscription(t))).collect();
        let a = run(Strategy::Range, topics, &members);
        for (m, e) in names.iter().zip(expected) {
            assert_eq!(&sorted(&a, m), e, "{m}");
        }
    };
    let all3: &[&str] = &["t1", "t2", "t3"];
    let t1_t3: &[&str] = &["t1", "t3"];
    check(
        &[("t1", 6), ("t2", 7), ("t3", 2)],
        &[all3, all3, all3],
        &["t1-0, t1-1, t2-0, t2-1, t2-2, t3-0", "t1-2, t1-3, t2-3, t2-4, t3-1", "t1-4, t1-5, t2-5, t2-6"],
    );
    check(
        &[("t1", 6), ("t2", 7), ("t3", 2)],
        &[all3, all3, t1_t3],
        &["t1-0, t1-1, t2-0, t2-1, t2-2, t2-3, t3-0", "t1-2, t1-3, t2-4, t2-5, t2-6, t3-1", "t1-4, t1-5"],
    );
    check(
        &[("t1", 5), ("t2", 5), ("t3", 5)],
        &[all3, all3, all3],
        &["t1-0, t1-1, t2-0, t2-1, t3-0, t3-1", "t1-2, t1-3, t2-2, t2-3, t3-2, t3-3", "t1-4, t2-4, t3-4"],
    );
    check(
        &[("t1", 5), ("t2", 5), ("t3", 5)],
        &[all3, all3, t1_t3],
        &["t1-0, t1-1, t2-0, t2-1, t2-2, t3-0, t3-1", "t1-2, t1-3, t2-3, t2-4, t3-2, t3-3", "t1-4, t3-4"],
    );
    let t12: &[&str] = &["t1", "t2"];
    let t34: &[&str] = &["t3", "t4"];
    let all4: &[&str] = &["t1", "t2", "t3", "t4"];
    let four = [("t1", 6), ("t2", 6), ("t3", 2), ("t4", 2)];
    check(
        &four,
        &[t12, t12, t34, t34],
        &["t1-0, t1-1, t1-2, t2-0, t2-1, t2-2", "t1-3, t1-4, t1-5, t2-3, t2-4, t2-5", "t3-0, t4-0", "t3-1, t4-1"],
    );
    check(
        &four,
        &[all4, all4, all4, all4],
        &["t1-0, t1-1, t2-0, t2-1, t3-0, t4-0", "t1-2, t1-3, t2-2, t2-3, t3-1, t4-1", "t1-4, t2-4", "t1-5, t2-5"],
    );
    // t7, t8 and t9 have no metadata.
    let nine: &[&str] = &["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"];
    check(
        &[("t1", 6), ("t2", 6), ("t3", 2), ("t4", 2), ("t5", 4), ("t6", 4)],
        &[nine, nine, nine],
        &[
            "t1-0, t1-1, t2-0, t2-1, t3-0, t4-0, t5-0, t5-1, t6-0, t6-1",
            "t1-2, t1-3, t2-2, t2-3, t3-1, t4-1, t5-2, t6-2",
            "t1-4, t1-5, t2-4, t2-5, t5-3, t6-3",
        ],
    );
}

// ---- RoundRobinAssignor ----

/// RoundRobinAssignor's Javadoc: identical subscriptions, then C0: t0; C1: t0, t1; C2: t0, t1, t2.
#[test]
fn round_robin_javadoc_examples() {
    let a = run(
        Strategy::RoundRobin,
        &[("t0", 3), ("t1", 3)],
        &[("C0", subscription(&["t0", "t1"])), ("C1", subscription(&["t0", "t1"]))],
    );
    expect(&a, "C0", "t0-0, t0-2, t1-1");
    expect(&a, "C1", "t0-1, t1-0, t1-2");
    let a = run(
        Strategy::RoundRobin,
        &[("t0", 1), ("t1", 2), ("t2", 3)],
        &[
            ("C0", subscription(&["t0"])),
            ("C1", subscription(&["t0", "t1"])),
            ("C2", subscription(&["t0", "t1", "t2"])),
        ],
    );
    expect(&a, "C0", "t0-0");
    expect(&a, "C1", "t1-0");
    expect(&a, "C2", "t1-1, t2-0, t2-1, t2-2");
    // Static membership: C0, C1, C2 with I0, I1, I2 keep their partitions as C5, C3, C4.
    let three = [("t0", 3), ("t1", 3)];
    let both = ["t0", "t1"];
    let a = run(
        Strategy::RoundRobin,
        &three,
        &[
            ("C5", static_member(subscription(&both), "I0")),
            ("C3", static_member(subscription(&both), "I1")),
            ("C4", static_member(subscription(&both), "I2")),
        ],
    );
    expect(&a, "C5", "t0-0, t1-0");
    expect(&a, "C3", "t0-1, t1-1");
    expect(&a, "C4", "t0-2, t1-2");
    // Without instance ids the new member ids reorder everything.
    let a = run(
        Strategy::RoundRobin,
        &three,
        &[("C5", subscription(&both)), ("C3", subscription(&both)), ("C4", subscription(&both))],
    );
    expect(&a, "C3", "t0-0, t1-0");
    expect(&a, "C4", "t0-1, t1-1");
    expect(&a, "C5", "t0-2, t1-2");
}

/// RoundRobinAssignorTest: testTwoConsumersOneTopicOnePartition, testTwoConsumersOneTopicTwoPartitions,
/// testMultipleConsumersMixedTopics, testTwoDynamicConsumersTwoTopicsSixPartitions,
/// testStaticMemberRoundRobinAssignmentPersistent.
#[test]
fn round_robin_two_to_four_consumers() {
    let both = |n| {
        run(
            Strategy::RoundRobin,
            &[("topic", n)],
            &[("consumer1", subscription(&["topic"])), ("consumer2", subscription(&["topic"]))],
        )
    };
    let a = both(1);
    expect(&a, "consumer1", "topic-0");
    expect(&a, "consumer2", "");
    let a = both(2);
    expect(&a, "consumer1", "topic-0");
    expect(&a, "consumer2", "topic-1");
    let a = run(
        Strategy::RoundRobin,
        &[("topic1", 3), ("topic2", 2)],
        &[
            ("consumer1", subscription(&["topic1"])),
            ("consumer2", subscription(&["topic1", "topic2"])),
            ("consumer3", subscription(&["topic1"])),
        ],
    );
    expect(&a, "consumer1", "topic1-0");
    expect(&a, "consumer2", "topic1-1, topic2-0, topic2-1");
    expect(&a, "consumer3", "topic1-2");
    let t12 = ["topic1", "topic2"];
    let a = run(
        Strategy::RoundRobin,
        &[("topic1", 3), ("topic2", 3)],
        &[("consumer1", subscription(&t12)), ("consumer2", subscription(&t12))],
    );
    expect(&a, "consumer1", "topic1-0, topic1-2, topic2-1");
    expect(&a, "consumer2", "topic1-1, topic2-0, topic2-2");
    let mut members = vec![
        ("consumer1", static_member(subscription(&t12), "instance1")),
        ("consumer2", static_member(subscription(&t12), "instance2")),
        ("consumer3", static_member(subscription(&t12), "instance3")),
        ("consumer4", subscription(&t12)),
    ];
    for dynamic in ["consumer4", "consumer5"] {
        members[3].0 = dynamic;
        let a = run(Strategy::RoundRobin, &[("topic1", 3), ("topic2", 3)], &members);
        expect(&a, "consumer1", "topic1-0, topic2-1");
        expect(&a, "consumer2", "topic1-1, topic2-2");
        expect(&a, "consumer3", "topic1-2");
        expect(&a, dynamic, "topic2-0");
    }
}

// ---- StickyAssignor and CooperativeStickyAssignor ----

/// StickyAssignor's Javadoc, example 1: C0, C1, C2 subscribe to t0..t3 (2 partitions each);
/// then C1 leaves. The first assignment is the Javadoc's. For the second the Javadoc shows
/// C0 [t0p0, t1p1, t3p0, t2p0], C2 [t1p0, t2p1, t0p1, t3p1], which is what the general path
/// gives; since all subscriptions are equal, Kafka 4.x takes the constrained path, which keeps
/// the same previous partitions (the example's point) but deals t0-1, t2-0, t3-1 round-robin
/// to C0 and C2 in member order.
#[test]
fn sticky_javadoc_example_1() {
    let all = ["t0", "t1", "t2", "t3"];
    let topics = [("t0", 2), ("t1", 2), ("t2", 2), ("t3", 2)];
    let a = run(
        Strategy::Sticky,
        &topics,
        &[("C0", subscription(&all)), ("C1", subscription(&all)), ("C2", subscription(&all))],
    );
    expect(&a, "C0", "t0-0, t1-1, t3-0");
    expect(&a, "C1", "t0-1, t2-0, t3-1");
    expect(&a, "C2", "t1-0, t2-1");
    let rr = run(
        Strategy::RoundRobin,
        &topics,
        &[("C0", subscription(&all)), ("C1", subscription(&all)), ("C2", subscription(&all))],
    );
    assert_eq!(rr, a, "the same with round robin");
    let next = owning_result(&[("C0", &all), ("C2", &all)], &a, 1);
    let b = run(Strategy::Sticky, &topics, &as_refs(&next));
    expect(&b, "C0", "t0-0, t3-0, t1-1, t0-1");
    expect(&b, "C2", "t1-0, t2-1, t2-0, t3-1");
    let rr = run(Strategy::RoundRobin, &topics, &[("C0", subscription(&all)), ("C2", subscription(&all))]);
    expect(&rr, "C0", "t0-0, t1-0, t2-0, t3-0");
    expect(&rr, "C2", "t0-1, t1-1, t2-1, t3-1");
}

/// StickyAssignor's Javadoc, example 2: C0: t0; C1: t0, t1; C2: t0, t1, t2 (1, 2, 3 partitions),
/// then C0 leaves: sticky keeps 5 of the 6 assignments (round robin 3).
#[test]
fn sticky_javadoc_example_2() {
    let topics = [("t0", 1), ("t1", 2), ("t2", 3)];
    let subs: [(&str, &[&str]); 3] = [("C0", &["t0"]), ("C1", &["t0", "t1"]), ("C2", &["t0", "t1", "t2"])];
    let members: Vec<(&str, Subscription)> = subs.iter().map(|(m, t)| (*m, subscription(t))).collect();
    for s in STICKY {
        let a = run(s, &topics, &members);
        expect(&a, "C0", "t0-0");
        expect(&a, "C1", "t1-0, t1-1");
        expect(&a, "C2", "t2-0, t2-1, t2-2");
        let next = owning_result(&subs[1..], &a, 1);
        let b = run(s, &topics, &as_refs(&next));
        expect(&b, "C1", "t1-0, t1-1, t0-0");
        expect(&b, "C2", "t2-0, t2-1, t2-2");
    }
    let rr = run(Strategy::RoundRobin, &topics, &members[1..]);
    expect(&rr, "C1", "t0-0, t1-1");
    expect(&rr, "C2", "t1-0, t2-0, t2-1, t2-2");
}

/// AbstractStickyAssignorTest: testTwoConsumersOneTopicTwoPartitions,
/// testMultipleConsumersMixedTopicSubscriptions, testTwoConsumersTwoTopicsSixPartitions,
/// testOnlyAssignsPartitionsFromSubscribedTopics (owning partitions of a topic without metadata).
#[test]
fn sticky_fresh_assignments() {
    for s in STICKY {
        let a = run(
            s,
            &[("topic", 2)],
            &[("consumer1", subscription(&["topic"])), ("consumer2", subscription(&["topic"]))],
        );
        expect(&a, "consumer1", "topic-0");
        expect(&a, "consumer2", "topic-1");
        let a = run(
            s,
            &[("topic1", 3), ("topic2", 2)],
            &[
                ("consumer1", subscription(&["topic1"])),
                ("consumer2", subscription(&["topic1", "topic2"])),
                ("consumer3", subscription(&["topic1"])),
            ],
        );
        expect(&a, "consumer1", "topic1-0, topic1-2");
        expect(&a, "consumer2", "topic2-0, topic2-1");
        expect(&a, "consumer3", "topic1-1");
        let t12 = ["topic1", "topic2"];
        let a = run(
            s,
            &[("topic1", 3), ("topic2", 3)],
            &[("consumer1", subscription(&t12)), ("consumer2", subscription(&t12))],
        );
        expect(&a, "consumer1", "topic1-0, topic1-2, topic2-1");
        expect(&a, "consumer2", "topic1-1, topic2-0, topic2-2");
        let a = run(s, &[("topic", 2)], &[("consumer", owning(&["topic"], "topic-0, topic-1, other-0, other-1", 1))]);
        expect(&a, "consumer", "topic-0, topic-1");
    }
}

/// AbstractStickyAssignorTest: testConsumerOwningMinQuotaExpectedMaxQuota,
/// testAllConsumersAreUnderMinQuota, testAllConsumersReachExpectedQuotaAndAreConsideredFilled
/// (nothing to transfer, so both assignors agree).
#[test]
fn sticky_quotas_with_owned_partitions() {
    let t12 = ["topic1", "topic2"];
    for s in STICKY {
        let a = run(
            s,
            &[("topic1", 2), ("topic2", 3)],
            &[
                ("consumer1", owning(&t12, "topic1-0, topic2-1", 1)),
                ("consumer2", owning(&t12, "topic1-1, topic2-2", 1)),
            ],
        );
        expect(&a, "consumer1", "topic1-0, topic2-1, topic2-0");
        expect(&a, "consumer2", "topic1-1, topic2-2");
        let a = run(
            s,
            &[("topic1", 2), ("topic2", 3)],
            &[
                ("consumer1", owning(&t12, "topic1-0", 1)),
                ("consumer2", owning(&t12, "topic1-1", 1)),
                ("consumer3", owning(&t12, "", 1)),
            ],
        );
        expect(&a, "consumer1", "topic1-0, topic2-1");
        expect(&a, "consumer2", "topic1-1, topic2-2");
        expect(&a, "consumer3", "topic2-0");
        let a = run(
            s,
            &[("topic", 4)],
            &[
                ("consumer1", owning(&["topic"], "topic-0, topic-1", 1)),
                ("consumer2", owning(&["topic"], "topic-2", 1)),
                ("consumer3", owning(&["topic"], "", 1)),
            ],
        );
        expect(&a, "consumer1", "topic-0, topic-1");
        expect(&a, "consumer2", "topic-2");
        expect(&a, "consumer3", "topic-3");
    }
}

/// AbstractStickyAssignorTest: testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers. The
/// sticky assignor moves topic2-0 to consumer3 at once; the cooperative one leaves it out
/// (partitionsTransferringOwnership = {topic2-0: consumer3}) and gives it in the next round,
/// as CooperativeStickyAssignorTest.verifyValidityAndBalance replays it.
#[test]
fn sticky_max_quota_consumer_more_than_expected_max_capacity_members() {
    let t12 = ["topic1", "topic2"];
    let members = [
        ("consumer1", owning(&t12, "topic1-0, topic2-0", 1)),
        ("consumer2", owning(&t12, "topic1-1, topic2-1", 1)),
        ("consumer3", owning(&t12, "", 1)),
    ];
    let topics = [("topic1", 2), ("topic2", 2)];
    let a = run(Strategy::Sticky, &topics, &members);
    expect(&a, "consumer1", "topic1-0");
    expect(&a, "consumer2", "topic1-1, topic2-1");
    expect(&a, "consumer3", "topic2-0");
    let c = run(Strategy::CooperativeSticky, &topics, &members);
    expect(&c, "consumer1", "topic1-0");
    expect(&c, "consumer2", "topic1-1, topic2-1");
    expect(&c, "consumer3", "");
    let next = owning_result(&[("consumer1", &t12), ("consumer2", &t12), ("consumer3", &t12)], &c, 1);
    assert_eq!(run(Strategy::CooperativeSticky, &topics, &as_refs(&next)), a);
}

/// AbstractStickyAssignorTest: testAddRemoveConsumerOneTopic.
#[test]
fn sticky_add_remove_consumer_one_topic() {
    let t = ["topic"];
    for s in STICKY {
        let a = run(s, &[("topic", 3)], &[("consumer1", subscription(&t))]);
        expect(&a, "consumer1", "topic-0, topic-1, topic-2");
        let mut next = owning_result(&[("consumer1", &t)], &a, 1);
        next.push(("consumer2".into(), owning(&t, "", 1)));
        let mut b = run(s, &[("topic", 3)], &as_refs(&next));
        expect(&b, "consumer1", "topic-0, topic-1");
        if s == Strategy::CooperativeSticky {
            // topic-2 is transferring ownership: consumer2 gets it once consumer1 revoked it.
            expect(&b, "consumer2", "");
            let next = owning_result(&[("consumer1", &t), ("consumer2", &t)], &b, 1);
            b = run(s, &[("topic", 3)], &as_refs(&next));
        }
        expect(&b, "consumer2", "topic-2");
        let next = owning_result(&[("consumer2", &t)], &b, 1);
        let c = run(s, &[("topic", 3)], &as_refs(&next));
        expect_set(&c, "consumer2", "topic-0, topic-1, topic-2");
    }
}

/// AbstractStickyAssignorTest: testAddRemoveTwoConsumersTwoTopics (the sticky assignor; the
/// cooperative one leaves the three transferring partitions for the next round).
#[test]
fn sticky_add_remove_two_consumers_two_topics() {
    let all = ["topic1", "topic2"];
    let topics = [("topic1", 3), ("topic2", 4)];
    let a = run(Strategy::Sticky, &topics, &[("consumer1", subscription(&all)), ("consumer2", subscription(&all))]);
    expect(&a, "consumer1", "topic1-0, topic1-2, topic2-1, topic2-3");
    expect(&a, "consumer2", "topic1-1, topic2-0, topic2-2");
    let mut next = owning_result(&[("consumer1", &all), ("consumer2", &all)], &a, 1);
    next.push(("consumer3".into(), owning(&all, "", 1)));
    next.push(("consumer4".into(), owning(&all, "", 1)));
    let b = run(Strategy::Sticky, &topics, &as_refs(&next));
    expect(&b, "consumer1", "topic1-0, topic2-1");
    expect(&b, "consumer2", "topic2-0, topic1-1");
    expect(&b, "consumer3", "topic1-2, topic2-3");
    expect(&b, "consumer4", "topic2-2");
    let c = run(Strategy::CooperativeSticky, &topics, &as_refs(&next));
    expect(&c, "consumer1", "topic1-0, topic2-1");
    expect(&c, "consumer2", "topic2-0, topic1-1");
    expect(&c, "consumer3", "");
    expect(&c, "consumer4", "");
    let next = owning_result(&[("consumer3", &all), ("consumer4", &all)], &b, 1);
    let d = run(Strategy::Sticky, &topics, &as_refs(&next));
    expect(&d, "consumer3", "topic1-2, topic2-3, topic1-0, topic2-1");
    expect(&d, "consumer4", "topic2-2, topic1-1, topic2-0");
}

/// AbstractStickyAssignorTest: testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration,
/// ...WithNoGeneration, ...WithMultipleGeneration, testEnsurePartitionsAssignedToHighestGeneration,
/// testNoReassignmentOnCurrentMembers.
#[test]
fn sticky_generations_decide_conflicting_claims() {
    let t = ["topic", "topic2"];
    let topics = [("topic", 3), ("topic2", 3)];
    for s in STICKY {
        for stale in [9, -1] {
            let a = run(
                s,
                &topics,
                &[
                    ("consumer1", owning(&t, "topic-0, topic-2, topic2-1", 10)),
                    ("consumer2", owning(&t, "topic-0, topic-2, topic2-1", stale)),
                ],
            );
            expect_set(&a, "consumer1", "topic-0, topic-2, topic2-1");
            expect_set(&a, "consumer2", "topic-1, topic2-0, topic2-2");
        }
        let a = run(
            s,
            &topics,
            &[
                ("consumer1", owning(&t, "topic-0, topic2-1, topic-1", 10)),
                ("consumer2", owning(&t, "topic-0, topic2-1, topic2-2", 8)),
            ],
        );
        expect_set(&a, "consumer1", "topic-0, topic2-1, topic-1");
        expect_set(&a, "consumer2", "topic-2, topic2-2, topic2-0");

        let t3 = ["topic", "topic2", "topic3"];
        let a = run(
            s,
            &[("topic", 3), ("topic2", 3), ("topic3", 3)],
            &[
                ("consumer1", owning(&t3, "topic-0, topic2-0, topic3-0", 10)),
                ("consumer2", owning(&t3, "topic-1, topic2-1, topic3-1", 9)),
                ("consumer3", owning(&t3, "topic2-1, topic3-0, topic3-2", 8)),
            ],
        );
        expect_set(&a, "consumer1", "topic-0, topic2-0, topic3-0");
        expect_set(&a, "consumer2", "topic-1, topic2-1, topic3-1");
        expect_set(&a, "consumer3", "topic-2, topic2-2, topic3-2");

        let t4 = ["topic", "topic2", "topic3", "topic1"];
        let a = run(
            s,
            &[("topic", 3), ("topic1", 3), ("topic2", 3), ("topic3", 3)],
            &[
                ("consumer1", Subscription { generation_id: None, ..subscription(&t4) }),
                ("consumer2", owning(&t4, "topic-0, topic2-0, topic1-0", 9)),
                ("consumer3", owning(&t4, "topic3-2, topic2-2, topic1-1", 8)),
                ("consumer4", owning(&t4, "topic3-1, topic-1, topic-2", 7)),
            ],
        );
        expect_set(&a, "consumer1", "topic1-2, topic2-1, topic3-0");
    }
}

/// AbstractStickyAssignorTest: testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration
/// and CooperativeStickyAssignorTest: testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGeneration
/// WithEqualPartitionsPerConsumer / ...WithUnequalPartitionsPerConsumer: topic-0, claimed twice in
/// generation 1, goes to consumer3 at once (sticky) or only after both claimants revoke it
/// (cooperative).
#[test]
fn sticky_partition_claimed_twice_in_one_generation() {
    let t = ["topic"];
    let members = [
        ("consumer1", owning(&t, "topic-0, topic-1", 1)),
        ("consumer2", owning(&t, "topic-0, topic-2", 1)),
        ("consumer3", owning(&t, "", 1)),
    ];
    let a = run(Strategy::Sticky, &[("topic", 3)], &members);
    expect(&a, "consumer1", "topic-1");
    expect(&a, "consumer2", "topic-2");
    expect(&a, "consumer3", "topic-0");
    let c = run(Strategy::CooperativeSticky, &[("topic", 3)], &members);
    expect(&c, "consumer1", "topic-1");
    expect(&c, "consumer2", "topic-2");
    expect(&c, "consumer3", "");
    let c = run(Strategy::CooperativeSticky, &[("topic", 4)], &members);
    expect(&c, "consumer1", "topic-1, topic-3");
    expect(&c, "consumer2", "topic-2");
    expect(&c, "consumer3", "");
}

/// CooperativeStickyAssignorTest: testAssignorWithOldVersionSubscriptions (the generation from
/// user data instead of the subscription's field: the same value here).
#[test]
fn cooperative_assignor_with_old_version_subscriptions() {
    let t = ["topic1"];
    let a = run(
        Strategy::CooperativeSticky,
        &[("topic1", 3)],
        &[
            ("consumer1", owning(&t, "topic1-0", 1)),
            ("consumer2", owning(&t, "topic1-1", 1)),
            ("consumer3", owning(&t, "", 1)),
        ],
    );
    expect(&a, "consumer1", "topic1-0");
    expect(&a, "consumer2", "topic1-1");
    expect(&a, "consumer3", "topic1-2");
}

/// AbstractStickyAssignorTest: testSubscriptionNotEqualAndAssignSamePartitionWith3Generation:
/// topic-2 claimed in three generations, in every order of the generations.
#[test]
fn sticky_same_partition_claimed_in_three_generations() {
    for s in STICKY {
        for g in [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]] {
            let a = run(
                s,
                &[("topic", 6), ("topic1", 1)],
                &[
                    ("consumer1", owning(&["topic"], "topic-0, topic-2", g[0])),
                    ("consumer2", owning(&["topic"], "topic-1, topic-2, topic-3", g[1])),
                    ("consumer3", owning(&["topic"], "topic-2, topic-4, topic-5", g[2])),
                    ("consumer4", owning(&["topic1"], "topic1-0", 2)),
                ],
            );
            let all: Vec<&String> = a.values().flatten().collect();
            let distinct: BTreeSet<&String> = all.iter().copied().collect();
            assert_eq!(all.len(), distinct.len(), "{s:?} {g:?}: {a:?}");
            if s == Strategy::Sticky {
                assert!(a.values().all(|l| (1..=2).contains(&l.len())), "{g:?}: {a:?}");
            }
        }
    }
}

/// AbstractStickyAssignorTest: testStickiness: 4 consumers, 3 partitions; the leader leaves and
/// each remaining consumer keeps what it had.
#[test]
fn sticky_stickiness() {
    let t = ["topic1"];
    for s in STICKY {
        let names = ["consumer1", "consumer2", "consumer3", "consumer4"];
        let a = run(s, &[("topic1", 3)], &names.map(|m| (m, subscription(&t))));
        assert!(a.values().all(|l| l.len() <= 1), "{a:?}");
        let next = owning_result(&[("consumer2", &t), ("consumer3", &t), ("consumer4", &t)], &a, 1);
        let b = run(s, &[("topic1", 3)], &as_refs(&next));
        for m in &names[1..] {
            assert_eq!(list(&b, m).len(), 1, "{m}: {b:?}");
            assert!(list(&a, m).iter().all(|p| list(&b, m).contains(p)), "{m} kept its partition: {a:?} {b:?}");
        }
    }
}

/// AbstractStickyAssignorTest's rack tests on their rack-unaware rows:
/// testRackAwareAssignmentWithUniformSubscription and testRackAwareAssignmentWithNonEqualSubscription
/// (consumer0..2; owned partitions as given, generation -1). The sticky assignor reads owned
/// partitions from user data, which those tests leave empty, so only the cooperative rows use them.
#[test]
fn sticky_rack_tests_without_racks() {
    let check = |s: Strategy, subscriptions: &[&[&str]], owned: &[&str], expected: &[&str]| {
        let names: Vec<String> = (0..subscriptions.len()).map(|i| format!("consumer{i}")).collect();
        let members: Vec<(&str, Subscription)> = names
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let owned = owned.get(i).copied().unwrap_or("");
                (m.as_str(), Subscription { owned_partitions: partitions(owned), ..subscription(subscriptions[i]) })
            })
            .collect();
        let a = run(s, &[("t1", 6), ("t2", 7), ("t3", 2)], &members);
        for (m, e) in names.iter().zip(expected) {
            assert_eq!(&sorted(&a, m), e, "{s:?} {m}, owned {owned:?}");
        }
    };
    let all: &[&str] = &["t1", "t2", "t3"];
    let t1_t3: &[&str] = &["t1", "t3"];
    let uniform = ["t1-0, t1-3, t2-0, t2-3, t2-6", "t1-1, t1-4, t2-1, t2-4, t3-0", "t1-2, t1-5, t2-2, t2-5, t3-1"];
    let non_equal = ["t1-5, t2-0, t2-2, t2-4, t2-6", "t1-3, t2-1, t2-3, t2-5, t3-0", "t1-0, t1-1, t1-2, t1-4, t3-1"];
    for s in STICKY {
        check(s, &[all, all, all], &[], &uniform);
        check(s, &[all, all, all], &uniform, &uniform);
        check(s, &[all, all, t1_t3], &[], &non_equal);
        check(s, &[all, all, t1_t3], &non_equal, &non_equal);
    }
    let owned = ["t1-0, t1-1, t1-2, t1-3, t1-4", "t1-5, t2-0, t2-1, t2-2, t2-3", "t2-4, t2-5, t2-6, t3-0, t3-1"];
    let intermediate = ["t1-2, t1-3, t1-4", "t2-0, t2-1, t2-2, t2-3", "t3-0, t3-1"];
    check(Strategy::CooperativeSticky, &[all, all, t1_t3], &owned, &intermediate);
    check(
        Strategy::CooperativeSticky,
        &[all, all, t1_t3],
        &intermediate,
        &["t1-2, t1-3, t1-4, t2-4, t2-5", "t2-0, t2-1, t2-2, t2-3, t2-6", "t1-0, t1-1, t1-5, t3-0, t3-1"],
    );
    // (Kafka's test expects `non_equal` from the sticky assignor here too: it passes `owned` in
    // the subscription's ownedPartitions, which StickyAssignor ignores.)
}
