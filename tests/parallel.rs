//! `threads(n)` gives the same report and error CSV, byte for byte, as one
//! thread; and the batch pipeline behind `validate` gives the same errors as
//! the row-at-a-time streaming API.

use usercsv::generate::{TODAY, UserCsv};
use usercsv::{Limits, Schema, Validator, ValidatorBuilder};

fn validator() -> Validator {
    ValidatorBuilder::new()
        .today(TODAY)
        .build(&Schema::users())
        .unwrap()
}

/// The report as JSON (or the error's code and text) and the error CSV.
fn run(
    validator: &Validator,
    input: &[u8],
    threads: usize,
    max_errors: usize,
    limits: Limits,
) -> (String, Vec<u8>) {
    let mut errors = Vec::new();
    let result = validator
        .validation()
        .id("same")
        .threads(threads)
        .max_errors(max_errors)
        .limits(limits)
        .validate(input, Some(&mut errors));
    let report = match result {
        Ok(report) => serde_json::to_string_pretty(&report).unwrap(),
        Err(err) => format!("error {}: {err} at {:?}", err.code(), err.position()),
    };
    (report, errors)
}

fn assert_same(input: &[u8], max_errors: usize, limits: Limits) -> (String, Vec<u8>) {
    let validator = validator();
    let one = run(&validator, input, 1, max_errors, limits);
    for threads in [2, 5] {
        let many = run(&validator, input, threads, max_errors, limits);
        assert_eq!(one.0, many.0, "report with {threads} threads");
        assert!(one.1 == many.1, "error CSV with {threads} threads");
    }
    one
}

#[test]
fn generated_files_give_identical_output() {
    for (rows, invalid, countries, seed) in [
        (2_500, 0.1, 60, 1),
        (1_301, 0.5, 1, 2),
        (1_000, 0.0, 5, 3),
        (1, 1.0, 1, 4),
    ] {
        let csv = UserCsv::new(rows)
            .invalid_share(invalid)
            .phone_countries(countries)
            .seed(seed)
            .to_bytes();
        let (report, errors) = assert_same(&csv, 100_000, Limits::default());
        assert!(report.contains(&format!("\"total\": {rows}")), "{report}");
        if invalid > 0.0 && rows > 1 {
            assert!(!errors.is_empty());
        }
    }
}

#[test]
fn truncated_error_list_blank_rows_and_multiline_fields() {
    let mut csv = UserCsv::new(2_000).invalid_share(0.3).seed(9).to_bytes();
    csv.extend_from_slice(b"\n\n , ,\nnew@example.com,\"Multi\nLine\",Name,,,,,,,\n");
    csv.extend_from_slice(b"short@example.com,Too,Few\n");
    let (report, _) = assert_same(&csv, 10, Limits::default());
    assert!(report.contains("\"errors_truncated\": true"), "{report}");
    assert!(report.contains("\"blank\": 3"), "{report}");
    // The short row is counted, its error cut from the list.
    assert!(report.contains("\"total\": 2002"), "{report}");
}

#[test]
fn file_errors_after_many_rows_are_the_same() {
    let csv = UserCsv::new(1_500).invalid_share(0.2).seed(5).to_bytes();
    let limits = Limits {
        max_rows: 1_200,
        ..Limits::default()
    };
    let (report, _) = assert_same(&csv, 1000, limits);
    assert!(report.starts_with("error limit_exceeded"), "{report}");
    // An unclosed quote near the end.
    let mut broken = csv.clone();
    broken.extend_from_slice(b"a@example.com,\"open,x\n");
    let (report, _) = assert_same(&broken, 1000, Limits::default());
    assert!(report.starts_with("error unclosed_quote"), "{report}");
}

