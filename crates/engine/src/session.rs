//! Sessions: what a run starts from (a preset or a scenario, changed by named settings), the
//! commands applied to it at given simulated times, and running a simulation through them. The
//! playground's share links, exercises and `streamlab check` all replay runs this way, so that
//! the same setup and commands give the same trace hash everywhere.

use crate::command::CommandError;
pub use crate::command::TimedCommand;
use crate::consumer::CommitMode;
use crate::scenario::{cut, err, GroupSpec, Preset, Scenario, ScenarioError, WindowSpec, WindowType, WorkloadSpec};
use crate::scenario::{AggregateSpec, ErrorsSpec, OnFailure, TimestampExtractor};
use crate::sim::SimTime;
use crate::simulation::{Datasets, Simulation};
use crate::streams::EmitStrategy;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Settings by name (see [`SETTINGS`]): `{"partitions": 6, "commit_mode": "after_processing",
/// "consumer.session.timeout.ms": 10000}`.
pub type Settings = BTreeMap<String, Value>;

/// The most commands a session may carry.
pub const MAX_COMMANDS: usize = 10_000;

/// Every setting: its name and what it changes in the scenario. The names ending in `<key>`
/// take any Kafka config key of that scope (`producer.acks`, `consumer.session.timeout.ms`).
pub const SETTINGS: &[(&str, &str)] = &[
    ("seed", "`seed`"),
    ("run_ms", "`run_ms`, ms"),
    ("brokers", "`brokers`"),
    ("partitions", "the first topic's `partitions`"),
    ("replication_factor", "every topic's `replication_factor` (at most `brokers`)"),
    ("network.mean_ms", "`network.mean_ms`: the mean one-way latency, ms (jitter stays)"),
    ("consumers", "the first group's `members`: consumers started at time 0"),
    ("commit_mode", "the first group's `commit_mode`: `auto`, `after_processing`, `after_processing_async` or `before_processing`"),
    ("processing_ms_per_record", "the first group's `processing_ms_per_record`, ms"),
    ("static_membership", "the first group's `static_membership`: `true` gives each member a `group.instance.id`"),
    ("commit_on_revoke", "the first group's `commit_on_revoke`: `true` has its rebalance listener commit in `onPartitionsRevoked`"),
    ("assign", "the first group's `assign`: `true` has its members call `assign()` (fixed partitions, no group membership)"),
    (
        "second_group",
        "a second group `g2` of that many members (0 removes it) on the first group's topics, with its configs and commit mode, its own offsets and no windows",
    ),
    (
        "guarantee",
        "`at-most-once`, `at-least-once` or `exactly-once`: the first group becomes a consume-transform-produce pipeline writing to `<topic>-out`, read by `<group>-downstream`",
    ),
    ("window.type", "the first group's `windows.type`: `tumbling`, `hopping`, `sliding` or `session` (keeps the size, time difference or gap)"),
    ("window.size_ms", "the first group's window size (tumbling, hopping), time difference (sliding) or inactivity gap (session), ms"),
    ("window.advance_ms", "the first group's `windows.advance_ms`, ms: tumbling windows become hopping ones"),
    ("window.grace_ms", "the first group's `windows.grace_ms`, ms"),
    (
        "errors.poison_every",
        "the first group's `errors.poison_every`: every n-th record of each producer fails to process (retries with the `errors.*` backoff, then the dead-letter queue or failing)",
    ),
    ("errors.on_failure", "the first group's `errors.on_failure`: `dead_letter` or `fail`"),
    ("errors.max_attempts", "the first group's `errors.max_attempts`: attempts before giving up, the first included"),
    ("errors.retry_initial_ms", "the first group's `errors.retry_initial_ms`: the delay before the second attempt, ms"),
    ("errors.retry_multiplier", "the first group's `errors.retry_multiplier`: each next delay is this many times the last"),
    ("errors.retry_max_ms", "the first group's `errors.retry_max_ms`: the longest delay, ms"),
    (
        "window.timestamp_extractor",
        "the first group's `windows.timestamp_extractor`: `record` (event time, or append time under `LogAppendTime`) or `wall_clock` (processing time)",
    ),
    ("window.emit", "the first group's `windows.emit`: `on_window_update` or `on_window_close`"),
    (
        "window.idle_timeout_ms",
        "the first group's `windows.idle_timeout_ms`, ms: a partition with no record for this long stops holding the watermark back (0: never)",
    ),
    (
        "window.changelog",
        "the first group's `windows.changelog`: `true` backs its window store with a changelog topic that a task's new owner restores from (needs `guarantee`)",
    ),
    (
        "aggregate.function",
        "the first group's `aggregate.function`: `count`, `sum`, `min`, `max`, `avg`, `first`, `last` or `top_n` (keeps the field; a field-less group takes its workload's first)",
    ),
    ("aggregate.alert_above", "the first group's `aggregate.alert_above`: alert when a key's value rises above it (`none` removes it)"),
    ("sink.output_mode", "the first group's `sink.output_mode`: `append`, `update` or `complete`"),
    ("workload.rate_per_s", "the first producer's taxi or bids `rate_per_s`"),
    ("workload.devices", "the first producer's IoT `devices`"),
    ("workload.interval_ms", "the first producer's IoT `interval_ms`, ms"),
    ("broker.<key>", "a broker config, e.g. `broker.group.initial.rebalance.delay.ms`"),
    ("topic.<key>", "a config of every topic, e.g. `topic.min.insync.replicas`"),
    ("producer.<key>", "a config of every producer, e.g. `producer.linger.ms`"),
    ("consumer.<key>", "a config of every group, e.g. `consumer.session.timeout.ms`"),
];

