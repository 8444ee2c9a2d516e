//! Export to a real Kafka cluster: for a scenario, the `kafka-topics.sh --create` commands with
//! its topic configs, a `producer.properties` and a `consumer.properties` with its settings, and
//! each producer's records as `key<TAB>value` lines in send order, which
//! `kafka-console-producer.sh --property parse.key=true` sends (its default `key.separator` is a
//! tab, `LineMessageReader`). A learner replays an exercise on a real cluster with them.

use crate::config::{ConfigDef, BROKER_CONFIGS, CONSUMER_CONFIGS, PRODUCER_CONFIGS};
use crate::consumer::CommitMode;
use crate::scenario::{Scenario, ScenarioError, WorkloadSpec};
use crate::simulation::Datasets;
use crate::workload::{Due, KeyTable, Workload};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The most records exported per producer unless asked otherwise.
pub const DEFAULT_MAX_RECORDS: u64 = 1_000_000;

/// One file of an export: its name and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub name: String,
    pub contents: String,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `key=value` lines for every config of `defs`: the scenario's value where it sets one, else
/// Kafka's default (so that the real client runs exactly the simulated settings).
fn properties(out: &mut String, defs: &[ConfigDef], set: &BTreeMap<String, Value>, skip: &[&str]) {
    for d in defs.iter().filter(|d| !skip.contains(&d.name)) {
        let v = set.get(d.name).map_or_else(|| d.default.to_string(), text);
        let _ = writeln!(out, "{}={v}", d.name);
    }
}

/// A value as one line of a records file: no tab (the key separator) and no line break.
fn one_line(s: &str) -> String {
    s.replace(['\t', '\r', '\n'], " ")
}

/// The export of `scenario`: `create-topics.sh`, `producer.properties` (`producer-N.properties`
/// with several producers), `consumer.properties` (`consumer-<group>.properties` with several
/// groups), `records-<topic>.txt` per producer (`records-<topic>-N.txt` when several write one
/// topic), and `replay.sh`, which runs them. At most `max_records` records per producer: an IoT
/// workload's records due by `run_ms`, a taxi or bids workload's rows in file order (rows
/// that do not parse are not sent, as in the simulation), a flood workload's records.
pub fn export(scenario: &Scenario, data: &Datasets, max_records: u64) -> Result<Vec<ExportFile>, ScenarioError> {
    let valid = scenario.validate()?;
    let s = &valid.scenario;
    let mut files = vec![];

    let mut topics = String::from(
        "#!/bin/sh\n# Creates the scenario's topics. BOOTSTRAP defaults to localhost:9092.\nset -e\nB=\"${BOOTSTRAP:-localhost:9092}\"\n",
    );
    if !s.broker_configs.is_empty() {
        topics.push_str("# Broker settings of the scenario (server.properties, before the brokers start):\n");
        for d in BROKER_CONFIGS {
            if let Some(v) = s.broker_configs.get(d.name) {
                let _ = writeln!(topics, "#   {}={}", d.name, text(v));
            }
        }
    }
    for t in &s.topics {
        let _ = write!(
            topics,
            "kafka-topics.sh --bootstrap-server \"$B\" --create --topic {} --partitions {} --replication-factor {}",
            t.name, t.partitions, t.replication_factor
        );
        for (k, v) in &t.configs {
            let _ = write!(topics, " --config {k}={}", text(v));
        }
        topics.push('\n');
    }
    files.push(ExportFile { name: "create-topics.sh".into(), contents: topics });

    let numbered = |base: &str, i: usize, n: usize| {
        if n == 1 {
            format!("{base}.properties")
        } else {
            format!("{base}-{}.properties", i + 1)
        }
    };
    let mut replay = String::from(
        "#!/bin/sh\n# Replays the scenario on a real Kafka cluster: creates its topics, then sends each\n# producer's records in order. BOOTSTRAP defaults to localhost:9092.\nset -e\nB=\"${BOOTSTRAP:-localhost:9092}\"\ncd \"$(dirname \"$0\")\"\nsh create-topics.sh\n",
    );
    let mut record_files: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &s.producers {
        *record_files.entry(p.topic.as_str()).or_default() += 1;
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, p) in s.producers.iter().enumerate() {
        let name = numbered("producer", i, s.producers.len());
        let mut props = format!(
            "# Producer {} of the scenario, writing to {}.\nbootstrap.servers=localhost:9092\n",
            i + 1,
            p.topic
        );
        properties(&mut props, PRODUCER_CONFIGS, &p.configs, &["client.id"]);
        let _ = writeln!(props, "client.id={}", valid.producer_configs[i].client_id);
        files.push(ExportFile { name: name.clone(), contents: props });

        let n = seen.entry(p.topic.as_str()).or_default();
        *n += 1;
        let records_name = if record_files[p.topic.as_str()] == 1 {
            format!("records-{}.txt", p.topic)
        } else {
            format!("records-{}-{n}.txt", p.topic)
        };
        let contents = records(&p.workload, s.run_ms, data, max_records)?;
        let _ = writeln!(
            replay,
            "kafka-console-producer.sh --bootstrap-server \"$B\" --topic {} --producer.config {name} --property parse.key=true < {records_name}",
            p.topic
        );
        files.push(ExportFile { name: records_name, contents });
    }
    for (i, g) in s.consumer_groups.iter().enumerate() {
        let name = if s.consumer_groups.len() == 1 {
            "consumer.properties".to_string()
        } else {
            format!("consumer-{}.properties", g.group_id)
        };
        let mut props = format!(
            "# Consumer group {} of the scenario: {} consumers subscribed to {}.\n# The application commits {}; it works {} ms per record.\nbootstrap.servers=localhost:9092\ngroup.id={}\n",
            g.group_id,
            g.members,
            g.topics.join(", "),
            match g.commit_mode {
                CommitMode::Auto => "automatically (enable.auto.commit=true)",
                CommitMode::AfterProcessing => "with commitSync() after processing each poll's records",
                CommitMode::BeforeProcessing => "with commitSync() right after poll(), before processing",
                CommitMode::AfterProcessingAsync => "with commitAsync() after processing each poll's records",
            },
            g.processing_ms_per_record,
            g.group_id
        );
        let mut configs = g.configs.clone();
        configs.insert("enable.auto.commit".into(), Value::Bool(valid.consumer_configs[i].enable_auto_commit));
        properties(&mut props, CONSUMER_CONFIGS, &configs, &[]);
        let _ = writeln!(
            replay,
            "# Group {}: kafka-console-consumer.sh --bootstrap-server \"$B\" --topic {} --consumer.config {name} --property print.key=true --property print.partition=true --property print.offset=true",
            g.group_id, g.topics[0]
        );
        files.push(ExportFile { name, contents: props });
    }
    files.push(ExportFile { name: "replay.sh".into(), contents: replay });
    Ok(files)
}

