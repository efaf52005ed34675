//! Per-region phone tables, built at development time from the `phonenumber`
//! metadata and compiled into the binary (`phone_tables.rs` and
//! `phone_tables.bin`, written by the generator in `phone_gen.rs`; a unit
//! test proves them current).
//!
//! Nothing here touches the crate's `DATABASE` (its first use parses every
//! region's metadata, ~100 ms) or its parser (a global regex cache behind one
//! lock): a region's patterns are one DFA over digits (`regex-automata`'s
//! dense DFA at generation time, re-encoded as a compact table of only the
//! states reachable from the anchored start, 11 symbols a state, one- or
//! two-byte state ids), walked once per number for every pattern of the
//! region. Only the few regexes that rewrite a number (national prefix for
//! parsing, international prefix) are compiled at run time, per region on
//! first use.

use std::sync::{LazyLock, OnceLock};

use phonenumber::Type;
use regex::bytes::{Regex, RegexBuilder};

#[cfg(test)]
#[path = "phone_gen.rs"]
mod generator;
#[rustfmt::skip]
#[path = "phone_tables.rs"]
mod tables;

use tables::{BLOB, CODE_STRIP_FIRST, CODES, REGIONS};

/// A length bit set meaning "any length" (an empty list in the metadata).
const ANY_LENGTH: u64 = u64::MAX;

/// Whether a length bit set allows `len` digits. No national number reaches
/// 64 digits (inputs are cut at [`MAX_DIGITS`]).
fn length_ok(bits: u64, len: usize) -> bool {
    bits == ANY_LENGTH || (len < 64 && bits >> len & 1 == 1)
}

/// The symbols of a [`Dfa`]: the ten digits, then every other byte as one
/// class (callers pass digits only).
const CLASSES: usize = 11;

fn class(b: u8) -> usize {
    usize::from(b.wrapping_sub(b'0').min(10))
}

/// The dead state of a [`Dfa`]: it leads only to itself and matches nothing.
const DEAD: usize = 0;

/// Several metadata patterns of one region, all anchored at the start, in
/// one DFA over digits; its states say which patterns matched. The
/// transitions are stored class by class (`next[class * states + state]`),
/// one byte per id for at most 256 states, else two (little endian); then
/// per state the patterns matched one byte late (`matched`) and those that
/// match exactly the input read so far (`eoi`), as little-endian `u32`s. All
/// three are offsets into [`BLOB`].
#[derive(Clone, Copy)]
struct Dfa {
    states: u32,
    wide: bool,
    next: u32,
    matched: u32,
    eoi: u32,
    start: u32,
}

fn word(at: u32, state: usize) -> u32 {
    let i = at as usize + 4 * state;
    let w = &BLOB[i..i + 4];
    u32::from_le_bytes([w[0], w[1], w[2], w[3]])
}

impl Dfa {
    fn next_table(&self) -> &'static [u8] {
        let len = self.states as usize * CLASSES * if self.wide { 2 } else { 1 };
        &BLOB[self.next as usize..][..len]
    }

    fn step(next: &[u8], wide: bool, states: usize, state: usize, b: u8) -> usize {
        let i = class(b) * states + state;
        if wide {
            usize::from(u16::from_le_bytes([next[2 * i], next[2 * i + 1]]))
        } else {
            usize::from(next[i])
        }
    }

    /// The patterns that match all of `digits`.
    fn full(&self, digits: &[u8]) -> u32 {
        let states = self.states as usize;
        let next = self.next_table();
        // The dead state leads only to itself, and numbers are short: no
        // test per digit.
        let state = if self.wide {
            digits.iter().fold(self.start as usize, |state, &b| {
                Self::step(next, true, states, state, b)
            })
        } else {
            digits.iter().fold(self.start as usize, |state, &b| {
                Self::step(next, false, states, state, b)
            })
        };
        word(self.eoi, state)
    }

    /// The patterns that match a prefix of `digits` (anchored at the start
    /// only).
    #[inline]
    fn prefix(&self, digits: &[u8]) -> u32 {
        self.prefix_and_full(digits).0
    }

    /// [`Dfa::prefix`] and [`Dfa::full`] of `digits` in one pass.
    #[inline]
    fn prefix_and_full(&self, digits: &[u8]) -> (u32, u32) {
        let states = self.states as usize;
        let next = self.next_table();
        let mut state = self.start as usize;
        let mut found = 0;
        for &b in digits {
            state = Self::step(next, self.wide, states, state, b);
            found |= word(self.matched, state);
            if state == DEAD {
                // The dead state matches nothing, at the end or before.
                return (found, 0);
            }
        }
        let full = word(self.eoi, state);
        (found | full, full)
    }
}

