//! Schemas that contradict themselves are schema errors, and every schema
//! the compiler accepts has a template row that passes it.

mod common;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use usercsv::{
    Column, DateRule, LengthRule, PhoneRule, Schema, SchemaError, Validator, ValidatorBuilder,
};

fn compile(schema: &Schema) -> Result<Validator, SchemaError> {
    ValidatorBuilder::new().today(common::today()).build(schema)
}

fn refused(toml: &str) -> (&'static str, String, String) {
    let schema = Schema::from_toml_str(toml).unwrap();
    match compile(&schema).unwrap_err() {
        err @ SchemaError::InvalidRule { .. } => {
            let code = err.code().as_str();
            let SchemaError::InvalidRule { column, message } = err else {
                unreachable!()
            };
            (code, column, message)
        }
        other => panic!("{other:?}"),
    }
}

fn s(text: &str) -> String {
    text.to_string()
}

/// The template's rows that fail the schema, as `(row, column, code)`.
fn template_failures(validator: &Validator) -> Vec<(u64, String, &'static str)> {
    let template = validator.template_csv();
    let (report, _) = common::run(validator, template.as_bytes());
    common::codes(&report)
}

#[test]
fn an_example_that_fails_its_own_column_is_refused() {
    assert_eq!(
        refused("[[columns]]\nname = \"c\"\nexample = \"zzz\"\nlength = { max = 1 }\n"),
        (
            "schema_rule",
            s("c"),
            s(
                "the example \"zzz\" fails the column's own length rule: expected at most 1 characters, found 3 characters"
            )
        )
    );
    assert_eq!(
        refused(
            "[[columns]]\nname = \"code\"\nexample = \"E-12\"\npattern = { regex = \"E-\\\\d{3}\", description = \"a code like E-123\" }\n"
        ),
        (
            "schema_rule",
            s("code"),
            s(
                "the example \"E-12\" fails the column's own pattern rule: expected a code like E-123, found \"E-12\""
            )
        )
    );
    // Blank, for a required column.
    assert_eq!(
        refused("[[columns]]\nname = \"c\"\nrequired = true\nexample = \" \"\n"),
        (
            "schema_rule",
            s("c"),
            s("the example \" \" fails the column's own required rule: it is empty")
        )
    );
}

#[test]
fn an_empty_pattern_is_refused() {
    assert_eq!(
        refused("[[columns]]\nname = \"c\"\npattern = { regex = \"\" }\n"),
        (
            "schema_rule",
            s("c"),
            s("the pattern is empty: expected a regular expression that values must match")
        )
    );
}

#[test]
fn two_value_types_on_one_column_are_refused() {
    assert_eq!(
        refused("[[columns]]\nname = \"c\"\nemail = {}\nphone = {}\ndate = {}\n"),
        (
            "schema_rule",
            s("c"),
            s(
                "the rules phone and email and date can never pass on one value together: expected at most one of phone, email and date"
            )
        )
    );
    let (_, column, message) = refused("[[columns]]\nname = \"d\"\nemail = {}\ndate = {}\n");
    assert_eq!(
        (
            column.as_str(),
            message.starts_with("the rules email and date ")
        ),
        ("d", true)
    );
}

#[test]
fn a_one_of_value_that_fails_the_other_rules_is_refused() {
    assert_eq!(
        refused(
            "[[columns]]\nname = \"c\"\none_of = { values = [\"a\", \"bb\"] }\nlength = { max = 1 }\n"
        ),
        (
            "schema_rule",
            s("c"),
            s(
                "the one_of value \"bb\" fails the column's own length rule: expected at most 1 characters, found 2 characters"
            )
        )
    );
    assert_eq!(
        refused("[[columns]]\nname = \"c\"\none_of = { values = [\"en\", \" nl\"] }\n"),
        (
            "schema_rule",
            s("c"),
            s(
                "the one_of value \" nl\" has spaces around it, which are trimmed from every cell: it can never match"
            )
        )
    );
}

#[test]
fn a_column_without_a_passing_example_must_be_given_one() {
    // `example` fails the pattern, and a word boundary defeats the sampler.
    assert_eq!(
        refused("[[columns]]\nname = \"c\"\npattern = { regex = \"\\\\bx\\\\b\" }\n"),
        (
            "schema_rule",
            s("c"),
            s(
                "no example value passes the column's rules (tried \"example\"): give one that does with `example`"
            )
        )
    );
    // A phone number is never 5 characters long.
    let (_, column, message) = refused(
        "[[columns]]\nname = \"m\"\nphone = { default_region = \"NL\" }\nlength = { max = 5 }\n",
    );
    assert_eq!(column, "m");
    assert!(
        message.starts_with("no example value passes the column's rules (tried \"+31"),
        "{message}"
    );
}

