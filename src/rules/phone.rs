//! The `phone` rule.

use std::fmt::Write as _;

use phonenumber::Type;
use phonenumber::country::Id;

use super::failure::{ErrorCode, Failure};
use super::phone_meta::{self, RegionId, classify_from};
use crate::error::SchemaError;
use crate::schema::PhoneRule;

/// A compiled phone rule.
#[derive(Clone, Debug)]
pub(crate) struct PhoneCheck {
    region: Option<(RegionId, u16)>,
    region_name: Option<String>,
    mobile_only: bool,
}

/// A phone number that passed the character checks and was parsed.
pub(crate) struct ParsedPhone {
    pub code: u16,
    /// Digits of the national significant number, leading zeros included.
    pub national: NationalDigits,
    pub extension: Option<String>,
}

/// The national number as digits on the stack: no allocation on the hot path.
pub(crate) struct NationalDigits {
    buf: [u8; 24],
    len: usize,
}

impl NationalDigits {
    /// From digits already in that form (at most 17 of them).
    fn from_digits(digits: &[u8]) -> NationalDigits {
        let mut buf = [b'0'; 24];
        let len = digits.len().min(buf.len());
        buf[..len].copy_from_slice(&digits[..len]);
        NationalDigits { buf, len }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits were written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl PhoneCheck {
    pub fn compile(column: &str, rule: &PhoneRule) -> Result<PhoneCheck, SchemaError> {
        let region = match &rule.default_region {
            None => None,
            Some(name) => {
                let upper = name.trim().to_ascii_uppercase();
                let _: Id = upper.parse().map_err(|_| {
                    SchemaError::rule(
                        column,
                        format!(
                            "unknown phone region \"{name}\": expected an ISO 3166 alpha-2 code such as NL or US"
                        ),
                    )
                })?;
                let region = phone_meta::region(&upper).ok_or_else(|| {
                    SchemaError::rule(column, format!("no phone metadata for region \"{name}\""))
                })?;
                Some(region)
            }
        };
        Ok(PhoneCheck {
            region,
            region_name: rule
                .default_region
                .as_ref()
                .map(|r| r.trim().to_ascii_uppercase()),
            mobile_only: rule.mobile_only,
        })
    }

    fn kind(&self) -> &'static str {
        if self.mobile_only {
            "a mobile phone number"
        } else {
            "a phone number"
        }
    }

    /// What the rule accepts, as a noun phrase; the messages and the
    /// guide both say it this way.
    pub(crate) fn accepts(&self) -> String {
        let kind = self.kind();
        match &self.region_name {
            None => format!("{kind} in international format, e.g. +31 6 12345678"),
            Some(region) => {
                format!(
                    "{kind} in international format (+CC) or in the national format of {region}"
                )
            }
        }
    }

    fn fail(&self, value: &str, hint: Option<&str>) -> Failure {
        let mut detail = format!("expected {}, found \"{value}\"", self.accepts());
        if let Some(hint) = hint {
            let _ = write!(detail, " ({hint})");
        }
        Failure::new(ErrorCode::Phone, detail)
    }

    /// A number that parsed but is no number of its country: of the right
    /// length, it is in a range not in use (asking for the international
    /// format it already has would mislead); else the format is explained.
    #[cold]
    fn fail_unknown(&self, value: &str, code: u16, national: &[u8]) -> Failure {
        let Some(region) = phone_meta::unassigned_region(code, national) else {
            return self.fail(value, None);
        };
        let country = if region == "001" {
            format!("+{code}")
        } else {
            format!("{region} (+{code})")
        };
        Failure::new(
            ErrorCode::Phone,
            format!(
                "expected {}, found \"{value}\", which is not a valid {country} number: the format is right, but no number in use there has these digits (check the number)",
                self.kind()
            ),
        )
    }

    /// Parses and classifies; the fast path allocates nothing for valid values
    /// without extension.
    pub fn parse(&self, value: &str) -> Result<(ParsedPhone, Type), Failure> {
        // The common shape, `+` with digits and spaces only, in one pass: no
        // extension, spreadsheet hint or character check applies to it.
        if let Some((buf, len)) = plus_digits(value) {
            let (code, national, first) = self.international(value, &buf[..len])?;
            return self.classify(value, code, national, first, None);
        }
        let (number, extension) = split_extension(value);
        if let Some(hint) = mangling_hint(number) {
            return Err(self.fail(value, Some(hint)));
        }
        if !has_only_phone_chars(number) {
            // A non-breaking or zero-width space looks like a space or
            // nothing: say so, or the message would show no culprit.
            let hint = if number.chars().any(super::email::is_invisible) {
                "it contains an invisible space, often pasted from a web page or document: retype the number"
            } else {
                "only digits, spaces, a leading + and ( ) . / - are allowed"
            };
            return Err(self.fail(value, Some(hint)));
        }
        let international = number.strip_prefix('(').unwrap_or(number).starts_with('+');
        let region = match (international, self.region) {
            (true, _) => None,
            (false, Some((id, _))) => Some(id),
            (false, None) => {
                let digits = number.bytes().filter(u8::is_ascii_digit).count();
                let hint = if digits >= 10 && !number.starts_with('0') {
                    "the leading + and country code are missing: a spreadsheet may have stored the number as a number; format the cell as text and write it as +CC…"
                } else {
                    "the number must start with + and the country code"
                };
                return Err(self.fail(value, Some(hint)));
            }
        };
        let (code, national, first) = match international.then(|| plus_digits(number)) {
            Some(Some((buf, len))) => self.international(value, &buf[..len])?,
            _ => self.written(value, number, region)?,
        };
        if !international
            && self
                .region
                .is_some_and(|(_, region_code)| region_code != code)
        {
            return Err(self.fail(value, None));
        }
        self.classify(value, code, national, first, extension)
    }

    /// [`phone_meta::parse_international`] of the digits after `+`.
    fn international(
        &self,
        value: &str,
        digits: &[u8],
    ) -> Result<(u16, NationalDigits, usize), Failure> {
        // Only a region that rewrites the number writes to it (and allocates).
        let mut scratch = Vec::new();
        phone_meta::parse_international(digits, &mut scratch)
            .map(|p| (p.code, NationalDigits::from_digits(p.national), p.first))
            .ok_or_else(|| self.fail(value, None))
    }

    /// [`phone_meta::parse_written`]: any other shape the character check
    /// lets through.
    fn written(
        &self,
        value: &str,
        number: &str,
        region: Option<RegionId>,
    ) -> Result<(u16, NationalDigits, usize), Failure> {
        let mut buf = [0; phone_meta::MAX_DIGITS];
        let mut scratch = Vec::new();
        phone_meta::parse_written(number, region, &mut buf, &mut scratch)
            .map(|p| (p.code, NationalDigits::from_digits(p.national), p.first))
            .ok_or_else(|| self.fail(value, None))
    }

    fn classify(
        &self,
        value: &str,
        code: u16,
        national: NationalDigits,
        first: usize,
        extension: Option<&str>,
    ) -> Result<(ParsedPhone, Type), Failure> {
        let kind = classify_from(code, national.as_bytes(), first)
            .map(|c| c.kind)
            .ok_or_else(|| self.fail_unknown(value, code, national.as_bytes()))?;
        Ok((
            ParsedPhone {
                code,
                national,
                extension: extension.map(str::to_string),
            },
            kind,
        ))
    }

    pub fn check(&self, value: &str) -> Result<(), Failure> {
        let (_, kind) = self.parse(value)?;
        if self.mobile_only && !matches!(kind, Type::Mobile | Type::FixedLineOrMobile) {
            return Err(Failure::new(
                ErrorCode::PhoneNotMobile,
                format!(
                    "expected a mobile phone number, found \"{value}\", which is a {} number",
                    type_name(kind)
                ),
            ));
        }
        Ok(())
    }

    /// E.164 form (`+31612345678`), with `;ext=` for an extension.
    pub fn normalize(&self, value: &str) -> Option<String> {
        let (parsed, _) = self.parse(value).ok()?;
        // Pushed, not formatted: a full sync normalises every phone cell.
        let national = parsed.national.as_str();
        let mut out = String::with_capacity(4 + national.len());
        out.push('+');
        push_decimal(&mut out, u64::from(parsed.code));
        out.push_str(national);
        if let Some(ext) = parsed.extension {
            out.push_str(";ext=");
            out.push_str(&ext);
        }
        Some(out)
    }

    /// A value that passes this rule.
    pub fn example(&self) -> String {
        let region = self.region_name.as_deref().unwrap_or("NL");
        match phone_meta::example_mobile(region) {
            Some((code, national)) => format!("+{code}{national}"),
            None => "+31612345678".to_string(),
        }
    }
}

fn type_name(kind: Type) -> &'static str {
    match kind {
        Type::FixedLine => "fixed-line",
        Type::Mobile => "mobile",
        Type::FixedLineOrMobile => "fixed-line or mobile",
        Type::TollFree => "toll-free",
        Type::PremiumRate => "premium-rate",
        Type::SharedCost => "shared-cost",
        Type::PersonalNumber => "personal",
        Type::Voip => "VoIP",
        Type::Pager => "pager",
        Type::Uan => "UAN",
        Type::Emergency => "emergency",
        Type::Voicemail => "voicemail",
        _ => "non-mobile",
    }
}

