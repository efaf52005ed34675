//! Full-sync safety: a full sync never archives a user whose row is in the
//! file, and a tripped mass-archive guard holds the sync instead of failing
//! the run.

mod common;

use std::path::{Path, PathBuf};

use usercsv::{
    ArchiveGuard, ArchiveSkipped, ErrorCsvDelivery, ExistingSet, Mode, PlanCounts, Schema,
    ValidationReport, Validator,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sync")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap()
}

fn validator() -> Validator {
    Validator::new(&Schema::users()).unwrap()
}

/// One full-sync run's results: the report, the plan's archive keys and the
/// error CSV.
struct Synced {
    report: ValidationReport,
    archive: Vec<String>,
    error_csv: String,
}

/// A full sync through `validate_with_plan` on `threads` threads.
fn sync(existing_csv: &str, upload: &str, guard: ArchiveGuard, threads: usize) -> Synced {
    sync_mode(existing_csv, upload, guard, threads, Mode::Full)
}

fn sync_mode(
    existing_csv: &str,
    upload: &str,
    guard: ArchiveGuard,
    threads: usize,
    mode: Mode,
) -> Synced {
    let v = validator();
    let existing = ExistingSet::from_reader(&v, existing_csv.as_bytes()).unwrap();
    let mut error_csv = Vec::new();
    let (report, plan) = v
        .validation()
        .id("s")
        .existing(existing)
        .mode(mode)
        .archive_guard(guard)
        .threads(threads)
        .validate_with_plan(upload.as_bytes(), Some(&mut error_csv))
        .unwrap();
    let plan = plan.expect("a plan with existing users");
    assert_eq!(plan.counts, report.plan.unwrap());
    Synced {
        report,
        archive: plan.archive,
        error_csv: String::from_utf8(error_csv).unwrap(),
    }
}

/// The same sync through the streaming API (`next_outcome`).
fn sync_streaming(existing_csv: &str, upload: &str, guard: ArchiveGuard) -> Synced {
    let v = validator();
    let existing = ExistingSet::from_reader(&v, existing_csv.as_bytes()).unwrap();
    let mut builder = v.validation();
    builder
        .id("s")
        .existing(existing)
        .mode(Mode::Full)
        .archive_guard(guard);
    let mut run = builder.from_reader(upload.as_bytes()).unwrap();
    while run.next_outcome().unwrap().is_some() {}
    let (report, plan) = run.finish_with_plan().unwrap();
    Synced {
        report,
        archive: plan.unwrap().archive,
        error_csv: String::new(),
    }
}

fn counts(create: u64, update: u64, unchanged: u64, archive: u64) -> PlanCounts {
    let mut counts = PlanCounts::default();
    (counts.create, counts.update) = (create, update);
    (counts.unchanged, counts.archive) = (unchanged, archive);
    counts
}

/// An `ArchiveSkipped` (non-exhaustive, so built from its default).
fn skipped(rows: u64, first_row: u64, missing: u64) -> ArchiveSkipped {
    let mut skipped = ArchiveSkipped::default();
    (skipped.rows, skipped.first_row, skipped.missing) = (rows, first_row, missing);
    skipped
}

fn warning_codes(report: &ValidationReport) -> Vec<&str> {
    report.warnings.iter().map(|w| w.code.as_str()).collect()
}

const SHIFTED_NOTE: &str = "Note: nobody was archived: 1 row (row 3) does not say for certain which user it is, because of a wrong number of fields, an empty or invalid key, or a key that is an existing user's written another way; 1 existing user is missing from the file but was not archived (fix those rows and sync again).\n";