/// The group id the `second_group` setting adds.
pub const SECOND_GROUP: &str = "g2";

/// Whether `name` is a setting of [`SETTINGS`] (any key after a `<key>` prefix).
pub fn is_setting(name: &str) -> bool {
    SETTINGS.iter().any(|(s, _)| match s.strip_suffix("<key>") {
        Some(prefix) => name.len() > prefix.len() && name.starts_with(prefix),
        None => *s == name,
    })
}

/// Where a run starts: `{"preset": "taxi"}` ([`Scenario::preset`] with seed 42, 6 partitions
/// and 3 consumers) or `{"scenario": {...}}` (a full scenario).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Start {
    Preset(Preset),
    Scenario(Box<Scenario>),
}

/// A run's setup: where it starts, the settings changed, and commands applied at given times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    pub start: Start,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub commands: Vec<TimedCommand>,
}

fn as_u64(path: &str, v: &Value) -> Result<u64, ScenarioError> {
    match v {
        Value::Number(n) if n.as_u64().is_some() => Ok(n.as_u64().unwrap_or_default()),
        Value::String(s) if s.trim().parse::<u64>().is_ok() => Ok(s.trim().parse().unwrap_or_default()),
        other => err(path, format!("must be a whole number ≥ 0, got {}", short(other))),
    }
}

fn as_u32(path: &str, v: &Value) -> Result<u32, ScenarioError> {
    let n = as_u64(path, v)?;
    u32::try_from(n).or_else(|_| err(path, format!("must be at most {}, got {n}", u32::MAX)))
}

fn as_bool(path: &str, v: &Value) -> Result<bool, ScenarioError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(t) if t == "true" || t == "false" => Ok(t == "true"),
        _ => err(path, format!("must be true or false, got {}", short(v))),
    }
}

/// A value as an error shows it: its JSON, at most 60 characters.
pub(crate) fn short(v: &Value) -> String {
    cut(&v.to_string())
}

