//! The HTTP side: routes, content negotiation, security headers and the
//! same-origin check. `router(app)` mounts into any axum app.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use usercsv::{GuideFormat, PlanCounts, RowCounts, render_guide};

use super::jobs::App;
use super::pages;
use super::store::{self, Applied, Changes, ErrorGroup, Upload, User};

/// Row errors in a JSON status; the page shows fewer.
const JSON_ERRORS: usize = 100;
const PAGE_ERRORS: usize = 20;
/// Characters of a cell or message shown (the error CSV stays verbatim).
const CELL_CHARS: usize = 200;
/// Room for the multipart framing around the file.
const MULTIPART_SLACK: u64 = 64 * 1024;

const CSP: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The routes, with the security headers and the same-origin check.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/style.css", get(style))
        .route("/uploads", get(list).post(upload))
        .route("/uploads/{id}", get(status).delete(cancel))
        .route("/uploads/{id}/cancel", post(cancel))
        .route("/uploads/{id}/approve", post(approve))
        .route("/uploads/{id}/errors.csv", get(errors_csv))
        .route("/users", get(users))
        .route("/template.csv", get(template))
        .route("/guide", get(guide))
        // The upload handler enforces the configured limit while streaming.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(guard))
        .with_state(app)
}

/// Refuses state-changing requests from other origins, and sets the
/// headers every response carries.
async fn guard(request: Request, next: Next) -> Response {
    let changes = matches!(*request.method(), Method::POST | Method::DELETE);
    let mut response = if changes && cross_origin(request.headers()) {
        problem(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "this request came from another site and was refused",
            wants_json(request.headers()),
        )
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Whether a browser says the request comes from another site. Clients
/// that send neither header (scripts, curl) are not browsers on a page.
fn cross_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    origin == "null" || origin_host != host
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// A refused request: JSON `{error, message}`, or a page.
pub fn problem(status: StatusCode, code: &str, message: &str, json: bool) -> Response {
    if json {
        (
            status,
            axum::Json(serde_json::json!({ "error": code, "message": message })),
        )
            .into_response()
    } else {
        let title = if status.is_server_error() {
            "Something went wrong"
        } else {
            "The request was refused"
        };
        (status, Html(pages::message(title, message).into_string())).into_response()
    }
}

/// Runs database writes off the async threads: they may wait for an
/// upload's commit.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn index(State(app): State<Arc<App>>) -> Html<String> {
    Html(pages::index(app.config.max_upload_bytes).into_string())
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        pages::STYLE,
    )
        .into_response()
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
    Io,
}

impl From<std::io::Error> for Refused {
    fn from(_: std::io::Error) -> Refused {
        Refused::Io
    }
}

/// Spreadsheet files by name or by their first bytes (zip: xlsx and ods;
/// OLE: xls).
fn spreadsheet(name: Option<&str>, head: &[u8]) -> bool {
    let by_name = name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        [".xlsx", ".xls", ".ods", ".xlsm"]
            .iter()
            .any(|ext| n.ends_with(ext))
    });
    by_name
        || head.starts_with(b"PK\x03\x04")
        || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