#[test]
fn a_row_with_an_extra_field_archives_nobody_but_valid_rows_still_plan() {
    // Columns reordered, and "Turing, Jr" unquoted: the key position reads
    // " Jr", so Alan used to be archived.
    let (existing, upload) = (read("existing.csv"), read("shifted.csv"));
    for threads in [1, 2] {
        let s = sync(&existing, &upload, ArchiveGuard::default(), threads);
        assert!(s.archive.is_empty(), "threads {threads}: {:?}", s.archive);
        assert_eq!(s.report.plan, Some(counts(1, 0, 2, 0)), "threads {threads}");
        assert_eq!(
            (s.report.rows.valid, s.report.rows.invalid),
            (3, 1),
            "threads {threads}"
        );
        assert_eq!(s.report.errors.len(), 1);
        assert_eq!(
            (s.report.errors[0].row, s.report.errors[0].code.as_str()),
            (3, "field_count")
        );
        assert_eq!(s.report.archive_skipped, Some(skipped(1, 3, 1)));
        assert_eq!(warning_codes(&s.report), ["archive_skipped"]);
        assert_eq!(s.report.held, None);
        // The row is in the error CSV as uploaded: its message under
        // `errors`, the extra field after it.
        assert_eq!(
            s.error_csv,
            "\u{feff}firstName,lastName,email,errors\n\
             Alan,Turing, Jr,\"the row has 4 fields but the header has 3: check for a missing or extra delimiter, or a value with an unquoted delimiter\",alan@example.com\n"
        );
        let n = s.report.notification();
        assert_eq!(n.subject, "Upload s: 1 of 4 users has validation errors");
        assert!(n.body.contains(SHIFTED_NOTE), "{}", n.body);
        assert!(
            n.body
                .contains("Effect: 1 new user, 0 updated, 2 unchanged.\n"),
            "{}",
            n.body
        );
    }
    let streamed = sync_streaming(&existing, &upload, ArchiveGuard::default());
    assert!(streamed.archive.is_empty());
    assert_eq!(streamed.report.plan, Some(counts(1, 0, 2, 0)));
    assert_eq!(streamed.report.warnings, {
        sync(&existing, &upload, ArchiveGuard::default(), 1)
            .report
            .warnings
    });
}

#[test]
fn too_few_fields_also_archive_nobody_even_when_the_key_cell_reads_right() {
    let existing = read("existing.csv");
    let upload = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example.com,Alan\n";
    for threads in [1, 2] {
        let s = sync(&existing, upload, ArchiveGuard::default(), threads);
        assert!(s.archive.is_empty());
        assert_eq!(s.report.plan, Some(counts(0, 0, 1, 0)));
        assert_eq!(s.report.archive_skipped, Some(skipped(1, 3, 1)));
    }
}

#[test]
fn an_empty_or_invalid_key_archives_nobody() {
    let existing = read("existing.csv");
    // Grace is missing; rows 3 and 4 have an empty and an invalid e-mail:
    // either could be Grace.
    let upload = "email,firstName,lastName\n\
                  ada@example.com,Ada,Lovelace\n\
                  ,Grace,Hopper\n\
                  alan@example,Alan,Turing\n\
                  new@example.com,New,User\n";
    for threads in [1, 2] {
        let s = sync(&existing, upload, ArchiveGuard::default(), threads);
        assert!(s.archive.is_empty());
        assert_eq!(s.report.plan, Some(counts(1, 0, 1, 0)));
        assert_eq!(s.report.archive_skipped, Some(skipped(2, 3, 2)));
        assert_eq!(
            s.report.warnings[0].message,
            "nobody was archived: 2 rows (the first is row 3) do not say for certain which user they are, because of a wrong number of fields, an empty or invalid key, or a key that is an existing user's written another way; 2 existing users are missing from the file but were not archived (fix those rows and sync again)"
        );
    }
}

#[test]
fn a_duplicate_key_names_its_user_and_does_not_stop_the_archive() {
    let existing = read("existing.csv");
    let upload = "email,firstName,lastName\n\
                  ada@example.com,Ada,Lovelace\n\
                  ADA@example.com,Ada,Lovelace\n\
                  alan@example.com,Alan,Turing\n";
    for threads in [1, 2] {
        let s = sync(&existing, upload, ArchiveGuard::default(), threads);
        assert_eq!(s.report.errors[0].code.as_str(), "unique");
        assert_eq!(s.archive, ["grace@example.com"]);
        assert_eq!(s.report.plan, Some(counts(0, 0, 2, 1)));
        assert_eq!(s.report.archive_skipped, None);
        assert!(s.report.warnings.is_empty());
    }
}

#[test]
fn untrusted_rows_with_nobody_missing_skip_nothing() {
    let existing = read("existing.csv");
    let upload = "email,firstName,lastName\n\
                  ada@example.com,Ada,Lovelace\n\
                  alan@example.com,Alan,Turing\n\
                  grace@example.com,Grace,Hopper\n\
                  new@example.com,New,User,extra\n";
    let s = sync(&existing, upload, ArchiveGuard::default(), 2);
    assert!(s.archive.is_empty());
    assert_eq!(s.report.archive_skipped, None);
    assert!(s.report.warnings.is_empty());
    assert_eq!(s.report.plan, Some(counts(0, 0, 3, 0)));
}

