//! The example back office over HTTP on 127.0.0.1: delta uploads applied
//! to the SQLite user store, the SFTP full sync and its guard, history
//! that survives a restart, SIGTERM with a queue, pages, security headers,
//! limits, retention and e-mail delivery.
#![cfg(feature = "mail")]

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/backoffice/main.rs"]
mod backoffice;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::response::IntoResponse;
use backoffice::{Config, Server};
use mail_parser::{MessageParser, MimeHeaders};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/users.csv");

/// Every test is bounded in time.
async fn bounded<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(Duration::from_secs(90), test)
        .await
        .expect("the test took more than 90 s");
}

/// Fast settings for tests: the drop folder is polled often and a file is
/// taken once seen unchanged twice; e-mail retries at once.
fn config(dir: &Path) -> Config {
    let mut config = Config::new("127.0.0.1:0".parse().unwrap(), dir.join("data"));
    config.sftp_poll = Duration::from_millis(50);
    config.sftp_settle = Duration::ZERO;
    config.mail_retry_base = Duration::ZERO;
    config.grace = Duration::from_secs(5);
    config
}

async fn start(dir: &Path, tweak: impl FnOnce(&mut Config)) -> Server {
    let mut config = config(dir);
    tweak(&mut config);
    backoffice::start(config).await.unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

fn base(server: &Server) -> String {
    format!("http://{}", server.addr)
}

fn form(name: &str, bytes: Vec<u8>) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str("text/csv")
            .unwrap(),
    )
}

async fn upload(server: &Server, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    client()
        .post(format!("{}/uploads", base(server)))
        .header("Accept", "application/json")
        .multipart(form(name, bytes))
        .send()
        .await
        .unwrap()
}

/// Uploads and returns the id, checking the immediate answer.
async fn upload_ok(server: &Server, name: &str, bytes: impl Into<Vec<u8>>) -> String {
    let response = upload(server, name, bytes.into()).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(body["status_url"], format!("/uploads/{id}"));
    id
}

