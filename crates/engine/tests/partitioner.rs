//! Keyed partitioning equals Kafka's Java client: `Utils.toPositive(Utils.murmur2(key)) % n`.
//! The murmur2 values are those of Kafka's own `UtilsTest.testMurmur2`.

use streamlab_engine::producer::partitioner::{murmur2, partition_for_key, to_positive};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const KAFKA_MURMUR2: [(&str, i32); 6] = [
    ("21", -973932308),
    ("foobar", -790332482),
    ("a-little-bit-long-string", -985981536),
    ("a-little-bit-longer-string", -1486304829),
    ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    ("abc", 479470107),
];

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn murmur2_matches_kafka() {
    for (key, expected) in KAFKA_MURMUR2 {
        assert_eq!(murmur2(key.as_bytes()), expected, "murmur2({key})");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn partitions_match_kafka_formula() {
    // toPositive(murmur2) % 6 and % 3, worked from Kafka's murmur2 values above.
    let expected_6 = [0, 0, 2, 5, 5, 3];
    let expected_3 = [0, 0, 2, 2, 2, 0];
    for (i, (key, hash)) in KAFKA_MURMUR2.iter().enumerate() {
        assert_eq!(to_positive(*hash) % 6, expected_6[i], "{key} % 6");
        assert_eq!(partition_for_key(key.as_bytes(), 6), expected_6[i], "{key} over 6 partitions");
        assert_eq!(partition_for_key(key.as_bytes(), 3), expected_3[i], "{key} over 3 partitions");
        assert_eq!(partition_for_key(key.as_bytes(), 1), 0);
    }
}
