//! The whole validation flow through the public API: every rule, header
//! matching, file-level errors, counts, notifications, streaming outcomes
//! and the exact bytes of the error CSV.

mod common;

use common::{codes, compile, errors, fixture, run, try_run, users};
use usercsv::{ErrorCode, Schema, ValidationReport, ValidatorBuilder};

fn custom() -> usercsv::Validator {
    let text = String::from_utf8(fixture("engine/custom_schema.toml")).unwrap();
    compile(&Schema::from_toml_str(&text).unwrap())
}

fn s(v: &str) -> String {
    v.to_string()
}

fn message_of<'r>(report: &'r ValidationReport, row: u64, code: &str) -> &'r str {
    report
        .errors
        .iter()
        .find(|e| e.row == row && e.code.as_str() == code)
        .unwrap_or_else(|| panic!("no {code} error in row {row}"))
        .message
        .as_str()
}

// ---------------------------------------------------------------------------
// The built-in schema
// ---------------------------------------------------------------------------

#[test]
fn builtin_schema_reports_every_rule() {
    let (report, error_csv) = run(&users(), &fixture("engine/users.csv"));
    assert_eq!(
        codes(&report),
        vec![
            (3, s("email"), "required"),
            (3, s("lastName"), "required"),
            (3, s("businessMobilePhone"), "phone"),
            (3, s("birthDate"), "date"),
            (3, s("startDate"), "date"),
            (3, s("endDate"), "date"),
            (3, s("language"), "one_of"),
            (4, s("businessMobilePhone"), "phone_not_mobile"),
            (4, s("birthDate"), "date_range"),
            (4, s("endDate"), "date_order"),
            (4, s("email"), "unique"),
            (4, s("employeeNumber"), "unique"),
            (5, s("firstName"), "length"),
            (5, s("businessMobilePhone"), "phone"),
            (5, s("birthDate"), "date"),
            (6, s("businessMobilePhone"), "phone"),
            (7, s("businessMobilePhone"), "phone"),
            (8, s("email"), "email"),
            (8, s("businessMobilePhone"), "phone"),
            (9, s("email"), "email"),
            (10, s("email"), "email"),
            (11, s("email"), "email"),
            (12, s("email"), "email"),
            (13, s("department"), "length"),
        ]
    );
    assert_eq!(
        (report.rows.total, report.rows.valid, report.rows.invalid),
        (12, 1, 11)
    );
    assert!(!report.errors_truncated);
    assert!(report.file_errors.is_empty() && report.warnings.is_empty());
    // One error CSV line per invalid row, plus the header.
    let text = common::error_csv_text(&error_csv);
    assert_eq!(text.lines().count(), 12);

    let m = |row, code| message_of(&report, row, code);
    assert_eq!(m(3, "required"), "email: required, but the cell is empty");
    assert_eq!(
        m(3, "phone"),
        "businessMobilePhone: expected a mobile phone number, found \"+97233142764978\", which is not a valid IL (+972) number: the format is right, but no number in use there has these digits (check the number)"
    );
    assert_eq!(
        m(3, "one_of"),
        "language: expected one of en, nl, de, fr, es (upper or lower case), found \"xx\""
    );
    assert_eq!(
        m(4, "phone_not_mobile"),
        "businessMobilePhone: expected a mobile phone number, found \"+31 20 123 4567\", which is a fixed-line number"
    );
    assert_eq!(
        m(4, "date_range"),
        "birthDate: expected a date not in the future, found \"2025-06-16\""
    );
    assert_eq!(
        m(4, "date_order"),
        "endDate: \"2024-04-01\" is before startDate \"2024-05-01\"; expected a date on or after it"
    );
    // Case-insensitive uniqueness names the first row.
    assert_eq!(
        report.errors[10].message,
        "email: \"Ada@Example.COM\" already appears in row 2; each email must be unique in the file"
    );
    assert_eq!(
        report.errors[11].message,
        "employeeNumber: \"E1\" already appears in row 2; each employeeNumber must be unique in the file"
    );
    assert_eq!(
        m(5, "length"),
        "firstName: expected 1 to 100 characters, found 101 characters"
    );
    assert_eq!(
        m(5, "date"),
        "birthDate: expected a date as YYYY-MM-DD, found \"45123\" (this looks like a spreadsheet date number, 2023-07-16: format the column as text and write the date as YYYY-MM-DD)"
    );
    assert!(
        m(5, "phone").ends_with(
            "found \"+31 6 CALLME\" (only digits, spaces, a leading + and ( ) . / - are allowed)"
        ),
        "{}",
        m(5, "phone")
    );
    assert!(m(6, "phone").contains("scientific notation"));
    assert!(
        m(7, "phone").contains("the leading + and country code are missing"),
        "{}",
        m(7, "phone")
    );
    assert!(
        m(8, "phone").ends_with("(the number must start with + and the country code)"),
        "{}",
        m(8, "phone")
    );
    for row in [8, 9] {
        assert!(
            m(row, "email").ends_with(
                "(it contains an invisible space, often pasted from a web page or document: retype the address)"
            ),
            "{}",
            m(row, "email")
        );
    }
    assert!(m(10, "email").ends_with("(the domain needs a top-level domain such as .com)"));
    assert!(m(11, "email").ends_with("(write the address only, without a name)"));
    assert_eq!(
        m(12, "email"),
        "email: expected an e-mail address like name@example.com, found \"g@[10.0.0.1]\""
    );
    // The value is the cell as uploaded.
    let e = &report.errors[17];
    assert_eq!(
        (e.row, e.value.as_deref()),
        (8, Some("e@exa\u{a0}mple.com"))
    );
}

