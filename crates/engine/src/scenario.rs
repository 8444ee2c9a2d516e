//! The scenario: everything a run starts from (seed, cluster, topics, producers and their
//! workloads, consumer groups, run length), read from JSON with serde, and its validation. It
//! must not know about nodes: it only turns untrusted JSON into checked settings, or an error
//! that names the field path, the allowed range and the value.

use crate::command::{Command, TimedCommand};
use crate::config::{BrokerConfig, ConsumerConfig, FieldError, ProducerConfig, TopicConfig};
use crate::consumer::CommitMode;
use crate::sim::LatencyModel;
use crate::streams::windows::MAX_WINDOW_MS;
use crate::streams::{EmitStrategy, WatermarkSpec, Windows};
use crate::workload::table::{BIDS_CSV, TAXI_CSV};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The most partitions a topic may have (scenario topics, `create_topic`, `create_partitions`).
pub const MAX_PARTITIONS: u32 = 1024;
/// The largest scenario JSON accepted, in bytes.
pub const MAX_SCENARIO_BYTES: usize = 1 << 20;

/// A scenario, as written in JSON. Unknown fields are rejected by name; omitted ones take the
/// documented defaults. Check it with [`Scenario::validate`] (which `Simulation::new` calls).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Seed of the run's random numbers; the same scenario and seed give the same trace.
    #[serde(default)]
    pub seed: u64,
    /// How long the run lasts, simulated ms (default 60000). 1 to 604800000 (7 days).
    #[serde(default = "default_run_ms")]
    pub run_ms: u64,
    /// One-way message latency between any two nodes.
    #[serde(default)]
    pub network: LatencyModel,
    /// Number of brokers, 1 to 16 (default 1).
    #[serde(default = "one")]
    pub brokers: u32,
    /// Broker configs by Kafka key (`group.initial.rebalance.delay.ms`, ...), shared by all brokers.
    #[serde(default)]
    pub broker_configs: BTreeMap<String, Value>,
    pub topics: Vec<TopicSpec>,
    #[serde(default)]
    pub producers: Vec<ProducerSpec>,
    #[serde(default)]
    pub consumer_groups: Vec<GroupSpec>,
    /// Faults and actions applied at given times: `{"at_ms": 20000, "command": {"type":
    /// "crash_broker", "broker": 0}}`. At most 10000.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<TimedCommand>,
}

/// A topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    /// 1 to 249 characters of `[a-zA-Z0-9._-]`, not `.` or `..` (Kafka's `Topic.validate`).
    pub name: String,
    /// 1 to 1024.
    pub partitions: u32,
    /// Replicas of each partition, 1 to `brokers` (default 1).
    #[serde(default = "one")]
    pub replication_factor: u32,
    /// Topic configs by Kafka key (`min.insync.replicas`, `cleanup.policy`, `retention.ms`, ...).
    #[serde(default)]
    pub configs: BTreeMap<String, Value>,
}

/// A producer and the workload that drives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerSpec {
    /// The topic it writes to.
    pub topic: String,
    /// Producer configs by Kafka key (`acks`, `linger.ms`, `batch.size`, ...).
    #[serde(default)]
    pub configs: BTreeMap<String, Value>,
    /// The defaults of the configs not set: `kafka4` (Kafka 4.x's, the default) or `legacy`
    /// (`acks=1`, `enable.idempotence=false`, `linger.ms=0`, as much course material assumes).
    #[serde(default, skip_serializing_if = "crate::config::ProducerDefaults::is_kafka4")]
    pub defaults: crate::config::ProducerDefaults,
    pub workload: WorkloadSpec,
    /// With a `transactional.id`: how the application groups its sends into transactions
    /// (records per transaction, the share it aborts). Defaults to 100 records, no aborts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactions: Option<crate::producer::TransactionsSpec>,
    /// When the application starts, ms after the simulation (0 to 86400000; default 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_ms: u64,
    /// The partition the application names in every record (`ProducerRecord(topic, partition,
    /// key, value)`), below the topic's partition count; without it the partitioner chooses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<u32>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// The event stream a producer sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorkloadSpec {
    /// IoT sensors: `devices` sensors (1 to 100000) keyed `sensor-NN`, each sending one reading
    /// every `interval_ms` (1 to 3600000 ms); at most 100000 records per simulated second in all.
    /// `limit`: stop after this many records (at most 100000000). `delayed_every`: every n-th
    /// reading (1 to 1000000) was taken `delay_ms` (0 to 3600000) before it is sent, as by a
    /// sensor that buffered it while offline: its event time is that much older than its
    /// neighbours', so it arrives out of order and may be late for its window.
    Iot {
        #[serde(default = "default_devices")]
        devices: u32,
        #[serde(default = "default_interval_ms")]
        interval_ms: u64,
        #[serde(default)]
        limit: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delayed_every: Option<u64>,
        #[serde(default, skip_serializing_if = "is_zero")]
        delay_ms: u64,
    },
    /// An application that calls `send()` in a loop as fast as the producer takes records:
    /// `records` records (1 to 1000000000) keyed `key-0000` ... over `keys` keys (1 to 100000,
    /// default 1000), each with a `value_bytes` value (0 to 1048576, default 100), stamped with
    /// the time they are sent. `send()` blocks while `buffer.memory` is full, so the producer's
    /// batching and `max.in.flight.requests.per.connection` set the pace. For throughput runs.
    Flood {
        records: u64,
        #[serde(default = "default_flood_keys")]
        keys: u32,
        #[serde(default = "default_value_bytes")]
        value_bytes: u32,
    },
    /// NYC TLC yellow-taxi trips, one record per row of the taxi CSV in file order, key
    /// `PULocationID`, at `rate_per_s` records per simulated second (1 to 100000, default 200).
    /// The CSV is handed to `Simulation::with_data`.
    Taxi {
        #[serde(default = "default_rate_per_s")]
        rate_per_s: u64,
    },
    /// eBay auction bids, one record per row of the bids CSV in file order, key `auctionid`, at
    /// `rate_per_s` records per simulated second (1 to 100000, default 200).
    Bids {
        #[serde(default = "default_rate_per_s")]
        rate_per_s: u64,
    },
}

impl WorkloadSpec {
    /// IoT sensors with no delayed readings.
    pub fn iot(devices: u32, interval_ms: u64, limit: Option<u64>) -> WorkloadSpec {
        WorkloadSpec::Iot { devices, interval_ms, limit, delayed_every: None, delay_ms: 0 }
    }

    /// The workload's `type` in JSON: `iot`, `taxi` or `bids`.
    pub fn name(&self) -> &'static str {
        match self {
            WorkloadSpec::Iot { .. } => "iot",
            WorkloadSpec::Flood { .. } => "flood",
            WorkloadSpec::Taxi { .. } => "taxi",
            WorkloadSpec::Bids { .. } => "bids",
        }
    }

    /// The CSV file under `static/data/` a taxi or bids workload reads; `None` for IoT.
    pub fn data_file(&self) -> Option<&'static str> {
        match self {
            WorkloadSpec::Iot { .. } | WorkloadSpec::Flood { .. } => None,
            WorkloadSpec::Taxi { .. } => Some(TAXI_CSV),
            WorkloadSpec::Bids { .. } => Some(BIDS_CSV),
        }
    }
}

/// Kafka Streams' `default.timestamp.extractor`, for the windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampExtractor {
    /// The record's own timestamp (`FailOnInvalidTimestamp`, the default).
    #[default]
    Record,
    /// The time the application processes it (`WallclockTimestampExtractor`).
    WallClock,
}

impl TimestampExtractor {
    fn is_record(&self) -> bool {
        *self == TimestampExtractor::Record
    }

    /// `record` or `wall_clock`.
    pub fn name(self) -> &'static str {
        match self {
            TimestampExtractor::Record => "record",
            TimestampExtractor::WallClock => "wall_clock",
        }
    }
}

