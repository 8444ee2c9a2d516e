//! Commands: what a user (the UI, the CLI, a test) may do to a running simulation. Each is applied
//! at the current simulated time, or refused whole with a [`CommandError`].

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A command and the simulated time it is applied at: `{"at_ms": 20000, "command": {"type":
/// "crash_consumer", "client_id": "consumer-g1-1"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimedCommand {
    pub at_ms: u64,
    pub command: Command,
}

/// A live change to the simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Start one more consumer in the group (it joins and triggers a rebalance).
    AddConsumer { group_id: String },
    /// The consumer's application calls `close()`: it commits (with auto-commit on) and sends
    /// LeaveGroup, so the group rebalances at once.
    CloseConsumer { client_id: String },
    /// The consumer's process dies without a word: the group notices only when its session
    /// times out (`session.timeout.ms`).
    CrashConsumer { client_id: String },
    /// The producer's process dies and a new instance starts at once, going on with the
    /// application's next record: what the old one had not had acknowledged is never retried
    /// (counted as failed). The new instance gets a new producer id; with a `transactional.id`,
    /// its InitProducerId fences the old instance and aborts its open transaction.
    CrashProducer { client_id: String },
    /// A crashed or closed consumer's process starts again with the same `client.id` (and, for
    /// a static member, the same `group.instance.id`): a new member of the group, or (KIP-345)
    /// the same static member, which causes no rebalance if it is back within
    /// `session.timeout.ms`.
    RestartConsumer { client_id: String },
    /// The consumer's application stalls for `duration_ms` (1 to 3,600,000): a long GC pause or
    /// a slow call. Heartbeats go on, but past `max.poll.interval.ms` without `poll()` the
    /// member leaves the group.
    PauseConsumer { client_id: String, duration_ms: u64 },
    /// The consumer's application calls `seek` on every partition it owns: to the beginning
    /// (`seekToBeginning`), the end (`seekToEnd`), an offset, or the first record at or after a
    /// timestamp (`offsetsForTimes`, a ListOffsets by timestamp). Records sought past are
    /// `skipped`; records sought back to are processed again.
    SeekConsumer { client_id: String, to: SeekTo },
    /// The broker's process stops (`kill -9`): it answers nothing, its connections drop, and its
    /// log stays on disk. The controller fences it after `broker.session.timeout.ms` and moves
    /// its leaderships.
    CrashBroker { broker: u32 },
    /// The broker's machine loses power: as a crash, and the tail of each log not yet flushed
    /// to disk (`flush.messages`, `flush.ms`, or the OS's own writeback) is gone.
    PowerOffBroker { broker: u32 },
    /// A crashed or powered-off broker starts again: it recovers its logs, registers with the
    /// controller, truncates what diverged from the leaders (KIP-101 / KIP-279), catches up
    /// and rejoins the ISR.
    RestartBroker { broker: u32 },
    /// A network partition: `node` (`broker-1`, `controller`, `producer-1`,
    /// `consumer-g1-2`, ...) can no longer exchange messages with the nodes in `from`, or with
    /// every other node when `from` is empty. Messages in flight on a cut link are lost.
    Isolate {
        node: String,
        #[serde(default)]
        from: Vec<String>,
    },
    /// Heals every cut link of `node`.
    Heal { node: String },
    /// Adds `extra_ms` to every message between `node` and `peer`, both ways (a slow follower
    /// link); 0 removes the delay.
    SlowLink { node: String, peer: String, extra_ms: u64 },
    /// Drops, duplicates or delays the messages going one way, from `from` to `to`: each a
    /// node's name (`broker-0`, `producer-1`, ...) or a set, `brokers`, `producers`,
    /// `consumers` or `*`. With `message` (a protocol message: `ProduceResponse`,
    /// `FetchRequest`, ...), only those. Each matching message is dropped with probability
    /// `drop_rate` (0 to 1), else delivered twice with probability `duplicate_rate` (0 to 1),
    /// and arrives `delay_ms` (0 to 60000) late. With `count` (1 to 1000000), the fault acts
    /// on that many matching messages and ends. Setting the same ends and message again
    /// replaces the fault; all rates 0 and no delay remove it. A dropped `ProduceResponse`
    /// is what turns a producer's retry into a duplicate.
    LinkFault {
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(default)]
        drop_rate: f64,
        #[serde(default)]
        duplicate_rate: f64,
        #[serde(default)]
        delay_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Crashes whichever broker leads `partition` of `topic` when the command runs (nothing
    /// if it has no leader then).
    CrashLeader { topic: String, partition: u32 },
    /// The controller moves each partition's leadership back to its preferred replica (the
    /// first assigned) where that replica is alive and in sync, as
    /// `kafka-leader-election.sh --election-type PREFERRED` does.
    ElectPreferredLeaders,
    /// `Admin.createPartitions` (`kafka-topics.sh --alter --partitions`): grows `topic` to
    /// `count` partitions in all (more than it has, at most 1024), placed as its first ones
    /// were. Clients see them at their next metadata refresh (`metadata.max.age.ms`); keyed
    /// records then go to other partitions, and a group's leader starts a rebalance.
    CreatePartitions { topic: String, count: u32 },
    /// `Admin.createTopics`: a new topic of `partitions` partitions (1 to 1024) and
    /// `replication_factor` replicas (1 to the broker count), with `configs` (topic config keys,
    /// as in a scenario's `topics[].configs`). A group subscribed to it, or to a pattern it
    /// matches, rebalances once a member's metadata shows it.
    CreateTopic {
        topic: String,
        partitions: u32,
        replication_factor: u32,
        #[serde(default)]
        configs: BTreeMap<String, Value>,
    },
    /// `Admin.deleteTopics`: the topic and its logs are gone; groups reading it rebalance
    /// without it. Only a topic no producer of the scenario writes to can be deleted.
    DeleteTopic { topic: String },
}

/// Checks a [`Command::LinkFault`]'s numbers and message name (its node names are checked
/// where the nodes are known); on error, the field and the message.
pub fn check_link_fault(
    message: Option<&str>,
    drop_rate: f64,
    duplicate_rate: f64,
    delay_ms: u64,
    count: Option<u32>,
) -> Result<Option<&'static str>, (&'static str, String)> {
    for (field, r) in [("drop_rate", drop_rate), ("duplicate_rate", duplicate_rate)] {
        if !(0.0..=1.0).contains(&r) {
            return Err((field, format!("must be between 0 and 1, got {r}")));
        }
    }
    if delay_ms > 60_000 {
        return Err(("delay_ms", format!("must be between 0 and 60000, got {delay_ms}")));
    }
    if let Some(n) = count.filter(|n| !(1..=1_000_000).contains(n)) {
        return Err(("count", format!("must be between 1 and 1000000, got {n}")));
    }
    match message {
        None => Ok(None),
        Some(m) => crate::protocol::Message::NAMES.iter().find(|n| **n == m).map(|n| Some(*n)).ok_or_else(|| {
            (
                "message",
                format!(
                    "must be a protocol message ({}), got \"{}\"",
                    crate::protocol::Message::NAMES.join(", "),
                    crate::scenario::cut(m)
                ),
            )
        }),
    }
}

/// The node sets a [`Command::LinkFault`] end may name besides a single node.
pub const LINK_FAULT_SETS: [&str; 4] = ["brokers", "producers", "consumers", "*"];

/// Where a [`Command::SeekConsumer`] moves positions: `"beginning"`, `"end"`,
/// `{"offset": 42}` or `{"timestamp": 1700000000000}` (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SeekTo {
    Beginning,
    End,
    Offset(u64),
    Timestamp(u64),
}

impl SeekTo {
    /// How the trace names it: `beginning`, `end`, `offset 42`, `timestamp 1700000000000`.
    pub fn label(self) -> String {
        match self {
            SeekTo::Beginning => "beginning".into(),
            SeekTo::End => "end".into(),
            SeekTo::Offset(o) => format!("offset {o}"),
            SeekTo::Timestamp(t) => format!("timestamp {t}"),
        }
    }
}

/// Link faults from time 0 that drop `rate` of the ProduceResponses brokers send to producers and,
/// with `pipelines`, to consumers too (a pipeline's producers live in its members): the
/// `--drop-responses` of the CLI and of the page's comparison of guarantees.
pub fn drop_produce_responses(rate: f64, pipelines: bool) -> Vec<TimedCommand> {
    let to: &[&str] = if pipelines { &["producers", "consumers"] } else { &["producers"] };
    to.iter()
        .map(|to| TimedCommand {
            at_ms: 0,
            command: Command::LinkFault {
                from: "brokers".into(),
                to: (*to).into(),
                message: Some("ProduceResponse".into()),
                drop_rate: rate,
                duplicate_rate: 0.0,
                delay_ms: 0,
                count: None,
            },
        })
        .collect()
}

/// A link fault that drops `rate` of the ProduceRequests producers send to brokers (0 lifts
/// it): the producers retry, and without idempotence (and with more than one request in flight)
/// a retried batch lands behind a later one. `--drop-requests`, and the Producer view's button.
pub fn drop_produce_requests(rate: f64) -> Command {
    Command::LinkFault {
        from: "producers".into(),
        to: "brokers".into(),
        message: Some("ProduceRequest".into()),
        drop_rate: rate,
        duplicate_rate: 0.0,
        delay_ms: 0,
        count: None,
    }
}

/// Why a command was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("group_id: no consumer group named \"{0}\" in this scenario")]
    UnknownGroup(String),
    #[error("client_id: no running consumer named \"{0}\"")]
    UnknownConsumer(String),
    #[error("client_id: no producer named \"{0}\"")]
    UnknownProducer(String),
    #[error("client_id: no crashed or closed consumer named \"{0}\" (only a stopped consumer can be restarted)")]
    NotStopped(String),
    #[error("duration_ms: must be between 1 and 3600000, got {0}")]
    PauseOutOfRange(u64),
    #[error("group_id: group \"{group_id}\" already has {members} consumers, the most allowed is {max}")]
    TooManyConsumers { group_id: String, members: usize, max: usize },
    #[error("broker: must be a broker of this cluster (0 to {max}), got {broker}")]
    UnknownBroker { broker: u32, max: u32 },
    #[error("broker: broker {broker} is {state}, so it cannot be {action}")]
    BrokerState { broker: u32, state: &'static str, action: &'static str },
    #[error("{field}: no node named \"{name}\" (nodes are broker-N, controller, and the clients' client ids)")]
    UnknownNode { field: &'static str, name: String },
    #[error("extra_ms: must be between 0 and 60000, got {0}")]
    DelayOutOfRange(u64),
    #[error("{field}: {message}")]
    InvalidLinkFault { field: &'static str, message: String },
    #[error("topic: UnknownTopicOrPartitionException: no topic named \"{0}\"")]
    UnknownTopic(String),
    #[error("topic: TopicExistsException: Topic '{0}' already exists.")]
    TopicExists(String),
    #[error("{field}: {message}")]
    InvalidTopic { field: &'static str, message: String },
    #[error("count: InvalidPartitionsException: Topic currently has {current} partitions, which is higher than or equal to the requested {count}.")]
    PartitionsNotIncreased { current: u32, count: u32 },
    #[error("topic: producers write to \"{0}\"; only a topic no producer writes to can be deleted")]
    TopicInUse(String),
}
