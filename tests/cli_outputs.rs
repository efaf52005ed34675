//! The command line's outputs: none replaces an input or another output,
//! each is written whole or not at all, and no temp file outlives a run.
#![cfg(feature = "cli")]

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/cli.rs"]
mod cli_support;
use cli_support::{data, path, stderr, stdout, usercsv};

/// The names in `dir`, sorted: temp files (any name) show up here.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// A temp dir holding a copy of the fixture `name` as `as_name`.
fn dir_with(name: &str, as_name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(data(name), dir.path().join(as_name)).unwrap();
    dir
}

fn mixed() -> Vec<u8> {
    fs::read(data("mixed.csv")).unwrap()
}

/// Asserts a refusal before anything was written: exit 2, the message, and
/// the folder exactly as it was.
fn assert_refused(dir: &Path, args: &[&str], message: &str) {
    let before = listing(dir);
    let out = usercsv(dir, args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stderr(&out), format!("usercsv: error: {message}\n"));
    assert_eq!(stdout(&out), "");
    assert_eq!(listing(dir), before);
}

#[test]
fn an_output_that_is_the_input_is_refused() {
    let dir = dir_with("mixed.csv", "users.csv");
    assert_refused(
        dir.path(),
        &["validate", "users.csv", "--errors-out", "users.csv"],
        "--errors-out users.csv is the same file as the input users.csv: writing it would destroy that input",
    );
    assert_refused(
        dir.path(),
        &[
            "validate",
            "users.csv",
            "--report",
            "./users.csv",
            "--quiet",
        ],
        "--report ./users.csv is the same file as the input users.csv: writing it would destroy that input",
    );
    assert_eq!(fs::read(dir.path().join("users.csv")).unwrap(), mixed());
}

#[test]
fn an_id_that_names_the_input_in_its_folder_is_refused() {
    // The loop the notification teaches: fix users.csv, upload users.csv.
    let dir = dir_with("mixed.csv", "users.csv");
    assert_refused(
        dir.path(),
        &["validate", "users.csv", "--id", "users", "--quiet"],
        "the error CSV users.csv (named after --id users) is the same file as the input users.csv: writing it would destroy that input",
    );
    // The same file as standard input.
    let out = Command::new(env!("CARGO_BIN_EXE_usercsv"))
        .args(["validate", "-", "--id", "users", "--quiet"])
        .current_dir(dir.path())
        .stdin(fs::File::open(dir.path().join("users.csv")).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "usercsv: error: the error CSV users.csv (named after --id users) is the same file as standard input: writing it would destroy that input\n"
    );
    assert_eq!(fs::read(dir.path().join("users.csv")).unwrap(), mixed());
    assert_eq!(listing(dir.path()), ["users.csv"]);
}

#[cfg(unix)]
#[test]
fn symlinks_and_hard_links_to_an_input_are_refused() {
    let dir = dir_with("mixed.csv", "users.csv");
    std::os::unix::fs::symlink("users.csv", dir.path().join("link.json")).unwrap();
    fs::hard_link(dir.path().join("users.csv"), dir.path().join("hard.csv")).unwrap();
    assert_refused(
        dir.path(),
        &["validate", "users.csv", "--report", "link.json"],
        "--report link.json is the same file as the input users.csv: writing it would destroy that input",
    );
    assert_refused(
        dir.path(),
        &["validate", "hard.csv", "--errors-out", "users.csv"],
        "--errors-out users.csv is the same file as the input hard.csv: writing it would destroy that input",
    );
    assert_refused(
        dir.path(),
        &["validate", "users.csv", "--id", "hard"],
        "the error CSV hard.csv (named after --id hard) is the same file as the input users.csv: writing it would destroy that input",
    );
    assert_eq!(fs::read(dir.path().join("users.csv")).unwrap(), mixed());
}

