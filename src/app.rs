//! The top-level layout: the control bar, then the views, each handed its part of the snapshot.
//! Picking the taxi or bids preset fetches its CSV from `data/` (once; it is never compiled in).

use crate::player::{Player, Settings};
use crate::views::{
    charts::LagChart, config::ConfigBar, events::EventLog, groups::GroupPanel, outcomes::OutcomePanel,
    partitions::PartitionPanel, producer::ProducerPanel, windows::WindowPanel,
};
use gloo_timers::callback::Interval;
use std::cell::RefCell;
use std::rc::Rc;
use streamlab_engine::{Command, Datasets, Preset};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
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

async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url)).await.map_err(|e| format!("{e:?}"))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "the answer is not a Response".to_string())?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|e| format!("{e:?}"))?).await.map_err(|e| format!("{e:?}"))?;
    text.as_string().ok_or_else(|| "the body is not text".to_string())
}

fn has_data(data: &Datasets, preset: Preset) -> bool {
    match preset {
        Preset::Iot => true,
        Preset::Taxi => data.taxi_csv.is_some(),
        Preset::Bids => data.bids_csv.is_some(),
    }
}

/// Rebuilds the player with `settings`; the data must be loaded.
fn rebuild(player: &RefCell<Player>, settings: Settings, data: &Datasets) {
    let mut p = player.borrow_mut();
    let speed = p.speed;
    match Player::new(settings, data) {
        Ok(mut new) => {
            new.speed = speed;
            *p = new;
        }
        Err(e) => p.last_error = Some(e.to_string()),
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let data = use_mut_ref(Datasets::default);
    let player =
        use_mut_ref(|| Player::new(Settings::default(), &Datasets::default()).expect("the IoT preset is valid"));
    let version = use_state(|| 0u64);
    let loading = use_state(|| None::<String>);

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
        let data = data.clone();
        let loading = loading.clone();
        Callback::from(move |action: Action| {
            match action {
                Action::TogglePlay => {
                    let mut p = player.borrow_mut();
                    p.playing = !p.playing;
                }
                Action::Step => player.borrow_mut().advance(100),
                Action::SetSpeed(s) => player.borrow_mut().speed = s,
                Action::Command(c) => player.borrow_mut().apply(c),
                Action::Reset(settings) if has_data(&data.borrow(), settings.preset) => {
                    rebuild(&player, settings, &data.borrow())
                }
                Action::Reset(settings) => {
                    let file = settings.preset.data_file().expect("only taxi and bids need data");
                    loading.set(Some(format!("Loading data/{file} …")));
                    let (player, version, data, loading) =
                        (player.clone(), version.clone(), data.clone(), loading.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        match fetch_text(&format!("data/{file}")).await {
                            Ok(text) => {
                                {
                                    let mut d = data.borrow_mut();
                                    match settings.preset {
                                        Preset::Taxi => d.taxi_csv = Some(text),
                                        _ => d.bids_csv = Some(text),
                                    }
                                }
                                rebuild(&player, settings, &data.borrow());
                            }
                            Err(e) => player.borrow_mut().last_error = Some(format!("Could not load data/{file}: {e}")),
                        }
                        loading.set(None);
                        version.set(*version + 1);
                    });
                }
            }
            version.set(*version + 1);
        })
    };

    let onkeydown = {
        let on_action = on_action.clone();
        Callback::from(move |e: KeyboardEvent| {
            let in_control = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "BUTTON" | "SUMMARY"));
            match e.key().as_str() {
                " " if !in_control => {
                    e.prevent_default();
                    on_action.emit(Action::TogglePlay);
                }
                "." if !in_control => on_action.emit(Action::Step),
                _ => {}
            }
        })
    };

    let p = player.borrow();
    let snapshot = Rc::new(p.snapshot());
    let key_names: Rc<Vec<String>> = Rc::new((0..p.key_count().min(16) as u32).map(|k| p.key_name(k)).collect());
    let history = Rc::new(p.history.clone());
    let source = match p.settings.preset {
        Preset::Iot => html! { <>{"12 simulated IoT sensors, one reading a second each, keyed by device id"}</> },
        Preset::Taxi => html! { <>
            {"NYC TLC yellow-taxi trips, January 2019 (NYC Taxi & Limousine Commission, TLC Trip Record Data), keyed by "}
            <code>{"PULocationID"}</code>{", 200 trips a second. Event time is the pickup time, a New York wall-clock time read as if it were UTC."}
        </> },
        Preset::Bids => html! { <>
            {"eBay auction bids (Jank & Shmueli, Modeling Online Auctions), keyed by "}<code>{"auctionid"}</code>
            {", 200 bids a second. Event time: every auction opens at 2001-01-04 00:00 UTC plus the bid's bidtime in days."}
        </> },
    };
    html! {
        <div class="app" tabindex="0" {onkeydown}>
            <header>
                <h1>{"StreamLab"}</h1>
                <p class="tagline">{source}{" → topic "}<code>{p.topic()}</code>{" → consumer group "}<code>{"g1"}</code>
                    if p.dead_letters() > 0 { {format!(" · {} unreadable rows went to the dead-letter list", p.dead_letters())} }
                </p>
            </header>
            <ConfigBar
                playing={p.playing}
                speed={p.speed}
                now_ms={snapshot.now_ms}
                settings={p.settings}
                trace_hash={format!("{:016x}", p.trace_hash())}
                error={p.last_error.clone()}
                loading={(*loading).clone()}
                on_action={on_action.clone()}
            />
            <main>
                <section class="col wide">
                    <PartitionPanel snapshot={snapshot.clone()} key_names={key_names.clone()} />
                    <GroupPanel snapshot={snapshot.clone()} on_action={on_action.clone()} />
                    <WindowPanel snapshot={snapshot.clone()} />
                </section>
                <section class="col">
                    <OutcomePanel snapshot={snapshot.clone()} />
                    <ProducerPanel snapshot={snapshot.clone()} />
                    <LagChart history={history} />
                    <EventLog snapshot={snapshot.clone()} />
                </section>
            </main>
        </div>
    }
}
