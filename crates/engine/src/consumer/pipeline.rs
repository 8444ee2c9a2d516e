//! A consume-transform-produce application: each record a member processes becomes one output
//! record (same key, same id) sent to an output topic by a producer embedded in the member,
//! and the delivery guarantee decides how the output and the input offsets are committed:
//!
//! - `at-most-once`: the input offsets are committed before processing; the producer does not
//!   retry (`retries=0`).
//! - `at-least-once`: after processing, `producer.flush()`, then `commitSync()` of the input
//!   offsets (Kafka Streams' at-least-once commit). A crash between the two writes the outputs
//!   again when the input is read again.
//! - `exactly-once`: a transactional producer (`transactional.id` = `<group>-<client id>`,
//!   `transaction.timeout.ms` 10 s as Kafka Streams sets it): the outputs of a poll's records and
//!   the input offsets (`sendOffsetsToTransaction` with the member's generation, KIP-447) commit
//!   together or not at all; readers downstream use `read_committed`.
//!
//! The application hands outputs to `send()` as it processes: every 5 ms (or per record, if
//! slower), those whose processing has finished.

use super::{CommitMode, Consumer, ConsumerTimer, MemberState};
use crate::ids::NodeId;
use crate::node::{Ctx, Timer};
use crate::producer::{Producer, ProducerTimer, TxnOffsets};
use crate::protocol::Message;
use serde::{Deserialize, Serialize};

/// Correlation ids of the embedded producer start above this, so that the member can tell the
/// responses to its producer from its own.
pub const OUTPUT_CORRELATION_BASE: u64 = 1 << 40;
/// How often the application hands finished outputs to `send()`, ms.
const EMIT_INTERVAL_MS: u64 = 5;

/// A pipeline's delivery guarantee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Guarantee {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

impl Guarantee {
    /// `at-most-once`, `at-least-once` or `exactly-once`.
    pub fn name(self) -> &'static str {
        match self {
            Guarantee::AtMostOnce => "at-most-once",
            Guarantee::AtLeastOnce => "at-least-once",
            Guarantee::ExactlyOnce => "exactly-once",
        }
    }

    /// The member's commit mode for it.
    pub fn commit_mode(self) -> CommitMode {
        match self {
            Guarantee::AtMostOnce => CommitMode::BeforeProcessing,
            _ => CommitMode::AfterProcessing,
        }
    }
}

/// The member's embedded producer and where the current batch stands.
#[derive(Debug)]
pub struct Output {
    pub producer: Producer,
    /// A producer as built, not started: the application makes a new one from it when its
    /// producer is fenced.
    fresh: Producer,
    pub guarantee: Guarantee,
    /// Records of the batch being processed already handed to `send()`.
    emitted: usize,
    /// At-least-once: waiting for `flush()` before committing.
    flushing: bool,
    /// Exactly-once: waiting for `commitTransaction()`.
    committing: bool,
    /// Transactions the application saw commit, and abort (or lose to fencing), over every
    /// producer it has had.
    pub committed: u64,
    pub aborted: u64,
}

impl Output {
    pub fn new(producer: Producer, guarantee: Guarantee) -> Self {
        Output {
            fresh: producer.clone(),
            producer,
            guarantee,
            emitted: 0,
            flushing: false,
            committing: false,
            committed: 0,
            aborted: 0,
        }
    }

    /// The application waits for `flush()` or `commitTransaction()` (it does not poll).
    pub fn committing(&self) -> bool {
        self.flushing || self.committing
    }

    /// Nothing waits to be sent or committed.
    pub fn is_idle(&self) -> bool {
        !self.flushing && !self.committing && self.producer.is_flushed()
    }
}

/// Whether `msg` answers a request of the embedded producer.
fn for_output(msg: &Message) -> bool {
    match msg {
        Message::ProduceResponse { .. }
        | Message::InitProducerIdResponse { .. }
        | Message::AddPartitionsToTxnResponse { .. }
        | Message::AddOffsetsToTxnResponse { .. }
        | Message::TxnOffsetCommitResponse { .. }
        | Message::EndTxnResponse { .. } => true,
        Message::MetadataResponse { correlation_id, .. } | Message::FindCoordinatorResponse { correlation_id, .. } => {
            *correlation_id > OUTPUT_CORRELATION_BASE
        }
        _ => false,
    }
}

impl Consumer {
    /// The pipeline's guarantee, if the member runs one.
    pub fn guarantee(&self) -> Option<Guarantee> {
        self.output.as_ref().map(|o| o.guarantee)
    }

    /// Transactions the pipeline committed and aborted (0, 0 without exactly-once).
    pub fn pipeline_transactions(&self) -> (u64, u64) {
        self.output.as_ref().map_or((0, 0), |o| (o.committed, o.aborted))
    }

    /// The embedded producer, if any.
    pub fn output_producer(&self) -> Option<&Producer> {
        self.output.as_ref().map(|o| &o.producer)
    }

    /// Hands a message to the embedded producer if it is one of its responses; true if so.
    pub(super) fn route_to_output(&mut self, ctx: &mut Ctx, from: NodeId, msg: &Message) -> bool {
        let Some(out) = self.output.as_mut() else { return false };
        if let Message::Disconnected { .. } = msg {
            out.producer.on_message(ctx, from, msg.clone());
            return false; // the member handles it too
        }
        if !for_output(msg) {
            return false;
        }
        out.producer.on_message(ctx, from, msg.clone());
        self.after_output(ctx);
        true
    }

