//! Delta uploads and full syncs planned against existing users.

mod common;

use std::collections::BTreeSet;

use proptest::prelude::*;
use usercsv::{
    Action, ArchiveGuard, Column, ExistingSet, ExistingUsers, Mode, Schema, ValidationReport,
    Validator,
};

fn validator() -> Validator {
    Validator::new(&Schema::users()).unwrap()
}

const EXISTING: &str = "\
email,firstName,lastName,businessMobilePhone,language
ada@example.com,Ada,Lovelace,+31612345678,en
alan@example.com,Alan,Turing,+44 7400 123456,en
grace@example.com,Grace,Hopper,,nl
";

fn existing(v: &Validator, csv: &str) -> ExistingSet {
    ExistingSet::from_reader(v, csv.as_bytes()).unwrap()
}

type Planned = (ValidationReport, Vec<String>, Vec<Option<Action>>);

/// Runs a plan and returns the report, the archive keys, and each row's
/// action. Run twice: the set given as it is (asked row by row) and shared
/// behind `dyn ExistingUsers` (asked through `same_values`), which must
/// plan alike.
fn plan(
    v: &Validator,
    existing_csv: &str,
    mode: Mode,
    guard: ArchiveGuard,
    upload: &str,
) -> Result<Planned, usercsv::Error> {
    let as_set = plan_with(v, existing_csv, mode, guard, upload, false);
    let as_dyn = plan_with(v, existing_csv, mode, guard, upload, true);
    match (&as_set, &as_dyn) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "set and dyn ExistingUsers plan alike"),
        (a, b) => assert_eq!(
            a.as_ref().err().map(|e| e.to_string()),
            b.as_ref().err().map(|e| e.to_string())
        ),
    }
    as_set
}

fn plan_with(
    v: &Validator,
    existing_csv: &str,
    mode: Mode,
    guard: ArchiveGuard,
    upload: &str,
    shared: bool,
) -> Result<Planned, usercsv::Error> {
    let mut builder = v.validation();
    let set = existing(v, existing_csv);
    if shared {
        builder.existing_shared(std::sync::Arc::new(set));
    } else {
        builder.existing(set);
    }
    builder.id("p").mode(mode).archive_guard(guard);
    let mut run = builder.from_reader(upload.as_bytes())?;
    let mut actions = Vec::new();
    while let Some(outcome) = run.next_outcome()? {
        actions.push(outcome.action());
    }
    let (report, plan) = run.finish_with_plan()?;
    let plan = plan.expect("a plan with existing users");
    Ok((
        report,
        plan.archive_keys().map(str::to_string).collect(),
        actions,
    ))
}

fn codes(report: &ValidationReport) -> Vec<(u64, String, &'static str)> {
    report
        .errors
        .iter()
        .map(|e| (e.row, e.column.clone().unwrap_or_default(), e.code.as_str()))
        .collect()
}

#[test]
fn bulk_phone_update_in_delta_mode() {
    let v = validator();
    let upload = "email,businessMobilePhone\nADA@example.com,+31 6 87654321\nalan@example.com,+44 7400 654321\nnew@example.com,+31 6 11111111\n";
    let (report, archive, actions) =
        plan(&v, EXISTING, Mode::Delta, ArchiveGuard::default(), upload).unwrap();
    assert_eq!(actions, [Some(Action::Update), Some(Action::Update), None]);
    assert_eq!(
        codes(&report),
        [
            (4, "firstName".to_string(), "required"),
            (4, "lastName".to_string(), "required"),
        ]
    );
    assert_eq!(
        report.errors[0].message,
        "firstName: required for a new user, but the file has no such column"
    );
    let plan = report.plan.unwrap();
    assert_eq!(
        (plan.create, plan.update, plan.unchanged, plan.archive),
        (0, 2, 0, 0)
    );
    assert!(archive.is_empty());
    assert!(
        report
            .notification()
            .body
            .contains("Effect: 0 new users, 2 updated.\n")
    );
}

#[test]
fn unchanged_through_normalisation() {
    let v = validator();
    let upload = "E-mail,Mobile phone,language\n ada@EXAMPLE.com ,+31 6 12345678,EN\nalan@example.com,+44 7400 123456,nl\n";
    let (report, _, actions) =
        plan(&v, EXISTING, Mode::Delta, ArchiveGuard::default(), upload).unwrap();
    assert_eq!(actions, [Some(Action::Unchanged), Some(Action::Update)]);
    assert_eq!(report.plan.unwrap().unchanged, 1);
}

