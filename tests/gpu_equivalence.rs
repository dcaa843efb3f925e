//! The GPU engine against the CPU engine on the same flattened models, paired path by path
//! (both draw the same random numbers): per-path outputs agree within stated tolerances, with
//! allowances stated as numbers of paths; a path where any discrete output (failure counts,
//! interruptions, payback day) differs counts as flipped; every aggregate (mean, sd, quantiles,
//! CVaR, P(< 0), paired P(a better than b)) agrees within bounds from the paired per-path
//! differences (also for the points of a sweep, which the GPU packs into shared dispatches);
//! splitting the horizon into windows changes nothing; the f32 error of the GPU against the
//! CPU's f64 reference is bounded near its measured size, and a 20-year compensated sum is
//! checked against its exact value. Runs on whatever adapter the harness finds (llvmpipe in
//! CI); reported as ignored where there is none (tests/common/gpu.rs).

use crate::common;

use fleetsim::config::overrides::synthetic_source;
use fleetsim::config::{BaseScenario, Override, default_scenario, flatten, load_scenario_str};
use fleetsim::engine::cpu::CpuEngine;
use fleetsim::engine::{Engine, PathBlock, Precision, run_points};
use fleetsim::model::outputs::{N_OUT, idx};
use fleetsim::model::params::FlatModel;
use fleetsim::stats::{PAIRED_METRICS, RunAggregate};

use common::gpu::engine as gpu_engine;
use common::paired::{
    ALLOW_BEYOND_TIGHT, ALLOW_FLIPPED_PER_1000, ALLOW_FLIPPED_PER_1000_COUNTED, TIGHT_TOL, TOL,
};
use fleetsim::check::compare::{self, PathAgreement};

/// Per-path agreement of all options' records (the library's, which `fleetsim check` uses);
/// prints the worst metric.
fn path_agreement(model: &FlatModel, g: &PathBlock, c: &PathBlock) -> PathAgreement {
    let a = compare::path_agreement(model, g, c);
    let show = |w: &Option<compare::Worst>| match w {
        Some(w) => format!(
            "{:.2e}: {} (path {}, option {}): gpu {} cpu {}",
            w.relative, w.metric, w.path, w.option, w.value, w.reference
        ),
        None => "0".into(),
    };
    eprintln!("worst relative difference {}", show(&a.worst));
    eprintln!(
        "worst relative difference on unflipped path-options {}",
        show(&a.worst_unflipped)
    );
    a
}

/// Mean absolute value of each (option, metric) over the CPU block.
fn scales(model: &FlatModel, c: &PathBlock) -> Vec<f64> {
    compare::scales(model.run.n_options as usize, c)
}

