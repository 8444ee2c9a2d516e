//! The producer's side of delivery: retries with exponential backoff, idempotence and its
//! configs, and the link faults that make retries happen. Each test shows one behaviour,
//! after the Java client (`Sender`, `RecordAccumulator`, `TransactionManager`,
//! `ProducerConfig`) and the broker's `ProducerStateManager`.

use serde_json::Value;
use streamlab_engine::command::TimedCommand;
use streamlab_engine::config::exponential_backoff_ms;
use streamlab_engine::sim::{SimRng, TraceCapacity};
use streamlab_engine::{Command, Scenario, SimTime, Simulation, TraceEvent};

fn scenario(seed: u64, configs: &[(&str, Value)]) -> Scenario {
    let mut s = Scenario::iot_default(seed, 3, 1);
    s.run_ms = 600_000;
    for (k, v) in configs {
        s.producers[0].configs.insert(k.to_string(), v.clone());
    }
    if let streamlab_engine::scenario::WorkloadSpec::Iot { limit, .. } = &mut s.producers[0].workload {
        *limit = Some(240);
    }
    s
}

fn drop_next_produce_response(s: &mut Scenario, at_ms: u64) {
    s.faults.push(TimedCommand {
        at_ms,
        command: Command::LinkFault {
            from: "broker-0".into(),
            to: "producer-1".into(),
            message: Some("ProduceResponse".into()),
            drop_rate: 1.0,
            duplicate_rate: 0.0,
            delay_ms: 0,
            count: Some(1),
        },
    });
}

fn run(s: Scenario) -> Simulation {
    let mut sim = Simulation::new(s).unwrap();
    sim.set_trace_capacity(TraceCapacity { recent: 1_000_000, info: 100_000 });
    assert!(sim.run_to_drain(SimTime(600_000)), "drains");
    sim
}

fn count(sim: &Simulation, kind: &str) -> u64 {
    sim.report().events[kind]
}

/// Kafka's `ExponentialBackoff(100, 2, 1000, 0.2)`: attempt n waits 100 * 2^n ms times a factor
/// in [0.8, 1.2), truncated, capped at 1000; `expMax` = log2(10), so from n = 4 the term is 1000.
#[test]
fn retry_backoff_is_the_clients_exponential_formula_with_seeded_jitter() {
    let mut rng = SimRng::new(42, 7);
    let mut same = SimRng::new(42, 7);
    for attempts in 0..8u32 {
        let got = exponential_backoff_ms(100, 1000, attempts, &mut rng);
        let factor = 0.8 + same.unit_f64() * 0.4;
        let term = 100.0 * 2f64.powf((attempts as f64).min(10f64.log2()));
        assert_eq!(got, ((factor * term) as u64).min(1000), "attempts {attempts}");
        let low = (0.8 * term) as u64;
        assert!(got >= low.min(1000) && got <= 1000, "attempts {attempts}: {got}");
    }
    // retry.backoff.ms >= retry.backoff.max.ms: a constant backoff, no jitter (expMax = 0).
    assert_eq!(exponential_backoff_ms(500, 200, 3, &mut rng), 500);
}

/// A batch retried again and again waits longer each time: after a broker crash, with one
/// request in flight the same batch fails again and again, and its backoffs grow by about 2x
/// up to retry.backoff.max.ms.
#[test]
fn a_retried_batch_backs_off_exponentially_up_to_retry_backoff_max_ms() {
    let mut s = scenario(3, &[("max.in.flight.requests.per.connection", Value::from(1))]);
    s.brokers = 3;
    s.topics[0].replication_factor = 3;
    s.faults.push(TimedCommand { at_ms: 5_000, command: Command::CrashBroker { broker: 0 } });
    let mut sim = Simulation::new(s).unwrap();
    sim.set_trace_capacity(TraceCapacity { recent: 1_000_000, info: 100_000 });
    sim.run_until(SimTime(14_000));
    let backoffs: Vec<u64> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::ProduceFailed { retry_backoff_ms: Some(ms), records: 1, .. } => Some(*ms),
            _ => None,
        })
        .collect();
    assert!(backoffs.len() >= 5, "{backoffs:?}");
    // The first batch's retries: attempts 1, 2, 3, ... wait backoff(0), backoff(1), ...
    let first: Vec<u64> = backoffs.iter().copied().take(5).collect();
    for (n, ms) in first.iter().enumerate() {
        let term = (100.0 * 2f64.powi(n as i32)).min(1000.0);
        assert!(
            (*ms as f64) >= (0.8 * term).floor().min(800.0) && *ms <= 1000,
            "retry {n}: {ms} ms not in [0.8, 1.2) x {term}"
        );
    }
    assert!(backoffs.iter().all(|&ms| ms <= 1000));
}

