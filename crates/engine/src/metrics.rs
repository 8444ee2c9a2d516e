//! Metrics: the numbers of a [`Report`] by path (`groups.g1.lost`, `topics.readings.records`,
//! `events.consumer_crashed`), what exercise goals test. Every path follows one of the
//! [`METRICS`] patterns, which `docs/exercises.md` lists (a test keeps the two the same).

use crate::report::Report;
use crate::sim::TraceEvent;
use std::collections::BTreeMap;

/// Every metric path pattern with its meaning. A `<placeholder>` stands for a name of the run:
/// `<topic>` a topic, `<partition>` a partition (`readings-0`), `<group_id>` a consumer group,
/// `<kind>` a trace event kind (one of [`TraceEvent::KINDS`]). Flags are 1 (true) or 0 (false).
pub const METRICS: &[(&str, &str)] = &[
    ("end_ms", "simulated time now, ms"),
    ("run_ms", "the scenario's `run_ms`: where the run stops at the latest, ms"),
    ("finished", "1 once the run has ended: it drained, or `end_ms` reached `run_ms`"),
    ("drained", "1 when every record was produced, processed and committed"),
    ("produced", "records the producers' applications sent"),
    ("acknowledged", "records whose batch a leader acknowledged"),
    (
        "acknowledged_lost",
        "records acknowledged to a producer, then gone from the log (a leader failed before its followers copied them)",
    ),
    ("failed", "records whose send failed for good (a fatal error, or `delivery.timeout.ms` passed)"),
    (
        "log_duplicates",
        "extra copies of records in the logs of the producers' topics: a retry appended a batch the leader already had (idempotence off)",
    ),
    ("late", "records the windowed group dropped as late: no window took them, every one of theirs had closed (see docs/streams.md)"),
    ("dead_letters", "input rows that could not be read"),
    (
        "dedupe.disagreements",
        "ids (within their horizon) whose first record by processing order is not the earliest by event time, in the first deduping group",
    ),
    ("dedupe.repeats", "records the first deduping group dropped as repeats of an id already kept"),
    ("windows.count", "windows of the first windowed group"),
    ("windows.closed", "of those, windows whose task's stream time passed end + grace"),
    ("windows.skipped", "windows that skipped a record because they had closed (Kafka Streams' `dropped-records-total`)"),
    (
        "windows.emitted",
        "results sent downstream: every window update under `on_window_update`, one per closed window under `on_window_close`",
    ),
    (
        "windows.watermark_held",
        "1 while a partition with no record yet (and not idle) holds the Flink / Beam-style watermark back",
    ),
    (
        "windows.per_record",
        "Σ over the windows of their record count ÷ records taken: 1 for tumbling windows and sessions, size ÷ advance for hopping ones",
    ),
    (
        "windows.records",
        "Σ over the windows of their record count: each record once per window that took it, and again if processed again into it",
    ),
    (
        "store.restores",
        "task restores of the first windowed group's store from its changelog: one each time a member gets a task (`windows.changelog`)",
    ),
    ("store.restored_records", "changelog records those restores read"),
    ("store.changelog_records", "changelog records the members wrote: one per key a processed batch changed"),
    ("pipeline.filtered", "records the first windowed group's filter steps dropped"),
    ("pipeline.alerts", "times a key's aggregate rose above the pipeline's `alert_above`"),
    (
        "sink.writes",
        "rows written to the sink table: append, each window once when it closes; update, each window once per trigger that changed it; complete, every window at every trigger",
    ),
    ("sink.rows", "rows the sink table holds: append, the closed windows; update and complete, every window"),
    ("sink.open_rows", "of those, rows of windows still open, whose value may still change"),
    ("topics.<topic>.partitions", "the topic's partition count"),
    ("topics.<topic>.records", "records in all its partitions"),
    ("topics.<topic>.partitions_empty", "its partitions holding no record"),
    ("topics.<topic>.max_partition_share", "the fullest partition's share of its records, 0 to 1"),
    ("partitions.<partition>.log_end_offset", "the partition's log end offset"),
    ("partitions.<partition>.high_watermark", "the partition's high watermark"),
    ("partitions.<partition>.log_start_offset", "the partition's log start offset (retention moves it up)"),
    ("partitions.<partition>.leader_epoch", "the partition's leader epoch: elections so far"),
    ("partitions.<partition>.isr", "replicas in the partition's ISR"),
    ("partitions.<partition>.offline", "1 while the partition has no leader"),
    ("groups.<group_id>.generation", "the group's generation id"),
    ("groups.<group_id>.rebalances", "rebalances the group went through"),
    ("groups.<group_id>.members", "members the coordinator counts in the group"),
    ("groups.<group_id>.idle_members", "live consumers of the group that own no partition"),
    ("groups.<group_id>.polled", "records `poll()` returned, re-deliveries included"),
    ("groups.<group_id>.processed", "records the applications finished processing"),
    ("groups.<group_id>.lag", "Σ over its partitions of high watermark − committed offset"),
    ("groups.<group_id>.processed_once", "records processed exactly once"),
    ("groups.<group_id>.duplicated", "records processed more than once"),
    ("groups.<group_id>.lost", "records committed past but never processed"),
    ("groups.<group_id>.pending", "records not yet processed nor committed past"),
    ("groups.<group_id>.skipped", "records never processed because `auto.offset.reset=latest` started past them"),
    ("groups.<group_id>.reordered", "records processed after a later-sent record of the same key"),
    (
        "groups.<group_id>.aborted_processed",
        "records of aborted transactions the group processed (read_uncommitted only)",
    ),
    ("groups.<group_id>.dead_lettered", "records the group's application failed to process and sent to its dead-letter queue"),
    ("groups.<group_id>.revoked", "partitions members gave up in rebalances (revoked or lost), summed"),
    ("groups.<group_id>.moved", "partitions rebalances gave to a member other than their last owner, summed"),
    (
        "groups.<group_id>.unconsumed_ms",
        "Σ over the partitions rebalances assigned of how long each had gone unconsumed, ms",
    ),
    ("events.<kind>", "trace events of that kind since the start (`consumer_crashed`, ...)"),
];