/// Aggregates of both engines through the real aggregator, judged against the paired
/// per-path differences `d_i = gpu_i - cpu_i` (both engines draw the same random numbers, so
/// the SE of a single engine's mean is the wrong, far too loose, yardstick):
/// * mean: `|mean_g - mean_c| <= 5 SE(d) + 1e-6 scale` (5 paired standard errors, plus a
///   floor for a systematic f32 rounding bias, 100x below [`TIGHT_TOL`]);
/// * sd: `|sd_g - sd_c| <= sd(d)` (Minkowski's inequality, exact);
/// * quantiles and CVaR5: `<= max_i |d_i|` (order statistics and tail means move by at most
///   the largest per-path change, exact);
/// * P(value < 0): `n |p_g - p_c| <=` the number of paths whose sign differs (exact);
/// * paired P(a better than b): `n |p_g - p_c| <=` the number of paths whose order of a and b
///   differs (a tie counts half, so each such path moves the count by at most one; exact).
///
/// The exact bounds get 1e-9 relative for the aggregator's own summation order. A metric with
/// a "never" value (payback) is summarised over the paths that reach it: the bounds come from
/// those paths when both engines agree which paths never do; otherwise `n_never` differs by at
/// most the paths whose status differs (such a path is flipped, and its figures are judged
/// there), and the other figures, over different populations, are not compared.
fn aggregates_agree(model: &FlatModel, g: &PathBlock, c: &PathBlock) {
    let n_opt = model.run.n_options as usize;
    let years = model.run.n_years as usize;
    let horizon = model.run.horizon_days;
    let (mut ag, mut ac) = (
        RunAggregate::new(n_opt, years).with_horizon_days(horizon),
        RunAggregate::new(n_opt, years).with_horizon_days(horizon),
    );
    ag.add_block(g);
    ac.add_block(c);
    let scale = scales(model, c);
    let n_paths = c.n_paths as usize;
    pairs_agree(&ag, &ac, g, c);
    for o in 0..n_opt {
        for &(m, _, ref name) in ac.metrics() {
            let sc = ac.summary(o, m).expect("metric").finish();
            let sg = ag.summary(o, m).expect("metric").finish();
            assert_eq!(sg.n_undefined, sc.n_undefined, "{name}: undefined paths");
            let never = |x: f64| fleetsim::stats::never_past_horizon(name) && x > horizon as f64;
            let status_differs = (0..n_paths)
                .filter(|&i| never(g.record(i, o)[m]) != never(c.record(i, o)[m]))
                .count() as u64;
            if status_differs > 0 {
                let (a, b) = (sg.n_never.unwrap(), sc.n_never.unwrap());
                assert!(
                    a.abs_diff(b) <= status_differs,
                    "{name} option {o}: n_never gpu {a} cpu {b}, {status_differs} paths differ"
                );
                continue;
            }
            assert_eq!(sg.n_never, sc.n_never, "{name}: never paths");
            let pairs: Vec<(f64, f64)> = (0..n_paths)
                .map(|i| (g.record(i, o)[m], c.record(i, o)[m]))
                .filter(|(a, b)| a.is_finite() && b.is_finite() && !never(*a) && !never(*b))
                .collect();
            if pairs.len() < 2 {
                continue;
            }
            let d: Vec<f64> = pairs.iter().map(|(a, b)| a - b).collect();
            let (_, se_d) = common::mean_se(&d);
            let sd_d = common::var(&d).sqrt();
            let max_d = d.iter().fold(0.0f64, |x, y| x.max(y.abs()));
            let sc_m = scale[o * N_OUT + m];
            let slack = |b: f64| 1e-9 * b.abs().max(sc_m);
            let within = |what: &str, a: Option<f64>, b: Option<f64>, bound: f64| match (a, b) {
                (Some(a), Some(b)) => assert!(
                    (a - b).abs() <= bound + slack(b),
                    "{name} option {o} {what}: gpu {a} cpu {b}, bound {bound:e}"
                ),
                (a, b) => assert_eq!(a.is_some(), b.is_some(), "{name} {what}"),
            };
            // 5 paired SEs plus a systematic floor: 1e-6 of the scale, 1e-5 for the IRRs (a
            // root moved by the few-ulp `exp`/`log` differences of its bucket NPVs; see
            // `compare::mean_floor`).
            within(
                "mean",
                sg.mean,
                sc.mean,
                compare::mean_bound(name, se_d, sc_m),
            );
            within("sd", sg.sd, sc.sd, sd_d);
            within("cvar5", sg.cvar5, sc.cvar5, max_d);
            for ((q, a), (_, b)) in sg.quantiles().iter().zip(sc.quantiles().iter()) {
                within(q, *a, *b, max_d);
            }
            if let (Some(a), Some(b)) = (sg.p_negative, sc.p_negative) {
                let changed = pairs
                    .iter()
                    .filter(|(x, y)| (*x < 0.0) != (*y < 0.0))
                    .count();
                let n = sc.count as f64;
                assert!(
                    (a - b).abs() * n <= changed as f64 + 1e-9,
                    "{name} option {o} P(<0): gpu {a} cpu {b}, {changed} paths changed sign"
                );
            }
        }
    }
}

