//! The model against closed forms: Poisson failure counts, Little's law, availability =
//! MTBF/(MTBF+MTTR), Palm's theorem for spares, the annuity NPV, a hand-computed payback,
//! Young/Daly goodput, and the reproducibility / common-random-numbers guarantees.
//! Tolerances are stated next to each check and come from the Monte Carlo standard error.

mod common;
use common::*;
use fleetsim::engine::{Precision, cpu::CpuEngine, run_paths};
use fleetsim::model::outputs::idx;
use fleetsim::model::params::*;

fn lognormal(median: f64, p90: f64, lo: f64, hi: f64) -> DistSpec {
    DistSpec {
        kind: kind::LOGNORMAL,
        aux: 0,
        p: [
            median.ln() as f32,
            ((p90 / median).ln() / 1.2815515655446004) as f32,
            0.0,
            0.0,
        ],
        lo: lo as f32,
        hi: hi as f32,
    }
}

#[test]
fn failure_counts_are_poisson() {
    // 100 nodes always up (repairs take 0 h), 0.001 failures per node-day, 365 days:
    // count ~ Poisson(36.5).
    let mut o = quiet_option(100, 8);
    add_class(&mut o, 0.001, false, fx(0.0));
    let m = model(vec![o], 1, 11);
    let n = 4000;
    let b = run(&m, n, Precision::F32);
    let v = column(&b, 0, idx::SOFT_FAILURES);
    let lambda = 0.001 * 100.0 * 365.0;
    let (mean, se) = mean_se(&v);
    // 5 standard errors of the mean.
    assert!(
        (mean - lambda).abs() < 5.0 * se,
        "mean {mean} vs {lambda} (se {se})"
    );
    // Var(s^2) ~ (mu4 - sigma^4)/n with mu4 = lambda(1 + 3 lambda) for a Poisson.
    let sd_var = ((lambda + 2.0 * lambda * lambda) / n as f64).sqrt();
    let s2 = var(&v);
    assert!(
        (s2 - lambda).abs() < 5.0 * sd_var,
        "variance {s2} vs {lambda}"
    );
    assert!(column(&b, 0, idx::HARD_FAILURES).iter().all(|&h| h == 0.0));
}

#[test]
fn littles_law_and_availability() {
    // 200 single-chip nodes, 0.01 soft failures per node-day, lognormal repair (median 48 h,
    // p90 96 h): mean repair W = 48 exp(s^2/2) h. Little: mean nodes down L = rate x W, and
    // availability = MTBF / (MTBF + MTTR) with MTBF = 1/0.01 days.
    let nodes = 200u32;
    let lambda = 0.01;
    let mut o = quiet_option(nodes, 1);
    add_class(&mut o, lambda, false, lognormal(48.0, 96.0, 0.0, 3048.0));
    let years = 2;
    let m = model(vec![o], years, 12);
    let b = run(&m, 1000, Precision::F64);
    let s = (2.0f64).ln() / 1.2815515655446004;
    let w_days = 48.0 * (s * s / 2.0).exp() / 24.0;
    let days = 365.0 * years as f64;

    let avail = column(&b, 0, idx::AVAILABILITY);
    let fails = column(&b, 0, idx::SOFT_FAILURES);
    // Little's law per path: L = (1 - A) N, arrival rate = failures / days.
    let gap: Vec<f64> = avail
        .iter()
        .zip(&fails)
        .map(|(a, f)| (1.0 - a) * nodes as f64 - f / days * w_days)
        .collect();
    let (g, se) = mean_se(&gap);
    let l = (1.0 - mean_se(&avail).0) * nodes as f64;
    // 5 SE, plus 1% of L for repairs cut off at the horizon (about W/days of them).
    assert!(
        g.abs() < 5.0 * se + 0.01 * l,
        "Little gap {g} (se {se}, L {l})"
    );

    let mttr = w_days;
    let mtbf = 1.0 / lambda;
    let expected = mtbf / (mtbf + mttr);
    let (a, se) = mean_se(&avail);
    // 5 SE plus 5e-4 for the daily discretisation (failure rate uses the day-start count).
    assert!(
        (a - expected).abs() < 5.0 * se + 5e-4,
        "availability {a} vs MTBF/(MTBF+MTTR) {expected} (se {se})"
    );
}

/// Poisson pmf, computed iteratively.
fn pois_pmf(m: f64, k: usize) -> f64 {
    let mut p = (-m).exp();
    for i in 1..=k {
        p *= m / i as f64;
    }
    p
}

