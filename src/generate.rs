//! Deterministic generator of user CSVs for the built-in schema
//! ([`Schema::users`](crate::Schema::users)), for benchmarks and tests.
//!
//! The same options always give the same bytes. Valid rows pass the built-in
//! schema; each invalid row has exactly one problem (a bad e-mail, a missing
//! name, a bad or non-mobile phone, an impossible date, dates out of order, an
//! unknown language, a duplicate e-mail or employee number), so a run's
//! counts are known in advance.
//!
//! ```
//! use usercsv::generate::UserCsv;
//! use usercsv::{Schema, ValidatorBuilder};
//!
//! let spec = UserCsv::new(200).invalid_share(0.1).phone_countries(50).seed(7);
//! let mut csv = Vec::new();
//! let stats = spec.write_to(&mut csv).unwrap();
//! assert_eq!(csv, spec.to_bytes());
//!
//! let validator = ValidatorBuilder::new()
//!     .today(usercsv::generate::TODAY)
//!     .build(&Schema::users())
//!     .unwrap();
//! let report = validator.validate_reader(&csv[..], None).unwrap();
//! assert_eq!(report.rows.total, 200);
//! assert_eq!(report.rows.invalid, stats.invalid);
//! ```

use std::io::{self, Write};
use std::sync::LazyLock;

use chrono::NaiveDate;

use crate::rules::PhoneCheck;
use crate::rules::phone_meta;
use crate::schema::PhoneRule;

/// A fixed "today" no generated date is after: build the validator with
/// [`ValidatorBuilder::today`](crate::ValidatorBuilder::today) set to it so
/// that results do not depend on the calendar.
pub const TODAY: NaiveDate = match NaiveDate::from_ymd_opt(2025, 1, 1) {
    Some(date) => date,
    None => panic!("valid date"),
};

/// The header the generator writes: the built-in schema's columns in order.
pub const HEADER: &str = "email,firstName,lastName,businessMobilePhone,employeeNumber,birthDate,startDate,endDate,language,department";

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct UserCsv {
    /// Data rows (the header is extra).
    pub rows: u64,
    /// Share of rows with one problem each, from 0.0 to 1.0.
    pub invalid_share: f64,
    /// How many countries the phone numbers come from (at least 1; the first
    /// is always the Netherlands, then regions in alphabetical order).
    pub phone_countries: usize,
    /// Seed of the pseudo-random choices.
    pub seed: u64,
}

/// What a generator run wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenStats {
    /// Data rows written.
    pub rows: u64,
    /// Rows written with a problem.
    pub invalid: u64,
    /// Bytes written, header included.
    pub bytes: u64,
}

impl UserCsv {
    /// `rows` valid rows, phones from one country, seed 1.
    pub fn new(rows: u64) -> UserCsv {
        UserCsv {
            rows,
            invalid_share: 0.0,
            phone_countries: 1,
            seed: 1,
        }
    }

    /// Sets the share of invalid rows.
    pub fn invalid_share(mut self, share: f64) -> UserCsv {
        self.invalid_share = share.clamp(0.0, 1.0);
        self
    }

    /// Sets the number of phone countries (clamped to those available).
    pub fn phone_countries(mut self, countries: usize) -> UserCsv {
        self.phone_countries = countries.max(1);
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> UserCsv {
        self.seed = seed;
        self
    }

    /// The number of phone countries available.
    pub fn max_phone_countries() -> usize {
        COUNTRIES.len()
    }

    /// Writes the CSV (header and rows, `\n` line ends) to `out`.
    pub fn write_to<W: Write>(&self, out: W) -> io::Result<GenStats> {
        let mut out = io::BufWriter::with_capacity(64 * 1024, out);
        let mut rng = Rng::new(self.seed);
        let countries = &COUNTRIES[..self.phone_countries.clamp(1, COUNTRIES.len())];
        let threshold = (self.invalid_share * (1u64 << 32) as f64) as u64;
        let mut stats = GenStats::default();
        let mut line = String::with_capacity(256);
        let mut prev = Prev::default();
        line.push_str(HEADER);
        line.push('\n');
        out.write_all(line.as_bytes())?;
        stats.bytes += line.len() as u64;
        for i in 0..self.rows {
            line.clear();
            let invalid = threshold > 0 && (rng.next() >> 32) < threshold;
            let problem = if invalid && i > 0 {
                Some(rng.below(PROBLEMS))
            } else {
                None
            };
            if problem.is_some() {
                stats.invalid += 1;
            }
            write_row(&mut line, i, problem, countries, &mut rng, &mut prev);
            line.push('\n');
            out.write_all(line.as_bytes())?;
            stats.bytes += line.len() as u64;
            stats.rows += 1;
        }
        out.flush()?;
        Ok(stats)
    }

    /// The CSV as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity((self.rows as usize + 1) * 112);
        // Writing to a Vec cannot fail.
        let _ = self.write_to(&mut out);
        out
    }
}

