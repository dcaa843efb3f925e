//! Spares planning on the real model: with common random numbers a larger spare pool never
//! lowers a path's availability; the galloping + bisection search returns exactly what a scan
//! of every pool size returns; without hard failures spares change nothing; and `fleetsim
//! spares` reports the smallest pool meeting the goal (one fewer fails), exits 2 on bad input.
//! The oracle for what a pool's figures are is a direct CPU-engine run of the scenario with
//! `spare_nodes` (or, for a unit pool, that unit's `unit_stock`) set to that pool (same seed,
//! same paths), not `spares::evaluate`. The unit-pool tests (`--pool tray`) use
//! [`TRAYS`]: the same fleet with GPU and HBM failures swapped as compute trays.

use crate::common;

use common::cli::{fleetsim, text};

use fleetsim::config::{flatten, load_scenario_str};
use fleetsim::engine::cpu::CpuEngine;
use fleetsim::engine::{Engine, PathBlock, Precision, run_points};
use fleetsim::model::params::FlatModel;
use fleetsim::spares::{self, Goal, OptionFacts, PoolPaths, Z95, wilson_lower};

use crate::common::SPARES_SCENARIO as SCENARIO;

fn model(text: &str) -> FlatModel {
    let s = load_scenario_str(text, "spares test").expect("valid scenario");
    flatten(&s, 11)
}

/// `spares::evaluate_pools` of pool `unit` (0: spare nodes) of option 0 on the CPU engine.
fn eval_pool(base: &FlatModel, unit: usize, points: &[Vec<u32>], n: u32) -> Vec<Vec<PoolPaths>> {
    let cpu = CpuEngine::new(Precision::F32);
    spares::evaluate_pools(base, &[(0, unit)], points, n, |models, sink| {
        run_points(&cpu, models, n, |p, b: &PathBlock| sink(p, b), |_| {})
    })
    .expect("run")
}

/// The spare-node pool through `spares::evaluate` (the node pool of every option).
fn eval(base: &FlatModel, points: &[Vec<u32>], n: u32) -> Vec<Vec<PoolPaths>> {
    let cpu = CpuEngine::new(Precision::F32);
    spares::evaluate(base, points, n, |models, sink| {
        run_points(&cpu, models, n, |p, b: &PathBlock| sink(p, b), |_| {})
    })
    .expect("run")
}

/// Search facts of pool `pool` (unit index `unit`) of option `t`, each spare costing `cost`.
fn pool_facts(m: &FlatModel, pool: &str, unit: usize, cost: f64, max: u32) -> Vec<OptionFacts> {
    vec![OptionFacts {
        name: "t".into(),
        index: 0,
        pool: pool.into(),
        unit,
        nodes: m.options[0].nodes,
        chips_per_node: m.options[0].chips_per_node,
        scenario_spares: 0,
        unit_cost_usd: cost,
        max_spares: max,
    }]
}

/// The spare-node pool's facts (a spare costs a node at USD 25k a chip).
fn facts(m: &FlatModel, max: u32) -> Vec<OptionFacts> {
    let cost = f64::from(m.options[0].chips_per_node) * 25_000.0;
    pool_facts(m, spares::NODE_POOL, 0, cost, max)
}

