//! Each kind of report page (run, sweep, sensitivity, spares) opened in headless Chromium
//! (tests/common/browser.rs): tiny runs on the CPU engine, then `fleetsim report DIR` (or
//! `run --report`). The page must load with no console error or warning, no exception and no
//! request (it is one self-contained file); every `svg[data-chart]` must have a data mark
//! (`.mark`) with a non-empty bounding box and no text cut off by its edges; every
//! `[data-src]` element's visible text must parse (see [`parse_shown`]) and equal the value
//! its source names (a JSON pointer into summary.json, `FILE.json#/pointer`, or
//! `FILE.csv#col=value&...&stat=COLUMN`) within its `data-precision` (`1e-3` or `rel 1e-3`:
//! relative; `abs 0.0005`: absolute). The screenshot is kept as
//! `target/report-screenshots/KIND.png`.
//!
//! The parser and the source lookup are tested here on their own, so they run everywhere.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::browser::{self, Browser};
use crate::common::cli::{fleetsim, text};

// ---------------------------------------------------------------------------------------
// Reading the page's numbers
// ---------------------------------------------------------------------------------------

/// A number as the report page shows it, in the unit of the file it came from: `USD -262.0M`,
/// `USD 1.25B`, `USD 12.6k`, `USD 3.68`, `57.3 %` (0.573), `0.613`, `1,234 days`, thousands
/// separated by `,`; a unit word after the number (`days`, `h`, `MW`, ...) is allowed. Returns
/// the value and half a unit of its last shown digit (the rounding the text itself implies).
/// Five or more integer digits without separators (`12345 days`) are refused: the page's
/// format groups them (four digits may go either way: `1234` or `1,234`).
/// `None` for the marks of an undefined value (`—`, `–`, `-`, `n/a`, `never`, empty).
pub fn parse_shown(shown: &str) -> Result<Option<(f64, f64)>, String> {
    let t: String = shown
        .chars()
        .map(|c| match c {
            '\u{a0}' | '\u{202f}' | '\u{2009}' => ' ',
            '\u{2212}' => '-',
            c => c,
        })
        .collect();
    let t = t.trim();
    if ["", "—", "–", "-", "n/a", "N/A", "never", "undefined"].contains(&t) {
        return Ok(None);
    }
    let bad = |why: &str| Err(format!("cannot read {shown:?} as a number: {why}"));
    let mut s = t.strip_prefix("USD").map(str::trim_start).unwrap_or(t);
    let mut sign = 1.0;
    if let Some(r) = s.strip_prefix('-') {
        sign = -1.0;
        s = r;
    } else if let Some(r) = s.strip_prefix('+') {
        s = r;
    }
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .unwrap_or(s.len());
    let (num, rest) = s.split_at(end);
    if num.is_empty() || !num.starts_with(|c: char| c.is_ascii_digit()) {
        return bad("no digits");
    }
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if frac.contains(['.', ',']) {
        return bad("a separator after the decimal point");
    }
    let groups: Vec<&str> = int.split(',').collect();
    if groups.len() == 1 && int.len() > 4 {
        return bad("five or more digits without thousands separators (the page writes 12,345)");
    }
    if groups.len() > 1
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return bad("thousands separators not every three digits");
    }
    let digits = format!("{}.{}", groups.concat(), frac);
    let x: f64 = digits
        .trim_end_matches('.')
        .parse()
        .map_err(|e| format!("{shown:?}: {e}"))?;
    let mut half = 0.5 * 10f64.powi(-(frac.len() as i32));
    let (mult, rest) = match rest.chars().next() {
        Some('k') => (1e3, &rest[1..]),
        Some('M') => (1e6, &rest[1..]),
        Some('B') => (1e9, &rest[1..]),
        Some('T') => (1e12, &rest[1..]),
        _ => (1.0, rest),
    };
    let rest = rest.trim();
    let mult = match rest {
        "%" => mult / 100.0,
        "" => mult,
        unit if unit
            .chars()
            .all(|c| c.is_alphabetic() || c == '/' || c == '-' || c == ' ') =>
        {
            mult
        }
        _ => return bad("unexpected text after the number"),
    };
    half *= mult;
    Ok(Some((sign * x * mult, half)))
}

