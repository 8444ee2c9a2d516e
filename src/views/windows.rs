//! The windows view: the window definition (with a switch between the four types), each task's
//! stream time, the busiest keys' latest windows drawn on an event-time axis, open or closed,
//! and the late output with each record's lateness.

use crate::app::Action;
use crate::player::Knobs;
use std::rc::Rc;
use streamlab_engine::exercise::ActionKind;
use streamlab_engine::scenario::WindowType;
use streamlab_engine::session::Setup;
use streamlab_engine::snapshot::{WindowRow, WindowsView};
use streamlab_engine::streams::Windows;
use streamlab_engine::workload::table::format_naive_ms;
use streamlab_engine::{Scenario, Snapshot};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
    pub setup: Rc<Setup>,
    pub scenario: Rc<Scenario>,
    pub on_action: Callback<Action>,
    /// In an exercise, the actions it allows; the type switch is the playground's only.
    pub allowed: Option<Rc<Vec<ActionKind>>>,
}

fn duration(ms: u64) -> String {
    match ms {
        0 => "0".into(),
        ms if ms % 86_400_000 == 0 => format!("{} d", ms / 86_400_000),
        ms if ms % 3_600_000 == 0 => format!("{} h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("{} min", ms / 60_000),
        ms if ms % 1000 == 0 => format!("{} s", ms / 1000),
        ms => format!("{ms} ms"),
    }
}

/// A window bound or stream time, as short as the windows' scale allows: `HH:MM:SS` under a
/// minute, else `MM-DD HH:MM`.
fn short_time(ms: u64, scale_ms: u64) -> String {
    let full = format_naive_ms(ms);
    if scale_ms < 60_000 {
        full[11..19].to_string()
    } else {
        full[5..16].to_string()
    }
}

/// The times windows can use: the view's choice, and its label.
const TIMES: [(&str, &str); 3] = [
    ("event", "event time (CreateTime)"),
    ("log_append", "log-append time (LogAppendTime)"),
    ("processing", "processing time (wall clock)"),
];

/// The heading: type and parameters.
fn title(w: &Windows) -> String {
    match *w {
        Windows::Time { size_ms, advance_ms, grace_ms } if size_ms == advance_ms => {
            format!("Tumbling windows of {}, grace {}", duration(size_ms), duration(grace_ms))
        }
        Windows::Time { size_ms, advance_ms, grace_ms } => format!(
            "Hopping windows of {}, advancing by {}, grace {}",
            duration(size_ms),
            duration(advance_ms),
            duration(grace_ms)
        ),
        Windows::Sliding { time_difference_ms, grace_ms } => {
            format!("Sliding windows, time difference {}, grace {}", duration(time_difference_ms), duration(grace_ms))
        }
        Windows::Session { inactivity_gap_ms, grace_ms } => {
            format!("Session windows, inactivity gap {}, grace {}", duration(inactivity_gap_ms), duration(grace_ms))
        }
    }
}

/// What the windows are, in Kafka Streams' words with Beam's and Spark's beside them.
fn explain(w: &Windows) -> &'static str {
    match w.name() {
        "tumbling" => "Kafka Streams TimeWindows.ofSizeAndGrace (Beam: fixed windows with allowed lateness; Spark: window(time, size) with a watermark). Windows are [start, end), aligned to the epoch, and never overlap: each record is in exactly one.",
        "hopping" => "Kafka Streams TimeWindows.ofSizeAndGrace(...).advanceBy(...) (Beam: SlidingWindows; Spark: window(time, size, slide)). Windows are [start, end), aligned to the epoch, and overlap: each record is in size ÷ advance windows. Each window closes on its own, so a late record can be kept by its newer windows and dropped by the older ones.",
        "sliding" => "Kafka Streams SlidingWindows.ofTimeDifferenceAndGrace (KIP-450; neither Beam nor Spark has these: their \"sliding\" windows are hopping ones). Windows are [start, end], both bounds inclusive, made by the records: each record makes the window ending at it, and the window just after it when a later record falls there, so each distinct set of records within the time difference is one window.",
        _ => "Kafka Streams SessionWindows.ofInactivityGapAndGrace (Beam: Sessions; Spark: session_window). A session is [first, last] record, both inclusive; a record within the gap of a session joins it, and one within the gap of two merges them. A record is dropped only when the session it would make ends before stream time − grace − gap.",
    }
}

