//! Input encodings: detection, and transcoding of UTF-16 to UTF-8.
//!
//! UTF-8 and Windows-1252 are both ASCII-compatible, so the CSV structure
//! (delimiters, quotes, line ends) can be parsed on the raw bytes and only
//! field contents need decoding. UTF-16 is transcoded as a stream.

use std::io::{self, Chain, Cursor, Read};

use encoding_rs::{DecoderResult, UTF_16BE, UTF_16LE};
use serde::{Deserialize, Serialize};

/// A text encoding of the input.
///
/// One spelling everywhere: [`Encoding::name`], `Display`, the report's
/// serde value and `FromStr` (hence the CLI's `--encoding`) all use
/// `utf-8`, `utf-16le`, `utf-16be` and `windows-1252`. Parsing ignores case,
/// `-` and `_`, and also accepts `utf-16` (little-endian), `cp1252`,
/// `latin1` and `iso-8859-1` (read as Windows-1252, as browsers do).
///
/// ```
/// use usercsv::Encoding;
/// assert_eq!("windows-1252".parse::<Encoding>().unwrap(), Encoding::Windows1252);
/// assert_eq!(Encoding::Utf16Le.to_string(), "utf-16le");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// UTF-16 little-endian (Excel's "Unicode text").
    #[serde(rename = "utf-16le", alias = "utf16-le")]
    Utf16Le,
    /// UTF-16 big-endian.
    #[serde(rename = "utf-16be", alias = "utf16-be")]
    Utf16Be,
    /// Windows-1252 (Excel's plain "CSV" on Western Windows).
    #[serde(rename = "windows-1252", alias = "windows1252")]
    Windows1252,
}

impl Encoding {
    /// The encoding's name: `utf-8`, `utf-16le`, `utf-16be` or `windows-1252`.
    ///
    /// ```
    /// use usercsv::Encoding;
    /// assert_eq!(Encoding::Windows1252.name(), "windows-1252");
    /// assert_eq!(Encoding::Utf8.name().parse::<Encoding>()?, Encoding::Utf8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
            Encoding::Windows1252 => "windows-1252",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Encoding {
    type Err = String;

    fn from_str(s: &str) -> Result<Encoding, String> {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match key.as_str() {
            "utf8" => Ok(Encoding::Utf8),
            "utf16le" | "utf16" => Ok(Encoding::Utf16Le),
            "utf16be" => Ok(Encoding::Utf16Be),
            "windows1252" | "cp1252" | "latin1" | "iso88591" => Ok(Encoding::Windows1252),
            _ => Err(format!(
                "unknown encoding \"{s}\": expected utf-8, utf-16le, utf-16be or windows-1252"
            )),
        }
    }
}

/// How field bytes are turned into text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldDecoding {
    /// UTF-8 required (BOM seen, forced, or transcoded from UTF-16).
    Utf8,
    /// Auto-detected: UTF-8 so far; a first invalid record switches to
    /// Windows-1252 while everything before was ASCII. `seen_non_ascii`
    /// also starts true when the sniffed prefix holds UTF-8 text, so that
    /// any invalid record is a mix.
    Utf8OrWindows1252 { seen_non_ascii: bool },
    /// Windows-1252, forced.
    Windows1252,
    /// Windows-1252, guessed: a record that holds UTF-8 text is a mix.
    GuessedWindows1252,
}

/// Where the first valid multi-byte UTF-8 character in `bytes` starts:
/// evidence of UTF-8 text. (Windows-1252 text forms one only by chance,
/// e.g. `Ã©`, which is what UTF-8 `é` looks like read as Windows-1252.)
pub(crate) fn first_utf8_char(bytes: &[u8]) -> Option<usize> {
    let mut offset = 0;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid().as_bytes();
        if let Some(i) = valid.iter().position(|b| !b.is_ascii()) {
            return Some(offset + i);
        }
        offset += valid.len() + chunk.invalid().len();
    }
    None
}

