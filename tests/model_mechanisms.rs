//! One mechanism at a time against a hand calculation: energy and power, price decline,
//! demand, colocation, maintenance and operations, residual value and depreciation, burn-in,
//! infant mortality, regional outages with SLA credits, the Gaussian copula, the IRR.

use crate::common;
use common::*;
use fleetsim::engine::Precision;
use fleetsim::model::fleet_step::{irr_dated, sample_inputs};
use fleetsim::model::outputs::idx;
use fleetsim::model::params::*;

/// `n` single-chip nodes renting everything reserved at `price`, nothing else going on.
fn rented(n: u32, price: f64) -> OptionParams {
    let mut o = quiet_option(n, 1);
    o.inputs[opt_in::RESERVED_FRACTION] = fx(1.0);
    o.inputs[opt_in::RESERVED_USD_PER_CHIP_HOUR] = fx(price);
    o
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-9)
}

#[test]
fn energy_follows_power_load_and_pue() {
    // 100 chips, (700 + 300) W IT each, idle 30%, all sold (load 1), PUE 1.25, 1 year:
    // energy = 100 x 1 kW x 8760 h x 1.25 = 1,095 MWh; cost at 0.08 USD/kWh = 87,600 USD.
    let mut o = rented(100, 1.0);
    o.inputs[opt_in::CHIP_W] = fx(700.0);
    o.inputs[opt_in::HOST_W_PER_CHIP] = fx(300.0);
    o.inputs[opt_in::IDLE_POWER_FRACTION] = fx(0.3);
    o.inputs[opt_in::PUE] = fx(1.25);
    let mut m = model(vec![o], 1, 1);
    m.env.inputs[env_in::USD_PER_KWH] = fx(0.08);
    let r = one_path(&m);
    assert!(
        close(r[idx::ENERGY_MWH], 1095.0, 1e-9),
        "{}",
        r[idx::ENERGY_MWH]
    );
    assert!(
        close(r[idx::OPEX_USD], 87_600.0, 1e-6),
        "{}",
        r[idx::OPEX_USD]
    );

    // Half sold on demand (no demand noise): load 0.5 -> power 0.3 + 0.7 x 0.5 = 0.65 of full.
    let mut o2 = o;
    o2.inputs[opt_in::RESERVED_FRACTION] = fx(0.0);
    o2.inputs[opt_in::UTILIZATION_MEAN] = fx(0.5);
    o2.inputs[opt_in::ON_DEMAND_USD_PER_CHIP_HOUR] = fx(2.0);
    let r = one_path(&model(vec![o2], 1, 1));
    assert!(
        close(r[idx::ENERGY_MWH], 1095.0 * 0.65, 1e-6),
        "{}",
        r[idx::ENERGY_MWH]
    );
    // Revenue = 100 chips x 8760 h x 2 USD x 0.5 sold.
    assert!(
        close(r[idx::REVENUE_USD], 876_000.0, 1e-6),
        "{}",
        r[idx::REVENUE_USD]
    );
    assert!(close(r[idx::CHIP_HOURS_DELIVERED], 438_000.0, 1e-6));
}

#[test]
fn on_demand_price_declines_geometrically_and_electricity_escalates() {
    // On-demand price p (1 - d)^(t/365), fully sold: revenue = sum over days of 24 n p v^t with
    // v = (1 - d)^(1/365). Electricity escalates the same way with (1 + e).
    let (n, p, d, e) = (10.0, 3.0, 0.2, 0.1);
    let mut o = quiet_option(10, 1);
    o.inputs[opt_in::ON_DEMAND_USD_PER_CHIP_HOUR] = fx(p);
    o.inputs[opt_in::UTILIZATION_MEAN] = fx(0.999);
    o.inputs[opt_in::CHIP_W] = fx(1000.0);
    o.inputs[opt_in::IDLE_POWER_FRACTION] = fx(1.0);
    let mut m = model(vec![o], 2, 1);
    m.env.inputs[env_in::PRICE_DECLINE_PER_YEAR] = fx(d);
    m.env.inputs[env_in::ELECTRICITY_ESCALATION_PER_YEAR] = fx(e);
    m.env.inputs[env_in::USD_PER_KWH] = fx(0.1);
    let r = one_path(&m);
    let f32r = |x: f64| (x as f32) as f64;
    let v = (1.0 - f32r(d)).powf(1.0 / 365.0);
    let w = (1.0 + f32r(e)).powf(1.0 / 365.0);
    let days = 730;
    let rev: f64 = (0..days)
        .map(|t| 24.0 * n * p * f32r(0.999) * v.powi(t))
        .sum();
    let energy_cost: f64 = (0..days)
        .map(|t| 24.0 * n * 1.0 * f32r(0.1) * w.powi(t))
        .sum();
    assert!(
        close(r[idx::REVENUE_USD], rev, 1e-7),
        "{} vs {rev}",
        r[idx::REVENUE_USD]
    );
    assert!(
        close(r[idx::OPEX_USD], energy_cost, 1e-7),
        "{} vs {energy_cost}",
        r[idx::OPEX_USD]
    );
}

