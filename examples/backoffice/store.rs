//! The embedded SQLite store: users and upload history.
//!
//! Users are kept as the key plus a JSON object of normalised values by
//! schema column name, so that any schema fits one table. [`SqlUsers`] is
//! the [`ExistingUsers`] the library plans against, read from the same
//! write transaction the upload is then applied in.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use usercsv::{ExistingUsers, RowValue};

/// The schema of the database; `CREATE … IF NOT EXISTS` keeps it idempotent.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    key        TEXT PRIMARY KEY,
    status     TEXT NOT NULL DEFAULT 'active',
    data       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT
);
CREATE TABLE IF NOT EXISTS uploads (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    file_name     TEXT NOT NULL,
    source        TEXT NOT NULL,
    mode          TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    size          INTEGER NOT NULL,
    path          TEXT,
    approved      INTEGER NOT NULL DEFAULT 0,
    result        TEXT,
    problem       TEXT,
    has_error_csv INTEGER NOT NULL DEFAULT 0,
    email_status  TEXT NOT NULL DEFAULT 'none',
    email_attempts INTEGER NOT NULL DEFAULT 0,
    email_next_at INTEGER NOT NULL DEFAULT 0,
    files_deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS uploads_status ON uploads(status);
CREATE TABLE IF NOT EXISTS changes (
    upload_id TEXT NOT NULL,
    key       TEXT NOT NULL,
    change    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_upload ON changes(upload_id, change);
";

/// Opens (and creates) the database: WAL so that pages read while an
/// upload is applied, and a busy timeout instead of instant `SQLITE_BUSY`:
/// a write (a new upload's row) waits for an apply in progress, which
/// holds the write lock for its one transaction.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(120))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// One row of the upload history.
#[derive(Clone, Debug)]
pub struct Upload {
    pub id: String,
    pub file_name: String,
    pub source: String,
    pub mode: String,
    pub status: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub size: u64,
    pub path: Option<String>,
    pub approved: bool,
    pub result: Option<JobResult>,
    pub problem: Option<String>,
    pub has_error_csv: bool,
    pub email_status: String,
    pub email_attempts: u32,
    pub files_deleted: bool,
}

/// What processing an upload produced; stored as JSON in `uploads.result`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct JobResult {
    /// The library's report (row errors capped, counts exact).
    pub report: usercsv::ValidationReport,
    /// What the plan would do (also when held).
    pub plan: Option<usercsv::PlanCounts>,
    /// What was applied to the store.
    pub applied: Option<Applied>,
    /// Errors by column and code, counted over every row.
    pub groups: Vec<ErrorGroup>,
    /// Set when the mass-archive guard held a full sync.
    pub held: Option<Held>,
}

/// Changes written to the users table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub archived: u64,
}

/// Row errors of one column and code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorGroup {
    pub column: Option<String>,
    pub code: String,
    pub count: u64,
}

/// A full sync the guard held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub archive: u64,
    pub existing: u64,
    pub message: String,
    /// The first users it would archive.
    #[serde(default)]
    pub would_archive: Vec<String>,
}

const UPLOAD_COLUMNS: &str = "id, file_name, source, mode, status, created_at, finished_at, size, \
     path, approved, result, problem, has_error_csv, email_status, email_attempts, files_deleted";

fn upload_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Upload> {
    let result: Option<String> = row.get(10)?;
    Ok(Upload {
        id: row.get(0)?,
        file_name: row.get(1)?,
        source: row.get(2)?,
        mode: row.get(3)?,
        status: row.get(4)?,
        created_at: row.get(5)?,
        finished_at: row.get(6)?,
        size: row.get::<_, i64>(7)?.max(0) as u64,
        path: row.get(8)?,
        approved: row.get(9)?,
        // A result that no longer parses (older version) shows as none.
        result: result.and_then(|r| serde_json::from_str(&r).ok()),
        problem: row.get(11)?,
        has_error_csv: row.get(12)?,
        email_status: row.get(13)?,
        email_attempts: row.get::<_, i64>(14)?.max(0) as u32,
        files_deleted: row.get(15)?,
    })
}

/// A new upload, queued.
pub struct NewUpload<'a> {
    pub id: &'a str,
    pub file_name: &'a str,
    pub source: &'a str,
    pub mode: &'a str,
    pub size: u64,
    pub path: &'a str,
}

pub fn insert_upload(conn: &Connection, new: &NewUpload<'_>) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO uploads (id, file_name, source, mode, status, created_at, size, path) \
         VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?7)",
        params![
            new.id,
            new.file_name,
            new.source,
            new.mode,
            now(),
            new.size as i64,
            new.path
        ],
    )?;
    Ok(())
}

