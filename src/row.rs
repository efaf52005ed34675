//! A data row as read, and the trimming every rule applies to its cells.
//! The reader fills rows; the validator, the plan and the run read them.

use std::ops::Index;

use crate::error::Position;

/// One data row as read: its fields (without any `errors` column) and where
/// it starts.
///
/// A row owns one text buffer holding every field back to back, and the
/// end of each field in it: the reader validates the whole record as UTF-8
/// once and refills the same buffers for the next row, so reading a row
/// allocates nothing. A field is found by index ([`Row::get`], or
/// `row[i]`) in constant time; by column name, resolve its index once
/// with [`Validator::column_index`](crate::Validator::column_index) (which
/// knows the schema's aliases) on [`Reader::header`](crate::Reader::header).
///
/// ```
/// use usercsv::{Position, Row};
///
/// let row = Row::new(["ada@example.com", "Ada"], Position::new(20, 2, 2));
/// assert_eq!(row.get(1), Some("Ada"));
/// assert_eq!(&row[0], "ada@example.com");
/// assert_eq!(row.fields().collect::<Vec<_>>(), ["ada@example.com", "Ada"]);
/// assert!(Row::default().is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Row {
    /// Every field's text, back to back, or with one delimiter byte
    /// between fields (`sep`), as a line without quotes was written.
    text: String,
    /// Where each field ends in `text`.
    ends: Vec<usize>,
    /// Bytes between one field's end and the next one's start: 0 or 1.
    sep: usize,
    pub(crate) position: Position,
    /// The `errors` cell the row had in a re-uploaded error CSV of this
    /// tool (dropped from the fields), when not empty.
    pub(crate) previous_errors: Option<String>,
    /// Whether `text` is known to be ASCII (`false`: it may not be), so
    /// that the rules and the uniqueness sets skip their own scans.
    ascii: bool,
}

impl Row {
    /// Builds a row from fields, e.g. for tests.
    ///
    /// ```
    /// let row = usercsv::Row::new(vec![String::from("a"), String::new()], usercsv::Position::default());
    /// assert_eq!((row.len(), row.get(1)), (2, Some("")));
    /// ```
    pub fn new<I, T>(fields: I, position: Position) -> Row
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let mut row = Row {
            position,
            ascii: true,
            ..Row::default()
        };
        for field in fields {
            row.push_field(field.as_ref());
        }
        row
    }

    /// The fields exactly as uploaded (decoded to UTF-8, untrimmed), in
    /// order.
    ///
    /// ```
    /// let row = usercsv::Row::new(["a", " b "], usercsv::Position::default());
    /// let mut fields = row.fields();
    /// assert_eq!((fields.len(), fields.next_back()), (2, Some(" b ")));
    /// ```
    pub fn fields(&self) -> Fields<'_> {
        Fields {
            text: &self.text,
            start: 0,
            sep: self.sep,
            ends: self.ends.iter(),
        }
    }

    /// Field `i`, untrimmed; `None` past the last field.
    ///
    /// ```
    /// let row = usercsv::Row::new(["a"], usercsv::Position::default());
    /// assert_eq!((row.get(0), row.get(1)), (Some("a"), None));
    /// ```
    #[inline]
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] + self.sep,
        };
        self.text.get(start..end)
    }

    /// Number of fields.
    ///
    /// ```
    /// assert_eq!(usercsv::Row::new(["a", "b"], usercsv::Position::default()).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the row has no fields.
    ///
    /// ```
    /// assert!(usercsv::Row::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
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
    ///
    /// ```
    /// let at = usercsv::Position::new(10, 2, 2);
    /// assert_eq!(usercsv::Row::new(["a"], at).position(), at);
    /// ```
    pub fn position(&self) -> Position {
        self.position
    }

    /// Whether every field is known to be ASCII; `false` when some field
    /// may not be.
    #[inline]
    pub(crate) fn is_ascii(&self) -> bool {
        self.ascii
    }

    /// Empties the row's fields, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.sep = 0;
        self.ascii = true;
    }

    /// Appends a field.
    pub(crate) fn push_field(&mut self, field: &str) {
        if self.sep > 0 && !self.ends.is_empty() {
            // Fields were cut from a line: keep the layout, one byte apart.
            self.text.push(',');
        }
        self.text.push_str(field);
        self.ends.push(self.text.len());
        self.ascii &= field.is_ascii();
    }

    /// Replaces the fields with `bytes` cut at `ends`, `sep` bytes (0, or
    /// 1 for an ASCII delimiter) between one field's end and the next
    /// one's start, if `bytes` are
    /// UTF-8 and every field starts and ends on a character boundary
    /// (always so when `ascii`, which says `bytes` are ASCII); else `Err`
    /// with where the first invalid byte or split character is, and the
    /// row left empty.
    pub(crate) fn set_fields(
        &mut self,
        bytes: &[u8],
        ends: &[usize],
        sep: usize,
        ascii: bool,
    ) -> Result<(), usize> {
        self.clear();
        // The SIMD check first (most records are valid, most of them
        // ASCII); the standard one only to say where an invalid one fails.
        let text = match simdutf8::basic::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => std::str::from_utf8(bytes).map_err(|e| e.valid_up_to())?,
        };
        // A separator is one ASCII byte: a field that ends between
        // characters is followed by one that starts between them.
        if !ascii && let Some(&end) = ends.iter().find(|&&end| !text.is_char_boundary(end)) {
            return Err(end);
        }
        self.text.push_str(text);
        self.ends.extend_from_slice(ends);
        self.sep = sep;
        self.ascii = ascii;
        Ok(())
    }

    /// Keeps the first `len` fields.
    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.ends.len() {
            self.ends.truncate(len);
            self.text.truncate(self.ends.last().copied().unwrap_or(0));
        }
    }
}

