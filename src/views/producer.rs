//! The producers' counters.

use std::rc::Rc;
use streamlab_engine::Snapshot;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
}

#[function_component(ProducerPanel)]
pub fn producer_panel(props: &Props) -> Html {
    html! {
        <section class="panel" aria-labelledby="producers-h">
            <h2 id="producers-h">{"Producers"}</h2>
            <table>
                <thead><tr><th>{"client"}</th><th>{"sent"}</th><th>{"acknowledged"}</th><th>{"batches"}</th><th>{"in flight"}</th></tr></thead>
                <tbody>
                { for props.snapshot.producers.iter().map(|p| html! {
                    <tr>
                        <th scope="row">{&p.client_id}</th>
                        <td class="num" data-testid="produced">{p.records_sent}</td>
                        <td class="num">{p.records_acked}</td>
                        <td class="num">{p.batches_sent}</td>
                        <td class="num">{p.requests_in_flight}</td>
                    </tr>
                }) }
                </tbody>
            </table>
            <p class="hint">{"acks=all, linger.ms=5, batch.size=16384 (Kafka 4 defaults)."}</p>
        </section>
    }
}
