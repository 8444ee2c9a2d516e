//! The windowed aggregation of one application (one consumer group), record by record, with the
//! rules of Kafka Streams' three window processors:
//! - `KStreamWindowAggregate` (time windows): stream time advances first; each of the record's
//!   windows takes it if `end > streamTime − grace`, so a hopping record can be dropped from
//!   some windows and kept in others;
//! - `KStreamSlidingWindowAggregate`: a record makes its left window `[t − d, t]` (`[0, d]`
//!   near the epoch), the right window `[t + 1, t + 1 + d]` when a later record is in it, and
//!   the right window of the record before it when it falls in that; it updates every existing
//!   window holding it whose end ≥ `streamTime − grace`, and is dropped whole when
//!   `t + d < streamTime − grace`;
//! - `KStreamSessionWindowAggregate`: the sessions within the gap of the record (inclusive) merge
//!   with it; the record is dropped when the merged session ends before
//!   `streamTime − grace − gap`.
//!
//! Stream time is kept per task (a partition): the largest record timestamp it has seen. A
//! record that no window takes is **late**: it goes to the late output with its lateness
//! (`streamTime − t`). Kafka's `dropped-records-total` counts each skipped window instead; that
//! count is [`WindowedAggregator::skipped_windows`].
//!
//! One departure: a new sliding window starts from the records already in its bounds, where
//! Kafka copies a neighbouring window's aggregate. The two differ only when a record was kept
//! by some of its windows and dropped by others.

use super::pipeline::{row_of, Acc, Dataflow};
use super::windows::{EmitStrategy, WatermarkSpec, Windows};
use crate::ids::{KeyId, RecordId};
use serde::Serialize;
use std::collections::BTreeMap;

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

/// The payload fields a record brings to its window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Payload {
    None,
    Iot { temperature_c: f64, humidity_pct: f64 },
    Taxi { fare_amount: f64, trip_duration_s: f64 },
    Bid { bid: f64 },
}

/// One window's aggregate. Sums are kept, averages derived, so that sessions can merge.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowAggregate {
    /// The window's start, ms.
    pub start_ms: u64,
    /// Its end, ms: exclusive for time windows, inclusive for sliding and session windows.
    pub end_ms: u64,
    pub count: u64,
    /// The largest record timestamp in it, ms (the aggregate's timestamp in Kafka Streams).
    pub latest_ms: u64,
    pub sum_fare_amount: f64,
    pub sum_trip_duration_s: f64,
    pub max_bid: Option<TopBid>,
    /// The task (partition) whose stream time closes this window.
    pub task: u32,
    /// The last trigger (a member's processed batch) that changed it: a sink in update mode
    /// writes it once per trigger.
    pub trigger: u32,
    /// The group's aggregate function over its field.
    pub acc: Acc,
}

impl WindowAggregate {
    fn empty(start_ms: u64, end_ms: u64, task: u32, acc: Acc) -> Self {
        WindowAggregate {
            start_ms,
            end_ms,
            count: 0,
            latest_ms: start_ms,
            sum_fare_amount: 0.0,
            sum_trip_duration_s: 0.0,
            max_bid: None,
            task,
            trigger: u32::MAX,
            acc,
        }
    }

    /// The aggregate function's value (`None` while empty; the mean for `avg`).
    pub fn value(&self, function: super::pipeline::AggregateFunction) -> Option<f64> {
        let v = self.acc.value(self.count)?;
        Some(if function == super::pipeline::AggregateFunction::Avg { v / self.count as f64 } else { v })
    }

    /// Marks it changed by trigger `trigger`; 1 if that is the trigger's first change of it.
    fn touch(&mut self, trigger: u32) -> u32 {
        u32::from(std::mem::replace(&mut self.trigger, trigger) != trigger)
    }

    /// Mean `fare_amount` of the window's trips, in dollars (0 for a window with no trips).
    pub fn fare_amount_avg(&self) -> f64 {
        self.sum_fare_amount / self.count.max(1) as f64
    }

    /// Mean trip duration (dropoff − pickup) of the window's trips, in seconds.
    pub fn trip_duration_s_avg(&self) -> f64 {
        self.sum_trip_duration_s / self.count.max(1) as f64
    }

    fn add(&mut self, r: &Contribution) {
        self.count += 1;
        self.latest_ms = if self.count == 1 { r.timestamp_ms } else { self.latest_ms.max(r.timestamp_ms) };
        self.acc.add(r.timestamp_ms, r.value);
        match r.payload {
            Payload::None | Payload::Iot { .. } => {}
            Payload::Taxi { fare_amount, trip_duration_s } => {
                self.sum_fare_amount += fare_amount;
                self.sum_trip_duration_s += trip_duration_s;
            }
            Payload::Bid { bid } => {
                self.offer_bid(TopBid { bid, timestamp_ms: r.timestamp_ms, record_id: r.record_id });
            }
        }
    }