/// Rows are equal when their fields, positions and previous errors are,
/// however their text is laid out.
impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        self.position == other.position
            && self.previous_errors == other.previous_errors
            && self.fields().eq(other.fields())
    }
}

impl Eq for Row {}

impl Index<usize> for Row {
    type Output = str;

    /// Field `i`, untrimmed.
    ///
    /// # Panics
    ///
    /// When `i` is not less than [`Row::len`]; [`Row::get`] does not.
    fn index(&self, i: usize) -> &str {
        self.get(i).expect("field index out of bounds")
    }
}

impl<'r> IntoIterator for &'r Row {
    type Item = &'r str;
    type IntoIter = Fields<'r>;

    fn into_iter(self) -> Fields<'r> {
        self.fields()
    }
}

/// The fields of a [`Row`], untrimmed, in order, from either end; see
/// [`Row::fields`]. Also what `for field in &row` iterates over.
///
/// ```
/// let row = usercsv::Row::new(["ada@example.com", "Ada", "Lovelace"], usercsv::Position::default());
/// let mut fields = row.fields();
/// assert_eq!(fields.len(), 3);
/// assert_eq!((fields.next(), fields.next_back()), (Some("ada@example.com"), Some("Lovelace")));
/// let mut count = 0;
/// for field in &row {
///     count += field.len();
/// }
/// assert_eq!(count, 15 + 3 + 8);
/// ```
#[derive(Clone, Debug)]
pub struct Fields<'r> {
    text: &'r str,
    /// Where the next field from the front starts in `text`.
    start: usize,
    /// See [`Row`]'s `sep`.
    sep: usize,
    /// The ends of the fields not yet returned.
    ends: std::slice::Iter<'r, usize>,
}

impl<'r> Iterator for Fields<'r> {
    type Item = &'r str;

    #[inline]
    fn next(&mut self) -> Option<&'r str> {
        let end = *self.ends.next()?;
        let field = self.text.get(self.start..end)?;
        self.start = end + self.sep;
        Some(field)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl DoubleEndedIterator for Fields<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let end = *self.ends.next_back()?;
        let start = self
            .ends
            .as_slice()
            .last()
            .map_or(self.start, |&before| before + self.sep);
        self.text.get(start..end)
    }
}

impl ExactSizeIterator for Fields<'_> {}