/// Bit 0 of a region's DFA: the general descriptor.
const GENERAL: u32 = 1;

/// One region of the metadata, as the generator wrote it.
pub(crate) struct RegionTable {
    /// Position in [`REGIONS`].
    index: u16,
    id: &'static str,
    code: u16,
    /// Whether the crate can name the region (`country::Id` or `001`); it
    /// treats a single region it cannot name as no region at all.
    named: bool,
    national_prefix: Option<&'static str>,
    prefix_for_parsing: Option<&'static str>,
    transform: Option<&'static str>,
    international_prefix: Option<&'static str>,
    /// The first digits (bit `d`: digit `d`) a national number must start
    /// with for the national-prefix strip to change it (the generator
    /// reads them off the patterns' DFAs).
    strip_first: u16,
    /// The general descriptor's possible lengths and local-only lengths.
    possible: &'static [u16],
    local: &'static [u16],
    general_lengths: u64,
    /// The special types in the crate's order; `special[i]` is bit `i + 1`.
    special: &'static [Type],
    special_bits: u32,
    /// The fixed-line and mobile bits, 0 when the region has none.
    fixed_line: u32,
    mobile: u32,
    /// Fixed line and mobile share one pattern: the crate then calls every
    /// fixed-line number fixed-line-or-mobile.
    fixed_is_mobile: bool,
    /// The leading-digits bit, 0 when the region has none.
    leading: u32,
    /// The descriptor patterns whose possible lengths allow `n` digits, by
    /// `n` (the last entry for 64 digits and more).
    by_length: [u32; 65],
    dfa: Dfa,
    /// An example mobile number (national significant digits) and the
    /// crate's international format of it.
    example_mobile: Option<&'static str>,
    example_international: Option<&'static str>,
}

/// The regexes that rewrite a number, compiled per region on first use.
#[derive(Default)]
struct Rewrites {
    prefix_for_parsing: OnceLock<Option<Regex>>,
    international_prefix: OnceLock<Option<Regex>>,
}

static REWRITES: LazyLock<Vec<Rewrites>> =
    LazyLock::new(|| REGIONS.iter().map(|_| Rewrites::default()).collect());

fn compile_anchored(pattern: &str) -> Option<Regex> {
    let anchored = format!("^(?:{pattern})");
    // The metadata only uses ASCII classes, and inputs are ASCII digits.
    RegexBuilder::new(&anchored)
        .ignore_whitespace(true)
        .unicode(false)
        .build()
        .or_else(|_| RegexBuilder::new(&anchored).ignore_whitespace(true).build())
        .ok()
}

impl RegionTable {
    /// The crate's `number_type`, with fully anchored patterns (`full`) or
    /// patterns anchored at the start only, as the crate matches them.
    fn number_type(&self, national: &[u8], full: bool) -> Type {
        let allowed = self.by_length[national.len().min(64)];
        if allowed & GENERAL == 0 {
            return Type::Unknown;
        }
        let found = if full {
            self.dfa.full(national)
        } else {
            self.dfa.prefix(national)
        };
        self.type_of(national.len(), found)
    }

    /// The type a number of `len` digits has when these patterns of the
    /// region's DFA match it.
    #[inline]
    fn type_of(&self, len: usize, found: u32) -> Type {
        let found = found & self.by_length[len.min(64)];
        if found & GENERAL == 0 {
            return Type::Unknown;
        }
        let special = found & self.special_bits;
        if special != 0 {
            // The first special type in the crate's order.
            return self.special[special.trailing_zeros() as usize - 1];
        }
        let mobile = found & self.mobile != 0;
        if found & self.fixed_line != 0 {
            if self.fixed_is_mobile || mobile {
                return Type::FixedLineOrMobile;
            }
            return Type::FixedLine;
        }
        if mobile {
            return Type::Mobile;
        }
        Type::Unknown
    }

