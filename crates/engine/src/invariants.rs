//! Cross-node invariants, named and checked in one place. Randomised tests and the soak harness
//! check them after every event, as Kafka's `RaftEventSimulationTest` does. This module only
//! observes.
//!
//! The invariants:
//! - `high_watermark_within_log`: on every replica, log start offset ≤ HW ≤ LEO.
//! - `one_leader_per_epoch`: no two running brokers lead a partition in the same leader epoch.
//! - `leader_in_isr`: the controller's leader of a partition is in its ISR.
//! - `replicas_agree_below_high_watermark`: at most one record at each (partition, offset)
//!   below the HW, across replicas and over time (clean elections only).
//! - `high_watermark_monotonic`: the HW a consumer can observe (at the leader, once it serves
//!   reads) never decreases (clean elections only).
//! - `no_acknowledged_write_lost`: no acknowledged record is gone from the log, when the
//!   scenario promises it (`acks=all`, `min.insync.replicas` ≥ 2, clean elections).
//! - `one_owner_per_partition`: in a Stable group, no two members of the current generation
//!   hold the same partition.
//! - `every_partition_owned_after_rebalance`: once a rebalance has completed for every member
//!   (the group Stable, each member Stable in the group's generation with no rejoin pending),
//!   each partition the leader assigned from (its metadata snapshot) has exactly one owner
//!   among the members.
//! - `at_least_once_loses_nothing`: a group that commits after processing (or auto-commits)
//!   loses no record (clean elections only).
//! - `at_most_once_processes_nothing_twice`: a group that commits before processing processes
//!   no record twice.
//! - `ledger_accounts_for_every_record`: each record of a partition a group reads is processed
//!   once, duplicated, lost, skipped or pending, exactly one of them.
//! - `read_committed_skips_aborted`: a `read_committed` group never processes a record of an
//!   aborted transaction (checked every 256 checks, and by [`InvariantChecker::check_transactions`]).
//! - `windows_account_for_every_record`: every record a windowed group processed is in a window
//!   or in the late output, exactly once, and time windows' and sessions' counts add up to the
//!   records placed in them (checked every 256 checks, and by
//!   [`InvariantChecker::check_windows`]). Records a member processed after it lost their task
//!   count as processed by a non-owner: they reach no window.
//! - `store_matches_changelog`: once a run has drained, each key's latest committed changelog
//!   record of a window store lists windows the store holds with exactly those aggregates
//!   ([`InvariantChecker::check_store`]).
//! - `idempotent_producer_writes_once_in_order`: when every producer is idempotent (and
//!   elections are clean), the committed part of each partition holds each producer's records
//!   once and in the order they were sent: retries never duplicate or reorder.

use crate::broker::GroupState;
use crate::consumer::{CommitMode, MemberState};
use crate::ids::{BrokerId, Offset, TopicPartition};
use crate::simulation::Simulation;
use std::collections::BTreeMap;

/// What a scenario promises, which decides the invariants that apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Promises {
    /// Some topic allows unclean leader election: committed records may be replaced, and the
    /// HW may go back.
    pub unclean_elections: bool,
    /// Every producer uses `acks=all` and every topic `min.insync.replicas` ≥ 2 with clean
    /// elections: no acknowledged write may be lost.
    pub durable_writes: bool,
    /// Every producer has `enable.idempotence` on, with clean elections: no partition holds a
    /// record twice or a producer's records out of send order.
    pub idempotent_writes: bool,
}

impl Promises {
    /// The promises of `sim`'s scenario.
    pub fn of(sim: &Simulation) -> Promises {
        let v = sim.valid();
        let unclean = v.topic_configs.iter().any(|c| c.unclean_leader_election_enable);
        let acks_all = v.producer_configs.iter().all(|p| p.acks == crate::config::Acks::All);
        let min_isr = v.topic_configs.iter().all(|c| c.min_insync_replicas >= 2);
        let idempotent = v.producer_configs.iter().all(|p| p.enable_idempotence);
        Promises {
            unclean_elections: unclean,
            durable_writes: acks_all && min_isr && !unclean,
            idempotent_writes: idempotent && !unclean,
        }
    }
}

