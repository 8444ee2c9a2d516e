//! Workloads: the event streams producers send (IoT sensor readings today; taxi trips and auction
//! bids next), and the table of record keys they use. It must not know about brokers or consumers.

mod iot;

pub use iot::IotWorkload;

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

    pub fn name(&self, key: crate::ids::KeyId) -> &str {
        &self.names[key.0 as usize]
    }

    /// `Utils.murmur2(key.getBytes(UTF_8))` of the key.
    pub fn murmur2(&self, key: crate::ids::KeyId) -> i32 {
        self.murmur2[key.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

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

/// A source of records for one producer.
#[derive(Debug, Clone)]
pub enum Workload {
    Iot(IotWorkload),
}

impl Workload {
    /// The next record, emitted at `now`, and how long until the one after (`None` when the
    /// workload is exhausted).
    pub fn emit(&mut self, now_ms: u64) -> Option<(Emitted, Option<u64>)> {
        match self {
            Workload::Iot(w) => w.emit(now_ms),
        }
    }

    /// Milliseconds from the start of the run to the first record.
    pub fn first_delay_ms(&self) -> u64 {
        match self {
            Workload::Iot(w) => w.first_delay_ms(),
        }
    }
}
