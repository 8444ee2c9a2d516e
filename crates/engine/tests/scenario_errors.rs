//! Malformed, out-of-range and hostile scenarios: each is refused with an error that names the
//! field path, the allowed range and the value, and nothing panics.

use streamlab_engine::{Scenario, Simulation};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// A valid scenario with `patch` merged into it (JSON merge: objects merge, other values replace).
fn patched(patch: serde_json::Value) -> String {
    let mut base = serde_json::to_value(Scenario::iot_default(1, 4, 2)).unwrap();
    merge(&mut base, patch);
    base.to_string()
}

fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, p) => *b = p,
    }
}

/// Parse and build; the error as text.
fn error_of(json: &str) -> String {
    match Scenario::from_json(json).and_then(Simulation::new) {
        Ok(_) => panic!("accepted: {}", &json[..json.len().min(300)]),
        Err(e) => e.to_string(),
    }
}

fn topic(fields: serde_json::Value) -> serde_json::Value {
    let mut t = serde_json::json!({"name": "readings", "partitions": 4});
    merge(&mut t, fields);
    serde_json::json!({ "topics": [t] })
}

macro_rules! case {
    ($name:ident, $json:expr, $expected:expr) => {
        #[cfg_attr(not(target_arch = "wasm32"), test)]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn $name() {
            assert_eq!(error_of(&$json), $expected);
        }
    };
}