const UNKNOWN: u64 = u64::MAX;

/// Remembers what must never go back between checks.
#[derive(Debug, Default)]
pub struct InvariantChecker {
    promises: Promises,
    observed_high_watermarks: BTreeMap<TopicPartition, Offset>,
    /// Per partition, the record id first seen below some replica's HW at each offset.
    committed: BTreeMap<TopicPartition, Vec<u64>>,
    /// Per replica, the offset below which it has been compared with `committed`.
    checked: BTreeMap<(TopicPartition, BrokerId), u64>,
    /// Per partition, how far `committed` has been checked for send order, and per producer
    /// the last record sequence seen there.
    ordered: BTreeMap<TopicPartition, (u64, BTreeMap<usize, usize>)>,
    /// [`Simulation::produced_topics`], found at the first check: send order is theirs to keep.
    produced_topics: Option<Vec<crate::ids::TopicId>>,
    checks: u64,
}

impl InvariantChecker {
    /// A checker for a run that keeps `promises`.
    pub fn new(promises: Promises) -> Self {
        InvariantChecker { promises, ..Default::default() }
    }

    /// A checker for `sim`, with the promises of its scenario.
    pub fn for_simulation(sim: &Simulation) -> Self {
        Self::new(Promises::of(sim))
    }

    /// Checks every invariant; the error names the one broken and where.
    pub fn check(&mut self, sim: &Simulation) -> Result<(), String> {
        self.check_replicas(sim)?;
        self.check_groups(sim)?;
        self.checks += 1;
        if self.checks.is_multiple_of(256) {
            self.check_transactions(sim)?;
            self.check_windows(sim)?;
        }
        if self.promises.durable_writes {
            let (lost, ids) = sim.acknowledged_lost();
            if lost > 0 {
                return Err(format!(
                    "no_acknowledged_write_lost: {lost} acknowledged record(s) are gone from the log (first ids {:?})",
                    &ids[..ids.len().min(5)]
                ));
            }
        }
        Ok(())
    }

    /// `windows_account_for_every_record`: every record a windowed group processed is in a
    /// window, in the late output, in the dead-letter queue or dropped by a filter step, exactly
    /// once (or was dropped for having no key), and the
    /// windows' counts add up (see [`crate::streams::WindowedAggregator::check_conservation`]).
    pub fn check_windows(&self, sim: &Simulation) -> Result<(), String> {
        for (g, spec) in sim.scenario().consumer_groups.iter().enumerate() {
            let Some(app) = sim.windows(&spec.group_id) else { continue };
            let processed = sim.processed_by_group(crate::ids::GroupId(g as u32));
            if app.records_seen() != processed {
                return Err(format!(
                    "windows_account_for_every_record: group {} processed {processed} records, its windows saw {} ({} taken, {} late, {} without a key, {} filtered)",
                    spec.group_id,
                    app.records_seen(),
                    app.accepted,
                    app.late,
                    app.no_key,
                    app.dataflow.filtered()
                ));
            }
            app.check_conservation()
                .map_err(|e| format!("windows_account_for_every_record: group {}: {e}", spec.group_id))?;
        }
        Ok(())
    }

