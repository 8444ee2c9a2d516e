use super::{SimRng, SimTime};
use crate::ids::NodeId;
use serde::{Deserialize, Serialize};

/// One-way message latency: `mean_ms` plus a uniform draw in `[-jitter_ms, +jitter_ms]`, never
/// below `min_ms`. All in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyModel {
    pub min_ms: u64,
    pub mean_ms: u64,
    pub jitter_ms: u64,
}

impl Default for LatencyModel {
    fn default() -> Self {
        LatencyModel { min_ms: 1, mean_ms: 2, jitter_ms: 1 }
    }
}

impl LatencyModel {
    /// One latency in ms: uniform in `mean_ms ± jitter_ms`, never below `min_ms`.
    pub fn sample_ms(&self, rng: &mut SimRng) -> u64 {
        let low = self.mean_ms.saturating_sub(self.jitter_ms);
        let high = self.mean_ms.saturating_add(self.jitter_ms);
        rng.range_inclusive(low, high).max(self.min_ms)
    }
}

/// The simulated network. Kafka clients talk to brokers over TCP, so messages on one connection
/// (one ordered pair of nodes) arrive in the order they were sent: a message never overtakes an
/// earlier one on the same link, whatever latency it drew.
#[derive(Debug)]
pub struct Network {
    latency: LatencyModel,
    rng: SimRng,
    /// Per sender, per receiver: the arrival time of the last message on that link.
    last_arrival: Vec<Vec<SimTime>>,
}

impl Network {
    /// A network with `latency` for every message, drawing from `rng`.
    pub fn new(latency: LatencyModel, rng: SimRng) -> Self {
        Network { latency, rng, last_arrival: Vec::new() }
    }

    /// When a message sent now from `from` to `to` arrives, with `extra_ms` more than the
    /// latency drawn (a slowed link).
    pub fn arrival(&mut self, now: SimTime, from: NodeId, to: NodeId, extra_ms: u64) -> SimTime {
        let at = now.plus_ms(self.latency.sample_ms(&mut self.rng) + extra_ms);
        let (f, t) = (from.0 as usize, to.0 as usize);
        if self.last_arrival.len() <= f {
            self.last_arrival.resize_with(f + 1, Vec::new);
        }
        let row = &mut self.last_arrival[f];
        if row.len() <= t {
            row.resize(t + 1, SimTime::ZERO);
        }
        let last = &mut row[t];
        let at = at.max(*last);
        *last = at;
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_respects_bounds_and_links_stay_fifo() {
        let model = LatencyModel { min_ms: 3, mean_ms: 5, jitter_ms: 4 };
        let mut net = Network::new(model, SimRng::new(1, 9));
        let (a, b) = (NodeId(0), NodeId(1));
        let mut last = SimTime::ZERO;
        for t in 0..200 {
            let at = net.arrival(SimTime(t), a, b, 0);
            assert!(at.0 >= t + 3 && at.0 <= t + 9, "{at:?} at {t}");
            assert!(at >= last);
            last = at;
        }
    }
}
