//! File-level errors: problems that stop a whole upload from being read.

use crate::codes::{FileErrorCode, SchemaErrorCode};
use crate::decode::Encoding;
use std::fmt;
use std::io;

use serde::{Deserialize, Serialize};

/// A place in the input: byte offset, physical line and spreadsheet row.
///
/// `line` counts physical lines from 1 (a quoted field that spans lines makes
/// the record's line differ from its row); `row` is the row a spreadsheet
/// shows, the header being row 1.
///
/// ```
/// let pos = usercsv::Position::new(120, 7, 6);
/// assert_eq!(pos.to_string(), "row 6 (line 7, byte 120)");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Byte offset of the start of the record in the decoded (UTF-8) stream.
    pub byte: u64,
    /// Physical line where the record starts, from 1.
    pub line: u64,
    /// Spreadsheet row number, the header being row 1.
    pub row: u64,
}

impl Position {
    /// Makes a position from its byte offset, line and row.
    ///
    /// ```
    /// let pos = usercsv::Position::new(12, 3, 2);
    /// assert_eq!((pos.byte, pos.line, pos.row), (12, 3, 2));
    /// ```
    pub fn new(byte: u64, line: u64, row: u64) -> Position {
        Position { byte, line, row }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {} (line {}, byte {})",
            self.row, self.line, self.byte
        )
    }
}

/// Which configurable limit an input exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Limit {
    /// Bytes in one field.
    FieldBytes,
    /// Bytes in one record.
    RecordBytes,
    /// Number of columns in a record.
    Columns,
    /// Number of data rows.
    Rows,
}

impl Limit {
    fn describe(self) -> &'static str {
        match self {
            Limit::FieldBytes => "bytes in one field",
            Limit::RecordBytes => "bytes in one record",
            Limit::Columns => "columns",
            Limit::Rows => "data rows",
        }
    }
}

/// The error type for file-level problems.
///
/// It is one pointer wide; [`Error::kind`] tells what happened and
/// [`Error::code`] gives a stable machine-readable code.
///
/// ```
/// use usercsv::{Schema, Validator};
///
/// let validator = Validator::new(&Schema::users()).unwrap();
/// let err = validator.validate_reader("firstName,lastName\nAda,Lovelace\n".as_bytes(), None).unwrap_err();
/// assert_eq!(err.code(), "missing_column");
/// assert_eq!(err.to_string(), "the header has no column \"email\" (required); found: firstName, lastName");
/// ```
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

