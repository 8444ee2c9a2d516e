//! `streamlab`: the engine headless, for teachers, doc authors and tests. It parses arguments
//! and prints; all simulation lives in streamlab-engine.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use streamlab_engine::command::{SeekTo, TimedCommand};
use streamlab_engine::config::ProducerDefaults;
use streamlab_engine::consumer::assignors::Strategy;
use streamlab_engine::consumer::CommitMode;
use streamlab_engine::exercise::{Course, Exercise, MAX_EXERCISE_BYTES};
use streamlab_engine::export;
use streamlab_engine::producer::partitioner::to_positive;
use streamlab_engine::scenario::MAX_SCENARIO_BYTES;
use streamlab_engine::scenario::{WindowSpec, WindowType, WorkloadSpec};
use streamlab_engine::sim::{Level, TraceCapacity};
use streamlab_engine::simulation::TraceSink;
use streamlab_engine::{Command, Datasets, Preset, Report, Scenario, SimTime, Simulation};

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

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum PresetArg {
    /// Synthetic IoT sensors keyed by device id (60 s of readings).
    Iot,
    /// NYC TLC yellow-taxi trips, January 2019, keyed by PULocationID.
    Taxi,
    /// eBay auction bids keyed by auctionid.
    Bids,
}

#[derive(Clone, Copy, ValueEnum)]
enum WindowTypeArg {
    Tumbling,
    Hopping,
    Sliding,
    Session,
}

