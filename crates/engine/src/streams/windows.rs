//! Window definitions, as Kafka Streams 4.x defines them, and which windows a record falls in.
//!
//! - [`Windows::Time`]: `TimeWindows.ofSizeAndGrace(size, grace).advanceBy(advance)`. Windows
//!   are aligned to the epoch (every start a multiple of the advance, ≥ 0) and half-open,
//!   `[start, start + size)`. Tumbling when the advance equals the size, hopping when it is
//!   smaller. Beam / Dataflow: fixed and sliding windows; Spark: `window(col, size, slide)`.
//! - [`Windows::Sliding`]: `SlidingWindows.ofTimeDifferenceAndGrace(difference, grace)`
//!   (KIP-450). Windows are made by the records, `[start, start + difference]` with both bounds
//!   inclusive. Neither Beam nor Spark has them: their "sliding" windows are our hopping ones.
//! - [`Windows::Session`]: `SessionWindows.ofInactivityGapAndGrace(gap, grace)`. A session is
//!   `[first, last]`, both inclusive; a record within `gap` of a session (inclusive) joins it,
//!   and one within `gap` of two merges them. Beam: session windows; Spark: `session_window`.
//!
//! Kafka 4.x has no default grace (`ofSizeWithNoGrace` is grace 0), so neither does this.

use serde::Serialize;

/// Longest size, advance, time difference, gap or grace accepted: 365 days, in ms.
pub const MAX_WINDOW_MS: u64 = 365 * 86_400_000;

/// Most windows one record may fall in (`size_ms / advance_ms`): a bound on the work per record
/// that Kafka has not got.
pub const MAX_WINDOWS_PER_RECORD: u64 = 1000;

/// A window definition. All durations are in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Windows {
    /// `TimeWindows`: `size_ms` ≥ 1, `0 < advance_ms ≤ size_ms`.
    Time { size_ms: u64, advance_ms: u64, grace_ms: u64 },
    /// `SlidingWindows`: `time_difference_ms` ≥ 0 (0 puts only equal timestamps together).
    Sliding { time_difference_ms: u64, grace_ms: u64 },
    /// `SessionWindows`: `inactivity_gap_ms` ≥ 0.
    Session { inactivity_gap_ms: u64, grace_ms: u64 },
}

impl Windows {
    /// `TimeWindows.ofSizeAndGrace(size, grace)`.
    pub fn tumbling(size_ms: u64, grace_ms: u64) -> Windows {
        Windows::Time { size_ms, advance_ms: size_ms, grace_ms }
    }

    /// `TimeWindows.ofSizeAndGrace(size, grace).advanceBy(advance)`.
    pub fn hopping(size_ms: u64, advance_ms: u64, grace_ms: u64) -> Windows {
        Windows::Time { size_ms, advance_ms, grace_ms }
    }

    /// `SlidingWindows.ofTimeDifferenceAndGrace(difference, grace)`.
    pub fn sliding(time_difference_ms: u64, grace_ms: u64) -> Windows {
        Windows::Sliding { time_difference_ms, grace_ms }
    }

    /// `SessionWindows.ofInactivityGapAndGrace(gap, grace)`.
    pub fn session(inactivity_gap_ms: u64, grace_ms: u64) -> Windows {
        Windows::Session { inactivity_gap_ms, grace_ms }
    }

