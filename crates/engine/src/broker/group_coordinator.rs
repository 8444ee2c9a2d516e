//! The group coordinator for the classic consumer group protocol (JoinGroup, SyncGroup,
//! Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch), following Kafka's `GroupCoordinator` /
//! `ClassicGroup`: members join, the coordinator waits for everyone (or the rebalance timeout),
//! opens a new generation, the leader's SyncGroup carries the assignment, and heartbeats keep
//! sessions alive. It runs inside a broker and knows nothing of consumers' internals.

use crate::config::BrokerConfig;
use crate::ids::{GroupId, NodeId, Offset, TopicPartition};
use crate::node::{Ctx, Timer};
use crate::protocol::{JoinGroupMember, KafkaError, Message, RebalanceTrigger};
use crate::sim::{SimTime, TraceEvent};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use super::BrokerTimer;

/// The states of a classic group and their transitions (Kafka's `ClassicGroupState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GroupState {
    /// No members, but the group (its offsets) exists. → PreparingRebalance when a member
    /// joins; → Dead when the coordinator unloads it.
    Empty,
    /// Waiting for every member to (re)join, up to the rebalance timeout (for an empty group,
    /// first `group.initial.rebalance.delay.ms`). → CompletingRebalance when all have joined or
    /// the timeout passed; → Empty if no member is left; → Dead when unloaded.
    PreparingRebalance,
    /// A new generation exists; waiting for the leader's SyncGroup with the assignment.
    /// → Stable on the leader's SyncGroup; → PreparingRebalance if a member joins, leaves or
    /// fails; → Dead when unloaded.
    CompletingRebalance,
    /// Members have their assignment and heartbeat. → PreparingRebalance on a join, leave,
    /// session timeout or poll timeout; → Dead when unloaded.
    Stable,
    /// The coordinator no longer owns the group (its `__consumer_offsets` partition moved):
    /// held requests are answered `NOT_COORDINATOR` and the group is dropped. Final.
    Dead,
}

impl GroupState {
    /// The state's name as Kafka's `GroupState` prints it (`PreparingRebalance`, `Stable`, ...).
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// A group member as the coordinator sees it.
#[derive(Debug, Clone)]
pub struct MemberMetadata {
    pub member_id: String,
    pub client_id: String,
    /// KIP-345's `group.instance.id`: a static member.
    pub group_instance_id: Option<String>,
    node: NodeId,
    pub session_timeout_ms: u64,
    rebalance_timeout_ms: u64,
    /// Supported assignors, preferred first.
    pub protocols: Vec<String>,
    topics: Vec<String>,
    owned_partitions: Vec<TopicPartition>,
    owned_generation: Option<u32>,
    pub assignment: Vec<TopicPartition>,
    /// Sent JoinGroup in this rebalance; the response is owed.
    awaiting_join: bool,
    /// Sent SyncGroup in this generation; the response is owed.
    awaiting_sync: bool,
    session_deadline: SimTime,
    /// When it was put in Kafka's `HashMap` of members: the order within a bucket.
    seq: u64,
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
    /// The assignor chosen for the current generation (`ClassicGroup.selectProtocol`).
    pub protocol_name: Option<String>,
    pub members: BTreeMap<String, MemberMetadata>,
    /// `group.instance.id` → member id.
    pub static_members: BTreeMap<String, String>,
    /// Committed offsets (`__consumer_offsets`).
    pub offsets: BTreeMap<TopicPartition, Offset>,
    /// Completed rebalances (generations that had members).
    pub rebalances: u32,
    /// What started the rebalance in progress, or the last one.
    pub trigger: Option<RebalanceTrigger>,
    /// The generation last written to `__consumer_offsets`.
    pub persisted_generation: u32,
    /// KIP-394: member ids handed out that have not joined with them yet.
    pending_members: BTreeSet<String>,
    /// Bumped at every rebalance so that a stale join timer does nothing.
    rebalance_epoch: u64,
    /// While the initial delay runs: the rebalance time still left, and whether a new member
    /// came during the last delay.
    initial_delay: Option<(u64, bool)>,
    /// The table size of Kafka's `HashMap` of members (it grows, never shrinks), and the next
    /// insertion number: together they give Java's iteration order.
    table_capacity: usize,
    next_seq: u64,
}

impl Group {
    fn new(group_id: &str, id: GroupId) -> Self {
        Group {
            group_id: group_id.to_string(),
            id,
            state: GroupState::Empty,
            generation_id: 0,
            leader: None,
            protocol_name: None,
            members: BTreeMap::new(),
            static_members: BTreeMap::new(),
            offsets: BTreeMap::new(),
            rebalances: 0,
            trigger: None,
            persisted_generation: 0,
            pending_members: BTreeSet::new(),
            rebalance_epoch: 0,
            initial_delay: None,
            table_capacity: 16,
            next_seq: 0,
        }
    }

