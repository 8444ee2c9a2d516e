//! Kafka configuration keys the engine honours: their exact names, defaults, units, ranges and
//! docs, and the parsing of a scenario's `configs` maps into typed structs. It must not know about
//! nodes or the scheduler: it only turns untrusted key/value maps into checked values.
//!
//! Defaults follow Kafka 4.x (`ProducerConfig`, `ConsumerConfig`, `TopicConfig`, `GroupCoordinatorConfig`).
//! Only keys the engine actually simulates are listed; any other key is rejected by name, so a
//! scenario never silently carries a setting that does nothing.

mod broker;
mod consumer;
mod producer;
mod topic;

pub use broker::{BrokerConfig, BROKER_CONFIGS};
pub use consumer::{AutoOffsetReset, ConsumerConfig, CONSUMER_CONFIGS};
pub use producer::{
    exponential_backoff_ms, Acks, ProducerConfig, ProducerDefaults, MAX_IN_FLIGHT_FOR_IDEMPOTENCE, PRODUCER_CONFIGS,
};
pub use topic::{CleanupPolicy, TimestampType, TopicConfig, TOPIC_CONFIGS};

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// A validation failure at a field path: `topics[0].partitions: must be between 1 and 1024, got 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    /// An error at field path `path` (`topics[0].partitions`) with its message.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { path: path.into(), message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// What values a config key takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConfigKind {
    /// An integer in `[min, max]` (Kafka's `INT` and `LONG`).
    Int {
        min: i64,
        max: i64,
    },
    /// A number in `[min, max]` (Kafka's `DOUBLE`, as `min.cleanable.dirty.ratio`).
    Float {
        min: f64,
        max: f64,
    },
    Bool,
    /// One of the listed strings (case-sensitive, as Kafka's `ValidString`).
    Choice(&'static [&'static str]),
    /// Free text of 1 to 255 characters.
    Text,
    /// A comma-separated list (or a JSON array) of one or more of the listed strings, in order
    /// of preference (Kafka's `LIST`, as `partition.assignment.strategy`).
    List(&'static [&'static str]),
}

/// One config key: Kafka's exact name, its default (as Kafka's docs print it), unit and meaning.
#[derive(Debug, Clone, Copy)]
pub struct ConfigDef {
    pub name: &'static str,
    pub kind: ConfigKind,
    pub default: &'static str,
    /// `ms`, `bytes`, `records`, or empty.
    pub unit: &'static str,
    pub doc: &'static str,
}

/// A checked value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

/// The checked settings of one `configs` map, each key looked up in its table; missing keys fall
/// back to their defaults.
#[derive(Debug, Clone)]
pub struct Resolved {
    defs: &'static [ConfigDef],
    values: BTreeMap<&'static str, ConfigValue>,
}

impl Resolved {
    fn get(&self, name: &str) -> ConfigValue {
        if let Some(v) = self.values.get(name) {
            return v.clone();
        }
        let def = self.defs.iter().find(|d| d.name == name).unwrap_or_else(|| panic!("no config def {name}"));
        parse_default(def)
    }

    /// The integer config `name`, set or default. Panics if `name` is not a defined integer key
    /// (a programming error: names come from the config definitions, not from input).
    pub fn int(&self, name: &str) -> i64 {
        match self.get(name) {
            ConfigValue::Int(v) => v,
            other => panic!("config {name} is not an int: {other:?}"),
        }
    }

    /// The floating-point config `name`, set or default. Panics if `name` is not a defined
    /// float key.
    pub fn float(&self, name: &str) -> f64 {
        match self.get(name) {
            ConfigValue::Float(v) => v,
            other => panic!("config {name} is not a float: {other:?}"),
        }
    }

    /// The boolean config `name`, set or default. Panics if `name` is not a defined boolean key.
    pub fn bool(&self, name: &str) -> bool {
        match self.get(name) {
            ConfigValue::Bool(v) => v,
            other => panic!("config {name} is not a bool: {other:?}"),
        }
    }

    /// The string config `name`, set or default. Panics if `name` is not a defined string key.
    pub fn text(&self, name: &str) -> String {
        match self.get(name) {
            ConfigValue::Text(v) => v,
            other => panic!("config {name} is not text: {other:?}"),
        }
    }

    /// Whether the scenario set this key explicitly.
    pub fn is_set(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }
}

// Defaults are static strings written in this module's tables; a test parses every one of them.
fn parse_default(def: &ConfigDef) -> ConfigValue {
    match def.kind {
        ConfigKind::Int { .. } => ConfigValue::Int(def.default.parse().expect("int default")),
        ConfigKind::Float { .. } => ConfigValue::Float(def.default.parse().expect("float default")),
        ConfigKind::Bool => ConfigValue::Bool(def.default == "true"),
        ConfigKind::Choice(_) | ConfigKind::Text | ConfigKind::List(_) => ConfigValue::Text(def.default.to_string()),
    }
}

