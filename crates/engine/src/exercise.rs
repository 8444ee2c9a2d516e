//! Exercises: a story, a starting setup, the settings and actions a learner may change, a goal
//! over the run's [`Metrics`], hints, an explanation and a reference solution, read from JSON
//! (`static/exercises/<id>.json`, documented in `docs/exercises.md`). Goals are data, never code:
//! predicates over metric paths, combined with `all`, `any` and `not`.
//!
//! An exercise is untrusted input: it is capped in size, every field is checked, and errors name
//! the field path. Its text is Markdown the page renders with raw HTML disabled.

use crate::metrics::{pattern_of, Metrics, METRICS};
use crate::scenario::{cut, err, Scenario, ScenarioError};
use crate::session::{apply_settings, check_commands, is_setting, short, Script, Settings, Setup, TimedCommand};
use crate::sim::TraceEvent;
use crate::simulation::Datasets;
use crate::Command;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The largest exercise or course JSON accepted, in bytes.
pub const MAX_EXERCISE_BYTES: usize = 256 * 1024;
/// The longest Markdown text of one field (story, instructions, a hint, the explanation), in
/// characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// The most predicates a goal may hold, and how deep `all` / `any` / `not` may nest.
pub const MAX_PREDICATES: usize = 64;
pub const MAX_GOAL_DEPTH: usize = 8;
/// The page's views an exercise may open its two panes on (`"views": ["groups", "outcomes"]`).
pub const VIEWS: [&str; 10] =
    ["partitions", "cluster", "groups", "windows", "outcomes", "producer", "lag", "events", "store", "pipeline"];
/// The comparison operators of a metric predicate.
pub const OPERATORS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];

/// Checks an id: 1 to 64 characters of `a-z`, `0-9` and `-`.
pub fn check_id(path: &str, id: &str) -> Result<(), ScenarioError> {
    let ok =
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        err(path, format!("must be 1 to 64 characters of a-z, 0-9 and '-', got {:?}", cut(id)))
    }
}

fn check_text(path: &str, text: &str, min: usize, max: usize) -> Result<(), ScenarioError> {
    let n = text.chars().count();
    if (min..=max).contains(&n) {
        Ok(())
    } else {
        err(path, format!("must be {min} to {max} characters, got {n}"))
    }
}

/// Parses JSON text of at most [`MAX_EXERCISE_BYTES`], naming the field of any error.
fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ScenarioError> {
    if bytes.len() > MAX_EXERCISE_BYTES {
        return err(what, format!("must be at most {MAX_EXERCISE_BYTES} bytes of JSON, got {} bytes", bytes.len()));
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return err(what, "must be UTF-8 text, but holds bytes that are not");
    };
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." || path == "?" { what.to_string() } else { cut(&path) };
        ScenarioError { path, message: e.into_inner().to_string() }
    })
}

/// How far a learner may change a setting: a range of whole numbers, or a list of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowance {
    /// What the page calls the control (default: the setting's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

impl Allowance {
    /// Whether `v` is within the allowance.
    pub fn admits(&self, v: &Value) -> bool {
        match (&self.values, self.min, self.max) {
            (Some(values), _, _) => values.contains(v),
            (None, Some(min), Some(max)) => v.as_u64().is_some_and(|n| (min..=max).contains(&n)),
            _ => false,
        }
    }

    /// The allowance as an error shows it: `1 to 12`, or `one of "auto", "after_processing"`.
    pub fn describe(&self) -> String {
        match (&self.values, self.min, self.max) {
            (Some(values), _, _) => {
                format!("one of {}", values.iter().map(Value::to_string).collect::<Vec<_>>().join(", "))
            }
            (None, Some(min), Some(max)) => format!("{min} to {max}"),
            _ => "nothing".into(),
        }
    }
}

/// An action a learner may take while the run plays: a [`Command`] type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    CrashConsumer,
    CloseConsumer,
    AddConsumer,
    CrashBroker,
    PowerOffBroker,
    RestartBroker,
    Isolate,
    Heal,
    SlowLink,
    ElectPreferredLeaders,
    RestartConsumer,
    PauseConsumer,
    CreatePartitions,
    CreateTopic,
    DeleteTopic,
    SeekConsumer,
    LinkFault,
    CrashProducer,
}

