//! The `email` rule.

use email_address::{EmailAddress, Options};

use super::{ErrorCode, Failure};

const OPTIONS: Options = Options {
    minimum_sub_domains: 2,
    allow_domain_literal: false,
    allow_display_text: false,
    allow_long_local_parts: false,
};

/// Characters that look like nothing or like a plain space: non-ASCII
/// spaces (NBSP, ...) and zero-width characters.
fn is_invisible(c: char) -> bool {
    (!c.is_ascii() && c.is_whitespace())
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{ad}')
}

/// A compiled e-mail rule: TLD required, no display name, no domain literal.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EmailCheck;

impl EmailCheck {
    pub fn check(&self, value: &str) -> Result<(), Failure> {
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
        let hint = if value.chars().any(is_invisible) {
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
            format!("expected an e-mail address like name@example.com, found \"{value}\"{hint}"),
        )
    }

    /// Lower-case form, for comparisons.
    pub fn normalize(&self, value: &str) -> String {
        value.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(value: &str) -> Result<(), ErrorCode> {
        EmailCheck.check(value).map_err(|f| f.code)
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
