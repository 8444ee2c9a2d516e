//! The `Simulation`: owns the nodes, the scheduler, the network and the trace; delivers messages
//! and timers to nodes and applies the effects their handlers return. The UI, the CLI, the tests
//! and the benchmarks all drive the engine through it.

use crate::broker::Broker;
use crate::command::{Command, CommandError};
use crate::consumer::Consumer;
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::ledger::{Ledger, Outcome};
use crate::node::{ClusterMetadata, Ctx, Effect, Observation, Timer};
use crate::producer::Producer;
use crate::protocol::Message;
use crate::report::{GroupReport, PartitionReport, Report, WindowReport};
use crate::scenario::{Scenario, ScenarioError, ValidScenario, WorkloadSpec};
use crate::sim::{Network, Scheduler, SimRng, SimTime, Trace, TraceEntry};
use crate::snapshot::{
    AssignedPartition, GroupView, MemberView, PartitionView, ProducerView, Snapshot, TailRecord, TraceLine, WindowCell,
    WindowRow, WindowsView,
};
use crate::streams::windows::Payload;
use crate::streams::{Aggregation, TumblingWindows, WindowedAggregator};
use crate::workload::table::{parse_bids, parse_taxi};
use crate::workload::{DataTable, DeadLetter, IotWorkload, KeyTable, TableWorkload, Values, Workload};
use std::collections::BTreeMap;
use std::rc::Rc;

/// `offsets.topic.num.partitions` default.
const OFFSETS_TOPIC_PARTITIONS: u32 = 50;
/// The most consumers one group may have, counting those started by commands.
pub const MAX_CONSUMERS_PER_GROUP: usize = 64;

// RNG streams: one per independent source of randomness.
const STREAM_NODES: u64 = 1;
const STREAM_NETWORK: u64 = 2;

/// A node of the simulated cluster.
#[derive(Debug)]
pub enum Node {
    Broker(Broker),
    Producer(Producer),
    Consumer(Consumer),
}

impl Node {
    fn is_alive(&self) -> bool {
        match self {
            Node::Consumer(c) => c.is_alive(),
            _ => true,
        }
    }
}

#[derive(Debug)]
enum Event {
    Deliver { from: NodeId, to: NodeId, msg: Message },
    Timer { node: NodeId, timer: Timer },
}

/// How much of the run a snapshot shows.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotOptions {
    /// Records per partition in each log strip's tail.
    pub tail_records: usize,
    /// Info-level trace lines.
    pub trace_lines: usize,
    /// Keys in the windows view (the busiest), and windows per key (the latest).
    pub window_keys: usize,
    pub windows_per_key: usize,
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        SnapshotOptions { tail_records: 48, trace_lines: 40, window_keys: 10, windows_per_key: 6 }
    }
}

/// The CSV inputs of the taxi and bids workloads (the files in `static/data/`), as text. The
/// browser fetches them; the CLI reads them from disk.
#[derive(Debug, Clone, Default)]
pub struct Datasets {
    pub taxi_csv: Option<String>,
    pub bids_csv: Option<String>,
}

/// A running simulation. See the crate docs for the API.
#[derive(Debug)]
pub struct Simulation {
    valid: ValidScenario,
    now: SimTime,
    scheduler: Scheduler<Event>,
    network: Network,
    rng: SimRng,
    nodes: Vec<Node>,
    keys: Rc<KeyTable>,
    metadata: ClusterMetadata,
    trace: Trace,
    /// The data table behind each producer's workload (`None` for synthetic ones).
    tables: Vec<Option<Rc<DataTable>>>,
    ledger: Ledger,
    /// Each group's windowed aggregation, for groups that have one.
    apps: BTreeMap<String, WindowedAggregator>,
    /// Consumers started per group so far, for `consumer-{group}-{n}` client ids.
    started_per_group: BTreeMap<String, u32>,
    events: u64,
}