#[test]
fn derived_examples_pass_their_pattern_and_date_order() {
    // No examples: the pattern column gets a value its pattern matches,
    // and the later date follows the earlier one (its minimum is 2020).
    let schema = Schema::builder()
        .column(Column::new("code").required().pattern("E-\\d{3}", None))
        .column(Column::new("start").date(DateRule {
            min: Some("2020-01-01".into()),
            ..DateRule::default()
        }))
        .column(Column::new("end").date(DateRule::default()))
        .column(Column::new("nick").length(LengthRule {
            min: Some(2),
            max: Some(5),
        }))
        .date_order("start", "end")
        .build();
    let validator = compile(&schema).unwrap();
    assert_eq!(
        validator.template_csv(),
        "code,start,end,nick\nE-000,2020-01-01,2020-01-01,xx\n"
    );
    assert_eq!(template_failures(&validator), []);
    // Given examples out of order are the schema's mistake.
    let schema = Schema::builder()
        .column(
            Column::new("start")
                .example("2024-05-01")
                .date(DateRule::default()),
        )
        .column(
            Column::new("end")
                .example("2024-01-01")
                .date(DateRule::default()),
        )
        .date_order("start", "end")
        .build();
    assert_eq!(
        compile(&schema).unwrap_err(),
        SchemaError::InvalidRule {
            column: s("end"),
            message: s(
                "the example \"2024-01-01\" fails the date_order rule: \"2024-01-01\" is before start \"2024-05-01\"; expected a date on or after it"
            ),
        }
    );
    // A required_if column left empty by its example, its trigger filled.
    let schema = Schema::builder()
        .column(Column::new("manager").example("Ada"))
        .column(Column::new("managerEmail").example("").email())
        .required_if("managerEmail", "manager")
        .build();
    let err = compile(&schema).unwrap_err();
    assert_eq!(
        (err.code().as_str(), err.to_string()),
        (
            "schema_rule",
            s(
                "column \"managerEmail\": the example \"\" fails the required_if rule: required when manager is filled, but the cell is empty"
            )
        )
    );
}

/// Every schema shipped with the crate and its tests still compiles, and
/// its template passes it.
#[test]
fn built_in_and_fixture_schemas_compile_and_their_templates_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        "tests/data/cli",
        "tests/data/engine",
        "tests/data/messages",
        "fuzz/seeds/schema",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml" || e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut compiled = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let parsed = Schema::from_str_auto(&text);
        // These two are broken on purpose (tests/cli.rs).
        if ["bad_regex.toml", "unknown_rule.toml"].contains(&name) {
            assert!(parsed.and_then(|s| compile(&s)).is_err(), "{name}");
            continue;
        }
        let validator = compile(&parsed.unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(template_failures(&validator), [], "{name}");
        compiled += 1;
    }
    assert!(compiled >= 5, "{files:?}");
    let users = compile(&Schema::users()).unwrap();
    assert_eq!(template_failures(&users), []);
}

/// `usercsv template --schema S | usercsv validate - --schema S` exits 0.
#[cfg(feature = "cli")]
#[test]
fn the_cli_template_validates_against_its_own_schema() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    // A required pattern column without an example, and a phone column.
    let schema = common::data("cli/custom.toml");
    let schema = schema.to_str().unwrap();
    let template = Command::new(env!("CARGO_BIN_EXE_usercsv"))
        .args(["template", "--schema", schema])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(template.status.code(), Some(0));
    let mut validate = Command::new(env!("CARGO_BIN_EXE_usercsv"))
        .args(["validate", "-", "--schema", schema, "--id", "t", "--quiet"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    validate
        .stdin
        .take()
        .unwrap()
        .write_all(&template.stdout)
        .unwrap();
    let out = validate.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&template.stdout),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!dir.path().join("t.csv").exists());
}

// --- Property: whatever the compiler accepts, its template passes. ---

fn optional<T: std::fmt::Debug + Clone + 'static>(
    strategy: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop_oneof![1 => Just(None), 1 => strategy.prop_map(Some)].boxed()
}

/// Mostly `None`: a column has a few rules, not all of them.
fn rare<T: std::fmt::Debug + Clone + 'static>(
    strategy: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop_oneof![3 => Just(None), 1 => strategy.prop_map(Some)].boxed()
}

