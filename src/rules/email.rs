//! The `email` rule.

use email_address::{EmailAddress, Options};
use wide::u8x16;

use super::failure::{ErrorCode, Failure};

const OPTIONS: Options = Options {
    minimum_sub_domains: 2,
    allow_domain_literal: false,
    allow_display_text: false,
    allow_long_local_parts: false,
};

/// Characters that look like nothing or like a plain space: non-ASCII
/// spaces (NBSP, ...) and zero-width characters.
pub(super) fn is_invisible(c: char) -> bool {
    (!c.is_ascii() && c.is_whitespace())
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{ad}')
}

/// Byte classes for [`plain_address`]: one table load per byte.
const ATEXT: u8 = 1;
const LABEL: u8 = 2;
const LETTER: u8 = 4;
const CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            class[b] |= ATEXT | LABEL;
        }
        if c.is_ascii_alphabetic() {
            class[b] |= LETTER;
        }
        b += 1;
    }
    let mut i = 0;
    let specials = b"!#$%&'*+/=?^_`{|}~-";
    while i < specials.len() {
        class[specials[i] as usize] |= ATEXT;
        i += 1;
    }
    class[b'-' as usize] |= LABEL;
    class
};

/// The common shape `dot.atom@label.label.tld`, all ASCII, checked in one
/// pass without the parser. It accepts a subset of what the strict options
/// accept (a property test holds it to that); anything else goes to the parser.
fn plain_address(value: &str) -> bool {
    let bytes = value.as_bytes();
    let Some(at) = memchr::memchr(b'@', bytes) else {
        return false;
    };
    let (local, domain) = (&bytes[..at], &bytes[at + 1..]);
    if local.is_empty() || local.len() > 64 || domain.len() > 253 || bytes.len() > 254 {
        return false;
    }
    // Dot-separated atoms: no leading, trailing or doubled dot.
    let mut after_dot = true;
    for &b in local {
        if b == b'.' {
            if after_dot {
                return false;
            }
            after_dot = true;
        } else if CLASS[usize::from(b)] & ATEXT != 0 {
            after_dot = false;
        } else {
            return false;
        }
    }
    if after_dot {
        return false;
    }
    // Labels of 1 to 63 letters, digits and inner hyphens; the last one (the
    // top-level domain) of two or more letters. One test a byte; a label's
    // ends and length are checked at its dot.
    let mut start = 0;
    for (i, &b) in domain.iter().enumerate() {
        if b == b'.' {
            if !is_label(&domain[start..i]) {
                return false;
            }
            start = i + 1;
        } else if CLASS[usize::from(b)] & LABEL == 0 {
            return false;
        }
    }
    let tld = &domain[start..];
    start > 0
        && tld.len() >= 2
        && is_label(tld)
        && tld.iter().all(|&b| CLASS[usize::from(b)] & LETTER != 0)
}

/// A domain label of [`LABEL`] bytes: 1 to 63 of them, no hyphen first or
/// last.
#[inline]
fn is_label(label: &[u8]) -> bool {
    match label {
        [first, .., last] => *first != b'-' && *last != b'-' && label.len() <= 63,
        [only] => *only != b'-',
        [] => false,
    }
}

