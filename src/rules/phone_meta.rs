//! Per-region phone matchers compiled once from the `phonenumber` metadata.
//!
//! The crate keeps its compiled patterns in a 100-entry cache behind one
//! global lock and matches them anchored at the start only. Here every
//! region's patterns are compiled on first use, all at once, into one
//! deterministic automaton over digits (a regex each where a pattern does not
//! fit it) that lives for the whole process, so files with numbers from many
//! countries never recompile anything and threads never contend.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use phonenumber::Type;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex::bytes::{Regex, RegexBuilder};

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

/// A metadata pattern: the metadata uses only digits, `\d`, digit classes,
/// groups, alternation, `?` and bounded counts, all of which a digit DFA
/// can express.
enum Node {
    /// A set of digits (bit `d`: digit `d`).
    Class(u16),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u8, u8),
}

/// A parser for that subset; `None` for anything else, so that such a
/// pattern falls back to the regex crate.
struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn parse(source: &str) -> Option<Node> {
        let mut parser = Parser {
            bytes: source.as_bytes(),
            at: 0,
        };
        let node = parser.alt()?;
        (parser.peek().is_none()).then_some(node)
    }

    /// The next byte outside a class; whitespace is ignored, as in the
    /// regexes (`ignore_whitespace`).
    fn peek(&mut self) -> Option<u8> {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
        self.bytes.get(self.at).copied()
    }

    /// The next byte as is (inside classes and counts).
    fn next_raw(&mut self) -> Option<u8> {
        let b = self.bytes.get(self.at).copied();
        self.at += 1;
        b
    }

    fn alt(&mut self) -> Option<Node> {
        let mut branches = vec![self.concat()?];
        while self.peek() == Some(b'|') {
            self.at += 1;
            branches.push(self.concat()?);
        }
        Some(if branches.len() == 1 {
            branches.pop()?
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Option<Node> {
        let mut items = Vec::new();
        while let Some(b) = self.peek() {
            if b == b'|' || b == b')' {
                break;
            }
            let atom = self.atom()?;
            // One repetition per atom: a second one could be a lazy
            // modifier (`{2}?`), which this parser does not model.
            let item = match self.peek() {
                Some(b'?') => {
                    self.at += 1;
                    Node::Repeat(Box::new(atom), 0, 1)
                }
                Some(b'{') => {
                    self.at += 1;
                    let (min, max) = self.counts()?;
                    Node::Repeat(Box::new(atom), min, max)
                }
                _ => atom,
            };
            if matches!(self.peek(), Some(b'?' | b'{' | b'*' | b'+')) {
                return None;
            }
            items.push(item);
        }
        Some(Node::Concat(items))
    }

    fn atom(&mut self) -> Option<Node> {
        match self.next_raw()? {
            d @ b'0'..=b'9' => Some(Node::Class(1 << (d - b'0'))),
            b'\\' => (self.next_raw()? == b'd').then_some(Node::Class(ALL_DIGITS)),
            b'[' => self.class(),
            b'(' => {
                if self.bytes[self.at..].starts_with(b"?:") {
                    self.at += 2;
                } else if self.bytes.get(self.at) == Some(&b'?') {
                    return None;
                }
                let inner = self.alt()?;
                (self.next_raw()? == b')').then_some(inner)
            }
            _ => None,
        }
    }

    /// A class of digits, ranges and `\d` (after `[`).
    fn class(&mut self) -> Option<Node> {
        let mut set = 0u16;
        loop {
            match self.next_raw()? {
                b']' if set != 0 => return Some(Node::Class(set)),
                b'\\' if self.next_raw()? == b'd' => set |= ALL_DIGITS,
                lo @ b'0'..=b'9' => {
                    let hi = if self.bytes.get(self.at) == Some(&b'-') {
                        self.at += 1;
                        self.next_raw().filter(|hi| (lo..=b'9').contains(hi))?
                    } else {
                        lo
                    };
                    for d in lo..=hi {
                        set |= 1 << (d - b'0');
                    }
                }
                _ => return None,
            }
        }
    }

    /// `n}` or `n,m}` (after `{`), bounded.
    fn counts(&mut self) -> Option<(u8, u8)> {
        let min = self.number()?;
        let max = match self.next_raw()? {
            b'}' => return Some((min, min)),
            b',' => self.number()?,
            _ => return None,
        };
        (self.next_raw()? == b'}' && min <= max).then_some((min, max))
    }

    fn number(&mut self) -> Option<u8> {
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        std::str::from_utf8(&self.bytes[start..self.at])
            .ok()?
            .parse()
            .ok()
            .filter(|&n| n <= 32)
    }
}

const ALL_DIGITS: u16 = 0x3ff;

/// A state of the nondeterministic automaton the DFA is built from.
enum NfaState {
    /// Reads a digit of the set, then goes on.
    Digit(u16, usize),
    Split(Vec<usize>),
    /// Pattern `i` matched.
    Match(usize),
}

#[derive(Default)]
struct Nfa {
    states: Vec<NfaState>,
}

impl Nfa {
    /// Bounds the work on unexpected metadata.
    const MAX_STATES: usize = 100_000;

    fn push(&mut self, state: NfaState) -> Option<usize> {
        (self.states.len() < Nfa::MAX_STATES).then(|| {
            self.states.push(state);
            self.states.len() - 1
        })
    }

    /// The entry of `node` followed by `next`.
    fn compile(&mut self, node: &Node, next: usize) -> Option<usize> {
        match node {
            Node::Class(set) => self.push(NfaState::Digit(*set, next)),
            Node::Concat(items) => items
                .iter()
                .rev()
                .try_fold(next, |next, item| self.compile(item, next)),
            Node::Alt(branches) => {
                let entries = branches
                    .iter()
                    .map(|branch| self.compile(branch, next))
                    .collect::<Option<Vec<_>>>()?;
                self.push(NfaState::Split(entries))
            }
            Node::Repeat(inner, min, max) => {
                let mut entry = next;
                for _ in *min..*max {
                    let once = self.compile(inner, entry)?;
                    entry = self.push(NfaState::Split(vec![once, next]))?;
                }
                for _ in 0..*min {
                    entry = self.compile(inner, entry)?;
                }
                Some(entry)
            }
        }
    }

    /// The digit-reading and match states reachable from `from` without
    /// reading, sorted: one DFA state.
    fn closure(&self, from: impl IntoIterator<Item = usize>) -> Vec<usize> {
        let mut seen = vec![false; self.states.len()];
        let mut stack: Vec<usize> = from.into_iter().collect();
        let mut out = Vec::new();
        while let Some(s) = stack.pop() {
            if std::mem::replace(&mut seen[s], true) {
                continue;
            }
            match &self.states[s] {
                NfaState::Split(to) => stack.extend(to),
                _ => out.push(s),
            }
        }
        out.sort_unstable();
        out
    }
}

/// A deterministic automaton over ASCII digits for up to 32 metadata
/// patterns at once: classifying a number is one table walk over its digits,
/// where an overlapping `RegexSet` search costs several times more and
/// allocates its result.
struct DigitDfa {
    /// `next[state][digit]`; state 0 is dead, state 1 the start.
    next: Vec<[u16; 10]>,
    /// The patterns that match the digits read so far (bit `i`: pattern `i`).
    accept: Vec<u32>,
}

impl DigitDfa {
    /// Bounds the table of one region (a region needs a few hundred states).
    const MAX_STATES: usize = 1 << 14;

    fn build(sources: &[&str]) -> Option<DigitDfa> {
        if sources.len() > 32 {
            return None;
        }
        let mut nfa = Nfa::default();
        let mut entries = Vec::new();
        for (i, source) in sources.iter().enumerate() {
            let node = Parser::parse(source)?;
            let matched = nfa.push(NfaState::Match(i))?;
            entries.push(nfa.compile(&node, matched)?);
        }
        let mut ids: HashMap<Vec<usize>, u16> = HashMap::new();
        let mut sets: Vec<Vec<usize>> = vec![Vec::new(), nfa.closure(entries)];
        ids.insert(sets[0].clone(), 0);
        ids.insert(sets[1].clone(), 1);
        let mut dfa = DigitDfa {
            next: vec![[0; 10]],
            accept: vec![0],
        };
        let mut state = 1;
        while let Some(set) = sets.get(state) {
            let set = set.clone();
            dfa.accept
                .push(set.iter().fold(0, |acc, &s| match nfa.states[s] {
                    NfaState::Match(i) => acc | 1 << i,
                    _ => acc,
                }));
            let mut row = [0; 10];
            for (digit, slot) in row.iter_mut().enumerate() {
                let to = nfa.closure(set.iter().filter_map(|&s| match nfa.states[s] {
                    NfaState::Digit(digits, next) if digits >> digit & 1 == 1 => Some(next),
                    _ => None,
                }));
                let id = match ids.get(&to) {
                    Some(&id) => id,
                    None => {
                        if sets.len() >= DigitDfa::MAX_STATES {
                            return None;
                        }
                        let id = sets.len() as u16;
                        ids.insert(to.clone(), id);
                        sets.push(to);
                        id
                    }
                };
                *slot = id;
            }
            dfa.next.push(row);
            state += 1;
        }
        Some(dfa)
    }

    fn step(&self, state: usize, b: u8) -> usize {
        match self.next[state].get(usize::from(b.wrapping_sub(b'0'))) {
            Some(&next) => usize::from(next),
            None => 0,
        }
    }

    /// The patterns that match all of `digits`.
    fn full(&self, digits: &[u8]) -> u32 {
        let mut state = 1;
        for &b in digits {
            state = self.step(state, b);
            if state == 0 {
                return 0;
            }
        }
        self.accept[state]
    }

    /// The patterns that match a prefix of `digits` (anchored at the start
    /// only).
    fn prefix(&self, digits: &[u8]) -> u32 {
        let mut state = 1;
        let mut found = self.accept[state];
        for &b in digits {
            state = self.step(state, b);
            if state == 0 {
                break;
            }
            found |= self.accept[state];
        }
        found
    }
}

/// Anchored matching of a list of metadata patterns: one [`DigitDfa`] where
/// the patterns fit it, else one regex each.
struct Matcher {
    both_ends: bool,
    engine: Engine,
}

enum Engine {
    Dfa(DigitDfa),
    /// A pattern the regex crate rejects (`None`) never matches.
    Regexes(Vec<Option<Regex>>),
}

impl Matcher {
    fn new(sources: &[&str], both_ends: bool) -> Matcher {
        let engine = match DigitDfa::build(sources) {
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
        for (kind, descriptor) in [
            (Type::PremiumRate, d.premium_rate()),
            (Type::TollFree, d.toll_free()),
            (Type::SharedCost, d.shared_cost()),
            (Type::Voip, d.voip()),
            (Type::PersonalNumber, d.personal_number()),
            (Type::Pager, d.pager()),
            (Type::Uan, d.uan()),
            (Type::Voicemail, d.voicemail()),
        ] {
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

    fn descriptors(meta: &'static Metadata) -> Vec<&'static Descriptor> {
        let d = meta.descriptors();
        [
            Some(d.general()),
            d.premium_rate(),
            d.toll_free(),
            d.shared_cost(),
            d.voip(),
            d.personal_number(),
            d.pager(),
            d.uan(),
            d.voicemail(),
            d.fixed_line(),
            d.mobile(),
        ]
        .into_iter()
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

    #[test]
    fn dfa_agrees_with_the_regexes_for_every_region() {
        for meta in DATABASE.iter() {
            let mut sources: Vec<&str> = descriptors(meta)
                .iter()
                .map(|d| d.national_number().as_str())
                .collect();
            sources.extend(meta.leading_digits().map(|p| p.as_str()));
            let dfa = DigitDfa::build(&sources)
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
        let special = [
            (Type::PremiumRate, d.premium_rate()),
            (Type::TollFree, d.toll_free()),
            (Type::SharedCost, d.shared_cost()),
            (Type::Voip, d.voip()),
            (Type::PersonalNumber, d.personal_number()),
            (Type::Pager, d.pager()),
            (Type::Uan, d.uan()),
            (Type::Voicemail, d.voicemail()),
        ];
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
    fn parser_rejects_what_it_does_not_model() {
        for source in [
            "1*", "1+", "1{2,}", "1{2}?", "[^1]", "(?i)1", ".", "1$", "\\w",
        ] {
            assert!(Parser::parse(source).is_none(), "{source}");
        }
        assert!(Parser::parse("(?:1[2-4]\\d{2,3}|5)?6").is_some());
    }

    #[test]
    fn lengths_as_bits() {
        assert!(Lengths::new(&[]).ok(3));
        assert!(Lengths::new(&[3, 9]).ok(3));
        assert!(!Lengths::new(&[2, 9]).ok(3));
    }
}