/// A workload's records as `key<TAB>value` lines in send order, at most `max` of them: those
/// the simulation's own [`Workload`] sends by `run_ms`.
fn records(spec: &WorkloadSpec, run_ms: u64, data: &Datasets, max: u64) -> Result<String, ScenarioError> {
    let mut keys = KeyTable::default();
    let (workload, table) = Workload::build(spec, data, &mut keys, "data")?;
    // A table's k-th record is its k-th row: its value is the row as the CSV has it.
    let rows: Vec<&str> = spec.data_file().and_then(|f| data.get(f)).map_or(vec![], |csv| csv.lines().collect());
    let mut out = String::new();
    for k in 0..max {
        let Some((due, e)) = workload.record(k) else { break };
        if matches!(due, Due::At(at) if at > run_ms) {
            break;
        }
        let key = keys.name(e.key);
        let _ = match (&table, spec) {
            (Some(t), _) => {
                let row = rows.get(t.lines[k as usize] as usize - 1).copied().unwrap_or_default();
                writeln!(out, "{}\t{}", one_line(key), one_line(row))
            }
            (None, WorkloadSpec::Flood { value_bytes, .. }) => {
                writeln!(out, "{key}\t{}", "x".repeat(*value_bytes as usize))
            }
            // IoT: a small JSON reading stamped with its time.
            (None, _) => writeln!(out, "{key}\t{{\"device\":\"{key}\",\"timestamp_ms\":{}}}", e.timestamp_ms),
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Preset;

    #[test]
    fn iot_records_are_the_ones_a_run_sends() {
        let s = Scenario::preset(Preset::Iot, 42, 6, 3);
        let files = export(&s, &Datasets::default(), DEFAULT_MAX_RECORDS).unwrap();
        let records = &files.iter().find(|f| f.name == "records-readings.txt").unwrap().contents;
        let mut sim = crate::Simulation::new(s).unwrap();
        sim.run();
        assert_eq!(records.lines().count() as u64, sim.report().produced);
        assert_eq!(records.lines().next(), Some("sensor-00\t{\"device\":\"sensor-00\",\"timestamp_ms\":0}"));
    }
}