impl Simulation {
    /// Validates the scenario and starts every node at time 0. For taxi and bids workloads use
    /// [`Simulation::with_data`].
    pub fn new(scenario: Scenario) -> Result<Simulation, ScenarioError> {
        Simulation::with_data(scenario, &Datasets::default())
    }

    /// As [`Simulation::new`], with the CSV inputs the scenario's workloads read. Errors: a taxi
    /// or bids workload without its CSV, or a CSV over 64 MiB or without a header line (bad rows
    /// are not errors: they become dead letters).
    pub fn with_data(scenario: Scenario, data: &Datasets) -> Result<Simulation, ScenarioError> {
        let valid = scenario.validate()?;
        let s = &valid.scenario;
        let mut metadata = ClusterMetadata { offsets_topic_partitions: OFFSETS_TOPIC_PARTITIONS, ..Default::default() };
        let mut nodes = vec![];
        for b in 0..s.brokers {
            metadata.brokers.insert(BrokerId(b), NodeId(b));
            nodes.push(Node::Broker(Broker::new(BrokerId(b), valid.broker_config.clone())));
        }
        for (ti, t) in s.topics.iter().enumerate() {
            metadata.topics.insert(t.name.clone(), t.partitions);
            for p in 0..t.partitions {
                // Leaders spread round-robin, each topic starting one broker further on.
                let leader = BrokerId((p + ti as u32) % s.brokers);
                let tp = TopicPartition::new(&t.name, p);
                metadata.leaders.insert(tp.clone(), leader);
                if let Node::Broker(b) = &mut nodes[leader.0 as usize] {
                    b.lead(tp);
                    b.topic_configs.insert(t.name.clone(), valid.topic_configs[ti].clone());
                }
            }
        }
        let mut keys = KeyTable::default();
        let mut workloads = vec![];
        let mut tables = vec![];
        for (i, p) in s.producers.iter().enumerate() {
            let csv = match p.workload {
                WorkloadSpec::Iot { devices, interval_ms, limit } => {
                    workloads.push(Workload::Iot(IotWorkload::new(&mut keys, devices, interval_ms, limit)));
                    tables.push(None);
                    continue;
                }
                WorkloadSpec::Taxi { .. } => &data.taxi_csv,
                WorkloadSpec::Bids { .. } => &data.bids_csv,
            };
            let file = p.workload.data_file().unwrap_or_default();
            let path = format!("producers[{i}].workload");
            let name = p.workload.name();
            let Some(csv) = csv else {
                return Err(ScenarioError {
                    path,
                    message: format!("the {name} workload needs its CSV (static/data/{file}), and none was given"),
                });
            };
            let parsed = match p.workload {
                WorkloadSpec::Taxi { .. } => parse_taxi(csv, &mut keys),
                _ => parse_bids(csv, &mut keys),
            };
            let table =
                Rc::new(parsed.map_err(|e| ScenarioError { path: path.clone(), message: format!("{name} CSV: {e}") })?);
            let rate = match p.workload {
                WorkloadSpec::Taxi { rate_per_s } | WorkloadSpec::Bids { rate_per_s } => rate_per_s,
                WorkloadSpec::Iot { .. } => unreachable!("handled above"),
            };
            workloads.push(Workload::Table(TableWorkload::new(table.clone(), rate)));
            tables.push(Some(table));
        }
        let keys = Rc::new(keys);
        for (i, (p, w)) in s.producers.iter().zip(workloads).enumerate() {
            let config = valid.producer_configs[i].clone();
            let node = NodeId(nodes.len() as u32);
            for n in nodes.iter_mut() {
                if let Node::Broker(b) = n {
                    b.set_producer_name(node, &config.client_id);
                }
            }
            nodes.push(Node::Producer(Producer::new(
                i as u32,
                config,
                p.topic.clone(),
                metadata.clone(),
                keys.clone(),
                w,
            )));
        }
        let mut sim = Simulation {
            now: SimTime::ZERO,
            scheduler: Scheduler::default(),
            network: Network::new(s.network, SimRng::new(s.seed, STREAM_NETWORK)),
            rng: SimRng::new(s.seed, STREAM_NODES),
            nodes,
            keys,
            metadata,
            trace: Trace::default(),
            started_per_group: BTreeMap::new(),
            events: 0,
            tables,
            ledger: Ledger::default(),
            apps: BTreeMap::new(),
            valid,
        };
        for g in &sim.valid.scenario.consumer_groups {
            sim.ledger.add_group(&g.group_id, &g.topics);
            if let Some(w) = g.windows {
                let source = sim.valid.scenario.producers.iter().find(|p| g.topics.contains(&p.topic));
                let aggregation = match source.map(|p| &p.workload) {
                    Some(WorkloadSpec::Taxi { .. }) => Aggregation::TaxiTrips,
                    Some(WorkloadSpec::Bids { .. }) => Aggregation::HighestBid,
                    _ => Aggregation::Count,
                };
                let spec = TumblingWindows { size_ms: w.size_ms, grace_ms: w.grace_ms };
                sim.apps.insert(g.group_id.clone(), WindowedAggregator::new(spec, aggregation));
            }
        }
        for i in 0..sim.nodes.len() {
            sim.with_node(NodeId(i as u32), |node, ctx| match node {
                Node::Broker(b) => b.start(ctx),
                Node::Producer(p) => p.start(ctx),
                Node::Consumer(_) => {}
            });
        }
        let groups: Vec<(String, u32)> =
            sim.valid.scenario.consumer_groups.iter().map(|g| (g.group_id.clone(), g.members)).collect();
        for (group_id, members) in groups {
            for _ in 0..members {
                sim.start_consumer(&group_id)?;
            }
        }
        Ok(sim)
    }

