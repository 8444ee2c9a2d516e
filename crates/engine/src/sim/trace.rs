use super::SimTime;
use crate::ids::{Offset, TopicPartition};
use serde::Serialize;
use std::fmt::Write as _;

/// FNV-1a, 64-bit: a fixed, non-randomised hash, so that the same bytes hash the same on every
/// platform and in every run (std's `RandomState` is seeded per process).
pub fn fnv1a_64(state: u64, bytes: &[u8]) -> u64 {
    let mut h = state;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Whether a trace line is shown by default (`Info`) or only on request (`Debug`), as in Kafka's
/// log4j levels. Both count towards the trace hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Level {
    Info,
    Debug,
}

/// Something that happened, typed. [`TraceEvent::line`] renders it the way Kafka's own logs word it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum TraceEvent {
    /// A broker came up and now leads these partitions.
    BrokerStarted { broker: u32, leader_for: Vec<TopicPartition> },
    /// A batch was appended to a partition leader's log.
    Appended { broker: u32, partition: TopicPartition, base_offset: Offset, records: u32, producer: String },
    /// KIP-394: a member joined with an empty member id and was told to rejoin with this one.
    MemberIdRequired { broker: u32, group: String, member_id: String, state: String },
    /// The group coordinator started a rebalance.
    PreparingRebalance { broker: u32, group: String, state: String, generation_id: u32, reason: String },
    /// All members joined: a new generation.
    GroupStabilized { broker: u32, group: String, generation_id: u32, members: usize },
    /// The leader's SyncGroup carried the assignment.
    AssignmentReceived { broker: u32, group: String, leader: String, generation_id: u32, members: usize },
    /// A member's session timed out: no heartbeat within `session.timeout.ms`.
    MemberSessionExpired { broker: u32, group: String, member_id: String, session_timeout_ms: u64 },
    /// A member sent LeaveGroup.
    MemberLeft { broker: u32, group: String, member_id: String },
    /// The last member left: the group is Empty.
    GroupEmpty { broker: u32, group: String, generation_id: u32 },
    /// A consumer started (the application called `subscribe` then `poll`).
    ConsumerStarted { client_id: String, group: String, topics: Vec<String> },
    /// A consumer's JoinGroup completed.
    JoinedGroup { client_id: String, group: String, generation_id: u32, member_id: String, leader: bool },
    /// A rebalance began on the consumer side: it must rejoin (eager protocol: it gives up all partitions).
    RequestingRejoin { client_id: String, group: String, reason: String },
    /// Eager protocol: the consumer gives up every partition before rejoining.
    PartitionsRevoked { client_id: String, group: String, partitions: Vec<TopicPartition> },
    /// SyncGroup gave the consumer its partitions.
    PartitionsAssigned { client_id: String, group: String, generation_id: u32, partitions: Vec<TopicPartition> },
    /// The consumer resumes a partition at its committed offset.
    SettingOffset { client_id: String, group: String, partition: TopicPartition, offset: Offset },
    /// No committed offset: `auto.offset.reset` decided where to start.
    ResettingOffset { client_id: String, group: String, partition: TopicPartition, offset: Offset, strategy: String },
    /// `poll()` returned records of one partition to the application.
    Polled { client_id: String, partition: TopicPartition, from: Offset, until: Offset },
    /// The group coordinator stored committed offsets.
    OffsetsCommitted { client_id: String, group: String, offsets: Vec<(TopicPartition, Offset)> },
    /// An OffsetCommit failed (for instance with `RebalanceInProgressException`).
    CommitFailed { client_id: String, group: String, error: String },
    /// The consumer's process died without a word: no LeaveGroup, no more heartbeats.
    ConsumerCrashed { client_id: String, group: String },
    /// The application called `close()`: the consumer leaves the group.
    ConsumerClosing { client_id: String, group: String },
}

impl TraceEvent {
    /// Info for what Kafka logs at INFO (joins, rebalances, crashes); Debug for the per-record
    /// detail (appends, polls, commits), which the UI's event log leaves out.
    pub fn level(&self) -> Level {
        match self {
            TraceEvent::Appended { .. } | TraceEvent::Polled { .. } | TraceEvent::OffsetsCommitted { .. } => {
                Level::Debug
            }
            _ => Level::Info,
        }
    }

