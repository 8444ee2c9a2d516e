use super::{resolve, ConfigDef, ConfigKind, FieldError};
use crate::sim::SimRng;
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
        name: "max.block.ms",
        kind: ConfigKind::Int { min: 0, max: 2_147_483_647 },
        default: "60000",
        unit: "ms",
        doc: "How long send() may block while buffer.memory is full; past it, send() fails with a TimeoutException.",
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
        doc: "How long a failed batch waits before its first retry; each further retry waits twice as long, up to retry.backoff.max.ms, give or take 20% (KIP-580).",
    },
    ConfigDef {
        name: "retry.backoff.max.ms",
        kind: ConfigKind::Int { min: 0, max: 2_147_483_647 },
        default: "1000",
        unit: "ms",
        doc: "The longest a failed batch waits before it is sent again, however many times it failed.",
    },
    ConfigDef {
        name: "enable.idempotence",
        kind: ConfigKind::Bool,
        default: "true",
        unit: "",
        doc: "Stamp batches with a producer id and sequence numbers so that the broker drops a retried batch it already has: no duplicates, and order kept with up to 5 requests in flight. Needs acks=all, retries > 0 and max.in.flight.requests.per.connection <= 5.",
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
        name: "compression.type",
        kind: ConfigKind::Choice(&["none", "gzip", "snappy", "lz4", "zstd"]),
        default: "none",
        unit: "",
        doc: "How each batch is compressed: smaller batches on the wire and in the log, so more records fit a batch.size. Sizes come from the real codecs (lz4 and zstd at other levels than Kafka's defaults: estimated).",
    },
    ConfigDef {
        name: "partitioner.ignore.keys",
        kind: ConfigKind::Bool,
        default: "false",
        unit: "",
        doc: "Partition keyed records as if they had no key: the sticky partitioner fills one partition's batch, then picks another (KIP-794). Spreads load evenly, but a key's records no longer share a partition or an order.",
    },
    ConfigDef {
        name: "partitioner.adaptive.partitioning.enable",
        kind: ConfigKind::Bool,
        default: "true",
        unit: "",
        doc: "When the sticky partitioner picks the next partition, favour those with fewer batches waiting (partitions behind a slow broker get less).",
    },
    ConfigDef {
        name: "transactional.id",
        kind: ConfigKind::Text,
        default: "",
        unit: "",
        doc: "Makes the producer transactional: its sends between beginTransaction() and commitTransaction() become visible to read_committed consumers together, or not at all. A new instance with the same id fences the old one (ProducerFencedException). Needs idempotence.",
    },
    ConfigDef {
        name: "transaction.timeout.ms",
        kind: ConfigKind::Int { min: 1, max: 900_000 },
        default: "60000",
        unit: "ms",
        doc: "How long a transaction may stay open before its coordinator aborts it (at most the broker's transaction.max.timeout.ms, 900000). Until then, read_committed consumers wait at its first record.",
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
    /// `max.block.ms`: how long `send()` blocks on a full `buffer.memory` before it fails.
    pub max_block_ms: u64,
    pub request_timeout_ms: u64,
    pub retry_backoff_ms: u64,
    /// `metadata.max.age.ms`: the most time between two metadata refreshes.
    pub metadata_max_age_ms: u64,
    pub delivery_timeout_ms: u64,
    pub retries: u32,
    /// `retry.backoff.max.ms`: the cap of the exponential retry backoff.
    pub retry_backoff_max_ms: u64,
    /// `enable.idempotence`, after the Java client's adjustments.
    pub enable_idempotence: bool,
    /// Why an implicit `enable.idempotence=true` was turned off, as the Java client logs it.
    pub idempotence_disabled_because: Option<&'static str>,
    /// `compression.type`.
    pub compression: crate::producer::compression::CompressionType,
    /// `partitioner.ignore.keys`: every record takes the sticky partitioner's path.
    pub partitioner_ignore_keys: bool,
    /// `partitioner.adaptive.partitioning.enable`.
    pub partitioner_adaptive: bool,
    /// `transactional.id`, if set.
    pub transactional_id: Option<String>,
    /// `transaction.timeout.ms`.
    pub transaction_timeout_ms: u64,
    pub client_id: String,
}

/// Kafka's `ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE`.
pub const MAX_IN_FLIGHT_FOR_IDEMPOTENCE: u32 = 5;

/// The defaults a producer starts from: Kafka 4.x's, or the older ones much course material
/// assumes (`acks=1`, `enable.idempotence=false`, `linger.ms=0`, as before Kafka 3.0 and 4.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProducerDefaults {
    #[default]
    Kafka4,
    Legacy,
}