/// The commonest addresses, tested sixteen bytes at a time (safe SIMD,
/// `wide`): at most 64 bytes of letters, digits, `.`, `-`, `_`, `+` and
/// one `@`, every rule of [`plain_address`] read off bit masks of the
/// bytes. `true` only for an address [`plain_address`] accepts; `false`
/// means "ask it" (a property test holds both).
fn simple_address(bytes: &[u8]) -> bool {
    let n = bytes.len();
    if !(3..=64).contains(&n) {
        return false;
    }
    let mut padded = [0u8; 64];
    padded[..n].copy_from_slice(bytes);
    let (mut at, mut dots, mut hyphens, mut letters, mut local_only, mut other) =
        (0, 0, 0, 0, 0, 0);
    for (k, chunk) in padded.chunks_exact(16).enumerate().take(n.div_ceil(16)) {
        let mut sixteen = [0u8; 16];
        sixteen.copy_from_slice(chunk);
        let v = u8x16::new(sixteen);
        let mask = |m: u8x16| u64::from(m.to_bitmask()) << (16 * k);
        let lower = (v | u8x16::splat(0x20)) - u8x16::splat(b'a');
        let letter = lower.min(u8x16::splat(25)).simd_eq(lower);
        let digit_value = v - u8x16::splat(b'0');
        let digit = digit_value.min(u8x16::splat(9)).simd_eq(digit_value);
        let (dot, hyphen) = (v.simd_eq(u8x16::splat(b'.')), v.simd_eq(u8x16::splat(b'-')));
        let at_sign = v.simd_eq(u8x16::splat(b'@'));
        let local = v.simd_eq(u8x16::splat(b'_')) | v.simd_eq(u8x16::splat(b'+'));
        at |= mask(at_sign);
        dots |= mask(dot);
        hyphens |= mask(hyphen);
        letters |= mask(letter);
        local_only |= mask(local);
        other |= mask(!(letter | digit | dot | hyphen | at_sign | local));
    }
    let all = u64::MAX >> (64 - n);
    // Exactly one `@`, and nothing outside the set.
    if other & all != 0 || at.count_ones() != 1 {
        return false;
    }
    let p = at.trailing_zeros() as usize;
    // An `@` first or last: no local part, or no domain (and `p + 1`
    // would shift past the word).
    if p == 0 || p + 1 >= n {
        return false;
    }
    let local = (1u64 << p) - 1;
    let domain = all & !local & !at;
    let (local_dots, domain_dots) = (dots & local, dots & domain);
    // Local part: no dot first, last or doubled.
    if local_dots & (1 | 1 << (p - 1) | local_dots >> 1) != 0 {
        return false;
    }
    // Domain: no `_` or `+`; at least two labels, none empty; no hyphen
    // first or last in a label; a top-level domain of two letters or more.
    let last = n - 1;
    let starts = (1u64 << (p + 1) | domain_dots << 1) & domain;
    let ends = (1u64 << last | domain_dots >> 1) & domain;
    if local_only & domain != 0
        || domain_dots == 0
        || domain_dots & (starts | ends) != 0
        || hyphens & (starts | ends) != 0
    {
        return false;
    }
    let tld_start = 64 - domain_dots.leading_zeros() as usize;
    let before_tld = 1u64
        .checked_shl(tld_start as u32)
        .map_or(u64::MAX, |bit| bit - 1);
    let tld = all & !before_tld;
    last + 1 - tld_start >= 2 && letters & tld == tld
}

/// A compiled e-mail rule: TLD required, no display name, no domain literal.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EmailCheck;

impl EmailCheck {
    /// What the rule accepts, as a noun phrase; the messages and the guide
    /// both say it this way.
    pub(crate) fn accepts(&self) -> String {
        "an e-mail address like name@example.com".to_string()
    }

    pub fn check(&self, value: &str) -> Result<(), Failure> {
        if simple_address(value.as_bytes()) || plain_address(value) {
            return Ok(());
        }
        // The crate allows Unicode local parts, invisible characters included.
        if (value.is_ascii() || !value.chars().any(is_invisible))
            && EmailAddress::parse_with_options(value, OPTIONS).is_ok()
        {
            return Ok(());
        }
        Err(self.fail(value))
    }

    #[cold]
    fn fail(&self, value: &str) -> Failure {
        let local = value.rsplit_once('@').map_or("", |(local, _)| local);
        let long_local;
        let hint = if local.chars().count() > 64 {
            long_local = format!(
                " (the part before @ has {} characters; at most 64 are allowed)",
                local.chars().count()
            );
            long_local.as_str()
        } else if value.chars().any(is_invisible) {
            " (it contains an invisible space, often pasted from a web page or document: retype the address)"
        } else if value.contains('<') {
            " (write the address only, without a name)"
        } else if value.contains(char::is_whitespace) {
            " (it contains a space)"
        } else if value.contains('@') && !value.rsplit('@').next().unwrap_or("").contains('.') {
            " (the domain needs a top-level domain such as .com)"
        } else {
            ""
        };
        Failure::new(
            ErrorCode::Email,
            format!("expected {}, found \"{value}\"{hint}", self.accepts()),
        )
    }
}

