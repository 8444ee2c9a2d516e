//! The event log: the newest trace lines, worded as Kafka's own logs.

use std::rc::Rc;
use streamlab_engine::{SimTime, Snapshot};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
}

#[function_component(EventLog)]
pub fn event_log(props: &Props) -> Html {
    html! {
        <section class="panel" aria-labelledby="events-h">
            <h2 id="events-h">{"Event log"}<span class="sub">{format!(" {} events", props.snapshot.trace_len)}</span></h2>
            <ol class="events" aria-live="polite">
                { for props.snapshot.trace_tail.iter().rev().map(|l| html! {
                    <li><time>{SimTime(l.time_ms).to_string()}</time>{" "}{&l.line}</li>
                }) }
            </ol>
        </section>
    }
}
