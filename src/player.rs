//! The bridge between the UI and the engine: owns the `Simulation`, advances it once per animation
//! frame within a budget of real time (so that no speed, not even "max", can stall a frame), runs
//! "Run for …" fast-forwards, measures the speed it achieves, applies commands, and keeps the short
//! history the charts draw. It reads no clock itself: the page hands it frame times and a clock,
//! so that it knows nothing of the browser.

use serde_json::Value;
use std::rc::Rc;
use streamlab_engine::config::{Acks, ConsumerConfig};
use streamlab_engine::consumer::assignors::Strategy;
use streamlab_engine::consumer::{CommitMode, Guarantee};
use streamlab_engine::metrics::Metrics;
use streamlab_engine::scenario::{TimestampExtractor, WindowType};
use streamlab_engine::session::{Script, Setup, Start, TimedCommand};
use streamlab_engine::simulation::{SnapshotOptions, DRAIN_CHECK_EVERY_MS};
use streamlab_engine::timeline::Rebalance;
use streamlab_engine::{Command, Datasets, Preset, Scenario, ScenarioError, SimTime, Simulation, Snapshot};

/// Simulated ms between two points of the lag history at a chosen speed.
const SAMPLE_EVERY_MS: u64 = 500;
/// Points kept in the lag history: one minute of simulated time at a chosen speed, the last
/// 120 frames when running flat out.
const HISTORY_POINTS: usize = 120;
/// Real ms of engine work allowed per animation frame. A 60 Hz frame lasts 16.7 ms; what is left
/// after the engine's share is for rendering the views.
pub const FRAME_BUDGET_MS: f64 = 10.0;
/// Simulated ms run between two looks at the clock: short enough that one slice overruns the
/// budget by little, long enough that reading the clock costs nothing next to it.
const SLICE_MS: u64 = 20;
/// Real ms over which the achieved speed is averaged, so that the number shown is steady enough
/// to read.
const RATE_WINDOW_MS: f64 = 1000.0;

/// The speeds the speed menu offers, simulated s per real s (a URL may ask for one of them).
pub const SPEEDS: [f64; 7] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0];

/// The class name of Kafka's range assignor (eager).
pub const RANGE_ASSIGNOR: &str = "org.apache.kafka.clients.consumer.RangeAssignor";
/// The class name of Kafka's cooperative sticky assignor (KIP-429's incremental protocol).
pub const COOPERATIVE_STICKY_ASSIGNOR: &str = "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";

/// A `partition.assignment.strategy` the control bar offers: one assignor, or Kafka's default
/// list; `Other` is a list the run's scenario holds that is none of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignorChoice {
    Range,
    RoundRobin,
    Sticky,
    CooperativeSticky,
    /// Kafka 4.x's default: `RangeAssignor, CooperativeStickyAssignor` (range is used, the
    /// protocol is eager; the list lets a group move to cooperative in two rolling bounces).
    KafkaDefault,
    Other,
}

impl AssignorChoice {
    /// Every choice the control bar lists, with its label.
    pub const ALL: [(AssignorChoice, &'static str); 5] = [
        (AssignorChoice::KafkaDefault, "Kafka's default: range, cooperative-sticky"),
        (AssignorChoice::Range, "range (eager)"),
        (AssignorChoice::RoundRobin, "roundrobin (eager)"),
        (AssignorChoice::Sticky, "sticky (eager)"),
        (AssignorChoice::CooperativeSticky, "cooperative-sticky (cooperative)"),
    ];

    /// The strategies of this choice, preferred first; `None` for [`AssignorChoice::Other`].
    pub fn strategies(self) -> Option<Vec<Strategy>> {
        Some(match self {
            AssignorChoice::Range => vec![Strategy::Range],
            AssignorChoice::RoundRobin => vec![Strategy::RoundRobin],
            AssignorChoice::Sticky => vec![Strategy::Sticky],
            AssignorChoice::CooperativeSticky => vec![Strategy::CooperativeSticky],
            AssignorChoice::KafkaDefault => vec![Strategy::Range, Strategy::CooperativeSticky],
            AssignorChoice::Other => return None,
        })
    }

    /// The choice whose strategies are `strategies`.
    pub fn of(strategies: &[Strategy]) -> AssignorChoice {
        Self::ALL
            .iter()
            .map(|(c, _)| *c)
            .find(|c| c.strategies().as_deref() == Some(strategies))
            .unwrap_or(AssignorChoice::Other)
    }

    /// The value of `partition.assignment.strategy`: Kafka's class names, comma-separated.
    pub fn config_value(self) -> Option<String> {
        self.strategies().map(|s| s.iter().map(|s| s.class_name()).collect::<Vec<_>>().join(","))
    }

    /// Its name in the control bar's `<select>`.
    pub fn name(self) -> &'static str {
        match self {
            AssignorChoice::Range => "range",
            AssignorChoice::RoundRobin => "roundrobin",
            AssignorChoice::Sticky => "sticky",
            AssignorChoice::CooperativeSticky => "cooperative-sticky",
            AssignorChoice::KafkaDefault => "default",
            AssignorChoice::Other => "other",
        }
    }
}

/// The playground's knobs as its control bar shows them: read from the running scenario, and
/// written back into a setup's settings (applied by rebuilding the simulation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Knobs {
    /// The preset the run starts from; `None` when it starts from a full scenario.
    pub preset: Option<Preset>,
    pub seed: u64,
    pub partitions: u32,
    pub consumers: u32,
    pub commit_mode: CommitMode,
    pub brokers: u32,
    /// Every topic's replication factor.
    pub replication_factor: u32,
    /// The producers' `acks`.
    pub acks: Acks,
    /// Every topic's `min.insync.replicas`.
    pub min_insync_replicas: u32,
    /// Every topic's `unclean.leader.election.enable`.
    pub unclean_leader_election: bool,
    /// The first group's `partition.assignment.strategy`.
    pub assignor: AssignorChoice,
    /// The first group's `max.poll.interval.ms`.
    pub max_poll_interval_ms: u64,
    /// The first group's `session.timeout.ms`.
    pub session_timeout_ms: u64,
    /// Whether the first group's members are static (KIP-345: each has a `group.instance.id`).
    pub static_membership: bool,
    /// Whether the first group's rebalance listener commits in `onPartitionsRevoked`.
    pub commit_on_revoke: bool,
    /// Whether the first group's members call `assign()` rather than `subscribe()`.
    pub assign: bool,
    /// Members of the second group `g2` on the same topics (0: none).
    pub second_group: u32,
    /// The first group's window type, if it has windows.
    pub window_type: Option<WindowType>,
    /// The time its windows use: `event`, `log_append` or `processing` (with windows).
    pub window_time: Option<&'static str>,
}

