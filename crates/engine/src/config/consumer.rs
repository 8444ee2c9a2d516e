use super::{resolve, ConfigDef, ConfigKind, FieldError};
use crate::consumer::assignors::{RebalanceProtocol, Strategy};
use serde_json::Value;
use std::collections::BTreeMap;

/// Consumer configs the engine simulates, with Kafka 4.x defaults (`ConsumerConfig`, classic
/// group protocol).
pub static CONSUMER_CONFIGS: &[ConfigDef] = &[
    ConfigDef {
        name: "enable.auto.commit",
        kind: ConfigKind::Bool,
        default: "true",
        unit: "",
        doc: "Commit the positions of returned records in the background, every auto.commit.interval.ms, from within poll().",
    },
    ConfigDef {
        name: "auto.commit.interval.ms",
        kind: ConfigKind::Int { min: 0, max: 86_400_000 },
        default: "5000",
        unit: "ms",
        doc: "How often positions are auto-committed when enable.auto.commit is true.",
    },
    ConfigDef {
        name: "auto.offset.reset",
        kind: ConfigKind::Choice(&["latest", "earliest", "none"]),
        default: "latest",
        unit: "",
        doc: "Where to start a partition that has no committed offset: the log end (latest), the log start (earliest), or nowhere: poll() throws NoOffsetForPartitionException (none).",
    },
    ConfigDef {
        name: "metadata.max.age.ms",
        kind: ConfigKind::Int { min: 0, max: 86_400_000 },
        default: "300000",
        unit: "ms",
        doc: "How often the client refreshes its metadata even without a reason: only then does it see new partitions and topics.",
    },
    ConfigDef {
        name: "session.timeout.ms",
        kind: ConfigKind::Int { min: 1, max: 86_400_000 },
        default: "45000",
        unit: "ms",
        doc: "How long the group coordinator waits without a heartbeat before it removes the member and rebalances.",
    },
    ConfigDef {
        name: "heartbeat.interval.ms",
        kind: ConfigKind::Int { min: 1, max: 86_400_000 },
        default: "3000",
        unit: "ms",
        doc: "How often the consumer sends a heartbeat; must be lower than session.timeout.ms.",
    },
    ConfigDef {
        name: "max.poll.interval.ms",
        kind: ConfigKind::Int { min: 1, max: 86_400_000 },
        default: "300000",
        unit: "ms",
        doc: "Also the rebalance timeout: how long the coordinator waits for members to rejoin during a rebalance.",
    },
    ConfigDef {
        name: "max.poll.records",
        kind: ConfigKind::Int { min: 1, max: 1_000_000 },
        default: "500",
        unit: "records",
        doc: "The most records one poll() returns.",
    },
    ConfigDef {
        name: "fetch.min.bytes",
        kind: ConfigKind::Int { min: 0, max: 104_857_600 },
        default: "1",
        unit: "bytes",
        doc: "The broker holds a fetch until at least this much data is ready, or fetch.max.wait.ms passes.",
    },
    ConfigDef {
        name: "fetch.max.wait.ms",
        kind: ConfigKind::Int { min: 0, max: 3_600_000 },
        default: "500",
        unit: "ms",
        doc: "The longest the broker holds a fetch that cannot yet return fetch.min.bytes.",
    },
    ConfigDef {
        name: "max.partition.fetch.bytes",
        kind: ConfigKind::Int { min: 1, max: 104_857_600 },
        default: "1048576",
        unit: "bytes",
        doc: "The most data one fetch returns per partition (at least one batch is always returned).",
    },
    ConfigDef {
        name: "partition.assignment.strategy",
        kind: ConfigKind::List(&[
            "org.apache.kafka.clients.consumer.RangeAssignor",
            "org.apache.kafka.clients.consumer.RoundRobinAssignor",
            "org.apache.kafka.clients.consumer.StickyAssignor",
            "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        ]),
        default: "org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        unit: "",
        doc: "The assignors this consumer supports, preferred first; the group uses the one all members support that most prefer. The rebalance protocol is cooperative (KIP-429) only when every listed assignor supports it, that is with CooperativeStickyAssignor alone.",
    },
    ConfigDef {
        name: "isolation.level",
        kind: ConfigKind::Choice(&["read_uncommitted", "read_committed"]),
        default: "read_uncommitted",
        unit: "",
        doc: "read_committed: read only up to the last stable offset (no open transaction below it) and skip the records of aborted transactions. read_uncommitted: read up to the high watermark, aborted records included. Transaction markers are never returned.",
    },
];

/// `auto.offset.reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoOffsetReset {
    Earliest,
    Latest,
    /// No reset: `poll()` throws `NoOffsetForPartitionException`.
    None,
}

impl AutoOffsetReset {
    /// The value as `auto.offset.reset` spells it: `earliest` or `latest`.
    pub fn name(self) -> &'static str {
        match self {
            AutoOffsetReset::Earliest => "earliest",
            AutoOffsetReset::Latest => "latest",
            AutoOffsetReset::None => "none",
        }
    }
}