/// Where a `data-src` points: the file in the result folder and the value there (`None` for
/// a null or empty cell).
pub fn lookup(dir: &Path, src: &str) -> Result<Option<f64>, String> {
    let (file, frag) = match src.split_once('#') {
        Some((f, frag)) => (f, frag),
        None if src.starts_with('/') || src.is_empty() => ("summary.json", src),
        None => {
            return Err(format!(
                "data-src {src:?}: neither a JSON pointer nor FILE#..."
            ));
        }
    };
    let path = dir.join(file);
    let body = std::fs::read_to_string(&path)
        .map_err(|e| format!("data-src {src:?}: cannot read {}: {e}", path.display()))?;
    if file.ends_with(".json") {
        let doc: Value = serde_json::from_str(&body)
            .map_err(|e| format!("data-src {src:?}: {}: {e}", path.display()))?;
        let v = doc
            .pointer(&percent_decode(frag))
            .ok_or_else(|| format!("data-src {src:?}: no {frag:?} in {file}"))?;
        return match v {
            Value::Null => Ok(None),
            Value::Number(n) => Ok(n.as_f64()),
            other => Err(format!(
                "data-src {src:?}: {file} holds {other}, not a number"
            )),
        };
    }
    if file.ends_with(".csv") {
        return csv_lookup(&body, frag).map_err(|e| format!("data-src {src:?}: {file}: {e}"));
    }
    Err(format!(
        "data-src {src:?}: {file} is neither .json nor .csv"
    ))
}

/// `col=value&...&stat=COLUMN` in a CSV text: the one row whose columns equal the values, its
/// `stat` column.
fn csv_lookup(body: &str, query: &str) -> Result<Option<f64>, String> {
    let mut filters = Vec::new();
    let mut stat = None;
    for kv in query.split('&') {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("{kv:?} is not key=value"))?;
        let (k, v) = (percent_decode(k), percent_decode(v));
        if k == "stat" {
            stat = Some(v);
        } else {
            filters.push((k, v));
        }
    }
    let stat = stat.ok_or("no stat=COLUMN")?;
    let mut r = csv::Reader::from_reader(body.as_bytes());
    let header = r.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no column {name:?}"))
    };
    let idx: Vec<(usize, String)> = filters
        .iter()
        .map(|(k, v)| Ok((col(k)?, v.clone())))
        .collect::<Result<_, String>>()?;
    let s = col(&stat)?;
    let mut found = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        if idx.iter().all(|(i, v)| rec.get(*i) == Some(v.as_str())) {
            found.push(rec.get(s).unwrap_or("").to_string());
        }
    }
    match found.as_slice() {
        [cell] if cell.is_empty() => Ok(None),
        [cell] => cell
            .parse()
            .map(Some)
            .map_err(|e| format!("cell {cell:?}: {e}")),
        [] => Err(format!("no row with {filters:?}")),
        _ => Err(format!("{} rows with {filters:?}", found.len())),
    }
}

/// `%XX` escapes decoded (a `data-src` inside an attribute may carry them).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(hex) = std::str::from_utf8(&b[i + 1..i + 3])
            && let Ok(x) = u8::from_str_radix(hex, 16)
        {
            out.push(x);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `data-precision`: how far the shown number may be from the file's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    /// `X` or `rel X`: |shown - file| <= X |file|.
    Rel(f64),
    /// `abs X`: |shown - file| <= X, in the file's unit.
    Abs(f64),
}