/// Streams the field `file` to `path`; returns the original name and size.
/// The caller deletes `path` on every error.
async fn receive(
    app: &App,
    multipart: &mut Multipart,
    path: &Path,
) -> Result<(Option<String>, u64), Refused> {
    let max = app.config.max_upload_bytes;
    let timeout = app.config.read_timeout;
    let bad = |err: axum::extract::multipart::MultipartError| {
        Refused::Status(err.status(), "bad_multipart", err.body_text())
    };
    let slow = || {
        Refused::Status(
            StatusCode::REQUEST_TIMEOUT,
            "too_slow",
            "the upload stalled; try again".to_string(),
        )
    };
    loop {
        let field = tokio::time::timeout(timeout, multipart.next_field())
            .await
            .map_err(|_| slow())?
            .map_err(bad)?;
        let Some(mut field) = field else { break };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(str::to_string);
        let mut out = tokio::fs::File::create(path).await?;
        let mut size = 0u64;
        let mut head = Vec::new();
        while let Some(chunk) = tokio::time::timeout(timeout, field.chunk())
            .await
            .map_err(|_| slow())?
            .map_err(bad)?
        {
            size += chunk.len() as u64;
            if head.len() < 8 {
                head.extend(chunk.iter().take(8 - head.len()));
            }
            if size > max {
                // Read on (up to a bound) so the client gets the answer
                // instead of a reset connection.
                let mut drained = size;
                while drained < max.saturating_mul(2).max(8 << 20) {
                    match tokio::time::timeout(timeout, field.chunk()).await {
                        Ok(Ok(Some(chunk))) => drained += chunk.len() as u64,
                        _ => break,
                    }
                }
                return Err(too_large(max));
            }
            out.write_all(&chunk).await?;
        }
        out.flush().await?;
        out.sync_all().await?;
        if spreadsheet(name.as_deref(), &head) {
            return Err(Refused::Status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "spreadsheet",
                "this is a spreadsheet, not a CSV file: open it in Excel or LibreOffice, \
                 save it as CSV UTF-8 first, and upload the CSV file"
                    .to_string(),
            ));
        }
        if size == 0 {
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

fn too_large(max: u64) -> Refused {
    Refused::Status(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!(
            "the file is larger than the limit of {}",
            pages::human_bytes(max)
        ),
    )
}

fn refused(why: Refused, json: bool) -> Response {
    match why {
        Refused::Status(status, code, message) => problem(status, code, &message, json),
        Refused::Io => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "io",
            "the upload could not be stored; try again",
            json,
        ),
    }
}

fn busy(json: bool) -> Response {
    let mut response = problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "too many uploads are waiting; try again in a minute",
        json,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    response
}

async fn upload(State(app): State<Arc<App>>, headers: HeaderMap, request: Request) -> Response {
    let json = wants_json(&headers);
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|l| l > app.config.max_upload_bytes + MULTIPART_SLACK) {
        // Refused before a byte of the body is read.
        let mut response = refused(too_large(app.config.max_upload_bytes), json);
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    if app.is_stopping() || !app.has_room() {
        return busy(json);
    }
    let mut multipart =
        match <Multipart as axum::extract::FromRequest<()>>::from_request(request, &()).await {
            Ok(m) => m,
            Err(_) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "not_multipart",
                    "send the file as multipart/form-data in the field \"file\"",
                    json,
                );
            }
        };
    let Ok(id) = super::new_id() else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no_id",
            "the upload could not be stored; try again",
            json,
        );
    };
    let part = app.config.data.join("uploads").join(format!("{id}.part"));
    let received = receive(&app, &mut multipart, &part).await;
    let (file_name, size) = match received {
        Ok(ok) => ok,
        Err(refused_why) => {
            let _ = tokio::fs::remove_file(&part).await;
            return refused(refused_why, json);
        }
    };
    let path = app.upload_path(&id);
    // Shown, never used as a path.
    let file_name = file_name
        .map(|n| n.chars().take(255).collect::<String>())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "upload.csv".to_string());
    let stored = match tokio::fs::rename(&part, &path).await {
        Ok(()) => {
            let (app, id, file_name) = (app.clone(), id.clone(), file_name.clone());
            let path = path.to_string_lossy().into_owned();
            blocking(move || {
                store::insert_upload(
                    &app.db(),
                    &store::NewUpload {
                        id: &id,
                        file_name: &file_name,
                        source: "web",
                        mode: "delta",
                        size,
                        path: &path,
                    },
                )
                .is_ok()
            })
            .await
            .unwrap_or(false)
        }
        Err(_) => false,
    };
    if !stored {
        let _ = tokio::fs::remove_file(&part).await;
        let _ = tokio::fs::remove_file(&path).await;
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "io",
            "the upload could not be stored; try again",
            json,
        );
    }
    app.push(id.clone(), Some(size));
    let status_url = format!("/uploads/{id}");
    let location = HeaderValue::from_str(&status_url).unwrap_or(HeaderValue::from_static("/"));
    if json {
        (
            StatusCode::ACCEPTED,
            [(header::LOCATION, location)],
            axum::Json(serde_json::json!({ "id": id, "status_url": status_url })),
        )
            .into_response()
    } else {
        // 303: a reload of the next page does not upload again.
        (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
    }
}

/// One line of the history.
#[derive(Serialize)]
pub struct ListItem {
    pub id: String,
    pub file_name: String,
    pub source: String,
    pub mode: String,
    pub status: String,
    pub created_at: String,
    pub rows: Option<RowCounts>,
}

fn time(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let uploads = match store::list_uploads(&app.read(), 500) {
        Ok(uploads) => uploads,
        Err(_) => return db_error(wants_json(&headers)),
    };
    let items: Vec<ListItem> = uploads
        .into_iter()
        .map(|u| ListItem {
            rows: u.result.as_ref().map(|r| r.report.rows),
            created_at: time(u.created_at),
            id: u.id,
            file_name: u.file_name,
            source: u.source,
            mode: u.mode,
            status: u.status,
        })
        .collect();
    let response = if wants_json(&headers) {
        axum::Json(items).into_response()
    } else {
        Html(pages::uploads(&items).into_string()).into_response()
    };
    no_store(response)
}

fn db_error(json: bool) -> Response {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "database",
        "the history could not be read; try again",
        json,
    )
}

