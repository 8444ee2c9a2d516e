//! An exercise beside the live playground: its story and instructions, the controls it allows
//! (generated from `allowed`: a number field per range, a menu per list of values, a button per
//! action), the goal's predicates as a checklist, Check, hints one at a time, and the explanation
//! once the goal is met. Exercise text is Markdown rendered by `markdown` (raw HTML shown as
//! text) or plain text; nothing of the file is ever inserted as HTML.

use crate::app::Action;
use crate::markdown;
use crate::progress::State;
use crate::widgets::duration;
use serde_json::Value;
use std::collections::BTreeMap;
use std::rc::Rc;
use streamlab_engine::config::{
    ConfigDef, ConfigKind, BROKER_CONFIGS, CONSUMER_CONFIGS, PRODUCER_CONFIGS, TOPIC_CONFIGS,
};
use streamlab_engine::exercise::{ActionKind, Allowance, Evaluation, Exercise};
use streamlab_engine::scenario::{OnFailure, WorkloadSpec};
use streamlab_engine::session::{Settings, Setup};
use streamlab_engine::{Command, Scenario, SimTime};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// What a Check found: the goal at the time it was pressed.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub at_ms: u64,
    pub evaluation: Rc<Evaluation>,
}

/// What the exercise panel shows; it changes nothing itself, it sends [`Action`]s.
#[derive(Properties, PartialEq)]
pub struct Props {
    pub exercise: Rc<Exercise>,
    /// The setup being run: the exercise's start with the learner's settings.
    pub setup: Rc<Setup>,
    /// Its scenario, for the values the controls start from.
    pub scenario: Rc<Scenario>,
    /// The goal on the run as the views show it.
    pub evaluation: Rc<Evaluation>,
    /// The last Check, if any since the run started.
    pub checked: Option<CheckResult>,
    /// The first group's id and its live consumers' client ids, for the action buttons.
    pub group_id: AttrValue,
    pub members: Rc<Vec<String>>,
    /// The learner's state before this visit's changes.
    pub progress: State,
    pub on_action: Callback<Action>,
}

/// A config key's default from its table, as JSON.
fn config_default(defs: &[ConfigDef], key: &str) -> Option<Value> {
    let def = defs.iter().find(|d| d.name == key)?;
    Some(match def.kind {
        ConfigKind::Int { .. } => def.default.parse::<i64>().ok()?.into(),
        ConfigKind::Float { .. } => def.default.parse::<f64>().ok()?.into(),
        ConfigKind::Bool => (def.default == "true").into(),
        ConfigKind::Choice(_) | ConfigKind::Text | ConfigKind::List(_) => def.default.into(),
    })
}

