//! A partition's log drawn on a canvas: the newest records as cells coloured by key, oldest on
//! the left, with segment boundaries, compacted gaps, tombstones, the high watermark and each
//! group's committed offset marked, and under it one thin line per replica reaching to that
//! replica's log end offset. It draws only the tail the snapshot carries.

use super::palette::{key_colour, NO_KEY};
use std::rc::Rc;
use streamlab_engine::snapshot::PartitionView;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LogStripProps {
    pub partition: Rc<PartitionView>,
    /// Cells drawn (the newest `cells` records).
    #[prop_or(48)]
    pub cells: usize,
}

const CELL_W: f64 = 12.0;
const HEIGHT: f64 = 26.0;
/// The width of the break drawn where compaction removed offsets.
const GAP_W: f64 = 8.0;
/// The height of one replica's line under the cells.
const REPLICA_H: f64 = 5.0;
/// Greys that read on the light and the dark background alike.
const MARK: &str = "#888888";

/// One record's cell.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cell {
    x: f64,
    offset: u64,
    key: Option<u32>,
    tombstone: bool,
    /// At or above the high watermark: not yet on every in-sync replica, so no consumer reads it.
    above_high_watermark: bool,
}

/// One replica's line: where it starts and ends, and how it is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ReplicaLine {
    from_x: f64,
    to_x: f64,
    colour: &'static str,
    dashed: bool,
}

/// Where everything goes, in px from the strip's left edge: worked out apart from the drawing,
/// so that it is tested without a canvas.
#[derive(Debug, Clone, PartialEq)]
struct Layout {
    width: f64,
    cells: Vec<Cell>,
    /// The middle of each compacted gap.
    gaps: Vec<f64>,
    /// The left edge of each segment's first record shown (the oldest segment's is not drawn).
    segment_starts: Vec<f64>,
    /// Each group's committed offset that falls within the strip.
    committed: Vec<f64>,
    /// One per replica, when there is more than one.
    replicas: Vec<ReplicaLine>,
}

impl Layout {
    /// Right-aligned: the newest record sits at the right edge, where the next append lands.
    fn of(p: &PartitionView, cells: usize) -> Layout {
        let width = cells as f64 * CELL_W;
        let gap_count = p.tail.windows(2).filter(|w| w[1].offset > w[0].offset + 1).count();
        let mut x = width - p.tail.len() as f64 * CELL_W - gap_count as f64 * GAP_W;
        let mut layout =
            Layout { width, cells: vec![], gaps: vec![], segment_starts: vec![], committed: vec![], replicas: vec![] };
        let mut previous: Option<u64> = None;
        for r in &p.tail {
            if previous.is_some_and(|o| r.offset > o + 1) {
                layout.gaps.push(x + GAP_W / 2.0);
                x += GAP_W;
            }
            previous = Some(r.offset);
            layout.cells.push(Cell {
                x,
                offset: r.offset,
                key: r.key,
                tombstone: r.tombstone,
                above_high_watermark: r.offset >= p.high_watermark,
            });
            x += CELL_W;
        }
        let (first, last) = match (p.tail.first(), p.tail.last()) {
            (Some(f), Some(l)) => (f.offset, l.offset),
            _ => (p.log_end_offset, p.log_end_offset),
        };
        layout.segment_starts =
            p.segments.iter().filter(|&&b| b > first && b <= last).filter_map(|&b| layout.x_of(b)).collect();
        layout.committed = p.committed.iter().filter_map(|(_, c)| layout.x_of(*c)).collect();
        if p.replica_logs.len() > 1 {
            layout.replicas = p
                .replica_logs
                .iter()
                .map(|r| {
                    let (colour, dashed) = match (r.role.as_str(), r.in_sync) {
                        ("leader", _) => ("#0072B2", false),
                        ("offline", _) => (MARK, true),
                        (_, true) => ("#009E73", false),
                        (_, false) => ("#E69F00", true),
                    };
                    ReplicaLine {
                        from_x: layout.x_of(r.log_start_offset).unwrap_or(0.0),
                        to_x: layout.x_of(r.log_end_offset).unwrap_or(0.0),
                        colour,
                        dashed,
                    }
                })
                .collect();
        }
        layout
    }

    /// The x where `offset` starts: the left edge of the first record at or after it, the right
    /// edge past the newest; `None` when it is older than the tail shown.
    fn x_of(&self, offset: u64) -> Option<f64> {
        match self.cells.first() {
            None => Some(self.width),
            Some(first) if offset < first.offset => None,
            Some(_) => Some(self.cells.iter().find(|c| c.offset >= offset).map_or(self.width, |c| c.x)),
        }
    }

    fn height(&self) -> f64 {
        HEIGHT + self.replicas.len() as f64 * REPLICA_H + if self.replicas.is_empty() { 0.0 } else { 2.0 }
    }
}

#[function_component(LogStrip)]
pub fn log_strip(props: &LogStripProps) -> Html {
    let canvas = use_node_ref();
    let layout = Rc::new(Layout::of(&props.partition, props.cells));
    {
        let canvas = canvas.clone();
        use_effect_with(layout.clone(), move |layout| {
            if let Some(ctx) = context(&canvas) {
                draw(&ctx, layout);
            }
        });
    }
    let p = &props.partition;
    let label = format!(
        "Partition {}-{}: log start offset {}, high watermark {}, log end offset {}, newest {} records shown{}{}",
        p.topic,
        p.partition,
        p.log_start_offset,
        p.high_watermark,
        p.log_end_offset,
        p.tail.len(),
        if layout.gaps.is_empty() { String::new() } else { format!(", {} compacted gaps", layout.gaps.len()) },
        match p.tail.iter().filter(|r| r.tombstone).count() {
            0 => String::new(),
            n => format!(", {n} tombstones"),
        },
    );
    html! {
        <canvas ref={canvas} class="log-strip" width={layout.width.to_string()} height={layout.height().to_string()}
            role="img" aria-label={label} />
    }
}

