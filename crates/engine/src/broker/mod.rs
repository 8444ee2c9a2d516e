//! A broker: the partition logs it leads, produce and fetch handling (with fetch long-polling by
//! `fetch.min.bytes` / `fetch.max.wait.ms`), ListOffsets, and the group coordinator. It knows
//! clients only through protocol messages.

pub mod group_coordinator;
pub mod log;

pub use group_coordinator::{GroupCoordinator, GroupState, GroupTimer};
pub use log::PartitionLog;

use crate::config::{Acks, BrokerConfig, TopicConfig};
use crate::ids::{BrokerId, NodeId, Offset, TopicPartition};
use crate::node::{Ctx, Timer};
use crate::protocol::{
    FetchPartition, FetchPartitionResponse, KafkaError, Message, OffsetSpec, ProducePartitionResult,
};
use crate::sim::{SimTime, TraceEvent};
use std::collections::BTreeMap;

/// Broker timers.
#[derive(Debug, Clone, PartialEq)]
pub enum BrokerTimer {
    /// The earliest held fetch's `fetch.max.wait.ms` runs out (one timer stands for them all:
    /// Kafka's `DelayedOperationPurgatory` keeps one timing wheel, not a timer per fetch).
    FetchExpiry,
    Group(GroupTimer),
}

#[derive(Debug, Clone)]
struct HeldFetch {
    from: NodeId,
    /// When `fetch.max.wait.ms` runs out.
    deadline: SimTime,
    correlation_id: u64,
    min_bytes: u32,
    max_partition_bytes: u32,
    partitions: Vec<FetchPartition>,
}

/// A broker node.
#[derive(Debug)]
pub struct Broker {
    pub id: BrokerId,
    /// The partitions this broker leads.
    pub logs: BTreeMap<TopicPartition, PartitionLog>,
    pub topic_configs: BTreeMap<String, TopicConfig>,
    pub coordinator: GroupCoordinator,
    held_fetches: BTreeMap<u64, HeldFetch>,
    next_fetch_id: u64,
    /// When the pending FetchExpiry timer fires, if one is set.
    expiry_timer_at: Option<SimTime>,
}

impl Broker {
    /// Broker `id` with empty logs; its partitions are added as the scenario's topics are
    /// created. `group_ids` are the scenario's groups, in `GroupId` order.
    pub fn new(id: BrokerId, config: BrokerConfig, group_ids: Vec<String>) -> Self {
        Broker {
            id,
            logs: BTreeMap::new(),
            topic_configs: BTreeMap::new(),
            coordinator: GroupCoordinator::new(id.0, config, group_ids),
            held_fetches: BTreeMap::new(),
            next_fetch_id: 0,
            expiry_timer_at: None,
        }
    }

    /// Makes this broker the leader of `tp` (leader epoch 0).
    pub fn lead(&mut self, tp: TopicPartition) {
        self.logs.entry(tp).or_default();
    }

    /// Traces that the broker started and which partitions it leads.
    pub fn start(&mut self, ctx: &mut Ctx) {
        ctx.trace(TraceEvent::BrokerStarted { broker: self.id.0, leader_for: self.logs.keys().copied().collect() });
    }

