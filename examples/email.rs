//! Build the admin's e-mail for an upload, with the error CSV attached
//! (feature `mail`).
//!
//! ```text
//! cargo run --example email
//! ```

use std::error::Error;
use std::time::{Duration, SystemTime};

use usercsv::mail::{MailConfig, build_message_at, message_bytes, needs_attachment};
use usercsv::{Schema, Validator};

fn main() -> Result<(), Box<dyn Error>> {
    let validator = Validator::new(&Schema::users())?;
    let upload =
        "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example,Alan,Turing\n";
    let mut error_csv = Vec::new();
    let report = validator
        .validation()
        .id("upload-42")
        .validate(upload.as_bytes(), Some(&mut error_csv))?;

    let mut config = MailConfig::new(
        "User import <noreply@example.com>",
        ["hr-admins@example.com"],
    )?;
    config.reply_to = Some("support@example.com".parse()?);
    assert!(needs_attachment(&report));
    // A fixed date for reproducible output; `build_message` uses now.
    let date = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_547_200); // 2025-12-01 00:00 UTC
    let message = build_message_at(&report, Some(&error_csv), &config, date)?;

    // Write the bytes as an .eml file, or send `message` with a lettre transport.
    let eml = String::from_utf8(message_bytes(&message))?;
    for line in eml.lines() {
        if [
            "From:",
            "Reply-To:",
            "To:",
            "Subject:",
            "Date:",
            "Content-Disposition: attachment",
        ]
        .iter()
        .any(|header| line.starts_with(header))
        {
            println!("{line}");
        }
    }
    println!("--");
    print!("{}", report.notification().body);

    assert!(eml.contains("Content-Disposition: attachment; filename=\"upload-42.csv\"\r\n"));
    Ok(())
}
