//! Planning creates, updates and archives against the existing users.
//!
//! A **delta** upload (the back office) holds only the users that changed,
//! often only some columns: it creates and updates, and never archives. A
//! **full** sync (the SFTP feed) holds every user: existing users missing
//! from it are archived, behind a guard against mass archiving.

use std::borrow::Cow;
use std::io::Read;

use ahash::{AHashSet, RandomState};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, ErrorKind};
use crate::reader::ReaderBuilder;
use crate::report::{ArchiveHeld, ArchiveSkipped, PlanCounts, RowError};
use crate::row::{Row, trim_value};
use crate::rules::{ErrorCode, UniqueSet, push_varint, read_varint};
use crate::validator::{Compiled, HeaderMap, Validator};

/// What an upload means for users that are not in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Only changed users: create and update, never archive. Required
    /// columns other than the key may be missing for existing users.
    #[default]
    Delta,
    /// Every user: existing users missing from the file are archived.
    Full,
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "delta" => Ok(Mode::Delta),
            "full" => Ok(Mode::Full),
            _ => Err(format!("unknown mode \"{s}\": expected delta or full")),
        }
    }
}

/// What a valid row does to the existing users.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A new user.
    Create,
    /// An existing user whose given values differ from the stored ones.
    Update,
    /// An existing user whose given values equal the stored ones.
    Unchanged,
}

/// The users that exist before an upload, as the planner needs them.
///
/// Keys are normalised as [`Validator::normalize_key`] does (trimmed; e-mail
/// and case-insensitive keys lower-cased). A host backs this with its
/// database; [`ExistingSet`] is an in-memory implementation loaded from CSV.
///
/// ```
/// use std::{borrow::Cow, collections::HashMap};
/// use usercsv::{ExistingUsers, Schema, Validator};
///
/// struct Db(HashMap<String, HashMap<String, String>>); // key -> column -> normalised value
/// impl ExistingUsers for Db {
///     fn len(&self) -> usize { self.0.len() }
///     fn contains(&self, key: &str) -> bool { self.0.contains_key(key) }
///     fn same_value(&self, key: &str, column: &str, normalized: &str) -> bool {
///         self.0[key].get(column).map_or("", |v| v.as_str()) == normalized
///     }
///     fn keys(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
///         Box::new(self.0.keys().map(|k| Cow::Borrowed(k.as_str())))
///     }
/// }
/// let ada = [("email", "ada@example.com"), ("firstName", "Ada"), ("lastName", "Lovelace")];
/// let db = Db(HashMap::from([("ada@example.com".to_string(), ada.map(|(c, v)| (c.to_string(), v.to_string())).into())]));
/// let csv = "email,firstName,lastName\nADA@example.com,Ada,Lovelace\ngrace@example.com,Grace,Hopper\n";
/// let report = Validator::new(&Schema::users())?.validation().existing(db).validate(csv.as_bytes(), None)?;
/// let plan = report.plan.unwrap();
/// assert_eq!((plan.create, plan.update, plan.unchanged, plan.archive), (1, 0, 1, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ExistingUsers {
    /// Number of existing users.
    fn len(&self) -> usize;

    /// Whether there are no existing users.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a user with this normalised key exists.
    ///
    /// For an e-mail key whose domain has internationalised labels, the
    /// planner also asks for its other spellings (`ada@xn--bcher-kva.de`
    /// for `ada@bücher.de`): one mailbox is never two users (see
    /// [`ErrorCode::KeySpelling`](crate::ErrorCode::KeySpelling)).
    fn contains(&self, key: &str) -> bool;

    /// Whether the stored value of schema column `column` of user `key`,
    /// normalised by the schema's rules ([`Validator::normalize`]), equals
    /// `normalized` (`""` for an empty value).
    fn same_value(&self, key: &str, column: &str, normalized: &str) -> bool;

    /// Every existing key, normalised.
    fn keys(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_>;

    /// Whether user `key` holds every value of `values` (one uploaded row's
    /// compared cells), each compared as [`ExistingUsers::same_value`]
    /// compares one. The planner asks this once per row, so that a store
    /// can look the user up once; a [`RowValue`] is normalised only when
    /// [`RowValue::normalized`] is first called. The provided method asks
    /// `same_value` column by column.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use usercsv::{ExistingUsers, RowValue};
    ///
    /// struct OneUser;
    /// impl ExistingUsers for OneUser {
    ///     fn len(&self) -> usize { 1 }
    ///     fn contains(&self, key: &str) -> bool { key == "ada@example.com" }
    ///     fn same_value(&self, key: &str, column: &str, normalized: &str) -> bool {
    ///         self.contains(key) && column == "firstName" && normalized == "Ada"
    ///     }
    ///     fn keys(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
    ///         Box::new(std::iter::once(Cow::Borrowed("ada@example.com")))
    ///     }
    /// }
    /// let first = RowValue::new("firstName", " Ada ", "Ada");
    /// let last = RowValue::new("lastName", "Byron", "Byron");
    /// assert!(OneUser.same_values("ada@example.com", &[first.clone()]));
    /// assert!(!OneUser.same_values("ada@example.com", &[first, last]));
    /// ```
    fn same_values(&self, key: &str, values: &[RowValue<'_>]) -> bool {
        values
            .iter()
            .all(|value| self.same_value(key, value.column(), value.normalized()))
    }
}

/// One cell of an uploaded row as [`ExistingUsers::same_values`] compares
/// it with a stored user: the schema column, the value as uploaded
/// (trimmed), and its normal form, computed on first use.
#[derive(Clone, Debug)]
pub struct RowValue<'a> {
    column: &'a str,
    /// The column's place in the schema, when known: saves a store that
    /// keeps columns in schema order a search by name.
    schema_index: Option<usize>,
    as_uploaded: &'a str,
    /// See [`RowValue::compares_as_uploaded`].
    compares_as_uploaded: bool,
    normalizer: Normalizer<'a>,
    normalized: std::sync::OnceLock<Cow<'a, str>>,
}

