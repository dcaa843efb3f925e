//! Library-level config tests: one per validation rule (each asserting that the message names
//! the file, the key path and the range or reason), the shipped configs validate, and
//! flattening puts values where `model::params` says.

use std::path::Path;

use fleetsim::config::{
    ConfigError, IssueKind, builtin_catalog, default_scenario, flatten, load_scenario,
    load_scenario_str,
};
use fleetsim::model::params::{MAX_CLASSES, MAX_CORR, flags, kind, opt_ev, opt_in};

/// The file name config errors are reported against (shared with `horizon_service_sla`).
pub(crate) const FILE: &str = "configs/x.toml";

/// A minimal valid scenario; tests append or substitute lines.
pub(crate) const BASE: &str = r#"
[scenario]
name = "t"

[options.trn2]
hardware = "trn2"
accelerators = 30000
"#;

pub(crate) fn err(text: &str) -> ConfigError {
    match load_scenario_str(text, FILE) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// Asserts the error has a line containing the file, the path and every fragment.
pub(crate) fn assert_line(e: &ConfigError, path: &str, fragments: &[&str]) {
    let text = e.to_string();
    let ok = text.lines().any(|l| {
        l.starts_with(&format!("{FILE}: {path}: ")) && fragments.iter().all(|f| l.contains(f))
    });
    assert!(
        ok,
        "no line `{FILE}: {path}: ...` containing {fragments:?} in:\n{text}"
    );
}

fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

// ----- file-level errors -----------------------------------------------------------------------

#[test]
fn file_not_found_names_the_file() {
    let e = load_scenario(Path::new("configs/does-not-exist.toml")).unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, ConfigError::Io { .. }));
    assert!(
        m.starts_with("configs/does-not-exist.toml: cannot read the file"),
        "{m}"
    );
}

#[test]
fn not_toml_gives_line_and_column() {
    let e = err("[scenario]\nname = \"t\"\nhorizon_years = = 3\n");
    let m = e.to_string();
    assert!(matches!(e, ConfigError::Syntax { line: 3, .. }), "{m}");
    assert!(m.starts_with("configs/x.toml:3:"), "{m}");
    assert!(m.contains("not valid TOML"), "{m}");
}

// ----- keys ------------------------------------------------------------------------------------

#[test]
fn unknown_key_suggests_the_closest() {
    let e = err(&with("utilisation_mean = 0.7\n"));
    assert_line(
        &e,
        "options.trn2.utilisation_mean",
        &["unknown key", "did you mean `utilization_mean`"],
    );
    assert!(e.has(IssueKind::UnknownKey));
}

#[test]
fn unknown_key_in_another_unit_says_wrong_unit() {
    let e = err(&with("[options.trn2.failures.hbm]\nrepair_days = 3\n"));
    assert_line(
        &e,
        "options.trn2.failures.hbm.repair_days",
        &["wrong unit: this field is `repair_hours` (hours)"],
    );
    let e = err(&with("chip_kw = 0.5\n"));
    assert_line(&e, "options.trn2.chip_kw", &["wrong unit", "`chip_w` (W)"]);
}

#[test]
fn unknown_top_level_and_environment_keys() {
    let e = err(&format!("{BASE}[environment]\nusd_per_mwh = 80\n"));
    assert_line(
        &e,
        "environment.usd_per_mwh",
        &["wrong unit", "`usd_per_kwh`"],
    );
}

#[test]
fn missing_required_fields() {
    let e = err("[scenario]\n[options.a]\nhardware = \"h100\"\naccelerators = 8\n");
    assert_line(&e, "scenario.name", &["missing required field"]);
    let e = err("[scenario]\nname = \"t\"\n");
    assert_line(&e, "options", &["missing required table"]);
    let e = err("[scenario]\nname = \"t\"\n[options.a]\naccelerators = 8\n");
    assert_line(
        &e,
        "options.a.hardware",
        &[
            "missing required field",
            "trn2, b200-hgx, gb200-nvl72, h100",
        ],
    );
    let e = err(&with(
        "[options.trn2.failures.extra]\nkind = \"soft\"\nrate_per_chip_day = 1e-5\n",
    ));
    assert_line(
        &e,
        "options.trn2.failures.extra.repair_hours",
        &["missing required field"],
    );
    let e = err(&with("[options.trn2.job]\nfraction = 0.5\n"));
    assert_line(
        &e,
        "options.trn2.job.job_chips",
        &["missing required field"],
    );
}

// ----- values ----------------------------------------------------------------------------------

