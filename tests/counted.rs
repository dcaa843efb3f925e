//! The counted failure process (MODEL.md 6.4c) against the event-by-event one (6.4), which
//! stays in the engines as its oracle: the same paths with every day counted
//! (`counted_min_mean = 0`) and with no day counted (infinity) share their sampled inputs, so
//! their per-path differences are paired, and every aggregate must agree within the Monte
//! Carlo standard error of that difference, on the default fleet and on a USD 20B one; and the
//! closed forms (Poisson counts, Palm's theorem, Little's law and availability) on fleets of
//! 100,000 nodes and more, where the switching rule counts every day by itself.

use crate::common;
use common::*;
use fleetsim::config::{flatten, load_scenario_str};
use fleetsim::engine::{Engine, PathBlock, Precision, cpu::CpuEngine};
use fleetsim::model::outputs::idx;
use fleetsim::model::params::*;

/// The default comparison with its capital budget replaced by `budget_usd`.
fn scaled_default(budget_usd: u64) -> FlatModel {
    let text = fleetsim::config::DEFAULT_SCENARIO.replace(
        "capital_budget_usd = 500_000_000",
        &format!("capital_budget_usd = {budget_usd}"),
    );
    let s = load_scenario_str(&text, "scaled.toml").expect("valid scaled default");
    flatten(&s, 42)
}

/// Runs `m` on `n` paths with every day counted and with none, in f64.
fn both_ways(m: &FlatModel, n: u32) -> (PathBlock, PathBlock) {
    let e = CpuEngine::new(Precision::F64);
    let mut counted = m.clone();
    counted.run.counted_min_mean = 0.0;
    let mut events = m.clone();
    events.run.counted_min_mean = f32::INFINITY;
    (
        e.simulate(&counted, 0, n).expect("counted run"),
        e.simulate(&events, 0, n).expect("event run"),
    )
}

/// Checks every listed aggregate of every option: the mean of the paired per-path difference
/// within 4.5 of its standard errors (plus a relative 1e-9 for rounding), and the standard
/// deviations within 4.5 standard errors of their difference (each sd's standard error taken
/// as `sd / sqrt(2 (n - 1))`, its normal-theory value; the two are not independent, so this is
/// conservative). Returns the largest |mean difference| / SE seen.
fn agree(test: &str, m: &FlatModel, c: &PathBlock, e: &PathBlock, metrics: &[(usize, &str)]) {
    let n = c.n_paths as usize;
    let mut worst = 0.0f64;
    for o in 0..m.run.n_options as usize {
        for &(mi, name) in metrics {
            let xc = column(c, o, mi);
            let xe = column(e, o, mi);
            if xc.iter().chain(&xe).all(|x| x.is_nan()) {
                continue; // undefined for this model (no job view: goodput)
            }
            let d: Vec<f64> = xc.iter().zip(&xe).map(|(a, b)| a - b).collect();
            let (md, se) = mean_se(&d);
            let (mc, _) = mean_se(&xc);
            let z = md.abs() / se.max(1e-300);
            if se > 0.0 {
                worst = worst.max(z);
            }
            assert!(
                md.abs() <= 4.5 * se + 1e-9 * mc.abs(),
                "{test}: option {o} {name}: mean difference {md:e} is {z:.1} SE (se {se:e}, mean {mc:e})"
            );
            let (sc, sev) = (var(&xc).sqrt(), var(&xe).sqrt());
            let se_sd = ((sc * sc + sev * sev) / (2.0 * (n as f64 - 1.0))).sqrt();
            assert!(
                (sc - sev).abs() <= 4.5 * se_sd + 1e-9 * sc,
                "{test}: option {o} {name}: sd {sc:e} (counted) vs {sev:e} (events), se {se_sd:e}"
            );
        }
    }
    eprintln!("{test}: {n} paths, largest paired mean difference {worst:.2} SE");
}

/// Every aggregate the issue names: availability, failures (all, and per class), lost
/// node-hours per class (repairs, swaps and waiting for spare units: the backorders), the
/// revenue lost to failures, goodput, and the NPV.
fn metrics(m: &FlatModel) -> Vec<(usize, String)> {
    let mut v = vec![
        (idx::AVAILABILITY, "availability".to_string()),
        (idx::HARD_FAILURES, "hard_failures".into()),
        (idx::SOFT_FAILURES, "soft_failures".into()),
        (idx::GOODPUT, "goodput".into()),
        (
            idx::PV_LOST_REVENUE_FAILURES_USD,
            "pv_lost_revenue_failures_usd".into(),
        ),
        (idx::NPV_USD, "npv_usd".into()),
    ];
    let n_classes = m.options.iter().map(|o| o.n_classes).max().unwrap_or(0) as usize;
    for k in 0..n_classes {
        v.push((idx::CLASS_FAILURES + k, format!("failures of class {k}")));
        v.push((
            idx::CLASS_LOST_NODE_HOURS + k,
            format!("lost node-hours of class {k}"),
        ));
    }
    v
}