fn context(canvas: &NodeRef) -> Option<CanvasRenderingContext2d> {
    let canvas: HtmlCanvasElement = canvas.cast()?;
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

fn draw(ctx: &CanvasRenderingContext2d, l: &Layout) {
    ctx.clear_rect(0.0, 0.0, l.width, l.height());
    ctx.set_line_width(1.5);
    for c in l.cells.iter().filter(|c| c.x + CELL_W > 0.0) {
        let colour = c.key.map_or(NO_KEY, key_colour);
        // Faded above the high watermark: appended to the leader, not yet readable.
        ctx.set_global_alpha(if c.above_high_watermark { 0.4 } else { 1.0 });
        let (x, y, w, h) = (c.x + 1.0, 3.0, CELL_W - 2.0, HEIGHT - 6.0);
        if c.tombstone {
            // A tombstone has no value: hollow, and crossed out.
            ctx.set_stroke_style_str(colour);
            ctx.stroke_rect(x + 0.75, y + 0.75, w - 1.5, h - 1.5);
            ctx.begin_path();
            ctx.move_to(x + 1.5, y + 1.5);
            ctx.line_to(x + w - 1.5, y + h - 1.5);
            ctx.move_to(x + w - 1.5, y + 1.5);
            ctx.line_to(x + 1.5, y + h - 1.5);
            ctx.stroke();
        } else {
            ctx.set_fill_style_str(colour);
            ctx.fill_rect(x, y, w, h);
        }
    }
    ctx.set_global_alpha(1.0);
    ctx.set_stroke_style_str(MARK);
    ctx.set_line_width(1.0);
    ctx.begin_path();
    // A compacted gap: a break of two slanted strokes, as a chart's broken axis.
    for g in &l.gaps {
        for dx in [-2.0, 2.0] {
            ctx.move_to(g + dx - 2.0, HEIGHT - 4.0);
            ctx.line_to(g + dx + 2.0, 4.0);
        }
    }
    // A segment boundary: a full-height line before the segment's first record.
    for x in &l.segment_starts {
        ctx.move_to(x + 0.5, 0.0);
        ctx.line_to(x + 0.5, HEIGHT);
    }
    ctx.stroke();
    // The committed offset of each group: a bar before the first record not yet committed.
    ctx.set_fill_style_str("#d00000");
    for x in &l.committed {
        ctx.fill_rect(x - 1.5, 0.0, 3.0, HEIGHT);
    }
    ctx.set_line_width(3.0);
    for (i, r) in l.replicas.iter().enumerate() {
        let y = HEIGHT + 2.0 + i as f64 * REPLICA_H + REPLICA_H / 2.0;
        let dash =
            if r.dashed { js_sys::Array::of2(&JsValue::from(4.0), &JsValue::from(3.0)) } else { js_sys::Array::new() };
        let _ = ctx.set_line_dash(&dash);
        ctx.set_stroke_style_str(r.colour);
        ctx.begin_path();
        ctx.move_to(r.from_x.max(0.0), y);
        ctx.line_to(r.to_x.max(0.0), y);
        ctx.stroke();
    }
    let _ = ctx.set_line_dash(&js_sys::Array::new());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::troubled_cluster;

    #[test]
    fn gaps_segments_tombstones_and_replicas_are_placed_on_the_tail() {
        let p = &troubled_cluster().partitions[0];
        let l = Layout::of(p, 10);
        // 7 records and one gap, right-aligned in 120 px.
        let xs: Vec<f64> = l.cells.iter().map(|c| c.x).collect();
        assert_eq!(xs, [28.0, 40.0, 52.0, 72.0, 84.0, 96.0, 108.0]);
        assert_eq!(l.gaps, [68.0]);
        // Segment 106 begins after the gap; 0 and 50 are older than the tail.
        assert_eq!(l.segment_starts, [72.0]);
        assert_eq!(l.committed, [84.0]);
        assert!(l.cells[5].tombstone && l.cells.iter().filter(|c| c.tombstone).count() == 1);
        let above: Vec<u64> = l.cells.iter().filter(|c| c.above_high_watermark).map(|c| c.offset).collect();
        assert_eq!(above, [108, 109]);
        // The leader reaches the right edge; the in-sync follower stops 2 records short; the
        // crashed broker's log ends in the gap, at the first record after it.
        let ends: Vec<(f64, bool)> = l.replicas.iter().map(|r| (r.to_x, r.dashed)).collect();
        assert_eq!(ends, [(120.0, false), (72.0, true), (96.0, false)]);
        assert_eq!(l.height(), HEIGHT + 17.0);
    }

    #[test]
    fn a_single_replica_draws_no_replica_lines_and_an_empty_log_draws_nothing() {
        let mut p = troubled_cluster().partitions[0].clone();
        p.replica_logs.truncate(1);
        assert!(Layout::of(&p, 10).replicas.is_empty());
        p.tail.clear();
        let l = Layout::of(&p, 10);
        assert!(l.cells.is_empty() && l.gaps.is_empty() && l.segment_starts.is_empty());
        assert_eq!(l.x_of(p.log_end_offset), Some(120.0));
    }
}
