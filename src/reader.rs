//! The streaming row reader: encoding, dialect, limits, header, rows.

use std::collections::VecDeque;
use std::io::{self, Chain, Cursor, Read};

use std::io::BufRead;

use csv::StringRecord;
use serde::{Deserialize, Serialize};
use wide::u8x16;

use crate::decode::{self, Encoding, FieldDecoding, Source};
use crate::dialect;
use crate::error::{Error, ErrorKind, Limit, Position};
use crate::error_csv::{LineEnding, is_field_count_message};
use crate::formula::unguard_formula;
use crate::report::Warning;
use crate::row::{Row, trim_value};
use crate::scanner::{NulStop, Scanner, is_nul_byte};

/// Caps that keep memory bounded whatever the input.
///
/// The defaults are far above any honest user file.
///
/// ```
/// let limits = usercsv::Limits::default();
/// assert_eq!(limits.max_field_bytes, 64 * 1024);
/// assert_eq!(limits.max_record_bytes, 1024 * 1024);
/// assert_eq!(limits.max_unique_bytes, 256 * 1024 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Bytes in one field.
    pub max_field_bytes: u64,
    /// Bytes in one record (all fields and delimiters).
    pub max_record_bytes: u64,
    /// Columns in the header or in any record.
    pub max_columns: usize,
    /// Data rows in the file.
    pub max_rows: u64,
    /// Bytes the `unique` rules may spend remembering values, all unique
    /// columns together: each distinct value costs its length (lower-cased
    /// when case does not matter) plus 48 bytes of bookkeeping. Values that
    /// fail their own column's rules cost nothing: they are checked against
    /// the values remembered, not remembered themselves. The file error
    /// `limit_exceeded` names the column and the row where a new value did
    /// not fit. Default 256 MiB: about 3.5 million e-mail addresses.
    #[serde(default = "default_max_unique_bytes")]
    pub max_unique_bytes: u64,
}

fn default_max_unique_bytes() -> u64 {
    256 * 1024 * 1024
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_field_bytes: 64 * 1024,
            max_record_bytes: 1024 * 1024,
            max_columns: 1000,
            max_rows: 50_000_000,
            max_unique_bytes: default_max_unique_bytes(),
        }
    }
}

/// Configures and builds a [`Reader`].
///
/// ```
/// use usercsv::ReaderBuilder;
///
/// let mut rdr = ReaderBuilder::new()
///     .delimiter(Some(b';'))
///     .from_reader("email;name\na@example.com;Ada\n".as_bytes())
///     .unwrap();
/// assert_eq!(rdr.header().iter().collect::<Vec<_>>(), ["email", "name"]);
/// let row = rdr.rows().next().unwrap().unwrap();
/// assert_eq!(row.get(1), Some("Ada"));
/// assert_eq!(row.position().row, 2);
/// ```
#[derive(Clone, Debug)]
pub struct ReaderBuilder {
    delimiter: Option<u8>,
    encoding: Option<Encoding>,
    limits: Limits,
    formula_guard: bool,
    buffer_capacity: usize,
}

impl Default for ReaderBuilder {
    fn default() -> ReaderBuilder {
        ReaderBuilder::new()
    }
}

impl ReaderBuilder {
    /// Defaults: delimiter and encoding detected, default [`Limits`], the
    /// formula guard of error CSVs removed on read.
    pub fn new() -> ReaderBuilder {
        ReaderBuilder {
            delimiter: None,
            encoding: None,
            limits: Limits::default(),
            formula_guard: true,
            buffer_capacity: 32 * 1024,
        }
    }

    /// Forces the delimiter; `None` detects it from the header among
    /// `,` `;` TAB `|`.
    pub fn delimiter(&mut self, delimiter: Option<u8>) -> &mut ReaderBuilder {
        self.delimiter = delimiter;
        self
    }

    /// Forces the encoding; `None` detects it (byte-order mark, else UTF-16
    /// by its NUL bytes, else UTF-8 when valid, else Windows-1252, the last
    /// two with a warning; UTF-8 text mixed with other bytes is an error).
    pub fn encoding(&mut self, encoding: Option<Encoding>) -> &mut ReaderBuilder {
        self.encoding = encoding;
        self
    }

    /// Sets the limits.
    pub fn limits(&mut self, limits: Limits) -> &mut ReaderBuilder {
        self.limits = limits;
        self
    }

    /// Whether the formula guard that [`ErrorCsvWriter`](crate::ErrorCsvWriter)
    /// adds is removed when re-reading a file with an `errors` column
    /// (default true; it must match the writer's setting).
    pub fn formula_guard(&mut self, yes: bool) -> &mut ReaderBuilder {
        self.formula_guard = yes;
        self
    }

    /// The size of the buffer the input is read into (default 32 KiB; at
    /// least 1). Rows do not depend on it. A file-level problem found as
    /// bytes are read (a NUL byte, an unclosed quote, a record over its
    /// size limit) is reported once the buffer holding it is filled, which
    /// may be before earlier rows are returned; a smaller buffer reports
    /// it later.
    ///
    /// ```
    /// let csv = "email\nada@example.com\ngrace@example.com\n";
    /// let mut reader = usercsv::ReaderBuilder::new().buffer_capacity(4).from_reader(csv.as_bytes())?;
    /// assert_eq!(reader.rows().count(), 2);
    /// # Ok::<(), usercsv::Error>(())
    /// ```
    pub fn buffer_capacity(&mut self, bytes: usize) -> &mut ReaderBuilder {
        self.buffer_capacity = bytes.max(1);
        self
    }

    /// The configured limits.
    pub(crate) fn configured_limits(&self) -> Limits {
        self.limits
    }

    /// Reads the header and returns a reader positioned at the first row.
    pub fn from_reader<R: Read>(&self, input: R) -> Result<Reader<R>, Error> {
        let detected = decode::detect(input, self.encoding)?;
        let mut warnings = Vec::new();
        if detected.guessed {
            warnings.push(Warning::encoding_guessed(detected.encoding));
        }
        let mut source = detected.source;
        let mut prefix = Vec::with_capacity(8192);
        if let Err(err) = (&mut source).take(64 * 1024).read_to_end(&mut prefix) {
            // Malformed UTF-16: the text before it is in `prefix`, and the
            // source fails again once the parser reaches that point, where
            // the row is known.
            if !decode::is_malformed(&err) {
                return Err(err.into());
            }
        }
        // The CSV parser skips one UTF-8 byte-order mark at the start of what
        // it reads: drop every leading one here (a doubled mark, or one left
        // by a forced encoding) so the scanner sees the parser's bytes.
        let marks = prefix
            .chunks(3)
            .take_while(|c| *c == b"\xEF\xBB\xBF")
            .count();
        prefix.drain(..marks * 3);
        // Excel's `sep=;` first line names the delimiter and is not part
        // of the table (Excel does not show it): the header stays row 1.
        let sep_line = dialect::excel_sep_line(&prefix);
        if let Some((_, len)) = sep_line {
            prefix.drain(..len);
        }
        let delimiter = self
            .delimiter
            .or(sep_line.map(|(d, _)| d))
            .unwrap_or_else(|| dialect::sniff_delimiter(&prefix));
        let line_ending = LineEnding::detect(&prefix).unwrap_or_default();
        let mut scanner = Scanner::new(delimiter, self.limits.max_record_bytes);
        if let Some((_, len)) = sep_line {
            scanner.start_after_line(len as u64);
        }
        // `csv_core` directly rather than `csv::Reader`: the fields land in
        // the reader's own buffers, checked as UTF-8 once per record.
        let parser = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        let mut reader = Reader {
            parser,
            input: io::BufReader::with_capacity(
                self.buffer_capacity,
                NulStop::new(Cursor::new(prefix).chain(source)),
            ),
            scanner,
            scan_failure: None,
            line_start: None,
            header: StringRecord::new(),
            header_position: Position::default(),
            errors_column: None,
            delimiter,
            line_ending,
            encoding: detected.encoding,
            decoding: detected.decoding,
            warnings,
            limits: self.limits,
            formula_guard: self.formula_guard,
            blank_rows: 0,
            data_rows: 0,
            last_row: 0,
            done: false,
            raw: vec![0; 256],
            raw_ends: vec![0; 32],
            raw_len: 0,
            raw_fields: 0,
            raw_sep: 0,
            raw_ascii: None,
            lines: false,
            peeked: VecDeque::new(),
            peek_error: None,
        };
        reader.read_header()?;
        Ok(reader)
    }
}

