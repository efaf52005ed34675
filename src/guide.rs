//! The preparation guide an admin reads before uploading, generated from
//! the schema.
//!
//! Every example in the guide is run through the compiled rules when the
//! guide is built: valid examples pass, and each typical mistake is shown
//! with the exact message the validator gives for it. The guide cannot
//! drift from the rules because it is made by them.
//!
//! ```
//! use usercsv::{Guide, GuideFormat, Schema, Validator, render_guide};
//!
//! let validator = Validator::new(&Schema::users()).unwrap();
//! let markdown = render_guide(&validator, GuideFormat::Markdown);
//! assert!(markdown.starts_with("# How to prepare your user file\n"));
//!
//! // The same examples, as data: re-check them.
//! let guide = Guide::new(&validator);
//! for column in &guide.columns {
//!     for example in &column.examples {
//!         let outcome = validator.check_value(&column.name, &example.value);
//!         assert_eq!(outcome.err().unwrap_or_default(), example.errors);
//!     }
//! }
//! assert_eq!("html".parse::<GuideFormat>().unwrap(), GuideFormat::Html);
//! ```

use std::fmt::Write as _;
use std::str::FromStr;

use crate::dialect::CANDIDATE_DELIMITERS;
use crate::error::delimiter_name;
use crate::reader::Limits;
use crate::rules::ErrorCode;
use crate::schema::{Column, Schema};
use crate::validator::Validator;

/// The output format of the guide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GuideFormat {
    /// CommonMark with GitHub tables (`md`).
    #[default]
    Markdown,
    /// A standalone HTML page (`html`).
    Html,
}

impl FromStr for GuideFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<GuideFormat, String> {
        match s.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(GuideFormat::Markdown),
            "html" | "htm" => Ok(GuideFormat::Html),
            _ => Err(format!("unknown guide format \"{s}\": expected md or html")),
        }
    }
}

impl std::fmt::Display for GuideFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GuideFormat::Markdown => "md",
            GuideFormat::Html => "html",
        })
    }
}

/// Renders the preparation guide for a compiled schema.
pub fn render_guide(validator: &Validator, format: GuideFormat) -> String {
    Guide::new(validator).render(format)
}

/// A value shown in the guide, with the outcome the validator gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuideExample {
    /// The cell's value, exactly as it would be typed.
    pub value: String,
    /// The errors the value gets, as `(code, message)`; empty when it
    /// passes. These are [`Validator::check_value`]'s results.
    pub errors: Vec<(ErrorCode, String)>,
}

impl GuideExample {
    /// Whether the value passes.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// How the guide shows the value: `an empty cell`, the value in a code
    /// span, or for long values `` `x` repeated N times ``.
    pub fn shown_markdown(&self) -> String {
        shown(&self.value)
            .iter()
            .map(Inline::to_markdown)
            .collect::<String>()
    }
}

/// One column as the guide describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuideColumn {
    /// The schema name (the template's header).
    pub name: String,
    /// Whether the column must be present and filled.
    pub required: bool,
    /// Whether it is the key column.
    pub key: bool,
    /// Other header names accepted for it.
    pub aliases: Vec<String>,
    /// The schema's description.
    pub description: Option<String>,
    /// What the column accepts, one sentence per rule.
    pub accepts: Vec<String>,
    /// A valid example first, then typical mistakes.
    pub examples: Vec<GuideExample>,
}

/// A rule between rows or columns, with an example found by validating a
/// small file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuideRowExample {
    /// The rule, in words.
    pub rule: String,
    /// The column the error is reported on.
    pub column: String,
    /// The cells that break it, as `(column, value)`.
    pub cells: Vec<(String, String)>,
    /// The small CSV (header, rows) that was validated.
    pub csv: String,
    /// The spreadsheet row that gets the error.
    pub row: u64,
    /// The error's code.
    pub code: ErrorCode,
    /// The error's exact message.
    pub message: String,
}

