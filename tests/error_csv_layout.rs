//! The error CSV as the admin opens it: where the `errors` cell stands,
//! the input's line ending and delimiter, a user's own `errors` column, the
//! formula guard, and two rule messages (phone ranges, each run's today).

mod common;

use chrono::NaiveDate;
use common::{fixture, run, users};
use usercsv::{ErrorCode, LineEnding, ReaderBuilder, Schema, Validator, ValidatorBuilder};

const FC2: &str = "the row has 2 fields but the header has 3: check for a missing or extra delimiter, or a value with an unquoted delimiter";
const FC4: &str = "the row has 4 fields but the header has 3: check for a missing or extra delimiter, or a value with an unquoted delimiter";

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

fn warning_codes(report: &usercsv::ValidationReport) -> Vec<&str> {
    report.warnings.iter().map(|w| w.code.as_str()).collect()
}

#[test]
fn short_rows_are_padded_and_long_rows_keep_their_extras_after_errors() {
    let input =
        "email,firstName,lastName\nada@example.com,Ada\nalan@example.com,Alan,Turing,extra\n";
    let (report, error_csv) = run(&users(), input.as_bytes());
    assert_eq!(report.rows.invalid, 2);
    assert_eq!(
        text(&error_csv),
        format!(
            "\u{feff}email,firstName,lastName,errors\n\
             ada@example.com,Ada,,\"{FC2}\"\n\
             alan@example.com,Alan,Turing,\"{FC4}\",extra\n"
        )
    );
    // Every `errors` cell stands under the `errors` header.
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(&error_csv[3..]);
    assert_eq!(&rdr.headers().unwrap()[3], "errors");
    let cells: Vec<String> = rdr.records().map(|r| r.unwrap()[3].to_string()).collect();
    assert_eq!(cells, [FC2, FC4]);

    // Re-uploaded untouched: the same rows, still invalid, the same file.
    let (again, error_csv_again) = run(&users(), &error_csv);
    assert_eq!(again.rows.invalid, 2);
    assert!(again.errors.iter().all(|e| e.code == ErrorCode::FieldCount));
    assert_eq!(text(&error_csv_again), text(&error_csv));
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);

    // Fixed by the admin (the cell filled, the extra cell removed): valid.
    let fixed = text(&error_csv)
        .replace("ada@example.com,Ada,,", "ada@example.com,Ada,Lovelace,")
        .replace(",extra\n", "\n");
    let (fixed_report, fixed_csv) = run(&users(), fixed.as_bytes());
    assert!(fixed_report.is_valid(), "{:?}", fixed_report.errors);
    assert!(fixed_csv.is_empty());
}

#[test]
fn crlf_and_semicolon_survive_the_round_trip() {
    let input = fixture("error_csv/crlf_semicolon.csv");
    let mut rdr = ReaderBuilder::new().from_reader(&input[..]).unwrap();
    assert_eq!(rdr.line_ending(), LineEnding::CrLf);
    assert_eq!(rdr.rows().count(), 2);
    let (report, error_csv) = run(&users(), &input);
    assert_eq!(report.rows.invalid, 1);
    assert_eq!(
        text(&error_csv),
        "\u{feff}email;firstName;lastName;Mobile phone;errors\r\n\
         alan@example;Alan;Turing;'+31 6 23456789;\"email: expected an e-mail address like name@example.com, found \"\"alan@example\"\" (the domain needs a top-level domain such as .com)\"\r\n"
    );
    // The unfixed error CSV gives itself again; fixed, it is valid.
    let (_, again) = run(&users(), &error_csv);
    assert_eq!(again, error_csv);
    let fixed = text(&error_csv).replace("alan@example;", "alan@example.com;");
    let (fixed_report, _) = run(&users(), fixed.as_bytes());
    assert!(fixed_report.is_valid(), "{:?}", fixed_report.errors);
    assert_eq!(fixed_report.rows.valid, 1);
    assert_eq!(fixed_report.delimiter.as_deref(), Some(";"));
}