#[test]
fn delta_keeps_stored_values_for_empty_cells_and_never_archives() {
    let v = validator();
    let upload = "email,firstName,lastName,businessMobilePhone\nada@example.com,Ada,Lovelace,\n";
    let (report, archive, actions) =
        plan(&v, EXISTING, Mode::Delta, ArchiveGuard::default(), upload).unwrap();
    assert_eq!(actions, [Some(Action::Unchanged)]);
    assert!(archive.is_empty());
    assert_eq!(report.plan.unwrap().archive, 0);
}

#[test]
fn full_mode_archives_exactly_the_missing_users_and_never_an_invalid_row() {
    let v = validator();
    // grace is missing; alan's row is invalid (bad phone) but present.
    let upload = "email,firstName,lastName,businessMobilePhone\nada@example.com,Ada,Lovelace,+31612345678\nalan@example.com,Alan,Turing,+44 12\nnew@example.com,New,User,\n";
    let guard = ArchiveGuard {
        allow: true,
        ..ArchiveGuard::default()
    };
    let (report, archive, actions) = plan(&v, EXISTING, Mode::Full, guard, upload).unwrap();
    assert_eq!(archive, ["grace@example.com"]);
    // ada's language is not in the file: absent columns keep their value.
    assert_eq!(
        actions,
        [Some(Action::Unchanged), None, Some(Action::Create)]
    );
    let plan = report.plan.unwrap();
    assert_eq!(
        (plan.create, plan.update, plan.unchanged, plan.archive),
        (1, 0, 1, 1)
    );
    assert!(report.notification().body.contains("1 to archive"));
}

#[test]
fn full_mode_requires_every_required_column() {
    let v = validator();
    let upload = "email,businessMobilePhone\nada@example.com,+31612345678\n";
    let err = plan(&v, EXISTING, Mode::Full, ArchiveGuard::default(), upload).unwrap_err();
    assert_eq!(err.code(), "missing_column");
    let upload = "email,firstName,lastName\nada@example.com,,Lovelace\n";
    let guard = ArchiveGuard {
        allow: true,
        ..ArchiveGuard::default()
    };
    let (report, _, _) = plan(&v, EXISTING, Mode::Full, guard, upload).unwrap();
    assert_eq!(codes(&report), [(2, "firstName".to_string(), "required")]);
}

#[test]
fn full_mode_empty_cell_clears_a_stored_value() {
    let v = validator();
    let upload = "email,firstName,lastName,businessMobilePhone,language\nada@example.com,Ada,Lovelace,,en\nalan@example.com,Alan,Turing,+44 7400 123456,en\ngrace@example.com,Grace,Hopper,,nl\n";
    let (_, archive, actions) =
        plan(&v, EXISTING, Mode::Full, ArchiveGuard::default(), upload).unwrap();
    assert_eq!(
        actions,
        [
            Some(Action::Update),
            Some(Action::Unchanged),
            Some(Action::Unchanged)
        ]
    );
    assert!(archive.is_empty());
}

fn many_existing(n: usize) -> String {
    let mut csv = String::from("email,firstName,lastName\n");
    for i in 0..n {
        csv.push_str(&format!("user{i}@example.com,First{i},Last{i}\n"));
    }
    csv
}

