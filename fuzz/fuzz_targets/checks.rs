//! The properties the fuzz targets assert, shared with the replay tests in
//! `tests/fuzz_regressions.rs` (which include this file by path).
//!
//! Every check takes arbitrary bytes and panics when a property is broken;
//! file-level errors on arbitrary input are fine.
//!
//! Known issues: some properties are broken on purpose-built inputs by
//! issues reported to the lead (see `fuzz/README.md`). [`Known::detect`]
//! recognises those inputs; with `strict == false` the affected assertions
//! are skipped so that a long run can look for *new* problems, with
//! `strict == true` (the fuzz crate's `strict` feature) everything is
//! asserted.

// Each target and the replay tests use a part of this file.
#![allow(dead_code)]

use chrono::NaiveDate;
use csv::StringRecord;
use usercsv::{
    Encoding, ErrorCode, Limits, OwnedRowOutcome, Position, ReaderBuilder, Schema,
    ValidationReport, Validator, ValidatorBuilder, sniff_delimiter,
};

/// The fixed "today" for `not_in_future` (deterministic runs).
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 15).expect("valid date")
}

/// The built-in user schema, compiled with [`today`] (once: compiling it
/// costs more than validating a small input).
pub fn users_validator() -> Validator {
    static VALIDATOR: std::sync::OnceLock<Validator> = std::sync::OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            ValidatorBuilder::new()
                .today(today())
                .build(&Schema::users())
                .expect("the built-in schema compiles")
        })
        .clone()
}

/// Same trimming as the crate's (private) `trim_value`.
fn trim(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
}

fn is_blank<'a>(record: impl IntoIterator<Item = &'a str>) -> bool {
    record.into_iter().all(|f| trim(f).is_empty())
}

fn fields<'a>(record: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    record.into_iter().map(str::to_string).collect()
}

/// Physical line of byte offset `at` in `stream`: 1 + the line ends before
/// it, where `\r\n`, `\r` and `\n` each end one line.
fn line_of(stream: &[u8], at: usize) -> u64 {
    let mut line = 1;
    let mut i = 0;
    while i < at {
        match stream[i] {
            b'\n' => line += 1,
            b'\r' => {
                line += 1;
                if i + 1 < at && stream[i + 1] == b'\n' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    line
}

/// Target `reader`: reading never panics; positions are consistent with
/// the bytes; for plain UTF-8 input the rows are exactly the `csv` crate's
/// non-blank records after the header.
pub fn check_reader(data: &[u8]) {
    let Ok(mut rdr) = ReaderBuilder::new().from_reader(data) else {
        return;
    };
    // The decoded stream that positions refer to, when it is the input
    // itself (UTF-8 after its BOMs, or single-byte text). UTF-16 is
    // recognised by its BOM or by its NUL bytes.
    let utf16 = matches!(rdr.encoding(), Encoding::Utf16Le | Encoding::Utf16Be);
    let stream: Option<&[u8]> = if utf16 {
        None
    } else {
        let mut rest = data;
        while let Some(after) = rest.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
            rest = after;
        }
        Some(rest)
    };
    let header = rdr.header().clone();
    let had_errors_column = rdr.had_errors_column();
    let delimiter = rdr.delimiter();
    let header_pos = rdr.header_position();
    assert!(header_pos.row >= 1, "header at {header_pos:?}");
    check_position(stream, header_pos);
    let mut prev = header_pos;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut failed = false;
    for row in rdr.rows() {
        let row = match row {
            Ok(row) => row,
            Err(_) => {
                failed = true;
                break;
            }
        };
        let pos = row.position();
        assert!(pos.row >= 2, "data row at {pos:?}");
        assert!(pos.row > prev.row, "row {pos:?} after {prev:?}");
        assert!(pos.line > prev.line, "line {pos:?} after {prev:?}");
        assert!(pos.byte > prev.byte, "byte {pos:?} after {prev:?}");
        assert!(pos.row <= pos.line, "more rows than lines: {pos:?}");
        check_position(stream, pos);
        assert!(!is_blank(row.fields()), "blank row returned at {pos:?}");
        prev = pos;
        rows.push(fields(row.fields()));
    }
    assert_eq!(rdr.data_rows(), rows.len() as u64);
    // Differential check against the csv crate on plain UTF-8.
    // (Excel's `sep=;` first line is not part of the table for the reader.)
    let sep_line = data
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"sep="));
    let plain = !data.starts_with(&[0xEF, 0xBB, 0xBF]) && !utf16 && !had_errors_column && !sep_line;
    if plain && std::str::from_utf8(data).is_ok() {
        let mut expected = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(data)
            .into_records()
            .map(|r| r.expect("valid UTF-8 parses"));
        let first = expected.next().expect("the reader found a header");
        assert_eq!(fields(&first), fields(&header), "header");
        let expected: Vec<Vec<String>> = expected
            .filter(|r| !is_blank(r))
            .map(|r| fields(&r))
            .collect();
        if failed {
            assert!(rows.len() <= expected.len());
            assert_eq!(rows[..], expected[..rows.len()], "rows before the error");
        } else {
            assert_eq!(rows, expected, "rows");
        }
    }
}

