//! The reference back office: upload users with a CSV, validated and
//! planned by the library, applied to an embedded SQLite user store.
//!
//! ```text
//! cargo run --example backoffice -- --addr 127.0.0.1:8080 --data DIR
//! ```
//!
//! - A web upload is a **delta**: valid rows create and update users (only
//!   the columns in the file), nobody is archived.
//! - A `.csv` dropped in `DIR/sftp/` is a **full sync**: users missing from
//!   it are archived, behind the library's mass-archive guard (a tripped
//!   guard holds the sync until `POST /uploads/{id}/approve`).
//! - History, results and the queue live in `DIR/backoffice.sqlite3` and
//!   survive a restart; SIGTERM/SIGINT let running uploads finish within a
//!   grace period and keep the queue.
//!
//! Modules: `store` (SQLite, [`usercsv::ExistingUsers`] over it), `jobs`
//! (queue, workers, apply), `sftp` (drop folder), `mailer` (delivery with
//! retries), `web` (routes, headers, origin check), `pages` (maud).
//! See `docs/backoffice.md`.
#![forbid(unsafe_code)]

mod jobs;
mod mailer;
mod pages;
mod sftp;
mod store;
mod web;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use jobs::App;
// For hosts and tests that sweep on their own schedule; the binary does not.
#[allow(unused_imports)]
pub use jobs::sweep_once;
pub use web::router;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use usercsv::{ArchiveGuard, Schema};

/// How the back office is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// The database, uploads and error CSVs.
    pub data: PathBuf,
    /// Where `<id>.eml` files are written (when no SMTP relay is set).
    pub outbox: PathBuf,
    /// The SFTP drop folder (full syncs).
    pub sftp_dir: PathBuf,
    /// The largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
    /// Uploads that may wait for a worker; more get 503.
    pub queue_size: usize,
    /// Uploads processed at once (0: accept and queue only).
    pub workers: usize,
    /// Files and e-mails older than this are deleted; the history stays.
    pub retention_days: u64,
    /// How often the retention sweep runs.
    pub sweep_every: Duration,
    /// The mass-archive guard of full syncs.
    pub guard: ArchiveGuard,
    /// The schema (default: the built-in user schema).
    pub schema: Schema,
    /// The e-mail's sender.
    pub from: String,
    /// The e-mail's recipients.
    pub to: Vec<String>,
    /// A plain SMTP relay (`host:port`) instead of the outbox.
    pub smtp: Option<String>,
    /// How long a client may stall while sending a file.
    pub read_timeout: Duration,
    /// How long shutdown waits for running uploads and open requests.
    pub grace: Duration,
    /// How often the drop folder is looked at.
    pub sftp_poll: Duration,
    /// How long a file must stay unchanged before it is taken.
    pub sftp_settle: Duration,
    /// The first retry delay of a failed e-mail (doubled each time).
    pub mail_retry_base: Duration,
    /// Delivery attempts before the e-mail is marked failed.
    pub mail_max_attempts: u32,
}

impl Config {
    /// Defaults around a data directory.
    pub fn new(addr: SocketAddr, data: impl Into<PathBuf>) -> Config {
        let data = data.into();
        Config {
            addr,
            outbox: data.join("outbox"),
            sftp_dir: data.join("sftp"),
            data,
            max_upload_bytes: 20 * 1024 * 1024,
            queue_size: 100,
            workers: 2,
            retention_days: 30,
            sweep_every: Duration::from_secs(3600),
            guard: ArchiveGuard::default(),
            schema: Schema::users(),
            from: "User import <noreply@backoffice.example>".to_string(),
            to: vec!["User admins <user-admins@backoffice.example>".to_string()],
            smtp: None,
            read_timeout: Duration::from_secs(30),
            grace: Duration::from_secs(20),
            sftp_poll: Duration::from_millis(500),
            sftp_settle: Duration::from_secs(2),
            mail_retry_base: Duration::from_secs(30),
            mail_max_attempts: 8,
        }
    }
}

/// A fresh upload id: 96 random bits from the OS as 24 hex digits, and
/// nothing else (no clock, no pid). Short enough that `<id>.csv` stays a
/// plain `filename` parameter in the e-mail.
pub fn new_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A running back office.
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its state.
    pub app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl Server {
    /// What SIGTERM does: stop accepting, give open requests and running
    /// uploads the grace period, keep the queue for the next start.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let grace = self.app.config.grace;
        let app = self.app.clone();
        let task = &mut self.task;
        // Requests and uploads get the same grace period, at once. A
        // stalled client cannot hold shutdown past it.
        let http = async {
            if tokio::time::timeout(grace, &mut *task).await.is_err() {
                task.abort();
            }
        };
        tokio::join!(http, app.shutdown(grace));
    }
}