/// The kind of a group's windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowType {
    /// `TimeWindows.ofSizeAndGrace(size, grace)`: `size_ms`.
    #[default]
    Tumbling,
    /// `TimeWindows...advanceBy(advance)`: `size_ms` and `advance_ms`.
    Hopping,
    /// `SlidingWindows.ofTimeDifferenceAndGrace`: `time_difference_ms`.
    Sliding,
    /// `SessionWindows.ofInactivityGapAndGrace`: `inactivity_gap_ms`.
    Session,
}

impl WindowType {
    /// `tumbling`, `hopping`, `sliding` or `session`.
    pub fn name(self) -> &'static str {
        match self {
            WindowType::Tumbling => "tumbling",
            WindowType::Hopping => "hopping",
            WindowType::Sliding => "sliding",
            WindowType::Session => "session",
        }
    }

    /// The type named `name`, if any.
    pub fn parse(name: &str) -> Option<WindowType> {
        [WindowType::Tumbling, WindowType::Hopping, WindowType::Sliding, WindowType::Session]
            .into_iter()
            .find(|t| t.name() == name)
    }
}

/// A group's per-key event-time windows (see [`crate::streams::Windows`]), durations in ms,
/// each 0 to 365 days. JSON: `{"type": "hopping", "size_ms": 900000, "advance_ms": 300000,
/// "grace_ms": 3600000}`; `type` defaults to `tumbling`. Only the type's own parameters may be
/// given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    #[serde(rename = "type", default)]
    pub kind: WindowType,
    /// Tumbling and hopping: the window size, at least 1 ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_ms: Option<u64>,
    /// Hopping: how far each window starts after the one before, 1 ms to `size_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance_ms: Option<u64>,
    /// Sliding: the largest time difference between two records of a window (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_difference_ms: Option<u64>,
    /// Session: the inactivity gap that ends a session (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactivity_gap_ms: Option<u64>,
    /// How long after its end a window still takes records, as stream time goes (default 0,
    /// as Kafka 4.x's `ofSizeWithNoGrace`).
    #[serde(default)]
    pub grace_ms: u64,
    /// `on_window_update` (default) or `on_window_close`: Kafka Streams' `EmitStrategy`.
    #[serde(default)]
    pub emit: EmitStrategy,
    /// Which time the windows use: `record` (default: the record's timestamp, the event time
    /// under the topic's `CreateTime`, the broker's append time under `LogAppendTime`;
    /// Kafka Streams' `FailOnInvalidTimestamp`) or `wall_clock` (processing time:
    /// `WallclockTimestampExtractor`).
    #[serde(default, skip_serializing_if = "TimestampExtractor::is_record")]
    pub timestamp_extractor: TimestampExtractor,
    /// The watermark shown beside stream time: each partition's largest event time minus this
    /// (default: `grace_ms`), as Flink's `forBoundedOutOfOrderness`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_out_of_orderness_ms: Option<u64>,
    /// A partition with no record processed for this long stops holding the watermark back
    /// (Flink's `withIdleness`); default: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_ms: Option<u64>,
    /// Back the window store with a changelog topic, `<group_id>-window-store-changelog`
    /// (Kafka Streams' `Materialized.withLoggingEnabled`, its default; off by default here so
    /// that a group without a pipeline keeps working). The members write each batch's updated
    /// windows to it through the pipeline's producer (in the transaction under exactly-once),
    /// and a task's new owner restores the store from it before processing. Needs `pipeline`,
    /// one input topic, and tumbling, hopping or session windows.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub changelog: bool,
}

/// Kafka Streams' `windowstore.changelog.additional.retention.ms` default: a window store's
/// changelog keeps records this much longer than the store does, ms (1 day).
pub const WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS: u64 = 86_400_000;

/// The changelog topic of group `group_id`'s window store (Kafka Streams'
/// `<application.id>-<store name>-changelog`).
pub fn changelog_topic(group_id: &str) -> String {
    format!("{group_id}-window-store-changelog")
}

impl WindowSpec {
    /// Tumbling windows of `size_ms` with `grace_ms` of grace.
    pub fn tumbling(size_ms: u64, grace_ms: u64) -> WindowSpec {
        WindowSpec {
            kind: WindowType::Tumbling,
            size_ms: Some(size_ms),
            advance_ms: None,
            time_difference_ms: None,
            inactivity_gap_ms: None,
            grace_ms,
            emit: EmitStrategy::OnWindowUpdate,
            timestamp_extractor: TimestampExtractor::Record,
            max_out_of_orderness_ms: None,
            idle_timeout_ms: None,
            changelog: false,
        }
    }

    /// The main parameter: size, time difference or gap, ms (0 if not set).
    pub fn length_ms(&self) -> u64 {
        match self.kind {
            WindowType::Tumbling | WindowType::Hopping => self.size_ms,
            WindowType::Sliding => self.time_difference_ms,
            WindowType::Session => self.inactivity_gap_ms,
        }
        .unwrap_or(0)
    }

    /// Changes the type, keeping the main parameter (size, time difference or gap) and the
    /// grace, and dropping the parameters the new type has not got.
    pub fn set_type(&mut self, kind: WindowType) {
        let length = self.length_ms();
        let advance = self.advance_ms;
        *self = WindowSpec {
            kind,
            size_ms: None,
            advance_ms: None,
            time_difference_ms: None,
            inactivity_gap_ms: None,
            ..*self
        };
        match kind {
            WindowType::Tumbling => self.size_ms = Some(length),
            WindowType::Hopping => {
                self.size_ms = Some(length);
                self.advance_ms = Some(advance.filter(|&a| a <= length).unwrap_or((length / 3).max(1)));
            }
            WindowType::Sliding => self.time_difference_ms = Some(length),
            WindowType::Session => self.inactivity_gap_ms = Some(length),
        }
    }

    /// Sets the main parameter (size, time difference or gap).
    pub fn set_length(&mut self, length_ms: u64) {
        match self.kind {
            WindowType::Tumbling | WindowType::Hopping => self.size_ms = Some(length_ms),
            WindowType::Sliding => self.time_difference_ms = Some(length_ms),
            WindowType::Session => self.inactivity_gap_ms = Some(length_ms),
        }
    }

    /// The windows this spec describes; the error names the field (under `path`), the allowed
    /// range and the value, or the field the type needs or has not got.
    pub fn windows(&self, path: &str) -> Result<Windows, ScenarioError> {
        let fields = [
            ("size_ms", self.size_ms, matches!(self.kind, WindowType::Tumbling | WindowType::Hopping)),
            ("advance_ms", self.advance_ms, self.kind == WindowType::Hopping),
            ("time_difference_ms", self.time_difference_ms, self.kind == WindowType::Sliding),
            ("inactivity_gap_ms", self.inactivity_gap_ms, self.kind == WindowType::Session),
        ];
        for (name, value, wanted) in fields {
            match (value, wanted) {
                (None, true) => {
                    return err(format!("{path}.{name}"), format!("is required for {} windows", self.kind.name()))
                }
                (Some(_), false) => {
                    return err(format!("{path}.{name}"), format!("does not apply to {} windows", self.kind.name()))
                }
                _ => {}
            }
        }
        let get = |v: Option<u64>| v.unwrap_or(0);
        let w = match self.kind {
            WindowType::Tumbling => Windows::tumbling(get(self.size_ms), self.grace_ms),
            WindowType::Hopping => Windows::hopping(get(self.size_ms), get(self.advance_ms), self.grace_ms),
            WindowType::Sliding => Windows::sliding(get(self.time_difference_ms), self.grace_ms),
            WindowType::Session => Windows::session(get(self.inactivity_gap_ms), self.grace_ms),
        };
        w.validate().map_err(|(name, msg)| ScenarioError { path: format!("{path}.{name}"), message: msg })?;
        if let Some(ms) = self.max_out_of_orderness_ms {
            in_range(&format!("{path}.max_out_of_orderness_ms"), ms, 0, MAX_WINDOW_MS)?;
        }
        if let Some(ms) = self.idle_timeout_ms {
            in_range(&format!("{path}.idle_timeout_ms"), ms, 1, MAX_WINDOW_MS)?;
        }
        Ok(w)
    }

