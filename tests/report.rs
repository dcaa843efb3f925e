//! The HTML report (`fleetsim report DIR`, `--report`) on the real binary: for each kind of
//! result folder (run, sweep, sensitivity, spares) the page is one file, has no script and no
//! external reference, every chart has data marks, and every number marked with `data-src`
//! reads back to the file's value within its `data-precision`. Overwrites need `--force`; a
//! folder that is not a result folder is exit 2. The sections for timeseries.csv and
//! `npv_decomposition` are checked on a run's own files and on a fixture folder (a real
//! summary.json plus hand-made parts that follow the contract); a folder without them (an
//! older one) says so in a sentence.

use std::path::Path;

use crate::common::cli::{fleetsim, text, tiny_run};

/// Replaces the XML/HTML escapes the page uses.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value a formatted number stands for: `USD -262.0M` -> -2.62e8, `57.3 %` -> 0.573,
/// `1,502 days` -> 1502.
fn parse_shown(text: &str) -> f64 {
    let mut t = text
        .trim()
        .trim_start_matches("USD")
        .trim()
        .replace(',', "");
    let mut scale = 1.0;
    if let Some(s) = t.strip_suffix(" days") {
        t = s.to_string();
    }
    if let Some(s) = t.strip_suffix(" %") {
        t = s.to_string();
        scale = 0.01;
    }
    for (suffix, f) in [("k", 1e3), ("M", 1e6), ("B", 1e9)] {
        if let Some(s) = t.strip_suffix(suffix) {
            t = s.to_string();
            scale = f;
        }
    }
    t.parse::<f64>()
        .unwrap_or_else(|e| panic!("cannot parse {text:?}: {e}"))
        * scale
}

/// The number a `data-src` points at in the folder `dir`.
fn resolve(dir: &Path, src: &str) -> f64 {
    let json_at = |file: &str, pointer: &str| -> f64 {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        v.pointer(pointer)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or_else(|| panic!("{file}: no number at {pointer}"))
    };
    if src.starts_with('/') {
        return json_at("summary.json", src);
    }
    let (file, rest) = src.split_once('#').expect("FILE#...");
    if file.ends_with(".json") {
        return json_at(file, rest);
    }
    let mut filters = Vec::new();
    let mut stat = "";
    for kv in rest.split('&') {
        let (k, v) = kv.split_once('=').unwrap();
        if k == "stat" {
            stat = v;
        } else {
            filters.push((k, v));
        }
    }
    let mut rd = csv::Reader::from_path(dir.join(file)).unwrap();
    let headers = rd.headers().unwrap().clone();
    let col = |n: &str| {
        headers
            .iter()
            .position(|h| h == n)
            .unwrap_or_else(|| panic!("{file}: no column {n}"))
    };
    let mut hits = rd
        .records()
        .map(|r| r.unwrap())
        .filter(|r| filters.iter().all(|(k, v)| r.get(col(k)) == Some(*v)));
    let row = hits.next().unwrap_or_else(|| panic!("{src}: no row"));
    assert!(hits.next().is_none(), "{src}: more than one row");
    row.get(col(stat)).unwrap().parse().unwrap()
}

/// Every `data-src` number on the page: (source, precision, text).
fn marked_numbers(html: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("data-src=\"") {
        rest = &rest[i + 10..];
        let end = rest.find('"').unwrap();
        let src = unescape(&rest[..end]);
        let p = rest.find("data-precision=\"").unwrap() + 16;
        let pend = p + rest[p..].find('"').unwrap();
        let precision = rest[p..pend].to_string();
        let t = pend + rest[pend..].find('>').unwrap() + 1;
        let tend = t + rest[t..].find('<').unwrap();
        out.push((src, precision, unescape(&rest[t..tend])));
        rest = &rest[tend..];
    }
    out
}

