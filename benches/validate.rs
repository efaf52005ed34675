//! Full validation of generated user CSVs against the raw `csv` ByteRecord
//! baseline over the same bytes, in one run.
//!
//! `cargo bench --bench validate` (200k rows); `USERCSV_BENCH_ROWS=1000000
//! cargo bench --bench validate` for the 1M-row figures. After criterion's
//! own output, a summary measures baseline and validation alternately
//! (best of several rounds) and prints rows/s, MB/s and the ratio to the
//! baseline.

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

/// Alternates baseline and validation so both see the same machine load.
fn summary(cases: &[Case], validator: &Validator) {
    println!();
    println!(
        "summary ({} rows; best of 5 alternating rounds; ratio = validation throughput / baseline throughput)",
        rows()
    );
    println!(
        "{:<26} {:<22} {:>12} {:>9} {:>8}",
        "case", "run", "rows/s", "MB/s", "ratio"
    );
    for case in cases {
        let mut base = Duration::MAX;
        let mut one = Duration::MAX;
        let mut two = Duration::MAX;
        for _ in 0..5 {
            base = base.min(best_of(1, || {
                black_box(baseline(&case.data));
            }));
            one = one.min(best_of(1, || {
                black_box(validate(validator, case, 1));
            }));
            two = two.min(best_of(1, || {
                black_box(validate(validator, case, 2));
            }));
        }
        for (run, time) in [
            ("csv ByteRecord baseline", base),
            ("users schema, 1 thread", one),
            ("users schema, 2 threads", two),
        ] {
            let secs = time.as_secs_f64();
            println!(
                "{:<26} {:<22} {:>12.0} {:>9.1} {:>7.1}%",
                case.name,
                run,
                case.rows as f64 / secs,
                case.data.len() as f64 / secs / 1e6,
                base.as_secs_f64() / secs * 100.0
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
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &cases, &validator);
    c.final_summary();
    if !std::env::args().any(|a| a == "--list" || a == "--test") {
        summary(&cases, &validator);
    }
}
