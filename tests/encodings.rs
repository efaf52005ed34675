//! Encodings and dialect detection: mixed encodings, UTF-16 without a
//! byte-order mark, NUL bytes, doubled or mismatched byte-order marks, stray
//! quotes in the header, and one spelling of encoding names everywhere.

mod common;

use std::path::PathBuf;

use common::{codes, read, read_with, run, try_run, try_run_with, users, utf16le, windows1252};
use usercsv::{Encoding, ReaderBuilder};

fn s(v: &str) -> String {
    v.to_string()
}

/// `text` as UTF-16 without a byte-order mark.
fn utf16_no_bom(text: &str, big_endian: bool) -> Vec<u8> {
    text.encode_utf16()
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

const ACCENTS: &str = "email,firstName,lastName\n\
                       jurgen@example.com,Jürgen,Müller\n\
                       francoise@example,Françoise,Dupont\n\
                       jose@example.com,José,Núñez\n";

const ACCENTS_ERRORS: &str = "\u{feff}email,firstName,lastName,errors\n\
     francoise@example,Françoise,Dupont,\"email: expected an e-mail address like name@example.com, found \"\"francoise@example\"\" (the domain needs a top-level domain such as .com)\"\n";

// ---------------------------------------------------------------------------
// Mixed encodings
// ---------------------------------------------------------------------------

const MIXED_MESSAGE_END: &str =
    " is not in the same encoding as other rows; save the whole file as \"CSV UTF-8\"";

/// `(code, row, line, message)` of a file error.
fn file_error(input: &[u8]) -> (&'static str, u64, u64, String) {
    let err = try_run(&users(), input).unwrap_err();
    let p = err.position().expect("the error names where");
    (err.code().as_str(), p.row, p.line, err.to_string())
}

/// `(code, row, line)` of a file error.
fn where_(input: &[u8]) -> (&'static str, u64, u64) {
    let (code, row, line, _) = file_error(input);
    (code, row, line)
}

#[test]
fn utf8_then_windows_1252_in_the_sniffed_prefix_is_an_encoding_error() {
    // Row 2 is UTF-8 ("José"), row 3 Windows-1252 ("Müller" with 0xFC).
    let input = b"email,firstName,lastName\r\n\
                  jose@example.com,Jos\xC3\xA9,Nunez\r\n\
                  muller@example.com,J\xFCrgen,M\xFCller\r\n";
    let (code, row, line, message) = file_error(input);
    assert_eq!((code, row, line), ("encoding", 3, 3));
    assert_eq!(
        message,
        format!(
            "the file mixes utf-8 with another encoding (such as windows-1252): the text on line 3 (row 3){MIXED_MESSAGE_END}"
        )
    );
    // A quoted field spanning lines before it: the line differs from the row.
    let input = b"email,firstName,lastName\n\
                  jose@example.com,Jos\xC3\xA9,\"two\nlines\"\n\
                  muller@example.com,J\xFCrgen,M\xFCller\n";
    assert_eq!(where_(input), ("encoding", 3, 4));
    // The conflicting byte on the second line of a quoted cell: the message
    // names its line, the position the record's start.
    let input = b"email,firstName,lastName\n\
                  jose@example.com,Jos\xC3\xA9,Nunez\n\
                  muller@example.com,Ada,\"two\r\nM\xFCller\"\n";
    let (code, row, line, message) = file_error(input);
    assert_eq!((code, row, line), ("encoding", 3, 3));
    assert!(message.contains("the text on line 4 (row 3)"), "{message}");
}

#[test]
fn windows_1252_then_utf8_in_the_sniffed_prefix_is_an_encoding_error() {
    // The first conflicting byte is the first one that is not UTF-8: row 3.
    let input = b"email,firstName,lastName\n\
                  ada@example.com,Ada,Lovelace\n\
                  muller@example.com,J\xFCrgen,M\xFCller\n\
                  jose@example.com,Jos\xC3\xA9,Nunez\n";
    assert_eq!(where_(input), ("encoding", 3, 3));
    // Both in one cell: "José" typed in UTF-8 next to a Windows-1252 "ü".
    let input = b"email,firstName,lastName\nx@example.com,Jos\xC3\xA9 J\xFCrgen,N\n";
    assert_eq!(where_(input), ("encoding", 2, 2));
}

/// `rows` ASCII rows, enough to push what follows past the sniffed 64 KiB.
fn ascii_rows(rows: usize) -> Vec<u8> {
    let mut out = b"email,firstName,lastName\n".to_vec();
    for i in 0..rows {
        out.extend_from_slice(format!("user{i:05}@example.com,Ada,Smith\n").as_bytes());
    }
    out
}

#[test]
fn a_mix_after_the_sniffed_prefix_is_an_encoding_error_too() {
    // ASCII prefix, a Windows-1252 row (read as such, with a warning), then
    // a UTF-8 row: the UTF-8 row would otherwise turn into "JosÃ©".
    let mut input = ascii_rows(3000);
    input.extend_from_slice(b"muller@example.com,J\xFCrgen,M\xFCller\n");
    input.extend_from_slice(b"jose@example.com,Jos\xC3\xA9,Nunez\n");
    let (code, row, line, message) = file_error(&input);
    assert_eq!((code, row, line), ("encoding", 3003, 3003));
    assert!(message.starts_with("the file mixes utf-8"), "{message}");

    // UTF-8 in the prefix, Windows-1252 after it.
    let mut input = b"email,firstName,lastName\njose@example.com,Jos\xC3\xA9,Nunez\n".to_vec();
    input.extend_from_slice(&ascii_rows(3000)[25..]);
    input.extend_from_slice(b"muller@example.com,J\xFCrgen,M\xFCller\n");
    assert_eq!(where_(&input), ("encoding", 3003, 3003));

    // Windows-1252 in the prefix (guessed), UTF-8 after it.
    let mut input = b"email,firstName,lastName\nmuller@example.com,J\xFCrgen,M\xFCller\n".to_vec();
    input.extend_from_slice(&ascii_rows(3000)[25..]);
    input.extend_from_slice(b"jose@example.com,Jos\xC3\xA9,Nunez\n");
    assert_eq!(where_(&input), ("encoding", 3003, 3003));

    // Without a mix, a late Windows-1252 row is still read as Windows-1252.
    let mut input = ascii_rows(3000);
    input.extend_from_slice(b"muller@example.com,J\xFCrgen,M\xFCller\n");
    let (report, _) = run(&users(), &input);
    assert_eq!(report.encoding, Some(Encoding::Windows1252));
    assert_eq!(report.rows.valid, 3001);
    assert_eq!(report.warnings[0].code, "encoding_guessed");
}

// ---------------------------------------------------------------------------
// UTF-16 without a byte-order mark, NUL bytes
// ---------------------------------------------------------------------------

#[test]
fn utf16_without_bom_is_detected_from_its_nul_bytes() {
    for (big_endian, encoding) in [(false, Encoding::Utf16Le), (true, Encoding::Utf16Be)] {
        let input = utf16_no_bom(ACCENTS, big_endian);
        let (report, error_csv) = run(&users(), &input);
        assert_eq!(report.encoding, Some(encoding));
        assert_eq!(codes(&report), vec![(3, s("email"), "email")]);
        assert_eq!(report.rows.valid, 2);
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].code, "encoding_guessed");
        assert_eq!(
            report.warnings[0].message,
            format!(
                "the file is not UTF-8; it was read as {encoding} (save it as \"CSV UTF-8\" to avoid guessing)"
            )
        );
        assert_eq!(String::from_utf8(error_csv).unwrap(), ACCENTS_ERRORS);
    }
}

