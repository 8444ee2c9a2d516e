//! A window store backed by a changelog topic: after the member that owns a windowed partition
//! crashes, the partition's new owner restores the store from the changelog before processing
//! it, and the final windows are those of a run without the crash (exactly-once), or differ by
//! exactly the records processed twice (at-least-once).

use streamlab_engine::consumer::Guarantee;
use streamlab_engine::ids::KeyId;
use streamlab_engine::scenario::{WindowSpec, WorkloadSpec};
use streamlab_engine::{Command, Scenario, SimTime, Simulation, TraceEvent};

fn scenario(guarantee: Guarantee) -> Scenario {
    let mut s = Scenario::iot_default(3, 3, 2);
    s.brokers = 3;
    s.topics[0].replication_factor = 3;
    s.producers[0].workload = WorkloadSpec::iot(12, 200, Some(1200));
    s.consumer_groups[0].processing_ms_per_record = 5;
    s.with_guarantee(guarantee, "guarantee").expect("a topic and a group");
    let mut w = WindowSpec::tumbling(10_000, 2_000);
    w.changelog = true;
    s.consumer_groups[0].windows = Some(w);
    s
}

type Windows = Vec<(KeyId, u64, u64, u64)>;

/// Runs to the end, crashing `crash` at `at_ms`; the final windows (key, start, end, count)
/// and the restores traced (member, records read).
fn run(s: Scenario, crash: Option<(&str, u64)>) -> (Windows, Vec<(String, u64)>, Simulation) {
    let mut sim = Simulation::new(s).expect("valid");
    let restores = std::rc::Rc::new(std::cell::RefCell::new(vec![]));
    let sink = restores.clone();
    sim.set_trace_sink(Some(Box::new(move |e, names| {
        if let TraceEvent::StoreRestored { consumer, records, .. } = e.event {
            sink.borrow_mut().push((names.node_name(consumer).to_string(), records));
        }
    })));
    if let Some((client_id, at)) = crash {
        sim.run_until(SimTime(at));
        sim.apply(Command::CrashConsumer { client_id: client_id.into() }).expect("running");
    }
    assert!(sim.run_to_drain(SimTime(600_000)), "drains");
    streamlab_engine::invariants::InvariantChecker::for_simulation(&sim)
        .check_store(&sim)
        .unwrap_or_else(|e| panic!("crash {crash:?}: {e}"));
    let app = sim.windows("g1").expect("windows");
    let windows = app.all_windows().map(|(k, w)| (k, w.start_ms, w.end_ms, w.count)).collect();
    let restores = restores.borrow().clone();
    (windows, restores, sim)
}

/// The sum of the windows' counts.
fn placed(windows: &Windows) -> u64 {
    windows.iter().map(|w| w.3).sum()
}

#[test]
fn after_a_crash_the_new_owner_restores_and_exactly_once_gives_the_same_windows() {
    let (clean, restores, _) = run(scenario(Guarantee::ExactlyOnce), None);
    // Each member restored its tasks from the empty changelog when it got them.
    assert!(restores.iter().all(|(_, records)| *records == 0), "{restores:?}");
    assert_eq!(placed(&clean), 1200);
    let mut restored_after_crash = 0;
    for at in (2_000..20_000).step_by(1_300) {
        for who in ["consumer-g1-1", "consumer-g1-2"] {
            let (crashed, restores, sim) = run(scenario(Guarantee::ExactlyOnce), Some((who, at)));
            // The survivor restored the crashed member's tasks (and, eager, its own again).
            let read: u64 = restores.iter().skip(3).map(|(_, n)| n).sum();
            restored_after_crash += u64::from(read > 0);
            assert_eq!(crashed, clean, "{who} crashed at {at} ms: restores {restores:?}");
            let g = &sim.report().groups[0];
            assert_eq!(g.outcome.lost, 0, "{who} crashed at {at} ms");
        }
    }
    assert!(restored_after_crash >= 20, "only {restored_after_crash} runs restored records after the crash");
}

#[test]
fn without_a_changelog_the_aborted_processing_stays_in_the_windows() {
    let mut s = scenario(Guarantee::ExactlyOnce);
    s.consumer_groups[0].windows.as_mut().expect("windows").changelog = false;
    let (clean, _, _) = run(s.clone(), None);
    let (crashed, _, sim) = run(s, Some(("consumer-g1-1", 7_200)));
    // The crashed member's open transaction was aborted and its records processed again, but
    // a store nobody restores kept their first processing too.
    let twice = sim.report().groups[0].outcome.duplicated;
    assert!(twice > 0);
    assert_eq!(placed(&crashed), placed(&clean) + twice);
}

