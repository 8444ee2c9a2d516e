use super::{resolve, ConfigDef, ConfigKind, FieldError};
use serde_json::Value;
use std::collections::BTreeMap;

/// Producer configs the engine simulates, with Kafka 4.x defaults (`ProducerConfig`; `linger.ms`
/// became 5 in Kafka 4.0, KIP-1030).
pub static PRODUCER_CONFIGS: &[ConfigDef] = &[
    ConfigDef {
        name: "acks",
        kind: ConfigKind::Choice(&["all", "-1", "0", "1"]),
        default: "all",
        unit: "",
        doc: "How many replicas must have the record before the leader answers: 0 (no answer awaited), 1 (the leader), all (every in-sync replica).",
    },
    ConfigDef {
        name: "linger.ms",
        kind: ConfigKind::Int { min: 0, max: 3_600_000 },
        default: "5",
        unit: "ms",
        doc: "How long a partition's batch waits for more records before it is sent, unless it is full first.",
    },
    ConfigDef {
        name: "batch.size",
        kind: ConfigKind::Int { min: 1, max: 16_777_216 },
        default: "16384",
        unit: "bytes",
        doc: "The largest batch, per partition, the producer builds before it sends.",
    },
    ConfigDef {
        name: "max.in.flight.requests.per.connection",
        kind: ConfigKind::Int { min: 1, max: 100 },
        default: "5",
        unit: "requests",
        doc: "How many produce requests to one broker may await an answer at once.",
    },
    ConfigDef {
        name: "max.request.size",
        kind: ConfigKind::Int { min: 1, max: 104_857_600 },
        default: "1048576",
        unit: "bytes",
        doc: "The largest produce request: the sender stops adding partitions' batches to a request at this size.",
    },
    ConfigDef {
        name: "buffer.memory",
        kind: ConfigKind::Int { min: 1, max: 1_073_741_824 },
        default: "33554432",
        unit: "bytes",
        doc: "Memory for records waiting to be sent or acknowledged; send() blocks while it is full.",
    },
    ConfigDef {
        name: "metadata.max.age.ms",
        kind: ConfigKind::Int { min: 0, max: 86_400_000 },
        default: "300000",
        unit: "ms",
        doc: "How often the client refreshes its metadata even without a reason: only then does it see new partitions and topics.",
    },
    ConfigDef {
        name: "request.timeout.ms",
        kind: ConfigKind::Int { min: 0, max: 2_147_483_647 },
        default: "30000",
        unit: "ms",
        doc: "How long the producer waits for a response; with acks=all also how long the leader may wait for the ISR. A request that times out is retried.",
    },
    ConfigDef {
        name: "retry.backoff.ms",
        kind: ConfigKind::Int { min: 0, max: 2_147_483_647 },
        default: "100",
        unit: "ms",
        doc: "How long a failed batch waits before it is sent again.",
    },
    ConfigDef {
        name: "delivery.timeout.ms",
        kind: ConfigKind::Int { min: 0, max: 2_147_483_647 },
        default: "120000",
        unit: "ms",
        doc: "How long after send() a record may still be retried; past it, the send fails.",
    },
    ConfigDef {
        name: "retries",
        kind: ConfigKind::Int { min: 0, max: 2_147_483_647 },
        default: "2147483647",
        unit: "retries",
        doc: "How many times a failed batch is sent again (within delivery.timeout.ms).",
    },
    ConfigDef {
        name: "client.id",
        kind: ConfigKind::Text,
        default: "producer-1",
        unit: "",
        doc: "The name the producer gives itself in logs and metrics.",
    },
];

/// `acks`: how many acknowledgements the producer waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acks {
    /// `acks=0`: fire and forget; the producer counts a record as sent once it is on the wire.
    None,
    /// `acks=1`: the leader has appended it.
    Leader,
    /// `acks=all` (or `-1`): every in-sync replica has it.
    All,
}

/// Checked producer settings. Durations in ms, sizes in bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerConfig {
    pub acks: Acks,
    pub linger_ms: u64,
    pub batch_size_bytes: u32,
    pub max_in_flight_requests_per_connection: u32,
    pub max_request_size_bytes: u64,
    pub buffer_memory_bytes: u64,
    pub request_timeout_ms: u64,
    pub retry_backoff_ms: u64,
    /// `metadata.max.age.ms`: the most time between two metadata refreshes.
    pub metadata_max_age_ms: u64,
    pub delivery_timeout_ms: u64,
    pub retries: u32,
    pub client_id: String,
}

impl ProducerConfig {
    /// Parses a `configs` map; errors name `path.key`. `default_client_id` replaces Kafka's
    /// generated `producer-N` when `client.id` is not set.
    pub fn from_map(path: &str, map: &BTreeMap<String, Value>, default_client_id: &str) -> Result<Self, FieldError> {
        let r = resolve(path, "producer", PRODUCER_CONFIGS, map)?;
        Ok(ProducerConfig {
            acks: match r.text("acks").as_str() {
                "0" => Acks::None,
                "1" => Acks::Leader,
                _ => Acks::All,
            },
            linger_ms: r.int("linger.ms") as u64,
            batch_size_bytes: r.int("batch.size") as u32,
            max_in_flight_requests_per_connection: r.int("max.in.flight.requests.per.connection") as u32,
            max_request_size_bytes: r.int("max.request.size") as u64,
            buffer_memory_bytes: r.int("buffer.memory") as u64,
            request_timeout_ms: r.int("request.timeout.ms") as u64,
            retry_backoff_ms: r.int("retry.backoff.ms") as u64,
            metadata_max_age_ms: r.int("metadata.max.age.ms") as u64,
            delivery_timeout_ms: r.int("delivery.timeout.ms") as u64,
            retries: r.int("retries") as u32,
            client_id: if r.is_set("client.id") { r.text("client.id") } else { default_client_id.to_string() },
        })
    }
}