#[test]
fn phone_rule_at_value_level() {
    let v = users();
    let code = |value: &str| {
        let codes: Vec<ErrorCode> = v
            .check_value("businessMobilePhone", value)
            .unwrap()
            .iter()
            .map(|(c, _)| *c)
            .collect();
        if codes.is_empty() { Ok(()) } else { Err(codes) }
    };
    assert_eq!(code("+31 6 12345678"), Ok(()));
    assert_eq!(code("+44 7911 123456"), Ok(()));
    // Valid for the phonenumber crate (start-anchored patterns), not for us.
    assert_eq!(code("+97233142764978"), Err(vec![ErrorCode::Phone]));
    assert_eq!(code("+31 6 CALLME"), Err(vec![ErrorCode::Phone]));
    assert_eq!(code("+3161234567a"), Err(vec![ErrorCode::Phone]));
    assert_eq!(code("0612345678"), Err(vec![ErrorCode::Phone]));
    assert_eq!(
        code("+31 20 123 4567"),
        Err(vec![ErrorCode::PhoneNotMobile])
    );
    // Empty is fine: the column is optional.
    assert_eq!(code("   "), Ok(()));

    // With a region, the national format passes and normalises to E.164.
    let nl = ValidatorBuilder::new()
        .today(common::today())
        .phone_region(Some("NL"))
        .build(&Schema::users())
        .unwrap();
    assert!(
        nl.check_value("businessMobilePhone", "06 12345678")
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        nl.normalize("businessMobilePhone", " 06-12345678 ")
            .as_deref(),
        Some("+31612345678")
    );
    let errs = nl
        .check_value("businessMobilePhone", "020 123 4567")
        .unwrap();
    assert_eq!(
        errs,
        vec![(
            ErrorCode::PhoneNotMobile,
            "businessMobilePhone: expected a mobile phone number, found \"020 123 4567\", which is a fixed-line number"
                .to_string()
        )]
    );
}

#[test]
fn email_rule_strict_options() {
    let v = users();
    for ok in [
        "ada@example.com",
        "a.b+tag@sub.example.co.uk",
        "O'Brien@example.ie",
    ] {
        assert_eq!(v.check_value("email", ok), Ok(vec![]), "{ok}");
    }
    for bad in [
        "ada@localhost",
        "Ada <ada@example.com>",
        "ada@[10.0.0.1]",
        "ada@",
        "@example.com",
        "ada lovelace@example.com",
        "ada@@example.com",
        "ada@exa\u{200b}mple.com",
    ] {
        let errs = v.check_value("email", bad).unwrap();
        assert_eq!(errs.len(), 1, "{bad}");
        assert_eq!(errs[0].0, ErrorCode::Email, "{bad}");
    }
    assert_eq!(
        v.check_value("email", "ada lovelace@example.com").unwrap()[0].1,
        "email: expected an e-mail address like name@example.com, found \"ada lovelace@example.com\" (it contains a space)"
    );
    assert_eq!(
        v.check_value("email", "  ").unwrap(),
        vec![(
            ErrorCode::Required,
            "email: required, but the cell is empty".to_string()
        )]
    );
    assert_eq!(
        v.normalize("email", " Ada@Example.COM ").as_deref(),
        Some("ada@example.com")
    );
}