    /// The crate's `source_for` test of one region of a shared code: its
    /// leading digits if it has them, else its type (start-anchored or full).
    fn selects(&self, national: &[u8], full: bool) -> bool {
        if self.leading != 0 {
            self.dfa.prefix(national) & self.leading != 0
        } else {
            self.number_type(national, full) != Type::Unknown
        }
    }

    /// The crate's `Descriptor::is_match` of the general descriptor: its
    /// possible lengths, its pattern anchored at the start.
    fn general_match(&self, s: &[u8]) -> bool {
        length_ok(self.general_lengths, s.len()) && self.dfa.prefix(s) & GENERAL != 0
    }

    /// `validator::length(meta, .., Type::Unknown)`: `Some(too_short)` for
    /// a possible length, `None` otherwise.
    fn length_is_possible(&self, len: usize) -> bool {
        let len = len as u16;
        let Some(&min) = self.possible.first() else {
            return false;
        };
        self.local.contains(&len) || len == min || (len > min && self.possible.contains(&len))
    }

    fn too_short(&self, len: usize) -> bool {
        let len = len as u16;
        !self.possible.is_empty()
            && !self.local.contains(&len)
            && len != self.possible[0]
            && len < self.possible[0]
    }

    fn rewrites(&self) -> &'static Rewrites {
        &REWRITES[usize::from(self.index)]
    }

    fn prefix_for_parsing(&self) -> Option<&'static Regex> {
        self.rewrites()
            .prefix_for_parsing
            .get_or_init(|| self.prefix_for_parsing.and_then(compile_anchored))
            .as_ref()
    }

    fn international_prefix(&self) -> Option<&'static Regex> {
        self.rewrites()
            .international_prefix
            .get_or_init(|| self.international_prefix.and_then(compile_anchored))
            .as_ref()
    }

    fn classified(&self, national: &[u8]) -> Option<Classified> {
        self.classified_as(self.number_type(national, true))
    }

    fn classified_as(&self, kind: Type) -> Option<Classified> {
        match kind {
            Type::Unknown => None,
            kind => Some(Classified {
                region: self.id,
                kind,
            }),
        }
    }

    /// The crate's `helper::national_number` followed by the second
    /// national-prefix strip and the length check of `parser::parse_with`.
    fn strip_national_prefix<'a>(&self, national: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
        if !may_strip(self.strip_first, national) {
            return national;
        }
        let mut potential: &[u8] = national;
        match self.prefix_for_parsing() {
            None => {
                if let Some(prefix) = self.national_prefix
                    && potential.starts_with(prefix.as_bytes())
                {
                    potential = &potential[prefix.len()..];
                }
            }
            Some(parsing) => {
                if let Some(m) = parsing.find(national) {
                    let viable = self.general_match(national);
                    let last_group = match self.transform {
                        Some(_) => parsing
                            .captures(national)
                            .and_then(|c| c.get(c.len() - 1).map(|_| ())),
                        None => None,
                    };
                    match (self.transform, last_group) {
                        (Some(transform), Some(())) => {
                            let transformed = parsing.replace(national, transform.as_bytes());
                            if !viable || self.general_match(&transformed) {
                                scratch.clear();
                                scratch.extend_from_slice(&transformed);
                                potential = scratch.as_slice();
                            }
                        }
                        // The crate compares the untrimmed number here, so
                        // this branch always trims.
                        _ => potential = &national[m.end()..],
                    }
                }
            }
        }
        if let Some(prefix) = self.national_prefix
            && potential.starts_with(prefix.as_bytes())
        {
            potential = &potential[prefix.len()..];
        }
        // `validator::length(meta, .., Type::Unknown) != TooShort`.
        if self.too_short(potential.len()) {
            national
        } else {
            potential
        }
    }
}

/// Whether a national-prefix strip with these first digits (see
/// [`RegionTable::strip_first`]) can change `national`.
fn may_strip(first: u16, national: &[u8]) -> bool {
    match national.first() {
        Some(&b) if b.is_ascii_digit() => first >> (b - b'0') & 1 == 1,
        _ => true,
    }
}

