//! A quote-aware pass over the bytes the CSV parser takes.
//!
//! The `csv` crate has no size limit (an unclosed quote swallows the rest of
//! the file into one field), accepts an unclosed quote at end of input, skips
//! blank lines without saying so, and counts only `\n` as a line end. The
//! reader hands this scanner every byte it takes, in order ([`Scanner::feed`],
//! or [`Scanner::line_record`] for a line it cut itself); the scanner follows
//! the parser's state machine (RFC 4180 quoting, `\r`, `\n` and `\r\n` as
//! terminators) and so knows, for every record, the physical line and
//! spreadsheet row where it starts, and stops a record that grows past its
//! byte limit. [`NulStop`], below the reader's buffer, stops the input at
//! its first NUL byte.

use std::collections::VecDeque;
use std::io::{self, Read};

use crate::error::{ErrorKind, Limit, Position};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    QuotedQuote,
}

/// Marker carried by the `io::Error` of the input's first NUL byte.
#[derive(Debug)]
pub(crate) struct NulByte;

impl std::fmt::Display for NulByte {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a NUL byte in the input")
    }
}

impl std::error::Error for NulByte {}

/// Whether `err` is [`NulStop`]'s.
pub(crate) fn is_nul_byte(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|e| e.is::<NulByte>())
}

/// Fails the read of the input's first NUL byte with [`NulByte`], and
/// every read after it: no text CSV has one, and the parser would take it
/// as text. The bytes of that read before the NUL are kept
/// ([`NulStop::take_before_nul`]): the reader's scanner takes them, so that
/// the error names the record the NUL is in, as soon as it is read.
pub(crate) struct NulStop<R> {
    inner: R,
    stopped: bool,
    before_nul: Vec<u8>,
}

impl<R> NulStop<R> {
    pub fn new(inner: R) -> NulStop<R> {
        NulStop {
            inner,
            stopped: false,
            before_nul: Vec::new(),
        }
    }

    /// The bytes of the stopped read before its NUL byte (once).
    pub fn take_before_nul(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.before_nul)
    }
}

impl<R: Read> Read for NulStop<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stopped {
            return Err(io::Error::other(NulByte));
        }
        let n = self.inner.read(buf)?;
        if let Some(k) = memchr::memchr(0, &buf[..n]) {
            self.stopped = true;
            self.before_nul = buf[..k].to_vec();
            return Err(io::Error::other(NulByte));
        }
        Ok(n)
    }
}

pub(crate) struct Scanner {
    delimiter: u8,
    /// Whether quote-free stretches may be skimmed line end to line end
    /// (`scan_lines`); not when the delimiter is itself a line end, which
    /// the state machine takes as a delimiter at the start of a field.
    skim: bool,
    state: State,
    pending_cr: bool,
    /// The last byte of the previous buffer.
    prev: u8,
    line: u64,
    rows: u64,
    offset: u64,
    record_start: Position,
    max_record_bytes: u64,
    starts: VecDeque<Position>,
    /// The first record that ended within what was fed after growing past
    /// the limit.
    oversize: Option<Position>,
}

impl Scanner {
    pub fn new(delimiter: u8, max_record_bytes: u64) -> Scanner {
        Scanner {
            delimiter,
            skim: delimiter != b'\r' && delimiter != b'\n',
            state: State::RecordStart,
            pending_cr: false,
            prev: b'\n',
            line: 1,
            rows: 0,
            offset: 0,
            record_start: Position::default(),
            max_record_bytes,
            starts: VecDeque::new(),
            oversize: None,
        }
    }

    /// Counts one line of `bytes` bytes as already read (a line the reader
    /// dropped before the table, such as Excel's `sep=;`), so that lines and
    /// bytes stay those of the file.
    pub fn start_after_line(&mut self, bytes: u64) {
        self.line += 1;
        self.offset += bytes;
        self.record_start = Position {
            byte: self.offset,
            line: self.line,
            row: self.record_start.row,
        };
    }

    /// Where the next record the parser returns starts.
    pub fn next_start(&mut self) -> Option<Position> {
        self.starts.pop_front()
    }

