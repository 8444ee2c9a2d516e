//! The controller (KRaft's active controller, one node here, never failing): it holds the
//! cluster metadata — which brokers are alive, each partition's replicas, leader, leader epoch
//! and ISR — fences brokers that stop heartbeating, elects leaders, applies leaders'
//! AlterPartition requests, and pushes every change to the brokers (as they would replay it from
//! the metadata log). It knows brokers only through protocol messages.

use crate::config::BrokerConfig;
use crate::ids::{BrokerId, NodeId, TopicId, TopicPartition};
use crate::node::{Ctx, Timer};
use crate::protocol::{KafkaError, Message, PartitionRegistration, TopicRecord};
use crate::sim::{SimTime, TraceEvent};
use std::collections::BTreeMap;

/// Controller timers.
#[derive(Debug, Clone, PartialEq)]
pub enum ControllerTimer {
    /// Look for brokers whose session (`broker.session.timeout.ms`) ran out.
    CheckSessions,
}

/// One broker as the controller knows it.
#[derive(Debug, Clone)]
pub struct BrokerRegistration {
    pub node: NodeId,
    pub last_heartbeat: SimTime,
    /// No heartbeat within `broker.session.timeout.ms`: it leads nothing and is in no ISR
    /// (unless it is the last one) until it heartbeats again.
    pub fenced: bool,
}

/// The controller node.
#[derive(Debug)]
pub struct Controller {
    pub brokers: Vec<BrokerRegistration>,
    pub partitions: BTreeMap<TopicPartition, PartitionRegistration>,
    /// `unclean.leader.election.enable` per topic, by topic index.
    pub unclean: Vec<bool>,
    /// Every topic ever created, by id, deleted ones marked.
    pub topics: BTreeMap<TopicId, TopicRecord>,
    /// The number of the last metadata update sent (the metadata log's end offset).
    pub metadata_offset: u64,
    config: BrokerConfig,
}

impl Controller {
    /// A controller over brokers at `nodes` (broker `b` at `nodes[b]`), every one unfenced,
    /// with `partitions` as created.
    pub fn new(
        nodes: Vec<NodeId>,
        partitions: Vec<PartitionRegistration>,
        unclean: Vec<bool>,
        topics: Vec<TopicRecord>,
        config: BrokerConfig,
    ) -> Self {
        Controller {
            brokers: nodes
                .into_iter()
                .map(|node| BrokerRegistration { node, last_heartbeat: SimTime::ZERO, fenced: false })
                .collect(),
            partitions: partitions.into_iter().map(|p| (p.partition, p)).collect(),
            unclean,
            topics: topics.into_iter().map(|t| (t.topic, t)).collect(),
            metadata_offset: 0,
            config,
        }
    }

    /// Starts the session checks.
    pub fn start(&mut self, ctx: &mut Ctx) {
        ctx.set_timer(self.config.broker_heartbeat_interval_ms, Timer::Controller(ControllerTimer::CheckSessions));
    }

    fn fenced(&self) -> Vec<BrokerId> {
        (0..self.brokers.len() as u32).map(BrokerId).filter(|b| self.brokers[b.0 as usize].fenced).collect()
    }

    fn is_live(&self, b: BrokerId) -> bool {
        self.brokers.get(b.0 as usize).is_some_and(|r| !r.fenced)
    }

    /// Sends changed partitions, with the fenced brokers, to every broker; nothing if no
    /// partition changed.
    fn publish(&mut self, ctx: &mut Ctx, changed: Vec<PartitionRegistration>) {
        if changed.is_empty() {
            return;
        }
        self.broadcast(ctx, changed, vec![]);
    }

    /// `CreateTopics` / `CreatePartitions`: registers new partitions with their assigned
    /// replicas (ISR: the unfenced ones; leader: the first of those, as
    /// `ReplicationControlManager` elects) and publishes them, with `topic` if it is new.
    pub fn create_partitions(
        &mut self,
        ctx: &mut Ctx,
        topic: Option<(TopicRecord, bool)>,
        new: Vec<(TopicPartition, Vec<BrokerId>)>,
    ) {
        let mut records = vec![];
        if let Some((record, unclean)) = topic {
            let i = record.topic.0 as usize;
            if self.unclean.len() <= i {
                self.unclean.resize(i + 1, false);
            }
            self.unclean[i] = unclean;
            self.topics.insert(record.topic, record.clone());
            records.push(record);
        }
        let mut changed = vec![];
        for (tp, replicas) in new {
            let isr: Vec<BrokerId> = replicas.iter().copied().filter(|b| self.is_live(*b)).collect();
            let reg = PartitionRegistration {
                partition: tp,
                leader: isr.first().copied(),
                isr: if isr.is_empty() { replicas.clone() } else { isr },
                replicas,
                leader_epoch: 0,
                partition_epoch: 0,
            };
            self.partitions.insert(tp, reg.clone());
            changed.push(reg);
        }
        self.broadcast(ctx, changed, records);
    }

