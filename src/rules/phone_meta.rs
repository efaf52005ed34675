//! Per-region phone matchers compiled once from the `phonenumber` metadata.
//!
//! The crate keeps its compiled patterns in a 100-entry cache behind one
//! global lock and matches them anchored at the start only. Here every
//! region's patterns are compiled on first use into fully anchored regexes
//! that live for the whole process, so files with numbers from many countries
//! never recompile anything and threads never contend.

use std::sync::{LazyLock, OnceLock};

use phonenumber::Type;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// One compiled descriptor: possible lengths and a fully anchored pattern.
struct Desc {
    lengths: Vec<u16>,
    pattern: Regex,
    source: &'static str,
}

impl Desc {
    fn compile(desc: &'static Descriptor, both_ends: bool) -> Option<Desc> {
        let source = desc.national_number().as_str();
        Some(Desc {
            lengths: desc.possible_length().to_vec(),
            pattern: compile_anchored(source, both_ends)?,
            source,
        })
    }

    fn length_ok(&self, national: &str) -> bool {
        self.lengths.is_empty() || self.lengths.contains(&(national.len() as u16))
    }

    fn is_match(&self, national: &str) -> bool {
        self.length_ok(national) && self.pattern.is_match(national)
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

/// The patterns of one region, in the order the crate tests them.
struct RegionPatterns {
    general: Option<Desc>,
    /// Types tested before fixed-line, in the crate's order.
    special: Vec<(Type, Desc)>,
    fixed_line: Option<Desc>,
    mobile: Option<Desc>,
    /// Every pattern above in one set, in the order general, special,
    /// fixed line, mobile (absent ones skipped): one search per number.
    set: Option<RegexSet>,
}

/// What the crate's parser needs of a region, with its semantics: patterns
/// anchored at the start only.
struct ParsePatterns {
    general: Option<Desc>,
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
    leading_digits: OnceLock<Option<Regex>>,
    /// Fully anchored: the verdict.
    patterns: OnceLock<RegionPatterns>,
    /// Anchored at the start only: the crate's region selection while parsing.
    start_patterns: OnceLock<RegionPatterns>,
    parse: OnceLock<ParsePatterns>,
}

impl RegionPatterns {
    fn compile(meta: &'static Metadata, both_ends: bool) -> RegionPatterns {
        let d = meta.descriptors();
        let special = [
            (Type::PremiumRate, d.premium_rate()),
            (Type::TollFree, d.toll_free()),
            (Type::SharedCost, d.shared_cost()),
            (Type::Voip, d.voip()),
            (Type::PersonalNumber, d.personal_number()),
            (Type::Pager, d.pager()),
            (Type::Uan, d.uan()),
            (Type::Voicemail, d.voicemail()),
        ]
        .into_iter()
        .filter_map(|(kind, desc)| Some((kind, Desc::compile(desc?, both_ends)?)))
        .collect();
        let mut patterns = RegionPatterns {
            general: Desc::compile(d.general(), both_ends),
            special,
            fixed_line: d.fixed_line().and_then(|d| Desc::compile(d, both_ends)),
            mobile: d.mobile().and_then(|d| Desc::compile(d, both_ends)),
            set: None,
        };
        let sources: Vec<String> = patterns
            .descs()
            .map(|desc| desc.pattern.as_str().to_string())
            .collect();
        patterns.set = RegexSetBuilder::new(&sources)
            .ignore_whitespace(true)
            .unicode(false)
            .build()
            .ok();
        patterns
    }

    /// The patterns in set order.
    fn descs(&self) -> impl Iterator<Item = &Desc> {
        self.general
            .iter()
            .chain(self.special.iter().map(|(_, d)| d))
            .chain(&self.fixed_line)
            .chain(&self.mobile)
    }

    /// The crate's `number_type`, with these patterns.
    fn number_type(&self, national: &str) -> Type {
        let Some(general) = &self.general else {
            return Type::Unknown;
        };
        if !general.length_ok(national) {
            return Type::Unknown;
        }
        match &self.set {
            Some(set) => {
                let matches = set.matches(national);
                let mut index = 0..;
                self.number_type_with(national, |desc, s| {
                    let i = index.next().unwrap_or(usize::MAX);
                    desc.length_ok(s) && matches.matched(i)
                })
            }
            None => self.number_type_with(national, Desc::is_match),
        }
    }

    /// The type order of the crate's `number_type`; `is_match` is called
    /// once per pattern, in set order.
    fn number_type_with(
        &self,
        national: &str,
        mut is_match: impl FnMut(&Desc, &str) -> bool,
    ) -> Type {
        let general = self.general.as_ref().is_some_and(|g| is_match(g, national));
        let special: Option<Type> = self
            .special
            .iter()
            .map(|(kind, desc)| (*kind, is_match(desc, national)))
            .fold(None, |found, (kind, hit)| found.or(hit.then_some(kind)));
        let fixed = self.fixed_line.as_ref().map(|f| is_match(f, national));
        let mobile = self.mobile.as_ref().map(|m| is_match(m, national));
        if !general {
            return Type::Unknown;
        }
        if let Some(kind) = special {
            return kind;
        }
        if fixed == Some(true) {
            let same_as_mobile = self.mobile.as_ref().map(|m| m.source)
                == self.fixed_line.as_ref().map(|f| f.source);
            if same_as_mobile || mobile == Some(true) {
                return Type::FixedLineOrMobile;
            }
            return Type::FixedLine;
        }
        if mobile == Some(true) {
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
                general: Desc::compile(general, false),
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

    fn leading_digits(&self) -> Option<&Regex> {
        self.leading_digits
            .get_or_init(|| {
                self.meta
                    .leading_digits()
                    .and_then(|p| compile_anchored(p.as_str(), false))
            })
            .as_ref()
    }

    /// The crate's `number_type`, with fully anchored patterns.
    fn number_type(&self, national: &str) -> Type {
        self.patterns().number_type(national)
    }

    /// The crate's `helper::national_number` followed by the second
    /// national-prefix strip and the length check of `parser::parse_with`.
    fn strip_national_prefix<'a>(&self, national: &'a str, scratch: &'a mut String) -> &'a str {
        let p = self.parse_patterns();
        let general_match = |s: &str| p.general.as_ref().is_some_and(|g| g.is_match(s));
        let mut potential: &str = national;
        match &p.prefix_for_parsing {
            None => {
                if let Some(prefix) = p.national_prefix
                    && potential.starts_with(prefix)
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
                            let transformed = parsing.replace(national, transform);
                            if !viable || general_match(&transformed) {
                                scratch.clear();
                                scratch.push_str(&transformed);
                                potential = scratch.as_str();
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
            && potential.starts_with(prefix)
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

/// Classifies a national significant number under a country calling code,
/// following the crate's region selection (`source_for`) and type order.
pub(crate) fn classify(code: u16, national: &str) -> Option<Classified> {
    let regions = regions(code)?;
    let region = if regions.len() == 1 {
        regions.first().filter(|r| r.named)?
    } else {
        regions
            .iter()
            .find(|region| match region.leading_digits() {
                Some(leading) => leading.is_match(national),
                None => region.number_type(national) != Type::Unknown,
            })?
    };
    match region.number_type(national) {
        Type::Unknown => None,
        kind => Some(Classified {
            region: region.meta.id(),
            kind,
        }),
    }
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
fn source_for_parse(code: u16, national: &str) -> Option<&'static Region> {
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
/// by digits and spaces only, given those digits: the country calling code
/// and the national number as the crate stores it (leading zeros, value), or
/// `None` where the crate returns an error. It follows the crate step by
/// step (country code, region, national prefix, lengths) with the region
/// patterns compiled once, so it never takes the crate's global regex cache.
pub(crate) fn parse_international(digits: &str) -> Option<(u16, u8, u64)> {
    let bytes = digits.as_bytes();
    // `country_code`: too short, or a leading zero, is no country code.
    if bytes.len() <= 2 || bytes[0] == b'0' || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut code = 0usize;
    let mut code_len = 0;
    for (i, &b) in bytes.iter().take(3).enumerate() {
        code = code * 10 + usize::from(b - b'0');
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
    let mut scratch = String::new();
    if let Some(region) = source_for_parse(code, national.trim_start_matches('0')) {
        national = region.strip_national_prefix(national, &mut scratch);
    }
    // `MIN_LENGTH_FOR_NSN`, `MAX_LENGTH_FOR_NSN`, `NationalNumber::from_str`.
    if national.len() < 2 || national.len() > 17 {
        return None;
    }
    let zeros = national.bytes().take_while(|&b| b == b'0').count();
    let value: u64 = national[zeros..].parse().ok()?;
    if value >= 1 << 56 {
        return None;
    }
    Some((code, zeros as u8, value))
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
