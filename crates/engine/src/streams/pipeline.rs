//! A group's dataflow between its source topic and its window store: the record's fields as the
//! workload's schema parses them, the stateless steps (Kafka Streams' `filter` and `mapValues`),
//! and the aggregate function its windows compute over one field (`aggregate` with an
//! `Aggregator`; Spark's `groupBy(window, key).agg(...)`), with an alert when a key's value
//! rises above a threshold.

use super::aggregate::Payload;
use serde::Serialize;

/// The most fields a record can have: its workload's own and those `map` steps derive.
pub const MAX_FIELDS: usize = 8;

/// The largest `n` of a `top_n` aggregate.
pub const TOP_N_MAX: usize = 3;

/// The fields of each workload's records, in schema order: `iot`'s JSON readings, the taxi CSV's
/// `fare_amount` and the trip's duration (dropoff − pickup, s), the bids CSV's `bid` (USD).
pub fn workload_fields(workload: &str) -> &'static [&'static str] {
    match workload {
        "iot" => &["temperature_c", "humidity_pct"],
        "taxi" => &["fare_amount", "trip_duration_s"],
        "bids" => &["bid"],
        _ => &[],
    }
}

/// A record's field values, by schema index.
pub type Row = [f64; MAX_FIELDS];

/// The row of a record's payload (its workload's fields, then zeros for derived ones).
pub fn row_of(payload: &Payload) -> Row {
    let mut row = [0.0; MAX_FIELDS];
    match *payload {
        Payload::None => {}
        Payload::Iot { temperature_c, humidity_pct } => {
            row[0] = temperature_c;
            row[1] = humidity_pct;
        }
        Payload::Taxi { fare_amount, trip_duration_s } => {
            row[0] = fare_amount;
            row[1] = trip_duration_s;
        }
        Payload::Bid { bid } => row[0] = bid,
    }
    row
}

/// A comparison of a `filter` step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum CmpOp {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl CmpOp {
    /// `<`, `<=`, `>`, `>=`, `==` or `!=`.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
        }
    }
}

/// A stateless step, its fields resolved to row indexes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// `KStream.filter`: keep the record when `row[field] op value`.
    Filter { field: usize, op: CmpOp, value: f64 },
    /// `KStream.mapValues`: `row[to] = row[field] · multiply + add`.
    Map { field: usize, multiply: f64, add: f64, to: usize },
}

/// The function a window computes over its records' `field` (Kafka Streams' `Aggregator`,
/// Spark's `count`, `sum`, `min`, `max`, `avg`, `first`, `last`, and `max_by`-style top-N).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggregateFunction {
    /// The number of records.
    #[default]
    Count,
    Sum,
    Min,
    Max,
    /// The mean; the window keeps the sum, so that sessions merge exactly.
    Avg,
    /// The value of the record with the earliest event time (ties: the one processed first).
    /// By event time, not arrival, so that any order within the grace gives the same result
    /// (Spark's `first()` is by arrival and not deterministic).
    First,
    /// The value of the record with the latest event time (ties: the one processed last).
    Last,
    /// The `n` largest values, largest first.
    TopN,
}

impl AggregateFunction {
    /// The name in JSON: `count`, `sum`, ..., `top_n`.
    pub fn name(self) -> &'static str {
        match self {
            AggregateFunction::Count => "count",
            AggregateFunction::Sum => "sum",
            AggregateFunction::Min => "min",
            AggregateFunction::Max => "max",
            AggregateFunction::Avg => "avg",
            AggregateFunction::First => "first",
            AggregateFunction::Last => "last",
            AggregateFunction::TopN => "top_n",
        }
    }

    /// Every function, in the order above.
    pub const ALL: [AggregateFunction; 8] = [
        AggregateFunction::Count,
        AggregateFunction::Sum,
        AggregateFunction::Min,
        AggregateFunction::Max,
        AggregateFunction::Avg,
        AggregateFunction::First,
        AggregateFunction::Last,
        AggregateFunction::TopN,
    ];

    /// The function named `name`, if any.
    pub fn parse(name: &str) -> Option<AggregateFunction> {
        AggregateFunction::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// One window's accumulator for the aggregate function (its count is the window's own).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Acc {
    /// No aggregate function, or `count`.
    None,
    /// `sum` and `avg`.
    Sum(f64),
    Min(f64),
    Max(f64),
    /// Event time (ms) and value of the chosen record; the value is NaN before the first
    /// (kept flat rather than in an `Option`: every window carries an accumulator).
    First(u64, f64),
    Last(u64, f64),
    /// The `n` largest values so far, largest first, `len` of them.
    Top {
        n: u8,
        len: u8,
        values: [f64; TOP_N_MAX],
    },
}