#[test]
fn date_rule_is_strict() {
    let v = users();
    let code = |value: &str| {
        let codes: Vec<ErrorCode> = v
            .check_value("startDate", value)
            .unwrap()
            .iter()
            .map(|(c, _)| *c)
            .collect();
        if codes.is_empty() { Ok(()) } else { Err(codes) }
    };
    assert_eq!(code("2024-01-05"), Ok(()));
    assert_eq!(code("2024-02-29"), Ok(()));
    for bad in [
        "2024-1-5",
        "+2024-01-05",
        "2024-02-30",
        "2023-02-29",
        "2024/01/05",
        "20240105",
        "05-01-2024",
    ] {
        assert_eq!(code(bad), Err(vec![ErrorCode::Date]), "{bad}");
    }
    assert_eq!(
        v.check_value("startDate", "2024-02-30").unwrap()[0].1,
        "startDate: expected a date as YYYY-MM-DD, found \"2024-02-30\" (check the order of year, month and day, the number of digits, and that the day exists)"
    );
    // Cells are trimmed before any rule sees them (check_value does the
    // same as a row), so " 2024-01-05" passes here and in a file; the date
    // rule itself rejects a leading space (see the unit tests in
    // src/rules/date.rs), which only matters for untrimmed callers.
    assert_eq!(code(" 2024-01-05"), Ok(()));
    assert_eq!(code("2024-01-05\u{a0}"), Ok(()));
    assert_eq!(
        v.normalize("startDate", " 2024-01-05").as_deref(),
        Some("2024-01-05")
    );
}

#[test]
fn date_range_and_not_in_future_use_the_fixed_today() {
    // today() is 2025-06-15.
    let v = users();
    assert!(v.check_value("birthDate", "2025-06-15").unwrap().is_empty());
    assert_eq!(
        v.check_value("birthDate", "2025-06-16").unwrap(),
        vec![(
            ErrorCode::DateRange,
            "birthDate: expected a date not in the future, found \"2025-06-16\"".to_string()
        )]
    );
    let later = ValidatorBuilder::new()
        .today(chrono::NaiveDate::from_ymd_opt(2025, 6, 16).unwrap())
        .build(&Schema::users())
        .unwrap();
    assert!(
        later
            .check_value("birthDate", "2025-06-16")
            .unwrap()
            .is_empty()
    );

    let c = custom();
    assert!(c.check_value("start", "01/01/2020").unwrap().is_empty());
    assert!(c.check_value("start", "2030-12-31").unwrap().is_empty());
    assert_eq!(
        c.check_value("start", "31/12/2019").unwrap(),
        vec![(
            ErrorCode::DateRange,
            "start: expected a date from 2020-01-01 to 2030-12-31, found \"31/12/2019\""
                .to_string()
        )]
    );
    assert_eq!(
        c.check_value("start", "2031-01-01").unwrap()[0].0,
        ErrorCode::DateRange
    );
    assert_eq!(
        c.check_value("start", "12/31/2024").unwrap()[0].1,
        "start: expected a date as DD/MM/YYYY or YYYY-MM-DD, found \"12/31/2024\" (check the order of year, month and day, the number of digits, and that the day exists)"
    );
    assert_eq!(
        c.normalize("start", "01/02/2021").as_deref(),
        Some("2021-02-01")
    );
}

// ---------------------------------------------------------------------------
// A custom schema from TOML
// ---------------------------------------------------------------------------