impl ActionKind {
    /// The kind of `command`.
    pub fn of(command: &Command) -> ActionKind {
        match command {
            Command::CrashConsumer { .. } => ActionKind::CrashConsumer,
            Command::CloseConsumer { .. } => ActionKind::CloseConsumer,
            Command::AddConsumer { .. } => ActionKind::AddConsumer,
            Command::CrashBroker { .. } => ActionKind::CrashBroker,
            Command::PowerOffBroker { .. } => ActionKind::PowerOffBroker,
            Command::RestartBroker { .. } => ActionKind::RestartBroker,
            Command::Isolate { .. } => ActionKind::Isolate,
            Command::Heal { .. } => ActionKind::Heal,
            Command::SlowLink { .. } => ActionKind::SlowLink,
            Command::ElectPreferredLeaders => ActionKind::ElectPreferredLeaders,
            Command::CrashLeader { .. } => ActionKind::CrashBroker,
            Command::RestartConsumer { .. } => ActionKind::RestartConsumer,
            Command::PauseConsumer { .. } => ActionKind::PauseConsumer,
            Command::CreatePartitions { .. } => ActionKind::CreatePartitions,
            Command::CreateTopic { .. } => ActionKind::CreateTopic,
            Command::DeleteTopic { .. } => ActionKind::DeleteTopic,
            Command::SeekConsumer { .. } => ActionKind::SeekConsumer,
            Command::LinkFault { .. } => ActionKind::LinkFault,
            Command::CrashProducer { .. } => ActionKind::CrashProducer,
        }
    }

    /// Its name in JSON: `crash_consumer`.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::CrashConsumer => "crash_consumer",
            ActionKind::CloseConsumer => "close_consumer",
            ActionKind::AddConsumer => "add_consumer",
            ActionKind::CrashBroker => "crash_broker",
            ActionKind::PowerOffBroker => "power_off_broker",
            ActionKind::RestartBroker => "restart_broker",
            ActionKind::Isolate => "isolate",
            ActionKind::Heal => "heal",
            ActionKind::SlowLink => "slow_link",
            ActionKind::ElectPreferredLeaders => "elect_preferred_leaders",
            ActionKind::RestartConsumer => "restart_consumer",
            ActionKind::PauseConsumer => "pause_consumer",
            ActionKind::CreatePartitions => "create_partitions",
            ActionKind::CreateTopic => "create_topic",
            ActionKind::DeleteTopic => "delete_topic",
            ActionKind::SeekConsumer => "seek_consumer",
            ActionKind::LinkFault => "link_fault",
            ActionKind::CrashProducer => "crash_producer",
        }
    }
}

/// What the learner may change: settings (by name, see `session::SETTINGS`) within their
/// allowance, and actions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowed {
    #[serde(default)]
    pub settings: BTreeMap<String, Allowance>,
    #[serde(default)]
    pub actions: Vec<ActionKind>,
}

/// The reference solution: the settings it changes and the commands it applies, with their times.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Solution {
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub commands: Vec<TimedCommand>,
}

/// A comparison operator, one of [`OPERATORS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => return None,
        })
    }

    /// Its symbol: `<=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        }
    }
}

/// A goal: predicates over the run's metrics.
///
/// JSON: `{"metric": "groups.g1.lost", "op": "==", "value": 0}`, `{"happened":
/// "consumer_crashed"}` (the same as `events.consumer_crashed > 0`), `{"all": [...]}`, `{"any":
/// [...]}`, `{"not": goal}`. A predicate may carry a `"label"`, the text the checklist shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Goal {
    All(Vec<Goal>),
    Any(Vec<Goal>),
    Not(Box<Goal>),
    Metric { metric: String, op: Op, value: f64, label: Option<String> },
    Happened { kind: String, label: Option<String> },
}

/// One predicate of a goal as the checklist shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredicateResult {
    /// Its label, or `groups.g1.lost == 0` / `consumer_crashed happened`, with `not ` before it
    /// under a `not`.
    pub label: String,
    /// The metric's value now; `None` when the run has no such metric (yet).
    pub value: Option<f64>,
    /// Whether it holds (a predicate under `not` holds when its inner one does not).
    pub met: bool,
}

