//! The upload queue, its workers and what one upload does: validate and
//! plan with the library against the store, then apply in one transaction.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use usercsv::mail::MailConfig;
use usercsv::{
    ArchiveGuard, CancelToken, ErrorCsvWriter, ErrorKind, Mode, Plan, Progress, ValidationReport,
    Validator,
};

use super::Config;
use super::store::{self, ErrorGroup, Held, JobResult, SqlUsers, Staged};

/// Row errors kept in the stored report (counts and the error CSV are
/// never capped).
const MAX_ERRORS: usize = 1000;

/// A job in memory while it is queued or running: its progress and its
/// cancel token. Everything else lives in the database.
#[derive(Clone)]
pub struct Live {
    pub progress: Progress,
    pub cancel: CancelToken,
}

/// The shared state of the back office.
pub struct App {
    /// The configuration.
    pub config: Config,
    /// The compiled schema.
    pub validator: Validator,
    pub(crate) mail: MailConfig,
    db_path: PathBuf,
    /// The connection for writes outside an upload's run (short, but they
    /// may wait for an upload's commit: call from blocking code).
    db: Mutex<Connection>,
    /// The connection for reads: in WAL mode a reader never waits for a
    /// writer, so request handlers read while an upload is applied.
    reader: Mutex<Connection>,
    queue: Mutex<VecDeque<String>>,
    wake: Notify,
    pub(crate) mail_wake: Notify,
    live: Mutex<HashMap<String, Live>>,
    /// One upload plans and applies at a time, in arrival order, so each
    /// plan is made against the users the previous upload left.
    turn: tokio::sync::Mutex<()>,
    stopping: watch::Sender<bool>,
    /// Set when shutdown cancels running jobs: they stay queued.
    shutdown_cancel: AtomicBool,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// Locks a mutex, also after a panic elsewhere (the data stays usable).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl App {
    /// Opens the data directory and the database, re-queues the uploads
    /// that were queued or running at the last stop, and starts the
    /// workers, the SFTP watcher, the mailer and the retention sweep.
    /// Needs a Tokio runtime; serves no HTTP (see [`super::router`]).
    pub async fn start(config: Config) -> std::io::Result<Arc<App>> {
        let validator = Validator::new(&config.schema).map_err(std::io::Error::other)?;
        let mail = MailConfig::new(&config.from, &config.to).map_err(std::io::Error::other)?;
        for dir in [
            config.data.clone(),
            config.data.join("uploads"),
            config.data.join("errors"),
            config.outbox.clone(),
            config.sftp_dir.clone(),
            config.sftp_dir.join("processed"),
            config.sftp_dir.join("rejected"),
            config.sftp_dir.join("processing"),
        ] {
            tokio::fs::create_dir_all(&dir).await?;
        }
        let db_path = config.data.join("backoffice.sqlite3");
        let db = store::open(&db_path).map_err(std::io::Error::other)?;
        let reader = store::open(&db_path).map_err(std::io::Error::other)?;
        // Running at the last stop: its transaction never committed.
        db.execute(
            "UPDATE uploads SET status = 'queued' WHERE status = 'running'",
            [],
        )
        .map_err(std::io::Error::other)?;
        let pending = store::ids_with_status(&db, "queued").map_err(std::io::Error::other)?;
        let (stopping, _) = watch::channel(false);
        let app = Arc::new(App {
            validator,
            mail,
            db_path,
            db: Mutex::new(db),
            reader: Mutex::new(reader),
            queue: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            mail_wake: Notify::new(),
            live: Mutex::new(HashMap::new()),
            turn: tokio::sync::Mutex::new(()),
            stopping,
            shutdown_cancel: AtomicBool::new(false),
            tasks: Mutex::new(Vec::new()),
            workers: Mutex::new(Vec::new()),
            config,
        });
        // Leftovers of a stop in the middle of receiving or writing a file.
        for dir in ["uploads", "errors"] {
            if let Ok(entries) = std::fs::read_dir(app.config.data.join(dir)) {
                for entry in entries.flatten() {
                    if entry.path().extension().is_some_and(|e| e == "part") {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            }
        }
        super::sftp::recover(&app);
        for (id, size) in pending {
            app.push(id, Some(size));
        }
        let mut workers = Vec::new();
        for _ in 0..app.config.workers {
            workers.push(tokio::spawn(worker(app.clone())));
        }
        *lock(&app.workers) = workers;
        let tasks = vec![
            tokio::spawn(super::mailer::run(app.clone())),
            tokio::spawn(super::sftp::watch(app.clone())),
            tokio::spawn(sweep(app.clone())),
        ];
        *lock(&app.tasks) = tasks;
        Ok(app)
    }

    /// The connection for writes; may wait for an upload's commit, so
    /// async code calls it through `spawn_blocking`.
    pub fn db(&self) -> MutexGuard<'_, Connection> {
        lock(&self.db)
    }

    /// The connection for reads; never waits for a writer.
    pub fn read(&self) -> MutexGuard<'_, Connection> {
        lock(&self.reader)
    }