/// SplitMix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret",
    "Niklaus", "Radia", "Ken", "Sophie", "Tim", "Hedy", "Linus", "Karen", "Dennis", "Anita",
    "Guido",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "McCarthy",
    "Hamilton",
    "Wirth",
    "Perlman",
    "Thompson",
    "Wilson",
    "Berners-Lee",
    "Lamarr",
    "Torvalds",
    "Spärck Jones",
    "Ritchie",
    "Borg",
    "van Rossum",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "corp.example.net",
    "example.co.uk",
];
const LANGUAGES: &[&str] = &["en", "nl", "de", "fr", "es", "EN", "Nl"];
const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Human Resources",
    "Support",
    "Legal",
    "Research & Development",
];

/// Kinds of problems an invalid row gets.
const PROBLEMS: u64 = 9;

/// A region whose phone numbers the generator writes.
struct Country {
    code: u16,
    /// Valid mobile national numbers (the example and variants of it).
    numbers: Vec<String>,
    /// The same numbers as libphonenumber formats them internationally
    /// (`+1 650-253-0000`, `+82 10-2000-8237`, `+7 912 345-67-89`).
    international: Vec<String>,
}

/// `template` (a formatted number) with its last `digits.len()` digits
/// replaced by `digits`, if it has that many.
fn reformat(template: &str, digits: &str) -> Option<String> {
    let mut out: Vec<u8> = template.as_bytes().to_vec();
    let mut from = digits.as_bytes().iter().rev();
    for b in out.iter_mut().rev() {
        if b.is_ascii_digit() {
            match from.next() {
                Some(&d) => *b = d,
                None => break,
            }
        }
    }
    if from.next().is_some() {
        return None;
    }
    String::from_utf8(out).ok()
}

/// Regions with a valid example mobile number: NL first, then by id.
static COUNTRIES: LazyLock<Vec<Country>> = LazyLock::new(|| {
    let check = PhoneCheck::compile(
        "phone",
        &PhoneRule {
            default_region: None,
            mobile_only: true,
        },
    )
    .ok();
    let Some(check) = check else {
        return Vec::new();
    };
    let mut examples = phone_meta::mobile_examples();
    if let Some(nl) = examples.iter().position(|e| e.0 == "NL") {
        let first = examples.remove(nl);
        examples.insert(0, first);
    }
    let mut rng = Rng::new(99);
    examples
        .into_iter()
        .filter(|(_, code, example, _)| check.check(&format!("+{code}{example}")).is_ok())
        .map(|(_, code, example, template)| {
            let mut numbers = vec![example.to_string()];
            // Variants: the example with its last digits changed, kept when valid.
            let keep = example.len().saturating_sub(4).max(2).min(example.len());
            for _ in 0..64 {
                let mut n = example[..keep].to_string();
                for _ in keep..example.len() {
                    n.push(char::from(b'0' + rng.below(10) as u8));
                }
                if !numbers.contains(&n) && check.check(&format!("+{code}{n}")).is_ok() {
                    numbers.push(n);
                }
                if numbers.len() >= 32 {
                    break;
                }
            }
            // The international format of each; E.164 where the format
            // does not hold the number's digits in order (none in the
            // metadata) or the check does not take it.
            let international = numbers
                .iter()
                .map(|n| {
                    reformat(template, n)
                        .filter(|f| {
                            let digits: String = f.chars().filter(char::is_ascii_digit).collect();
                            digits == format!("{code}{n}") && check.check(f).is_ok()
                        })
                        .unwrap_or_else(|| format!("+{code}{n}"))
                })
                .collect();
            Country {
                code,
                numbers,
                international,
            }
        })
        .collect()
});