/// Splits a trailing extension: ` ext. 12`, ` ext 12`, ` x12`, `#12`, `;ext=12`.
fn split_extension(value: &str) -> (&str, Option<&str>) {
    let bytes = value.as_bytes();
    let mut end = bytes.len();
    while end > 0 && bytes[end - 1].is_ascii_digit() {
        end -= 1;
    }
    let digits = &value[end..];
    if digits.is_empty() || digits.len() > 7 || end == bytes.len() || end == 0 {
        return (value, None);
    }
    let head = value[..end].trim_end();
    for marker in [";ext=", "ext.", "ext", "x", "#"] {
        let Some(cut) = head.len().checked_sub(marker.len()) else {
            continue;
        };
        if head.as_bytes()[cut..].eq_ignore_ascii_case(marker.as_bytes()) {
            let number = head[..cut].trim_end();
            // `x` must be separated from the number, so that `+3161x2` is not split.
            if marker == "x" && number.len() == cut {
                continue;
            }
            if number.bytes().any(|b| b.is_ascii_digit()) {
                return (number, Some(digits));
            }
        }
    }
    (value, None)
}

/// The digits of a number written as `+`, digits and spaces (ending in a
/// digit), or as that with hyphens, dots and slashes as well when it has a
/// space (`+1 650-253-0000`, `+7 912 345-67-89`): the shapes
/// [`phone_meta::parse_international`] mirrors the crate for. With a space
/// the crate extracts the digits from `+` to the last digit (no RFC 3966
/// reading, which a space rules out), and only `( )` would matter beyond
/// them; `None` for any other shape.
fn plus_digits(number: &str) -> Option<([u8; 32], usize)> {
    let body = number.as_bytes().strip_prefix(b"+")?;
    if !body.last().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut buf = [0u8; 32];
    let mut len = 0;
    let (mut space, mut other) = (false, false);
    for &b in body {
        match b {
            b'0'..=b'9' => {
                *buf.get_mut(len)? = b;
                len += 1;
            }
            b' ' => space = true,
            b'-' | b'.' | b'/' => other = true,
            _ => return None,
        }
    }
    // Hyphens or dots without a space may be RFC 3966 (`+1-650-…`), where
    // the first group is the country code as written: the general path.
    (space || !other).then_some((buf, len))
}

