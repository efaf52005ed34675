//! Messy and hostile input: encodings, dialects, line endings, trimming,
//! limits, spreadsheet mangling and CSV injection.

mod common;

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

use common::{
    codes, fixture, read, read_with, run, try_run, users, utf16be, utf16le, windows1252, write_csv,
};
use proptest::prelude::*;
use usercsv::{
    Column, Encoding, ErrorKind, LengthRule, Limit, Limits, PhoneRule, ReaderBuilder, Schema,
};

fn s(v: &str) -> String {
    v.to_string()
}

// ---------------------------------------------------------------------------
// Encodings
// ---------------------------------------------------------------------------

const ACCENTS: &str = "email,firstName,lastName\n\
                       jurgen@example.com,Jürgen,Müller\n\
                       francoise@example,Françoise,Dupont\n\
                       jose@example.com,José,Núñez\n";

/// The error CSV of [`ACCENTS`], whatever the input encoding.
const ACCENTS_ERRORS: &str = "\u{feff}email,firstName,lastName,errors\n\
     francoise@example,Françoise,Dupont,\"email: expected an e-mail address like name@example.com, found \"\"francoise@example\"\" (the domain needs a top-level domain such as .com)\"\n";

#[test]
fn every_encoding_reads_the_same_and_writes_utf8_with_bom() {
    let cases: Vec<(&str, Vec<u8>, Encoding, bool)> = vec![
        ("utf-8", ACCENTS.as_bytes().to_vec(), Encoding::Utf8, false),
        (
            "utf-8 bom",
            [&b"\xEF\xBB\xBF"[..], ACCENTS.as_bytes()].concat(),
            Encoding::Utf8,
            false,
        ),
        ("utf-16le", utf16le(ACCENTS), Encoding::Utf16Le, false),
        ("utf-16be", utf16be(ACCENTS), Encoding::Utf16Be, false),
        (
            "windows-1252",
            windows1252(ACCENTS),
            Encoding::Windows1252,
            true,
        ),
    ];
    let v = users();
    for (name, bytes, encoding, guessed) in cases {
        let (report, error_csv) = run(&v, &bytes);
        assert_eq!(report.encoding, Some(encoding), "{name}");
        assert_eq!(codes(&report), vec![(3, s("email"), "email")], "{name}");
        assert_eq!(report.rows.valid, 2, "{name}");
        let warnings: Vec<&str> = report.warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(
            warnings,
            if guessed {
                vec!["encoding_guessed"]
            } else {
                vec![]
            },
            "{name}"
        );
        assert_eq!(
            String::from_utf8(error_csv.clone()).unwrap(),
            ACCENTS_ERRORS,
            "{name}"
        );
        // The error CSV reads back identically, as UTF-8 without guessing.
        let (header, rows) = read(&error_csv).unwrap();
        assert_eq!(header, ["email", "firstName", "lastName"]);
        assert_eq!(rows, [["francoise@example", "Françoise", "Dupont"]]);
        let (again, _) = run(&v, &error_csv);
        assert_eq!(again.encoding, Some(Encoding::Utf8));
        assert!(again.warnings.is_empty());
        assert_eq!(codes(&again), vec![(2, s("email"), "email")]);
    }
}

#[test]
fn windows_1252_fixture_is_guessed_with_a_warning() {
    let (report, error_csv) = run(&users(), &fixture("messy/windows1252.csv"));
    assert_eq!(report.encoding, Some(Encoding::Windows1252));
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.warnings[0].code, "encoding_guessed");
    assert_eq!(
        report.warnings[0].message,
        "the file is not UTF-8; it was read as windows-1252 (save it as \"CSV UTF-8\" to avoid guessing)"
    );
    assert_eq!(
        common::error_csv_text(&error_csv),
        // The input's CRLF is kept.
        "email,firstName,lastName,errors\r\n\
         francoise@example,Françoise,Dupont,\"email: expected an e-mail address like name@example.com, found \"\"francoise@example\"\" (the domain needs a top-level domain such as .com)\"\r\n"
    );
    let bytes = fixture("messy/windows1252.csv");
    let mut rdr = ReaderBuilder::new().from_reader(&bytes[..]).unwrap();
    let row = rdr.rows().next().unwrap().unwrap();
    assert_eq!(
        row.fields().collect::<Vec<_>>(),
        ["muller@example.com", "Jürgen", "Müller"]
    );
}

