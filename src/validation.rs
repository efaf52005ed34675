//! One validation run over one input: streaming outcomes and the report.

use std::borrow::Cow;
use std::io::{Read, Write};
use std::sync::Arc;

use crate::decode::Encoding;
use crate::error::{Error, ErrorKind, delimiter_name};
use crate::error_csv::{ErrorCsvWriter, LineEnding};
use crate::plan::{Action, ArchiveGuard, ExistingUsers, Mode, Plan, Planner};
use crate::progress::{CancelToken, Progress};
use crate::reader::{Limits, Reader, ReaderBuilder};
use crate::report::{RowError, ValidationReport, Warning, generate_id};
use crate::row::Row;
use crate::rules::{KeyHasher, UniqueBudget, UniqueSet};
use crate::validator::{Compiled, HeaderMap, Scratch, Validator};

/// Configures one validation run; from [`Validator::validation`].
///
/// ```
/// use usercsv::{Schema, Validator};
///
/// let validator = Validator::new(&Schema::users()).unwrap();
/// let mut errors_csv = Vec::new();
/// let report = validator
///     .validation()
///     .id("upload-7")
///     .max_errors(10)
///     .delimiter(Some(b';'))
///     .validate("email;firstName;lastName\nx;Ada;Lovelace\n".as_bytes(), Some(&mut errors_csv))
///     .unwrap();
/// assert_eq!(report.id, "upload-7");
/// assert_eq!(report.rows.invalid, 1);
/// assert!(String::from_utf8(errors_csv).unwrap().starts_with("\u{feff}email;firstName;lastName;errors\n"));
/// ```
#[derive(Clone, Debug)]
pub struct ValidationBuilder {
    validator: Validator,
    reader: ReaderBuilder,
    id: Option<String>,
    max_errors: usize,
    progress: Option<Progress>,
    input_len: Option<u64>,
    cancel: Option<CancelToken>,
    formula_guard: bool,
    threads: usize,
    existing: Option<Arc<dyn ExistingUsers + Send + Sync>>,
    mode: Mode,
    guard: ArchiveGuard,
    today: Option<chrono::NaiveDate>,
}

impl std::fmt::Debug for dyn ExistingUsers + Send + Sync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExistingUsers({} users)", self.len())
    }
}

impl ValidationBuilder {
    pub(crate) fn new(validator: Validator) -> ValidationBuilder {
        ValidationBuilder {
            validator,
            reader: ReaderBuilder::new(),
            id: None,
            max_errors: 1000,
            progress: None,
            input_len: None,
            cancel: None,
            formula_guard: true,
            threads: 1,
            existing: None,
            mode: Mode::Delta,
            guard: ArchiveGuard::default(),
            today: None,
        }
    }

    /// The date `not_in_future` compares with in this run. Default: the
    /// date [`ValidatorBuilder::today`](crate::ValidatorBuilder::today)
    /// fixed, else the local date when the run starts (so a validator built
    /// once serves runs on later days).
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use usercsv::{Schema, Validator};
    ///
    /// let schema = Schema::from_toml_str(r#"
    ///     [[columns]]
    ///     name = "hired"
    ///     date = { not_in_future = true }
    /// "#).unwrap();
    /// let validator = Validator::new(&schema).unwrap();
    /// let csv = "hired\n2030-01-02\n";
    /// let on = |y, m, d| validator.validation().today(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    ///     .validate(csv.as_bytes(), None::<&mut Vec<u8>>).unwrap().rows.valid;
    /// assert_eq!(on(2030, 1, 1), 0);
    /// assert_eq!(on(2030, 1, 2), 1);
    /// ```
    pub fn today(&mut self, today: chrono::NaiveDate) -> &mut ValidationBuilder {
        self.today = Some(today);
        self
    }

