//! The declarative rule set: plain data, loadable from TOML or JSON.

use serde::{Deserialize, Serialize};

use crate::error::SchemaError;

/// A rule set for one kind of CSV upload: its columns and their rules.
///
/// A schema is data: build it in code with [`Schema::builder`], or load it
/// with [`Schema::from_toml_str`] / [`Schema::from_json_str`]. It is checked
/// when compiled into a [`Validator`](crate::Validator), never per row.
///
/// ```
/// use usercsv::Schema;
///
/// let schema = Schema::from_toml_str(r#"
/// key = "email"
///
/// [[columns]]
/// name = "email"
/// required = true
/// aliases = ["E-mail"]
/// email = {}
/// unique = { case_insensitive = true }
///
/// [[columns]]
/// name = "nickname"
/// length = { max = 20 }
/// "#).unwrap();
/// assert_eq!(schema.columns.len(), 2);
/// assert_eq!(schema.columns[1].length.as_ref().unwrap().max, Some(20));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// The column that identifies a record (e.g. `email`), used to plan
    /// creates, updates and archives against existing users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The columns, in template order.
    pub columns: Vec<Column>,
    /// Cross-field rules: a date column not before another.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub date_order: Vec<DateOrderRule>,
    /// Cross-field rules: a column required when another has a value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_if: Vec<RequiredIfRule>,
}

/// One column of a [`Schema`] and its rules.
///
/// Each rule is optional; a column with no rule accepts any value. An empty
/// cell (after trimming) fails `required` columns and skips every other rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// The canonical column name, used in the template and in reports.
    pub name: String,
    /// Whether the column must be in the header and filled in every row.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Other header names that mean this column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// A short description, shown in the guide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// An example value for the template; a valid one is derived if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// The value must be a phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneRule>,
    /// The value must be an e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailRule>,
    /// The value must be a date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<DateRule>,
    /// The value must match a regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<PatternRule>,
    /// The value must be one of a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<OneOfRule>,
    /// The value's length in characters must be within bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<LengthRule>,
    /// The value must not repeat within the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<UniqueRule>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Phone number rule, checked with the `phonenumber` crate's metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneRule {
    /// ISO 3166 alpha-2 region (e.g. `NL`) for numbers written without
    /// `+CC`; without it only international numbers pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_region: Option<String>,
    /// Only numbers classified as mobile (or fixed-line-or-mobile) pass.
    #[serde(default, skip_serializing_if = "is_false")]
    pub mobile_only: bool,
}

/// E-mail rule: a top-level domain is required, display names
/// (`Name <a@b.com>`) and domain literals (`a@[10.0.0.1]`) are refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailRule {}

/// Date rule.
///
/// Formats are written with `YYYY`, `MM` and `DD` and literal separators,
/// e.g. `YYYY-MM-DD` or `DD/MM/YYYY`; each part must have exactly that many
/// digits. `min` and `max` are ISO dates (`YYYY-MM-DD`), inclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateRule {
    /// Accepted formats; empty means `YYYY-MM-DD` only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formats: Vec<String>,
    /// Earliest accepted date (inclusive), ISO format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// Latest accepted date (inclusive), ISO format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// Dates after today fail.
    #[serde(default, skip_serializing_if = "is_false")]
    pub not_in_future: bool,
}

/// Regular-expression rule. The expression must match the whole value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternRule {
    /// The expression (Rust `regex` syntax), implicitly anchored at both ends.
    pub regex: String,
    /// What the expression means, for messages ("an employee number like
    /// E12345"); defaults to the expression itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Closed list of accepted values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneOfRule {
    /// The accepted values.
    pub values: Vec<String>,
    /// Compare ignoring case.
    #[serde(default, skip_serializing_if = "is_false")]
    pub case_insensitive: bool,
}

/// Length bounds in characters (Unicode scalar values), inclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LengthRule {
    /// Minimum length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<usize>,
    /// Maximum length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<usize>,
}

/// Uniqueness within one file. Empty cells are never duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniqueRule {
    /// Compare ignoring case.
    #[serde(default, skip_serializing_if = "is_false")]
    pub case_insensitive: bool,
}

/// Cross-field rule: when both are filled and valid dates, `later` must not
/// be before `earlier`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateOrderRule {
    /// The column with the earlier date (e.g. `startDate`).
    pub earlier: String,
    /// The column with the later date (e.g. `endDate`); errors are reported on it.
    pub later: String,
}