pub fn get_upload(conn: &Connection, id: &str) -> rusqlite::Result<Option<Upload>> {
    conn.query_row(
        &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = ?1"),
        [id],
        upload_from_row,
    )
    .optional()
}

/// The history, newest first.
pub fn list_uploads(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<Upload>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM uploads ORDER BY seq DESC LIMIT ?1"
    ))?;
    stmt.query_map([limit], upload_from_row)?.collect()
}

/// Ids and sizes of the uploads with this status, oldest first.
pub fn ids_with_status(conn: &Connection, status: &str) -> rusqlite::Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare("SELECT id, size FROM uploads WHERE status = ?1 ORDER BY seq")?;
    stmt.query_map([status], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64))
    })?
    .collect()
}

/// Sets a status, only from one of `from` (so a race loses cleanly).
pub fn set_status(conn: &Connection, id: &str, from: &[&str], to: &str) -> rusqlite::Result<bool> {
    let placeholders = vec!["?"; from.len()].join(",");
    let sql = format!("UPDATE uploads SET status = ? WHERE id = ? AND status IN ({placeholders})");
    let mut values: Vec<&dyn rusqlite::ToSql> = vec![&to, &id];
    for f in from {
        values.push(f);
    }
    Ok(conn.execute(&sql, values.as_slice())? > 0)
}

/// Records where an upload's file is now.
pub fn set_path(conn: &Connection, id: &str, path: &str) -> rusqlite::Result<()> {
    conn.execute("UPDATE uploads SET path = ?2 WHERE id = ?1", [id, path])?;
    Ok(())
}

/// Records an ended upload: its status, result and whether an e-mail is due.
pub fn finish_upload(
    conn: &Connection,
    id: &str,
    status: &str,
    result: Option<&JobResult>,
    has_error_csv: bool,
    problem: Option<&str>,
    mail: bool,
) -> rusqlite::Result<()> {
    let result = result.and_then(|r| serde_json::to_string(r).ok());
    conn.execute(
        "UPDATE uploads SET status = ?2, result = ?3, has_error_csv = ?4, problem = ?5, \
         finished_at = ?6, email_status = CASE WHEN ?7 THEN 'pending' ELSE email_status END, \
         email_attempts = CASE WHEN ?7 THEN 0 ELSE email_attempts END, \
         email_next_at = CASE WHEN ?7 THEN 0 ELSE email_next_at END WHERE id = ?1",
        params![id, status, result, has_error_csv, problem, now(), mail],
    )?;
    Ok(())
}

/// E-mails due for (another) delivery attempt.
pub fn mail_due(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT id FROM uploads WHERE email_status = 'pending' AND email_next_at <= ?1 \
         ORDER BY seq LIMIT 20",
    )?;
    stmt.query_map([now()], |r| r.get(0))?.collect()
}

pub fn mail_outcome(
    conn: &Connection,
    id: &str,
    status: &str,
    attempts: u32,
    next_at: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE uploads SET email_status = ?2, email_attempts = ?3, email_next_at = ?4 WHERE id = ?1",
        params![id, status, attempts, next_at],
    )?;
    Ok(())
}

/// Finished uploads older than `before` whose files are still on disk.
pub fn expired(conn: &Connection, before: i64) -> rusqlite::Result<Vec<Upload>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE files_deleted = 0 AND created_at <= ?1 \
         AND status IN ('done', 'failed', 'cancelled') AND email_status != 'pending'"
    ))?;
    stmt.query_map([before], upload_from_row)?.collect()
}

/// Marks an upload's files deleted; its list of changed users (personal
/// data, like the files) goes with them, its counts stay.
pub fn mark_files_deleted(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE uploads SET files_deleted = 1, has_error_csv = 0 WHERE id = ?1",
        [id],
    )?;
    conn.execute("DELETE FROM changes WHERE upload_id = ?1", [id])?;
    Ok(())
}

/// The first users an upload created, updated (or restored) and archived.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Changes {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub archived: Vec<String>,
}

pub fn changes(conn: &Connection, id: &str, per_kind: u32) -> rusqlite::Result<Changes> {
    let mut stmt = conn.prepare(
        "SELECT key FROM changes WHERE upload_id = ?1 AND change = ?2 ORDER BY rowid LIMIT ?3",
    )?;
    let mut list = |change: &str| -> rusqlite::Result<Vec<String>> {
        stmt.query_map(params![id, change, per_kind], |r| r.get(0))?
            .collect()
    };
    Ok(Changes {
        created: list("created")?,
        updated: list("updated")?,
        archived: list("archived")?,
    })
}

fn record(conn: &Connection, upload: &str, key: &str, change: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO changes (upload_id, key, change) VALUES (?1, ?2, ?3)")?
        .execute(params![upload, key, change])?;
    Ok(())
}

/// A user as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub key: String,
    pub status: String,
    pub values: Map<String, Value>,
}