#[test]
fn a_delta_upload_with_a_shifted_row_has_no_archive_warning() {
    let (existing, upload) = (read("existing.csv"), read("shifted.csv"));
    let s = sync_mode(&existing, &upload, ArchiveGuard::default(), 2, Mode::Delta);
    assert!(s.archive.is_empty());
    assert_eq!(s.report.archive_skipped, None);
    assert!(s.report.warnings.is_empty());
}

fn many_existing(n: usize) -> String {
    let mut csv = String::from("email,firstName,lastName\n");
    for i in 0..n {
        csv.push_str(&format!("user{i}@example.com,First{i},Last{i}\n"));
    }
    csv
}

/// The first 150 of 200 users, and one row with a bad phone.
fn truncated_with_an_invalid_row() -> String {
    let mut csv = String::from("email,firstName,lastName,businessMobilePhone\n");
    for i in 0..150 {
        csv.push_str(&format!("user{i}@example.com,First{i},Last{i},\n"));
    }
    csv.push_str("new@example.com,New,User,+44 12\n");
    csv
}

const HELD_BODY: &str = "\
Your full sync s was validated, but it is held: it would archive 50 of 200 existing users, more than 10% and more than 10. The file may be truncated or belong to another company.

Nobody was archived. An operator must check the file and approve the archive before this sync is applied.

1 of 151 users has validation errors.

The attached file s.csv holds only the rows that failed, exactly as uploaded, with a last column \"errors\" that says what is wrong in each row.

What to do next:
1. Open s.csv.
2. Read the \"errors\" column at the end of each row.
3. Fix the values in the row (the \"errors\" column can stay; it is ignored).
4. Upload s.csv again.
Effect once approved: 0 new users, 150 updated, 50 to archive.

If you need help, give support the upload id s.
";

#[test]
fn a_tripped_guard_holds_the_sync_and_the_run_completes() {
    let (existing, upload) = (many_existing(200), truncated_with_an_invalid_row());
    let held = ArchiveGuard::default().check(50, 200, 150).unwrap_err();
    assert_eq!(
        (
            held.archive,
            held.existing,
            held.max_percent,
            held.max_count
        ),
        (50, 200, 10.0, 10)
    );
    for threads in [1, 2] {
        let s = sync(&existing, &upload, ArchiveGuard::default(), threads);
        assert_eq!(s.report.held, Some(held), "threads {threads}");
        assert!(s.report.file_errors.is_empty());
        assert!(!s.report.is_valid());
        // Counts of what was read; nothing to archive until approved.
        assert_eq!(
            (
                s.report.rows.total,
                s.report.rows.valid,
                s.report.rows.invalid
            ),
            (151, 150, 1)
        );
        // The export has no phone column: an empty phone cell is an update.
        assert_eq!(s.report.plan, Some(counts(0, 150, 0, 0)));
        assert!(s.archive.is_empty());
        assert_eq!(s.report.archive_skipped, None);
        // The error CSV is still written.
        assert_eq!(s.error_csv.lines().count(), 2);
        assert!(
            s.error_csv
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("new@example.com,New,User,'+44 12,\"businessMobilePhone: "),
            "{}",
            s.error_csv
        );
        let n = s.report.notification();
        assert_eq!(
            n.subject,
            "Upload s: sync held: it would archive 50 of 200 users"
        );
        assert_eq!(n.body, HELD_BODY);
    }
    let streamed = sync_streaming(&existing, &upload, ArchiveGuard::default());
    assert_eq!(streamed.report.held, Some(held));
    // Approved: the same file archives the 50.
    let approved = ArchiveGuard {
        allow: true,
        ..ArchiveGuard::default()
    };
    let s = sync(&existing, &upload, approved, 2);
    assert_eq!(s.report.held, None);
    assert_eq!(s.archive.len(), 50);
    assert_eq!(s.archive[0], "user150@example.com");
    assert_eq!(s.report.plan, Some(counts(0, 150, 0, 50)));
}

#[test]
fn a_header_only_full_file_is_held_and_says_why() {
    let existing = read("existing.csv");
    for threads in [1, 2] {
        let s = sync(
            &existing,
            "email,firstName,lastName\n",
            ArchiveGuard::default(),
            threads,
        );
        let held = s.report.held.expect("held");
        assert_eq!((held.archive, held.existing), (3, 3));
        assert_eq!(held.code(), "mass_archive");
        assert_eq!(
            held.to_string(),
            "this full sync would archive 3 of 3 existing users, because the file has no user rows: the file may be truncated or belong to another company; nobody was archived, and an operator must approve the archive"
        );
        let n = s.report.notification();
        assert_eq!(
            n.subject,
            "Upload s: sync held: it would archive 3 of 3 users"
        );
        assert_eq!(
            n.body,
            "Your full sync s was validated, but it is held: it would archive 3 of 3 existing users, because the file has no user rows. The file may be truncated or belong to another company.\n\n\
             Nobody was archived. An operator must check the file and approve the archive before this sync is applied.\n\n\
             0 users are valid.\n\
             Effect once approved: 0 new users, 0 updated, 3 to archive.\n\n\
             If you need help, give support the upload id s.\n"
        );
        assert!(s.error_csv.is_empty());
    }
}

#[test]
fn untrusted_rows_take_precedence_over_the_guard() {
    // 50 of 200 missing would trip the guard, but a shifted row means
    // nobody is archived anyway: skipped, not held.
    let mut upload = truncated_with_an_invalid_row();
    upload.push_str("x,y,z@example.com,,extra\n");
    let s = sync(&many_existing(200), &upload, ArchiveGuard::default(), 2);
    assert_eq!(s.report.held, None);
    assert_eq!(s.report.archive_skipped, Some(skipped(1, 153, 50)));
    assert!(s.archive.is_empty());
}

#[test]
fn the_report_json_carries_the_outcomes() {
    let s = sync(
        &many_existing(200),
        &truncated_with_an_invalid_row(),
        ArchiveGuard::default(),
        1,
    );
    let json = serde_json::to_value(&s.report).unwrap();
    assert_eq!(
        json["held"],
        serde_json::json!({"archive": 50, "existing": 200, "max_percent": 10.0, "max_count": 10})
    );
    assert!(json.get("archive_skipped").is_none());
    let back: ValidationReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, s.report);

    let (existing, upload) = (read("existing.csv"), read("shifted.csv"));
    let s = sync(&existing, &upload, ArchiveGuard::default(), 1);
    let json = serde_json::to_value(&s.report).unwrap();
    assert_eq!(
        json["archive_skipped"],
        serde_json::json!({"rows": 1, "first_row": 3, "missing": 1})
    );
    assert_eq!(json["warnings"][0]["code"], "archive_skipped");
    assert!(json.get("held").is_none());
}

