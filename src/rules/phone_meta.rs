//! Per-region phone matchers compiled once from the `phonenumber` metadata.
//!
//! The crate keeps its compiled patterns in a 100-entry cache behind one
//! global lock and matches them anchored at the start only. Here every
//! region's patterns are compiled on first use, all at once, into one DFA
//! (`regex-automata`'s dense DFA, re-encoded as a compact table over digits;
//! a regex each should a region outgrow the size limit) that lives for the
//! whole process, so files with numbers from many countries never recompile
//! anything and threads never contend, and a number is checked against
//! every pattern of its region in one walk over its digits.

use std::sync::{LazyLock, OnceLock};

use ahash::AHashMap;
use phonenumber::Type;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex::bytes::{Regex, RegexBuilder};
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};

/// The possible lengths of a descriptor as a bit set (bit `n`: `n` digits),
/// `None` for an empty list, which allows any length. No input reaches 64
/// digits (`plus_digits` keeps at most 32), so longer lengths need no bit.
#[derive(Clone, Copy)]
struct Lengths(Option<u64>);

impl Lengths {
    fn new(lengths: &[u16]) -> Lengths {
        if lengths.is_empty() {
            return Lengths(None);
        }
        let bits = lengths
            .iter()
            .filter_map(|&n| 1u64.checked_shl(u32::from(n)))
            .fold(0, |bits, bit| bits | bit);
        Lengths(Some(bits))
    }

    fn ok(self, len: usize) -> bool {
        match self.0 {
            None => true,
            Some(bits) => len < 64 && bits >> len & 1 == 1,
        }
    }
}

fn compile_anchored(pattern: &str, both_ends: bool) -> Option<Regex> {
    let anchored = if both_ends {
        format!("^(?:{pattern})$")
    } else {
        format!("^(?:{pattern})")
    };
    // The metadata only uses ASCII classes, and inputs are ASCII digits.
    RegexBuilder::new(&anchored)
        .ignore_whitespace(true)
        .unicode(false)
        .build()
        .or_else(|_| RegexBuilder::new(&anchored).ignore_whitespace(true).build())
        .ok()
}

/// The symbols of a [`PatternDfa`]: the ten digits, then every other byte
/// as one class (callers pass digits only; the class keeps the dense DFA's
/// answer for anything else).
const CLASSES: usize = 11;

fn class(b: u8) -> usize {
    usize::from(b.wrapping_sub(b'0').min(10))
}

/// The dead state of a [`PatternDfa`]: it leads only to itself and matches
/// nothing.
const DEAD: usize = 0;

/// The patterns a state of the dense DFA says matched.
fn dense_matched(dfa: &dense::DFA<Vec<u32>>, state: StateID) -> u32 {
    if !dfa.is_match_state(state) {
        return 0;
    }
    (0..dfa.match_len(state)).fold(0, |bits, i| {
        bits | 1 << dfa.match_pattern(state, i).as_usize()
    })
}

/// A state id of the compact table: `u8` or `u16`.
trait CompactId: Copy + Into<usize> {}
impl CompactId for u8 {}
impl CompactId for u16 {}

/// The transitions of a [`PatternDfa`], [`CLASSES`] per state, in the
/// narrowest id type that numbers all its states. They are stored class by
/// class (`next[class * states + state]`): the column of a byte is known
/// before the walk reaches it, so each step is one load indexed by the
/// state, as short a chain as the dense DFA's premultiplied ids give.
enum Transitions {
    Small(Box<[u8]>),
    Large(Box<[u16]>),
}

/// Several metadata patterns, all anchored at the start, in one DFA over
/// digits (built once per region); its match states say which patterns
/// matched.
///
/// `regex-automata` builds a dense DFA (the source of truth), which is then
/// re-encoded: only the states reachable from the anchored start, 11
/// symbols a state instead of 16 and one- or two-byte state ids instead of
/// four, so that a state's transitions take 11 or 22 bytes instead of a
/// 64-byte cache line, and the tables of files with numbers from many
/// countries stay in the cache.
struct PatternDfa {
    next: Transitions,
    /// Per state: the patterns it says matched (match states come one byte
    /// late, as in the dense DFA).
    matched: Box<[u32]>,
    /// Per state: the patterns its end-of-input transition says matched,
    /// i.e. those that match exactly the input read so far.
    eoi: Box<[u32]>,
    /// The anchored start state ([`DEAD`] if no pattern can match).
    start: usize,
}

impl PatternDfa {
    /// Bounds the dense DFA of one region (a region needs a few hundred
    /// states).
    const SIZE_LIMIT: usize = 4 << 20;