#[test]
fn facility_costs_build_or_colocate() {
    // 1,000 chips at 1 kW IT: 1 MW. Build: 10 M USD/MW paid on day 0, 20-year life ->
    // residual 1 - 1/20 after one year; ops 200k USD/MW-year. Colo: 150 USD/kW-month ->
    // 1.8 M USD a year, no DC capex.
    let mut o = rented(1000, 0.0);
    o.inputs[opt_in::CHIP_W] = fx(1000.0);
    o.inputs[opt_in::DC_CAPEX_PER_MW_USD] = fx(10e6);
    o.inputs[opt_in::DC_LIFE_YEARS] = fx(20.0);
    o.inputs[opt_in::OPS_USD_PER_MW_YEAR] = fx(200_000.0);
    o.inputs[opt_in::COLO_USD_PER_KW_MONTH] = fx(150.0);
    let r = one_path(&model(vec![o], 1, 1));
    assert!(close(r[idx::CAPEX_USD], 10e6, 1e-9));
    assert!(
        close(r[idx::OPEX_USD], 200_000.0, 1e-9),
        "{}",
        r[idx::OPEX_USD]
    );
    // Last-year cash flow = -capex - ops + residual (19/20 of the build).
    let cf = r[idx::CASH_FLOW_Y1];
    assert!(close(cf, -10e6 - 200_000.0 + 9.5e6, 1e-9), "{cf}");
    // Operating income: depreciation 1/20 of the build.
    assert!(close(
        r[idx::OPERATING_INCOME_USD],
        -200_000.0 - 0.5e6,
        1e-9
    ));

    let mut c = o;
    c.flags |= flags::COLO;
    let r = one_path(&model(vec![c], 1, 1));
    assert_eq!(r[idx::CAPEX_USD], 0.0);
    assert!(
        close(r[idx::OPEX_USD], 1_800_000.0 + 200_000.0, 1e-9),
        "{}",
        r[idx::OPEX_USD]
    );
}

#[test]
fn maintenance_residual_and_hardware_depreciation() {
    // 100 chips at 20k USD on day 0: 2 M USD. Maintenance 10%/year -> 200k a year; residual
    // 30% after 2 years; straight-line depreciation over 4 years -> half in 2 years.
    let mut o = rented(100, 0.0);
    o.inputs[opt_in::SERVER_CAPEX_PER_CHIP_USD] = fx(20_000.0);
    o.inputs[opt_in::MAINTENANCE_FRACTION_PER_YEAR] = fx(0.1);
    o.inputs[opt_in::RESIDUAL_FRACTION] = fx(0.3);
    o.inputs[opt_in::USEFUL_LIFE_YEARS] = fx(4.0);
    let r = one_path(&model(vec![o], 2, 1));
    assert!(
        close(r[idx::OPEX_USD], 400_000.0, 1e-6),
        "{}",
        r[idx::OPEX_USD]
    );
    assert!(close(r[idx::OPERATING_INCOME_USD], -400_000.0 - 1e6, 1e-6));
    assert!(close(
        r[idx::CASH_FLOW_Y1 + 1],
        -200_000.0 + 600_000.0,
        1e-6
    ));
    // Cost per chip-hour: (capex + opex - residual) / delivered hours (100 x 17,520).
    assert_eq!(r[idx::CHIP_HOURS_DELIVERED], 100.0 * 17_520.0);
    let cost = 2e6 + 400_000.0 - 600_000.0;
    assert!(close(r[idx::USD_PER_CHIP_HOUR], cost / 1_752_000.0, 1e-6));
}