fn has_only_phone_chars(number: &str) -> bool {
    let bytes = number.as_bytes();
    // `+` only first, or right after a first `(` as in `(+44) 20 7946 0958`.
    let body = bytes
        .strip_prefix(b"+")
        .or_else(|| bytes.strip_prefix(b"(+"))
        .unwrap_or(bytes);
    body.iter().any(u8::is_ascii_digit)
        && body
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'(' | b')' | b'.' | b'/' | b'-'))
}

/// Recognises numbers that a spreadsheet turned into a number.
fn mangling_hint(number: &str) -> Option<&'static str> {
    if !number.bytes().any(|b| b == b'e' || b == b'E') {
        return None;
    }
    let upper = number.to_ascii_uppercase();
    if let Some((mantissa, exponent)) = upper.split_once("E+") {
        let mantissa_ok = !mantissa.is_empty()
            && mantissa
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b',');
        if mantissa_ok && !exponent.is_empty() && exponent.bytes().all(|b| b.is_ascii_digit()) {
            return Some(
                "a spreadsheet turned the number into scientific notation and lost digits; format the column as text and re-enter the number as +CC…",
            );
        }
    }
    None
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut String, n: u64) {
    if n >= 10 {
        push_decimal(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rule: PhoneRule, value: &str) -> Result<(), ErrorCode> {
        PhoneCheck::compile("phone", &rule)
            .unwrap()
            .check(value)
            .map_err(|f| f.code)
    }

    fn mobile() -> PhoneRule {
        PhoneRule {
            default_region: None,
            mobile_only: true,
        }
    }

    /// A non-breaking or zero-width space is named, as the e-mail rule
    /// names it: the value shown looks like it has only allowed characters.
    #[test]
    fn an_invisible_space_is_named() {
        let check = PhoneCheck::compile("phone", &mobile()).unwrap();
        for value in [
            "+44\u{a0}7911\u{a0}123456",
            "+44 7911\u{202f}123456",
            "+44 7911 12\u{200b}3456",
        ] {
            let failure = check.check(value).unwrap_err();
            assert_eq!(failure.code, ErrorCode::Phone);
            assert_eq!(
                failure.detail,
                format!(
                    "expected {}, found \"{value}\" (it contains an invisible space, often pasted from a web page or document: retype the number)",
                    check.accepts()
                )
            );
        }
        let failure = check.check("+44 7911 12345x").unwrap_err();
        assert!(
            failure
                .detail
                .ends_with("(only digits, spaces, a leading + and ( ) . / - are allowed)"),
            "{}",
            failure.detail
        );
    }

    #[test]
    fn international_mobiles_pass() {
        for value in [
            "+31612345678",
            "+31 6 12345678",
            "+31 (0)6-1234 5678",
            "+44 7911 123456",
            "+1 650 253 0000",
            "+49 151 23456789",
            "+33 6 12 34 56 78",
        ] {
            assert_eq!(check(mobile(), value), Ok(()), "{value}");
        }
    }

    #[test]
    fn start_anchored_pitfall_is_rejected() {
        // The crate accepts this because its patterns only anchor at the start.
        let parsed = phonenumber::parse(None, "+97233142764978").unwrap();
        assert!(parsed.is_valid());
        assert_eq!(
            check(PhoneRule::default(), "+97233142764978"),
            Err(ErrorCode::Phone)
        );
    }

    #[test]
    fn letters_are_rejected_before_the_crate_sees_them() {
        assert_eq!(check(mobile(), "+3161234567a"), Err(ErrorCode::Phone));
        assert_eq!(check(mobile(), "+31 6 CALLME"), Err(ErrorCode::Phone));
    }

    #[test]
    fn national_format_needs_a_region() {
        assert_eq!(check(mobile(), "0612345678"), Err(ErrorCode::Phone));
        let nl = PhoneRule {
            default_region: Some("NL".into()),
            mobile_only: true,
        };
        assert_eq!(check(nl.clone(), "06 12345678"), Ok(()));
        assert_eq!(check(nl, "+44 7911 123456"), Ok(()));
    }

    #[test]
    fn fixed_line_is_not_mobile() {
        assert_eq!(
            check(mobile(), "+31 20 123 4567"),
            Err(ErrorCode::PhoneNotMobile)
        );
        assert_eq!(check(PhoneRule::default(), "+31 20 123 4567"), Ok(()));
        // US numbers are fixed-line-or-mobile.
        assert_eq!(check(mobile(), "+1 650 253 0000"), Ok(()));
    }

    #[test]
    fn too_short_too_long_and_junk() {
        for value in [
            "+316123",
            "+3161234567899",
            "+",
            "+-",
            "++31612345678",
            "+999 12345678",
        ] {
            assert_eq!(check(mobile(), value), Err(ErrorCode::Phone), "{value}");
        }
    }

    #[test]
    fn unused_ranges_are_not_valid_numbers_of_their_country() {
        let c = PhoneCheck::compile("p", &mobile()).unwrap();
        let f = c.check("+31 6 99990001").unwrap_err();
        assert_eq!(f.code, ErrorCode::Phone);
        assert_eq!(
            f.detail,
            "expected a mobile phone number, found \"+31 6 99990001\", which is not a valid NL (+31) number: the format is right, but no number in use there has these digits (check the number)"
        );
        // A wrong length still explains the format.
        let f = c.check("+316123").unwrap_err();
        assert!(f.detail.contains("in international format"), "{}", f.detail);
        // The national format with a region gives the same verdict.
        let nl = PhoneCheck::compile(
            "p",
            &PhoneRule {
                default_region: Some("NL".into()),
                mobile_only: false,
            },
        )
        .unwrap();
        let f = nl.check("06 99990001").unwrap_err();
        assert!(
            f.detail.contains("not a valid NL (+31) number"),
            "{}",
            f.detail
        );
    }

    #[test]
    fn extensions() {
        assert_eq!(
            check(PhoneRule::default(), "+31 20 123 4567 ext. 12"),
            Ok(())
        );
        assert_eq!(check(PhoneRule::default(), "+31 20 123 4567 x12"), Ok(()));
        assert_eq!(
            split_extension("+31 20 123 4567 #12"),
            ("+31 20 123 4567", Some("12"))
        );
        assert_eq!(split_extension("+31612345678"), ("+31612345678", None));
    }

    #[test]
    fn spreadsheet_mangling_is_explained() {
        let c = PhoneCheck::compile("p", &mobile()).unwrap();
        let f = c.check("3.16123E+10").unwrap_err();
        assert_eq!(f.code, ErrorCode::Phone);
        assert!(f.detail.contains("scientific notation"), "{}", f.detail);
        let f = c.check("31612345678").unwrap_err();
        assert!(
            f.detail.contains("leading + and country code are missing"),
            "{}",
            f.detail
        );
    }

    #[test]
    fn unknown_region_is_a_schema_error() {
        let rule = PhoneRule {
            default_region: Some("XX".into()),
            mobile_only: false,
        };
        let err = PhoneCheck::compile("p", &rule).unwrap_err();
        assert!(
            err.to_string().contains("unknown phone region \"XX\""),
            "{err}"
        );
    }

    #[test]
    fn normalizes_to_e164() {
        let c = PhoneCheck::compile("p", &mobile()).unwrap();
        assert_eq!(
            c.normalize("+31 6 12345678").as_deref(),
            Some("+31612345678")
        );
        assert_eq!(
            c.normalize("+39 02 1234 5678").as_deref(),
            Some("+390212345678")
        );
    }

    #[test]
    fn every_written_shape_on_our_tables() {
        let any = PhoneCheck::compile("p", &PhoneRule::default()).unwrap();
        let nl = PhoneCheck::compile(
            "p",
            &PhoneRule {
                default_region: Some("NL".into()),
                mobile_only: false,
            },
        )
        .unwrap();
        for (check, value, e164) in [
            (&any, "+1 650-253-0000", Some("+16502530000")),
            (&any, "+1-650-253-0000", Some("+16502530000")),
            (&any, "+1.650.253.0000", Some("+16502530000")),
            (&any, "+1 (650) 253-0000", Some("+16502530000")),
            (&any, "+44 (0)20 7946 0958", Some("+442079460958")),
            (&any, "+44(0)20-7946-0958", Some("+442079460958")),
            (&any, "(+44) 7911 123456", Some("+447911123456")),
            (&any, "+49/151/23456789", Some("+4915123456789")),
            (&any, "+7 912 345-67-89", Some("+79123456789")),
            (&any, "+82 10-2000-8237", Some("+821020008237")),
            // RFC 3966 without spaces: the code runs to the first separator.
            (&any, "+316-12345678", None),
            (&any, "06-12345678", None),
            (&nl, "06-12345678", Some("+31612345678")),
            (&nl, "(06) 12345678", Some("+31612345678")),
            (&nl, "020 123 4567", Some("+31201234567")),
            (&nl, "0031 6 12345678", Some("+31612345678")),
            (&nl, "0044 7911 123456", None),
            (&nl, "+44 7911 123456", Some("+447911123456")),
        ] {
            assert_eq!(check.normalize(value).as_deref(), e164, "{value}");
        }
    }

    #[test]
    fn example_passes() {
        let c = PhoneCheck::compile("p", &mobile()).unwrap();
        assert_eq!(c.check(&c.example()), Ok(()));
    }

    #[test]
    fn national_digits_keep_leading_zeros() {
        assert_eq!(
            NationalDigits::from_digits(b"0212345678").as_str(),
            "0212345678"
        );
    }

    proptest::proptest! {
        /// `+`, digits, spaces, hyphens, dots and slashes: the fast path
        /// (for the shapes it takes) gives what the general path gives.
        #[test]
        fn separated_international_numbers_parse_as_the_general_path_does(
            digits in proptest::sample::select(vec![
                "16502530000", "79123456789", "821020008237", "447911123456",
                "31612345678", "33612345678", "4915123456789", "2367001456",
            ]),
            cuts in proptest::collection::vec((1usize..12, proptest::sample::select(vec![' ', '-', '.', '/'])), 0..4),
            swap in proptest::option::of((0usize..12, 0u8..10)),
            region in proptest::sample::select(vec![None, Some("NL"), Some("US")]),
        ) {
            // A real number, grouped by separators at random places, now
            // and then with one digit changed.
            let mut digits: Vec<u8> = digits.bytes().collect();
            if let Some((at, d)) = swap {
                let at = at % digits.len();
                digits[at] = b'0' + d;
            }
            let mut cuts = cuts;
            cuts.sort_unstable_by_key(|&(at, _)| std::cmp::Reverse(at));
            let mut body: String = digits.iter().map(|&b| char::from(b)).collect();
            for (at, separator) in cuts {
                if at < body.len() {
                    body.insert(at, separator);
                }
            }
            let check = PhoneCheck::compile(
                "p",
                &PhoneRule { default_region: region.map(str::to_string), mobile_only: false },
            )
            .unwrap();
            let value = format!("+{body}");
            let simple = |r: Result<(ParsedPhone, Type), Failure>| {
                r.map(|(p, kind)| (p.code, p.national.as_bytes().to_vec(), kind)).map_err(|f| f.code)
            };
            let general = check
                .written(&value, &value, None)
                .and_then(|(code, national, _)| check.classify(&value, code, national, 0, None));
            proptest::prop_assert_eq!(simple(check.parse(&value)), simple(general));
        }
    }

    #[test]
    fn hyphens_dots_and_slashes_take_the_fast_path_only_beside_a_space() {
        for (value, fast) in [
            ("+1 650-253-0000", true),
            ("+7 912 345-67-89", true),
            ("+33 6.12.34.56.78", true),
            ("+49 151/23456789", true),
            ("+31 6 12345678", true),
            ("+31612345678", true),
            ("+1-650-253-0000", false),
            ("+1.650.253.0000", false),
            ("+49/151/23456789", false),
            ("+1 (650) 253-0000", false),
            ("+1 650-253-0000 ext 12", false),
        ] {
            assert_eq!(plus_digits(value).is_some(), fast, "{value}");
        }
    }
}
