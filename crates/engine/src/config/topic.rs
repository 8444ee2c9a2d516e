//! Topic configs: Kafka's `LogConfig` keys (retention, segments, compaction, flushing, record
//! size) and `min.insync.replicas`, with their Kafka 4.x names, defaults, units and ranges. A
//! partition log acts on a checked [`TopicConfig`] (`broker::log::LogConfig` is this type); this
//! module does not know the log.

use super::{resolve, shown, ConfigDef, ConfigKind, FieldError};
use serde_json::Value;
use std::collections::BTreeMap;

/// Kafka's `Long.MAX_VALUE`, the default of `flush.messages` and `flush.ms` ("never force").
const LONG_MAX: i64 = i64::MAX;

/// Topic configs the engine simulates (`LogConfig` and `TopicConfig`, Kafka 4.x defaults).
pub static TOPIC_CONFIGS: &[ConfigDef] = &[
    ConfigDef {
        name: "min.insync.replicas",
        kind: ConfigKind::Int { min: 1, max: 16 },
        default: "1",
        unit: "replicas",
        doc: "With acks=all, a write succeeds only while at least this many replicas are in sync; otherwise NotEnoughReplicasException.",
    },
    ConfigDef {
        name: "cleanup.policy",
        kind: ConfigKind::Choice(&["delete", "compact", "compact,delete", "delete,compact"]),
        default: "delete",
        unit: "",
        doc: "delete: old segments are removed by retention.ms / retention.bytes. compact: the log cleaner keeps only the latest record of each key. Both may be set.",
    },
    ConfigDef {
        name: "segment.bytes",
        kind: ConfigKind::Int { min: 1_048_576, max: i32::MAX as i64 },
        default: "1073741824",
        unit: "bytes",
        doc: "The size at which the active segment is closed and a new one rolled; retention and compaction work on closed segments only.",
    },
    ConfigDef {
        name: "segment.ms",
        kind: ConfigKind::Int { min: 1, max: LONG_MAX },
        default: "604800000",
        unit: "ms",
        doc: "A segment is rolled when a batch's timestamp is this much later than the segment's first batch, even if it is not full.",
    },
    ConfigDef {
        name: "retention.ms",
        kind: ConfigKind::Int { min: -1, max: LONG_MAX },
        default: "604800000",
        unit: "ms",
        doc: "A closed segment is deleted once its newest record timestamp is older than this; -1 keeps records forever (cleanup.policy delete).",
    },
    ConfigDef {
        name: "retention.bytes",
        kind: ConfigKind::Int { min: -1, max: LONG_MAX },
        default: "-1",
        unit: "bytes",
        doc: "The oldest segments are deleted while the partition would still hold at least this many bytes without them; -1 means no size limit.",
    },
    ConfigDef {
        name: "delete.retention.ms",
        kind: ConfigKind::Int { min: 0, max: LONG_MAX },
        default: "86400000",
        unit: "ms",
        doc: "How long a tombstone (a record with a null value) stays after the cleaner first sees it, so that consumers catch the delete.",
    },
    ConfigDef {
        name: "min.cleanable.dirty.ratio",
        kind: ConfigKind::Float { min: 0.0, max: 1.0 },
        default: "0.5",
        unit: "ratio",
        doc: "The log cleaner compacts a partition once the uncleaned (dirty) bytes are more than this share of the cleanable log.",
    },
    ConfigDef {
        name: "min.compaction.lag.ms",
        kind: ConfigKind::Int { min: 0, max: LONG_MAX },
        default: "0",
        unit: "ms",
        doc: "A record stays uncompacted at least this long after its timestamp.",
    },
    ConfigDef {
        name: "message.timestamp.type",
        kind: ConfigKind::Choice(&["CreateTime", "LogAppendTime"]),
        default: "CreateTime",
        unit: "",
        doc: "CreateTime keeps the producer's timestamp; LogAppendTime replaces it with the leader's clock at append.",
    },
    ConfigDef {
        name: "max.message.bytes",
        kind: ConfigKind::Int { min: 0, max: i32::MAX as i64 },
        default: "1048588",
        unit: "bytes",
        doc: "The largest record batch the leader accepts; a larger one fails with RecordTooLargeException.",
    },
    ConfigDef {
        name: "flush.messages",
        kind: ConfigKind::Int { min: 1, max: LONG_MAX },
        default: "9223372036854775807",
        unit: "records",
        doc: "Force an fsync after this many records; by default Kafka never does and lets the OS write pages back (and relies on replication).",
    },
    ConfigDef {
        name: "flush.ms",
        kind: ConfigKind::Int { min: 0, max: LONG_MAX },
        default: "9223372036854775807",
        unit: "ms",
        doc: "Force an fsync when the last one is this old; by default Kafka never does.",
    },
    ConfigDef {
        name: "unclean.leader.election.enable",
        kind: ConfigKind::Bool,
        default: "false",
        unit: "",
        doc: "Whether a replica outside the ISR may become leader when no ISR member is alive, losing the records it lacks.",
    },
];