    /// The scenario this simulation runs.
    pub fn scenario(&self) -> &Scenario {
        &self.valid.scenario
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events (message deliveries and timers) processed so far.
    pub fn events_processed(&self) -> u64 {
        self.events
    }

    /// The interned record keys (device ids, `PULocationID`s, `auctionid`s).
    pub fn keys(&self) -> &KeyTable {
        &self.keys
    }

    /// Every node (brokers, then producers, then consumers), indexed by `NodeId`.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Runs `f` on a node with a fresh context at the current time, then applies its effects.
    fn with_node(&mut self, id: NodeId, f: impl FnOnce(&mut Node, &mut Ctx)) {
        let mut effects = Vec::new();
        {
            let mut ctx = Ctx::new(self.now, id, &mut self.rng, &mut effects);
            f(&mut self.nodes[id.0 as usize], &mut ctx);
        }
        for e in effects {
            match e {
                Effect::Send { to, msg } => {
                    let at = self.network.arrival(self.now, id, to);
                    self.scheduler.schedule(at, Event::Deliver { from: id, to, msg });
                }
                Effect::SetTimer { after_ms, timer } => {
                    self.scheduler.schedule(self.now.plus_ms(after_ms), Event::Timer { node: id, timer });
                }
                Effect::Trace(ev) => self.trace.push(self.now, ev),
                Effect::Observe(o) => self.observe(o),
            }
        }
    }

    fn observe(&mut self, o: Observation) {
        match o {
            Observation::Appended { partition, base_offset, records } => {
                self.ledger.appended(&partition, base_offset, &records)
            }
            Observation::Acked { records } => self.ledger.acked(&records),
            Observation::Processed { group_id, partition, records } => {
                let ids: Vec<_> = records.iter().map(|(o, r)| (*o, r.record_id)).collect();
                self.ledger.processed(&group_id, &partition, &ids);
                let Some(app) = self.apps.get_mut(&group_id) else { return };
                for (_, r) in &records {
                    let Some(key) = r.key else { continue };
                    let (producer, row) = (r.record_id.producer(), r.record_id.seq());
                    let payload = match self.tables.get(producer).and_then(|t| t.as_deref()).map(|t| &t.values) {
                        Some(Values::Taxi { fare_amount, trip_duration_s }) => {
                            Payload::Taxi { fare_amount: fare_amount[row], trip_duration_s: trip_duration_s[row] }
                        }
                        Some(Values::Bids { bid, bidder }) => Payload::Bid { bid: bid[row], bidder: &bidder[row] },
                        None => Payload::None,
                    };
                    app.process(&partition, r.record_id, key, r.timestamp_ms, payload);
                }
            }
        }
    }

    /// Whether the run has drained: every producer has sent everything and been acknowledged,
    /// and every group with a running member is Stable, idle, and has committed up to the high
    /// watermark of every partition it reads.
    pub fn is_drained(&self) -> bool {
        if !self.producers().all(|p| p.is_done()) {
            return false;
        }
        let hw: BTreeMap<&TopicPartition, u64> =
            self.brokers().flat_map(|b| b.logs.iter().map(|(tp, log)| (tp, log.high_watermark().0))).collect();
        let groups = self.coordinator_groups();
        self.valid.scenario.consumer_groups.iter().all(|spec| {
            let live: Vec<&Consumer> =
                self.consumers().filter(|c| c.group_id == spec.group_id && c.is_alive()).collect();
            if live.is_empty() {
                return true;
            }
            let Some(g) = groups.iter().find(|g| g.group_id == spec.group_id) else { return false };
            g.state == crate::broker::GroupState::Stable
                && live.iter().all(|c| c.is_idle())
                && hw
                    .iter()
                    .filter(|(tp, _)| spec.topics.contains(&tp.topic))
                    .all(|(tp, &h)| g.offsets.get(*tp).map_or(h == 0, |o| o.0 >= h))
        })
    }

    /// Runs, one simulated second at a time, until the run has drained or `max` is reached;
    /// returns whether it drained.
    pub fn run_to_drain(&mut self, max: SimTime) -> bool {
        while self.now < max {
            if self.is_drained() {
                return true;
            }
            let next = SimTime(self.now.0 + 1000).min(max);
            self.run_until(next);
        }
        self.is_drained()
    }

    /// Rows of the input files that could not be read, in file order.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.tables.iter().flatten().flat_map(|t| t.dead_letters.iter().cloned()).collect()
    }