/// Users, filtered by status and by a substring of the key or any value.
pub fn list_users(
    conn: &Connection,
    status: Option<&str>,
    q: Option<&str>,
    limit: u32,
) -> rusqlite::Result<Vec<User>> {
    let pattern = q.map(|q| {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    let mut stmt = conn.prepare(
        "SELECT key, status, data FROM users \
         WHERE (?1 IS NULL OR status = ?1) \
         AND (?2 IS NULL OR key LIKE ?2 ESCAPE '\\' OR data LIKE ?2 ESCAPE '\\') \
         ORDER BY key LIMIT ?3",
    )?;
    stmt.query_map(params![status, pattern, limit], |r| {
        let data: String = r.get(2)?;
        Ok(User {
            key: r.get(0)?,
            status: r.get(1)?,
            values: serde_json::from_str(&data).unwrap_or_default(),
        })
    })?
    .collect()
}

/// The stored users, read through the upload's own connection; the upload
/// is then applied on it in one transaction.
///
/// A user archived earlier counts as existing (a partial row may restore
/// it), and none of its values as equal (so restoring is an update); the
/// archive list and the guard's count take the active users only.
pub struct SqlUsers {
    pub conn: Mutex<Connection>,
    active: usize,
    /// The last user looked up: the planner asks about one user's
    /// columns in a row.
    cache: Mutex<Option<(String, Option<Stored>)>>,
    /// The first database error: a plan made without the store is void.
    pub failure: Mutex<Option<String>>,
}

#[derive(Clone)]
struct Stored {
    archived: bool,
    values: Map<String, Value>,
}

impl SqlUsers {
    /// Reads the users through this connection.
    pub fn new(conn: Connection) -> rusqlite::Result<SqlUsers> {
        let active: i64 = conn.query_row(
            "SELECT COUNT(*) FROM users WHERE status = 'active'",
            [],
            |r| r.get(0),
        )?;
        Ok(SqlUsers {
            conn: Mutex::new(conn),
            active: active.max(0) as usize,
            cache: Mutex::new(None),
            failure: Mutex::new(None),
        })
    }

    fn fail(&self, err: rusqlite::Error) {
        let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        failure.get_or_insert_with(|| err.to_string());
    }

    fn lookup(&self, key: &str) -> Option<Stored> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((k, stored)) = &*cache
            && k == key
        {
            return stored.clone();
        }
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let found = conn
            .prepare_cached("SELECT status, data FROM users WHERE key = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([key], |r| {
                    let status: String = r.get(0)?;
                    let data: String = r.get(1)?;
                    Ok(Stored {
                        archived: status == "archived",
                        values: serde_json::from_str(&data).unwrap_or_default(),
                    })
                })
                .optional()
            });
        let stored = match found {
            Ok(stored) => stored,
            Err(err) => {
                self.fail(err);
                None
            }
        };
        *cache = Some((key.to_string(), stored.clone()));
        stored
    }
}

impl ExistingUsers for SqlUsers {
    fn len(&self) -> usize {
        self.active
    }

    fn contains(&self, key: &str) -> bool {
        self.lookup(key).is_some()
    }

    fn same_value(&self, key: &str, column: &str, normalized: &str) -> bool {
        match self.lookup(key) {
            Some(stored) if !stored.archived => {
                let value = stored.values.get(column).and_then(Value::as_str);
                value.unwrap_or("") == normalized
            }
            _ => false,
        }
    }

    /// One fetch of the user for the whole row, not one per column. A
    /// value as uploaded that equals the stored (normalised) one is in
    /// normal form already, so it is only normalised when it differs.
    fn same_values(&self, key: &str, values: &[RowValue<'_>]) -> bool {
        match self.lookup(key) {
            Some(stored) if !stored.archived => values.iter().all(|value| {
                let kept = stored.values.get(value.column()).and_then(Value::as_str);
                let kept = kept.unwrap_or("");
                (value.compares_as_uploaded() && kept == value.as_uploaded())
                    || kept == value.normalized()
            }),
            _ => false,
        }
    }

    fn keys(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let keys: rusqlite::Result<Vec<String>> = conn
            .prepare("SELECT key FROM users WHERE status = 'active' ORDER BY rowid")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect());
        drop(conn);
        match keys {
            Ok(keys) => Box::new(keys.into_iter().map(Cow::Owned)),
            Err(err) => {
                self.fail(err);
                Box::new(std::iter::empty())
            }
        }
    }
}

/// One valid row's change, staged while the file is read and applied
/// after the plan is complete (applying earlier would make new users look
/// existing to the rest of the plan).
pub struct Staged {
    pub key: String,
    pub action: usercsv::Action,
    /// `(schema column, normalised value)` for the columns in the file;
    /// `None` clears the value (full sync, empty cell).
    pub values: Vec<(String, Option<String>)>,
}