#[test]
fn wrong_type_says_what_was_expected_with_unit() {
    let e = err(&with("chip_w = \"500\"\n"));
    assert_line(
        &e,
        "options.trn2.chip_w",
        &["expected a number in W", "got a string \"500\""],
    );
    assert!(e.has(IssueKind::WrongType));
    let e = err(&with(
        "chips_per_node = { dist = \"uniform\", lo = 8, hi = 16 }\n",
    ));
    assert_line(
        &e,
        "options.trn2.chips_per_node",
        &["expected an integer", "no distribution"],
    );
}

#[test]
fn negative_rate_reports_node_day_range() {
    let e = err(&with(
        "[options.trn2.failures.hbm]\nrate_per_node_day = -1\n",
    ));
    assert_line(
        &e,
        "options.trn2.failures.hbm.rate_per_node_day",
        &["must be >= 0 (allowed range [0, 1] per node-day), got -1"],
    );
    let e = err(&with(
        "[options.trn2.failures.hbm]\nrate_per_chip_day = -1\n",
    ));
    assert_line(
        &e,
        "options.trn2.failures.hbm.rate_per_chip_day",
        &[
            "must be >= 0",
            "[0, 1] per node-day",
            "per chip-day at 16 chips per node",
            "got -1",
        ],
    );
    let e = err(&with(
        "[options.trn2.failures.hbm]\nrate_per_chip_day = 0.1\n",
    ));
    assert_line(
        &e,
        "options.trn2.failures.hbm.rate_per_chip_day",
        &["must be <= 0.0625", "got 0.1"],
    );
}

#[test]
fn nan_and_inf_are_rejected() {
    let e = err(&with("pue = nan\n"));
    assert_line(&e, "options.trn2.pue", &["finite number", "got nan"]);
    let e = err(&with("chip_w = inf\n"));
    assert_line(&e, "options.trn2.chip_w", &["finite number", "got inf"]);
    let e = err(&with("pue = { dist = \"uniform\", lo = 1.1, hi = inf }\n"));
    assert_line(&e, "options.trn2.pue.hi", &["finite number"]);
}

#[test]
fn out_of_range_value_names_range_and_value() {
    let e = err(&with("pue = 0.5\n"));
    assert_line(
        &e,
        "options.trn2.pue",
        &["must be >= 1 (allowed range [1, 3] ratio), got 0.5"],
    );
    assert!(e.has(IssueKind::OutOfRange));
    let e = err(&format!("{BASE}[environment]\nusd_per_kwh = 3\n"));
    assert_line(
        &e,
        "environment.usd_per_kwh",
        &["must be <= 2", "USD/kWh", "got 3"],
    );
}

#[test]
fn probabilities_outside_unit_interval() {
    let e = err(&with("burn_in_yield = 1.2\n"));
    assert_line(
        &e,
        "options.trn2.burn_in_yield",
        &["must be <= 1", "[0.5, 1] fraction", "got 1.2"],
    );
    let e = err(&with("reserved_fraction = -0.1\n"));
    assert_line(
        &e,
        "options.trn2.reserved_fraction",
        &["must be >= 0", "got -0.1"],
    );
}

#[test]
fn p90_below_median_is_a_bad_distribution() {
    let e = err(&with(
        "[options.trn2.failures.hbm]\nrate_per_chip_day = { dist = \"lognormal\", median = 2e-5, p90 = 1e-5 }\n",
    ));
    assert_line(
        &e,
        "options.trn2.failures.hbm.rate_per_chip_day",
        &["lognormal", "p90", "median"],
    );
    assert!(e.has(IssueKind::BadDistribution));
}

#[test]
fn other_distribution_checks() {
    let e = err(&with(
        "pue = { dist = \"triangular\", lo = 1.5, mode = 1.2, hi = 2 }\n",
    ));
    assert_line(&e, "options.trn2.pue", &["invalid triangular distribution"]);
    let e = err(&with("pue = { dist = \"normal\", mean = 1.2, sd = -1 }\n"));
    assert_line(&e, "options.trn2.pue", &["invalid normal distribution"]);
    let e = err(&with(
        "pue = { dist = \"discrete\", values = [1.1, 1.2], weights = [1] }\n",
    ));
    assert_line(&e, "options.trn2.pue", &["invalid discrete distribution"]);
    let e = err(&with("pue = { dist = \"lognormal\", median = 1.2 }\n"));
    assert_line(&e, "options.trn2.pue.p90", &["missing parameter `p90`"]);
    let e = err(&with("pue = { median = 1.2, p90 = 1.3 }\n"));
    assert_line(&e, "options.trn2.pue", &["needs `dist = \"...\"`"]);
    let e = err(&with(
        "pue = { dist = \"lognormal\", median = 1.2, p95 = 1.3 }\n",
    ));
    assert_line(&e, "options.trn2.pue.p95", &["unknown key", "p90"]);
}

