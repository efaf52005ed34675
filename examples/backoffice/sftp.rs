//! The SFTP drop folder: a `.csv` that has stopped changing is taken as a
//! full sync, then moved to `processed/` or `rejected/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::jobs::App;
use super::store;

/// What a file looked like when first seen at this size and time.
struct Seen {
    size: u64,
    modified: Option<SystemTime>,
    since: Instant,
}

/// Polls the drop folder until shutdown.
pub async fn watch(app: Arc<App>) {
    let mut stopping = app.stopping();
    let mut seen: HashMap<PathBuf, Seen> = HashMap::new();
    loop {
        if app.is_stopping() {
            return;
        }
        // Claiming writes to the database: blocking code.
        let scan_app = app.clone();
        seen = tokio::task::spawn_blocking(move || {
            scan(&scan_app, &mut seen);
            seen
        })
        .await
        .unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(app.config.sftp_poll) => {}
            _ = stopping.changed() => return,
        }
    }
}

fn is_candidate(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    // Temporary names (`.x.csv`, `x.csv.filepart`) are not taken.
    !name.starts_with('.') && name.to_ascii_lowercase().ends_with(".csv")
}

fn scan(app: &App, seen: &mut HashMap<PathBuf, Seen>) {
    let Ok(entries) = std::fs::read_dir(&app.config.sftp_dir) else {
        return;
    };
    let mut present = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() || !is_candidate(&path) {
            continue;
        }
        present.push(path.clone());
        let (size, modified) = (meta.len(), meta.modified().ok());
        match seen.get(&path) {
            Some(s) if s.size == size && s.modified == modified => {
                if s.since.elapsed() >= app.config.sftp_settle && app.has_room() {
                    seen.remove(&path);
                    claim(app, &path, size);
                }
            }
            _ => {
                seen.insert(
                    path,
                    Seen {
                        size,
                        modified,
                        since: Instant::now(),
                    },
                );
            }
        }
    }
    seen.retain(|path, _| present.contains(path));
}

/// Moves the file out of the drop folder and queues it as a full sync.
fn claim(app: &App, path: &Path, size: u64) {
    let Ok(id) = super::new_id() else { return };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("sync.csv")
        .to_string();
    // The name keeps the original, so a file orphaned by a crash between
    // this rename and the insert can be put back (`recover`).
    let dest = app
        .config
        .sftp_dir
        .join("processing")
        .join(format!("{id}--{name}"));
    if std::fs::rename(path, &dest).is_err() {
        return;
    }
    let inserted = store::insert_upload(
        &app.db(),
        &store::NewUpload {
            id: &id,
            file_name: &name,
            source: "sftp",
            mode: "full",
            size,
            path: &dest.to_string_lossy(),
        },
    );
    match inserted {
        Ok(()) => app.push(id, Some(size)),
        // Put the file back for the next scan.
        Err(_) => {
            let _ = std::fs::rename(&dest, path);
        }
    }
}

/// After an SFTP upload ended: its file goes to `processed/`, or to
/// `rejected/` when the file could not be read, processing failed or a
/// held sync was discarded. A held sync keeps its file until then.
pub fn after(app: &App, id: &str, status: &str, file_error: bool) {
    if status == "held" {
        return;
    }
    let Ok(Some(upload)) = store::get_upload(&app.read(), id) else {
        return;
    };
    let Some(path) = upload.path.filter(|_| upload.source == "sftp") else {
        return;
    };
    let folder = if file_error || status == "failed" {
        "rejected"
    } else {
        "processed"
    };
    let dir = app.config.sftp_dir.join(folder);
    let mut dest = dir.join(&upload.file_name);
    if dest.exists() {
        dest = dir.join(format!("{id}-{}", upload.file_name));
    }
    if std::fs::rename(&path, &dest).is_ok() {
        let _ = app.db().execute(
            "UPDATE uploads SET path = ?2 WHERE id = ?1",
            [id, &dest.to_string_lossy()],
        );
    }
}

/// At start: a file in `processing/` that no upload row knows (the process
/// stopped between taking it and recording it) goes back to the drop
/// folder, to be taken again.
pub fn recover(app: &App) {
    let Ok(entries) = std::fs::read_dir(app.config.sftp_dir.join("processing")) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some((id, name)) = file.to_str().and_then(|f| f.split_once("--")) else {
            continue;
        };
        if matches!(store::get_upload(&app.read(), id), Ok(None)) {
            let _ = std::fs::rename(entry.path(), app.config.sftp_dir.join(name));
        }
    }
}
