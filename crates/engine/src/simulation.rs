//! The `Simulation`: owns the nodes, the scheduler, the network and the trace; delivers messages
//! and timers to nodes and applies the effects their handlers return. The UI, the CLI, the tests
//! and the benchmarks all drive the engine through it.

use crate::broker::{Broker, BrokerSetup, Controller, PartitionLog, ProcessState};
use crate::catalog::Catalog;
use crate::command::{Command, CommandError};
use crate::consumer::Consumer;
use crate::faults::{LinkRule, NetworkFaults, NodeKind, Nodes};
use crate::ids::{BrokerId, GroupId, KeyId, NodeId, Offset, RecordId, TopicId, TopicPartition};
use crate::ledger::{Ledger, LogView, Outcome, PartitionState};
use crate::node::{ClusterMetadata, Ctx, Effect, Observer, Timer, TopicMetadata};
use crate::producer::Producer;
use crate::protocol::{Message, Record};
use crate::protocol::{PartitionRegistration, TopicRecord};
use crate::report::{
    DedupeDisagreement, DedupeRecord, DedupeReport, GroupReport, PartitionReport, Report, TopicReport, WindowReport,
};
use crate::scenario::{Scenario, ScenarioError, ValidScenario, WorkloadSpec};
use crate::sim::{Network, Scheduler, SimRng, SimTime, Trace, TraceCapacity, TraceEntry, TraceEvent};
use crate::snapshot::{
    AssignedPartition, BrokerView, DeadLetterRow, GroupView, LateView, MemberView, PartitionView, ProducerView,
    ReplicaLogView, Snapshot, TailRecord, TraceLine, WatermarkView, WindowCell, WindowRow, WindowsView,
};
use crate::streams::{Aggregation, EmitStrategy, Payload, WindowAggregate, WindowedAggregator};
use crate::workload::table::{BIDS_CSV, TAXI_CSV};
use crate::workload::{DataTable, DeadLetter, KeyTable, Values, Workload};

mod pipeline_view;
use std::collections::{BTreeSet, VecDeque};
use std::rc::Rc;

/// The internal topic that holds committed offsets.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";
/// Simulated ms between two checks of [`Simulation::is_drained`] when running to the end of
/// the input (the CLI's `run`, the page's "Run for … to the end"): both stop at the same time.
pub const DRAIN_CHECK_EVERY_MS: u64 = 1000;
/// The most consumers one group may have, counting those started by commands.
pub const MAX_CONSUMERS_PER_GROUP: usize = 64;
/// The most topics a simulation holds, `__consumer_offsets` and deleted ones included.
pub const MAX_TOPICS: usize = 64;

// RNG streams: one per independent source of randomness.
const STREAM_NODES: u64 = 1;
const STREAM_NETWORK: u64 = 2;
/// Link faults draw from their own stream, so that setting one shifts no other draw.
const STREAM_FAULTS: u64 = 3;

/// Whose replica a partition's shown log is: its broker and the leader epoch then.
type ShownLog = Option<(BrokerId, u32)>;

/// The incremental scan behind [`Simulation::log_duplicates`]: per partition, whose log was
/// scanned and up to which offset; the record ids seen, per producer.
#[derive(Debug, Default)]
struct LogDuplicates {
    scanned: std::collections::BTreeMap<TopicPartition, (ShownLog, u64)>,
    seen: Vec<crate::ledger::RecordBits>,
    count: u64,
    ids: Vec<u64>,
}

/// A node of the simulated cluster.
#[derive(Debug)]
// Producers are the nodes most events go to: kept inline, not behind a pointer like consumers.
#[allow(clippy::large_enum_variant)]
pub enum Node {
    Broker(Broker),
    Controller(Controller),
    Producer(Producer),
    Consumer(Box<Consumer>),
}

impl Node {
    fn kind(&self) -> NodeKind {
        match self {
            Node::Broker(_) => NodeKind::Broker,
            Node::Controller(_) => NodeKind::Controller,
            Node::Producer(_) => NodeKind::Producer,
            Node::Consumer(_) => NodeKind::Consumer,
        }
    }

    fn is_alive(&self) -> bool {
        match self {
            Node::Consumer(c) => c.is_alive(),
            Node::Broker(b) => b.is_running(),
            _ => true,
        }
    }
}

#[derive(Debug)]
enum Event {
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: Message,
    },
    /// A timer of the node's `incarnation`: a restarted broker ignores its past life's timers.
    Timer {
        node: NodeId,
        timer: Timer,
        incarnation: u32,
    },
    /// The scenario's `faults[i]` is due.
    Fault(usize),
}

impl LogView for PartitionLog {
    fn record_id_at(&self, offset: Offset) -> Option<RecordId> {
        PartitionLog::record_id_at(self, offset)
    }
    fn log_start_offset(&self) -> Offset {
        PartitionLog::log_start_offset(self)
    }
    fn log_end_offset(&self) -> Offset {
        PartitionLog::log_end_offset(self)
    }
    fn high_watermark(&self) -> Offset {
        PartitionLog::high_watermark(self)
    }
    fn compacted(&self) -> bool {
        self.config().cleanup_policy.compact
    }
}

/// Kafka's replica placement without racks (`AdminUtils.assignReplicasToBrokersRackUnaware`):
/// partition `p`'s first replica is broker `(p + start) % n`; the others follow it at a shift
/// that grows by one every `n` partitions. Kafka draws `start` and the first shift at random;
/// here both are the topic's index, so that a layout does not change with the seed.
pub fn assign_replicas(partitions: u32, replication_factor: u32, brokers: u32, start: u32) -> Vec<Vec<BrokerId>> {
    let n = brokers.max(1);
    let mut shift = start % n;
    (0..partitions)
        .map(|p| {
            if p > 0 && p % n == 0 {
                shift += 1;
            }
            let first = (p + start) % n;
            let mut replicas = vec![BrokerId(first)];
            for j in 0..replication_factor.saturating_sub(1) {
                let k = (first + 1 + (shift + j) % (n - 1).max(1)) % n;
                replicas.push(BrokerId(k));
            }
            replicas
        })
        .collect()
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

impl Datasets {
    /// The text of data file `file` (`table::TAXI_CSV` or `BIDS_CSV`), if it is held.
    pub fn get(&self, file: &str) -> Option<&str> {
        match file {
            TAXI_CSV => self.taxi_csv.as_deref(),
            BIDS_CSV => self.bids_csv.as_deref(),
            _ => None,
        }
    }

    /// Whether the text of data file `file` is held.
    pub fn has(&self, file: &str) -> bool {
        self.get(file).is_some()
    }

    /// Holds `text` as data file `file`; returns false, holding nothing, for a file no workload
    /// reads.
    pub fn set(&mut self, file: &str, text: String) -> bool {
        let slot = match file {
            TAXI_CSV => &mut self.taxi_csv,
            BIDS_CSV => &mut self.bids_csv,
            _ => return false,
        };
        *slot = Some(text);
        true
    }
}

/// Called with every trace entry as it happens (the CLI streams the trace this way); the
/// [`Catalog`] renders its line.
pub type TraceSink = Box<dyn FnMut(&TraceEntry, &Catalog)>;

struct Sink(Option<TraceSink>);

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Sink(set)" } else { "Sink(none)" })
    }
}

/// What observes records being processed: the delivery ledger and each group's windowed
/// aggregation, with the data tables their payloads come from.
#[derive(Debug)]
struct Observers {
    timeline: crate::timeline::Timeline,
    ledger: Ledger,
    /// Each group's windowed aggregation, if it has one.
    apps: Vec<Option<WindowedAggregator>>,
    /// The data table behind each producer's workload (`None` for synthetic ones).
    tables: Vec<Option<Rc<DataTable>>>,
    /// Each IoT producer's sensor count and interval, ms (`None` for other workloads): its
    /// readings' values.
    iot_devices: Vec<Option<(u64, u64)>>,
    /// Each partition's dense index, by topic: its task number.
    task_slots: Vec<Vec<u32>>,
    /// Simulated time of the event being handled, ms (processing time for the applications).
    now_ms: u64,
    /// Records each group's applications finished processing (re-processing included).
    processed_by_group: Vec<u64>,
    /// Each group's error handling: its poison records reach no window.
    errors: Vec<Option<crate::scenario::ErrorsSpec>>,
    /// Each group's dead-letter queue, in the order records were sent to it.
    dead_letter_queues: Vec<Vec<DeadLetterEntry>>,
    /// Each group's dedupe, if it has one.
    dedupes: Vec<Option<crate::streams::Dedupe>>,
    /// Each group's window-store changelog, if its windows have one.
    stores: Vec<Option<crate::streams::ChangelogStore>>,
}

/// The aggregator's task number of `tp`, from [`task_slots`].
fn task_of(slots: &[Vec<u32>], tp: TopicPartition) -> Option<u32> {
    slots.get(tp.topic.0 as usize).and_then(|t| t.get(tp.partition.0 as usize)).copied()
}

/// A record in a group's dead-letter queue: where it came from, why it failed, how often.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeadLetterEntry {
    pub record_id: RecordId,
    pub partition: TopicPartition,
    pub offset: Offset,
    pub attempts: u32,
    /// When the first attempt failed, and when the record was sent here, ms.
    pub first_attempt_ms: u64,
    pub dead_lettered_ms: u64,
}

/// Each partition's dense index in `catalog`, by topic and partition.
fn task_slots(catalog: &Catalog) -> Vec<Vec<u32>> {
    (0..catalog.topic_ids() as u32)
        .map(|t| {
            let t = TopicId(t);
            (0..catalog.partitions(t)).map(|p| catalog.partition_index(TopicPartition::new(t, p)) as u32).collect()
        })
        .collect()
}

impl Observer for Observers {
    fn acknowledged(&mut self, partition: TopicPartition, base_offset: Offset, records: &[Record]) {
        let ids: Vec<RecordId> = records.iter().map(|r| r.record_id).collect();
        self.ledger.acknowledged(partition, base_offset, &ids);
    }

    fn skipped(&mut self, group: GroupId, partition: TopicPartition, from: Offset, to: Offset) {
        self.ledger.skipped(group, partition, from, to);
    }

    fn dead_lettered(
        &mut self,
        group: GroupId,
        partition: TopicPartition,
        offset: Offset,
        record: &Record,
        attempts: u32,
        first_attempt_ms: u64,
    ) {
        if let Some(q) = self.dead_letter_queues.get_mut(group.0 as usize) {
            q.push(DeadLetterEntry {
                record_id: record.record_id,
                partition,
                offset,
                attempts,
                first_attempt_ms,
                dead_lettered_ms: self.now_ms,
            });
        }
    }

    fn restore_started(&mut self, member: NodeId, group: GroupId, task: TopicPartition) {
        if let Some(Some(store)) = self.stores.get_mut(group.0 as usize) {
            store.restore_started(member, task, self.now_ms);
        }
    }

    fn restored(&mut self, member: NodeId, group: GroupId, task: TopicPartition, records: &[Record]) {
        let Some(ti) = task_of(&self.task_slots, task) else { return };
        let g = group.0 as usize;
        if let (Some(Some(store)), Some(Some(app))) = (self.stores.get_mut(g), self.apps.get_mut(g)) {
            store.restored(member, task, ti, records, app, self.now_ms);
        }
    }

    fn trigger_done(&mut self, group: GroupId) {
        if let Some(Some(app)) = self.apps.get_mut(group.0 as usize) {
            app.end_trigger();
        }
    }

    fn flush_store(&mut self, member: NodeId, group: GroupId) -> Vec<(u32, Record)> {
        let g = group.0 as usize;
        let slots = &self.task_slots;
        match (self.stores.get_mut(g), self.apps.get(g)) {
            (Some(Some(store)), Some(Some(app))) => store.flush(member, app, |tp| task_of(slots, tp)),
            _ => vec![],
        }
    }