#[test]
fn library_messages_name_no_command_line_flags() {
    let held = ArchiveGuard::default().check(50, 200, 150).unwrap_err();
    assert!(!held.to_string().contains("--"), "{held}");
    let s = sync(
        &many_existing(200),
        &truncated_with_an_invalid_row(),
        ArchiveGuard::default(),
        1,
    );
    let n = s.report.notification();
    assert!(!n.body.contains("--"), "{}", n.body);
    let (existing, upload) = (read("existing.csv"), read("shifted.csv"));
    let s = sync(&existing, &upload, ArchiveGuard::default(), 1);
    assert!(!s.report.notification().body.contains("--"));
}

#[test]
fn a_saved_error_csv_is_named_by_its_path_not_as_attached() {
    let (existing, upload) = (many_existing(200), truncated_with_an_invalid_row());
    let s = sync(&existing, &upload, ArchiveGuard::default(), 1);
    let saved = s
        .report
        .notification_for(&ErrorCsvDelivery::SavedAt("out/errors.csv".to_string()));
    assert_eq!(saved.subject, s.report.notification().subject);
    assert_eq!(
        saved.body,
        HELD_BODY
            .replace("The attached file s.csv", "The file out/errors.csv")
            .replace("Open s.csv", "Open out/errors.csv")
            .replace("Upload s.csv again", "Upload out/errors.csv again")
    );
    assert!(!saved.body.contains("attached"));
    assert_eq!(
        s.report.notification_for(&ErrorCsvDelivery::Attached),
        s.report.notification()
    );
}

#[cfg(feature = "mail")]
#[test]
fn the_held_e_mail_has_its_own_subject_and_still_attaches_the_error_csv() {
    use usercsv::mail::{MailConfig, build_message, message_bytes};
    let s = sync(
        &many_existing(200),
        &truncated_with_an_invalid_row(),
        ArchiveGuard::default(),
        2,
    );
    let config = MailConfig::new("noreply@example.com", ["admins@example.com"]).unwrap();
    let message = build_message(&s.report, Some(s.error_csv.as_bytes()), &config).unwrap();
    let eml = String::from_utf8(message_bytes(&message)).unwrap();
    assert!(
        eml.contains("Subject: Upload s: sync held: it would archive 50 of 200 users\r\n"),
        "{eml}"
    );
    assert!(
        eml.contains("Content-Disposition: attachment; filename=\"s.csv\"\r\n"),
        "{eml}"
    );
}

