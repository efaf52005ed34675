//! Our phone verdict against `phonenumber::parse(..).is_valid()` on every
//! region's example numbers of every type, and mutations of them.
//!
//! Ours may only be stricter, and only where the crate's verdict rests on a
//! pattern that matches the start of the national number but not all of it
//! (the crate anchors its metadata patterns at the start only); each such
//! case is proven here with an independent, fully anchored matcher.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use phonenumber::{Type, country};
use regex::{Regex, RegexBuilder};
use usercsv::{ErrorCode, Schema, Validator, ValidatorBuilder};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Invalid,
    NotMobile,
    Mobile,
}

fn ours(validator: &Validator, value: &str) -> Verdict {
    let errs = validator.check_value("businessMobilePhone", value).unwrap();
    match errs.first() {
        None => Verdict::Mobile,
        Some(first) if first.0 == ErrorCode::PhoneNotMobile => Verdict::NotMobile,
        Some(_) => {
            assert_eq!(errs[0].0, ErrorCode::Phone, "{value}: {errs:?}");
            Verdict::Invalid
        }
    }
}

fn is_mobile(kind: Type) -> bool {
    matches!(kind, Type::Mobile | Type::FixedLineOrMobile)
}

/// The crate's verdict, and its parsed number.
fn crate_verdict(
    region: Option<country::Id>,
    value: &str,
) -> (Verdict, Option<phonenumber::PhoneNumber>) {
    let Ok(parsed) = phonenumber::parse(region, value) else {
        return (Verdict::Invalid, None);
    };
    let verdict = if !parsed.is_valid() {
        Verdict::Invalid
    } else if is_mobile(parsed.number_type(&DATABASE)) {
        Verdict::Mobile
    } else {
        Verdict::NotMobile
    };
    (verdict, Some(parsed))
}

/// Fully anchored matching of a descriptor, independent of the crate's.
fn full_match(desc: &Descriptor, national: &str) -> bool {
    let lengths = desc.possible_length();
    if !lengths.is_empty() && !lengths.contains(&(national.len() as u16)) {
        return false;
    }
    thread_local! {
        static COMPILED: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
    }
    let source = format!("^(?:{})$", desc.national_number().as_str());
    COMPILED.with(|compiled| {
        compiled
            .borrow_mut()
            .entry(source.clone())
            .or_insert_with(|| {
                RegexBuilder::new(&source)
                    .ignore_whitespace(true)
                    .build()
                    .unwrap()
            })
            .is_match(national)
    })
}

fn descriptors(meta: &Metadata) -> Vec<(Type, &Descriptor)> {
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
        (Type::FixedLine, d.fixed_line()),
        (Type::Mobile, d.mobile()),
    ]
    .into_iter()
    .filter_map(|(t, desc)| Some((t, desc?)))
    .collect()
}

fn regions_of(code: u16) -> Vec<&'static Metadata> {
    let ids = DATABASE.region(&code).unwrap_or_default();
    ids.iter()
        .filter_map(|id| {
            if *id == "001" {
                DATABASE.by_code(&code)?.into_iter().next()
            } else {
                DATABASE.by_id(*id)
            }
        })
        .collect()
}

/// Whether some region of `code` makes `national` a valid number (mobile
/// only when `mobile`) with every pattern matched in full.
fn fully_anchored(code: u16, national: &str, mobile: bool) -> bool {
    regions_of(code).into_iter().any(|meta| {
        full_match(meta.descriptors().general(), national)
            && descriptors(meta).into_iter().any(|(t, desc)| {
                (!mobile || t == Type::Mobile || is_fixed_or_mobile(meta, t))
                    && full_match(desc, national)
            })
    })
}

fn is_fixed_or_mobile(meta: &Metadata, t: Type) -> bool {
    let d = meta.descriptors();
    t == Type::FixedLine
        && d.fixed_line().map(|f| f.national_number().as_str())
            == d.mobile().map(|m| m.national_number().as_str())
}

/// Proof that the crate's verdict for `parsed` rests on a start-only match:
/// no region of its code matches its national number fully for that verdict.
fn start_only(parsed: &phonenumber::PhoneNumber, crate_says: Verdict) -> bool {
    let national = parsed.national().to_string();
    let code = parsed.code().value();
    match crate_says {
        Verdict::Mobile => !fully_anchored(code, &national, true),
        Verdict::NotMobile => !fully_anchored(code, &national, false),
        Verdict::Invalid => false,
    }
}

