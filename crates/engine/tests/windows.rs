//! Kafka Streams' windowing as `streamlab_engine::streams` reproduces it.
//!
//! - The examples of Kafka's own tests and docs (`/work/research/streams-facts.md`, §3, §4, §7,
//!   §8): `TimeWindowsTest`, the DSL guide's boundaries, `KStreamWindowAggregateTest`'s drop
//!   rule and emit-final timing, the `SlidingWindows` javadoc and
//!   `KStreamSlidingWindowAggregateTest`, the `SessionWindows` javadoc, the guide's session
//!   example and `KStreamSessionWindowAggregateProcessorTest`'s merges and late drops.
//! - Conservation on random disordered streams, 200 seeds per window type: every record is late
//!   or in a window, never both, and the window counts add up.
//! - Order invariance: disorder within the grace period changes nothing.

use std::collections::BTreeMap;
use streamlab_engine::streams::{Aggregation, Outcome, Payload, WindowAggregate, WindowedAggregator, Windows};
use streamlab_engine::{KeyId, RecordId};

const MIN: u64 = 60_000;

/// `(start, end, count)` of each window of `key`, by start.
fn windows_of(app: &WindowedAggregator, key: u32) -> Vec<(u64, u64, u64)> {
    app.windows_of(KeyId(key)).map(|w| (w.start_ms, w.end_ms, w.count)).collect()
}

/// `(key, start, end, count)` of every window.
fn all_windows(app: &WindowedAggregator) -> Vec<(u32, u64, u64, u64)> {
    app.all_windows().map(|(k, w)| (k.0, w.start_ms, w.end_ms, w.count)).collect()
}

/// `(key, start, end, count)` of the windows that have closed (what emit-final has forwarded).
fn closed_windows(app: &WindowedAggregator) -> Vec<(u32, u64, u64, u64)> {
    app.all_windows().filter(|(_, w)| app.is_closed(w)).map(|(k, w)| (k.0, w.start_ms, w.end_ms, w.count)).collect()
}

/// Processes a record of `key` at `t` on task 0; record ids count up from 0.
fn feed(app: &mut WindowedAggregator, key: u32, t: u64) -> Outcome {
    let id = app.accepted + app.late;
    // The sink's row count is another test's matter.
    Outcome { rows: 0, ..app.process(0, RecordId(id), KeyId(key), t, Payload::None, 0.0) }
}

fn count_app(spec: Windows) -> WindowedAggregator {
    WindowedAggregator::new(spec, Aggregation::Count, 1)
}

fn starts(w: Windows, t: u64) -> Vec<u64> {
    w.windows_for(t).collect()
}

// ---------------------------------------------------------------------------------------------
// Time windows (tumbling and hopping)
// ---------------------------------------------------------------------------------------------

/// §8.1 `TimeWindowsTest`.
#[test]
fn time_windows_test_windows_for() {
    // Hopping size 12, advance 5, t = 21: 12 / 5 + 1 = 3 windows, [10,22), [15,27), [20,32).
    let hopping = Windows::hopping(12, 5, 0);
    assert_eq!(starts(hopping, 21), [10, 15, 20]);
    let mut app = count_app(hopping);
    assert_eq!(feed(&mut app, 0, 21), Outcome { windows: 3, skipped: 0, rows: 0 });
    assert_eq!(windows_of(&app, 0), [(10, 22, 1), (15, 27, 1), (20, 32, 1)]);

    // Barely overlapping: size 6, advance 5, t = 7: only [5,11).
    let barely = Windows::hopping(6, 5, 0);
    assert_eq!(starts(barely, 7), [5]);
    let mut app = count_app(barely);
    assert_eq!(feed(&mut app, 0, 7), Outcome { windows: 1, skipped: 0, rows: 0 });
    assert_eq!(windows_of(&app, 0), [(5, 11, 1)]);

    // Tumbling size 12, t = 21: only [12,24).
    let tumbling = Windows::tumbling(12, 0);
    assert_eq!(starts(tumbling, 21), [12]);
    let mut app = count_app(tumbling);
    assert_eq!(feed(&mut app, 0, 21), Outcome { windows: 1, skipped: 0, rows: 0 });
    assert_eq!(windows_of(&app, 0), [(12, 24, 1)]);
}

