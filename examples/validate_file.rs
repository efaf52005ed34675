//! Validate a file with the built-in user schema and save the error CSV.
//!
//! ```text
//! cargo run --example validate_file -- examples/users.csv [OUT_DIR]
//! ```
//!
//! The error CSV is saved as `<id>.csv` in `OUT_DIR` (default: the system's
//! temporary directory), only when some rows failed.

use std::error::Error;
use std::fs::File;
use std::path::PathBuf;

use usercsv::{Schema, Validator};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .unwrap_or_else(|| "examples/users.csv".to_string());
    let out_dir = args.next().map_or_else(std::env::temp_dir, PathBuf::from);

    // Compile the schema once; reuse the validator for every upload.
    let validator = Validator::new(&Schema::users())?;
    let mut error_csv = Vec::new();
    let report = validator
        .validation()
        .id("example-upload")
        .validate(File::open(&input)?, Some(&mut error_csv))?;

    let rows = report.rows;
    println!(
        "{} rows: {} valid, {} invalid",
        rows.total, rows.valid, rows.invalid
    );
    for error in &report.errors {
        println!(
            "row {} {}: {}",
            error.row,
            error.column.as_deref().unwrap_or("-"),
            error.code
        );
    }
    if !report.is_valid() {
        std::fs::write(out_dir.join(report.error_csv_name()), &error_csv)?;
        println!("failed rows saved as {}", report.error_csv_name());
    }
    println!("{}", report.notification().subject);

    if input == "examples/users.csv" {
        assert_eq!((rows.valid, rows.invalid), (4, 6));
        assert_eq!(error_csv.iter().filter(|&&b| b == b'\n').count(), 7); // header + 6 rows
    }
    Ok(())
}
