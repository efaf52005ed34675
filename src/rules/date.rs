//! The `date` rule: strict fixed-width formats, checked with `chrono`.

use chrono::{Datelike, NaiveDate};

use super::failure::{ErrorCode, Failure};
use crate::error::SchemaError;
use crate::schema::DateRule;

/// A calendar date as one number that orders as dates do (year, then
/// month, then day), checked without `chrono`: the hot path compares and
/// keeps these, and makes a [`NaiveDate`] only for messages and normal
/// forms. Years 0 to 9999, as four digits write them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Ymd(std::num::NonZeroU32);

impl Ymd {
    /// The date, if it exists (the Gregorian calendar, as `chrono` has it).
    #[inline(always)]
    pub fn new(year: u32, month: u32, day: u32) -> Option<Ymd> {
        if year > 9999 || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        let last = match month {
            2 => {
                let leap = year.is_multiple_of(4)
                    && (!year.is_multiple_of(100) || year.is_multiple_of(400));
                28 + u32::from(leap)
            }
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if day > last {
            return None;
        }
        std::num::NonZeroU32::new(year << 9 | month << 5 | day).map(Ymd)
    }

    /// The same date as `chrono` has it.
    pub fn to_naive(self) -> NaiveDate {
        let n = self.0.get();
        NaiveDate::from_ymd_opt((n >> 9) as i32, n >> 5 & 15, n & 31).unwrap_or_default()
    }

    /// `date` as a key; `None` outside years 0 to 9999.
    pub fn from_naive(date: NaiveDate) -> Option<Ymd> {
        Ymd::new(u32::try_from(date.year()).ok()?, date.month(), date.day())
    }
}

/// One accepted format, e.g. `DD/MM/YYYY`, as a fixed-width template: where
/// the year, month and day digits are, and the separators between them.
#[derive(Clone, Debug)]
struct Format {
    text: String,
    len: usize,
    year_at: usize,
    month_at: usize,
    day_at: usize,
    /// `(offset, byte)` of each separator.
    literals: Vec<(usize, u8)>,
    /// Whether this is `YYYY-MM-DD`.
    iso: bool,
}

impl Format {
    fn compile(column: &str, text: &str) -> Result<Format, SchemaError> {
        let bytes = text.as_bytes();
        let mut literals = Vec::new();
        let (mut year_at, mut month_at, mut day_at) = (Vec::new(), Vec::new(), Vec::new());
        let mut i = 0;
        while i < bytes.len() {
            let rest = &text[i..];
            if rest.starts_with("YYYY") {
                year_at.push(i);
                i += 4;
            } else if rest.starts_with("MM") {
                month_at.push(i);
                i += 2;
            } else if rest.starts_with("DD") {
                day_at.push(i);
                i += 2;
            } else if bytes[i].is_ascii_punctuation() || bytes[i] == b' ' {
                literals.push((i, bytes[i]));
                i += 1;
            } else {
                return Err(SchemaError::rule(
                    column,
                    format!(
                        "date format \"{text}\" has '{}' at position {}: use YYYY, MM, DD and separators such as - / .",
                        rest.chars().next().unwrap_or(' '),
                        i + 1
                    ),
                ));
            }
        }
        match (&year_at[..], &month_at[..], &day_at[..]) {
            (&[year_at], &[month_at], &[day_at]) => Ok(Format {
                text: text.to_string(),
                len: bytes.len(),
                year_at,
                month_at,
                day_at,
                literals,
                iso: text == "YYYY-MM-DD",
            }),
            _ => Err(SchemaError::rule(
                column,
                format!("date format \"{text}\" must contain YYYY, MM and DD exactly once"),
            )),
        }
    }

    /// Fixed-position digit check, then a calendar check.
    fn parse(&self, value: &str) -> Option<NaiveDate> {
        self.parse_ymd(value).map(Ymd::to_naive)
    }

