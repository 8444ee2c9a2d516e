//! The delivery ledger: every record followed from send to sink. It learns where each record was
//! appended (partition, offset), whether its producer got the acknowledgement, and how often each
//! group's application processed it; from that it counts, per group, records processed exactly
//! once, more than once (duplicates), and never processed although acknowledged and committed past
//! (lost). It only observes.

use crate::ids::{Offset, RecordId, TopicPartition};
use serde::Serialize;
use std::collections::BTreeMap;

/// How many record ids of each outcome are kept for display.
const IDS_KEPT: usize = 200;

fn split(id: RecordId) -> (usize, usize) {
    (id.producer(), id.seq())
}

#[derive(Debug, Clone, Default)]
struct ProducerRecords {
    acked: Vec<bool>,
}

#[derive(Debug, Clone, Default)]
struct GroupRecords {
    topics: Vec<String>,
    /// Times processed, per producer, by sequence number.
    processed: Vec<Vec<u8>>,
    once: u64,
    duplicated: u64,
    duplicated_ids: Vec<RecordId>,
    /// Appended records this group has not processed yet: partition → offset → record.
    unprocessed: BTreeMap<TopicPartition, BTreeMap<u64, RecordId>>,
}

/// The delivery outcome of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Processed exactly once.
    pub processed_once: u64,
    /// Processed more than once.
    pub duplicated: u64,
    /// Never processed, though appended and with the group's committed offset past it.
    pub lost: u64,
    /// Appended, not processed yet, not committed past: still on its way.
    pub pending: u64,
    /// The first duplicated record ids (at most 200).
    pub duplicated_ids: Vec<u64>,
    /// The first lost record ids (at most 200).
    pub lost_ids: Vec<u64>,
}

/// The delivery ledger: for every record, whether its producer's batch was acknowledged and how
/// many times each group processed it. It is the simulation's bookkeeping, outside the nodes, fed by
/// the nodes' observations.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    producers: Vec<ProducerRecords>,
    groups: BTreeMap<String, GroupRecords>,
}

fn slot<T: Default + Clone>(v: &mut Vec<T>, i: usize) -> &mut T {
    if v.len() <= i {
        v.resize(i + 1, T::default());
    }
    &mut v[i]
}

impl Ledger {
    /// Follows `group_id`, which subscribes to `topics`.
    pub fn add_group(&mut self, group_id: &str, topics: &[String]) {
        self.groups.insert(group_id.to_string(), GroupRecords { topics: topics.to_vec(), ..Default::default() });
    }

    /// Records `records` were appended to `partition` at `base_offset`, `base_offset + 1`, ...
    pub fn appended(&mut self, partition: &TopicPartition, base_offset: Offset, records: &[RecordId]) {
        for g in self.groups.values_mut().filter(|g| g.topics.contains(&partition.topic)) {
            let pending = g.unprocessed.entry(partition.clone()).or_default();
            for (i, id) in records.iter().enumerate() {
                pending.insert(base_offset.0 + i as u64, *id);
            }
        }
    }

    /// The leader acknowledged the batches holding `records` (per `acks`).
    pub fn acked(&mut self, records: &[RecordId]) {
        for id in records {
            let (p, seq) = split(*id);
            *slot(&mut slot(&mut self.producers, p).acked, seq) = true;
        }
    }

    /// Whether record `id`'s batch was acknowledged.
    pub fn is_acked(&self, id: RecordId) -> bool {
        let (p, seq) = split(id);
        self.producers.get(p).and_then(|r| r.acked.get(seq)).copied().unwrap_or(false)
    }

    /// A member of `group_id` finished processing `records` (offset, id) of `partition`; a record
    /// processed again counts as a duplicate.
    pub fn processed(&mut self, group_id: &str, partition: &TopicPartition, records: &[(Offset, RecordId)]) {
        let Some(g) = self.groups.get_mut(group_id) else { return };
        for (offset, id) in records {
            let (p, seq) = split(*id);
            let count = slot(slot(&mut g.processed, p), seq);
            *count = count.saturating_add(1);
            match *count {
                1 => {
                    g.once += 1;
                    if let Some(pending) = g.unprocessed.get_mut(partition) {
                        pending.remove(&offset.0);
                    }
                }
                2 => {
                    g.once -= 1;
                    g.duplicated += 1;
                    if g.duplicated_ids.len() < IDS_KEPT {
                        g.duplicated_ids.push(*id);
                    }
                }
                _ => {}
            }
        }
    }

    /// The group's outcome, given its committed offsets.
    pub fn outcome(&self, group_id: &str, committed: &BTreeMap<TopicPartition, Offset>) -> Outcome {
        let Some(g) = self.groups.get(group_id) else { return Outcome::default() };
        let mut out = Outcome {
            processed_once: g.once,
            duplicated: g.duplicated,
            duplicated_ids: g.duplicated_ids.iter().map(|id| id.0).collect(),
            ..Default::default()
        };
        for (tp, pending) in &g.unprocessed {
            let below = committed.get(tp).map_or(0, |o| o.0);
            for (_, id) in pending.range(..below) {
                out.lost += 1;
                if out.lost_ids.len() < IDS_KEPT {
                    out.lost_ids.push(id.0);
                }
            }
            out.pending += pending.range(below..).count() as u64;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_once_duplicated_lost_and_pending() {
        let tp = TopicPartition::new("t", 0);
        let mut l = Ledger::default();
        l.add_group("g", &["t".to_string()]);
        let ids: Vec<RecordId> = (0..5).map(RecordId).collect();
        l.appended(&tp, Offset(0), &ids);
        l.acked(&ids);
        l.processed("g", &tp, &[(Offset(0), ids[0]), (Offset(1), ids[1])]);
        l.processed("g", &tp, &[(Offset(1), ids[1])]);
        // Committed up to 3: offset 2 was skipped (lost); 3 and 4 are still pending.
        let out = l.outcome("g", &BTreeMap::from([(tp.clone(), Offset(3))]));
        assert_eq!((out.processed_once, out.duplicated, out.lost, out.pending), (1, 1, 1, 2));
        assert_eq!(out.duplicated_ids, [1]);
        assert_eq!(out.lost_ids, [2]);
        assert!(l.is_acked(ids[4]));
    }
}