#[test]
fn forced_encodings() {
    let bytes = fixture("messy/windows1252.csv");
    // Forcing Windows-1252: the same text, no warning.
    let (report, _) = common::try_run_with(&users(), &bytes, |b| {
        b.encoding(Some(Encoding::Windows1252));
    })
    .unwrap();
    assert_eq!(report.encoding, Some(Encoding::Windows1252));
    assert!(report.warnings.is_empty());
    assert_eq!(report.rows.total, 2);

    // Forcing UTF-8 on Windows-1252 bytes: a file-level error naming the row.
    let err = common::try_run_with(&users(), &bytes, |b| {
        b.encoding(Some(Encoding::Utf8));
    })
    .unwrap_err();
    assert_eq!(err.code(), "encoding");
    assert_eq!(
        err.to_string(),
        "the file is not valid utf-8 at row 2 (line 2, byte 26): save it as \"CSV UTF-8\" (or choose its encoding explicitly)"
    );

    // UTF-16 without a byte-order mark can be forced (it is also detected).
    let no_bom = utf16le(ACCENTS)[2..].to_vec();
    let (report, _) = common::try_run_with(&users(), &no_bom, |b| {
        b.encoding(Some(Encoding::Utf16Le));
    })
    .unwrap();
    assert_eq!((report.rows.valid, report.rows.invalid), (2, 1));
    let mut b = ReaderBuilder::new();
    b.encoding(Some(Encoding::Utf16Be));
    let (_, rows) = read_with(&b, &utf16be(ACCENTS)).unwrap();
    assert_eq!(rows[0], ["jurgen@example.com", "Jürgen", "Müller"]);
}

#[test]
fn malformed_utf16_is_a_file_error_not_a_replacement_character() {
    let mut input =
        utf16le("email,firstName,lastName\na@example.com,Ada,Lovelace\nb@example.com,Bob,");
    input.extend_from_slice(&0xD800u16.to_le_bytes()); // lone high surrogate
    input.extend_from_slice(&utf16le("x\n")[2..]);
    let err = try_run(&users(), &input).unwrap_err();
    assert_eq!(err.code(), "encoding");
    assert_eq!(
        err.to_string(),
        "the file is not valid utf-16le at row 3 (line 3, byte 52): save it as \"CSV UTF-8\" (or choose its encoding explicitly)"
    );
    // An odd number of bytes (a truncated upload) too.
    let mut odd = utf16be("email,firstName,lastName\na@example.com,Ada,Lovelace\n");
    odd.push(0);
    assert_eq!(try_run(&users(), &odd).unwrap_err().code(), "encoding");
}

// ---------------------------------------------------------------------------
// Dialects and line endings
// ---------------------------------------------------------------------------

#[test]
fn delimiters_are_detected() {
    for (d, name) in [(b',', ","), (b';', ";"), (b'\t', "TAB"), (b'|', "|")] {
        let records = vec![
            vec!["email", "firstName", "lastName", "department"],
            vec![
                "a@example.com",
                "Ada",
                "Lovelace",
                "R&D, Europe; Asia|Pacific\tx",
            ],
        ];
        let input = write_csv(&records, d);
        let (report, _) = run(&users(), input.as_bytes());
        assert!(report.is_valid(), "{name}");
        assert_eq!(report.delimiter.as_deref(), Some(name));
        let (_, rows) = read(input.as_bytes()).unwrap();
        assert_eq!(rows, [records[1].clone()], "{name}");
    }
    let (report, _) = run(&users(), &fixture("messy/excel_semicolon.csv"));
    assert_eq!(report.delimiter.as_deref(), Some(";"));
    assert_eq!(
        codes(&report),
        vec![
            (2, s("businessMobilePhone"), "phone"),
            (3, s("businessMobilePhone"), "phone")
        ]
    );
}

