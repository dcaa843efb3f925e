//! `fleetsim run --target-se X`: batches until the relative standard error of every option's
//! mean NPV is at most X (or `--max-paths`), with the same figures as a plain run of the paths
//! it used; the summary states the achieved error; bad values exit 2.

use crate::common;

use common::cli::{fleetsim, text};

use std::path::Path;

use serde_json::Value;

/// Two options, two years: quick, and with a mean NPV far from zero.
const SCENARIO: &str = r#"
[scenario]
name = "target-se test"
horizon_years = 2
seed = 3
[options.t]
hardware = "trn2"
accelerators = 2048
[options.b]
hardware = "b200-hgx"
accelerators = 1024
"#;

fn run(scenario: &Path, out: &Path, extra: &[&str]) -> Value {
    let s = scenario.display().to_string();
    let o_s = out.display().to_string();
    let mut a = vec!["run", &s, "--backend", "cpu", "--quiet", "--out", &o_s];
    a.extend(extra);
    let o = fleetsim(&a);
    assert!(o.status.success(), "{a:?}: {}", text(&o));
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn rse(summary: &Value) -> f64 {
    summary["options"]
        .as_object()
        .unwrap()
        .values()
        .map(|m| {
            m["npv_usd"]["se"].as_f64().unwrap() / m["npv_usd"]["mean"].as_f64().unwrap().abs()
        })
        .fold(0.0, f64::max)
}

#[test]
fn target_se_stops_when_reached_and_equals_a_plain_run_of_its_paths() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let target = 0.02;
    let a = run(
        &scenario,
        &dir.path().join("a"),
        &["--target-se", "0.02", "--paths", "50"],
    );
    let ts = &a["target_se"];
    let n = ts["paths"].as_u64().unwrap();
    assert_eq!(a["n_paths"].as_u64().unwrap(), n);
    assert_eq!(ts["reached"], true, "{ts}");
    let achieved = ts["achieved_relative_se"].as_f64().unwrap();
    assert!(
        (achieved - rse(&a)).abs() <= 1e-12 * achieved,
        "{achieved} vs {}",
        rse(&a)
    );
    assert!(achieved <= target);
    // It needed more than the first batch, and every earlier batch was above the target.
    let batches = ts["batches"].as_array().unwrap();
    assert!(batches.len() >= 2, "{ts}");
    assert_eq!(batches[0]["paths"], 50);
    for b in &batches[..batches.len() - 1] {
        assert!(b["relative_se"].as_f64().unwrap() > target, "{ts}");
    }
    // Not wastefully many: the SE falls as 1/sqrt(n), so the run stops within ~4x of the
    // paths the last batch's estimate needed.
    let prev = &batches[batches.len() - 2];
    let (pn, pr) = (
        prev["paths"].as_f64().unwrap(),
        prev["relative_se"].as_f64().unwrap(),
    );
    assert!((n as f64) <= 4.0 * pn + 1.0 && (n as f64) <= 1.5 * pn * (pr / target).powi(2) + 1.0);

    // A plain run of the same number of paths gives the same figures.
    let ns = n.to_string();
    let b = run(&scenario, &dir.path().join("b"), &["--paths", &ns]);
    assert_eq!(a["options"], b["options"]);
    assert_eq!(a["pairs"], b["pairs"]);
    assert!(b["target_se"].is_null());
    let csv = |d: &str| std::fs::read_to_string(dir.path().join(d).join("summary.csv")).unwrap();
    assert_eq!(csv("a"), csv("b"));
}

#[test]
fn max_paths_caps_an_unreachable_target() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let s = run(
        &scenario,
        &dir.path().join("a"),
        &["--target-se", "1e-6", "--paths", "40", "--max-paths", "130"],
    );
    assert_eq!(s["n_paths"], 130);
    assert_eq!(s["target_se"]["reached"], false);
    assert_eq!(s["target_se"]["max_paths"], 130);
    let o = fleetsim(&[
        "run",
        &scenario.display().to_string(),
        "--backend",
        "cpu",
        "--target-se",
        "1e-6",
        "--paths",
        "40",
        "--max-paths",
        "130",
    ]);
    assert!(text(&o).contains("NOT reached"), "{}", text(&o));
}

#[test]
fn bad_target_se_values_exit_2() {
    for v in ["0", "-0.1", "NaN", "1.5", "inf"] {
        let o = fleetsim(&["run", "--backend", "cpu", "--quiet", "--target-se", v]);
        assert_eq!(o.status.code(), Some(2), "{v}: {}", text(&o));
        assert!(text(&o).contains("--target-se"), "{v}: {}", text(&o));
    }
    let o = fleetsim(&[
        "run",
        "--backend",
        "cpu",
        "--target-se",
        "0.1",
        "--max-paths",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // --max-paths means nothing without --target-se.
    let o = fleetsim(&["run", "--backend", "cpu", "--max-paths", "100"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