fn check_position(stream: Option<&[u8]>, pos: Position) {
    let Some(stream) = stream else { return };
    let at = usize::try_from(pos.byte).expect("offset fits");
    assert!(at < stream.len(), "{pos:?} past the end");
    assert!(
        !matches!(stream[at], b'\r' | b'\n'),
        "{pos:?} starts on a line end"
    );
    if at > 0 {
        assert!(
            matches!(stream[at - 1], b'\r' | b'\n'),
            "{pos:?} does not start a line"
        );
    }
    assert_eq!(line_of(stream, at), pos.line, "line of {pos:?}");
}

/// Inputs on which a property is broken by an issue already reported to
/// the lead.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// The error CSV's header, written with unquoted cells, sniffs as
    /// another delimiter than the input's.
    pub delimiter_changes: bool,
    /// The header or a row uses all `max_columns` columns, so with the
    /// added `errors` column the error CSV exceeds the limit.
    pub columns_at_limit: bool,
    /// The input's header holds a second `errors` column, which becomes the
    /// first `errors` column of the error CSV. Fixed: only this tool's
    /// `errors` column (the last, holding its messages) is dropped; any
    /// other is data and round-trips, so this is never detected now.
    pub second_errors_column: bool,
}

impl Known {
    /// Which known issues `error_csv`, written for `header` and `failed`
    /// with `delimiter`, runs into.
    pub fn detect(
        header: &StringRecord,
        delimiter: u8,
        failed: &[OwnedRowOutcome],
        error_csv: &[u8],
    ) -> Known {
        let max_columns = Limits::default().max_columns;
        let body = error_csv
            .strip_prefix("\u{feff}".as_bytes())
            .unwrap_or(error_csv);
        Known {
            delimiter_changes: !error_csv.is_empty() && sniff_delimiter(body) != delimiter,
            columns_at_limit: header.len() >= max_columns
                || failed.iter().any(|o| o.row.len() >= max_columns),
            second_errors_column: false,
        }
    }

    /// Whether any known issue applies.
    pub fn any(&self) -> bool {
        *self != Known::default()
    }
}

/// `(code, column)` of every error except `unique`.
fn stateless(errors: &[usercsv::RowError]) -> Vec<(ErrorCode, Option<String>)> {
    errors
        .iter()
        .filter(|e| e.code != ErrorCode::Unique)
        .map(|e| (e.code, e.column.clone()))
        .collect()
}

/// Whether the error CSV starts with two byte-order marks: its first
/// header cell starts with U+FEFF, which the upload could keep (after a
/// blank line, say: the `csv` crate strips a BOM only at the very start of
/// its input) but the error CSV cannot (reading strips one BOM, the `csv`
/// crate the other). Harmless: header matching trims U+FEFF.
fn second_bom(error_csv: &[u8]) -> bool {
    error_csv.get(3..6) == Some(&[0xEF, 0xBB, 0xBF][..])
}

/// The header the error CSV of `run` reads back as: the upload's, with
/// the first cell's leading U+FEFF dropped when [`second_bom`] applies.
fn expected_header(run: &Run) -> Vec<String> {
    let mut header = fields(&run.header);
    if second_bom(&run.error_csv) {
        header[0].drain(..'\u{feff}'.len_utf8());
    }
    header
}

/// Everything one run gives: the report, the error CSV, and each outcome
/// from the streaming API.
struct Run {
    report: ValidationReport,
    error_csv: Vec<u8>,
    header: StringRecord,
    delimiter: u8,
    outcomes: Vec<OwnedRowOutcome>,
}

/// Validates `data` twice, with `validate` and with the streaming
/// iterator, and checks that both agree. `Err(code)` for a file error.
fn run(validator: &Validator, data: &[u8]) -> Result<Run, &'static str> {
    let mut builder = validator.validation();
    builder.id("fuzz").max_errors(usize::MAX);
    let mut error_csv = Vec::new();
    // The one-call run is told the input's length (it sizes the unique
    // tables from it), the streaming one is not: a hint must not change
    // a result.
    let whole = builder
        .clone()
        .input_len(Some(data.len() as u64))
        .validate(data, Some(&mut error_csv));
    let streamed = builder.from_reader(data).and_then(|mut run| {
        let header = run.header().clone();
        let delimiter = run.delimiter();
        let outcomes = run.by_ref().collect::<Result<Vec<_>, _>>()?;
        Ok((header, delimiter, outcomes, run.finish()?))
    });
    let (report, (header, delimiter, outcomes, streamed_report)) = match (whole, streamed) {
        (Ok(report), Ok(streamed)) => (report, streamed),
        (Err(a), Err(b)) => {
            assert_eq!(a.code(), b.code(), "validate and streaming disagree");
            return Err(a.code().as_str());
        }
        (a, b) => panic!(
            "validate: {:?}, streaming: {:?}",
            a.map(|r| r.rows),
            b.map(|s| s.3.rows)
        ),
    };
    assert_eq!(report.rows, streamed_report.rows, "streamed counts");
    assert_eq!(report.errors, streamed_report.errors, "streamed errors");
    let rows = report.rows;
    assert_eq!(rows.total, rows.valid + rows.invalid, "{rows:?}");
    assert_eq!(outcomes.len() as u64, rows.total, "outcomes");
    let invalid = outcomes.iter().filter(|o| !o.is_valid()).count() as u64;
    assert_eq!(invalid, rows.invalid, "invalid outcomes");
    let all_errors: Vec<_> = outcomes.iter().flat_map(|o| o.errors.clone()).collect();
    assert!(!report.errors_truncated);
    assert_eq!(report.errors, all_errors, "report errors = outcome errors");
    Ok(Run {
        report,
        error_csv,
        header,
        delimiter,
        outcomes,
    })
}

