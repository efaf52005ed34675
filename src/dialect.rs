//! Delimiter detection from the header line.

/// The delimiters detected automatically, in order of preference on a tie.
pub const CANDIDATE_DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Counts each candidate delimiter outside quotes in the first record of
/// `prefix` and returns the most frequent (`,` when none occurs).
///
/// ```
/// assert_eq!(usercsv::sniff_delimiter(b"email;firstName;\"a,b\"\n"), b';');
/// assert_eq!(usercsv::sniff_delimiter(b"email\tfirstName\n"), b'\t');
/// assert_eq!(usercsv::sniff_delimiter(b"email\n"), b',');
/// ```
pub fn sniff_delimiter(prefix: &[u8]) -> u8 {
    let counts = count_outside_quotes(first_record(prefix));
    let mut best = (b',', 0usize);
    for (i, &d) in CANDIDATE_DELIMITERS.iter().enumerate() {
        if counts[i] > best.1 {
            best = (d, counts[i]);
        }
    }
    best.0
}

fn first_record(prefix: &[u8]) -> &[u8] {
    let mut in_quotes = false;
    let start = prefix
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(prefix.len());
    for (i, &b) in prefix[start..].iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\r' | b'\n' if !in_quotes => return &prefix[start..start + i],
            _ => {}
        }
    }
    &prefix[start..]
}

fn count_outside_quotes(line: &[u8]) -> [usize; 4] {
    let mut counts = [0; 4];
    let mut in_quotes = false;
    for &b in line {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && let Some(i) = CANDIDATE_DELIMITERS.iter().position(|&d| d == b) {
            counts[i] += 1;
        }
    }
    counts
}

/// For a header read as one column: another delimiter it contains.
pub(crate) fn probable_delimiter(single_header_field: &str, used: u8) -> Option<u8> {
    let counts = count_outside_quotes(single_header_field.as_bytes());
    CANDIDATE_DELIMITERS
        .iter()
        .zip(counts)
        .filter(|&(&d, n)| d != used && n > 0)
        .max_by_key(|&(_, n)| n)
        .map(|(&d, _)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_hide_delimiters() {
        assert_eq!(sniff_delimiter(b"\"a;b;c\",d\n"), b',');
        assert_eq!(sniff_delimiter(b"a|b|c\nx,y,z,w,v\n"), b'|');
        assert_eq!(sniff_delimiter(b"\r\n\r\na;b\n"), b';');
    }

    #[test]
    fn probable() {
        assert_eq!(probable_delimiter("email;firstName", b','), Some(b';'));
        assert_eq!(probable_delimiter("email", b','), None);
    }
}
