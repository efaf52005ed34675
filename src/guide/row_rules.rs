//! Examples for the rules between rows and columns (uniqueness, date
//! order, required-if), found by validating small files.

use super::columns::{first_year, replace_year};
use super::model::GuideRowExample;
use crate::rules::ErrorCode;
use crate::validator::Validator;

/// Examples for the rules between rows and columns, found by validating a
/// small file built from the template's values.
pub(super) fn row_rules(validator: &Validator) -> Vec<GuideRowExample> {
    let schema = validator.schema();
    let header: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
    let base: Vec<String> = schema
        .columns
        .iter()
        .zip(&validator.inner.columns)
        .map(|(c, rules)| rules.example(c.example.as_deref()))
        .collect();
    let index = |name: &str| header.iter().position(|h| h == name);
    let mut out = Vec::new();
    let mut try_rows = |rule: String,
                        rows: Vec<Vec<String>>,
                        column: &str,
                        code: ErrorCode,
                        cells: Vec<(String, String)>|
     -> bool {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(&header);
        for row in &rows {
            let _ = w.write_record(row);
        }
        let csv = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
        let Ok(report) = validator
            .validation()
            .id("guide")
            .delimiter(Some(b','))
            .validate(csv.as_bytes(), None)
        else {
            return false;
        };
        let last = rows.len() as u64 + 1;
        if let Some(error) = report
            .errors
            .iter()
            .find(|e| e.row == last && e.code == code && e.column.as_deref() == Some(column))
        {
            out.push(GuideRowExample {
                rule,
                column: column.to_string(),
                cells,
                csv,
                row: error.row,
                code,
                message: error.message.clone(),
            });
            return true;
        }
        false
    };
    for (i, column) in schema.columns.iter().enumerate() {
        let Some(unique) = &column.unique else {
            continue;
        };
        // Two rows that differ only where other unique columns need it.
        let mut second = base.clone();
        for (j, other) in schema.columns.iter().enumerate() {
            if j != i && other.unique.is_some() {
                second[j] = String::new();
                if other.required {
                    second[j] = variant(&base[j]);
                }
            }
        }
        let value = if unique.case_insensitive && base[i].to_uppercase() != base[i] {
            base[i].to_uppercase()
        } else {
            base[i].clone()
        };
        second[i] = value.clone();
        let rule = format!(
            "{} must not repeat within the file{}; the second row with the same value fails.",
            column.name,
            if unique.case_insensitive {
                " (upper and lower case count as the same)"
            } else {
                ""
            }
        );
        try_rows(
            rule,
            vec![base.clone(), second],
            &column.name,
            ErrorCode::Unique,
            vec![(column.name.clone(), value)],
        );
    }
    for rule in &schema.date_order {
        let (Some(e), Some(l)) = (index(&rule.earlier), index(&rule.later)) else {
            continue;
        };
        // The later date a year before the earlier one, else the two swapped.
        let mut candidates = Vec::new();
        if let Some(year) = first_year(&base[e]).and_then(|y| y.checked_sub(1))
            && let Some(later) = replace_year(&base[l], &format!("{year:04}"))
        {
            let mut row = base.clone();
            row[l] = later;
            candidates.push(row);
        }
        let mut swapped = base.clone();
        swapped.swap(e, l);
        candidates.push(swapped);
        for row in candidates {
            let cells = vec![
                (rule.earlier.clone(), row[e].clone()),
                (rule.later.clone(), row[l].clone()),
            ];
            let text = format!("{} must not be before {}.", rule.later, rule.earlier);
            if try_rows(text, vec![row], &rule.later, ErrorCode::DateOrder, cells) {
                break;
            }
        }
    }
    for rule in &schema.required_if {
        let (Some(c), Some(w)) = (index(&rule.column), index(&rule.when)) else {
            continue;
        };
        let mut row = base.clone();
        row[c] = String::new();
        try_rows(
            format!("{} is required when {} is filled.", rule.column, rule.when),
            vec![row.clone()],
            &rule.column,
            ErrorCode::RequiredIf,
            vec![
                (rule.when.clone(), row[w].clone()),
                (rule.column.clone(), String::new()),
            ],
        );
    }
    out
}

/// A different value of the same shape (for a second row's unique cells).
fn variant(value: &str) -> String {
    match value.split_once('@') {
        Some((local, domain)) => format!("{local}2@{domain}"),
        None => format!("{value}2"),
    }
}
