//! The consumer group: coordinator state and generation, the assignor and rebalance protocol,
//! `session.timeout.ms` and `max.poll.interval.ms`, and per member its static id, state,
//! partitions, positions, committed offsets and lag, with buttons to add, close, crash, stall
//! and restart members.

use crate::app::Action;
use crate::widgets::duration;
use std::rc::Rc;
use streamlab_engine::command::SeekTo;
use streamlab_engine::config::ConsumerConfig;
use streamlab_engine::exercise::ActionKind;
use streamlab_engine::scenario::MAX_PARTITIONS;
use streamlab_engine::snapshot::{GroupView, MemberView};
use streamlab_engine::{Command, Scenario, Snapshot};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
    pub on_action: Callback<Action>,
    /// The actions whose buttons are enabled (an exercise allows some); `None`: all of them.
    #[prop_or_default]
    pub allowed: Option<Rc<Vec<ActionKind>>>,
    /// The run's scenario: which topics each group subscribes to, for "Add partitions".
    #[prop_or_default]
    pub scenario: Option<Rc<Scenario>>,
}

/// Why a button is disabled, as its tooltip says.
const NOT_ALLOWED: &str = "not one of this exercise's actions";

/// How much longer than the timeout a stall lasts, ms: enough for the timeout to fire and the
/// coordinator to act on it.
pub const STALL_MARGIN_MS: u64 = 5_000;
/// The longest stall the engine accepts (`PauseConsumer`), ms.
pub const MAX_STALL_MS: u64 = 3_600_000;

fn opt(v: Option<u64>) -> String {
    v.map_or("–".to_string(), |v| v.to_string())
}

/// Whether the member's process runs.
pub fn is_alive(m: &MemberView) -> bool {
    m.state != "Crashed" && m.state != "Closed"
}

/// The assignor the group uses now, by its short name, and whether it is only the members'
/// preferred one (before the first generation the group has chosen none).
fn assignor(g: &GroupView) -> (String, bool) {
    match &g.protocol {
        Some(p) => (p.clone(), false),
        None => (g.assignors.first().map_or("–".to_string(), |a| a.to_string()), true),
    }
}

/// A stall of `timeout_ms + STALL_MARGIN_MS`, if the engine accepts one that long.
fn stall_ms(timeout_ms: u64) -> Option<u64> {
    Some(timeout_ms + STALL_MARGIN_MS).filter(|ms| *ms <= MAX_STALL_MS)
}

