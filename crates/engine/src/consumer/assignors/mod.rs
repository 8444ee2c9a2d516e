//! Partition assignors the group leader runs during a rebalance. They see only the members'
//! subscriptions and the partition counts, never the coordinator.

mod range;

pub use range::range_assign;