    /// Where the record being read starts (the next one between records).
    pub fn current_start(&self) -> Position {
        if self.state == State::RecordStart {
            Position::new(self.offset, self.line, self.rows + 1)
        } else {
            self.record_start
        }
    }

    /// Bytes read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Rows (records and blank lines) started so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The error of a NUL byte right after what was fed and `before`, the
    /// bytes before it that were not ([`NulStop::take_before_nul`]).
    pub fn nul_byte(&mut self, before: &[u8]) -> ErrorKind {
        self.scan(before);
        self.offset += before.len() as u64;
        ErrorKind::NulByte {
            position: self.current_start(),
            line: self.line,
        }
    }

    /// Takes the next bytes of the input, in order.
    pub fn feed(&mut self, buf: &[u8]) -> Result<(), ErrorKind> {
        self.scan(buf);
        self.offset += buf.len() as u64;
        let oversize = self.oversize.take().or_else(|| {
            (self.state != State::RecordStart
                && self.offset - self.record_start.byte > self.max_record_bytes)
                .then_some(self.record_start)
        });
        match oversize {
            Some(position) => Err(self.too_long(position)),
            None => Ok(()),
        }
    }

    /// Takes a record of `len` bytes without quotes or line breaks, then
    /// `terminator` (`\r` or `\n`), between records: what [`Scanner::feed`]
    /// would make of those bytes, without looking at them. Returns where the
    /// record starts.
    pub fn line_record(&mut self, len: usize, terminator: u8) -> Result<Position, ErrorKind> {
        debug_assert_eq!(self.state, State::RecordStart);
        self.rows += 1;
        let start = Position::new(self.offset, self.line, self.rows);
        self.record_start = start;
        if len as u64 > self.max_record_bytes {
            return Err(self.too_long(start));
        }
        self.line += 1;
        self.pending_cr = terminator == b'\r';
        self.offset += len as u64 + 1;
        self.prev = terminator;
        Ok(start)
    }

    /// The error of the record at `position`, longer than the limit.
    fn too_long(&self, position: Position) -> ErrorKind {
        ErrorKind::LimitExceeded {
            limit: Limit::RecordBytes,
            max: self.max_record_bytes,
            position,
        }
    }

    /// The end of the input: a quoted field still open is an error.
    pub fn finish(&self) -> Result<(), ErrorKind> {
        if self.state == State::Quoted {
            return Err(ErrorKind::UnclosedQuote {
                position: self.record_start,
            });
        }
        Ok(())
    }

    #[inline]
    fn newline(&mut self, b: u8) {
        if b == b'\r' {
            self.line += 1;
            self.pending_cr = true;
        } else if self.pending_cr {
            self.pending_cr = false;
        } else {
            self.line += 1;
        }
    }

    /// A record ends at absolute offset `end` (its terminator): remember it
    /// if it is longer than the limit, even though it fit in one buffer.
    #[inline]
    fn end_record(&mut self, end: u64) {
        if self.oversize.is_none() && end - self.record_start.byte > self.max_record_bytes {
            self.oversize = Some(self.record_start);
        }
    }

    fn scan(&mut self, buf: &[u8]) {
        // Skimming pays only for stretches that hold whole lines. Each one
        // that holds none (the next quote is on the same line, as when most
        // lines have quotes) uses up one of these, each that holds some
        // earns one back; with none left the state machine alone reads the
        // rest of the buffer.
        let mut misses_left = 4usize;
        let mut i = 0;
        while i < buf.len() {
            if !self.skim || self.state == State::Quoted || misses_left == 0 {
                self.scan_bytes(buf, i, buf.len());
                break;
            }
            // Up to the next quote only line ends matter; from the quote the
            // state machine reads on (through the quoted field it may open),
            // then skimming resumes.
            let quote = memchr::memchr(b'"', &buf[i..]).map_or(buf.len(), |at| i + at);
            let line_start = self.scan_lines(buf, i, quote);
            if line_start == i {
                misses_left -= 1;
            } else {
                misses_left += 1;
            }
            if quote == buf.len() {
                // The state machine takes the unfinished last line: whether
                // the buffer ends at the start of a field matters to the next.
                self.scan_bytes(buf, line_start, buf.len());
                break;
            }
            self.skim_to_quote(line_start, quote);
            i = self.scan_bytes(buf, quote, quote + 1);
        }
        if let Some(&last) = buf.last() {
            self.prev = last;
        }
    }