async fn get_json(server: &Server, path: &str) -> Value {
    let response = client()
        .get(format!("{}{path}", base(server)))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

async fn status(server: &Server, id: &str) -> Value {
    get_json(server, &format!("/uploads/{id}")).await
}

/// Polls the status until the upload has ended (or is held).
/// The upload's status page, as a browser gets it.
async fn status_page(server: &Server, id: &str) -> String {
    client()
        .get(format!("{}/uploads/{id}", base(server)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn wait_end(server: &Server, id: &str) -> Value {
    loop {
        let status = status(server, id).await;
        match status["status"].as_str().unwrap() {
            "queued" | "running" => tokio::time::sleep(Duration::from_millis(25)).await,
            _ => return status,
        }
    }
}

/// Polls until the e-mail is no longer pending.
async fn wait_mail(server: &Server, id: &str) -> Value {
    loop {
        let status = status(server, id).await;
        match status["email"]["status"].as_str().unwrap() {
            "none" | "pending" => tokio::time::sleep(Duration::from_millis(25)).await,
            _ => return status,
        }
    }
}

/// Polls the history until an SFTP upload of this file has ended.
async fn wait_sftp(server: &Server, file_name: &str) -> Value {
    loop {
        let list = get_json(server, "/uploads").await;
        let found = list.as_array().unwrap().iter().find(|u| {
            u["file_name"] == file_name
                && u["source"] == "sftp"
                && !matches!(u["status"].as_str(), Some("queued" | "running"))
        });
        match found {
            Some(u) => return status(server, u["id"].as_str().unwrap()).await,
            None => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
}

/// The users table as stored: key -> (status, values).
fn db_users(dir: &Path) -> BTreeMap<String, (String, Value)> {
    let conn = rusqlite::Connection::open(dir.join("data/backoffice.sqlite3")).unwrap();
    let mut stmt = conn.prepare("SELECT key, status, data FROM users").unwrap();
    stmt.query_map([], |r| {
        let data: String = r.get(2)?;
        Ok((r.get(0)?, (r.get(1)?, serde_json::from_str(&data).unwrap())))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn parse_eml(bytes: &[u8]) -> mail_parser::Message<'_> {
    MessageParser::default()
        .parse(bytes)
        .expect("a MIME message")
}

/// The attachment's bytes: mail-parser decodes a text part's charset, so
/// the byte-order mark the error CSV starts with is put back.
fn attachment_bytes(message: &mail_parser::Message<'_>, name: &str) -> Vec<u8> {
    let part = message
        .attachments()
        .find(|p| p.attachment_name() == Some(name))
        .unwrap_or_else(|| panic!("no attachment {name}"));
    let text = part.text_contents().unwrap();
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(text.trim_start_matches('\u{feff}').as_bytes());
    bytes
}

/// Writes a file into the drop folder as an SFTP server does: under a
/// temporary name, then renamed.
fn drop_sftp(dir: &Path, name: &str, content: &str) {
    let sftp = dir.join("data/sftp");
    let tmp = sftp.join(format!("{name}.filepart"));
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, sftp.join(name)).unwrap();
}

const FOUR: &str = "email,firstName,lastName,businessMobilePhone,department\n\
a@example.com,Ann,Able,+31 6 11111111,Sales\n\
b@example.com,Bob,Baker,+31 6 22222222,Sales\n\
c@example.com,Cat,Cole,+31 6 33333333,Research\n\
d@example.com,Dan,Dale,+31 6 44444444,Research\n";

/// Four active users, through a web upload.
async fn seed_four(server: &Server) {
    let id = upload_ok(server, "four.csv", FOUR).await;
    let done = wait_end(server, &id).await;
    assert_eq!(done["applied"]["created"], 4, "{done:#}");
}

/// What an admin does: set a valid value in every cell the e-mail's
/// report names, keep every other cell and the `errors` column as they
/// are, save with a byte-order mark.
fn fix(error_csv: &[u8], errors: &[Value]) -> Vec<u8> {
    let mut by_row: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for error in errors {
        by_row
            .entry(error["row"].as_u64().unwrap())
            .or_default()
            .push(
                error["column"]
                    .as_str()
                    .expect("a column error")
                    .to_string(),
            );
    }
    let text = std::str::from_utf8(error_csv).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("the error CSV has a BOM");
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(header.iter().next_back(), Some("errors"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        records.len(),
        by_row.len(),
        "one error CSV row per failed row"
    );
    for (k, (record, columns)) in records.iter().zip(by_row.values()).enumerate() {
        let mut fields: Vec<String> = record.iter().map(str::to_string).collect();
        for column in columns {
            let i = header.iter().position(|h| h == column).unwrap();
            fields[i] = match column.as_str() {
                "email" => format!("fixed{k}@example.com"),
                "firstName" | "lastName" => "Fixed".to_string(),
                "businessMobilePhone" => format!("+31 6 1234 56{k:02}"),
                "employeeNumber" => format!("F-{k}"),
                "birthDate" => "1980-01-01".to_string(),
                "startDate" => "2024-01-01".to_string(),
                "endDate" => "2031-01-01".to_string(),
                "language" => "en".to_string(),
                "department" => "Operations".to_string(),
                other => panic!("no fix for column {other}"),
            };
        }
        assert!(
            !fields.last().unwrap().is_empty(),
            "the errors column is kept"
        );
        writer.write_record(&fields).unwrap();
    }
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(writer.into_inner().unwrap());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_upload_creates_updates_only_given_columns_and_is_idempotent() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |_| {}).await;
        seed_four(&server).await;
        let before = db_users(dir.path());
        assert_eq!(before.len(), 4);
        assert_eq!(
            before["a@example.com"].1["businessMobilePhone"],
            "+31611111111"
        );

        // A partial file, as the guide recommends for bulk updates: only
        // departments change; a new user in it lacks the required columns.
        let partial =
            "email,department\nA@Example.com,Finance\nb@example.com,Sales\nnew@example.com,Ops\n";
        let id = upload_ok(&server, "departments.csv", partial).await;
        let done = wait_end(&server, &id).await;
        assert_eq!(done["status"], "done", "{done:#}");
        assert_eq!(done["source"], "web");
        assert_eq!(done["mode"], "delta");
        assert_eq!(
            done["rows"],
            serde_json::json!({"total": 3, "valid": 2, "invalid": 1, "blank": 0})
        );
        assert_eq!(
            done["plan"],
            serde_json::json!({"create": 0, "update": 1, "unchanged": 1, "archive": 0})
        );
        assert_eq!(
            done["applied"],
            serde_json::json!({"created": 0, "updated": 1, "unchanged": 1, "archived": 0})
        );
        assert_eq!(
            done["changes"],
            serde_json::json!({"created": [], "updated": ["a@example.com"], "archived": []})
        );
        let codes: Vec<(&str, &str)> = done["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["column"].as_str().unwrap(), e["code"].as_str().unwrap()))
            .collect();
        assert_eq!(codes, [("firstName", "required"), ("lastName", "required")]);
        assert_eq!(done["error_groups"].as_array().unwrap().len(), 2);
        assert_eq!(done["errors_csv_url"], format!("/uploads/{id}/errors.csv"));

        let after = db_users(dir.path());
        assert_eq!(after.len(), 4, "the invalid new user was not created");
        let mut expected_a = before["a@example.com"].1.clone();
        expected_a["department"] = "Finance".into();
        assert_eq!(
            after["a@example.com"].1, expected_a,
            "only the department changed"
        );
        for key in ["b@example.com", "c@example.com", "d@example.com"] {
            assert_eq!(after[key], before[key]);
        }

        // The same file again changes nothing.
        let again = upload_ok(&server, "departments.csv", partial).await;
        let done = wait_end(&server, &again).await;
        assert_eq!(
            done["applied"],
            serde_json::json!({"created": 0, "updated": 0, "unchanged": 2, "archived": 0})
        );
        assert_eq!(db_users(dir.path()), after);

        // A delta's empty cell keeps the stored value.
        let blank = upload_ok(
            &server,
            "blank.csv",
            "email,department
b@example.com,
",
        )
        .await;
        let done = wait_end(&server, &blank).await;
        assert_eq!(done["status"], "done", "{done:#}");
        assert_eq!(db_users(dir.path()), after);
        assert_eq!(after["b@example.com"].1["department"], "Sales");

        // The e-mail names what was done.
        let done = wait_mail(&server, &id).await;
        assert_eq!(done["email"]["status"], "sent");
        let eml = std::fs::read(dir.path().join("data/outbox").join(format!("{id}.eml"))).unwrap();
        let message = parse_eml(&eml);
        let body = message.body_text(0).unwrap();
        assert!(
            body.contains("Effect: 0 new users, 1 updated, 1 unchanged."),
            "{body}"
        );
        // Attached as <id>.csv with a plain filename (and a name on the type).
        let raw = String::from_utf8_lossy(&eml);
        assert!(
            raw.contains(&format!(
                "Content-Disposition: attachment; filename=\"{id}.csv\"\r\n"
            )),
            "{raw}"
        );
        assert!(
            raw.contains(&format!(
                "Content-Type: text/csv; charset=utf-8;\r\n name=\"{id}.csv\"\r\n"
            )),
            "{raw}"
        );

        // Users as JSON: the schema's columns by name and the status.
        let users = get_json(&server, "/users?q=finance").await;
        let users = users.as_array().unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0]["email"], "a@example.com");
        assert_eq!(users[0]["firstName"], "Ann");
        assert_eq!(users[0]["department"], "Finance");
        assert_eq!(users[0]["status"], "active");
        assert_eq!(
            get_json(&server, "/users?status=archived").await,
            serde_json::json!([])
        );
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_the_error_csv_and_upload_it_again() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |_| {}).await;
        let http = client();
        let example = std::fs::read(EXAMPLE).unwrap();
        let expected = server
            .app
            .validator
            .validation()
            .validate(&example[..], None)
            .unwrap();
        let id = upload_ok(&server, "users.csv", example.clone()).await;
        let done = wait_mail(&server, &id).await;
        assert_eq!(done["status"], "done", "{done:#}");
        assert_eq!(done["file_name"], "users.csv");
        assert_eq!(done["rows"]["total"], expected.rows.total);
        assert_eq!(done["rows"]["invalid"], expected.rows.invalid);
        assert_eq!(done["applied"]["created"], expected.rows.valid);
        assert_eq!(done["progress"]["fraction"], 1.0);
        assert_eq!(done["progress"]["bytes"], example.len() as u64);
        assert_eq!(db_users(dir.path()).len() as u64, expected.rows.valid);

        let eml = std::fs::read(dir.path().join("data/outbox").join(format!("{id}.eml"))).unwrap();
        let message = parse_eml(&eml);
        assert_eq!(
            message.subject().unwrap(),
            format!(
                "Upload {id}: {} of {} users have validation errors",
                expected.rows.invalid, expected.rows.total
            )
        );
        let attached = attachment_bytes(&message, &format!("{id}.csv"));
        let download = http
            .get(format!("{}/uploads/{id}/errors.csv", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), StatusCode::OK);
        assert_eq!(download.headers()["cache-control"], "no-store");
        assert_eq!(
            download.headers()["content-disposition"],
            format!("attachment; filename=\"{id}.csv\"")
        );
        assert_eq!(download.bytes().await.unwrap().to_vec(), attached);

        let fixed = fix(&attached, done["errors"].as_array().unwrap());
        let id2 = upload_ok(&server, &format!("{id}.csv"), fixed).await;
        let done2 = wait_mail(&server, &id2).await;
        assert_eq!(done2["rows"]["invalid"], 0, "{done2:#}");
        assert_eq!(done2["applied"]["created"], expected.rows.invalid);
        assert_eq!(done2["errors_csv_url"], Value::Null);
        assert_eq!(db_users(dir.path()).len() as u64, expected.rows.total);
        let eml2 =
            std::fs::read(dir.path().join("data/outbox").join(format!("{id2}.eml"))).unwrap();
        assert_eq!(parse_eml(&eml2).attachment_count(), 0);
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sftp_full_sync_archives_absent_users_and_a_delta_restores_them() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |_| {}).await;
        seed_four(&server).await;

        // a valid, b invalid (a landline): both stay; c and d are archived.
        drop_sftp(
            dir.path(),
            "nightly.csv",
            "email,firstName,lastName,businessMobilePhone,department\n\
             a@example.com,Ann,Able,+31 6 11111111,\n\
             b@example.com,Bob,Baker,+31 20 123 4567,Sales\n",
        );
        let done = wait_sftp(&server, "nightly.csv").await;
        assert_eq!(done["status"], "done", "{done:#}");
        assert_eq!(done["mode"], "full");
        assert_eq!(done["rows"]["invalid"], 1);
        assert_eq!(done["plan"]["archive"], 2);
        assert_eq!(
            done["applied"],
            serde_json::json!({"created": 0, "updated": 1, "unchanged": 0, "archived": 2})
        );
        assert_eq!(
            done["changes"],
            serde_json::json!({"created": [], "updated": ["a@example.com"], "archived": ["c@example.com", "d@example.com"]})
        );
        let users = db_users(dir.path());
        let statuses: Vec<&str> = users.values().map(|(s, _)| s.as_str()).collect();
        assert_eq!(statuses, ["active", "active", "archived", "archived"]);
        // A full sync's empty cell clears the value.
        assert_eq!(users["a@example.com"].1.get("department"), None);
        let sftp = dir.path().join("data/sftp");
        assert!(sftp.join("processed/nightly.csv").is_file());
        assert!(!sftp.join("nightly.csv").exists());

        // A web upload (delta) with c's key and one column restores c.
        let id = upload_ok(
            &server,
            "restore.csv",
            "email,department\nc@example.com,Research\n",
        )
        .await;
        let done = wait_end(&server, &id).await;
        assert_eq!(done["applied"]["updated"], 1, "{done:#}");
        assert_eq!(db_users(dir.path())["c@example.com"].0, "active");
        assert_eq!(db_users(dir.path())["d@example.com"].0, "archived");
        let archived = get_json(&server, "/users?status=archived").await;
        assert_eq!(archived.as_array().unwrap().len(), 1);
        assert_eq!(archived[0]["email"], "d@example.com");

        // A file that cannot be read goes to rejected/, changing nothing.
        drop_sftp(dir.path(), "broken.csv", "name,phone\nx,y\n");
        let done = wait_sftp(&server, "broken.csv").await;
        assert_eq!(done["status"], "done");
        assert_eq!(done["applied"], Value::Null);
        assert!(
            !done["file_errors"].as_array().unwrap().is_empty(),
            "{done:#}"
        );
        assert!(sftp.join("rejected/broken.csv").is_file());
        assert_eq!(db_users(dir.path())["a@example.com"].0, "active");
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_the_guard_holds_changes_nothing_until_approved() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |c| c.guard.max_count = 1).await;
        seed_four(&server).await;
        let before = db_users(dir.path());

        drop_sftp(
            dir.path(),
            "short.csv",
            "email,firstName,lastName\na@example.com,Ann,Able\n",
        );
        let held = wait_sftp(&server, "short.csv").await;
        let id = held["id"].as_str().unwrap().to_string();
        assert_eq!(held["status"], "held", "{held:#}");
        assert_eq!(held["plan"]["archive"], 3);
        assert_eq!(held["held"]["archive"], 3);
        assert_eq!(held["held"]["existing"], 4);
        assert_eq!(held["applied"], Value::Null);
        assert_eq!(db_users(dir.path()), before, "nothing applied");

        // The e-mail says so; the page offers approval.
        let held = wait_mail(&server, &id).await;
        assert_eq!(held["email"]["status"], "sent");
        let eml = std::fs::read(dir.path().join("data/outbox").join(format!("{id}.eml"))).unwrap();
        let message = parse_eml(&eml);
        // The library's held notification, not a file error's.
        assert_eq!(
            message.subject(),
            Some(format!("Upload {id}: sync held: it would archive 3 of 4 users").as_str())
        );
        let body = message.body_text(0).unwrap().to_string();
        assert!(
            body.contains("would archive 3 of 4 existing users"),
            "{body}"
        );
        assert!(body.contains("Nobody was archived"), "{body}");
        // Admins approve on the page; no command-line flag is mentioned.
        assert!(!body.contains("--"), "{body}");
        assert_eq!(message.attachment_count(), 0);
        let page = status_page(&server, &id).await;
        assert!(
            page.contains(&format!("action=\"/uploads/{id}/approve\"")),
            "{page}"
        );
        assert!(
            page.contains(
                "Would be archived: </strong>b@example.com, c@example.com, d@example.com"
            ),
            "{page}"
        );
        assert!(!page.contains("--allow"), "{page}");
        assert!(!page.contains("could not be read"), "{page}");

        let approve = client()
            .post(format!("{}/uploads/{id}/approve", base(&server)))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(approve.status(), StatusCode::ACCEPTED);
        let done = wait_end(&server, &id).await;
        assert_eq!(done["status"], "done", "{done:#}");
        assert_eq!(done["applied"]["archived"], 3);
        let statuses: Vec<String> = db_users(dir.path()).into_values().map(|(s, _)| s).collect();
        assert_eq!(statuses, ["active", "archived", "archived", "archived"]);
        assert!(dir.path().join("data/sftp/processed/short.csv").is_file());

        let again = client()
            .post(format!("{}/uploads/{id}/approve", base(&server)))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::CONFLICT);

        // Another short file is held too, and discarded from the page.
        let restored = upload_ok(&server, "back.csv", FOUR).await;
        assert_eq!(wait_end(&server, &restored).await["applied"]["updated"], 3);
        let users = db_users(dir.path());
        // This one has a failed row (b's landline): b stays, and the held
        // e-mail attaches the error CSV.
        drop_sftp(
            dir.path(),
            "shorter.csv",
            "email,firstName,lastName,businessMobilePhone\n\
             a@example.com,Ann,Able,+31 6 11111111\n\
             b@example.com,Bob,Baker,+31 20 123 4567\n",
        );
        let held = wait_sftp(&server, "shorter.csv").await;
        assert_eq!(held["status"], "held", "{held:#}");
        assert_eq!(held["rows"]["invalid"], 1, "{held:#}");
        let id = held["id"].as_str().unwrap();
        assert_eq!(held["errors_csv_url"], format!("/uploads/{id}/errors.csv"));
        let held = wait_mail(&server, id).await;
        assert_eq!(held["email"]["status"], "sent", "{held:#}");
        let eml = std::fs::read(dir.path().join("data/outbox").join(format!("{id}.eml"))).unwrap();
        let message = parse_eml(&eml);
        assert_eq!(
            message.subject(),
            Some(format!("Upload {id}: sync held: it would archive 2 of 4 users").as_str())
        );
        assert!(!attachment_bytes(&message, &format!("{id}.csv")).is_empty());
        let discard = client()
            .post(format!("{}/uploads/{id}/cancel", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(discard.status(), StatusCode::SEE_OTHER);
        assert_eq!(status(&server, id).await["status"], "cancelled");
        assert_eq!(db_users(dir.path()), users);
        assert!(dir.path().join("data/sftp/rejected/shorter.csv").is_file());
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_queue_survive_a_restart_and_nothing_is_applied_twice() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        // No workers: uploads are accepted and wait.
        let server = start(dir.path(), |c| c.workers = 0).await;
        // What a crash leaves: a partial upload, and a file taken from the
        // drop folder but not recorded.
        let data = dir.path().join("data");
        std::fs::write(data.join("uploads/0123.part"), "email\n").unwrap();
        std::fs::write(
            data.join("sftp/processing/00000000--orphan.csv"),
            "email,firstName,lastName\nz@example.com,Zed,Zulu\n",
        )
        .unwrap();
        let first = upload_ok(&server, "one.csv", FOUR).await;
        let second = upload_ok(
            &server,
            "two.csv",
            "email,department\na@example.com,Legal\n",
        )
        .await;
        assert_eq!(status(&server, &first).await["status"], "queued");
        server.shutdown().await;

        let server = start(dir.path(), |c| c.guard.max_count = 1).await;
        let one = wait_mail(&server, &first).await;
        let two = wait_mail(&server, &second).await;
        assert!(!data.join("uploads/0123.part").exists());
        let orphan = wait_sftp(&server, "orphan.csv").await;
        assert_eq!(
            orphan["status"], "held",
            "a full sync of one user: {orphan:#}"
        );
        let discard = client()
            .delete(format!(
                "{}/uploads/{}",
                base(&server),
                orphan["id"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(discard.status(), StatusCode::ACCEPTED);
        assert_eq!(one["applied"]["created"], 4, "{one:#}");
        assert_eq!(two["applied"]["updated"], 1, "{two:#}");
        let list = get_json(&server, "/uploads").await;
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[0]["file_name"], "orphan.csv", "newest first");
        assert_eq!(list[0]["source"], "sftp");
        assert_eq!(list[0]["mode"], "full");
        assert_eq!(list[1]["id"], second.as_str());
        assert_eq!(list[2]["file_name"], "one.csv");
        assert_eq!(list[2]["source"], "web");
        assert_eq!(list[2]["mode"], "delta");
        assert_eq!(list[2]["rows"]["total"], 4);
        let users = db_users(dir.path());
        server.shutdown().await;

        // A third start finds everything done: nothing runs again.
        let server = start(dir.path(), |_| {}).await;
        assert_eq!(status(&server, &first).await, one);
        assert_eq!(
            status(&server, &second).await["finished_at"],
            two["finished_at"]
        );
        assert_eq!(db_users(dir.path()), users);
        server.shutdown().await;
    })
    .await;
}

/// Set in the environment of a child started by `spawn_binary`: the
/// back office's command line, one argument a line.
const CHILD_ARGS: &str = "BACKOFFICE_TEST_CHILD_ARGS";

/// The child side of `spawn_binary`: this test binary run again, as the
/// back office's binary (`main` is `run`). A test of its own so that it is
/// always the code under test, never a stale `examples/backoffice` (which
/// `cargo test --test backoffice` does not rebuild); without the variable
/// it does nothing.
#[test]
fn child_process_entry_point() {
    if let Ok(args) = std::env::var(CHILD_ARGS) {
        let args = args.lines().map(str::to_string).collect();
        std::process::exit(backoffice::run(args).into());
    }
}

/// `--help` is an answer, not a mistake: the usage on standard output,
/// status 0, and nothing started.
#[test]
fn help_exits_zero() {
    assert_eq!(backoffice::run(vec!["--help".to_string()]), 0);
    assert_eq!(
        backoffice::run(vec![
            "--data".to_string(),
            "x".to_string(),
            "-h".to_string()
        ]),
        0
    );
}

/// Starts the back office in a process of its own and reads the address
/// from its line (libtest's own lines come first).
async fn spawn_binary(data: &Path, extra: &[&str]) -> (tokio::process::Child, SocketAddr) {
    let mut args = vec!["--addr".to_string(), "127.0.0.1:0".to_string()];
    args.push("--data".to_string());
    args.push(data.to_str().unwrap().to_string());
    args.extend(extra.iter().map(|a| a.to_string()));
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process_entry_point",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ARGS, args.join("\n"))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next_line().await.unwrap().expect("the address line");
        // After libtest's "test child_process_entry_point ... ", on its line.
        if let Some((_, addr)) = line.split_once("back office on http://") {
            return (child, addr.trim_end_matches('/').parse().unwrap());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_keeps_the_queue_and_exits_zero() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (mut child, addr) = spawn_binary(&data, &["--workers", "0"]).await;
        let response = client()
            .post(format!("http://{addr}/uploads"))
            .header("Accept", "application/json")
            .multipart(form("queued.csv", FOUR.into()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let id = response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let pid = child.id().unwrap().to_string();
        let killed = tokio::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(killed.success());
        let exit = child.wait().await.unwrap();
        assert_eq!(exit.code(), Some(0));

        let (_child, addr) = spawn_binary(&data, &[]).await;
        loop {
            let status: Value = client()
                .get(format!("http://{addr}/uploads/{id}"))
                .header("Accept", "application/json")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if status["status"] == "done" {
                assert_eq!(status["applied"]["created"], 4);
                break;
            }
            assert_eq!(
                status["status"]
                    .as_str()
                    .map(|s| s == "queued" || s == "running"),
                Some(true)
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
}
/// A raw HTTP exchange, for what reqwest will not send.
async fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the header and its body are in, or the server closes.
    loop {
        let n = stream.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&response);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|l| l.trim().parse::<usize>().ok());
            if length.is_some_and(|l| body.len() >= l) {
                break;
            }
        }
    }
    String::from_utf8_lossy(&response).into_owned()
}

fn leftover_parts(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("data/uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_answers_and_leave_no_partial_file() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |c| c.max_upload_bytes = 1024).await;
        let http = client();
        let url = format!("{}/uploads", base(&server));

        let no_file = http
            .post(&url)
            .header("Accept", "application/json")
            .multipart(Form::new().text("other", "x"))
            .send()
            .await
            .unwrap();
        assert_eq!(no_file.status(), StatusCode::BAD_REQUEST);
        assert_eq!(no_file.json::<Value>().await.unwrap()["error"], "no_file");

        let not_multipart = http
            .post(&url)
            .header("Accept", "application/json")
            .body("email\n")
            .send()
            .await
            .unwrap();
        assert_eq!(not_multipart.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            not_multipart.json::<Value>().await.unwrap()["error"],
            "not_multipart"
        );

        let empty = upload(&server, "empty.csv", Vec::new()).await;
        assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
        assert_eq!(empty.json::<Value>().await.unwrap()["error"], "empty_file");

        // Over the limit while streaming (the form is under the
        // Content-Length slack): 413, sizes as people read them.
        let big = upload(&server, "big.csv", vec![b'a'; 4096]).await;
        assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body = big.json::<Value>().await.unwrap();
        assert_eq!(
            body["message"],
            "the file is larger than the limit of 1 KiB"
        );

        // A declared length over the limit is refused before the body.
        let answer = raw(
            server.addr,
            b"POST /uploads HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\
              Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 209715200\r\n\r\n",
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

        // Spreadsheets: by name and by content.
        for (name, bytes) in [
            ("users.xlsx", b"PK\x03\x04rest of a zip".to_vec()),
            ("users.csv", b"PK\x03\x04rest of a zip".to_vec()),
            ("users.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1xx".to_vec()),
            ("users.ods", b"PK\x03\x04ods".to_vec()),
        ] {
            let response = upload(&server, name, bytes).await;
            assert_eq!(
                response.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{name}"
            );
            let body = response.json::<Value>().await.unwrap();
            assert!(
                body["message"]
                    .as_str()
                    .unwrap()
                    .contains("save it as CSV UTF-8 first")
            );
        }
        assert!(leftover_parts(dir.path()).is_empty());
        assert!(
            std::fs::read_dir(dir.path().join("data/uploads"))
                .unwrap()
                .next()
                .is_none()
        );

        let unknown = http
            .get(format!(
                "{}/uploads/0123456789abcdef01234567",
                base(&server)
            ))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

        let id = upload_ok(
            &server,
            "ok.csv",
            "email,firstName,lastName\nx@example.com,X,Y\n",
        )
        .await;
        wait_end(&server, &id).await;
        let late = http
            .delete(format!("{}/uploads/{id}", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(late.status(), StatusCode::CONFLICT);
        assert_eq!(
            get_json(&server, "/uploads")
                .await
                .as_array()
                .unwrap()
                .len(),
            1
        );
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_and_a_queued_upload_can_be_cancelled() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |c| {
            c.workers = 0;
            c.queue_size = 1;
        })
        .await;
        let id = upload_ok(&server, "one.csv", FOUR).await;
        let full = upload(&server, "two.csv", FOUR.into()).await;
        assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(full.headers()["retry-after"], "30");
        assert!(leftover_parts(dir.path()).is_empty());

        let cancel = client()
            .delete(format!("{}/uploads/{id}", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(cancel.status(), StatusCode::ACCEPTED);
        let cancelled = status(&server, &id).await;
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(cancelled["email"]["status"], "none");
        // Room again.
        upload_ok(&server, "three.csv", FOUR).await;
        assert!(db_users(dir.path()).is_empty());
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_origin_check_ids_and_no_server_paths() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |_| {}).await;
        let http = client();
        let url = format!("{}/uploads", base(&server));

        // Another origin cannot upload, cancel or approve.
        for (name, value) in [
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
            ("Origin", "null"),
        ] {
            let response = http
                .post(&url)
                .header(name, value)
                .multipart(form("x.csv", FOUR.into()))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        }
        let delete = http
            .delete(format!("{url}/ffffffffffffffffffffffff"))
            .header("Sec-Fetch-Site", "same-site")
            .send()
            .await
            .unwrap();
        assert_eq!(delete.status(), StatusCode::FORBIDDEN);
        assert_eq!(get_json(&server, "/uploads").await, serde_json::json!([]));

        // The same origin can; a browser is sent on with 303.
        let same = http
            .post(&url)
            .header("Origin", base(&server))
            .header("Sec-Fetch-Site", "same-origin")
            .multipart(form("users.csv", std::fs::read(EXAMPLE).unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(same.status(), StatusCode::SEE_OTHER);
        let location = same.headers()["location"].to_str().unwrap().to_string();
        let id = location.strip_prefix("/uploads/").unwrap().to_string();
        // 96 random bits in hex, nothing else: two ids share no prefix
        // a clock or a pid would give them.
        assert_eq!(id.len(), 24);
        assert!(id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        let other = upload_ok(&server, "users.csv", FOUR).await;
        assert_ne!(&other[..6], &id[..6]);
        wait_mail(&server, &id).await;
        wait_end(&server, &other).await;

        let root = dir.path().to_string_lossy().into_owned();
        for path in [
            "/".to_string(),
            "/uploads".to_string(),
            "/users".to_string(),
            "/guide".to_string(),
            "/style.css".to_string(),
            "/template.csv".to_string(),
            location.clone(),
            format!("{location}/errors.csv"),
            "/uploads/ffffffffffffffffffffffff".to_string(),
        ] {
            for accept in ["text/html", "application/json"] {
                let response = http
                    .get(format!("{}{path}", base(&server)))
                    .header("Accept", accept)
                    .send()
                    .await
                    .unwrap();
                let headers = response.headers().clone();
                assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
                let csp = headers["content-security-policy"].to_str().unwrap();
                assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
                assert!(
                    csp.contains("default-src 'none'") && !csp.contains("script-src"),
                    "{csp}"
                );
                if path.starts_with("/uploads/") && response.status() == StatusCode::OK {
                    assert_eq!(headers["cache-control"], "no-store", "{path}");
                }
                let body = response.text().await.unwrap();
                assert!(!body.contains(&root), "{path} shows a server path");
            }
        }
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_show_the_upload_escape_everything_and_cap_cells() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |_| {}).await;
        let http = client();
        let page = |path: String| {
            let http = http.clone();
            let url = format!("{}{path}", base(&server));
            async move { http.get(url).send().await.unwrap().text().await.unwrap() }
        };
        let index = page("/".to_string()).await;
        for needle in [
            "enctype=\"multipart/form-data\"",
            "name=\"file\"",
            "href=\"/template.csv\"",
            "href=\"/guide\"",
            "Files up to 20 MiB",
        ] {
            assert!(index.contains(needle), "{needle} not in the page");
        }
        let long = "x".repeat(5000);
        let csv = format!(
            "email,firstName,lastName\n<script>@x,Ann,Able\nok@example.com,{long},Long\nz@example.com,Zed,Zulu\n"
        );
        let id = upload_ok(&server, "<b>evil</b>.csv", csv).await;
        let done = wait_end(&server, &id).await;
        // JSON caps a cell at 200 characters; the error CSV keeps it whole.
        let long_error = done["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["column"] == "firstName")
            .unwrap();
        assert_eq!(long_error["value"].as_str().unwrap().chars().count(), 201);
        let csv = http
            .get(format!("{}/uploads/{id}/errors.csv", base(&server)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.contains(&long));

        let status = page(format!("/uploads/{id}")).await;
        assert!(status.contains("&lt;b&gt;evil&lt;/b&gt;.csv"), "{status}");
        assert!(!status.contains("<b>evil"));
        assert!(status.contains("&lt;script&gt;@x"));
        assert!(!status.contains("<script"));
        for needle in [
            "Update: creates and updates users, archives nobody",
            "<h2>Errors by column</h2>",
            "<td>email</td><td><code>email</code></td><td>1</td>",
            "<th>Row</th><th>Column</th><th>Value</th><th>Message</th>",
            &format!("href=\"/uploads/{id}/errors.csv\""),
            "<th>Applied</th><td>1</td>",
            "<strong>Created: </strong>z@example.com",
            "href=\"/users\"",
            "href=\"/uploads\"",
        ] {
            assert!(status.contains(needle), "{needle} not in {status}");
        }
        assert!(!status.contains(&long), "the page caps cells");

        let list = page("/uploads".to_string()).await;
        assert!(list.contains(&format!("href=\"/uploads/{id}\"")));
        let users = page("/users?q=zed".to_string()).await;
        assert!(users.contains("z@example.com"), "{users}");
        assert!(!users.contains("ok@example.com"));
        assert!(users.contains("name=\"q\" value=\"zed\""));
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_files_and_keeps_the_history() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |c| c.retention_days = 0).await;
        let id = upload_ok(&server, "users.csv", std::fs::read(EXAMPLE).unwrap()).await;
        let done = wait_mail(&server, &id).await;
        let data = dir.path().join("data");
        let files = [
            data.join("uploads").join(format!("{id}.csv")),
            data.join("errors").join(format!("{id}.csv")),
            data.join("outbox").join(format!("{id}.eml")),
        ];
        for file in &files {
            assert!(file.is_file(), "{}", file.display());
        }
        assert_eq!(backoffice::sweep_once(&server.app), 1);
        for file in &files {
            assert!(!file.exists(), "{}", file.display());
        }
        let after = status(&server, &id).await;
        assert_eq!(after["rows"], done["rows"]);
        assert_eq!(after["applied"], done["applied"]);
        assert_eq!(after["errors_csv_url"], Value::Null);
        // Which users changed is personal data: it goes with the files.
        assert_eq!(done["changes"]["created"].as_array().unwrap().len(), 4);
        assert_eq!(after["changes"], Value::Null);
        let gone = client()
            .get(format!("{}/uploads/{id}/errors.csv", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        assert_eq!(backoffice::sweep_once(&server.app), 0);
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_keeps_the_result_and_hides_the_relay() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        // A port nobody listens on.
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let server = start(dir.path(), |c| {
            c.smtp = Some(closed.to_string());
            c.mail_max_attempts = 3;
        })
        .await;
        let id = upload_ok(&server, "users.csv", std::fs::read(EXAMPLE).unwrap()).await;
        let done = wait_mail(&server, &id).await;
        assert_eq!(done["status"], "done");
        assert_eq!(
            done["email"],
            serde_json::json!({"status": "failed", "attempts": 3})
        );
        assert!(done["rows"]["total"].as_u64().unwrap() > 0);
        assert_eq!(done["errors_csv_url"], format!("/uploads/{id}/errors.csv"));
        let page = status_page(&server, &id).await;
        assert!(page.contains("could not be sent"));
        assert!(
            !page.contains(&closed.to_string()) && !done.to_string().contains(&closed.to_string())
        );
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_to_the_smtp_relay_when_configured() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let (relay, received) = fake_smtp().await;
        let server = start(dir.path(), |c| c.smtp = Some(relay.to_string())).await;
        let id = upload_ok(&server, "users.csv", std::fs::read(EXAMPLE).unwrap()).await;
        let done = wait_mail(&server, &id).await;
        assert_eq!(done["email"]["status"], "sent");
        let (commands, data) = received.await.unwrap();
        assert!(
            commands
                .iter()
                .any(|c| c.starts_with("RCPT TO:<user-admins@backoffice.example>"))
        );
        let message = parse_eml(&data);
        assert_eq!(message.attachment_count(), 1);
        assert_eq!(
            message.attachments().next().unwrap().attachment_name(),
            Some(&*format!("{id}.csv"))
        );
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_times_out_and_cannot_hold_shutdown() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |c| {
            c.read_timeout = Duration::from_millis(300);
            c.grace = Duration::from_millis(500);
        })
        .await;
        // Half a body, then silence.
        let answer = raw(
            server.addr,
            b"POST /uploads HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\
              Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000\r\n\r\n\
              --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nemail\n",
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(leftover_parts(dir.path()).is_empty());

        // A connection that sends nothing stays open across shutdown.
        let _stalled = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let mut half = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        half.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        server.shutdown().await;
    })
    .await;
}
/// A minimal SMTP relay on 127.0.0.1 that accepts one message.
async fn fake_smtp() -> (SocketAddr, tokio::task::JoinHandle<(Vec<String>, Vec<u8>)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write
            .write_all(b"220 localhost ESMTP test\r\n")
            .await
            .unwrap();
        let mut commands = Vec::new();
        let mut data = Vec::new();
        loop {
            let mut line = String::new();
            if lines.read_line(&mut line).await.unwrap() == 0 {
                break;
            }
            let command = line.trim_end().to_string();
            let verb = command.split(' ').next().unwrap().to_ascii_uppercase();
            commands.push(command);
            match verb.as_str() {
                "EHLO" | "HELO" => write.write_all(b"250 localhost\r\n").await.unwrap(),
                "DATA" => {
                    write.write_all(b"354 go ahead\r\n").await.unwrap();
                    loop {
                        let mut line = Vec::new();
                        lines.read_until(b'\n', &mut line).await.unwrap();
                        if line == b".\r\n" {
                            break;
                        }
                        let line = line.strip_prefix(b".").unwrap_or(&line[..]).to_vec();
                        data.extend(line);
                    }
                    write.write_all(b"250 queued\r\n").await.unwrap();
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                }
                _ => write.write_all(b"250 OK\r\n").await.unwrap(),
            }
        }
        (commands, data)
    });
    (addr, task)
}

/// A valid file large enough to be caught running.
fn large_file() -> Vec<u8> {
    usercsv::generate::UserCsv::new(30_000)
        .invalid_share(0.0)
        .to_bytes()
}

/// Polls until the upload is running.
async fn wait_running(server: &Server, id: &str) {
    loop {
        match status(server, id).await["status"].as_str().unwrap() {
            "queued" => tokio::time::sleep(Duration::from_millis(10)).await,
            "running" => return,
            other => panic!("the upload ended ({other}) before it could be caught running"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_running_upload_applies_nothing() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |_| {}).await;
        let id = upload_ok(&server, "large.csv", large_file()).await;
        wait_running(&server, &id).await;
        // The page offers the cancel button while running.
        let page = status_page(&server, &id).await;
        assert!(page.contains(&format!("action=\"/uploads/{id}/cancel\"")));
        assert!(page.contains("http-equiv=\"refresh\""));
        let cancel = client()
            .post(format!("{}/uploads/{id}/cancel", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(cancel.status(), StatusCode::SEE_OTHER);
        let done = wait_end(&server, &id).await;
        assert_eq!(done["status"], "cancelled");
        assert_eq!(done["applied"], Value::Null);
        assert_eq!(done["email"]["status"], "none");
        assert!(db_users(dir.path()).is_empty());
        // The page says no e-mail comes, not "not yet".
        let page = status_page(&server, &id).await;
        assert!(
            page.contains("<td>none: a cancelled upload sends none</td>"),
            "{page}"
        );
        assert!(!page.contains("http-equiv=\"refresh\""), "{page}");
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_running_past_the_grace_period_runs_again_after_restart() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |c| c.grace = Duration::ZERO).await;
        let id = upload_ok(&server, "large.csv", large_file()).await;
        wait_running(&server, &id).await;
        server.shutdown().await;
        // Stopped, not cancelled: it waits for the next start.
        let conn = rusqlite::Connection::open(dir.path().join("data/backoffice.sqlite3")).unwrap();
        let stored: String = conn
            .query_row("SELECT status FROM uploads WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(stored, "queued");
        assert!(db_users(dir.path()).is_empty());

        let server = start(dir.path(), |_| {}).await;
        let done = wait_end(&server, &id).await;
        assert_eq!(done["status"], "done", "{done:#}");
        assert_eq!(done["applied"]["created"], 30_000);
        assert_eq!(db_users(dir.path()).len(), 30_000);
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_mounts_into_an_existing_app() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let app = backoffice::App::start(config(dir.path())).await.unwrap();
        // The host's own routes and its login in front of everything.
        let host = axum::Router::new()
            .route("/health", axum::routing::get(|| async { "ok" }))
            .merge(backoffice::router(app.clone()))
            .layer(axum::middleware::from_fn(
                |request: axum::extract::Request, next: axum::middleware::Next| async move {
                    if request.headers().contains_key("x-test-user") {
                        next.run(request).await
                    } else {
                        axum::http::StatusCode::UNAUTHORIZED.into_response()
                    }
                },
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = tokio::spawn(async move { axum::serve(listener, host).await });
        let http = client();
        let anonymous = http
            .get(format!("http://{addr}/users"))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        let health = http
            .get(format!("http://{addr}/health"))
            .header("x-test-user", "ada")
            .send()
            .await
            .unwrap();
        assert_eq!(health.text().await.unwrap(), "ok");
        let users = http
            .get(format!("http://{addr}/users"))
            .header("x-test-user", "ada")
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(users.status(), StatusCode::OK);
        assert_eq!(users.json::<Value>().await.unwrap(), serde_json::json!([]));
        served.abort();
        app.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_upload_finishes_within_the_grace_period() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |c| c.grace = Duration::from_secs(60)).await;
        let id = upload_ok(&server, "large.csv", large_file()).await;
        let queued = upload_ok(&server, "later.csv", FOUR).await;
        wait_running(&server, &id).await;
        server.shutdown().await;
        // Finished and applied before the stop; the next one kept its place.
        let conn = rusqlite::Connection::open(dir.path().join("data/backoffice.sqlite3")).unwrap();
        let status_of = |id: &str| -> String {
            conn.query_row("SELECT status FROM uploads WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap()
        };
        assert_eq!(status_of(&id), "done");
        assert_eq!(status_of(&queued), "queued");
        assert_eq!(db_users(dir.path()).len(), 30_000);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uploads_are_each_applied_once() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |_| {}).await;
        let uploads = (0..20).map(|i| {
            let csv = format!("email,firstName,lastName\nuser{i}@example.com,User,Number{i}\n");
            upload_ok(&server, "one.csv", csv)
        });
        let ids = futures_all(uploads).await;
        for id in &ids {
            let done = wait_end(&server, id).await;
            assert_eq!(done["applied"]["created"], 1, "{done:#}");
        }
        assert_eq!(db_users(dir.path()).len(), 20);
        assert_eq!(
            get_json(&server, "/uploads")
                .await
                .as_array()
                .unwrap()
                .len(),
            20
        );
        server.shutdown().await;
    })
    .await;
}

/// Runs futures at once on this task and collects their outputs in order.
async fn futures_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut out: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, slot) in set.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *slot = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

/// The status page keeps refreshing after "Done" until the e-mail is sent
/// or given up, so an admin who opened it at the end sees the e-mail go
/// out: every 2 s until the first attempt, every 15 s while a failed one
/// waits for its retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_refreshes_until_the_e_mail_is_sent_or_given_up() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |_| {}).await;
        let id = upload_ok(&server, "users.csv", std::fs::read(EXAMPLE).unwrap()).await;
        wait_end(&server, &id).await;
        assert_eq!(wait_mail(&server, &id).await["email"]["status"], "sent");
        let sent = status_page(&server, &id).await;
        assert!(sent.contains("<td>sent</td>"), "{sent}");
        assert!(!sent.contains("http-equiv=\"refresh\""), "{sent}");

        // Done, the first attempt not yet made (held off by a far due time
        // so that the mailer leaves it alone while the page is read).
        let conn = rusqlite::Connection::open(dir.path().join("data/backoffice.sqlite3")).unwrap();
        let set = |attempts: u32| {
            conn.execute(
                "UPDATE uploads SET email_status = 'pending', email_attempts = ?2, \
                 email_next_at = 4102444800 WHERE id = ?1",
                rusqlite::params![id, attempts],
            )
            .unwrap();
        };
        set(0);
        let sending = status_page(&server, &id).await;
        assert!(sending.contains("<td>being sent</td>"), "{sending}");
        assert!(
            sending.contains("http-equiv=\"refresh\" content=\"2\""),
            "{sending}"
        );
        // A failed attempt waiting for its retry: refreshed less often,
        // until the e-mail is sent or given up.
        set(1);
        let retrying = status_page(&server, &id).await;
        assert!(
            retrying.contains("<td>not sent yet; retrying</td>"),
            "{retrying}"
        );
        assert!(
            retrying.contains("http-equiv=\"refresh\" content=\"15\""),
            "{retrying}"
        );
        conn.execute(
            "UPDATE uploads SET email_status = 'failed', email_attempts = 8 WHERE id = ?1",
            [&id],
        )
        .unwrap();
        let failed = status_page(&server, &id).await;
        assert!(
            failed.contains("<td>could not be sent; the result below is complete</td>"),
            "{failed}"
        );
        assert!(!failed.contains("http-equiv=\"refresh\""), "{failed}");
        server.shutdown().await;
    })
    .await;
}
