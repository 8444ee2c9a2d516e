//! The windows view: the busiest keys' latest tumbling windows, open or closed, with each task's
//! stream time and the late count.

use std::rc::Rc;
use streamlab_engine::workload::table::format_naive_ms;
use streamlab_engine::Snapshot;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
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

/// A window start or stream time, as short as the window size allows while telling windows apart:
/// `HH:MM:SS` for windows under a minute, else `MM-DD HH:MM`.
fn short_time(ms: u64, size_ms: u64) -> String {
    let full = format_naive_ms(ms);
    if size_ms < 60_000 {
        full[11..19].to_string()
    } else {
        full[5..16].to_string()
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
    let stream_time = w.stream_time_ms.iter().map(|(_, t)| *t).max();
    html! {
        <section class="panel" aria-labelledby="windows-h">
            <h2 id="windows-h">{format!("Tumbling windows of {}, grace {}", duration(w.size_ms), duration(w.grace_ms))}
                <span class="sub">
                    {" · late "}<output data-testid="late">{w.late}</output>
                    {format!(" · {} windows, {} open", w.total_windows, w.open_windows)}
                </span>
            </h2>
            <p class="hint">
                {"Kafka Streams TimeWindows.ofSizeAndGrace (Beam: fixed windows with allowed lateness; Spark: a tumbling window with a watermark). Windows are [start, end), aligned to the epoch. Stream time is the largest event time a task (a partition) has seen; a window closes when stream time reaches its end plus the grace, and a record for a closed window is late: counted here and dropped."}
            </p>
            <p class="stream-time">{"stream time: "}
                { match stream_time {
                    Some(t) => html! { <><strong>{format_naive_ms(t)}</strong>{" (latest task); per partition: "}
                        { w.stream_time_ms.iter().map(|(p, t)| format!("{p} {}", short_time(*t, w.size_ms))).collect::<Vec<_>>().join(" · ") }</> },
                    None => html! { {"– (no record processed yet)"} },
                } }
            </p>
            <table class="windows">
                <thead><tr><th>{"key"}</th><th>{"records"}</th><th>{"latest windows (oldest left): start, count, aggregate; hover for all of it"}</th></tr></thead>
                <tbody>
                { for w.rows.iter().map(|row| html! {
                    <tr key={row.key.clone()}>
                        <th scope="row">{&row.key}</th>
                        <td class="num">{row.total}</td>
                        <td class="cells">
                            { for row.cells.iter().map(|c| html! {
                                <span class={classes!("window", if c.closed { "closed" } else { "open" })} title={c.summary.clone()}>
                                    <span class="when">{short_time(c.start_ms, w.size_ms)}</span>
                                    <span class="count">{c.count}</span>
                                    if !c.detail.is_empty() { <span class="detail">{&c.detail}</span> }
                                    <span class="state">{ if c.closed { "closed" } else { "open" } }</span>
                                </span>
                            }) }
                        </td>
                    </tr>
                }) }
                </tbody>
            </table>
            if !w.late_ids.is_empty() {
                <details><summary>{format!("Late record ids ({} shown)", w.late_ids.len())}</summary>
                    <p class="ids">{w.late_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")}</p></details>
            }
        </section>
    }
}