#[derive(Serialize)]
pub struct ProgressView {
    pub rows: u64,
    pub bytes: u64,
    pub total_bytes: Option<u64>,
    pub fraction: Option<f64>,
}

#[derive(Serialize)]
pub struct EmailView {
    pub status: String,
    pub attempts: u32,
}

#[derive(Serialize)]
pub struct HeldView {
    pub archive: u64,
    pub existing: u64,
    pub message: String,
    pub would_archive: Vec<String>,
}

#[derive(Serialize)]
pub struct ErrorView {
    pub row: u64,
    pub column: Option<String>,
    pub code: String,
    pub value: Option<String>,
    pub message: String,
}

/// The status of an upload, as JSON and for the page.
#[derive(Serialize)]
pub struct StatusView {
    pub id: String,
    pub file_name: String,
    pub source: String,
    pub mode: String,
    pub status: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub size: u64,
    pub progress: ProgressView,
    pub rows: Option<RowCounts>,
    pub plan: Option<PlanCounts>,
    pub applied: Option<Applied>,
    /// The first users created, updated and archived (once applied).
    pub changes: Option<Changes>,
    pub held: Option<HeldView>,
    pub file_errors: Vec<String>,
    pub errors: Vec<ErrorView>,
    pub errors_truncated: bool,
    pub error_groups: Vec<ErrorGroup>,
    pub errors_csv_url: Option<String>,
    pub email: EmailView,
    pub problem: Option<String>,
}

