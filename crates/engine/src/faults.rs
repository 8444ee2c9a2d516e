//! Network faults: which links are cut (a network partition) and which are slowed. The
//! simulation consults them for every message; broker crashes, power loss and restarts are
//! [`crate::Command`]s that act on the broker nodes themselves. Faults are applied live or
//! scheduled in the scenario's `faults`.

use crate::ids::NodeId;
use std::collections::{BTreeMap, BTreeSet};

/// The state of the simulated network's links.
#[derive(Debug, Clone, Default)]
pub struct NetworkFaults {
    /// Cut links, as (smaller node, larger node): nothing passes either way.
    cuts: BTreeSet<(u32, u32)>,
    /// Extra latency on links, both ways, ms.
    slow: BTreeMap<(u32, u32), u64>,
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
}