/// `acks` as Kafka spells it.
pub fn acks_name(acks: Acks) -> &'static str {
    match acks {
        Acks::None => "0",
        Acks::Leader => "1",
        Acks::All => "all",
    }
}

/// A config value as text, whether the scenario holds it as a JSON string, number or boolean.
fn config_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_string()),
        other => Some(other.to_string()),
    }
}

impl Knobs {
    /// The knobs of a run of `setup`, whose scenario is `scenario`.
    pub fn of(setup: &Setup, scenario: &Scenario) -> Knobs {
        let group = scenario.consumer_groups.first();
        let topic = scenario.topics.first();
        let topic_config = |key: &str| config_text(topic.and_then(|t| t.configs.get(key)));
        // The scenario is valid, so its consumer configs are: Kafka's defaults fill the gaps.
        let consumer = group.and_then(|g| ConsumerConfig::from_map("configs", &g.configs).ok()).unwrap_or_default();
        Knobs {
            preset: match setup.start {
                Start::Preset(p) => Some(p),
                Start::Scenario(_) => None,
            },
            seed: scenario.seed,
            partitions: scenario.topics.first().map_or(0, |t| t.partitions),
            consumers: group.map_or(0, |g| g.members),
            commit_mode: group.map_or(CommitMode::Auto, |g| g.commit_mode),
            brokers: scenario.brokers,
            replication_factor: topic.map_or(1, |t| t.replication_factor),
            // Kafka's defaults where the scenario sets nothing: acks=all, 1, false.
            acks: match config_text(scenario.producers.first().and_then(|p| p.configs.get("acks"))).as_deref() {
                Some("0") => Acks::None,
                Some("1") => Acks::Leader,
                _ => Acks::All,
            },
            min_insync_replicas: topic_config("min.insync.replicas").and_then(|v| v.parse().ok()).unwrap_or(1),
            unclean_leader_election: topic_config("unclean.leader.election.enable").is_some_and(|v| v == "true"),
            assignor: AssignorChoice::of(&consumer.partition_assignment_strategy),
            max_poll_interval_ms: consumer.max_poll_interval_ms,
            session_timeout_ms: consumer.session_timeout_ms,
            static_membership: group.is_some_and(|g| g.static_membership),
            commit_on_revoke: group.is_some_and(|g| g.commit_on_revoke),
            assign: group.is_some_and(|g| g.assign),
            second_group: scenario
                .consumer_groups
                .iter()
                .find(|g| g.group_id == streamlab_engine::session::SECOND_GROUP)
                .map_or(0, |g| g.members),
            window_type: group.and_then(|g| g.windows).map(|w| w.kind),
            window_time: group.and_then(|g| g.windows).map(|w| {
                if w.timestamp_extractor == TimestampExtractor::WallClock {
                    "processing"
                } else if topic_config("message.timestamp.type").as_deref() == Some("LogAppendTime") {
                    "log_append"
                } else {
                    "event"
                }
            }),
        }
    }

    /// `setup` with these knobs: their preset as its start (a full scenario stays when they
    /// name none) and their values as its settings. Its scripted commands stay. The cluster's
    /// and the group's knobs become settings only when they change the run (or were set
    /// before), so that a new preset brings its own cluster and a share link holds only what
    /// the user changed.
    pub fn apply(self, setup: &Setup) -> Setup {
        let before = setup.scenario().ok().map(|s| Knobs::of(setup, &s));
        let mut setup = setup.clone();
        if let Some(p) = self.preset {
            setup.start = Start::Preset(p);
        }
        let s = &mut setup.settings;
        s.insert("seed".into(), self.seed.into());
        s.insert("partitions".into(), self.partitions.into());
        s.insert("consumers".into(), self.consumers.into());
        s.insert("commit_mode".into(), self.commit_mode.name().into());
        // "Other" (a list none of the choices is) leaves the scenario's as it is.
        let strategy = self.assignor.config_value().map_or(Value::Null, Value::from);
        let knobs: [(&str, Value, bool); 12] = [
            ("brokers", self.brokers.into(), before.is_some_and(|b| b.brokers == self.brokers)),
            (
                "replication_factor",
                self.replication_factor.into(),
                before.is_some_and(|b| b.replication_factor == self.replication_factor),
            ),
            ("producer.acks", acks_name(self.acks).into(), before.is_some_and(|b| b.acks == self.acks)),
            (
                "topic.min.insync.replicas",
                self.min_insync_replicas.into(),
                before.is_some_and(|b| b.min_insync_replicas == self.min_insync_replicas),
            ),
            (
                "topic.unclean.leader.election.enable",
                self.unclean_leader_election.into(),
                before.is_some_and(|b| b.unclean_leader_election == self.unclean_leader_election),
            ),
            (
                "consumer.partition.assignment.strategy",
                strategy,
                self.assignor == AssignorChoice::Other || before.is_some_and(|b| b.assignor == self.assignor),
            ),
            (
                "consumer.max.poll.interval.ms",
                self.max_poll_interval_ms.into(),
                before.is_some_and(|b| b.max_poll_interval_ms == self.max_poll_interval_ms),
            ),
            (
                "consumer.session.timeout.ms",
                self.session_timeout_ms.into(),
                before.is_some_and(|b| b.session_timeout_ms == self.session_timeout_ms),
            ),
            (
                "static_membership",
                self.static_membership.into(),
                before.is_some_and(|b| b.static_membership == self.static_membership),
            ),
            (
                "commit_on_revoke",
                self.commit_on_revoke.into(),
                before.is_some_and(|b| b.commit_on_revoke == self.commit_on_revoke),
            ),
            ("assign", self.assign.into(), before.is_some_and(|b| b.assign == self.assign)),
            ("second_group", self.second_group.into(), before.is_some_and(|b| b.second_group == self.second_group)),
        ];
        for (name, value, unchanged) in knobs {
            if !value.is_null() && (!unchanged || s.contains_key(name)) {
                s.insert(name.into(), value);
            }
        }
        if let Some(t) = self.window_type {
            if before.is_some_and(|b| b.window_type != Some(t)) || s.contains_key("window.type") {
                s.insert("window.type".into(), t.name().into());
            }
        }
        if let Some(t) = self.window_time {
            if before.is_some_and(|b| b.window_time != Some(t)) || s.contains_key("window.timestamp_extractor") {
                s.extend(streamlab_engine::session::window_time_settings(t).unwrap_or_default());
            }
        }
        setup
    }
}