/// Trims ASCII and Unicode whitespace, non-breaking spaces included.
#[inline]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_by_index_and_in_order() {
        let mut row = Row::new(["", "é", "ab", ""], Position::default());
        assert_eq!(row.len(), 4);
        assert_eq!(
            (0..5).map(|i| row.get(i)).collect::<Vec<_>>(),
            [Some(""), Some("é"), Some("ab"), Some(""), None]
        );
        assert_eq!(row.fields().rev().collect::<Vec<_>>(), ["", "ab", "é", ""]);
        let mut both = row.fields();
        assert_eq!(both.next(), Some(""));
        assert_eq!(both.next_back(), Some(""));
        assert_eq!(both.len(), 2);
        assert_eq!(both.next_back(), Some("ab"));
        assert_eq!(both.next(), Some("é"));
        assert_eq!((both.next(), both.next_back()), (None, None));
        let other = Row::new(["a", "bc", "d"], Position::default());
        let mut both = other.fields();
        assert_eq!((both.next(), both.next_back()), (Some("a"), Some("d")));
        assert_eq!((both.next_back(), both.next()), (Some("bc"), None));
        row.truncate(2);
        assert_eq!(row, Row::new(["", "é"], Position::default()));
        row.truncate(5);
        assert_eq!(row.len(), 2);
    }

    #[test]
    fn set_fields_refuses_an_end_inside_a_character() {
        let mut row = Row::new(["keep"], Position::default());
        assert_eq!(row.set_fields("éa".as_bytes(), &[1, 3], 0, false), Err(1));
        assert!(row.is_empty());
        assert_eq!(row.set_fields("éa".as_bytes(), &[2, 3], 0, false), Ok(()));
        assert_eq!(row.fields().collect::<Vec<_>>(), ["é", "a"]);
        assert_eq!(row.set_fields(b"a\xff", &[2], 0, false), Err(1));
        assert_eq!(row.set_fields(b"ab", &[1, 2], 0, true), Ok(()));
        assert_eq!(row.fields().collect::<Vec<_>>(), ["a", "b"]);
        // A line's layout: one delimiter byte between fields.
        assert_eq!(
            row.set_fields("é;;b".as_bytes(), &[2, 3, 5], 1, false),
            Ok(())
        );
        assert_eq!(row.fields().collect::<Vec<_>>(), ["é", "", "b"]);
        assert_eq!(row.fields().rev().collect::<Vec<_>>(), ["b", "", "é"]);
        assert_eq!(
            (row.get(1), row.get(2), row.get(3)),
            (Some(""), Some("b"), None)
        );
        assert_eq!(row, Row::new(["é", "", "b"], Position::default()));
        row.push_field("c");
        assert_eq!(row, Row::new(["é", "", "b", "c"], Position::default()));
        row.truncate(1);
        assert_eq!(row, Row::new(["é"], Position::default()));
    }

    #[test]
    fn ascii_is_known_only_when_every_field_is_ascii() {
        let mut row = Row::new(["a", "b"], Position::default());
        assert!(row.is_ascii());
        row.push_field("é");
        assert!(!row.is_ascii());
        row.clear();
        assert!(row.is_ascii());
        assert!(!Row::new(["a", "ü"], Position::default()).is_ascii());
        assert_eq!(row.set_fields("éa".as_bytes(), &[2, 3], 0, false), Ok(()));
        assert!(!row.is_ascii());
        assert_eq!(row.set_fields(b"ab", &[1, 2], 0, true), Ok(()));
        assert!(row.is_ascii());
        // Not known is not "not ASCII": a default row says nothing.
        assert!(!Row::default().is_ascii());
    }

    proptest::proptest! {
        /// Taking fields from both ends in any order gives what a list of
        /// the fields would.
        #[test]
        fn fields_from_both_ends_match_a_list(
            fields in proptest::collection::vec("[a-zé ]{0,4}", 0..8),
            takes in proptest::collection::vec(proptest::bool::ANY, 0..10),
        ) {
            let row = Row::new(&fields, Position::default());
            let mut model: std::collections::VecDeque<&str> =
                fields.iter().map(String::as_str).collect();
            let mut iter = row.fields();
            for from_back in takes {
                proptest::prop_assert_eq!(iter.len(), model.len());
                let (got, want) = if from_back {
                    (iter.next_back(), model.pop_back())
                } else {
                    (iter.next(), model.pop_front())
                };
                proptest::prop_assert_eq!(got, want);
            }
            proptest::prop_assert_eq!(row.fields().collect::<Vec<_>>(), fields.iter().map(String::as_str).collect::<Vec<_>>());
            for (i, field) in fields.iter().enumerate() {
                proptest::prop_assert_eq!(row.get(i), Some(field.as_str()));
            }
        }
    }
}