#[test]
fn distribution_mass_outside_range_must_be_narrowed() {
    let e = err(&with(
        "utilization_mean = { dist = \"normal\", mean = 0.9, sd = 0.2 }\n",
    ));
    assert_line(
        &e,
        "options.trn2.utilization_mean",
        &[
            "outside the allowed range [0.001, 0.999] fraction",
            "narrow it or truncate it",
        ],
    );
    // Truncating it fixes it.
    load_scenario_str(
        &with(
            "utilization_mean = { dist = \"normal\", mean = 0.9, sd = 0.2, lo = 0.1, hi = 0.99 }\n",
        ),
        FILE,
    )
    .unwrap();
}

#[test]
fn unknown_hardware_lists_known_entries() {
    let e = err("[scenario]\nname = \"t\"\n[options.a]\nhardware = \"b200\"\naccelerators = 8\n");
    assert_line(
        &e,
        "options.a.hardware",
        &[
            "unknown hardware \"b200\"",
            "trn2, b200-hgx, gb200-nvl72, h100",
        ],
    );
    assert!(e.has(IssueKind::UnknownHardware));
}

#[test]
fn unknown_dist_kind_lists_known_kinds() {
    let e = err(&with("pue = { dist = \"gamma\", shape = 2 }\n"));
    assert_line(
        &e,
        "options.trn2.pue.dist",
        &["unknown distribution \"gamma\"", "lognormal", "pert"],
    );
    assert!(e.has(IssueKind::UnknownDist));
}

// ----- combinations ----------------------------------------------------------------------------

#[test]
fn accelerators_and_budget_both_set() {
    let e = err(
        "[scenario]\nname = \"t\"\ncapital_budget_usd = 1e9\n[options.a]\nhardware = \"h100\"\naccelerators = 8\n",
    );
    assert_line(
        &e,
        "options.a.accelerators",
        &["capital_budget_usd", "remove one"],
    );
    assert!(e.has(IssueKind::Conflict));
}

#[test]
fn neither_accelerators_nor_budget() {
    let e = err("[scenario]\nname = \"t\"\n[options.a]\nhardware = \"h100\"\n");
    assert_line(
        &e,
        "options.a.accelerators",
        &["missing required field", "capital_budget_usd"],
    );
}

#[test]
fn blast_radius_must_be_a_multiple_of_the_node() {
    let e = err(&with("blast_radius_chips = 24\n"));
    assert_line(
        &e,
        "options.trn2.blast_radius_chips",
        &["multiple of chips_per_node = 16", "got 24"],
    );
    let e = err(
        "[scenario]\nname = \"t\"\n[options.a]\nhardware = \"gb200-nvl72\"\naccelerators = 40\n",
    );
    assert_line(
        &e,
        "options.a.blast_radius_chips",
        &["<= accelerators = 40", "got 72"],
    );
}

#[test]
fn job_chips_above_accelerators() {
    let e = err(&with("[options.trn2.job]\njob_chips = 40000\n"));
    assert_line(
        &e,
        "options.trn2.job.job_chips",
        &["<= accelerators = 30000", "got 40000"],
    );
}

#[test]
fn checkpoint_cost_not_below_interval() {
    // A catalog cost (pert 10..300 s, median ~84 s, in a user catalog) against a 1-minute
    // interval: the scenario file is blamed, with a pointer to the catalog line.
    let dir = tempfile::tempdir().unwrap();
    let cat = fleetsim::config::catalog::BUILTIN_CATALOG.replacen(
        "checkpoint_cost_seconds = { dist = \"pert\", lo = 5, mode = 20, hi = 120 }",
        "checkpoint_cost_seconds = { dist = \"pert\", lo = 10, mode = 60, hi = 300 }",
        1,
    );
    assert_ne!(
        cat,
        fleetsim::config::catalog::BUILTIN_CATALOG,
        "trn2's cost line moved"
    );
    std::fs::write(dir.path().join("cat.toml"), cat).unwrap();
    let sc = dir.path().join("s.toml");
    std::fs::write(&sc, "[scenario]\nname = \"t\"\ncatalog = \"cat.toml\"\n[options.trn2]\nhardware = \"trn2\"\naccelerators = 30000\n[options.trn2.job]\njob_chips = 1024\ncheckpoint_interval_minutes = 1\n").unwrap();
    let m = load_scenario(&sc).unwrap_err().to_string();
    assert!(
        m.lines()
            .any(|l| l.contains("options.trn2.job.checkpoint_cost_seconds")
                && l.contains("interval")
                && l.contains("[value from ")
                && l.contains("cat.toml line")),
        "{m}"
    );
    let e = err(&with(
        "[options.trn2.job]\njob_chips = 1024\ncheckpoint_interval_minutes = 2\ncheckpoint_cost_seconds = 120\n",
    ));
    assert_line(
        &e,
        "options.trn2.job.checkpoint_cost_seconds",
        &["median 120 s", "interval", "120 s"],
    );
    let e = err(&with(
        "[options.trn2.job]\njob_chips = 1024\ncheckpoint_interval_minutes = \"daly\"\n",
    ));
    assert_line(
        &e,
        "options.trn2.job.checkpoint_interval_minutes",
        &["\"young_daly\""],
    );
}