    /// Plans the upload against these existing users: each valid row becomes
    /// a create, an update or unchanged, and the report gains a `plan`.
    /// Without existing users nothing is planned.
    pub fn existing(
        &mut self,
        existing: impl ExistingUsers + Send + Sync + 'static,
    ) -> &mut ValidationBuilder {
        self.existing = Some(Arc::new(existing));
        self
    }

    /// Like [`ValidationBuilder::existing`], sharing the users between runs.
    pub fn existing_shared(
        &mut self,
        existing: Arc<dyn ExistingUsers + Send + Sync>,
    ) -> &mut ValidationBuilder {
        self.existing = Some(existing);
        self
    }

    /// Delta (default) or full sync; only used with existing users.
    pub fn mode(&mut self, mode: Mode) -> &mut ValidationBuilder {
        self.mode = mode;
        self
    }

    /// The mass-archive guard of a full sync.
    pub fn archive_guard(&mut self, guard: ArchiveGuard) -> &mut ValidationBuilder {
        self.guard = guard;
        self
    }

    /// The upload id (default: [`generate_id`]).
    pub fn id(&mut self, id: impl Into<String>) -> &mut ValidationBuilder {
        self.id = Some(id.into());
        self
    }

    /// How many row errors the report keeps (default 1000); counts and the
    /// error CSV are never capped.
    pub fn max_errors(&mut self, max: usize) -> &mut ValidationBuilder {
        self.max_errors = max;
        self
    }

    /// Forces the delimiter (default: detected).
    pub fn delimiter(&mut self, delimiter: Option<u8>) -> &mut ValidationBuilder {
        self.reader.delimiter(delimiter);
        self
    }

    /// Forces the encoding (default: detected).
    pub fn encoding(&mut self, encoding: Option<Encoding>) -> &mut ValidationBuilder {
        self.reader.encoding(encoding);
        self
    }

    /// Sets the input limits.
    pub fn limits(&mut self, limits: Limits) -> &mut ValidationBuilder {
        self.reader.limits(limits);
        self
    }

    /// Guard formulas in the error CSV and remove the guard on re-read
    /// (default true).
    pub fn formula_guard(&mut self, yes: bool) -> &mut ValidationBuilder {
        self.formula_guard = yes;
        self.reader.formula_guard(yes);
        self
    }

    /// Publishes progress to this handle.
    pub fn progress(&mut self, progress: Progress) -> &mut ValidationBuilder {
        self.progress = Some(progress);
        self
    }

    /// The input's length in bytes, when the host knows it (a file's size,
    /// an upload's `Content-Length`). A hint for speed only: once the first
    /// rows show how long a row is, the `unique` rules' tables are sized for
    /// the rows still to come, instead of doubling (and moving every entry)
    /// again and again on large files. A wrong length costs time or memory
    /// (at most 64 MiB per unique column), never a different result.
    ///
    /// ```
    /// use usercsv::{Schema, Validator};
    ///
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
    /// let report = Validator::new(&Schema::users())
    ///     .unwrap()
    ///     .validation()
    ///     .input_len(Some(csv.len() as u64))
    ///     .validate(csv.as_bytes(), None::<&mut Vec<u8>>)
    ///     .unwrap();
    /// assert_eq!(report.rows.valid, 1);
    /// ```
    pub fn input_len(&mut self, len: Option<u64>) -> &mut ValidationBuilder {
        self.input_len = len;
        self
    }

    /// Stops the run between rows when the token is cancelled.
    pub fn cancel_token(&mut self, cancel: CancelToken) -> &mut ValidationBuilder {
        self.cancel = Some(cancel);
        self
    }

    /// Threads [`ValidationBuilder::validate`] uses in all, the calling
    /// thread included (default 1). With more than one, the calling thread
    /// reads rows in batches and `threads - 1` worker threads check them;
    /// the calling thread then applies the in-order part (uniqueness, plan,
    /// counts, error CSV). The report and error CSV are the same byte for
    /// byte as with one thread.
    pub fn threads(&mut self, threads: usize) -> &mut ValidationBuilder {
        self.threads = threads.max(1);
        self
    }

