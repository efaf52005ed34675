//! The preparation guide: every example it shows is validated again and
//! passes or fails exactly as the guide says.

use chrono::NaiveDate;
use usercsv::{ErrorCode, Guide, GuideFormat, Schema, Validator, ValidatorBuilder, render_guide};

fn users() -> Validator {
    ValidatorBuilder::new()
        .today(NaiveDate::from_ymd_opt(2025, 6, 15).unwrap())
        .build(&Schema::users())
        .unwrap()
}

fn custom() -> Validator {
    let schema = Schema::from_toml_str(
        r#"
key = "code"

[[columns]]
name = "code"
required = true
aliases = ["Code", "Employee code"]
pattern = { regex = "E[0-9]{4}", description = "an employee code like E1234" }
unique = {}

[[columns]]
name = "status"
one_of = { values = ["Active", "Leaver"] }

[[columns]]
name = "hired"
date = { formats = ["DD/MM/YYYY"], min = "2000-01-01", max = "2030-12-31" }

[[columns]]
name = "left"
date = { formats = ["DD/MM/YYYY"] }

[[columns]]
name = "reason"
length = { min = 3, max = 10 }

[[columns]]
name = "phone"
phone = { default_region = "NL" }

[[date_order]]
earlier = "hired"
later = "left"

[[required_if]]
column = "reason"
when = "left"
"#,
    )
    .unwrap();
    ValidatorBuilder::new()
        .today(NaiveDate::from_ymd_opt(2025, 6, 15).unwrap())
        .build(&schema)
        .unwrap()
}

/// Reads one Markdown code span at the start of `s`: `(content, rest)`.
fn code_span(s: &str) -> (String, &str) {
    let fence_len = s.len() - s.trim_start_matches('`').len();
    assert!(fence_len > 0, "expected a code span at {s:?}");
    let fence = &s[..fence_len];
    let body = &s[fence_len..];
    let end = body
        .find(fence)
        .unwrap_or_else(|| panic!("unclosed code span in {s:?}"));
    let mut content = &body[..end];
    if content.len() >= 2 && content.starts_with(' ') && content.ends_with(' ') {
        content = &content[1..content.len() - 1];
    }
    (content.to_string(), &body[end + fence_len..])
}

/// A shown value: `an empty cell`, a code span, or `` `x` repeated N times ``.
fn shown_value(s: &str) -> (String, &str) {
    if let Some(rest) = s.strip_prefix("an empty cell") {
        return (String::new(), rest);
    }
    let (value, rest) = code_span(s);
    if let Some(tail) = rest.strip_prefix(" repeated ") {
        let (count, rest) = tail.split_once(" times").unwrap();
        return (value.repeat(count.parse().unwrap()), rest);
    }
    (value, rest)
}

#[derive(Debug, PartialEq)]
struct Shown {
    column: String,
    value: String,
    messages: Vec<String>,
}

/// Every valid example and typical mistake in the Markdown guide.
fn shown_examples(markdown: &str) -> Vec<Shown> {
    let mut column = None;
    let mut out = Vec::new();
    for line in markdown.lines() {
        if let Some(title) = line.strip_prefix("### ") {
            column = Some(title.split(" (").next().unwrap().replace('\\', ""));
        } else if line.starts_with("## ") {
            column = None;
        } else if let Some(rest) = line.strip_prefix("- **Valid example:** ") {
            let (value, rest) = shown_value(rest);
            assert_eq!(rest, "", "{line}");
            out.push(Shown {
                column: column.clone().expect("example outside a column section"),
                value,
                messages: vec![],
            });
        } else if let Some(rest) = line.strip_prefix("- **Typical mistake:** ") {
            let (value, rest) = shown_value(rest);
            let mut rest = rest
                .strip_prefix(" gets ")
                .unwrap_or_else(|| panic!("{line}"));
            let mut messages = Vec::new();
            loop {
                let (message, tail) = code_span(rest);
                messages.push(message);
                match tail.strip_prefix(" and ") {
                    Some(tail) => rest = tail,
                    None => {
                        assert_eq!(tail, "", "{line}");
                        break;
                    }
                }
            }
            out.push(Shown {
                column: column.clone().expect("example outside a column section"),
                value,
                messages,
            });
        }
    }
    out
}

