//! The streaming row reader: encoding, dialect, limits, header, rows.

use std::io::{self, Chain, Cursor, Read};

use csv::{ByteRecord, StringRecord};
use serde::{Deserialize, Serialize};

use crate::decode::{self, Encoding, FieldDecoding, Source};
use crate::dialect;
use crate::error::{Error, ErrorKind, Limit, Position};
use crate::formula::unguard_formula;
use crate::report::Warning;
use crate::scanner::Scanner;
use crate::validator::is_field_count_message;

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
        }
    }

    /// Forces the delimiter; `None` detects it from the header among
    /// `,` `;` TAB `|`.
    pub fn delimiter(&mut self, delimiter: Option<u8>) -> &mut ReaderBuilder {
        self.delimiter = delimiter;
        self
    }

    /// Forces the encoding; `None` detects it (byte-order mark, else UTF-8
    /// when valid, else Windows-1252 with a warning).
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

    /// The configured limits.
    pub fn get_limits(&self) -> Limits {
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
        let delimiter = self
            .delimiter
            .unwrap_or_else(|| dialect::sniff_delimiter(&prefix));
        let scanner = Scanner::new(
            Cursor::new(prefix).chain(source),
            delimiter,
            self.limits.max_record_bytes,
        );
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(32 * 1024)
            .from_reader(scanner);
        let mut reader = Reader {
            csv,
            header: StringRecord::new(),
            header_position: Position::default(),
            errors_column: None,
            delimiter,
            encoding: detected.encoding,
            decoding: detected.decoding,
            warnings,
            limits: self.limits,
            formula_guard: self.formula_guard,
            blank_rows: 0,
            data_rows: 0,
            last_row: 0,
            done: false,
            spare: None,
        };
        reader.read_header()?;
        Ok(reader)
    }
}

/// One data row as read: its fields (without any `errors` column) and where
/// it starts.
///
/// ```
/// let row = usercsv::Row::default();
/// assert!(row.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    fields: StringRecord,
    position: Position,
}

impl Row {
    /// Builds a row from fields, e.g. for tests.
    pub fn new<I, T>(fields: I, position: Position) -> Row
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        Row {
            fields: fields.into_iter().collect(),
            position,
        }
    }

    /// The fields exactly as uploaded (decoded to UTF-8, untrimmed).
    pub fn fields(&self) -> &StringRecord {
        &self.fields
    }

    /// Field `i`, untrimmed.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.fields.get(i)
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the row has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Where the row starts.
    pub fn position(&self) -> Position {
        self.position
    }
}

type Input<R> = Scanner<Chain<Cursor<Vec<u8>>, Source<R>>>;