#[test]
fn more_than_eight_options() {
    let mut t = String::from("[scenario]\nname = \"t\"\n");
    for i in 0..9 {
        t.push_str(&format!(
            "[options.o{i}]\nhardware = \"h100\"\naccelerators = 8\n"
        ));
    }
    let e = err(&t);
    assert_line(&e, "options", &["at most 8 options", "got 9"]);
    assert!(e.has(IssueKind::TooMany));
}

#[test]
fn more_than_eight_failure_classes() {
    let e = err(&with(
        "[options.trn2.failures.extra]\nkind = \"soft\"\nrate_per_chip_day = 1e-5\nrepair_hours = 1\n",
    ));
    assert_line(
        &e,
        "options.trn2.failures",
        &[&format!("at most {MAX_CLASSES} failure classes"), "got 9"],
    );
    // Dropping one makes room.
    load_scenario_str(
        &with("[options.trn2.failures.extra]\nkind = \"soft\"\nrate_per_chip_day = 1e-5\nrepair_hours = 1\n[options.trn2.failures.sdc]\nenabled = false\n"),
        FILE,
    )
    .unwrap();
}

#[test]
fn both_rate_units_in_one_class() {
    let e = err(&with(
        "[options.trn2.failures.x]\nkind = \"hard\"\nrate_per_chip_day = 1e-5\nrate_per_node_day = 1e-4\nrepair_hours = 2\n[options.trn2.failures.sdc]\nenabled = false\n",
    ));
    assert_line(
        &e,
        "options.trn2.failures.x.rate_per_node_day",
        &["exactly one of rate_per_chip_day and rate_per_node_day"],
    );
    // Overriding a catalog per-chip rate with a per-node rate is fine (it replaces it).
    load_scenario_str(
        &with("[options.trn2.failures.hbm]\nrate_per_node_day = 1e-3\n"),
        FILE,
    )
    .unwrap();
}

#[test]
fn colo_with_explicit_dc_capex() {
    let e = err(&with("facility = \"colo\"\ndc_capex_per_mw_usd = 11e6\n"));
    assert_line(
        &e,
        "options.trn2.dc_capex_per_mw_usd",
        &["colo", "remove it"],
    );
    let e = err(&with("facility = \"cloud\"\n"));
    assert_line(
        &e,
        "options.trn2.facility",
        &["\"build\", \"colo\", \"rent\"", "\"cloud\""],
    );
}

#[test]
fn horizon_above_twenty_years() {
    let e = err(
        "[scenario]\nname = \"t\"\nhorizon_years = 25\n[options.a]\nhardware = \"h100\"\naccelerators = 8\n",
    );
    assert_line(
        &e,
        "scenario.horizon_years",
        &["must be <= 20", "[1, 20] years", "got 25"],
    );
}

#[test]
fn capital_budget_too_small_for_one_node() {
    let e = err(
        "[scenario]\nname = \"t\"\ncapital_budget_usd = 100000\n[options.a]\nhardware = \"h100\"\n",
    );
    assert_line(
        &e,
        "scenario.capital_budget_usd",
        &[
            "option `a`",
            "too small for one node",
            "8 chips",
            "got 100000 USD",
        ],
    );
    let e = err(
        "[scenario]\nname = \"t\"\ncapital_budget_usd = -5\n[options.a]\nhardware = \"h100\"\n",
    );
    assert_line(
        &e,
        "scenario.capital_budget_usd",
        &["must be > 0", "got -5"],
    );
}

#[test]
fn delivery_delay_beyond_horizon() {
    let e = err(
        "[scenario]\nname = \"t\"\nhorizon_years = 1\n[options.a]\nhardware = \"h100\"\naccelerators = 8\ndelivery_delay_days = 400\n",
    );
    assert_line(
        &e,
        "options.a.delivery_delay_days",
        &["median 400 days", "365", "horizon"],
    );
}

