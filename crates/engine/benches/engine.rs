//! `cargo xtask bench` (or `cargo bench -p streamlab-engine`): the engine's hot paths, with
//! criterion. Throughput is in records produced; results go in BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use streamlab_engine::scenario::WorkloadSpec;
use streamlab_engine::workload::table::{BIDS_CSV, TAXI_CSV};
use streamlab_engine::{Datasets, Preset, Scenario, SimTime, Simulation};

const DAY_MS: u64 = 86_400_000;

fn csv(file: &str) -> String {
    let path = format!("{}/../../static/data/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// 100 IoT sensors, one reading a second each, for 60 s: 6,000 records through 12 partitions
/// and 4 consumers with no processing time.
fn iot_scenario() -> Scenario {
    let mut s = Scenario::iot_default(1, 12, 4);
    s.producers[0].workload = WorkloadSpec::iot(100, 1000, None);
    s.consumer_groups[0].processing_ms_per_record = 0;
    s
}

fn engine(c: &mut Criterion) {
    let data = Datasets { taxi_csv: Some(csv(TAXI_CSV)), bids_csv: Some(csv(BIDS_CSV)) };
    let mut g = c.benchmark_group("engine");
    g.sample_size(20).measurement_time(std::time::Duration::from_secs(10));

    g.throughput(Throughput::Elements(6_000));
    g.bench_function("iot 100 sensors x 60 s", |b| {
        b.iter_batched(
            || Simulation::new(iot_scenario()).unwrap(),
            |mut sim| {
                sim.run_until(SimTime(60_000));
                sim.trace_hash()
            },
            BatchSize::LargeInput,
        )
    });

    for (name, preset, rows) in
        [("taxi preset to drain", Preset::Taxi, 5_882), ("bids preset to drain", Preset::Bids, 10_681)]
    {
        g.throughput(Throughput::Elements(rows));
        g.bench_function(name, |b| {
            b.iter_batched(
                || Simulation::with_data(Scenario::preset(preset, 1, 6, 3), &data).unwrap(),
                |mut sim| {
                    assert!(sim.run_to_drain(SimTime(DAY_MS)));
                    sim.trace_hash()
                },
                BatchSize::LargeInput,
            )
        });
    }

    // What the UI pays per frame: one snapshot of a taxi run half way through.
    let mut sim = Simulation::with_data(Scenario::preset(Preset::Taxi, 1, 6, 3), &data).unwrap();
    sim.run_until(SimTime(15_000));
    g.throughput(Throughput::Elements(1));
    g.bench_function("snapshot of a taxi run at 15 s", |b| b.iter(|| black_box(sim.snapshot())));

    // Set-up, mostly parsing the 5,882 CSV rows.
    g.throughput(Throughput::Elements(5_882));
    g.bench_function("taxi preset set-up", |b| {
        b.iter(|| black_box(Simulation::with_data(Scenario::preset(Preset::Taxi, 1, 6, 3), &data).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