#[test]
fn burn_in_rejects_wait_for_replacement() {
    // 2,000 single-chip nodes delivered on day 0, yield 0.9, replacement after 20 days:
    // expected lost chip-days = 2,000 x 0.1 x 20 = 4,000 of 2,000 x 365.
    let mut o = rented(2000, 1.0);
    o.inputs[opt_in::BURN_IN_YIELD] = fx(0.9);
    o.inputs[opt_in::REPLACEMENT_DAYS] = fx(20.0);
    let b = run(&model(vec![o], 1, 4), 400, Precision::F64);
    let lost: Vec<f64> = column(&b, 0, idx::AVAILABILITY)
        .iter()
        .map(|a| (1.0 - a) * 2000.0 * 365.0)
        .collect();
    let (mean, se) = mean_se(&lost);
    assert!(
        (mean - 4000.0).abs() < 5.0 * se,
        "lost chip-days {mean} (se {se})"
    );
    // Binomial(2000, 0.1): sd of rejects = sqrt(180) = 13.4 -> sd of lost days = 268.
    let sd = var(&lost).sqrt();
    assert!((sd - 20.0 * 180f64.sqrt()).abs() < 0.15 * 268.0, "sd {sd}");
}

#[test]
fn infant_mortality_multiplies_early_failures() {
    // Soft failures at 0.001 per node-day on 1,000 nodes delivered on day 0, x4 for the first
    // 100 days: expected count over one year = 0.001 x 1000 x (4 x 100 + 265) = 665.
    let mut o = quiet_option(1000, 1);
    let c = add_class(&mut o, 0.001, false, fx(0.0));
    o.inputs[opt_in::CLASS_BASE + opt_in::PER_CLASS * c + opt_in::CLASS_INFANT_MULT] = fx(4.0);
    o.inputs[opt_in::CLASS_BASE + opt_in::PER_CLASS * c + opt_in::CLASS_INFANT_DAYS] = fx(100.0);
    let b = run(&model(vec![o], 1, 5), 600, Precision::F64);
    let (mean, se) = mean_se(&column(&b, 0, idx::SOFT_FAILURES));
    assert!((mean - 665.0).abs() < 5.0 * se, "{mean} (se {se})");
}

#[test]
fn regional_outages_cost_availability_and_sla_credits() {
    // 2 outages a year of exactly 12 h, each starting at a uniform time s of its day:
    // expected unavailable share 2 x 12 / 8760 (hours carried past midnight are still lost).
    // Revenue on affected days is refunded 10%: when s <= 12 (half the time) the outage fits
    // in its day, which earns 12 h; when s > 12 it spans two days that earn s and 36 - s
    // hours, 36 in all. So the expected refund is 0.1 x (12 + 36) / 2 = 0.1 x 24 h per outage.
    let mut o = rented(100, 1.0);
    o.inputs[opt_in::RESERVED_FRACTION] = fx(1.0);
    let mut m = model(vec![o], 2, 6);
    m.env.inputs[env_in::OUTAGE_RATE_PER_YEAR] = fx(2.0);
    m.env.outage_hours = fx(12.0);
    m.env.inputs[env_in::SLA_CREDIT_FRACTION] = fx(0.1);
    let b = run(&m, 3000, Precision::F64);
    let (a, se) = mean_se(&column(&b, 0, idx::AVAILABILITY));
    let expected = 1.0 - 2.0 * 12.0 / 8760.0;
    assert!(
        (a - expected).abs() < 5.0 * se,
        "availability {a} vs {expected} (se {se})"
    );
    // Revenue: 100 chips x available hours x 1 USD minus 10% of the affected days' revenue.
    let (rev, se_r) = mean_se(&column(&b, 0, idx::REVENUE_USD));
    let full = 100.0 * 8760.0 * 2.0;
    let outages = 2.0 * 2.0;
    let expected_rev = full - outages * 100.0 * 12.0 - outages * 0.1 * 100.0 * 24.0;
    assert!(
        (rev - expected_rev).abs() < 5.0 * se_r + 1.0,
        "revenue {rev} vs {expected_rev}"
    );
}

