//! Per-region phone matchers compiled once from the `phonenumber` metadata.
//!
//! The crate keeps its compiled patterns in a 100-entry cache behind one
//! global lock and matches them anchored at the start only. Here every
//! region's patterns are compiled on first use into fully anchored regexes
//! that live for the whole process, so files with numbers from many countries
//! never recompile anything and threads never contend.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use phonenumber::Type;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex::{Regex, RegexBuilder};

/// One compiled descriptor: possible lengths and a fully anchored pattern.
struct Desc {
    lengths: Vec<u16>,
    pattern: Regex,
    source: &'static str,
}

impl Desc {
    fn compile(desc: &'static Descriptor) -> Option<Desc> {
        let source = desc.national_number().as_str();
        Some(Desc {
            lengths: desc.possible_length().to_vec(),
            pattern: compile_anchored(source, true)?,
            source,
        })
    }

    fn is_match(&self, national: &str) -> bool {
        if !self.lengths.is_empty() && !self.lengths.contains(&(national.len() as u16)) {
            return false;
        }
        self.pattern.is_match(national)
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
}

struct Region {
    meta: &'static Metadata,
    leading_digits: OnceLock<Option<Regex>>,
    patterns: OnceLock<RegionPatterns>,
}

impl Region {
    fn patterns(&self) -> &RegionPatterns {
        self.patterns.get_or_init(|| {
            let d = self.meta.descriptors();
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
            .filter_map(|(kind, desc)| Some((kind, Desc::compile(desc?)?)))
            .collect();
            RegionPatterns {
                general: Desc::compile(d.general()),
                special,
                fixed_line: d.fixed_line().and_then(Desc::compile),
                mobile: d.mobile().and_then(Desc::compile),
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
        let p = self.patterns();
        match &p.general {
            Some(general) if general.is_match(national) => {}
            _ => return Type::Unknown,
        }
        for (kind, desc) in &p.special {
            if desc.is_match(national) {
                return *kind;
            }
        }
        if let Some(fixed) = &p.fixed_line
            && fixed.is_match(national)
        {
            let same_as_mobile = p.mobile.as_ref().map(|m| m.source) == Some(fixed.source);
            if same_as_mobile || p.mobile.as_ref().is_some_and(|m| m.is_match(national)) {
                return Type::FixedLineOrMobile;
            }
            return Type::FixedLine;
        }
        if p.mobile.as_ref().is_some_and(|m| m.is_match(national)) {
            return Type::Mobile;
        }
        Type::Unknown
    }
}

static REGIONS: LazyLock<HashMap<u16, Vec<Region>>> = LazyLock::new(|| {
    let mut by_code: HashMap<u16, Vec<Region>> = HashMap::new();
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
                Some(Region {
                    meta,
                    leading_digits: OnceLock::new(),
                    patterns: OnceLock::new(),
                })
            })
            .collect();
        by_code.insert(code, regions);
    }
    by_code
});

/// What a number is, once its region is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Classified {
    pub region: &'static str,
    pub kind: Type,
}

/// Classifies a national significant number under a country calling code,
/// following the crate's region selection (`source_for`) and type order.
pub(crate) fn classify(code: u16, national: &str) -> Option<Classified> {
    let regions = REGIONS.get(&code)?;
    let region = if regions.len() == 1 {
        &regions[0]
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