    /// Whether shutdown has begun.
    pub fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Uploads waiting for a worker.
    pub fn queued(&self) -> usize {
        lock(&self.queue).len()
    }

    /// Whether the queue has room for another upload.
    pub fn has_room(&self) -> bool {
        self.queued() < self.config.queue_size
    }

    /// The progress and cancel token of a queued or running upload.
    pub fn live(&self, id: &str) -> Option<Live> {
        lock(&self.live).get(id).cloned()
    }

    /// Puts an upload (already `queued` in the database) in the queue.
    pub(crate) fn push(&self, id: String, size: Option<u64>) {
        let progress = Progress::new();
        progress.set_total_bytes(size);
        lock(&self.live).insert(
            id.clone(),
            Live {
                progress,
                cancel: CancelToken::new(),
            },
        );
        lock(&self.queue).push_back(id);
        self.wake.notify_one();
    }

    /// Cancels a queued or running upload, or discards a held one; false
    /// when it is none of these.
    pub fn cancel(&self, id: &str) -> bool {
        let was_queued = {
            let mut queue = lock(&self.queue);
            let before = queue.len();
            queue.retain(|q| q != id);
            queue.len() != before
        };
        if was_queued {
            lock(&self.live).remove(id);
            let db = self.db();
            return store::set_status(&db, id, &["queued"], "cancelled").unwrap_or(false);
        }
        // Under the lock a worker takes to pass its point of no return
        // (`retire`): either the upload sees the cancel, or it is no
        // longer live here.
        if let Some(live) = lock(&self.live).get(id) {
            live.cancel.cancel();
            return true;
        }
        // A held sync that will not be approved: discarded, its file to
        // `rejected/` before the status says so.
        let Ok(Some(upload)) = store::get_upload(&self.read(), id) else {
            return false;
        };
        if upload.status != "held" {
            return false;
        }
        let moved = super::sftp::link_out(self, &upload, true);
        let discarded = (|| {
            let db = self.db();
            let tx = rusqlite::Transaction::new_unchecked(
                &db,
                rusqlite::TransactionBehavior::Immediate,
            )?;
            if !store::set_status(&tx, id, &["held"], "cancelled")? {
                return Ok(false);
            }
            if let Some(moved) = &moved {
                store::set_path(&tx, id, &moved.path())?;
            }
            tx.commit()?;
            Ok::<bool, rusqlite::Error>(true)
        })()
        .unwrap_or(false);
        match moved {
            Some(moved) if discarded => moved.finish(),
            Some(moved) => moved.undo(),
            None => {}
        }
        discarded
    }

    /// The point of no return of a running upload, taken just before its
    /// end is recorded: it is no longer live, so a cancel from now on is
    /// answered "too late". False when it was cancelled first.
    fn retire(&self, id: &str, live: &Live) -> bool {
        let mut all = lock(&self.live);
        if live.cancel.is_cancelled() {
            return false;
        }
        all.remove(id);
        true
    }

    /// Queues a held full sync again, this time past the guard.
    pub fn approve(&self, id: &str) -> Result<bool, rusqlite::Error> {
        let size = {
            let db = self.db();
            let approved = db.execute(
                "UPDATE uploads SET status = 'queued', approved = 1 WHERE id = ?1 AND status = 'held'",
                [id],
            )?;
            if approved == 0 {
                return Ok(false);
            }
            store::get_upload(&db, id)?.map(|u| u.size)
        };
        self.push(id.to_string(), size);
        Ok(true)
    }