/// Reads a `data-precision` (`1e-3`, `rel 1e-3`, `abs 0.0005`); none means exact.
pub fn parse_precision(p: Option<&str>) -> Result<Tolerance, String> {
    let Some(p) = p else {
        return Ok(Tolerance::Rel(0.0));
    };
    let t = p.trim();
    let (abs, num) = if let Some(r) = t.strip_prefix("abs") {
        (true, r)
    } else {
        (false, t.strip_prefix("rel").unwrap_or(t))
    };
    let x: f64 = num
        .trim()
        .parse()
        .map_err(|e| format!("data-precision {p:?}: {e}"))?;
    if !(x.is_finite() && x >= 0.0) {
        return Err(format!("data-precision {p:?}: not a tolerance"));
    }
    Ok(if abs {
        Tolerance::Abs(x)
    } else {
        Tolerance::Rel(x)
    })
}

/// Whether the text `shown` shows `value` within `precision`: both undefined, or within the
/// larger of the stated tolerance and the text's own rounding (half its last digit).
pub fn shows(shown: &str, precision: Tolerance, value: Option<f64>) -> Result<(), String> {
    match (parse_shown(shown)?, value) {
        (None, None) => Ok(()),
        (Some((x, half)), Some(v)) => {
            let stated = match precision {
                Tolerance::Rel(r) => r * v.abs().max(x.abs()),
                Tolerance::Abs(a) => a,
            };
            let tol = stated.max(half) * (1.0 + 1e-9) + 1e-12;
            if (x - v).abs() <= tol {
                Ok(())
            } else {
                Err(format!(
                    "shows {shown:?} = {x}, the file holds {v} (off by {:.3e}, allowed {tol:.3e})",
                    (x - v).abs()
                ))
            }
        }
        (None, Some(v)) => Err(format!("shows {shown:?} (undefined), the file holds {v}")),
        (Some((x, _)), None) => Err(format!("shows {shown:?} = {x}, the file holds null")),
    }
}

#[test]
fn browser_reports_parse_the_page_formats() {
    let v = |s: &str| parse_shown(s).unwrap().unwrap().0;
    assert_eq!(v("USD -262.0M"), -262.0e6);
    assert_eq!(v("USD 1.25B"), 1.25e9);
    assert_eq!(v("USD 12.6k"), 12.6e3);
    assert_eq!(v("USD 3.68"), 3.68);
    assert!((v("57.3 %") - 0.573).abs() < 1e-15);
    assert_eq!(v("0.613"), 0.613);
    assert_eq!(v("1,234 days"), 1234.0);
    assert_eq!(v("1234 days"), 1234.0);
    assert_eq!(v("20,000"), 20000.0);
    assert_eq!(v("USD 1,234,567"), 1_234_567.0);
    assert_eq!(v("\u{2212}4.5 %"), -0.045);
    assert_eq!(v("+12"), 12.0);
    assert_eq!(parse_shown("—").unwrap(), None);
    assert_eq!(parse_shown("USD 3.68").unwrap().unwrap().1, 0.005);
    assert_eq!(parse_shown("USD -262.0M").unwrap().unwrap().1, 0.05e6);
    for bad in [
        "USD",
        "12,34",
        "1,2345",
        "12345 days",
        "USD 12345.6",
        "abc",
        "1.2.3",
        "3 ) x",
        "USD 1.2 Q%",
    ] {
        assert!(parse_shown(bad).is_err(), "{bad:?} should not parse");
    }
}

#[test]
fn browser_reports_compare_within_the_precision() {
    let rel = |p: &str| parse_precision(Some(p)).unwrap();
    assert_eq!(rel("1e-3"), Tolerance::Rel(1e-3));
    assert_eq!(rel("rel 1e-3"), Tolerance::Rel(1e-3));
    assert_eq!(rel(" abs 0.51"), Tolerance::Abs(0.51));
    assert_eq!(parse_precision(None).unwrap(), Tolerance::Rel(0.0));
    for bad in ["", "rel", "abs x", "-1", "inf", "about 1e-3"] {
        assert!(parse_precision(Some(bad)).is_err(), "{bad:?}");
    }
    let r3 = Tolerance::Rel(1e-3);
    assert!(shows("USD -262.0M", r3, Some(-262.04e6)).is_ok());
    assert!(shows("USD -262.0M", r3, Some(-263.0e6)).is_err());
    assert!(shows("57.3 %", r3, Some(0.5731)).is_ok());
    assert!(shows("57.3 %", r3, Some(0.58)).is_err());
    assert!(shows("57.3 %", Tolerance::Abs(0.000505), Some(0.5735)).is_ok());
    assert!(shows("57.3 %", Tolerance::Abs(0.000505), Some(0.5740)).is_err());
    assert!(shows("—", r3, None).is_ok());
    assert!(shows("—", r3, Some(1.0)).is_err());
    assert!(shows("1.0", r3, None).is_err());
    let exact = Tolerance::Rel(0.0);
    assert!(shows("1,234 days", exact, Some(1234.0)).is_ok());
    assert!(shows("1,234 days", exact, Some(1236.0)).is_err());
    assert!(shows("1,234 days", Tolerance::Abs(0.51), Some(1234.5)).is_ok());
}