fn cap(text: &str) -> String {
    match text.char_indices().nth(CELL_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Users listed per kind of change.
const CHANGES_SHOWN: u32 = 20;

fn status_view(app: &App, upload: Upload) -> StatusView {
    // The live handle only while the database says queued or running (it
    // outlives the commit by a moment).
    let live = app
        .live(&upload.id)
        .filter(|_| matches!(upload.status.as_str(), "queued" | "running"));
    let progress = match &live {
        Some(live) => ProgressView {
            rows: live.progress.rows(),
            bytes: live.progress.bytes(),
            total_bytes: live.progress.total_bytes(),
            fraction: live.progress.fraction(),
        },
        None => {
            let rows = upload.result.as_ref().map_or(0, |r| r.report.rows.total);
            let ended = !matches!(upload.status.as_str(), "queued" | "running");
            ProgressView {
                rows,
                bytes: if ended { upload.size } else { 0 },
                total_bytes: Some(upload.size),
                fraction: Some(if ended { 1.0 } else { 0.0 }),
            }
        }
    };
    let result = upload.result.as_ref();
    let report = result.map(|r| &r.report);
    let held = result.and_then(|r| r.held.as_ref());
    let file_errors = if held.is_some() {
        Vec::new()
    } else {
        report
            .map(|r| r.file_errors.iter().map(|e| cap(&e.message)).collect())
            .unwrap_or_default()
    };
    let applied = result.and_then(|r| r.applied);
    let changes = applied
        .filter(|_| !upload.files_deleted)
        .and_then(|_| store::changes(&app.read(), &upload.id, CHANGES_SHOWN).ok());
    StatusView {
        changes,
        errors_csv_url: (upload.has_error_csv && !upload.files_deleted)
            .then(|| format!("/uploads/{}/errors.csv", upload.id)),
        id: upload.id,
        file_name: upload.file_name,
        source: upload.source,
        mode: upload.mode,
        status: upload.status,
        created_at: time(upload.created_at),
        finished_at: upload.finished_at.map(time),
        size: upload.size,
        progress,
        rows: report
            .filter(|r| r.file_errors.is_empty() || held.is_some())
            .map(|r| r.rows),
        plan: result.and_then(|r| r.plan),
        applied,
        held: held.map(|h| HeldView {
            archive: h.archive,
            existing: h.existing,
            message: h.message.clone(),
            would_archive: h.would_archive.clone(),
        }),
        file_errors,
        errors: report
            .map(|r| {
                r.errors
                    .iter()
                    .take(JSON_ERRORS)
                    .map(|e| ErrorView {
                        row: e.row,
                        column: e.column.clone(),
                        code: e.code.as_str().to_string(),
                        value: e.value.as_deref().map(cap),
                        message: cap(&e.message),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        errors_truncated: report
            .is_some_and(|r| r.errors.len() > JSON_ERRORS || r.errors_truncated),
        error_groups: result.map(|r| r.groups.clone()).unwrap_or_default(),
        email: EmailView {
            status: upload.email_status,
            attempts: upload.email_attempts,
        },
        problem: upload.problem,
    }
}

fn unknown(id: &str, json: bool) -> Response {
    let id: String = id.chars().take(80).collect();
    problem(
        StatusCode::NOT_FOUND,
        "unknown_upload",
        &format!("there is no upload with id \"{id}\""),
        json,
    )
}

fn find(app: &App, id: &str, json: bool) -> Result<Upload, Box<Response>> {
    match store::get_upload(&app.read(), id) {
        Ok(Some(upload)) => Ok(upload),
        Ok(None) => Err(Box::new(unknown(id, json))),
        Err(_) => Err(Box::new(db_error(json))),
    }
}

async fn status(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    let upload = match find(&app, &id, json) {
        Ok(upload) => upload,
        Err(response) => return *response,
    };
    let view = status_view(&app, upload);
    let response = if json {
        axum::Json(view).into_response()
    } else {
        Html(pages::status(&view, PAGE_ERRORS).into_string()).into_response()
    };
    no_store(response)
}

/// `DELETE /uploads/{id}`, and `POST /uploads/{id}/cancel` from the page.
async fn cancel(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers) || method == Method::DELETE;
    if let Err(response) = find(&app, &id, json) {
        return *response;
    }
    let cancelled = {
        let (app, id) = (app.clone(), id.clone());
        blocking(move || app.cancel(&id)).await.unwrap_or(false)
    };
    if !cancelled {
        return problem(
            StatusCode::CONFLICT,
            "not_running",
            &format!("upload \"{id}\" has already finished"),
            json,
        );
    }
    if json {
        (
            StatusCode::ACCEPTED,
            axum::Json(serde_json::json!({ "id": id, "cancelling": true })),
        )
            .into_response()
    } else {
        see_other(&id)
    }
}

fn see_other(id: &str) -> Response {
    let location =
        HeaderValue::from_str(&format!("/uploads/{id}")).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

async fn approve(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    if let Err(response) = find(&app, &id, json) {
        return *response;
    }
    let approved = {
        let (app, id) = (app.clone(), id.clone());
        blocking(move || app.approve(&id).ok()).await.flatten()
    };
    match approved.ok_or(()) {
        Ok(true) if json => (
            StatusCode::ACCEPTED,
            axum::Json(serde_json::json!({ "id": id, "status": "queued" })),
        )
            .into_response(),
        Ok(true) => see_other(&id),
        Ok(false) => problem(
            StatusCode::CONFLICT,
            "not_held",
            &format!("upload \"{id}\" is not waiting for approval"),
            json,
        ),
        Err(_) => db_error(json),
    }
}

async fn errors_csv(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    let upload = match find(&app, &id, json) {
        Ok(upload) => upload,
        Err(response) => return *response,
    };
    let missing = || {
        problem(
            StatusCode::NOT_FOUND,
            "no_error_file",
            &format!(
                "upload \"{id}\" has no error file (it is still running, no row failed, \
                 or it was deleted after the retention period)"
            ),
            json,
        )
    };
    if !upload.has_error_csv || upload.files_deleted {
        return missing();
    }
    match tokio::fs::read(app.error_csv_path(&id)).await {
        Ok(bytes) => no_store(
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&format!("attachment; filename=\"{id}.csv\""))
                            .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                ],
                Body::from(bytes),
            )
                .into_response(),
        ),
        Err(_) => missing(),
    }
}

/// A user's value of a schema column (the key is the key column).
pub fn user_value<'u>(user: &'u User, column: &str) -> &'u str {
    user.values
        .get(column)
        .and_then(|v| v.as_str())
        .unwrap_or("")
}

async fn users(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    let status = query
        .get("status")
        .map(String::as_str)
        .filter(|s| !s.is_empty());
    if status.is_some_and(|s| s != "active" && s != "archived") {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad_status",
            "status is active or archived",
            json,
        );
    }
    let q = query.get("q").map(String::as_str).filter(|s| !s.is_empty());
    let key = app.validator.schema().key.clone().unwrap_or_default();
    let mut users = match store::list_users(&app.read(), status, q, 1000) {
        Ok(users) => users,
        Err(_) => return db_error(json),
    };
    for user in &mut users {
        user.values
            .insert(key.clone(), serde_json::Value::String(user.key.clone()));
    }
    let columns: Vec<String> = app
        .validator
        .schema()
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let response = if json {
        let list: Vec<serde_json::Map<String, serde_json::Value>> = users
            .iter()
            .map(|u| {
                let mut row = serde_json::Map::new();
                for c in &columns {
                    row.insert(c.clone(), user_value(u, c).into());
                }
                row.insert("status".to_string(), u.status.clone().into());
                row
            })
            .collect();
        axum::Json(list).into_response()
    } else {
        Html(pages::users(&columns, &users, q.unwrap_or(""), status.unwrap_or("")).into_string())
            .into_response()
    };
    no_store(response)
}