/// The value setting `name` has in `scenario` (set, or the default), as the controls show it;
/// `None` when the scenario has nothing it applies to.
pub fn setting_value(scenario: &Scenario, name: &str) -> Option<Value> {
    let group = scenario.consumer_groups.first();
    let scoped = |prefix: &str, defs: &[ConfigDef], map: Option<&BTreeMap<String, Value>>| {
        let key = name.strip_prefix(prefix)?;
        map.and_then(|m| m.get(key).cloned()).or_else(|| config_default(defs, key))
    };
    Some(match name {
        "seed" => scenario.seed.into(),
        "run_ms" => scenario.run_ms.into(),
        "brokers" => scenario.brokers.into(),
        "partitions" => scenario.topics.first()?.partitions.into(),
        "replication_factor" => scenario.topics.first()?.replication_factor.into(),
        "network.mean_ms" => scenario.network.mean_ms.into(),
        "consumers" => group?.members.into(),
        "commit_mode" => group?.commit_mode.name().into(),
        "processing_ms_per_record" => group?.processing_ms_per_record.into(),
        "window.type" => group?.windows?.kind.name().into(),
        "window.size_ms" => group?.windows?.length_ms().into(),
        "window.advance_ms" => group?.windows?.advance_ms?.into(),
        "window.emit" => group?.windows?.emit.name().into(),
        "window.idle_timeout_ms" => group?.windows?.idle_timeout_ms.unwrap_or(0).into(),
        "window.grace_ms" => group?.windows?.grace_ms.into(),
        "errors.poison_every" => group?.errors?.poison_every.into(),
        "errors.on_failure" => match group?.errors?.on_failure {
            OnFailure::DeadLetter => "dead_letter".into(),
            OnFailure::Fail => "fail".into(),
        },
        "errors.max_attempts" => group?.errors?.max_attempts.into(),
        "errors.retry_initial_ms" => group?.errors?.retry_initial_ms.into(),
        "errors.retry_multiplier" => group?.errors?.retry_multiplier.into(),
        "errors.retry_max_ms" => group?.errors?.retry_max_ms.into(),
        "workload.rate_per_s" | "workload.devices" | "workload.interval_ms" => {
            match (&scenario.producers.first()?.workload, name) {
                (WorkloadSpec::Taxi { rate_per_s } | WorkloadSpec::Bids { rate_per_s }, "workload.rate_per_s") => {
                    (*rate_per_s).into()
                }
                (WorkloadSpec::Iot { devices, .. }, "workload.devices") => (*devices).into(),
                (WorkloadSpec::Iot { interval_ms, .. }, "workload.interval_ms") => (*interval_ms).into(),
                _ => return None,
            }
        }
        _ => scoped("broker.", BROKER_CONFIGS, Some(&scenario.broker_configs))
            .or_else(|| scoped("topic.", TOPIC_CONFIGS, scenario.topics.first().map(|t| &t.configs)))
            .or_else(|| scoped("producer.", PRODUCER_CONFIGS, scenario.producers.first().map(|p| &p.configs)))
            .or_else(|| scoped("consumer.", CONSUMER_CONFIGS, group.map(|g| &g.configs)))?,
    })
}

/// A setting's value as a control shows it: strings without their quotes, and durations of
/// settings in ms also in the largest whole unit (`900000 ms (15 min)`).
fn shown(name: &str, v: &Value) -> String {
    let in_ms = name.ends_with("_ms") || name.ends_with(".ms");
    match (v, v.as_u64()) {
        // Assignor lists by class name read as the class names alone: the package is the same.
        (Value::String(s), _) if name.ends_with("partition.assignment.strategy") => {
            s.split(',').map(|c| c.trim().rsplit('.').next().unwrap_or(c)).collect::<Vec<_>>().join(", ")
        }
        (Value::String(s), _) => s.clone(),
        (_, Some(ms)) if in_ms && ms >= 1000 => format!("{ms} ms ({})", duration(ms)),
        (_, Some(ms)) if in_ms => format!("{ms} ms"),
        (other, _) => other.to_string(),
    }
}

/// Reads one control's draft as the allowance's value: a whole number in the range, or the
/// index of a listed value. The error names the setting.
pub fn read_draft(name: &str, allowance: &Allowance, draft: &str) -> Result<Value, String> {
    let draft = draft.trim();
    if let Some(values) = &allowance.values {
        return draft
            .parse::<usize>()
            .ok()
            .and_then(|i| values.get(i).cloned())
            .ok_or_else(|| format!("{name}: choose one of {}", allowance.describe()));
    }
    let value = draft.parse::<u64>().map(Value::from).map_err(|_| {
        format!(
            "{name}: must be a whole number, {}, got \"{}\"",
            allowance.describe(),
            draft.chars().take(40).collect::<String>()
        )
    })?;
    if allowance.admits(&value) {
        Ok(value)
    } else {
        Err(format!("{name}: must be {}, got {value}", allowance.describe()))
    }
}

fn fmt_value(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        Some(v) => format!("{v:.3}"),
    }
}

