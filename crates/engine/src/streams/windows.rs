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

use crate::ids::{KeyId, RecordId, TopicPartition};
use serde::Serialize;
use std::collections::BTreeMap;

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

/// One window's aggregate. Sums are kept, averages derived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowAggregate {
    pub count: u64,
    pub sum_fare_amount: f64,
    pub sum_trip_duration_s: f64,
    /// Highest bid, its event time (ms) and bidder.
    pub max_bid: Option<(f64, u64, String)>,
    /// The partition (task) whose stream time closes this window.
    pub partition: TopicPartition,
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
pub enum Payload<'a> {
    None,
    Taxi { fare_amount: f64, trip_duration_s: f64 },
    Bid { bid: f64, bidder: &'a str },
}

/// The most late record ids kept for display.
const LATE_IDS_KEPT: usize = 200;

/// The window state of one application (one consumer group): every key's windows, each task's
/// stream time, and the late records. State survives rebalances, as Kafka Streams restores a
/// task's store from its changelog topic on the new owner.
#[derive(Debug, Clone)]
pub struct WindowedAggregator {
    pub spec: TumblingWindows,
    pub aggregation: Aggregation,
    /// (key, window start) → aggregate.
    pub windows: BTreeMap<(KeyId, u64), WindowAggregate>,
    /// Stream time per task (partition), ms.
    pub stream_time_ms: BTreeMap<TopicPartition, u64>,
    pub late: u64,
    pub late_ids: Vec<RecordId>,
}

impl WindowedAggregator {
    /// An aggregator with no windows, no stream time and no late records yet.
    pub fn new(spec: TumblingWindows, aggregation: Aggregation) -> Self {
        WindowedAggregator {
            spec,
            aggregation,
            windows: BTreeMap::new(),
            stream_time_ms: BTreeMap::new(),
            late: 0,
            late_ids: vec![],
        }
    }

    /// Processes one record of `partition`; returns false if it was late and dropped.
    pub fn process(
        &mut self,
        partition: &TopicPartition,
        record_id: RecordId,
        key: KeyId,
        timestamp_ms: u64,
        payload: Payload,
    ) -> bool {
        let stream_time = self.stream_time_ms.entry(partition.clone()).or_insert(0);
        *stream_time = (*stream_time).max(timestamp_ms);
        let start = self.spec.start_of(timestamp_ms);
        let end = start.saturating_add(self.spec.size_ms);
        if *stream_time >= end.saturating_add(self.spec.grace_ms) {
            self.late += 1;
            if self.late_ids.len() < LATE_IDS_KEPT {
                self.late_ids.push(record_id);
            }
            return false;
        }
        let agg = self.windows.entry((key, start)).or_insert_with(|| WindowAggregate {
            count: 0,
            sum_fare_amount: 0.0,
            sum_trip_duration_s: 0.0,
            max_bid: None,
            partition: partition.clone(),
        });
        agg.count += 1;
        match payload {
            Payload::None => {}
            Payload::Taxi { fare_amount, trip_duration_s } => {
                agg.sum_fare_amount += fare_amount;
                agg.sum_trip_duration_s += trip_duration_s;
            }
            Payload::Bid { bid, bidder } => {
                let better = match &agg.max_bid {
                    None => true,
                    Some((b, t, _)) => bid > *b || (bid == *b && timestamp_ms < *t),
                };
                if better {
                    agg.max_bid = Some((bid, timestamp_ms, bidder.to_string()));
                }
            }
        }
        true
    }

    /// Whether the window starting at `start_ms` with aggregate `agg` has closed (its task's stream time
    /// reached end + grace).
    pub fn is_closed(&self, start_ms: u64, agg: &WindowAggregate) -> bool {
        let st = self.stream_time_ms.get(&agg.partition).copied().unwrap_or(0);
        st >= start_ms.saturating_add(self.spec.size_ms).saturating_add(self.spec.grace_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_when_stream_time_reaches_end_plus_grace() {
        let tp = TopicPartition::new("t", 0);
        let mut w = WindowedAggregator::new(TumblingWindows { size_ms: 10, grace_ms: 5 }, Aggregation::Count);
        let k = KeyId(0);
        assert!(w.process(&tp, RecordId(0), k, 3, Payload::None)); // window [0,10)
        assert!(w.process(&tp, RecordId(1), k, 14, Payload::None)); // stream time 14 < 10 + 5
        assert!(w.process(&tp, RecordId(2), k, 9, Payload::None)); // still open
        assert!(w.process(&tp, RecordId(3), k, 15, Payload::None)); // stream time 15 = 10 + 5: [0,10) closes
        assert!(!w.process(&tp, RecordId(4), k, 2, Payload::None));
        assert_eq!(w.late, 1);
        assert_eq!(w.late_ids, [RecordId(4)]);
        assert_eq!(w.windows[&(k, 0)].count, 2);
        assert_eq!(w.windows[&(k, 10)].count, 2);
        // Another partition has its own stream time.
        assert!(w.process(&TopicPartition::new("t", 1), RecordId(5), KeyId(1), 2, Payload::None));
    }

    #[test]
    fn highest_bid_ties_go_to_the_earliest_event_time() {
        let tp = TopicPartition::new("t", 0);
        let mut w = WindowedAggregator::new(TumblingWindows { size_ms: 100, grace_ms: 1000 }, Aggregation::HighestBid);
        let k = KeyId(0);
        w.process(&tp, RecordId(0), k, 50, Payload::Bid { bid: 10.0, bidder: "late" });
        w.process(&tp, RecordId(1), k, 20, Payload::Bid { bid: 10.0, bidder: "early" });
        w.process(&tp, RecordId(2), k, 10, Payload::Bid { bid: 9.0, bidder: "low" });
        assert_eq!(w.windows[&(k, 0)].max_bid, Some((10.0, 20, "early".to_string())));
        assert_eq!(w.windows[&(k, 0)].count, 3);
    }
}
