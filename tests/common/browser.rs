//! A headless Chromium driven over the Chrome DevTools Protocol (a websocket, `tungstenite`):
//! open a `file://` page, collect every console error or warning, uncaught exception, log
//! error, outgoing request and failed load, take a full-page PNG screenshot, evaluate
//! JavaScript. [`Browser::launch_or_skip`] skips (with the reason) where there is no Chromium,
//! unless `FLEETSIM_REQUIRE_BROWSER=1` (CI), which makes that a failure.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// Environment variable that turns "no Chromium" from a skip into a test failure (CI).
pub const REQUIRE_ENV: &str = "FLEETSIM_REQUIRE_BROWSER";
/// Environment variable naming the Chromium binary (default [`DEFAULT_CHROMIUM`]).
pub const CHROMIUM_ENV: &str = "FLEETSIM_CHROMIUM";
/// Where Debian's `chromium` package puts the browser.
pub const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
/// Every wait (start, a command's answer, a page load) gives up after this long.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Viewport and screenshot width in CSS pixels (device scale factor 1).
pub const WIDTH: u32 = 1280;

/// Whether `FLEETSIM_REQUIRE_BROWSER` is set to `1` (or `true`/`yes`).
pub fn browser_required() -> bool {
    std::env::var(REQUIRE_ENV)
        .map(|v| matches!(v.trim().to_lowercase().as_str(), "1" | "true" | "yes"))
        .unwrap_or(false)
}

/// The Chromium binary to use, or why there is none.
pub fn chromium() -> Result<PathBuf, String> {
    let (path, from) = match std::env::var_os(CHROMIUM_ENV) {
        Some(p) if !p.is_empty() => (PathBuf::from(p), format!("${CHROMIUM_ENV}")),
        _ => (PathBuf::from(DEFAULT_CHROMIUM), "the default".to_string()),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "no Chromium at {} ({from}; install Debian's `chromium` package or set {CHROMIUM_ENV})",
            path.display()
        ))
    }
}

/// What went wrong on a page: each entry one line, saying what kind of problem it is.
#[derive(Debug, Default, Clone)]
pub struct PageProblems {
    /// `console.error` / `console.warn` (and `console.assert`) messages.
    pub console: Vec<String>,
    /// Uncaught exceptions (`Runtime.exceptionThrown`).
    pub exceptions: Vec<String>,
    /// Browser log entries of level error (`Log.entryAdded`).
    pub log: Vec<String>,
    /// Requests for anything but the page itself (`Network.requestWillBeSent`).
    pub requests: Vec<String>,
    /// Failed loads (`Network.loadingFailed`).
    pub failed: Vec<String>,
}

impl PageProblems {
    /// Every problem, one per line with its kind; empty when the page is clean.
    pub fn lines(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (kind, list) in [
            ("console", &self.console),
            ("exception", &self.exceptions),
            ("log", &self.log),
            ("request", &self.requests),
            ("failed load", &self.failed),
        ] {
            v.extend(list.iter().map(|m| format!("{kind}: {m}")));
        }
        v
    }

    /// Whether nothing went wrong.
    pub fn is_clean(&self) -> bool {
        self.lines().is_empty()
    }
}