/// The paired comparisons (P(a better than b) per paired metric): `n |p_g - p_c|` is at most
/// the number of paths on which the order of a and b differs between the engines.
fn pairs_agree(ag: &RunAggregate, ac: &RunAggregate, g: &PathBlock, c: &PathBlock) {
    for (pg, pc) in ag.pairs().iter().zip(ac.pairs()) {
        for (k, (mg, mc)) in pg.metrics.iter().zip(&pc.metrics).enumerate() {
            let ((Some(a), _), (Some(b), _)) = (mg.p_a_better(), mc.p_a_better()) else {
                continue;
            };
            let m = PAIRED_METRICS[k];
            let order = |blk: &PathBlock, i: usize| {
                let (x, y) = (blk.record(i, pc.a)[m], blk.record(i, pc.b)[m]);
                x.partial_cmp(&y)
            };
            let changed = (0..c.n_paths as usize)
                .filter(|&i| order(g, i) != order(c, i))
                .count();
            let n = mc.n_compared.max(1) as f64;
            assert!(
                (a - b).abs() * n <= changed as f64 + 1e-9,
                "pair {}-{} metric {k}: P(a better) gpu {a} cpu {b}, {changed} paths changed order",
                pc.a,
                pc.b
            );
        }
    }
}

fn compare(test: &str, model: &FlatModel, n_paths: u32) {
    compare_allowing(test, model, n_paths, ALLOW_FLIPPED_PER_1000);
}

/// [`compare`] with `flipped_per_1000` flipped paths allowed per 1,000.
fn compare_allowing(test: &str, model: &FlatModel, n_paths: u32, flipped_per_1000: usize) {
    let Some(gpu) = gpu_engine(test) else { return };
    let g = gpu.simulate(model, 0, n_paths).expect("GPU run");
    let c = CpuEngine::new(Precision::F32)
        .simulate(model, 0, n_paths)
        .expect("CPU run");
    compare_blocks_allowing(test, model, &g, &c, flipped_per_1000);
}

/// The per-path and aggregate checks on one model's GPU block `g` against its CPU block `c`.
fn compare_blocks(test: &str, model: &FlatModel, g: &PathBlock, c: &PathBlock) {
    compare_blocks_allowing(test, model, g, c, ALLOW_FLIPPED_PER_1000);
}

/// [`compare_blocks`] with `flipped_per_1000` flipped paths allowed per 1,000: the library's
/// allowances (`fleetsim check` applies the same ones), each broken one a failure.
fn compare_blocks_allowing(
    test: &str,
    model: &FlatModel,
    g: &PathBlock,
    c: &PathBlock,
    flipped_per_1000: usize,
) {
    let a = path_agreement(model, g, c);
    let allow = compare::Allowances::for_paths_flipping(a.n, flipped_per_1000);
    eprintln!(
        "{test}: of {} paths, {} beyond {TOL:e} (allowed {}); {} flipped (allowed {}); {} \
         unflipped beyond {TIGHT_TOL:e} (allowed {})",
        a.n,
        a.beyond_tol,
        allow.beyond_tol,
        a.flipped,
        allow.flipped,
        a.beyond_tight,
        allow.beyond_tight
    );
    let broken = a.failures_against(&allow);
    assert!(broken.is_empty(), "{test}: {}", broken.join("; "));
    aggregates_agree(model, g, c);
}

/// The default comparison (Trainium2 vs B200, 5 years, job view, ramps, burn-in, infant
/// mortality, spares, RMA, outages at their catalog rates).
pub fn default_scenario_matches_cpu() {
    let m = flatten(&default_scenario(), 42);
    compare("default_scenario_matches_cpu", &m, 1000);
}

/// The counted failure process (MODEL.md 6.4c) on the GPU: the default comparison and the
/// stressed scenario (no spares: every hard failure waits, so the served / waiting split and
/// the backorders are exercised) with every day counted, and a fleet whose counted days take
/// every way back, path by path against the CPU.
pub fn counted_days_match_cpu() {
    let mut m = flatten(&default_scenario(), 42);
    m.run.counted_min_mean = 0.0;
    compare("counted_days_match_cpu (default)", &m, 400);
    let s = load_scenario_str(STRESS, "stress.toml").expect("valid stress scenario");
    let mut m = flatten(&s, 7);
    m.run.counted_min_mean = 0.0;
    compare("counted_days_match_cpu (stress)", &m, 300);
    // Hundreds of failures a day: the way backs by conditional binomials, one by one and by
    // return-day counts, with starved stocks (every counted-day branch). Its counted days
    // draw about a hundred counts by rejection or inversion each, every one of which flips
    // where f32 exp and log round differently on the two engines, so more of its paths flip
    // than in an event day model (measured on llvmpipe: 14 of 400, 35 per 1,000, the same at
    // twice the fleet: counted days draw as many counts whatever the fleet); a flipped path
    // must still stay within TOL, and the aggregates within their standard errors.
    compare_allowing(
        "counted_days_match_cpu (mixed way backs)",
        &common::mixed_way_backs_model(),
        400,
        ALLOW_FLIPPED_PER_1000_COUNTED,
    );
}