#[test]
fn custom_schema_every_rule_and_cross_field_rules() {
    let (report, error_csv) = run(&custom(), &fixture("engine/custom.csv"));
    assert_eq!(
        codes(&report),
        vec![
            (4, s("code"), "pattern"),
            (4, s("email"), "email"),
            (4, s("phone"), "phone"),
            (4, s("level"), "one_of"),
            (4, s("nickname"), "length"),
            (4, s("start"), "date_range"),
            (4, s("managerEmail"), "required_if"),
            (5, s("code"), "pattern"),
            (5, s("nickname"), "length"),
            (5, s("end"), "date_order"),
            (5, s("code"), "unique"),
            (6, s("start"), "date_range"),
            (6, s("end"), "date_range"),
            (7, s(""), "field_count"),
            (8, s(""), "field_count"),
        ]
    );
    assert_eq!(
        (report.rows.total, report.rows.valid, report.rows.invalid),
        (8, 3, 5)
    );
    let m = |row, code| message_of(&report, row, code);
    assert_eq!(
        m(4, "pattern"),
        "code: expected an employee code like E123, found \"X1\""
    );
    assert_eq!(
        m(4, "one_of"),
        "level: expected one of junior, senior, found \"Junior\""
    );
    assert_eq!(
        m(4, "length"),
        "nickname: expected 2 to 5 characters, found 1 character"
    );
    assert_eq!(
        m(4, "required_if"),
        "managerEmail: required when manager is filled, but the cell is empty"
    );
    assert_eq!(
        m(4, "phone"),
        "phone: expected a phone number in international format (+CC) or in the national format of NL, found \"12345\""
    );
    assert_eq!(
        m(5, "unique"),
        "code: \"e100\" already appears in row 2; each code must be unique in the file"
    );
    assert_eq!(
        m(5, "date_order"),
        "end: \"14/06/2020\" is before start \"15/06/2020\"; expected a date on or after it"
    );
    assert_eq!(
        m(6, "date_range"),
        "start: expected a date from 2020-01-01 to 2030-12-31, found \"2019-12-31\""
    );
    assert_eq!(
        report.errors[12].message,
        "end: expected a date not in the future, found \"16/06/2025\""
    );
    assert_eq!(
        m(7, "field_count"),
        "the row has 2 fields but the header has 9: check for a missing or extra delimiter, or a value with an unquoted delimiter"
    );
    assert_eq!(
        m(8, "field_count"),
        "the row has 10 fields but the header has 9: check for a missing or extra delimiter, or a value with an unquoted delimiter"
    );
    let fc = report
        .errors
        .iter()
        .find(|e| e.code == ErrorCode::FieldCount)
        .unwrap();
    assert_eq!((fc.column.as_deref(), fc.value.as_deref()), (None, None));

    // Short and long rows go to the error CSV with their own fields, the
    // message under `errors`: short rows padded, extra fields after it.
    let text = common::error_csv_text(&error_csv);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6);
    assert!(lines[4].starts_with("E103,d@example.com,,,,,,,,\"the row has 2 fields"));
    assert!(lines[5].starts_with("E104,e@example.com,,,,,,,,\"the row has 10 fields"));
    assert!(lines[5].ends_with("delimiter\",extra"));
}

#[test]
fn date_order_only_compares_valid_dates() {
    let v = custom();
    let input = "code,start,end\nE001,2021-02-01,31/01/2021\nE002,2031-01-01,01/01/2021\nE003,bad,01/01/2021\nE004,2021-01-01,01/01/2021\n";
    let (report, _) = run(&v, input.as_bytes());
    assert_eq!(
        codes(&report),
        vec![
            (2, s("end"), "date_order"),
            (3, s("start"), "date_range"),
            (4, s("start"), "date"),
        ]
    );
}

#[test]
fn required_if_only_when_the_trigger_is_filled() {
    let (report, _) = run(
        &custom(),
        b"code,manager,managerEmail\nE001,,\nE002,  ,\nE003,Ann,\nE004,Ann,ann@example.com\n",
    );
    assert_eq!(codes(&report), vec![(4, s("managerEmail"), "required_if")]);
}

// ---------------------------------------------------------------------------
// Rows and lines
// ---------------------------------------------------------------------------

