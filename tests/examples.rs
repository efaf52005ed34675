//! Runs each cookbook example (`examples/*.rs`) and checks its exact output.
//!
//! The examples are run as the binaries Cargo builds next to this test
//! (`target/<profile>/examples/`). `cargo test` builds every example before
//! running tests; to stay correct when only this test was built
//! (`cargo test --test examples`), the examples are built first with the
//! same Cargo, target directory, profile and features: a no-op when fresh.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `target/<profile>`: this test binary is `target/<profile>/deps/examples-<hash>`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("deps");
    deps.parent().expect("the profile directory").to_path_buf()
}

/// The features this test was built with, so that the examples are built
/// with the same (and Cargo finds them fresh).
fn features() -> String {
    let enabled = [
        ("cli", cfg!(feature = "cli")),
        ("mail", cfg!(feature = "mail")),
    ];
    let names: Vec<&str> = enabled
        .iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| *name)
        .collect();
    names.join(",")
}

/// Builds the examples once per test run.
fn build_examples() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let profile = profile_dir();
        let target_dir = profile.parent().expect("the target directory");
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args([
                "build",
                "--quiet",
                "--examples",
                "--no-default-features",
                "--features",
            ])
            .arg(features())
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target_dir);
        if profile.file_name().is_some_and(|name| name == "release") {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("cargo runs");
        assert!(status.success(), "building the examples failed");
    });
}

/// Runs `examples/<name>.rs` from the package root; returns its stdout.
fn run(name: &str, args: &[&str]) -> String {
    build_examples();
    let binary = profile_dir()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let output = Command::new(&binary)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|err| panic!("{}: {err}", binary.display()));
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert!(
        output.status.success(),
        "{name} failed: {}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn validate_file() {
    let out_dir = tempfile::tempdir().unwrap();
    let stdout = run(
        "validate_file",
        &["examples/users.csv", out_dir.path().to_str().unwrap()],
    );
    assert_eq!(
        stdout,
        "\
10 rows: 4 valid, 6 invalid
row 4 email: email
row 5 businessMobilePhone: phone_not_mobile
row 6 lastName: required
row 7 birthDate: date
row 7 endDate: date_order
row 8 birthDate: date_range
row 8 email: unique
row 9 businessMobilePhone: phone
row 9 language: one_of
failed rows saved as example-upload.csv
Upload example-upload: 6 of 10 users have validation errors
"
    );
    let error_csv = std::fs::read_to_string(out_dir.path().join("example-upload.csv")).unwrap();
    assert!(error_csv.starts_with("\u{feff}email,firstName,lastName,businessMobilePhone,"));
    assert!(error_csv.contains("\nbarbara.liskov@example.com,Barbara,,'+1 202 555 0143,E-1005,"));
    assert_eq!(error_csv.lines().count(), 7);
}

#[test]
fn stream_outcomes() {
    assert_eq!(
        run("stream_outcomes", &[]),
        r#"import ada@example.com (Ada Lovelace), mobile +31612345678
import grace@example.com (Grace Hopper), mobile -
2 failed rows:
E-mail;First name;Surname;Mobile;errors
alan@example;Alan;Turing;'+31 6 87654321;"E-mail: expected an e-mail address like name@example.com, found ""alan@example"" (the domain needs a top-level domain such as .com)"
edsger@example.com;Edsger;;'+31 20 123 4567;"Surname: required, but the cell is empty; Mobile: expected a mobile phone number, found ""+31 20 123 4567"", which is a fixed-line number"
"#
    );
}

#[test]
fn schema_toml() {
    assert_eq!(
        run("schema_toml", &[]),
        r#"1 valid, 3 invalid
row 3 pattern: Employee ID: expected an employee number like E-1234, found "1002"
row 4 email: email: expected an e-mail address like name@example.com, found "grace@example" (the domain needs a top-level domain such as .com)
row 4 date_order: left: "01-02-2024" is before hired "01-03-2024"; expected a date on or after it
row 5 date: hired: expected a date as DD-MM-YYYY or YYYY-MM-DD, found "31-02-2024" (check the order of year, month and day, the number of digits, and that the day exists)
row 5 unique: Employee ID: "E-1001" already appears in row 2; each Employee ID must be unique in the file
"#
    );
}

#[test]
fn sync() {
    assert_eq!(
        run("sync", &[]),
        "\
delta: 0 create, 1 update, 1 unchanged, 0 archive
  row 4 required: firstName: required for a new user, but the file has no such column
  row 4 required: lastName: required for a new user, but the file has no such column
full: 1 create, 1 update, 1 unchanged, 1 archive
  archive: grace@example.com
Effect: 1 new users, 1 updated, 1 unchanged, 1 to archive.
"
    );
}

#[cfg(feature = "mail")]
#[test]
fn email() {
    assert_eq!(
        run("email", &[]),
        r#"From: "User import" <noreply@example.com>
Subject: Upload upload-42: 1 of 2 users has validation errors
Date: Mon, 01 Dec 2025 00:00:00 +0000
To: hr-admins@example.com
Reply-To: support@example.com
Content-Disposition: attachment; filename="upload-42.csv"
--
Your user upload upload-42 was validated: 1 of 2 users has validation errors.

The attached file upload-42.csv holds only the rows that failed, exactly as uploaded, with a last column "errors" that says what is wrong in each row.

What to do next:
1. Open upload-42.csv.
2. Read the "errors" column at the end of each row.
3. Fix the values in the row (the "errors" column can stay; it is ignored).
4. Upload upload-42.csv again.

1 other user passed validation.

If you need help, give support the upload id upload-42.
"#
    );
}

#[test]
fn progress() {
    assert_eq!(
        run("progress", &[]),
        "validated 2000 rows, 100% of the bytes\ncancelled: code cancelled, no report\n"
    );
}

#[test]
fn threads() {
    assert_eq!(
        run("threads", &[]),
        "5000 rows: 4522 valid, 478 invalid, with 1 or 4 threads\n"
    );
}