/// Every point's blocks of a `run_points` sweep, in path order, merged into one block.
fn sweep_blocks(engine: &dyn Engine, models: &[FlatModel], n_paths: u32) -> Vec<PathBlock> {
    let mut out: Vec<PathBlock> = models
        .iter()
        .map(|m| PathBlock {
            n_options: m.run.n_options,
            ..PathBlock::default()
        })
        .collect();
    run_points(
        engine,
        models,
        n_paths,
        |p, b| {
            assert_eq!(
                b.first_path, out[p].n_paths,
                "point {p}: blocks in path order"
            );
            out[p].n_paths += b.n_paths;
            out[p].values.extend_from_slice(&b.values);
        },
        |_| {},
    )
    .expect("sweep");
    out
}

/// A sweep through `run_points` (1-year horizon; prices and spares vary, each point with its
/// own seed): the GPU packs the points into shared dispatches, the CPU runs them one at a
/// time, and every point agrees as a single run does.
pub fn sweep_points_match_cpu() {
    let Some(gpu) = gpu_engine("sweep_points_match_cpu") else {
        return;
    };
    let src = synthetic_source("sweep_points_match_cpu");
    let base = BaseScenario::builtin_default();
    let models: Vec<FlatModel> = [(0.05, 18.0), (0.1, 0.0), (0.1, 60.0), (0.25, 18.0)]
        .iter()
        .enumerate()
        .map(|(i, &(price, spares))| {
            let s = base
                .with(&[
                    Override::number("scenario.horizon_years", 1.0, &src, 0),
                    Override::number("environment.usd_per_kwh", price, &src, 0),
                    Override::number("options.trn2.spare_nodes", spares, &src, 0),
                ])
                .expect("valid variant");
            flatten(&s, 20 + i as u64)
        })
        .collect();
    let n = 400;
    assert_eq!(
        gpu.points_per_call(models.len(), n),
        models.len(),
        "the GPU packs every point into one call"
    );
    let g = sweep_blocks(&gpu, &models, n);
    let c = sweep_blocks(&CpuEngine::new(Precision::F32), &models, n);
    for (p, m) in models.iter().enumerate() {
        compare_blocks(&format!("sweep point {p}"), m, &g[p], &c[p]);
    }
}

/// The stressed scenario of [`stressed_mechanisms_match_cpu`].
const STRESS: &str = r#"
[scenario]
name = "stress"
horizon_years = 3
capital_budget_usd = 60_000_000
seed = 7

[environment]
outage_rate_per_year = 12
outage_hours = { dist = "lognormal", median = 10, p90 = 40 }
sla_credit_fraction = 0.3
demand_volatility_per_day = 0.2

[options.trn2]
hardware = "trn2"
spare_nodes = 0
delivery_delay_days = 200
ramp_days = 300

[options.b200]
hardware = "b200-hgx"
spare_nodes = 0
[options.b200.job]
fraction = 0.8
job_chips = 512
checkpoint_interval_minutes = "young_daly"
"#;

/// Stress: no hot spares (every hard failure waits for its RMA part: backorders), a regional
/// outage a month with SLA credits, long delivery delays and ramps, demand noise.
pub fn stressed_mechanisms_match_cpu() {
    let text = STRESS;
    let s = load_scenario_str(text, "stress.toml").expect("valid stress scenario");
    let m = flatten(&s, 7);
    compare("stressed_mechanisms_match_cpu", &m, 600);
}