/// With common random numbers a larger pool lowers a path's availability only rarely and
/// slightly: a spare keeps a node up, and an up node can fail again (more failure draws shift
/// that day's later draws), so path-by-path monotonicity is not exact. What the search relies
/// on, the share of paths meeting a target, rises with the pool.
#[test]
fn more_spares_raise_availability_path_by_path_up_to_rare_small_reversals() {
    let m = model(SCENARIO);
    let pools: Vec<u32> = vec![0, 1, 2, 3, 5, 8, 13, 21, 34];
    let points: Vec<Vec<u32>> = pools.iter().map(|s| vec![*s]).collect();
    let n = 200;
    let r = eval(&m, &points, n);
    let (mut up, mut down, mut worst) = (0u32, 0u32, 0.0f64);
    for path in 0..n as usize {
        for k in 1..pools.len() {
            let (a, b) = (r[k - 1][0].availability[path], r[k][0].availability[path]);
            if b > a {
                up += 1;
            } else if b < a {
                down += 1;
                worst = worst.max(a - b);
            }
        }
    }
    eprintln!("pairs: {up} up, {down} down, largest drop {worst}");
    // Spares matter in this fleet (the test would be vacuous otherwise).
    assert!(up > 200, "{up}");
    assert!(down * 100 < up, "{down} reversals vs {up} gains");
    assert!(worst < 2e-3, "largest drop {worst}");
    // The share of paths reaching any target never falls as the pool grows.
    for target in [0.95, 0.97, 0.98, 0.99, 0.995] {
        let share: Vec<usize> = r
            .iter()
            .map(|p| p[0].availability.iter().filter(|a| **a >= target).count())
            .collect();
        assert!(
            share.windows(2).all(|w| w[1] >= w[0]),
            "target {target}: {share:?}"
        );
    }
}

/// What a scan of every pool size `0..=max` of pool `unit` says the search must choose, and
/// what it chose: per goal `(target, confidence)`, the smallest scanned pool whose Wilson
/// bound meets it, the plan, and the points the search ran. `p_meet(scan, s, target)` counts
/// the paths of pool size `s` that reach `target`.
struct ScanCheck {
    scan: Vec<Vec<PoolPaths>>,
    points: usize,
    results: Vec<(f64, f64, Option<u32>, spares::OptionPlan, usize)>,
}

fn p_meet(scan: &[Vec<PoolPaths>], s: usize, target: f64) -> u64 {
    scan[s][0]
        .availability
        .iter()
        .filter(|x| **x >= target)
        .count() as u64
}

fn search_against_scan(
    m: &FlatModel,
    unit: usize,
    facts: &[OptionFacts],
    max: u32,
    n: u32,
    goals: &[(f64, f64)],
) -> ScanCheck {
    let all: Vec<Vec<u32>> = (0..=max).map(|s| vec![s]).collect();
    let scan = eval_pool(m, unit, &all, n);
    let results = goals
        .iter()
        .map(|&(target, conf)| {
            let goal = Goal {
                availability: target,
                confidence: conf,
            };
            let want = (0..=max as usize)
                .find(|&s| wilson_lower(p_meet(&scan, s, target), u64::from(n), Z95) >= conf)
                .map(|s| s as u32);
            let mut runs = 0;
            let plan = spares::search(facts, goal, |pts| {
                runs += pts.len();
                Ok::<_, ()>(eval_pool(m, unit, pts, n))
            })
            .unwrap()
            .remove(0);
            (target, conf, want, plan, runs)
        })
        .collect();
    ScanCheck {
        scan,
        points: all.len(),
        results,
    }
}

#[test]
fn search_equals_a_scan_of_every_pool() {
    let m = model(SCENARIO);
    let (n, max) = (150, 40);
    let goals = [(0.97, 0.9), (0.98, 0.5), (0.985, 0.75)];
    let c = search_against_scan(&m, 0, &facts(&m, max), max, n, &goals);
    for (target, conf, want, plan, runs) in c.results {
        assert_eq!(plan.chosen, want, "target {target} at {conf}");
        assert!(
            want.is_some_and(|s| s > 2),
            "goal {target} should need spares"
        );
        assert!(plan.monotone);
        assert!(runs < c.points, "{runs} points: no better than a scan");
        let cand = plan.candidate(want.unwrap()).unwrap();
        assert_eq!(
            cand.n_meeting,
            p_meet(&c.scan, want.unwrap() as usize, target)
        );
    }
}