/// Each window's lane on the axis: the first whose last window ended before it starts.
fn lanes(row: &WindowRow, inclusive: bool) -> (Vec<usize>, usize) {
    let mut ends: Vec<u64> = vec![];
    let lane = row
        .cells
        .iter()
        .map(|c| {
            let free = ends.iter().position(|&e| if inclusive { e < c.start_ms } else { e <= c.start_ms });
            match free {
                Some(i) => {
                    ends[i] = c.end_ms;
                    i
                }
                None => {
                    ends.push(c.end_ms);
                    ends.len() - 1
                }
            }
        })
        .collect();
    (lane, ends.len().max(1))
}

/// One key's latest windows as boxes on an event-time axis, with its task's stream time.
fn axis(w: &WindowsView, row: &WindowRow, stream_time: Option<u64>) -> Html {
    let watermark = w.watermark.watermark_ms;
    let (Some(first), Some(last)) = (row.cells.first(), row.cells.iter().map(|c| c.end_ms).max()) else {
        return html! {};
    };
    // A late record just before the first window shown still gets its mark: the axis reaches
    // back up to its own width for it (sliding windows show only a few seconds).
    let from = w
        .late_records
        .iter()
        .filter(|l| l.key == row.key && l.timestamp_ms < first.start_ms)
        .map(|l| l.timestamp_ms)
        .filter(|t| t + (last - first.start_ms) >= first.start_ms)
        .min()
        .unwrap_or(first.start_ms);
    let to = last.max(stream_time.unwrap_or(0).min(last + (last - from) / 4)).max(from + 1);
    // Percent of the width: text is not stretched as a scaled viewBox would stretch it.
    let x = |t: u64| (t.saturating_sub(from)) as f64 / (to - from) as f64 * 100.0;
    let (lane, lane_count) = lanes(row, w.windows.end_inclusive());
    let h = 18.0;
    // The last lane is for late-record marks.
    let height = lane_count as f64 * h + 16.0;
    html! {
        <svg class="axis" height={format!("{height}")} role="img"
            aria-label={format!("{}: {} windows from {}", row.key, row.cells.len(), format_naive_ms(from))}>
            { for row.cells.iter().zip(&lane).map(|(c, &l)| {
                let (x0, x1) = (x(c.start_ms), x(c.end_ms).max(x(c.start_ms) + 0.3));
                let y = 2.0 + l as f64 * h;
                html! {
                    <g class={classes!("win", if c.closed { "closed" } else { "open" })}>
                        <title>{format!("[{}, {}{} · {} · {}", format_naive_ms(c.start_ms), format_naive_ms(c.end_ms),
                            if w.windows.end_inclusive() { "]" } else { ")" }, c.summary, if c.closed { "closed" } else { "open" })}</title>
                        <rect x={format!("{x0:.2}%")} y={format!("{y:.1}")} width={format!("{:.2}%", x1 - x0)} height={format!("{:.1}", h - 3.0)} rx="2" />
                        if x1 - x0 > 3.0 {
                            <text x={format!("{:.2}%", x0 + 0.5)} y={format!("{:.1}", y + h - 7.0)}>{c.count}</text>
                        }
                    </g>
                }
            }) }
            { for w.late_records.iter().filter(|l| l.key == row.key && l.timestamp_ms >= from && l.timestamp_ms <= to).map(|l| html! {
                <text class="late-mark" x={format!("{:.2}%", x(l.timestamp_ms))} y={format!("{:.1}", height - 3.0)} text-anchor="middle">
                    {"✕"}<title>{format!("late record {}: event time {}, stream time {} ({} late)", l.id, format_naive_ms(l.timestamp_ms),
                        format_naive_ms(l.stream_time_ms), duration_text(l.stream_time_ms - l.timestamp_ms))}</title>
                </text>
            }) }
            if let Some(wm) = watermark.filter(|wm| *wm >= from && *wm <= to) {
                <line class="watermark-line" x1={format!("{:.2}%", x(wm))} x2={format!("{:.2}%", x(wm))} y1="0" y2={format!("{height}")}>
                    <title>{format!("watermark {}", format_naive_ms(wm))}</title>
                </line>
            }
            if let Some(st) = stream_time.filter(|st| *st >= from && *st <= to) {
                <line class="stream-time-line" x1={format!("{:.2}%", x(st))} x2={format!("{:.2}%", x(st))} y1="0" y2={format!("{height}")}>
                    <title>{format!("stream time {}", format_naive_ms(st))}</title>
                </line>
            }
        </svg>
    }
}