#[test]
fn copula_gives_the_requested_rank_correlation() {
    // Two uniform inputs tied with Spearman 0.7 (Pearson in normal space 2 sin(pi 0.7 / 6)).
    let o = quiet_option(10, 1);
    let mut m = model(vec![o], 1, 8);
    let uni = DistSpec {
        kind: kind::UNIFORM,
        aux: 0,
        p: [0.0, 1.0, 0.0, 0.0],
        lo: 0.0,
        hi: 1.0,
    };
    m.env.inputs[env_in::USD_PER_KWH] = uni;
    m.options[0].inputs[opt_in::PUE] = uni;
    let rho_s: f64 = 0.7;
    let r = 2.0 * (std::f64::consts::PI * rho_s / 6.0).sin();
    m.run.n_corr = 2;
    m.corr.idx[0] = env_in::USD_PER_KWH as u32;
    m.corr.idx[1] = (env_in::COUNT + opt_in::PUE) as u32;
    m.corr.chol[0] = 1.0;
    m.corr.chol[MAX_CORR] = r as f32;
    m.corr.chol[MAX_CORR + 1] = (1.0 - r * r).sqrt() as f32;
    let n = 20_000;
    let (xs, ys): (Vec<f64>, Vec<f64>) = (0..n)
        .map(|p| {
            let x = sample_inputs::<f64>(&m, p);
            (x.env[env_in::USD_PER_KWH], x.opt[0][opt_in::PUE])
        })
        .unzip();
    // Uniform margins: Spearman = Pearson of the values themselves.
    let rho = pearson(&xs, &ys);
    let (mx, my) = (mean_se(&xs).0, mean_se(&ys).0);
    // se of a correlation ~ (1 - rho^2) / sqrt(n) = 0.0036.
    assert!(
        (rho - rho_s).abs() < 5.0 * (1.0 - rho_s * rho_s) / (n as f64).sqrt(),
        "{rho}"
    );
    // Uncorrelated inputs stay uncorrelated: both margins still uniform.
    assert!((mx - 0.5).abs() < 0.01 && (my - 0.5).abs() < 0.01);
}

#[test]
fn irr_solves_the_dated_cash_flows() {
    // Buckets a year apart (centres 365 days apart): -100 then 60, 60 -> 100 = 60/(1+r) +
    // 60/(1+r)^2 -> r = 0.130662...; with x = 1/(1+r): 60 x^2 + 60 x - 100 = 0.
    let mut cf = [0.0f64; MAX_BUCKETS];
    let mut m1 = [0.0f64; MAX_BUCKETS];
    cf[..3].copy_from_slice(&[-100.0, 60.0, 60.0]);
    let r = irr_dated(&cf, &m1, 365);
    let x = (-60.0 + (3600.0f64 + 4.0 * 60.0 * 100.0).sqrt()) / 120.0;
    let expected = 1.0 / x - 1.0;
    assert!((r - expected).abs() < 1e-12, "{r} vs {expected}");
    // A bucket's first moment dates its flow: with 31-day buckets, -100 at bucket 0's centre
    // and 110 in bucket 12, 10 days before its centre (t = 362 days after the first):
    // 110 (1 + r)^(-362 / 365) = 100, r = 1.1^(365 / 362) - 1, up to the expansion's
    // second-order term (l d)^2 / 2 = 3e-6 of the flow.
    cf[..3].copy_from_slice(&[-100.0, 0.0, 0.0]);
    cf[12] = 110.0;
    m1[12] = 110.0 * -10.0;
    let r = irr_dated(&cf, &m1, 31);
    let exact = 1.1f64.powf(365.0 / 362.0) - 1.0;
    assert!((r - exact).abs() < 1e-5, "{r} vs {exact}");
    cf[12] = 0.0;
    m1[12] = 0.0;
    m1[1] = 0.0;
    cf[..3].copy_from_slice(&[100.0, 50.0, 0.0]);
    assert!(
        irr_dated(&cf, &m1, 365).is_nan(),
        "no sign change: undefined"
    );
    let mut c32 = [0.0f32; MAX_BUCKETS];
    c32[..2].copy_from_slice(&[-100.0, 110.0]);
    assert!((irr_dated(&c32, &[0.0f32; MAX_BUCKETS], 365) - 0.1).abs() < 1e-5);
}