#[test]
fn without_hard_failures_spares_change_nothing() {
    let m = model(&SCENARIO.replace("unit = \"node\"", "enabled = false"));
    let r = eval(&m, &[vec![0], vec![7], vec![30]], 100);
    for k in 1..3 {
        assert_eq!(r[k][0].availability, r[0][0].availability);
    }
    let worst = r[0][0].availability.iter().copied().fold(1.0, f64::min);
    // Met by every path without spares: 0 is the answer.
    let plan = spares::search(
        &facts(&m, 16),
        Goal {
            availability: worst,
            confidence: 0.9,
        },
        |pts| Ok::<_, ()>(eval(&m, pts, 100)),
    )
    .unwrap()
    .remove(0);
    assert_eq!(plan.chosen, Some(0));
}

#[test]
fn cli_reports_the_smallest_pool_and_one_fewer_fails() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let out = dir.path().join("out");
    let args = [
        "spares",
        &scenario.display().to_string(),
        "--availability",
        "0.97",
        "--confidence",
        "0.8",
        "--paths",
        "200",
        "--backend",
        "cpu",
        "--quiet",
        "--out",
        &out.display().to_string(),
    ];
    let o = fleetsim(&args);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("one fewer"), "{t}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("spares.json")).unwrap()).unwrap();
    let opt = &v["options"][0];
    let chosen = opt["chosen"].as_u64().expect("a pool meets 98 %") as u32;
    assert!(chosen > 0);
    let cands = opt["candidates"].as_array().unwrap();
    let get = |s: u32| cands.iter().find(|c| c["spares"] == s).unwrap();
    assert_eq!(get(chosen)["meets"], true);
    assert_eq!(get(chosen - 1)["meets"], false);
    // Meeting is monotone over the pools tried and follows the Wilson rule.
    let mut seen_meet = false;
    for c in cands {
        let (k, n) = (
            c["n_meeting"].as_u64().unwrap(),
            c["n_paths"].as_u64().unwrap(),
        );
        let meets = wilson_lower(k, n, Z95) >= 0.8;
        assert_eq!(c["meets"], meets);
        assert!(!seen_meet || meets, "not monotone: {c}");
        seen_meet |= meets;
    }
    let cost = get(chosen)["spare_capex_usd"].as_f64().unwrap();
    assert!(cost > 0.0);
    let csv = std::fs::read_to_string(out.join("spares.csv")).unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("t,64,16,{chosen},")),
        "{csv}"
    );
    // The result files are not overwritten without --force.
    let o = fleetsim(&args);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn bad_spares_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let s = scenario.display().to_string();
    for (extra, want) in [
        (vec!["--availability", "1.5"], "--availability"),
        (vec!["--availability", "0"], "--availability"),
        (vec!["--availability", "NaN"], "--availability"),
        (
            vec!["--availability", "0.99", "--confidence", "1"],
            "--confidence",
        ),
        (
            vec![
                "--availability",
                "0.99",
                "--confidence",
                "0.999",
                "--paths",
                "100",
            ],
            "--paths",
        ),
    ] {
        let mut a = vec!["spares", s.as_str(), "--backend", "cpu", "--quiet"];
        a.extend(extra);
        let o = fleetsim(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}: {}", text(&o));
        assert!(text(&o).contains(want), "{a:?}: {}", text(&o));
    }
}

#[test]
fn the_worked_example_is_a_valid_scenario_with_fixed_fleets() {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/sweeps/spares-995.toml"
    );
    let s =
        fleetsim::config::load_scenario(std::path::Path::new(p)).unwrap_or_else(|e| panic!("{e}"));
    let m = flatten(&s, 7);
    assert_eq!(m.options.len(), 2);
    for (o, p) in s.options.iter().zip(&m.options) {
        assert!(
            !o.accelerators_from_budget,
            "{}: the example holds fleets fixed",
            o.name
        );
        assert_eq!(p.nodes, 512, "{}", o.name);
    }
}