    /// Kafka's constructor checks, with the bounds of [`MAX_WINDOW_MS`]. The error names the
    /// parameter (`size_ms`, `advance_ms`, `time_difference_ms`, `inactivity_gap_ms`,
    /// `grace_ms`), the allowed range and the value.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let range = |name: &'static str, v: u64, min: u64, max: u64| {
            if v < min || v > max {
                Err((name, format!("must be {min} to {max}, got {v}")))
            } else {
                Ok(())
            }
        };
        match *self {
            Windows::Time { size_ms, advance_ms, .. } => {
                range("size_ms", size_ms, 1, MAX_WINDOW_MS)?;
                range("advance_ms", advance_ms, size_ms.div_ceil(MAX_WINDOWS_PER_RECORD).max(1), size_ms)?;
            }
            Windows::Sliding { time_difference_ms, .. } => {
                range("time_difference_ms", time_difference_ms, 0, MAX_WINDOW_MS)?
            }
            Windows::Session { inactivity_gap_ms, .. } => {
                range("inactivity_gap_ms", inactivity_gap_ms, 0, MAX_WINDOW_MS)?
            }
        }
        range("grace_ms", self.grace_ms(), 0, MAX_WINDOW_MS)
    }

    /// `tumbling`, `hopping`, `sliding` or `session`.
    pub fn name(&self) -> &'static str {
        match *self {
            Windows::Time { size_ms, advance_ms, .. } if advance_ms == size_ms => "tumbling",
            Windows::Time { .. } => "hopping",
            Windows::Sliding { .. } => "sliding",
            Windows::Session { .. } => "session",
        }
    }

    /// The grace period, ms.
    pub fn grace_ms(&self) -> u64 {
        match *self {
            Windows::Time { grace_ms, .. } | Windows::Sliding { grace_ms, .. } | Windows::Session { grace_ms, .. } => {
                grace_ms
            }
        }
    }

    /// The same windows with another grace period.
    pub fn with_grace(self, grace: u64) -> Windows {
        match self {
            Windows::Time { size_ms, advance_ms, .. } => Windows::Time { size_ms, advance_ms, grace_ms: grace },
            Windows::Sliding { time_difference_ms, .. } => Windows::Sliding { time_difference_ms, grace_ms: grace },
            Windows::Session { inactivity_gap_ms, .. } => Windows::Session { inactivity_gap_ms, grace_ms: grace },
        }
    }

    /// Whether a window's `end_ms` is part of it: false for `TimeWindows`, true for sliding and
    /// session windows.
    pub fn end_inclusive(&self) -> bool {
        !matches!(self, Windows::Time { .. })
    }

    /// The start of each time window holding `timestamp_ms`, ascending (`TimeWindows.windowsFor`:
    /// the first is `⌊max(0, t − size + advance) / advance⌋ · advance`). Empty for the other kinds.
    pub fn windows_for(&self, timestamp_ms: u64) -> impl Iterator<Item = u64> {
        let (first, advance) = match *self {
            Windows::Time { size_ms, advance_ms, .. } => {
                ((timestamp_ms + advance_ms).saturating_sub(size_ms) / advance_ms * advance_ms, advance_ms)
            }
            _ => (1, 0),
        };
        (0..).map(move |i| first + i * advance).take_while(move |&s| advance > 0 && s <= timestamp_ms)
    }

    /// Whether a window ending at `end_ms` still takes records when stream time is
    /// `stream_time_ms` (the processors' `windowCloseTime` tests):
    /// - time windows: `end > streamTime − grace` (`KStreamWindowAggregate`);
    /// - sliding windows: `end ≥ streamTime − grace` (`KStreamSlidingWindowAggregate`);
    /// - sessions: `end ≥ streamTime − grace − gap`, the merged session's end
    ///   (`KStreamSessionWindowAggregate`, Kafka 3.x and later).
    pub fn accepts(&self, end_ms: u64, stream_time_ms: u64) -> bool {
        match *self {
            Windows::Time { grace_ms, .. } => end_ms > stream_time_ms.saturating_sub(grace_ms),
            Windows::Sliding { grace_ms, .. } => end_ms >= stream_time_ms.saturating_sub(grace_ms),
            Windows::Session { inactivity_gap_ms, grace_ms } => {
                end_ms >= stream_time_ms.saturating_sub(grace_ms).saturating_sub(inactivity_gap_ms)
            }
        }
    }

    /// Whether a window ending at `end_ms` is closed at `stream_time_ms`: it takes no more
    /// records, and `EmitStrategy.onWindowClose` (or `suppress(untilWindowCloses)`) emits its
    /// final result. The exact opposite of [`Windows::accepts`].
    pub fn is_closed(&self, end_ms: u64, stream_time_ms: u64) -> bool {
        !self.accepts(end_ms, stream_time_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(w: Windows, t: u64) -> Vec<u64> {
        w.windows_for(t).collect()
    }

    #[test]
    fn windows_for_follows_time_windows_test() {
        // TimeWindowsTest: size 12, advance 5, t = 21 → [10,22), [15,27), [20,32).
        assert_eq!(starts(Windows::hopping(12, 5, 0), 21), [10, 15, 20]);
        // Barely overlapping: size 6, advance 5, t = 7 → only [5,11).
        assert_eq!(starts(Windows::hopping(6, 5, 0), 7), [5]);
        // Tumbling size 12, t = 21 → [12,24).
        assert_eq!(starts(Windows::tumbling(12, 0), 21), [12]);
        // Near the epoch no window starts below 0.
        assert_eq!(starts(Windows::hopping(5000, 3000, 0), 1000), [0]);
        assert_eq!(starts(Windows::hopping(5000, 3000, 0), 4000), [0, 3000]);
        assert!(starts(Windows::sliding(10, 0), 5).is_empty());
    }

    #[test]
    fn validation_names_the_parameter() {
        assert_eq!(Windows::hopping(10, 11, 0).validate().unwrap_err().0, "advance_ms");
        assert_eq!(Windows::tumbling(0, 0).validate().unwrap_err().0, "size_ms");
        assert_eq!(
            Windows::hopping(10_000, 9, 0).validate().unwrap_err(),
            ("advance_ms", "must be 10 to 10000, got 9".into())
        );
        assert!(Windows::sliding(0, 0).validate().is_ok());
        assert_eq!(
            Windows::session(5, MAX_WINDOW_MS + 1).validate().unwrap_err(),
            ("grace_ms", format!("must be 0 to {MAX_WINDOW_MS}, got {}", MAX_WINDOW_MS + 1))
        );
    }

    #[test]
    fn the_watermark_is_the_minimum_over_partitions_not_idle() {
        let spec = WatermarkSpec { max_out_of_orderness_ms: 2_000, idle_timeout_ms: None };
        // An empty partition holds the watermark back...
        assert_eq!(watermark(&spec, &[(Some(10_000), Some(9_000)), (None, None)], 10_000), None);
        assert_eq!(watermark(&spec, &[(Some(10_000), Some(9_000)), (Some(7_000), Some(9_000))], 10_000), Some(5_000));
        // ... until it has been idle for idle_timeout_ms of processing time.
        let idle = WatermarkSpec { idle_timeout_ms: Some(5_000), ..spec };
        assert_eq!(watermark(&idle, &[(Some(10_000), Some(9_000)), (None, None)], 4_999), None);
        assert_eq!(watermark(&idle, &[(Some(10_000), Some(9_000)), (None, None)], 5_000), Some(8_000));
        assert_eq!(watermark(&idle, &[(Some(10_000), Some(1_000)), (Some(3_000), Some(9_000))], 9_000), Some(1_000));
    }

    #[test]
    fn close_rules_differ_by_kind() {
        // Time: [0,10) with grace 5 closes when stream time reaches 15.
        let t = Windows::tumbling(10, 5);
        assert!(t.accepts(10, 14) && !t.accepts(10, 15));
        // Sliding: [0,10] with grace 5 is still open at 15, closed at 16.
        let s = Windows::sliding(10, 5);
        assert!(s.accepts(10, 15) && !s.accepts(10, 16));
        // Session gap 10, grace 1: a session ending at 0 is open at 11, closed at 12.
        let g = Windows::session(10, 1);
        assert!(g.accepts(0, 11) && !g.accepts(0, 12));
    }
}

/// When a windowed aggregation sends its results downstream (Kafka Streams' `EmitStrategy`,
/// KIP-825).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmitStrategy {
    /// `EmitStrategy.onWindowUpdate()`, the default: every update of every window (Spark's
    /// update output mode).
    #[default]
    OnWindowUpdate,
    /// `EmitStrategy.onWindowClose()` (or `suppress(untilWindowCloses)`): each window's final
    /// result once, when it closes (Spark's append output mode).
    OnWindowClose,
}

