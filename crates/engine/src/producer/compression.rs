//! `compression.type`: each batch's records are compressed with the real codec (pure-Rust
//! crates: miniz_oxide for gzip, snap for snappy, lz4_flex for lz4, ruzstd for zstd) to learn
//! the batch's size on the wire and in the log, and the producer estimates the ratio while a
//! batch fills, as the Java client's `CompressionRatioEstimator` does. It must not know about
//! nodes or the network.

use serde::Serialize;

/// Kafka's `compression.type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompressionType {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

/// Kafka's `CompressionRatioEstimator.COMPRESSION_RATIO_IMPROVING_STEP` and `..._DETERIORATE_STEP`.
const IMPROVING_STEP: f64 = 0.005;
const DETERIORATE_STEP: f64 = 0.05;
/// Kafka's `MemoryRecordsBuilder.COMPRESSION_RATE_ESTIMATION_FACTOR`: estimates err on the big side.
pub const ESTIMATION_FACTOR: f64 = 1.05;

impl CompressionType {
    /// The type named `name` (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
    pub fn parse(name: &str) -> Option<CompressionType> {
        Some(match name {
            "none" => CompressionType::None,
            "gzip" => CompressionType::Gzip,
            "snappy" => CompressionType::Snappy,
            "lz4" => CompressionType::Lz4,
            "zstd" => CompressionType::Zstd,
            _ => return None,
        })
    }

    /// Its name as Kafka spells it.
    pub fn name(self) -> &'static str {
        match self {
            CompressionType::None => "none",
            CompressionType::Gzip => "gzip",
            CompressionType::Snappy => "snappy",
            CompressionType::Lz4 => "lz4",
            CompressionType::Zstd => "zstd",
        }
    }

    /// How far the size computed here is from Kafka's, in words; `None` when it is the codec
    /// at Kafka's default level. The pure-Rust lz4 has one level (Kafka's default is 9) and
    /// the pure-Rust zstd encoder only level 1 (Kafka's default is 3): their sizes are
    /// estimates, somewhat larger than Kafka's.
    pub fn estimated(self) -> Option<&'static str> {
        match self {
            CompressionType::Lz4 => Some("lz4 at lz4_flex's single fast level, not Kafka's default level 9"),
            CompressionType::Zstd => Some("zstd at level 1 (ruzstd's only level), not Kafka's default level 3"),
            _ => None,
        }
    }

    /// The compressed size of `data`, bytes (with the codec's frame, as Kafka writes it).
    pub fn compressed_len(self, data: &[u8]) -> usize {
        match self {
            CompressionType::None => data.len(),
            // gzip: a 10-byte header and an 8-byte trailer around deflate at level 6
            // (Kafka's default gzip level, -1, is zlib's 6).
            CompressionType::Gzip => 18 + miniz_oxide::deflate::compress_to_vec(data, 6).len(),
            CompressionType::Snappy => snap::raw::Encoder::new().compress_vec(data).map_or(data.len(), |v| v.len()),
            CompressionType::Lz4 => {
                use std::io::Write as _;
                let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
                match e.write_all(data).map_err(|_| ()).and_then(|_| e.finish().map_err(|_| ())) {
                    Ok(v) => v.len(),
                    Err(()) => data.len(),
                }
            }
            CompressionType::Zstd => {
                ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest).len()
            }
        }
    }
}

/// Kafka's `CompressionRatioEstimator` for one topic: starts at 1, moves towards each
/// observed ratio, fast when compression got worse and slowly when it got better.
pub fn update_estimate(estimate: f64, observed: f64) -> f64 {
    if observed > estimate {
        (estimate + DETERIORATE_STEP).max(observed)
    } else if observed < estimate {
        (estimate - IMPROVING_STEP).max(observed)
    } else {
        estimate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_shrinks_repetitive_json_and_none_keeps_it() {
        let data: Vec<u8> = (0..500)
            .flat_map(|i| format!("{{\"device\":\"sensor-{:02}\",\"ts\":{}}}", i % 12, 1_000 * i).into_bytes())
            .collect();
        assert_eq!(CompressionType::None.compressed_len(&data), data.len());
        for c in [CompressionType::Gzip, CompressionType::Snappy, CompressionType::Lz4, CompressionType::Zstd] {
            let n = c.compressed_len(&data);
            assert!(n < data.len() / 2, "{}: {n} of {}", c.name(), data.len());
        }
        assert_eq!(CompressionType::parse("zstd"), Some(CompressionType::Zstd));
        assert_eq!(CompressionType::parse("brotli"), None);
    }

    #[test]
    fn the_estimate_worsens_fast_and_improves_slowly() {
        assert_eq!(update_estimate(1.0, 0.3), 0.995);
        assert_eq!(update_estimate(0.3, 0.5), 0.5);
        assert!((update_estimate(0.3, 0.32) - 0.35).abs() < 1e-12);
    }
}