/// One point of the lag history: time (s), every group's total lag and backlog (records), and
/// each group's partitions as the group coordinator sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct LagPoint {
    pub time_s: f64,
    /// Σ high watermark − committed offset, over every group's partitions with a committed
    /// offset (assigned or not).
    pub lag: u64,
    /// Σ high watermark − position, over the partitions members hold.
    pub backlog: u64,
    /// Per group, in the scenario's order (shared: the views copy the history at each refresh).
    pub groups: Rc<Vec<GroupLag>>,
}

/// One group's partitions at one point of the lag history.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupLag {
    pub group_id: String,
    /// Σ high watermark − position over the partitions its members hold.
    pub backlog: u64,
    /// Every partition of the topics it reads, in topic then partition order.
    pub partitions: Vec<PartitionLag>,
}

impl GroupLag {
    /// Σ high watermark − committed offset over the partitions with a committed offset.
    pub fn lag(&self) -> u64 {
        self.partitions.iter().filter_map(PartitionLag::lag).sum()
    }
}

/// One partition of a group at one point of the lag history.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionLag {
    /// `topic-partition`.
    pub partition: String,
    pub high_watermark: u64,
    /// The group's committed offset, if it has one.
    pub committed: Option<u64>,
}

impl PartitionLag {
    /// High watermark − committed offset; `None` before the group commits one.
    pub fn lag(&self) -> Option<u64> {
        self.committed.map(|c| self.high_watermark.saturating_sub(c))
    }
}

