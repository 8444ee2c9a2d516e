//! Dedupe: keep one record per id (the record key) within a time horizon, and drop the repeats,
//! by two rules side by side:
//! - **processed first**: the first record of the id the application processes is kept (what a
//!   naive `if !seen.contains(id)` in the processor does);
//! - **earliest event time**: the record with the earliest event time is kept, even when it
//!   arrives after another one (what the result should be; a streaming job that emits at once must
//!   then correct what it emitted).
//!
//! The two disagree exactly when a record arrives after another record of the same id with a
//! later event time: arrival disorder. For the bids stream, the id is the auction: "the first
//! bid of each auction", decided as it is processed or by when it was placed.

use crate::ids::{KeyId, RecordId};
use serde::Serialize;

/// A record as the dedupe saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Seen {
    pub record_id: RecordId,
    pub timestamp_ms: u64,
}

/// One id's records within a horizon: the record each rule keeps, and the repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Kept {
    pub key: KeyId,
    pub processed_first: Seen,
    pub earliest: Seen,
    /// Records of this id after the first, dropped as repeats (re-deliveries included).
    pub repeats: u64,
}

impl Kept {
    /// Whether the two rules keep different records.
    pub fn disagree(&self) -> bool {
        self.processed_first.record_id != self.earliest.record_id
    }
}

/// The dedupe state of one application: per id, its horizons in the order they began.
#[derive(Debug, Clone)]
pub struct Dedupe {
    /// How long after the first kept record's event time a record of the same id is a repeat,
    /// ms; one after that begins a new horizon.
    pub horizon_ms: u64,
    by_key: Vec<Vec<Kept>>,
    pub repeats: u64,
}

impl Dedupe {
    /// No id seen yet.
    pub fn new(horizon_ms: u64) -> Self {
        Dedupe { horizon_ms, by_key: vec![], repeats: 0 }
    }

    /// Processes one record of id `key`; returns whether the processed-first rule keeps it.
    pub fn process(&mut self, key: KeyId, record_id: RecordId, timestamp_ms: u64) -> bool {
        let k = key.0 as usize;
        if k >= self.by_key.len() {
            self.by_key.resize_with(k + 1, Vec::new);
        }
        let seen = Seen { record_id, timestamp_ms };
        let horizon = self.horizon_ms;
        let within = |e: &Kept| timestamp_ms.abs_diff(e.processed_first.timestamp_ms) < horizon;
        match self.by_key[k].iter_mut().rev().find(|e| within(e)) {
            Some(e) => {
                e.repeats += 1;
                self.repeats += 1;
                // Equal times keep the record processed first.
                if timestamp_ms < e.earliest.timestamp_ms {
                    e.earliest = seen;
                }
                false
            }
            None => {
                self.by_key[k].push(Kept { key, processed_first: seen, earliest: seen, repeats: 0 });
                true
            }
        }
    }

    /// Every id's horizons, ids in `KeyId` order.
    pub fn kept(&self) -> impl Iterator<Item = &Kept> {
        self.by_key.iter().flatten()
    }

    /// The horizons where the two rules keep different records.
    pub fn disagreements(&self) -> impl Iterator<Item = &Kept> {
        self.kept().filter(|e| e.disagree())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_arrival_with_an_earlier_time_changes_only_the_event_time_rule() {
        let mut d = Dedupe::new(100);
        let k = KeyId(3);
        assert!(d.process(k, RecordId(2), 50));
        assert!(!d.process(k, RecordId(1), 40)); // placed earlier, arrived later
        assert!(!d.process(k, RecordId(3), 40)); // same time: the first of those stays
        assert!(d.process(k, RecordId(9), 200)); // past the horizon: a new one
        let kept: Vec<Kept> = d.kept().copied().collect();
        assert_eq!(kept.len(), 2);
        assert_eq!(
            (kept[0].processed_first.record_id, kept[0].earliest.record_id, kept[0].repeats),
            (RecordId(2), RecordId(1), 2)
        );
        assert!(kept[0].disagree() && !kept[1].disagree());
        assert_eq!(d.repeats, 2);
    }
}