fn check(test: &str, m: &FlatModel, n: u32) {
    let (c, e) = both_ways(m, n);
    let names = metrics(m);
    let list: Vec<(usize, &str)> = names.iter().map(|(i, s)| (*i, s.as_str())).collect();
    agree(test, m, &c, &e, &list);
}

#[test]
fn counted_days_agree_with_event_days_on_the_default_fleet() {
    // USD 0.5B each: about 5 (trn2) and 2.5 (b200) failures a day, so every class, split and
    // way back is drawn at small counts.
    check("default", &scaled_default(500_000_000), 1500);
}

#[test]
fn counted_days_agree_with_event_days_on_a_20_billion_fleet() {
    // USD 20B each: about 270 and 110 failures a day; the tray failures of both and the
    // GPU-module ones of the b200 are drawn by return day, the others' way backs one by one.
    check("20B", &scaled_default(20_000_000_000), 160);
}

#[test]
fn counted_days_agree_with_event_days_when_the_stock_runs_out() {
    // A starved pool: the stock a little below the mean pipeline (120 a day x 15.7 days), so
    // on many days some failures take a unit and the rest wait (the served / waiting split
    // over classes, the backorders).
    let mut o = quiet_option(20_000, 8);
    let a = add_class(&mut o, 0.004, true, lognormal(4.0, 30.0, 0.0, 3048.0));
    let b = add_class(&mut o, 0.002, true, lognormal(2.0, 8.0, 0.0, 3048.0));
    add_class(&mut o, 0.003, false, lognormal(0.5, 2.0, 0.0, 3048.0));
    set_rma_days(&mut o, triangular(5.0, 12.0, 30.0));
    o.spare_nodes = 0;
    o.n_units = 2;
    o.class_units = (1 << (2 * a)) | (1 << (2 * b));
    o.unit_stock[1] = 1850;
    o.unit_swap_hours[1] = 2.0;
    let m = model(vec![o], 2, 21);
    check("starved", &m, 300);
}

#[test]
fn counted_days_agree_with_event_days_on_every_way_back() {
    // Way backs by conditional binomials, one by one and by return-day counts on one option
    // (`common::mixed_way_backs_model`), with starved stocks.
    check("mixed way backs", &mixed_way_backs_model(), 200);
}

#[test]
fn failure_counts_are_poisson_at_hyperscale() {
    // 200,000 nodes always up (repairs take 0 h), 0.001 failures per node-day (200 a day:
    // every day counted), 365 days: the count is Poisson(73,000).
    let mut o = quiet_option(200_000, 16);
    add_class(&mut o, 0.0006, false, fx(0.0));
    add_class(&mut o, 0.0004, false, fx(0.0));
    let m = model(vec![o], 1, 31);
    let b = run(&m, 2000, Precision::F64);
    let v = column(&b, 0, idx::SOFT_FAILURES);
    assert_poisson_counts(&v, 0.001 * 200_000.0 * 365.0);
    // The class split: class 0 is Binomial(count, 0.6) given the count.
    let c0 = column(&b, 0, idx::CLASS_FAILURES);
    let share: f64 = c0.iter().sum::<f64>() / v.iter().sum::<f64>();
    let se_share = (0.6 * 0.4 / v.iter().sum::<f64>()).sqrt();
    assert!((share - 0.6).abs() < 5.0 * se_share, "class share {share}");
}

/// Poisson pmf, computed in logs (means in the thousands).
fn pois_pmf(m: f64, k: usize) -> f64 {
    let k = k as f64;
    (k * m.ln() - m - ln_factorial(k)).exp()
}

fn ln_factorial(k: f64) -> f64 {
    (1..=k as u64).map(|i| (i as f64).ln()).sum()
}