    /// `store_matches_changelog`: once a run has drained, each key's latest committed record in
    /// a window store's changelog lists windows the store holds with exactly those aggregates.
    /// Every change the owner makes is written after its batch and committed with it, and a
    /// new owner restores what was committed; an uncommitted change left in the store, a
    /// changelog write lost, or a zombie's write would each show here.
    pub fn check_store(&self, sim: &Simulation) -> Result<(), String> {
        if !sim.is_drained() {
            return Ok(());
        }
        for g in &sim.scenario().consumer_groups {
            let (Some(store), Some(app)) = (sim.store(&g.group_id), sim.windows(&g.group_id)) else { continue };
            for p in 0..sim.catalog().partitions(store.changelog) {
                let tp = TopicPartition::new(store.changelog, p);
                let Some(log) = sim.shown_log(tp) else { continue };
                let mut latest = std::collections::BTreeMap::new();
                for r in log.read(log.log_start_offset(), log.last_stable_offset(), u64::MAX) {
                    if let (Some(key), false) =
                        (r.key, r.record_id.is_control() || log.producer_state.is_aborted(r.offset))
                    {
                        latest.insert(key, (r.offset, r.record_id));
                    }
                }
                for (key, (offset, id)) in latest {
                    let Some(windows) = store.windows_in(id) else {
                        return Err(format!(
                            "store_matches_changelog: {}@{} holds a record the store never wrote",
                            sim.catalog().partition_name(tp),
                            offset.0
                        ));
                    };
                    for w in windows {
                        let held = app.windows_of(key).find(|x| x.start_ms == w.start_ms && x.task == w.task);
                        if held != Some(w) {
                            return Err(format!(
                                "store_matches_changelog: group {}, key {} window at {} ms: the changelog ({}@{}) says {} records, the store {}",
                                g.group_id,
                                key.0,
                                w.start_ms,
                                sim.catalog().partition_name(tp),
                                offset.0,
                                w.count,
                                held.map_or("has no such window".to_string(), |h| format!("{} records", h.count)),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// `read_committed_skips_aborted`: no `read_committed` group has processed a record that
    /// the partition leader's log holds as part of an aborted transaction.
    pub fn check_transactions(&self, sim: &Simulation) -> Result<(), String> {
        let v = sim.valid();
        for (g, config) in v.consumer_configs.iter().enumerate() {
            if config.isolation_level != crate::protocol::IsolationLevel::ReadCommitted {
                continue;
            }
            let n = sim.aborted_processed(crate::ids::GroupId(g as u32));
            if n > 0 {
                return Err(format!(
                    "read_committed_skips_aborted: group {} processed {n} record(s) of aborted transactions",
                    v.scenario.consumer_groups[g].group_id
                ));
            }
        }
        Ok(())
    }

    fn check_replicas(&mut self, sim: &Simulation) -> Result<(), String> {
        let controller = sim.controller_node();
        for (tp, reg) in &controller.partitions {
            let name = sim.catalog().partition_name(*tp);
            if let Some(l) = reg.leader {
                if !reg.isr.contains(&l) {
                    return Err(format!("leader_in_isr: {name} has leader {} outside its ISR {:?}", l.0, reg.isr));
                }
            }
            let mut leaders: BTreeMap<u32, u32> = BTreeMap::new();
            for b in &reg.replicas {
                let Some(broker) = sim.broker(*b) else { continue };
                let Some(r) = broker.replicas.get(tp) else { continue };
                let log = &r.log;
                if log.high_watermark() > log.log_end_offset() || log.log_start_offset() > log.high_watermark() {
                    return Err(format!(
                        "high_watermark_within_log: {name} on broker {} has log start {}, HW {}, LEO {}",
                        b.0,
                        log.log_start_offset(),
                        log.high_watermark(),
                        log.log_end_offset()
                    ));
                }
                if let Some(e) = r.leading_epoch.filter(|_| broker.is_running()) {
                    if let Some(other) = leaders.insert(e, b.0) {
                        return Err(format!(
                            "one_leader_per_epoch: brokers {other} and {} both lead {name} in leader epoch {e}",
                            b.0
                        ));
                    }
                }
                if !self.promises.unclean_elections {
                    self.check_agreement(sim, *tp, *b, log)?;
                }
            }
            let produced = self.produced_topics.get_or_insert_with(|| sim.produced_topics());
            if self.promises.idempotent_writes && produced.contains(&tp.topic) {
                self.check_send_order(sim, *tp)?;
            }
            if self.promises.unclean_elections {
                continue;
            }
            // The HW consumers can see: the leader's, once it serves reads (KIP-207).
            let Some(leader) = reg.leader.and_then(|l| sim.broker(l)).filter(|b| b.is_running()) else { continue };
            let Some(r) = leader.replicas.get(tp).filter(|r| r.serves_reads()) else { continue };
            let hw = r.log.high_watermark();
            let last = self.observed_high_watermarks.entry(*tp).or_insert(Offset(0));
            if hw < *last {
                return Err(format!("high_watermark_monotonic: {name} high watermark went from {last} to {hw}"));
            }
            *last = hw;
        }
        Ok(())
    }

    /// Compares a replica's records below its HW with what was first seen at those offsets.
    fn check_agreement(
        &mut self,
        sim: &Simulation,
        tp: TopicPartition,
        b: BrokerId,
        log: &crate::broker::PartitionLog,
    ) -> Result<(), String> {
        let hw = log.high_watermark().0;
        let checked = self.checked.entry((tp, b)).or_insert(0);
        // A truncation below what was checked: look again from there.
        *checked = (*checked).min(hw).max(log.log_start_offset().0);
        let committed = self.committed.entry(tp).or_default();
        if committed.len() < hw as usize {
            committed.resize(hw as usize, UNKNOWN);
        }
        for o in *checked..hw {
            let Some(id) = log.record_id_at(Offset(o)) else { continue };
            let first = &mut committed[o as usize];
            if *first == UNKNOWN {
                *first = id.0;
            } else if *first != id.0 {
                return Err(format!(
                    "replicas_agree_below_high_watermark: {} offset {o} holds record {} on broker {} but record {} was committed there",
                    sim.catalog().partition_name(tp),
                    id.0,
                    b.0,
                    *first
                ));
            }
        }
        *checked = hw;
        Ok(())
    }

    /// The committed records of `tp` not yet checked, in offset order: each producer's
    /// sequences must rise.
    fn check_send_order(&mut self, sim: &Simulation, tp: TopicPartition) -> Result<(), String> {
        let Some(committed) = self.committed.get(&tp) else { return Ok(()) };
        let (from, last) = self.ordered.entry(tp).or_default();
        while let Some(&id) = committed.get(*from as usize).filter(|id| **id != UNKNOWN) {
            let id = crate::ids::RecordId(id);
            if !id.is_control() {
                let (producer, seq) = (id.producer(), id.seq());
                if let Some(&prev) = last.get(&producer).filter(|&&prev| seq <= prev) {
                    return Err(format!(
                        "idempotent_producer_writes_once_in_order: {} offset {from} holds record {} of producer {producer} (sequence {seq}) after its sequence {prev}{}",
                        sim.catalog().partition_name(tp),
                        id.0,
                        if seq == prev { " again" } else { "" },
                    ));
                }
                last.insert(producer, seq);
            }
            *from += 1;
        }
        Ok(())
    }

    fn check_groups(&mut self, sim: &Simulation) -> Result<(), String> {
        for g in &sim.scenario().consumer_groups {
            // One owner per partition: in a Stable group, no two members of the current
            // generation hold the same partition.
            if let Some(group) = sim.group_state(&g.group_id).filter(|x| x.state == GroupState::Stable) {
                let mut owners: BTreeMap<&TopicPartition, &str> = BTreeMap::new();
                for c in sim.consumers().filter(|c| {
                    c.group_id == g.group_id && c.state == MemberState::Stable && c.generation_id == group.generation_id
                }) {
                    for tp in &c.assignment {
                        if let Some(other) = owners.insert(tp, &c.client_id) {
                            return Err(format!(
                                "one_owner_per_partition: {} is owned by both {other} and {} in group {} generation {}",
                                sim.catalog().partition_name(*tp),
                                c.client_id,
                                g.group_id,
                                group.generation_id
                            ));
                        }
                    }
                }
            }
            if let Some(group) = sim.group_state(&g.group_id).filter(|x| x.state == GroupState::Stable) {
                let live: Vec<_> = sim.consumers().filter(|c| c.group_id == g.group_id && c.is_alive()).collect();
                let settled = !group.members.is_empty()
                    && group.members.keys().all(|m| {
                        live.iter().any(|c| {
                            &c.member_id == m
                                && c.state == MemberState::Stable
                                && c.generation_id == group.generation_id
                                && !c.rebalance_pending()
                        })
                    })
                    && live.iter().all(|c| c.member_id.is_empty() || group.members.contains_key(&c.member_id));
                if settled {
                    // A member that has left (poll timeout) keeps its partitions until its
                    // application polls again and learns they are lost; it is no owner.
                    let mut owned: BTreeMap<TopicPartition, usize> = BTreeMap::new();
                    for c in live.iter().filter(|c| group.members.contains_key(&c.member_id)) {
                        for tp in &c.assignment {
                            *owned.entry(*tp).or_default() += 1;
                        }
                    }
                    // The partitions the leader assigned from: a partition created since is
                    // owned only after the leader's next metadata refresh and rebalance.
                    let snapshot = live
                        .iter()
                        .filter(|c| group.members.contains_key(&c.member_id))
                        .find_map(|c| c.assignment_snapshot());
                    let assigned_from = snapshot.into_iter().flatten().filter_map(|(t, n)| {
                        let id = sim.catalog().topic_id(t)?;
                        Some((0..*n).map(move |p| TopicPartition::new(id, p)))
                    });
                    for tp in assigned_from.flatten() {
                        let n = owned.get(&tp).copied().unwrap_or(0);
                        if n != 1 {
                            return Err(format!(
                                "every_partition_owned_after_rebalance: {} has {n} owners in group {} generation {}",
                                sim.catalog().partition_name(tp),
                                g.group_id,
                                group.generation_id
                            ));
                        }
                    }
                }
            }
            if self.promises.unclean_elections {
                continue;
            }
            let o = sim.outcome(&g.group_id);
            match g.commit_mode {
                CommitMode::BeforeProcessing if o.duplicated > 0 => {
                    return Err(format!(
                        "at_most_once_processes_nothing_twice: group {} commits before processing but processed {} record(s) twice (first ids {:?})",
                        g.group_id,
                        o.duplicated,
                        &o.duplicated_ids[..o.duplicated_ids.len().min(5)]
                    ));
                }
                CommitMode::AfterProcessing | CommitMode::AfterProcessingAsync | CommitMode::Auto if o.lost > 0 => {
                    return Err(format!(
                        "at_least_once_loses_nothing: group {} commits after processing but lost {} record(s) (first ids {:?})",
                        g.group_id,
                        o.lost,
                        &o.lost_ids[..o.lost_ids.len().min(5)]
                    ));
                }
                _ => {}
            }
            // The ledger accounts for every record, while every partition has a leader.
            let partitions = sim.group_partition_list(&g.group_id);
            let logs: Option<Vec<_>> = partitions.iter().map(|tp| sim.log(*tp)).collect();
            let Some(logs) = logs else { continue };
            let appended: u64 = logs.iter().map(|l| l.log_end_offset().0).sum();
            let counted = o.processed_once + o.duplicated + o.lost + o.skipped + o.pending;
            if counted != appended {
                return Err(format!(
                    "ledger_accounts_for_every_record: group {} counts {counted} records (once {}, duplicated {}, lost {}, skipped {}, pending {}) but {appended} were appended",
                    g.group_id, o.processed_once, o.duplicated, o.lost, o.skipped, o.pending
                ));
            }
        }
        Ok(())
    }
}