#[derive(Clone, Debug)]
enum Normalizer<'a> {
    Rules(&'a crate::rules::ColumnRules),
    Given(&'a str),
}

impl<'a> RowValue<'a> {
    /// A value whose normal form is known (for a host's own tests).
    ///
    /// ```
    /// let value = usercsv::RowValue::new("businessMobilePhone", "+31 6 12345678", "+31612345678");
    /// assert_eq!((value.column(), value.as_uploaded(), value.normalized()), ("businessMobilePhone", "+31 6 12345678", "+31612345678"));
    /// ```
    pub fn new(column: &'a str, as_uploaded: &'a str, normalized: &'a str) -> RowValue<'a> {
        RowValue {
            column,
            schema_index: None,
            as_uploaded,
            compares_as_uploaded: false,
            normalizer: Normalizer::Given(normalized),
            normalized: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn by_rules(
        schema_index: usize,
        rules: &'a crate::rules::ColumnRules,
        as_uploaded: &'a str,
    ) -> RowValue<'a> {
        RowValue {
            column: &rules.name,
            schema_index: Some(schema_index),
            as_uploaded,
            compares_as_uploaded: rules.normal_forms_are_fixed,
            normalizer: Normalizer::Rules(rules),
            normalized: std::sync::OnceLock::new(),
        }
    }

    /// The schema column's name.
    ///
    /// ```
    /// assert_eq!(usercsv::RowValue::new("email", "A@b.com", "a@b.com").column(), "email");
    /// ```
    pub fn column(&self) -> &'a str {
        self.column
    }

    /// The value as uploaded, trimmed; `""` for an empty cell.
    ///
    /// ```
    /// assert_eq!(usercsv::RowValue::new("email", "A@b.com", "a@b.com").as_uploaded(), "A@b.com");
    /// ```
    pub fn as_uploaded(&self) -> &'a str {
        self.as_uploaded
    }

    /// Whether a value as uploaded that equals a stored normal form is that
    /// normal form, so that a store may compare [`RowValue::as_uploaded`]
    /// first and normalise only when it differs. False where the column's
    /// rules could read a normal form as another value (a date format such
    /// as `YYYY-DD-MM` reads the ISO `1990-01-02` as 1 February), and for
    /// values made with [`RowValue::new`].
    ///
    /// ```
    /// assert!(!usercsv::RowValue::new("email", "A@b.com", "a@b.com").compares_as_uploaded());
    /// ```
    pub fn compares_as_uploaded(&self) -> bool {
        self.compares_as_uploaded
    }

    /// The value normalised by the schema's rules, as
    /// [`Validator::normalize`] would give it; computed on the first call.
    ///
    /// ```
    /// assert_eq!(usercsv::RowValue::new("email", "A@b.com", "a@b.com").normalized(), "a@b.com");
    /// ```
    pub fn normalized(&self) -> &str {
        self.normalized.get_or_init(|| match self.normalizer {
            Normalizer::Rules(rules) => rules.normalize(self.as_uploaded),
            Normalizer::Given(given) => Cow::Borrowed(given),
        })
    }
}

/// Existing users held in memory: each user's normalised key, and each
/// schema cell of the user's row as the export wrote it (trimmed); a cell
/// longer than 64 bytes is kept as a 64-bit fingerprint of its normal form
/// instead, so a user's record stays small however long the export's
/// cells. Loading normalises only the keys: a stored cell is normalised
/// when an uploaded row's cell differs from it as written, and the two
/// normal forms are then compared. Loading a million users of the built-in
/// schema (a 113 MB export) peaks at about 140 MiB (`BENCHMARKS.md`,
/// seventh round).
///
/// Given to [`ValidationBuilder::existing`](crate::ValidationBuilder::existing)
/// by value, the set is asked cell by cell, without the list of
/// [`RowValue`]s that [`ExistingUsers::same_values`] takes; behind
/// [`existing_shared`](crate::ValidationBuilder::existing_shared) it
/// answers the same through `same_values`, a little slower.
///
/// ```
/// use usercsv::{ExistingSet, ExistingUsers, Schema, Validator};
///
/// let validator = Validator::new(&Schema::users()).unwrap();
/// let export = "email,firstName,lastName,businessMobilePhone\nAda@Example.com,Ada,Lovelace,+31 6 12345678\n";
/// let existing = ExistingSet::from_reader(&validator, export.as_bytes()).unwrap();
/// assert_eq!(existing.len(), 1);
/// assert!(existing.contains("ada@example.com"));
/// assert!(existing.same_value("ada@example.com", "businessMobilePhone", "+31612345678"));
/// ```
#[derive(Clone)]
pub struct ExistingSet {
    validator: Validator,
    /// Each normalised key, in one arena, with its user's index.
    index: UniqueSet,
    /// Per user, where its record starts in `cells`, shifted left by one;
    /// the low bit is set when the record holds normal forms
    /// ([`ExistingSet::insert`]) rather than cells as written.
    users: Vec<u64>,
    /// The users' records back to back: per schema column, a varint
    /// ([`CELL_UNKNOWN`], [`CELL_KEY`], [`CELL_PRINT`], or [`CELL_TEXT`]
    /// plus the cell's length) and the cell's bytes.
    cells: Vec<u8>,
    /// Hashes the normal forms of cells longer than [`MAX_STORED_CELL`].
    prints: RandomState,
    /// The users whose keys may have other spellings of their e-mail
    /// domain, by its ASCII form ([`ExistingSet::spelled_users`]).
    spelled_keys: std::sync::OnceLock<SpelledUsers>,
}

/// Users by the ASCII form of their key's e-mail domain: each one's place
/// and key.
type SpelledUsers = ahash::AHashMap<String, Vec<(usize, String)>>;

/// A column the export did not have: its value is not known.
const CELL_UNKNOWN: u64 = 0;
/// The key column: its value is the user's key.
const CELL_KEY: u64 = 1;
/// A cell longer than [`MAX_STORED_CELL`]: eight bytes follow, a 64-bit
/// fingerprint of its normal form.
const CELL_PRINT: u64 = 2;
/// A cell follows, of this many bytes less `CELL_TEXT`.
const CELL_TEXT: u64 = 3;
/// The longest cell kept as written: a longer one keeps only a
/// fingerprint of its normal form, so that a user's record stays small
/// however long the export's cells are.
const MAX_STORED_CELL: usize = 64;

/// A stored user's value of one column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StoredCell<'a> {
    Unknown,
    Key,
    Print(u64),
    Text(&'a [u8]),
}

/// A stored user: its record, read column after column.
struct StoredUser<'a> {
    record: &'a [u8],
    /// Whether the cells are normal forms.
    normal: bool,
    /// The next column to read and where it starts in `record`.
    column: usize,
    at: usize,
}

impl<'a> StoredUser<'a> {
    /// Column `c`'s cell; cheapest when asked for columns in order.
    fn cell(&mut self, c: usize) -> StoredCell<'a> {
        if c < self.column {
            (self.column, self.at) = (0, 0);
        }
        while self.column < c {
            self.next_cell();
        }
        self.next_cell()
    }

    /// The next column's cell.
    #[inline]
    fn next_cell(&mut self) -> StoredCell<'a> {
        let (tag, at) = match self.record.get(self.at) {
            // Short cells: a one-byte tag.
            Some(&b) if b < 0x80 => (u64::from(b), self.at + 1),
            _ => read_varint(self.record, self.at),
        };
        let len = match tag {
            CELL_UNKNOWN | CELL_KEY => 0,
            CELL_PRINT => 8,
            _ => usize::try_from(tag - CELL_TEXT).unwrap_or(usize::MAX),
        };
        let end = at.saturating_add(len).min(self.record.len());
        (self.column, self.at) = (self.column + 1, end);
        let bytes = &self.record[at.min(end)..end];
        match tag {
            CELL_UNKNOWN => StoredCell::Unknown,
            CELL_KEY => StoredCell::Key,
            CELL_PRINT => {
                let mut print = [0u8; 8];
                print[..bytes.len()].copy_from_slice(bytes);
                StoredCell::Print(u64::from_le_bytes(print))
            }
            _ => StoredCell::Text(bytes),
        }
    }
}

/// A summary: the number of users and the bytes their cells take.
impl std::fmt::Debug for ExistingSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExistingSet")
            .field("users", &self.index.len())
            .field("cell_bytes", &self.cells.len())
            .finish()
    }
}

fn fixed_hasher() -> RandomState {
    RandomState::with_seeds(0x5eed_0001, 0x5eed_0002, 0x5eed_0003, 0x5eed_0004)
}

impl ExistingSet {
    /// An empty set for a validator's schema.
    pub fn new(validator: &Validator) -> ExistingSet {
        ExistingSet {
            validator: validator.clone(),
            index: UniqueSet::new(false),
            users: Vec::new(),
            cells: Vec::new(),
            prints: fixed_hasher(),
            spelled_keys: std::sync::OnceLock::new(),
        }
    }

