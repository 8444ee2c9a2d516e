//! The producer client: the application's send loop (driven by a workload), the record
//! accumulator that builds one batch per partition (`batch.size`, `linger.ms`), and the sender
//! that ships ready batches to partition leaders (`acks`, `max.in.flight.requests.per.connection`).
//! It knows brokers only through protocol messages.

pub mod partitioner;

use crate::config::{Acks, ProducerConfig};
use crate::ids::{NodeId, PartitionId, RecordId, TopicPartition};
use crate::node::{ClusterMetadata, Ctx, Observation, Timer};
use crate::protocol::{Message, ProducerBatch, Record};
use crate::sim::SimTime;
use crate::workload::{KeyTable, Workload};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// Producer timers.
#[derive(Debug, Clone, PartialEq)]
pub enum ProducerTimer {
    /// The workload's next record is due.
    NextRecord,
    /// A batch's `linger.ms` runs out.
    Linger,
}

#[derive(Debug)]
struct OpenBatch {
    records: Vec<Record>,
    bytes: u64,
    created: SimTime,
}

/// Counters the snapshot and report read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProducerStats {
    /// Records the application handed to `send()`.
    pub records_sent: u64,
    /// Records whose batch the leader acknowledged (with `acks=0`: put on the wire).
    pub records_acked: u64,
    pub batches_sent: u64,
    pub requests_in_flight: u32,
}

/// A producer node.
#[derive(Debug)]
pub struct Producer {
    pub config: ProducerConfig,
    pub topic: String,
    /// Bits 40.. of every record id this producer makes.
    index: u64,
    metadata: ClusterMetadata,
    keys: Rc<KeyTable>,
    workload: Workload,
    /// Batches per partition, oldest first; only the last may still grow.
    accumulator: BTreeMap<PartitionId, VecDeque<OpenBatch>>,
    in_flight: BTreeMap<NodeId, u32>,
    /// Unanswered requests: correlation id → the records sent, per partition.
    pending: BTreeMap<u64, Vec<(TopicPartition, Vec<RecordId>)>>,
    next_correlation_id: u64,
    next_record: u64,
    linger_timer_at: Option<SimTime>,
    pub stats: ProducerStats,
}

impl Producer {
    /// Whether the workload is exhausted and every record is acknowledged.
    pub fn is_done(&self) -> bool {
        self.workload.is_exhausted() && self.accumulator.is_empty() && self.pending.is_empty()
    }
}

impl Producer {
    /// A producer that has not started; `config` holds its Kafka configs (`acks`, `linger.ms`,
    /// `batch.size`, ...).
    pub fn new(
        index: u32,
        config: ProducerConfig,
        topic: String,
        metadata: ClusterMetadata,
        keys: Rc<KeyTable>,
        workload: Workload,
    ) -> Self {
        Producer {
            config,
            topic,
            index: index as u64,
            metadata,
            keys,
            workload,
            accumulator: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            pending: BTreeMap::new(),
            next_correlation_id: 0,
            next_record: 0,
            linger_timer_at: None,
            stats: ProducerStats::default(),
        }
    }

    /// Schedules the workload's first record.
    pub fn start(&mut self, ctx: &mut Ctx) {
        ctx.set_timer(self.workload.first_delay_ms(), Timer::Producer(ProducerTimer::NextRecord));
    }

