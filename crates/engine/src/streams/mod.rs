//! Stream processing on top of the consumer group: what the group's application does with each
//! record it processes. Today: a per-key tumbling event-time window with a grace period and
//! aggregates (Kafka Streams `TimeWindows.ofSizeAndGrace` + `aggregate`). It knows records and
//! their payloads, never the brokers or the group protocol.

pub mod windows;

pub use windows::{Aggregation, TumblingWindows, WindowAggregate, WindowedAggregator};
