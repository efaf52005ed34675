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
    /// `None` once [`ErrorCsvWriter::finish`] took it.
    out: Option<W>,
    /// Output not yet handed to `out`, written in blocks of [`FLUSH_AT`].
    buf: Vec<u8>,
    delimiter: u8,
    line_ending: LineEnding,
    formula_guard: bool,
    /// Fields of the header, without `errors`: where the `errors` cell goes.
    width: usize,
    rows: u64,
    /// The `errors` cell, built in one buffer for every row.
    errors: String,
}

/// Bytes gathered before they are written to the output.
const FLUSH_AT: usize = 64 * 1024;

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

/// Whether `field` holds a byte that makes the `csv` crate quote it (with
/// `QuoteStyle::Necessary`, every line ending): the delimiter, a quote, or
/// a line break. Eight bytes at a time.
fn needs_quotes(field: &[u8], delimiter: u8) -> bool {
    use crate::reader::bytes_equal_to as has;
    let mut words = field.chunks_exact(8);
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let word = u64::from_le_bytes(eight);
        if has(word, b'"') | has(word, b'\r') | has(word, b'\n') | has(word, delimiter) != 0 {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| matches!(b, b'"' | b'\r' | b'\n') || b == delimiter)
}

/// Appends one cell to `out` as the `csv` crate writes it: `prefix` then
/// `field`, quoted with inner quotes doubled when `quote` is asked or the
/// cell needs it ([`needs_quotes`]).
fn push_cell(out: &mut Vec<u8>, delimiter: u8, prefix: &[u8], field: &[u8], quote: bool) {
    if !(quote || needs_quotes(prefix, delimiter) || needs_quotes(field, delimiter)) {
        out.extend_from_slice(prefix);
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for part in [prefix, field] {
        let mut rest = part;
        while let Some(at) = memchr::memchr(b'"', rest) {
            out.extend_from_slice(&rest[..=at]);
            out.push(b'"');
            rest = &rest[at + 1..];
        }
        out.extend_from_slice(rest);
    }
    out.push(b'"');
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
            out: Some(out),
            buf: Vec::with_capacity(FLUSH_AT + 1024),
            delimiter,
            line_ending,
            formula_guard,
            width: header.len(),
            rows: 0,
            errors: String::new(),
        };
        let start = writer.buf.len();
        for (i, cell) in header.iter().chain(["errors"]).enumerate() {
            writer.cell(i, cell, quote_header);
        }
        writer.end_record(start)?;
        Ok(writer)
    }

    /// Appends the `i`th cell of the record being written, guarded if
    /// asked, after a delimiter unless it is the first.
    fn cell(&mut self, i: usize, field: &str, quote: bool) {
        if i > 0 {
            self.buf.push(self.delimiter);
        }
        let prefix: &[u8] = if self.formula_guard && guarded_shape(field) {
            b"'"
        } else {
            b""
        };
        push_cell(
            &mut self.buf,
            self.delimiter,
            prefix,
            field.as_bytes(),
            quote,
        );
    }

    /// Ends the record that started at `start` in the buffer, and hands a
    /// full buffer to the output. A record of one empty cell is written
    /// `""`, as the `csv` crate does, so that it is not a blank line.
    fn end_record(&mut self, start: usize) -> Result<(), Error> {
        if self.buf.len() == start {
            self.buf.extend_from_slice(b"\"\"");
        }
        self.buf.extend_from_slice(self.line_ending.as_bytes());
        if self.buf.len() >= FLUSH_AT {
            self.write_buf()?;
        }
        Ok(())
    }

    /// Hands the buffered bytes to the output.
    fn write_buf(&mut self) -> Result<(), Error> {
        if let Some(out) = self.out.as_mut() {
            out.write_all(&self.buf).map_err(Error::write)?;
        }
        self.buf.clear();
        // A huge row grew the buffer: give that memory back.
        if self.buf.capacity() > 4 * FLUSH_AT {
            self.buf = Vec::with_capacity(FLUSH_AT + 1024);
        }
        Ok(())
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
        let start = self.buf.len();
        let mut fields = fields.into_iter();
        let mut written = 0;
        for field in fields.by_ref().take(width) {
            self.cell(written, field.as_ref(), false);
            written += 1;
        }
        for i in written..width {
            self.cell(i, "", false);
        }
        self.cell(width, &cell, false);
        self.errors = cell;
        for (i, field) in fields.enumerate() {
            self.cell(width + 1 + i, field.as_ref(), false);
        }
        self.end_record(start)?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> Result<W, Error> {
        self.write_buf()?;
        // Only `finish`, which consumes the writer, takes the output.
        let Some(mut out) = self.out.take() else {
            return Err(Error::write(std::io::Error::other(
                "the error CSV was finished",
            )));
        };
        out.flush().map_err(Error::write)?;
        Ok(out)
    }
}