#[test]
fn a_users_own_errors_column_is_kept_with_a_warning() {
    // Not the last column: the upload's own data.
    let input = "email,errors,firstName,lastName\nbad,=1+1,Ada,Lovelace\n";
    let (report, error_csv) = run(&users(), input.as_bytes());
    assert_eq!(warning_codes(&report), ["errors_column_ignored"]);
    assert_eq!(
        report.warnings[0].message,
        "column 2 \"errors\" is not the messages column of an error CSV of this tool (that is the last column, holding messages such as \"email: expected …\"); it is ignored and kept as uploaded"
    );
    let error_csv = text(&error_csv);
    let mut lines = error_csv.lines();
    assert_eq!(
        lines.next(),
        Some("\u{feff}email,errors,firstName,lastName,errors")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("bad,'=1+1,Ada,Lovelace,\"email: expected")
    );
    // Its error CSV re-read: the user's column is still data (and warned
    // about), the tool's is dropped and the formula guard removed.
    let mut run_again = users()
        .validation()
        .from_reader(error_csv.as_bytes())
        .unwrap();
    let outcome = run_again.next_outcome().unwrap().unwrap();
    assert_eq!(
        outcome.row().fields().collect::<Vec<_>>(),
        ["bad", "=1+1", "Ada", "Lovelace"]
    );
    let again = run_again.finish().unwrap();
    assert_eq!(warning_codes(&again), ["errors_column_ignored"]);

    // The last column, but not this tool's messages: data, guard kept.
    let input = "email,firstName,lastName,errors\nada@example.com,'-Ada,Lovelace,'+done\n";
    let (report, _) = run(&users(), input.as_bytes());
    assert_eq!(warning_codes(&report), ["errors_column_ignored"]);
    assert!(
        report.warnings[0]
            .message
            .starts_with("column 4 \"errors\"")
    );
    let mut run_user = users().validation().from_reader(input.as_bytes()).unwrap();
    let outcome = run_user.next_outcome().unwrap().unwrap();
    assert_eq!(outcome.raw("firstName"), Some("'-Ada"));
    assert_eq!(outcome.row().get(3), Some("'+done"));
}

#[test]
fn a_reuploaded_error_csv_has_no_warning_and_loses_its_guard() {
    let input = "email,firstName,lastName,Mobile phone\nbad,-Ada,Lovelace,+31 6 12345678\n";
    let (report, error_csv) = run(&users(), input.as_bytes());
    assert!(report.warnings.is_empty());
    assert_eq!(
        text(&error_csv).lines().nth(1).unwrap(),
        "bad,'-Ada,Lovelace,'+31 6 12345678,\"email: expected an e-mail address like name@example.com, found \"\"bad\"\"\""
    );
    let mut again = users().validation().from_reader(&error_csv[..]).unwrap();
    let outcome = again.next_outcome().unwrap().unwrap();
    assert_eq!(outcome.raw("firstName"), Some("-Ada"));
    assert_eq!(outcome.raw("businessMobilePhone"), Some("+31 6 12345678"));
    assert_eq!(outcome.errors().len(), 1);
    assert!(again.finish().unwrap().warnings.is_empty());
}

#[test]
fn a_well_formed_number_in_an_unused_range_is_not_a_valid_number() {
    let input =
        "email,firstName,lastName,Mobile phone\nada@example.com,Ada,Lovelace,+31 6 99990001\n";
    let (report, _) = run(&users(), input.as_bytes());
    assert_eq!(report.errors.len(), 1);
    let error = &report.errors[0];
    assert_eq!(error.code, ErrorCode::Phone);
    assert_eq!(
        error.message,
        "Mobile phone: expected a mobile phone number, found \"+31 6 99990001\", which is not a valid NL (+31) number: the format is right, but no number in use there has these digits (check the number)"
    );
}

fn hired_schema() -> Schema {
    Schema::from_toml_str(
        r#"
        [[columns]]
        name = "hired"
        date = { not_in_future = true }
        "#,
    )
    .unwrap()
}

#[test]
fn not_in_future_compares_with_each_runs_today() {
    let day = |d| NaiveDate::from_ymd_opt(2025, 6, d).unwrap();
    let input = b"hired\n2025-06-16\n";
    // Built once, as a long-running host does; runs on different days.
    let validator = Validator::new(&hired_schema()).unwrap();
    let on = |today| {
        validator
            .validation()
            .today(today)
            .validate(&input[..], None)
            .unwrap()
    };
    let before = on(day(15));
    assert_eq!(before.errors[0].code, ErrorCode::DateRange);
    assert_eq!(
        before.errors[0].message,
        "hired: expected a date not in the future, found \"2025-06-16\""
    );
    assert!(on(day(16)).is_valid());
    assert_eq!(on(day(15)).rows.invalid, 1);

    // A validator that fixed today keeps it unless the run sets its own.
    let fixed = ValidatorBuilder::new()
        .today(day(15))
        .build(&hired_schema())
        .unwrap();
    let report = fixed.validate_reader(&input[..], None).unwrap();
    assert_eq!(report.rows.invalid, 1);
    let report = fixed
        .validation()
        .today(day(17))
        .validate(&input[..], None)
        .unwrap();
    assert!(report.is_valid());

    // By default, the date when the run starts.
    let local = chrono::Local::now().date_naive();
    let tomorrow = local.succ_opt().unwrap();
    let csv = format!("hired\n{local}\n{tomorrow}\n");
    let report = validator.validate_reader(csv.as_bytes(), None).unwrap();
    assert!(
        report.errors.iter().all(|e| e.row == 3),
        "{:?}",
        report.errors
    );
    // (Unless the run straddled midnight, tomorrow is in the future.)
    if chrono::Local::now().date_naive() == local {
        assert_eq!(report.rows.invalid, 1);
    }
}
