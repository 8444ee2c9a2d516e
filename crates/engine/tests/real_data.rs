//! The taxi and bids presets on the real data sets, checked against values this test computes
//! itself straight from the CSV files (its own parsing, its own date arithmetic, its own window
//! grouping), and the delivery outcome of crashes under each commit mode.

use std::collections::BTreeMap;
use streamlab_engine::consumer::CommitMode;
use streamlab_engine::report::WindowReport;
use streamlab_engine::{Command, Datasets, Preset, Scenario, SimTime, Simulation, TraceEvent};

const TAXI: &str = include_str!("../../../static/data/nyc-yellow-taxi-2019-01-sample.csv");
const BIDS: &str = include_str!("../../../static/data/ebay-auction-bids.csv");
const DAY_MS: u64 = 86_400_000;

fn data() -> Datasets {
    Datasets { taxi_csv: Some(TAXI.to_string()), bids_csv: Some(BIDS.to_string()) }
}

fn run(preset: Preset, seed: u64, edit: impl FnOnce(&mut Scenario)) -> Simulation {
    let mut s = Scenario::preset(preset, seed, 6, 3);
    edit(&mut s);
    let mut sim = Simulation::with_data(s, &data()).unwrap();
    assert!(sim.run_to_drain(SimTime(DAY_MS)), "the run did not drain");
    sim
}

/// Days since 1970-01-01, counted the slow way.
fn days_since_epoch(y: u64, m: u64, d: u64) -> u64 {
    let leap = |y: u64| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let mut days = (1970..y).map(|y| if leap(y) { 366 } else { 365 }).sum::<u64>();
    let month_days = [31, if leap(y) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    days += month_days[..(m - 1) as usize].iter().sum::<u64>();
    days + d - 1
}

/// `M/D/YYYY H:MM` → ms since the epoch, read as UTC.
fn taxi_time_ms(s: &str) -> u64 {
    let (date, time) = s.split_once(' ').unwrap();
    let d: Vec<u64> = date.split('/').map(|x| x.parse().unwrap()).collect();
    let t: Vec<u64> = time.split(':').map(|x| x.parse().unwrap()).collect();
    (days_since_epoch(d[2], d[0], d[1]) * 24 * 60 + t[0] * 60 + t[1]) * 60_000
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

#[test]
fn taxi_windows_equal_an_independent_computation() {
    // Grace long enough that nothing is late.
    let sim = run(Preset::Taxi, 1, |s| s.consumer_groups[0].windows.as_mut().unwrap().grace_ms = 60 * DAY_MS);
    // (PULocationID, window start) → (count, fare sum, duration sum).
    let mut expected: BTreeMap<(String, u64), (u64, f64, f64)> = BTreeMap::new();
    let mut lines = TAXI.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (pu, pick, drop, fare) =
        (col("PULocationID"), col("tpep_pickup_datetime"), col("tpep_dropoff_datetime"), col("fare_amount"));
    let mut rows = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let (p, d) = (taxi_time_ms(f[pick]), taxi_time_ms(f[drop]));
        let start = p / 900_000 * 900_000;
        let e = expected.entry((f[pu].to_string(), start)).or_insert((0, 0.0, 0.0));
        e.0 += 1;
        e.1 += f[fare].parse::<f64>().unwrap();
        e.2 += (d - p) as f64 / 1000.0;
        rows += 1;
    }
    assert_eq!(rows, 5882);
    let report = sim.report();
    assert_eq!(report.late, 0);
    assert_eq!(report.groups[0].outcome.duplicated, 0);
    let got: BTreeMap<(String, u64), &WindowReport> =
        report.windows.iter().map(|w| ((w.key.clone(), w.start_ms), w)).collect();
    assert_eq!(got.len(), expected.len(), "number of windows");
    for ((key, start), (count, fares, durations)) in &expected {
        let w = got.get(&(key.clone(), *start)).unwrap_or_else(|| panic!("no window {key} @ {start}"));
        assert_eq!(w.end_ms, start + 900_000);
        assert_eq!(w.count, *count, "count of {key} @ {start}");
        let n = *count as f64;
        assert!(
            close(w.fare_amount_avg.unwrap(), fares / n),
            "fare of {key} @ {start}: {:?} vs {}",
            w.fare_amount_avg,
            fares / n
        );
        assert!(close(w.trip_duration_s_avg.unwrap(), durations / n), "duration of {key} @ {start}");
    }
    // A spot check a reader can verify by hand: zone 151's first window holds the file's first trip.
    let first = got[&("151".to_string(), taxi_time_ms("1/1/2019 0:45"))];
    assert!(first.count >= 1);
}

#[test]
fn taxi_default_grace_windows_plus_late_equal_the_rows() {
    let sim = run(Preset::Taxi, 2, |_| {});
    let report = sim.report();
    let in_windows: u64 = report.windows.iter().map(|w| w.count).sum();
    assert!(report.late > 0, "the file is far from time order: some records are late");
    assert_eq!(in_windows + report.late, 5882);
    assert!(report.dead_letters.is_empty());
}

#[test]
fn bids_winners_equal_an_independent_computation() {
    let sim = run(Preset::Bids, 3, |_| {});
    let report = sim.report();
    assert_eq!(report.late, 0);
    // auctionid → (bids, top bid, its earliest bidtime, bidder).
    let mut expected: BTreeMap<String, (u64, f64, f64, String)> = BTreeMap::new();
    for line in BIDS.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (bid, time) = (f[1].parse::<f64>().unwrap(), f[2].parse::<f64>().unwrap());
        let e = expected.entry(f[0].to_string()).or_insert((0, f64::MIN, 0.0, String::new()));
        e.0 += 1;
        if bid > e.1 || (bid == e.1 && time < e.2) {
            (e.1, e.2, e.3) = (bid, time, f[3].to_string());
        }
    }
    let got: BTreeMap<&str, &WindowReport> = report.windows.iter().map(|w| (w.key.as_str(), w)).collect();
    assert_eq!(got.len(), expected.len(), "one 7-day window per auction");
    for (auction, (count, bid, _, bidder)) in &expected {
        let w = got[auction.as_str()];
        assert_eq!(
            (w.count, w.bid_max, w.bidder.as_deref()),
            (*count, Some(*bid), Some(bidder.as_str())),
            "auction {auction}"
        );
    }
    // Named auctions, the last one tied: birdkowsky (day 2.17) and sandragian (day 4.39) both bid 150.
    let named = [
        ("1638893549", 5, 177.5, "eli.flint@flightsafety.co"),
        ("1639453840", 33, 355.0, "bella@thegrid.net"),
        ("1641142160", 5, 200.01, "princess-ginger"),
        ("1642243766", 11, 355.0, "akryzak"),
        ("1643075711", 16, 1225.0, "6969.ca"),
        ("1642424500", expected["1642424500"].0, 150.0, "birdkowsky"),
    ];
    for (auction, count, bid, bidder) in named {
        let w = got[auction];
        assert_eq!((w.count, w.bid_max, w.bidder.as_deref()), (count, Some(bid), Some(bidder)), "auction {auction}");
    }
}