    /// Loads an export of the current users: the key column plus any other
    /// schema columns, matched like an upload's header (aliases, case). A
    /// later row with the same key replaces an earlier one; a row with a
    /// different number of fields than the header is the error
    /// `existing_field_count`.
    pub fn from_reader<R: Read>(validator: &Validator, input: R) -> Result<ExistingSet, Error> {
        ExistingSet::from_reader_with_threads(validator, input, 1)
    }

    /// [`ExistingSet::from_reader`] on `threads` threads in all: the calling
    /// thread reads the export and stores the users in order, the others
    /// normalise the keys. The set is the same whatever the number of
    /// threads; at most [`MAX_THREADS`](crate::MAX_THREADS) are used, and a
    /// thread the system refuses to start is done without.
    ///
    /// ```
    /// use usercsv::{ExistingSet, ExistingUsers, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users()).unwrap();
    /// let export = "email,firstName,lastName\nada@example.com,Ada,Lovelace\ngrace@example.com,Grace,Hopper\n";
    /// let existing = ExistingSet::from_reader_with_threads(&validator, export.as_bytes(), 2).unwrap();
    /// assert_eq!(existing.keys().collect::<Vec<_>>(), ["ada@example.com", "grace@example.com"]);
    /// ```
    pub fn from_reader_with_threads<R: Read>(
        validator: &Validator,
        input: R,
        threads: usize,
    ) -> Result<ExistingSet, Error> {
        let compiled: &Compiled = &validator.inner;
        if compiled.key.is_none() {
            return Err(Error::new(ErrorKind::MissingColumns {
                missing: vec!["(the schema names no key column)".to_string()],
                found: Vec::new(),
            }));
        }
        let mut reader = ReaderBuilder::new().from_reader(input)?;
        let mut warnings = Vec::new();
        let map = HeaderMap::new(compiled, reader.header(), false, &mut warnings)?;
        let mut set = ExistingSet::new(validator);
        let load = Load {
            compiled,
            map: &map,
            prints: set.prints.clone(),
            keys: set.index.hasher().clone(),
        };
        let threads = threads.min(crate::MAX_THREADS);
        if threads <= 1 {
            load.on_this_thread(&mut reader, &mut set)?;
        } else {
            load.on_workers(&mut reader, &mut set, threads - 1)?;
        }
        Ok(set)
    }

