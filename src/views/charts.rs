//! The Lag view: per group, its lag (high watermark − committed offset) now and over the last
//! simulated minute (the last 120 frames at max speed or in a "Run for"), in total and per
//! partition, drawn with plotters on a canvas with the numbers repeated as text for screen
//! readers, and how long the lag would take to clear at the rate of the last 20 s.

use crate::player::{GroupLag, LagPoint, PartitionLag};
use crate::widgets::duration;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use std::rc::Rc;
use streamlab_engine::Snapshot;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub history: Rc<Vec<LagPoint>>,
    /// Who holds each partition now.
    pub snapshot: Rc<Snapshot>,
}

// Okabe–Ito blue and vermilion: distinguishable with any colour-vision deficiency.
const LAG: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const BACKLOG: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// The partitions' thin lines: Paul Tol's muted palette, apart from the two totals' colours.
const PARTITION_COLOURS: [RGBColor; 9] = [
    RGBColor(0x33, 0x22, 0x88),
    RGBColor(0x88, 0xCC, 0xEE),
    RGBColor(0x44, 0xAA, 0x99),
    RGBColor(0x11, 0x77, 0x33),
    RGBColor(0x99, 0x99, 0x33),
    RGBColor(0xDD, 0xCC, 0x77),
    RGBColor(0xCC, 0x66, 0x77),
    RGBColor(0x88, 0x22, 0x55),
    RGBColor(0xAA, 0x44, 0x99),
];

/// The colour of the `i`-th partition's line (partitions past 9 reuse colours).
fn partition_colour(i: usize) -> RGBColor {
    PARTITION_COLOURS[i % PARTITION_COLOURS.len()]
}

fn css(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Simulated seconds of history the rates and the time to clear are measured over.
pub const RATE_WINDOW_S: f64 = 20.0;
/// The least history they are measured on, simulated seconds: three auto-commit intervals at
/// Kafka's default (5 s), so that the sawtooth of commits averages out.
pub const MIN_SPAN_S: f64 = 15.0;

/// How long a lag takes to clear at the rate it changed over the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clearing {
    /// Not enough history yet: less than [`MIN_SPAN_S`] with committed offsets.
    Unknown,
    /// There is no lag.
    Clear,
    /// It shrinks: at this rate it is gone in this many simulated seconds.
    In(f64),
    /// It neither grows nor shrinks: the group keeps pace, and the lag stays about as it is.
    Steady,
    /// It grows: it never clears.
    Growing,
}

impl Clearing {
    pub fn text(self) -> String {
        match self {
            Clearing::Unknown => "measuring…".into(),
            Clearing::Clear => "0 (no lag)".into(),
            Clearing::In(s) if s < 1.0 => "< 1 s".into(),
            Clearing::In(s) => format!("≈ {}", duration((s.round() as u64) * 1000)),
            Clearing::Steady => "∞ (steady)".into(),
            Clearing::Growing => "∞ (growing)".into(),
        }
    }
}

/// The points of `series` (time s, value) within [`RATE_WINDOW_S`] of the last one: at least
/// the last two, and `None` unless they span [`MIN_SPAN_S`].
fn window<T: Copy>(series: &[(f64, T)]) -> Option<&[(f64, T)]> {
    let last = series.last()?.0;
    let from = series.iter().position(|(t, _)| *t >= last - RATE_WINDOW_S)?.min(series.len().checked_sub(2)?);
    let w = &series[from..];
    (last - w[0].0 >= MIN_SPAN_S).then_some(w)
}

/// The trend per simulated second of a series over the window: the least-squares slope through
/// all its points, not the change between two of them, since with auto-commit the committed
/// offset moves in steps and the lag is a sawtooth (it climbs between commits and drops at
/// each): two points would read their phase.
pub fn trend(series: &[(f64, u64)]) -> Option<f64> {
    let w = window(series)?;
    let n = w.len() as f64;
    let (mt, mv) = (w.iter().map(|p| p.0).sum::<f64>() / n, w.iter().map(|p| p.1 as f64).sum::<f64>() / n);
    let var: f64 = w.iter().map(|p| (p.0 - mt) * (p.0 - mt)).sum();
    (var > 0.0).then(|| w.iter().map(|p| (p.0 - mt) * (p.1 as f64 - mv)).sum::<f64>() / var)
}

