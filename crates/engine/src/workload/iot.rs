use super::{Emitted, KeyTable};
use crate::ids::KeyId;

/// IoT sensors: `devices` sensors keyed `sensor-00` ... each emit one reading every
/// `interval_ms`, their readings spread evenly over the interval (the k-th record of the run is
/// due at `k * interval_ms / devices` ms). Each reading is a small JSON document of 48 bytes plus
/// the key. Stops after `limit` records when a limit is set.
#[derive(Debug, Clone)]
pub struct IotWorkload {
    devices: Vec<KeyId>,
    interval_ms: u64,
    limit: Option<u64>,
    emitted: u64,
}

const VALUE_BYTES: u32 = 48;

impl IotWorkload {
    /// `devices` ≥ 1 and `interval_ms` ≥ 1 (the scenario validates both).
    pub fn new(keys: &mut KeyTable, devices: u32, interval_ms: u64, limit: Option<u64>) -> Self {
        let width = devices.saturating_sub(1).to_string().len().max(2);
        let devices = (0..devices).map(|i| keys.intern(&format!("sensor-{i:0width$}"))).collect();
        IotWorkload { devices, interval_ms, limit, emitted: 0 }
    }

    fn due_ms(&self, k: u64) -> u64 {
        // u128: k * interval_ms may exceed u64 for long runs with huge intervals.
        ((k as u128 * self.interval_ms as u128) / self.devices.len() as u128) as u64
    }

    /// Delay before the first reading, ms.
    pub fn first_delay_ms(&self) -> u64 {
        0
    }

    /// Whether it has emitted its `limit` readings (never, without a limit).
    pub fn is_exhausted(&self) -> bool {
        self.limit.is_some_and(|l| self.emitted >= l)
    }

    /// The next reading, stamped `now_ms`, and the delay in ms until the one after (`None` if it
    /// was the last); `None` once exhausted. Devices take turns, evenly spaced so that each sends
    /// every `interval_ms`.
    pub fn emit(&mut self, now_ms: u64) -> Option<(Emitted, Option<u64>)> {
        if self.limit.is_some_and(|l| self.emitted >= l) {
            return None;
        }
        let k = self.emitted;
        let key = self.devices[(k % self.devices.len() as u64) as usize];
        self.emitted += 1;
        let more = self.limit.is_none_or(|l| self.emitted < l);
        let next = more.then(|| self.due_ms(k + 1) - self.due_ms(k));
        let size_bytes = VALUE_BYTES + 10;
        Some((Emitted { key, timestamp_ms: now_ms, size_bytes }, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_round_robin_over_devices_evenly_spaced() {
        let mut keys = KeyTable::default();
        let mut w = IotWorkload::new(&mut keys, 4, 1000, Some(6));
        let mut out = vec![];
        let mut now = 0;
        while let Some((e, next)) = w.emit(now) {
            out.push((keys.name(e.key).to_string(), e.timestamp_ms));
            match next {
                Some(d) => now += d,
                None => break,
            }
        }
        let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["sensor-00", "sensor-01", "sensor-02", "sensor-03", "sensor-00", "sensor-01"]);
        let times: Vec<u64> = out.iter().map(|(_, t)| *t).collect();
        assert_eq!(times, [0, 250, 500, 750, 1000, 1250]);
    }
}
