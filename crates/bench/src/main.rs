//! `streamlab-bench`: the throughput benchmarks behind BENCHMARKS.md's budget, one per process so
//! that each measures its own peak memory. The same code runs natively and as wasm
//! (`wasm32-wasip1` under Node's WASI), so the two can be compared. It only measures and prints;
//! `cargo xtask bench` compares the figures with the budget.
//!
//! `streamlab-bench <pipeline | iot-1h | windows> [--quick]` prints one JSON object:
//! `{"benchmark", "target", "quick", "records", "runs", "seconds", "seconds_min", "seconds_max",
//! "records_per_s", "peak_memory_bytes", "simulated_ms", "check"}`. Each benchmark runs several
//! times (7 for `windows`, 3 for the others) and reports the median time, since a run of a
//! fraction of a second moves by tens of percent with the machine's load. `--quick` runs the
//! smallest configuration once (a smoke test).

use std::time::Instant;
use streamlab_engine::streams::{Aggregation, Payload, WindowedAggregator, Windows};
use streamlab_engine::{KeyId, RecordId, Scenario, SimTime, Simulation};

/// The scenario of the `iot-1h` benchmark: one hour of 1,000 IoT sensors.
const IOT_1H: &str = include_str!("../../engine/benches/iot-1h.json");

struct Measured {
    records: u64,
    seconds: f64,
    simulated_ms: u64,
    /// A figure that shows the run did its work (records processed, windows made).
    check: serde_json::Value,
}

/// `pipeline`: a producer sending as fast as its accumulator and
/// `max.in.flight.requests.per.connection` allow (the `flood` workload), 100-byte values,
/// 6 partitions, one group of 3 consumers with 0 ms processing, until every record is produced,
/// acknowledged and processed.
fn pipeline(records: u64) -> Measured {
    let json = format!(
        r#"{{"seed": 1, "run_ms": 604800000,
            "topics": [{{"name": "events", "partitions": 6}}],
            "producers": [{{"topic": "events", "workload": {{"type": "flood", "records": {records}, "keys": 1000, "value_bytes": 100}}}}],
            "consumer_groups": [{{"group_id": "g1", "topics": ["events"], "members": 3, "processing_ms_per_record": 0,
                                 "configs": {{"auto.offset.reset": "earliest"}}}}]}}"#
    );
    let scenario = Scenario::from_json(&json).expect("the pipeline scenario is valid");
    let start = Instant::now();
    let mut sim = Simulation::new(scenario).expect("valid");
    let drained = sim.run_to_drain(SimTime(604_800_000));
    let seconds = start.elapsed().as_secs_f64();
    let outcome = sim.outcome("g1");
    Measured {
        records,
        seconds,
        simulated_ms: sim.now().0,
        check: serde_json::json!({"drained": drained, "processed_once": outcome.processed_once, "lost": outcome.lost, "duplicated": outcome.duplicated}),
    }
}

/// `iot-1h`: `crates/engine/benches/iot-1h.json` (or its first `ms` milliseconds).
fn iot(ms: u64) -> Measured {
    let mut scenario = Scenario::from_json(IOT_1H).expect("iot-1h.json is valid");
    scenario.run_ms = ms;
    let start = Instant::now();
    let mut sim = Simulation::new(scenario).expect("valid");
    sim.run();
    let seconds = start.elapsed().as_secs_f64();
    let report = sim.report();
    let g = &report.groups[0];
    Measured {
        records: report.produced,
        seconds,
        simulated_ms: sim.now().0,
        check: serde_json::json!({"produced": report.produced, "processed": g.processed, "processed_once": g.outcome.processed_once}),
    }
}

/// `windows`: the window operator alone: `events` events over 1,000 keys into 1-minute tumbling
/// count windows with 10 s of grace; event times 1 ms apart, each up to 3 s behind (a fixed
/// xorshift sequence, generated before the clock starts).
fn windows(events: u64) -> Measured {
    const CHUNK: u64 = 1 << 20;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let pattern: Vec<(u32, u64)> = (0..CHUNK.min(events))
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x % 1000) as u32, (i + 3000).saturating_sub(x % 3000))
        })
        .collect();
    let spec = Windows::tumbling(60_000, 10_000);
    let mut app = WindowedAggregator::new(spec, Aggregation::Count, 1);
    let start = Instant::now();
    let mut done = 0u64;
    while done < events {
        let base = done;
        for &(key, t) in pattern.iter().take((events - done) as usize) {
            app.process(0, RecordId(done), KeyId(key), base + t, Payload::None, 0.0);
            done += 1;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    Measured {
        records: events,
        seconds,
        simulated_ms: 0,
        check: serde_json::json!({"windows": app.window_count(), "late": app.late}),
    }
}

/// The most memory this process has held: the high-water mark of its resident set natively
/// (`VmHWM` in `/proc/self/status`), the size of its linear memory in wasm (which never shrinks).
fn peak_memory_bytes() -> Option<u64> {
    #[cfg(target_arch = "wasm32")]
    {
        Some(core::arch::wasm32::memory_size(0) as u64 * 65_536)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let which = args.iter().find(|a| !a.starts_with("--")).map(String::as_str).unwrap_or("");
    let (runs, bench): (usize, fn() -> Measured) = match (which, quick) {
        ("pipeline", false) => (3, || pipeline(10_000_000)),
        ("pipeline", true) => (1, || pipeline(100_000)),
        ("iot-1h", false) => (3, || iot(3_600_000)),
        ("iot-1h", true) => (1, || iot(60_000)),
        ("windows", false) => (7, || windows(20_000_000)),
        ("windows", true) => (1, || windows(1_000_000)),
        (other, _) => {
            eprintln!("usage: streamlab-bench <pipeline | iot-1h | windows> [--quick]; got \"{other}\"");
            std::process::exit(2);
        }
    };
    let all: Vec<Measured> = (0..runs).map(|_| bench()).collect();
    let mut times: Vec<f64> = all.iter().map(|m| m.seconds).collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let m = &all[0];
    let out = serde_json::json!({
        "benchmark": which,
        "target": if cfg!(target_arch = "wasm32") { "wasm" } else { "native" },
        "quick": quick,
        "records": m.records,
        "runs": runs,
        "seconds": median,
        "seconds_min": times[0],
        "seconds_max": times[times.len() - 1],
        "records_per_s": m.records as f64 / median.max(1e-9),
        "peak_memory_bytes": peak_memory_bytes(),
        "simulated_ms": m.simulated_ms,
        "check": &m.check,
    });
    println!("{out}");
}