#[test]
fn spares_follow_palms_theorem() {
    // (S-1, S) model: 1000 single-chip nodes, hard failures at 0.002 per node-day, no repair or
    // swap time, RMA exactly 10 days, S = 18 spares. Outstanding RMAs on day t are the
    // failures of the last min(t+1, 10) days, ~ Poisson(rate x window) (Palm), and nodes down
    // are the backorders (X - S)+.
    let nodes = 1000u32;
    let lambda = 0.002;
    let spares = 18u32;
    let mut o = quiet_option(nodes, 1);
    add_class(&mut o, lambda, true, fx(0.0));
    o.events[opt_ev::RMA_DAYS] = fx(10.0);
    o.spare_nodes = spares;
    let years = 1;
    let m = model(vec![o], years, 13);
    let b = run(&m, 800, Precision::F64);
    let avail = column(&b, 0, idx::AVAILABILITY);
    let (a, se) = mean_se(&avail);
    let down_sim = (1.0 - a) * nodes as f64;
    let se_down = se * nodes as f64;

    let days = 365 * years as usize;
    // Failure rate acts on nodes up: use the simulated mean up count (finite-source effect).
    let rate = lambda * nodes as f64 * a;
    let mut total = 0.0;
    for t in 0..days {
        let mean = rate * ((t + 1).min(10) as f64);
        let eb: f64 = (spares as usize + 1..200)
            .map(|k| (k - spares as usize) as f64 * pois_pmf(mean, k))
            .sum();
        total += eb;
    }
    let down_palm = total / days as f64;
    assert!(
        (down_sim - down_palm).abs() < 5.0 * se_down + 0.02 * down_palm,
        "backorders {down_sim} vs Palm {down_palm} (se {se_down})"
    );
    // With no spares every failure waits its full RMA: L = rate x 10 days.
    let mut o = quiet_option(nodes, 1);
    add_class(&mut o, lambda, true, fx(0.0));
    o.events[opt_ev::RMA_DAYS] = fx(10.0);
    let b = run(&model(vec![o], years, 14), 400, Precision::F64);
    let (a0, se0) = mean_se(&column(&b, 0, idx::AVAILABILITY));
    let l0 = (1.0 - a0) * nodes as f64;
    let l_expected = lambda * nodes as f64 * a0 * (10.0 * days as f64 - 45.0) / days as f64;
    assert!(
        (l0 - l_expected).abs() < 5.0 * se0 * nodes as f64 + 0.01 * l_expected,
        "no-spare down {l0} vs {l_expected}"
    );
}

/// One option that rents all its capacity at a fixed reserved price, with nothing uncertain.
fn annuity_option(nodes: u32, price: f64) -> OptionParams {
    let mut o = quiet_option(nodes, 1);
    o.inputs[opt_in::RESERVED_FRACTION] = fx(1.0);
    o.inputs[opt_in::RESERVED_USD_PER_CHIP_HOUR] = fx(price);
    o
}

#[test]
fn npv_of_constant_cash_flow_is_the_annuity() {
    let r = 0.08;
    let mut m = model(vec![annuity_option(100, 2.5)], 5, 1);
    m.env.inputs[env_in::DISCOUNT_RATE_PER_YEAR] = fx(r);
    let c = 100.0 * 24.0 * 2.5;
    let h = 365.0 * 5.0;
    // Parameters are stored as f32: the closed form uses the same rounded rate.
    let v = (1.0f64 + (r as f32) as f64).powf(-1.0 / 365.0);
    let annuity = c * (1.0 - v.powf(h)) / (1.0 - v);
    let b64 = run(&m, 4, Precision::F64);
    let npv64 = b64.record(0, 0)[idx::NPV_USD];
    assert!(
        ((npv64 - annuity) / annuity).abs() < 1e-9,
        "f64 {npv64} vs {annuity}"
    );
    let b32 = run(&m, 4, Precision::F32);
    let npv32 = b32.record(0, 0)[idx::NPV_USD];
    // f32 with compensated sums and per-day exp(): stated bound 1e-5 relative.
    assert!(
        ((npv32 - annuity) / annuity).abs() < 1e-5,
        "f32 {npv32} vs {annuity}"
    );
    assert_eq!(b64.record(0, 0)[idx::REVENUE_USD], c * h);
}

