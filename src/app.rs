//! The top-level layout: the control bar, then the views, each handed its part of the snapshot.

use crate::player::{Player, Settings};
use crate::views::{
    charts::LagChart, config::ConfigBar, events::EventLog, groups::GroupPanel, partitions::PartitionPanel,
    producer::ProducerPanel,
};
use gloo_timers::callback::Interval;
use std::rc::Rc;
use streamlab_engine::Command;
use web_sys::KeyboardEvent;
use yew::prelude::*;

/// Real milliseconds between two ticks.
const TICK_MS: u32 = 50;

/// What the control bar and the views may ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    TogglePlay,
    Step,
    SetSpeed(f64),
    Reset(Settings),
    Command(Command),
}

#[function_component(App)]
pub fn app() -> Html {
    let player = use_mut_ref(|| Player::new(Settings::default()).expect("the default scenario is valid"));
    let version = use_state(|| 0u64);

    {
        let player = player.clone();
        let version = version.clone();
        use_effect_with((), move |_| {
            let interval = Interval::new(TICK_MS, move || {
                let mut p = player.borrow_mut();
                if p.playing {
                    p.tick(TICK_MS as f64);
                    drop(p);
                    version.set(*version + 1);
                }
            });
            move || drop(interval)
        });
    }

    let on_action = {
        let player = player.clone();
        let version = version.clone();
        Callback::from(move |action: Action| {
            {
                let mut p = player.borrow_mut();
                match action {
                    Action::TogglePlay => p.playing = !p.playing,
                    Action::Step => p.advance(100),
                    Action::SetSpeed(s) => p.speed = s,
                    Action::Reset(settings) => match Player::new(settings) {
                        Ok(new) => *p = new,
                        Err(e) => p.last_error = Some(e.to_string()),
                    },
                    Action::Command(c) => p.apply(c),
                }
            }
            version.set(*version + 1);
        })
    };

    let onkeydown = {
        let on_action = on_action.clone();
        Callback::from(move |e: KeyboardEvent| {
            let target_is_input = e
                .target()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "BUTTON"));
            match e.key().as_str() {
                " " if !target_is_input => {
                    e.prevent_default();
                    on_action.emit(Action::TogglePlay);
                }
                "." => on_action.emit(Action::Step),
                _ => {}
            }
        })
    };

    let p = player.borrow();
    let snapshot = Rc::new(p.snapshot());
    let key_names: Rc<Vec<String>> = Rc::new((0..p.key_count() as u32).map(|k| p.key_name(k)).collect());
    let history = Rc::new(p.history.clone());
    html! {
        <div class="app" tabindex="0" {onkeydown}>
            <header>
                <h1>{"StreamLab"}</h1>
                <p class="tagline">{"A Kafka-style cluster on a virtual clock: IoT sensors → topic "}<code>{"readings"}</code>{" → consumer group "}<code>{"g1"}</code></p>
            </header>
            <ConfigBar
                playing={p.playing}
                speed={p.speed}
                now_ms={snapshot.now_ms}
                settings={p.settings}
                trace_hash={format!("{:016x}", p.trace_hash())}
                error={p.last_error.clone()}
                on_action={on_action.clone()}
            />
            <main>
                <section class="col wide">
                    <PartitionPanel snapshot={snapshot.clone()} key_names={key_names.clone()} />
                    <GroupPanel snapshot={snapshot.clone()} on_action={on_action.clone()} />
                </section>
                <section class="col">
                    <ProducerPanel snapshot={snapshot.clone()} />
                    <LagChart history={history} />
                    <EventLog snapshot={snapshot.clone()} />
                </section>
            </main>
        </div>
    }
}