fn mutations(example: &str) -> Vec<String> {
    let mut out = vec![
        example.to_string(),
        format!("{example}0"),
        format!("{example}98"),
        format!("0{example}"),
    ];
    let bytes = example.as_bytes();
    if bytes.len() > 2 {
        out.push(example[..example.len() - 1].to_string());
        out.push(example[..example.len() - 2].to_string());
        out.push(example[1..].to_string());
        for at in [0, bytes.len() / 2, bytes.len() - 1] {
            for delta in [1u8, 7] {
                let mut changed = bytes.to_vec();
                changed[at] = b'0' + (changed[at] - b'0' + delta) % 10;
                out.push(String::from_utf8(changed).unwrap());
            }
        }
    }
    out
}

/// The shapes people write: E.164, spaces, hyphens, dots, slashes,
/// parentheses, a national prefix in parentheses, and the shapes without a
/// space that the crate reads as RFC 3966 (the country code then ends at the
/// first separator, so `+CCNN-rest` has the code `CCNN`).
fn formats(code: u16, national: &str, i: usize) -> String {
    let split = national.len().min(2);
    let (a, b) = (&national[..split], &national[split..]);
    match i % 12 {
        0 => format!("+{code}{national}"),
        1 => format!("+{code} {national}"),
        2 => format!("+{code} {a} {b}"),
        3 => format!("+{code}-{a}-{b}"),
        4 => format!("+{code} {a}-{b}"),
        5 => format!("+{code} ({a}) {b}"),
        6 => format!("+{code}.{a}.{b}"),
        7 => format!("+{code}/{a}/{b}"),
        8 => format!("+{code} (0){a} {b}"),
        9 => format!("+{code}{a}-{b}"),
        10 => format!("+{code} {a}/{b}."),
        _ => format!("(+{code}) {a} {b}"),
    }
}

/// The same for a national number (with its national prefix or not).
fn national_formats(national: &str) -> Vec<String> {
    let split = national.len().min(3);
    let (a, b) = (&national[..split], &national[split..]);
    vec![
        national.to_string(),
        format!("{a} {b}"),
        format!("{a}-{b}"),
        format!("({a}) {b}"),
        format!("{a}/{b}"),
        format!("{a}.{b}"),
        format!("({a}){b}"),
    ]
}

/// Ours normalises a valid number to the crate's E.164.
fn same_e164(validator: &Validator, value: &str, parsed: Option<&phonenumber::PhoneNumber>) {
    let Some(parsed) = parsed else { return };
    let ours = validator.normalize("businessMobilePhone", value).unwrap();
    if ours.starts_with('+') {
        let theirs = phonenumber::format(parsed)
            .mode(phonenumber::Mode::E164)
            .to_string();
        assert_eq!(ours, theirs, "{value}");
    }
}

#[derive(Default)]
struct Counts {
    checked: usize,
    agree: usize,
    stricter_proven: usize,
    by_verdict: BTreeMap<String, usize>,
}

impl Counts {
    fn record(
        &mut self,
        value: &str,
        ours: Verdict,
        theirs: Verdict,
        parsed: Option<&phonenumber::PhoneNumber>,
    ) {
        self.checked += 1;
        *self.by_verdict.entry(format!("{theirs:?}")).or_default() += 1;
        if ours == theirs {
            self.agree += 1;
            return;
        }
        let parsed =
            parsed.unwrap_or_else(|| panic!("{value}: ours {ours:?}, the crate cannot parse it"));
        // A difference must be ours rejecting what the crate accepts only by
        // a start-anchored match, or the crate calling a number by a type
        // whose pattern only matches its start.
        let proven = match (ours, theirs) {
            (Verdict::Invalid, _) | (Verdict::NotMobile, Verdict::Mobile) => {
                start_only(parsed, theirs)
            }
            (Verdict::Mobile, Verdict::NotMobile) => {
                // Ours is mobile with full matches; the crate's type won by a
                // start-only match of an earlier type.
                let national = parsed.national().to_string();
                fully_anchored(parsed.code().value(), &national, true)
                    && crate_type_is_start_only(parsed)
            }
            _ => false,
        };
        assert!(
            proven,
            "{value}: ours {ours:?}, crate {theirs:?}, national {}",
            parsed.national()
        );
        self.stricter_proven += 1;
    }
}

