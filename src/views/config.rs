//! The control bar: Play / Pause / Step / speed, the playground's knobs, the clock and the
//! trace hash.

use crate::app::Action;
use crate::player::Settings;
use streamlab_engine::SimTime;
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
    pub on_action: Callback<Action>,
}

const SPEEDS: [f64; 7] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0];

#[function_component(ConfigBar)]
pub fn config_bar(props: &Props) -> Html {
    let partitions = use_node_ref();
    let consumers = use_node_ref();
    let seed = use_node_ref();
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
            if let Some(sel) = e.target_dyn_into::<HtmlSelectElement>() {
                if let Ok(s) = sel.value().parse::<f64>() {
                    cb.emit(Action::SetSpeed(s));
                }
            }
        })
    };
    let reset = {
        let cb = props.on_action.clone();
        let (partitions, consumers, seed) = (partitions.clone(), consumers.clone(), seed.clone());
        let current = props.settings;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let read = |r: &NodeRef| r.cast::<HtmlInputElement>().map(|i| i.value());
            let settings = Settings {
                partitions: read(&partitions).and_then(|v| v.parse().ok()).unwrap_or(current.partitions),
                consumers: read(&consumers).and_then(|v| v.parse().ok()).unwrap_or(current.consumers),
                seed: read(&seed).and_then(|v| v.parse().ok()).unwrap_or(current.seed),
            };
            cb.emit(Action::Reset(settings));
        })
    };
    html! {
        <nav class="controls" aria-label="simulation controls">
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
            <form class="settings" onsubmit={reset}>
                <label>{"partitions "}<input ref={partitions} type="number" min="1" max="12" value={props.settings.partitions.to_string()} /></label>
                <label>{"consumers "}<input ref={consumers} type="number" min="0" max="8" value={props.settings.consumers.to_string()} /></label>
                <label>{"seed "}<input ref={seed} type="number" min="0" value={props.settings.seed.to_string()} /></label>
                <button type="submit">{"Reset"}</button>
            </form>
            <span class="hash" title="trace hash: the same seed and actions give the same hash">{"trace "}<code>{&props.trace_hash}</code></span>
            if let Some(e) = &props.error {
                <p class="error" role="alert">{e}</p>
            }
        </nav>
    }
}
