//! Delivers the admin's e-mail (built by the library) to the outbox or an
//! SMTP relay, retrying with backoff; the result never depends on it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use usercsv::mail::{build_message, lettre, needs_attachment};

use crate::jobs::App;
use crate::store;

/// Waits for e-mails that are due and delivers them, one at a time.
pub async fn run(app: Arc<App>) {
    let mut stopping = app.stopping();
    loop {
        let due = {
            let db = app.db();
            store::mail_due(&db).unwrap_or_default()
        };
        for id in due {
            let mail_app = app.clone();
            let _ = tokio::task::spawn_blocking(move || deliver(&mail_app, &id)).await;
        }
        tokio::select! {
            _ = app.mail_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stopping.changed() => return,
        }
    }
}

/// One attempt; records `sent`, or `pending` with the next attempt's time,
/// or `failed` after the last attempt. The reason goes to the server log
/// only: it may name the relay.
fn deliver(app: &App, id: &str) {
    let Ok(Some(upload)) = store::get_upload(&app.db(), id) else {
        return;
    };
    let attempts = upload.email_attempts + 1;
    let outcome = upload
        .result
        .as_ref()
        .ok_or_else(|| "no result to report".to_string())
        .and_then(|result| {
            let report = &result.report;
            let error_csv = if needs_attachment(report) && result.held.is_none() {
                Some(
                    std::fs::read(app.error_csv_path(id))
                        .map_err(|e| format!("cannot read the error CSV: {e}"))?,
                )
            } else {
                None
            };
            let message = build_message(report, error_csv.as_deref(), &app.mail)
                .map_err(|e| e.to_string())?;
            match &app.config.smtp {
                Some(relay) => send_smtp(relay, &message),
                None => write_atomically(&app.eml_path(id), &message.formatted()),
            }
        });
    let (status, next_at) = match outcome {
        Ok(()) => ("sent", 0),
        Err(reason) => {
            eprintln!("e-mail for upload {id}, attempt {attempts}: {reason}");
            if attempts >= app.config.mail_max_attempts {
                ("failed", 0)
            } else {
                // 1, 2, 4, ... times the base, at most an hour.
                let delay = app
                    .config
                    .mail_retry_base
                    .saturating_mul(1u32 << (attempts - 1).min(12))
                    .min(Duration::from_secs(3600));
                ("pending", store::now() + delay.as_secs() as i64)
            }
        }
    };
    let _ = store::mail_outcome(&app.db(), id, status, attempts, next_at);
}

/// Writes to a temporary name and renames, so a watcher never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write the e-mail: {e}")
        })
}

fn send_smtp(relay: &str, message: &lettre::Message) -> Result<(), String> {
    use lettre::Transport;
    let (host, port) = relay
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
        .ok_or_else(|| format!("--smtp wants HOST:PORT, got \"{relay}\""))?;
    let transport = lettre::SmtpTransport::builder_dangerous(host)
        .port(port)
        .timeout(Some(Duration::from_secs(30)))
        .build();
    transport
        .send(message)
        .map(|_| ())
        .map_err(|e| format!("SMTP relay {relay}: {e}"))
}
