//! The browser harness itself (tests/common/browser.rs), on hand-made pages, so it provably
//! fails: a `console.error`, a request for an external image and an uncaught exception must
//! each be reported; a clean inline-SVG page must pass, evaluate, and screenshot as a PNG of
//! the harness's width. Skipped (with the reason) without Chromium, unless
//! `FLEETSIM_REQUIRE_BROWSER=1`.

use std::path::PathBuf;

use crate::common::browser::{self, Browser, PageProblems};

/// Writes `html` to a temporary page, opens it in a fresh browser and returns its problems and
/// the browser (for further checks); `None` when the test is skipped.
fn open(test: &str, html: &str) -> Option<(PageProblems, Browser, tempfile::TempDir)> {
    let mut b = Browser::launch_or_skip(test)?;
    let dir = tempfile::tempdir().unwrap();
    let page: PathBuf = dir.path().join("page.html");
    std::fs::write(&page, html).unwrap();
    let problems = b.open(&page).unwrap_or_else(|e| panic!("{test}: {e}"));
    Some((problems, b, dir))
}

const CLEAN: &str = r##"<!doctype html><html><head><meta charset="utf-8"><title>clean</title></head>
<body><h1>Clean</h1>
<svg class="chart" data-chart="bars" width="300" height="120" viewBox="0 0 300 120">
<rect class="mark" x="10" y="20" width="40" height="100" fill="#3366cc"/>
<rect class="mark" x="60" y="60" width="40" height="60" fill="#dc3912"/>
</svg><p id="n">USD 1.25B</p><div style="height: 1500px"></div><p>end</p></body></html>"##;

#[test]
fn browser_harness_reports_a_console_error() {
    let html = "<!doctype html><html><body><p>x</p>\
                <script>console.error('deliberate failure', 42)</script></body></html>";
    let Some((p, _b, _d)) = open("browser_harness_reports_a_console_error", html) else {
        return;
    };
    assert_eq!(p.console.len(), 1, "{:?}", p.lines());
    assert!(
        p.console[0].contains("deliberate failure 42"),
        "{:?}",
        p.lines()
    );
    assert!(!p.is_clean());
}

#[test]
fn browser_harness_reports_a_console_warning() {
    let html = "<!doctype html><html><body><script>console.warn('careful')</script></body></html>";
    let Some((p, _b, _d)) = open("browser_harness_reports_a_console_warning", html) else {
        return;
    };
    assert!(
        p.console.iter().any(|m| m.starts_with("warning: careful")),
        "{:?}",
        p.lines()
    );
}

#[test]
fn browser_harness_reports_a_request_for_an_external_image() {
    let html =
        r#"<!doctype html><html><body><img src="http://example.invalid/x.png"></body></html>"#;
    let Some((p, _b, _d)) = open(
        "browser_harness_reports_a_request_for_an_external_image",
        html,
    ) else {
        return;
    };
    assert!(
        p.requests
            .iter()
            .any(|u| u == "http://example.invalid/x.png"),
        "{:?}",
        p.lines()
    );
    assert!(!p.failed.is_empty(), "the load fails too: {:?}", p.lines());
}

#[test]
fn browser_harness_reports_an_uncaught_exception() {
    let html = "<!doctype html><html><body>\
                <script>throw new Error('deliberate exception')</script></body></html>";
    let Some((p, _b, _d)) = open("browser_harness_reports_an_uncaught_exception", html) else {
        return;
    };
    assert_eq!(p.exceptions.len(), 1, "{:?}", p.lines());
    assert!(
        p.exceptions[0].contains("deliberate exception"),
        "{:?}",
        p.lines()
    );
}

#[test]
fn browser_harness_passes_a_clean_svg_page_and_screenshots_it() {
    let Some((p, mut b, _d)) = open(
        "browser_harness_passes_a_clean_svg_page_and_screenshots_it",
        CLEAN,
    ) else {
        return;
    };
    assert!(p.is_clean(), "{:?}", p.lines());
    let marks = b
        .eval(
            "[...document.querySelectorAll('svg[data-chart] .mark')]\
             .map(m => { const r = m.getBBox(); return [r.width, r.height]; })",
        )
        .unwrap();
    assert_eq!(marks, serde_json::json!([[40, 100], [40, 60]]));
    assert_eq!(
        b.eval("document.getElementById('n').innerText").unwrap(),
        "USD 1.25B"
    );
    let err = b
        .eval("(() => { throw new Error('in eval') })()")
        .unwrap_err();
    assert!(err.contains("in eval"), "{err}");
    let png = b.screenshot().unwrap();
    let (w, h) = browser::png_size(&png).unwrap();
    assert_eq!(w, browser::WIDTH);
    // The whole page, beyond the 800-px viewport.
    assert!(h >= 1600, "{h}");
    // The page is still clean after the checks.
    assert!(b.problems().is_clean(), "{:?}", b.problems().lines());
}

#[test]
fn browser_harness_decodes_base64() {
    assert_eq!(browser::base64_decode("TWFu").unwrap(), b"Man");
    assert_eq!(browser::base64_decode("TWE=").unwrap(), b"Ma");
    assert_eq!(browser::base64_decode("TQ==").unwrap(), b"M");
    assert_eq!(browser::base64_decode("").unwrap(), b"");
    assert!(browser::base64_decode("T!==").is_err());
    assert!(browser::png_size(b"GIF89a").is_err());
}

#[test]
fn browser_harness_says_why_a_browser_does_not_start() {
    // Needs no Chromium: a "browser" that exits at once is reported, not waited on for ever.
    let Err(e) = Browser::launch(std::path::Path::new("/bin/false")) else {
        panic!("/bin/false is not a browser");
    };
    assert!(
        e.contains("exited") && e.contains("before listening"),
        "{e}"
    );
    let Err(e) = Browser::launch(std::path::Path::new("/nonexistent/chromium")) else {
        panic!("no such file");
    };
    assert!(e.contains("cannot start /nonexistent/chromium"), "{e}");
}