    fn processed(
        &mut self,
        member: NodeId,
        group: GroupId,
        partition: TopicPartition,
        base_offset: Offset,
        records: &[Record],
    ) {
        // Compaction leaves gaps: the run ends after the last record's own offset.
        let until = records.last().map_or(base_offset, |r| Offset(r.offset.0 + 1));
        self.ledger.processed(group, partition, base_offset, until);
        self.ledger.processed_records(group, records);
        if let Some(n) = self.processed_by_group.get_mut(group.0 as usize) {
            *n += records.len() as u64;
        }
        if let Some(Some(d)) = self.dedupes.get_mut(group.0 as usize) {
            for r in records {
                if let Some(key) = r.key {
                    d.process(key, r.record_id, r.timestamp_ms);
                }
            }
        }
        let Some(Some(app)) = self.apps.get_mut(group.0 as usize) else { return };
        let Some(task) = task_of(&self.task_slots, partition) else { return };
        let mut store = self.stores.get_mut(group.0 as usize).and_then(|s| s.as_mut());
        if store.as_ref().is_some_and(|s| !s.owns(member, partition)) {
            app.not_owner += records.len() as u64;
            return;
        }
        app.processed_at(task, self.now_ms);
        let errors = self.errors.get(group.0 as usize).copied().flatten();
        for r in records {
            if errors.is_some_and(|e| e.is_poison(r.record_id.seq())) {
                // Its every attempt failed: it went to the dead-letter queue, not to a window.
                app.dead_lettered += 1;
                continue;
            }
            let Some(key) = r.key else {
                app.skip_no_key();
                continue;
            };
            let (producer, row) = (r.record_id.producer(), r.record_id.seq());
            let payload = match self.tables.get(producer).and_then(|t| t.as_deref()).map(|t| &t.values) {
                Some(Values::Taxi { fare_amount, trip_duration_s }) => {
                    Payload::Taxi { fare_amount: fare_amount[row], trip_duration_s: trip_duration_s[row] }
                }
                Some(Values::Bids { bid, .. }) => Payload::Bid { bid: bid[row] },
                None => match self.iot_devices.get(producer).copied().flatten() {
                    Some((devices, interval_ms)) if app.dataflow.reads_fields() => {
                        let (temperature_c, humidity_pct) =
                            crate::workload::iot_reading(row as u64, devices, interval_ms);
                        Payload::Iot { temperature_c, humidity_pct }
                    }
                    _ => Payload::None,
                },
            };
            let Some(value) = app.admit(&payload) else { continue };
            let timestamp_ms = if app.wall_clock { self.now_ms } else { r.timestamp_ms };
            let outcome = app.process(task, r.record_id, key, timestamp_ms, payload, value);
            if let Some(s) = store.as_mut().filter(|_| !outcome.is_late()) {
                s.touched(partition, key);
            }
        }
    }
}

