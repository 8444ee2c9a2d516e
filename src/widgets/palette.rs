//! Colours for record keys: Okabe–Ito's colour-blind-safe eight, then Paul Tol's muted set, so
//! that neighbouring keys stay distinguishable for readers with colour-vision deficiencies.

const KEY_COLOURS: [&str; 16] = [
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999", "#332288", "#88CCEE",
    "#44AA99", "#117733", "#DDCC77", "#CC6677", "#AA4499", "#882255",
];

/// The colour of key `index` (keys past 16 reuse colours).
pub fn key_colour(index: u32) -> &'static str {
    KEY_COLOURS[index as usize % KEY_COLOURS.len()]
}

/// The colour of a record without a key.
pub const NO_KEY: &str = "#bbbbbb";