#[test]
fn guard_trips_on_a_truncated_file_and_on_a_header_only_file() {
    let v = validator();
    let existing_csv = many_existing(200);
    // A truncated file: the first 150 of 200 users -> 50 to archive (25%).
    let mut truncated = String::from("email,firstName,lastName\n");
    for i in 0..150 {
        truncated.push_str(&format!("user{i}@example.com,First{i},Last{i}\n"));
    }
    let (report, archive, _) = plan(
        &v,
        &existing_csv,
        Mode::Full,
        ArchiveGuard::default(),
        &truncated,
    )
    .unwrap();
    let held = report.held.expect("held");
    assert_eq!(held.code(), "mass_archive");
    assert_eq!(
        held.to_string(),
        "this full sync would archive 50 of 200 existing users, more than 10% and more than 10: the file may be truncated or belong to another company; nobody was archived, and an operator must approve the archive"
    );
    assert!(archive.is_empty());
    assert_eq!(report.plan.unwrap().archive, 0);

    let header_only = "email,firstName,lastName\n";
    let (report, archive, _) = plan(
        &v,
        EXISTING,
        Mode::Full,
        ArchiveGuard::default(),
        header_only,
    )
    .unwrap();
    assert_eq!(report.held.map(|h| (h.archive, h.existing)), Some((3, 3)));
    assert!(archive.is_empty());

    // Override.
    let allow = ArchiveGuard {
        allow: true,
        ..ArchiveGuard::default()
    };
    let (report, archive, _) = plan(&v, &existing_csv, Mode::Full, allow, &truncated).unwrap();
    assert_eq!(archive.len(), 50);
    assert_eq!(archive[0], "user150@example.com");
    assert_eq!(report.plan.unwrap().archive, 50);

    // Thresholds: 5% is allowed, and so is a small count.
    let mut most = String::from("email,firstName,lastName\n");
    for i in 0..190 {
        most.push_str(&format!("user{i}@example.com,First{i},Last{i}\n"));
    }
    let (_, archive, _) = plan(
        &v,
        &existing_csv,
        Mode::Full,
        ArchiveGuard::default(),
        &most,
    )
    .unwrap();
    assert_eq!(archive.len(), 10);
    let strict = ArchiveGuard {
        max_percent: 1.0,
        max_count: 5,
        allow: false,
    };
    let (report, archive, _) = plan(&v, &existing_csv, Mode::Full, strict, &most).unwrap();
    assert_eq!(report.held.map(|h| h.archive), Some(10));
    assert!(archive.is_empty());
}

#[test]
fn delta_mode_never_archives_even_a_header_only_file() {
    let v = validator();
    let (report, archive, _) = plan(
        &v,
        EXISTING,
        Mode::Delta,
        ArchiveGuard::default(),
        "email\n",
    )
    .unwrap();
    assert!(archive.is_empty());
    assert_eq!(report.plan.unwrap(), usercsv::PlanCounts::default());
}

#[test]
fn key_rules_in_custom_schemas() {
    let not_unique = Schema::builder()
        .key("employeeNumber")
        .column(Column::new("employeeNumber").required())
        .build();
    assert_eq!(
        Validator::new(&not_unique).unwrap_err().to_string(),
        "column \"employeeNumber\": the key column must be required and unique"
    );
    let not_required = Schema::builder()
        .key("employeeNumber")
        .column(Column::new("employeeNumber").unique())
        .build();
    assert!(Validator::new(&not_required).is_err());

    let schema = Schema::builder()
        .key("employeeNumber")
        .column(
            Column::new("employeeNumber")
                .required()
                .unique()
                .alias("Employee ID"),
        )
        .column(Column::new("name").required())
        .build();
    let v = Validator::new(&schema).unwrap();
    let existing_csv = "Employee ID,name\nE1,Ada\ne2,Alan\n";
    // Case-sensitive key: "e1" is a new user, "e2" exists.
    let upload = "employeeNumber,name\nE1,Ada\ne1,Other\ne2,Alan T.\n";
    let guard = ArchiveGuard {
        allow: true,
        ..ArchiveGuard::default()
    };
    let (_, archive, actions) = plan(&v, existing_csv, Mode::Full, guard, upload).unwrap();
    assert_eq!(
        actions,
        [
            Some(Action::Unchanged),
            Some(Action::Create),
            Some(Action::Update)
        ]
    );
    assert!(archive.is_empty());
}

#[test]
fn a_host_can_back_existing_users_with_its_own_store() {
    struct OneUser;
    impl ExistingUsers for OneUser {
        fn len(&self) -> usize {
            1
        }
        fn contains(&self, key: &str) -> bool {
            key == "ada@example.com"
        }
        fn same_value(&self, _key: &str, column: &str, normalized: &str) -> bool {
            matches!(
                (column, normalized),
                ("firstName", "Ada") | ("lastName", "Lovelace")
            )
        }
        fn keys(&self) -> Box<dyn Iterator<Item = std::borrow::Cow<'_, str>> + '_> {
            Box::new(std::iter::once("ada@example.com".into()))
        }
    }
    let v = validator();
    let mut builder = v.validation();
    builder.existing(OneUser).mode(Mode::Full);
    let upload = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
    let (report, plan) = builder.validate_with_plan(upload.as_bytes(), None).unwrap();
    assert_eq!(report.plan.unwrap().unchanged, 1);
    assert_eq!(plan.unwrap().archive.len(), 0);
}