/// The guide's content as data; render it with [`Guide::render`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guide {
    /// The columns in template order.
    pub columns: Vec<GuideColumn>,
    /// Rules between rows and columns (uniqueness, date order, required-if).
    pub row_rules: Vec<GuideRowExample>,
    /// The key column, if the schema has one.
    pub key: Option<String>,
    /// The template CSV.
    pub template: String,
}

/// At most this many characters are shown literally.
const MAX_SHOWN: usize = 40;

impl Guide {
    /// Builds the guide, running every example through `validator`.
    pub fn new(validator: &Validator) -> Guide {
        let schema = validator.schema();
        let compiled = &validator.inner;
        let columns = schema
            .columns
            .iter()
            .zip(&compiled.columns)
            .map(|(column, rules)| {
                let example = rules.example(column.example.as_deref());
                guide_column(validator, schema, column, &example)
            })
            .collect();
        Guide {
            columns,
            row_rules: row_rules(validator),
            key: schema.key.clone(),
            template: validator.template_csv(),
        }
    }

    /// Renders the guide.
    pub fn render(&self, format: GuideFormat) -> String {
        let doc = self.document();
        match format {
            GuideFormat::Markdown => to_markdown(&doc),
            GuideFormat::Html => to_html(&doc),
        }
    }

    /// The guide as Markdown.
    pub fn to_markdown(&self) -> String {
        self.render(GuideFormat::Markdown)
    }

    /// The guide as a standalone HTML page.
    pub fn to_html(&self) -> String {
        self.render(GuideFormat::Html)
    }

