//! The streaming driver: one row at a time, each outcome handed to the
//! caller before the next row is read.

use std::borrow::Cow;
use std::io::{Read, Write};
use std::sync::Arc;

use crate::error::{Error, ErrorKind};
use crate::error_csv::{ErrorCsvWriter, LineEnding};
use crate::plan::{Action, Plan};
use crate::progress::CancelToken;
use crate::reader::Reader;
use crate::report::{RowError, ValidationReport, Warning};
use crate::row::Row;
use crate::validator::{Compiled, HeaderMap, Scratch, Validator};

use super::tally::{Ahead, Tally};

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
    pub(super) tally: Tally,
    pub(super) validator: Validator,
    pub(super) reader: Reader<R>,
    pub(super) map: Arc<HeaderMap>,
    pub(super) row: Row,
    pub(super) row_errors: Vec<RowError>,
    pub(super) scratch: Scratch,
    /// [`ValidationBuilder::input_len`], until the unique tables are sized.
    pub(super) input_len: Option<u64>,
    pub(super) max_rows: u64,
    pub(super) cancel: Option<CancelToken>,
    pub(super) formula_guard: bool,
    /// Set once the iterator has returned an error.
    pub(super) failed: bool,
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
            Ahead::default(),
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
    /// [`Tally::finish_row`], with what the checking threads worked out ahead.
    pub(crate) fn finish_row(
        &mut self,
        row: &Row,
        ahead: Ahead<'_>,
        errors: &mut Vec<RowError>,
    ) -> Result<(), Error> {
        let bytes_read = self.reader.bytes_read();
        self.tally.finish_row(
            &self.validator.inner,
            &self.map,
            row,
            ahead,
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
        self.tally.unique.reserve(expected);
    }

    /// An error CSV writer for this run's file: its header, delimiter,
    /// line ending and formula guard, so that streaming outcomes and writing
    /// the error CSV take one pass.
    ///
    /// ```
    /// use usercsv::{Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let upload = "email;firstName;lastName\r\nada@example.com;Ada;Lovelace\r\nalan@;Alan;Turing\r\n";
    /// let mut run = validator.validation().from_reader(upload.as_bytes())?;
    /// let mut error_csv = run.error_csv_writer(Vec::new())?;
    /// while let Some(outcome) = run.next_outcome()? {
    ///     if !outcome.is_valid() {
    ///         error_csv.write_row(outcome.row().fields(), outcome.errors())?;
    ///     }
    /// }
    /// let report = run.finish()?;
    /// let bytes = error_csv.finish()?;
    /// assert_eq!(report.rows.invalid, 1);
    /// let text = String::from_utf8(bytes)?;
    /// assert!(text.starts_with("\u{feff}email;firstName;lastName;errors\r\nalan@;Alan;Turing;"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn error_csv_writer<W: Write>(&self, out: W) -> Result<ErrorCsvWriter<W>, Error> {
        ErrorCsvWriter::with_options(
            out,
            self.reader.header(),
            self.reader.delimiter(),
            self.reader.line_ending(),
            self.formula_guard,
        )
    }

    /// The file's header (without any `errors` column).
    ///
    /// ```
    /// use usercsv::{LineEnding, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let csv = "email;firstName;lastName;errors\r\nada@example.com;Ada;Lovelace;\r\n";
    /// let validation = validator.validation().from_reader(csv.as_bytes())?;
    /// assert_eq!(validation.header(), vec!["email", "firstName", "lastName"]);
    /// assert_eq!(validation.delimiter(), b';');
    /// assert_eq!(validation.line_ending(), LineEnding::CrLf);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn header(&self) -> &csv::StringRecord {
        self.reader.header()
    }

    /// The delimiter in use: detected, or as forced.
    ///
    /// ```
    /// use usercsv::{Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let csv = "email\tfirstName\tlastName\nada@example.com\tAda\tLovelace\n";
    /// assert_eq!(validator.validation().from_reader(csv.as_bytes())?.delimiter(), b'\t');
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delimiter(&self) -> u8 {
        self.reader.delimiter()
    }

    /// The input's line ending, for the error CSV.
    ///
    /// ```
    /// use usercsv::{LineEnding, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
    /// assert_eq!(validator.validation().from_reader(csv.as_bytes())?.line_ending(), LineEnding::Lf);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn line_ending(&self) -> LineEnding {
        self.reader.line_ending()
    }

    /// Whether the error CSV should guard formulas.
    pub fn formula_guard(&self) -> bool {
        self.formula_guard
    }

    /// The report so far.
    ///
    /// ```
    /// use usercsv::{Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nbad,Alan,Turing\n";
    /// let mut validation = validator.validation().from_reader(csv.as_bytes())?;
    /// validation.next_outcome()?;
    /// assert_eq!(validation.report().rows.total, 1);
    /// let report = validation.finish()?; // reads the rest
    /// assert_eq!((report.rows.total, report.rows.invalid), (2, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report(&self) -> &ValidationReport {
        &self.tally.report
    }

    /// Reads any remaining rows and returns the report.
    ///
    /// ```
    /// use usercsv::{Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let csv = "email,firstName,lastName\nbad,Alan,Turing\n";
    /// let report = validator.validation().from_reader(csv.as_bytes())?.finish()?;
    /// assert_eq!(report.errors[0].code.as_str(), "email");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish(self) -> Result<ValidationReport, Error> {
        self.finish_with_plan().map(|(report, _)| report)
    }

    /// Reads any remaining rows and returns the report and, with existing
    /// users, the plan. A full sync's archive is withheld here when rows
    /// are untrusted ([`ValidationReport::archive_skipped`]) or the
    /// mass-archive guard trips ([`ValidationReport::held`]).
    ///
    /// ```
    /// use usercsv::{ExistingSet, Mode, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let export = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example.com,Alan,Turing\n";
    /// let existing = ExistingSet::from_reader(&validator, export.as_bytes())?;
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
    /// let validation = validator.validation().existing(existing).mode(Mode::Full).from_reader(csv.as_bytes())?;
    /// let (report, plan) = validation.finish_with_plan()?;
    /// assert_eq!(report.plan.unwrap().unchanged, 1);
    /// assert_eq!(plan.unwrap().archive, ["alan@example.com"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish_with_plan(mut self) -> Result<(ValidationReport, Option<Plan>), Error> {
        while self.next_outcome()?.is_some() {}
        let tally = &mut self.tally;
        let plan = match &mut tally.planner {
            Some(planner) => {
                let done = planner.finish(tally.report.rows.total, self.reader.had_errors_column());
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

    /// The canonical value: E.164 phone (then `;ext=` and the extension
    /// when the number has one), ISO 8601 date, lower-case e-mail,
    /// the listed spelling of a one-of value; the trimmed value otherwise.
    /// `None` when the column is not in the file or its cell is empty.
    ///
    /// ```
    /// use usercsv::{Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let csv = "email,firstName,lastName,businessMobilePhone\nAda@Example.com,Ada,Lovelace,\n";
    /// let mut run = validator.validation().from_reader(csv.as_bytes())?;
    /// let outcome = run.next_outcome()?.expect("one row");
    /// assert_eq!(outcome.normalized("email").as_deref(), Some("ada@example.com"));
    /// assert_eq!(outcome.normalized("businessMobilePhone"), None);
    /// assert_eq!(outcome.normalized("startDate"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn normalized(&self, column: &str) -> Option<Cow<'a, str>> {
        let c = self.compiled.column_index(column)?;
        self.map.file_index[c]?;
        let value = self.map.value(self.row, c);
        (!value.is_empty()).then(|| self.compiled.columns[c].normalize(value))
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
    use crate::generate::UserCsv;
    use crate::{Schema, Validator};

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
            let slots: Vec<usize> = run.tally.unique.slot_counts();
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