/// How long the lag of `series` (time s, lag) takes to clear at its trend over the window.
/// A trend within 10 % of the rate records are written at (`written_per_s`), plus 0.1 records
/// a second, counts as steady: the group keeps pace, and the lag neither grows nor clears.
pub fn clearing(series: &[(f64, u64)], written_per_s: Option<f64>) -> Clearing {
    let steady = written_per_s.unwrap_or(0.0).abs() * 0.1 + 0.1;
    match (series.last(), trend(series)) {
        (Some((_, 0)), _) => Clearing::Clear,
        (Some(_), Some(r)) if r.abs() <= steady => Clearing::Steady,
        (Some((_, lag)), Some(r)) if r < 0.0 => Clearing::In(*lag as f64 / -r),
        (Some(_), Some(_)) => Clearing::Growing,
        _ => Clearing::Unknown,
    }
}

/// Partition `name` of `g`.
fn of<'a>(g: &'a GroupLag, name: &str) -> Option<&'a PartitionLag> {
    g.partitions.iter().find(|p| p.partition == name)
}

/// A rate in records per second.
fn per_s(r: Option<f64>) -> String {
    r.map_or("–".into(), |r| format!("{r:.1}"))
}

/// The Lag view: a section per group.
#[function_component(LagChart)]
pub fn lag_chart(props: &Props) -> Html {
    let groups: Vec<String> = props.history.last().map_or_else(
        || props.snapshot.groups.iter().map(|g| g.group_id.clone()).collect(),
        |p| p.groups.iter().map(|g| g.group_id.clone()).collect(),
    );
    html! {
        <>
        { for groups.iter().enumerate().map(|(i, g)| html! {
            <GroupLagPanel index={i} group_id={g.clone()} history={props.history.clone()} snapshot={props.snapshot.clone()} />
        }) }
        if groups.is_empty() {
            <section class="panel"><h2>{"Lag"}</h2><p class="hint">{"This run has no consumer group."}</p></section>
        }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct GroupProps {
    /// The group's place in the history's points.
    index: usize,
    group_id: String,
    history: Rc<Vec<LagPoint>>,
    snapshot: Rc<Snapshot>,
}

#[function_component(GroupLagPanel)]
fn group_lag_panel(props: &GroupProps) -> Html {
    let canvas = use_node_ref();
    let index = props.index;
    {
        let canvas = canvas.clone();
        let history = props.history.clone();
        use_effect_with(history.clone(), move |_| {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                let _ = draw(c, &history, index);
            }
        });
    }
    let points: Vec<(f64, &GroupLag)> =
        props.history.iter().filter_map(|p| Some((p.time_s, p.groups.get(index)?))).collect();
    let last = points.last().copied();
    // The total counts from when every partition with records has a committed offset: before,
    // each first commit would add its partition's lag and read as growth.
    let total: Vec<(f64, u64)> = points
        .iter()
        .filter(|(_, g)| {
            g.partitions.iter().any(|p| p.committed.is_some())
                && g.partitions.iter().all(|p| p.high_watermark == 0 || p.committed.is_some())
        })
        .map(|(t, g)| (*t, g.lag()))
        .collect();
    let group = props.snapshot.groups.iter().find(|g| g.group_id == props.group_id);
    let owner = |partition: &str| {
        group
            .and_then(|g| {
                g.members
                    .iter()
                    .filter(|m| m.state != "Crashed" && m.state != "Closed")
                    .find(|m| m.partitions.iter().any(|p| p.partition == partition))
            })
            .map_or("none".to_string(), |m| m.client_id.clone())
    };
    let gid = &props.group_id;
    let written_total = trend(
        &points
            .iter()
            .map(|(t, g)| (*t, g.partitions.iter().map(|p| p.high_watermark).sum::<u64>()))
            .collect::<Vec<_>>(),
    );
    let total_clearing = clearing(&total, written_total);
    html! {
        <section class="panel lag-view" aria-labelledby={format!("lag-h-{gid}")}>
            <h2 id={format!("lag-h-{gid}")}>{format!("Lag of group {gid}")}
                <span class="sub">
                    {" total "}<output data-testid="lag-group-total">{last.as_ref().map_or("–".to_string(), |(_, g)| g.lag().to_string())}</output>
                    {" records · clears in "}<output data-testid="lag-clears-in">{total_clearing.text()}</output>
                </span>
            </h2>
            <p class="hint">{format!("Lag: high watermark − committed offset, per partition as kafka-consumer-groups.sh shows it; backlog: high watermark − position, what the members have yet to poll. Rates and the time to clear are measured over the last {RATE_WINDOW_S:.0} s of simulated time: the lag clears only while the group commits faster than the producers write; \"steady\": the group keeps pace and the lag stays about as it is (with auto-commit it climbs between commits and drops at each).")}</p>
            <canvas ref={canvas} width="460" height="220" role="img"
                aria-label={format!("Line chart of group {gid}'s total lag and backlog, and each partition's lag, in records, over the last simulated minute; the numbers are in the table below")} />
            <ul class="legend" aria-hidden="true">
                <li><span class="swatch line" style={format!("background: {}", css(LAG))}></span>{"lag, total (HW − committed)"}</li>
                <li><span class="swatch line" style={format!("background: {}", css(BACKLOG))}></span>{"backlog (HW − position)"}</li>
                <li><span class="swatch thin" style={format!("background: {}", css(partition_colour(0)))}></span>{"each partition's lag, coloured as in the table"}</li>
            </ul>
            <p class="chart-numbers">
                { match last {
                    Some((t, g)) => format!("At {t:.1} s: lag {} records, backlog {} records.", g.lag(), g.backlog),
                    None => "No data yet: press Play.".to_string(),
                } }
            </p>
            if let Some((_, g)) = last {
                <table class="lag-table">
                    <thead><tr>
                        <th>{"partition"}</th><th>{"owner"}</th><th class="num">{"HW"}</th><th class="num">{"committed"}</th>
                        <th class="num">{"lag"}</th><th class="num" title="records written per simulated second (high watermark's rate)">{"written/s"}</th>
                        <th class="num" title="records committed per simulated second (committed offset's rate)">{"committed/s"}</th>
                        <th>{"clears in"}</th>
                    </tr></thead>
                    <tbody>
                    { for g.partitions.iter().enumerate().map(|(i, p)| {
                        // By name: partitions added to a topic shift the later topics' places.
                        let series = |f: &dyn Fn(&PartitionLag) -> Option<u64>| -> Vec<(f64, u64)> {
                            points.iter().filter_map(|(t, g)| of(g, &p.partition).and_then(f).map(|v| (*t, v))).collect()
                        };
                        let written = trend(&series(&|p| Some(p.high_watermark)));
                        let committed = trend(&series(&|p| p.committed));
                        let lag_series = series(&|p| p.lag());
                        let colour = format!("background: {}", css(partition_colour(i)));
                        html! {
                            <tr data-testid={format!("lag-row-{}", p.partition)}>
                                <th scope="row"><span class="swatch" style={colour} aria-hidden="true"></span>{&p.partition}</th>
                                <td>{owner(&p.partition)}</td>
                                <td class="num">{p.high_watermark}</td>
                                <td class="num">{p.committed.map_or("–".to_string(), |c| c.to_string())}</td>
                                <td class="num lag">{p.lag().map_or("–".to_string(), |l| l.to_string())}</td>
                                <td class="num">{per_s(written)}</td>
                                <td class="num">{per_s(committed)}</td>
                                <td class="clears">{if p.lag().is_some() { clearing(&lag_series, written).text() } else { "–".into() }}</td>
                            </tr>
                        }
                    }) }
                    </tbody>
                    <tfoot><tr>
                        <th scope="row">{"total"}</th><td></td>
                        <td class="num">{g.partitions.iter().map(|p| p.high_watermark).sum::<u64>()}</td><td></td>
                        <td class="num lag">{g.lag()}</td>
                        <td class="num">{per_s(written_total)}</td>
                        <td class="num">{per_s(trend(&points.iter().map(|(t, g)| (*t, g.partitions.iter().filter_map(|p| p.committed).sum::<u64>())).collect::<Vec<_>>()))}</td>
                        <td class="clears">{total_clearing.text()}</td>
                    </tr></tfoot>
                </table>
            }
        </section>
    }
}

fn draw(canvas: HtmlCanvasElement, history: &[LagPoint], group: usize) -> Option<()> {
    let backend = CanvasBackend::with_canvas_object(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).ok()?;
    let points: Vec<(f64, &GroupLag)> = history.iter().filter_map(|p| Some((p.time_s, p.groups.get(group)?))).collect();
    let (x0, x1) = match (points.first(), points.last()) {
        (Some(a), Some(b)) if b.0 > a.0 => (a.0, b.0),
        (Some(a), _) => (a.0, a.0 + 1.0),
        _ => (0.0, 60.0),
    };
    let y1 = points.iter().map(|(_, g)| g.lag().max(g.backlog)).max().unwrap_or(0).max(10) as f64 * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(48)
        .build_cartesian_2d(x0..x1, 0.0..y1)
        .ok()?;
    chart
        .configure_mesh()
        .x_desc("simulated time (s)")
        .y_desc("records")
        .x_labels(6)
        .y_labels(5)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()
        .ok()?;
    let last = points.last().map(|(_, g)| *g);
    for (i, p) in last.iter().flat_map(|g| g.partitions.iter()).enumerate() {
        let line = points.iter().filter_map(|(t, g)| Some((*t, of(g, &p.partition)?.lag()? as f64)));
        chart.draw_series(LineSeries::new(line, partition_colour(i).stroke_width(1))).ok()?;
    }
    // The legend is the page's, under the chart: inside, it would hide the lines it names.
    chart
        .draw_series(LineSeries::new(points.iter().map(|(t, g)| (*t, g.backlog as f64)), BACKLOG.stroke_width(2)))
        .ok()?;
    chart.draw_series(LineSeries::new(points.iter().map(|(t, g)| (*t, g.lag() as f64)), LAG.stroke_width(3))).ok()?;
    root.present().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_to_clear_follows_the_trend_of_the_last_20_s() {
        // 100 records less every 10 s: 250 left clear in 25 s.
        let shrinking = [(0.0, 1000), (30.0, 450), (40.0, 350), (50.0, 250)];
        assert_eq!(trend(&shrinking), Some(-10.0));
        assert_eq!(clearing(&shrinking, Some(12.0)), Clearing::In(25.0));
        assert_eq!(clearing(&shrinking, None).text(), "≈ 25 s");
        assert_eq!(clearing(&[(0.0, 10), (15.0, 50)], Some(12.0)), Clearing::Growing);
        assert_eq!(clearing(&[(0.0, 10), (15.0, 10)], Some(12.0)), Clearing::Steady);
        assert_eq!(clearing(&[(0.0, 10), (1.0, 0)], None), Clearing::Clear);
        assert_eq!(clearing(&[(5.0, 10)], None), Clearing::Unknown);
        // Less than 15 s of history is too little to tell.
        assert_eq!(clearing(&[(0.0, 10), (14.0, 50)], Some(12.0)), Clearing::Unknown);
        assert_eq!(Clearing::Unknown.text(), "measuring…");
        assert_eq!(clearing(&[], None), Clearing::Unknown);
        // Two points at one instant say nothing.
        assert_eq!(trend(&[(5.0, 10), (5.0, 20)]), None);
        assert_eq!(Clearing::Growing.text(), "∞ (growing)");
    }

    #[test]
    fn an_auto_commit_sawtooth_that_keeps_pace_is_steady() {
        // Written at 12 a second, committed every 5 s: the lag climbs 0 → 54 and drops, whatever
        // the phase the window ends at.
        let saw: Vec<(f64, u64)> = (0..80).map(|i| (i as f64 * 0.5, (i % 10) as u64 * 6)).collect();
        for end in 30..80 {
            let expected = if saw[end].1 == 0 { Clearing::Clear } else { Clearing::Steady };
            assert_eq!(clearing(&saw[..=end], Some(12.0)), expected, "ending at {end}");
        }
    }
}
