//! Cross-node invariants, named and checked in one place. Randomised tests check them after
//! every event, as Kafka's `RaftEventSimulationTest` does. This module only observes.

use crate::broker::GroupState;
use crate::consumer::MemberState;
use crate::ids::{Offset, TopicPartition};
use crate::simulation::Simulation;
use std::collections::BTreeMap;

/// Remembers what must never go back between checks.
#[derive(Debug, Default)]
pub struct InvariantChecker {
    high_watermarks: BTreeMap<TopicPartition, Offset>,
}

impl InvariantChecker {
    /// Checks every invariant; the error names the one broken and where.
    pub fn check(&mut self, sim: &Simulation) -> Result<(), String> {
        for b in sim.brokers() {
            for (tp, log) in &b.logs {
                let name = sim.catalog().partition_name(*tp);
                // HW ≤ LEO.
                if log.high_watermark() > log.log_end_offset() {
                    return Err(format!(
                        "high_watermark_within_log: {name} has high watermark {} above log end offset {}",
                        log.high_watermark(),
                        log.log_end_offset()
                    ));
                }
                // The observable high watermark never decreases.
                let last = self.high_watermarks.entry(*tp).or_insert(Offset(0));
                if log.high_watermark() < *last {
                    return Err(format!(
                        "high_watermark_monotonic: {name} high watermark went from {last} to {}",
                        log.high_watermark()
                    ));
                }
                *last = log.high_watermark();
            }
            // One owner per partition: in a Stable group, no two members of the current
            // generation hold the same partition.
            for g in b.coordinator.groups.values().filter(|g| g.state == GroupState::Stable) {
                let mut owners: BTreeMap<&TopicPartition, &str> = BTreeMap::new();
                for c in sim.consumers().filter(|c| {
                    c.group_id == g.group_id && c.state == MemberState::Stable && c.generation_id == g.generation_id
                }) {
                    for tp in &c.assignment {
                        if let Some(other) = owners.insert(tp, &c.client_id) {
                            return Err(format!(
                                "one_owner_per_partition: {} is owned by both {other} and {} in group {} generation {}",
                                sim.catalog().partition_name(*tp),
                                c.client_id,
                                g.group_id,
                                g.generation_id
                            ));
                        }
                    }
                }
            }
        }
        // The ledger accounts for every record: each record appended to a partition a group
        // reads is processed once, duplicated, lost or pending, exactly one of them.
        for g in &sim.scenario().consumer_groups {
            let o = sim.outcome(&g.group_id);
            let appended: u64 = sim
                .brokers()
                .flat_map(|b| b.logs.iter())
                .filter(|(tp, _)| g.topics.iter().any(|t| t == sim.catalog().topic_name(tp.topic)))
                .map(|(_, log)| log.log_end_offset().0)
                .sum();
            let counted = o.processed_once + o.duplicated + o.lost + o.pending;
            if counted != appended {
                return Err(format!(
                    "ledger_accounts_for_every_record: group {} counts {counted} records (once {}, duplicated {}, lost {}, pending {}) but {appended} were appended",
                    g.group_id, o.processed_once, o.duplicated, o.lost, o.pending
                ));
            }
        }
        Ok(())
    }
}
