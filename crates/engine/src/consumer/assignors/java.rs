//! The few pieces of Java's standard library whose exact behaviour decides ties in Kafka's
//! assignors: `String.compareTo` (UTF-16 code units), `String.hashCode`,
//! `TopicPartition.hashCode`, and the iteration order of `java.util.HashMap` / `HashSet`.
//! Knows nothing about assignors.

use std::cmp::Ordering;

/// `String.compareTo`: lexicographic over UTF-16 code units. It differs from Rust's byte order
/// only when a string holds characters above U+FFFF next to characters in U+E000..=U+FFFF.
pub(super) fn compare(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `String.hashCode`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, wrapping.
pub(super) fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `TopicPartition.hashCode`: `31 * (31 + partition) + topic.hashCode()`, wrapping.
pub(super) fn topic_partition_hash(topic_hash: i32, partition: u32) -> i32 {
    31i32.wrapping_mul(31i32.wrapping_add(partition as i32)).wrapping_add(topic_hash)
}

/// `HashMap.hash`: the key's hash code with its high half folded into the low half.
fn spread(hash: i32) -> u32 {
    let h = hash as u32;
    h ^ (h >> 16)
}

/// `HashMap.tableSizeFor`: the smallest power of two at least `n` (and at least 1).
#[cfg(test)]
fn table_size_for(n: usize) -> usize {
    n.max(1).next_power_of_two()
}

/// `java.util.HashMap` reduced to what decides its iteration order: a table of buckets, each
/// bucket a list in insertion order, grown by `resize()` exactly as Java grows it (load factor
/// 0.75, the initial capacity kept in the threshold until the first insertion, a bucket of more
/// than eight entries in a table under 64 forcing a resize). Iteration goes bucket by bucket,
/// each bucket in list order, as `HashMap.entrySet().iterator()` does.
///
/// Not reproduced: Java turns a bucket of more than eight entries into a red-black tree once the
/// table has 64 buckets (growing a smaller table first), which changes that bucket's order. It
/// takes nine keys in one bucket of a table of 64 or more, so nine keys whose spread hash codes
/// agree in at least their low six bits: member ids of a group, or partitions of one topic moved
/// between the same two members, that random ids make very unlikely.
#[derive(Debug, Clone)]
pub(super) struct JavaHashMap<K, V> {
    table: Vec<Vec<(u32, K, V)>>,
    threshold: usize,
    size: usize,
}

impl<K: PartialEq, V> JavaHashMap<K, V> {
    /// `new HashMap<>()`: 16 buckets at the first insertion.
    pub(super) fn new() -> Self {
        JavaHashMap { table: Vec::new(), threshold: 0, size: 0 }
    }

    /// `new HashMap<>(initialCapacity)`.
    #[cfg(test)]
    pub(super) fn with_capacity(initial_capacity: usize) -> Self {
        JavaHashMap { table: Vec::new(), threshold: table_size_for(initial_capacity), size: 0 }
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.size
    }

    pub(super) fn is_empty(&self) -> bool {
        self.size == 0
    }

    fn index(&self, spread_hash: u32) -> usize {
        spread_hash as usize & (self.table.len() - 1)
    }

    /// `HashMap.resize()`.
    fn resize(&mut self) {
        let old_cap = self.table.len();
        let old_threshold = self.threshold;
        let (new_cap, mut new_threshold) = if old_cap > 0 {
            (old_cap * 2, if old_cap >= 16 { old_threshold * 2 } else { 0 })
        } else if old_threshold > 0 {
            (old_threshold, 0)
        } else {
            (16, 12)
        };
        if new_threshold == 0 {
            new_threshold = (new_cap as f32 * 0.75) as usize;
        }
        self.threshold = new_threshold;
        let old = std::mem::replace(&mut self.table, (0..new_cap).map(|_| Vec::new()).collect());
        // Splitting keeps each bucket's relative order: entries stay at j or move to j + old_cap.
        for bucket in old {
            for (h, k, v) in bucket {
                let i = h as usize & (new_cap - 1);
                self.table[i].push((h, k, v));
            }
        }
    }

    /// `HashMap.put(key, value)` for a key whose `hashCode()` is `hash`: replaces the value in
    /// place (its position unchanged) or appends the key to its bucket.
    pub(super) fn insert(&mut self, hash: i32, key: K, value: V) -> Option<V> {
        if self.table.is_empty() {
            self.resize();
        }
        let h = spread(hash);
        let i = self.index(h);
        if let Some(e) = self.table[i].iter_mut().find(|e| e.0 == h && e.1 == key) {
            return Some(std::mem::replace(&mut e.2, value));
        }
        let bin_count_before = self.table[i].len();
        self.table[i].push((h, key, value));
        // putVal: appending to a bucket that already held TREEIFY_THRESHOLD (8) entries calls
        // treeifyBin, which resizes instead while the table is under MIN_TREEIFY_CAPACITY (64).
        if bin_count_before >= 8 && self.table.len() < 64 {
            self.resize();
        }
        self.size += 1;
        if self.size > self.threshold {
            self.resize();
        }
        None
    }

    #[cfg(test)]
    pub(super) fn get(&self, hash: i32, key: &K) -> Option<&V> {
        if self.table.is_empty() {
            return None;
        }
        let h = spread(hash);
        self.table[self.index(h)].iter().find(|e| e.0 == h && &e.1 == key).map(|e| &e.2)
    }

    pub(super) fn get_mut(&mut self, hash: i32, key: &K) -> Option<&mut V> {
        if self.table.is_empty() {
            return None;
        }
        let h = spread(hash);
        let i = self.index(h);
        self.table[i].iter_mut().find(|e| e.0 == h && &e.1 == key).map(|e| &mut e.2)
    }

    /// `HashMap.remove(key)`: unlinks the entry; the others keep their order, the table its size.
    pub(super) fn remove(&mut self, hash: i32, key: &K) -> Option<V> {
        if self.table.is_empty() {
            return None;
        }
        let h = spread(hash);
        let i = self.index(h);
        let pos = self.table[i].iter().position(|e| e.0 == h && &e.1 == key)?;
        self.size -= 1;
        Some(self.table[i].remove(pos).2)
    }

    /// Entries in Java's iteration order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.table.iter().flatten().map(|(_, k, v)| (k, v))
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hash_matches_java() {
        // Values of "...".hashCode() on a JVM.
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("topic"), 110_546_223);
        assert_eq!(string_hash("consumer1"), -421_004_549);
        assert_eq!(string_hash("hello world"), 1_794_106_052);
    }

    #[test]
    fn compare_is_utf16_order() {
        assert_eq!(compare("a", "b"), Ordering::Less);
        assert_eq!(compare("consumer10", "consumer2"), Ordering::Less);
        assert_eq!(compare("B", "a"), Ordering::Less);
        // U+FF61 is one code unit 0xFF61; U+1F600 is the surrogates 0xD83D 0xDE00: Java puts the
        // emoji first, Rust's byte order puts it last.
        assert_eq!(compare("\u{1F600}", "\u{FF61}"), Ordering::Less);
        assert_eq!("\u{1F600}".cmp("\u{FF61}"), Ordering::Greater);
    }

    #[test]
    fn hash_map_iterates_by_bucket_then_insertion() {
        // Hash codes 1, 17 and 33 share bucket 1 of 16 and stay in insertion order; 0 is first.
        let mut m = JavaHashMap::new();
        for k in [33, 1, 17, 0] {
            m.insert(k, k, ());
        }
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), [0, 33, 1, 17]);
        // The 13th key resizes to 32 buckets: 33 and 1 stay in bucket 1, 17 moves to 17.
        for k in 100..109 {
            m.insert(k, k, ());
        }
        let order: Vec<i32> = m.keys().copied().collect();
        assert_eq!(&order[..3], &[0, 33, 1]);
        assert!(order.iter().position(|&k| k == 17) > order.iter().position(|&k| k == 1));
        assert_eq!(m.remove(1, &1), Some(()));
        assert_eq!(m.len(), 12);
        assert_eq!(m.get(33, &33), Some(&()));
    }

    #[test]
    fn initial_capacity_is_kept_until_the_first_insertion() {
        // new HashMap<>(3): 4 buckets, so hash codes 0 and 4 share bucket 0 and 1 comes after.
        let mut m = JavaHashMap::with_capacity(3);
        for k in [1, 4, 0] {
            m.insert(k, k, ());
        }
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), [4, 0, 1]);
        // A fourth key passes the threshold of 3 and doubles the table to 8.
        m.insert(5, 5, ());
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), [0, 1, 4, 5]);
    }
}
