//! Small reusable components and drawing helpers.

pub mod copy_dialog;
pub mod log_strip;
pub mod palette;
pub mod tabs;

/// `ms` as a reader says it, in the largest unit that divides it: `200 ms`, `15 min`, `12 h`,
/// `1 d`, `2.5 s`.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms} ms");
    }
    const UNITS: [(u64, &str); 4] = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1000, "s")];
    UNITS
        .iter()
        .find(|(unit, _)| ms.is_multiple_of(*unit))
        .map_or_else(|| format!("{} s", ms as f64 / 1000.0), |(unit, name)| format!("{} {name}", ms / unit))
}