/// The crate's type for `parsed` comes from a descriptor that does not match
/// the national number in full.
fn crate_type_is_start_only(parsed: &phonenumber::PhoneNumber) -> bool {
    let Some(meta) = parsed.metadata(&DATABASE) else {
        return false;
    };
    let kind = parsed.number_type(&DATABASE);
    let national = parsed.national().value().to_string();
    match meta.descriptors().get(kind) {
        Some(desc) => !full_match(desc, &national),
        None => false,
    }
}

#[test]
fn ours_agrees_with_the_crate_or_is_proven_stricter() {
    let mobile = Validator::new(&Schema::users()).unwrap();
    let mut metas: Vec<&Metadata> = DATABASE.iter().collect();
    metas.sort_by_key(|m| (m.country_code(), m.id().to_string()));
    let all = metas.len();
    // The crate compiles and matches its patterns slowly without
    // optimisations: a debug build checks a fixed tenth of the regions plus
    // those with shared or unusual codes, a release build (or
    // USERCSV_PHONE_ALL=1) every region.
    if cfg!(debug_assertions) && std::env::var_os("USERCSV_PHONE_ALL").is_none() {
        const ALWAYS: &[&str] = &[
            "NL", "US", "CA", "JM", "GB", "JE", "DE", "FR", "IT", "VA", "IN", "BR", "AR", "MX",
            "RU", "KZ", "CN", "AU", "IL", "AT", "001",
        ];
        metas = metas
            .into_iter()
            .enumerate()
            .filter(|(i, m)| i % 10 == 0 || ALWAYS.contains(&m.id()))
            .map(|(_, m)| m)
            .collect();
    }
    println!("regions: {} of {all}", metas.len());
    let mut international = Counts::default();
    let mut national = Counts::default();
    let mut i = 0usize;
    for &meta in &metas {
        let code = meta.country_code();
        let examples: Vec<&str> = descriptors(meta)
            .into_iter()
            .filter_map(|(_, d)| d.example())
            .collect();
        for example in &examples {
            for variant in mutations(example) {
                i += 1;
                let value = formats(code, &variant, i);
                let theirs = crate_verdict(None, &value);
                let verdict = ours(&mobile, &value);
                if verdict != Verdict::Invalid && theirs.0 != Verdict::Invalid {
                    same_e164(&mobile, &value, theirs.1.as_ref());
                }
                international.record(&value, verdict, theirs.0, theirs.1.as_ref());
            }
        }
        // National format under the region as default region.
        let Ok(id) = meta.id().parse::<country::Id>() else {
            continue;
        };
        let regional = ValidatorBuilder::new()
            .phone_region(Some(meta.id()))
            .build(&Schema::users())
            .unwrap();
        let prefix = meta.national_prefix().unwrap_or("");
        for example in examples.iter().take(2) {
            let variants = [
                format!("{prefix}{example}"),
                example.to_string(),
                format!("{prefix}{}", &example[..example.len() - 1]),
            ];
            for variant in variants.iter().flat_map(|v| national_formats(v)) {
                let theirs = crate_verdict(Some(id), &variant);
                let verdict = ours(&regional, &variant);
                if verdict != Verdict::Invalid && theirs.0 != Verdict::Invalid {
                    same_e164(&regional, &variant, theirs.1.as_ref());
                }
                national.record(&variant, verdict, theirs.0, theirs.1.as_ref());
            }
        }
    }
    for (name, counts) in [("international", &international), ("national", &national)] {
        println!(
            "{name}: {} numbers, {} agree, {} proven stricter (start-only anchoring); crate verdicts {:?}",
            counts.checked, counts.agree, counts.stricter_proven, counts.by_verdict
        );
    }
    let scale = metas.len() as f64 / all as f64;
    assert!(
        international.checked as f64 > 12_000.0 * scale,
        "{}",
        international.checked
    );
    for verdict in ["Mobile", "NotMobile", "Invalid"] {
        assert!(international.by_verdict[verdict] as f64 > 1_000.0 * scale);
    }
    assert!(national.checked as f64 > 1_000.0 * scale);
    // The known case from the crate's issue tracker (#31).
    let (theirs, parsed) = crate_verdict(None, "+97233142764978");
    assert_eq!(theirs, Verdict::NotMobile);
    assert!(start_only(parsed.as_ref().unwrap(), theirs));
    assert_eq!(ours(&mobile, "+97233142764978"), Verdict::Invalid);
}
