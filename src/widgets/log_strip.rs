//! A partition's log drawn on a canvas: the newest records as cells coloured by key, oldest on
//! the left, with the committed offset marked. It draws only the tail the snapshot carries.

use super::palette::{key_colour, NO_KEY};
use std::rc::Rc;
use streamlab_engine::snapshot::PartitionView;
use wasm_bindgen::JsCast;
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

#[function_component(LogStrip)]
pub fn log_strip(props: &LogStripProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        let p = props.partition.clone();
        let cells = props.cells;
        use_effect_with(p.clone(), move |_| {
            if let Some(ctx) = context(&canvas) {
                draw(&ctx, &p, cells);
            }
        });
    }
    let p = &props.partition;
    let label = format!(
        "Partition {}-{}: log end offset {}, high watermark {}, newest {} records shown",
        p.topic,
        p.partition,
        p.log_end_offset,
        p.high_watermark,
        p.tail.len()
    );
    html! {
        <canvas ref={canvas} class="log-strip" width={(props.cells as f64 * CELL_W).to_string()} height={HEIGHT.to_string()}
            role="img" aria-label={label} />
    }
}

fn context(canvas: &NodeRef) -> Option<CanvasRenderingContext2d> {
    let canvas: HtmlCanvasElement = canvas.cast()?;
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

fn draw(ctx: &CanvasRenderingContext2d, p: &PartitionView, cells: usize) {
    let width = cells as f64 * CELL_W;
    ctx.clear_rect(0.0, 0.0, width, HEIGHT);
    // Right-aligned: the newest record sits at the right edge, where the next append lands.
    let first_x = width - p.tail.len() as f64 * CELL_W;
    for (i, r) in p.tail.iter().enumerate() {
        ctx.set_fill_style_str(r.key.map_or(NO_KEY, key_colour));
        ctx.fill_rect(first_x + i as f64 * CELL_W + 1.0, 3.0, CELL_W - 2.0, HEIGHT - 6.0);
    }
    // The committed offset of each group: a bar before the first record not yet committed.
    ctx.set_fill_style_str("#d00000");
    for (_, committed) in &p.committed {
        let from_end = p.log_end_offset.saturating_sub(*committed) as f64;
        let x = width - from_end * CELL_W;
        if x >= 0.0 {
            ctx.fill_rect(x - 1.5, 0.0, 3.0, HEIGHT);
        }
    }
}
