//! The compiled rule set and the per-file header mapping.

use std::sync::Arc;

use ahash::AHashMap;
use chrono::NaiveDate;
use csv::StringRecord;

use crate::error::{Error, ErrorKind, SchemaError};
use crate::error_csv::{field_count_message, required_message};
use crate::report::{RowError, Warning};
use crate::row::{Row, trim_value};
use crate::rules::{ColumnRules, ErrorCode, Failure, Ymd};
use crate::schema::Schema;

/// A schema compiled for validation: regexes built, formats parsed, names
/// indexed. Cheap to clone and to share between threads.
///
/// ```
/// use usercsv::{Schema, Validator};
///
/// let validator = Validator::new(&Schema::users()).unwrap();
/// let mut errors_csv = Vec::new();
/// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\nnot-an-email,Alan,Turing\n";
/// let report = validator.validate_reader(csv.as_bytes(), Some(&mut errors_csv)).unwrap();
/// assert_eq!(report.rows.invalid, 1);
/// assert!(String::from_utf8(errors_csv).unwrap().contains("not-an-email,Alan,Turing,\"email: expected"));
/// ```
#[derive(Clone, Debug)]
pub struct Validator {
    pub(crate) inner: Arc<Compiled>,
}

#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    pub schema: Schema,
    pub columns: Vec<ColumnRules>,
    names: AHashMap<String, usize>,
    date_order: Vec<(usize, usize)>,
    required_if: Vec<(usize, usize)>,
    pub key: Option<usize>,
    /// Whether an ASCII key value is compared as it is: the key column
    /// ignores case and only folds case when normalised (an e-mail key), so
    /// its normalised key is its ASCII lower case.
    pub key_ascii_as_is: bool,
    /// Columns whose parsed dates cross-field rules need.
    date_needed: Vec<bool>,
    /// The date `not_in_future` compares with, and whether
    /// [`ValidatorBuilder::today`] fixed it (else each run sets its own).
    pub today: NaiveDate,
    pub fixed_today: bool,
}

/// Options fixed when a schema is compiled.
///
/// ```
/// use usercsv::{Schema, ValidatorBuilder};
/// use chrono::NaiveDate;
///
/// let validator = ValidatorBuilder::new()
///     .today(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap())
///     .phone_region(Some("NL"))
///     .build(&Schema::users())
///     .unwrap();
/// assert_eq!(validator.schema().column("businessMobilePhone").unwrap().phone.as_ref().unwrap().default_region.as_deref(), Some("NL"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ValidatorBuilder {
    today: Option<NaiveDate>,
    phone_region: Option<String>,
}

impl ValidatorBuilder {
    /// Defaults: today is the local date when each run starts, regions as
    /// in the schema.
    pub fn new() -> ValidatorBuilder {
        ValidatorBuilder::default()
    }

    /// Fixes the date `not_in_future` compares with for every run (default:
    /// the local date when each run starts;
    /// [`ValidationBuilder::today`](crate::ValidationBuilder::today) sets it for one run).
    pub fn today(&mut self, today: NaiveDate) -> &mut ValidatorBuilder {
        self.today = Some(today);
        self
    }

    /// Overrides the default region of every phone rule.
    pub fn phone_region(&mut self, region: Option<&str>) -> &mut ValidatorBuilder {
        self.phone_region = region.map(str::to_string);
        self
    }

    /// Compiles the schema; every schema problem is reported here.
    pub fn build(&self, schema: &Schema) -> Result<Validator, SchemaError> {
        let mut schema = schema.clone();
        if let Some(region) = &self.phone_region {
            schema.set_phone_region(region);
        }
        let today = self
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let mut compiled = Compiled::new(schema, today)?;
        compiled.fixed_today = self.today.is_some();
        let validator = Validator {
            inner: Arc::new(compiled),
        };
        validator.check_template()?;
        Ok(validator)
    }
}