#[test]
fn forced_delimiter_and_wrong_delimiter() {
    // A header that sniffs as ',' read with a forced ';'.
    let input = b"email;firstName;lastName;note\na@example.com;Ada;Lovelace;x,y,z\n";
    let mut b = ReaderBuilder::new();
    b.delimiter(Some(b';'));
    let (header, rows) = read_with(&b, b"a;b,c,d\n1;2,3,4\n").unwrap();
    assert_eq!(
        (header, rows),
        (vec![s("a"), s("b,c,d")], vec![vec![s("1"), s("2,3,4")]])
    );
    let (report, _) = common::try_run_with(&users(), input, |b| {
        b.delimiter(Some(b';'));
    })
    .unwrap();
    assert!(report.is_valid());

    for (forced, expected) in [
        (
            b',',
            "the header reads as a single column with delimiter ',', but it contains ';': the file probably uses ';' as its delimiter",
        ),
        (
            b'|',
            "the header reads as a single column with delimiter '|', but it contains ';': the file probably uses ';' as its delimiter",
        ),
    ] {
        let err = common::try_run_with(&users(), input, |b| {
            b.delimiter(Some(forced));
        })
        .unwrap_err();
        assert_eq!(err.code(), "wrong_delimiter");
        assert_eq!(err.to_string(), expected);
    }
    let err = common::try_run_with(&users(), b"email\tfirstName\tlastName\n", |b| {
        b.delimiter(Some(b','));
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the header reads as a single column with delimiter ',', but it contains TAB: the file probably uses TAB as its delimiter"
    );
}

#[test]
fn line_endings_give_the_same_rows_and_lines() {
    let lf = "email,firstName,lastName,department\n\
              a@example.com,Ada,Lovelace,\"two\nlines\"\n\
              \n\
              bad,Alan,Turing,x\n\
              c@example.com,,Hopper,y";
    let expected_positions = vec![(2, 2), (4, 5), (5, 6)];
    let expected_errors = vec![
        (4, 5, Some(s("email")), "email"),
        (5, 6, Some(s("firstName")), "required"),
    ];
    for eol in ["\n", "\r\n", "\r"] {
        let input = lf.replace('\n', eol);
        let rows = common::positions(input.as_bytes());
        assert_eq!(
            rows.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
            expected_positions,
            "{eol:?}"
        );
        assert_eq!(rows[0].2[3], format!("two{eol}lines"));
        assert_eq!(rows[2].2, ["c@example.com", "", "Hopper", "y"]);
        let (report, _) = run(&users(), input.as_bytes());
        assert_eq!(common::errors(&report), expected_errors, "{eol:?}");
        assert_eq!(report.rows.blank, 1, "{eol:?}");
    }
    // Mixed endings in one file.
    let mixed = "email,firstName,lastName\r\nbad,A,B\rbad2,C,D\nbad3,E,F\r\n";
    let (report, _) = run(&users(), mixed.as_bytes());
    assert_eq!(
        common::errors(&report)
            .iter()
            .map(|e| (e.0, e.1))
            .collect::<Vec<_>>(),
        [(2, 2), (3, 3), (4, 4)]
    );
}

#[test]
fn trimming_includes_non_breaking_spaces_but_the_error_csv_keeps_raw_values() {
    let input = "email,firstName,lastName,businessMobilePhone\n\
                 \u{a0}ada@example.com\u{a0},\tAda ,\u{2007}Lovelace\u{200b},  +31 6 12345678\u{a0}\n\
                 \u{a0}bad@example\u{a0}, Bob ,\u{a0}\u{a0},\u{feff}+31 6 12345678\n";
    let (report, error_csv) = run(&users(), input.as_bytes());
    assert_eq!(
        codes(&report),
        vec![(3, s("email"), "email"), (3, s("lastName"), "required")]
    );
    assert_eq!(
        report.errors[0].message,
        "email: expected an e-mail address like name@example.com, found \"bad@example\" (the domain needs a top-level domain such as .com)"
    );
    assert_eq!(
        report.errors[0].value.as_deref(),
        Some("\u{a0}bad@example\u{a0}")
    );
    assert_eq!(
        common::error_csv_text(&error_csv),
        "email,firstName,lastName,businessMobilePhone,errors\n\
         \u{a0}bad@example\u{a0}, Bob ,\u{a0}\u{a0},\u{feff}+31 6 12345678,\"email: expected an e-mail address like name@example.com, found \"\"bad@example\"\" (the domain needs a top-level domain such as .com); lastName: required, but the cell is empty\"\n"
    );
    let (_, rows) = read(&error_csv).unwrap();
    assert_eq!(
        rows,
        [[
            "\u{a0}bad@example\u{a0}",
            " Bob ",
            "\u{a0}\u{a0}",
            "\u{feff}+31 6 12345678"
        ]]
    );
}

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

fn limit_error(input: &[u8], limits: Limits) -> (Limit, u64, u64, u64, String) {
    let err = common::try_run_with(&users(), input, |b| {
        b.limits(limits);
    })
    .unwrap_err();
    assert_eq!(err.code(), "limit_exceeded");
    let message = err.to_string();
    match err.into_kind() {
        ErrorKind::LimitExceeded {
            limit,
            max,
            position,
        } => (limit, max, position.row, position.line, message),
        other => panic!("{other:?}"),
    }
}

/// A header, then a row whose quoted field spans two lines, so that the
/// offending row's line differs from its row number.
const LIMITED: &str = "email,firstName,lastName\n\
                       a@example.com,\"Ada\nAugusta\",Lovelace\n";

#[test]
fn field_bytes_limit() {
    let input = format!("{LIMITED}b@example.com,Bob,Builder-Bobson\n");
    let limits = Limits {
        max_field_bytes: 13,
        ..Limits::default()
    };
    assert_eq!(
        limit_error(input.as_bytes(), limits),
        (
            Limit::FieldBytes,
            13,
            3,
            4,
            s("too many bytes in one field at row 3 (line 4, byte 62): the limit is 13")
        )
    );
    // Exactly at the limit passes.
    let ok = format!("{LIMITED}b@example.com,Bob,Builder-Bobso\n");
    assert!(
        common::try_run_with(&users(), ok.as_bytes(), |b| {
            b.limits(limits);
        })
        .is_ok()
    );
}

#[test]
fn record_bytes_limit() {
    let input = format!(
        "{LIMITED}b@example.com,Bob,Builder\nc@example.com,Carol,Jones-Smith-Jones-Brown\n"
    );
    let limits = Limits {
        max_record_bytes: 40,
        ..Limits::default()
    };
    assert_eq!(
        limit_error(input.as_bytes(), limits),
        (
            Limit::RecordBytes,
            40,
            4,
            5,
            s("too many bytes in one record at row 4 (line 5, byte 88): the limit is 40")
        )
    );
}

#[test]
fn columns_limit() {
    let limits = Limits {
        max_columns: 3,
        ..Limits::default()
    };
    let (limit, max, row, line, message) = limit_error(b"email,firstName,lastName,x\n", limits);
    assert_eq!((limit, max, row, line), (Limit::Columns, 3, 1, 1));
    assert_eq!(
        message,
        "too many columns at row 1 (line 1, byte 0): the limit is 3"
    );
    let input = format!("{LIMITED}b@example.com,Bob,Builder,extra\n");
    let (limit, _, row, line, _) = limit_error(input.as_bytes(), limits);
    assert_eq!((limit, row, line), (Limit::Columns, 3, 4));
}

#[test]
fn rows_limit() {
    let input = format!("{LIMITED}\nb@example.com,Bob,Builder\nc@example.com,Carol,Jones\n");
    let limits = Limits {
        max_rows: 2,
        ..Limits::default()
    };
    let (limit, max, row, line, message) = limit_error(input.as_bytes(), limits);
    assert_eq!((limit, max, row, line), (Limit::Rows, 2, 5, 6));
    assert_eq!(
        message,
        "too many data rows at row 5 (line 6, byte 89): the limit is 2"
    );
    // Blank rows do not count.
    let ok = format!("{LIMITED}\n\n\nb@example.com,Bob,Builder\n");
    assert!(
        common::try_run_with(&users(), ok.as_bytes(), |b| {
            b.limits(limits);
        })
        .is_ok()
    );
}

/// A huge input that is never in memory: a prefix, then `len` bytes of
/// `fill`, generated on demand. Counts the bytes handed out.
struct Endless {
    prefix: std::io::Cursor<Vec<u8>>,
    remaining: u64,
    fill: u8,
    given: Rc<Cell<u64>>,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.prefix.read(buf)?;
        let n = if n > 0 {
            n
        } else {
            let n = buf.len().min(self.remaining as usize);
            buf[..n].fill(self.fill);
            self.remaining -= n as u64;
            n
        };
        self.given.set(self.given.get() + n as u64);
        Ok(n)
    }
}