    /// The delivery outcome of a group so far.
    pub fn outcome(&self, group_id: &str) -> Outcome {
        let committed = self
            .coordinator_groups()
            .into_iter()
            .find(|g| g.group_id == group_id)
            .map(|g| g.offsets.clone())
            .unwrap_or_default();
        self.ledger.outcome(group_id, &committed)
    }

    /// A group's window aggregation, if it has one.
    pub fn windows(&self, group_id: &str) -> Option<&WindowedAggregator> {
        self.apps.get(group_id)
    }

    /// Every window of a group, sorted by key then start.
    pub fn window_reports(&self, group_id: &str) -> Vec<WindowReport> {
        let Some(app) = self.apps.get(group_id) else { return vec![] };
        let mut out: Vec<WindowReport> = app
            .windows
            .iter()
            .map(|((key, start), agg)| {
                let (taxi, bids) = match app.aggregation {
                    Aggregation::TaxiTrips => (true, false),
                    Aggregation::HighestBid => (false, true),
                    Aggregation::Count => (false, false),
                };
                WindowReport {
                    key: self.keys.name(*key).to_string(),
                    start_ms: *start,
                    end_ms: start + app.spec.size_ms,
                    count: agg.count,
                    closed: app.is_closed(*start, agg),
                    fare_amount_avg: taxi.then(|| agg.fare_amount_avg()),
                    trip_duration_s_avg: taxi.then(|| agg.trip_duration_s_avg()),
                    bid_max: if bids { agg.max_bid.as_ref().map(|b| b.0) } else { None },
                    bidder: if bids { agg.max_bid.as_ref().map(|b| b.2.clone()) } else { None },
                }
            })
            .collect();
        out.sort_by(|a, b| (&a.key, a.start_ms).cmp(&(&b.key, b.start_ms)));
        out
    }

