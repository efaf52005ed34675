//! The reader against the csv-spectrum corpus: every `csvs/NAME.csv` must
//! read as `json/NAME.json` (an array of objects keyed by the header).
//!
//! The corpus is the product owner's `shared/corpora/csv-spectrum`
//! ([`common::shared_corpus`]: `../shared` beside the repository, or the
//! copy in `tests/data/corpora`), or wherever `USERCSV_CORPUS_DIR` points
//! (the directory holding `csvs/` and `json/`). A missing corpus fails.
//!
//! Where the reader differs from a plain CSV parser, by design, the expected
//! rows are adjusted: blank rows are skipped, a column named `errors` is
//! dropped, and a file without a header line is an `empty_file` error.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{is_blank, read, utf16le};

fn corpus_dir() -> PathBuf {
    match std::env::var_os("USERCSV_CORPUS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => common::shared_corpus("csv-spectrum"),
    }
}

type Object = BTreeMap<String, String>;

fn expected(json: &str) -> Vec<Object> {
    let rows: Vec<Object> = serde_json::from_str(json).expect("corpus JSON is an array of objects");
    rows.into_iter()
        .map(|mut row| {
            row.retain(|k, _| !k.trim().eq_ignore_ascii_case("errors"));
            row
        })
        .filter(|row| !row.values().all(|v| is_blank(v)))
        .collect()
}

fn as_objects(header: &[String], rows: &[Vec<String>]) -> Vec<Object> {
    rows.iter()
        .map(|row| {
            assert_eq!(row.len(), header.len(), "row {row:?} vs header {header:?}");
            header.iter().cloned().zip(row.iter().cloned()).collect()
        })
        .collect()
}

#[test]
fn csv_spectrum() {
    let dir = corpus_dir();
    let csvs = dir.join("csvs");
    let entries = std::fs::read_dir(&csvs)
        .unwrap_or_else(|e| panic!("the corpus is missing at {}: {e}", csvs.display()));
    let mut names: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no .csv files in {}", csvs.display());
    let mut checked = Vec::new();
    for path in names {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let json_path = dir.join("json").join(format!("{stem}.json"));
        let json = std::fs::read_to_string(&json_path)
            .unwrap_or_else(|e| panic!("{}: {e}", json_path.display()));
        let want = expected(&json);

        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            // No header line at all: a file-level error, and nothing to import.
            let err = read(&bytes).unwrap_err();
            assert_eq!(err.code(), "empty_file", "{stem}");
            assert!(
                want.is_empty(),
                "{stem}: the JSON has rows for an empty file"
            );
            checked.push(stem);
            continue;
        }
        let (header, rows) = read(&bytes).unwrap_or_else(|e| panic!("{stem}: {e}"));
        if let Some(first) = want.first() {
            let mut keys: Vec<&String> = header.iter().collect();
            keys.sort();
            assert_eq!(keys, first.keys().collect::<Vec<_>>(), "{stem}: header");
        }
        assert_eq!(as_objects(&header, &rows), want, "{stem}");

        // The same file saved as UTF-16 reads the same.
        let text = std::str::from_utf8(&bytes).expect("the corpus is UTF-8");
        let (header16, rows16) = read(&utf16le(text)).unwrap();
        assert_eq!((header16, rows16), (header, rows), "{stem} as UTF-16");
        checked.push(stem);
    }
    println!(
        "checked {} corpus files: {}",
        checked.len(),
        checked.join(", ")
    );
}

#[test]
fn an_empty_file_is_a_file_error() {
    // What the corpus's empty files would be if they had no header either.
    for bytes in [&b""[..], b"\n", b"\r\n\r\n"] {
        assert_eq!(read(bytes).unwrap_err().code(), "empty_file");
    }
}