/// Checked consumer settings. Durations in ms, sizes in bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerConfig {
    pub enable_auto_commit: bool,
    pub auto_commit_interval_ms: u64,
    pub auto_offset_reset: AutoOffsetReset,
    pub session_timeout_ms: u64,
    pub heartbeat_interval_ms: u64,
    pub max_poll_interval_ms: u64,
    pub max_poll_records: u32,
    pub fetch_min_bytes: u32,
    pub fetch_max_wait_ms: u64,
    pub max_partition_fetch_bytes: u32,
    /// `metadata.max.age.ms`: the most time between two metadata refreshes.
    pub metadata_max_age_ms: u64,
    /// The assignors, preferred first.
    pub partition_assignment_strategy: Vec<Strategy>,
    /// `isolation.level`.
    pub isolation_level: crate::protocol::IsolationLevel,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig::from_map("configs", &BTreeMap::new()).expect("defaults are valid")
    }
}

impl ConsumerConfig {
    /// Parses a `configs` map; errors name `path.key`. Cross-key rule (as Kafka's
    /// `ConsumerConfig`/`GroupRebalanceConfig`): `heartbeat.interval.ms` < `session.timeout.ms`.
    pub fn from_map(path: &str, map: &BTreeMap<String, Value>) -> Result<Self, FieldError> {
        let r = resolve(path, "consumer", CONSUMER_CONFIGS, map)?;
        let cfg = ConsumerConfig {
            enable_auto_commit: r.bool("enable.auto.commit"),
            auto_commit_interval_ms: r.int("auto.commit.interval.ms") as u64,
            auto_offset_reset: match r.text("auto.offset.reset").as_str() {
                "earliest" => AutoOffsetReset::Earliest,
                "none" => AutoOffsetReset::None,
                _ => AutoOffsetReset::Latest,
            },
            partition_assignment_strategy: r
                .text("partition.assignment.strategy")
                .split(',')
                .filter_map(Strategy::parse)
                .collect(),
            session_timeout_ms: r.int("session.timeout.ms") as u64,
            heartbeat_interval_ms: r.int("heartbeat.interval.ms") as u64,
            max_poll_interval_ms: r.int("max.poll.interval.ms") as u64,
            max_poll_records: r.int("max.poll.records") as u32,
            fetch_min_bytes: r.int("fetch.min.bytes") as u32,
            fetch_max_wait_ms: r.int("fetch.max.wait.ms") as u64,
            max_partition_fetch_bytes: r.int("max.partition.fetch.bytes") as u32,
            metadata_max_age_ms: r.int("metadata.max.age.ms") as u64,
            isolation_level: if r.text("isolation.level") == "read_committed" {
                crate::protocol::IsolationLevel::ReadCommitted
            } else {
                crate::protocol::IsolationLevel::ReadUncommitted
            },
        };
        if cfg.heartbeat_interval_ms >= cfg.session_timeout_ms {
            return Err(FieldError::new(
                format!("{path}.heartbeat.interval.ms"),
                format!(
                    "must be lower than session.timeout.ms ({}), got {}",
                    cfg.session_timeout_ms, cfg.heartbeat_interval_ms
                ),
            ));
        }
        Ok(cfg)
    }

    /// The rebalance protocol (`ConsumerCoordinator`): the most advanced one that every
    /// configured assignor supports — cooperative only if all of them support it.
    pub fn rebalance_protocol(&self) -> RebalanceProtocol {
        if self.partition_assignment_strategy.iter().all(|s| s.protocols().contains(&RebalanceProtocol::Cooperative)) {
            RebalanceProtocol::Cooperative
        } else {
            RebalanceProtocol::Eager
        }
    }
}
