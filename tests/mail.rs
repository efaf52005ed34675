//! The admin's e-mail: built with lettre, parsed back with mail-parser.
#![cfg(feature = "mail")]

use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use mail_parser::{MessageParser, MimeHeaders};
use usercsv::mail::{MailConfig, MailError, build_eml, build_message_at, message_bytes};
use usercsv::{Schema, ValidationReport, Validator, ValidatorBuilder};

fn validator() -> Validator {
    ValidatorBuilder::new()
        .today(NaiveDate::from_ymd_opt(2025, 6, 15).unwrap())
        .build(&Schema::users())
        .unwrap()
}

fn validate(id: &str, csv: &str) -> (ValidationReport, Vec<u8>) {
    let mut error_csv = Vec::new();
    let report = validator()
        .validation()
        .id(id)
        .validate(csv.as_bytes(), Some(&mut error_csv))
        .unwrap();
    (report, error_csv)
}

fn config() -> MailConfig {
    MailConfig::new(
        "User import <noreply@backoffice.example>",
        ["HR admins <hr-admins@example.com>", "it@example.com"],
    )
    .unwrap()
}

const MIXED: &str = "\
email,firstName,lastName,businessMobilePhone,birthDate
ada@example.com,Ada,Lovelace,+31 6 12345678,1990-12-10
alan@example,Alan,Turing,+31 20 123 4567,1912-06-23
grace@example.com,Grace,,=HYPERLINK(\"x\"),1906-13-09
zoë@example.com,Zoë,Ångström,,
";

#[test]
fn failed_rows_message_round_trips() {
    let (report, error_csv) = validate("upload-2025-0042", MIXED);
    assert_eq!((report.rows.valid, report.rows.invalid), (2, 2));
    assert!(error_csv.starts_with(b"\xEF\xBB\xBF"));
    let date = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
    let message = build_message_at(&report, Some(&error_csv), &config(), date).unwrap();
    let bytes = message_bytes(&message);

    let parsed = MessageParser::default().parse(&bytes[..]).expect("parses");
    let from = parsed.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("User import"));
    assert_eq!(from.address(), Some("noreply@backoffice.example"));
    let to: Vec<&str> = parsed
        .to()
        .unwrap()
        .iter()
        .map(|a| a.address().unwrap())
        .collect();
    assert_eq!(to, ["hr-admins@example.com", "it@example.com"]);
    assert_eq!(
        parsed.subject(),
        Some("Upload upload-2025-0042: 2 of 4 users have validation errors")
    );
    assert_eq!(parsed.date().unwrap().to_timestamp(), 1_750_000_000);
    let message_id = parsed.message_id().unwrap();
    assert!(
        message_id.starts_with("upload-2025-0042.") && message_id.ends_with("@backoffice.example"),
        "{message_id}"
    );

    // Plain text is the notification body, with the id, counts and steps.
    let text = parsed.body_text(0).unwrap();
    let notification = report.notification();
    assert_eq!(text.replace("\r\n", "\n"), notification.body);
    for needle in [
        "upload-2025-0042",
        "2 of 4 users",
        "Open upload-2025-0042.csv",
        "\"errors\" column",
        "Upload upload-2025-0042.csv again",
    ] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
    // And an HTML alternative with the same steps as a list.
    let html = parsed.body_html(0).unwrap().replace("\r\n", "\n");
    assert!(
        html.contains("<ol>\n<li>Open upload-2025-0042.csv.</li>"),
        "{html}"
    );

    // Exactly one attachment: the error CSV, byte for byte.
    assert_eq!(parsed.attachment_count(), 1);
    let attachment = parsed.attachment(0).unwrap();
    assert_eq!(attachment.attachment_name(), Some("upload-2025-0042.csv"));
    let content_type = attachment.content_type().unwrap();
    assert_eq!(content_type.ctype(), "text");
    assert_eq!(content_type.subtype(), Some("csv"));
    assert_eq!(content_type.attribute("charset"), Some("utf-8"));
    let raw = raw_attachment_bytes(&bytes, "upload-2025-0042.csv");
    assert_eq!(raw, error_csv, "the attachment's decoded bytes");
    // mail-parser's decoded text equals the CSV without its byte-order mark.
    assert_eq!(
        attachment
            .text_contents()
            .unwrap()
            .trim_start_matches('\u{feff}'),
        std::str::from_utf8(&error_csv[3..]).unwrap()
    );
    // The error CSV holds the failed rows (formula-guarded) plus `errors`.
    let csv_text = String::from_utf8(raw).unwrap();
    assert!(csv_text.contains("alan@example,Alan,Turing,'+31 20 123 4567,1912-06-23,"));
    assert!(csv_text.contains("grace@example.com,Grace,,\"'=HYPERLINK(\"\"x\"\")\",1906-13-09,"));
}