/// §7 (and the `TimeWindows` javadoc, §1.1): windows are aligned to the epoch, `[0;5000),
/// [3000;8000),...` and not `[1000;6000),...` or `[1452;6452),...`.
#[test]
fn dsl_docs_hopping_and_tumbling_boundaries() {
    let hopping = Windows::hopping(5000, 3000, 0);
    assert_eq!(starts(hopping, 0), [0]);
    assert_eq!(starts(hopping, 1000), [0]);
    assert_eq!(starts(hopping, 1452), [0]);
    assert_eq!(starts(hopping, 2999), [0]);
    assert_eq!(starts(hopping, 3000), [0, 3000]);
    assert_eq!(starts(hopping, 4999), [0, 3000]);
    assert_eq!(starts(hopping, 5000), [3000]);
    assert_eq!(starts(hopping, 6452), [3000, 6000]);
    let mut app = count_app(hopping);
    for t in [1000, 1452, 4000, 6452] {
        feed(&mut app, 0, t);
    }
    assert_eq!(windows_of(&app, 0), [(0, 5000, 3), (3000, 8000, 2), (6000, 11000, 1)]);

    let tumbling = Windows::tumbling(5000, 0);
    assert_eq!(starts(tumbling, 1000), [0]);
    assert_eq!(starts(tumbling, 1452), [0]);
    assert_eq!(starts(tumbling, 4999), [0]);
    assert_eq!(starts(tumbling, 5000), [5000]);
    assert_eq!(starts(tumbling, 6452), [5000]);
    assert_eq!(starts(tumbling, 11452), [10000]);
    let mut app = count_app(tumbling);
    for t in [1000, 1452, 4999, 5000, 6452, 11452] {
        feed(&mut app, 0, t);
    }
    assert_eq!(windows_of(&app, 0), [(0, 5000, 3), (5000, 10000, 2), (10000, 15000, 1)]);

    // The guide's hopping example: 5 minutes advancing by 1 minute; a record at 7 min is in the
    // five windows starting at 3, 4, 5, 6 and 7 min.
    assert_eq!(starts(Windows::hopping(5 * MIN, MIN, 0), 7 * MIN), [3 * MIN, 4 * MIN, 5 * MIN, 6 * MIN, 7 * MIN]);

    // The guide's tumbling example: 5 minutes, grace 1 minute. [0, 5m) takes records until
    // stream time reaches 6m.
    let mut app = count_app(Windows::tumbling(5 * MIN, MIN));
    feed(&mut app, 0, 0);
    feed(&mut app, 0, 6 * MIN - 1);
    assert_eq!(feed(&mut app, 0, 4 * MIN), Outcome { windows: 1, skipped: 0, rows: 0 });
    feed(&mut app, 0, 6 * MIN);
    assert_eq!(feed(&mut app, 0, 4 * MIN), Outcome { windows: 0, skipped: 1, rows: 0 });
    assert_eq!(windows_of(&app, 0), [(0, 5 * MIN, 2), (5 * MIN, 10 * MIN, 2)]);
    assert_eq!((app.accepted, app.late, app.skipped_windows), (4, 1, 1));

    // §6.1: one-hour windows with 10 minutes' grace: 09:00–10:00 takes records until 10:10.
    let hour = 60 * MIN;
    let w = Windows::tumbling(hour, 10 * MIN);
    assert!(!w.is_closed(10 * hour, 10 * hour + 10 * MIN - 1));
    assert!(w.is_closed(10 * hour, 10 * hour + 10 * MIN));
}

