//! The group coordinator for the classic consumer group protocol (JoinGroup, SyncGroup,
//! Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch), following Kafka's `GroupCoordinator` /
//! `ClassicGroup`: members join, the coordinator waits for everyone (or the rebalance timeout),
//! opens a new generation, the leader's SyncGroup carries the assignment, and heartbeats keep
//! sessions alive. It runs inside a broker and knows nothing of consumers' internals.

use crate::config::BrokerConfig;
use crate::ids::{GroupId, NodeId, Offset, TopicPartition};
use crate::node::{Ctx, Timer};
use crate::protocol::{JoinGroupMember, KafkaError, Message};
use crate::sim::{SimTime, TraceEvent};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use super::BrokerTimer;

/// The states of a classic group and their transitions (Kafka's `ClassicGroupState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GroupState {
    /// No members. → PreparingRebalance when a member joins.
    Empty,
    /// Waiting for every member to (re)join, up to the rebalance timeout (for an empty group,
    /// first `group.initial.rebalance.delay.ms`). → CompletingRebalance when all have joined or
    /// the timeout passed; → Empty if no member is left.
    PreparingRebalance,
    /// A new generation exists; waiting for the leader's SyncGroup with the assignment.
    /// → Stable on the leader's SyncGroup; → PreparingRebalance if a member joins, leaves or fails.
    CompletingRebalance,
    /// Members have their assignment and heartbeat. → PreparingRebalance on a join, leave or
    /// session timeout.
    Stable,
}

impl GroupState {
    /// The state's name as Kafka's `GroupState` prints it (`PreparingRebalance`, `Stable`, ...).
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
        }
    }
}

/// A group member as the coordinator sees it.
#[derive(Debug, Clone)]
pub struct MemberMetadata {
    pub member_id: String,
    pub client_id: String,
    node: NodeId,
    pub session_timeout_ms: u64,
    rebalance_timeout_ms: u64,
    topics: Vec<String>,
    pub assignment: Vec<TopicPartition>,
    /// Sent JoinGroup in this rebalance; the response is owed.
    awaiting_join: bool,
    /// Sent SyncGroup in this generation; the response is owed.
    awaiting_sync: bool,
    session_deadline: SimTime,
}

/// One consumer group's state on its coordinator.
#[derive(Debug, Clone)]
pub struct Group {
    pub group_id: String,
    /// The group's id in the scenario, which trace events carry.
    pub id: GroupId,
    pub state: GroupState,
    pub generation_id: u32,
    pub leader: Option<String>,
    pub members: BTreeMap<String, MemberMetadata>,
    /// Committed offsets (`__consumer_offsets`).
    pub offsets: BTreeMap<TopicPartition, Offset>,
    /// Completed rebalances (generations that had members).
    pub rebalances: u32,
    /// The generation last written to `__consumer_offsets`.
    pub persisted_generation: u32,
    /// KIP-394: member ids handed out that have not joined with them yet.
    pending_members: BTreeSet<String>,
    /// Bumped at every rebalance so that a stale join timer does nothing.
    rebalance_epoch: u64,
    /// While the initial delay runs: the rebalance time still left, and whether a new member
    /// came during the last delay.
    initial_delay: Option<(u64, bool)>,
}

impl Group {
    fn new(group_id: &str, id: GroupId) -> Self {
        Group {
            group_id: group_id.to_string(),
            id,
            state: GroupState::Empty,
            generation_id: 0,
            leader: None,
            members: BTreeMap::new(),
            offsets: BTreeMap::new(),
            rebalances: 0,
            persisted_generation: 0,
            pending_members: BTreeSet::new(),
            rebalance_epoch: 0,
            initial_delay: None,
        }
    }

    fn rebalance_timeout_ms(&self) -> u64 {
        self.members.values().map(|m| m.rebalance_timeout_ms).max().unwrap_or(0)
    }
}

/// Group coordinator timers.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupTimer {
    SessionExpiry { group_id: String, member_id: String, deadline: SimTime },
    JoinDeadline { group_id: String, epoch: u64 },
    InitialJoinDelay { group_id: String, epoch: u64 },
}

/// The coordinator of every group whose `__consumer_offsets` partition this broker leads.
#[derive(Debug, Clone)]
pub struct GroupCoordinator {
    broker: u32,
    config: BrokerConfig,
    pub groups: BTreeMap<String, Group>,
    /// The scenario's `group.id`s: the `GroupId` of a group is its index here.
    group_ids: Vec<String>,
}