/// A running simulation. See the crate docs for the API.
#[derive(Debug)]
pub struct Simulation {
    valid: ValidScenario,
    now: SimTime,
    scheduler: Scheduler<Event>,
    network: Network,
    rng: SimRng,
    fault_rng: SimRng,
    /// What [`Simulation::log_duplicates`] has scanned so far.
    log_duplicates: std::cell::RefCell<LogDuplicates>,
    nodes: Vec<Node>,
    keys: Rc<KeyTable>,
    /// What clients know at start: broker addresses and topics (leaders they ask for).
    metadata: ClusterMetadata,
    controller: NodeId,
    /// Per node: bumped when a broker stops, so that its old timers do nothing.
    incarnations: Vec<u32>,
    network_faults: NetworkFaults,
    /// Partitions whose acknowledged records must be checked against their leader in full.
    unverified: BTreeSet<TopicPartition>,
    catalog: Catalog,
    trace: Trace,
    sink: Sink,
    /// Reused by every handler call, so that delivering an event allocates nothing.
    effects: Vec<Effect>,
    observers: Observers,
    /// The topics each group subscribes to.
    /// Each group's `topic_pattern`, compiled.
    group_patterns: Vec<Option<regex_lite::Regex>>,
    /// Consumers started per group so far, for `consumer-{group}-{n}` client ids.
    started_per_group: Vec<u32>,
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
        let mut catalog = Catalog::default();
        let mut metadata = ClusterMetadata::default();
        for b in 0..s.brokers {
            metadata.brokers.push(catalog.add_node(&format!("broker-{b}"), None));
        }
        let controller = catalog.add_node("controller", None);
        // Topics, then `__consumer_offsets`, each partition's replicas placed as Kafka does.
        let bc = &valid.broker_config;
        let offsets_rf = bc.offsets_topic_replication_factor.unwrap_or(s.brokers.min(3));
        let mut topic_configs = valid.topic_configs.clone();
        topic_configs.push(crate::config::TopicConfig::offsets_topic());
        let mut registrations = vec![];
        let mut partition_counts = vec![];
        // The scenario's topics, the applications' changelogs, then `__consumer_offsets`.
        let internal = s.internal_topics();
        let specs = s.topics.iter().chain(&internal).map(|t| (t.name.as_str(), t.partitions, t.replication_factor));
        let all = specs.chain(std::iter::once((OFFSETS_TOPIC, bc.offsets_topic_num_partitions, offsets_rf)));
        for (ti, (name, partitions, rf)) in all.enumerate() {
            let topic = catalog.add_topic(name, partitions);
            partition_counts.push(partitions);
            let placement = assign_replicas(partitions, rf, s.brokers, ti as u32);
            let mut leaders = vec![];
            for (p, replicas) in placement.into_iter().enumerate() {
                leaders.push(None);
                registrations.push(PartitionRegistration {
                    partition: TopicPartition::new(topic, p as u32),
                    leader: Some(replicas[0]),
                    isr: replicas.clone(),
                    replicas,
                    leader_epoch: 0,
                    partition_epoch: 0,
                });
            }
            if name != OFFSETS_TOPIC {
                metadata.topics.push(TopicMetadata {
                    name: name.to_string(),
                    leader_epochs: vec![0; leaders.len()],
                    leaders,
                });
            }
        }
        let offsets_topic = TopicId((s.topics.len() + internal.len()) as u32);
        let topic_names: Vec<String> = catalog.topics().map(|t| catalog.topic_name(t).to_string()).collect();
        let topic_records = topic_names
            .iter()
            .zip(&topic_configs)
            .enumerate()
            .map(|(i, (name, config))| TopicRecord {
                topic: TopicId(i as u32),
                name: name.clone(),
                config: config.clone(),
                deleted: false,
            })
            .collect();
        let setup = BrokerSetup {
            controller,
            brokers: metadata.brokers.clone(),
            topic_configs: topic_configs.clone(),
            topic_names,
            partition_counts,
            offsets_topic,
            group_ids: s.consumer_groups.iter().map(|g| g.group_id.clone()).collect(),
            transactional_ids: {
                let mut ids: Vec<String> =
                    valid.producer_configs.iter().filter_map(|p| p.transactional_id.clone()).collect();
                ids.sort();
                ids.dedup();
                ids
            },
        };
        let mut nodes = vec![];
        for b in 0..s.brokers {
            nodes.push(Node::Broker(Broker::new(BrokerId(b), bc.clone(), setup.clone(), &registrations)));
        }
        let unclean = topic_configs.iter().map(|c| c.unclean_leader_election_enable).collect();
        nodes.push(Node::Controller(Controller::new(
            metadata.brokers.clone(),
            registrations,
            unclean,
            topic_records,
            bc.clone(),
        )));
        let mut keys = KeyTable::default();
        let mut workloads = vec![];
        let mut tables = vec![];
        for (i, p) in s.producers.iter().enumerate() {
            let (workload, table) = Workload::build(&p.workload, data, &mut keys, &format!("producers[{i}].workload"))?;
            workloads.push(workload);
            tables.push(table);
        }
        let keys = Rc::new(keys);
        for (i, (p, w)) in s.producers.iter().zip(workloads).enumerate() {
            let config = valid.producer_configs[i].clone();
            catalog.add_node(&config.client_id, None);
            let topic = catalog.topic_id(&p.topic).expect("validated: the producer's topic exists");
            let producer = Producer::new(i as u32, config, topic, &metadata, keys.clone(), w)
                .with_transactions(p.transactions.unwrap_or_default())
                .with_start(p.start_ms)
                .with_partition(p.partition);
            nodes.push(Node::Producer(producer));
        }
        let mut apps = vec![];
        for g in &s.consumer_groups {
            catalog.add_group(&g.group_id);
            apps.push(g.windows.map(|w| {
                let source = s.producers.iter().find(|p| g.topics.contains(&p.topic));
                let aggregation = match source.map(|p| &p.workload) {
                    Some(WorkloadSpec::Taxi { .. }) => Aggregation::TaxiTrips,
                    Some(WorkloadSpec::Bids { .. }) => Aggregation::HighestBid,
                    _ => Aggregation::Count,
                };
                let spec = w.windows("windows").expect("validated");
                let mut app = WindowedAggregator::new(spec, aggregation, catalog.partition_count());
                app.emit = w.emit;
                app.wall_clock = w.timestamp_extractor == crate::scenario::TimestampExtractor::WallClock;
                app.watermark = w.watermark();
                app.dataflow = s.dataflow(g, "").expect("validated");
                app
            }));
        }
        let groups = s.consumer_groups.len();
        // Changelog record ids use producer indexes no producer has.
        let stores = s
            .consumer_groups
            .iter()
            .enumerate()
            .map(|(gi, g)| {
                g.windows.filter(|w| w.changelog).map(|_| {
                    let topic =
                        catalog.topic_id(&crate::scenario::changelog_topic(&g.group_id)).expect("created above");
                    crate::streams::ChangelogStore::new(topic, (s.producers.len() + gi) as u64)
                })
            })
            .collect();
        let faults = s.faults.clone();
        let slots = task_slots(&catalog);
        let mut sim = Simulation {
            now: SimTime::ZERO,
            scheduler: Scheduler::default(),
            network: Network::new(s.network, SimRng::new(s.seed, STREAM_NETWORK)),
            fault_rng: SimRng::new(s.seed, STREAM_FAULTS),
            log_duplicates: Default::default(),
            rng: SimRng::new(s.seed, STREAM_NODES),
            incarnations: vec![0; nodes.len()],
            nodes,
            keys,
            metadata,
            controller,
            network_faults: NetworkFaults::default(),
            unverified: BTreeSet::new(),
            catalog,
            trace: Trace::default(),
            sink: Sink(None),
            effects: Vec::new(),
            observers: Observers {
                timeline: crate::timeline::Timeline::default(),
                ledger: Ledger::new(groups),
                apps,
                tables,
                iot_devices: s
                    .producers
                    .iter()
                    .map(|p| match p.workload {
                        WorkloadSpec::Iot { devices, interval_ms, .. } => Some((u64::from(devices), interval_ms)),
                        _ => None,
                    })
                    .collect(),
                task_slots: slots,
                now_ms: 0,
                processed_by_group: vec![0; groups],
                errors: s.consumer_groups.iter().map(|g| g.errors).collect(),
                dead_letter_queues: vec![vec![]; groups],
                dedupes: s
                    .consumer_groups
                    .iter()
                    .map(|g| g.dedupe.map(|d| crate::streams::Dedupe::new(d.horizon_ms)))
                    .collect(),
                stores,
            },
            group_patterns: s
                .consumer_groups
                .iter()
                .map(|g| g.topic_pattern.as_deref().and_then(|p| crate::scenario::topic_regex(p).ok()))
                .collect(),
            started_per_group: vec![0; groups],
            events: 0,
            valid,
        };
        for i in 0..sim.nodes.len() {
            sim.with_node(NodeId(i as u32), |node, ctx| match node {
                Node::Broker(b) => b.start(ctx),
                Node::Controller(c) => c.start(ctx),
                Node::Producer(p) => p.start(ctx),
                Node::Consumer(_) => {}
            });
        }
        // Groups that read a pipeline's output are counted per input record id.
        let outputs: Vec<String> = sim
            .valid
            .scenario
            .consumer_groups
            .iter()
            .filter_map(|g| g.pipeline.as_ref())
            .map(|p| p.output_topic.clone())
            .collect();
        for gi in 0..groups {
            if sim.valid.scenario.consumer_groups[gi].topics.iter().any(|t| outputs.contains(t)) {
                sim.observers.ledger.count_by_id(GroupId(gi as u32));
            }
        }
        let read: Vec<Vec<TopicPartition>> =
            (0..groups).map(|gi| sim.group_partitions(GroupId(gi as u32)).collect()).collect();
        sim.observers.timeline = crate::timeline::Timeline::new(read);
        for gi in 0..groups {
            for _ in 0..sim.valid.scenario.consumer_groups[gi].members {
                sim.start_consumer(GroupId(gi as u32));
            }
        }
        for (i, f) in faults.iter().enumerate() {
            sim.scheduler.schedule(SimTime(f.at_ms), Event::Fault(i));
        }
        Ok(sim)
    }

    /// Keeps at most `capacity` trace entries in memory from now on (the default keeps 10,000
    /// recent events and 1,000 Info lines); the trace hash still covers every event.
    pub fn set_trace_capacity(&mut self, capacity: TraceCapacity) {
        self.trace.set_capacity(capacity);
    }

    /// Calls `sink` with every trace entry from now on, as it happens, or stops calling one.
    pub fn set_trace_sink(&mut self, sink: Option<TraceSink>) {
        self.sink = Sink(sink);
    }

    /// The names of the simulation's topics, partitions, nodes and groups.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The scenario this simulation runs.
    pub fn scenario(&self) -> &Scenario {
        &self.valid.scenario
    }

    /// The checked scenario, with every config parsed.
    pub fn valid(&self) -> &ValidScenario {
        &self.valid
    }

    /// The group's state on its coordinator, if one holds it now.
    pub fn group_state(&self, group_id: &str) -> Option<&crate::broker::group_coordinator::Group> {
        self.coordinator_group(group_id)
    }

    /// Every partition the group reads (of the topics it subscribes to).
    pub fn group_partition_list(&self, group_id: &str) -> Vec<TopicPartition> {
        match self.catalog.group_id(group_id) {
            Some(g) => self.group_partitions(g).collect(),
            None => vec![],
        }
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events (message deliveries and timers) processed so far.
    pub fn events_processed(&self) -> u64 {
        self.events
    }

    /// When the next event is due, if any.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.scheduler.peek_time()
    }

    /// A test-only switch that breaks the engine: leaders advance the HW to their own LEO
    /// without waiting for the ISR, so `acks=all` no longer waits for followers. The soak
    /// harness's own test shows that its invariants catch it.
    #[doc(hidden)]
    pub fn break_high_watermark_for_test(&mut self) {
        for n in &mut self.nodes {
            if let Node::Broker(b) = n {
                b.test_high_watermark_ignores_isr = true;
            }
        }
    }

    /// Events (message deliveries and timers) waiting in the scheduler.
    pub fn pending_events(&self) -> usize {
        self.scheduler.len()
    }

    /// The interned record keys (device ids, `PULocationID`s, `auctionid`s).
    pub fn keys(&self) -> &KeyTable {
        &self.keys
    }

    /// Every node (brokers, then producers, then consumers), indexed by `NodeId`.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Runs `f` on a node with a context at the current time, then applies its effects.
    fn with_node(&mut self, id: NodeId, f: impl FnOnce(&mut Node, &mut Ctx)) {
        let mut effects = std::mem::take(&mut self.effects);
        {
            self.observers.now_ms = self.now.0;
            let mut ctx = Ctx::new(self.now, id, &mut self.rng, &mut effects, &mut self.observers);
            f(&mut self.nodes[id.0 as usize], &mut ctx);
        }
        for e in effects.drain(..) {
            match e {
                Effect::Send { to, msg } => self.send(id, to, msg),
                Effect::SetTimer { after_ms, timer } => {
                    let incarnation = self.incarnations[id.0 as usize];
                    self.scheduler.schedule(self.now.plus_ms(after_ms), Event::Timer { node: id, timer, incarnation });
                }
                Effect::Trace(event) => self.push_trace(event),
            }
        }
        self.effects = effects;
    }

    /// Puts `msg` on the wire, unless the link is cut; a slowed link adds its delay, and a link
    /// fault may drop, delay or duplicate it.
    fn send(&mut self, from: NodeId, to: NodeId, msg: Message) {
        if self.network_faults.is_cut(from, to) {
            return;
        }
        let mut extra = self.network_faults.extra_ms(from, to);
        if !self.network_faults.rules().is_empty() && !matches!(msg, Message::Disconnected { .. }) {
            let ends = ((from, self.nodes[from.0 as usize].kind()), (to, self.nodes[to.0 as usize].kind()));
            let name = msg.name();
            let fate = self.network_faults.fate(ends.0, ends.1, name, &mut self.fault_rng);
            if fate.dropped {
                self.push_trace(TraceEvent::MessageDropped { from, to, message: name });
                return;
            }
            extra += fate.delay_ms;
            if fate.duplicated {
                self.push_trace(TraceEvent::MessageDuplicated { from, to, message: name });
                let at = self.network.arrival(self.now, from, to, extra);
                self.scheduler.schedule(at, Event::Deliver { from, to, msg: msg.clone() });
            }
        }
        let at = self.network.arrival(self.now, from, to, extra);
        self.scheduler.schedule(at, Event::Deliver { from, to, msg });
    }

    fn push_trace(&mut self, event: TraceEvent) {
        // A new leader, a truncation or a power loss may have taken acknowledged records away.
        match &event {
            TraceEvent::BecameLeader { partition, .. }
            | TraceEvent::Truncated { partition, .. }
            | TraceEvent::UnflushedLost { partition, .. } => {
                self.unverified.insert(*partition);
            }
            _ => {}
        }
        self.observers.timeline.observe(self.now, &event, &self.catalog);
        let entry = TraceEntry { time: self.now, event };
        if let Some(sink) = self.sink.0.as_mut() {
            sink(&entry, &self.catalog);
        }
        self.trace.push(entry);
    }

    /// The controller's record of `tp`: replicas, leader, epoch, ISR.
    pub fn registration(&self, tp: TopicPartition) -> Option<&PartitionRegistration> {
        self.controller_node().partitions.get(&tp)
    }

    /// The controller.
    pub fn controller_node(&self) -> &Controller {
        match &self.nodes[self.controller.0 as usize] {
            Node::Controller(c) => c,
            _ => unreachable!("the controller's node is the controller"),
        }
    }

    /// The broker `b`.
    pub fn broker(&self, b: BrokerId) -> Option<&Broker> {
        match self.nodes.get(b.0 as usize)? {
            Node::Broker(x) => Some(x),
            _ => None,
        }
    }

    /// The log of `tp` on its leader, as the controller names it: `None` while the partition is
    /// offline or its leader's process is down (the controller has not noticed yet).
    pub fn log(&self, tp: TopicPartition) -> Option<&PartitionLog> {
        let reg = self.registration(tp)?;
        let leader = self.broker(reg.leader?).filter(|b| b.is_running())?;
        leader.replicas.get(&tp).filter(|r| r.leading_epoch == Some(reg.leader_epoch)).map(|r| &r.log)
    }

    /// The log of `tp` to show: its leader's, or, while it is offline, its first replica's.
    pub fn shown_log(&self, tp: TopicPartition) -> Option<&PartitionLog> {
        let reg = self.registration(tp)?;
        let b = reg.leader.or(reg.replicas.first().copied())?;
        self.broker(b)?.replicas.get(&tp).map(|r| &r.log)
    }

    /// Checks acknowledged records against their leaders' logs: in full for partitions whose
    /// leader changed or truncated, else the newly replicated part. Counts what is gone.
    fn verify_acknowledged(&mut self) {
        let dirty = std::mem::take(&mut self.unverified);
        for tp in self.user_partitions() {
            let full = dirty.contains(&tp);
            let leader = self.registration(tp).and_then(|r| r.leader);
            // Direct field borrows: the nodes (read) and the ledger (written) are apart.
            let log = leader.and_then(|b| match self.nodes.get(b.0 as usize) {
                Some(Node::Broker(x)) if x.is_running() => x
                    .replicas
                    .get(&tp)
                    .filter(|r| r.leading_epoch.is_some() && r.leading_epoch == r.registration.leader_epoch.into())
                    .map(|r| &r.log as &dyn LogView),
                _ => None,
            });
            if log.is_none() {
                // Checked in full once a running leader has it.
                if full {
                    self.unverified.insert(tp);
                }
                continue;
            }
            let lost = self.observers.ledger.verify(tp, log, full);
            if lost > 0 {
                self.push_trace(TraceEvent::AcknowledgedLost {
                    partition: tp,
                    records: lost,
                    leader: leader.map(|b| b.0),
                });
            }
        }
    }

    /// The user topics' partitions.
    fn user_partitions(&self) -> Vec<TopicPartition> {
        self.catalog
            .topics()
            .filter(|t| self.catalog.topic_name(*t) != OFFSETS_TOPIC)
            .flat_map(|t| (0..self.catalog.partitions(t)).map(move |p| TopicPartition::new(t, p)))
            .collect()
    }

    /// The topics the scenario's producers write to: their own records, in the order they were
    /// sent. (A pipeline's output topic holds its input records' ids again, in processing order;
    /// a changelog holds a store's records.)
    pub fn produced_topics(&self) -> Vec<TopicId> {
        self.valid.scenario.producers.iter().filter_map(|p| self.catalog.topic_id(&p.topic)).collect()
    }

    /// Records held more than once in the logs of the topics the scenario's producers write to
    /// (the shown replica of each partition): a retried batch whose first send was appended, its
    /// response lost, without idempotence. Returns the count of extra copies and the first ids
    /// (at most 200). A pipeline's output topic holds its input records' ids again, by design:
    /// its duplicates are what its downstream group counts per input record.
    /// Scanned incrementally: only records appended since the last call, unless a partition's
    /// shown log changed (a new leader, a truncation), which scans everything again.
    pub fn log_duplicates(&self) -> (u64, Vec<u64>) {
        let mut cache = self.log_duplicates.borrow_mut();
        let produced = self.produced_topics();
        let mut partitions = self.user_partitions();
        partitions.retain(|tp| produced.contains(&tp.topic));
        let logs: Vec<(TopicPartition, ShownLog, u64)> = partitions
            .iter()
            .map(|tp| {
                let reg = self.registration(*tp);
                let shown = reg
                    .and_then(|r| r.leader.or(r.replicas.first().copied()))
                    .map(|b| (b, reg.map_or(0, |r| r.leader_epoch)));
                (*tp, shown, self.shown_log(*tp).map_or(0, |l| l.log_end_offset().0))
            })
            .collect();
        let stale = logs
            .iter()
            .any(|(tp, shown, leo)| cache.scanned.get(tp).is_some_and(|(s, until)| *s != *shown || *leo < *until));
        if stale {
            *cache = Default::default();
        }
        for (tp, shown, leo) in logs {
            let Some(log) = self.shown_log(tp) else { continue };
            let from = cache.scanned.get(&tp).map_or(0, |(_, until)| *until);
            if from >= leo {
                continue;
            }
            for id in log.record_ids_from(Offset(from)) {
                if id.is_control() {
                    continue;
                }
                let producer = id.producer();
                if cache.seen.len() <= producer {
                    cache.seen.resize_with(producer + 1, Default::default);
                }
                if cache.seen[producer].insert(id.seq()) {
                    cache.count += 1;
                    if cache.ids.len() < 200 {
                        cache.ids.push(id.0);
                    }
                }
            }
            cache.scanned.insert(tp, (shown, leo));
        }
        (cache.count, cache.ids.clone())
    }

    /// Acknowledged records gone from the log so far, and the first of their ids.
    pub fn acknowledged_lost(&self) -> (u64, Vec<u64>) {
        self.observers.ledger.acknowledged_lost(|tp| self.log(tp).map(|l| l as &dyn LogView))
    }

    /// Records of aborted transactions `group` processed: 0 for a `read_committed` group,
    /// unless something is wrong; a `read_uncommitted` one sees them.
    pub fn aborted_processed(&self, group: GroupId) -> u64 {
        let mut n = 0;
        for tp in self.group_partitions(group) {
            let Some(log) = self.log(tp) else { continue };
            for (from, last) in log.producer_state.aborted_in(Offset(0), Offset(u64::MAX)) {
                n += self.observers.ledger.processed_in(group, tp, from, Offset(last.0 + 1));
            }
        }
        n
    }

    /// Whether the run has drained: every producer has sent everything and been acknowledged,
    /// and every group with a running member is Stable, idle, and has committed up to the high
    /// watermark of every partition it reads.
    pub fn is_drained(&self) -> bool {
        if !self.producers().all(|p| p.is_done()) {
            return false;
        }
        self.valid.scenario.consumer_groups.iter().enumerate().all(|(gi, spec)| {
            let live: Vec<&Consumer> =
                self.consumers().filter(|c| c.group_id == spec.group_id && c.is_alive()).collect();
            if live.is_empty() {
                return true;
            }
            let Some(g) = self.coordinator_group(&spec.group_id) else { return false };
            // Manually assigned consumers have no membership: the group stays Empty.
            (spec.assign || g.state == crate::broker::GroupState::Stable)
                && live.iter().all(|c| c.is_idle())
                && self.group_partitions(GroupId(gi as u32)).all(|tp| {
                    let hw = self.log(tp).map_or(0, |l| l.high_watermark().0);
                    g.offsets.get(&tp).map_or(hw == 0, |o| o.0 >= hw)
                })
        })
    }

    /// The topics group `group` subscribes to now: by name, or by its pattern.
    fn group_topics(&self, group: GroupId) -> Vec<TopicId> {
        let spec = &self.valid.scenario.consumer_groups[group.0 as usize];
        let pattern = self.group_patterns.get(group.0 as usize).and_then(|p| p.as_ref());
        self.catalog
            .topics()
            .filter(|t| {
                let name = self.catalog.topic_name(*t);
                name != OFFSETS_TOPIC
                    && (spec.topics.iter().any(|x| x == name) || pattern.is_some_and(|re| re.is_match(name)))
            })
            .collect()
    }

    /// The watermark of `group_id`'s windowed application now, over every partition of its
    /// topics, with the partitions holding it back (no record yet, not idle) and the idle ones,
    /// by name. See [`crate::streams::watermark`].
    pub fn watermark(&self, group_id: &str) -> Option<WatermarkView> {
        let app = self.windows(group_id)?;
        let group = self.catalog.group_id(group_id)?;
        let now = self.now.0;
        let mut inputs = vec![];
        let (mut holding_back, mut idle) = (vec![], vec![]);
        for tp in self.group_partitions(group) {
            let task = self.catalog.partition_index(tp) as u32;
            let (st, last) = (app.stream_time(task), app.last_processed(task));
            let name = self.catalog.partition_name(tp);
            if app.watermark.idle_timeout_ms.is_some_and(|t| now.saturating_sub(last.unwrap_or(0)) >= t) {
                idle.push(name);
            } else if st.is_none() {
                holding_back.push(name);
            }
            inputs.push((st, last));
        }
        Some(WatermarkView {
            watermark_ms: crate::streams::watermark(&app.watermark, &inputs, now),
            max_out_of_orderness_ms: app.watermark.max_out_of_orderness_ms,
            idle_timeout_ms: app.watermark.idle_timeout_ms,
            holding_back,
            idle,
        })
    }

    /// Every partition of the topics group `group` subscribes to.
    fn group_partitions(&self, group: GroupId) -> impl Iterator<Item = TopicPartition> + '_ {
        self.group_topics(group)
            .into_iter()
            .flat_map(move |t| (0..self.catalog.partitions(t)).map(move |p| TopicPartition::new(t, p)))
    }

    /// Runs until the run has drained or `max` is reached; returns whether it drained. It
    /// checks at whole simulated seconds ([`DRAIN_CHECK_EVERY_MS`]), so it stops at the first
    /// whole second at which the run has drained.
    pub fn run_to_drain(&mut self, max: SimTime) -> bool {
        self.run_by_seconds(max, true, |_| {})
    }

    /// Runs to `max` a whole simulated second at a time (the first step to the next whole
    /// second), calling `each` after every step; with `until_drained`, stops at the first whole
    /// second at which the run has drained. Returns whether the run has drained. The CLI uses
    /// `each` for its progress bar.
    pub fn run_by_seconds(&mut self, max: SimTime, until_drained: bool, mut each: impl FnMut(&Simulation)) -> bool {
        while self.now < max {
            if until_drained && self.is_drained() {
                return true;
            }
            let next = (self.now.0 / DRAIN_CHECK_EVERY_MS + 1) * DRAIN_CHECK_EVERY_MS;
            self.run_until(SimTime(next).min(max));
            each(self);
        }
        self.is_drained()
    }

    /// Rows of the input files that could not be read, in file order.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.observers.tables.iter().flatten().flat_map(|t| t.dead_letters.iter().cloned()).collect()
    }

    /// The delivery outcome of a group so far (empty for an unknown group).
    pub fn outcome(&self, group_id: &str) -> Outcome {
        let Some(group) = self.catalog.group_id(group_id) else { return Outcome::default() };
        let coordinator = self.coordinator_group(group_id);
        let partitions: Vec<PartitionState> = self
            .group_partitions(group)
            .map(|tp| PartitionState {
                partition: tp,
                committed: coordinator.and_then(|g| g.offsets.get(&tp).copied()).unwrap_or(Offset(0)),
                log_end_offset: self.log(tp).map_or(Offset(0), |l| l.log_end_offset()),
            })
            .collect();
        let outcome =
            self.observers.ledger.outcome(group, &partitions, |tp, o| self.log(tp).and_then(|l| l.record_id_at(o)));
        if self.observers.ledger.counts_by_id(group) {
            return self.outcome_by_input(group, outcome);
        }
        outcome
    }

    /// The outcome of a group downstream of a pipeline, per input record: each record of the
    /// pipeline's input topics is `processed_once`, `duplicated` (its output processed more than
    /// once: the output topic holds it twice), `lost` (the pipeline committed its input offset,
    /// yet no committed output of it exists), or `pending`. Skipped keeps the offset count
    /// (markers, aborted outputs).
    fn outcome_by_input(&self, group: GroupId, by_offset: Outcome) -> Outcome {
        let mut out =
            Outcome { skipped: by_offset.skipped, skipped_ids: by_offset.skipped_ids.clone(), ..Outcome::default() };
        let topics = self.group_topics(group);
        let upstream = self.valid.scenario.consumer_groups.iter().enumerate().find(|(_, g)| {
            g.pipeline
                .as_ref()
                .is_some_and(|p| topics.iter().any(|t| self.catalog.topic_id(&p.output_topic) == Some(*t)))
        });
        let Some((ui, up)) = upstream else { return by_offset };
        // Input ids with a committed (not aborted) output in the output topic.
        let mut in_output: std::collections::HashSet<RecordId> = Default::default();
        for t in &topics {
            for p in 0..self.catalog.partitions(*t) {
                let Some(log) = self.log(TopicPartition::new(*t, p)) else { continue };
                for r in log.read(log.log_start_offset(), log.last_stable_offset(), u64::MAX) {
                    if !r.record_id.is_control() && !log.producer_state.is_aborted(r.offset) {
                        in_output.insert(r.record_id);
                    }
                }
            }
        }
        let coordinator = self.coordinator_group(&up.group_id);
        let keep = |ids: &mut Vec<u64>, id: RecordId| {
            if ids.len() < 200 {
                ids.push(id.0);
            }
        };
        for tp in self.group_partitions(GroupId(ui as u32)) {
            let Some(log) = self.log(tp) else { continue };
            let committed = coordinator.and_then(|g| g.offsets.get(&tp).copied()).unwrap_or(Offset(0));
            for r in log.read(log.log_start_offset(), log.high_watermark(), u64::MAX) {
                if r.record_id.is_control() {
                    continue;
                }
                match self.observers.ledger.times_processed(group, r.record_id) {
                    1 => out.processed_once += 1,
                    0 if r.offset < committed && !in_output.contains(&r.record_id) => {
                        out.lost += 1;
                        keep(&mut out.lost_ids, r.record_id);
                    }
                    0 => out.pending += 1,
                    _ => {
                        out.duplicated += 1;
                        keep(&mut out.duplicated_ids, r.record_id);
                    }
                }
            }
        }
        out.reordered = by_offset.reordered;
        out.reordered_ids = by_offset.reordered_ids;
        out
    }

    /// Group `group_id`'s window-store changelog bookkeeping, if its windows have a changelog.
    pub fn store(&self, group_id: &str) -> Option<&crate::streams::ChangelogStore> {
        let g = self.catalog.group_id(group_id)?;
        self.observers.stores.get(g.0 as usize)?.as_ref()
    }

    /// A group's window aggregation, if it has one.
    pub fn windows(&self, group_id: &str) -> Option<&WindowedAggregator> {
        let g = self.catalog.group_id(group_id)?;
        self.observers.apps.get(g.0 as usize)?.as_ref()
    }

    /// Which time `group_id`'s windows use: `processing` (wall clock), `log_append` (its first
    /// topic has `message.timestamp.type=LogAppendTime`) or `event`.
    pub fn window_time(&self, group_id: &str) -> &'static str {
        let Some(app) = self.windows(group_id) else { return "event" };
        if app.wall_clock {
            return "processing";
        }
        let spec = self.valid.scenario.consumer_groups.iter().find(|g| g.group_id == group_id);
        let topic = spec
            .and_then(|g| g.topics.first())
            .and_then(|t| self.valid.scenario.topics.iter().position(|x| &x.name == t));
        match topic.map(|i| self.valid.topic_configs[i].message_timestamp_type) {
            Some(crate::config::TimestampType::LogAppendTime) => "log_append",
            _ => "event",
        }
    }

    /// Group `group`'s dedupe, if it has one.
    pub fn dedupe(&self, group: GroupId) -> Option<&crate::streams::Dedupe> {
        self.observers.dedupes.get(group.0 as usize)?.as_ref()
    }

    /// The first group with a dedupe: where its two rules disagree, each with both records
    /// and why, as the report and the view show them.
    pub fn dedupe_report(&self) -> Option<DedupeReport> {
        let (gi, spec) = self.valid.scenario.consumer_groups.iter().enumerate().find(|(_, g)| g.dedupe.is_some())?;
        let d = self.dedupe(GroupId(gi as u32))?;
        let seen = |s: crate::streams::dedupe::Seen| DedupeRecord {
            record_id: s.record_id.0,
            timestamp_ms: s.timestamp_ms,
            detail: self.record_detail(s.record_id),
        };
        let disagreements = d
            .disagreements()
            .map(|k| DedupeDisagreement {
                key: self.keys.name(k.key).to_string(),
                processed_first: seen(k.processed_first),
                earliest: seen(k.earliest),
                // Records of one producer are sent in sequence order.
                why: if k.earliest.record_id.0 < k.processed_first.record_id.0 {
                    "sent first, appended after: its produce request was retried, and without idempotence a retried batch can land behind a later one"
                } else {
                    "sent after it: the source sent them out of event-time order"
                }
                .to_string(),
            })
            .collect();
        Some(DedupeReport {
            group_id: spec.group_id.clone(),
            horizon_ms: d.horizon_ms,
            kept: d.kept().count() as u64,
            repeats: d.repeats,
            disagreements,
        })
    }

    /// A record's payload in words, for the bids: `$150.00 by birdkowsky`.
    fn record_detail(&self, id: RecordId) -> String {
        match self.observers.tables.get(id.producer()).and_then(|t| t.as_deref()).map(|t| &t.values) {
            Some(Values::Bids { bid, bidder }) => {
                format!(
                    "${:.2} by {}",
                    bid.get(id.seq()).copied().unwrap_or(0.0),
                    bidder.get(id.seq()).map_or("?", |b| b.as_str())
                )
            }
            _ => String::new(),
        }
    }

    /// Group `group`'s dead-letter queue, in the order records were sent to it.
    pub fn dead_letter_queue(&self, group: GroupId) -> &[DeadLetterEntry] {
        self.observers.dead_letter_queues.get(group.0 as usize).map_or(&[], |q| q.as_slice())
    }

    /// Records group `group`'s applications have finished processing, re-processing included.
    pub fn processed_by_group(&self, group: GroupId) -> u64 {
        self.observers.processed_by_group.get(group.0 as usize).copied().unwrap_or(0)
    }

    /// The bidder of the bid record `id`, from its data table.
    fn bidder(&self, id: RecordId) -> &str {
        match self.observers.tables.get(id.producer()).and_then(|t| t.as_deref()).map(|t| &t.values) {
            Some(Values::Bids { bidder, .. }) => bidder.get(id.seq()).map_or("?", |b| b.as_str()),
            _ => "?",
        }
    }

    /// Every window of a group, sorted by key name then start.
    pub fn window_reports(&self, group_id: &str) -> Vec<WindowReport> {
        let Some(app) = self.windows(group_id) else { return vec![] };
        let (taxi, bids) = match app.aggregation {
            Aggregation::TaxiTrips => (true, false),
            Aggregation::HighestBid => (false, true),
            Aggregation::Count => (false, false),
        };
        let spec = self.valid.scenario.consumer_groups.iter().find(|g| g.group_id == group_id);
        let custom = spec.is_some_and(|g| g.aggregate.is_some());
        let mut out: Vec<WindowReport> = app
            .all_windows()
            .map(|(key, w)| WindowReport {
                key: self.keys.name(key).to_string(),
                start_ms: w.start_ms,
                end_ms: w.end_ms,
                count: w.count,
                closed: app.is_closed(w),
                fare_amount_avg: taxi.then(|| w.fare_amount_avg()),
                trip_duration_s_avg: taxi.then(|| w.trip_duration_s_avg()),
                bid_max: if bids { w.max_bid.map(|b| b.bid) } else { None },
                bidder: if bids { w.max_bid.map(|b| self.bidder(b.record_id).to_string()) } else { None },
                value: custom.then(|| w.value(app.dataflow.function)).flatten(),
                top: w.acc.top().to_vec(),
            })
            .collect();
        out.sort_by(|a, b| (&a.key, a.start_ms).cmp(&(&b.key, b.start_ms)));
        out
    }

    /// A consumer of group `group` that has not started, as its spec describes it; a static
    /// member's `group.instance.id` is its `client_id`.
    fn new_consumer(&self, group: GroupId, client_id: String) -> Consumer {
        let gi = group.0 as usize;
        let spec = &self.valid.scenario.consumer_groups[gi];
        let mut consumer = Consumer::new(
            client_id.clone(),
            spec.group_id.clone(),
            group,
            spec.topics.clone(),
            self.valid.consumer_configs[gi].clone(),
            spec.processing_ms_per_record,
            spec.commit_mode,
            &self.metadata,
        );
        let number: Option<u32> = client_id.rsplit('-').next().and_then(|n| n.parse().ok());
        if spec.static_membership {
            consumer.group_instance_id = Some(client_id);
        }
        consumer.commit_on_revoke = spec.commit_on_revoke;
        consumer.errors = spec.errors;
        if spec.assign && spec.members > 0 {
            let n: u32 = number.unwrap_or(1);
            let slot = (n.max(1) - 1) % spec.members;
            let partitions = self
                .group_topics(group)
                .into_iter()
                .flat_map(|t| (0..self.catalog.partitions(t)).map(move |p| TopicPartition::new(t, p)))
                .filter(|tp| tp.partition.0 % spec.members == slot)
                .collect();
            consumer.assign_manually(partitions);
        }
        if let Some(pattern) = &spec.topic_pattern {
            consumer.subscribe_pattern(pattern);
        }
        if let Some(p) = &spec.pipeline {
            let configs = p.producer_configs(&consumer.client_id, &spec.group_id);
            let config = crate::config::ProducerConfig::from_map("pipeline", &configs, "", Default::default())
                .expect("the pipeline's producer configs are valid");
            let topic = self.catalog.topic_id(&p.output_topic).expect("validated: the output topic exists");
            let index = 1_000 + self.nodes.len() as u32;
            let producer = Producer::new(
                index,
                config,
                topic,
                &self.metadata,
                self.keys.clone(),
                Workload::Feed(Default::default()),
            )
            .embedded(crate::consumer::OUTPUT_CORRELATION_BASE);
            let changelog = spec
                .windows
                .filter(|w| w.changelog)
                .and_then(|_| self.catalog.topic_id(&crate::scenario::changelog_topic(&spec.group_id)));
            let producer = match changelog {
                Some(topic) => producer.with_changelog(topic, self.catalog.partitions(topic)),
                None => producer,
            };
            consumer.changelog = changelog;
            consumer.output = Some(Box::new(crate::consumer::Output::new(producer, p.guarantee)));
        }
        consumer
    }

    fn start_consumer(&mut self, group: GroupId) -> NodeId {
        let gi = group.0 as usize;
        self.started_per_group[gi] += 1;
        let client_id =
            format!("consumer-{}-{}", self.valid.scenario.consumer_groups[gi].group_id, self.started_per_group[gi]);
        let consumer = self.new_consumer(group, client_id.clone());
        let id = self.catalog.add_node(&client_id, Some(group));
        debug_assert_eq!(id.0 as usize, self.nodes.len(), "catalog and nodes number nodes alike");
        self.nodes.push(Node::Consumer(Box::new(consumer)));
        self.incarnations.push(0);
        self.with_node(id, |node, ctx| {
            if let Node::Consumer(c) = node {
                c.start(ctx)
            }
        });
        id
    }

    /// Processes the next event; returns its time, or `None` if nothing is scheduled.
    pub fn step(&mut self) -> Option<SimTime> {
        let (at, event) = self.scheduler.pop()?;
        self.now = at;
        self.events += 1;
        match event {
            Event::Deliver { from, to, msg } => {
                if self.network_faults.is_cut(from, to) {
                    // Cut while in flight: lost.
                } else if self.nodes[to.0 as usize].is_alive() {
                    self.with_node(to, |node, ctx| match node {
                        Node::Broker(b) => b.on_message(ctx, from, msg),
                        Node::Controller(c) => c.on_message(ctx, from, msg),
                        Node::Producer(p) => p.on_message(ctx, from, msg),
                        Node::Consumer(c) => c.on_message(ctx, from, msg),
                    });
                } else if matches!(&self.nodes[to.0 as usize], Node::Broker(b) if b.process == ProcessState::Crashed)
                    && !matches!(msg, Message::Disconnected { .. })
                    && self.nodes[from.0 as usize].is_alive()
                {
                    // The machine is up but the process is not: the connection is refused.
                    self.send(to, from, Message::Disconnected { node: to });
                }
            }
            Event::Timer { node, timer, incarnation } => {
                if self.nodes[node.0 as usize].is_alive() && incarnation == self.incarnations[node.0 as usize] {
                    self.with_node(node, |n, ctx| match (n, timer) {
                        (Node::Broker(b), Timer::Broker(t)) => b.on_timer(ctx, t),
                        (Node::Controller(c), Timer::Controller(t)) => c.on_timer(ctx, t),
                        (Node::Producer(p), Timer::Producer(t)) => p.on_timer(ctx, t),
                        (Node::Consumer(c), Timer::Consumer(t)) => c.on_timer(ctx, t),
                        (Node::Consumer(c), Timer::Producer(t)) => c.on_output_timer(ctx, t),
                        _ => {}
                    });
                }
            }
            Event::Fault(i) => {
                let command = self.valid.scenario.faults[i].command.clone();
                if let Err(e) = self.apply(command) {
                    self.push_trace(TraceEvent::FaultRefused { reason: e.to_string() });
                }
            }
        }
        // Incremental checks keep what report-time checks must scan short.
        if !self.unverified.is_empty() || self.events.is_multiple_of(256) {
            self.verify_acknowledged();
        }
        Some(at)
    }

    /// Processes every event due at or before `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: SimTime) {
        while self.scheduler.peek_time().is_some_and(|t| t <= until) {
            self.step();
        }
        self.now = self.now.max(until);
        self.verify_acknowledged();
    }

    /// Runs to the scenario's `run_ms`.
    pub fn run(&mut self) {
        self.run_until(SimTime(self.valid.scenario.run_ms));
    }

    /// Applies a command at the current time; refused whole on error.
    pub fn apply(&mut self, command: Command) -> Result<(), CommandError> {
        match command {
            Command::AddConsumer { group_id } => {
                let Some(group) = self.catalog.group_id(&group_id) else {
                    return Err(CommandError::UnknownGroup(group_id));
                };
                let members = self.consumers().filter(|c| c.group_id == group_id).count();
                if members >= MAX_CONSUMERS_PER_GROUP {
                    return Err(CommandError::TooManyConsumers { group_id, members, max: MAX_CONSUMERS_PER_GROUP });
                }
                self.start_consumer(group);
            }
            Command::CloseConsumer { client_id }
            | Command::CrashConsumer { client_id }
            | Command::PauseConsumer { client_id, .. }
            | Command::SeekConsumer { client_id, .. }
                if self.live_consumer(&client_id).is_none() =>
            {
                return Err(CommandError::UnknownConsumer(client_id));
            }
            Command::PauseConsumer { duration_ms, .. } if !(1..=3_600_000).contains(&duration_ms) => {
                return Err(CommandError::PauseOutOfRange(duration_ms));
            }
            Command::SeekConsumer { client_id, to } => {
                let id = self.live_consumer(&client_id).expect("checked");
                self.with_node(id, |n, ctx| {
                    if let Node::Consumer(c) = n {
                        c.seek_all(ctx, to)
                    }
                });
            }
            Command::PauseConsumer { client_id, duration_ms } => {
                let id = self.live_consumer(&client_id).expect("checked");
                self.with_node(id, |n, ctx| {
                    if let Node::Consumer(c) = n {
                        c.pause(ctx, duration_ms)
                    }
                });
            }
            Command::RestartConsumer { client_id } => {
                let Some(id) = self.stopped_consumer(&client_id) else {
                    return Err(CommandError::NotStopped(client_id));
                };
                let Node::Consumer(old) = &self.nodes[id.0 as usize] else { unreachable!("a consumer") };
                let group = old.group;
                let consumer = self.new_consumer(group, client_id);
                self.nodes[id.0 as usize] = Node::Consumer(Box::new(consumer));
                self.incarnations[id.0 as usize] += 1;
                self.with_node(id, |node, ctx| {
                    if let Node::Consumer(c) = node {
                        c.start(ctx)
                    }
                });
            }
            Command::CloseConsumer { client_id } => {
                let id = self.live_consumer(&client_id).expect("checked");
                self.with_node(id, |n, ctx| {
                    if let Node::Consumer(c) = n {
                        c.close(ctx)
                    }
                });
            }
            Command::CrashProducer { client_id } => {
                let Some(i) =
                    self.nodes.iter().position(|n| matches!(n, Node::Producer(p) if p.config.client_id == client_id))
                else {
                    return Err(CommandError::UnknownProducer(client_id));
                };
                let id = NodeId(i as u32);
                let Node::Producer(old) = &self.nodes[i] else { unreachable!("a producer") };
                let fresh = old.restarted();
                self.nodes[i] = Node::Producer(fresh);
                self.incarnations[i] += 1;
                self.with_node(id, |node, ctx| {
                    if let Node::Producer(p) = node {
                        ctx.trace(TraceEvent::ProducerCrashed { producer: ctx.me() });
                        p.start(ctx)
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
            Command::CrashBroker { broker } | Command::PowerOffBroker { broker } => {
                let power_loss = matches!(command, Command::PowerOffBroker { .. });
                let b = self.running_broker(broker, if power_loss { "powered off" } else { "crashed" })?;
                self.incarnations[b.0 as usize] += 1;
                self.with_node(b, |n, ctx| {
                    if let Node::Broker(x) = n {
                        x.stop(ctx, power_loss)
                    }
                });
                if !power_loss {
                    // The process died but the machine answers: every open connection is reset.
                    for i in 0..self.nodes.len() as u32 {
                        if NodeId(i) != b && NodeId(i) != self.controller && self.nodes[i as usize].is_alive() {
                            self.send(b, NodeId(i), Message::Disconnected { node: b });
                        }
                    }
                }
            }
            Command::RestartBroker { broker } => {
                let b = self.broker_node(broker)?;
                if self.broker(BrokerId(broker)).is_some_and(|x| x.is_running()) {
                    return Err(CommandError::BrokerState { broker, state: "running", action: "restarted" });
                }
                self.incarnations[b.0 as usize] += 1;
                self.with_node(b, |n, ctx| {
                    if let Node::Broker(x) = n {
                        x.restart(ctx)
                    }
                });
            }
            Command::CrashLeader { topic, partition } => {
                let Some(t) = self.catalog.topic_id(&topic) else {
                    return Err(CommandError::UnknownNode { field: "topic", name: topic });
                };
                if partition >= self.catalog.partitions(t) {
                    return Err(CommandError::UnknownNode { field: "partition", name: format!("{topic}-{partition}") });
                }
                let tp = TopicPartition::new(t, partition);
                if let Some(leader) = self.registration(tp).and_then(|r| r.leader) {
                    if self.broker(leader).is_some_and(|b| b.is_running()) {
                        return self.apply(Command::CrashBroker { broker: leader.0 });
                    }
                }
            }
            Command::Isolate { node, from } => {
                let a = self.node_named(&node, "node")?;
                let peers: Vec<NodeId> = if from.is_empty() {
                    (0..self.nodes.len() as u32).map(NodeId).filter(|n| *n != a).collect()
                } else {
                    from.iter().map(|f| self.node_named(f, "from")).collect::<Result<_, _>>()?
                };
                self.network_faults.isolate(a, peers);
                self.push_trace(TraceEvent::NetworkPartitioned { node: a, peers: from.len() as u32 });
            }
            Command::Heal { node } => {
                let a = self.node_named(&node, "node")?;
                self.network_faults.heal(a);
                self.push_trace(TraceEvent::NetworkHealed { node: a });
            }
            Command::SlowLink { node, peer, extra_ms } => {
                if extra_ms > 60_000 {
                    return Err(CommandError::DelayOutOfRange(extra_ms));
                }
                let a = self.node_named(&node, "node")?;
                let b = self.node_named(&peer, "peer")?;
                self.network_faults.slow(a, b, extra_ms);
                self.push_trace(TraceEvent::LinkSlowed { node: a, peer: b, extra_ms });
            }
            Command::LinkFault { from, to, message, drop_rate, duplicate_rate, delay_ms, count } => {
                let rule =
                    self.link_rule(&from, &to, message.as_deref(), drop_rate, duplicate_rate, delay_ms, count)?;
                let ppm = |r: f64| libm::round(r * 1e6) as u32;
                self.push_trace(TraceEvent::LinkFaultSet {
                    from: rule.from,
                    to: rule.to,
                    message: rule.message,
                    drop_ppm: ppm(rule.drop_rate),
                    duplicate_ppm: ppm(rule.duplicate_rate),
                    delay_ms: rule.delay_ms,
                    count: rule.remaining,
                });
                self.network_faults.set_rule(rule);
            }
            Command::ElectPreferredLeaders => {
                let c = self.controller;
                self.with_node(c, |n, ctx| {
                    if let Node::Controller(x) = n {
                        x.elect_preferred_leaders(ctx)
                    }
                });
            }
            Command::CreatePartitions { topic, count } => {
                let t = self.user_topic(&topic)?;
                let current = self.catalog.partitions(t);
                if count <= current {
                    return Err(CommandError::PartitionsNotIncreased { current, count });
                }
                if count > crate::scenario::MAX_PARTITIONS {
                    return Err(CommandError::InvalidTopic {
                        field: "count",
                        message: format!("must be at most {}, got {count}", crate::scenario::MAX_PARTITIONS),
                    });
                }
                let rf = self.registration(TopicPartition::new(t, 0)).map_or(1, |r| r.replicas.len() as u32);
                self.catalog.add_partitions(t, count);
                self.push_trace(TraceEvent::PartitionsCreated { topic: t, from: current, to: count });
                self.place_partitions(t, current, rf, None);
            }
            Command::CreateTopic { topic, partitions, replication_factor, configs } => {
                if self.catalog.topic_id(&topic).is_some() {
                    return Err(CommandError::TopicExists(crate::scenario::cut(&topic)));
                }
                crate::scenario::validate_topic_name("topic", &topic)
                    .map_err(|e| CommandError::InvalidTopic { field: "topic", message: e.message })?;
                if !(1..=crate::scenario::MAX_PARTITIONS).contains(&partitions) {
                    return Err(CommandError::InvalidTopic {
                        field: "partitions",
                        message: format!("must be between 1 and {}, got {partitions}", crate::scenario::MAX_PARTITIONS),
                    });
                }
                let brokers = self.valid.scenario.brokers;
                if !(1..=brokers).contains(&replication_factor) {
                    return Err(CommandError::InvalidTopic {
                        field: "replication_factor",
                        message: format!(
                            "InvalidReplicationFactorException: Replication factor: {replication_factor} larger than available brokers: {brokers}."
                        ),
                    });
                }
                if self.catalog.topic_ids() >= MAX_TOPICS {
                    return Err(CommandError::InvalidTopic {
                        field: "topic",
                        message: format!("a simulation holds at most {MAX_TOPICS} topics"),
                    });
                }
                let config = crate::config::TopicConfig::from_map("configs", &configs, replication_factor)
                    .map_err(|e| CommandError::InvalidTopic { field: "configs", message: e.to_string() })?;
                let t = self.catalog.add_topic(&topic, 0);
                self.catalog.add_partitions(t, partitions);
                self.push_trace(TraceEvent::TopicCreated { topic: t, partitions, replication_factor });
                let unclean = config.unclean_leader_election_enable;
                let record = TopicRecord { topic: t, name: topic, config, deleted: false };
                self.place_partitions(t, 0, replication_factor, Some((record, unclean)));
            }
            Command::DeleteTopic { topic } => {
                let t = self.user_topic(&topic)?;
                if self.valid.scenario.producers.iter().any(|p| p.topic == topic) {
                    return Err(CommandError::TopicInUse(topic));
                }
                self.catalog.delete_topic(t);
                self.sync_topics();
                self.push_trace(TraceEvent::TopicDeleted { topic: t });
                let c = self.controller;
                self.with_node(c, |n, ctx| {
                    if let Node::Controller(x) = n {
                        x.delete_topic(ctx, t)
                    }
                });
            }
        }
        Ok(())
    }

    /// A topic of the scenario or created since, not `__consumer_offsets`, by name.
    fn user_topic(&self, name: &str) -> Result<TopicId, CommandError> {
        self.catalog
            .topic_id(name)
            .filter(|t| self.catalog.topic_name(*t) != OFFSETS_TOPIC)
            .ok_or_else(|| CommandError::UnknownTopic(crate::scenario::cut(name)))
    }

    /// Places partitions `from..` of `topic` (already in the catalog) on brokers as its first
    /// ones were, and has the controller register them (with the topic's record if new).
    fn place_partitions(&mut self, topic: TopicId, from: u32, rf: u32, record: Option<(TopicRecord, bool)>) {
        let count = self.catalog.partitions(topic);
        let placement = assign_replicas(count, rf, self.valid.scenario.brokers, topic.0);
        let new: Vec<(TopicPartition, Vec<BrokerId>)> = placement
            .into_iter()
            .enumerate()
            .skip(from as usize)
            .map(|(p, replicas)| (TopicPartition::new(topic, p as u32), replicas))
            .collect();
        self.sync_topics();
        let c = self.controller;
        self.with_node(c, |n, ctx| {
            if let Node::Controller(x) = n {
                x.create_partitions(ctx, record, new)
            }
        });
    }

    /// After a topic change: what new clients are told at start and the task numbers follow
    /// the catalog.
    fn sync_topics(&mut self) {
        self.observers.task_slots = task_slots(&self.catalog);
        let mut topics = vec![];
        for t in 0..self.catalog.topic_ids() as u32 {
            let t = TopicId(t);
            let live = !self.catalog.is_deleted(t) && self.catalog.topic_name(t) != OFFSETS_TOPIC;
            let n = if live { self.catalog.partitions(t) as usize } else { 0 };
            topics.push(TopicMetadata {
                name: if live { self.catalog.topic_name(t).to_string() } else { String::new() },
                leaders: vec![None; n],
                leader_epochs: vec![0; n],
            });
        }
        self.metadata.topics = topics;
    }

    fn broker_node(&self, broker: u32) -> Result<NodeId, CommandError> {
        let max = self.valid.scenario.brokers - 1;
        if broker > max {
            return Err(CommandError::UnknownBroker { broker, max });
        }
        Ok(self.metadata.brokers[broker as usize])
    }

    fn running_broker(&self, broker: u32, action: &'static str) -> Result<NodeId, CommandError> {
        let b = self.broker_node(broker)?;
        match self.broker(BrokerId(broker)).map(|x| x.process) {
            Some(ProcessState::Running) => Ok(b),
            Some(p) => Err(CommandError::BrokerState { broker, state: p.name(), action }),
            None => Err(CommandError::UnknownBroker { broker, max: self.valid.scenario.brokers - 1 }),
        }
    }

    /// A [`Command::LinkFault`]'s rule, checked whole.
    #[allow(clippy::too_many_arguments)]
    fn link_rule(
        &self,
        from: &str,
        to: &str,
        message: Option<&str>,
        drop_rate: f64,
        duplicate_rate: f64,
        delay_ms: u64,
        count: Option<u32>,
    ) -> Result<LinkRule, CommandError> {
        let nodes = |name: &str, field: &'static str| -> Result<Nodes, CommandError> {
            Ok(match name {
                "brokers" => Nodes::Brokers,
                "producers" => Nodes::Producers,
                "consumers" => Nodes::Consumers,
                "*" => Nodes::Any,
                _ => Nodes::One(self.node_named(name, field)?),
            })
        };
        let message = crate::command::check_link_fault(message, drop_rate, duplicate_rate, delay_ms, count)
            .map_err(|(field, message)| CommandError::InvalidLinkFault { field, message })?;
        Ok(LinkRule {
            from: nodes(from, "from")?,
            to: nodes(to, "to")?,
            message,
            drop_rate,
            duplicate_rate,
            delay_ms,
            remaining: count,
        })
    }

    /// The node called `name` (`broker-1`, `controller`, a client id).
    fn node_named(&self, name: &str, field: &'static str) -> Result<NodeId, CommandError> {
        (0..self.nodes.len() as u32)
            .map(NodeId)
            .find(|n| self.catalog.node_name(*n) == name)
            .ok_or_else(|| CommandError::UnknownNode { field, name: crate::scenario::cut(name) })
    }

    /// The rebalances of group `group_id` so far, oldest first (empty for an unknown group).
    pub fn rebalance_timeline(&self, group_id: &str) -> &[crate::timeline::Rebalance] {
        match self.catalog.group_id(group_id) {
            Some(g) => self.observers.timeline.rebalances(g),
            None => &[],
        }
    }

    fn stopped_consumer(&self, client_id: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| matches!(n, Node::Consumer(c) if c.client_id == client_id && !c.is_alive()))
            .map(|i| NodeId(i as u32))
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
        self.nodes.iter().filter_map(|n| if let Node::Consumer(c) = n { Some(&**c) } else { None })
    }

    /// The most recent trace entries of every level (10,000 by default, see
    /// [`Simulation::set_trace_capacity`]), oldest first.
    pub fn trace(&self) -> &VecDeque<TraceEntry> {
        self.trace.recent()
    }

    /// The most recent Info-level trace entries (1,000 by default), oldest first.
    pub fn trace_info(&self) -> &VecDeque<TraceEntry> {
        self.trace.info()
    }

    /// Trace events since the start, kept in memory or not.
    pub fn trace_events(&self) -> u64 {
        self.trace.total()
    }

    /// The hash of the whole trace (see [`crate::sim::TraceHasher`]): equal for the same
    /// scenario and seed, natively and in wasm.
    pub fn trace_hash(&self) -> u64 {
        self.trace.hash()
    }

    /// The group's state on its coordinator (none while the coordinator is down or moving).
    fn coordinator_group(&self, group_id: &str) -> Option<&crate::broker::group_coordinator::Group> {
        let b = self.broker(self.coordinator_broker(group_id)?)?;
        b.coordinator.groups.get(group_id).filter(|_| b.is_running())
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
        for tp in self.user_partitions() {
            let Some(reg) = self.registration(tp) else { continue };
            let Some(log) = self.shown_log(tp) else { continue };
            let committed = groups_on_coordinators
                .iter()
                .filter_map(|g| g.offsets.get(&tp).map(|o| (g.group_id.clone(), o.0)))
                .collect();
            let replica_logs = reg
                .replicas
                .iter()
                .filter_map(|b| {
                    let broker = self.broker(*b)?;
                    let r = broker.replicas.get(&tp)?;
                    let up = broker.is_running() && !self.controller_node().brokers[b.0 as usize].fenced;
                    Some(ReplicaLogView {
                        broker: b.0,
                        role: match () {
                            _ if !up => "offline",
                            _ if reg.leader == Some(*b) => "leader",
                            _ => "follower",
                        }
                        .into(),
                        in_sync: reg.isr.contains(b),
                        log_start_offset: r.log.log_start_offset().0,
                        log_end_offset: r.log.log_end_offset().0,
                        high_watermark: r.log.high_watermark().0,
                    })
                })
                .collect();
            partitions.push(PartitionView {
                topic: self.catalog.topic_name(tp.topic).to_string(),
                partition: tp.partition.0,
                leader: reg.leader.map(|b| b.0),
                leader_epoch: reg.leader_epoch,
                replicas: reg.replicas.iter().map(|b| b.0).collect(),
                isr: reg.isr.iter().map(|b| b.0).collect(),
                under_replicated: reg.isr.len() < reg.replicas.len(),
                offline: reg.leader.is_none(),
                log_start_offset: log.log_start_offset().0,
                log_end_offset: log.log_end_offset().0,
                high_watermark: log.high_watermark().0,
                replica_logs,
                segments: log.segment_base_offsets().into_iter().map(|o| o.0).collect(),
                tail: log
                    .tail(opts.tail_records)
                    .into_iter()
                    .map(|t| TailRecord { offset: t.offset.0, key: t.key.map(|k| k.0), tombstone: t.tombstone })
                    .collect(),
                committed,
            });
        }
        partitions.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));

        let groups = self
            .valid
            .scenario
            .consumer_groups
            .iter()
            .enumerate()
            .map(|(gi, spec)| {
                let g = self.coordinator_group(&spec.group_id);
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
                                let committed = g.and_then(|g| g.offsets.get(tp)).map(|o| o.0);
                                let hw = self.log(*tp).map_or(0, |l| l.high_watermark().0);
                                AssignedPartition {
                                    position: c.positions.get(tp).map(|o| o.0),
                                    committed,
                                    high_watermark: hw,
                                    lag: committed.map(|o| hw.saturating_sub(o)),
                                    partition: self.catalog.partition_name(*tp),
                                }
                            })
                            .collect(),
                        records_polled: c.stats.records_polled,
                        records_processed: c.stats.records_processed,
                        group_instance_id: c.group_instance_id.clone(),
                        paused: c.is_paused(self.now),
                    })
                    .collect();
                let config = &self.valid.consumer_configs[gi];
                GroupView {
                    group_id: spec.group_id.clone(),
                    state: g.map_or("Empty", |g| g.state.name()).to_string(),
                    generation_id: g.map_or(0, |g| g.generation_id),
                    leader: g.and_then(|g| g.leader.clone()),
                    rebalances: g.map_or(0, |g| g.rebalances),
                    members,
                    outcome: self.outcome(&spec.group_id),
                    commit_mode: spec.commit_mode.name().to_string(),
                    auto_commit_interval_ms: config.auto_commit_interval_ms,
                    protocol: g.and_then(|g| g.protocol_name.clone()),
                    rebalance_protocol: match config.rebalance_protocol() {
                        crate::consumer::assignors::RebalanceProtocol::Eager => "eager",
                        crate::consumer::assignors::RebalanceProtocol::Cooperative => "cooperative",
                    },
                    assignors: config.partition_assignment_strategy.iter().map(|s| s.name()).collect(),
                    max_poll_interval_ms: config.max_poll_interval_ms,
                    session_timeout_ms: config.session_timeout_ms,
                    timeline: self.observers.timeline.rebalances(GroupId(gi as u32)).to_vec(),
                    isolation_level: config.isolation_level.name(),
                    aborted_processed: self.aborted_processed(GroupId(gi as u32)),
                    guarantee: spec.pipeline.as_ref().map(|p| p.guarantee.name()),
                    by_input: self.observers.ledger.counts_by_id(GroupId(gi as u32)),
                }
            })
            .collect();

        let producers = self
            .producers()
            .map(|p| ProducerView {
                client_id: p.config.client_id.clone(),
                topic: self.catalog.topic_name(p.topic).to_string(),
                records_sent: p.records_sent(self.now),
                records_acked: p.stats.records_acked,
                batches_sent: p.stats.batches_sent,
                requests_in_flight: p.stats.requests_in_flight,
                records_failed: p.stats.records_failed,
                retries: p.stats.retries,
                idempotent: p.config.enable_idempotence,
                producer_id: p.producer_id(),
                buffered_bytes: p.buffered_bytes(),
                buffer_memory_bytes: p.config.buffer_memory_bytes,
                in_flight: p
                    .in_flight_by_node()
                    .into_iter()
                    .filter_map(|(n, k)| {
                        self.catalog.node_name(n).strip_prefix("broker-")?.parse().ok().map(|b| (b, k))
                    })
                    .collect(),
                partitions: p.partition_queues(self.now),
                configs: p.config.effective(),
                compression_ratio: p.last_compression_ratio(),
                compression_estimated: p.config.compression.estimated(),
                transaction: p.transaction_view(),
            })
            .collect();

        let trace_tail: Vec<TraceLine> = self
            .trace
            .latest_info(opts.trace_lines)
            .map(|e| TraceLine { time_ms: e.time.0, line: e.event.line(&self.catalog) })
            .collect();
        // The windowed views read many windows; a snapshot that asks for no rows skips them.
        let windowed = self
            .valid
            .scenario
            .consumer_groups
            .iter()
            .filter(|_| opts.window_keys > 0)
            .find(|g| self.windows(&g.group_id).is_some())
            .map(|g| g.group_id.as_str());
        let windows = windowed.map(|g| self.windows_view(g, opts.window_keys, opts.windows_per_key));
        let (acknowledged_lost, acknowledged_lost_ids) = self.acknowledged_lost();
        let (log_duplicates, log_duplicate_ids) = self.log_duplicates();
        Snapshot {
            now_ms: self.now.0,
            partitions,
            groups,
            producers,
            trace_tail,
            trace_len: self.trace.total(),
            windows,
            brokers: self.broker_views(),
            acknowledged_lost,
            acknowledged_lost_ids,
            log_duplicates,
            log_duplicate_ids,
            dead_letters: self.dead_letter_rows(200),
            dead_letters_total: self.dead_letters_total(),
            dedupe: self.dedupe_report(),
            store: windowed.and_then(|g| self.store_view(g)),
            pipeline: windowed.and_then(|g| self.pipeline_view(g, 16)),
        }
    }

    /// The most changelog records a snapshot reads per partition (the table view needs them all;
    /// past this it shows what the first ones say).
    const CHANGELOG_READ_MAX: usize = 50_000;

    /// Group `group_id`'s store and its changelog, read from the partitions' leaders.
    fn store_view(&self, group_id: &str) -> Option<crate::snapshot::StoreView> {
        use crate::snapshot::{ChangelogRow, RestoreView, StoreView, TaskStoreView};
        let store = self.store(group_id)?;
        let app = self.windows(group_id)?;
        let g = self.valid.scenario.consumer_groups.iter().find(|g| g.group_id == group_id)?;
        let input = self.catalog.topic_id(g.topics.first()?)?;
        let name = |n: NodeId| self.catalog.node_name(n).to_string();
        let tasks = (0..self.catalog.partitions(input))
            .map(|p| {
                let tp = TopicPartition::new(input, p);
                let restoring =
                    store.restores.iter().rev().find(|r| r.task == tp).is_some_and(|r| r.finished_ms.is_none());
                let open = task_of(&self.observers.task_slots, tp)
                    .map_or(0, |t| app.all_windows().filter(|(_, w)| w.task == t && !app.is_closed(w)).count() as u64);
                TaskStoreView {
                    partition: self.catalog.partition_name(tp),
                    owner: store.owner(tp).map(name),
                    restoring,
                    open_windows: open,
                }
            })
            .collect();
        let restores = store
            .restores
            .iter()
            .rev()
            .take(12)
            .map(|r| RestoreView {
                partition: self.catalog.partition_name(r.task),
                member: name(r.member),
                started_ms: r.started_ms,
                finished_ms: r.finished_ms,
                records: r.records,
                windows: r.windows,
            })
            .collect();
        let (mut records, mut aborted, mut pending) = (0, 0, 0);
        let mut tail: Vec<ChangelogRow> = vec![];
        let mut table: std::collections::BTreeMap<KeyId, (u64, ChangelogRow)> = Default::default();
        let mut updates: std::collections::BTreeMap<KeyId, u64> = Default::default();
        for p in 0..self.catalog.partitions(store.changelog) {
            let tp = TopicPartition::new(store.changelog, p);
            let Some(log) = self.shown_log(tp) else { continue };
            let lso = log.last_stable_offset();
            let read = log.read(log.log_start_offset(), log.log_end_offset(), u64::MAX);
            let from = tail.len();
            for r in read.iter().filter(|r| !r.record_id.is_control()).take(Self::CHANGELOG_READ_MAX) {
                let state = if log.producer_state.is_aborted(r.offset) {
                    "aborted"
                } else if r.offset >= lso {
                    "pending"
                } else {
                    "committed"
                };
                records += 1;
                aborted += u64::from(state == "aborted");
                pending += u64::from(state == "pending");
                let Some(key) = r.key else { continue };
                let row = ChangelogRow {
                    at: format!("{p}@{}", r.offset.0),
                    timestamp_ms: r.timestamp_ms,
                    key: self.keys.name(key).to_string(),
                    windows: store
                        .windows_in(r.record_id)
                        .map_or(vec![], |ws| ws.iter().map(|w| (w.start_ms, w.count)).collect()),
                    state,
                };
                if state == "committed" {
                    *updates.entry(key).or_default() += 1;
                    table.insert(key, (r.offset.0, row.clone()));
                }
                tail.push(row);
            }
            // Each partition's newest 12; then the newest 12 of all by timestamp.
            let extra = (tail.len() - from).saturating_sub(12);
            tail.drain(from..from + extra);
        }
        tail.sort_by_key(|r| std::cmp::Reverse(r.timestamp_ms));
        tail.truncate(12);
        let table_keys = table.len() as u64;
        let mut busiest: Vec<(u64, KeyId)> = updates.iter().map(|(k, n)| (*n, *k)).collect();
        busiest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let table = busiest.iter().take(12).filter_map(|(_, k)| table.remove(k).map(|(_, row)| row)).collect();
        Some(StoreView {
            group_id: group_id.to_string(),
            changelog: self.catalog.topic_name(store.changelog).to_string(),
            tasks,
            restores,
            restores_total: store.restores_total,
            written: store.written,
            stream_records: records,
            stream_aborted: aborted,
            stream_pending: pending,
            stream_tail: tail,
            table_keys,
            table,
        })
    }

    /// Records in the dead-letter queues: the input rows that could not be read, and every
    /// group's records it failed to process.
    pub fn dead_letters_total(&self) -> u64 {
        let rows: usize = self.observers.tables.iter().flatten().map(|t| t.dead_letters.len()).sum();
        rows as u64 + self.observers.dead_letter_queues.iter().map(|q| q.len() as u64).sum::<u64>()
    }

    /// The first `max` dead letters: unreadable input rows first, then each group's queue.
    fn dead_letter_rows(&self, max: usize) -> Vec<DeadLetterRow> {
        let rows = self.dead_letters().into_iter().map(|d| DeadLetterRow {
            source: format!("input file, line {}", d.line),
            record_id: None,
            error: d.reason,
            attempts: 0,
            first_attempt_ms: None,
            dead_lettered_ms: None,
        });
        let processing = self.valid.scenario.consumer_groups.iter().enumerate().flat_map(|(g, spec)| {
            self.dead_letter_queue(GroupId(g as u32)).iter().map(move |d| DeadLetterRow {
                source: format!("group {}: {}@{}", spec.group_id, self.catalog.partition_name(d.partition), d.offset.0),
                record_id: Some(d.record_id.0),
                error: "processing failed: a poison record (errors.poison_every)".into(),
                attempts: d.attempts,
                first_attempt_ms: Some(d.first_attempt_ms),
                dead_lettered_ms: Some(d.dead_lettered_ms),
            })
        });
        rows.chain(processing).take(max).collect()
    }

    fn window_cell(&self, app: &WindowedAggregator, w: &WindowAggregate) -> WindowCell {
        let top = w.max_bid.map(|b| (b.bid, self.bidder(b.record_id)));
        // The group's own aggregate function, when it has one beyond the count.
        let function = app.dataflow.function;
        let value = (function != crate::streams::AggregateFunction::Count).then(|| match function {
            crate::streams::AggregateFunction::TopN => {
                w.acc.top().iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(", ")
            }
            f => w.value(f).map_or("–".to_string(), |v| format!("{v:.2}")),
        });
        let mut cell = WindowCell {
            start_ms: w.start_ms,
            end_ms: w.end_ms,
            count: w.count,
            closed: app.is_closed(w),
            summary: match app.aggregation {
                Aggregation::Count => format!("{} records", w.count),
                Aggregation::TaxiTrips => format!(
                    "{} trips · avg fare ${:.2} · avg {:.1} min",
                    w.count,
                    w.fare_amount_avg(),
                    w.trip_duration_s_avg() / 60.0
                ),
                Aggregation::HighestBid => match top {
                    Some((bid, bidder)) => format!("{} bids · top ${bid:.2} by {bidder}", w.count),
                    None => format!("{} bids", w.count),
                },
            },
            detail: match app.aggregation {
                Aggregation::Count => String::new(),
                Aggregation::TaxiTrips => {
                    format!("${:.2} · {:.0} min", w.fare_amount_avg(), w.trip_duration_s_avg() / 60.0)
                }
                Aggregation::HighestBid => match top {
                    Some((bid, bidder)) => format!("${bid:.2} {bidder}"),
                    None => String::new(),
                },
            },
        };
        if let Some(v) = value {
            cell.summary = format!("{} · {} {v}", cell.summary, app.dataflow.describe());
            if app.aggregation == Aggregation::Count {
                cell.detail = v;
            }
        }
        cell
    }

    fn windows_view(&self, group_id: &str, keys: usize, per_key: usize) -> WindowsView {
        let app = self.windows(group_id).expect("called for a group with windows");
        let mut busiest: Vec<(KeyId, u64)> = vec![];
        let mut open = 0;
        for key in app.keys() {
            busiest.push((key, app.taken_of(key)));
            open += app.newest_windows(key, 0).count();
        }
        busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        // The keys of the last few late records are shown too, so that their marks are seen:
        // they take the places of the least busy keys shown.
        let mut late_keys: Vec<(KeyId, u64)> = vec![];
        for l in app.late_records.iter().rev() {
            if late_keys.len() == 2.min(keys) {
                break;
            }
            let top = busiest.iter().take(keys).any(|(b, _)| *b == l.key);
            if !top && !late_keys.iter().any(|(k, _)| *k == l.key) {
                late_keys.extend(busiest.iter().find(|(b, _)| *b == l.key));
            }
        }
        let mut shown: Vec<(KeyId, u64)> = busiest.iter().copied().take(keys - late_keys.len()).collect();
        shown.extend(late_keys);
        shown.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let rows = shown
            .into_iter()
            .map(|(key, total)| {
                let mut cells: Vec<WindowCell> =
                    app.windows_of(key).rev().take(per_key).map(|w| self.window_cell(app, w)).collect();
                cells.reverse();
                let partition = app
                    .windows_of(key)
                    .next_back()
                    .map(|w| self.catalog.partition_name(self.catalog.partition_at(w.task as usize)));
                WindowRow { key: self.keys.name(key).to_string(), partition, total, cells }
            })
            .collect();
        WindowsView {
            group_id: group_id.to_string(),
            windows: app.spec,
            aggregation: format!("{:?}", app.aggregation),
            late: app.late,
            skipped_windows: app.skipped_windows,
            late_records: app
                .late_records
                .iter()
                .map(|l| LateView {
                    id: l.record_id.0,
                    key: self.keys.name(l.key).to_string(),
                    partition: self.catalog.partition_name(self.catalog.partition_at(l.task as usize)),
                    timestamp_ms: l.timestamp_ms,
                    stream_time_ms: l.stream_time_ms,
                })
                .collect(),
            stream_time_ms: app
                .stream_times()
                .map(|(task, t)| (self.catalog.partition_name(self.catalog.partition_at(task as usize)), t))
                .collect(),
            total_windows: app.window_count(),
            open_windows: open,
            emit: app.emit.name().to_string(),
            time: self.window_time(group_id).to_string(),
            recent: app.recent.iter().copied().collect(),
            forwarded: app.forwarded,
            watermark: self.watermark(group_id).expect("a windowed group"),
            rows,
        }
    }

    fn coordinator_groups(&self) -> Vec<&crate::broker::group_coordinator::Group> {
        self.valid.scenario.consumer_groups.iter().filter_map(|g| self.coordinator_group(&g.group_id)).collect()
    }

    /// The brokers as the cluster view shows them.
    fn broker_views(&self) -> Vec<BrokerView> {
        let controller = self.controller_node();
        self.brokers()
            .map(|b| {
                let node = self.metadata.brokers[b.id.0 as usize];
                let isolated_from = self
                    .network_faults
                    .cut_off_from(node, (0..self.nodes.len() as u32).map(NodeId))
                    .into_iter()
                    .map(|n| self.catalog.node_name(n).to_string())
                    .collect();
                BrokerView {
                    id: b.id.0,
                    state: b.process.name().into(),
                    fenced: controller.brokers[b.id.0 as usize].fenced,
                    isolated_from,
                    leader_of: controller.partitions.values().filter(|p| p.leader == Some(b.id)).count() as u32,
                    coordinator_for: self
                        .valid
                        .scenario
                        .consumer_groups
                        .iter()
                        .filter(|g| self.coordinator_broker(&g.group_id) == Some(b.id))
                        .map(|g| g.group_id.clone())
                        .collect(),
                }
            })
            .collect()
    }

    /// The broker that coordinates `group_id`: the controller's leader of its offsets partition.
    pub fn coordinator_broker(&self, group_id: &str) -> Option<BrokerId> {
        let b = self.brokers().next()?;
        self.registration(b.offsets_partition(group_id))?.leader
    }

    /// What the run comes to so far: the trace hash, produced and acknowledged counts, topics and
    /// partitions, per group the generation, rebalances and delivery outcome, the first windowed
    /// group's windows and late count, the dead letters and the count of each kind of event. The
    /// CLI prints it.
    pub fn report(&self) -> Report {
        self.report_with(true)
    }

    /// The report without its list of windows (their count stays): what exercise goals are
    /// checked on, often enough that listing every window would cost.
    pub fn summary(&self) -> Report {
        self.report_with(false)
    }

    /// The metrics of [`Simulation::summary`] by path (see [`crate::metrics`]).
    pub fn metrics(&self) -> crate::metrics::Metrics {
        crate::metrics::Metrics::of(&self.summary())
    }

    fn report_with(&self, window_rows: bool) -> Report {
        let snap =
            self.snapshot_with(SnapshotOptions { tail_records: 0, trace_lines: 0, window_keys: 0, windows_per_key: 0 });
        let groups = self
            .valid
            .scenario
            .consumer_groups
            .iter()
            .enumerate()
            .map(|(gi, spec)| {
                let g = self.coordinator_group(&spec.group_id);
                let committed: Vec<(String, u64)> = g
                    .map(|g| g.offsets.iter().map(|(tp, o)| (self.catalog.partition_name(*tp), o.0)).collect())
                    .unwrap_or_default();
                let lag = self
                    .group_partitions(GroupId(gi as u32))
                    .map(|tp| {
                        let hw = self.log(tp).map_or(0, |l| l.high_watermark().0);
                        let c = g.and_then(|g| g.offsets.get(&tp)).map_or(0, |o| o.0);
                        hw.saturating_sub(c)
                    })
                    .sum();
                let members = self.consumers().filter(|c| c.group_id == spec.group_id);
                let (polled, processed) =
                    members.fold((0, 0), |(a, b), c| (a + c.stats.records_polled, b + c.stats.records_processed));
                GroupReport {
                    commit_mode: spec.commit_mode.name().to_string(),
                    isolation_level: self.valid.consumer_configs[gi].isolation_level.name().to_string(),
                    aborted_processed: self.aborted_processed(GroupId(gi as u32)),
                    dead_lettered: self.dead_letter_queue(GroupId(gi as u32)).len() as u64,
                    // The snapshot's groups are the scenario's, in order.
                    outcome: snap.groups[gi].outcome.clone(),
                    group_id: spec.group_id.clone(),
                    state: g.map_or("Empty", |g| g.state.name()).to_string(),
                    generation: g.map_or(0, |g| g.generation_id),
                    rebalances: g.map_or(0, |g| g.rebalances),
                    members: g.map_or(0, |g| g.members.len()),
                    idle_members: snap.groups[gi]
                        .members
                        .iter()
                        .filter(|m| m.partitions.is_empty() && m.state != "Closed" && m.state != "Crashed")
                        .count(),
                    polled,
                    processed,
                    committed,
                    lag,
                    timeline: self.observers.timeline.rebalances(GroupId(gi as u32)).to_vec(),
                }
            })
            .collect();
        let log_duplicates = (snap.log_duplicates, snap.log_duplicate_ids.clone());
        let windowed = self.valid.scenario.consumer_groups.iter().find(|g| self.windows(&g.group_id).is_some());
        let app = windowed.and_then(|g| self.windows(&g.group_id));
        let store = windowed.and_then(|g| self.store(&g.group_id));
        let (windows_records, windows_closed) = app.map_or((0, 0), pipeline_view::window_totals);
        let topics = self
            .valid
            .scenario
            .topics
            .iter()
            .map(|t| {
                let offsets: Vec<u64> =
                    snap.partitions.iter().filter(|p| p.topic == t.name).map(|p| p.log_end_offset).collect();
                let records: u64 = offsets.iter().sum();
                let max = offsets.iter().copied().max().unwrap_or(0);
                TopicReport {
                    topic: t.name.clone(),
                    partitions: t.partitions,
                    records,
                    partitions_empty: offsets.iter().filter(|&&o| o == 0).count() as u32,
                    max_partition_share: if records == 0 { 0.0 } else { max as f64 / records as f64 },
                }
            })
            .collect();
        Report {
            trace_hash: format!("{:016x}", self.trace_hash()),
            seed: self.valid.scenario.seed,
            end_ms: self.now.0,
            run_ms: self.valid.scenario.run_ms,
            produced: snap.producers.iter().map(|p| p.records_sent).sum(),
            acknowledged: snap.producers.iter().map(|p| p.records_acked).sum(),
            acknowledged_lost: snap.acknowledged_lost,
            acknowledged_lost_ids: snap.acknowledged_lost_ids.clone(),
            failed: self.producers().map(|p| p.stats.records_failed).sum(),
            log_duplicates: log_duplicates.0,
            log_duplicate_ids: log_duplicates.1,
            partitions: snap
                .partitions
                .iter()
                .map(|p| PartitionReport {
                    partition: format!("{}-{}", p.topic, p.partition),
                    leader: p.leader,
                    isr: p.isr.clone(),
                    leader_epoch: p.leader_epoch,
                    log_start_offset: p.log_start_offset,
                    log_end_offset: p.log_end_offset,
                    high_watermark: p.high_watermark,
                })
                .collect(),
            topics,
            groups,
            windows: match windowed {
                Some(g) if window_rows => self.window_reports(&g.group_id),
                _ => vec![],
            },
            window_count: app.map_or(0, |a| a.window_count() as u64),
            windows_closed,
            late: app.map_or(0, |a| a.late),
            windows_skipped: app.map_or(0, |a| a.skipped_windows),
            windows_emitted: app.map_or(0, |a| match a.emit {
                EmitStrategy::OnWindowUpdate => a.forwarded,
                EmitStrategy::OnWindowClose => windows_closed,
            }),
            watermark_held: windowed
                .and_then(|g| self.watermark(&g.group_id))
                .is_some_and(|w| !w.holding_back.is_empty()),
            windows_per_record: windows_records as f64 / app.map_or(1, |a| a.accepted.max(1)) as f64,
            windows_records,
            store_restores: store.map_or(0, |s| s.restores_total),
            store_restored_records: store.map_or(0, |s| s.restored_records),
            changelog_written: store.map_or(0, |s| s.written),
            pipeline: windowed.and_then(|g| self.pipeline_report_with(&g.group_id, windows_closed)),
            dedupe: self.dedupe_report(),
            dead_letters: self.dead_letters(),
            drained: self.is_drained(),
            trace_events: self.trace.total(),
            events: TraceEvent::KINDS.iter().copied().zip(self.trace.counts().iter().copied()).collect(),
        }
    }
}
