//! End-to-end tests of the `usercsv` binary.
#![cfg(feature = "cli")]

use std::fs;
use std::path::Path;
use std::process::Output;

#[path = "common/cli.rs"]
mod cli_support;
use cli_support::{data, path, stderr, stdout, usercsv, usercsv_stdin};

#[test]
fn invalid_rows_exit_1_and_write_the_error_csv_named_after_the_id() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("mixed.csv");
    let out = usercsv(
        dir.path(),
        &["validate", path(&input), "--id", "u-1", "--quiet"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let error_csv = fs::read_to_string(dir.path().join("u-1.csv")).unwrap();
    assert_eq!(
        error_csv,
        "\u{feff}email,firstName,lastName,businessMobilePhone,startDate,endDate,language,errors\n\
         alan@example,Alan,Turing,'+31 20 123 4567,2024-01-01,2023-12-31,EN,\"email: expected an e-mail address like name@example.com, found \"\"alan@example\"\" (the domain needs a top-level domain such as .com); businessMobilePhone: expected a mobile phone number, found \"\"+31 20 123 4567\"\", which is a fixed-line number; endDate: \"\"2023-12-31\"\" is before startDate \"\"2024-01-01\"\"; expected a date on or after it\"\n\
         '=cmd@example.com, Grace ,Hopper,,2024-1-5,,xx,\"startDate: expected a date as YYYY-MM-DD, found \"\"2024-1-5\"\" (check the order of year, month and day, the number of digits, and that the day exists); language: expected one of en, nl, de, fr, es (upper or lower case), found \"\"xx\"\"\"\n"
    );
    assert_eq!(
        stdout(&out),
        "Subject: Upload u-1: 2 of 3 users have validation errors\n\n\
         Your user upload u-1 was validated: 2 of 3 users have validation errors.\n\n\
         The file u-1.csv holds only the rows that failed, exactly as uploaded, with a last column \"errors\" that says what is wrong in each row.\n\n\
         What to do next:\n\
         1. Open u-1.csv.\n\
         2. Read the \"errors\" column at the end of each row.\n\
         3. Fix the values in the row (the \"errors\" column can stay; it is ignored).\n\
         4. Upload u-1.csv again.\n\n\
         1 other user passed validation.\n\
         1 blank row was skipped.\n\n\
         If you need help, give support the upload id u-1.\n"
    );
}

#[test]
fn json_report_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("mixed.csv");
    let out = usercsv(
        dir.path(),
        &[
            "validate",
            path(&input),
            "--id",
            "u-2",
            "--format",
            "json",
            "--report",
            "r.json",
            "--errors-out",
            "e.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let written: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(report, written);
    assert_eq!(report["id"], "u-2");
    assert_eq!(
        report["rows"],
        serde_json::json!({"total": 3, "valid": 1, "invalid": 2, "blank": 1})
    );
    assert_eq!(report["file_errors"], serde_json::json!([]));
    assert_eq!(report["errors_truncated"], false);
    let errors = report["errors"].as_array().unwrap();
    let summary: Vec<(u64, u64, &str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (3, 3, "email", "email"),
            (3, 3, "businessMobilePhone", "phone_not_mobile"),
            (3, 3, "endDate", "date_order"),
            (5, 5, "startDate", "date"),
            (5, 5, "language", "one_of"),
        ]
    );
    assert_eq!(errors[0]["value"], "alan@example");
    assert!(dir.path().join("e.csv").exists());
    assert!(!dir.path().join("u-2.csv").exists());
}

#[test]
fn all_valid_exits_0_and_writes_no_error_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = usercsv(
        dir.path(),
        &["validate", path(&data("valid.csv")), "--id", "ok"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "Subject: Upload ok: 2 users are valid and will be imported\n\n\
         Your user upload ok was validated.\n\n2 users are valid and will be imported.\n"
    );
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file may be left behind"
    );
}