/// A goal evaluated on a run's metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Whether the whole goal holds.
    pub met: bool,
    /// Every predicate, in the order the goal lists them.
    pub predicates: Vec<PredicateResult>,
}

/// Checks that metric `path` follows a metric pattern whose placeholder names something of
/// scenario `s`; errors name `at`.
fn check_metric(s: &Scenario, at: &str, path: &str) -> Result<(), ScenarioError> {
    let Some((pattern, name)) = pattern_of(path) else {
        return err(
            at,
            format!("unknown metric \"{}\"; the metrics are {} (see docs/exercises.md)", cut(path), metric_list()),
        );
    };
    let known = match (pattern.split('.').next(), name) {
        (_, None) => true,
        (Some("topics"), Some(t)) => s.topics.iter().any(|x| x.name == t),
        (Some("groups"), Some(g)) => s.consumer_groups.iter().any(|x| x.group_id == g),
        (Some("partitions"), Some(p)) => p
            .rsplit_once('-')
            .is_some_and(|(t, n)| s.topics.iter().any(|x| x.name == t) && n.parse::<u32>().is_ok_and(|n| n < 1024)),
        _ => true,
    };
    if known {
        Ok(())
    } else {
        err(at, format!("names \"{}\", which is not in this exercise's scenario", cut(name.unwrap_or_default())))
    }
}

fn metric_list() -> String {
    METRICS.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", ")
}

impl Goal {
    /// Reads a goal from JSON, naming `path` in errors (`goal.all[1].op: must be one of ==, !=,
    /// <, <=, >, >=, got "=~"`).
    fn parse(v: &Value, path: &str, depth: usize, count: &mut usize) -> Result<Goal, ScenarioError> {
        if depth > MAX_GOAL_DEPTH {
            return err(path, format!("nests deeper than {MAX_GOAL_DEPTH} levels of all / any / not"));
        }
        let Some(obj) = v.as_object() else {
            return err(
                path,
                format!("must be an object such as {{\"metric\": ..., \"op\": ..., \"value\": ...}}, got {}", short(v)),
            );
        };
        let allowed_keys: &[&str] = if obj.contains_key("all") {
            &["all"]
        } else if obj.contains_key("any") {
            &["any"]
        } else if obj.contains_key("not") {
            &["not"]
        } else if obj.contains_key("happened") {
            &["happened", "label"]
        } else if obj.contains_key("metric") {
            &["metric", "op", "value", "label"]
        } else {
            return err(path, "must have one of the keys all, any, not, metric, happened");
        };
        if let Some(k) = obj.keys().find(|k| !allowed_keys.contains(&k.as_str())) {
            return err(
                format!("{path}.{}", cut(k)),
                format!("is not a field here; the fields are {}", allowed_keys.join(", ")),
            );
        }
        let label = match obj.get("label") {
            None => None,
            Some(Value::String(s)) => {
                check_text(&format!("{path}.label"), s, 1, 200)?;
                Some(s.clone())
            }
            Some(other) => return err(format!("{path}.label"), format!("must be text, got {}", short(other))),
        };
        let list = |key: &str, count: &mut usize| -> Result<Vec<Goal>, ScenarioError> {
            let p = format!("{path}.{key}");
            let Some(items) = obj[key].as_array().filter(|a| !a.is_empty()) else {
                return err(&p, format!("must be a non-empty list of goals, got {}", short(&obj[key])));
            };
            items.iter().enumerate().map(|(i, g)| Goal::parse(g, &format!("{p}[{i}]"), depth + 1, count)).collect()
        };
        if obj.contains_key("all") {
            return Ok(Goal::All(list("all", count)?));
        }
        if obj.contains_key("any") {
            return Ok(Goal::Any(list("any", count)?));
        }
        if let Some(inner) = obj.get("not") {
            return Ok(Goal::Not(Box::new(Goal::parse(inner, &format!("{path}.not"), depth + 1, count)?)));
        }
        *count += 1;
        if *count > MAX_PREDICATES {
            return err(path, format!("is one predicate too many: a goal holds at most {MAX_PREDICATES}"));
        }
        if let Some(kind) = obj.get("happened") {
            let p = format!("{path}.happened");
            return match kind.as_str() {
                Some(k) if TraceEvent::KINDS.contains(&k) => Ok(Goal::Happened { kind: k.to_string(), label }),
                _ => err(p, format!("must be one of {}, got {}", TraceEvent::KINDS.join(", "), short(kind))),
            };
        }
        let metric = match &obj["metric"] {
            Value::String(s) => s.clone(),
            other => return err(format!("{path}.metric"), format!("must be a metric path, got {}", short(other))),
        };
        let op = match obj.get("op") {
            Some(Value::String(s)) if Op::parse(s).is_some() => Op::parse(s).unwrap_or(Op::Eq),
            Some(other) => {
                return err(
                    format!("{path}.op"),
                    format!("must be one of {}, got {}", OPERATORS.join(", "), short(other)),
                )
            }
            None => {
                return err(format!("{path}.op"), format!("is missing; it must be one of {}", OPERATORS.join(", ")))
            }
        };
        let value = match obj.get("value") {
            Some(Value::Number(n)) => n.as_f64().unwrap_or_default(),
            Some(other) => return err(format!("{path}.value"), format!("must be a number, got {}", short(other))),
            None => return err(format!("{path}.value"), "is missing; it must be a number"),
        };
        Ok(Goal::Metric { metric, op, value, label })
    }