type Input<R> = NulStop<Chain<Cursor<Vec<u8>>, Source<R>>>;

/// Reads rows of a CSV upload one at a time, in bounded memory.
///
/// Blank rows (empty lines, or rows whose cells are all blank) are skipped
/// and counted.
///
/// An error CSV of this tool ([`ErrorCsvWriter`](crate::ErrorCsvWriter)) is
/// recognised by its header and first rows: `errors` (any case) is the last
/// non-blank header cell, and the first non-empty cell under it (among the
/// first 8 rows) starts like this tool's messages: `<a header cell>: ` or
/// the `field_count` message. With no non-empty cell there, the header
/// decides. Then the `errors` column is dropped from the header and from
/// every row, and the formula guard is removed from every other cell. Any
/// other column named `errors` is the upload's own data: it is kept as
/// uploaded (and a validation run warns `errors_column_ignored`).
pub struct Reader<R: Read> {
    parser: csv_core::Reader,
    input: io::BufReader<Input<R>>,
    /// Every byte the reader takes from `input`, in order: where records
    /// start, and their size limit.
    scanner: Scanner,
    /// What the scanner refused, for the `io::Error` that carries it up.
    scan_failure: Option<ErrorKind>,
    /// Where the record in `raw` starts, when it is a line cut directly
    /// (else the scanner has it queued).
    line_start: Option<Position>,
    header: StringRecord,
    header_position: Position,
    errors_column: Option<usize>,
    delimiter: u8,
    line_ending: LineEnding,
    encoding: Encoding,
    decoding: FieldDecoding,
    warnings: Vec<Warning>,
    limits: Limits,
    formula_guard: bool,
    blank_rows: u64,
    data_rows: u64,
    last_row: u64,
    done: bool,
    /// The record being read, before it is decoded into a row: its field
    /// bytes back to back, each field's end, both kept at full length for
    /// the parser to write into; `raw_len` bytes and `raw_fields` ends hold
    /// the record.
    raw: Vec<u8>,
    raw_ends: Vec<usize>,
    raw_len: usize,
    raw_fields: usize,
    /// Bytes between fields in `raw`: 0 as the parser writes them, 1 for
    /// a line cut at its delimiters ([`Reader::parse_line`]).
    raw_sep: usize,
    /// Whether the record in `raw` is ASCII, when [`cut_line`] found out.
    raw_ascii: Option<bool>,
    /// Whether records may be read as plain lines: after the header (the
    /// parser's first record), with an ASCII delimiter other than a quote
    /// or a line break.
    lines: bool,
    /// Records read ahead to tell an error CSV from a user's `errors` column.
    peeked: VecDeque<Row>,
    /// The error that stopped the read-ahead, for the row it belongs to.
    peek_error: Option<Error>,
}

/// Records read ahead for a non-empty cell under `errors`.
const PEEK_ROWS: usize = 8;

/// Whether an `errors` cell (unguarded, trimmed) reads like this tool's
/// messages: each starts with the header cell it is about and `: `, or is
/// the `field_count` message.
fn looks_like_errors_cell(cell: &str, names: &[&str]) -> bool {
    is_field_count_message(cell)
        || names.iter().any(|name| {
            !name.is_empty()
                && cell
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(": "))
        })
}

