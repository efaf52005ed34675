//! The admin's e-mail as a complete MIME message (feature `mail`).
//!
//! [`build_message`] turns a [`ValidationReport`] and its error CSV into a
//! [`lettre::Message`]: `From`, one or more `To`, `Subject`, `Date`,
//! `Message-ID`, the [`Notification`](crate::Notification) text as a plain
//! body with an HTML alternative, and, when rows failed, the error CSV
//! attached as `<id>.csv` (`text/csv; charset=utf-8`, base64, so its bytes
//! arrive unchanged). [`message_bytes`] gives the RFC 5322 bytes to write as
//! an `.eml` file or hand to any SMTP client; lettre's transports send the
//! [`lettre::Message`] directly.
//!
//! ```
//! use usercsv::mail::{MailConfig, build_message, message_bytes};
//! use usercsv::{Schema, Validator};
//!
//! let validator = Validator::new(&Schema::users())?;
//! let upload = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example,Alan,Turing\n";
//! let mut error_csv = Vec::new();
//! let report = validator.validation().id("upload-42").validate(upload.as_bytes(), Some(&mut error_csv))?;
//!
//! let config = MailConfig::new("User import <noreply@example.com>", ["hr-admins@example.com"])?;
//! let message = build_message(&report, Some(&error_csv), &config)?;
//! let eml = String::from_utf8(message_bytes(&message)).unwrap();
//! assert!(eml.contains("Subject: Upload upload-42: 1 of 2 users has validation errors\r\n"));
//! assert!(eml.contains("To: hr-admins@example.com\r\n"));
//! assert!(eml.contains("Content-Disposition: attachment; filename=\"upload-42.csv\"\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

pub use lettre;
use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};

use crate::html::{Page, escape as escape_html};
use crate::report::ValidationReport;

/// Who the e-mail is from and to.
///
/// `to` usually names one shared mailbox (the back office's admins), but
/// any number of recipients is accepted.
///
/// ```
/// use usercsv::mail::MailConfig;
///
/// let mut config = MailConfig::new("User import <noreply@example.com>", ["hr@example.com"])?;
/// config.reply_to = Some("Support <support@example.com>".parse()?);
/// config.html = false;
/// assert_eq!(config.from.name.as_deref(), Some("User import"));
/// assert_eq!(config.to[0].email.to_string(), "hr@example.com");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailConfig {
    /// The sender, e.g. `User import <noreply@example.com>`.
    pub from: Mailbox,
    /// The recipients; at least one.
    pub to: Vec<Mailbox>,
    /// An optional `Reply-To` (e.g. the support desk).
    pub reply_to: Option<Mailbox>,
    /// Add an HTML alternative to the plain-text body (default true).
    pub html: bool,
}

impl MailConfig {
    /// Parses the sender and recipients (`name@example.com` or
    /// `Name <name@example.com>`).
    ///
    /// ```
    /// use usercsv::mail::{MailConfig, MailError};
    /// let config = MailConfig::new("noreply@example.com", ["a@example.com", "B <b@example.com>"]).unwrap();
    /// assert_eq!(config.to.len(), 2);
    /// assert!(matches!(MailConfig::new("noreply@example.com", Vec::<&str>::new()), Err(MailError::NoRecipient)));
    /// assert!(matches!(MailConfig::new("not an address", ["a@example.com"]), Err(MailError::Address { .. })));
    /// ```
    pub fn new<I, S>(from: &str, to: I) -> Result<MailConfig, MailError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let from = parse_mailbox(from)?;
        let to = to
            .into_iter()
            .map(|s| parse_mailbox(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err(MailError::NoRecipient);
        }
        Ok(MailConfig {
            from,
            to,
            reply_to: None,
            html: true,
        })
    }
}

fn parse_mailbox(text: &str) -> Result<Mailbox, MailError> {
    text.trim().parse().map_err(|err| MailError::Address {
        address: text.to_string(),
        message: format!("{err}"),
    })
}

/// Why a message could not be built.
///
/// ```
/// use usercsv::mail::{MailConfig, MailError};
///
/// let err = MailConfig::new("noreply@example.com", Vec::<&str>::new()).unwrap_err();
/// assert!(matches!(err, MailError::NoRecipient));
/// assert_eq!(err.to_string(), "the e-mail needs at least one recipient");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// A sender or recipient is not a valid address.
    #[error("invalid e-mail address \"{address}\": {message}")]
    Address {
        /// The text as given.
        address: String,
        /// What is wrong with it.
        message: String,
    },
    /// No recipient was given.
    #[error("the e-mail needs at least one recipient")]
    NoRecipient,
    /// Rows failed but no error CSV was given to attach.
    #[error("upload {id} has failed rows, but no error CSV was given to attach")]
    MissingErrorCsv {
        /// The upload id.
        id: String,
    },
    /// lettre refused the message.
    #[error("could not build the e-mail: {0}")]
    Build(#[from] lettre::error::Error),
}