    /// Stops the workers: running uploads get `grace` to finish, then are
    /// cancelled and stay queued, like every upload not started; the
    /// next start processes them.
    pub async fn shutdown(&self, grace: Duration) {
        self.stopping.send_replace(true);
        self.wake.notify_waiters();
        let workers: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&self.workers));
        let all = futures_join(workers);
        tokio::pin!(all);
        if tokio::time::timeout(grace, &mut all).await.is_err() {
            self.shutdown_cancel.store(true, Ordering::SeqCst);
            for live in lock(&self.live).values() {
                live.cancel.cancel();
            }
            let _ = all.await;
        }
        for task in std::mem::take(&mut *lock(&self.tasks)) {
            task.abort();
        }
    }

    /// Where an upload's error CSV is kept.
    pub fn error_csv_path(&self, id: &str) -> PathBuf {
        self.config.data.join("errors").join(format!("{id}.csv"))
    }

    /// Where an upload's e-mail is written.
    pub fn eml_path(&self, id: &str) -> PathBuf {
        self.config.outbox.join(format!("{id}.eml"))
    }

    /// Where a web upload's file is kept.
    pub fn upload_path(&self, id: &str) -> PathBuf {
        self.config.data.join("uploads").join(format!("{id}.csv"))
    }
}

async fn futures_join(handles: Vec<JoinHandle<()>>) {
    for handle in handles {
        let _ = handle.await;
    }
}

async fn worker(app: Arc<App>) {
    let mut stopping = app.stopping();
    loop {
        if app.is_stopping() {
            return;
        }
        // The turn is taken before the next upload is: uploads are applied
        // in the order they arrived, whichever worker runs them.
        let turn = app.turn.lock().await;
        if app.is_stopping() {
            // Shutdown began while another upload ran: the rest stays queued.
            return;
        }
        let next = lock(&app.queue).pop_front();
        let Some(id) = next else {
            drop(turn);
            tokio::select! {
                _ = app.wake.notified() => {}
                _ = stopping.changed() => {}
            }
            continue;
        };
        run_one(&app, id).await;
        drop(turn);
    }
}

async fn run_one(app: &Arc<App>, id: String) {
    let Some(live) = app.live(&id) else { return };
    let worker_app = app.clone();
    let worker_id = id.clone();
    // The run takes the upload out of `live` before its end is recorded: an
    // approval right after a hold queues it again under the same id.
    let _ = tokio::task::spawn_blocking(move || run_blocking(&worker_app, &worker_id, &live)).await;
    app.mail_wake.notify_one();
}

/// One upload from `queued` to its end; blocking.
fn run_blocking(app: &App, id: &str, live: &Live) {
    if !store::set_status(&app.db(), id, &["queued"], "running").unwrap_or(false) {
        lock(&app.live).remove(id);
        return;
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| process(app, id, live)))
        .unwrap_or_else(|_| Outcome::Failed("the worker panicked".to_string()));
    let failed = |status: &str, problem: Option<&str>| {
        // Not live any more before the status says it ended.
        lock(&app.live).remove(id);
        let upload = store::get_upload(&app.read(), id).ok().flatten();
        let rejected = status == "failed";
        let moved = upload.and_then(|u| super::sftp::link_out(app, &u, rejected));
        let _ = record_end(&app.db(), id, moved, |conn| {
            store::finish_upload(conn, id, status, None, false, problem, false)
        });
    };
    match outcome {
        Outcome::Done | Outcome::Held => {}
        Outcome::Cancelled => failed("cancelled", None),
        Outcome::Requeue => {
            lock(&app.live).remove(id);
            let _ = store::set_status(&app.db(), id, &["running"], "queued");
        }
        Outcome::Failed(message) => {
            eprintln!("upload {id} failed: {message}");
            failed(
                "failed",
                Some("the upload could not be processed on the server; nothing was changed"),
            );
        }
    }
}

/// Records an upload's end with `write`, in one transaction with the new
/// path of its SFTP file (`moved`, already linked there); the original
/// leaves `processing/` once the end is committed. `conn` is in no
/// transaction yet.
fn record_end(
    conn: &rusqlite::Connection,
    id: &str,
    moved: Option<super::sftp::Moved>,
    write: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let recorded = (|| {
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        if let Some(moved) = &moved {
            store::set_path(&tx, id, &moved.path())?;
        }
        write(&tx)?;
        tx.commit()
    })();
    if let Some(moved) = moved {
        if recorded.is_ok() {
            moved.finish();
        } else {
            moved.undo();
        }
    }
    recorded
}

