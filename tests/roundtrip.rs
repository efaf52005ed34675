//! The error CSV round trip: write it, read it back, fix it.
//!
//! Reading an error CSV drops its `errors` column and removes the formula
//! guard, so the failed rows come back exactly as uploaded and fail with the
//! same errors; once fixed (with the `errors` column still in place) they pass.

mod common;

use common::{read, run, users, write_csv};
use proptest::prelude::*;
use usercsv::{ErrorCode, ValidationReport, Validator};

/// `(column, code)` of a row's errors.
type Codes = Vec<(Option<String>, ErrorCode)>;

/// Row-local errors per row, in report order, without `unique`.
///
/// `unique` is not row-local: a duplicate whose first occurrence was a valid
/// row is reported in the original run, but that first row is not in the
/// error CSV, so the duplicate passes when the error CSV is validated again.
fn row_local(report: &ValidationReport) -> Vec<(u64, Codes)> {
    let mut rows: Vec<(u64, Codes)> = Vec::new();
    for e in &report.errors {
        if rows.last().is_none_or(|(row, _)| *row != e.row) {
            rows.push((e.row, Vec::new()));
        }
        if e.code != ErrorCode::Unique {
            rows.last_mut().unwrap().1.push((e.column.clone(), e.code));
        }
    }
    rows
}

/// The raw fields of the invalid rows, from a streaming run.
fn invalid_rows(validator: &Validator, input: &[u8]) -> Vec<Vec<String>> {
    let mut run = validator.validation().from_reader(input).unwrap();
    let mut out = Vec::new();
    while let Some(o) = run.next_outcome().unwrap() {
        if !o.is_valid() {
            out.push(o.row().fields().map(str::to_string).collect());
        }
    }
    out
}

/// Validates `input`, validates its error CSV, and checks the round trip:
/// counts add up, the same row-local errors row for row, the same raw fields.
/// Returns the error CSV.
fn assert_round_trip(validator: &Validator, input: &[u8]) -> Vec<u8> {
    let mut error_csv = Vec::new();
    let first = validator
        .validation()
        .id("first")
        .max_errors(usize::MAX)
        .validate(input, Some(&mut error_csv))
        .unwrap();
    assert_eq!(first.rows.valid + first.rows.invalid, first.rows.total);
    if first.rows.invalid == 0 {
        assert!(error_csv.is_empty());
        return error_csv;
    }
    let mut again_csv = Vec::new();
    let again = validator
        .validation()
        .id("again")
        .max_errors(usize::MAX)
        .validate(&error_csv[..], Some(&mut again_csv))
        .unwrap();
    // Every invalid row is in the error CSV, nothing else, nothing dropped.
    assert_eq!(again.rows.total, first.rows.invalid);
    assert_eq!(again.rows.blank, 0);
    assert!(again.warnings.iter().all(|w| w.code != "encoding_guessed"));

    // The same row-local errors, row for row (row numbers differ: row i of
    // the error CSV is spreadsheet row i + 2 at the earliest).
    let before = row_local(&first);
    let after = row_local(&again);
    let before_codes: Vec<_> = before.iter().map(|(_, c)| c.clone()).collect();
    let mut after_codes = vec![Vec::new(); before.len()];
    let rows_again = data_row_numbers(validator, &error_csv);
    assert_eq!(rows_again.len(), before.len());
    for (row, codes) in after {
        let i = rows_again.iter().position(|&r| r == row).unwrap();
        after_codes[i] = codes;
    }
    assert_eq!(after_codes, before_codes);

    // The raw fields come back byte for byte, guard removed.
    let (header_in, _) = read(input).unwrap();
    let (header_back, rows_back) = read(&error_csv).unwrap();
    assert_eq!(header_back, header_in);
    assert_eq!(rows_back, invalid_rows(validator, input));
    error_csv
}

