//! One file per view. A view depends on the engine's snapshot types and on `widgets`, never on
//! another view.

pub mod charts;
pub mod cluster;
pub mod config;
pub mod course;
pub mod dialogs;
pub mod events;
pub mod exercise;
pub mod groups;
pub mod guarantees;
pub mod outcomes;
pub mod partitions;
pub mod pipeline;
pub mod producer;
pub mod rebalances;
pub mod store;
pub mod tools;
pub mod windows;

/// The views a pane, or an embedding page (`?embed=`), can show, each able to render alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewId {
    Partitions,
    Cluster,
    Groups,
    Windows,
    Outcomes,
    Producer,
    Lag,
    Events,
    Rebalances,
    Tools,
    Guarantees,
    Store,
    Pipeline,
}

impl ViewId {
    /// Every view, in the order tabs list them (the newer ones last, so that the older ones keep
    /// their places and their neighbours for the arrow keys).
    pub const ALL: [ViewId; 13] = [
        ViewId::Partitions,
        ViewId::Cluster,
        ViewId::Groups,
        ViewId::Windows,
        ViewId::Outcomes,
        ViewId::Producer,
        ViewId::Lag,
        ViewId::Events,
        ViewId::Rebalances,
        ViewId::Tools,
        ViewId::Guarantees,
        ViewId::Store,
        ViewId::Pipeline,
    ];

    /// The name in URLs (`?embed=partitions,groups`) and test ids.
    pub fn name(self) -> &'static str {
        match self {
            ViewId::Partitions => "partitions",
            ViewId::Cluster => "cluster",
            ViewId::Groups => "groups",
            ViewId::Rebalances => "rebalances",
            ViewId::Windows => "windows",
            ViewId::Outcomes => "outcomes",
            ViewId::Producer => "producer",
            ViewId::Lag => "lag",
            ViewId::Events => "events",
            ViewId::Tools => "tools",
            ViewId::Guarantees => "guarantees",
            ViewId::Store => "store",
            ViewId::Pipeline => "pipeline",
        }
    }

    /// The tab's label: short, so that the tabs fit one or two lines of a pane, and the same word as the
    /// name, so that a learner who sees the tab knows what to write in `?embed=`.
    pub fn title(self) -> &'static str {
        match self {
            ViewId::Partitions => "Partitions",
            ViewId::Cluster => "Cluster",
            ViewId::Groups => "Groups",
            ViewId::Rebalances => "Rebalances",
            ViewId::Windows => "Windows",
            ViewId::Outcomes => "Outcomes",
            ViewId::Producer => "Producer",
            ViewId::Lag => "Lag",
            ViewId::Events => "Events",
            ViewId::Tools => "Tools",
            ViewId::Guarantees => "Guarantees",
            ViewId::Store => "Store",
            ViewId::Pipeline => "Pipeline",
        }
    }

    /// The view named `name` (exactly, as [`ViewId::name`] spells it).
    pub fn from_name(name: &str) -> Option<ViewId> {
        ViewId::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Every name, comma-separated, for error messages.
    pub fn all_names() -> String {
        ViewId::ALL.map(ViewId::name).join(", ")
    }
}
