//! Fleet sizing by `[scenario] power_budget_mw` (equal power) beside `capital_budget_usd`
//! (equal capital): the node count against a hand computation, exactly one rule per run (the
//! errors through the real binary: exit 2, file, field and range), and the rule named in the
//! run header and summary.json.

use crate::common;

use common::cli::{fleetsim, text};

use std::path::Path;

use fleetsim::config::{Sizing, flatten, load_scenario_str};

const FILE: &str = "configs/x.toml";

/// One Trainium2 option (16 chips per node) with round inputs: facility power per chip =
/// (chip_w 600 + host_w_per_chip 400) x pue 1.25 = 1,250 W, so one node draws 20 kW.
fn scenario(extra_scenario: &str, extra_option: &str) -> String {
    format!(
        "[scenario]\nname = \"p\"\n{extra_scenario}\n[options.t]\nhardware = \"trn2\"\nserver_capex_per_chip_usd = 10000\ndc_capex_per_mw_usd = 10e6\nchip_w = 600\nhost_w_per_chip = 400\npue = 1.25\nspare_nodes = 2\n{extra_option}\n"
    )
}

fn chips(extra_scenario: &str, extra_option: &str) -> u64 {
    let s = load_scenario_str(&scenario(extra_scenario, extra_option), FILE)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(s.options[0].accelerators_from_budget);
    s.options[0].accelerators
}

#[test]
fn power_budget_sizing_arithmetic() {
    // 0.5 MW / 20 kW per node = 25 nodes exactly (the whole last node fits) = 400 chips.
    let s = load_scenario_str(&scenario("power_budget_mw = 0.5", ""), FILE).unwrap();
    assert_eq!(s.options[0].accelerators, 400);
    assert_eq!(flatten(&s, 1).options[0].nodes, 25);
    assert_eq!((s.power_budget_mw, s.capital_budget_usd), (Some(0.5), None));
    assert_eq!(
        s.sizing(),
        Sizing::EqualPower {
            power_budget_mw: 0.5
        }
    );
    assert_eq!(s.sizing().label(), "equal power 0.5 MW");
    // 0.519 MW = 25.95 nodes -> 25; 0.52 MW = 26 nodes.
    assert_eq!(chips("power_budget_mw = 0.519", ""), 400);
    assert_eq!(chips("power_budget_mw = 0.52", ""), 416);
    // Spare nodes and spare units draw no power until swapped in: the fleet is the same with
    // none or 40 spare nodes (at equal capital 40 spares would shrink it).
    for spares in [0, 40] {
        let t = scenario("power_budget_mw = 0.5", "")
            .replace("spare_nodes = 2\n", &format!("spare_nodes = {spares}\n"));
        assert_eq!(
            load_scenario_str(&t, FILE).unwrap().options[0].accelerators,
            400
        );
    }
    let t = scenario("capital_budget_usd = 10_000_000", "");
    let fewer = t.replace("spare_nodes = 2\n", "spare_nodes = 40\n");
    assert!(
        load_scenario_str(&fewer, FILE).unwrap().options[0].accelerators
            < load_scenario_str(&t, FILE).unwrap().options[0].accelerators
    );
    // A colocated fleet draws the same power.
    let colo = scenario("power_budget_mw = 0.5", "facility = \"colo\"")
        .replace("dc_capex_per_mw_usd = 10e6\n", "");
    assert_eq!(
        load_scenario_str(&colo, FILE).unwrap().options[0].accelerators,
        400
    );
    // Distributions are sized at their means: uniform(500, 700) has mean 600 and
    // triangular(1.1, 1.25, 1.4) mean 1.25, so again 1,250 W per chip.
    let t = scenario("power_budget_mw = 0.5", "").replace(
        "chip_w = 600\n",
        "chip_w = { dist = \"uniform\", lo = 500, hi = 700 }\n",
    );
    let t = t.replace(
        "pue = 1.25\n",
        "pue = { dist = \"triangular\", lo = 1.1, mode = 1.25, hi = 1.4 }\n",
    );
    assert_eq!(
        load_scenario_str(&t, FILE).unwrap().options[0].accelerators,
        400
    );
    // PUE counts: at pue 1.0 a node draws 16 kW, 0.5 MW buys 31 nodes (31.25).
    let t = scenario("power_budget_mw = 0.5", "").replace("pue = 1.25\n", "pue = 1.0\n");
    assert_eq!(
        load_scenario_str(&t, FILE).unwrap().options[0].accelerators,
        496
    );
}

#[test]
fn sizing_labels_name_the_rule() {
    let label = |extra: &str| {
        load_scenario_str(&scenario(extra, ""), FILE)
            .unwrap()
            .sizing()
            .label()
    };
    assert_eq!(
        label("capital_budget_usd = 500_000_000"),
        "equal capital USD 500M"
    );
    assert_eq!(
        label("capital_budget_usd = 1.25e9"),
        "equal capital USD 1.25B"
    );
    assert_eq!(label("power_budget_mw = 50"), "equal power 50 MW");
    let s = load_scenario_str(&scenario("", "accelerators = 160"), FILE).unwrap();
    assert_eq!(s.sizing(), Sizing::PerOption);
    assert_eq!(s.sizing().label(), "accelerators per option");
}

