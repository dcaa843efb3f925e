//! The horizon in days, fleets already in service at day 0, more than four options and the
//! monthly SLA tiers: each config rule (the message names the file, the key and the range or
//! reason) and the model against closed forms on the CPU engine. The GPU twins of these checks
//! are in `tests/gpu_equivalence.rs`.

use crate::common;
use crate::config_errors::{BASE, FILE, assert_line, err};
use common::*;
use fleetsim::config::{IssueKind, flatten, load_scenario_str};
use fleetsim::engine::Precision;
use fleetsim::model::fleet_step::{sla_month, sla_month_start, sla_tier_credit};
use fleetsim::model::outputs::{N_OUT, idx};
use fleetsim::model::params::*;

/// `BASE` with `scenario` lines added to `[scenario]` and `rest` appended.
fn text(scenario: &str, rest: &str) -> String {
    BASE.replace("name = \"t\"\n", &format!("name = \"t\"\n{scenario}\n")) + rest
}

// ----- horizon in days -------------------------------------------------------------------------

#[test]
fn horizon_days_sets_the_days_and_ceil_of_the_years() {
    for (days, years) in [(54u32, 1u32), (365, 1), (366, 2), (400, 2), (7300, 20)] {
        let s = load_scenario_str(&text(&format!("horizon_days = {days}"), ""), FILE).unwrap();
        assert_eq!((s.horizon_days(), s.horizon_years), (days, years));
        let m = flatten(&s, 1);
        assert_eq!((m.run.horizon_days, m.run.n_years), (days, years));
    }
    let s = load_scenario_str(&text("horizon_years = 3", ""), FILE).unwrap();
    assert_eq!((s.horizon_days(), s.horizon_days_given), (1095, None));
}

#[test]
fn horizon_days_and_years_together_or_out_of_range_are_errors() {
    let e = err(&text("horizon_years = 1\nhorizon_days = 54", ""));
    assert_line(&e, "scenario.horizon_days", &["not both"]);
    assert!(e.has(IssueKind::Conflict));
    for bad in ["0", "7301"] {
        let e = err(&text(&format!("horizon_days = {bad}"), ""));
        assert_line(
            &e,
            "scenario.horizon_days",
            &["allowed range [1, 7300] days", bad],
        );
        assert!(e.has(IssueKind::OutOfRange));
    }
    let e = err(&text("horizon_days = 54.5", ""));
    assert_line(&e, "scenario.horizon_days", &["integer number of days"]);
}

/// A 54-day horizon: one partial year that holds every cash flow; a 400-day one: a full year
/// and 35 days.
#[test]
fn short_and_partial_year_horizons_put_each_day_in_its_year() {
    let (nodes, cpn, price) = (10u32, 4u32, 3.0);
    let mut o = quiet_option(nodes, cpn);
    o.inputs[opt_in::RESERVED_FRACTION] = fx(1.0);
    o.inputs[opt_in::RESERVED_USD_PER_CHIP_HOUR] = fx(price);
    let per_day = (nodes * cpn) as f64 * 24.0 * price;
    for (days, years) in [(54u32, 1u32), (400, 2)] {
        let mut m = model(vec![o], years, 3);
        m.run.horizon_days = days;
        let r = one_path(&m);
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1.0);
        assert!(rel(r[idx::REVENUE_USD], per_day * days as f64) < 1e-12);
        let y1 = days.min(365) as f64 * per_day;
        assert!(rel(r[idx::CASH_FLOW_Y1], y1) < 1e-12, "{days} days: y1");
        let y2 = days.saturating_sub(365) as f64 * per_day;
        assert!(rel(r[idx::CASH_FLOW_Y1 + 1], y2) < 1e-12, "{days} days: y2");
        assert_eq!(r[idx::CASH_FLOW_Y1 + 2], 0.0);
        let inst_h = (nodes * cpn) as f64 * 24.0 * days as f64;
        assert!(rel(r[idx::AVAILABILITY], 1.0) < 1e-12);
        assert!(rel(r[idx::CHIP_HOURS_DELIVERED], inst_h) < 1e-12);
    }
}

// ----- in service at day 0 ---------------------------------------------------------------------