#[test]
fn browser_reports_look_up_json_pointers_and_csv_cells() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("summary.json"),
        r#"{"options": {"trn2": {"npv_usd": {"p50": -2.62e8, "se": null}}},
            "pairs": {"trn2 vs b200": {"x": 1.5}}}"#,
    )
    .unwrap();
    std::fs::write(
        d.path().join("timeseries.csv"),
        "option,month,metric,p50,p95\ntrn2,12,revenue_usd,1.5e6,\ntrn2,13,revenue_usd,2,3\n\
         b200,12,revenue_usd,9,9\n",
    )
    .unwrap();
    let p = d.path();
    assert_eq!(
        lookup(p, "/options/trn2/npv_usd/p50").unwrap(),
        Some(-2.62e8)
    );
    assert_eq!(lookup(p, "/options/trn2/npv_usd/se").unwrap(), None);
    assert_eq!(
        lookup(p, "summary.json#/pairs/trn2 vs b200/x").unwrap(),
        Some(1.5)
    );
    assert_eq!(
        lookup(p, "summary.json#/pairs/trn2%20vs%20b200/x").unwrap(),
        Some(1.5)
    );
    assert!(lookup(p, "/options/h100/npv_usd/p50").is_err());
    let ts = "timeseries.csv#option=trn2&month=12&metric=revenue_usd&stat=";
    assert_eq!(lookup(p, &format!("{ts}p50")).unwrap(), Some(1.5e6));
    assert_eq!(lookup(p, &format!("{ts}p95")).unwrap(), None);
    assert!(lookup(p, &format!("{ts}p99")).is_err(), "no such column");
    assert!(
        lookup(p, "timeseries.csv#metric=revenue_usd&stat=p50").is_err(),
        "three rows match"
    );
    assert!(
        lookup(p, "timeseries.csv#option=x&stat=p50").is_err(),
        "none match"
    );
}

// ---------------------------------------------------------------------------------------
// The report pages
// ---------------------------------------------------------------------------------------

/// The page's charts and numbers, as the checks need them.
const COLLECT_JS: &str = r#"(() => {
  const charts = [...document.querySelectorAll('svg[data-chart]')].map(s => {
    const marks = [...s.querySelectorAll('.mark')];
    const drawn = marks.filter(m => {
      try { const r = m.getBBox(); return r.width > 0 || r.height > 0; } catch (e) { return false; }
    }).length;
    const box = s.getBoundingClientRect();
    // Text the svg's own box cuts off (an outer svg clips unless its overflow is visible).
    const clips = getComputedStyle(s).overflow !== 'visible';
    const clipped = !clips ? [] : [...s.querySelectorAll('text')].filter(t => {
      const r = t.getBoundingClientRect();
      return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 ||
                             r.top < box.top - 1 || r.bottom > box.bottom + 1);
    }).map(t => t.textContent.trim().slice(0, 80));
    return {name: s.dataset.chart, class: s.getAttribute('class') || '', marks: marks.length,
            drawn, width: box.width, height: box.height, clipped};
  });
  const values = [...document.querySelectorAll('[data-src]')].map(e => ({
    src: e.dataset.src,
    precision: e.dataset.precision === undefined ? null : e.dataset.precision,
    text: (e.innerText === undefined ? e.textContent : e.innerText).trim(),
  }));
  return {charts, values, title: document.title};
})()"#;