impl ProducerDefaults {
    /// Whether these are Kafka 4.x's defaults (a scenario leaves the field out then).
    pub fn is_kafka4(&self) -> bool {
        *self == ProducerDefaults::Kafka4
    }
}

impl ProducerConfig {
    /// Parses a `configs` map; errors name `path.key`. `default_client_id` replaces Kafka's
    /// generated `producer-N` when `client.id` is not set.
    ///
    /// `enable.idempotence` follows Kafka 4.x's `ProducerConfig.postProcessAndValidateIdempotenceConfigs`:
    /// set explicitly to true, it conflicts with `acks` other than all or `retries=0` (a
    /// `ConfigException`, here an error at `path.enable.idempotence`); left to its default, it
    /// is turned off instead, and `idempotence_disabled_because` says why. More than 5 requests
    /// in flight is an error whenever idempotence is on, by default or not (an error at
    /// `path.max.in.flight.requests.per.connection`). `defaults` picks the defaults of unset keys.
    pub fn from_map(
        path: &str,
        map: &BTreeMap<String, Value>,
        default_client_id: &str,
        defaults: ProducerDefaults,
    ) -> Result<Self, FieldError> {
        let mut map = map.clone();
        if defaults == ProducerDefaults::Legacy {
            for (key, value) in [("acks", "1"), ("enable.idempotence", "false"), ("linger.ms", "0")] {
                map.entry(key.to_string()).or_insert_with(|| Value::String(value.to_string()));
            }
        }
        let r = resolve(path, "producer", PRODUCER_CONFIGS, &map)?;
        let acks = match r.text("acks").as_str() {
            "0" => Acks::None,
            "1" => Acks::Leader,
            _ => Acks::All,
        };
        let explicit = r.is_set("enable.idempotence") && defaults == ProducerDefaults::Kafka4;
        let mut enable_idempotence = r.bool("enable.idempotence");
        let mut idempotence_disabled_because = None;
        if enable_idempotence {
            let conflict = if r.int("retries") == 0 {
                Some((
                    "Must set retries to non-zero when using the idempotent producer.",
                    "Idempotence will be disabled because retries is set to 0.",
                ))
            } else if acks != Acks::All {
                Some((
                    "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
                    if acks == Acks::None {
                        "Idempotence will be disabled because acks is set to 0, not set to 'all'."
                    } else {
                        "Idempotence will be disabled because acks is set to 1, not set to 'all'."
                    },
                ))
            } else {
                None
            };
            // Kafka 4.x refuses this one even when idempotence is on only by default.
            let in_flight = r.int("max.in.flight.requests.per.connection");
            if in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE as i64 {
                return Err(FieldError::new(
                    format!("{path}.max.in.flight.requests.per.connection"),
                    format!("ConfigException: To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. Current value is {in_flight}."),
                ));
            }
            if let Some((error, warning)) = conflict {
                if explicit {
                    return Err(FieldError::new(
                        format!("{path}.enable.idempotence"),
                        format!("ConfigException: {error}"),
                    ));
                }
                enable_idempotence = false;
                idempotence_disabled_because = Some(warning);
            }
        }
        // Checked after idempotence, which may have been turned off above.
        let transactional_id = Some(r.text("transactional.id")).filter(|t| !t.is_empty());
        if transactional_id.is_some() && !enable_idempotence {
            return Err(FieldError::new(
                format!("{path}.transactional.id"),
                "ConfigException: Cannot set a transactional.id without also enabling idempotence.",
            ));
        }
        Ok(ProducerConfig {
            acks,
            linger_ms: r.int("linger.ms") as u64,
            batch_size_bytes: r.int("batch.size") as u32,
            max_in_flight_requests_per_connection: r.int("max.in.flight.requests.per.connection") as u32,
            max_request_size_bytes: r.int("max.request.size") as u64,
            buffer_memory_bytes: r.int("buffer.memory") as u64,
            max_block_ms: r.int("max.block.ms") as u64,
            request_timeout_ms: r.int("request.timeout.ms") as u64,
            retry_backoff_ms: r.int("retry.backoff.ms") as u64,
            metadata_max_age_ms: r.int("metadata.max.age.ms") as u64,
            delivery_timeout_ms: r.int("delivery.timeout.ms") as u64,
            retries: r.int("retries") as u32,
            retry_backoff_max_ms: r.int("retry.backoff.max.ms") as u64,
            enable_idempotence,
            idempotence_disabled_because,
            compression: crate::producer::compression::CompressionType::parse(&r.text("compression.type"))
                .unwrap_or(crate::producer::compression::CompressionType::None),
            partitioner_ignore_keys: r.bool("partitioner.ignore.keys"),
            partitioner_adaptive: r.bool("partitioner.adaptive.partitioning.enable"),
            transactional_id,
            transaction_timeout_ms: r.int("transaction.timeout.ms") as u64,
            client_id: if r.is_set("client.id") { r.text("client.id") } else { default_client_id.to_string() },
        })
    }
}