/// The exercise beside the playground (see the module's docs).
#[function_component(ExercisePanel)]
pub fn exercise_panel(props: &Props) -> Html {
    let ex = &props.exercise;
    // What the learner typed, not applied yet: read by the submit handler, which may run before
    // a re-render (a field's change event fires on the click that submits).
    let drafts = use_mut_ref(BTreeMap::<String, String>::new);
    let redraw = use_force_update();
    let form_error = use_state(|| None::<String>);
    let hints_shown = use_state(|| 0usize);
    let chosen_member = use_state(String::new);

    let submit = {
        let (drafts, form_error, on_action) = (drafts.clone(), form_error.clone(), props.on_action.clone());
        let (exercise, setup) = (props.exercise.clone(), props.setup.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut settings: Settings = setup.settings.clone();
            for (name, draft) in drafts.borrow().iter() {
                let Some(allowance) = exercise.allowed.settings.get(name) else { continue };
                match read_draft(name, allowance, draft) {
                    Ok(v) => {
                        settings.insert(name.clone(), v);
                    }
                    Err(message) => return form_error.set(Some(message)),
                }
            }
            form_error.set(None);
            drafts.borrow_mut().clear();
            on_action.emit(Action::Restart(Setup { settings, ..exercise.start.clone() }));
        })
    };
    let controls = ex.allowed.settings.iter().map(|(name, allowance)| {
        let label = allowance.label.clone().unwrap_or_else(|| name.clone());
        let current = props.setup.settings.get(name).cloned().or_else(|| setting_value(&props.scenario, name));
        let id = format!("setting-{}", name.replace('.', "-"));
        let set_draft = {
            let (drafts, name, redraw) = (drafts.clone(), name.clone(), redraw.clone());
            move |value: String| {
                drafts.borrow_mut().insert(name.clone(), value);
                redraw.force_update();
            }
        };
        let control = match (&allowance.values, allowance.min, allowance.max) {
            (Some(values), _, _) => {
                let draft = drafts.borrow().get(name).and_then(|d| d.parse::<usize>().ok());
                let onchange = Callback::from(move |e: Event| {
                    if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
                        set_draft(s.value());
                    }
                });
                let at = draft.or_else(|| values.iter().position(|v| Some(v) == current.as_ref()));
                html! {
                    <select id={id.clone()} data-testid={id.clone()} {onchange}>
                        if at.is_none() {
                            <option value="" selected=true>{format!("as it starts ({})", current.as_ref().map(|v| shown(name, v)).unwrap_or_else(|| "default".into()))}</option>
                        }
                        { for values.iter().enumerate().map(|(i, v)| html! {
                            <option value={i.to_string()} selected={at == Some(i)}>{shown(name, v)}</option>
                        }) }
                    </select>
                }
            }
            (None, min, max) => {
                // A number may come as a string, as in a properties file.
                let now = current.as_ref().and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()));
                let value =
                    drafts.borrow().get(name).cloned().or_else(|| now.map(|n| n.to_string())).unwrap_or_default();
                let oninput = Callback::from(move |e: InputEvent| {
                    if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                        set_draft(i.value());
                    }
                });
                html! {
                    <input id={id.clone()} data-testid={id.clone()} type="number" inputmode="numeric"
                        min={min.map(|m| m.to_string())} max={max.map(|m| m.to_string())} {value} {oninput} />
                }
            }
        };
        html! {
            <div class="setting">
                <label for={id.clone()}>{label}</label>
                {control}
                if allowance.values.is_none() {
                    <span class="range">{allowance.describe()}</span>
                }
            </div>
        }
    });

    let actions = {
        let member = if props.members.contains(&*chosen_member) {
            (*chosen_member).clone()
        } else {
            props.members.first().cloned().unwrap_or_default()
        };
        let choose = {
            let chosen = chosen_member.clone();
            Callback::from(move |e: Event| {
                if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
                    chosen.set(s.value());
                }
            })
        };
        let button = |kind: ActionKind| {
            let (cb, member, group_id) = (props.on_action.clone(), member.clone(), props.group_id.to_string());
            let (label, class, command) = match kind {
                ActionKind::CrashConsumer => ("Crash", "danger", Command::CrashConsumer { client_id: member.clone() }),
                ActionKind::CloseConsumer => {
                    ("Leave (close)", "", Command::CloseConsumer { client_id: member.clone() })
                }
                ActionKind::AddConsumer => ("Add consumer", "", Command::AddConsumer { group_id }),
                // Broker and network actions are the cluster view's buttons.
                _ => return Html::default(),
            };
            let needs_member = kind != ActionKind::AddConsumer;
            let onclick = Callback::from(move |_| cb.emit(Action::Command(command.clone())));
            html! {
                <button class={class} {onclick} disabled={needs_member && member.is_empty()}
                    data-testid={format!("action-{}", kind.name())}>{label}</button>
            }
        };
        let on_member =
            ex.allowed.actions.iter().any(|a| matches!(a, ActionKind::CrashConsumer | ActionKind::CloseConsumer));
        html! {
            <div class="actions-row">
                if on_member {
                    <label>{"consumer "}
                        <select onchange={choose} data-testid="action-member" disabled={props.members.is_empty()}>
                            { for props.members.iter().map(|m| html! { <option value={m.clone()} selected={*m == member}>{m}</option> }) }
                        </select>
                    </label>
                }
                { for ex.allowed.actions.iter().map(|k| button(*k)) }
            </div>
        }
    };

    let check = {
        let cb = props.on_action.clone();
        Callback::from(move |_| cb.emit(Action::Check))
    };
    let show_hint = {
        let hints_shown = hints_shown.clone();
        Callback::from(move |_| hints_shown.set(*hints_shown + 1))
    };
    let evaluation = &props.evaluation;
    let met_count = evaluation.predicates.iter().filter(|p| p.met).count();
    let solved_before = props.progress == State::Solved;
    html! {
        <aside class="exercise" aria-labelledby="exercise-title">
            <section class="story">
                <h2>{"Story"}</h2>
                <div class="md" data-testid="exercise-story">{markdown::render(&ex.story)}</div>
                <h2>{"What to do"}</h2>
                <div class="md" data-testid="exercise-instructions">{markdown::render(&ex.instructions)}</div>
            </section>
            if !ex.allowed.settings.is_empty() {
                // The page checks the values itself, to name the setting and its range in words.
                <form class="exercise-settings" onsubmit={submit} novalidate=true aria-labelledby="exercise-settings-h">
                    <h2 id="exercise-settings-h">{"Settings you may change"}</h2>
                    { for controls }
                    <button type="submit" data-testid="exercise-apply">{"Apply and restart"}</button>
                    if let Some(e) = &*form_error {
                        <p class="error" role="alert">{e}</p>
                    }
                </form>
            }
            if !ex.allowed.actions.is_empty() {
                <section aria-labelledby="exercise-actions-h">
                    <h2 id="exercise-actions-h">{"Actions you may take"}</h2>
                    {actions}
                </section>
            }
            <section class="goal" aria-labelledby="goal-h">
                <h2 id="goal-h">{"Goal "}<span class="sub">{format!("{met_count} of {} hold now", evaluation.predicates.len())}</span></h2>
                <ul class="checklist" data-testid="goal-checklist">
                    { for evaluation.predicates.iter().map(|p| html! {
                        <li class={if p.met { "met" } else { "unmet" }}>
                            <span class="mark" aria-hidden="true">{ if p.met { "✓" } else { "✗" } }</span>
                            <span class="label">{&p.label}</span>
                            <span class="value">{format!(" (now {})", fmt_value(p.value))}</span>
                            <span class="visually-hidden">{ if p.met { ", met" } else { ", not met" } }</span>
                        </li>
                    }) }
                </ul>
                <p class="check-row">
                    <button class="primary" onclick={check} data-testid="exercise-check">{"Check"}</button>
                    <span role="status" data-testid="check-result">
                        { match &props.checked {
                            Some(c) if c.evaluation.met => format!("Checked at t = {}: the goal is met.", SimTime(c.at_ms)),
                            Some(c) => format!(
                                "Checked at t = {}: not yet, {} of {} hold.",
                                SimTime(c.at_ms),
                                c.evaluation.predicates.iter().filter(|p| p.met).count(),
                                c.evaluation.predicates.len()
                            ),
                            None => String::new(),
                        } }
                    </span>
                </p>
            </section>
            <section class="hints" aria-labelledby="hints-h">
                <h2 id="hints-h">{"Hints"}</h2>
                <ol>
                    { for ex.hints.iter().take(*hints_shown).map(|h| html! { <li class="md">{markdown::render(h)}</li> }) }
                </ol>
                if *hints_shown < ex.hints.len() {
                    <button onclick={show_hint} data-testid="show-hint">
                        {format!("Show a hint ({} of {})", *hints_shown + 1, ex.hints.len())}
                    </button>
                }
            </section>
            if evaluation.met {
                <section class="explanation" aria-labelledby="explanation-h" data-testid="explanation">
                    <h2 id="explanation-h">{"Goal met: why it works"}</h2>
                    <div class="md">{markdown::render(&ex.explanation)}</div>
                </section>
            } else if solved_before {
                <details class="explanation">
                    <summary>{"Explanation (you solved this before)"}</summary>
                    <div class="md">{markdown::render(&ex.explanation)}</div>
                </details>
            }
        </aside>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamlab_engine::Preset;

    #[test]
    fn settings_read_their_values_from_the_scenario() {
        let s = Setup::preset(Preset::Taxi).scenario().unwrap();
        assert_eq!(setting_value(&s, "partitions"), Some(6.into()));
        assert_eq!(setting_value(&s, "commit_mode"), Some("auto".into()));
        assert_eq!(setting_value(&s, "window.grace_ms"), Some(3_600_000.into()));
        assert_eq!(setting_value(&s, "workload.rate_per_s"), Some(200.into()));
        assert_eq!(setting_value(&s, "workload.devices"), None);
        assert_eq!(setting_value(&s, "consumer.session.timeout.ms"), Some(45_000.into()));
        assert_eq!(setting_value(&s, "consumer.auto.offset.reset"), Some("earliest".into()));
        assert_eq!(setting_value(&s, "producer.linger.ms"), Some(5.into()));
        assert_eq!(setting_value(&s, "producer.no.such.key"), None);
    }

    #[test]
    fn durations_read_in_their_unit() {
        assert_eq!(shown("window.grace_ms", &900_000.into()), "900000 ms (15 min)");
        assert_eq!(shown("consumer.session.timeout.ms", &45_000.into()), "45000 ms (45 s)");
        assert_eq!(shown("consumer.auto.commit.interval.ms", &200.into()), "200 ms");
        assert_eq!(shown("window.grace_ms", &86_400_000.into()), "86400000 ms (1 d)");
        assert_eq!(shown("partitions", &3.into()), "3");
        assert_eq!(shown("commit_mode", &"auto".into()), "auto");
        let list = "org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
        assert_eq!(
            shown("consumer.partition.assignment.strategy", &list.into()),
            "RangeAssignor, CooperativeStickyAssignor"
        );
        assert_eq!(duration(2_500), "2.5 s");
    }

    #[test]
    fn drafts_must_be_within_the_allowance() {
        let range = Allowance { label: None, min: Some(1), max: Some(12), values: None };
        assert_eq!(read_draft("partitions", &range, " 7 "), Ok(7.into()));
        assert_eq!(read_draft("partitions", &range, "13"), Err("partitions: must be 1 to 12, got 13".into()));
        assert!(read_draft("partitions", &range, "<b>1</b>")
            .unwrap_err()
            .starts_with("partitions: must be a whole number"));
        let list = Allowance {
            label: None,
            min: None,
            max: None,
            values: Some(vec!["auto".into(), "after_processing".into()]),
        };
        assert_eq!(read_draft("commit_mode", &list, "1"), Ok("after_processing".into()));
        assert!(read_draft("commit_mode", &list, "2").unwrap_err().starts_with("commit_mode: choose one of"));
    }
}
