//! Tumbling event-time windows, as Kafka Streams' `TimeWindows.ofSizeAndGrace(size, grace)` with
//! `KStreamWindowAggregate`:
//! - windows are aligned to the epoch: a record with timestamp `t` belongs to
//!   `[t - t % size, t - t % size + size)`;
//! - stream time is the largest record timestamp the task has seen; Kafka Streams keeps it per
//!   task, and here a task is one partition;
//! - a record is late, counted and dropped instead of aggregated, when its window has closed:
//!   `stream_time >= window_end + grace` (Kafka: `windowEnd <= observedStreamTime - grace`),
//!   stream time being advanced by the record itself first.
//!
//! Beam / Dataflow call these fixed windows with allowed lateness; Spark Structured Streaming calls
//! them tumbling windows with a watermark delay.

use crate::ids::{KeyId, RecordId};
use serde::Serialize;

/// `TimeWindows.ofSizeAndGrace(size, grace)`: sizes in ms; `size_ms` ≥ 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TumblingWindows {
    pub size_ms: u64,
    pub grace_ms: u64,
}

impl TumblingWindows {
    /// The start of the window holding `timestamp_ms`: windows are aligned to the epoch, `[start, start + size)`.
    pub fn start_of(&self, timestamp_ms: u64) -> u64 {
        timestamp_ms - timestamp_ms % self.size_ms
    }
}

/// What the application computes per key and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Aggregation {
    /// The record count only.
    Count,
    /// Taxi trips: count, average `fare_amount`, average trip duration (s).
    TaxiTrips,
    /// Auction bids: count, and the highest bid with its bidder (ties: earliest event time).
    HighestBid,
}

/// The highest bid of a window: amount (USD), event time (ms) and the record that made it (the
/// bidder's name is looked up by record id when shown).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TopBid {
    pub bid: f64,
    pub timestamp_ms: u64,
    pub record_id: RecordId,
}

/// One window's aggregate. Sums are kept, averages derived.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowAggregate {
    /// The window's start, ms; it ends at `start_ms + size_ms`.
    pub start_ms: u64,
    pub count: u64,
    pub sum_fare_amount: f64,
    pub sum_trip_duration_s: f64,
    pub max_bid: Option<TopBid>,
    /// The task (partition) whose stream time closes this window.
    pub task: u32,
}

impl WindowAggregate {
    /// Mean `fare_amount` of the window's trips, in dollars (0 for a window with no trips).
    pub fn fare_amount_avg(&self) -> f64 {
        self.sum_fare_amount / self.count.max(1) as f64
    }

    /// Mean trip duration (dropoff − pickup) of the window's trips, in seconds.
    pub fn trip_duration_s_avg(&self) -> f64 {
        self.sum_trip_duration_s / self.count.max(1) as f64
    }
}

/// The payload fields a record brings to its window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Payload {
    None,
    Taxi { fare_amount: f64, trip_duration_s: f64 },
    Bid { bid: f64 },
}

/// The most late record ids kept for display.
const LATE_IDS_KEPT: usize = 200;

/// The window state of one application (one consumer group): every key's windows, each task's
/// stream time, and the late records. State survives rebalances, as Kafka Streams restores a
/// task's store from its changelog topic on the new owner.
///
/// Storage is dense: keys and tasks are small integers (`KeyId`, a partition's index), so a
/// record finds its key's windows and its task's stream time by indexing, and its window among
/// the key's last few (windows are kept in start order, and a record is rarely far behind).
#[derive(Debug, Clone)]
pub struct WindowedAggregator {
    pub spec: TumblingWindows,
    pub aggregation: Aggregation,
    /// Per key, its windows in start order.
    windows: Vec<Vec<WindowAggregate>>,
    window_count: usize,
    /// Stream time per task, ms; `None` before the task's first record.
    stream_time_ms: Vec<Option<u64>>,
    pub late: u64,
    pub late_ids: Vec<RecordId>,
}

impl WindowedAggregator {
    /// An aggregator with no windows, no stream time and no late records yet; tasks are
    /// numbered `0..tasks` (more are added as they appear).
    pub fn new(spec: TumblingWindows, aggregation: Aggregation, tasks: usize) -> Self {
        WindowedAggregator {
            spec,
            aggregation,
            windows: Vec::new(),
            window_count: 0,
            stream_time_ms: vec![None; tasks],
            late: 0,
            late_ids: vec![],
        }
    }

