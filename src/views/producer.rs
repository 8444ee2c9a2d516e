//! The producers: counters, the idempotence state (producer id, epoch, sequences), each
//! partition's queue in the record accumulator (the open batch filling against `batch.size`
//! with its `linger.ms` timer, a batch waiting out its retry backoff), the requests in flight per
//! broker, faults on the produce path, and every producer config with its Kafka name, default
//! and meaning, editable (a new run), with a warning where a combination is unsafe.

use crate::app::Action;
use std::collections::BTreeMap;
use std::rc::Rc;
use streamlab_engine::config::PRODUCER_CONFIGS;
use streamlab_engine::exercise::ActionKind;
use streamlab_engine::session::Setup;
use streamlab_engine::snapshot::ProducerView;
use streamlab_engine::{Command, Snapshot};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
    pub setup: Rc<Setup>,
    pub on_action: Callback<Action>,
    /// The actions an exercise allows; `None` (the playground): all, and the config editor.
    #[prop_or_default]
    pub allowed: Option<Rc<Vec<ActionKind>>>,
}

/// What is unsafe about a producer's configs, in words (empty: nothing).
pub fn warnings(configs: &BTreeMap<String, String>) -> Vec<&'static str> {
    let get = |k: &str| configs.get(k).map(String::as_str).unwrap_or("");
    let num = |k: &str| get(k).parse::<u64>().unwrap_or(0);
    let mut out = vec![];
    match get("acks") {
        "0" => out.push("acks=0: nothing is acknowledged, so a lost request loses its records without an error."),
        "1" => out.push("acks=1: the leader answers before its followers copy the batch; if it fails then, acknowledged records are lost."),
        _ => {}
    }
    if get("enable.idempotence") == "false" && num("retries") > 0 {
        out.push("enable.idempotence=false with retries: a lost response makes the retry append the batch twice (duplicates).");
        if num("max.in.flight.requests.per.connection") > 1 {
            out.push("enable.idempotence=false with more than one request in flight: a retried batch can land after a later one (reordering).");
        }
    }
    if num("retries") == 0 {
        out.push("retries=0: any transient error (a leader change, a timeout) fails the send.");
    }
    if num("delivery.timeout.ms") < num("linger.ms") + num("request.timeout.ms") {
        out.push("delivery.timeout.ms is below linger.ms + request.timeout.ms: Kafka refuses it when set explicitly.");
    }
    out
}

/// `3.2 KB`: bytes in a short form.
fn bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

fn link_fault(drop_rate: f64, count: Option<u32>) -> Command {
    Command::LinkFault {
        from: "brokers".into(),
        to: "producers".into(),
        message: Some("ProduceResponse".into()),
        drop_rate,
        duplicate_rate: 0.0,
        delay_ms: 0,
        count,
    }
}

#[function_component(ProducerPanel)]
pub fn producer_panel(props: &Props) -> Html {
    let editing = props.allowed.is_none();
    let can_fault = props.allowed.as_ref().is_none_or(|a| a.contains(&ActionKind::LinkFault));
    let send = |command: Command| {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::Command(command.clone())))
    };
    html! {
        <section class="panel producer" aria-labelledby="producers-h">
            <h2 id="producers-h">{"Producers"}</h2>
            { for props.snapshot.producers.iter().map(producer) }
            if can_fault {
                <div class="actions" role="group" aria-label="Faults on the produce path">
                    <button onclick={send(link_fault(1.0, Some(1)))} data-testid="drop-next-response"
                        title="A link fault drops the next ProduceResponse a broker sends: the producer waits request.timeout.ms, closes the connection and retries">
                        {"Drop next produce response"}</button>
                    <button onclick={send(link_fault(0.05, None))} data-testid="drop-responses"
                        title="Drop 5% of the ProduceResponses brokers send, from now on">{"Drop 5% of responses"}</button>
                    <button onclick={send(streamlab_engine::command::drop_produce_requests(0.1))} data-testid="drop-requests"
                        title="Drop 10% of the ProduceRequests producers send, from now on: they are retried, and without idempotence a retried batch can land behind a later one (records reordered)">{"Drop 10% of requests"}</button>
                    <button onclick={
                        let cb = props.on_action.clone();
                        Callback::from(move |_: MouseEvent| {
                            cb.emit(Action::Command(link_fault(0.0, None)));
                            cb.emit(Action::Command(streamlab_engine::command::drop_produce_requests(0.0)));
                        })
                    } data-testid="heal-responses">{"Stop dropping"}</button>
                </div>
            }
            if editing {
                <ConfigEditor snapshot={props.snapshot.clone()} setup={props.setup.clone()} on_action={props.on_action.clone()} />
            }
        </section>
    }
}

