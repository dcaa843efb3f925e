//! The economics against closed forms and the deterministic hand case of the economics review
//! (`configs/validation/economics_handcheck.toml`): the IRR of the dated flows, NPV at that
//! IRR, discounted payback, levelized costs, reserved terms that reprice, prepayment, rent,
//! market prices, the next-generation step, the build period, the power capacity charge and
//! the after-tax view. Every case is deterministic (no failures, outages or demand noise), so
//! one f64 path is exact and the tolerances are those of the conventions, said at each test;
//! closed forms hold to 1e-6, since the inputs travel to the engines as f32 (a relative
//! rounding of 6e-8 each).

use fleetsim::config::flatten;
use fleetsim::config::load_scenario_str;
use fleetsim::engine::{Engine, Precision, cpu::CpuEngine};
use fleetsim::model::outputs::idx;

fn repo(p: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// The hand case as written.
fn hand() -> String {
    std::fs::read_to_string(repo("configs/validation/economics_handcheck.toml")).expect("file")
}

/// `toml` with `key = ...` set to `value` in section `[section]` (replaced where written,
/// else added right after the section header).
fn set(toml: &str, section: &str, key: &str, value: &str) -> String {
    let header = format!("[{section}]");
    let mut out = Vec::new();
    let mut inside = false;
    let mut done = false;
    for line in toml.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            if inside && !done {
                out.push(format!("{key} = {value}"));
                done = true;
            }
            inside = t == header;
        }
        if inside && !done && t.split('=').next().map(str::trim) == Some(key) && t.contains('=') {
            out.push(format!("{key} = {value}"));
            done = true;
            continue;
        }
        out.push(line.to_string());
    }
    assert!(done || inside, "no section [{section}]");
    if !done {
        out.push(format!("{key} = {value}"));
    }
    out.join("\n") + "\n"
}

/// Option 0's record of path 0 in f64.
fn run(toml: &str) -> Vec<f64> {
    let s = load_scenario_str(toml, "test").unwrap_or_else(|e| panic!("{e}"));
    let m = flatten(&s, 1);
    let b = CpuEngine::new(Precision::F64).simulate(&m, 0, 1).unwrap();
    b.record(0, 0).to_vec()
}

/// An in-service fleet (no delay, ramp, burn-in or demand ramp) of 100 trn2 nodes on a
/// colocation lease, all of it sold reserved at an explicit price, no opex but the lease:
/// a flat daily cash flow.
fn flat() -> String {
    let mut t = hand();
    for (k, v) in [
        ("in_service", "true"),
        ("facility", "\"colo\""),
        ("reserved_fraction", "1"),
        ("maintenance_fraction_per_year", "0"),
        ("ops_usd_per_mw_year", "0"),
        ("residual_fraction", "0"),
        ("colo_usd_per_kw_month", "0"),
        ("idle_power_fraction", "0"),
    ] {
        t = set(&t, "options.t", k, v);
    }
    t = t.replace("dc_capex_per_mw_usd = 12e6\n", "");
    t = set(&t, "environment", "usd_per_kwh", "0");
    set(&t, "environment", "price_decline_per_year", "0")
}

/// Chip-hours of the hand case's 1,600 chips in one day.
const CHIP_H_DAY: f64 = 1600.0 * 24.0;

/// Bisection root of `f` on `[lo, hi]` (200 steps).
fn root(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let m = 0.5 * (lo + hi);
        if (f(m) > 0.0) == (f(lo) > 0.0) {
            lo = m;
        } else {
            hi = m;
        }
    }
    0.5 * (lo + hi)
}

