//! Full validation of generated user CSVs against the raw `csv` ByteRecord
//! baseline over the same bytes, in one run.
//!
//! `cargo bench --bench validate` (200k rows); `USERCSV_BENCH_ROWS=1000000
//! cargo bench --bench validate` for the 1M-row figures. After criterion's
//! own output, a summary measures the baseline and every run alternately
//! (best of several rounds) and prints rows/s, MB/s and the ratio to the
//! baseline; besides full validation with one and two threads it times
//! `usercsv::Reader` alone and validation without the `unique` rules, to
//! show where the time goes. `USERCSV_BENCH_SUMMARY_ONLY=1` skips
//! criterion's part; `USERCSV_BENCH_ROUNDS=N` sets the summary's rounds
//! (default 5; more rounds see more of a noisy machine's quiet moments).
//!
//! The generator writes phone numbers in the shapes uploads have: half as
//! libphonenumber formats them internationally (`+1 264-235-8556`,
//! `+7 912 345-67-89`), a quarter in E.164, a quarter as digits and spaces;
//! `countries_60` has them from 60 regions. Whole processes, startup
//! included: `benches/process.py`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use usercsv::generate::{TODAY, UserCsv};
use usercsv::{Schema, Validator, ValidatorBuilder};

struct Case {
    name: &'static str,
    data: Vec<u8>,
    rows: u64,
    error_csv: bool,
}

fn rows() -> u64 {
    std::env::var("USERCSV_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
}

fn cases() -> Vec<Case> {
    let rows = rows();
    let make = |name, spec: UserCsv, error_csv| Case {
        name,
        data: spec.to_bytes(),
        rows: spec.rows,
        error_csv,
    };
    vec![
        make("one_country", UserCsv::new(rows), false),
        make(
            "invalid_10pct_error_csv",
            UserCsv::new(rows).invalid_share(0.1).seed(2),
            true,
        ),
        make(
            "countries_60",
            UserCsv::new(rows).phone_countries(60).seed(3),
            false,
        ),
    ]
}

fn validator() -> Validator {
    ValidatorBuilder::new()
        .today(TODAY)
        .build(&Schema::users())
        .expect("built-in schema")
}

/// The built-in schema without its `unique` rules (nor the key, which
/// implies one).
fn validator_without_unique() -> Validator {
    let mut schema = Schema::users();
    schema.key = None;
    for column in &mut schema.columns {
        column.unique = None;
    }
    ValidatorBuilder::new()
        .today(TODAY)
        .build(&schema)
        .expect("built-in schema without unique")
}

/// `usercsv::Reader` alone: decoding, scanning, limits, blank rows.
fn read_only(data: &[u8]) -> u64 {
    let mut reader = usercsv::ReaderBuilder::new()
        .from_reader(data)
        .expect("header");
    let mut row = usercsv::Row::default();
    let mut rows = 0;
    while reader.read_row(&mut row).expect("row") {
        rows += 1;
    }
    rows
}

/// The baseline: `csv` ByteRecord reading of the same bytes, one thread.
fn baseline(data: &[u8]) -> u64 {
    let mut rdr = csv::ReaderBuilder::new().from_reader(data);
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    while rdr.read_byte_record(&mut record).expect("csv") {
        rows += 1;
    }
    rows
}

fn validate(validator: &Validator, case: &Case, threads: usize) -> u64 {
    let mut errors = Vec::new();
    let report = validator
        .validation()
        .id("bench")
        .threads(threads)
        .input_len(Some(case.data.len() as u64))
        .validate(&case.data[..], case.error_csv.then_some(&mut errors))
        .expect("validation");
    assert_eq!(report.rows.total, case.rows);
    report.rows.invalid + errors.len() as u64
}

fn bench(c: &mut Criterion, cases: &[Case], validator: &Validator) {
    for case in cases {
        let mut group = c.benchmark_group(format!("validate/{}", case.name));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(4))
            .throughput(Throughput::Elements(case.rows));
        group.bench_function("csv_byterecord_baseline", |b| {
            b.iter(|| baseline(black_box(&case.data)))
        });
        for threads in [1, 2] {
            group.bench_with_input(
                BenchmarkId::new("users_schema_threads", threads),
                &threads,
                |b, &threads| b.iter(|| validate(validator, case, threads)),
            );
        }
        group.finish();
    }
}

fn summary_rounds() -> usize {
    std::env::var("USERCSV_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5)
}

fn best_of(rounds: usize, mut f: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Alternates the baseline and every run so all see the same machine load.
fn summary(cases: &[Case], validator: &Validator) {
    let without_unique = validator_without_unique();
    println!();
    println!(
        "summary ({} rows; best of {} alternating rounds; ratio = throughput / baseline throughput)",
        rows(),
        summary_rounds()
    );
    println!(
        "{:<26} {:<34} {:>12} {:>9} {:>8}",
        "case", "run", "rows/s", "MB/s", "ratio"
    );
    for case in cases {
        let runs: [(&str, &dyn Fn() -> u64); 5] = [
            ("csv ByteRecord baseline", &|| baseline(&case.data)),
            ("usercsv Reader only", &|| read_only(&case.data)),
            ("users schema w/o unique, 1 thread", &|| {
                validate(&without_unique, case, 1)
            }),
            ("users schema, 1 thread", &|| validate(validator, case, 1)),
            ("users schema, 2 threads", &|| validate(validator, case, 2)),
        ];
        let mut best = [Duration::MAX; 5];
        for _ in 0..summary_rounds() {
            for (slot, (_, run)) in best.iter_mut().zip(&runs) {
                *slot = (*slot).min(best_of(1, || {
                    black_box(run());
                }));
            }
        }
        for ((name, _), time) in runs.iter().zip(best) {
            let secs = time.as_secs_f64();
            println!(
                "{:<26} {:<34} {:>12.0} {:>9.1} {:>7.1}%",
                case.name,
                name,
                case.rows as f64 / secs,
                case.data.len() as f64 / secs / 1e6,
                best[0].as_secs_f64() / secs * 100.0
            );
        }
    }
}

fn main() {
    let cases = cases();
    let validator = validator();
    // Compile every region's patterns the files use before timing.
    for case in &cases {
        validate(&validator, case, 1);
    }
    if std::env::var_os("USERCSV_BENCH_SUMMARY_ONLY").is_none() {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c, &cases, &validator);
        c.final_summary();
    }
    if !std::env::args().any(|a| a == "--list" || a == "--test") {
        summary(&cases, &validator);
    }
}