#[test]
fn template_validates_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let template = usercsv(dir.path(), &["template"]);
    assert_eq!(template.status.code(), Some(0));
    let text = stdout(&template);
    assert!(text.starts_with(
        "email,firstName,lastName,businessMobilePhone,employeeNumber,birthDate,startDate,endDate,language,department\n"
    ));
    let out = usercsv_stdin(dir.path(), &["validate", "-", "--id", "t"], text.as_bytes());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).starts_with("Subject: Upload t: 1 user is valid"));

    let out = usercsv(dir.path(), &["template", "-o", "t.csv"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(fs::read_to_string(dir.path().join("t.csv")).unwrap(), text);
}

#[test]
fn printed_schema_behaves_exactly_as_the_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let schema = usercsv(dir.path(), &["schema"]);
    assert_eq!(schema.status.code(), Some(0));
    fs::write(dir.path().join("s.toml"), &schema.stdout).unwrap();
    let input = data("mixed.csv");
    let builtin = usercsv(
        dir.path(),
        &["validate", path(&input), "--id", "a", "--format", "json"],
    );
    let custom = usercsv(
        dir.path(),
        &[
            "validate",
            path(&input),
            "--id",
            "a",
            "--format",
            "json",
            "--schema",
            "s.toml",
            "--errors-out",
            "b.csv",
        ],
    );
    assert_eq!(builtin.status.code(), Some(1));
    assert_eq!(custom.status.code(), Some(1));
    assert_eq!(stdout(&builtin), stdout(&custom));
    assert_eq!(
        fs::read(dir.path().join("a.csv")).unwrap(),
        fs::read(dir.path().join("b.csv")).unwrap()
    );

    let json = usercsv(dir.path(), &["schema", "--format", "json"]);
    fs::write(dir.path().join("s.json"), &json.stdout).unwrap();
    let from_json = usercsv(
        dir.path(),
        &[
            "validate",
            path(&input),
            "--id",
            "a",
            "--format",
            "json",
            "--schema",
            "s.json",
            "--errors-out",
            "c.csv",
        ],
    );
    assert_eq!(stdout(&builtin), stdout(&from_json));
}