/// The hand case computed independently, day by day from the review's semantics: the daily
/// flows (day t) and the residual (at the horizon), the NPV, the levelized cost per sold
/// chip-hour.
fn hand_by_hand() -> (Vec<f64>, f64, f64, f64) {
    let (h, nodes, cpn, delay, ramp) = (1825usize, 100u64, 16.0, 30usize, 60u64);
    let kw = 0.75;
    let dc = nodes as f64 * cpn * kw / 1000.0 * 12e6;
    let arrived = |t: usize| -> u64 {
        if t < delay {
            return 0;
        }
        let k = (t - delay + 1) as u64;
        if k >= ramp {
            nodes
        } else {
            nodes / ramp * k + (nodes % ramp) * k / ramp
        }
    };
    let (mut hw, mut prev, mut npv, mut pvc, mut pvh) = (0.0, 0u64, 0.0, 0.0, 0.0);
    let mut flows = Vec::new();
    let df = |t: f64| 1.1f64.powf(-t / 365.0);
    for t in 0..h {
        let inst = arrived(t);
        let capex = if t == 0 { dc } else { 0.0 } + (inst - prev) as f64 * cpn * 25_000.0;
        hw += (inst - prev) as f64 * cpn * 25_000.0;
        prev = inst;
        let ach = inst as f64 * cpn * 24.0;
        let util = if t >= delay { 0.75 } else { 0.0 };
        let sold = 0.6 + 0.4 * util;
        let tf = t as f64;
        let rev = ach * (0.6 * 1.85 + 0.4 * 2.5 * 0.85f64.powf(tf / 365.0) * util);
        let e = ach * kw * (0.3 + 0.7 * sold) * 1.2;
        let op = e * 0.08 * 1.03f64.powf(tf / 365.0)
            + 0.04 / 365.0 * hw
            + 150_000.0 / 365.0 * inst as f64 * cpn * kw / 1000.0;
        let cf = rev - op - capex;
        npv += cf * df(tf);
        pvc += (capex + op) * df(tf);
        pvh += ach * sold * df(tf);
        flows.push(cf);
    }
    let res = 0.10 * hw + dc * (1.0 - h as f64 / (15.0 * 365.0));
    npv += res * df(h as f64);
    pvc -= res * df(h as f64);
    (flows, res, npv, pvc / pvh)
}

/// The review's hand case: the NPV and the levelized cost match the independent daily
/// calculation to 1e-7 (f64 sums of 1,825 days in a different order), the payback is day
/// 997, and the IRR is the XIRR of the same dated flows (35.585 %) to 2e-5: the buckets'
/// first-order expansion leaves an error of order `l^2 d^2 / 2` (`l` = 0.0008 a day, `d` up to
/// 15 days), about 1e-4 of a bucket's flow, which moves the root by a few 1e-6.
#[test]
fn the_hand_case_has_its_hand_npv_xirr_and_levelized_cost() {
    let r = run(&hand());
    let (flows, res, npv, lev) = hand_by_hand();
    assert!(
        (r[idx::NPV_USD] / npv - 1.0).abs() < 1e-7,
        "{} vs {npv}",
        r[idx::NPV_USD]
    );
    assert_eq!(r[idx::PAYBACK_DAYS], 997.0);
    let xnpv = |rate: f64| -> f64 {
        let l = (1.0 + rate).ln() / 365.0;
        let daily: f64 = flows
            .iter()
            .enumerate()
            .map(|(t, c)| c * (-l * t as f64).exp())
            .sum();
        daily + res * (-l * flows.len() as f64).exp()
    };
    let xirr = root(xnpv, -0.5, 5.0);
    assert!((xirr - 0.35585).abs() < 1e-4, "XIRR {xirr}");
    assert!(
        (r[idx::IRR] - xirr).abs() < 2e-5,
        "IRR {} vs XIRR {xirr}",
        r[idx::IRR]
    );
    let lv = r[idx::LEVELIZED_USD_PER_SOLD_CHIP_HOUR];
    assert!((lv / lev - 1.0).abs() < 1e-7, "levelized {lv} vs {lev}");
    // Without a job view every sold chip-hour is effective: per PFLOP-hour = per chip-hour /
    // (peak x MFU).
    let per_pf = r[idx::LEVELIZED_USD_PER_EFFECTIVE_PFLOP_HOUR];
    assert!((per_pf * 0.667 * 0.35 / lv - 1.0).abs() < 1e-6);
    // The discounted payback is later than the undiscounted one, and the running NPV at it is
    // back to zero: the day before it, it was not.
    let dp = r[idx::DISCOUNTED_PAYBACK_DAYS] as usize;
    let l = 1.1f64.ln() / 365.0;
    let pv_to = |d: usize| -> f64 {
        flows[..=d]
            .iter()
            .enumerate()
            .map(|(t, c)| c * (-l * t as f64).exp())
            .sum()
    };
    assert!(dp > 997);
    assert!(
        pv_to(dp) >= 0.0 && pv_to(dp - 1) < 0.0,
        "discounted payback {dp}"
    );
}