    /// Checks every metric path against the scenario's names.
    fn check(&self, path: &str, scenario: &Scenario) -> Result<(), ScenarioError> {
        match self {
            Goal::All(gs) | Goal::Any(gs) => {
                let key = if matches!(self, Goal::All(_)) { "all" } else { "any" };
                gs.iter().enumerate().try_for_each(|(i, g)| g.check(&format!("{path}.{key}[{i}]"), scenario))
            }
            Goal::Not(g) => g.check(&format!("{path}.not"), scenario),
            Goal::Metric { metric, .. } => check_metric(scenario, &format!("{path}.metric"), metric),
            Goal::Happened { .. } => Ok(()),
        }
    }

    /// Whether the goal holds on `m`; a missing metric makes its predicate false.
    pub fn holds(&self, m: &Metrics) -> bool {
        match self {
            Goal::All(gs) => gs.iter().all(|g| g.holds(m)),
            Goal::Any(gs) => gs.iter().any(|g| g.holds(m)),
            Goal::Not(g) => !g.holds(m),
            Goal::Metric { metric, op, value, .. } => m.get(metric).is_some_and(|v| op.holds(v, *value)),
            Goal::Happened { kind, .. } => m.get(&format!("events.{kind}")).is_some_and(|v| v > 0.0),
        }
    }

    /// The goal on `m`: whether it holds, and each predicate with its value.
    pub fn evaluate(&self, m: &Metrics) -> Evaluation {
        let mut predicates = vec![];
        self.collect(m, false, &mut predicates);
        Evaluation { met: self.holds(m), predicates }
    }

    fn collect(&self, m: &Metrics, negated: bool, out: &mut Vec<PredicateResult>) {
        let (label, value, holds) = match self {
            Goal::All(gs) | Goal::Any(gs) => return gs.iter().for_each(|g| g.collect(m, negated, out)),
            Goal::Not(g) => return g.collect(m, !negated, out),
            Goal::Metric { metric, op, value: v, label } => (
                label.clone().unwrap_or_else(|| format!("{metric} {} {}", op.symbol(), fmt_number(*v))),
                m.get(metric),
                self.holds(m),
            ),
            Goal::Happened { kind, label } => {
                let value = m.get(&format!("events.{kind}"));
                (label.clone().unwrap_or_else(|| format!("{kind} happened")), value, self.holds(m))
            }
        };
        let label = if negated { format!("not {label}") } else { label };
        out.push(PredicateResult { label, value, met: holds != negated });
    }
}