/// The regions of a country calling code, in the crate's order.
fn regions(code: u16) -> Option<&'static [RegionTable]> {
    let code = usize::from(code);
    let (&from, &to) = (CODES.get(code)?, CODES.get(code + 1)?);
    Some(&REGIONS[usize::from(from)..usize::from(to)]).filter(|r| !r.is_empty())
}

fn known_code(code: u32) -> bool {
    code < 1000 && regions(code as u16).is_some()
}

/// What a number is, once its region is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Classified {
    pub region: &'static str,
    pub kind: Type,
}

/// Classifies a national significant number (ASCII digits) under a
/// country calling code, following the crate's region selection
/// (`source_for`) and type order, with fully anchored patterns.
#[cfg(test)]
pub(crate) fn classify(code: u16, national: &[u8]) -> Option<Classified> {
    classify_from(code, national, 0)
}

/// [`classify`], trying the code's regions from `first` on (see
/// [`Parsed::first`]).
pub(crate) fn classify_from(code: u16, national: &[u8], first: usize) -> Option<Classified> {
    let regions = regions(code)?;
    if regions.len() == 1 {
        return regions.first().filter(|r| r.named)?.classified(national);
    }
    for region in regions.get(first..).unwrap_or_default() {
        if region.leading != 0 {
            // Its leading digits and its types from one pass of its DFA.
            let (prefix, full) = region.dfa.prefix_and_full(national);
            if prefix & region.leading != 0 {
                return region.classified_as(region.type_of(national.len(), full));
            }
        } else if let Some(classified) = region.classified(national) {
            // The region is chosen by its type, so it is computed once.
            return Some(classified);
        }
    }
    None
}

/// The region of a national significant number that [`classify`] rejects
/// although it has a length the region's fixed-line or mobile numbers have:
/// a well-formed number in a range not in use. `None` for a wrong length or
/// an unknown code.
pub(crate) fn unassigned_region(code: u16, national: &[u8]) -> Option<&'static str> {
    let regions = regions(code)?;
    let region = regions
        .iter()
        .find(|r| r.leading != 0 && r.dfa.prefix(national) & r.leading != 0)
        .or_else(|| regions.first())?;
    let allowed = region.by_length[national.len().min(64)];
    (allowed & (region.fixed_line | region.mobile) != 0).then_some(region.id)
}

/// The crate's `validator::source_for` while parsing (patterns anchored at
/// the start only, as the crate matches them).
fn source_for_parse(code: u16, national: &[u8]) -> Option<(usize, &'static RegionTable)> {
    let regions = regions(code)?;
    if regions.len() == 1 {
        return regions.first().filter(|r| r.named).map(|r| (0, r));
    }
    regions
        .iter()
        .enumerate()
        .find(|(_, region)| region.selects(national, false))
}

/// The national number's checks at the end of `phonenumber::parse`:
/// `MIN_LENGTH_FOR_NSN`, `MAX_LENGTH_FOR_NSN` and `NationalNumber::from_str`
/// (the crate keeps the leading zeros and the value, which must be a `u64`
/// below 2^56).
fn national_ok(national: &[u8]) -> bool {
    if national.len() < 2 || national.len() > 17 {
        return false;
    }
    let zeros = national.iter().take_while(|&&b| b == b'0').count();
    if zeros == national.len() {
        return false;
    }
    let mut value = 0u64;
    for &b in &national[zeros..] {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return false;
        }
        value = value * 10 + u64::from(digit);
    }
    value < 1 << 56
}

/// `phonenumber::parse(None, number)` for a number written as `+` followed
/// by digits and spaces only, given those ASCII digits: the country calling code
/// and the national significant number as the crate stores it (its digits,
/// leading zeros included), or `None` where the crate returns an error.
/// `scratch` holds the national number when the region rewrites it. It
/// follows the crate step by step (country code, region, national prefix,
/// lengths).
pub(crate) fn parse_international<'a>(
    digits: &'a [u8],
    scratch: &'a mut Vec<u8>,
) -> Option<Parsed<'a>> {
    // `country_code`: too short, or a leading zero, is no country code.
    if digits.len() <= 2 || digits[0] == b'0' {
        return None;
    }
    let (code, national) = split_country_code(digits)?;
    finish(code, national, None, scratch)
}

