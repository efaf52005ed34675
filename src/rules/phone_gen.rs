//! The generator of `phone_tables.rs` and `phone_tables.bin` from the
//! `phonenumber` metadata (test builds only), and the proofs that the
//! tables are current and equal to the metadata's regexes.
//!
//! Regenerate after a `phonenumber` update:
//! `USERCSV_REGEN_PHONE_TABLES=1 cargo test --lib phone_tables_are_current`.

use std::collections::HashMap;
use std::fmt::Write as _;

use phonenumber::Type;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex::bytes::{Regex, RegexBuilder};
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};

use super::{CLASSES, DEAD, REGIONS, RegionTable};

/// The patterns a state of the dense DFA says matched.
fn dense_matched(dfa: &dense::DFA<Vec<u32>>, state: StateID) -> u32 {
    if !dfa.is_match_state(state) {
        return 0;
    }
    (0..dfa.match_len(state)).fold(0, |bits, i| {
        bits | 1 << dfa.match_pattern(state, i).as_usize()
    })
}

/// A compact DFA as the generator builds it (see [`super::Dfa`]).
struct Compact {
    /// Class by class: `next[class * states + state]`.
    next: Vec<u16>,
    matched: Vec<u32>,
    eoi: Vec<u32>,
    start: usize,
}

impl Compact {
    fn states(&self) -> usize {
        self.matched.len()
    }

    fn full(&self, digits: &[u8]) -> u32 {
        let states = self.states();
        let state = digits.iter().fold(self.start, |state, &b| {
            usize::from(self.next[super::class(b) * states + state])
        });
        self.eoi[state]
    }

    fn prefix(&self, digits: &[u8]) -> u32 {
        let states = self.states();
        let mut state = self.start;
        let mut found = 0;
        for &b in digits {
            state = usize::from(self.next[super::class(b) * states + state]);
            found |= self.matched[state];
            if state == DEAD {
                return found;
            }
        }
        found | self.eoi[state]
    }
}

/// Bounds the dense DFA of one region (a region needs a few hundred states).
const SIZE_LIMIT: usize = 4 << 20;