#[test]
fn deterministic_payback_matches_hand_calculation() {
    // 100 chips at 10,000 USD each delivered on day 0, renting for 2 USD/h all day: cash
    // flow -1,000,000 + 4,800 on day 0, then 4,800 a day: back to zero on day ceil(1e6/4800)-1.
    let mut o = annuity_option(100, 2.0);
    o.inputs[opt_in::SERVER_CAPEX_PER_CHIP_USD] = fx(10_000.0);
    let m = model(vec![o], 2, 1);
    for p in [Precision::F32, Precision::F64] {
        let b = run(&m, 2, p);
        let r = b.record(0, 0);
        let expected = (1_000_000.0f64 / 4800.0).ceil() - 1.0;
        assert_eq!(r[idx::PAYBACK_DAYS], expected, "{p:?}");
        assert_eq!(r[idx::CAPEX_USD], 1_000_000.0);
        // Yearly cash flows: year 1 = 365 x 4800 - 1e6, year 2 = 365 x 4800.
        assert!((r[idx::CASH_FLOW_Y1] - (365.0 * 4800.0 - 1e6)).abs() < 1.0);
        assert!((r[idx::CASH_FLOW_Y1 + 1] - 365.0 * 4800.0).abs() < 1.0);
        // Both yearly cash flows are positive: the IRR is undefined (NaN in the record).
        assert!(r[idx::IRR].is_nan());
    }
}

#[test]
fn goodput_matches_young_daly() {
    // 1024 nodes of 8 chips, all in jobs of 1024 chips (128 nodes); soft failures at 0.001
    // per node-day with no repair time. Job MTBF M = 1/(0.001 x 128) days; checkpoint cost
    // C = 1 min, restart R = 10 min. Expected goodput 1 - C/tau - (R + tau/2)/M, maximised at
    // the Young/Daly interval tau* = sqrt(2 C M).
    let m_min: f64 = 1440.0 / (0.001 * 128.0);
    let c_min = 1.0;
    let r_min = 10.0;
    let tau_star = (2.0 * c_min * m_min).sqrt();
    let mut goodputs = vec![];
    for tau in [0.5 * tau_star, tau_star, 2.0 * tau_star] {
        let mut o = quiet_option(1024, 8);
        add_class(&mut o, 0.001, false, fx(0.0));
        o.job_chips = 1024;
        o.inputs[opt_in::JOB_FRACTION] = fx(1.0);
        o.inputs[opt_in::RESTART_MINUTES] = fx(r_min);
        o.inputs[opt_in::CHECKPOINT_INTERVAL_MINUTES] = fx(tau);
        o.inputs[opt_in::CHECKPOINT_COST_SECONDS] = fx(60.0 * c_min);
        let b = run(&model(vec![o], 1, 21), 400, Precision::F64);
        let g = column(&b, 0, idx::GOODPUT);
        let (mean, se) = mean_se(&g);
        let expected = 1.0 - c_min / tau - (r_min + tau / 2.0) / m_min;
        assert!(
            (mean - expected).abs() < 5.0 * se + 1e-6,
            "tau {tau}: goodput {mean} vs {expected} (se {se})"
        );
        let ipd = mean_se(&column(&b, 0, idx::INTERRUPTIONS_PER_JOB_DAY));
        assert!(
            (ipd.0 - 0.128).abs() < 5.0 * ipd.1,
            "interruptions/job-day {ipd:?}"
        );
        goodputs.push(mean);
    }
    assert!(
        goodputs[1] > goodputs[0] && goodputs[1] > goodputs[2],
        "{goodputs:?}"
    );
}