/// Whether `bytes` hold a valid multi-byte UTF-8 character.
pub(crate) fn has_utf8_text(bytes: &[u8]) -> bool {
    first_utf8_char(bytes).is_some()
}

/// UTF-16 without a byte-order mark, recognised by its NUL bytes: every
/// ASCII or Latin-1 character (the header, e-mail addresses, delimiters,
/// line ends) has a zero high byte, so at least a quarter of the bytes on
/// one side of each pair are NUL (the odd ones in little-endian, the even
/// ones in big-endian) while the other side almost never is.
fn utf16_by_nul_pattern(prefix: &[u8]) -> Option<Encoding> {
    let sample = &prefix[..prefix.len().min(4096) & !1];
    let units = sample.len() / 2;
    if units < 2 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    if odd * 4 >= units && even * 4 < odd {
        Some(Encoding::Utf16Le)
    } else if even * 4 >= units && odd * 4 < even {
        Some(Encoding::Utf16Be)
    } else {
        None
    }
}

type Prefixed<R> = Chain<Cursor<Vec<u8>>, R>;

/// The input as bytes the CSV parser can read.
pub(crate) enum Source<R: Read> {
    Bytes(Prefixed<R>),
    Utf16(Box<Utf16Reader<Prefixed<R>>>),
}

/// Marker carried by the `io::Error` a [`Utf16Reader`] returns for input
/// that is not valid UTF-16 (a lone surrogate, an odd number of bytes).
#[derive(Debug)]
pub(crate) struct Malformed;

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("malformed UTF-16")
    }
}

impl std::error::Error for Malformed {}

/// Whether an error is a [`Utf16Reader`]'s malformed-input error.
pub(crate) fn is_malformed(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|e| e.is::<Malformed>())
}

/// Transcodes UTF-16 (without byte-order mark) to UTF-8 as a stream.
/// Malformed input is an error, not a replacement character: once the text
/// before it has been read, every read fails with [`Malformed`].
pub(crate) struct Utf16Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    output: Box<[u8]>,
    out_start: usize,
    out_end: usize,
    done: bool,
    malformed: bool,
}

impl<R: Read> Utf16Reader<R> {
    fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Utf16Reader<R> {
        Utf16Reader {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 8 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            // Each UTF-16 code unit (2 bytes) becomes at most 3 UTF-8 bytes.
            output: vec![0; 16 * 1024].into_boxed_slice(),
            out_start: 0,
            out_end: 0,
            done: false,
            malformed: false,
        }
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.out_end {
                let n = buf.len().min(self.out_end - self.out_start);
                buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            if self.malformed {
                return Err(io::Error::new(io::ErrorKind::InvalidData, Malformed));
            }
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                let n = self.inner.read(&mut self.input)?;
                self.start = 0;
                self.end = n;
                self.eof = n == 0;
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.start..self.end],
                &mut self.output,
                self.eof,
            );
            self.start += read;
            self.out_start = 0;
            self.out_end = written;
            match result {
                DecoderResult::InputEmpty => self.done = self.eof,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(..) => self.malformed = true,
            }
        }
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Bytes(r) => r.read(buf),
            Source::Utf16(r) => r.read(buf),
        }
    }
}

/// What the start of the input says about its encoding.
pub(crate) struct Detected<R: Read> {
    pub source: Source<R>,
    pub encoding: Encoding,
    pub decoding: FieldDecoding,
    /// True when the encoding was guessed rather than marked or forced.
    pub guessed: bool,
}

const SNIFF_BYTES: usize = 64 * 1024;