impl Acc {
    /// The empty accumulator of `function` (`n` for `top_n`, 1 to [`TOP_N_MAX`]).
    pub fn new(function: AggregateFunction, n: u8) -> Acc {
        match function {
            AggregateFunction::Count => Acc::None,
            AggregateFunction::Sum | AggregateFunction::Avg => Acc::Sum(0.0),
            AggregateFunction::Min => Acc::Min(f64::INFINITY),
            AggregateFunction::Max => Acc::Max(f64::NEG_INFINITY),
            AggregateFunction::First => Acc::First(u64::MAX, f64::NAN),
            AggregateFunction::Last => Acc::Last(0, f64::NAN),
            AggregateFunction::TopN => Acc::Top { n: n.clamp(1, TOP_N_MAX as u8), len: 0, values: [0.0; TOP_N_MAX] },
        }
    }

    /// Adds a record of event time `ts` (ms) and value `v`.
    pub fn add(&mut self, ts: u64, v: f64) {
        match self {
            Acc::None => {}
            Acc::Sum(s) => *s += v,
            Acc::Min(m) => *m = m.min(v),
            Acc::Max(m) => *m = m.max(v),
            Acc::First(t, x) => {
                if ts < *t || x.is_nan() {
                    (*t, *x) = (ts, v);
                }
            }
            Acc::Last(t, x) => {
                if ts >= *t || x.is_nan() {
                    (*t, *x) = (ts, v);
                }
            }
            Acc::Top { n, len, values } => {
                let (n, l) = (*n as usize, *len as usize);
                let at = values[..l].iter().position(|&x| v > x).unwrap_or(l);
                if at < n {
                    let end = l.min(n - 1);
                    values.copy_within(at..end, at + 1);
                    values[at] = v;
                    *len = (l + 1).min(n) as u8;
                }
            }
        }
    }

    /// Folds in the accumulator of a session merged into this one (the session `Merger`);
    /// `other` is of the same function.
    pub fn merge(&mut self, other: &Acc) {
        match (self, other) {
            (Acc::Sum(a), Acc::Sum(b)) => *a += b,
            (Acc::Min(a), Acc::Min(b)) => *a = a.min(*b),
            (Acc::Max(a), Acc::Max(b)) => *a = a.max(*b),
            (Acc::First(at, a), Acc::First(t, v)) if !v.is_nan() && (*t < *at || a.is_nan()) => (*at, *a) = (*t, *v),
            (Acc::Last(at, a), Acc::Last(t, v)) if !v.is_nan() && (*t > *at || a.is_nan()) => (*at, *a) = (*t, *v),
            (a @ Acc::Top { .. }, Acc::Top { len, values, .. }) => {
                for &v in &values[..*len as usize] {
                    a.add(0, v);
                }
            }
            _ => {}
        }
    }

    /// The aggregate's value for a window of `count` records: the count, sum, minimum, ...;
    /// for `top_n` the largest value. `None` for a window with no records.
    pub fn value(&self, count: u64) -> Option<f64> {
        if count == 0 {
            return None;
        }
        match *self {
            Acc::None => Some(count as f64),
            Acc::Sum(s) => Some(s),
            Acc::Min(m) | Acc::Max(m) => Some(m),
            Acc::First(_, v) | Acc::Last(_, v) => (!v.is_nan()).then_some(v),
            Acc::Top { len, values, .. } => (len > 0).then_some(values[0]),
        }
    }

    /// The `top_n` values, largest first (empty for other functions).
    pub fn top(&self) -> &[f64] {
        match self {
            Acc::Top { len, values, .. } => &values[..*len as usize],
            _ => &[],
        }
    }
}

/// A group's dataflow: its steps and the aggregate function its windows compute.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataflow {
    /// Field names by row index: the workload's, then those `map` steps derive.
    pub fields: Vec<String>,
    pub steps: Vec<Step>,
    pub function: AggregateFunction,
    /// The field the function reads (unused by `count`).
    pub field: usize,
    /// `top_n`'s n.
    pub n: u8,
    /// Alert when a key's latest window's value rises above this.
    pub alert_above: Option<f64>,
    /// Records each `filter` step dropped, by step index (0 for `map` steps).
    pub dropped_by_step: Vec<u64>,
}

impl Dataflow {
    /// A dataflow with no steps, counting records.
    pub fn counting(fields: &[&str]) -> Dataflow {
        Dataflow {
            fields: fields.iter().map(|f| f.to_string()).collect(),
            steps: vec![],
            function: AggregateFunction::Count,
            field: 0,
            n: 1,
            alert_above: None,
            dropped_by_step: vec![],
        }
    }

