//! Stream row outcomes into an import and write the error CSV in the same
//! pass.
//!
//! ```text
//! cargo run --example stream_outcomes
//! ```

use std::error::Error;

use usercsv::{Schema, Validator};

const UPLOAD: &str = "\
E-mail;First name;Surname;Mobile
ada@example.com;Ada;Lovelace;+31 6 12345678
alan@example;Alan;Turing;+31 6 87654321
grace@example.com;Grace;Hopper;
edsger@example.com;Edsger;;+31 20 123 4567
";

/// What the host imports: normalised values, by schema column name.
#[derive(Debug)]
struct User {
    email: String,
    name: String,
    mobile: Option<String>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let validator = Validator::new(&Schema::users())?;
    let mut run = validator
        .validation()
        .id("upload-7")
        .from_reader(UPLOAD.as_bytes())?;

    // The error CSV uses the upload's header, delimiter and line ending.
    let mut errors = run.error_csv_writer(Vec::new())?;
    let mut imported = Vec::new();
    while let Some(outcome) = run.next_outcome()? {
        if outcome.is_valid() {
            imported.push(User {
                email: outcome.normalized("email").unwrap_or_default().into_owned(),
                name: format!(
                    "{} {}",
                    outcome.get("firstName").unwrap_or(""),
                    outcome.get("lastName").unwrap_or("")
                ),
                mobile: outcome
                    .normalized("businessMobilePhone")
                    .filter(|m| !m.is_empty())
                    .map(|m| m.into_owned()),
            });
        } else {
            errors.write_row(outcome.row().fields(), outcome.errors())?;
        }
    }
    let failed = errors.rows();
    let error_csv = String::from_utf8(errors.finish()?)?;
    let report = run.finish()?;

    for user in &imported {
        println!(
            "import {} ({}), mobile {}",
            user.email,
            user.name,
            user.mobile.as_deref().unwrap_or("-")
        );
    }
    println!("{failed} failed rows:");
    print!("{}", error_csv.trim_start_matches('\u{feff}'));

    assert_eq!((report.rows.valid, report.rows.invalid), (2, 2));
    assert_eq!(imported[0].mobile.as_deref(), Some("+31612345678"));
    // The same bytes `validate` writes in its own single pass.
    let mut expected = Vec::new();
    validator
        .validation()
        .validate(UPLOAD.as_bytes(), Some(&mut expected))?;
    assert_eq!(error_csv.as_bytes(), expected);
    Ok(())
}
