//! Hash maps keyed by names, with a small fast hash (FxHash's rotate, xor and multiply, as rustc
//! and rust-analyzer use it) instead of the standard library's SipHash: names in a Dockerfile
//! are short, and the keyed hash's code was a kilobyte of the browser build per key type. (Not
//! resistant to keys chosen to collide; a file built so only makes its own analysis slower.)

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The hasher: one multiply per eight bytes.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let mut last = [0u8; 8];
        let rest = chunks.remainder();
        last[..rest.len()].copy_from_slice(rest);
        // The length in the top byte, which the padding always leaves zero (`c` and `` `\0``
        // differ).
        self.add(u64::from_le_bytes(last) | (rest.len() as u64) << 56);
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// The multiply mixes upwards: its low bits, which pick a map's bucket, depend only on the
    /// input's low bits. Rotated, the well-mixed high bits pick it (as rustc-hash 2 does).
    fn finish(&self) -> u64 {
        self.hash.rotate_left(26)
    }
}

/// A `HashMap` with [`FxHasher`] (made with `Map::default()`).
pub type Map<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A `HashSet` with [`FxHasher`].
pub type Set<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash(v: impl Hash) -> u64 {
        BuildHasherDefault::<FxHasher>::default().hash_one(v)
    }

    #[test]
    fn names_that_differ_hash_apart() {
        // Lengths that share a last word, a prefix, a byte in the padding, empty.
        let names = ["", "a", "a\0", "ab", "build", "build-", "builder12", "builder13", "xxxxxxxxxxxxxxxx", "xxxxxxxx"];
        let hashes: Vec<u64> = names.iter().map(hash).collect();
        for i in 0..names.len() {
            for j in 0..i {
                assert_ne!(hashes[i], hashes[j], "{:?} {:?}", names[i], names[j]);
            }
        }
        let mut m: Map<String, usize> = Map::default();
        for (i, n) in names.iter().enumerate() {
            m.insert(n.to_string(), i);
        }
        assert!(names.iter().enumerate().all(|(i, n)| m.get(*n) == Some(&i)));
    }

    /// The bits a map takes its bucket from are spread for names alike but for their ends
    /// (`s0` to `s9999`): of 4,096 buckets, a good hash fills about 3,700.
    #[test]
    fn low_bits_spread_names_that_share_a_start() {
        let mut buckets = vec![false; 4096];
        for i in 0..10_000 {
            buckets[(hash(format!("s{i}").as_str()) & 4095) as usize] = true;
        }
        let filled = buckets.iter().filter(|&&b| b).count();
        assert!(filled > 3_400, "{filled} of 4096 buckets");
    }
}
