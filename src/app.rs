//! The top-level layout: the control bar, then the views, each handed its part of the snapshot.
//! Picking the taxi or bids preset fetches its CSV from `data/` (once; it is never compiled in).

use crate::player::{LagPoint, Player, RunTarget, Settings, Speed, FRAME_BUDGET_MS};
use crate::views::{
    charts::LagChart, config::ConfigBar, events::EventLog, groups::GroupPanel, outcomes::OutcomePanel,
    partitions::PartitionPanel, producer::ProducerPanel, windows::WindowPanel,
};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use streamlab_engine::{Command, Datasets, Preset, Snapshot};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::KeyboardEvent;
use yew::prelude::*;

/// Real ms between two refreshes of the views while the clock runs at a chosen speed: what the
/// 50 ms tick used to give, smooth enough to watch records arrive one by one.
const VIEW_REFRESH_MS: f64 = 50.0;
/// Real ms between two refreshes of the views while the clock runs flat out (max, Run for):
/// refreshing every view costs about a frame's budget, which is better spent on the engine. The
/// clock and the progress bar still move every frame.
const FLAT_OUT_VIEW_REFRESH_MS: f64 = 250.0;

/// What the views draw, taken from the player at a view refresh.
struct ViewData {
    snapshot: Rc<Snapshot>,
    key_names: Rc<Vec<String>>,
    history: Rc<Vec<LagPoint>>,
}

impl ViewData {
    fn take(p: &Player) -> ViewData {
        ViewData {
            snapshot: Rc::new(p.snapshot()),
            key_names: Rc::new((0..p.key_count().min(16) as u32).map(|k| p.key_name(k)).collect()),
            history: Rc::new(p.history.clone()),
        }
    }
}

/// When the views were last refreshed and what that cost, shared by the frame loop (which says
/// when the next refresh is due, and makes room for it) and the render (which does it).
#[derive(Debug, Clone, Copy)]
struct ViewTiming {
    /// Whether the next render refreshes the views.
    due: bool,
    /// When the last refresh started, ms of the page's clock.
    started_ms: f64,
    /// Whether the last refresh is still to be timed (by the effect that runs after it).
    measuring: bool,
    /// Real ms the last refresh took, from the start of the render to the end of the views'
    /// effects (the canvases are drawn in effects).
    cost_ms: f64,
}

impl Default for ViewTiming {
    fn default() -> Self {
        ViewTiming { due: true, started_ms: 0.0, measuring: false, cost_ms: 0.0 }
    }
}

/// What the control bar and the views may ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    TogglePlay,
    Step,
    SetSpeed(Speed),
    /// Start a "Run for …" fast-forward.
    RunFor(RunTarget),
    /// Stop the fast-forward under way.
    CancelRun,
    Reset(Settings),
    Command(Command),
}