impl<R: Read> std::fmt::Debug for Reader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("header", &self.header)
            .field("delimiter", &(self.delimiter as char))
            .field("encoding", &self.encoding)
            .field("data_rows", &self.data_rows)
            .field("blank_rows", &self.blank_rows)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Reader<R> {
    fn read_header(&mut self) -> Result<(), Error> {
        let mut row = Row::default();
        if !self.read_record(&mut row)? {
            return Err(Error::new(ErrorKind::EmptyFile));
        }
        // The parser has started (and dropped any byte-order mark): the
        // other records may be read as plain lines.
        self.lines = self.delimiter.is_ascii() && !matches!(self.delimiter, b'"' | b'\r' | b'\n');
        // The writer adds `errors` last (a spreadsheet may add blank cells
        // after it); an earlier one is the upload's data.
        let candidate = (0..row.len())
            .rev()
            .find(|&i| !trim_value(&row[i]).is_empty())
            .filter(|&i| trim_value(&row[i]).eq_ignore_ascii_case("errors"));
        self.errors_column = candidate;
        if row.len() > self.max_width() {
            return Err(self.limit(Limit::Columns, self.limits.max_columns as u64, row.position));
        }
        if row.len() == 1
            && let Some(probable) = dialect::probable_delimiter(&row[0], self.delimiter)
        {
            return Err(Error::new(ErrorKind::WrongDelimiter {
                used: self.delimiter,
                probable,
            }));
        }
        self.errors_column = None;
        self.header_position = row.position;
        self.header = match candidate {
            // An error CSV: its header cells carry the writer's formula guard too.
            Some(skip) if self.is_error_csv(&row, skip) => {
                self.errors_column = Some(skip);
                row.fields()
                    .enumerate()
                    .filter(|&(i, _)| i != skip)
                    .map(|(_, h)| {
                        if self.formula_guard {
                            unguard_formula(h)
                        } else {
                            h
                        }
                    })
                    .collect()
            }
            _ => row.fields().collect(),
        };
        // A user's own `errors` column counts toward the limit.
        if self.header.len() > self.max_width() {
            return Err(self.limit(
                Limit::Columns,
                self.limits.max_columns as u64,
                self.header_position,
            ));
        }
        if self.header.iter().all(|h| trim_value(h).is_empty()) {
            return Err(Error::new(ErrorKind::EmptyFile));
        }
        Ok(())
    }

    /// Whether a header whose last non-blank cell, `skip`, is `errors` is
    /// this tool's error CSV: reads ahead up to [`PEEK_ROWS`] records for
    /// the first non-empty cell under `errors` and checks that it reads
    /// like this tool's messages. Without one, the header decides (yes).
    fn is_error_csv(&mut self, header: &Row, skip: usize) -> bool {
        let names: Vec<&str> = header
            .fields()
            .enumerate()
            .filter(|&(i, _)| i != skip)
            .map(|(_, h)| trim_value(unguard_formula(trim_value(h))))
            .collect();
        let width = header.len();
        for _ in 0..PEEK_ROWS {
            let mut row = Row::default();
            match self.read_record(&mut row) {
                Ok(true) => {}
                Ok(false) => break,
                Err(err) => {
                    self.peek_error = Some(err);
                    break;
                }
            }
            let fields = &row;
            let last = fields.len().checked_sub(1).and_then(|i| fields.get(i));
            let verdict = if fields.len() != width && last.is_some_and(is_field_count_message) {
                // The layout of earlier versions: the message last.
                Some(true)
            } else {
                match fields.get(skip).map(|c| unguard_formula(trim_value(c))) {
                    Some(cell) if !cell.is_empty() => Some(looks_like_errors_cell(cell, &names)),
                    _ => None,
                }
            };
            self.peeked.push_back(row);
            if let Some(verdict) = verdict {
                return verdict;
            }
        }
        true
    }

    /// The widest record allowed: `max_columns`, plus an error CSV's
    /// `errors` column, which the writer added.
    fn max_width(&self) -> usize {
        self.limits.max_columns + usize::from(self.errors_column.is_some())
    }

    fn limit(&self, limit: Limit, max: u64, position: Position) -> Error {
        Error::new(ErrorKind::LimitExceeded {
            limit,
            max,
            position,
        })
    }

    /// Parses the next record into `raw`; `false` at the end of the input.
    fn parse_record(&mut self) -> io::Result<bool> {
        use csv_core::ReadRecordResult::*;
        if self.lines && self.parse_line()? {
            return Ok(true);
        }
        self.raw_sep = 0;
        self.raw_ascii = None;
        let (mut len, mut fields) = (0, 0);
        loop {
            let input = self.input.fill_buf()?;
            if input.is_empty()
                && let Err(kind) = self.scanner.finish()
            {
                return Err(stop(&mut self.scan_failure, kind));
            }
            let (result, read, written, ended) =
                self.parser
                    .read_record(input, &mut self.raw[len..], &mut self.raw_ends[fields..]);
            if let Err(kind) = self.scanner.feed(&input[..read]) {
                return Err(stop(&mut self.scan_failure, kind));
            }
            self.input.consume(read);
            len += written;
            fields += ended;
            match result {
                InputEmpty => {}
                OutputFull => self.raw.resize(self.raw.len() * 2, 0),
                OutputEndsFull => self.raw_ends.resize(self.raw_ends.len() * 2, 0),
                Record => {
                    (self.raw_len, self.raw_fields) = (len, fields);
                    return Ok(true);
                }
                End => return Ok(false),
            }
        }
    }

    /// Reads the next record into `raw` as `csv_core` would, without it,
    /// when it is one line without quotes wholly in the buffer (most rows
    /// of most files): cut at each delimiter, kept in place. `false` (and
    /// nothing read) for any other record, which the parser then reads.
    /// The parser skips blank lines and ends a record at `\r`, `\n` or
    /// `\r\n` (the `\n` of which then reads as a blank line); so does this.
    fn parse_line(&mut self) -> io::Result<bool> {
        let buf = self.input.fill_buf()?;
        let blank = buf
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .count();
        let rest = &buf[blank..];
        let Some((len, fields, ascii)) = cut_line(rest, self.delimiter, &mut self.raw_ends) else {
            // A line with quotes: its quoted fields unquoted as the parser
            // would, when they have the common shape.
            let Some((len, raw_len, fields)) =
                cut_quoted_line(rest, self.delimiter, &mut self.raw, &mut self.raw_ends)
            else {
                return Ok(false);
            };
            if let Err(kind) = self.scanner.feed(&buf[..blank + len + 1]) {
                return Err(stop(&mut self.scan_failure, kind));
            }
            (self.raw_len, self.raw_fields, self.raw_sep) = (raw_len, fields, 1);
            self.raw_ascii = None;
            self.input.consume(blank + len + 1);
            return Ok(true);
        };
        // Blank lines first, then the record: the scanner need not look
        // at its bytes.
        let blanks = match blank {
            0 => Ok(()),
            _ => self.scanner.feed(&buf[..blank]),
        };
        let started = blanks.and_then(|()| self.scanner.line_record(len, rest[len]));
        match started {
            Ok(start) => self.line_start = Some(start),
            Err(kind) => return Err(stop(&mut self.scan_failure, kind)),
        }
        if self.raw.len() < len {
            self.raw.resize(len.max(2 * self.raw.len()), 0);
        }
        self.raw[..len].copy_from_slice(&rest[..len]);
        (self.raw_len, self.raw_fields, self.raw_sep) = (len, fields, 1);
        self.raw_ascii = Some(ascii);
        self.input.consume(blank + len + 1);
        Ok(true)
    }

    /// The fields of the record in `raw`.
    fn raw_fields(&self) -> impl Iterator<Item = &[u8]> {
        let ends = &self.raw_ends[..self.raw_fields];
        let sep = self.raw_sep;
        let starts = std::iter::once(0).chain(ends.iter().map(move |&end| end + sep));
        starts.zip(ends).map(|(start, &end)| &self.raw[start..end])
    }

    /// The record's field bytes back to back, as the parser writes them: a
    /// line cut in place has its delimiters dropped, so that the encoding
    /// checks see the same bytes whichever way the record was read (a
    /// character split by a delimiter reads as one, as it always has).
    /// Only on the rare paths that look for UTF-8 text in a non-UTF-8 record.
    fn glued(&self) -> std::borrow::Cow<'_, [u8]> {
        if self.raw_sep == 0 {
            return std::borrow::Cow::Borrowed(&self.raw[..self.raw_len]);
        }
        std::borrow::Cow::Owned(self.raw_fields().flatten().copied().collect())
    }

    /// Reads the next record, decoded, into `row`; blank rows included.
    fn read_record(&mut self, row: &mut Row) -> Result<bool, Error> {
        if self.done {
            return Ok(false);
        }
        let more = match self.parse_record() {
            Ok(more) => more,
            Err(err) => return Err(self.map_io_error(err)),
        };
        if !more {
            self.done = true;
            // Empty lines never reach the parser; the scanner counted them as rows.
            let trailing = self.scanner.rows().saturating_sub(self.last_row);
            if self.last_row > 0 {
                self.blank_rows += trailing;
            }
            return Ok(false);
        }
        let position = match self.line_start.take() {
            Some(start) => start,
            None => self
                .scanner
                .next_start()
                .unwrap_or_else(|| self.scanner.current_start()),
        };
        row.position = position;
        if self.last_row > 0 {
            self.blank_rows += position.row.saturating_sub(self.last_row + 1);
        }
        self.last_row = position.row;
        // No field can be longer than all of them together.
        let max_field = self.limits.max_field_bytes;
        if self.raw_len as u64 > max_field && self.raw_fields().any(|f| f.len() as u64 > max_field)
        {
            return Err(self.limit(Limit::FieldBytes, self.limits.max_field_bytes, position));
        }
        self.decode(row, position)?;
        Ok(true)
    }

    /// Decodes the record just read into `row`.
    fn decode(&mut self, row: &mut Row, position: Position) -> Result<(), Error> {
        let bytes = &self.raw[..self.raw_len];
        let ends = &self.raw_ends[..self.raw_fields];
        let ascii = self.raw_ascii.unwrap_or_else(|| is_ascii(bytes));
        // The conflicting byte at `at` in `text` (the record's bytes, or
        // its fields back to back): quoted line breaks before it put it on
        // a later line than the record's.
        let mixed_in = |text: &[u8], at: usize| {
            let line = position.line + line_breaks(&text[..at]);
            Error::new(ErrorKind::MixedEncoding { position, line })
        };
        match self.decoding {
            FieldDecoding::Windows1252 => {
                decode_1252(self.raw_fields(), row);
                return Ok(());
            }
            FieldDecoding::GuessedWindows1252 => {
                // UTF-8 text in a file guessed to be Windows-1252 would be
                // read as mojibake ("JosÃ©") and could pass validation.
                if !ascii {
                    let glued = self.glued();
                    if let Some(at) = decode::first_utf8_char(&glued) {
                        return Err(mixed_in(&glued, at));
                    }
                }
                decode_1252(self.raw_fields(), row);
                return Ok(());
            }
            _ => {}
        }
        let invalid_at = match row.set_fields(bytes, ends, self.raw_sep, ascii) {
            Ok(()) => {
                if !ascii
                    && self.decoding
                        == (FieldDecoding::Utf8OrWindows1252 {
                            seen_non_ascii: false,
                        })
                {
                    self.decoding = FieldDecoding::Utf8OrWindows1252 {
                        seen_non_ascii: true,
                    };
                }
                return Ok(());
            }
            Err(at) => at,
        };
        // Where the record fails as the parser lays it out (fields back to
        // back): a line cut in place keeps its delimiters, which can put
        // the first bad byte elsewhere, and a quoted line break between
        // the two moves the error's line.
        let failed_at = || -> (std::borrow::Cow<'_, [u8]>, usize) {
            if self.raw_sep == 0 {
                return (std::borrow::Cow::Borrowed(bytes), invalid_at);
            }
            let glued = self.glued();
            let mut end = 0;
            let glued_ends: Vec<usize> = self
                .raw_fields()
                .map(|field| {
                    end += field.len();
                    end
                })
                .collect();
            let at = Row::default()
                .set_fields(&glued, &glued_ends, 0, false)
                .err()
                .unwrap_or(invalid_at);
            (glued, at)
        };
        let mixed = || {
            let (text, at) = failed_at();
            mixed_in(&text, at)
        };
        match self.decoding {
            FieldDecoding::Utf8OrWindows1252 {
                seen_non_ascii: true,
            } => Err(mixed()),
            FieldDecoding::Utf8OrWindows1252 {
                seen_non_ascii: false,
            } => {
                if decode::has_utf8_text(&self.glued()) {
                    return Err(mixed());
                }
                // Everything before was ASCII: reading it all as
                // Windows-1252 gives the same text.
                self.decoding = FieldDecoding::GuessedWindows1252;
                self.encoding = Encoding::Windows1252;
                self.warnings
                    .push(Warning::encoding_guessed(Encoding::Windows1252));
                decode_1252(self.raw_fields(), row);
                Ok(())
            }
            _ => Err(Error::new(ErrorKind::Encoding {
                encoding: self.encoding,
                position,
            })),
        }
    }

    fn map_io_error(&mut self, err: io::Error) -> Error {
        if let Some(kind) = self.scan_failure.take() {
            return Error::new(kind);
        }
        if is_nul_byte(&err) {
            let before = self.input.get_mut().take_before_nul();
            return Error::new(self.scanner.nul_byte(&before));
        }
        if decode::is_malformed(&err) {
            return Error::new(ErrorKind::Encoding {
                encoding: self.encoding,
                position: self.scanner.current_start(),
            });
        }
        Error::from(err)
    }

    /// Reads the next non-blank data row into `row`, reusing its buffers.
    /// Returns `false` at the end of the input.
    ///
    /// ```
    /// use usercsv::{Position, ReaderBuilder, Row};
    ///
    /// let mut reader = ReaderBuilder::new().from_reader("email,firstName\n\nada@example.com,Ada\n".as_bytes())?;
    /// let mut row = Row::new(Vec::<String>::new(), Position::default());
    /// assert!(reader.read_row(&mut row)?); // the blank row is skipped
    /// assert_eq!((row.get(1), row.position().row), (Some("Ada"), 3));
    /// assert!(!reader.read_row(&mut row)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_row(&mut self, row: &mut Row) -> Result<bool, Error> {
        loop {
            if let Some(peeked) = self.peeked.pop_front() {
                *row = peeked;
            } else if let Some(err) = self.peek_error.take() {
                return Err(err);
            } else if !self.read_record(row)? {
                return Ok(false);
            }
            if row.len() > self.max_width() {
                return Err(self.limit(
                    Limit::Columns,
                    self.limits.max_columns as u64,
                    row.position,
                ));
            }
            let errors_at = self.errors_index(row);
            if row
                .fields()
                .enumerate()
                .all(|(i, f)| Some(i) == errors_at || trim_value(f).is_empty())
            {
                self.blank_rows += 1;
                continue;
            }
            self.data_rows += 1;
            if self.data_rows > self.limits.max_rows {
                return Err(self.limit(Limit::Rows, self.limits.max_rows, row.position));
            }
            row.previous_errors = None;
            if self.errors_column.is_some() {
                let width = self.header.len();
                let short = errors_at
                    .and_then(|i| row.get(i))
                    .and_then(|cell| short_row_fields(cell, width));
                row.previous_errors = errors_at
                    .and_then(|i| row.get(i))
                    .map(trim_value)
                    .filter(|cell| !cell.is_empty())
                    .map(str::to_string);
                *row = self.strip_errors_column(row, errors_at);
                // A short row padded by the writer and still untouched (its
                // `field_count` message kept, the added cells empty) is read
                // as uploaded, so that it stays invalid until fixed.
                if let Some(found) = short
                    && row.len() == width
                    && row.fields().skip(found).all(|f| trim_value(f).is_empty())
                {
                    row.truncate(found);
                }
            }
            return Ok(true);
        }
    }

    /// Where the `errors` cell of a row is: under the `errors` header, as
    /// [`ErrorCsvWriter`](crate::ErrorCsvWriter) writes it (short rows padded
    /// up to it, extra fields after it). Earlier versions wrote a row with
    /// too few or too many fields as its own fields and then the
    /// `field_count` message: such a last field is the `errors` cell.
    fn errors_index(&self, fields: &Row) -> Option<usize> {
        let skip = self.errors_column?;
        let width = self.header.len() + 1;
        let len = fields.len();
        if len != width
            && !fields.get(skip).is_some_and(is_field_count_message)
            && len
                .checked_sub(1)
                .is_some_and(|last| is_field_count_message(&fields[last]))
        {
            return Some(len - 1);
        }
        (skip < len).then_some(skip)
    }

    /// Drops the `errors` cell (if the row has one) and, in an error CSV,
    /// the formula guard of every other cell.
    fn strip_errors_column(&self, row: &Row, skip: Option<usize>) -> Row {
        let mut stripped = Row::new(
            row.fields()
                .enumerate()
                .filter(|&(i, _)| Some(i) != skip)
                .map(|(_, f)| {
                    if self.formula_guard {
                        unguard_formula(f)
                    } else {
                        f
                    }
                }),
            row.position,
        );
        stripped.previous_errors = row.previous_errors.clone();
        stripped
    }

    /// A borrowing iterator over rows.
    ///
    /// ```
    /// let mut reader = usercsv::ReaderBuilder::new().from_reader("a;b\n1;2\n3;4\n".as_bytes())?;
    /// let firsts = reader.rows().map(|row| Ok(row?.get(0).unwrap().to_string())).collect::<Result<Vec<_>, usercsv::Error>>()?;
    /// assert_eq!(firsts, ["1", "3"]);
    /// assert_eq!(reader.data_rows(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rows(&mut self) -> RowsIter<'_, R> {
        RowsIter { reader: self }
    }

    /// An owning iterator over rows.
    ///
    /// ```
    /// let reader = usercsv::ReaderBuilder::new().from_reader("a,b\n1,2\n".as_bytes())?;
    /// let rows = reader.into_rows().collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(rows.len(), 1);
    /// assert_eq!(rows[0].fields().collect::<Vec<_>>(), ["1", "2"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_rows(self) -> RowsIntoIter<R> {
        RowsIntoIter { reader: self }
    }

    /// The header, without any `errors` column, untrimmed.
    pub fn header(&self) -> &StringRecord {
        &self.header
    }

    /// Where the header starts (its row is the spreadsheet row of the header).
    ///
    /// ```
    /// use usercsv::{Position, ReaderBuilder};
    ///
    /// let reader = ReaderBuilder::new().from_reader("a,b\n1,2\n".as_bytes())?;
    /// assert_eq!(reader.header_position(), Position::new(0, 1, 1));
    /// assert_eq!(reader.header(), vec!["a", "b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn header_position(&self) -> Position {
        self.header_position
    }

    /// Whether the input is an error CSV of this tool, whose `errors`
    /// column is dropped (see [`Reader`]); a user's own `errors` column does
    /// not count.
    pub fn had_errors_column(&self) -> bool {
        self.errors_column.is_some()
    }

    /// The delimiter in use.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The line ending of the header line (LF when the start of the file
    /// has none); the error CSV uses it.
    pub fn line_ending(&self) -> LineEnding {
        self.line_ending
    }

    /// The encoding in use (it may change from UTF-8 to Windows-1252 while
    /// reading an unmarked file that was ASCII up to that point).
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Warnings so far (e.g. a guessed encoding).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Blank rows skipped so far.
    pub fn blank_rows(&self) -> u64 {
        self.blank_rows
    }

    /// Data rows returned so far.
    pub fn data_rows(&self) -> u64 {
        self.data_rows
    }

    /// Bytes of the (decoded) input parsed so far: not counting what is
    /// read ahead into the reader's buffer.
    ///
    /// ```
    /// let mut reader = usercsv::ReaderBuilder::new().from_reader("a\n1\n2\n".as_bytes())?;
    /// assert_eq!(reader.bytes_read(), 2);
    /// reader.rows().next().unwrap()?;
    /// assert_eq!(reader.bytes_read(), 4);
    /// # Ok::<(), usercsv::Error>(())
    /// ```
    pub fn bytes_read(&self) -> u64 {
        self.scanner.offset()
    }
}

