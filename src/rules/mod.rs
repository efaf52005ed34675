//! Compiled rules: each checks one trimmed, non-empty cell.
//!
//! Checks return `Ok` without allocating; only a failure builds its message.

mod date;
mod email;
mod failure;
mod phone;
pub(crate) mod phone_meta;
mod text;
mod unique;

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::error::SchemaError;
use crate::schema::Column;

pub(crate) use date::{DateCheck, Ymd};
pub(crate) use email::{EmailCheck, ascii_domain_form, may_have_other_forms, other_domain_forms};
pub use failure::ErrorCode;
pub(crate) use failure::Failure;
pub(crate) use phone::PhoneCheck;
pub(crate) use text::{LengthCheck, OneOfCheck, PatternCheck};
pub(crate) use unique::{KeyHasher, UniqueBudget, UniqueSet, push_varint, read_varint};

/// A column's rules, compiled.
#[derive(Clone, Debug)]
pub(crate) struct ColumnRules {
    pub name: String,
    pub required: bool,
    pub phone: Option<PhoneCheck>,
    pub email: Option<EmailCheck>,
    pub date: Option<DateCheck>,
    pub pattern: Option<PatternCheck>,
    pub one_of: Option<OneOfCheck>,
    pub length: Option<LengthCheck>,
    /// `Some(case_insensitive)` when the column must be unique.
    pub unique: Option<bool>,
    /// The template value: the schema's `example`, checked to pass the
    /// column's rules, or one derived that does.
    pub example: String,
    /// Whether a value equal to a normal form is that normal form
    /// ([`ColumnRules::normalize`] leaves normal forms as they are), so
    /// that a value as uploaded may be compared with a stored normal form
    /// before it is normalised. Not so for a date format such as
    /// `YYYY-DD-MM`, which reads the ISO `1990-01-02` as 1 February.
    pub normal_forms_are_fixed: bool,
}

