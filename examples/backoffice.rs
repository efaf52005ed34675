//! A back office that offers "upload users with a CSV".
//!
//! ```text
//! cargo run --example backoffice -- --addr 127.0.0.1:8080 --outbox DIR
//! ```
//!
//! - `GET /`: the upload page (a form with the field `file`), with links
//!   to the template and the guide.
//! - `POST /uploads`: streams the file to disk (never the whole file in
//!   memory, with a size limit), answers at once with the upload id
//!   (`202 Accepted`; JSON `{id, status_url}` when the client asks for
//!   JSON) and validates in a background task.
//! - `GET /uploads/{id}`: the status: progress while running, then the
//!   counts (JSON or an HTML page that refreshes itself).
//! - `DELETE /uploads/{id}`: cancels a queued or running validation.
//! - `GET /uploads/{id}/errors.csv`: the error CSV.
//! - `GET /template.csv`, `GET /guide` (`?format=md` for Markdown).
//!
//! When a validation ends, the admin's e-mail is written to the outbox as
//! `<id>.eml`, or sent to the SMTP relay given with `--smtp HOST:PORT`.
//!
//! Options: `--addr`, `--outbox DIR`, `--data DIR` (uploads and error
//! files; default `<outbox>/data`), `--max-upload-bytes N` (default 20 MiB),
//! `--schema FILE` (TOML or JSON; default the built-in user schema),
//! `--from ADDRESS`, `--to ADDRESS` (repeatable), `--smtp HOST:PORT`,
//! `--workers N` (validations at once, default 2).

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;
use usercsv::mail::{MailConfig, build_message, lettre};
use usercsv::{
    CancelToken, ErrorKind, GuideFormat, Progress, RowCounts, RowError, Schema, ValidationReport,
    Validator, generate_id, render_guide,
};

/// How the back office is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Where `<id>.eml` files are written (when no SMTP relay is set).
    pub outbox: PathBuf,
    /// Where uploads and error CSVs are kept.
    pub data: PathBuf,
    /// The largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
    /// The schema (default: the built-in user schema).
    pub schema: Schema,
    /// The e-mail's sender.
    pub from: String,
    /// The e-mail's recipients (a shared mailbox).
    pub to: Vec<String>,
    /// An SMTP relay (`host:port`, plain, no authentication) to send the
    /// e-mail to instead of writing it to the outbox.
    pub smtp: Option<String>,
    /// Validations that run at once.
    pub workers: usize,
}

impl Config {
    /// Defaults around an outbox directory.
    pub fn new(addr: SocketAddr, outbox: impl Into<PathBuf>) -> Config {
        let outbox = outbox.into();
        Config {
            addr,
            data: outbox.join("data"),
            outbox,
            max_upload_bytes: 20 * 1024 * 1024,
            schema: Schema::users(),
            from: "User import <noreply@backoffice.example>".to_string(),
            to: vec!["User admins <user-admins@backoffice.example>".to_string()],
            smtp: None,
            workers: 2,
        }
    }
}

/// Where a validation is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Being validated.
    Running,
    /// Validated (or the file could not be read), and the e-mail is out.
    Done,
    /// Cancelled: no report, no e-mail.
    Cancelled,
    /// Something on the server failed (disk, mail).
    Failed,
}

struct Job {
    state: JobState,
    file_name: Option<String>,
    size: u64,
    progress: Progress,
    cancel: CancelToken,
    report: Option<ValidationReport>,
    error_csv: Option<PathBuf>,
    delivered: Option<String>,
    problem: Option<String>,
}

/// The shared state of the back office.
pub struct App {
    /// The configuration.
    pub config: Config,
    /// The compiled schema.
    pub validator: Validator,
    mail: MailConfig,
    jobs: Mutex<HashMap<String, Job>>,
    /// One permit per validation that may run at once.
    pub workers: Arc<Semaphore>,
}

/// A running back office.
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its state.
    pub app: Arc<App>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl Server {
    /// Stops accepting connections and waits for the server to end.
    pub async fn stop(mut self) -> io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.map_err(io::Error::other)?
    }
}