/// §8.2 `KStreamWindowAggregateTest` (`shouldLogAndMeterWhenSkippingExpiredWindow`): size 10,
/// advance 5, grace 90; inputs 100, 0, 1, 2, 3, 4, 5, 6, 105, 106 (offsets 0 to 9: the log
/// lines quoted put timestamp 0 at offset 1 and timestamp 6 at offset 7).
#[test]
fn window_aggregate_drops_closed_windows_per_window() {
    let spec = Windows::hopping(10, 5, 90);
    let mut app = count_app(spec);
    assert_eq!(feed(&mut app, 0, 100), Outcome { windows: 2, skipped: 0, rows: 0 });
    // Close time 100 − 90 = 10: [0,10) (end 10, not > 10) skips them; 0 to 4 have no other window.
    for t in 0..5 {
        assert_eq!(feed(&mut app, 0, t), Outcome { windows: 0, skipped: 1, rows: 0 }, "t = {t}");
    }
    // 5 and 6 are in [0,10) (skipped) and [5,15) (kept): "[k@5/15]" "+5", then "+5+6".
    assert_eq!(feed(&mut app, 0, 5), Outcome { windows: 1, skipped: 1, rows: 0 });
    assert_eq!(feed(&mut app, 0, 6), Outcome { windows: 1, skipped: 1, rows: 0 });
    let w515 = *app.windows_of(KeyId(0)).next().unwrap();
    assert_eq!((w515.start_ms, w515.end_ms, w515.count, w515.latest_ms), (5, 15, 2, 6));
    assert!(!app.is_closed(&w515), "close time 10 < 15");
    // "Window close time is 15 when timestamp is 105": [5,15) is final.
    assert_eq!(feed(&mut app, 0, 105), Outcome { windows: 2, skipped: 0, rows: 0 });
    let w515 = *app.windows_of(KeyId(0)).next().unwrap();
    assert!(app.is_closed(&w515));
    assert_eq!(feed(&mut app, 0, 106), Outcome { windows: 2, skipped: 0, rows: 0 });

    // Seven log lines / dropped-records: timestamps 0 to 6, window [0,10) each.
    assert_eq!(app.skipped_windows, 7);
    assert_eq!((app.accepted, app.late), (5, 5));
    let late: Vec<(u64, u64, u64)> =
        app.late_records.iter().map(|r| (r.timestamp_ms, r.stream_time_ms, r.lateness_ms())).collect();
    assert_eq!(late, [(0, 100, 100), (1, 100, 99), (2, 100, 98), (3, 100, 97), (4, 100, 96)]);
    assert_eq!(windows_of(&app, 0), [(5, 15, 2), (95, 105, 1), (100, 110, 3), (105, 115, 2)]);
    assert_eq!(closed_windows(&app), [(0, 5, 15, 2)]);
    assert_eq!(app.window_count(), 4);
}

/// §8.2 `shouldLogAndMeterWhenSkippingExpiredWindowByGrace`: size 10, advance 10, grace 90,
/// stream time 200 so close time 110. The inputs are those of Kafka's test (200, then 100 to
/// 105, then 6); the sheet quotes its log lines (`timestamp=[100] window=[100,110)`,
/// `timestamp=[6] window=[0,10)`) and metrics: 7 dropped, lateness max 194 and average 97.375
/// over the 8 records.
#[test]
fn window_aggregate_drops_by_grace() {
    let mut app = count_app(Windows::tumbling(10, 90));
    assert_eq!(feed(&mut app, 0, 200), Outcome { windows: 1, skipped: 0, rows: 0 });
    for t in [100, 101, 102, 103, 104, 105, 6] {
        assert_eq!(feed(&mut app, 0, t), Outcome { windows: 0, skipped: 1, rows: 0 }, "t = {t}");
    }
    assert_eq!((app.skipped_windows, app.late, app.accepted), (7, 7, 1));
    let lateness: Vec<u64> = app.late_records.iter().map(|r| r.lateness_ms()).collect();
    assert_eq!(lateness.iter().max(), Some(&194));
    // The record at 200 has lateness 0: the average is over all 8.
    assert_eq!(lateness.iter().sum::<u64>() as f64 / 8.0, 97.375);
    assert_eq!(windows_of(&app, 0), [(200, 210, 1)]);
}

/// §8.3 `processEmitFinalJoin` and `shouldNotEmitFinalIfNotProgressEnough`: size 10, advance 5,
/// grace 5; emit-final forwards exactly the windows `is_closed` reports.
#[test]
fn window_aggregate_emit_final_timing() {
    let (a, b, c, d) = (0, 1, 2, 3);
    let mut app = count_app(Windows::hopping(10, 5, 5));
    for (key, t) in [(a, 0), (b, 1), (c, 2), (d, 3), (a, 9)] {
        feed(&mut app, key, t);
    }
    assert!(closed_windows(&app).is_empty(), "stream time 9: close time 4");
    feed(&mut app, a, 15);
    // Close time 15 − 5 = 10: the windows with start ≤ 10 − 10 = 0.
    assert_eq!(closed_windows(&app), [(a, 0, 10, 2), (b, 0, 10, 1), (c, 0, 10, 1), (d, 0, 10, 1)]);
    // Emitted with the aggregate's timestamp: "0+1+1" at 9, "0+2" at 1, "0+3" at 2.
    let ts: Vec<u64> = app.all_windows().filter(|(_, w)| app.is_closed(w)).map(|(_, w)| w.latest_ms).collect();
    assert_eq!(ts, [9, 1, 2, 3]);
    assert_eq!(windows_of(&app, a), [(0, 10, 2), (5, 15, 1), (10, 20, 1), (15, 25, 1)]);

    // A@0, B@5, C@15: only A [0,10) and B [0,10).
    let mut app = count_app(Windows::hopping(10, 5, 5));
    for (key, t) in [(a, 0), (b, 5), (c, 15)] {
        feed(&mut app, key, t);
    }
    assert_eq!(closed_windows(&app), [(a, 0, 10, 1), (b, 0, 10, 1)]);
    assert_eq!(windows_of(&app, b), [(0, 10, 1), (5, 15, 1)]);
}