/// Which value types a column has: mostly none or one, sometimes two.
#[derive(Clone, Copy, Debug)]
struct Types {
    phone: bool,
    email: bool,
    date: bool,
}

fn types() -> impl Strategy<Value = Types> {
    let t = |phone, email, date| Just(Types { phone, email, date });
    prop_oneof![
        6 => t(false, false, false),
        2 => t(true, false, false),
        2 => t(false, true, false),
        2 => t(false, false, true),
        1 => t(true, true, false),
        1 => t(false, true, true),
    ]
}

fn example() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        " ",
        "x",
        "zzz",
        "example",
        "ada@example.com",
        "not-an-email",
        "+31 6 12345678",
        "+31 20 123 4567",
        "2024-01-15",
        "15/01/2024",
        "1990-12-10",
        "2999-01-01",
        "E-123",
        "E-12",
        "en",
        "NL",
        " padded ",
        "ab-12",
        "12",
        "junior",
    ])
    .prop_map(str::to_string)
}

fn date_rule() -> impl Strategy<Value = DateRule> {
    (
        prop::sample::subsequence(vec!["YYYY-MM-DD", "DD/MM/YYYY", "DD.MM.YYYY"], 0..=2),
        optional(prop::sample::select(vec![
            "1900-01-01",
            "2020-01-01",
            "2024-06-01",
        ])),
        optional(prop::sample::select(vec![
            "1980-01-01",
            "2024-12-31",
            "2100-01-01",
        ])),
        any::<bool>(),
    )
        .prop_map(|(formats, min, max, not_in_future)| DateRule {
            formats: formats.into_iter().map(str::to_string).collect(),
            min: min.map(str::to_string),
            max: max.map(str::to_string),
            not_in_future,
        })
}

fn column(name: String) -> impl Strategy<Value = Column> {
    (
        (any::<bool>(), rare(example())),
        (types(), (optional(Just("NL")), any::<bool>()), date_rule()),
        (
            rare(prop::sample::select(vec![
                "E-\\d{3}",
                "[a-z]+",
                "",
                "(",
                "\\d{2,4}",
                "[A-Z]{2}-[0-9]+",
                "x|y",
                "\\bx",
                "[a-z]{2}-\\d{2}",
                "(?i)ab-\\d+",
                ".{0,3}",
            ])),
            rare(prop::sample::subsequence(
                vec!["en", "nl", "junior", "x", "E-123", "12"],
                1..=3,
            )),
            rare((optional(0usize..6), optional(0usize..6))),
            rare(any::<bool>()),
            any::<bool>(),
        ),
    )
        .prop_map(
            move |(
                (required, example),
                (types, (region, mobile_only), date),
                (pattern, one_of, length, unique, ci),
            )| {
                let mut column = Column::new(name.clone());
                column.required = required;
                column.example = example;
                if types.phone {
                    column = column.phone(PhoneRule {
                        default_region: region.map(str::to_string),
                        mobile_only,
                    });
                }
                if types.email {
                    column = column.email();
                }
                if types.date {
                    column = column.date(date);
                }
                if let Some(regex) = pattern {
                    column = column.pattern(regex, None);
                }
                if let Some(values) = one_of {
                    column = if ci {
                        column.one_of_ignore_case(values)
                    } else {
                        column.one_of(values)
                    };
                }
                column.length = length.map(|(min, max)| LengthRule { min, max });
                if let Some(ci) = unique {
                    column = if ci {
                        column.unique_ignore_case()
                    } else {
                        column.unique()
                    };
                }
                column
            },
        )
}

fn schema() -> impl Strategy<Value = Schema> {
    (1usize..4)
        .prop_flat_map(|n| {
            (
                (0..n).map(|i| column(format!("c{i}"))).collect::<Vec<_>>(),
                rare((0..n, 0..n)),
                rare((0..n, 0..n)),
            )
        })
        .prop_map(|(columns, date_order, required_if)| {
            let mut builder = Schema::builder();
            for column in columns {
                builder.column(column);
            }
            if let Some((a, b)) = date_order {
                builder.date_order(format!("c{a}"), format!("c{b}"));
            }
            if let Some((a, b)) = required_if {
                builder.required_if(format!("c{a}"), format!("c{b}"));
            }
            builder.build()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn every_accepted_schema_has_a_template_that_passes_it(schema in schema()) {
        if let Ok(validator) = compile(&schema) {
            let template = validator.template_csv();
            let (report, _) = common::run(&validator, template.as_bytes());
            prop_assert_eq!(report.rows.invalid, 0, "{}\n{:?}", template, report.errors);
            prop_assert!(report.errors.is_empty());
        }
    }
}