#[test]
fn correlation_errors() {
    let c = |inputs: &str, rho: &str| {
        with(&format!(
            "[[correlations]]\ninputs = {inputs}\nrank_correlation = {rho}\n"
        ))
    };
    let e = err(&c(
        r#"["environment.usd_per_kwh", "options.trn2.peu"]"#,
        "0.5",
    ));
    assert_line(
        &e,
        "correlations[0].inputs[1]",
        &["unknown input path", "did you mean `options.trn2.pue`"],
    );
    assert!(e.has(IssueKind::Correlation));
    let e = err(&c(
        r#"["environment.usd_per_kwh", "options.trn2.pue"]"#,
        "1.5",
    ));
    assert_line(
        &e,
        "correlations[0].rank_correlation",
        &["within [-1, 1]", "got 1.5"],
    );
    // a~b 0.9, a~c 0.9, b~c -0.9 is impossible.
    let e = err(&with(
        r#"[[correlations]]
inputs = ["environment.usd_per_kwh", "options.trn2.pue"]
rank_correlation = 0.9
[[correlations]]
inputs = ["environment.usd_per_kwh", "options.trn2.chip_w"]
rank_correlation = 0.9
[[correlations]]
inputs = ["options.trn2.pue", "options.trn2.chip_w"]
rank_correlation = -0.9
"#,
    ));
    assert_line(&e, "correlations", &["not positive definite"]);
    let names = [
        "environment.usd_per_kwh",
        "environment.discount_rate_per_year",
        "environment.price_decline_per_year",
        "options.trn2.pue",
        "options.trn2.chip_w",
        "options.trn2.mfu",
        "options.trn2.ramp_days",
        "options.trn2.swap_hours",
        "options.trn2.part_cost_usd",
    ];
    let mut t = BASE.to_string();
    for w in names.windows(2) {
        t.push_str(&format!(
            "[[correlations]]\ninputs = [\"{}\", \"{}\"]\nrank_correlation = 0.1\n",
            w[0], w[1]
        ));
    }
    let e = err(&t);
    assert_line(
        &e,
        "correlations",
        &[
            &format!("at most {MAX_CORR} distinct correlated inputs"),
            "got 9",
        ],
    );
}

#[test]
fn collects_all_errors_one_per_line() {
    let e = err(&with("pue = 0.5\nchip_w = -3\nmfu = \"high\"\n"));
    assert_eq!(e.issues().len(), 3, "{e}");
    assert_eq!(e.to_string().lines().count(), 3);
    assert_line(&e, "options.trn2.pue", &["(line 8)"]);
    assert_line(&e, "options.trn2.chip_w", &["(line 9)"]);
}

#[test]
fn option_names_are_checked() {
    let e =
        err("[scenario]\nname = \"t\"\n[options.\"a b\"]\nhardware = \"h100\"\naccelerators = 8\n");
    assert_line(&e, "options.a b", &["letters, digits"]);
}

// ----- shipped configs -------------------------------------------------------------------------

#[test]
fn default_scenario_validates() {
    let s = default_scenario();
    assert_eq!(s.option_names(), ["trn2", "b200"]);
    assert_eq!(s.capital_budget_usd, Some(5e8));
    for o in &s.options {
        assert!(
            o.accelerators_from_budget && o.accelerators > 1000,
            "{}: {}",
            o.name,
            o.accelerators
        );
        assert!(o.job.as_ref().is_some_and(|j| j.young_daly));
    }
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.contains("\"usd_per_kwh\""));
}

#[test]
fn every_file_in_configs_validates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let cat = std::fs::read_to_string(root.join("catalog.toml")).unwrap();
    fleetsim::config::Catalog::parse(&cat, "configs/catalog.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        builtin_catalog().names(),
        ["trn2", "b200-hgx", "gb200-nvl72", "h100", "trn1"]
    );
    let mut n = 0;
    for dir in [root.clone(), root.join("scenarios")] {
        for f in std::fs::read_dir(&dir).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml")
                && p.file_name().unwrap() != "catalog.toml"
            {
                load_scenario(&p).unwrap_or_else(|e| panic!("{}:\n{e}", p.display()));
                n += 1;
            }
        }
    }
    assert!(n >= 3, "found {n} scenarios");
}