#[test]
fn row_numbers_and_lines_after_a_multiline_field() {
    let input = "email,firstName,lastName,department\n\
                 a@example.com,Ada,Lovelace,\"R&D\nsecond line\nthird line\"\n\
                 bad,Alan,Turing,\n\
                 \n\
                 c@example.com,,Hopper,\n";
    let (report, _) = run(&users(), input.as_bytes());
    assert_eq!(
        errors(&report),
        vec![
            (3, 5, Some(s("email")), "email"),
            (5, 7, Some(s("firstName")), "required"),
        ]
    );
    assert_eq!(
        (report.rows.total, report.rows.valid, report.rows.blank),
        (3, 1, 1)
    );
}

#[test]
fn several_errors_in_one_row_are_all_reported_in_order() {
    let input = "email,firstName,lastName,businessMobilePhone,birthDate,language\n\
                 x,,,+1,2024-13-01,klingon\n";
    let (report, error_csv) = run(&users(), input.as_bytes());
    assert_eq!(
        codes(&report),
        vec![
            (2, s("email"), "email"),
            (2, s("firstName"), "required"),
            (2, s("lastName"), "required"),
            (2, s("businessMobilePhone"), "phone"),
            (2, s("birthDate"), "date"),
            (2, s("language"), "one_of"),
        ]
    );
    // All of them in the row's errors cell, in the same order.
    let text = common::error_csv_text(&error_csv);
    let back = csv::Reader::from_reader(text.as_bytes())
        .records()
        .next()
        .unwrap()
        .unwrap();
    let joined: Vec<String> = report.errors.iter().map(|e| e.message.clone()).collect();
    assert_eq!(&back[6], joined.join("; "));
}

// ---------------------------------------------------------------------------
// The header
// ---------------------------------------------------------------------------

#[test]
fn header_matching_trims_ignores_case_and_knows_aliases() {
    let input = "ERRORS,  E-mail ,FIRSTNAME,last_name,Mobile phone,errors_old\n\
                 old message,ada@example.com,Ada,Lovelace,+31 6 12345678,x\n\
                 ,bad,Alan,Turing,,\n";
    let (report, error_csv) = run(&users(), input.as_bytes());
    assert_eq!(codes(&report), vec![(3, s("email"), "email")]);
    // The message uses the header as the file spells it (trimmed).
    assert!(report.errors[0].message.starts_with("E-mail: expected"));
    assert_eq!(
        report
            .warnings
            .iter()
            .map(|w| w.message.as_str())
            .collect::<Vec<_>>(),
        [
            "column 1 \"ERRORS\" is not the messages column of an error CSV of this tool (that is the last column, holding messages such as \"email: expected …\"); it is ignored and kept as uploaded",
            "column 6 \"errors_old\" is not part of the schema; it is ignored and kept as uploaded"
        ]
    );
    // A first column `ERRORS` is the upload's own: kept; the new one is last.
    let text = common::error_csv_text(&error_csv);
    assert_eq!(
        text.lines().next().unwrap(),
        "ERRORS,  E-mail ,FIRSTNAME,last_name,Mobile phone,errors_old,errors"
    );
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with(",bad,Alan,Turing,,,")
    );
}

#[test]
fn errors_column_in_the_middle_any_case_is_the_uploads_own() {
    let input = "email,Errors,firstName,lastName\na@example.com,whatever,Ada,Lovelace\n";
    let (report, _) = run(&users(), input.as_bytes());
    assert!(report.is_valid());
    let codes: Vec<&str> = report.warnings.iter().map(|w| w.code.as_str()).collect();
    assert_eq!(codes, ["errors_column_ignored"]);
    let mut run = users().validation().from_reader(input.as_bytes()).unwrap();
    assert_eq!(
        run.header().iter().collect::<Vec<_>>(),
        ["email", "Errors", "firstName", "lastName"]
    );
    let o = run.next_outcome().unwrap().unwrap();
    assert_eq!(
        o.row().fields().collect::<Vec<_>>(),
        ["a@example.com", "whatever", "Ada", "Lovelace"]
    );
}

#[test]
fn missing_required_columns() {
    let err = try_run(&users(), b"firstName,lastName\nAda,Lovelace\n").unwrap_err();
    assert_eq!(err.code(), "missing_column");
    assert_eq!(
        err.to_string(),
        "the header has no column \"email\" (required); found: firstName, lastName"
    );
    let err = try_run(&users(), b" Email address ;phone\nx;y\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the header has no columns \"firstName\", \"lastName\" (required); found: Email address, phone"
    );
    assert!(err.position().is_none());
}

