//! `fleetsim sensitivity` end to end on a constructed scenario: an input with a dominant
//! spread ranks first in the tornado and in |Spearman|; tornado swings equal their closed forms
//! where the metric is linear in the input (capex in the server price, opex in the electricity
//! price at fixed energy); an output that is a monotone function of one input alone has rho = 1;
//! bad arguments exit 2.

use crate::common;

use common::cli::{fleetsim, text};

use std::path::Path;

use serde_json::Value;

/// One option, one year, delivered on day 0 into colocation (no DC build), electricity price
/// spread wide, the rental prices fixed: the electricity price dominates NPV, and capex is
/// exactly `chips x server price`.
const SCENARIO: &str = r#"
[scenario]
name = "sensitivity test"
horizon_years = 1
seed = 5

[environment]
usd_per_kwh = { dist = "uniform", lo = 0.02, hi = 1.5 }
electricity_escalation_per_year = 0.0
price_decline_per_year = 0.1

[options.t]
hardware = "trn2"
accelerators = 2048
facility = "colo"
delivery_delay_days = 0
ramp_days = 0
server_capex_per_chip_usd = { dist = "uniform", lo = 24000, hi = 26000 }
network_capex_per_chip_usd = 0
storage_capex_per_chip_usd = 0
cooling_capex_per_chip_usd = 0
reserved_usd_per_chip_hour = 2.0
on_demand_usd_per_chip_hour = 2.5
# No on-site part stock: an auto-sized stock follows each path's failure rates, and would add
# that to capex.
[options.t.units.tray]
stock = 0
[options.t.units.optic]
stock = 0
[options.t.units.host_part]
stock = 0
"#;

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Runs `fleetsim sensitivity` on `scenario` for `metric` into `dir/metric`, returning the
/// tornado and Spearman JSON.
fn run(scenario: &Path, dir: &Path, metric: &str, paths: &str) -> (Value, Value) {
    let out = dir.join(metric);
    let o = fleetsim(&[
        "sensitivity",
        &scenario.display().to_string(),
        "--metric",
        metric,
        "--paths",
        paths,
        "--backend",
        "cpu",
        "--quiet",
        "--out",
        &out.display().to_string(),
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(!t.contains("NaN"), "{t}");
    for f in ["tornado.csv", "spearman.csv"] {
        let csv = std::fs::read_to_string(out.join(f)).unwrap();
        let bad = |c: &str| ["NaN", "inf", "-inf"].contains(&c.trim());
        assert!(!csv.split([',', '\n']).any(bad), "{f}:\n{csv}");
    }
    (
        json(&out.join("tornado.json")),
        json(&out.join("spearman.json")),
    )
}

fn row<'a>(tornado: &'a Value, input: &str) -> &'a Value {
    tornado["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["input"] == input)
        .unwrap_or_else(|| panic!("no tornado row for {input}"))
}

fn rho(spearman: &Value, output: &str, metric: &str, input: &str) -> (f64, u64) {
    let r = spearman["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["output"] == output && r["metric"] == metric && r["input"] == input)
        .unwrap_or_else(|| panic!("no spearman row for {output} {metric} {input}"));
    (r["rho"].as_f64().unwrap(), r["rank"].as_u64().unwrap())
}

#[test]
fn dominant_input_ranks_first_and_linear_swings_match_closed_forms() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();

    // NPV: the wide electricity price ranks first in both views.
    let (tornado, spearman) = run(&scenario, dir.path(), "npv_usd", "300");
    let first = &tornado["rows"][0];
    assert_eq!(first["input"], "environment.usd_per_kwh", "{tornado:#}");
    assert_eq!(first["rank"], 1);
    assert!(
        first["swing"].as_f64().unwrap() < 0.0,
        "dearer power lowers NPV"
    );
    let second = tornado["rows"][1]["swing"].as_f64().unwrap().abs();
    assert!(
        first["swing"].as_f64().unwrap().abs() > 2.0 * second,
        "{tornado:#}"
    );
    let (r, rank) = rho(&spearman, "t", "npv_usd", "environment.usd_per_kwh");
    assert_eq!(rank, 1, "{r}");
    assert!(r < -0.7, "rho(price, NPV) = {r}");
    // Ranks are 1..=k and |swing| is non-increasing.
    let swings: Vec<f64> = tornado["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["swing"].as_f64().unwrap().abs())
        .collect();
    assert!(swings.windows(2).all(|w| w[0] >= w[1]));

    // Capex = chips x server price (colo, everything delivered on day 0): the swing is
    // (P90 - P10) x 2048 and capex is a monotone function of that input alone (rho = 1).
    let (tornado, spearman) = run(&scenario, dir.path(), "capex_usd", "100");
    let (p10, p90) = (24000.0 + 0.1 * 2000.0, 24000.0 + 0.9 * 2000.0);
    let r = row(&tornado, "options.t.server_capex_per_chip_usd");
    assert_eq!(r["input_p10"].as_f64().unwrap(), p10);
    assert_eq!(r["input_p90"].as_f64().unwrap(), p90);
    let want = (p90 - p10) * 2048.0;
    let got = r["swing"].as_f64().unwrap();
    assert!((got - want).abs() <= 1e-6 * want, "swing {got} vs {want}");
    assert_eq!(r["rank"], 1);
    let (r, rank) = rho(
        &spearman,
        "t",
        "capex_usd",
        "options.t.server_capex_per_chip_usd",
    );
    assert!(r > 0.9999 && rank == 1, "rho {r}, rank {rank}");
    // An input that does not enter capex is uncorrelated with it (within ~4 se at n = 100).
    let (r, _) = rho(&spearman, "t", "capex_usd", "environment.usd_per_kwh");
    assert!(r.abs() < 0.4, "rho {r}");

    // Opex at fixed energy is linear in the electricity price (no escalation): the swing is
    // (P90 - P10) x 1000 x mean energy (MWh) at the all-median point.
    let (tornado, _) = run(&scenario, dir.path(), "opex_usd", "100");
    let (energy, _) = run(&scenario, dir.path(), "energy_mwh", "100");
    let mwh = energy["base_mean"].as_f64().unwrap();
    let r = row(&tornado, "environment.usd_per_kwh");
    let (p10, p90) = (0.02 + 0.1 * 1.48, 0.02 + 0.9 * 1.48);
    let want = (p90 - p10) * 1000.0 * mwh;
    let got = r["swing"].as_f64().unwrap();
    assert!((got - want).abs() <= 1e-4 * want, "swing {got} vs {want}");
    // Energy itself does not depend on the price: zero swing.
    assert_eq!(row(&energy, "environment.usd_per_kwh")["swing"], 0.0);
}

#[test]
fn bad_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let s = scenario.display().to_string();
    for (args, want) in [
        (vec!["--metric", "npv"], "--metric npv"),
        (vec!["--option", "zz"], "--option zz"),
        (vec!["--paired", "t-t"], "--paired t-t"),
        (vec!["--paths", "3"], "--paths 3"),
    ] {
        let mut a = vec!["sensitivity", s.as_str(), "--backend", "cpu", "--quiet"];
        a.extend(args);
        let o = fleetsim(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}: {}", text(&o));
        assert!(text(&o).contains(want), "{a:?}: {}", text(&o));
    }
}