    fn rebalance_timeout_ms(&self) -> u64 {
        self.members.values().map(|m| m.rebalance_timeout_ms).max().unwrap_or(0)
    }

    /// `members.put`: a new entry goes last in its bucket; the table doubles past 3/4 full.
    fn put_member(&mut self, mut m: MemberMetadata) {
        m.seq = self.next_seq;
        self.next_seq += 1;
        self.members.insert(m.member_id.clone(), m);
        while self.members.len() * 4 > self.table_capacity * 3 {
            self.table_capacity *= 2;
        }
    }

    /// Member ids in the order Java iterates Kafka's `HashMap<String, ClassicGroupMember>`:
    /// by bucket (`(h ^ h >>> 16) & (capacity - 1)` of `String.hashCode()`), then by insertion
    /// within a bucket (resizes keep that order).
    pub fn members_in_java_order(&self) -> Vec<&str> {
        let mut ids: Vec<(usize, u64, &str)> = self
            .members
            .values()
            .map(|m| (java_bucket(&m.member_id, self.table_capacity), m.seq, m.member_id.as_str()))
            .collect();
        ids.sort();
        ids.into_iter().map(|(_, _, id)| id).collect()
    }

    /// `ClassicGroup.add`: the first member added to a group without a leader leads it.
    fn add_member(&mut self, m: MemberMetadata) {
        if let Some(instance) = &m.group_instance_id {
            self.static_members.insert(instance.clone(), m.member_id.clone());
        }
        if self.leader.is_none() {
            self.leader = Some(m.member_id.clone());
        }
        self.pending_members.remove(&m.member_id);
        self.put_member(m);
    }

    /// `ClassicGroup.remove`: a leaving leader is replaced by the first member in Java's
    /// iteration order.
    fn remove_member(&mut self, member_id: &str) -> Option<MemberMetadata> {
        let removed = self.members.remove(member_id);
        if let Some(instance) = removed.as_ref().and_then(|m| m.group_instance_id.as_ref()) {
            self.static_members.remove(instance);
        }
        if self.leader.as_deref() == Some(member_id) {
            self.leader = self.members_in_java_order().first().map(|s| s.to_string());
        }
        self.pending_members.remove(member_id);
        removed
    }

    /// `ClassicGroup.selectProtocol`: among the assignors every member supports, each member
    /// votes for its most preferred; the most votes win (ties: the first in Java's iteration
    /// order of the names).
    fn select_protocol(&self) -> Option<String> {
        let first = self.members.values().next()?;
        let candidates: Vec<&String> =
            first.protocols.iter().filter(|p| self.members.values().all(|m| m.protocols.contains(p))).collect();
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some(p) = m.protocols.iter().find(|p| candidates.contains(p)) {
                *votes.entry(p.as_str()).or_default() += 1;
            }
        }
        let max = votes.values().copied().max()?;
        let mut best: Vec<&str> = votes.iter().filter(|(_, v)| **v == max).map(|(p, _)| *p).collect();
        best.sort_by_key(|p| java_bucket(p, 16));
        best.first().map(|p| p.to_string())
    }

    /// `ClassicGroup.maybeElectNewJoinedLeader`: a leader that has not rejoined is replaced by
    /// the first rejoined member in Java's order; false if no member rejoined.
    fn elect_joined_leader(&mut self) -> bool {
        let Some(leader) = self.leader.clone() else { return false };
        if self.members.get(&leader).is_some_and(|m| m.awaiting_join) {
            return true;
        }
        let joined = self.members_in_java_order().into_iter().find(|id| self.members[*id].awaiting_join);
        match joined.map(str::to_string) {
            Some(id) => {
                self.leader = Some(id);
                true
            }
            None => false,
        }
    }