/// A dropped ProduceResponse: the producer times out (request.timeout.ms), closes the
/// connection and retries. Without idempotence the leader appends the batch again; with it
/// (Kafka 4.x's default) the leader finds the batch among the producer's last five and
/// answers with its first offset.
#[test]
fn a_lost_response_duplicates_the_retried_batch_only_without_idempotence() {
    for idempotent in [false, true] {
        let mut s = scenario(5, &[("enable.idempotence", Value::from(idempotent))]);
        drop_next_produce_response(&mut s, 10_000);
        let sim = run(s);
        let r = sim.report();
        assert_eq!(count(&sim, "message_dropped"), 1);
        assert_eq!((r.produced, r.acknowledged, r.failed), (240, 240, 0));
        let records: u64 = r.partitions.iter().map(|p| p.log_end_offset).sum();
        if idempotent {
            assert_eq!(r.log_duplicates, 0);
            assert_eq!(records, 240);
            assert!(count(&sim, "duplicate_batch") >= 1);
        } else {
            assert!(r.log_duplicates >= 1, "the retried batch was appended twice");
            assert_eq!(records, 240 + r.log_duplicates);
            assert_eq!(count(&sim, "duplicate_batch"), 0);
            // Each copy is a record of its own to a consumer: processed once by offset.
            assert_eq!(r.groups[0].outcome.processed_once, 240 + r.log_duplicates);
        }
        let timeouts = sim
            .trace()
            .iter()
            .filter(|e| matches!(&e.event, TraceEvent::ProduceFailed { error: "TimeoutException", .. }))
            .map(|e| e.time.0)
            .collect::<Vec<_>>();
        assert_eq!(timeouts.len(), 1, "one request timed out");
        assert!((40_000..40_100).contains(&timeouts[0]), "30 s after the drop: {timeouts:?}");
    }
}

/// Without idempotence, a retried batch goes back to the front of its queue while the batches
/// sent after it may already be appended: with several requests in flight the log holds a
/// key's records out of send order, and the group processes them so (`reordered`). With
/// idempotence, order holds.
#[test]
fn requests_lost_on_the_way_reorder_records_only_without_idempotence() {
    for idempotent in [false, true] {
        let mut reordered = 0;
        for seed in 1..=10 {
            let mut s = scenario(seed, &[("enable.idempotence", Value::from(idempotent))]);
            s.producers[0].configs.insert("linger.ms".into(), Value::from(0));
            s.faults.push(TimedCommand {
                at_ms: 0,
                command: Command::LinkFault {
                    from: "producer-1".into(),
                    to: "broker-0".into(),
                    message: Some("ProduceRequest".into()),
                    drop_rate: 0.05,
                    duplicate_rate: 0.0,
                    delay_ms: 0,
                    count: None,
                },
            });
            let sim = run(s);
            let r = sim.report();
            reordered += r.groups[0].outcome.reordered;
            if idempotent {
                assert_eq!(r.log_duplicates, 0, "seed {seed}");
            }
        }
        if idempotent {
            assert_eq!(reordered, 0);
        } else {
            assert!(reordered > 0, "some seed reorders");
        }
    }
}

fn config_error(configs: &[(&str, Value)]) -> String {
    Simulation::new(scenario(1, configs)).err().map(|e| e.to_string()).unwrap_or_default()
}

