//! The rebalance timeline: each group's rebalances with their trigger, duration, the
//! partitions that moved and how long each partition went unconsumed, built from the trace as
//! it is written. It only observes.
//!
//! A partition is unconsumed from the moment its owner stops consuming it (revoked, lost, the
//! owner crashed or closed, or, for a member that left after `max.poll.interval.ms`, its last
//! `poll()`) until a member is assigned it again; at the start, from time 0 until the first
//! assignment. The gap is booked on the rebalance that assigns it, so a crash's session timeout
//! counts in the rebalance it triggers. A revocation is booked on the rebalance open then, or
//! else on the next one (a member revokes before it rejoins).

use crate::catalog::Catalog;
use crate::ids::{GroupId, NodeId, TopicPartition};
use crate::sim::{SimTime, TraceEvent};
use serde::Serialize;
use std::collections::BTreeMap;

/// Rebalances kept per group; later ones are counted but not kept.
const KEPT: usize = 500;

/// One rebalance of a group: from the coordinator's PreparingRebalance to the leader's
/// assignment (or the group going Empty). A rebalance restarted before it completed (a member
/// joins during it) stays one entry with its first trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rebalance {
    /// What started it (`member_joined`, `session_timeout`, ..., see `RebalanceTrigger`).
    pub trigger: &'static str,
    /// The generation it ended.
    pub from_generation: u32,
    /// The generation it opened, once it completed.
    pub generation: Option<u32>,
    pub started_ms: u64,
    pub completed_ms: Option<u64>,
    /// Partitions members gave up during it, or just before it started (revoked or lost).
    pub revoked: u32,
    /// Partitions assigned during it to a member other than their previous owner.
    pub moved: Vec<String>,
    /// Per partition assigned during it, how long it had gone unconsumed, ms.
    pub unconsumed_ms: Vec<(String, u64)>,
}

/// One group's rebalances, and who consumes each partition now.
#[derive(Debug, Clone, Default)]
struct GroupTimeline {
    rebalances: Vec<Rebalance>,
    /// The rebalance in progress (an index in `rebalances`).
    open: Option<usize>,
    owner: BTreeMap<TopicPartition, NodeId>,
    last_owner: BTreeMap<TopicPartition, NodeId>,
    unowned_since: BTreeMap<TopicPartition, SimTime>,
    /// Partitions revoked while no rebalance was open (a member revokes before it rejoins:
    /// eager after changed metadata, cooperative between its two rounds): booked on the next.
    revoked_before: u32,
}

impl GroupTimeline {
    /// The entry gaps and revocations are booked on: the open rebalance, else the last one.
    fn current(&mut self) -> Option<&mut Rebalance> {
        let i = self.open.or(self.rebalances.len().checked_sub(1))?;
        self.rebalances.get_mut(i)
    }

    fn stop_consuming(&mut self, consumer: NodeId, partitions: &[TopicPartition], now: SimTime) -> u32 {
        let mut n = 0;
        for tp in partitions {
            if self.owner.get(tp) == Some(&consumer) {
                self.owner.remove(tp);
                self.unowned_since.insert(*tp, now);
                n += 1;
            }
        }
        n
    }

    fn owned_by(&self, consumer: NodeId) -> Vec<TopicPartition> {
        self.owner.iter().filter(|(_, c)| **c == consumer).map(|(tp, _)| *tp).collect()
    }
}

/// Every group's timeline.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    groups: Vec<GroupTimeline>,
}

impl Timeline {
    /// A timeline for `group_partitions.len()` groups, each reading the listed partitions,
    /// unconsumed since time 0.
    pub fn new(group_partitions: Vec<Vec<TopicPartition>>) -> Self {
        let groups = group_partitions
            .into_iter()
            .map(|ps| GroupTimeline {
                unowned_since: ps.into_iter().map(|tp| (tp, SimTime::ZERO)).collect(),
                ..Default::default()
            })
            .collect();
        Timeline { groups }
    }

    /// Takes in one trace event written at `now`.
    pub fn observe(&mut self, now: SimTime, event: &TraceEvent, catalog: &Catalog) {
        let group_of = |c: &NodeId| catalog.node_group(*c);
        match event {
            TraceEvent::PreparingRebalance { group, trigger, generation_id, .. } => {
                let Some(g) = self.group(*group) else { return };
                if g.open.is_some() {
                    return;
                }
                if g.rebalances.len() < KEPT {
                    g.rebalances.push(Rebalance {
                        trigger: trigger.name(),
                        from_generation: *generation_id,
                        generation: None,
                        started_ms: now.0,
                        completed_ms: None,
                        revoked: std::mem::take(&mut g.revoked_before),
                        moved: vec![],
                        unconsumed_ms: vec![],
                    });
                    g.open = Some(g.rebalances.len() - 1);
                }
            }
            TraceEvent::AssignmentReceived { group, generation_id, .. }
            | TraceEvent::GroupEmpty { group, generation_id, .. } => {
                let Some(g) = self.group(*group) else { return };
                if let Some(r) = g.open.take().and_then(|i| g.rebalances.get_mut(i)) {
                    r.generation = Some(*generation_id);
                    r.completed_ms = Some(now.0);
                }
            }
            TraceEvent::PartitionsRevoked { consumer, partitions }
            | TraceEvent::PartitionsLost { consumer, partitions } => {
                let Some(g) = group_of(consumer).and_then(|gi| self.group(gi)) else { return };
                let n = g.stop_consuming(*consumer, partitions, now);
                match g.open.and_then(|i| g.rebalances.get_mut(i)) {
                    Some(r) => r.revoked += n,
                    None => g.revoked_before += n,
                }
            }
            TraceEvent::ConsumerCrashed { consumer }
            | TraceEvent::ConsumerClosing { consumer }
            | TraceEvent::ConsumerFenced { consumer } => {
                let Some(g) = group_of(consumer).and_then(|gi| self.group(gi)) else { return };
                let owned = g.owned_by(*consumer);
                g.stop_consuming(*consumer, &owned, now);
            }
            TraceEvent::PollTimeoutExpired { consumer, max_poll_interval_ms } => {
                // Nothing new was consumed since the last poll(), just past the interval ago.
                let Some(g) = group_of(consumer).and_then(|gi| self.group(gi)) else { return };
                let owned = g.owned_by(*consumer);
                let last_poll = SimTime(now.0.saturating_sub(max_poll_interval_ms + 1));
                g.stop_consuming(*consumer, &owned, last_poll);
            }
            TraceEvent::PartitionsAssigned { consumer, added, .. } => {
                let Some(g) = group_of(consumer).and_then(|gi| self.group(gi)) else { return };
                for tp in added {
                    let gap = g.unowned_since.remove(tp).map(|since| now.0 - since.0);
                    let moved = g.last_owner.get(tp).is_some_and(|c| c != consumer);
                    g.owner.insert(*tp, *consumer);
                    g.last_owner.insert(*tp, *consumer);
                    let name = catalog.partition_name(*tp);
                    if let Some(r) = g.current() {
                        if moved {
                            r.moved.push(name.clone());
                        }
                        if let Some(gap) = gap {
                            r.unconsumed_ms.push((name, gap));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn group(&mut self, group: GroupId) -> Option<&mut GroupTimeline> {
        self.groups.get_mut(group.0 as usize)
    }

    /// The rebalances of `group`, oldest first.
    pub fn rebalances(&self, group: GroupId) -> &[Rebalance] {
        self.groups.get(group.0 as usize).map_or(&[], |g| &g.rebalances)
    }
}