// ---------------------------------------------------------------------------------------------
// Sliding windows
// ---------------------------------------------------------------------------------------------

/// §3.1 `SlidingWindows` javadoc: time difference 5000, A@8000, A@9200, A@12400 → 5 windows.
#[test]
fn sliding_windows_javadoc_example() {
    let mut app = count_app(Windows::sliding(5000, 0));
    for t in [8000, 9200, 12400] {
        assert!(!feed(&mut app, 0, t).is_late(), "t = {t}");
    }
    assert_eq!(
        windows_of(&app, 0),
        [(3000, 8000, 1), (4200, 9200, 2), (7400, 12400, 3), (8001, 13001, 2), (9201, 14201, 1)]
    );
    assert_eq!(app.window_count(), 5);
}

/// §8.5 `KStreamSlidingWindowAggregateTest.testAggregateSmallInput`: difference 10, grace 50,
/// A@10, 15, 20, 22, 30 → the 9 windows with their aggregates and timestamps.
#[test]
fn sliding_window_aggregate_small_input() {
    let mut app = count_app(Windows::sliding(10, 50));
    for t in [10, 15, 20, 22, 30] {
        assert!(!feed(&mut app, 0, t).is_late(), "t = {t}");
    }
    let got: Vec<(u64, u64, u64, u64)> =
        app.windows_of(KeyId(0)).map(|w| (w.start_ms, w.end_ms, w.count, w.latest_ms)).collect();
    assert_eq!(
        got,
        [
            (0, 10, 1, 10),  // "0+1"
            (5, 15, 2, 15),  // "0+1+2"
            (10, 20, 3, 20), // "0+1+2+3"
            (11, 21, 2, 20), // "0+2+3"
            (12, 22, 3, 22), // "0+2+3+4"
            (16, 26, 2, 22), // "0+3+4"
            (20, 30, 3, 30), // "0+3+4+5"
            (21, 31, 2, 30), // "0+4+5"
            (23, 33, 1, 30), // "0+5"
        ]
    );
    assert_eq!((app.accepted, app.late, app.skipped_windows), (5, 0, 0));
}

/// §3.3: a sliding window `[s, s + d]` takes records while `s + d ≥ streamTime − grace` (the
/// end is inclusive), and a record is dropped whole when `t + d < streamTime − grace`.
#[test]
fn sliding_windows_drop_rule() {
    let mut app = count_app(Windows::sliding(10, 5));
    feed(&mut app, 0, 100);
    // Close time 95: the left window [85,95] ends at the close time and is still open.
    assert_eq!(feed(&mut app, 0, 95), Outcome { windows: 2, skipped: 0, rows: 0 });
    // 84 + 10 = 94 < 95: dropped whole.
    assert_eq!(feed(&mut app, 0, 84), Outcome { windows: 0, skipped: 1, rows: 0 });
    assert_eq!(windows_of(&app, 0), [(85, 95, 1), (90, 100, 2), (96, 106, 1)]);
    assert_eq!((app.accepted, app.late, app.skipped_windows), (2, 1, 1));
    assert_eq!(app.late_records[0].lateness_ms(), 16);

    // Records within d of the epoch share the left window [0, d].
    let mut app = count_app(Windows::sliding(10, 0));
    feed(&mut app, 0, 2);
    feed(&mut app, 0, 5);
    assert_eq!(windows_of(&app, 0)[0], (0, 10, 2));
}

// ---------------------------------------------------------------------------------------------
// Session windows
// ---------------------------------------------------------------------------------------------