/// Checks every entry of a `configs` map against `defs`. `path` is the map's field path
/// (`producers[0].configs`); errors name `path.key`. `what` names the table in errors
/// ("producer", "consumer", ...).
pub fn resolve(
    path: &str,
    what: &str,
    defs: &'static [ConfigDef],
    map: &BTreeMap<String, Value>,
) -> Result<Resolved, FieldError> {
    let mut values = BTreeMap::new();
    for (key, raw) in map {
        let key_path = format!("{path}.{key}");
        let Some(def) = defs.iter().find(|d| d.name == key) else {
            let known: Vec<&str> = defs.iter().map(|d| d.name).collect();
            return Err(FieldError::new(
                key_path,
                format!("unknown {what} config (the simulated {what} configs are: {})", known.join(", ")),
            ));
        };
        values.insert(def.name, check(&key_path, def, raw)?);
    }
    Ok(Resolved { defs, values })
}

fn check(path: &str, def: &ConfigDef, raw: &Value) -> Result<ConfigValue, FieldError> {
    let shown = shown(raw);
    match def.kind {
        ConfigKind::Int { min, max } => {
            // Kafka reads configs from properties files, so a number may come as a string.
            let parsed = match raw {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            match parsed {
                Some(v) if (min..=max).contains(&v) => Ok(ConfigValue::Int(v)),
                _ => Err(FieldError::new(path, format!("must be an integer between {min} and {max}, got {shown}"))),
            }
        }
        ConfigKind::Float { min, max } => {
            let parsed = match raw {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            // `contains` is false for NaN, so "NaN" is refused along with out-of-range numbers.
            match parsed {
                Some(v) if (min..=max).contains(&v) => Ok(ConfigValue::Float(v)),
                _ => Err(FieldError::new(path, format!("must be a number between {min} and {max}, got {shown}"))),
            }
        }
        ConfigKind::Bool => match raw {
            Value::Bool(b) => Ok(ConfigValue::Bool(*b)),
            Value::String(s) if s == "true" || s == "false" => Ok(ConfigValue::Bool(s == "true")),
            _ => Err(FieldError::new(path, format!("must be true or false, got {shown}"))),
        },
        ConfigKind::Choice(options) => {
            let text = match raw {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            match text {
                Some(t) if options.contains(&t.as_str()) => Ok(ConfigValue::Text(t)),
                _ => Err(FieldError::new(path, format!("must be one of {}, got {shown}", options.join(", ")))),
            }
        }
        ConfigKind::Text => match raw {
            Value::String(s) if !s.is_empty() && s.chars().count() <= 255 => Ok(ConfigValue::Text(s.clone())),
            _ => Err(FieldError::new(path, format!("must be a string of 1 to 255 characters, got {shown}"))),
        },
        ConfigKind::List(options) => {
            let items: Option<Vec<String>> = match raw {
                Value::String(s) => Some(s.split(',').map(|i| i.trim().to_string()).collect()),
                Value::Array(a) => a.iter().map(|v| v.as_str().map(|i| i.trim().to_string())).collect(),
                _ => None,
            };
            match items {
                Some(items) if !items.is_empty() && items.iter().all(|i| options.contains(&i.as_str())) => {
                    Ok(ConfigValue::Text(items.join(",")))
                }
                _ => Err(FieldError::new(
                    path,
                    format!("must be a comma-separated list of one or more of {}, got {shown}", options.join(", ")),
                )),
            }
        }
    }
}

/// A JSON value as an error message shows it, cut to 60 characters so hostile input cannot
/// flood the message.
pub fn shown(raw: &Value) -> String {
    let s = raw.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_parses_and_is_in_range() {
        for table in [PRODUCER_CONFIGS, CONSUMER_CONFIGS, TOPIC_CONFIGS, BROKER_CONFIGS] {
            for def in table {
                if def.default.is_empty() {
                    continue; // Kafka's null default (transactional.id): not a value to check
                }
                let raw = match def.kind {
                    ConfigKind::Int { .. } => Value::from(def.default.parse::<i64>().unwrap()),
                    ConfigKind::Float { .. } => Value::from(def.default.parse::<f64>().unwrap()),
                    ConfigKind::Bool => Value::from(def.default == "true"),
                    _ => Value::from(def.default),
                };
                check("t", def, &raw).unwrap_or_else(|e| panic!("default of {}: {e}", def.name));
            }
        }
    }

    #[test]
    fn floats_parse_from_numbers_and_strings_and_stay_in_range() {
        let def =
            ConfigDef { name: "r", kind: ConfigKind::Float { min: 0.0, max: 1.0 }, default: "0.5", unit: "", doc: "" };
        assert_eq!(check("t", &def, &Value::from(0.25)), Ok(ConfigValue::Float(0.25)));
        assert_eq!(check("t", &def, &Value::from("1")), Ok(ConfigValue::Float(1.0)));
        assert_eq!(
            check("t", &def, &Value::from(1.5)).unwrap_err().to_string(),
            "t: must be a number between 0 and 1, got 1.5"
        );
        assert!(check("t", &def, &Value::from("NaN")).is_err());
        assert_eq!(parse_default(&def), ConfigValue::Float(0.5));
    }
}