#[test]
fn in_service_is_a_flag_and_must_be_a_boolean() {
    let s = load_scenario_str(&text("", "in_service = true\n"), FILE).unwrap();
    assert!(s.options[0].in_service);
    assert_ne!(flatten(&s, 1).options[0].flags & flags::IN_SERVICE, 0);
    let s = load_scenario_str(&text("", ""), FILE).unwrap();
    assert!(!s.options[0].in_service);
    assert_eq!(flatten(&s, 1).options[0].flags & flags::IN_SERVICE, 0);
    let e = err(&text("", "in_service = \"yes\"\n"));
    assert_line(&e, "options.trn2.in_service", &["expected true or false"]);
    // A delivery delay beyond the horizon is no error for a fleet already in service.
    let late = "delivery_delay_days = 1000\n";
    let one = "horizon_years = 1";
    let e = err(&text(one, late));
    assert_line(&e, "options.trn2.delivery_delay_days", &["horizon"]);
    assert!(load_scenario_str(&text(one, &format!("{late}in_service = true\n")), FILE).is_ok());
}

/// In service: every node installed and up from day 0, all capex on day 0, revenue at the full
/// sold fraction from day 0 (no demand ramp), failures at the base rate (no infant uplift).
#[test]
fn an_in_service_fleet_is_installed_and_earning_from_day_0() {
    let mut m = model(
        vec![in_service_option(true), in_service_option(false)],
        1,
        17,
    );
    m.env.inputs[env_in::DEMAND_RAMP_DAYS] = fx(90.0);
    let n = 400;
    let b = run(&m, n, Precision::F64);
    let chips = 50.0 * 8.0;
    let h = 365.0;
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
    for i in 0..n as usize {
        let r = b.record(i, 0);
        assert!(rel(r[idx::AVAILABILITY], 1.0) < 1e-12, "path {i}");
        // Installed = delivered chip-hours / sold fraction (reserved 0, sold 0.5).
        assert!(rel(r[idx::CHIP_HOURS_DELIVERED], chips * 24.0 * h * 0.5) < 1e-9);
        assert!(rel(r[idx::REVENUE_USD], chips * 24.0 * h * 0.5 * 2.0) < 1e-9);
        assert_eq!(r[idx::CAPEX_USD], chips * 1000.0);
        // Everything is paid on day 0, all of it in year 1 (no residual, no costs).
        assert!(
            rel(
                r[idx::CASH_FLOW_Y1],
                r[idx::REVENUE_USD] - r[idx::CAPEX_USD]
            ) < 1e-9
        );
        // The late fleet earns less: it arrives on day 200.
        assert!(b.record(i, 1)[idx::REVENUE_USD] < 0.5 * r[idx::REVENUE_USD]);
    }
    // 0.01 per node-day on 50 nodes for 365 days, no uplift (with it: +0.01 x 50 x 100 x 9).
    let want = 0.01 * 50.0 * h;
    let (mean, se) = mean_se(&column(&b, 0, idx::SOFT_FAILURES));
    assert!((mean - want).abs() < 5.0 * se, "{mean} vs {want} (se {se})");
}

/// The flag changes constants only: an in-service option consumes the same draws as one
/// written with no delay, no ramp, yield 1 and no infant uplift, so every output is the same,
/// path by path, bit for bit (the burn-in binomial with p = 0 draws nothing, as with yield 1).
#[test]
fn in_service_equals_the_same_fleet_written_with_no_delay_ramp_burn_in_or_uplift() {
    let mut plain = in_service_option(false);
    plain.inputs[opt_in::DELIVERY_DELAY_DAYS] = fx(0.0);
    plain.inputs[opt_in::RAMP_DAYS] = fx(0.0);
    plain.inputs[opt_in::BURN_IN_YIELD] = fx(1.0);
    plain.inputs[opt_in::CLASS_BASE + opt_in::CLASS_INFANT_MULT] = fx(1.0);
    let a = run(
        &model(vec![in_service_option(true)], 1, 5),
        200,
        Precision::F32,
    );
    let b = run(&model(vec![plain], 1, 5), 200, Precision::F32);
    for (i, (x, y)) in a.values.iter().zip(&b.values).enumerate() {
        assert!(x.to_bits() == y.to_bits(), "value {i}: {x} vs {y}");
    }
}

