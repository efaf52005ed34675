//! Validate with several threads: the same report and error CSV, byte for
//! byte, as with one.
//!
//! ```text
//! cargo run --example threads
//! ```

use std::error::Error;

use usercsv::generate::{TODAY, UserCsv};
use usercsv::{Schema, ValidatorBuilder};

fn main() -> Result<(), Box<dyn Error>> {
    // A generated upload: 5,000 users, 10% with one mistake each.
    let upload = UserCsv::new(5_000).invalid_share(0.1).seed(1).to_bytes();
    let validator = ValidatorBuilder::new()
        .today(TODAY)
        .build(&Schema::users())?;

    let run = |threads: usize| -> Result<_, Box<dyn Error>> {
        let mut error_csv = Vec::new();
        let report = validator
            .validation()
            .id("upload-5000")
            .threads(threads)
            .input_len(Some(upload.len() as u64))
            .validate(&upload[..], Some(&mut error_csv))?;
        Ok((report, error_csv))
    };
    let (one, one_csv) = run(1)?;
    let (four, four_csv) = run(4)?;
    assert_eq!(one, four);
    assert_eq!(one_csv, four_csv);
    println!(
        "{} rows: {} valid, {} invalid, with 1 or 4 threads",
        four.rows.total, four.rows.valid, four.rows.invalid
    );
    Ok(())
}
