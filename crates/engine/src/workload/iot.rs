use super::{Emitted, KeyTable};
use crate::ids::KeyId;

/// IoT sensors: `devices` sensors keyed `sensor-00` ... each emit one reading every
/// `interval_ms`, their readings spread evenly over the interval (the k-th record of the run is
/// due at `k * interval_ms / devices` ms). Each reading is a small JSON document of 48 bytes plus
/// the key. Stops after `limit` records when a limit is set. Every `delayed_every`-th reading
/// was taken `delay_ms` before it is sent: it is stamped that much earlier.
#[derive(Debug, Clone)]
pub struct IotWorkload {
    devices: Vec<KeyId>,
    interval_ms: u64,
    limit: Option<u64>,
    delayed_every: u64,
    delay_ms: u64,
}

const VALUE_BYTES: u32 = 48;

impl IotWorkload {
    /// `devices` ≥ 1 and `interval_ms` ≥ 1 (the scenario validates both).
    pub fn new(keys: &mut KeyTable, devices: u32, interval_ms: u64, limit: Option<u64>) -> Self {
        let width = devices.saturating_sub(1).to_string().len().max(2);
        let devices = (0..devices).map(|i| keys.intern(&format!("sensor-{i:0width$}"))).collect();
        IotWorkload { devices, interval_ms, limit, delayed_every: 0, delay_ms: 0 }
    }

    /// Makes every `every`-th reading (the `every`-th, `2·every`-th, ...) `delay_ms` old when sent.
    pub fn with_delays(mut self, every: Option<u64>, delay_ms: u64) -> Self {
        self.delayed_every = every.unwrap_or(0);
        self.delay_ms = delay_ms;
        self
    }

    fn due_ms(&self, k: u64) -> u64 {
        let devices = self.devices.len() as u64;
        match k.checked_mul(self.interval_ms) {
            Some(product) => product / devices,
            // Only for runs beyond any validated length; u128 is slow, so it is the fallback.
            None => ((k as u128 * self.interval_ms as u128) / devices as u128) as u64,
        }
    }

    /// The `k`-th reading (from 0): due at `k * interval_ms / devices` ms and stamped with that
    /// time; `None` past the `limit`. Devices take turns, so each sends every `interval_ms`.
    pub fn record(&self, k: u64) -> Option<(u64, Emitted)> {
        if self.limit.is_some_and(|l| k >= l) {
            return None;
        }
        let key = self.devices[(k % self.devices.len() as u64) as usize];
        let at = self.due_ms(k);
        let delayed = self.delayed_every > 0 && (k + 1).is_multiple_of(self.delayed_every);
        let timestamp_ms = if delayed { at.saturating_sub(self.delay_ms) } else { at };
        Some((at, Emitted { key, timestamp_ms, size_bytes: VALUE_BYTES + 10 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_round_robin_over_devices_evenly_spaced() {
        let mut keys = KeyTable::default();
        let w = IotWorkload::new(&mut keys, 4, 1000, Some(6));
        let out: Vec<(String, u64)> =
            (0..).map_while(|k| w.record(k)).map(|(at, e)| (keys.name(e.key).to_string(), at)).collect();
        let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["sensor-00", "sensor-01", "sensor-02", "sensor-03", "sensor-00", "sensor-01"]);
        let times: Vec<u64> = out.iter().map(|(_, t)| *t).collect();
        assert_eq!(times, [0, 250, 500, 750, 1000, 1250]);
    }

    #[test]
    fn every_nth_reading_is_stamped_earlier_but_sent_on_time() {
        let mut keys = KeyTable::default();
        let w = IotWorkload::new(&mut keys, 2, 1000, Some(6)).with_delays(Some(3), 800);
        let got: Vec<(u64, u64)> = (0..).map_while(|k| w.record(k)).map(|(at, e)| (at, e.timestamp_ms)).collect();
        assert_eq!(got, [(0, 0), (500, 500), (1000, 200), (1500, 1500), (2000, 2000), (2500, 1700)]);
    }
}
