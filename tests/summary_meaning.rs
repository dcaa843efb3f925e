//! Exported aggregates with meaning only, through the real binary: a payback is summarised over
//! the paths that pay back with P(never) beside it (checked against the per-path file, for a
//! horizon in years and one in days), a paired NPV ratio is withheld with its reason when the
//! NPVs cross zero, and the printed table shows the mean NPV, P(NPV < 0), IRR and P(never) as
//! summary.json has them.

use crate::common;

use common::cli::{fleetsim, text};

use std::collections::BTreeMap;
use std::path::Path;

use fleetsim::export::format::{pct, usd};
use serde_json::Value;

/// A finished run: printed text, summary.json, and per path, per option, the per-path row.
struct Run {
    text: String,
    summary: Value,
    /// `rows[option][path]`: metric name -> value (`None` for an empty cell).
    rows: BTreeMap<String, Vec<BTreeMap<String, Option<f64>>>>,
    pairs_csv: Vec<csv::StringRecord>,
    pairs_header: Vec<String>,
    summary_csv: Vec<BTreeMap<String, String>>,
}

fn run(scenario: &Path, paths: u32, seed: u32) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let (s, o, p, sd) = (
        scenario.display().to_string(),
        out.display().to_string(),
        paths.to_string(),
        seed.to_string(),
    );
    let args = [
        "run",
        &s,
        "--paths",
        &p,
        "--seed",
        &sd,
        "--backend",
        "cpu",
        "--out",
        &o,
        "--per-path",
    ];
    let r = fleetsim(&args);
    let text = text(&r);
    assert!(r.status.success(), "{text}");
    let summary =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let mut rows: BTreeMap<String, Vec<_>> = BTreeMap::new();
    let mut rd = csv::Reader::from_path(out.join("per_path.csv")).unwrap();
    let h: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    for rec in rd.records() {
        let rec = rec.unwrap();
        let m: BTreeMap<String, Option<f64>> = h
            .iter()
            .zip(rec.iter())
            .map(|(k, v)| (k.clone(), v.parse().ok()))
            .collect();
        rows.entry(rec[1].to_string()).or_default().push(m);
    }
    let mut rd = csv::Reader::from_path(out.join("pairs.csv")).unwrap();
    let pairs_header = rd.headers().unwrap().iter().map(String::from).collect();
    let pairs_csv = rd.records().map(Result::unwrap).collect();
    let mut rd = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let sh: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let summary_csv = rd
        .records()
        .map(|r| {
            let r = r.unwrap();
            sh.iter().cloned().zip(r.iter().map(String::from)).collect()
        })
        .collect();
    Run {
        text,
        summary,
        rows,
        pairs_csv,
        pairs_header,
        summary_csv,
    }
}

/// The printed table's row starting with `label`, split into its per-option cells (two or more
/// spaces apart).
fn table_row<'a>(text: &'a str, label: &str) -> Vec<&'a str> {
    let line = text
        .lines()
        .find(|l| l.starts_with(label) && l[label.len()..].starts_with("  "))
        .unwrap_or_else(|| panic!("no row {label:?} in:\n{text}"));
    line[label.len()..]
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// Checks every option's payback figures (each [`fleetsim::stats::never_past_horizon_metrics`] metric
/// the run has) against its per-path values: `n_never` = paths past `horizon`, count + n_never
/// = paths, the mean and max over the others; returns the per-option number of paths whose
/// `payback_days` never pays back.
fn check_payback(r: &Run, horizon: f64, paths: u64) -> Vec<u64> {
    let mut nevers = vec![];
    for (name, rows) in &r.rows {
        for metric in fleetsim::stats::never_past_horizon_metrics() {
            if !rows[0].contains_key(metric) {
                continue;
            }
            let pb: Vec<f64> = rows.iter().map(|m| m[metric].unwrap()).collect();
            assert_eq!(pb.len() as u64, paths);
            let paying: Vec<f64> = pb.iter().copied().filter(|&d| d <= horizon).collect();
            let never = paths - paying.len() as u64;
            // The engine writes exactly horizon + 1 for never.
            assert!(
                pb.iter().all(|&d| d <= horizon || d == horizon + 1.0),
                "{name} {metric}"
            );
            let s = &r.summary["options"][name][metric];
            assert_eq!(s["n_never"], never, "{name} {metric}: {s}");
            assert_eq!(s["count"], paying.len() as u64, "{name} {metric}");
            assert_eq!(s["p_never"].as_f64().unwrap(), never as f64 / paths as f64);
            if paying.is_empty() {
                assert!(s["mean"].is_null());
            } else {
                let mean = paying.iter().sum::<f64>() / paying.len() as f64;
                let got = s["mean"].as_f64().unwrap();
                assert!(
                    (got - mean).abs() <= 1e-9 * mean.abs(),
                    "{name} {metric}: {got} vs {mean}"
                );
                let max = paying.iter().copied().fold(f64::MIN, f64::max);
                assert_eq!(
                    s["max"].as_f64().unwrap(),
                    max,
                    "{name} {metric}: max of paying"
                );
            }
            if metric == "payback_days" {
                nevers.push(never);
            }
        }
        // Metrics without a never value have none.
        assert!(r.summary["options"][name]["npv_usd"]["n_never"].is_null());
    }
    nevers
}

