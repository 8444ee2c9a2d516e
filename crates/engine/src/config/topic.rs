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

/// Checked topic settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicConfig {
    pub min_insync_replicas: u32,
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
        Ok(TopicConfig { min_insync_replicas })
    }
}
