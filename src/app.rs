//! The page. Its address (`route`) picks what it shows: the playground (the control bar over two
//! panes, each showing one view chosen by its tabs), an embedding (`?embed=`: the chosen views
//! under a small bar), the course index, or an exercise beside the playground. All but the index
//! drive one simulation through `Player`, advanced on every animation frame. A share link (the
//! URL fragment) replays the run it was made from; taxi and bids fetch their CSV from `data/`
//! (once; it is never compiled in).

use crate::fetch;
use crate::player::{
    compare_guarantees, compare_protocols, Comparison, GuaranteeComparison, GuaranteeFaults, Knobs, LagPoint, Player,
    RunTarget, Speed, FRAME_BUDGET_MS,
};
use crate::progress::{Progress, State};
use crate::route::{self, Page, Route};
use crate::views::{
    charts::LagChart,
    cluster::ClusterPanel,
    config::ConfigBar,
    course::CourseIndex,
    dialogs::{EmbedDialog, ExportDialog, ShareDialog},
    events::EventLog,
    exercise::{CheckResult, ExercisePanel},
    groups::GroupPanel,
    guarantees::GuaranteesPanel,
    outcomes::OutcomePanel,
    partitions::PartitionPanel,
    pipeline::PipelinePanel,
    producer::ProducerPanel,
    rebalances::RebalancePanel,
    store::StorePanel,
    tools::ToolsPanel,
    windows::WindowPanel,
    ViewId,
};
use crate::widgets::tabs::Tabs;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use streamlab_engine::exercise::{ActionKind, Course, Evaluation, Exercise};
use streamlab_engine::export::{export, ExportFile, DEFAULT_MAX_RECORDS};
use streamlab_engine::scenario::WorkloadSpec;
use streamlab_engine::session::{Setup, TimedCommand};
use streamlab_engine::share::{self, SharedState};
use streamlab_engine::{Command, Datasets, Preset, Scenario, Snapshot};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

/// Real ms between two refreshes of the views while the clock runs at a chosen speed: what the
/// 50 ms tick used to give, smooth enough to watch records arrive one by one.
const VIEW_REFRESH_MS: f64 = 50.0;
/// Real ms between two refreshes of the views while the clock runs flat out (max, Run for):
/// refreshing every view costs about a frame's budget, which is better spent on the engine. The
/// clock and the progress bar still move every frame.
const FLAT_OUT_VIEW_REFRESH_MS: f64 = 250.0;
/// The two panes' names (in ids and test ids: `tab-pane1-events`).
const PANES: [&str; 2] = ["pane1", "pane2"];
/// The views the panes open on.
const DEFAULT_PANES: [ViewId; 2] = [ViewId::Partitions, ViewId::Groups];

/// What the views draw, taken from the player at a view refresh.
struct ViewData {
    snapshot: Rc<Snapshot>,
    key_names: Rc<Vec<String>>,
    history: Rc<Vec<LagPoint>>,
    setup: Rc<Setup>,
    scenario: Rc<Scenario>,
    /// The exercise's goal on the run, in exercise mode: evaluated at each refresh, as the
    /// views are (a summary report costs about as much as a snapshot).
    evaluation: Option<Rc<Evaluation>>,
    /// The run's last comparison of eager and cooperative rebalancing.
    comparison: Option<Rc<Comparison>>,
    /// Whether a comparison is under way.
    comparing: bool,
    /// The last comparison of the three delivery guarantees, and whether one is under way.
    guarantees: Option<Rc<GuaranteeComparison>>,
    comparing_guarantees: bool,
}