/// Which cleanups a topic's log runs (`cleanup.policy`, a list in Kafka).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupPolicy {
    /// Retention deletes old segments (`retention.ms`, `retention.bytes`).
    pub delete: bool,
    /// The log cleaner keeps only the latest record of each key.
    pub compact: bool,
}

/// Which timestamp a record carries in the log (`message.timestamp.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    /// The producer's timestamp is kept.
    CreateTime,
    /// The leader overwrites it with its clock at append.
    LogAppendTime,
}

/// Checked topic settings. Durations in ms, sizes in bytes; `None` means unlimited (`-1`) or
/// never (`Long.MAX_VALUE`), as the field says.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicConfig {
    /// `min.insync.replicas`, at most the replication factor.
    pub min_insync_replicas: u32,
    /// `cleanup.policy`.
    pub cleanup_policy: CleanupPolicy,
    /// `segment.bytes`, bytes.
    pub segment_bytes: u64,
    /// `segment.ms`, ms.
    pub segment_ms: u64,
    /// `retention.ms`, ms; `None` for -1 (keep forever).
    pub retention_ms: Option<u64>,
    /// `retention.bytes`, bytes; `None` for -1 (no size limit).
    pub retention_bytes: Option<u64>,
    /// `delete.retention.ms`, ms.
    pub delete_retention_ms: u64,
    /// `min.cleanable.dirty.ratio`, in `[0, 1]`.
    pub min_cleanable_dirty_ratio: f64,
    /// `min.compaction.lag.ms`, ms.
    pub min_compaction_lag_ms: u64,
    /// `message.timestamp.type`.
    pub message_timestamp_type: TimestampType,
    /// `max.message.bytes`, bytes (a whole batch).
    pub max_message_bytes: u32,
    /// `flush.messages`, records; `None` for `Long.MAX_VALUE` (never forced).
    pub flush_messages: Option<u64>,
    /// `flush.ms`, ms; `None` for `Long.MAX_VALUE` (never forced).
    pub flush_ms: Option<u64>,
    /// `unclean.leader.election.enable`.
    pub unclean_leader_election_enable: bool,
}

impl Default for TopicConfig {
    /// Every key at its Kafka default, for a topic of replication factor 1.
    fn default() -> Self {
        TopicConfig::from_map("configs", &BTreeMap::new(), 1).expect("defaults are valid")
    }
}

impl TopicConfig {
    /// `__consumer_offsets`' configs: compacted (only the latest commit of each group and
    /// partition matters), 100 MiB segments (`offsets.topic.segment.bytes`).
    pub fn offsets_topic() -> TopicConfig {
        TopicConfig {
            cleanup_policy: CleanupPolicy { delete: false, compact: true },
            segment_bytes: 104_857_600,
            ..Default::default()
        }
    }