    /// [`Format::parse`] as a [`Ymd`].
    #[inline]
    fn parse_ymd(&self, value: &str) -> Option<Ymd> {
        let bytes = value.as_bytes();
        if bytes.len() != self.len {
            return None;
        }
        if self.iso {
            // The usual format, at fixed places: no table of places read.
            let b: &[u8; 10] = bytes.try_into().ok()?;
            let d = |i: usize| {
                let digit = b[i].wrapping_sub(b'0');
                (digit < 10).then_some(u32::from(digit))
            };
            if b[4] != b'-' || b[7] != b'-' {
                return None;
            }
            let year = d(0)? * 1000 + d(1)? * 100 + d(2)? * 10 + d(3)?;
            return Ymd::new(year, d(5)? * 10 + d(6)?, d(8)? * 10 + d(9)?);
        }
        let number = |at: usize, width: usize| {
            bytes[at..at + width].iter().try_fold(0u32, |n, &b| {
                let digit = b.wrapping_sub(b'0');
                (digit < 10).then(|| n * 10 + u32::from(digit))
            })
        };
        if self.literals.iter().any(|&(at, l)| bytes[at] != l) {
            return None;
        }
        let year = number(self.year_at, 4)?;
        let month = number(self.month_at, 2)?;
        let day = number(self.day_at, 2)?;
        Ymd::new(year, month, day)
    }

    fn render(&self, date: NaiveDate) -> String {
        self.text
            .replace("YYYY", &format!("{:04}", date.year()))
            .replace("MM", &format!("{:02}", date.month()))
            .replace("DD", &format!("{:02}", date.day()))
    }
}

/// A compiled date rule.
#[derive(Clone, Debug)]
pub(crate) struct DateCheck {
    formats: Vec<Format>,
    min: Option<NaiveDate>,
    max: Option<NaiveDate>,
    not_in_future: bool,
    today: NaiveDate,
    /// `min` and the effective max as [`Ymd`]s, when both are years 0 to
    /// 9999 (else the check compares `NaiveDate`s).
    keys: Option<(Option<Ymd>, Option<Ymd>)>,
}

impl DateCheck {
    pub fn compile(
        column: &str,
        rule: &DateRule,
        today: NaiveDate,
    ) -> Result<DateCheck, SchemaError> {
        let formats = if rule.formats.is_empty() {
            vec![Format::compile(column, "YYYY-MM-DD")?]
        } else {
            rule.formats
                .iter()
                .map(|f| Format::compile(column, f))
                .collect::<Result<_, _>>()?
        };
        let iso = Format::compile(column, "YYYY-MM-DD")?;
        let bound =
            |name: &str, value: &Option<String>| -> Result<Option<NaiveDate>, SchemaError> {
                value
                    .as_deref()
                    .map(|v| {
                        iso.parse(v).ok_or_else(|| {
                            SchemaError::rule(
                                column,
                                format!("date {name} \"{v}\" is not a valid YYYY-MM-DD date"),
                            )
                        })
                    })
                    .transpose()
            };
        let mut check = DateCheck {
            formats,
            min: bound("min", &rule.min)?,
            max: bound("max", &rule.max)?,
            not_in_future: rule.not_in_future,
            today,
            keys: None,
        };
        check.keys = check.range_keys();
        if let (Some(min), Some(max)) = (check.min, check.effective_max())
            && min > max
        {
            return Err(SchemaError::rule(
                column,
                format!("date min {min} is after max {max}"),
            ));
        }
        Ok(check)
    }

    /// Whether the rule compares with today (`not_in_future`).
    pub fn uses_today(&self) -> bool {
        self.not_in_future
    }

    /// Sets the date `not_in_future` compares with (each run's own).
    pub fn set_today(&mut self, today: NaiveDate) {
        self.today = today;
        self.keys = self.range_keys();
    }

    /// See `keys`.
    fn range_keys(&self) -> Option<(Option<Ymd>, Option<Ymd>)> {
        let key = |date: Option<NaiveDate>| match date {
            None => Some(None),
            Some(date) => Ymd::from_naive(date).map(Some),
        };
        Some((key(self.min)?, key(self.effective_max())?))
    }

    fn effective_max(&self) -> Option<NaiveDate> {
        match (self.max, self.not_in_future) {
            (Some(max), true) => Some(max.min(self.today)),
            (None, true) => Some(self.today),
            (max, false) => max,
        }
    }

    /// What the rule accepts, as a noun phrase: its formats, then its
    /// range. The messages and the guide both say it this way.
    pub(crate) fn accepts(&self) -> String {
        match self.range_text() {
            Some(range) => format!("{}, {range}", self.format_text()),
            None => self.format_text(),
        }
    }

    /// The format part of [`DateCheck::accepts`].
    fn format_text(&self) -> String {
        format!("a date as {}", self.formats_text())
    }

    /// The range part of [`DateCheck::accepts`], when there is one.
    fn range_text(&self) -> Option<String> {
        Some(match (self.min, self.max, self.not_in_future) {
            (Some(min), Some(max), false) => format!("from {min} to {max}"),
            (Some(min), _, true) => format!("from {min} and not in the future"),
            (Some(min), None, false) => format!("on or after {min}"),
            (None, Some(max), false) => format!("on or before {max}"),
            (None, Some(max), true) => format!("on or before {max} and not in the future"),
            (None, None, true) => "not in the future".to_string(),
            (None, None, false) => return None,
        })
    }