case!(
    zero_partitions,
    patched(topic(serde_json::json!({"partitions": 0}))),
    "topics[0].partitions: must be between 1 and 1024, got 0"
);
case!(
    too_many_partitions,
    patched(topic(serde_json::json!({"partitions": 5000}))),
    "topics[0].partitions: must be between 1 and 1024, got 5000"
);
case!(
    partitions_not_a_number,
    r#"{"topics":[{"name":"t","partitions":"six"}]}"#,
    "topics[0].partitions: invalid type: string \"six\", expected u32 at line 1 column 41"
);
case!(
    partitions_overflow_u32,
    r#"{"topics":[{"name":"t","partitions":99999999999}]}"#,
    "topics[0].partitions: invalid value: integer `99999999999`, expected u32 at line 1 column 47"
);
case!(
    negative_seed,
    r#"{"seed":-1,"topics":[]}"#,
    "seed: invalid value: integer `-1`, expected u64 at line 1 column 10"
);
case!(
    unknown_top_level_field,
    r#"{"brokerz":3,"topics":[]}"#,
    "brokerz: unknown field `brokerz`, expected one of `seed`, `run_ms`, `network`, `brokers`, `broker_configs`, `topics`, `producers`, `consumer_groups`, `faults` at line 1 column 10"
);
case!(
    unknown_topic_field,
    r#"{"topics":[{"name":"t","partitions":1,"retention":5}]}"#,
    "topics[0].retention: unknown field `retention`, expected one of `name`, `partitions`, `replication_factor`, `configs` at line 1 column 49"
);
case!(missing_topics, r#"{"seed":1}"#, "scenario: missing field `topics` at line 1 column 10");
case!(no_topics, r#"{"topics":[]}"#, "topics: must list between 1 and 16 topics, got 0");
case!(
    replication_factor_above_brokers,
    patched(topic(serde_json::json!({"replication_factor": 3}))),
    "topics[0].replication_factor: InvalidReplicationFactorException: Replication factor: 3 larger than available brokers: 1 (must be between 1 and 1)"
);
case!(
    min_insync_replicas_above_replication_factor,
    patched(serde_json::json!({"brokers": 3, "topics": [{"name": "readings", "partitions": 1, "replication_factor": 2, "configs": {"min.insync.replicas": 3}}]})),
    "topics[0].configs.min.insync.replicas: InvalidConfigurationException: min.insync.replicas 3 cannot be greater than the replication factor 2"
);
case!(
    negative_retention_ms,
    patched(topic(serde_json::json!({"configs": {"retention.ms": -5}}))),
    "topics[0].configs.retention.ms: InvalidConfigurationException: must be -1 (unlimited) or at least 0, got -5"
);
case!(
    offsets_topic_replication_factor_above_brokers,
    patched(serde_json::json!({"broker_configs": {"offsets.topic.replication.factor": 3}})),
    "broker_configs.offsets.topic.replication.factor: InvalidReplicationFactorException: Replication factor: 3 larger than available brokers: 1 (must be between 1 and 1)"
);
case!(
    fault_on_a_broker_that_does_not_exist,
    patched(serde_json::json!({"faults": [{"at_ms": 1000, "command": {"type": "crash_broker", "broker": 4}}]})),
    "faults[0].command.broker: must be between 0 and 0, got 4"
);
case!(
    illegal_topic_name,
    patched(topic(serde_json::json!({"name": "my topic"}))),
    "topics[0].name: must contain only ASCII letters, digits, '.', '_' and '-', got ' ' in \"my topic\""
);
case!(
    duplicate_topic,
    r#"{"topics":[{"name":"a","partitions":1},{"name":"a","partitions":2}]}"#,
    "topics[1].name: must be unique, but \"a\" is already defined"
);
case!(
    unknown_producer_config,
    patched(serde_json::json!({"producers":[{"topic":"readings","configs":{"lingerms":5},"workload":{"type":"iot"}}]})),
    "producers[0].configs.lingerms: unknown producer config (the simulated producer configs are: acks, linger.ms, batch.size, max.in.flight.requests.per.connection, max.request.size, buffer.memory, max.block.ms, metadata.max.age.ms, request.timeout.ms, retry.backoff.ms, retry.backoff.max.ms, enable.idempotence, delivery.timeout.ms, retries, compression.type, partitioner.ignore.keys, partitioner.adaptive.partitioning.enable, transactional.id, transaction.timeout.ms, client.id)"
);
case!(
    bad_acks,
    patched(serde_json::json!({"producers":[{"topic":"readings","configs":{"acks":"2"},"workload":{"type":"iot"}}]})),
    "producers[0].configs.acks: must be one of all, -1, 0, 1, got \"2\""
);
case!(
    negative_linger,
    patched(
        serde_json::json!({"producers":[{"topic":"readings","configs":{"linger.ms":-5},"workload":{"type":"iot"}}]})
    ),
    "producers[0].configs.linger.ms: must be an integer between 0 and 3600000, got -5"
);
case!(
    producer_to_unknown_topic,
    patched(serde_json::json!({"producers":[{"topic":"nope","workload":{"type":"iot"}}]})),
    "producers[0].topic: must name a topic of this scenario (readings), got \"nope\""
);
case!(
    unknown_workload_type,
    patched(serde_json::json!({"producers":[{"topic":"readings","workload":{"type":"stocks"}}]})),
    "producers[0].workload.type: unknown variant `stocks`, expected one of `iot`, `flood`, `taxi`, `bids` at line 1 column 422"
);
case!(
    zero_interval,
    patched(serde_json::json!({"producers":[{"topic":"readings","workload":{"type":"iot","interval_ms":0}}]})),
    "producers[0].workload.interval_ms: must be between 1 and 3600000, got 0"
);
case!(
    heartbeat_not_below_session,
    patched(
        serde_json::json!({"consumer_groups":[{"group_id":"g","topics":["readings"],"configs":{"session.timeout.ms":10000,"heartbeat.interval.ms":10000}}]})
    ),
    "consumer_groups[0].configs.heartbeat.interval.ms: must be lower than session.timeout.ms (10000), got 10000"
);
case!(
    session_timeout_below_broker_minimum,
    patched(serde_json::json!({"consumer_groups":[{"group_id":"g","topics":["readings"],"configs":{"session.timeout.ms":1000,"heartbeat.interval.ms":100}}]})),
    "consumer_groups[0].configs.session.timeout.ms: must be between group.min.session.timeout.ms (6000) and group.max.session.timeout.ms (1800000), got 1000 (the broker would answer InvalidSessionTimeoutException)"
);
case!(
    too_many_members,
    patched(serde_json::json!({"consumer_groups":[{"group_id":"g","topics":["readings"],"members":65}]})),
    "consumer_groups[0].members: must be between 0 and 64, got 65"
);
case!(
    bad_auto_offset_reset,
    patched(
        serde_json::json!({"consumer_groups":[{"group_id":"g","topics":["readings"],"configs":{"auto.offset.reset":"smallest"}}]})
    ),
    "consumer_groups[0].configs.auto.offset.reset: must be one of latest, earliest, none, got \"smallest\""
);
case!(
    assignor_short_name,
    patched(
        serde_json::json!({"consumer_groups":[{"group_id":"g","topics":["readings"],"configs":{"partition.assignment.strategy":"range"}}]})
    ),
    "consumer_groups[0].configs.partition.assignment.strategy: must be a comma-separated list of one or more of org.apache.kafka.clients.consumer.RangeAssignor, org.apache.kafka.clients.consumer.RoundRobinAssignor, org.apache.kafka.clients.consumer.StickyAssignor, org.apache.kafka.clients.consumer.CooperativeStickyAssignor, got \"range\""
);
case!(
    network_mean_below_min,
    patched(serde_json::json!({"network":{"min_ms":10,"mean_ms":5,"jitter_ms":0}})),
    "network.mean_ms: must be between 10 and 60000, got 5"
);
case!(too_many_brokers, patched(serde_json::json!({"brokers": 100})), "brokers: must be between 1 and 16, got 100");
case!(run_forever, patched(serde_json::json!({"run_ms": 0})), "run_ms: must be between 1 and 604800000, got 0");
case!(not_json, "topics: [", "scenario: expected ident at line 1 column 2");
case!(truncated, r#"{"topics":[{"name":"t","#, "topics[0]: EOF while parsing a value at line 1 column 23");
case!(
    deep_nesting,
    format!(
        "{{\"topics\":[{{\"name\":\"t\",\"partitions\":1,\"configs\":{{\"x\":{}{}}}}}]}}",
        "[".repeat(500),
        "]".repeat(500)
    ),
    "topics[0].configs.x[0][0][0][0][0][0][0][0][0][0][0][0][0][0…: recursion limit exceeded at line 1 column 177"
);
case!(
    fifty_megabytes,
    format!("{{\"topics\":[],\"pad\":\"{}\"}}", "x".repeat(50 << 20)),
    "scenario: must be at most 1048576 bytes of JSON, got 52428822 bytes"
);

/// Random byte-level damage to a valid scenario never panics: it parses, or it is refused with
/// a path. Prints the seed of a failure.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn random_damage_never_panics() {
    let valid = Scenario::iot_default(3, 4, 2).to_json_pretty();
    for seed in 0..300u64 {
        let mut rng = streamlab_engine::sim::SimRng::new(seed, 99);
        let mut bytes = valid.clone().into_bytes();
        for _ in 0..1 + rng.range_inclusive(0, 4) {
            let i = rng.range_inclusive(0, bytes.len() as u64 - 1) as usize;
            let b = b"0123456789{}[]\",:-e. xz"[rng.range_inclusive(0, 22) as usize];
            bytes[i] = b;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let outcome = std::panic::catch_unwind(|| {
            if let Ok(mut sim) = Scenario::from_json(&text).and_then(Simulation::new) {
                sim.run_until(streamlab_engine::SimTime(2_000));
            }
        });
        assert!(outcome.is_ok(), "seed {seed} panicked on: {text}");
    }
}
case!(
    hopping_advance_beyond_size,
    patched(
        serde_json::json!({"consumer_groups":[{"group_id":"g","topics":["readings"],"windows":{"type":"hopping","size_ms":1000,"advance_ms":2000}}]})
    ),
    "consumer_groups[0].windows.advance_ms: must be 1 to 1000, got 2000"
);
case!(
    hopping_without_advance,
    patched(
        serde_json::json!({"consumer_groups":[{"group_id":"g","topics":["readings"],"windows":{"type":"hopping","size_ms":1000}}]})
    ),
    "consumer_groups[0].windows.advance_ms: is required for hopping windows"
);
case!(
    sliding_with_a_size,
    patched(
        serde_json::json!({"consumer_groups":[{"group_id":"g","topics":["readings"],"windows":{"type":"sliding","size_ms":1000,"time_difference_ms":500}}]})
    ),
    "consumer_groups[0].windows.size_ms: does not apply to sliding windows"
);
case!(
    unknown_window_type,
    patched(serde_json::json!({"consumer_groups":[{"group_id":"g","topics":["readings"],"windows":{"type":"global","size_ms":1000}}]})),
    "consumer_groups[0].windows.type: unknown variant `global`, expected one of `tumbling`, `hopping`, `sliding`, `session` at line 1 column 131"
);