/// Lower-cases and drops spaces, `-`, `_` and `.`, so that `E-mail`,
/// `e_mail` and ` Email ` all name the same column.
///
/// ```
/// assert_eq!(usercsv::normalize_header("  E-mail Address "), "emailaddress");
/// assert_eq!(usercsv::normalize_header("firstName"), "firstname");
/// ```
pub fn normalize_header(name: &str) -> String {
    trim_value(name)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

impl Compiled {
    fn new(schema: Schema, today: NaiveDate) -> Result<Compiled, SchemaError> {
        if schema.columns.is_empty() {
            return Err(SchemaError::NoColumns);
        }
        let mut columns = schema
            .columns
            .iter()
            .map(|c| ColumnRules::compile(c, today))
            .collect::<Result<Vec<_>, _>>()?;
        let mut names: AHashMap<String, usize> = AHashMap::new();
        for (i, column) in schema.columns.iter().enumerate() {
            for name in std::iter::once(&column.name).chain(&column.aliases) {
                let key = normalize_header(name);
                if key == "errors" {
                    return Err(SchemaError::rule(
                        &column.name,
                        "\"errors\" is reserved for the error CSV's messages",
                    ));
                }
                if key.is_empty() {
                    return Err(SchemaError::rule(
                        &column.name,
                        "empty column name or alias",
                    ));
                }
                if let Some(&other) = names.get(&key)
                    && other != i
                {
                    return Err(SchemaError::AmbiguousName {
                        name: name.clone(),
                        first: schema.columns[other].name.clone(),
                        second: column.name.clone(),
                    });
                }
                names.insert(key, i);
            }
        }
        let index = |rule: &str, name: &str| -> Result<usize, SchemaError> {
            schema
                .columns
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| SchemaError::UnknownColumn {
                    rule: rule.to_string(),
                    column: name.to_string(),
                })
        };
        let mut date_needed = vec![false; columns.len()];
        let mut date_order = Vec::new();
        for rule in &schema.date_order {
            let (earlier, later) = (
                index("date_order", &rule.earlier)?,
                index("date_order", &rule.later)?,
            );
            for &i in &[earlier, later] {
                if columns[i].date.is_none() {
                    return Err(SchemaError::rule(
                        &columns[i].name,
                        "date_order needs a date rule on both columns",
                    ));
                }
                date_needed[i] = true;
            }
            date_order.push((earlier, later));
            // A derived example of the later column follows the earlier one,
            // so that the template row keeps the order.
            let parse = |c: &ColumnRules| c.date.as_ref()?.check(trim_value(&c.example)).ok();
            if schema.columns[later].example.is_none()
                && let (Some(after), Some(before)) =
                    (parse(&columns[earlier]), parse(&columns[later]))
                && before < after
                && let Some(check) = &columns[later].date
            {
                let example = check.example_on_or_after(after);
                if columns[later].fails(&example).is_none() {
                    columns[later].example = example;
                }
            }
        }
        let required_if = schema
            .required_if
            .iter()
            .map(|r| {
                Ok((
                    index("required_if", &r.column)?,
                    index("required_if", &r.when)?,
                ))
            })
            .collect::<Result<Vec<_>, SchemaError>>()?;
        let key = match &schema.key {
            None => None,
            Some(name) => {
                let i = index("key", name)?;
                if !columns[i].required || columns[i].unique.is_none() {
                    return Err(SchemaError::rule(
                        name,
                        "the key column must be required and unique",
                    ));
                }
                Some(i)
            }
        };
        let key_ascii_as_is = key.is_some_and(|k| {
            let rules = &columns[k];
            rules.unique == Some(true)
                && rules.phone.is_none()
                && rules.date.is_none()
                && rules.one_of.is_none()
        });
        Ok(Compiled {
            schema,
            columns,
            names,
            date_order,
            required_if,
            key,
            key_ascii_as_is,
            date_needed,
            today,
            fixed_today: false,
        })
    }

    /// A copy whose `not_in_future` rules compare with `today`; `None` when
    /// no rule depends on the date, or it is `today` already.
    pub fn with_today(&self, today: NaiveDate) -> Option<Compiled> {
        let uses_today = self
            .columns
            .iter()
            .any(|c| c.date.as_ref().is_some_and(|d| d.uses_today()));
        if today == self.today || !uses_today {
            return None;
        }
        let mut copy = self.clone();
        copy.today = today;
        for column in &mut copy.columns {
            if let Some(date) = &mut column.date {
                date.set_today(today);
            }
        }
        Some(copy)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .or_else(|| self.names.get(&normalize_header(name)).copied())
    }
}