/// Whether the admin's e-mail carries the error CSV: the file was read and
/// some rows failed.
///
/// ```
/// use usercsv::{Schema, Validator, mail::needs_attachment};
///
/// let validator = Validator::new(&Schema::users())?;
/// let good = validator.validate_reader("email,firstName,lastName\nada@example.com,Ada,Lovelace\n".as_bytes(), None)?;
/// let bad = validator.validate_reader("email,firstName,lastName\nalan@example,Alan,Turing\n".as_bytes(), None)?;
/// assert!(!needs_attachment(&good));
/// assert!(needs_attachment(&bad));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn needs_attachment(report: &ValidationReport) -> bool {
    report.file_errors.is_empty() && report.rows.invalid > 0
}

/// Builds the admin's e-mail for a report.
///
/// When rows failed ([`needs_attachment`]), `error_csv` must hold the error
/// CSV written by the run; it is attached as
/// [`ValidationReport::error_csv_name`] byte for byte. Otherwise it is
/// ignored. `Date` is now; `Message-ID` is unique per call and contains the
/// upload id and the sender's domain.
///
/// ```
/// use usercsv::mail::{MailConfig, MailError, build_message};
/// use usercsv::{Schema, Validator};
///
/// let validator = Validator::new(&Schema::users())?;
/// let csv = "email,firstName,lastName\nalan@example,Alan,Turing\n";
/// let report = validator.validation().id("u-2").validate(csv.as_bytes(), None)?;
/// let config = MailConfig::new("noreply@example.com", ["hr@example.com"])?;
/// // Rows failed, so the error CSV is required.
/// let err = build_message(&report, None, &config).unwrap_err();
/// assert!(matches!(err, MailError::MissingErrorCsv { ref id } if id == "u-2"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_message(
    report: &ValidationReport,
    error_csv: Option<&[u8]>,
    config: &MailConfig,
) -> Result<Message, MailError> {
    build_message_at(report, error_csv, config, SystemTime::now())
}

/// [`build_message`] with a fixed `Date`, for reproducible output.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use usercsv::mail::{MailConfig, build_message_at, message_bytes};
/// use usercsv::{Schema, Validator};
///
/// let validator = Validator::new(&Schema::users())?;
/// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
/// let report = validator.validation().id("u-1").validate(csv.as_bytes(), None)?;
/// let mut config = MailConfig::new("noreply@example.com", ["hr@example.com"])?;
/// config.html = false;
/// let date = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
/// let eml = String::from_utf8(message_bytes(&build_message_at(&report, None, &config, date)?))?;
/// assert!(eml.contains("Subject: Upload u-1: 1 user is valid and will be imported\r\nDate: Sun, 15 Jun 2025 15:06:40 +0000\r\n"));
/// assert!(eml.contains("Content-Type: text/plain; charset=utf-8\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_message_at(
    report: &ValidationReport,
    error_csv: Option<&[u8]>,
    config: &MailConfig,
    date: SystemTime,
) -> Result<Message, MailError> {
    if config.to.is_empty() {
        return Err(MailError::NoRecipient);
    }
    let attachment = if needs_attachment(report) {
        match error_csv {
            Some(bytes) if !bytes.is_empty() => Some(bytes),
            _ => {
                return Err(MailError::MissingErrorCsv {
                    id: report.id.clone(),
                });
            }
        }
    } else {
        None
    };
    let notification = report.notification();
    let mut builder = Message::builder()
        .from(config.from.clone())
        .subject(notification.subject.clone())
        .date(date)
        .message_id(Some(message_id(&report.id, &config.from)));
    for to in &config.to {
        builder = builder.to(to.clone());
    }
    if let Some(reply_to) = &config.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    let text = SinglePart::builder()
        .content_type(ContentType::TEXT_PLAIN)
        .body(notification.body.clone());
    let html = SinglePart::builder()
        .content_type(ContentType::TEXT_HTML)
        .body(body_html(&notification.subject, &notification.body));
    let message = match (attachment, config.html) {
        (None, false) => builder.singlepart(text)?,
        (None, true) => {
            builder.multipart(MultiPart::alternative().singlepart(text).singlepart(html))?
        }
        (Some(bytes), html_wanted) => {
            let content = if html_wanted {
                MultiPart::mixed()
                    .multipart(MultiPart::alternative().singlepart(text).singlepart(html))
            } else {
                MultiPart::mixed().singlepart(text)
            };
            builder
                .multipart(content.singlepart(csv_attachment(&report.error_csv_name(), bytes)))?
        }
    };
    Ok(message)
}