    /// Handles one of the broker's timers (delayed fetches, group coordinator timers).
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: BrokerTimer) {
        match timer {
            BrokerTimer::FetchExpiry => {
                self.expiry_timer_at = None;
                let now = ctx.now();
                let expired: Vec<u64> =
                    self.held_fetches.iter().filter(|(_, h)| h.deadline <= now).map(|(id, _)| *id).collect();
                for id in expired {
                    let held = self.held_fetches.remove(&id).expect("present");
                    let partitions = self.read(&held.partitions, held.max_partition_bytes).0;
                    ctx.send(held.from, Message::FetchResponse { correlation_id: held.correlation_id, partitions });
                }
                self.arm_fetch_expiry(ctx);
            }
            BrokerTimer::Group(t) => self.coordinator.on_timer(ctx, t),
        }
    }

    /// Handles one request from node `from`: Produce, Fetch, ListOffsets, or a group request
    /// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch) for the coordinator.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        match msg {
            Message::ProduceRequest { correlation_id, acks, batches } => {
                let mut results = Vec::with_capacity(batches.len());
                for batch in batches {
                    let Some(log) = self.logs.get_mut(&batch.partition) else {
                        results.push(ProducePartitionResult {
                            partition: batch.partition,
                            base_offset: Offset(0),
                            error: Some(KafkaError::UnknownTopicOrPartition),
                        });
                        continue;
                    };
                    let base_offset = log.append(&batch.records, ctx.now().0);
                    // One replica per partition: the leader is the whole ISR, so the high
                    // watermark follows the log end offset at once.
                    let leo = log.log_end_offset();
                    log.advance_high_watermark(leo);
                    ctx.trace(TraceEvent::Appended {
                        broker: self.id.0,
                        partition: batch.partition,
                        base_offset,
                        records: batch.records.len() as u32,
                        producer: from,
                    });
                    results.push(ProducePartitionResult { partition: batch.partition, base_offset, error: None });
                }
                if acks != Acks::None {
                    ctx.send(from, Message::ProduceResponse { correlation_id, results });
                }
                self.complete_held_fetches(ctx);
            }
            Message::FetchRequest { correlation_id, max_wait_ms, min_bytes, max_partition_bytes, partitions } => {
                let (response, bytes) = self.read(&partitions, max_partition_bytes);
                let has_error = response.iter().any(|p| p.error.is_some());
                if bytes >= min_bytes as u64 || max_wait_ms == 0 || has_error {
                    ctx.send(from, Message::FetchResponse { correlation_id, partitions: response });
                } else {
                    let id = self.next_fetch_id;
                    self.next_fetch_id += 1;
                    let deadline = ctx.now().plus_ms(max_wait_ms);
                    self.held_fetches.insert(
                        id,
                        HeldFetch { from, deadline, correlation_id, min_bytes, max_partition_bytes, partitions },
                    );
                    self.arm_fetch_expiry(ctx);
                }
            }
            Message::ListOffsetsRequest { correlation_id, spec, partitions } => {
                let offsets = partitions
                    .into_iter()
                    .map(|tp| {
                        let o = self.logs.get(&tp).map_or(Offset(0), |log| match spec {
                            OffsetSpec::Earliest => log.log_start_offset(),
                            OffsetSpec::Latest => log.high_watermark(),
                        });
                        (tp, o)
                    })
                    .collect();
                ctx.send(from, Message::ListOffsetsResponse { correlation_id, offsets });
            }
            other => {
                self.coordinator.on_message(ctx, from, other);
            }
        }
    }

    /// Reads each partition from its fetch offset up to the high watermark; returns the
    /// response and the bytes it carries.
    fn read(&self, partitions: &[FetchPartition], max_partition_bytes: u32) -> (Vec<FetchPartitionResponse>, u64) {
        let mut bytes = 0;
        let out = partitions
            .iter()
            .map(|p| {
                let Some(log) = self.logs.get(&p.partition) else {
                    return FetchPartitionResponse {
                        partition: p.partition,
                        high_watermark: Offset(0),
                        log_start_offset: Offset(0),
                        base_offset: p.fetch_offset,
                        records: vec![],
                        error: Some(KafkaError::UnknownTopicOrPartition),
                    };
                };
                let in_range = p.fetch_offset >= log.log_start_offset() && p.fetch_offset <= log.log_end_offset();
                let records = if in_range {
                    log.read(p.fetch_offset, log.high_watermark(), max_partition_bytes as u64)
                } else {
                    vec![]
                };
                bytes += records.iter().map(|r| r.size_bytes as u64).sum::<u64>();
                FetchPartitionResponse {
                    partition: p.partition,
                    high_watermark: log.high_watermark(),
                    log_start_offset: log.log_start_offset(),
                    base_offset: p.fetch_offset,
                    records,
                    error: (!in_range).then_some(KafkaError::OffsetOutOfRange),
                }
            })
            .collect();
        (out, bytes)
    }

    /// Sets the FetchExpiry timer for the earliest held fetch's deadline, unless one is set
    /// that fires no later.
    fn arm_fetch_expiry(&mut self, ctx: &mut Ctx) {
        let Some(earliest) = self.held_fetches.values().map(|h| h.deadline).min() else { return };
        if self.expiry_timer_at.is_none_or(|t| t > earliest) {
            self.expiry_timer_at = Some(earliest);
            ctx.set_timer(earliest.0 - ctx.now().0, Timer::Broker(BrokerTimer::FetchExpiry));
        }
    }

    /// Answers every held fetch that now has `fetch.min.bytes` to read. Counting the bytes first
    /// means a produce request builds no response that is not sent.
    fn complete_held_fetches(&mut self, ctx: &mut Ctx) {
        if self.held_fetches.is_empty() {
            return;
        }
        let ready: Vec<u64> = self
            .held_fetches
            .iter()
            .filter(|(_, held)| {
                let enough = held.min_bytes as u64;
                let mut bytes = 0;
                for p in &held.partitions {
                    if let Some(log) = self.logs.get(&p.partition) {
                        let cap = (held.max_partition_bytes as u64).max(1);
                        bytes += log.bytes_available(p.fetch_offset, log.high_watermark(), enough.min(cap));
                    }
                    if bytes >= enough {
                        return true;
                    }
                }
                false
            })
            .map(|(id, _)| *id)
            .collect();
        for id in ready {
            let held = self.held_fetches.remove(&id).expect("present");
            let partitions = self.read(&held.partitions, held.max_partition_bytes).0;
            ctx.send(held.from, Message::FetchResponse { correlation_id: held.correlation_id, partitions });
        }
    }
}