/// Reads rows of a CSV upload one at a time, in bounded memory.
///
/// Blank rows (empty lines, or rows whose cells are all blank) are skipped
/// and counted. A column named `errors` (any case, any position), as written
/// by [`ErrorCsvWriter`](crate::ErrorCsvWriter), is dropped from the header
/// and from every row.
pub struct Reader<R: Read> {
    csv: csv::Reader<Input<R>>,
    header: StringRecord,
    header_position: Position,
    errors_column: Option<usize>,
    delimiter: u8,
    encoding: Encoding,
    decoding: FieldDecoding,
    warnings: Vec<Warning>,
    limits: Limits,
    formula_guard: bool,
    blank_rows: u64,
    data_rows: u64,
    last_row: u64,
    done: bool,
    /// An empty record to swap into a row while its buffers are read into.
    spare: Option<StringRecord>,
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

/// Trims ASCII and Unicode whitespace, non-breaking spaces included.
pub(crate) fn trim_value(value: &str) -> &str {
    // Fast path: a value that starts and ends with a visible ASCII character
    // has nothing to trim.
    let bytes = value.as_bytes();
    if let (Some(first), Some(last)) = (bytes.first(), bytes.last())
        && first.is_ascii_graphic()
        && last.is_ascii_graphic()
    {
        return value;
    }
    value.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
}

impl<R: Read> Reader<R> {
    fn read_header(&mut self) -> Result<(), Error> {
        let mut row = Row::default();
        if !self.read_record(&mut row)? {
            return Err(Error::new(ErrorKind::EmptyFile));
        }
        // The writer adds `errors` last; an earlier one is the upload's data.
        self.errors_column = (0..row.fields.len())
            .rev()
            .find(|&i| trim_value(&row.fields[i]).eq_ignore_ascii_case("errors"));
        if row.fields.len() > self.max_width() {
            return Err(self.limit(Limit::Columns, self.limits.max_columns as u64, row.position));
        }
        if row.fields.len() == 1
            && let Some(probable) = dialect::probable_delimiter(&row.fields[0], self.delimiter)
        {
            return Err(Error::new(ErrorKind::WrongDelimiter {
                used: self.delimiter,
                probable,
            }));
        }
        self.header = match self.errors_column {
            // An error CSV: its header cells carry the writer's formula guard too.
            Some(skip) => without(&row.fields, skip)
                .iter()
                .map(|h| {
                    if self.formula_guard {
                        unguard_formula(h)
                    } else {
                        h
                    }
                })
                .collect(),
            None => row.fields,
        };
        if self.header.iter().all(|h| trim_value(h).is_empty()) {
            return Err(Error::new(ErrorKind::EmptyFile));
        }
        self.header_position = row.position;
        Ok(())
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

    /// Reads the next record, decoded, into `row`; blank rows included.
    fn read_record(&mut self, row: &mut Row) -> Result<bool, Error> {
        if self.done {
            return Ok(false);
        }
        // An empty record boxes an allocation: keep one to swap in rather
        // than making one per row.
        let placeholder = self.spare.take().unwrap_or_default();
        let mut raw: ByteRecord =
            std::mem::replace(&mut row.fields, placeholder).into_byte_record();
        let more = match self.csv.read_byte_record(&mut raw) {
            Ok(more) => more,
            Err(err) => return Err(self.map_csv_error(err)),
        };
        if !more {
            self.done = true;
            // Empty lines never reach the parser; the scanner counted them as rows.
            let trailing = self.csv.get_ref().rows().saturating_sub(self.last_row);
            if self.last_row > 0 {
                self.blank_rows += trailing;
            }
            return Ok(false);
        }
        let position = self.csv.get_mut().next_start().unwrap_or_else(|| {
            let p = raw.position().cloned().unwrap_or_else(csv::Position::new);
            Position::new(p.byte(), p.line(), p.record() + 1)
        });
        row.position = position;
        if self.last_row > 0 {
            self.blank_rows += position.row.saturating_sub(self.last_row + 1);
        }
        self.last_row = position.row;
        // No field can be longer than all of them together.
        let max_field = self.limits.max_field_bytes;
        if raw.as_slice().len() as u64 > max_field && raw.iter().any(|f| f.len() as u64 > max_field)
        {
            return Err(self.limit(Limit::FieldBytes, self.limits.max_field_bytes, position));
        }
        let decoded = self.decode(raw, position)?;
        self.spare = Some(std::mem::replace(&mut row.fields, decoded));
        Ok(true)
    }

    fn decode(&mut self, raw: ByteRecord, position: Position) -> Result<StringRecord, Error> {
        match self.decoding {
            FieldDecoding::Windows1252 => return Ok(decode_1252(&raw)),
            FieldDecoding::Utf8OrWindows1252 {
                seen_non_ascii: false,
            } if !raw.as_slice().is_ascii() => {
                let utf8 = StringRecord::from_byte_record(raw);
                return match utf8 {
                    Ok(record) => {
                        self.decoding = FieldDecoding::Utf8OrWindows1252 {
                            seen_non_ascii: true,
                        };
                        Ok(record)
                    }
                    Err(err) => {
                        // Everything before was ASCII: reading it all as
                        // Windows-1252 gives the same text.
                        self.decoding = FieldDecoding::Windows1252;
                        self.encoding = Encoding::Windows1252;
                        self.warnings
                            .push(Warning::encoding_guessed(Encoding::Windows1252));
                        Ok(decode_1252(&err.into_byte_record()))
                    }
                };
            }
            _ => {}
        }
        StringRecord::from_byte_record(raw).map_err(|_| {
            Error::new(ErrorKind::Encoding {
                encoding: self.encoding.name(),
                position,
            })
        })
    }

    fn map_csv_error(&mut self, err: csv::Error) -> Error {
        if let Some(kind) = self.csv.get_mut().take_failure() {
            return Error::new(kind);
        }
        match err.into_kind() {
            csv::ErrorKind::Io(io) if decode::is_malformed(&io) => {
                Error::new(ErrorKind::Encoding {
                    encoding: self.encoding.name(),
                    position: self.csv.get_ref().current_start(),
                })
            }
            csv::ErrorKind::Io(io) => Error::from(io),
            other => Error::from(io::Error::other(format!("{other:?}"))),
        }
    }

    /// Reads the next non-blank data row into `row`, reusing its buffers.
    /// Returns `false` at the end of the input.
    pub fn read_row(&mut self, row: &mut Row) -> Result<bool, Error> {
        loop {
            if !self.read_record(row)? {
                return Ok(false);
            }
            if row.fields.len() > self.max_width() {
                return Err(self.limit(
                    Limit::Columns,
                    self.limits.max_columns as u64,
                    row.position,
                ));
            }
            let errors_at = self.errors_index(&row.fields);
            if row
                .fields
                .iter()
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
            if self.errors_column.is_some() {
                row.fields = self.strip_errors_column(&row.fields, errors_at);
            }
            return Ok(true);
        }
    }

    /// Where the `errors` cell of a row is. A row with as many fields as
    /// the header has it at the header's `errors` index. A row with too few
    /// or too many fields was written by [`ErrorCsvWriter`](crate::ErrorCsvWriter)
    /// with its own fields and then the `field_count` message; when the
    /// `errors` column is the header's last, that message is the row's last
    /// field. Any other last field is data and is kept.
    fn errors_index(&self, fields: &StringRecord) -> Option<usize> {
        let skip = self.errors_column?;
        let width = self.header.len() + 1;
        let len = fields.len();
        if len == width || skip + 1 != width {
            return Some(skip);
        }
        let last = len.checked_sub(1)?;
        is_field_count_message(&fields[last]).then_some(last)
    }

    /// Drops the `errors` cell (if the row has one) and, in an error CSV,
    /// the formula guard of every other cell.
    fn strip_errors_column(&self, fields: &StringRecord, skip: Option<usize>) -> StringRecord {
        fields
            .iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != skip)
            .map(|(_, f)| {
                if self.formula_guard {
                    unguard_formula(f)
                } else {
                    f
                }
            })
            .collect()
    }

