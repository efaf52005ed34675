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
//!         let errors = validator.check_value(&column.name, &example.value).unwrap();
//!         assert_eq!(errors, example.errors);
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
mod model;
mod row_rules;

use std::str::FromStr;

use crate::markup;
use crate::validator::Validator;

pub use self::model::{Guide, GuideColumn, GuideExample, GuideRowExample};

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
