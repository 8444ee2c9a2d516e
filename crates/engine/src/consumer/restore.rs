//! Restoring a task's window store from its changelog topic before processing the task, as Kafka
//! Streams' `StoreChangelogReader` does: the member reads the task's changelog partition from
//! the log start to its end (the last stable offset under exactly-once, whose restore reads
//! `read_committed`; the high watermark otherwise), then fetches the task's committed offset and
//! starts processing it. The changelog's values are the observer's to apply
//! ([`crate::node::Observer::restored`]).

use super::Consumer;
use crate::ids::{NodeId, Offset, TopicPartition};
use crate::node::Ctx;
use crate::protocol::{FetchPartition, FetchPartitionResponse, IsolationLevel, KafkaError, Record};
use crate::sim::{SimTime, TraceEvent};

/// A task whose store is being restored.
#[derive(Debug, Clone)]
pub(super) struct Restoring {
    /// The next changelog offset to read.
    position: Offset,
    /// The changelog records read so far, in offset order.
    records: Vec<Record>,
    started: SimTime,
}

impl Consumer {
    /// The changelog partition of task `task`: the same partition number.
    fn changelog_partition(&self, task: TopicPartition) -> Option<TopicPartition> {
        self.changelog.map(|c| TopicPartition::new(c, task.partition.0))
    }

    /// New tasks: with a logged store, restore each before processing it; otherwise fetch
    /// their committed offsets at once.
    pub(super) fn start_tasks(&mut self, ctx: &mut Ctx, tasks: Vec<TopicPartition>) {
        if self.changelog.is_none() {
            return self.fetch_committed(ctx, tasks);
        }
        let logged = self.changelog.map_or(0, |c| self.metadata.cluster.partitions(c));
        for task in tasks {
            let Some(changelog) = self.changelog_partition(task) else { continue };
            if task.partition.0 >= logged {
                // A partition added after the start has no changelog partition (Kafka Streams
                // refuses to run): its store starts empty and is not logged.
                ctx.restore_started(self.group, task);
                ctx.restored(self.group, task, &[]);
                self.fetch_committed(ctx, vec![task]);
                continue;
            }
            ctx.trace(TraceEvent::StoreRestoreStarted { consumer: ctx.me(), partition: task, changelog });
            ctx.restore_started(self.group, task);
            self.restoring.insert(task, Restoring { position: Offset(0), records: vec![], started: ctx.now() });
        }
        self.send_restore_fetches(ctx);
    }

    /// Forgets the restores of tasks the member no longer owns.
    pub(super) fn drop_restores(&mut self, tasks: &[TopicPartition]) {
        self.restoring.retain(|t, _| !tasks.contains(t));
    }

    /// Every task's store again from its changelog (a transaction was aborted or the producer
    /// fenced: Kafka Streams closes the tasks dirty, wipes their stores and restores them).
    pub(super) fn restore_all(&mut self, ctx: &mut Ctx) {
        let tasks = self.assignment.clone();
        self.restoring.clear();
        self.start_tasks(ctx, tasks);
    }

    /// One FetchRequest per changelog leader for the restoring tasks, unless one is in flight
    /// there; `max_wait_ms` 0: the restore wants to know where the end is, not to wait for data.
    pub(super) fn send_restore_fetches(&mut self, ctx: &mut Ctx) {
        if !self.is_alive() || self.restoring.is_empty() {
            return;
        }
        let isolation_level = match self.guarantee() {
            Some(super::Guarantee::ExactlyOnce) => IsolationLevel::ReadCommitted,
            _ => IsolationLevel::ReadUncommitted,
        };
        let mut per_leader: Vec<(NodeId, Vec<FetchPartition>)> = Vec::new();
        for (task, r) in &self.restoring {
            let Some(tp) = self.changelog_partition(*task) else { continue };
            let Some(leader) = self.metadata.cluster.leader_node(tp) else { continue };
            if self.restore_fetches.contains_key(&leader) {
                continue;
            }
            self.add_fetch(&mut per_leader, leader, tp, r.position);
        }
        self.send_fetch_requests(ctx, per_leader, true, 0, 1, isolation_level);
    }

    /// Whether `correlation_id` from `from` answers a restore fetch in flight.
    pub(super) fn is_restore_fetch(&self, from: NodeId, correlation_id: u64) -> bool {
        self.restore_fetches.get(&from) == Some(&correlation_id)
    }

    /// A restore fetch failed (timed out, or its connection dropped): ask again.
    pub(super) fn restore_fetch_failed(&mut self, node: NodeId, correlation_id: Option<u64>) -> bool {
        if correlation_id.is_some_and(|id| !self.is_restore_fetch(node, id)) {
            return false;
        }
        self.restore_fetches.remove(&node).is_some()
    }

    /// A restore fetch's answer: the records read join the task's; a task whose position
    /// reached the changelog's end is restored, and its committed offset is asked for.
    pub(super) fn on_restore_fetch(&mut self, ctx: &mut Ctx, from: NodeId, partitions: Vec<FetchPartitionResponse>) {
        self.restore_fetches.remove(&from);
        let read_committed = self.guarantee() == Some(super::Guarantee::ExactlyOnce);
        let mut stale = false;
        let mut done = vec![];
        for p in partitions {
            let task = self.assignment.iter().copied().find(|t| self.changelog_partition(*t) == Some(p.partition));
            let Some(task) = task else { continue };
            let Some(r) = self.restoring.get_mut(&task) else { continue };
            if r.position != p.base_offset {
                continue;
            }
            match p.error {
                None => {}
                // Below the log start (retention): read from there.
                Some(KafkaError::OffsetOutOfRange) => {
                    r.position = p.log_start_offset;
                    continue;
                }
                Some(_) => {
                    stale = true;
                    continue;
                }
            }
            let next = p.records.last().map_or(p.base_offset, |rec| Offset(rec.offset.0 + 1));
            let (records, _) = Self::without_skipped(p.records, &p.aborted);
            r.records.extend(records);
            r.position = next.max(r.position);
            let end = if read_committed { p.last_stable_offset } else { p.high_watermark };
            if r.position >= end {
                done.push(task);
            }
        }
        for task in done {
            let r = self.restoring.remove(&task).expect("listed");
            ctx.trace(TraceEvent::StoreRestored {
                consumer: ctx.me(),
                partition: task,
                records: r.records.len() as u64,
                duration_ms: ctx.now().0 - r.started.0,
            });
            ctx.restored(self.group, task, &r.records);
            self.fetch_committed(ctx, vec![task]);
        }
        if stale {
            self.request_metadata(ctx);
        }
        self.send_restore_fetches(ctx);
    }
}