/// A headless Chromium with one page target attached (flattened session). Dropping it kills
/// the browser and removes its profile directory.
pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    /// The page last opened (its own request is not a problem).
    page_url: String,
    problems: PageProblems,
    loaded: bool,
    stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A browser for `test`, or `None` after printing "skipped: ..." when there is no Chromium
    /// and `FLEETSIM_REQUIRE_BROWSER` is not set; panics with the reason when it is set, or
    /// when Chromium is there but does not start.
    pub fn launch_or_skip(test: &str) -> Option<Browser> {
        match chromium() {
            Ok(bin) => Some(Browser::launch(&bin).unwrap_or_else(|e| panic!("{test}: {e}"))),
            Err(why) if browser_required() => {
                panic!("{test}: {REQUIRE_ENV}=1 but the browser tests cannot run: {why}")
            }
            Err(why) => {
                eprintln!(
                    "{test}: skipped: {why}; set {REQUIRE_ENV}=1 to make this a failure (CI does)"
                );
                None
            }
        }
    }

    /// Starts `bin` headless on a fresh profile, reads the DevTools address from its stderr,
    /// creates a blank page target and enables Page, Runtime, Log and Network on it.
    pub fn launch(bin: &Path) -> Result<Browser, String> {
        let profile = tempfile::tempdir().map_err(|e| format!("temp profile dir: {e}"))?;
        let mut child = Command::new(bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                &format!("--window-size={WIDTH},800"),
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        // Read stderr on a thread for the whole life of the browser (a full pipe would block
        // it); the DevTools line goes over the channel, every line is kept for error messages.
        let stderr = child.stderr.take().expect("piped stderr");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(i) = line.find("DevTools listening on ") {
                        let _ = tx.send(
                            line[i + "DevTools listening on ".len()..]
                                .trim()
                                .to_string(),
                        );
                    }
                    lines.lock().unwrap().push(line);
                }
            });
        }
        let fail = |child: &mut Child,
                    what: String,
                    lines: &std::sync::Arc<std::sync::Mutex<Vec<String>>>| {
            let _ = child.kill();
            let _ = child.wait();
            format!(
                "{what}; Chromium's stderr:\n{}",
                lines.lock().unwrap().join("\n")
            )
        };
        let Ok(ws_url) = rx.recv_timeout(TIMEOUT) else {
            // Its stderr closed or it stayed silent: give an exiting process a moment to be
            // reaped, so the message can say it exited.
            let until = Instant::now() + Duration::from_secs(2);
            while Instant::now() < until && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let why = match child.try_wait() {
                Ok(Some(st)) => format!("{} exited ({st}) before listening", bin.display()),
                _ => format!(
                    "{} printed no `DevTools listening on ws://...` within {TIMEOUT:?}",
                    bin.display()
                ),
            };
            return Err(fail(&mut child, why, &lines));
        };
        let ws = match connect(&ws_url) {
            Ok(ws) => ws,
            Err(e) => return Err(fail(&mut child, e, &lines)),
        };
        let mut b = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            page_url: String::new(),
            problems: PageProblems::default(),
            loaded: false,
            stderr: lines,
            _profile: profile,
        };
        let target = b.call("Target.createTarget", json!({"url": "about:blank"}))?;
        let target_id = target["targetId"]
            .as_str()
            .ok_or_else(|| format!("Target.createTarget gave no targetId: {target}"))?
            .to_string();
        let att = b.call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        )?;
        b.session = att["sessionId"]
            .as_str()
            .ok_or_else(|| format!("Target.attachToTarget gave no sessionId: {att}"))?
            .to_string();
        for domain in ["Page", "Runtime", "Log", "Network"] {
            b.call(&format!("{domain}.enable"), json!({}))?;
        }
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": WIDTH, "height": 800, "deviceScaleFactor": 1, "mobile": false}),
        )?;
        Ok(b)
    }

    /// Opens `path` as a `file://` URL, waits for its load event (then a short settle for
    /// late requests) and returns what went wrong on it (console errors and warnings,
    /// exceptions, log errors, requests for anything but the page, failed loads).
    pub fn open(&mut self, path: &Path) -> Result<PageProblems, String> {
        let abs = std::fs::canonicalize(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let url = format!("file://{}", abs.display());
        self.open_url(&url)
    }

    /// [`open`](Self::open) for any URL.
    pub fn open_url(&mut self, url: &str) -> Result<PageProblems, String> {
        self.problems = PageProblems::default();
        self.loaded = false;
        self.page_url = url.to_string();
        let nav = self.call("Page.navigate", json!({"url": url}))?;
        if let Some(e) = nav.get("errorText").and_then(Value::as_str) {
            return Err(format!("navigating to {url} failed: {e}"));
        }
        let deadline = Instant::now() + TIMEOUT;
        while !self.loaded {
            if Instant::now() > deadline {
                return Err(format!(
                    "{url} did not fire its load event within {TIMEOUT:?}"
                ));
            }
            self.pump(deadline)?;
        }
        // Anything the page starts after load (timers, lazy images) within a moment.
        let settle = Instant::now() + Duration::from_millis(300);
        while Instant::now() < settle {
            self.pump(settle)?;
        }
        // A round trip, so every event sent before it has been read.
        self.call("Runtime.evaluate", json!({"expression": "0"}))?;
        Ok(self.problems.clone())
    }

    /// The problems collected on the current page so far.
    pub fn problems(&self) -> &PageProblems {
        &self.problems
    }

    /// Evaluates `js` in the page and returns its value (`returnByValue`; promises awaited);
    /// an exception is an error with its description.
    pub fn eval(&mut self, js: &str) -> Result<Value, String> {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(ex) = r.get("exceptionDetails") {
            return Err(format!("{js}: threw {}", exception_text(ex)));
        }
        Ok(r["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// A PNG of the whole page, [`WIDTH`] CSS pixels wide and as tall as its content.
    pub fn screenshot(&mut self) -> Result<Vec<u8>, String> {
        let m = self.call("Page.getLayoutMetrics", json!({}))?;
        let h = m["cssContentSize"]["height"]
            .as_f64()
            .or_else(|| m["contentSize"]["height"].as_f64())
            .unwrap_or(800.0)
            .ceil()
            .clamp(1.0, 16_000.0);
        let r = self.call(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": {"x": 0, "y": 0, "width": WIDTH, "height": h, "scale": 1},
            }),
        )?;
        let data = r["data"]
            .as_str()
            .ok_or_else(|| format!("Page.captureScreenshot gave no data: {r}"))?;
        base64_decode(data)
    }

    /// Sends `method` (to the page session once attached) and waits for its answer, keeping
    /// the events that arrive meanwhile.
    fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .map_err(|e| format!("{method}: cannot send: {e}"))?;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if Instant::now() > deadline {
                return Err(format!("{method}: no answer within {TIMEOUT:?}"));
            }
            if let Some(v) = self.read(deadline)? {
                if v["id"].as_u64() == Some(id) {
                    if let Some(e) = v.get("error") {
                        return Err(format!("{method}: {e}"));
                    }
                    return Ok(v["result"].clone());
                }
                self.event(&v);
            }
        }
    }

    /// Reads and handles at most one message before `deadline`.
    fn pump(&mut self, deadline: Instant) -> Result<(), String> {
        if let Some(v) = self.read(deadline)? {
            self.event(&v);
        }
        Ok(())
    }

    /// One JSON message, or `None` when nothing came within a short poll.
    fn read(&mut self, deadline: Instant) -> Result<Option<Value>, String> {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .clamp(Duration::from_millis(1), Duration::from_millis(100));
        self.ws
            .get_mut()
            .set_read_timeout(Some(left))
            .map_err(|e| format!("socket: {e}"))?;
        match self.ws.read() {
            Ok(Message::Text(t)) => serde_json::from_str(t.as_str())
                .map(Some)
                .map_err(|e| format!("bad DevTools message {t}: {e}")),
            Ok(_) => Ok(None),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(format!(
                "DevTools connection: {e}; Chromium's stderr:\n{}",
                self.stderr.lock().unwrap().join("\n")
            )),
        }
    }

    /// Files an event of the page session under its problem, or notes the load.
    fn event(&mut self, v: &Value) {
        let p = &v["params"];
        match v["method"].as_str().unwrap_or("") {
            "Page.loadEventFired" => self.loaded = true,
            "Runtime.consoleAPICalled" => {
                let level = p["type"].as_str().unwrap_or("");
                if matches!(level, "error" | "warning" | "assert") {
                    let args: Vec<String> = p["args"]
                        .as_array()
                        .map(|a| a.iter().map(remote_text).collect())
                        .unwrap_or_default();
                    self.problems
                        .console
                        .push(format!("{level}: {}", args.join(" ")));
                }
            }
            "Runtime.exceptionThrown" => self
                .problems
                .exceptions
                .push(exception_text(&p["exceptionDetails"])),
            "Log.entryAdded" => {
                let e = &p["entry"];
                if e["level"].as_str() == Some("error") {
                    self.problems.log.push(format!(
                        "{} ({}): {}",
                        e["source"].as_str().unwrap_or(""),
                        e["url"].as_str().unwrap_or(""),
                        e["text"].as_str().unwrap_or("")
                    ));
                }
            }
            "Network.requestWillBeSent" => {
                let url = p["request"]["url"].as_str().unwrap_or("");
                if url != self.page_url {
                    self.problems.requests.push(url.to_string());
                }
            }
            "Network.loadingFailed" => self.problems.failed.push(format!(
                "{} ({}{})",
                p["errorText"].as_str().unwrap_or("failed"),
                p["type"].as_str().unwrap_or(""),
                p["blockedReason"]
                    .as_str()
                    .map(|r| format!(", blocked: {r}"))
                    .unwrap_or_default()
            )),
            _ => {}
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Opens the DevTools websocket at `ws://host:port/path`.
fn connect(url: &str) -> Result<WebSocket<TcpStream>, String> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| format!("not a ws:// DevTools address: {url}"))?;
    let host = rest.split('/').next().unwrap_or(rest);
    let stream = TcpStream::connect(host).map_err(|e| format!("connect to {host}: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(|e| format!("socket: {e}"))?;
    let (ws, _) = tungstenite::client(url, stream)
        .map_err(|e| format!("websocket handshake with {url}: {e}"))?;
    Ok(ws)
}

/// A console argument (a `Runtime.RemoteObject`) as text.
fn remote_text(o: &Value) -> String {
    match o.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => o["description"].as_str().unwrap_or("").to_string(),
    }
}

/// A `Runtime.ExceptionDetails` as one line: the exception's description, else the text.
fn exception_text(ex: &Value) -> String {
    ex["exception"]["description"]
        .as_str()
        .or_else(|| ex["text"].as_str())
        .unwrap_or("exception")
        .to_string()
}

/// Standard base64 (with padding, as DevTools sends it) to bytes.
pub fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let val = |c: u8| -> Result<u32, String> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("not base64: byte {c}")),
        } as u32)
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= if c == b'=' { 0 } else { val(c)? } << (18 - 6 * i);
        }
        let take = chunk.len().saturating_sub(1).saturating_sub(pad);
        out.extend(&n.to_be_bytes()[1..=take]);
    }
    Ok(out)
}

/// Width and height of a PNG from its IHDR chunk, or why it is not a PNG.
pub fn png_size(png: &[u8]) -> Result<(u32, u32), String> {
    const SIG: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    if png.len() < 24 || png[..8] != SIG || &png[12..16] != b"IHDR" {
        return Err(format!("not a PNG ({} bytes)", png.len()));
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Ok((be(&png[16..20]), be(&png[20..24])))
}
