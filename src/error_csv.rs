//! The error CSV: failed rows exactly as uploaded, plus an `errors` column.

use std::io::Write;

use csv::StringRecord;

use crate::dialect::CANDIDATE_DELIMITERS;
use crate::error::Error;
use crate::formula::guard_formula;
use crate::report::RowError;

/// Writes the error CSV: the input's header (without any old `errors`
/// column) plus `errors`, then each failed row with its fields as read and
/// all its messages joined by `; `.
///
/// Output is UTF-8 with a byte-order mark (so Excel shows accents), in the
/// input's delimiter. Cells a spreadsheet would run as formulas get a
/// leading `'` ([`guard_formula`]); [`Reader`](crate::Reader) removes
/// exactly that guard when it reads the file back.
///
/// ```
/// use usercsv::{ErrorCsvWriter, Row, Position, RowError, ErrorCode};
/// use csv::StringRecord;
///
/// let header = StringRecord::from(vec!["email", "phone"]);
/// let mut out = Vec::new();
/// let mut writer = ErrorCsvWriter::new(&mut out, &header, b',').unwrap();
/// let row = Row::new(["ada@", "+31 6 1"], Position::new(10, 2, 2));
/// let error = RowError {
///     row: 2, line: 2, column: Some("email".into()), code: ErrorCode::Email,
///     message: "email: expected an e-mail address".into(), value: Some("ada@".into()),
/// };
/// writer.write_row(row.fields(), &[error]).unwrap();
/// writer.finish().unwrap();
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "\u{feff}email,phone,errors\nada@,'+31 6 1,email: expected an e-mail address\n"
/// );
/// ```
pub struct ErrorCsvWriter<W: Write> {
    csv: csv::Writer<W>,
    formula_guard: bool,
    rows: u64,
    record: Vec<String>,
}

impl<W: Write> std::fmt::Debug for ErrorCsvWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErrorCsvWriter")
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

/// The joined messages of a row, as written in its `errors` cell.
pub fn errors_cell(errors: &[RowError]) -> String {
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    messages.join("; ")
}

impl<W: Write> ErrorCsvWriter<W> {
    /// Starts an error CSV with the formula guard on; writes the BOM and header.
    pub fn new(out: W, header: &StringRecord, delimiter: u8) -> Result<ErrorCsvWriter<W>, Error> {
        ErrorCsvWriter::with_formula_guard(out, header, delimiter, true)
    }

    /// Like [`ErrorCsvWriter::new`], choosing whether to guard formulas.
    pub fn with_formula_guard(
        mut out: W,
        header: &StringRecord,
        delimiter: u8,
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
                .flexible(true)
                .quote_style(if quote_header {
                    csv::QuoteStyle::Always
                } else {
                    csv::QuoteStyle::Necessary
                })
                .from_writer(out),
            formula_guard,
            rows: 0,
            record: Vec::new(),
        };
        let mut fields: Vec<&str> = header.iter().collect();
        fields.push("errors");
        writer.write_fields(fields.into_iter())?;
        if quote_header {
            let out = writer
                .csv
                .into_inner()
                .map_err(|e| Error::write(e.into_error()))?;
            writer.csv = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_writer(out);
        }
        Ok(writer)
    }

    fn write_fields<'a>(&mut self, fields: impl Iterator<Item = &'a str>) -> Result<(), Error> {
        self.record.clear();
        for field in fields {
            let cell = if self.formula_guard {
                guard_formula(field)
            } else {
                field.into()
            };
            self.record.push(cell.into_owned());
        }
        self.csv.write_record(&self.record).map_err(csv_to_error)
    }

    /// Writes one failed row: its fields as read, then its messages.
    pub fn write_row(&mut self, fields: &StringRecord, errors: &[RowError]) -> Result<(), Error> {
        let cell = errors_cell(errors);
        self.write_fields(fields.iter().chain(std::iter::once(cell.as_str())))?;
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