    fn formats_text(&self) -> String {
        let names: Vec<&str> = self.formats.iter().map(|f| f.text.as_str()).collect();
        names.join(" or ")
    }

    /// Whether every ISO date (the normal form) reads back as itself, or
    /// not at all: false when a format such as `YYYY-DD-MM` reads
    /// `1990-01-02` as another date. Probed with dates whose day and month
    /// are both at most 12 and differ, so that a swap shows.
    pub fn reads_iso_as_itself(&self) -> bool {
        [(1990, 1, 2), (2001, 11, 12), (1975, 3, 4)]
            .into_iter()
            .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
            .all(|date| self.parse(&iso(date)).is_none_or(|read| read == date))
    }

    /// Parses the value with the first matching format.
    pub fn parse(&self, value: &str) -> Option<NaiveDate> {
        self.formats.iter().find_map(|f| f.parse(value))
    }

    pub fn check(&self, value: &str) -> Result<NaiveDate, Failure> {
        self.check_ymd(value).map(Ymd::to_naive)
    }

    /// [`DateCheck::check`], the date as a [`Ymd`]: no `chrono` on the way.
    #[inline]
    pub fn check_ymd(&self, value: &str) -> Result<Ymd, Failure> {
        let Some(date) = self.formats.iter().find_map(|f| f.parse_ymd(value)) else {
            return Err(self.fail_format(value));
        };
        let outside = match self.keys {
            Some((min, max)) => {
                min.is_some_and(|min| date < min) || max.is_some_and(|max| date > max)
            }
            None => {
                let date = date.to_naive();
                self.min.is_some_and(|min| date < min)
                    || self.effective_max().is_some_and(|max| date > max)
            }
        };
        if outside {
            return Err(self.fail_range(value));
        }
        Ok(date)
    }

    #[cold]
    fn fail_format(&self, value: &str) -> Failure {
        let formats = self.formats_text();
        let hint = if value.len() == 5 && value.bytes().all(|b| b.is_ascii_digit()) {
            let serial: i64 = value.parse().unwrap_or(0);
            // Excel's day 0 is 1899-12-30 (it counts the non-existent 1900-02-29).
            let date = NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|base| base.checked_add_signed(chrono::Duration::days(serial)));
            match date {
                Some(date) => format!(
                    " (this looks like a spreadsheet date number, {}: format the column as text and write the date as {formats})",
                    self.formats[0].render(date)
                ),
                None => String::new(),
            }
        } else {
            if value.split(['-', '/', '.']).count() == 3 {
                " (check the order of year, month and day, the number of digits, and that the day exists)".to_string()
            } else {
                String::new()
            }
        };
        Failure::new(
            ErrorCode::Date,
            format!("expected {}, found \"{value}\"{hint}", self.format_text()),
        )
    }

    #[cold]
    fn fail_range(&self, value: &str) -> Failure {
        let expected = format!("a date {}", self.range_text().unwrap_or_default());
        Failure::new(
            ErrorCode::DateRange,
            format!("expected {expected}, found \"{value}\""),
        )
    }

    /// ISO 8601 form.
    /// The ISO form of a valid date, borrowing `value` when it is its own
    /// ISO form (most stored dates): nothing is allocated for it.
    pub fn normalize<'v>(&self, value: &'v str) -> Option<std::borrow::Cow<'v, str>> {
        let date = self.parse(value)?;
        if iso_bytes(date).is_some_and(|iso| iso == value.as_bytes()) {
            return Some(std::borrow::Cow::Borrowed(value));
        }
        Some(std::borrow::Cow::Owned(iso(date)))
    }

    /// A value that passes this rule.
    pub fn example(&self) -> String {
        let mut date = NaiveDate::from_ymd_opt(1990, 12, 10).unwrap_or_default();
        if let Some(min) = self.min {
            date = date.max(min);
        }
        if let Some(max) = self.effective_max() {
            date = date.min(max);
        }
        self.formats[0].render(date)
    }

    /// A value that passes this rule, on or after `date` when the rule's
    /// range allows (for a `date_order` pair's later column).
    pub fn example_on_or_after(&self, date: NaiveDate) -> String {
        let mut date = date;
        if let Some(min) = self.min {
            date = date.max(min);
        }
        if let Some(max) = self.effective_max() {
            date = date.min(max);
        }
        self.formats[0].render(date)
    }
}