/// Each group's partitions in `snapshot`: those of the topics `scenario` says it reads, and any
/// other it has committed offsets for or its members hold (a pattern subscription's).
pub fn group_lags(scenario: &Scenario, snapshot: &Snapshot) -> Vec<GroupLag> {
    scenario
        .consumer_groups
        .iter()
        .map(|g| {
            let view = snapshot.groups.iter().find(|v| v.group_id == g.group_id);
            let held = |name: &str| {
                view.is_some_and(|v| v.members.iter().flat_map(|m| &m.partitions).any(|p| p.partition == name))
            };
            GroupLag {
                group_id: g.group_id.clone(),
                backlog: view
                    .iter()
                    .flat_map(|v| &v.members)
                    .flat_map(|m| &m.partitions)
                    .map(|p| p.position.map_or(0, |pos| p.high_watermark.saturating_sub(pos)))
                    .sum(),
                partitions: snapshot
                    .partitions
                    .iter()
                    .filter_map(|p| {
                        let partition = format!("{}-{}", p.topic, p.partition);
                        let committed = p.committed.iter().find(|(id, _)| *id == g.group_id).map(|(_, o)| *o);
                        (g.topics.contains(&p.topic) || committed.is_some() || held(&partition))
                            .then_some(PartitionLag { partition, high_watermark: p.high_watermark, committed })
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Which assignor each side of the comparison of rebalance protocols runs.
pub const COMPARED: [(&str, &str); 2] = [("eager", RANGE_ASSIGNOR), ("cooperative", COOPERATIVE_STICKY_ASSIGNOR)];

/// One side of the comparison: the run again with one assignor, headless.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparedRun {
    /// `eager` or `cooperative`.
    pub protocol: &'static str,
    /// The assignor's class name, as `partition.assignment.strategy` was set.
    pub assignor: &'static str,
    /// Each group's rebalances, in the scenario's order.
    pub groups: Vec<(String, Vec<Rebalance>)>,
    /// Simulated time it stopped at, ms.
    pub end_ms: u64,
    pub trace_hash: u64,
    /// The commands it refused and skipped (as the playground does).
    pub refused: Vec<String>,
}

impl ComparedRun {
    /// Σ partitions revoked (or lost) over every rebalance.
    pub fn revoked(&self) -> u32 {
        self.groups.iter().flat_map(|(_, t)| t).map(|r| r.revoked).sum()
    }
}

/// The same setup, seed and commands run twice headless, once with the range assignor (eager
/// rebalances) and once with the cooperative sticky assignor (KIP-429), to the same time.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// `Some(t)`: both ran to simulated time `t` ms, where the playground stood; `None`: to the
    /// end of the input (or of the scenario), as `streamlab run` does.
    pub until_ms: Option<u64>,
    /// Eager first; a side whose setup the engine refused holds the error.
    pub runs: Vec<Result<ComparedRun, String>>,
    /// Real ms the two runs took together (the page's clock; 0 where nobody timed them).
    pub took_ms: f64,
}

/// Runs `setup` with the user's `commands` once per side of [`COMPARED`], its
/// `partition.assignment.strategy` set for every group, to `until_ms` or to the end.
pub fn compare_protocols(
    setup: &Setup,
    commands: &[TimedCommand],
    data: &Datasets,
    until_ms: Option<u64>,
) -> Comparison {
    let runs = COMPARED
        .iter()
        .map(|&(protocol, assignor)| {
            let mut setup = setup.clone();
            setup.settings.insert("consumer.partition.assignment.strategy".into(), assignor.into());
            let mut sim = setup.build(data).map_err(|e| e.to_string())?;
            let mut script = Script::new(setup.commands.iter().chain(commands).cloned());
            let mut refused = vec![];
            loop {
                let ran = match until_ms {
                    Some(t) => script.run_until(&mut sim, SimTime(t)).map(|_| ()),
                    None => script.run_to_end(&mut sim).map(|_| ()),
                };
                match ran {
                    Ok(()) => break,
                    Err(e) => {
                        refused.push(e.to_string());
                        script.skip_next();
                    }
                }
            }
            let snap = sim.snapshot_with(SnapshotOptions {
                tail_records: 0,
                trace_lines: 0,
                window_keys: 0,
                windows_per_key: 0,
            });
            Ok(ComparedRun {
                protocol,
                assignor,
                groups: snap.groups.into_iter().map(|g| (g.group_id, g.timeline)).collect(),
                end_ms: sim.now().0,
                trace_hash: sim.trace_hash(),
                refused,
            })
        })
        .collect();
    Comparison { until_ms, runs, took_ms: 0.0 }
}

/// The faults the comparison of delivery guarantees adds to the run's own actions: a crash of
/// the pipeline's first member, and a share of produce responses lost on the way back to every
/// producer (the pipeline's included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GuaranteeFaults {
    /// When `consumer-<group>-1` crashes, ms; `None`: no crash.
    pub crash_at_ms: Option<u64>,
    /// The share of ProduceResponses dropped, 0 to 1.
    pub drop_rate: f64,
}

impl Default for GuaranteeFaults {
    fn default() -> Self {
        GuaranteeFaults { crash_at_ms: Some(10_000), drop_rate: 0.05 }
    }
}

/// One side of the comparison of delivery guarantees: the run again as a pipeline with one
/// guarantee, headless, to the end.
#[derive(Debug, Clone, PartialEq)]
pub struct GuaranteeRun {
    pub guarantee: Guarantee,
    /// The downstream group's outcome, per input record.
    pub downstream: streamlab_engine::ledger::Outcome,
    /// The pipeline group's own outcome (its processing, by input offset).
    pub pipeline: streamlab_engine::ledger::Outcome,
    /// Records in the input topic.
    pub input: u64,
    pub end_ms: u64,
    pub drained: bool,
    /// Transactions committed and aborted, and those the coordinator aborted on timeout.
    pub committed: u64,
    pub aborted: u64,
    pub timed_out: u64,
    pub trace_hash: u64,
    /// The commands it refused and skipped.
    pub refused: Vec<String>,
}

/// The three guarantees side by side: the same setup, seed, actions and faults.
#[derive(Debug, Clone, PartialEq)]
pub struct GuaranteeComparison {
    pub faults: GuaranteeFaults,
    /// At-most-once, at-least-once, exactly-once; a side the engine refused holds the error.
    pub runs: Vec<Result<GuaranteeRun, String>>,
    pub took_ms: f64,
}

/// The guarantees compared, in order.
pub const GUARANTEES: [Guarantee; 3] = [Guarantee::AtMostOnce, Guarantee::AtLeastOnce, Guarantee::ExactlyOnce];

/// Runs `setup` with the user's `commands` and `faults` once per guarantee, its first group
/// made a pipeline with it (the `guarantee` setting), to the end.
pub fn compare_guarantees(
    setup: &Setup,
    commands: &[TimedCommand],
    data: &Datasets,
    faults: GuaranteeFaults,
) -> GuaranteeComparison {
    let runs = GUARANTEES
        .iter()
        .map(|&guarantee| {
            let mut setup = setup.clone();
            setup.settings.insert("guarantee".into(), guarantee.name().into());
            let mut sim = setup.build(data).map_err(|e| e.to_string())?;
            let group = sim.valid().scenario.consumer_groups.first().map(|g| g.group_id.clone()).unwrap_or_default();
            let mut extra = vec![];
            if faults.drop_rate > 0.0 {
                extra = streamlab_engine::command::drop_produce_responses(faults.drop_rate, true);
            }
            if let Some(at_ms) = faults.crash_at_ms {
                extra.push(TimedCommand {
                    at_ms,
                    command: Command::CrashConsumer { client_id: format!("consumer-{group}-1") },
                });
            }
            let mut all: Vec<TimedCommand> = setup.commands.iter().chain(commands).chain(&extra).cloned().collect();
            all.sort_by_key(|c| c.at_ms);
            let mut script = Script::new(all);
            let mut refused = vec![];
            while let Err(e) = script.run_to_end(&mut sim) {
                refused.push(e.to_string());
                script.skip_next();
            }
            let report = sim.summary();
            let outcome = |suffix: &str| {
                report.groups.iter().find(|g| g.group_id == format!("{group}{suffix}")).map(|g| g.outcome.clone())
            };
            let (committed, aborted) = sim.consumers().fold((0, 0), |(c, a), x| {
                let (xc, xa) = x.pipeline_transactions();
                (c + xc, a + xa)
            });
            Ok(GuaranteeRun {
                guarantee,
                downstream: outcome("-downstream").unwrap_or_default(),
                pipeline: outcome("").unwrap_or_default(),
                input: report.topics.first().map_or(0, |t| t.records),
                end_ms: sim.now().0,
                drained: report.drained,
                committed,
                aborted,
                timed_out: report.events.get("transaction_timed_out").copied().unwrap_or(0),
                trace_hash: sim.trace_hash(),
                refused,
            })
        })
        .collect();
    GuaranteeComparison { faults, runs, took_ms: 0.0 }
}

/// How fast simulated time runs while playing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// Simulated ms per real ms.
    Times(f64),
    /// As fast as the frame budget allows.
    Max,
}

/// Where a "Run for …" fast-forward stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunTarget {
    /// After this many ms of simulated time.
    For(u64),
    /// When the input is drained (`Simulation::is_drained`), or at the scenario's end
    /// (`run_ms`), whichever comes first.
    ToEnd,
}

/// A fast-forward under way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    pub target: RunTarget,
    /// Simulated time when it started, ms.
    pub from_ms: u64,
    /// Simulated time it stops at, at the latest, ms.
    pub until_ms: u64,
    /// Real time when it started (the page's clock), ms.
    pub started_real_ms: f64,
}

/// Why a fast-forward ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnding {
    /// It ran the simulated time it was asked for.
    Reached,
    /// The input was drained.
    Drained,
    /// It reached the scenario's end before the input was drained.
    ScenarioEnd,
    Cancelled,
}

/// What the last fast-forward did, for the status line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunReport {
    pub ending: RunEnding,
    /// Simulated ms it ran.
    pub sim_ms: u64,
    /// Real ms it took.
    pub real_ms: f64,
    /// Simulated time at its end, ms.
    pub end_ms: u64,
    /// Simulated time it was to stop at, at the latest, ms.
    pub until_ms: u64,
}

/// Simulated and real time accumulated towards the next reading of the achieved speed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct RateMeter {
    sim_ms: u64,
    real_ms: f64,
}

