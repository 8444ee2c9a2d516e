//! The cluster: each broker as the controller sees it (running, crashed or powered off, fenced,
//! cut off by a network partition, what it leads and which groups it coordinates) with buttons to
//! break and mend it, and each partition's leader, leader epoch, replicas and ISR.

use crate::app::Action;
use std::rc::Rc;
use streamlab_engine::exercise::ActionKind;
use streamlab_engine::snapshot::{BrokerView, PartitionView};
use streamlab_engine::{Command, Snapshot};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
    pub on_action: Callback<Action>,
    /// The actions whose buttons are shown (an exercise allows some); `None`: all of them.
    #[prop_or_default]
    pub allowed: Option<Rc<Vec<ActionKind>>>,
}

/// How one replica of a partition stands, as its chip shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// It leads the partition: producers write to it, consumers read from it.
    Leader,
    /// A follower in the ISR: it has everything below the high watermark.
    InSync,
    /// A follower the leader dropped from the ISR (too far behind, or its broker is down).
    OutOfSync,
}

impl ReplicaState {
    /// How broker `broker`'s replica of `p` stands.
    pub fn of(p: &PartitionView, broker: u32) -> ReplicaState {
        if p.leader == Some(broker) {
            ReplicaState::Leader
        } else if p.isr.contains(&broker) {
            ReplicaState::InSync
        } else {
            ReplicaState::OutOfSync
        }
    }

    fn class(self) -> &'static str {
        match self {
            ReplicaState::Leader => "leader",
            ReplicaState::InSync => "in-sync",
            ReplicaState::OutOfSync => "out-of-sync",
        }
    }

    fn words(self) -> &'static str {
        match self {
            ReplicaState::Leader => "leader, in sync",
            ReplicaState::InSync => "follower, in sync",
            ReplicaState::OutOfSync => "out of sync",
        }
    }
}

/// The leader as its test id reads: the broker id, or `none` while the partition is offline.
pub fn leader_text(p: &PartitionView) -> String {
    p.leader.map_or("none".to_string(), |b| b.to_string())
}

/// The ISR as its test id reads: broker ids joined by commas (`1,3`).
pub fn isr_text(p: &PartitionView) -> String {
    p.isr.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// What a broker's card lets the user do to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerAction {
    Crash,
    PowerOff,
    Restart,
    /// Cut it off from every other node.
    Isolate,
    /// Mend every cut link of it.
    Heal,
}

impl BrokerAction {
    /// The actions that make sense for `b` now: crash and power off a running broker, restart
    /// one that is down, isolate a reachable one, heal an isolated one.
    pub fn offered(b: &BrokerView) -> Vec<BrokerAction> {
        let running = b.state == "Running";
        let isolated = !b.isolated_from.is_empty();
        [
            (BrokerAction::Crash, running),
            (BrokerAction::PowerOff, running),
            (BrokerAction::Restart, !running),
            (BrokerAction::Isolate, !isolated),
            (BrokerAction::Heal, isolated),
        ]
        .into_iter()
        .filter_map(|(a, ok)| ok.then_some(a))
        .collect()
    }

    /// The exercise allowance that covers it.
    pub fn kind(self) -> ActionKind {
        match self {
            BrokerAction::Crash => ActionKind::CrashBroker,
            BrokerAction::PowerOff => ActionKind::PowerOffBroker,
            BrokerAction::Restart => ActionKind::RestartBroker,
            BrokerAction::Isolate => ActionKind::Isolate,
            BrokerAction::Heal => ActionKind::Heal,
        }
    }

    /// The command that does it to broker `id`.
    pub fn command(self, id: u32) -> Command {
        match self {
            BrokerAction::Crash => Command::CrashBroker { broker: id },
            BrokerAction::PowerOff => Command::PowerOffBroker { broker: id },
            BrokerAction::Restart => Command::RestartBroker { broker: id },
            BrokerAction::Isolate => Command::Isolate { node: format!("broker-{id}"), from: vec![] },
            BrokerAction::Heal => Command::Heal { node: format!("broker-{id}") },
        }
    }

    /// The button's test id for broker `id` (`crash-broker-2`).
    pub fn test_id(self, id: u32) -> String {
        let verb = match self {
            BrokerAction::Crash => "crash",
            BrokerAction::PowerOff => "power-off",
            BrokerAction::Restart => "restart",
            BrokerAction::Isolate => "isolate",
            BrokerAction::Heal => "heal",
        };
        format!("{verb}-broker-{id}")
    }