impl ViewData {
    fn take(p: &Player, exercise: Option<&Exercise>) -> ViewData {
        ViewData {
            snapshot: Rc::new(p.snapshot()),
            key_names: Rc::new((0..p.key_count().min(16) as u32).map(|k| p.key_name(k)).collect()),
            history: Rc::new(p.history.clone()),
            setup: Rc::new(p.setup.clone()),
            scenario: Rc::new(p.scenario().clone()),
            evaluation: exercise.map(|e| Rc::new(e.goal.evaluate(&p.metrics()))),
            comparison: p.comparison.clone(),
            comparing: p.comparing,
            guarantees: p.guarantees.clone(),
            comparing_guarantees: p.comparing_guarantees,
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

/// What the control bar, the views and the exercise panel may ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    TogglePlay,
    Step,
    SetSpeed(Speed),
    /// Start a "Run for …" fast-forward.
    RunFor(RunTarget),
    /// Stop the fast-forward under way.
    CancelRun,
    /// Start a new run with the playground's knobs changed.
    Configure(Knobs),
    /// Start a new run of this setup (an exercise's, with the learner's settings).
    Restart(Setup),
    Command(Command),
    /// Evaluate the exercise's goal now and record the outcome.
    Check,
    /// Run this run again headless with eager and with cooperative rebalancing, to now or to
    /// the end, for the Rebalances view.
    CompareProtocols {
        to_end: bool,
    },
    /// Run this run again headless as a pipeline under each delivery guarantee, with these
    /// faults, to the end, for the Guarantees view.
    CompareGuarantees(GuaranteeFaults),
}

/// The page's clock, ms: the time base of animation frames, so the two can be compared.
fn now_real_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Resolves after `ms` real ms (a timer of the page), so that the browser can render meanwhile.
async fn pause_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
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

/// A run to start: a setup, the user's commands to replay at their times, where to replay them
/// to (simulated ms; 0 starts at the beginning), and whether to play on from there.
struct Launch {
    setup: Setup,
    commands: Vec<TimedCommand>,
    at_ms: u64,
    play: bool,
}

impl Launch {
    fn fresh(setup: Setup) -> Launch {
        Launch { setup, commands: vec![], at_ms: 0, play: false }
    }
}

/// What starting a run needs: the player, the data sets fetched so far, and how to show that
/// something changed.
#[derive(Clone)]
struct Lab {
    player: Rc<RefCell<Player>>,
    data: Rc<RefCell<Datasets>>,
    loading: UseStateHandle<Option<String>>,
    timing: Rc<Cell<ViewTiming>>,
    redraw: UseForceUpdateHandle,
}

impl Lab {
    /// Redraws with fresh views.
    fn refresh(&self) {
        self.timing.set(ViewTiming { due: true, ..self.timing.get() });
        self.redraw.force_update();
    }

    /// Starts `launch`, once the CSV files its setup reads are fetched.
    fn launch(&self, launch: Launch) {
        let missing: Vec<&'static str> = match launch.setup.data_files() {
            Ok(files) => files.into_iter().filter(|f| !self.data.borrow().has(f)).collect(),
            Err(e) => {
                self.player.borrow_mut().last_error = Some(e.to_string());
                return self.refresh();
            }
        };
        if missing.is_empty() {
            self.rebuild(launch);
            return self.refresh();
        }
        self.loading.set(Some(format!("Loading data/{} …", missing.join(", data/"))));
        let lab = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            for file in missing {
                match fetch::text(&format!("data/{file}")).await {
                    Ok(text) => {
                        lab.data.borrow_mut().set(file, text);
                    }
                    Err(e) => {
                        lab.player.borrow_mut().last_error = Some(format!("Could not load {e}"));
                        lab.loading.set(None);
                        return lab.refresh();
                    }
                }
            }
            lab.rebuild(launch);
            lab.loading.set(None);
            lab.refresh();
        });
    }

    /// Replaces the run with `launch`'s (the data must be loaded), keeping the speed.
    fn rebuild(&self, launch: Launch) {
        let mut p = self.player.borrow_mut();
        match Player::replaying(launch.setup, launch.commands, &self.data.borrow()) {
            Ok(mut new) => {
                new.speed = p.speed;
                if launch.at_ms > 0 {
                    // A fast-forward, with its progress bar: a long shared run replays without
                    // freezing the page.
                    new.start_run(RunTarget::For(launch.at_ms), now_real_ms());
                }
                // During a replay this plays on after it.
                new.playing = launch.play;
                *p = new;
            }
            Err(e) => p.last_error = Some(e.to_string()),
        }
    }
}

/// The page's address parts: location's origin + path, query string and fragment.
fn location() -> (String, String, String) {
    let Some(l) = web_sys::window().map(|w| w.location()) else { return Default::default() };
    let base = format!("{}{}", l.origin().unwrap_or_default(), l.pathname().unwrap_or_default());
    (base, l.search().unwrap_or_default(), l.hash().unwrap_or_default())
}