#[test]
fn payback_npv_ratio_and_the_printed_table_have_meaning() {
    let paths = 300u64;
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/default.toml");
    let r = run(&default, paths as u32, 7);
    let names = ["trn2", "b200"];
    let nevers = check_payback(&r, 1825.0, paths);
    assert!(
        nevers.iter().any(|&n| n > 0),
        "this seed has paths that never pay back: {nevers:?}"
    );

    // summary.csv: n_never / p_never cells for the paybacks only.
    for row in &r.summary_csv {
        let never = fleetsim::stats::never_past_horizon(&row["metric"]);
        assert_eq!(row["n_never"].is_empty(), !never, "{row:?}");
        assert_eq!(row["p_never"].is_empty(), !never, "{row:?}");
    }
    assert!(
        r.summary["definitions"]["never"]
            .as_str()
            .unwrap()
            .contains("n_never")
    );
    assert!(
        r.summary["definitions"]["ratio"]
            .as_str()
            .unwrap()
            .contains("both signs")
    );

    // NPV crosses zero on this seed: the paired ratio has no figures, only the reason, naming
    // each option whose NPVs take both signs; the difference and P(a better) stay.
    let npv_neg: Vec<f64> = names
        .iter()
        .map(|n| {
            r.summary["options"][n]["npv_usd"]["p_negative"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert!(npv_neg.iter().any(|&p| p > 0.0 && p < 1.0), "{npv_neg:?}");
    let pair = &r.summary["pairs"]["trn2 vs b200"]["metrics"]["npv_usd"];
    let why = pair["ratio_undefined_reason"]
        .as_str()
        .expect("ratio withheld");
    for (n, p) in names.iter().zip(&npv_neg) {
        assert_eq!(
            why.contains(&format!("{n} (")),
            *p > 0.0 && *p < 1.0,
            "{why}"
        );
    }
    assert_eq!(pair["ratio"]["count"], 0);
    assert!(pair["ratio"]["mean"].is_null() && pair["ratio"]["p50"].is_null());
    assert_eq!(pair["difference"]["count"], paths);
    assert!(pair["p_a_better"].is_number());
    let col = |c: &str| r.pairs_header.iter().position(|h| h == c).unwrap();
    let csv_ratio = r
        .pairs_csv
        .iter()
        .find(|row| &row[col("metric")] == "npv_usd" && &row[col("kind")] == "ratio")
        .unwrap();
    assert_eq!(&csv_ratio[col("undefined_reason")], why);
    assert_eq!(&csv_ratio[col("mean")], "");
    // Ratios of metrics that keep one sign are still reported.
    let rev = &r.summary["pairs"]["trn2 vs b200"]["metrics"]["revenue_usd"];
    assert!(rev["ratio_undefined_reason"].is_null() && rev["ratio"]["mean"].is_number());
    // Paired payback: differences over paths where both pay back, the rest in n_never.
    let both = (0..paths as usize)
        .filter(|&i| {
            names
                .iter()
                .all(|n| r.rows[*n][i]["payback_days"].unwrap() <= 1825.0)
        })
        .count() as u64;
    let pb = &r.summary["pairs"]["trn2 vs b200"]["metrics"]["payback_days"];
    assert_eq!(pb["difference"]["count"], both);
    assert_eq!(pb["difference"]["n_never"], paths - both);
    assert_eq!(pb["n_compared"], paths);

    // The printed table: mean NPV (± se), P(NPV < 0), IRR, payback over paying paths and
    // P(never), each option's cell as summary.json has it.
    let t = &r.text;
    let cells = |label: &str| table_row(t, label);
    let opt = |n: &str, m: &str, k: &str| r.summary["options"][n][m][k].as_f64().unwrap();
    for (i, n) in names.iter().enumerate() {
        assert_eq!(
            cells("NPV mean (± se)")[i],
            format!(
                "{} (± {})",
                usd(opt(n, "npv_usd", "mean")),
                usd(opt(n, "npv_usd", "se"))
            )
        );
        assert_eq!(cells("P(NPV < 0)")[i], pct(opt(n, "npv_usd", "p_negative")));
        let never = r.summary["options"][n]["payback_days"]["n_never"]
            .as_u64()
            .unwrap();
        assert_eq!(
            cells("P(never pays back)")[i],
            format!(
                "{} ({never} of {paths} paths)",
                pct(opt(n, "payback_days", "p_never"))
            )
        );
        let irr = cells("IRR")[i];
        assert!(
            irr.starts_with(&format!(
                "{} / {} / {}",
                pct(opt(n, "irr", "p5")),
                pct(opt(n, "irr", "p50")),
                pct(opt(n, "irr", "p95"))
            )),
            "{irr}"
        );
        let pb = cells("payback, if it pays back")[i];
        assert!(
            pb.ends_with(&format!("{:.0} d", opt(n, "payback_days", "p95"))),
            "{pb}"
        );
        assert!(!pb.contains("never"), "{pb}");
        let mean = cells("payback mean, if it pays back")[i];
        assert!(
            mean.starts_with(&format!("{:.0} d", opt(n, "payback_days", "mean"))),
            "{mean}"
        );
    }
    assert!(!t.contains("NaN"), "{t}");
}

#[test]
fn a_horizon_in_days_sets_what_never_means() {
    // 400 days: never = 401, which a 365-day-year reading (2 yearly flows = 730 days) would
    // take for a payback.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("days.toml");
    std::fs::write(
        &f,
        "[scenario]\nname = \"days\"\nhorizon_days = 400\n[options.t]\nhardware = \"trn2\"\naccelerators = 2048\n[options.b]\nhardware = \"b200-hgx\"\naccelerators = 1024\n",
    )
    .unwrap();
    let paths = 200;
    let r = run(&f, paths as u32, 3);
    let nevers = check_payback(&r, 400.0, paths);
    assert!(nevers.iter().any(|&n| n > 0), "{nevers:?}");
}