#[test]
fn a_200_mb_line_fails_fast_on_the_record_limit() {
    const HUGE: u64 = 200 * 1024 * 1024;
    for (prefix, row) in [
        (&b"email,firstName,lastName\na@example.com,Ada,"[..], 2),
        (&b"email,firstName,lastName\na@example.com,Ada,\""[..], 2),
        (&b""[..], 1),
    ] {
        let given = Rc::new(Cell::new(0));
        let input = Endless {
            prefix: std::io::Cursor::new(prefix.to_vec()),
            remaining: HUGE,
            fill: b'x',
            given: given.clone(),
        };
        let err = users().validation().validate(input, None).unwrap_err();
        assert_eq!(err.code(), "limit_exceeded");
        match err.kind() {
            ErrorKind::LimitExceeded {
                limit, position, ..
            } => {
                assert_eq!(*limit, Limit::RecordBytes);
                assert_eq!((position.row, position.line), (row, row));
            }
            other => panic!("{other:?}"),
        }
        // Stopped just past the 1 MiB default, far before the end: what
        // was read bounds what can have been buffered.
        assert!(given.get() < 2 * 1024 * 1024, "read {} bytes", given.get());
    }
}

#[test]
fn unclosed_quote_at_end_of_file() {
    let err = try_run(
        &users(),
        b"email,firstName,lastName\na@example.com,Ada,Lovelace\n\nb@example.com,\"Bob,Builder\nc@example.com,Carol,Jones\n",
    )
    .unwrap_err();
    assert_eq!(err.code(), "unclosed_quote");
    assert_eq!(
        err.to_string(),
        "a quoted field starting at row 4 (line 4, byte 53) is never closed: add the missing closing '\"'"
    );
    let err = try_run(&users(), b"email,\"firstName,lastName\n").unwrap_err();
    assert_eq!(err.code(), "unclosed_quote");
    assert_eq!(err.position().map(|p| (p.row, p.line)), Some((1, 1)));
}