#[test]
fn two_outputs_on_one_file_are_refused() {
    let dir = dir_with("mixed.csv", "users.csv");
    // Neither exists yet: the paths still name one file.
    assert_refused(
        dir.path(),
        &[
            "validate",
            "users.csv",
            "--errors-out",
            "out",
            "--report",
            "./out",
        ],
        "--errors-out out and --report ./out are the same file: each output needs a path of its own",
    );
    fs::write(dir.path().join("out"), "kept").unwrap();
    assert_refused(
        dir.path(),
        &[
            "validate",
            "users.csv",
            "--errors-out",
            "out",
            "--report",
            "out",
        ],
        "--errors-out out and --report out are the same file: each output needs a path of its own",
    );
    assert_eq!(fs::read_to_string(dir.path().join("out")).unwrap(), "kept");
}

#[test]
fn the_archive_list_never_replaces_the_existing_users() {
    let dir = dir_with("existing.csv", "current.csv");
    fs::copy(data("full.csv"), dir.path().join("all.csv")).unwrap();
    assert_refused(
        dir.path(),
        &[
            "validate",
            "all.csv",
            "--existing",
            "current.csv",
            "--mode",
            "full",
            "--archive-out",
            "current.csv",
        ],
        "--archive-out current.csv is the same file as --existing current.csv: writing it would destroy that input",
    );
    assert_eq!(
        fs::read(dir.path().join("current.csv")).unwrap(),
        fs::read(data("existing.csv")).unwrap()
    );
}

#[test]
fn template_and_guide_never_replace_the_schema() {
    let dir = dir_with("custom.toml", "schema.toml");
    for command in ["template", "guide"] {
        assert_refused(
            dir.path(),
            &[command, "--schema", "schema.toml", "-o", "schema.toml"],
            "-o schema.toml is the same file as --schema schema.toml: writing it would destroy that input",
        );
    }
    assert_eq!(
        fs::read(dir.path().join("schema.toml")).unwrap(),
        fs::read(data("custom.toml")).unwrap()
    );
    // `-o -` is standard output, not a file named `-`.
    let out = usercsv(
        dir.path(),
        &["template", "--schema", "schema.toml", "-o", "-"],
    );
    assert_eq!(out.status.code(), Some(0));
    let file = usercsv(
        dir.path(),
        &["template", "--schema", "schema.toml", "-o", "t.csv"],
    );
    assert_eq!(file.status.code(), Some(0));
    assert_eq!(fs::read(dir.path().join("t.csv")).unwrap(), out.stdout);
    assert_eq!(listing(dir.path()), ["schema.toml", "t.csv"]);
}

#[test]
fn an_output_that_is_a_folder_is_refused_before_reading() {
    let dir = dir_with("mixed.csv", "users.csv");
    fs::create_dir(dir.path().join("out")).unwrap();
    assert_refused(
        dir.path(),
        &["validate", "users.csv", "--errors-out", "out"],
        "--errors-out out is a folder: expected a file path",
    );
    assert_refused(
        dir.path(),
        &["validate", "users.csv", "--report", "missing/r.json"],
        "--report missing/r.json: cannot use the folder missing: No such file or directory (os error 2)",
    );
}