#[test]
fn an_export_row_with_the_wrong_field_count_is_refused() {
    // Reordered export: the key position of Alan's row would read " Jr",
    // so Alan would be both created and archived.
    let v = validator();
    let export = "firstName,lastName,email\n\
                  Ada,Lovelace,ada@example.com\n\
                  Alan,Turing, Jr,alan@example.com\n";
    let err = ExistingSet::from_reader(&v, export.as_bytes()).unwrap_err();
    assert_eq!(err.code(), "existing_field_count");
    assert_eq!(err.position().map(|p| (p.row, p.line)), Some((3, 3)));
    assert_eq!(
        err.to_string(),
        "the existing users' export has 4 fields at row 3 (line 3, byte 54) but its header has 3: its key cannot be read with certainty, so nothing was planned"
    );
}

/// The key column's uniqueness compares keys as the plan does (normalised),
/// so two spellings of one user are a duplicate, never two updates of it.
#[test]
fn two_spellings_of_one_key_are_duplicates() {
    use usercsv::{Column, PhoneRule, Schema};
    let email_key = Schema::builder()
        .key("email")
        .column(Column::new("email").required().email().unique())
        .column(Column::new("name"))
        .build();
    let phone_key = Schema::builder()
        .key("phone")
        .column(
            Column::new("phone")
                .required()
                .phone(PhoneRule::default())
                .unique(),
        )
        .column(Column::new("name"))
        .build();
    let cases = [
        (
            email_key,
            "email,name\nA@x.com,Ada\na@x.com,Alan\n",
            "a@x.com",
        ),
        (
            phone_key,
            "phone,name\n+31 6 12345678,Ada\n+31612345678,Alan\n",
            "+31612345678",
        ),
    ];
    for (schema, upload, key) in cases {
        let validator = Validator::new(&schema).unwrap();
        let mut existing = ExistingSet::new(&validator);
        existing.insert(key, [] as [Option<&str>; 0]);
        for threads in [1, 2] {
            let mut builder = validator.validation();
            builder
                .existing(existing.clone())
                .mode(Mode::Delta)
                .threads(threads);
            let report = builder.validate(upload.as_bytes(), None).unwrap();
            let codes = common::row_codes(&report);
            assert_eq!(codes, [(3, "unique")], "{upload} threads {threads}");
            assert_eq!(report.plan.map(|p| p.update), Some(1), "{upload}");
        }
    }
}

/// An error CSV sent back as a full sync holds only the rows that failed:
/// the users missing from it are no sign that they left.
#[test]
fn an_error_csv_sent_back_as_a_full_sync_archives_nobody() {
    let mut export = String::from("email,firstName,lastName\n");
    for i in 0..10 {
        export.push_str(&format!("u{i}@x.com,F{i},L{i}\n"));
    }
    let all = export.replace("u2@x.com,F2,", "u2@x.com,,");
    for threads in [1, 2] {
        let first = sync_mode(&export, &all, ArchiveGuard::default(), threads, Mode::Full);
        assert_eq!(first.report.rows.invalid, 1);
        let fixed = first.error_csv.replace("u2@x.com,,L2", "u2@x.com,F2,L2");
        let again = sync_mode(
            &export,
            &fixed,
            ArchiveGuard::default(),
            threads,
            Mode::Full,
        );
        assert_eq!(again.report.rows.invalid, 0, "threads {threads}");
        assert!(
            again.archive.is_empty(),
            "threads {threads}: {:?}",
            again.archive
        );
        assert_eq!(again.report.plan.map(|p| p.archive), Some(0));
        let skipped = again.report.archive_skipped.expect("skipped");
        assert_eq!(
            (skipped.error_csv, skipped.missing, skipped.rows),
            (true, 9, 0)
        );
        assert_eq!(
            again.report.warnings[0].message,
            "nobody was archived: the file is an error CSV, which holds only the rows that failed before; 9 existing users are missing from it but were not archived (a full sync needs the whole file: fix the rows there and sync it again)"
        );
    }
}

