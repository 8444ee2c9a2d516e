//! The pipeline view: the running group's dataflow drawn as its steps (source, parse, filters and
//! maps, key, window, aggregate, emit, sink, output topic), each with its count; the sink table
//! as its output mode writes it; and the alerts the aggregate raised.

use crate::app::Action;
use std::rc::Rc;
use streamlab_engine::exercise::ActionKind;
use streamlab_engine::session::Setup;
use streamlab_engine::snapshot::PipelineView;
use streamlab_engine::workload::table::format_naive_ms;
use streamlab_engine::Snapshot;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
    pub setup: Rc<Setup>,
    pub on_action: Callback<Action>,
    /// The actions whose buttons are enabled (an exercise allows some); `None`: all of them.
    pub allowed: Option<Rc<Vec<ActionKind>>>,
}

/// What each output mode writes, in words.
fn mode_help(mode: &str) -> &'static str {
    match mode {
        "append" => "Append (Spark's append mode; Kafka Streams' suppress(untilWindowCloses) / EmitStrategy.onWindowClose): each window's row is written once, final, when the window closes. Nothing is written for open windows, so results wait for the grace period.",
        "complete" => "Complete (Spark's complete mode): every trigger rewrites the whole result table, every window again, open or closed. The table is always whole, and the writes grow with the table.",
        _ => "Update (Spark's update mode; Kafka Streams' EmitStrategy.onWindowUpdate with the record cache flushed at each commit): every trigger upserts the rows of the windows it changed. Rows of open windows change as records come.",
    }
}

/// A window's bounds, `12:00:10 – 12:00:20`, dates left out.
fn bounds(start_ms: u64, end_ms: u64) -> String {
    let t = |ms: u64| {
        let s = format_naive_ms(ms);
        s.get(11..19).unwrap_or(&s).to_string()
    };
    format!("{} – {}", t(start_ms), t(end_ms))
}

fn steps(p: &PipelineView) -> Html {
    html! {
        <ol class="pipeline-steps" data-testid="pipeline-steps">
            { for p.steps.iter().map(|s| html! {
                <li class={classes!("step", s.kind)} data-testid={format!("step-{}", s.kind)}>
                    <span class="step-kind">{s.kind}</span>
                    <strong>{&s.title}</strong>
                    <span class="step-detail">{&s.detail}</span>
                </li>
            }) }
        </ol>
    }
}

#[function_component(PipelinePanel)]
pub fn pipeline_panel(props: &Props) -> Html {
    let Some(p) = &props.snapshot.pipeline else {
        return html! {
            <section class="panel" aria-labelledby="pipeline-h">
                <h2 id="pipeline-h">{"Pipeline"}</h2>
                <p class="hint">{"This run's groups have no windowed pipeline (a group's windows, steps, aggregate and sink)."}</p>
            </section>
        };
    };
    let r = &p.report;
    let switch = |mode: &'static str| {
        let (setup, cb) = (props.setup.clone(), props.on_action.clone());
        Callback::from(move |_| {
            let mut setup = (*setup).clone();
            setup.settings.insert("sink.output_mode".into(), mode.into());
            cb.emit(Action::Restart(setup));
        })
    };
    let current = r.output_mode.clone().unwrap_or_default();
    html! {
        <section class="panel" aria-labelledby="pipeline-h">
            <h2 id="pipeline-h">{format!("Pipeline of group {}", r.group_id)}</h2>
            <p class="hint">{"Each record goes left to right: read from the source topic, parsed by its workload's schema (bad rows and poison records go to the dead-letter queue), filtered and mapped by the stateless steps, grouped by its key into windows, aggregated, and emitted to the sink table and the output topic."}</p>
            { steps(p) }
            if r.output_mode.is_some() {
                <h3>{"Sink table"}</h3>
                <p class="hint" data-testid="sink-mode-help">{mode_help(&current)}</p>
                if props.allowed.is_none() {
                    <div class="output-modes" role="group" aria-label="output mode">
                        { for ["append", "update", "complete"].into_iter().map(|m| html! {
                            <button onclick={switch(m)} aria-pressed={(current == m).to_string()} data-testid={format!("output-mode-{m}")}>{m}</button>
                        }) }
                    </div>
                }
                <p>
                    <span data-testid="sink-rows">{r.sink_rows}</span>{" rows, "}
                    <span data-testid="sink-open-rows">{r.sink_open_rows}</span>{" of them still open; "}
                    <span data-testid="sink-writes">{r.sink_writes}</span>{format!(" writes in {} triggers", r.triggers)}
                </p>
                <table class="late" data-testid="sink-table">
                    <thead><tr><th>{"key"}</th><th>{"window"}</th><th>{"records"}</th><th>{&r.aggregate}</th><th>{"row"}</th></tr></thead>
                    <tbody>
                    { for p.sink_rows.iter().map(|row| html! {
                        <tr class={classes!(row.is_final.then_some("final"))}>
                            <td>{&row.key}</td><td>{bounds(row.start_ms, row.end_ms)}</td><td>{row.count}</td><td>{&row.value}</td>
                            <td>{if row.is_final { "final" } else { "may change" }}</td>
                        </tr>
                    }) }
                    </tbody>
                </table>
            }
            if let Some(t) = r.alert_above {
                <h3>{"Alerts"}</h3>
                <p>
                    <span data-testid="alerts">{r.alerts}</span>
                    {format!(" times a key's {} rose above {t}. An alert fires when the value after a record is above the threshold and the value after the key's record before was not.", r.aggregate)}
                </p>
                <table class="late" data-testid="alert-table">
                    <thead><tr><th>{"key"}</th><th>{"window"}</th><th>{"value"}</th><th>{"processed at"}</th></tr></thead>
                    <tbody>
                    { for p.alerts.iter().map(|a| html! {
                        <tr><td>{&a.key}</td><td>{bounds(a.start_ms, a.end_ms)}</td><td>{format!("{:.2}", a.value)}</td><td>{format!("{:.1} s", a.at_ms as f64 / 1000.0)}</td></tr>
                    }) }
                    </tbody>
                </table>
            }
        </section>
    }
}