/// The first one to three digits that are a known country calling code.
fn split_country_code(digits: &[u8]) -> Option<(u16, &[u8])> {
    let mut code = 0u32;
    for (i, &b) in digits.iter().take(3).enumerate() {
        code = code * 10 + u32::from(b.checked_sub(b'0').filter(|&d| d <= 9)?);
        if known_code(code) {
            return Some((code as u16, &digits[i + 1..]));
        }
    }
    None
}

/// The end of `parser::parse_with` once the country code is known: the
/// metadata (the default region's, else by `source_for`), the national
/// prefix, the lengths.
fn finish<'a>(
    code: u16,
    mut national: &'a [u8],
    default: Option<&'static RegionTable>,
    scratch: &'a mut Vec<u8>,
) -> Option<Parsed<'a>> {
    let mut first = 0;
    let meta = match default {
        Some(region) => Some(region),
        // No region of the code would strip anything: which one the crate
        // picks does not matter.
        None if !may_strip(CODE_STRIP_FIRST[usize::from(code) % 1000], national) => None,
        None => {
            let zeros = national.iter().take_while(|&&b| b == b'0').count();
            let found = source_for_parse(code, &national[zeros..]);
            if let (0, Some((at, _))) = (zeros, found) {
                first = at;
            }
            found.map(|(_, region)| region)
        }
    };
    if let Some(region) = meta {
        let before = national;
        national = region.strip_national_prefix(national, scratch);
        if national != before {
            first = 0;
        }
    }
    national_ok(national).then_some(Parsed {
        code,
        national,
        first,
    })
}

/// A number split into its calling code and national significant number,
/// as the crate's `parse` splits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parsed<'a> {
    pub code: u16,
    pub national: &'a [u8],
    /// Where [`classify_from`] may start among the code's regions: every
    /// region before this one failed the crate's region test on this very
    /// national number while parsing, so it fails classifying too (a full
    /// match is also a match at the start). 0 when unknown.
    pub first: usize,
}

/// The most digits a written number may have here; the crate rejects
/// longer ones anyway (`MAX_LENGTH_FOR_NSN`, 17, after at most a few digits
/// of prefixes).
pub(crate) const MAX_DIGITS: usize = 48;

fn is_separator(b: u8) -> bool {
    matches!(b, b'-' | b'.' | b'(' | b')')
}

/// A default region for numbers written without `+`, from
/// [`region`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RegionId(u16);