    fn document(&self) -> Vec<Block> {
        let mut doc = vec![
            Block::Heading(1, "How to prepare your user file".into()),
            Block::Para(vec![t(
                "Upload your users as a CSV file: one user per row, with a header row first that names the columns. \
                 This guide lists every column, what it accepts, and the exact message you get for a typical mistake. \
                 The fastest start is the template: it has the header and one example row that passes.",
            )]),
            Block::Heading(2, "Columns at a glance".into()),
        ];
        let mut rows = Vec::new();
        for c in &self.columns {
            let mut name = vec![code(&c.name)];
            if c.key {
                name.push(t(" (key)"));
            }
            let aliases = if c.aliases.is_empty() {
                vec![t("none")]
            } else {
                join_inlines(c.aliases.iter().map(|a| vec![code(a)]).collect(), ", ")
            };
            rows.push(vec![
                name,
                vec![t(if c.required { "yes" } else { "no" })],
                vec![t(&c.accepts.join(" "))],
                aliases,
            ]);
        }
        doc.push(Block::Table(
            vec![
                "Column".into(),
                "Required".into(),
                "What to enter".into(),
                "Also accepted as header".into(),
            ],
            rows,
        ));
        doc.push(Block::Para(vec![t(
            "Header names are matched ignoring upper and lower case, spaces, \"-\", \"_\" and \".\": \
             \"E-mail\", \"e_mail\" and \" Email \" name the same column. The order of the columns does not matter, \
             and columns that are not listed here are ignored (you get a warning). A column that is not required \
             may be left out of the file or left empty in any row.",
        )]));
        doc.push(Block::Heading(2, "Columns in detail".into()));
        for c in &self.columns {
            let mut title = c.name.clone();
            title.push_str(if c.required {
                " (required)"
            } else {
                " (optional)"
            });
            doc.push(Block::Heading(3, title));
            if let Some(description) = &c.description {
                doc.push(Block::Para(vec![t(description)]));
            }
            let mut items = Vec::new();
            let mut what = vec![strong("Accepts:"), t(" ")];
            what.push(t(&c.accepts.join(" ")));
            items.push(what);
            if c.required {
                items.push(vec![
                    strong("Required:"),
                    t(" the column must be in the header and every row needs a value."),
                ]);
            }
            let mut headers = vec![strong("Header names:"), t(" ")];
            headers.extend(join_inlines(
                std::iter::once(&c.name)
                    .chain(&c.aliases)
                    .map(|a| vec![code(a)])
                    .collect(),
                ", ",
            ));
            items.push(headers);
            for example in &c.examples {
                if example.is_valid() {
                    let mut item = vec![strong("Valid example:"), t(" ")];
                    item.extend(shown(&example.value));
                    items.push(item);
                } else {
                    let mut item = vec![strong("Typical mistake:"), t(" ")];
                    item.extend(shown(&example.value));
                    item.push(t(" gets "));
                    item.extend(join_inlines(
                        example.errors.iter().map(|(_, m)| vec![code(m)]).collect(),
                        " and ",
                    ));
                    items.push(item);
                }
            }
            doc.push(Block::List(items));
        }
        if !self.row_rules.is_empty() {
            doc.push(Block::Heading(2, "Rules between rows and columns".into()));
            let mut items = Vec::new();
            for rule in &self.row_rules {
                let mut item = vec![t(&rule.rule), t(" For example ")];
                item.extend(join_inlines(
                    rule.cells
                        .iter()
                        .map(|(col, value)| {
                            let mut cell = vec![t(&format!("{col} "))];
                            cell.extend(shown(value));
                            cell
                        })
                        .collect(),
                    " and ",
                ));
                item.push(t(&format!(" in row {} gets ", rule.row)));
                item.push(code(&rule.message));
                items.push(item);
            }
            doc.push(Block::List(items));
        }
        if let Some(key) = &self.key {
            doc.push(Block::Heading(
                2,
                "The key column: full and delta uploads".into(),
            ));
            doc.push(Block::Para(vec![
                t("The column "),
                code(key),
                t(" identifies each user: a row whose "),
                code(key),
                t(
                    " matches an existing user updates that user, any other row creates a new one. \
                   It must be filled and must not repeat within the file.",
                ),
            ]));
            doc.push(Block::List(vec![
                vec![
                    strong("Full upload:"),
                    t(" the file lists every user. All required columns must be present. \
                       Existing users who are not in the file are archived; an upload that would archive an \
                       unusually large share of your users is refused, so a truncated file cannot empty your user list."),
                ],
                vec![
                    strong("Delta upload:"),
                    t(" the file lists only the users to add or change. Only "),
                    code(key),
                    t(" must be in the header; leave out the columns you do not want to change, \
                       or leave their cells empty: an empty cell keeps the stored value. A new user still \
                       needs every required column. Users who are not in the file are left alone."),
                ],
            ]));
        }
        doc.push(Block::Heading(2, "File format".into()));
        let delimiters: Vec<Vec<Inline>> = CANDIDATE_DELIMITERS
            .iter()
            .map(|&d| vec![t(&delimiter_label(d))])
            .collect();
        let mut delimiter_item = vec![strong("Delimiter:"), t(" ")];
        delimiter_item.extend(join_inlines(delimiters, ", "));
        delimiter_item.push(t(
            " are recognised from the header row; Excel's \"CSV\" in your language's settings works as it is.",
        ));
        let limits = Limits::default();
        doc.push(Block::List(vec![
            vec![
                strong("Encoding:"),
                t(" save as \"CSV UTF-8\" (with or without byte-order mark). UTF-16 \
                   (Excel's \"Unicode text\") and Windows-1252 (Excel's plain \"CSV\" on Western Windows) are \
                   also read; a file without a byte-order mark that is not UTF-8 is read as Windows-1252, with a warning. \
                   A file that mixes UTF-8 with another encoding is refused: save the whole file again as \"CSV UTF-8\"."),
            ],
            delimiter_item,
            vec![
                strong("Quotes:"),
                t(" a value that contains the delimiter, a quote or a line break must be in double quotes, \
                   with inner quotes doubled: "),
                code("\"Smith, Jr.\""),
                t(", "),
                code("\"the \"\"A\"\" team\""),
                t(". A quote that is never closed makes the whole file unreadable."),
            ],
            vec![
                strong("Rows:"),
                t(" row numbers are spreadsheet rows: the header is row 1, the first user row 2. Blank rows are \
                   skipped and counted. Spaces around a value are ignored."),
            ],
            vec![
                strong("Size:"),
                t(&format!(
                    " at most {} columns, {} KiB in one cell and {} KiB in one row.",
                    limits.max_columns,
                    limits.max_field_bytes / 1024,
                    limits.max_record_bytes / 1024
                )),
            ],
            vec![
                strong("Spreadsheet pitfalls:"),
                t(" format phone and date columns as text before typing or pasting, so that a spreadsheet \
                   does not turn "),
                code("+31 6 12345678"),
                t(" into "),
                code("3.16123E+10"),
                t(" or a date into a number such as "),
                code("45123"),
                t("."),
            ],
        ]));
        doc.push(Block::Heading(
            2,
            "The error file, and uploading it again".into(),
        ));
        doc.push(Block::Para(vec![t(
            "When some rows fail, you receive an e-mail with the error file attached. It is named after the \
             upload id (the id support asks for) and holds only the rows that failed, exactly as you uploaded \
             them, with one more column at the end: ",
        ), code("errors"), t(". Rows that passed are not in it.")]));
        doc.push(Block::List(vec![
            vec![t("Open the error file in your spreadsheet program.")],
            vec![
                t("Read the "),
                code("errors"),
                t(" column at the end of each row. Each message starts with the column's name, says what \
                   was expected and shows what was found; several messages are separated by "),
                code(";"),
                t("."),
            ],
            vec![t(
                "Fix the values in the row. You can leave the errors column as it is: it is ignored when the \
                 file is read again.",
            )],
            vec![t(
                "Cells that start with =, +, - or @ are written with a leading ' so that the spreadsheet shows \
                 them as text (for example a phone number starting with +). Leave that ' in place; it is removed \
                 when the file is read again.",
            )],
            vec![t(
                "Save the file as CSV and upload it again. Only the fixed rows are in it, so the users that \
                 passed the first time are not uploaded twice.",
            )],
        ]));
        doc.push(Block::Heading(2, "Template".into()));
        doc.push(Block::Para(vec![t(
            "The template has the header in the usual order and one example row that passes:",
        )]));
        doc.push(Block::Code(self.template.clone()));
        doc
    }
}