#[function_component(GroupPanel)]
pub fn group_panel(props: &Props) -> Html {
    let allows = |kind: ActionKind| props.allowed.as_ref().is_none_or(|a| a.contains(&kind));
    let can_add = allows(ActionKind::AddConsumer);
    let can_grow = allows(ActionKind::CreatePartitions);
    let send = |command: Command| {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::Command(command.clone())))
    };
    html! {
        <>
        { for props.snapshot.groups.iter().map(|g| {
            let total_lag: u64 = g.members.iter().flat_map(|m| m.partitions.iter()).filter_map(|p| p.lag).sum();
            let (assignor, preferred) = assignor(g);
            let gid = &g.group_id;
            let spec = props.scenario.as_ref().and_then(|s| s.consumer_groups.iter().find(|s| s.group_id == *gid));
            // The topics it reads: those it names, and any other its members hold (a pattern's).
            let mut topics: Vec<String> = spec.map(|s| s.topics.clone()).unwrap_or_default();
            for p in g.members.iter().flat_map(|m| &m.partitions) {
                let topic = p.partition.rsplit_once('-').map_or(p.partition.as_str(), |(t, _)| t);
                if !topics.iter().any(|t| t == topic) {
                    topics.push(topic.to_string());
                }
            }
            let metadata_max_age_ms = spec
                .and_then(|s| ConsumerConfig::from_map("configs", &s.configs).ok())
                .unwrap_or_default()
                .metadata_max_age_ms;
            html! {
            <section class="panel" aria-labelledby={format!("group-{gid}")}>
                <h2 id={format!("group-{gid}")}>{format!("Consumer group {gid}")}
                    <span class="sub">
                        {" state "}<output data-testid="group-state">{&g.state}</output>
                        {" · generation "}<output data-testid="generation">{g.generation_id}</output>
                        {" · rebalances "}{g.rebalances}
                        {" · total lag "}<output data-testid="lag-total">{total_lag}</output>
                    </span>
                </h2>
                <p class="group-config">
                    <span title={format!("partition.assignment.strategy: {}", g.assignors.join(", "))}>
                        {"assignor "}<output data-testid="group-assignor">{assignor}</output>
                        if preferred { {" (preferred; chosen at the first rebalance)"} }
                    </span>
                    {" · "}
                    <span title="eager: every member gives up all its partitions at each rebalance; cooperative (KIP-429): only those that move, in a second round">
                        {"protocol "}<output data-testid="group-protocol">{g.rebalance_protocol}</output>
                    </span>
                    {" · "}<span title="session.timeout.ms: without a heartbeat for this long, the coordinator removes the member">
                        {"session.timeout.ms "}{duration(g.session_timeout_ms)}</span>
                    {" · "}<span title="max.poll.interval.ms: a member that does not call poll() for this long leaves the group">
                        {"max.poll.interval.ms "}{duration(g.max_poll_interval_ms)}</span>
                </p>
                <p class="hint">{"Position: the next offset poll() returns; committed: what the group coordinator stored; lag: high watermark − committed offset, as kafka-consumer-groups.sh shows it. "}
                    {format!("Stall: the application stops calling poll() for the time shown ({} past the timeout) while heartbeats go on: past session.timeout.ms nothing happens; past max.poll.interval.ms a dynamic member leaves the group, a static one is removed at session.timeout.ms.", duration(STALL_MARGIN_MS))}</p>
                <table class="members">
                    <thead><tr><th>{"member, state"}</th><th>{"partition"}</th><th>{"position"}</th><th>{"committed"}</th><th>{"lag"}</th><th>{"processed"}</th></tr></thead>
                    <tbody>
                    { for g.members.iter().map(|m| member_rows(g, m, &send, &allows)) }
                    </tbody>
                </table>
                <p class="group-actions">
                    <button onclick={send(Command::AddConsumer { group_id: gid.clone() })} disabled={!can_add}
                        data-testid={format!("add-consumer-{gid}")}
                        title={if can_add { "start one more consumer: it joins, and the group rebalances" } else { NOT_ALLOWED }}>{"Add consumer"}</button>
                    { for topics.iter().map(|t| {
                        let current = props.snapshot.partitions.iter().filter(|p| p.topic == *t).count() as u32;
                        html! {
                            <AddPartitions topic={t.clone()} {current} allowed={can_grow} {metadata_max_age_ms}
                                on_action={props.on_action.clone()} />
                        }
                    }) }
                </p>
            </section>
        }}) }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct AddPartitionsProps {
    topic: String,
    /// Its partitions now.
    current: u32,
    allowed: bool,
    /// The members' `metadata.max.age.ms`: when they see the new partitions at the latest.
    metadata_max_age_ms: u64,
    on_action: Callback<Action>,
}

/// "Add partitions": the topic's new partition count, and the button that asks for it
/// (`Admin.createPartitions`).
#[function_component(AddPartitions)]
fn add_partitions(props: &AddPartitionsProps) -> Html {
    // Unset, it offers one more than the topic has now, whatever that is by then.
    let chosen = use_state(|| None::<u32>);
    let count = chosen.unwrap_or(props.current + 1);
    let can = props.allowed && props.current < MAX_PARTITIONS;
    let on_input = {
        let chosen = chosen.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                chosen.set(i.value().trim().parse().ok());
            }
        })
    };
    let add = {
        let (cb, topic, chosen) = (props.on_action.clone(), props.topic.clone(), chosen.clone());
        Callback::from(move |_: MouseEvent| {
            cb.emit(Action::Command(Command::CreatePartitions { topic: topic.clone(), count }));
            chosen.set(None);
        })
    };
    let t = &props.topic;
    html! {
        <span class="add-partitions">
            <label>{format!("{t}: {} → ", props.current)}
                <input type="number" min={(props.current + 1).to_string()} max={MAX_PARTITIONS.to_string()} value={count.to_string()}
                    oninput={on_input} disabled={!can} data-testid={format!("partition-count-{t}")}
                    aria-label={format!("new partition count of {t}")} />{" partitions "}</label>
            <button onclick={add} disabled={!can} data-testid={format!("add-partitions-{t}")}
                title={if props.allowed {
                    format!("Admin.createPartitions: {t} grows from {} to {count} partitions. The members see them at their next metadata refresh (metadata.max.age.ms, {} here), then the leader rebalances (trigger partitions_added); from then on some keys go to other partitions.", props.current, duration(props.metadata_max_age_ms))
                } else { NOT_ALLOWED.to_string() }}>{"Add partitions"}</button>
        </span>
    }
}

