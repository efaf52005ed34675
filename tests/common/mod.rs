//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use chrono::NaiveDate;
use usercsv::{
    Error, ReaderBuilder, Schema, ValidationBuilder, ValidationReport, Validator, ValidatorBuilder,
};

/// `corpora/<rel>` of the product owner's shared data: under
/// `$USERCSV_SHARED_DIR` when set, else `../shared` beside the repository
/// when it is there (as on CI), else the copy in `tests/data/corpora`, so
/// that a clone anywhere runs the same tests on the same data.
pub fn shared_corpus(rel: &str) -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if let Some(dir) = std::env::var_os("USERCSV_SHARED_DIR") {
        return PathBuf::from(dir).join("corpora").join(rel);
    }
    let beside = manifest.join("../shared/corpora").join(rel);
    if beside.exists() {
        return beside;
    }
    manifest.join("tests/data/corpora").join(rel)
}

/// The fixed "today" of every test validator.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 15).unwrap()
}

/// The built-in user schema, compiled with [`today`].
pub fn users() -> Validator {
    compile(&Schema::users())
}

/// Compiles a schema with [`today`].
pub fn compile(schema: &Schema) -> Validator {
    ValidatorBuilder::new()
        .today(today())
        .build(schema)
        .unwrap()
}

/// A fixture under `tests/data/`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Reads a fixture under `tests/data/`.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).unwrap_or_else(|e| panic!("{}: {e}", data(name).display()))
}

/// Validates with id `t` and default options; returns the report and the
/// error CSV bytes (empty when every row is valid).
pub fn run(validator: &Validator, input: &[u8]) -> (ValidationReport, Vec<u8>) {
    try_run(validator, input).unwrap_or_else(|e| panic!("{}: {e}", e.code()))
}

/// Like [`run`], but returns the file-level error.
pub fn try_run(validator: &Validator, input: &[u8]) -> Result<(ValidationReport, Vec<u8>), Error> {
    let mut out = Vec::new();
    let report = validator
        .validation()
        .id("t")
        .validate(input, Some(&mut out))?;
    Ok((report, out))
}

/// Like [`try_run`], with the run configured by `configure`.
pub fn try_run_with(
    validator: &Validator,
    input: &[u8],
    configure: impl FnOnce(&mut ValidationBuilder),
) -> Result<(ValidationReport, Vec<u8>), Error> {
    let mut builder = validator.validation();
    builder.id("t");
    configure(&mut builder);
    let mut out = Vec::new();
    let report = builder.validate(input, Some(&mut out))?;
    Ok((report, out))
}

/// `(row, line, column, code)` of every row error.
pub fn errors(report: &ValidationReport) -> Vec<(u64, u64, Option<String>, &'static str)> {
    report
        .errors
        .iter()
        .map(|e| (e.row, e.line, e.column.clone(), e.code.as_str()))
        .collect()
}

/// `(row, column, code)` of every row error, columns as `&str` ("" for none).
pub fn codes(report: &ValidationReport) -> Vec<(u64, String, &'static str)> {
    report
        .errors
        .iter()
        .map(|e| (e.row, e.column.clone().unwrap_or_default(), e.code.as_str()))
        .collect()
}

/// The header and rows of an input read with `builder`.
pub type Table = (Vec<String>, Vec<Vec<String>>);

/// Reads a whole input: header and rows (fields as read).
pub fn read_with(builder: &ReaderBuilder, input: &[u8]) -> Result<Table, Error> {
    let mut rdr = builder.from_reader(input)?;
    let header = rdr.header().iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for row in rdr.rows() {
        rows.push(row?.fields().map(str::to_string).collect());
    }
    Ok((header, rows))
}

/// [`read_with`] with default options.
pub fn read(input: &[u8]) -> Result<Table, Error> {
    read_with(&ReaderBuilder::new(), input)
}

/// Rows as `(row, line, fields)`.
pub fn positions(input: &[u8]) -> Vec<(u64, u64, Vec<String>)> {
    let mut rdr = ReaderBuilder::new().from_reader(input).unwrap();
    rdr.rows()
        .map(|r| {
            let r = r.unwrap();
            (
                r.position().row,
                r.position().line,
                r.fields().map(str::to_string).collect(),
            )
        })
        .collect()
}

/// Encodes text as UTF-16 LE with a byte-order mark.
pub fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// Encodes text as UTF-16 BE with a byte-order mark.
pub fn utf16be(text: &str) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
    out
}

/// Encodes text as Windows-1252; panics on a character it cannot represent.
pub fn windows1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable, "not representable in Windows-1252: {text:?}");
    bytes.into_owned()
}

/// Writes records as CSV with `delimiter` (quoting only where needed).
pub fn write_csv<S: AsRef<str>>(records: &[Vec<S>], delimiter: u8) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_writer(Vec::new());
    for record in records {
        w.write_record(record.iter().map(|f| f.as_ref())).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// The reader's notion of a blank cell: only whitespace, BOMs and
/// zero-width spaces.
pub fn is_blank(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
}

/// The error CSV as text, its BOM checked and removed.
pub fn error_csv_text(bytes: &[u8]) -> String {
    let text = std::str::from_utf8(bytes).expect("the error CSV is UTF-8");
    text.strip_prefix('\u{feff}')
        .expect("the error CSV starts with a BOM")
        .to_string()
}

/// Each row error's row and code, in report order.
pub fn row_codes(report: &ValidationReport) -> Vec<(u64, &str)> {
    report
        .errors
        .iter()
        .map(|e| (e.row, e.code.as_str()))
        .collect()
}

/// Each row error's row, code and message, in report order.
pub fn row_messages(report: &ValidationReport) -> Vec<(u64, &str, &str)> {
    report
        .errors
        .iter()
        .map(|e| (e.row, e.code.as_str(), e.message.as_str()))
        .collect()
}
