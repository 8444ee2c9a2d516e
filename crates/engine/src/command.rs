//! Commands: what a user (the UI, the CLI, a test) may do to a running simulation. Each is applied
//! at the current simulated time, or refused whole with a [`CommandError`].

use serde::{Deserialize, Serialize};

/// A live change to the simulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// Why a command was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("group_id: no consumer group named \"{0}\" in this scenario")]
    UnknownGroup(String),
    #[error("client_id: no running consumer named \"{0}\"")]
    UnknownConsumer(String),
    #[error("group_id: group \"{group_id}\" already has {members} consumers, the most allowed is {max}")]
    TooManyConsumers { group_id: String, members: usize, max: usize },
}
