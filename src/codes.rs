//! The stable codes of file errors, warnings and schema errors: typed for
//! code, serialised (and compared with strings) as the same snake_case
//! names the JSON report carries.

use serde::{Deserialize, Serialize};

/// Defines a code enum with its snake_case names.
macro_rules! codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// The code as written in the JSON report.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

codes! {
    /// The stable code of a file-level [`Error`](crate::Error) and of a
    /// report's [`FileError`](crate::FileError).
    ///
    /// ```
    /// use usercsv::{FileErrorCode, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users()).unwrap();
    /// let err = validator.validate_reader("name\nAda\n".as_bytes(), None).unwrap_err();
    /// assert_eq!(err.code(), FileErrorCode::MissingColumn);
    /// assert_eq!(err.code(), "missing_column");
    /// assert_eq!(serde_json::to_string(&err.code()).unwrap(), "\"missing_column\"");
    /// ```
    pub enum FileErrorCode {
        /// Reading the input failed.
        Io => "io",
        /// Writing the error CSV failed (a full disk, a closed pipe).
        Write => "write",
        /// The input has no header.
        EmptyFile => "empty_file",
        /// The bytes are not in the encoding they were read in, mix
        /// encodings, or hold NUL bytes.
        Encoding => "encoding",
        /// A quoted field is never closed.
        UnclosedQuote => "unclosed_quote",
        /// A configured [`Limits`](crate::Limits) value was exceeded.
        LimitExceeded => "limit_exceeded",
        /// A required column is not in the header.
        MissingColumn => "missing_column",
        /// Two header cells name the same schema column.
        DuplicateColumn => "duplicate_column",
        /// The header reads as one column holding another delimiter.
        WrongDelimiter => "wrong_delimiter",
        /// The run was cancelled.
        Cancelled => "cancelled",
        /// A row of the existing users' export has the wrong field count.
        ExistingFieldCount => "existing_field_count",
    }
}

codes! {
    /// The stable code of a report's [`Warning`](crate::Warning).
    ///
    /// ```
    /// use usercsv::{Schema, Validator, WarningCode};
    ///
    /// let validator = Validator::new(&Schema::users()).unwrap();
    /// let csv = "email,firstName,lastName,shoeSize\nada@example.com,Ada,Lovelace,38\n";
    /// let report = validator.validate_reader(csv.as_bytes(), None).unwrap();
    /// assert_eq!(report.warnings[0].code, WarningCode::UnknownColumn);
    /// assert_eq!(report.warnings[0].code, "unknown_column");
    /// ```
    pub enum WarningCode {
        /// A header cell names no schema column; the column is kept as uploaded.
        UnknownColumn => "unknown_column",
        /// A header cell is empty; the column is kept as uploaded.
        UnnamedColumn => "unnamed_column",
        /// The encoding was guessed (no byte-order mark, not UTF-8).
        EncodingGuessed => "encoding_guessed",
        /// A full sync archived nobody because some rows could not be trusted.
        ArchiveSkipped => "archive_skipped",
        /// A column named `errors` is the upload's own, not an error CSV's.
        ErrorsColumnIgnored => "errors_column_ignored",
    }
}

codes! {
    /// The stable code of a [`SchemaError`](crate::SchemaError).
    ///
    /// ```
    /// use usercsv::{Schema, SchemaErrorCode};
    ///
    /// let err = Schema::from_toml_str("[[columns]\n").unwrap_err();
    /// assert_eq!(err.code(), SchemaErrorCode::Syntax);
    /// assert_eq!(err.code(), "schema_syntax");
    /// ```
    pub enum SchemaErrorCode {
        /// The file is not valid TOML or JSON, or names an unknown key.
        #[serde(rename = "schema_syntax")]
        Syntax => "schema_syntax",
        /// A rule is invalid or contradicts the column's other rules.
        #[serde(rename = "schema_rule")]
        InvalidRule => "schema_rule",
        /// A rule names a column the schema does not have.
        #[serde(rename = "schema_unknown_column")]
        UnknownColumn => "schema_unknown_column",
        /// Two columns share a name or alias.
        #[serde(rename = "schema_ambiguous_name")]
        AmbiguousName => "schema_ambiguous_name",
        /// The schema has no columns.
        #[serde(rename = "schema_no_columns")]
        NoColumns => "schema_no_columns",
    }
}