/// Cross-field rule: `column` must be filled when `when` has a value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredIfRule {
    /// The column that becomes required; errors are reported on it.
    pub column: String,
    /// The column whose value triggers the requirement.
    pub when: String,
}

impl Schema {
    /// Starts building a schema in code.
    ///
    /// ```
    /// use usercsv::{Schema, Column, LengthRule};
    ///
    /// let schema = Schema::builder()
    ///     .key("code")
    ///     .column(Column::new("code").required().unique())
    ///     .column(Column::new("label").length(LengthRule { min: Some(1), max: Some(40) }))
    ///     .build();
    /// assert_eq!(schema.key.as_deref(), Some("code"));
    /// ```
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder::default()
    }

    /// Parses a schema from TOML. Unknown keys (a misspelt rule) are errors
    /// that name the line.
    ///
    /// ```
    /// let schema = usercsv::Schema::from_toml_str("[[columns]]\nname = \"a\"\n").unwrap();
    /// assert_eq!(schema.columns[0].name, "a");
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Schema, SchemaError> {
        toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let detail = err.message().trim_end().to_string();
            SchemaError::Syntax {
                message: match line {
                    Some(line) => format!("line {line}: {detail}"),
                    None => detail,
                },
                line,
            }
        })
    }

    /// Parses a schema from JSON.
    ///
    /// ```
    /// let schema = usercsv::Schema::from_json_str(r#"{"columns":[{"name":"a","required":true}]}"#).unwrap();
    /// assert!(schema.columns[0].required);
    /// ```
    pub fn from_json_str(text: &str) -> Result<Schema, SchemaError> {
        serde_json::from_str(text).map_err(|err| SchemaError::Syntax {
            message: format!("line {} column {}: {err}", err.line(), err.column()),
            line: Some(err.line()),
        })
    }

    /// Parses TOML, or JSON when the text starts with `{`.
    pub fn from_str_auto(text: &str) -> Result<Schema, SchemaError> {
        if text.trim_start().starts_with('{') {
            Schema::from_json_str(text)
        } else {
            Schema::from_toml_str(text)
        }
    }

    /// Renders the schema as TOML, the format [`Schema::from_toml_str`] reads.
    ///
    /// ```
    /// let schema = usercsv::Schema::users();
    /// let text = schema.to_toml();
    /// assert_eq!(usercsv::Schema::from_toml_str(&text).unwrap(), schema);
    /// ```
    pub fn to_toml(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Renders the schema as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Finds a column by its canonical name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Sets the default region of every phone rule (like the CLI's `--region`).
    ///
    /// ```
    /// let mut schema = usercsv::Schema::users();
    /// schema.set_phone_region("NL");
    /// let phone = schema.column("businessMobilePhone").unwrap().phone.as_ref().unwrap();
    /// assert_eq!(phone.default_region.as_deref(), Some("NL"));
    /// ```
    pub fn set_phone_region(&mut self, region: &str) {
        for column in &mut self.columns {
            if let Some(phone) = &mut column.phone {
                phone.default_region = Some(region.to_string());
            }
        }
    }
}

impl Column {
    /// A column with no rules.
    pub fn new(name: impl Into<String>) -> Column {
        Column {
            name: name.into(),
            ..Column::default()
        }
    }

    /// Marks the column required.
    pub fn required(mut self) -> Column {
        self.required = true;
        self
    }

    /// Adds a header alias.
    pub fn alias(mut self, alias: impl Into<String>) -> Column {
        self.aliases.push(alias.into());
        self
    }

    /// Sets the template example value.
    pub fn example(mut self, example: impl Into<String>) -> Column {
        self.example = Some(example.into());
        self
    }

    /// Sets the guide description.
    pub fn description(mut self, text: impl Into<String>) -> Column {
        self.description = Some(text.into());
        self
    }

    /// Adds a phone rule.
    pub fn phone(mut self, rule: PhoneRule) -> Column {
        self.phone = Some(rule);
        self
    }

    /// Adds the e-mail rule.
    pub fn email(mut self) -> Column {
        self.email = Some(EmailRule {});
        self
    }

    /// Adds a date rule.
    pub fn date(mut self, rule: DateRule) -> Column {
        self.date = Some(rule);
        self
    }

    /// Adds a pattern rule.
    pub fn pattern(mut self, regex: impl Into<String>, description: Option<&str>) -> Column {
        self.pattern = Some(PatternRule {
            regex: regex.into(),
            description: description.map(str::to_string),
        });
        self
    }

    /// Adds a one-of rule: the value must be one of `values`, exactly as
    /// written.
    ///
    /// ```
    /// let column = usercsv::Column::new("team").one_of(["Red", "Blue"]);
    /// assert!(!column.one_of.unwrap().case_insensitive);
    /// ```
    pub fn one_of<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Column {
        self.one_of = Some(OneOfRule {
            values: values.into_iter().map(Into::into).collect(),
            case_insensitive: false,
        });
        self
    }

    /// Adds a one-of rule that ignores upper and lower case (the report's
    /// normalised value is the spelling in `values`).
    ///
    /// ```
    /// let column = usercsv::Column::new("language").one_of_ignore_case(["en", "nl"]);
    /// assert!(column.one_of.unwrap().case_insensitive);
    /// ```
    pub fn one_of_ignore_case<S: Into<String>>(
        mut self,
        values: impl IntoIterator<Item = S>,
    ) -> Column {
        self.one_of = Some(OneOfRule {
            values: values.into_iter().map(Into::into).collect(),
            case_insensitive: true,
        });
        self
    }

    /// Adds a length rule.
    pub fn length(mut self, rule: LengthRule) -> Column {
        self.length = Some(rule);
        self
    }

    /// Adds a uniqueness rule: no two rows may hold the same value, exactly
    /// as written (after trimming).
    ///
    /// ```
    /// let column = usercsv::Column::new("employeeNumber").unique();
    /// assert!(!column.unique.unwrap().case_insensitive);
    /// ```
    pub fn unique(mut self) -> Column {
        self.unique = Some(UniqueRule {
            case_insensitive: false,
        });
        self
    }

    /// Adds a uniqueness rule that ignores upper and lower case
    /// (`Ada@Example.com` repeats `ada@example.com`).
    ///
    /// ```
    /// let column = usercsv::Column::new("email").unique_ignore_case();
    /// assert!(column.unique.unwrap().case_insensitive);
    /// ```
    pub fn unique_ignore_case(mut self) -> Column {
        self.unique = Some(UniqueRule {
            case_insensitive: true,
        });
        self
    }
}

/// Builds a [`Schema`] in code; see [`Schema::builder`].
#[derive(Clone, Debug, Default)]
pub struct SchemaBuilder {
    schema: Schema,
}

impl SchemaBuilder {
    /// Sets the key column.
    pub fn key(&mut self, column: impl Into<String>) -> &mut SchemaBuilder {
        self.schema.key = Some(column.into());
        self
    }

    /// Adds a column.
    pub fn column(&mut self, column: Column) -> &mut SchemaBuilder {
        self.schema.columns.push(column);
        self
    }

    /// Adds a date-order rule: `later` not before `earlier`.
    pub fn date_order(
        &mut self,
        earlier: impl Into<String>,
        later: impl Into<String>,
    ) -> &mut SchemaBuilder {
        self.schema.date_order.push(DateOrderRule {
            earlier: earlier.into(),
            later: later.into(),
        });
        self
    }

    /// Adds a required-if rule: `column` required when `when` has a value.
    pub fn required_if(
        &mut self,
        column: impl Into<String>,
        when: impl Into<String>,
    ) -> &mut SchemaBuilder {
        self.schema.required_if.push(RequiredIfRule {
            column: column.into(),
            when: when.into(),
        });
        self
    }

    /// The schema built so far.
    pub fn build(&self) -> Schema {
        self.schema.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_rule_names_line() {
        let err = Schema::from_toml_str("key = \"a\"\n[[columns]]\nname = \"a\"\nphoen = {}\n")
            .unwrap_err();
        match &err {
            SchemaError::Syntax { line, message } => {
                assert_eq!(*line, Some(4));
                assert!(message.contains("unknown field `phoen`"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn json_and_toml_agree() {
        let schema = Schema::users();
        assert_eq!(Schema::from_json_str(&schema.to_json()).unwrap(), schema);
        assert_eq!(Schema::from_str_auto(&schema.to_toml()).unwrap(), schema);
    }

    #[test]
    fn json_error_names_line() {
        let err = Schema::from_json_str("{\n\"columns\": 3}").unwrap_err();
        assert!(
            matches!(err, SchemaError::Syntax { line: Some(2), .. }),
            "{err:?}"
        );
    }
}