#[test]
fn spares_follow_palms_theorem_at_hyperscale() {
    // (S-1, S) at 100,000 single-chip nodes: hard failures at 0.002 per node-day (200 a day),
    // no repair or swap time, RMA triangular(5, 10, 20) days rounded to whole days, stock S
    // a little above the mean pipeline. Units outstanding at the end of day t (today's
    // failures included) are Poisson(rate x sum_{j=0..t} P(RD > j)) (Palm), and the nodes down
    // are the backorders (X - S)+.
    let nodes = 100_000u32;
    let lambda = 0.002;
    let rma = triangular(5.0, 10.0, 20.0);
    let mut o = quiet_option(nodes, 1);
    add_class(&mut o, lambda, true, fx(0.0));
    set_rma_days(&mut o, rma);
    // Mean of the rounded RMA time (the triangular's mean 11.67 d; rounding moves it < 0.01).
    let spares = (200.0 * 35.0 / 3.0 + 20.0) as u32;
    o.spare_nodes = spares;
    let m = model(vec![o], 1, 33);
    let b = run(&m, 300, Precision::F64);
    let (a, se) = mean_se(&column(&b, 0, idx::AVAILABILITY));
    let down_sim = (1.0 - a) * nodes as f64;
    let se_down = se * nodes as f64;
    // P(RD > j) for the rounded triangular: RD > j iff X >= j + 1/2.
    let tri_cdf = |x: f64| -> f64 {
        let (lo, mo, hi) = (5.0, 10.0, 20.0);
        if x <= lo {
            0.0
        } else if x <= mo {
            (x - lo).powi(2) / ((hi - lo) * (mo - lo))
        } else if x < hi {
            1.0 - (hi - x).powi(2) / ((hi - lo) * (hi - mo))
        } else {
            1.0
        }
    };
    let survive = |j: usize| {
        if j == 0 {
            1.0
        } else {
            1.0 - tri_cdf(j as f64 + 0.5)
        }
    };
    let rate = lambda * nodes as f64 * a;
    let days = 365usize;
    let mut total = 0.0;
    let mut window = 0.0;
    for t in 0..days {
        window += survive(t);
        let mean = rate * window;
        let sd = mean.sqrt();
        let hi = (mean + 12.0 * sd) as usize;
        let eb: f64 = (spares as usize + 1..hi.max(spares as usize + 2))
            .map(|k| (k - spares as usize) as f64 * pois_pmf(mean, k))
            .sum();
        total += eb;
    }
    let down_palm = total / days as f64;
    assert!(
        (down_sim - down_palm).abs() < 5.0 * se_down + 0.03 * down_palm,
        "backorders {down_sim} vs Palm {down_palm} (se {se_down})"
    );
    assert!(down_palm > 3.0, "the test needs backorders: {down_palm}");
}

#[test]
fn littles_law_and_availability_at_hyperscale() {
    // 100,000 single-chip nodes, 0.01 soft failures per node-day (1,000 a day), lognormal
    // repair (median 48 h, p90 96 h, so most last more than a day). Little: nodes down L =
    // rate x mean repair; availability = MTBF / (MTBF + MTTR).
    let nodes = 100_000u32;
    let lambda = 0.01;
    let mut o = quiet_option(nodes, 1);
    add_class(&mut o, lambda, false, lognormal(48.0, 96.0, 0.0, 3048.0));
    let m = model(vec![o], 1, 35);
    let b = run(&m, 60, Precision::F64);
    let s = (2.0f64).ln() / 1.2815515655446004;
    let w_days = 48.0 * (s * s / 2.0).exp() / 24.0;
    let days = 365.0;
    let avail = column(&b, 0, idx::AVAILABILITY);
    let fails = column(&b, 0, idx::SOFT_FAILURES);
    let gap: Vec<f64> = avail
        .iter()
        .zip(&fails)
        .map(|(a, f)| (1.0 - a) * nodes as f64 - f / days * w_days)
        .collect();
    let (g, se) = mean_se(&gap);
    let l = (1.0 - mean_se(&avail).0) * nodes as f64;
    // 5 SE, plus 1% of L for repairs cut off at the horizon (about W / days of them).
    assert!(
        g.abs() < 5.0 * se + 0.01 * l,
        "Little gap {g} (se {se}, L {l})"
    );
    let expected = (1.0 / lambda) / (1.0 / lambda + w_days);
    let (a, se) = mean_se(&avail);
    // 5 SE plus 5e-4 for the daily discretisation (the rate acts on the day-start count).
    assert!(
        (a - expected).abs() < 5.0 * se + 5e-4,
        "availability {a} vs MTBF/(MTBF+MTTR) {expected} (se {se})"
    );
}

#[test]
fn the_hyperscale_example_is_half_a_million_trainium2_chips_at_equal_capital() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/scenarios/hyperscale.toml");
    let s = fleetsim::config::load_scenario(&path).expect("valid hyperscale example");
    let m = flatten(&s, 1);
    let trn2 = &m.options[0];
    let chips = trn2.nodes * trn2.chips_per_node;
    assert!(
        (490_000..=510_000).contains(&chips),
        "{chips} Trainium2 chips"
    );
    // Hundreds of expected failures a day on both: every day counted (6.4c).
    let b200 = &m.options[1];
    assert!(b200.nodes * b200.chips_per_node > 150_000);
}
