//! The `unique` rule's per-run state.

use std::hash::{BuildHasher, Hasher};

use ahash::{AHashMap, RandomState};

/// How one column's values are compared for the `unique` rule (exactly or
/// ignoring case) and hashed. Cloned to every thread of a run, so keys can be
/// hashed where the row is checked and only probed in input order.
#[derive(Clone, Debug)]
pub(crate) struct KeyHasher {
    case_insensitive: bool,
    state: RandomState,
}

impl KeyHasher {
    fn new(case_insensitive: bool) -> KeyHasher {
        KeyHasher {
            case_insensitive,
            state: RandomState::new(),
        }
    }

    /// The hash [`UniqueSet::insert_hashed`] expects for `value`.
    pub fn hash(&self, value: &str) -> u64 {
        self.hash_known(value, false)
    }

    /// [`KeyHasher::hash`], told that `value` is ASCII when `ascii` (its
    /// row was), so that it need not look.
    #[inline]
    pub fn hash_known(&self, value: &str, ascii: bool) -> u64 {
        if !self.case_insensitive {
            return self.state.hash_one(value.as_bytes());
        }
        if ascii || value.is_ascii() {
            return self.hash_folded(value.as_bytes());
        }
        self.hash_folded(value.to_lowercase().as_bytes())
    }

    /// Hashes `bytes` with their ASCII letters lower-cased, eight at a time
    /// as they are read: no lower-case copy first.
    fn hash_folded(&self, bytes: &[u8]) -> u64 {
        let mut hasher = self.state.build_hasher();
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            hasher.write_u64(ascii_lowercase_word(u64::from_le_bytes(eight)));
        }
        let tail = words.remainder();
        let mut last = [0u8; 8];
        last[..tail.len()].copy_from_slice(tail);
        hasher.write_u64(ascii_lowercase_word(u64::from_le_bytes(last)));
        // The zero padding of the last word is told apart by the length.
        hasher.write_usize(bytes.len());
        hasher.finish()
    }
}

/// `word`'s eight bytes with `A`–`Z` made `a`–`z` and every other byte kept,
/// as [`u8::to_ascii_lowercase`] does one byte at a time.
pub(crate) fn ascii_lowercase_word(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Each byte's low seven bits plus a bias sets its high bit exactly when
    // it is at least `A` (or past `Z`); no sum carries into the next byte.
    let low7 = word & !HIGH;
    let from_a = low7 + ONES * u64::from(0x80 - b'A');
    let past_z = low7 + ONES * u64::from(0x80 - b'Z' - 1);
    let upper = from_a & !past_z & !word & HIGH;
    word | upper >> 2
}

/// What each remembered value costs against the uniqueness budget besides
/// its bytes: its record's row and length (up to 15 bytes as varints) and
/// its share of the table (at most 4 slots of 8 bytes, the table being
/// between a quarter and half full), rounded up.
pub(crate) const VALUE_OVERHEAD: u64 = 48;

/// What the `unique` sets of one run may still spend, all columns together
/// ([`Limits::max_unique_bytes`](crate::Limits::max_unique_bytes)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UniqueBudget {
    /// The configured budget.
    pub max: u64,
    /// What is left of it.
    pub left: u64,
}

impl UniqueBudget {
    pub fn new(max: u64) -> UniqueBudget {
        UniqueBudget { max, left: max }
    }
}

/// Values seen so far in one column, with the row where each first appeared.
///
/// Each value is one record in an append-only arena (its row and length as
/// LEB128 varints, then its bytes) and is found through an open-addressing
/// table of 8-byte slots (the high 32 bits of the value's hash and the
/// record's offset), so recording a value allocates nothing per value and
/// costs its length plus about 20 bytes. A slot's place follows from the hash
/// bits it holds, so growing the table never re-reads or re-hashes the
/// values. Values whose hash parts are equal are compared byte for byte, so
/// the answer is exact.
#[derive(Clone, Debug)]
pub(crate) struct UniqueSet {
    hasher: KeyHasher,
    /// `0` for empty, else `(hash >> 32) << 32 | (record offset + 1)`.
    slots: Vec<u64>,
    /// Values in the table.
    len: usize,
    arena: Vec<u8>,
    /// Values whose record would start past the arena's 4 GiB.
    overflow: AHashMap<Box<[u8]>, u64>,
}