/// Binds the address and serves until [`Server::stop`].
pub async fn start(config: Config) -> io::Result<Server> {
    let validator = Validator::new(&config.schema).map_err(io::Error::other)?;
    let mail = MailConfig::new(&config.from, &config.to).map_err(io::Error::other)?;
    tokio::fs::create_dir_all(&config.outbox).await?;
    tokio::fs::create_dir_all(&config.data).await?;
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let app = Arc::new(App {
        workers: Arc::new(Semaphore::new(config.workers.max(1))),
        validator,
        mail,
        jobs: Mutex::new(HashMap::new()),
        config,
    });
    let router = router(app.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    Ok(Server {
        addr,
        app,
        shutdown: Some(tx),
        task,
    })
}

/// The routes.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/uploads", axum::routing::post(upload))
        .route("/uploads/{id}", get(status).delete(cancel))
        .route("/uploads/{id}/errors.csv", get(errors_csv))
        .route("/template.csv", get(template))
        .route("/guide", get(guide))
        // The handler enforces the configured limit itself while streaming.
        .layer(DefaultBodyLimit::disable())
        .with_state(app)
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// A 4xx/5xx answer: JSON `{error, message}` for JSON clients, text otherwise.
fn problem(status: StatusCode, code: &str, message: &str, json: bool) -> Response {
    if json {
        (
            status,
            axum::Json(serde_json::json!({ "error": code, "message": message })),
        )
            .into_response()
    } else {
        (status, format!("{message}\n")).into_response()
    }
}

use usercsv::html::escape;

fn page(title: &str, body: &str, refresh: bool) -> Html<String> {
    let mut page = usercsv::html::Page::new(title);
    if refresh {
        page.head("<meta http-equiv=\"refresh\" content=\"2\">");
    }
    Html(page.render(&format!("<h1>{}</h1>\n{body}", escape(title))))
}

async fn index(State(app): State<Arc<App>>) -> Html<String> {
    page(
        "Upload users",
        &format!(
            "<p>Upload a CSV file with one user per row. Before you start, download the \
             <a href=\"/template.csv\">template</a> and read the <a href=\"/guide\">guide</a> on how to \
             prepare the file.</p>\n\
             <form method=\"post\" action=\"/uploads\" enctype=\"multipart/form-data\">\n\
             <input type=\"file\" name=\"file\" accept=\".csv,text/csv\" required>\n\
             <button type=\"submit\">Upload</button>\n</form>\n\
             <p>Files up to {} MiB. You can keep working while the file is processed: you will receive an e-mail.</p>\n",
            app.config.max_upload_bytes / (1024 * 1024)
        ),
        false,
    )
}

async fn template(State(app): State<Arc<App>>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"users-template.csv\"",
            ),
        ],
        app.validator.template_csv(),
    )
        .into_response()
}

async fn guide(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let format = match query.get("format").map(|f| f.parse::<GuideFormat>()) {
        None => GuideFormat::Html,
        Some(Ok(format)) => format,
        Some(Err(message)) => {
            return problem(StatusCode::BAD_REQUEST, "bad_format", &message, false);
        }
    };
    let content_type = match format {
        GuideFormat::Html => "text/html; charset=utf-8",
        GuideFormat::Markdown => "text/markdown; charset=utf-8",
    };
    (
        [(header::CONTENT_TYPE, content_type)],
        render_guide(&app.validator, format),
    )
        .into_response()
}

/// Why an upload was refused.
enum Refused {
    Status(StatusCode, &'static str, String),
    Io(io::Error),
}

impl From<io::Error> for Refused {
    fn from(err: io::Error) -> Refused {
        Refused::Io(err)
    }
}

/// Streams the field `file` to `path`; returns the original name and size.
async fn receive(
    multipart: &mut Multipart,
    path: &Path,
    max: u64,
) -> Result<(Option<String>, u64), Refused> {
    let bad = |err: axum::extract::multipart::MultipartError| {
        Refused::Status(err.status(), "bad_multipart", err.body_text())
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(str::to_string);
        let mut out = tokio::fs::File::create(path).await?;
        let mut size = 0u64;
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            size += chunk.len() as u64;
            if size > max {
                drop(out);
                let _ = tokio::fs::remove_file(path).await;
                // Read on (up to a bound) so the client gets the answer
                // instead of a reset connection.
                let mut drained = size;
                while drained < max.saturating_mul(4).max(8 << 20) {
                    match field.chunk().await {
                        Ok(Some(chunk)) => drained += chunk.len() as u64,
                        _ => break,
                    }
                }
                return Err(Refused::Status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!("the file is larger than the limit of {max} bytes"),
                ));
            }
            out.write_all(&chunk).await?;
        }
        out.flush().await?;
        out.sync_all().await?;
        if size == 0 {
            let _ = tokio::fs::remove_file(path).await;
            return Err(Refused::Status(
                StatusCode::BAD_REQUEST,
                "empty_file",
                "the file is empty: choose a CSV file with a header row and at least one user"
                    .to_string(),
            ));
        }
        return Ok((name, size));
    }
    Err(Refused::Status(
        StatusCode::BAD_REQUEST,
        "no_file",
        "the form has no file: send it in the field \"file\"".to_string(),
    ))
}