#[test]
fn parts_are_paid_after_warranty() {
    // Hard failures with no other cost: with warranty 0 every failure costs the part; with a
    // warranty longer than the horizon none does.
    let mut o = quiet_option(500, 1);
    add_class(&mut o, 0.002, true, fx(1.0));
    set_rma_days(&mut o, fx(5.0));
    o.spare_nodes = 50;
    o.inputs[opt_in::PART_COST_USD] = fx(1234.0);
    let b = run(&model(vec![o], 1, 9), 50, Precision::F64);
    for i in 0..50 {
        let r = b.record(i, 0);
        assert!(r[idx::HARD_FAILURES] > 0.0);
        assert_eq!(r[idx::OPEX_USD], 1234.0 * r[idx::HARD_FAILURES]);
    }
    let mut w = o;
    w.inputs[opt_in::WARRANTY_YEARS] = fx(3.0);
    let b = run(&model(vec![w], 1, 9), 50, Precision::F64);
    assert!((0..50).all(|i| b.record(i, 0)[idx::OPEX_USD] == 0.0));
}

#[test]
fn blast_radius_applies_during_repair_not_while_waiting_for_parts() {
    // Same seed, same failures: a node under repair stops 4 nodes' worth of chips when the
    // blast radius is 4 nodes, so lost chip-hours are exactly 4x...
    let mk = |blast: u32, hard: bool| {
        let mut o = quiet_option(400, 2);
        o.blast_radius_chips = 2 * blast;
        add_class(&mut o, 0.003, hard, fx(if hard { 0.0 } else { 30.0 }));
        set_rma_days(&mut o, fx(12.0));
        model(vec![o], 1, 10)
    };
    let lost = |m: &FlatModel| -> Vec<f64> {
        column(&run(m, 20, Precision::F64), 0, idx::AVAILABILITY)
            .iter()
            .map(|a| (1.0 - a) * 800.0 * 8760.0)
            .collect()
    };
    let (one, four) = (lost(&mk(1, false)), lost(&mk(4, false)));
    for (a, b) in one.iter().zip(&four) {
        assert!(*a > 0.0 && (b / a - 4.0).abs() < 1e-9, "{a} {b}");
    }
    // ...while a node waiting for its part (no spares: every hard failure is a backorder) is
    // isolated from its domain and stops only its own chips.
    let (one, four) = (lost(&mk(1, true)), lost(&mk(4, true)));
    for (a, b) in one.iter().zip(&four) {
        assert!(*a > 0.0 && (b - a).abs() < 1e-6 * a, "{a} {b}");
    }
}

#[test]
fn config_correlations_reach_the_engine() {
    // End to end: a [[correlations]] entry in TOML ties the sampled inputs it names.
    let toml = r#"
        [scenario]
        name = "copula"
        [environment]
        usd_per_kwh = { dist = "uniform", lo = 0.05, hi = 0.15 }
        [options.a]
        hardware = "h100"
        accelerators = 800
        pue = { dist = "uniform", lo = 1.1, hi = 1.5 }
        [[correlations]]
        inputs = ["environment.usd_per_kwh", "options.a.pue"]
        rank_correlation = -0.6
    "#;
    let s = fleetsim::config::load_scenario_str(toml, "copula.toml").unwrap();
    let m = fleetsim::config::flatten(&s, 3);
    let n = 20_000u32;
    let (xs, ys): (Vec<f64>, Vec<f64>) = (0..n)
        .map(|p| {
            let x = sample_inputs::<f64>(&m, p);
            (x.env[env_in::USD_PER_KWH], x.opt[0][opt_in::PUE])
        })
        .unzip();
    // Uniform margins: Pearson of the values = Spearman. se ~ (1 - rho^2)/sqrt(n).
    let rho = pearson(&xs, &ys);
    assert!((rho + 0.6).abs() < 5.0 * 0.64 / (n as f64).sqrt(), "{rho}");
}

// ---- Mechanisms outside their simplest setting (audit recommendation 1) ----

/// `(1 + r)^(-t/365)` for the f32-stored rate `r`: the model's daily discount factor.
fn discount(r: f64, t: f64) -> f64 {
    (1.0 + (r as f32) as f64).powf(-t / 365.0)
}

/// Nodes delivered by the end of day `t` (docs/MODEL.md section 6.3), written here from the
/// specification, independently of `fleet_step::arrived`.
fn delivered(nodes: u64, delay: i64, ramp: i64, t: i64) -> u64 {
    if t < delay {
        return 0;
    }
    if ramp == 0 || t - delay + 1 >= ramp {
        return nodes;
    }
    // Linear ramp, rounded down in exact integers: floor(nodes k / ramp).
    nodes * (t - delay + 1) as u64 / ramp as u64
}