/// The fields a short row had, from the `field_count` message that starts
/// its `errors` cell, when the header (without `errors`) has `width`.
fn short_row_fields(cell: &str, width: usize) -> Option<usize> {
    let rest = cell.strip_prefix("the row has ")?;
    let (found, rest) = rest.split_once(" fields but the header has ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let found: usize = found.parse().ok()?;
    let expected: usize = rest[..digits].parse().ok()?;
    (expected == width && found < expected).then_some(found)
}

/// Line breaks (`\r\n`, `\r` or `\n`) in `bytes`.
fn line_breaks(bytes: &[u8]) -> u64 {
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    let lone_cr = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    (lf + lone_cr) as u64
}

fn decode_1252<'a>(fields: impl Iterator<Item = &'a [u8]>, row: &mut Row) {
    row.clear();
    for field in fields {
        row.push_field(&decode::decode_windows1252(field));
    }
}

/// The bytes of `word` equal to `b`: each one's high bit set, every other
/// bit clear (no carry runs from one byte into the next).
#[inline]
pub(crate) fn bytes_equal_to(word: u64, b: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ (0x0101_0101_0101_0101 * u64::from(b));
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The first line of `bytes` cut at `delimiter` (ASCII, not a quote or a
/// line break): its length (up to its first `\r` or `\n`) and its number
/// of fields, each field's end written to `ends`. `None` when the line has
/// a quote, does not end within `bytes`, or `ends` is too short.
fn cut_line(bytes: &[u8], delimiter: u8, ends: &mut [usize]) -> Option<(usize, usize, bool)> {
    // Sixteen bytes at a time: the line end, quotes, delimiters and high
    // bits of a block in one pass each, as bit masks (safe SIMD, `wide`);
    // the last bytes zero-padded to a block (a zero ends no line).
    let (delimiters, quotes) = (u8x16::splat(delimiter), u8x16::splat(b'"'));
    let (returns, newlines) = (u8x16::splat(b'\r'), u8x16::splat(b'\n'));
    let mut fields = 0;
    let mut high = 0;
    let mut blocks = bytes.chunks_exact(16);
    let mut at = 0;
    let mut cut = |sixteen: [u8; 16], at: usize| -> Option<Option<usize>> {
        let v = u8x16::new(sixteen);
        let line_end = (v.simd_eq(returns) | v.simd_eq(newlines)).to_bitmask();
        // The bytes of the block that are in the line.
        let inside = (1u32 << line_end.trailing_zeros().min(16)) - 1;
        if v.simd_eq(quotes).to_bitmask() & inside != 0 {
            return None;
        }
        high |= v.to_bitmask() & inside;
        let mut found = v.simd_eq(delimiters).to_bitmask() & inside;
        while found != 0 {
            *ends.get_mut(fields)? = at + found.trailing_zeros() as usize;
            fields += 1;
            found &= found - 1;
        }
        if line_end == 0 {
            return Some(None);
        }
        let len = at + line_end.trailing_zeros() as usize;
        *ends.get_mut(fields)? = len;
        fields += 1;
        Some(Some(len))
    };
    for block in &mut blocks {
        let mut sixteen = [0u8; 16];
        sixteen.copy_from_slice(block);
        if let Some(len) = cut(sixteen, at)? {
            return Some((len, fields, high == 0));
        }
        at += 16;
    }
    let rest = blocks.remainder();
    let mut sixteen = [0u8; 16];
    sixteen[..rest.len()].copy_from_slice(rest);
    let len = cut(sixteen, at)??;
    Some((len, fields, high == 0))
}

/// Writes `base` plus the place of each `delimiter` in `text` to `ends`
/// from `fields` on, counting them in `fields`; returns every byte ORed
/// (its high bits say whether `text` is ASCII). `None` when `ends` is too
/// short.
#[inline]
fn push_delimiters(
    text: &[u8],
    delimiter: u8,
    base: usize,
    ends: &mut [usize],
    fields: &mut usize,
) -> Option<u64> {
    let mut push = |end: usize| -> Option<()> {
        *ends.get_mut(*fields)? = end;
        *fields += 1;
        Some(())
    };
    // Eight bytes at a time.
    let mut words = text.chunks_exact(8);
    let mut at = base;
    let mut high = 0u64;
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        high |= u64::from_le_bytes(eight);
        let mut found = bytes_equal_to(u64::from_le_bytes(eight), delimiter);
        while found != 0 {
            push(at + found.trailing_zeros() as usize / 8)?;
            found &= found - 1;
        }
        at += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        high |= u64::from(b);
        if b == delimiter {
            push(at + i)?;
        }
    }
    Some(high)
}

/// The first record of `bytes` when it has quotes in the shape
/// spreadsheets write them: a field is either unquoted (a quote inside it
/// is text, as the parser reads it) or quoted from its first byte to a
/// closing quote right before a delimiter or a line end, with `""` for a
/// quote inside. It is written to `out` (grown as needed) as a line cut in
/// place is laid out, one delimiter between fields, with the quoted fields
/// unquoted as the parser reads them; each field's end goes to `ends`.
/// Returns the record's length in `bytes` (up to the `\r` or `\n` that
/// ends it; line breaks inside quotes are part of it), its length in `out`
/// and its number of fields. `None` when it has another shape (text after
/// a closing quote, no closing quote), does not end within `bytes`, or
/// `ends` is too short: the parser reads it then.
fn cut_quoted_line(
    bytes: &[u8],
    delimiter: u8,
    out: &mut Vec<u8>,
    ends: &mut [usize],
) -> Option<(usize, usize, usize)> {
    fn copy(out: &mut Vec<u8>, written: &mut usize, from: &[u8]) {
        let end = *written + from.len();
        if out.len() < end {
            out.resize(end.max(2 * out.len()), 0);
        }
        out[*written..end].copy_from_slice(from);
        *written = end;
    }
    let mut written = 0;
    let mut fields = 0;
    // `at` starts a field.
    let mut at = 0;
    loop {
        if bytes.get(at) == Some(&b'"') {
            let mut from = at + 1;
            let after = loop {
                let quote = from + memchr::memchr(b'"', &bytes[from..])?;
                copy(out, &mut written, &bytes[from..quote]);
                // `""` is one quote; the byte after a closing quote must be
                // known (not past the buffer).
                match *bytes.get(quote + 1)? {
                    b'"' => {
                        copy(out, &mut written, b"\"");
                        from = quote + 2;
                    }
                    b if b == delimiter || b == b'\r' || b == b'\n' => break quote + 1,
                    _ => return None,
                }
            };
            *ends.get_mut(fields)? = written;
            fields += 1;
            if bytes[after] != delimiter {
                return Some((after, written, fields));
            }
            copy(out, &mut written, &[delimiter]);
            at = after + 1;
            continue;
        }
        // Unquoted fields up to the line's end or a quote that opens a
        // field (one after a delimiter), copied in one piece.
        let mut search = at;
        let stop = loop {
            let hit = search + memchr::memchr3(b'"', b'\r', b'\n', &bytes[search..])?;
            if bytes[hit] != b'"' || bytes[hit - 1] == delimiter {
                break hit;
            }
            search = hit + 1;
        };
        let run = &bytes[at..stop];
        push_delimiters(run, delimiter, written, ends, &mut fields)?;
        copy(out, &mut written, run);
        if bytes[stop] != b'"' {
            *ends.get_mut(fields)? = written;
            return Some((stop, written, fields + 1));
        }
        // The run ends with the delimiter before the quote.
        at = stop;
    }
}

/// Keeps what the scanner refused for [`Reader::map_io_error`] and returns
/// the `io::Error` that carries it up.
fn stop(failure: &mut Option<ErrorKind>, kind: ErrorKind) -> io::Error {
    *failure = Some(kind);
    io::Error::other("input refused by the scanner")
}

/// Whether `bytes` are all ASCII, 32 at a time.
fn is_ascii(bytes: &[u8]) -> bool {
    let word = |b: &[u8]| {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(b);
        u64::from_ne_bytes(eight)
    };
    let mut blocks = bytes.chunks_exact(32);
    let mut high = 0u64;
    for block in &mut blocks {
        high |= word(&block[..8]) | word(&block[8..16]) | word(&block[16..24]) | word(&block[24..]);
    }
    let mut words = blocks.remainder().chunks_exact(8);
    for eight in &mut words {
        high |= word(eight);
    }
    high & 0x8080_8080_8080_8080 == 0 && words.remainder().is_ascii()
}

/// Borrowing row iterator; see [`Reader::rows`].
pub struct RowsIter<'r, R: Read> {
    reader: &'r mut Reader<R>,
}