#[test]
fn duplicate_header_names() {
    let err = try_run(&users(), b"email,firstName,E-mail,lastName\n").unwrap_err();
    assert_eq!(err.code(), "duplicate_column");
    assert_eq!(
        err.to_string(),
        "the header names column \"email\" twice, in columns 1 and 3"
    );
    // Unknown columns may not repeat either.
    let err = try_run(&users(), b"email,firstName,lastName,Note,note\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the header names column \"note\" twice, in columns 4 and 5"
    );
}

#[test]
fn empty_and_header_only_files() {
    for empty in [&b""[..], b"\n\n", b"\r\n", b"\xEF\xBB\xBF", b" , ,\n"] {
        let err = try_run(&users(), empty).unwrap_err();
        assert_eq!(err.code(), "empty_file", "{empty:?}");
        assert_eq!(err.to_string(), "the file is empty: expected a header line");
    }
    let (report, error_csv) = run(&users(), b"email,firstName,lastName\n");
    assert!(report.is_valid());
    assert_eq!(report.rows, usercsv::RowCounts::default());
    assert!(error_csv.is_empty(), "no error CSV for a valid file");
    let (report, _) = run(&users(), b"email,firstName,lastName\n\n\n");
    assert_eq!((report.rows.total, report.rows.blank), (0, 2));
}