impl EmitStrategy {
    /// `on_window_update` or `on_window_close`.
    pub fn name(self) -> &'static str {
        match self {
            EmitStrategy::OnWindowUpdate => "on_window_update",
            EmitStrategy::OnWindowClose => "on_window_close",
        }
    }
}

/// The watermark shown beside stream time: what Flink (`WatermarkStrategy.forBoundedOutOfOrderness`
/// with `withIdleness`) or Beam would compute for the same input. Kafka Streams has no
/// watermark; it closes windows by each task's stream time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WatermarkSpec {
    /// Each partition's watermark is its largest event time minus this, ms.
    pub max_out_of_orderness_ms: u64,
    /// A partition with no record processed for this long (processing time, ms) is idle and
    /// stops holding the watermark back; `None`: never.
    pub idle_timeout_ms: Option<u64>,
}

/// The watermark of an application reading several partitions: the minimum of their
/// watermarks, idle ones left out. Each entry: the partition's stream time (`None` before its
/// first record) and when it last had a record processed. `None` while a partition that is not
/// idle has had no record yet (it holds the watermark back), or when every partition is idle.
pub fn watermark(spec: &WatermarkSpec, partitions: &[(Option<u64>, Option<u64>)], now_ms: u64) -> Option<u64> {
    let mut min: Option<u64> = None;
    for &(stream_time, last_processed) in partitions {
        let idle = spec.idle_timeout_ms.is_some_and(|t| now_ms.saturating_sub(last_processed.unwrap_or(0)) >= t);
        if idle {
            continue;
        }
        let w = stream_time?.saturating_sub(spec.max_out_of_orderness_ms);
        min = Some(min.map_or(w, |m| m.min(w)));
    }
    min
}
