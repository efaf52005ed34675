//! A tutorial: validate user uploads from a Rust program, step by step.
//!
//! This guide walks through what a host (a back office, an import job, an
//! SFTP sync) does with `usercsv`, from the first validated file to a
//! multi-threaded full sync. Every example on this page is a test: it runs
//! and checks the results it shows. For complete programs, one per task,
//! see the [cookbook](crate::cookbook).
//!
//! # Table of contents
//!
//! 1. [Setup](#setup)
//! 1. [Validating a file](#validating-a-file)
//!     * [Reading the report](#reading-the-report)
//!     * [File-level errors](#file-level-errors)
//! 1. [The error CSV and the round trip](#the-error-csv-and-the-round-trip)
//! 1. [Streaming outcomes and the error CSV in one pass](#streaming-outcomes-and-the-error-csv-in-one-pass)
//! 1. [Messy input](#messy-input)
//! 1. [Rows without rules](#rows-without-rules)
//! 1. [A schema of your own](#a-schema-of-your-own)
//!     * [In TOML](#in-toml)
//!     * [In code](#in-code)
//!     * [Checking one value](#checking-one-value)
//!     * [The template and the guide](#the-template-and-the-guide)
//! 1. [Delta uploads and full syncs](#delta-uploads-and-full-syncs)
//!     * [Your user store as `ExistingUsers`](#your-user-store-as-existingusers)
//!     * [A delta upload](#a-delta-upload)
//!     * [A full sync](#a-full-sync)
//!     * [The mass-archive guard](#the-mass-archive-guard)
//! 1. [The e-mail](#the-e-mail)
//! 1. [Progress and cancellation](#progress-and-cancellation)
//! 1. [Threads](#threads)
//! 1. [Where next](#where-next)
//!
//! # Setup
//!
//! Add the crate. A host that only embeds the engine turns off the default
//! features (the `usercsv` command line) and adds `mail` if it sends the
//! admin's e-mail:
//!
//! ```toml
//! [dependencies]
//! usercsv = { version = "0.1", default-features = false, features = ["mail"] }
//! ```
//!
//! # Validating a file
//!
//! Validation takes two steps. First compile a [`Schema`](crate::Schema) into
//! a [`Validator`](crate::Validator): this is where every schema mistake is
//! found, once. Then validate each upload with the validator; it is cheap
//! to clone and can be shared between threads.
//!
//! [`Schema::users`](crate::Schema::users) is the built-in user schema
//! (`email`, `firstName`, `lastName`, `businessMobilePhone`, dates, ...).
//! An upload is anything that implements [`std::io::Read`]: a
//! [`File`](std::fs::File), a request body, a byte slice.
//!
//! ```
//! use usercsv::{Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//!
//! let upload = "\
//! email,firstName,lastName,businessMobilePhone
//! ada@example.com,Ada,Lovelace,+31 6 12345678
//! alan@example,Alan,Turing,+31 6 87654321
//! grace@example.com,Grace,,+31 20 123 4567
//! ";
//! let report = validator
//!     .validation()
//!     .id("upload-1")
//!     .validate(upload.as_bytes(), None)?;
//!
//! assert_eq!((report.rows.total, report.rows.valid, report.rows.invalid), (3, 1, 2));
//! assert!(!report.is_valid());
//! assert_eq!(report.notification().subject, "Upload upload-1: 2 of 3 users have validation errors");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Validator::validation`](crate::Validator::validation) starts a
//! [`ValidationBuilder`](crate::ValidationBuilder): the place for the upload
//! id, the error limit, a forced delimiter or encoding, [`Limits`](crate::Limits),
//! progress, cancellation, existing users and threads. Without an id, one is
//! generated ([`generate_id`](crate::generate_id)). For a file on disk, pass
//! the [`File`](std::fs::File) itself: the reader buffers and streams it,
//! so memory stays bounded however large the file is. The
//! [`validate_file`](crate::cookbook#validate-a-file) recipe does exactly
//! that with `examples/users.csv`.
//!
//! ## Reading the report
//!
//! A [`ValidationReport`](crate::ValidationReport) counts the rows exactly
//! and lists each problem as a [`RowError`](crate::RowError): the
//! spreadsheet row (the header is row 1), the physical line, the schema
//! column, a stable [`ErrorCode`](crate::ErrorCode), a message for people
//! and the value as uploaded. A row can have several errors; they come in
//! column order, cross-field and uniqueness errors last.
//!
//! ```
//! use usercsv::{ErrorCode, Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let upload = "\
//! email,firstName,lastName,businessMobilePhone
//! ada@example.com,Ada,Lovelace,+31 6 12345678
//! grace@example.com,Grace,,+31 20 123 4567
//! ";
//! let report = validator.validation().id("upload-2").validate(upload.as_bytes(), None)?;
//!
//! let error = &report.errors[0];
//! assert_eq!((error.row, error.line), (3, 3));
//! assert_eq!(error.column.as_deref(), Some("lastName"));
//! assert_eq!(error.code, ErrorCode::Required);
//! assert_eq!(error.message, "lastName: required, but the cell is empty");
//!
//! let error = &report.errors[1];
//! assert_eq!(error.code.as_str(), "phone_not_mobile");
//! assert_eq!(error.value.as_deref(), Some("+31 20 123 4567"));
//! assert_eq!(
//!     error.message,
//!     "businessMobilePhone: expected a mobile phone number, found \"+31 20 123 4567\", which is a fixed-line number"
//! );
//!
//! // The report is serde-serialisable: this is the CLI's `--format json`.
//! let json = serde_json::to_value(&report)?;
//! assert_eq!(json["rows"], serde_json::json!({"total": 2, "valid": 1, "invalid": 1, "blank": 0}));
//! assert_eq!(json["errors"][1]["code"], "phone_not_mobile");
//! assert_eq!(json["delimiter"], ",");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The report keeps at most 1000 row errors
//! ([`max_errors`](crate::ValidationBuilder::max_errors));
//! `errors_truncated` says when it cut. The counts and the error CSV are
//! never capped. Every field of the JSON report is described in
//! `docs/report.md`.
//!
//! ## File-level errors
//!
//! Row problems never stop a run. A problem with the file itself does: an
//! empty file, a missing required column, an unclosed quote, a limit
//! exceeded. It is one [`Error`](crate::Error) with a stable
//! [`code`](crate::Error::code), and nothing in the file can be imported.
//! [`ValidationReport::from_error`](crate::ValidationReport::from_error)
//! turns it into a report, so the admin still gets an e-mail that says why.
//!
//! ```
//! use usercsv::{Schema, ValidationReport, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let upload = "email,firstName\nada@example.com,Ada\n";
//! let err = validator.validation().validate(upload.as_bytes(), None).unwrap_err();
//! assert_eq!(err.code(), "missing_column");
//! assert_eq!(err.to_string(), "the header has no column \"lastName\" (required); found: email, firstName");
//!
//! let report = ValidationReport::from_error("upload-3", &err);
//! assert_eq!(report.file_errors[0].code, "missing_column");
//! assert_eq!(report.notification().subject, "Upload upload-3: the file could not be read");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The error CSV and the round trip
//!
//! Give `validate` a writer and the failed rows go there: the upload's
//! header plus a last column `errors`, then each failed row with its cells
//! exactly as uploaded and its messages joined by `; `. It is UTF-8 with a
//! byte-order mark, so spreadsheets show accents, and a cell a spreadsheet
//! would run as a formula gets a leading `'`. Nothing is written when every
//! row is valid. Name the file
//! [`error_csv_name`](crate::ValidationReport::error_csv_name) (`<id>.csv`).
//!
//! The admin fixes the values in that file and uploads it again. The reader
//! recognises the `errors` column and skips it, and removes the formula
//! guard, so the fixed rows pass:
//!
//! ```
//! use usercsv::{Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let upload = "\
//! email,firstName,lastName,businessMobilePhone
//! ada@example.com,Ada,Lovelace,+31 6 12345678
//! grace@example.com,Grace,,+31 6 87654321
//! ";
//! let mut error_csv = Vec::new();
//! let report = validator.validation().id("upload-4").validate(upload.as_bytes(), Some(&mut error_csv))?;
//! assert_eq!(report.error_csv_name(), "upload-4.csv");
//! assert_eq!(
//!     String::from_utf8(error_csv.clone())?,
//!     "\u{feff}email,firstName,lastName,businessMobilePhone,errors\n\
//!      grace@example.com,Grace,,'+31 6 87654321,\"lastName: required, but the cell is empty\"\n"
//! );
//!
//! // The admin fills in the last name; the `errors` column may stay.
//! let fixed = String::from_utf8(error_csv)?.replace("Grace,,", "Grace,Hopper,");
//! let again = validator.validation().id("upload-5").validate(fixed.as_bytes(), None)?;
//! assert!(again.is_valid());
//! assert_eq!(again.rows.valid, 1);
//!
//! // A row's `errors` cell is its messages joined by "; ".
//! assert_eq!(usercsv::errors_cell(&report.errors), "lastName: required, but the cell is empty");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Streaming outcomes and the error CSV in one pass
//!
//! An importer wants more than a report: it wants each valid row's values,
//! to write them to its database. [`ValidationBuilder::from_reader`](crate::ValidationBuilder::from_reader)
//! reads the header and returns a [`Validation`](crate::Validation) run;
//! [`next_outcome`](crate::Validation::next_outcome) validates one row at a
//! time and returns its [`RowOutcome`](crate::RowOutcome). Values are read
//! by schema column name (aliases work too), trimmed
//! ([`get`](crate::RowOutcome::get)) or in canonical form
//! ([`normalized`](crate::RowOutcome::normalized): E.164 phones, ISO dates,
//! lower-case e-mail).
//!
//! To write the error CSV in the same pass, open its writer with
//! [`Validation::error_csv_writer`](crate::Validation::error_csv_writer)
//! (the upload's header, delimiter, line ending and formula guard) and hand
//! it each failed row. The bytes are the same as those `validate` writes.
//!
//! ```
//! use usercsv::{Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let upload = "\
//! E-mail;First name;Surname;Mobile
//! Ada@Example.com;Ada;Lovelace;+31 6 12345678
//! alan@example;Alan;Turing;+31 6 87654321
//! ";
//! let mut run = validator.validation().id("upload-6").from_reader(upload.as_bytes())?;
//! // The upload's header, delimiter, line ending and formula guard.
//! let mut errors = run.error_csv_writer(Vec::new())?;
//! let mut imported = Vec::new();
//! while let Some(outcome) = run.next_outcome()? {
//!     if outcome.is_valid() {
//!         let email = outcome.normalized("email").unwrap().into_owned();
//!         let phone = outcome.normalized("businessMobilePhone").unwrap().into_owned();
//!         imported.push((email, phone));
//!     } else {
//!         errors.write_row(outcome.row().fields(), outcome.errors())?;
//!     }
//! }
//! let error_csv = errors.finish()?;
//! let report = run.finish()?;
//!
//! assert_eq!(imported, [("ada@example.com".to_string(), "+31612345678".to_string())]);
//! assert_eq!((report.rows.valid, report.rows.invalid), (1, 1));
//! assert!(String::from_utf8(error_csv.clone())?.starts_with("\u{feff}E-mail;First name;Surname;Mobile;errors\nalan@example;"));
//!
//! let mut expected = Vec::new();
//! validator.validation().validate(upload.as_bytes(), Some(&mut expected))?;
//! assert_eq!(error_csv, expected);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A `Validation` is also an [`Iterator`] of owned outcomes
//! ([`OwnedRowOutcome`](crate::OwnedRowOutcome), also made by
//! [`RowOutcome::to_owned`](crate::RowOutcome::to_owned)), handy for
//! sending rows to another thread; `run.finish()` then returns the report.
//!
//! ```
//! use usercsv::{Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let upload = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example,Alan,Turing\n";
//! let mut run = validator.validation().from_reader(upload.as_bytes())?;
//! let outcomes: Vec<_> = run.by_ref().collect::<Result<_, _>>()?;
//! assert_eq!(outcomes.len(), 2);
//! assert_eq!(outcomes[0].get("firstName"), Some("Ada"));
//! assert!(!outcomes[1].is_valid());
//! assert_eq!(outcomes[1].errors[0].row, 3);
//! assert_eq!(run.finish()?.rows.invalid, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Messy input
//!
//! Real uploads come from spreadsheets. The reader detects the encoding
//! (UTF-8, UTF-16 with a byte-order mark, Windows-1252) and the delimiter
//! (`,` `;` TAB `|`), trims whitespace before the rules see a value, skips
//! blank rows, and reports what it had to guess as a
//! [`Warning`](crate::Warning). Columns the schema does not know are kept in
//! the error CSV and listed as warnings. `docs/input.md` lists every case.
//!
//! ```
//! use usercsv::{Encoding, Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! // Excel's "CSV" on Windows: Windows-1252, `;`, an extra column, a blank line.
//! let upload = b"email;firstName;lastName;Notes\r\nzoe@example.com;Zo\xeb; Lovelace ;VIP\r\n;;;\r\n";
//! let report = validator.validation().validate(&upload[..], None)?;
//!
//! assert!(report.is_valid());
//! assert_eq!((report.rows.total, report.rows.blank), (1, 1));
//! assert_eq!(report.encoding, Some(Encoding::Windows1252));
//! assert_eq!(report.delimiter.as_deref(), Some(";"));
//! let warnings: Vec<&str> = report.warnings.iter().map(|w| w.code.as_str()).collect();
//! assert_eq!(warnings, ["unknown_column", "encoding_guessed"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Limits`](crate::Limits) bound what one upload may cost: bytes per
//! field and per record, columns, rows. Past a limit the run stops with the
//! file error `limit_exceeded`, which names the row and line; memory stays
//! bounded whatever the input.
//!
//! ```
//! use usercsv::{ErrorKind, Limit, Limits, Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let upload = "email,firstName,lastName\na@example.com,A,B\nb@example.com,C,D\nc@example.com,E,F\n";
//! let err = validator
//!     .validation()
//!     .limits(Limits { max_rows: 2, ..Limits::default() })
//!     .validate(upload.as_bytes(), None)
//!     .unwrap_err();
//! assert_eq!(err.code(), "limit_exceeded");
//! assert_eq!(err.position().map(|p| p.row), Some(4));
//! assert_eq!(err.to_string(), "too many data rows at row 4 (line 4, byte 61): the limit is 2");
//! assert!(matches!(err.into_kind(), ErrorKind::LimitExceeded { limit: Limit::Rows, max: 2, .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Rows without rules
//!
//! A host with rules of its own can use the reader alone:
//! [`ReaderBuilder`](crate::ReaderBuilder) and [`Reader`](crate::Reader)
//! give the same detection, limits and `errors`-column handling, and each
//! [`Row`](crate::Row) knows its spreadsheet row and physical line (they
//! differ after a quoted cell that spans lines).
//!
//! ```
//! use usercsv::ReaderBuilder;
//!
//! let upload = "email,note,errors\nada@example.com,\"two\nlines\",note: too long\n\nalan@example.com,x,\n";
//! let mut reader = ReaderBuilder::new().from_reader(upload.as_bytes())?;
//! assert!(reader.had_errors_column()); // an error CSV sent back: `errors` is dropped
//! assert_eq!(reader.header().iter().collect::<Vec<_>>(), ["email", "note"]);
//!
//! let rows: Vec<_> = reader.rows().collect::<Result<_, _>>()?;
//! assert_eq!(rows[0].get(1), Some("two\nlines"));
//! assert_eq!(rows[1].get(0), Some("alan@example.com"));
//! // Alan is on spreadsheet row 4 (the blank line is row 3) and on line 5.
//! let position = rows[1].position();
//! assert_eq!((position.row, position.line), (4, 5));
//! assert_eq!((reader.data_rows(), reader.blank_rows()), (2, 1));
//!
//! // The pieces of header matching and delimiter detection, on their own:
//! assert_eq!(usercsv::sniff_delimiter(b"email;firstName;lastName\n"), b';');
//! assert_eq!(usercsv::normalize_header(" E-mail "), usercsv::normalize_header("email"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # A schema of your own
//!
//! A schema is data: columns, their aliases and rules, a key column and
//! cross-field rules. Write it in TOML (or JSON) when admins or operators
//! edit it, in code when the host owns it. The CLI prints the built-in one
//! with `usercsv schema`; every rule is listed in `docs/schema.md`.
//!
//! ## In TOML
//!
//! ```
//! use usercsv::{Schema, Validator};
//!
//! let schema = Schema::from_toml_str(r#"
//! key = "employeeNumber"
//!
//! [[columns]]
//! name = "employeeNumber"
//! required = true
//! aliases = ["Employee ID"]
//! description = "The number on the employee's badge."
//! example = "E-1234"
//! pattern = { regex = "E-\\d{4,6}", description = "an employee number like E-1234" }
//! unique = {}
//!
//! [[columns]]
//! name = "hired"
//! date = { formats = ["DD-MM-YYYY", "YYYY-MM-DD"] }
//!
//! [[columns]]
//! name = "left"
//! date = { formats = ["DD-MM-YYYY", "YYYY-MM-DD"] }
//!
//! [[date_order]]
//! earlier = "hired"
//! later = "left"
//! "#)?;
//! let validator = Validator::new(&schema)?;
//!
//! let upload = "Employee ID,hired,left\nE-1001,15-01-2024,\n1002,01-03-2024,01-02-2024\n";
//! let report = validator.validation().validate(upload.as_bytes(), None)?;
//! let codes: Vec<&str> = report.errors.iter().map(|e| e.code.as_str()).collect();
//! assert_eq!(codes, ["pattern", "date_order"]);
//! assert_eq!(report.errors[0].message, "Employee ID: expected an employee number like E-1234, found \"1002\"");
//!
//! // The template: the header and the example row, which passes.
//! assert_eq!(validator.template_csv(), "employeeNumber,hired,left\nE-1234,10-12-1990,10-12-1990\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same schema in JSON, for hosts that store it as JSON:
//! [`Schema::to_json`](crate::Schema::to_json) and
//! [`Schema::from_json_str`](crate::Schema::from_json_str) (or
//! [`from_str_auto`](crate::Schema::from_str_auto), which takes either).
//!
//! ```
//! use usercsv::Schema;
//!
//! let schema = Schema::from_json_str(r#"{"key": "code", "columns": [{"name": "code", "required": true, "unique": {}}]}"#)?;
//! assert_eq!(schema.key.as_deref(), Some("code"));
//! assert_eq!(Schema::from_str_auto(&schema.to_json())?, schema);
//! assert_eq!(Schema::from_str_auto(&schema.to_toml())?, schema);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `description` and `example` feed the guide and the template. A misspelt
//! rule is an error that names the line, and a rule that cannot work (a bad
//! regex, an unknown region) fails when the schema is compiled:
//!
//! ```
//! use usercsv::{Schema, SchemaError, Validator};
//!
//! let err = Schema::from_toml_str("[[columns]]\nname = \"a\"\nrequird = true\n").unwrap_err();
//! assert!(err.to_string().starts_with("line 3: unknown field `requird`"), "{err}");
//!
//! assert_eq!(err.code(), "schema_syntax");
//!
//! let schema = Schema::from_toml_str("[[columns]]\nname = \"a\"\npattern = { regex = \"(\" }\n")?;
//! let err = Validator::new(&schema).unwrap_err();
//! assert_eq!(err.code(), "schema_rule");
//! assert!(matches!(err, SchemaError::InvalidRule { column, .. } if column == "a"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## In code
//!
//! [`Schema::builder`](crate::Schema::builder) and
//! [`Column`](crate::Column)'s methods build the same data:
//!
//! ```
//! use usercsv::{Column, DateRule, PhoneRule, Schema, Validator};
//!
//! let schema = Schema::builder()
//!     .key("email")
//!     .column(Column::new("email").required().email().unique_ignore_case())
//!     .column(Column::new("mobile").alias("GSM").phone(PhoneRule {
//!         default_region: Some("NL".into()),
//!         mobile_only: true,
//!     }))
//!     .column(Column::new("team").one_of_ignore_case(["red", "blue"]))
//!     .build();
//! let validator = Validator::new(&schema)?;
//!
//! let upload = "email,GSM,team\nada@example.com,06 12345678,Red\nada@example.com,020 123 4567,green\n";
//! let report = validator.validation().validate(upload.as_bytes(), None)?;
//! let codes: Vec<&str> = report.errors.iter().map(|e| e.code.as_str()).collect();
//! assert_eq!(codes, ["phone_not_mobile", "one_of", "unique"]);
//!
//! // The schema round-trips through TOML, the format `usercsv schema` prints.
//! assert_eq!(Schema::from_toml_str(&schema.to_toml())?, schema);
//! # let _ = DateRule::default();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Checking one value
//!
//! A form that edits one user can reuse the same rules:
//! [`check_value`](crate::Validator::check_value) checks one cell and
//! [`normalize`](crate::Validator::normalize) gives its canonical form.
//!
//! ```
//! use usercsv::{ErrorCode, Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! assert!(validator.check_value("email", "ada@example.com").unwrap().is_empty());
//! let failures = validator.check_value("birthDate", "10-12-1815").unwrap();
//! assert_eq!(failures[0].0, ErrorCode::Date);
//! assert_eq!(validator.normalize("businessMobilePhone", "+31 6 1234 5678").as_deref(), Some("+31612345678"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## The template and the guide
//!
//! The schema also gives the admin what to start from: a template (the
//! header and one row that passes, from each column's `example`) and a
//! preparation guide, generated from the rules so it cannot drift from
//! them. [`render_guide`](crate::render_guide) renders it as Markdown or
//! HTML; [`Guide`](crate::Guide) is the same content as data. Every example
//! in it was validated when the guide was built.
//!
//! ```
//! use usercsv::{Guide, GuideFormat, Schema, Validator, render_guide};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let template = validator.template_csv();
//! assert!(template.starts_with("email,firstName,lastName,businessMobilePhone,"));
//! assert!(validator.validate_reader(template.as_bytes(), None)?.is_valid());
//!
//! let guide = Guide::new(&validator);
//! let email = &guide.columns[0];
//! assert_eq!((email.name.as_str(), email.required, email.key), ("email", true, true));
//! assert!(email.examples.iter().any(|example| example.is_valid()));
//! assert!(email.examples.iter().any(|example| !example.is_valid()));
//! assert_eq!(guide.template, template);
//!
//! let html = render_guide(&validator, GuideFormat::Html);
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Delta uploads and full syncs
//!
//! Given the users that exist today, `usercsv` plans what a file will do to
//! them. The schema's `key` column identifies a user (`email` in the
//! built-in schema, compared after trimming, case-insensitively; a custom
//! schema may use e.g. `employeeNumber`; the key column must be required
//! and unique). Each valid row becomes a [`Create`](crate::Action::Create),
//! an [`Update`](crate::Action::Update) or
//! [`Unchanged`](crate::Action::Unchanged); the report gains a `plan` with
//! the counts, and the notification names the effect ("Effect: 12 new
//! users, 340 updated, 3 to archive."). There are two [`Mode`](crate::Mode)s:
//!
//! - **Delta** (the back office; the default): the file holds only the
//!   users that changed, often only some columns. It creates and updates,
//!   and never archives. A new key is a create and must satisfy every
//!   required rule; a known key is an update: absent columns and empty
//!   cells keep the stored value, so required columns other than the key
//!   may be missing. A row whose given values equal the stored ones,
//!   compared normalised (E.164 phones, ISO dates, lower-case e-mail), is
//!   unchanged.
//! - **Full** (the SFTP sync): the file holds every user. Every required
//!   column must be present and filled; an empty optional cell clears the
//!   stored value. After the whole file is read, every existing user whose
//!   key is not in the file is to be archived, behind a guard against
//!   mass archiving. A user whose row is in the file but invalid is never
//!   archived, and nothing is archived when the file has a file-level error.
//!
//! ## Your user store as `ExistingUsers`
//!
//! The planner asks four questions about the existing users, through the
//! [`ExistingUsers`](crate::ExistingUsers) trait: how many there are,
//! whether a key exists, whether a stored value equals a new one, and every
//! key (for the archive list). Keys and values are compared in normalised
//! form: store what [`Validator::normalize_key`](crate::Validator::normalize_key)
//! and [`Validator::normalize`](crate::Validator::normalize) return, or
//! normalise when you answer. Back it with your database; here a map plays
//! the database:
//!
//! ```
//! use std::borrow::Cow;
//! use std::collections::BTreeMap;
//! use usercsv::{ExistingUsers, Schema, Validator};
//!
//! /// normalised key -> (schema column -> normalised value)
//! struct Store(BTreeMap<String, BTreeMap<String, String>>);
//!
//! impl ExistingUsers for Store {
//!     fn len(&self) -> usize {
//!         self.0.len()
//!     }
//!     fn contains(&self, key: &str) -> bool {
//!         self.0.contains_key(key)
//!     }
//!     fn same_value(&self, key: &str, column: &str, normalized: &str) -> bool {
//!         let stored = self.0.get(key).and_then(|user| user.get(column));
//!         stored.map_or("", String::as_str) == normalized
//!     }
//!     fn keys(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
//!         Box::new(self.0.keys().map(|key| Cow::Borrowed(key.as_str())))
//!     }
//! }
//!
//! let validator = Validator::new(&Schema::users())?;
//! let mut users = BTreeMap::new();
//! for (email, first, last, mobile) in [
//!     ("Ada@Example.com", "Ada", "Lovelace", "+31 6 12345678"),
//!     ("alan@example.com", "Alan", "Turing", ""),
//! ] {
//!     let key = validator.normalize_key(email).unwrap();
//!     let mut values = BTreeMap::new();
//!     for (column, value) in [("email", email), ("firstName", first), ("lastName", last), ("businessMobilePhone", mobile)] {
//!         values.insert(column.to_string(), validator.normalize(column, value).unwrap());
//!     }
//!     users.insert(key, values);
//! }
//! let store = Store(users);
//! assert!(store.contains("ada@example.com"));
//! assert!(store.same_value("ada@example.com", "businessMobilePhone", "+31612345678"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The planner asks about a row's values once per row, through
//! [`ExistingUsers::same_values`](crate::ExistingUsers::same_values) with the
//! row's [`RowValue`](crate::RowValue)s; the provided method calls
//! `same_value` column by column. A database store overrides it to fetch the
//! user once per row; where [`RowValue::compares_as_uploaded`](crate::RowValue::compares_as_uploaded)
//! says so, it may compare [`RowValue::as_uploaded`](crate::RowValue::as_uploaded)
//! first and call [`RowValue::normalized`](crate::RowValue::normalized) (computed on
//! first use) only when that differs, as `ExistingSet` does. The planner
//! asks from the threads that check rows ([`ValidationBuilder::threads`](crate::ValidationBuilder::threads)),
//! hence `Send + Sync`.
//!
//! No database at hand? [`ExistingSet`](crate::ExistingSet) loads a CSV
//! export of the current users (the key column plus any other schema
//! columns, matched like an upload's header) and keeps the normalised key
//! and each schema cell as written; a cell is normalised only when an
//! uploaded row's cell differs from it. The CLI's `--existing FILE` uses
//! it. The next examples use it too, to stay short.
//!
//! ## A delta upload
//!
//! Pass the existing users with [`existing`](crate::ValidationBuilder::existing)
//! ([`existing_shared`](crate::ValidationBuilder::existing_shared) shares
//! one `Arc` between runs). Delta is the default mode. Each outcome's
//! [`action`](crate::RowOutcome::action) says what the row does;
//! [`validate_with_plan`](crate::ValidationBuilder::validate_with_plan)
//! returns the whole [`Plan`](crate::Plan).
//!
//! ```
//! use usercsv::{Action, ExistingSet, Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let export = "\
//! email,firstName,lastName,businessMobilePhone
//! ada@example.com,Ada,Lovelace,+31612345678
//! alan@example.com,Alan,Turing,+31687654321
//! ";
//! // Update everyone's mobile number: email + businessMobilePhone only.
//! let upload = "\
//! email,businessMobilePhone
//! ADA@example.com,+31 6 12345678
//! alan@example.com,+31 6 11112222
//! grace@example.com,+31 6 33334444
//! ";
//! let mut builder = validator.validation();
//! builder.existing(ExistingSet::from_reader(&validator, export.as_bytes())?);
//! let mut run = builder.from_reader(upload.as_bytes())?;
//! let mut actions = Vec::new();
//! while let Some(outcome) = run.next_outcome()? {
//!     actions.push(outcome.action());
//! }
//! let (report, plan) = run.finish_with_plan()?;
//! assert!(plan.unwrap().archive.is_empty()); // a delta upload never archives
//!
//! // Ada is unchanged (the same number, written differently), Alan is
//! // updated, and Grace is new, so her names are required.
//! assert_eq!(actions, [Some(Action::Unchanged), Some(Action::Update), None]);
//! assert_eq!(report.errors[0].message, "firstName: required for a new user, but the file has no such column");
//! let plan = report.plan.unwrap();
//! assert_eq!((plan.create, plan.update, plan.unchanged, plan.archive), (0, 1, 1, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## A full sync
//!
//! ```
//! use usercsv::{ExistingSet, Mode, Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let export = "\
//! email,firstName,lastName
//! ada@example.com,Ada,Lovelace
//! alan@example.com,Alan,Turing
//! grace@example.com,Grace,Hopper
//! ";
//! let upload = "\
//! email,firstName,lastName
//! ada@example.com,Ada,Lovelace
//! alan@example.com,Alan,Mathison Turing
//! edsger@example.com,Edsger,Dijkstra
//! ";
//! let mut builder = validator.validation();
//! builder
//!     .existing(ExistingSet::from_reader(&validator, export.as_bytes())?)
//!     .mode(Mode::Full);
//! let (report, plan) = builder.validate_with_plan(upload.as_bytes(), None)?;
//! let plan = plan.unwrap();
//!
//! assert_eq!((plan.counts.create, plan.counts.update, plan.counts.unchanged), (1, 1, 1));
//! assert_eq!(plan.archive_keys().collect::<Vec<_>>(), ["grace@example.com"]);
//! assert!(report.notification().body.contains("Effect: 1 new user, 1 updated, 1 unchanged, 1 to archive."));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## The mass-archive guard
//!
//! A full plan that would archive more than 10% of the existing users *and*
//! more than 10 users (a truncated file, or another company's) is held: the
//! run completes with its counts and error CSV, but archives nobody, and the
//! report's [`held`](crate::ValidationReport::held) says what it would have
//! done (code `mass_archive`); a full file with no data rows always trips it.
//! [`ArchiveGuard`](crate::ArchiveGuard) sets the thresholds, and its `allow`
//! approves the archive.
//!
//! ```
//! use usercsv::{ArchiveGuard, ExistingSet, ExistingUsers, Mode, Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let mut existing = ExistingSet::new(&validator);
//! for i in 0..20 {
//!     existing.insert(&format!("user{i}@example.com"), [] as [Option<&str>; 0]);
//! }
//! assert_eq!(existing.len(), 20);
//! let upload = "email,firstName,lastName\nuser0@example.com,Ada,Lovelace\n";
//!
//! let mut builder = validator.validation();
//! builder.existing(existing.clone()).mode(Mode::Full);
//! let held = builder.validate(upload.as_bytes(), None)?;
//! let hold = held.held.as_ref().expect("the guard holds the sync");
//! assert_eq!((hold.archive, hold.existing), (19, 20));
//! assert_eq!(held.plan.unwrap().archive, 0);
//! assert_eq!(held.notification().subject, format!("Upload {}: sync held: it would archive 19 of 20 users", held.id));
//!
//! builder.archive_guard(ArchiveGuard { allow: true, ..ArchiveGuard::default() });
//! let report = builder.validate(upload.as_bytes(), None)?;
//! assert_eq!(report.plan.unwrap().archive, 19);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The e-mail
//!
//! The admin learns the result by e-mail. Its text is
//! [`ValidationReport::notification`](crate::ValidationReport::notification).
//! With the `mail` feature, `usercsv::mail` builds the whole MIME message
//! with lettre: the text with an HTML alternative and, when rows failed, the
//! error CSV attached as `<id>.csv`, byte for byte.
//!
//! ```
//! # #[cfg(feature = "mail")] {
//! use usercsv::mail::{MailConfig, build_message, message_bytes, needs_attachment};
//! use usercsv::{Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let upload = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example,Alan,Turing\n";
//! let mut error_csv = Vec::new();
//! let report = validator.validation().id("upload-42").validate(upload.as_bytes(), Some(&mut error_csv))?;
//! assert!(report.notification().body.contains("4. Upload upload-42.csv again."));
//!
//! let config = MailConfig::new("User import <noreply@example.com>", ["hr-admins@example.com"])?;
//! assert!(needs_attachment(&report));
//! let message = build_message(&report, Some(&error_csv), &config)?;
//!
//! // Write the bytes as an .eml file, or send `message` with any lettre
//! // transport (`usercsv::mail::lettre` is the lettre it was built with).
//! let eml = String::from_utf8(message_bytes(&message))?;
//! assert!(eml.contains("Subject: Upload upload-42: 1 of 2 users has validation errors\r\n"));
//! assert!(eml.contains("Content-Disposition: attachment; filename=\"upload-42.csv\"\r\n"));
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! When every row passes there is nothing to attach, and
//! `build_message` ignores the error CSV; when rows failed it refuses to
//! announce an attachment it was not given (`MailError::MissingErrorCsv`).
//! `build_message_at` takes a fixed `Date` for reproducible output, and
//! `build_eml` goes straight to the bytes.
//!
//! ```
//! # #[cfg(feature = "mail")] {
//! use usercsv::mail::{MailConfig, MailError, build_eml};
//! use usercsv::{Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let config = MailConfig::new("noreply@example.com", ["hr-admins@example.com"])?;
//!
//! let valid = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
//! let report = validator.validation().id("upload-43").validate(valid.as_bytes(), None)?;
//! let eml = String::from_utf8(build_eml(&report, None, &config)?)?;
//! assert!(eml.contains("Subject: Upload upload-43: 1 user is valid and will be imported\r\n"));
//! assert!(!eml.contains("attachment"));
//!
//! let invalid = "email,firstName,lastName\nada@example,Ada,Lovelace\n";
//! let report = validator.validation().id("upload-44").validate(invalid.as_bytes(), None)?;
//! let err = build_eml(&report, None, &config).unwrap_err();
//! assert!(matches!(err, MailError::MissingErrorCsv { id } if id == "upload-44"));
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Progress and cancellation
//!
//! A back office validates in a background task and answers "your file is
//! being processed" at once. Give the run a [`Progress`](crate::Progress)
//! handle to read from the status handler, from any thread, and a
//! [`CancelToken`](crate::CancelToken) to stop it between rows. A cancelled
//! run ends with the error `cancelled`, never with a report that looks
//! complete.
//!
//! ```
//! use std::thread;
//! use usercsv::{CancelToken, ErrorKind, Progress, Schema, ValidationReport, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let upload = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example,Alan,Turing\n";
//!
//! let progress = Progress::new();
//! progress.set_total_bytes(Some(upload.len() as u64)); // e.g. from the file's metadata
//! let cancel = CancelToken::new();
//!
//! // The background task (e.g. tokio::task::spawn_blocking):
//! let task = {
//!     let (validator, progress, cancel) = (validator.clone(), progress.clone(), cancel.clone());
//!     thread::spawn(move || {
//!         let mut error_csv = Vec::new();
//!         match validator
//!             .validation()
//!             .id("upload-42")
//!             .progress(progress)
//!             .cancel_token(cancel)
//!             .validate(upload.as_bytes(), Some(&mut error_csv))
//!         {
//!             Ok(report) => Some(report),
//!             Err(err) if matches!(err.kind(), ErrorKind::Cancelled { .. }) => None, // no e-mail
//!             Err(err) => Some(ValidationReport::from_error("upload-42", &err)), // "the file could not be read"
//!         }
//!     })
//! };
//! let report = task.join().unwrap().expect("not cancelled");
//!
//! // The status handler:
//! assert!(progress.is_finished());
//! assert_eq!((progress.rows(), progress.bytes()), (2, upload.len() as u64));
//! assert_eq!(progress.fraction(), Some(1.0));
//! assert_eq!((report.rows.valid, report.rows.invalid), (1, 1));
//!
//! // The admin cancels; a run that sees the token stops before its next row.
//! cancel.cancel();
//! assert!(cancel.is_cancelled());
//! let err = validator.validation().cancel_token(cancel).validate(upload.as_bytes(), None).unwrap_err();
//! assert_eq!(err.code(), "cancelled");
//! assert!(matches!(err.kind(), ErrorKind::Cancelled { rows_read: 0 }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The [progress recipe](crate::cookbook#progress-and-cancellation) cancels
//! a run from another thread while it is under way.
//!
//! # Threads
//!
//! [`threads`](crate::ValidationBuilder::threads) spreads the rules over
//! more threads: the calling thread reads rows in batches, `threads - 1`
//! workers check them, and the calling thread applies the in-order part
//! (uniqueness, the plan, the counts, the error CSV). The report and the
//! error CSV are the same, byte for byte, as with one thread. It pays off on
//! large files; one thread is the default. When the size of the input is
//! known, [`input_len`](crate::ValidationBuilder::input_len) lets the
//! uniqueness tables be sized once instead of growing.
//!
//! ```
//! use usercsv::{Schema, Validator};
//!
//! // 2,000 users, every 20th with a mistyped e-mail address.
//! let mut upload = String::from("email,firstName,lastName\n");
//! for i in 0..2_000 {
//!     let domain = if i % 20 == 0 { "example" } else { "example.com" };
//!     upload.push_str(&format!("user{i}@{domain},Ada,Lovelace\n"));
//! }
//! let upload = upload.into_bytes();
//! let validator = Validator::new(&Schema::users())?;
//!
//! let run = |threads| -> Result<_, usercsv::Error> {
//!     let mut error_csv = Vec::new();
//!     let report = validator
//!         .validation()
//!         .id("upload-big")
//!         .threads(threads)
//!         .input_len(Some(upload.len() as u64))
//!         .validate(&upload[..], Some(&mut error_csv))?;
//!     Ok((report, error_csv))
//! };
//! let (one, four) = (run(1)?, run(4)?);
//! assert_eq!(one, four);
//! assert_eq!(four.0.rows.total, 2_000);
//! assert_eq!(four.0.rows.invalid, 100);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`ValidatorBuilder::today`](crate::ValidatorBuilder::today) fixes the
//! date `not_in_future` compares with, so that tests give the same results
//! every day.
//!
//! # Where next
//!
//! - The [cookbook](crate::cookbook): a complete program per task, each in
//!   `examples/` (`cargo run --example sync`).
//! - In the repository's `docs/` directory: `cli.md` (the command line),
//!   `schema.md` (every rule), `report.md` (the JSON report and error
//!   codes), `sync.md` (delta and full syncs from the command line),
//!   `input.md` (messy input and the error CSV round trip), `backoffice.md`
//!   (embedding in a web application) and `development.md`.