/// Writes `body` to `x.toml` in a temporary directory and runs `fleetsim validate` and
/// `fleetsim run` on it: both must exit 2 without a panic and print a line holding every one of
/// `fragments` (the file first); returns that output.
fn rejected(body: &str, fragments: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.toml");
    std::fs::write(&f, body).unwrap();
    let fs = f.display().to_string();
    let mut last = String::new();
    for args in [
        vec!["validate", &fs],
        vec!["run", &fs, "--paths", "5", "--backend", "cpu"],
    ] {
        let o = fleetsim(&args);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {t}");
        assert!(!t.contains("panicked"), "{t}");
        assert!(
            t.lines()
                .any(|l| l.contains(&format!("{fs}: ")) && fragments.iter().all(|x| l.contains(x))),
            "no line with {fragments:?} in:\n{t}"
        );
        last = t;
    }
    last
}

#[test]
fn one_sizing_rule_per_run_and_bad_power_budgets_exit_2() {
    let both = "[scenario]\nname = \"t\"\ncapital_budget_usd = 1e9\npower_budget_mw = 50\n[options.a]\nhardware = \"h100\"\n";
    let t = rejected(
        both,
        &[
            "scenario.power_budget_mw",
            "cannot be set together with capital_budget_usd (line 3)",
            "remove one",
            "(line 4)",
        ],
    );
    // The conflict is said once, not again as a missing fleet size per option.
    assert!(!t.contains("missing required field"), "{t}");

    let power = |v: &str| {
        format!(
            "[scenario]\nname = \"t\"\npower_budget_mw = {v}\n[options.a]\nhardware = \"h100\"\n"
        )
    };
    for v in ["-5", "0", "1e6"] {
        rejected(
            &power(v),
            &["scenario.power_budget_mw", "allowed range (0, 100000] MW"],
        );
    }
    rejected(
        &power("{ dist = \"fixed\", value = 50 }"),
        &["scenario.power_budget_mw", "expected a number in MW"],
    );
    // One H100 node (8 chips) draws about 12 kW: 1 kW cannot hold one.
    rejected(
        &power("0.001"),
        &[
            "scenario.power_budget_mw",
            "option `a`",
            "power budget too small for one node",
            "got 0.001 MW",
        ],
    );
    // 100 GW of H100s is above the 10,000,000-chip limit.
    rejected(
        &power("100000"),
        &["scenario.power_budget_mw", "above the maximum 10000000"],
    );
    rejected(
        &format!("{}accelerators = 8\n", power("50")),
        &[
            "options.a.accelerators",
            "cannot be set together with [scenario] power_budget_mw",
        ],
    );
    rejected(
        "[scenario]\nname = \"t\"\npower_budget_kw = 50\n[options.a]\nhardware = \"h100\"\n",
        &["scenario.power_budget_kw", "power_budget_mw` (MW)"],
    );
}

fn repo(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .display()
        .to_string()
}

/// Runs `scenario` for a few paths with `--out` and returns the printed text and summary.json.
fn run(scenario: Option<&str>) -> (String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r").display().to_string();
    let mut args = vec!["run"];
    if let Some(s) = scenario {
        args.push(s);
    }
    args.extend(["--paths", "20", "--backend", "cpu", "--out", &out]);
    let o = fleetsim(&args);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let json = std::fs::read_to_string(Path::new(&out).join("summary.json")).unwrap();
    (t, serde_json::from_str(&json).unwrap())
}

#[test]
fn header_and_summary_say_which_sizing_a_run_uses() {
    let (t, v) = run(Some(&repo("configs/scenarios/equal_power.toml")));
    assert!(
        t.contains("sizing: equal power 50 MW (facility power = nameplate IT load x PUE"),
        "{t}"
    );
    assert!(t.contains("sized to the power budget: "), "{t}");
    let z = &v["sizing"];
    assert_eq!(z["rule"], "equal_power", "{z}");
    assert_eq!(z["power_budget_mw"], 50.0);
    assert_eq!(z["label"], "equal power 50 MW");
    assert!(z["basis"].as_str().unwrap().contains("PUE"));
    assert_eq!(v["scenario"]["power_budget_mw"], 50.0);
    assert!(v["scenario"]["capital_budget_usd"].is_null());
    // Every option's fleet fits 50 MW at the means, and one more node would not.
    let s = fleetsim::config::load_scenario(Path::new(&repo("configs/scenarios/equal_power.toml")))
        .unwrap();
    for o in &s.options {
        let w = o.inputs.facility_w_per_chip();
        let mw = |chips: u64| chips as f64 * w / 1e6;
        assert!(mw(o.accelerators) <= 50.0, "{}", o.name);
        assert!(
            mw(o.accelerators + u64::from(o.chips_per_node)) > 50.0,
            "{}",
            o.name
        );
    }

    let (t, v) = run(None);
    assert!(t.contains("sizing: equal capital USD 500M ("), "{t}");
    assert_eq!(v["sizing"]["rule"], "equal_capital");
    assert_eq!(v["sizing"]["capital_budget_usd"], 5e8);
    assert_eq!(v["sizing"]["label"], "equal capital USD 500M");

    let (t, v) = run(Some(&repo("configs/scenarios/gb200.toml")));
    assert!(t.contains("sizing: accelerators per option"), "{t}");
    assert_eq!(v["sizing"]["rule"], "per_option");
}
