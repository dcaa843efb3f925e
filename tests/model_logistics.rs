//! Repair logistics: replaceable unit types with on-site stock, the RMA or restock way back into
//! stock, per-class failures and lost node-hours, and common random numbers between options of
//! the same stream. Exact identities where the model gives one, else Monte Carlo means against
//! closed forms with tolerances from the standard error.

use crate::common;
use common::*;
use fleetsim::engine::Precision;
use fleetsim::model::outputs::idx;
use fleetsim::model::params::{FlatModel, OptionParams, opt_ev, opt_in};

/// Declares unit type 1 on `o` with `stock` spares fitted in `swap_hours`, restocked in
/// `replenish` days, and moves class `c` onto it.
fn unit_pool(o: &mut OptionParams, c: usize, stock: u32, swap_hours: f32, replenish: f64) {
    o.n_units = 2;
    o.unit_stock[1] = stock;
    o.unit_swap_hours[1] = swap_hours;
    o.events[opt_ev::REPLENISH_BASE + 1] = fx(replenish);
    o.class_units |= 1 << (2 * c);
}

#[test]
fn a_unit_pool_behaves_as_the_node_pool_when_its_times_are_the_same() {
    // The node pool is checked against Palm's theorem (model_closed_forms); a unit pool with
    // the same stock, the same way back (RMA 10 days) and the same fitting time (0 h, so a
    // spare node's swap_hours 0 equals a unit fitted within the repair) must give the same
    // path, draw for draw.
    let mut base = quiet_option(1000, 1);
    add_class(&mut base, 0.002, true, fx(0.5));
    set_rma_days(&mut base, fx(10.0));
    let mut nodes = base;
    nodes.spare_nodes = 18;
    let mut units = base;
    unit_pool(&mut units, 0, 18, 0.0, 99.0);
    let a = run(&model(vec![nodes], 1, 21), 200, Precision::F64);
    let b = run(&model(vec![units], 1, 21), 200, Precision::F64);
    let mut waited = 0;
    for i in 0..200 {
        let (ra, rb) = (a.record(i, 0), b.record(i, 0));
        assert_eq!(ra[idx::AVAILABILITY], rb[idx::AVAILABILITY], "path {i}");
        assert_eq!(ra[idx::HARD_FAILURES], rb[idx::HARD_FAILURES], "path {i}");
        waited += usize::from(ra[idx::AVAILABILITY] < 1.0 - 0.002 * 0.5 / 24.0 * 1.5);
    }
    // The comparison means something only if stock-outs happen (18 spares against a pipeline
    // of ~20 units).
    assert!(waited > 100, "only {waited} paths ran out of stock");
}

#[test]
fn lost_node_hours_by_class_account_for_every_lost_chip_hour() {
    // With no outages and no burn-in rejects, every chip-hour lost comes from a failure: the
    // per-class lost node-hours times chips per node equal installed minus available
    // chip-hours on every path (repairs under and over a day, the blast radius, stock-outs
    // and the fitting of a unit that arrives for a waiting node all included).
    let mut o = quiet_option(300, 4);
    o.blast_radius_chips = 8;
    add_class(&mut o, 0.004, true, lognormal(6.0, 40.0, 0.0, 400.0));
    add_class(&mut o, 0.006, false, fx(2.0));
    add_class(&mut o, 0.003, true, fx(30.0));
    set_rma_days(&mut o, fx(12.0));
    o.spare_nodes = 2;
    o.inputs[opt_in::SWAP_HOURS] = fx(3.0);
    unit_pool(&mut o, 0, 4, 5.0, 20.0);
    let years = 2;
    let b = run(&model(vec![o], years, 22), 64, Precision::F64);
    let installed = 300.0 * 4.0 * 24.0 * 365.0 * f64::from(years);
    for i in 0..64 {
        let r = b.record(i, 0);
        let lost: f64 = (0..3).map(|k| r[idx::CLASS_LOST_NODE_HOURS + k]).sum();
        let deficit = installed * (1.0 - r[idx::AVAILABILITY]);
        assert!(
            (lost * 4.0 - deficit).abs() <= 1e-6 * installed,
            "path {i}: classes {lost} node-hours x 4 vs deficit {deficit}"
        );
        let by_class: f64 = (0..3).map(|k| r[idx::CLASS_FAILURES + k]).sum();
        assert_eq!(by_class, r[idx::HARD_FAILURES] + r[idx::SOFT_FAILURES]);
        assert_eq!(r[idx::CLASS_FAILURES + 3], 0.0);
    }
}

