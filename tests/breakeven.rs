//! The break-even headlines of `fleetsim run` through the real binary: on two Trainium2 fleets
//! that differ only in size (and the capex a grid sets on the first), the capex break-evens
//! follow in closed form from the second fleet's NPV and the chip counts, and the printed line
//! and summary.json's `break_evens` say so; `--no-breakeven` skips them, bad flags exit 2.

use crate::common;

use common::cli::{fleetsim, text};

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Server capex per chip of both fleets in the scenario as written, USD.
const CAPEX: f64 = 25_000.0;
/// Chips of fleet a and fleet b.
const N_A: f64 = 2048.0;
const N_B: f64 = 1024.0;

/// Two Trainium2 fleets of `N_A` and `N_B` chips on the same random streams (same hardware):
/// every option input fixed (at the catalog medians), no failures, no job view, every node
/// delivered and installed on day 0 (no delay, no ramp: capex is paid as nodes arrive, and a
/// ramp's whole-node arrivals would not scale exactly with the fleet), no residual value and
/// no maintenance, so server capex is paid once, on day 0, and nothing else depends on it. The environment keeps its distributions (shared by both
/// fleets), so paths differ. Per path, every cash flow of fleet a is `N_A / N_B` times fleet
/// b's at the same capex.
fn twins(dir: &Path) -> PathBuf {
    twins_with(dir, CAPEX)
}