    fn label(self) -> &'static str {
        match self {
            BrokerAction::Crash => "Crash",
            BrokerAction::PowerOff => "Power off",
            BrokerAction::Restart => "Restart",
            BrokerAction::Isolate => "Isolate",
            BrokerAction::Heal => "Heal",
        }
    }

    fn title(self) -> &'static str {
        match self {
            BrokerAction::Crash => "kill -9: the process stops, its log stays on disk",
            BrokerAction::PowerOff => "the machine loses power: as a crash, and what was not flushed to disk is gone",
            BrokerAction::Restart => {
                "start it again: it recovers its log, truncates what diverged, catches up, rejoins the ISR"
            }
            BrokerAction::Isolate => "a network partition: it can reach no other node, nor can they reach it",
            BrokerAction::Heal => "mend its cut links",
        }
    }
}

/// A broker's state in words, with a symbol, so that it does not rest on colour alone.
fn state_words(state: &str) -> (&'static str, &'static str) {
    match state {
        "Running" => ("●", "running"),
        "Crashed" => ("✕", "crashed"),
        "PoweredOff" => ("⏻", "powered off"),
        _ => ("?", "unknown"),
    }
}

#[function_component(ClusterPanel)]
pub fn cluster_panel(props: &Props) -> Html {
    let s = &props.snapshot;
    let allows = |kind: ActionKind| props.allowed.as_ref().is_none_or(|a| a.contains(&kind));
    let elect = {
        let cb = props.on_action.clone();
        Callback::from(move |_| cb.emit(Action::Command(Command::ElectPreferredLeaders)))
    };
    html! {
        <section class="panel cluster" aria-labelledby="cluster-h">
            <h2 id="cluster-h">{"Cluster"}
                <span class="sub">{format!(" {} broker{} · {} partitions offline · {} under-replicated",
                    s.brokers.len(),
                    if s.brokers.len() == 1 { "" } else { "s" },
                    s.partitions.iter().filter(|p| p.offline).count(),
                    s.partitions.iter().filter(|p| p.under_replicated).count())}</span>
            </h2>
            <p class="hint">{"Each partition has one leader and some followers. Producers write to the leader; followers fetch from it to copy its log. The in-sync replicas (ISR) are the leader and the followers that are caught up. The high watermark (HW) is the smallest log end offset in the ISR: consumers read only below it. With acks=all the leader answers a write once every replica in the ISR has it, and refuses it (NotEnoughReplicasException) while the ISR is smaller than min.insync.replicas. A broker that stops heartbeating is fenced by the controller after broker.session.timeout.ms (9 s), and a follower in the ISR takes over its leaderships, with a new leader epoch."}</p>
            <ul class="brokers">
                { for s.brokers.iter().map(|b| broker_card(b, &props.on_action, &allows)) }
            </ul>
            if allows(ActionKind::ElectPreferredLeaders) {
                <p class="actions-row">
                    <button onclick={elect} data-testid="elect-preferred-leaders"
                        title="move each leadership back to its preferred replica (the first assigned), where it is alive and in sync">
                        {"Elect preferred leaders"}</button>
                </p>
            }
            <table class="replication">
                <thead><tr>
                    <th>{"partition"}</th><th>{"leader"}</th><th title="leader epoch">{"epoch"}</th>
                    <th>{"replicas (★ leader)"}</th><th title="in-sync replicas">{"ISR"}</th><th>{"status"}</th>
                </tr></thead>
                <tbody>
                { for s.partitions.iter().map(partition_row) }
                </tbody>
            </table>
            <ul class="legend" aria-label="replica chips">
                <li><span class="replica-chip leader">{"★1"}</span>{" leader"}</li>
                <li><span class="replica-chip in-sync">{"2"}</span>{" follower in sync"}</li>
                <li><span class="replica-chip out-of-sync">{"3"}</span>{" out of sync"}</li>
            </ul>
        </section>
    }
}