#[test]
fn custom_schema_with_region() {
    let dir = tempfile::tempdir().unwrap();
    let out = usercsv(
        dir.path(),
        &[
            "validate",
            path(&data("custom.csv")),
            "--schema",
            path(&data("custom.toml")),
            "--id",
            "c",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let codes: Vec<(u64, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [(3, "pattern"), (4, "phone_not_mobile"), (4, "unique")]
    );
    assert_eq!(
        report["errors"][0]["message"],
        "Employee ID: expected a code like E-123, found \"E-01\""
    );
}

#[test]
fn region_flag_accepts_national_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let csv =
        "email,firstName,lastName,businessMobilePhone\nada@example.com,Ada,Lovelace,06 12345678\n";
    let without = usercsv_stdin(
        dir.path(),
        &["validate", "-", "--id", "r", "-q"],
        csv.as_bytes(),
    );
    assert_eq!(without.status.code(), Some(1));
    let with = usercsv_stdin(
        dir.path(),
        &["validate", "-", "--id", "r2", "--region", "NL"],
        csv.as_bytes(),
    );
    assert_eq!(with.status.code(), Some(0), "{}", stdout(&with));
    let bad = usercsv_stdin(
        dir.path(),
        &["validate", "-", "--id", "r3", "--region", "XX"],
        csv.as_bytes(),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("unknown phone region \"XX\""),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn file_level_errors_exit_2_with_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = usercsv(
        dir.path(),
        &[
            "validate",
            path(&data("missing_email.csv")),
            "--id",
            "m",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        report["file_errors"],
        serde_json::json!([{
            "code": "missing_column",
            "message": "the header has no column \"email\" (required); found: firstName, lastName"
        }])
    );
    assert!(stderr(&out).contains("missing_email.csv: the header has no column \"email\""));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

    let out = usercsv(dir.path(), &["validate", "does-not-exist.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("usercsv: error: cannot open does-not-exist.csv"));
}

#[test]
fn forced_delimiter_mismatch_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("semicolon.csv");
    let detected = usercsv(dir.path(), &["validate", path(&input), "--id", "d", "-q"]);
    assert_eq!(detected.status.code(), Some(1));
    let error_csv = fs::read_to_string(dir.path().join("d.csv")).unwrap();
    assert!(
        error_csv.starts_with("\u{feff}email;firstName;lastName;errors\n"),
        "{error_csv}"
    );

    let forced = usercsv(dir.path(), &["validate", path(&input), "--delimiter", ","]);
    assert_eq!(forced.status.code(), Some(2));
    assert!(
        stderr(&forced).contains("the file probably uses ';' as its delimiter"),
        "{}",
        stderr(&forced)
    );
}

#[test]
fn bad_schema_files_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("valid.csv");
    let out = usercsv(
        dir.path(),
        &[
            "validate",
            path(&input),
            "--schema",
            path(&data("unknown_rule.toml")),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("unknown_rule.toml"), "{err}");
    assert!(err.contains("line 4"), "{err}");
    assert!(err.contains("unknown field `emial`"), "{err}");

    let out = usercsv(
        dir.path(),
        &[
            "validate",
            path(&input),
            "--schema",
            path(&data("bad_regex.toml")),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad_regex.toml (line 2)"), "{err}");
    assert!(err.contains("invalid pattern \"E-(\\d+\""), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("valid.csv");
    for args in [
        vec!["validate"],
        vec!["validate", path(&input), "--format", "xml"],
        vec!["validate", path(&input), "--id", "../escape"],
        vec!["validate", path(&input), "--delimiter", "ab"],
        vec!["frobnicate"],
    ] {
        let out = usercsv(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn generated_ids_are_unique_and_name_the_error_csv() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("mixed.csv");
    let a = usercsv(
        dir.path(),
        &["validate", path(&input), "--format", "json", "-q"],
    );
    let b = usercsv(
        dir.path(),
        &["validate", path(&input), "--format", "json", "-q"],
    );
    let id = |o: &Output| {
        serde_json::from_str::<serde_json::Value>(&stdout(o)).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (a, b) = (id(&a), id(&b));
    assert_ne!(a, b);
    assert!(dir.path().join(format!("{a}.csv")).exists());
    assert!(dir.path().join(format!("{b}.csv")).exists());
}

#[test]
fn readme_main_job_on_the_bundled_example() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/users.csv");
    let out = usercsv(
        dir.path(),
        &["validate", path(&example), "--id", "example-upload"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out)
            .starts_with("Subject: Upload example-upload: 6 of 10 users have validation errors\n")
    );
    let error_csv = fs::read_to_string(dir.path().join("example-upload.csv")).unwrap();
    assert_eq!(error_csv.lines().count(), 7);
}

#[test]
fn delta_bulk_phone_update_against_existing_users() {
    let dir = tempfile::tempdir().unwrap();
    let out = usercsv(
        dir.path(),
        &[
            "validate",
            path(&data("phones.csv")),
            "--existing",
            path(&data("existing.csv")),
            "--id",
            "d",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        report["plan"],
        serde_json::json!({"create": 0, "update": 1, "unchanged": 1, "archive": 0})
    );
    let text = usercsv(
        dir.path(),
        &[
            "validate",
            path(&data("phones.csv")),
            "--existing",
            path(&data("existing.csv")),
            "--id",
            "d",
        ],
    );
    assert!(
        stdout(&text).contains("Effect: 0 new users, 1 updated, 1 unchanged.\n"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn full_sync_writes_the_archive_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = usercsv(
        dir.path(),
        &[
            "validate",
            path(&data("full.csv")),
            "--existing",
            path(&data("existing.csv")),
            "--mode",
            "full",
            "--archive-out",
            "archive.csv",
            "--id",
            "f",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        report["plan"],
        serde_json::json!({"create": 1, "update": 0, "unchanged": 18, "archive": 2})
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("archive.csv")).unwrap(),
        "email,firstName,lastName,businessMobilePhone\n\
         user19@example.com,First19,Last19,+31 6 10000019\n\
         user20@example.com,First20,Last20,+31 6 10000020\n"
    );
}

#[test]
fn mass_archive_guard_holds_the_sync_exits_1_and_writes_no_archive_list() {
    let dir = tempfile::tempdir().unwrap();
    let args = |extra: &[&'static str]| {
        let mut args = vec![
            "validate".to_string(),
            path(&data("truncated.csv")).to_string(),
            "--existing".to_string(),
            path(&data("existing.csv")).to_string(),
            "--mode".to_string(),
            "full".to_string(),
            "--archive-out".to_string(),
            "archive.csv".to_string(),
            "--id".to_string(),
            "g".to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let tripped = args(&["--format", "json"]);
    let tripped: Vec<&str> = tripped.iter().map(String::as_str).collect();
    let out = usercsv(dir.path(), &tripped);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["file_errors"], serde_json::json!([]));
    assert_eq!(
        report["held"],
        serde_json::json!({"archive": 15, "existing": 20, "max_percent": 10.0, "max_count": 10})
    );
    assert_eq!(report["plan"]["archive"], 0);
    assert_eq!(
        stderr(&out),
        "usercsv: this full sync would archive 15 of 20 existing users, more than 10% and more than 10: \
         the file may be truncated or belong to another company; nobody was archived, and an operator \
         must approve the archive; pass --allow-mass-archive to archive anyway\n"
    );
    assert!(!dir.path().join("archive.csv").exists());
    let text = usercsv(
        dir.path(),
        &args(&[]).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(text.status.code(), Some(1));
    assert!(
        stdout(&text)
            .starts_with("Subject: Upload g: sync held: it would archive 15 of 20 users\n"),
        "{}",
        stdout(&text)
    );

    let allowed = args(&["--allow-mass-archive"]);
    let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
    let out = usercsv(dir.path(), &allowed);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(dir.path().join("archive.csv"))
            .unwrap()
            .lines()
            .count(),
        16
    );

    let raised = args(&["--max-archive-percent", "80"]);
    let raised: Vec<&str> = raised.iter().map(String::as_str).collect();
    assert_eq!(usercsv(dir.path(), &raised).status.code(), Some(0));
}

#[test]
fn full_sync_with_a_shifted_row_archives_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let sync = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sync");
    let out = usercsv(
        dir.path(),
        &[
            "validate",
            path(&sync.join("shifted.csv")),
            "--existing",
            path(&sync.join("existing.csv")),
            "--mode",
            "full",
            "--archive-out",
            "archive.csv",
            "--errors-out",
            "out.csv",
            "--id",
            "sh",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("The file out.csv holds only the rows that failed"),
        "{text}"
    );
    assert!(
        text.contains("Note: nobody was archived: 1 row (row 3)"),
        "{text}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("archive.csv")).unwrap(),
        "email,firstName,lastName,businessMobilePhone,language\n"
    );
}

#[test]
fn full_mode_needs_existing_users() {
    let dir = tempfile::tempdir().unwrap();
    let out = usercsv(
        dir.path(),
        &["validate", path(&data("valid.csv")), "--mode", "full"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "usercsv: error: --mode full needs --existing FILE (the current users)\n"
    );
}

#[test]
fn guide_is_rendered_from_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let md = usercsv(dir.path(), &["guide"]);
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    let md = stdout(&md);
    assert!(md.starts_with("# How to prepare your user file\n"), "{md}");
    assert!(md.contains("`email` (key) | yes |"), "{md}");
    let html = usercsv(
        dir.path(),
        &["guide", "--format", "html", "-o", "guide.html"],
    );
    assert_eq!(html.status.code(), Some(0));
    let html = fs::read_to_string(dir.path().join("guide.html")).unwrap();
    assert!(
        html.contains("<h1>How to prepare your user file</h1>"),
        "{html}"
    );
    let custom = usercsv(
        dir.path(),
        &["guide", "--schema", path(&data("custom.toml"))],
    );
    assert!(
        stdout(&custom).contains("`code` (key)"),
        "{}",
        stdout(&custom)
    );
    assert_eq!(
        usercsv(dir.path(), &["guide", "--format", "pdf"])
            .status
            .code(),
        Some(2)
    );
}

/// `--threads` defaults to every core; any count gives the same bytes.
#[test]
fn default_threads_give_the_same_outputs_as_one_thread() {
    let dir = tempfile::tempdir().unwrap();
    // Enough rows for several batches, some failing (every 7th e-mail).
    let mut csv = String::from("email,firstName,lastName,businessMobilePhone\n");
    for i in 0..3_000 {
        let email = if i % 7 == 0 {
            format!("user{i}@example")
        } else {
            format!("user{i}@example.com")
        };
        csv.push_str(&format!(
            "{email},Ada,Lovelace,+31 6 {:08}\n",
            10_000_000 + i
        ));
    }
    let input = dir.path().join("in.csv");
    fs::write(&input, &csv).unwrap();
    // Each run in a folder of its own, with the same relative output names.
    let run = |name: &str, threads: &[&str]| {
        let here = dir.path().join(name);
        fs::create_dir(&here).unwrap();
        let mut args = vec!["validate", path(&input), "--id", "same", "--quiet"];
        args.extend(["--report", "report.json"]);
        args.extend(threads);
        let out = usercsv(&here, &args);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        (
            fs::read(here.join("same.csv")).unwrap(),
            fs::read(here.join("report.json")).unwrap(),
            out.stdout,
        )
    };
    let one = run("one", &["--threads", "1"]);
    let default = run("default", &[]);
    let three = run("three", &["--threads", "3"]);
    assert_eq!(one.0.iter().filter(|&&b| b == b'\n').count(), 1 + 429);
    assert!(one == default, "default threads differ from one thread");
    assert!(one == three, "three threads differ from one thread");
    // More threads than the system would start (the trial saw an abort at
    // 20,000): taken as MAX_THREADS, the same bytes.
    let many = run("many", &["--threads", "65535"]);
    assert!(one == many, "65535 threads differ from one thread");
    // Loading existing users on as many: the same plan.
    fs::write(dir.path().join("current.csv"), &csv).unwrap();
    let plan = |threads: &str| {
        let current = dir.path().join("current.csv");
        let report = dir.path().join(format!("plan-{threads}.json"));
        let out = usercsv(
            dir.path(),
            &[
                "validate",
                path(&input),
                "--existing",
                path(&current),
                "--threads",
                threads,
                "--report",
                path(&report),
                "--errors-out",
                "-",
                "--quiet",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let report: serde_json::Value =
            serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
        assert_eq!(report["plan"]["unchanged"], 3_000 - 429, "{report}");
        report["plan"].to_string()
    };
    assert_eq!(plan("65535"), plan("1"));

    let zero = usercsv(dir.path(), &["validate", path(&input), "--threads", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(stderr(&zero).contains("--threads"), "{}", stderr(&zero));
}

/// The archive list holds the export's rows verbatim, and needs an export
/// it can read twice.
#[test]
fn archive_list_is_verbatim_and_needs_a_regular_export() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("current.csv"),
        "email,firstName,lastName\nada@example.com,Ada,Lovelace\n\
         eve@example.com,=HYPERLINK(\"http://evil/\"),Evil\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("all.csv"),
        "email,firstName,lastName\nada@example.com,Ada,Lovelace\n",
    )
    .unwrap();
    let full = [
        "validate",
        "all.csv",
        "--existing",
        "current.csv",
        "--mode",
        "full",
        "--allow-mass-archive",
        "--archive-out",
        "archive.csv",
        "--quiet",
    ];
    let out = usercsv(dir.path(), &full);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(dir.path().join("archive.csv")).unwrap(),
        "email,firstName,lastName\neve@example.com,\"=HYPERLINK(\"\"http://evil/\"\")\",Evil\n"
    );

    // One user exported twice (two spellings of the key): the plan keeps
    // the later row, and so does the archive list: one row per archived
    // user, as the report counts them.
    fs::write(
        dir.path().join("current.csv"),
        "email,firstName,lastName\nbob@example.com,Bob,Old\nada@example.com,Ada,Lovelace\n\
         BOB@example.com,Bob,New\n",
    )
    .unwrap();
    let out = usercsv(dir.path(), &full);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(dir.path().join("archive.csv")).unwrap(),
        "email,firstName,lastName\nBOB@example.com,Bob,New\n"
    );
    fs::write(
        dir.path().join("current.csv"),
        "email,firstName,lastName\nada@example.com,Ada,Lovelace\n\
         eve@example.com,=HYPERLINK(\"http://evil/\"),Evil\n",
    )
    .unwrap();

    let export = fs::read(dir.path().join("current.csv")).unwrap();
    let mut piped = full.to_vec();
    piped[3] = "/dev/stdin";
    let out = usercsv_stdin(dir.path(), &piped, &export);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "--existing /dev/stdin is not a regular file: --archive-out reads it a second time"
        ),
        "{}",
        stderr(&out)
    );
}