    fn start_consumer(&mut self, group_id: &str) -> Result<NodeId, ScenarioError> {
        let Some(gi) = self.valid.scenario.consumer_groups.iter().position(|g| g.group_id == group_id) else {
            return Err(ScenarioError { path: "group_id".into(), message: format!("no group named \"{group_id}\"") });
        };
        let spec = &self.valid.scenario.consumer_groups[gi];
        let n = self.started_per_group.entry(group_id.to_string()).or_insert(0);
        *n += 1;
        let client_id = format!("consumer-{group_id}-{n}");
        let consumer = Consumer::new(
            client_id,
            group_id.to_string(),
            spec.topics.clone(),
            self.valid.consumer_configs[gi].clone(),
            spec.processing_ms_per_record,
            spec.commit_mode,
            self.metadata.clone(),
        );
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node::Consumer(consumer));
        self.with_node(id, |node, ctx| {
            if let Node::Consumer(c) = node {
                c.start(ctx)
            }
        });
        Ok(id)
    }

    /// Processes the next event; returns its time, or `None` if nothing is scheduled.
    pub fn step(&mut self) -> Option<SimTime> {
        let (at, event) = self.scheduler.pop()?;
        self.now = at;
        self.events += 1;
        match event {
            Event::Deliver { from, to, msg } => {
                if self.nodes[to.0 as usize].is_alive() {
                    self.with_node(to, |node, ctx| match node {
                        Node::Broker(b) => b.on_message(ctx, from, msg),
                        Node::Producer(p) => p.on_message(ctx, from, msg),
                        Node::Consumer(c) => c.on_message(ctx, from, msg),
                    });
                }
            }
            Event::Timer { node, timer } => {
                if self.nodes[node.0 as usize].is_alive() {
                    self.with_node(node, |n, ctx| match (n, timer) {
                        (Node::Broker(b), Timer::Broker(t)) => b.on_timer(ctx, t),
                        (Node::Producer(p), Timer::Producer(t)) => p.on_timer(ctx, t),
                        (Node::Consumer(c), Timer::Consumer(t)) => c.on_timer(ctx, t),
                        _ => {}
                    });
                }
            }
        }
        Some(at)
    }

    /// Processes every event due at or before `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: SimTime) {
        while self.scheduler.peek_time().is_some_and(|t| t <= until) {
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Runs to the scenario's `run_ms`.
    pub fn run(&mut self) {
        self.run_until(SimTime(self.valid.scenario.run_ms));
    }

    /// Applies a command at the current time; refused whole on error.
    pub fn apply(&mut self, command: Command) -> Result<(), CommandError> {
        match command {
            Command::AddConsumer { group_id } => {
                if !self.valid.scenario.consumer_groups.iter().any(|g| g.group_id == group_id) {
                    return Err(CommandError::UnknownGroup(group_id));
                }
                let members = self.consumers().filter(|c| c.group_id == group_id).count();
                if members >= MAX_CONSUMERS_PER_GROUP {
                    return Err(CommandError::TooManyConsumers { group_id, members, max: MAX_CONSUMERS_PER_GROUP });
                }
                self.start_consumer(&group_id).map_err(|_| CommandError::UnknownGroup(group_id))?;
            }
            Command::CloseConsumer { client_id } | Command::CrashConsumer { client_id }
                if self.live_consumer(&client_id).is_none() =>
            {
                return Err(CommandError::UnknownConsumer(client_id));
            }
            Command::CloseConsumer { client_id } => {
                let id = self.live_consumer(&client_id).expect("checked");
                self.with_node(id, |n, ctx| {
                    if let Node::Consumer(c) = n {
                        c.close(ctx)
                    }
                });
            }
            Command::CrashConsumer { client_id } => {
                let id = self.live_consumer(&client_id).expect("checked");
                self.with_node(id, |n, ctx| {
                    if let Node::Consumer(c) = n {
                        c.crash(ctx)
                    }
                });
            }
        }
        Ok(())
    }

    fn live_consumer(&self, client_id: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| matches!(n, Node::Consumer(c) if c.client_id == client_id && c.is_alive()))
            .map(|i| NodeId(i as u32))
    }

    /// The brokers, by id.
    pub fn brokers(&self) -> impl Iterator<Item = &Broker> {
        self.nodes.iter().filter_map(|n| if let Node::Broker(b) = n { Some(b) } else { None })
    }

    /// The producers, in scenario order.
    pub fn producers(&self) -> impl Iterator<Item = &Producer> {
        self.nodes.iter().filter_map(|n| if let Node::Producer(p) = n { Some(p) } else { None })
    }

    /// Every consumer ever started, crashed and closed ones included, in start order.
    pub fn consumers(&self) -> impl Iterator<Item = &Consumer> {
        self.nodes.iter().filter_map(|n| if let Node::Consumer(c) = n { Some(c) } else { None })
    }

    /// Every trace entry so far.
    pub fn trace(&self) -> &[TraceEntry] {
        self.trace.entries()
    }

    /// FNV-1a 64 over the whole trace: equal for the same scenario and seed, natively and in wasm.
    pub fn trace_hash(&self) -> u64 {
        self.trace.hash()
    }

    /// The view the UI draws, with [`SnapshotOptions::default`] (how many tail records, keys,
    /// windows and trace lines it carries).
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_with(SnapshotOptions::default())
    }

    /// The view the UI draws: partitions with their newest records and offsets, producers, groups
    /// with members, assignments, positions, commits and lag, the delivery outcome, the windows and
    /// the latest Info trace lines. Serde-serialisable.
    pub fn snapshot_with(&self, opts: SnapshotOptions) -> Snapshot {
        let groups_on_coordinators = self.coordinator_groups();
        let mut partitions = vec![];
        for b in self.brokers() {
            for (tp, log) in &b.logs {
                let committed = groups_on_coordinators
                    .iter()
                    .filter_map(|g| g.offsets.get(tp).map(|o| (g.group_id.clone(), o.0)))
                    .collect();
                partitions.push(PartitionView {
                    topic: tp.topic.clone(),
                    partition: tp.partition.0,
                    leader: b.id.0,
                    log_start_offset: log.log_start_offset().0,
                    log_end_offset: log.log_end_offset().0,
                    high_watermark: log.high_watermark().0,
                    tail: log
                        .tail_keys(opts.tail_records)
                        .into_iter()
                        .map(|(o, k)| TailRecord { offset: o.0, key: k.map(|k| k.0) })
                        .collect(),
                    committed,
                });
            }
        }
        partitions.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        let hw: BTreeMap<String, u64> =
            partitions.iter().map(|p| (format!("{}-{}", p.topic, p.partition), p.high_watermark)).collect();

        let groups = self
            .valid
            .scenario
            .consumer_groups
            .iter()
            .map(|spec| {
                let g = groups_on_coordinators.iter().find(|g| g.group_id == spec.group_id);
                let members = self
                    .consumers()
                    .filter(|c| c.group_id == spec.group_id)
                    .map(|c| MemberView {
                        client_id: c.client_id.clone(),
                        member_id: c.member_id.clone(),
                        state: format!("{:?}", c.state),
                        generation_id: c.generation_id,
                        // A stopped process owns nothing, whatever it last believed.
                        partitions: c
                            .assignment
                            .iter()
                            .filter(|_| c.is_alive())
                            .map(|tp| {
                                let name = tp.to_string();
                                let committed = g.and_then(|g| g.offsets.get(tp)).map(|o| o.0);
                                AssignedPartition {
                                    position: c.positions.get(tp).map(|o| o.0),
                                    committed,
                                    lag: committed.map(|o| hw.get(&name).copied().unwrap_or(0).saturating_sub(o)),
                                    partition: name,
                                }
                            })
                            .collect(),
                        records_polled: c.stats.records_polled,
                        records_processed: c.stats.records_processed,
                    })
                    .collect();
                GroupView {
                    group_id: spec.group_id.clone(),
                    state: g.map_or("Empty", |g| g.state.name()).to_string(),
                    generation_id: g.map_or(0, |g| g.generation_id),
                    leader: g.and_then(|g| g.leader.clone()),
                    rebalances: g.map_or(0, |g| g.rebalances),
                    members,
                    outcome: self.outcome(&spec.group_id),
                    commit_mode: spec.commit_mode.name().to_string(),
                }
            })
            .collect();

        let producers = self
            .producers()
            .map(|p| ProducerView {
                client_id: p.config.client_id.clone(),
                topic: p.topic.clone(),
                records_sent: p.stats.records_sent,
                records_acked: p.stats.records_acked,
                batches_sent: p.stats.batches_sent,
                requests_in_flight: p.stats.requests_in_flight,
            })
            .collect();

        let entries = self.trace.entries();
        let trace_tail: Vec<TraceLine> = self
            .trace
            .latest_info(opts.trace_lines)
            .map(|e| TraceLine { time_ms: e.time.0, line: e.event.line() })
            .collect();
        let windows = self
            .valid
            .scenario
            .consumer_groups
            .iter()
            .find(|g| self.apps.contains_key(&g.group_id))
            .map(|g| self.windows_view(&g.group_id, opts.window_keys, opts.windows_per_key));
        Snapshot { now_ms: self.now.0, partitions, groups, producers, trace_tail, trace_len: entries.len(), windows }
    }

    fn windows_view(&self, group_id: &str, keys: usize, per_key: usize) -> WindowsView {
        let app = &self.apps[group_id];
        let mut totals: BTreeMap<crate::ids::KeyId, u64> = BTreeMap::new();
        let mut open = 0;
        for ((key, start), agg) in &app.windows {
            *totals.entry(*key).or_insert(0) += agg.count;
            if !app.is_closed(*start, agg) {
                open += 1;
            }
        }
        let mut busiest: Vec<(crate::ids::KeyId, u64)> = totals.into_iter().collect();
        busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let rows = busiest
            .into_iter()
            .take(keys)
            .map(|(key, total)| {
                let mine: Vec<_> = app.windows.range((key, 0)..=(key, u64::MAX)).collect();
                let cells = mine[mine.len().saturating_sub(per_key)..]
                    .iter()
                    .map(|((_, start), agg)| WindowCell {
                        start_ms: *start,
                        end_ms: start + app.spec.size_ms,
                        count: agg.count,
                        closed: app.is_closed(*start, agg),
                        summary: match app.aggregation {
                            Aggregation::Count => format!("{} records", agg.count),
                            Aggregation::TaxiTrips => format!(
                                "{} trips · avg fare ${:.2} · avg {:.1} min",
                                agg.count,
                                agg.fare_amount_avg(),
                                agg.trip_duration_s_avg() / 60.0
                            ),
                            Aggregation::HighestBid => match &agg.max_bid {
                                Some((bid, _, bidder)) => format!("{} bids · top ${bid:.2} by {bidder}", agg.count),
                                None => format!("{} bids", agg.count),
                            },
                        },
                        detail: match app.aggregation {
                            Aggregation::Count => String::new(),
                            Aggregation::TaxiTrips => {
                                format!("${:.2} · {:.0} min", agg.fare_amount_avg(), agg.trip_duration_s_avg() / 60.0)
                            }
                            Aggregation::HighestBid => match &agg.max_bid {
                                Some((bid, _, bidder)) => format!("${bid:.2} {bidder}"),
                                None => String::new(),
                            },
                        },
                    })
                    .collect();
                WindowRow { key: self.keys.name(key).to_string(), total, cells }
            })
            .collect();
        WindowsView {
            group_id: group_id.to_string(),
            size_ms: app.spec.size_ms,
            grace_ms: app.spec.grace_ms,
            aggregation: format!("{:?}", app.aggregation),
            late: app.late,
            late_ids: app.late_ids.iter().map(|id| id.0).collect(),
            stream_time_ms: app.stream_time_ms.iter().map(|(tp, t)| (tp.to_string(), *t)).collect(),
            total_windows: app.windows.len(),
            open_windows: open,
            rows,
        }
    }

    fn coordinator_groups(&self) -> Vec<&crate::broker::group_coordinator::Group> {
        self.brokers().flat_map(|b| b.coordinator.groups.values()).collect()
    }

    /// What the run comes to so far: the trace hash, produced and acknowledged counts, partitions,
    /// per group the generation, rebalances and delivery outcome, the first windowed group's windows
    /// and late count, and the dead letters. The CLI prints it.
    pub fn report(&self) -> Report {
        let snap =
            self.snapshot_with(SnapshotOptions { tail_records: 0, trace_lines: 0, window_keys: 0, windows_per_key: 0 });
        let groups = self
            .valid
            .scenario
            .consumer_groups
            .iter()
            .map(|spec| {
                let g = self.coordinator_groups().into_iter().find(|g| g.group_id == spec.group_id);
                let committed: Vec<(String, u64)> =
                    g.map(|g| g.offsets.iter().map(|(tp, o)| (tp.to_string(), o.0)).collect()).unwrap_or_default();
                let lag = snap
                    .partitions
                    .iter()
                    .filter(|p| spec.topics.contains(&p.topic))
                    .map(|p| {
                        let c = p.committed.iter().find(|(gid, _)| *gid == spec.group_id).map_or(0, |(_, o)| *o);
                        p.high_watermark.saturating_sub(c)
                    })
                    .sum();
                let members = self.consumers().filter(|c| c.group_id == spec.group_id);
                let (polled, processed) =
                    members.fold((0, 0), |(a, b), c| (a + c.stats.records_polled, b + c.stats.records_processed));
                GroupReport {
                    commit_mode: spec.commit_mode.name().to_string(),
                    outcome: self.outcome(&spec.group_id),
                    group_id: spec.group_id.clone(),
                    state: g.map_or("Empty", |g| g.state.name()).to_string(),
                    generation: g.map_or(0, |g| g.generation_id),
                    rebalances: g.map_or(0, |g| g.rebalances),
                    members: g.map_or(0, |g| g.members.len()),
                    polled,
                    processed,
                    committed,
                    lag,
                }
            })
            .collect();
        let windowed = self.valid.scenario.consumer_groups.iter().find(|g| self.apps.contains_key(&g.group_id));
        Report {
            trace_hash: format!("{:016x}", self.trace_hash()),
            seed: self.valid.scenario.seed,
            end_ms: self.now.0,
            produced: snap.producers.iter().map(|p| p.records_sent).sum(),
            acknowledged: snap.producers.iter().map(|p| p.records_acked).sum(),
            partitions: snap
                .partitions
                .iter()
                .map(|p| PartitionReport {
                    partition: format!("{}-{}", p.topic, p.partition),
                    log_end_offset: p.log_end_offset,
                    high_watermark: p.high_watermark,
                })
                .collect(),
            groups,
            windows: windowed.map(|g| self.window_reports(&g.group_id)).unwrap_or_default(),
            late: windowed.and_then(|g| self.apps.get(&g.group_id)).map_or(0, |a| a.late),
            dead_letters: self.dead_letters(),
            drained: self.is_drained(),
            trace_events: snap.trace_len,
        }
    }
}