fn broker_card(b: &BrokerView, on_action: &Callback<Action>, allows: &dyn Fn(ActionKind) -> bool) -> Html {
    let (symbol, words) = state_words(&b.state);
    let down = b.state != "Running";
    html! {
        <li key={b.id} class={classes!("broker", down.then_some("down"))} aria-labelledby={format!("broker-{}-name", b.id)}>
            <h3 id={format!("broker-{}-name", b.id)}>{format!("broker-{}", b.id)}</h3>
            <p class={classes!("broker-state", b.state.to_lowercase())}>
                <span aria-hidden="true">{symbol}{" "}</span>
                <output data-testid={format!("broker-state-{}", b.id)} title={words}>{&b.state}</output>
                if b.fenced {
                    <span class="badge fenced" title="no heartbeat for broker.session.timeout.ms: it leads nothing and is in no ISR until it registers again">{"fenced by the controller"}</span>
                }
            </p>
            if !b.isolated_from.is_empty() {
                <p class="isolated">{"cut off from "}{b.isolated_from.join(", ")}</p>
            }
            <p class="broker-roles">
                {format!("leads {} partition{}", b.leader_of, if b.leader_of == 1 { "" } else { "s" })}
                {" · "}
                { if b.coordinator_for.is_empty() {
                    "coordinates no group".to_string()
                } else {
                    format!("group coordinator of {}", b.coordinator_for.join(", "))
                } }
            </p>
            <span class="actions">
                { for BrokerAction::offered(b).into_iter().filter(|a| allows(a.kind())).map(|a| {
                    let (cb, command) = (on_action.clone(), a.command(b.id));
                    let onclick = Callback::from(move |_| cb.emit(Action::Command(command.clone())));
                    let danger = matches!(a, BrokerAction::Crash | BrokerAction::PowerOff | BrokerAction::Isolate);
                    html! {
                        <button {onclick} class={classes!(danger.then_some("danger"))} data-testid={a.test_id(b.id)}
                            title={a.title()}>{a.label()}</button>
                    }
                }) }
            </span>
        </li>
    }
}

fn partition_row(p: &PartitionView) -> Html {
    let name = format!("{}-{}", p.topic, p.partition);
    html! {
        <tr key={name.clone()} class={classes!(p.offline.then_some("offline"))}>
            <th scope="row">{&name}</th>
            <td>
                <output data-testid={format!("leader-{name}")}>{leader_text(p)}</output>
                if p.offline { {" "}<span class="badge offline">{"offline"}</span> }
            </td>
            <td class="num">{p.leader_epoch}</td>
            <td>
                <span class="replica-chips">
                { for p.replicas.iter().map(|&r| {
                    let state = ReplicaState::of(p, r);
                    let star = if state == ReplicaState::Leader { "★" } else { "" };
                    html! {
                        <span class={classes!("replica-chip", state.class())} title={format!("broker-{r}: {}", state.words())}>
                            {format!("{star}{r}")}
                            <span class="visually-hidden">{format!(" ({})", state.words())}</span>
                        </span>
                    }
                }) }
                </span>
            </td>
            <td><output data-testid={format!("isr-{name}")}>{isr_text(p)}</output></td>
            <td>
                if p.offline {
                    <span class="badge offline" title="no leader: nobody can produce to it or fetch from it">{"offline"}</span>
                } else if p.under_replicated {
                    <span class="badge under-replicated" title="fewer replicas in sync than assigned">{"under-replicated"}</span>
                } else {
                    <span class="badge healthy">{"fully replicated"}</span>
                }
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::troubled_cluster;

    #[test]
    fn replicas_are_leader_in_sync_or_out_of_sync() {
        let s = troubled_cluster();
        let p0 = &s.partitions[0];
        let states: Vec<ReplicaState> = p0.replicas.iter().map(|&r| ReplicaState::of(p0, r)).collect();
        assert_eq!(states, [ReplicaState::Leader, ReplicaState::OutOfSync, ReplicaState::InSync]);
        assert_eq!((leader_text(p0), isr_text(p0)), ("1".to_string(), "1,3".to_string()));
        // Offline: no leader, and its last ISR member is down.
        let p1 = &s.partitions[1];
        assert_eq!((leader_text(p1), isr_text(p1)), ("none".to_string(), "2".to_string()));
        assert!(p1.replicas.iter().all(|&r| ReplicaState::of(p1, r) != ReplicaState::Leader));
    }

    #[test]
    fn each_broker_offers_what_its_state_allows() {
        let s = troubled_cluster();
        let offered: Vec<Vec<BrokerAction>> = s.brokers.iter().map(BrokerAction::offered).collect();
        use BrokerAction::*;
        assert_eq!(offered, [vec![Crash, PowerOff, Isolate], vec![Restart, Isolate], vec![Crash, PowerOff, Heal]]);
        assert_eq!(Restart.command(2), Command::RestartBroker { broker: 2 });
        assert_eq!(Isolate.command(3), Command::Isolate { node: "broker-3".into(), from: vec![] });
        assert_eq!(Heal.command(3), Command::Heal { node: "broker-3".into() });
        assert_eq!(PowerOff.test_id(1), "power-off-broker-1");
        // Each button is covered by its own allowance, so that an exercise can offer some only.
        for a in [Crash, PowerOff, Restart, Isolate, Heal] {
            assert_eq!(ActionKind::of(&a.command(1)), a.kind());
        }
    }
}
