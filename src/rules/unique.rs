//! The `unique` rule's per-run state.

use ahash::{AHashMap, RandomState};

/// Values seen so far in one column, with the row where each first appeared.
///
/// Values are stored back to back in one arena and found through an
/// open-addressing table of 8-byte slots (32 bits of the value's hash and its
/// index), so recording a value allocates nothing per value, costs about 24
/// bytes plus its length, and usually touches one cache line of the table.
/// Values whose hash parts are equal are compared byte for byte, so the
/// answer is exact.
#[derive(Debug)]
pub(crate) struct UniqueSet {
    case_insensitive: bool,
    hasher: RandomState,
    /// `0` for empty, else `(hash >> 32) << 32 | (index + 1)`.
    slots: Vec<u64>,
    /// `(start in arena, row)`; a value ends where the next one starts.
    entries: Vec<(u64, u64)>,
    arena: Vec<u8>,
    /// Values past the table's 4-billion-value capacity.
    overflow: AHashMap<Box<[u8]>, u64>,
    /// The lower-case form of the current value.
    lower: Vec<u8>,
}

impl UniqueSet {
    pub fn new(case_insensitive: bool) -> UniqueSet {
        UniqueSet {
            case_insensitive,
            hasher: RandomState::new(),
            slots: vec![0; 1024],
            entries: Vec::new(),
            arena: Vec::new(),
            overflow: AHashMap::new(),
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
        if (self.entries.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let hash = self.hasher.hash_one(key);
        let tag = hash >> 32;
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                break;
            }
            if slot >> 32 == tag {
                let index = (slot as u32 - 1) as usize;
                if self.stored(index) == key {
                    return Some(self.entries[index].1);
                }
            }
            at = (at + 1) & mask;
        }
        let index = self.entries.len() as u64 + 1;
        if index > u64::from(u32::MAX) {
            return self.insert_overflow(key, row);
        }
        self.slots[at] = tag << 32 | index;
        self.entries.push((self.arena.len() as u64, row));
        self.arena.extend_from_slice(key);
        None
    }

    /// Doubles the table, placing every value again.
    #[cold]
    fn grow(&mut self) {
        let mut slots = vec![0u64; self.slots.len() * 2];
        let mask = slots.len() - 1;
        // In arena order: the values are read front to back.
        for index in 0..self.entries.len() {
            let hash = self.hasher.hash_one(self.stored(index));
            let mut at = hash as usize & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = (hash >> 32) << 32 | (index as u64 + 1);
        }
        self.slots = slots;
    }

    #[cold]
    fn insert_overflow(&mut self, key: &[u8], row: u64) -> Option<u64> {
        match self.overflow.get(key) {
            Some(&first) => Some(first),
            None => {
                self.overflow.insert(key.into(), row);
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
    fn equal_hash_tags_are_told_apart() {
        let mut set = UniqueSet::new(false);
        assert_eq!(set.insert("a", 2), None);
        // Put "a" where "b" goes, under the tag of "b": "b" must still be new.
        let b = set.hasher.hash_one(b"b".as_slice());
        let at = set.slots.iter().position(|s| *s != 0).unwrap();
        let index = set.slots[at] & 0xFFFF_FFFF;
        set.slots[at] = 0;
        let home = b as usize & (set.slots.len() - 1);
        set.slots[home] = (b >> 32) << 32 | index;
        assert_eq!(set.insert("b", 3), None);
        assert_eq!(set.insert("b", 4), Some(3));
    }

    #[test]
    fn many_values_survive_growth() {
        let mut set = UniqueSet::new(true);
        for i in 0..5_000u64 {
            assert_eq!(set.insert(&format!("User{i}@Example.com"), i + 2), None);
        }
        for i in (0..5_000u64).step_by(7) {
            assert_eq!(
                set.insert(&format!("user{i}@example.COM"), 9_999),
                Some(i + 2)
            );
        }
        assert_eq!(set.entries.len(), 5_000);
    }
}