/// NPV at the reported IRR is zero: the hand case rerun at a discount rate equal to its IRR
/// has an NPV within 3e-5 of its capex (the IRR's own tolerance above, 2e-5, times the
/// NPV's slope of about 1.3 capex per unit of rate).
#[test]
fn npv_at_the_reported_irr_is_zero() {
    let irr = run(&hand())[idx::IRR];
    let at = set(
        &hand(),
        "environment",
        "discount_rate_per_year",
        &format!("{irr:.12}"),
    );
    let r = run(&at);
    assert!(
        (r[idx::NPV_USD] / r[idx::CAPEX_USD]).abs() < 3e-5,
        "NPV at the IRR {}: {} (capex {})",
        irr,
        r[idx::NPV_USD],
        r[idx::CAPEX_USD]
    );
}

/// An annuity: capex C at day 0, then the same cash flow `a` every day of the horizon, has
/// the IRR `r` with `C = a (1 - q^H) / (1 - q)`, `q = (1 + r)^(-1/365)`. The server price is
/// chosen so that `r` = 20 %; the reported IRR is within 3e-5 of it: a flat flow has no first
/// moment inside a bucket, so only the day-0 capex is off its bucket's centre (15 days), and
/// the first moment corrects it up to `(l d)^2 / 2` = 2.8e-5 of the capex (`l` = ln 1.2 / 365),
/// which moves the root by about 1e-5.
#[test]
fn an_annuity_has_its_closed_form_irr() {
    let price = 1.85;
    let a = CHIP_H_DAY * price;
    let q = 1.2f64.powf(-1.0 / 365.0);
    let c = a * (1.0 - q.powi(1825)) / (1.0 - q);
    let t = set(
        &flat(),
        "options.t",
        "server_capex_per_chip_usd",
        &format!("{}", c / 1600.0),
    );
    let r = run(&t);
    assert!((r[idx::CAPEX_USD] / c - 1.0).abs() < 1e-6);
    assert!((r[idx::REVENUE_USD] / (a * 1825.0) - 1.0).abs() < 1e-6);
    assert!((r[idx::IRR] - 0.2).abs() < 3e-5, "IRR {}", r[idx::IRR]);
}

/// A reserved term of one year reprices each year at the market: with a 15 %/yr decline, an
/// in-service, fully reserved fleet earns `chips x 24 x price x 365 x (1 + 0.85 + ... +
/// 0.85^4)`; with the built-in 20-year term it earns the day-0 price throughout. Prepaying
/// half of each term moves cash earlier (higher NPV, same undiscounted total and revenue).
#[test]
fn reserved_terms_reprice_at_renewal_and_prepayment_only_moves_cash() {
    let base = set(&flat(), "environment", "price_decline_per_year", "0.15");
    let fixed = run(&base);
    let day0 = CHIP_H_DAY * 1.85 * 1825.0;
    assert!((fixed[idx::REVENUE_USD] / day0 - 1.0).abs() < 1e-6);
    let yearly = set(&base, "options.t", "reserved_term_years", "1");
    let y = run(&yearly);
    let steps: f64 = (0..5).map(|k| 0.85f64.powi(k)).sum();
    let expect = CHIP_H_DAY * 1.85 * 365.0 * steps;
    assert!(
        (y[idx::REVENUE_USD] / expect - 1.0).abs() < 1e-6,
        "{} vs {expect}",
        y[idx::REVENUE_USD]
    );
    let pre = run(&set(&yearly, "options.t", "prepay_fraction", "0.5"));
    assert!((pre[idx::REVENUE_USD] / y[idx::REVENUE_USD] - 1.0).abs() < 1e-6);
    let total = |r: &[f64]| -> f64 { (0..5).map(|k| r[idx::CASH_FLOW_Y1 + k]).sum() };
    assert!((total(&pre) / total(&y) - 1.0).abs() < 1e-6);
    assert!(pre[idx::NPV_USD] > y[idx::NPV_USD]);
}

