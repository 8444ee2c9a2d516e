//! The control bar: the stream (preset), Play / Pause / Step / speed and the speed achieved,
//! "Run for …" with its progress, the commit mode, the playground's knobs (the cluster's
//! too: brokers, replication factor, acks, min.insync.replicas, unclean leader election; and
//! the group's: assignor, max.poll.interval.ms, session.timeout.ms, static membership), the
//! clock and the trace hash. Compact (for an embedding), it keeps only Play, Step, speed and the clock.

use crate::app::Action;
use crate::player::{acks_name, AssignorChoice, Knobs, Run, RunEnding, RunReport, RunTarget, Speed, SPEEDS};
use streamlab_engine::config::Acks;
use streamlab_engine::consumer::CommitMode;
use streamlab_engine::{Preset, SimTime};
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// What the control bar shows; it changes nothing itself, it sends [`Action`]s.
#[derive(Properties, PartialEq)]
pub struct Props {
    pub playing: bool,
    pub speed: Speed,
    /// Simulated s per real s over the last second the clock moved.
    pub achieved_speed: Option<f64>,
    /// The fast-forward under way.
    pub run: Option<Run>,
    /// How the last fast-forward ended.
    pub last_run: Option<RunReport>,
    /// Records the producers have sent so far, all together.
    pub records_sent: u64,
    pub now_ms: u64,
    /// The playground's knobs; `None` hides them (an exercise has its own controls).
    pub knobs: Option<Knobs>,
    /// Only Play, Step, speed and the clock: the bar of an embedding.
    #[prop_or_default]
    pub compact: bool,
    pub trace_hash: String,
    pub error: Option<String>,
    /// What is being fetched, if anything.
    pub loading: Option<String>,
    pub on_action: Callback<Action>,
}

/// The `speed` option that runs as fast as the frame budget allows.
const MAX: &str = "max";
/// "Run for …" choices: the option value and its label. `end` runs to the end of the input.
const RUN_FOR: [(&str, &str); 4] =
    [("60000", "1 min"), ("600000", "10 min"), ("3600000", "1 h"), ("end", "to the end of the input")];
const PRESETS: [(Preset, &str, &str); 3] = [
    (Preset::Iot, "iot", "IoT sensors"),
    (Preset::Taxi, "taxi", "NYC taxi trips"),
    (Preset::Bids, "bids", "eBay auction bids"),
];
/// `acks` choices, as Kafka spells them, with what each waits for.
const ACKS: [(Acks, &str); 3] = [
    (Acks::None, "0: no answer awaited"),
    (Acks::Leader, "1: the leader has it"),
    (Acks::All, "all: every in-sync replica has it"),
];
const MODES: [(CommitMode, &str); 4] = [
    (CommitMode::Auto, "auto-commit (enable.auto.commit)"),
    (CommitMode::AfterProcessing, "commit after processing"),
    (CommitMode::AfterProcessingAsync, "commitAsync after processing"),
    (CommitMode::BeforeProcessing, "commit before processing"),
];

fn select_value(e: &Event) -> Option<String> {
    e.target_dyn_into::<HtmlSelectElement>().map(|s| s.value())
}

/// `1,240`: digits grouped by thousands.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio of simulated to real time: `1,240×` when large, `9.8×` when small.
fn times(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{}×", grouped(ratio.round() as u64))
    } else {
        format!("{ratio:.1}×")
    }
}