/// A row sent back in an error CSV with a duplicate key whose other row
/// passed (so is not in the error CSV) stays a duplicate until its key is
/// changed: fixing its other cells never lets it update the user the other
/// row imported.
#[test]
fn an_error_csv_row_keeps_its_duplicate_key_error() {
    let export = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
    let upload = "email,firstName,lastName,birthDate\n\
                  ada@example.com,Ada,Lovelace,1815-12-10\n\
                  ADA@example.com,Augusta,King,2999-01-01\n";
    for threads in [1, 2] {
        let first = sync_mode(
            export,
            upload,
            ArchiveGuard::default(),
            threads,
            Mode::Delta,
        );
        let codes: Vec<&str> = first
            .report
            .errors
            .iter()
            .map(|e| e.code.as_str())
            .collect();
        assert_eq!(codes, ["date_range", "unique"]);
        // Only the date is fixed: the row is still the same user twice.
        let date_fixed = first.error_csv.replace("2999-01-01", "1816-01-01");
        let again = sync_mode(
            export,
            &date_fixed,
            ArchiveGuard::default(),
            threads,
            Mode::Delta,
        );
        let errors = common::row_messages(&again.report);
        assert_eq!(
            errors,
            [(
                2,
                "unique",
                "email: \"ADA@example.com\" already appeared in another row of the upload this error file came from; each email must be unique: change it, or delete this message from the errors cell if this row is the right one"
            )],
            "threads {threads}"
        );
        assert_eq!(again.report.plan.map(|p| p.update), Some(0));
        // A new key is a new user.
        let key_fixed =
            date_fixed.replace("ADA@example.com,Augusta", "augusta@example.com,Augusta");
        let fixed = sync_mode(
            export,
            &key_fixed,
            ArchiveGuard::default(),
            threads,
            Mode::Delta,
        );
        assert!(fixed.report.is_valid(), "{:?}", fixed.report.errors);
        assert_eq!(fixed.report.plan.map(|p| p.create), Some(1));
    }
}

/// `josé` composed as one character or as `e` and an accent is one user.
#[test]
fn keys_compare_in_unicode_normal_form() {
    let nfc = "jos\u{e9}@x.com";
    let nfd = "jose\u{301}@x.com";
    let export = format!("email,firstName,lastName\n{nfc},J,K\nada@x.com,Ada,L\n");
    let upload = format!("email,firstName,lastName\n{nfd},J,K\nada@x.com,Ada,L\n");
    let guard = ArchiveGuard {
        allow: true,
        ..ArchiveGuard::default()
    };
    for threads in [1, 2] {
        let s = sync(&export, &upload, guard, threads);
        assert!(s.archive.is_empty(), "threads {threads}: {:?}", s.archive);
        assert_eq!(s.report.plan, Some(counts(0, 0, 2, 0)), "threads {threads}");
        let both = format!("{upload}{nfc},J,K\n");
        let s = sync(&export, &both, guard, threads);
        let codes = common::row_codes(&s.report);
        assert_eq!(codes, [(4, "unique")], "threads {threads}");
    }
}

/// One mailbox with an internationalised domain, written in Unicode in one
/// file and in its ASCII (`xn--`) form in the other: the row is refused
/// with `key_spelling`, naming the stored address, and nobody is created or
/// archived, on both sides and on one thread or two.
#[test]
fn an_address_in_another_spelling_of_its_domain_is_refused_not_created() {
    let unicode = "ada@bücher.de";
    let ascii = "ada@xn--bcher-kva.de";
    let guard = ArchiveGuard {
        allow: true,
        ..ArchiveGuard::default()
    };
    for (stored, uploaded) in [(ascii, unicode), (unicode, ascii)] {
        let export = format!("email,firstName,lastName\n{stored},Ada,L\ngrace@x.com,Grace,H\n");
        // Upper case, as an admin may type it: still one mailbox.
        let written = uploaded.to_uppercase();
        let upload = format!("email,firstName,lastName\n{written},Ada,L\ngrace@x.com,Grace,H\n");
        let message = format!(
            "email: expected \"{stored}\", the address of an existing user, found \"{written}\", the same mailbox with its domain written another way (a label starting \"xn--\" is the ASCII form of one with accents or other letters); write the existing user's address"
        );
        for threads in [1, 2] {
            let s = sync(&export, &upload, guard, threads);
            let errors = common::row_messages(&s.report);
            assert_eq!(
                errors,
                [(2, "key_spelling", message.as_str())],
                "{stored} threads {threads}"
            );
            assert!(
                s.archive.is_empty(),
                "{stored} threads {threads}: {:?}",
                s.archive
            );
            assert_eq!(
                s.report.plan,
                Some(counts(0, 0, 1, 0)),
                "{stored} threads {threads}"
            );
            assert_eq!(s.report.archive_skipped, Some(skipped(1, 2, 1)), "{stored}");
            let quoted = message.replace('"', "\"\"");
            assert_eq!(
                s.error_csv,
                format!("\u{feff}email,firstName,lastName,errors\n{written},Ada,L,\"{quoted}\"\n"),
                "{stored}"
            );
            // A delta upload (the back office's) creates nobody either.
            let s = sync_mode(&export, &upload, guard, threads, Mode::Delta);
            let codes = common::row_codes(&s.report);
            assert_eq!(codes, [(2, "key_spelling")], "{stored} delta");
            assert_eq!(s.report.plan, Some(counts(0, 0, 1, 0)), "{stored} delta");
        }
        // Written as stored, the row names its user.
        let fixed = format!("email,firstName,lastName\n{stored},Ada,L\ngrace@x.com,Grace,H\n");
        let s = sync(&export, &fixed, guard, 1);
        assert!(s.report.errors.is_empty(), "{:?}", s.report.errors);
        assert_eq!(s.report.plan, Some(counts(0, 0, 2, 0)));
    }
}