    /// Takes `buf[from..end]`, which has no quote, outside quotes: ends every
    /// line in it as the state machine would, one search per line end
    /// instead of a visit to each field. Returns where the last line after
    /// them starts (`from` if there is no line end), for `scan_bytes`.
    fn scan_lines(&mut self, buf: &[u8], from: usize, end: usize) -> usize {
        let stretch = &buf[..end];
        let mut line_start = from;
        if self.state != State::RecordStart {
            // The record begun before `from` ends at the first line end.
            let Some(at) = memchr::memchr2(b'\r', b'\n', &stretch[from..]) else {
                return from;
            };
            let j = from + at;
            // As each byte of the record would.
            if j > from {
                self.pending_cr = false;
            }
            self.end_record(self.offset + j as u64);
            self.newline(stretch[j]);
            self.state = State::RecordStart;
            line_start = j + 1;
        }
        // In locals, which the searches (calls) leave in registers.
        let (mut line, mut rows, mut pending_cr) = (self.line, self.rows, self.pending_cr);
        loop {
            // The `\n` of `\r\n` is no line or row of its own: take it
            // here rather than search for it.
            if pending_cr && stretch.get(line_start) == Some(&b'\n') {
                pending_cr = false;
                line_start += 1;
            }
            let Some(at) = memchr::memchr2(b'\r', b'\n', &stretch[line_start..]) else {
                break;
            };
            let j = line_start + at;
            // A record or a blank line.
            rows += 1;
            if j > line_start {
                let start = Position::new(self.offset + line_start as u64, line, rows);
                self.starts.push_back(start);
                if self.oversize.is_none() && (j - line_start) as u64 > self.max_record_bytes {
                    self.oversize = Some(start);
                }
                self.record_start = start;
            }
            line += 1;
            pending_cr = stretch[j] == b'\r';
            line_start = j + 1;
        }
        (self.line, self.rows, self.pending_cr) = (line, rows, pending_cr);
        line_start
    }

    /// Takes `buf[from..quote]`, which has no line end or quote, up to the
    /// quote at `quote`: begins a record there if none is open and leaves
    /// the state `Unquoted`. The state machine would be at `FieldStart` if
    /// that text were all delimiters, but then the quote follows a
    /// delimiter and opens a field from either state.
    fn skim_to_quote(&mut self, from: usize, quote: usize) {
        if quote == from {
            return;
        }
        if self.state == State::RecordStart {
            self.rows += 1;
            self.record_start = Position::new(self.offset + from as u64, self.line, self.rows);
            self.starts.push_back(self.record_start);
        }
        self.pending_cr = false;
        self.state = State::Unquoted;
    }