impl ProducerConfig {
    /// The wait before retry number `attempts` (1 for the first retry) of a failed batch:
    /// Kafka's `ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms, 0.2).backoff(attempts - 1)`
    /// (KIP-580), its jitter drawn from `rng`. See [`exponential_backoff_ms`].
    pub fn retry_backoff_ms_for(&self, attempts: u32, rng: &mut SimRng) -> u64 {
        exponential_backoff_ms(self.retry_backoff_ms, self.retry_backoff_max_ms, attempts.saturating_sub(1), rng)
    }
}

/// Kafka's `ExponentialBackoff.backoff(attempts)` with the clients' multiplier 2
/// (`CommonClientConfigs.RETRY_BACKOFF_EXP_BASE`) and jitter 0.2 (`RETRY_BACKOFF_JITTER`):
/// `exp = min(attempts, expMax)` where `expMax = ln(max / max(initial, 1)) / ln 2` (0 when
/// `max <= initial`), `term = initial * 2^exp`, times a random factor uniform in
/// `[0.8, 1.2)`, truncated to whole ms and capped at `max`; with `expMax` 0, `initial` as is. Logarithms go through `libm`
/// so that native and wasm agree bit for bit.
pub fn exponential_backoff_ms(initial_ms: u64, max_ms: u64, attempts: u32, rng: &mut SimRng) -> u64 {
    const MULTIPLIER: f64 = 2.0;
    const JITTER: f64 = 0.2;
    let exp_max = if max_ms > initial_ms {
        libm::log(max_ms as f64 / initial_ms.max(1) as f64) / libm::log(MULTIPLIER)
    } else {
        return initial_ms;
    };
    let exp = (attempts as f64).min(exp_max);
    let term = initial_ms as f64 * libm::pow(MULTIPLIER, exp);
    let factor = (1.0 - JITTER) + rng.unit_f64() * (2.0 * JITTER);
    let value = (factor * term) as u64;
    value.min(max_ms)
}

impl ProducerConfig {
    /// Every config of [`PRODUCER_CONFIGS`] with the value in effect, as Kafka prints it.
    pub fn effective(&self) -> Vec<(String, String)> {
        PRODUCER_CONFIGS
            .iter()
            .map(|d| {
                let v = match d.name {
                    "acks" => match self.acks {
                        Acks::None => "0".to_string(),
                        Acks::Leader => "1".to_string(),
                        Acks::All => "all".to_string(),
                    },
                    "linger.ms" => self.linger_ms.to_string(),
                    "batch.size" => self.batch_size_bytes.to_string(),
                    "max.in.flight.requests.per.connection" => self.max_in_flight_requests_per_connection.to_string(),
                    "max.request.size" => self.max_request_size_bytes.to_string(),
                    "buffer.memory" => self.buffer_memory_bytes.to_string(),
                    "max.block.ms" => self.max_block_ms.to_string(),
                    "metadata.max.age.ms" => self.metadata_max_age_ms.to_string(),
                    "request.timeout.ms" => self.request_timeout_ms.to_string(),
                    "retry.backoff.ms" => self.retry_backoff_ms.to_string(),
                    "retry.backoff.max.ms" => self.retry_backoff_max_ms.to_string(),
                    "enable.idempotence" => self.enable_idempotence.to_string(),
                    "delivery.timeout.ms" => self.delivery_timeout_ms.to_string(),
                    "retries" => self.retries.to_string(),
                    "client.id" => self.client_id.clone(),
                    "transactional.id" => self.transactional_id.clone().unwrap_or_default(),
                    "transaction.timeout.ms" => self.transaction_timeout_ms.to_string(),
                    "partitioner.ignore.keys" => self.partitioner_ignore_keys.to_string(),
                    "compression.type" => self.compression.name().to_string(),
                    "partitioner.adaptive.partitioning.enable" => self.partitioner_adaptive.to_string(),
                    other => unreachable!("producer config {other} has no field"),
                };
                (d.name.to_string(), v)
            })
            .collect()
    }
}