/// How an upload ended. `Done` and `Held` are recorded by `process`;
/// the others by `run_blocking`.
enum Outcome {
    Done,
    Held,
    Cancelled,
    /// Cancelled by shutdown: processed again at the next start.
    Requeue,
    Failed(String),
}

/// Whether the mass-archive guard held a full sync: `Some((archive,
/// existing, message))`. The run completes; its report says so.
fn held_by_guard(
    result: &Result<(ValidationReport, Option<Plan>), usercsv::Error>,
) -> Option<(u64, u64, String)> {
    let (report, _) = result.as_ref().ok()?;
    let held = report.held.as_ref()?;
    Some((held.archive, held.existing, held.to_string()))
}

/// Validates, plans and applies one upload; blocking.
fn process(app: &App, id: &str, live: &Live) -> Outcome {
    match process_inner(app, id, live) {
        Ok(outcome) => outcome,
        Err(err) => Outcome::Failed(err),
    }
}

fn process_inner(app: &App, id: &str, live: &Live) -> Result<Outcome, String> {
    let upload = store::get_upload(&app.read(), id)
        .map_err(|e| e.to_string())?
        .ok_or("the upload is gone")?;
    let path = upload.path.clone().ok_or("the upload has no file")?;
    let file = std::fs::File::open(&path).map_err(|e| format!("cannot open the upload: {e}"))?;
    let mode: Mode = upload.mode.parse()?;

    // Users change only here, one upload at a time (`App::turn`), so the
    // users the plan reads are the users it is applied to. Planning takes
    // no database lock: uploads are accepted meanwhile.
    let conn = store::open(&app.db_path).map_err(|e| e.to_string())?;
    let users = Arc::new(SqlUsers::new(conn).map_err(|e| e.to_string())?);
    let guard = ArchiveGuard {
        allow: upload.approved,
        ..app.config.guard
    };
    let mut builder = app.validator.validation();
    builder
        .id(id)
        .progress(live.progress.clone())
        .cancel_token(live.cancel.clone())
        .existing_shared(users.clone())
        .mode(mode)
        .archive_guard(guard)
        .max_errors(MAX_ERRORS)
        .input_len(Some(upload.size));

    let part = app
        .config
        .data
        .join("errors")
        .join(format!("{id}.csv.part"));
    store::begin_staging(&lock(&users.conn)).map_err(|e| e.to_string())?;
    let result = read_all(app, &builder, &users, file, &part, mode);
    drop(builder);
    let cancelled = |app: &App| {
        if app.shutdown_cancel.load(Ordering::SeqCst) {
            Outcome::Requeue
        } else {
            Outcome::Cancelled
        }
    };
    let read = match result {
        Ok(read) => read,
        Err(ReadError::Io(err)) => {
            let _ = std::fs::remove_file(&part);
            return Err(format!("cannot write the error CSV: {err}"));
        }
        Err(ReadError::Db(err)) => {
            let _ = std::fs::remove_file(&part);
            return Err(format!("cannot stage the changes: {err}"));
        }
        Err(ReadError::File(err)) => {
            let _ = std::fs::remove_file(&part);
            if matches!(err.kind(), ErrorKind::Cancelled { .. }) {
                return Ok(cancelled(app));
            }
            return file_error(app, id, &upload, live, &err);
        }
    };
    if let Some(failure) = lock(&users.failure).take() {
        let _ = std::fs::remove_file(&part);
        return Err(format!("reading the users failed: {failure}"));
    }
    let Read {
        mut report,
        finished,
        groups,
        has_errors,
    } = read;
    if let Some((archive, existing, message)) = held_by_guard(&finished) {
        // Nothing is applied; the e-mail and the page say why. The error
        // CSV of its failed rows is kept: the held e-mail attaches it.
        let mut plan = store::staged_counts(&lock(&users.conn)).map_err(|e| e.to_string())?;
        plan.archive = archive;
        report.plan = Some(plan);
        report.held = finished.as_ref().ok().and_then(|(r, _)| r.held);
        let would_archive = would_archive(app, &users, &path, mode, live);
        let result = JobResult {
            report,
            plan: Some(plan),
            applied: None,
            groups,
            held: Some(Held {
                archive,
                existing,
                message,
                would_archive,
            }),
        };
        if !retire_keeping_error_csv(app, id, live, &part, has_errors)? {
            return Ok(cancelled(app));
        }
        // The file stays in `processing/` until approved or discarded.
        let db = app.db();
        store::finish_upload(&db, id, "held", Some(&result), has_errors, None, true)
            .map_err(|e| e.to_string())?;
        return Ok(Outcome::Held);
    }
    let (report, plan) = match finished {
        Ok(done) => done,
        Err(err) if matches!(err.kind(), ErrorKind::Cancelled { .. }) => {
            let _ = std::fs::remove_file(&part);
            return Ok(cancelled(app));
        }
        Err(err) => {
            let _ = std::fs::remove_file(&part);
            return file_error(app, id, &upload, live, &err);
        }
    };
    if !retire_keeping_error_csv(app, id, live, &part, has_errors)? {
        return Ok(cancelled(app));
    }
    let archive = plan.as_ref().map(|p| p.archive.clone()).unwrap_or_default();
    let conn = lock(&users.conn);
    let moved = super::sftp::link_out(app, &upload, false);
    // The changes, the result and the SFTP file's new path are recorded in
    // one transaction: after a crash either all are there or the upload
    // runs again; the status says `done` only once the file has moved.
    record_end(&conn, id, moved, |conn| {
        let applied = store::apply(conn, id, &archive)?;
        let result = JobResult {
            plan: report.plan,
            report,
            applied: Some(applied),
            groups,
            held: None,
        };
        store::finish_upload(conn, id, "done", Some(&result), has_errors, None, true)
    })
    .map_err(|e| e.to_string())?;
    Ok(Outcome::Done)
}