    /// A timer of the embedded producer.
    pub fn on_output_timer(&mut self, ctx: &mut Ctx, t: ProducerTimer) {
        if !self.is_alive() {
            return;
        }
        if let Some(out) = self.output.as_mut() {
            out.producer.on_timer(ctx, t);
            self.after_output(ctx);
        }
    }

    pub(super) fn start_output(&mut self, ctx: &mut Ctx) {
        if let Some(out) = self.output.as_mut() {
            out.producer.start(ctx);
        }
    }

    /// Processing starts: outputs go to `send()` as records finish.
    pub(super) fn output_batch_started(&mut self, ctx: &mut Ctx) {
        let Some(out) = self.output.as_mut() else { return };
        out.emitted = 0;
        if self.processing_ms_per_record > 0 {
            let every = self.processing_ms_per_record.max(EMIT_INTERVAL_MS);
            ctx.set_timer(every, Timer::Consumer(ConsumerTimer::EmitOutputs));
        }
    }

    /// Hands `send()` the outputs of the records processed by now.
    pub(super) fn emit_outputs(&mut self, ctx: &mut Ctx, all: bool) {
        let Some(started) = self.processing_started.or(all.then_some(ctx.now())) else { return };
        let done = if all || self.processing_ms_per_record == 0 {
            self.processing.len()
        } else {
            (((ctx.now().0 - started.0) / self.processing_ms_per_record) as usize).min(self.processing.len())
        };
        let Some(out) = self.output.as_mut() else { return };
        if done > out.emitted {
            let records: Vec<_> = self.processing[out.emitted..done].to_vec();
            out.emitted = done;
            let size = records.first().map_or(100, |r| r.size_bytes);
            out.producer.feed(ctx, &records, size);
        }
        if !all && out.emitted < self.processing.len() {
            let every = self.processing_ms_per_record.max(EMIT_INTERVAL_MS);
            ctx.set_timer(every, Timer::Consumer(ConsumerTimer::EmitOutputs));
        }
    }

    /// Processing is done: returns true if the pipeline takes over the commit (the member waits
    /// for it before polling again).
    pub(super) fn output_batch_done(&mut self, ctx: &mut Ctx) -> bool {
        self.emit_outputs(ctx, true);
        let Some(out) = self.output.as_mut() else { return false };
        match out.guarantee {
            Guarantee::AtMostOnce => false,
            Guarantee::AtLeastOnce => {
                out.flushing = true;
                self.after_output(ctx);
                true
            }
            Guarantee::ExactlyOnce => {
                let offsets =
                    self.coordinator.filter(|_| self.state == MemberState::Stable).map(|coordinator| TxnOffsets {
                        group_id: self.group_id.clone(),
                        coordinator,
                        generation_id: self.generation_id,
                        member_id: self.member_id.clone(),
                        offsets: self.positions.iter().map(|(tp, o)| (*tp, *o)).collect(),
                    });
                out.committing = true;
                out.producer.commit_transaction(ctx, offsets);
                self.after_output(ctx);
                true
            }
        }
    }

    /// After the producer moved: finish a flush (then commit the input offsets) or a
    /// transaction (then poll again; after an abort, go back to the committed offsets).
    fn after_output(&mut self, ctx: &mut Ctx) {
        let Some(out) = self.output.as_mut() else { return };
        if out.flushing && out.producer.is_flushed() {
            out.flushing = false;
            self.awaiting_commit = self.commit(ctx);
            if self.awaiting_commit.is_none() {
                self.poll(ctx);
            }
            return;
        }
        if out.committing {
            let Some(committed) = out.producer.take_completed() else {
                if out.producer.is_fatal() {
                    // ProducerFencedException (its transaction timed out and the coordinator
                    // bumped the epoch): as Kafka Streams does, the application closes the
                    // producer, starts a new one with the same transactional.id, and reads its
                    // input again from the committed offsets.
                    out.committing = false;
                    out.aborted += 1;
                    let mut fresh = out.fresh.clone();
                    fresh.continue_correlation_ids(&out.producer);
                    out.producer = fresh;
                    out.producer.start(ctx);
                    self.rewind_to_committed(ctx);
                    self.poll(ctx);
                }
                return;
            };
            out.committing = false;
            if committed {
                out.committed += 1;
            } else {
                out.aborted += 1;
            }
            if committed {
                for (tp, o) in &self.positions {
                    self.committed.insert(*tp, *o);
                }
            } else {
                // The transaction was aborted: its outputs are gone, and the input is read
                // again from the committed offsets.
                self.rewind_to_committed(ctx);
            }
            self.poll(ctx);
        }
    }

    /// Drops what is buffered and read ahead, and fetches the committed offsets again (after
    /// restoring the store, if it has a changelog: its uncommitted writes are gone too).
    fn rewind_to_committed(&mut self, ctx: &mut Ctx) {
        self.buffer.clear();
        self.completed_fetches.clear();
        self.fetch_positions.clear();
        self.positions.clear();
        if self.changelog.is_some() {
            return self.restore_all(ctx);
        }
        let assigned = self.assignment.clone();
        self.fetch_committed(ctx, assigned);
    }

    /// Hands the producer the changelog records of what the batch changed in the store.
    pub(super) fn flush_store(&mut self, ctx: &mut Ctx) {
        if self.changelog.is_none() {
            return;
        }
        let writes = ctx.flush_store(self.group);
        if let (Some(out), false) = (self.output.as_mut(), writes.is_empty()) {
            out.producer.feed_changelog(ctx, &writes);
        }
    }
}