/// §4.1 `SessionWindows` javadoc: gap 5, A@10, A@12, A@20 → [10,12] and [20,20]; A@16 merges
/// them into [10,20] with all 4 values.
#[test]
fn session_windows_javadoc_example() {
    let mut app = count_app(Windows::session(5, 0));
    for t in [10, 12, 20] {
        assert_eq!(feed(&mut app, 0, t), Outcome { windows: 1, skipped: 0, rows: 0 });
    }
    assert_eq!(windows_of(&app, 0), [(10, 12, 2), (20, 20, 1)]);
    assert_eq!(feed(&mut app, 0, 16), Outcome { windows: 1, skipped: 0, rows: 0 });
    assert_eq!(windows_of(&app, 0), [(10, 20, 4)]);
    assert_eq!(app.window_count(), 1);
}

/// §7 the guide's session example: gap 5 minutes, no grace, keys green and blue.
#[test]
fn session_windows_dsl_docs_green_blue() {
    let (green, blue) = (0, 1);
    let mut app = count_app(Windows::session(5 * MIN, 0));
    for (key, t) in [(green, 0), (blue, 2 * MIN), (green, 6 * MIN)] {
        feed(&mut app, key, t);
    }
    assert_eq!(windows_of(&app, green), [(0, 0, 1), (6 * MIN, 6 * MIN, 1)]);
    assert_eq!(windows_of(&app, blue), [(2 * MIN, 2 * MIN, 1)]);
    assert_eq!(app.window_count(), 3);
    for (key, t) in [(green, 4 * MIN), (blue, 5 * MIN), (blue, 11 * MIN)] {
        assert!(!feed(&mut app, key, t).is_late(), "key {key} at {t}");
    }
    // Green: merged into [0, 6] with 3 records. Blue: extended to [2, 5] with 2, and a new
    // session [11, 11] (6 minutes after 5, more than the gap).
    assert_eq!(windows_of(&app, green), [(0, 6 * MIN, 3)]);
    assert_eq!(windows_of(&app, blue), [(2 * MIN, 5 * MIN, 2), (11 * MIN, 11 * MIN, 1)]);
    assert_eq!(app.window_count(), 3);
}

/// §8.4 `KStreamSessionWindowAggregateProcessorTest`, GAP_MS = 5 minutes, no grace.
#[test]
fn session_window_aggregate_merges_and_extends() {
    const GAP: u64 = 5 * MIN;
    // Merge via an out-of-order record: GAP + 1 is a separate session, GAP / 2 bridges both.
    let mut app = count_app(Windows::session(GAP, 0));
    feed(&mut app, 0, 0);
    feed(&mut app, 0, GAP + 1);
    assert_eq!(windows_of(&app, 0), [(0, 0, 1), (GAP + 1, GAP + 1, 1)]);
    assert_eq!(feed(&mut app, 0, GAP / 2), Outcome { windows: 1, skipped: 0, rows: 0 });
    assert_eq!(windows_of(&app, 0), [(0, GAP + 1, 3)]);

    // Extend: a@0, a@100 → [0, 100], 2.
    let mut app = count_app(Windows::session(GAP, 0));
    feed(&mut app, 0, 0);
    feed(&mut app, 0, 100);
    assert_eq!(windows_of(&app, 0), [(0, 100, 2)]);

    // Forwarding on merge: a@0 then a@5 → [0,0] replaced by [0,5], 2; ts = window end.
    let mut app = count_app(Windows::session(GAP, 0));
    feed(&mut app, 0, 0);
    feed(&mut app, 0, 5);
    let s = *app.windows_of(KeyId(0)).next().unwrap();
    assert_eq!((s.start_ms, s.end_ms, s.count, s.latest_ms), (0, 5, 2, 5));

    // The gap is inclusive: exactly GAP away merges.
    let mut app = count_app(Windows::session(GAP, 0));
    feed(&mut app, 0, 0);
    feed(&mut app, 0, GAP);
    assert_eq!(windows_of(&app, 0), [(0, GAP, 2)]);
}

