//! Network faults: which links are cut (a network partition), which are slowed, and which
//! drop, delay or duplicate some of their messages. The simulation consults them for every
//! message; broker crashes, power loss and restarts are [`crate::Command`]s that act on the
//! broker nodes themselves. Faults are applied live or scheduled in the scenario's `faults`.

use crate::ids::NodeId;
use crate::sim::SimRng;
use std::collections::{BTreeMap, BTreeSet};

/// The nodes one end of a [`LinkRule`] matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Nodes {
    One(NodeId),
    Brokers,
    Producers,
    Consumers,
    Any,
}

impl Nodes {
    /// How a command names a set of nodes (`brokers`, `producers`, `consumers`, `*`); a single
    /// node goes by its own name.
    pub fn label(self) -> &'static str {
        match self {
            Nodes::One(_) => "node",
            Nodes::Brokers => "brokers",
            Nodes::Producers => "producers",
            Nodes::Consumers => "consumers",
            Nodes::Any => "*",
        }
    }
}

/// What kind of node a message's end is, for matching [`Nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Broker,
    Controller,
    Producer,
    Consumer,
}

impl Nodes {
    fn matches(self, node: NodeId, kind: NodeKind) -> bool {
        match self {
            Nodes::One(n) => n == node,
            Nodes::Brokers => kind == NodeKind::Broker,
            Nodes::Producers => kind == NodeKind::Producer,
            Nodes::Consumers => kind == NodeKind::Consumer,
            Nodes::Any => true,
        }
    }
}

/// A fault on the messages going one way, from `from` to `to`, optionally only those of one
/// protocol message (`ProduceResponse`, ...): each is dropped with probability `drop_rate`,
/// else delivered twice with probability `duplicate_rate`, and delayed by `delay_ms`. With
/// `remaining`, the rule acts on that many more matching messages and then ends.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRule {
    pub from: Nodes,
    pub to: Nodes,
    pub message: Option<&'static str>,
    /// 0 to 1.
    pub drop_rate: f64,
    /// 0 to 1.
    pub duplicate_rate: f64,
    pub delay_ms: u64,
    pub remaining: Option<u32>,
}

/// What happens to one message on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fate {
    pub dropped: bool,
    pub duplicated: bool,
    pub delay_ms: u64,
}

/// The state of the simulated network's links.
#[derive(Debug, Clone, Default)]
pub struct NetworkFaults {
    /// Cut links, as (smaller node, larger node): nothing passes either way.
    cuts: BTreeSet<(u32, u32)>,
    /// Extra latency on links, both ways, ms.
    slow: BTreeMap<(u32, u32), u64>,
    /// Drop / duplicate / delay rules, in the order they were set; the first that matches a
    /// message decides its fate.
    rules: Vec<LinkRule>,
}

fn link(a: NodeId, b: NodeId) -> (u32, u32) {
    (a.0.min(b.0), a.0.max(b.0))
}

impl NetworkFaults {
    /// Whether messages between `a` and `b` are lost.
    pub fn is_cut(&self, a: NodeId, b: NodeId) -> bool {
        !self.cuts.is_empty() && self.cuts.contains(&link(a, b))
    }

    /// The extra latency between `a` and `b`, ms.
    pub fn extra_ms(&self, a: NodeId, b: NodeId) -> u64 {
        if self.slow.is_empty() {
            return 0;
        }
        self.slow.get(&link(a, b)).copied().unwrap_or(0)
    }

    /// Cuts every link between `node` and `peers`.
    pub fn isolate(&mut self, node: NodeId, peers: impl IntoIterator<Item = NodeId>) {
        for p in peers {
            if p != node {
                self.cuts.insert(link(node, p));
            }
        }
    }

    /// Heals every cut link of `node`.
    pub fn heal(&mut self, node: NodeId) {
        self.cuts.retain(|&(x, y)| x != node.0 && y != node.0);
    }

    /// Sets the extra latency between `a` and `b` (0 removes it).
    pub fn slow(&mut self, a: NodeId, b: NodeId, extra_ms: u64) {
        if extra_ms == 0 {
            self.slow.remove(&link(a, b));
        } else {
            self.slow.insert(link(a, b), extra_ms);
        }
    }

    /// Sets `rule`, replacing the one with the same ends and message; a rule that does nothing
    /// (no drop, no duplicate, no delay, or `remaining` 0) removes it.
    pub fn set_rule(&mut self, rule: LinkRule) {
        self.rules.retain(|r| (r.from, r.to, r.message) != (rule.from, rule.to, rule.message));
        let acts = rule.drop_rate > 0.0 || rule.duplicate_rate > 0.0 || rule.delay_ms > 0;
        if acts && rule.remaining != Some(0) {
            self.rules.push(rule);
        }
    }