#[test]
fn next_platform_is_deterministic_and_matches_the_ratio() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = load_scenario(&root.join("configs/scenarios/next_platform.toml")).unwrap();
    let o = &s.options[0];
    assert!(o.classes.is_empty());
    let fixed = |d: &fleetsim::distributions::Dist| match d {
        fleetsim::distributions::Dist::Fixed { value } => *value,
        other => panic!("not fixed: {other:?}"),
    };
    for (name, d) in &o.inputs.0 {
        fixed(d);
        let _ = name;
    }
    let capex = fixed(o.inputs.get("server_capex_per_chip_usd"))
        + fixed(o.inputs.get("dc_capex_per_mw_usd"))
            * (fixed(o.inputs.get("chip_w")) + fixed(o.inputs.get("host_w_per_chip")))
            / 1e6;
    let revenue = fixed(o.inputs.get("reserved_usd_per_chip_hour")) * 8760.0;
    assert!(
        (revenue / capex - 0.878).abs() < 1e-6,
        "{}",
        revenue / capex
    );
}

#[test]
fn user_catalog_relative_to_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let cat = fleetsim::config::catalog::BUILTIN_CATALOG
        .replace("[h100]", "[my-h100]")
        .replace("[h100.", "[my-h100.");
    std::fs::write(dir.path().join("cat.toml"), cat).unwrap();
    let sc = dir.path().join("s.toml");
    std::fs::write(&sc, "[scenario]\nname = \"t\"\ncatalog = \"cat.toml\"\n[options.a]\nhardware = \"my-h100\"\naccelerators = 8\n").unwrap();
    let s = load_scenario(&sc).unwrap();
    assert_eq!(s.options[0].hardware, "my-h100");
    std::fs::write(&sc, "[scenario]\nname = \"t\"\ncatalog = \"cat.toml\"\n[options.a]\nhardware = \"h100\"\naccelerators = 8\n").unwrap();
    let m = load_scenario(&sc).unwrap_err().to_string();
    assert!(
        m.contains("my-h100") && m.contains("options.a.hardware"),
        "{m}"
    );
    // A bad value in the user catalog names the catalog file and entry.
    let bad = fleetsim::config::catalog::BUILTIN_CATALOG.replace("chip_w = 700", "chip_w = -700");
    std::fs::write(dir.path().join("cat.toml"), bad).unwrap();
    std::fs::write(&sc, "[scenario]\nname = \"t\"\ncatalog = \"cat.toml\"\n[options.a]\nhardware = \"h100\"\naccelerators = 8\n").unwrap();
    let m = load_scenario(&sc).unwrap_err().to_string();
    assert!(m.contains("cat.toml: h100.chip_w: must be >= 0"), "{m}");
}

#[test]
fn options_keep_written_order() {
    let s = load_scenario_str(
        "[scenario]\nname = \"t\"\n[options.zeta]\nhardware = \"h100\"\naccelerators = 8\n[options.alpha]\nhardware = \"trn2\"\naccelerators = 16\n",
        FILE,
    )
    .unwrap();
    assert_eq!(s.option_names(), ["zeta", "alpha"]);
}

// ----- resolution and flattening ----------------------------------------------------------------

/// A scenario with fixed, easy numbers and a single failure class.
fn fixed_scenario(extra_scenario: &str, extra_option: &str) -> String {
    let mut t = format!(
        "[scenario]\nname = \"f\"\n{extra_scenario}\n[options.t]\nhardware = \"trn2\"\nserver_capex_per_chip_usd = 10000\nnetwork_capex_per_chip_usd = 0\nstorage_capex_per_chip_usd = 0\ncooling_capex_per_chip_usd = 0\nreserved_usd_per_chip_hour = 1.85\non_demand_usd_per_chip_hour = 2.5\ndc_capex_per_mw_usd = 10e6\nchip_w = 600\nhost_w_per_chip = 400\nspare_nodes = 2\n{extra_option}\n"
    );
    for c in [
        "gpu_hard",
        "hbm",
        "gpu_other",
        "sdc",
        "network",
        "host",
        "software",
        "nccl_unknown",
    ] {
        t.push_str(&format!("[options.t.failures.{c}]\nenabled = false\n"));
    }
    t.push_str(
        "[options.t.failures.only]\nkind = \"hard\"\nrate_per_node_day = 0.01\nrepair_hours = 3\n",
    );
    t
}