/// §8.4 late drops: the close time is `streamTime − grace − gap`, stream time moved by a record
/// of another key ("dummy") on the same task.
#[test]
fn session_window_aggregate_late_drops() {
    let (on_time1, dummy, late1, on_time2) = (0, 1, 2, 3);

    // Gap 10, grace 0: at stream time 11 the close time is 1; [0,0] ends before it.
    let mut app = count_app(Windows::session(10, 0));
    feed(&mut app, on_time1, 0);
    feed(&mut app, dummy, 11);
    assert_eq!(feed(&mut app, late1, 0), Outcome { windows: 0, skipped: 1, rows: 0 });
    assert_eq!((app.skipped_windows, app.late, app.accepted), (1, 1, 2));
    let r = app.late_records[0];
    assert_eq!((r.key, r.timestamp_ms, r.stream_time_ms, r.lateness_ms()), (KeyId(late1), 0, 11, 11));
    assert!(windows_of(&app, late1).is_empty());

    // Gap 10, grace 1: at stream time 11 the close time is 0, so a record at 0 is accepted; at
    // 12 it is 1, and one is dropped.
    let mut app = count_app(Windows::session(10, 1));
    feed(&mut app, on_time1, 0);
    feed(&mut app, dummy, 11);
    assert_eq!(feed(&mut app, on_time2, 0), Outcome { windows: 1, skipped: 0, rows: 0 });
    feed(&mut app, dummy, 12);
    assert_eq!(feed(&mut app, late1, 0), Outcome { windows: 0, skipped: 1, rows: 0 });
    assert_eq!(app.skipped_windows, 1, "dropped-records-total 1.0");
    assert_eq!((app.late, app.accepted), (1, 4));
    assert_eq!(windows_of(&app, on_time2), [(0, 0, 1)]);
    assert_eq!(windows_of(&app, dummy), [(11, 12, 2)]);
    assert!(windows_of(&app, late1).is_empty());

    // §4.3: a late record merging into a session still open is accepted, even if alone it
    // would be dropped.
    let mut app = count_app(Windows::session(10, 0));
    feed(&mut app, 0, 0);
    feed(&mut app, 0, 11);
    assert_eq!(windows_of(&app, 0), [(0, 0, 1), (11, 11, 1)]);
    assert_eq!(feed(&mut app, 0, 0), Outcome { windows: 0, skipped: 1, rows: 0 }, "[0,0] ends before 1");
    assert_eq!(feed(&mut app, 0, 1), Outcome { windows: 1, skipped: 0, rows: 0 }, "merges into [0,11]");
    assert_eq!(windows_of(&app, 0), [(0, 11, 3)]);
}

// ---------------------------------------------------------------------------------------------
// Random streams
// ---------------------------------------------------------------------------------------------

/// SplitMix64: a tiny deterministic generator (no `rand` in the engine's dependencies).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x005e_ed0f_5731_ea3b)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tumbling,
    Hopping,
    Sliding,
    Session,
}

const KINDS: [Kind; 4] = [Kind::Tumbling, Kind::Hopping, Kind::Sliding, Kind::Session];

fn random_spec(kind: Kind, rng: &mut Rng, grace: u64) -> Windows {
    match kind {
        Kind::Tumbling => Windows::tumbling(rng.range(1, 20), grace),
        Kind::Hopping => {
            let size = rng.range(2, 20);
            Windows::hopping(size, rng.range(1, size - 1), grace)
        }
        Kind::Sliding => Windows::sliding(rng.range(0, 12), grace),
        Kind::Session => Windows::session(rng.range(0, 12), grace),
    }
}

#[derive(Debug, Clone, Copy)]
struct Rec {
    id: u64,
    task: u32,
    key: u32,
    t: u64,
}

/// Feeds `recs` in order to a fresh aggregator; each record's id is its `id`.
fn run(spec: Windows, tasks: u32, recs: &[Rec]) -> (WindowedAggregator, Vec<Outcome>) {
    let mut app = WindowedAggregator::new(spec, Aggregation::Count, tasks as usize);
    let outcomes = recs
        .iter()
        .map(|r| Outcome { rows: 0, ..app.process(r.task, RecordId(r.id), KeyId(r.key), r.t, Payload::None, 0.0) })
        .collect();
    (app, outcomes)
}

/// Whether window `w` of `spec` holds timestamp `t`, by its bounds.
fn holds(spec: Windows, w: &WindowAggregate, t: u64) -> bool {
    w.start_ms <= t && if spec.end_inclusive() { t <= w.end_ms } else { t < w.end_ms }
}

/// A random disordered stream: 1 to 5 keys, each on task `key % tasks`, 1 to 3 tasks; a clock
/// moving forward in small steps, each record up to `disorder` ms behind it.
fn random_stream(rng: &mut Rng, tasks: u32) -> Vec<Rec> {
    let keys = rng.range(1, 5) as u32;
    let n = rng.range(1, 150);
    let disorder = rng.range(0, 40);
    let mut clock = rng.range(0, 50);
    (0..n)
        .map(|id| {
            clock += rng.range(0, 6);
            let key = rng.range(0, keys as u64 - 1) as u32;
            let t = if rng.range(0, 2) == 0 { clock } else { clock.saturating_sub(rng.range(0, disorder)) };
            Rec { id, task: key % tasks, key, t }
        })
        .collect()
}

