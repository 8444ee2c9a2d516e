//! Partition assignors the group leader runs during a rebalance. They see only the members'
//! subscriptions and the partition counts, never the coordinator.
//! TEMPORARY SHIM until the assignors branch lands: every strategy runs range.

mod range;

pub use range::range_assign;
use serde::{Deserialize, Serialize};
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

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscription {
    pub topics: Vec<String>,
    pub owned_partitions: Vec<(String, u32)>,
    pub generation_id: Option<i32>,
    pub group_instance_id: Option<String>,
}

pub fn assign(
    _strategy: Strategy,
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
) -> BTreeMap<String, Vec<(String, u32)>> {
    let mut out: BTreeMap<String, Vec<(String, u32)>> = members.keys().map(|m| (m.clone(), vec![])).collect();
    for (topic, &count) in partitions_per_topic {
        let subs: Vec<&String> = members.iter().filter(|(_, s)| s.topics.contains(topic)).map(|(m, _)| m).collect();
        if subs.is_empty() {
            continue;
        }
        let n = subs.len() as u32;
        for (i, m) in subs.into_iter().enumerate() {
            let i = i as u32;
            let start = (count / n) * i + i.min(count % n);
            let len = count / n + u32::from(i < count % n);
            out.get_mut(m).unwrap().extend((start..start + len).map(|p| (topic.clone(), p)));
        }
    }
    out
}