/// The exercise of an exercise page, as it loads.
#[derive(Debug, Clone, PartialEq)]
enum Lesson {
    /// Not an exercise page.
    None,
    Loading,
    Failed(String),
    Ready(Rc<Exercise>),
}

impl Lesson {
    fn exercise(&self) -> Option<&Rc<Exercise>> {
        match self {
            Lesson::Ready(e) => Some(e),
            _ => None,
        }
    }
}

/// Which dialog is open.
#[derive(Debug, Clone, PartialEq)]
enum Dialog {
    /// The share link.
    Share(String),
    /// The `<iframe>` snippet; holds the share fragment.
    Embed(String),
    /// The files that replay the run's scenario on a real cluster, or why there are none.
    Export(Rc<Result<Vec<ExportFile>, String>>),
}

/// The run's state as a share link's fragment.
fn shared_fragment(p: &Player, exercise: Option<&Exercise>) -> String {
    share::encode(&SharedState {
        exercise: exercise.map(|e| e.id.clone()),
        setup: p.setup.clone(),
        commands: p.commands().to_vec(),
        at_ms: p.now_ms(),
    })
}

/// Fetches and checks `exercises/<id>.json`; errors name the file and the field.
async fn load_exercise(id: &str) -> Result<Exercise, String> {
    let path = format!("exercises/{id}.json");
    let text = fetch::text(&path).await.map_err(|e| format!("Could not load {e}"))?;
    let exercise = Exercise::from_json(text.as_bytes()).map_err(|e| format!("{path}: {e}"))?;
    if exercise.id != id {
        return Err(format!("{path}: id: must be \"{id}\", the file's name, got \"{}\"", exercise.id));
    }
    Ok(exercise)
}

/// Where an exercise's run starts: at its beginning, or where a share link of it stood, if the
/// link is of this exercise and changes only what the exercise allows.
fn exercise_launch(exercise: &Exercise, shared: Option<SharedState>, autoplay: bool) -> Result<Launch, String> {
    let Some(s) = shared else { return Ok(Launch { play: autoplay, ..Launch::fresh(exercise.start.clone()) }) };
    if s.exercise.as_deref() != Some(exercise.id.as_str()) {
        return Err(format!("share link: exercise: the link is not of exercise \"{}\"", exercise.id));
    }
    exercise.admits(&s.setup, &s.commands).map_err(|e| format!("share link: {e}"))?;
    Ok(Launch { setup: s.setup, commands: s.commands, at_ms: s.at_ms, play: autoplay })
}

/// The views an exercise's panes open on: those its `views` names, then those the playground
/// opens on.
fn exercise_panes(exercise: &Exercise) -> [ViewId; 2] {
    let mut views: Vec<ViewId> = exercise.views.iter().filter_map(|v| ViewId::from_name(v)).collect();
    for v in DEFAULT_PANES {
        if !views.contains(&v) {
            views.push(v);
        }
    }
    [views[0], views[1]]
}

/// Where exercise `id` sits in the course (its module, its place there) and a link to the next
/// exercise; nothing when the course does not list it.
fn course_position(course: Option<&Course>, id: &str) -> Html {
    let Some(course) = course else { return html! {} };
    let Some(module) = course.module_of(id) else { return html! {} };
    let at = module.exercises.iter().position(|e| e == id).unwrap_or(0);
    let all: Vec<&String> = course.modules.iter().flat_map(|m| &m.exercises).collect();
    let next = all.iter().position(|e| *e == id).and_then(|i| all.get(i + 1));
    html! {
        <span class="course-position">
            {format!("{} · {} of {}", module.title, at + 1, module.exercises.len())}
            if let Some(next) = next {
                {" · "}<a href={format!("?exercise={next}")} data-testid="next-exercise">{"Next exercise →"}</a>
            }
        </span>
    }
}

/// The page: the course index, or the playground in the mode the address asks for.
#[function_component(App)]
pub fn app() -> Html {
    let route = use_memo((), |_| route::parse(&location().1));
    match route.page {
        Page::Course => html! { <CourseIndex notices={route.errors.clone()} /> },
        _ => html! { <Playground route={(*route).clone()} /> },
    }
}