impl Validator {
    /// Compiles a schema with default options.
    pub fn new(schema: &Schema) -> Result<Validator, SchemaError> {
        ValidatorBuilder::new().build(schema)
    }

    /// The schema, as compiled (with any region override applied).
    pub fn schema(&self) -> &Schema {
        &self.inner.schema
    }

    /// The compiled rules of a schema column (by name or alias).
    pub(crate) fn column_rules(&self, column: &str) -> Option<&ColumnRules> {
        Some(&self.inner.columns[self.inner.column_index(column)?])
    }

    /// Checks one value against a column's rules, as in a row: the list of
    /// failures as `(code, message)`, empty when the value passes.
    /// Cross-field and uniqueness rules are not applied. A column the schema
    /// does not know (by name or alias) is an error.
    ///
    /// ```
    /// use usercsv::{ErrorCode, Schema, Validator};
    /// let v = Validator::new(&Schema::users()).unwrap();
    /// assert!(v.check_value("language", "NL")?.is_empty());
    /// let errs = v.check_value("businessMobilePhone", "+31 20 123 4567")?;
    /// assert_eq!(errs[0].0, ErrorCode::PhoneNotMobile);
    /// let err = v.check_value("shoeSize", "38").unwrap_err();
    /// assert_eq!(err.to_string(), "the schema has no column \"shoeSize\"");
    /// # Ok::<(), usercsv::UnknownColumn>(())
    /// ```
    pub fn check_value(
        &self,
        column: &str,
        value: &str,
    ) -> Result<Vec<(ErrorCode, String)>, UnknownColumn> {
        let Some(i) = self.inner.column_index(column) else {
            return Err(UnknownColumn {
                column: column.to_string(),
            });
        };
        let rules = &self.inner.columns[i];
        let trimmed = trim_value(value);
        let mut out = Vec::new();
        if trimmed.is_empty() {
            if rules.required {
                out.push((ErrorCode::Required, required_message(&rules.name)));
            }
        } else {
            rules.check(trimmed, |f| {
                out.push((f.code, format!("{}: {}", rules.name, f.detail)))
            });
        }
        Ok(out)
    }

    /// The canonical form of a value of a column (E.164 phone, then
    /// `;ext=` and the extension when it has one; ISO date; lower-case
    /// e-mail), or the trimmed value when no rule normalises it.
    ///
    /// ```
    /// let v = usercsv::Validator::new(&usercsv::Schema::users()).unwrap();
    /// assert_eq!(v.normalize("businessMobilePhone", " +31 6 12345678 ").unwrap(), "+31612345678");
    /// assert_eq!(v.normalize("email", "Ada@Example.com").unwrap(), "ada@example.com");
    /// ```
    pub fn normalize(&self, column: &str, value: &str) -> Option<String> {
        let i = self.inner.column_index(column)?;
        Some(
            self.inner.columns[i]
                .normalize(trim_value(value))
                .into_owned(),
        )
    }

