//! The `unique` rule's per-run state.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};

use ahash::{AHashMap, RandomState};

/// The keys of `by_hash` are already hashes: use them as they are.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Values seen so far in one column, with the row where each first appeared.
///
/// Values are stored back to back in one arena and found through their
/// 64-bit hash, so recording a value allocates nothing per value and costs
/// about 40 bytes plus its length. Two different values with the same hash
/// (vanishingly rare) are told apart by the `collisions` map.
#[derive(Debug)]
pub(crate) struct UniqueSet {
    case_insensitive: bool,
    hasher: RandomState,
    /// Hash of a value -> index in `entries`.
    by_hash: HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>,
    /// `(start in arena, row)`; a value ends where the next one starts.
    entries: Vec<(u64, u64)>,
    arena: Vec<u8>,
    collisions: AHashMap<Box<[u8]>, u64>,
    /// The lower-case form of the current value.
    lower: Vec<u8>,
}

impl UniqueSet {
    pub fn new(case_insensitive: bool) -> UniqueSet {
        UniqueSet {
            case_insensitive,
            hasher: RandomState::new(),
            by_hash: HashMap::default(),
            entries: Vec::new(),
            arena: Vec::new(),
            collisions: AHashMap::new(),
            lower: Vec::new(),
        }
    }

    fn stored(&self, index: usize) -> &[u8] {
        let start = self.entries[index].0 as usize;
        let end = self
            .entries
            .get(index + 1)
            .map_or(self.arena.len(), |e| e.0 as usize);
        &self.arena[start..end]
    }

    /// Records `value` at `row`; returns the earlier row if it was seen before.
    pub fn insert(&mut self, value: &str, row: u64) -> Option<u64> {
        let mut lower = std::mem::take(&mut self.lower);
        let key: &[u8] = if !self.case_insensitive {
            value.as_bytes()
        } else {
            lower.clear();
            if value.is_ascii() {
                lower.extend_from_slice(value.as_bytes());
                lower.make_ascii_lowercase();
            } else {
                lower.extend_from_slice(value.to_lowercase().as_bytes());
            }
            &lower
        };
        let found = self.insert_key(key, row);
        self.lower = lower;
        found
    }

    fn insert_key(&mut self, key: &[u8], row: u64) -> Option<u64> {
        let hash = self.hasher.hash_one(key);
        let next = u32::try_from(self.entries.len()).ok();
        match (self.by_hash.entry(hash), next) {
            (Entry::Occupied(slot), _) => {
                let index = *slot.get() as usize;
                if self.stored(index) == key {
                    return Some(self.entries[index].1);
                }
                self.insert_collision(key, row)
            }
            (Entry::Vacant(slot), Some(index)) => {
                slot.insert(index);
                self.entries.push((self.arena.len() as u64, row));
                self.arena.extend_from_slice(key);
                None
            }
            // Past 4 billion values: keep going, one allocation per value.
            (Entry::Vacant(_), None) => self.insert_collision(key, row),
        }
    }

    #[cold]
    fn insert_collision(&mut self, key: &[u8], row: u64) -> Option<u64> {
        match self.collisions.get(key) {
            Some(&first) => Some(first),
            None => {
                self.collisions.insert(key.into(), row);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_row_is_remembered() {
        let mut set = UniqueSet::new(true);
        assert_eq!(set.insert("a@x.com", 2), None);
        assert_eq!(set.insert("A@X.COM", 5), Some(2));
        assert_eq!(set.insert("a@x.com", 7), Some(2));
        let mut strict = UniqueSet::new(false);
        assert_eq!(strict.insert("E1", 2), None);
        assert_eq!(strict.insert("e1", 3), None);
        assert_eq!(strict.insert("E1", 4), Some(2));
    }

    #[test]
    fn long_and_non_ascii_values() {
        let long = "x".repeat(47);
        let mut set = UniqueSet::new(true);
        assert_eq!(set.insert(&long, 2), None);
        assert_eq!(set.insert(&long.to_uppercase(), 3), Some(2));
        assert_eq!(set.insert(&long[..46], 4), None);
        assert_eq!(set.insert(&long[..46].to_uppercase(), 5), Some(4));
        assert_eq!(set.insert("ÉLODIE@example.com", 6), None);
        assert_eq!(set.insert("élodie@EXAMPLE.com", 7), Some(6));
        assert_eq!(set.insert("", 8), None);
        assert_eq!(set.insert("", 9), Some(8));
    }

    #[test]
    fn hash_collisions_are_told_apart() {
        let mut set = UniqueSet::new(false);
        assert_eq!(set.insert("a", 2), None);
        // Force a collision: file "b" under "a"'s hash.
        let hash = set.hasher.hash_one(b"b".as_slice());
        let a = set
            .by_hash
            .remove(&set.hasher.hash_one(b"a".as_slice()))
            .unwrap();
        set.by_hash.insert(hash, a);
        assert_eq!(set.insert("b", 3), None);
        assert_eq!(set.insert("b", 4), Some(3));
        assert_eq!(set.insert("a", 5), None);
        assert_eq!(set.collisions.len(), 1);
    }
}