    fn build(sources: &[&str]) -> Option<PatternDfa> {
        let (dfa, start) = Self::dense(sources)?;
        Self::compact(&dfa, start)
    }

    fn dense(sources: &[&str]) -> Option<(dense::DFA<Vec<u32>>, StateID)> {
        if sources.len() > 32 {
            return None;
        }
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Anchored)
                    .dfa_size_limit(Some(Self::SIZE_LIMIT))
                    .determinize_size_limit(Some(Self::SIZE_LIMIT)),
            )
            .syntax(
                syntax::Config::new()
                    .unicode(false)
                    .utf8(false)
                    .ignore_whitespace(true),
            )
            .thompson(thompson::Config::new().utf8(false))
            .build_many(sources)
            .ok()?;
        let start = dfa
            .start_state_forward(&Input::new(&b""[..]).anchored(Anchored::Yes))
            .ok()?;
        Some((dfa, start))
    }

    /// The states reachable from `start`, numbered breadth first from 1
    /// ([`DEAD`] is 0), with their transitions on the eleven classes.
    /// `None` where a class would not be one: a pattern that tells two
    /// non-digit bytes apart (the metadata has none), or a quit state.
    fn compact(dfa: &dense::DFA<Vec<u32>>, start: StateID) -> Option<PatternDfa> {
        // Non-digit bytes, at least one of each of the dense DFA's byte
        // classes (the bytes of a class lead to the same state from every
        // state); the first stands for all in the compact table.
        let mut others: Vec<u8> = (0..=u8::MAX).filter(|b| !b.is_ascii_digit()).collect();
        others.dedup_by_key(|b| dfa.byte_classes().get(*b));
        let other = others[0];
        let mut ids = AHashMap::new();
        let mut states = Vec::new();
        let mut id = |state: StateID, states: &mut Vec<StateID>| -> Option<u16> {
            if dfa.is_dead_state(state) {
                return Some(DEAD as u16);
            }
            if let Some(&id) = ids.get(&state) {
                return Some(id);
            }
            states.push(state);
            let id = u16::try_from(states.len()).ok()?;
            ids.insert(state, id);
            Some(id)
        };
        let start = usize::from(id(start, &mut states)?);
        // State by state while numbering, class by class once all are known.
        let mut rows = vec![DEAD as u16; CLASSES];
        let mut matched = vec![0];
        let mut eoi = vec![0];
        let mut i = 0;
        while let Some(&state) = states.get(i) {
            i += 1;
            if dfa.is_quit_state(state) {
                return None;
            }
            let to = dfa.next_state(state, other);
            if others.iter().any(|&b| dfa.next_state(state, b) != to) {
                return None;
            }
            for b in (b'0'..=b'9').chain([other]) {
                rows.push(id(dfa.next_state(state, b), &mut states)?);
            }
            matched.push(dense_matched(dfa, state));
            eoi.push(dense_matched(dfa, dfa.next_eoi_state(state)));
        }
        let columns = (0..CLASSES).flat_map(|c| rows.iter().skip(c).step_by(CLASSES).copied());
        let next = if matched.len() <= 1 << u8::BITS {
            Transitions::Small(columns.map(|id| id as u8).collect())
        } else {
            Transitions::Large(columns.collect())
        };
        Some(PatternDfa {
            next,
            matched: matched.into_boxed_slice(),
            eoi: eoi.into_boxed_slice(),
            start,
        })
    }

    /// The patterns that match all of `digits`.
    fn full(&self, digits: &[u8]) -> u32 {
        match &self.next {
            Transitions::Small(next) => self.full_in(next, digits),
            Transitions::Large(next) => self.full_in(next, digits),
        }
    }

    fn full_in<Id: CompactId>(&self, next: &[Id], digits: &[u8]) -> u32 {
        let states = self.matched.len();
        // The dead state leads only to itself, and numbers are short: no
        // test per digit.
        let state = digits.iter().fold(self.start, |state, &b| {
            next[class(b) * states + state].into()
        });
        self.eoi[state]
    }

    /// The patterns that match a prefix of `digits` (anchored at the start
    /// only).
    fn prefix(&self, digits: &[u8]) -> u32 {
        match &self.next {
            Transitions::Small(next) => self.prefix_in(next, digits),
            Transitions::Large(next) => self.prefix_in(next, digits),
        }
    }

    fn prefix_in<Id: CompactId>(&self, next: &[Id], digits: &[u8]) -> u32 {
        let states = self.matched.len();
        let mut state = self.start;
        let mut found = 0;
        for &b in digits {
            state = next[class(b) * states + state].into();
            found |= self.matched[state];
            if state == DEAD {
                return found;
            }
        }
        found | self.eoi[state]
    }

    /// Heap bytes of the table.
    #[cfg(test)]
    fn memory_usage(&self) -> usize {
        let next = match &self.next {
            Transitions::Small(next) => next.len(),
            Transitions::Large(next) => next.len() * 2,
        };
        next + (self.matched.len() + self.eoi.len()) * 4
    }

    #[cfg(test)]
    fn states(&self) -> usize {
        self.matched.len()
    }
}

