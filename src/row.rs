//! A data row as read, and the trimming every rule applies to its cells.
//! The reader fills rows; the validator, the plan and the run read them.

use csv::StringRecord;

use crate::error::Position;

/// One data row as read: its fields (without any `errors` column) and where
/// it starts.
///
/// ```
/// let row = usercsv::Row::default();
/// assert!(row.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub(crate) fields: StringRecord,
    pub(crate) position: Position,
    /// The `errors` cell the row had in a re-uploaded error CSV of this
    /// tool (dropped from `fields`), when not empty.
    pub(crate) previous_errors: Option<String>,
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
            previous_errors: None,
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

    /// The messages this row had in the `errors` column of a re-uploaded
    /// error CSV of this tool (that column is not among
    /// [`Row::fields`]); `None` for other files or an empty cell.
    ///
    /// ```
    /// let csv = "email,errors\nada@,email: expected an e-mail address\n";
    /// let mut reader = usercsv::ReaderBuilder::new().from_reader(csv.as_bytes())?;
    /// let row = reader.rows().next().unwrap()?;
    /// assert_eq!(row.previous_errors(), Some("email: expected an e-mail address"));
    /// assert_eq!(row.len(), 1);
    /// # Ok::<(), usercsv::Error>(())
    /// ```
    pub fn previous_errors(&self) -> Option<&str> {
        self.previous_errors.as_deref()
    }

    /// Where the row starts.
    pub fn position(&self) -> Position {
        self.position
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