// ---------------------------------------------------------------------------
// Spreadsheet mangling
// ---------------------------------------------------------------------------

#[test]
fn spreadsheet_mangling_is_explained() {
    let input = "email,firstName,lastName,businessMobilePhone,birthDate\n\
                 a@example.com,A,B,3.16123E+10,\n\
                 b@example.com,A,B,31612345678,\n\
                 c@example.com,A,B,,45123\n\
                 d\u{200b}@example.com,A,B,,\n\
                 e@example\u{a0}.com,A,B,,\n";
    let (report, _) = run(&users(), input.as_bytes());
    let messages: Vec<&str> = report.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "businessMobilePhone: expected a mobile phone number in international format, e.g. +31 6 12345678, found \"3.16123E+10\" (a spreadsheet turned the number into scientific notation and lost digits; format the column as text and re-enter the number as +CC…)",
            "businessMobilePhone: expected a mobile phone number in international format, e.g. +31 6 12345678, found \"31612345678\" (the leading + and country code are missing: a spreadsheet may have stored the number as a number; format the cell as text and write it as +CC…)",
            "birthDate: expected a date as YYYY-MM-DD, found \"45123\" (this looks like a spreadsheet date number, 2023-07-16: format the column as text and write the date as YYYY-MM-DD)",
            "email: expected an e-mail address like name@example.com, found \"d\u{200b}@example.com\" (it contains an invisible space, often pasted from a web page or document: retype the address)",
            "email: expected an e-mail address like name@example.com, found \"e@example\u{a0}.com\" (it contains an invisible space, often pasted from a web page or document: retype the address)",
        ]
    );
}

// ---------------------------------------------------------------------------
// CSV injection
// ---------------------------------------------------------------------------

fn injection_schema() -> Schema {
    Schema::builder()
        .column(Column::new("email").required().email())
        .column(Column::new("@handle").length(LengthRule {
            min: None,
            max: Some(3),
        }))
        .column(Column::new("phone").phone(PhoneRule::default()))
        .column(Column::new("note"))
        .build()
}