/// Kafka 4.x's `ProducerConfig.postProcessAndValidateIdempotenceConfigs`.
#[test]
fn idempotence_conflicts_are_config_exceptions_when_explicit_and_turn_it_off_when_implicit() {
    assert_eq!(
        config_error(&[("enable.idempotence", Value::from(true)), ("acks", Value::from("1"))]),
        "producers[0].configs.enable.idempotence: ConfigException: Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence."
    );
    assert_eq!(
        config_error(&[("enable.idempotence", Value::from(true)), ("retries", Value::from(0))]),
        "producers[0].configs.enable.idempotence: ConfigException: Must set retries to non-zero when using the idempotent producer."
    );
    assert_eq!(
        config_error(&[("max.in.flight.requests.per.connection", Value::from(6))]),
        "producers[0].configs.max.in.flight.requests.per.connection: ConfigException: To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. Current value is 6."
    );
    assert_eq!(
        config_error(&[
            ("max.in.flight.requests.per.connection", Value::from(6)),
            ("enable.idempotence", Value::from(false))
        ]),
        ""
    );
    // Implicit: acks=1 turns idempotence off, and the trace says why.
    let sim = run(scenario(1, &[("acks", Value::from("1"))]));
    assert_eq!(sim.producers().next().unwrap().producer_id(), None);
    let adjusted: Vec<String> = sim
        .trace()
        .iter()
        .filter(|e| matches!(e.event, TraceEvent::ProducerConfigAdjusted { .. }))
        .map(|e| e.event.line(sim.catalog()))
        .collect();
    assert_eq!(
        adjusted,
        ["[Producer clientId=producer-1] Idempotence will be disabled because acks is set to 1, not set to 'all'."]
    );
    // The default: a producer id, sequences per partition.
    let sim = run(scenario(1, &[]));
    let p = sim.producers().next().unwrap();
    assert_eq!(p.producer_id(), Some((0, 0)));
    assert_eq!(p.next_sequences().iter().map(|&s| s as u64).sum::<u64>(), 240);
}

/// `"defaults": "legacy"`: acks=1, enable.idempotence=false, linger.ms=0, each still settable.
#[test]
fn legacy_defaults_are_the_pre_4_0_ones() {
    let mut s = scenario(1, &[]);
    s.producers[0].defaults = streamlab_engine::config::ProducerDefaults::Legacy;
    let sim = run(s.clone());
    let p = sim.producers().next().unwrap();
    assert_eq!(p.producer_id(), None);
    assert_eq!((p.config.acks, p.config.linger_ms), (streamlab_engine::config::Acks::Leader, 0));
    assert_eq!(count(&sim, "producer_config_adjusted"), 0, "legacy sets idempotence off, nothing to adjust");
    s.producers[0].configs.insert("acks".into(), Value::from("all"));
    let sim = run(s);
    assert_eq!(sim.producers().next().unwrap().config.acks, streamlab_engine::config::Acks::All);
}

/// Link faults are checked whole: a bad one is refused with the field, the range and the value.
#[test]
fn link_faults_are_validated() {
    let mut sim = Simulation::new(scenario(1, &[])).unwrap();
    let fault = |from: &str, message: Option<&str>, drop_rate: f64, count: Option<u32>| Command::LinkFault {
        from: from.into(),
        to: "producers".into(),
        message: message.map(String::from),
        drop_rate,
        duplicate_rate: 0.0,
        delay_ms: 0,
        count,
    };
    let err = |sim: &mut Simulation, c| sim.apply(c).unwrap_err().to_string();
    assert_eq!(err(&mut sim, fault("broker-0", None, 1.5, None)), "drop_rate: must be between 0 and 1, got 1.5");
    assert_eq!(err(&mut sim, fault("broker-0", None, 0.5, Some(0))), "count: must be between 1 and 1000000, got 0");
    assert!(err(&mut sim, fault("broker-0", Some("ProduceReply"), 0.5, None))
        .starts_with("message: must be a protocol message (ProduceRequest, ProduceResponse,"));
    assert!(err(&mut sim, fault("broker-9", None, 0.5, None)).starts_with("from: no node named \"broker-9\""));
    let mut s = scenario(1, &[]);
    s.faults.push(TimedCommand { at_ms: 1, command: fault("brokers", None, -0.1, None) });
    assert_eq!(
        Simulation::new(s).err().unwrap().to_string(),
        "faults[0].command.drop_rate: must be between 0 and 1, got -0.1"
    );
    // A duplicated request without idempotence appends twice.
    let mut s = scenario(2, &[("enable.idempotence", Value::from(false))]);
    s.faults.push(TimedCommand {
        at_ms: 10_000,
        command: Command::LinkFault {
            from: "producers".into(),
            to: "brokers".into(),
            message: Some("ProduceRequest".into()),
            drop_rate: 0.0,
            duplicate_rate: 1.0,
            delay_ms: 0,
            count: Some(1),
        },
    });
    let sim = run(s);
    assert_eq!(count(&sim, "message_duplicated"), 1);
    assert!(sim.report().log_duplicates >= 1);
}