fn timer(t: GroupTimer) -> Timer {
    Timer::Broker(BrokerTimer::Group(t))
}

impl GroupCoordinator {
    /// The coordinator on broker `broker`, with no groups yet; `config` gives
    /// `group.initial.rebalance.delay.ms` and the session-timeout bounds; `group_ids` are the
    /// scenario's groups, in `GroupId` order.
    pub fn new(broker: u32, config: BrokerConfig, group_ids: Vec<String>) -> Self {
        GroupCoordinator { broker, config, groups: BTreeMap::new(), group_ids }
    }

    /// A new group's state; a `group.id` the scenario does not list gets an id past its groups.
    fn new_group(group_ids: &[String], group_id: &str) -> Group {
        let id = group_ids.iter().position(|g| g == group_id).unwrap_or(group_ids.len());
        Group::new(group_id, GroupId(id as u32))
    }

    /// Handles a group request (OffsetCommit excepted: the broker persists it); returns false if
    /// `msg` is not one.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) -> bool {
        match msg {
            Message::JoinGroupRequest {
                group_id,
                member_id,
                client_id,
                session_timeout_ms,
                rebalance_timeout_ms,
                topics,
            } => {
                self.join(ctx, from, &group_id, member_id, client_id, session_timeout_ms, rebalance_timeout_ms, topics)
            }
            Message::SyncGroupRequest { group_id, generation_id, member_id, assignments } => {
                self.sync(ctx, from, &group_id, generation_id, &member_id, assignments)
            }
            Message::HeartbeatRequest { group_id, generation_id, member_id } => {
                let error = self.heartbeat(ctx, &group_id, generation_id, &member_id);
                ctx.send(from, Message::HeartbeatResponse { error });
            }
            Message::LeaveGroupRequest { group_id, member_id } => {
                let error = self.leave(ctx, &group_id, &member_id);
                ctx.send(from, Message::LeaveGroupResponse { error });
            }
            Message::OffsetFetchRequest { correlation_id, group_id, partitions } => {
                let group = self.groups.get(&group_id);
                let offsets =
                    partitions.into_iter().map(|tp| (tp, group.and_then(|g| g.offsets.get(&tp).copied()))).collect();
                ctx.send(from, Message::OffsetFetchResponse { correlation_id, error: None, offsets });
            }
            _ => return false,
        }
        true
    }

    /// Handles one of its timers: the initial rebalance delay (`group.initial.rebalance.delay.ms`)
    /// running out, a join phase reaching its rebalance timeout, or a member's session
    /// (`session.timeout.ms`) expiring.
    pub fn on_timer(&mut self, ctx: &mut Ctx, t: GroupTimer) {
        match t {
            GroupTimer::SessionExpiry { group_id, member_id, deadline } => {
                let Some(group) = self.groups.get_mut(&group_id) else { return };
                let Some(member) = group.members.get(&member_id) else { return };
                if member.session_deadline != deadline {
                    return; // a later heartbeat moved the deadline
                }
                // Kafka keeps alive a member whose JoinGroup or SyncGroup is being held.
                if member.awaiting_join || member.awaiting_sync {
                    self.touch(ctx, &group_id, &member_id);
                    return;
                }
                let session_timeout_ms = member.session_timeout_ms;
                ctx.trace(TraceEvent::MemberSessionExpired {
                    broker: self.broker,
                    group: group.id,
                    member_id: member_id.clone(),
                    session_timeout_ms,
                });
                self.remove_member(
                    ctx,
                    &group_id,
                    &member_id,
                    &format!("removing member {member_id} on heartbeat expiration"),
                );
            }
            GroupTimer::JoinDeadline { group_id, epoch } => {
                let Some(group) = self.groups.get(&group_id) else { return };
                if group.rebalance_epoch == epoch
                    && group.state == GroupState::PreparingRebalance
                    && group.initial_delay.is_none()
                {
                    self.complete_join(ctx, &group_id);
                }
            }
            GroupTimer::InitialJoinDelay { group_id, epoch } => {
                let delay = self.config.group_initial_rebalance_delay_ms;
                let Some(group) = self.groups.get_mut(&group_id) else { return };
                if group.rebalance_epoch != epoch {
                    return;
                }
                match group.initial_delay {
                    Some((remaining, true)) if remaining > 0 => {
                        let next = delay.min(remaining);
                        group.initial_delay = Some((remaining - next, false));
                        ctx.set_timer(next, timer(GroupTimer::InitialJoinDelay { group_id, epoch }));
                    }
                    _ => {
                        group.initial_delay = None;
                        self.complete_join(ctx, &group_id);
                    }
                }
            }
        }
    }

    /// Moves the member's session deadline to now + `session.timeout.ms`.
    fn touch(&mut self, ctx: &mut Ctx, group_id: &str, member_id: &str) {
        let Some(m) = self.groups.get_mut(group_id).and_then(|g| g.members.get_mut(member_id)) else { return };
        m.session_deadline = ctx.now().plus_ms(m.session_timeout_ms);
        let deadline = m.session_deadline;
        ctx.set_timer(
            m.session_timeout_ms,
            timer(GroupTimer::SessionExpiry {
                group_id: group_id.to_string(),
                member_id: member_id.to_string(),
                deadline,
            }),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn join(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        group_id: &str,
        member_id: String,
        client_id: String,
        session_timeout_ms: u64,
        rebalance_timeout_ms: u64,
        topics: Vec<String>,
    ) {
        let reject = |ctx: &mut Ctx, error: KafkaError, member_id: String| {
            ctx.send(
                from,
                Message::JoinGroupResponse {
                    error: Some(error),
                    generation_id: 0,
                    leader: String::new(),
                    member_id,
                    members: vec![],
                },
            );
        };
        let group =
            self.groups.entry(group_id.to_string()).or_insert_with(|| Self::new_group(&self.group_ids, group_id));
        if member_id.is_empty() {
            let new_id = format!("{client_id}-{}", uuid_v4(ctx));
            group.pending_members.insert(new_id.clone());
            ctx.trace(TraceEvent::MemberIdRequired {
                broker: self.broker,
                group: group.id,
                member_id: new_id.clone(),
                state: group.state.name(),
            });
            reject(ctx, KafkaError::MemberIdRequired, new_id);
            return;
        }
        let is_new = group.pending_members.remove(&member_id);
        if !is_new && !group.members.contains_key(&member_id) {
            reject(ctx, KafkaError::UnknownMemberId, member_id);
            return;
        }
        let member = group.members.entry(member_id.clone()).or_insert_with(|| MemberMetadata {
            member_id: member_id.clone(),
            client_id: client_id.clone(),
            node: from,
            session_timeout_ms,
            rebalance_timeout_ms,
            topics: topics.clone(),
            assignment: vec![],
            awaiting_join: false,
            awaiting_sync: false,
            session_deadline: SimTime::ZERO,
        });
        member.node = from;
        member.topics = topics;
        member.session_timeout_ms = session_timeout_ms;
        member.rebalance_timeout_ms = rebalance_timeout_ms;
        member.awaiting_join = true;
        member.awaiting_sync = false;
        let state = group.state;
        self.touch(ctx, group_id, &member_id);
        let reason = if is_new {
            format!("Adding new member {member_id} with group instance id null")
        } else {
            format!("Updating metadata for member {member_id} during {}", state.name())
        };
        match state {
            GroupState::Empty => {
                let delay = self.config.group_initial_rebalance_delay_ms;
                let group = self.groups.get_mut(group_id).expect("inserted above");
                group.initial_delay = Some((rebalance_timeout_ms.saturating_sub(delay), false));
                self.prepare_rebalance(ctx, group_id, &reason);
                let epoch = self.groups[group_id].rebalance_epoch;
                ctx.set_timer(delay, timer(GroupTimer::InitialJoinDelay { group_id: group_id.to_string(), epoch }));
            }
            GroupState::PreparingRebalance => {
                let group = self.groups.get_mut(group_id).expect("exists");
                if let Some((_, joined)) = group.initial_delay.as_mut() {
                    *joined |= is_new;
                } else {
                    self.maybe_complete_join(ctx, group_id);
                }
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                self.prepare_rebalance(ctx, group_id, &reason);
                self.maybe_complete_join(ctx, group_id);
            }
        }
    }

    fn prepare_rebalance(&mut self, ctx: &mut Ctx, group_id: &str, reason: &str) {
        let Some(group) = self.groups.get_mut(group_id) else { return };
        if group.state == GroupState::CompletingRebalance {
            // SyncGroups held for the generation that is ending fail; those members rejoin.
            for m in group.members.values_mut().filter(|m| m.awaiting_sync) {
                m.awaiting_sync = false;
                ctx.send(
                    m.node,
                    Message::SyncGroupResponse {
                        error: Some(KafkaError::RebalanceInProgress),
                        generation_id: group.generation_id,
                        assignment: vec![],
                    },
                );
            }
        }
        ctx.trace(TraceEvent::PreparingRebalance {
            broker: self.broker,
            group: group.id,
            state: group.state.name(),
            generation_id: group.generation_id,
            reason: reason.to_string(),
        });
        group.state = GroupState::PreparingRebalance;
        group.rebalance_epoch += 1;
        if group.initial_delay.is_none() {
            let epoch = group.rebalance_epoch;
            ctx.set_timer(
                group.rebalance_timeout_ms(),
                timer(GroupTimer::JoinDeadline { group_id: group_id.to_string(), epoch }),
            );
        }
    }

    fn maybe_complete_join(&mut self, ctx: &mut Ctx, group_id: &str) {
        let Some(group) = self.groups.get(group_id) else { return };
        if group.state == GroupState::PreparingRebalance
            && group.initial_delay.is_none()
            && group.members.values().all(|m| m.awaiting_join)
        {
            self.complete_join(ctx, group_id);
        }
    }

    /// Opens the next generation with the members that rejoined; the others are dropped.
    fn complete_join(&mut self, ctx: &mut Ctx, group_id: &str) {
        let broker = self.broker;
        let Some(group) = self.groups.get_mut(group_id) else { return };
        group.members.retain(|_, m| m.awaiting_join);
        group.generation_id += 1;
        if group.members.is_empty() {
            group.state = GroupState::Empty;
            group.leader = None;
            ctx.trace(TraceEvent::GroupEmpty { broker, group: group.id, generation_id: group.generation_id });
            return;
        }
        group.state = GroupState::CompletingRebalance;
        group.rebalances += 1;
        if group.leader.as_ref().is_none_or(|l| !group.members.contains_key(l)) {
            group.leader = group.members.keys().next().cloned();
        }
        let leader = group.leader.clone().unwrap_or_default();
        ctx.trace(TraceEvent::GroupStabilized {
            broker,
            group: group.id,
            generation_id: group.generation_id,
            members: group.members.len(),
        });
        let everyone: Vec<JoinGroupMember> = group
            .members
            .values()
            .map(|m| JoinGroupMember { member_id: m.member_id.clone(), topics: m.topics.clone() })
            .collect();
        for m in group.members.values_mut() {
            m.awaiting_join = false;
            let members = if m.member_id == leader { everyone.clone() } else { vec![] };
            ctx.send(
                m.node,
                Message::JoinGroupResponse {
                    error: None,
                    generation_id: group.generation_id,
                    leader: leader.clone(),
                    member_id: m.member_id.clone(),
                    members,
                },
            );
        }
        let ids: Vec<String> = group.members.keys().cloned().collect();
        for id in ids {
            self.touch(ctx, group_id, &id);
        }
    }

    fn sync(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        group_id: &str,
        generation_id: u32,
        member_id: &str,
        assignments: Vec<(String, Vec<TopicPartition>)>,
    ) {
        let fail = |ctx: &mut Ctx, error: KafkaError| {
            ctx.send(from, Message::SyncGroupResponse { error: Some(error), generation_id, assignment: vec![] });
        };
        let broker = self.broker;
        let Some(group) = self.groups.get_mut(group_id) else { return fail(ctx, KafkaError::UnknownMemberId) };
        if !group.members.contains_key(member_id) {
            return fail(ctx, KafkaError::UnknownMemberId);
        }
        if group.generation_id != generation_id {
            return fail(ctx, KafkaError::IllegalGeneration);
        }
        match group.state {
            GroupState::Empty | GroupState::PreparingRebalance => fail(ctx, KafkaError::RebalanceInProgress),
            GroupState::Stable => {
                let assignment = group.members[member_id].assignment.clone();
                ctx.send(from, Message::SyncGroupResponse { error: None, generation_id, assignment });
            }
            GroupState::CompletingRebalance => {
                let m = group.members.get_mut(member_id).expect("checked");
                m.awaiting_sync = true;
                m.node = from;
                if group.leader.as_deref() == Some(member_id) {
                    let mut given: BTreeMap<String, Vec<TopicPartition>> = assignments.into_iter().collect();
                    for m in group.members.values_mut() {
                        m.assignment = given.remove(&m.member_id).unwrap_or_default();
                    }
                    group.state = GroupState::Stable;
                    ctx.trace(TraceEvent::AssignmentReceived {
                        broker,
                        group: group.id,
                        leader: member_id.to_string(),
                        generation_id,
                        members: group.members.len(),
                    });
                    for m in group.members.values_mut().filter(|m| m.awaiting_sync) {
                        m.awaiting_sync = false;
                        ctx.send(
                            m.node,
                            Message::SyncGroupResponse { error: None, generation_id, assignment: m.assignment.clone() },
                        );
                    }
                }
                self.touch(ctx, group_id, member_id);
            }
        }
    }

    fn heartbeat(&mut self, ctx: &mut Ctx, group_id: &str, generation_id: u32, member_id: &str) -> Option<KafkaError> {
        let group = self.groups.get(group_id)?;
        if !group.members.contains_key(member_id) {
            return Some(KafkaError::UnknownMemberId);
        }
        let state = group.state;
        let generation = group.generation_id;
        self.touch(ctx, group_id, member_id);
        match state {
            GroupState::PreparingRebalance => Some(KafkaError::RebalanceInProgress),
            _ if generation != generation_id => Some(KafkaError::IllegalGeneration),
            _ => None,
        }
    }

    fn leave(&mut self, ctx: &mut Ctx, group_id: &str, member_id: &str) -> Option<KafkaError> {
        let group = self.groups.get(group_id)?;
        if !group.members.contains_key(member_id) {
            return Some(KafkaError::UnknownMemberId);
        }
        ctx.trace(TraceEvent::MemberLeft { broker: self.broker, group: group.id, member_id: member_id.to_string() });
        self.remove_member(ctx, group_id, member_id, &format!("removing member {member_id} on LeaveGroup"));
        None
    }

    fn remove_member(&mut self, ctx: &mut Ctx, group_id: &str, member_id: &str, reason: &str) {
        let Some(group) = self.groups.get_mut(group_id) else { return };
        group.members.remove(member_id);
        match group.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(ctx, group_id, reason);
                self.maybe_complete_join(ctx, group_id);
            }
            GroupState::PreparingRebalance => self.maybe_complete_join(ctx, group_id),
            GroupState::Empty => {}
        }
    }

    /// A group this coordinator takes over, with the offsets its log holds and no members:
    /// they find it and rejoin.
    pub fn load(&mut self, group_id: &str, generation_id: u32, offsets: BTreeMap<TopicPartition, Offset>) {
        let mut group = Self::new_group(&self.group_ids, group_id);
        group.offsets = offsets;
        group.generation_id = generation_id;
        group.persisted_generation = generation_id;
        self.groups.insert(group_id.to_string(), group);
    }

    /// Validates an OffsetCommit from a member and stores its offsets; the broker persists them.
    pub fn commit(
        &mut self,
        ctx: &mut Ctx,
        group_id: &str,
        generation_id: u32,
        member_id: &str,
        offsets: &[(TopicPartition, Offset)],
    ) -> Option<KafkaError> {
        let group =
            self.groups.entry(group_id.to_string()).or_insert_with(|| Self::new_group(&self.group_ids, group_id));
        if !group.members.contains_key(member_id) {
            return Some(KafkaError::UnknownMemberId);
        }
        if group.generation_id != generation_id {
            return Some(KafkaError::IllegalGeneration);
        }
        if group.state == GroupState::CompletingRebalance {
            return Some(KafkaError::RebalanceInProgress);
        }
        for (tp, o) in offsets {
            group.offsets.insert(*tp, *o);
        }
        self.touch(ctx, group_id, member_id);
        None
    }
}

/// A random (version 4) UUID from the simulation's RNG, as `UUID.randomUUID()` prints it.
fn uuid_v4(ctx: &mut Ctx) -> String {
    let hi = ctx.rng.next_u64();
    let lo = ctx.rng.next_u64();
    let hi = (hi & !0xf000) | 0x4000;
    let lo = (lo & !(0xc000u64 << 48)) | (0x8000u64 << 48);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}
