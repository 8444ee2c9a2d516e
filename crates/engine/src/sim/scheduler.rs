use super::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A priority queue of events ordered by (time, insertion sequence): two events at the same
/// millisecond run in the order they were scheduled, which keeps runs deterministic.
///
/// The heap holds 24-byte keys; events wait in a slab whose slots are reused, so that sifting
/// moves no message and scheduling allocates nothing once the slab has grown.
#[derive(Debug)]
pub struct Scheduler<E> {
    heap: BinaryHeap<Key>,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    at: SimTime,
    seq: u64,
    slot: u32,
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    // Reversed: BinaryHeap is a max-heap and we want the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Scheduler { heap: BinaryHeap::new(), slots: Vec::new(), free: Vec::new(), next_seq: 0 }
    }
}

impl<E> Scheduler<E> {
    /// Queues `event` at time `at`, after every event already queued at that time.
    pub fn schedule(&mut self, at: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(event);
                s
            }
            None => {
                self.slots.push(Some(event));
                self.slots.len() as u32 - 1
            }
        };
        self.heap.push(Key { at, seq, slot });
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|k| k.at)
    }

    /// The earliest event, and its time; ties come out in the order they were scheduled.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let key = self.heap.pop()?;
        self.free.push(key.slot);
        let event = self.slots[key.slot as usize].take().expect("a queued key has its event");
        Some((key.at, event))
    }

    /// Events queued.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_run_in_insertion_order() {
        let mut s = Scheduler::default();
        s.schedule(SimTime(5), "b");
        s.schedule(SimTime(1), "a");
        s.schedule(SimTime(5), "c");
        s.schedule(SimTime(5), "d");
        let order: Vec<_> = std::iter::from_fn(|| s.pop()).collect();
        assert_eq!(order, vec![(SimTime(1), "a"), (SimTime(5), "b"), (SimTime(5), "c"), (SimTime(5), "d")]);
    }

    #[test]
    fn slots_are_reused() {
        let mut s = Scheduler::default();
        for i in 0..100u64 {
            s.schedule(SimTime(i), i);
            assert_eq!(s.pop(), Some((SimTime(i), i)));
        }
        assert_eq!(s.slots.len(), 1);
        assert!(s.is_empty());
    }
}