/// [`twins`] with fleet a's server capex per chip at `capex_a` (b's stays at `CAPEX`).
fn twins_with(dir: &Path, capex_a: f64) -> PathBuf {
    let fixed = common::fixed_trn2_inputs(|name, median| match name {
        "burn_in_yield" => Some(1.0),
        // (dc_build_months: fleets wait for the building, when the model has it.)
        "delivery_delay_days"
        | "ramp_days"
        | "dc_build_months"
        | "residual_fraction"
        | "maintenance_fraction_per_year" => Some(0.0),
        "server_capex_per_chip_usd" => None,
        // Explicit prices (the old catalog's trn2 modes), not the compute market's, so
        // the break-even stays inside the planned range whatever the market does.
        "reserved_usd_per_chip_hour" => Some(1.85),
        "on_demand_usd_per_chip_hour" => Some(2.5),
        _ => Some(median),
    });
    let mut text = String::from("[scenario]\nname = \"twins\"\nhorizon_years = 3\n");
    // No taxes (a depreciation tax shield would give capex a second cash flow), where the
    // model has them.
    if fleetsim::config::schema::ENV_INPUTS
        .iter()
        .any(|f| f.name == "tax_rate")
    {
        text.push_str("\n[environment]\ntax_rate = 0.0\n");
    }
    for (o, n, capex) in [("a", N_A, capex_a), ("b", N_B, CAPEX)] {
        common::push_trn2_option(
            &mut text,
            o,
            &format!("accelerators = {n}\nserver_capex_per_chip_usd = {capex:?}\n{fixed}"),
        );
    }
    let p = dir.join("twins.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn summary(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn find<'a>(s: &'a Value, input: &str, metric: &str) -> &'a Value {
    s["break_evens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["input"] == input && b["metric"] == metric)
        .unwrap_or_else(|| {
            panic!(
                "no break-even of {input} on {metric}: {:#}",
                s["break_evens"]
            )
        })
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Runs [`twins_with`] (`capex_a`) for `n` paths, break-evens at the same `n` paths per value,
/// in f64 into `dir/out`; returns the printed text, summary.json, P25 and P75 of b's NPV and
/// the closed-form NPV break-even `CAPEX + P50(NPV_b) (1 / N_B - 1 / N_A)`.
fn run_twins(dir: &Path, capex_a: f64, n: u32) -> (String, Value, f64, f64, f64) {
    let scenario = twins_with(dir, capex_a);
    let out = dir.join("out");
    let n_s = n.to_string();
    // Same paths in the main run and at every grid point (0..n), f64 arithmetic.
    let o = fleetsim(&[
        "run",
        scenario.to_str().unwrap(),
        "--backend",
        "cpu",
        "--precision",
        "f64",
        "--paths",
        &n_s,
        "--breakeven-paths",
        &n_s,
        "--out",
        out.to_str().unwrap(),
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let s = summary(&out);
    let npv_b = &s["options"]["b"]["npv_usd"];
    let (p25, p50, p75) = (f(&npv_b["p25"]), f(&npv_b["p50"]), f(&npv_b["p75"]));
    assert!(p75 > p25, "the environment makes paths differ: {npv_b:#}");
    let want = CAPEX + p50 * (1.0 / N_B - 1.0 / N_A);
    (t, s, p25, p75, want)
}

#[test]
fn capex_break_evens_match_the_closed_form_and_are_printed_and_written() {
    // Per path i, with D the NPV of a minus b and c a's capex: a's NPV at c is N_A / N_B times
    // b's NPV at c, and b's NPV falls by N_B per USD of capex (paid once, day 0), so
    //   D_i(c) = (N_A / N_B - 1) NPV_b,i - N_A (c - CAPEX).
    // Every path has the slope -N_A, so the P50 over paths is the same line with P50(NPV_b)
    // (a positive multiple commutes with type-7 quantiles), zero at
    //   c* = CAPEX + P50(NPV_b) (1 / N_B - 1 / N_A).
    // A straight line is interpolated exactly: the grid adds no error, and the
    // interpolation-error estimate must be ~0. What is left is rounding: f64 arithmetic and
    // the grid values stored as f32 in the flat model (relative error <= 6e-8 of the capex, so
    // of the root), hence a relative tolerance of 1e-6. The P50's standard error (P75 - P25) /
    // sqrt(n) of D is (N_A / N_B - 1) IQR(NPV_b) / sqrt(n) at every point, so the root's is
    // that over N_A. Unit costs: a at capex c is b scaled by N_A / N_B except for the capex
    // line, so a is cheaper per effective PFLOP-hour exactly when c < CAPEX.
    let dir = tempfile::tempdir().unwrap();
    let n = 200u32;
    let (t, s, p25, p75, want) = run_twins(dir.path(), CAPEX, n);
    let be = find(&s, "server_capex_per_chip_usd", "npv_usd");
    eprintln!("NPV break-even {} (closed form {want})", be["value"]);
    assert_eq!(be["key"], "options.a.server_capex_per_chip_usd");
    assert_eq!(be["option"], "a");
    assert_eq!(be["other"], "b");
    // The fixed capex is searched over [CAPEX / 2, 3 CAPEX / 2].
    assert_eq!(
        (f(&be["search_lo"]), f(&be["search_hi"])),
        (12_500.0, 37_500.0)
    );
    assert!(
        (12_500.0..37_500.0).contains(&want),
        "set-up: {want} outside the range"
    );
    assert!(
        (f(&be["value"]) - want).abs() < 1e-6 * want,
        "break-even {} vs closed form {want}",
        be["value"]
    );
    assert_eq!(be["crossings"].as_array().unwrap().len(), 1);
    assert_eq!(be["extended"], false);
    assert_eq!(be["better_below"], "a");
    assert_eq!(be["better_above"], "b");
    assert_eq!(be["scenario_value"], CAPEX);
    assert_eq!(be["scenario_value_kind"], "value");
    assert!(f(&be["interpolation_error"]) < 1e-6 * want, "{be:#}");
    let mc = (N_A / N_B - 1.0) * (p75 - p25) / ((n as f64).sqrt() * N_A);
    assert!(
        (f(&be["mc_se"]) - mc).abs() < 1e-6 * mc,
        "mc_se {} vs closed form {mc}",
        be["mc_se"]
    );
    assert!((f(&be["uncertainty"]) - mc).abs() < 1e-6 * mc);

    let cost = find(
        &s,
        "server_capex_per_chip_usd",
        "levelized_usd_per_effective_pflop_hour",
    );
    assert!(
        (f(&cost["value"]) - CAPEX).abs() < 1e-6 * CAPEX,
        "cost break-even {} vs {CAPEX}",
        cost["value"]
    );
    assert_eq!(cost["better_below"], "a");
    assert!(f(&cost["interpolation_error"]) < 1e-6 * CAPEX, "{cost:#}");

    // How they were computed, and no NaN anywhere in the file.
    let m = &s["break_even_method"];
    assert_eq!(m["paths_per_point"], n);
    assert_eq!(m["points"], 7);
    assert_eq!(m["compare"], serde_json::json!(["a", "b"]));
    let json = std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap();
    assert!(!json.contains("NaN") && !json.contains("inf"));

    // Printed under the comparison table, one line per input and metric.
    let table_at = t.find("P(a higher NPV than b)").expect("the table");
    let line_at = t
        .find("a beats b on NPV while its server_capex_per_chip_usd is below $")
        .unwrap_or_else(|| panic!("no break-even line:\n{t}"));
    assert!(line_at > table_at, "{t}");
    assert!(
        t.contains("a beats b on levelized cost per effective PFLOP-hour while its server_capex_per_chip_usd is below $25.0k"),
        "{t}"
    );
    assert!(t.contains("scenario value $25.0k"), "{t}");
}

#[test]
fn a_break_even_beyond_the_support_is_found_by_extending_the_range() {
    // Fleet a's capex fixed at 5,000: the planned range [2,500, 7,500] holds neither
    // break-even, but both P50 lines head for zero beyond 7,500. They are straight (see
    // above), so the extrapolated zero is the break-even itself, and the 4 values added out to
    // twice its distance bracket it: the same closed forms, exactly.
    let dir = tempfile::tempdir().unwrap();
    let (_, s, _, _, want) = run_twins(dir.path(), 5_000.0, 100);
    let be = find(&s, "server_capex_per_chip_usd", "npv_usd");
    assert_eq!(be["extended"], true, "{be:#}");
    assert_eq!(f(&be["search_lo"]), 2_500.0);
    assert!(f(&be["search_hi"]) > want, "{be:#}");
    assert_eq!(be["grid"].as_array().unwrap().len(), 7 + 4);
    assert!(
        (f(&be["value"]) - want).abs() < 1e-6 * want,
        "break-even {} vs closed form {want}",
        be["value"]
    );
    assert!(be["note"].as_str().unwrap().contains("extended"), "{be:#}");
    let cost = find(
        &s,
        "server_capex_per_chip_usd",
        "levelized_usd_per_effective_pflop_hour",
    );
    assert_eq!(cost["extended"], true);
    assert!((f(&cost["value"]) - CAPEX).abs() < 1e-6 * CAPEX, "{cost:#}");
    // Both metrics share the input's points: one extension, out to the farther end.
    assert_eq!(cost["grid"], be["grid"]);
}

#[test]
fn no_breakeven_skips_them_and_bad_flags_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = twins(dir.path());
    let out = dir.path().join("out");
    let sc = scenario.to_str().unwrap();
    let o = fleetsim(&[
        "run",
        sc,
        "--backend",
        "cpu",
        "--paths",
        "20",
        "--no-breakeven",
        "--out",
        out.to_str().unwrap(),
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(!t.contains("break-even"), "{t}");
    let s = summary(&out);
    assert_eq!(s["break_evens"], serde_json::json!([]));
    assert_eq!(
        s["break_even_method"]["skipped"],
        "skipped (--no-breakeven)"
    );

    for bad in [
        &["--breakeven-paths", "0"][..],
        &["--breakeven-paths", "x"][..],
        &["--breakeven-paths", "10", "--no-breakeven"][..],
    ] {
        let mut args = vec!["run", sc, "--backend", "cpu", "--paths", "20"];
        args.extend_from_slice(bad);
        let o = fleetsim(&args);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", text(&o));
        assert!(
            text(&o).contains("--breakeven-paths"),
            "{bad:?}: {}",
            text(&o)
        );
    }
}

#[test]
fn a_one_option_scenario_has_none_and_says_why_in_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let text_in = std::fs::read_to_string(twins(dir.path())).unwrap();
    let one = &text_in[..text_in.find("\n[options.b]").unwrap()];
    let p = dir.path().join("one.toml");
    std::fs::write(&p, one).unwrap();
    let out = dir.path().join("out");
    let o = fleetsim(&[
        "run",
        p.to_str().unwrap(),
        "--backend",
        "cpu",
        "--paths",
        "20",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(s["break_evens"], serde_json::json!([]));
    let why = s["break_even_method"]["skipped"].as_str().unwrap();
    assert!(why.contains("two options"), "{why}");
}
