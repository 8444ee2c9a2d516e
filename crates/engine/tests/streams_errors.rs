//! Processing errors: a poison record is retried with exponential backoff, in simulated time,
//! then goes to the dead-letter queue while the rest of the stream is processed; or, with
//! `on_failure: fail`, it stops every member that meets it and the lag grows.

use std::cell::RefCell;
use std::rc::Rc;
use streamlab_engine::ids::GroupId;
use streamlab_engine::scenario::{ErrorsSpec, OnFailure, WorkloadSpec};
use streamlab_engine::{Scenario, SimTime, Simulation, TraceEvent};

fn scenario(on_failure: OnFailure, members: u32) -> Scenario {
    let mut s = Scenario::iot_default(1, 3, members);
    s.producers[0].workload = WorkloadSpec::iot(12, 1000, Some(120));
    let g = &mut s.consumer_groups[0];
    g.processing_ms_per_record = 20;
    g.errors = Some(ErrorsSpec {
        poison_every: 50,
        retry_initial_ms: 100,
        retry_multiplier: 2.0,
        retry_max_ms: 300,
        max_attempts: 4,
        on_failure,
    });
    s
}

/// Every `processing_failed` and `record_dead_lettered` event, with its time.
fn failures(sim: &mut Simulation) -> Rc<RefCell<Vec<(u64, TraceEvent)>>> {
    let seen = Rc::new(RefCell::new(vec![]));
    let sink = seen.clone();
    sim.set_trace_sink(Some(Box::new(move |e, _| {
        if matches!(
            e.event,
            TraceEvent::ProcessingFailed { .. }
                | TraceEvent::RecordDeadLettered { .. }
                | TraceEvent::ApplicationFailed { .. }
        ) {
            sink.borrow_mut().push((e.time.0, e.event.clone()));
        }
    })));
    seen
}

#[test]
fn a_poison_record_is_retried_with_backoff_then_dead_lettered_and_the_rest_goes_on() {
    let mut sim = Simulation::new(scenario(OnFailure::DeadLetter, 1)).expect("valid");
    let seen = failures(&mut sim);
    assert!(sim.run_to_drain(SimTime(600_000)), "drains");
    let events = seen.borrow();
    // Record 50 (sequence 49) is the first poison record: four attempts, the delays between
    // them 100, 200 and 300 ms (200 · 2 = 400, capped at retry_max_ms), each attempt taking
    // the record's 20 ms of work.
    let first: Vec<&(u64, TraceEvent)> = events.iter().take(5).collect();
    let attempts: Vec<(u32, Option<u64>)> = first
        .iter()
        .filter_map(|(_, e)| match e {
            TraceEvent::ProcessingFailed { attempt, retry_in_ms, .. } => Some((*attempt, *retry_in_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [(1, Some(100)), (2, Some(200)), (3, Some(300)), (4, None)]);
    let times: Vec<u64> = first.iter().map(|(t, _)| *t).collect();
    let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, [120, 220, 320, 0], "attempt times {times:?}");
    assert!(matches!(first[4].1, TraceEvent::RecordDeadLettered { attempts: 4, .. }));

    // Two poison records (50 and 100) in the queue, with their attempts; nothing lost, and
    // every other record reached its window.
    let dlq = sim.dead_letter_queue(GroupId(0));
    assert_eq!(dlq.iter().map(|d| (d.record_id.seq() + 1, d.attempts)).collect::<Vec<_>>(), [(50, 4), (100, 4)]);
    assert_eq!(dlq[0].first_attempt_ms, times[0]);
    assert_eq!(dlq[0].dead_lettered_ms, times[3]);
    let r = sim.report();
    let g = &r.groups[0];
    assert_eq!((g.outcome.processed_once, g.outcome.lost, g.outcome.pending, g.dead_lettered), (120, 0, 0, 2));
    let app = sim.windows("g1").expect("windows");
    assert_eq!((app.accepted + app.late, app.dead_lettered), (118, 2));
}

#[test]
fn failing_instead_stops_each_member_that_meets_the_record_and_the_lag_grows() {
    let mut sim = Simulation::new(scenario(OnFailure::Fail, 2)).expect("valid");
    let seen = failures(&mut sim);
    sim.run_until(SimTime(120_000));
    let failed = seen.borrow().iter().filter(|(_, e)| matches!(e, TraceEvent::ApplicationFailed { .. })).count();
    // The first member fails at record 50; its partitions go to the second, which fails at
    // the same record (or at record 100): no member is left.
    assert_eq!(failed, 2);
    assert!(sim.dead_letter_queue(GroupId(0)).is_empty());
    let r = sim.report();
    let g = &r.groups[0];
    assert_eq!(g.members, 0);
    assert!(g.lag > 0 && g.outcome.pending > 0, "lag {} pending {}", g.lag, g.outcome.pending);
    assert_eq!(g.outcome.lost, 0, "failing commits nothing past the poison record");
}