/// Taxi, 6 partitions, 3 consumers; crashes the consumer busy processing at 10 s.
fn crash_run(mode: CommitMode, crash: bool) -> Simulation {
    let mut s = Scenario::preset(Preset::Taxi, 4, 6, 3);
    s.consumer_groups[0].commit_mode = mode;
    let mut sim = Simulation::with_data(s, &data()).unwrap();
    if crash {
        sim.run_until(SimTime(10_000));
        let victim = sim.consumers().find(|c| c.is_processing()).expect("a consumer is busy at 10 s").client_id.clone();
        sim.apply(Command::CrashConsumer { client_id: victim }).unwrap();
    }
    assert!(sim.run_to_drain(SimTime(DAY_MS)));
    sim
}

#[test]
fn crash_with_commit_after_processing_duplicates_and_loses_nothing() {
    let g = &crash_run(CommitMode::AfterProcessing, true).report().groups[0].outcome;
    assert!(g.duplicated > 0, "{g:?}");
    assert_eq!(g.lost, 0);
    assert_eq!(g.processed_once + g.duplicated, 5882);
}

#[test]
fn crash_with_commit_before_processing_loses_and_duplicates_nothing() {
    let g = &crash_run(CommitMode::BeforeProcessing, true).report().groups[0].outcome;
    assert!(g.lost > 0, "{g:?}");
    assert_eq!(g.duplicated, 0);
    assert_eq!(g.processed_once + g.lost, 5882);
}

#[test]
fn no_crash_no_duplicates_no_losses() {
    for mode in [CommitMode::Auto, CommitMode::AfterProcessing, CommitMode::BeforeProcessing] {
        let g = &crash_run(mode, false).report().groups[0].outcome;
        assert_eq!((g.processed_once, g.duplicated, g.lost, g.pending), (5882, 0, 0, 0), "{mode:?}");
    }
}

