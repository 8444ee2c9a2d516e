use super::{resolve, ConfigDef, ConfigKind, FieldError};
use serde_json::Value;
use std::collections::BTreeMap;

/// Topic configs the engine simulates (`TopicConfig`, Kafka 4.x defaults).
pub static TOPIC_CONFIGS: &[ConfigDef] = &[ConfigDef {
    name: "min.insync.replicas",
    kind: ConfigKind::Int { min: 1, max: 16 },
    default: "1",
    unit: "replicas",
    doc: "With acks=all, a write succeeds only while at least this many replicas are in sync; otherwise NotEnoughReplicasException.",
}];

/// Temporary.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CleanupPolicy {
    pub delete: bool,
    pub compact: bool,
}

/// Temporary.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum TimestampType {
    #[default]
    CreateTime,
    LogAppendTime,
}

/// Checked topic settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicConfig {
    pub min_insync_replicas: u32,
    pub cleanup_policy: CleanupPolicy,
    pub message_timestamp_type: TimestampType,
    pub max_message_bytes: u32,
    pub unclean_leader_election_enable: bool,
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig::from_map("t", &BTreeMap::new(), 1).expect("defaults")
    }
}

impl TopicConfig {
    /// Temporary.
    pub fn log_config(&self) {}
}

impl TopicConfig {
    /// Parses a `configs` map; `min.insync.replicas` may not exceed `replication_factor`.
    pub fn from_map(path: &str, map: &BTreeMap<String, Value>, replication_factor: u32) -> Result<Self, FieldError> {
        let r = resolve(path, "topic", TOPIC_CONFIGS, map)?;
        let min_insync_replicas = r.int("min.insync.replicas") as u32;
        if min_insync_replicas > replication_factor {
            return Err(FieldError::new(
                format!("{path}.min.insync.replicas"),
                format!("must be between 1 and the replication factor {replication_factor}, got {min_insync_replicas}"),
            ));
        }
        Ok(TopicConfig {
            min_insync_replicas,
            cleanup_policy: CleanupPolicy { delete: true, compact: false },
            message_timestamp_type: TimestampType::CreateTime,
            max_message_bytes: 1_048_588,
            unclean_leader_election_enable: false,
        })
    }
}