#[test]
fn capital_budget_sizing_arithmetic() {
    // all-in per chip = 10,000 + 10e6 * (600 + 400) / 1e6 = 20,000; node = 16 chips = 320,000;
    // spares = 2 * 16 * 10,000 = 320,000; nodes = floor((10e6 - 320,000) / 320,000) = 30.
    let s =
        load_scenario_str(&fixed_scenario("capital_budget_usd = 10_000_000", ""), FILE).unwrap();
    assert_eq!(s.options[0].accelerators, 480);
    assert!(s.options[0].accelerators_from_budget);
    // Colo: no DC share -> all-in 10,000, node 160,000: floor(9.68e6 / 160,000) = 60 nodes.
    let t = fixed_scenario("capital_budget_usd = 10_000_000", "facility = \"colo\"")
        .replace("dc_capex_per_mw_usd = 10e6\n", "");
    let s = load_scenario_str(&t, FILE).unwrap();
    assert_eq!(s.options[0].accelerators, 960);
    let f = flatten(&s, 1);
    assert_eq!(f.options[0].nodes, 60);
    assert_eq!(f.options[0].flags & flags::COLO, flags::COLO);
}

#[test]
fn young_daly_arithmetic() {
    // 1,600 chips / 16 per node = 100 nodes x 0.01 per node-day = 1 interruption per day:
    // M = 1440 min; C = 60 s = 1 min; tau = sqrt(2 * 1 * 1440) = 53.6656 min.
    let t = fixed_scenario(
        "",
        "accelerators = 16000\n[options.t.job]\njob_chips = 1600\ncheckpoint_cost_seconds = 60\ncheckpoint_interval_minutes = \"young_daly\"\n",
    );
    let s = load_scenario_str(&t, FILE).unwrap();
    let j = s.options[0].job.as_ref().unwrap();
    assert!(j.young_daly);
    assert!((j.job_mtbf_minutes - 1440.0).abs() < 1e-9);
    match j.checkpoint_interval_minutes {
        fleetsim::distributions::Dist::Fixed { value } => {
            assert!((value - (2.0f64 * 1440.0).sqrt()).abs() < 1e-9, "{value}")
        }
        ref d => panic!("{d:?}"),
    }
    let f = flatten(&s, 0);
    let spec = f.options[0].inputs[opt_in::CHECKPOINT_INTERVAL_MINUTES];
    assert_eq!(spec.kind, kind::FIXED);
    assert!((spec.p[0] - 53.6656).abs() < 1e-3);
    assert_eq!(f.options[0].job_chips, 1600);
}

#[test]
fn flatten_puts_values_at_documented_indices() {
    let t = fixed_scenario("horizon_years = 3", "accelerators = 1008\nrma_days = 9");
    let s = load_scenario_str(&t, FILE).unwrap();
    let seed = 0x1234_5678_9abc_def0u64;
    let f = flatten(&s, seed);
    assert_eq!((f.run.seed_lo, f.run.seed_hi), (0x9abc_def0, 0x1234_5678));
    assert_eq!(
        (f.run.n_options, f.run.horizon_days, f.run.n_years),
        (1, 1095, 3)
    );
    assert_eq!(f.run.table_len as usize, f.table.len());
    let o = &f.options[0];
    assert_eq!(o.nodes, 63); // 1008 / 16 (a fleet is whole nodes)
    assert_eq!(
        (o.chips_per_node, o.blast_radius_chips, o.spare_nodes),
        (16, 16, 2)
    );
    let chip_w = o.inputs[opt_in::CHIP_W];
    assert_eq!(chip_w.kind, kind::FIXED);
    assert_eq!(chip_w.p[0], 600.0);
    assert_eq!((chip_w.lo, chip_w.hi), (0.0, 5000.0));
    assert_eq!(o.inputs[opt_in::SERVER_CAPEX_PER_CHIP_USD].p[0], 10000.0);
    // One class, hard, at slot 0; rate per node-day at CLASS_BASE + CLASS_RATE.
    assert_eq!((o.n_classes, o.hard_mask), (1, 1));
    let rate = o.inputs[opt_in::CLASS_BASE + opt_in::CLASS_RATE];
    assert_eq!((rate.kind, rate.p[0]), (kind::FIXED, 0.01));
    assert_eq!(
        o.inputs[opt_in::CLASS_BASE + opt_in::CLASS_INFANT_MULT].p[0],
        1.0
    );
    assert_eq!(o.events[opt_ev::REPAIR_BASE].p[0], 3.0);
    assert_eq!(o.events[opt_ev::RMA_BASE].p[0], 9.0);
    // Unused class slots are all-zero FIXED 0.
    for c in 1..MAX_CLASSES {
        for k in 0..opt_in::PER_CLASS {
            let d = o.inputs[opt_in::CLASS_BASE + opt_in::PER_CLASS * c + k];
            assert_eq!((d.kind, d.p, d.lo, d.hi), (kind::FIXED, [0.0; 4], 0.0, 0.0));
        }
        assert_eq!(o.events[opt_ev::REPAIR_BASE + c].kind, kind::FIXED);
        assert_eq!(o.events[opt_ev::REPAIR_BASE + c].p, [0.0; 4]);
    }
    // No job view: job_chips 0 and JOB_FRACTION fixed 0.
    assert_eq!(o.job_chips, 0);
    assert_eq!(o.inputs[opt_in::JOB_FRACTION].p[0], 0.0);
    // A catalog lognormal keeps its kind; a catalog pert becomes a quantile table.
    assert_eq!(o.inputs[opt_in::PUE].kind, kind::TABLE);
    assert_eq!(o.flags, 0);
}