fn producer(p: &ProducerView) -> Html {
    let configs: BTreeMap<String, String> = p.configs.iter().cloned().collect();
    let batch_size: u64 = configs.get("batch.size").and_then(|v| v.parse().ok()).unwrap_or(16_384);
    let max_in_flight = configs.get("max.in.flight.requests.per.connection").cloned().unwrap_or_default();
    let idempotence = match (p.idempotent, p.producer_id) {
        (true, Some((id, epoch))) => format!("idempotent: producer id {id}, epoch {epoch}"),
        (true, None) => "idempotent: waiting for a producer id (InitProducerId)".to_string(),
        (false, _) => "not idempotent (enable.idempotence=false): a retry may duplicate or reorder".to_string(),
    };
    let in_flight = if p.in_flight.is_empty() {
        "none".to_string()
    } else {
        p.in_flight.iter().map(|(b, n)| format!("broker-{b}: {n} of {max_in_flight}")).collect::<Vec<_>>().join(", ")
    };
    html! {
        <div class="producer-card" data-testid={format!("producer-{}", p.client_id)}>
            <h3>{format!("{} → {}", p.client_id, p.topic)}</h3>
            <p data-testid="idempotence">{idempotence}</p>
            if let Some(t) = &p.transaction {
                <p class="transaction" data-testid="transaction">
                    {format!(
                        "transactional.id {}: {} · {} committed, {} aborted · open transaction: {} record(s) to partitions [{}]",
                        t.transactional_id,
                        t.state,
                        t.committed,
                        t.aborted,
                        t.records_in_transaction,
                        t.partitions.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
                    )}
                </p>
            }
            <table>
                <thead><tr><th>{"sent"}</th><th>{"acknowledged"}</th><th>{"failed"}</th><th>{"retries"}</th><th>{"batches"}</th><th>{"buffer.memory used"}</th></tr></thead>
                <tbody><tr>
                    <td class="num" data-testid="produced">{p.records_sent}</td>
                    <td class="num">{p.records_acked}</td>
                    <td class="num" data-testid="failed">{p.records_failed}</td>
                    <td class="num" data-testid="retries">{p.retries}</td>
                    <td class="num">{p.batches_sent}</td>
                    <td class="num">{format!("{} of {}", bytes(p.buffered_bytes), bytes(p.buffer_memory_bytes))}</td>
                </tr></tbody>
            </table>
            <p>{"Requests in flight: "}{in_flight}</p>
            if let Some(ratio) = p.compression_ratio {
                <p data-testid="compression">{format!(
                    "compression.type={}: the last batch compressed to {:.0}% of its size{}",
                    configs.get("compression.type").cloned().unwrap_or_default(),
                    ratio * 100.0,
                    p.compression_estimated.map_or(String::new(), |why| format!(" (estimated: {why})"))
                )}</p>
            }
            <table class="queues">
                <caption>{"Record accumulator, per partition"}</caption>
                <thead><tr>
                    <th scope="col">{"partition"}</th><th scope="col">{"batches waiting"}</th><th scope="col">{"records"}</th>
                    <th scope="col">{"open batch (of batch.size)"}</th><th scope="col">{"linger.ms left"}</th>
                    <th scope="col">{"retry backoff left"}</th>
                    if p.idempotent { <th scope="col">{"next sequence"}</th><th scope="col">{"sequences in flight"}</th> }
                </tr></thead>
                <tbody>
                { for p.partitions.iter().map(|q| {
                    let fill = q.open_batch_bytes.map(|b| (b as f64 / batch_size as f64).min(1.0));
                    html! {
                        <tr>
                            <th scope="row">{format!("{}-{}", p.topic, q.partition)}</th>
                            <td class="num">{q.batches}</td>
                            <td class="num">{q.records}</td>
                            <td>
                                if let (Some(b), Some(f)) = (q.open_batch_bytes, fill) {
                                    <meter min="0" max="1" value={f.to_string()} aria-label="batch fill"></meter>
                                    {format!(" {} ({:.0}%)", bytes(b), f * 100.0)}
                                } else { {"—"} }
                            </td>
                            <td class="num">{q.linger_left_ms.map_or("—".to_string(), |ms| format!("{ms} ms"))}</td>
                            <td class="num" data-testid="retry-backoff">{q.retry_in_ms.map_or("—".to_string(), |ms| format!("{ms} ms (send {})", q.attempts + 1))}</td>
                            if p.idempotent {
                                <td class="num">{q.next_sequence.map_or("—".to_string(), |s| s.to_string())}</td>
                                <td>{q.sequences_in_flight.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")}</td>
                            }
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            { for warnings(&configs).into_iter().map(|w| html! { <p class="warning" role="note">{"⚠ "}{w}</p> }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct EditorProps {
    snapshot: Rc<Snapshot>,
    setup: Rc<Setup>,
    on_action: Callback<Action>,
}

/// Every producer config: its Kafka name, the value in effect (editable), its default, unit and
/// meaning. "Apply" starts a new run with the changed ones as `producer.<key>` settings.
#[function_component(ConfigEditor)]
fn config_editor(props: &EditorProps) -> Html {
    let current: BTreeMap<String, String> =
        props.snapshot.producers.first().map(|p| p.configs.iter().cloned().collect()).unwrap_or_default();
    let edits = use_state(BTreeMap::<String, String>::new);
    let mut shown = current.clone();
    shown.extend(edits.iter().map(|(k, v)| (k.clone(), v.clone())));
    let apply = {
        let (edits, setup, cb) = (edits.clone(), props.setup.clone(), props.on_action.clone());
        Callback::from(move |_: MouseEvent| {
            let mut setup = (*setup).clone();
            for (k, v) in edits.iter() {
                // Numbers and booleans as JSON values; the scenario's validation names a bad one.
                let value = serde_json::from_str::<serde_json::Value>(v)
                    .ok()
                    .filter(|j| j.is_number() || j.is_boolean())
                    .unwrap_or_else(|| serde_json::Value::from(v.as_str()));
                setup.settings.insert(format!("producer.{k}"), value);
            }
            edits.set(BTreeMap::new());
            cb.emit(Action::Restart(setup));
        })
    };
    html! {
        <details class="producer-configs">
            <summary>{"Producer configs"}</summary>
            <table>
                <thead><tr><th scope="col">{"config and meaning"}</th><th scope="col">{"value"}</th><th scope="col">{"default"}</th></tr></thead>
                <tbody>
                { for PRODUCER_CONFIGS.iter().filter(|d| d.name != "client.id").map(|d| {
                    let name = d.name.to_string();
                    let oninput = {
                        let (edits, name) = (edits.clone(), name.clone());
                        Callback::from(move |e: InputEvent| {
                            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else { return };
                            let mut next = (*edits).clone();
                            next.insert(name.clone(), input.value());
                            edits.set(next);
                        })
                    };
                    let changed = edits.contains_key(d.name);
                    html! {
                        <tr class={classes!(changed.then_some("changed"))}>
                            <th scope="row"><code>{d.name}</code><span class="doc">{d.doc}</span></th>
                            <td><input type="text" size="10" aria-label={d.name} data-testid={format!("config-{}", d.name)}
                                value={shown.get(d.name).cloned().unwrap_or_default()} {oninput} /></td>
                            <td><code>{d.default}</code>{if d.unit.is_empty() { String::new() } else { format!(" {}", d.unit) }}</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            { for warnings(&shown).into_iter().map(|w| html! { <p class="warning" role="note">{"⚠ "}{w}</p> }) }
            <button onclick={apply} disabled={edits.is_empty()} data-testid="apply-producer-configs">{"Apply and restart"}</button>
        </details>
    }
}