#[cfg(unix)]
#[test]
fn dev_null_stays_a_character_device() {
    use std::os::unix::fs::FileTypeExt;
    let dir = dir_with("mixed.csv", "users.csv");
    let out = usercsv(
        dir.path(),
        &[
            "validate",
            "users.csv",
            "--errors-out",
            "/dev/null",
            "--report",
            "/dev/null",
            "--quiet",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert_eq!(listing(dir.path()), ["users.csv"]);
    // An all-valid run leaves it too (it is not a stale output to remove).
    let out = usercsv(
        dir.path(),
        &[
            "validate",
            path(&data("valid.csv")),
            "--errors-out",
            "/dev/null",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_output_is_written_directly() {
    let dir = dir_with("mixed.csv", "users.csv");
    let status = Command::new("mkfifo").arg(dir.path().join("pipe")).status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("no mkfifo: skipped");
        return;
    }
    let fifo = dir.path().join("pipe");
    let reader = std::thread::spawn(move || fs::read(fifo).unwrap());
    let out = usercsv(
        dir.path(),
        &["validate", "users.csv", "--errors-out", "pipe", "--quiet"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let piped = reader.join().unwrap();
    let file = usercsv(
        dir.path(),
        &["validate", "users.csv", "--errors-out", "e.csv", "--quiet"],
    );
    assert_eq!(file.status.code(), Some(1));
    assert_eq!(piped, fs::read(dir.path().join("e.csv")).unwrap());
    assert_eq!(listing(dir.path()), ["e.csv", "pipe", "users.csv"]);
}

#[test]
fn an_input_named_like_a_temp_file_is_untouched() {
    let dir = dir_with("mixed.csv", "u.csv.partial");
    let out = usercsv(
        dir.path(),
        &[
            "validate",
            "u.csv.partial",
            "--errors-out",
            "u.csv",
            "--quiet",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(fs::read(dir.path().join("u.csv.partial")).unwrap(), mixed());
    assert_eq!(listing(dir.path()), ["u.csv", "u.csv.partial"]);
}

#[test]
fn no_temp_file_is_left_after_exit_0_1_or_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = |input: &str, code: i32| {
        let out = usercsv(
            dir.path(),
            &[
                "validate",
                path(&data(input)),
                "--id",
                "u",
                "--report",
                "r.json",
                "--quiet",
            ],
        );
        assert_eq!(out.status.code(), Some(code), "{input}: {}", stderr(&out));
    };
    run("valid.csv", 0);
    assert_eq!(listing(dir.path()), ["r.json"]);
    run("mixed.csv", 1);
    assert_eq!(listing(dir.path()), ["r.json", "u.csv"]);
    run("missing_email.csv", 2);
    assert_eq!(listing(dir.path()), ["r.json"]);
}

#[test]
fn dash_is_standard_output_and_the_notification_goes_to_stderr() {
    let dir = dir_with("mixed.csv", "users.csv");
    let file = usercsv(
        dir.path(),
        &[
            "validate",
            "users.csv",
            "--id",
            "x",
            "--errors-out",
            "e.csv",
            "--quiet",
        ],
    );
    assert_eq!(file.status.code(), Some(1));
    let out = usercsv(
        dir.path(),
        &["validate", "users.csv", "--id", "x", "--errors-out", "-"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(out.stdout, fs::read(dir.path().join("e.csv")).unwrap());
    assert_eq!(
        stderr(&out),
        format!(
            "{}usercsv: 2 failed rows written to standard output\n",
            stdout(&file).replace("e.csv", "x.csv (written to standard output)")
        )
    );

    let out = usercsv(
        dir.path(),
        &[
            "validate",
            "users.csv",
            "--id",
            "x",
            "--report",
            "-",
            "--quiet",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["rows"]["invalid"], 2);
    assert!(stderr(&out).starts_with("Subject: "), "{}", stderr(&out));
    assert_eq!(listing(dir.path()), ["e.csv", "users.csv", "x.csv"]);

    assert_refused(
        dir.path(),
        &[
            "validate",
            "users.csv",
            "--errors-out",
            "-",
            "--report",
            "-",
        ],
        "--errors-out - and --report - both ask for standard output: only one output can go there",
    );
}

#[test]
fn a_run_replaces_or_removes_every_output_it_owns() {
    let dir = tempfile::tempdir().unwrap();
    let stale = |names: &[&str]| {
        for name in names {
            fs::write(dir.path().join(name), "stale").unwrap();
        }
    };
    let args = |input: &str| {
        vec![
            "validate".to_string(),
            path(&data(input)).to_string(),
            "--id".to_string(),
            "u".to_string(),
            "--report".to_string(),
            "r.json".to_string(),
            "--quiet".to_string(),
        ]
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        usercsv(dir.path(), &args)
    };

    // Exit 0: no error CSV, so the stale one goes; the report is new.
    stale(&["u.csv", "r.json"]);
    assert_eq!(run(args("valid.csv")).status.code(), Some(0));
    assert_eq!(listing(dir.path()), ["r.json"]);
    let report = fs::read_to_string(dir.path().join("r.json")).unwrap();
    assert!(report.contains("\"invalid\": 0"), "{report}");

    // Exit 1: both replaced.
    stale(&["u.csv", "r.json"]);
    assert_eq!(run(args("mixed.csv")).status.code(), Some(1));
    assert!(
        fs::read_to_string(dir.path().join("u.csv"))
            .unwrap()
            .starts_with("\u{feff}email,")
    );
    assert!(
        fs::read_to_string(dir.path().join("r.json"))
            .unwrap()
            .contains("\"invalid\": 2")
    );

    // Exit 2, a file-level error: the report says so, the error CSV goes.
    stale(&["u.csv", "r.json"]);
    assert_eq!(run(args("missing_email.csv")).status.code(), Some(2));
    assert_eq!(listing(dir.path()), ["r.json"]);
    assert!(
        fs::read_to_string(dir.path().join("r.json"))
            .unwrap()
            .contains("missing_column")
    );

    // Exit 1, a full sync held by the mass-archive guard: the previous
    // archive list goes and no new one is written.
    stale(&["archive.csv"]);
    let mut refused = args("truncated.csv");
    refused.extend(
        ["--existing", path(&data("existing.csv")), "--mode", "full"]
            .map(String::from)
            .into_iter()
            .chain(["--archive-out".to_string(), "archive.csv".to_string()]),
    );
    let out = run(refused);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(listing(dir.path()), ["r.json"]);
    assert!(
        fs::read_to_string(dir.path().join("r.json"))
            .unwrap()
            .contains("\"held\"")
    );

    // Exit 2 before reading (a bad schema file): stale outputs go too.
    stale(&["u.csv", "archive.csv"]);
    fs::write(dir.path().join("bad.toml"), "[[columns]\n").unwrap();
    let mut bad = args("mixed.csv");
    bad.extend(["--schema".to_string(), "bad.toml".to_string()]);
    assert_eq!(run(bad).status.code(), Some(2));
    assert_eq!(listing(dir.path()), ["archive.csv", "bad.toml"]);
}

/// Starts a run reading standard input and feeds it failing rows without
/// closing it, until a file other than `stale` appears in `dir`.
fn start_slow_run(dir: &Path, stale: &[&str]) -> (Child, std::process::ChildStdin) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_usercsv"))
        .args([
            "validate", "-", "--id", "u", "--report", "r.json", "--quiet",
        ])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut rows = String::from("email,firstName,lastName,businessMobilePhone\n");
    for i in 0..2000 {
        rows.push_str(&format!("user{i}@example,First,Last,+31 6 12345678\n"));
    }
    stdin.write_all(rows.as_bytes()).unwrap();
    stdin.flush().unwrap();
    let start = Instant::now();
    while listing(dir).iter().all(|n| stale.contains(&n.as_str())) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no output appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, stdin)
}

fn interrupt(signal: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    for name in ["u.csv", "r.json"] {
        fs::write(dir.path().join(name), "stale").unwrap();
    }
    let (child, stdin) = start_slow_run(dir.path(), &["u.csv", "r.json"]);
    // The error CSV's temp file exists now: the run is under way.
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    assert_eq!(stderr(&out), "usercsv: interrupted; no output was kept\n");
    // No temp file, no stale output, no half output.
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn sigterm_leaves_no_temp_file_and_no_output() {
    interrupt("-TERM", 143);
}

#[cfg(unix)]
#[test]
fn sigint_leaves_no_temp_file_and_no_output() {
    interrupt("-INT", 130);
}

#[test]
fn archive_percent_must_be_a_percentage() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["nan", "NaN", "inf", "-1", "100.5", "ten"] {
        let flag = format!("--max-archive-percent={bad}");
        let out = usercsv(
            dir.path(),
            &[
                "validate",
                path(&data("truncated.csv")),
                "--existing",
                path(&data("existing.csv")),
                "--mode",
                "full",
                &flag,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&out).contains(&format!(
                "invalid value '{bad}' for '--max-archive-percent <P>': expected a percentage from 0 to 100, found \"{bad}\""
            )),
            "{}",
            stderr(&out)
        );
        assert_eq!(stdout(&out), "");
    }
    for good in ["0", "100", "12.5"] {
        let out = usercsv(
            dir.path(),
            &[
                "validate",
                path(&data("valid.csv")),
                "--max-archive-percent",
                good,
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{good}: {}", stderr(&out));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_write_error_naming_the_output() {
    use std::os::unix::fs::FileTypeExt;
    if !fs::metadata("/dev/full").is_ok_and(|m| m.file_type().is_char_device()) {
        eprintln!("no /dev/full: skipped");
        return;
    }
    let dir = dir_with("mixed.csv", "users.csv");
    let out = usercsv(
        dir.path(),
        &[
            "validate",
            "users.csv",
            "--errors-out",
            "/dev/full",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "usercsv: error: cannot write --errors-out /dev/full: No space left on device (os error 28)\n"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        report["file_errors"],
        serde_json::json!([{
            "code": "write",
            "message": "could not write the error CSV: No space left on device (os error 28)"
        }])
    );

    let out = usercsv(
        dir.path(),
        &[
            "validate",
            "users.csv",
            "--id",
            "u",
            "--report",
            "/dev/full",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "usercsv: error: cannot write --report /dev/full: No space left on device (os error 28)\n"
    );
    assert!(
        fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert_eq!(listing(dir.path()), ["u.csv", "users.csv"]);
}

#[test]
fn concurrent_runs_on_one_output_never_mix_their_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let header = "email,firstName,lastName,businessMobilePhone\n";
    for (name, domain) in [("a.csv", "a"), ("b.csv", "b")] {
        let mut text = String::from(header);
        for i in 0..20_000 {
            text.push_str(&format!("user{i}@{domain},First,Last,+31 6 12345678\n"));
        }
        fs::write(dir.path().join(name), text).unwrap();
    }
    for (input, alone) in [("a.csv", "alone-a.csv"), ("b.csv", "alone-b.csv")] {
        let out = usercsv(
            dir.path(),
            &["validate", input, "--errors-out", alone, "--quiet"],
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    }
    let alone_a = fs::read(dir.path().join("alone-a.csv")).unwrap();
    let alone_b = fs::read(dir.path().join("alone-b.csv")).unwrap();
    for _ in 0..3 {
        let runs: Vec<Child> = ["a.csv", "b.csv"]
            .iter()
            .map(|input| {
                Command::new(env!("CARGO_BIN_EXE_usercsv"))
                    .args(["validate", input, "--errors-out", "out.csv", "--quiet"])
                    .current_dir(dir.path())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for run in runs {
            let out = run.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        }
        let written = fs::read(dir.path().join("out.csv")).unwrap();
        assert!(written == alone_a || written == alone_b, "mixed output");
        assert_eq!(
            listing(dir.path()),
            ["a.csv", "alone-a.csv", "alone-b.csv", "b.csv", "out.csv"]
        );
    }
}

/// A name too long for its temp file is refused before the previous file
/// at that path is removed.
#[test]
fn an_output_name_too_long_for_its_temp_file_is_refused_first() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("in.csv"),
        "email,firstName,lastName\nbad,A,B\n",
    )
    .unwrap();
    let name = format!("{}.csv", "e".repeat(240));
    fs::write(dir.path().join(&name), "previous").unwrap();
    let out = usercsv(
        dir.path(),
        &["validate", "in.csv", "--errors-out", &name, "--quiet"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("the file name is 244 bytes long; at most 243 fit beside the temp file"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join(&name)).unwrap(),
        "previous"
    );

    let newline = usercsv(dir.path(), &["validate", "in.csv", "--delimiter", "\n"]);
    assert_eq!(newline.status.code(), Some(2));
}