/// A run's metrics by path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics(BTreeMap<String, f64>);

fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

impl Metrics {
    /// The metrics of `report`, one per path its names give the [`METRICS`] patterns.
    pub fn of(report: &Report) -> Metrics {
        let mut m = BTreeMap::new();
        let mut put = |path: String, v: f64| {
            m.insert(path, v);
        };
        put("end_ms".into(), report.end_ms as f64);
        put("run_ms".into(), report.run_ms as f64);
        put("finished".into(), flag(report.drained || report.end_ms >= report.run_ms));
        put("drained".into(), flag(report.drained));
        put("produced".into(), report.produced as f64);
        put("acknowledged".into(), report.acknowledged as f64);
        put("acknowledged_lost".into(), report.acknowledged_lost as f64);
        put("failed".into(), report.failed as f64);
        put("log_duplicates".into(), report.log_duplicates as f64);
        put("late".into(), report.late as f64);
        put("dead_letters".into(), report.dead_letters.len() as f64);
        if let Some(d) = &report.dedupe {
            put("dedupe.disagreements".into(), d.disagreements.len() as f64);
            put("dedupe.repeats".into(), d.repeats as f64);
        }
        put("windows.count".into(), report.window_count as f64);
        put("windows.closed".into(), report.windows_closed as f64);
        put("windows.skipped".into(), report.windows_skipped as f64);
        put("windows.emitted".into(), report.windows_emitted as f64);
        put("windows.watermark_held".into(), flag(report.watermark_held));
        put("windows.per_record".into(), report.windows_per_record);
        put("windows.records".into(), report.windows_records as f64);
        put("store.restores".into(), report.store_restores as f64);
        put("store.restored_records".into(), report.store_restored_records as f64);
        put("store.changelog_records".into(), report.changelog_written as f64);
        let p = report.pipeline.as_ref();
        put("pipeline.filtered".into(), p.map_or(0.0, |p| p.filtered as f64));
        put("pipeline.alerts".into(), p.map_or(0.0, |p| p.alerts as f64));
        put("sink.writes".into(), p.map_or(0.0, |p| p.sink_writes as f64));
        put("sink.rows".into(), p.map_or(0.0, |p| p.sink_rows as f64));
        put("sink.open_rows".into(), p.map_or(0.0, |p| p.sink_open_rows as f64));
        for t in &report.topics {
            let p = |field: &str| format!("topics.{}.{field}", t.topic);
            put(p("partitions"), t.partitions as f64);
            put(p("records"), t.records as f64);
            put(p("partitions_empty"), t.partitions_empty as f64);
            put(p("max_partition_share"), t.max_partition_share);
        }
        for p in &report.partitions {
            put(format!("partitions.{}.log_end_offset", p.partition), p.log_end_offset as f64);
            put(format!("partitions.{}.high_watermark", p.partition), p.high_watermark as f64);
            put(format!("partitions.{}.log_start_offset", p.partition), p.log_start_offset as f64);
            put(format!("partitions.{}.leader_epoch", p.partition), p.leader_epoch as f64);
            put(format!("partitions.{}.isr", p.partition), p.isr.len() as f64);
            put(format!("partitions.{}.offline", p.partition), flag(p.leader.is_none()));
        }
        for g in &report.groups {
            let p = |field: &str| format!("groups.{}.{field}", g.group_id);
            put(p("generation"), g.generation as f64);
            put(p("rebalances"), g.rebalances as f64);
            put(p("members"), g.members as f64);
            put(p("idle_members"), g.idle_members as f64);
            put(p("polled"), g.polled as f64);
            put(p("processed"), g.processed as f64);
            put(p("lag"), g.lag as f64);
            put(p("processed_once"), g.outcome.processed_once as f64);
            put(p("duplicated"), g.outcome.duplicated as f64);
            put(p("lost"), g.outcome.lost as f64);
            put(p("pending"), g.outcome.pending as f64);
            put(p("skipped"), g.outcome.skipped as f64);
            put(p("reordered"), g.outcome.reordered as f64);
            put(p("aborted_processed"), g.aborted_processed as f64);
            put(p("dead_lettered"), g.dead_lettered as f64);
            put(p("revoked"), g.timeline.iter().map(|r| r.revoked as f64).sum());
            put(p("moved"), g.timeline.iter().map(|r| r.moved.len() as f64).sum());
            put(p("unconsumed_ms"), g.timeline.iter().flat_map(|r| &r.unconsumed_ms).map(|(_, ms)| *ms as f64).sum());
        }
        for (kind, n) in &report.events {
            put(format!("events.{kind}"), *n as f64);
        }
        Metrics(m)
    }