// ----- more than four options ------------------------------------------------------------------

#[test]
fn six_options_load_and_the_first_two_keep_their_numbers() {
    let mut t = String::from("[scenario]\nname = \"t\"\nhorizon_days = 60\n");
    for i in 0..6 {
        t.push_str(&format!(
            "[options.o{i}]\nhardware = \"h100\"\naccelerators = {}\n",
            8 * (i + 1)
        ));
    }
    let s = load_scenario_str(&t, FILE).unwrap();
    let m6 = flatten(&s, 9);
    assert_eq!(m6.run.n_options, 6);
    let mut m2 = m6.clone();
    m2.options.truncate(2);
    m2.run.n_options = 2;
    let (a, b) = (run(&m6, 50, Precision::F32), run(&m2, 50, Precision::F32));
    for i in 0..50 {
        for o in 0..2 {
            let (x, y) = (a.record(i, o), b.record(i, o));
            for k in 0..N_OUT {
                assert!(
                    x[k].to_bits() == y[k].to_bits(),
                    "path {i} option {o} value {k}"
                );
            }
        }
    }
}

// ----- monthly SLA tiers -----------------------------------------------------------------------

#[test]
fn sla_months_tile_the_horizon_in_30_and_31_day_blocks() {
    assert_eq!((sla_month(0), sla_month(30), sla_month(31)), (0, 0, 1));
    assert_eq!((sla_month(364), sla_month(365)), (11, 12));
    for m in 0..240 {
        let (a, b) = (sla_month_start(m), sla_month_start(m + 1));
        assert!(b - a == 30 || b - a == 31, "month {m}: {a}..{b}");
        assert_eq!((sla_month(a), sla_month(b - 1)), (m, m));
    }
    assert_eq!(sla_month_start(12), 365);
}

#[test]
fn the_lowest_tier_a_month_falls_below_sets_its_credit() {
    let e = env_with_sla_tiers(&[(0.9999, 0.10), (0.99, 0.30), (0.95, 1.00)]);
    for (uptime, want) in [(1.0, 0.0), (0.99995, 0.0), (0.9995, 0.10), (0.995, 0.10)] {
        assert_eq!(
            sla_tier_credit::<f64>(&e, uptime),
            (want as f32) as f64,
            "{uptime}"
        );
    }
    for (uptime, want) in [(0.98, 0.30), (0.9, 1.0), (0.0, 1.0)] {
        assert_eq!(
            sla_tier_credit::<f64>(&e, uptime),
            (want as f32) as f64,
            "{uptime}"
        );
    }
}

#[test]
fn monthly_sla_config_defaults_to_the_aws_ec2_region_tiers() {
    let s = load_scenario_str(&text("", "[environment]\nsla = \"monthly\"\n"), FILE).unwrap();
    let m = flatten(&s, 1);
    assert_eq!((m.env.sla_mode, m.env.n_sla_tiers), (sla::MONTHLY, 3));
    assert_eq!(&m.env.sla_uptime_below[..3], &[0.9999, 0.99, 0.95]);
    assert_eq!(&m.env.sla_credit[..3], &[0.10, 0.30, 1.00]);
    let s = load_scenario_str(&text("", ""), FILE).unwrap();
    assert_eq!(
        (flatten(&s, 1).env.sla_mode, flatten(&s, 1).env.n_sla_tiers),
        (sla::DAILY, 0)
    );
    let own = "[environment]\nsla = \"monthly\"\nsla_tiers = [{ uptime_below = 0.999, credit = 0.25 }, { uptime_below = 0.9, credit = 0.5 }]\n";
    let m = flatten(&load_scenario_str(&text("", own), FILE).unwrap(), 1);
    assert_eq!(m.env.n_sla_tiers, 2);
    assert_eq!(&m.env.sla_uptime_below[..2], &[0.999, 0.9]);
    assert_eq!(&m.env.sla_credit[..2], &[0.25, 0.5]);
}

