//! Uniqueness within one file: the run's state (a set of seen values per
//! unique column, and the memory budget they share) and the logic that
//! checks each row against it, in input order.

use std::borrow::Cow;

use crate::error::{Error, ErrorKind};
use crate::plan::normalize_key;
use crate::report::RowError;
use crate::row::Row;
use crate::rules::{ErrorCode, Failure, KeyHasher, UniqueBudget, UniqueSet, ascii_domain_form};
use crate::validator::{Compiled, HeaderMap};

/// The seen values of every unique column of one run.
pub(crate) struct UniqueColumns {
    /// `(schema column, set)` per unique column.
    sets: Vec<(usize, UniqueSet)>,
    /// What the sets may still spend ([`Limits::max_unique_bytes`](crate::Limits::max_unique_bytes)).
    budget: UniqueBudget,
}

impl UniqueColumns {
    /// Empty sets for the unique columns of `compiled`, sharing `max_bytes`.
    pub fn new(compiled: &Compiled, max_bytes: u64) -> UniqueColumns {
        UniqueColumns {
            sets: compiled
                .columns
                .iter()
                .enumerate()
                .filter_map(|(c, rules)| Some((c, UniqueSet::new(rules.unique?))))
                .collect(),
            budget: UniqueBudget::new(max_bytes),
        }
    }

    /// The hashers of the unique columns, in the order of the hashes
    /// [`UniqueColumns::check`] takes.
    pub fn hashers(&self) -> Vec<(usize, KeyHasher)> {
        self.sets
            .iter()
            .map(|(c, set)| (*c, set.hasher().clone()))
            .collect()
    }

    /// The key hashes of one row, appended to `out` (one per hasher; `0`
    /// where the row is skipped). Stateless, so it runs on whichever thread
    /// checks the row.
    pub fn hashes(
        compiled: &Compiled,
        map: &HeaderMap,
        row: &Row,
        hashers: &[(usize, KeyHasher)],
        out: &mut Vec<u64>,
    ) {
        let whole = row.len() == map.width;
        let ascii = row.is_ascii();
        out.extend(hashers.iter().map(|(c, hasher)| {
            let value = map.value(row, *c);
            if !whole || value.is_empty() {
                0
            } else if Some(*c) == compiled.key {
                let key = compared(compiled, value, ascii);
                hasher.hash_known(&key, ascii && matches!(key, Cow::Borrowed(_)))
            } else {
                hasher.hash_known(value, ascii)
            }
        }));
    }

    /// Makes room for `rows` values in every set.
    pub fn reserve(&mut self, rows: u64) {
        for (_, set) in &mut self.sets {
            set.reserve(rows);
        }
    }

    /// Starts loading the table slots the rows with these key hashes (from
    /// [`UniqueColumns::hashes`], rows back to back) will probe, so that
    /// the memory loads of a whole batch overlap instead of each row's
    /// stalling in turn.
    pub fn touch(&self, hashes: &[u64]) {
        if self.sets.is_empty() {
            return;
        }
        let mut loaded = 0u64;
        for row in hashes.chunks_exact(self.sets.len()) {
            for ((_, set), &hash) in self.sets.iter().zip(row) {
                loaded ^= set.touch(hash);
            }
        }
        std::hint::black_box(loaded);
    }

    /// The table size of each set, for tests of the sizing hint.
    #[cfg(test)]
    pub fn slot_counts(&self) -> Vec<usize> {
        self.sets.iter().map(|(_, s)| s.slot_count()).collect()
    }