/// A member's rows: its name, static id, state and buttons beside its first partition, then one
/// row per other partition.
fn member_rows(
    g: &GroupView,
    m: &MemberView,
    send: &impl Fn(Command) -> Callback<MouseEvent>,
    allows: &impl Fn(ActionKind) -> bool,
) -> Html {
    let alive = is_alive(m);
    let id = m.client_id.clone();
    let (can_close, can_crash, can_pause, can_restart, can_seek) = (
        allows(ActionKind::CloseConsumer),
        allows(ActionKind::CrashConsumer),
        allows(ActionKind::PauseConsumer),
        allows(ActionKind::RestartConsumer),
        allows(ActionKind::SeekConsumer),
    );
    let tip = |allowed: bool, what: String| if allowed { what } else { NOT_ALLOWED.to_string() };
    let stall = |timeout_ms: u64, which: &str, then: &str, testid: &str| {
        let Some(ms) = stall_ms(timeout_ms) else {
            return html! {
                <button disabled=true data-testid={format!("{testid}-{id}")}
                    title={format!("{which} ({}) is longer than the longest stall the simulation takes ({})", duration(timeout_ms), duration(MAX_STALL_MS))}>
                    {"Stall"}<span class="why">{format!(" > {which}")}</span>
                </button>
            };
        };
        html! {
            <button onclick={send(Command::PauseConsumer { client_id: id.clone(), duration_ms: ms })}
                disabled={!can_pause || m.paused} data-testid={format!("{testid}-{id}")}
                title={tip(can_pause, format!("the application stalls for {} without calling poll(), past {which} ({}): {then}", duration(ms), duration(timeout_ms)))}>
                {format!("Stall {}", duration(ms))}
                <span class="why">{format!(" > {which}")}</span>
            </button>
        }
    };
    let rows = m.partitions.len().max(1);
    let first = m.partitions.first();
    let state = match (m.paused, alive) {
        (true, true) => format!("{} · stalled, no poll()", m.state),
        _ => m.state.clone(),
    };
    html! {
        <>
        <tr class={classes!("member", (!alive).then_some("dead"), m.paused.then_some("paused"))} data-testid={format!("member-{id}")}>
            // The state and the buttons sit under the name, so that the table fits half a screen.
            <th scope="row" rowspan={rows.to_string()} title={m.member_id.clone()}>
                <span class="member-name">{&id}</span>
                <span class="member-state" data-testid={format!("member-state-{id}")}>{state}</span>
                <span class="member-static" data-testid={format!("member-static-{id}")}>{ match &m.group_instance_id {
                    Some(i) => html! { <>{"static, group.instance.id "}<code>{i}</code></> },
                    None => html! { {"dynamic member"} },
                } }</span>
                if alive {
                    <span class="actions">
                        <button onclick={send(Command::CloseConsumer { client_id: id.clone() })} disabled={!can_close}
                            data-testid={format!("close-{id}")}
                            title={tip(can_close, "close(): commit, then LeaveGroup: the group rebalances at once".into())}>{"Leave"}</button>
                        <button onclick={send(Command::CrashConsumer { client_id: id.clone() })} class="danger" disabled={!can_crash}
                            data-testid={format!("crash-{id}")}
                            title={tip(can_crash, "kill the process: no LeaveGroup, heartbeats stop; the coordinator notices after session.timeout.ms".into())}>{"Crash"}</button>
                        {stall(g.session_timeout_ms, "session.timeout.ms", "heartbeats go on from their own thread (KIP-62), so the member stays", "stall-session")}
                        {stall(g.max_poll_interval_ms, "max.poll.interval.ms", if m.group_instance_id.is_some() {
                            "a static member sends no LeaveGroup (KIP-345): its heartbeats stop, and the coordinator removes it after session.timeout.ms"
                        } else {
                            "the heartbeat thread sends LeaveGroup and the group rebalances (trigger poll_timeout)"
                        }, "stall-poll")}
                        <button onclick={send(Command::SeekConsumer { client_id: id.clone(), to: SeekTo::Beginning })}
                            disabled={!can_seek} data-testid={format!("seek-beginning-{id}")}
                            title={tip(can_seek, "seekToBeginning() on its partitions: it reads them again from the log start offset (duplicates)".into())}>{"Seek start"}</button>
                        <button onclick={send(Command::SeekConsumer { client_id: id.clone(), to: SeekTo::End })}
                            disabled={!can_seek} data-testid={format!("seek-end-{id}")}
                            title={tip(can_seek, "seekToEnd() on its partitions: it jumps over its backlog (skipped, never processed)".into())}>{"Seek end"}</button>
                    </span>
                } else {
                    <span class="actions">
                        <button onclick={send(Command::RestartConsumer { client_id: id.clone() })} disabled={!can_restart}
                            data-testid={format!("restart-{id}")}
                            title={tip(can_restart, match &m.group_instance_id {
                                Some(_) => format!("start the process again with the same group.instance.id: back within session.timeout.ms ({}), it takes its old place with no rebalance", duration(g.session_timeout_ms)),
                                None => "start the process again: it joins as a new member, and the group rebalances".to_string(),
                            })}>{"Restart"}</button>
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stall_outlasts_its_timeout_within_the_engine_limit() {
        assert_eq!(stall_ms(45_000), Some(50_000));
        assert_eq!(stall_ms(300_000), Some(305_000));
        assert_eq!(stall_ms(MAX_STALL_MS), None);
    }
}
