//! The validation report and the notification the admin receives.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::codes::{FileErrorCode, WarningCode};
use crate::decode::Encoding;
use crate::error::Error;
use crate::rules::ErrorCode;

/// One problem in one row.
///
/// `column` is the schema's column name (`None` for `field_count`);
/// `message` names the column as the file's header spells it and says what
/// was expected and found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RowError {
    /// Spreadsheet row: the header is row 1, the first data row row 2.
    pub row: u64,
    /// Physical line where the record starts.
    pub line: u64,
    /// The schema column, if the error is about one.
    pub column: Option<String>,
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
    /// The offending value as uploaded, if the error is about one.
    pub value: Option<String>,
}

impl RowError {
    /// A row error at `position` (its row and line), e.g. from a host's own
    /// check, to write into the error CSV beside the validator's.
    ///
    /// ```
    /// use usercsv::{ErrorCode, Position, RowError};
    /// let error = RowError::new(Position::new(0, 2, 2), Some("email"), ErrorCode::Unique, "email: already registered");
    /// assert_eq!((error.row, error.line, error.value), (2, 2, None));
    /// ```
    pub fn new(
        position: crate::Position,
        column: Option<&str>,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> RowError {
        RowError {
            row: position.row,
            line: position.line,
            column: column.map(str::to_string),
            code,
            message: message.into(),
            value: None,
        }
    }

    /// The same error, naming the offending value as uploaded.
    pub fn with_value(mut self, value: impl Into<String>) -> RowError {
        self.value = Some(value.into());
        self
    }
}

/// Something worth knowing that does not fail the upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Warning {
    /// Its stable code.
    pub code: WarningCode,
    /// A sentence for people.
    pub message: String,
}

impl Warning {
    pub(crate) fn encoding_guessed(encoding: Encoding) -> Warning {
        Warning {
            code: WarningCode::EncodingGuessed,
            message: format!(
                "the file is not UTF-8; it was read as {encoding} (save it as \"CSV UTF-8\" to avoid guessing)"
            ),
        }
    }

    pub(crate) fn unknown_column(name: &str, index: usize) -> Warning {
        Warning {
            code: WarningCode::UnknownColumn,
            message: format!(
                "column {index} \"{name}\" is not part of the schema; it is ignored and kept as uploaded"
            ),
        }
    }

    pub(crate) fn archive_skipped(skipped: &ArchiveSkipped) -> Warning {
        Warning {
            code: WarningCode::ArchiveSkipped,
            message: skipped.message(),
        }
    }

    /// A column named `errors` that is not this tool's error CSV messages.
    pub(crate) fn errors_column_ignored(name: &str, index: usize) -> Warning {
        Warning {
            code: WarningCode::ErrorsColumnIgnored,
            message: format!(
                "column {index} \"{name}\" is not the messages column of an error CSV of this tool (that is the last column, holding messages such as \"email: expected …\"); it is ignored and kept as uploaded"
            ),
        }
    }

    pub(crate) fn unnamed_column(index: usize) -> Warning {
        Warning {
            code: WarningCode::UnnamedColumn,
            message: format!("column {index} has no name; it is ignored and kept as uploaded"),
        }
    }
}

/// A file-level problem, as it appears in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileError {
    /// Its stable code, e.g. `missing_column` (see [`Error::code`]).
    pub code: FileErrorCode,
    /// A sentence for people.
    pub message: String,
}