/// Prepares the connection's staging table: a temporary table, so a large
/// file's changes wait on disk (SQLite's temporary file), not in memory.
pub fn begin_staging(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS staged (
             seq    INTEGER PRIMARY KEY,
             key    TEXT NOT NULL,
             action TEXT NOT NULL,
             vals   TEXT NOT NULL
         );
         DELETE FROM temp.staged;",
    )
}

fn action_name(action: usercsv::Action) -> &'static str {
    match action {
        usercsv::Action::Create => "create",
        usercsv::Action::Update => "update",
        usercsv::Action::Unchanged => "unchanged",
    }
}

pub fn stage(conn: &Connection, change: &Staged) -> rusqlite::Result<()> {
    let values = serde_json::to_string(&change.values).unwrap_or_else(|_| "[]".to_string());
    conn.prepare_cached("INSERT INTO temp.staged (key, action, vals) VALUES (?1, ?2, ?3)")?
        .execute(params![change.key, action_name(change.action), values])?;
    Ok(())
}

/// The staged rows by action, as the plan counts them.
pub fn staged_counts(conn: &Connection) -> rusqlite::Result<usercsv::PlanCounts> {
    let mut counts = usercsv::PlanCounts::default();
    let mut stmt = conn.prepare("SELECT action, COUNT(*) FROM temp.staged GROUP BY action")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (action, n) = row?;
        let n = n.max(0) as u64;
        match action.as_str() {
            "create" => counts.create = n,
            "update" => counts.update = n,
            _ => counts.unchanged = n,
        }
    }
    Ok(counts)
}

/// Applies the staged changes and the archives, inside the caller's
/// transaction.
pub fn apply(conn: &Connection, upload: &str, archive: &[String]) -> rusqlite::Result<Applied> {
    let mut applied = Applied::default();
    let at = now();
    let mut staged = conn.prepare("SELECT key, action, vals FROM temp.staged ORDER BY seq")?;
    let mut rows = staged.query([])?;
    while let Some(row) = rows.next()? {
        let key: String = row.get(0)?;
        let action: String = row.get(1)?;
        let vals: String = row.get(2)?;
        let changes: Vec<(String, Option<String>)> =
            serde_json::from_str(&vals).unwrap_or_default();
        match action.as_str() {
            "create" => {
                let mut values = Map::new();
                merge(&mut values, &changes);
                conn.prepare_cached(
                    "INSERT INTO users (key, status, data, updated_at, updated_by) \
                     VALUES (?1, 'active', ?2, ?3, ?4)",
                )?
                .execute(params![
                    key,
                    Value::Object(values).to_string(),
                    at,
                    upload
                ])?;
                record(conn, upload, &key, "created")?;
                applied.created += 1;
            }
            "update" => {
                let data: Option<String> = conn
                    .prepare_cached("SELECT data FROM users WHERE key = ?1")?
                    .query_row([&key], |r| r.get(0))
                    .optional()?;
                let mut values: Map<String, Value> = data
                    .and_then(|d| serde_json::from_str(&d).ok())
                    .unwrap_or_default();
                merge(&mut values, &changes);
                conn.prepare_cached(
                    "UPDATE users SET status = 'active', data = ?2, updated_at = ?3, \
                     updated_by = ?4 WHERE key = ?1",
                )?
                .execute(params![
                    key,
                    Value::Object(values).to_string(),
                    at,
                    upload
                ])?;
                record(conn, upload, &key, "updated")?;
                applied.updated += 1;
            }
            _ => {
                // Only the key in the file: the row still restores an
                // archived user.
                let restored = conn
                    .prepare_cached(
                        "UPDATE users SET status = 'active', updated_at = ?2, updated_by = ?3 \
                         WHERE key = ?1 AND status = 'archived'",
                    )?
                    .execute(params![key, at, upload])?;
                if restored > 0 {
                    record(conn, upload, &key, "updated")?;
                    applied.updated += 1;
                } else {
                    applied.unchanged += 1;
                }
            }
        }
    }
    for key in archive {
        let archived = conn
            .prepare_cached(
                "UPDATE users SET status = 'archived', updated_at = ?2, updated_by = ?3 \
                 WHERE key = ?1 AND status = 'active'",
            )?
            .execute(params![key, at, upload])?;
        if archived > 0 {
            record(conn, upload, key, "archived")?;
            applied.archived += 1;
        }
    }
    Ok(applied)
}

fn merge(values: &mut Map<String, Value>, changes: &[(String, Option<String>)]) {
    for (column, value) in changes {
        match value {
            Some(v) => {
                values.insert(column.clone(), Value::String(v.clone()));
            }
            None => {
                values.remove(column);
            }
        }
    }
}
