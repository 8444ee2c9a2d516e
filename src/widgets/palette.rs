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

/// The CSS class that paints an element in key `index`'s colour (`key-3`): the page's
/// Content-Security-Policy refuses inline styles, so `static/style.css` holds the same colours.
pub fn key_class(index: u32) -> String {
    format!("key-{}", index as usize % KEY_COLOURS.len())
}

/// The colour of a record without a key.
pub const NO_KEY: &str = "#bbbbbb";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_has_every_key_colour() {
        let css = include_str!("../../static/style.css");
        for (i, colour) in KEY_COLOURS.iter().enumerate() {
            let rule = format!(".key-{i} {{ background: {colour}; }}");
            assert!(css.contains(&rule), "static/style.css lacks `{rule}`");
        }
    }
}