/// Sets one setting in `s`; errors name `path`. The scenario is checked afterwards.
fn set(s: &mut Scenario, name: &str, v: &Value, path: &str) -> Result<(), ScenarioError> {
    fn first_group<'a>(s: &'a mut Scenario, path: &str) -> Result<&'a mut GroupSpec, ScenarioError> {
        match s.consumer_groups.first_mut() {
            Some(g) => Ok(g),
            None => err(path, "needs a consumer group in the scenario, which has none"),
        }
    }
    fn errors<'a>(s: &'a mut Scenario, path: &str) -> Result<&'a mut ErrorsSpec, ScenarioError> {
        Ok(first_group(s, path)?.errors.get_or_insert_with(ErrorsSpec::default))
    }
    fn window<'a>(s: &'a mut Scenario, path: &str) -> Result<&'a mut WindowSpec, ScenarioError> {
        Ok(first_group(s, path)?.windows.get_or_insert(WindowSpec::tumbling(60_000, 0)))
    }
    match name {
        "seed" => s.seed = as_u64(path, v)?,
        "run_ms" => s.run_ms = as_u64(path, v)?,
        "brokers" => s.brokers = as_u32(path, v)?,
        "partitions" => {
            let n = as_u32(path, v)?;
            let Some(t) = s.topics.first_mut() else {
                return err(path, "needs a topic in the scenario, which has none");
            };
            t.partitions = n;
        }
        "replication_factor" => {
            let n = as_u32(path, v)?;
            s.topics.iter_mut().for_each(|t| t.replication_factor = n);
        }
        "network.mean_ms" => {
            s.network.mean_ms = as_u64(path, v)?;
            s.network.min_ms = s.network.min_ms.min(s.network.mean_ms);
        }
        "consumers" => first_group(s, path)?.members = as_u32(path, v)?,
        "processing_ms_per_record" => first_group(s, path)?.processing_ms_per_record = as_u64(path, v)?,
        "static_membership" => first_group(s, path)?.static_membership = as_bool(path, v)?,
        "commit_on_revoke" => first_group(s, path)?.commit_on_revoke = as_bool(path, v)?,
        "assign" => first_group(s, path)?.assign = as_bool(path, v)?,
        "guarantee" => {
            let g = match v.as_str() {
                Some("at-most-once") => crate::consumer::Guarantee::AtMostOnce,
                Some("at-least-once") => crate::consumer::Guarantee::AtLeastOnce,
                Some("exactly-once") => crate::consumer::Guarantee::ExactlyOnce,
                _ => return err(path, format!("must be at-most-once, at-least-once or exactly-once, got {v}")),
            };
            s.with_guarantee(g, path)?;
        }
        "second_group" => {
            let n = as_u32(path, v)?;
            let mut g2 = first_group(s, path)?.clone();
            s.consumer_groups.retain(|g| g.group_id != SECOND_GROUP);
            if n > 0 {
                g2.group_id = SECOND_GROUP.into();
                g2.members = n;
                g2.windows = None;
                g2.steps.clear();
                g2.aggregate = None;
                g2.sink = None;
                s.consumer_groups.insert(1, g2);
            }
        }
        "commit_mode" => {
            first_group(s, path)?.commit_mode = match v.as_str() {
                Some("auto") => CommitMode::Auto,
                Some("after_processing") => CommitMode::AfterProcessing,
                Some("before_processing") => CommitMode::BeforeProcessing,
                Some("after_processing_async") => CommitMode::AfterProcessingAsync,
                _ => {
                    return err(
                        path,
                        format!(
                            "must be one of auto, after_processing, after_processing_async, before_processing, got {}",
                            short(v)
                        ),
                    )
                }
            };
        }
        "window.type" => {
            let name = v.as_str().unwrap_or_default();
            let kind = WindowType::parse(name).ok_or_else(|| ScenarioError {
                path: path.to_string(),
                message: format!("must be tumbling, hopping, sliding or session, got {}", short(v)),
            })?;
            window(s, path)?.set_type(kind)
        }
        "window.size_ms" => window(s, path)?.set_length(as_u64(path, v)?),
        "errors.poison_every" => errors(s, path)?.poison_every = as_u64(path, v)?,
        "errors.on_failure" => {
            errors(s, path)?.on_failure = match v.as_str() {
                Some("dead_letter") => OnFailure::DeadLetter,
                Some("fail") => OnFailure::Fail,
                _ => return err(path, format!("must be dead_letter or fail, got {}", short(v))),
            }
        }
        "errors.max_attempts" => errors(s, path)?.max_attempts = as_u32(path, v)?,
        "errors.retry_initial_ms" => errors(s, path)?.retry_initial_ms = as_u64(path, v)?,
        "errors.retry_multiplier" => {
            errors(s, path)?.retry_multiplier = v.as_f64().ok_or_else(|| ScenarioError {
                path: path.into(),
                message: format!("must be a number, got {}", short(v)),
            })?
        }
        "errors.retry_max_ms" => errors(s, path)?.retry_max_ms = as_u64(path, v)?,
        "window.timestamp_extractor" => {
            window(s, path)?.timestamp_extractor = match v.as_str() {
                Some("record") => TimestampExtractor::Record,
                Some("wall_clock") => TimestampExtractor::WallClock,
                _ => return err(path, format!("must be record or wall_clock, got {}", short(v))),
            }
        }
        "window.emit" => {
            window(s, path)?.emit = match v.as_str() {
                Some("on_window_update") => EmitStrategy::OnWindowUpdate,
                Some("on_window_close") => EmitStrategy::OnWindowClose,
                _ => return err(path, format!("must be on_window_update or on_window_close, got {}", short(v))),
            }
        }
        "window.idle_timeout_ms" => {
            let ms = as_u64(path, v)?;
            window(s, path)?.idle_timeout_ms = (ms > 0).then_some(ms);
        }
        "window.changelog" => {
            window(s, path)?.changelog = v.as_bool().ok_or_else(|| ScenarioError {
                path: path.into(),
                message: format!("must be true or false, got {}", short(v)),
            })?
        }
        "aggregate.function" => {
            let Some(function) = v.as_str().and_then(crate::streams::AggregateFunction::parse) else {
                return err(path, format!("must be count, sum, min, max, avg, first, last or top_n, got {}", short(v)));
            };
            window(s, path)?;
            let workload = s.consumer_groups.first().and_then(|g| s.group_workload(g)).map(|w| w.name());
            let first = workload.and_then(|w| crate::streams::pipeline::workload_fields(w).first());
            let g = first_group(s, path)?;
            let a = g.aggregate.get_or_insert(AggregateSpec { function, field: None, n: None, alert_above: None });
            a.function = function;
            if function == crate::streams::AggregateFunction::Count {
                a.field = None;
            } else if a.field.is_none() {
                a.field = first.map(|f| f.to_string());
            }
            if function != crate::streams::AggregateFunction::TopN {
                a.n = None;
            } else {
                a.alert_above = None;
            }
        }
        "aggregate.alert_above" => {
            let threshold = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(t) if t == "none" => None,
                Value::String(t) => match t.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() => Some(x),
                    _ => return err(path, format!("must be a number or none, got {}", short(v))),
                },
                Value::Null => None,
                _ => return err(path, format!("must be a number or none, got {}", short(v))),
            };
            window(s, path)?;
            let g = first_group(s, path)?;
            match (g.aggregate.as_mut(), threshold) {
                (Some(a), t) => a.alert_above = t,
                (None, None) => {}
                (None, Some(_)) => return err(path, "needs an aggregate.function first (the alert reads its value)"),
            }
        }
        "sink.output_mode" => {
            let Some(mode) = v.as_str().and_then(crate::scenario::OutputMode::parse) else {
                return err(path, format!("must be append, update or complete, got {}", short(v)));
            };
            window(s, path)?;
            first_group(s, path)?.sink = Some(crate::scenario::SinkSpec { output_mode: mode });
        }
        "window.advance_ms" => {
            // Kafka's TimeWindows are one class: an advance makes tumbling windows hopping.
            let w = window(s, path)?;
            if !matches!(w.kind, WindowType::Tumbling | WindowType::Hopping) {
                return err(path, format!("applies to tumbling and hopping windows only; these are {}", w.kind.name()));
            }
            w.kind = WindowType::Hopping;
            w.advance_ms = Some(as_u64(path, v)?)
        }
        "window.grace_ms" => window(s, path)?.grace_ms = as_u64(path, v)?,
        "workload.rate_per_s" | "workload.devices" | "workload.interval_ms" => {
            let Some(p) = s.producers.first_mut() else {
                return err(path, "needs a producer in the scenario, which has none");
            };
            match (&mut p.workload, name) {
                (WorkloadSpec::Taxi { rate_per_s } | WorkloadSpec::Bids { rate_per_s }, "workload.rate_per_s") => {
                    *rate_per_s = as_u64(path, v)?
                }
                (WorkloadSpec::Iot { devices, .. }, "workload.devices") => *devices = as_u32(path, v)?,
                (WorkloadSpec::Iot { interval_ms, .. }, "workload.interval_ms") => *interval_ms = as_u64(path, v)?,
                (w, _) => return err(path, format!("does not apply to the first producer's {} workload", w.name())),
            }
        }
        _ => {
            let scoped = |prefix: &str| name.strip_prefix(prefix).filter(|k| !k.is_empty()).map(str::to_string);
            if let Some(key) = scoped("broker.") {
                s.broker_configs.insert(key, v.clone());
            } else if let Some(key) = scoped("topic.") {
                s.topics.iter_mut().for_each(|t| {
                    t.configs.insert(key.clone(), v.clone());
                });
            } else if let Some(key) = scoped("producer.") {
                s.producers.iter_mut().for_each(|p| {
                    p.configs.insert(key.clone(), v.clone());
                });
            } else if let Some(key) = scoped("consumer.") {
                s.consumer_groups.iter_mut().for_each(|g| {
                    g.configs.insert(key.clone(), v.clone());
                });
            } else {
                let names: Vec<&str> = SETTINGS.iter().map(|(n, _)| *n).collect();
                return err(path, format!("is not a setting; the settings are {}", names.join(", ")));
            }
        }
    }
    Ok(())
}

