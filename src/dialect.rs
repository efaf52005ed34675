//! Delimiter detection from the header line.

/// The delimiters detected automatically, in order of preference on a tie.
pub(crate) const CANDIDATE_DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Excel's `sep=X` first line: the delimiter it names and the line's
/// length with its line ending, when `prefix` starts with one.
pub(crate) fn excel_sep_line(prefix: &[u8]) -> Option<(u8, usize)> {
    prefix
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case(b"sep="))?;
    let delimiter = *prefix.get(4)?;
    if matches!(delimiter, b'\r' | b'\n' | b'"') || !delimiter.is_ascii() {
        return None;
    }
    match prefix.get(5..) {
        Some([b'\r', b'\n', ..]) => Some((delimiter, 7)),
        Some([b'\n' | b'\r', ..]) => Some((delimiter, 6)),
        Some([]) | None => Some((delimiter, 5)),
        Some(_) => None,
    }
}

/// Reads the first record of `prefix` with each candidate delimiter the way
/// the CSV parser does (a quote opens a quoted field only at the start of a
/// field; elsewhere it is text) and returns the candidate that splits it
/// into the most fields, preferring one under which every quote is well
/// placed (`,"a;b",` is comma-separated, not `;`); `,` when none splits it.
///
/// ```
/// assert_eq!(usercsv::sniff_delimiter(b"email;firstName;\"a,b\"\n"), b';');
/// assert_eq!(usercsv::sniff_delimiter(b"email\tfirstName\n"), b'\t');
/// assert_eq!(usercsv::sniff_delimiter(b"Height 6\";email;firstName\n"), b';');
/// assert_eq!(usercsv::sniff_delimiter(b"email\n"), b',');
/// ```
pub fn sniff_delimiter(prefix: &[u8]) -> u8 {
    let mut best = (b',', (false, 1usize));
    for &d in &CANDIDATE_DELIMITERS {
        let (fields, clean) = first_record(prefix, d);
        let score = (clean && fields > 1, fields);
        if fields > 1 && score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuotedQuote,
}

/// The number of fields of the first non-empty record of `input` read with
/// `delimiter`, following csv_core's state machine (RFC 4180 quoting with
/// doubled quotes, text after a closing quote kept, blank lines skipped),
/// and whether every quote in it opens, closes or escapes a quoted field.
fn first_record(input: &[u8], delimiter: u8) -> (usize, bool) {
    let start = input
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(input.len());
    let mut fields = 1;
    let mut clean = true;
    let mut state = State::FieldStart;
    for &b in &input[start..] {
        state = match (state, b) {
            (State::Quoted, b'"') => State::QuotedQuote,
            (State::Quoted, _) => State::Quoted,
            (State::FieldStart | State::QuotedQuote, b'"') => State::Quoted,
            (_, b'\r' | b'\n') => return (fields, clean),
            (_, b) if b == delimiter => {
                fields += 1;
                State::FieldStart
            }
            (State::FieldStart, _) => State::Unquoted,
            // A quote inside an unquoted field, or text after a closing quote.
            (State::Unquoted, b'"') | (State::QuotedQuote, _) => {
                clean = false;
                State::Unquoted
            }
            (State::Unquoted, _) => State::Unquoted,
        };
    }
    (fields, clean)
}

/// For a header read as one column: another delimiter it contains.
pub(crate) fn probable_delimiter(single_header_field: &str, used: u8) -> Option<u8> {
    CANDIDATE_DELIMITERS
        .iter()
        .filter(|&&d| d != used)
        .map(|&d| (d, first_record(single_header_field.as_bytes(), d).0))
        .filter(|&(_, n)| n > 1)
        .max_by_key(|&(_, n)| n)
        .map(|(d, _)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_sep_lines() {
        assert_eq!(excel_sep_line(b"sep=;\r\nemail;name\r\n"), Some((b';', 7)));
        assert_eq!(excel_sep_line(b"SEP=\t\nemail"), Some((b'\t', 6)));
        assert_eq!(excel_sep_line(b"sep=|"), Some((b'|', 5)));
        assert_eq!(excel_sep_line(b"sep=;x\n"), None);
        assert_eq!(excel_sep_line(b"separator,name\n"), None);
        assert_eq!(excel_sep_line(b"email;name\n"), None);
    }

    #[test]
    fn quotes_hide_delimiters() {
        assert_eq!(sniff_delimiter(b"\"a;b;c\",d\n"), b',');
        assert_eq!(sniff_delimiter(b"a|b|c\nx,y,z,w,v\n"), b'|');
        assert_eq!(sniff_delimiter(b"\r\n\r\na;b\n"), b';');
        // Text after a closing quote, doubled quotes, a quoted line break.
        assert_eq!(sniff_delimiter(b"\"a\"x;b;c,d\n"), b';');
        assert_eq!(sniff_delimiter(b"\"a\"\";\"\"b\",c\n"), b',');
        assert_eq!(sniff_delimiter(b"\"a\nb;c;d\",e\n"), b',');
    }

    #[test]
    fn stray_quotes_are_text() {
        assert_eq!(
            sniff_delimiter(b"Height 6\";email;firstName;lastName\n"),
            b';'
        );
        assert_eq!(sniff_delimiter(b"6'1\";a|b|c|d,e\n"), b'|');
        assert_eq!(first_record(b"a;\"b;c\";d", b';'), (3, true));
        assert_eq!(first_record(b"a;b\"c;d", b';'), (3, false));
        // Well-placed quotes win over more fields.
        assert_eq!(sniff_delimiter(b"x,\"a;b;c;d\"\n"), b',');
        // No candidate reads it cleanly: the most fields.
        assert_eq!(sniff_delimiter(b"a\"b;c\"d;e\n"), b';');
    }

    #[test]
    fn probable() {
        assert_eq!(probable_delimiter("email;firstName", b','), Some(b';'));
        assert_eq!(probable_delimiter("email", b','), None);
    }
}