impl From<WindowTypeArg> for WindowType {
    fn from(t: WindowTypeArg) -> WindowType {
        match t {
            WindowTypeArg::Tumbling => WindowType::Tumbling,
            WindowTypeArg::Hopping => WindowType::Hopping,
            WindowTypeArg::Sliding => WindowType::Sliding,
            WindowTypeArg::Session => WindowType::Session,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum CommitArg {
    /// enable.auto.commit=true, every auto.commit.interval.ms.
    Auto,
    /// commitSync() after processing each poll's records (at-least-once).
    After,
    /// commitSync() right after poll(), before processing (at-most-once).
    Before,
    /// commitAsync() after processing each poll's records, not awaited nor retried.
    AfterAsync,
}

/// What to run: a preset or a scenario, changed by the options below. `run` and `trace` share it.
#[derive(Args, Clone)]
struct RunArgs {
    /// A ready-made stream (default: iot).
    #[arg(long, value_enum, conflicts_with = "scenario")]
    preset: Option<PresetArg>,
    /// A scenario JSON file instead of a preset.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// The CSV the taxi or bids workload reads (default: static/data/<its file>).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Replace the seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Partitions of the preset's topic (1 to 1024).
    #[arg(long, default_value_t = 6)]
    partitions: u32,
    /// Consumers in the preset's group (0 to 64).
    #[arg(long, default_value_t = 3)]
    consumers: u32,
    /// Window size (e.g. 15m, 7d): the size of tumbling and hopping windows, the time
    /// difference of sliding windows, the inactivity gap of sessions.
    #[arg(long, value_parser = parse_duration_ms)]
    window: Option<u64>,
    /// Window type: tumbling, hopping (advancing by --advance, default a third of the size),
    /// sliding or session.
    #[arg(long, value_enum)]
    window_type: Option<WindowTypeArg>,
    /// The time windows use: event (the record's CreateTime), log-append (the topic's
    /// message.timestamp.type=LogAppendTime) or processing (the application's clock).
    #[arg(long, value_parser = ["event", "log-append", "processing"])]
    window_time: Option<String>,
    /// Back the windows' store with a changelog topic (`windows.changelog`): a task's new owner
    /// restores it before processing. Needs --guarantee.
    #[arg(long)]
    changelog: bool,
    /// The windows' aggregate function, with the field it reads: count, or sum|min|max|avg|
    /// first|last|top_n:FIELD (e.g. avg:temperature_c, top_n:bid).
    #[arg(long)]
    aggregate: Option<String>,
    /// Alert when a key's aggregate rises above this value (needs an aggregate).
    #[arg(long)]
    alert_above: Option<f64>,
    /// Add a filter step before the windows, "FIELD OP VALUE" (e.g. "fare_amount > 0"; OP is
    /// <, <=, >, >=, == or !=). Repeatable; steps run in order.
    #[arg(long)]
    filter: Vec<String>,
    /// Write the windows' results to a sink table in this Spark output mode.
    #[arg(long, value_parser = ["append", "update", "complete"])]
    output_mode: Option<String>,
    /// How far hopping windows advance (e.g. 5m).
    #[arg(long, value_parser = parse_duration_ms)]
    advance: Option<u64>,
    /// Grace period of the windows (e.g. 5m, 60d).
    #[arg(long, value_parser = parse_duration_ms)]
    grace: Option<u64>,
    /// When the group's application commits.
    #[arg(long, value_enum)]
    commit: Option<CommitArg>,
    /// Crash a consumer at this simulated time (the first one busy processing, else the first running).
    #[arg(long, value_parser = parse_duration_ms)]
    crash_consumer_at: Option<u64>,
    /// Every n-th record of each producer fails to process in the first group: it is retried
    /// with exponential backoff (--retry-initial, --retry-multiplier, --retry-max, --max-attempts),
    /// then goes to the dead-letter queue or fails the member (--on-failure).
    #[arg(long)]
    poison_every: Option<u64>,
    /// What a record out of attempts does: dead-letter (go on without it) or fail (the member
    /// stops and leaves the group).
    #[arg(long, value_parser = ["dead-letter", "fail"])]
    on_failure: Option<String>,
    /// Attempts at a failing record before giving up, the first included (default 4).
    #[arg(long)]
    max_attempts: Option<u32>,
    /// The delay before the second attempt (default 100ms).
    #[arg(long, value_parser = parse_duration_ms)]
    retry_initial: Option<u64>,
    /// Each next delay is this many times the last (default 2).
    #[arg(long)]
    retry_multiplier: Option<f64>,
    /// The longest delay (default 10s).
    #[arg(long, value_parser = parse_duration_ms)]
    retry_max: Option<u64>,
    /// Make the first group a consume-transform-produce pipeline with this delivery guarantee:
    /// it writes every record it processes to `<topic>-out`, read by `<group>-downstream`
    /// (read_committed for exactly-once), whose counts are per input record.
    #[arg(long, value_parser = ["at-most-once", "at-least-once", "exactly-once"])]
    guarantee: Option<String>,
    /// Crash the first producer's process at this simulated time; a new instance starts at once
    /// with the next record (with a transactional.id, it fences the old one).
    #[arg(long, value_parser = parse_duration_ms)]
    crash_producer_at: Option<u64>,
    /// Crash a named consumer at a time: `consumer-g1-2@20s` (repeatable).
    #[arg(long, value_parser = parse_crash)]
    crash: Vec<(String, u64)>,
    /// Brokers in the cluster (1 to 16).
    #[arg(long)]
    brokers: Option<u32>,
    /// Replicas of every topic's partitions (1 to --brokers).
    #[arg(long)]
    replication_factor: Option<u32>,
    /// Mean one-way network latency, ms (the scenario's network.mean_ms).
    #[arg(long)]
    network_mean_ms: Option<u64>,
    /// Every topic's min.insync.replicas.
    #[arg(long)]
    min_insync_replicas: Option<u32>,
    /// Every producer's acks.
    #[arg(long, value_parser = ["0", "1", "all"])]
    acks: Option<String>,
    /// Every producer's enable.idempotence (Kafka 4.x: true by default).
    #[arg(long, value_parser = ["true", "false"])]
    enable_idempotence: Option<String>,
    /// Every producer's max.in.flight.requests.per.connection.
    #[arg(long, value_name = "N")]
    max_in_flight: Option<u32>,
    /// Every producer's retries.
    #[arg(long, value_name = "N")]
    retries: Option<u32>,
    /// Every producer's defaults for the configs not set: kafka4, or legacy (acks=1,
    /// enable.idempotence=false, linger.ms=0).
    #[arg(long, value_parser = ["kafka4", "legacy"])]
    producer_defaults: Option<String>,
    /// Drop this share (0 to 1) of the ProduceResponses brokers send to producers, from the
    /// start: a link fault that turns retries into duplicates without idempotence.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    drop_responses: Option<f64>,
    /// Drop this share (0 to 1) of the ProduceRequests producers send, from the start: they are
    /// retried, and without idempotence (with more than one request in flight) a retried batch
    /// can land behind a later one: arrival disorder.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    drop_requests: Option<f64>,
    /// Make every producer transactional with this transactional.id (each producer after the
    /// first gets `-2`, `-3`, ... appended).
    #[arg(long, value_name = "ID")]
    transactional_id: Option<String>,
    /// Records per transaction of a transactional producer (default 100).
    #[arg(long, value_name = "N")]
    records_per_transaction: Option<u32>,
    /// The share (0 to 1) of transactions a transactional producer aborts (default 0).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    abort_rate: Option<f64>,
    /// Every consumer group's isolation.level.
    #[arg(long, value_parser = ["read_uncommitted", "read_committed"])]
    isolation_level: Option<String>,
    /// unclean.leader.election.enable=true on every topic.
    #[arg(long)]
    unclean_leader_election: bool,
    /// Crash a broker's process at a time: `1@20s` (repeatable).
    #[arg(long, value_parser = parse_broker_at)]
    crash_broker: Vec<(u32, u64)>,
    /// Restart a broker at a time: `1@40s` (repeatable).
    #[arg(long, value_parser = parse_broker_at)]
    restart_broker: Vec<(u32, u64)>,
    /// Crash whichever broker leads partition 0 of the first topic at this time.
    #[arg(long, value_parser = parse_duration_ms)]
    crash_leader_at: Option<u64>,
    /// Every group's partition.assignment.strategy, one assignor (cooperative-sticky gives the
    /// cooperative protocol); default: Kafka's [RangeAssignor, CooperativeStickyAssignor].
    #[arg(long, value_parser = ["range", "roundrobin", "sticky", "cooperative-sticky"])]
    assignor: Option<String>,
    /// Members call assign() instead of subscribe(): fixed partitions, no group membership.
    #[arg(long)]
    assign: bool,
    /// Every group's rebalance listener commits (commitSync) in onPartitionsRevoked.
    #[arg(long)]
    commit_on_revoke: bool,
    /// KIP-345 static membership: each member's group.instance.id is its client id.
    #[arg(long)]
    static_membership: bool,
    /// Add a second group `g2` of N members on the first group's topics (its own offsets).
    #[arg(long, value_name = "N")]
    second_group: Option<u32>,
    /// A consumer seeks all its partitions at a time: `consumer-g1-1@20s:beginning`, `:end`,
    /// `:offset=42` or `:timestamp=10000` (ms; repeatable).
    #[arg(long, value_parser = parse_seek)]
    seek: Vec<(String, u64, SeekTo)>,
    /// Grow a topic at a time: `readings:8@20s` (Admin.createPartitions; repeatable).
    #[arg(long, value_parser = parse_create_partitions)]
    create_partitions: Vec<(String, u32, u64)>,
    /// Every client's metadata.max.age.ms: how soon they see new partitions.
    #[arg(long)]
    metadata_max_age_ms: Option<u64>,
    /// Every group's max.poll.interval.ms (also the rebalance timeout).
    #[arg(long)]
    max_poll_interval_ms: Option<u64>,
    /// Every group's session.timeout.ms.
    #[arg(long)]
    session_timeout_ms: Option<u64>,
    /// Every group's auto.offset.reset.
    #[arg(long, value_parser = ["earliest", "latest", "none"])]
    auto_offset_reset: Option<String>,
    /// Stall a consumer's application at a time for a while: `consumer-g1-2@20s:40s` (repeatable).
    #[arg(long, value_parser = parse_pause)]
    pause_consumer: Vec<(String, u64, u64)>,
    /// Restart a crashed or closed consumer at a time: `consumer-g1-2@30s` (repeatable).
    #[arg(long, value_parser = parse_crash)]
    restart_consumer: Vec<(String, u64)>,
    /// Stop at this simulated time even if the input has not drained (default: the scenario's run_ms).
    #[arg(long, value_parser = parse_duration_ms)]
    duration: Option<u64>,
    /// No progress bar on stderr (it is shown only when stderr is a terminal and the run takes
    /// over a second).
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum DurabilityArg {
    /// RF 3, min.insync.replicas=2, acks=all, clean elections: nothing acknowledged may be lost.
    Durable,
    /// acks=1 and leader crashes (a negative control: acknowledged records are lost).
    AcksOne,
    /// unclean.leader.election.enable=true (a negative control).
    Unclean,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run random scenarios with random faults, check every invariant after every event, run
    /// each seed again and compare trace hashes. Exit 1 on the first violation.
    Soak {
        /// How many seeds.
        #[arg(long, default_value_t = 1000)]
        seeds: u64,
        /// The first seed.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Which cluster the scenarios run.
        #[arg(long, value_enum, default_value = "durable")]
        durability: DurabilityArg,
        /// Force every seed's producer idempotent (on) or not (off, with 5 requests in flight);
        /// by default three seeds in four are.
        #[arg(long, value_parser = ["on", "off"])]
        idempotence: Option<String>,
        /// Force every idempotent seed's producer transactional with a read_committed group
        /// (on) or never (off); by default one idempotent seed in three is.
        #[arg(long, value_parser = ["on", "off"])]
        transactions: Option<String>,
        /// Where a violating seed's scenario is written.
        #[arg(long, default_value = "target/soak")]
        out: PathBuf,
        /// Test-only: break the engine (leaders ignore their followers for the HW) to show that
        /// the invariants catch it.
        #[arg(long, hide = true)]
        break_high_watermark: bool,
    },
    /// Run a preset or a scenario until its input is drained, and print the report.
    Run {
        #[command(flatten)]
        args: RunArgs,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Run the same preset or scenario, with the same faults, under each delivery guarantee
    /// (`--guarantee at-most-once`, `at-least-once`, `exactly-once`) for every seed of a range,
    /// and print each downstream group's outcome per input record: one line per seed, then a
    /// summary. With `--check`, exit 1 unless exactly-once delivers every input record once on
    /// every seed, at-least-once duplicates on some seed and at-most-once loses on some seed.
    Guarantees {
        #[command(flatten)]
        args: RunArgs,
        /// The seeds, as FROM..TO (inclusive), e.g. 1..50.
        #[arg(long, value_parser = parse_seed_range, default_value = "1..10")]
        seeds: (u64, u64),
        /// Fail unless the three guarantees behave as their names promise (see above).
        #[arg(long)]
        check: bool,
    },
    /// Run as `run` does, and print the trace, one line per event, then its hash.
    Trace {
        #[command(flatten)]
        args: RunArgs,
        /// Include Debug-level lines (appends, polls, commits).
        #[arg(long)]
        debug: bool,
    },
    /// Validate a scenario, an exercise or a course index (static/exercises/course.json). For an
    /// exercise, also run its starting state and its reference solution to their end and print
    /// each goal predicate's value in both; it passes only when the solution meets the goal and
    /// the starting state does not.
    Check {
        file: PathBuf,
        /// The CSV the taxi or bids workload reads (default: static/data/<its file>).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Write what replays a scenario or an exercise on a real Kafka cluster: create-topics.sh,
    /// producer.properties, consumer.properties, records-<topic>.txt (key<TAB>value per record,
    /// in send order) and replay.sh.
    Export {
        /// A scenario or exercise JSON file (default: the preset given by --preset).
        file: Option<PathBuf>,
        #[arg(long, value_enum, conflicts_with = "file")]
        preset: Option<PresetArg>,
        /// For an exercise: export its reference solution's settings instead of its start.
        #[arg(long)]
        solution: bool,
        /// Directory to write the files to (created if missing).
        #[arg(long, default_value = "streamlab-export")]
        out: PathBuf,
        /// Most records written per producer.
        #[arg(long, default_value_t = streamlab_engine::export::DEFAULT_MAX_RECORDS)]
        max_records: u64,
        /// The CSV the taxi or bids workload reads (default: static/data/<its file>).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Which partition Kafka's Java client picks for a key: toPositive(murmur2(key)) % partitions.
    /// Prints one JSON line per key, in the order given: {"key", "murmur2" (signed), "partition"}.
    Partition {
        /// The topic's partition count (1 to 1000000).
        #[arg(long)]
        partitions: u32,
        /// Each KEY is its bytes in hex (e.g. 00ff; "" is the empty key), for keys that are not
        /// UTF-8 text.
        #[arg(long)]
        key_hex: bool,
        /// json: one JSON object per line; text: key, murmur2, toPositive and partition, tab-separated.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// The keys (as UTF-8 text, or hex with --key-hex); put `--` before a key starting with `-`.
        keys: Vec<String>,
    },
    /// Which windows records fall in, by Kafka Streams' rules, for one key. Times and sizes are
    /// in ms or with a unit (90s, 15m, 2h, 7d). Tumbling / hopping: one JSON line per --at, in
    /// order, {"timestamp", "windows": [{"start", "end"}]} with end exclusive. Session: the final
    /// merged sessions, {"sessions": [{"start", "end", "count"}]}. Sliding: the final windows,
    /// {"windows": [{"start", "end", "count"}]}. Session and sliding bounds are inclusive.
    #[command(group(clap::ArgGroup::new("kind").required(true).args(["tumbling", "hopping", "sliding", "session"])))]
    Windows {
        /// TimeWindows.ofSizeAndGrace(SIZE, grace): epoch-aligned [start, start + SIZE).
        #[arg(long, value_name = "SIZE", value_parser = parse_duration_ms)]
        tumbling: Option<u64>,
        /// TimeWindows with advanceBy(ADVANCE): SIZE,ADVANCE, 0 < ADVANCE <= SIZE.
        #[arg(long, value_name = "SIZE,ADVANCE", value_parser = parse_size_advance)]
        hopping: Option<(u64, u64)>,
        /// SlidingWindows.ofTimeDifferenceAndGrace(DIFFERENCE, grace): [start, start + DIFFERENCE].
        #[arg(long, value_name = "DIFFERENCE", value_parser = parse_duration_ms)]
        sliding: Option<u64>,
        /// SessionWindows.ofInactivityGapAndGrace(GAP, grace).
        #[arg(long, value_name = "GAP", value_parser = parse_duration_ms)]
        session: Option<u64>,
        /// Process the timestamps in the order given, stream time advancing, and leave out what
        /// Kafka Streams drops as late. Without it nothing is late.
        #[arg(long, value_parser = parse_duration_ms)]
        grace: Option<u64>,
        /// The record timestamps, in arrival order (ms since the epoch, or with a unit).
        #[arg(long, value_name = "T", num_args = 1.., required = true, value_parser = parse_duration_ms)]
        at: Vec<u64>,
    },
    /// Who gets which partition: one call of a consumer group leader's assignor, exactly as Kafka's
    /// Java client computes it. Prints one JSON object mapping every member id to its sorted
    /// "topic-partition" list. For cooperative-sticky that leaves out partitions another member
    /// must revoke first (they come in the next rebalance).
    Assign {
        /// The partition.assignment.strategy: range, roundrobin, sticky or cooperative-sticky (or
        /// the assignor's class name).
        #[arg(long, value_parser = parse_strategy)]
        strategy: Strategy,
        /// A topic and its partition count, NAME:PARTITIONS, e.g. orders:6 (repeatable).
        #[arg(long = "topic", value_name = "NAME:PARTITIONS", num_args = 1.., required = true)]
        topics: Vec<String>,
        /// A member and the topics it subscribes to, ID=TOPIC,TOPIC (ID alone subscribes to
        /// nothing); repeatable. Members are read in member id order, as the leader fills its map.
        #[arg(long = "member", value_name = "ID[=TOPIC,...]", num_args = 1.., required = true)]
        members: Vec<String>,
        /// A static member's group.instance.id, MEMBER_ID=GROUP_INSTANCE_ID (repeatable).
        #[arg(long = "instance", value_name = "MEMBER_ID=GROUP_INSTANCE_ID")]
        instances: Vec<String>,
        /// The previous assignment, for sticky and cooperative-sticky: a JSON file
        /// {"member": ["topic-0", ...]} (all in generation 1) or
        /// {"member": {"generation": G, "partitions": [...]}} (G = -1: none). Members not given by
        /// --member are ignored: they left the group.
        #[arg(long, value_name = "FILE")]
        previous: Option<PathBuf>,
    },
}

/// `--strategy`: an assignor's name or class name.
fn parse_strategy(s: &str) -> Result<Strategy, String> {
    Strategy::parse(s).ok_or_else(|| {
        format!("expected range, roundrobin, sticky or cooperative-sticky (or an assignor class name), got \"{s}\"")
    })
}

/// `streamlab assign`: see [`Cmd::Assign`]; all logic is in `streamlab_engine::calculators`.
fn assign(
    strategy: Strategy,
    topics: &[String],
    members: &[String],
    instances: &[String],
    previous: Option<&Path>,
) -> Result<String> {
    use streamlab_engine::calculators as calc;
    let topics = topics.iter().map(|t| calc::parse_topic(t)).collect::<Result<Vec<_>, _>>()?;
    let mut members = members.iter().map(|m| calc::parse_member(m)).collect::<Result<Vec<_>, _>>()?;
    let instances = instances.iter().map(|i| calc::parse_instance(i)).collect::<Result<Vec<_>, _>>()?;
    calc::attach_instances(&mut members, &instances)?;
    let previous = match previous {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--previous {}: cannot read the file", path.display()))?;
            calc::parse_previous(&text).map_err(|e| anyhow::anyhow!("{e} (in {})", path.display()))?
        }
        None => Default::default(),
    };
    let assignment = calc::assign(strategy, &topics, &members, &previous)?;
    Ok(serde_json::to_string(&assignment)?)
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

/// `--hopping SIZE,ADVANCE`.
fn parse_size_advance(s: &str) -> Result<(u64, u64), String> {
    let (size, advance) =
        s.split_once(',').ok_or_else(|| format!("expected SIZE,ADVANCE (e.g. 15m,5m), got \"{s}\""))?;
    Ok((parse_duration_ms(size)?, parse_duration_ms(advance)?))
}

/// `streamlab windows`: see [`Cmd::Windows`]; the rules are in `streamlab_engine::streams`.
fn windows(spec: streamlab_engine::streams::Windows, grace: Option<u64>, at: &[u64]) -> Result<()> {
    use streamlab_engine::calculators::{self as calc, WindowsAnswer};
    let mut out = std::io::BufWriter::new(std::io::stdout());
    // A closed pipe (`| head`) ends the output, not the command's correctness.
    let _ = match calc::windows(spec, grace, at)? {
        WindowsAnswer::PerTimestamp(lines) => {
            lines.iter().try_for_each(|l| writeln!(out, "{}", serde_json::to_string(l).expect("plain data")))
        }
        WindowsAnswer::Sessions(s) => writeln!(out, "{}", serde_json::json!({ "sessions": s })),
        WindowsAnswer::Sliding(w) => writeln!(out, "{}", serde_json::json!({ "windows": w })),
    };
    Ok(())
}

/// `CLIENT_ID@TIME:beginning|end|offset=N|timestamp=MS`.
fn parse_seek(s: &str) -> Result<(String, u64, SeekTo), String> {
    let bad = || {
        format!("expected CLIENT_ID@TIME:TARGET (beginning, end, offset=N or timestamp=MS), e.g. consumer-g1-1@20s:beginning, got \"{s}\"")
    };
    let (client, rest) = s.split_once('@').ok_or_else(bad)?;
    let (at, target) = rest.split_once(':').ok_or_else(bad)?;
    let number = |v: &str| v.parse::<u64>().map_err(|_| format!("the seek target needs a number, got \"{v}\""));
    let to = match target.split_once('=') {
        None if target == "beginning" => SeekTo::Beginning,
        None if target == "end" => SeekTo::End,
        Some(("offset", v)) => SeekTo::Offset(number(v)?),
        Some(("timestamp", v)) => SeekTo::Timestamp(number(v)?),
        _ => return Err(bad()),
    };
    Ok((client.to_string(), parse_duration_ms(at)?, to))
}

/// `TOPIC:COUNT@TIME`.
fn parse_create_partitions(s: &str) -> Result<(String, u32, u64), String> {
    let bad = || format!("expected TOPIC:COUNT@TIME, e.g. readings:8@20s, got \"{s}\"");
    let (spec, at) = s.split_once('@').ok_or_else(bad)?;
    let (topic, count) = spec.rsplit_once(':').ok_or_else(bad)?;
    let count = count.parse().map_err(|_| format!("the partition count must be a number, got \"{count}\""))?;
    Ok((topic.to_string(), count, parse_duration_ms(at)?))
}

/// `CLIENT_ID@TIME:DURATION`.
fn parse_pause(s: &str) -> Result<(String, u64, u64), String> {
    let (client, rest) = s
        .split_once('@')
        .ok_or_else(|| format!("expected CLIENT_ID@TIME:DURATION, e.g. consumer-g1-2@20s:40s, got \"{s}\""))?;
    let (at, length) = rest
        .split_once(':')
        .ok_or_else(|| format!("expected CLIENT_ID@TIME:DURATION, e.g. consumer-g1-2@20s:40s, got \"{s}\""))?;
    Ok((client.to_string(), parse_duration_ms(at)?, parse_duration_ms(length)?))
}

fn parse_crash(s: &str) -> Result<(String, u64), String> {
    let (client, at) = s.split_once('@').ok_or_else(|| format!("expected CLIENT_ID@DURATION, got \"{s}\""))?;
    Ok((client.to_string(), parse_duration_ms(at)?))
}

fn load(path: &Path) -> Result<Scenario> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Scenario::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The CSV a workload reads: `--data`, else `static/data/<file>` in the working directory, else
/// in this source tree.
fn read_data(given: Option<&Path>, file: &str) -> Result<String> {
    let candidates: Vec<PathBuf> = match given {
        Some(p) => vec![p.to_path_buf()],
        None => vec![
            PathBuf::from("static/data").join(file),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../static/data").join(file),
        ],
    };
    for path in &candidates {
        if path.exists() || given.is_some() {
            return std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()));
        }
    }
    bail!("--data: no {file} in static/data/; pass the CSV's path with --data FILE")
}

/// The CSVs `s`'s workloads read (see [`read_data`]).
fn datasets_for(s: &Scenario, data: Option<&Path>) -> Result<Datasets> {
    let mut datasets = Datasets::default();
    for p in &s.producers {
        match p.workload {
            WorkloadSpec::Taxi { .. } if datasets.taxi_csv.is_none() => {
                datasets.taxi_csv = Some(read_data(data, p.workload.data_file().unwrap_or_default())?)
            }
            WorkloadSpec::Bids { .. } if datasets.bids_csv.is_none() => {
                datasets.bids_csv = Some(read_data(data, p.workload.data_file().unwrap_or_default())?)
            }
            _ => {}
        }
    }
    Ok(datasets)
}

/// A preset as `run` runs it: IoT sends 60 s of readings and then stops, so that its input ends
/// and the run can drain.
fn preset_scenario(preset: PresetArg, partitions: u32, consumers: u32) -> Scenario {
    match preset {
        PresetArg::Iot => {
            let mut s = Scenario::preset(Preset::Iot, 42, partitions, consumers);
            if let WorkloadSpec::Iot { limit, .. } = &mut s.producers[0].workload {
                *limit = Some(720);
            }
            s.run_ms = 86_400_000;
            s
        }
        PresetArg::Taxi => Scenario::preset(Preset::Taxi, 42, partitions, consumers),
        PresetArg::Bids => Scenario::preset(Preset::Bids, 42, partitions, consumers),
    }
}

/// What a JSON file holds, told by its top-level fields.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Scenario,
    Exercise,
    Course,
}

/// Reads a JSON file (at most the exercise cap, or the scenario cap, in bytes) and tells its kind:
/// an exercise has a `goal`, a course `modules`, anything else is read as a scenario.
fn read_kind(path: &Path) -> Result<(Kind, Vec<u8>)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let limit = MAX_SCENARIO_BYTES.max(MAX_EXERCISE_BYTES);
    if bytes.len() > limit {
        bail!("{}: must be at most {limit} bytes, got {}", path.display(), bytes.len());
    }
    let top = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes).unwrap_or_default();
    let kind = if top.contains_key("goal") {
        Kind::Exercise
    } else if top.contains_key("modules") {
        Kind::Course
    } else {
        Kind::Scenario
    };
    Ok((kind, bytes))
}

/// `streamlab check FILE`: see [`Cmd::Check`].
fn check(path: &Path, data: Option<&Path>) -> Result<()> {
    let name = path.display();
    match read_kind(path)? {
        (Kind::Scenario, bytes) => {
            let text =
                std::str::from_utf8(&bytes).map_err(|_| anyhow::anyhow!("{name}: scenario: must be UTF-8 text"))?;
            Scenario::from_json(text)?.validate().map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            println!("{name}: ok");
        }
        (Kind::Course, bytes) => {
            let course = Course::from_json(&bytes).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let dir = path.parent().unwrap_or(Path::new("."));
            for m in &course.modules {
                for id in &m.exercises {
                    let file = dir.join(format!("{id}.json"));
                    let bytes = std::fs::read(&file)
                        .with_context(|| format!("{name}: module {}: reading {}", m.id, file.display()))?;
                    let e = Exercise::from_json(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                    if e.module != m.id || e.id != *id {
                        bail!(
                            "{}: id \"{}\" and module \"{}\" must be \"{id}\" and \"{}\" as {name} lists it",
                            file.display(),
                            e.id,
                            e.module,
                            m.id
                        );
                    }
                }
            }
            let n: usize = course.modules.iter().map(|m| m.exercises.len()).sum();
            println!("{name}: ok, {} modules, {n} exercises", course.modules.len());
        }
        (Kind::Exercise, bytes) => {
            let e = Exercise::from_json(&bytes).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let solution = e.solution_setup();
            let datasets = datasets_for(&solution.scenario()?, data)?;
            let start = e.check_run(&e.start, &datasets).map_err(|err| anyhow::anyhow!("{name}: start: {err}"))?;
            let solved = e.check_run(&solution, &datasets).map_err(|err| anyhow::anyhow!("{name}: solution: {err}"))?;
            println!("{name}: exercise {} ({}): {}", e.id, e.module, e.title);
            let value = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{}", (v * 1e6).round() / 1e6));
            let mark = |met: bool| if met { "met" } else { "not met" };
            println!("  {:<48} {:>20} {:>20}", "goal predicate", "start", "solution");
            for (a, b) in start.evaluation.predicates.iter().zip(&solved.evaluation.predicates) {
                println!(
                    "  {:<48} {:>20} {:>20}",
                    a.label,
                    format!("{} ({})", value(a.value), mark(a.met)),
                    format!("{} ({})", value(b.value), mark(b.met))
                );
            }
            println!(
                "  {:<48} {:>20} {:>20}",
                "ended at",
                SimTime(start.end_ms).to_string(),
                SimTime(solved.end_ms).to_string()
            );
            println!("  {:<48} {:>20} {:>20}", "goal", mark(start.evaluation.met), mark(solved.evaluation.met));
            if start.evaluation.met {
                bail!("{name}: the starting state already meets the goal: there is nothing to solve");
            }
            if !solved.evaluation.met {
                bail!("{name}: the reference solution does not meet the goal");
            }
            println!("{name}: ok");
        }
    }
    Ok(())
}

/// A progress bar of simulated time on stderr, shown once the run has taken a second of real
/// time, and only when stderr is a terminal and `--quiet` is not given.
struct Progress {
    bar: Option<ProgressBar>,
    enabled: bool,
    started: Instant,
    end_ms: u64,
}

impl Progress {
    fn new(quiet: bool, end_ms: u64) -> Self {
        Progress { bar: None, enabled: !quiet && std::io::stderr().is_terminal(), started: Instant::now(), end_ms }
    }

    fn update(&mut self, sim: &Simulation) {
        if !self.enabled || (self.bar.is_none() && self.started.elapsed().as_secs_f64() < 1.0) {
            return;
        }
        let end_ms = self.end_ms;
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(Some(end_ms / 1000), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} simulated s ({per_sec}) {msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar
        });
        bar.set_position(sim.now().0 / 1000);
        let produced: u64 = sim.producers().map(|p| p.records_sent(sim.now())).sum();
        bar.set_message(format!("{produced} records"));
    }

    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `--aggregate`, `--alert-above`, `--filter` and `--output-mode` on the first group.
fn apply_pipeline_flags(
    s: &mut Scenario,
    aggregate: Option<String>,
    alert_above: Option<f64>,
    filter: Vec<String>,
    output_mode: Option<String>,
) -> Result<()> {
    use streamlab_engine::session::{apply_settings, Settings};
    let set = |s: &mut Scenario, flag: &str, name: &str, v: serde_json::Value| {
        apply_settings(s, &Settings::from([(name.to_string(), v)]), "")
            .map_err(|e| anyhow::anyhow!("{flag}: {}", e.message))
    };
    if let Some(a) = &aggregate {
        let (function, field) = a.split_once(':').map_or((a.as_str(), None), |(f, x)| (f, Some(x)));
        set(s, "--aggregate", "aggregate.function", function.into())?;
        if let (Some(field), Some(agg)) = (field, s.consumer_groups.first_mut().and_then(|g| g.aggregate.as_mut())) {
            agg.field = Some(field.to_string());
        }
    }
    if let Some(t) = alert_above {
        set(s, "--alert-above", "aggregate.alert_above", t.into())?;
    }
    for f in &filter {
        let parts: Vec<&str> = f.split_whitespace().collect();
        let [field, op, value] = parts[..] else {
            bail!("--filter: must be \"FIELD OP VALUE\" (e.g. \"fare_amount > 0\"), got \"{f}\"");
        };
        let op: streamlab_engine::streams::CmpOp = serde_json::from_value(op.into())
            .map_err(|_| anyhow::anyhow!("--filter: the operator must be <, <=, >, >=, == or !=, got \"{op}\""))?;
        let value: f64 =
            value.parse().map_err(|_| anyhow::anyhow!("--filter: the value must be a number, got \"{value}\""))?;
        let Some(g) = s.consumer_groups.first_mut() else { bail!("--filter: the scenario has no consumer group") };
        g.steps.push(streamlab_engine::scenario::StepSpec::Filter { field: field.to_string(), op, value });
    }
    if let Some(m) = output_mode {
        set(s, "--output-mode", "sink.output_mode", m.into())?;
    }
    Ok(())
}

/// Builds the run `args` describe, applies its crashes, and runs it until it drains or reaches
/// `--duration`, one simulated second at a time; `trace`, if given, receives every trace entry
/// as it happens.
fn simulate(args: RunArgs, trace: Option<TraceSink>) -> Result<Simulation> {
    let RunArgs {
        preset,
        scenario,
        data,
        seed,
        partitions,
        consumers,
        window,
        window_type,
        window_time,
        changelog,
        aggregate,
        alert_above,
        filter,
        output_mode,
        advance,
        grace,
        commit,
        crash_consumer_at,
        crash_producer_at,
        guarantee,
        poison_every,
        on_failure,
        max_attempts,
        retry_initial,
        retry_multiplier,
        retry_max,
        crash,
        duration,
        quiet,
        brokers,
        replication_factor,
        network_mean_ms,
        min_insync_replicas,
        acks,
        enable_idempotence,
        max_in_flight,
        retries,
        producer_defaults,
        drop_responses,
        drop_requests,
        transactional_id,
        records_per_transaction,
        abort_rate,
        isolation_level,
        unclean_leader_election,
        crash_broker,
        restart_broker,
        crash_leader_at,
        assignor,
        static_membership,
        commit_on_revoke,
        assign,
        second_group,
        create_partitions,
        seek,
        metadata_max_age_ms,
        max_poll_interval_ms,
        session_timeout_ms,
        auto_offset_reset,
        pause_consumer,
        restart_consumer,
    } = args;
    let mut s = match &scenario {
        Some(path) => load(path)?,
        None => preset_scenario(preset.unwrap_or(PresetArg::Iot), partitions, consumers),
    };
    if let Some(seed) = seed {
        s.seed = seed;
    }
    for g in &mut s.consumer_groups {
        if let Some(c) = commit {
            g.commit_mode = match c {
                CommitArg::Auto => CommitMode::Auto,
                CommitArg::After => CommitMode::AfterProcessing,
                CommitArg::Before => CommitMode::BeforeProcessing,
                CommitArg::AfterAsync => CommitMode::AfterProcessingAsync,
            };
        }
        if let Some(a) = &assignor {
            let class = Strategy::parse(a).expect("clap allows only known assignors").class_name();
            g.configs.insert("partition.assignment.strategy".into(), class.into());
        }
        g.static_membership |= static_membership;
        g.commit_on_revoke |= commit_on_revoke;
        g.assign |= assign;
        if let Some(ms) = max_poll_interval_ms {
            g.configs.insert("max.poll.interval.ms".into(), ms.into());
        }
        if let Some(ms) = metadata_max_age_ms {
            g.configs.insert("metadata.max.age.ms".into(), ms.into());
        }
        if let Some(ms) = session_timeout_ms {
            g.configs.insert("session.timeout.ms".into(), ms.into());
        }
        if let Some(r) = &auto_offset_reset {
            g.configs.insert("auto.offset.reset".into(), r.as_str().into());
        }
        if g.windows.is_none() && (window.is_some() || window_type.is_some()) {
            g.windows = Some(WindowSpec::tumbling(window.unwrap_or(60_000), 0));
        }
        if let Some(w) = g.windows.as_mut() {
            if let Some(t) = window_type {
                w.set_type(t.into());
            }
            if let Some(ms) = window {
                w.set_length(ms);
                if w.kind == WindowType::Hopping && advance.is_none() {
                    w.set_type(WindowType::Hopping);
                }
            }
            if let Some(ms) = advance {
                if w.kind != WindowType::Hopping {
                    bail!("--advance applies to hopping windows only; these are {}", w.kind.name());
                }
                w.advance_ms = Some(ms);
            }
            w.grace_ms = grace.unwrap_or(w.grace_ms);
        }
    }
    if let Some(b) = brokers {
        s.brokers = b;
    }
    if let Some(ms) = network_mean_ms {
        s.network.mean_ms = ms;
        s.network.min_ms = s.network.min_ms.min(ms);
    }
    for t in &mut s.topics {
        if let Some(rf) = replication_factor {
            t.replication_factor = rf;
        }
        if let Some(m) = min_insync_replicas {
            t.configs.insert("min.insync.replicas".into(), m.into());
        }
        if unclean_leader_election {
            t.configs.insert("unclean.leader.election.enable".into(), true.into());
        }
    }
    for (i, p) in s.producers.iter_mut().enumerate() {
        if let Some(id) = &transactional_id {
            let id = if i == 0 { id.clone() } else { format!("{id}-{}", i + 1) };
            p.configs.insert("transactional.id".into(), id.into());
        }
        if records_per_transaction.is_some() || abort_rate.is_some() {
            let t = p.transactions.get_or_insert_with(Default::default);
            if let Some(n) = records_per_transaction {
                t.records_per_transaction = n;
            }
            if let Some(r) = abort_rate {
                t.abort_rate = r;
            }
        }
        if let Some(a) = &acks {
            p.configs.insert("acks".into(), a.as_str().into());
        }
        if let Some(e) = &enable_idempotence {
            p.configs.insert("enable.idempotence".into(), (e == "true").into());
        }
        if let Some(n) = max_in_flight {
            p.configs.insert("max.in.flight.requests.per.connection".into(), n.into());
        }
        if let Some(n) = retries {
            p.configs.insert("retries".into(), n.into());
        }
        if let Some(d) = &producer_defaults {
            p.defaults = if d == "legacy" { ProducerDefaults::Legacy } else { ProducerDefaults::Kafka4 };
        }
    }
    if let Some(level) = &isolation_level {
        for g in &mut s.consumer_groups {
            g.configs.insert("isolation.level".into(), level.as_str().into());
        }
    }
    if let Some(rate) = drop_requests {
        s.faults.push(TimedCommand { at_ms: 0, command: streamlab_engine::command::drop_produce_requests(rate) });
    }
    if let Some(rate) = drop_responses {
        s.faults.extend(streamlab_engine::command::drop_produce_responses(rate, guarantee.is_some()));
    }
    for (broker, at_ms) in crash_broker {
        s.faults.push(TimedCommand { at_ms, command: Command::CrashBroker { broker } });
    }
    for (broker, at_ms) in restart_broker {
        s.faults.push(TimedCommand { at_ms, command: Command::RestartBroker { broker } });
    }
    if let Some(at_ms) = crash_producer_at {
        let Some(p) = s.producers.first() else { bail!("--crash-producer-at: the scenario has no producer") };
        let client_id =
            p.configs.get("client.id").and_then(|v| v.as_str()).map_or("producer-1".to_string(), str::to_string);
        s.faults.push(TimedCommand { at_ms, command: Command::CrashProducer { client_id } });
    }
    if let Some(at_ms) = crash_leader_at {
        let topic = s.topics.first().map(|t| t.name.clone()).unwrap_or_default();
        s.faults.push(TimedCommand { at_ms, command: Command::CrashLeader { topic, partition: 0 } });
    }
    for (client_id, at_ms, duration_ms) in pause_consumer {
        s.faults.push(TimedCommand { at_ms, command: Command::PauseConsumer { client_id, duration_ms } });
    }
    if let Some(ms) = metadata_max_age_ms {
        for p in &mut s.producers {
            p.configs.insert("metadata.max.age.ms".into(), ms.into());
        }
    }
    for (client_id, at_ms, to) in seek {
        s.faults.push(TimedCommand { at_ms, command: Command::SeekConsumer { client_id, to } });
    }
    for (topic, count, at_ms) in create_partitions {
        s.faults.push(TimedCommand { at_ms, command: Command::CreatePartitions { topic, count } });
    }
    for (client_id, at_ms) in restart_consumer {
        s.faults.push(TimedCommand { at_ms, command: Command::RestartConsumer { client_id } });
    }
    if let Some(g) = &guarantee {
        let setting = streamlab_engine::session::Settings::from([("guarantee".to_string(), g.as_str().into())]);
        streamlab_engine::session::apply_settings(&mut s, &setting, "")
            .map_err(|e| anyhow::anyhow!("--guarantee: {}", e.message))?;
        if let Some(level) = &isolation_level {
            for g in &mut s.consumer_groups {
                g.configs.insert("isolation.level".into(), level.as_str().into());
            }
        }
    }
    {
        use serde_json::Value;
        let errors: [(&str, &str, Option<Value>); 6] = [
            ("--poison-every", "errors.poison_every", poison_every.map(Value::from)),
            ("--on-failure", "errors.on_failure", on_failure.map(|f| f.replace('-', "_").into())),
            ("--max-attempts", "errors.max_attempts", max_attempts.map(Value::from)),
            ("--retry-initial", "errors.retry_initial_ms", retry_initial.map(Value::from)),
            ("--retry-multiplier", "errors.retry_multiplier", retry_multiplier.map(Value::from)),
            ("--retry-max", "errors.retry_max_ms", retry_max.map(Value::from)),
        ];
        if poison_every.is_none()
            && errors.iter().any(|e| e.2.is_some())
            && s.consumer_groups.first().is_none_or(|g| g.errors.is_none())
        {
            bail!("--on-failure, --max-attempts and the --retry-* flags need --poison-every");
        }
        for (flag, setting, value) in errors {
            if let Some(v) = value {
                let setting = streamlab_engine::session::Settings::from([(setting.to_string(), v)]);
                streamlab_engine::session::apply_settings(&mut s, &setting, "")
                    .map_err(|e| anyhow::anyhow!("{flag}: {}", e.message))?;
            }
        }
    }
    if let Some(t) = &window_time {
        let setting = streamlab_engine::session::window_time_settings(&t.replace('-', "_")).expect("clap checked it");
        streamlab_engine::session::apply_settings(&mut s, &setting, "")
            .map_err(|e| anyhow::anyhow!("--window-time: {}", e.message))?;
    }
    if changelog {
        let setting = streamlab_engine::session::Settings::from([("window.changelog".to_string(), true.into())]);
        streamlab_engine::session::apply_settings(&mut s, &setting, "")
            .map_err(|e| anyhow::anyhow!("--changelog: {}", e.message))?;
    }
    apply_pipeline_flags(&mut s, aggregate, alert_above, filter, output_mode)?;
    if let Some(n) = second_group {
        let setting = streamlab_engine::session::Settings::from([("second_group".to_string(), n.into())]);
        streamlab_engine::session::apply_settings(&mut s, &setting, "")
            .map_err(|e| anyhow::anyhow!("--second-group: {}", e.message))?;
    }
    s.faults.sort_by_key(|f| f.at_ms);
    let datasets = datasets_for(&s, data.as_deref())?;
    let end = SimTime(duration.unwrap_or(s.run_ms));
    let mut sim = Simulation::with_data(s, &datasets)?;
    if let Some(mut sink) = trace {
        // What set-up traced is still in memory (a few lines); the sink sees the rest as it
        // happens, so nothing more needs to stay in memory.
        debug_assert_eq!(sim.trace().len() as u64, sim.trace_events(), "set-up traces fewer lines than are kept");
        for e in sim.trace() {
            sink(e, sim.catalog());
        }
        sim.set_trace_capacity(TraceCapacity { recent: 0, info: 0 });
        sim.set_trace_sink(Some(sink));
    }
    let mut progress = Progress::new(quiet, end.0);
    let mut crashes: Vec<(Option<String>, u64)> = crash.into_iter().map(|(c, at)| (Some(c), at)).collect();
    crashes.extend(crash_consumer_at.map(|at| (None, at)));
    crashes.sort_by_key(|(_, at)| *at);
    for (client_id, at) in crashes {
        sim.run_by_seconds(SimTime(at), false, |s| progress.update(s));
        let client_id = match client_id {
            Some(c) => c,
            None => {
                // With a pipeline, one of its members (not a downstream reader).
                let pipeline = sim.consumers().any(|c| c.guarantee().is_some());
                let running: Vec<_> =
                    sim.consumers().filter(|c| c.is_alive() && (!pipeline || c.guarantee().is_some())).collect();
                let busy = running.iter().find(|c| c.is_processing()).or(running.first());
                match busy {
                    Some(c) => c.client_id.clone(),
                    None => bail!("--crash-consumer-at: no consumer is running at {}", SimTime(at)),
                }
            }
        };
        sim.apply(Command::CrashConsumer { client_id })?;
    }
    sim.run_by_seconds(end, true, |s| progress.update(s));
    progress.finish();
    sim.set_trace_sink(None);
    Ok(sim)
}

/// `FROM..TO`: an inclusive range of seeds.
fn parse_seed_range(s: &str) -> std::result::Result<(u64, u64), String> {
    let (a, b) = s.split_once("..").ok_or_else(|| format!("must be FROM..TO, e.g. 1..50, got {s:?}"))?;
    let n = |x: &str| x.trim().parse::<u64>().map_err(|_| format!("must be FROM..TO with whole numbers, got {s:?}"));
    let (a, b) = (n(a)?, n(b)?);
    if a > b || b - a >= 10_000 {
        return Err(format!("must be FROM..TO with FROM <= TO and at most 10000 seeds, got {s:?}"));
    }
    Ok((a, b))
}

/// `streamlab guarantees`: see [`Cmd::Guarantees`].
fn guarantees(args: RunArgs, (from, to): (u64, u64), check: bool) -> Result<()> {
    const NAMES: [&str; 3] = ["at-most-once", "at-least-once", "exactly-once"];
    let mut exact = 0;
    let mut duplicated_seeds = 0;
    let mut lost_seeds = 0;
    let mut broken = vec![];
    println!("seed  {:>28}  {:>28}  {:>28}", NAMES[0], NAMES[1], NAMES[2]);
    for seed in from..=to {
        let mut cells = vec![];
        for (i, g) in NAMES.iter().enumerate() {
            let mut a = args.clone();
            a.seed = Some(seed);
            a.guarantee = Some(g.to_string());
            a.quiet = true;
            let report = simulate(a, None)?.report();
            let Some(d) = report.groups.iter().find(|x| x.group_id.ends_with("-downstream")) else {
                bail!("the scenario has no downstream group");
            };
            let o = &d.outcome;
            let input: u64 = report.topics.first().map_or(0, |t| t.records);
            cells.push(format!("once {} dup {} lost {}", o.processed_once, o.duplicated, o.lost));
            match i {
                0 => lost_seeds += u64::from(o.lost > 0),
                1 => duplicated_seeds += u64::from(o.duplicated > 0),
                _ => {
                    if o.duplicated == 0 && o.lost == 0 && o.pending == 0 && o.processed_once == input {
                        exact += 1;
                    } else {
                        broken.push(seed);
                    }
                }
            }
        }
        println!("{seed:>4}  {:>28}  {:>28}  {:>28}", cells[0], cells[1], cells[2]);
    }
    let seeds = to - from + 1;
    println!(
        "guarantees: seeds {from}..{to}: exactly-once delivered every input record once on {exact} of {seeds} seeds; at-least-once duplicated records on {duplicated_seeds} seeds; at-most-once lost records on {lost_seeds} seeds"
    );
    if !broken.is_empty() {
        bail!("exactly-once did not deliver every input record exactly once on seeds {broken:?}");
    }
    if check && (duplicated_seeds == 0 || lost_seeds == 0) {
        bail!("--check: at-least-once never duplicated or at-most-once never lost: the faults do not tell the guarantees apart");
    }
    Ok(())
}

/// A share from 0 to 1.
fn parse_rate(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("must be a number between 0 and 1, got {s:?}")),
    }
}

/// `ID@DURATION`: a broker id and a simulated time.
fn parse_broker_at(s: &str) -> std::result::Result<(u32, u64), String> {
    let (id, at) = s.split_once('@').ok_or_else(|| format!("must be BROKER@TIME, e.g. 1@20s, got {s:?}"))?;
    let id = id.trim().parse::<u32>().map_err(|_| format!("the broker must be a number, got {id:?}"))?;
    Ok((id, parse_duration_ms(at)?))
}

/// `streamlab soak`: the seeds run on every core, each seed alone and deterministic.
fn soak(
    seeds: u64,
    from: u64,
    durability: DurabilityArg,
    idempotence: Option<String>,
    transactions: Option<String>,
    out: &Path,
    break_high_watermark: bool,
) -> Result<()> {
    use streamlab_engine::soak::{run_seed, Durability, SoakOptions};
    let options = SoakOptions {
        durability: match durability {
            DurabilityArg::Durable => Durability::Durable,
            DurabilityArg::AcksOne => Durability::AcksOne,
            DurabilityArg::Unclean => Durability::Unclean,
        },
        break_high_watermark,
        idempotence: idempotence.map(|i| i == "on"),
        transactions: transactions.map(|t| t == "on"),
    };
    let started = std::time::Instant::now();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8) as u64;
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    let mut done = vec![];
                    let mut seed = from + w;
                    while seed < from + seeds {
                        let r = run_seed(seed, options);
                        let failed = r.is_err();
                        done.push(r);
                        if failed {
                            break;
                        }
                        seed += workers;
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a soak worker panicked")).collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let mut ok = vec![];
    let mut violations = vec![];
    for r in results {
        match r {
            Ok(run) => ok.push(run),
            Err(v) => violations.push(v),
        }
    }
    violations.sort_by_key(|v| v.seed);
    if let Some(v) = violations.first() {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let path = out.join(format!("seed-{}.json", v.seed));
        std::fs::write(&path, &v.scenario_json).with_context(|| format!("writing {}", path.display()))?;
        eprint!("{v}");
        eprintln!("replay: streamlab run --scenario {} --duration {}ms", path.display(), v.at_ms);
        bail!("soak: seed {} broke an invariant", v.seed);
    }
    let events: u64 = ok.iter().map(|r| r.events).sum();
    let simulated_ms: u64 = ok.iter().map(|r| r.simulated_ms).sum();
    let lost_seeds = ok.iter().filter(|r| r.acknowledged_lost > 0).count();
    let idempotent = ok.iter().filter(|r| r.idempotent).count();
    let plain: Vec<_> = ok.iter().filter(|r| !r.idempotent).collect();
    let duplicated = plain.iter().filter(|r| r.log_duplicates > 0).count();
    let reordered = plain.iter().filter(|r| r.reordered > 0).count();
    let transactional = ok.iter().filter(|r| r.transactions != (0, 0)).count();
    let (committed, aborted) = ok.iter().fold((0, 0), |(c, a), r| (c + r.transactions.0, a + r.transactions.1));
    let late: u64 = ok.iter().map(|r| r.late).sum();
    let dlq: u64 = ok.iter().map(|r| r.dead_lettered).sum();
    let dlq_seeds = ok.iter().filter(|r| r.dead_lettered > 0).count();
    let filtered: u64 = ok.iter().map(|r| r.filtered).sum();
    let filter_seeds = ok.iter().filter(|r| r.filtered > 0).count();
    let stores: Vec<(u64, u64)> = ok.iter().filter_map(|r| r.restores).collect();
    let (restores, restored): (u64, u64) = stores.iter().fold((0, 0), |(a, b), (r, n)| (a + r, b + n));
    println!(
        "soak: {} seeds from {from} passed, every invariant checked after every event, each seed run again to compare trace hashes: {events} events, {:.1} h simulated, {wall:.1} s wall on {workers} threads; {lost_seeds} seeds lost acknowledged records; {idempotent} idempotent seeds kept every producer's records once and in order; of {} seeds without idempotence, {duplicated} left duplicates in a log and {reordered} reordered records; {transactional} transactional seeds committed {committed} and aborted {aborted} transactions, and their read_committed groups processed no aborted record; windows took every record but {late} late ones and the {filtered} a filter step dropped in {filter_seeds} seeds, {dlq_seeds} seeds sent {dlq} poison records to the dead-letter queue, and {} exactly-once seeds with a window-store changelog restored {restores} tasks from {restored} changelog records",
        ok.len(),
        simulated_ms as f64 / 3_600_000.0,
        plain.len(),
        stores.len(),
    );
    Ok(())
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Soak { seeds, from, durability, idempotence, transactions, out, break_high_watermark } => {
            soak(seeds, from, durability, idempotence, transactions, &out, break_high_watermark)?;
        }
        Cmd::Guarantees { args, seeds, check } => guarantees(args, seeds, check)?,
        Cmd::Run { args, format } => {
            let report = simulate(args, None)?.report();
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                Format::Text => print_text(&report),
            }
        }
        Cmd::Trace { args, debug } => {
            // Lines are printed as the run makes them, so a run of any length streams.
            let mut out = std::io::BufWriter::new(std::io::stdout());
            let sink: TraceSink = Box::new(move |e, names| {
                if debug || e.event.level() == Level::Info {
                    // A closed pipe (`| head`) ends the output, not the run's correctness.
                    let _ = writeln!(out, "{:>10} {}", e.time.to_string(), e.event.line(names));
                }
            });
            let sim = simulate(args, Some(sink))?;
            // As for the lines: a reader that stopped early (`| head`) is not an error.
            let _ = writeln!(std::io::stdout(), "trace_hash {:016x}", sim.trace_hash());
        }
        Cmd::Check { file, data } => check(&file, data.as_deref())?,
        Cmd::Export { file, preset, solution, out, max_records, data } => {
            let scenario = match (&file, preset) {
                (Some(path), _) => match read_kind(path)? {
                    (Kind::Exercise, bytes) => {
                        let e = Exercise::from_json(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                        if solution { e.solution_setup() } else { e.start }.scenario()?
                    }
                    (Kind::Scenario, bytes) => Scenario::from_json(&String::from_utf8_lossy(&bytes))
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                    (Kind::Course, _) => bail!("{}: a course index has no scenario to export", path.display()),
                },
                (None, p) => preset_scenario(p.unwrap_or(PresetArg::Iot), 6, 3),
            };
            let datasets = datasets_for(&scenario, data.as_deref())?;
            let files = export::export(&scenario, &datasets, max_records)?;
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            for f in &files {
                let path = out.join(&f.name);
                std::fs::write(&path, &f.contents).with_context(|| format!("writing {}", path.display()))?;
                println!("{}", path.display());
            }
        }
        Cmd::Partition { partitions, key_hex, format, keys } => {
            let results = streamlab_engine::calculators::partition_keys(&keys, key_hex, partitions)?;
            let mut out = std::io::BufWriter::new(std::io::stdout());
            for r in results {
                // A closed pipe (`| head`) ends the output, not the command's correctness.
                let _ = match format {
                    Format::Json => writeln!(out, "{}", serde_json::to_string(&r)?),
                    Format::Text => writeln!(
                        out,
                        "{}\tmurmur2 {}\ttoPositive {}\tpartition {}",
                        r.key,
                        r.murmur2,
                        to_positive(r.murmur2),
                        r.partition
                    ),
                };
            }
        }
        Cmd::Windows { tumbling, hopping, sliding, session, grace, at } => {
            use streamlab_engine::streams::Windows;
            let spec = match (tumbling, hopping, sliding, session) {
                (Some(size), ..) => Windows::tumbling(size, 0),
                (_, Some((size, advance)), ..) => Windows::hopping(size, advance, 0),
                (_, _, Some(d), _) => Windows::sliding(d, 0),
                (_, _, _, Some(gap)) => Windows::session(gap, 0),
                _ => unreachable!("clap requires one of the four"),
            };
            windows(spec, grace, &at)?;
        }
        Cmd::Assign { strategy, topics, members, instances, previous } => {
            println!("{}", assign(strategy, &topics, &members, &instances, previous.as_deref())?);
        }
    }
    Ok(())
}