    fn offer_bid(&mut self, b: TopBid) {
        let better = match &self.max_bid {
            None => true,
            Some(m) => b.bid > m.bid || (b.bid == m.bid && b.timestamp_ms < m.timestamp_ms),
        };
        if better {
            self.max_bid = Some(b);
        }
    }

    /// Folds `other` in (the session `Merger`).
    fn merge(&mut self, other: &WindowAggregate) {
        if other.count > 0 {
            self.latest_ms = if self.count == 0 { other.latest_ms } else { self.latest_ms.max(other.latest_ms) };
        }
        self.count += other.count;
        self.sum_fare_amount += other.sum_fare_amount;
        self.sum_trip_duration_s += other.sum_trip_duration_s;
        self.acc.merge(&other.acc);
        if let Some(b) = other.max_bid {
            self.offer_bid(b);
        }
        self.start_ms = self.start_ms.min(other.start_ms);
        self.end_ms = self.end_ms.max(other.end_ms);
    }
}

/// A record as a window sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Contribution {
    record_id: RecordId,
    timestamp_ms: u64,
    payload: Payload,
    /// The aggregate function's input: the record's field after the steps.
    value: f64,
    /// The trigger processing it.
    trigger: u32,
}

/// A record no window took: its key, event time, and the stream time of its task when it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LateRecord {
    pub record_id: RecordId,
    pub key: KeyId,
    pub task: u32,
    pub timestamp_ms: u64,
    pub stream_time_ms: u64,
}

impl LateRecord {
    /// How far behind stream time it came, ms (Kafka Streams' `record-lateness`).
    pub fn lateness_ms(&self) -> u64 {
        self.stream_time_ms - self.timestamp_ms
    }
}

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Windows that took the record.
    pub windows: u32,
    /// Windows that had closed and skipped it (Kafka's `dropped-records`, one per window).
    pub skipped: u32,
    /// Windows it changed that this trigger had not changed yet: rows an update-mode sink
    /// writes.
    pub rows: u32,
}

impl Outcome {
    /// No window took it: it is late.
    pub fn is_late(&self) -> bool {
        self.windows == 0
    }
}

/// The most late records kept for display.
const LATE_KEPT: usize = 200;

/// The most recent records kept for the processing-time / event-time plot.
const RECENT_KEPT: usize = 400;

/// One key's windows, sorted by start (unique: sessions never overlap). A vector, not a tree:
/// records mostly come in time order, so the window a record updates or creates is nearly
/// always the last, found without walking a tree through cache misses.
#[derive(Debug, Clone, Default)]
struct WindowList(Vec<WindowAggregate>);

impl WindowList {
    /// The index of the first window starting at or after `start`.
    fn at(&self, start: u64) -> usize {
        match self.0.last() {
            Some(w) if w.start_ms < start => self.0.len(),
            Some(w) if w.start_ms == start => self.0.len() - 1,
            _ => self.0.partition_point(|w| w.start_ms < start),
        }
    }

    fn get(&self, start: u64) -> Option<&WindowAggregate> {
        self.0.get(self.at(start)).filter(|w| w.start_ms == start)
    }

    fn contains(&self, start: u64) -> bool {
        self.get(start).is_some()
    }

    /// The windows starting at or before `t`.
    fn upto(&self, t: u64) -> &[WindowAggregate] {
        &self.0[..self.at(t.saturating_add(1)).min(self.0.len())]
    }

    /// The windows starting in `from..=to`.
    fn range_mut(&mut self, from: u64, to: u64) -> &mut [WindowAggregate] {
        let (a, b) = (self.at(from), self.at(to.saturating_add(1)));
        &mut self.0[a..b.max(a)]
    }

    /// The window starting at `start`, made by `new` if there is none (`created` counts it).
    fn entry(&mut self, start: u64, new: impl FnOnce() -> WindowAggregate) -> &mut WindowAggregate {
        let i = self.at(start);
        if self.0.get(i).is_none_or(|w| w.start_ms != start) {
            self.0.insert(i, new());
        }
        &mut self.0[i]
    }

    /// Puts `w` in, replacing (and returning) the window with its start, if any.
    fn insert(&mut self, w: WindowAggregate) -> Option<WindowAggregate> {
        let i = self.at(w.start_ms);
        match self.0.get_mut(i) {
            Some(old) if old.start_ms == w.start_ms => Some(std::mem::replace(old, w)),
            _ => {
                self.0.insert(i, w);
                None
            }
        }
    }

    fn remove(&mut self, start: u64) -> Option<WindowAggregate> {
        let i = self.at(start);
        (self.0.get(i)?.start_ms == start).then(|| self.0.remove(i))
    }
}