    /// `DeleteTopics`: forgets the topic's partitions and tells every broker to delete them.
    pub fn delete_topic(&mut self, ctx: &mut Ctx, topic: TopicId) {
        self.partitions.retain(|tp, _| tp.topic != topic);
        let Some(record) = self.topics.get_mut(&topic) else { return };
        record.deleted = true;
        let record = record.clone();
        self.broadcast(ctx, vec![], vec![record]);
    }

    /// Sends the fenced brokers and the changed partitions to every broker, even when no
    /// partition changed: brokers replay every `BrokerRegistrationChangeRecord` of the metadata
    /// log, and a leader adds a returning replica to the ISR only once it knows it is unfenced.
    fn broadcast(&mut self, ctx: &mut Ctx, changed: Vec<PartitionRegistration>, topics: Vec<TopicRecord>) {
        self.metadata_offset += 1;
        let fenced = self.fenced();
        for r in &self.brokers {
            ctx.send(
                r.node,
                Message::MetadataUpdate {
                    full: false,
                    fenced: fenced.clone(),
                    partitions: changed.clone(),
                    topics: topics.clone(),
                    metadata_offset: self.metadata_offset,
                },
            );
        }
    }

    /// Everything, to one broker: what a (re)starting or lagging broker replays.
    fn send_full(&self, ctx: &mut Ctx, to: NodeId) {
        ctx.send(
            to,
            Message::MetadataUpdate {
                full: true,
                fenced: self.fenced(),
                partitions: self.partitions.values().cloned().collect(),
                topics: self.topics.values().cloned().collect(),
                metadata_offset: self.metadata_offset,
            },
        );
    }

