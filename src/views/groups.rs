//! The consumer group: coordinator state and generation, and per member its partitions,
//! positions, committed offsets and lag, with buttons to add, close and crash members.

use crate::app::Action;
use std::rc::Rc;
use streamlab_engine::exercise::ActionKind;
use streamlab_engine::{Command, Snapshot};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
    pub on_action: Callback<Action>,
    /// The actions whose buttons are enabled (an exercise allows some); `None`: all of them.
    #[prop_or_default]
    pub allowed: Option<Rc<Vec<ActionKind>>>,
}

/// Why a button is disabled, as its tooltip says.
const NOT_ALLOWED: &str = "not one of this exercise's actions";

fn opt(v: Option<u64>) -> String {
    v.map_or("–".to_string(), |v| v.to_string())
}

#[function_component(GroupPanel)]
pub fn group_panel(props: &Props) -> Html {
    let allows = |kind: ActionKind| props.allowed.as_ref().is_none_or(|a| a.contains(&kind));
    let (can_add, can_close, can_crash) =
        (allows(ActionKind::AddConsumer), allows(ActionKind::CloseConsumer), allows(ActionKind::CrashConsumer));
    html! {
        <>
        { for props.snapshot.groups.iter().map(|g| {
            let add = {
                let cb = props.on_action.clone();
                let group_id = g.group_id.clone();
                Callback::from(move |_| cb.emit(Action::Command(Command::AddConsumer { group_id: group_id.clone() })))
            };
            let total_lag: u64 = g.members.iter().flat_map(|m| m.partitions.iter()).filter_map(|p| p.lag).sum();
            html! {
            <section class="panel" aria-labelledby={format!("group-{}", g.group_id)}>
                <h2 id={format!("group-{}", g.group_id)}>{format!("Consumer group {}", g.group_id)}
                    <span class="sub">
                        {" state "}<output data-testid="group-state">{&g.state}</output>
                        {" · generation "}<output data-testid="generation">{g.generation_id}</output>
                        {" · rebalances "}{g.rebalances}
                        {" · total lag "}<output data-testid="lag-total">{total_lag}</output>
                    </span>
                </h2>
                <p class="hint">{"Position: the next offset poll() returns. Committed: what the group coordinator stored. Lag: high watermark − committed offset, as kafka-consumer-groups.sh shows it. The first rebalance waits group.initial.rebalance.delay.ms (3 s, longer while members keep joining)."}</p>
                <table class="members">
                    <thead><tr><th>{"member, state"}</th><th>{"partition"}</th><th>{"position"}</th><th>{"committed"}</th><th>{"lag"}</th><th>{"processed"}</th></tr></thead>
                    <tbody>
                    { for g.members.iter().map(|m| {
                        let alive = m.state != "Crashed" && m.state != "Closed";
                        let close = {
                            let cb = props.on_action.clone();
                            let client_id = m.client_id.clone();
                            Callback::from(move |_| cb.emit(Action::Command(Command::CloseConsumer { client_id: client_id.clone() })))
                        };
                        let crash = {
                            let cb = props.on_action.clone();
                            let client_id = m.client_id.clone();
                            Callback::from(move |_| cb.emit(Action::Command(Command::CrashConsumer { client_id: client_id.clone() })))
                        };
                        let rows = m.partitions.len().max(1);
                        let first = m.partitions.first();
                        html! {
                            <>
                            <tr class={classes!("member", (!alive).then_some("dead"))} data-testid={format!("member-{}", m.client_id)}>
                                // The state and the buttons sit under the name, so that the table fits half a screen.
                                <th scope="row" rowspan={rows.to_string()} title={m.member_id.clone()}>
                                    <span class="member-name">{&m.client_id}</span>
                                    <span class="member-state">{&m.state}</span>
                                    if alive {
                                        <span class="actions">
                                            <button onclick={close} disabled={!can_close}
                                                title={if can_close { "close(): commit, then LeaveGroup" } else { NOT_ALLOWED }}>{"Leave"}</button>
                                            <button onclick={crash} class="danger" disabled={!can_crash}
                                                title={if can_crash { "kill the process: no LeaveGroup, heartbeats stop" } else { NOT_ALLOWED }}>{"Crash"}</button>
                                        </span>
                                    }
                                </th>
                                <td>{ first.map_or("–".to_string(), |p| p.partition.clone()) }</td>
                                <td class="num position">{ opt(first.and_then(|p| p.position)) }</td>
                                <td class="num committed">{ opt(first.and_then(|p| p.committed)) }</td>
                                <td class="num lag">{ opt(first.and_then(|p| p.lag)) }</td>
                                <td class="num" rowspan={rows.to_string()}>{m.records_processed}</td>
                            </tr>
                            { for m.partitions.iter().skip(1).map(|p| html! {
                                <tr>
                                    <td>{&p.partition}</td>
                                    <td class="num position">{ opt(p.position) }</td>
                                    <td class="num committed">{ opt(p.committed) }</td>
                                    <td class="num lag">{ opt(p.lag) }</td>
                                </tr>
                            }) }
                            </>
                        }
                    }) }
                    </tbody>
                </table>
                <button onclick={add} disabled={!can_add} title={(!can_add).then_some(NOT_ALLOWED)}>{"Add consumer"}</button>
            </section>
        }}) }
        </>
    }
}