impl From<&Error> for FileError {
    fn from(err: &Error) -> FileError {
        FileError {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

/// Row counts. `total = valid + invalid`; blank rows are counted apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RowCounts {
    /// Data rows (blank rows excluded).
    pub total: u64,
    /// Rows without errors.
    pub valid: u64,
    /// Rows with at least one error.
    pub invalid: u64,
    /// Blank rows skipped.
    pub blank: u64,
}

/// What a full or delta plan will do; see the `plan` module.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlanCounts {
    /// New users.
    pub create: u64,
    /// Existing users whose values change.
    pub update: u64,
    /// Existing users whose values stay the same.
    pub unchanged: u64,
    /// Existing users missing from a full file.
    pub archive: u64,
}

/// The outcome of validating one upload; serialisable as the JSON report.
///
/// ```
/// use usercsv::{Schema, Validator};
///
/// let validator = Validator::new(&Schema::users()).unwrap();
/// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nbad,Alan,\n";
/// let report = validator.validation().id("u1").validate(csv.as_bytes(), None).unwrap();
/// assert_eq!((report.rows.valid, report.rows.invalid), (1, 1));
/// let codes: Vec<_> = report.errors.iter().map(|e| e.code.as_str()).collect();
/// assert_eq!(codes, ["email", "required"]);
/// assert_eq!(report.notification().subject, "Upload u1: 1 of 2 users has validation errors");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ValidationReport {
    /// The upload id; the error CSV is named `<id>.csv`.
    pub id: String,
    /// Row counts, always exact.
    pub rows: RowCounts,
    /// File-level problems; when not empty, nothing can be imported.
    pub file_errors: Vec<FileError>,
    /// Warnings.
    pub warnings: Vec<Warning>,
    /// Row errors in input order, at most the configured maximum.
    pub errors: Vec<RowError>,
    /// Whether `errors` was cut at the maximum.
    pub errors_truncated: bool,
    /// The encoding the file was read as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// The delimiter the file was read with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// The plan against existing users, when they were given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanCounts>,
    /// A full sync held by the mass-archive guard: the run completed, but
    /// nobody is archived (`plan.archive` is 0) until an operator approves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<ArchiveHeld>,
    /// A full sync that archives nobody because some rows do not say for
    /// certain which user they are (also the warning `archive_skipped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_skipped: Option<ArchiveSkipped>,
}

/// How the admin gets the error CSV, for [`ValidationReport::notification_for`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCsvDelivery {
    /// Attached to the e-mail as [`ValidationReport::error_csv_name`].
    Attached,
    /// Saved at this path (as the command line does).
    SavedAt(String),
}

/// The e-mail an admin receives about an upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

impl ValidationReport {
    /// A report for an upload that failed with a file-level error.
    ///
    /// ```
    /// use usercsv::{Schema, Validator, ValidationReport};
    /// let validator = Validator::new(&Schema::users()).unwrap();
    /// let err = validator.validate_reader(&b""[..], None).unwrap_err();
    /// let report = ValidationReport::from_error("u2", &err);
    /// assert_eq!(report.file_errors[0].code, "empty_file");
    /// assert!(!report.is_valid());
    /// ```
    pub fn from_error(id: impl Into<String>, err: &Error) -> ValidationReport {
        ValidationReport {
            id: id.into(),
            file_errors: vec![FileError::from(err)],
            ..ValidationReport::default()
        }
    }

    /// True when the file could be read, every row is valid and the sync
    /// is not [held](ValidationReport::held).
    pub fn is_valid(&self) -> bool {
        self.file_errors.is_empty() && self.rows.invalid == 0 && self.held.is_none()
    }

    /// The name of the error CSV: `<id>.csv`.
    pub fn error_csv_name(&self) -> String {
        format!("{}.csv", self.id)
    }

    /// The e-mail text for the admin, with the error CSV attached.
    ///
    /// ```
    /// use usercsv::{Schema, Validator};
    /// let validator = Validator::new(&Schema::users()).unwrap();
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
    /// let report = validator.validation().id("u3").validate(csv.as_bytes(), None).unwrap();
    /// let n = report.notification();
    /// assert_eq!(n.subject, "Upload u3: 1 user is valid and will be imported");
    /// ```
    pub fn notification(&self) -> Notification {
        self.notification_for(&ErrorCsvDelivery::Attached)
    }

