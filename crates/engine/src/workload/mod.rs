//! Workloads: the event streams producers send (synthetic IoT sensor readings, and the real NYC
//! taxi trips and eBay auction bids read from CSV), and the table of record keys they use. It must
//! not know about brokers or consumers.

mod iot;
pub mod table;

pub use iot::IotWorkload;
pub use table::{DataTable, DeadLetter, Values};

use crate::producer::partitioner::murmur2;
use std::collections::BTreeMap;

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
    next: usize,
}

impl TableWorkload {
    /// `rate_per_s` ≥ 1 (the scenario validates it).
    pub fn new(table: std::rc::Rc<DataTable>, rate_per_s: u64) -> Self {
        TableWorkload { table, rate_per_s, next: 0 }
    }

    fn due_ms(&self, k: usize) -> u64 {
        k as u64 * 1000 / self.rate_per_s
    }

    fn emit(&mut self) -> Option<(Emitted, Option<u64>)> {
        let t = &self.table;
        let k = self.next;
        if k >= t.len() {
            return None;
        }
        self.next += 1;
        let emitted = Emitted { key: t.keys[k], timestamp_ms: t.event_time_ms[k], size_bytes: t.size_bytes[k] };
        let next = (self.next < t.len()).then(|| self.due_ms(k + 1) - self.due_ms(k));
        Some((emitted, next))
    }
}

/// A source of records for one producer.
#[derive(Debug, Clone)]
pub enum Workload {
    Iot(IotWorkload),
    Table(TableWorkload),
}

impl Workload {
    /// The next record, emitted at `now`, and how long until the one after (`None` when the
    /// workload is exhausted).
    pub fn emit(&mut self, now_ms: u64) -> Option<(Emitted, Option<u64>)> {
        match self {
            Workload::Iot(w) => w.emit(now_ms),
            Workload::Table(w) => w.emit(),
        }
    }

    /// Milliseconds from the start of the run to the first record.
    pub fn first_delay_ms(&self) -> u64 {
        match self {
            Workload::Iot(w) => w.first_delay_ms(),
            Workload::Table(_) => 0,
        }
    }

    /// Whether every record has been emitted.
    pub fn is_exhausted(&self) -> bool {
        match self {
            Workload::Iot(w) => w.is_exhausted(),
            Workload::Table(w) => w.next >= w.table.len(),
        }
    }
}