    /// The value at `path`, if the run has it.
    pub fn get(&self, path: &str) -> Option<f64> {
        self.0.get(path).copied()
    }

    /// Every path and value, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

/// Which [`METRICS`] pattern `path` follows, and the name in its placeholder (`None` for a
/// pattern without one). An `events.<kind>` path must name one of [`TraceEvent::KINDS`].
/// Whether the name exists in a given scenario is for the caller to check.
pub fn pattern_of(path: &str) -> Option<(&'static str, Option<&str>)> {
    METRICS.iter().find_map(|&(pattern, _)| match pattern.split_once('<') {
        None => (pattern == path).then_some((pattern, None)),
        Some((prefix, rest)) => {
            let suffix = &rest[rest.find('>')? + 1..];
            let name = path.strip_prefix(prefix)?.strip_suffix(suffix)?;
            if name.is_empty() || (pattern.starts_with("events.") && !TraceEvent::KINDS.contains(&name)) {
                return None;
            }
            Some((pattern, Some(name)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_their_paths_and_nothing_else() {
        assert_eq!(pattern_of("end_ms"), Some(("end_ms", None)));
        assert_eq!(pattern_of("groups.g.1.lost"), Some(("groups.<group_id>.lost", Some("g.1"))));
        assert_eq!(
            pattern_of("partitions.taxi-trips-3.log_end_offset"),
            Some(("partitions.<partition>.log_end_offset", Some("taxi-trips-3")))
        );
        assert_eq!(pattern_of("events.consumer_crashed"), Some(("events.<kind>", Some("consumer_crashed"))));
        assert_eq!(pattern_of("events.consumer_exploded"), None);
        assert_eq!(pattern_of("groups..lost"), None);
        assert_eq!(pattern_of("groups.g1.lots"), None);
        assert_eq!(pattern_of("end"), None);
    }
}