/// A graceful leave (`close()`: finish the batch, commit, LeaveGroup) and a join mid-stream move
/// partitions without losing or repeating a record, whatever the commit mode.
#[test]
fn leave_and_join_mid_stream_neither_duplicate_nor_lose() {
    for mode in [CommitMode::Auto, CommitMode::AfterProcessing, CommitMode::BeforeProcessing] {
        let mut s = Scenario::preset(Preset::Taxi, 4, 6, 3);
        s.consumer_groups[0].commit_mode = mode;
        let mut sim = Simulation::with_data(s, &data()).unwrap();
        sim.run_until(SimTime(10_000));
        sim.apply(Command::CloseConsumer { client_id: "consumer-g1-2".into() }).unwrap();
        sim.run_until(SimTime(20_000));
        sim.apply(Command::AddConsumer { group_id: "g1".into() }).unwrap();
        assert!(sim.run_to_drain(SimTime(DAY_MS)));
        let g = &sim.report().groups[0];
        let o = &g.outcome;
        assert_eq!((o.processed_once, o.duplicated, o.lost, o.pending), (5882, 0, 0, 0), "{mode:?}");
        assert_eq!(g.generation, 3, "{mode:?}: the leave and the join each make a generation");
    }
}

#[test]
fn each_rebalance_is_traced_with_its_trigger_and_a_new_generation() {
    let sim = crash_run(CommitMode::AfterProcessing, true);
    let lines: Vec<String> = sim
        .trace_info()
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                TraceEvent::PreparingRebalance { .. }
                    | TraceEvent::GroupStabilized { .. }
                    | TraceEvent::MemberSessionExpired { .. }
                    | TraceEvent::ConsumerCrashed { .. }
            )
        })
        .map(|e| e.event.line(sim.catalog()))
        .collect();
    let stabilized: Vec<&String> = lines.iter().filter(|l| l.contains("Stabilized group")).collect();
    assert_eq!(stabilized.len(), 2);
    assert!(stabilized[0].ends_with("Stabilized group g1 generation 1 with 3 members (protocol range)"));
    assert!(stabilized[1].ends_with("Stabilized group g1 generation 2 with 2 members (protocol range)"));
    // The second rebalance's trigger: the crashed member's session timed out.
    let expired = lines
        .iter()
        .position(|l| l.contains("has failed, removing it from the group (session timeout 45000 ms expired)"))
        .unwrap();
    let prepared = lines
        .iter()
        .rposition(|l| l.contains("Preparing to rebalance group g1") && l.contains("on heartbeat expiration"))
        .unwrap();
    let second = lines.iter().position(|l| l.contains("generation 2 with 2 members")).unwrap();
    let crashed = lines.iter().position(|l| l.contains("process crashed")).unwrap();
    assert!(crashed < expired && expired < prepared && prepared < second, "{lines:#?}");
    let report = sim.report();
    assert_eq!((report.groups[0].generation, report.groups[0].rebalances), (2, 2));
}

#[test]
fn bad_rows_are_dead_letters_and_the_run_goes_on() {
    let header = TAXI.lines().next().unwrap();
    let good: Vec<&str> = TAXI.lines().skip(1).take(4).collect();
    let csv = format!(
        "{header}\n{}\n1,1/1/2019 0:46,1/1/2019 0:53\n{}\n1,13/45/2019 0:46,1/1/2019 0:53,1,1.5,1,N,151,239,1,7,0.5,0.5,1.65,0,0.3,9.95,\n{}\n1,1/1/2019 0:46,1/1/2019 0:53,1,1.5,1,N,151,239,1,seven,0.5,0.5,1.65,0,0.3,9.95,\n{}\n",
        good[0], good[1], good[2], good[3]
    );
    let s = Scenario::preset(Preset::Taxi, 5, 6, 3);
    let mut sim = Simulation::with_data(s, &Datasets { taxi_csv: Some(csv), bids_csv: None }).unwrap();
    assert!(sim.run_to_drain(SimTime(DAY_MS)));
    let report = sim.report();
    assert_eq!((report.produced, report.groups[0].outcome.processed_once), (4, 4));
    let dead: Vec<(u64, &str)> = report.dead_letters.iter().map(|d| (d.line, d.reason.as_str())).collect();
    assert_eq!(
        dead,
        vec![
            (3, "expected 18 fields, found 3"),
            (5, "tpep_pickup_datetime: expected M/D/YYYY H:MM or YYYY-MM-DD HH:MM:SS, got \"13/45/2019 0:46\""),
            (7, "fare_amount: invalid float literal, got \"seven\""),
        ]
    );
}