/// `phonenumber::parse(default, number)` for a number made of ASCII digits,
/// spaces, `( ) . / -` and at most one `+`, first or after a first `(`
/// (what the rule's character check lets through, the extension already
/// split off): the country calling
/// code and the national significant number as the crate stores it, or
/// `None` where the crate returns an error. It follows the crate step by
/// step:
///
/// - the crate first tries RFC 3966 (`parser::rfc3966`) on the whole value:
///   with no space in it, `+` then the country code up to the first of
///   `- . ( )` (all of it taken as the code, so `+316-1234` is code 316),
///   then digits and those four only; or, without `+`, the value made of
///   digits and those four only;
/// - else the natural form (`helper::extract`): from the first `+` or digit
///   to the last digit;
/// - `is_viable`: at least three digits, or exactly two and nothing else;
/// - the international prefix of the default region, the country code
///   (written, after `+`, or the default region's, which a national number
///   may start with), the metadata (the default region's, else the
///   number's), the national prefix and the lengths.
///
/// `buf` holds the digits, `scratch` the national number when the region
/// rewrites it.
pub(crate) fn parse_written<'a>(
    number: &str,
    default: Option<RegionId>,
    buf: &'a mut [u8; MAX_DIGITS],
    scratch: &'a mut Vec<u8>,
) -> Option<Parsed<'a>> {
    let s = number.as_bytes();
    let default = default.map(|RegionId(i)| &REGIONS[usize::from(i)]);
    // RFC 3966 first, on the whole value.
    let rfc = if s.contains(&b' ') {
        None
    } else if let Some(body) = s.strip_prefix(b"+") {
        // `prefix`: at least one byte up to the first separator, then
        // at least one byte of the number, made of digits and separators.
        body.iter()
            .position(|&b| is_separator(b))
            .filter(|&at| at > 0)
            .filter(|&at| {
                body[at..]
                    .iter()
                    .all(|&b| b.is_ascii_digit() || is_separator(b))
            })
            .map(|at| (&body[at..], Some(&body[..at])))
    } else {
        s.iter()
            .all(|&b| b.is_ascii_digit() || is_separator(b))
            .then_some((s, None))
    };
    let (written, prefix) = match rfc {
        Some(found) => found,
        None => {
            // `helper::extract`: from the first `+` or digit to the last digit.
            let from = s.iter().position(|&b| b == b'+' || b.is_ascii_digit())?;
            let to = s.iter().rposition(u8::is_ascii_digit)? + 1;
            (s.get(from..to)?, None)
        }
    };
    // `is_viable`.
    let count = written.iter().filter(|b| b.is_ascii_digit()).count();
    let viable = count >= 3 || (written.len() == 2 && count == 2);
    if !viable || count > MAX_DIGITS {
        return None;
    }
    // `normalize`: the digits only.
    let mut len = 0;
    for &b in written.iter().filter(|b| b.is_ascii_digit()) {
        buf[len] = b;
        len += 1;
    }
    let mut digits: &[u8] = &buf[..len];
    let plus = prefix.is_some() || written.first() == Some(&b'+');
    // `international_prefix`: the default region's international prefix at
    // the start (not followed by a 0) is cut; without `+` the number then
    // counts as international.
    let mut idd = false;
    if prefix.is_none()
        && let Some(pattern) = default.and_then(RegionTable::international_prefix)
        && let Some(m) = pattern.find(digits)
        && digits.get(m.end()) != Some(&b'0')
    {
        digits = &digits[m.end()..];
        idd = !plus;
    }
    // `country_code`.
    let (code, national) = if plus || idd {
        if digits.len() <= 2 {
            return None;
        }
        match prefix {
            Some(written) => {
                // The written code, parsed as a `u16` (leading zeros and all).
                let mut code = 0u32;
                let mut any = false;
                for b in written.iter().filter(|b| b.is_ascii_digit()) {
                    code = code * 10 + u32::from(b - b'0');
                    any = true;
                    if code > u32::from(u16::MAX) {
                        return None;
                    }
                }
                if !any || !known_code(code) {
                    return None;
                }
                (code as u16, digits)
            }
            None => {
                if digits[0] == b'0' {
                    return None;
                }
                split_country_code(digits)?
            }
        }
    } else {
        let region = default?;
        let (written, len) = code_digits(region.code);
        let code = &written[..len];
        if digits.starts_with(code)
            && (!region.general_match(digits) || !region.length_is_possible(digits.len()))
        {
            digits = &digits[code.len()..];
        }
        (region.code, digits)
    };
    finish(code, national, default, scratch)
}

/// The decimal digits of a calling code (1 to 3 of them).
fn code_digits(code: u16) -> ([u8; 5], usize) {
    let mut out = [0u8; 5];
    let mut len = 0;
    for divisor in [10000, 1000, 100, 10, 1] {
        if code >= divisor || divisor == 1 {
            out[len] = b'0' + (code / divisor % 10) as u8;
            len += 1;
        }
    }
    (out, len)
}

/// The region of an id such as `NL`, and its country calling code, if the
/// metadata has it.
pub(crate) fn region(id: &str) -> Option<(RegionId, u16)> {
    REGIONS
        .iter()
        .find(|r| r.id == id)
        .map(|r| (RegionId(r.index), r.code))
}

/// An example mobile number of a region, in national significant form.
pub(crate) fn example_mobile(region: &str) -> Option<(u16, String)> {
    let table = REGIONS.iter().find(|r| r.id == region)?;
    Some((table.code, table.example_mobile?.to_string()))
}