/// One run of the playground: the simulation and how the page drives it.
pub struct Player {
    /// What the run started from; resetting rebuilds from it, a share link carries it.
    pub setup: Setup,
    sim: Simulation,
    /// The commands still to apply at their times: the setup's scripted ones, and when a
    /// shared run is replayed, the user's.
    script: Script,
    /// The user's commands, each with the simulated time it was applied at, in order: what a
    /// share link replays.
    commands: Vec<TimedCommand>,
    pub playing: bool,
    pub speed: Speed,
    /// The fast-forward under way, if any; while it runs it, not `playing`, moves the clock.
    pub run: Option<Run>,
    /// How the last fast-forward ended.
    pub last_run: Option<RunReport>,
    /// Simulated seconds per real second over the last second the clock moved; `None` while it
    /// stands still or before a full second was measured.
    pub achieved_speed: Option<f64>,
    meter: RateMeter,
    /// Time of the previous animation frame, ms of the page's clock.
    last_frame_ms: Option<f64>,
    /// The fraction of a simulated ms a slow speed owes from earlier frames: at 0.25× a 60 Hz
    /// frame is worth 1.04 simulated ms, and rounding each frame alone would run 4 % fast.
    owed_ms: f64,
    pub history: Vec<LagPoint>,
    /// Simulated time of the next point of the lag history, ms.
    next_sample_ms: u64,
    /// Whether a point of the lag history fell due during a frame run flat out, which takes it
    /// at the frame's end.
    sample_due: bool,
    pub last_error: Option<String>,
    /// The last comparison of eager and cooperative rebalancing of this run, if one was asked for.
    pub comparison: Option<Rc<Comparison>>,
    /// Whether a comparison of this run is under way.
    pub comparing: bool,
    /// The last comparison of the three delivery guarantees, and whether one is under way.
    pub guarantees: Option<Rc<GuaranteeComparison>>,
    pub comparing_guarantees: bool,
}

impl Player {
    /// A new run of `setup`, at time 0; taxi and bids need their CSV in `data`.
    pub fn new(setup: Setup, data: &Datasets) -> Result<Player, ScenarioError> {
        Player::replaying(setup, vec![], data)
    }

    /// A new run of `setup` that will also apply the user's `commands` at their times (in time
    /// order), as when they were made: running it to the time of a share link gives that
    /// link's trace.
    pub fn replaying(setup: Setup, commands: Vec<TimedCommand>, data: &Datasets) -> Result<Player, ScenarioError> {
        let sim = setup.build(data)?;
        // Stable by time, the setup's first: at one instant, the scripted commands were applied
        // when the clock reached it, before the user could act.
        let script = Script::new(setup.commands.iter().chain(&commands).cloned());
        Ok(Player {
            setup,
            sim,
            script,
            commands,
            playing: false,
            speed: Speed::Times(1.0),
            run: None,
            last_run: None,
            achieved_speed: None,
            meter: RateMeter::default(),
            last_frame_ms: None,
            owed_ms: 0.0,
            history: vec![],
            next_sample_ms: 0,
            sample_due: false,
            last_error: None,
            comparison: None,
            comparing: false,
            guarantees: None,
            comparing_guarantees: false,
        })
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        self.sim.scenario()
    }

    /// The playground's knobs for this run.
    pub fn knobs(&self) -> Knobs {
        Knobs::of(&self.setup, self.sim.scenario())
    }

    /// The user's commands so far, with their times.
    pub fn commands(&self) -> &[TimedCommand] {
        &self.commands
    }

    /// Simulated time, ms.
    pub fn now_ms(&self) -> u64 {
        self.sim.now().0
    }

    /// Whether the clock runs as fast as the budget allows: at max, or in a fast-forward.
    pub fn is_flat_out(&self) -> bool {
        self.run.is_some() || (self.playing && self.speed == Speed::Max)
    }

    /// One animation frame at `frame_ms` (the page's clock): advances simulated time by the real
    /// time since the previous frame times the speed, or as far as it can while playing at max
    /// or running a fast-forward, doing engine work only until `clock()` reads `budget_ms`
    /// ([`FRAME_BUDGET_MS`], or less) past its value on entry. Time the budget could not cover
    /// is dropped, not owed: a slow frame makes the simulation fall behind, never freeze the
    /// page catching up. Returns whether anything on screen may have changed.
    ///
    /// Flat out, a frame covers seconds of simulated time, and a point of the lag history every
    /// 500 ms of it would spend most of the budget on snapshots (one per point, each costing
    /// more as the run's windows pile up); the history then takes one point per frame, at its
    /// end.
    pub fn frame(&mut self, frame_ms: f64, budget_ms: f64, clock: impl Fn() -> f64) -> bool {
        let elapsed_ms = self.last_frame_ms.map_or(0.0, |last| (frame_ms - last).max(0.0));
        self.last_frame_ms = Some(frame_ms);
        let deadline = clock() + budget_ms;
        let before = self.sim.now().0;
        if self.run.is_some() {
            self.advance_run(deadline, &clock);
        } else if self.playing {
            let target = match self.speed {
                Speed::Max => u64::MAX,
                Speed::Times(speed) => {
                    self.owed_ms += elapsed_ms * speed;
                    let whole = self.owed_ms.floor();
                    self.owed_ms -= whole;
                    before + whole as u64
                }
            };
            if !self.run_budgeted(target, deadline, &clock, self.speed != Speed::Max) {
                self.owed_ms = 0.0;
            }
        } else {
            // Standing still: the last reading no longer says anything, and must leave the screen.
            self.meter = RateMeter::default();
            return self.achieved_speed.take().is_some();
        }
        if std::mem::take(&mut self.sample_due) {
            self.sample();
        }
        self.measure(self.sim.now().0 - before, elapsed_ms);
        true
    }

    /// Adds one frame to the speed measurement and publishes a reading once a second's worth
    /// is in.
    fn measure(&mut self, sim_ms: u64, real_ms: f64) {
        self.meter.sim_ms += sim_ms;
        self.meter.real_ms += real_ms;
        if self.meter.real_ms >= RATE_WINDOW_MS {
            self.achieved_speed = Some(self.meter.sim_ms as f64 / self.meter.real_ms);
            self.meter = RateMeter::default();
        }
    }

    /// Starts a fast-forward to `target` at real time `now_real_ms`. It pauses playing, so that
    /// the run stops where it was asked to; pressing Play while it runs plays on after it.
    pub fn start_run(&mut self, target: RunTarget, now_real_ms: f64) {
        let from_ms = self.sim.now().0;
        let until_ms = match target {
            RunTarget::For(ms) => from_ms + ms,
            RunTarget::ToEnd => self.sim.scenario().run_ms,
        };
        self.playing = false;
        self.last_run = None;
        self.run = Some(Run { target, from_ms, until_ms, started_real_ms: now_real_ms });
    }

