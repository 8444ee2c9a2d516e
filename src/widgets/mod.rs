//! Small reusable components and drawing helpers.

pub mod copy_dialog;
pub mod log_strip;
pub mod palette;
pub mod tabs;