/// The economics mechanisms: a data centre built over months with interest during
/// construction and a power capacity charge, valued by use; FP8 market prices with premiums and
/// a next-generation step; yearly reserved terms with prepayment; a rented fleet repriced every
/// six months; a colocated fleet at book; taxes with partial bonus depreciation; a long
/// horizon (8 years, so the IRR buckets are 49 days).
pub fn economics_mechanisms_match_cpu() {
    let text = r#"
[scenario]
name = "economics"
horizon_years = 8
seed = 5
start_date = "2026-03-01"

[environment]
price_basis = "fp8"
tax_rate = 0.3
bonus_depreciation_fraction = 0.4
demand_volatility_per_day = 0.1

[options.own]
hardware = "trn2"
accelerators = 4096
dc_build_months = { dist = "pert", lo = 6, mode = 12, hi = 24 }
power_usd_per_kw_month = 12
reserved_term_years = 1
prepay_fraction = 0.3
next_gen_date = "2027-06-01"
next_gen_price_step = 0.2

[options.rent]
hardware = "trn2"
facility = "rent"
accelerators = 2048
rent_usd_per_chip_hour = 1.5
rent_term_years = 0.5
rent_uplift_fraction = 0.1

[options.colo]
hardware = "b200-hgx"
facility = "colo"
accelerators = 2048
dc_residual = "book"
reserved_term_years = { dist = "discrete", values = [1, 2, 3] }
"#;
    let s = load_scenario_str(text, "economics.toml").expect("valid economics scenario");
    let m = flatten(&s, 5);
    compare("economics_mechanisms_match_cpu", &m, 600);
}

/// GB200 NVL72 racks (blast radius 72 chips), colocation, correlated inputs (copula across
/// options), three options.
pub fn gb200_colo_and_copula_match_cpu() {
    let text = include_str!("../configs/scenarios/gb200.toml");
    let mut s = load_scenario_str(text, "configs/scenarios/gb200.toml").expect("valid");
    s.horizon_years = 2;
    let m = flatten(&s, 11);
    assert!(m.run.n_corr > 0, "the scenario must exercise the copula");
    compare("gb200_colo_and_copula_match_cpu", &m, 400);
}

/// Splitting the horizon into windows (state carried in a buffer between dispatches) gives
/// bit-identical outputs to fewer, longer windows on the same device.
pub fn windows_do_not_change_results() {
    let Some(gpu) = gpu_engine("windows_do_not_change_results") else {
        return;
    };
    let mut s = default_scenario();
    s.horizon_years = 2;
    let m = flatten(&s, 3);
    let a = gpu.with_window_days(365);
    let ra = a.simulate(&m, 100, 96).expect("GPU run");
    let b = a.with_window_days(29);
    let rb = b.simulate(&m, 100, 96).expect("GPU run");
    assert_eq!(b.window_days(), 29);
    for (i, (x, y)) in ra.values.iter().zip(&rb.values).enumerate() {
        assert!(
            x.to_bits() == y.to_bits(),
            "value {i} differs: {x} (365-day windows) vs {y} (29-day windows)"
        );
    }
}

/// The f32 GPU against the CPU's f64 reference on the default 5-year scenario: relative NPV
/// error median below 1e-6 and 99th percentile below 6e-5 over paths whose failure counts
/// agree (the accumulation error; count differences are model-level divergence, bounded by the
/// per-path test above). The measured figures are printed and quoted in docs/MODEL.md (section 7).
pub fn gpu_f32_error_against_f64_reference() {
    let Some(gpu) = gpu_engine("gpu_f32_error_against_f64_reference") else {
        return;
    };
    let m = flatten(&default_scenario(), 42);
    let n = 600;
    let g = gpu.simulate(&m, 0, n).expect("GPU run");
    let r = CpuEngine::new(Precision::F64)
        .simulate(&m, 0, n)
        .expect("CPU f64 run");
    let mut errs = Vec::new();
    // The same error relative to the fleet's capex (the scale of the flows NPV nets out).
    let mut gross = Vec::new();
    for i in 0..n as usize {
        for o in 0..m.run.n_options as usize {
            let (gr, rr) = (g.record(i, o), r.record(i, o));
            let counts_agree = [idx::HARD_FAILURES, idx::SOFT_FAILURES]
                .iter()
                .all(|&k| gr[k] == rr[k]);
            if counts_agree {
                let (a, b) = (gr[idx::NPV_USD], rr[idx::NPV_USD]);
                errs.push(((a - b) / b).abs());
                gross.push(((a - b) / rr[idx::CAPEX_USD]).abs());
            }
        }
    }
    assert!(
        errs.len() as f64 >= 0.99 * (2 * n) as f64,
        "too many count differences"
    );
    errs.sort_by(f64::total_cmp);
    let q = |p: f64| errs[((errs.len() - 1) as f64 * p) as usize];
    eprintln!(
        "GPU f32 vs CPU f64, NPV relative error over {} path-options: median {:.2e}, p99 {:.2e}, max {:.2e}",
        errs.len(),
        q(0.5),
        q(0.99),
        q(1.0)
    );
    // Bounds about 3x the figures measured on llvmpipe (median 3.0e-7, p99 1.8e-5).
    assert!(q(0.5) < 1e-6, "median NPV error {:.2e}", q(0.5));
    assert!(q(0.99) < 6e-5, "p99 NPV error {:.2e}", q(0.99));
    // The tail comes from paths whose NPV is close to zero (a small difference of large flows);
    // measured against the capex it is at the level of f32 rounding of the inputs (measured on
    // llvmpipe: median 9.7e-8, p99 7.1e-7).
    gross.sort_by(f64::total_cmp);
    let g = |p: f64| gross[((gross.len() - 1) as f64 * p) as usize];
    eprintln!(
        "  the same NPV error relative to capex: median {:.2e}, p99 {:.2e}, max {:.2e}",
        g(0.5),
        g(0.99),
        g(1.0)
    );
    // About 3x the measured figures (median 9.7e-8, p99 7.1e-7).
    assert!(
        g(0.5) < 3e-7,
        "median NPV error relative to capex {:.2e}",
        g(0.5)
    );
    assert!(
        g(0.99) < 2e-6,
        "p99 NPV error relative to capex {:.2e}",
        g(0.99)
    );
}