/// A span of simulated time in words: `1 h`, `10 min`, `3 min 12 s`, `41 s`, `0.4 s`.
fn span(ms: u64) -> String {
    let (h, min, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
    match (h, min, s) {
        (0, 0, _) if ms.is_multiple_of(1000) => format!("{s} s"),
        (0, 0, _) => format!("{:.1} s", ms as f64 / 1000.0),
        (0, _, 0) => format!("{min} min"),
        (0, _, _) => format!("{min} min {s} s"),
        (_, 0, _) => format!("{h} h"),
        _ => format!("{h} h {min} min"),
    }
}

/// The status line after a fast-forward.
fn run_report(r: &RunReport) -> String {
    let took = if r.real_ms < 1000.0 { format!("{:.0} ms", r.real_ms) } else { format!("{:.1} s", r.real_ms / 1000.0) };
    let rate =
        if r.real_ms > 0.0 { format!(", {} real time", times(r.sim_ms as f64 / r.real_ms)) } else { String::new() };
    match r.ending {
        RunEnding::Reached => format!("Ran {} of simulated time in {took}{rate}.", span(r.sim_ms)),
        RunEnding::Drained if r.sim_ms == 0 => "The input is already drained: nothing to run.".to_string(),
        RunEnding::Drained => format!(
            "Ran to the end of the input: drained at t = {}, {} of simulated time in {took}{rate}.",
            SimTime(r.end_ms),
            span(r.sim_ms)
        ),
        RunEnding::ScenarioEnd if r.sim_ms == 0 => {
            format!("Nothing to run: the scenario's end (t = {}) is already behind.", SimTime(r.until_ms))
        }
        RunEnding::ScenarioEnd => format!(
            "Ran to the scenario's end (t = {}) before the input was drained: {} of simulated time in {took}{rate}.",
            SimTime(r.end_ms),
            span(r.sim_ms)
        ),
        RunEnding::Cancelled => format!("Cancelled after {} of simulated time ({took}).", span(r.sim_ms)),
    }
}

#[function_component(ConfigBar)]
pub fn config_bar(props: &Props) -> Html {
    let play = {
        let cb = props.on_action.clone();
        Callback::from(move |_| cb.emit(Action::TogglePlay))
    };
    let step = {
        let cb = props.on_action.clone();
        Callback::from(move |_| cb.emit(Action::Step))
    };
    let speed = {
        let cb = props.on_action.clone();
        Callback::from(move |e: Event| {
            let speed = select_value(&e).and_then(|v| match v.as_str() {
                MAX => Some(Speed::Max),
                _ => v.parse::<f64>().ok().map(Speed::Times),
            });
            if let Some(s) = speed {
                cb.emit(Action::SetSpeed(s));
            }
        })
    };
    let rate = props.achieved_speed.map(|r| {
        let what = match (props.run, props.speed) {
            (Some(_), _) => "run for".to_string(),
            (None, Speed::Max) => MAX.to_string(),
            (None, Speed::Times(s)) => format!("{s}×"),
        };
        format!("{what} · {} real time", times(r))
    });
    let compact = props.compact;
    html! {
        <nav class={classes!("controls", compact.then_some("compact"))} aria-label="simulation controls">
            if let (Some(knobs), false) = (props.knobs, compact) {
                <StreamChoice knobs={knobs} on_action={props.on_action.clone()} />
            }
            <button onclick={play} data-testid="play" class="primary" aria-pressed={props.playing.to_string()}>
                { if props.playing { "‖ Pause" } else { "▶ Play" } }
            </button>
            <button onclick={step} data-testid="step" title="advance 100 ms of simulated time (key: .)">{"Step"}</button>
            <label>{"speed "}
                <select onchange={speed} data-testid="speed">
                    { for SPEEDS.iter().map(|s| html! {
                        <option value={s.to_string()} selected={props.speed == Speed::Times(*s)}>{format!("{s}×")}</option>
                    }) }
                    <option value={MAX} selected={props.speed == Speed::Max}>{MAX}</option>
                </select>
            </label>
            if !compact {
                // Not a live region: read once a second aloud, it would drown everything else.
                <output class="rate" data-testid="rate" aria-live="off" title="simulated seconds per real second, over the last second">
                    {rate.unwrap_or_default()}
                </output>
            }
            <span class="clock">{"t = "}<output data-testid="sim-time">{SimTime(props.now_ms).to_string()}</output></span>
            if !compact {
                <RunFor run={props.run} last_run={props.last_run} records_sent={props.records_sent}
                    now_ms={props.now_ms} on_action={props.on_action.clone()} />
            }
            if let (Some(knobs), false) = (props.knobs, compact) {
                <KnobsForm knobs={knobs} on_action={props.on_action.clone()} />
            }
            if !compact {
                <span class="hash" title="trace hash: the same stream, seed and actions give the same hash">{"trace "}
                    <code data-testid="trace-hash">{&props.trace_hash}</code></span>
            }
            if let Some(l) = &props.loading {
                <p class="loading" role="status">{l}</p>
            }
            if let Some(e) = &props.error {
                <p class="error" role="alert">{e}</p>
            }
        </nav>
    }
}

#[derive(Properties, PartialEq)]
struct KnobsProps {
    knobs: Knobs,
    on_action: Callback<Action>,
}

/// The stream (preset) choice: changing it starts a new run at once.
#[function_component(StreamChoice)]
fn stream_choice(props: &KnobsProps) -> Html {
    let current = props.knobs;
    let preset = {
        let cb = props.on_action.clone();
        Callback::from(move |e: Event| {
            if let Some(p) =
                select_value(&e).and_then(|v| PRESETS.iter().find(|(_, id, _)| *id == v).map(|(p, _, _)| *p))
            {
                cb.emit(Action::Configure(Knobs { preset: Some(p), ..current }));
            }
        })
    };
    html! {
        <label>{"stream "}
            <select onchange={preset} data-testid="preset">
                if current.preset.is_none() {
                    <option value="" selected=true disabled=true>{"custom scenario"}</option>
                }
                { for PRESETS.iter().map(|(p, id, name)| html! {
                    <option value={*id} selected={Some(*p) == current.preset}>{*name}</option>
                }) }
            </select>
        </label>
    }
}

/// The commit mode, and partitions, consumers, seed and the cluster's knobs, applied by Reset.
/// A bad combination (more replicas than brokers) is the engine's to refuse: its error shows
/// and the run stays as it was.
#[function_component(KnobsForm)]
fn knobs_form(props: &KnobsProps) -> Html {
    let partitions = use_node_ref();
    let consumers = use_node_ref();
    let seed = use_node_ref();
    let brokers = use_node_ref();
    let replication_factor = use_node_ref();
    let acks = use_node_ref();
    let min_insync_replicas = use_node_ref();
    let unclean = use_node_ref();
    let assignor = use_node_ref();
    let max_poll_interval = use_node_ref();
    let session_timeout = use_node_ref();
    let static_membership = use_node_ref();
    let commit_on_revoke = use_node_ref();
    let assign = use_node_ref();
    let second_group = use_node_ref();
    let current = props.knobs;
    let mode = {
        let cb = props.on_action.clone();
        Callback::from(move |e: Event| {
            if let Some(m) = select_value(&e).and_then(|v| MODES.iter().find(|(m, _)| m.name() == v).map(|(m, _)| *m)) {
                cb.emit(Action::Configure(Knobs { commit_mode: m, ..current }));
            }
        })
    };
    let reset = {
        let cb = props.on_action.clone();
        let (partitions, consumers, seed) = (partitions.clone(), consumers.clone(), seed.clone());
        let (brokers, replication_factor, min_insync_replicas) =
            (brokers.clone(), replication_factor.clone(), min_insync_replicas.clone());
        let (acks, unclean) = (acks.clone(), unclean.clone());
        let (assignor, max_poll_interval, session_timeout, static_membership) =
            (assignor.clone(), max_poll_interval.clone(), session_timeout.clone(), static_membership.clone());
        let (commit_on_revoke, assign, second_group) = (commit_on_revoke.clone(), assign.clone(), second_group.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let read = |r: &NodeRef| r.cast::<HtmlInputElement>().map(|i| i.value());
            let checked = |r: &NodeRef, now: bool| r.cast::<HtmlInputElement>().map_or(now, |i| i.checked());
            let knobs = Knobs {
                partitions: read(&partitions).and_then(|v| v.parse().ok()).unwrap_or(current.partitions),
                consumers: read(&consumers).and_then(|v| v.parse().ok()).unwrap_or(current.consumers),
                seed: read(&seed).and_then(|v| v.parse().ok()).unwrap_or(current.seed),
                brokers: read(&brokers).and_then(|v| v.parse().ok()).unwrap_or(current.brokers),
                replication_factor: read(&replication_factor)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(current.replication_factor),
                acks: acks
                    .cast::<HtmlSelectElement>()
                    .and_then(|s| ACKS.iter().find(|(a, _)| acks_name(*a) == s.value()).map(|(a, _)| *a))
                    .unwrap_or(current.acks),
                min_insync_replicas: read(&min_insync_replicas)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(current.min_insync_replicas),
                unclean_leader_election: unclean
                    .cast::<HtmlInputElement>()
                    .map_or(current.unclean_leader_election, |i| i.checked()),
                assignor: assignor
                    .cast::<HtmlSelectElement>()
                    .and_then(|s| AssignorChoice::ALL.iter().find(|(a, _)| a.name() == s.value()).map(|(a, _)| *a))
                    .unwrap_or(current.assignor),
                max_poll_interval_ms: read(&max_poll_interval)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(current.max_poll_interval_ms),
                session_timeout_ms: read(&session_timeout)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(current.session_timeout_ms),
                static_membership: static_membership
                    .cast::<HtmlInputElement>()
                    .map_or(current.static_membership, |i| i.checked()),
                commit_on_revoke: checked(&commit_on_revoke, current.commit_on_revoke),
                assign: checked(&assign, current.assign),
                second_group: read(&second_group).and_then(|v| v.parse().ok()).unwrap_or(current.second_group),
                ..current
            };
            cb.emit(Action::Configure(knobs));
        })
    };
    html! {
        <>
            <label>{"commits "}
                <select onchange={mode} data-testid="commit-mode">
                    { for MODES.iter().map(|(m, name)| html! {
                        <option value={m.name()} selected={*m == current.commit_mode}>{*name}</option>
                    }) }
                </select>
            </label>
            <form class="settings" onsubmit={reset}>
                <label>{"partitions "}<input ref={partitions} type="number" min="1" max="12" value={current.partitions.to_string()} /></label>
                <label>{"consumers "}<input ref={consumers} type="number" min="0" max="8" value={current.consumers.to_string()} /></label>
                <label>{"seed "}<input ref={seed} type="number" min="0" value={current.seed.to_string()} /></label>
                // The limits are the page's (1 to 5 brokers); whether they fit together is the engine's to say.
                <fieldset class="cluster-settings">
                    <legend>{"cluster"}</legend>
                    <label>{"brokers "}<input ref={brokers} type="number" min="1" max="5" data-testid="brokers"
                        value={current.brokers.to_string()} /></label>
                    <label title="replicas of each partition, at most the number of brokers">{"replication factor "}
                        <input ref={replication_factor} type="number" min="1" max="5" data-testid="replication-factor"
                            value={current.replication_factor.to_string()} /></label>
                    <label>{"acks "}
                        <select ref={acks} data-testid="acks">
                            { for ACKS.iter().map(|(a, name)| html! {
                                <option value={acks_name(*a)} selected={*a == current.acks}>{*name}</option>
                            }) }
                        </select>
                    </label>
                    <label title="with acks=all, writes fail with NotEnoughReplicasException while fewer replicas are in sync">
                        {"min.insync.replicas "}
                        <input ref={min_insync_replicas} type="number" min="1" max="5" data-testid="min-insync-replicas"
                            value={current.min_insync_replicas.to_string()} /></label>
                    <label title="let an out-of-sync replica become leader when no in-sync one is left: the partition comes back sooner, and what only the old leader had is lost">
                        <input ref={unclean} type="checkbox" data-testid="unclean-leader-election"
                            checked={current.unclean_leader_election} />
                        {" unclean.leader.election.enable"}</label>
                </fieldset>
                <fieldset class="group-settings">
                    <legend>{"consumer group"}</legend>
                    <label title="partition.assignment.strategy: the assignors the members support, preferred first. The rebalance protocol is cooperative (KIP-429) only when every listed assignor supports it.">
                        {"assignor "}
                        <select ref={assignor} data-testid="assignor">
                            if current.assignor == AssignorChoice::Other {
                                <option value={AssignorChoice::Other.name()} selected=true>{"this scenario's list"}</option>
                            }
                            { for AssignorChoice::ALL.iter().map(|(a, label)| html! {
                                <option value={a.name()} selected={*a == current.assignor}>{*label}</option>
                            }) }
                        </select>
                    </label>
                    <label title="max.poll.interval.ms: a member whose application does not call poll() for this long leaves the group (Kafka's default: 300000, 5 min)">
                        {"max.poll.interval.ms "}
                        <input ref={max_poll_interval} type="number" min="1" max="86400000" data-testid="max-poll-interval-ms"
                            value={current.max_poll_interval_ms.to_string()} /></label>
                    <label title="session.timeout.ms: without a heartbeat for this long the coordinator removes the member (Kafka's default: 45000; the broker accepts 6000 to 1800000)">
                        {"session.timeout.ms "}
                        <input ref={session_timeout} type="number" min="1" max="86400000" data-testid="session-timeout-ms"
                            value={current.session_timeout_ms.to_string()} /></label>
                    <label title="KIP-345: each member gets a group.instance.id, so that a restart within session.timeout.ms causes no rebalance">
                        <input ref={static_membership} type="checkbox" data-testid="static-membership"
                            checked={current.static_membership} />
                        {" static membership"}</label>
                    <label title="a ConsumerRebalanceListener whose onPartitionsRevoked calls commitSync() before the partitions go">
                        <input ref={commit_on_revoke} type="checkbox" data-testid="commit-on-revoke"
                            checked={current.commit_on_revoke} />
                        {" commit on revoke"}</label>
                    <label title="assign() instead of subscribe(): each member reads fixed partitions, with no group membership, rebalance or failover">
                        <input ref={assign} type="checkbox" data-testid="assign"
                            checked={current.assign} />
                        {" assign()"}</label>
                    <label title="a second group, g2, reading the same topics with its own offsets (0: none)">{"second group "}
                        <input ref={second_group} type="number" min="0" max="8" data-testid="second-group"
                            value={current.second_group.to_string()} /></label>
                </fieldset>
                <button type="submit" data-testid="reset">{"Reset"}</button>
            </form>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct RunForProps {
    run: Option<Run>,
    last_run: Option<RunReport>,
    records_sent: u64,
    now_ms: u64,
    on_action: Callback<Action>,
}

/// "Run for …": the choice, Run, and while it runs the progress and Cancel; then what it did.
#[function_component(RunFor)]
fn run_for(props: &RunForProps) -> Html {
    let choice = use_node_ref();
    let start_button = use_node_ref();
    let cancel_button = use_node_ref();
    let running = props.run.is_some();
    {
        // Run and Cancel replace each other, and a removed button takes the focus with it, out
        // of the page's key handler (Space, `.`, Escape): hand it to the button shown instead.
        let (start_button, cancel_button) = (start_button.clone(), cancel_button.clone());
        use_effect_with(running, move |running| {
            let focus_lost = web_sys::window()
                .and_then(|w| w.document())
                .map(|d| d.active_element().is_none() || d.active_element() == d.body().map(Into::into))
                .unwrap_or(false);
            let shown = if *running { cancel_button } else { start_button };
            if focus_lost {
                if let Some(button) = shown.cast::<HtmlElement>() {
                    let _ = button.focus();
                }
            }
        });
    }
    let start = {
        let (cb, choice) = (props.on_action.clone(), choice.clone());
        Callback::from(move |_| {
            let target = choice.cast::<HtmlSelectElement>().map(|s| s.value()).and_then(|v| match v.as_str() {
                "end" => Some(RunTarget::ToEnd),
                _ => v.parse().ok().map(RunTarget::For),
            });
            if let Some(t) = target {
                cb.emit(Action::RunFor(t));
            }
        })
    };
    let cancel = {
        let cb = props.on_action.clone();
        Callback::from(move |_| cb.emit(Action::CancelRun))
    };
    let progress = props.run.map(|run| {
        let done = props.now_ms.saturating_sub(run.from_ms);
        match run.target {
            RunTarget::For(_) => {
                let total = run.until_ms - run.from_ms;
                let text = format!(
                    "{} of {} ({}%)",
                    span(done),
                    span(total),
                    (done as f64 * 100.0 / total.max(1) as f64).floor()
                );
                html! { <>
                    <progress data-testid="run-for-progress" aria-label="Run for: simulated time done"
                        aria-describedby="run-for-numbers" max={total.to_string()} value={done.to_string()} />
                    <span id="run-for-numbers" class="numbers">{text}</span>
                </> }
            }
            RunTarget::ToEnd => {
                // How many records the input holds is not something the simulation says, so
                // the bar cannot know how far along it is: it only shows that it is working.
                let text = format!(
                    "{} of simulated time, {} records sent; stops when the input is drained or at t = {}",
                    span(done),
                    grouped(props.records_sent),
                    SimTime(run.until_ms)
                );
                html! { <>
                    <progress data-testid="run-for-progress" aria-label="Run to the end of the input: under way"
                        aria-describedby="run-for-numbers" />
                    <span id="run-for-numbers" class="numbers">{text}</span>
                </> }
            }
        }
    });
    html! {
        <span class="run-for" role="group" aria-label="fast-forward">
            <label>{"run for "}
                <select ref={choice} data-testid="run-for">
                    { for RUN_FOR.iter().map(|(value, label)| html! { <option value={*value}>{*label}</option> }) }
                </select>
            </label>
            if let Some(progress) = progress {
                {progress}
                <button ref={cancel_button} onclick={cancel} data-testid="run-for-cancel" title="stop the fast-forward (key: Escape)">
                    {"Cancel"}
                </button>
            } else {
                <button ref={start_button} onclick={start} data-testid="run-for-start"
                    title="fast-forward this much simulated time, as fast as the page allows">{"Run"}</button>
                if let Some(report) = &props.last_run {
                    <span class="run-report" role="status" data-testid="run-for-done">{run_report(report)}</span>
                }
            }
        </span>
    }
}