#[test]
fn nul_bytes_that_are_not_utf16_are_an_encoding_error() {
    let input = b"email,firstName,lastName\na@example.com,Ada\0,Lovelace\n";
    let (code, row, line, message) = file_error(input);
    assert_eq!((code, row, line), ("encoding", 2, 2));
    assert_eq!(
        message,
        "the file has a NUL byte on line 2 (row 2), which a text CSV never has: \
         it is probably not a CSV file (e.g. a workbook) or in an unrecognised encoding; \
         save it as \"CSV UTF-8\""
    );
    // The start of an .xlsx workbook (a zip archive).
    let xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00b\xee\x9dh^\x01\x00\x00";
    assert_eq!(where_(xlsx), ("encoding", 1, 1));
}

// ---------------------------------------------------------------------------
// Byte-order marks: the scanner and the parser see the same bytes
// ---------------------------------------------------------------------------

/// `(header, [(row, line, fields)], blank rows)` as read with `builder`.
type Positions = (Vec<String>, Vec<(u64, u64, Vec<String>)>, u64);

fn positions_with(builder: &ReaderBuilder, input: &[u8]) -> Positions {
    let mut rdr = builder.from_reader(input).unwrap();
    let header = rdr.header().iter().map(str::to_string).collect();
    let rows = rdr
        .rows()
        .map(|r| {
            let r = r.unwrap();
            let p = r.position();
            (p.row, p.line, r.fields().map(str::to_string).collect())
        })
        .collect();
    (header, rows, rdr.blank_rows())
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[test]
fn doubled_bom_and_bom_with_forced_windows_1252_keep_lines_and_rows() {
    // A quoted header cell spanning two lines: the data row is on line 3.
    let body = b"\"first\nname\",email\nAda,a@example.com\n";
    let expected: Positions = (
        vec![s("first\nname"), s("email")],
        vec![(2, 3, vec![s("Ada"), s("a@example.com")])],
        0,
    );
    let auto = ReaderBuilder::new();
    let mut forced = ReaderBuilder::new();
    forced.encoding(Some(Encoding::Windows1252));
    assert_eq!(positions_with(&auto, &[BOM, body].concat()), expected);
    assert_eq!(positions_with(&auto, &[BOM, BOM, body].concat()), expected);
    assert_eq!(positions_with(&forced, &[BOM, body].concat()), expected);

    // A quoted first cell ending in the delimiter: no false unclosed quote.
    let body = b"\"note,\",email\nx,a@example.com\n";
    for (builder, input) in [
        (&auto, [BOM, BOM, body].concat()),
        (&forced, [BOM, body].concat()),
    ] {
        let (header, rows) = read_with(builder, &input).unwrap();
        assert_eq!(header, ["note,", "email"]);
        assert_eq!(rows, [["x", "a@example.com"]]);
    }

    // Through validation: the right line, no phantom blank row.
    let input = [
        BOM,
        BOM,
        b"\"first\nName\",email,lastName\nAda,bad,Lovelace\n",
    ]
    .concat();
    let (report, _) = try_run_with(&users(), &input, |b| {
        b.encoding(Some(Encoding::Windows1252));
    })
    .unwrap();
    assert_eq!(report.rows.blank, 0);
    assert_eq!(
        common::errors(&report),
        vec![(2, 3, Some(s("email")), "email")]
    );
}

// ---------------------------------------------------------------------------
// Delimiter sniffing
// ---------------------------------------------------------------------------

#[test]
fn a_stray_quote_in_a_header_cell_does_not_hide_the_delimiter() {
    assert_eq!(
        usercsv::sniff_delimiter(b"Height 6\";email;firstName;lastName\n"),
        b';'
    );
    let input = "Height 6\";email;firstName;lastName\n6'1\";ada@example.com;Ada;Lovelace\n";
    let (report, _) = run(&users(), input.as_bytes());
    assert_eq!(report.delimiter.as_deref(), Some(";"));
    assert!(report.is_valid(), "{report:?}");
    assert_eq!(report.rows.valid, 1);
    let (header, rows) = read(input.as_bytes()).unwrap();
    assert_eq!(header, ["Height 6\"", "email", "firstName", "lastName"]);
    assert_eq!(rows, [["6'1\"", "ada@example.com", "Ada", "Lovelace"]]);
    // A quote that opens a field still hides the delimiters inside it.
    assert_eq!(usercsv::sniff_delimiter(b"\"a;b;c\",d\n"), b',');
    assert_eq!(usercsv::sniff_delimiter(b"x,\"a;b;c;d\"\n"), b',');
}

// ---------------------------------------------------------------------------
// Encoding names
// ---------------------------------------------------------------------------

#[test]
fn one_spelling_of_encoding_names() {
    for (encoding, name) in [
        (Encoding::Utf8, "utf-8"),
        (Encoding::Utf16Le, "utf-16le"),
        (Encoding::Utf16Be, "utf-16be"),
        (Encoding::Windows1252, "windows-1252"),
    ] {
        assert_eq!(encoding.to_string(), name);
        assert_eq!(encoding.name(), name);
        assert_eq!(serde_json::to_value(encoding).unwrap(), name);
        assert_eq!(name.parse::<Encoding>().unwrap(), encoding);
        assert_eq!(
            name.to_ascii_uppercase().parse::<Encoding>().unwrap(),
            encoding
        );
        assert_eq!(
            serde_json::from_value::<Encoding>(serde_json::json!(name)).unwrap(),
            encoding
        );
    }
    // Aliases, including the names older reports used.
    for (alias, encoding) in [
        ("utf8", Encoding::Utf8),
        ("utf16-le", Encoding::Utf16Le),
        ("utf16-be", Encoding::Utf16Be),
        ("windows1252", Encoding::Windows1252),
    ] {
        assert_eq!(alias.parse::<Encoding>().unwrap(), encoding, "{alias}");
        assert_eq!(
            serde_json::from_value::<Encoding>(serde_json::json!(alias)).unwrap(),
            encoding,
            "{alias}"
        );
    }
    assert_eq!("cp1252".parse::<Encoding>(), Ok(Encoding::Windows1252));
    assert_eq!("UTF_16".parse::<Encoding>(), Ok(Encoding::Utf16Le));
    assert_eq!(
        "ebcdic".parse::<Encoding>().unwrap_err(),
        "unknown encoding \"ebcdic\": expected utf-8, utf-16le, utf-16be or windows-1252"
    );
    // The message of an encoding error spells it the same way.
    let err = try_run_with(&users(), &windows1252(ACCENTS), |b| {
        b.encoding(Some(Encoding::Utf8));
    })
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the file is not valid utf-8 at row 2"),
        "{err}"
    );
}