/// A whole horizon in one dispatch on a model whose per-failure draws alone need about 8x the
/// loop iterations llvmpipe allows an invocation (65,535; `common::loop_heavy_model`), so the
/// cut happens whatever the kernel's own loop structure: the kernel's probe reports it and the
/// engine halves the window until it fits; the results are those of short windows, bit for
/// bit. On hardware without such a limit the single dispatch simply succeeds, with the same
/// results.
pub fn a_driver_loop_limit_is_detected_and_the_window_shrunk() {
    let Some(gpu) = gpu_engine("a_driver_loop_limit_is_detected_and_the_window_shrunk") else {
        return;
    };
    let software = gpu.context().adapter.software;
    let m = common::loop_heavy_model(8, 0.3);
    let whole = gpu.with_window_days(0);
    let a = whole.simulate(&m, 0, 8).expect("GPU run");
    let window = whole.window_days();
    if software {
        assert!(
            window > 0 && window < m.run.horizon_days,
            "llvmpipe should have forced windows, window is {window}"
        );
    }
    eprintln!("window after the run: {window} days (0 = whole horizon)");
    let short = whole.with_window_days(30);
    let b = short.simulate(&m, 0, 8).expect("GPU run");
    assert!(
        a.values
            .iter()
            .zip(&b.values)
            .all(|(x, y)| x.to_bits() == y.to_bits()),
        "results depend on the window"
    );
}

/// The GPU twin of `precision::a_20_year_reserved_only_revenue_is_summed_to_f32_rounding`:
/// 7,300 equal daily revenues summed by the kernel's compensated sum end within 2e-7 of the
/// exact total (about 2 f32 spacings); the plain f32 sum is 6.4e-5 off, so a kernel without
/// the compensation, or one whose compiler folded it away (M18), fails.
pub fn a_20_year_reserved_only_revenue_is_summed_to_f32_rounding_on_the_gpu() {
    let Some(gpu) =
        gpu_engine("a_20_year_reserved_only_revenue_is_summed_to_f32_rounding_on_the_gpu")
    else {
        return;
    };
    let (m, exact) = common::reserved_only_20_years();
    let g = gpu.simulate(&m, 0, 4).expect("GPU run");
    for i in 0..4 {
        let got = g.record(i, 0)[idx::REVENUE_USD];
        let err = ((got - exact) / exact).abs();
        eprintln!(
            "20-year reserved revenue, GPU path {i}: {got} vs {exact}, relative error {err:.2e}"
        );
        assert!(err < 2e-7, "GPU revenue {got} vs exact {exact}: {err:.2e}");
    }
}

