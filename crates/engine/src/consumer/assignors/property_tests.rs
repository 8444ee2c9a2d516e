//! Every assignor against its definition on 1,500 random group shapes: 0-8 members, 1-4 topics
//! of 1-12 partitions, random subscriptions (half the time all equal; sometimes empty or naming a
//! topic that does not exist), static members, and random previous ownership with random
//! generations (partitions claimed twice, stale claims, claims on topics no longer subscribed).
//! Each case has its own seed (ChaCha8); a failure prints it with the group.
//!
//! Checks, for every case:
//! - every assignor: each member id is in the result; no partition is given twice; nothing of a
//!   topic nobody subscribes to is given; a partition goes only to a member subscribed to its
//!   topic, except, for the sticky assignors, in the two cases where Kafka does otherwise
//!   ([`kafka_gives_unsubscribed`]);
//! - range, roundrobin and sticky give every partition of a subscribed topic;
//! - range and roundrobin equal [`range_reference`] and [`round_robin_reference`], their
//!   definitions written out again (compared as sorted lists);
//! - all subscriptions equal: sticky's counts differ by at most one, and so do
//!   cooperative-sticky's once the follow-up rebalances have handed over what it withheld (at
//!   most 4, every partition given); each member keeps at least
//!   `min(u, floor(P / N))` of the partitions it listed, where `u` counts the partitions of its
//!   topics that it alone listed, `P` the partitions of subscribed topics and `N` the members;
//! - subscriptions differ: sticky meets Kafka's balance rule ([`check_balance`]) whenever every
//!   partition went to a subscriber;
//! - cooperative-sticky gives a member a partition it did not list only if no other member listed
//!   it; with equal subscriptions it gives a member a partition that another also listed only if
//!   its own claim is of a higher generation than every other.

use super::*;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::collections::BTreeSet;

const CASES: u64 = 1_500;

struct Shape {
    topics: BTreeMap<String, u32>,
    members: BTreeMap<String, Subscription>,
}

fn below(rng: &mut ChaCha8Rng, n: u32) -> u32 {
    rng.next_u32() % n
}

fn chance(rng: &mut ChaCha8Rng, percent: u32) -> bool {
    below(rng, 100) < percent
}

fn shape(seed: u64) -> Shape {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Names whose Java hash codes collide in small tables, and one where Java's UTF-16 order
    // differs from Rust's byte order.
    let pool = ["orders", "clicks", "t0", "t1", "topic1", "topic2", "Aa", "BB", "\u{FF61}x", "\u{1F600}y"];
    let n_topics = 1 + below(&mut rng, 4) as usize;
    let mut topics = BTreeMap::new();
    while topics.len() < n_topics {
        let name = pool[below(&mut rng, pool.len() as u32) as usize];
        topics.insert(name.to_string(), 1 + below(&mut rng, 12));
    }
    let names: Vec<String> = topics.keys().cloned().collect();
    let n_members = below(&mut rng, 9) as usize;
    let same_subscription = chance(&mut rng, 50);
    let random_topics = |rng: &mut ChaCha8Rng| -> Vec<String> {
        let mut t: Vec<String> = names.iter().filter(|_| chance(rng, 60)).cloned().collect();
        if chance(rng, 10) {
            t.push("ghost".into());
        }
        t
    };
    let shared = random_topics(&mut rng);
    let group_generation = 1 + below(&mut rng, 5) as i32;
    let mut members = BTreeMap::new();
    let mut instances = 0;
    while members.len() < n_members {
        let id = format!("consumer-{}-{:x}", members.len(), below(&mut rng, 4096));
        let topics = if same_subscription { shared.clone() } else { random_topics(&mut rng) };
        let group_instance_id = chance(&mut rng, 30).then(|| {
            instances += 1;
            format!("instance-{}", below(&mut rng, 1000) * 10 + instances)
        });
        let generation_id = match below(&mut rng, 10) {
            0 => None,
            1 | 2 => Some(group_generation - 1 - below(&mut rng, 2) as i32).filter(|&g| g >= 0),
            _ => Some(group_generation),
        };
        members.insert(id, Subscription { topics, owned_partitions: vec![], generation_id, group_instance_id });
    }
    // Previous ownership: most partitions have one owner, some none, some two.
    let ids: Vec<String> = members.keys().cloned().collect();
    if !ids.is_empty() {
        for (t, &n) in &topics {
            for p in 0..n {
                let owners = match below(&mut rng, 10) {
                    0 | 1 => 0,
                    2 => 2,
                    _ => 1,
                };
                for _ in 0..owners {
                    let m = &ids[below(&mut rng, ids.len() as u32) as usize];
                    members.get_mut(m).unwrap().owned_partitions.push((t.clone(), p));
                }
            }
        }
        for s in members.values_mut() {
            // Owned lists arrive in any order.
            let len = s.owned_partitions.len();
            for i in (1..len).rev() {
                s.owned_partitions.swap(i, below(&mut rng, i as u32 + 1) as usize);
            }
        }
    }
    Shape { topics, members }
}