#[test]
fn missing_csv_is_a_clear_error() {
    let err = Simulation::new(Scenario::preset(Preset::Bids, 1, 6, 3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "producers[0].workload: the bids workload needs its CSV (static/data/ebay-auction-bids.csv), and none was given"
    );
}

#[test]
fn bids_dedupe_lists_the_auctions_whose_first_bid_arrived_late() {
    // Lost produce requests and no idempotence: retried batches land behind later ones.
    let sim = run(Preset::Bids, 4, |s| {
        let p = &mut s.producers[0].configs;
        p.insert("enable.idempotence".into(), false.into());
        p.insert("max.in.flight.requests.per.connection".into(), 5.into());
        s.faults.push(streamlab_engine::command::TimedCommand {
            at_ms: 0,
            command: streamlab_engine::command::drop_produce_requests(0.1),
        });
    });
    // The test's own reading: each row's auction and bid time, from the CSV ...
    let rows: Vec<(&str, f64)> = BIDS
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0], f[2].parse::<f64>().unwrap())
        })
        .collect();
    // ... and each auction's records in log order (the group processes each partition in
    // offset order, and nothing crashes): the first is the one processed first.
    let mut by_auction: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for p in 0..6 {
        let tp = streamlab_engine::TopicPartition::new(sim.catalog().topic_id("auction-bids").unwrap(), p);
        let log = sim.log(tp).unwrap();
        for r in log.read(streamlab_engine::Offset(0), log.high_watermark(), u64::MAX) {
            let row = r.record_id.seq();
            by_auction.entry(rows[row].0).or_default().push(row);
        }
    }
    let mut expected: Vec<(String, u64, u64)> = vec![];
    for (auction, order) in &by_auction {
        let first = order[0];
        // The earliest bid time; among equal times, the first in log order.
        let earliest = order.iter().copied().fold(first, |e, r| if rows[r].1 < rows[e].1 { r } else { e });
        if earliest != first {
            expected.push((auction.to_string(), first as u64, earliest as u64));
        }
    }
    assert!(!expected.is_empty(), "the lost requests reorder some auction's first bid");
    let report = sim.report();
    let d = report.dedupe.expect("the bids preset dedupes by auction");
    let mut got: Vec<(String, u64, u64)> =
        d.disagreements.iter().map(|x| (x.key.clone(), x.processed_first.record_id, x.earliest.record_id)).collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(d.kept, by_auction.len() as u64);
    for x in &d.disagreements {
        assert!(x.earliest.timestamp_ms < x.processed_first.timestamp_ms);
        assert!(x.why.starts_with("sent first, appended after"), "{}", x.why);
    }
}

#[test]
fn bids_dedupe_agrees_with_itself_without_disorder() {
    let report = run(Preset::Bids, 3, |_| {}).report();
    let d = report.dedupe.expect("the bids preset dedupes by auction");
    assert_eq!((d.kept, d.repeats, d.disagreements.len()), (628, 10_681 - 628, 0));
}

#[test]
fn taxi_windows_by_event_time_have_late_trips_by_append_or_processing_time_none() {
    let late = |time: &'static str| {
        let sim = run(Preset::Taxi, 5, |s| {
            let settings = streamlab_engine::session::window_time_settings(time).unwrap();
            streamlab_engine::session::apply_settings(s, &settings, "").unwrap();
        });
        assert_eq!(sim.window_time("g1"), time);
        let r = sim.report();
        // Every trip is in a window or late, whatever the time.
        assert_eq!(r.windows.iter().map(|w| w.count).sum::<u64>() + r.late, 5882, "{time}");
        (r.late, r.windows.iter().map(|w| w.start_ms).min().unwrap())
    };
    let (event_late, event_start) = late("event");
    assert!(event_late > 0, "the file is not in pickup order");
    assert!(event_start >= taxi_time_ms("1/1/2019 0:00") - 60 * DAY_MS, "event time is 2019's");
    // The broker's clock and the application's only go forward, and start at the run's 0.
    for time in ["log_append", "processing"] {
        let (late, start) = late(time);
        assert_eq!(late, 0, "{time}");
        assert!(start < DAY_MS, "{time}: windows of the run's own clock");
    }
}