/// A 54-day horizon (one partial year, SLA months of 31 and 23 days), one fleet already in
/// service at day 0 beside one delivered late, frequent regional outages starting at random
/// hours, and the monthly SLA with Amazon EC2's region-level tiers.
pub fn horizon_of_54_days_in_service_and_monthly_sla_match_cpu() {
    let text = r#"
[scenario]
name = "short"
horizon_days = 54
capital_budget_usd = 100_000_000

[environment]
outage_rate_per_year = 24
outage_hours = { dist = "lognormal", median = 10, p90 = 40 }
sla = "monthly"

[options.trn2]
hardware = "trn2"
in_service = true

[options.b200]
hardware = "b200-hgx"
delivery_delay_days = 20
ramp_days = 20
"#;
    let s = load_scenario_str(text, "short.toml").expect("valid scenario");
    let m = flatten(&s, 54);
    assert_eq!((m.run.horizon_days, m.run.n_years), (54, 1));
    compare(
        "horizon_of_54_days_in_service_and_monthly_sla_match_cpu",
        &m,
        1000,
    );
}

/// Six options (more than the former limit of four; fleets in service and delivered late,
/// colocation, the job view), a year of outages with custom monthly SLA tiers.
pub fn six_options_match_cpu() {
    let text = r#"
[scenario]
name = "six"
horizon_years = 1
capital_budget_usd = 50_000_000

[environment]
outage_rate_per_year = 12
outage_hours = { dist = "lognormal", median = 8, p90 = 30 }
sla = "monthly"
sla_tiers = [{ uptime_below = 0.999, credit = 0.05 }, { uptime_below = 0.99, credit = 0.25 }, { uptime_below = 0.9, credit = 0.5 }, { uptime_below = 0.5, credit = 1.0 }]

[options.trn2]
hardware = "trn2"
[options.trn2-live]
hardware = "trn2"
in_service = true
[options.b200]
hardware = "b200-hgx"
[options.b200-live]
hardware = "b200-hgx"
in_service = true
spare_nodes = 0
[options.h100]
hardware = "h100"
[options.gb200]
hardware = "gb200-nvl72"
facility = "colo"
in_service = true
"#;
    let s = load_scenario_str(text, "six.toml").expect("valid scenario");
    let m = flatten(&s, 6);
    assert_eq!(m.run.n_options, 6);
    compare("six_options_match_cpu", &m, 300);
}

/// The closed forms of `tests/horizon_service_sla.rs` on the GPU: an in-service fleet with no
/// failure downtime is fully available and earns its full revenue from day 0; a monthly tier
/// that every month falls below credits exactly its share (revenue 0.75 of the uncredited).
pub fn in_service_and_monthly_credit_closed_forms_hold_on_the_gpu() {
    let Some(gpu) = gpu_engine("in_service_and_monthly_credit_closed_forms_hold_on_the_gpu") else {
        return;
    };
    let n = 64;
    let m = common::model(vec![common::in_service_option(true)], 1, 17);
    let g = gpu.simulate(&m, 0, n).expect("GPU run");
    let chips = 50.0 * 8.0 * 24.0 * 365.0;
    for i in 0..n as usize {
        let r = g.record(i, 0);
        assert_eq!(r[idx::AVAILABILITY], 1.0, "path {i}");
        let rev = chips * 0.5 * 2.0;
        assert!(
            ((r[idx::REVENUE_USD] - rev) / rev).abs() < 1e-6,
            "path {i}: {}",
            r[idx::REVENUE_USD]
        );
        assert_eq!(r[idx::CAPEX_USD], 50.0 * 8.0 * 1000.0);
    }
    let d = gpu
        .simulate(&common::sla_model(None, 4), 0, n)
        .expect("GPU run");
    let mo = gpu
        .simulate(&common::sla_model(Some(&[(1.0, 0.25)]), 4), 0, n)
        .expect("GPU run");
    let c = CpuEngine::new(Precision::F32)
        .simulate(&common::sla_model(Some(&[(1.0, 0.25)]), 4), 0, n)
        .expect("CPU run");
    for i in 0..n as usize {
        let (a, b) = (d.record(i, 0), mo.record(i, 0));
        assert_eq!(a[idx::AVAILABILITY], b[idx::AVAILABILITY]);
        assert!(a[idx::AVAILABILITY] < 1.0);
        let want = 0.75 * a[idx::REVENUE_USD];
        assert!(
            ((b[idx::REVENUE_USD] - want) / want).abs() < 1e-5,
            "path {i}"
        );
        let cpu = c.record(i, 0)[idx::REVENUE_USD];
        assert!(
            ((b[idx::REVENUE_USD] - cpu) / cpu).abs() < 1e-5,
            "path {i}: gpu vs cpu"
        );
    }
}