fn fmt_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The JSON form of an exercise; [`Exercise::from_json`] checks it into an [`Exercise`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExerciseJson {
    id: String,
    module: String,
    title: String,
    story: String,
    instructions: String,
    start: Setup,
    #[serde(default)]
    views: Vec<String>,
    #[serde(default)]
    allowed: Allowed,
    goal: Value,
    hints: Vec<String>,
    explanation: String,
    solution: Solution,
}

/// A checked exercise.
#[derive(Debug, Clone, PartialEq)]
pub struct Exercise {
    /// 1 to 64 characters of `a-z0-9-`; the file is `static/exercises/<id>.json`.
    pub id: String,
    /// The id of its module in `course.json`.
    pub module: String,
    /// Plain text, 1 to 200 characters.
    pub title: String,
    /// Markdown: why this matters.
    pub story: String,
    /// Markdown: what to do.
    pub instructions: String,
    /// Where the run starts; its commands are scripted (the learner cannot undo them).
    pub start: Setup,
    /// The views the page's two panes open on, from [`VIEWS`]: none, one or two.
    pub views: Vec<String>,
    pub allowed: Allowed,
    pub goal: Goal,
    /// Markdown, revealed one at a time; 1 to 10.
    pub hints: Vec<String>,
    /// Markdown, shown once the goal is met.
    pub explanation: String,
    pub solution: Solution,
}

/// A run of an exercise by `streamlab check`: where it ended and the goal there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRun {
    pub end_ms: u64,
    pub drained: bool,
    pub trace_hash: String,
    pub evaluation: Evaluation,
}

impl Exercise {
    /// Reads and checks an exercise from JSON bytes (at most [`MAX_EXERCISE_BYTES`], UTF-8).
    /// Errors name the field path, the allowed range and the value.
    pub fn from_json(bytes: &[u8]) -> Result<Exercise, ScenarioError> {
        let j: ExerciseJson = parse_json(bytes, "exercise")?;
        check_id("id", &j.id)?;
        check_id("module", &j.module)?;
        check_text("title", &j.title, 1, 200)?;
        check_text("story", &j.story, 1, MAX_TEXT_CHARS)?;
        check_text("instructions", &j.instructions, 1, MAX_TEXT_CHARS)?;
        check_text("explanation", &j.explanation, 1, MAX_TEXT_CHARS)?;
        if !(1..=10).contains(&j.hints.len()) {
            return err("hints", format!("must list 1 to 10 hints, got {}", j.hints.len()));
        }
        for (i, h) in j.hints.iter().enumerate() {
            check_text(&format!("hints[{i}]"), h, 1, MAX_TEXT_CHARS)?;
        }
        let scenario =
            j.start.validate().map_err(|e| ScenarioError { path: format!("start.{}", e.path), message: e.message })?;

        if j.views.len() > 2 {
            return err("views", format!("must name at most 2 views (one per pane), got {}", j.views.len()));
        }
        for (i, v) in j.views.iter().enumerate() {
            if !VIEWS.contains(&v.as_str()) || j.views[..i].contains(v) {
                return err(
                    format!("views[{i}]"),
                    format!("must be one of {}, each once, got \"{}\"", VIEWS.join(", "), cut(v)),
                );
            }
        }
        for (name, a) in &j.allowed.settings {
            let p = format!("allowed.settings.{name}");
            if !is_setting(name) {
                return err(p, "is not a setting (see the settings in docs/exercises.md)");
            }
            if let Some(l) = &a.label {
                check_text(&format!("{p}.label"), l, 1, 60)?;
            }
            let tries: Vec<Value> = match (&a.values, a.min, a.max) {
                (Some(v), None, None) if (1..=20).contains(&v.len()) => v.clone(),
                (Some(v), None, None) => {
                    return err(format!("{p}.values"), format!("must list 1 to 20 values, got {}", v.len()))
                }
                (None, Some(min), Some(max)) if min <= max => vec![min.into(), max.into()],
                (None, Some(min), Some(max)) => {
                    return err(format!("{p}.max"), format!("must be at least min ({min}), got {max}"))
                }
                _ => return err(p, "must give either min and max, or values"),
            };
            // Every value the control offers must make a valid run.
            for v in tries {
                let mut s = scenario.clone();
                apply_settings(&mut s, &Settings::from([(name.clone(), v)]), "allowed.settings")?;
            }
        }
        let mut count = 0;
        let goal = Goal::parse(&j.goal, "goal", 0, &mut count)?;
        goal.check("goal", &scenario)?;

        for (name, v) in &j.solution.settings {
            let p = format!("solution.settings.{name}");
            let Some(a) = j.allowed.settings.get(name) else {
                return err(p, "is not among allowed.settings: the learner could not change it");
            };
            if !a.admits(v) {
                return err(p, format!("must be {}, got {}", a.describe(), short(v)));
            }
        }
        for (i, c) in j.solution.commands.iter().enumerate() {
            let kind = ActionKind::of(&c.command);
            if !j.allowed.actions.contains(&kind) {
                return err(
                    format!("solution.commands[{i}].command.type"),
                    format!("is {}, which is not among allowed.actions", kind.name()),
                );
            }
        }
        let exercise = Exercise {
            id: j.id,
            module: j.module,
            title: j.title,
            story: j.story,
            instructions: j.instructions,
            start: j.start,
            views: j.views,
            allowed: j.allowed,
            goal,
            hints: j.hints,
            explanation: j.explanation,
            solution: j.solution,
        };
        let solved = exercise.solution_setup();
        let s = solved.scenario()?;
        check_commands(&solved.commands, "solution.commands", s.run_ms)?;
        Ok(exercise)
    }