const INJECTION: &str = "email,@handle,phone,note\n\
                         \"=HYPERLINK(\"\"http://x\"\")\",-abcd,+31 6 12345678,\"\tTAB\"\n\
                         ok@example.com,@me,+31 6 12345678,'=already\n\
                         ok2@example.com,+1,-5,\"\rCR\"\n\
                         ok3@example.com,@toolong,,\n";

/// The messages of [`INJECTION`]'s failed rows, as CSV cells.
const INJECTION_ERRORS: [&str; 3] = [
    "\"email: expected an e-mail address like name@example.com, found \"\"=HYPERLINK(\"\"http://x\"\")\"\"; @handle: expected at most 3 characters, found 5 characters\"",
    "phone: expected a phone number in international format, e.g. +31 6 12345678, found \"\"-5\"\" (the number must start with + and the country code)",
    "@handle: expected at most 3 characters, found 8 characters",
];

#[test]
fn formulas_are_guarded_in_the_error_csv() {
    let v = common::compile(&injection_schema());
    let (report, error_csv) = run(&v, INJECTION.as_bytes());
    assert_eq!(
        codes(&report),
        vec![
            (2, s("email"), "email"),
            (2, s("@handle"), "length"),
            (4, s("phone"), "phone"),
            (5, s("@handle"), "length"),
        ]
    );
    // Every cell a spreadsheet would run gets a `'`: header, values, and an
    // errors cell that starts with a formula character.
    assert_eq!(
        String::from_utf8(error_csv.clone()).unwrap(),
        format!(
            "\u{feff}email,'@handle,phone,note,errors\n\
             \"'=HYPERLINK(\"\"http://x\"\")\",'-abcd,'+31 6 12345678,'\tTAB,{}\n\
             ok2@example.com,'+1,'-5,\"'\rCR\",\"{}\"\n\
             ok3@example.com,'@toolong,,,\"'{}\"\n",
            INJECTION_ERRORS[0], INJECTION_ERRORS[1], INJECTION_ERRORS[2]
        )
    );
    // Reading it back removes exactly the guard: header and cells as uploaded.
    let (header, rows) = read(&error_csv).unwrap();
    assert_eq!(header, ["email", "@handle", "phone", "note"]);
    assert_eq!(
        rows,
        [
            [
                "=HYPERLINK(\"http://x\")",
                "-abcd",
                "+31 6 12345678",
                "\tTAB"
            ],
            ["ok2@example.com", "+1", "-5", "\rCR"],
            ["ok3@example.com", "@toolong", "", ""],
        ]
    );
    let (again, again_csv) = run(&v, &error_csv);
    assert_eq!(codes(&again).len(), 4);
    assert_eq!(again_csv, error_csv, "the error CSV reproduces itself");

    // A cell the user already protected keeps its own quote mark.
    let input = "email,@handle,phone,note\nbad,x,,'=already\n";
    let (_, out) = run(&v, input.as_bytes());
    let text = common::error_csv_text(&out);
    assert!(text.contains(",''=already,"), "{text}");
    let (_, rows) = read(&out).unwrap();
    assert_eq!(rows[0][3], "'=already");
}

#[test]
fn formula_guard_off_prefixes_nothing() {
    let v = common::compile(&injection_schema());
    let mut out = Vec::new();
    v.validation()
        .id("t")
        .formula_guard(false)
        .validate(INJECTION.as_bytes(), Some(&mut out))
        .unwrap();
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        format!(
            "\u{feff}email,@handle,phone,note,errors\n\
             \"=HYPERLINK(\"\"http://x\"\")\",-abcd,+31 6 12345678,\tTAB,{}\n\
             ok2@example.com,+1,-5,\"\rCR\",\"{}\"\n\
             ok3@example.com,@toolong,,,\"{}\"\n",
            INJECTION_ERRORS[0], INJECTION_ERRORS[1], INJECTION_ERRORS[2]
        )
    );
    // Read with the guard off, values come back as written.
    let mut b = ReaderBuilder::new();
    b.formula_guard(false);
    let (header, rows) = read_with(&b, &out).unwrap();
    assert_eq!(header, ["email", "@handle", "phone", "note"]);
    assert_eq!(rows[1], ["ok2@example.com", "+1", "-5", "\rCR"]);
}

