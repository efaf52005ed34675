//! The example back office, end to end over HTTP on 127.0.0.1: upload the
//! bundled example, read the e-mail from the outbox, fix the attached rows
//! (keeping the `errors` column), upload them again, get the success
//! e-mail. Plus bad requests, cancellation, and delivery over SMTP.
#![cfg(feature = "mail")]

#[allow(dead_code)]
#[path = "../examples/backoffice.rs"]
mod backoffice;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use backoffice::{Config, Server};
use mail_parser::{MessageParser, MimeHeaders};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/users.csv");

/// Every test is bounded in time.
async fn bounded<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(Duration::from_secs(120), test)
        .await
        .expect("the test took more than 120 s");
}

async fn start(dir: &Path, tweak: impl FnOnce(&mut Config)) -> Server {
    let mut config = Config::new("127.0.0.1:0".parse().unwrap(), dir.join("outbox"));
    config.data = dir.join("data");
    tweak(&mut config);
    backoffice::start(config).await.unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .unwrap()
}

fn base(server: &Server) -> String {
    format!("http://{}", server.addr)
}

async fn upload(server: &Server, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str("text/csv")
            .unwrap(),
    );
    client()
        .post(format!("{}/uploads", base(server)))
        .header("Accept", "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads and returns the id, checking the immediate answer.
async fn upload_ok(server: &Server, name: &str, bytes: Vec<u8>) -> String {
    let response = upload(server, name, bytes).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(body["status_url"], format!("/uploads/{id}"));
    id
}

async fn status(server: &Server, id: &str) -> Value {
    let response = client()
        .get(format!("{}/uploads/{id}", base(server)))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Polls the status until the run has ended.
async fn wait_end(server: &Server, id: &str) -> Value {
    loop {
        let status = status(server, id).await;
        match status["state"].as_str().unwrap() {
            "queued" | "running" => tokio::time::sleep(Duration::from_millis(25)).await,
            _ => return status,
        }
    }
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
async fn upload_fix_and_upload_again() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |_| {}).await;
        let http = client();

        // The upload page links to the template and the guide.
        let page = http.get(base(&server)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let page = page.text().await.unwrap();
        for needle in [
            "enctype=\"multipart/form-data\"",
            "name=\"file\"",
            "href=\"/template.csv\"",
            "href=\"/guide\"",
        ] {
            assert!(page.contains(needle), "{needle} not in the page");
        }
        let template = http
            .get(format!("{}/template.csv", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            template.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        assert_eq!(
            template.text().await.unwrap(),
            server.app.validator.template_csv()
        );
        let guide = http
            .get(format!("{}/guide", base(&server)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            guide,
            usercsv::render_guide(&server.app.validator, usercsv::GuideFormat::Html)
        );
        let guide_md = http
            .get(format!("{}/guide?format=md", base(&server)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(guide_md.starts_with("# How to prepare your user file\n"));

        // 1. Upload the bundled example.
        let example = std::fs::read(EXAMPLE).unwrap();
        let expected = server
            .app
            .validator
            .validation()
            .validate(&example[..], None::<&mut Vec<u8>>)
            .unwrap();
        assert!(expected.rows.invalid > 0 && expected.rows.valid > 0);
        let id = upload_ok(&server, "users.csv", example.clone()).await;
        let done = wait_end(&server, &id).await;
        assert_eq!(done["state"], "done", "{done:#}");
        assert_eq!(done["file_name"], "users.csv");
        assert_eq!(done["rows"]["total"], expected.rows.total);
        assert_eq!(done["rows"]["valid"], expected.rows.valid);
        assert_eq!(done["rows"]["invalid"], expected.rows.invalid);
        assert_eq!(done["is_valid"], false);
        // Progress ends at every row and every byte of the file.
        assert_eq!(done["rows_done"], expected.rows.total);
        assert_eq!(done["total_bytes"], example.len() as u64);
        assert_eq!(done["bytes_read"], example.len() as u64);
        assert_eq!(done["fraction"], 1.0);
        assert_eq!(done["errors_csv_url"], format!("/uploads/{id}/errors.csv"));

        // 2. The e-mail in the outbox, with the error CSV attached.
        let eml_path = dir.path().join("outbox").join(format!("{id}.eml"));
        let eml = std::fs::read(&eml_path).unwrap();
        let message = parse_eml(&eml);
        assert_eq!(
            message.subject().unwrap(),
            format!(
                "Upload {id}: {} of {} users have validation errors",
                expected.rows.invalid, expected.rows.total
            )
        );
        assert_eq!(
            message.to().unwrap().first().unwrap().address(),
            Some("user-admins@backoffice.example")
        );
        assert!(
            message
                .body_text(0)
                .unwrap()
                .contains(&format!("Open {id}.csv"))
        );
        assert_eq!(message.attachment_count(), 1);
        let attached = attachment_bytes(&message, &format!("{id}.csv"));
        let download = http
            .get(format!("{}/uploads/{id}/errors.csv", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), StatusCode::OK);
        assert_eq!(
            download.headers()["content-disposition"],
            format!("attachment; filename=\"{id}.csv\"")
        );
        assert_eq!(download.bytes().await.unwrap().to_vec(), attached);

        // 3. Fix the values, keep the errors column, upload that file.
        let errors = done["errors"].as_array().unwrap();
        assert_eq!(errors.len(), expected.errors.len());
        let fixed = fix(&attached, errors);
        let id2 = upload_ok(&server, &format!("{id}.csv"), fixed).await;
        assert_ne!(id2, id);
        let done2 = wait_end(&server, &id2).await;
        assert_eq!(done2["state"], "done", "{done2:#}");
        assert_eq!(done2["is_valid"], true, "{done2:#}");
        assert_eq!(done2["rows"]["valid"], expected.rows.invalid);
        assert!(done2.get("errors_csv_url").is_none());

        // 4. The success e-mail: no attachment.
        let eml2 = std::fs::read(dir.path().join("outbox").join(format!("{id2}.eml"))).unwrap();
        let message2 = parse_eml(&eml2);
        assert_eq!(
            message2.subject().unwrap(),
            format!(
                "Upload {id2}: {} users are valid and will be imported",
                expected.rows.invalid
            )
        );
        assert_eq!(message2.attachment_count(), 0);
        let no_errors = http
            .get(format!("{}/uploads/{id2}/errors.csv", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(no_errors.status(), StatusCode::NOT_FOUND);

        // The uploads themselves are not kept.
        let leftovers: Vec<String> = std::fs::read_dir(dir.path().join("data"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".upload"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        server.stop().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_answers() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |c| c.max_upload_bytes = 64 * 1024).await;
        let http = client();
        let uploads = format!("{}/uploads", base(&server));

        // No field "file".
        let form = Form::new().text("comment", "hello");
        let response = http
            .post(&uploads)
            .header("Accept", "application/json")
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "no_file");
        assert_eq!(
            body["message"],
            "the form has no file: send it in the field \"file\""
        );

        // An empty file.
        let response = upload(&server, "empty.csv", Vec::new()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "empty_file");

        // Too large: a valid file over the limit.
        let mut big = b"email,firstName,lastName\n".to_vec();
        let mut n = 0;
        while big.len() <= 64 * 1024 + 10 {
            big.extend_from_slice(format!("user{n}@example.com,First,Last\n").as_bytes());
            n += 1;
        }
        let response = upload(&server, "big.csv", big).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "too_large");
        assert_eq!(
            body["message"],
            "the file is larger than the limit of 65536 bytes"
        );

        // Not multipart at all; and a browser gets text, not JSON.
        let response = http
            .post(&uploads)
            .header("Content-Type", "text/csv")
            .body("email\n")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .starts_with("send the file as multipart/form-data in the field \"file\"")
        );

        // Unknown ids.
        for (method, path) in [
            ("GET", "/uploads/upload-nope"),
            ("GET", "/uploads/upload-nope/errors.csv"),
            ("DELETE", "/uploads/upload-nope"),
            ("GET", "/uploads/..%2F..%2Fetc%2Fpasswd/errors.csv"),
        ] {
            let response = http
                .request(method.parse().unwrap(), format!("{}{path}", base(&server)))
                .header("Accept", "application/json")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "unknown_upload", "{method} {path}");
        }
        let response = http
            .get(format!("{}/guide?format=pdf", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);

        // Nothing was stored, no e-mail was written, and the server still
        // works: a file-level problem is validated and mailed.
        assert_eq!(
            std::fs::read_dir(dir.path().join("data")).unwrap().count(),
            0
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("outbox"))
                .unwrap()
                .count(),
            0
        );
        let id = upload_ok(
            &server,
            "no-email.csv",
            b"firstName,lastName\nAda,Lovelace\n".to_vec(),
        )
        .await;
        let done = wait_end(&server, &id).await;
        assert_eq!(done["state"], "done");
        assert_eq!(done["is_valid"], false);
        assert_eq!(
            done["file_errors"][0],
            "the header has no column \"email\" (required); found: firstName, lastName"
        );
        let eml = std::fs::read(dir.path().join("outbox").join(format!("{id}.eml"))).unwrap();
        let message = parse_eml(&eml);
        assert_eq!(
            message.subject().unwrap(),
            format!("Upload {id}: the file could not be read")
        );
        assert_eq!(message.attachment_count(), 0);
        server.stop().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_upload_gets_no_report_and_no_mail() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), |c| c.workers = 1).await;
        // Occupy the only worker so the upload stays queued.
        let held = server.app.workers.clone().acquire_owned().await.unwrap();
        let example = std::fs::read(EXAMPLE).unwrap();
        let id = upload_ok(&server, "users.csv", example.clone()).await;
        let queued = status(&server, &id).await;
        assert_eq!(queued["state"], "queued");
        assert_eq!(queued["rows_done"], 0);
        assert_eq!(queued["bytes_read"], 0);
        assert_eq!(queued["total_bytes"], example.len() as u64);
        assert_eq!(queued["fraction"], 0.0);

        let response = client()
            .delete(format!("{}/uploads/{id}", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        drop(held);
        let end = wait_end(&server, &id).await;
        assert_eq!(end["state"], "cancelled", "{end:#}");
        assert!(end.get("rows").is_none() && end.get("is_valid").is_none());
        assert_eq!(end["rows_done"], 0);
        assert!(!dir.path().join("outbox").join(format!("{id}.eml")).exists());
        let response = client()
            .get(format!("{}/uploads/{id}/errors.csv", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let response = client()
            .delete(format!("{}/uploads/{id}", base(&server)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        server.stop().await.unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_to_the_smtp_relay_when_configured() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let (relay, received) = fake_smtp().await;
        let server = start(dir.path(), |c| {
            c.smtp = Some(relay.to_string());
            c.to = vec!["a@example.com".into(), "b@example.com".into()];
        })
        .await;
        let example = std::fs::read(EXAMPLE).unwrap();
        let id = upload_ok(&server, "users.csv", example).await;
        let done = wait_end(&server, &id).await;
        assert_eq!(done["state"], "done", "{done:#}");
        assert_eq!(done["email"], format!("smtp://{relay}"));
        let (commands, data) = received.await.unwrap();
        assert!(
            commands.contains(&"MAIL FROM:<noreply@backoffice.example>".to_string()),
            "{commands:?}"
        );
        assert!(commands.contains(&"RCPT TO:<a@example.com>".to_string()));
        assert!(commands.contains(&"RCPT TO:<b@example.com>".to_string()));
        let message = parse_eml(&data);
        assert!(
            message
                .subject()
                .unwrap()
                .starts_with(&format!("Upload {id}: "))
        );
        let attached = attachment_bytes(&message, &format!("{id}.csv"));
        let on_disk = std::fs::read(dir.path().join("data").join(format!("{id}.csv"))).unwrap();
        assert_eq!(attached, on_disk);
        // Nothing in the outbox.
        assert_eq!(
            std::fs::read_dir(dir.path().join("outbox"))
                .unwrap()
                .count(),
            0
        );
        server.stop().await.unwrap();
    })
    .await;
}