#[derive(Properties, PartialEq)]
struct PlaygroundProps {
    route: Route,
}

/// One view, drawn alone from the data of the last refresh.
fn view(id: ViewId, v: &ViewData, on_action: &Callback<Action>, allowed: &Option<Rc<Vec<ActionKind>>>) -> Html {
    let snapshot = v.snapshot.clone();
    match id {
        ViewId::Partitions => html! { <PartitionPanel {snapshot} key_names={v.key_names.clone()} /> },
        ViewId::Cluster => {
            html! { <ClusterPanel {snapshot} on_action={on_action.clone()} allowed={allowed.clone()} /> }
        }
        ViewId::Groups => html! {
            <GroupPanel {snapshot} on_action={on_action.clone()} allowed={allowed.clone()} scenario={v.scenario.clone()} />
        },
        ViewId::Rebalances => {
            html! {
                <RebalancePanel {snapshot} comparison={v.comparison.clone()} comparing={v.comparing} on_action={on_action.clone()} />
            }
        }
        ViewId::Tools => html! { <ToolsPanel {snapshot} key_names={v.key_names.clone()} /> },
        ViewId::Guarantees => html! {
            <GuaranteesPanel comparison={v.guarantees.clone()} comparing={v.comparing_guarantees} on_action={on_action.clone()} />
        },
        ViewId::Windows => html! {
            <WindowPanel {snapshot} setup={v.setup.clone()} scenario={v.scenario.clone()} on_action={on_action.clone()} allowed={allowed.clone()} />
        },
        ViewId::Outcomes => html! { <OutcomePanel {snapshot} /> },
        ViewId::Store => html! {
            <StorePanel {snapshot} setup={v.setup.clone()} scenario={v.scenario.clone()} on_action={on_action.clone()} allowed={allowed.clone()} />
        },
        ViewId::Pipeline => html! {
            <PipelinePanel {snapshot} setup={v.setup.clone()} on_action={on_action.clone()} allowed={allowed.clone()} />
        },
        ViewId::Producer => html! {
            <ProducerPanel {snapshot} setup={v.setup.clone()} on_action={on_action.clone()} allowed={allowed.clone()} />
        },
        ViewId::Lag => html! { <LagChart history={v.history.clone()} {snapshot} /> },
        ViewId::Events => html! { <EventLog {snapshot} /> },
    }
}

/// What the run streams, in words.
fn source(scenario: &Scenario) -> Html {
    match scenario.producers.first().map(|p| &p.workload) {
        Some(WorkloadSpec::Iot { devices, interval_ms, .. }) => html! { <>{format!(
            "{devices} simulated IoT sensors, one reading every {} s each, keyed by device id",
            *interval_ms as f64 / 1000.0
        )}</> },
        Some(WorkloadSpec::Taxi { rate_per_s }) => html! { <>
            {"NYC TLC yellow-taxi trips, January 2019 (NYC Taxi & Limousine Commission, TLC Trip Record Data), keyed by "}
            <code>{"PULocationID"}</code>{format!(", {rate_per_s} trips a second. Event time is the pickup time, a New York wall-clock time read as if it were UTC.")}
        </> },
        Some(WorkloadSpec::Bids { rate_per_s }) => html! { <>
            {"eBay auction bids (Jank & Shmueli, Modeling Online Auctions), keyed by "}<code>{"auctionid"}</code>
            {format!(", {rate_per_s} bids a second. Event time: every auction opens at 2001-01-04 00:00 UTC plus the bid's bidtime in days.")}
        </> },
        Some(WorkloadSpec::Flood { records, .. }) => {
            html! { <>{format!("{records} records sent as fast as the producer takes them")}</> }
        }
        None => html! { <>{"no producer"}</> },
    }
}