    /// Handles one of its timers: the workload's next record falls due, or a batch's `linger.ms` runs out.
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: ProducerTimer) {
        match timer {
            ProducerTimer::NextRecord => self.send_next(ctx),
            ProducerTimer::Linger => {
                self.linger_timer_at = None;
                self.drain(ctx);
            }
        }
    }

    /// Handles a ProduceResponse: acknowledges (or fails) the batches it answers.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        if let Message::ProduceResponse { correlation_id, results } = msg {
            let Some(sent) = self.pending.remove(&correlation_id) else { return };
            if let Some(n) = self.in_flight.get_mut(&from) {
                *n = n.saturating_sub(1);
            }
            self.stats.requests_in_flight = self.stats.requests_in_flight.saturating_sub(1);
            for result in results.iter().filter(|r| r.error.is_none()) {
                if let Some((_, ids)) = sent.iter().find(|(tp, _)| *tp == result.partition) {
                    self.stats.records_acked += ids.len() as u64;
                    ctx.observe(Observation::Acked { records: ids.clone() });
                }
            }
            self.drain(ctx);
        }
    }

    fn partitions(&self) -> u32 {
        self.metadata.topics.get(&self.topic).copied().unwrap_or(1)
    }

    /// The application's `send()`: the record joins its partition's open batch.
    fn send_next(&mut self, ctx: &mut Ctx) {
        let Some((emitted, next)) = self.workload.emit(ctx.now().as_ms()) else { return };
        let record = Record {
            record_id: RecordId::new(self.index, self.next_record),
            key: Some(emitted.key),
            timestamp_ms: emitted.timestamp_ms,
            size_bytes: emitted.size_bytes,
        };
        self.next_record += 1;
        self.stats.records_sent += 1;
        let partition = PartitionId(partitioner::partition_for_hash(self.keys.murmur2(emitted.key), self.partitions()));
        let batch_size = self.config.batch_size_bytes as u64;
        let queue = self.accumulator.entry(partition).or_default();
        let fits = queue.back().is_some_and(|b| b.bytes + record.size_bytes as u64 <= batch_size);
        if fits {
            let batch = queue.back_mut().expect("checked above");
            batch.bytes += record.size_bytes as u64;
            batch.records.push(record);
        } else {
            queue.push_back(OpenBatch { records: vec![record], bytes: record.size_bytes as u64, created: ctx.now() });
        }
        self.drain(ctx);
        if let Some(after) = next {
            ctx.set_timer(after, Timer::Producer(ProducerTimer::NextRecord));
        }
    }

    fn ready(&self, batch: &OpenBatch, is_last: bool, now: SimTime) -> bool {
        !is_last
            || batch.bytes >= self.config.batch_size_bytes as u64
            || now >= batch.created.plus_ms(self.config.linger_ms)
    }

    /// The sender: one request per leader with at most one ready batch per partition, while
    /// that leader has fewer than `max.in.flight.requests.per.connection` requests unanswered.
    fn drain(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        loop {
            let mut per_leader: BTreeMap<NodeId, Vec<ProducerBatch>> = BTreeMap::new();
            let partitions: Vec<PartitionId> = self.accumulator.keys().copied().collect();
            for p in partitions {
                let tp = TopicPartition { topic: self.topic.clone(), partition: p };
                let Some(leader) = self.metadata.leader_node(&tp) else { continue };
                let in_flight = self.in_flight.get(&leader).copied().unwrap_or(0);
                if self.config.acks != Acks::None && in_flight >= self.config.max_in_flight_requests_per_connection {
                    continue;
                }
                let queue = &self.accumulator[&p];
                let Some(front) = queue.front() else { continue };
                if !self.ready(front, queue.len() == 1, now) {
                    continue;
                }
                let batch = self.accumulator.get_mut(&p).and_then(|q| q.pop_front()).expect("front exists");
                per_leader.entry(leader).or_default().push(ProducerBatch { partition: tp, records: batch.records });
            }
            if per_leader.is_empty() {
                break;
            }
            for (leader, batches) in per_leader {
                let sent: Vec<(TopicPartition, Vec<RecordId>)> = batches
                    .iter()
                    .map(|b| (b.partition.clone(), b.records.iter().map(|r| r.record_id).collect()))
                    .collect();
                let records: u64 = sent.iter().map(|(_, ids)| ids.len() as u64).sum();
                self.stats.batches_sent += batches.len() as u64;
                let correlation_id = self.next_correlation_id;
                self.next_correlation_id += 1;
                if self.config.acks == Acks::None {
                    // acks=0: the broker sends no answer; the record counts as sent once on the wire.
                    self.stats.records_acked += records;
                    for (_, ids) in &sent {
                        ctx.observe(Observation::Acked { records: ids.clone() });
                    }
                } else {
                    *self.in_flight.entry(leader).or_insert(0) += 1;
                    self.stats.requests_in_flight += 1;
                    self.pending.insert(correlation_id, sent);
                }
                ctx.send(leader, Message::ProduceRequest { correlation_id, acks: self.config.acks, batches });
            }
        }
        self.accumulator.retain(|_, q| !q.is_empty());
        self.arm_linger(ctx);
    }

    fn arm_linger(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        let earliest = self
            .accumulator
            .values()
            .filter_map(|q| q.front())
            .map(|b| b.created.plus_ms(self.config.linger_ms))
            .filter(|&t| t > now)
            .min();
        if let Some(at) = earliest {
            if self.linger_timer_at.is_none_or(|t| t > at) {
                self.linger_timer_at = Some(at);
                ctx.set_timer(at.0 - now.0, Timer::Producer(ProducerTimer::Linger));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::partitioner::*;

    /// Kafka's own `UtilsTest.testMurmur2` vectors.
    #[test]
    fn murmur2_matches_kafka_utils_test() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
            (b"a-little-bit-longer-string", -1486304829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
            (b"abc", 479470107),
        ];
        for (key, expected) in cases {
            assert_eq!(murmur2(key), expected, "murmur2({:?})", String::from_utf8_lossy(key));
        }
    }

    #[test]
    fn to_positive_clears_sign_bit() {
        assert_eq!(to_positive(-1), 0x7fff_ffff);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(5), 5);
    }
}
