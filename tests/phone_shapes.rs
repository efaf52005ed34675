//! Our parse of a written number against `phonenumber::parse`, over every
//! region's example numbers written with random separators (spaces,
//! hyphens, dots, slashes, parentheses, `(0)`, `(+CC)`), with and without a
//! default region, and with random digits dropped or added.
//!
//! Ours must never be more lenient than the crate: when we accept a number,
//! the crate accepts it with the same E.164 form. When we refuse a number
//! the crate accepts, the difference must lie in the classification, not in
//! the parse: we also refuse the crate's own reading of it written as
//! `+CC` and digits (whose classification `phone_agreement` and
//! `phone_corpus` hold to the crate's, or prove stricter).

use phonenumber::country;
use phonenumber::metadata::{DATABASE, Metadata};
use usercsv::{Schema, Validator, ValidatorBuilder};

const SCHEMA: &str = r#"
[[columns]]
name = "phone"
phone = {}
"#;

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SEPARATORS: &[&str] = &[" ", " ", "-", "-", ".", "/", " (", ") ", "(", ")", " - "];

/// `digits` with separators put in at random places.
fn written(rng: &mut Rng, digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && rng.below(3) == 0 {
            out.push_str(SEPARATORS[rng.below(SEPARATORS.len())]);
        }
        out.push(c);
    }
    out
}

/// A variant of an example's digits: as is, a digit dropped, changed or
/// added.
fn variant(rng: &mut Rng, example: &str) -> String {
    let mut digits: Vec<u8> = example.bytes().collect();
    let at = rng.below(digits.len());
    match rng.below(6) {
        0 => {
            digits.remove(at);
        }
        1 => digits[at] = b'0' + rng.below(10) as u8,
        2 => digits.insert(at, b'0' + rng.below(10) as u8),
        _ => {}
    }
    String::from_utf8(digits).unwrap()
}

fn ours(validator: &Validator, value: &str) -> Option<String> {
    let errors = validator.check_value("phone", value).unwrap();
    errors
        .is_empty()
        .then(|| validator.normalize("phone", value))
        .flatten()
}

/// The crate's verdict: E.164 when valid, and the E.164 of its reading
/// whether valid or not.
fn the_crate(region: Option<country::Id>, value: &str) -> (Option<String>, Option<String>) {
    match phonenumber::parse(region, value) {
        Ok(parsed) => {
            let e164 = phonenumber::format(&parsed)
                .mode(phonenumber::Mode::E164)
                .to_string();
            (parsed.is_valid().then(|| e164.clone()), Some(e164))
        }
        Err(_) => (None, None),
    }
}

#[test]
fn written_shapes_parse_as_the_crate_parses_them() {
    let schema = Schema::from_toml_str(SCHEMA).unwrap();
    let international = Validator::new(&schema).unwrap();
    let mut metas: Vec<&Metadata> = DATABASE.iter().collect();
    metas.sort_by_key(|m| (m.country_code(), m.id().to_string()));
    let all = std::env::var_os("USERCSV_PHONE_ALL").is_some() || !cfg!(debug_assertions);
    let mut rng = Rng(15);
    let (mut checked, mut accepted, mut stricter) = (0usize, 0usize, 0usize);
    for (i, meta) in metas.iter().enumerate() {
        if !all
            && i % 4 != 0
            && !["NL", "US", "GB", "DE", "BR", "AR", "MX", "RU", "IT"].contains(&meta.id())
        {
            continue;
        }
        let code = meta.country_code();
        let id = meta.id().parse::<country::Id>().ok();
        let regional = id.map(|_| {
            ValidatorBuilder::new()
                .phone_region(Some(meta.id()))
                .build(&schema)
                .unwrap()
        });
        let d = meta.descriptors();
        let examples: Vec<&str> = [d.fixed_line(), d.mobile(), d.toll_free(), d.voip()]
            .into_iter()
            .flatten()
            .filter_map(|d| d.example())
            .collect();
        let prefix = meta.national_prefix().unwrap_or("");
        for example in examples {
            for _ in 0..12 {
                let digits = variant(&mut rng, example);
                let mut cases: Vec<(Option<country::Id>, String)> = vec![
                    (None, format!("+{code} {}", written(&mut rng, &digits))),
                    (
                        None,
                        format!("+{}", written(&mut rng, &format!("{code}{digits}"))),
                    ),
                    (None, format!("(+{code}) {}", written(&mut rng, &digits))),
                    (
                        None,
                        format!("+{code} ({prefix}){}", written(&mut rng, &digits)),
                    ),
                ];
                if id.is_some() {
                    cases.push((id, written(&mut rng, &format!("{prefix}{digits}"))));
                    cases.push((id, written(&mut rng, &digits)));
                    cases.push((id, format!("+{code} {}", written(&mut rng, &digits))));
                }
                for (region, value) in cases {
                    let validator = match region {
                        Some(_) => regional.as_ref().unwrap(),
                        None => &international,
                    };
                    let ours = ours(validator, &value);
                    // A number written with `+` is read as the crate reads
                    // it without a default region (the crate would apply the
                    // default region's national prefix to another country's
                    // number).
                    let plus = value.trim_start_matches('(').starts_with('+');
                    let reference = if plus { None } else { region };
                    let (theirs, reading) = the_crate(reference, &value);
                    checked += 1;
                    if ours.is_some() {
                        accepted += 1;
                        assert_eq!(
                            ours, theirs,
                            "{value} [{region:?}]: more lenient than the crate"
                        );
                        continue;
                    }
                    if let Some(e164) = theirs {
                        // Stricter: only by classification, never by reading.
                        let plain = ours_plain(&international, &e164);
                        assert!(
                            plain.is_none(),
                            "{value} [{region:?}]: the crate reads {reading:?} and accepts it, ours refuses the shape"
                        );
                        stricter += 1;
                    }
                }
            }
        }
    }
    println!(
        "{checked} written numbers, {accepted} accepted, {stricter} refused by classification where the crate accepts"
    );
    assert!(checked > 5_000 && accepted > 1_000, "{checked} {accepted}");
}

fn ours_plain(validator: &Validator, e164: &str) -> Option<String> {
    ours(validator, e164)
}