/// Where the screenshots go: `target/report-screenshots/` (or under `CARGO_TARGET_DIR`).
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("report-screenshots")
}

/// Runs fleetsim with `args` and fails with its output unless it succeeds.
fn ok(args: &[&str]) {
    let o = fleetsim(args);
    assert!(o.status.success(), "fleetsim {args:?}:\n{}", text(&o));
}

/// Opens `dir/report.html`, applies every check and fails with the list of what failed; the
/// screenshot becomes `KIND.png`.
fn check_report(kind: &str, b: &mut Browser, dir: &Path) {
    let (failures, summary) = report_failures(kind, b, dir);
    assert!(
        failures.is_empty(),
        "{kind}: report.html ({summary}) fails {} check(s):\n  {}",
        failures.len(),
        failures.join("\n  "),
    );
    eprintln!("{kind}: report.html passes ({summary})");
}

/// What fails on `dir/report.html` (one line each), and a line saying how many charts and
/// numbers were checked and where the screenshot (`KIND.png`) is.
fn report_failures(kind: &str, b: &mut Browser, dir: &Path) -> (Vec<String>, String) {
    let page = dir.join("report.html");
    let html = std::fs::read_to_string(&page)
        .unwrap_or_else(|e| panic!("{kind}: no {}: {e}", page.display()));
    let mut failures = Vec::new();
    if html.to_lowercase().contains("<script") {
        failures.push("report.html holds a <script>".to_string());
    }
    let problems = b.open(&page).unwrap_or_else(|e| panic!("{kind}: {e}"));
    let page_data = b.eval(COLLECT_JS).unwrap_or_else(|e| panic!("{kind}: {e}"));
    let png = b.screenshot().unwrap_or_else(|e| panic!("{kind}: {e}"));
    let shots = screenshot_dir();
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join(format!("{kind}.png"));
    std::fs::write(&shot, &png).unwrap();
    eprintln!("{kind}: screenshot {}", shot.display());

    failures.extend(problems.lines());
    let (w, _) = browser::png_size(&png).unwrap_or_else(|e| panic!("{kind}: {e}"));
    if w != browser::WIDTH {
        failures.push(format!("screenshot is {w} px wide, not {}", browser::WIDTH));
    }
    let charts = page_data["charts"].as_array().cloned().unwrap_or_default();
    if charts.is_empty() {
        failures.push("no svg[data-chart] on the page".into());
    }
    for c in &charts {
        let name = c["name"].as_str().unwrap_or("?");
        if !c["class"]
            .as_str()
            .unwrap_or("")
            .split(' ')
            .any(|k| k == "chart")
        {
            failures.push(format!("chart {name:?}: the svg lacks class=\"chart\""));
        }
        if c["width"].as_f64().unwrap_or(0.0) <= 0.0 || c["height"].as_f64().unwrap_or(0.0) <= 0.0 {
            failures.push(format!("chart {name:?}: the svg has an empty box: {c}"));
        }
        for t in c["clipped"].as_array().into_iter().flatten() {
            failures.push(format!(
                "chart {name:?}: text {t} runs past the edge of the chart and is cut off"
            ));
        }
        if c["drawn"].as_u64().unwrap_or(0) == 0 {
            failures.push(format!(
                "chart {name:?}: no .mark with a non-empty bounding box ({} marks)",
                c["marks"]
            ));
        }
    }
    let values = page_data["values"].as_array().cloned().unwrap_or_default();
    if values.is_empty() {
        failures.push("no [data-src] numbers on the page".into());
    }
    for v in &values {
        let src = v["src"].as_str().unwrap_or("");
        let shown = v["text"].as_str().unwrap_or("");
        let precision = parse_precision(v["precision"].as_str());
        let r = precision.and_then(|p| shows(shown, p, lookup(dir, src)?));
        if let Err(e) = r {
            failures.push(format!("[data-src={src:?}] {e}"));
        }
    }
    let summary = format!(
        "{} charts, {} numbers checked; screenshot {}",
        charts.len(),
        values.len(),
        shot.display()
    );
    (failures, summary)
}