    /// Checks a request's member id and `group.instance.id` (`ClassicGroup.validateMember`).
    fn validate_member(&self, member_id: &str, group_instance_id: Option<&str>) -> Result<(), KafkaError> {
        if let Some(instance) = group_instance_id {
            match self.static_members.get(instance) {
                None => return Err(KafkaError::UnknownMemberId),
                Some(current) if current != member_id => return Err(KafkaError::FencedInstanceId),
                Some(_) => {}
            }
        }
        if self.members.contains_key(member_id) {
            Ok(())
        } else {
            Err(KafkaError::UnknownMemberId)
        }
    }
}

/// Java's `String.hashCode()` spread as `HashMap.hash` does, masked to a table of `capacity`.
fn java_bucket(s: &str, capacity: usize) -> usize {
    let h = s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32)) as u32;
    ((h ^ (h >> 16)) as usize) & (capacity - 1)
}

/// Group coordinator timers.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupTimer {
    SessionExpiry {
        group_id: String,
        member_id: String,
        deadline: SimTime,
    },
    JoinDeadline {
        group_id: String,
        epoch: u64,
    },
    InitialJoinDelay {
        group_id: String,
        epoch: u64,
    },
    /// A member id handed out by MEMBER_ID_REQUIRED that was never used expires after the
    /// session timeout (`addPendingMemberExpiration`).
    PendingMemberExpiry {
        group_id: String,
        member_id: String,
    },
}

/// A JoinGroup as the coordinator handles it.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub session_timeout_ms: u64,
    pub rebalance_timeout_ms: u64,
    pub protocols: Vec<String>,
    pub topics: Vec<String>,
    pub owned_partitions: Vec<TopicPartition>,
    pub owned_generation: Option<u32>,
    pub reason: RebalanceTrigger,
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