#[test]
fn bad_sla_settings_name_the_key_and_the_rule() {
    let env = |lines: &str| text("", &format!("[environment]\n{lines}\n"));
    let m = "sla = \"monthly\"\n";
    let e = err(&env("sla = \"weekly\""));
    assert_line(&e, "environment.sla", &["\"daily\", \"monthly\"", "weekly"]);
    let e = err(&env("sla_tiers = [{ uptime_below = 0.99, credit = 0.1 }]"));
    assert_line(
        &e,
        "environment.sla_tiers",
        &["only with sla = \"monthly\""],
    );
    let five = (0..5)
        .map(|i| format!("{{ uptime_below = 0.9{i}, credit = 0.1 }}"))
        .collect::<Vec<_>>()
        .join(", ");
    let e = err(&env(&format!("{m}sla_tiers = [{five}]")));
    assert_line(&e, "environment.sla_tiers", &["1 to 4 tiers", "got 5"]);
    assert!(e.has(IssueKind::TooMany));
    for (tier, path, frag) in [
        (
            "{ uptime_below = 0, credit = 0.1 }",
            "uptime_below",
            "(0, 1]",
        ),
        (
            "{ uptime_below = 1.5, credit = 0.1 }",
            "uptime_below",
            "(0, 1]",
        ),
        ("{ uptime_below = 0.9, credit = 1.2 }", "credit", "[0, 1]"),
        ("{ uptime_below = 0.9, credit = -0.1 }", "credit", "[0, 1]"),
        ("{ uptime_below = 0.9 }", "credit", "missing required field"),
        (
            "{ uptime_below = 0.9, credit = \"x\" }",
            "credit",
            "expected a number",
        ),
    ] {
        let e = err(&env(&format!("{m}sla_tiers = [{tier}]")));
        assert_line(&e, &format!("environment.sla_tiers[0].{path}"), &[frag]);
    }
    let e = err(&env(&format!(
        "{m}sla_tiers = [{{ uptime_below = 0.9, credit = 0.1 }}, {{ uptime_below = 0.99, credit = 0.3 }}]"
    )));
    assert_line(
        &e,
        "environment.sla_tiers[1].uptime_below",
        &["descending", "0.99"],
    );
    let e = err(&env(&format!(
        "{m}sla_tiers = [{{ uptime_below = 0.9, credit = 0.1, refund = 1 }}]"
    )));
    assert_line(&e, "environment.sla_tiers[0].refund", &["unknown key"]);
}

/// A tier that every month falls below (uptime < 1: it had an outage) credits exactly its
/// share of every month's revenue: revenue and cash flow are 0.75 of the uncredited ones, path
/// by path, and outages and availability are unchanged (the SLA draws nothing).
#[test]
fn a_monthly_tier_credits_its_share_of_every_month_with_an_outage() {
    let n = 300;
    let d = run(&sla_model(None, 4), n, Precision::F64);
    let m = run(&sla_model(Some(&[(1.0, 0.25)]), 4), n, Precision::F64);
    for i in 0..n as usize {
        let (a, b) = (d.record(i, 0), m.record(i, 0));
        assert_eq!(a[idx::AVAILABILITY], b[idx::AVAILABILITY]);
        assert!(a[idx::AVAILABILITY] < 1.0);
        for k in [idx::REVENUE_USD, idx::CASH_FLOW_Y1, idx::NPV_USD] {
            let want = 0.75 * a[k];
            assert!(
                (b[k] - want).abs() < 1e-9 * want.abs(),
                "path {i} value {k}: {} vs {want}",
                b[k]
            );
        }
    }
}

/// What the in-service flag relies on: a burn-in binomial with p = 0 draws nothing (the
/// kernel's `binomial_cached` has the same early return, `p > 0` first).
#[test]
fn a_binomial_with_p_0_consumes_no_draw() {
    use fleetsim::model::philox::DayStream;
    use fleetsim::model::sample::binomial;
    let mut a = DayStream::new([1, 2], 3, 4, 1);
    let mut b = DayStream::new([1, 2], 3, 4, 1);
    assert_eq!(binomial::<f32>(1000, 0.0, &mut a), 0);
    assert_eq!(a.next_u01::<f32>(), b.next_u01::<f32>());
}