#[test]
fn per_chip_rates_become_per_node_rates() {
    let s = load_scenario_str(
        &with("[options.trn2.failures.hbm]\nrate_per_chip_day = 1e-4\n"),
        FILE,
    )
    .unwrap();
    let o = &s.options[0];
    let c = o.classes.iter().position(|c| c.name == "hbm").unwrap();
    let f = flatten(&s, 0);
    let spec = f.options[0].inputs[opt_in::CLASS_BASE + opt_in::PER_CLASS * c + opt_in::CLASS_RATE];
    assert_eq!(spec.kind, kind::FIXED);
    assert!((spec.p[0] - 1.6e-3).abs() < 1e-9);
    assert_eq!((spec.lo, spec.hi), (0.0, 1.0));
}

#[test]
fn correlation_cholesky_reproduces_the_matrix() {
    let t = with(
        r#"[[correlations]]
inputs = ["environment.usd_per_kwh", "options.trn2.pue"]
rank_correlation = 0.5
[[correlations]]
inputs = ["environment.usd_per_kwh", "options.trn2.failures.hbm.rate_per_chip_day"]
rank_correlation = -0.3
[[correlations]]
inputs = ["options.trn2.pue", "options.trn2.chip_w"]
rank_correlation = 0.2
"#,
    );
    let s = load_scenario_str(&t, FILE).unwrap();
    let f = flatten(&s, 0);
    let n = f.run.n_corr as usize;
    assert_eq!(n, 4);
    use fleetsim::model::params::{env_in, opt_in as oi};
    let hbm = s.options[0]
        .classes
        .iter()
        .position(|c| c.name == "hbm")
        .unwrap();
    assert_eq!(
        &f.corr.idx[..n],
        &[
            env_in::USD_PER_KWH as u32,
            (env_in::COUNT + oi::PUE) as u32,
            (env_in::COUNT + oi::CLASS_BASE + oi::PER_CLASS * hbm + oi::CLASS_RATE) as u32,
            (env_in::COUNT + oi::CHIP_W) as u32,
        ]
    );
    let rho = |r: f64| 2.0 * (std::f64::consts::PI * r / 6.0).sin();
    let mut want = vec![vec![0.0; n]; n];
    for (i, row) in want.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for (a, b, r) in [(0, 1, 0.5), (0, 2, -0.3), (1, 3, 0.2)] {
        want[a][b] = rho(r);
        want[b][a] = rho(r);
    }
    for (i, want_row) in want.iter().enumerate() {
        for (j, want_ij) in want_row.iter().enumerate() {
            let got: f64 = (0..n)
                .map(|k| {
                    f64::from(f.corr.chol[i * MAX_CORR + k])
                        * f64::from(f.corr.chol[j * MAX_CORR + k])
                })
                .sum();
            assert!((got - want_ij).abs() < 1e-6, "({i},{j}) {got} vs {want_ij}");
        }
        for j in i + 1..MAX_CORR {
            assert_eq!(
                f.corr.chol[i * MAX_CORR + j],
                0.0,
                "upper triangle must be zero"
            );
        }
    }
}

#[test]
fn environment_defaults_fill_missing_fields() {
    let s = load_scenario_str(BASE, FILE).unwrap();
    assert_eq!(s.horizon_years, 5);
    assert_eq!(
        s.environment.inputs.0.len(),
        fleetsim::model::params::env_in::COUNT
    );
    let f = flatten(&s, 0);
    assert_eq!(
        f.env.inputs[fleetsim::model::params::env_in::USD_PER_KWH].kind,
        kind::LOGNORMAL
    );
    assert!(builtin_catalog().summary().contains("gb200-nvl72"));
    assert!(
        builtin_catalog()
            .entry_listing("gb200-nvl72")
            .unwrap()
            .contains("[gb200-nvl72]")
    );
    assert!(builtin_catalog().entry_listing("nope").is_none());
}