/// Validates every shown example again; returns them.
fn recheck(validator: &Validator) -> Vec<Shown> {
    let markdown = render_guide(validator, GuideFormat::Markdown);
    let shown = shown_examples(&markdown);
    for example in &shown {
        let got: Vec<String> = validator
            .check_value(&example.column, &example.value)
            .unwrap()
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        assert_eq!(got, example.messages, "guide example {example:?}");
    }
    // What is shown is exactly the guide's data.
    let guide = Guide::new(validator);
    let data: Vec<Shown> = guide
        .columns
        .iter()
        .flat_map(|c| {
            c.examples.iter().map(|e| Shown {
                column: c.name.clone(),
                value: e.value.clone(),
                messages: e.errors.iter().map(|(_, m)| m.clone()).collect(),
            })
        })
        .collect();
    assert_eq!(shown, data);
    shown
}

fn find<'a>(shown: &'a [Shown], column: &str, value: &str) -> &'a Shown {
    shown
        .iter()
        .find(|s| s.column == column && s.value == value)
        .unwrap_or_else(|| panic!("no example {column} = {value:?} in {shown:#?}"))
}

#[test]
fn builtin_guide_examples_validate_as_shown() {
    let validator = users();
    let shown = recheck(&validator);
    // Every column has exactly one valid example, first.
    let schema = validator.schema();
    for column in &schema.columns {
        let examples: Vec<&Shown> = shown.iter().filter(|s| s.column == column.name).collect();
        assert!(examples[0].messages.is_empty(), "{:?}", examples[0]);
        assert_eq!(
            examples.iter().filter(|e| e.messages.is_empty()).count(),
            1,
            "{}",
            column.name
        );
    }
    // Known mistakes with their exact messages.
    assert_eq!(
        find(&shown, "email", "ada.lovelace@example").messages,
        [
            "email: expected an e-mail address like name@example.com, found \"ada.lovelace@example\" (the domain needs a top-level domain such as .com)"
        ]
    );
    assert_eq!(
        find(&shown, "email", "").messages,
        ["email: required, but the cell is empty"]
    );
    assert_eq!(
        find(&shown, "businessMobilePhone", "+31 20 123 4567")
            .messages
            .len(),
        1
    );
    assert_eq!(
        validator
            .check_value("businessMobilePhone", "+31 20 123 4567")
            .unwrap()[0]
            .0,
        ErrorCode::PhoneNotMobile
    );
    assert_eq!(
        find(&shown, "birthDate", "2999-12-10").messages,
        ["birthDate: expected a date not in the future, found \"2999-12-10\""]
    );
    assert!(
        find(&shown, "birthDate", "10-12-1990").messages[0]
            .starts_with("birthDate: expected a date as YYYY-MM-DD")
    );
    assert!(find(&shown, "language", "other").messages[0].starts_with("language: "));
    let long = find(&shown, "firstName", &"x".repeat(101));
    assert_eq!(
        long.messages,
        ["firstName: expected 1 to 100 characters, found 101 characters"]
    );
    // Mistakes cover every rule of the built-in schema.
    let mut codes: Vec<ErrorCode> = shown
        .iter()
        .filter(|s| !s.messages.is_empty())
        .map(|s| validator.check_value(&s.column, &s.value).unwrap()[0].0)
        .collect();
    codes.sort();
    codes.dedup();
    assert_eq!(
        codes,
        [
            ErrorCode::Required,
            ErrorCode::Phone,
            ErrorCode::PhoneNotMobile,
            ErrorCode::Email,
            ErrorCode::Date,
            ErrorCode::DateRange,
            ErrorCode::OneOf,
            ErrorCode::Length,
        ]
    );
}

/// The mistakes shown for a column whose first error has `code`.
fn mistakes<'a>(
    validator: &Validator,
    shown: &'a [Shown],
    column: &str,
    code: ErrorCode,
) -> Vec<&'a Shown> {
    shown
        .iter()
        .filter(|s| {
            s.column == column
                && validator
                    .check_value(column, &s.value)
                    .unwrap()
                    .first()
                    .is_some_and(|e| e.0 == code)
        })
        .collect()
}

#[test]
fn custom_schema_guide_examples_validate_as_shown() {
    let validator = custom();
    let shown = recheck(&validator);
    assert_eq!(
        find(&shown, "code", "x").messages,
        ["code: expected an employee code like E1234, found \"x\""]
    );
    assert_eq!(find(&shown, "hired", "01/01/2000").messages.len(), 0);
    for (column, code) in [
        ("code", ErrorCode::Required),
        ("code", ErrorCode::Pattern),
        ("status", ErrorCode::OneOf),
        ("hired", ErrorCode::Date),
        ("hired", ErrorCode::DateRange),
        ("left", ErrorCode::Date),
        ("reason", ErrorCode::Length),
        ("phone", ErrorCode::Phone),
    ] {
        assert!(
            !mistakes(&validator, &shown, column, code).is_empty(),
            "no {code} mistake for {column}"
        );
    }
    // Case-sensitive one-of: the upper-case spelling is the mistake shown.
    assert_eq!(find(&shown, "status", "ACTIVE").messages.len(), 1);
    assert_eq!(
        find(&shown, "hired", "01/01/2999").messages,
        ["hired: expected a date from 2000-01-01 to 2030-12-31, found \"01/01/2999\""]
    );
}