/// The other spellings of a key are every mix of its labels' forms, a
/// domain whose fourth byte is inside a character is read without a panic,
/// a store holding one mailbox twice has neither archived, and a key that
/// fails its own rules gets no spelling error besides. Found by the trials.
#[test]
fn domain_spellings_mixed_stored_twice_or_invalid() {
    let guard = ArchiveGuard {
        allow: true,
        ..ArchiveGuard::default()
    };
    let bob = "bob@example.com,Bob,B\n";
    for threads in [1, 2] {
        // New users whose domains have several-byte characters early on.
        for address in ["marie@café.fr", "taro@例え.jp", "ada@strüdel.at"] {
            let export = format!("email,firstName,lastName\n{bob}");
            let upload = format!("email,firstName,lastName\n{address},A,B\n{bob}");
            let s = sync_mode(&export, &upload, guard, threads, Mode::Delta);
            assert!(
                s.report.errors.is_empty(),
                "{address}: {:?}",
                s.report.errors
            );
            assert_eq!(s.report.plan, Some(counts(1, 0, 1, 0)), "{address}");
        }
        // Stored in a mix of both forms, uploaded in either uniform one.
        let export = format!("email,firstName,lastName\nada@xn--bcher-kva.münchen.de,Ada,L\n{bob}");
        for uploaded in [
            "ada@bücher.münchen.de",
            "ada@xn--bcher-kva.xn--mnchen-3ya.de",
            "ada@bücher.xn--mnchen-3ya.de",
        ] {
            let upload = format!("email,firstName,lastName\n{uploaded},Ada,L\n{bob}");
            let s = sync(&export, &upload, guard, threads);
            assert_eq!(
                common::row_codes(&s.report),
                [(2, "key_spelling")],
                "{uploaded}"
            );
            assert!(s.archive.is_empty(), "{uploaded}: {:?}", s.archive);
            assert_eq!(s.report.plan, Some(counts(0, 0, 1, 0)), "{uploaded}");
        }
        // One mailbox stored twice, named once: neither is archived.
        let export = format!(
            "email,firstName,lastName\nada@xn--bcher-kva.de,Ada,L\nAda@Bücher.de,Ada,L\n{bob}"
        );
        for uploaded in ["Ada@Bücher.de", "ada@xn--bcher-kva.de"] {
            let upload = format!("email,firstName,lastName\n{uploaded},Ada,L\n{bob}");
            let s = sync(&export, &upload, guard, threads);
            assert!(
                s.report.errors.is_empty(),
                "{uploaded}: {:?}",
                s.report.errors
            );
            assert!(s.archive.is_empty(), "{uploaded}: {:?}", s.archive);
            assert_eq!(s.report.plan, Some(counts(0, 0, 2, 0)), "{uploaded}");
        }
        // Spellings IDNA maps to a plain domain, against a plain stored key
        // and the other way round, with no other spelled key in the store.
        for (stored, uploaded) in [
            ("ada@example.com", "ada@ｅｘａｍｐｌｅ.com"),
            ("ada@ｅｘａｍｐｌｅ.com", "ada@example.com"),
            ("ada@1.de", "ada@①.de"),
            ("ada@①.de", "ada@1.de"),
            ("ada@ｂücher.de", "ada@xn--bcher-kva.de"),
        ] {
            let export = format!("email,firstName,lastName\n{stored},Ada,L\n{bob}");
            let upload = format!("email,firstName,lastName\n{uploaded},Ada,L\n{bob}");
            let s = sync(&export, &upload, guard, threads);
            assert_eq!(
                common::row_codes(&s.report),
                [(2, "key_spelling")],
                "{stored} {uploaded}"
            );
            assert!(s.archive.is_empty(), "{stored} {uploaded}: {:?}", s.archive);
            assert_eq!(
                s.report.plan,
                Some(counts(0, 0, 1, 0)),
                "{stored} {uploaded}"
            );
        }
        // An address that is not one (an ideographic full stop) is only
        // that: no spelling error besides.
        let export = format!("email,firstName,lastName\nada@xn--bcher-kva.de,Ada,L\n{bob}");
        let upload = format!("email,firstName,lastName\nada@bücher\u{3002}de,Ada,L\n{bob}");
        let s = sync_mode(&export, &upload, guard, threads, Mode::Delta);
        assert_eq!(common::row_codes(&s.report), [(2, "email")]);
    }
}