    /// Adds (or replaces) a user: its normalised key and, per schema column
    /// in schema order (`validator.schema().columns`), its normalised value
    /// (`None` when unknown).
    ///
    /// Unlike [`ExistingSet::from_reader`], which normalises what the
    /// export wrote, `insert` takes its key and values as they are:
    /// - a key not in its normal form ([`Validator::normalize_key`]) is
    ///   another user's key: an upload naming the user creates them anew,
    ///   and a full sync archives the key given here;
    /// - a value not in its normal form ([`Validator::normalize`]) is
    ///   compared as it is: an upload writing the normal form updates it;
    /// - a `None` value is unknown: any uploaded value of that column,
    ///   empty or not, updates the user (a delta upload's empty cell keeps
    ///   the stored value and is not compared).
    ///
    /// ```
    /// use usercsv::{ExistingSet, ExistingUsers, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users()).unwrap();
    /// let mut existing = ExistingSet::new(&validator);
    /// existing.insert("ada@example.com", [Some("ada@example.com"), Some("Ada"), None]);
    /// assert!(existing.same_value("ada@example.com", "firstName", "Ada"));
    /// assert!(!existing.same_value("ada@example.com", "lastName", "Lovelace"));
    /// ```
    pub fn insert<'v>(&mut self, key: &str, values: impl IntoIterator<Item = Option<&'v str>>) {
        let start = self.cells.len();
        let width = self.validator.inner.columns.len();
        let mut values = values.into_iter();
        for _ in 0..width {
            match values.next().flatten() {
                Some(value) => self.push_cell(value, None),
                None => push_varint(&mut self.cells, CELL_UNKNOWN),
            }
        }
        self.store_user(key, start, true);
    }

    /// Appends one cell: as written, or, when longer than
    /// [`MAX_STORED_CELL`], the fingerprint of its normal form (by `rules`,
    /// or `value` itself when it is one already).
    fn push_cell(&mut self, value: &str, rules: Option<&crate::rules::ColumnRules>) {
        push_cell(&mut self.cells, &self.prints, value, rules);
    }

    fn fingerprint(&self, normalized: &str) -> u64 {
        self.prints.hash_one(normalized)
    }

    /// Makes the record written from `start` on user `key`'s, replacing
    /// any earlier one (whose bytes stay, unused).
    fn store_user(&mut self, key: &str, start: usize, normal: bool) {
        let hash = self.index.hasher().hash(key);
        self.store_user_hashed(key, hash, start, normal);
    }

    /// [`ExistingSet::store_user`], `key`'s hash from the index's hasher.
    fn store_user_hashed(&mut self, key: &str, hash: u64, start: usize, normal: bool) {
        self.spelled_keys.take();
        let entry = (start as u64) << 1 | u64::from(normal);
        let next = self.users.len() as u64;
        let mut unlimited = u64::MAX;
        match self.index.insert_hashed(key, hash, next, &mut unlimited) {
            Ok(Some(i)) => {
                if let Some(user) = usize::try_from(i).ok().and_then(|i| self.users.get_mut(i)) {
                    *user = entry;
                }
            }
            // Err cannot happen: nothing costs more than an unlimited budget.
            Ok(None) | Err(_) => self.users.push(entry),
        }
    }

    /// The users whose keys may have other spellings of their e-mail
    /// domain ([`may_have_other_forms`](crate::rules::may_have_other_forms)),
    /// by the domain's ASCII form (an `xn--` key is its own): so that a row
    /// in any spelling finds them, a plain `ada@1.de` the stored
    /// `ada@①.de` too. One pass over the keys, on first need; usually empty.
    pub(crate) fn spelled_users(&self) -> &SpelledUsers {
        self.spelled_keys.get_or_init(|| {
            let mut users = SpelledUsers::default();
            for (place, key) in self.index.records() {
                let Ok(key) = std::str::from_utf8(key) else {
                    continue;
                };
                if crate::rules::may_have_other_forms(key) {
                    let ascii =
                        crate::rules::ascii_domain_form(key).unwrap_or_else(|| key.to_string());
                    let place = usize::try_from(place).unwrap_or(usize::MAX);
                    users
                        .entry(ascii)
                        .or_default()
                        .push((place, key.to_string()));
                }
            }
            users
        })
    }

    /// Stores the users of `batch` (prepared: their keys normalised and
    /// their records written), in order.
    fn store(&mut self, batch: &LoadBatch) {
        // Every key's index slot first, so that their cache misses overlap.
        let mut loaded = 0u64;
        for &hash in &batch.hashes {
            loaded ^= self.index.touch(hash);
        }
        std::hint::black_box(loaded);
        let mut from = 0;
        for ((key, &hash), &to) in batch.keys.iter().zip(&batch.hashes).zip(&batch.record_ends) {
            let record = batch.records.get(from..to).unwrap_or_default();
            from = to;
            let Some(key) = key.and_then(|(start, end)| batch.key_text.get(start..end)) else {
                continue;
            };
            let start = self.cells.len();
            self.cells.extend_from_slice(record);
            self.store_user_hashed(key, hash, start, false);
        }
    }

    /// Whether `row` (valid, of a run whose schema columns are this set's)
    /// leaves user `key` as stored: what [`PlanView`] would ask of
    /// [`ExistingUsers::same_values`], without building the values. Each
    /// cell is compared as written first, and normalised only when that
    /// differs.
    pub(crate) fn unchanged_row(
        &self,
        compiled: &Compiled,
        map: &HeaderMap,
        row: &Row,
        key: &str,
        mode: Mode,
    ) -> bool {
        self.user(key)
            .is_some_and(|user| self.unchanged_user(compiled, map, row, key, user, mode))
    }

    /// [`ExistingSet::unchanged_row`] for user `key`, found already.
    fn unchanged_user(
        &self,
        compiled: &Compiled,
        map: &HeaderMap,
        row: &Row,
        key: &str,
        mut user: StoredUser<'_>,
        mode: Mode,
    ) -> bool {
        for (c, rules) in compiled.columns.iter().enumerate() {
            // Every column's cell in turn, compared or not.
            let cell = user.next_cell();
            if Some(c) == compiled.key || map.file_index[c].is_none() {
                continue;
            }
            let value = map.value(row, c);
            // An empty cell keeps the stored value in a delta upload.
            if value.is_empty() && mode == Mode::Delta {
                continue;
            }
            let same = match cell {
                StoredCell::Text(stored) if stored == value.as_bytes() => {
                    !user.normal
                        || rules.normal_forms_are_fixed
                        || self.holds(key, c, cell, true, &rules.normalize(value))
                }
                _ => self.holds(key, c, cell, user.normal, &rules.normalize(value)),
            };
            if !same {
                return false;
            }
        }
        true
    }

    /// User `key`'s place among the users, in the order of
    /// [`ExistingUsers::keys`].
    fn user_index(&self, key: &str) -> Option<usize> {
        usize::try_from(self.index.get(key)?).ok()
    }

    /// The lookups of a batch of rows, in three passes so that the memory
    /// loads of the whole batch overlap (the key index and the records
    /// are far larger than the cache on big exports): hash every key and
    /// start loading its index slot; find every user and start loading its
    /// record; then compare.
    fn lookup_batch(
        &self,
        compiled: &Compiled,
        map: &HeaderMap,
        rows: &[Row],
        passes: impl Fn(usize) -> bool,
        mode: Mode,
        out: &mut Vec<Option<Lookup>>,
    ) {
        // Every key of the batch in one buffer: no allocation per row.
        let mut text = String::new();
        let keys: Vec<(Option<(usize, usize)>, u64)> = rows
            .iter()
            .map(|row| {
                let start = text.len();
                let named = compiled.key.is_some_and(|key_column| {
                    push_normalized_key(compiled, map.value(row, key_column), &mut text)
                });
                let key = named.then_some((start, text.len()));
                let hash = key.map_or(0, |(start, end)| {
                    self.index.hasher().hash(&text[start..end])
                });
                (key, hash)
            })
            .collect();
        let key_text = |key: Option<(usize, usize)>| key.map(|(start, end)| &text[start..end]);
        let mut loaded = 0u64;
        for (key, hash) in &keys {
            if key.is_some() {
                loaded ^= self.index.touch(*hash);
            }
        }
        let users: Vec<Option<usize>> = keys
            .iter()
            .map(|&(key, hash)| {
                let index = usize::try_from(self.index.get_hashed(key_text(key)?, hash)?).ok()?;
                let entry = *self.users.get(index)?;
                loaded ^= u64::from(
                    self.cells
                        .get(usize::try_from(entry >> 1).unwrap_or(usize::MAX))
                        .copied()
                        .unwrap_or(0),
                );
                Some(index)
            })
            .collect();
        std::hint::black_box(loaded);
        for (i, ((key, _), index)) in keys.into_iter().zip(users).enumerate() {
            let row = &rows[i];
            let key = key_text(key);
            let unchanged = match (index.and_then(|i| self.user_at(i)), key) {
                (Some(user), Some(key)) if passes(i) && row.len() == map.width => {
                    Some(self.unchanged_user(compiled, map, row, key, user, mode))
                }
                _ => None,
            };
            // The plan needs the key's text only for an existing user
            // whose verdict is still open; the rest need just the index.
            let needs_text = index.is_some() && unchanged.is_none();
            out.push(Some(Lookup {
                key: key.filter(|_| needs_text).map(str::to_string),
                named: key.is_some(),
                exists: index.is_some(),
                user: index,
                unchanged,
            }));
        }
    }

    /// User `key`'s stored record.
    fn user(&self, key: &str) -> Option<StoredUser<'_>> {
        self.user_at(self.user_index(key)?)
    }

    /// The stored record of the user at `index` ([`ExistingSet::user_index`]).
    fn user_at(&self, index: usize) -> Option<StoredUser<'_>> {
        let entry = *self.users.get(index)?;
        let start = usize::try_from(entry >> 1).ok()?;
        Some(StoredUser {
            record: self.cells.get(start..)?,
            normal: entry & 1 == 1,
            column: 0,
            at: 0,
        })
    }

    /// The schema column named `column`, which is usually column `at`.
    fn column(&self, column: &str, at: Option<usize>) -> Option<usize> {
        let columns = &self.validator.inner.columns;
        match at {
            Some(c) if columns.get(c).is_some_and(|rules| rules.name == column) => Some(c),
            _ => columns.iter().position(|rules| rules.name == column),
        }
    }

    /// Whether a stored `cell` of column `c` of user `key` has the normal
    /// form `normalized`.
    fn holds(
        &self,
        key: &str,
        c: usize,
        cell: StoredCell<'_>,
        normal: bool,
        normalized: &str,
    ) -> bool {
        match cell {
            StoredCell::Unknown => false,
            // The key column's value is the user's normalised key.
            StoredCell::Key => normalized == key,
            StoredCell::Print(print) => print == self.fingerprint(normalized),
            StoredCell::Text(stored) if normal => stored == normalized.as_bytes(),
            StoredCell::Text(stored) => std::str::from_utf8(stored).is_ok_and(|stored| {
                self.validator.inner.columns[c].normalize(stored) == normalized
            }),
        }
    }
}

/// Rows of an export read but not yet stored, and their keys.
#[derive(Default)]
struct LoadBatch {
    seq: u64,
    rows: Vec<Row>,
    len: usize,
    /// The rows' normalised keys back to back, and per row where its key
    /// is in it (`None` when the key cell gives none).
    key_text: String,
    keys: Vec<Option<(usize, usize)>>,
    /// Per row: its key's hash by the set's index (`0` without a key).
    hashes: Vec<u64>,
    /// The rows' records as [`ExistingSet`] stores them, back to back, and
    /// where each ends.
    records: Vec<u8>,
    record_ends: Vec<usize>,
}

/// Appends one cell to a record: as written, or, when longer than
/// [`MAX_STORED_CELL`], the fingerprint (by `prints`) of its normal form
/// (by `rules`, or `value` itself when it is one already).
fn push_cell(
    out: &mut Vec<u8>,
    prints: &RandomState,
    value: &str,
    rules: Option<&crate::rules::ColumnRules>,
) {
    if value.len() <= MAX_STORED_CELL {
        push_varint(out, CELL_TEXT + value.len() as u64);
        out.extend_from_slice(value.as_bytes());
        return;
    }
    let normalized = rules.map_or(Cow::Borrowed(value), |rules| rules.normalize(value));
    push_varint(out, CELL_PRINT);
    out.extend_from_slice(&prints.hash_one(&*normalized).to_le_bytes());
}