/// The attachment part's body, base64-decoded by hand, so the comparison
/// does not depend on how a parser treats a text part's byte-order mark.
fn raw_attachment_bytes(eml: &[u8], filename: &str) -> Vec<u8> {
    let parsed = MessageParser::default().parse(eml).unwrap();
    let part = parsed
        .attachments()
        .find(|p| p.attachment_name() == Some(filename))
        .unwrap();
    let raw = &eml[part.raw_body_offset() as usize..part.raw_end_offset() as usize];
    let encoding = part
        .headers()
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case("Content-Transfer-Encoding"))
        .and_then(|h| h.value().as_text().map(str::to_string))
        .unwrap();
    assert_eq!(encoding.to_ascii_lowercase(), "base64");
    base64_decode(raw)
}

fn base64_decode(text: &[u8]) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for &c in text {
        if c == b'=' {
            break;
        }
        let Some(v) = value(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn all_valid_message_has_no_attachment() {
    let csv =
        "email,firstName,lastName\nada@example.com,Ada,Lovelace\n\nalan@example.com,Alan,Turing\n";
    let (report, error_csv) = validate("upload-ok", csv);
    assert!(report.is_valid());
    assert!(error_csv.is_empty());
    let bytes = build_eml(&report, None, &config()).unwrap();
    let parsed = MessageParser::default().parse(&bytes[..]).unwrap();
    assert_eq!(
        parsed.subject(),
        Some("Upload upload-ok: 2 users are valid and will be imported")
    );
    assert_eq!(parsed.attachment_count(), 0);
    let text = parsed.body_text(0).unwrap();
    assert!(
        text.contains("2 users are valid and will be imported"),
        "{text}"
    );
    assert!(text.contains("1 blank row"), "{text}");
    assert!(parsed.body_html(0).is_some());
    assert!(parsed.date().is_some());
    assert!(parsed.message_id().unwrap().starts_with("upload-ok."));
}

#[test]
fn plain_text_only_when_html_is_off() {
    let (report, error_csv) = validate("upload-txt", MIXED);
    let mut config = MailConfig::new("noreply@example.com", ["admins@example.com"]).unwrap();
    config.html = false;
    config.reply_to = Some("Support <support@example.com>".parse().unwrap());
    let bytes = build_eml(&report, Some(&error_csv), &config).unwrap();
    let parsed = MessageParser::default().parse(&bytes[..]).unwrap();
    assert_eq!(parsed.attachment_count(), 1);
    assert!(parsed.body_html(0).is_none_or(|h| !h.contains("<ol>")));
    assert_eq!(
        parsed.reply_to().unwrap().first().unwrap().address(),
        Some("support@example.com")
    );
    assert_eq!(raw_attachment_bytes(&bytes, "upload-txt.csv"), error_csv);
    // Without HTML the message is multipart/mixed: text, then the CSV.
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("Content-Type: multipart/mixed"), "{text}");
    assert!(!text.contains("multipart/alternative"), "{text}");
}

#[test]
fn file_error_message() {
    let err = validator()
        .validate_reader("firstName,lastName\nAda,Lovelace\n".as_bytes(), None)
        .unwrap_err();
    let report = ValidationReport::from_error("upload-bad", &err);
    let bytes = build_eml(&report, None, &config()).unwrap();
    let parsed = MessageParser::default().parse(&bytes[..]).unwrap();
    assert_eq!(
        parsed.subject(),
        Some("Upload upload-bad: the file could not be read")
    );
    assert_eq!(parsed.attachment_count(), 0);
    assert!(
        parsed
            .body_text(0)
            .unwrap()
            .contains("the header has no column \"email\" (required)")
    );
}

#[test]
fn errors() {
    let (report, _) = validate("upload-x", MIXED);
    assert!(matches!(
        build_eml(&report, None, &config()),
        Err(MailError::MissingErrorCsv { id }) if id == "upload-x"
    ));
    assert!(matches!(
        build_eml(&report, Some(b""), &config()),
        Err(MailError::MissingErrorCsv { .. })
    ));
    let err = MailConfig::new("noreply@example.com", ["admins at example.com"]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid e-mail address \"admins at example.com\""),
        "{err}"
    );
    let mut no_one = config();
    no_one.to.clear();
    assert!(matches!(
        build_eml(&report, None, &no_one),
        Err(MailError::NoRecipient)
    ));
}

#[test]
fn message_ids_are_unique() {
    let (report, _) = validate(
        "upload-same",
        "email,firstName,lastName\na@example.com,A,B\n",
    );
    let a = build_eml(&report, None, &config()).unwrap();
    let b = build_eml(&report, None, &config()).unwrap();
    let id = |bytes: &[u8]| {
        MessageParser::default()
            .parse(bytes)
            .unwrap()
            .message_id()
            .unwrap()
            .to_string()
    };
    assert_ne!(id(&a), id(&b));
}