/// Ends the job's run and keeps its error CSV (written to `part`) under
/// the upload's id: `Ok(false)`, and `part` removed, when the job was
/// cancelled meanwhile.
fn retire_keeping_error_csv(
    app: &App,
    id: &str,
    live: &Live,
    part: &Path,
    has_errors: bool,
) -> Result<bool, String> {
    if !app.retire(id, live) {
        let _ = std::fs::remove_file(part);
        return Ok(false);
    }
    if has_errors {
        std::fs::rename(part, app.error_csv_path(id))
            .map_err(|e| format!("cannot keep the error CSV: {e}"))?;
    }
    Ok(true)
}

/// The file could not be read: nothing is applied, the report says why,
/// an SFTP file goes to `rejected/`.
fn file_error(
    app: &App,
    id: &str,
    upload: &store::Upload,
    live: &Live,
    err: &usercsv::Error,
) -> Result<Outcome, String> {
    if !app.retire(id, live) {
        return Ok(if app.shutdown_cancel.load(Ordering::SeqCst) {
            Outcome::Requeue
        } else {
            Outcome::Cancelled
        });
    }
    let result = JobResult {
        report: ValidationReport::from_error(id, err),
        ..JobResult::default()
    };
    let moved = super::sftp::link_out(app, upload, true);
    record_end(&app.db(), id, moved, |conn| {
        store::finish_upload(conn, id, "done", Some(&result), false, None, true)
    })
    .map_err(|e| e.to_string())?;
    Ok(Outcome::Done)
}

/// Users shown as "would be archived" on a held sync.
const WOULD_ARCHIVE_SHOWN: usize = 20;

