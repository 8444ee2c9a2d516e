//! docs/scenario.md lists every config key the engine simulates, with its Kafka default.

use streamlab_engine::config::{BROKER_CONFIGS, CONSUMER_CONFIGS, PRODUCER_CONFIGS, TOPIC_CONFIGS};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const DOC: &str = include_str!("../../../docs/scenario.md");

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_doc_lists_every_config_key_with_its_default() {
    for (scope, table) in [
        ("producer", PRODUCER_CONFIGS),
        ("consumer", CONSUMER_CONFIGS),
        ("topic", TOPIC_CONFIGS),
        ("broker", BROKER_CONFIGS),
    ] {
        for def in table {
            let default = if def.name == "client.id" { "producer-N" } else { def.default };
            let row = format!("| {scope} | `{}` | {default} |", def.name);
            assert!(DOC.contains(&row), "docs/scenario.md lacks the row starting {row}");
        }
    }
}