/// Anchored matching of a list of metadata patterns: one [`PatternDfa`] where
/// the patterns fit it, else one regex each.
struct Matcher {
    both_ends: bool,
    engine: Engine,
}

enum Engine {
    Dfa(PatternDfa),
    /// A pattern the regex crate rejects (`None`) never matches.
    Regexes(Vec<Option<Regex>>),
}

impl Matcher {
    fn new(sources: &[&str], both_ends: bool) -> Matcher {
        let engine = match PatternDfa::build(sources) {
            Some(dfa) => Engine::Dfa(dfa),
            None => Engine::Regexes(
                sources
                    .iter()
                    .map(|source| compile_anchored(source, both_ends))
                    .collect(),
            ),
        };
        Matcher { both_ends, engine }
    }

    /// One pattern; `None` where the regex crate rejects it.
    fn single(source: &str, both_ends: bool) -> Option<Matcher> {
        let matcher = Matcher::new(&[source], both_ends);
        match &matcher.engine {
            Engine::Regexes(regexes) if regexes.iter().any(Option::is_none) => None,
            _ => Some(matcher),
        }
    }

    /// The patterns that match `digits` (bit `i`: pattern `i`).
    fn matches(&self, digits: &[u8]) -> u32 {
        match &self.engine {
            Engine::Dfa(dfa) if self.both_ends => dfa.full(digits),
            Engine::Dfa(dfa) => dfa.prefix(digits),
            Engine::Regexes(regexes) => regexes
                .iter()
                .enumerate()
                .filter(|(_, r)| r.as_ref().is_some_and(|r| r.is_match(digits)))
                .fold(0, |found, (i, _)| found | 1 << i),
        }
    }

    fn is_match(&self, digits: &[u8]) -> bool {
        self.matches(digits) != 0
    }
}

/// The patterns of one region as bits of one matcher, in the order the
/// crate tests them: bit 0 the general pattern, then the special types,
/// fixed line and mobile (absent ones skipped).
struct RegionPatterns {
    /// The special types; `special[i]` is bit `i + 1`.
    special: Vec<Type>,
    special_bits: u32,
    /// The fixed-line and mobile bits, 0 when the region has none.
    fixed_line: u32,
    mobile: u32,
    /// Fixed line and mobile share one pattern: the crate then calls every
    /// fixed-line number fixed-line-or-mobile.
    fixed_is_mobile: bool,
    /// The patterns whose possible lengths allow `n` digits, by `n`
    /// (the last entry for 64 digits and more).
    by_length: [u32; 65],
    matcher: Matcher,
}

const GENERAL: u32 = 1;

/// What the crate's parser needs of a region, with its semantics: patterns
/// anchored at the start only.
struct ParsePatterns {
    general_lengths: Lengths,
    general: Matcher,
    prefix_for_parsing: Option<Regex>,
    transform: Option<&'static str>,
    national_prefix: Option<&'static str>,
    possible: &'static [u16],
    local: &'static [u16],
}

struct Region {
    meta: &'static Metadata,
    /// Whether the crate can name the region (`country::Id` or `001`); it
    /// treats a single region it cannot name as no region at all.
    named: bool,
    leading_digits: OnceLock<Option<Matcher>>,
    /// Fully anchored: the verdict.
    patterns: OnceLock<RegionPatterns>,
    /// Anchored at the start only: the crate's region selection while parsing.
    start_patterns: OnceLock<RegionPatterns>,
    parse: OnceLock<ParsePatterns>,
}

/// The special types' descriptors of a region, in the order the crate's
/// `number_type` tests them (before fixed line and mobile).
fn special_descriptors(meta: &'static Metadata) -> [(Type, Option<&'static Descriptor>); 8] {
    let d = meta.descriptors();
    [
        (Type::PremiumRate, d.premium_rate()),
        (Type::TollFree, d.toll_free()),
        (Type::SharedCost, d.shared_cost()),
        (Type::Voip, d.voip()),
        (Type::PersonalNumber, d.personal_number()),
        (Type::Pager, d.pager()),
        (Type::Uan, d.uan()),
        (Type::Voicemail, d.voicemail()),
    ]
}