/// Rows per [`LoadBatch`].
const LOAD_BATCH: usize = 256;

/// How an export's rows become users; shared by the loading threads.
struct Load<'a> {
    compiled: &'a Compiled,
    map: &'a HeaderMap,
    /// The set's fingerprints of long cells.
    prints: RandomState,
    /// The set's key index's hasher.
    keys: crate::rules::KeyHasher,
}

impl Load<'_> {
    /// Reads the next rows into `batch`; `false` at the end of the export.
    /// A row with the wrong number of fields stops the load: a shifted row
    /// would key one user by another's cell, and so archive or recreate
    /// the wrong user.
    fn fill<R: Read>(
        &self,
        reader: &mut crate::reader::Reader<R>,
        batch: &mut LoadBatch,
    ) -> Result<bool, Error> {
        batch.len = 0;
        while batch.len < LOAD_BATCH {
            if batch.rows.len() == batch.len {
                batch.rows.push(Row::default());
            }
            let row = &mut batch.rows[batch.len];
            if !reader.read_row(row)? {
                break;
            }
            if row.len() != self.map.width {
                return Err(Error::new(ErrorKind::ExistingFieldCount {
                    position: row.position(),
                    found: row.len(),
                    expected: self.map.width,
                }));
            }
            batch.len += 1;
        }
        Ok(batch.len > 0)
    }

    /// Normalises the keys of the rows of `batch`.
    fn prepare(&self, batch: &mut LoadBatch) {
        let compiled = self.compiled;
        let map = self.map;
        let key_column = compiled.key.unwrap_or(0);
        batch.keys.clear();
        batch.key_text.clear();
        batch.hashes.clear();
        batch.records.clear();
        batch.record_ends.clear();
        for row in &batch.rows[..batch.len] {
            let start = batch.key_text.len();
            let key =
                push_normalized_key(compiled, map.value(row, key_column), &mut batch.key_text)
                    .then_some((start, batch.key_text.len()));
            batch.hashes.push(key.map_or(0, |(start, end)| {
                self.keys.hash(&batch.key_text[start..end])
            }));
            batch.keys.push(key);
            for c in 0..compiled.columns.len() {
                if c == key_column {
                    push_varint(&mut batch.records, CELL_KEY);
                } else if map.file_index[c].is_none() {
                    push_varint(&mut batch.records, CELL_UNKNOWN);
                } else {
                    let rules = &compiled.columns[c];
                    push_cell(
                        &mut batch.records,
                        &self.prints,
                        map.value(row, c),
                        Some(rules),
                    );
                }
            }
            batch.record_ends.push(batch.records.len());
        }
    }

    /// Reads, prepares and stores every row on this thread.
    fn on_this_thread<R: Read>(
        &self,
        reader: &mut crate::reader::Reader<R>,
        set: &mut ExistingSet,
    ) -> Result<(), Error> {
        let mut batch = LoadBatch::default();
        while self.fill(reader, &mut batch)? {
            self.prepare(&mut batch);
            set.store(&batch);
        }
        Ok(())
    }

    /// Reads on this thread, prepares on `workers` others (and on this one
    /// when they are all busy), stores in input order.
    fn on_workers<R: Read>(
        &self,
        reader: &mut crate::reader::Reader<R>,
        set: &mut ExistingSet,
        workers: usize,
    ) -> Result<(), Error> {
        use std::collections::BTreeMap;
        use std::sync::mpsc;
        let stopped = || Error::from(std::io::Error::other("loading worker stopped"));
        let (work_tx, work_rx) = mpsc::sync_channel::<LoadBatch>(2 * workers);
        let work_rx = std::sync::Mutex::new(work_rx);
        let work_rx = &work_rx;
        // Moved into the scope, so that any early return drops it and the
        // workers, waiting for work, end before the scope joins them.
        let mut work_tx = Some(work_tx);
        std::thread::scope(|scope| -> Result<(), Error> {
            let Some(work_tx) = work_tx.take() else {
                return Err(stopped());
            };
            let (done_tx, done_rx) = mpsc::channel::<LoadBatch>();
            let mut spawned = 0;
            for _ in 0..workers {
                let done = done_tx.clone();
                let worker = std::thread::Builder::new().spawn_scoped(scope, move || {
                    loop {
                        let next = match work_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(mut batch) = next else { return };
                        self.prepare(&mut batch);
                        if done.send(batch).is_err() {
                            return;
                        }
                    }
                });
                // A thread the system refuses is done without.
                if worker.is_err() {
                    break;
                }
                spawned += 1;
            }
            drop(done_tx);
            if spawned == 0 {
                drop(work_tx);
                return self.on_this_thread(reader, set);
            }
            let mut pending: BTreeMap<u64, LoadBatch> = BTreeMap::new();
            let mut free: Vec<LoadBatch> = Vec::new();
            let (mut next, mut seq, mut in_flight) = (0u64, 0u64, 0usize);
            let mut store_ready = |batch: LoadBatch,
                                   pending: &mut BTreeMap<u64, LoadBatch>,
                                   free: &mut Vec<LoadBatch>,
                                   next: &mut u64| {
                pending.insert(batch.seq, batch);
                while let Some(batch) = pending.remove(next) {
                    *next += 1;
                    set.store(&batch);
                    free.push(batch);
                }
            };
            loop {
                let mut batch = free.pop().unwrap_or_default();
                if !self.fill(reader, &mut batch)? {
                    break;
                }
                batch.seq = seq;
                seq += 1;
                match work_tx.try_send(batch) {
                    Ok(()) => in_flight += 1,
                    // Every worker busy: this thread prepares the batch.
                    Err(mpsc::TrySendError::Full(mut batch)) => {
                        self.prepare(&mut batch);
                        store_ready(batch, &mut pending, &mut free, &mut next);
                    }
                    Err(mpsc::TrySendError::Disconnected(_)) => return Err(stopped()),
                }
                while let Ok(batch) = done_rx.try_recv() {
                    in_flight -= 1;
                    store_ready(batch, &mut pending, &mut free, &mut next);
                }
            }
            drop(work_tx);
            while in_flight > 0 {
                let batch = done_rx.recv().map_err(|_| stopped())?;
                in_flight -= 1;
                store_ready(batch, &mut pending, &mut free, &mut next);
            }
            Ok(())
        })
    }
}

impl ExistingUsers for ExistingSet {
    fn len(&self) -> usize {
        self.index.len()
    }

    fn contains(&self, key: &str) -> bool {
        self.index.get(key).is_some()
    }

    fn same_value(&self, key: &str, column: &str, normalized: &str) -> bool {
        let (Some(mut user), Some(c)) = (self.user(key), self.column(column, None)) else {
            return false;
        };
        let cell = user.cell(c);
        self.holds(key, c, cell, user.normal, normalized)
    }