    /// Parses a `configs` map; `min.insync.replicas` may not exceed `replication_factor`.
    /// Errors name `path.key`; Kafka's own refusals start with its exception name.
    pub fn from_map(path: &str, map: &BTreeMap<String, Value>, replication_factor: u32) -> Result<Self, FieldError> {
        // A negative retention other than -1 is caught before the generic range check so that
        // the message says what -1 means, as Kafka's `InvalidConfigurationException` does.
        for key in ["retention.bytes", "retention.ms"] {
            if let Some(raw) = map.get(key) {
                let parsed = match raw {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse::<i64>().ok(),
                    _ => None,
                };
                if parsed.is_some_and(|v| v < -1) {
                    return Err(FieldError::new(
                        format!("{path}.{key}"),
                        format!(
                            "InvalidConfigurationException: must be -1 (unlimited) or at least 0, got {}",
                            shown(raw)
                        ),
                    ));
                }
            }
        }
        let r = resolve(path, "topic", TOPIC_CONFIGS, map)?;
        let min_insync_replicas = r.int("min.insync.replicas") as u32;
        if min_insync_replicas > replication_factor {
            return Err(FieldError::new(
                format!("{path}.min.insync.replicas"),
                format!(
                    "InvalidConfigurationException: min.insync.replicas {min_insync_replicas} cannot be greater than the replication factor {replication_factor}"
                ),
            ));
        }
        let policy = r.text("cleanup.policy");
        let unlimited = |v: i64| (v >= 0).then_some(v as u64);
        let never = |v: i64| (v != LONG_MAX).then_some(v as u64);
        Ok(TopicConfig {
            min_insync_replicas,
            cleanup_policy: CleanupPolicy { delete: policy.contains("delete"), compact: policy.contains("compact") },
            segment_bytes: r.int("segment.bytes") as u64,
            segment_ms: r.int("segment.ms") as u64,
            retention_ms: unlimited(r.int("retention.ms")),
            retention_bytes: unlimited(r.int("retention.bytes")),
            delete_retention_ms: r.int("delete.retention.ms") as u64,
            min_cleanable_dirty_ratio: r.float("min.cleanable.dirty.ratio"),
            min_compaction_lag_ms: r.int("min.compaction.lag.ms") as u64,
            message_timestamp_type: if r.text("message.timestamp.type") == "LogAppendTime" {
                TimestampType::LogAppendTime
            } else {
                TimestampType::CreateTime
            },
            max_message_bytes: r.int("max.message.bytes") as u32,
            flush_messages: never(r.int("flush.messages")),
            flush_ms: never(r.int("flush.ms")),
            unclean_leader_election_enable: r.bool("unclean.leader.election.enable"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(configs: Value, replication_factor: u32) -> Result<TopicConfig, String> {
        let map: BTreeMap<String, Value> = serde_json::from_value(configs).unwrap();
        TopicConfig::from_map("topics[0].configs", &map, replication_factor).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_kafkas() {
        let c = TopicConfig::default();
        assert_eq!(c.cleanup_policy, CleanupPolicy { delete: true, compact: false });
        assert_eq!(c.segment_bytes, 1_073_741_824);
        assert_eq!(c.segment_ms, 604_800_000);
        assert_eq!(c.retention_ms, Some(604_800_000));
        assert_eq!(c.retention_bytes, None);
        assert_eq!(c.delete_retention_ms, 86_400_000);
        assert_eq!(c.min_cleanable_dirty_ratio, 0.5);
        assert_eq!(c.min_compaction_lag_ms, 0);
        assert_eq!(c.message_timestamp_type, TimestampType::CreateTime);
        assert_eq!(c.max_message_bytes, 1_048_588);
        assert_eq!(c.flush_messages, None);
        assert_eq!(c.flush_ms, None);
        assert!(!c.unclean_leader_election_enable);
        assert_eq!(c.min_insync_replicas, 1);
    }

    #[test]
    fn set_values_are_typed() {
        let c = parse(
            json!({"cleanup.policy": "compact,delete", "retention.ms": -1, "retention.bytes": "1000",
                   "min.cleanable.dirty.ratio": 0.1, "message.timestamp.type": "LogAppendTime",
                   "flush.messages": 1, "segment.bytes": 1048576, "unclean.leader.election.enable": true}),
            1,
        )
        .unwrap();
        assert_eq!(c.cleanup_policy, CleanupPolicy { delete: true, compact: true });
        assert_eq!(c.retention_ms, None);
        assert_eq!(c.retention_bytes, Some(1000));
        assert_eq!(c.min_cleanable_dirty_ratio, 0.1);
        assert_eq!(c.message_timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(c.flush_messages, Some(1));
        assert_eq!(c.segment_bytes, 1_048_576);
        assert!(c.unclean_leader_election_enable);
    }

    #[test]
    fn negative_retention_other_than_minus_one_is_invalid() {
        assert_eq!(
            parse(json!({"retention.ms": -5}), 1).unwrap_err(),
            "topics[0].configs.retention.ms: InvalidConfigurationException: must be -1 (unlimited) or at least 0, got -5"
        );
        assert_eq!(
            parse(json!({"retention.bytes": "-2"}), 1).unwrap_err(),
            "topics[0].configs.retention.bytes: InvalidConfigurationException: must be -1 (unlimited) or at least 0, got \"-2\""
        );
    }

    #[test]
    fn min_insync_replicas_above_replication_factor_is_invalid() {
        assert_eq!(
            parse(json!({"min.insync.replicas": 3}), 2).unwrap_err(),
            "topics[0].configs.min.insync.replicas: InvalidConfigurationException: min.insync.replicas 3 cannot be greater than the replication factor 2"
        );
    }

    #[test]
    fn out_of_range_values_name_the_range() {
        assert_eq!(
            parse(json!({"segment.bytes": 1000}), 1).unwrap_err(),
            "topics[0].configs.segment.bytes: must be an integer between 1048576 and 2147483647, got 1000"
        );
        assert_eq!(
            parse(json!({"min.cleanable.dirty.ratio": 2}), 1).unwrap_err(),
            "topics[0].configs.min.cleanable.dirty.ratio: must be a number between 0 and 1, got 2"
        );
        assert!(parse(json!({"cleanup.policy": "forever"}), 1).unwrap_err().contains("must be one of delete, compact"));
    }
}
