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
];

/// Checked broker settings (every broker of a scenario shares them). Durations in ms.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerConfig {
    pub group_initial_rebalance_delay_ms: u64,
    pub group_min_session_timeout_ms: u64,
    pub group_max_session_timeout_ms: u64,
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
