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
//!
//! The guide is made in parts: [`columns`] describes each column and finds
//! its typical mistakes, [`row_rules`] finds examples for the rules between
//! rows and columns, and [`document`] lays the prose and tables out in the
//! document model of [`crate::markup`], which writes Markdown or HTML.

mod columns;
mod document;
mod row_rules;

use std::str::FromStr;

use crate::markup::{self, Inline, code, t};
use crate::rules::ErrorCode;
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
                columns::guide_column(validator, schema, column, &example)
            })
            .collect();
        Guide {
            columns,
            row_rules: row_rules::row_rules(validator),
            key: schema.key.clone(),
            template: validator.template_csv(),
        }
    }

    /// Renders the guide.
    pub fn render(&self, format: GuideFormat) -> String {
        let doc = self.document();
        match format {
            GuideFormat::Markdown => markup::to_markdown(&doc),
            GuideFormat::Html => markup::to_html(&doc),
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