fn dense(sources: &[&str]) -> Option<(dense::DFA<Vec<u32>>, StateID)> {
    if sources.len() > 32 {
        return None;
    }
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::All)
                .start_kind(StartKind::Anchored)
                .dfa_size_limit(Some(SIZE_LIMIT))
                .determinize_size_limit(Some(SIZE_LIMIT)),
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
/// ([`DEAD`] is 0), with their transitions on the eleven classes. `None`
/// where a class would not be one: a pattern that tells two non-digit bytes
/// apart (the metadata has none), or a quit state.
fn compact(dfa: &dense::DFA<Vec<u32>>, start: StateID) -> Option<Compact> {
    let mut others: Vec<u8> = (0..=u8::MAX).filter(|b| !b.is_ascii_digit()).collect();
    others.dedup_by_key(|b| dfa.byte_classes().get(*b));
    let other = others[0];
    let mut ids = HashMap::new();
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
    let next = (0..CLASSES)
        .flat_map(|c| rows.iter().skip(c).step_by(CLASSES).copied())
        .collect();
    Some(Compact {
        next,
        matched,
        eoi,
        start,
    })
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

fn length_bits(lengths: &[u16]) -> u64 {
    if lengths.is_empty() {
        return super::ANY_LENGTH;
    }
    lengths
        .iter()
        .filter_map(|&n| 1u64.checked_shl(u32::from(n)))
        .fold(0, |bits, bit| bits | bit)
}

/// The descriptors of a region in the DFA's bit order: general, the special
/// types, fixed line, mobile (absent ones skipped).
fn descriptors(meta: &'static Metadata) -> Vec<(Option<Type>, &'static Descriptor)> {
    let d = meta.descriptors();
    std::iter::once((None, Some(d.general())))
        .chain(special_descriptors(meta).map(|(t, desc)| (Some(t), desc)))
        .chain([
            (Some(Type::FixedLine), d.fixed_line()),
            (Some(Type::Mobile), d.mobile()),
        ])
        .filter_map(|(t, desc)| Some((t, desc?)))
        .collect()
}

/// The DFA's patterns: the descriptors, then the leading digits (if any).
fn sources(meta: &'static Metadata) -> Vec<&'static str> {
    let mut sources: Vec<&str> = descriptors(meta)
        .iter()
        .map(|(_, d)| d.national_number().as_str())
        .collect();
    sources.extend(meta.leading_digits().map(|p| p.as_str()));
    sources
}

/// The regions of each calling code, in the crate's order (`001` standing
/// for the code's non-geographic metadata).
fn regions_by_code() -> Vec<(u16, Vec<&'static Metadata>)> {
    let mut codes: Vec<u16> = DATABASE.iter().map(Metadata::country_code).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
        .into_iter()
        .map(|code| {
            let ids = DATABASE.region(&code).unwrap_or_default();
            let metas: Vec<&'static Metadata> = ids
                .iter()
                .map(|id| {
                    if *id == "001" {
                        DATABASE.by_code(&code).unwrap().into_iter().next().unwrap()
                    } else {
                        DATABASE.by_id(*id).unwrap()
                    }
                })
                .collect();
            assert!(code < 1000 && !metas.is_empty(), "code {code}");
            (code, metas)
        })
        .collect()
}

/// The first digits (bit `d`: digit `d`) a national number can start with
/// for the region's national-prefix strip to change it: the national
/// prefix's first digit, and each digit after which the prefix-for-parsing
/// pattern is not dead yet (all ten if it can match the empty string, or its
/// DFA cannot be built). Outside them the strip is a no-op.
fn strip_first(meta: &'static Metadata) -> u16 {
    const ALL: u16 = 0x3ff;
    let mut bits = 0;
    if let Some(&b) = meta.national_prefix().and_then(|np| np.as_bytes().first()) {
        bits |= if b.is_ascii_digit() {
            1 << (b - b'0')
        } else {
            ALL
        };
    }
    if let Some(pattern) = meta.national_prefix_for_parsing() {
        let Some((dfa, start)) = dense(&[pattern.as_str()]) else {
            return ALL;
        };
        if dense_matched(&dfa, dfa.next_eoi_state(start)) != 0 {
            return ALL;
        }
        for d in b'0'..=b'9' {
            if !dfa.is_dead_state(dfa.next_state(start, d)) {
                bits |= 1 << (d - b'0');
            }
        }
    }
    bits
}

fn option_str(value: Option<&str>) -> String {
    match value {
        Some(s) => format!("Some({s:?})"),
        None => "None".to_string(),
    }
}

/// The crate's international format of an example mobile number.
fn international(code: u16, national: &str) -> Option<String> {
    let parsed = phonenumber::parse(None, format!("+{code}{national}")).ok()?;
    Some(
        phonenumber::format(&parsed)
            .mode(phonenumber::Mode::International)
            .to_string(),
    )
}

/// `phone_tables.rs` and `phone_tables.bin`.
fn generate() -> (String, Vec<u8>) {
    let mut blob = Vec::new();
    let mut rs = String::new();
    let by_code = regions_by_code();
    let mut region_codes = Vec::new();
    let mut code_strip = vec![0u16; 1000];
    let mut regions = String::new();
    let mut index = 0u16;
    for (code, metas) in &by_code {
        for meta in metas {
            region_codes.push(*code);
            let (dfa, start) =
                dense(&sources(meta)).unwrap_or_else(|| panic!("{}: no dense DFA", meta.id()));
            let table =
                compact(&dfa, start).unwrap_or_else(|| panic!("{}: no compact DFA", meta.id()));
            let states = table.states();
            let wide = states > 256;
            let next_at = blob.len();
            for &id in &table.next {
                if wide {
                    blob.extend_from_slice(&id.to_le_bytes());
                } else {
                    blob.push(u8::try_from(id).unwrap());
                }
            }
            let matched_at = blob.len();
            table
                .matched
                .iter()
                .for_each(|w| blob.extend_from_slice(&w.to_le_bytes()));
            let eoi_at = blob.len();
            table
                .eoi
                .iter()
                .for_each(|w| blob.extend_from_slice(&w.to_le_bytes()));

            let descriptors = descriptors(meta);
            let mut by_length = [0u32; 65];
            let (mut special, mut special_bits, mut fixed_line, mut mobile) =
                (Vec::new(), 0u32, 0u32, 0u32);
            for (i, (kind, desc)) in descriptors.iter().enumerate() {
                let bit = 1u32 << i;
                let lengths = length_bits(desc.possible_length());
                for (len, allowed) in by_length.iter_mut().enumerate() {
                    if super::length_ok(lengths, len) {
                        *allowed |= bit;
                    }
                }
                match kind {
                    None => {}
                    Some(Type::FixedLine) => fixed_line = bit,
                    Some(Type::Mobile) => mobile = bit,
                    Some(kind) => {
                        special.push(format!("Type::{kind:?}"));
                        special_bits |= bit;
                    }
                }
            }
            let leading = if meta.leading_digits().is_some() {
                1u32 << descriptors.len()
            } else {
                0
            };
            let d = meta.descriptors();
            let source =
                |desc: Option<&'static Descriptor>| desc.map(|d| d.national_number().as_str());
            let fixed_is_mobile =
                d.fixed_line().is_some() && source(d.fixed_line()) == source(d.mobile());
            let general = d.general();
            let example = d.mobile().and_then(Descriptor::example);
            let example_international = example.and_then(|e| international(*code, e));
            let named = meta.id() == "001" || meta.id().parse::<phonenumber::country::Id>().is_ok();
            let strip_first = strip_first(meta);
            code_strip[usize::from(*code)] |= strip_first;
            let _ = writeln!(
                regions,
                "    RegionTable {{\n        index: {index},\n        id: {id:?},\n        code: {code},\n        named: {named},\n        national_prefix: {np},\n        prefix_for_parsing: {pfp},\n        transform: {tr},\n        international_prefix: {ip},\n        strip_first: {strip_first:#x},\n        possible: &{possible:?},\n        local: &{local:?},\n        general_lengths: {gl:#x},\n        special: &[{special}],\n        special_bits: {special_bits:#x},\n        fixed_line: {fixed_line:#x},\n        mobile: {mobile:#x},\n        fixed_is_mobile: {fixed_is_mobile},\n        leading: {leading:#x},\n        by_length: {by_length:?},\n        dfa: Dfa {{\n            states: {states},\n            wide: {wide},\n            next: {next_at},\n            matched: {matched_at},\n            eoi: {eoi_at},\n            start: {start},\n        }},\n        example_mobile: {example},\n        example_international: {example_international},\n    }},",
                id = meta.id(),
                np = option_str(meta.national_prefix()),
                pfp = option_str(meta.national_prefix_for_parsing().map(|p| p.as_str())),
                tr = option_str(meta.national_prefix_transform_rule()),
                ip = option_str(meta.international_prefix().map(|p| p.as_str())),
                possible = general.possible_length(),
                local = general.possible_local_length(),
                gl = length_bits(general.possible_length()),
                special = special.join(", "),
                start = table.start,
                example = option_str(example),
                example_international = option_str(example_international.as_deref()),
            );
            index += 1;
        }
    }
    // By code: the number of regions with a smaller code.
    let codes: Vec<u16> = (0..=1000u16)
        .map(|c| region_codes.iter().filter(|&&r| r < c).count() as u16)
        .collect();
    let _ = write!(
        rs,
        "//! Generated by `phone_gen.rs` from the metadata of `phonenumber` \
         0.3.10+9.0.33: do not edit.\n//! Regenerate: `USERCSV_REGEN_PHONE_TABLES=1 cargo \
         test --lib phone_tables_are_current`.\n\nuse phonenumber::Type;\n\nuse super::{{Dfa, \
         RegionTable}};\n\n/// The DFAs' transitions and match sets.\npub(super) static BLOB: \
         &[u8] = include_bytes!(\"phone_tables.bin\");\n\n/// By calling code `c`: its regions \
         are `REGIONS[CODES[c]..CODES[c + 1]]`.\npub(super) static CODES: [u16; 1001] = \
         {codes:?};\n\n/// Every region, by calling code, in the crate's order.\npub(super) \
         static REGIONS: [RegionTable; {index}] = [\n{regions}];\n\n/// By calling code: the union of \
         its regions' `strip_first`.\npub(super) static CODE_STRIP_FIRST: [u16; 1000] = \
         {code_strip:?};\n"
    );
    (rs, blob)
}

fn path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/rules")
        .join(name)
}

#[test]
fn phone_tables_are_current() {
    let (rs, blob) = generate();
    if std::env::var_os("USERCSV_REGEN_PHONE_TABLES").is_some() {
        std::fs::write(path("phone_tables.rs"), &rs).unwrap();
        std::fs::write(path("phone_tables.bin"), &blob).unwrap();
    }
    let current_rs = std::fs::read_to_string(path("phone_tables.rs")).unwrap_or_default();
    let current_blob = std::fs::read(path("phone_tables.bin")).unwrap_or_default();
    assert!(
        current_rs == rs && current_blob == blob,
        "src/rules/phone_tables.{{rs,bin}} are out of date: run \
         USERCSV_REGEN_PHONE_TABLES=1 cargo test --lib phone_tables_are_current"
    );
    assert!(
        super::tables::BLOB == &blob[..],
        "the compiled tables are not the generated ones"
    );
}

/// Every example, each of its prefixes, each one-digit change and
/// extension of it, and some random digit strings.
fn inputs(meta: &'static Metadata) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for example in descriptors(meta).iter().filter_map(|(_, d)| d.example()) {
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

fn regex(source: &str, both_ends: bool) -> Regex {
    let anchored = if both_ends {
        format!("^(?:{source})$")
    } else {
        format!("^(?:{source})")
    };
    RegexBuilder::new(&anchored)
        .ignore_whitespace(true)
        .build()
        .unwrap()
}

/// Each generated region with its metadata.
fn tables() -> Vec<(&'static RegionTable, &'static Metadata)> {
    let metas: Vec<&'static Metadata> = regions_by_code()
        .into_iter()
        .flat_map(|(_, metas)| metas)
        .collect();
    assert_eq!(metas.len(), REGIONS.len());
    REGIONS.iter().zip(metas).collect()
}

#[test]
fn generated_dfas_agree_with_the_regexes_for_every_region() {
    for (table, meta) in tables() {
        assert_eq!((table.id, table.code), (meta.id(), meta.country_code()));
        let sources = sources(meta);
        for both_ends in [true, false] {
            let regexes: Vec<Regex> = sources.iter().map(|s| regex(s, both_ends)).collect();
            for input in inputs(meta) {
                let expected = regexes
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.is_match(&input))
                    .fold(0, |found, (i, _)| found | 1 << i);
                let found = if both_ends {
                    table.dfa.full(&input)
                } else {
                    table.dfa.prefix(&input)
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

/// The dense DFA's answer for all of `input`.
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

#[test]
fn compact_tables_agree_with_the_dense_dfas_with_any_byte() {
    const OTHERS: [u8; 8] = [0, b' ', b'+', b'/', b':', b'a', 0x80, 0xFF];
    for (table, meta) in tables() {
        let id = meta.id();
        let (dfa, start) = dense(&sources(meta)).unwrap();
        let compact = compact(&dfa, start).unwrap();
        let digits = inputs(meta);
        let mut all = digits.clone();
        for (i, input) in digits.iter().enumerate() {
            for (k, at) in [0, input.len() / 2, input.len()].into_iter().enumerate() {
                let mut changed = input.clone();
                changed.insert(at, OTHERS[(i + k) % OTHERS.len()]);
                all.push(changed);
            }
        }
        for example in descriptors(meta).iter().filter_map(|(_, d)| d.example()) {
            for b in 0..=u8::MAX {
                let mut changed = example.as_bytes().to_vec();
                changed.push(b);
                all.push(changed);
            }
        }
        for input in all {
            let shown = String::from_utf8_lossy(&input);
            let full = dense_full(&dfa, start, &input);
            assert_eq!(compact.full(&input), full, "{id} full {shown:?}");
            assert_eq!(table.dfa.full(&input), full, "{id} full {shown:?}");
            let prefix = dense_prefix(&dfa, start, &input);
            assert_eq!(compact.prefix(&input), prefix, "{id} prefix {shown:?}");
            assert_eq!(table.dfa.prefix(&input), prefix, "{id} prefix {shown:?}");
        }
        assert_eq!(table.dfa.wide, compact.states() > 256, "{id}");
    }
}

#[test]
fn a_match_before_a_non_digit_byte_is_kept() {
    // Match states come one byte late: the byte after a match, digit or
    // not, reports it, so a prefix match survives a non-digit byte.
    let (dfa, start) = dense(&["12", "1"]).unwrap();
    let dfa = compact(&dfa, start).unwrap();
    assert_eq!(dfa.prefix(b"12x"), 0b11);
    assert_eq!(dfa.prefix(b"1x2"), 0b10);
    assert_eq!(dfa.prefix(b"x12"), 0);
    assert_eq!(dfa.full(b"12x"), 0);
    assert_eq!(dfa.full(b"12"), 0b01);
}

#[test]
fn the_largest_regions_use_two_byte_ids() {
    for id in ["BD", "CN"] {
        let table = REGIONS.iter().find(|r| r.id == id).unwrap();
        assert!(table.dfa.wide && table.dfa.states > 256, "{id}");
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
    for (table, meta) in tables() {
        for both_ends in [true, false] {
            let regexes: HashMap<&str, Regex> = descriptors(meta)
                .iter()
                .map(|(_, d)| d.national_number().as_str())
                .map(|s| (s, regex(s, both_ends)))
                .collect();
            for input in inputs(meta) {
                assert_eq!(
                    table.number_type(&input, both_ends),
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
fn outside_strip_first_nothing_is_stripped() {
    // Where a national number's first digit is outside a region's
    // `strip_first`, its prefix-for-parsing regex does not match at the start
    // and its national prefix does not start it: the strip is a no-op.
    for (table, meta) in tables() {
        let parsing = meta
            .national_prefix_for_parsing()
            .map(|p| regex(p.as_str(), false));
        let mut all = inputs(meta);
        for input in inputs(meta) {
            for d in b'0'..=b'9' {
                let mut changed = vec![d];
                changed.extend_from_slice(&input);
                all.push(changed);
            }
        }
        for input in all
            .iter()
            .filter(|i| !super::may_strip(table.strip_first, i))
        {
            let shown = String::from_utf8_lossy(input);
            assert!(
                parsing.as_ref().is_none_or(|p| !p.is_match(input)),
                "{} {shown}",
                meta.id()
            );
            assert!(
                meta.national_prefix()
                    .is_none_or(|np| np.is_empty() || !input.starts_with(np.as_bytes())),
                "{} {shown}",
                meta.id()
            );
        }
        let code = usize::from(meta.country_code());
        assert_eq!(
            super::CODE_STRIP_FIRST[code] & table.strip_first,
            table.strip_first,
            "{}",
            meta.id()
        );
    }
}