/// `partitioner.ignore.keys=true`: keyed records take the sticky partitioner's path (KIP-794):
/// one partition takes records until `batch.size` bytes went to it, then a random one is
/// picked. Every partition gets records, and a key's records spread over several.
#[test]
fn ignoring_keys_spreads_a_keys_records_over_sticky_partitions() {
    let mut s = scenario(4, &[("partitioner.ignore.keys", Value::from(true)), ("batch.size", Value::from(2000))]);
    s.topics[0].partitions = 4;
    let sim = run(s);
    let r = sim.report();
    assert_eq!(r.produced, 240);
    assert!(r.partitions.iter().all(|p| p.log_end_offset > 0), "{:?}", r.partitions);
    let tp = |p| streamlab_engine::TopicPartition::new(streamlab_engine::TopicId(0), p);
    // Records in send order, with their partition: runs of one partition, each at least
    // batch.size bytes but for the last (the sticky partition switches only then).
    let mut placed: Vec<(u64, u32)> = vec![];
    for p in 0..4 {
        let log = sim.log(tp(p)).unwrap();
        placed.extend(log.record_ids_from(streamlab_engine::Offset(0)).map(|id| (id.0, p)));
    }
    placed.sort();
    let size = sim.log(tp(0)).unwrap().bytes() / sim.log(tp(0)).unwrap().log_end_offset().0;
    let mut runs: Vec<(u32, u64)> = vec![];
    for (_, p) in &placed {
        match runs.last_mut() {
            Some((q, n)) if q == p => *n += 1,
            _ => runs.push((*p, 1)),
        }
    }
    assert!(runs.len() > 4, "the sticky partition switched: {runs:?}");
    for (p, n) in &runs[..runs.len() - 1] {
        assert!(n * size >= 2000, "a run on partition {p} of {n} records of {size} bytes is under batch.size");
    }
    let mut partitions_of_key = std::collections::BTreeMap::<u32, std::collections::BTreeSet<u32>>::new();
    for p in 0..4 {
        let log = sim.log(tp(p)).unwrap();
        for r in log.read(streamlab_engine::Offset(0), log.log_end_offset(), u64::MAX) {
            partitions_of_key.entry(r.key.unwrap().0).or_default().insert(p);
        }
    }
    assert!(partitions_of_key.values().any(|ps| ps.len() > 1), "a key's records landed on several partitions");
}

/// `max.block.ms`: while `buffer.memory` is full (the only broker is down, nothing is
/// acknowledged), `send()` blocks; a record still blocked after `max.block.ms` fails with a
/// `TimeoutException` and the application goes on with the next.
#[test]
fn send_fails_after_blocking_max_block_ms_on_a_full_buffer() {
    let mut s = scenario(1, &[("buffer.memory", Value::from(3000)), ("max.block.ms", Value::from(2000))]);
    s.faults.push(TimedCommand { at_ms: 5_000, command: Command::CrashBroker { broker: 0 } });
    let mut sim = Simulation::new(s).unwrap();
    sim.set_trace_capacity(TraceCapacity { recent: 1_000_000, info: 100_000 });
    sim.run_until(SimTime(30_000));
    let failures: Vec<(u64, u32)> = sim
        .trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::SendFailed { records, max_block_ms: 2000, .. } => Some((e.time.0, *records)),
            _ => None,
        })
        .collect();
    assert!(!failures.is_empty());
    assert!(failures[0].0 >= 7_000, "not before the buffer has been full for max.block.ms: {failures:?}");
    let failed: u64 = failures.iter().map(|(_, n)| *n as u64).sum();
    assert_eq!(sim.report().failed, failed, "no batch expired yet: the failures are send()'s");
    let line = sim.trace().iter().find(|e| matches!(e.event, TraceEvent::SendFailed { .. })).unwrap();
    assert!(line.event.line(sim.catalog()).ends_with(
        "failed: TimeoutException: Failed to allocate memory within the configured max blocking time 2000 ms."
    ));
}