    /// The configured thread count.
    pub fn get_threads(&self) -> usize {
        self.threads
    }

    /// Reads the header and returns a run positioned at the first row, for
    /// streaming outcomes.
    pub fn from_reader<R: Read>(&self, input: R) -> Result<Validation<R>, Error> {
        let reader = self.reader.from_reader(input)?;
        let mut report = ValidationReport {
            id: self.id.clone().unwrap_or_else(generate_id),
            encoding: Some(reader.encoding()),
            delimiter: Some(
                delimiter_name(reader.delimiter())
                    .trim_matches('\'')
                    .to_string(),
            ),
            ..ValidationReport::default()
        };
        // Today is taken when the run starts, not when the schema was compiled.
        let fixed = self.validator.inner.fixed_today;
        let today = self.today.unwrap_or_else(|| {
            if fixed {
                self.validator.inner.today
            } else {
                chrono::Local::now().date_naive()
            }
        });
        let validator = match self.validator.inner.with_today(today) {
            Some(compiled) => Validator {
                inner: Arc::new(compiled),
            },
            None => self.validator.clone(),
        };
        let compiled = &validator.inner;
        let planner = self
            .existing
            .clone()
            .map(|existing| Planner::new(self.mode, existing, self.guard));
        let require_all = planner.as_ref().is_none_or(|p| !p.relaxes_required());
        let map = HeaderMap::new(compiled, reader.header(), require_all, &mut report.warnings)?;
        Ok(Validation {
            tally: Tally {
                planner,
                action: None,
                unique: compiled.unique_sets(),
                unique_budget: UniqueBudget::new(self.reader.get_limits().max_unique_bytes),
                report,
                max_errors: self.max_errors,
                progress: self.progress.clone(),
            },
            validator,
            reader,
            map: Arc::new(map),
            row: Row::default(),
            row_errors: Vec::new(),
            scratch: Scratch::default(),
            input_len: self.input_len,
            max_rows: self.reader.get_limits().max_rows,
            cancel: self.cancel.clone(),
            formula_guard: self.formula_guard,
            failed: false,
        })
    }

    /// Validates the whole input; failed rows go to `error_csv` (nothing is
    /// written there when every row is valid).
    pub fn validate<R: Read, W: Write>(
        &self,
        input: R,
        error_csv: Option<W>,
    ) -> Result<ValidationReport, Error> {
        self.validate_with_plan(input, error_csv)
            .map(|(report, _)| report)
    }

    /// Like [`ValidationBuilder::validate`], also returning the plan (with
    /// the keys to archive) when existing users were given.
    pub fn validate_with_plan<R: Read, W: Write>(
        &self,
        input: R,
        error_csv: Option<W>,
    ) -> Result<(ValidationReport, Option<Plan>), Error> {
        let result = self.validate_inner(input, error_csv);
        if let Some(progress) = &self.progress {
            progress.finish();
        }
        result
    }

    fn validate_inner<R: Read, W: Write>(
        &self,
        input: R,
        error_csv: Option<W>,
    ) -> Result<(ValidationReport, Option<Plan>), Error> {
        let run = self.from_reader(input)?;
        let sink = ErrorSink::new(
            error_csv,
            run.reader.header().clone(),
            (run.reader.delimiter(), run.reader.line_ending()),
            self.formula_guard,
        );
        crate::pipeline::validate(run, sink, self.threads)
    }
}

/// Opens the error CSV on the first failed row.
pub(crate) struct ErrorSink<W: Write> {
    out: Option<W>,
    writer: Option<ErrorCsvWriter<W>>,
    header: csv::StringRecord,
    delimiter: u8,
    line_ending: LineEnding,
    formula_guard: bool,
}

impl<W: Write> ErrorSink<W> {
    fn new(
        out: Option<W>,
        header: csv::StringRecord,
        (delimiter, line_ending): (u8, LineEnding),
        formula_guard: bool,
    ) -> ErrorSink<W> {
        ErrorSink {
            out,
            writer: None,
            header,
            delimiter,
            line_ending,
            formula_guard,
        }
    }