    /// The event as one log line, in the wording of Kafka's own logs.
    pub fn line(&self) -> String {
        fn list(ps: &[TopicPartition]) -> String {
            ps.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
        }
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = match self {
            TraceEvent::BrokerStarted { broker, leader_for } => {
                write!(s, "[KafkaServer id={broker}] started; leader for [{}]", list(leader_for))
            }
            TraceEvent::Appended { broker, partition, base_offset, records, producer } => write!(
                s,
                "[Partition {partition} broker={broker}] Appended {records} record(s) from {producer} at offsets {base_offset}..{}",
                base_offset.0 + *records as u64 - 1
            ),
            TraceEvent::MemberIdRequired { broker, group, member_id, state } => write!(
                s,
                "[GroupCoordinator {broker}] Dynamic member with unknown member id joins group {group} in {state} state. Created a new member id {member_id} and request the member to rejoin with this id."
            ),
            TraceEvent::PreparingRebalance { broker, group, state, generation_id, reason } => write!(
                s,
                "[GroupCoordinator {broker}] Preparing to rebalance group {group} in state PreparingRebalance with old generation {generation_id} (previous state {state}) (reason: {reason})"
            ),
            TraceEvent::GroupStabilized { broker, group, generation_id, members } => write!(
                s,
                "[GroupCoordinator {broker}] Stabilized group {group} generation {generation_id} with {members} members"
            ),
            TraceEvent::AssignmentReceived { broker, group, leader, generation_id, members } => write!(
                s,
                "[GroupCoordinator {broker}] Assignment received from leader {leader} for group {group} for generation {generation_id}. The group has {members} members, 0 of which are static."
            ),
            TraceEvent::MemberSessionExpired { broker, group, member_id, session_timeout_ms } => write!(
                s,
                "[GroupCoordinator {broker}] Member {member_id} in group {group} has failed, removing it from the group (session timeout {session_timeout_ms} ms expired)"
            ),
            TraceEvent::MemberLeft { broker, group, member_id } => write!(
                s,
                "[GroupCoordinator {broker}] Member {member_id} has left group {group} through explicit `LeaveGroup` request"
            ),
            TraceEvent::GroupEmpty { broker, group, generation_id } => write!(
                s,
                "[GroupCoordinator {broker}] Group {group} with generation {generation_id} is now empty"
            ),
            TraceEvent::ConsumerStarted { client_id, group, topics } => write!(
                s,
                "[Consumer clientId={client_id}, groupId={group}] Subscribed to topic(s): {}",
                topics.join(", ")
            ),
            TraceEvent::JoinedGroup { client_id, group, generation_id, member_id, leader } => write!(
                s,
                "[Consumer clientId={client_id}, groupId={group}] Successfully joined group with generation Generation{{generationId={generation_id}, memberId='{member_id}', protocol='range'}}{}",
                if *leader { " as leader" } else { "" }
            ),
            TraceEvent::RequestingRejoin { client_id, group, reason } => write!(
                s,
                "[Consumer clientId={client_id}, groupId={group}] Request joining group due to: {reason}"
            ),
            TraceEvent::PartitionsRevoked { client_id, group, partitions } => write!(
                s,
                "[Consumer clientId={client_id}, groupId={group}] Revoke previously assigned partitions {}",
                list(partitions)
            ),
            TraceEvent::PartitionsAssigned { client_id, group, generation_id, partitions } => write!(
                s,
                "[Consumer clientId={client_id}, groupId={group}] Adding newly assigned partitions: {} (generation {generation_id})",
                list(partitions)
            ),
            TraceEvent::SettingOffset { client_id, group, partition, offset } => write!(
                s,
                "[Consumer clientId={client_id}, groupId={group}] Setting offset for partition {partition} to the committed offset FetchPosition{{offset={offset}}}"
            ),
            TraceEvent::ResettingOffset { client_id, group, partition, offset, strategy } => write!(
                s,
                "[Consumer clientId={client_id}, groupId={group}] Resetting offset for partition {partition} to position FetchPosition{{offset={offset}}} (auto.offset.reset={strategy})"
            ),
            TraceEvent::Polled { client_id, partition, from, until } => write!(
                s,
                "[Consumer clientId={client_id}] poll() returned {} record(s) of {partition} at offsets {from}..{}",
                until.0 - from.0,
                until.0.saturating_sub(1)
            ),
            TraceEvent::OffsetsCommitted { client_id, group, offsets } => {
                let parts: Vec<String> = offsets.iter().map(|(tp, o)| format!("{tp}={o}")).collect();
                write!(s, "[Consumer clientId={client_id}, groupId={group}] Committed offsets {}", parts.join(", "))
            }
            TraceEvent::CommitFailed { client_id, group, error } => write!(
                s,
                "[Consumer clientId={client_id}, groupId={group}] Offset commit failed: {error}"
            ),
            TraceEvent::ConsumerCrashed { client_id, group } => write!(
                s,
                "[Consumer clientId={client_id}, groupId={group}] process crashed: no LeaveGroup is sent, heartbeats stop"
            ),
            TraceEvent::ConsumerClosing { client_id, group } => write!(
                s,
                "[Consumer clientId={client_id}, groupId={group}] Member sending LeaveGroup request to coordinator due to the consumer is being closed"
            ),
        };
        s
    }
}

/// One trace line: when it happened and what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEntry {
    pub time: SimTime,
    pub event: TraceEvent,
}

/// The whole trace of a run, with a running hash over every entry's time and line.
#[derive(Debug, Clone)]
pub struct Trace {
    entries: Vec<TraceEntry>,
    /// Indexes of the Info-level entries, so that the UI's "latest lines" need not scan the
    /// Debug ones.
    info: Vec<usize>,
    hash: u64,
}

impl Default for Trace {
    fn default() -> Self {
        Trace { entries: Vec::new(), info: Vec::new(), hash: FNV_OFFSET }
    }
}

impl Trace {
    /// Appends `event` at `time` and folds its line (`time|line\n`) into the hash.
    pub fn push(&mut self, time: SimTime, event: TraceEvent) {
        let line = format!("{}|{}\n", time.0, event.line());
        self.hash = fnv1a_64(self.hash, line.as_bytes());
        if event.level() == Level::Info {
            self.info.push(self.entries.len());
        }
        self.entries.push(TraceEntry { time, event });
    }

    /// The last `n` Info-level entries, oldest first.
    pub fn latest_info(&self, n: usize) -> impl Iterator<Item = &TraceEntry> {
        self.info[self.info.len().saturating_sub(n)..].iter().map(|&i| &self.entries[i])
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[TraceEntry] {
        &self.entries
    }

    /// FNV-1a 64 over `"{time_ms}|{line}\n"` of every entry in order.
    pub fn hash(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_known_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a_64(FNV_OFFSET, b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a_64(FNV_OFFSET, b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a_64(FNV_OFFSET, b"foobar"), 0x85944171f73967e8);
    }
}