    /// The watermark shown beside stream time.
    pub fn watermark(&self) -> WatermarkSpec {
        WatermarkSpec {
            max_out_of_orderness_ms: self.max_out_of_orderness_ms.unwrap_or(self.grace_ms),
            idle_timeout_ms: self.idle_timeout_ms,
        }
    }
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// `group.id`: 1 to 255 characters.
    pub group_id: String,
    /// Subscribed topics, each defined in `topics` or created by a `create_topic` fault (at
    /// least one, unless `topic_pattern` is given).
    #[serde(default)]
    pub topics: Vec<String>,
    /// Subscribe to every topic whose whole name matches this regular expression
    /// (`KafkaConsumer.subscribe(Pattern)`), as well as to `topics`; topics created later that
    /// match join the subscription at the next metadata refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_pattern: Option<String>,
    /// Members started at time 0, 0 to 64 (default 1).
    #[serde(default = "one")]
    pub members: u32,
    /// Consumer configs by Kafka key (`enable.auto.commit`, `auto.offset.reset`, ...).
    #[serde(default)]
    pub configs: BTreeMap<String, Value>,
    /// Simulated application work per record, ms (0 to 60000, default 1).
    #[serde(default = "one_u64")]
    pub processing_ms_per_record: u64,
    /// When the application commits: `auto` (`enable.auto.commit=true`), `after_processing`
    /// or `before_processing` (both `enable.auto.commit=false` with `commitSync()`).
    #[serde(default)]
    pub commit_mode: CommitMode,
    /// KIP-345 static membership: each member's `group.instance.id` is its `client.id`
    /// (`consumer-<group>-<n>`), so a restarted member is the same member (default false).
    #[serde(default)]
    pub static_membership: bool,
    /// A `ConsumerRebalanceListener` whose `onPartitionsRevoked` calls `commitSync()` before
    /// the partitions go (for the `after_processing` commit modes; default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub commit_on_revoke: bool,
    /// `assign()` instead of `subscribe()`: member `consumer-<group>-<n>` reads the partitions
    /// `p` of the group's topics with `p % members == (n - 1) % members`, with no group
    /// membership, heartbeats or rebalances (default false). A crashed member's partitions wait
    /// for it; an added member reads the same partitions as an earlier one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub assign: bool,
    /// The application's windowed aggregation of each record it processes, if any. Its
    /// aggregates follow the workload of the group's first topic: count for IoT; count, average
    /// `fare_amount` and trip duration for taxi; count and highest bid for bids.
    #[serde(default)]
    pub windows: Option<WindowSpec>,
    /// A consume-transform-produce application: each processed record is sent, same key and
    /// id, to `output_topic` by a producer in the member, committed as `guarantee` says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<PipelineSpec>,
    /// Records the application fails to process, and what it does then: retries with
    /// exponential backoff, then a dead-letter queue, or failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<ErrorsSpec>,
    /// Keep one record per key within a horizon, by processing order and by event time side
    /// by side (see [`crate::streams::Dedupe`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe: Option<DedupeSpec>,
    /// Stateless steps each record goes through before the windows, in order (needs
    /// `windows`): `{"filter": {"field": "fare_amount", "op": ">", "value": 0}}`,
    /// `{"map": {"field": "temperature_c", "multiply": 1.8, "add": 32, "as": "temperature_f"}}`.
    /// At most 6.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepSpec>,
    /// The function the windows compute over a field (needs `windows`; default: the
    /// workload's built-in aggregates only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<AggregateSpec>,
    /// The table the windowed results are written to, and how (needs `windows`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sink: Option<SinkSpec>,
}

/// A stateless step of a group's pipeline. Fields are the workload's (`iot`: `temperature_c`,
/// `humidity_pct`; `taxi`: `fare_amount`, `trip_duration_s`; `bids`: `bid`) or one an earlier
/// `map` step made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StepSpec {
    /// `KStream.filter`: keep the records with `field op value`; `op` is one of `<`, `<=`,
    /// `>`, `>=`, `==`, `!=`. The others reach no window (counted as filtered).
    Filter { field: String, op: crate::streams::CmpOp, value: f64 },
    /// `KStream.mapValues`: a new field `as` = `field · multiply + add` (a unit conversion,
    /// say; `multiply` defaults to 1, `add` to 0).
    Map {
        field: String,
        #[serde(default = "one_f64")]
        multiply: f64,
        #[serde(default)]
        add: f64,
        #[serde(rename = "as")]
        name: String,
    },
}

fn one_f64() -> f64 {
    1.0
}

/// The aggregate a group's windows compute over one field of their records:
/// `{"function": "avg", "field": "temperature_c", "alert_above": 24}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateSpec {
    /// `count`, `sum`, `min`, `max`, `avg`, `first`, `last` or `top_n`.
    pub function: crate::streams::AggregateFunction,
    /// The field it reads (not for `count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `top_n`: how many values, 1 to 3 (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u8>,
    /// Raise an alert when a key's value, in the window of its latest record, rises above
    /// this (not for `top_n`). With sliding windows this is a moving value's threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_above: Option<f64>,
}

/// What a sink table receives from the windows, as Spark Structured Streaming's output modes
/// say. A trigger is one member's processed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputMode {
    /// Each window's row once, final, when the window closes (Kafka Streams'
    /// `suppress(untilWindowCloses)` / `EmitStrategy.onWindowClose`).
    Append,
    /// At each trigger, the rows of the windows it changed, upserted (Kafka Streams'
    /// `EmitStrategy.onWindowUpdate`, with the record cache flushed at each commit).
    #[default]
    Update,
    /// At each trigger, the whole result table, every window again.
    Complete,
}

impl OutputMode {
    /// `append`, `update` or `complete`.
    pub fn name(self) -> &'static str {
        match self {
            OutputMode::Append => "append",
            OutputMode::Update => "update",
            OutputMode::Complete => "complete",
        }
    }

    /// The mode named `name`, if any.
    pub fn parse(name: &str) -> Option<OutputMode> {
        [OutputMode::Append, OutputMode::Update, OutputMode::Complete].into_iter().find(|m| m.name() == name)
    }
}

/// A group's sink table: key and window → the aggregate, written as `output_mode` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkSpec {
    #[serde(default)]
    pub output_mode: OutputMode,
}

/// The IoT preset's alert threshold: a sensor's 10 s moving average above this, °C.
pub const IOT_ALERT_ABOVE_C: f64 = 25.0;

/// The most steps a pipeline has.
pub const MAX_STEPS: usize = 6;

/// A dedupe by record key: a record of the same key within `horizon_ms` (1 ms to 365 days) of
/// event time of the first one kept is a repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DedupeSpec {
    pub horizon_ms: u64,
}

/// What a processing error does, as an application on Kafka Streams handles it: retry the
/// record with exponential backoff (the delay before attempt `k + 1` is
/// `min(initial_ms · multiplier^(k − 1), max_ms)`), then, after `max_attempts`, either send it to
/// the dead-letter queue and go on (Kafka Streams' `ProcessingExceptionHandler` answering
/// CONTINUE, KIP-1033, with the dead-letter queue of KIP-1034) or fail (FAIL: the stream thread
/// dies, its consumer leaves the group, and the partition's next owner meets the same record).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorsSpec {
    /// Every n-th record of each producer (its 1-based sequence number a multiple of n, 1 to
    /// 1000000) is a poison record: every attempt to process it fails.
    pub poison_every: u64,
    /// Delay before the second attempt, ms (0 to 3600000, default 100).
    #[serde(default = "default_retry_initial_ms")]
    pub retry_initial_ms: u64,
    /// Each next delay is this many times the last (1 to 10, default 2).
    #[serde(default = "default_retry_multiplier")]
    pub retry_multiplier: f64,
    /// The longest delay, ms (0 to 3600000, default 10000).
    #[serde(default = "default_retry_max_ms")]
    pub retry_max_ms: u64,
    /// Attempts before giving up, the first included (1 to 100, default 4).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// `dead_letter` (default) or `fail`.
    #[serde(default)]
    pub on_failure: OnFailure,
}

