//! The topic's partitions as log strips, with their offsets as text.

use crate::widgets::log_strip::LogStrip;
use crate::widgets::palette::key_class;
use std::rc::Rc;
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
            <p class="hint">{"Each cell is a record, coloured by key; the newest is on the right. Kafka's producer puts a keyed record on partition toPositive(murmur2(key)) % partitions, so a key always lands on the same partition. The red bar is the group's committed offset."}</p>
            <table class="strips">
                <thead><tr><th>{"partition"}</th><th>{"log (newest right)"}</th><th title="log end offset">{"LEO"}</th><th title="high watermark">{"HW"}</th><th>{"committed (g1)"}</th></tr></thead>
                <tbody>
                { for s.partitions.iter().map(|p| {
                    let name = format!("{}-{}", p.topic, p.partition);
                    let committed = p.committed.iter().map(|(g, o)| format!("{o} ({g})")).collect::<Vec<_>>().join(", ");
                    html! {
                        <tr key={name.clone()}>
                            <th scope="row">{&name}</th>
                            <td><LogStrip partition={Rc::new(p.clone())} /></td>
                            <td class="num" data-testid={format!("leo-{name}")}>{p.log_end_offset}</td>
                            <td class="num">{p.high_watermark}</td>
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