impl RegionPatterns {
    fn compile(meta: &'static Metadata, both_ends: bool) -> RegionPatterns {
        let d = meta.descriptors();
        let mut sources = Vec::new();
        let mut by_length = [0u32; 65];
        let mut bit = |descriptor: &'static Descriptor| {
            let bit = 1 << sources.len();
            sources.push(descriptor.national_number().as_str());
            let lengths = Lengths::new(descriptor.possible_length());
            for (len, allowed) in by_length.iter_mut().enumerate() {
                if lengths.ok(len) {
                    *allowed |= bit;
                }
            }
            bit
        };
        bit(d.general());
        let mut special = Vec::new();
        let mut special_bits = 0;
        for (kind, descriptor) in special_descriptors(meta) {
            if let Some(descriptor) = descriptor {
                special.push(kind);
                special_bits |= bit(descriptor);
            }
        }
        let fixed_line = d.fixed_line().map_or(0, &mut bit);
        let mobile = d.mobile().map_or(0, &mut bit);
        let source = |desc: Option<&'static Descriptor>| desc.map(|d| d.national_number().as_str());
        RegionPatterns {
            special,
            special_bits,
            fixed_line,
            mobile,
            fixed_is_mobile: d.fixed_line().is_some()
                && source(d.fixed_line()) == source(d.mobile()),
            by_length,
            matcher: Matcher::new(&sources, both_ends),
        }
    }

    /// The crate's `number_type`, with these patterns.
    fn number_type(&self, national: &[u8]) -> Type {
        let allowed = self.by_length[national.len().min(64)];
        if allowed & GENERAL == 0 {
            return Type::Unknown;
        }
        let found = self.matcher.matches(national) & allowed;
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
}

impl Region {
    fn new(meta: &'static Metadata) -> Region {
        Region {
            meta,
            named: meta.id() == "001" || meta.id().parse::<phonenumber::country::Id>().is_ok(),
            leading_digits: OnceLock::new(),
            patterns: OnceLock::new(),
            start_patterns: OnceLock::new(),
            parse: OnceLock::new(),
        }
    }

    fn patterns(&self) -> &RegionPatterns {
        self.patterns
            .get_or_init(|| RegionPatterns::compile(self.meta, true))
    }

    fn start_patterns(&self) -> &RegionPatterns {
        self.start_patterns
            .get_or_init(|| RegionPatterns::compile(self.meta, false))
    }

    fn parse_patterns(&self) -> &ParsePatterns {
        self.parse.get_or_init(|| {
            let general = self.meta.descriptors().general();
            ParsePatterns {
                general_lengths: Lengths::new(general.possible_length()),
                general: Matcher::new(&[general.national_number().as_str()], false),
                prefix_for_parsing: self
                    .meta
                    .national_prefix_for_parsing()
                    .and_then(|p| compile_anchored(p.as_str(), false)),
                transform: self.meta.national_prefix_transform_rule(),
                national_prefix: self.meta.national_prefix(),
                possible: general.possible_length(),
                local: general.possible_local_length(),
            }
        })
    }

    fn leading_digits(&self) -> Option<&Matcher> {
        self.leading_digits
            .get_or_init(|| {
                self.meta
                    .leading_digits()
                    .and_then(|p| Matcher::single(p.as_str(), false))
            })
            .as_ref()
    }

    /// The crate's `number_type`, with fully anchored patterns.
    fn number_type(&self, national: &[u8]) -> Type {
        self.patterns().number_type(national)
    }

    fn classified(&self, national: &[u8]) -> Option<Classified> {
        match self.number_type(national) {
            Type::Unknown => None,
            kind => Some(Classified {
                region: self.meta.id(),
                kind,
            }),
        }
    }