/// Like the `csv` crate's writer, a writer dropped without
/// [`ErrorCsvWriter::finish`] still writes what it holds (errors ignored).
impl<W: Write> Drop for ErrorCsvWriter<W> {
    fn drop(&mut self) {
        if let Some(mut out) = self.out.take() {
            let _ = out.write_all(&self.buf);
            let _ = out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The error CSV as the `csv` crate writes it (how this writer wrote
    /// it before it wrote its own cells): the reference for the property.
    fn with_csv_crate(
        header: &[String],
        rows: &[(Vec<String>, String)],
        delimiter: u8,
        line_ending: LineEnding,
        guard: bool,
    ) -> Vec<u8> {
        let terminator = match line_ending {
            LineEnding::Lf => csv::Terminator::Any(b'\n'),
            LineEnding::CrLf => csv::Terminator::CRLF,
            LineEnding::Cr => csv::Terminator::Any(b'\r'),
        };
        let quote_header = header.iter().any(|cell| {
            cell.bytes()
                .any(|b| b != delimiter && CANDIDATE_DELIMITERS.contains(&b))
        });
        let builder = |style| {
            let mut builder = csv::WriterBuilder::new();
            builder
                .delimiter(delimiter)
                .terminator(terminator)
                .flexible(true)
                .quote_style(style);
            builder
        };
        let cell = |field: &str| -> Vec<u8> {
            if guard && guarded_shape(field) {
                [b"'", field.as_bytes()].concat()
            } else {
                field.as_bytes().to_vec()
            }
        };
        let mut out = "\u{feff}".as_bytes().to_vec();
        let style = if quote_header {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        };
        let mut writer = builder(style).from_writer(&mut out);
        let names = header.iter().map(String::as_str).chain(["errors"]);
        let record: csv::ByteRecord = names.map(cell).collect();
        writer.write_byte_record(&record).unwrap();
        drop(writer);
        let mut writer = builder(csv::QuoteStyle::Necessary).from_writer(&mut out);
        for (fields, errors) in rows {
            let mut record = csv::ByteRecord::new();
            for i in 0..header.len().max(fields.len().min(header.len())) {
                record.push_field(&cell(fields.get(i).map_or("", String::as_str)));
            }
            record.push_field(&cell(errors));
            for field in fields.iter().skip(header.len()) {
                record.push_field(&cell(field));
            }
            writer.write_byte_record(&record).unwrap();
        }
        drop(writer);
        out
    }

    fn text() -> impl Strategy<Value = String> {
        // Mostly the bytes that quoting, guards and delimiters are about.
        let special = proptest::sample::select(vec![
            "\"", ",", ";", "\t", "|", "\r", "\n", "=", "+", "-", "@", "'", " ",
        ])
        .prop_map(str::to_string);
        proptest::collection::vec(prop_oneof![13 => special, 1 => "[a-zé0-9]{1,9}"], 0..6)
            .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Byte for byte what the `csv` crate writes: quoting, doubled
        /// quotes, guards, padding, extra fields, delimiters, line endings.
        #[test]
        fn cells_are_written_as_the_csv_crate_writes_them(
            header in proptest::collection::vec(text(), 0..4),
            rows in proptest::collection::vec((proptest::collection::vec(text(), 0..6), text()), 0..5),
            delimiter in proptest::sample::select(b",;\t|".to_vec()),
            line_ending in proptest::sample::select(vec![LineEnding::Lf, LineEnding::CrLf, LineEnding::Cr]),
            guard in any::<bool>(),
        ) {
            let record = StringRecord::from(header.clone());
            let mut out = Vec::new();
            let mut writer =
                ErrorCsvWriter::with_options(&mut out, &record, delimiter, line_ending, guard).unwrap();
            for (fields, errors) in &rows {
                let error = RowError::new(
                    crate::Position::default(),
                    None,
                    crate::ErrorCode::FieldCount,
                    errors.clone(),
                );
                let errors: &[RowError] = if errors.is_empty() { &[] } else { std::slice::from_ref(&error) };
                writer.write_row(fields, errors).unwrap();
            }
            writer.finish().unwrap();
            let expected = with_csv_crate(&header, &rows, delimiter, line_ending, guard);
            prop_assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&expected));
        }

        #[test]
        fn needs_quotes_finds_every_special_byte(
            mut bytes in proptest::collection::vec(proptest::sample::select(b"abxyz,;".to_vec()), 0..40),
            special in proptest::option::of((proptest::sample::select(b"\"\r\n".to_vec()), any::<proptest::sample::Index>())),
            delimiter in proptest::sample::select(b",;|".to_vec()),
        ) {
            if let Some((b, at)) = special {
                let at = at.index(bytes.len() + 1);
                bytes.insert(at, b);
            }
            let expected = bytes.iter().any(|&b| matches!(b, b'"' | b'\r' | b'\n') || b == delimiter);
            prop_assert_eq!(needs_quotes(&bytes, delimiter), expected);
        }
    }

    #[test]
    fn a_record_of_one_empty_cell_is_quoted_and_big_files_are_flushed_in_blocks() {
        let mut out = Vec::new();
        let mut writer = ErrorCsvWriter::with_options(
            &mut out,
            &StringRecord::new(),
            b',',
            LineEnding::Lf,
            true,
        )
        .unwrap();
        writer.write_row(Vec::<String>::new(), &[]).unwrap();
        // Larger than the buffer's block, which it then grows past and gives back.
        let huge = RowError::new(
            crate::Position::default(),
            None,
            crate::ErrorCode::FieldCount,
            "y".repeat(300_000),
        );
        writer
            .write_row(["h"], std::slice::from_ref(&huge))
            .unwrap();
        let error = RowError::new(
            crate::Position::default(),
            None,
            crate::ErrorCode::FieldCount,
            "x".repeat(1000),
        );
        for _ in 0..200 {
            writer
                .write_row(["a"], std::slice::from_ref(&error))
                .unwrap();
        }
        writer.finish().unwrap();
        let expected = format!(
            "\u{feff}errors\n\"\"\n{},h\n{}",
            "y".repeat(300_000),
            format!("{},a\n", "x".repeat(1000)).repeat(200)
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn a_writer_dropped_without_finish_still_writes_its_rows() {
        let mut out = Vec::new();
        let mut writer =
            ErrorCsvWriter::new(&mut out, &StringRecord::from(vec!["email"]), b',').unwrap();
        writer.write_row(["ada@"], &[]).unwrap();
        drop(writer);
        assert_eq!(out, "\u{feff}email,errors\nada@,\n".as_bytes());
    }
}
