//! One validation run over one input: the builder that configures it, the
//! streaming driver ([`Validation`], a row at a time), the batch driver
//! behind [`ValidationBuilder::validate`] (rows in batches, on one thread
//! or several), and the in-order core both share (uniqueness, plan, counts,
//! error CSV). A row's trip goes down the layers: bytes (reader) → row →
//! cells and verdicts (validator, rules) → uniqueness and plan (here) →
//! report and error CSV.

mod batch;
mod stream;
mod tally;
mod unique;

use std::io::{Read, Write};
use std::sync::Arc;

use crate::decode::Encoding;
use crate::error::{Error, delimiter_name};
use crate::plan::{ArchiveGuard, ExistingSet, ExistingUsers, Mode, Plan, Planner};
use crate::progress::{CancelToken, Progress};
use crate::reader::{Limits, ReaderBuilder};
use crate::report::{ValidationReport, generate_id};
use crate::row::Row;
use crate::validator::{HeaderMap, Scratch, Validator};

pub use self::stream::{OwnedRowOutcome, RowOutcome, Validation};
use self::tally::{ErrorSink, Tally};
use self::unique::UniqueColumns;

impl Validator {
    /// Starts configuring one validation run.
    pub fn validation(&self) -> ValidationBuilder {
        ValidationBuilder::new(self.clone())
    }

    /// Validates a whole input with default options and a generated id,
    /// writing failed rows to `error_csv` when given.
    pub fn validate_reader<R: Read>(
        &self,
        input: R,
        error_csv: Option<&mut dyn Write>,
    ) -> Result<ValidationReport, Error> {
        self.validation().validate(input, error_csv)
    }
}

/// The most threads a run or a load uses in all
/// ([`ValidationBuilder::threads`], [`ExistingSet::from_reader_with_threads`](crate::ExistingSet::from_reader_with_threads));
/// more are taken as this many.
///
/// ```
/// assert_eq!(usercsv::MAX_THREADS, 256);
/// ```
pub const MAX_THREADS: usize = 256;

/// Configures one validation run; from [`Validator::validation`].
///
/// ```
/// use usercsv::{Schema, Validator};
///
/// let validator = Validator::new(&Schema::users()).unwrap();
/// let mut errors_csv = Vec::new();
/// let report = validator
///     .validation()
///     .id("upload-7")
///     .max_errors(10)
///     .delimiter(Some(b';'))
///     .validate("email;firstName;lastName\nx;Ada;Lovelace\n".as_bytes(), Some(&mut errors_csv))
///     .unwrap();
/// assert_eq!(report.id, "upload-7");
/// assert_eq!(report.rows.invalid, 1);
/// assert!(String::from_utf8(errors_csv).unwrap().starts_with("\u{feff}email;firstName;lastName;errors\n"));
/// ```
#[derive(Clone, Debug)]
pub struct ValidationBuilder {
    validator: Validator,
    reader: ReaderBuilder,
    id: Option<String>,
    max_errors: usize,
    progress: Option<Progress>,
    input_len: Option<u64>,
    cancel: Option<CancelToken>,
    formula_guard: bool,
    threads: usize,
    existing: Option<Arc<dyn ExistingUsers + Send + Sync>>,
    /// The same users when they are an [`ExistingSet`], which the plan
    /// asks row by row without building a list of values.
    existing_set: Option<Arc<ExistingSet>>,
    mode: Mode,
    guard: ArchiveGuard,
    today: Option<chrono::NaiveDate>,
}

impl std::fmt::Debug for dyn ExistingUsers + Send + Sync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExistingUsers({} users)", self.len())
    }
}

impl ValidationBuilder {
    pub(crate) fn new(validator: Validator) -> ValidationBuilder {
        ValidationBuilder {
            validator,
            reader: ReaderBuilder::new(),
            id: None,
            max_errors: 1000,
            progress: None,
            input_len: None,
            cancel: None,
            formula_guard: true,
            threads: 1,
            existing: None,
            existing_set: None,
            mode: Mode::Delta,
            guard: ArchiveGuard::default(),
            today: None,
        }
    }