    /// Stops the fast-forward under way, if any, at real time `now_real_ms`.
    pub fn cancel_run(&mut self, now_real_ms: f64) {
        if self.run.is_some() {
            self.finish_run(RunEnding::Cancelled, now_real_ms);
        }
    }

    fn finish_run(&mut self, ending: RunEnding, now_real_ms: f64) {
        if let Some(run) = self.run.take() {
            let end_ms = self.sim.now().0;
            self.last_run = Some(RunReport {
                ending,
                sim_ms: end_ms - run.from_ms,
                real_ms: now_real_ms - run.started_real_ms,
                end_ms,
                until_ms: run.until_ms,
            });
        }
    }

    /// Advances the fast-forward under way until it ends or the budget runs out.
    fn advance_run(&mut self, deadline: f64, clock: &impl Fn() -> f64) {
        let Some(run) = self.run else { return };
        loop {
            let now = self.sim.now().0;
            // "To the end" asks whether the run has drained only where the engine's own
            // run_to_drain does (whole seconds), so it stops where `streamlab run` stops.
            let to_end = run.target == RunTarget::ToEnd;
            let ending = if to_end
                && (now == run.from_ms || now.is_multiple_of(DRAIN_CHECK_EVERY_MS))
                && self.sim.is_drained()
            {
                Some(RunEnding::Drained)
            } else if now >= run.until_ms {
                Some(if to_end { RunEnding::ScenarioEnd } else { RunEnding::Reached })
            } else {
                None
            };
            if let Some(ending) = ending {
                self.finish_run(ending, clock());
                return;
            }
            let stop = if to_end {
                ((now / DRAIN_CHECK_EVERY_MS + 1) * DRAIN_CHECK_EVERY_MS).min(run.until_ms)
            } else {
                run.until_ms
            };
            if !self.run_budgeted(stop, deadline, clock, false) {
                return;
            }
        }
    }

    /// Runs towards `target_ms` in slices of [`SLICE_MS`] (ending on multiples of it, so that
    /// the slicing does not depend on where a run started) until it is reached or `clock()`
    /// passes `deadline`; returns whether it was reached. `on_grid` as for [`Player::run_to`].
    fn run_budgeted(&mut self, target_ms: u64, deadline: f64, clock: &impl Fn() -> f64, on_grid: bool) -> bool {
        while self.sim.now().0 < target_ms {
            if clock() >= deadline {
                return false;
            }
            let next = ((self.sim.now().0 / SLICE_MS + 1) * SLICE_MS).min(target_ms);
            self.run_to(next, on_grid);
        }
        true
    }

    /// Advances simulated time by `delta_ms` at once, with no budget: for Step.
    pub fn advance(&mut self, delta_ms: u64) {
        self.run_to(self.sim.now().0 + delta_ms, true);
    }

    /// Runs the simulation to `target_ms`. With `on_grid`, it takes each point of the lag
    /// history at its time, every [`SAMPLE_EVERY_MS`]; without, it only notes that one fell due.
    fn run_to(&mut self, target_ms: u64, on_grid: bool) {
        while self.sim.now().0 < target_ms {
            let next = if on_grid { self.next_sample_ms.min(target_ms) } else { target_ms };
            self.run_script_until(next);
            let now = self.sim.now().0;
            if now >= self.next_sample_ms {
                if on_grid {
                    self.sample();
                } else {
                    self.sample_due = true;
                }
                self.next_sample_ms = (now / SAMPLE_EVERY_MS + 1) * SAMPLE_EVERY_MS;
            }
        }
    }

    /// Runs the simulation to `target_ms`, applying the script's commands due by then. A
    /// refused command is reported and skipped, so that the run goes on without it.
    fn run_script_until(&mut self, target_ms: u64) {
        while let Err(e) = self.script.run_until(&mut self.sim, SimTime(target_ms)) {
            self.last_error = Some(format!("A scripted command was refused and skipped: {e}"));
            self.script.skip_next();
        }
    }

    fn sample(&mut self) {
        let snap = self.sim.snapshot_with(SnapshotOptions {
            tail_records: 0,
            trace_lines: 0,
            window_keys: 0,
            windows_per_key: 0,
        });
        let groups = group_lags(self.sim.scenario(), &snap);
        let lag = groups.iter().map(GroupLag::lag).sum();
        let backlog = groups.iter().map(|g| g.backlog).sum();
        self.history.push(LagPoint { time_s: snap.now_ms as f64 / 1000.0, lag, backlog, groups: Rc::new(groups) });
        if self.history.len() > HISTORY_POINTS {
            self.history.remove(0);
        }
    }

    /// Applies a user's command (crash, leave, add a consumer) now and logs it with its time; a
    /// refusal changes nothing and becomes `last_error`.
    pub fn apply(&mut self, command: Command) {
        match self.sim.apply(command.clone()) {
            Ok(()) => {
                self.commands.push(TimedCommand { at_ms: self.sim.now().0, command });
                self.last_error = None;
            }
            Err(e) => self.last_error = Some(e.to_string()),
        }
    }

    /// The run's metrics now, by path: what an exercise's goal is evaluated on.
    pub fn metrics(&self) -> Metrics {
        self.sim.metrics()
    }

    /// What the views draw now.
    pub fn snapshot(&self) -> Snapshot {
        self.sim.snapshot()
    }

    /// The name of the key with index `key` (its colour in the log strips).
    pub fn key_name(&self, key: u32) -> String {
        self.sim.keys().name(streamlab_engine::KeyId(key)).to_string()
    }

    /// How many distinct keys the engine knows so far.
    pub fn key_count(&self) -> usize {
        self.sim.keys().len()
    }

    /// The topic the producers write to.
    pub fn topic(&self) -> String {
        self.sim.scenario().topics[0].name.clone()
    }

    /// How many rows of the input could not be read.
    pub fn dead_letters(&self) -> usize {
        self.sim.dead_letters().len()
    }