/// One mailbox's address with its domain in the ASCII form of
/// internationalised domain names (`ada@xn--bcher-kva.de` for
/// `ada@bücher.de`), so that both spellings compare as one. `None` when the
/// domain is ASCII already (an `xn--` label is that form) or has no ASCII
/// form. `address` is a normalised key (lower case, NFC).
pub(crate) fn ascii_domain_form(address: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    if domain.is_ascii() || !is_domain_sized(domain) {
        return None;
    }
    let ascii = idna::domain_to_ascii(domain).ok()?;
    Some(format!("{local}@{ascii}"))
}

/// Whether `domain` is no longer than a domain name may be (253 bytes,
/// labels of at most 63 in their ASCII form; a Unicode label takes at most
/// four bytes a character): longer text is no domain, and converting
/// it would cost time that grows with the square of a label's length.
fn is_domain_sized(domain: &str) -> bool {
    domain.len() <= 4 * 253 && domain.split('.').all(|label| label.len() <= 4 * 63)
}

/// Whether a domain label is in the ASCII form of an internationalised
/// one (`xn--bcher-kva`).
fn is_ace_label(label: &str) -> bool {
    label.len() > 4 && label.as_bytes()[..4].eq_ignore_ascii_case(b"xn--")
}

/// Whether `address` may have other spellings ([`other_domain_forms`]):
/// a non-ASCII address, or one with `--` (as `xn--` labels have). One cheap
/// test for the usual address, which has neither.
pub(crate) fn may_have_other_forms(address: &str) -> bool {
    !address.is_ascii()
        || memchr::memchr_iter(b'-', address.as_bytes())
            .any(|at| address.as_bytes().get(at + 1) == Some(&b'-'))
}

/// The most spellings of one domain that are tried.
const MAX_FORMS: usize = 64;