/// Target `pipeline`: validation with the user schema, then the error CSV
/// round trip. With `strict == false`, inputs hitting a [`Known`] issue
/// skip the assertions that issue breaks. Returns the known issues met.
pub fn check_pipeline(data: &[u8], strict: bool) -> Known {
    let validator = users_validator();
    let Ok(first) = run(&validator, data) else {
        return Known::default();
    };
    let failed: Vec<OwnedRowOutcome> = first
        .outcomes
        .iter()
        .filter(|o| !o.is_valid())
        .cloned()
        .collect();
    if failed.is_empty() {
        assert!(first.error_csv.is_empty(), "error CSV without failed rows");
        return Known::default();
    }
    let known = Known::detect(&first.header, first.delimiter, &failed, &first.error_csv);
    let skip = |issue: bool| issue && !strict;
    assert!(first.error_csv.starts_with("\u{feff}".as_bytes()), "BOM");
    if skip(known.delimiter_changes || known.columns_at_limit) {
        return known;
    }

    // Read the error CSV back: same header, one row per failed row, the
    // fields as uploaded.
    let mut rdr = ReaderBuilder::new()
        .from_reader(&first.error_csv[..])
        .unwrap_or_else(|e| panic!("error CSV unreadable: {e} ({})", e.code()));
    assert!(rdr.had_errors_column(), "no errors column");
    assert_eq!(rdr.delimiter(), first.delimiter, "delimiter");
    if !skip(known.second_errors_column) {
        assert_eq!(fields(rdr.header()), expected_header(&first), "header");
    }
    let reread: Vec<Vec<String>> = rdr
        .rows()
        .map(|r| r.map(|row| fields(row.fields())))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("error CSV row unreadable: {e} ({})", e.code()));
    assert_eq!(reread.len(), failed.len(), "rows in the error CSV");
    for (again, before) in reread.iter().zip(&failed) {
        if skip(known.second_errors_column) {
            continue;
        }
        assert_eq!(
            again,
            &fields(before.row.fields()),
            "fields of row {}",
            before.row.position().row
        );
    }

    // Validate the error CSV: the same rows, each with the same errors
    // except `unique` ones (the first occurrence may have been valid and
    // so is not in the error CSV).
    let second = run(&validator, &first.error_csv)
        .unwrap_or_else(|code| panic!("error CSV fails validation: {code}"));
    assert_eq!(second.report.rows.total, first.report.rows.invalid, "rows");
    for (after, before) in second.outcomes.iter().zip(&failed) {
        let row = before.row.position().row;
        if skip(known.second_errors_column) {
            continue;
        }
        assert_eq!(
            stateless(&after.errors),
            stateless(&before.errors),
            "errors of row {row}: {:?} then {:?}",
            before.errors,
            after.errors
        );
        if !stateless(&before.errors).is_empty() {
            assert!(!after.is_valid(), "row {row} became valid");
        }
    }
    // Without `unique` errors the error CSV is a fixed point.
    let unique = |run: &Run| {
        run.outcomes
            .iter()
            .any(|o| o.errors.iter().any(|e| e.code == ErrorCode::Unique))
    };
    if !unique(&first) && !unique(&second) && !skip(known.second_errors_column) {
        let mut expected = first.error_csv.clone();
        if second_bom(&expected) {
            expected.drain(3..6);
        }
        assert_eq!(
            String::from_utf8_lossy(&second.error_csv),
            String::from_utf8_lossy(&expected),
            "error CSV of the error CSV"
        );
    }
    known
}

/// Target `schema`: any TOML text either fails to parse or compiles.
pub fn check_schema(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(schema) = Schema::from_toml_str(text) else {
        return;
    };
    if let Ok(validator) = ValidatorBuilder::new().today(today()).build(&schema) {
        // The template validates without panicking (it need not pass: a
        // schema's own `example` may break its rules).
        let template = validator.template_csv();
        let _ = validator.validation().validate(template.as_bytes(), None);
    }
    // The schema survives a TOML round trip.
    let toml = schema.to_toml();
    let again = Schema::from_toml_str(&toml)
        .unwrap_or_else(|e| panic!("to_toml output does not parse: {e}\n{toml}"));
    assert_eq!(again, schema, "TOML round trip");
}