    /// The crate's `helper::national_number` followed by the second
    /// national-prefix strip and the length check of `parser::parse_with`.
    fn strip_national_prefix<'a>(&self, national: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
        let p = self.parse_patterns();
        let general_match = |s: &[u8]| p.general_lengths.ok(s.len()) && p.general.is_match(s);
        let mut potential: &[u8] = national;
        match &p.prefix_for_parsing {
            None => {
                if let Some(prefix) = p.national_prefix
                    && potential.starts_with(prefix.as_bytes())
                {
                    potential = &potential[prefix.len()..];
                }
            }
            Some(parsing) => {
                if let Some(m) = parsing.find(national) {
                    let viable = general_match(national);
                    let last_group = match p.transform {
                        Some(_) => parsing
                            .captures(national)
                            .and_then(|c| c.get(c.len() - 1).map(|_| ())),
                        None => None,
                    };
                    match (p.transform, last_group) {
                        (Some(transform), Some(())) => {
                            let transformed = parsing.replace(national, transform.as_bytes());
                            if !viable || general_match(&transformed) {
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
        if let Some(prefix) = p.national_prefix
            && potential.starts_with(prefix.as_bytes())
        {
            potential = &potential[prefix.len()..];
        }
        // `validator::length(meta, .., Type::Unknown) != TooShort`.
        let len = potential.len() as u16;
        let too_short = !p.possible.is_empty()
            && !p.local.contains(&len)
            && len != p.possible[0]
            && len < p.possible[0];
        if too_short { national } else { potential }
    }
}

/// The regions of each country calling code (indexed by code), in the
/// crate's order.
static REGIONS: LazyLock<Vec<Vec<Region>>> = LazyLock::new(|| {
    let mut by_code: Vec<Vec<Region>> = (0..1000).map(|_| Vec::new()).collect();
    let mut codes: Vec<u16> = DATABASE.iter().map(Metadata::country_code).collect();
    codes.sort_unstable();
    codes.dedup();
    for code in codes {
        let Some(ids) = DATABASE.region(&code) else {
            continue;
        };
        let regions = ids
            .iter()
            .filter_map(|id| {
                let meta = if *id == "001" {
                    DATABASE.by_code(&code)?.into_iter().next()?
                } else {
                    DATABASE.by_id(*id)?
                };
                Some(Region::new(meta))
            })
            .collect();
        if let Some(slot) = by_code.get_mut(usize::from(code)) {
            *slot = regions;
        }
    }
    by_code
});

fn regions(code: u16) -> Option<&'static [Region]> {
    REGIONS
        .get(usize::from(code))
        .map(Vec::as_slice)
        .filter(|r| !r.is_empty())
}

/// What a number is, once its region is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Classified {
    pub region: &'static str,
    pub kind: Type,
}

/// Classifies a national significant number (ASCII digits) under a
/// country calling code, following the crate's region selection
/// (`source_for`) and type order.
pub(crate) fn classify(code: u16, national: &[u8]) -> Option<Classified> {
    let regions = regions(code)?;
    if regions.len() == 1 {
        return regions.first().filter(|r| r.named)?.classified(national);
    }
    for region in regions {
        match region.leading_digits() {
            Some(leading) => {
                if leading.is_match(national) {
                    return region.classified(national);
                }
            }
            // The region is chosen by its type, so it is computed once.
            None => {
                if let Some(classified) = region.classified(national) {
                    return Some(classified);
                }
            }
        }
    }
    None
}

/// The region of a national significant number that [`classify`] rejects
/// although it has a length the region's numbers have: a well-formed number
/// in a range not in use. `None` for a wrong length or an unknown code.
pub(crate) fn unassigned_region(code: u16, national: &[u8]) -> Option<&'static str> {
    let regions = regions(code)?;
    let region = regions
        .iter()
        .find(|r| r.leading_digits().is_some_and(|l| l.is_match(national)))
        .or_else(|| regions.first())?;
    // The lengths of its fixed-line and mobile numbers (the general
    // lengths also cover short codes); an empty list means the general one.
    let d = region.meta.descriptors();
    let general = d.general().possible_length();
    let fits = [d.fixed_line(), d.mobile()]
        .into_iter()
        .flatten()
        .map(|desc| match desc.possible_length() {
            [] => general,
            lengths => lengths,
        })
        .any(|lengths| Lengths::new(lengths).ok(national.len()));
    fits.then(|| region.meta.id())
}

/// Country calling codes the metadata knows, by value.
static CODES: LazyLock<Vec<bool>> = LazyLock::new(|| {
    let mut codes = vec![false; 1000];
    for meta in DATABASE.iter() {
        if let Some(known) = codes.get_mut(usize::from(meta.country_code())) {
            *known = true;
        }
    }
    codes
});

/// The crate's `validator::source_for` while parsing (patterns anchored at
/// the start only, as the crate matches them).
fn source_for_parse(code: u16, national: &[u8]) -> Option<&'static Region> {
    let regions = regions(code)?;
    if regions.len() == 1 {
        return regions.first().filter(|r| r.named);
    }
    regions.iter().find(|region| match region.leading_digits() {
        Some(leading) => leading.is_match(national),
        None => region.start_patterns().number_type(national) != Type::Unknown,
    })
}

/// `phonenumber::parse(None, number)` for a number written as `+` followed
/// by digits and spaces only, given those ASCII digits: the country calling code
/// and the national significant number as the crate stores it (its digits,
/// leading zeros included), or `None` where the crate returns an error.
/// `scratch` holds the national number when the region rewrites it. It
/// follows the crate step by step (country code, region, national prefix,
/// lengths) with the region patterns compiled once, so it never takes the
/// crate's global regex cache.
pub(crate) fn parse_international<'a>(
    digits: &'a [u8],
    scratch: &'a mut Vec<u8>,
) -> Option<(u16, &'a [u8])> {
    // `country_code`: too short, or a leading zero, is no country code.
    if digits.len() <= 2 || digits[0] == b'0' {
        return None;
    }
    let mut code = 0usize;
    let mut code_len = 0;
    for (i, &b) in digits.iter().take(3).enumerate() {
        code = code * 10 + usize::from(b.checked_sub(b'0').filter(|&d| d <= 9)?);
        if CODES[code] {
            code_len = i + 1;
            break;
        }
    }
    if code_len == 0 {
        return None;
    }
    let code = code as u16;
    let mut national = &digits[code_len..];
    let zeros = national.iter().take_while(|&&b| b == b'0').count();
    if let Some(region) = source_for_parse(code, &national[zeros..]) {
        national = region.strip_national_prefix(national, scratch);
    }
    // `MIN_LENGTH_FOR_NSN`, `MAX_LENGTH_FOR_NSN`, `NationalNumber::from_str`
    // (the crate keeps the leading zeros and the value, which must be a
    // `u64` below 2^56: these digits again).
    if national.len() < 2 || national.len() > 17 {
        return None;
    }
    let zeros = national.iter().take_while(|&&b| b == b'0').count();
    if zeros == national.len() {
        return None;
    }
    let mut value = 0u64;
    for &b in &national[zeros..] {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u64::from(digit);
    }
    (value < 1 << 56).then_some((code, national))
}

