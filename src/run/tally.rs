//! The in-order core of a run, shared by both drivers: each row's
//! uniqueness, plan and counts, and the error CSV it may go to.

use std::io::Write;

use crate::error::Error;
use crate::error_csv::{ErrorCsvWriter, LineEnding};
use crate::plan::{Action, Lookup, Planner};
use crate::progress::Progress;
use crate::report::{RowError, ValidationReport};
use crate::row::Row;
use crate::validator::{Compiled, HeaderMap};

use super::unique::UniqueColumns;

/// What the checking threads worked out ahead for a row's in-order part.
#[derive(Default)]
pub(crate) struct Ahead<'a> {
    /// The row's unique-key hashes ([`UniqueColumns::hashes`]).
    pub hashes: Option<&'a [u64]>,
    /// Its user ([`PlanView::lookup_ahead`](crate::plan::PlanView::lookup_ahead)).
    pub lookup: Option<Lookup>,
}

/// The sequential state of a run: uniqueness sets, plan, counts and the
/// report. Rows reach it in input order, whichever thread checked them.
pub(crate) struct Tally {
    pub planner: Option<Planner>,
    pub action: Option<Action>,
    /// Uniqueness: the seen values and their budget.
    pub unique: UniqueColumns,
    pub report: ValidationReport,
    pub max_errors: usize,
    pub progress: Option<Progress>,
}

impl Tally {
    /// Whether required columns other than the key are relaxed (delta plan).
    pub fn relaxes_required(&self) -> bool {
        self.planner.as_ref().is_some_and(Planner::relaxes_required)
    }

    /// The sequential part of a row's validation: uniqueness, the plan,
    /// the counts, the report's error list and progress. `errors` holds the
    /// row's stateless errors ([`Compiled::check_row`](crate::validator::Compiled::check_row)) and receives the rest.
    pub fn finish_row(
        &mut self,
        compiled: &Compiled,
        map: &HeaderMap,
        row: &Row,
        ahead: Ahead<'_>,
        errors: &mut Vec<RowError>,
        bytes_read: u64,
    ) -> Result<(), Error> {
        let Ahead { hashes, lookup } = ahead;
        self.unique.check(compiled, map, row, hashes, errors)?;
        self.action = match &mut self.planner {
            Some(planner) => {
                let lookup = lookup.unwrap_or_else(|| planner.lookup(compiled, map, row));
                if let Some(stored) = planner.other_spelling(compiled, map, row, &lookup, errors) {
                    compiled.key_spelling_error(map, row, &stored, errors);
                } else if planner.needs_required(&lookup, map, row) {
                    compiled.check_required_for_new_user(map, row, errors);
                }
                planner.record(compiled, map, row, lookup, errors)
            }
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
    pub(crate) fn new(
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
        fields: crate::row::Fields<'_>,
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