    /// The notification text for a delivery of the error CSV: attached to
    /// the e-mail, or saved at a path.
    ///
    /// ```
    /// use usercsv::{ErrorCsvDelivery, Schema, Validator};
    /// let validator = Validator::new(&Schema::users()).unwrap();
    /// let csv = "email,firstName,lastName\nbad,Ada,Lovelace\n";
    /// let report = validator.validation().id("u4").validate(csv.as_bytes(), None).unwrap();
    /// let n = report.notification_for(&ErrorCsvDelivery::SavedAt("out/u4.csv".into()));
    /// assert!(n.body.contains("The file out/u4.csv holds only the rows that failed"));
    /// assert!(n.body.contains("1. Open out/u4.csv.\n"));
    /// assert!(!n.body.contains("attached"));
    /// ```
    pub fn notification_for(&self, delivery: &ErrorCsvDelivery) -> Notification {
        let id = &self.id;
        if let Some(first) = self.file_errors.first() {
            // A failure on our side (the error file could not be saved, the
            // run was cancelled) is not a problem in the admin's file.
            if matches!(first.code, FileErrorCode::Write | FileErrorCode::Cancelled) {
                return Notification {
                    subject: format!("Upload {id}: the upload could not be processed"),
                    body: format!(
                        "Your user upload {id} could not be processed on our side, so no users were imported. \
                         Your file is not the cause; nothing in it needs to change.\n\n\
                         Problem: {}\n\n\
                         Upload the same file again later. If you need help, give support the upload id {id}.\n",
                        first.message
                    ),
                };
            }
            return Notification {
                subject: format!("Upload {id}: the file could not be read"),
                body: format!(
                    "Your user upload {id} could not be processed, so no users were imported.\n\n\
                     Problem: {}\n\n\
                     Fix the file and upload it again. If you need help, give support the upload id {id}.\n",
                    first.message
                ),
            };
        }
        if let Some(held) = &self.held {
            return self.held_notification(held, delivery);
        }
        let total = self.rows.total;
        let effect = self.plan.map(plan_sentence).unwrap_or_default();
        if self.rows.invalid == 0 {
            let subject = if total == 1 {
                format!("Upload {id}: 1 user is valid and will be imported")
            } else {
                format!("Upload {id}: {total} users are valid and will be imported")
            };
            let mut body = format!(
                "Your user upload {id} was validated.\n\n{}.\n",
                users_phrase(total, "valid and will be imported")
            );
            if !effect.is_empty() {
                body.push_str(&format!("{effect}\n"));
            }
            body.push_str(&self.blank_and_warnings());
            return Notification { subject, body };
        }
        let invalid = self.rows.invalid;
        let verb = if invalid == 1 { "has" } else { "have" };
        let subject = format!("Upload {id}: {invalid} of {total} users {verb} validation errors");
        let mut body = format!(
            "Your user upload {id} was validated: {invalid} of {total} users {verb} validation errors.\n\n{}",
            self.error_csv_steps(delivery)
        );
        if self.rows.valid > 0 {
            let others = if self.rows.valid == 1 {
                "1 other user passed".to_string()
            } else {
                format!("{} other users passed", self.rows.valid)
            };
            body.push_str(&format!("\n{others} validation.\n"));
        }
        if !effect.is_empty() {
            body.push_str(&format!("{effect}\n"));
        }
        body.push_str(&self.blank_and_warnings());
        body.push_str(&format!(
            "\nIf you need help, give support the upload id {id}.\n"
        ));
        Notification { subject, body }
    }

    /// A full sync held by the mass-archive guard.
    fn held_notification(&self, held: &ArchiveHeld, delivery: &ErrorCsvDelivery) -> Notification {
        let id = &self.id;
        let subject = format!(
            "Upload {id}: sync held: it would archive {} of {} users",
            held.archive, held.existing
        );
        let mut body = format!(
            "Your full sync {id} was validated, but it is held: {}. \
             The file may be truncated or belong to another company.\n\n\
             Nobody was archived. An operator must check the file and approve the archive \
             before this sync is applied.\n",
            held.reason()
        );
        let (total, invalid) = (self.rows.total, self.rows.invalid);
        if invalid > 0 {
            let verb = if invalid == 1 { "has" } else { "have" };
            body.push_str(&format!(
                "\n{invalid} of {total} users {verb} validation errors.\n\n{}",
                self.error_csv_steps(delivery)
            ));
        } else {
            body.push_str(&format!("\n{}.\n", users_phrase(total, "valid")));
        }
        if let Some(mut plan) = self.plan {
            plan.archive = held.archive;
            let effect = plan_sentence(plan);
            let effect = effect.replacen("Effect:", "Effect once approved:", 1);
            body.push_str(&format!("{effect}\n"));
        }
        body.push_str(&self.blank_and_warnings());
        body.push_str(&format!(
            "\nIf you need help, give support the upload id {id}.\n"
        ));
        Notification { subject, body }
    }