impl Default for ErrorsSpec {
    /// One record in 50 poisoned, 4 attempts, 100 ms doubling up to 10 s, then the DLQ.
    fn default() -> Self {
        ErrorsSpec {
            poison_every: 50,
            retry_initial_ms: 100,
            retry_multiplier: 2.0,
            retry_max_ms: 10_000,
            max_attempts: 4,
            on_failure: OnFailure::DeadLetter,
        }
    }
}

fn default_retry_initial_ms() -> u64 {
    ErrorsSpec::default().retry_initial_ms
}
fn default_retry_multiplier() -> f64 {
    ErrorsSpec::default().retry_multiplier
}
fn default_retry_max_ms() -> u64 {
    ErrorsSpec::default().retry_max_ms
}
fn default_max_attempts() -> u32 {
    ErrorsSpec::default().max_attempts
}

impl ErrorsSpec {
    /// Whether the record with 0-based sequence number `seq` is a poison record.
    pub fn is_poison(&self, seq: usize) -> bool {
        (seq as u64 + 1).is_multiple_of(self.poison_every)
    }

    /// The delay before attempt `attempt + 1` (`attempt` ≥ 1 failed), ms.
    pub fn backoff_ms(&self, attempt: u32) -> u64 {
        let d = self.retry_initial_ms as f64 * self.retry_multiplier.powi(attempt as i32 - 1);
        (d.min(self.retry_max_ms as f64)) as u64
    }
}

/// What happens to a record whose every attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// Send it, with its error, source partition, offset and attempt count, to the dead-letter
    /// queue, and go on with the next record.
    #[default]
    DeadLetter,
    /// Fail: the member stops processing and leaves the group, without committing.
    Fail,
}

/// A group's consume-transform-produce pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    /// The topic the outputs go to (a topic of the scenario, not one the group reads).
    pub output_topic: String,
    /// `at-most-once`, `at-least-once` or `exactly-once`.
    pub guarantee: crate::consumer::Guarantee,
}

impl PipelineSpec {
    /// The configs of a member's embedded producer for `guarantee`: at-most-once sends without
    /// retries; exactly-once is transactional, with Kafka Streams' 10 s `transaction.timeout.ms`.
    pub fn producer_configs(&self, client_id: &str, group_id: &str) -> BTreeMap<String, Value> {
        let mut m = BTreeMap::from([("client.id".to_string(), Value::from(format!("{client_id}-producer")))]);
        match self.guarantee {
            crate::consumer::Guarantee::AtMostOnce => {
                m.insert("retries".into(), Value::from(0));
            }
            crate::consumer::Guarantee::AtLeastOnce => {}
            crate::consumer::Guarantee::ExactlyOnce => {
                m.insert("transactional.id".into(), Value::from(format!("{group_id}-{client_id}")));
                m.insert("transaction.timeout.ms".into(), Value::from(10_000));
            }
        }
        m
    }
}

/// Kafka Streams' `commit.interval.ms` under exactly-once.
pub const EXACTLY_ONCE_COMMIT_INTERVAL_MS: u64 = 100;

impl Scenario {
    /// A window store's changelog needs an application producer to write it, one input topic
    /// (a task is one of its partitions), windows whose whole state is their aggregates (not
    /// sliding ones, which keep their records here), and a free, valid topic name.
    fn validate_changelog(&self, g: &GroupSpec, path: &str) -> Result<(), ScenarioError> {
        if g.pipeline.is_none() {
            return err(path, "needs a pipeline (the members write the changelog with its producer), got none");
        }
        if g.topics.len() != 1 || g.topic_pattern.is_some() {
            return err(path, format!("needs a group reading exactly one topic, got {}", g.topics.len()));
        }
        if g.windows.is_some_and(|w| w.kind == WindowType::Sliding) {
            return err(path, "works with tumbling, hopping and session windows, got sliding windows");
        }
        let name = changelog_topic(&g.group_id);
        if name.len() > 249 {
            return err(path, format!("names topic {}, longer than Kafka's 249 characters", cut(&name)));
        }
        if self.topics.iter().any(|t| t.name == name) {
            return err(path, format!("needs topic \"{}\" for itself, but the scenario defines it", cut(&name)));
        }
        Ok(())
    }

    /// The workload behind group `g`'s records: that of the first producer writing to a topic
    /// it reads (`iot`, `taxi`, `bids`, `flood`), or `None`.
    pub fn group_workload(&self, g: &GroupSpec) -> Option<&WorkloadSpec> {
        self.producers.iter().find(|p| g.topics.contains(&p.topic)).map(|p| &p.workload)
    }

    /// Group `g`'s dataflow: its steps and aggregate with their fields resolved against its
    /// workload's schema. Errors name the field under `path` (`consumer_groups[0]`), the
    /// allowed values and the value given.
    pub fn dataflow(&self, g: &GroupSpec, path: &str) -> Result<crate::streams::Dataflow, ScenarioError> {
        use crate::streams::pipeline::{workload_fields, AggregateFunction, Step, MAX_FIELDS, TOP_N_MAX};
        let workload = self.group_workload(g).map_or("none", |w| w.name());
        let own = workload_fields(workload);
        let mut d = crate::streams::Dataflow::counting(own);
        let choices = |fields: &[String]| {
            if fields.is_empty() {
                format!("a field, but the {workload} workload's records have none")
            } else {
                format!(
                    "one of {} (the {workload} workload's fields{})",
                    fields.join(", "),
                    if fields.len() > own.len() { " and those map steps made" } else { "" }
                )
            }
        };
        let field = |fields: &[String], at: String, name: &str| -> Result<usize, ScenarioError> {
            fields.iter().position(|f| f == name).ok_or_else(|| ScenarioError {
                path: at,
                message: format!("must be {}, got \"{}\"", choices(fields), cut(name)),
            })
        };
        let finite = |at: String, v: f64| -> Result<(), ScenarioError> {
            if v.is_finite() {
                Ok(())
            } else {
                err(at, format!("must be a finite number, got {v}"))
            }
        };
        if g.steps.len() > MAX_STEPS {
            return err(format!("{path}.steps"), format!("must have at most {MAX_STEPS} steps, got {}", g.steps.len()));
        }
        for (i, step) in g.steps.iter().enumerate() {
            match step {
                StepSpec::Filter { field: f, op, value } => {
                    let at = format!("{path}.steps[{i}].filter");
                    let field = field(&d.fields, format!("{at}.field"), f)?;
                    finite(format!("{at}.value"), *value)?;
                    d.steps.push(Step::Filter { field, op: *op, value: *value });
                }
                StepSpec::Map { field: f, multiply, add, name } => {
                    let at = format!("{path}.steps[{i}].map");
                    let field = field(&d.fields, format!("{at}.field"), f)?;
                    finite(format!("{at}.multiply"), *multiply)?;
                    finite(format!("{at}.add"), *add)?;
                    let valid = !name.is_empty()
                        && name.len() <= 64
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !valid {
                        return err(
                            format!("{at}.as"),
                            format!("must be 1 to 64 letters, digits or _, got \"{}\"", cut(name)),
                        );
                    }
                    if d.fields.contains(name) {
                        return err(format!("{at}.as"), format!("must be a new field, but \"{name}\" exists"));
                    }
                    if d.fields.len() == MAX_FIELDS {
                        return err(format!("{at}.as"), format!("would make more than {MAX_FIELDS} fields"));
                    }
                    d.steps.push(Step::Map { field, multiply: *multiply, add: *add, to: d.fields.len() });
                    d.fields.push(name.clone());
                }
            }
        }
        d.dropped_by_step = vec![0; d.steps.len()];
        if let Some(a) = &g.aggregate {
            let at = format!("{path}.aggregate");
            d.function = a.function;
            match (&a.field, a.function) {
                (Some(_), AggregateFunction::Count) => {
                    return err(format!("{at}.field"), "does not apply to count, which reads no field")
                }
                (None, AggregateFunction::Count) => {}
                (None, f) => {
                    return err(format!("{at}.field"), format!("is required for {}: {}", f.name(), choices(&d.fields)))
                }
                (Some(name), _) => d.field = field(&d.fields, format!("{at}.field"), name)?,
            }
            match (a.n, a.function) {
                (None, _) => d.n = 3,
                (Some(n), AggregateFunction::TopN) => {
                    in_range(&format!("{at}.n"), n as u64, 1, TOP_N_MAX as u64)?;
                    d.n = n;
                }
                (Some(_), f) => return err(format!("{at}.n"), format!("applies to top_n only, got {}", f.name())),
            }
            if let Some(v) = a.alert_above {
                if a.function == AggregateFunction::TopN {
                    return err(format!("{at}.alert_above"), "does not apply to top_n, which has several values");
                }
                finite(format!("{at}.alert_above"), v)?;
                d.alert_above = Some(v);
            }
        }
        Ok(d)
    }