/// The start of every report test: `None` (after saying why) when there is no Chromium (and
/// `FLEETSIM_REQUIRE_BROWSER` is not set).
fn start(test: &str) -> Option<(Browser, tempfile::TempDir)> {
    let b = Browser::launch_or_skip(test)?;
    Some((b, tempfile::tempdir().unwrap()))
}

fn default_toml() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("configs/default.toml")
        .display()
        .to_string()
}

#[test]
fn browser_reports_run() {
    let Some((mut b, d)) = start("browser_reports_run") else {
        return;
    };
    let out = d.path().join("run");
    let o = out.display().to_string();
    ok(&[
        "run",
        "-n",
        "300",
        "--no-breakeven",
        "--backend",
        "cpu",
        "-q",
        "-o",
        &o,
        "--report",
    ]);
    assert!(
        out.join("summary.xlsx").is_file(),
        "--report writes summary.xlsx by default"
    );
    check_report("run", &mut b, &out);
}

#[test]
fn browser_reports_sweep() {
    let Some((mut b, d)) = start("browser_reports_sweep") else {
        return;
    };
    let sweep = d.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        format!(
            "[sweep]\nscenario = {:?}\ndesign = \"grid\"\npaths = 100\nseed = 42\n\
             metric = \"npv_usd\"\ncompare = [\"trn2\", \"b200\"]\n\n[[axis]]\n\
             key = \"environment.usd_per_kwh\"\nvalues = [0.05, 0.10, 0.20]\n",
            default_toml()
        ),
    )
    .unwrap();
    let out = d.path().join("sweep");
    let o = out.display().to_string();
    ok(&[
        "sweep",
        &sweep.display().to_string(),
        "--backend",
        "cpu",
        "-q",
        "-o",
        &o,
    ]);
    ok(&["report", &o]);
    check_report("sweep", &mut b, &out);
}

#[test]
fn browser_reports_sensitivity() {
    let Some((mut b, d)) = start("browser_reports_sensitivity") else {
        return;
    };
    let out = d.path().join("sensitivity");
    let o = out.display().to_string();
    ok(&[
        "sensitivity",
        &default_toml(),
        "--paths",
        "200",
        "--backend",
        "cpu",
        "-q",
        "-o",
        &o,
    ]);
    ok(&["report", &o]);
    check_report("sensitivity", &mut b, &out);
}

#[test]
fn browser_reports_spares() {
    let Some((mut b, d)) = start("browser_reports_spares") else {
        return;
    };
    let scenario = d.path().join("s.toml");
    std::fs::write(&scenario, crate::common::SPARES_SCENARIO).unwrap();
    let out = d.path().join("spares");
    let o = out.display().to_string();
    ok(&[
        "spares",
        &scenario.display().to_string(),
        "--availability",
        "0.97",
        "--confidence",
        "0.8",
        "--paths",
        "200",
        "--backend",
        "cpu",
        "-q",
        "-o",
        &o,
    ]);
    ok(&["report", &o]);
    check_report("spares", &mut b, &out);
}

