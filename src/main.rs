//! The `usercsv` command line: a thin layer over the library.

#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use usercsv::{
    ArchiveGuard, Encoding, ErrorCsvDelivery, ErrorKind, ExistingSet, Mode, Plan, Progress,
    ReaderBuilder, Schema, SchemaError, ValidationReport, Validator, ValidatorBuilder,
};

mod outputs;
use outputs::{LazyOut, Output, Paths};

/// Validate bulk user CSV uploads.
#[derive(Parser, Debug)]
#[command(name = "usercsv", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate a CSV file (or `-` for standard input).
    ///
    /// Exit status: 0 every row valid, 1 some rows invalid or a full sync
    /// held by the mass-archive guard, 2 a file-level error, a bad schema or
    /// bad usage.
    Validate(ValidateArgs),
    /// Print a template CSV: the header and one example row that passes.
    Template {
        #[command(flatten)]
        schema: SchemaArgs,
        /// Write to this file instead of standard output (`-`: standard output).
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
    },
    /// Print the preparation guide for admins, generated from the schema.
    Guide {
        #[command(flatten)]
        schema: SchemaArgs,
        /// Output format: `md` (Markdown) or `html`.
        #[arg(long, default_value = "md")]
        format: usercsv::GuideFormat,
        /// Write to this file instead of standard output (`-`: standard output).
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
    },
    /// Print the effective schema, to start a custom one from.
    Schema {
        #[command(flatten)]
        schema: SchemaArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = SchemaFormat::Toml)]
        format: SchemaFormat,
    },
}

#[derive(clap::Args, Debug)]
struct SchemaArgs {
    /// Schema file (TOML, or JSON); the built-in user schema when absent.
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Default region (ISO 3166 alpha-2, e.g. NL) of every phone rule.
    #[arg(long, value_name = "CC")]
    region: Option<String>,
}

#[derive(clap::Args, Debug)]
struct ValidateArgs {
    /// The CSV file, or `-` for standard input.
    input: PathBuf,
    #[command(flatten)]
    schema: SchemaArgs,
    /// Upload id; the error CSV is named after it. Generated when absent.
    #[arg(long)]
    id: Option<String>,
    /// Where to write the error CSV (default `<id>.csv`; `-`: standard
    /// output); written only when rows fail, removed otherwise.
    #[arg(long, value_name = "PATH")]
    errors_out: Option<PathBuf>,
    /// Also write the JSON report to this file (`-`: standard output).
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Delimiter: one character, or `tab`; detected when absent.
    #[arg(long, value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Input encoding (utf-8, utf-16le, utf-16be, windows-1252); detected when absent.
    #[arg(long)]
    encoding: Option<Encoding>,
    /// How many row errors the report lists (counts stay exact).
    #[arg(long, default_value_t = 1000)]
    max_errors: usize,
    /// Threads in all (default: every core the machine offers; 1 =
    /// single-threaded). The outputs are the same byte for byte.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Do not prefix formula-like cells with `'` in the error CSV.
    #[arg(long)]
    no_formula_guard: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// CSV export of the current users (key column plus any schema columns):
    /// plan creates, updates and archives against it.
    #[arg(long, value_name = "FILE")]
    existing: Option<PathBuf>,
    /// `delta` (default: create and update only) or `full` (also archive
    /// existing users missing from the file); needs --existing.
    #[arg(long, value_enum)]
    mode: Option<ModeArg>,
    /// Full mode: write the existing users' rows to archive to this file
    /// (`-`: standard output); just the header when nobody is archived;
    /// removed when no plan was made (a held sync, a file-level error).
    #[arg(long, value_name = "PATH")]
    archive_out: Option<PathBuf>,
    /// Mass-archive guard: refuse to archive more than this percentage (0 to 100) of users...
    #[arg(long, value_name = "P", default_value_t = 10.0, value_parser = parse_percent)]
    max_archive_percent: f64,
    /// ...and more than this many users.
    #[arg(long, value_name = "N", default_value_t = 10)]
    max_archive_count: u64,
    /// Plan the archive even when the guard would refuse it.
    #[arg(long)]
    allow_mass_archive: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ModeArg {
    /// Create and update; never archive.
    Delta,
    /// Create, update, and archive existing users missing from the file.
    Full,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutputFormat {
    /// The notification e-mail (subject and body).
    Text,
    /// The JSON report.
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SchemaFormat {
    Toml,
    Json,
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "TAB" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() && !matches!(text, "\"" | "\r" | "\n") => {
            Ok(text.as_bytes()[0])
        }
        _ => Err(format!(
            "expected one ASCII character other than a quote or a line break (or `tab`), found {text:?}"
        )),
    }
}

/// A percentage from 0 to 100: `nan` or `inf` would turn the guard off.
fn parse_percent(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "expected a percentage from 0 to 100, found \"{text}\""
        )),
    }
}