impl ColumnRules {
    /// What each of the column's value rules accepts, as the noun phrases
    /// its messages use ("expected …"): the guide shows the same words.
    pub fn accepts(&self) -> Vec<String> {
        [
            self.email.as_ref().map(EmailCheck::accepts),
            self.phone.as_ref().map(PhoneCheck::accepts),
            self.date.as_ref().map(DateCheck::accepts),
            self.pattern.as_ref().map(PatternCheck::accepts),
            self.one_of.as_ref().map(OneOfCheck::accepts),
            self.length.as_ref().map(LengthCheck::accepts),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// Runs one rule over every non-empty value, failures to `fail`: generic,
/// so that each rule's check is inlined into its own loop.
fn each_value(
    values: &[&str],
    check: impl Fn(&str) -> Result<(), Failure>,
    fail: &mut impl FnMut(usize, Failure),
) {
    for (i, value) in values.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
        if let Err(f) = check(value) {
            fail(i, f);
        }
    }
}

impl ColumnRules {
    pub fn compile(column: &Column, today: NaiveDate) -> Result<ColumnRules, SchemaError> {
        let name = column.name.as_str();
        if name.trim().is_empty() {
            return Err(SchemaError::rule(name, "a column needs a non-empty name"));
        }
        let mut rules = ColumnRules {
            name: name.to_string(),
            required: column.required,
            phone: column
                .phone
                .as_ref()
                .map(|r| PhoneCheck::compile(name, r))
                .transpose()?,
            email: column.email.as_ref().map(|_| EmailCheck),
            date: column
                .date
                .as_ref()
                .map(|r| DateCheck::compile(name, r, today))
                .transpose()?,
            pattern: column
                .pattern
                .as_ref()
                .map(|r| PatternCheck::compile(name, r))
                .transpose()?,
            one_of: column
                .one_of
                .as_ref()
                .map(|r| OneOfCheck::compile(name, r))
                .transpose()?,
            length: column
                .length
                .as_ref()
                .map(|r| LengthCheck::compile(name, r))
                .transpose()?,
            unique: column.unique.as_ref().map(|u| u.case_insensitive),
            example: String::new(),
            normal_forms_are_fixed: false,
        };
        rules.refuse_contradictions()?;
        rules.normal_forms_are_fixed = rules
            .date
            .as_ref()
            .is_none_or(DateCheck::reads_iso_as_itself)
            && rules.one_of.as_ref().is_none_or(|one_of| {
                one_of
                    .values()
                    .iter()
                    .all(|v| one_of.normalize(v).as_deref() == Some(v.as_str()))
            });
        rules.example = match &column.example {
            Some(given) => {
                if let Some(why) = rules.fails(given) {
                    return Err(SchemaError::rule(
                        name,
                        format!("the example \"{given}\" fails the column's own {why}"),
                    ));
                }
                given.clone()
            }
            None => rules.derive_example()?,
        };
        Ok(rules)
    }

    /// Refuses rules that no value can pass together: two value types, or
    /// a `one_of` value that fails the column's other rules.
    fn refuse_contradictions(&self) -> Result<(), SchemaError> {
        let types: Vec<&str> = [
            (self.phone.is_some(), "phone"),
            (self.email.is_some(), "email"),
            (self.date.is_some(), "date"),
        ]
        .into_iter()
        .filter_map(|(on, rule)| on.then_some(rule))
        .collect();
        if types.len() > 1 {
            return Err(SchemaError::rule(
                &self.name,
                format!(
                    "the rules {} can never pass on one value together: expected at most one of phone, email and date",
                    types.join(" and ")
                ),
            ));
        }
        if let Some(one_of) = &self.one_of {
            for value in one_of.values() {
                if crate::row::trim_value(value) != value {
                    return Err(SchemaError::rule(
                        &self.name,
                        format!(
                            "the one_of value \"{value}\" has spaces around it, which are trimmed from every cell: it can never match"
                        ),
                    ));
                }
                if let Some(why) = self.fails(value) {
                    return Err(SchemaError::rule(
                        &self.name,
                        format!("the one_of value \"{value}\" fails the column's own {why}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Why `value`, trimmed as a cell is, fails the column: `"<code> rule:
    /// <detail>"` of its first failure, or `None` when it passes.
    pub fn fails(&self, value: &str) -> Option<String> {
        let value = crate::row::trim_value(value);
        if value.is_empty() {
            return self
                .required
                .then(|| "required rule: it is empty".to_string());
        }
        let mut first = None;
        self.check(value, |f| {
            first.get_or_insert(format!("{} rule: {}", f.code, f.detail));
        });
        first
    }

    /// The first of the rules' own examples that passes every rule, else
    /// a value the pattern matches.
    fn derive_example(&self) -> Result<String, SchemaError> {
        let mut tried = Vec::new();
        let candidates = [
            self.phone.as_ref().map(PhoneCheck::example),
            self.email.as_ref().map(|_| "name@example.com".to_string()),
            self.date.as_ref().map(DateCheck::example),
            self.one_of.as_ref().map(OneOfCheck::example),
            self.length.as_ref().map(LengthCheck::example),
            Some("example".to_string()),
        ];
        for candidate in candidates.into_iter().flatten() {
            if self.fails(&candidate).is_none() {
                return Ok(candidate);
            }
            tried.push(format!("\"{candidate}\""));
        }
        if let Some(sample) = self.pattern.as_ref().and_then(PatternCheck::sample) {
            if self.fails(&sample).is_none() {
                return Ok(sample);
            }
            tried.push(format!("\"{sample}\""));
        }
        Err(SchemaError::rule(
            &self.name,
            format!(
                "no example value passes the column's rules (tried {}): give one that does with `example`",
                tried.join(", ")
            ),
        ))
    }

    /// Runs every rule on a trimmed, non-empty value; calls `fail` for each
    /// failure. Returns the parsed date for cross-field rules.
    pub fn check(&self, value: &str, mut fail: impl FnMut(Failure)) -> Option<NaiveDate> {
        let mut date = None;
        self.check_many(&[value], |_, f| fail(f), |_, d| date = Some(d));
        date.map(Ymd::to_naive)
    }

    /// [`ColumnRules::check`] on many trimmed values at once, one rule at a
    /// time over all of them (each rule's code and tables stay hot, and the
    /// rule dispatch is paid once, not per value). Empty values are skipped.
    /// `fail(i, failure)` gets each failure of `values[i]` in the order
    /// `check` gives them; `date(i, date)` each date parsed.
    pub fn check_many(
        &self,
        values: &[&str],
        mut fail: impl FnMut(usize, Failure),
        mut date: impl FnMut(usize, Ymd),
    ) {
        if let Some(phone) = &self.phone {
            each_value(values, |v| phone.check(v), &mut fail);
        }
        if let Some(email) = &self.email {
            each_value(values, |v| email.check(v), &mut fail);
        }
        if let Some(check) = &self.date {
            for (i, value) in values.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
                match check.check_ymd(value) {
                    Ok(d) => date(i, d),
                    Err(f) => fail(i, f),
                }
            }
        }
        if let Some(pattern) = &self.pattern {
            each_value(values, |v| pattern.check(v), &mut fail);
        }
        if let Some(one_of) = &self.one_of {
            each_value(values, |v| one_of.check(v), &mut fail);
        }
        if let Some(length) = &self.length {
            each_value(values, |v| length.check(v), &mut fail);
        }
    }

    /// The canonical form of a valid value: E.164 phones, ISO dates,
    /// lower-case e-mail, the listed spelling of one-of values.
    pub fn normalize<'v>(&self, value: &'v str) -> Cow<'v, str> {
        // A value already in its canonical form is returned as it is: a
        // full sync normalises every cell of every row, and most are.
        let unless_same = |n: String| {
            if n == value {
                Cow::Borrowed(value)
            } else {
                Cow::Owned(n)
            }
        };
        if let Some(phone) = &self.phone
            && let Some(n) = phone.normalize(value)
        {
            return unless_same(n);
        }
        if let Some(date) = &self.date
            && let Some(n) = date.normalize(value)
        {
            return n;
        }
        if self.email.is_some() {
            return lowercase(value);
        }
        if let Some(one_of) = &self.one_of
            && let Some(n) = one_of.normalize(value)
        {
            return unless_same(n);
        }
        if self.unique == Some(true) {
            return lowercase(value);
        }
        Cow::Borrowed(value)
    }

    /// A value that passes every rule of the column: `given` (the
    /// schema's `example`, checked when compiled) or the derived one.
    pub fn example(&self, given: Option<&str>) -> String {
        given.unwrap_or(&self.example).to_string()
    }
}

/// `value` in lower case, borrowed when it is already.
fn lowercase(value: &str) -> Cow<'_, str> {
    if value.is_ascii() && !value.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(value.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Schema;

    fn users_rules() -> Vec<ColumnRules> {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        Schema::users()
            .columns
            .iter()
            .map(|column| ColumnRules::compile(column, today).unwrap())
            .collect()
    }

    #[test]
    fn canonical_values_are_normalised_without_a_copy() {
        let rules = users_rules();
        let by_name = |name: &str| rules.iter().find(|r| r.name == name).unwrap();
        let cases = [
            ("email", "ada@example.com", "ada@example.com", true),
            ("email", "Ada@Example.com", "ada@example.com", false),
            ("email", "ÉLA@example.com", "éla@example.com", false),
            ("businessMobilePhone", "+31612345678", "+31612345678", true),
            (
                "businessMobilePhone",
                "+31 6 12345678",
                "+31612345678",
                false,
            ),
            ("birthDate", "1953-02-25", "1953-02-25", true),
            ("language", "en", "en", true),
            ("language", "EN", "en", false),
            // Unique with case: kept as written.
            ("employeeNumber", "E00001", "E00001", true),
            ("firstName", "Ada", "Ada", true),
        ];
        for (column, value, expected, borrowed) in cases {
            let n = by_name(column).normalize(value);
            assert_eq!(n, expected, "{column} {value}");
            assert_eq!(matches!(n, Cow::Borrowed(_)), borrowed, "{column} {value}");
        }
    }

    #[test]
    fn normal_forms_are_fixed_unless_a_date_format_reads_iso_otherwise() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert!(users_rules().iter().all(|r| r.normal_forms_are_fixed));
        for (formats, fixed) in [
            (vec!["YYYY-DD-MM"], false),
            (vec!["YYYY-DD-MM", "YYYY-MM-DD"], false),
            (vec!["YYYY-MM-DD", "YYYY-DD-MM"], true),
            (vec!["DD.MM.YYYY"], true),
            (vec!["DD-MM-YYYY", "MM/DD/YYYY"], true),
        ] {
            let column = crate::Column::new("d").date(crate::DateRule {
                formats: formats.iter().map(|f| f.to_string()).collect(),
                ..crate::DateRule::default()
            });
            let rules = ColumnRules::compile(&column, today).unwrap();
            assert_eq!(rules.normal_forms_are_fixed, fixed, "{formats:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn many_values_fail_as_each_alone(
            values in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(String::new()),
                    "[a-z.]{1,12}@[a-z]{1,8}\\.(com|nl|x)",
                    "\\+?[0-9 ]{6,16}",
                    "(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]",
                    "(en|NL|de|fr|xx)",
                    "[a-zA-Zé -]{1,120}",
                ],
                0..40,
            )
        ) {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            for rules in users_rules() {
                let mut together = Vec::new();
                let mut dates = Vec::new();
                rules.check_many(&values, |i, f| together.push((i, f)), |i, d| dates.push((i, d.to_naive())));
                let mut alone = Vec::new();
                let mut alone_dates = Vec::new();
                for (i, value) in values.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
                    if let Some(d) = rules.check(value, |f| alone.push((i, f))) {
                        alone_dates.push((i, d));
                    }
                }
                // Grouped by value, in the same order per value.
                together.sort_by_key(|(i, _)| *i);
                dates.sort_by_key(|(i, _)| *i);
                proptest::prop_assert_eq!(&together, &alone, "{}", rules.name);
                proptest::prop_assert_eq!(&dates, &alone_dates, "{}", rules.name);
            }
        }

        /// The planner relies on it: a value equal to a normalised one is
        /// its own normal form (`ExistingUsers::same_value`).
        #[test]
        fn normalising_twice_changes_nothing(
            value in proptest::prop_oneof![
                "[a-zA-Z.]{1,12}@[a-zA-Z]{1,8}\\.(com|nl|x)",
                "\\+?[0-9 ()./-]{6,18}",
                "0[0-9 -]{8,12}",
                "(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]",
                "[0-3][0-9][./-][01][0-9][./-](19|20)[0-9]{2}",
                "(en|EN|Nl|de|fr|xx)",
                "[a-zA-Zé É0-9-]{1,30}",
            ]
        ) {
            for rules in users_rules() {
                let once = rules.normalize(&value).into_owned();
                let twice = rules.normalize(&once);
                proptest::prop_assert_eq!(&twice, &once, "{}", rules.name);
            }
        }
    }
}
