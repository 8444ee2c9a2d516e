use serde::{Deserialize, Serialize};
use std::fmt;

/// Simulated time in milliseconds since the start of the run. Nothing in the engine reads the wall
/// clock: time only moves when the scheduler takes the next event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of every simulation.
    pub const ZERO: SimTime = SimTime(0);

    /// `ms` milliseconds after the start.
    pub fn from_ms(ms: u64) -> Self {
        SimTime(ms)
    }

    /// Milliseconds since the start.
    pub fn as_ms(self) -> u64 {
        self.0
    }

    /// `self + ms`, saturating so that a huge configured delay cannot wrap time around.
    pub fn plus_ms(self, ms: u64) -> Self {
        SimTime(self.0.saturating_add(ms))
    }
}

impl fmt::Display for SimTime {
    /// `12.345s`: seconds with millisecond precision, as the trace prints times.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}
