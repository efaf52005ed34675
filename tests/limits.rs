//! Memory and time stay within documented limits: the `unique` rules'
//! budget (`Limits::max_unique_bytes`) and the cost of schema patterns.

mod common;

use usercsv::generate::UserCsv;
use usercsv::{Column, Error, ErrorKind, Limits, Position, Schema, SchemaError, Validator};

/// What one remembered value costs besides its bytes (documented on
/// `Limits::max_unique_bytes`).
const OVERHEAD: u64 = 48;

fn budget(max_unique_bytes: u64) -> Limits {
    Limits {
        max_unique_bytes,
        ..Limits::default()
    }
}

/// The error of a run on `threads` threads, or the report's JSON.
fn batch(
    validator: &Validator,
    input: &[u8],
    threads: usize,
    limits: Limits,
) -> Result<String, Error> {
    validator
        .validation()
        .id("t")
        .threads(threads)
        .limits(limits)
        .validate(input, None)
        .map(|report| serde_json::to_string(&report).unwrap())
}

/// The error of a row-at-a-time run, or the number of rows read.
fn streamed(validator: &Validator, input: &[u8], limits: Limits) -> Result<u64, Error> {
    let mut run = validator.validation().limits(limits).from_reader(input)?;
    let mut rows = 0;
    while run.next_outcome()?.is_some() {
        rows += 1;
    }
    Ok(rows)
}

