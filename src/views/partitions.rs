//! The topic's partitions as log strips, with their offsets as text: log start offset, high
//! watermark and log end offset, and each replica's, so that a lagging follower shows.

use crate::widgets::log_strip::LogStrip;
use crate::widgets::palette::key_class;
use std::rc::Rc;
use streamlab_engine::snapshot::{PartitionView, ReplicaLogView};
use streamlab_engine::Snapshot;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
    pub key_names: Rc<Vec<String>>,
}

#[function_component(PartitionPanel)]
pub fn partition_panel(props: &Props) -> Html {
    let s = &props.snapshot;
    let total_leo: u64 = s.partitions.iter().map(|p| p.log_end_offset).sum();
    html! {
        <section class="panel" aria-labelledby="partitions-h">
            <h2 id="partitions-h">{"Partitions"}
                <span class="sub">{" total log end offset "}<output data-testid="leo-total">{total_leo}</output></span>
            </h2>
            <p class="hint">{"Each cell is a record, coloured by key; the newest is on the right. Kafka's producer puts a keyed record on partition toPositive(murmur2(key)) % partitions, so a key always lands on the same partition. The red bar is the group's committed offset. Faded records are above the high watermark: on the leader, not yet on every in-sync replica, so no consumer reads them. A thin grey line starts a new segment, a broken gap is where compaction removed older records of a key, and a hollow crossed cell is a tombstone (a delete marker). With more than one replica, the lines under the strip reach each replica's log end offset: leader blue, in-sync follower green, out-of-sync follower orange dashed, offline grey dashed."}</p>
            <table class="strips">
                <thead><tr><th>{"partition"}</th><th>{"log (newest right)"}</th><th class="start" title="log start offset">{"start"}</th><th title="high watermark">{"HW"}</th><th title="log end offset">{"LEO"}</th><th>{"committed (g1)"}</th></tr></thead>
                <tbody>
                { for s.partitions.iter().map(|p| {
                    let name = format!("{}-{}", p.topic, p.partition);
                    let committed = p.committed.iter().map(|(g, o)| format!("{o} ({g})")).collect::<Vec<_>>().join(", ");
                    html! {
                        <tr key={name.clone()}>
                            <th scope="row">{&name}{status(p)}</th>
                            <td>
                                <LogStrip partition={Rc::new(p.clone())} />
                                if p.replica_logs.len() > 1 {
                                    <ul class="replica-logs" aria-label={format!("replicas of {name}")}>
                                        { for p.replica_logs.iter().map(|r| replica_line(p, r)) }
                                    </ul>
                                }
                            </td>
                            <td class="num start">{p.log_start_offset}</td>
                            <td class="num">{p.high_watermark}</td>
                            <td class="num" data-testid={format!("leo-{name}")}>{p.log_end_offset}</td>
                            <td class="num">{ if committed.is_empty() { "–".to_string() } else { committed } }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            <ul class="legend" aria-label="key colours">
                { for props.key_names.iter().enumerate().take(16).map(|(i, k)| html! {
                    <li><span class={classes!("swatch", key_class(i as u32))}></span>{k}</li>
                }) }
            </ul>
        </section>
    }
}

/// The partition's trouble, if any, under its name.
fn status(p: &PartitionView) -> Html {
    if p.offline {
        html! { <span class="badge offline" title="no leader: nobody can produce to it or fetch from it">{"offline"}</span> }
    } else if p.under_replicated {
        html! { <span class="badge under-replicated" title="fewer replicas in sync than assigned">{"under-replicated"}</span> }
    } else {
        html! {}
    }
}

/// One replica's offsets in a line: `b3 ○ follower · LEO 108 · HW 108 · 2 behind`.
pub fn replica_text(p: &PartitionView, r: &ReplicaLogView) -> String {
    let symbol = match (r.role.as_str(), r.in_sync) {
        ("leader", _) => "●",
        ("offline", _) => "✕",
        (_, true) => "○",
        (_, false) => "◌",
    };
    let sync = if r.role == "leader" || r.in_sync { "" } else { ", out of sync" };
    let behind = p.log_end_offset.saturating_sub(r.log_end_offset);
    let behind = if behind > 0 && r.role != "leader" { format!(" · {behind} behind") } else { String::new() };
    format!("b{} {symbol} {}{sync} · LEO {} · HW {}{behind}", r.broker, r.role, r.log_end_offset, r.high_watermark)
}

fn replica_line(p: &PartitionView, r: &ReplicaLogView) -> Html {
    let state = match (r.role.as_str(), r.in_sync) {
        ("leader", _) => "leader",
        ("offline", _) => "offline",
        (_, true) => "in-sync",
        (_, false) => "out-of-sync",
    };
    html! { <li class={classes!("replica-log", state)}>{replica_text(p, r)}</li> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::troubled_cluster;

    #[test]
    fn each_replica_says_how_far_behind_it_is() {
        let p = &troubled_cluster().partitions[0];
        let lines: Vec<String> = p.replica_logs.iter().map(|r| replica_text(p, r)).collect();
        assert_eq!(
            lines,
            [
                "b1 ● leader · LEO 110 · HW 108",
                "b2 ✕ offline, out of sync · LEO 104 · HW 104 · 6 behind",
                "b3 ○ follower · LEO 108 · HW 108 · 2 behind",
            ]
        );
    }
}