/// Market prices: the reserved price per chip-hour is market x peak x MFU x (1 + premium),
/// on-demand that x (1 + on_demand_premium); a next-generation step cuts the option's market
/// price from its date on.
#[test]
fn market_prices_follow_performance_premium_and_the_next_generation() {
    let mut t = flat();
    t = t.replace("on_demand_usd_per_chip_hour = 2.5\n", "");
    t = t.replace("reserved_usd_per_chip_hour = 1.85\n", "");
    t = set(&t, "environment", "market_usd_per_pflop_hour", "4");
    t = set(&t, "environment", "on_demand_premium", "0.5");
    t = set(&t, "options.t", "price_premium", "-0.25");
    let r = run(&t);
    let p = 4.0 * 0.667 * 0.35 * 0.75;
    assert!((r[idx::REVENUE_USD] / (CHIP_H_DAY * p * 1825.0) - 1.0).abs() < 1e-6);
    // On-demand only, sold at the mean utilization (no demand noise): p x 1.5 x 0.75.
    let od = set(&t, "options.t", "reserved_fraction", "0");
    let r = run(&od);
    assert!((r[idx::REVENUE_USD] / (CHIP_H_DAY * p * 1.5 * 0.75 * 1825.0) - 1.0).abs() < 1e-6);
    // The next generation ships on day 365 (2027-01-01 from the default start 2026-01-01)
    // and takes 20 % off: 365 days at p, 1,460 at 0.8 p.
    let step = set(&od, "options.t", "next_gen_date", "\"2027-01-01\"");
    let step = set(&step, "options.t", "next_gen_price_step", "0.2");
    let r = run(&step);
    let days = 365.0 + 0.8 * 1460.0;
    assert!((r[idx::REVENUE_USD] / (CHIP_H_DAY * p * 1.5 * 0.75 * days) - 1.0).abs() < 1e-6);
    // A date before the scenario's start is already in the day-0 market: no step.
    let past = set(&step, "options.t", "next_gen_date", "\"2025-06-01\"");
    let r = run(&past);
    assert!((r[idx::REVENUE_USD] / (CHIP_H_DAY * p * 1.5 * 0.75 * 1825.0) - 1.0).abs() < 1e-6);
}

/// Rent: no capex and no energy; every delivered chip-hour is paid at the committed price
/// plus its uplift, repriced at each renewal.
#[test]
fn rent_is_take_or_pay_without_capex() {
    let mut t = set(&flat(), "options.t", "facility", "\"rent\"");
    t = t.replace("colo_usd_per_kw_month = 0\n", "");
    t = set(&t, "options.t", "rent_usd_per_chip_hour", "1.2");
    t = set(&t, "options.t", "rent_uplift_fraction", "0.1");
    t = set(&t, "options.t", "rent_term_years", "1");
    t = set(&t, "environment", "usd_per_kwh", "0.08");
    t = set(&t, "environment", "price_decline_per_year", "0.15");
    let r = run(&t);
    assert_eq!(r[idx::CAPEX_USD], 0.0);
    let steps: f64 = (0..5).map(|k| 0.85f64.powi(k)).sum();
    let rent = CHIP_H_DAY * 1.2 * 1.1 * 365.0 * steps;
    assert!(
        (r[idx::OPEX_USD] / rent - 1.0).abs() < 1e-6,
        "{} vs {rent}",
        r[idx::OPEX_USD]
    );
    assert!(r[idx::IRR].is_nan(), "no capex: no sign change, no IRR");
}