/// A host's store is asked for the other spelling of an internationalised
/// domain too (`contains`), so that its user is neither duplicated by a
/// delta upload nor archived by a full sync.
#[test]
fn a_hosts_user_stored_with_the_ascii_form_of_its_domain_is_not_duplicated() {
    struct Stored;
    impl ExistingUsers for Stored {
        fn len(&self) -> usize {
            1
        }
        fn contains(&self, key: &str) -> bool {
            key == "ada@xn--bcher-kva.de"
        }
        fn same_value(&self, _key: &str, _column: &str, _normalized: &str) -> bool {
            true
        }
        fn keys(&self) -> Box<dyn Iterator<Item = std::borrow::Cow<'_, str>> + '_> {
            Box::new(std::iter::once("ada@xn--bcher-kva.de".into()))
        }
    }
    let v = validator();
    for mode in [Mode::Delta, Mode::Full] {
        let mut builder = v.validation();
        builder.existing(Stored).mode(mode);
        let upload = "email,firstName,lastName\nAda@Bücher.de,Ada,Lovelace\n";
        let (report, plan) = builder.validate_with_plan(upload.as_bytes(), None).unwrap();
        let codes = common::row_codes(&report);
        assert_eq!(codes, [(2, "key_spelling")], "{mode:?}");
        let plan = plan.unwrap();
        assert_eq!(
            (plan.counts.create, plan.counts.archive),
            (0, 0),
            "{mode:?}"
        );
        assert!(plan.archive.is_empty(), "{mode:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn plan_counts_match_valid_rows_and_archive_is_existing_minus_file(
        existing_ids in proptest::collection::btree_set(0u16..60, 0..30),
        upload_rows in proptest::collection::vec((0u16..60, any::<bool>(), any::<bool>()), 0..40),
        full in any::<bool>(),
    ) {
        let v = validator();
        let mut existing_csv = String::from("email,firstName,lastName\n");
        for id in &existing_ids {
            existing_csv.push_str(&format!("u{id}@example.com,F{id},L{id}\n"));
        }
        let mut upload = String::from("email,firstName,lastName\n");
        let mut file_keys = BTreeSet::new();
        for (id, valid, changed) in &upload_rows {
            let last = if *changed { format!("Changed{id}") } else { format!("L{id}") };
            let first = if *valid { format!("F{id}") } else { String::new() };
            upload.push_str(&format!("U{id}@Example.com,{first},{last}\n"));
            file_keys.insert(format!("u{id}@example.com"));
        }
        let mode = if full { Mode::Full } else { Mode::Delta };
        let guard = ArchiveGuard { allow: true, ..ArchiveGuard::default() };
        let (report, archive, actions) = plan(&v, &existing_csv, mode, guard, &upload).unwrap();
        let p = report.plan.unwrap();
        prop_assert_eq!(p.create + p.update + p.unchanged, report.rows.valid);
        prop_assert_eq!(actions.iter().filter(|a| a.is_some()).count() as u64, report.rows.valid);
        let expected: Vec<String> = if full {
            existing_ids
                .iter()
                .map(|id| format!("u{id}@example.com"))
                .filter(|k| !file_keys.contains(k))
                .collect()
        } else {
            Vec::new()
        };
        prop_assert_eq!(archive, expected);
    }
}

/// A store that claims more users than memory could hold (a host's bug, or
/// a huge directory): the plan does not size anything by that claim.
struct ClaimsTooMany;

impl ExistingUsers for ClaimsTooMany {
    fn len(&self) -> usize {
        usize::MAX
    }
    fn contains(&self, key: &str) -> bool {
        key == "ada@example.com"
    }
    fn same_value(&self, _key: &str, _column: &str, _normalized: &str) -> bool {
        true
    }
    fn keys(&self) -> Box<dyn Iterator<Item = std::borrow::Cow<'_, str>> + '_> {
        Box::new(std::iter::once("ada@example.com".into()))
    }
}

#[test]
fn a_store_claiming_usize_max_users_does_not_size_the_plan() {
    let upload =
        "email,firstName,lastName\nada@example.com,Ada,Lovelace\ngrace@example.com,Grace,Hopper\n";
    let mut builder = validator().validation();
    builder
        .existing(ClaimsTooMany)
        .mode(Mode::Full)
        .archive_guard(ArchiveGuard {
            allow: true,
            ..ArchiveGuard::default()
        });
    let report = builder.validate(upload.as_bytes(), None).unwrap();
    let plan = report.plan.unwrap();
    assert_eq!((plan.create, plan.unchanged, plan.archive), (1, 1, 0));
}

#[test]
fn an_unchanged_row_written_differently_is_still_unchanged() {
    // Stored normalised; uploaded in other spellings of the same values.
    let v = validator();
    let upload = "email,firstName,lastName,businessMobilePhone,language\nADA@example.com,Ada,Lovelace,+31 6 1234 5678,EN\nalan@example.com,Alan,Turing,+44 7400 123456,en\ngrace@example.com,Grace,Hopper,,NL\n";
    let (report, _, actions) =
        plan(&v, EXISTING, Mode::Delta, ArchiveGuard::default(), upload).unwrap();
    assert_eq!(report.rows.invalid, 0, "{:?}", report.errors);
    assert_eq!(actions, vec![Some(Action::Unchanged); 3]);
    // One value changed: the first try (as uploaded) and the second
    // (normalised) both fail, so it is an update.
    let changed = "email,firstName,lastName,businessMobilePhone,language\nada@example.com,Ada,Lovelace,+31 6 1234 5679,en\n";
    let (_, _, actions) =
        plan(&v, EXISTING, Mode::Delta, ArchiveGuard::default(), changed).unwrap();
    assert_eq!(actions, vec![Some(Action::Update)]);
}

/// A date format that reads an ISO date as another one (`YYYY-DD-MM`):
/// the upload's `1990-01-02` (1 February) equals, as text, the stored
/// normal form of the export's `1990-02-01` (2 January), yet the date
/// changed. It is an update, in both modes, on any number of threads.
#[test]
fn a_value_equal_to_a_stored_normal_form_as_text_is_still_compared_by_meaning() {
    let schema = Schema::from_toml_str(
        r#"
key = "email"
[[columns]]
name = "email"
required = true
[columns.email]
[columns.unique]
case_insensitive = true
[[columns]]
name = "hired"
[columns.date]
formats = ["YYYY-DD-MM"]
"#,
    )
    .unwrap();
    let v = Validator::new(&schema).unwrap();
    let export = "email,hired\nada@x.com,1990-02-01\ngrace@x.com,1990-02-01\n";
    let upload = "email,hired\nada@x.com,1990-01-02\ngrace@x.com,1990-02-01\n";
    for mode in [Mode::Delta, Mode::Full] {
        for threads in [1, 2] {
            let mut builder = v.validation();
            builder
                .existing(existing(&v, export))
                .mode(mode)
                .threads(threads);
            let report = builder.validate(upload.as_bytes(), None).unwrap();
            let plan = report.plan.unwrap();
            assert_eq!(
                (plan.update, plan.unchanged),
                (1, 1),
                "{mode:?}, {threads} threads"
            );
        }
    }
}

/// An uploaded row written exactly as the export wrote it is unchanged
/// without normalising (each cell equals the stored cell as written); the
/// shortcut never hides a change: an empty cell of a column the export
/// lacks, a column the upload lacks, a value moved to another column, or
/// one more non-empty cell.
#[test]
fn a_row_written_as_the_export_wrote_it_is_unchanged_and_the_shortcut_hides_no_change() {
    let v = validator();
    let export = "email,firstName,lastName,businessMobilePhone\n\
                  ada@example.com,Ada,Lovelace,+31 6 1234 5678\n\
                  alan@example.com,Alan,Turing,\n";
    use Action::{Unchanged, Update};
    /// Each mode an upload runs in, and the two rows' actions there.
    type Runs = &'static [(Mode, [Action; 2])];
    let cases: [(&str, Runs); 5] = [
        // As exported, and with other spacing: unchanged.
        (
            "email,firstName,lastName,businessMobilePhone\nada@example.com,Ada,Lovelace,+31 6 1234 5678\nalan@example.com, Alan ,Turing,\n",
            &[(Mode::Full, [Unchanged, Unchanged])],
        ),
        // A column the export lacks, empty: a change in a full sync (the
        // stored value is unknown), kept in a delta upload.
        (
            "email,firstName,lastName,businessMobilePhone,language\nada@example.com,Ada,Lovelace,+31 6 1234 5678,\nalan@example.com,Alan,Turing,,\n",
            &[
                (Mode::Full, [Update, Update]),
                (Mode::Delta, [Unchanged, Unchanged]),
            ],
        ),
        // The upload lacks a column: what it has is the same.
        (
            "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example.com,Alan,Turing\n",
            &[(Mode::Full, [Unchanged, Unchanged])],
        ),
        // The same text in another column, and a cell filled in.
        (
            "email,firstName,lastName,businessMobilePhone\nada@example.com,Lovelace,Ada,+31 6 1234 5678\nalan@example.com,Alan,Turing,+31 6 1234 5678\n",
            &[(Mode::Full, [Update, Update])],
        ),
        // A stored value emptied: a change in a full sync, kept in a delta.
        (
            "email,firstName,lastName,businessMobilePhone\nada@example.com,Ada,Lovelace,\nalan@example.com,Alan,Turing,\n",
            &[
                (Mode::Full, [Update, Unchanged]),
                (Mode::Delta, [Unchanged, Unchanged]),
            ],
        ),
    ];
    let guard = ArchiveGuard {
        allow: true,
        ..ArchiveGuard::default()
    };
    for (upload, modes) in cases {
        for &(mode, expected) in modes {
            let (report, _, actions) = plan(&v, export, mode, guard, upload).unwrap();
            assert_eq!(report.rows.invalid, 0, "{upload}: {:?}", report.errors);
            assert_eq!(actions, expected.map(Some), "{mode:?}: {upload}");
        }
    }
}

/// A cell longer than the set keeps as written (64 bytes) is kept as a
/// fingerprint of its normal form: a user's record stays small however
/// long the export's cells, and the long cell still compares by meaning.
#[test]
fn long_cells_are_compared_by_their_normal_form_and_kept_small() {
    let v = validator();
    let department = "Research & Development, ".repeat(3);
    let export = format!(
        "email,firstName,lastName,department\nada@example.com,Ada,Lovelace,\"{department}\"\n"
    );
    let set = existing(&v, &export);
    assert!(set.same_value("ada@example.com", "department", department.trim_end()));
    assert!(!set.same_value("ada@example.com", "department", "Research"));
    // The key column holds the user's normalised key, and only that.
    assert!(set.same_value("ada@example.com", "email", "ada@example.com"));
    assert!(!set.same_value("ada@example.com", "email", "Ada@Example.com"));
    for (upload_department, expected) in [
        (format!("\"{department}\""), Action::Unchanged),
        (format!("\"  {department}\""), Action::Unchanged),
        (format!("\"{department}x\""), Action::Update),
        ("Research".to_string(), Action::Update),
    ] {
        let upload = format!(
            "email,firstName,lastName,department\nada@example.com,Ada,Lovelace,{upload_department}\n"
        );
        for mode in [Mode::Delta, Mode::Full] {
            let (report, _, actions) =
                plan(&v, &export, mode, ArchiveGuard::default(), &upload).unwrap();
            assert_eq!(report.rows.invalid, 0, "{:?}", report.errors);
            assert_eq!(
                actions,
                vec![Some(expected)],
                "{upload_department} {mode:?}"
            );
        }
    }
    // 40,000 bytes in one cell, a thousand times for one key: the set
    // keeps a fingerprint per row, not the text.
    let huge = "z".repeat(40_000);
    let mut export = String::from("email,firstName,lastName,department\n");
    for _ in 0..1_000 {
        export.push_str(&format!("ada@example.com,Ada,Lovelace,{huge}\n"));
    }
    let set = existing(&v, &export);
    let summary = format!("{set:?}");
    let bytes: usize = summary
        .split("cell_bytes: ")
        .nth(1)
        .and_then(|rest| rest.trim_end_matches(" }").parse().ok())
        .expect("cell_bytes in the summary");
    assert!(bytes < 1_000 * 64, "{summary}");
    assert!(set.same_value("ada@example.com", "department", &huge));
}