/// Per-path availability and NPV of a direct CPU run of `base` with pool `unit` (0: spare
/// nodes) of option 0 set to `size` by the library's `set_pool`, paths `0..n`: the
/// independent oracle for what the planner reports for a pool.
fn direct_pool(base: &FlatModel, unit: usize, size: u32, n: u32) -> (Vec<f64>, Vec<f64>) {
    let mut m = base.clone();
    spares::set_pool(&mut m.options[0], unit, size);
    let b = CpuEngine::new(Precision::F32)
        .simulate(&m, 0, n)
        .expect("direct run");
    let col = |k: usize| {
        (0..n as usize)
            .map(|i| b.record(i, 0)[k])
            .collect::<Vec<f64>>()
    };
    (
        col(fleetsim::model::outputs::idx::AVAILABILITY),
        col(fleetsim::model::outputs::idx::NPV_USD),
    )
}

/// [`direct_pool`] of the spare nodes.
fn direct(base: &FlatModel, spares: u32, n: u32) -> (Vec<f64>, Vec<f64>) {
    direct_pool(base, 0, spares, n)
}

/// `spares::evaluate` for a pool gives, path by path, what the engine gives for a scenario
/// with that many spares (a planner simulating another pool, M09, fails here).
#[test]
fn evaluate_simulates_exactly_the_pool_it_reports() {
    let m = model(SCENARIO);
    let n = 120;
    let pools = [0u32, 1, 3, 8];
    let points: Vec<Vec<u32>> = pools.iter().map(|s| vec![*s]).collect();
    let r = eval(&m, &points, n);
    for (k, &s) in pools.iter().enumerate() {
        let (avail, npv) = direct(&m, s, n);
        assert_eq!(r[k][0].availability, avail, "pool {s}: availability");
        assert_eq!(r[k][0].npv, npv, "pool {s}: NPV");
    }
    // The pools differ (the comparison would be vacuous otherwise).
    assert_ne!(r[0][0].availability, r[2][0].availability);
}

/// Every row of the CLI's spares_candidates.csv against a direct run with that pool: paths
/// meeting the target (exact count), mean availability and mean NPV (same values summed in
/// another order: 1e-9 relative).
#[test]
fn cli_candidates_are_the_figures_of_direct_runs_with_that_pool() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let out = dir.path().join("out");
    let (target, n) = (0.98, 200u32);
    let o = fleetsim(&[
        "spares",
        &scenario.display().to_string(),
        "--availability",
        "0.98",
        "--confidence",
        "0.8",
        "--paths",
        "200",
        "--backend",
        "cpu",
        "--precision",
        "f32",
        "--quiet",
        "--out",
        &out.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let m = model(SCENARIO);
    let mut r = csv::Reader::from_path(out.join("spares_candidates.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let (cs, cn, ck, ca, cv) = (
        col("spares"),
        col("n_paths"),
        col("n_meeting"),
        col("availability_mean"),
        col("npv_mean_usd"),
    );
    let mut rows = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let s: u32 = rec[cs].parse().unwrap();
        assert_eq!(rec[cn].parse::<u32>().unwrap(), n);
        let (avail, npv) = direct(&m, s, n);
        let meeting = avail.iter().filter(|a| **a >= target).count();
        assert_eq!(
            rec[ck].parse::<usize>().unwrap(),
            meeting,
            "pool {s}: paths meeting"
        );
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let rel = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
        let (a, v): (f64, f64) = (rec[ca].parse().unwrap(), rec[cv].parse().unwrap());
        assert!(
            rel(a, mean(&avail)),
            "pool {s}: availability {a} vs {}",
            mean(&avail)
        );
        assert!(rel(v, mean(&npv)), "pool {s}: NPV {v} vs {}", mean(&npv));
        rows += 1;
    }
    assert!(rows >= 3, "{rows} candidates");
}

/// [`SCENARIO`] with 8 spare nodes and the catalog's compute-tray unit type: GPU and HBM failures
/// take a tray from on-site stock (none in the scenario), a new tray arrives after PERT(3, 7, 21)
/// days (no RMA round trip); the other hard classes take a spare node.
const TRAYS: &str = r#"
[scenario]
name = "spares test, trays"
horizon_years = 1
seed = 11

[options.t]
hardware = "trn2"
accelerators = 1024
delivery_delay_days = 0
ramp_days = 0
spare_nodes = 8

[options.t.units.tray]
stock = 0
cost_usd = 15000
swap_hours = 2
replenish_days = { dist = "pert", lo = 3, mode = 7, hi = 21 }

[options.t.failures.gpu_hard]
unit = "tray"
rma = false
[options.t.failures.hbm]
unit = "tray"
rma = false
[options.t.failures.sdc]
unit = "node"
[options.t.failures.network]
unit = "node"
[options.t.failures.host]
unit = "node"
"#;

/// The tray's unit index (1: the first unit type after the node).
const TRAY: usize = 1;

/// [`direct_pool`] of the tray stock; the model must declare the catalog's three units.
fn direct_trays(base: &FlatModel, stock: u32, n: u32) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(
        base.options[0].n_units, 4,
        "the catalog's tray, optic and host part"
    );
    direct_pool(base, TRAY, stock, n)
}