    /// The topics the scenario's applications create for themselves (window-store changelogs),
    /// each with the partitions and replication of the topic its group reads, `cleanup.policy`
    /// `compact,delete` and `retention.ms` of the store's retention plus a day, as Kafka
    /// Streams' `InternalTopicManager` makes them. Call on a validated scenario.
    pub fn internal_topics(&self) -> Vec<TopicSpec> {
        let mut out = vec![];
        for g in &self.consumer_groups {
            let Some(w) = g.windows.filter(|w| w.changelog) else { continue };
            let Some(input) = g.topics.first().and_then(|t| self.topics.iter().find(|x| &x.name == t)) else {
                continue;
            };
            let retention = w.length_ms() + w.grace_ms + WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS;
            let mut configs = BTreeMap::from([
                ("cleanup.policy".to_string(), Value::from("compact,delete")),
                ("retention.ms".to_string(), Value::from(retention)),
            ]);
            // As durable as the input (Kafka Streams users set them as `topic.` configs).
            for key in ["min.insync.replicas", "unclean.leader.election.enable"] {
                if let Some(v) = input.configs.get(key) {
                    configs.insert(key.to_string(), v.clone());
                }
            }
            out.push(TopicSpec {
                name: changelog_topic(&g.group_id),
                partitions: input.partitions,
                replication_factor: input.replication_factor,
                configs,
            });
        }
        out
    }

    /// Makes the first group a consume-transform-produce pipeline with `guarantee`: it writes
    /// each record it processes to `<first topic>-out` (same partitions and replication), commits
    /// as the guarantee needs, and a group `<group>-downstream` (1 member, `read_committed` for
    /// exactly-once) reads the output, counted per input record. Errors if there is no group or
    /// topic.
    pub fn with_guarantee(&mut self, guarantee: crate::consumer::Guarantee, path: &str) -> Result<(), ScenarioError> {
        let Some(input) = self.topics.first().cloned() else {
            return err(path, "needs a topic in the scenario, which has none");
        };
        let output = format!("{}-out", input.name);
        let Some(g) = self.consumer_groups.first_mut() else {
            return err(path, "needs a consumer group in the scenario, which has none");
        };
        g.pipeline = Some(PipelineSpec { output_topic: output.clone(), guarantee });
        g.commit_mode = guarantee.commit_mode();
        g.topics = vec![input.name.clone()];
        g.topic_pattern = None;
        g.configs.insert("enable.auto.commit".into(), Value::from(false));
        if guarantee == crate::consumer::Guarantee::ExactlyOnce {
            // Kafka Streams commits every commit.interval.ms (100 ms under exactly-once); this
            // application commits after each poll, so a poll takes about 100 ms of work.
            let records = (EXACTLY_ONCE_COMMIT_INTERVAL_MS / g.processing_ms_per_record.max(1)).max(1);
            g.configs.entry("max.poll.records".into()).or_insert(Value::from(records));
        }
        let downstream_id = format!("{}-downstream", g.group_id);
        let isolation =
            if guarantee == crate::consumer::Guarantee::ExactlyOnce { "read_committed" } else { "read_uncommitted" };
        let downstream = GroupSpec {
            group_id: downstream_id.clone(),
            topics: vec![output.clone()],
            topic_pattern: None,
            members: 1,
            configs: BTreeMap::from([
                ("auto.offset.reset".to_string(), Value::from("earliest")),
                ("enable.auto.commit".to_string(), Value::from(false)),
                ("isolation.level".to_string(), Value::from(isolation)),
            ]),
            processing_ms_per_record: 0,
            commit_mode: CommitMode::AfterProcessing,
            static_membership: false,
            commit_on_revoke: false,
            assign: false,
            windows: None,
            pipeline: None,
            errors: None,
            dedupe: None,
            steps: vec![],
            aggregate: None,
            sink: None,
        };
        self.consumer_groups.retain(|g| g.group_id != downstream_id);
        self.consumer_groups.push(downstream);
        self.topics.retain(|t| t.name != output);
        self.topics.push(TopicSpec { name: output, configs: BTreeMap::new(), ..input });
        Ok(())
    }
}

fn default_run_ms() -> u64 {
    60_000
}
fn one() -> u32 {
    1
}
fn one_u64() -> u64 {
    1
}
fn default_devices() -> u32 {
    8
}
fn default_interval_ms() -> u64 {
    1000
}
fn default_flood_keys() -> u32 {
    1000
}
fn default_value_bytes() -> u32 {
    100
}
fn default_rate_per_s() -> u64 {
    200
}

/// The ready-made scenarios of the playground and the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    Iot,
    Taxi,
    Bids,
}

impl Preset {
    /// The CSV file under `static/data/` the preset streams; `None` for IoT.
    pub fn data_file(self) -> Option<&'static str> {
        match self {
            Preset::Iot => None,
            Preset::Taxi => Some(TAXI_CSV),
            Preset::Bids => Some(BIDS_CSV),
        }
    }
}

/// Why a scenario was refused: the field path, and what was wrong with its value
/// (`topics[0].partitions: must be between 1 and 1024, got 0`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ScenarioError {
    pub path: String,
    pub message: String,
}

impl From<FieldError> for ScenarioError {
    fn from(e: FieldError) -> Self {
        ScenarioError { path: e.path, message: e.message }
    }
}

/// An error at field `path`.
pub(crate) fn err<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, ScenarioError> {
    Err(ScenarioError { path: path.into(), message: message.into() })
}

fn in_range(path: &str, value: u64, min: u64, max: u64) -> Result<(), ScenarioError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        err(path, format!("must be between {min} and {max}, got {value}"))
    }
}

/// The checked form of a scenario, with every configs map parsed.
#[derive(Debug, Clone)]
pub struct ValidScenario {
    pub scenario: Scenario,
    pub broker_config: BrokerConfig,
    /// The configs of the scenario's topics, then of its internal topics
    /// ([`Scenario::internal_topics`]).
    pub topic_configs: Vec<TopicConfig>,
    pub producer_configs: Vec<ProducerConfig>,
    pub consumer_configs: Vec<ConsumerConfig>,
}

