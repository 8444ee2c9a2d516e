//! Kafka's keyed partitioning, exactly as the Java client's `BuiltInPartitioner.partitionForKey`:
//! `Utils.toPositive(Utils.murmur2(keyBytes)) % numPartitions`.

/// Kafka's `Utils.murmur2`: MurmurHash2, 32-bit, seed `0x9747b28c`, little-endian 4-byte blocks.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len() as u32;
    let mut h: u32 = SEED ^ length;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    // The Java switch falls through from case 3 to case 1.
    if rest.len() >= 3 {
        h ^= (rest[2] as u32) << 16;
    }
    if rest.len() >= 2 {
        h ^= (rest[1] as u32) << 8;
    }
    if !rest.is_empty() {
        h ^= rest[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on `i32::MIN`).
pub fn to_positive(n: i32) -> u32 {
    (n & 0x7fff_ffff) as u32
}

/// The partition of a keyed record: `toPositive(murmur2(key)) % partitions`. `partitions` ≥ 1.
pub fn partition_for_hash(murmur2_hash: i32, partitions: u32) -> u32 {
    to_positive(murmur2_hash) % partitions
}

/// The partition for a key's bytes.
pub fn partition_for_key(key: &[u8], partitions: u32) -> u32 {
    partition_for_hash(murmur2(key), partitions)
}
