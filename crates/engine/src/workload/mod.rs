//! Workloads: the event streams producers send (synthetic IoT sensor readings, and the real NYC
//! taxi trips and eBay auction bids read from CSV), and the table of record keys they use. It must
//! not know about brokers or consumers.

mod iot;
pub mod table;

pub use iot::{reading as iot_reading, IotWorkload};
pub use table::{DataTable, DeadLetter, Values};

use crate::producer::partitioner::murmur2;
use crate::scenario::{ScenarioError, WorkloadSpec};
use crate::simulation::Datasets;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Every record key of a simulation, interned: `KeyId(i)` is `names[i]`. Each key's murmur2 hash
/// is computed once here, so the producer's partitioner does not hash the same bytes again for
/// every record.
#[derive(Debug, Clone, Default)]
pub struct KeyTable {
    names: Vec<String>,
    murmur2: Vec<i32>,
    index: BTreeMap<String, u32>,
}

impl KeyTable {
    /// The id of key `name`, added if new; its murmur2 is computed once here.
    pub fn intern(&mut self, name: &str) -> crate::ids::KeyId {
        if let Some(&i) = self.index.get(name) {
            return crate::ids::KeyId(i);
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.murmur2.push(murmur2(name.as_bytes()));
        self.index.insert(name.to_string(), i);
        crate::ids::KeyId(i)
    }

    /// The text of `key`.
    pub fn name(&self, key: crate::ids::KeyId) -> &str {
        &self.names[key.0 as usize]
    }

    /// `Utils.murmur2(key.getBytes(UTF_8))` of the key.
    pub fn murmur2(&self, key: crate::ids::KeyId) -> i32 {
        self.murmur2[key.0 as usize]
    }

    /// Distinct keys so far.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// One record a workload wants sent: its key, event time (ms) and size (bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emitted {
    pub key: crate::ids::KeyId,
    pub timestamp_ms: u64,
    pub size_bytes: u32,
}

/// Replays a [`DataTable`] in file order at `rate_per_s` records per simulated second (the k-th
/// row is due at `k * 1000 / rate_per_s` ms). The k-th record a producer sends is row k.
#[derive(Debug, Clone)]
pub struct TableWorkload {
    table: std::rc::Rc<DataTable>,
    rate_per_s: u64,
}

impl TableWorkload {
    /// `rate_per_s` ≥ 1 (the scenario validates it).
    pub fn new(table: std::rc::Rc<DataTable>, rate_per_s: u64) -> Self {
        TableWorkload { table, rate_per_s }
    }

    fn record(&self, k: u64) -> Option<(u64, Emitted)> {
        let t = &self.table;
        let i = usize::try_from(k).ok().filter(|&i| i < t.len())?;
        let emitted = Emitted { key: t.keys[i], timestamp_ms: t.event_time_ms[i], size_bytes: t.size_bytes[i] };
        Some((k * 1000 / self.rate_per_s, emitted))
    }
}

/// An application that calls `send()` in a loop as fast as the producer takes records: `records`
/// records keyed `key-0000` ... in turn over `keys` keys, each with a `value_bytes` value, stamped
/// with the time they are sent. `send()` blocks while `buffer.memory` is full, so the producer's
/// accumulator and `max.in.flight.requests.per.connection` set the pace. Used to measure the
/// engine's throughput.
#[derive(Debug, Clone)]
pub struct FloodWorkload {
    keys: Vec<(crate::ids::KeyId, u32)>,
    records: u64,
    value_bytes: u32,
}

impl FloodWorkload {
    /// `keys` ≥ 1 (the scenario validates it); the key names are interned in `table`.
    pub fn new(table: &mut KeyTable, records: u64, keys: u32, value_bytes: u32) -> Self {
        let width = keys.saturating_sub(1).to_string().len().max(4);
        let keys = (0..keys.max(1))
            .map(|i| {
                let name = format!("key-{i:0width$}");
                (table.intern(&name), name.len() as u32)
            })
            .collect();
        FloodWorkload { keys, records, value_bytes }
    }

    fn record(&self, k: u64) -> Option<Emitted> {
        if k >= self.records {
            return None;
        }
        let (key, key_bytes) = self.keys[(k % self.keys.len() as u64) as usize];
        Some(Emitted { key, timestamp_ms: 0, size_bytes: key_bytes + self.value_bytes })
    }
}

/// When a workload's record is to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// At this simulated time, ms; the record's timestamp is its own.
    At(u64),
    /// As soon as the producer has room for it (`buffer.memory`); it is stamped with that time.
    WhenAccepted,
}

/// A source of records for one producer. Records are a pure function of their index, so the
/// producer can take every record due in a time slice at once, and look ahead to know when a
/// batch will fill, without an event per record.
/// Records an application hands to an embedded producer as it processes its input (the
/// output of a consume-transform-produce pipeline): each keeps its input record's id, so that the
/// ledger can follow an input record to the output. Record `k` of the producer is item `k - base`.
#[derive(Debug, Clone, Default)]
pub struct FeedWorkload {
    base: u64,
    /// Due time, record, id, and the changelog partition for a changelog record.
    items: std::collections::VecDeque<(u64, Emitted, crate::ids::RecordId, Option<u32>)>,
}

impl FeedWorkload {
    /// Hands a record to `send()` at `at_ms`.
    pub fn push(&mut self, at_ms: u64, emitted: Emitted, id: crate::ids::RecordId) {
        self.items.push_back((at_ms, emitted, id, None));
    }

    /// Hands a changelog record for partition `partition` to `send()` at `at_ms`.
    pub fn push_to(&mut self, at_ms: u64, emitted: Emitted, id: crate::ids::RecordId, partition: u32) {
        self.items.push_back((at_ms, emitted, id, Some(partition)));
    }