impl<R: Read> Iterator for RowsIter<'_, R> {
    type Item = Result<Row, Error>;

    fn next(&mut self) -> Option<Result<Row, Error>> {
        let mut row = Row::default();
        match self.reader.read_row(&mut row) {
            Ok(true) => Some(Ok(row)),
            Ok(false) => None,
            Err(err) => {
                self.reader.done = true;
                Some(Err(err))
            }
        }
    }
}

/// Owning row iterator; see [`Reader::into_rows`].
pub struct RowsIntoIter<R: Read> {
    reader: Reader<R>,
}

impl<R: Read> RowsIntoIter<R> {
    /// The reader, e.g. for its counts once iteration ends.
    pub fn reader(&self) -> &Reader<R> {
        &self.reader
    }
}

impl<R: Read> Iterator for RowsIntoIter<R> {
    type Item = Result<Row, Error>;

    fn next(&mut self) -> Option<Result<Row, Error>> {
        self.reader.rows().next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a reader returns for `input`, read through a buffer of
    /// `capacity` bytes, with quote-free lines cut directly (`lines`) or
    /// every record left to the parser.
    fn everything_read(input: &[u8], capacity: usize, lines: bool) -> String {
        let mut builder = ReaderBuilder::new();
        builder.buffer_capacity(capacity);
        let mut reader = match builder.from_reader(input) {
            Ok(reader) => reader,
            Err(err) => return format!("{err}"),
        };
        reader.lines &= lines;
        let mut out = format!("{:?}\n", reader.header());
        let mut row = Row::default();
        loop {
            match reader.read_row(&mut row) {
                Ok(true) => {
                    let fields: Vec<&str> = row.fields().collect();
                    out += &format!(
                        "{fields:?} {:?} {:?}\n",
                        row.position(),
                        row.previous_errors()
                    );
                }
                Ok(false) => break,
                Err(err) => {
                    out += &format!("error: {err}\n");
                    break;
                }
            }
        }
        out + &format!(
            "blank {} data {} bytes {} {:?} {:?}",
            reader.blank_rows(),
            reader.data_rows(),
            reader.bytes_read(),
            reader.encoding(),
            reader.warnings()
        )
    }

    /// A UTF-8 character cut in two by a delimiter reads the same whether
    /// its line is cut in place or parsed (a quote elsewhere on the line,
    /// the line across the buffer's end): the check for UTF-8 text sees
    /// the fields back to back either way. Found by the break-it trial.
    #[test]
    fn a_character_split_by_a_delimiter_reads_alike_on_both_paths() {
        let head = b"email,firstName,lastName\n".to_vec();
        let mut padded = head.clone();
        while padded.len() < 70_000 {
            padded.extend_from_slice(b"a@b.com,Ada,Lovelace\n");
        }
        for (body, prefix) in [
            (&b"a@b.com,x\xc3,\xa9y\n"[..], &head),
            (&b"a@b.com,x\xc3,\xa9y,\"Z\"\n"[..], &head),
            (&b"a@b.com,x\xe2\x82,\xacy\n"[..], &padded),
        ] {
            let mut input = prefix.clone();
            input.extend_from_slice(body);
            let expected = everything_read(&input, 65536, false);
            assert!(expected.contains("mixes"), "{expected}");
            for capacity in [1, 7, 64, 4096, 65536] {
                assert_eq!(
                    everything_read(&input, capacity, true),
                    expected,
                    "{capacity}"
                );
            }
        }
    }

    /// UTF-8 text in a file guessed to be Windows-1252, on the second line
    /// of a record whose quoted field spans lines: the error names that
    /// line whichever way the record was read (a line with quotes cut
    /// directly keeps its delimiters, which the check leaves out). Found by
    /// the break-it trial.
    #[test]
    fn mixed_encoding_names_the_line_inside_a_quoted_field() {
        let input = b"\"email\",\"firstName\",\"lastName\"\r\n\"x\"\r\n\r\n\n\xe9,\r\r\",\",ada@example.com,\"Ada\n\xe9\",\x80\x80\r\n\r\n";
        let expected = everything_read(input, 65536, false);
        assert!(expected.contains("on line 8 (row 7)"), "{expected}");
        for capacity in [7, 64, 65536] {
            assert_eq!(
                everything_read(input, capacity, true),
                expected,
                "{capacity}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Eight bytes at a time finds what one byte at a time finds.
        #[test]
        fn cut_line_matches_a_byte_loop(
            bytes in proptest::collection::vec(proptest::sample::select(b"ab;,\"\r\n\x80\xff\x00".to_vec()), 0..40),
            delimiter in proptest::sample::select(b";,".to_vec()),
            room in 0usize..8,
        ) {
            let mut naive_ends = Vec::new();
            let mut naive = None;
            for (i, &b) in bytes.iter().enumerate() {
                if b == b'"' {
                    break;
                }
                if b == delimiter || b == b'\r' || b == b'\n' {
                    naive_ends.push(i);
                }
                if b == b'\r' || b == b'\n' {
                    naive = Some((i, naive_ends.len()));
                    break;
                }
            }
            if naive_ends.len() > room {
                naive = None;
            }
            let mut ends = vec![0; room];
            let cut = cut_line(&bytes, delimiter, &mut ends);
            proptest::prop_assert_eq!(cut.map(|(len, fields, _)| (len, fields)), naive);
            if let Some((len, fields, ascii)) = cut {
                proptest::prop_assert_eq!(&ends[..fields], &naive_ends[..]);
                proptest::prop_assert_eq!(ascii, bytes[..len].is_ascii());
            }
        }

        /// Quote-free lines cut at their delimiters read exactly as the
        /// parser reads them: fields, positions, blank rows, errors, counts.
        #[test]
        fn lines_cut_directly_read_as_the_parser_reads_them(
            header in proptest::sample::select(vec!["a,b,c\n", "a;b\r\n", "email,errors\n", "x\r", "", "\"q\",b\n"]),
            tokens in proptest::collection::vec(proptest::sample::select(vec![
                "a", "bc", "é", ",", ";", "\"", "\r", "\n", "\r\n", " ", "\u{feff}", "\u{a0}", "\\xff",
                "\\xc3", "\\xa9", "\\xe9", "split",
                "email: bad", "\t", "\"x,\ny\"",
                "\"q\"", "\"a\"\"b\"", "\"\"", "\",\"", "\"é;\"", "\"\r\"",
            ]), 0..60),
            capacity in proptest::sample::select(vec![1usize, 2, 3, 5, 8, 13, 64, 65536]),
        ) {
            let mut input = header.as_bytes().to_vec();
            for token in tokens {
                if token == "split" {
                    // A UTF-8 character cut in two by a delimiter.
                    input.extend_from_slice(b"\xc3,\xa9");
                } else if let Some(hex) = token.strip_prefix("\\x") {
                    input.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                } else {
                    input.extend_from_slice(token.as_bytes());
                }
            }
            proptest::prop_assert_eq!(
                everything_read(&input, capacity, true),
                everything_read(&input, capacity, false)
            );
            // Nor does the buffer size change anything.
            proptest::prop_assert_eq!(
                everything_read(&input, capacity, true),
                everything_read(&input, 65536, false)
            );
        }
    }

    #[test]
    fn is_ascii_finds_a_high_byte_anywhere() {
        for len in 0..80 {
            let mut bytes = vec![b'a'; len];
            assert!(is_ascii(&bytes), "{len}");
            for at in 0..len {
                bytes[at] = 0x80;
                assert!(!is_ascii(&bytes), "{len} {at}");
                bytes[at] = 0x7f;
                assert!(is_ascii(&bytes), "{len} {at}");
            }
        }
    }

    type Read = (Vec<String>, Vec<(u64, u64, Vec<String>)>, u64);

    fn read_all(input: &[u8]) -> Result<Read, Error> {
        let mut rdr = ReaderBuilder::new().from_reader(input)?;
        let header = rdr.header().iter().map(str::to_string).collect();
        let mut rows = Vec::new();
        for row in rdr.rows() {
            let row = row?;
            rows.push((
                row.position().row,
                row.position().line,
                row.fields().map(str::to_string).collect(),
            ));
        }
        Ok((header, rows, rdr.blank_rows()))
    }

    #[test]
    fn rows_lines_and_blanks() {
        let (header, rows, blanks) = read_all(b"a,b\n1,2\n\n , \n3,\"x\ny\"\n5,6").unwrap();
        assert_eq!(header, ["a", "b"]);
        assert_eq!(
            rows,
            vec![
                (2, 2, vec!["1".into(), "2".into()]),
                (5, 5, vec!["3".into(), "x\ny".into()]),
                (6, 7, vec!["5".into(), "6".into()]),
            ]
        );
        assert_eq!(blanks, 2);
    }

    #[test]
    fn errors_column_is_dropped_and_guard_removed() {
        let (header, rows, _) =
            read_all(b"\xEF\xBB\xBFemail,phone,errors\na@b.com,'+31 6,\"phone: bad\"\n").unwrap();
        assert_eq!(header, ["email", "phone"]);
        assert_eq!(rows[0].2, ["a@b.com", "+31 6"]);
    }

    #[test]
    fn a_users_errors_column_is_data() {
        // Not last, or not this tool's messages: kept, guard and all.
        for input in [
            &b"email,errors,phone\na@b.com,phone: bad,'+31 6\n"[..],
            b"email,phone,errors\na@b.com,'+31 6,late\n",
        ] {
            let mut rdr = ReaderBuilder::new().from_reader(input).unwrap();
            assert!(!rdr.had_errors_column());
            assert_eq!(rdr.header().len(), 3);
            let row = rdr.rows().next().unwrap().unwrap();
            assert!(row.fields().any(|f| f == "'+31 6"), "{row:?}");
        }
        // Empty cells under `errors`: the next rows decide; none at all: the header.
        let input = b"email,phone,errors\na@b.com,'+1,\nc@d.com,'+2,email: bad\n";
        let (header, rows, _) = read_all(input).unwrap();
        assert_eq!(header, ["email", "phone"]);
        assert_eq!(rows[1].2, ["c@d.com", "+2"]);
        let (header, _, _) = read_all(b"email,errors\na@b.com,\n").unwrap();
        assert_eq!(header, ["email"]);
    }

    #[test]
    fn error_csv_header_guard_and_field_count_rows() {
        let input = "\u{feff}'-notes,email,errors\n'=x,a,'-notes: bad\n\
                     short,,the row has 1 fields but the header has 2: check\n\
                     short,filled,the row has 1 fields but the header has 2: check\n\
                     l1,l2,the row has 4 fields but the header has 2: check,l3,l4\n\
                     s2,'+typed\n\
                     l1,l2,,l3,l4\n";
        let (header, rows, _) = read_all(input.as_bytes()).unwrap();
        assert_eq!(header, ["-notes", "email"]);
        let fields: Vec<Vec<String>> = rows.into_iter().map(|r| r.2).collect();
        assert_eq!(
            fields,
            [
                vec!["=x", "a"],
                // Padded and untouched: as uploaded; filled: as fixed.
                vec!["short"],
                vec!["short", "filled"],
                vec!["l1", "l2", "l3", "l4"],
                // Rows the user typed: nothing under `errors`, nothing dropped.
                vec!["s2", "+typed"],
                vec!["l1", "l2", "l3", "l4"],
            ]
        );
        // The layout of earlier versions: the `field_count` message last.
        let input = "email,name,errors\nshort,the row has 1 fields but the header has 2: check\n\
                     l1,l2,l3,l4,the row has 4 fields but the header has 2: check\n";
        let (_, rows, _) = read_all(input.as_bytes()).unwrap();
        assert_eq!(rows[0].2, ["short"]);
        assert_eq!(rows[1].2, ["l1", "l2", "l3", "l4"]);
    }

    #[test]
    fn a_users_errors_column_counts_toward_max_columns() {
        let mut b = ReaderBuilder::new();
        b.limits(Limits {
            max_columns: 2,
            ..Limits::default()
        });
        assert!(b.from_reader(&b"a,b,errors\n1,2,a: x\n"[..]).is_ok());
        let err = b.from_reader(&b"a,b,errors\n1,2,late\n"[..]).unwrap_err();
        assert_eq!(err.code(), "limit_exceeded");
    }

    #[test]
    fn line_ending_of_the_header() {
        for (input, ending) in [
            (&b"a,b\r\n1,2\r\n"[..], LineEnding::CrLf),
            (b"a,b\n1,2\r\n", LineEnding::Lf),
            (b"a,b\r1,2\r", LineEnding::Cr),
            (b"a,b", LineEnding::Lf),
        ] {
            let rdr = ReaderBuilder::new().from_reader(input).unwrap();
            assert_eq!(rdr.line_ending(), ending, "{input:?}");
        }
    }

    #[test]
    fn read_ahead_keeps_errors_at_their_row() {
        let mut b = ReaderBuilder::new();
        b.limits(Limits {
            max_field_bytes: 6,
            ..Limits::default()
        });
        let mut rdr = b.from_reader(&b"a,errors\n1,\n1234567,\n"[..]).unwrap();
        assert_eq!(rdr.rows().next().unwrap().unwrap().fields().len(), 1);
        let err = rdr.rows().next().unwrap().unwrap_err();
        assert_eq!(err.position().map(|p| p.row), Some(3));
        assert!(rdr.rows().next().is_none());
    }

    #[test]
    fn guard_kept_without_errors_column() {
        let (_, rows, _) = read_all(b"email,phone\na@b.com,'+31 6\n").unwrap();
        assert_eq!(rows[0].2, ["a@b.com", "'+31 6"]);
    }

    #[test]
    fn late_windows_1252_switches_encoding() {
        let mut input = b"name\n".to_vec();
        for _ in 0..5000 {
            input.extend_from_slice(b"Smith\n");
        }
        input.extend_from_slice(b"M\xFCller\n");
        let mut rdr = ReaderBuilder::new().from_reader(&input[..]).unwrap();
        let last = rdr.rows().last().unwrap().unwrap();
        assert_eq!(last.get(0), Some("Müller"));
        assert_eq!(rdr.encoding(), Encoding::Windows1252);
        assert_eq!(rdr.warnings().len(), 1);
    }

    #[test]
    fn mixed_encodings_are_a_file_error() {
        // Valid UTF-8 with accents first, then Windows-1252 past the sniffed prefix.
        let mut input = b"name\nJos\xC3\xA9\n".to_vec();
        for _ in 0..12_000 {
            input.extend_from_slice(b"Smith\n");
        }
        input.extend_from_slice(b"M\xFCller\n");
        let err = read_all(&input).unwrap_err();
        assert_eq!(err.code(), "encoding");
        assert_eq!(err.position().map(|p| p.row), Some(12_003));
        // Invalid UTF-8 next to UTF-8 text inside the sniffed prefix: a mix too.
        let err = read_all(b"name\nJos\xC3\xA9\nM\xFCller\n").unwrap_err();
        assert_eq!(err.code(), "encoding");
        assert_eq!(err.position().map(|p| p.row), Some(3));
        // Invalid UTF-8 without UTF-8 text: the whole file is Windows-1252.
        let (_, rows, _) = read_all(b"name\nJose\nM\xFCller\n").unwrap();
        assert_eq!(rows[1].2, ["Müller"]);
    }

    #[test]
    fn malformed_utf16_is_an_encoding_error_naming_the_row() {
        let mut input = vec![0xFF, 0xFE];
        for unit in "email,name\na@b.com,Ada\nc@d.com,".encode_utf16() {
            input.extend_from_slice(&unit.to_le_bytes());
        }
        input.extend_from_slice(&0xDC00u16.to_le_bytes()); // lone low surrogate
        input.extend_from_slice(&u16::from(b'\n').to_le_bytes());
        let mut rdr = ReaderBuilder::new().from_reader(&input[..]).unwrap();
        let first = rdr.rows().next().unwrap().unwrap();
        assert_eq!(first.get(1), Some("Ada"));
        let err = rdr.rows().next().unwrap().unwrap_err();
        assert_eq!(err.code(), "encoding");
        assert_eq!(err.position().map(|p| (p.row, p.line)), Some((3, 3)));
        assert!(
            err.to_string()
                .starts_with("the file is not valid utf-16le at row 3"),
            "{err}"
        );
    }

    #[test]
    fn empty_and_wrong_delimiter() {
        assert_eq!(read_all(b"").unwrap_err().code(), "empty_file");
        assert_eq!(read_all(b"\n\n").unwrap_err().code(), "empty_file");
        let err = ReaderBuilder::new()
            .delimiter(Some(b','))
            .from_reader(&b"email;name\na;b\n"[..])
            .unwrap_err();
        assert_eq!(err.code(), "wrong_delimiter");
        assert!(err.to_string().contains("probably uses ';'"), "{err}");
    }

    #[test]
    fn limits() {
        let mut b = ReaderBuilder::new();
        b.limits(Limits {
            max_field_bytes: 4,
            ..Limits::default()
        });
        let mut rdr = b.from_reader(&b"a\nabcd\nabcde\n"[..]).unwrap();
        assert!(rdr.rows().next().unwrap().is_ok());
        let err = rdr.rows().next().unwrap().unwrap_err();
        assert_eq!(err.code(), "limit_exceeded");
        assert_eq!(err.position().map(|p| (p.row, p.line)), Some((3, 3)));

        b.limits(Limits {
            max_rows: 1,
            ..Limits::default()
        });
        let mut rdr = b.from_reader(&b"a\n1\n2\n"[..]).unwrap();
        assert!(rdr.rows().next().unwrap().is_ok());
        assert!(rdr.rows().next().unwrap().is_err());
    }
}