    pub(crate) fn write(
        &mut self,
        fields: &csv::StringRecord,
        errors: &[RowError],
    ) -> Result<(), Error> {
        if self.writer.is_none() {
            let Some(out) = self.out.take() else {
                return Ok(());
            };
            self.writer = Some(ErrorCsvWriter::with_options(
                out,
                &self.header,
                self.delimiter,
                self.line_ending,
                self.formula_guard,
            )?);
        }
        if let Some(writer) = &mut self.writer {
            writer.write_row(fields, errors)?;
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<(), Error> {
        if let Some(writer) = self.writer {
            writer.finish()?;
        }
        Ok(())
    }
}

/// A validation run in progress: rows are read, checked and counted one at
/// a time, in bounded memory (uniqueness sets aside).
///
/// ```
/// use usercsv::{Schema, Validator};
///
/// let validator = Validator::new(&Schema::users()).unwrap();
/// let csv = "E-mail,firstName,lastName,Mobile phone\nAda@Example.com,Ada,Lovelace,+31 6 12345678\n";
/// let mut run = validator.validation().from_reader(csv.as_bytes()).unwrap();
/// while let Some(outcome) = run.next_outcome().unwrap() {
///     assert!(outcome.is_valid());
///     assert_eq!(outcome.get("email"), Some("Ada@Example.com"));
///     assert_eq!(outcome.normalized("businessMobilePhone").as_deref(), Some("+31612345678"));
///     assert_eq!(outcome.normalized("email").as_deref(), Some("ada@example.com"));
/// }
/// let report = run.finish().unwrap();
/// assert_eq!(report.rows.valid, 1);
/// ```
pub struct Validation<R: Read> {
    pub(crate) tally: Tally,
    pub(crate) validator: Validator,
    pub(crate) reader: Reader<R>,
    pub(crate) map: Arc<HeaderMap>,
    row: Row,
    row_errors: Vec<RowError>,
    scratch: Scratch,
    /// [`ValidationBuilder::input_len`], until the unique tables are sized.
    input_len: Option<u64>,
    max_rows: u64,
    pub(crate) cancel: Option<CancelToken>,
    formula_guard: bool,
    /// Set once the iterator has returned an error.
    failed: bool,
}

impl<R: Read> std::fmt::Debug for Validation<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validation")
            .field("id", &self.tally.report.id)
            .field("rows", &self.tally.report.rows)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Validation<R> {
    /// Validates the next row and returns its outcome, or `None` at the end.
    pub fn next_outcome(&mut self) -> Result<Option<RowOutcome<'_>>, Error> {
        if let Some(cancel) = &self.cancel
            && cancel.is_cancelled()
        {
            return Err(Error::new(ErrorKind::Cancelled {
                rows_read: self.tally.report.rows.total,
            }));
        }
        if !self.reader.read_row(&mut self.row)? {
            self.tally.report.rows.blank = self.reader.blank_rows();
            return Ok(None);
        }
        self.row_errors.clear();
        self.validator.inner.check_row(
            &self.map,
            &self.row,
            &mut self.row_errors,
            &mut self.scratch,
            self.tally.relaxes_required(),
        );
        self.tally.finish_row(
            &self.validator.inner,
            &self.map,
            &self.row,
            None,
            &mut self.row_errors,
            self.reader.bytes_read(),
        )?;
        self.size_unique_sets();
        let compiled: &Compiled = &self.validator.inner;
        Ok(Some(RowOutcome {
            action: self.tally.action,
            row: &self.row,
            errors: &self.row_errors,
            map: &self.map,
            compiled,
        }))
    }

    /// The sequential part of a row's validation, in input order; see
    /// [`Tally::finish_row`]. `hashes` are the row's key hashes from
    /// [`Compiled::unique_hashes`] with [`Tally::key_hashers`], if computed.
    pub(crate) fn finish_row(
        &mut self,
        row: &Row,
        hashes: Option<&[u64]>,
        errors: &mut Vec<RowError>,
    ) -> Result<(), Error> {
        let bytes_read = self.reader.bytes_read();
        self.tally.finish_row(
            &self.validator.inner,
            &self.map,
            row,
            hashes,
            errors,
            bytes_read,
        )?;
        self.size_unique_sets();
        Ok(())
    }

    /// Sizes the unique tables for the whole input once the first rows
    /// have shown the bytes per row ([`ValidationBuilder::input_len`]).
    fn size_unique_sets(&mut self) {
        /// Enough rows for a fair average; the tables start larger than this.
        const SAMPLE_ROWS: u64 = 256;
        /// What a wrong hint may cost: 2^23 slots (64 MiB) per table;
        /// larger files grow past it as without a hint.
        const MAX_RESERVED_ROWS: u64 = (1 << 22) - 1;
        if self.tally.report.rows.total != SAMPLE_ROWS {
            return;
        }
        let Some(len) = self.input_len.take() else {
            return;
        };
        // The reader may be ahead of the rows finished: take its own counts.
        let (rows, bytes) = (self.reader.data_rows(), self.reader.bytes_read());
        if bytes == 0 {
            return;
        }
        let expected = u128::from(len) * u128::from(rows) / u128::from(bytes);
        let expected = expected.min(u128::from(self.max_rows.min(MAX_RESERVED_ROWS))) as u64;
        self.tally.reserve_unique(expected);
    }

    /// The file's header (without any `errors` column).
    pub fn header(&self) -> &csv::StringRecord {
        self.reader.header()
    }

    /// The delimiter in use.
    pub fn delimiter(&self) -> u8 {
        self.reader.delimiter()
    }

    /// The input's line ending, for the error CSV.
    pub fn line_ending(&self) -> LineEnding {
        self.reader.line_ending()
    }

    /// Whether the error CSV should guard formulas.
    pub fn formula_guard(&self) -> bool {
        self.formula_guard
    }

    /// The report so far.
    pub fn report(&self) -> &ValidationReport {
        &self.tally.report
    }

    /// Reads any remaining rows and returns the report.
    pub fn finish(self) -> Result<ValidationReport, Error> {
        self.finish_with_plan().map(|(report, _)| report)
    }

    /// Reads any remaining rows and returns the report and, with existing
    /// users, the plan. A full sync's archive is withheld here when rows
    /// are untrusted ([`ValidationReport::archive_skipped`]) or the
    /// mass-archive guard trips ([`ValidationReport::held`]).
    pub fn finish_with_plan(mut self) -> Result<(ValidationReport, Option<Plan>), Error> {
        while self.next_outcome()?.is_some() {}
        let tally = &mut self.tally;
        let plan = match &mut tally.planner {
            Some(planner) => {
                let done = planner.finish(tally.report.rows.total);
                tally.report.held = done.held;
                if let Some(skipped) = done.skipped {
                    tally
                        .report
                        .warnings
                        .push(Warning::archive_skipped(&skipped));
                    tally.report.archive_skipped = Some(skipped);
                }
                Some(done.plan)
            }
            None => None,
        };
        tally.report.plan = plan.as_ref().map(|p| p.counts);
        if let Some(progress) = &self.tally.progress {
            progress.update(self.tally.report.rows.total, self.reader.bytes_read());
        }
        let mut report = self.tally.report;
        report.encoding = Some(self.reader.encoding());
        for warning in self.reader.warnings() {
            if !report.warnings.contains(warning) {
                report.warnings.push(warning.clone());
            }
        }
        Ok((report, plan))
    }
}

/// The sequential state of a run: uniqueness sets, plan, counts and the
/// report. Rows reach it in input order, whichever thread checked them.
pub(crate) struct Tally {
    pub planner: Option<Planner>,
    action: Option<Action>,
    /// `(schema column, set)` per unique column.
    unique: Vec<(usize, UniqueSet)>,
    /// What `unique` may still spend ([`Limits::max_unique_bytes`]).
    unique_budget: UniqueBudget,
    pub report: ValidationReport,
    max_errors: usize,
    progress: Option<Progress>,
}

impl Tally {
    /// Whether required columns other than the key are relaxed (delta plan).
    pub fn relaxes_required(&self) -> bool {
        self.planner.as_ref().is_some_and(Planner::relaxes_required)
    }

