//! One file per view. A view depends on the engine's snapshot types and on `widgets`, never on
//! another view.

pub mod charts;
pub mod config;
pub mod events;
pub mod groups;
pub mod outcomes;
pub mod partitions;
pub mod producer;
pub mod windows;
