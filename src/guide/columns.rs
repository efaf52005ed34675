//! Each column as the guide describes it: what it accepts, a valid example
//! and typical mistakes, each run through the validator.

use super::model::{GuideColumn, GuideExample};
use crate::rules::ErrorCode;
use crate::schema::{Column, Schema};
use crate::validator::Validator;

pub(super) fn guide_column(
    validator: &Validator,
    schema: &Schema,
    column: &Column,
    example: &str,
) -> GuideColumn {
    let key = schema.key.as_deref() == Some(column.name.as_str());
    // The rules' own words (the messages say "expected <the same>"), with
    // advice for people preparing a file after some of them.
    let rules = validator.column_rules(&column.name);
    let mut accepts: Vec<String> = rules
        .map(|r| r.accepts())
        .unwrap_or_default()
        .into_iter()
        .map(|phrase| {
            let mut chars = phrase.chars();
            let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
            format!("{}{}.", first.unwrap_or_default(), chars.as_str())
        })
        .collect();
    let advice = [
        (
            column.email.is_some(),
            "Write the address only, without a name; the domain needs a top-level domain such as .com.",
        ),
        (
            column.phone.is_some(),
            "Spaces, hyphens, dots and brackets between the digits are fine.",
        ),
        (
            column.date.is_some(),
            "The day must exist; months and days have two digits.",
        ),
    ];
    accepts.extend(
        advice
            .into_iter()
            .filter(|(applies, _)| *applies)
            .map(|(_, text)| text.to_string()),
    );
    if let Some(rule) = &column.unique {
        accepts.push(if rule.case_insensitive {
            "Must not repeat within the file (upper and lower case count as the same).".to_string()
        } else {
            "Must not repeat within the file.".to_string()
        });
    }
    if key {
        accepts.push("Identifies the user (the key column).".to_string());
    }
    if accepts.is_empty() {
        accepts.push("Any text.".to_string());
    }
    let check = |value: &str| GuideExample {
        value: value.to_string(),
        errors: validator
            .check_value(&column.name, value)
            .unwrap_or_default(),
    };
    let mut examples = vec![check(example)];
    let mut add_mistakes = |candidates: Vec<String>, code: ErrorCode, max: usize| {
        let mut added = 0;
        for candidate in candidates {
            if added == max {
                break;
            }
            let ex = check(&candidate);
            if ex.errors.first().is_some_and(|(c, _)| *c == code)
                && !examples.iter().any(|e| e.value == ex.value)
            {
                examples.push(ex);
                added += 1;
            }
        }
    };
    if column.required {
        add_mistakes(vec![String::new()], ErrorCode::Required, 1);
    }
    if column.email.is_some() {
        let (local, domain) = example.split_once('@').unwrap_or(("name", "example.com"));
        let bare_domain = domain.rsplit_once('.').map_or(domain, |(d, _)| d);
        add_mistakes(
            vec![
                format!("{local}@{bare_domain}"),
                format!("{local} @{domain}"),
                format!("{local}.{domain}"),
            ],
            ErrorCode::Email,
            2,
        );
    }
    if let Some(rule) = &column.phone {
        let digits: String = example.chars().filter(char::is_ascii_digit).collect();
        if rule.default_region.is_none() && example.starts_with('+') && digits.len() > 4 {
            // The same number written nationally: without "+CC", with a 0
            // (country codes have one to three digits; two is most common).
            let national = [2, 1, 3]
                .iter()
                .map(|&cc| format!("0{}", &digits[cc..]))
                .collect();
            add_mistakes(national, ErrorCode::Phone, 1);
        }
        let mut candidates = Vec::new();
        if digits.len() > 6 {
            // What a spreadsheet makes of a number typed without quotes.
            candidates.push(format!(
                "{}.{}E+{}",
                &digits[..1],
                &digits[1..6],
                digits.len() - 1
            ));
        }
        candidates.push("12345".to_string());
        add_mistakes(candidates, ErrorCode::Phone, 1);
        if rule.mobile_only {
            add_mistakes(
                [
                    "+31 20 123 4567",
                    "+44 20 7946 0000",
                    "+49 30 1234567",
                    "+33 1 23 45 67 89",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                ErrorCode::PhoneNotMobile,
                1,
            );
        }
    }
    if let Some(rule) = &column.date {
        let mut candidates = Vec::new();
        if let Some(parts) = date_parts(example) {
            // The other order of year and day, no leading zeros, a day
            // that does not exist: each in the example's separators.
            candidates.push(parts.render(!parts.year_first, &parts.month, &parts.day));
            candidates.push(parts.render(
                parts.year_first,
                parts.month.trim_start_matches('0'),
                parts.day.trim_start_matches('0'),
            ));
            candidates.push(parts.render(parts.year_first, "02", "30"));
        }
        candidates.push("45123".to_string());
        add_mistakes(candidates, ErrorCode::Date, 2);
        if rule.not_in_future || rule.max.is_some() || rule.min.is_some() {
            let years = ["2999", "1000"];
            let candidates = years
                .iter()
                .filter_map(|year| replace_year(example, year))
                .collect();
            add_mistakes(candidates, ErrorCode::DateRange, 1);
        }
    }
    if column.pattern.is_some() {
        add_mistakes(
            ["x", "example", "123", "?", "x y"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ErrorCode::Pattern,
            1,
        );
    }
    if let Some(rule) = &column.one_of {
        let mut candidates = Vec::new();
        if !rule.case_insensitive
            && let Some(first) = rule.values.first()
        {
            candidates.push(first.to_uppercase());
            candidates.push(first.to_lowercase());
        }
        candidates.extend(["other", "xx", "unknown"].iter().map(|s| s.to_string()));
        add_mistakes(candidates, ErrorCode::OneOf, 1);
    }
    if let Some(rule) = &column.length {
        let mut candidates = Vec::new();
        if let Some(max) = rule.max {
            candidates.push("x".repeat(max + 1));
        }
        if let Some(min) = rule.min
            && min > 1
        {
            candidates.push("x".repeat(min - 1));
        }
        add_mistakes(candidates, ErrorCode::Length, 2);
    }
    GuideColumn {
        name: column.name.clone(),
        required: column.required,
        key,
        aliases: column.aliases.clone(),
        description: column.description.clone(),
        accepts,
        examples,
    }
}

/// An example date split into its parts.
struct DateParts {
    year: String,
    month: String,
    day: String,
    sep: char,
    year_first: bool,
}

impl DateParts {
    fn render(&self, year_first: bool, month: &str, day: &str) -> String {
        let sep = self.sep;
        if year_first {
            format!("{}{sep}{month}{sep}{day}", self.year)
        } else {
            format!("{day}{sep}{month}{sep}{}", self.year)
        }
    }
}

/// Year, month and day of an example date, when it has a 4-digit year
/// first or last and 2-digit month and day, separated by `-`, `/` or `.`.
fn date_parts(value: &str) -> Option<DateParts> {
    let sep = value.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let parts: Vec<&str> = value.split(sep).collect();
    if parts.len() != 3 || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let (year_first, y, m, d) = if parts[0].len() == 4 {
        (true, parts[0], parts[1], parts[2])
    } else if parts[2].len() == 4 {
        (false, parts[2], parts[1], parts[0])
    } else {
        return None;
    };
    (m.len() == 2 && d.len() == 2).then(|| DateParts {
        year: y.to_string(),
        month: m.to_string(),
        day: d.to_string(),
        sep,
        year_first,
    })
}

/// The first run of exactly four digits, as a number.
pub(super) fn first_year(value: &str) -> Option<u32> {
    let marked = replace_year(value, "\u{0}")?;
    let start = marked.find('\u{0}')?;
    value.get(start..start + 4)?.parse().ok()
}

/// Replaces the first run of exactly four digits (the year) with `year`.
pub(super) fn replace_year(value: &str, year: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 4 {
                return Some(format!("{}{year}{}", &value[..start], &value[i..]));
            }
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_replacement() {
        assert_eq!(
            replace_year("10/12/1990", "2999").as_deref(),
            Some("10/12/2999")
        );
        assert_eq!(
            replace_year("1990-12-10", "2999").as_deref(),
            Some("2999-12-10")
        );
        assert_eq!(replace_year("12-10", "2999"), None);
    }
}