/// The monthly SLA's carried sums (the month's outage hours in `EnvState`, its revenue in
/// `OptionState`) cross window boundaries: 29-day windows cut the 54-day horizon inside its
/// first SLA month, and give bit-identical outputs to one 365-day window.
pub fn windows_carry_the_sla_month() {
    let Some(gpu) = gpu_engine("windows_carry_the_sla_month") else {
        return;
    };
    let tiers = [(0.9999, 0.10), (0.99, 0.30), (0.95, 1.00)];
    let m = common::sla_model(Some(&tiers), 8);
    let a = gpu.with_window_days(365);
    let ra = a.simulate(&m, 0, 64).expect("GPU run");
    let b = a.with_window_days(29);
    let rb = b.simulate(&m, 0, 64).expect("GPU run");
    let c = CpuEngine::new(Precision::F32)
        .simulate(&m, 0, 64)
        .expect("CPU run");
    for (i, (x, y)) in ra.values.iter().zip(&rb.values).enumerate() {
        assert!(
            x.to_bits() == y.to_bits(),
            "value {i} differs: {x} (365-day windows) vs {y} (29-day windows)"
        );
    }
    compare_blocks("windows_carry_the_sla_month", &m, &rb, &c);
}

/// The monthly series on the GPU (written at each month's end after the record, carried
/// across the windows llvmpipe runs the horizon in) against the CPU's, path by path: failure
/// counts exactly on paths whose failure counts agree, the other series within 1e-4 of their
/// month's scale (the mean absolute value over paths); and recording them changes no record.
pub fn monthly_series_match_cpu() {
    let Some(gpu) = gpu_engine("monthly_series_match_cpu") else {
        return;
    };
    let plain = flatten(&default_scenario(), 42);
    let mut m = plain.clone();
    m.run.n_months = fleetsim::model::fleet_step::n_months(m.run.horizon_days);
    let n = 300u32;
    let g = gpu.simulate(&m, 0, n).expect("GPU run");
    let c = CpuEngine::new(Precision::F32)
        .simulate(&m, 0, n)
        .expect("CPU run");
    let g0 = gpu.simulate(&plain, 0, n).expect("GPU run without series");
    assert!(
        g.values
            .iter()
            .zip(&g0.values)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "recording the monthly series changed a GPU record"
    );
    let per = m.run.n_months as usize * fleetsim::model::outputs::N_MONTHLY;
    let n_opt = m.run.n_options as usize;
    let mut scale = vec![0.0f64; n_opt * per];
    for i in 0..n as usize {
        for o in 0..n_opt {
            for (k, v) in c.months(i, o).iter().enumerate() {
                scale[o * per + k] += v.abs() / f64::from(n);
            }
        }
    }
    let (mut beyond, mut worst) = (0usize, (0.0f64, String::new()));
    for i in 0..n as usize {
        let mut ok = true;
        for o in 0..n_opt {
            if compare::discrete_differs(g.record(i, o), c.record(i, o)) {
                continue;
            }
            for (k, (a, b)) in g.months(i, o).iter().zip(c.months(i, o)).enumerate() {
                let err = (a - b).abs() / scale[o * per + k].max(b.abs()).max(1e-30);
                if err > worst.0 {
                    worst = (
                        err,
                        format!("path {i} option {o} slot {k}: gpu {a} cpu {b}"),
                    );
                }
                ok &= err <= TIGHT_TOL;
            }
        }
        beyond += !ok as usize;
    }
    eprintln!(
        "monthly series: worst relative difference {:.2e}: {}",
        worst.0, worst.1
    );
    assert!(
        beyond <= ALLOW_BEYOND_TIGHT,
        "{beyond} of {n} paths have a monthly value beyond {TIGHT_TOL:e}"
    );
}