/// A result folder of hand-made files and a report page over them, made `good` or with one
/// fault of each kind the checks look for.
fn hand_made(dir: &Path, good: bool) {
    std::fs::write(
        dir.join("summary.json"),
        r#"{"n_paths": 1234,
            "options": {"trn2": {"npv_usd": {"p50": -262.04e6, "mean": 1.2534e9,
                                             "p_negative": 0.5734, "se": null}},
                        "b200": {"availability": {"mean": 0.6128}}},
            "pairs": {"trn2 vs b200": {"metrics": {"payback_days": {"difference":
                                                   {"p50": 1234.2}}}}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("timeseries.csv"),
        "option,month,day_start,day_end,metric,unit,n,mean,p5,p25,p50,p75,p95\n\
         trn2,12,334,365,revenue_usd,USD,1234,12600,,,12570.5,,\n",
    )
    .unwrap();
    let p50 = if good { "USD -262.0M" } else { "USD -300.0M" };
    let extra = if good {
        ""
    } else {
        r#"<link rel="stylesheet" href="http://example.invalid/a.css">
<p><span data-src="/options/trn2/npv_usd/p99" data-precision="1e-3">USD 1.0M</span>
<span data-src="/n_paths">about 1,234</span></p>
<svg class="chart" data-chart="empty" width="100" height="50"><rect class="mark" x="1" y="1" width="0" height="0"/></svg>
<svg data-chart="classless" width="100" height="50"><rect class="mark" width="10" height="10"/><text x="-30" y="20">cut-off label</text></svg>"#
    };
    let html = format!(
        r##"<!doctype html><html><head><meta charset="utf-8"><title>fleetsim report</title>
<style>body {{ font-family: "DejaVu Sans", sans-serif; margin: 2em; }} td {{ padding: 0 1em; }}</style>
</head><body><h1>Hand-made report {kind}</h1><table><tr>
<td data-src="/options/trn2/npv_usd/p50" data-precision="1e-3">{p50}</td>
<td data-src="/options/trn2/npv_usd/mean" data-precision="rel 1e-3">USD 1.25B</td>
<td data-src="/options/trn2/npv_usd/p_negative" data-precision="abs 0.000505">57.3 %</td>
<td data-src="/options/trn2/npv_usd/se">—</td>
<td data-src="summary.json#/options/b200/availability/mean" data-precision="1e-3">0.613</td>
<td data-src="/pairs/trn2 vs b200/metrics/payback_days/difference/p50" data-precision="abs 0.51">1,234 days</td>
<td data-src="/n_paths">1,234</td>
<td data-src="timeseries.csv#option=trn2&amp;month=12&amp;metric=revenue_usd&amp;stat=p50" data-precision="1e-3">USD 12.6k</td>
</tr></table>{extra}
<svg class="chart" data-chart="npv" width="400" height="200" viewBox="0 0 400 200">
<rect class="mark" x="20" y="50" width="60" height="150" fill="#1f77b4"/>
<rect class="mark" x="100" y="120" width="60" height="80" fill="#d62728"/>
<text x="200" y="30" data-src="/options/trn2/npv_usd/p50" data-precision="1e-3">{p50}</text>
</svg></body></html>"##,
        kind = if good { "(good)" } else { "(with faults)" },
    );
    std::fs::write(dir.join("report.html"), html).unwrap();
}

#[test]
fn browser_reports_checks_pass_a_good_page_and_catch_each_fault() {
    let Some(mut b) = Browser::launch_or_skip("browser_reports_checks_pass_a_good_page") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    hand_made(d.path(), true);
    check_report("fixture-good", &mut b, d.path());

    hand_made(d.path(), false);
    let (failures, _) = report_failures("fixture-bad", &mut b, d.path());
    let all = failures.join("\n");
    for want in [
        // the wrong number, in the table and in the chart's label
        r#"[data-src="/options/trn2/npv_usd/p50"] shows "USD -300.0M""#,
        // a source that is not there
        r#"no "/options/trn2/npv_usd/p99" in summary.json"#,
        // text that is not a number
        r#"cannot read "about 1,234""#,
        // a chart whose only mark has an empty box, and one without class="chart"
        r#"chart "empty": no .mark with a non-empty bounding box"#,
        r#"chart "classless": the svg lacks class="chart""#,
        // a label drawn outside the chart's box
        r#"chart "classless": text "cut-off label" runs past the edge"#,
        // the external stylesheet, requested and failed
        "request: http://example.invalid/a.css",
        "failed load: ",
    ] {
        assert!(all.contains(want), "missing {want:?} in:\n{all}");
    }
    assert_eq!(
        failures
            .iter()
            .filter(|f| f.contains("USD -300.0M"))
            .count(),
        2,
        "{all}"
    );
}