/// The build period: the data centre's capex is paid evenly over its build months and the
/// fleet is delivered at energisation; the power capacity charge runs from energisation on
/// the whole fleet's facility load.
#[test]
fn the_build_period_delays_delivery_and_spreads_dc_capex() {
    let mut t = set(&hand(), "options.t", "delivery_delay_days", "0");
    t = set(&t, "options.t", "ramp_days", "0");
    t = set(&t, "options.t", "dc_build_months", "12");
    t = set(&t, "options.t", "power_usd_per_kw_month", "10");
    t = set(&t, "options.t", "maintenance_fraction_per_year", "0");
    t = set(&t, "options.t", "ops_usd_per_mw_year", "0");
    t = set(&t, "environment", "usd_per_kwh", "0");
    let r = run(&t);
    let e = 365usize; // round(12 x 365 / 12)
    let sold = 0.6 + 0.4 * 0.75;
    let delivered = CHIP_H_DAY * sold * (1825 - e) as f64;
    assert!(
        (r[idx::CHIP_HOURS_DELIVERED] / delivered - 1.0).abs() < 1e-6,
        "{} vs {delivered}",
        r[idx::CHIP_HOURS_DELIVERED]
    );
    assert!((r[idx::CAPEX_USD] / 54.4e6 - 1.0).abs() < 1e-6);
    // Power: 1,600 chips x 0.75 kW x PUE 1.2 = 1,440 kW at USD 10 per kW-month.
    let power = 10.0 * 12.0 / 365.0 * 1440.0 * (1825 - e) as f64;
    assert!(
        (r[idx::OPEX_USD] / power - 1.0).abs() < 1e-6,
        "{} vs {power}",
        r[idx::OPEX_USD]
    );
    assert!(r[idx::NPV_USD] < run(&hand())[idx::NPV_USD]);
}

/// The data centre by use: the capital-recovery lease of its remaining life, `cost x (1 -
/// v^left) / (1 - v^life)` with `v = 1 / (1 + r)`; by book, `cost x left / life`; or nothing.
#[test]
fn the_data_centre_is_valued_by_use_book_or_not_at_all() {
    let npv = |mode: &str| run(&set(&hand(), "options.t", "dc_residual", mode))[idx::NPV_USD];
    let (use_, book, none) = (npv("\"use\""), npv("\"book\""), npv("\"none\""));
    let dc = 14.4e6;
    let df_end = 1.1f64.powf(-5.0);
    let v = 1.0 / 1.1f64;
    let by_use = dc * (1.0 - v.powf(10.0)) / (1.0 - v.powf(15.0));
    let by_book = dc * 10.0 / 15.0;
    assert!(
        ((use_ - none) / (by_use * df_end) - 1.0).abs() < 1e-6,
        "{} vs {}",
        use_ - none,
        by_use * df_end
    );
    assert!(((book - none) / (by_book * df_end) - 1.0).abs() < 1e-6);
}

/// Taxes on a colocated, in-service fleet: servers expensed at once (bonus 1) or straight-line
/// over a 5-year life with the half-year convention (bonus 0) pay the same tax over the
/// horizon, `rate x (revenue - opex - capex + residual)` (what is not deducted by the end is
/// taxed as gain on the residual), but the bonus pays it later: a higher after-tax NPV. A
/// longer life defers deductions: a lower after-tax NPV. No tax: after-tax equals pre-tax.
#[test]
fn taxes_total_the_same_and_bonus_depreciation_brings_the_shield_forward() {
    let mut t = set(&flat(), "options.t", "residual_fraction", "0.1");
    t = set(&t, "options.t", "ops_usd_per_mw_year", "150000");
    let none = run(&t);
    assert_eq!(none[idx::NPV_AFTER_TAX_USD], none[idx::NPV_USD]);
    assert_eq!(none[idx::TAX_USD], 0.0);
    t = set(&t, "environment", "tax_rate", "0.25");
    let bonus = run(&set(&t, "environment", "bonus_depreciation_fraction", "1"));
    let straight = run(&set(&t, "environment", "bonus_depreciation_fraction", "0"));
    let longer = run(&set(
        &set(&t, "environment", "bonus_depreciation_fraction", "0"),
        "options.t",
        "useful_life_years",
        "7",
    ));
    for r in [&bonus, &straight] {
        let expect = 0.25
            * (r[idx::REVENUE_USD] - r[idx::OPEX_USD] - r[idx::CAPEX_USD]
                + 0.1 * r[idx::CAPEX_USD]);
        assert!(
            (r[idx::TAX_USD] / expect - 1.0).abs() < 1e-6,
            "{} vs {expect}",
            r[idx::TAX_USD]
        );
    }
    assert!(bonus[idx::NPV_AFTER_TAX_USD] > straight[idx::NPV_AFTER_TAX_USD]);
    assert!(straight[idx::NPV_AFTER_TAX_USD] > longer[idx::NPV_AFTER_TAX_USD]);
    assert!(bonus[idx::NPV_AFTER_TAX_USD] < bonus[idx::NPV_USD]);
    assert!(bonus[idx::IRR_AFTER_TAX] < bonus[idx::IRR]);
}