    /// Processes one record of task `task`; returns false if it was late and dropped.
    #[inline]
    pub fn process(&mut self, task: u32, record_id: RecordId, key: KeyId, timestamp_ms: u64, payload: Payload) -> bool {
        let t = task as usize;
        if t >= self.stream_time_ms.len() {
            self.stream_time_ms.resize(t + 1, None);
        }
        let stream_time = self.stream_time_ms[t].map_or(timestamp_ms, |st| st.max(timestamp_ms));
        self.stream_time_ms[t] = Some(stream_time);
        let k = key.0 as usize;
        if k >= self.windows.len() {
            self.windows.resize_with(k + 1, Vec::new);
        }
        let size = self.spec.size_ms;
        let list = &mut self.windows[k];
        // Most records fall in their key's newest window: find it without dividing.
        let newest = list.last().map(|w| w.start_ms).filter(|&s| timestamp_ms >= s && timestamp_ms - s < size);
        let start = newest.unwrap_or_else(|| self.spec.start_of(timestamp_ms));
        if stream_time >= start.saturating_add(size).saturating_add(self.spec.grace_ms) {
            self.late += 1;
            if self.late_ids.len() < LATE_IDS_KEPT {
                self.late_ids.push(record_id);
            }
            return false;
        }
        let mut i = list.len();
        if newest.is_none() {
            // Search from the newest: a record is rarely far behind.
            while i > 0 && list[i - 1].start_ms > start {
                i -= 1;
            }
            if i == 0 || list[i - 1].start_ms != start {
                list.insert(
                    i,
                    WindowAggregate {
                        start_ms: start,
                        count: 0,
                        sum_fare_amount: 0.0,
                        sum_trip_duration_s: 0.0,
                        max_bid: None,
                        task,
                    },
                );
                self.window_count += 1;
                i += 1;
            }
        }
        let agg = &mut list[i - 1];
        agg.count += 1;
        match payload {
            Payload::None => {}
            Payload::Taxi { fare_amount, trip_duration_s } => {
                agg.sum_fare_amount += fare_amount;
                agg.sum_trip_duration_s += trip_duration_s;
            }
            Payload::Bid { bid } => {
                let better = match &agg.max_bid {
                    None => true,
                    Some(b) => bid > b.bid || (bid == b.bid && timestamp_ms < b.timestamp_ms),
                };
                if better {
                    agg.max_bid = Some(TopBid { bid, timestamp_ms, record_id });
                }
            }
        }
        true
    }

    /// Whether `window` has closed: its task's stream time reached end + grace.
    pub fn is_closed(&self, window: &WindowAggregate) -> bool {
        let st = self.stream_time(window.task).unwrap_or(0);
        st >= window.start_ms.saturating_add(self.spec.size_ms).saturating_add(self.spec.grace_ms)
    }

    /// Task `task`'s stream time, ms, once it has seen a record.
    pub fn stream_time(&self, task: u32) -> Option<u64> {
        self.stream_time_ms.get(task as usize).copied().flatten()
    }

    /// Every task that has seen a record, with its stream time, in task order.
    pub fn stream_times(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.stream_time_ms.iter().enumerate().filter_map(|(t, st)| st.map(|st| (t as u32, st)))
    }

    /// Windows of `key`, in start order.
    pub fn windows_of(&self, key: KeyId) -> &[WindowAggregate] {
        self.windows.get(key.0 as usize).map_or(&[], |w| w.as_slice())
    }

    /// Every key that has windows, with them, in key id order.
    pub fn keys(&self) -> impl Iterator<Item = (KeyId, &[WindowAggregate])> {
        self.windows.iter().enumerate().filter(|(_, w)| !w.is_empty()).map(|(k, w)| (KeyId(k as u32), w.as_slice()))
    }

    /// How many windows exist, over all keys.
    pub fn window_count(&self) -> usize {
        self.window_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_when_stream_time_reaches_end_plus_grace() {
        let mut w = WindowedAggregator::new(TumblingWindows { size_ms: 10, grace_ms: 5 }, Aggregation::Count, 2);
        let k = KeyId(0);
        assert!(w.process(0, RecordId(0), k, 3, Payload::None)); // window [0,10)
        assert!(w.process(0, RecordId(1), k, 14, Payload::None)); // stream time 14 < 10 + 5
        assert!(w.process(0, RecordId(2), k, 9, Payload::None)); // still open
        assert!(w.process(0, RecordId(3), k, 15, Payload::None)); // stream time 15 = 10 + 5: [0,10) closes
        assert!(!w.process(0, RecordId(4), k, 2, Payload::None));
        assert_eq!(w.late, 1);
        assert_eq!(w.late_ids, [RecordId(4)]);
        let counts: Vec<(u64, u64)> = w.windows_of(k).iter().map(|a| (a.start_ms, a.count)).collect();
        assert_eq!(counts, [(0, 2), (10, 2)]);
        assert!(w.is_closed(&w.windows_of(k)[0]));
        // Another task has its own stream time.
        assert!(w.process(1, RecordId(5), KeyId(1), 2, Payload::None));
        assert_eq!(w.stream_times().collect::<Vec<_>>(), [(0, 15), (1, 2)]);
        assert_eq!(w.window_count(), 3);
    }

    #[test]
    fn out_of_order_windows_stay_sorted() {
        let mut w = WindowedAggregator::new(TumblingWindows { size_ms: 10, grace_ms: 1000 }, Aggregation::Count, 1);
        for t in [55, 5, 35, 15, 56, 6] {
            assert!(w.process(0, RecordId(t), KeyId(3), t, Payload::None));
        }
        let starts: Vec<(u64, u64)> = w.windows_of(KeyId(3)).iter().map(|a| (a.start_ms, a.count)).collect();
        assert_eq!(starts, [(0, 2), (10, 1), (30, 1), (50, 2)]);
        assert!(w.windows_of(KeyId(0)).is_empty());
    }

    #[test]
    fn highest_bid_ties_go_to_the_earliest_event_time() {
        let mut w =
            WindowedAggregator::new(TumblingWindows { size_ms: 100, grace_ms: 1000 }, Aggregation::HighestBid, 1);
        let k = KeyId(0);
        w.process(0, RecordId(0), k, 50, Payload::Bid { bid: 10.0 });
        w.process(0, RecordId(1), k, 20, Payload::Bid { bid: 10.0 });
        w.process(0, RecordId(2), k, 10, Payload::Bid { bid: 9.0 });
        let top = w.windows_of(k)[0].max_bid.expect("a bid");
        assert_eq!((top.bid, top.timestamp_ms, top.record_id), (10.0, 20, RecordId(1)));
        assert_eq!(w.windows_of(k)[0].count, 3);
    }
}