/// Kafka's `KStreamWindowAggregate`, written out: per task stream time, and each window of
/// `windowsFor(t)` (every multiple of the advance `s` with `s ≤ t < s + size`) takes the record
/// iff `s + size > streamTime − grace`. Returns each record's outcome and the counts by
/// `(key, start)`.
fn reference_time_windows(spec: Windows, recs: &[Rec]) -> (Vec<Outcome>, BTreeMap<(u32, u64), u64>) {
    let Windows::Time { size_ms, advance_ms, grace_ms } = spec else { unreachable!() };
    let mut stream_time: BTreeMap<u32, i64> = BTreeMap::new();
    let mut counts = BTreeMap::new();
    let outcomes = recs
        .iter()
        .map(|r| {
            let st = stream_time.entry(r.task).or_insert(-1);
            *st = (*st).max(r.t as i64);
            let close = *st - grace_ms as i64;
            let mut out = Outcome { windows: 0, skipped: 0, rows: 0 };
            let mut s = 0;
            while s <= r.t {
                if r.t < s + size_ms {
                    if (s + size_ms) as i64 > close {
                        *counts.entry((r.key, s)).or_insert(0) += 1;
                        out.windows += 1;
                    } else {
                        out.skipped += 1;
                    }
                }
                s += advance_ms;
            }
            out
        })
        .collect();
    (outcomes, counts)
}

fn check_conservation(kind: Kind, seed: u64) {
    let mut rng = Rng::new(seed * 4 + kind as u64);
    let tasks = rng.range(1, 3) as u32;
    let grace = rng.range(0, 15);
    let spec = random_spec(kind, &mut rng, grace);
    let recs = random_stream(&mut rng, tasks);
    let (app, outcomes) = run(spec, tasks, &recs);
    let n = recs.len() as u64;
    let ctx = format!("seed {seed}, {kind:?} {spec:?}, {tasks} tasks");

    assert_eq!(app.accepted + app.late, n, "{ctx}: accepted + late = records");
    assert_eq!(app.late, outcomes.iter().filter(|o| o.is_late()).count() as u64, "{ctx}");
    assert_eq!(app.late_records.len() as u64, app.late, "{ctx}: fewer than 200 records, all kept");
    assert_eq!(app.skipped_windows, outcomes.iter().map(|o| u64::from(o.skipped)).sum::<u64>(), "{ctx}");
    assert_eq!(app.window_count(), app.all_windows().count(), "{ctx}: window_count");

    // Stream time per task, for the late records' check.
    let mut stream_time: BTreeMap<u32, u64> = BTreeMap::new();
    let mut late = app.late_records.iter();
    for (r, o) in recs.iter().zip(&outcomes) {
        let st = stream_time.entry(r.task).or_insert(r.t);
        *st = (*st).max(r.t);
        let in_late_output = app.late_records.iter().any(|l| l.record_id == RecordId(r.id));
        let in_a_window = app.windows_of(KeyId(r.key)).any(|w| holds(spec, w, r.t));
        assert!(in_late_output != (o.windows >= 1), "{ctx}: record {r:?} {o:?}: late XOR in windows");
        if o.is_late() {
            let l = late.next().expect("late records in arrival order");
            assert_eq!(
                (l.record_id, l.key, l.task, l.timestamp_ms),
                (RecordId(r.id), KeyId(r.key), r.task, r.t),
                "{ctx}"
            );
            assert_eq!(l.stream_time_ms, *st, "{ctx}: record {r:?}");
            assert!(l.timestamp_ms < l.stream_time_ms, "{ctx}: a record at stream time is never late: {l:?}");
            assert!(o.skipped >= 1, "{ctx}: record {r:?} late without a skipped window");
        } else {
            assert!(in_a_window, "{ctx}: record {r:?} accepted but in no window of its key");
        }
    }

    for (k, w) in app.all_windows() {
        assert!(w.count >= 1, "{ctx}: empty window {k:?} {w:?}");
        assert_eq!(w.task, k.0 % tasks, "{ctx}: window {k:?} {w:?} on its key's task");
    }

    let accepted_in = |k: KeyId, w: &WindowAggregate| {
        recs.iter().zip(&outcomes).filter(|(r, o)| r.key == k.0 && !o.is_late() && holds(spec, w, r.t)).count() as u64
    };
    match spec {
        Windows::Time { size_ms, advance_ms, .. } => {
            let total: u64 = app.all_windows().map(|(_, w)| w.count).sum();
            let taken: u64 = outcomes.iter().map(|o| u64::from(o.windows)).sum();
            assert_eq!(total, taken, "{ctx}: window counts = windows taken");
            for (k, w) in app.all_windows() {
                assert_eq!((w.start_ms % advance_ms, w.end_ms), (0, w.start_ms + size_ms), "{ctx}: {k:?} {w:?}");
            }
            let (ref_outcomes, ref_counts) = reference_time_windows(spec, &recs);
            for (i, (o, e)) in outcomes.iter().zip(&ref_outcomes).enumerate() {
                assert_eq!(o, e, "{ctx}: record {:?}", recs[i]);
            }
            let got: BTreeMap<(u32, u64), u64> = app.all_windows().map(|(k, w)| ((k.0, w.start_ms), w.count)).collect();
            assert_eq!(got, ref_counts, "{ctx}: windows");
        }
        Windows::Sliding { time_difference_ms: d, .. } => {
            for (k, w) in app.all_windows() {
                assert_eq!(w.end_ms, w.start_ms + d, "{ctx}: {k:?} {w:?}");
                let most = accepted_in(k, w);
                assert!(w.count <= most, "{ctx}: {k:?} {w:?} counts more than the {most} accepted records in it");
            }
        }
        Windows::Session { inactivity_gap_ms: gap, .. } => {
            let total: u64 = app.all_windows().map(|(_, w)| w.count).sum();
            assert_eq!(total, app.accepted, "{ctx}: session counts = accepted");
            for k in app.keys() {
                let sessions: Vec<&WindowAggregate> = app.windows_of(k).collect();
                for s in &sessions {
                    assert_eq!(s.count, accepted_in(k, s), "{ctx}: {k:?} {s:?} holds its accepted records");
                    assert!(s.start_ms <= s.end_ms, "{ctx}: {s:?}");
                }
                for pair in sessions.windows(2) {
                    assert!(pair[1].start_ms > pair[0].end_ms + gap, "{ctx}: {k:?} sessions within the gap: {pair:?}");
                }
            }
        }
    }
}

