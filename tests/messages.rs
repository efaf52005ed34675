//! Every message, pinned: what was expected and what was found, for each code.

use std::path::Path;

use chrono::NaiveDate;
use usercsv::{Schema, ValidatorBuilder};

fn data(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/messages")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn row_error_messages() {
    let schema = Schema::from_toml_str(&data("schema.toml")).unwrap();
    let validator = ValidatorBuilder::new()
        .today(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap())
        .build(&schema)
        .unwrap();
    let report = validator
        .validation()
        .id("messages")
        .validate(data("upload.csv").as_bytes(), None)
        .unwrap();
    let lines: Vec<String> = report
        .errors
        .iter()
        .map(|e| format!("row {} {:<16} {}", e.row, e.code.as_str(), e.message))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn file_error_messages() {
    let validator = ValidatorBuilder::new().build(&Schema::users()).unwrap();
    let cases: [(&str, &[u8]); 5] = [
        ("empty", b""),
        ("missing column", b"firstName,lastName\nAda,Lovelace\n"),
        (
            "duplicate column",
            b"email,firstName,lastName,E-mail\na@b.co,A,B,c@d.co\n",
        ),
        ("wrong delimiter", b"\"email;firstName;lastName\"\n"),
        (
            "unclosed quote",
            b"email,firstName,lastName\n\"a@b.co,A,B\n",
        ),
    ];
    let mut lines = Vec::new();
    for (name, input) in cases {
        let line = match validator.validate_reader(input, None) {
            Ok(report) => format!("{name}: ok, {} rows", report.rows.total),
            Err(err) => format!("{name}: [{}] {err}", err.code()),
        };
        lines.push(line);
    }
    insta::assert_snapshot!(lines.join("\n"));
}
