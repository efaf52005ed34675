//! The error CSV: failed rows exactly as uploaded, plus an `errors` column.

use std::io::Write;

use csv::StringRecord;

use crate::dialect::CANDIDATE_DELIMITERS;
use crate::error::Error;
use crate::formula::guarded_shape;
use crate::report::RowError;

// The messages' contract: the validator writes these messages and the
// reader recognises them in a re-uploaded error CSV, so both sides live here.

/// The `field_count` message. The reader recognises it in an error CSV
/// row ([`is_field_count_message`]).
pub(crate) fn field_count_message(found: usize, expected: usize) -> String {
    format!(
        "the row has {found} fields but the header has {expected}: check for a missing or extra delimiter, or a value with an unquoted delimiter"
    )
}

/// Whether an error CSV cell is a [`field_count_message`].
pub(crate) fn is_field_count_message(cell: &str) -> bool {
    cell.starts_with("the row has ") && cell.contains(" fields but the header has ")
}

/// The `required` message: like every message, `<header cell>: ...`.
pub(crate) fn required_message(header: &str) -> String {
    format!("{header}: required, but the cell is empty")
}

/// Writes the error CSV: the input's header (without this tool's `errors`
/// column) plus `errors`, then each failed row with its fields as read and
/// all its messages joined by `; `.
///
/// The `errors` cell always stands under the `errors` header: a row with
/// fewer fields than the header is padded with empty cells up to it, and a
/// row with more keeps its extra fields after the `errors` cell. Re-reading
/// drops exactly the cell under `errors`, so once the values are fixed (and
/// any extra cells removed) the row passes.
///
/// Output is UTF-8 with a byte-order mark (so Excel shows accents), in the
/// input's delimiter and line ending ([`ErrorCsvWriter::with_options`]).
/// Cells a spreadsheet would run as formulas get a leading `'`
/// ([`guard_formula`](crate::guard_formula)); [`Reader`](crate::Reader) removes exactly that guard
/// when it reads this tool's error CSV back.
///
/// ```
/// use usercsv::{ErrorCsvWriter, Row, Position, RowError, ErrorCode};
/// use usercsv::StringRecord;
///
/// let header = StringRecord::from(vec!["email", "phone"]);
/// let mut out = Vec::new();
/// let mut writer = ErrorCsvWriter::new(&mut out, &header, b',').unwrap();
/// let row = Row::new(["ada@", "+31 6 1"], Position::new(10, 2, 2));
/// let error = RowError::new(Position::new(10, 2, 2), Some("email"), ErrorCode::Email, "email: expected an e-mail address")
///     .with_value("ada@");
/// writer.write_row(row.fields(), &[error.clone()]).unwrap();
/// // A short row: padded, so that the message stands under `errors`.
/// writer.write_row(Row::new(["ada@"], Position::new(30, 3, 3)).fields(), &[error]).unwrap();
/// writer.finish().unwrap();
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "\u{feff}email,phone,errors\nada@,'+31 6 1,email: expected an e-mail address\n\
///      ada@,,email: expected an e-mail address\n"
/// );
/// ```
pub struct ErrorCsvWriter<W: Write> {
    csv: csv::Writer<W>,
    formula_guard: bool,
    /// Fields of the header, without `errors`: where the `errors` cell goes.
    width: usize,
    rows: u64,
    /// One buffer for every row written: no allocation per field.
    record: csv::ByteRecord,
    /// One buffer for a guarded cell and one for the `errors` cell, reused.
    guarded: Vec<u8>,
    errors: String,
}

impl<W: Write> std::fmt::Debug for ErrorCsvWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErrorCsvWriter")
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

/// A line ending of a CSV file: the error CSV uses the input's
/// ([`Reader::line_ending`](crate::Reader::line_ending)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LineEnding {
    /// `\n` (Unix, and the default when the input shows none).
    #[default]
    Lf,
    /// `\r\n` (Windows, Excel).
    CrLf,
    /// A lone `\r` (classic Mac).
    Cr,
}

impl LineEnding {
    /// The line ending of the first non-blank line of `text` (quoted line
    /// breaks skipped); `None` when the text has no complete line.
    ///
    /// ```
    /// use usercsv::LineEnding;
    /// assert_eq!(LineEnding::detect(b"a,\"x\r\ny\"\r\n1,2\n"), Some(LineEnding::CrLf));
    /// assert_eq!(LineEnding::detect(b"a,b\n"), Some(LineEnding::Lf));
    /// assert_eq!(LineEnding::detect(b"a,b\r1,2"), Some(LineEnding::Cr));
    /// assert_eq!(LineEnding::detect(b"a,b"), None);
    /// ```
    pub fn detect(text: &[u8]) -> Option<LineEnding> {
        // Blank lines before the header do not count.
        let start = text
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .unwrap_or(text.len());
        let text = &text[start..];
        let mut quoted = false;
        for (i, &b) in text.iter().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => return Some(LineEnding::Lf),
                // A CR at the end of the text may be the first half of a CRLF.
                b'\r' if !quoted => {
                    return match text.get(i + 1) {
                        Some(b'\n') => Some(LineEnding::CrLf),
                        Some(_) => Some(LineEnding::Cr),
                        None => None,
                    };
                }
                _ => {}
            }
        }
        None
    }

    /// The bytes of the line ending.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
            LineEnding::Cr => b"\r",
        }
    }

    fn terminator(self) -> csv::Terminator {
        match self {
            LineEnding::Lf => csv::Terminator::Any(b'\n'),
            LineEnding::CrLf => csv::Terminator::CRLF,
            LineEnding::Cr => csv::Terminator::Any(b'\r'),
        }
    }
}