/// The country calling code of a region id such as `NL`, if the metadata has it.
pub(crate) fn region_code(region: &str) -> Option<u16> {
    DATABASE.by_id(region).map(Metadata::country_code)
}

/// An example mobile number of a region, in national significant form.
pub(crate) fn example_mobile(region: &str) -> Option<(u16, String)> {
    let meta = DATABASE.by_id(region)?;
    let example = meta.descriptors().mobile()?.example()?;
    Some((meta.country_code(), example.to_string()))
}

/// `(region, country code, example mobile number)` of every region whose
/// metadata has an example mobile number, sorted by region id.
pub(crate) fn mobile_examples() -> Vec<(&'static str, u16, &'static str)> {
    let mut out: Vec<(&'static str, u16, &'static str)> = DATABASE
        .iter()
        .filter_map(|meta| {
            let example = meta.descriptors().mobile()?.example()?;
            Some((meta.id(), meta.country_code(), example))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn descriptors(meta: &'static Metadata) -> Vec<&'static Descriptor> {
        let d = meta.descriptors();
        std::iter::once(Some(d.general()))
            .chain(special_descriptors(meta).map(|(_, desc)| desc))
            .chain([d.fixed_line(), d.mobile()])
            .flatten()
            .collect()
    }

    /// Every example, each of its prefixes, each one-digit change and
    /// extension of it, and some random digit strings.
    fn inputs(meta: &'static Metadata) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for example in descriptors(meta).iter().filter_map(|d| d.example()) {
            let example = example.as_bytes().to_vec();
            for end in 0..=example.len() {
                out.push(example[..end].to_vec());
            }
            for at in 0..=example.len() {
                for digit in b'0'..=b'9' {
                    let mut changed = example.clone();
                    if at == example.len() {
                        changed.push(digit);
                    } else {
                        changed[at] = digit;
                    }
                    out.push(changed);
                }
            }
        }
        let mut state = u64::from(meta.country_code());
        for _ in 0..200 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            let len = (state >> 59) as usize + 2;
            out.push(
                (0..len)
                    .map(|i| b'0' + (state.rotate_right(i as u32 * 3) % 10) as u8)
                    .collect(),
            );
        }
        out
    }

    /// A region's descriptor patterns in the matcher's order (as
    /// `RegionPatterns` compiles them).
    fn pattern_sources(meta: &'static Metadata) -> Vec<&'static str> {
        descriptors(meta)
            .iter()
            .map(|d| d.national_number().as_str())
            .collect()
    }

    /// The descriptor patterns, then the leading digits (if any).
    fn sources(meta: &'static Metadata) -> Vec<&'static str> {
        let mut sources = pattern_sources(meta);
        sources.extend(meta.leading_digits().map(|p| p.as_str()));
        sources
    }

    #[test]
    fn dfa_agrees_with_the_regexes_for_every_region() {
        for meta in DATABASE.iter() {
            let sources = sources(meta);
            let dfa = PatternDfa::build(&sources)
                .unwrap_or_else(|| panic!("{}: no DFA for its patterns", meta.id()));
            for both_ends in [true, false] {
                let regexes: Vec<Regex> = sources
                    .iter()
                    .map(|s| compile_anchored(s, both_ends).unwrap())
                    .collect();
                for input in inputs(meta) {
                    let expected = regexes
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.is_match(&input))
                        .fold(0, |found, (i, _)| found | 1 << i);
                    let found = if both_ends {
                        dfa.full(&input)
                    } else {
                        dfa.prefix(&input)
                    };
                    assert_eq!(
                        found,
                        expected,
                        "{} {:?} both_ends={both_ends}",
                        meta.id(),
                        String::from_utf8_lossy(&input)
                    );
                }
            }
        }
    }

    /// The dense DFA's answer for all of `input`, walked as `PatternDfa`
    /// walked it before the re-encoding.
    fn dense_full(dfa: &dense::DFA<Vec<u32>>, start: StateID, input: &[u8]) -> u32 {
        let state = input.iter().fold(start, |s, &b| dfa.next_state(s, b));
        dense_matched(dfa, dfa.next_eoi_state(state))
    }

    /// The dense DFA's answer for the prefixes of `input`.
    fn dense_prefix(dfa: &dense::DFA<Vec<u32>>, start: StateID, input: &[u8]) -> u32 {
        let mut state = start;
        let mut found = 0;
        for &b in input {
            state = dfa.next_state(state, b);
            found |= dense_matched(dfa, state);
            if dfa.is_dead_state(state) {
                return found;
            }
        }
        found | dense_matched(dfa, dfa.next_eoi_state(state))
    }

    /// `inputs(meta)`, the same with a non-digit byte put in at the start,
    /// the middle or the end, and every byte after each example.
    fn inputs_with_other_bytes(meta: &'static Metadata) -> Vec<Vec<u8>> {
        const OTHERS: [u8; 8] = [0, b' ', b'+', b'/', b':', b'a', 0x80, 0xFF];
        let digits = inputs(meta);
        let mut out = digits.clone();
        for (i, input) in digits.iter().enumerate() {
            for (k, at) in [0, input.len() / 2, input.len()].into_iter().enumerate() {
                let mut changed = input.clone();
                changed.insert(at, OTHERS[(i + k) % OTHERS.len()]);
                out.push(changed);
            }
        }
        for example in descriptors(meta).iter().filter_map(|d| d.example()) {
            for b in 0..=u8::MAX {
                let mut changed = example.as_bytes().to_vec();
                changed.push(b);
                out.push(changed);
            }
        }
        out
    }

    /// Builds the dense DFA of `sources` and its compact table, and checks
    /// that they give the same answers; returns the table.
    fn compact_agreeing_with_dense(meta: &'static Metadata, sources: &[&str]) -> PatternDfa {
        let id = meta.id();
        let (dfa, start) =
            PatternDfa::dense(sources).unwrap_or_else(|| panic!("{id}: no dense DFA"));
        let compact = PatternDfa::compact(&dfa, start)
            .unwrap_or_else(|| panic!("{id}: the dense DFA has no compact table"));
        for input in inputs_with_other_bytes(meta) {
            let shown = String::from_utf8_lossy(&input);
            let full = dense_full(&dfa, start, &input);
            assert_eq!(compact.full(&input), full, "{id} full {shown:?}");
            let prefix = dense_prefix(&dfa, start, &input);
            assert_eq!(compact.prefix(&input), prefix, "{id} prefix {shown:?}");
        }
        compact
    }

    #[test]
    fn compact_table_agrees_with_the_dense_dfa_for_every_region() {
        for meta in DATABASE.iter() {
            let compact = compact_agreeing_with_dense(meta, &sources(meta));
            match compact.next {
                Transitions::Small(_) => assert!(compact.states() <= 256, "{}", meta.id()),
                Transitions::Large(_) => assert!(compact.states() > 256, "{}", meta.id()),
            }
        }
    }

    #[test]
    fn a_match_before_a_non_digit_byte_is_kept() {
        // Match states come one byte late: the byte after a match, digit or
        // not, reports it, so a prefix match survives a non-digit byte.
        let dfa = PatternDfa::build(&["12", "1"]).unwrap();
        assert_eq!(dfa.prefix(b"12x"), 0b11);
        assert_eq!(dfa.prefix(b"1x2"), 0b10);
        assert_eq!(dfa.prefix(b"x12"), 0);
        assert_eq!(dfa.full(b"12x"), 0);
        assert_eq!(dfa.full(b"12"), 0b01);
    }

    #[test]
    fn a_region_with_more_than_256_states_uses_two_byte_ids() {
        // Two of the largest tables of the metadata (522 and 515 states).
        for id in ["BD", "CN"] {
            let meta = DATABASE.by_id(id).unwrap();
            let compact = compact_agreeing_with_dense(meta, &pattern_sources(meta));
            assert!(compact.states() > 256, "{id}: {} states", compact.states());
            assert!(matches!(compact.next, Transitions::Large(_)), "{id}");
        }
    }

    /// `cargo test --lib compact_tables -- --nocapture` prints the figures.
    #[test]
    fn compact_tables_are_a_fraction_of_the_dense_dfas() {
        let (mut dense_bytes, mut compact_bytes, mut states) = (0, 0, 0);
        let mut tables = Vec::new();
        for meta in DATABASE.iter() {
            let (dfa, start) = PatternDfa::dense(&pattern_sources(meta)).unwrap();
            let compact = PatternDfa::compact(&dfa, start).unwrap();
            dense_bytes += dfa.memory_usage();
            compact_bytes += compact.memory_usage();
            states += compact.states();
            tables.push((compact.states(), compact.memory_usage(), meta.id()));
        }
        tables.sort_unstable_by(|a, b| b.cmp(a));
        let large = tables.iter().filter(|t| t.0 > 256).count();
        println!(
            "{} regions, {states} states: dense {dense_bytes} bytes, compact {compact_bytes} \
             bytes; {large} tables with two-byte ids; largest (states, bytes, region): {:?}",
            tables.len(),
            &tables[..large.max(3)]
        );
        assert!(compact_bytes * 2 < dense_bytes);
    }

    /// The crate's type order with one regex per descriptor.
    fn reference_type(
        meta: &'static Metadata,
        regexes: &HashMap<&str, Regex>,
        national: &[u8],
    ) -> Type {
        let is_match = |desc: Option<&'static Descriptor>| {
            desc.is_some_and(|desc| {
                let lengths = desc.possible_length();
                (lengths.is_empty() || lengths.contains(&(national.len() as u16)))
                    && regexes[desc.national_number().as_str()].is_match(national)
            })
        };
        let d = meta.descriptors();
        if !is_match(Some(d.general())) {
            return Type::Unknown;
        }
        let special = special_descriptors(meta);
        if let Some((kind, _)) = special.into_iter().find(|(_, desc)| is_match(*desc)) {
            return kind;
        }
        let source = |desc: Option<&'static Descriptor>| desc.map(|d| d.national_number().as_str());
        match (is_match(d.fixed_line()), is_match(d.mobile())) {
            (true, mobile) if mobile || source(d.fixed_line()) == source(d.mobile()) => {
                Type::FixedLineOrMobile
            }
            (true, _) => Type::FixedLine,
            (false, true) => Type::Mobile,
            (false, false) => Type::Unknown,
        }
    }

    #[test]
    fn number_type_agrees_with_per_pattern_regexes() {
        for meta in DATABASE.iter() {
            for both_ends in [true, false] {
                let patterns = RegionPatterns::compile(meta, both_ends);
                let regexes: HashMap<&str, Regex> = descriptors(meta)
                    .iter()
                    .map(|d| d.national_number().as_str())
                    .map(|s| (s, compile_anchored(s, both_ends).unwrap()))
                    .collect();
                for input in inputs(meta) {
                    assert_eq!(
                        patterns.number_type(&input),
                        reference_type(meta, &regexes, &input),
                        "{} {:?} both_ends={both_ends}",
                        meta.id(),
                        String::from_utf8_lossy(&input)
                    );
                }
            }
        }
    }

    #[test]
    fn lengths_as_bits() {
        assert!(Lengths::new(&[]).ok(3));
        assert!(Lengths::new(&[3, 9]).ok(3));
        assert!(!Lengths::new(&[2, 9]).ok(3));
    }
}