/// `(region, country code, example mobile number, its international
/// format)` of every region whose metadata has an example mobile number,
/// sorted by region id.
pub(crate) fn mobile_examples() -> Vec<(&'static str, u16, &'static str, &'static str)> {
    let mut out: Vec<_> = REGIONS
        .iter()
        .filter_map(|r| {
            let example = r.example_mobile?;
            Some((r.id, r.code, example, r.example_international?))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Digit strings to run every region's DFA on: all of up to four
    /// digits, each region's example number, and the example with each
    /// digit changed and with digits added or dropped at the end.
    fn samples(region: &RegionTable) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=4u32 {
            for n in 0..10u32.pow(len) {
                out.push(format!("{n:0width$}", width = len as usize).into_bytes());
            }
        }
        if let Some(example) = region.example_mobile {
            let example = example.as_bytes();
            out.push(example.to_vec());
            for at in 0..example.len() {
                for d in b'0'..=b'9' {
                    let mut changed = example.to_vec();
                    changed[at] = d;
                    out.push(changed);
                }
                out.push(example[..at].to_vec());
            }
            // Italian-style leading zeros, and the seven-digit local
            // numbers North American regions rewrite with their area code.
            out.push([b"0", example].concat());
            out.push([b"00", example].concat());
            out.push(example[example.len().saturating_sub(7)..].to_vec());
            for d in b'0'..=b'9' {
                out.push([example, &[d]].concat());
                for e in b'0'..=b'9' {
                    out.push([example, &[d, e]].concat());
                    out.push([&example[..example.len() - 1], &[d, e]].concat());
                }
            }
        }
        out
    }

    /// `classify` as it was written before its DFA pass did both jobs.
    fn classify_in_two_passes(code: u16, national: &[u8]) -> Option<Classified> {
        let regions = regions(code)?;
        if regions.len() == 1 {
            return regions.first().filter(|r| r.named)?.classified(national);
        }
        for region in regions {
            if region.leading != 0 {
                if region.dfa.prefix(national) & region.leading != 0 {
                    return region.classified(national);
                }
            } else if let Some(classified) = region.classified(national) {
                return Some(classified);
            }
        }
        None
    }

    /// Every code shared by several regions classifies each region's
    /// samples as the two passes did.
    #[test]
    fn classify_agrees_with_two_passes() {
        for region in REGIONS.iter() {
            if regions(region.code).is_none_or(|r| r.len() < 2) {
                continue;
            }
            for digits in samples(region) {
                assert_eq!(
                    classify(region.code, &digits),
                    classify_in_two_passes(region.code, &digits),
                    "+{} {digits:?}",
                    region.code
                );
            }
        }
    }

    /// Starting from the region parsing found gives what starting from the
    /// first region gives, for numbers parsed as the crate parses them,
    /// after `+` and as written with separators.
    #[test]
    fn classifying_from_the_parsed_region_agrees() {
        let mut started_later = 0;
        for region in REGIONS.iter() {
            if regions(region.code).is_none_or(|r| r.len() < 2) {
                continue;
            }
            let (code, len) = code_digits(region.code);
            for national in samples(region) {
                let digits = [&code[..len], &national].concat();
                let mut scratch = Vec::new();
                if let Some(p) = parse_international(&digits, &mut scratch) {
                    started_later += usize::from(p.first > 0);
                    assert_eq!(
                        classify_from(p.code, p.national, p.first),
                        classify(p.code, p.national),
                        "+{digits:?}"
                    );
                }
                let written = format!("+{} {}", region.code, String::from_utf8_lossy(&national));
                let (mut buf, mut scratch) = ([0; MAX_DIGITS], Vec::new());
                if let Some(p) = parse_written(&written, None, &mut buf, &mut scratch) {
                    assert_eq!(
                        classify_from(p.code, p.national, p.first),
                        classify(p.code, p.national),
                        "{written}"
                    );
                }
            }
        }
        // The shortcut is taken (for the North American regions after the
        // first, among others), so the comparison above means something.
        assert!(started_later > 1000, "{started_later}");
    }

    /// One pass gives what the two passes give, and the type read off
    /// its full matches is the one `number_type` gives.
    #[test]
    fn prefix_and_full_is_prefix_then_full() {
        for region in REGIONS.iter() {
            for digits in samples(region) {
                let (prefix, full) = region.dfa.prefix_and_full(&digits);
                assert_eq!(
                    prefix,
                    region.dfa.prefix(&digits),
                    "{} {digits:?}",
                    region.id
                );
                assert_eq!(full, region.dfa.full(&digits), "{} {digits:?}", region.id);
                assert_eq!(
                    region.type_of(digits.len(), full),
                    region.number_type(&digits, true),
                    "{} {digits:?}",
                    region.id
                );
            }
        }
    }
}
