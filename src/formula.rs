//! Neutralising spreadsheet formulas (CSV injection) in written cells.
//!
//! A cell that a spreadsheet would run as a formula (it starts with `=`,
//! `+`, `-`, `@`, TAB or CR) is written with a leading `'`. To keep the
//! round trip exact, a cell that already is `'` + such a cell (any number of
//! `'`) gets one more; reading removes exactly one `'` from cells of that
//! shape, and leaves every other cell alone.

use std::borrow::Cow;

fn triggers(first: u8) -> bool {
    matches!(first, b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
}

/// Whether the value, after any leading `'`, starts like a formula: what
/// [`guard_formula`] prefixes with `'`.
pub(crate) fn guarded_shape(value: &str) -> bool {
    value
        .trim_start_matches('\'')
        .as_bytes()
        .first()
        .is_some_and(|&b| triggers(b))
}

/// The cell as written: `'` prefixed where a spreadsheet would see a formula.
///
/// ```
/// use usercsv::{guard_formula, unguard_formula};
/// assert_eq!(guard_formula("=1+1"), "'=1+1");
/// assert_eq!(guard_formula("+31 6 12345678"), "'+31 6 12345678");
/// assert_eq!(guard_formula("Ada"), "Ada");
/// assert_eq!(unguard_formula(&guard_formula("'=x")), "'=x");
/// ```
pub fn guard_formula(value: &str) -> Cow<'_, str> {
    if guarded_shape(value) {
        let mut out = String::with_capacity(value.len() + 1);
        out.push('\'');
        out.push_str(value);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(value)
    }
}

/// The cell as it was before [`guard_formula`].
pub fn unguard_formula(value: &str) -> &str {
    if value.starts_with('\'') && guarded_shape(value) {
        &value[1..]
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for v in [
            "", "'", "''", "=SUM(A1)", "'=x", "''=x", "-", "@x", "\tx", "\rx", "a=b", "'abc", "+",
        ] {
            assert_eq!(unguard_formula(&guard_formula(v)), v, "{v:?}");
        }
        assert_eq!(guard_formula("-5"), "'-5");
        assert_eq!(guard_formula("'abc"), "'abc");
        assert_eq!(unguard_formula("'abc"), "'abc");
    }
}