fn date(rng: &mut Rng, from_year: i32, years: u64) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(from_year, 1, 1).unwrap_or(TODAY);
    start + chrono::Duration::days(rng.below(years * 365) as i64)
}

/// A phone number in one of the shapes people write: half of them as
/// libphonenumber formats them internationally, a quarter in E.164, a
/// quarter as digits and spaces.
fn push_phone(line: &mut String, rng: &mut Rng, country: &Country) {
    use std::fmt::Write as _;
    let pick = rng.below(country.numbers.len() as u64) as usize;
    let national = &country.numbers[pick];
    let _ = match rng.below(8) {
        0 | 1 => write!(line, "+{}{}", country.code, national),
        2 => write!(line, "+{} {}", country.code, national),
        3..=6 => {
            line.push_str(&country.international[pick]);
            Ok(())
        }
        _ => {
            let split = national.len().min(3);
            write!(
                line,
                "+{} {} {}",
                country.code,
                &national[..split],
                &national[split..]
            )
        }
    };
}

/// The previous row's unique values, for duplicates.
#[derive(Default)]
struct Prev {
    email: String,
    employee: String,
}

fn write_row(
    line: &mut String,
    i: u64,
    problem: Option<u64>,
    countries: &[Country],
    rng: &mut Rng,
    prev: &mut Prev,
) {
    use std::fmt::Write as _;
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    let domain = rng.pick(DOMAINS);
    let country = &countries[rng.below(countries.len() as u64) as usize];
    let birth = date(rng, 1950, 50);
    let start = date(rng, 2000, 24);
    let end = if rng.below(3) == 0 {
        Some(start + chrono::Duration::days(1 + rng.below(3000) as i64))
    } else {
        None
    };
    let language = rng.pick(LANGUAGES);
    let department = rng.pick(DEPARTMENTS);
    let at = line.len();
    match problem {
        // The previous row's address in upper case: a duplicate.
        Some(7) => line.push_str(&prev.email.to_uppercase()),
        _ => {
            let _ = write!(line, "{}.", first.to_lowercase());
            line.extend(
                last.chars()
                    .filter(char::is_ascii_alphabetic)
                    .map(|c| c.to_ascii_lowercase()),
            );
            let domain = if problem == Some(0) {
                "localhost"
            } else {
                domain
            };
            let _ = write!(line, "{i}@{domain}");
        }
    }
    prev.email.clear();
    prev.email.push_str(&line[at..]);
    line.push(',');
    if problem != Some(1) {
        line.push_str(first);
    }
    line.push(',');
    if last.contains(' ') {
        line.push('"');
        line.push_str(last);
        line.push('"');
    } else {
        line.push_str(last);
    }
    line.push(',');
    match problem {
        Some(2) => {
            let _ = write!(line, "+{} 12", country.code);
        }
        Some(3) => line.push_str("+31 20 123 4567"),
        _ => push_phone(line, rng, country),
    }
    line.push(',');
    let at = line.len();
    if problem == Some(8) {
        line.push_str(&prev.employee);
    } else {
        let _ = write!(line, "E{i:07}");
    }
    prev.employee.clear();
    prev.employee.push_str(&line[at..]);
    line.push(',');
    if problem == Some(4) {
        let _ = write!(line, "{}-02-30", birth.format("%Y"));
    } else {
        let _ = write!(line, "{}", birth.format("%Y-%m-%d"));
    }
    line.push(',');
    let _ = write!(line, "{}", start.format("%Y-%m-%d"));
    line.push(',');
    match (problem, end) {
        (Some(5), _) => {
            let _ = write!(
                line,
                "{}",
                (start - chrono::Duration::days(1)).format("%Y-%m-%d")
            );
        }
        (_, Some(end)) => {
            let _ = write!(line, "{}", end.format("%Y-%m-%d"));
        }
        _ => {}
    }
    line.push(',');
    line.push_str(if problem == Some(6) { "xx" } else { language });
    line.push(',');
    line.push_str(department);
}
