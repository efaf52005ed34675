//! Replays fuzz inputs through the fuzz targets' own checks
//! (`fuzz/fuzz_targets/checks.rs`): the committed seeds, and one minimal
//! reproducer per issue the fuzzers found.
//!
//! Every reproducer asserts the fixed behaviour with all checks strict.

#[path = "../fuzz/fuzz_targets/checks.rs"]
mod checks;

use std::path::Path;

use usercsv::{ErrorCode, ValidationReport};

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn reader_seeds_pass() {
    let seeds = seeds("reader");
    assert!(seeds.len() >= 8, "{} seeds", seeds.len());
    for (name, data) in seeds {
        eprintln!("{name}");
        checks::check_reader(&data);
    }
}

#[test]
fn pipeline_seeds_pass() {
    let seeds = seeds("pipeline");
    assert!(seeds.len() >= 8, "{} seeds", seeds.len());
    for (name, data) in seeds {
        eprintln!("{name}");
        checks::check_pipeline(&data, false);
    }
}

#[test]
fn schema_seeds_pass() {
    for (name, data) in seeds("schema") {
        eprintln!("{name}");
        checks::check_schema(&data);
    }
}

fn validate(data: &[u8]) -> (ValidationReport, Vec<u8>) {
    let mut error_csv = Vec::new();
    let report = checks::users_validator()
        .validation()
        .validate(data, Some(&mut error_csv))
        .unwrap();
    (report, error_csv)
}

// --- Fixed in 47fcd02 (found while writing the pipeline checks): a header
// cell starting with TAB or `-` (it still names a schema column) got a
// formula guard in the error CSV that the reader kept, so the re-upload lost
// the column; and a row with too few fields got its `errors` cell read back
// as data, so the unfixed row passed.

#[test]
fn guarded_header_cell_round_trips() {
    let data = b"\temail,firstName,lastName\nbad,Ada,Lovelace\n";
    let (report, error_csv) = validate(data);
    assert_eq!(report.rows.invalid, 1);
    // The TAB in the header cell is a delimiter candidate: the header is quoted.
    assert!(error_csv.starts_with("\u{feff}\"'\temail\",\"firstName\",".as_bytes()));
    let again = checks::users_validator()
        .validate_reader(&error_csv[..], None)
        .map_err(|e| e.code());
    assert_eq!(again.map(|r| r.rows.invalid), Ok(1));
    checks::check_pipeline(data, true);
}

#[test]
fn short_row_stays_invalid() {
    let data = b"email,firstName,lastName,notes\nada@example.com,Ada,Lovelace\n";
    let (report, error_csv) = validate(data);
    assert_eq!(report.errors[0].code, ErrorCode::FieldCount);
    let again = checks::users_validator()
        .validate_reader(&error_csv[..], None)
        .unwrap();
    assert_eq!(again.rows.invalid, 1);
    assert_eq!(again.errors[0].code, ErrorCode::FieldCount);
    checks::check_pipeline(data, true);
}

#[test]
fn long_row_keeps_its_fields() {
    let data = b"email,firstName,lastName\nbad,Ada,Lovelace,extra,more\n";
    checks::check_pipeline(data, true);
}

// --- Found by `pipeline` (crash-2e0ab0cb, minimised): a U+FEFF starting
// the first header cell after a blank line stays in the header (the `csv`
// crate strips a BOM only at the very start of its input), but in the error
// CSV it directly follows the BOM and is stripped on re-read. Harmless
// (header matching trims U+FEFF); the checks now expect exactly that.

const BOM_AFTER_BLANK_LINE: &[u8] = b"\xEF\xBB\xBF\r\n\xEF\xBB\xBFemail,firstName,lastName\nal";

#[test]
fn bom_after_blank_line_round_trips() {
    let (report, error_csv) = validate(BOM_AFTER_BLANK_LINE);
    assert_eq!(report.rows.invalid, 1);
    assert!(error_csv.starts_with(b"\xEF\xBB\xBF\xEF\xBB\xBFemail,firstName,lastName,errors\n"));
    let rdr = usercsv::ReaderBuilder::new()
        .from_reader(&error_csv[..])
        .unwrap();
    assert_eq!(rdr.header().get(0), Some("email"));
    checks::check_pipeline(BOM_AFTER_BLANK_LINE, true);
}

// --- Issue A (fixed: the header is quoted when a cell holds another delimiter): the error CSV writes header cells unquoted, so
// delimiters hidden in a quoted header cell of the upload count when the
// re-upload's delimiter is sniffed.

const QUOTED_SEMICOLONS: &[u8] =
    b"\"Tags; one; two; three; four; five\",email,firstName,lastName\nx,bad,Ada,Lovelace\n";

#[test]
fn delimiter_survives_round_trip() {
    let (_, error_csv) = validate(QUOTED_SEMICOLONS);
    let again = checks::users_validator()
        .validate_reader(&error_csv[..], None)
        .map_err(|e| e.code());
    // Before the fix: Err("missing_column"): the header was split on ';'.
    assert_eq!(again.map(|r| r.rows.invalid), Ok(1));
    checks::check_pipeline(QUOTED_SEMICOLONS, true);
}

// --- Issue B (fixed: the `errors` column does not count toward max_columns): an upload using exactly `max_columns` (1000) columns
// is accepted, but its error CSV has 1001 and cannot be read back.

fn thousand_columns() -> Vec<u8> {
    let extra: Vec<String> = (4..=1000).map(|i| format!("c{i}")).collect();
    format!(
        "email,firstName,lastName,{}\nbad,Ada,Lovelace{}\n",
        extra.join(","),
        ",".repeat(997)
    )
    .into_bytes()
}

#[test]
fn columns_at_limit_is_detected() {
    let known = checks::check_pipeline(&thousand_columns(), false);
    assert!(known.columns_at_limit, "{known:?}");
}

#[test]
fn columns_at_limit_round_trip() {
    let data = thousand_columns();
    let (_, error_csv) = validate(&data);
    let again = checks::users_validator()
        .validate_reader(&error_csv[..], None)
        .map_err(|e| e.code());
    // Before the fix: Err("limit_exceeded").
    assert_eq!(again.map(|r| r.rows.invalid), Ok(1));
    checks::check_pipeline(&data, true);
}

// --- Issue C (fixed: the reader drops the last `errors` column, the writer's): an upload with two `errors` columns: the reader drops
// the first, the second is kept as data, and in the error CSV it is the
// first `errors` column, so the re-upload drops it and keeps the messages.
// Since then a user's `errors` columns (not this tool's messages) are data:
// both are kept and the round trip is exact.

const TWO_ERRORS_COLUMNS: &[u8] =
    b"errors,email,firstName,lastName,Errors\nold,bad,Ada,Lovelace,kept\n";

#[test]
fn second_errors_column_is_no_longer_an_issue() {
    let known = checks::check_pipeline(TWO_ERRORS_COLUMNS, true);
    assert!(!known.any(), "{known:?}");
}

#[test]
fn second_errors_column_round_trip() {
    checks::check_pipeline(TWO_ERRORS_COLUMNS, true);
}