/// A rented option in a budget run gives its own chips (a budget cannot size it: no capex, no
/// site power), while the owned option beside it is sized by the budget; without chips the
/// error says to set them.
#[test]
fn a_rented_option_beside_a_budget_gives_its_chips() {
    let text = |rent_chips: &str| {
        format!(
            "[scenario]\nname = \"r\"\ncapital_budget_usd = 100_000_000\n[options.own]\nhardware = \"b200-hgx\"\n[options.rent]\nhardware = \"trn2\"\nfacility = \"rent\"\nrent_usd_per_chip_hour = 1.85\n{rent_chips}\n"
        )
    };
    let s =
        load_scenario_str(&text("accelerators = 3200"), "test").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.options[1].accelerators, 3200);
    assert!(!s.options[1].accelerators_from_budget);
    assert!(s.options[0].accelerators_from_budget && s.options[0].accelerators > 0);
    let e = load_scenario_str(&text(""), "test")
        .unwrap_err()
        .to_string();
    assert!(e.contains("set its accelerators"), "{e}");
}

/// Bad economics input: each new string, date and pairing rule gets an error naming the field
/// and what is allowed.
#[test]
fn bad_economics_input_names_the_field_and_what_is_allowed() {
    let err = |toml: &str| load_scenario_str(toml, "x.toml").unwrap_err().to_string();
    let cases: Vec<(String, &str, &[&str])> = vec![
        (
            set(&hand(), "environment", "price_basis", "\"int8\""),
            "environment.price_basis",
            &["\"bf16\", \"fp8\", \"fp4\", \"hbm\"", "\"int8\""],
        ),
        (
            set(&hand(), "options.t", "dc_residual", "\"resale\""),
            "options.t.dc_residual",
            &["\"use\", \"book\", \"none\""],
        ),
        (
            set(&hand(), "options.t", "next_gen_date", "\"2026-02-30\""),
            "options.t.next_gen_date",
            &["YYYY-MM-DD"],
        ),
        (
            set(&hand(), "scenario", "start_date", "20260101"),
            "scenario.start_date",
            &["YYYY-MM-DD"],
        ),
        (
            hand().replace("on_demand_usd_per_chip_hour = 2.5\n", ""),
            "options.t.reserved_usd_per_chip_hour",
            &["pair", "on_demand_usd_per_chip_hour"],
        ),
        (
            set(&hand(), "options.t", "dc_build_months", "60"),
            "options.t.dc_build_months",
            &["horizon"],
        ),
        (
            set(&hand(), "options.t", "prepay_fraction", "1.5"),
            "options.t.prepay_fraction",
            &["[0, 1]"],
        ),
        (
            set(
                &set(&flat(), "options.t", "facility", "\"rent\""),
                "options.t",
                "rent_usd_per_chip_hour",
                "0",
            ),
            "options.t.rent_usd_per_chip_hour",
            &["rent_usd_per_chip_hour", "[0, 1000]"],
        ),
        (
            set(
                &hand()
                    .replace("on_demand_usd_per_chip_hour = 2.5\n", "")
                    .replace("reserved_usd_per_chip_hour = 1.85\n", ""),
                "environment",
                "price_basis",
                "\"fp4\"",
            ),
            "options.t.peak_fp4_pflops",
            &["price_basis = \"fp4\"", "is 0"],
        ),
    ];
    for (toml, field, wants) in cases {
        let e = err(&toml);
        assert!(e.contains("x.toml") || e.contains("catalog"), "{e}");
        assert!(e.contains(field), "{field}: {e}");
        for w in wants {
            assert!(e.contains(w), "{field}: no {w:?} in {e}");
        }
    }
}
