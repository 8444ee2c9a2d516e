//! A window store backed by a changelog topic, as Kafka Streams keeps one
//! (`ChangeLoggingWindowBytesStore`, `StoreChangelogReader`): which member owns each task, the
//! windows its processing changed since its last flush, and the value each changelog record
//! carries. The store's windows themselves live in the [`WindowedAggregator`].
//!
//! A changelog record is keyed by the record key, and its value is that key's windows of the task
//! that can still change, with the task's stream time. Kafka keys its window changelog by key and
//! window start, one record per window; one record per key holds the same windows, and
//! compaction keeps the latest of each key just as well. Records carry ids, not bytes, so the
//! values are kept here by record id.
//!
//! Writes are flushed once per processed batch, before the commit (Kafka Streams flushes its
//! record cache at each commit): one record per key the batch changed. Under exactly-once they
//! are in the transaction, so a new owner reading `read_committed` restores exactly the state the
//! committed offsets belong to.

use super::aggregate::{WindowAggregate, WindowedAggregator};
use crate::ids::{KeyId, NodeId, Offset, RecordId, TopicId, TopicPartition};
use crate::protocol::Record;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Bytes of a changelog record: the key and its stream time, plus each window's start and
/// aggregate.
const RECORD_BYTES: u32 = 24;
const WINDOW_BYTES: u32 = 40;

/// The most restores kept for display (the latest).
const RESTORES_KEPT: usize = 64;

/// What one changelog record says.
#[derive(Debug, Clone, PartialEq)]
struct ChangelogValue {
    key: KeyId,
    /// The task's stream time when it was written, ms.
    stream_time_ms: Option<u64>,
    windows: Vec<WindowAggregate>,
}

/// One restore of a task's store, for the view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Restore {
    pub task: TopicPartition,
    pub member: NodeId,
    pub started_ms: u64,
    /// When it finished; `None` while the member still reads the changelog.
    pub finished_ms: Option<u64>,
    /// Changelog records read, and windows the store held after.
    pub records: u64,
    pub windows: u64,
}

/// The changelog side of one application's window store.
#[derive(Debug, Clone)]
pub struct ChangelogStore {
    /// The changelog topic (`<group>-window-store-changelog`).
    pub changelog: TopicId,
    /// Ids of the records it writes: `RecordId::new(id_space, n)`.
    id_space: u64,
    next_seq: u64,
    /// Each task's owner: the member that restored it last.
    owners: BTreeMap<TopicPartition, NodeId>,
    /// Keys of each task the owner's processing changed since its last flush.
    dirty: BTreeSet<(TopicPartition, KeyId)>,
    values: BTreeMap<RecordId, ChangelogValue>,
    /// The latest restores, oldest first.
    pub restores: Vec<Restore>,
    /// Restores since the start, and changelog records they read.
    pub restores_total: u64,
    pub restored_records: u64,
    /// Changelog records written.
    pub written: u64,
}

impl ChangelogStore {
    /// A store whose changelog is `changelog`; its records get ids `RecordId::new(id_space, n)`
    /// (an index no producer of the scenario has).
    pub fn new(changelog: TopicId, id_space: u64) -> Self {
        ChangelogStore {
            changelog,
            id_space,
            next_seq: 0,
            owners: BTreeMap::new(),
            dirty: BTreeSet::new(),
            values: BTreeMap::new(),
            restores: vec![],
            restores_total: 0,
            restored_records: 0,
            written: 0,
        }
    }

    /// The member that owns task `task`'s store, if one restored it.
    pub fn owner(&self, task: TopicPartition) -> Option<NodeId> {
        self.owners.get(&task).copied()
    }

    /// Whether `member`'s processing of `task` goes to the store: only its owner's does (a
    /// member that lost the task writes to a store that is dropped).
    pub fn owns(&self, member: NodeId, task: TopicPartition) -> bool {
        self.owner(task) == Some(member)
    }

    /// The owner's processing changed `key`'s windows of `task`.
    pub fn touched(&mut self, task: TopicPartition, key: KeyId) {
        self.dirty.insert((task, key));
    }

    /// `member` takes task `task` and starts reading its changelog.
    pub fn restore_started(&mut self, member: NodeId, task: TopicPartition, now_ms: u64) {
        self.owners.insert(task, member);
        self.dirty.retain(|(t, _)| *t != task);
        if self.restores.len() == RESTORES_KEPT {
            self.restores.remove(0);
        }
        self.restores.push(Restore { task, member, started_ms: now_ms, finished_ms: None, records: 0, windows: 0 });
        self.restores_total += 1;
    }

    /// `member` read `records` (in offset order) from task `task`'s changelog: `app`'s
    /// windows of the task become what they say (see [`WindowedAggregator::restore_task`]).
    pub fn restored(
        &mut self,
        member: NodeId,
        task: TopicPartition,
        task_index: u32,
        records: &[Record],
        app: &mut WindowedAggregator,
        now_ms: u64,
    ) {
        if !self.owns(member, task) {
            return;
        }
        let values: Vec<&ChangelogValue> = records.iter().filter_map(|r| self.values.get(&r.record_id)).collect();
        let stream_time_ms = values.iter().filter_map(|v| v.stream_time_ms).max();
        let held = app.restore_task(task_index, stream_time_ms, values.iter().map(|v| (v.key, v.windows.as_slice())));
        self.restored_records += records.len() as u64;
        if let Some(r) = self.restores.iter_mut().rev().find(|r| r.task == task && r.member == member) {
            r.finished_ms = Some(now_ms);
            r.records = records.len() as u64;
            r.windows = held as u64;
        }
    }

    /// The changelog records for what `member` changed since its last flush: one per key, its
    /// open windows of the task and the task's stream time, to the task's partition of the
    /// changelog. `task_index` maps a task to the aggregator's task number.
    pub fn flush(
        &mut self,
        member: NodeId,
        app: &WindowedAggregator,
        task_index: impl Fn(TopicPartition) -> Option<u32>,
    ) -> Vec<(u32, Record)> {
        let mine: Vec<(TopicPartition, KeyId)> =
            self.dirty.iter().copied().filter(|(t, _)| self.owners.get(t) == Some(&member)).collect();
        let mut out = Vec::with_capacity(mine.len());
        for (task, key) in mine {
            self.dirty.remove(&(task, key));
            let Some(ti) = task_index(task) else { continue };
            let windows = app.open_windows(key, ti);
            let stream_time_ms = app.stream_time(ti);
            let record_id = RecordId::new(self.id_space, self.next_seq);
            self.next_seq += 1;
            let record = Record {
                record_id,
                key: Some(key),
                timestamp_ms: stream_time_ms.unwrap_or(0),
                size_bytes: RECORD_BYTES + WINDOW_BYTES * windows.len() as u32,
                offset: Offset(0),
                tombstone: false,
            };
            self.values.insert(record_id, ChangelogValue { key, stream_time_ms, windows });
            out.push((task.partition.0, record));
        }
        self.written += out.len() as u64;
        out
    }

    /// The open windows changelog record `id` carries, if it is one of this store's.
    pub fn windows_in(&self, id: RecordId) -> Option<&[WindowAggregate]> {
        self.values.get(&id).map(|v| v.windows.as_slice())
    }
}