type Result = std::result::Result<(), String>;

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

fn subscribed(s: &Subscription, topic: &str) -> bool {
    s.topics.iter().any(|t| t == topic)
}

/// Every partition of a topic some member subscribes to is assigned exactly once (`complete`)
/// or at most once, to a member subscribed to its topic (unless `unsubscribed_allowed` says
/// why not), and no partition of another topic is assigned.
fn check_valid(
    shape: &Shape,
    a: &BTreeMap<String, Vec<(String, u32)>>,
    complete: bool,
    unsubscribed_allowed: &dyn Fn(&String, &(String, u32)) -> bool,
) -> Result {
    ensure(a.keys().eq(shape.members.keys()), || format!("members {:?}", a.keys().collect::<Vec<_>>()))?;
    let mut owner: BTreeMap<&(String, u32), &String> = BTreeMap::new();
    for (m, tps) in a {
        for tp in tps {
            if let Some(other) = owner.insert(tp, m) {
                return Err(format!("{tp:?} given to {other} and {m}"));
            }
            ensure(subscribed(&shape.members[m], &tp.0) || unsubscribed_allowed(m, tp), || {
                format!("{tp:?} given to {m}, not subscribed")
            })?;
        }
    }
    for (t, &n) in &shape.topics {
        let wanted = shape.members.values().any(|s| subscribed(s, t));
        for p in 0..n {
            let given = owner.contains_key(&(t.clone(), p));
            ensure(given == wanted || (!complete && !given), || {
                format!("{t}-{p}: given {given}, subscribed {wanted}")
            })?;
        }
    }
    Ok(())
}

fn sorted(a: &BTreeMap<String, Vec<(String, u32)>>) -> BTreeMap<String, Vec<(String, u32)>> {
    a.iter()
        .map(|(m, tps)| {
            let mut tps = tps.clone();
            tps.sort();
            (m.clone(), tps)
        })
        .collect()
}

/// The two cases where Kafka's sticky assignors give a member a partition of a topic it does not
/// subscribe to, which the port reproduces:
/// - `performReassignments` moves a partition back to the member that claimed it in an older
///   generation (`prevAssignment`) without checking that it still subscribes to the topic;
/// - `allSubscriptionsEqual` compares each subscription with the first non-empty one, so members
///   subscribing to nothing that the leader's `HashMap` lists before all the others are not
///   compared, and the constrained path deals partitions to them too.
fn kafka_gives_unsubscribed(shape: &Shape, member: &String, tp: &(String, u32)) -> bool {
    let generation = |s: &Subscription| s.generation_id.unwrap_or(-1);
    let max_generation = shape.members.values().map(generation).max().unwrap_or(-1);
    let s = &shape.members[member];
    if s.owned_partitions.contains(tp) && generation(s) < max_generation {
        return true;
    }
    let mut by_id = java::JavaHashMap::new();
    for id in shape.members.keys() {
        by_id.insert(java::string_hash(id), id, ());
    }
    let sets: Vec<BTreeSet<&String>> = by_id.keys().map(|m| shape.members[*m].topics.iter().collect()).collect();
    let first = sets.iter().position(|t| !t.is_empty());
    s.topics.is_empty() && first.is_some_and(|f| sets[f..].iter().all(|t| *t == sets[f]))
}