/// One key's state.
#[derive(Debug, Clone, Default)]
struct KeyState {
    /// Windows by start.
    windows: WindowList,
    /// Sliding windows only: the records taken, by timestamp then arrival, while a new window
    /// could still hold them.
    records: BTreeMap<(u64, u64), Contribution>,
    /// Whether the key's value was above the alert threshold after its last record.
    above: bool,
    /// Records of the key some window took.
    taken: u64,
}

/// An alert: a key's value rose above the threshold with a record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Alert {
    pub key: KeyId,
    /// The window whose value crossed: the record's latest window (its left window
    /// `[t − d, t]` for sliding windows: the moving value at the record's time).
    pub start_ms: u64,
    pub end_ms: u64,
    pub value: f64,
    /// The record's event time and the processing time, ms.
    pub timestamp_ms: u64,
    pub at_ms: u64,
}

/// The most alerts kept for display (the latest).
const ALERTS_KEPT: usize = 200;

/// The window state of one application: every key's windows, each task's stream time, and the
/// late output. State survives rebalances, as Kafka Streams restores a task's store from its
/// changelog topic on the new owner.
#[derive(Debug, Clone)]
pub struct WindowedAggregator {
    pub spec: Windows,
    pub aggregation: Aggregation,
    /// When results go downstream (what the view and the metrics count as emitted).
    pub emit: EmitStrategy,
    /// Whether windows use processing time (`WallclockTimestampExtractor`) instead of the
    /// record's timestamp.
    pub wall_clock: bool,
    /// The Flink / Beam-style watermark shown beside stream time (default: out-of-orderness
    /// equal to the grace, no idleness).
    pub watermark: WatermarkSpec,
    /// The steps before the windows and the aggregate function over a field.
    pub dataflow: Dataflow,
    /// Per key, indexed by `KeyId`.
    keys: Vec<KeyState>,
    window_count: usize,
    /// Stream time per task, ms; `None` before the task's first record.
    stream_time_ms: Vec<Option<u64>>,
    /// Records taken by at least one window.
    pub accepted: u64,
    /// Records no window took.
    pub late: u64,
    /// The first late records (at most 200), in arrival order.
    pub late_records: Vec<LateRecord>,
    /// Windows that skipped a record because they had closed (Kafka's `dropped-records-total`).
    pub skipped_windows: u64,
    /// Records with no key, dropped as Kafka Streams drops them.
    pub no_key: u64,
    /// Records the application failed to process and sent to its dead-letter queue instead.
    pub dead_lettered: u64,
    /// Records processed by a member that no longer owned their task: they went to its own
    /// store, which is dropped (with a changelog only).
    pub not_owner: u64,
    /// Σ over records of the windows that took them when they came (for time windows and
    /// sessions, the sum of the windows' counts).
    pub placements: u64,
    /// Window results an `EmitStrategy.onWindowUpdate` processor forwards: one per window a
    /// record creates or updates, and one tombstone per session merged away.
    pub forwarded: u64,
    /// Per task, when (processing time, ms) it last had a record processed.
    last_processed_ms: Vec<Option<u64>>,
    /// The processing time of the records being processed now, ms.
    now_ms: u64,
    /// The latest records (at most 400): processing time, event time (ms) and whether late.
    pub recent: std::collections::VecDeque<(u64, u64, bool)>,
    arrivals: u64,
    /// Alerts raised (the dataflow's `alert_above`), and the latest 200 of them.
    pub alerts: u64,
    pub alert_records: std::collections::VecDeque<Alert>,
    /// Triggers so far: each member's processed batch ends one (Spark's micro-batch).
    pub triggers: u32,
    /// Rows a sink in update mode has written: each window once per trigger that changed it.
    pub update_writes: u64,
    /// Rows a sink in complete mode has written: every window at every trigger.
    pub complete_writes: u64,
}

impl WindowedAggregator {
    /// An aggregator with no windows, no stream time and no late records yet; tasks are
    /// numbered `0..tasks` (more are added as they appear).
    pub fn new(spec: Windows, aggregation: Aggregation, tasks: usize) -> Self {
        WindowedAggregator {
            spec,
            aggregation,
            emit: EmitStrategy::default(),
            wall_clock: false,
            watermark: WatermarkSpec { max_out_of_orderness_ms: spec.grace_ms(), idle_timeout_ms: None },
            keys: Vec::new(),
            window_count: 0,
            stream_time_ms: vec![None; tasks],
            accepted: 0,
            late: 0,
            late_records: vec![],
            skipped_windows: 0,
            no_key: 0,
            dead_lettered: 0,
            not_owner: 0,
            placements: 0,
            forwarded: 0,
            last_processed_ms: vec![None; tasks],
            now_ms: 0,
            recent: std::collections::VecDeque::new(),
            arrivals: 0,
            dataflow: Dataflow::counting(&[]),
            alerts: 0,
            alert_records: std::collections::VecDeque::new(),
            triggers: 0,
            update_writes: 0,
            complete_writes: 0,
        }
    }