#[test]
fn streaming_outcomes_match_the_batch_pipeline() {
    let validator = validator();
    let mut csv = UserCsv::new(3_000)
        .invalid_share(0.4)
        .phone_countries(20)
        .seed(11)
        .to_bytes();
    // A duplicate, a short row and dates out of order among the generated rows.
    csv.extend_from_slice(b"short@example.com,Too,Few\n");
    csv.extend_from_slice(
        b"late@example.com,Late,Starter,,,,2024-05-01,2024-01-01,en,\nLATE@example.com,Dup,User,,,,,,,\n",
    );
    let report = validator
        .validation()
        .max_errors(usize::MAX)
        .validate(&csv[..], None)
        .unwrap();
    let mut streamed = Vec::new();
    let mut run = validator.validation().from_reader(&csv[..]).unwrap();
    while let Some(outcome) = run.next_outcome().unwrap() {
        streamed.extend_from_slice(outcome.errors());
    }
    assert!(report.errors.len() > 1_000, "{}", report.errors.len());
    assert_eq!(streamed, report.errors);
    let codes: Vec<&str> = report.errors[report.errors.len() - 3..]
        .iter()
        .map(|e| e.code.as_str())
        .collect();
    assert_eq!(codes, ["field_count", "date_order", "unique"]);
}

/// A plan against existing users: the same counts, archive list and error
/// CSV on any number of threads, in both modes (the lookups and the
/// unchanged checks run on the checking threads).
#[test]
fn plans_against_existing_users_are_the_same_on_any_threads() {
    use usercsv::{ArchiveGuard, ExistingSet, Mode};
    let validator = validator();
    let mut export = Vec::new();
    UserCsv::new(3_000)
        .phone_countries(30)
        .write_to(&mut export)
        .unwrap();
    // The upload: the export with every 7th user's first name changed,
    // 100 users left out (a full sync archives them), 300 new users (the
    // first 300 again under other addresses) and some invalid rows.
    let export_text = String::from_utf8(export.clone()).unwrap();
    let mut lines = export_text.lines();
    let mut upload = format!("{}\n", lines.next().unwrap());
    let rows: Vec<&str> = lines.collect();
    for (i, line) in rows.iter().enumerate() {
        if (1_000..1_100).contains(&i) {
            continue;
        }
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        if i % 7 == 3 && cells.len() > 2 {
            cells[1] = "Changed".into();
        }
        if i % 50 == 9 && cells.len() > 3 {
            cells[3] = "+31 6 123".into();
        }
        upload.push_str(&cells.join(","));
        upload.push('\n');
    }
    for line in &rows[..300] {
        upload.push_str(&line.replacen('@', "+new@", 1).replacen(",E0", ",N0", 1));
        upload.push('\n');
    }
    let existing = ExistingSet::from_reader(&validator, export.as_slice()).unwrap();
    for mode in [Mode::Delta, Mode::Full] {
        let run = |threads: usize| {
            let mut errors = Vec::new();
            let mut builder = validator.validation();
            builder
                .id("same")
                .threads(threads)
                .existing(existing.clone())
                .mode(mode)
                .archive_guard(ArchiveGuard {
                    allow: true,
                    ..ArchiveGuard::default()
                });
            let (report, plan) = builder
                .validate_with_plan(upload.as_bytes(), Some(&mut errors))
                .unwrap();
            let archive: Vec<String> = plan
                .map(|p| p.archive_keys().map(str::to_string).collect())
                .unwrap_or_default();
            (serde_json::to_string(&report).unwrap(), archive, errors)
        };
        let one = run(1);
        let plan = serde_json::from_str::<serde_json::Value>(&one.0).unwrap()["plan"].clone();
        assert!(plan["update"].as_u64().unwrap() > 300, "{plan}");
        assert!(plan["unchanged"].as_u64().unwrap() > 2_000, "{plan}");
        assert!(plan["create"].as_u64().unwrap() > 200, "{plan}");
        if mode == Mode::Full {
            assert!(one.1.len() >= 90, "{plan}");
        }
        for threads in [2, 3] {
            assert!(run(threads) == one, "{mode:?} with {threads} threads");
        }
    }
}