/// `date` as `YYYY-MM-DD`, digit by digit: no formatter, no strftime
/// pattern parsed per call (a full sync renders every date cell).
fn iso(date: NaiveDate) -> String {
    match iso_bytes(date) {
        // ASCII digits and hyphens: always UTF-8.
        Some(bytes) => String::from_utf8(bytes.to_vec()).unwrap_or_default(),
        None => format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day()),
    }
}

/// `YYYY-MM-DD` as bytes, for years 0 to 9999 (others need more room).
fn iso_bytes(date: NaiveDate) -> Option<[u8; 10]> {
    let (year, month, day) = (date.year(), date.month(), date.day());
    let year = u32::try_from(year).ok().filter(|&y| y <= 9999)?;
    let digit = |n: u32| b'0' + (n % 10) as u8;
    Some([
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The ISO format's fixed-place reading is the general reading.
        #[test]
        fn iso_fast_path_reads_as_the_general_path(
            value in "[0-9]{4}[-/.](0[1-9]|1[0-2])[-/.](0[1-9]|[12][0-9]|3[01])|[0-9/ -]{8,11}|[0-9x]{4}-[0-9x]{2}-[0-9x]{2}|[0-9]{4}-[0-9]{2}-[0-9]é",
        ) {
            let fast = Format::compile("d", "YYYY-MM-DD").unwrap();
            proptest::prop_assert!(fast.iso);
            let general = Format { iso: false, ..fast.clone() };
            proptest::prop_assert_eq!(fast.parse_ymd(&value), general.parse_ymd(&value), "{:?}", value);
        }
    }

    /// `Ymd` accepts exactly the dates `chrono` has, orders them as it
    /// does and gives them back unchanged: every day of every month, and
    /// the days around month ends, over all four-digit years.
    #[test]
    fn ymd_agrees_with_chrono() {
        let mut previous: Option<(Ymd, NaiveDate)> = None;
        for year in 0..=9999u32 {
            let every_day = year <= 5
                || (1895..=1905).contains(&year)
                || (1996..=2104).contains(&year)
                || year >= 9995;
            for month in 0..=13u32 {
                for day in 0..=32u32 {
                    if !(every_day || day <= 1 || day >= 27) {
                        continue;
                    }
                    let ours = Ymd::new(year, month, day);
                    let theirs = NaiveDate::from_ymd_opt(year as i32, month, day);
                    assert_eq!(ours.is_some(), theirs.is_some(), "{year}-{month}-{day}");
                    if let (Some(ours), Some(theirs)) = (ours, theirs) {
                        assert_eq!(ours.to_naive(), theirs);
                        assert_eq!(Ymd::from_naive(theirs), Some(ours));
                        if let Some((before, before_naive)) = previous {
                            assert!(before < ours && before_naive < theirs, "{theirs}");
                        }
                        previous = Some((ours, theirs));
                    }
                }
            }
        }
        assert_eq!(Ymd::new(10000, 1, 1), None);
        let far = NaiveDate::from_ymd_opt(10000, 1, 1).unwrap();
        assert_eq!(Ymd::from_naive(far), None);
    }

    /// Bounds a `Ymd` cannot hold (a `today` past the year 9999) are
    /// compared as dates.
    #[test]
    fn a_range_past_four_digit_years_is_still_checked() {
        let rule = DateRule {
            formats: vec![],
            min: None,
            max: None,
            not_in_future: true,
        };
        let mut check = DateCheck::compile("d", &rule, today()).unwrap();
        assert!(check.check("2026-11-27").is_err());
        check.set_today(NaiveDate::from_ymd_opt(12000, 1, 1).unwrap());
        assert_eq!(check.keys, None);
        assert!(check.check("9999-12-31").is_ok());
        check.set_today(NaiveDate::from_ymd_opt(-5, 1, 1).unwrap());
        assert_eq!(check.keys, None);
        assert_eq!(
            check.check("0000-01-01").unwrap_err().code,
            ErrorCode::DateRange
        );
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    fn check(rule: DateRule, value: &str) -> Result<(), ErrorCode> {
        DateCheck::compile("d", &rule, today())
            .unwrap()
            .check(value)
            .map(|_| ())
            .map_err(|f| f.code)
    }

    #[test]
    fn strict_iso() {
        assert_eq!(check(DateRule::default(), "2024-01-05"), Ok(()));
        assert_eq!(check(DateRule::default(), "2024-02-29"), Ok(()));
        for v in [
            "2024-1-5",
            "+2024-01-05",
            " 2024-01-05",
            "2024-02-30",
            "2023-02-29",
            "2024/01/05",
            "20240105",
            "2024-01-05T00:00",
            "２０２４-01-05",
            "",
        ] {
            assert_eq!(check(DateRule::default(), v), Err(ErrorCode::Date), "{v:?}");
        }
    }

    proptest::proptest! {
        /// The fixed-offset parser agrees with chrono on fixed-width input.
        #[test]
        fn fixed_offsets_agree_with_chrono(
            value in "[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}|[0-9]{2}[./][0-9]{2}[./][0-9]{4}",
        ) {
            for (ours, chrono_format) in [
                ("YYYY-MM-DD", "%Y-%m-%d"),
                ("YYYY/MM/DD", "%Y/%m/%d"),
                ("DD.MM.YYYY", "%d.%m.%Y"),
                ("MM/DD/YYYY", "%m/%d/%Y"),
            ] {
                let format = Format::compile("d", ours).unwrap();
                proptest::prop_assert_eq!(
                    format.parse(&value),
                    NaiveDate::parse_from_str(&value, chrono_format).ok(),
                    "{} as {}", value, ours
                );
            }
        }
    }

    #[test]
    fn several_formats() {
        let rule = DateRule {
            formats: vec!["DD/MM/YYYY".into(), "YYYY-MM-DD".into()],
            ..DateRule::default()
        };
        assert_eq!(check(rule.clone(), "31/12/2024"), Ok(()));
        assert_eq!(check(rule.clone(), "2024-12-31"), Ok(()));
        assert_eq!(check(rule, "12/31/2024"), Err(ErrorCode::Date));
    }

    #[test]
    fn ranges() {
        let rule = DateRule {
            min: Some("2000-01-01".into()),
            max: Some("2030-12-31".into()),
            ..DateRule::default()
        };
        assert_eq!(check(rule.clone(), "2000-01-01"), Ok(()));
        assert_eq!(check(rule.clone(), "1999-12-31"), Err(ErrorCode::DateRange));
        assert_eq!(check(rule, "2031-01-01"), Err(ErrorCode::DateRange));
        let future = DateRule {
            not_in_future: true,
            ..DateRule::default()
        };
        assert_eq!(check(future.clone(), "2026-11-26"), Ok(()));
        assert_eq!(check(future, "2026-11-27"), Err(ErrorCode::DateRange));
    }

    #[test]
    fn bad_formats_fail_at_compile_time() {
        for f in ["YYYY-MM", "YY-MM-DD", "YYYY-MM-DDx", "DD-MM-YYYY-YYYY"] {
            let rule = DateRule {
                formats: vec![f.into()],
                ..DateRule::default()
            };
            assert!(DateCheck::compile("d", &rule, today()).is_err(), "{f}");
        }
        let rule = DateRule {
            min: Some("2020-13-01".into()),
            ..DateRule::default()
        };
        assert!(DateCheck::compile("d", &rule, today()).is_err());
    }

    #[test]
    fn excel_serial_dates_are_explained() {
        let c = DateCheck::compile("d", &DateRule::default(), today()).unwrap();
        let f = c.check("45123").unwrap_err();
        assert_eq!(f.code, ErrorCode::Date);
        assert!(
            f.detail.contains("spreadsheet date number, 2023-07-16"),
            "{}",
            f.detail
        );
    }

    #[test]
    fn iso_renders_as_chrono_does() {
        for (y, m, d) in [
            (1, 1, 1),
            (999, 12, 31),
            (1953, 2, 25),
            (2024, 10, 9),
            (9999, 12, 31),
            (10000, 1, 1),
            (-5, 3, 4),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let expected = format!("{y:04}-{m:02}-{d:02}");
            assert_eq!(iso(date), expected);
            if (0..=9999).contains(&y) {
                assert_eq!(iso(date), date.format("%Y-%m-%d").to_string());
            }
        }
    }

    #[test]
    fn normalizes_and_examples() {
        let rule = DateRule {
            formats: vec!["DD.MM.YYYY".into()],
            not_in_future: true,
            ..DateRule::default()
        };
        let c = DateCheck::compile("d", &rule, today()).unwrap();
        assert_eq!(c.normalize("05.01.2024").as_deref(), Some("2024-01-05"));
        assert_eq!(c.example(), "10.12.1990");
        assert!(c.check(&c.example()).is_ok());
    }
}