    /// The hash of the trace so far: the same stream, seed and actions give the same hash.
    pub fn trace_hash(&self) -> u64 {
        self.sim.trace_hash()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn iot() -> Player {
        Player::new(Setup::preset(Preset::Iot), &Datasets::default()).unwrap()
    }

    /// A clock that stands still: the budget never runs out.
    fn frozen() -> impl Fn() -> f64 {
        || 0.0
    }

    /// A clock that moves 1 ms each time it is read.
    fn ticking() -> impl Fn() -> f64 {
        let t = Cell::new(0.0);
        move || {
            t.set(t.get() + 1.0);
            t.get()
        }
    }

    #[test]
    fn run_for_stops_exactly_at_its_target_and_pauses() {
        let mut p = iot();
        p.playing = true;
        p.advance(1234);
        p.start_run(RunTarget::For(600_000), 0.0);
        assert!(!p.playing);
        assert!(p.frame(16.0, FRAME_BUDGET_MS, frozen()));
        assert_eq!(p.now_ms(), 601_234);
        assert_eq!(p.run, None);
        let report = p.last_run.unwrap();
        assert_eq!((report.ending, report.sim_ms, report.end_ms), (RunEnding::Reached, 600_000, 601_234));
        assert!(!p.frame(32.0, FRAME_BUDGET_MS, frozen()), "nothing moves after the run");
        assert_eq!(p.now_ms(), 601_234);
    }

    #[test]
    fn a_frame_ends_when_the_budget_runs_out() {
        let mut p = iot();
        p.playing = true;
        p.speed = Speed::Max;
        p.frame(0.0, FRAME_BUDGET_MS, ticking());
        let after_one = p.now_ms();
        assert!(after_one > 0 && after_one <= FRAME_BUDGET_MS as u64 * SLICE_MS, "{after_one}");
        p.start_run(RunTarget::For(3_600_000), 0.0);
        for i in 1..=5 {
            p.frame(i as f64 * 16.0, FRAME_BUDGET_MS, ticking());
        }
        assert!(p.run.is_some(), "a budget of a few slices per frame cannot run an hour in 5 frames");
        p.cancel_run(1000.0);
        let report = p.last_run.unwrap();
        assert_eq!((report.ending, report.real_ms), (RunEnding::Cancelled, 1000.0));
        assert!(report.sim_ms > 0 && report.sim_ms < 3_600_000);
    }

    #[test]
    fn slow_speeds_keep_the_fractions_of_a_ms() {
        let mut p = iot();
        p.playing = true;
        p.speed = Speed::Times(0.25);
        // 60 Hz for 6 s: each frame is worth 1.0416 simulated ms.
        for i in 0..=360 {
            p.frame(i as f64 * 1000.0 / 60.0, FRAME_BUDGET_MS, frozen());
        }
        assert!((1499..=1500).contains(&p.now_ms()), "{}", p.now_ms());
        let achieved = p.achieved_speed.unwrap();
        assert!((achieved - 0.25).abs() < 0.01, "{achieved}");
        p.playing = false;
        p.frame(7000.0, FRAME_BUDGET_MS, frozen());
        assert_eq!(p.achieved_speed, None);
    }

    #[test]
    fn to_the_end_stops_at_the_scenario_end_when_the_input_never_ends() {
        let mut p = iot();
        p.start_run(RunTarget::ToEnd, 0.0);
        p.frame(0.0, FRAME_BUDGET_MS, frozen());
        assert_eq!(p.now_ms(), 60_000);
        assert_eq!(p.last_run.unwrap().ending, RunEnding::ScenarioEnd);
        p.start_run(RunTarget::ToEnd, 0.0);
        p.frame(16.0, FRAME_BUDGET_MS, frozen());
        assert_eq!((p.now_ms(), p.last_run.unwrap().sim_ms), (60_000, 0));
    }

    #[test]
    fn to_the_end_stops_where_the_cli_does_when_the_input_drains() {
        let file = Preset::Taxi.data_file().unwrap();
        let csv = std::fs::read_to_string(format!("{}/static/data/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let data = Datasets { taxi_csv: Some(csv), bids_csv: None };
        let mut p = Player::new(Setup::preset(Preset::Taxi), &data).unwrap();
        p.start_run(RunTarget::ToEnd, 0.0);
        p.frame(0.0, FRAME_BUDGET_MS, frozen());
        let report = p.last_run.unwrap();
        assert_eq!(report.ending, RunEnding::Drained);

        let scenario = Scenario::preset(Preset::Taxi, 42, 6, 3);
        let mut cli = Simulation::with_data(scenario, &data).unwrap();
        assert!(cli.run_to_drain(SimTime(cli.scenario().run_ms)));
        assert_eq!((report.end_ms, p.trace_hash()), (cli.now().0, cli.trace_hash()));
    }

    #[test]
    fn replaying_the_user_commands_gives_the_same_trace() {
        let knobs = Knobs {
            preset: Some(Preset::Iot),
            seed: 7,
            partitions: 4,
            consumers: 3,
            commit_mode: CommitMode::AfterProcessing,
            brokers: 1,
            replication_factor: 1,
            acks: Acks::All,
            min_insync_replicas: 1,
            unclean_leader_election: false,
            assignor: AssignorChoice::CooperativeSticky,
            max_poll_interval_ms: 20_000,
            session_timeout_ms: 10_000,
            static_membership: true,
            commit_on_revoke: true,
            assign: false,
            second_group: 2,
            window_type: Some(WindowType::Tumbling),
            window_time: Some("event"),
        };
        let setup = knobs.apply(&Setup::preset(Preset::Iot));
        let mut p = Player::new(setup.clone(), &Datasets::default()).unwrap();
        assert_eq!(p.knobs(), knobs);
        p.playing = true;
        p.speed = Speed::Times(10.0);
        for i in 0..=120 {
            p.frame(i as f64 * 16.0, FRAME_BUDGET_MS, frozen());
        }
        p.apply(Command::CrashConsumer { client_id: "consumer-g1-1".into() });
        p.advance(100);
        p.apply(Command::CrashConsumer { client_id: "nobody".into() });
        assert!(p.last_error.is_some());
        p.apply(Command::AddConsumer { group_id: "g1".into() });
        p.start_run(RunTarget::For(30_000), 0.0);
        p.frame(5000.0, FRAME_BUDGET_MS, frozen());
        p.advance(100);
        assert_eq!(p.commands().len(), 2, "refused commands are not logged");

        let mut replay = Player::replaying(setup, p.commands().to_vec(), &Datasets::default()).unwrap();
        replay.start_run(RunTarget::For(p.now_ms()), 0.0);
        replay.frame(0.0, FRAME_BUDGET_MS, frozen());
        assert_eq!((replay.now_ms(), replay.trace_hash()), (p.now_ms(), p.trace_hash()));
        assert_eq!(replay.commands(), p.commands());
        assert_eq!(replay.metrics().get("events.consumer_crashed"), Some(1.0));
    }

    #[test]
    fn a_refused_scripted_command_is_skipped_and_the_run_goes_on() {
        let mut setup = Setup::preset(Preset::Iot);
        let crash =
            |at_ms, who: &str| TimedCommand { at_ms, command: Command::CrashConsumer { client_id: who.into() } };
        setup.commands = vec![crash(1_000, "nobody"), crash(2_000, "consumer-g1-1")];
        let mut p = Player::new(setup, &Datasets::default()).unwrap();
        p.advance(5_000);
        assert_eq!(p.now_ms(), 5_000);
        assert!(p.last_error.as_deref().unwrap_or_default().contains("nobody"), "{:?}", p.last_error);
        assert_eq!(p.metrics().get("events.consumer_crashed"), Some(1.0));
        assert!(p.commands().is_empty(), "scripted commands are not the user's");
    }

    #[test]
    fn the_group_knobs_set_the_consumer_configs() {
        let setup = Setup::preset(Preset::Iot);
        let knobs = Knobs::of(&setup, &setup.scenario().unwrap());
        // Kafka's defaults.
        assert_eq!(
            (knobs.assignor, knobs.max_poll_interval_ms, knobs.session_timeout_ms, knobs.static_membership),
            (AssignorChoice::KafkaDefault, 300_000, 45_000, false)
        );
        let unchanged = knobs.apply(&setup);
        for name in ["consumer.partition.assignment.strategy", "consumer.max.poll.interval.ms", "static_membership"] {
            assert!(!unchanged.settings.contains_key(name), "{name}");
        }
        let group = Knobs {
            assignor: AssignorChoice::CooperativeSticky,
            max_poll_interval_ms: 20_000,
            session_timeout_ms: 10_000,
            static_membership: true,
            second_group: 1,
            ..knobs
        };
        let changed = group.apply(&setup);
        assert_eq!(
            changed.settings["consumer.partition.assignment.strategy"],
            Value::from(COOPERATIVE_STICKY_ASSIGNOR)
        );
        assert_eq!(changed.settings["consumer.max.poll.interval.ms"], Value::from(20_000));
        assert_eq!(changed.settings["consumer.session.timeout.ms"], Value::from(10_000));
        assert_eq!(changed.settings["static_membership"], Value::from(true));
        assert_eq!(changed.settings["second_group"], Value::from(1));
        assert!(!changed.settings.contains_key("assign"), "unchanged knobs stay out of the settings");
        let p = Player::new(changed, &Datasets::default()).unwrap();
        assert_eq!(p.knobs(), group);
        let snap = p.snapshot();
        assert_eq!((snap.groups[0].rebalance_protocol, snap.groups[0].session_timeout_ms), ("cooperative", 10_000));
        let default_list = AssignorChoice::KafkaDefault.config_value().unwrap();
        assert_eq!(default_list, format!("{RANGE_ASSIGNOR},{COOPERATIVE_STICKY_ASSIGNOR}"));
        // A list none of the choices is stays as the scenario has it.
        let mut other = Setup::preset(Preset::Iot);
        let list = format!("{},{RANGE_ASSIGNOR}", Strategy::RoundRobin.class_name());
        other.settings.insert("consumer.partition.assignment.strategy".into(), Value::from(list.clone()));
        let k = Knobs::of(&other, &other.scenario().unwrap());
        assert_eq!(k.assignor, AssignorChoice::Other);
        assert_eq!(k.apply(&other).settings["consumer.partition.assignment.strategy"], Value::from(list));
    }

    #[test]
    fn the_comparison_replays_the_run_with_each_protocol() {
        let mut setup = Setup::preset(Preset::Iot);
        setup.settings.insert("consumer.partition.assignment.strategy".into(), Value::from(RANGE_ASSIGNOR));
        let mut p = Player::new(setup.clone(), &Datasets::default()).unwrap();
        p.advance(15_000);
        p.apply(Command::AddConsumer { group_id: "g1".into() });
        p.advance(15_000);
        p.apply(Command::CrashConsumer { client_id: "nobody".into() });
        let c = compare_protocols(&p.setup, p.commands(), &Datasets::default(), Some(p.now_ms()));
        assert_eq!(c.runs.len(), 2);
        let eager = c.runs[0].as_ref().unwrap();
        let cooperative = c.runs[1].as_ref().unwrap();
        assert_eq!((eager.protocol, cooperative.protocol), ("eager", "cooperative"));
        // This run is the eager one: the same trace to the same instant.
        assert_eq!((eager.end_ms, eager.trace_hash), (p.now_ms(), p.trace_hash()));
        assert!(eager.refused.is_empty());
        assert!(eager.groups[0].1.len() >= 2, "{:?}", eager.groups);
        assert!(cooperative.revoked() < eager.revoked(), "{} vs {}", cooperative.revoked(), eager.revoked());
        let to_end = compare_protocols(&p.setup, p.commands(), &Datasets::default(), None);
        assert_eq!(to_end.runs[0].as_ref().unwrap().end_ms, 60_000);
    }

    #[test]
    fn the_cluster_knobs_become_settings_only_when_they_change_the_run() {
        let setup = Setup::preset(Preset::Iot);
        let scenario = setup.scenario().unwrap();
        let knobs = Knobs::of(&setup, &scenario);
        let unchanged = knobs.apply(&setup);
        for name in ["brokers", "replication_factor", "producer.acks", "topic.min.insync.replicas"] {
            assert!(!unchanged.settings.contains_key(name), "{name}");
        }
        let three = Knobs { brokers: 3, replication_factor: 3, acks: Acks::Leader, min_insync_replicas: 2, ..knobs };
        let changed = three.apply(&setup);
        assert_eq!(changed.settings["brokers"], Value::from(3));
        assert_eq!(changed.settings["replication_factor"], Value::from(3));
        assert_eq!(changed.settings["producer.acks"], Value::from("1"));
        assert_eq!(changed.settings["topic.min.insync.replicas"], Value::from(2));
        assert!(!changed.settings.contains_key("topic.unclean.leader.election.enable"));
        // Once set, a knob stays a setting, even back at the default.
        let back = Knobs { acks: Acks::All, ..three }.apply(&changed);
        assert_eq!(back.settings["producer.acks"], Value::from("all"));
        // More replicas than brokers: the engine refuses the setup, naming the setting.
        let bad = Knobs { brokers: 1, replication_factor: 3, ..knobs }.apply(&setup);
        let e = bad.scenario().unwrap_err();
        assert!(e.path.contains("replication_factor"), "{e}");
    }
}