fn delimiter_label(d: u8) -> String {
    match d {
        b',' => "comma (,)".to_string(),
        b';' => "semicolon (;)".to_string(),
        b'\t' => "tab".to_string(),
        b'|' => "pipe (|)".to_string(),
        _ => delimiter_name(d),
    }
}

fn guide_column(
    validator: &Validator,
    schema: &Schema,
    column: &Column,
    example: &str,
) -> GuideColumn {
    let key = schema.key.as_deref() == Some(column.name.as_str());
    let mut accepts = Vec::new();
    if let Some(rule) = &column.email {
        let _ = rule;
        accepts.push(
            "An e-mail address like name@example.com: the address only, without a name, and a domain with a top-level domain such as .com."
                .to_string(),
        );
    }
    if let Some(rule) = &column.phone {
        let kind = if rule.mobile_only {
            "A mobile phone number"
        } else {
            "A phone number"
        };
        accepts.push(match &rule.default_region {
            None => format!(
                "{kind} in international format: + and the country code, then the number (spaces are fine)."
            ),
            Some(region) => format!(
                "{kind} in international format (+ and the country code) or in the national format of {region}."
            ),
        });
    }
    if let Some(rule) = &column.date {
        let formats = if rule.formats.is_empty() {
            vec!["YYYY-MM-DD".to_string()]
        } else {
            rule.formats.clone()
        };
        let mut text = format!("A date written as {}", formats.join(" or "));
        if let Some(min) = &rule.min {
            let _ = write!(text, ", not before {min}");
        }
        if let Some(max) = &rule.max {
            let _ = write!(text, ", not after {max}");
        }
        if rule.not_in_future {
            text.push_str(", not in the future");
        }
        text.push_str(" (the day must exist; months and days have two digits).");
        accepts.push(text);
    }
    if let Some(rule) = &column.pattern {
        accepts.push(match &rule.description {
            Some(d) => format!("{}{}.", d[..1].to_uppercase(), &d[1..]),
            None => format!("A value matching the pattern {}.", rule.regex),
        });
    }
    if let Some(rule) = &column.one_of {
        accepts.push(format!(
            "One of: {}{}.",
            rule.values.join(", "),
            if rule.case_insensitive {
                " (upper or lower case)"
            } else {
                " (exactly as written here)"
            }
        ));
    }
    if let Some(rule) = &column.length {
        accepts.push(match (rule.min, rule.max) {
            (Some(min), Some(max)) if min == max => format!("Exactly {min} characters."),
            (Some(min), Some(max)) => format!("{min} to {max} characters."),
            (Some(min), None) => format!("At least {min} characters."),
            (None, Some(max)) => format!("At most {max} characters."),
            (None, None) => "Any length.".to_string(),
        });
    }
    if let Some(rule) = &column.unique {
        accepts.push(if rule.case_insensitive {
            "Must not repeat within the file (upper and lower case count as the same).".to_string()
        } else {
            "Must not repeat within the file.".to_string()
        });
    }
    if key {
        accepts.push("Identifies the user (the key column).".to_string());
    }
    if accepts.is_empty() {
        accepts.push("Any text.".to_string());
    }
    let check = |value: &str| GuideExample {
        value: value.to_string(),
        errors: validator
            .check_value(&column.name, value)
            .err()
            .unwrap_or_default(),
    };
    let mut examples = vec![check(example)];
    let mut add_mistakes = |candidates: Vec<String>, code: ErrorCode, max: usize| {
        let mut added = 0;
        for candidate in candidates {
            if added == max {
                break;
            }
            let ex = check(&candidate);
            if ex.errors.first().is_some_and(|(c, _)| *c == code)
                && !examples.iter().any(|e| e.value == ex.value)
            {
                examples.push(ex);
                added += 1;
            }
        }
    };
    if column.required {
        add_mistakes(vec![String::new()], ErrorCode::Required, 1);
    }
    if column.email.is_some() {
        let (local, domain) = example.split_once('@').unwrap_or(("name", "example.com"));
        let bare_domain = domain.rsplit_once('.').map_or(domain, |(d, _)| d);
        add_mistakes(
            vec![
                format!("{local}@{bare_domain}"),
                format!("{local} @{domain}"),
                format!("{local}.{domain}"),
            ],
            ErrorCode::Email,
            2,
        );
    }
    if let Some(rule) = &column.phone {
        let digits: String = example.chars().filter(char::is_ascii_digit).collect();
        if rule.default_region.is_none() && example.starts_with('+') && digits.len() > 4 {
            // The same number written nationally: without "+CC", with a 0
            // (country codes have one to three digits; two is most common).
            let national = [2, 1, 3]
                .iter()
                .map(|&cc| format!("0{}", &digits[cc..]))
                .collect();
            add_mistakes(national, ErrorCode::Phone, 1);
        }
        let mut candidates = Vec::new();
        if digits.len() > 6 {
            // What a spreadsheet makes of a number typed without quotes.
            candidates.push(format!(
                "{}.{}E+{}",
                &digits[..1],
                &digits[1..6],
                digits.len() - 1
            ));
        }
        candidates.push("12345".to_string());
        add_mistakes(candidates, ErrorCode::Phone, 1);
        if rule.mobile_only {
            add_mistakes(
                [
                    "+31 20 123 4567",
                    "+44 20 7946 0000",
                    "+49 30 1234567",
                    "+33 1 23 45 67 89",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                ErrorCode::PhoneNotMobile,
                1,
            );
        }
    }
    if let Some(rule) = &column.date {
        let mut candidates = Vec::new();
        if let Some(parts) = date_parts(example) {
            // The other order of year and day, no leading zeros, a day
            // that does not exist: each in the example's separators.
            candidates.push(parts.render(!parts.year_first, &parts.month, &parts.day));
            candidates.push(parts.render(
                parts.year_first,
                parts.month.trim_start_matches('0'),
                parts.day.trim_start_matches('0'),
            ));
            candidates.push(parts.render(parts.year_first, "02", "30"));
        }
        candidates.push("45123".to_string());
        add_mistakes(candidates, ErrorCode::Date, 2);
        if rule.not_in_future || rule.max.is_some() || rule.min.is_some() {
            let years = ["2999", "1000"];
            let candidates = years
                .iter()
                .filter_map(|year| replace_year(example, year))
                .collect();
            add_mistakes(candidates, ErrorCode::DateRange, 1);
        }
    }
    if column.pattern.is_some() {
        add_mistakes(
            ["x", "example", "123", "?", "x y"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ErrorCode::Pattern,
            1,
        );
    }
    if let Some(rule) = &column.one_of {
        let mut candidates = Vec::new();
        if !rule.case_insensitive
            && let Some(first) = rule.values.first()
        {
            candidates.push(first.to_uppercase());
            candidates.push(first.to_lowercase());
        }
        candidates.extend(["other", "xx", "unknown"].iter().map(|s| s.to_string()));
        add_mistakes(candidates, ErrorCode::OneOf, 1);
    }
    if let Some(rule) = &column.length {
        let mut candidates = Vec::new();
        if let Some(max) = rule.max {
            candidates.push("x".repeat(max + 1));
        }
        if let Some(min) = rule.min
            && min > 1
        {
            candidates.push("x".repeat(min - 1));
        }
        add_mistakes(candidates, ErrorCode::Length, 2);
    }
    GuideColumn {
        name: column.name.clone(),
        required: column.required,
        key,
        aliases: column.aliases.clone(),
        description: column.description.clone(),
        accepts,
        examples,
    }
}

/// An example date split into its parts.
struct DateParts {
    year: String,
    month: String,
    day: String,
    sep: char,
    year_first: bool,
}

impl DateParts {
    fn render(&self, year_first: bool, month: &str, day: &str) -> String {
        let sep = self.sep;
        if year_first {
            format!("{}{sep}{month}{sep}{day}", self.year)
        } else {
            format!("{day}{sep}{month}{sep}{}", self.year)
        }
    }
}

/// Year, month and day of an example date, when it has a 4-digit year
/// first or last and 2-digit month and day, separated by `-`, `/` or `.`.
fn date_parts(value: &str) -> Option<DateParts> {
    let sep = value.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let parts: Vec<&str> = value.split(sep).collect();
    if parts.len() != 3 || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let (year_first, y, m, d) = if parts[0].len() == 4 {
        (true, parts[0], parts[1], parts[2])
    } else if parts[2].len() == 4 {
        (false, parts[2], parts[1], parts[0])
    } else {
        return None;
    };
    (m.len() == 2 && d.len() == 2).then(|| DateParts {
        year: y.to_string(),
        month: m.to_string(),
        day: d.to_string(),
        sep,
        year_first,
    })
}

/// The first run of exactly four digits, as a number.
fn first_year(value: &str) -> Option<u32> {
    let marked = replace_year(value, "\u{0}")?;
    let start = marked.find('\u{0}')?;
    value.get(start..start + 4)?.parse().ok()
}

/// Replaces the first run of exactly four digits (the year) with `year`.
fn replace_year(value: &str, year: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 4 {
                return Some(format!("{}{year}{}", &value[..start], &value[i..]));
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Examples for the rules between rows and columns, found by validating a
/// small file built from the template's values.
fn row_rules(validator: &Validator) -> Vec<GuideRowExample> {
    let schema = validator.schema();
    let header: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
    let base: Vec<String> = schema
        .columns
        .iter()
        .zip(&validator.inner.columns)
        .map(|(c, rules)| rules.example(c.example.as_deref()))
        .collect();
    let index = |name: &str| header.iter().position(|h| h == name);
    let mut out = Vec::new();
    let mut try_rows = |rule: String,
                        rows: Vec<Vec<String>>,
                        column: &str,
                        code: ErrorCode,
                        cells: Vec<(String, String)>|
     -> bool {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(&header);
        for row in &rows {
            let _ = w.write_record(row);
        }
        let csv = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
        let Ok(report) = validator
            .validation()
            .id("guide")
            .delimiter(Some(b','))
            .validate(csv.as_bytes(), None::<&mut Vec<u8>>)
        else {
            return false;
        };
        let last = rows.len() as u64 + 1;
        if let Some(error) = report
            .errors
            .iter()
            .find(|e| e.row == last && e.code == code && e.column.as_deref() == Some(column))
        {
            out.push(GuideRowExample {
                rule,
                column: column.to_string(),
                cells,
                csv,
                row: error.row,
                code,
                message: error.message.clone(),
            });
            return true;
        }
        false
    };
    for (i, column) in schema.columns.iter().enumerate() {
        let Some(unique) = &column.unique else {
            continue;
        };
        // Two rows that differ only where other unique columns need it.
        let mut second = base.clone();
        for (j, other) in schema.columns.iter().enumerate() {
            if j != i && other.unique.is_some() {
                second[j] = String::new();
                if other.required {
                    second[j] = variant(&base[j]);
                }
            }
        }
        let value = if unique.case_insensitive && base[i].to_uppercase() != base[i] {
            base[i].to_uppercase()
        } else {
            base[i].clone()
        };
        second[i] = value.clone();
        let rule = format!(
            "{} must not repeat within the file{}; the second row with the same value fails.",
            column.name,
            if unique.case_insensitive {
                " (upper and lower case count as the same)"
            } else {
                ""
            }
        );
        try_rows(
            rule,
            vec![base.clone(), second],
            &column.name,
            ErrorCode::Unique,
            vec![(column.name.clone(), value)],
        );
    }
    for rule in &schema.date_order {
        let (Some(e), Some(l)) = (index(&rule.earlier), index(&rule.later)) else {
            continue;
        };
        // The later date a year before the earlier one, else the two swapped.
        let mut candidates = Vec::new();
        if let Some(year) = first_year(&base[e]).and_then(|y| y.checked_sub(1))
            && let Some(later) = replace_year(&base[l], &format!("{year:04}"))
        {
            let mut row = base.clone();
            row[l] = later;
            candidates.push(row);
        }
        let mut swapped = base.clone();
        swapped.swap(e, l);
        candidates.push(swapped);
        for row in candidates {
            let cells = vec![
                (rule.earlier.clone(), row[e].clone()),
                (rule.later.clone(), row[l].clone()),
            ];
            let text = format!("{} must not be before {}.", rule.later, rule.earlier);
            if try_rows(text, vec![row], &rule.later, ErrorCode::DateOrder, cells) {
                break;
            }
        }
    }
    for rule in &schema.required_if {
        let (Some(c), Some(w)) = (index(&rule.column), index(&rule.when)) else {
            continue;
        };
        let mut row = base.clone();
        row[c] = String::new();
        try_rows(
            format!("{} is required when {} is filled.", rule.column, rule.when),
            vec![row.clone()],
            &rule.column,
            ErrorCode::RequiredIf,
            vec![
                (rule.when.clone(), row[w].clone()),
                (rule.column.clone(), String::new()),
            ],
        );
    }
    out
}

/// A different value of the same shape (for a second row's unique cells).
fn variant(value: &str) -> String {
    match value.split_once('@') {
        Some((local, domain)) => format!("{local}2@{domain}"),
        None => format!("{value}2"),
    }
}

// --- A tiny document model with Markdown and HTML writers. ---

#[derive(Clone, Debug)]
enum Inline {
    Text(String),
    Code(String),
    Strong(String),
}

fn t(text: &str) -> Inline {
    Inline::Text(text.to_string())
}

fn code(text: &str) -> Inline {
    Inline::Code(text.to_string())
}

fn strong(text: &str) -> Inline {
    Inline::Strong(text.to_string())
}

/// How a cell value is shown.
fn shown(value: &str) -> Vec<Inline> {
    let chars = value.chars().count();
    if value.is_empty() {
        vec![t("an empty cell")]
    } else if chars > MAX_SHOWN
        && let Some(first) = value.chars().next()
        && value.chars().all(|c| c == first)
    {
        vec![
            code(&first.to_string()),
            t(&format!(" repeated {chars} times")),
        ]
    } else {
        vec![code(value)]
    }
}

fn join_inlines(parts: Vec<Vec<Inline>>, sep: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(t(sep));
        }
        out.extend(part);
    }
    out
}

#[derive(Clone, Debug)]
enum Block {
    Heading(u8, String),
    Para(Vec<Inline>),
    List(Vec<Vec<Inline>>),
    Table(Vec<String>, Vec<Vec<Vec<Inline>>>),
    Code(String),
}

impl Inline {
    fn to_markdown(&self) -> String {
        match self {
            Inline::Text(s) => escape_markdown(s),
            Inline::Strong(s) => format!("**{}**", escape_markdown(s)),
            Inline::Code(s) => {
                // A fence longer than any run of backticks inside.
                let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
                let fence = "`".repeat(longest + 1);
                let pad = if s.starts_with('`')
                    || s.ends_with('`')
                    || s.starts_with(' ') && s.ends_with(' ')
                {
                    " "
                } else {
                    ""
                };
                format!("{fence}{pad}{s}{pad}{fence}")
            }
        }
    }

    fn to_html(&self) -> String {
        match self {
            Inline::Text(s) => escape_html(s),
            Inline::Strong(s) => format!("<strong>{}</strong>", escape_html(s)),
            Inline::Code(s) => format!("<code>{}</code>", escape_html(s)),
        }
    }
}

fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn markdown_inlines(inlines: &[Inline]) -> String {
    inlines.iter().map(Inline::to_markdown).collect()
}

fn html_inlines(inlines: &[Inline]) -> String {
    inlines.iter().map(Inline::to_html).collect()
}

fn to_markdown(doc: &[Block]) -> String {
    let mut out = String::new();
    for block in doc {
        match block {
            Block::Heading(level, text) => {
                let _ = writeln!(
                    out,
                    "{} {}\n",
                    "#".repeat(usize::from(*level)),
                    escape_markdown(text)
                );
            }
            Block::Para(inlines) => {
                let _ = writeln!(out, "{}\n", markdown_inlines(inlines));
            }
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", markdown_inlines(item));
                }
                out.push('\n');
            }
            Block::Table(header, rows) => {
                let _ = writeln!(out, "| {} |", header.join(" | "));
                let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| markdown_inlines(c)).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
                out.push('\n');
            }
            Block::Code(text) => {
                let _ = writeln!(out, "```csv\n{}```\n", text);
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn to_html(doc: &[Block]) -> String {
    let title = doc
        .iter()
        .find_map(|b| match b {
            Block::Heading(1, text) => Some(text.as_str()),
            _ => None,
        })
        .unwrap_or("Guide");
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}}\
         code,pre{{background:#f4f4f4}}pre{{padding:.5em;overflow:auto}}</style>\n</head>\n<body>\n",
        escape_html(title)
    );
    for block in doc {
        match block {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "<h{level}>{}</h{level}>", escape_html(text));
            }
            Block::Para(inlines) => {
                let _ = writeln!(out, "<p>{}</p>", html_inlines(inlines));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", html_inlines(item));
                }
                out.push_str("</ul>\n");
            }
            Block::Table(header, rows) => {
                out.push_str("<table>\n<tr>");
                for h in header {
                    let _ = write!(out, "<th>{}</th>", escape_html(h));
                }
                out.push_str("</tr>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        let _ = write!(out, "<td>{}</td>", html_inlines(cell));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
            Block::Code(text) => {
                let _ = writeln!(out, "<pre><code>{}</code></pre>", escape_html(text));
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a`b").to_markdown(), "``a`b``");
        assert_eq!(code("`a").to_markdown(), "`` `a ``");
        assert_eq!(code("plain").to_markdown(), "`plain`");
    }

    #[test]
    fn year_replacement() {
        assert_eq!(
            replace_year("10/12/1990", "2999").as_deref(),
            Some("10/12/2999")
        );
        assert_eq!(
            replace_year("1990-12-10", "2999").as_deref(),
            Some("2999-12-10")
        );
        assert_eq!(replace_year("12-10", "2999"), None);
    }
}