fn eval_trays(base: &FlatModel, points: &[Vec<u32>], n: u32) -> Vec<Vec<PoolPaths>> {
    eval_pool(base, TRAY, points, n)
}

fn tray_facts(m: &FlatModel, max: u32) -> Vec<OptionFacts> {
    pool_facts(m, "tray", TRAY, 15_000.0, max)
}

/// `spares::evaluate_pools` on the tray pool gives, path by path, what the engine gives for
/// the scenario with that tray stock (spare nodes left at the scenario's 8); and the tray
/// stock matters (a planner sizing the node pool instead would fail here).
#[test]
fn unit_pool_evaluation_simulates_exactly_that_stock() {
    let m = model(TRAYS);
    assert_eq!(m.options[0].spare_nodes, 8);
    let n = 120;
    let pools = [0u32, 1, 3, 8];
    let points: Vec<Vec<u32>> = pools.iter().map(|s| vec![*s]).collect();
    let r = eval_trays(&m, &points, n);
    for (k, &s) in pools.iter().enumerate() {
        let (avail, npv) = direct_trays(&m, s, n);
        assert_eq!(r[k][0].availability, avail, "tray stock {s}: availability");
        assert_eq!(r[k][0].npv, npv, "tray stock {s}: NPV");
    }
    assert_ne!(r[0][0].availability, r[2][0].availability);
    // Setting the node pool to the same sizes is another model.
    let nodes = eval(&m, &points, n);
    assert_ne!(nodes[2][0].availability, r[2][0].availability);
}

/// On the tray pool the share of paths meeting a target never falls as the stock grows, and
/// the galloping + bisection search returns what a scan of every stock returns.
#[test]
fn unit_pool_search_is_monotone_and_equals_a_scan() {
    let m = model(TRAYS);
    let (n, max) = (150, 24);
    let goals = [(0.98, 0.5), (0.99, 0.75), (0.99, 0.5)];
    let c = search_against_scan(&m, TRAY, &tray_facts(&m, max), max, n, &goals);
    for target in [0.97, 0.98, 0.99, 0.993] {
        let share: Vec<u64> = (0..=max as usize)
            .map(|s| p_meet(&c.scan, s, target))
            .collect();
        assert!(
            share.windows(2).all(|w| w[1] >= w[0]),
            "target {target}: {share:?}"
        );
    }
    for (target, conf, want, plan, runs) in c.results {
        eprintln!("trays: {target} at {conf}: {want:?} in {runs} points");
        assert_eq!(plan.chosen, want, "target {target} at {conf}");
        assert!(
            want.is_some_and(|s| s >= 1),
            "goal {target} should need trays"
        );
        assert!(plan.monotone);
        assert_eq!(plan.pool, "tray");
        assert!(runs < c.points, "{runs} points: no better than a scan");
        let cand = plan.candidate(want.unwrap()).unwrap();
        assert_eq!(
            cand.n_meeting,
            p_meet(&c.scan, want.unwrap() as usize, target)
        );
        assert_eq!(cand.spare_capex_usd, want.unwrap() as f64 * 15_000.0);
    }
}

