//! A windowed group's pipeline as the report and the Pipeline view show it: its steps drawn in
//! order with their counts, its sink table as the output mode writes it, and its alerts.

use super::Simulation;
use crate::report::PipelineReport;
use crate::scenario::{OutputMode, StepSpec, WorkloadSpec};
use crate::snapshot::{AlertView, PipelineView, SinkRow, StepView};
use crate::streams::pipeline::AggregateFunction;
use crate::streams::Windows;

/// A duration in words: `90 ms`, `10 s`, `15 min`, `1 h`, `7 d`.
fn span(ms: u64) -> String {
    let units = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1000, "s")];
    units
        .iter()
        .find(|(u, _)| ms >= *u && ms.is_multiple_of(*u))
        .map_or(format!("{ms} ms"), |(u, name)| format!("{} {name}", ms / u))
}

/// The windows in words: `sliding 10 s, grace 2 s`.
pub(crate) fn describe_windows(w: &Windows) -> String {
    let what = match *w {
        Windows::Time { size_ms, advance_ms, .. } if size_ms == advance_ms => format!("tumbling {}", span(size_ms)),
        Windows::Time { size_ms, advance_ms, .. } => format!("hopping {} every {}", span(size_ms), span(advance_ms)),
        Windows::Sliding { time_difference_ms, .. } => format!("sliding {}", span(time_difference_ms)),
        Windows::Session { inactivity_gap_ms, .. } => format!("session, gap {}", span(inactivity_gap_ms)),
    };
    format!("{what}, grace {}", span(w.grace_ms()))
}

/// Σ of the windows' record counts, and the windows closed: one walk over every window.
pub(crate) fn window_totals(app: &crate::streams::WindowedAggregator) -> (u64, u64) {
    app.all_windows()
        .fold((0, 0), |(records, closed), (_, w)| (records + w.count, closed + u64::from(app.is_closed(w))))
}

impl Simulation {
    /// Group `group_id`'s pipeline counts, if it has windows.
    pub fn pipeline_report(&self, group_id: &str) -> Option<PipelineReport> {
        let app = self.windows(group_id)?;
        let open: usize = app.keys().map(|k| app.newest_windows(k, 0).count()).sum();
        self.pipeline_report_with(group_id, (app.window_count() - open) as u64)
    }

    /// [`Simulation::pipeline_report`] when the closed windows are counted already.
    pub(crate) fn pipeline_report_with(&self, group_id: &str, closed: u64) -> Option<PipelineReport> {
        let app = self.windows(group_id)?;
        let g = self.valid.scenario.consumer_groups.iter().find(|g| g.group_id == group_id)?;
        let rows = app.window_count() as u64;
        let mode = g.sink.map(|s| s.output_mode);
        let (sink_rows, sink_writes) = match mode {
            None => (0, 0),
            Some(OutputMode::Append) => (closed, closed),
            Some(OutputMode::Update) => (rows, app.update_writes),
            Some(OutputMode::Complete) => (rows, app.complete_writes),
        };
        Some(PipelineReport {
            group_id: group_id.to_string(),
            aggregate: app.dataflow.describe(),
            alert_above: app.dataflow.alert_above,
            output_mode: mode.map(|m| m.name().to_string()),
            filtered: app.dataflow.filtered(),
            alerts: app.alerts,
            triggers: u64::from(app.triggers),
            sink_writes,
            sink_rows,
            sink_open_rows: if mode == Some(OutputMode::Append) { 0 } else { sink_rows.min(rows - closed.min(rows)) },
        })
    }

