//! The delivery outcome: which records each group processed once, twice, or never, and why; and
//! beside it, what the cluster itself lost: acknowledged records gone from the log.

use crate::widgets::duration;
use std::rc::Rc;
use streamlab_engine::Snapshot;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
}

/// Why a log can hold a record twice, on the producer's side.
const LOG_DUPLICATES_WHY: &str = "In the log twice: a producer retried a batch the leader had already appended (its response was lost), and without idempotence the leader appended it again. Consumers see two records.";

/// Why a group can process a key's records out of order.
const REORDERED_WHY: &str = "Reordered: processed after a record of the same key sent later. Without idempotence, a retried batch can land behind a later batch that was in flight beside it.";

/// Why a record can be acknowledged and then gone, on the cluster's side.
const ACKNOWLEDGED_LOST_WHY: &str = "Acknowledged, then lost: acknowledged to the producer, then gone from the log: a leader that had them failed before its followers copied them (acks=1, or an unclean leader election).";

fn ids(list: &[u64]) -> String {
    list.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ")
}

#[function_component(OutcomePanel)]
pub fn outcome_panel(props: &Props) -> Html {
    let s = &props.snapshot;
    let produced: u64 = s.producers.iter().map(|p| p.records_sent).sum();
    let acked: u64 = s.producers.iter().map(|p| p.records_acked).sum();
    html! {
        <>
        // Without a group there is no consumer side, but the cluster can still lose what it acknowledged.
        if s.groups.is_empty() {
            <section class="panel outcome" aria-labelledby="outcome-cluster">
                <h2 id="outcome-cluster">{"Delivery outcome, cluster side"}</h2>
                <dl class="counts">
                    <div><dt>{"acknowledged"}</dt><dd>{acked}</dd></div>
                    <div class={classes!((s.acknowledged_lost > 0).then_some("bad"))}><dt>{"acknowledged, then lost"}</dt>
                        <dd data-testid="acknowledged-lost">{s.acknowledged_lost}</dd></div>
                </dl>
                <p class="hint">{ACKNOWLEDGED_LOST_WHY}</p>
            </section>
        }
        { for s.groups.iter().map(|g| {
            let o = &g.outcome;
            let pipeline_why = g.guarantee.map(|guarantee| match guarantee {
                "at-most-once" => "A pipeline, at-most-once: it commits its input offsets before processing and writes each output without retries; a crash loses what was committed but not yet written.",
                "at-least-once" => "A pipeline, at-least-once: it processes, flushes its producer, then commits its input offsets; a crash between the two writes those outputs again.",
                _ => "A pipeline, exactly-once: its transactional producer commits each poll's outputs and input offsets together; an aborted transaction's outputs are skipped by read_committed readers and its inputs read again.",
            });
            let why = match g.commit_mode.as_str() {
                "after_processing" => "Commit after processing (at-least-once): a crash mid-batch re-delivers the part already processed, so it is processed twice.",
                "after_processing_async" => "commitAsync after processing (at-least-once): the application polls again without waiting for the commit, and a commit that fails is not retried, so a rebalance or crash re-delivers more than with commitSync.",
                "before_processing" => "Commit before processing (at-most-once): a crash mid-batch skips the part not yet processed, because the offset was already committed past it.",
                _ => &format!(
                    "Auto-commit (at-least-once): poll() commits every {} (auto.commit.interval.ms); a crash re-delivers everything processed since the last commit.",
                    duration(g.auto_commit_interval_ms)
                ),
            };
            html! {
            <section class="panel outcome" aria-labelledby={format!("outcome-{}", g.group_id)}>
                <h2 id={format!("outcome-{}", g.group_id)}>{format!("Delivery outcome, group {}", g.group_id)}</h2>
                <dl class="counts">
                    <div><dt>{"produced"}</dt><dd data-testid="out-produced">{produced}</dd></div>
                    <div><dt>{"acknowledged"}</dt><dd>{acked}</dd></div>
                    <div class="good"><dt>{"processed once"}</dt><dd data-testid="out-once">{o.processed_once}</dd></div>
                    <div class={classes!((o.duplicated > 0).then_some("warn"))}><dt>{"duplicated"}</dt><dd data-testid="out-duplicated">{o.duplicated}</dd></div>
                    <div class={classes!((o.lost > 0).then_some("bad"))}><dt>{"lost (consumer side)"}</dt><dd data-testid="out-lost">{o.lost}</dd></div>
                    <div class={classes!((s.acknowledged_lost > 0).then_some("bad"))}><dt>{"acknowledged, then lost (cluster side)"}</dt>
                        <dd data-testid="acknowledged-lost">{s.acknowledged_lost}</dd></div>
                    <div class={classes!((s.log_duplicates > 0).then_some("warn"))}><dt>{"in the log twice (producer side)"}</dt>
                        <dd data-testid="log-duplicates">{s.log_duplicates}</dd></div>
                    <div class={classes!((o.reordered > 0).then_some("warn"))}><dt>{"reordered"}</dt><dd data-testid="out-reordered">{o.reordered}</dd></div>
                    <div><dt>{"pending"}</dt><dd>{o.pending}</dd></div>
                    if o.skipped > 0 {
                        <div><dt title="transaction markers; with read_committed, records of aborted transactions; or offsets jumped over (auto.offset.reset=latest, a seek)">{"skipped"}</dt><dd data-testid="out-skipped">{o.skipped}</dd></div>
                    }
                    if g.aborted_processed > 0 {
                        <div class="warn"><dt>{"aborted records processed"}</dt><dd data-testid="out-aborted-processed">{g.aborted_processed}</dd></div>
                    }
                </dl>
                <p class="hint">{format!("isolation.level={}. ", g.isolation_level)}{pipeline_why.unwrap_or(why)}{" Lost (consumer side): acknowledged, never processed, and committed past. Pending: not processed yet."}</p>
                if g.by_input {
                    <p class="hint">{"This group reads a pipeline's output: its counts are per input record (an output keeps its input's id). Duplicated: an input reached it twice; lost: the pipeline committed past an input that has no committed output."}</p>
                }
                if g.aborted_processed > 0 {
                    <p class="hint">{"With isolation.level=read_uncommitted the group processed records of transactions that were aborted afterwards: data that, as far as the producer is concerned, was never written. read_committed skips them."}</p>
                }
                <p class="hint">{ACKNOWLEDGED_LOST_WHY}</p>
                if s.log_duplicates > 0 { <p class="hint">{LOG_DUPLICATES_WHY}</p> }
                if o.reordered > 0 { <p class="hint">{REORDERED_WHY}</p> }
                if !o.duplicated_ids.is_empty() {
                    <details><summary>{format!("Duplicated record ids ({}{})", o.duplicated_ids.len(), if o.duplicated > o.duplicated_ids.len() as u64 { ", first shown" } else { "" })}</summary>
                        <p class="ids">{ids(&o.duplicated_ids)}</p></details>
                }
                if !o.lost_ids.is_empty() {
                    <details><summary>{format!("Lost record ids ({}{})", o.lost_ids.len(), if o.lost > o.lost_ids.len() as u64 { ", first shown" } else { "" })}</summary>
                        <p class="ids">{ids(&o.lost_ids)}</p></details>
                }
                if !s.log_duplicate_ids.is_empty() {
                    <details><summary>{format!("Record ids in the log twice ({}{})", s.log_duplicate_ids.len(),
                        if s.log_duplicates > s.log_duplicate_ids.len() as u64 { ", first shown" } else { "" })}</summary>
                        <p class="ids">{ids(&s.log_duplicate_ids)}</p></details>
                }
                if !s.acknowledged_lost_ids.is_empty() {
                    <details><summary>{format!("Acknowledged, then lost record ids ({}{})", s.acknowledged_lost_ids.len(),
                        if s.acknowledged_lost > s.acknowledged_lost_ids.len() as u64 { ", first shown" } else { "" })}</summary>
                        <p class="ids">{ids(&s.acknowledged_lost_ids)}</p></details>
                }
            </section>
        }}) }
        if s.dead_letters_total > 0 {
            <section class="panel outcome" aria-labelledby="dlq-h" data-testid="dead-letters">
                <h2 id="dlq-h">{format!("Dead-letter queue: {} records", s.dead_letters_total)}</h2>
                <p class="hint">{"Input rows that could not be read, and records the application failed to process: each was retried with exponential backoff (min(initial · multiplier^(attempt − 1), max) between attempts) and then set aside with its source, so that the rest of the stream went on (Kafka Streams' ProcessingExceptionHandler answering CONTINUE, KIP-1033; the dead-letter queue of KIP-1034). With errors.on_failure = fail the member stops instead, and the partition's next owner meets the same record."}</p>
                <table class="late dlq">
                    <thead><tr><th>{"source"}</th><th>{"record"}</th><th>{"error"}</th><th>{"attempts"}</th><th>{"first failed"}</th><th>{"sent here"}</th></tr></thead>
                    <tbody>
                    { for s.dead_letters.iter().map(|d| html! {
                        <tr><td>{&d.source}</td><td class="num">{d.record_id.map(|i| i.to_string()).unwrap_or_default()}</td>
                            <td>{&d.error}</td><td class="num">{d.attempts}</td>
                            <td class="num">{d.first_attempt_ms.map(|t| format!("{:.3} s", t as f64 / 1000.0)).unwrap_or_default()}</td>
                            <td class="num">{d.dead_lettered_ms.map(|t| format!("{:.3} s", t as f64 / 1000.0)).unwrap_or_default()}</td></tr>
                    }) }
                    </tbody>
                </table>
            </section>
        }
        </>
    }
}