    /// Runs the dataflow's steps on a record's payload: its aggregate input value, or `None`
    /// when a filter dropped it.
    pub fn admit(&mut self, payload: &Payload) -> Option<f64> {
        self.dataflow.apply(&mut row_of(payload))
    }

    /// Ends a trigger (a member's processed batch): a complete-mode sink writes every window.
    pub fn end_trigger(&mut self) {
        self.complete_writes += self.window_count as u64;
        self.triggers = self.triggers.wrapping_add(1) % (u32::MAX - 1);
    }

    /// Notes that task `task` had records processed at `now_ms` (processing time), for idleness.
    pub fn processed_at(&mut self, task: u32, now_ms: u64) {
        let t = task as usize;
        if t >= self.last_processed_ms.len() {
            self.last_processed_ms.resize(t + 1, None);
        }
        self.last_processed_ms[t] = Some(now_ms);
        self.now_ms = now_ms;
    }

    /// When task `task` last had a record processed, ms of processing time.
    pub fn last_processed(&self, task: u32) -> Option<u64> {
        self.last_processed_ms.get(task as usize).copied().flatten()
    }

    /// Counts a record that had no key (`Skipping record due to null key`).
    pub fn skip_no_key(&mut self) {
        self.no_key += 1;
    }

    /// Processes one record of task `task`.
    pub fn process(
        &mut self,
        task: u32,
        record_id: RecordId,
        key: KeyId,
        timestamp_ms: u64,
        payload: Payload,
        value: f64,
    ) -> Outcome {
        let t = task as usize;
        if t >= self.stream_time_ms.len() {
            self.stream_time_ms.resize(t + 1, None);
        }
        let stream_time = self.stream_time_ms[t].map_or(timestamp_ms, |st| st.max(timestamp_ms));
        self.stream_time_ms[t] = Some(stream_time);
        let k = key.0 as usize;
        if k >= self.keys.len() {
            self.keys.resize_with(k + 1, KeyState::default);
        }
        self.arrivals += 1;
        let r = Contribution { record_id, timestamp_ms, payload, value, trigger: self.triggers };
        let spec = self.spec;
        let acc = self.dataflow.acc();
        let state = &mut self.keys[k];
        let at = At { task, stream_time, acc };
        let (outcome, created, forwarded) = match spec {
            Windows::Time { size_ms, .. } => time_windows(&spec, state, size_ms, &r, at),
            Windows::Sliding { time_difference_ms, .. } => {
                sliding_windows(&spec, state, time_difference_ms, &r, self.arrivals, at)
            }
            Windows::Session { inactivity_gap_ms, .. } => session_windows(&spec, state, inactivity_gap_ms, &r, at),
        };
        self.update_writes += u64::from(outcome.rows);
        self.keys[k].taken += u64::from(outcome.windows > 0);
        if let Some(threshold) = self.dataflow.alert_above.filter(|_| outcome.windows > 0) {
            self.check_alert(k, &r, threshold);
        }
        self.window_count = (self.window_count as isize + created) as usize;
        self.forwarded += forwarded;
        self.placements += u64::from(outcome.windows);
        self.skipped_windows += u64::from(outcome.skipped);
        if self.recent.len() == RECENT_KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back((self.now_ms, timestamp_ms, outcome.is_late()));
        if outcome.is_late() {
            self.late += 1;
            if self.late_records.len() < LATE_KEPT {
                self.late_records.push(LateRecord { record_id, key, task, timestamp_ms, stream_time_ms: stream_time });
            }
        } else {
            self.accepted += 1;
        }
        outcome
    }

    /// Raises an alert when the value of the record's latest window is above `threshold` and
    /// the key's was not after its last record.
    fn check_alert(&mut self, k: usize, r: &Contribution, threshold: f64) {
        let t = r.timestamp_ms;
        let state = &self.keys[k];
        let window = match self.spec {
            Windows::Sliding { time_difference_ms, .. } => state.windows.get(t.saturating_sub(time_difference_ms)),
            Windows::Time { .. } => state.windows.upto(t).last().filter(|w| w.end_ms > t),
            Windows::Session { .. } => state.windows.upto(t).last().filter(|w| w.end_ms >= t),
        };
        let Some(w) = window else { return };
        let Some(value) = w.value(self.dataflow.function) else { return };
        let above = value > threshold;
        let (start_ms, end_ms) = (w.start_ms, w.end_ms);
        if above && !self.keys[k].above {
            self.alerts += 1;
            if self.alert_records.len() == ALERTS_KEPT {
                self.alert_records.pop_front();
            }
            let key = KeyId(k as u32);
            self.alert_records.push_back(Alert { key, start_ms, end_ms, value, timestamp_ms: t, at_ms: self.now_ms });
        }
        self.keys[k].above = above;
    }