    /// What the error CSV holds and what to do with it.
    fn error_csv_steps(&self, delivery: &ErrorCsvDelivery) -> String {
        let (intro, name) = match delivery {
            ErrorCsvDelivery::Attached => ("The attached file", self.error_csv_name()),
            ErrorCsvDelivery::SavedAt(path) => ("The file", path.clone()),
        };
        format!(
            "{intro} {name} holds only the rows that failed, exactly as uploaded, \
             with a last column \"errors\" that says what is wrong in each row.\n\n\
             What to do next:\n\
             1. Open {name}.\n\
             2. Read the \"errors\" column at the end of each row.\n\
             3. Fix the values in the row (the \"errors\" column can stay; it is ignored).\n\
             4. Upload {name} again.\n"
        )
    }
}

impl ValidationReport {
    /// The notification's lines about skipped blank rows and warnings.
    fn blank_and_warnings(&self) -> String {
        let mut text = String::new();
        match self.rows.blank {
            0 => {}
            1 => text.push_str("1 blank row was skipped.\n"),
            n => text.push_str(&format!("{n} blank rows were skipped.\n")),
        }
        for warning in &self.warnings {
            text.push_str(&format!("Note: {}.\n", warning.message));
        }
        text
    }
}

fn users_phrase(n: u64, tail: &str) -> String {
    if n == 1 {
        format!("1 user is {tail}")
    } else {
        format!("{n} users are {tail}")
    }
}

fn plan_sentence(plan: PlanCounts) -> String {
    let mut parts = vec![
        if plan.create == 1 {
            "1 new user".to_string()
        } else {
            format!("{} new users", plan.create)
        },
        format!("{} updated", plan.update),
    ];
    if plan.unchanged > 0 {
        parts.push(format!("{} unchanged", plan.unchanged));
    }
    if plan.archive > 0 {
        parts.push(format!("{} to archive", plan.archive));
    }
    format!("Effect: {}.", parts.join(", "))
}

/// A fresh upload id: unique per call and safe in file names
/// (`upload-YYYYMMDDTHHMMSSZ-<hex>`).
///
/// ```
/// let a = usercsv::generate_id();
/// let b = usercsv::generate_id();
/// assert_ne!(a, b);
/// assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
/// ```
pub fn generate_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = chrono::Utc::now();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = u64::from(now.timestamp_subsec_nanos());
    let mix =
        (u64::from(std::process::id()) << 32) ^ nanos ^ count.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!(
        "upload-{}-{:012x}",
        now.format("%Y%m%dT%H%M%SZ"),
        mix & 0xFFFF_FFFF_FFFF
    )
}

/// A full sync held by the mass-archive guard ([`ArchiveGuard`](crate::ArchiveGuard)): nobody
/// is archived, and an operator must approve the archive (run again with
/// [`ArchiveGuard::allow`](crate::ArchiveGuard::allow)) before the sync is applied.
///
/// The report carries it as [`ValidationReport::held`](crate::ValidationReport::held);
/// the run itself completes, with its row counts and error CSV.
///
/// ```
/// use usercsv::ArchiveGuard;
/// let held = ArchiveGuard::default().check(50, 200, 150).unwrap_err();
/// assert_eq!(held.code(), "mass_archive");
/// assert_eq!(
///     held.to_string(),
///     "this full sync would archive 50 of 200 existing users, more than 10% and more than 10: \
///      the file may be truncated or belong to another company; nobody was archived, and an operator must approve the archive"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ArchiveHeld {
    /// Users the sync would archive.
    pub archive: u64,
    /// Existing users.
    pub existing: u64,
    /// The guard's percentage threshold.
    pub max_percent: f64,
    /// The guard's count threshold.
    pub max_count: u64,
}

