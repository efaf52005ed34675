//! Timing and peak-memory probe for BENCHMARKS.md.
//!
//! ```text
//! cargo run --release --example peak_rss -- gen ROWS INVALID_SHARE COUNTRIES PATH
//! cargo run --release --example peak_rss -- baseline PATH        # csv ByteRecord read
//! cargo run --release --example peak_rss -- read PATH            # usercsv::Reader, no rules
//! cargo run --release --example peak_rss -- validate PATH THREADS [ERRORS_CSV]
//! cargo run --release --example peak_rss -- validate-no-unique PATH THREADS
//! cargo run --release --example peak_rss -- full-sync EXISTING PATH THREADS
//! cargo run --release --example peak_rss -- load-existing EXISTING THREADS
//! ```
//!
//! `validate-no-unique` drops the built-in schema's two `unique` rules (and
//! the key), to show that memory is flat in the number of rows once the
//! uniqueness sets are set aside.
//!
//! Every mode prints one line: elapsed seconds, rows/s, MB/s and the peak
//! resident set size (VmHWM from /proc/self/status) of this process.

use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use usercsv::generate::{TODAY, UserCsv};
use usercsv::{
    ArchiveGuard, ExistingSet, ExistingUsers, Mode, Schema, Validator, ValidatorBuilder,
};

/// The built-in schema's validator and the existing users exported in `path`.
fn load_existing(path: &str, threads: usize) -> (Validator, ExistingSet) {
    let validator = ValidatorBuilder::new()
        .today(TODAY)
        .build(&Schema::users())
        .expect("schema");
    let existing = ExistingSet::from_reader_with_threads(
        &validator,
        BufReader::new(File::open(path).expect("open existing")),
        threads,
    )
    .expect("existing users");
    (validator, existing)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn report(mode: &str, rows: u64, bytes: u64, start: Instant) {
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{mode}: rows={rows} secs={secs:.3} rows_per_s={:.0} mb_per_s={:.1} peak_rss_mib={:.1}",
        rows as f64 / secs,
        bytes as f64 / secs / 1e6,
        peak_rss_kib() as f64 / 1024.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    match arg(0).as_str() {
        "gen" => {
            let spec = UserCsv::new(arg(1).parse().expect("rows"))
                .invalid_share(arg(2).parse().expect("invalid share"))
                .phone_countries(arg(3).parse().expect("countries"));
            let stats = spec
                .write_to(File::create(arg(4)).expect("create"))
                .expect("write");
            println!("{stats:?}");
        }
        "baseline" => {
            let path = arg(1);
            let bytes = std::fs::metadata(&path).expect("file").len();
            let start = Instant::now();
            let mut rdr = csv::ReaderBuilder::new()
                .from_reader(BufReader::new(File::open(&path).expect("open")));
            let mut record = csv::ByteRecord::new();
            let mut rows = 0u64;
            while rdr.read_byte_record(&mut record).expect("read") {
                rows += 1;
            }
            report("baseline", rows, bytes, start);
        }
        "read" => {
            let path = arg(1);
            let bytes = std::fs::metadata(&path).expect("file").len();
            let start = Instant::now();
            let mut rdr = usercsv::ReaderBuilder::new()
                .from_reader(BufReader::new(File::open(&path).expect("open")))
                .expect("header");
            let mut row = usercsv::Row::default();
            let mut rows = 0u64;
            while rdr.read_row(&mut row).expect("read") {
                rows += 1;
            }
            report("read", rows, bytes, start);
        }
        "validate" | "validate-no-unique" => {
            let path = arg(1);
            let threads: usize = arg(2).parse().unwrap_or(1);
            let bytes = std::fs::metadata(&path).expect("file").len();
            let mut schema = Schema::users();
            if arg(0) == "validate-no-unique" {
                schema.key = None;
                for column in &mut schema.columns {
                    column.unique = None;
                }
            }
            let validator = ValidatorBuilder::new()
                .today(TODAY)
                .build(&schema)
                .expect("schema");
            let start = Instant::now();
            let input = File::open(&path).expect("open");
            let mut errors = (!arg(3).is_empty())
                .then(|| std::io::BufWriter::new(File::create(arg(3)).expect("create")));
            let result = validator
                .validation()
                .threads(threads)
                .input_len(Some(bytes))
                .max_errors(1000)
                .validate(input, errors.as_mut().map(|w| w as &mut dyn std::io::Write))
                .expect("validate");
            report(
                &format!(
                    "{} threads={threads} invalid={}",
                    arg(0),
                    result.rows.invalid
                ),
                result.rows.total,
                bytes,
                start,
            );
        }
        "full-sync" => {
            // A full sync of PATH against the users in EXISTING; the time
            // includes loading the existing users.
            let (existing_path, path) = (arg(1), arg(2));
            let threads: usize = arg(3).parse().unwrap_or(1);
            let bytes = std::fs::metadata(&path).expect("file").len();
            let start = Instant::now();
            let (validator, existing) = load_existing(&existing_path, threads);
            let loaded = start.elapsed().as_secs_f64();
            let (report_, plan) = validator
                .validation()
                .threads(threads)
                .input_len(Some(bytes))
                .existing(existing)
                .mode(Mode::Full)
                .archive_guard(ArchiveGuard {
                    allow: true,
                    ..ArchiveGuard::default()
                })
                .validate_with_plan(File::open(&path).expect("open"), None)
                .expect("validate");
            let counts = plan.map(|p| p.counts).unwrap_or_default();
            report(
                &format!(
                    "full-sync threads={threads} load_existing_secs={loaded:.3} create={} update={} unchanged={} archive={}",
                    counts.create, counts.update, counts.unchanged, counts.archive
                ),
                report_.rows.total,
                bytes,
                start,
            );
        }
        "load-existing" => {
            // Only loading the existing users: what an ExistingSet holds.
            let path = arg(1);
            let threads: usize = arg(2).parse().unwrap_or(1);
            let bytes = std::fs::metadata(&path).expect("file").len();
            let start = Instant::now();
            let (_, existing) = load_existing(&path, threads);
            report(
                &format!("load-existing threads={threads}"),
                existing.len() as u64,
                bytes,
                start,
            );
        }
        _ => eprintln!(
            "usage: peak_rss gen|baseline|validate|validate-no-unique|full-sync|load-existing ..."
        ),
    }
}