#[derive(Serialize)]
struct Accepted {
    id: String,
    status_url: String,
}

async fn upload(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let json = wants_json(&headers);
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(rejection) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "not_multipart",
                &format!(
                    "send the file as multipart/form-data in the field \"file\" ({rejection})"
                ),
                json,
            );
        }
    };
    let id = generate_id();
    let path = app.config.data.join(format!("{id}.upload"));
    let (file_name, size) = match receive(&mut multipart, &path, app.config.max_upload_bytes).await
    {
        Ok(ok) => ok,
        Err(Refused::Status(status, code, message)) => {
            return problem(status, code, &message, json);
        }
        Err(Refused::Io(err)) => {
            let _ = tokio::fs::remove_file(&path).await;
            return problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "io",
                &format!("the upload could not be stored: {err}"),
                json,
            );
        }
    };
    let progress = Progress::new();
    progress.set_total_bytes(Some(size));
    let cancel = CancelToken::new();
    app.jobs.lock().unwrap().insert(
        id.clone(),
        Job {
            state: JobState::Queued,
            file_name: file_name.clone(),
            size,
            progress: progress.clone(),
            cancel: cancel.clone(),
            report: None,
            error_csv: None,
            delivered: None,
            problem: None,
        },
    );
    tokio::spawn(run_job(app.clone(), id.clone(), path, progress, cancel));
    let status_url = format!("/uploads/{id}");
    if json {
        (
            StatusCode::ACCEPTED,
            [(
                header::LOCATION,
                HeaderValue::from_str(&status_url).unwrap(),
            )],
            axum::Json(Accepted { id, status_url }),
        )
            .into_response()
    } else {
        let name = file_name.unwrap_or_else(|| "your file".to_string());
        (
            StatusCode::ACCEPTED,
            page(
                "Your file is being processed",
                &format!(
                    "<p>{} was received. Upload id: <strong>{}</strong> (support asks for it).</p>\n\
                     <p>You can keep working: you will receive an e-mail when the file has been checked, \
                     with the rows to fix attached if any failed.</p>\n\
                     <p><a href=\"{}\">Follow the progress</a> · <a href=\"/\">Upload another file</a></p>\n",
                    escape(&name),
                    escape(&id),
                    escape(&status_url)
                ),
                false,
            ),
        )
            .into_response()
    }
}

/// Waits for a worker, validates, writes the error CSV and sends the e-mail.
async fn run_job(
    app: Arc<App>,
    id: String,
    path: PathBuf,
    progress: Progress,
    cancel: CancelToken,
) {
    let Ok(_permit) = app.workers.clone().acquire_owned().await else {
        return;
    };
    {
        let mut jobs = app.jobs.lock().unwrap();
        let Some(job) = jobs.get_mut(&id) else { return };
        job.state = JobState::Running;
    }
    let worker_app = app.clone();
    let worker_id = id.clone();
    let result = tokio::task::spawn_blocking(move || {
        validate_and_mail(&worker_app, &worker_id, &path, progress, cancel)
    })
    .await
    .unwrap_or_else(|err| Err(format!("the validation task failed: {err}")));
    let mut jobs = app.jobs.lock().unwrap();
    let Some(job) = jobs.get_mut(&id) else { return };
    match result {
        Ok(Outcome::Done {
            report,
            error_csv,
            delivered,
        }) => {
            job.report = Some(*report);
            job.error_csv = error_csv;
            job.delivered = Some(delivered);
            job.state = JobState::Done;
        }
        Ok(Outcome::Cancelled) => job.state = JobState::Cancelled,
        Err(message) => {
            job.problem = Some(message);
            job.state = JobState::Failed;
        }
    }
}

enum Outcome {
    Done {
        report: Box<ValidationReport>,
        error_csv: Option<PathBuf>,
        delivered: String,
    },
    Cancelled,
}

