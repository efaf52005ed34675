//! The guide's content as data: what each column accepts, its examples,
//! and the rules between rows and columns.

use crate::markup::{Inline, code, t};
use crate::rules::ErrorCode;

/// A value shown in the guide, with the outcome the validator gives it.
///
/// ```
/// use usercsv::{ErrorCode, Guide, Schema, Validator};
///
/// let guide = Guide::new(&Validator::new(&Schema::users())?);
/// let email = &guide.columns[0].examples;
/// assert_eq!(email[0].value, "ada.lovelace@example.com");
/// assert!(email[0].is_valid());
/// assert_eq!(email[1].value, "");
/// assert_eq!(email[1].errors, [(ErrorCode::Required, "email: required, but the cell is empty".to_string())]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuideExample {
    /// The cell's value, exactly as it would be typed.
    pub value: String,
    /// The errors the value gets, as `(code, message)`; empty when it
    /// passes. These are [`Validator::check_value`](crate::Validator::check_value)'s results.
    pub errors: Vec<(ErrorCode, String)>,
}

impl GuideExample {
    /// Whether the value passes.
    ///
    /// ```
    /// use usercsv::GuideExample;
    /// let example = GuideExample { value: "Ada".into(), errors: vec![] };
    /// assert!(example.is_valid());
    /// ```
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// How the guide shows the value: `an empty cell`, the value in a code
    /// span, or for long values `` `x` repeated N times ``.
    ///
    /// ```
    /// use usercsv::GuideExample;
    /// let shown = |value: &str| GuideExample { value: value.into(), errors: vec![] }.shown_markdown();
    /// assert_eq!(shown(""), "an empty cell");
    /// assert_eq!(shown("Ada"), "`Ada`");
    /// assert_eq!(shown(&"x".repeat(101)), "`x` repeated 101 times");
    /// ```
    pub fn shown_markdown(&self) -> String {
        shown(&self.value)
            .iter()
            .map(Inline::to_markdown)
            .collect::<String>()
    }
}

/// One column as the guide describes it.
///
/// ```
/// use usercsv::{Guide, Schema, Validator};
///
/// let guide = Guide::new(&Validator::new(&Schema::users())?);
/// let email = &guide.columns[0];
/// assert_eq!((email.name.as_str(), email.required, email.key), ("email", true, true));
/// assert_eq!(email.aliases, ["E-mail", "Email address", "E-mail address", "Mail"]);
/// assert_eq!(email.accepts.last().unwrap(), "Identifies the user (the key column).");
/// assert_eq!(email.examples.len(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// ```
/// use usercsv::{ErrorCode, Guide, Schema, Validator};
///
/// let guide = Guide::new(&Validator::new(&Schema::users())?);
/// let unique = &guide.row_rules[0];
/// assert_eq!(unique.column, "email");
/// assert_eq!(unique.cells, [("email".to_string(), "ADA.LOVELACE@EXAMPLE.COM".to_string())]);
/// assert_eq!((unique.row, unique.code), (3, ErrorCode::Unique));
/// assert_eq!(
///     unique.message,
///     "email: \"ADA.LOVELACE@EXAMPLE.COM\" already appears in row 2; each email must be unique in the file"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// ```
/// use usercsv::{Guide, Schema, Validator};
///
/// let guide = Guide::new(&Validator::new(&Schema::users())?);
/// assert_eq!(guide.key.as_deref(), Some("email"));
/// let names: Vec<&str> = guide.columns.iter().map(|c| c.name.as_str()).collect();
/// assert_eq!(names[..3], ["email", "firstName", "lastName"]);
/// assert!(guide.template.starts_with("email,firstName,lastName,businessMobilePhone,"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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

/// How a cell value is shown.
pub(super) fn shown(value: &str) -> Vec<Inline> {
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