    /// Forgets the records before `k` (the producer has taken them).
    pub fn trim(&mut self, k: u64) {
        while self.base < k && self.items.pop_front().is_some() {
            self.base += 1;
        }
    }

    fn item(&self, k: u64) -> Option<&(u64, Emitted, crate::ids::RecordId, Option<u32>)> {
        self.items.get(usize::try_from(k.checked_sub(self.base)?).ok()?)
    }
}

#[derive(Debug, Clone)]
pub enum Workload {
    Iot(IotWorkload),
    Table(TableWorkload),
    Flood(FloodWorkload),
    Feed(FeedWorkload),
}

impl Workload {
    /// The `k`-th record (from 0) and when it is due; `None` past the last one.
    pub fn record(&self, k: u64) -> Option<(Due, Emitted)> {
        match self {
            Workload::Iot(w) => w.record(k).map(|(at, e)| (Due::At(at), e)),
            Workload::Table(w) => w.record(k).map(|(at, e)| (Due::At(at), e)),
            Workload::Flood(w) => w.record(k).map(|e| (Due::WhenAccepted, e)),
            Workload::Feed(w) => w.item(k).map(|(at, e, ..)| (Due::At(*at), *e)),
        }
    }

    /// The id record `k` carries: its input record's for a feed, else `None` (the producer
    /// numbers its own).
    pub fn record_id(&self, k: u64) -> Option<crate::ids::RecordId> {
        match self {
            Workload::Feed(w) => w.item(k).map(|(_, _, id, _)| *id),
            _ => None,
        }
    }

    /// The changelog partition record `k` goes to, if it is a changelog record of a feed.
    pub fn changelog_partition(&self, k: u64) -> Option<u32> {
        match self {
            Workload::Feed(w) => w.item(k).and_then(|(.., p)| *p),
            _ => None,
        }
    }

    /// Appends to `out` the bytes the `k`-th record's key and value would have on the wire, for
    /// the codecs of `compression.type` (nothing else reads values): an IoT reading as JSON, a
    /// trip or a bid as its CSV fields, a flood record's key and pseudo-random letters.
    pub fn payload(&self, k: u64, keys: &KeyTable, out: &mut Vec<u8>) {
        use std::io::Write as _;
        let Some((_, e)) = self.record(k) else { return };
        let key = keys.name(e.key);
        // A fixed scramble of the index: the same bytes natively and in wasm.
        let h = (k.wrapping_add(1)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let _ = match self {
            Workload::Iot(w) => {
                let (temperature_c, humidity_pct) = iot::reading(k, w.devices(), w.interval_ms());
                write!(
                    out,
                    "{key}{{\"device\":\"{key}\",\"ts\":{},\"temperature_c\":{temperature_c:.2},\"humidity_pct\":{humidity_pct:.1}}}",
                    e.timestamp_ms,
                )
            }
            Workload::Table(w) => {
                let i = k as usize;
                let ts = table::format_naive_ms(e.timestamp_ms);
                match &w.table.values {
                    Values::Taxi { fare_amount, trip_duration_s } => {
                        write!(out, "{key},{ts},{:.2},{:.0}", fare_amount[i], trip_duration_s[i])
                    }
                    Values::Bids { bid, bidder } => write!(out, "{key},{ts},{:.2},{}", bid[i], bidder[i]),
                }
            }
            Workload::Feed(_) => write!(out, "{key}:{}", h % 1_000_000),
            Workload::Flood(w) => {
                out.extend_from_slice(key.as_bytes());
                let mut x = h | 1;
                for _ in 0..w.value_bytes {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    out.push(b'a' + (x % 26) as u8);
                }
                Ok(())
            }
        };
    }

    /// Whether every record up to the `k`-th (exclusive) is all there is.
    pub fn is_exhausted_at(&self, k: u64) -> bool {
        self.record(k).is_none()
    }
}

impl Workload {
    /// The workload `spec` describes, its keys interned in `keys`, with the data table it
    /// replays for taxi and bids (read from `data`). Errors name `path`
    /// (`producers[0].workload`): a CSV that was not given or does not read.
    pub fn build(
        spec: &WorkloadSpec,
        data: &Datasets,
        keys: &mut KeyTable,
        path: &str,
    ) -> Result<(Workload, Option<Rc<DataTable>>), ScenarioError> {
        let rate_per_s = match *spec {
            WorkloadSpec::Iot { devices, interval_ms, limit, delayed_every, delay_ms } => {
                let w = IotWorkload::new(keys, devices, interval_ms, limit).with_delays(delayed_every, delay_ms);
                return Ok((Workload::Iot(w), None));
            }
            WorkloadSpec::Flood { records, keys: key_count, value_bytes } => {
                return Ok((Workload::Flood(FloodWorkload::new(keys, records, key_count, value_bytes)), None))
            }
            WorkloadSpec::Taxi { rate_per_s } | WorkloadSpec::Bids { rate_per_s } => rate_per_s,
        };
        let file = spec.data_file().unwrap_or_default();
        let name = spec.name();
        let error = |message: String| ScenarioError { path: path.to_string(), message };
        let csv = data.get(file).ok_or_else(|| {
            error(format!("the {name} workload needs its CSV (static/data/{file}), and none was given"))
        })?;
        let parsed = match spec {
            WorkloadSpec::Taxi { .. } => table::parse_taxi(csv, keys),
            _ => table::parse_bids(csv, keys),
        };
        let table = Rc::new(parsed.map_err(|e| error(format!("{name} CSV: {e}")))?);
        Ok((Workload::Table(TableWorkload::new(table.clone(), rate_per_s)), Some(table)))
    }
}