/// Reads up to 64 KiB to decide the encoding, then hands back a reader that
/// starts from the first byte after any byte-order mark.
pub(crate) fn detect<R: Read>(mut input: R, forced: Option<Encoding>) -> io::Result<Detected<R>> {
    let mut prefix = Vec::with_capacity(4096);
    (&mut input)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut prefix)?;
    let bom = if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Some((Encoding::Utf8, 3))
    } else if prefix.starts_with(&[0xFF, 0xFE]) {
        Some((Encoding::Utf16Le, 2))
    } else if prefix.starts_with(&[0xFE, 0xFF]) {
        Some((Encoding::Utf16Be, 2))
    } else {
        None
    };
    // UTF-8 text next to bytes that are not UTF-8: a mix, read as UTF-8 so
    // that the first record that is not fails.
    let mut mixed = false;
    let (encoding, guessed) = match (forced, bom) {
        (Some(forced), _) => (forced, false),
        (None, Some((marked, _))) => (marked, false),
        (None, None) => {
            let valid = match std::str::from_utf8(&prefix) {
                Ok(_) => true,
                // A character cut off by the 64 KiB window is still valid.
                Err(e) => e.error_len().is_none(),
            };
            if let Some(utf16) = utf16_by_nul_pattern(&prefix) {
                (utf16, true)
            } else if valid {
                (Encoding::Utf8, false)
            } else if has_utf8_text(&prefix) {
                mixed = true;
                (Encoding::Utf8, false)
            } else {
                (Encoding::Windows1252, true)
            }
        }
    };
    // Strip the mark only when it belongs to the encoding in use.
    if let Some((marked, len)) = bom
        && marked == encoding
    {
        prefix.drain(..len);
    }
    let chained = Cursor::new(prefix).chain(input);
    let (source, decoding) = match encoding {
        Encoding::Utf8 if forced.is_none() && bom.is_none() => (
            Source::Bytes(chained),
            FieldDecoding::Utf8OrWindows1252 {
                seen_non_ascii: mixed,
            },
        ),
        Encoding::Utf8 => (Source::Bytes(chained), FieldDecoding::Utf8),
        Encoding::Windows1252 if guessed => {
            (Source::Bytes(chained), FieldDecoding::GuessedWindows1252)
        }
        Encoding::Windows1252 => (Source::Bytes(chained), FieldDecoding::Windows1252),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let enc = if encoding == Encoding::Utf16Le {
                UTF_16LE
            } else {
                UTF_16BE
            };
            (
                Source::Utf16(Box::new(Utf16Reader::new(chained, enc))),
                FieldDecoding::Utf8,
            )
        }
    };
    Ok(Detected {
        source,
        encoding,
        decoding,
        guessed,
    })
}