/// Members ordered as Kafka's `MemberInfo`, written out again.
fn member_order(shape: &Shape) -> Vec<&String> {
    let mut members: Vec<&String> = shape.members.keys().collect();
    members.sort_by(|a, b| {
        let (x, y) = (&shape.members[*a].group_instance_id, &shape.members[*b].group_instance_id);
        match (x, y) {
            (Some(x), Some(y)) => java::compare(x, y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => java::compare(a, b),
        }
    });
    members
}

/// Range by its definition: per topic, subscribers in member order, the first
/// `partitions % subscribers` take `partitions / subscribers + 1` consecutive partitions.
fn range_reference(shape: &Shape) -> BTreeMap<String, Vec<(String, u32)>> {
    let mut out: BTreeMap<String, Vec<(String, u32)>> = shape.members.keys().map(|m| (m.clone(), vec![])).collect();
    for (t, &n) in &shape.topics {
        let subs: Vec<&String> =
            member_order(shape).into_iter().filter(|m| subscribed(&shape.members[*m], t)).collect();
        let k = subs.len() as u32;
        let mut next = 0;
        for (i, m) in subs.into_iter().enumerate() {
            let len = n / k + u32::from((i as u32) < n % k);
            out.get_mut(m).unwrap().extend((next..next + len).map(|p| (t.clone(), p)));
            next += len;
        }
    }
    sorted(&out)
}

/// Round robin by its definition: partitions sorted by topic (Java order) then number, dealt in
/// member order around a circle, skipping members not subscribed to the topic.
fn round_robin_reference(shape: &Shape) -> BTreeMap<String, Vec<(String, u32)>> {
    let mut out: BTreeMap<String, Vec<(String, u32)>> = shape.members.keys().map(|m| (m.clone(), vec![])).collect();
    let members = member_order(shape);
    let mut topics: Vec<&String> = shape.topics.keys().collect();
    topics.sort_by(|a, b| java::compare(a, b));
    let mut i = 0;
    for t in topics {
        if !members.iter().any(|m| subscribed(&shape.members[*m], t)) {
            continue;
        }
        for p in 0..shape.topics[t] {
            while !subscribed(&shape.members[members[i % members.len()]], t) {
                i += 1;
            }
            out.get_mut(members[i % members.len()]).unwrap().push((t.clone(), p));
            i += 1;
        }
    }
    sorted(&out)
}

/// The same topic set for every member.
fn all_subscriptions_equal(shape: &Shape) -> bool {
    let sets: Vec<BTreeSet<&String>> = shape.members.values().map(|s| s.topics.iter().collect()).collect();
    sets.windows(2).all(|w| w[0] == w[1])
}

/// Partitions (of existing topics) that exactly one member claims, per member.
fn uncontested_claims(shape: &Shape) -> BTreeMap<&String, BTreeSet<(String, u32)>> {
    let mut claimants: BTreeMap<(String, u32), BTreeSet<&String>> = BTreeMap::new();
    for (m, s) in &shape.members {
        for tp in &s.owned_partitions {
            claimants.entry(tp.clone()).or_default().insert(m);
        }
    }
    let mut out: BTreeMap<&String, BTreeSet<(String, u32)>> =
        shape.members.keys().map(|m| (m, BTreeSet::new())).collect();
    for (tp, c) in claimants {
        if c.len() == 1 {
            out.get_mut(c.first().unwrap()).unwrap().insert(tp);
        }
    }
    out
}

/// Kafka's balance requirement (`AbstractStickyAssignorTest.verifyValidityAndBalance`): two
/// members whose counts differ by more than one have no topic the smaller one could take from
/// the larger one.
fn check_balance(shape: &Shape, a: &BTreeMap<String, Vec<(String, u32)>>) -> Result {
    for (m, tps) in a {
        for (o, other) in a {
            if other.len() > tps.len() + 1 {
                for tp in other {
                    ensure(!subscribed(&shape.members[m], &tp.0), || {
                        format!("unbalanced: {m} has {}, {o} has {} including {tp:?}", tps.len(), other.len())
                    })?;
                }
            }
        }
    }
    Ok(())
}

/// What a case exercised, to show that the shapes reach every path.
#[derive(Default)]
struct Coverage {
    equal: usize,
    unequal: usize,
    contested: usize,
    withheld: usize,
    unsubscribed: usize,
}

fn check_case(seed: u64, coverage: &mut Coverage) -> Result {
    let shape = shape(seed);
    let run = |s| assign(s, &shape.topics, &shape.members);

    let range = run(Strategy::Range);
    check_valid(&shape, &range, true, &|_, _| false)?;
    ensure(sorted(&range) == range_reference(&shape), || format!("range {range:?}"))?;
    let rr = run(Strategy::RoundRobin);
    check_valid(&shape, &rr, true, &|_, _| false)?;
    ensure(sorted(&rr) == round_robin_reference(&shape), || format!("roundrobin {rr:?}"))?;

    let equal = all_subscriptions_equal(&shape);
    let uncontested = uncontested_claims(&shape);
    if shape.members.len() >= 2 {
        *if equal { &mut coverage.equal } else { &mut coverage.unequal } += 1;
    }
    let claims: usize = shape.members.values().map(|s| s.owned_partitions.len()).sum();
    coverage.contested += usize::from(claims > uncontested.values().map(BTreeSet::len).sum());
    let subscribed_partitions: usize = shape
        .topics
        .iter()
        .filter(|(t, _)| shape.members.values().any(|s| subscribed(s, t)))
        .map(|(_, &n)| n as usize)
        .sum();
    let min_quota = subscribed_partitions.checked_div(shape.members.len()).unwrap_or(0);
    for strategy in [Strategy::Sticky, Strategy::CooperativeSticky] {
        let a = run(strategy);
        let cooperative = strategy == Strategy::CooperativeSticky;
        check_valid(&shape, &a, !cooperative, &|m, tp| kafka_gives_unsubscribed(&shape, m, tp))
            .map_err(|e| format!("{strategy:?}: {e}"))?;
        let given: usize = a.values().map(Vec::len).sum();
        if cooperative {
            coverage.withheld += usize::from(given < subscribed_partitions);
        } else {
            coverage.unsubscribed +=
                usize::from(a.iter().any(|(m, tps)| tps.iter().any(|tp| !subscribed(&shape.members[m], &tp.0))));
        }
        if equal {
            // Balanced: at once for sticky; for cooperative-sticky once the follow-up rebalances
            // (everyone owning what it was given, one generation later) have handed over the
            // withheld partitions, as CooperativeStickyAssignorTest.verifyValidityAndBalance
            // replays them (at most 4).
            let mut settled = a.clone();
            let mut rounds = 0;
            while cooperative && settled.values().map(Vec::len).sum::<usize>() < subscribed_partitions {
                ensure(rounds < 4, || format!("cooperative: still withholding after 4 rounds: {settled:?}"))?;
                let generation = shape.members.values().filter_map(|s| s.generation_id).max().unwrap_or(0) + 1 + rounds;
                let members: BTreeMap<String, Subscription> = shape
                    .members
                    .iter()
                    .map(|(m, s)| {
                        let owned = settled[m].clone();
                        (
                            m.clone(),
                            Subscription { owned_partitions: owned, generation_id: Some(generation), ..s.clone() },
                        )
                    })
                    .collect();
                settled = assign(strategy, &shape.topics, &members);
                rounds += 1;
            }
            check_valid(&shape, &settled, true, &|_, _| false).map_err(|e| format!("{strategy:?} settled: {e}"))?;
            let counts: Vec<usize> = settled.values().map(Vec::len).collect();
            let (min, max) = (counts.iter().min().copied().unwrap_or(0), counts.iter().max().copied().unwrap_or(0));
            ensure(max - min <= 1, || format!("{strategy:?}: counts {counts:?}"))?;
            // Stickiness: a member keeps at least min(its uncontested claims, minQuota) of
            // what it claimed.
            for (m, tps) in &a {
                let owned: BTreeSet<&(String, u32)> = shape.members[m].owned_partitions.iter().collect();
                let kept = tps.iter().filter(|tp| owned.contains(tp)).count();
                let claims = uncontested[m].iter().filter(|tp| subscribed(&shape.members[m], &tp.0)).count();
                ensure(kept >= claims.min(min_quota), || {
                    format!("{strategy:?}: {m} kept {kept} of {claims} uncontested claims, quota {min_quota}")
                })?;
            }
        } else if !cooperative && a.iter().all(|(m, tps)| tps.iter().all(|tp| subscribed(&shape.members[m], &tp.0))) {
            // (A partition moved back to an unsubscribed member counts towards its quota in
            // Kafka's `isBalanced`, so balance is only checked when that did not happen.)
            check_balance(&shape, &a).map_err(|e| format!("{strategy:?}: {e}"))?;
        }
        if cooperative {
            // A member is given a partition it did not own only if no other member claims it:
            // otherwise that one must revoke it first.
            let generation = |m: &String| shape.members[m].generation_id.unwrap_or(-1);
            for (m, tps) in &a {
                for tp in tps {
                    if shape.members[m].owned_partitions.contains(tp) {
                        // It also claimed it: then, when all subscriptions are equal, in a higher
                        // generation than any other claimant. (With unequal subscriptions Kafka's
                        // computePartitionsTransferringOwnership trusts a member's own claim, stale
                        // or contested, and so does the port.)
                        if !equal {
                            continue;
                        }
                        for (o, s) in &shape.members {
                            ensure(
                                o == m || !s.owned_partitions.contains(tp) || generation(m) > generation(o),
                                || {
                                    format!("cooperative: {tp:?} kept by {m} (generation {}) while {o} (generation {}) owns it", generation(m), generation(o))
                                },
                            )?;
                        }
                        continue;
                    }
                    for (o, s) in &shape.members {
                        ensure(o == m || !s.owned_partitions.contains(tp), || {
                            format!("cooperative: {tp:?} given to {m} while {o} still owns it")
                        })?;
                    }
                }
            }
        }
    }
    Ok(())
}

#[test]
fn every_assignor_meets_its_definition_on_random_groups() {
    let mut coverage = Coverage::default();
    for seed in 0..CASES {
        if let Err(e) = check_case(seed, &mut coverage) {
            let shape = shape(seed);
            let members: Vec<String> = shape
                .members
                .iter()
                .map(|(m, s)| {
                    let owned: Vec<String> = s.owned_partitions.iter().map(|(t, p)| format!("{t}-{p}")).collect();
                    format!(
                        "  {m}: topics {:?}, instance {:?}, generation {:?}, owned [{}]",
                        s.topics,
                        s.group_instance_id,
                        s.generation_id,
                        owned.join(", ")
                    )
                })
                .collect();
            panic!("seed {seed}: {e}\ntopics {:?}\nmembers:\n{}", shape.topics, members.join("\n"));
        }
    }
    let Coverage { equal, unequal, contested, withheld, unsubscribed } = coverage;
    assert!(
        equal > 300 && unequal > 300 && contested > 300 && withheld > 100 && unsubscribed > 10,
        "equal {equal}, unequal {unequal}, contested {contested}, withheld {withheld}, unsubscribed {unsubscribed}"
    );
}