/// The settings that make the first group's windows use `time`: `event` (the record's
/// timestamp under `CreateTime`), `log_append` (the record's timestamp under the topic's
/// `LogAppendTime`) or `processing` (the wall clock); `None` for another name.
pub fn window_time_settings(time: &str) -> Option<Settings> {
    let (extractor, timestamp_type) = match time {
        "event" => ("record", "CreateTime"),
        "log_append" => ("record", "LogAppendTime"),
        "processing" => ("wall_clock", "CreateTime"),
        _ => return None,
    };
    Some(Settings::from([
        ("window.timestamp_extractor".to_string(), extractor.into()),
        ("topic.message.timestamp.type".to_string(), timestamp_type.into()),
    ]))
}

/// Applies `settings` to `scenario` one by one, checking the scenario after each, so that an
/// error names the setting (`settings.partitions: topics[0].partitions: must be between 1 and
/// 1024, got 0`). On error `scenario` may be half-changed: apply to a copy.
pub fn apply_settings(scenario: &mut Scenario, settings: &Settings, path: &str) -> Result<(), ScenarioError> {
    // The window type first: it decides which window parameters exist.
    let typed = settings.get_key_value("window.type");
    for (name, value) in typed.into_iter().chain(settings.iter().filter(|(n, _)| *n != "window.type")) {
        let p = format!("{path}.{name}");
        set(scenario, name, value, &p)?;
        scenario.validate().map_err(|e| ScenarioError { path: p.clone(), message: e.to_string() })?;
    }
    Ok(())
}