/// Starts the background work, binds the address and serves.
pub async fn start(config: Config) -> io::Result<Server> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let app = App::start(config).await?;
    let routes = router(app.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, routes)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Server {
        addr,
        app,
        stop: Some(stop),
        task,
    })
}

const USAGE: &str = "usage: backoffice [--addr HOST:PORT] [--data DIR] [--outbox DIR] [--sftp-dir DIR] \
[--max-upload-bytes N] [--queue-size N] [--workers N] [--retention-days N] \
[--archive-max-percent P] [--archive-max-count N] [--schema FILE] [--from ADDRESS] \
[--to ADDRESS]... [--smtp HOST:PORT] [--grace-seconds N] [--sftp-settle-ms N]";

/// Parses the command line.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
    let mut args = args.into_iter();
    let mut addr: SocketAddr = "127.0.0.1:8080".parse().map_err(|e| format!("{e}"))?;
    let mut data = None;
    let mut outbox = None;
    let mut sftp = None;
    let mut options: Vec<(String, String)> = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Err(USAGE.to_string());
        }
        let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--addr" => addr = value.parse().map_err(|e| format!("--addr: {e}"))?,
            "--data" => data = Some(PathBuf::from(value)),
            "--outbox" => outbox = Some(PathBuf::from(value)),
            "--sftp-dir" => sftp = Some(PathBuf::from(value)),
            _ => options.push((arg, value)),
        }
    }
    // `--outbox DIR` alone keeps working as before: data beside it.
    let data = data
        .or_else(|| outbox.as_ref().map(|o| o.join("data")))
        .unwrap_or_else(|| PathBuf::from("backoffice-data"));
    let mut config = Config::new(addr, data);
    if let Some(outbox) = outbox {
        config.outbox = outbox;
    }
    if let Some(sftp) = sftp {
        config.sftp_dir = sftp;
    }
    fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        value.parse().map_err(|e| format!("{name}: {e}"))
    }
    for (name, value) in options {
        match name.as_str() {
            "--max-upload-bytes" => config.max_upload_bytes = number(&name, &value)?,
            "--queue-size" => config.queue_size = number(&name, &value)?,
            "--workers" => config.workers = number(&name, &value)?,
            "--retention-days" => config.retention_days = number(&name, &value)?,
            "--archive-max-percent" => config.guard.max_percent = number(&name, &value)?,
            "--archive-max-count" => config.guard.max_count = number(&name, &value)?,
            "--grace-seconds" => config.grace = Duration::from_secs(number(&name, &value)?),
            "--sftp-settle-ms" => {
                config.sftp_settle = Duration::from_millis(number(&name, &value)?)
            }
            "--schema" => {
                let text = std::fs::read_to_string(&value).map_err(|e| format!("{value}: {e}"))?;
                config.schema =
                    Schema::from_str_auto(&text).map_err(|e| format!("{value}: {e}"))?;
            }
            "--from" => config.from = value,
            "--to" => {
                if config.to.len() == 1 && config.to[0].contains("@backoffice.example") {
                    config.to.clear();
                }
                config.to.push(value);
            }
            "--smtp" => config.smtp = Some(value),
            other => return Err(format!("unknown option {other} (try --help)")),
        }
    }
    Ok(config)
}

#[cfg_attr(test, allow(dead_code))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(run(std::env::args().skip(1).collect()))
}

/// The binary: serves until SIGTERM or SIGINT, then shuts down and
/// returns the exit status (0; 2 for a bad command line, 1 when it cannot
/// start). The tests run it in a process of their own.
#[tokio::main]
pub async fn run(args: Vec<String>) -> u8 {
    // The handlers are in place before anything else but `--help`: a
    // SIGTERM during startup (or right after the address line) is kept,
    // not fatal.
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}\n\nEvery option is described in docs/backoffice.md.");
        return 0;
    }
    let signals = Signals::install();
    let config = match parse_args(args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return 2;
        }
    };
    let server = match start(config).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("cannot start: {err}");
            return 1;
        }
    };
    // Tests read this line for the port.
    println!("back office on http://{}/", server.addr);
    signals.wait().await;
    eprintln!("stopping: finishing running uploads, keeping the queue");
    server.shutdown().await;
    0
}

/// SIGTERM and SIGINT (Ctrl-C), registered at once: a signal that
/// arrives before [`Signals::wait`] is polled is delivered then.
struct Signals {
    #[cfg(unix)]
    unix: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let unix = signal(SignalKind::terminate())
                .and_then(|term| Ok((term, signal(SignalKind::interrupt())?)))
                .ok();
            Signals { unix }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut term, mut int)) = self.unix {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