#[test]
fn phone_with_plus_survives_the_round_trip() {
    let v = users();
    let input = "email,firstName,lastName,businessMobilePhone\nbad,Ada,Lovelace,+31 6 12345678\n";
    let (_, out) = run(&v, input.as_bytes());
    assert!(common::error_csv_text(&out).contains(",'+31 6 12345678,"));
    let mut run = v.validation().from_reader(&out[..]).unwrap();
    let o = run.next_outcome().unwrap().unwrap();
    assert_eq!(o.raw("businessMobilePhone"), Some("+31 6 12345678"));
    assert_eq!(
        o.normalized("businessMobilePhone").as_deref(),
        Some("+31612345678")
    );
}

// ---------------------------------------------------------------------------
// The property: any records, any delimiter, any encoding
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Enc {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

fn encode(text: &str, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Utf8 => text.as_bytes().to_vec(),
        Enc::Utf8Bom => [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
        Enc::Utf16Le => utf16le(text),
        Enc::Utf16Be => utf16be(text),
        Enc::Windows1252 => windows1252(text),
    }
}

/// Characters that stress the parser, plus anything the encoding can hold.
/// For Windows-1252 only bytes that can never form valid UTF-8 (0x80-0xBF,
/// 0xC0, 0xC1, 0xF5-0xFF): otherwise a short file could be valid UTF-8 by
/// chance and be read as such, which is the correct guess but not the text.
fn any_char(enc: Enc) -> BoxedStrategy<char> {
    let special = prop::sample::select(vec![',', ';', '\t', '|', '"', '\n', '\r', ' ', '\'', '=']);
    match enc {
        Enc::Windows1252 => {
            let high: Vec<char> = (0x80u8..=0xC1)
                .chain(0xF5..=0xFF)
                .map(|b| {
                    encoding_rs::WINDOWS_1252
                        .decode_without_bom_handling(&[b])
                        .0
                        .chars()
                        .next()
                        .unwrap()
                })
                // Undefined in Windows-1252 (decoded as C1 controls).
                .filter(|c| !matches!(*c as u32, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
                .collect();
            prop_oneof![
                3 => special,
                4 => prop::char::range(' ', '~'),
                2 => prop::sample::select(high),
            ]
            .boxed()
        }
        _ => {
            // No NUL: no text CSV has one, and the reader refuses it.
            let any = any::<char>().prop_filter("NUL", |c| *c != '\0');
            prop_oneof![3 => special, 3 => prop::char::range(' ', '~'), 2 => any].boxed()
        }
    }
}

fn field(enc: Enc) -> impl Strategy<Value = String> {
    prop::collection::vec(any_char(enc), 0..8).prop_map(|c| c.into_iter().collect())
}

fn case() -> impl Strategy<Value = (Enc, u8, Vec<String>, Vec<Vec<String>>)> {
    let enc = prop_oneof![
        Just(Enc::Utf8),
        Just(Enc::Utf8Bom),
        Just(Enc::Utf16Le),
        Just(Enc::Utf16Be),
        Just(Enc::Windows1252)
    ];
    let delimiter = prop::sample::select(vec![b',', b';', b'\t', b'|']);
    (enc, delimiter).prop_flat_map(|(enc, delimiter)| {
        let header = prop::collection::vec("[a-z]{1,6}", 2..5)
            .prop_filter("errors is reserved", |h| h.iter().all(|n| n != "errors"));
        let rows = prop::collection::vec(prop::collection::vec(field(enc), 1..6), 0..8);
        (Just(enc), Just(delimiter), header, rows)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn records_read_back_in_every_encoding_and_dialect((enc, delimiter, header, rows) in case()) {
        let mut records = vec![header.clone()];
        records.extend(rows.iter().cloned());
        let bytes = encode(&write_csv(&records, delimiter), enc);
        let (header_back, rows_back) = read(&bytes).unwrap();
        prop_assert_eq!(header_back, header);
        let expected: Vec<Vec<String>> = rows
            .into_iter()
            .filter(|r| !r.iter().all(|f| common::is_blank(f)))
            .collect();
        prop_assert_eq!(rows_back, expected);
    }
}