fn join_error(error: KafkaError, member_id: String) -> Message {
    Message::JoinGroupResponse {
        error: Some(error),
        generation_id: 0,
        protocol_name: String::new(),
        leader: String::new(),
        member_id,
        members: vec![],
    }
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
                group_instance_id,
                client_id,
                session_timeout_ms,
                rebalance_timeout_ms,
                protocols,
                topics,
                owned_partitions,
                owned_generation,
                reason,
            } => {
                let request = JoinRequest {
                    member_id,
                    group_instance_id,
                    client_id,
                    session_timeout_ms,
                    rebalance_timeout_ms,
                    protocols,
                    topics,
                    owned_partitions,
                    owned_generation,
                    reason,
                };
                self.join(ctx, from, &group_id, request)
            }
            Message::SyncGroupRequest { group_id, generation_id, member_id, group_instance_id, assignments } => {
                self.sync(ctx, from, &group_id, generation_id, &member_id, group_instance_id.as_deref(), assignments)
            }
            Message::HeartbeatRequest { group_id, generation_id, member_id, group_instance_id } => {
                let error = self.heartbeat(ctx, &group_id, generation_id, &member_id, group_instance_id.as_deref());
                ctx.send(from, Message::HeartbeatResponse { error });
            }
            Message::LeaveGroupRequest { group_id, member_id, reason } => {
                let error = self.leave(ctx, &group_id, &member_id, reason);
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
                    RebalanceTrigger::SessionTimeout,
                    &format!("removing member {member_id} on heartbeat expiration"),
                );
            }
            GroupTimer::PendingMemberExpiry { group_id, member_id } => {
                let Some(group) = self.groups.get_mut(&group_id) else { return };
                if group.pending_members.remove(&member_id) {
                    self.maybe_complete_join(ctx, &group_id);
                }
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

    /// JoinGroup (Kafka's `GroupMetadataManager.classicGroupJoin`): a dynamic member without an
    /// id is given one and told to rejoin with it (KIP-394); a static member without one is
    /// added at once, or takes over the member with its `group.instance.id` (KIP-345); a
    /// known member's join starts or joins a rebalance.
    fn join(&mut self, ctx: &mut Ctx, from: NodeId, group_id: &str, req: JoinRequest) {
        let group =
            self.groups.entry(group_id.to_string()).or_insert_with(|| Self::new_group(&self.group_ids, group_id));
        if group.state == GroupState::Dead {
            return ctx.send(from, join_error(KafkaError::CoordinatorNotAvailable, req.member_id));
        }
        let supported = group.members.is_empty()
            || group.members.values().any(|m| m.protocols.iter().any(|p| req.protocols.contains(p)));
        if !supported {
            return ctx.send(from, join_error(KafkaError::InconsistentGroupProtocol, req.member_id));
        }
        if req.member_id.is_empty() {
            let prefix = req.group_instance_id.as_deref().unwrap_or(&req.client_id);
            let new_id = format!("{prefix}-{}", uuid_v4(ctx));
            match req.group_instance_id.clone() {
                None => {
                    group.pending_members.insert(new_id.clone());
                    ctx.trace(TraceEvent::MemberIdRequired {
                        broker: self.broker,
                        group: group.id,
                        member_id: new_id.clone(),
                        state: group.state.name(),
                    });
                    ctx.set_timer(
                        req.session_timeout_ms,
                        timer(GroupTimer::PendingMemberExpiry {
                            group_id: group_id.to_string(),
                            member_id: new_id.clone(),
                        }),
                    );
                    ctx.send(from, join_error(KafkaError::MemberIdRequired, new_id));
                }
                Some(instance) => match group.static_members.get(&instance).cloned() {
                    Some(old) => self.replace_static_member(ctx, from, group_id, &old, new_id, req),
                    None => self.add_member_and_rebalance(ctx, from, group_id, new_id, req, true),
                },
            }
            return;
        }
        let is_new = group.pending_members.contains(&req.member_id);
        if is_new {
            let member_id = req.member_id.clone();
            return self.add_member_and_rebalance(ctx, from, group_id, member_id, req, true);
        }
        if let Err(e) = group.validate_member(&req.member_id, req.group_instance_id.as_deref()) {
            return ctx.send(from, join_error(e, req.member_id));
        }
        let member_id = req.member_id.clone();
        self.add_member_and_rebalance(ctx, from, group_id, member_id, req, false);
    }

    /// Adds a new member, or updates a known one, marks it awaiting its JoinGroup response,
    /// and starts or advances the rebalance.
    fn add_member_and_rebalance(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        group_id: &str,
        member_id: String,
        req: JoinRequest,
        is_new: bool,
    ) {
        let group = self.groups.get_mut(group_id).expect("join created it");
        let state = group.state;
        if is_new {
            group.add_member(MemberMetadata {
                member_id: member_id.clone(),
                client_id: req.client_id.clone(),
                group_instance_id: req.group_instance_id.clone(),
                node: from,
                session_timeout_ms: req.session_timeout_ms,
                rebalance_timeout_ms: req.rebalance_timeout_ms,
                protocols: req.protocols.clone(),
                topics: req.topics.clone(),
                owned_partitions: req.owned_partitions.clone(),
                owned_generation: req.owned_generation,
                assignment: vec![],
                awaiting_join: true,
                awaiting_sync: false,
                session_deadline: SimTime::ZERO,
                seq: 0,
            });
        }
        let member = group.members.get_mut(&member_id).expect("added or known");
        member.node = from;
        member.protocols = req.protocols;
        member.topics = req.topics;
        member.owned_partitions = req.owned_partitions;
        member.owned_generation = req.owned_generation;
        member.session_timeout_ms = req.session_timeout_ms;
        member.rebalance_timeout_ms = req.rebalance_timeout_ms;
        member.awaiting_join = true;
        member.awaiting_sync = false;
        let instance = member.group_instance_id.clone();
        self.touch(ctx, group_id, &member_id);
        let trigger = if is_new { RebalanceTrigger::MemberJoined } else { req.reason };
        let reason = match (is_new, &instance) {
            (true, Some(i)) => format!("Adding new static member {i} with member id {member_id}"),
            (true, None) => format!("Adding new member {member_id} with group instance id null"),
            (false, _) => format!("Updating metadata for member {member_id} during {}", state.name()),
        };
        match state {
            GroupState::Empty => {
                let delay = self.config.group_initial_rebalance_delay_ms;
                let group = self.groups.get_mut(group_id).expect("exists");
                group.initial_delay = Some((req.rebalance_timeout_ms.saturating_sub(delay), false));
                self.prepare_rebalance(ctx, group_id, trigger, &reason);
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
                self.prepare_rebalance(ctx, group_id, trigger, &reason);
                self.maybe_complete_join(ctx, group_id);
            }
            GroupState::Dead => {}
        }
    }

    /// KIP-345: a static member rejoins without its member id (a restart). It takes over the
    /// old member's entry under a new id, fencing the old one; in a Stable group nothing else
    /// changes and no rebalance happens (`updateStaticMemberAndRebalance`).
    fn replace_static_member(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        group_id: &str,
        old_id: &str,
        new_id: String,
        req: JoinRequest,
    ) {
        let broker = self.broker;
        let group = self.groups.get_mut(group_id).expect("join created it");
        let Some(mut member) = group.members.remove(old_id) else { return };
        // Whoever still waits as the old member is fenced at once.
        if member.awaiting_join {
            ctx.send(member.node, join_error(KafkaError::FencedInstanceId, old_id.to_string()));
        }
        if member.awaiting_sync {
            ctx.send(
                member.node,
                Message::SyncGroupResponse {
                    error: Some(KafkaError::FencedInstanceId),
                    generation_id: group.generation_id,
                    assignment: vec![],
                },
            );
        }
        let instance = req.group_instance_id.clone().unwrap_or_default();
        let old_leader = group.leader.clone();
        ctx.trace(TraceEvent::StaticMemberReplaced {
            broker,
            group: group.id,
            group_instance_id: instance.clone(),
            old_member_id: old_id.to_string(),
            new_member_id: new_id.clone(),
            state: group.state.name(),
        });
        member.member_id = new_id.clone();
        member.node = from;
        member.awaiting_join = false;
        member.awaiting_sync = false;
        member.protocols = req.protocols.clone();
        member.topics = req.topics.clone();
        member.session_timeout_ms = req.session_timeout_ms;
        member.rebalance_timeout_ms = req.rebalance_timeout_ms;
        group.put_member(member);
        if group.leader.as_deref() == Some(old_id) {
            group.leader = Some(new_id.clone());
        }
        group.static_members.insert(instance.clone(), new_id.clone());
        self.touch(ctx, group_id, &new_id);
        let group = self.groups.get_mut(group_id).expect("exists");
        match group.state {
            GroupState::Stable if group.select_protocol() == group.protocol_name => {
                // The old leader id comes back, so that even the leader's new instance does not
                // run an assignment a Stable group would not hand out.
                ctx.send(
                    from,
                    Message::JoinGroupResponse {
                        error: None,
                        generation_id: group.generation_id,
                        protocol_name: group.protocol_name.clone().unwrap_or_default(),
                        leader: old_leader.unwrap_or_default(),
                        member_id: new_id,
                        members: vec![],
                    },
                );
            }
            GroupState::Stable | GroupState::CompletingRebalance => {
                let m = group.members.get_mut(&new_id).expect("put above");
                m.awaiting_join = true;
                let reason = format!("Updating metadata for static member {new_id} with instance id {instance}");
                self.prepare_rebalance(ctx, group_id, RebalanceTrigger::StaticMemberReplaced, &reason);
                self.maybe_complete_join(ctx, group_id);
            }
            GroupState::PreparingRebalance => {
                group.members.get_mut(&new_id).expect("put above").awaiting_join = true;
                if group.initial_delay.is_none() {
                    self.maybe_complete_join(ctx, group_id);
                }
            }
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    fn prepare_rebalance(&mut self, ctx: &mut Ctx, group_id: &str, trigger: RebalanceTrigger, reason: &str) {
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
            trigger,
            reason: reason.to_string(),
        });
        group.state = GroupState::PreparingRebalance;
        group.trigger = Some(trigger);
        group.rebalance_epoch += 1;
        if group.initial_delay.is_none() {
            let epoch = group.rebalance_epoch;
            ctx.set_timer(
                group.rebalance_timeout_ms(),
                timer(GroupTimer::JoinDeadline { group_id: group_id.to_string(), epoch }),
            );
        }
    }

    /// `hasAllMembersJoined`: every member awaits its JoinGroup response and no member id
    /// handed out is still to come.
    fn maybe_complete_join(&mut self, ctx: &mut Ctx, group_id: &str) {
        let Some(group) = self.groups.get(group_id) else { return };
        if group.state == GroupState::PreparingRebalance
            && group.initial_delay.is_none()
            && group.pending_members.is_empty()
            && group.members.values().all(|m| m.awaiting_join)
        {
            self.complete_join(ctx, group_id);
        }
    }

    /// Opens the next generation (`completeClassicGroupJoin`): dynamic members that did not
    /// rejoin are dropped (static ones stay until their session expires), a leader that did
    /// not rejoin is replaced, and every member that joined gets its response, the leader
    /// with the whole group's subscriptions.
    fn complete_join(&mut self, ctx: &mut Ctx, group_id: &str) {
        let broker = self.broker;
        let Some(group) = self.groups.get_mut(group_id) else { return };
        let gone: Vec<String> = group
            .members_in_java_order()
            .into_iter()
            .filter(|id| {
                let m = &group.members[*id];
                !m.awaiting_join && m.group_instance_id.is_none()
            })
            .map(str::to_string)
            .collect();
        for id in gone {
            group.remove_member(&id);
        }
        group.pending_members.clear();
        if !group.members.is_empty() && !group.elect_joined_leader() {
            // Nobody rejoined (only static members that are gone): wait again.
            let epoch = group.rebalance_epoch;
            ctx.set_timer(
                group.rebalance_timeout_ms(),
                timer(GroupTimer::JoinDeadline { group_id: group_id.to_string(), epoch }),
            );
            return;
        }
        group.generation_id += 1;
        if group.members.is_empty() {
            group.state = GroupState::Empty;
            group.leader = None;
            group.protocol_name = None;
            ctx.trace(TraceEvent::GroupEmpty { broker, group: group.id, generation_id: group.generation_id });
            return;
        }
        group.protocol_name = group.select_protocol();
        group.state = GroupState::CompletingRebalance;
        group.rebalances += 1;
        let leader = group.leader.clone().unwrap_or_default();
        let protocol_name = group.protocol_name.clone().unwrap_or_default();
        ctx.trace(TraceEvent::GroupStabilized {
            broker,
            group: group.id,
            generation_id: group.generation_id,
            members: group.members.len(),
            protocol: protocol_name.clone(),
        });
        let everyone: Vec<JoinGroupMember> = group
            .members_in_java_order()
            .into_iter()
            .map(|id| {
                let m = &group.members[id];
                JoinGroupMember {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    topics: m.topics.clone(),
                    owned_partitions: m.owned_partitions.clone(),
                    generation_id: m.owned_generation,
                }
            })
            .collect();
        let generation_id = group.generation_id;
        for m in group.members.values_mut().filter(|m| m.awaiting_join) {
            m.awaiting_join = false;
            let members = if m.member_id == leader { everyone.clone() } else { vec![] };
            ctx.send(
                m.node,
                Message::JoinGroupResponse {
                    error: None,
                    generation_id,
                    protocol_name: protocol_name.clone(),
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

    #[allow(clippy::too_many_arguments)]
    fn sync(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        group_id: &str,
        generation_id: u32,
        member_id: &str,
        group_instance_id: Option<&str>,
        assignments: Vec<(String, Vec<TopicPartition>)>,
    ) {
        let fail = |ctx: &mut Ctx, error: KafkaError| {
            ctx.send(from, Message::SyncGroupResponse { error: Some(error), generation_id, assignment: vec![] });
        };
        let broker = self.broker;
        let Some(group) = self.groups.get_mut(group_id) else { return fail(ctx, KafkaError::UnknownMemberId) };
        if let Err(e) = group.validate_member(member_id, group_instance_id) {
            return fail(ctx, e);
        }
        if group.generation_id != generation_id {
            return fail(ctx, KafkaError::IllegalGeneration);
        }
        match group.state {
            GroupState::Empty | GroupState::Dead => fail(ctx, KafkaError::UnknownMemberId),
            GroupState::PreparingRebalance => fail(ctx, KafkaError::RebalanceInProgress),
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
                        static_members: group.static_members.len(),
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

    fn heartbeat(
        &mut self,
        ctx: &mut Ctx,
        group_id: &str,
        generation_id: u32,
        member_id: &str,
        group_instance_id: Option<&str>,
    ) -> Option<KafkaError> {
        let Some(group) = self.groups.get(group_id) else { return Some(KafkaError::UnknownMemberId) };
        if group.state == GroupState::Dead {
            return Some(KafkaError::CoordinatorNotAvailable);
        }
        if let Err(e) = group.validate_member(member_id, group_instance_id) {
            return Some(e);
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

    fn leave(
        &mut self,
        ctx: &mut Ctx,
        group_id: &str,
        member_id: &str,
        reason: RebalanceTrigger,
    ) -> Option<KafkaError> {
        let Some(group) = self.groups.get(group_id) else { return Some(KafkaError::UnknownMemberId) };
        if !group.members.contains_key(member_id) {
            return Some(KafkaError::UnknownMemberId);
        }
        ctx.trace(TraceEvent::MemberLeft {
            broker: self.broker,
            group: group.id,
            member_id: member_id.to_string(),
            trigger: reason,
        });
        let why = match reason {
            RebalanceTrigger::PollTimeout => "the consumer poll timeout has expired",
            _ => "the consumer is being closed",
        };
        self.remove_member(
            ctx,
            group_id,
            member_id,
            reason,
            &format!("removing member {member_id} on LeaveGroup; client reason: {why}"),
        );
        None
    }

    fn remove_member(
        &mut self,
        ctx: &mut Ctx,
        group_id: &str,
        member_id: &str,
        trigger: RebalanceTrigger,
        reason: &str,
    ) {
        let Some(group) = self.groups.get_mut(group_id) else { return };
        group.remove_member(member_id);
        match group.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(ctx, group_id, trigger, reason);
                self.maybe_complete_join(ctx, group_id);
            }
            GroupState::PreparingRebalance => self.maybe_complete_join(ctx, group_id),
            GroupState::Empty | GroupState::Dead => {}
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

    /// The broker no longer leads the group's offsets partition: the group goes Dead, held
    /// JoinGroup and SyncGroup requests are answered `NOT_COORDINATOR`, and it is dropped
    /// (`GroupMetadataManager.onUnloaded`).
    pub fn unload(&mut self, ctx: &mut Ctx, group_id: &str) {
        let Some(mut group) = self.groups.remove(group_id) else { return };
        let previous = group.state;
        group.state = GroupState::Dead;
        ctx.trace(TraceEvent::GroupUnloaded { broker: self.broker, group: group.id, state: previous.name() });
        for m in group.members.values() {
            if m.awaiting_join {
                ctx.send(m.node, join_error(KafkaError::NotCoordinator, m.member_id.clone()));
            }
            if m.awaiting_sync {
                ctx.send(
                    m.node,
                    Message::SyncGroupResponse {
                        error: Some(KafkaError::NotCoordinator),
                        generation_id: group.generation_id,
                        assignment: vec![],
                    },
                );
            }
        }
    }

    /// Validates an OffsetCommit from a member and stores its offsets; the broker persists them
    /// (`ClassicGroup.validateOffsetCommit`).
    /// A TxnOffsetCommit's check of the member (KIP-447): the same as an OffsetCommit's, without
    /// storing anything (the offsets count once the transaction commits).
    pub fn validate_txn_commit(&self, group_id: &str, generation_id: u32, member_id: &str) -> Option<KafkaError> {
        let Some(group) = self.groups.get(group_id) else { return Some(KafkaError::UnknownMemberId) };
        if group.state == GroupState::Dead {
            return Some(KafkaError::CoordinatorNotAvailable);
        }
        if let Err(e) = group.validate_member(member_id, None) {
            return Some(e);
        }
        if group.generation_id != generation_id {
            return Some(KafkaError::IllegalGeneration);
        }
        None
    }

    pub fn commit(
        &mut self,
        ctx: &mut Ctx,
        group_id: &str,
        generation_id: u32,
        member_id: &str,
        group_instance_id: Option<&str>,
        offsets: &[(TopicPartition, Offset)],
    ) -> Option<KafkaError> {
        let group =
            self.groups.entry(group_id.to_string()).or_insert_with(|| Self::new_group(&self.group_ids, group_id));
        if group.state == GroupState::Dead {
            return Some(KafkaError::CoordinatorNotAvailable);
        }
        // A "simple consumer" (`assign()`, no generation) may commit to a group with no members.
        let simple = member_id.is_empty() && generation_id == 0 && group_instance_id.is_none();
        if simple && group.members.is_empty() {
            for (tp, o) in offsets {
                group.offsets.insert(*tp, *o);
            }
            return None;
        }
        if let Err(e) = group.validate_member(member_id, group_instance_id) {
            return Some(e);
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
