//! The Tools view: the two calculators of `streamlab partition` and `streamlab assign`, on the
//! engine's own functions (`calculators`): which partition a key goes to, and who gets which
//! partition from an assignor. Each can be filled from the run; errors show beside the input.

use std::collections::BTreeMap;
use std::rc::Rc;
use streamlab_engine::calculators::{
    assign, attach_instances, parse_instance, parse_member, parse_previous, parse_topic, partition_keys, CalcError,
    KeyPartition,
};
use streamlab_engine::consumer::assignors::Strategy;
use streamlab_engine::Snapshot;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The run, to fill the calculators from.
    pub snapshot: Rc<Snapshot>,
    /// The run's key names, in key order.
    pub key_names: Rc<Vec<String>>,
}

/// The most rows the key table shows.
const MAX_KEY_ROWS: usize = 1000;

/// The assignors the calculator offers, by the names `Strategy::parse` takes.
const STRATEGIES: [Strategy; 4] =
    [Strategy::Range, Strategy::RoundRobin, Strategy::Sticky, Strategy::CooperativeSticky];

/// An error of the calculators in the page's words: they name the CLI's flags, the page names
/// its fields.
fn page_error(e: CalcError) -> String {
    [
        ("--partitions", "partitions"),
        ("--topic", "topics"),
        ("--member", "members"),
        ("--instance", "static members"),
        ("--previous", "previous assignment"),
    ]
    .iter()
    .fold(e.0, |s, (flag, field)| s.replace(flag, field))
}

/// The lines of a text area; a last empty line (a trailing newline) is not a line.
fn lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l).to_string()).collect();
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

/// The entries of a field that takes one per line or several separated by spaces: blanks skipped.
fn entries(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// The partition of each key, or the first error.
pub fn key_table(keys: &str, hex: bool, partitions: &str) -> Result<Vec<KeyPartition>, String> {
    let n: u32 = partitions
        .trim()
        .parse()
        .map_err(|_| format!("partitions: must be a whole number from 1 up, got \"{}\"", partitions.trim()))?;
    partition_keys(&lines(keys), hex, n).map_err(page_error)
}

/// What the assignor gives each member, or the first error.
pub fn assignment(
    strategy: &str,
    topics: &str,
    members: &str,
    instances: &str,
    previous: &str,
) -> Result<BTreeMap<String, Vec<String>>, String> {
    let strategy = Strategy::parse(strategy).ok_or_else(|| format!("strategy: no assignor named \"{strategy}\""))?;
    let topics = entries(topics).into_iter().map(parse_topic).collect::<Result<Vec<_>, _>>().map_err(page_error)?;
    let mut members =
        entries(members).into_iter().map(parse_member).collect::<Result<Vec<_>, _>>().map_err(page_error)?;
    let instances =
        entries(instances).into_iter().map(parse_instance).collect::<Result<Vec<_>, _>>().map_err(page_error)?;
    attach_instances(&mut members, &instances).map_err(page_error)?;
    let previous =
        if previous.trim().is_empty() { BTreeMap::new() } else { parse_previous(previous).map_err(page_error)? };
    if topics.is_empty() {
        return Err("topics: give at least one, as NAME:PARTITIONS".into());
    }
    if members.is_empty() {
        return Err("members: give at least one, as ID=TOPIC,TOPIC".into());
    }
    assign(strategy, &topics, &members, &previous).map_err(page_error)
}

/// The run's topics as `NAME:N`, its first group's live members subscribed to them, their
/// static ids, and their assignment now as previous-assignment JSON.
fn from_run(snapshot: &Snapshot) -> (String, String, String, String) {
    let mut topics: Vec<(String, u32)> = vec![];
    for p in &snapshot.partitions {
        match topics.iter_mut().find(|(t, _)| *t == p.topic) {
            Some((_, n)) => *n = (*n).max(p.partition + 1),
            None => topics.push((p.topic.clone(), p.partition + 1)),
        }
    }
    let names: Vec<&str> = topics.iter().map(|(t, _)| t.as_str()).collect();
    let group = snapshot.groups.first();
    let live: Vec<_> = group
        .map(|g| g.members.iter().filter(|m| m.state != "Crashed" && m.state != "Closed").collect())
        .unwrap_or_default();
    let members = live.iter().map(|m| format!("{}={}", m.client_id, names.join(","))).collect::<Vec<_>>().join("\n");
    let instances = live
        .iter()
        .filter_map(|m| Some(format!("{}={}", m.client_id, m.group_instance_id.as_ref()?)))
        .collect::<Vec<_>>()
        .join("\n");
    let previous: serde_json::Map<String, serde_json::Value> = live
        .iter()
        .map(|m| {
            let owned: Vec<&str> = m.partitions.iter().map(|p| p.partition.as_str()).collect();
            (m.client_id.clone(), serde_json::json!({ "generation": m.generation_id, "partitions": owned }))
        })
        .collect();
    let previous = if previous.is_empty() {
        String::new()
    } else {
        serde_json::to_string_pretty(&serde_json::Value::Object(previous)).unwrap_or_default()
    };
    (topics.iter().map(|(t, n)| format!("{t}:{n}")).collect::<Vec<_>>().join("\n"), members, instances, previous)
}

fn text_of(e: &InputEvent) -> Option<String> {
    e.target_dyn_into::<HtmlTextAreaElement>()
        .map(|t| t.value())
        .or_else(|| e.target_dyn_into::<HtmlInputElement>().map(|i| i.value()))
}

/// A callback that keeps a text field's value in `state`.
fn keep(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |e: InputEvent| {
        if let Some(v) = text_of(&e) {
            state.set(v);
        }
    })
}