fn validate_and_mail(
    app: &App,
    id: &str,
    path: &Path,
    progress: Progress,
    cancel: CancelToken,
) -> Result<Outcome, String> {
    let input = std::fs::File::open(path).map_err(|e| format!("cannot open the upload: {e}"))?;
    let csv_path = app.config.data.join(format!("{id}.csv"));
    let mut error_csv = Vec::new();
    let result = app
        .validator
        .validation()
        .id(id)
        .progress(progress)
        .cancel_token(cancel)
        .validate(io::BufReader::new(input), Some(&mut error_csv));
    let _ = std::fs::remove_file(path);
    let report = match result {
        Ok(report) => report,
        Err(err) if matches!(err.kind(), ErrorKind::Cancelled { .. }) => {
            return Ok(Outcome::Cancelled);
        }
        Err(err) => ValidationReport::from_error(id, &err),
    };
    let attach = usercsv::mail::needs_attachment(&report);
    let error_csv_path = if attach {
        write_atomically(&csv_path, &error_csv)?;
        Some(csv_path)
    } else {
        None
    };
    let message = build_message(&report, attach.then_some(&error_csv[..]), &app.mail)
        .map_err(|e| e.to_string())?;
    let delivered = match &app.config.smtp {
        Some(relay) => {
            send_smtp(relay, &message)?;
            format!("smtp://{relay}")
        }
        None => {
            let eml = app.config.outbox.join(format!("{id}.eml"));
            write_atomically(&eml, &message.formatted())?;
            eml.display().to_string()
        }
    };
    Ok(Outcome::Done {
        report: Box::new(report),
        error_csv: error_csv_path,
        delivered,
    })
}

/// Writes to a temporary name and renames, so readers never see half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn send_smtp(relay: &str, message: &lettre::Message) -> Result<(), String> {
    use lettre::Transport;
    let (host, port) = relay
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
        .ok_or_else(|| format!("--smtp wants HOST:PORT, got \"{relay}\""))?;
    let transport = lettre::SmtpTransport::builder_dangerous(host)
        .port(port)
        .timeout(Some(std::time::Duration::from_secs(30)))
        .build();
    transport
        .send(message)
        .map(|_| ())
        .map_err(|e| format!("SMTP relay {relay}: {e}"))
}

/// The status as JSON.
#[derive(Serialize)]
pub struct Status {
    id: String,
    state: JobState,
    file_name: Option<String>,
    size: u64,
    rows_done: u64,
    bytes_read: u64,
    total_bytes: Option<u64>,
    fraction: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<RowCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_valid: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    file_errors: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<RowError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors_csv_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

fn status_of(id: &str, job: &Job) -> Status {
    let report = job.report.as_ref();
    Status {
        id: id.to_string(),
        state: job.state.clone(),
        file_name: job.file_name.clone(),
        size: job.size,
        rows_done: job.progress.rows(),
        bytes_read: job.progress.bytes(),
        total_bytes: job.progress.total_bytes(),
        fraction: job.progress.fraction(),
        rows: report.map(|r| r.rows),
        is_valid: report.map(ValidationReport::is_valid),
        file_errors: report
            .map(|r| r.file_errors.iter().map(|e| e.message.clone()).collect())
            .unwrap_or_default(),
        errors: report
            .map(|r| r.errors.iter().take(100).cloned().collect())
            .unwrap_or_default(),
        errors_csv_url: job
            .error_csv
            .as_ref()
            .map(|_| format!("/uploads/{id}/errors.csv")),
        email: job.delivered.clone(),
        problem: job.problem.clone(),
    }
}

fn unknown(id: &str, json: bool) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "unknown_upload",
        &format!("there is no upload with id \"{id}\""),
        json,
    )
}

async fn status(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    let status = {
        let jobs = app.jobs.lock().unwrap();
        match jobs.get(&id) {
            Some(job) => status_of(&id, job),
            None => return unknown(&id, json),
        }
    };
    if json {
        return axum::Json(status).into_response();
    }
    let running = matches!(status.state, JobState::Queued | JobState::Running);
    let mut body = format!("<p>Upload id: <strong>{}</strong></p>\n", escape(&id));
    match status.state {
        JobState::Queued => body.push_str("<p>Waiting to be checked…</p>\n"),
        JobState::Running => {
            let percent = status.fraction.map_or(String::new(), |f| {
                format!(" ({:.0}% of the file)", f * 100.0)
            });
            body.push_str(&format!(
                "<p>Checking: {} rows so far{percent}.</p>\n",
                status.rows_done
            ));
        }
        JobState::Cancelled => {
            body.push_str("<p>The check was cancelled; nothing will be imported.</p>\n")
        }
        JobState::Failed => body.push_str(&format!(
            "<p>Something went wrong on our side: {}</p>\n",
            escape(status.problem.as_deref().unwrap_or(""))
        )),
        JobState::Done => {
            if let Some(first) = status.file_errors.first() {
                body.push_str(&format!(
                    "<p>The file could not be read: {}</p>\n",
                    escape(first)
                ));
            } else if let Some(rows) = status.rows {
                body.push_str(&format!(
                    "<p>{} users checked: {} valid, {} with errors.</p>\n",
                    rows.total, rows.valid, rows.invalid
                ));
                if let Some(url) = &status.errors_csv_url {
                    body.push_str(&format!(
                        "<p><a href=\"{}\">Download the rows to fix</a>, fix the values, and upload the file again.</p>\n",
                        escape(url)
                    ));
                }
            }
            body.push_str("<p>An e-mail with the result is on its way.</p>\n");
        }
    }
    page("Upload status", &body, running).into_response()
}