    /// The hashers of the unique columns, in the order of the hashes
    /// [`Tally::finish_row`] takes.
    pub fn key_hashers(&self) -> Vec<(usize, KeyHasher)> {
        self.unique
            .iter()
            .map(|(c, set)| (*c, set.hasher().clone()))
            .collect()
    }

    /// Makes room for `rows` values in every unique table.
    fn reserve_unique(&mut self, rows: u64) {
        for (_, set) in &mut self.unique {
            set.reserve(rows);
        }
    }

    /// Starts loading the table slots the rows with these key hashes (from
    /// [`Compiled::unique_hashes`], rows back to back) will probe, so that
    /// the memory loads of a whole batch overlap instead of each row's
    /// stalling in turn.
    pub fn touch_unique(&self, hashes: &[u64]) {
        if self.unique.is_empty() {
            return;
        }
        let mut loaded = 0u64;
        for row in hashes.chunks_exact(self.unique.len()) {
            for ((_, set), &hash) in self.unique.iter().zip(row) {
                loaded ^= set.touch(hash);
            }
        }
        std::hint::black_box(loaded);
    }

    /// The sequential part of a row's validation: uniqueness, the plan,
    /// the counts, the report's error list and progress. `errors` holds the
    /// row's stateless errors ([`Compiled::check_row`]) and receives the rest.
    pub fn finish_row(
        &mut self,
        compiled: &Compiled,
        map: &HeaderMap,
        row: &Row,
        hashes: Option<&[u64]>,
        errors: &mut Vec<RowError>,
        bytes_read: u64,
    ) -> Result<(), Error> {
        compiled.check_unique(
            map,
            row,
            &mut self.unique,
            &mut self.unique_budget,
            hashes,
            errors,
        )?;
        self.action = match &mut self.planner {
            Some(planner) => planner.plan_row(compiled, map, row, errors),
            None => None,
        };
        let rows = &mut self.report.rows;
        rows.total += 1;
        if errors.is_empty() {
            rows.valid += 1;
        } else {
            rows.invalid += 1;
            let room = self.max_errors.saturating_sub(self.report.errors.len());
            if room < errors.len() {
                self.report.errors_truncated = true;
            }
            self.report.errors.extend(errors.iter().take(room).cloned());
        }
        if let Some(progress) = &self.progress
            && (rows.total & 0xFF == 0 || rows.total < 256)
        {
            progress.update(rows.total, bytes_read);
        }
        Ok(())
    }
}

/// The outcome of one row, borrowed from the run; see [`Validation::next_outcome`].
#[derive(Clone, Copy)]
pub struct RowOutcome<'a> {
    action: Option<Action>,
    row: &'a Row,
    errors: &'a [RowError],
    map: &'a HeaderMap,
    compiled: &'a Compiled,
}