#[test]
fn npv_discounts_capex_on_arrival_and_the_residual_from_the_horizon() {
    // 100 single-chip nodes at 10,000 USD, renting reserved at 2.5 USD/h, 8% a year, 5 years,
    // residual 30% of the hardware capex. Delivered on day `delay` (0 or 30): the servers are
    // paid that day (discounted v^delay), earn 24 x 100 x 2.5 a day from then on, and the
    // residual 0.3 capex comes back at the horizon, discounted v^H (H = 1825, the day after the
    // last). NPV = -capex v^d + c sum_{t=d}^{H-1} v^t + residual v^H. Catches a residual left
    // undiscounted (M14, 0.3e6 x (1 - v^H) = 97k USD off) and a one-day shift (M03).
    let r = 0.08;
    for delay in [0u32, 30] {
        let mut o = rented(100, 2.5);
        o.inputs[opt_in::SERVER_CAPEX_PER_CHIP_USD] = fx(10_000.0);
        o.inputs[opt_in::RESIDUAL_FRACTION] = fx(0.3);
        o.inputs[opt_in::DELIVERY_DELAY_DAYS] = fx(delay as f64);
        let mut m = model(vec![o], 5, 1);
        m.env.inputs[env_in::DISCOUNT_RATE_PER_YEAR] = fx(r);
        let h = 1825u32;
        let capex = 1e6;
        let residual = (0.3f32 as f64) * capex;
        let c = 100.0 * 24.0 * 2.5;
        let annuity: f64 = (delay..h).map(|t| c * discount(r, t as f64)).sum();
        let expected =
            -capex * discount(r, delay as f64) + annuity + residual * discount(r, h as f64);
        let got = one_path(&m);
        assert!(
            close(got[idx::NPV_USD], expected, 1e-9),
            "delay {delay}: NPV {} vs {expected}",
            got[idx::NPV_USD]
        );
        assert_eq!(got[idx::CAPEX_USD], capex);
        // Undiscounted: the residual is in the last year's cash flow.
        let y5 = c * 365.0 + residual;
        assert!(
            close(got[idx::CASH_FLOW_Y1 + 4], y5, 1e-9),
            "{}",
            got[idx::CASH_FLOW_Y1 + 4]
        );
    }
}

#[test]
fn depreciation_runs_from_the_delivery_day() {
    // 2 M USD of servers delivered on day 100 of a 2-year horizon, 4-year life, nothing else:
    // depreciation = capex (H - delay) / life = 2e6 x 630 / 1460 and operating income is its
    // negative. Counting from day 0 (M20) would give 2e6 x 730 / 1460.
    let mut o = rented(100, 0.0);
    o.inputs[opt_in::SERVER_CAPEX_PER_CHIP_USD] = fx(20_000.0);
    o.inputs[opt_in::USEFUL_LIFE_YEARS] = fx(4.0);
    o.inputs[opt_in::DELIVERY_DELAY_DAYS] = fx(100.0);
    let r = one_path(&model(vec![o], 2, 1));
    let dep = 2e6 * (730.0 - 100.0) / 1460.0;
    assert!(
        close(r[idx::OPERATING_INCOME_USD], -dep, 1e-9),
        "{} vs {}",
        r[idx::OPERATING_INCOME_USD],
        -dep
    );
    // A life shorter than the time in service: fully depreciated, never more.
    let mut short = o;
    short.inputs[opt_in::USEFUL_LIFE_YEARS] = fx(1.0);
    let r = one_path(&model(vec![short], 2, 1));
    assert!(close(r[idx::OPERATING_INCOME_USD], -2e6, 1e-9));
}