/// Both spellings of one mailbox in one file are duplicates, whichever
/// comes first; a plain ASCII address is unaffected.
#[test]
fn both_spellings_of_a_domain_in_one_file_are_duplicates() {
    let v = validator();
    for (first, second) in [
        ("ada@bücher.de", "ADA@XN--BCHER-KVA.DE"),
        ("ada@xn--bcher-kva.de", "Ada@Bücher.de"),
        (
            "ada@bücher.münchen.de",
            "ada@xn--bcher-kva.xn--mnchen-3ya.de",
        ),
    ] {
        let upload = format!(
            "email,firstName,lastName\n{first},Ada,L\nada@buecher.de,Ada,L\n{second},Ada,L\n"
        );
        for threads in [1, 2] {
            let mut builder = v.validation();
            builder.threads(threads);
            let report = builder.validate(upload.as_bytes(), None).unwrap();
            let errors = common::row_messages(&report);
            let message = format!(
                "email: \"{second}\" already appears in row 2; each email must be unique in the file"
            );
            assert_eq!(
                errors,
                [(4, "unique", message.as_str())],
                "{first} threads {threads}"
            );
        }
    }
}

/// An export of `rows` users in the generator's shapes, with a repeated key
/// (a later row replaces an earlier one) and an empty key every so often.
fn export_of(rows: u64) -> String {
    let mut csv = Vec::new();
    usercsv::generate::UserCsv::new(rows)
        .phone_countries(20)
        .write_to(&mut csv)
        .unwrap();
    let mut text = String::from_utf8(csv).unwrap();
    text.push_str(",Nobody,Empty,,E9999998,,,,,\n");
    let first = text.lines().nth(1).unwrap().to_string();
    text.push_str(&first.replace(",E0000000,", ",E7777777,"));
    text.push('\n');
    text
}

#[test]
fn loading_an_export_on_more_threads_gives_the_same_set() {
    use usercsv::ExistingUsers;
    let v = validator();
    let export = export_of(3_000);
    let one = ExistingSet::from_reader(&v, export.as_bytes()).unwrap();
    let keys: Vec<String> = one.keys().map(|k| k.into_owned()).collect();
    assert_eq!(keys.len(), 3_000);
    for threads in [2, 3, 8] {
        let many = ExistingSet::from_reader_with_threads(&v, export.as_bytes(), threads).unwrap();
        let many_keys: Vec<String> = many.keys().map(|k| k.into_owned()).collect();
        assert_eq!(many_keys, keys, "{threads} threads");
        for key in keys.iter().step_by(97) {
            for column in ["firstName", "employeeNumber", "businessMobilePhone"] {
                // The same stored users: the same answers for any value.
                for value in ["E0000000", "E7777777", "+31612345678", "Ada"] {
                    assert_eq!(
                        many.same_value(key, column, value),
                        one.same_value(key, column, value)
                    );
                }
            }
        }
        // The repeated key's later row replaced the earlier one.
        assert!(many.same_value(&keys[0], "employeeNumber", "E7777777"));
    }
    // A bad row far into the export: the same error, at the same row.
    let bad = format!(
        "{export}a@example.com,too,few\n{}",
        export.lines().nth(5).unwrap()
    );
    for threads in [1, 2, 8] {
        let err = ExistingSet::from_reader_with_threads(&v, bad.as_bytes(), threads).unwrap_err();
        assert_eq!(err.code(), "existing_field_count");
        assert_eq!(
            err.position().map(|p| p.row),
            Some(3_004),
            "{threads} threads"
        );
    }
}
