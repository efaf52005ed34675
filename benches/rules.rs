//! Per-rule micro benchmarks through `Validator::check_value`, and the
//! `phonenumber` crate on the same phone numbers for comparison.
//!
//! `cargo bench --bench rules`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use usercsv::generate::{TODAY, UserCsv};
use usercsv::{Schema, Validator, ValidatorBuilder};

/// Column `column` of a generated file with phones from `countries` countries.
fn values(countries: usize, column: usize) -> Vec<String> {
    let data = UserCsv::new(2_000).phone_countries(countries).to_bytes();
    let mut rdr = csv::Reader::from_reader(&data[..]);
    rdr.records()
        .map(|r| r.expect("csv")[column].to_string())
        .collect()
}

fn per_value(c: &mut Criterion, name: &str, values: &[String], mut f: impl FnMut(&str) -> bool) {
    let mut group = c.benchmark_group("rules");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(values.len() as u64));
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut ok = 0u32;
            for v in values {
                ok += u32::from(f(black_box(v)));
            }
            ok
        })
    });
    group.finish();
}

fn main() {
    let validator: Validator = ValidatorBuilder::new()
        .today(TODAY)
        .build(&Schema::users())
        .expect("schema");
    let mut c = Criterion::default().configure_from_args();
    let check = |column: &'static str| {
        let validator = validator.clone();
        move |v: &str| validator.check_value(column, v).is_ok()
    };
    per_value(&mut c, "email", &values(1, 0), check("email"));
    per_value(
        &mut c,
        "length_first_name",
        &values(1, 1),
        check("firstName"),
    );
    per_value(&mut c, "date_birth", &values(1, 5), check("birthDate"));
    per_value(&mut c, "one_of_language", &values(1, 8), check("language"));
    let one = values(1, 3);
    let many = values(60, 3);
    per_value(
        &mut c,
        "phone_one_country",
        &one,
        check("businessMobilePhone"),
    );
    per_value(
        &mut c,
        "phone_60_countries",
        &many,
        check("businessMobilePhone"),
    );
    let crate_check = |v: &str| {
        phonenumber::parse(None, v)
            .map(|p| p.is_valid())
            .unwrap_or(false)
    };
    per_value(&mut c, "phonenumber_crate_one_country", &one, crate_check);
    // ~700 calls/s: a short slice keeps the run short.
    per_value(
        &mut c,
        "phonenumber_crate_60_countries",
        &many[..200],
        crate_check,
    );
    c.final_summary();
}