/// The playground, an embedding or an exercise: one simulation and the chrome around its views.
#[function_component(Playground)]
fn playground(props: &PlaygroundProps) -> Html {
    let route = &props.route;
    let data = use_mut_ref(Datasets::default);
    let player =
        use_mut_ref(|| Player::new(Setup::preset(Preset::Iot), &Datasets::default()).expect("the IoT preset is valid"));
    let redraw = use_force_update();
    let loading = use_state(|| None::<String>);
    let views = use_mut_ref(|| None::<ViewData>);
    let view_timing: Rc<Cell<ViewTiming>> = (*use_memo((), |_| Rc::new(Cell::new(ViewTiming::default())))).clone();
    let panes = use_state(|| DEFAULT_PANES);
    let dialog = use_state(|| None::<Dialog>);
    // Problems with the address or the share link: shown as text above the views.
    let notices = use_mut_ref(|| route.errors.clone());
    let lesson = use_state(|| if matches!(route.page, Page::Exercise(_)) { Lesson::Loading } else { Lesson::None });
    let progress = use_state(|| State::NotStarted);
    let checked = use_state(|| None::<CheckResult>);
    // The course, in exercise mode: where the exercise sits in it, and which comes next.
    let course = use_state(|| None::<Rc<Course>>);
    let lab = Lab {
        player: player.clone(),
        data: data.clone(),
        loading: loading.clone(),
        timing: view_timing.clone(),
        redraw: redraw.clone(),
    };

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
    {
        // What the address asks for: the share link's run, the exercise, the speed.
        let (lab, route, notices, lesson, progress, panes, course) = (
            lab.clone(),
            route.clone(),
            notices.clone(),
            lesson.clone(),
            progress.clone(),
            panes.clone(),
            course.clone(),
        );
        use_effect_with((), move |_| {
            if let Some(speed) = route.speed {
                lab.player.borrow_mut().speed = speed;
            }
            let fragment = location().2;
            let fragment = fragment.trim_start_matches('#');
            let shared = if fragment.is_empty() {
                None
            } else {
                share::decode(fragment)
                    .map_err(|e| notices.borrow_mut().push(format!("{e}. The run starts from the beginning instead.")))
                    .ok()
            };
            match route.page {
                Page::Exercise(id) => wasm_bindgen_futures::spawn_local(async move {
                    match load_exercise(&id).await {
                        Ok(exercise) => {
                            let start = exercise_launch(&exercise, shared, route.autoplay).unwrap_or_else(|e| {
                                notices
                                    .borrow_mut()
                                    .push(format!("{e}. The exercise starts from the beginning instead."));
                                Launch::fresh(exercise.start.clone())
                            });
                            progress.set(Progress::load().get(&id));
                            panes.set(exercise_panes(&exercise));
                            lesson.set(Lesson::Ready(Rc::new(exercise)));
                            lab.launch(start);
                        }
                        Err(e) => return lesson.set(Lesson::Failed(e)),
                    }
                    // The course only says where the exercise sits and what comes next: if it does
                    // not load, the header goes without that line and the exercise works the same.
                    if let Ok(text) = fetch::text("exercises/course.json").await {
                        course.set(Course::from_json(text.as_bytes()).ok().map(Rc::new));
                    }
                }),
                _ => match shared {
                    Some(s) => lab.launch(Launch {
                        setup: s.setup,
                        commands: s.commands,
                        at_ms: s.at_ms,
                        play: route.autoplay,
                    }),
                    None => {
                        lab.player.borrow_mut().playing = route.autoplay;
                        lab.refresh();
                    }
                },
            }
        });
    }

    let exercise = lesson.exercise().cloned();
    let on_action = {
        let (lab, exercise, progress, checked) = (lab.clone(), exercise.clone(), progress.clone(), checked.clone());
        Callback::from(move |action: Action| {
            let mark_tried = |progress: &UseStateHandle<State>| {
                if let Some(e) = &exercise {
                    progress.set(Progress::record(&e.id, State::Tried).get(&e.id));
                }
            };
            match action {
                Action::TogglePlay => {
                    let mut p = lab.player.borrow_mut();
                    p.playing = !p.playing;
                }
                Action::Step => lab.player.borrow_mut().advance(100),
                Action::SetSpeed(s) => lab.player.borrow_mut().speed = s,
                Action::RunFor(target) => lab.player.borrow_mut().start_run(target, now_real_ms()),
                Action::CancelRun => lab.player.borrow_mut().cancel_run(now_real_ms()),
                Action::Command(c) => {
                    lab.player.borrow_mut().apply(c);
                    mark_tried(&progress);
                }
                Action::Configure(knobs) => {
                    let setup = knobs.apply(&lab.player.borrow().setup);
                    lab.launch(Launch::fresh(setup));
                }
                Action::Restart(setup) => {
                    checked.set(None);
                    mark_tried(&progress);
                    lab.launch(Launch::fresh(setup));
                }
                Action::CompareProtocols { to_end } => {
                    lab.player.borrow_mut().comparing = true;
                    let lab = lab.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        // The two runs hold the thread: first let the page say that they are under way.
                        pause_ms(50).await;
                        let (setup, commands, until_ms) = {
                            let p = lab.player.borrow();
                            (p.setup.clone(), p.commands().to_vec(), (!to_end).then(|| p.now_ms()))
                        };
                        let started = now_real_ms();
                        let mut comparison = compare_protocols(&setup, &commands, &lab.data.borrow(), until_ms);
                        comparison.took_ms = now_real_ms() - started;
                        {
                            let mut p = lab.player.borrow_mut();
                            // A run started meanwhile (Reset, a new stream) is not the one compared.
                            if p.comparing {
                                p.comparison = Some(Rc::new(comparison));
                                p.comparing = false;
                            }
                        }
                        lab.refresh();
                    });
                }
                Action::CompareGuarantees(faults) => {
                    lab.player.borrow_mut().comparing_guarantees = true;
                    let lab = lab.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        // The three runs hold the thread: first let the page say that they are under way.
                        pause_ms(50).await;
                        let (setup, commands) = {
                            let p = lab.player.borrow();
                            (p.setup.clone(), p.commands().to_vec())
                        };
                        let started = now_real_ms();
                        let mut comparison = compare_guarantees(&setup, &commands, &lab.data.borrow(), faults);
                        comparison.took_ms = now_real_ms() - started;
                        {
                            let mut p = lab.player.borrow_mut();
                            if p.comparing_guarantees {
                                p.guarantees = Some(Rc::new(comparison));
                                p.comparing_guarantees = false;
                            }
                        }
                        lab.refresh();
                    });
                }
                Action::Check => {
                    if let Some(e) = &exercise {
                        let p = lab.player.borrow();
                        let evaluation = Rc::new(e.goal.evaluate(&p.metrics()));
                        let state = if evaluation.met { State::Solved } else { State::Tried };
                        progress.set(Progress::record(&e.id, state).get(&e.id));
                        checked.set(Some(CheckResult { at_ms: p.now_ms(), evaluation }));
                    }
                }
            }
            // The views show what the user did at once.
            lab.refresh();
        })
    };

    let onkeydown = {
        let on_action = on_action.clone();
        Callback::from(move |e: KeyboardEvent| {
            let in_control = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()).is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "BUTTON" | "SUMMARY" | "TEXTAREA" | "A")
            });
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
    let stale = views.as_ref().is_some_and(|v| v.evaluation.is_some() != exercise.is_some());
    if timing.due || still || stale || views.is_none() {
        view_timing.set(ViewTiming { due: false, started_ms: now_real_ms(), measuring: true, ..timing });
        *views = Some(ViewData::take(&p, exercise.as_deref()));
    }
    let v = views.as_ref().expect("taken above");
    let met = v.evaluation.as_ref().is_some_and(|e| e.met);
    {
        // A goal met is an exercise solved, whether Check was pressed or not.
        let (exercise, progress) = (exercise.clone(), progress.clone());
        use_effect_with(met, move |met| {
            if let (true, Some(e)) = (*met, exercise) {
                progress.set(Progress::record(&e.id, State::Solved).get(&e.id));
            }
        });
    }

    let config_bar = |knobs: Option<Knobs>, compact: bool| {
        html! {
            <ConfigBar
                playing={p.playing}
                speed={p.speed}
                achieved_speed={p.achieved_speed}
                run={p.run}
                last_run={p.last_run}
                records_sent={v.snapshot.producers.iter().map(|v| v.records_sent).sum::<u64>()}
                now_ms={p.now_ms()}
                {knobs}
                {compact}
                trace_hash={format!("{:016x}", p.trace_hash())}
                error={p.last_error.clone()}
                loading={(*loading).clone()}
                on_action={on_action.clone()}
            />
        }
    };
    let allowed = exercise.as_ref().map(|e| Rc::new(e.allowed.actions.clone()));
    let workspace = |class: &'static str| {
        let tabs: Vec<(&'static str, &'static str)> = ViewId::ALL.iter().map(|v| (v.name(), v.title())).collect();
        html! {
            <main class={classes!("workspace", class)}>
                { for PANES.iter().enumerate().map(|(i, pane)| {
                    let on_select = {
                        let panes = panes.clone();
                        Callback::from(move |name: &'static str| {
                            let Some(chosen) = ViewId::from_name(name) else { return };
                            let mut next = *panes;
                            // A view shows in one pane at a time: picking the other pane's view swaps them.
                            if let Some(j) = next.iter().position(|v| *v == chosen) {
                                next.swap(i, j);
                            } else {
                                next[i] = chosen;
                            }
                            panes.set(next);
                        })
                    };
                    html! {
                        <section class="pane" aria-label={format!("pane {}", i + 1)}>
                            <Tabs id={*pane} label={if i == 0 { "first pane: view" } else { "second pane: view" }}
                                tabs={tabs.clone()} selected={panes[i].name()} {on_select}>
                                {view(panes[i], v, &on_action, &allowed)}
                            </Tabs>
                        </section>
                    }
                }) }
            </main>
        }
    };
    let notice_list = html! {
        { for notices.borrow().iter().map(|n| html! { <p class="error notice" role="alert" data-testid="notice">{n}</p> }) }
    };
    let close_dialog = {
        let dialog = dialog.clone();
        Callback::from(move |()| dialog.set(None))
    };
    let (base, search, _) = location();
    let dialog_html = match &*dialog {
        Some(Dialog::Share(fragment)) => html! {
            <ShareDialog url={format!("{base}{search}#{fragment}")} on_close={close_dialog} />
        },
        Some(Dialog::Export(files)) => html! { <ExportDialog files={files.clone()} on_close={close_dialog} /> },
        Some(Dialog::Embed(fragment)) => html! {
            <EmbedDialog base={base.clone()} views={Rc::new(panes.to_vec())} fragment={fragment.clone()} on_close={close_dialog} />
        },
        None => html! {},
    };
    let share = {
        let (player, dialog, exercise) = (player.clone(), dialog.clone(), exercise.clone());
        Callback::from(move |_| {
            let mut p = player.borrow_mut();
            // The link replays to this instant: the page stops there too, so that both show it.
            p.playing = false;
            p.cancel_run(now_real_ms());
            dialog.set(Some(Dialog::Share(shared_fragment(&p, exercise.as_deref()))));
        })
    };
    let export = {
        let (player, data, dialog) = (player.clone(), data.clone(), dialog.clone());
        Callback::from(move |_| {
            let files =
                export(player.borrow().scenario(), &data.borrow(), DEFAULT_MAX_RECORDS).map_err(|e| e.to_string());
            dialog.set(Some(Dialog::Export(Rc::new(files))));
        })
    };
    let embed = {
        let (player, dialog) = (player.clone(), dialog.clone());
        Callback::from(move |_| dialog.set(Some(Dialog::Embed(shared_fragment(&player.borrow(), None)))))
    };

    match &route.page {
        Page::Embed(chosen) => html! {
            <div class="app embed" tabindex="0" {onkeydown}>
                {config_bar(None, true)}
                {notice_list}
                <main class="embed-views">
                    { for chosen.iter().map(|id| html! {
                        <div class="embed-view" data-testid={format!("embed-{}", id.name())}>{view(*id, v, &on_action, &None)}</div>
                    }) }
                </main>
                <p class="embed-credit"><a href={format!("{base}{}", location().2)} target="_blank" rel="noopener">{"Open in StreamLab ↗"}</a></p>
            </div>
        },
        Page::Exercise(id) => html! {
            <div class="app exercise-mode" tabindex="0" {onkeydown}>
                <header class="top">
                    <nav class="crumbs"><a href="?course" data-testid="course-link">{"← Course"}</a></nav>
                    <h1 id="exercise-title">{ match &*lesson {
                        Lesson::Ready(e) => e.title.clone(),
                        _ => format!("Exercise {id}"),
                    } }</h1>
                    <span class={classes!("badge", progress.name().replace(' ', "-"))} data-testid="exercise-state">{progress.name()}</span>
                    { course_position(course.as_deref(), id) }
                    <nav class="page-actions">
                        <button onclick={share.clone()} data-testid="share" title="a link that replays this run to this instant">{"Share"}</button>
                        <button onclick={export.clone()} data-testid="export" title="files that replay this scenario on a real Kafka cluster">{"Export"}</button>
                    </nav>
                </header>
                {notice_list}
                { match (&*lesson, &v.evaluation) {
                    (Lesson::Ready(e), Some(evaluation)) => {
                        let group = v.snapshot.groups.first();
                        let members: Vec<String> = group.map(|g| g.members.iter()
                            .filter(|m| m.state != "Crashed" && m.state != "Closed")
                            .map(|m| m.client_id.clone()).collect()).unwrap_or_default();
                        html! {
                            <div class="exercise-layout">
                                <ExercisePanel exercise={e.clone()} setup={v.setup.clone()} scenario={v.scenario.clone()}
                                    evaluation={evaluation.clone()} checked={(*checked).clone()}
                                    group_id={group.map(|g| g.group_id.clone()).unwrap_or_default()}
                                    members={Rc::new(members)} progress={*progress} on_action={on_action.clone()} />
                                <div class="lab">
                                    {config_bar(None, false)}
                                    {workspace("stacked")}
                                </div>
                            </div>
                        }
                    }
                    (Lesson::Failed(e), _) => html! {
                        <p class="error" role="alert" data-testid="exercise-error">{e}</p>
                    },
                    _ => html! { <p role="status">{"Loading the exercise …"}</p> },
                } }
                {dialog_html}
            </div>
        },
        _ => html! {
            <div class="app" tabindex="0" {onkeydown}>
                <header class="top">
                    <div class="brand">
                        <h1>{"StreamLab"}</h1>
                        <p class="tagline">{source(&v.scenario)}{" → topic "}<code>{p.topic()}</code>{" → consumer group "}<code>{"g1"}</code>
                            if p.dead_letters() > 0 { {format!(" · {} unreadable rows went to the dead-letter list", p.dead_letters())} }
                        </p>
                    </div>
                    <nav class="page-actions" aria-label="page">
                        <a href="?course" data-testid="course-link">{"Course"}</a>
                        <button onclick={share} data-testid="share" title="a link that replays this run to this instant">{"Share"}</button>
                        <button onclick={embed} data-testid="embed" title="an <iframe> showing the two views of this page">{"Embed"}</button>
                        <button onclick={export} data-testid="export" title="files that replay this scenario on a real Kafka cluster">{"Export"}</button>
                    </nav>
                </header>
                {notice_list}
                {config_bar(Some(p.knobs()), false)}
                {workspace("side-by-side")}
                {dialog_html}
            </div>
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(id: &str) -> Exercise {
        let path = format!("{}/static/exercises/{id}.json", env!("CARGO_MANIFEST_DIR"));
        Exercise::from_json(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn an_exercise_opens_on_the_views_it_names() {
        assert_eq!(exercise_panes(&exercise("late-taxi-trips")), [ViewId::Windows, ViewId::Outcomes]);
        assert_eq!(exercise_panes(&exercise("keep-up-with-the-stream")), [ViewId::Lag, ViewId::Groups]);
        assert_eq!(exercise_panes(&exercise("idle-consumers")), [ViewId::Groups, ViewId::Partitions]);
    }

    #[test]
    fn a_shared_run_opens_in_its_exercise_only() {
        let ex = exercise("idle-consumers");
        assert!(exercise_launch(&ex, None, true).is_ok_and(|l| l.play && l.setup == ex.start && l.at_ms == 0));
        let state = |id: Option<&str>| SharedState {
            exercise: id.map(str::to_string),
            setup: ex.start.clone(),
            commands: vec![],
            at_ms: 5_000,
        };
        assert!(exercise_launch(&ex, Some(state(Some("idle-consumers"))), false).is_ok_and(|l| l.at_ms == 5_000));
        for other in [None, Some("late-taxi-trips")] {
            assert_eq!(
                exercise_launch(&ex, Some(state(other)), false).err(),
                Some("share link: exercise: the link is not of exercise \"idle-consumers\"".to_string())
            );
        }
    }
}