/// The first users a held sync would archive, so the admin sees whom
/// before approving. Today's library keeps the keys of a tripped guard to
/// itself, so the file is planned again past the guard (nothing applied);
/// once the report of a held run carries its plan, take the keys from it.
fn would_archive(
    app: &App,
    users: &Arc<SqlUsers>,
    path: &str,
    mode: Mode,
    live: &Live,
) -> Vec<String> {
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let mut builder = app.validator.validation();
    builder
        .existing_shared(users.clone())
        .mode(mode)
        .cancel_token(live.cancel.clone())
        .archive_guard(ArchiveGuard {
            allow: true,
            ..app.config.guard
        });
    match builder.validate_with_plan(BufReader::new(file), None) {
        Ok((_, Some(plan))) => plan
            .archive_keys()
            .take(WOULD_ARCHIVE_SHOWN)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

struct Read {
    /// The report as the rows were read (before the plan's end).
    report: ValidationReport,
    finished: Result<(ValidationReport, Option<Plan>), usercsv::Error>,
    groups: Vec<ErrorGroup>,
    has_errors: bool,
}

/// Reads every row: failed rows go to the error CSV at `part`, valid rows'
/// changes are staged, errors are counted by column and code.
fn read_all(
    app: &App,
    builder: &usercsv::ValidationBuilder,
    users: &SqlUsers,
    file: std::fs::File,
    part: &Path,
    mode: Mode,
) -> Result<Read, ReadError> {
    let mut run = builder.from_reader(BufReader::new(file))?;
    let header = run.header().clone();
    let delimiter = run.delimiter();
    let formula_guard = run.formula_guard();
    let key_column = app.validator.schema().key.clone().unwrap_or_default();
    let columns: Vec<String> = app
        .validator
        .schema()
        .columns
        .iter()
        .map(|c| c.name.clone())
        .filter(|c| *c != key_column)
        .collect();
    let mut writer: Option<ErrorCsvWriter<BufWriter<std::fs::File>>> = None;
    let mut groups: BTreeMap<(Option<String>, String), u64> = BTreeMap::new();
    while let Some(outcome) = run.next_outcome()? {
        if !outcome.is_valid() {
            for error in outcome.errors() {
                *groups
                    .entry((error.column.clone(), error.code.as_str().to_string()))
                    .or_default() += 1;
            }
            if writer.is_none() {
                let out = std::fs::File::create(part)?;
                writer = Some(ErrorCsvWriter::with_formula_guard(
                    BufWriter::new(out),
                    &header,
                    delimiter,
                    formula_guard,
                )?);
            }
            if let Some(writer) = &mut writer {
                writer.write_row(outcome.row().fields(), outcome.errors())?;
            }
        }
        let (Some(action), Some(key)) = (
            outcome.action(),
            outcome
                .get(&key_column)
                .and_then(|k| app.validator.normalize_key(k)),
        ) else {
            continue;
        };
        let values = columns
            .iter()
            .filter_map(|c| {
                // Columns not in the file are never touched.
                outcome.get(c)?;
                match (outcome.normalized(c), mode) {
                    // An empty cell keeps the stored value in a delta upload.
                    (None, Mode::Delta) => None,
                    (None, Mode::Full) => Some((c.clone(), None)),
                    (Some(value), _) => Some((c.clone(), Some(value.into_owned()))),
                }
            })
            .collect();
        let change = Staged {
            key,
            action,
            values,
        };
        store::stage(&lock(&users.conn), &change).map_err(ReadError::Db)?;
    }
    let has_errors = writer.is_some();
    if let Some(writer) = writer {
        use std::io::Write;
        writer
            .finish()?
            .into_inner()
            .map_err(|e| e.into_error())?
            .flush()?;
    }
    let report = run.report().clone();
    let finished = run.finish_with_plan();
    Ok(Read {
        report,
        finished,
        groups: groups
            .into_iter()
            .map(|((column, code), count)| ErrorGroup {
                column,
                code,
                count,
            })
            .collect(),
        has_errors,
    })
}

/// Why reading stopped: the library's file-level error, or writing the
/// error CSV failed on our side.
enum ReadError {
    File(usercsv::Error),
    Io(std::io::Error),
    Db(rusqlite::Error),
}

impl From<usercsv::Error> for ReadError {
    fn from(err: usercsv::Error) -> ReadError {
        ReadError::File(err)
    }
}

impl From<std::io::Error> for ReadError {
    fn from(err: std::io::Error) -> ReadError {
        ReadError::Io(err)
    }
}

/// Deletes uploaded files, error CSVs and e-mails past the retention
/// period; the history entry stays.
async fn sweep(app: Arc<App>) {
    let mut stopping = app.stopping();
    loop {
        let sweep_app = app.clone();
        let _ = tokio::task::spawn_blocking(move || sweep_once(&sweep_app)).await;
        tokio::select! {
            _ = tokio::time::sleep(app.config.sweep_every) => {}
            _ = stopping.changed() => return,
        }
    }
}

/// One retention sweep; returns how many uploads' files were deleted.
pub fn sweep_once(app: &App) -> usize {
    let before = store::now() - (app.config.retention_days as i64).saturating_mul(86_400);
    let expired = store::expired(&app.read(), before).unwrap_or_default();
    for upload in &expired {
        let mut paths = vec![app.error_csv_path(&upload.id), app.eml_path(&upload.id)];
        if let Some(path) = &upload.path {
            paths.push(PathBuf::from(path));
        }
        for path in paths {
            let _ = std::fs::remove_file(path);
        }
        let db = app.db();
        let _ = store::mark_files_deleted(&db, &upload.id);
    }
    expired.len()
}