/// Appends `n` as an LEB128 varint.
pub(crate) fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The varint at `at` and the offset after it.
pub(crate) fn read_varint(bytes: &[u8], mut at: usize) -> (u64, usize) {
    let mut n = 0u64;
    let mut shift = 0;
    while let Some(&b) = bytes.get(at) {
        at += 1;
        n |= u64::from(b & 0x7f) << shift.min(63);
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    (n, at)
}

impl UniqueSet {
    pub fn new(case_insensitive: bool) -> UniqueSet {
        UniqueSet {
            hasher: KeyHasher::new(case_insensitive),
            slots: vec![0; 1024],
            len: 0,
            arena: Vec::new(),
            overflow: AHashMap::new(),
        }
    }

    /// Slots in the table (for tests of its sizing).
    #[cfg(test)]
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The hasher whose hashes [`UniqueSet::insert_hashed`] takes.
    pub fn hasher(&self) -> &KeyHasher {
        &self.hasher
    }

    /// The row and the value of the record at `offset`.
    fn record(&self, offset: usize) -> (u64, &[u8]) {
        let (row, at) = read_varint(&self.arena, offset);
        let (len, at) = read_varint(&self.arena, at);
        let end = (at + len as usize).min(self.arena.len());
        (row, &self.arena[at.min(end)..end])
    }

    /// The first slot to probe for a hash whose high half is `tag`.
    #[inline]
    fn home(tag: u64, mask: usize) -> usize {
        tag as usize & mask
    }

    /// Reads the first slot `hash` probes and returns it, so that a caller
    /// can start the memory loads of many values before inserting them one
    /// by one (the table is far larger than the cache on big files).
    #[inline]
    pub fn touch(&self, hash: u64) -> u64 {
        self.slots[Self::home(hash >> 32, self.slots.len() - 1)]
    }

    /// Records `value` at `row`; returns the earlier row if it was seen before.
    #[cfg(test)]
    pub fn insert(&mut self, value: &str, row: u64) -> Option<u64> {
        let hash = self.hasher.hash(value);
        let mut unlimited = u64::MAX;
        self.insert_hashed(value, hash, row, &mut unlimited)
            .unwrap_or(None)
    }

    /// What remembering a value whose stored form (lower-cased when case
    /// does not matter) has `len` bytes costs against
    /// [`Limits::max_unique_bytes`](crate::Limits::max_unique_bytes): its
    /// bytes plus [`VALUE_OVERHEAD`]. Counted, not measured, so that the
    /// same input reaches the limit at the same row whatever the threads
    /// and size hints.
    pub fn cost(len: usize) -> u64 {
        len as u64 + VALUE_OVERHEAD
    }

    /// Records `value` at `row`, its hash from [`KeyHasher::hash`]: returns
    /// the earlier row if it was seen before. A new value is only recorded
    /// when its [`UniqueSet::cost`] fits in `budget`, which it then takes
    /// from; else `Err(cost)` and nothing changes.
    pub fn insert_hashed(
        &mut self,
        value: &str,
        hash: u64,
        row: u64,
        budget: &mut u64,
    ) -> Result<Option<u64>, u64> {
        self.probe(value, false, hash, row, Some(budget))
    }

    /// [`UniqueSet::insert_hashed`] of a value known to be ASCII when
    /// `ascii`.
    pub fn insert_hashed_known(
        &mut self,
        value: &str,
        ascii: bool,
        hash: u64,
        row: u64,
        budget: &mut u64,
    ) -> Result<Option<u64>, u64> {
        self.probe(value, ascii, hash, row, Some(budget))
    }

    /// The row where `value` (hashed by [`KeyHasher::hash`]) was recorded,
    /// without recording it if it was not; `ascii` as in
    /// [`UniqueSet::insert_hashed_known`].
    pub fn find_hashed(&mut self, value: &str, ascii: bool, hash: u64) -> Option<u64> {
        self.probe(value, ascii, hash, 0, None).unwrap_or(None)
    }

    /// Finds `value` (known to be ASCII when `ascii`), and records it at
    /// `row` when new and `budget` is given.
    fn probe(
        &mut self,
        value: &str,
        ascii: bool,
        hash: u64,
        row: u64,
        budget: Option<&mut u64>,
    ) -> Result<Option<u64>, u64> {
        if !self.hasher.case_insensitive || ascii || value.is_ascii() {
            // ASCII is lower-cased on the way into the arena: no copy first.
            let fold = self.hasher.case_insensitive;
            return self.insert_key(value.as_bytes(), fold, hash, row, budget);
        }
        // Non-ASCII, case-insensitive: the Unicode lower case, as hashed.
        self.insert_key(value.to_lowercase().as_bytes(), false, hash, row, budget)
    }

    /// Finds `key`, lower-casing its ASCII letters first when `fold`, and
    /// inserts it when new and `budget` is given.
    fn insert_key(
        &mut self,
        key: &[u8],
        fold: bool,
        hash: u64,
        row: u64,
        budget: Option<&mut u64>,
    ) -> Result<Option<u64>, u64> {
        if budget.is_some() && (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let at = match self.find(key, fold, hash) {
            Ok(first) => return Ok(Some(first)),
            Err(at) => at,
        };
        let Some(budget) = budget else {
            return Ok(self.find_overflow(key, fold));
        };
        let cost = Self::cost(key.len());
        if cost > *budget {
            return Err(cost);
        }
        *budget -= cost;
        let offset = self.arena.len() as u64 + 1;
        if offset > u64::from(u32::MAX) {
            let key = if fold {
                key.to_ascii_lowercase().into()
            } else {
                std::borrow::Cow::Borrowed(key)
            };
            return Ok(self.insert_overflow(&key, row));
        }
        self.slots[at] = (hash >> 32) << 32 | offset;
        self.len += 1;
        // Doubling, but never reserving more than the budget can still pay
        // for: the arena stays within what it was charged.
        let need = key.len() + 20;
        if self.arena.capacity() - self.arena.len() < need {
            let left = usize::try_from(*budget).unwrap_or(usize::MAX);
            let more = self.arena.len().min(need.saturating_add(left)).max(need);
            self.arena.reserve_exact(more);
        }
        push_varint(&mut self.arena, row);
        push_varint(&mut self.arena, key.len() as u64);
        let start = self.arena.len();
        self.arena.extend_from_slice(key);
        if fold {
            self.arena[start..].make_ascii_lowercase();
        }
        Ok(None)
    }

    /// The row recorded for `key` (lower-casing its ASCII letters first
    /// when `fold`), else the empty slot where it would go. The overflow
    /// map is not searched.
    fn find(&self, key: &[u8], fold: bool, hash: u64) -> Result<u64, usize> {
        let tag = hash >> 32;
        let mask = self.slots.len() - 1;
        let mut at = Self::home(tag, mask);
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return Err(at);
            }
            if slot >> 32 == tag {
                // Stored keys are lower case already.
                let (first, stored) = self.record((slot as u32 - 1) as usize);
                let same = if fold {
                    stored.eq_ignore_ascii_case(key)
                } else {
                    stored == key
                };
                if same {
                    return Ok(first);
                }
            }
            at = (at + 1) & mask;
        }
    }

    #[cold]
    fn find_overflow(&self, key: &[u8], fold: bool) -> Option<u64> {
        if self.overflow.is_empty() {
            return None;
        }
        let key = if fold {
            key.to_ascii_lowercase()
        } else {
            key.to_vec()
        };
        self.overflow.get(key.as_slice()).copied()
    }

    /// The row recorded for `value`, without recording it.
    pub fn get(&self, value: &str) -> Option<u64> {
        self.get_hashed(value, self.hasher.hash(value))
    }

    /// [`UniqueSet::get`], `value`'s hash from [`KeyHasher::hash`].
    pub fn get_hashed(&self, value: &str, hash: u64) -> Option<u64> {
        if self.hasher.case_insensitive && !value.is_ascii() {
            let key = value.to_lowercase();
            return self
                .find(key.as_bytes(), false, hash)
                .ok()
                .or_else(|| self.find_overflow(key.as_bytes(), false));
        }
        let fold = self.hasher.case_insensitive;
        self.find(value.as_bytes(), fold, hash)
            .ok()
            .or_else(|| self.find_overflow(value.as_bytes(), fold))
    }

    /// Values recorded.
    pub fn len(&self) -> usize {
        self.len + self.overflow.len()
    }

    /// Every value recorded (lower case when case does not matter), in the
    /// order they were first recorded, with their rows.
    pub fn records(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        let mut at = 0;
        let in_arena = std::iter::from_fn(move || {
            if at >= self.arena.len() {
                return None;
            }
            let (row, start) = read_varint(&self.arena, at);
            let (len, start) = read_varint(&self.arena, start);
            let end = (start + len as usize).min(self.arena.len());
            at = end;
            Some((row, &self.arena[start.min(end)..end]))
        });
        let mut past: Vec<(u64, &[u8])> =
            self.overflow.iter().map(|(k, &row)| (row, &**k)).collect();
        past.sort_unstable_by_key(|&(row, _)| row);
        in_arena.chain(past)
    }

    /// Makes room for `values` values in all, so that the table does not
    /// grow (and move its slots) until then: for a host that knows roughly
    /// how many rows are coming.
    pub fn reserve(&mut self, values: u64) {
        // Slots are found by 32 bits of hash: no point past 2^32 slots.
        let wanted = values
            .saturating_add(1)
            .saturating_mul(2)
            .min(1 << 32)
            .next_power_of_two();
        if let Ok(wanted) = usize::try_from(wanted)
            && wanted > self.slots.len()
        {
            self.grow_to(wanted);
        }
    }

    /// Doubles the table.
    #[cold]
    fn grow(&mut self) {
        self.grow_to(self.slots.len() * 2);
    }

    /// Moves every slot to its place in a table of `len` slots, a power of
    /// two larger than the current one.
    fn grow_to(&mut self, len: usize) {
        // Zeroed by writing, not by `calloc`'s lazy zero pages: probing an
        // untouched page would map the zero page, then fault again on write.
        #[allow(
            clippy::slow_vector_initialization,
            reason = "measured: half the page faults"
        )]
        let mut slots = Vec::with_capacity(len);
        slots.resize(len, 0u64);
        let mask = slots.len() - 1;
        for &slot in self.slots.iter().filter(|&&s| s != 0) {
            let mut at = Self::home(slot >> 32, mask);
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = slot;
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
    fn a_value_known_to_be_ascii_hashes_and_matches_as_when_checked() {
        let mut set = UniqueSet::new(true);
        let hasher = set.hasher().clone();
        for value in ["Ada@Example.com", "a", "", "0123456789abcdefXYZ"] {
            assert_eq!(
                hasher.hash_known(value, true),
                hasher.hash(value),
                "{value}"
            );
        }
        let hash = hasher.hash_known("Ada@Example.com", true);
        let row = set.insert_hashed_known("Ada@Example.com", true, hash, 2, &mut { u64::MAX });
        assert_eq!(row, Ok(None));
        let again = hasher.hash("ada@example.COM");
        assert_eq!(set.find_hashed("ada@example.COM", false, again), Some(2));
        assert_eq!(set.get("ADA@EXAMPLE.COM"), Some(2));
    }

    proptest::proptest! {
        #[test]
        fn words_are_lower_cased_as_bytes_are(bytes: [u8; 8]) {
            let expected = u64::from_le_bytes(bytes.to_ascii_lowercase().try_into().unwrap());
            proptest::prop_assert_eq!(ascii_lowercase_word(u64::from_le_bytes(bytes)), expected);
        }

        #[test]
        fn case_insensitive_hashes_ignore_case_only(value in "[a-zA-Z0-9@._Éé-]{0,40}") {
            let hasher = KeyHasher::new(true);
            let lower = value.to_lowercase();
            proptest::prop_assert_eq!(hasher.hash(&value), hasher.hash(&lower));
            proptest::prop_assert_eq!(hasher.hash(&value), hasher.hash(&value.to_uppercase().to_lowercase()));
            // The padding of the last word is not a character.
            let padded = format!("{lower}\0");
            proptest::prop_assert_ne!(hasher.hash(&lower), hasher.hash(&padded));
        }
    }

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
    fn records_keep_large_rows_and_long_values() {
        let mut set = UniqueSet::new(false);
        let long = "v".repeat(300);
        assert_eq!(set.insert(&long, u64::MAX), None);
        assert_eq!(set.insert("short", 1 << 40), None);
        assert_eq!(set.insert(&long, 3), Some(u64::MAX));
        assert_eq!(set.insert("short", 4), Some(1 << 40));
        assert_eq!(set.insert(&long[..299], 5), None);
    }

    #[test]
    fn equal_hash_tags_are_told_apart() {
        let mut set = UniqueSet::new(false);
        assert_eq!(set.insert("a", 2), None);
        // Put "a" where "b" goes, under the tag of "b": "b" must still be new.
        let b = set.hasher.state.hash_one(b"b".as_slice());
        let at = set.slots.iter().position(|s| *s != 0).unwrap();
        let index = set.slots[at] & 0xFFFF_FFFF;
        set.slots[at] = 0;
        let home = UniqueSet::home(b >> 32, set.slots.len() - 1);
        set.slots[home] = (b >> 32) << 32 | index;
        assert_eq!(set.insert("b", 3), None);
        assert_eq!(set.insert("b", 4), Some(3));
    }

    #[test]
    fn new_values_are_paid_from_the_budget_and_refused_past_it() {
        let mut set = UniqueSet::new(true);
        let mut budget = 2 * UniqueSet::cost(3);
        let insert = |set: &mut UniqueSet, value: &str, row, budget: &mut u64| {
            let hash = set.hasher().hash(value);
            set.insert_hashed(value, hash, row, budget)
        };
        assert_eq!(insert(&mut set, "abc", 2, &mut budget), Ok(None));
        // A repeat costs nothing, whatever the budget.
        assert_eq!(insert(&mut set, "ABC", 3, &mut 0), Ok(Some(2)));
        assert_eq!(insert(&mut set, "def", 4, &mut budget), Ok(None));
        assert_eq!(budget, 0);
        assert_eq!(
            insert(&mut set, "g", 5, &mut budget),
            Err(UniqueSet::cost(1))
        );
        // Refused values are not remembered; looking up records nothing.
        assert_eq!(set.find_hashed("G", false, set.hasher().hash("G")), None);
        assert_eq!(
            set.find_hashed("DEF", true, set.hasher().hash("DEF")),
            Some(4)
        );
        assert_eq!(insert(&mut set, "g", 6, &mut { u64::MAX }), Ok(None));
        // The arena never reserved past what was paid for.
        let mut small = UniqueSet::new(false);
        let mut budget = UniqueSet::cost(1000);
        let long = "v".repeat(1000);
        assert_eq!(insert(&mut small, &long, 2, &mut budget), Ok(None));
        assert!(small.arena.capacity() <= 1000 + 20 + budget as usize);
    }

    #[test]
    fn hashes_from_a_cloned_hasher_find_the_same_values() {
        let mut set = UniqueSet::new(true);
        let hasher = set.hasher().clone();
        let hashed = |set: &mut UniqueSet, value: &str, row| {
            let hash = hasher.hash(value);
            set.insert_hashed(value, hash, row, &mut { u64::MAX })
                .unwrap()
        };
        assert_eq!(hashed(&mut set, "Ada@Example.com", 2), None);
        assert_eq!(set.insert("ada@example.com", 3), Some(2));
        assert_eq!(set.insert("bob@example.com", 4), None);
        assert_eq!(hashed(&mut set, "BOB@example.com", 5), Some(4));
        assert_eq!(hashed(&mut set, "Élodie@example.com", 6), None);
        assert_eq!(set.insert("élodie@EXAMPLE.com", 7), Some(6));
    }

    #[test]
    fn reserved_tables_do_not_grow_and_keep_their_values() {
        let mut set = UniqueSet::new(false);
        assert_eq!(set.insert("kept", 2), None);
        set.reserve(3_000);
        assert_eq!(set.slots.len(), 8_192);
        for i in 0..3_000u64 {
            assert_eq!(set.insert(&format!("v{i}"), i + 3), None);
        }
        assert_eq!(set.slots.len(), 8_192);
        assert_eq!(set.insert("kept", 9_999), Some(2));
        assert_eq!(set.insert("v2999", 9_999), Some(3_002));
        // Reserving less than there is room for changes nothing.
        set.reserve(10);
        assert_eq!(set.slots.len(), 8_192);
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
        assert_eq!(set.len, 5_000);
    }
}
