//! The three delivery guarantees side by side: this run again, headless, once per guarantee,
//! its first group made a consume-transform-produce pipeline, with the same seed, actions and
//! faults; each column shows what reached the downstream group, per input record.

use crate::app::Action;
use crate::player::{GuaranteeComparison, GuaranteeFaults, GuaranteeRun, GUARANTEES};
use crate::views::rebalances::span;
use std::rc::Rc;
use streamlab_engine::consumer::Guarantee;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub comparison: Option<Rc<GuaranteeComparison>>,
    pub comparing: bool,
    pub on_action: Callback<Action>,
}

/// What each guarantee does, in one line.
fn how(g: Guarantee) -> &'static str {
    match g {
        Guarantee::AtMostOnce => "commits the input offsets before processing; the producer does not retry",
        Guarantee::AtLeastOnce => "processes, flushes the producer, then commits the input offsets",
        Guarantee::ExactlyOnce => {
            "a transactional producer commits the outputs and the input offsets together; the reader uses read_committed"
        }
    }
}

fn column(g: Guarantee, run: &Result<GuaranteeRun, String>) -> Html {
    let name = g.name();
    let body = match run {
        Err(e) => html! { <p class="error" role="alert">{e}</p> },
        Ok(r) => {
            let d = &r.downstream;
            let verdict = if d.duplicated == 0 && d.lost == 0 && d.pending == 0 && d.processed_once == r.input {
                html! { <p class="verdict ok" data-testid={format!("verdict-{name}")}>{"every input record reached the output exactly once"}</p> }
            } else {
                let mut parts = vec![];
                if d.duplicated > 0 {
                    parts.push(format!("{} reached it twice or more", d.duplicated));
                }
                if d.lost > 0 {
                    parts.push(format!("{} never reached it", d.lost));
                }
                if d.pending > 0 {
                    parts.push(format!("{} still on the way", d.pending));
                }
                html! { <p class="verdict bad" data-testid={format!("verdict-{name}")}>{parts.join(", ")}</p> }
            };
            let ids = |label: &str, ids: &[u64]| {
                (!ids.is_empty()).then(|| {
                    let shown: Vec<String> = ids.iter().take(8).map(|i| i.to_string()).collect();
                    html! { <p class="ids">{format!("{label}: {}{}", shown.join(", "), if ids.len() > 8 { " …" } else { "" })}</p> }
                })
            };
            html! { <>
                { for r.refused.iter().map(|e| html! { <p class="error">{format!("skipped: {e}")}</p> }) }
                {verdict}
                <table>
                    <tbody>
                        <tr><th scope="row">{"input records"}</th><td class="num">{r.input}</td></tr>
                        <tr><th scope="row">{"reached the output once"}</th><td class="num" data-testid={format!("g-once-{name}")}>{d.processed_once}</td></tr>
                        <tr><th scope="row">{"duplicated"}</th><td class="num" data-testid={format!("g-dup-{name}")}>{d.duplicated}</td></tr>
                        <tr><th scope="row">{"lost"}</th><td class="num" data-testid={format!("g-lost-{name}")}>{d.lost}</td></tr>
                        <tr><th scope="row">{"pending"}</th><td class="num">{d.pending}</td></tr>
                        <tr><th scope="row" title="transaction markers, and outputs of aborted transactions a read_committed reader skips">{"skipped by the reader"}</th><td class="num">{d.skipped}</td></tr>
                        if g == Guarantee::ExactlyOnce {
                            <tr><th scope="row">{"transactions committed"}</th><td class="num">{r.committed}</td></tr>
                            <tr><th scope="row">{"transactions aborted"}</th><td class="num">{r.aborted}</td></tr>
                            <tr><th scope="row" title="open longer than transaction.timeout.ms: the coordinator aborted them and fenced their producer">{"timed out at the coordinator"}</th><td class="num">{r.timed_out}</td></tr>
                        }
                        <tr><th scope="row">{"the pipeline processed twice"}</th><td class="num">{r.pipeline.duplicated}</td></tr>
                        <tr><th scope="row">{"drained at"}</th><td class="num">{if r.drained { span(r.end_ms) } else { format!("not drained at {}", span(r.end_ms)) }}</td></tr>
                    </tbody>
                </table>
                {ids("first duplicated ids", &d.duplicated_ids).unwrap_or_default()}
                {ids("first lost ids", &d.lost_ids).unwrap_or_default()}
            </> }
        }
    };
    html! {
        <div class="compare-column guarantee" data-testid={format!("guarantee-{name}")}>
            <h3>{name}</h3>
            <p class="hint">{how(g)}</p>
            {body}
        </div>
    }
}

/// The comparison's inputs (the crash time and the share of lost responses), its button and its
/// three columns.
#[function_component(GuaranteesPanel)]
pub fn guarantees_panel(props: &Props) -> Html {
    let crash_s = use_state(|| "10".to_string());
    let drop_pct = use_state(|| "5".to_string());
    let faults = {
        let crash = crash_s.trim().parse::<f64>().ok().filter(|s| *s >= 0.0).map(|s| (s * 1000.0) as u64);
        let drop = drop_pct.trim().parse::<f64>().ok().map(|p| (p / 100.0).clamp(0.0, 1.0)).unwrap_or(0.0);
        GuaranteeFaults { crash_at_ms: crash, drop_rate: drop }
    };
    let run = {
        let cb = props.on_action.clone();
        Callback::from(move |_| cb.emit(Action::CompareGuarantees(faults)))
    };
    let input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            state.set(el.value());
        })
    };
    let body = props.comparison.as_ref().map(|c| {
        let took = if c.took_ms > 0.0 {
            format!(" They took {} together.", span(c.took_ms.round() as u64))
        } else {
            String::new()
        };
        let crash =
            c.faults.crash_at_ms.map_or("no crash".to_string(), |t| format!("the first member crashes at {}", span(t)));
        html! { <>
            <p class="hint" data-testid="guarantees-where">{format!(
                "Each ran to the end: {crash}, {:.0}% of produce responses lost.{took}",
                c.faults.drop_rate * 100.0
            )}</p>
            <div class="compare-columns guarantee-columns">
                { for GUARANTEES.iter().zip(c.runs.iter()).map(|(g, r)| column(*g, r)) }
            </div>
        </> }
    });
    html! {
        <section class="panel guarantees" aria-labelledby="guarantees-h">
            <h2 id="guarantees-h">{"Delivery guarantees, side by side"}</h2>
            <p class="hint">{"Runs this run again three times, without drawing it: the same stream, settings, seed and your actions, with its first group made a small stream application that writes every record it processes to an output topic, read by a downstream group. Only the delivery guarantee differs. The counts are per input record: did each reach the downstream group once, twice, or never? Your run is left as it is."}</p>
            <p class="compare-buttons">
                <label>{"crash the first member at (s) "}
                    <input type="number" min="0" step="1" value={(*crash_s).clone()} oninput={input(&crash_s)} data-testid="guarantees-crash" aria-label="crash the first member at, seconds (empty: no crash)" />
                </label>
                <label>{" lose produce responses (%) "}
                    <input type="number" min="0" max="100" step="1" value={(*drop_pct).clone()} oninput={input(&drop_pct)} data-testid="guarantees-drop" />
                </label>
                <button onclick={run} disabled={props.comparing} data-testid="guarantees-run">{"Run the three guarantees"}</button>
                if props.comparing {
                    <span role="status" class="comparing" data-testid="guarantees-comparing">{"Running all three …"}</span>
                }
            </p>
            {body.unwrap_or_default()}
        </section>
    }
}