    /// Whether records' field values are needed: a step or a function reads them.
    pub fn reads_fields(&self) -> bool {
        !self.steps.is_empty() || self.function != AggregateFunction::Count
    }

    /// An empty accumulator for a new window.
    pub fn acc(&self) -> Acc {
        Acc::new(self.function, self.n)
    }

    /// Runs the steps on `row`; returns the aggregate's input value, or `None` when a filter
    /// dropped the record (counted in [`Dataflow::dropped_by_step`]).
    pub fn apply(&mut self, row: &mut Row) -> Option<f64> {
        for (i, step) in self.steps.iter().enumerate() {
            match *step {
                Step::Filter { field, op, value } => {
                    if !op.holds(row[field], value) {
                        self.dropped_by_step[i] += 1;
                        return None;
                    }
                }
                Step::Map { field, multiply, add, to } => row[to] = row[field] * multiply + add,
            }
        }
        Some(row[self.field])
    }

    /// Records the filters dropped.
    pub fn filtered(&self) -> u64 {
        self.dropped_by_step.iter().sum()
    }

    /// The aggregate in words, `avg(temperature_c)`, `count()`, `top_3(bid)`.
    pub fn describe(&self) -> String {
        match self.function {
            AggregateFunction::Count => "count()".into(),
            AggregateFunction::TopN => format!("top_{}({})", self.n, self.fields[self.field]),
            f => format!("{}({})", f.name(), self.fields[self.field]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(f: AggregateFunction, n: u8, records: &[(u64, f64)]) -> Acc {
        let mut a = Acc::new(f, n);
        for &(t, v) in records {
            a.add(t, v);
        }
        a
    }

    const RECORDS: [(u64, f64); 5] = [(30, 4.0), (10, 7.5), (50, 1.0), (10, 9.0), (50, 2.0)];

    #[test]
    fn each_function_over_the_same_records() {
        let value = |f, n| fold(f, n, &RECORDS).value(5);
        assert_eq!(value(AggregateFunction::Count, 1), Some(5.0));
        assert_eq!(value(AggregateFunction::Sum, 1), Some(23.5));
        assert_eq!(value(AggregateFunction::Min, 1), Some(1.0));
        assert_eq!(value(AggregateFunction::Max, 1), Some(9.0));
        // Avg keeps the sum: the window divides by its count.
        assert_eq!(value(AggregateFunction::Avg, 1), Some(23.5));
        // Earliest event time 10: the first processed of the two; latest 50: the last processed.
        assert_eq!(value(AggregateFunction::First, 1), Some(7.5));
        assert_eq!(value(AggregateFunction::Last, 1), Some(2.0));
        assert_eq!(fold(AggregateFunction::TopN, 3, &RECORDS).top(), [9.0, 7.5, 4.0]);
        assert_eq!(fold(AggregateFunction::TopN, 3, &RECORDS[..2]).top(), [7.5, 4.0]);
        assert_eq!(Acc::new(AggregateFunction::Max, 1).value(0), None);
    }

    #[test]
    fn an_accumulator_is_at_most_32_bytes() {
        // Every window carries one, whatever the function.
        assert!(std::mem::size_of::<Acc>() <= 32, "{}", std::mem::size_of::<Acc>());
    }

    #[test]
    fn merging_two_sessions_equals_folding_all_their_records() {
        for f in AggregateFunction::ALL {
            let (a, b) = RECORDS.split_at(2);
            let mut left = fold(f, 3, a);
            left.merge(&fold(f, 3, b));
            let whole = fold(f, 3, &RECORDS);
            assert_eq!((left.value(5), left.top()), (whole.value(5), whole.top()), "{}", f.name());
        }
    }

    #[test]
    fn steps_filter_and_derive_fields() {
        let mut d = Dataflow::counting(&["temperature_c", "humidity_pct"]);
        d.fields.push("temperature_f".into());
        d.steps = vec![
            Step::Map { field: 0, multiply: 1.8, add: 32.0, to: 2 },
            Step::Filter { field: 2, op: CmpOp::Ge, value: 70.0 },
        ];
        d.dropped_by_step = vec![0, 0];
        d.function = AggregateFunction::Avg;
        d.field = 2;
        let mut warm = row_of(&Payload::Iot { temperature_c: 25.0, humidity_pct: 40.0 });
        assert_eq!(d.apply(&mut warm), Some(77.0));
        let mut cold = row_of(&Payload::Iot { temperature_c: 20.0, humidity_pct: 40.0 });
        assert_eq!(d.apply(&mut cold), None);
        assert_eq!((d.filtered(), d.dropped_by_step.as_slice()), (1, &[0, 1][..]));
        assert_eq!(d.describe(), "avg(temperature_f)");
    }
}