    /// The setup the reference solution runs: the start with the solution's settings over its
    /// own, and the start's commands with the solution's, in time order.
    pub fn solution_setup(&self) -> Setup {
        let mut setup = self.start.clone();
        setup.settings.extend(self.solution.settings.clone());
        setup.commands.extend(self.solution.commands.iter().cloned());
        setup.commands.sort_by_key(|c| c.at_ms);
        setup
    }

    /// Whether a run of this exercise (from a share link: its setup and the learner's commands)
    /// starts where the exercise does and changes only what the exercise allows: each setting
    /// as the start sets it or within `allowed.settings`, each command of `allowed.actions`.
    pub fn admits(&self, setup: &Setup, commands: &[TimedCommand]) -> Result<(), ScenarioError> {
        if setup.start != self.start.start || setup.commands != self.start.commands {
            return err("setup", "does not start where the exercise does");
        }
        if let Some(name) = self.start.settings.keys().find(|n| !setup.settings.contains_key(*n)) {
            return err(format!("setup.settings.{name}"), "is missing: the exercise sets it");
        }
        for (name, value) in &setup.settings {
            if self.start.settings.get(name) == Some(value) {
                continue;
            }
            let p = format!("setup.settings.{name}");
            match self.allowed.settings.get(name) {
                None => return err(p, "is not a setting this exercise lets you change"),
                Some(a) if !a.admits(value) => {
                    return err(p, format!("must be {}, got {}", a.describe(), short(value)))
                }
                Some(_) => {}
            }
        }
        for (i, c) in commands.iter().enumerate() {
            let kind = ActionKind::of(&c.command);
            if !self.allowed.actions.contains(&kind) {
                return err(format!("commands[{i}]"), format!("{} is not one of this exercise's actions", kind.name()));
            }
        }
        Ok(())
    }

    /// Runs `setup` to its end as `streamlab run` does (through its commands, then until it
    /// drains or reaches `run_ms`) and evaluates the goal there.
    pub fn check_run(&self, setup: &Setup, data: &Datasets) -> Result<CheckRun, ScenarioError> {
        let mut sim = setup.build(data)?;
        let drained = Script::new(setup.commands.iter().cloned())
            .run_to_end(&mut sim)
            .map_err(|e| ScenarioError { path: e.path, message: format!("at {}: {}", e.at, e.error) })?;
        Ok(CheckRun {
            end_ms: sim.now().0,
            drained,
            trace_hash: format!("{:016x}", sim.trace_hash()),
            evaluation: self.goal.evaluate(&sim.metrics()),
        })
    }
}

/// A module of the course: an id, a title, and its exercises' ids in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Module {
    pub id: String,
    pub title: String,
    pub exercises: Vec<String>,
}