/// The latest records: processing time across, the windows' time up; late ones as red ✕.
fn scatter(w: &WindowsView) -> Html {
    let (Some(p0), Some(p1)) = (w.recent.iter().map(|r| r.0).min(), w.recent.iter().map(|r| r.0).max()) else {
        return html! {};
    };
    let (e0, e1) = (w.recent.iter().map(|r| r.1).min().unwrap_or(0), w.recent.iter().map(|r| r.1).max().unwrap_or(0));
    let x = |t: u64| 2.0 + (t - p0) as f64 / (p1 - p0).max(1) as f64 * 96.0;
    let y = |t: u64| 92.0 - (t - e0) as f64 / (e1 - e0).max(1) as f64 * 84.0;
    let time = match w.time.as_str() {
        "processing" => "processing time",
        "log_append" => "log-append time",
        _ => "event time",
    };
    html! {
        <figure class="scatter">
            <svg class="scatter" height="140" role="img" aria-label={format!("the latest {} records: processing time against {time}", w.recent.len())}>
                <line class="axis-line" x1="2%" y1="92%" x2="98%" y2="92%" />
                <line class="axis-line" x1="2%" y1="8%" x2="2%" y2="92%" />
                { for w.recent.iter().map(|&(p, e, late)| if late {
                    html! { <text class="late-mark" x={format!("{:.2}%", x(p))} y={format!("{:.2}%", y(e))} text-anchor="middle" dominant-baseline="middle">{"✕"}</text> }
                } else {
                    html! { <circle class="dot" cx={format!("{:.2}%", x(p))} cy={format!("{:.2}%", y(e))} r="2" /> }
                }) }
            </svg>
            <figcaption>{format!("The latest {} records: processing time across ({:.1} s to {:.1} s of the run), {time} up ({} to {}). In order, they would climb; every dip is a record older than one processed before it; ✕ marks the late ones.",
                w.recent.len(), p0 as f64 / 1000.0, p1 as f64 / 1000.0, format_naive_ms(e0), format_naive_ms(e1))}</figcaption>
        </figure>
    }
}