/// `(code, column, max, position, message)` of a unique-budget error.
fn unique_error(err: Error) -> (&'static str, String, u64, Position, String) {
    let (code, message) = (err.code().as_str(), err.to_string());
    match err.into_kind() {
        ErrorKind::UniqueBytes {
            column,
            max,
            position,
        } => (code, column, max, position, message),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unique_budget_stops_at_the_row_whose_value_does_not_fit() {
    // Three 14-byte addresses fit in 3 × (14 + 48) = 186 bytes, the fourth
    // does not; a quoted field spanning lines makes its line differ from
    // its row.
    let input = "email,firstName,lastName\n\
                 u1@example.com,\"Ada\nAugusta\",Lovelace\n\
                 u2@example.com,Alan,Turing\n\
                 U1@EXAMPLE.COM,Dup,Licate\n\
                 u3@example.com,Grace,Hopper\n\
                 u4@example.com,Edsger,Dijkstra\n";
    let max = 3 * (14 + OVERHEAD) + 10;
    let byte = input.find("u4@").unwrap() as u64;
    let expected = (
        "limit_exceeded",
        "email".to_string(),
        max,
        Position::new(byte, 7, 6),
        format!(
            "too many bytes of distinct values to check for duplicates in column \"email\" at row 6 (line 7, byte {byte}): the limit is {max} (max_unique_bytes)"
        ),
    );
    let validator = common::users();
    for threads in [1, 2] {
        let err = batch(&validator, input.as_bytes(), threads, budget(max)).unwrap_err();
        assert_eq!(unique_error(err), expected, "threads({threads})");
    }
    let err = streamed(&validator, input.as_bytes(), budget(max)).unwrap_err();
    assert_eq!(unique_error(err), expected, "streaming");
    // One byte more than the four values cost passes; the duplicate (row 4)
    // costs nothing.
    let enough = budget(4 * (14 + OVERHEAD));
    let (report, _) = common::try_run_with(&validator, input.as_bytes(), |b| {
        b.limits(enough);
    })
    .unwrap();
    assert_eq!(
        common::errors(&report),
        [(4, 5, Some("email".into()), "unique")]
    );
}

#[test]
fn values_that_fail_their_own_rules_are_not_remembered() {
    // 200 rows whose 2,000-byte e-mail and 60-character employee number
    // fail their own rules cost nothing; a budget for two valid values is
    // enough.
    let mut input = String::from("email,firstName,lastName,employeeNumber\n");
    let long_email = format!("{}@example.com", "x".repeat(2_000));
    let long_number = "E".repeat(60);
    for _ in 0..200 {
        input.push_str(&format!("{long_email},Ann,Long,{long_number}\n"));
    }
    input.push_str("ok@example.com,Ok,Row,E1\n");
    let limits = budget(2 * (14 + OVERHEAD));
    let validator = common::users();
    for threads in [1, 2] {
        let report = batch(&validator, input.as_bytes(), threads, limits).unwrap();
        assert!(report.contains("\"invalid\":200"), "{report}");
        assert!(report.contains("\"valid\":1"), "{report}");
    }
    assert_eq!(streamed(&validator, input.as_bytes(), limits).unwrap(), 201);
    // A repeated invalid value is reported for its own rule only, not as a
    // duplicate of the row it was not remembered from.
    let (report, _) = common::run(
        &validator,
        b"email,firstName,lastName\nnot-an-email,A,B\nnot-an-email,C,D\n",
    );
    assert_eq!(
        common::errors(&report),
        [
            (2, 2, Some("email".into()), "email"),
            (3, 3, Some("email".into()), "email")
        ]
    );
    // An invalid value that repeats a remembered valid one is still told
    // to be a duplicate.
    let schema = Schema::builder()
        .column(
            Column::new("code")
                .pattern("E\\d{3}", None)
                .unique_ignore_case(),
        )
        .build();
    let (report, _) = common::run(&common::compile(&schema), b"code\nE100\ne100\ne100\n");
    assert_eq!(
        common::codes(&report),
        [
            (3, "code".into(), "pattern"),
            (3, "code".into(), "unique"),
            (4, "code".into(), "pattern"),
            (4, "code".into(), "unique")
        ]
    );
}

#[test]
fn unique_budget_is_shared_by_all_unique_columns_and_the_same_on_every_driver() {
    let csv = UserCsv::new(1_500).invalid_share(0.2).seed(7).to_bytes();
    let validator = common::users();
    // Enough for a few hundred rows of the generated file, not all of them.
    let limits = budget(40_000);
    let err = batch(&validator, &csv, 1, limits).unwrap_err();
    let (code, column, max, position, message) = unique_error(err);
    assert_eq!((code, max), ("limit_exceeded", 40_000));
    assert!(
        ["email", "employeeNumber"].contains(&column.as_str()),
        "{column}"
    );
    assert!(position.row > 100 && position.row < 1_500, "{position}");
    for threads in [2, 3] {
        let other = unique_error(batch(&validator, &csv, threads, limits).unwrap_err());
        assert_eq!(
            other,
            (code, column.clone(), max, position, message.clone())
        );
    }
    let other = unique_error(streamed(&validator, &csv, limits).unwrap_err());
    assert_eq!(
        other,
        (code, column.clone(), max, position, message.clone())
    );
    // The default budget is far above this file.
    assert!(batch(&validator, &csv, 2, Limits::default()).is_ok());
    assert_eq!(Limits::default().max_unique_bytes, 256 << 20);
}

#[test]
fn limits_without_the_unique_budget_deserialize_with_its_default() {
    let limits: Limits = serde_json::from_str(
        r#"{"max_field_bytes":1,"max_record_bytes":2,"max_columns":3,"max_rows":4}"#,
    )
    .unwrap();
    assert_eq!(limits.max_unique_bytes, 256 << 20);
    assert_eq!(limits.max_rows, 4);
}

/// A pattern whose matching cost per byte is large is refused when the
/// schema is compiled: `(?:a|aa){0,4000}b` compiled under the regex size
/// limit and took about 150 ms per 6 KB cell.
#[test]
fn patterns_slow_to_match_are_refused_at_compile_time() {
    let refused = |regex: &str| {
        let schema = Schema::builder()
            .column(Column::new("code").example("E-1").pattern(regex, None))
            .build();
        Validator::new(&schema).unwrap_err()
    };
    for regex in [
        "(?:a|aa){0,4000}b",
        "(?:(?:a{0,20}){0,20}){0,20}b",
        "[ab]*a[ab]{200}",
    ] {
        let err = refused(regex);
        assert_eq!(
            err,
            SchemaError::InvalidRule {
                column: "code".into(),
                message: format!(
                    "invalid pattern \"{regex}\": matching it can follow more than 100 alternatives at once, which makes every cell slow to check; simplify the repetitions (e.g. (a|aa){{0,4000}} or nested counted repeats)"
                ),
            }
        );
        assert_eq!(err.code(), "schema_rule");
    }
    // Honest patterns, Unicode classes and long bounded repeats included,
    // still compile.
    for regex in [
        "E-\\d{1,6}",
        "[\\p{L} '-]+",
        "[^@]{1,64}@[^@]{1,255}",
        "(?:\\+|00)\\d{1,3}[ \\d]{6,14}",
        "(?:a|aa){0,40}E-1",
    ] {
        let schema = Schema::builder()
            .column(Column::new("code").pattern(regex, None))
            .build();
        assert!(
            Validator::new(&schema).is_ok(),
            "{regex}: {:?}",
            Validator::new(&schema).err()
        );
    }
}
