//! Delivers the admin's e-mail (built by the library) to the outbox or an
//! SMTP relay, retrying with backoff; the result never depends on it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use usercsv::mail::{build_message, lettre, needs_attachment};

use super::jobs::App;
use super::store;

/// Waits for e-mails that are due and delivers them, one at a time.
pub async fn run(app: Arc<App>) {
    let mut stopping = app.stopping();
    loop {
        let due = {
            let db = app.read();
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
    let Ok(Some(upload)) = store::get_upload(&app.read(), id) else {
        return;
    };
    let attempts = upload.email_attempts + 1;
    let outcome = upload
        .result
        .as_ref()
        .ok_or_else(|| "no result to report".to_string())
        .and_then(|result| {
            let report = &result.report;
            let error_csv = if needs_attachment(report) {
                Some(
                    std::fs::read(app.error_csv_path(id))
                        .map_err(|e| format!("cannot read the error CSV: {e}"))?,
                )
            } else {
                None
            };
            let message = build_message(report, error_csv.as_deref(), &app.mail)
                .map_err(|e| e.to_string())?;
            let bytes = name_the_attachment(message.formatted(), &report.error_csv_name());
            match &app.config.smtp {
                Some(relay) => send_smtp(relay, &message, &bytes),
                None => write_atomically(&app.eml_path(id), &bytes),
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

/// Adds `name="<id>.csv"` to the attachment's `Content-Type`, for mail
/// clients that read the name there rather than from
/// `Content-Disposition`. The library's `csv_attachment` does not set it
/// yet; once it does, this changes nothing (the name is already there).
/// The attachment is base64, so this header line cannot occur elsewhere.
pub fn name_the_attachment(eml: Vec<u8>, name: &str) -> Vec<u8> {
    const PLAIN: &[u8] = b"\r\nContent-Type: text/csv; charset=utf-8\r\n";
    let Some(at) = eml.windows(PLAIN.len()).position(|w| w == PLAIN) else {
        return eml;
    };
    let mut out = Vec::with_capacity(eml.len() + name.len() + 16);
    out.extend_from_slice(&eml[..at + PLAIN.len() - 2]);
    out.extend_from_slice(format!(";\r\n name=\"{name}\"").as_bytes());
    out.extend_from_slice(&eml[at + PLAIN.len() - 2..]);
    out
}

fn send_smtp(relay: &str, message: &lettre::Message, bytes: &[u8]) -> Result<(), String> {
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
        .send_raw(message.envelope(), bytes)
        .map(|_| ())
        .map_err(|e| format!("SMTP relay {relay}: {e}"))
}
