//! What a failed check says: its stable code and its detail.

use serde::{Deserialize, Serialize};

/// A stable, machine-readable code for a row error.
///
/// ```
/// assert_eq!(usercsv::ErrorCode::PhoneNotMobile.as_str(), "phone_not_mobile");
/// assert_eq!(serde_json::to_string(&usercsv::ErrorCode::OneOf).unwrap(), "\"one_of\"");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// A required cell is empty.
    Required,
    /// Not a valid phone number.
    Phone,
    /// A valid phone number that is not a mobile number.
    PhoneNotMobile,
    /// Not a valid e-mail address.
    Email,
    /// Not a date in an accepted format, or not a real date.
    Date,
    /// A date outside its allowed range.
    DateRange,
    /// Does not match the column's pattern.
    Pattern,
    /// Not one of the accepted values.
    OneOf,
    /// Too short or too long.
    Length,
    /// Repeats a value of an earlier row.
    Unique,
    /// A later date before an earlier one.
    DateOrder,
    /// Empty although another column is filled.
    RequiredIf,
    /// The row has a different number of fields than the header.
    FieldCount,
    /// The key names an existing user in another spelling of the same
    /// mailbox (an internationalised domain written in Unicode for a user
    /// stored with its ASCII `xn--` form, or the other way round).
    KeySpelling,
}

impl ErrorCode {
    /// The snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Required => "required",
            ErrorCode::Phone => "phone",
            ErrorCode::PhoneNotMobile => "phone_not_mobile",
            ErrorCode::Email => "email",
            ErrorCode::Date => "date",
            ErrorCode::DateRange => "date_range",
            ErrorCode::Pattern => "pattern",
            ErrorCode::OneOf => "one_of",
            ErrorCode::Length => "length",
            ErrorCode::Unique => "unique",
            ErrorCode::DateOrder => "date_order",
            ErrorCode::RequiredIf => "required_if",
            ErrorCode::FieldCount => "field_count",
            ErrorCode::KeySpelling => "key_spelling",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed check: its code and what was expected and found, without the
/// column name (the caller adds it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub code: ErrorCode,
    pub detail: String,
}

impl Failure {
    #[cold]
    pub fn new(code: ErrorCode, detail: String) -> Failure {
        Failure { code, detail }
    }
}