fn write_trays(dir: &std::path::Path, text: &str) -> String {
    let p = dir.join("s.toml");
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// `fleetsim spares --pool tray`: every row of spares_candidates.csv against a direct run with
/// that tray stock; the report names the pool and its unit cost, costs trays at cost_usd,
/// defaults the largest stock to 4 x the tray failures expected in the mean replenishment
/// time + 8, and keeps the node-pool field names.
#[test]
fn cli_sizes_a_unit_pool_with_the_figures_of_direct_runs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_trays(dir.path(), TRAYS);
    let out = dir.path().join("out");
    let (target, n) = (0.99, 200u32);
    let o = fleetsim(&[
        "spares",
        &scenario,
        "--pool",
        "tray",
        "--availability",
        "0.99",
        "--confidence",
        "0.7",
        "--paths",
        "200",
        "--backend",
        "cpu",
        "--precision",
        "f32",
        "--out",
        &out.display().to_string(),
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("unit `tray`"), "{t}");
    assert!(t.contains("one fewer"), "{t}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("spares.json")).unwrap()).unwrap();
    assert_eq!(v["pool"], "tray");
    assert!(v["definition"].as_str().unwrap().contains("unit_stock"));
    assert_eq!(v["skipped"], serde_json::json!([]));
    let opt = &v["options"][0];
    assert_eq!(opt["pool"], "tray");
    assert_eq!(opt["unit_cost_usd"], 15_000.0);
    assert_eq!(opt["scenario_spares"], 0);
    // Default largest stock: 64 nodes x 16 chips x the mean GPU + HBM rates (lognormal means)
    // x the mean PERT(3, 7, 21) lead time (52 / 6 days), x 4, + 8.
    let lognormal_mean = |median: f64, p90: f64| {
        let s = (p90 / median).ln() / 1.281_551_565_544_600_5;
        median * (0.5 * s * s).exp()
    };
    let per_day =
        64.0 * 16.0 * (lognormal_mean(9.28e-05, 0.000372) + lognormal_mean(4.48e-05, 0.000182));
    let want_max = (4.0 * per_day * 52.0 / 6.0).ceil() as u64 + 8;
    assert_eq!(opt["max_spares"].as_u64(), Some(want_max), "{per_day}");
    let chosen = opt["chosen"].as_u64().expect("a tray stock meets 99 %") as u32;
    eprintln!("trays: 99 % on 70 % of 200 paths: {chosen} (max {want_max})");
    assert!(chosen > 0);
    let m = model(TRAYS);
    let mut r = csv::Reader::from_path(out.join("spares_candidates.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let (cs, ck, ca, cv, cc, cp) = (
        col("spares"),
        col("n_meeting"),
        col("availability_mean"),
        col("npv_mean_usd"),
        col("spare_capex_usd"),
        col("pool"),
    );
    let mut rows = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let s: u32 = rec[cs].parse().unwrap();
        assert_eq!(&rec[cp], "tray");
        assert_eq!(rec[cc].parse::<f64>().unwrap(), s as f64 * 15_000.0);
        let (avail, npv) = direct_trays(&m, s, n);
        let meeting = avail.iter().filter(|a| **a >= target).count();
        assert_eq!(rec[ck].parse::<usize>().unwrap(), meeting, "stock {s}");
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let rel = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
        let (a, v): (f64, f64) = (rec[ca].parse().unwrap(), rec[cv].parse().unwrap());
        assert!(rel(a, mean(&avail)), "stock {s}: availability");
        assert!(rel(v, mean(&npv)), "stock {s}: NPV");
        rows += 1;
    }
    assert!(rows >= 3, "{rows} candidates");
    let csv = std::fs::read_to_string(out.join("spares.csv")).unwrap();
    let head = csv.lines().next().unwrap();
    assert!(
        head.starts_with("option,nodes,max_spares,chosen_spares,"),
        "{head}"
    );
    assert!(head.ends_with(",pool,unit_cost_usd"), "{head}");
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("t,64,{want_max},{chosen},")),
        "{csv}"
    );
}