/// Spreadsheet row numbers of every data row.
fn data_row_numbers(validator: &Validator, input: &[u8]) -> Vec<u64> {
    let mut run = validator.validation().from_reader(input).unwrap();
    let mut rows = Vec::new();
    while let Some(o) = run.next_outcome().unwrap() {
        rows.push(o.row().position().row);
    }
    rows
}

const MIXED: &str = "\
email,firstName,lastName,businessMobilePhone,employeeNumber,birthDate,startDate,endDate,language,notes,errors
ada@example.com,Ada,Lovelace,+31 6 12345678,E1,1990-12-10,2024-01-15,2030-12-31,en,ok,
bad,Alan,Turing,+31 20 123 4567,E2,2024-1-5,2024-05-01,2024-04-01,xx,=1+1,stale message
carol@example.com,,-Carol,@home,E3,,,,,\"multi
line\",
ada@example.com,Dup,Licate,,E1,,,,,,
short@example.com,Short,Row
long@example.com,Long,Row,,,,,,,,,extra,more
";

#[test]
fn error_csv_round_trips_and_fixed_rows_pass() {
    let v = users();
    let error_csv = assert_round_trip(&v, MIXED.as_bytes());
    let (first, _) = run(&v, MIXED.as_bytes());
    assert_eq!((first.rows.valid, first.rows.invalid), (1, 5));

    // The `unique` errors of row 5 survive although row 2, the value's first
    // row, is not in the file: the row's old messages still name them.
    let (again, _) = run(&v, &error_csv);
    assert_eq!(
        common::codes(&again)
            .into_iter()
            .filter(|(row, _, _)| *row == 4)
            .collect::<Vec<_>>(),
        [
            (4, "email".to_string(), "unique"),
            (4, "employeeNumber".to_string(), "unique")
        ]
    );

    // Fix the values in place, keep the errors column, upload again.
    let text = common::error_csv_text(&error_csv);
    let fixed = text
        .replace("bad,", "alan@example.com,")
        .replace("'+31 20 123 4567", "+31 6 87654321")
        .replace("2024-1-5", "1912-06-23")
        .replace("2024-04-01", "2024-06-01")
        .replace(",xx,", ",EN,")
        .replace(",,'-Carol,'@home,", ",Carol,Caroll,,")
        .replace("Dup,Licate,,E1", "Dup,Licate,,E4")
        .replacen("ada@example.com", "dup@example.com", 1)
        .lines()
        .map(|line| {
            if line.starts_with("short@") || line.starts_with("long@") {
                // Give the row the header's width; its old message stays.
                let email = line.split(',').next().unwrap();
                format!("{email},Fixed,Row,,,,,,,,\"old message\"")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (fixed_report, fixed_csv) = run(&v, format!("\u{feff}{fixed}").as_bytes());
    assert_eq!(common::codes(&fixed_report), []);
    assert!(fixed_report.is_valid(), "{fixed}");
    assert_eq!(fixed_report.rows.total, 5);
    assert!(fixed_csv.is_empty());
}

#[test]
fn round_trip_with_every_delimiter_and_formula_guard_off() {
    let v = users();
    for delimiter in [b',', b';', b'\t', b'|'] {
        let records: Vec<Vec<&str>> = vec![
            vec!["email", "firstName", "lastName", "businessMobilePhone"],
            vec!["=x", "-1", "+2", "+31 20 123 4567"],
            vec!["ok@example.com", "Ada", "Lovelace", "+31 6 12345678"],
            vec!["@at", "\ttab", "\rcr", "'+31 6"],
        ];
        let input = write_csv(&records, delimiter);
        assert_round_trip(&v, input.as_bytes());

        // Without the guard nothing is prefixed, and reading does not unguard.
        let mut out = Vec::new();
        v.validation()
            .formula_guard(false)
            .validate(input.as_bytes(), Some(&mut out))
            .unwrap();
        let text = common::error_csv_text(&out);
        assert!(!text.contains("'=x") && !text.contains("'-1"), "{text}");
        let mut again = Vec::new();
        let report = v
            .validation()
            .formula_guard(false)
            .validate(&out[..], Some(&mut again))
            .unwrap();
        assert_eq!(report.rows.invalid, 2);
        assert_eq!(out, again, "a guard-free error CSV reproduces itself");
    }
}

// ---------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------

const HEADER: [&str; 11] = [
    "email",
    "firstName",
    "lastName",
    "businessMobilePhone",
    "employeeNumber",
    "birthDate",
    "startDate",
    "endDate",
    "language",
    "department",
    "notes",
];

/// Free text with the characters that stress quoting and the formula guard.
fn tricky_text() -> impl Strategy<Value = String> {
    "[=+@\\-\t\r' \"]?[a-zA-Z0-9 ,;|\"'\n\r\t=+@-]{0,8}"
}

fn pick(values: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(values).prop_map(str::to_string)
}

fn cell(column: usize) -> BoxedStrategy<String> {
    let pool: &'static [&'static str] = match column {
        0 => &[
            "ada@example.com",
            " Bob@Example.org ",
            "carol@example.com",
            "",
            "bad",
            "a@localhost",
            "@example.com",
            "=x@example.com",
            "a\nb@example.com",
        ],
        1 | 2 => &[
            "Ada",
            "",
            "-Eve",
            "=SUM(A1)",
            "\"Q\"",
            "multi\nline",
            "  padded  ",
            "@x",
        ],
        3 => &[
            "+31 6 12345678",
            "+31 20 123 4567",
            "+97233142764978",
            "0612345678",
            "3.16123E+10",
            "",
            "+1 650 253 0000",
            "'+31 6 12345678",
        ],
        4 => &["E1", "E2", "", "-7", "e1"],
        5 => &[
            "1990-12-10",
            "2024-1-5",
            "2026-01-01",
            "",
            "45123",
            "+2024-01-05",
        ],
        6 => &["2024-01-15", "2024-05-01", "", "bad"],
        7 => &["2024-04-01", "2030-12-31", "", "2024-02-30"],
        8 => &["en", "NL", "xx", "", "=1+1"],
        9 => &["Sales", "", "R&D\r\nEurope", " ;|,\t ", "-"],
        _ => &[""],
    };
    prop_oneof![4 => pick(pool), 1 => tricky_text()].boxed()
}

fn record() -> impl Strategy<Value = Vec<String>> {
    let cells: Vec<BoxedStrategy<String>> = (0..HEADER.len()).map(cell).collect();
    // Mostly full rows; sometimes too short or too long (field_count).
    (cells, 0..10usize, 1..HEADER.len(), tricky_text()).prop_map(|(mut r, shape, keep, extra)| {
        match shape {
            0 => r.truncate(keep),
            1 => r.push(extra),
            _ => {}
        }
        r
    })
}

fn delimiter() -> impl Strategy<Value = u8> {
    prop::sample::select(vec![b',', b';', b'\t', b'|'])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_row_is_valid_or_in_the_error_csv(
        rows in prop::collection::vec(record(), 1..12),
        delimiter in delimiter(),
    ) {
        let v = users();
        let mut records: Vec<Vec<String>> = vec![HEADER.iter().map(|h| h.to_string()).collect()];
        records.extend(rows.iter().cloned());
        let input = write_csv(&records, delimiter);
        let data_rows = rows.iter().filter(|r| !r.iter().all(|f| common::is_blank(f))).count() as u64;

        let (report, error_csv) = run(&v, input.as_bytes());
        prop_assert_eq!(report.rows.total, data_rows);
        prop_assert_eq!(report.rows.blank, rows.len() as u64 - data_rows);
        prop_assert_eq!(report.delimiter.as_deref(), Some(match delimiter {
            b'\t' => "TAB",
            b',' => ",",
            b';' => ";",
            _ => "|",
        }));
        if report.rows.invalid > 0 {
            let text = common::error_csv_text(&error_csv);
            let back = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_reader(text.as_bytes())
                .into_records()
                .count() as u64;
            prop_assert_eq!(back, report.rows.invalid);
        }
        assert_round_trip(&v, input.as_bytes());
    }
}
