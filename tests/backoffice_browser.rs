//! The upload form driven in a real headless Chromium (Debian's
//! `chromium`; `.ci/run` installs it): choose a file, click Upload, follow
//! the redirect to the status page, wait for it to refresh to "Done",
//! reload it, and read what the admin sees. A screenshot is left in the
//! target directory (`backoffice-status.png`).
//!
//! The browser is driven over the DevTools protocol on 127.0.0.1. Without
//! Chromium the test fails, unless `USERCSV_SKIP_BROWSER=1` is set.
#![cfg(feature = "mail")]

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/backoffice/main.rs"]
mod backoffice;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/users.csv");

/// Kills the browser when the test ends, however it ends.
struct Browser(Child);

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts headless Chromium with a fresh profile; returns it and the
/// DevTools port it chose.
fn launch(profile: &Path) -> (Browser, u16) {
    let child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--window-size=1100,1400",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium is installed (.ci/run installs it)");
    let browser = Browser(child);
    let port_file = profile.join("DevToolsActivePort");
    for _ in 0..600 {
        if let Ok(text) = std::fs::read_to_string(&port_file)
            && let Some(port) = text.lines().next().and_then(|l| l.parse().ok())
        {
            return (browser, port);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("chromium did not open its DevTools port");
}

/// The DevTools WebSocket of the browser's page, once it has one.
async fn page_socket(port: u16) -> String {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for _ in 0..600 {
        let targets: Option<Value> = match http
            .get(format!("http://127.0.0.1:{port}/json/list"))
            .send()
            .await
        {
            Ok(response) => response.json().await.ok(),
            Err(_) => None,
        };
        let url = targets.as_ref().and_then(|t| {
            t.as_array()?.iter().find(|t| t["type"] == "page")?["webSocketDebuggerUrl"]
                .as_str()
                .map(str::to_string)
        });
        if let Some(url) = url {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromium has no page target");
}

/// One DevTools session on a page.
struct Page {
    ws: tungstenite::WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
}

impl Page {
    fn open(url: &str) -> Page {
        let (ws, _) = tungstenite::connect(url).unwrap();
        if let MaybeTlsStream::Plain(stream) = ws.get_ref() {
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
        }
        Page { ws, next: 1 }
    }

    /// Sends a command and returns its result, skipping events.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        let message = json!({ "id": id, "method": method, "params": params });
        self.ws
            .send(tungstenite::Message::text(message.to_string()))
            .unwrap();
        loop {
            let message = self.ws.read().unwrap();
            let Ok(text) = message.to_text() else {
                continue;
            };
            let Ok(value) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            if value["id"] == id {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
        }
    }

    fn eval(&mut self, expression: &str) -> Value {
        self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        )["result"]["value"]
            .clone()
    }

    /// Waits (polling, bounded) until `expression` is true.
    fn wait_for(&mut self, expression: &str) {
        for _ in 0..1200 {
            if self.eval(expression) == Value::Bool(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let seen = self.eval("location.href + '\\n' + document.body.innerText");
        panic!(
            "never true in 60 s: {expression}\nthe page:\n{}",
            seen.as_str().unwrap_or("?")
        );
    }

    fn node(&mut self, selector: &str) -> Value {
        let root = self.call("DOM.getDocument", json!({}))["root"]["nodeId"].clone();
        let node = self.call(
            "DOM.querySelector",
            json!({ "nodeId": root, "selector": selector }),
        )["nodeId"]
            .clone();
        assert_ne!(node, json!(0), "no {selector} on the page");
        node
    }

    /// A real mouse click in the middle of the element.
    fn click(&mut self, selector: &str) {
        let node = self.node(selector);
        let quad =
            self.call("DOM.getBoxModel", json!({ "nodeId": node }))["model"]["content"].clone();
        let q: Vec<f64> = quad
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let (x, y) = ((q[0] + q[4]) / 2.0, (q[1] + q[5]) / 2.0);
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            );
        }
    }
}

/// Standard base64, for the screenshot.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    bytes
        .chunks(4)
        .flat_map(|chunk| {
            let mut n = 0u32;
            for (i, &b) in chunk.iter().enumerate() {
                n |= u32::from(b) << (18 - 6 * i);
            }
            let out = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.into_iter().take(chunk.len().saturating_sub(1))
        })
        .collect()
}

struct Seen {
    path: String,
    text: String,
    html: String,
}

/// What the admin does in the browser.
fn admin_uploads(socket: &str, base: &str, file: &Path, screenshot: &Path) -> Seen {
    let mut page = Page::open(socket);
    page.call("Page.enable", json!({}));
    page.call("Page.navigate", json!({ "url": format!("{base}/") }));
    page.wait_for(
        "document.readyState === 'complete' && !!document.querySelector('input[type=file]')",
    );
    let input = page.node("input[type=file]");
    page.call(
        "DOM.setFileInputFiles",
        json!({ "nodeId": input, "files": [file.to_string_lossy()] }),
    );
    page.click("button[type=submit]");
    // 303 to the status page, which refreshes itself until the end.
    page.wait_for("location.pathname.startsWith('/uploads/')");
    page.wait_for("document.readyState === 'complete' && document.body.innerText.includes('Done') && document.body.innerText.includes('E-mail\\tsent')");
    // A reload shows the page again and uploads nothing.
    page.call("Page.reload", json!({}));
    page.wait_for("document.readyState === 'complete' && document.body.innerText.includes('Done')");
    let shot = page.call("Page.captureScreenshot", json!({ "format": "png" }));
    std::fs::write(screenshot, base64_decode(shot["data"].as_str().unwrap())).unwrap();
    Seen {
        path: page.eval("location.pathname").as_str().unwrap().to_string(),
        text: page
            .eval("document.body.innerText")
            .as_str()
            .unwrap()
            .to_string(),
        html: page
            .eval("document.documentElement.outerHTML")
            .as_str()
            .unwrap()
            .to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_uploads_through_the_form_in_chromium() {
    if std::env::var_os("USERCSV_SKIP_BROWSER").is_some() {
        eprintln!("USERCSV_SKIP_BROWSER is set: the browser test does not run");
        return;
    }
    tokio::time::timeout(Duration::from_secs(100), async {
        let dir = tempfile::tempdir().unwrap();
        let mut config =
            backoffice::Config::new("127.0.0.1:0".parse().unwrap(), dir.path().join("data"));
        config.sftp_poll = Duration::from_millis(100);
        let server = backoffice::start(config).await.unwrap();
        let base = format!("http://{}", server.addr);
        let file = dir.path().join("users.csv");
        std::fs::copy(EXAMPLE, &file).unwrap();
        let profile = dir.path().join("profile");
        let screenshot: PathBuf =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("backoffice-status.png");

        let (browser, port) = launch(&profile);
        let socket = page_socket(port).await;
        let (base2, shot) = (base.clone(), screenshot.clone());
        let seen =
            tokio::task::spawn_blocking(move || admin_uploads(&socket, &base2, &file, &shot))
                .await
                .unwrap();
        drop(browser);

        let id = seen.path.strip_prefix("/uploads/").unwrap().to_string();
        let expected = server
            .app
            .validator
            .validation()
            .validate(std::fs::read(EXAMPLE).unwrap().as_slice(), None)
            .unwrap();
        for needle in [
            "users.csv (1.1 KiB)".to_string(),
            "Update: creates and updates users, archives nobody".to_string(),
            "Done".to_string(),
            format!(
                "{}\t{}\t{}\t0",
                expected.rows.total, expected.rows.valid, expected.rows.invalid
            ),
            format!("Applied\t{}\t0\t0\t0", expected.rows.valid),
            "Errors by column".to_string(),
            "Download the rows to fix".to_string(),
        ] {
            assert!(
                seen.text.contains(&needle),
                "{needle:?} not in:\n{}",
                seen.text
            );
        }
        assert!(
            seen.html
                .contains(&format!("href=\"/uploads/{id}/errors.csv\""))
        );

        // One upload: the browser's same-origin POST passed the origin
        // check, and the reload did not post again.
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let list: Value = http
            .get(format!("{base}/uploads"))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1, "{list:#}");
        assert_eq!(list[0]["id"], id.as_str());
        let users: Value = http
            .get(format!("{base}/users"))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(users.as_array().unwrap().len() as u64, expected.rows.valid);
        assert!(std::fs::metadata(&screenshot).unwrap().len() > 1000);
        server.shutdown().await;
    })
    .await
    .expect("the browser test took more than 100 s");
}