    /// A template CSV: the header in schema order and one example row that
    /// passes the schema.
    ///
    /// ```
    /// use usercsv::{Schema, Validator};
    /// let v = Validator::new(&Schema::users()).unwrap();
    /// let template = v.template_csv();
    /// let report = v.validate_reader(template.as_bytes(), None).unwrap();
    /// assert!(report.is_valid());
    /// assert_eq!(report.rows.valid, 1);
    /// ```
    pub fn template_csv(&self) -> String {
        let mut out = csv::Writer::from_writer(Vec::new());
        let header: Vec<&str> = self.inner.columns.iter().map(|c| c.name.as_str()).collect();
        let row: Vec<String> = self
            .inner
            .columns
            .iter()
            .zip(&self.inner.schema.columns)
            .map(|(rules, column)| rules.example(column.example.as_deref()))
            .collect();
        // Writing to a Vec cannot fail.
        let _ = out.write_record(&header);
        let _ = out.write_record(&row);
        String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

impl Validator {
    /// Where schema column `column` (its name or an alias, matched as an
    /// upload's header is: any case, spacing and punctuation) is in
    /// `header`, e.g. [`Reader::header`](crate::Reader::header): resolve it
    /// once, then read each row's field with [`Row::get`](crate::Row::get).
    /// `None` when `column` is not in the schema or not in `header`.
    ///
    /// ```
    /// use usercsv::{ReaderBuilder, Schema, Validator};
    ///
    /// let validator = Validator::new(&Schema::users())?;
    /// let csv = "E-mail;Mobile phone\nada@example.com;+31 6 12345678\n";
    /// let mut reader = ReaderBuilder::new().from_reader(csv.as_bytes())?;
    /// let phone = validator.column_index(reader.header(), "businessMobilePhone");
    /// assert_eq!(phone, Some(1));
    /// let row = reader.rows().next().unwrap()?;
    /// assert_eq!(phone.and_then(|i| row.get(i)), Some("+31 6 12345678"));
    /// assert_eq!(validator.column_index(reader.header(), "startDate"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn column_index(&self, header: &StringRecord, column: &str) -> Option<usize> {
        let c = *self.inner.names.get(&normalize_header(column))?;
        header
            .iter()
            .position(|h| self.inner.names.get(&normalize_header(h)) == Some(&c))
    }

    /// Refuses a schema whose template row fails the schema: each column's
    /// example passed its own rules when compiled, so what is left is a
    /// cross-field rule (dates out of order, a `required_if` left empty).
    fn check_template(&self) -> Result<(), SchemaError> {
        let first = &self.inner.columns[0].name;
        let report = self
            .validation()
            .id("template")
            .validate(self.template_csv().as_bytes(), None)
            .map_err(|err| {
                SchemaError::rule(first, format!("the template cannot be read back: {err}"))
            })?;
        let Some(error) = report.errors.first() else {
            return Ok(());
        };
        let column = error.column.as_deref().unwrap_or(first);
        let detail = error
            .message
            .strip_prefix(&format!("{column}: "))
            .unwrap_or(&error.message);
        Err(SchemaError::rule(
            column,
            format!(
                "the example \"{}\" fails the {} rule: {detail}",
                error.value.as_deref().unwrap_or(""),
                error.code
            ),
        ))
    }
}

/// A column name the schema does not know, by name or alias; from
/// [`Validator::check_value`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the schema has no column \"{column}\"")]
#[non_exhaustive]
pub struct UnknownColumn {
    /// The name as given.
    pub column: String,
}

/// How one file's header maps to the schema.
#[derive(Clone, Debug)]
pub(crate) struct HeaderMap {
    /// For each schema column, its index in the file.
    pub file_index: Vec<Option<usize>>,
    /// For each file column, the schema column it is (the inverse).
    pub schema_index: Vec<Option<usize>>,
    /// For each schema column, its name as the file spells it.
    pub display: Vec<String>,
    /// Number of fields in the header.
    pub width: usize,
}

impl HeaderMap {
    /// Maps a header; `require_all` makes every required column mandatory
    /// (otherwise only the key column is, as in delta uploads).
    pub fn new(
        compiled: &Compiled,
        header: &StringRecord,
        require_all: bool,
        warnings: &mut Vec<Warning>,
    ) -> Result<HeaderMap, Error> {
        let mut file_index = vec![None; compiled.columns.len()];
        let mut seen: AHashMap<String, usize> = AHashMap::new();
        for (i, raw) in header.iter().enumerate() {
            let key = normalize_header(raw);
            if key.is_empty() {
                warnings.push(Warning::unnamed_column(i + 1));
                continue;
            }
            if let Some(&first) = seen.get(&key) {
                let column = compiled
                    .names
                    .get(&key)
                    .map(|&c| compiled.columns[c].name.clone())
                    .unwrap_or_else(|| trim_value(raw).to_string());
                return Err(Error::new(ErrorKind::DuplicateColumn {
                    column,
                    first: first + 1,
                    second: i + 1,
                }));
            }
            seen.insert(key.clone(), i);
            match compiled.names.get(&key) {
                Some(&c) => {
                    if let Some(first) = file_index[c] {
                        return Err(Error::new(ErrorKind::DuplicateColumn {
                            column: compiled.columns[c].name.clone(),
                            first: first + 1,
                            second: i + 1,
                        }));
                    }
                    file_index[c] = Some(i);
                }
                // A user's own `errors` column (the reader dropped this tool's).
                None if key == "errors" => {
                    warnings.push(Warning::errors_column_ignored(trim_value(raw), i + 1))
                }
                None => warnings.push(Warning::unknown_column(trim_value(raw), i + 1)),
            }
        }
        let missing: Vec<String> = compiled
            .columns
            .iter()
            .enumerate()
            .filter(|&(c, rules)| {
                file_index[c].is_none()
                    && (if require_all {
                        rules.required
                    } else {
                        compiled.key == Some(c)
                    })
            })
            .map(|(_, rules)| rules.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(Error::new(ErrorKind::MissingColumns {
                missing,
                found: header.iter().map(|h| trim_value(h).to_string()).collect(),
            }));
        }
        let display = compiled
            .columns
            .iter()
            .enumerate()
            .map(|(c, rules)| match file_index[c] {
                Some(i) => trim_value(&header[i]).to_string(),
                None => rules.name.clone(),
            })
            .collect();
        let mut schema_index = vec![None; header.len()];
        for (c, i) in file_index.iter().enumerate() {
            if let Some(i) = *i {
                schema_index[i] = Some(c);
            }
        }
        Ok(HeaderMap {
            file_index,
            schema_index,
            display,
            width: header.len(),
        })
    }

