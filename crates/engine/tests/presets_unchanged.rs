//! The taxi and bids presets give the same windows, winners, late count and delivery outcomes as
//! they did before the engine's core was rebuilt for speed: `golden/{taxi,bids}_preset.txt` were
//! written from the `streamlab run --preset taxi|bids --format json` output of the earlier engine
//! (seed 42, 6 partitions, 3 consumers, run until drained). Event order may change; results may not.

use streamlab_engine::workload::table::{BIDS_CSV, TAXI_CSV};
use streamlab_engine::{Datasets, Preset, Report, Scenario, SimTime, Simulation};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The report in the golden files' format: a header line, a line per group, a line per window.
fn digest(r: &Report) -> String {
    let mut out = vec![format!(
        "produced {} acknowledged {} late {} dead_letters {} drained {}",
        r.produced,
        r.acknowledged,
        r.late,
        r.dead_letters.len(),
        r.drained
    )];
    for g in &r.groups {
        out.push(format!(
            "group {} once {} duplicated {} lost {} pending {}",
            g.group_id, g.outcome.processed_once, g.outcome.duplicated, g.outcome.lost, g.outcome.pending
        ));
    }
    for w in &r.windows {
        let mut parts = vec![
            w.key.clone(),
            w.start_ms.to_string(),
            w.end_ms.to_string(),
            w.count.to_string(),
            if w.closed { "closed" } else { "open" }.to_string(),
        ];
        parts.extend(w.fare_amount_avg.map(|v| format!("{v:.6}")));
        parts.extend(w.trip_duration_s_avg.map(|v| format!("{v:.6}")));
        parts.extend(w.bid_max.map(|v| format!("{v:.2}")));
        parts.extend(w.bidder.clone());
        out.push(parts.join(" "));
    }
    out.join("\n") + "\n"
}

fn run(preset: Preset, data: Datasets) -> Report {
    let mut sim = Simulation::with_data(Scenario::preset(preset, 42, 6, 3), &data).expect("valid");
    assert!(sim.run_to_drain(SimTime(86_400_000)), "the preset drains");
    sim.report()
}

fn assert_same(got: &str, golden: &str) {
    for (i, (g, w)) in got.lines().zip(golden.lines()).enumerate() {
        assert_eq!(g, w, "line {} differs", i + 1);
    }
    assert_eq!(got.lines().count(), golden.lines().count(), "line count differs");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn taxi_preset_results_are_unchanged() {
    let csv = include_str!("../../../static/data/nyc-yellow-taxi-2019-01-sample.csv");
    assert!(TAXI_CSV.starts_with("nyc-yellow-taxi"));
    let report = run(Preset::Taxi, Datasets { taxi_csv: Some(csv.to_string()), bids_csv: None });
    assert_same(&digest(&report), include_str!("golden/taxi_preset.txt"));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn bids_preset_results_are_unchanged() {
    let csv = include_str!("../../../static/data/ebay-auction-bids.csv");
    assert!(BIDS_CSV.starts_with("ebay-auction-bids"));
    let report = run(Preset::Bids, Datasets { taxi_csv: None, bids_csv: Some(csv.to_string()) });
    assert_same(&digest(&report), include_str!("golden/bids_preset.txt"));
}