#[test]
fn unknown_columns_warn_and_pass_through() {
    let input = "email,Team name,firstName,lastName,,Cost centre\n\
                 bad@,Blue,Ada,Lovelace,z, 42 \n";
    let (report, error_csv) = run(&users(), input.as_bytes());
    let warnings: Vec<(&str, &str)> = report
        .warnings
        .iter()
        .map(|w| (w.code.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [
            (
                "unknown_column",
                "column 2 \"Team name\" is not part of the schema; it is ignored and kept as uploaded"
            ),
            (
                "unnamed_column",
                "column 5 has no name; it is ignored and kept as uploaded"
            ),
            (
                "unknown_column",
                "column 6 \"Cost centre\" is not part of the schema; it is ignored and kept as uploaded"
            ),
        ]
    );
    assert_eq!(
        common::error_csv_text(&error_csv),
        "email,Team name,firstName,lastName,,Cost centre,errors\n\
         bad@,Blue,Ada,Lovelace,z, 42 ,\"email: expected an e-mail address like name@example.com, found \"\"bad@\"\" (the domain needs a top-level domain such as .com)\"\n"
    );
}

#[test]
fn blank_rows_are_counted_not_validated() {
    let input = "email,firstName,lastName\n\
                 \n\
                 a@example.com,Ada,Lovelace\n\
                 ,,\n\
                 \u{a0} , \t ,\u{200b}\n\
                 \r\n\
                 b@example.com,Bob,Builder\n\
                 \n";
    let (report, _) = run(&users(), input.as_bytes());
    assert!(report.is_valid());
    let rows = report.rows;
    assert_eq!(
        (rows.total, rows.valid, rows.invalid, rows.blank),
        (2, 2, 0, 5)
    );
}

// ---------------------------------------------------------------------------
// Report limits and notifications
// ---------------------------------------------------------------------------

#[test]
fn max_errors_caps_the_list_not_the_counts() {
    let mut input = String::from("email,firstName,lastName\n");
    for i in 0..10 {
        input.push_str(&format!("bad{i},,Smith\n")); // two errors per row
    }
    let v = users();
    let mut out = Vec::new();
    let report = v
        .validation()
        .id("t")
        .max_errors(5)
        .validate(input.as_bytes(), Some(&mut out))
        .unwrap();
    assert_eq!((report.rows.total, report.rows.invalid), (10, 10));
    assert_eq!(report.errors.len(), 5);
    assert!(report.errors_truncated);
    assert_eq!(
        errors(&report)
            .iter()
            .map(|e| (e.0, e.3))
            .collect::<Vec<_>>(),
        [
            (2, "email"),
            (2, "required"),
            (3, "email"),
            (3, "required"),
            (4, "email")
        ]
    );
    // The error CSV is never capped.
    assert_eq!(common::error_csv_text(&out).lines().count(), 11);

    // Exactly at the cap: not truncated.
    let report = v
        .validation()
        .max_errors(20)
        .validate(input.as_bytes(), None)
        .unwrap();
    assert_eq!((report.errors.len(), report.errors_truncated), (20, false));
    let report = v
        .validation()
        .max_errors(0)
        .validate(input.as_bytes(), None)
        .unwrap();
    assert_eq!((report.errors.len(), report.errors_truncated), (0, true));
}

#[test]
fn notification_for_success() {
    let (report, _) = run(
        &users(),
        b"email,firstName,lastName\na@example.com,Ada,Lovelace\n\nb@example.com,Bob,Builder\n\n",
    );
    let n = report.notification();
    assert_eq!(
        n.subject,
        "Upload t: 2 users are valid and will be imported"
    );
    assert_eq!(
        n.body,
        "Your user upload t was validated.\n\n2 users are valid and will be imported.\n2 blank rows were skipped.\n"
    );
    let (report, _) = run(
        &users(),
        b"email,firstName,lastName\na@example.com,Ada,Lovelace\n",
    );
    let n = report.notification();
    assert_eq!(n.subject, "Upload t: 1 user is valid and will be imported");
    assert_eq!(
        n.body,
        "Your user upload t was validated.\n\n1 user is valid and will be imported.\n"
    );
}

#[test]
fn notification_says_one_blank_row_in_the_singular() {
    let (report, _) = run(
        &users(),
        b"email,firstName,lastName\na@example.com,Ada,Lovelace\n\n",
    );
    assert_eq!(
        report.notification().body,
        "Your user upload t was validated.\n\n1 user is valid and will be imported.\n1 blank row was skipped.\n"
    );
}

#[test]
fn notification_for_failure() {
    let (report, _) = run(
        &users(),
        b"email,firstName,lastName\na@example.com,Ada,Lovelace\nbad,Alan,Turing\nworse,,\n",
    );
    let n = report.notification();
    assert_eq!(n.subject, "Upload t: 2 of 3 users have validation errors");
    assert_eq!(
        n.body,
        "Your user upload t was validated: 2 of 3 users have validation errors.\n\n\
         The attached file t.csv holds only the rows that failed, exactly as uploaded, \
         with a last column \"errors\" that says what is wrong in each row.\n\n\
         What to do next:\n\
         1. Open t.csv.\n\
         2. Read the \"errors\" column at the end of each row.\n\
         3. Fix the values in the row (the \"errors\" column can stay; it is ignored).\n\
         4. Upload t.csv again.\n\
         \n1 other user passed validation.\n\
         \nIf you need help, give support the upload id t.\n"
    );

    let err = try_run(&users(), b"firstName,lastName\n").unwrap_err();
    let n = ValidationReport::from_error("t", &err).notification();
    assert_eq!(n.subject, "Upload t: the file could not be read");
    assert_eq!(
        n.body,
        "Your user upload t could not be processed, so no users were imported.\n\n\
         Problem: the header has no column \"email\" (required); found: firstName, lastName\n\n\
         Fix the file and upload it again. If you need help, give support the upload id t.\n"
    );
}

// ---------------------------------------------------------------------------
// Streaming outcomes
// ---------------------------------------------------------------------------

const STREAM: &str = "E-mail,firstName,lastName,Mobile phone,Start date,Lang,Extra\n\
                      \x20Ada@Example.COM ,Ada, Lovelace ,+31 (0)6-1234 5678,2024-01-15,EN,x\n\
                      bad,Alan,Turing,,,,y\n";

#[test]
fn next_outcome_gives_values_by_column_name() {
    let v = users();
    let mut run = v.validation().from_reader(STREAM.as_bytes()).unwrap();
    {
        let o = run.next_outcome().unwrap().unwrap();
        assert!(o.is_valid());
        assert_eq!(o.row().position().row, 2);
        assert_eq!(o.get("email"), Some("Ada@Example.COM"));
        assert_eq!(o.get("E-mail"), Some("Ada@Example.COM"), "aliases work too");
        assert_eq!(o.raw("email"), Some(" Ada@Example.COM "));
        assert_eq!(o.normalized("email").as_deref(), Some("ada@example.com"));
        assert_eq!(o.get("lastName"), Some("Lovelace"));
        assert_eq!(
            o.normalized("businessMobilePhone").as_deref(),
            Some("+31612345678")
        );
        assert_eq!(o.normalized("startDate").as_deref(), Some("2024-01-15"));
        assert_eq!(o.normalized("language").as_deref(), Some("en"));
        // Schema columns absent from the file, and unknown names.
        assert_eq!(o.get("birthDate"), None);
        assert_eq!(o.normalized("birthDate"), None);
        assert_eq!(o.get("Extra"), None);
    }
    {
        let o = run.next_outcome().unwrap().unwrap();
        assert!(!o.is_valid());
        assert_eq!(o.errors().len(), 1);
        assert_eq!(o.errors()[0].code, ErrorCode::Email);
        assert_eq!(o.get("businessMobilePhone"), Some(""));
        // An empty cell has no canonical value.
        assert_eq!(o.normalized("businessMobilePhone"), None);
    }
    assert!(run.next_outcome().unwrap().is_none());
    let report = run.finish().unwrap();
    assert_eq!((report.rows.valid, report.rows.invalid), (1, 1));
    assert_eq!(report.errors.len(), 1);
}

#[test]
fn iterator_gives_owned_outcomes() {
    let v = users();
    let mut run = v.validation().from_reader(STREAM.as_bytes()).unwrap();
    let outcomes: Vec<usercsv::OwnedRowOutcome> = run.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes[0].is_valid());
    assert_eq!(outcomes[0].get("email"), Some("Ada@Example.COM"));
    assert_eq!(outcomes[0].get("lastName"), Some("Lovelace"));
    assert_eq!(
        outcomes[0].get("businessMobilePhone"),
        Some("+31 (0)6-1234 5678")
    );
    assert_eq!(
        outcomes[0]
            .values
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>(),
        [
            "email",
            "firstName",
            "lastName",
            "businessMobilePhone",
            "startDate",
            "language"
        ]
    );
    assert_eq!(outcomes[0].row.get(6), Some("x"));
    assert!(!outcomes[1].is_valid());
    assert_eq!(outcomes[1].errors[0].row, 3);
    let report = run.finish().unwrap();
    assert_eq!(report.rows.total, 2);
}

