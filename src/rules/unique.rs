//! The `unique` rule's per-run state.

use ahash::AHashMap;

/// Values seen so far in one column, with the row where each first appeared.
#[derive(Debug, Default)]
pub(crate) struct UniqueSet {
    case_insensitive: bool,
    seen: AHashMap<Box<str>, u64>,
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
        if self.case_insensitive && value.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
            return self.insert_normalized(value.to_lowercase().into_boxed_str(), row);
        }
        if let Some(first) = self.seen.get(value) {
            return Some(*first);
        }
        self.seen.insert(value.into(), row);
        None
    }

    fn insert_normalized(&mut self, value: Box<str>, row: u64) -> Option<u64> {
        match self.seen.entry(value) {
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
}