#[test]
fn at_least_once_counts_the_records_whose_changelog_write_outran_the_commit_twice() {
    let (clean, _, _) = run(scenario(Guarantee::AtLeastOnce), None);
    let mut doubled = 0;
    for at in (2_000..20_000).step_by(1_300) {
        for who in ["consumer-g1-1", "consumer-g1-2"] {
            let (crashed, _, sim) = run(scenario(Guarantee::AtLeastOnce), Some((who, at)));
            let twice = sim.report().groups[0].outcome.duplicated;
            // A record processed again is counted twice if its first processing reached the
            // changelog before the crash (its batch was flushed, its offsets not committed),
            // once if the crash came mid-batch.
            let excess = placed(&crashed) - placed(&clean);
            assert!(excess <= twice, "{who} crashed at {at} ms: {excess} extra placements, {twice} records twice");
            doubled += excess;
        }
    }
    assert!(doubled > 0, "no crash left a record counted twice");
}

/// A crash in the middle of a transaction that already holds changelog records. The new owner's
/// restore reads `read_committed` up to the LSO, which stops before the open transaction: it
/// finishes before the coordinator aborts that transaction (`transaction.timeout.ms`), without
/// the crashed member's records, and the windows come out as in the run without the crash.
#[test]
fn a_restore_reads_up_to_the_last_stable_offset_without_the_crashed_members_open_transaction() {
    let mut s = scenario(Guarantee::ExactlyOnce);
    // Found quickly: a 6 s session, so the rebalance comes before the transaction times out.
    s.consumer_groups[0].configs.insert("session.timeout.ms".into(), 6_000.into());
    s.consumer_groups[0].configs.insert("heartbeat.interval.ms".into(), 1_000.into());
    let (clean, _, _) = run(s.clone(), None);
    let mut checked = 0;
    for at in (8_000..12_000).step_by(37) {
        let mut sim = Simulation::new(s.clone()).expect("valid");
        let events = std::rc::Rc::new(std::cell::RefCell::new(vec![]));
        let sink = events.clone();
        sim.set_trace_sink(Some(Box::new(move |e, _| match &e.event {
            TraceEvent::StoreRestored { records, .. } => sink.borrow_mut().push((e.time.0, Some(*records))),
            TraceEvent::TransactionTimedOut { transactional_id, .. } if transactional_id == "g1-consumer-g1-1" => {
                sink.borrow_mut().push((e.time.0, None))
            }
            _ => {}
        })));
        sim.run_until(SimTime(at));
        sim.apply(Command::CrashConsumer { client_id: "consumer-g1-1".into() }).expect("running");
        assert!(sim.run_to_drain(SimTime(600_000)), "crash at {at}: drains");
        if sim.snapshot().store.expect("a store view").stream_aborted == 0 {
            continue; // the crash came before the batch's changelog writes
        }
        let events = events.borrow().clone();
        let aborted_at = events.iter().find(|(_, r)| r.is_none()).map(|(t, _)| *t);
        let aborted_at = aborted_at.unwrap_or_else(|| panic!("crash at {at}: the transaction was never aborted"));
        let restored: Vec<u64> = events.iter().filter(|(t, r)| *t > at && r.is_some()).map(|(t, _)| *t).collect();
        assert!(
            restored.iter().any(|&t| t < aborted_at),
            "crash at {at}: no restore finished before the abort at {aborted_at} ms: {events:?}"
        );
        let app = sim.windows("g1").expect("windows");
        let windows: Windows = app.all_windows().map(|(k, w)| (k, w.start_ms, w.end_ms, w.count)).collect();
        assert_eq!(windows, clean, "crash at {at}");
        streamlab_engine::invariants::InvariantChecker::for_simulation(&sim)
            .check_store(&sim)
            .unwrap_or_else(|e| panic!("crash at {at}: {e}"));
        checked += 1;
        if checked == 3 {
            break;
        }
    }
    assert_eq!(checked, 3, "three crash times leave an aborted transaction with changelog records");
}