/// The producer panel lists every producer config with its value in effect.
#[test]
fn every_producer_config_has_a_value_in_effect() {
    let config = streamlab_engine::config::ProducerConfig::from_map(
        "configs",
        &Default::default(),
        "producer-1",
        Default::default(),
    )
    .unwrap();
    let effective = config.effective();
    let names: Vec<&str> = effective.iter().map(|(k, _)| k.as_str()).collect();
    let defs: Vec<&str> = streamlab_engine::config::PRODUCER_CONFIGS.iter().map(|d| d.name).collect();
    assert_eq!(names, defs);
    for ((k, v), d) in effective.iter().zip(streamlab_engine::config::PRODUCER_CONFIGS) {
        if k != "client.id" {
            assert_eq!(v, d.default, "{k}: the default in effect");
        }
    }
}

/// `compression.type`: the real codecs shrink each batch on the wire and in the log, and the
/// producer's estimated ratio (from 1, improving by 0.005 a batch) lets more records fill a
/// `batch.size`: batches filled by size become fewer and fuller.
#[test]
fn compression_shrinks_the_log_and_fills_batches_with_more_records() {
    let run_with = |codec: &str| {
        let configs = [
            ("compression.type", Value::from(codec)),
            ("linger.ms", Value::from(1000)),
            ("batch.size", Value::from(4096)),
        ];
        let mut s = scenario(1, &configs);
        s.topics[0].partitions = 1;
        s.producers[0].workload = streamlab_engine::scenario::WorkloadSpec::iot(2000, 1000, Some(20_000));
        let sim = run(s);
        let log = sim.log(streamlab_engine::TopicPartition::new(streamlab_engine::TopicId(0), 0)).unwrap();
        let p = sim.producers().next().unwrap();
        (log.log_end_offset().0, log.bytes(), p.stats.batches_sent, p.last_compression_ratio())
    };
    let (records, plain_bytes, plain_batches, none_ratio) = run_with("none");
    assert_eq!((records, none_ratio), (20_000, None));
    for codec in ["gzip", "snappy", "lz4", "zstd"] {
        let (records, bytes, batches, ratio) = run_with(codec);
        let ratio = ratio.unwrap_or_else(|| panic!("{codec}: a ratio"));
        assert_eq!(records, 20_000, "{codec}");
        assert!(ratio > 0.05 && ratio < 1.0, "{codec}: ratio {ratio}");
        assert!(bytes < plain_bytes * 9 / 10, "{codec}: {bytes} bytes against {plain_bytes}");
        assert!(batches < plain_batches, "{codec}: {batches} batches against {plain_batches}");
    }
}

/// A record that names its partition (`ProducerRecord(topic, partition, key, value)`) goes there,
/// whatever its key; a partition the topic does not have is refused with the range.
#[test]
fn an_explicit_partition_overrides_the_partitioner() {
    let mut s = scenario(2, &[]);
    s.producers[0].partition = Some(2);
    let sim = run(s);
    let report = sim.report();
    let ends: Vec<u64> = report.partitions.iter().map(|p| p.log_end_offset).collect();
    assert_eq!(ends, vec![0, 0, 240], "every record in partition 2");

    let mut s = scenario(2, &[]);
    s.producers[0].partition = Some(3);
    let e = Simulation::new(s).unwrap_err().to_string();
    assert!(e.contains("producers[0].partition") && e.contains('3'), "{e}");
}
