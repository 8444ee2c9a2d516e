//! The bridge between the UI and the engine: owns the `Simulation`, advances it in slices of
//! simulated time per tick (with an event budget so that a frame never stalls), applies commands,
//! and keeps the short history the charts draw.

use streamlab_engine::consumer::CommitMode;
use streamlab_engine::simulation::SnapshotOptions;
use streamlab_engine::{
    Command, CommandError, Datasets, Preset, Scenario, ScenarioError, SimTime, Simulation, Snapshot,
};

/// Simulated ms between two points of the lag history.
const SAMPLE_EVERY_MS: u64 = 500;
/// Points kept in the lag history (one minute of simulated time).
const HISTORY_POINTS: usize = 120;
/// The most engine events one tick may process, so that a fast speed cannot freeze the page.
const EVENTS_PER_TICK: u64 = 200_000;

/// The playground's knobs, applied by rebuilding the simulation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub preset: Preset,
    pub seed: u64,
    pub partitions: u32,
    pub consumers: u32,
    pub commit_mode: CommitMode,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { preset: Preset::Iot, seed: 42, partitions: 6, consumers: 3, commit_mode: CommitMode::Auto }
    }
}

/// One point of the lag chart: time (s) and the group's total lag and backlog (records).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LagPoint {
    pub time_s: f64,
    /// Σ high watermark − committed offset.
    pub lag: u64,
    /// Σ high watermark − position.
    pub backlog: u64,
}

pub struct Player {
    pub settings: Settings,
    sim: Simulation,
    pub playing: bool,
    /// Simulated ms per real ms.
    pub speed: f64,
    pub history: Vec<LagPoint>,
    next_sample_ms: u64,
    pub last_error: Option<String>,
}

impl Player {
    /// A new run of `settings.preset`; taxi and bids need their CSV in `data`.
    pub fn new(settings: Settings, data: &Datasets) -> Result<Player, ScenarioError> {
        let mut scenario = Scenario::preset(settings.preset, settings.seed, settings.partitions, settings.consumers);
        scenario.consumer_groups[0].commit_mode = settings.commit_mode;
        let sim = Simulation::with_data(scenario, data)?;
        Ok(Player { settings, sim, playing: false, speed: 1.0, history: vec![], next_sample_ms: 0, last_error: None })
    }

    /// Advances simulated time by `real_ms * speed`.
    pub fn tick(&mut self, real_ms: f64) {
        if self.playing {
            let delta = (real_ms * self.speed).round().max(1.0) as u64;
            self.advance(delta);
        }
    }

    /// Advances simulated time by `delta_ms`, sampling the lag history on the way.
    pub fn advance(&mut self, delta_ms: u64) {
        let target = self.sim.now().0 + delta_ms;
        let start_events = self.sim.events_processed();
        while self.sim.now().0 < target {
            let next = self.next_sample_ms.min(target);
            self.sim.run_until(SimTime(next));
            if next == self.next_sample_ms {
                self.sample();
                self.next_sample_ms += SAMPLE_EVERY_MS;
            }
            if self.sim.events_processed() - start_events > EVENTS_PER_TICK {
                break;
            }
        }
    }

    fn sample(&mut self) {
        let snap = self.sim.snapshot_with(SnapshotOptions {
            tail_records: 0,
            trace_lines: 0,
            window_keys: 0,
            windows_per_key: 0,
        });
        let hw: std::collections::BTreeMap<String, u64> =
            snap.partitions.iter().map(|v| (format!("{}-{}", v.topic, v.partition), v.high_watermark)).collect();
        let (mut lag, mut backlog) = (0, 0);
        for g in &snap.groups {
            for m in &g.members {
                for p in &m.partitions {
                    lag += p.lag.unwrap_or(0);
                    let hw = hw.get(&p.partition).copied().unwrap_or(0);
                    backlog += p.position.map_or(0, |pos| hw.saturating_sub(pos));
                }
            }
        }
        self.history.push(LagPoint { time_s: snap.now_ms as f64 / 1000.0, lag, backlog });
        if self.history.len() > HISTORY_POINTS {
            self.history.remove(0);
        }
    }

    pub fn apply(&mut self, command: Command) {
        self.last_error = self.sim.apply(command).err().map(|e: CommandError| e.to_string());
    }

    pub fn snapshot(&self) -> Snapshot {
        self.sim.snapshot()
    }

    pub fn key_name(&self, key: u32) -> String {
        self.sim.keys().name(streamlab_engine::KeyId(key)).to_string()
    }

    pub fn key_count(&self) -> usize {
        self.sim.keys().len()
    }

    pub fn topic(&self) -> String {
        self.sim.scenario().topics[0].name.clone()
    }

    pub fn dead_letters(&self) -> usize {
        self.sim.dead_letters().len()
    }

    pub fn trace_hash(&self) -> u64 {
        self.sim.trace_hash()
    }
}