/// The error CSV as an attachment part: `text/csv; charset=utf-8`, base64
/// (so line ends and the byte-order mark arrive unchanged).
///
/// ```
/// let part = usercsv::mail::csv_attachment("u-2.csv", b"\xEF\xBB\xBFemail,errors\r\n");
/// let text = String::from_utf8(part.formatted())?;
/// assert_eq!(
///     text,
///     "Content-Disposition: attachment; filename=\"u-2.csv\"\r\n\
///      Content-Type: text/csv; charset=utf-8\r\n\
///      Content-Transfer-Encoding: base64\r\n\r\n\
///      77u/ZW1haWwsZXJyb3JzDQo=\r\n",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn csv_attachment(filename: &str, bytes: &[u8]) -> SinglePart {
    // base64 accepts any bytes, so `new_with_encoding` cannot refuse them.
    let body = Body::new_with_encoding(bytes.to_vec(), ContentTransferEncoding::Base64)
        .unwrap_or_else(Body::new);
    let content_type =
        ContentType::parse("text/csv; charset=utf-8").unwrap_or(ContentType::TEXT_PLAIN);
    Attachment::new(filename.to_string()).body(body, content_type)
}

/// The message as RFC 5322 bytes (CRLF line ends), e.g. for an `.eml`
/// file.
///
/// ```
/// use usercsv::mail::{MailConfig, build_message, message_bytes};
/// use usercsv::{Schema, Validator};
///
/// let validator = Validator::new(&Schema::users())?;
/// let report = validator.validate_reader("email,firstName,lastName\nada@example.com,Ada,Lovelace\n".as_bytes(), None)?;
/// let config = MailConfig::new("noreply@example.com", ["hr@example.com"])?;
/// let bytes = message_bytes(&build_message(&report, None, &config)?);
/// assert!(bytes.starts_with(b"From: noreply@example.com\r\n"));
/// assert!(!bytes.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn message_bytes(message: &Message) -> Vec<u8> {
    message.formatted()
}

/// Builds the message and returns its bytes; see [`build_message`].
///
/// ```
/// use usercsv::mail::{MailConfig, build_eml};
/// use usercsv::{Schema, Validator};
///
/// let validator = Validator::new(&Schema::users())?;
/// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
/// let report = validator.validation().id("u-1").validate(csv.as_bytes(), None)?;
/// let config = MailConfig::new("noreply@example.com", ["hr@example.com"])?;
/// let eml = String::from_utf8(build_eml(&report, None, &config)?)?;
/// assert!(eml.contains("\r\nTo: hr@example.com\r\n"));
/// assert!(eml.contains("Content-Type: multipart/alternative;"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_eml(
    report: &ValidationReport,
    error_csv: Option<&[u8]>,
    config: &MailConfig,
) -> Result<Vec<u8>, MailError> {
    build_message(report, error_csv, config).map(|m| m.formatted())
}

fn message_id(id: &str, from: &Mailbox) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let local: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "<{local}.{nanos:x}.{count:x}.{:x}@{}>",
        std::process::id(),
        from.email.domain()
    )
}

/// A simple HTML rendering of the plain-text body: paragraphs, and the
/// numbered steps as a list.
fn body_html(subject: &str, body: &str) -> String {
    let mut html = String::new();
    for paragraph in body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<&str> = paragraph.lines().collect();
        let steps: Vec<&str> = lines
            .iter()
            .skip(1)
            .filter_map(|l| numbered_step(l))
            .collect();
        if lines.len() > 1 && steps.len() == lines.len() - 1 {
            html.push_str(&format!("<p>{}</p>\n<ol>\n", escape_html(lines[0])));
            for step in steps {
                html.push_str(&format!("<li>{}</li>\n", escape_html(step)));
            }
            html.push_str("</ol>\n");
        } else {
            let text: Vec<String> = lines.iter().map(|l| escape_html(l)).collect();
            html.push_str(&format!("<p>{}</p>\n", text.join("<br>\n")));
        }
    }
    Page::new(subject).render(&html)
}

fn numbered_step(line: &str) -> Option<&str> {
    let (number, rest) = line.split_once(". ")?;
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_lists_steps() {
        let html = body_html(
            "S",
            "Intro.\n\nWhat to do next:\n1. Open a.csv.\n2. Fix <it>.\n",
        );
        assert!(html.contains("<p>Intro.</p>"), "{html}");
        assert!(
            html.contains("<p>What to do next:</p>\n<ol>\n<li>Open a.csv.</li>\n<li>Fix &lt;it&gt;.</li>\n</ol>"),
            "{html}"
        );
    }
}
