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

/// An SFTP upload's file on its way out of `processing/`: already linked
/// into `processed/` or `rejected/`, the original not yet removed. The
/// upload's end and its new path are recorded in one transaction between
/// [`link_out`] and [`Moved::finish`], so its status never says it ended
/// while the file is still in `processing/`; a crash before the commit
/// leaves the original where the re-run reads it.
pub struct Moved {
    from: PathBuf,
    to: PathBuf,
}

impl Moved {
    /// The file's new path, to record with the upload's end.
    pub fn path(&self) -> String {
        self.to.to_string_lossy().into_owned()
    }

    /// The end is recorded: the original leaves `processing/`.
    pub fn finish(self) {
        let _ = std::fs::remove_file(&self.from);
    }

    /// Recording the end failed: the file stays only where it was.
    pub fn undo(self) {
        let _ = std::fs::remove_file(&self.to);
    }
}

/// When an SFTP upload ends: links its file into `processed/`, or into
/// `rejected/` when `rejected` (the file could not be read, processing
/// failed or a held sync was discarded). `None` for a web upload, or when
/// the file cannot be linked (it then stays in `processing/`). A held sync
/// keeps its file in `processing/` until it is approved or discarded.
pub fn link_out(app: &App, upload: &store::Upload, rejected: bool) -> Option<Moved> {
    if upload.source != "sftp" {
        return None;
    }
    let from = PathBuf::from(upload.path.as_ref()?);
    let dir = app
        .config
        .sftp_dir
        .join(if rejected { "rejected" } else { "processed" });
    // A name already taken (an earlier file of that name) gets the id; a
    // link never replaces a file.
    let names = [
        upload.file_name.clone(),
        format!("{}-{}", upload.id, upload.file_name),
    ];
    for name in names {
        let to = dir.join(name);
        match std::fs::hard_link(&from, &to) {
            Ok(()) => return Some(Moved { from, to }),
            // Linked by a run that stopped before recording its end.
            Err(err)
                if err.kind() == std::io::ErrorKind::AlreadyExists && same_file(&from, &to) =>
            {
                return Some(Moved { from, to });
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => return None,
        }
    }
    None
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &Path, _: &Path) -> bool {
    false
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
        match store::get_upload(&app.read(), id) {
            Ok(None) => {
                let _ = std::fs::rename(entry.path(), app.config.sftp_dir.join(name));
            }
            // Its end was recorded with its new path, the process stopped
            // before the original was removed.
            Ok(Some(upload))
                if upload
                    .path
                    .as_deref()
                    .map(Path::new)
                    .is_some_and(|p| p != entry.path() && p.is_file()) =>
            {
                let _ = std::fs::remove_file(entry.path());
            }
            _ => {}
        }
    }
}