/// Mean lost node-hours per failure of a class whose every failure waits `d` days for its
/// unit (no stock), then is fitted in `swap` hours, over a horizon of `h` days with failures
/// at a constant rate: a failure on day t waits min(d, h - t) days, and is fitted only when
/// its unit arrives before the horizon.
fn waiting_per_failure(d: f64, swap: f64, h: f64) -> f64 {
    let mut s = 0.0;
    for t in 0..h as usize {
        let t = t as f64;
        s += 24.0 * d.min(h - t) + if t + d < h { swap } else { 0.0 };
    }
    s / h
}

#[test]
fn a_failure_with_no_stock_waits_for_its_rma_or_its_restock() {
    // No stock: every failure waits for its own unit. With rma = true it comes back after the
    // class's RMA time (40 days), with rma = false after the unit's restock time (6 days).
    let mk = |rma: bool| -> FlatModel {
        let mut o = quiet_option(20_000, 1);
        add_class(&mut o, 0.0002, true, fx(0.0));
        set_rma_days(&mut o, fx(40.0));
        unit_pool(&mut o, 0, 0, 2.0, 6.0);
        if !rma {
            o.rma_mask = 0;
        }
        model(vec![o], 1, 23)
    };
    for (rma, d) in [(true, 40.0), (false, 6.0)] {
        let b = run(&mk(rma), 200, Precision::F64);
        let per: Vec<f64> = (0..200)
            .map(|i| {
                let r = b.record(i, 0);
                r[idx::CLASS_LOST_NODE_HOURS] / r[idx::CLASS_FAILURES]
            })
            .collect();
        let (m, se) = mean_se(&per);
        let want = waiting_per_failure(d, 2.0, 365.0);
        assert!(
            (m - want).abs() < 5.0 * se + 3e-3 * want,
            "rma {rma}: {m} node-hours per failure vs {want} (se {se})"
        );
    }
}

#[test]
fn ample_stock_makes_every_hard_failure_cost_only_its_repair() {
    // Stock far above the pipeline: no failure waits, so each costs exactly its repair hours
    // times the blast radius in nodes, and the spare units' capital is stock x unit cost.
    let mut o = quiet_option(2000, 2);
    o.blast_radius_chips = 6;
    add_class(&mut o, 0.001, true, fx(3.0));
    set_rma_days(&mut o, fx(10.0));
    unit_pool(&mut o, 0, 200, 1.0, 10.0);
    o.unit_cost_usd[1] = 2500.0;
    let b = run(&model(vec![o], 1, 24), 50, Precision::F64);
    for i in 0..50 {
        let r = b.record(i, 0);
        let n = r[idx::CLASS_FAILURES];
        assert!(n > 0.0);
        assert!((r[idx::CLASS_LOST_NODE_HOURS] - n * 3.0 * 3.0).abs() < 1e-6 * n);
        assert_eq!(r[idx::CAPEX_USD], 200.0 * 2500.0);
    }
}

#[test]
fn options_sharing_a_stream_are_paired_path_by_path() {
    // Two copies of one option on one stream give identical records; a variant with more
    // spare stock on the same stream sees the same sampled inputs and (nearly) the same
    // failures, so its availability gain is measured with far less noise than on its own
    // stream.
    let mut a = quiet_option(500, 8);
    add_class(&mut a, 0.004, true, lognormal(4.0, 12.0, 0.0, 100.0));
    add_class(&mut a, 0.003, false, fx(1.0));
    set_rma_days(&mut a, lognormal(10.0, 30.0, 0.0, 127.0));
    a.inputs[opt_in::CLASS_BASE + opt_in::CLASS_RATE] = lognormal(0.004, 0.01, 0.0, 1.0);
    a.stream = 1;
    let mut twin = a;
    twin.stream = 1;
    let mut more = a;
    more.spare_nodes = 20;
    more.stream = 1;
    let mut alone = more;
    alone.stream = 4;
    let b = run(
        &model(vec![a, twin, more, alone], 1, 25),
        400,
        Precision::F64,
    );
    let col = |o: usize| column(&b, o, idx::AVAILABILITY);
    assert_eq!(col(0), col(1));
    let paired: Vec<f64> = col(2).iter().zip(col(0)).map(|(x, y)| x - y).collect();
    let unpaired: Vec<f64> = col(3).iter().zip(col(0)).map(|(x, y)| x - y).collect();
    let (mp, sp) = mean_se(&paired);
    let (mu, su) = mean_se(&unpaired);
    assert!(mp > 0.0 && (mp - mu).abs() < 5.0 * su, "{mp} vs {mu}");
    assert!(sp < 0.3 * su, "paired se {sp} vs unpaired {su}");
}
