//! The control bar: the stream (preset), Play / Pause / Step / speed, the commit mode, the
//! playground's knobs, the clock and the trace hash.

use crate::app::Action;
use crate::player::Settings;
use streamlab_engine::consumer::CommitMode;
use streamlab_engine::{Preset, SimTime};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub playing: bool,
    pub speed: f64,
    pub now_ms: u64,
    pub settings: Settings,
    pub trace_hash: String,
    pub error: Option<String>,
    /// What is being fetched, if anything.
    pub loading: Option<String>,
    pub on_action: Callback<Action>,
}

const SPEEDS: [f64; 7] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0];
const PRESETS: [(Preset, &str, &str); 3] = [
    (Preset::Iot, "iot", "IoT sensors"),
    (Preset::Taxi, "taxi", "NYC taxi trips"),
    (Preset::Bids, "bids", "eBay auction bids"),
];
const MODES: [(CommitMode, &str); 3] = [
    (CommitMode::Auto, "auto-commit (enable.auto.commit)"),
    (CommitMode::AfterProcessing, "commit after processing"),
    (CommitMode::BeforeProcessing, "commit before processing"),
];

fn select_value(e: &Event) -> Option<String> {
    e.target_dyn_into::<HtmlSelectElement>().map(|s| s.value())
}

#[function_component(ConfigBar)]
pub fn config_bar(props: &Props) -> Html {
    let partitions = use_node_ref();
    let consumers = use_node_ref();
    let seed = use_node_ref();
    let current = props.settings;
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
            if let Some(s) = select_value(&e).and_then(|v| v.parse::<f64>().ok()) {
                cb.emit(Action::SetSpeed(s));
            }
        })
    };
    let preset = {
        let cb = props.on_action.clone();
        Callback::from(move |e: Event| {
            if let Some(p) =
                select_value(&e).and_then(|v| PRESETS.iter().find(|(_, id, _)| *id == v).map(|(p, _, _)| *p))
            {
                cb.emit(Action::Reset(Settings { preset: p, ..current }));
            }
        })
    };
    let mode = {
        let cb = props.on_action.clone();
        Callback::from(move |e: Event| {
            if let Some(m) = select_value(&e).and_then(|v| MODES.iter().find(|(m, _)| m.name() == v).map(|(m, _)| *m)) {
                cb.emit(Action::Reset(Settings { commit_mode: m, ..current }));
            }
        })
    };
    let reset = {
        let cb = props.on_action.clone();
        let (partitions, consumers, seed) = (partitions.clone(), consumers.clone(), seed.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let read = |r: &NodeRef| r.cast::<HtmlInputElement>().map(|i| i.value());
            let settings = Settings {
                partitions: read(&partitions).and_then(|v| v.parse().ok()).unwrap_or(current.partitions),
                consumers: read(&consumers).and_then(|v| v.parse().ok()).unwrap_or(current.consumers),
                seed: read(&seed).and_then(|v| v.parse().ok()).unwrap_or(current.seed),
                ..current
            };
            cb.emit(Action::Reset(settings));
        })
    };
    html! {
        <nav class="controls" aria-label="simulation controls">
            <label>{"stream "}
                <select onchange={preset} data-testid="preset">
                    { for PRESETS.iter().map(|(p, id, name)| html! {
                        <option value={*id} selected={*p == current.preset}>{*name}</option>
                    }) }
                </select>
            </label>
            <button onclick={play} data-testid="play" class="primary" aria-pressed={props.playing.to_string()}>
                { if props.playing { "⏸ Pause" } else { "▶ Play" } }
            </button>
            <button onclick={step} data-testid="step" title="advance 100 ms of simulated time (key: .)">{"Step"}</button>
            <label>{"speed "}
                <select onchange={speed} data-testid="speed">
                    { for SPEEDS.iter().map(|s| html! {
                        <option value={s.to_string()} selected={(*s - props.speed).abs() < 1e-9}>{format!("{s}×")}</option>
                    }) }
                </select>
            </label>
            <span class="clock">{"t = "}<output data-testid="sim-time">{SimTime(props.now_ms).to_string()}</output></span>
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
                <button type="submit">{"Reset"}</button>
            </form>
            <span class="hash" title="trace hash: the same stream, seed and actions give the same hash">{"trace "}<code>{&props.trace_hash}</code></span>
            if let Some(l) = &props.loading {
                <p class="loading" role="status">{l}</p>
            }
            if let Some(e) = &props.error {
                <p class="error" role="alert">{e}</p>
            }
        </nav>
    }
}
