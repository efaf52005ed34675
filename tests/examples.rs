//! Runs each cookbook example (`examples/*.rs`) and checks its exact output.
//!
//! The examples are run as the binaries Cargo builds next to this test
//! (`target/<profile>/examples/`). `cargo test` builds every example before
//! running tests; to stay correct when only this test was built
//! (`cargo test --test examples`), the examples are built first with the
//! same Cargo, target directory, profile and features: a no-op when fresh.
//! Each example's expected output is `examples/output/<name>.txt`, which
//! the cookbook (`src/cookbook.rs`) shows under the program.

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

/// The examples this file runs (the cookbook's).
const EXAMPLES: &[&str] = &[
    "validate_file",
    "stream_outcomes",
    "schema_toml",
    "sync",
    #[cfg(feature = "mail")]
    "email",
    "progress",
    "threads",
];

/// Builds the examples once per test run.
fn build_examples() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let profile = profile_dir();
        let target_dir = profile.parent().expect("the target directory");
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--quiet", "--no-default-features", "--features"])
            .arg(features())
            .args(EXAMPLES.iter().flat_map(|name| ["--example", name]))
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

/// The output an example must print: `examples/output/<name>.txt`, also
/// shown in the cookbook.
macro_rules! expected {
    ($name:literal) => {
        include_str!(concat!("../examples/output/", $name, ".txt"))
    };
}

#[test]
fn validate_file() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().to_str().unwrap();
    assert_eq!(
        run("validate_file", &["examples/users.csv", out]),
        expected!("validate_file")
    );
    let error_csv = std::fs::read_to_string(out_dir.path().join("example-upload.csv")).unwrap();
    assert!(error_csv.starts_with("\u{feff}email,firstName,lastName,businessMobilePhone,"));
    assert!(error_csv.contains("\nbarbara.liskov@example.com,Barbara,,'+1 202 555 0143,E-1005,"));
    assert_eq!(error_csv.lines().count(), 7);
}

#[test]
fn stream_outcomes() {
    assert_eq!(run("stream_outcomes", &[]), expected!("stream_outcomes"));
}

#[test]
fn schema_toml() {
    assert_eq!(run("schema_toml", &[]), expected!("schema_toml"));
}

#[test]
fn sync() {
    assert_eq!(run("sync", &[]), expected!("sync"));
}

#[cfg(feature = "mail")]
#[test]
fn email() {
    assert_eq!(run("email", &[]), expected!("email"));
}

#[test]
fn progress() {
    assert_eq!(run("progress", &[]), expected!("progress"));
}

#[test]
fn threads() {
    assert_eq!(run("threads", &[]), expected!("threads"));
}