// ---------------------------------------------------------------------------
// The error CSV, byte for byte
// ---------------------------------------------------------------------------

#[test]
fn error_csv_bytes() {
    let input = "email;firstName;lastName;Mobile phone;notes\n\
                 \x20 ada@example.com ;Ada;  ;+31 20 123 4567;a \"quoted\" note \n\
                 bob@example.com;Bob;Builder;+31 6 12345678;fine\n\
                 =cmd@example.com;-Eve;@home;+31 6;\t\n";
    let (report, out) = run(&users(), input.as_bytes());
    assert_eq!(report.delimiter.as_deref(), Some(";"));
    let expected = "\u{feff}email;firstName;lastName;Mobile phone;notes;errors\n\
         \x20 ada@example.com ;Ada;  ;'+31 20 123 4567;\"a \"\"quoted\"\" note \";\"lastName: required, but the cell is empty; Mobile phone: expected a mobile phone number, found \"\"+31 20 123 4567\"\", which is a fixed-line number\"\n\
         '=cmd@example.com;'-Eve;'@home;'+31 6;'\t;\"Mobile phone: expected a mobile phone number in international format, e.g. +31 6 12345678, found \"\"+31 6\"\"\"\n";
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    assert_eq!(report.errors[1].value.as_deref(), Some("+31 20 123 4567"));
    assert_eq!(report.errors[0].value.as_deref(), Some("  "));
}

#[test]
fn error_csv_keeps_a_tab_delimiter() {
    let input = "email\tfirstName\tlastName\nbad\tAda\tLovelace\n";
    let (report, out) = run(&users(), input.as_bytes());
    assert_eq!(report.delimiter.as_deref(), Some("TAB"));
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "\u{feff}email\tfirstName\tlastName\terrors\nbad\tAda\tLovelace\t\"email: expected an e-mail address like name@example.com, found \"\"bad\"\"\"\n"
    );
}