/// The other spellings of one mailbox's address under IDNA: each
/// internationalised label of its domain written in Unicode or in its
/// ASCII `xn--` form, in every combination but the one given. Empty for a
/// plain ASCII domain (most addresses). `address` is a normalised key
/// (lower case, NFC).
pub(crate) fn other_domain_forms(address: &str) -> Vec<String> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Vec::new();
    };
    if (domain.is_ascii() && !domain.split('.').any(is_ace_label)) || !is_domain_sized(domain) {
        return Vec::new();
    }
    // Each label's spellings: as written, then for an internationalised
    // one its ASCII form and its Unicode form as IDNA maps it (`ｂücher`,
    // full-width, is `bücher`).
    let labels: Vec<Vec<String>> = domain
        .split('.')
        .map(|label| {
            let mut spellings = vec![label.to_string()];
            if (!label.is_ascii() || is_ace_label(label))
                && let Ok(ascii) = idna::domain_to_ascii(label)
            {
                let (unicode, result) = idna::domain_to_unicode(&ascii);
                for other in [Some(ascii), result.is_ok().then_some(unicode)]
                    .into_iter()
                    .flatten()
                {
                    if !spellings.contains(&other) {
                        spellings.push(other);
                    }
                }
            }
            spellings
        })
        .collect();
    // Every combination, label by label, up to a bound (real domains have
    // one or two such labels).
    let mut forms: Vec<String> = vec![String::new()];
    for (i, spellings) in labels.iter().enumerate() {
        let mut next = Vec::with_capacity(forms.len() * spellings.len());
        for form in &forms {
            for spelling in spellings {
                if next.len() == MAX_FORMS {
                    break;
                }
                let dot = if i > 0 { "." } else { "" };
                next.push(format!("{form}{dot}{spelling}"));
            }
        }
        forms = next;
    }
    let mut out: Vec<String> = Vec::new();
    for domain in forms {
        let form = format!("{local}@{domain}");
        if form != address && !out.contains(&form) {
            out.push(form);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn domain_forms_of_one_mailbox() {
        assert_eq!(
            ascii_domain_form("ada@bücher.de").as_deref(),
            Some("ada@xn--bcher-kva.de")
        );
        assert_eq!(ascii_domain_form("ada@xn--bcher-kva.de"), None);
        assert_eq!(ascii_domain_form("ada@example.com"), None);
        assert_eq!(
            ascii_domain_form("marie@café.fr").as_deref(),
            Some("marie@xn--caf-dma.fr")
        );
        assert_eq!(
            other_domain_forms("ada@bücher.de"),
            ["ada@xn--bcher-kva.de"]
        );
        assert_eq!(
            other_domain_forms("ada@xn--bcher-kva.de"),
            ["ada@bücher.de"]
        );
        // Two internationalised labels: every other combination.
        assert_eq!(
            other_domain_forms("ada@xn--bcher-kva.münchen.de"),
            [
                "ada@xn--bcher-kva.xn--mnchen-3ya.de",
                "ada@bücher.münchen.de",
                "ada@bücher.xn--mnchen-3ya.de",
            ]
        );
        // A label IDNA maps (a full-width letter): its mapped Unicode
        // spelling too.
        assert_eq!(
            other_domain_forms("ada@ｂücher.de"),
            ["ada@xn--bcher-kva.de", "ada@bücher.de"]
        );
        // No domain is this long: no spellings, and no time spent on it.
        let long = format!("a@xn--{}.de", "a".repeat(2000));
        assert!(other_domain_forms(&long).is_empty());
        assert_eq!(
            ascii_domain_form(&format!("a@{}.de", "ü".repeat(300))),
            None
        );
        // A character of several bytes where an `xn--` would be.
        assert_eq!(
            other_domain_forms("marie@café.fr"),
            ["marie@xn--caf-dma.fr"]
        );
        assert_eq!(other_domain_forms("taro@例え.jp"), ["taro@xn--r8jz45g.jp"]);
        assert!(other_domain_forms("ada@example.com").is_empty());
        assert!(other_domain_forms("no-at-sign").is_empty());
        // A label that only looks encoded has no Unicode form.
        assert!(other_domain_forms("ada@xn--zz-.de").is_empty());
        assert!(may_have_other_forms("ada@bücher.de"));
        assert!(may_have_other_forms("ada@XN--bcher-kva.de"));
        assert!(!may_have_other_forms("ada-lovelace@ex-ample.com"));
    }

    use super::*;

    fn code(value: &str) -> Result<(), ErrorCode> {
        EmailCheck.check(value).map_err(|f| f.code)
    }

    /// The fast path as it was first written, with a branch for each
    /// domain rule at every byte: the oracle of the one in use.
    fn plain_address_by_bytes(value: &str) -> bool {
        let bytes = value.as_bytes();
        let Some(at) = memchr::memchr(b'@', bytes) else {
            return false;
        };
        let (local, domain) = (&bytes[..at], &bytes[at + 1..]);
        if local.is_empty() || local.len() > 64 || domain.len() > 253 || bytes.len() > 254 {
            return false;
        }
        // Dot-separated atoms: no leading, trailing or doubled dot.
        let mut after_dot = true;
        for &b in local {
            if b == b'.' {
                if after_dot {
                    return false;
                }
                after_dot = true;
            } else if CLASS[usize::from(b)] & ATEXT != 0 {
                after_dot = false;
            } else {
                return false;
            }
        }
        if after_dot {
            return false;
        }
        // Labels of 1 to 63 letters, digits and inner hyphens; the last one (the
        // top-level domain) of two or more letters.
        let mut labels = 0;
        let mut len = 0;
        let mut last = b'.';
        let mut letters_only = true;
        for &b in domain {
            if b == b'.' {
                if len == 0 || last == b'-' {
                    return false;
                }
                labels += 1;
                len = 0;
                letters_only = true;
            } else if CLASS[usize::from(b)] & LABEL != 0 && (b != b'-' || len > 0) {
                len += 1;
                letters_only &= CLASS[usize::from(b)] & LETTER != 0;
            } else {
                return false;
            }
            if len > 63 {
                return false;
            }
            last = b;
        }
        len >= 2 && last != b'-' && letters_only && labels >= 1
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The SIMD test accepts exactly what the byte loop accepts, on
        /// its own alphabet (letters, digits, `.-_+@`) and lengths (3 to
        /// 64, across the sixteen-byte blocks), and nothing it refuses
        /// elsewhere.
        #[test]
        fn simple_address_is_plain_address_on_its_alphabet(
            value in "[a-zA-Z0-9._+-]{0,40}@?[a-zA-Z0-9._+-]{0,30}(\\.[a-zA-Z0-9-]{0,4})?|[a-z]{1,40}(\\.[a-z]{1,9})?@[a-z-]{1,20}(\\.[a-z0-9-]{1,12}){0,3}\\.[a-zA-Z]{1,4}|[a-z.+_-]{1,20}@[a-z.-]{1,20}\\.[a-z]{2,3}",
        ) {
            proptest::prop_assert_eq!(
                simple_address(value.as_bytes()),
                plain_address(&value) && value.len() <= 64,
                "{:?}", value
            );
        }

        #[test]
        fn simple_address_never_accepts_what_plain_address_refuses(
            value in "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~@ ()é\\x00\\x7f-]{0,70}",
        ) {
            if simple_address(value.as_bytes()) {
                proptest::prop_assert!(plain_address(&value), "{:?}", value);
            }
        }

        /// The fast path accepts exactly what its first form did.
        #[test]
        fn plain_address_agrees_with_its_first_form(
            value in "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~@ ()é-]{0,12}(@[a-zA-Z0-9.-]{0,12})?(\\.[a-z0-9-]{0,4})?",
        ) {
            proptest::prop_assert_eq!(plain_address(&value), plain_address_by_bytes(&value), "{:?}", value);
        }

        /// The same near the length limits: parts of 64 and 65 bytes,
        /// labels of 63 and 64, whole addresses of 254 and 255.
        #[test]
        fn plain_address_agrees_with_its_first_form_at_the_limits(
            local in "[a-z]{62,66}",
            labels in proptest::collection::vec("[a-z-]{1,3}|[a-z]{62,65}", 1..5),
            tld in "[a-z]{2,3}|[a-z]{62,65}|[a-z0-9-]{1,3}",
        ) {
            let value = format!("{local}@{}.{tld}", labels.join("."));
            proptest::prop_assert_eq!(plain_address(&value), plain_address_by_bytes(&value), "{:?}", value);
        }

        /// The fast path never accepts what the parser refuses.
        #[test]
        fn plain_address_is_a_subset_of_the_parser(
            value in "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~@ -]{0,12}(@[a-zA-Z0-9.-]{0,12})?(\\.[a-z0-9-]{0,4})?",
        ) {
            if plain_address(&value) {
                proptest::prop_assert!(
                    EmailAddress::parse_with_options(&value, OPTIONS).is_ok(),
                    "fast path accepted {:?}", value
                );
            }
        }

        #[test]
        fn plain_address_agrees_on_plausible_addresses(
            local in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,5})?",
            domain in "[a-z0-9]{1,10}(-[a-z0-9]{1,4})?\\.[a-z]{2,6}",
        ) {
            let value = format!("{local}@{domain}");
            proptest::prop_assert!(plain_address(&value));
            proptest::prop_assert!(EmailAddress::parse_with_options(&value, OPTIONS).is_ok());
        }
    }

    #[test]
    fn a_long_local_part_is_named_in_the_message() {
        let value = format!("{}@example.com", "a".repeat(65));
        let failure = EmailCheck.check(&value).unwrap_err();
        assert_eq!(
            failure.detail,
            format!(
                "expected an e-mail address like name@example.com, found \"{value}\" (the part before @ has 65 characters; at most 64 are allowed)"
            )
        );
        assert!(
            EmailCheck
                .check(&format!("{}@example.com", "a".repeat(64)))
                .is_ok()
        );
    }

    /// Every place of the `@` in every length the SIMD test takes and
    /// one past it, with and without a top-level domain: the same answer
    /// as the byte loop (an `@` last in 64 bytes once shifted past the
    /// word, a panic in debug builds; found by the break-it trial).
    #[test]
    fn simple_address_at_every_place_of_the_at_sign() {
        for n in 1..=66usize {
            for p in 0..n {
                for dot in [None, Some(n.saturating_sub(3)), Some(p + 1)] {
                    let mut bytes = vec![b'a'; n];
                    if let Some(d) = dot.filter(|&d| d < n) {
                        bytes[d] = b'.';
                    }
                    bytes[p] = b'@';
                    let value = String::from_utf8(bytes).unwrap();
                    assert_eq!(
                        simple_address(value.as_bytes()),
                        plain_address(&value) && n <= 64,
                        "{value}"
                    );
                }
            }
        }
    }

    #[test]
    fn fast_path_edges() {
        for v in ["a@b.co", "first.last+tag@sub.example.com", "x@a-b.io"] {
            assert!(plain_address(v), "{v}");
        }
        for v in [
            ".a@b.co",
            "a.@b.co",
            "a..b@b.co",
            "a@-b.co",
            "a@b-.co",
            "a@b.c",
            "a@b.c0",
            "a@b",
            "a@@b.co",
            "ü@b.co",
        ] {
            assert!(!plain_address(v), "{v}");
        }
        // The limits: a local part of 64 bytes, labels of 63, 254 in all.
        let (l64, l63) = ("l".repeat(64), "d".repeat(63));
        for (value, plain) in [
            (format!("{l64}@b.co"), true),
            (format!("{l64}l@b.co"), false),
            (format!("a@{l63}.co"), true),
            (format!("a@{l63}d.co"), false),
            (format!("a@b.{}", "t".repeat(63)), true),
            (format!("a@b.{}", "t".repeat(64)), false),
            (format!("{l64}@{l63}.{l63}.{}.co", "d".repeat(58)), true),
            (format!("{l64}@{l63}.{l63}.{}.co", "d".repeat(59)), false),
        ] {
            assert_eq!(plain_address(&value), plain, "{value}");
        }
    }

    #[test]
    fn valid_addresses() {
        for v in [
            "ada@example.com",
            "a.b+tag@sub.example.co.uk",
            "O'Brien@example.ie",
        ] {
            assert_eq!(code(v), Ok(()), "{v}");
        }
    }

    #[test]
    fn strict_options() {
        for v in [
            "ada@localhost",
            "Ada <ada@example.com>",
            "ada@[10.0.0.1]",
            "ada@",
            "@example.com",
            "ada example.com",
            "ada@@example.com",
            "",
        ] {
            assert_eq!(code(v), Err(ErrorCode::Email), "{v}");
        }
    }

    #[test]
    fn invisible_spaces_are_explained() {
        let f = EmailCheck.check("ada\u{200b}@example.com").unwrap_err();
        assert!(f.detail.contains("invisible space"), "{}", f.detail);
        let f = EmailCheck.check("ada@exa\u{a0}mple.com").unwrap_err();
        assert!(f.detail.contains("invisible space"), "{}", f.detail);
        let f = EmailCheck.check("ada@localhost").unwrap_err();
        assert!(f.detail.contains("top-level domain"), "{}", f.detail);
    }

    #[test]
    fn visible_spaces_and_names_get_their_own_hint() {
        let f = EmailCheck.check("ada lovelace@example.com").unwrap_err();
        assert!(f.detail.ends_with(" (it contains a space)"), "{}", f.detail);
        let f = EmailCheck.check("Ada <ada@example.com>").unwrap_err();
        assert!(
            f.detail
                .ends_with(" (write the address only, without a name)"),
            "{}",
            f.detail
        );
    }
}