    /// One lookup of the user for all the values. A value as uploaded that
    /// is the stored cell as written is the same value without normalising
    /// either (they are read by the same rules); a stored normal form is
    /// compared as uploaded where that is sound
    /// ([`RowValue::compares_as_uploaded`]); otherwise the normal forms are
    /// compared.
    fn same_values(&self, key: &str, values: &[RowValue<'_>]) -> bool {
        let Some(mut user) = self.user(key) else {
            return false;
        };
        values.iter().all(|value| {
            let Some(c) = self.column(value.column(), value.schema_index) else {
                return false;
            };
            let cell = user.cell(c);
            let uploaded = value.as_uploaded().as_bytes();
            match cell {
                StoredCell::Text(stored) if stored == uploaded => {
                    if user.normal {
                        value.compares_as_uploaded()
                            || self.holds(key, c, cell, true, value.normalized())
                    } else {
                        matches!(value.normalizer, Normalizer::Rules(_))
                            || self.holds(key, c, cell, false, value.normalized())
                    }
                }
                _ => self.holds(key, c, cell, user.normal, value.normalized()),
            }
        })
    }

    /// The keys in the order the users were first inserted.
    fn keys(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
        // Keys went in as `&str`: the lossy conversion never replaces anything.
        Box::new(
            self.index
                .records()
                .map(|(_, key)| String::from_utf8_lossy(key)),
        )
    }
}

/// The mass-archive guard of a full sync.
///
/// A plan that would archive more than `max_percent` of the existing users
/// **and** more than `max_count` users is refused, unless `allow` is set. A
/// full file with no data rows always trips it when users exist.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArchiveGuard {
    /// Percentage of existing users (default 10).
    pub max_percent: f64,
    /// Number of users (default 10).
    pub max_count: u64,
    /// Plan anyway.
    pub allow: bool,
}

impl Default for ArchiveGuard {
    fn default() -> ArchiveGuard {
        ArchiveGuard {
            max_percent: 10.0,
            max_count: 10,
            allow: false,
        }
    }
}

impl ArchiveGuard {
    /// Checks a plan that archives `archive` of `existing` users, for a file
    /// of `rows` data rows: `Err` holds the sync for an operator.
    ///
    /// ```
    /// use usercsv::ArchiveGuard;
    /// let guard = ArchiveGuard::default();
    /// assert!(guard.check(11, 100, 89).is_err()); // 11% and 11 users
    /// assert!(guard.check(10, 100, 90).is_ok());  // only 10 users
    /// assert!(guard.check(50, 1000, 950).is_ok()); // only 5%
    /// assert!(guard.check(3, 3, 0).is_err()); // empty file
    /// ```
    pub fn check(&self, archive: u64, existing: u64, rows: u64) -> Result<(), ArchiveHeld> {
        if self.allow || archive == 0 {
            return Ok(());
        }
        let held = ArchiveHeld {
            archive,
            existing,
            max_percent: self.max_percent,
            max_count: self.max_count,
        };
        if rows == 0 || held.over_thresholds() {
            return Err(held);
        }
        Ok(())
    }
}

/// The plan of a finished run: its counts and the keys to archive.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The counts, also in the report.
    pub counts: PlanCounts,
    /// Normalised keys of the users to archive (full mode only), in the
    /// existing users' order.
    pub archive: Vec<String>,
}

impl Plan {
    /// The keys to archive.
    pub fn archive_keys(&self) -> impl Iterator<Item = &str> {
        self.archive.iter().map(String::as_str)
    }
}

/// A row's user as the plan sees it; from [`PlanView::lookup`].
pub(crate) struct Lookup {
    /// The normalised key, when the plan needs its text (always, but for
    /// an [`ExistingSet`]'s batched lookups).
    key: Option<String>,
    /// Whether the row gives a key at all.
    named: bool,
    exists: bool,
    /// The user's index in an [`ExistingSet`], when the plan has one.
    user: Option<usize>,
    /// Whether the row leaves its (existing) user as stored, when already
    /// known ([`PlanView::lookup_ahead`]).
    unchanged: Option<bool>,
}

/// The read-only part of planning: which user a row names and whether it
/// changes it. Cloned to the threads that check rows, so that this work
/// (normalising keys and values, asking the store) is spread over them.
#[derive(Clone)]
pub(crate) struct PlanView {
    mode: Mode,
    existing: std::sync::Arc<dyn ExistingUsers + Send + Sync>,
    /// The same users when they are an [`ExistingSet`] of the run's
    /// columns: asked row by row, without a list of [`RowValue`]s.
    set: Option<std::sync::Arc<ExistingSet>>,
}

impl PlanView {
    /// Looks up a row's user: its normalised key (`None` when the key cell
    /// gives none) and whether that user exists.
    pub fn lookup(&self, compiled: &Compiled, map: &HeaderMap, row: &Row) -> Lookup {
        let key = compiled
            .key
            .and_then(|key_column| normalize_key(compiled, map.value(row, key_column)));
        if let Some(set) = &self.set {
            let user = key.as_deref().and_then(|k| set.user_index(k));
            return Lookup {
                named: key.is_some(),
                key,
                exists: user.is_some(),
                user,
                unchanged: None,
            };
        }
        let exists = key.as_deref().is_some_and(|k| self.existing.contains(k));
        Lookup {
            named: key.is_some(),
            key,
            exists,
            user: None,
            unchanged: None,
        }
    }

    /// [`PlanView::lookup_ahead`] for each of `rows` (whose checks so far
    /// are `errors`), pushed onto `out`.
    pub fn lookup_batch(
        &self,
        compiled: &Compiled,
        map: &HeaderMap,
        rows: &[Row],
        errors: &[Vec<RowError>],
        out: &mut Vec<Option<Lookup>>,
    ) {
        if let Some(set) = &self.set {
            let passes = |i: usize| errors.get(i).is_some_and(Vec::is_empty);
            return set.lookup_batch(compiled, map, rows, passes, self.mode, out);
        }
        for (row, errors) in rows.iter().zip(errors) {
            out.push(Some(self.lookup_ahead(
                compiled,
                map,
                row,
                errors.is_empty(),
            )));
        }
    }

    /// [`PlanView::lookup`], and whether an existing user is left
    /// unchanged, for a row with no errors so far (`passes`); the rest of
    /// its checks come later, in input order.
    pub fn lookup_ahead(
        &self,
        compiled: &Compiled,
        map: &HeaderMap,
        row: &Row,
        passes: bool,
    ) -> Lookup {
        let mut lookup = self.lookup(compiled, map, row);
        if passes
            && lookup.exists
            && row.len() == map.width
            && let (Some(key), Some(key_column)) = (lookup.key.as_deref(), compiled.key)
        {
            lookup.unchanged = Some(self.unchanged(compiled, map, row, key, key_column));
        }
        lookup
    }

    fn unchanged(
        &self,
        compiled: &Compiled,
        map: &HeaderMap,
        row: &Row,
        key: &str,
        key_column: usize,
    ) -> bool {
        // The list's allocation is kept between rows, per thread.
        thread_local! {
            static VALUES: std::cell::Cell<Vec<RowValue<'static>>> = const { std::cell::Cell::new(Vec::new()) };
        }
        if let Some(set) = &self.set {
            return set.unchanged_row(compiled, map, row, key, self.mode);
        }
        let mut values: Vec<RowValue<'_>> = recycle_values(VALUES.take());
        for (c, rules) in compiled.columns.iter().enumerate() {
            if c == key_column || map.file_index[c].is_none() {
                continue;
            }
            let value = map.value(row, c);
            // An empty cell keeps the stored value in a delta upload.
            if value.is_empty() && self.mode == Mode::Delta {
                continue;
            }
            values.push(RowValue::by_rules(c, rules, value));
        }
        let same = self.existing.same_values(key, &values);
        VALUES.set(recycle_values(values));
        same
    }
}

