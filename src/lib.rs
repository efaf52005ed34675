//! Validate bulk "user CSV" uploads: stream the file, apply a declarative
//! rule set, report every problem, and write an error CSV the admin can fix
//! and upload again.
//!
//! New here? The [tutorial] teaches the crate step by step; the [cookbook]
//! has a complete program for each common task.
//!
//! # The data path
//!
//! 1. A [`Schema`] is plain data: columns, aliases and rules, written in code
//!    ([`Schema::builder`]) or loaded from TOML/JSON
//!    ([`Schema::from_toml_str`]). [`Schema::users`] is the built-in user
//!    schema.
//! 2. A [`Validator`] is the schema compiled once: every regex built, every
//!    format parsed, every schema mistake reported as a [`SchemaError`]
//!    before any row is read.
//! 3. A [`Reader`] streams rows in bounded memory: it detects the encoding
//!    and delimiter, enforces [`Limits`], maps the header, skips an old
//!    `errors` column and blank rows, and knows each row's spreadsheet row
//!    and physical line.
//! 4. A [`Validation`] run checks each row against every rule and yields
//!    [`RowOutcome`]s for importers; its [`ValidationReport`] counts rows,
//!    lists [`RowError`]s with stable [`ErrorCode`]s, and renders the
//!    admin's [`Notification`].
//! 5. An [`ErrorCsvWriter`] writes the failed rows exactly as uploaded plus
//!    an `errors` column; reading that file back skips the column, so fixed
//!    rows pass.
//!
//! File-level problems (unreadable input, a missing required column, a
//! limit exceeded, ...) are one [`Error`] with a stable [`Error::code`];
//! row-level problems never stop the run.
//!
//! # Example
//!
//! ```
//! use usercsv::{Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let upload = "\
//! email,firstName,lastName,businessMobilePhone
//! ada@example.com,Ada,Lovelace,+31 6 12345678
//! alan@example,Alan,Turing,+31 20 123 4567
//! ";
//! let mut error_csv = Vec::new();
//! let report = validator
//!     .validation()
//!     .id("upload-1")
//!     .validate(upload.as_bytes(), Some(&mut error_csv))?;
//!
//! assert_eq!((report.rows.valid, report.rows.invalid), (1, 1));
//! let codes: Vec<&str> = report.errors.iter().map(|e| e.code.as_str()).collect();
//! assert_eq!(codes, ["email", "phone_not_mobile"]);
//! assert_eq!(report.errors[0].row, 3);
//!
//! // The error CSV holds the failed row as uploaded, plus `errors`.
//! let error_csv = String::from_utf8(error_csv).unwrap();
//! assert!(error_csv.starts_with("\u{feff}email,firstName,lastName,businessMobilePhone,errors\n"));
//! assert!(error_csv.contains("alan@example,Alan,Turing,'+31 20 123 4567,\"email: expected"));
//!
//! // Fix the values, keep the `errors` column, and validate again.
//! let fixed = error_csv
//!     .replace("alan@example,", "alan@example.com,")
//!     .replace("+31 20 123 4567", "+31 6 87654321");
//! let again = validator.validate_reader(fixed.as_bytes(), None)?;
//! assert!(again.is_valid());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builtin;
mod codes;
mod decode;
mod dialect;
mod error;
mod error_csv;
mod formula;
#[doc(hidden)]
pub mod generate;
mod guide;
pub mod html;
#[cfg(feature = "mail")]
#[cfg_attr(docsrs, doc(cfg(feature = "mail")))]
pub mod mail;
mod markup;
mod plan;
mod progress;
mod reader;
mod report;
mod row;
mod rules;
mod run;
mod scanner;
mod schema;
mod validator;

pub mod cookbook;
pub mod tutorial;

pub use crate::codes::{FileErrorCode, SchemaErrorCode, WarningCode};
pub use crate::decode::Encoding;
pub use crate::dialect::sniff_delimiter;
pub use crate::error::{Error, ErrorKind, Limit, Position, SchemaError};
pub use crate::error_csv::{ErrorCsvWriter, LineEnding, errors_cell};
pub use crate::formula::{guard_formula, unguard_formula};
pub use crate::guide::{
    Guide, GuideColumn, GuideExample, GuideFormat, GuideRowExample, render_guide,
};
pub use crate::plan::{Action, ArchiveGuard, ExistingSet, ExistingUsers, Mode, Plan, RowValue};
pub use crate::progress::{CancelToken, Progress};
pub use crate::reader::{Limits, Reader, ReaderBuilder, RowsIntoIter, RowsIter};
pub use crate::report::{
    ArchiveHeld, ArchiveSkipped, ErrorCsvDelivery, FileError, Notification, PlanCounts, RowCounts,
    RowError, ValidationReport, Warning, generate_id,
};
pub use crate::row::{Fields, Row};
pub use crate::rules::ErrorCode;
pub use crate::run::{MAX_THREADS, OwnedRowOutcome, RowOutcome, Validation, ValidationBuilder};
pub use crate::schema::{
    Column, DateOrderRule, DateRule, EmailRule, LengthRule, OneOfRule, PatternRule, PhoneRule,
    RequiredIfRule, Schema, SchemaBuilder, UniqueRule,
};
pub use crate::validator::{UnknownColumn, Validator, ValidatorBuilder, normalize_header};
/// The date type of [`ValidationBuilder::today`] (re-exported from `chrono`).
#[doc(no_inline)]
pub use chrono::NaiveDate;
/// The header type of [`Reader::header`] and [`ErrorCsvWriter::new`]
/// (re-exported from the `csv` crate); rows are [`Row`]s.
#[doc(no_inline)]
pub use csv::StringRecord;

// The README's examples are doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

// So are the Rust examples in docs/.
#[doc = include_str!("../docs/schema.md")]
#[cfg(doctest)]
pub struct SchemaDoctests;

#[doc = include_str!("../docs/backoffice.md")]
#[cfg(all(doctest, feature = "mail"))]
pub struct BackofficeDoctests;