    /// The trimmed value of schema column `c` in `row` ("" when absent).
    #[inline]
    pub fn value<'r>(&self, row: &'r Row, c: usize) -> &'r str {
        self.file_index[c]
            .and_then(|i| row.get(i))
            .map(trim_value)
            .unwrap_or("")
    }

    /// The raw value of schema column `c` in `row`.
    #[inline]
    pub fn raw<'r>(&self, row: &'r Row, c: usize) -> Option<&'r str> {
        self.file_index[c].and_then(|i| row.get(i))
    }
}

/// Per-row scratch space reused between rows.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Parsed dates, rows × columns.
    dates: Vec<Option<Ymd>>,
    /// Whether each row has as many fields as the header.
    whole: Vec<bool>,
    /// The (empty) allocation of the trimmed cells, rows × columns.
    cells: Vec<&'static str>,
}

/// `cells` emptied, with its allocation kept and its lifetime changed
/// (an in-place `collect` of nothing).
fn recycle<'to>(mut cells: Vec<&str>) -> Vec<&'to str> {
    cells.clear();
    cells.into_iter().map(|_| "").collect()
}

impl Compiled {
    /// Whether the key column holds e-mail addresses, whose domains have
    /// two spellings under IDNA ([`other_domain_forms`](crate::rules::other_domain_forms)).
    pub(crate) fn key_is_email(&self) -> bool {
        self.key.is_some_and(|k| self.columns[k].email.is_some())
    }

