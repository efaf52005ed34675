//! A failure writing the error CSV is a `write` error, not a read error.

use std::io::{self, Write};

use usercsv::{ErrorCsvWriter, ErrorKind, Schema, ValidationReport, Validator};

/// A writer whose disk is full after `room` bytes.
struct Full {
    room: usize,
}

impl Write for Full {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::Error::from_raw_os_error(28));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const MIXED: &str =
    "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example,Alan,Turing\n";

#[test]
fn a_full_disk_under_the_error_csv_is_a_write_error() {
    let validator = Validator::new(&Schema::users()).unwrap();
    for room in [0, 10, 40] {
        let err = validator
            .validation()
            .validate(MIXED.as_bytes(), Some(&mut Full { room }))
            .unwrap_err();
        assert_eq!(err.code(), "write", "room {room}");
        assert!(matches!(err.kind(), ErrorKind::Write(e) if e.raw_os_error() == Some(28)));
        assert_eq!(
            err.to_string(),
            format!(
                "could not write the error CSV: {}",
                io::Error::from_raw_os_error(28)
            )
        );
    }
    // Nothing to write, nothing fails.
    let report = validator
        .validation()
        .validate(
            "email,firstName,lastName\nada@example.com,Ada,Lovelace\n".as_bytes(),
            Some(&mut Full { room: 0 }),
        )
        .unwrap();
    assert_eq!(report.rows.valid, 1);
}

#[test]
fn the_error_csv_writer_reports_write_errors() {
    let header = csv::StringRecord::from(vec!["email"]);
    let err = ErrorCsvWriter::new(Full { room: 0 }, &header, b',').unwrap_err();
    assert_eq!(err.code(), "write");
    let mut writer = ErrorCsvWriter::new(Full { room: 3 }, &header, b',').unwrap();
    let err = writer
        .write_row(&csv::StringRecord::from(vec!["x"]), &[])
        .and_then(|()| writer.finish().map(drop))
        .unwrap_err();
    assert_eq!(err.code(), "write");
}

/// A failure to save the error CSV is ours, not the admin's file's.
#[test]
fn a_write_failure_is_not_blamed_on_the_file() {
    let validator = Validator::new(&Schema::users()).unwrap();
    let err = validator
        .validation()
        .id("w")
        .validate(MIXED.as_bytes(), Some(&mut Full { room: 0 }))
        .unwrap_err();
    let n = ValidationReport::from_error("w", &err).notification();
    assert_eq!(n.subject, "Upload w: the upload could not be processed");
    assert!(
        n.body.starts_with("Your user upload w could not be processed on our side, so no users were imported. Your file is not the cause; nothing in it needs to change.\n\nProblem: could not write the error CSV: "),
        "{}",
        n.body
    );
}
