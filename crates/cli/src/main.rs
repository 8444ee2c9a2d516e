//! `streamlab`: the engine headless, for teachers, doc authors and tests. It parses arguments
//! and prints; all simulation lives in streamlab-engine.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use streamlab_engine::producer::partitioner::{murmur2, partition_for_key, to_positive};
use streamlab_engine::{Command, Scenario, SimTime, Simulation};

#[derive(Parser)]
#[command(name = "streamlab", version, about = "StreamLab: a Kafka-style cluster simulated on a virtual clock")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Text,
}

#[derive(Clone, Copy, ValueEnum)]
enum Preset {
    /// IoT sensors keyed by device id.
    Iot,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario to its end and print the report.
    Run {
        /// A scenario JSON file (default: the IoT preset).
        #[arg(long, conflicts_with = "preset")]
        scenario: Option<std::path::PathBuf>,
        #[arg(long, value_enum)]
        preset: Option<Preset>,
        /// Replace the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Partitions of the preset's topic (1 to 1024).
        #[arg(long, default_value_t = 6)]
        partitions: u32,
        /// Consumers in the preset's group (0 to 64).
        #[arg(long, default_value_t = 3)]
        consumers: u32,
        /// Run length, overriding the scenario's `run_ms` (e.g. 90s, 5m, 1500ms).
        #[arg(long, value_parser = parse_duration_ms)]
        duration: Option<u64>,
        /// Crash this consumer (client id) at this time: `consumer-g1-2@20s`.
        #[arg(long, value_parser = parse_crash)]
        crash: Vec<(String, u64)>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the trace of a run, one line per event.
    Trace {
        #[arg(long)]
        scenario: Option<std::path::PathBuf>,
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long, value_parser = parse_duration_ms)]
        duration: Option<u64>,
        /// Include Debug-level lines (appends, polls, commits).
        #[arg(long)]
        debug: bool,
    },
    /// Validate a scenario file; prints the first error with its field path.
    Check { scenario: std::path::PathBuf },
    /// Which partition Kafka's Java client picks for a key: toPositive(murmur2(key)) % partitions.
    Partition {
        #[arg(long)]
        partitions: u32,
        keys: Vec<String>,
    },
}

/// `1500ms`, `90s`, `5m`, `2h`, `1d`, or plain milliseconds.
fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("expected a number with a unit (ms, s, m, h, d), got \"{s}\""))?;
    let factor = match unit {
        "" | "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        other => return Err(format!("unknown unit \"{other}\" in \"{s}\" (use ms, s, m, h or d)")),
    };
    n.checked_mul(factor).ok_or_else(|| format!("\"{s}\" is too long a duration"))
}

fn parse_crash(s: &str) -> Result<(String, u64), String> {
    let (client, at) = s.split_once('@').ok_or_else(|| format!("expected CLIENT_ID@DURATION, got \"{s}\""))?;
    Ok((client.to_string(), parse_duration_ms(at)?))
}

fn load(scenario: Option<&std::path::Path>, partitions: u32, consumers: u32) -> Result<Scenario> {
    match scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            Scenario::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        }
        None => Ok(Scenario::iot_default(42, partitions, consumers)),
    }
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Run { scenario, preset: _, seed, partitions, consumers, duration, crash, format } => {
            let mut s = load(scenario.as_deref(), partitions, consumers)?;
            if let Some(seed) = seed {
                s.seed = seed;
            }
            if let Some(d) = duration {
                s.run_ms = d;
            }
            let mut sim = Simulation::new(s)?;
            let mut crashes = crash;
            crashes.sort_by_key(|(_, at)| *at);
            for (client_id, at) in crashes {
                sim.run_until(SimTime(at));
                sim.apply(Command::CrashConsumer { client_id })?;
            }
            sim.run();
            let report = sim.report();
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                Format::Text => {
                    println!("trace_hash {}  seed {}  end {}", report.trace_hash, report.seed, SimTime(report.end_ms));
                    println!("produced {}  acknowledged {}", report.produced, report.acknowledged);
                    for p in &report.partitions {
                        println!(
                            "  {:<16} log end offset {:>7}  high watermark {:>7}",
                            p.partition, p.log_end_offset, p.high_watermark
                        );
                    }
                    for g in &report.groups {
                        println!(
                            "group {}: {} generation {} ({} rebalances), {} members, polled {}, processed {}, lag {}",
                            g.group_id, g.state, g.generation, g.rebalances, g.members, g.polled, g.processed, g.lag
                        );
                    }
                }
            }
        }
        Cmd::Trace { scenario, seed, duration, debug } => {
            let mut s = load(scenario.as_deref(), 6, 3)?;
            if let Some(seed) = seed {
                s.seed = seed;
            }
            if let Some(d) = duration {
                s.run_ms = d;
            }
            let mut sim = Simulation::new(s)?;
            sim.run();
            for e in sim.trace() {
                if debug || e.event.level() == streamlab_engine::sim::Level::Info {
                    println!("{:>10} {}", e.time.to_string(), e.event.line());
                }
            }
            println!("trace_hash {:016x}", sim.trace_hash());
        }
        Cmd::Check { scenario } => {
            let s = load(Some(&scenario), 0, 0)?;
            s.validate().map_err(|e| anyhow::anyhow!("{}: {e}", scenario.display()))?;
            println!("{}: ok", scenario.display());
        }
        Cmd::Partition { partitions, keys } => {
            if !(1..=1_000_000).contains(&partitions) {
                bail!("--partitions: must be between 1 and 1000000, got {partitions}");
            }
            for key in keys {
                let h = murmur2(key.as_bytes());
                println!(
                    "{key}\tmurmur2 {h}\ttoPositive {}\tpartition {}",
                    to_positive(h),
                    partition_for_key(key.as_bytes(), partitions)
                );
            }
        }
    }
    Ok(())
}