/// The page's clock, ms: the time base of animation frames, so the two can be compared.
fn now_real_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Calls `player.frame` on every animation frame until the returned guard is dropped, and
/// `redraw` after each frame that may have changed something, marking the views due for a
/// refresh when their period has passed.
fn animate(player: Rc<RefCell<Player>>, views: Rc<Cell<ViewTiming>>, redraw: impl Fn() + 'static) -> impl FnOnce() {
    type FrameCallback = Closure<dyn FnMut(f64)>;
    let window = web_sys::window().expect("the playground runs in a browser window");
    let performance = window.performance().expect("browsers have window.performance");
    // The callback re-registers itself each frame, so it must reach itself: it lives in a shared
    // slot, which the guard empties to end the loop (and break the cycle).
    let slot: Rc<RefCell<Option<FrameCallback>>> = Rc::new(RefCell::new(None));
    let pending = Rc::new(Cell::new(None::<i32>));
    let request = {
        let (window, pending) = (window.clone(), pending.clone());
        move |slot: &RefCell<Option<FrameCallback>>| {
            if let Some(cb) = slot.borrow().as_ref() {
                pending.set(window.request_animation_frame(cb.as_ref().unchecked_ref()).ok());
            }
        }
    };
    *slot.borrow_mut() = Some(Closure::new({
        let (slot, request) = (slot.clone(), request.clone());
        move |frame_ms: f64| {
            let mut timing = views.get();
            let flat_out = player.borrow().is_flat_out();
            let period = if flat_out { FLAT_OUT_VIEW_REFRESH_MS } else { VIEW_REFRESH_MS };
            let refresh = frame_ms - timing.started_ms >= period;
            // Flat out, the engine would fill the budget: a frame that also refreshes the views
            // leaves them the time they took last time, so that the two keep to the budget
            // together. Slower, the engine needs little of it and keeps it all, so that the
            // clock keeps time.
            let budget_ms =
                if flat_out && refresh { (FRAME_BUDGET_MS - timing.cost_ms).max(0.0) } else { FRAME_BUDGET_MS };
            if player.borrow_mut().frame(frame_ms, budget_ms, || performance.now()) {
                if refresh {
                    timing.due = true;
                    views.set(timing);
                }
                redraw();
            }
            request(&slot);
        }
    }));
    request(&slot);
    move || {
        // A frame already requested would call a dropped closure: cancel it first.
        if let Some(id) = pending.take() {
            let _ = window.cancel_animation_frame(id);
        }
        slot.borrow_mut().take();
    }
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
    let redraw = use_force_update();
    let loading = use_state(|| None::<String>);
    let views = use_mut_ref(|| None::<ViewData>);
    let view_timing: Rc<Cell<ViewTiming>> = (*use_memo((), |_| Rc::new(Cell::new(ViewTiming::default())))).clone();

    {
        let (player, redraw, view_timing) = (player.clone(), redraw.clone(), view_timing.clone());
        use_effect_with((), move |_| animate(player, view_timing, move || redraw.force_update()));
    }
    {
        // Effects run children first, so this one sees the views' canvases drawn.
        let view_timing = view_timing.clone();
        use_effect(move || {
            let mut t = view_timing.get();
            if t.measuring {
                t.measuring = false;
                t.cost_ms = now_real_ms() - t.started_ms;
                view_timing.set(t);
            }
        });
    }

    let on_action = {
        let player = player.clone();
        let redraw = redraw.clone();
        let data = data.clone();
        let loading = loading.clone();
        let view_timing = view_timing.clone();
        Callback::from(move |action: Action| {
            // The views show what the user did at once.
            view_timing.set(ViewTiming { due: true, ..view_timing.get() });
            match action {
                Action::TogglePlay => {
                    let mut p = player.borrow_mut();
                    p.playing = !p.playing;
                }
                Action::Step => player.borrow_mut().advance(100),
                Action::SetSpeed(s) => player.borrow_mut().speed = s,
                Action::RunFor(target) => player.borrow_mut().start_run(target, now_real_ms()),
                Action::CancelRun => player.borrow_mut().cancel_run(now_real_ms()),
                Action::Command(c) => player.borrow_mut().apply(c),
                Action::Reset(settings) if has_data(&data.borrow(), settings.preset) => {
                    rebuild(&player, settings, &data.borrow())
                }
                Action::Reset(settings) => {
                    let file = settings.preset.data_file().expect("only taxi and bids need data");
                    loading.set(Some(format!("Loading data/{file} …")));
                    let (player, redraw, data, loading, view_timing) =
                        (player.clone(), redraw.clone(), data.clone(), loading.clone(), view_timing.clone());
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
                        view_timing.set(ViewTiming { due: true, ..view_timing.get() });
                        redraw.force_update();
                    });
                }
            }
            redraw.force_update();
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
                // Even from a control: the focus is most likely on the run's own Cancel button.
                "Escape" => on_action.emit(Action::CancelRun),
                _ => {}
            }
        })
    };

    let p = player.borrow();
    let mut views = views.borrow_mut();
    let timing = view_timing.get();
    // Standing still (paused, or a run just ended), the views show where the clock stopped.
    let still = !p.playing && p.run.is_none();
    if timing.due || still || views.is_none() {
        view_timing.set(ViewTiming { due: false, started_ms: now_real_ms(), measuring: true, ..timing });
        *views = Some(ViewData::take(&p));
    }
    let ViewData { snapshot, key_names, history } = views.as_ref().expect("taken above");
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
                achieved_speed={p.achieved_speed}
                run={p.run}
                last_run={p.last_run}
                records_sent={snapshot.producers.iter().map(|v| v.records_sent).sum::<u64>()}
                now_ms={p.now_ms()}
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
                    <LagChart history={history.clone()} />
                    <EventLog snapshot={snapshot.clone()} />
                </section>
            </main>
        </div>
    }
}
