//! The `unique` rule's per-run state.

use std::hash::{Hash, Hasher};

use ahash::AHashMap;

/// Bytes kept inline in a [`Key`]: most e-mail addresses and ids fit, so
/// recording them allocates nothing.
const INLINE: usize = 46;

/// A stored value: inline when short, on the heap otherwise.
#[derive(Clone, Debug)]
enum Key {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Key {
    fn new(value: &[u8]) -> Key {
        if value.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..value.len()].copy_from_slice(value);
            Key::Inline {
                len: value.len() as u8,
                bytes,
            }
        } else {
            Key::Heap(value.into())
        }
    }

    /// The ASCII lower-case form of an ASCII value.
    fn ascii_lowercase(value: &[u8]) -> Key {
        let mut key = Key::new(value);
        match &mut key {
            Key::Inline { len, bytes } => bytes[..usize::from(*len)].make_ascii_lowercase(),
            Key::Heap(bytes) => bytes.make_ascii_lowercase(),
        }
        key
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Key::Heap(bytes) => bytes,
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(self.as_bytes());
    }
}

/// Values seen so far in one column, with the row where each first appeared.
#[derive(Debug, Default)]
pub(crate) struct UniqueSet {
    case_insensitive: bool,
    seen: AHashMap<Key, u64>,
}

impl UniqueSet {
    pub fn new(case_insensitive: bool) -> UniqueSet {
        UniqueSet {
            case_insensitive,
            seen: AHashMap::new(),
        }
    }

    /// Records `value` at `row`; returns the earlier row if it was seen before.
    pub fn insert(&mut self, value: &str, row: u64) -> Option<u64> {
        let key = if !self.case_insensitive {
            Key::new(value.as_bytes())
        } else if value.is_ascii() {
            Key::ascii_lowercase(value.as_bytes())
        } else {
            Key::new(value.to_lowercase().as_bytes())
        };
        match self.seen.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(row);
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
        let long = "x".repeat(INLINE + 1);
        let mut set = UniqueSet::new(true);
        assert_eq!(set.insert(&long, 2), None);
        assert_eq!(set.insert(&long.to_uppercase(), 3), Some(2));
        assert_eq!(set.insert(&long[..INLINE], 4), None);
        assert_eq!(set.insert(&long[..INLINE].to_uppercase(), 5), Some(4));
        assert_eq!(set.insert("ÉLODIE@example.com", 6), None);
        assert_eq!(set.insert("élodie@EXAMPLE.com", 7), Some(6));
    }
}