#[function_component(ToolsPanel)]
pub fn tools_panel(props: &Props) -> Html {
    html! {
        <>
            <KeyCalculator snapshot={props.snapshot.clone()} key_names={props.key_names.clone()} />
            <AssignCalculator snapshot={props.snapshot.clone()} />
        </>
    }
}

#[function_component(KeyCalculator)]
fn key_calculator(props: &Props) -> Html {
    let first_topic_partitions = props
        .snapshot
        .partitions
        .iter()
        .filter(|p| Some(&p.topic) == props.snapshot.partitions.first().map(|f| &f.topic))
        .count();
    let partitions = use_state(|| first_topic_partitions.max(1).to_string());
    let keys = use_state(|| "sensor-1\nsensor-2\nsensor-3\norder-42".to_string());
    let hex = use_state(|| false);
    let result = use_memo(((*keys).clone(), *hex, (*partitions).clone()), |(k, h, p)| key_table(k, *h, p));
    let on_hex = {
        let hex = hex.clone();
        Callback::from(move |e: Event| {
            if let Some(c) = e.target_dyn_into::<HtmlInputElement>() {
                hex.set(c.checked());
            }
        })
    };
    let fill = {
        let (keys, partitions, hex) = (keys.clone(), partitions.clone(), hex.clone());
        let (names, n) = (props.key_names.clone(), first_topic_partitions);
        Callback::from(move |_| {
            keys.set(names.join("\n"));
            partitions.set(n.max(1).to_string());
            hex.set(false);
        })
    };
    html! {
        <section class="panel tool" aria-labelledby="tool-keys-h">
            <h2 id="tool-keys-h">{"Which partition does this key go to?"}</h2>
            <p class="hint">{"As Kafka's producer computes it for a record with a key (BuiltInPartitioner.partitionForKey): "}
                <code>{"toPositive(murmur2(key bytes)) % partitions"}</code>{". A record without a key is not hashed: the sticky partitioner fills one partition's batch, then moves on (KIP-794)."}</p>
            <div class="tool-inputs">
                <label>{"partitions "}<input type="number" min="1" value={(*partitions).clone()} oninput={keep(&partitions)} data-testid="calc-partitions" /></label>
                <label><input type="checkbox" checked={*hex} onchange={on_hex} data-testid="calc-hex" />{" keys are hex bytes"}</label>
                <button onclick={fill} data-testid="calc-keys-fill" title="this run's keys and its topic's partition count">{"Use this run's keys"}</button>
                <label class="wide">{"keys, one per line"}
                    <textarea rows="5" value={(*keys).clone()} oninput={keep(&keys)} data-testid="calc-keys" spellcheck="false" /></label>
            </div>
            { match &*result {
                Err(e) => html! { <p class="error" role="alert" data-testid="calc-keys-error">{e}</p> },
                Ok(rows) => html! { <>
                    <table class="calc-keys" data-testid="calc-keys-result">
                        <thead><tr><th>{"key"}</th><th class="num">{"murmur2 (signed 32-bit)"}</th><th class="num">{"partition"}</th></tr></thead>
                        <tbody>
                        { for rows.iter().take(MAX_KEY_ROWS).map(|r| html! {
                            <tr>
                                <td><code>{ if r.key.is_empty() { "(empty key)".to_string() } else { r.key.clone() } }</code></td>
                                <td class="num">{r.murmur2}</td>
                                <td class="num partition">{r.partition}</td>
                            </tr>
                        }) }
                        </tbody>
                    </table>
                    if rows.len() > MAX_KEY_ROWS {
                        <p class="hint">{format!("The first {MAX_KEY_ROWS} of {} keys.", rows.len())}</p>
                    }
                    </>
                },
            } }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct AssignProps {
    snapshot: Rc<Snapshot>,
}

#[function_component(AssignCalculator)]
fn assign_calculator(props: &AssignProps) -> Html {
    let strategy = use_state(|| "range".to_string());
    let topics = use_state(|| "orders:6".to_string());
    let members =
        use_state(|| "consumer-1=orders\nconsumer-2=orders\nconsumer-3=orders\nconsumer-4=orders".to_string());
    let instances = use_state(String::new);
    let previous = use_state(String::new);
    let result = use_memo(
        ((*strategy).clone(), (*topics).clone(), (*members).clone(), (*instances).clone(), (*previous).clone()),
        |(s, t, m, i, p)| assignment(s, t, m, i, p),
    );
    let on_strategy = {
        let strategy = strategy.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
                strategy.set(s.value());
            }
        })
    };
    let fill = {
        let (topics, members, instances, previous) =
            (topics.clone(), members.clone(), instances.clone(), previous.clone());
        let snapshot = props.snapshot.clone();
        Callback::from(move |_| {
            let (t, m, i, p) = from_run(&snapshot);
            topics.set(t);
            members.set(m);
            instances.set(i);
            previous.set(p);
        })
    };
    html! {
        <section class="panel tool" aria-labelledby="tool-assign-h">
            <h2 id="tool-assign-h">{"Who gets which partition?"}</h2>
            <p class="hint">{"One call of the group leader's assignor, as at a rebalance: the members' subscriptions (and, for the sticky assignors, what each owned before) in, each member's partitions out. The sticky assignors keep partitions where they were; cooperative-sticky leaves out those that must first be revoked elsewhere (a second round assigns them)."}</p>
            <div class="tool-inputs">
                <label>{"strategy "}
                    <select onchange={on_strategy} data-testid="calc-strategy">
                        { for STRATEGIES.iter().map(|s| html! {
                            <option value={s.name()} selected={*strategy == s.name()} title={s.class_name()}>{s.name()}</option>
                        }) }
                    </select>
                </label>
                <button onclick={fill} data-testid="calc-assign-fill" title="this run's topics, its group's members, their static ids and their partitions now as the previous assignment">{"Fill from this run"}</button>
                <label class="wide">{"topics, NAME:PARTITIONS"}
                    <textarea rows="2" value={(*topics).clone()} oninput={keep(&topics)} data-testid="calc-topics" spellcheck="false" /></label>
                <label class="wide">{"members, ID=TOPIC,TOPIC (one per line)"}
                    <textarea rows="4" value={(*members).clone()} oninput={keep(&members)} data-testid="calc-members" spellcheck="false" /></label>
                <label class="wide">{"static members, ID=GROUP_INSTANCE_ID (optional)"}
                    <textarea rows="2" value={(*instances).clone()} oninput={keep(&instances)} data-testid="calc-instances" spellcheck="false" /></label>
                <label class="wide">{"previous assignment, JSON (optional): {\"ID\": [\"topic-0\", …]} or {\"ID\": {\"generation\": G, \"partitions\": […]}}"}
                    <textarea rows="3" value={(*previous).clone()} oninput={keep(&previous)} data-testid="calc-previous" spellcheck="false" /></label>
            </div>
            { match &*result {
                Err(e) => html! { <p class="error" role="alert" data-testid="calc-assign-error">{e}</p> },
                Ok(out) => html! {
                    <table class="calc-assign" data-testid="calc-assign-result">
                        <thead><tr><th>{"member"}</th><th class="num">{"count"}</th><th>{"partitions"}</th></tr></thead>
                        <tbody>
                        { for out.iter().map(|(m, ps)| html! {
                            <tr data-testid={format!("calc-assigned-{m}")}>
                                <th scope="row">{m}</th>
                                <td class="num">{ps.len()}</td>
                                <td>{ if ps.is_empty() { "none".to_string() } else { ps.join(", ") } }</td>
                            </tr>
                        }) }
                        </tbody>
                    </table>
                },
            } }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lines_and_errors_name_the_fields() {
        let rows = key_table("a\n\nb\n", false, "3").unwrap();
        assert_eq!(rows.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["a", "", "b"]);
        assert_eq!(key_table("a", false, "x").unwrap_err(), "partitions: must be a whole number from 1 up, got \"x\"");
        assert!(key_table("a", false, "0").unwrap_err().starts_with("partitions: must be between 1"));
        assert!(key_table("abc", true, "3").unwrap_err().contains("even number"));
    }

    #[test]
    fn assignment_parses_the_fields_and_calls_the_assignor() {
        let out = assignment("range", "t:4", "a=t\nb=t", "", "").unwrap();
        assert_eq!(out["a"], ["t-0", "t-1"]);
        assert_eq!(out["b"], ["t-2", "t-3"]);
        let class = "org.apache.kafka.clients.consumer.RangeAssignor";
        assert_eq!(assignment(class, "t:4", "a=t b=t", "", "").unwrap(), out);
        assert!(assignment("range", "t", "a=t", "", "").unwrap_err().starts_with("topics: expected NAME:PARTITIONS"));
        assert!(assignment("range", "t:4", "a=u", "", "").unwrap_err().starts_with("members a: topic \"u\""));
        assert!(assignment("range", "t:4", "a=t", "b=x", "").unwrap_err().contains("no members b"));
        assert!(assignment("range", "t:4", "a=t", "", "{").unwrap_err().starts_with("previous assignment: not JSON"));
        assert_eq!(assignment("magic", "t:4", "a=t", "", "").unwrap_err(), "strategy: no assignor named \"magic\"");
        assert!(assignment("range", "", "a=t", "", "").unwrap_err().starts_with("topics: give at least one"));
    }
}
