use super::{resolve, ConfigDef, ConfigKind, FieldError};
use serde_json::Value;
use std::collections::BTreeMap;

/// Broker configs the engine simulates (`GroupCoordinatorConfig`, Kafka 4.x defaults).
pub static BROKER_CONFIGS: &[ConfigDef] = &[
    ConfigDef {
        name: "group.initial.rebalance.delay.ms",
        kind: ConfigKind::Int { min: 0, max: 3_600_000 },
        default: "3000",
        unit: "ms",
        doc: "How long the coordinator waits for more members to join an empty group before the first rebalance; each join extends it, up to the rebalance timeout.",
    },
    ConfigDef {
        name: "group.min.session.timeout.ms",
        kind: ConfigKind::Int { min: 1, max: 86_400_000 },
        default: "6000",
        unit: "ms",
        doc: "The lowest session.timeout.ms a member may ask for; lower ones fail with InvalidSessionTimeoutException.",
    },
    ConfigDef {
        name: "group.max.session.timeout.ms",
        kind: ConfigKind::Int { min: 1, max: 86_400_000 },
        default: "1800000",
        unit: "ms",
        doc: "The highest session.timeout.ms a member may ask for.",
    },
    ConfigDef {
        name: "broker.heartbeat.interval.ms",
        kind: ConfigKind::Int { min: 1, max: 3_600_000 },
        default: "2000",
        unit: "ms",
        doc: "How often a broker tells the controller it is alive.",
    },
    ConfigDef {
        name: "broker.session.timeout.ms",
        kind: ConfigKind::Int { min: 1, max: 3_600_000 },
        default: "9000",
        unit: "ms",
        doc: "A broker the controller has not heard from for this long is fenced: its partitions get new leaders and it leaves every ISR.",
    },
    ConfigDef {
        name: "replica.lag.time.max.ms",
        kind: ConfigKind::Int { min: 1, max: 3_600_000 },
        default: "30000",
        unit: "ms",
        doc: "A follower that has not caught up with the leader's log end offset for this long is removed from the ISR.",
    },
    ConfigDef {
        name: "replica.fetch.wait.max.ms",
        kind: ConfigKind::Int { min: 0, max: 3_600_000 },
        default: "500",
        unit: "ms",
        doc: "How long a follower's fetch waits at the leader for new records.",
    },
    ConfigDef {
        name: "replica.socket.timeout.ms",
        kind: ConfigKind::Int { min: 1, max: 3_600_000 },
        default: "30000",
        unit: "ms",
        doc: "How long a follower waits for a fetch response before it tries again.",
    },
    ConfigDef {
        name: "offsets.topic.replication.factor",
        kind: ConfigKind::Int { min: 1, max: 16 },
        default: "3",
        unit: "replicas",
        doc: "Replicas of each __consumer_offsets partition. Kafka refuses to create the topic with fewer live brokers; the simulator then uses every broker (as a one-broker quickstart sets it to 1).",
    },
    ConfigDef {
        name: "offsets.topic.num.partitions",
        kind: ConfigKind::Int { min: 1, max: 1000 },
        default: "50",
        unit: "partitions",
        doc: "Partitions of __consumer_offsets; a group's coordinator is the leader of partition abs(hash(group.id)) % this.",
    },
];

/// Checked broker settings (every broker of a scenario shares them). Durations in ms.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerConfig {
    pub group_initial_rebalance_delay_ms: u64,
    pub group_min_session_timeout_ms: u64,
    pub group_max_session_timeout_ms: u64,
    pub broker_heartbeat_interval_ms: u64,
    pub broker_session_timeout_ms: u64,
    pub replica_lag_time_max_ms: u64,
    pub replica_fetch_wait_max_ms: u64,
    pub replica_socket_timeout_ms: u64,
    /// `None` when not set: every broker, up to 3.
    pub offsets_topic_replication_factor: Option<u32>,
    pub offsets_topic_num_partitions: u32,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig::from_map("broker_configs", &BTreeMap::new()).expect("defaults are valid")
    }
}

impl BrokerConfig {
    /// Reads a broker `configs` map (Kafka key → JSON value). Errors: an unknown key, a wrong type
    /// or a value out of range, as a [`FieldError`] whose path starts with `path`.
    pub fn from_map(path: &str, map: &BTreeMap<String, Value>) -> Result<Self, FieldError> {
        let r = resolve(path, "broker", BROKER_CONFIGS, map)?;
        let cfg = BrokerConfig {
            group_initial_rebalance_delay_ms: r.int("group.initial.rebalance.delay.ms") as u64,
            group_min_session_timeout_ms: r.int("group.min.session.timeout.ms") as u64,
            group_max_session_timeout_ms: r.int("group.max.session.timeout.ms") as u64,
            broker_heartbeat_interval_ms: r.int("broker.heartbeat.interval.ms") as u64,
            broker_session_timeout_ms: r.int("broker.session.timeout.ms") as u64,
            replica_lag_time_max_ms: r.int("replica.lag.time.max.ms") as u64,
            replica_fetch_wait_max_ms: r.int("replica.fetch.wait.max.ms") as u64,
            replica_socket_timeout_ms: r.int("replica.socket.timeout.ms") as u64,
            offsets_topic_replication_factor: r
                .is_set("offsets.topic.replication.factor")
                .then(|| r.int("offsets.topic.replication.factor") as u32),
            offsets_topic_num_partitions: r.int("offsets.topic.num.partitions") as u32,
        };
        if cfg.group_min_session_timeout_ms > cfg.group_max_session_timeout_ms {
            return Err(FieldError::new(
                format!("{path}.group.min.session.timeout.ms"),
                format!(
                    "must not exceed group.max.session.timeout.ms ({}), got {}",
                    cfg.group_max_session_timeout_ms, cfg.group_min_session_timeout_ms
                ),
            ));
        }
        Ok(cfg)
    }
}