/// An option without the unit is skipped and reported; `--pool all` sizes every pool of every
/// option, each with the others at the scenario's values; an unknown pool exits 2 listing
/// each option's pools.
#[test]
fn cli_pool_skips_options_without_it_and_rejects_unknown_pools() {
    let dir = tempfile::tempdir().unwrap();
    let two = format!(
        "{TRAYS}\n[options.b]\nhardware = \"gb200-nvl72\"\naccelerators = 512\ndelivery_delay_days = 0\nramp_days = 0\n"
    );
    let scenario = write_trays(dir.path(), &two);
    let run = |extra: &[&str]| {
        let out = dir.path().join(format!("out{}", extra.join("_")));
        let mut a = vec![
            "spares",
            scenario.as_str(),
            "--availability",
            "0.97",
            "--confidence",
            "0.5",
            "--paths",
            "60",
            "--max-spares",
            "6",
            "--backend",
            "cpu",
            "--quiet",
        ];
        a.extend(extra);
        let o_path = out.display().to_string();
        a.extend(["--out", o_path.as_str()]);
        let o = fleetsim(&a);
        (o, out)
    };
    let (o, out) = run(&["--pool", "tray"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("spares.json")).unwrap()).unwrap();
    let plans = v["options"].as_array().unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0]["option"], "t");
    assert_eq!(plans[0]["max_spares"], 6);
    assert_eq!(
        v["skipped"],
        serde_json::json!([{"option": "b", "pools": ["node", "optic", "host_part"]}])
    );

    let (o, out) = run(&["--pool", "all"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("spares.json")).unwrap()).unwrap();
    let got: Vec<(String, String)> = v["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["option"].as_str().unwrap().to_string(),
                p["pool"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("t", "node"),
        ("b", "node"),
        ("t", "tray"),
        ("t", "optic"),
        ("b", "optic"),
        ("t", "host_part"),
        ("b", "host_part"),
    ];
    assert_eq!(
        got,
        want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
    );
    // Each pool sized with the other at the scenario's value: the node plan's empty pool is
    // the scenario with 0 spare nodes and no trays, the tray plan's with 8 spare nodes.
    let m = model(&two);
    let first = |k: usize| {
        v["options"][k]["candidates"][0]["availability"]["mean"]
            .as_f64()
            .unwrap()
    };
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (a_node0, _) = direct(&m, 0, 60);
    let (a_tray0, _) = direct_trays(&m, 0, 60);
    assert!((first(0) - mean(&a_node0)).abs() <= 1e-9, "node pool 0");
    assert!((first(2) - mean(&a_tray0)).abs() <= 1e-9, "tray pool 0");

    let (o, _) = run(&["--pool", "gpu"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("--pool \"gpu\""), "{t}");
    assert!(
        t.contains("t: node, tray, optic, host_part; b: node, optic, host_part"),
        "{t}"
    );
}

#[test]
fn the_tray_worked_example_swaps_gpu_and_hbm_failures_as_trays() {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/sweeps/spares-trays.toml"
    );
    let s =
        fleetsim::config::load_scenario(std::path::Path::new(p)).unwrap_or_else(|e| panic!("{e}"));
    let m = flatten(&s, 7);
    let (o, p) = (&s.options[0], &m.options[0]);
    assert!(!o.accelerators_from_budget);
    assert_eq!((p.nodes, p.spare_nodes, p.n_units), (512, 10, 4));
    assert_eq!((p.unit_stock[TRAY], p.unit_cost_usd[TRAY]), (0, 15_000.0));
    for c in &o.classes {
        let tray = c.name == "gpu_hard" || c.name == "hbm";
        assert_eq!(c.unit.as_deref() == Some("tray"), tray, "{}", c.name);
    }
}