    /// The date `not_in_future` compares with in this run. Default: the
    /// date [`ValidatorBuilder::today`](crate::ValidatorBuilder::today)
    /// fixed, else the local date when the run starts (so a validator built
    /// once serves runs on later days).
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use usercsv::{Schema, Validator};
    ///
    /// let schema = Schema::from_toml_str(r#"
    ///     [[columns]]
    ///     name = "hired"
    ///     date = { not_in_future = true }
    /// "#).unwrap();
    /// let validator = Validator::new(&schema).unwrap();
    /// let csv = "hired\n2030-01-02\n";
    /// let on = |y, m, d| validator.validation().today(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    ///     .validate(csv.as_bytes(), None).unwrap().rows.valid;
    /// assert_eq!(on(2030, 1, 1), 0);
    /// assert_eq!(on(2030, 1, 2), 1);
    /// ```
    pub fn today(&mut self, today: chrono::NaiveDate) -> &mut ValidationBuilder {
        self.today = Some(today);
        self
    }

    /// Plans the upload against these existing users: each valid row becomes
    /// a create, an update or unchanged, and the report gains a `plan`.
    /// Without existing users nothing is planned. An [`ExistingSet`] is
    /// asked cell by cell; any other store through
    /// [`ExistingUsers::same_values`].
    ///
    /// ```
    /// use usercsv::{ExistingSet, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let export = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
    /// let existing = ExistingSet::from_reader(&validator, export.as_bytes())?;
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,King\ngrace@example.com,Grace,Hopper\n";
    /// let report = validator.validation().existing(existing).validate(csv.as_bytes(), None)?;
    /// let plan = report.plan.unwrap();
    /// assert_eq!((plan.create, plan.update, plan.unchanged), (1, 1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn existing(
        &mut self,
        existing: impl ExistingUsers + Send + Sync + 'static,
    ) -> &mut ValidationBuilder {
        let mut given = Some(existing);
        let set = (&mut given as &mut dyn std::any::Any)
            .downcast_mut::<Option<ExistingSet>>()
            .and_then(Option::take);
        if let Some(set) = set {
            let set = Arc::new(set);
            self.existing = Some(set.clone());
            self.existing_set = Some(set);
        } else if let Some(existing) = given {
            self.existing = Some(Arc::new(existing));
            self.existing_set = None;
        }
        self
    }

    /// Like [`ValidationBuilder::existing`], sharing the users between runs.
    /// The store is asked through [`ExistingUsers::same_values`] even when
    /// it is an [`ExistingSet`], which [`ValidationBuilder::existing`]
    /// asks cell by cell (the same answers, faster).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use usercsv::{ExistingSet, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let export = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
    /// let existing = Arc::new(ExistingSet::from_reader(&validator, export.as_bytes())?);
    /// for _ in 0..2 {
    ///     let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
    ///     let report = validator.validation().existing_shared(existing.clone()).validate(csv.as_bytes(), None)?;
    ///     assert_eq!(report.plan.unwrap().unchanged, 1);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn existing_shared(
        &mut self,
        existing: Arc<dyn ExistingUsers + Send + Sync>,
    ) -> &mut ValidationBuilder {
        self.existing = Some(existing);
        self.existing_set = None;
        self
    }

    /// Delta (default) or full sync; only used with existing users.
    ///
    /// ```
    /// use usercsv::{ExistingSet, Mode, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let export = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example.com,Alan,Turing\n";
    /// let existing = ExistingSet::from_reader(&validator, export.as_bytes())?;
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
    /// let (report, plan) = validator.validation().existing(existing).mode(Mode::Full)
    ///     .validate_with_plan(csv.as_bytes(), None)?;
    /// assert_eq!(report.plan.unwrap().archive, 1);
    /// assert_eq!(plan.unwrap().archive, ["alan@example.com"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mode(&mut self, mode: Mode) -> &mut ValidationBuilder {
        self.mode = mode;
        self
    }

    /// The mass-archive guard of a full sync.
    ///
    /// ```
    /// use usercsv::{ArchiveGuard, ExistingSet, Mode, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let export = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example.com,Alan,Turing\n";
    /// let existing = ExistingSet::from_reader(&validator, export.as_bytes())?;
    /// let guard = ArchiveGuard { max_percent: 10.0, max_count: 0, allow: false };
    /// let report = validator.validation().existing(existing).mode(Mode::Full).archive_guard(guard)
    ///     .validate("email,firstName,lastName\nada@example.com,Ada,Lovelace\n".as_bytes(), None)?;
    /// assert!(report.held.is_some()); // 50% and 1 user: held for an operator
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn archive_guard(&mut self, guard: ArchiveGuard) -> &mut ValidationBuilder {
        self.guard = guard;
        self
    }

    /// The upload id (default: [`generate_id`]).
    pub fn id(&mut self, id: impl Into<String>) -> &mut ValidationBuilder {
        self.id = Some(id.into());
        self
    }

    /// How many row errors the report keeps (default 1000); counts and the
    /// error CSV are never capped.
    pub fn max_errors(&mut self, max: usize) -> &mut ValidationBuilder {
        self.max_errors = max;
        self
    }

    /// Forces the delimiter (default: detected).
    pub fn delimiter(&mut self, delimiter: Option<u8>) -> &mut ValidationBuilder {
        self.reader.delimiter(delimiter);
        self
    }

    /// Forces the encoding (default: detected).
    pub fn encoding(&mut self, encoding: Option<Encoding>) -> &mut ValidationBuilder {
        self.reader.encoding(encoding);
        self
    }

    /// Sets the input limits.
    ///
    /// ```
    /// use usercsv::{Limits, Schema, Validator};
    ///
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example.com,Alan,Turing\n";
    /// let limits = Limits { max_rows: 1, ..Limits::default() };
    /// let result = Validator::new(&Schema::users())?.validation().limits(limits).validate(csv.as_bytes(), None);
    /// assert_eq!(result.unwrap_err().code(), "limit_exceeded");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn limits(&mut self, limits: Limits) -> &mut ValidationBuilder {
        self.reader.limits(limits);
        self
    }

    /// Guard formulas in the error CSV and remove the guard on re-read
    /// (default true).
    pub fn formula_guard(&mut self, yes: bool) -> &mut ValidationBuilder {
        self.formula_guard = yes;
        self.reader.formula_guard(yes);
        self
    }

    /// Publishes progress to this handle.
    ///
    /// ```
    /// use usercsv::{Progress, Schema, Validator};
    ///
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example.com,Alan,Turing\n";
    /// let progress = Progress::new();
    /// Validator::new(&Schema::users())?.validation().progress(progress.clone()).validate(csv.as_bytes(), None)?;
    /// assert_eq!(progress.rows(), 2);
    /// assert!(progress.is_finished());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn progress(&mut self, progress: Progress) -> &mut ValidationBuilder {
        self.progress = Some(progress);
        self
    }

    /// The input's length in bytes, when the host knows it (a file's size,
    /// an upload's `Content-Length`): a hint that lets a large run reserve
    /// its memory up front instead of growing it. It never changes the
    /// result; a wrong length costs only time or memory.
    ///
    /// ```
    /// use usercsv::{Schema, Validator};
    ///
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
    /// let report = Validator::new(&Schema::users())
    ///     .unwrap()
    ///     .validation()
    ///     .input_len(Some(csv.len() as u64))
    ///     .validate(csv.as_bytes(), None)
    ///     .unwrap();
    /// assert_eq!(report.rows.valid, 1);
    /// ```
    pub fn input_len(&mut self, len: Option<u64>) -> &mut ValidationBuilder {
        self.input_len = len;
        self
    }

    /// Stops the run between rows when the token is cancelled.
    ///
    /// ```
    /// use usercsv::{CancelToken, Schema, Validator};
    ///
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nalan@example.com,Alan,Turing\n";
    /// let cancel = CancelToken::new();
    /// cancel.cancel();
    /// let result = Validator::new(&Schema::users())?.validation().cancel_token(cancel).validate(csv.as_bytes(), None);
    /// assert_eq!(result.unwrap_err().code(), "cancelled");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancel_token(&mut self, cancel: CancelToken) -> &mut ValidationBuilder {
        self.cancel = Some(cancel);
        self
    }

    /// Threads [`ValidationBuilder::validate`] uses in all, the calling
    /// thread included (default 1). With more than one, the calling thread
    /// reads rows in batches and `threads - 1` worker threads check them;
    /// the calling thread then applies the in-order part (uniqueness, plan,
    /// counts, error CSV). The report and error CSV are the same byte for
    /// byte as with one thread. At most [`MAX_THREADS`](crate::MAX_THREADS)
    /// are used, and a thread the system refuses to start is done without.
    ///
    /// ```
    /// use usercsv::{Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nbad,Alan,Turing\n";
    /// let (mut one, mut four) = (Vec::new(), Vec::new());
    /// let a = validator.validation().id("u").validate(csv.as_bytes(), Some(&mut one))?;
    /// let b = validator.validation().id("u").threads(4).validate(csv.as_bytes(), Some(&mut four))?;
    /// assert_eq!((b.rows.valid, b.rows.invalid), (1, 1));
    /// assert_eq!((a.errors, one), (b.errors, four));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn threads(&mut self, threads: usize) -> &mut ValidationBuilder {
        self.threads = threads.clamp(1, MAX_THREADS);
        self
    }

    /// Reads the header and returns a run positioned at the first row, for
    /// streaming outcomes.
    pub fn from_reader<R: Read>(&self, input: R) -> Result<Validation<R>, Error> {
        let reader = self.reader.from_reader(input)?;
        let mut report = ValidationReport {
            id: self.id.clone().unwrap_or_else(generate_id),
            encoding: Some(reader.encoding()),
            delimiter: Some(
                delimiter_name(reader.delimiter())
                    .trim_matches('\'')
                    .to_string(),
            ),
            ..ValidationReport::default()
        };
        // Today is taken when the run starts, not when the schema was compiled.
        let fixed = self.validator.inner.fixed_today;
        let today = self.today.unwrap_or_else(|| {
            if fixed {
                self.validator.inner.today
            } else {
                chrono::Local::now().date_naive()
            }
        });
        let validator = match self.validator.inner.with_today(today) {
            Some(compiled) => Validator {
                inner: Arc::new(compiled),
            },
            None => self.validator.clone(),
        };
        let compiled = &validator.inner;
        let planner = self.existing.clone().map(|existing| {
            let set = self.existing_set.clone();
            Planner::new(self.mode, existing, set, compiled, self.guard)
        });
        let require_all = planner.as_ref().is_none_or(|p| !p.relaxes_required());
        let map = HeaderMap::new(compiled, reader.header(), require_all, &mut report.warnings)?;
        Ok(Validation {
            tally: Tally {
                planner,
                action: None,
                unique: UniqueColumns::new(
                    compiled,
                    self.reader.configured_limits().max_unique_bytes,
                ),
                report,
                max_errors: self.max_errors,
                progress: self.progress.clone(),
            },
            validator,
            reader,
            map: Arc::new(map),
            row: Row::default(),
            row_errors: Vec::new(),
            scratch: Scratch::default(),
            input_len: self.input_len,
            max_rows: self.reader.configured_limits().max_rows,
            cancel: self.cancel.clone(),
            formula_guard: self.formula_guard,
            failed: false,
        })
    }

    /// Validates the whole input; failed rows go to `error_csv` (nothing is
    /// written there when every row is valid).
    pub fn validate<R: Read>(
        &self,
        input: R,
        error_csv: Option<&mut dyn Write>,
    ) -> Result<ValidationReport, Error> {
        self.validate_with_plan(input, error_csv)
            .map(|(report, _)| report)
    }

    /// Like [`ValidationBuilder::validate`], also returning the plan (with
    /// the keys to archive) when existing users were given.
    pub fn validate_with_plan<R: Read>(
        &self,
        input: R,
        error_csv: Option<&mut dyn Write>,
    ) -> Result<(ValidationReport, Option<Plan>), Error> {
        let result = self.validate_inner(input, error_csv);
        if let Some(progress) = &self.progress {
            progress.finish();
        }
        result
    }

    fn validate_inner<R: Read>(
        &self,
        input: R,
        error_csv: Option<&mut dyn Write>,
    ) -> Result<(ValidationReport, Option<Plan>), Error> {
        let run = self.from_reader(input)?;
        let sink = ErrorSink::new(
            error_csv,
            run.reader.header().clone(),
            (run.reader.delimiter(), run.reader.line_ending()),
            self.formula_guard,
        );
        batch::validate(run, sink, self.threads)
    }
}