impl Setup {
    /// A preset with no settings and no commands.
    pub fn preset(preset: Preset) -> Setup {
        Setup { start: Start::Preset(preset), settings: Settings::new(), commands: vec![] }
    }

    /// The scenario the setup runs: its start with its settings applied, checked. Errors name
    /// the field (`settings.partitions: ...`, `start.scenario.topics[0].name: ...`).
    pub fn scenario(&self) -> Result<Scenario, ScenarioError> {
        let mut s = match &self.start {
            Start::Preset(p) => Scenario::preset(*p, 42, 6, 3),
            Start::Scenario(s) => {
                s.validate()
                    .map_err(|e| ScenarioError { path: format!("start.scenario.{}", e.path), message: e.message })?;
                (**s).clone()
            }
        };
        apply_settings(&mut s, &self.settings, "settings")?;
        Ok(s)
    }

    /// Checks the scenario and that the commands are at most [`MAX_COMMANDS`], in time order,
    /// and within the run (`at_ms` ≤ `run_ms`); returns the scenario.
    pub fn validate(&self) -> Result<Scenario, ScenarioError> {
        let s = self.scenario()?;
        check_commands(&self.commands, "commands", s.run_ms)?;
        Ok(s)
    }

    /// A simulation of [`Setup::scenario`] at time 0, its commands not yet applied (see
    /// [`Script`]). Taxi and bids need their CSV in `data`.
    pub fn build(&self, data: &Datasets) -> Result<Simulation, ScenarioError> {
        Simulation::with_data(self.validate()?, data)
    }

    /// The CSV files under `static/data/` the setup's workloads read.
    pub fn data_files(&self) -> Result<Vec<&'static str>, ScenarioError> {
        let mut files: Vec<&'static str> =
            self.scenario()?.producers.iter().filter_map(|p| p.workload.data_file()).collect();
        files.dedup();
        Ok(files)
    }
}

/// Checks that `commands` are at most [`MAX_COMMANDS`], in time order and at most `run_ms`.
pub fn check_commands(commands: &[TimedCommand], path: &str, run_ms: u64) -> Result<(), ScenarioError> {
    if commands.len() > MAX_COMMANDS {
        return err(path, format!("must hold at most {MAX_COMMANDS} commands, got {}", commands.len()));
    }
    let mut last = 0;
    for (i, c) in commands.iter().enumerate() {
        let p = format!("{path}[{i}].at_ms");
        if c.at_ms > run_ms {
            return err(&p, format!("must be between 0 and run_ms ({run_ms}), got {}", c.at_ms));
        }
        if c.at_ms < last {
            return err(&p, format!("must not be before the command above it (at {last} ms), got {}", c.at_ms));
        }
        last = c.at_ms;
    }
    Ok(())
}

