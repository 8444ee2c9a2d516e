//! Stream processing on top of the consumer group: what the group's application does with each
//! record it processes: stateless steps (filter, map) and an aggregate function over a field,
//! per-key windowed aggregation with Kafka Streams' time (tumbling,
//! hopping), sliding and session windows, grace periods and a late output; and dedupe by id, by
//! processing order against event time; window stores backed by a changelog topic. It knows records and
//! their payloads, never the brokers or the group protocol.

pub mod aggregate;
pub mod dedupe;
pub mod pipeline;
pub mod store;
pub mod windows;

pub use aggregate::{Aggregation, Alert, LateRecord, Outcome, Payload, WindowAggregate, WindowedAggregator};
pub use dedupe::{Dedupe, Kept};
pub use pipeline::{Acc, AggregateFunction, CmpOp, Dataflow, Step};
pub use store::{ChangelogStore, Restore};
pub use windows::{watermark, EmitStrategy, WatermarkSpec, Windows};