impl std::fmt::Debug for RowOutcome<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowOutcome")
            .field("row", self.row)
            .field("errors", &self.errors)
            .finish()
    }
}

impl<'a> RowOutcome<'a> {
    /// Whether the row has no errors.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// What the row does to the existing users (`None` when invalid or when
    /// no existing users were given).
    pub fn action(&self) -> Option<Action> {
        self.action
    }

    /// The row's errors, in column order, cross-field and uniqueness last.
    pub fn errors(&self) -> &'a [RowError] {
        self.errors
    }

    /// The row as read.
    pub fn row(&self) -> &'a Row {
        self.row
    }

    /// The trimmed value of a schema column (by name or alias); `None` when
    /// the column is not in the file.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let c = self.compiled.column_index(column)?;
        self.map.file_index[c]?;
        Some(self.map.value(self.row, c))
    }

    /// The value as uploaded, untrimmed.
    pub fn raw(&self, column: &str) -> Option<&'a str> {
        let c = self.compiled.column_index(column)?;
        self.map.raw(self.row, c)
    }

    /// The canonical value: E.164 phone, ISO 8601 date, lower-case e-mail,
    /// the listed spelling of a one-of value; the trimmed value otherwise.
    pub fn normalized(&self, column: &str) -> Option<Cow<'a, str>> {
        let c = self.compiled.column_index(column)?;
        self.map.file_index[c]?;
        Some(self.compiled.columns[c].normalize(self.map.value(self.row, c)))
    }

    /// An owned copy, e.g. to send to another thread.
    pub fn to_owned(&self) -> OwnedRowOutcome {
        OwnedRowOutcome {
            row: self.row.clone(),
            errors: self.errors.to_vec(),
            values: self
                .compiled
                .columns
                .iter()
                .enumerate()
                .filter(|&(c, _)| self.map.file_index[c].is_some())
                .map(|(c, rules)| (rules.name.clone(), self.map.value(self.row, c).to_string()))
                .collect(),
        }
    }
}