/// What went wrong, for [`Error`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading the input failed.
    Io(io::Error),
    /// Writing the error CSV failed (disk full, a closed pipe): the input
    /// was fine, the output is incomplete.
    Write(io::Error),
    /// The input has no header line.
    EmptyFile,
    /// Bytes that are not valid in the input's encoding.
    Encoding {
        /// The encoding the input was read as.
        encoding: Encoding,
        /// Where the bad bytes are.
        position: Position,
    },
    /// UTF-8 text and bytes that are not UTF-8 (e.g. Windows-1252) in one
    /// file without a byte-order mark. Code `encoding`.
    MixedEncoding {
        /// Where the first record whose encoding differs from another's starts.
        position: Position,
        /// The physical line of its first conflicting byte (after
        /// `position.line` when a quoted cell spans lines).
        line: u64,
    },
    /// A NUL byte, which no text CSV has (a workbook, a binary file, or
    /// UTF-16 that was not recognised). Code `encoding`.
    NulByte {
        /// Where the record holding it starts.
        position: Position,
        /// The physical line of the NUL byte.
        line: u64,
    },
    /// A quoted field is never closed: it runs to the end of the file.
    UnclosedQuote {
        /// Where the record with the open quote starts.
        position: Position,
    },
    /// A configured limit was exceeded.
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// Its configured value.
        max: u64,
        /// Where it was exceeded.
        position: Position,
    },
    /// The values the `unique` rules remember outgrew
    /// [`Limits::max_unique_bytes`](crate::Limits::max_unique_bytes).
    /// Its code is `limit_exceeded`, as for the other limits.
    UniqueBytes {
        /// The unique column whose new value did not fit.
        column: String,
        /// The configured budget in bytes.
        max: u64,
        /// The row with that value.
        position: Position,
    },
    /// Required columns are not in the header.
    MissingColumns {
        /// The schema names of the missing columns.
        missing: Vec<String>,
        /// The header as found.
        found: Vec<String>,
    },
    /// Two header cells name the same column.
    DuplicateColumn {
        /// The schema column (or raw header name) named twice.
        column: String,
        /// 1-based positions of the two header cells.
        first: usize,
        /// 1-based position of the second header cell.
        second: usize,
    },
    /// The header parses as one column that contains another delimiter.
    WrongDelimiter {
        /// The delimiter the file was read with.
        used: u8,
        /// The delimiter the header seems to use.
        probable: u8,
    },
    /// The run was cancelled through its [`CancelToken`](crate::CancelToken).
    Cancelled {
        /// Data rows read before the cancellation was noticed.
        rows_read: u64,
    },
    /// A row of the existing users' export has a different number of fields
    /// than its header, so its key cannot be trusted.
    ExistingFieldCount {
        /// Where the row starts.
        position: Position,
        /// Fields in the row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }

    /// A failure to write the error CSV (not to read the input).
    pub(crate) fn write(err: io::Error) -> Error {
        Error::new(ErrorKind::Write(err))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Unwraps the kind.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// A stable snake_case code, e.g. `missing_column`.
    pub fn code(&self) -> FileErrorCode {
        match *self.0 {
            ErrorKind::Io(_) => FileErrorCode::Io,
            ErrorKind::Write(_) => FileErrorCode::Write,
            ErrorKind::EmptyFile => FileErrorCode::EmptyFile,
            ErrorKind::Encoding { .. } => FileErrorCode::Encoding,
            ErrorKind::MixedEncoding { .. } | ErrorKind::NulByte { .. } => FileErrorCode::Encoding,
            ErrorKind::UnclosedQuote { .. } => FileErrorCode::UnclosedQuote,
            ErrorKind::LimitExceeded { .. } | ErrorKind::UniqueBytes { .. } => {
                FileErrorCode::LimitExceeded
            }
            ErrorKind::MissingColumns { .. } => FileErrorCode::MissingColumn,
            ErrorKind::DuplicateColumn { .. } => FileErrorCode::DuplicateColumn,
            ErrorKind::WrongDelimiter { .. } => FileErrorCode::WrongDelimiter,
            ErrorKind::Cancelled { .. } => FileErrorCode::Cancelled,
            ErrorKind::ExistingFieldCount { .. } => FileErrorCode::ExistingFieldCount,
        }
    }

    /// Where in the input the problem is, when it is at one place.
    pub fn position(&self) -> Option<Position> {
        match *self.0 {
            ErrorKind::Encoding { position, .. }
            | ErrorKind::MixedEncoding { position, .. }
            | ErrorKind::NulByte { position, .. }
            | ErrorKind::UnclosedQuote { position }
            | ErrorKind::LimitExceeded { position, .. }
            | ErrorKind::ExistingFieldCount { position, .. }
            | ErrorKind::UniqueBytes { position, .. } => Some(position),
            _ => None,
        }
    }
}

pub(crate) fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "TAB".to_string(),
        b' ' => "space".to_string(),
        _ => format!("'{}'", d as char),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            ErrorKind::Io(err) => write!(f, "could not read the input: {err}"),
            ErrorKind::Write(err) => write!(f, "could not write the error CSV: {err}"),
            ErrorKind::EmptyFile => write!(f, "the file is empty: expected a header line"),
            ErrorKind::Encoding { encoding, position } => write!(
                f,
                "the file is not valid {encoding} at {position}: save it as \"CSV UTF-8\" (or choose its encoding explicitly)"
            ),
            ErrorKind::MixedEncoding { position, line } => write!(
                f,
                "the file mixes utf-8 with another encoding (such as windows-1252): the text on line {line} (row {}) is not in the same encoding as other rows; save the whole file as \"CSV UTF-8\"",
                position.row
            ),
            ErrorKind::NulByte { position, line } => write!(
                f,
                "the file has a NUL byte on line {line} (row {}), which a text CSV never has: it is probably not a CSV file (e.g. a workbook) or in an unrecognised encoding; save it as \"CSV UTF-8\"",
                position.row
            ),
            ErrorKind::UnclosedQuote { position } => write!(
                f,
                "a quoted field starting at {position} is never closed: add the missing closing '\"'"
            ),
            ErrorKind::LimitExceeded {
                limit,
                max,
                position,
            } => write!(
                f,
                "too many {} at {position}: the limit is {max}",
                limit.describe()
            ),
            ErrorKind::UniqueBytes {
                column,
                max,
                position,
            } => write!(
                f,
                "too many bytes of distinct values to check for duplicates in column \"{column}\" at {position}: the limit is {max} (max_unique_bytes)"
            ),
            ErrorKind::MissingColumns { missing, found } => {
                let plural = if missing.len() == 1 { "" } else { "s" };
                let names: Vec<String> = missing.iter().map(|m| format!("\"{m}\"")).collect();
                write!(
                    f,
                    "the header has no column{plural} {} (required); found: {}",
                    names.join(", "),
                    found.join(", ")
                )
            }
            ErrorKind::DuplicateColumn {
                column,
                first,
                second,
            } => write!(
                f,
                "the header names column \"{column}\" twice, in columns {first} and {second}"
            ),
            ErrorKind::WrongDelimiter { used, probable } => write!(
                f,
                "the header reads as a single column with delimiter {}, but it contains {}: the file probably uses {} as its delimiter",
                delimiter_name(*used),
                delimiter_name(*probable),
                delimiter_name(*probable)
            ),
            ErrorKind::Cancelled { rows_read } => {
                write!(f, "validation was cancelled after {rows_read} rows")
            }
            ErrorKind::ExistingFieldCount {
                position,
                found,
                expected,
            } => write!(
                f,
                "the existing users' export has {found} fields at {position} but its header has {expected}: its key cannot be read with certainty, so nothing was planned"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.0 {
            ErrorKind::Io(err) | ErrorKind::Write(err) => Some(err),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        Error::new(ErrorKind::Io(err))
    }
}

/// A problem in a schema, found when it is compiled or loaded.
///
/// ```
/// use usercsv::{Schema, Validator};
///
/// let err = Schema::from_toml_str("[[columns]]\nname = \"email\"\nemial = {}\n").unwrap_err();
/// assert_eq!(err.code(), "schema_syntax");
/// assert!(err.to_string().contains("line 3"), "{err}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The schema text could not be parsed.
    #[error("{message}")]
    Syntax {
        /// The parser's message, with line and column where known.
        message: String,
        /// 1-based line of the problem, where known.
        line: Option<usize>,
    },
    /// A rule's settings are invalid.
    #[error("column \"{column}\": {message}")]
    InvalidRule {
        /// The column the rule belongs to.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A rule names a column that the schema does not define.
    #[error("{rule} refers to unknown column \"{column}\"")]
    UnknownColumn {
        /// Which rule.
        rule: String,
        /// The name that was not found.
        column: String,
    },
    /// Two columns (or aliases) match the same header name.
    #[error(
        "the header name \"{name}\" would match both column \"{first}\" and column \"{second}\""
    )]
    AmbiguousName {
        /// The normalised header name.
        name: String,
        /// One column.
        first: String,
        /// The other column.
        second: String,
    },
    /// The schema defines no columns.
    #[error("the schema defines no columns")]
    NoColumns,
}

impl SchemaError {
    /// A stable snake_case code.
    pub fn code(&self) -> SchemaErrorCode {
        match self {
            SchemaError::Syntax { .. } => SchemaErrorCode::Syntax,
            SchemaError::InvalidRule { .. } => SchemaErrorCode::InvalidRule,
            SchemaError::UnknownColumn { .. } => SchemaErrorCode::UnknownColumn,
            SchemaError::AmbiguousName { .. } => SchemaErrorCode::AmbiguousName,
            SchemaError::NoColumns => SchemaErrorCode::NoColumns,
        }
    }

    pub(crate) fn rule(column: &str, message: impl Into<String>) -> SchemaError {
        SchemaError::InvalidRule {
            column: column.to_string(),
            message: message.into(),
        }
    }
}
