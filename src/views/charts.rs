//! The group's lag over the last simulated minute (the last 120 frames at max speed or in a
//! "Run for"), drawn with plotters on a canvas, with the numbers repeated as text for screen
//! readers.

use crate::player::LagPoint;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub history: Rc<Vec<LagPoint>>,
}

// Okabe–Ito blue and vermilion: distinguishable with any colour-vision deficiency.
const LAG: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const BACKLOG: RGBColor = RGBColor(0xD5, 0x5E, 0x00);

#[function_component(LagChart)]
pub fn lag_chart(props: &Props) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        let history = props.history.clone();
        use_effect_with(history.clone(), move |_| {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                let _ = draw(c, &history);
            }
        });
    }
    let last = props.history.last().copied();
    html! {
        <section class="panel" aria-labelledby="lag-h">
            <h2 id="lag-h">{"Lag over time"}</h2>
            <canvas ref={canvas} width="460" height="220" role="img"
                aria-label="Line chart of the group's total lag and backlog, in records, over the last simulated minute (the last 120 frames at max speed or in a Run for)" />
            <p class="chart-numbers">
                { match last {
                    Some(p) => format!("At {:.1} s: lag (HW − committed) {} records, backlog (HW − position) {} records.", p.time_s, p.lag, p.backlog),
                    None => "No data yet: press Play.".to_string(),
                } }
            </p>
        </section>
    }
}

fn draw(canvas: HtmlCanvasElement, history: &[LagPoint]) -> Option<()> {
    let backend = CanvasBackend::with_canvas_object(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).ok()?;
    let (x0, x1) = match (history.first(), history.last()) {
        (Some(a), Some(b)) if b.time_s > a.time_s => (a.time_s, b.time_s),
        (Some(a), _) => (a.time_s, a.time_s + 1.0),
        _ => (0.0, 60.0),
    };
    let y1 = history.iter().map(|p| p.lag.max(p.backlog)).max().unwrap_or(0).max(10) as f64 * 1.1;
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
    chart
        .draw_series(LineSeries::new(history.iter().map(|p| (p.time_s, p.lag as f64)), LAG.stroke_width(2)))
        .ok()?
        .label("lag (HW − committed)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], LAG.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(history.iter().map(|p| (p.time_s, p.backlog as f64)), BACKLOG.stroke_width(2)))
        .ok()?
        .label("backlog (HW − position)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BACKLOG.stroke_width(2)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .ok()?;
    root.present().ok()
}