    /// The state machine over `buf[from..]`, byte by byte (one search per
    /// field in unquoted and quoted text). Stops at the end of `buf` or, from
    /// `until` on, where `scan_lines` may take over (between records or in an
    /// unquoted field); returns where it stopped.
    fn scan_bytes(&mut self, buf: &[u8], from: usize, until: usize) -> usize {
        let delimiter = self.delimiter;
        let mut i = from;
        while i < buf.len() {
            if i >= until && matches!(self.state, State::RecordStart | State::Unquoted) {
                break;
            }
            let b = buf[i];
            match self.state {
                State::RecordStart => {
                    if b == b'\r' || b == b'\n' {
                        if !(b == b'\n' && self.pending_cr) {
                            self.rows += 1;
                        }
                        self.newline(b);
                        i += 1;
                        continue;
                    }
                    self.pending_cr = false;
                    self.rows += 1;
                    self.record_start = Position::new(self.offset + i as u64, self.line, self.rows);
                    self.starts.push_back(self.record_start);
                    self.state = State::FieldStart;
                    // Re-examine the byte as the first of a field.
                }
                State::FieldStart | State::QuotedQuote => {
                    // `""` inside quotes is an escaped quote; at field start it opens one.
                    self.state = if b == b'"' {
                        State::Quoted
                    } else if b == delimiter {
                        State::FieldStart
                    } else if b == b'\r' || b == b'\n' {
                        self.end_record(self.offset + i as u64);
                        self.newline(b);
                        State::RecordStart
                    } else {
                        State::Unquoted
                    };
                    if b != b'\r' && b != b'\n' {
                        self.pending_cr = false;
                    }
                    i += 1;
                }
                // Only a quote at the start of a field opens a quoted field
                // (inside an unquoted field it is text, as in csv_core), so
                // delimiters need no stop: one search per line, not per field.
                State::Unquoted => match memchr::memchr3(b'"', b'\r', b'\n', &buf[i..]) {
                    None => {
                        self.pending_cr = false;
                        i = buf.len();
                    }
                    Some(at) => {
                        let j = i + at;
                        let hit = buf[j];
                        if at > 0 {
                            self.pending_cr = false;
                        }
                        if hit == b'"' {
                            self.pending_cr = false;
                            let before = if j > 0 { buf[j - 1] } else { self.prev };
                            if before == delimiter {
                                self.state = State::Quoted;
                            }
                        } else {
                            self.end_record(self.offset + j as u64);
                            self.newline(hit);
                            self.state = State::RecordStart;
                        }
                        i = j + 1;
                    }
                },
                State::Quoted => match memchr::memchr3(b'"', b'\r', b'\n', &buf[i..]) {
                    None => {
                        self.pending_cr = false;
                        i = buf.len();
                    }
                    Some(at) => {
                        let hit = buf[i + at];
                        if at > 0 {
                            self.pending_cr = false;
                        }
                        if hit == b'"' {
                            self.pending_cr = false;
                            self.state = State::QuotedQuote;
                        } else {
                            self.newline(hit);
                        }
                        i += at + 1;
                    }
                },
            }
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scanner fed everything read from `inner`, as the reader feeds it
    /// (a NUL byte stops it there), failing the read that stops it.
    struct Fed<R> {
        inner: NulStop<R>,
        scanner: Scanner,
        failure: Option<ErrorKind>,
    }

    impl<R: Read> Fed<R> {
        fn new(inner: R, delimiter: u8, max_record_bytes: u64) -> Fed<R> {
            Fed {
                inner: NulStop::new(inner),
                scanner: Scanner::new(delimiter, max_record_bytes),
                failure: None,
            }
        }

        fn take_failure(&mut self) -> Option<ErrorKind> {
            self.failure.take()
        }
    }

    impl<R> std::ops::Deref for Fed<R> {
        type Target = Scanner;
        fn deref(&self) -> &Scanner {
            &self.scanner
        }
    }

    impl<R> std::ops::DerefMut for Fed<R> {
        fn deref_mut(&mut self) -> &mut Scanner {
            &mut self.scanner
        }
    }

    impl<R: Read> Read for Fed<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.failure.is_some() {
                return Err(io::Error::other("stopped"));
            }
            let result = match self.inner.read(buf) {
                Ok(0) => self.scanner.finish().map(|()| 0),
                Ok(n) => self.scanner.feed(&buf[..n]).map(|()| n),
                Err(err) if is_nul_byte(&err) => {
                    let before = self.inner.take_before_nul();
                    Err(self.scanner.nul_byte(&before))
                }
                Err(err) => return Err(err),
            };
            result.map_err(|kind| {
                self.failure = Some(kind);
                io::Error::other("stopped")
            })
        }
    }

    fn starts(input: &[u8]) -> Vec<(u64, u64)> {
        let mut s = Fed::new(input, b',', 1 << 20);
        let mut sink = Vec::new();
        s.read_to_end(&mut sink).unwrap();
        s.starts.iter().map(|p| (p.line, p.row)).collect()
    }

