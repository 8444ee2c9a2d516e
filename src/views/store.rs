//! The state store view: the windowed group's store and the compacted changelog topic behind
//! it. Which member owns each task, each restore (records read, time taken), and the changelog
//! read two ways: as a stream of updates (`KStream`) and as a table of the latest committed value
//! per key (`KTable`), which is what a restore ends with.

use crate::app::Action;
use std::rc::Rc;
use streamlab_engine::exercise::ActionKind;
use streamlab_engine::scenario::WindowType;
use streamlab_engine::session::Setup;
use streamlab_engine::snapshot::ChangelogRow;
use streamlab_engine::workload::table::format_naive_ms;
use streamlab_engine::{Command, Scenario, Snapshot};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
    pub setup: Rc<Setup>,
    pub scenario: Rc<Scenario>,
    pub on_action: Callback<Action>,
    /// The actions whose buttons are enabled (an exercise allows some); `None`: all of them.
    pub allowed: Option<Rc<Vec<ActionKind>>>,
}

/// A changelog record's windows: `start → count` each, starts without the year.
fn windows_text(row: &ChangelogRow) -> String {
    row.windows
        .iter()
        .map(|(start, count)| {
            let t = format_naive_ms(*start);
            format!("{} → {count}", t.get(5..).unwrap_or(&t))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn rows(rows: &[ChangelogRow], testid: &'static str) -> Html {
    html! {
        <table class="late" data-testid={testid}>
            <thead><tr><th>{"p@offset"}</th><th>{"key"}</th><th>{"its open windows (start → records)"}</th><th>{"transaction"}</th></tr></thead>
            <tbody>
            { for rows.iter().map(|r| html! {
                <tr class={classes!(r.state)}><td>{&r.at}</td><td>{&r.key}</td><td>{windows_text(r)}</td><td>{r.state}</td></tr>
            }) }
            </tbody>
        </table>
    }
}

#[function_component(StorePanel)]
pub fn store_panel(props: &Props) -> Html {
    let Some(s) = &props.snapshot.store else {
        let windowed = props.scenario.consumer_groups.first().is_some_and(|g| g.windows.is_some());
        let enable = {
            let (setup, cb) = (props.setup.clone(), props.on_action.clone());
            Callback::from(move |_| {
                let mut setup = (*setup).clone();
                // Sliding windows keep their records in memory here: the store logs the others.
                let sliding = setup.scenario().is_ok_and(|s| {
                    s.consumer_groups.first().and_then(|g| g.windows).is_some_and(|w| w.kind == WindowType::Sliding)
                });
                setup.settings.insert("guarantee".into(), "exactly-once".into());
                setup.settings.insert("window.changelog".into(), true.into());
                if sliding {
                    setup.settings.insert("window.type".into(), "tumbling".into());
                }
                cb.emit(Action::Restart(setup));
            })
        };
        return html! {
            <section class="panel" aria-labelledby="store-h">
                <h2 id="store-h">{"State store"}</h2>
                if windowed && props.allowed.is_none() {
                    <p class="hint">{"This run's windows live in a store nothing backs up: when a member crashes, the partition's next owner starts from what the crashed one had, as if by magic. Kafka Streams logs every store to a compacted changelog topic instead, writes it in the same transaction as the outputs under exactly-once, and has a task's new owner read it back before it processes anything."}</p>
                    <button onclick={enable} data-testid="store-enable">{"Run again with exactly-once and a changelog"}</button>
                } else {
                    <p class="hint">{"This run has no windowed aggregation backed by a changelog topic (windows.changelog)."}</p>
                }
            </section>
        };
    };
    let can_crash = props.allowed.as_ref().is_none_or(|a| a.contains(&ActionKind::CrashConsumer));
    let crash = |owner: &str| {
        let (cb, client_id) = (props.on_action.clone(), owner.to_string());
        Callback::from(move |_| cb.emit(Action::Command(Command::CrashConsumer { client_id: client_id.clone() })))
    };
    let done = s.restores.iter().filter(|r| r.finished_ms.is_some());
    let after_start = done.filter(|r| r.records > 0).count();
    html! {
        <section class="panel store" aria-labelledby="store-h">
            <h2 id="store-h">{format!("State store of group {}", s.group_id)}
                <span class="sub">{format!(" · changelog {} · {} records written · {} restores", s.changelog, s.written, s.restores_total)}</span>
            </h2>
            <p class="hint">{"Each task (an input partition) keeps its windows in a store on the member that owns it. After each batch the member writes the keys it changed to the changelog topic (cleanup.policy compact,delete), in the same transaction as its outputs and offsets under exactly-once. A member that gets a task reads the task's changelog partition to its end (the last stable offset: read_committed) before it processes the task, so a crash loses nothing and counts nothing twice."}</p>
            <table class="store-tasks" data-testid="store-tasks">
                <thead><tr><th>{"task"}</th><th>{"owner"}</th><th>{"state"}</th><th>{"open windows"}</th><th></th></tr></thead>
                <tbody>
                { for s.tasks.iter().map(|t| html! {
                    <tr>
                        <td>{&t.partition}</td>
                        <td>{t.owner.clone().unwrap_or_else(|| "–".into())}</td>
                        <td>{ if t.restoring { html! { <strong class="restoring">{"restoring"}</strong> } } else if t.owner.is_some() { html! { {"running"} } } else { html! { {"unassigned"} } } }</td>
                        <td class="num">{t.open_windows}</td>
                        <td>
                            if let (Some(owner), true) = (&t.owner, can_crash) {
                                <button onclick={crash(owner)} data-testid={format!("store-crash-{}", t.partition)} title={format!("Crash {owner}: its open transaction is aborted after transaction.timeout.ms, and the task's next owner restores from the changelog")}>{"crash owner"}</button>
                            }
                        </td>
                    </tr>
                }) }
                </tbody>
            </table>
            <h3>{"Restores"}</h3>
            if s.restores.is_empty() {
                <p class="hint">{"No task assigned yet."}</p>
            } else {
                <p class="hint" data-testid="store-restored">{format!("{after_start} of the latest restores read records (a member that gets a task at the start reads an empty changelog). A restore reads up to the last stable offset: an open transaction of a crashed member holds it back, so the restore stops before that transaction's records, which the coordinator aborts after transaction.timeout.ms.")}</p>
                <table class="late" data-testid="store-restores">
                    <thead><tr><th>{"task"}</th><th>{"member"}</th><th>{"began"}</th><th>{"took"}</th><th>{"changelog records read"}</th><th>{"windows restored"}</th></tr></thead>
                    <tbody>
                    { for s.restores.iter().map(|r| html! {
                        <tr>
                            <td>{&r.partition}</td><td>{&r.member}</td>
                            <td class="num">{format!("{:.1} s", r.started_ms as f64 / 1000.0)}</td>
                            <td class="num">{ match r.finished_ms { Some(f) => format!("{} ms", f - r.started_ms), None => "reading…".into() } }</td>
                            <td class="num">{r.records}</td>
                            <td class="num">{ if r.finished_ms.is_some() { r.windows.to_string() } else { "–".into() } }</td>
                        </tr>
                    }) }
                    </tbody>
                </table>
            }
            <div class="compare-columns">
                <div class="compare-column">
                    <h3>{"The changelog as a stream (KStream)"}</h3>
                    <p class="hint" data-testid="store-stream">{format!("{} records in its logs: every update, {} in aborted transactions, {} in open ones. The newest:", s.stream_records, s.stream_aborted, s.stream_pending)}</p>
                    {rows(&s.stream_tail, "store-stream-rows")}
                </div>
                <div class="compare-column">
                    <h3>{"The same topic as a table (KTable)"}</h3>
                    <p class="hint" data-testid="store-table">{format!("{} keys: the latest committed record of each, what compaction keeps and a restore ends with. The most updated:", s.table_keys)}</p>
                    {rows(&s.table, "store-table-rows")}
                </div>
            </div>
        </section>
    }
}