async fn cancel(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    let jobs = app.jobs.lock().unwrap();
    let Some(job) = jobs.get(&id) else {
        return unknown(&id, json);
    };
    if !matches!(job.state, JobState::Queued | JobState::Running) {
        return problem(
            StatusCode::CONFLICT,
            "not_running",
            &format!("upload \"{id}\" has already finished"),
            json,
        );
    }
    job.cancel.cancel();
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({ "id": id, "cancelling": true })),
    )
        .into_response()
}

async fn errors_csv(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    let path = {
        let jobs = app.jobs.lock().unwrap();
        let Some(job) = jobs.get(&id) else {
            return unknown(&id, json);
        };
        match &job.error_csv {
            Some(path) => path.clone(),
            None => {
                return problem(
                    StatusCode::NOT_FOUND,
                    "no_error_file",
                    &format!(
                        "upload \"{id}\" has no error file (it is still running, was cancelled, or no row failed)"
                    ),
                    json,
                );
            }
        }
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_str(&format!("attachment; filename=\"{id}.csv\"")).unwrap(),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(err) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "io",
            &format!("cannot read the error file: {err}"),
            json,
        ),
    }
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
    let mut args = args.into_iter();
    let mut addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let mut outbox = PathBuf::from("outbox");
    let mut data = None;
    let mut max = None;
    let mut schema = None;
    let mut from = None;
    let mut to = Vec::new();
    let mut smtp = None;
    let mut workers = None;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--addr" => addr = value()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--outbox" => outbox = PathBuf::from(value()?),
            "--data" => data = Some(PathBuf::from(value()?)),
            "--max-upload-bytes" => {
                max = Some(
                    value()?
                        .parse()
                        .map_err(|e| format!("--max-upload-bytes: {e}"))?,
                )
            }
            "--schema" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                schema = Some(Schema::from_str_auto(&text).map_err(|e| format!("{path}: {e}"))?);
            }
            "--from" => from = Some(value()?),
            "--to" => to.push(value()?),
            "--smtp" => smtp = Some(value()?),
            "--workers" => workers = Some(value()?.parse().map_err(|e| format!("--workers: {e}"))?),
            "-h" | "--help" => {
                return Err("usage: backoffice [--addr HOST:PORT] [--outbox DIR] [--data DIR] \
                            [--max-upload-bytes N] [--schema FILE] [--from ADDRESS] [--to ADDRESS]... \
                            [--smtp HOST:PORT] [--workers N]"
                    .to_string());
            }
            other => return Err(format!("unknown option {other} (try --help)")),
        }
    }
    let mut config = Config::new(addr, outbox);
    if let Some(data) = data {
        config.data = data;
    }
    if let Some(max) = max {
        config.max_upload_bytes = max;
    }
    if let Some(schema) = schema {
        config.schema = schema;
    }
    if let Some(from) = from {
        config.from = from;
    }
    if !to.is_empty() {
        config.to = to;
    }
    config.smtp = smtp;
    if let Some(workers) = workers {
        config.workers = workers;
    }
    Ok(config)
}

#[cfg_attr(test, allow(dead_code))]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    let delivery = match &config.smtp {
        Some(relay) => format!("sent to the SMTP relay {relay}"),
        None => format!("written to {}", config.outbox.display()),
    };
    let server = match start(config).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("cannot start: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!(
        "back office on http://{}/ (e-mails are {delivery}); Ctrl-C to stop",
        server.addr
    );
    let _ = tokio::signal::ctrl_c().await;
    let _ = server.stop().await;
    std::process::ExitCode::SUCCESS
}