    /// The rules in force.
    pub fn rules(&self) -> &[LinkRule] {
        &self.rules
    }

    /// The fate of a message named `message` from `from` to `to`: the first matching rule
    /// draws from `rng` (only when a rate is strictly between 0 and 1, so a rule of rate 1
    /// draws nothing), and a rule with `remaining` counts it down.
    pub fn fate(
        &mut self,
        from: (NodeId, NodeKind),
        to: (NodeId, NodeKind),
        message: &'static str,
        rng: &mut SimRng,
    ) -> Fate {
        let Some(i) = self.rules.iter().position(|r| {
            r.from.matches(from.0, from.1) && r.to.matches(to.0, to.1) && r.message.is_none_or(|m| m == message)
        }) else {
            return Fate::default();
        };
        let rule = &mut self.rules[i];
        let draw = |rate: f64, rng: &mut SimRng| rate >= 1.0 || (rate > 0.0 && rng.unit_f64() < rate);
        let dropped = draw(rule.drop_rate, rng);
        let fate = Fate { dropped, duplicated: !dropped && draw(rule.duplicate_rate, rng), delay_ms: rule.delay_ms };
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
            if *n == 0 {
                self.rules.remove(i);
            }
        }
        fate
    }

    /// The nodes `node` cannot reach, among `all`.
    pub fn cut_off_from(&self, node: NodeId, all: impl Iterator<Item = NodeId>) -> Vec<NodeId> {
        all.filter(|n| *n != node && self.is_cut(node, *n)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isolation_cuts_both_ways_until_healed() {
        let mut f = NetworkFaults::default();
        f.isolate(NodeId(1), [NodeId(0), NodeId(2)]);
        assert!(f.is_cut(NodeId(0), NodeId(1)) && f.is_cut(NodeId(1), NodeId(2)));
        assert!(!f.is_cut(NodeId(0), NodeId(2)));
        f.slow(NodeId(2), NodeId(0), 40);
        assert_eq!(f.extra_ms(NodeId(0), NodeId(2)), 40);
        f.heal(NodeId(1));
        assert!(!f.is_cut(NodeId(0), NodeId(1)));
        f.slow(NodeId(0), NodeId(2), 0);
        assert_eq!(f.extra_ms(NodeId(2), NodeId(0)), 0);
    }

    #[test]
    fn a_counted_rule_acts_on_that_many_matching_messages_one_way() {
        let mut f = NetworkFaults::default();
        let mut rng = SimRng::new(1, 0);
        f.set_rule(LinkRule {
            from: Nodes::Brokers,
            to: Nodes::One(NodeId(3)),
            message: Some("ProduceResponse"),
            drop_rate: 1.0,
            duplicate_rate: 0.0,
            delay_ms: 0,
            remaining: Some(2),
        });
        let (b, p) = ((NodeId(0), NodeKind::Broker), (NodeId(3), NodeKind::Producer));
        assert!(!f.fate(p, b, "ProduceResponse", &mut rng).dropped, "the other way is untouched");
        assert!(!f.fate(b, p, "FetchResponse", &mut rng).dropped, "another message is untouched");
        assert!(f.fate(b, p, "ProduceResponse", &mut rng).dropped);
        assert!(f.fate(b, p, "ProduceResponse", &mut rng).dropped);
        assert!(!f.fate(b, p, "ProduceResponse", &mut rng).dropped, "the rule ended after 2");
        assert!(f.rules().is_empty());
    }

    #[test]
    fn a_rate_drops_about_that_share_and_duplicates_only_what_it_keeps() {
        let mut f = NetworkFaults::default();
        let mut rng = SimRng::new(7, 0);
        f.set_rule(LinkRule {
            from: Nodes::Any,
            to: Nodes::Any,
            message: None,
            drop_rate: 0.25,
            duplicate_rate: 0.5,
            delay_ms: 9,
            remaining: None,
        });
        let ends = ((NodeId(1), NodeKind::Broker), (NodeId(2), NodeKind::Consumer));
        let fates: Vec<Fate> = (0..10_000).map(|_| f.fate(ends.0, ends.1, "FetchResponse", &mut rng)).collect();
        let dropped = fates.iter().filter(|x| x.dropped).count();
        let duplicated = fates.iter().filter(|x| x.duplicated).count();
        assert!((2_300..2_700).contains(&dropped), "{dropped}");
        assert!((3_500..4_000).contains(&duplicated), "{duplicated}");
        assert!(fates.iter().all(|x| x.delay_ms == 9 && !(x.dropped && x.duplicated)));
    }
}
