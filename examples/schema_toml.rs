//! A custom schema, written in TOML and in code, and what it reports.
//!
//! ```text
//! cargo run --example schema_toml
//! ```

use std::error::Error;

use usercsv::{Column, DateRule, Schema, Validator};

const SCHEMA: &str = r#"
key = "employeeNumber"

[[columns]]
name = "employeeNumber"
required = true
aliases = ["Employee ID"]
pattern = { regex = "E-\\d{4,6}", description = "an employee number like E-1234" }
unique = {}

[[columns]]
name = "email"
email = {}

[[columns]]
name = "hired"
date = { formats = ["DD-MM-YYYY", "YYYY-MM-DD"] }

[[columns]]
name = "left"
date = { formats = ["DD-MM-YYYY", "YYYY-MM-DD"] }

[[date_order]]
earlier = "hired"
later = "left"
"#;

const UPLOAD: &str = "\
Employee ID,email,hired,left
E-1001,ada@example.com,15-01-2024,
1002,alan@example.com,2024-02-01,
E-1003,grace@example,01-03-2024,01-02-2024
E-1001,edsger@example.com,31-02-2024,
";

fn main() -> Result<(), Box<dyn Error>> {
    let from_toml = Schema::from_toml_str(SCHEMA)?;

    // The same schema in code.
    let dates = || DateRule {
        formats: vec!["DD-MM-YYYY".into(), "YYYY-MM-DD".into()],
        ..DateRule::default()
    };
    let in_code = Schema::builder()
        .key("employeeNumber")
        .column(
            Column::new("employeeNumber")
                .required()
                .alias("Employee ID")
                .pattern(r"E-\d{4,6}", Some("an employee number like E-1234"))
                .unique(),
        )
        .column(Column::new("email").email())
        .column(Column::new("hired").date(dates()))
        .column(Column::new("left").date(dates()))
        .date_order("hired", "left")
        .build();
    assert_eq!(in_code, from_toml);

    let validator = Validator::new(&from_toml)?; // schema mistakes fail here
    let report = validator.validation().validate(UPLOAD.as_bytes(), None)?;
    println!(
        "{} valid, {} invalid",
        report.rows.valid, report.rows.invalid
    );
    for error in &report.errors {
        println!("row {} {}: {}", error.row, error.code, error.message);
    }
    let codes: Vec<&str> = report.errors.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["pattern", "email", "date_order", "date", "unique"]);
    Ok(())
}