    #[test]
    fn lines_and_rows() {
        assert_eq!(starts(b"a,b\n1,2\n"), vec![(1, 1), (2, 2)]);
        assert_eq!(
            starts(b"a,b\r\n1,2\r\n\r\n3,4"),
            vec![(1, 1), (2, 2), (4, 4)]
        );
        assert_eq!(starts(b"a,b\r1,2\r\r3,4\r"), vec![(1, 1), (2, 2), (4, 4)]);
        // A quoted field spanning lines: one row, two lines.
        assert_eq!(
            starts(b"a,b\n1,\"x\ny\"\n3,4\n"),
            vec![(1, 1), (2, 2), (4, 3)]
        );
        assert_eq!(
            starts(b"a,b\n1,\"x\r\ny\"\r\n3,4\r\n"),
            vec![(1, 1), (2, 2), (4, 3)]
        );
        // Escaped quotes and text after a closing quote.
        assert_eq!(
            starts(b"a\n\"x\"\"\ny\"\n\"q\"z\n"),
            vec![(1, 1), (2, 2), (4, 3)]
        );
    }

    /// Hands out one byte per read, so every state meets a buffer boundary.
    struct OneByte<'a>(&'a [u8]);

    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&b, rest)), Some(slot)) => {
                    *slot = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn starts_one_byte_reads(input: &[u8]) -> Vec<(u64, u64)> {
        let mut s = Fed::new(OneByte(input), b',', 1 << 20);
        let mut sink = Vec::new();
        s.read_to_end(&mut sink).unwrap();
        s.starts.iter().map(|p| (p.line, p.row)).collect()
    }

    #[test]
    fn quotes_open_fields_only_at_field_start() {
        // A quote inside an unquoted field is text: the newline ends the record.
        let text_quote = b"a,b\nx\"y,z\n1,2\n";
        assert_eq!(starts(text_quote), vec![(1, 1), (2, 2), (3, 3)]);
        // After a delimiter it opens a quoted field spanning a line.
        let opening = b"a,b\nx,\"y\nz\"\n1,2\n";
        assert_eq!(starts(opening), vec![(1, 1), (2, 2), (4, 3)]);
        // Empty fields before it, and text after a closing quote.
        let empty_fields = b"a,b,c\nx,,\"y\nz\"q,\"w\nv\"\n1,2,3\n";
        assert_eq!(starts(empty_fields), vec![(1, 1), (2, 2), (5, 3)]);
        for input in [&text_quote[..], &opening[..], &empty_fields[..]] {
            assert_eq!(starts_one_byte_reads(input), starts(input));
        }
    }

    #[test]
    fn unclosed_quote_is_an_error() {
        let mut s = Fed::new(&b"a,b\n1,\"open\n2,3\n"[..], b',', 1 << 20);
        let mut sink = Vec::new();
        assert!(s.read_to_end(&mut sink).is_err());
        match s.take_failure() {
            Some(ErrorKind::UnclosedQuote { position }) => {
                assert_eq!((position.line, position.row), (2, 2))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_nul_byte_stops_the_parser_naming_its_record() {
        for (input, expected) in [
            (&b"a,b\n1,\"x\ny\"\0\n"[..], (4, 2, 2, 3)),
            (b"a,b\n1,2\n\0", (8, 3, 3, 3)),
            (b"a,b\r\n1,\"x\r\r\n\0\"", (5, 2, 2, 4)),
            (b"\0", (0, 1, 1, 1)),
        ] {
            let mut s = Fed::new(OneByte(input), b',', 1 << 20);
            let mut sink = Vec::new();
            assert!(s.read_to_end(&mut sink).is_err());
            match s.take_failure() {
                Some(ErrorKind::NulByte { position, line }) => {
                    assert_eq!((position.byte, position.line, position.row, line), expected)
                }
                other => panic!("{other:?}"),
            }
        }
    }

    /// Hands out chunks of the given sizes in turn.
    struct Chunks<'a> {
        input: &'a [u8],
        sizes: &'a [usize],
        next: usize,
    }

    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.next % self.sizes.len()];
            self.next += 1;
            let n = size.min(buf.len()).min(self.input.len());
            buf[..n].copy_from_slice(&self.input[..n]);
            self.input = &self.input[n..];
            Ok(n)
        }
    }

    /// Everything a caller or the next read can see of a scanner.
    fn observed<R: Read>(s: &Fed<R>) -> String {
        format!(
            "starts {:?} rows {} offset {} current {:?} line {} pending_cr {} state {:?} \
             prev {} record_start {:?} oversize {:?} failure {:?}",
            s.starts,
            s.rows(),
            s.offset(),
            s.current_start(),
            s.line,
            s.pending_cr,
            s.state,
            s.prev,
            s.record_start,
            s.oversize,
            s.failure,
        )
    }

    /// Random bytes of `alphabet`, where a byte repeated is more frequent.
    fn csv_bytes(alphabet: &'static [u8]) -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::sample::select(alphabet), 0..300)
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        /// Skimming quote-free stretches (`scan_lines`) leaves the scanner
        /// exactly as the state machine alone does, after every read.
        #[test]
        fn skimming_changes_nothing(
            // Half without quotes, so that whole reads are skimmed; a
            // quote on a few lines, then on most.
            input in proptest::prop_oneof![
                2 => csv_bytes(b"ab,;\r\n"),
                1 => csv_bytes(b"ab,;\r\nab,;\r\nab,;\r\nab,;\r\n\""),
                1 => csv_bytes(b"ab,;\r\n\""),
            ],
            sizes in proptest::collection::vec(
                proptest::prop_oneof![1..=8usize, 1..=300usize],
                1..6,
            ),
            max_record_bytes in proptest::prop_oneof![1..=12u64, proptest::strategy::Just(1 << 20)],
            delimiter in proptest::sample::select(&b",;"[..]),
            start_after_line in proptest::option::of(1..=7u64),
        ) {
            let chunks = || Chunks { input: &input, sizes: &sizes, next: 0 };
            let mut skimming = Fed::new(chunks(), delimiter, max_record_bytes);
            let mut reference = Fed::new(chunks(), delimiter, max_record_bytes);
            reference.skim = false;
            if let Some(bytes) = start_after_line {
                skimming.start_after_line(bytes);
                reference.start_after_line(bytes);
            }
            let mut buf = [0u8; 300];
            let mut reference_buf = [0u8; 300];
            loop {
                let read = skimming.read(&mut buf).map_err(|e| e.to_string());
                let reference_read = reference.read(&mut reference_buf).map_err(|e| e.to_string());
                proptest::prop_assert_eq!(&read, &reference_read);
                proptest::prop_assert_eq!(observed(&skimming), observed(&reference));
                if !matches!(read, Ok(n) if n > 0) {
                    break;
                }
            }
        }
    }

    #[test]
    fn record_limit_stops_early() {
        let big = vec![b'x'; 100_000];
        let mut s = Fed::new(&big[..], b',', 1000);
        let mut buf = [0u8; 4096];
        assert!(s.read(&mut buf).is_err());
        assert!(matches!(
            s.take_failure(),
            Some(ErrorKind::LimitExceeded {
                limit: Limit::RecordBytes,
                max: 1000,
                ..
            })
        ));
    }

    #[test]
    fn record_limit_holds_for_records_inside_one_buffer() {
        // The long record ends well within the first read: it must still fail.
        let input = b"a,b\n1,2\nxxxxxxxxxxxxxxxxxxxxxxxxx,1\n3,4\n";
        let mut s = Fed::new(&input[..], b',', 20);
        let mut sink = Vec::new();
        assert!(s.read_to_end(&mut sink).is_err());
        match s.take_failure() {
            Some(ErrorKind::LimitExceeded {
                limit: Limit::RecordBytes,
                max: 20,
                position,
            }) => assert_eq!((position.byte, position.line, position.row), (8, 3, 3)),
            other => panic!("{other:?}"),
        }
        // Exactly at the limit (terminator excluded) passes.
        let mut s = Fed::new(&b"0123456789\r\n0123456789"[..], b',', 10);
        let mut sink = Vec::new();
        assert!(s.read_to_end(&mut sink).is_ok());
    }
}