impl ArchiveHeld {
    /// The stable code of this outcome: `mass_archive`.
    pub fn code(&self) -> &'static str {
        "mass_archive"
    }

    /// Whether the archive is over both thresholds (else the guard tripped
    /// because the file has no data rows).
    pub(crate) fn over_thresholds(&self) -> bool {
        let percent = self.archive as f64 * 100.0 / self.existing.max(1) as f64;
        percent > self.max_percent && self.archive > self.max_count
    }

    /// Why the guard tripped, as a clause: "it would archive …".
    pub(crate) fn reason(&self) -> String {
        let ArchiveHeld {
            archive,
            existing,
            max_percent,
            max_count,
        } = *self;
        if self.over_thresholds() {
            format!(
                "it would archive {archive} of {existing} existing users, more than {max_percent}% and more than {max_count}"
            )
        } else {
            format!(
                "it would archive {archive} of {existing} existing users, because the file has no user rows"
            )
        }
    }
}

impl std::fmt::Display for ArchiveHeld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reason = self.reason();
        let reason = reason.strip_prefix("it ").unwrap_or(&reason);
        write!(
            f,
            "this full sync {reason}: the file may be truncated or belong to another company; nobody was archived, and an operator must approve the archive"
        )
    }
}

impl std::error::Error for ArchiveHeld {}

/// Why a full sync archives nobody although existing users are missing from
/// the file: some rows do not say with certainty which user they are.
///
/// A row is untrusted when it has a different number of fields than the
/// header (its cells may be shifted, so its key cell may hold another
/// value), or when its key cell is empty or fails the key column's rules
/// (a mistyped key would archive the user it was meant to be). Such a row
/// might be any existing user, so archiving anyone could archive a user
/// whose row is in the file. Creates and updates of valid rows still
/// proceed. Fix the rows (they are in the error CSV) and sync again.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ArchiveSkipped {
    /// Untrusted rows.
    pub rows: u64,
    /// The first untrusted row (spreadsheet row: the header is row 1).
    pub first_row: u64,
    /// Existing users missing from the file, who were not archived.
    pub missing: u64,
    /// The file is an error CSV of this tool (it holds only the rows that
    /// failed before), so the users missing from it are no sign that they
    /// left; `rows` and `first_row` are 0 then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub error_csv: bool,
}

impl ArchiveSkipped {
    /// The stable code of its warning: `archive_skipped`.
    pub const CODE: WarningCode = WarningCode::ArchiveSkipped;

    /// A sentence for people, also the warning's message.
    pub fn message(&self) -> String {
        let ArchiveSkipped {
            rows,
            first_row,
            missing,
            error_csv,
        } = *self;
        if error_csv {
            let users = if missing == 1 {
                "1 existing user is missing from it but was".to_string()
            } else {
                format!("{missing} existing users are missing from it but were")
            };
            return format!(
                "nobody was archived: the file is an error CSV, which holds only the rows that failed before; {users} not archived (a full sync needs the whole file: fix the rows there and sync it again)"
            );
        }
        let (rows, verb) = if rows == 1 {
            (format!("1 row (row {first_row})"), "does")
        } else {
            (format!("{rows} rows (the first is row {first_row})"), "do")
        };
        let missing = if missing == 1 {
            "1 existing user is missing from the file but was".to_string()
        } else {
            format!("{missing} existing users are missing from the file but were")
        };
        format!(
            "nobody was archived: {rows} {verb} not say for certain which user {}, because of a wrong number of fields, an empty or invalid key, or a key that is an existing user's written another way; {missing} not archived (fix those rows and sync again)",
            if verb == "does" { "it is" } else { "they are" }
        )
    }
}
