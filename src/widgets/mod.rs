//! Small reusable components and drawing helpers.

pub mod log_strip;
pub mod palette;