/// The joined messages of a row, as written in its `errors` cell.
pub fn errors_cell(errors: &[RowError]) -> String {
    let mut cell = String::new();
    errors_cell_into(errors, &mut cell);
    cell
}

/// [`errors_cell`] into `cell`, which is cleared first.
fn errors_cell_into(errors: &[RowError], cell: &mut String) {
    cell.clear();
    cell.reserve(errors.iter().map(|e| e.message.len() + 2).sum());
    for (i, error) in errors.iter().enumerate() {
        if i > 0 {
            cell.push_str("; ");
        }
        cell.push_str(&error.message);
    }
}

/// Pushes `field` onto `record`, as [`guard_formula`](crate::guard_formula) writes it when
/// `guard`; a guarded cell is built in `scratch`, not allocated.
fn push_guarded(record: &mut csv::ByteRecord, scratch: &mut Vec<u8>, guard: bool, field: &str) {
    if guard && guarded_shape(field) {
        scratch.clear();
        scratch.push(b'\'');
        scratch.extend_from_slice(field.as_bytes());
        record.push_field(scratch);
    } else {
        record.push_field(field.as_bytes());
    }
}

impl<W: Write> ErrorCsvWriter<W> {
    /// Starts an error CSV with the formula guard on; writes the BOM and header.
    pub fn new(out: W, header: &StringRecord, delimiter: u8) -> Result<ErrorCsvWriter<W>, Error> {
        ErrorCsvWriter::with_formula_guard(out, header, delimiter, true)
    }

    /// Like [`ErrorCsvWriter::new`], choosing whether to guard formulas.
    pub fn with_formula_guard(
        out: W,
        header: &StringRecord,
        delimiter: u8,
        formula_guard: bool,
    ) -> Result<ErrorCsvWriter<W>, Error> {
        ErrorCsvWriter::with_options(out, header, delimiter, LineEnding::Lf, formula_guard)
    }

    /// Starts an error CSV in the input's delimiter and line ending,
    /// choosing whether to guard formulas; writes the BOM and header.
    ///
    /// ```
    /// use usercsv::{ErrorCsvWriter, LineEnding};
    /// use usercsv::StringRecord;
    ///
    /// let header = StringRecord::from(vec!["email", "name"]);
    /// let mut out = Vec::new();
    /// let writer = ErrorCsvWriter::with_options(&mut out, &header, b';', LineEnding::CrLf, true).unwrap();
    /// writer.finish().unwrap();
    /// assert_eq!(out, "\u{feff}email;name;errors\r\n".as_bytes());
    /// ```
    pub fn with_options(
        mut out: W,
        header: &StringRecord,
        delimiter: u8,
        line_ending: LineEnding,
        formula_guard: bool,
    ) -> Result<ErrorCsvWriter<W>, Error> {
        out.write_all("\u{feff}".as_bytes()).map_err(Error::write)?;
        // A header cell holding another delimiter is quoted, so that
        // delimiter detection on re-read finds the same delimiter.
        let quote_header = header.iter().any(|cell| {
            cell.bytes()
                .any(|b| b != delimiter && CANDIDATE_DELIMITERS.contains(&b))
        });
        let mut writer = ErrorCsvWriter {
            csv: csv::WriterBuilder::new()
                .delimiter(delimiter)
                .terminator(line_ending.terminator())
                .flexible(true)
                .quote_style(if quote_header {
                    csv::QuoteStyle::Always
                } else {
                    csv::QuoteStyle::Necessary
                })
                .from_writer(out),
            formula_guard,
            width: header.len(),
            rows: 0,
            record: csv::ByteRecord::new(),
            guarded: Vec::new(),
            errors: String::new(),
        };
        for cell in header.iter().chain(["errors"]) {
            writer.push(cell);
        }
        writer
            .csv
            .write_byte_record(&writer.record)
            .map_err(csv_to_error)?;
        if quote_header {
            let out = writer
                .csv
                .into_inner()
                .map_err(|e| Error::write(e.into_error()))?;
            writer.csv = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .terminator(line_ending.terminator())
                .flexible(true)
                .from_writer(out);
        }
        Ok(writer)
    }

    /// Pushes one field of the record being built, guarded if asked.
    fn push(&mut self, field: &str) {
        push_guarded(
            &mut self.record,
            &mut self.guarded,
            self.formula_guard,
            field,
        );
    }

    /// Writes one failed row: its fields as read, padded with empty cells
    /// to the header's width, then its messages under `errors`, then any
    /// fields beyond the header's width. `fields` is a
    /// [`Row::fields`](crate::Row::fields), a [`StringRecord`](crate::StringRecord), or any
    /// other list of fields.
    pub fn write_row<I>(&mut self, fields: I, errors: &[RowError]) -> Result<(), Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut cell = std::mem::take(&mut self.errors);
        errors_cell_into(errors, &mut cell);
        let width = self.width;
        let mut fields = fields.into_iter();
        self.record.clear();
        let mut written = 0;
        for field in fields.by_ref().take(width) {
            self.push(field.as_ref());
            written += 1;
        }
        for _ in written..width {
            self.push("");
        }
        self.push(&cell);
        self.errors = cell;
        for field in fields {
            self.push(field.as_ref());
        }
        self.csv
            .write_byte_record(&self.record)
            .map_err(csv_to_error)?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, Error> {
        self.csv
            .into_inner()
            .map_err(|e| Error::write(e.into_error()))
    }
}

/// Any failure here is one writing the output, never one reading the input.
fn csv_to_error(err: csv::Error) -> Error {
    match err.into_kind() {
        csv::ErrorKind::Io(io) => Error::write(io),
        other => Error::write(std::io::Error::other(format!("{other:?}"))),
    }
}