#[test]
fn the_delivery_ramp_gives_the_hand_counts_and_their_revenue() {
    use fleetsim::model::fleet_step::arrived;
    // 10 nodes, delay 5, ramp 4: k = t - 5 + 1 = 1..4 -> 10 k / 4 rounded down = 2, 5, 7, 10.
    let hand = [0, 0, 0, 0, 0, 2, 5, 7, 10, 10, 10];
    for (t, want) in hand.iter().enumerate() {
        assert_eq!(arrived(10, 5, 4, t as i64), *want, "day {t}");
        assert_eq!(delivered(10, 5, 4, t as i64), *want as u64, "day {t}");
    }
    assert_eq!(arrived(10, 5, 4, -1), 0);
    assert_eq!(arrived(10, 5, 0, 5), 10, "no ramp: all on the delivery day");
    assert_eq!(arrived(10, 5, 0, 4), 0);
    // 7 nodes over 3 days: 2, 4, 7.
    assert_eq!(
        (2..6).map(|t| arrived(7, 2, 3, t)).collect::<Vec<_>>(),
        [2, 4, 7, 7]
    );
    // Through the engine: everything reserved at 1 USD per chip-hour, so revenue is exactly
    // 24 x chips per node x sum_t delivered(t) and each node is paid on its arrival day.
    for (nodes, delay, ramp, cpn) in [(10u32, 5u32, 4u32, 1u32), (37, 20, 90, 8), (5, 0, 9, 2)] {
        let mut o = rented(nodes, 1.0);
        o.chips_per_node = cpn;
        o.blast_radius_chips = cpn;
        o.inputs[opt_in::DELIVERY_DELAY_DAYS] = fx(delay as f64);
        o.inputs[opt_in::RAMP_DAYS] = fx(ramp as f64);
        o.inputs[opt_in::SERVER_CAPEX_PER_CHIP_USD] = fx(1000.0);
        let mut m = model(vec![o], 1, 1);
        let r = 0.1;
        m.env.inputs[env_in::DISCOUNT_RATE_PER_YEAR] = fx(r);
        let got = one_path(&m);
        let d = |t: i64| delivered(nodes as u64, delay as i64, ramp as i64, t) as f64;
        let node_days: f64 = (0..365).map(d).sum();
        let want = 24.0 * cpn as f64 * node_days;
        assert_eq!(got[idx::REVENUE_USD], want, "{nodes} {delay} {ramp}");
        assert_eq!(got[idx::CHIP_HOURS_DELIVERED], want);
        // NPV: each day's revenue less the servers arriving that day, discounted.
        let capex_node = 1000.0 * cpn as f64;
        let npv: f64 = (0..365)
            .map(|t| {
                let new = d(t) - d(t - 1);
                (24.0 * cpn as f64 * d(t) - capex_node * new) * discount(r, t as f64)
            })
            .sum();
        assert!(
            close(got[idx::NPV_USD], npv, 1e-9),
            "{} vs {npv}",
            got[idx::NPV_USD]
        );
    }
}

#[test]
fn the_price_decline_applies_to_on_demand_revenue_only() {
    // Half reserved at a fixed 2 USD/h, half on demand at 3 USD/h declining 20% a year, fully
    // sold (0.999): revenue = sum_t 24 n (0.5 x 2 + 0.5 x 3 v^t x 0.999). Declining the
    // reserved price too (M16) loses about 10% of the reserved half over two years.
    let (n, p_res, p_od, d) = (10.0, 2.0, 3.0, 0.2);
    let mut o = quiet_option(10, 1);
    o.inputs[opt_in::RESERVED_FRACTION] = fx(0.5);
    o.inputs[opt_in::RESERVED_USD_PER_CHIP_HOUR] = fx(p_res);
    o.inputs[opt_in::ON_DEMAND_USD_PER_CHIP_HOUR] = fx(p_od);
    o.inputs[opt_in::UTILIZATION_MEAN] = fx(0.999);
    let mut m = model(vec![o], 2, 1);
    m.env.inputs[env_in::PRICE_DECLINE_PER_YEAR] = fx(d);
    let r = one_path(&m);
    let f32r = |x: f64| (x as f32) as f64;
    let v = (1.0 - f32r(d)).powf(1.0 / 365.0);
    let rev: f64 = (0..730)
        .map(|t| 24.0 * n * (0.5 * p_res + 0.5 * p_od * v.powi(t) * f32r(0.999)))
        .sum();
    assert!(
        close(r[idx::REVENUE_USD], rev, 1e-9),
        "{} vs {rev}",
        r[idx::REVENUE_USD]
    );
    // All reserved: no decline at all, exactly 24 n p_res H.
    let mut all = o;
    all.inputs[opt_in::RESERVED_FRACTION] = fx(1.0);
    let mut m = model(vec![all], 2, 1);
    m.env.inputs[env_in::PRICE_DECLINE_PER_YEAR] = fx(d);
    assert_eq!(one_path(&m)[idx::REVENUE_USD], 24.0 * n * p_res * 730.0);
}
