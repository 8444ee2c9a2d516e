//! streamlab-engine: a deterministic, single-threaded simulation of a Kafka-style cluster (brokers,
//! producers, consumer groups) on a virtual clock. It must not know about the web, the UI or IO:
//! everything enters through [`Scenario`] and [`Command`], and leaves through [`Snapshot`],
//! [`Report`] and the trace.
//!
//! The entry point is [`Simulation`]: `Simulation::new(scenario)?`, then `step()`, `run_until()`,
//! `apply()`, `snapshot()`, `trace()`, `report()`.

pub mod broker;
pub mod calculators;
pub mod catalog;
pub mod command;
pub mod config;
pub mod consumer;
pub mod exercise;
pub mod export;
pub mod faults;
pub mod ids;
pub mod invariants;
pub mod ledger;
pub mod metrics;
pub mod node;
pub mod producer;
pub mod protocol;
pub mod report;
pub mod scenario;
pub mod session;
pub mod share;
pub mod sim;
pub mod simulation;
pub mod snapshot;
pub mod soak;
pub mod streams;
pub mod timeline;
pub mod workload;

pub use catalog::Catalog;
pub use command::{Command, CommandError};
pub use ids::{BrokerId, GroupId, KeyId, NodeId, Offset, PartitionId, RecordId, TopicId, TopicPartition};
pub use report::Report;
pub use scenario::{Preset, Scenario, ScenarioError};
pub use sim::{SimTime, TraceEntry, TraceEvent};
pub use simulation::{Datasets, Simulation};
pub use snapshot::Snapshot;