#[cfg(feature = "cli")]
#[test]
fn the_reports_encoding_is_accepted_by_the_encoding_flag() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, windows1252(ACCENTS)).unwrap();
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_usercsv"))
            .args([
                "validate",
                input.to_str().unwrap(),
                "--format",
                "json",
                "--quiet",
            ])
            .args(["--errors-out", dir.path().join("e.csv").to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report
    };
    let guessed = run(&[]);
    assert_eq!(guessed["encoding"], "windows-1252");
    let name = guessed["encoding"].as_str().unwrap().to_string();
    let forced = run(&["--encoding", &name]);
    assert_eq!(forced["encoding"], "windows-1252");
    assert_eq!(forced["warnings"], serde_json::json!([]));
    assert_eq!(forced["rows"], guessed["rows"]);
}

// ---------------------------------------------------------------------------
// The csv-spectrum corpus as spreadsheets save it
// ---------------------------------------------------------------------------

/// Windows-1252 where every character has a byte there, else UTF-8 with a BOM.
fn windows1252_or_utf8(utf8: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(utf8).unwrap();
    match encoding_rs::WINDOWS_1252.encode(text) {
        (encoded, _, false) => encoded.into_owned(),
        _ => [BOM, utf8].concat(),
    }
}

fn corpus_csvs() -> Option<Vec<(String, Vec<u8>)>> {
    let dir = match std::env::var_os("USERCSV_CORPUS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => common::shared_corpus("csv-spectrum"),
    };
    let entries = std::fs::read_dir(dir.join("csvs")).ok()?;
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn corpus_files_read_the_same_in_every_spreadsheet_export() {
    let files = corpus_csvs().expect("the csv-spectrum corpus is missing");
    assert!(!files.is_empty());
    let mut checked = 0;
    for (stem, bytes) in files {
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let want = read(&bytes).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let text = std::str::from_utf8(&bytes).unwrap();
        let mut variants: Vec<(&str, Vec<u8>, ReaderBuilder)> = vec![
            ("bom", [BOM, &bytes].concat(), ReaderBuilder::new()),
            (
                "double bom",
                [BOM, BOM, &bytes].concat(),
                ReaderBuilder::new(),
            ),
            ("utf-16le", utf16le(text), ReaderBuilder::new()),
            (
                "utf-16le no bom",
                utf16_no_bom(text, false),
                ReaderBuilder::new(),
            ),
            (
                "utf-16be no bom",
                utf16_no_bom(text, true),
                ReaderBuilder::new(),
            ),
        ];
        if let (encoded, _, false) = encoding_rs::WINDOWS_1252.encode(text) {
            let mut forced = ReaderBuilder::new();
            forced.encoding(Some(Encoding::Windows1252));
            variants.push(("windows-1252", encoded.to_vec(), ReaderBuilder::new()));
            variants.push(("bom, forced windows-1252", [BOM, &encoded].concat(), forced));
        }
        // Excel's ";" export of the same table, with CRLF line ends.
        let mut records = vec![want.0.clone()];
        records.extend(want.1.iter().cloned());
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        for record in &records {
            w.write_record(record).unwrap();
        }
        let semicolon = w.into_inner().unwrap();
        if want.0.len() > 1 {
            variants.push((
                "excel ;",
                windows1252_or_utf8(&semicolon),
                ReaderBuilder::new(),
            ));
        }
        for (name, input, builder) in variants {
            let got = read_with(&builder, &input).unwrap_or_else(|e| panic!("{stem} {name}: {e}"));
            assert_eq!(got, want, "{stem} {name}");
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked}");
}

#[cfg(feature = "cli")]
#[test]
fn cli_on_spreadsheet_exports() {
    use std::process::Command;
    let fixture = |name: &str| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/encodings")
            .join(name)
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_usercsv"))
            .args(["validate", fixture(name).to_str().unwrap()])
            .args(["--id", "t", "--format", "json", "--quiet"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), report)
    };

    // UTF-8 "José" next to Windows-1252 "Müller": refused, nothing written.
    let (code, report) = run("mixed_utf8_windows1252.csv");
    assert_eq!(code, Some(2));
    assert_eq!(
        report["file_errors"],
        serde_json::json!([{
            "code": "encoding",
            "message": format!(
                "the file mixes utf-8 with another encoding (such as windows-1252): the text on line 3 (row 3){MIXED_MESSAGE_END}"
            )
        }])
    );
    assert!(!dir.path().join("t.csv").exists());

    // UTF-16 without a byte-order mark: read, the error CSV in UTF-8.
    let (code, report) = run("utf16le_no_bom.csv");
    assert_eq!(code, Some(1));
    assert_eq!(report["encoding"], "utf-16le");
    assert_eq!(
        report["rows"],
        serde_json::json!({"total": 3, "valid": 2, "invalid": 1, "blank": 0})
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.csv")).unwrap(),
        ACCENTS_ERRORS
    );
    std::fs::remove_file(dir.path().join("t.csv")).unwrap();

    // A stray quote in a header cell: `;` is still found, the file passes.
    let (code, report) = run("stray_quote_header.csv");
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["delimiter"], ";");
    assert_eq!(report["rows"]["valid"], 1);
}

/// Excel's `sep=;` first line names the delimiter; the header stays row 1
/// and lines are those of the file.
#[test]
fn excel_sep_line_names_the_delimiter() {
    let input =
        "sep=;\r\nemail;firstName;lastName\r\nada@example.com;Ada;Lovelace\r\nbad;Alan;Turing\r\n";
    let validator = usercsv::Validator::new(&usercsv::Schema::users()).unwrap();
    let mut error_csv = Vec::new();
    let report = validator
        .validation()
        .validate(input.as_bytes(), Some(&mut error_csv))
        .unwrap();
    assert_eq!((report.rows.valid, report.rows.invalid), (1, 1));
    assert_eq!(report.delimiter.as_deref(), Some(";"));
    let e = &report.errors[0];
    assert_eq!((e.row, e.line, e.code.as_str()), (3, 4, "email"));
    let text = String::from_utf8(error_csv).unwrap();
    assert!(
        text.starts_with("\u{feff}email;firstName;lastName;errors\r\nbad;Alan;Turing;"),
        "{text}"
    );
}