/// A failure that ends the command with exit status 2.
struct Fatal(String);

impl From<io::Error> for Fatal {
    fn from(err: io::Error) -> Fatal {
        Fatal(err.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate(args),
        Command::Template { schema, output } => template(&schema, output.as_deref()),
        Command::Schema { schema, format } => print_schema(&schema, format),
        Command::Guide {
            schema,
            format,
            output,
        } => guide(&schema, format, output.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(Fatal(message)) => {
            eprintln!("usercsv: error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Loads the schema file (or the built-in schema), with `--region` applied.
fn load_schema(args: &SchemaArgs) -> Result<Schema, Fatal> {
    let mut schema = match &args.schema {
        None => Schema::users(),
        Some(path) => {
            let text = fs::read_to_string(path)
                .map_err(|e| Fatal(format!("cannot read schema file {}: {e}", path.display())))?;
            let parsed = if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            {
                Schema::from_json_str(&text)
            } else {
                Schema::from_str_auto(&text)
            };
            let schema = parsed.map_err(|e| schema_error(path, &text, &e))?;
            // Compile once here so rule errors also name the file.
            Validator::new(&schema).map_err(|e| schema_error(path, &text, &e))?;
            schema
        }
    };
    if let Some(region) = &args.region {
        schema.set_phone_region(region);
    }
    Ok(schema)
}

fn compile(args: &SchemaArgs) -> Result<Validator, Fatal> {
    let schema = load_schema(args)?;
    ValidatorBuilder::new()
        .build(&schema)
        .map_err(|e| match &args.region {
            Some(region) if e.to_string().contains("region") => {
                Fatal(format!("--region {region}: {e}"))
            }
            _ => Fatal(format!("schema: {e}")),
        })
}

/// Names the file and, where the parser did not, the line that defines the
/// column the error is about.
fn schema_error(path: &Path, text: &str, err: &SchemaError) -> Fatal {
    let line = match err {
        SchemaError::Syntax { .. } => None,
        SchemaError::InvalidRule { column, .. } => column_line(text, column),
        SchemaError::UnknownColumn { column, .. } => text
            .lines()
            .position(|l| l.contains(&format!("\"{column}\"")))
            .map(|i| i + 1),
        _ => None,
    };
    match line {
        Some(line) => Fatal(format!(
            "invalid schema file {} (line {line}): {err} [{}]",
            path.display(),
            err.code()
        )),
        None => Fatal(format!(
            "invalid schema file {}: {err} [{}]",
            path.display(),
            err.code()
        )),
    }
}

fn column_line(text: &str, column: &str) -> Option<usize> {
    let quoted = format!("\"{column}\"");
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            (l.starts_with("name") || l.contains("\"name\"")) && l.contains(&quoted)
        })
        .map(|i| i + 1)
}

/// Checks `-o` against `--schema` before anything is read.
fn checked_output(schema: &SchemaArgs, output: Option<&Path>) -> Result<Option<Output>, Fatal> {
    let Some(path) = output else {
        return Ok(None);
    };
    let mut paths = Paths::default();
    if let Some(file) = &schema.schema {
        paths.input(format!("--schema {}", file.display()), file);
    }
    paths.output(format!("-o {}", path.display()), path);
    let output = paths.check().map_err(Fatal)?.pop();
    outputs::remove_on_signal();
    Ok(output)
}

/// Writes a whole text to `-o` (replacing the file only once it is complete)
/// or to standard output.
fn write_text(output: Option<&Output>, text: &str) -> Result<(), Fatal> {
    match output {
        Some(out) => out
            .write(text.as_bytes())
            .map_err(|e| Fatal(format!("cannot write {}: {e}", out.label()))),
        None => Ok(io::stdout().write_all(text.as_bytes())?),
    }
}

fn template(schema: &SchemaArgs, output: Option<&Path>) -> Result<ExitCode, Fatal> {
    let output = checked_output(schema, output)?;
    let validator = compile(schema)?;
    write_text(output.as_ref(), &validator.template_csv())?;
    Ok(ExitCode::SUCCESS)
}

fn guide(
    schema: &SchemaArgs,
    format: usercsv::GuideFormat,
    output: Option<&Path>,
) -> Result<ExitCode, Fatal> {
    let output = checked_output(schema, output)?;
    let validator = compile(schema)?;
    write_text(output.as_ref(), &usercsv::render_guide(&validator, format))?;
    Ok(ExitCode::SUCCESS)
}

fn print_schema(args: &SchemaArgs, format: SchemaFormat) -> Result<ExitCode, Fatal> {
    let validator = compile(args)?;
    let text = match format {
        SchemaFormat::Toml => validator.schema().to_toml(),
        SchemaFormat::Json => validator.schema().to_json() + "\n",
    };
    io::stdout().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Every core the machine offers (1 when it cannot tell).
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn validate(args: ValidateArgs) -> Result<ExitCode, Fatal> {
    if args.existing.is_none() {
        if matches!(args.mode, Some(ModeArg::Full)) {
            return Err(Fatal(
                "--mode full needs --existing FILE (the current users)".into(),
            ));
        }
        if args.archive_out.is_some() {
            return Err(Fatal(
                "--archive-out needs --existing FILE and --mode full".into(),
            ));
        }
    }
    let id = match args.id.clone() {
        Some(id) if is_safe_id(&id) => id,
        Some(id) => {
            return Err(Fatal(format!(
                "--id \"{id}\": use letters, digits, '-', '_' and '.' only (it names the error CSV)"
            )));
        }
        None => usercsv::generate_id(),
    };
    let outputs = check_paths(&args, &id)?;
    let (errors_out, report_out, archive_out) = outputs;
    // From here on the run owns its outputs: what a previous run left there
    // is removed, and each is written again only with this run's result.
    outputs::remove_on_signal();
    for out in [Some(&errors_out), report_out.as_ref(), archive_out.as_ref()]
        .into_iter()
        .flatten()
    {
        out.own().map_err(Fatal)?;
    }
    // The notification never mixes with an output on standard output.
    let text_to_stderr = [Some(&errors_out), report_out.as_ref(), archive_out.as_ref()]
        .into_iter()
        .flatten()
        .any(Output::is_stdout);
    let emit = |report: &ValidationReport| {
        emit(
            &args,
            report_out.as_ref(),
            text_to_stderr,
            &errors_out,
            report,
        )
    };

    let validator = compile(&args.schema)?;
    let (input, total): (Box<dyn Read + Send>, Option<u64>) = if args.input.as_os_str() == "-" {
        (Box::new(io::stdin()), None)
    } else {
        let file = File::open(&args.input)
            .map_err(|e| Fatal(format!("cannot open {}: {e}", args.input.display())))?;
        let size = file.metadata().ok().map(|m| m.len());
        // Unbuffered: the reader reads in blocks into its own buffer.
        (Box::new(file), size)
    };

    let progress = Progress::new();
    progress.set_total_bytes(total);
    let bar =
        (!args.quiet && io::stderr().is_terminal()).then(|| spawn_progress_bar(progress.clone()));

    let mut builder = validator.validation();
    builder
        .id(id.clone())
        .max_errors(args.max_errors)
        .delimiter(args.delimiter)
        .encoding(args.encoding)
        .threads(args.threads.map_or_else(default_threads, usize::from))
        .formula_guard(!args.no_formula_guard)
        .input_len(total)
        .progress(progress.clone());
    if let Some(path) = &args.existing {
        let file =
            File::open(path).map_err(|e| Fatal(format!("cannot open {}: {e}", path.display())))?;
        // The archive list is written from a second read of the export.
        if args.archive_out.is_some() && !file.metadata().is_ok_and(|m| m.is_file()) {
            return Err(Fatal(format!(
                "--existing {} is not a regular file: --archive-out reads it a second time, so save the export to a file first",
                path.display()
            )));
        }
        let threads = args.threads.map_or_else(default_threads, usize::from);
        let existing = ExistingSet::from_reader_with_threads(&validator, file, threads)
            .map_err(|e| Fatal(format!("existing users {}: {e}", path.display())))?;
        builder
            .existing(existing)
            .mode(match args.mode {
                Some(ModeArg::Full) => Mode::Full,
                _ => Mode::Delta,
            })
            .archive_guard(ArchiveGuard {
                max_percent: args.max_archive_percent,
                max_count: args.max_archive_count,
                allow: args.allow_mass_archive,
            });
    }

    // The error CSV is created on the first failed row, as a temp file
    // renamed into place once complete.
    let mut sink = LazyOut::new(&errors_out);
    let result = builder.validate_with_plan(input, Some(&mut sink));
    if let Some(bar) = bar {
        bar.stop();
    }

    let (report, plan) = match result {
        Ok(done) => done,
        Err(err) => {
            drop(sink);
            let message = match err.kind() {
                ErrorKind::Write(e) => format!("cannot write {}: {e}", errors_out.label()),
                _ => format!("{}: {err}", display_input(&args.input)),
            };
            if let Err(Fatal(also)) = emit(&ValidationReport::from_error(&id, &err)) {
                // Both failures are reported; the first one caused the exit.
                eprintln!("usercsv: error: {message}");
                return Err(Fatal(also));
            }
            return Err(Fatal(message));
        }
    };
    sink.commit()
        .map_err(|e| Fatal(format!("cannot write {}: {e}", errors_out.label())))?;
    // A held sync writes no archive list.
    if let (Some(out), Some(plan), Some(existing), None) =
        (&archive_out, &plan, &args.existing, &report.held)
    {
        write_archive(&validator, existing, out, plan)?;
    }
    emit(&report)?;
    if let Some(held) = &report.held {
        eprintln!("usercsv: {held}; pass --allow-mass-archive to archive anyway");
    }
    if report.rows.invalid > 0 {
        if !args.quiet {
            let rows = if report.rows.invalid == 1 {
                "1 failed row".to_string()
            } else {
                format!("{} failed rows", report.rows.invalid)
            };
            eprintln!("usercsv: {rows} written to {}", errors_out.shown());
        }
        Ok(ExitCode::from(1))
    } else if report.held.is_some() {
        Ok(ExitCode::from(1))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}

/// Resolves every input and output of `validate` before anything is read:
/// returns the error CSV, `--report` and `--archive-out` outputs.
fn check_paths(
    args: &ValidateArgs,
    id: &str,
) -> Result<(Output, Option<Output>, Option<Output>), Fatal> {
    let mut paths = Paths::default();
    paths.input(format!("the input {}", args.input.display()), &args.input);
    if let Some(path) = &args.schema.schema {
        paths.input(format!("--schema {}", path.display()), path);
    }
    if let Some(path) = &args.existing {
        paths.input(format!("--existing {}", path.display()), path);
    }
    match &args.errors_out {
        Some(path) => paths.output(format!("--errors-out {}", path.display()), path),
        None => paths.output(
            format!("the error CSV {id}.csv (named after --id {id})"),
            Path::new(&format!("{id}.csv")),
        ),
    }
    if let Some(path) = &args.report {
        paths.output(format!("--report {}", path.display()), path);
    }
    if let Some(path) = &args.archive_out {
        paths.output(format!("--archive-out {}", path.display()), path);
    }
    let mut outputs = paths.check().map_err(Fatal)?.into_iter();
    let errors_out = outputs
        .next()
        .ok_or_else(|| Fatal("no error CSV path".into()))?;
    let report = args.report.as_ref().and_then(|_| outputs.next());
    let archive = args.archive_out.as_ref().and_then(|_| outputs.next());
    Ok((errors_out, report, archive))
}

/// Writes the existing users' rows whose keys the plan archives, as given.
fn write_archive(
    validator: &Validator,
    existing: &Path,
    out: &Output,
    plan: &Plan,
) -> Result<(), Fatal> {
    let fail = |e: &dyn std::fmt::Display| Fatal(format!("cannot write {}: {e}", out.label()));
    let archive: std::collections::HashSet<&str> = plan.archive_keys().collect();
    let open = || -> Result<usercsv::Reader<File>, Fatal> {
        let file = File::open(existing)
            .map_err(|e| Fatal(format!("cannot open {}: {e}", existing.display())))?;
        ReaderBuilder::new()
            .from_reader(file)
            .map_err(|e| Fatal(format!("existing users {}: {e}", existing.display())))
    };
    let unreadable =
        |e: usercsv::Error| Fatal(format!("existing users {}: {e}", existing.display()));
    let mut reader = open()?;
    let key_column = validator.schema().key.clone().unwrap_or_default();
    let key_index = validator
        .column_index(reader.header(), &key_column)
        .ok_or_else(|| {
            Fatal(format!(
                "existing users {}: no key column",
                existing.display()
            ))
        })?;
    // The row of each archived user that the plan used: the export's last
    // one with that key, as a later row replaces an earlier one.
    let mut kept: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for (i, row) in reader.rows().enumerate() {
        let row = row.map_err(unreadable)?;
        let key = row.get(key_index).and_then(|k| validator.normalize_key(k));
        if let Some(&user) = key.as_deref().and_then(|k| archive.get(k)) {
            kept.insert(user, i as u64);
        }
    }
    let rows: std::collections::HashSet<u64> = kept.into_values().collect();
    let mut reader = open()?;
    let mut writer = csv::WriterBuilder::new()
        .delimiter(reader.delimiter())
        .from_writer(out.create().map_err(|e| fail(&e))?);
    writer.write_record(reader.header()).map_err(|e| fail(&e))?;
    for (i, row) in reader.rows().enumerate() {
        let row = row.map_err(unreadable)?;
        if rows.contains(&(i as u64)) {
            // Verbatim, as the export gave it: the list is data for the
            // host's archive step, like the export itself.
            writer.write_record(row.fields()).map_err(|e| fail(&e))?;
        }
    }
    let file = writer.into_inner().map_err(|e| fail(e.error()))?;
    file.commit().map_err(|e| fail(&e))
}

fn display_input(input: &Path) -> String {
    if input.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        input.display().to_string()
    }
}

/// Writes `--report` and prints what `--format` asks for: on standard
/// output, or on stderr when an output goes to standard output.
fn emit(
    args: &ValidateArgs,
    report_out: Option<&Output>,
    to_stderr: bool,
    errors_out: &Output,
    report: &ValidationReport,
) -> Result<(), Fatal> {
    let json = serde_json::to_string_pretty(report).map_err(|e| Fatal(e.to_string()))? + "\n";
    if let Some(out) = report_out {
        out.write(json.as_bytes())
            .map_err(|e| Fatal(format!("cannot write {}: {e}", out.label())))?;
    }
    let text = match args.format {
        OutputFormat::Json => json,
        OutputFormat::Text => {
            let saved = ErrorCsvDelivery::SavedAt(if errors_out.is_stdout() {
                format!("{} (written to standard output)", report.error_csv_name())
            } else {
                errors_out.shown().to_string()
            });
            let n = report.notification_for(&saved);
            format!("Subject: {}\n\n{}", n.subject, n.body)
        }
    };
    if to_stderr {
        io::stderr().lock().write_all(text.as_bytes())?;
    } else {
        io::stdout().lock().write_all(text.as_bytes())?;
    }
    Ok(())
}

/// A progress bar on stderr that appears only when a run takes more than a moment.
struct ProgressBar {
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl ProgressBar {
    fn stop(self) {
        self.done.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

fn spawn_progress_bar(progress: Progress) -> ProgressBar {
    let done = Arc::new(AtomicBool::new(false));
    let stop = done.clone();
    let thread = std::thread::spawn(move || {
        let finished = || stop.load(Ordering::Relaxed) || progress.is_finished();
        for _ in 0..10 {
            if finished() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let bar = match progress.total_bytes() {
            Some(total) => {
                let bar = indicatif::ProgressBar::new(total);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} {msg}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            }
            None => indicatif::ProgressBar::new_spinner(),
        };
        while !finished() {
            bar.set_position(progress.bytes());
            bar.set_message(format!("{} rows", progress.rows()));
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    });
    ProgressBar { done, thread }
}

#[cfg(test)]
mod tests {
    use super::parse_percent;

    #[test]
    fn percentages_are_finite_and_from_0_to_100() {
        assert_eq!(parse_percent("0"), Ok(0.0));
        assert_eq!(parse_percent("100"), Ok(100.0));
        assert_eq!(parse_percent("12.5"), Ok(12.5));
        for bad in ["nan", "inf", "-inf", "-0.1", "100.01", "", "ten"] {
            assert_eq!(
                parse_percent(bad),
                Err(format!(
                    "expected a percentage from 0 to 100, found \"{bad}\""
                ))
            );
        }
    }
}