    /// The uniqueness checks of one row, in input order. `hashes`, when
    /// given, are the row's key hashes from [`UniqueColumns::hashes`].
    /// `errors` holds the row's stateless errors: a value that fails its
    /// own column's rules is looked up (a duplicate is still reported) but
    /// not remembered, so it costs no memory and later rows are not its
    /// duplicates. A value that does not fit the budget stops the run.
    pub fn check(
        &mut self,
        compiled: &Compiled,
        map: &HeaderMap,
        row: &Row,
        hashes: Option<&[u64]>,
        errors: &mut Vec<RowError>,
    ) -> Result<(), Error> {
        if row.len() != map.width {
            return Ok(());
        }
        let budget = &mut self.budget;
        let ascii = row.is_ascii();
        for (k, (c, set)) in self.sets.iter_mut().enumerate() {
            let c = *c;
            let value = map.value(row, c);
            if value.is_empty() {
                continue;
            }
            let at = row.position().row;
            // The key column compares what the plan compares: normalised
            // keys, so that two spellings of one user are duplicates.
            let keyed = (Some(c) == compiled.key).then(|| compared(compiled, value, ascii));
            // A normalised key may have gained characters (an ASCII domain
            // form is ASCII, but the rest need not be): ASCII only as read.
            let seen_ascii = ascii && !matches!(keyed, Some(Cow::Owned(_)));
            let seen = keyed.as_deref().unwrap_or(value);
            let hash = match hashes.and_then(|h| h.get(k)) {
                Some(&hash) => hash,
                None => set.hasher().hash_known(seen, seen_ascii),
            };
            let first = if fails_own_rules(compiled, c, errors) {
                set.find_hashed(seen, seen_ascii, hash)
            } else {
                set.insert_hashed_known(seen, seen_ascii, hash, at, &mut budget.left)
                    .map_err(|_| {
                        Error::new(ErrorKind::UniqueBytes {
                            column: compiled.columns[c].name.clone(),
                            max: budget.max,
                            position: row.position(),
                        })
                    })?
            };
            if let Some(first) = first {
                let detail = format!(
                    "\"{value}\" already appears in row {first}; each {} must be unique in the file",
                    map.display[c]
                );
                let failure = Failure::new(ErrorCode::Unique, detail);
                errors.push(compiled.row_error(map, row, c, failure));
            } else if was_duplicate(compiled, map, row, c, value) {
                // Sent back in an error CSV whose other row with this value
                // passed (so it is not in this file): still a duplicate.
                let detail = format!(
                    "\"{value}\" already appeared in another row of the upload this error file came from; each {} must be unique: change it, or delete this message from the errors cell if this row is the right one",
                    map.display[c]
                );
                let failure = Failure::new(ErrorCode::Unique, detail);
                errors.push(compiled.row_error(map, row, c, failure));
            }
        }
        Ok(())
    }
}

/// The key value as the plan compares it ([`normalize_key`]), or the
/// trimmed value when it has no normal form; an e-mail key's domain in its
/// ASCII form. An ASCII value of a column
/// that compares without case and only folds case when normalised (an
/// e-mail key, the usual one) is its own form: the set ignores case, so no
/// copy is made for it. `ascii` says the value is known to be ASCII.
fn compared<'v>(compiled: &Compiled, value: &'v str, ascii: bool) -> Cow<'v, str> {
    if compiled.key_ascii_as_is && (ascii || value.is_ascii()) {
        return Cow::Borrowed(value);
    }
    let key = normalize_key(compiled, value).unwrap_or_else(|| value.to_string());
    // One mailbox, whichever form its domain is written in: `ada@bücher.de`
    // repeats `ada@xn--bcher-kva.de` (an ASCII domain is that form already).
    if compiled.key_is_email() {
        return Cow::Owned(ascii_domain_form(&key).unwrap_or(key));
    }
    Cow::Owned(key)
}

/// Whether a re-uploaded error CSV row had a `unique` error for the same
/// value of column `c` (`<header>: "<value>" already appear…`), compared
/// as the column compares values.
fn was_duplicate(compiled: &Compiled, map: &HeaderMap, row: &Row, c: usize, value: &str) -> bool {
    let Some(cell) = row.previous_errors() else {
        return false;
    };
    let opening = format!("{}: \"", map.display[c]);
    cell.split("; ").any(|message| {
        let Some(old) = message
            .strip_prefix(&opening)
            .and_then(|rest| rest.split_once("\" already appea"))
            .map(|(old, _)| old)
        else {
            return false;
        };
        if Some(c) == compiled.key {
            compared(compiled, old, false) == compared(compiled, value, false)
        } else if compiled.columns[c].unique == Some(true) {
            old.to_lowercase() == value.to_lowercase()
        } else {
            old == value
        }
    })
}

/// Whether `errors` (a row's stateless errors) has a failure of column
/// `c`'s own rules; cross-field rules do not count.
fn fails_own_rules(compiled: &Compiled, c: usize, errors: &[RowError]) -> bool {
    let name = compiled.columns[c].name.as_str();
    errors.iter().any(|e| {
        e.column.as_deref() == Some(name)
            && !matches!(e.code, ErrorCode::DateOrder | ErrorCode::RequiredIf)
    })
}
