//! The three delivery guarantees of a consume-transform-produce pipeline on the taxi preset,
//! under the same faults (a member crash at 10 s, 5% of produce responses dropped): the
//! downstream group's counts per input record show losses only under at-most-once,
//! duplicates only under at-least-once, and neither under exactly-once. `cargo xtask test` runs
//! the same over seeds 1 to 50 in release (`streamlab guarantees --check`).

use streamlab_engine::consumer::Guarantee;
use streamlab_engine::ledger::Outcome;
use streamlab_engine::workload::table::TAXI_CSV;
use streamlab_engine::{Command, Datasets, Preset, Scenario, SimTime, Simulation};

fn run(guarantee: Guarantee, seed: u64) -> (Outcome, u64, Simulation) {
    let mut s = Scenario::preset(Preset::Taxi, seed, 6, 3);
    s.with_guarantee(guarantee, "guarantee").unwrap();
    s.faults.extend(streamlab_engine::command::drop_produce_responses(0.05, true));
    let mut data = Datasets::default();
    data.set(TAXI_CSV, include_str!("../../../static/data/nyc-yellow-taxi-2019-01-sample.csv").to_string());
    let mut sim = Simulation::with_data(s, &data).unwrap();
    sim.run_until(SimTime(10_000));
    // As `--crash-consumer-at 10s`: the first pipeline member busy processing, else the first.
    let members: Vec<_> = sim.consumers().filter(|c| c.is_alive() && c.guarantee().is_some()).collect();
    let victim = members.iter().find(|c| c.is_processing()).or(members.first()).unwrap().client_id.clone();
    sim.apply(Command::CrashConsumer { client_id: victim }).unwrap();
    assert!(sim.run_to_drain(SimTime(86_400_000)), "seed {seed}: drains");
    let report = sim.report();
    let input = report.topics[0].records;
    let downstream = report.groups.iter().find(|g| g.group_id == "g1-downstream").unwrap().outcome.clone();
    (downstream, input, sim)
}

#[test]
fn exactly_once_delivers_every_input_record_once_despite_the_crash_and_the_lost_responses() {
    for seed in 1..=3 {
        let (o, input, sim) = run(Guarantee::ExactlyOnce, seed);
        assert_eq!((o.duplicated, o.lost, o.pending), (0, 0, 0), "seed {seed}");
        assert_eq!(o.processed_once, input, "seed {seed}: every input record reached the output once");
        let report = sim.report();
        assert!(report.events["transaction_timed_out"] > 0, "seed {seed}: lost responses outlast transactions");
        assert!(o.skipped > 0, "seed {seed}: markers and aborted outputs are skipped by read_committed");
        assert_eq!(sim.report().groups[1].aborted_processed, 0);
    }
}

/// Seed 44: the crashed member had sent outputs whose input offsets it had not committed; its
/// partitions' new owner processes them again.
#[test]
fn at_least_once_duplicates_after_the_crash() {
    let (o, input, _) = run(Guarantee::AtLeastOnce, 44);
    assert_eq!(o.lost, 0);
    assert!(o.duplicated > 0, "{o:?}");
    assert_eq!(o.processed_once + o.duplicated, input);
}

/// Seed 3: the crashed member had committed offsets of records it had not processed yet.
#[test]
fn at_most_once_loses_after_the_crash() {
    let (o, input, _) = run(Guarantee::AtMostOnce, 3);
    assert_eq!(o.duplicated, 0);
    assert!(o.lost > 0, "{o:?}");
    assert_eq!(o.processed_once + o.lost, input);
}

/// A pipeline's settings are validated: its output topic exists, is not an input, and its
/// commit mode matches its guarantee.
#[test]
fn pipelines_are_validated() {
    let mut s = Scenario::iot_default(1, 3, 1);
    s.with_guarantee(Guarantee::ExactlyOnce, "g").unwrap();
    s.consumer_groups[0].commit_mode = streamlab_engine::consumer::CommitMode::Auto;
    let e = Simulation::new(s).unwrap_err().to_string();
    assert!(e.contains("consumer_groups[0].commit_mode") && e.contains("after_processing"), "{e}");

    let mut s = Scenario::iot_default(1, 3, 1);
    s.with_guarantee(Guarantee::AtLeastOnce, "g").unwrap();
    s.consumer_groups[0].pipeline.as_mut().unwrap().output_topic = "nowhere".into();
    let e = Simulation::new(s).unwrap_err().to_string();
    assert!(e.contains("consumer_groups[0].pipeline.output_topic") && e.contains("nowhere"), "{e}");

    let mut s = Scenario::iot_default(1, 3, 1);
    s.with_guarantee(Guarantee::AtLeastOnce, "g").unwrap();
    s.consumer_groups[0].pipeline.as_mut().unwrap().output_topic = "readings".into();
    let e = Simulation::new(s).unwrap_err().to_string();
    assert!(e.contains("must not be a topic the group reads"), "{e}");
}