fn print_text(report: &Report) {
    println!(
        "trace_hash {}  seed {}  end {}  drained {}",
        report.trace_hash,
        report.seed,
        SimTime(report.end_ms),
        report.drained
    );
    println!(
        "produced {}  acknowledged {}  acknowledged_lost {}  failed {}",
        report.produced, report.acknowledged, report.acknowledged_lost, report.failed
    );
    for p in &report.partitions {
        let leader = p.leader.map_or("none".to_string(), |l| l.to_string());
        let isr: Vec<String> = p.isr.iter().map(|b| b.to_string()).collect();
        println!(
            "  {:<16} leader {:>4} (epoch {}) isr [{}]  log start {:>7}  log end offset {:>7}  high watermark {:>7}",
            p.partition,
            leader,
            p.leader_epoch,
            isr.join(","),
            p.log_start_offset,
            p.log_end_offset,
            p.high_watermark
        );
    }
    for g in &report.groups {
        println!(
            "group {} ({} commits): {} generation {} ({} rebalances), {} members, lag {}",
            g.group_id, g.commit_mode, g.state, g.generation, g.rebalances, g.members, g.lag
        );
        println!(
            "  processed once {}  duplicated {}  lost {}  pending {}  skipped {}",
            g.outcome.processed_once, g.outcome.duplicated, g.outcome.lost, g.outcome.pending, g.outcome.skipped
        );
        if g.dead_lettered > 0 {
            println!("  sent to the dead-letter queue {}", g.dead_lettered);
        }
    }
    let closed = report.windows.iter().filter(|w| w.closed).count();
    println!("windows {} ({} closed), late records {}", report.windows.len(), closed, report.late);
    if report.store_restores > 0 {
        println!(
            "window store: {} changelog records written; {} task restores read {} changelog records",
            report.changelog_written, report.store_restores, report.store_restored_records
        );
    }
    if let Some(p) = &report.pipeline {
        let mut parts = vec![format!("pipeline: {}", p.aggregate)];
        if p.filtered > 0 {
            parts.push(format!("{} records filtered out", p.filtered));
        }
        if let Some(t) = p.alert_above {
            parts.push(format!("{} alerts above {t}", p.alerts));
        }
        if let Some(m) = &p.output_mode {
            parts.push(format!(
                "sink ({m} mode): {} rows ({} still open), {} writes in {} triggers",
                p.sink_rows, p.sink_open_rows, p.sink_writes, p.triggers
            ));
        }
        println!("{}", parts.join("; "));
    }
    println!("dead letters (unreadable input rows) {}", report.dead_letters.len());
    if let Some(d) = &report.dedupe {
        println!(
            "dedupe by key in group {}: {} kept, {} repeats dropped; first processed ≠ earliest event time for {}",
            d.group_id,
            d.kept,
            d.repeats,
            d.disagreements.len()
        );
        for x in &d.disagreements {
            println!(
                "  {}: processed first {} {} at {}; earliest {} {} at {} ({})",
                x.key,
                x.processed_first.record_id,
                x.processed_first.detail,
                streamlab_engine::workload::table::format_naive_ms(x.processed_first.timestamp_ms),
                x.earliest.record_id,
                x.earliest.detail,
                streamlab_engine::workload::table::format_naive_ms(x.earliest.timestamp_ms),
                x.why
            );
        }
    }
    for d in report.dead_letters.iter().take(20) {
        println!("  line {}: {}", d.line, d.reason);
    }
}