/// An owned row outcome: the row, its errors and its trimmed values by
/// schema column name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedRowOutcome {
    /// The row as read.
    pub row: Row,
    /// Its errors.
    pub errors: Vec<RowError>,
    /// `(schema column, trimmed value)` for the schema columns in the file.
    pub values: Vec<(String, String)>,
}

impl OwnedRowOutcome {
    /// Whether the row has no errors.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The trimmed value of a schema column.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, v)| v.as_str())
    }
}

impl<R: Read> Iterator for Validation<R> {
    type Item = Result<OwnedRowOutcome, Error>;

    /// The next outcome; after an error (a file-level problem, or a
    /// cancellation) the iterator ends.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_outcome() {
            Ok(Some(outcome)) => Some(Ok(outcome.to_owned())),
            Ok(None) => None,
            Err(err) => {
                self.failed = true;
                Some(Err(err))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Schema;
    use crate::generate::UserCsv;

    fn users_csv(rows: u64) -> Vec<u8> {
        let mut csv = Vec::new();
        UserCsv::new(rows).write_to(&mut csv).unwrap();
        csv
    }

    #[test]
    fn input_len_sizes_the_unique_tables_after_the_first_rows() {
        let csv = users_csv(3_000);
        let validator = Validator::new(&Schema::users()).unwrap();
        let slots_after_256 = |hint: Option<u64>| {
            let mut run = validator
                .validation()
                .input_len(hint)
                .from_reader(csv.as_slice())
                .unwrap();
            for _ in 0..256 {
                assert!(run.next_outcome().unwrap().unwrap().is_valid());
            }
            let slots: Vec<usize> = run
                .tally
                .unique
                .iter()
                .map(|(_, s)| s.slot_count())
                .collect();
            while run.next_outcome().unwrap().is_some() {}
            (slots, run.finish().unwrap())
        };
        let (unsized_slots, plain) = slots_after_256(None);
        assert_eq!(unsized_slots, [1024, 1024]);
        // 3,000 rows expected: room for them without growing.
        let (sized_slots, hinted) = slots_after_256(Some(csv.len() as u64));
        assert_eq!(sized_slots, [8192, 8192]);
        assert_eq!(hinted.rows, plain.rows);
        assert_eq!(hinted.rows.valid, 3_000);
        // Hints far off change the tables (64 MiB at most), never the result.
        for hint in [1, 10 * csv.len() as u64, u64::MAX] {
            let (slots, report) = slots_after_256(Some(hint));
            assert!(slots.iter().all(|&s| s <= 1 << 23), "{slots:?}");
            assert_eq!(report.rows, plain.rows);
        }
    }
}