impl Scenario {
    /// Parses scenario JSON. Errors name the field path (`topics[0].partitions: invalid type: ...`);
    /// input over [`MAX_SCENARIO_BYTES`] or nested deeper than 128 levels is refused.
    pub fn from_json(json: &str) -> Result<Scenario, ScenarioError> {
        if json.len() > MAX_SCENARIO_BYTES {
            return err(
                "scenario",
                format!("must be at most {MAX_SCENARIO_BYTES} bytes of JSON, got {} bytes", json.len()),
            );
        }
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            // serde_path_to_error writes `?` for a segment it could not name (input cut short).
            let path = path.trim_end_matches(".?").to_string();
            let path = if path == "." || path == "?" { "scenario".to_string() } else { cut(&path) };
            let inner = e.into_inner();
            // serde_json appends " at line L column C"; keep it, it helps find the spot.
            ScenarioError { path, message: inner.to_string() }
        })
    }

    /// The scenario as pretty-printed JSON, in the format [`Scenario::from_json`] reads.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serializes")
    }

    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<ValidScenario, ScenarioError> {
        in_range("run_ms", self.run_ms, 1, 604_800_000)?;
        let n = &self.network;
        in_range("network.min_ms", n.min_ms, 0, 60_000)?;
        in_range("network.mean_ms", n.mean_ms, n.min_ms, 60_000)?;
        in_range("network.jitter_ms", n.jitter_ms, 0, 60_000)?;
        in_range("brokers", self.brokers as u64, 1, 16)?;
        let broker_config = BrokerConfig::from_map("broker_configs", &self.broker_configs)?;

        if self.topics.is_empty() || self.topics.len() > 16 {
            return err("topics", format!("must list between 1 and 16 topics, got {}", self.topics.len()));
        }
        let mut names = BTreeSet::new();
        let mut topic_configs = vec![];
        for (i, t) in self.topics.iter().enumerate() {
            let p = format!("topics[{i}]");
            validate_topic_name(&format!("{p}.name"), &t.name)?;
            if !names.insert(t.name.as_str()) {
                return err(format!("{p}.name"), format!("must be unique, but \"{}\" is already defined", t.name));
            }
            in_range(&format!("{p}.partitions"), t.partitions as u64, 1, MAX_PARTITIONS as u64)?;
            if t.replication_factor == 0 || t.replication_factor > self.brokers {
                return err(
                    format!("{p}.replication_factor"),
                    format!(
                        "InvalidReplicationFactorException: Replication factor: {} larger than available brokers: {} (must be between 1 and {})",
                        t.replication_factor, self.brokers, self.brokers
                    ),
                );
            }
            topic_configs.push(TopicConfig::from_map(&format!("{p}.configs"), &t.configs, t.replication_factor)?);
        }
        let known = |path: String, topic: &str| -> Result<(), ScenarioError> {
            if names.contains(topic) {
                Ok(())
            } else {
                let list: Vec<&str> = names.iter().copied().collect();
                err(path, format!("must name a topic of this scenario ({}), got \"{}\"", list.join(", "), cut(topic)))
            }
        };

        if self.producers.len() > 16 {
            return err("producers", format!("must list at most 16 producers, got {}", self.producers.len()));
        }
        let mut producer_configs = vec![];
        for (i, p) in self.producers.iter().enumerate() {
            let path = format!("producers[{i}]");
            known(format!("{path}.topic"), &p.topic)?;
            producer_configs.push(ProducerConfig::from_map(
                &format!("{path}.configs"),
                &p.configs,
                &format!("producer-{}", i + 1),
                p.defaults,
            )?);
            in_range(&format!("{path}.start_ms"), p.start_ms, 0, 86_400_000)?;
            if let Some(n) = p.partition {
                let count = self.topics.iter().find(|t| t.name == p.topic).map_or(1, |t| t.partitions);
                in_range(&format!("{path}.partition"), n as u64, 0, count as u64 - 1)?;
            }
            if let Some(t) = &p.transactions {
                if producer_configs.last().is_some_and(|c: &ProducerConfig| c.transactional_id.is_none()) {
                    return err(
                        format!("{path}.transactions"),
                        "needs a transactional.id in the producer's configs, got none",
                    );
                }
                in_range(
                    &format!("{path}.transactions.records_per_transaction"),
                    t.records_per_transaction as u64,
                    1,
                    100_000,
                )?;
                if !(0.0..=1.0).contains(&t.abort_rate) {
                    return err(
                        format!("{path}.transactions.abort_rate"),
                        format!("must be between 0 and 1, got {}", t.abort_rate),
                    );
                }
            }
            match p.workload {
                WorkloadSpec::Iot { devices, interval_ms, limit, delayed_every, delay_ms } => {
                    if let Some(n) = delayed_every {
                        in_range(&format!("{path}.workload.delayed_every"), n, 1, 1_000_000)?;
                    }
                    in_range(&format!("{path}.workload.delay_ms"), delay_ms, 0, 3_600_000)?;
                    in_range(&format!("{path}.workload.devices"), devices as u64, 1, 100_000)?;
                    in_range(&format!("{path}.workload.interval_ms"), interval_ms, 1, 3_600_000)?;
                    if let Some(l) = limit {
                        in_range(&format!("{path}.workload.limit"), l, 0, 100_000_000)?;
                    }
                    let per_second = devices as u64 * 1000 / interval_ms;
                    if per_second > 100_000 {
                        return err(
                            format!("{path}.workload"),
                            format!("must send at most 100000 records per second (devices * 1000 / interval_ms), got {per_second}"),
                        );
                    }
                }
                WorkloadSpec::Flood { records, keys, value_bytes } => {
                    in_range(&format!("{path}.workload.records"), records, 1, 1_000_000_000)?;
                    in_range(&format!("{path}.workload.keys"), keys as u64, 1, 100_000)?;
                    in_range(&format!("{path}.workload.value_bytes"), value_bytes as u64, 0, 1_048_576)?;
                }
                WorkloadSpec::Taxi { rate_per_s } | WorkloadSpec::Bids { rate_per_s } => {
                    in_range(&format!("{path}.workload.rate_per_s"), rate_per_s, 1, 100_000)?;
                }
            }
        }

        if self.consumer_groups.len() > 16 {
            return err("consumer_groups", format!("must list at most 16 groups, got {}", self.consumer_groups.len()));
        }
        let mut group_ids = BTreeSet::new();
        let mut consumer_configs = vec![];
        for (i, g) in self.consumer_groups.iter().enumerate() {
            let path = format!("consumer_groups[{i}]");
            let len = g.group_id.chars().count();
            if len == 0 || len > 255 {
                return err(format!("{path}.group_id"), format!("must be 1 to 255 characters, got {len}"));
            }
            if !group_ids.insert(g.group_id.as_str()) {
                return err(
                    format!("{path}.group_id"),
                    format!("must be unique, but \"{}\" is already defined", cut(&g.group_id)),
                );
            }
            if g.topics.is_empty() && g.topic_pattern.is_none() {
                return err(format!("{path}.topics"), "must name at least one topic (or give topic_pattern), got none");
            }
            for (j, t) in g.topics.iter().enumerate() {
                let created =
                    self.faults.iter().any(|f| matches!(&f.command, Command::CreateTopic { topic, .. } if topic == t));
                if !created {
                    known(format!("{path}.topics[{j}]"), t)?;
                }
            }
            if let Some(pattern) = &g.topic_pattern {
                if let Err(e) = topic_regex(pattern) {
                    return err(format!("{path}.topic_pattern"), format!("is not a valid regular expression: {e}"));
                }
            }
            in_range(&format!("{path}.members"), g.members as u64, 0, 64)?;
            in_range(&format!("{path}.processing_ms_per_record"), g.processing_ms_per_record, 0, 60_000)?;
            if let Some(d) = &g.dedupe {
                in_range(&format!("{path}.dedupe.horizon_ms"), d.horizon_ms, 1, MAX_WINDOW_MS)?;
            }
            if let Some(e) = &g.errors {
                in_range(&format!("{path}.errors.poison_every"), e.poison_every, 1, 1_000_000)?;
                in_range(&format!("{path}.errors.retry_initial_ms"), e.retry_initial_ms, 0, 3_600_000)?;
                in_range(&format!("{path}.errors.retry_max_ms"), e.retry_max_ms, 0, 3_600_000)?;
                in_range(&format!("{path}.errors.max_attempts"), e.max_attempts as u64, 1, 100)?;
                if !(1.0..=10.0).contains(&e.retry_multiplier) {
                    return err(
                        format!("{path}.errors.retry_multiplier"),
                        format!("must be between 1 and 10, got {}", e.retry_multiplier),
                    );
                }
                if g.pipeline.is_some() {
                    return err(format!("{path}.errors"), "cannot be combined with a pipeline (yet)");
                }
            }
            if let Some(p) = &g.pipeline {
                known(format!("{path}.pipeline.output_topic"), &p.output_topic)?;
                if g.topics.contains(&p.output_topic) {
                    return err(
                        format!("{path}.pipeline.output_topic"),
                        format!("must not be a topic the group reads, got \"{}\"", cut(&p.output_topic)),
                    );
                }
                if g.commit_mode != p.guarantee.commit_mode() {
                    return err(
                        format!("{path}.commit_mode"),
                        format!(
                            "must be {} for an {} pipeline, got {}",
                            p.guarantee.commit_mode().name(),
                            p.guarantee.name(),
                            g.commit_mode.name()
                        ),
                    );
                }
            }
            if g.windows.is_none() {
                let given =
                    [("steps", !g.steps.is_empty()), ("aggregate", g.aggregate.is_some()), ("sink", g.sink.is_some())];
                if let Some((name, _)) = given.iter().find(|(_, set)| *set) {
                    return err(
                        format!("{path}.{name}"),
                        "needs windows (the steps feed the windows, the sink takes their results), got none",
                    );
                }
            }
            self.dataflow(g, &path)?;
            if let Some(w) = g.windows {
                w.windows(&format!("{path}.windows"))?;
                if w.changelog {
                    self.validate_changelog(g, &format!("{path}.windows.changelog"))?;
                }
            }
            let mut cfg = ConsumerConfig::from_map(&format!("{path}.configs"), &g.configs)?;
            let auto = g.commit_mode == CommitMode::Auto;
            if g.configs.contains_key("enable.auto.commit") && cfg.enable_auto_commit != auto {
                return err(
                    format!("{path}.configs.enable.auto.commit"),
                    format!("must be {auto} with commit_mode {}, got {}", g.commit_mode.name(), cfg.enable_auto_commit),
                );
            }
            cfg.enable_auto_commit = auto;
            let (min, max) = (broker_config.group_min_session_timeout_ms, broker_config.group_max_session_timeout_ms);
            if !(min..=max).contains(&cfg.session_timeout_ms) {
                return err(
                    format!("{path}.configs.session.timeout.ms"),
                    format!(
                        "must be between group.min.session.timeout.ms ({min}) and group.max.session.timeout.ms ({max}), got {} (the broker would answer InvalidSessionTimeoutException)",
                        cfg.session_timeout_ms
                    ),
                );
            }
            consumer_configs.push(cfg);
        }
        if let Some(rf) = broker_config.offsets_topic_replication_factor {
            if rf > self.brokers {
                return err(
                    "broker_configs.offsets.topic.replication.factor",
                    format!(
                        "InvalidReplicationFactorException: Replication factor: {rf} larger than available brokers: {} (must be between 1 and {})",
                        self.brokers, self.brokers
                    ),
                );
            }
        }
        self.validate_faults(&producer_configs)?;
        // The applications' own topics follow the scenario's, in the same order as
        // `internal_topics`.
        for t in self.internal_topics() {
            topic_configs.push(TopicConfig::from_map(
                &format!("{}.configs", t.name),
                &t.configs,
                t.replication_factor,
            )?);
        }
        Ok(ValidScenario { scenario: self.clone(), broker_config, topic_configs, producer_configs, consumer_configs })
    }

    /// Checks `faults`: times within the run, brokers and nodes that exist.
    fn validate_faults(&self, producers: &[ProducerConfig]) -> Result<(), ScenarioError> {
        if self.faults.len() > 10_000 {
            return err("faults", format!("must hold at most 10000 faults, got {}", self.faults.len()));
        }
        let node_ok = |name: &str| {
            name == "controller"
                || name.strip_prefix("broker-").and_then(|b| b.parse::<u32>().ok()).is_some_and(|b| b < self.brokers)
                || producers.iter().any(|p| p.client_id == name)
                || self.consumer_groups.iter().any(|g| {
                    name.strip_prefix(&format!("consumer-{}-", g.group_id))
                        .and_then(|n| n.parse::<u32>().ok())
                        .is_some()
                })
        };
        // The topics as the faults so far leave them (name, partitions), in time order.
        let mut topics: Vec<(String, u32)> = self.topics.iter().map(|t| (t.name.clone(), t.partitions)).collect();
        let mut order: Vec<usize> = (0..self.faults.len()).collect();
        order.sort_by_key(|&i| self.faults[i].at_ms);
        for i in order {
            let f = &self.faults[i];
            let p = format!("faults[{i}]");
            in_range(&format!("{p}.at_ms"), f.at_ms, 0, self.run_ms)?;
            let broker = |b: u32| in_range(&format!("{p}.command.broker"), b as u64, 0, self.brokers as u64 - 1);
            let node = |field: &str, n: &str| {
                if node_ok(n) {
                    Ok(())
                } else {
                    err(
                        format!("{p}.command.{field}"),
                        format!(
                            "must name a node (broker-0 to broker-{}, controller, or a client id), got \"{}\"",
                            self.brokers - 1,
                            cut(n)
                        ),
                    )
                }
            };
            match &f.command {
                Command::CrashBroker { broker: b }
                | Command::PowerOffBroker { broker: b }
                | Command::RestartBroker { broker: b } => broker(*b)?,
                Command::Isolate { node: n, from } => {
                    node("node", n)?;
                    for x in from {
                        node("from", x)?;
                    }
                }
                Command::Heal { node: n } => node("node", n)?,
                Command::LinkFault { from, to, message, drop_rate, duplicate_rate, delay_ms, count } => {
                    for (field, end) in [("from", from), ("to", to)] {
                        if !crate::command::LINK_FAULT_SETS.contains(&end.as_str()) {
                            node(field, end)?;
                        }
                    }
                    if let Err((field, message)) = crate::command::check_link_fault(
                        message.as_deref(),
                        *drop_rate,
                        *duplicate_rate,
                        *delay_ms,
                        *count,
                    ) {
                        return err(format!("{p}.command.{field}"), message);
                    }
                }
                Command::SlowLink { node: n, peer, extra_ms } => {
                    node("node", n)?;
                    node("peer", peer)?;
                    in_range(&format!("{p}.command.extra_ms"), *extra_ms, 0, 60_000)?;
                }
                Command::CrashLeader { topic, partition } => {
                    let Some(t) = self.topics.iter().find(|t| &t.name == topic) else {
                        return err(
                            format!("{p}.command.topic"),
                            format!("must name a topic of this scenario, got \"{}\"", cut(topic)),
                        );
                    };
                    in_range(&format!("{p}.command.partition"), *partition as u64, 0, t.partitions as u64 - 1)?;
                }
                Command::AddConsumer { group_id } => {
                    if !self.consumer_groups.iter().any(|g| &g.group_id == group_id) {
                        return err(
                            format!("{p}.command.group_id"),
                            format!("must name a consumer group of this scenario, got \"{}\"", cut(group_id)),
                        );
                    }
                }
                Command::CrashProducer { client_id } => {
                    let ok = producers.iter().any(|c: &ProducerConfig| &c.client_id == client_id);
                    if !ok {
                        let names: Vec<&str> = producers.iter().map(|c| c.client_id.as_str()).collect();
                        return err(
                            format!("{p}.command.client_id"),
                            format!("must name a producer ({}), got \"{}\"", names.join(", "), cut(client_id)),
                        );
                    }
                }
                Command::CloseConsumer { client_id }
                | Command::CrashConsumer { client_id }
                | Command::RestartConsumer { client_id }
                | Command::SeekConsumer { client_id, .. } => node("client_id", client_id)?,
                Command::PauseConsumer { client_id, duration_ms } => {
                    node("client_id", client_id)?;
                    in_range(&format!("{p}.command.duration_ms"), *duration_ms, 1, 3_600_000)?;
                }
                Command::ElectPreferredLeaders => {}
                Command::CreatePartitions { topic, count } => {
                    let Some(t) = topics.iter().find(|(n, _)| n == topic) else {
                        return err(
                            format!("{p}.command.topic"),
                            format!("must name a topic of this scenario or one created before, got \"{}\"", cut(topic)),
                        );
                    };
                    let current = t.1;
                    if *count <= current || *count > MAX_PARTITIONS {
                        return err(
                            format!("{p}.command.count"),
                            format!("must be more than the topic's {current} partitions and at most {MAX_PARTITIONS}, got {count}"),
                        );
                    }
                    topics.iter_mut().find(|(n, _)| n == topic).expect("found").1 = *count;
                }
                Command::CreateTopic { topic, partitions, replication_factor, configs } => {
                    validate_topic_name(&format!("{p}.command.topic"), topic)?;
                    if topics.iter().any(|(n, _)| n == topic) || topic == "__consumer_offsets" {
                        return err(
                            format!("{p}.command.topic"),
                            format!("TopicExistsException: Topic '{}' already exists.", cut(topic)),
                        );
                    }
                    in_range(&format!("{p}.command.partitions"), *partitions as u64, 1, MAX_PARTITIONS as u64)?;
                    in_range(
                        &format!("{p}.command.replication_factor"),
                        *replication_factor as u64,
                        1,
                        self.brokers as u64,
                    )?;
                    TopicConfig::from_map(&format!("{p}.command.configs"), configs, *replication_factor)?;
                    topics.push((topic.clone(), *partitions));
                }
                Command::DeleteTopic { topic } => {
                    if !topics.iter().any(|(n, _)| n == topic) {
                        return err(
                            format!("{p}.command.topic"),
                            format!("must name a topic of this scenario or one created before, got \"{}\"", cut(topic)),
                        );
                    }
                    if self.producers.iter().any(|x| &x.topic == topic) {
                        return err(
                            format!("{p}.command.topic"),
                            format!(
                                "producers write to \"{}\"; only a topic no producer writes to can be deleted",
                                cut(topic)
                            ),
                        );
                    }
                    topics.retain(|(n, _)| n != topic);
                }
            }
        }
        Ok(())
    }

    /// A ready-made scenario: `iot`, `taxi` or `bids`, with `partitions` partitions and a group
    /// `g1` of `consumers` consumers that reads from the earliest offset and runs a windowed
    /// pipeline into a sink table. Taxi: topic `taxi-trips`, 200 trips/s, 15-minute tumbling
    /// windows with an hour of grace, `sum(fare_amount)` per pickup zone, update mode. Bids:
    /// topic `auction-bids`, 200 bids/s, 7-day windows (one per auction) with no grace,
    /// `max(bid)` (the winner so far) in update mode. IoT: as [`Scenario::iot_default`] with a 10 s
    /// sliding window (2 s of grace): the moving `avg(temperature_c)` of each sensor, an alert
    /// when it rises above 25 °C, update mode; every 25th reading sent 15 s after it was taken;
    /// a partition is idle for the watermark after 5 s without records. Taxi and bids run for
    /// at most a day: `Simulation::run_to_drain` stops them earlier.
    pub fn preset(preset: Preset, seed: u64, partitions: u32, consumers: u32) -> Scenario {
        let mut s = Scenario::iot_default(seed, partitions, consumers);
        let (topic, workload, windows) = match preset {
            Preset::Iot => {
                // Every 25th reading comes 15 s late: a 10 s moving average with 2 s of grace
                // has moved on by then, so it is late.
                s.producers[0].workload = WorkloadSpec::Iot {
                    devices: 12,
                    interval_ms: 1000,
                    limit: None,
                    delayed_every: Some(25),
                    delay_ms: 15_000,
                };
                let g = &mut s.consumer_groups[0];
                let mut w = WindowSpec::tumbling(10_000, 2_000);
                w.set_type(WindowType::Sliding);
                // With 6 partitions one may get no sensor: idle after 5 s, it stops holding
                // the watermark back.
                w.idle_timeout_ms = Some(5_000);
                g.windows = Some(w);
                g.aggregate = Some(AggregateSpec {
                    function: crate::streams::AggregateFunction::Avg,
                    field: Some("temperature_c".into()),
                    n: None,
                    alert_above: Some(IOT_ALERT_ABOVE_C),
                });
                g.sink = Some(SinkSpec { output_mode: OutputMode::Update });
                return s;
            }
            Preset::Taxi => ("taxi-trips", WorkloadSpec::Taxi { rate_per_s: 200 }, (15 * 60_000, 60 * 60_000)),
            Preset::Bids => ("auction-bids", WorkloadSpec::Bids { rate_per_s: 200 }, (7 * 86_400_000, 0)),
        };
        s.run_ms = 86_400_000;
        s.topics[0].name = topic.into();
        s.producers[0].topic = topic.into();
        s.producers[0].workload = workload;
        let g = &mut s.consumer_groups[0];
        g.topics = vec![topic.into()];
        g.processing_ms_per_record = 10;
        g.windows = Some(WindowSpec::tumbling(windows.0, windows.1));
        if preset == Preset::Bids {
            // The first bid of each auction, as processed and as placed.
            g.dedupe = Some(DedupeSpec { horizon_ms: 7 * 86_400_000 });
            // The winner so far: each auction's highest bid.
            g.aggregate = Some(AggregateSpec {
                function: crate::streams::AggregateFunction::Max,
                field: Some("bid".into()),
                n: None,
                alert_above: None,
            });
            g.sink = Some(SinkSpec { output_mode: OutputMode::Update });
        } else {
            // Each zone's fares per window: its takings.
            g.aggregate = Some(AggregateSpec {
                function: crate::streams::AggregateFunction::Sum,
                field: Some("fare_amount".into()),
                n: None,
                alert_above: None,
            });
            g.sink = Some(SinkSpec { output_mode: OutputMode::Update });
        }
        s
    }

    /// The IoT playground's default: one broker, topic `readings` with `partitions` partitions,
    /// one producer of 12 sensors (one reading per second each), and group `g1` with `members`
    /// consumers reading from the earliest offset, 20 ms of work per record, auto-commit, and 10 s
    /// windows with 2 s of grace.
    pub fn iot_default(seed: u64, partitions: u32, members: u32) -> Scenario {
        Scenario {
            seed,
            run_ms: 60_000,
            network: LatencyModel::default(),
            brokers: 1,
            broker_configs: BTreeMap::new(),
            topics: vec![TopicSpec {
                name: "readings".into(),
                partitions,
                replication_factor: 1,
                configs: BTreeMap::new(),
            }],
            producers: vec![ProducerSpec {
                defaults: Default::default(),
                topic: "readings".into(),
                configs: BTreeMap::new(),
                transactions: None,
                start_ms: 0,
                partition: None,
                workload: WorkloadSpec::Iot {
                    devices: 12,
                    interval_ms: 1000,
                    limit: None,
                    delayed_every: None,
                    delay_ms: 0,
                },
            }],
            faults: vec![],
            consumer_groups: vec![GroupSpec {
                group_id: "g1".into(),
                topics: vec!["readings".into()],
                topic_pattern: None,
                members,
                configs: BTreeMap::from([("auto.offset.reset".to_string(), Value::from("earliest"))]),
                processing_ms_per_record: 20,
                commit_mode: CommitMode::Auto,
                static_membership: false,
                commit_on_revoke: false,
                assign: false,
                windows: Some(WindowSpec::tumbling(10_000, 2_000)),
                pipeline: None,
                errors: None,
                dedupe: None,
                steps: vec![],
                aggregate: None,
                sink: None,
            }],
        }
    }
}

/// A user-supplied name as an error shows it: at most 60 characters.
pub(crate) fn cut(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// A `topic_pattern` as the consumer matches it: the whole topic name, as Java's
/// `Pattern.matcher(topic).matches()`. Errors: the regex's syntax error.
pub fn topic_regex(pattern: &str) -> Result<regex_lite::Regex, regex_lite::Error> {
    regex_lite::Regex::new(&format!("^(?:{pattern})$"))
}

pub(crate) fn validate_topic_name(path: &str, name: &str) -> Result<(), ScenarioError> {
    let len = name.chars().count();
    if len == 0 || len > 249 {
        return err(path, format!("must be 1 to 249 characters, got {len}"));
    }
    if name == "." || name == ".." {
        return err(path, format!("must not be \".\" or \"..\", got \"{name}\""));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return err(
            path,
            format!("must contain only ASCII letters, digits, '.', '_' and '-', got {c:?} in \"{}\"", cut(name)),
        );
    }
    Ok(())
}