/// A model exercising every mechanism with uncertain inputs.
fn busy_model(seed: u64) -> FlatModel {
    let mut o = annuity_option(300, 3.0);
    o.inputs[opt_in::RESERVED_FRACTION] = DistSpec {
        kind: kind::UNIFORM,
        aux: 0,
        p: [0.2, 0.6, 0.0, 0.0],
        lo: 0.0,
        hi: 1.0,
    };
    o.inputs[opt_in::ON_DEMAND_USD_PER_CHIP_HOUR] = lognormal(4.0, 6.0, 0.0, 1000.0);
    o.inputs[opt_in::UTILIZATION_MEAN] = fx(0.7);
    o.inputs[opt_in::SERVER_CAPEX_PER_CHIP_USD] = lognormal(30_000.0, 40_000.0, 0.0, 1e7);
    o.inputs[opt_in::DELIVERY_DELAY_DAYS] = fx(30.0);
    o.inputs[opt_in::RAMP_DAYS] = fx(60.0);
    o.inputs[opt_in::BURN_IN_YIELD] = fx(0.97);
    o.inputs[opt_in::REPLACEMENT_DAYS] = fx(14.0);
    o.inputs[opt_in::CHIP_W] = fx(700.0);
    o.inputs[opt_in::PUE] = fx(1.3);
    o.events[opt_ev::RMA_DAYS] = lognormal(14.0, 30.0, 0.0, 127.0);
    o.spare_nodes = 3;
    let c = add_class(&mut o, 0.002, true, lognormal(6.0, 24.0, 0.0, 3048.0));
    o.inputs[opt_in::CLASS_BASE + opt_in::PER_CLASS * c + opt_in::CLASS_INFANT_MULT] = fx(3.0);
    o.inputs[opt_in::CLASS_BASE + opt_in::PER_CLASS * c + opt_in::CLASS_INFANT_DAYS] = fx(90.0);
    add_class(&mut o, 0.004, false, lognormal(1.0, 3.0, 0.0, 3048.0));
    o.job_chips = 64;
    o.inputs[opt_in::JOB_FRACTION] = fx(0.5);
    o.inputs[opt_in::CHECKPOINT_INTERVAL_MINUTES] = fx(120.0);
    o.inputs[opt_in::CHECKPOINT_COST_SECONDS] = fx(30.0);
    let mut o2 = o;
    o2.chips_per_node = 8;
    o2.blast_radius_chips = 16;
    let mut m = model(vec![o, o2], 3, seed);
    m.env.inputs[env_in::DISCOUNT_RATE_PER_YEAR] = fx(0.09);
    m.env.inputs[env_in::OUTAGE_RATE_PER_YEAR] = fx(2.0);
    m.env.outage_hours = lognormal(5.0, 15.0, 0.0, 720.0);
    m.env.inputs[env_in::SLA_CREDIT_FRACTION] = fx(0.1);
    m.env.inputs[env_in::DEMAND_VOLATILITY_PER_DAY] = fx(0.05);
    m.env.inputs[env_in::DEMAND_REVERSION_PER_DAY] = fx(0.03);
    m.env.inputs[env_in::USD_PER_KWH] = lognormal(0.08, 0.12, 0.0, 2.0);
    m
}

#[test]
fn same_seed_same_numbers_whatever_the_threads_and_chunks() {
    let m = busy_model(99);
    let n = 61;
    let collect = |threads: usize, chunk: u32| -> Vec<f64> {
        let e = CpuEngine::with_threads(Precision::F32, Some(threads)).unwrap();
        let mut all = vec![];
        run_paths(
            &e,
            &m,
            n,
            chunk,
            |b| all.extend_from_slice(&b.values),
            |_| {},
        )
        .unwrap();
        all
    };
    let a = collect(1, 61);
    let b = collect(2, 7);
    let c = collect(2, 1);
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    assert!(a.iter().zip(&c).all(|(x, y)| x.to_bits() == y.to_bits()));
    // A different seed gives different numbers.
    let other = run(&busy_model(100), n, Precision::F32);
    assert_ne!(a, other.values);
}

#[test]
fn options_share_the_environment() {
    // Two identical options with no hardware randomness see the same demand, outages,
    // prices: every output is identical path by path (common random numbers).
    let mut m = busy_model(5);
    for o in m.options.iter_mut() {
        o.n_classes = 0;
        o.inputs[opt_in::BURN_IN_YIELD] = fx(1.0);
        o.inputs[opt_in::SERVER_CAPEX_PER_CHIP_USD] = fx(30_000.0);
        o.inputs[opt_in::ON_DEMAND_USD_PER_CHIP_HOUR] = fx(4.0);
        o.inputs[opt_in::RESERVED_FRACTION] = fx(0.3);
        o.chips_per_node = 1;
        o.blast_radius_chips = 1;
        o.job_chips = 0;
    }
    let b = run(&m, 50, Precision::F32);
    let mut differs_between_paths = false;
    for i in 0..50 {
        let bits = |o: usize| -> Vec<u64> { b.record(i, o).iter().map(|v| v.to_bits()).collect() };
        assert_eq!(bits(0), bits(1), "path {i}");
        differs_between_paths |= b.record(i, 0)[idx::NPV_USD] != b.record(0, 0)[idx::NPV_USD];
    }
    assert!(
        differs_between_paths,
        "the environment is random across paths"
    );
}