/// The checks every report passes; returns the page.
fn check_report(dir: &Path, charts: &[&str]) -> String {
    let path = dir.join("report.html");
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.to_lowercase().contains("<script"), "a script");
    for attr in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "url(",
    ] {
        assert!(!html.contains(attr), "an external reference: {attr}");
    }
    assert!(
        !html.contains("<img") && !html.contains("<link"),
        "a fetched resource"
    );
    // Every chart: a title and data marks.
    let mut names = Vec::new();
    for part in html.split("<svg class=\"chart\"").skip(1) {
        let svg = &part[..part.find("</svg>").expect("closed svg")];
        let name = svg
            .split("data-chart=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("data-chart")
            .to_string();
        assert!(
            svg.contains("role=\"img\"") && svg.contains("<title>"),
            "{name}"
        );
        assert!(
            svg.contains("class=\"mark"),
            "chart {name} has no data marks"
        );
        names.push(name);
    }
    for c in charts {
        assert!(names.iter().any(|n| n == c), "no chart {c} in {names:?}");
    }
    // Every marked number reads back to the file's value.
    let nums = marked_numbers(&html);
    assert!(nums.len() >= 10, "only {} marked numbers", nums.len());
    for (src, precision, shown) in &nums {
        let want = resolve(dir, src);
        let got = parse_shown(shown);
        let (kind, tol) = precision.split_once(' ').expect("precision");
        let tol: f64 = tol.parse().unwrap();
        let err = (got - want).abs();
        let ok = match kind {
            "rel" => err <= tol * want.abs() + 1e-12,
            "abs" => err <= tol + 1e-12,
            k => panic!("unknown precision {k}"),
        };
        assert!(
            ok,
            "{src}: page says {shown:?} = {got}, file has {want} ({precision})"
        );
    }
    // The report is the only file it leaves (no temporary file beside it).
    for e in std::fs::read_dir(dir).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!n.contains(".tmp"), "left {n}");
    }
    html
}

#[test]
fn run_report_with_break_evens_and_older_folder_sentences() {
    let d = tempfile::tempdir().unwrap();
    tiny_run(d.path(), &["--breakeven-paths", "20", "--report"]);
    let html = check_report(
        d.path(),
        &[
            "npv-histogram",
            "cost-histogram",
            "payback-cdf",
            "discounted-payback-cdf",
            "cash-flow-fan",
            "availability-over-time",
            "failures-over-time",
            "npv-waterfall",
        ],
    );
    assert!(
        html.contains("<p class=\"answer\">") && html.contains("of the simulated futures"),
        "the answer sentence"
    );
    assert!(
        html.contains("data-chart=\"break-even-"),
        "break-even charts"
    );
    // An older folder: no manifest.json, no timeseries.csv, no npv_decomposition: one
    // sentence each.
    std::fs::remove_file(d.path().join("manifest.json")).unwrap();
    std::fs::remove_file(d.path().join("timeseries.csv")).unwrap();
    let summary_path = d.path().join("summary.json");
    let mut s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_path).unwrap()).unwrap();
    s.as_object_mut().unwrap().remove("npv_decomposition");
    std::fs::write(&summary_path, serde_json::to_string(&s).unwrap()).unwrap();
    let o = fleetsim(&["report", d.path().to_str().unwrap(), "--force", "-q"]);
    assert!(o.status.success(), "{}", text(&o));
    let html = check_report(d.path(), &["npv-histogram"]);
    assert!(html.contains("need timeseries.csv"));
    assert!(html.contains("needs summary.json's npv_decomposition"));
    assert!(!html.contains("data-chart=\"cash-flow-fan\""));
}