    /// A borrowing iterator over rows.
    pub fn rows(&mut self) -> RowsIter<'_, R> {
        RowsIter { reader: self }
    }

    /// An owning iterator over rows.
    pub fn into_rows(self) -> RowsIntoIter<R> {
        RowsIntoIter { reader: self }
    }

    /// The header, without any `errors` column, untrimmed.
    pub fn header(&self) -> &StringRecord {
        &self.header
    }

    /// Where the header starts (its row is the spreadsheet row of the header).
    pub fn header_position(&self) -> Position {
        self.header_position
    }

    /// Whether the input had an `errors` column (it is an error CSV).
    pub fn had_errors_column(&self) -> bool {
        self.errors_column.is_some()
    }

    /// The delimiter in use.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
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

    /// Bytes consumed from the (decoded) input so far.
    pub fn bytes_read(&self) -> u64 {
        self.csv.get_ref().offset()
    }
}

/// Whether an `errors` cell is the message of a `field_count` error, the
/// only error of such a row.
fn without(record: &StringRecord, skip: usize) -> StringRecord {
    record
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != skip)
        .map(|(_, f)| f)
        .collect()
}

fn decode_1252(raw: &ByteRecord) -> StringRecord {
    raw.iter().map(decode::decode_windows1252).collect()
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
                row.fields().iter().map(str::to_string).collect(),
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
            read_all(b"\xEF\xBB\xBFemail,errors,phone\na@b.com,\"phone: bad\",'+31 6\n").unwrap();
        assert_eq!(header, ["email", "phone"]);
        assert_eq!(rows[0].2, ["a@b.com", "+31 6"]);
    }

    #[test]
    fn error_csv_header_guard_and_field_count_rows() {
        let input = "\u{feff}'-notes,email,errors\n'=x,a,msg\n\
                     short,the row has 1 fields but the header has 2: check\n\
                     l1,l2,l3,l4,the row has 4 fields but the header has 2: check\n\
                     s2,'+typed\n\
                     l1,l2,l3,l4\n";
        let (header, rows, _) = read_all(input.as_bytes()).unwrap();
        assert_eq!(header, ["-notes", "email"]);
        let fields: Vec<Vec<String>> = rows.into_iter().map(|r| r.2).collect();
        assert_eq!(
            fields,
            [
                vec!["=x", "a"],
                vec!["short"],
                vec!["l1", "l2", "l3", "l4"],
                // Rows the user typed: no message, nothing dropped.
                vec!["s2", "+typed"],
                vec!["l1", "l2", "l3", "l4"],
            ]
        );
        // Not the last column: the cell at the `errors` index is dropped.
        let (_, rows, _) = read_all(b"errors,a,b\nm,1,2\nm,1\n").unwrap();
        assert_eq!(rows[0].2, ["1", "2"]);
        assert_eq!(rows[1].2, ["1"]);
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
        // Invalid UTF-8 inside the sniffed prefix: the whole file is Windows-1252.
        let (_, rows, _) = read_all(b"name\nJos\xC3\xA9\nM\xFCller\n").unwrap();
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
                .starts_with("the file is not valid UTF-16LE at row 3"),
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