/// Commands to apply in time order, and how many have been: a simulation runs through them with
/// [`Script::run_until`]. A command is applied once the clock reaches its time, after the events
/// at that time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Script {
    commands: Vec<TimedCommand>,
    next: usize,
}

/// A scripted command that the simulation refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: at {at}: {error}")]
pub struct ScriptError {
    /// Which command: `commands[2]`.
    pub path: String,
    pub at: SimTime,
    pub error: CommandError,
}

impl Script {
    /// `commands` in time order (stable: equal times keep their order). `path` names them in
    /// errors (`commands`, `solution.commands`).
    pub fn new(commands: impl IntoIterator<Item = TimedCommand>) -> Script {
        let mut commands: Vec<TimedCommand> = commands.into_iter().collect();
        commands.sort_by_key(|c| c.at_ms);
        Script { commands, next: 0 }
    }

    /// The commands not applied yet.
    pub fn pending(&self) -> &[TimedCommand] {
        &self.commands[self.next..]
    }

    /// Drops the next pending command unapplied: after a [`ScriptError`], to go on without it.
    pub fn skip_next(&mut self) {
        self.next = (self.next + 1).min(self.commands.len());
    }

    /// Runs `sim` to `until`, applying each pending command due by then at its time. A command
    /// whose time has already passed is applied now.
    pub fn run_until(&mut self, sim: &mut Simulation, until: SimTime) -> Result<(), ScriptError> {
        while let Some(c) = self.commands.get(self.next).filter(|c| c.at_ms <= until.0) {
            sim.run_until(SimTime(c.at_ms.max(sim.now().0)));
            let at = sim.now();
            sim.apply(c.command.clone()).map_err(|error| ScriptError {
                path: format!("commands[{}]", self.next),
                at,
                error,
            })?;
            self.next += 1;
        }
        sim.run_until(until);
        Ok(())
    }