#[test]
fn row_rules_validate_as_shown() {
    for validator in [users(), custom()] {
        let guide = Guide::new(&validator);
        let markdown = guide.to_markdown();
        let html = guide.to_html();
        let mut codes = Vec::new();
        for rule in &guide.row_rules {
            let report = validator
                .validation()
                .validate(rule.csv.as_bytes(), None)
                .unwrap();
            let error = report
                .errors
                .iter()
                .find(|e| e.row == rule.row && e.code == rule.code)
                .unwrap_or_else(|| panic!("{rule:?} not reproduced: {report:?}"));
            assert_eq!(error.message, rule.message);
            assert_eq!(error.column.as_deref(), Some(rule.column.as_str()));
            assert!(
                markdown.contains(&format!("`{}`", rule.message)),
                "{}",
                rule.message
            );
            assert!(html.contains(&format!("<code>{}</code>", html_escape(&rule.message))));
            codes.push(rule.code);
        }
        codes.sort();
        codes.dedup();
        let expected: Vec<ErrorCode> = if validator.schema().required_if.is_empty() {
            vec![ErrorCode::Unique, ErrorCode::DateOrder]
        } else {
            vec![
                ErrorCode::Unique,
                ErrorCode::DateOrder,
                ErrorCode::RequiredIf,
            ]
        };
        assert_eq!(codes, expected);
    }
    let users_guide = Guide::new(&users());
    let unique: Vec<&str> = users_guide
        .row_rules
        .iter()
        .filter(|r| r.code == ErrorCode::Unique)
        .map(|r| r.column.as_str())
        .collect();
    assert_eq!(unique, ["email", "employeeNumber"]);
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[test]
fn guide_covers_the_admins_questions() {
    let validator = users();
    let markdown = render_guide(&validator, GuideFormat::Markdown);
    for needle in [
        "# How to prepare your user file\n",
        "## Columns at a glance\n",
        "| `email` (key) | yes |",
        "### businessMobilePhone (optional)\n",
        "**Header names:** `email`, `E-mail`, `Email address`, `E-mail address`, `Mail`\n",
        "## The key column: full and delta uploads\n",
        "**Full upload:**",
        "**Delta upload:**",
        "**Encoding:**",
        "UTF-16",
        "Windows-1252",
        "**Delimiter:** comma (,), semicolon (;), tab, pipe (\\|)",
        "## The error file, and uploading it again\n",
        "`errors`",
        "Leave that ' in place",
        "```csv\nemail,firstName,lastName,businessMobilePhone,",
    ] {
        assert!(
            markdown.contains(needle),
            "missing {needle:?} in\n{markdown}"
        );
    }
    // The template shown is the validator's, and it passes.
    assert!(markdown.contains(&validator.template_csv()));

    let html = render_guide(&validator, GuideFormat::Html);
    assert!(html.starts_with("<!DOCTYPE html>\n"));
    assert!(html.ends_with("</html>\n"));
    assert_eq!(html.matches("<li>").count(), html.matches("</li>").count());
    assert_eq!(
        html.matches("<h3>").count(),
        validator.schema().columns.len()
    );
    // Every shown message is in the HTML too.
    for column in Guide::new(&validator).columns {
        for example in column.examples {
            for (_, message) in example.errors {
                assert!(html.contains(&html_escape(&message)), "{message}");
            }
        }
    }
}

#[test]
fn format_names() {
    assert_eq!("md".parse::<GuideFormat>(), Ok(GuideFormat::Markdown));
    assert_eq!("Markdown".parse::<GuideFormat>(), Ok(GuideFormat::Markdown));
    assert_eq!("html".parse::<GuideFormat>(), Ok(GuideFormat::Html));
    assert!(
        "pdf"
            .parse::<GuideFormat>()
            .unwrap_err()
            .contains("expected md or html")
    );
    assert_eq!(GuideFormat::Html.to_string(), "html");
}