    /// The error of a row whose key names existing user `stored` in
    /// another spelling ([`Planner::other_spelling`](crate::plan::Planner::other_spelling)).
    pub(crate) fn key_spelling_error(
        &self,
        map: &HeaderMap,
        row: &Row,
        stored: &str,
        errors: &mut Vec<RowError>,
    ) {
        let Some(key) = self.key else {
            return;
        };
        let detail = format!(
            "expected \"{stored}\", the address of an existing user, found \"{}\", the same mailbox with its domain written another way (a label starting \"xn--\" is the ASCII form of one with accents or other letters); write the existing user's address",
            map.value(row, key)
        );
        let failure = Failure::new(ErrorCode::KeySpelling, detail);
        errors.push(self.row_error(map, row, key, failure));
    }

    pub(crate) fn row_error(
        &self,
        map: &HeaderMap,
        row: &Row,
        c: usize,
        failure: Failure,
    ) -> RowError {
        let pos = row.position();
        RowError {
            row: pos.row,
            line: pos.line,
            column: Some(self.columns[c].name.clone()),
            code: failure.code,
            message: [map.display[c].as_str(), ": ", &failure.detail].concat(),
            value: map.raw(row, c).map(str::to_string),
        }
    }

    /// The stateless checks of one row: field count, every column's rules,
    /// cross-field rules. `relax_required` relaxes `required` for columns
    /// other than the key (delta updates).
    pub fn check_row(
        &self,
        map: &HeaderMap,
        row: &Row,
        errors: &mut Vec<RowError>,
        scratch: &mut Scratch,
        relax_required: bool,
    ) {
        self.check_rows(
            map,
            std::slice::from_ref(row),
            std::slice::from_mut(errors),
            scratch,
            relax_required,
        );
    }

    /// [`Compiled::check_row`] for many rows, column by column so that each
    /// rule's code and tables (a region's phone automaton, say) stay in the
    /// cache across the rows; each row gets the same errors in the same
    /// order. `errors[i]` is replaced by the errors of `rows[i]`.
    pub fn check_rows(
        &self,
        map: &HeaderMap,
        rows: &[Row],
        errors: &mut [Vec<RowError>],
        scratch: &mut Scratch,
        relax_required: bool,
    ) {
        let columns = self.columns.len();
        scratch.whole.clear();
        // Row by row first, while each row's fields are in the L1 cache: the
        // trimmed cells, column after column, so that each rule then runs
        // over one column's cells without chasing each row's record again.
        let n = rows.len();
        let mut cells: Vec<&str> = recycle(std::mem::take(&mut scratch.cells));
        cells.resize(n * columns, "");
        for (i, (row, errors)) in rows.iter().zip(errors.iter_mut()).enumerate() {
            errors.clear();
            let whole = row.len() == map.width;
            if whole {
                // In file order: each field is cut once from the row's
                // text. Schema columns the file lacks stay "".
                for (field, c) in row.fields().zip(&map.schema_index) {
                    if let Some(c) = *c {
                        cells[c * n + i] = trim_value(field);
                    }
                }
            } else {
                let pos = row.position();
                errors.push(RowError {
                    row: pos.row,
                    line: pos.line,
                    column: None,
                    code: ErrorCode::FieldCount,
                    message: field_count_message(row.len(), map.width),
                    value: None,
                });
            }
            scratch.whole.push(whole);
        }
        scratch.dates.clear();
        scratch.dates.resize(n * columns, None);
        for (c, rules) in self.columns.iter().enumerate() {
            let column = &cells[c * n..(c + 1) * n];
            let required = rules.required && (!relax_required || self.key == Some(c));
            if required {
                for (i, (row, errors)) in rows.iter().zip(errors.iter_mut()).enumerate() {
                    if column[i].is_empty() && scratch.whole[i] {
                        errors.push(self.row_error(
                            map,
                            row,
                            c,
                            Failure::new(
                                ErrorCode::Required,
                                "required, but the cell is empty".into(),
                            ),
                        ));
                    }
                }
            }
            let date_needed = self.date_needed[c];
            let dates = &mut scratch.dates;
            rules.check_many(
                column,
                |i, f| errors[i].push(self.row_error(map, &rows[i], c, f)),
                |i, date| {
                    if date_needed {
                        dates[i * columns + c] = Some(date);
                    }
                },
            );
        }
        scratch.cells = recycle(cells);
        for (i, (row, errors)) in rows.iter().zip(errors.iter_mut()).enumerate() {
            if scratch.whole[i] {
                let dates = &scratch.dates[i * columns..(i + 1) * columns];
                self.check_cross_field(map, row, dates, errors);
            }
        }
    }

