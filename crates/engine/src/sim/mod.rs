//! The simulation kernel: virtual time, the event scheduler, the seeded RNG, the network model and
//! the trace. It depends on nothing else of the engine's.

mod network;
mod rng;
mod scheduler;
mod time;
mod trace;

pub use network::{LatencyModel, Network};
pub use rng::SimRng;
pub use scheduler::Scheduler;
pub use time::SimTime;
pub use trace::{Level, Trace, TraceCapacity, TraceEntry, TraceEvent, TraceHasher};