    /// Whether `window` has closed: its task's stream time has passed the window's close.
    pub fn is_closed(&self, window: &WindowAggregate) -> bool {
        self.stream_time(window.task).is_some_and(|st| self.spec.is_closed(window.end_ms, st))
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
    pub fn windows_of(&self, key: KeyId) -> impl DoubleEndedIterator<Item = &WindowAggregate> {
        self.keys.get(key.0 as usize).into_iter().flat_map(|s| s.windows.0.iter())
    }

    /// Records of `key` that a window took (re-processed ones again).
    pub fn taken_of(&self, key: KeyId) -> u64 {
        self.keys.get(key.0 as usize).map_or(0, |s| s.taken)
    }

    /// `key`'s windows from the newest back, while they are open, then up to `closed` closed
    /// ones. A key's windows end in the order they start (time and sliding windows have one
    /// length, sessions do not overlap) and close by one task's stream time, so this is every
    /// open window of the key without a walk over the old ones.
    pub fn newest_windows(&self, key: KeyId, closed: usize) -> impl Iterator<Item = &WindowAggregate> {
        let mut seen = 0;
        self.windows_of(key).rev().take_while(move |w| {
            if self.is_closed(w) {
                seen += 1;
            }
            seen <= closed
        })
    }

    /// Every key that has windows, in key id order.
    pub fn keys(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.keys.iter().enumerate().filter(|(_, s)| !s.windows.0.is_empty()).map(|(k, _)| KeyId(k as u32))
    }

    /// Every window of every key, keys in id order and each key's windows by start.
    pub fn all_windows(&self) -> impl Iterator<Item = (KeyId, &WindowAggregate)> {
        self.keys.iter().enumerate().flat_map(|(k, s)| s.windows.0.iter().map(move |w| (KeyId(k as u32), w)))
    }

    /// How many windows exist, over all keys.
    pub fn window_count(&self) -> usize {
        self.window_count
    }

    /// Records this aggregation has been given: taken, late, without a key, dead-lettered,
    /// dropped by a filter step, or processed by a member that no longer owned the task.
    pub fn records_seen(&self) -> u64 {
        self.accepted + self.late + self.no_key + self.dead_lettered + self.not_owner + self.dataflow.filtered()
    }

    /// Key `key`'s windows of task `task` that can still change (not closed at the task's
    /// stream time): what a window store holds, and its changelog record carries.
    pub fn open_windows(&self, key: KeyId, task: u32) -> Vec<WindowAggregate> {
        let st = self.stream_time(task);
        self.windows_of(key)
            .filter(|w| w.task == task && st.is_none_or(|st| !self.spec.is_closed(w.end_ms, st)))
            .copied()
            .collect()
    }

    /// Task `task`'s store restored from its changelog: the windows that were still open at
    /// the restored stream time `stream_time_ms` (all of the task's windows if nothing was
    /// restored) give way to the restored ones, `(key, windows)` in changelog order (a later
    /// record of a key replaces an earlier one), and the stream time goes back to it. Windows
    /// closed by then were final and stay. Returns how many windows were restored.
    pub fn restore_task<'a>(
        &mut self,
        task: u32,
        stream_time_ms: Option<u64>,
        restored: impl IntoIterator<Item = (KeyId, &'a [WindowAggregate])>,
    ) -> usize {
        let spec = self.spec;
        let mut removed = 0u64;
        let mut dropped = 0usize;
        for state in &mut self.keys {
            state.windows.0.retain(|w| {
                let keep = w.task != task || stream_time_ms.is_some_and(|st| spec.is_closed(w.end_ms, st));
                if !keep {
                    removed += w.count;
                    dropped += 1;
                }
                keep
            });
        }
        self.placements -= removed;
        self.window_count -= dropped;
        let mut latest: BTreeMap<KeyId, &[WindowAggregate]> = BTreeMap::new();
        for (key, windows) in restored {
            latest.insert(key, windows);
        }
        let mut held = 0;
        for (key, windows) in latest {
            let k = key.0 as usize;
            if k >= self.keys.len() {
                self.keys.resize_with(k + 1, KeyState::default);
            }
            for w in windows {
                match self.keys[k].windows.insert(*w) {
                    Some(old) => self.placements -= old.count,
                    None => self.window_count += 1,
                }
                self.placements += w.count;
                held += 1;
            }
        }
        let t = task as usize;
        if t >= self.stream_time_ms.len() {
            self.stream_time_ms.resize(t + 1, None);
        }
        self.stream_time_ms[t] = stream_time_ms;
        held
    }

    /// `windows_account_for_every_record`, the part the state alone can check: each record
    /// was taken or late, never both (`accepted + late` is the count of keyed records), and for
    /// time windows and sessions the windows' counts add up to the placements made. Sliding
    /// windows copy records into new windows, so their counts have no such sum. A scan of every
    /// window: call it now and then.
    pub fn check_conservation(&self) -> Result<(), String> {
        if self.arrivals != self.accepted + self.late {
            return Err(format!(
                "{} keyed records came, {} were taken and {} late",
                self.arrivals, self.accepted, self.late
            ));
        }
        if !matches!(self.spec, Windows::Sliding { .. }) {
            let counted: u64 = self.all_windows().map(|(_, w)| w.count).sum();
            if counted != self.placements {
                return Err(format!("the windows count {counted} records, {} were placed in them", self.placements));
            }
        }
        Ok(())
    }
}

/// Where a record is placed: its task, the task's stream time, and a new window's empty
/// accumulator.
#[derive(Clone, Copy)]
struct At {
    task: u32,
    stream_time: u64,
    acc: Acc,
}

/// `KStreamWindowAggregate`: every window of `windowsFor(t)` that is still open takes it.
fn time_windows(
    spec: &Windows,
    state: &mut KeyState,
    size_ms: u64,
    r: &Contribution,
    At { task, stream_time, acc }: At,
) -> (Outcome, isize, u64) {
    let mut out = Outcome { windows: 0, skipped: 0, rows: 0 };
    let mut created = 0;
    for start in spec.windows_for(r.timestamp_ms) {
        let end = start + size_ms;
        if !spec.accepts(end, stream_time) {
            out.skipped += 1;
            continue;
        }
        let w = state.windows.entry(start, || {
            created += 1;
            WindowAggregate::empty(start, end, task, acc)
        });
        w.add(r);
        out.rows += w.touch(r.trigger);
        out.windows += 1;
    }
    (out, created, u64::from(out.windows))
}

/// `KStreamSlidingWindowAggregate`, with the windows a record makes found from the records
/// kept (see the module docs).
fn sliding_windows(
    spec: &Windows,
    state: &mut KeyState,
    d: u64,
    r: &Contribution,
    arrival: u64,
    At { task, stream_time, acc }: At,
) -> (Outcome, isize, u64) {
    let t = r.timestamp_ms;
    let mut out = Outcome { windows: 0, skipped: 0, rows: 0 };
    if !spec.accepts(t.saturating_add(d), stream_time) {
        out.skipped = 1;
        return (out, 0, 0);
    }
    let mut created = 0;
    // Existing windows holding t: starts in [t - d, t].
    for w in state.windows.range_mut(t.saturating_sub(d), t) {
        if spec.accepts(w.end_ms, stream_time) {
            w.add(r);
            out.rows += w.touch(r.trigger);
            out.windows += 1;
        } else {
            out.skipped += 1;
        }
    }
    let fold = |records: &BTreeMap<(u64, u64), Contribution>, start: u64, end: u64| {
        let mut w = WindowAggregate::empty(start, end, task, acc);
        for c in records.range((start, 0)..=(end, u64::MAX)).map(|(_, c)| c) {
            w.add(c);
        }
        w
    };
    let mut new_windows: Vec<WindowAggregate> = vec![];
    // The left window (`[0, d]` for records within d of the epoch).
    let left = t.saturating_sub(d);
    if !state.windows.contains(left) {
        if spec.accepts(left + d, stream_time) {
            let mut w = fold(&state.records, left, left + d);
            w.add(r);
            new_windows.push(w);
        } else {
            out.skipped += 1;
        }
    }
    // The record's right window, if a later record is in it.
    let right = t + 1;
    if !state.windows.contains(right) && state.records.range((right, 0)..=(right + d, u64::MAX)).next().is_some() {
        new_windows.push(fold(&state.records, right, right + d));
    }
    // The right window of the record before it, if this one is the first in it.
    if let Some((&(p, _), _)) = state.records.range(..(t, 0)).next_back() {
        let start = p + 1;
        if p + 1 + d >= t && start != left && !state.windows.contains(start) {
            if spec.accepts(start + d, stream_time) {
                let mut w = fold(&state.records, start, start + d);
                w.add(r);
                new_windows.push(w);
            } else {
                out.skipped += 1;
            }
        }
    }
    let mut new_right = 0;
    for mut w in new_windows {
        w.trigger = u32::MAX;
        out.rows += w.touch(r.trigger);
        if w.start_ms <= t {
            out.windows += 1;
        } else {
            new_right += 1;
        }
        state.windows.insert(w);
        created += 1;
    }
    if out.windows > 0 {
        state.records.insert((t, arrival), *r);
    }
    // Records no new window can hold any more: a new window ends at or after the close time.
    let close = stream_time.saturating_sub(spec.grace_ms());
    while let Some((&(ts, _), _)) = state.records.first_key_value() {
        if ts.saturating_add(d).saturating_add(1) >= close {
            break;
        }
        state.records.pop_first();
    }
    let forwarded = u64::from(out.windows) + new_right;
    (out, created, forwarded)
}

/// `KStreamSessionWindowAggregate`: merge the sessions within the gap, then keep the merged
/// session unless it ends before the close time.
fn session_windows(
    spec: &Windows,
    state: &mut KeyState,
    gap: u64,
    r: &Contribution,
    At { task, stream_time, acc }: At,
) -> (Outcome, isize, u64) {
    let t = r.timestamp_ms;
    // Sessions are disjoint and ordered, so those with end ≥ t − gap among the starts ≤ t + gap
    // are the last few.
    let mut merged_starts = vec![];
    let (mut start, mut end) = (t, t);
    for w in state.windows.upto(t.saturating_add(gap)).iter().rev() {
        let s = w.start_ms;
        if w.end_ms.saturating_add(gap) < t {
            break;
        }
        merged_starts.push(s);
        start = start.min(s);
        end = end.max(w.end_ms);
    }
    if !spec.accepts(end, stream_time) {
        return (Outcome { windows: 0, skipped: 1, rows: 0 }, 0, 0);
    }
    let mut session = WindowAggregate::empty(t, t, task, acc);
    // The sink's row is the key's session by its start: one this trigger wrote already, grown
    // by this record, is written once more only at the next trigger.
    let mut written = false;
    for s in &merged_starts {
        let old = state.windows.remove(*s).expect("found above");
        written = merged_starts.len() == 1 && *s == start && old.trigger == r.trigger;
        session.merge(&old);
    }
    session.add(r);
    session.trigger = r.trigger;
    let rows = u32::from(!written);
    state.windows.insert(session);
    let merged = merged_starts.len();
    (Outcome { windows: 1, skipped: 0, rows }, 1 - merged as isize, 1 + merged as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(w: &WindowedAggregator, key: u32) -> Vec<(u64, u64, u64)> {
        w.windows_of(KeyId(key)).map(|a| (a.start_ms, a.end_ms, a.count)).collect()
    }

    fn feed(w: &mut WindowedAggregator, key: u32, times: &[u64]) -> Vec<bool> {
        times.iter().map(|&t| !w.process(0, RecordId(t), KeyId(key), t, Payload::None, 0.0).is_late()).collect()
    }

    #[test]
    fn tumbling_late_when_stream_time_reaches_end_plus_grace() {
        let mut w = WindowedAggregator::new(Windows::tumbling(10, 5), Aggregation::Count, 2);
        assert_eq!(feed(&mut w, 0, &[3, 14, 9, 15, 2]), [true, true, true, true, false]);
        assert_eq!(w.late, 1);
        assert_eq!(w.late_records[0].lateness_ms(), 13);
        assert_eq!(counts(&w, 0), [(0, 10, 2), (10, 20, 2)]);
        assert!(w.is_closed(w.windows_of(KeyId(0)).next().unwrap()));
        // Another task has its own stream time.
        w.process(1, RecordId(5), KeyId(1), 2, Payload::None, 0.0);
        assert_eq!(w.stream_times().collect::<Vec<_>>(), [(0, 15), (1, 2)]);
        assert_eq!(w.window_count(), 3);
    }

    #[test]
    fn a_restore_replaces_the_windows_open_at_the_restored_stream_time() {
        let mut w = WindowedAggregator::new(Windows::tumbling(10, 0), Aggregation::Count, 2);
        // Committed: [0,10) with 2, [10,20) with 1 at stream time 12; then, uncommitted, one
        // more in [10,20) and a new [20,30). Task 1 is another task's and is left alone.
        feed(&mut w, 0, &[1, 2, 12]);
        let committed = w.open_windows(KeyId(0), 0);
        assert_eq!(committed.iter().map(|a| (a.start_ms, a.count)).collect::<Vec<_>>(), [(10, 1)]);
        feed(&mut w, 0, &[15, 21]);
        w.process(1, RecordId(99), KeyId(1), 5, Payload::None, 0.0);
        assert_eq!(w.restore_task(0, Some(12), [(KeyId(0), committed.as_slice())]), 1);
        assert_eq!(counts(&w, 0), [(0, 10, 2), (10, 20, 1)]);
        assert_eq!(counts(&w, 1), [(0, 10, 1)]);
        assert_eq!(w.stream_time(0), Some(12));
        assert_eq!((w.window_count(), w.placements), (3, 4));
        assert!(w.check_conservation().is_ok());
        // Nothing in the changelog: nothing of the task was committed.
        assert_eq!(w.restore_task(0, None, []), 0);
        assert_eq!(counts(&w, 0), []);
        assert_eq!(w.stream_time(0), None);
    }

    #[test]
    fn highest_bid_ties_go_to_the_earliest_event_time() {
        let mut w = WindowedAggregator::new(Windows::tumbling(100, 1000), Aggregation::HighestBid, 1);
        let k = KeyId(0);
        w.process(0, RecordId(0), k, 50, Payload::Bid { bid: 10.0 }, 0.0);
        w.process(0, RecordId(1), k, 20, Payload::Bid { bid: 10.0 }, 0.0);
        w.process(0, RecordId(2), k, 10, Payload::Bid { bid: 9.0 }, 0.0);
        let agg = w.windows_of(k).next().unwrap();
        let top = agg.max_bid.expect("a bid");
        assert_eq!((top.bid, top.timestamp_ms, top.record_id), (10.0, 20, RecordId(1)));
        assert_eq!((agg.count, agg.latest_ms), (3, 50));
    }

    #[test]
    fn merged_sessions_keep_their_sums() {
        let mut w = WindowedAggregator::new(Windows::session(5, 100), Aggregation::TaxiTrips, 1);
        let k = KeyId(0);
        let trip = |f| Payload::Taxi { fare_amount: f, trip_duration_s: 60.0 };
        w.process(0, RecordId(0), k, 10, trip(10.0), 0.0);
        w.process(0, RecordId(1), k, 20, trip(20.0), 0.0);
        assert_eq!(w.window_count(), 2);
        w.process(0, RecordId(2), k, 15, trip(30.0), 0.0);
        assert_eq!(w.window_count(), 1);
        let s = w.windows_of(k).next().unwrap();
        assert_eq!((s.start_ms, s.end_ms, s.count, s.fare_amount_avg(), s.latest_ms), (10, 20, 3, 20.0, 20));
    }

    #[test]
    fn sink_writes_per_output_mode_count_triggers() {
        let mut w = WindowedAggregator::new(Windows::tumbling(10, 0), Aggregation::Count, 1);
        // Trigger 1: three records in [0,10), one in [10,20). Trigger 2: one more in [10,20)
        // and one in [20,30). Trigger 3: nothing changes.
        feed(&mut w, 0, &[1, 2, 3, 11]);
        w.end_trigger();
        feed(&mut w, 0, &[12, 21]);
        w.end_trigger();
        w.end_trigger();
        // Update: [0,10) and [10,20) in trigger 1; [10,20) and [20,30) in trigger 2.
        assert_eq!(w.update_writes, 4);
        // Complete: the whole table each time: 2, then 3, then 3.
        assert_eq!(w.complete_writes, 8);
        assert_eq!(w.triggers, 3);
    }

    #[test]
    fn a_session_grown_twice_in_a_trigger_is_written_once() {
        let mut w = WindowedAggregator::new(Windows::session(10, 100), Aggregation::Count, 1);
        feed(&mut w, 0, &[100, 105, 112]);
        assert_eq!(w.update_writes, 1);
        // A record before the session moves its start: another row.
        feed(&mut w, 0, &[95]);
        assert_eq!(w.update_writes, 2);
        w.end_trigger();
        feed(&mut w, 0, &[113]);
        assert_eq!(w.update_writes, 3);
    }

    #[test]
    fn an_alert_fires_when_the_moving_average_rises_above_the_threshold() {
        use crate::streams::pipeline::AggregateFunction;
        let mut w = WindowedAggregator::new(Windows::sliding(10, 100), Aggregation::Count, 1);
        w.dataflow.function = AggregateFunction::Avg;
        w.dataflow.alert_above = Some(20.0);
        let k = KeyId(0);
        let temps = [(0, 18.0), (5, 21.0), (8, 24.0), (12, 25.0), (30, 15.0), (33, 30.0)];
        for (i, &(t, v)) in temps.iter().enumerate() {
            w.process(0, RecordId(i as u64), k, t, Payload::None, v);
        }
        // Averages of the left windows ([0, 10] near the epoch, then [t - 10, t]): 18, 19.5,
        // 21 (alert), 23.33, 15 (below), 22.5 (alert).
        let got: Vec<(u64, u64, f64)> = w.alert_records.iter().map(|a| (a.start_ms, a.end_ms, a.value)).collect();
        assert_eq!(got, [(0, 10, 21.0), (23, 33, 22.5)]);
        assert_eq!(w.alerts, 2);
    }
}