    /// The cross-field rules of one row, given its parsed dates by column.
    fn check_cross_field(
        &self,
        map: &HeaderMap,
        row: &Row,
        dates: &[Option<Ymd>],
        errors: &mut Vec<RowError>,
    ) {
        for &(earlier, later) in &self.date_order {
            if let (Some(a), Some(b)) = (dates[earlier], dates[later])
                && b < a
            {
                let detail = format!(
                    "\"{}\" is before {} \"{}\"; expected a date on or after it",
                    map.value(row, later),
                    map.display[earlier],
                    map.value(row, earlier)
                );
                errors.push(self.row_error(
                    map,
                    row,
                    later,
                    Failure::new(ErrorCode::DateOrder, detail),
                ));
            }
        }
        for &(column, when) in &self.required_if {
            if map.value(row, column).is_empty() && !map.value(row, when).is_empty() {
                let detail = format!(
                    "required when {} is filled, but the cell is empty",
                    map.display[when]
                );
                errors.push(self.row_error(
                    map,
                    row,
                    column,
                    Failure::new(ErrorCode::RequiredIf, detail),
                ));
            }
        }
    }

    /// A new user's `required` errors in a delta plan, which relaxes
    /// required columns for existing users: only the plan knows the user is
    /// new, so the run asks for these after its lookup.
    pub fn check_required_for_new_user(
        &self,
        map: &HeaderMap,
        row: &Row,
        errors: &mut Vec<RowError>,
    ) {
        for (c, rules) in self.columns.iter().enumerate() {
            if rules.required && Some(c) != self.key && map.value(row, c).is_empty() {
                let detail = if map.file_index[c].is_none() {
                    "required for a new user, but the file has no such column"
                } else {
                    "required for a new user, but the cell is empty"
                };
                let failure = Failure::new(ErrorCode::Required, detail.to_string());
                errors.push(self.row_error(map, row, c, failure));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycled_cells_keep_their_allocation() {
        let mut cells: Vec<&'static str> = Vec::with_capacity(64);
        cells.push("x");
        let (capacity, at) = (cells.capacity(), cells.as_ptr() as usize);
        let owned = String::from("y");
        let mut borrowed: Vec<&str> = recycle(cells);
        assert!(borrowed.is_empty());
        borrowed.push(&owned);
        let back: Vec<&'static str> = recycle(borrowed);
        assert_eq!((back.capacity(), back.as_ptr() as usize), (capacity, at));
    }

    #[test]
    fn key_must_be_required_and_unique() {
        let schema = Schema::builder()
            .key("code")
            .column(crate::Column::new("code").required())
            .build();
        let err = Validator::new(&schema).unwrap_err();
        assert_eq!(
            err.to_string(),
            "column \"code\": the key column must be required and unique"
        );
        let schema = Schema::builder()
            .key("nope")
            .column(crate::Column::new("code"))
            .build();
        assert_eq!(
            Validator::new(&schema).unwrap_err().code(),
            "schema_unknown_column"
        );
    }

    #[test]
    fn ambiguous_aliases() {
        let schema = Schema::builder()
            .column(crate::Column::new("email").alias("mail"))
            .column(crate::Column::new("e_mail"))
            .build();
        assert_eq!(
            Validator::new(&schema).unwrap_err().code(),
            "schema_ambiguous_name"
        );
    }

    #[test]
    fn date_order_needs_dates() {
        let schema = Schema::builder()
            .column(crate::Column::new("a"))
            .column(crate::Column::new("b"))
            .date_order("a", "b")
            .build();
        assert!(Validator::new(&schema).is_err());
    }
}