/// The course index, `static/exercises/course.json`: a title and the modules in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Course {
    pub title: String,
    pub modules: Vec<Module>,
}

impl Course {
    /// Reads and checks a course: ids well formed, every exercise listed once.
    pub fn from_json(bytes: &[u8]) -> Result<Course, ScenarioError> {
        let c: Course = parse_json(bytes, "course")?;
        check_text("title", &c.title, 1, 200)?;
        if !(1..=50).contains(&c.modules.len()) {
            return err("modules", format!("must list 1 to 50 modules, got {}", c.modules.len()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, m) in c.modules.iter().enumerate() {
            check_id(&format!("modules[{i}].id"), &m.id)?;
            check_text(&format!("modules[{i}].title"), &m.title, 1, 200)?;
            if !(1..=50).contains(&m.exercises.len()) {
                return err(
                    format!("modules[{i}].exercises"),
                    format!("must list 1 to 50 exercises, got {}", m.exercises.len()),
                );
            }
            for (j, id) in m.exercises.iter().enumerate() {
                let p = format!("modules[{i}].exercises[{j}]");
                check_id(&p, id)?;
                if !seen.insert(id.as_str()) {
                    return err(p, format!("lists \"{id}\" a second time"));
                }
            }
        }
        Ok(c)
    }

    /// The module listing exercise `id`, if any.
    pub fn module_of(&self, id: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.exercises.iter().any(|e| e == id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Start;
    use crate::Preset;

    #[test]
    fn a_shared_run_of_an_exercise_may_change_only_what_it_allows() {
        let ex = Exercise::from_json(include_bytes!("../../../static/exercises/idle-consumers.json")).unwrap();
        let at = |command| TimedCommand { at_ms: 1_000, command };
        let e = |r: Result<(), ScenarioError>| r.unwrap_err().to_string();
        let mut setup = ex.start.clone();
        setup.settings.insert("consumers".into(), 8.into());
        let add = at(Command::AddConsumer { group_id: "g1".into() });
        assert_eq!(ex.admits(&setup, std::slice::from_ref(&add)), Ok(()));

        let crash = at(Command::CrashConsumer { client_id: "consumer-g1-1".into() });
        assert_eq!(
            e(ex.admits(&setup, &[add, crash])),
            "commands[1]: crash_consumer is not one of this exercise's actions"
        );
        setup.settings.insert("consumers".into(), 40.into());
        assert_eq!(e(ex.admits(&setup, &[])), "setup.settings.consumers: must be 1 to 10, got 40");
        setup.settings = Settings::from([("partitions".to_string(), 3.into())]);
        assert_eq!(
            e(ex.admits(&setup, &[])),
            "setup.settings.partitions: is not a setting this exercise lets you change"
        );
        let elsewhere = Setup { start: Start::Preset(Preset::Taxi), ..ex.start.clone() };
        assert_eq!(e(ex.admits(&elsewhere, &[])), "setup: does not start where the exercise does");

        let keep_up =
            Exercise::from_json(include_bytes!("../../../static/exercises/keep-up-with-the-stream.json")).unwrap();
        let mut setup = keep_up.start.clone();
        setup.settings.remove("processing_ms_per_record");
        assert_eq!(
            e(keep_up.admits(&setup, &[])),
            "setup.settings.processing_ms_per_record: is missing: the exercise sets it"
        );
    }

    #[test]
    fn views_name_the_pages_views_at_most_two() {
        let mut v: Value =
            serde_json::from_slice(include_bytes!("../../../static/exercises/idle-consumers.json")).unwrap();
        let parse = |v: &Value| Exercise::from_json(serde_json::to_string(v).unwrap().as_bytes());
        v["views"] = serde_json::json!(["groups", "partitions"]);
        assert_eq!(parse(&v).unwrap().views, ["groups", "partitions"]);
        v["views"] = serde_json::json!(["groups", "groups"]);
        assert!(parse(&v).unwrap_err().to_string().starts_with("views[1]: must be one of partitions, cluster, groups"));
        v["views"] = serde_json::json!(["groups", "lag", "events"]);
        assert_eq!(parse(&v).unwrap_err().to_string(), "views: must name at most 2 views (one per pane), got 3");
    }
}