/// The per-run planning state, fed rows in input order.
pub(crate) struct Planner {
    /// The mode and the existing users, shared with the checking threads.
    view: PlanView,
    guard: ArchiveGuard,
    /// Fingerprints of the existing keys seen in the file. A collision can
    /// only keep a user from being archived, never archive one.
    seen: AHashSet<u64>,
    /// With an [`ExistingSet`]: one bit per user, set when the file names
    /// them (instead of `seen`).
    seen_users: Vec<u64>,
    hasher: RandomState,
    pub counts: PlanCounts,
    /// Untrusted rows of a full sync ([`ArchiveSkipped`]) and the first one.
    untrusted: u64,
    first_untrusted: u64,
}

/// A finished plan and why its archive was withheld, if it was.
pub(crate) struct Finished {
    pub plan: Plan,
    pub held: Option<ArchiveHeld>,
    pub skipped: Option<ArchiveSkipped>,
}

impl Planner {
    /// `set` is `existing` when it is an [`ExistingSet`].
    pub fn new(
        mode: Mode,
        existing: std::sync::Arc<dyn ExistingUsers + Send + Sync>,
        set: Option<std::sync::Arc<ExistingSet>>,
        compiled: &Compiled,
        guard: ArchiveGuard,
    ) -> Planner {
        // A set of other columns (another schema's) is asked by name.
        let set = set.filter(|set| {
            let mine = &set.validator.inner.columns;
            mine.len() == compiled.columns.len()
                && mine
                    .iter()
                    .zip(&compiled.columns)
                    .all(|(a, b)| a.name == b.name)
        });
        // Sized once: a full sync marks about every existing user as seen.
        // Capped, since `len` is the host's word (a store's size, or a
        // wrong one) and the file may be short: past the cap it grows.
        const MAX_RESERVED: usize = 1 << 20;
        let (seen, seen_users) = match (mode, &set) {
            (Mode::Full, Some(set)) => (AHashSet::new(), vec![0; set.users.len().div_ceil(64)]),
            (Mode::Full, None) => (
                AHashSet::with_capacity(existing.len().min(MAX_RESERVED)),
                Vec::new(),
            ),
            _ => (AHashSet::new(), Vec::new()),
        };
        Planner {
            view: PlanView {
                mode,
                existing,
                set,
            },
            guard,
            seen,
            seen_users,
            hasher: fixed_hasher(),
            counts: PlanCounts::default(),
            untrusted: 0,
            first_untrusted: 0,
        }
    }

    /// Whether required columns other than the key may be missing or empty
    /// (for existing users of a delta upload).
    pub fn relaxes_required(&self) -> bool {
        self.view.mode == Mode::Delta
    }

    /// The read-only part of this plan, for the threads that check rows.
    pub fn view(&self) -> &PlanView {
        &self.view
    }

    /// Looks up a row's user ([`PlanView::lookup`]).
    pub fn lookup(&self, compiled: &Compiled, map: &HeaderMap, row: &Row) -> Lookup {
        self.view.lookup(compiled, map, row)
    }

    /// Whether the row must fill every required column although this plan
    /// relaxes them: a new user in a delta plan (an intact row only; a row
    /// with a wrong field count already has its error).
    pub fn needs_required(&self, lookup: &Lookup, map: &HeaderMap, row: &Row) -> bool {
        self.view.mode == Mode::Delta && !lookup.exists && row.len() == map.width
    }

    /// The existing users the row's key names in another spelling of its
    /// e-mail domain (Unicode, `xn--`, or as IDNA maps it): each one's place
    /// in an [`ExistingSet`] (when the plan has one) and key. With a host's
    /// store, the row's own other spellings are asked for; an
    /// `ExistingSet` also finds a stored spelling of a plain key. When the
    /// row's user exists under its own key, only a spelled key is looked
    /// at (a cheap test for the usual one).
    fn other_spellings(
        &self,
        compiled: &Compiled,
        map: &HeaderMap,
        row: &Row,
        lookup: &Lookup,
    ) -> Vec<(Option<usize>, String)> {
        let Some(key_column) = compiled
            .key
            .filter(|_| lookup.named && compiled.key_is_email())
        else {
            return Vec::new();
        };
        let value = map.value(row, key_column);
        let spelled = crate::rules::may_have_other_forms(value);
        // A user found under a plain key: nothing to look for (and no
        // index of spellings to build, in the usual full sync).
        if lookup.exists && !spelled {
            return Vec::new();
        }
        // A plain key can only be a stored spelling's, which a set indexes.
        let stored = self.view.set.as_ref().map(|set| (set, set.spelled_users()));
        if !spelled && stored.is_none_or(|(_, stored)| stored.is_empty()) {
            return Vec::new();
        }
        let key = match &lookup.key {
            Some(key) => key.clone(),
            None => match normalize_key(compiled, value) {
                Some(key) => key,
                None => return Vec::new(),
            },
        };
        let Some((set, stored)) = stored else {
            return crate::rules::other_domain_forms(&key)
                .into_iter()
                .filter(|form| self.view.existing.contains(form))
                .map(|form| (None, form))
                .collect();
        };
        let ascii = crate::rules::ascii_domain_form(&key).unwrap_or_else(|| key.clone());
        let mut found = Vec::new();
        if ascii != key
            && let Some(place) = set.user_index(&ascii)
        {
            found.push((Some(place), ascii.clone()));
        }
        for (place, other) in stored.get(&ascii).into_iter().flatten() {
            if *other != key && !found.iter().any(|(p, _)| *p == Some(*place)) {
                found.push((Some(*place), other.clone()));
            }
        }
        found
    }

    /// For a row whose user does not exist under its key, and whose key
    /// cell has no error of its own (`errors`): the stored key of an
    /// existing user that the row's e-mail key names with its domain
    /// written another way (`ada@bücher.de` for a stored
    /// `ada@xn--bcher-kva.de`, or the other way round). Such a row is one
    /// mailbox, not a new user; creating it would make a second user, and
    /// a full sync would archive the stored one.
    pub fn other_spelling(
        &self,
        compiled: &Compiled,
        map: &HeaderMap,
        row: &Row,
        lookup: &Lookup,
        errors: &[RowError],
    ) -> Option<String> {
        if lookup.exists {
            return None;
        }
        let key_name = compiled.columns[compiled.key?].name.as_str();
        if errors.iter().any(|e| e.column.as_deref() == Some(key_name)) {
            return None;
        }
        self.other_spellings(compiled, map, row, lookup)
            .into_iter()
            .next()
            .map(|(_, key)| key)
    }

    /// Marks user `key` (its place `user` in an [`ExistingSet`], when
    /// known) as named by the file.
    fn mark_seen(&mut self, key: Option<&str>, user: Option<usize>) {
        match (user.filter(|_| self.view.set.is_some()), key) {
            (Some(i), _) => {
                if i / 64 >= self.seen_users.len() {
                    self.seen_users.resize(i / 64 + 1, 0);
                }
                self.seen_users[i / 64] |= 1 << (i % 64);
            }
            (None, Some(key)) => {
                self.seen.insert(self.hasher.hash_one(key));
            }
            // Only a set's lookups leave out the key's text, and they
            // give the user's index.
            (None, None) => {}
        }
    }

