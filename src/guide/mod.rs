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
///
/// ```
/// use usercsv::GuideFormat;
/// assert_eq!("MD".parse::<GuideFormat>(), Ok(GuideFormat::Markdown));
/// assert_eq!("htm".parse::<GuideFormat>(), Ok(GuideFormat::Html));
/// assert_eq!(GuideFormat::Html.to_string(), "html");
/// assert_eq!("pdf".parse::<GuideFormat>().unwrap_err(), "unknown guide format \"pdf\": expected md or html");
/// ```
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
///
/// ```
/// use usercsv::{GuideFormat, Schema, Validator, render_guide};
///
/// let validator = Validator::new(&Schema::users())?;
/// let html = render_guide(&validator, GuideFormat::Html);
/// assert!(html.starts_with("<!DOCTYPE html>\n"));
/// assert!(html.contains("<title>How to prepare your user file</title>"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_guide(validator: &Validator, format: GuideFormat) -> String {
    Guide::new(validator).render(format)
}

impl Guide {
    /// Builds the guide, running every example through `validator`.
    ///
    /// ```
    /// use usercsv::{Guide, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let guide = Guide::new(&validator);
    /// assert_eq!(guide.columns.len(), validator.schema().columns.len());
    /// assert!(guide.columns.iter().all(|c| c.examples[0].is_valid()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use usercsv::{Guide, GuideFormat, Schema, Validator};
    ///
    /// let guide = Guide::new(&Validator::new(&Schema::users())?);
    /// let markdown = guide.render(GuideFormat::Markdown);
    /// assert!(markdown.contains("\n| `firstName` | yes | 1 to 100 characters. | `First name`, `Given name`, `Firstname` |\n"));
    /// assert_eq!(markdown, guide.to_markdown());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn render(&self, format: GuideFormat) -> String {
        let doc = self.document();
        match format {
            GuideFormat::Markdown => markup::to_markdown(&doc),
            GuideFormat::Html => markup::to_html(&doc),
        }
    }

    /// The guide as Markdown.
    ///
    /// ```
    /// use usercsv::{Guide, Schema, Validator};
    ///
    /// let guide = Guide::new(&Validator::new(&Schema::users())?);
    /// assert!(guide.to_markdown().starts_with("# How to prepare your user file\n\nUpload your users as a CSV file"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_markdown(&self) -> String {
        self.render(GuideFormat::Markdown)
    }

    /// The guide as a standalone HTML page.
    ///
    /// ```
    /// use usercsv::{Guide, Schema, Validator};
    ///
    /// let html = Guide::new(&Validator::new(&Schema::users())?).to_html();
    /// assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n"));
    /// assert!(html.ends_with("</body>\n</html>\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_html(&self) -> String {
        self.render(GuideFormat::Html)
    }
}