#[function_component(WindowPanel)]
pub fn window_panel(props: &Props) -> Html {
    let Some(w) = &props.snapshot.windows else {
        return html! {
            <section class="panel" aria-labelledby="windows-h">
                <h2 id="windows-h">{"Windows"}</h2>
                <p class="hint">{"This run has no windowed aggregation: its consumer group only processes records."}</p>
            </section>
        };
    };
    let switch = {
        let (setup, scenario, cb) = (props.setup.clone(), props.scenario.clone(), props.on_action.clone());
        Callback::from(move |e: Event| {
            let value = e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value());
            if let Some(kind) = value.as_deref().and_then(WindowType::parse) {
                cb.emit(Action::Configure(Knobs { window_type: Some(kind), ..Knobs::of(&setup, &scenario) }));
            }
        })
    };
    let current = w.windows.name();
    let time_switch = {
        let (setup, scenario, cb) = (props.setup.clone(), props.scenario.clone(), props.on_action.clone());
        Callback::from(move |e: Event| {
            let value = e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value());
            let time = TIMES.iter().find(|(id, _)| Some(*id) == value.as_deref()).map(|(id, _)| *id);
            if let Some(time) = time {
                cb.emit(Action::Configure(Knobs { window_time: Some(time), ..Knobs::of(&setup, &scenario) }));
            }
        })
    };
    let scale = match w.windows {
        Windows::Time { size_ms, .. } => size_ms,
        Windows::Sliding { time_difference_ms, .. } => time_difference_ms,
        Windows::Session { inactivity_gap_ms, .. } => inactivity_gap_ms,
    };
    let stream_time = w.stream_time_ms.iter().map(|(_, t)| *t).max();
    let task_time = |partition: &str| w.stream_time_ms.iter().find(|(p, _)| p == partition).map(|(_, t)| *t);
    let bracket = if w.windows.end_inclusive() { "]" } else { ")" };
    html! {
        <section class="panel" aria-labelledby="windows-h">
            <h2 id="windows-h"><span data-testid="window-title">{title(&w.windows)}</span>
                <span class="sub">
                    {" · late "}<output data-testid="late">{w.late}</output>
                    {format!(" · {} windows, {} open", w.total_windows, w.open_windows)}
                    if w.skipped_windows > 0 { {format!(" · {} skipped by closed windows", w.skipped_windows)} }
                </span>
            </h2>
            if props.allowed.is_none() {
                <label class="window-type">{"window type "}
                    <select onchange={switch} data-testid="window-type">
                        { for ["tumbling", "hopping", "sliding", "session"].iter().map(|t| html! {
                            <option value={*t} selected={*t == current}>{*t}</option>
                        }) }
                    </select>
                </label>
                {" "}
                <label class="window-type" title="Which timestamp places a record in its windows: the event time the producer stamped (CreateTime), the broker's clock at append (the topic's message.timestamp.type=LogAppendTime), or the application's clock when it processes the record (Kafka Streams' WallclockTimestampExtractor)">{"time "}
                    <select onchange={time_switch} data-testid="window-time">
                        { for TIMES.iter().map(|(id, label)| html! {
                            <option value={*id} selected={*id == w.time}>{*label}</option>
                        }) }
                    </select>
                </label>
            }
            <p class="hint">{explain(&w.windows)}
                {" Stream time is the largest event time a task (a partition) has seen; a window closes when stream time passes its end plus the grace, and a record no open window takes is late: it goes to the late output below instead."}
            </p>
            <p class="stream-time">{"stream time: "}
                { match stream_time {
                    Some(t) => html! { <><strong data-testid="stream-time">{format_naive_ms(t)}</strong>{" (latest task); per partition: "}
                        { w.stream_time_ms.iter().map(|(p, t)| format!("{p} {}", short_time(*t, scale))).collect::<Vec<_>>().join(" · ") }</> },
                    None => html! { {"– (no record processed yet)"} },
                } }
            </p>
            <p class="watermark">{"watermark: "}
                { match w.watermark.watermark_ms {
                    Some(t) => html! { <strong data-testid="watermark">{format_naive_ms(t)}</strong> },
                    None => html! { <strong data-testid="watermark">{"none"}</strong> },
                } }
                {format!(" — what Flink or Beam would have: the minimum over the partitions of their largest event time minus {} (the bounded out-of-orderness){}. ",
                    duration(w.watermark.max_out_of_orderness_ms),
                    match w.watermark.idle_timeout_ms { Some(t) => format!("; a partition idle for {} is left out", duration(t)), None => "; idle partitions are not left out".into() })}
                if !w.watermark.holding_back.is_empty() {
                    <span class="held" data-testid="watermark-held">{format!("Held back by {}: no record yet. ", w.watermark.holding_back.join(", "))}</span>
                }
                if !w.watermark.idle.is_empty() {
                    {format!("Idle: {}. ", w.watermark.idle.join(", "))}
                }
                {"Kafka Streams has no watermark: each task closes its windows by its own stream time."}
            </p>
            <p class="emitted">{match w.emit.as_str() {
                "on_window_close" => format!("Emit on window close (EmitStrategy.onWindowClose; Spark's append mode): {} final results sent downstream, one per closed window; an update-by-update aggregation would have sent {}.", w.total_windows - w.open_windows, w.forwarded),
                _ => format!("Emit on every update (EmitStrategy.onWindowUpdate, the default; Spark's update mode): {} results sent downstream; on window close would send {} final ones so far.", w.forwarded, w.total_windows - w.open_windows),
            }}</p>
            {scatter(w)}
            <table class="windows">
                <thead><tr><th>{"key"}</th><th>{"records"}</th><th>{format!("latest windows on event time, [start, end{bracket}, with their record counts; the red line is the task's stream time, the blue one the watermark; ✕ a late record; grey, dashed: closed. Below: each window's start, count and aggregate (hover for all of it)")}</th></tr></thead>
                <tbody>
                { for w.rows.iter().map(|row| {
                    let st = row.partition.as_deref().and_then(task_time).or(stream_time);
                    html! {
                    <tr key={row.key.clone()}>
                        <th scope="row">{&row.key}</th>
                        <td class="num">{row.total}</td>
                        <td class="cells">
                            {axis(w, row, st)}
                            <div class="window-list">
                            { for row.cells.iter().map(|c| html! {
                                <span class={classes!("window", if c.closed { "closed" } else { "open" })} title={c.summary.clone()}>
                                    <span class="when">{short_time(c.start_ms, scale)}</span>
                                    <span class="count">{c.count}</span>
                                    if !c.detail.is_empty() { <span class="detail">{&c.detail}</span> }
                                    <span class="state">{ if c.closed { "closed" } else { "open" } }</span>
                                </span>
                            }) }
                            </div>
                        </td>
                    </tr>
                }}) }
                </tbody>
            </table>
            if let Some(d) = &props.snapshot.dedupe {
                <section class="dedupe" data-testid="dedupe">
                    <h3>{format!("Dedupe by key (group {}): the first record, as processed or as it happened", d.group_id)}</h3>
                    <p class="hint">{format!("{} ids kept within {} of event time, {} repeats dropped. \"The record processed first wins\" keeps what came first; \"the earliest event time wins\" keeps what happened first, and must correct its answer when an earlier record arrives late. They disagree on ",
                        d.kept, duration(d.horizon_ms), d.repeats)}<strong data-testid="dedupe-disagreements">{d.disagreements.len()}</strong>
                        { if d.disagreements.is_empty() {
                            " ids: no record arrived after a later-placed record of its id. On the Producer view, turn idempotence off, allow 5 requests in flight and drop 10% of requests to see arrival disorder."
                        } else { " ids:" } }</p>
                    if !d.disagreements.is_empty() {
                        <table class="late">
                            <thead><tr><th>{"id"}</th><th>{"processed first"}</th><th>{"earliest event time"}</th><th>{"why it came late"}</th></tr></thead>
                            <tbody>
                            { for d.disagreements.iter().map(|x| html! {
                                <tr><td>{&x.key}</td>
                                    <td>{format!("#{} {} at {}", x.processed_first.record_id, x.processed_first.detail, format_naive_ms(x.processed_first.timestamp_ms))}</td>
                                    <td>{format!("#{} {} at {}", x.earliest.record_id, x.earliest.detail, format_naive_ms(x.earliest.timestamp_ms))}</td>
                                    <td>{&x.why}</td></tr>
                            }) }
                            </tbody>
                        </table>
                    }
                </section>
            }
            if !w.late_records.is_empty() {
                <details class="late-output" data-testid="late-output"><summary>{format!("Late output: {} records ({} shown)", w.late, w.late_records.len())}</summary>
                    <table class="late">
                        <thead><tr><th>{"record"}</th><th>{"key"}</th><th>{"partition"}</th><th>{"event time"}</th><th>{"stream time then"}</th><th>{"lateness"}</th></tr></thead>
                        <tbody>
                        { for w.late_records.iter().map(|l| html! {
                            <tr><td class="num">{l.id}</td><td>{&l.key}</td><td>{&l.partition}</td>
                                <td>{format_naive_ms(l.timestamp_ms)}</td><td>{format_naive_ms(l.stream_time_ms)}</td>
                                <td class="num">{duration_text(l.stream_time_ms - l.timestamp_ms)}</td></tr>
                        }) }
                        </tbody>
                    </table>
                </details>
            }
        </section>
    }
}

/// A lateness: the largest whole unit, with a decimal where it helps (`3.5 h`, `40 s`).
fn duration_text(ms: u64) -> String {
    match ms {
        ms if ms >= 86_400_000 => format!("{:.1} d", ms as f64 / 86_400_000.0),
        ms if ms >= 3_600_000 => format!("{:.1} h", ms as f64 / 3_600_000.0),
        ms if ms >= 60_000 => format!("{:.1} min", ms as f64 / 60_000.0),
        ms if ms >= 1000 => format!("{:.1} s", ms as f64 / 1000.0),
        ms => format!("{ms} ms"),
    }
}