/// Decodes Windows-1252 bytes.
pub(crate) fn decode_windows1252(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(bytes: &[u8], forced: Option<Encoding>) -> (Encoding, bool, Vec<u8>) {
        let mut d = detect(bytes, forced).unwrap();
        let mut out = Vec::new();
        d.source.read_to_end(&mut out).unwrap();
        (d.encoding, d.guessed, out)
    }

    #[test]
    fn boms_and_guesses() {
        assert_eq!(
            decoded(b"\xEF\xBB\xBFa,b", None),
            (Encoding::Utf8, false, b"a,b".to_vec())
        );
        assert_eq!(
            decoded(b"a,\xC3\xBC", None),
            (Encoding::Utf8, false, "a,ü".as_bytes().to_vec())
        );
        assert_eq!(
            decoded(b"M\xFCller", None),
            (Encoding::Windows1252, true, b"M\xFCller".to_vec())
        );
        assert_eq!(
            decoded(b"\xFF\xFEa\0,\0\xFC\0", None),
            (Encoding::Utf16Le, false, "a,ü".as_bytes().to_vec())
        );
        assert_eq!(
            decoded(b"\xFE\xFF\0a\0,\0\xFC", None),
            (Encoding::Utf16Be, false, "a,ü".as_bytes().to_vec())
        );
    }

    #[test]
    fn utf16_without_bom_by_its_nul_bytes() {
        assert_eq!(
            decoded(b"a\0,\0\xFC\0", None),
            (Encoding::Utf16Le, true, "a,ü".as_bytes().to_vec())
        );
        assert_eq!(
            decoded(b"\0a\0,\0\xFC", None),
            (Encoding::Utf16Be, true, "a,ü".as_bytes().to_vec())
        );
        // Cyrillic names: the header, addresses and delimiters are ASCII.
        let text = "email,firstName,lastName\nanna@example.ru,Анна,Каренина\nlev@example.ru,Лев Николаевич,Толстой\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(utf16_by_nul_pattern(&le), Some(Encoding::Utf16Le));
        assert_eq!(utf16_by_nul_pattern(&be), Some(Encoding::Utf16Be));
        // NULs without the pattern: not UTF-16 (the scanner rejects them).
        assert_eq!(utf16_by_nul_pattern(b"a,b\0\0\0\0c,d"), None);
        assert_eq!(utf16_by_nul_pattern(b"\0\0\0\0"), None);
        assert_eq!(utf16_by_nul_pattern(b"a\0"), None);
    }

    #[test]
    fn utf8_text_next_to_invalid_bytes_is_a_mix() {
        assert!(has_utf8_text("José".as_bytes()));
        assert!(!has_utf8_text(b"M\xFCller"));
        assert_eq!(first_utf8_char(b"M\xFCller Jos\xC3\xA9"), Some(10));
        let d = detect(&b"Jos\xC3\xA9\nM\xFCller\n"[..], None).unwrap();
        assert_eq!((d.encoding, d.guessed), (Encoding::Utf8, false));
        assert_eq!(
            d.decoding,
            FieldDecoding::Utf8OrWindows1252 {
                seen_non_ascii: true
            }
        );
        let d = detect(&b"M\xFCller\n"[..], None).unwrap();
        assert_eq!(d.decoding, FieldDecoding::GuessedWindows1252);
    }

    #[test]
    fn names_round_trip() {
        for e in [
            Encoding::Utf8,
            Encoding::Utf16Le,
            Encoding::Utf16Be,
            Encoding::Windows1252,
        ] {
            assert_eq!(e.name().parse::<Encoding>(), Ok(e));
            assert_eq!(serde_json::to_value(e).unwrap(), e.name());
        }
        assert_eq!("UTF_16".parse::<Encoding>(), Ok(Encoding::Utf16Le));
        assert_eq!("ISO-8859-1".parse::<Encoding>(), Ok(Encoding::Windows1252));
    }

    #[test]
    fn malformed_utf16_is_an_error_after_the_valid_text() {
        // "a," then a lone high surrogate, then "b".
        let input = b"\xFF\xFEa\0,\0\x00\xD8b\0";
        let mut d = detect(&input[..], None).unwrap();
        let mut out = Vec::new();
        let err = d.source.read_to_end(&mut out).unwrap_err();
        assert!(is_malformed(&err), "{err}");
        assert_eq!(out, b"a,");
        // The error sticks.
        assert!(is_malformed(&d.source.read(&mut [0; 4]).unwrap_err()));
        // An odd trailing byte is malformed too.
        let mut d = detect(&b"\xFE\xFF\0a\0"[..], None).unwrap();
        let mut out = Vec::new();
        assert!(is_malformed(&d.source.read_to_end(&mut out).unwrap_err()));
        assert_eq!(out, b"a");
    }

    #[test]
    fn long_utf16_streams_through_small_buffers() {
        let text: String = "Jürgen,𝄞,€\n".repeat(5000);
        let mut input = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            input.extend_from_slice(&unit.to_le_bytes());
        }
        let mut d = detect(&input[..], None).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = d.source.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    #[test]
    fn forced_encoding_wins() {
        assert_eq!(
            decoded(b"a,\xC3\xBC", Some(Encoding::Windows1252)),
            (Encoding::Windows1252, false, b"a,\xC3\xBC".to_vec())
        );
        assert_eq!(decode_windows1252(b"Fran\xE7oise"), "Françoise");
    }
}