    /// Handles a timer: fences brokers whose session ran out.
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: ControllerTimer) {
        match timer {
            ControllerTimer::CheckSessions => {
                let now = ctx.now();
                for b in 0..self.brokers.len() {
                    let r = &self.brokers[b];
                    if !r.fenced && now.0 >= r.last_heartbeat.0 + self.config.broker_session_timeout_ms {
                        self.fence(ctx, BrokerId(b as u32));
                    }
                }
                ctx.set_timer(
                    self.config.broker_heartbeat_interval_ms,
                    Timer::Controller(ControllerTimer::CheckSessions),
                );
            }
        }
    }

    /// Handles a broker's registration, heartbeat or AlterPartition request.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        match msg {
            Message::BrokerRegistrationRequest { broker } => {
                if broker.0 as usize >= self.brokers.len() {
                    return;
                }
                // A broker registers after a restart. A new registration starts fenced (KRaft),
                // so whatever it led moves to an in-sync replica first: its log may have lost
                // its unflushed tail, and it must not lead from it.
                if !self.brokers[broker.0 as usize].fenced {
                    self.fence(ctx, broker);
                }
                let r = &mut self.brokers[broker.0 as usize];
                r.last_heartbeat = ctx.now();
                // A restarted broker gets the whole metadata before it is unfenced.
                self.send_full(ctx, from);
                if self.brokers[broker.0 as usize].fenced {
                    self.unfence(ctx, broker);
                }
            }
            Message::BrokerHeartbeatRequest { broker, metadata_offset } => {
                let Some(r) = self.brokers.get_mut(broker.0 as usize) else { return };
                r.last_heartbeat = ctx.now();
                // A fenced broker that can heartbeat again re-registers first (KRaft: a fenced
                // broker is unfenced once it has caught up with the metadata log).
                if r.fenced {
                    self.send_full(ctx, from);
                    self.unfence(ctx, broker);
                } else if metadata_offset < self.metadata_offset {
                    // It missed an update (lost on a cut link): in KRaft it would fetch the
                    // records it lacks from the metadata log; here it gets everything again.
                    self.send_full(ctx, from);
                }
            }
            Message::AlterPartitionRequest { broker, partition, leader_epoch, partition_epoch, new_isr } => {
                let error = self.alter_partition(ctx, broker, partition, leader_epoch, partition_epoch, new_isr);
                ctx.send(from, Message::AlterPartitionResponse { partition, error });
            }
            _ => {}
        }
    }

    fn alter_partition(
        &mut self,
        ctx: &mut Ctx,
        broker: BrokerId,
        tp: TopicPartition,
        leader_epoch: u32,
        partition_epoch: u32,
        new_isr: Vec<BrokerId>,
    ) -> Option<KafkaError> {
        let live: Vec<bool> = (0..self.brokers.len() as u32).map(|b| self.is_live(BrokerId(b))).collect();
        let p = self.partitions.get_mut(&tp)?;
        if p.leader != Some(broker) || p.leader_epoch != leader_epoch {
            return Some(KafkaError::FencedLeaderEpoch);
        }
        if p.partition_epoch != partition_epoch {
            // INVALID_UPDATE_VERSION: the leader's view is stale; the update it missed is on its way.
            return Some(KafkaError::NotLeaderOrFollower);
        }
        // INELIGIBLE_REPLICA: a fenced broker may not join the ISR.
        if new_isr.iter().any(|b| !p.isr.contains(b) && !live[b.0 as usize]) || new_isr.is_empty() {
            return Some(KafkaError::NotLeaderOrFollower);
        }
        let (old, new) = (p.isr.clone(), new_isr.clone());
        p.isr = new_isr;
        p.partition_epoch += 1;
        ctx.trace(TraceEvent::IsrChanged { partition: tp, leader_epoch, old_isr: ids(&old), new_isr: ids(&new) });
        let changed = vec![p.clone()];
        self.publish(ctx, changed);
        None
    }

    /// Fences `b`: moves its leaderships and takes it out of every ISR it is not the last of.
    pub fn fence(&mut self, ctx: &mut Ctx, b: BrokerId) {
        self.brokers[b.0 as usize].fenced = true;
        ctx.trace(TraceEvent::BrokerFenced { broker: b.0 });
        let live: Vec<bool> = (0..self.brokers.len() as u32).map(|x| self.is_live(BrokerId(x))).collect();
        let mut changed = vec![];
        for p in self.partitions.values_mut() {
            if !p.replicas.contains(&b) {
                continue;
            }
            let unclean = self.unclean[p.partition.topic.0 as usize];
            let before = (p.leader, p.isr.clone());
            if p.isr.len() > 1 {
                p.isr.retain(|x| *x != b);
            }
            if p.leader == Some(b) {
                elect(ctx, p, &live, unclean);
            }
            if (p.leader, &p.isr) != (before.0, &before.1) {
                p.partition_epoch += 1;
                changed.push(p.clone());
            }
        }
        self.broadcast(ctx, changed, vec![]);
    }

    fn unfence(&mut self, ctx: &mut Ctx, b: BrokerId) {
        self.brokers[b.0 as usize].fenced = false;
        ctx.trace(TraceEvent::BrokerUnfenced { broker: b.0 });
        let live: Vec<bool> = (0..self.brokers.len() as u32).map(|x| self.is_live(BrokerId(x))).collect();
        let mut changed = vec![];
        for p in self.partitions.values_mut() {
            // An offline partition gets a leader back when one of its replicas returns.
            if p.leader.is_none() && p.replicas.contains(&b) {
                let unclean = self.unclean[p.partition.topic.0 as usize];
                elect(ctx, p, &live, unclean);
                if p.leader.is_some() {
                    p.partition_epoch += 1;
                    changed.push(p.clone());
                }
            }
        }
        self.broadcast(ctx, changed, vec![]);
    }

    /// Preferred-leader election: each partition whose first replica is live and in sync but
    /// not leading gets it back as leader.
    pub fn elect_preferred_leaders(&mut self, ctx: &mut Ctx) {
        let live: Vec<bool> = (0..self.brokers.len() as u32).map(|x| self.is_live(BrokerId(x))).collect();
        let mut changed = vec![];
        for p in self.partitions.values_mut() {
            let preferred = p.replicas[0];
            if p.leader != Some(preferred) && live[preferred.0 as usize] && p.isr.contains(&preferred) {
                let old = p.leader;
                p.leader = Some(preferred);
                p.leader_epoch += 1;
                p.partition_epoch += 1;
                ctx.trace(TraceEvent::LeaderElected {
                    partition: p.partition,
                    old_leader: old.map(|b| b.0),
                    leader: Some(preferred.0),
                    leader_epoch: p.leader_epoch,
                    how: "preferred",
                });
                changed.push(p.clone());
            }
        }
        self.publish(ctx, changed);
    }
}

fn ids(v: &[BrokerId]) -> Vec<u32> {
    v.iter().map(|b| b.0).collect()
}

/// Elects a leader for `p` (whose leader is gone): the first live replica in the ISR, in
/// replica order (clean); failing that, with `unclean`, the first live replica at all, which
/// becomes the whole ISR (Kafka's `PartitionChangeBuilder`). With no candidate the partition is
/// offline and keeps its last ISR, so that the last in-sync replica can lead again cleanly.
fn elect(ctx: &mut Ctx, p: &mut PartitionRegistration, live: &[bool], unclean: bool) {
    let old = p.leader;
    let clean = p.replicas.iter().copied().find(|r| live[r.0 as usize] && p.isr.contains(r));
    let (leader, how) = match clean {
        Some(r) => (Some(r), "clean"),
        None if unclean => match p.replicas.iter().copied().find(|r| live[r.0 as usize]) {
            Some(r) => {
                p.isr = vec![r];
                (Some(r), "unclean")
            }
            None => (None, "offline"),
        },
        None => (None, "offline"),
    };
    if leader == old {
        return;
    }
    p.leader = leader;
    if leader.is_some() {
        p.leader_epoch += 1;
        p.isr.retain(|r| live[r.0 as usize] || Some(*r) == leader);
    }
    ctx.trace(TraceEvent::LeaderElected {
        partition: p.partition,
        old_leader: old.map(|b| b.0),
        leader: leader.map(|b| b.0),
        leader_epoch: p.leader_epoch,
        how,
    });
}