    /// Runs `sim` to its end as `streamlab run` does: through every command, then until the run
    /// drains (checked at whole seconds) or reaches `run_ms`. Returns whether it drained.
    pub fn run_to_end(&mut self, sim: &mut Simulation) -> Result<bool, ScriptError> {
        let end = SimTime(sim.scenario().run_ms);
        // Commands after the end (a setup's validation refuses them) are never applied.
        if let Some(last) = self.commands.last() {
            self.run_until(sim, SimTime(last.at_ms.min(end.0)))?;
        }
        Ok(sim.run_to_drain(end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;
    use serde_json::json;

    fn settings(v: Value) -> Settings {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn settings_change_the_scenario_and_errors_name_them() {
        let mut setup = Setup::preset(Preset::Iot);
        setup.settings = settings(json!({"partitions": 12, "consumers": 4, "commit_mode": "before_processing",
            "window.grace_ms": 0, "window.idle_timeout_ms": 0, "consumer.session.timeout.ms": "10000",
            "producer.linger.ms": 20}));
        let s = setup.scenario().unwrap();
        assert_eq!((s.topics[0].partitions, s.consumer_groups[0].members), (12, 4));
        assert_eq!(s.consumer_groups[0].commit_mode, CommitMode::BeforeProcessing);
        let mut sliding = WindowSpec::tumbling(10_000, 0);
        sliding.set_type(WindowType::Sliding);
        assert_eq!(s.consumer_groups[0].windows, Some(sliding));
        assert_eq!(s.consumer_groups[0].configs["session.timeout.ms"], json!("10000"));
        assert_eq!(s.producers[0].configs["linger.ms"], json!(20));

        // The window type first, whatever the order: an advance makes sense only for hopping.
        setup.settings =
            settings(json!({"window.advance_ms": 2_000, "window.type": "hopping", "window.emit": "on_window_close"}));
        let w = setup.scenario().unwrap().consumer_groups[0].windows.unwrap();
        assert_eq!(
            (w.kind, w.size_ms, w.advance_ms, w.emit),
            (WindowType::Hopping, Some(10_000), Some(2_000), EmitStrategy::OnWindowClose)
        );
        setup.settings = settings(json!({"window.type": "session", "window.advance_ms": 2_000}));
        assert_eq!(
            setup.scenario().unwrap_err().to_string(),
            "settings.window.advance_ms: applies to tumbling and hopping windows only; these are session"
        );
        setup.settings = settings(json!({"window.type": "global"}));
        assert_eq!(
            setup.scenario().unwrap_err().to_string(),
            "settings.window.type: must be tumbling, hopping, sliding or session, got \"global\""
        );

        setup.settings = settings(json!({"partitions": 0}));
        assert_eq!(
            setup.scenario().unwrap_err().to_string(),
            "settings.partitions: topics[0].partitions: must be between 1 and 1024, got 0"
        );
        setup.settings = settings(json!({"commit_mode": "sometimes"}));
        assert_eq!(
            setup.scenario().unwrap_err().to_string(),
            "settings.commit_mode: must be one of auto, after_processing, after_processing_async, before_processing, got \"sometimes\""
        );
        setup.settings = settings(json!({"partitons": 3}));
        assert!(setup.scenario().unwrap_err().to_string().starts_with("settings.partitons: is not a setting"));
        setup.settings = settings(json!({"workload.rate_per_s": 5}));
        assert_eq!(
            setup.scenario().unwrap_err().to_string(),
            "settings.workload.rate_per_s: does not apply to the first producer's iot workload"
        );
        setup.settings = settings(json!({"consumer.session.timeout.ms": 1}));
        assert!(setup.scenario().unwrap_err().path.starts_with("settings.consumer.session.timeout.ms"));
    }

    #[test]
    fn commands_must_be_in_order_and_within_the_run() {
        let crash =
            |at_ms| TimedCommand { at_ms, command: Command::CrashConsumer { client_id: "consumer-g1-1".into() } };
        let mut setup = Setup::preset(Preset::Iot);
        setup.commands = vec![crash(20_000), crash(10_000)];
        assert_eq!(
            setup.validate().unwrap_err().to_string(),
            "commands[1].at_ms: must not be before the command above it (at 20000 ms), got 10000"
        );
        setup.commands = vec![crash(60_001)];
        assert_eq!(
            setup.validate().unwrap_err().to_string(),
            "commands[0].at_ms: must be between 0 and run_ms (60000), got 60001"
        );
    }

    #[test]
    fn a_script_applies_commands_at_their_times_as_a_player_would() {
        let setup = Setup::preset(Preset::Iot);
        let commands = vec![
            TimedCommand { at_ms: 15_000, command: Command::CrashConsumer { client_id: "consumer-g1-2".into() } },
            TimedCommand { at_ms: 15_000, command: Command::AddConsumer { group_id: "g1".into() } },
        ];
        let mut a = setup.build(&Datasets::default()).unwrap();
        Script::new(commands.clone()).run_until(&mut a, SimTime(30_000)).unwrap();

        // By hand, in slices, as the playground does.
        let mut b = setup.build(&Datasets::default()).unwrap();
        for t in (20..=15_000).step_by(20) {
            b.run_until(SimTime(t));
        }
        for c in &commands {
            b.apply(c.command.clone()).unwrap();
        }
        b.run_until(SimTime(30_000));
        assert_eq!(a.trace_hash(), b.trace_hash());
        assert_eq!(a.report().events["consumer_crashed"], 1);

        let mut c = setup.build(&Datasets::default()).unwrap();
        let bad = vec![TimedCommand { at_ms: 1_000, command: Command::CrashConsumer { client_id: "nobody".into() } }];
        let mut script = Script::new(bad);
        assert_eq!(
            script.run_until(&mut c, SimTime(2_000)).unwrap_err().to_string(),
            "commands[0]: at 1.000s: client_id: no running consumer named \"nobody\""
        );
        script.skip_next();
        script.run_until(&mut c, SimTime(2_000)).unwrap();
        assert_eq!((c.now(), script.pending().len()), (SimTime(2_000), 0));

        // A command after the end is never applied, and the run still ends.
        let mut d = setup.build(&Datasets::default()).unwrap();
        let late = vec![TimedCommand { at_ms: 90_000, command: Command::AddConsumer { group_id: "g1".into() } }];
        let mut script = Script::new(late);
        assert!(!script.run_to_end(&mut d).unwrap(), "the IoT preset's sensors never stop");
        assert_eq!((d.now(), script.pending().len()), (SimTime(60_000), 1));
    }
}