#[test]
fn conservation_on_random_streams() {
    for kind in KINDS {
        for seed in 0..200 {
            check_conservation(kind, seed);
        }
    }
}

/// Records sorted by time, then delivered in the order of `t + jitter`, jitter ≤ J ≤ grace: the
/// disorder stays within the grace, so nothing is late and the final windows are those of the
/// in-order run.
fn check_order_invariance(kind: Kind, seed: u64) {
    let mut rng = Rng::new(1_000_003 * seed + kind as u64);
    let tasks = rng.range(1, 3) as u32;
    let grace = rng.range(0, 20);
    let jitter = rng.range(0, grace);
    let spec = random_spec(kind, &mut rng, grace);
    let keys = rng.range(1, 5) as u32;
    let n = rng.range(1, 150);
    let mut clock = rng.range(0, 50);
    let in_order: Vec<Rec> = (0..n)
        .map(|id| {
            clock += rng.range(0, 4);
            let key = rng.range(0, keys as u64 - 1) as u32;
            Rec { id, task: key % tasks, key, t: clock }
        })
        .collect();
    let mut arrival: Vec<(u64, Rec)> = in_order.iter().map(|r| (r.t + rng.range(0, jitter), *r)).collect();
    arrival.sort_by_key(|(at, r)| (*at, r.id));
    let arrival: Vec<Rec> = arrival.into_iter().map(|(_, r)| r).collect();
    let ctx = format!("seed {seed}, {kind:?} {spec:?}, jitter ≤ {jitter}, {tasks} tasks");

    let (a, _) = run(spec, tasks, &in_order);
    let (b, outcomes) = run(spec, tasks, &arrival);
    assert_eq!((a.late, a.skipped_windows), (0, 0), "{ctx}: in order");
    assert_eq!((b.late, b.skipped_windows), (0, 0), "{ctx}: out of order within the grace");
    assert!(outcomes.iter().all(|o| o.windows >= 1), "{ctx}");
    assert_eq!(all_windows(&b), all_windows(&a), "{ctx}: final windows");
}

#[test]
fn order_within_grace_changes_nothing() {
    for kind in KINDS {
        for seed in 0..100 {
            check_order_invariance(kind, seed);
        }
    }
}