    /// Records a row with its verdict (`errors`, all of them): counts its
    /// action, marks its user as seen, and notes a row that cannot be
    /// trusted to name its user. The action is `None` for an invalid row.
    pub fn record(
        &mut self,
        compiled: &Compiled,
        map: &HeaderMap,
        row: &Row,
        lookup: Lookup,
        errors: &[RowError],
    ) -> Option<Action> {
        let key_column = compiled.key?;
        // The same mailbox stored again with its domain spelled another
        // way is named by this row too: a full sync does not archive it.
        let other_forms = match self.view.mode {
            Mode::Full if lookup.exists => self.other_spellings(compiled, map, row, &lookup),
            _ => Vec::new(),
        };
        let Lookup {
            key,
            named,
            exists,
            user,
            unchanged,
        } = lookup;
        if self.view.mode == Mode::Full {
            // Only rows that say for certain which user they are may let
            // the others be archived; see `ArchiveSkipped`.
            let key_name = compiled.columns[key_column].name.as_str();
            let trusted = named
                && row.len() == map.width
                && !errors
                    .iter()
                    .any(|e| e.code != ErrorCode::Unique && e.column.as_deref() == Some(key_name));
            if !trusted {
                if self.untrusted == 0 {
                    self.first_untrusted = row.position().row;
                }
                self.untrusted += 1;
            }
        }
        if !named {
            return None;
        }
        if self.view.mode == Mode::Full && exists {
            self.mark_seen(key.as_deref(), user);
            for (place, other) in other_forms {
                self.mark_seen(Some(&other), place);
            }
        }
        if !errors.is_empty() {
            return None;
        }
        let action = if !exists {
            Action::Create
        } else if unchanged.unwrap_or_else(|| {
            // A lookup leaves the verdict open only with the key's text.
            key.as_deref()
                .is_some_and(|key| self.view.unchanged(compiled, map, row, key, key_column))
        }) {
            Action::Unchanged
        } else {
            Action::Update
        };
        match action {
            Action::Create => self.counts.create += 1,
            Action::Update => self.counts.update += 1,
            Action::Unchanged => self.counts.unchanged += 1,
        }
        Some(action)
    }

    /// Ends the plan: the archive list (full mode), withheld when rows are
    /// untrusted or the guard trips.
    /// Ends the plan after `rows` data rows. `error_csv`: the file is an
    /// error CSV of this tool, so it holds only the rows that failed before
    /// and nobody may be archived for missing from it.
    pub fn finish(&mut self, rows: u64, error_csv: bool) -> Finished {
        let mut done = Finished {
            plan: Plan {
                counts: self.counts,
                archive: Vec::new(),
            },
            held: None,
            skipped: None,
        };
        if self.view.mode == Mode::Full {
            let seen_by_bit = |i: usize| {
                self.seen_users
                    .get(i / 64)
                    .is_some_and(|w| w >> (i % 64) & 1 == 1)
            };
            let unseen = |k: &str| !self.seen.contains(&self.hasher.hash_one(k));
            let missing: Vec<String> = match &self.view.set {
                // A set's keys come in user order: bit `i` is the `i`th
                // key's, and only the keys of users not seen are read.
                Some(set) => set
                    .index
                    .records()
                    .enumerate()
                    .filter(|&(i, _)| !seen_by_bit(i))
                    // Keys went in as `&str`: the lossy conversion never
                    // replaces anything.
                    .map(|(_, (_, key))| String::from_utf8_lossy(key))
                    .filter(|k| unseen(k))
                    .map(Cow::into_owned)
                    .collect(),
                None => self
                    .view
                    .existing
                    .keys()
                    .filter(|k| unseen(k))
                    .map(Cow::into_owned)
                    .collect(),
            };
            let count = missing.len() as u64;
            let existing = self.view.existing.len() as u64;
            if error_csv && count > 0 {
                done.skipped = Some(ArchiveSkipped {
                    missing: count,
                    error_csv: true,
                    ..ArchiveSkipped::default()
                });
            } else if self.untrusted > 0 && count > 0 {
                done.skipped = Some(ArchiveSkipped {
                    rows: self.untrusted,
                    first_row: self.first_untrusted,
                    missing: count,
                    error_csv: false,
                });
            } else if let Err(held) = self.guard.check(count, existing, rows) {
                done.held = Some(held);
            } else {
                done.plan.archive = missing;
                done.plan.counts.archive = count;
            }
        }
        self.counts = done.plan.counts;
        done
    }
}

/// `values` emptied, with its allocation kept and its lifetime changed
/// (an in-place `collect` of nothing).
fn recycle_values<'to>(mut values: Vec<RowValue<'_>>) -> Vec<RowValue<'to>> {
    values.clear();
    values
        .into_iter()
        .map(|_| RowValue::new("", "", ""))
        .collect()
}

/// The normalised key of a cell appended to `out`: trimmed, normalised by
/// the key column's rules, lower-cased when the key is unique ignoring
/// case, in Unicode normal form C. `false` (and `out` unchanged) when the
/// cell gives no key (empty, or a schema without key).
pub(crate) fn push_normalized_key(compiled: &Compiled, value: &str, out: &mut String) -> bool {
    let Some(c) = compiled.key else {
        return false;
    };
    let value = trim_value(value);
    if value.is_empty() {
        return false;
    }
    if compiled.key_ascii_as_is && value.is_ascii() {
        // What the steps below give for it, in one copy.
        let start = out.len();
        out.push_str(value);
        out[start..].make_ascii_lowercase();
        return true;
    }
    let rules = &compiled.columns[c];
    let normalized = rules.normalize(value);
    let key = match rules.unique {
        // ASCII lower-cases byte by byte, as `to_lowercase` would.
        Some(true) if normalized.is_ascii() => {
            let mut key = normalized.into_owned();
            key.make_ascii_lowercase();
            key
        }
        Some(true) => normalized.to_lowercase(),
        _ => normalized.into_owned(),
    };
    // One user, however the text was composed (`é` as one character or as
    // `e` and an accent): keys compare in Unicode normal form C.
    let key = if key.is_ascii() {
        key
    } else {
        key.nfc().collect()
    };
    // A new string takes the key as it is; a reused buffer copies it.
    if out.capacity() == 0 {
        *out = key;
    } else {
        out.push_str(&key);
    }
    true
}

/// [`push_normalized_key`] into a new string; `None` when the cell gives
/// no key.
pub(crate) fn normalize_key(compiled: &Compiled, value: &str) -> Option<String> {
    let mut key = String::new();
    push_normalized_key(compiled, value, &mut key).then_some(key)
}

impl Validator {
    /// The normalised form of a key value, as [`ExistingUsers`] expects it:
    /// trimmed, normalised by the key column's rules, lower-cased when the
    /// key is unique case-insensitively, in Unicode normal form C. `None`
    /// for an empty value or a schema without key. An internationalised
    /// e-mail domain keeps the spelling it is written in (Unicode or
    /// `xn--`); the planner matches the other spellings itself.
    ///
    /// ```
    /// let v = usercsv::Validator::new(&usercsv::Schema::users()).unwrap();
    /// assert_eq!(v.normalize_key(" Ada@Example.COM ").as_deref(), Some("ada@example.com"));
    /// ```
    pub fn normalize_key(&self, value: &str) -> Option<String> {
        normalize_key(&self.inner, value)
    }
}