    /// Group `group_id`'s pipeline for the Pipeline view: its steps, up to `rows` sink rows (the
    /// latest written first; in append mode closed windows only) and the latest alerts.
    pub(crate) fn pipeline_view(&self, group_id: &str, rows: usize) -> Option<PipelineView> {
        let report = self.pipeline_report(group_id)?;
        let app = self.windows(group_id)?;
        let gi = self.catalog.group_id(group_id)?;
        let g = self.valid.scenario.consumer_groups.iter().find(|g| g.group_id == group_id)?;
        let workload = self.valid.scenario.group_workload(g);
        let processed = self.processed_by_group(gi);
        let mut steps = vec![StepView {
            kind: "source",
            title: format!("source: {}", g.topics.join(", ")),
            detail: format!("{processed} records processed"),
        }];
        let fields = &app.dataflow.fields;
        let own = workload.map_or(0, |w| crate::streams::pipeline::workload_fields(w.name()).len());
        let dlq = self.dead_letter_queue(gi).len();
        steps.push(StepView {
            kind: "parse",
            title: format!("parse: {} schema", workload.map_or("no", |w| w.name())),
            detail: if own == 0 {
                "key and timestamp".to_string()
            } else if g.errors.is_some() {
                format!("{}; {dlq} to the dead-letter queue", fields[..own].join(", "))
            } else {
                fields[..own].join(", ")
            },
        });
        for (i, s) in g.steps.iter().enumerate() {
            steps.push(match s {
                StepSpec::Filter { field, op, value } => StepView {
                    kind: "filter",
                    title: format!("filter: {field} {} {value}", op.symbol()),
                    detail: format!("{} dropped", app.dataflow.dropped_by_step.get(i).copied().unwrap_or(0)),
                },
                StepSpec::Map { field, multiply, add, name } => StepView {
                    kind: "map",
                    title: format!("map: {name} = {field} × {multiply} + {add}"),
                    detail: "a new field".to_string(),
                },
            });
        }
        let key = match workload {
            Some(WorkloadSpec::Iot { .. }) => "device",
            Some(WorkloadSpec::Taxi { .. }) => "PULocationID",
            Some(WorkloadSpec::Bids { .. }) => "auctionid",
            _ => "record key",
        };
        steps.push(StepView {
            kind: "key",
            title: format!("key: {key}"),
            detail: format!("{} keys", app.keys().count()),
        });
        steps.push(StepView {
            kind: "window",
            title: describe_windows(&app.spec),
            detail: format!("{} windows, {} late", app.window_count(), app.late),
        });
        steps.push(StepView {
            kind: "aggregate",
            title: format!("aggregate: {}", report.aggregate),
            detail: match report.alert_above {
                Some(t) => format!("alert above {t}: {} alerts", report.alerts),
                None => format!("{} records in windows", app.accepted),
            },
        });
        steps.push(StepView {
            kind: "emit",
            title: format!("emit: {}", app.emit.name()),
            detail: format!("{} triggers", report.triggers),
        });
        if let Some(mode) = &report.output_mode {
            steps.push(StepView {
                kind: "sink",
                title: format!("sink table: {mode} mode"),
                detail: format!("{} rows, {} writes", report.sink_rows, report.sink_writes),
            });
        }
        if let Some(p) = &g.pipeline {
            steps.push(StepView {
                kind: "topic",
                title: format!("output topic: {}", p.output_topic),
                detail: p.guarantee.name().to_string(),
            });
        }
        let function = app.dataflow.function;
        let append = g.sink.is_some_and(|s| s.output_mode == OutputMode::Append);
        // The latest written first: by the trigger that last changed them, then by end. One
        // pass keeping the first `rows`, since a long run holds many thousands of windows.
        let order = |(k, w): &(crate::ids::KeyId, &crate::streams::WindowAggregate)| {
            std::cmp::Reverse((w.trigger, w.end_ms, w.start_ms, std::cmp::Reverse(*k)))
        };
        let mut latest: Vec<(crate::ids::KeyId, &crate::streams::WindowAggregate)> = Vec::with_capacity(rows + 1);
        if g.sink.is_some() && rows > 0 {
            // Only open windows change, so the rows written last are each key's newest.
            let candidates = app.keys().flat_map(|k| app.newest_windows(k, rows).map(move |w| (k, w)));
            for item in candidates.filter(|(_, w)| !append || app.is_closed(w)) {
                if latest.len() == rows && order(&item) >= order(&latest[rows - 1]) {
                    continue;
                }
                let at = latest.partition_point(|x| order(x) <= order(&item));
                latest.insert(at, item);
                latest.truncate(rows);
            }
        }
        let sink_rows = {
            latest
                .into_iter()
                .map(|(key, w)| SinkRow {
                    key: self.keys.name(key).to_string(),
                    start_ms: w.start_ms,
                    end_ms: w.end_ms,
                    count: w.count,
                    value: match function {
                        AggregateFunction::TopN => {
                            w.acc.top().iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(", ")
                        }
                        AggregateFunction::Count => w.count.to_string(),
                        f => w.value(f).map_or("–".to_string(), |v| format!("{v:.2}")),
                    },
                    is_final: app.is_closed(w),
                })
                .collect()
        };
        let alerts = app
            .alert_records
            .iter()
            .rev()
            .take(rows)
            .map(|a| AlertView {
                key: self.keys.name(a.key).to_string(),
                start_ms: a.start_ms,
                end_ms: a.end_ms,
                value: a.value,
                timestamp_ms: a.timestamp_ms,
                at_ms: a.at_ms,
            })
            .collect();
        Some(PipelineView { report, steps, sink_rows, alerts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_in_words() {
        assert_eq!(describe_windows(&Windows::sliding(10_000, 2_000)), "sliding 10 s, grace 2 s");
        assert_eq!(
            describe_windows(&Windows::hopping(900_000, 300_000, 3_600_000)),
            "hopping 15 min every 5 min, grace 1 h"
        );
        assert_eq!(describe_windows(&Windows::session(1500, 0)), "session, gap 1500 ms, grace 0 ms");
    }
}