#[test]
fn run_report_draws_the_timeseries_and_the_decomposition_of_the_contract() {
    let d = tempfile::tempdir().unwrap();
    tiny_run(d.path(), &["--no-breakeven"]);
    let summary_path = d.path().join("summary.json");
    let mut s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_path).unwrap()).unwrap();
    let horizon = s["horizon_days"].as_f64().unwrap();
    let month = 365.2425 / 12.0;
    let months = (horizon / month).ceil() as usize;
    let mut csv =
        String::from("option,month,day_start,day_end,metric,unit,n,mean,p5,p25,p50,p75,p95\n");
    for o in ["trn2", "b200"] {
        let npv = s["options"][o]["npv_usd"]["p50"].as_f64().unwrap();
        for (metric, unit) in [
            ("cumulative_discounted_cash_flow_usd", "USD"),
            ("revenue_usd", "USD"),
            ("opex_usd", "USD"),
            ("available_fraction", "fraction"),
            ("failures", "count"),
        ] {
            for m in 1..=months {
                let (a, b) = ((m - 1) as f64 * month, (m as f64 * month).min(horizon));
                let t = m as f64 / months as f64;
                let mid = match metric {
                    "cumulative_discounted_cash_flow_usd" => -5e8 + (npv + 5e8) * t,
                    "revenue_usd" => 1e7,
                    "opex_usd" => 3e6,
                    "available_fraction" => 0.99,
                    _ => 20.0 + m as f64,
                };
                // Undefined before delivery: empty cells, n = 0.
                if metric == "available_fraction" && m == 1 {
                    csv.push_str(&format!("{o},{m},{a},{b},{metric},{unit},0,,,,,,\n"));
                    continue;
                }
                let w = mid.abs() * 0.1;
                csv.push_str(&format!(
                    "{o},{m},{a},{b},{metric},{unit},300,{mid},{},{},{mid},{},{}\n",
                    mid - 2.0 * w,
                    mid - w,
                    mid + w,
                    (mid + 2.0 * w).min(if unit == "fraction" { 1.0 } else { f64::MAX })
                ));
            }
        }
    }
    std::fs::write(d.path().join("timeseries.csv"), csv).unwrap();
    // Files edited by hand no longer match the folder's manifest: read it as a folder without
    // one (as older versions wrote).
    std::fs::remove_file(d.path().join("manifest.json")).unwrap();
    let diff = s["pairs"]["trn2 vs b200"]["metrics"]["npv_usd"]["difference"]["mean"]
        .as_f64()
        .unwrap();
    let names = [
        "revenue",
        "sla_credits",
        "capex",
        "energy",
        "rent",
        "maintenance_and_parts",
        "operations",
        "facility",
    ];
    let mut comps: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            serde_json::json!({"name": n, "label": n, "in_npv": true,
                "mean_usd": (i as f64 - 3.5) * 1e7, "se_usd": 1e5})
        })
        .collect();
    let sum: f64 = comps.iter().map(|c| c["mean_usd"].as_f64().unwrap()).sum();
    comps.push(
        serde_json::json!({"name": "residual_value", "label": "Residual value",
        "in_npv": true, "mean_usd": diff - sum, "se_usd": 1e5}),
    );
    for n in ["lost_revenue_failures", "lost_revenue_outages"] {
        comps.push(serde_json::json!({"name": n, "label": n, "in_npv": false,
            "mean_usd": 1.5e6, "se_usd": 2e4}));
    }
    s["npv_decomposition"] = serde_json::json!({"trn2 vs b200": {"a": "trn2", "b": "b200",
        "n_paths": 300, "npv_difference": {"mean_usd": diff, "se_usd": 3.7e6},
        "components": comps}});
    std::fs::write(&summary_path, serde_json::to_string(&s).unwrap()).unwrap();

    let o = fleetsim(&["report", d.path().to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", text(&o));
    let html = check_report(
        d.path(),
        &[
            "cash-flow-fan",
            "availability-over-time",
            "failures-over-time",
            "npv-waterfall",
        ],
    );
    assert!(html.contains("data-src=\"timeseries.csv#option=trn2&amp;month=12&amp;metric=cumulative_discounted_cash_flow_usd&amp;stat=p50\""));
    assert!(html.contains("/npv_decomposition/trn2 vs b200/components/0/mean_usd"));
    assert!(!html.contains("need timeseries.csv") && !html.contains("needs summary.json's"));

    // A timeseries.csv without a contract column is bad input naming the file and the column.
    std::fs::write(d.path().join("timeseries.csv"), "option,month\ntrn2,1\n").unwrap();
    let o = fleetsim(&["report", d.path().to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("timeseries.csv") && text(&o).contains("day_start"),
        "{}",
        text(&o)
    );
}

#[test]
fn sweep_sensitivity_and_spares_reports() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/configs");
    let d = tempfile::tempdir().unwrap();
    let sweep = d.path().join("sweep");
    let o = fleetsim(&[
        "sweep",
        &format!("{root}/sweeps/utilization_breakeven.toml"),
        "-n",
        "60",
        "--backend",
        "cpu",
        "-o",
        sweep.to_str().unwrap(),
        "-q",
        "--report",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    check_report(
        &sweep,
        &[
            "sweep-npv-usd-options-trn2-utilization-mean",
            "sweep-difference-options-trn2-utilization-mean",
        ],
    );

    // A Latin hypercube: no grid values (null in sweep.json), no slices, points not lines.
    let lhs_file = d.path().join("lhs.toml");
    std::fs::write(
        &lhs_file,
        format!(
            "[sweep]\nscenario = \"{root}/default.toml\"\ndesign = \"lhs\"\npoints = 8\npaths = 30\nmetric = \"npv_usd\"\ncompare = [\"trn2\", \"b200\"]\n\n[[axis]]\nkey = \"options.trn2.mfu\"\nrange = {{ lo = 0.3, hi = 0.8 }}\n\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nrange = {{ lo = 0.04, hi = 0.2 }}\n"
        ),
    )
    .unwrap();
    let lhs = d.path().join("lhs");
    let o = fleetsim(&[
        "sweep",
        lhs_file.to_str().unwrap(),
        "--backend",
        "cpu",
        "-o",
        lhs.to_str().unwrap(),
        "-q",
        "--report",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let html = check_report(&lhs, &["sweep-npv-usd-options-trn2-mfu"]);
    assert!(html.contains("Latin hypercube"));

    let sens = d.path().join("sens");
    let o = fleetsim(&[
        "sensitivity",
        &format!("{root}/default.toml"),
        "-n",
        "40",
        "--backend",
        "cpu",
        "-o",
        sens.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = fleetsim(&["report", sens.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", text(&o));
    check_report(&sens, &["tornado", "spearman"]);

    let spares = d.path().join("spares");
    let o = fleetsim(&[
        "spares",
        &format!("{root}/default.toml"),
        "--availability",
        "0.99",
        "-n",
        "60",
        "--backend",
        "cpu",
        "-o",
        spares.to_str().unwrap(),
        "-q",
        "--report",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    check_report(&spares, &["spares-availability"]);
}

#[test]
fn overwrites_need_force_and_bad_folders_are_bad_input() {
    let d = tempfile::tempdir().unwrap();
    tiny_run(d.path(), &["--no-breakeven"]);
    let dir = d.path().to_str().unwrap();
    let o = fleetsim(&["report", dir, "-q"]);
    assert!(o.status.success(), "{}", text(&o));
    let report = d.path().join("report.html");
    std::fs::write(&report, "mine").unwrap();
    // Refused without --force, the file untouched.
    let o = fleetsim(&["report", dir]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("report.html exists; pass --force"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "mine");
    let o = fleetsim(&["report", dir, "--force", "-q"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    // --out elsewhere.
    let other = d.path().join("elsewhere.html");
    let o = fleetsim(&["report", dir, "--out", other.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(other.is_file());

    // run --report into a folder whose report.html exists: refused before simulating.
    let fresh = tempfile::tempdir().unwrap();
    std::fs::write(fresh.path().join("report.html"), "mine").unwrap();
    let o = fleetsim(&[
        "run",
        "-n",
        "50",
        "--no-breakeven",
        "--backend",
        "cpu",
        "-o",
        fresh.path().to_str().unwrap(),
        "-q",
        "--report",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!fresh.path().join("summary.json").exists());
    // --report needs --out.
    let o = fleetsim(&["run", "-n", "50", "--report"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    // Not a result folder; a broken summary.json names the file.
    let empty = tempfile::tempdir().unwrap();
    let o = fleetsim(&["report", empty.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("not a fleetsim result folder"),
        "{}",
        text(&o)
    );
    std::fs::write(empty.path().join("summary.json"), "{\"paths\": 1}").unwrap();
    let o = fleetsim(&["report", empty.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("summary.json") && text(&o).contains("missing field"),
        "{}",
        text(&o)
    );
    let o = fleetsim(&["report", empty.path().join("nope").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn the_default_runs_report_stays_under_two_megabytes() {
    let d = tempfile::tempdir().unwrap();
    let o = fleetsim(&[
        "run",
        "--backend",
        "cpu",
        "--no-breakeven",
        "-o",
        d.path().to_str().unwrap(),
        "-q",
        "--report",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let size = std::fs::metadata(d.path().join("report.html"))
        .unwrap()
        .len();
    assert!(size < 2_000_000, "report.html is {size} bytes");
}
