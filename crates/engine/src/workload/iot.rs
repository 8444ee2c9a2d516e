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

/// The reading of the `k`-th record of a run with `devices` sensors reading every
/// `interval_ms`: temperature (°C, 2 decimals) and relative humidity (%, 1 decimal). Each sensor
/// has its own base (20 to 24 °C) and a swing of ±4 °C with a 90 s period, shifted per sensor,
/// plus ±0.5 °C of noise: a moving average rises above 25 °C on some sensors, now and then. A
/// function of `k` alone (the sensor's clock, not the record's timestamp, which a delay or
/// `LogAppendTime` changes), in plain arithmetic, so that it is the same natively and in wasm.
pub fn reading(k: u64, devices: u64, interval_ms: u64) -> (f64, f64) {
    let devices = devices.max(1);
    let device = k % devices;
    let taken_ms = (k / devices).saturating_mul(interval_ms);
    let h = (k.wrapping_add(1)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    const PERIOD_MS: u64 = 90_000;
    let phase = (taken_ms % PERIOD_MS + device * PERIOD_MS / devices) % PERIOD_MS;
    // A triangle wave from -1 to 1 and back over the period.
    let x = phase as f64 / PERIOD_MS as f64;
    let wave = 1.0 - 4.0 * (x - 0.5).abs();
    let noise = ((h >> 20) % 100) as f64 / 100.0 - 0.5;
    let hundredths = ((20 + device % 5) as f64 * 100.0 + wave * 400.0 + noise * 100.0).round();
    let humidity = (30 + (h >> 50) % 40) as f64 + ((h >> 8) % 10) as f64 / 10.0;
    (hundredths / 100.0, humidity)
}

impl IotWorkload {
    /// How many sensors take turns.
    pub fn devices(&self) -> u64 {
        self.devices.len() as u64
    }

    /// How often each sensor reads, ms.
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
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

    #[test]
    fn readings_swing_around_each_sensors_base() {
        let temps: Vec<f64> = (0..12 * 90).filter(|k| k % 12 == 4).map(|k| reading(k, 12, 1000).0).collect();
        let (lo, hi) = temps.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
        // Sensor 4: base 24 °C, ±4 °C swing, ±0.5 °C noise.
        assert!((19.5..21.0).contains(&lo) && (27.0..=28.5).contains(&hi), "{lo} {hi}");
        assert_eq!(reading(5, 12, 1000), reading(5, 12, 1000));
    }
}
