//! `fleetsim check`: the GPU engine against the CPU engine on the same paths of one scenario,
//! as a user-facing verdict. Both engines draw the same random numbers, so their outputs are
//! paired path by path: the report gives the fraction of paths whose outputs agree within the
//! tolerances of the equivalence tests ([`compare`]), and per (option, metric) the GPU's and the
//! CPU's mean with their difference in units of the Monte Carlo standard error, against the
//! CPU's f32 twin and its f64 reference. [`CheckReport::from_blocks`] judges blocks computed
//! elsewhere (pure, so a failing verdict is tested on constructed inputs);
//! [`run_check`] simulates them first.

pub mod compare;

use std::time::Instant;

use serde::Serialize;

use crate::engine::{Engine, EngineError, EngineInfo, PathBlock, check_finite};
use crate::gpu::adapter::AdapterSummary;
use crate::model::outputs::{N_OUT, SCALAR_METRICS, idx, metrics_for};
use crate::model::params::FlatModel;
use crate::stats::{PAIRED_METRICS, RunAggregate, never_past_horizon};
use compare::{Allowances, PathAgreement, TIGHT_TOL, TOL, mean_bound, mean_se, path_agreement};

/// A mean of the GPU may differ from the CPU's by at most this many Monte Carlo standard
/// errors of the CPU's mean (what a planner reads as "the same answer").
pub const MAX_SE: f64 = 1.0;

/// What was checked: the scenario, its paths and seed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckSubject {
    /// Scenario name.
    pub scenario: String,
    /// Where it came from (a file, or the built-in default).
    pub origin: String,
    /// Option names, in order.
    pub options: Vec<String>,
    /// Run seed.
    pub seed: u64,
    /// Paths simulated on each engine (0 .. paths).
    pub paths: u32,
    /// Horizon in days.
    pub horizon_days: u32,
}

/// Wall time of each engine's simulation, seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Timings {
    /// The GPU engine.
    pub gpu: f64,
    /// The CPU engine in f32.
    pub cpu_f32: f64,
    /// The CPU engine in f64 (absent without the reference).
    pub cpu_f64: Option<f64>,
}

/// The tolerances the verdict applies (from [`compare`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tolerances {
    /// Per-path relative tolerance on every output.
    pub tol: f64,
    /// Per-path tolerance on paths whose discrete outputs agree.
    pub tight_tol: f64,
    /// Paths allowed to break each, for this many paths.
    pub allowed: Allowances,
    /// Paired standard errors a mean may differ by (plus a floor of its scale).
    pub mean_paired_ses: f64,
    /// Monte Carlo standard errors a mean may differ by.
    pub max_se: f64,
}

/// Per-path agreement as fractions, with the counts behind them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathCheck {
    /// Fraction of paths with every output of every option within [`TOL`].
    pub fraction_within_tol: f64,
    /// Fraction of paths with no flipped discrete output and every output within [`TIGHT_TOL`].
    pub fraction_within_tight: f64,
    /// Fraction of paths where a failure count, interruption count or payback day differs.
    pub fraction_flipped: f64,
    /// The counts, and the worst outputs.
    pub agreement: PathAgreement,
    /// Whether the counts keep the allowances.
    pub pass: bool,
}

impl PathCheck {
    /// The fractions of `a`, judged against [`Allowances::for_paths`].
    pub fn of(a: PathAgreement) -> Self {
        let n = a.n.max(1) as f64;
        PathCheck {
            fraction_within_tol: 1.0 - a.beyond_tol as f64 / n,
            fraction_within_tight: 1.0 - (a.flipped + a.beyond_tight) as f64 / n,
            fraction_flipped: a.flipped as f64 / n,
            pass: a.failures().is_empty(),
            agreement: a,
        }
    }
}

/// One (option, metric)'s mean on both engines.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricCheck {
    /// Option name.
    pub option: String,
    /// Metric name.
    pub metric: String,
    /// Mean on the GPU.
    pub gpu: Option<f64>,
    /// Mean on the CPU (f32).
    pub cpu: Option<f64>,
    /// `gpu - cpu`.
    pub difference: Option<f64>,
    /// Monte Carlo standard error of the CPU's mean (sd / sqrt(n)).
    pub se: Option<f64>,
    /// `difference / se`: the difference in standard errors (absent where se is 0).
    pub z: Option<f64>,
    /// The bound from the paired per-path differences (5 paired SEs plus a floor of the
    /// scale); absent where the engines disagree on which paths never reach the metric.
    pub paired_bound: Option<f64>,
    /// Mean on the CPU's f64 reference.
    pub cpu_f64: Option<f64>,
    /// `(gpu - cpu_f64) / se`.
    pub z_f64: Option<f64>,
    /// Whether this mean agrees (see [`judge_mean`]).
    pub pass: bool,
}

/// One pair's P(a better than b) on one paired metric on both engines.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairCheck {
    /// Option a.
    pub a: String,
    /// Option b.
    pub b: String,
    /// Metric name.
    pub metric: String,
    /// P(a better) on the GPU.
    pub gpu: Option<f64>,
    /// P(a better) on the CPU (f32).
    pub cpu: Option<f64>,
    /// Its standard error on the CPU, sqrt(p (1 - p) / n).
    pub se: Option<f64>,
    /// `(gpu - cpu) / se` (absent where se is 0).
    pub z: Option<f64>,
    /// Paths on which the order of a and b differs between the engines: `n |gpu - cpu|` can
    /// be at most this.
    pub changed_paths: u64,
    /// Whether it agrees.
    pub pass: bool,
}

/// The GPU against the CPU's f64 reference, path by path: NPV's relative error over the
/// path-options whose failure counts agree.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReferenceCheck {
    /// Path-options compared (failure counts equal in f32 and f64).
    pub path_options: usize,
    /// Path-options left out: their failure counts differ.
    pub count_differs: usize,
    /// Median relative NPV error.
    pub npv_relative_error_median: f64,
    /// 99th percentile.
    pub npv_relative_error_p99: f64,
    /// Largest.
    pub npv_relative_error_max: f64,
}

/// What a check ran: the subject, the adapter, the engines and their times.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRun {
    /// The scenario, seed and paths.
    pub subject: CheckSubject,
    /// The adapter the GPU engine ran on.
    pub adapter: AdapterSummary,
    /// The Philox variant of the GPU kernel (`native64`, `limbs16`), if known.
    pub philox: Option<String>,
    /// The engines, as they describe themselves.
    pub engines: Vec<EngineInfo>,
    /// Wall time per engine.
    pub seconds: Timings,
}

/// Pass or fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    /// Every check holds.
    Pass,
    /// Some check fails: see [`CheckReport::failures`].
    Fail,
}

/// Everything `fleetsim check` reports (its `--json` file).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckReport {
    /// fleetsim version.
    pub fleetsim_version: String,
    /// The scenario, seed and paths.
    pub subject: CheckSubject,
    /// The adapter the GPU engine ran on.
    pub adapter: AdapterSummary,
    /// The Philox variant of the GPU kernel (`native64`: SHADER_INT64; `limbs16`: the
    /// fallback), if known.
    pub philox: Option<String>,
    /// The engines, as they describe themselves.
    pub engines: Vec<EngineInfo>,
    /// Wall time per engine.
    pub seconds: Timings,
    /// What the verdict applies.
    pub tolerances: Tolerances,
    /// GPU against CPU f32, path by path.
    pub paths: PathCheck,
    /// Every (option, metric) mean.
    pub metrics: Vec<MetricCheck>,
    /// Every pair's P(a better than b).
    pub pairs: Vec<PairCheck>,
    /// GPU against the CPU's f64 reference, path by path (absent without it).
    pub reference_f64: Option<ReferenceCheck>,
    /// Why the check fails, one line each; empty on a pass.
    pub failures: Vec<String>,
    /// PASS or FAIL.
    pub verdict: Verdict,
}

/// Whether a GPU mean agrees with the CPU's: within [`MAX_SE`] Monte Carlo standard errors of
/// the CPU's mean (when the metric varies: `se > 0`), within the paired bound when there is
/// one, and within `MAX_SE` of the f64 reference when there is one. Two absent means agree;
/// one absent does not. `slack` is the aggregator's summation-order allowance.
pub fn judge_mean(
    gpu: Option<f64>,
    cpu: Option<f64>,
    se: Option<f64>,
    paired_bound: Option<f64>,
    cpu_f64: Option<f64>,
    slack: f64,
) -> bool {
    let (g, c) = match (gpu, cpu) {
        (Some(g), Some(c)) => (g, c),
        (None, None) => return true,
        _ => return false,
    };
    let d = (g - c).abs();
    let se = se.unwrap_or(0.0);
    let within_se = |d: f64| se <= 0.0 || d <= MAX_SE * se + slack;
    within_se(d)
        && paired_bound.is_none_or(|b| d <= b + slack)
        && cpu_f64.is_none_or(|r| within_se((g - r).abs()))
}

/// `d / se`, absent where `se` is not positive.
fn z(d: Option<f64>, se: Option<f64>) -> Option<f64> {
    match (d, se) {
        (Some(d), Some(se)) if se > 0.0 => Some(d / se),
        _ => None,
    }
}

impl CheckReport {
    /// Judges the GPU block `g` against the CPU's f32 block `c` and, if given, its f64 block
    /// `r`: all of the same paths `0..n` of `model`, whose options are named in `subject`.
    pub fn from_blocks(
        run: CheckRun,
        model: &FlatModel,
        g: &PathBlock,
        c: &PathBlock,
        r: Option<&PathBlock>,
    ) -> CheckReport {
        let CheckRun {
            subject,
            adapter,
            philox,
            engines,
            seconds,
        } = run;
        let n_opt = model.run.n_options as usize;
        let n_years = model.run.n_years as usize;
        let horizon = model.run.horizon_days;
        let aggregate = |b: &PathBlock| {
            let mut a = RunAggregate::new(n_opt, n_years).with_horizon_days(horizon);
            a.add_block(b);
            a
        };
        let (ag, ac) = (aggregate(g), aggregate(c));
        let ar = r.map(aggregate);
        let scale = compare::scales(n_opt, c);
        let n = c.n_paths as usize;
        let names = &subject.options;
        let mut metrics = Vec::new();
        for o in 0..n_opt {
            for (m, _, name) in metrics_for(n_years, &[]) {
                let (Some(sg), Some(sc)) = (ag.summary(o, m), ac.summary(o, m)) else {
                    continue;
                };
                let (sg, sc) = (sg.finish(), sc.finish());
                let sr = ar
                    .as_ref()
                    .and_then(|a| a.summary(o, m))
                    .map(|s| s.finish());
                let never = |x: f64| never_past_horizon(&name) && x > horizon as f64;
                let same_status =
                    (0..n).all(|i| never(g.record(i, o)[m]) == never(c.record(i, o)[m]));
                let paired_bound = same_status
                    .then(|| {
                        let d: Vec<f64> = (0..n)
                            .map(|i| (g.record(i, o)[m], c.record(i, o)[m]))
                            .filter(|(a, b)| {
                                a.is_finite() && b.is_finite() && !never(*a) && !never(*b)
                            })
                            .map(|(a, b)| a - b)
                            .collect();
                        mean_bound(&name, mean_se(&d).1, scale[o * N_OUT + m])
                    })
                    .filter(|_| sg.mean.is_some() && sc.mean.is_some());
                let difference = sg.mean.zip(sc.mean).map(|(a, b)| a - b);
                let cpu_f64 = sr.as_ref().and_then(|s| s.mean);
                let slack = 1e-9 * sc.mean.unwrap_or(0.0).abs().max(scale[o * N_OUT + m]);
                metrics.push(MetricCheck {
                    option: names[o].clone(),
                    metric: name.clone(),
                    gpu: sg.mean,
                    cpu: sc.mean,
                    difference,
                    se: sc.se,
                    z: z(difference, sc.se),
                    paired_bound,
                    cpu_f64,
                    z_f64: z(sg.mean.zip(cpu_f64).map(|(a, b)| a - b), sc.se),
                    pass: judge_mean(sg.mean, sc.mean, sc.se, paired_bound, cpu_f64, slack),
                });
            }
        }
        let mut pairs = Vec::new();
        for (pg, pc) in ag.pairs().iter().zip(ac.pairs()) {
            for (k, (mg, mc)) in pg.metrics.iter().zip(&pc.metrics).enumerate() {
                let m = PAIRED_METRICS[k];
                let order = |b: &PathBlock, i: usize| {
                    b.record(i, pc.a)[m].partial_cmp(&b.record(i, pc.b)[m])
                };
                let changed = (0..n).filter(|&i| order(g, i) != order(c, i)).count() as u64;
                let ((pgv, _), (pcv, se)) = (mg.p_a_better(), mc.p_a_better());
                let d = pgv.zip(pcv).map(|(a, b)| a - b);
                let n_cmp = mc.n_compared.max(1) as f64;
                let pass = match (pgv, pcv) {
                    (Some(a), Some(b)) => {
                        (a - b).abs() * n_cmp <= changed as f64 + 1e-9
                            && judge_mean(Some(a), Some(b), se, None, None, 1e-12)
                    }
                    (None, None) => true,
                    _ => false,
                };
                pairs.push(PairCheck {
                    a: names[pc.a].clone(),
                    b: names[pc.b].clone(),
                    metric: SCALAR_METRICS[m].name.to_string(),
                    gpu: pgv,
                    cpu: pcv,
                    se,
                    z: z(d, se),
                    changed_paths: changed,
                    pass,
                });
            }
        }
        let paths = PathCheck::of(path_agreement(model, g, c));
        let reference_f64 = r.map(|r| reference_check(n_opt, g, r));
        let mut failures: Vec<String> = paths.agreement.failures();
        for mc in metrics.iter().filter(|m| !m.pass) {
            failures.push(format!(
                "{} {}: mean gpu {} cpu {} (f64 {}), {} SE{}",
                mc.option,
                mc.metric,
                opt(mc.gpu),
                opt(mc.cpu),
                opt(mc.cpu_f64),
                mc.z.map_or("-".into(), |z| format!("{z:+.2}")),
                mc.paired_bound
                    .map_or(String::new(), |b| format!(", paired bound {b:.3e}")),
            ));
        }
        for p in pairs.iter().filter(|p| !p.pass) {
            failures.push(format!(
                "P({} better than {} on {}): gpu {} cpu {}, {} paths changed order",
                p.a,
                p.b,
                p.metric,
                opt(p.gpu),
                opt(p.cpu),
                p.changed_paths
            ));
        }
        let verdict = if failures.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        CheckReport {
            fleetsim_version: env!("CARGO_PKG_VERSION").to_string(),
            tolerances: Tolerances {
                tol: TOL,
                tight_tol: TIGHT_TOL,
                allowed: Allowances::for_paths(n),
                mean_paired_ses: compare::MEAN_PAIRED_SES,
                max_se: MAX_SE,
            },
            subject,
            adapter,
            philox,
            engines,
            seconds,
            paths,
            metrics,
            pairs,
            reference_f64,
            failures,
            verdict,
        }
    }

    /// The report as text: adapter, per-path fractions, the scalar metrics' means (yearly cash
    /// flows only where they fail), the pairs, the verdict with its reasons.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let a = &self.adapter;
        let s_ = &self.subject;
        s.push_str(&format!(
            "fleetsim check: GPU engine (f32) against the CPU engine (f32 twin{}) on the same paths\n",
            if self.reference_f64.is_some() {
                ", f64 reference"
            } else {
                ""
            }
        ));
        s.push_str(&format!(
            "adapter: {} (api {}, device type {}{}, driver {} {}){}\n",
            a.name,
            a.backend,
            a.device_type,
            if a.software { ", software" } else { "" },
            a.driver,
            a.driver_info,
            self.philox
                .as_ref()
                .map_or(String::new(), |p| format!(", Philox {p}"))
        ));
        s.push_str(&format!(
            "scenario: {} ({}), {} paths, seed {}, {} days, options {}\n",
            s_.scenario,
            s_.origin,
            s_.paths,
            s_.seed,
            s_.horizon_days,
            s_.options.join(", ")
        ));
        let t = &self.seconds;
        s.push_str(&format!(
            "time: gpu {:.2} s, cpu f32 {:.2} s{}\n",
            t.gpu,
            t.cpu_f32,
            t.cpu_f64
                .map_or(String::new(), |x| format!(", cpu f64 {x:.2} s"))
        ));
        let p = &self.paths;
        let al = &self.tolerances.allowed;
        s.push_str(&format!(
            "paths: {:.4} within {:e} ({} beyond, allowed {}); {:.4} within {:e} and unflipped; {} flipped (a failure count, interruption or payback day differs; allowed {}); {} unflipped beyond {:e} (allowed {})\n",
            p.fraction_within_tol,
            TOL,
            p.agreement.beyond_tol,
            al.beyond_tol,
            p.fraction_within_tight,
            TIGHT_TOL,
            p.agreement.flipped,
            al.flipped,
            p.agreement.beyond_tight,
            TIGHT_TOL,
            al.beyond_tight
        ));
        if let Some(w) = &p.agreement.worst {
            s.push_str(&format!(
                "  worst output: {} of {} on path {}: gpu {} cpu {} ({:.2e} relative)\n",
                w.metric, self.subject.options[w.option], w.path, w.value, w.reference, w.relative
            ));
        }
        if let Some(r) = &self.reference_f64 {
            s.push_str(&format!(
                "f64 reference: NPV relative error over {} path-options with equal failure counts: median {:.2e}, p99 {:.2e}, max {:.2e} ({} left out: counts differ)\n",
                r.path_options,
                r.npv_relative_error_median,
                r.npv_relative_error_p99,
                r.npv_relative_error_max,
                r.count_differs
            ));
        }
        s.push_str(&format!(
            "means (difference in Monte Carlo standard errors of the CPU mean; pass: within {MAX_SE} SE and the paired bound):\n"
        ));
        let width = self
            .metrics
            .iter()
            .map(|m| m.option.len() + m.metric.len() + 1)
            .max()
            .unwrap_or(0);
        s.push_str(&format!(
            "  {:width$}  {:>16} {:>16} {:>9} {:>9}  verdict\n",
            "option metric", "gpu", "cpu f32", "SE", "SE f64"
        ));
        let scalar = |name: &str| SCALAR_METRICS.iter().any(|m| m.name == name);
        for m in self.metrics.iter().filter(|m| !m.pass || scalar(&m.metric)) {
            s.push_str(&format!(
                "  {:width$}  {:>16} {:>16} {:>9} {:>9}  {}\n",
                format!("{} {}", m.option, m.metric),
                opt(m.gpu),
                opt(m.cpu),
                m.z.map_or("-".into(), |z| format!("{z:+.3}")),
                m.z_f64.map_or("-".into(), |z| format!("{z:+.3}")),
                if m.pass { "ok" } else { "FAIL" }
            ));
        }
        let hidden = self
            .metrics
            .iter()
            .filter(|m| m.pass && !scalar(&m.metric))
            .count();
        if hidden > 0 {
            s.push_str(&format!(
                "  ({hidden} yearly cash flows agree too; all in --json)\n"
            ));
        }
        if !self.pairs.is_empty() {
            s.push_str("P(a better than b):\n");
            for p in &self.pairs {
                s.push_str(&format!(
                    "  {} vs {} {}: gpu {} cpu {}, {} SE, {} paths changed order  {}\n",
                    p.a,
                    p.b,
                    p.metric,
                    opt(p.gpu),
                    opt(p.cpu),
                    p.z.map_or("-".into(), |z| format!("{z:+.3}")),
                    p.changed_paths,
                    if p.pass { "ok" } else { "FAIL" }
                ));
            }
        }
        let n_ok = self.metrics.iter().filter(|m| m.pass).count()
            + self.pairs.iter().filter(|m| m.pass).count();
        let n_all = self.metrics.len() + self.pairs.len();
        match self.verdict {
            Verdict::Pass => s.push_str(&format!(
                "PASS: {:.2} % of paths within {TOL:e}, {n_ok} of {n_all} aggregates within their standard error and bounds, on {}\n",
                100.0 * p.fraction_within_tol,
                a.label()
            )),
            Verdict::Fail => {
                s.push_str(&format!(
                    "FAIL: {} check(s) failed on {}:\n",
                    self.failures.len(),
                    a.label()
                ));
                for f in &self.failures {
                    s.push_str(&format!("  - {f}\n"));
                }
            }
        }
        s
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.6e}"))
}

/// NPV's relative error of `g` against the f64 block `r` over path-options whose failure
/// counts agree.
fn reference_check(n_opt: usize, g: &PathBlock, r: &PathBlock) -> ReferenceCheck {
    let mut errs = Vec::new();
    let mut differ = 0;
    for i in 0..r.n_paths as usize {
        for o in 0..n_opt {
            let (gr, rr) = (g.record(i, o), r.record(i, o));
            if [idx::HARD_FAILURES, idx::SOFT_FAILURES]
                .iter()
                .all(|&k| gr[k] == rr[k])
            {
                let (a, b) = (gr[idx::NPV_USD], rr[idx::NPV_USD]);
                errs.push(if b == 0.0 { 0.0 } else { ((a - b) / b).abs() });
            } else {
                differ += 1;
            }
        }
    }
    errs.sort_by(f64::total_cmp);
    let q = |p: f64| {
        if errs.is_empty() {
            0.0
        } else {
            errs[((errs.len() - 1) as f64 * p) as usize]
        }
    };
    ReferenceCheck {
        path_options: errs.len(),
        count_differs: differ,
        npv_relative_error_median: q(0.5),
        npv_relative_error_p99: q(0.99),
        npv_relative_error_max: q(1.0),
    }
}

/// Paths `0..n_paths` of `model` on `engine`, in its preferred chunks, checked for non-finite
/// outputs, as one block; with the wall time in seconds.
pub fn simulate_all(
    engine: &dyn Engine,
    model: &FlatModel,
    n_paths: u32,
) -> Result<(PathBlock, f64), EngineError> {
    let t = Instant::now();
    let chunk = engine.chunk_paths(model.run.n_options).max(1);
    let mut out = PathBlock::for_model(model, 0, 0);
    let mut first = 0;
    while first < n_paths {
        let k = chunk.min(n_paths - first);
        let b = engine.simulate(model, first, k)?;
        if b.first_path != first || b.n_paths != k {
            return Err(EngineError::Bug(format!(
                "asked for paths {first}..{} and got {}..{}",
                first + k,
                b.first_path,
                b.first_path + b.n_paths
            )));
        }
        check_finite(&b)?;
        out.n_paths += b.n_paths;
        out.values.extend_from_slice(&b.values);
        out.monthly.extend_from_slice(&b.monthly);
        first += k;
    }
    Ok((out, t.elapsed().as_secs_f64()))
}

/// The GPU engine a check runs, and what it runs on.
pub struct GpuUnderTest<'a> {
    /// The engine.
    pub engine: &'a dyn Engine,
    /// Its adapter.
    pub adapter: AdapterSummary,
    /// Its kernel's Philox variant, if known.
    pub philox: Option<String>,
}

/// Simulates paths `0..subject.paths` of `model` on the GPU engine of `gpu`, the CPU engine
/// `cpu` in f32 and, if given, `cpu_f64`, and judges them ([`CheckReport::from_blocks`]).
/// `progress` hears which engine starts.
pub fn run_check(
    subject: CheckSubject,
    gpu_under_test: GpuUnderTest<'_>,
    model: &FlatModel,
    cpu: &dyn Engine,
    cpu_f64: Option<&dyn Engine>,
    progress: &mut dyn FnMut(&str),
) -> Result<CheckReport, EngineError> {
    let GpuUnderTest {
        engine: gpu,
        adapter,
        philox,
    } = gpu_under_test;
    let n = subject.paths;
    progress("GPU engine");
    let (g, tg) = simulate_all(gpu, model, n)?;
    progress("CPU engine (f32)");
    let (c, tc) = simulate_all(cpu, model, n)?;
    let r = match cpu_f64 {
        Some(e) => {
            progress("CPU engine (f64 reference)");
            Some(simulate_all(e, model, n)?)
        }
        None => None,
    };
    let mut engines = vec![gpu.info(), cpu.info()];
    engines.extend(cpu_f64.map(|e| e.info()));
    let seconds = Timings {
        gpu: tg,
        cpu_f32: tc,
        cpu_f64: r.as_ref().map(|x| x.1),
    };
    let run = CheckRun {
        subject,
        adapter,
        philox,
        engines,
        seconds,
    };
    Ok(CheckReport::from_blocks(
        run,
        model,
        &g,
        &c,
        r.as_ref().map(|x| &x.0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Precision;
    use crate::engine::cpu::CpuEngine;

    fn adapter() -> AdapterSummary {
        AdapterSummary {
            name: "test adapter".into(),
            vendor: 0,
            device: 0,
            device_type: "cpu".into(),
            backend: "vulkan".into(),
            driver: "none".into(),
            driver_info: String::new(),
            software: true,
            limits: None,
        }
    }

    /// The default scenario over one year, 300 paths on the CPU in f32 and f64.
    fn blocks() -> (FlatModel, CheckSubject, PathBlock, PathBlock) {
        let mut s = crate::config::default_scenario();
        s.horizon_years = 1;
        let m = crate::config::flatten(&s, 5);
        let n = 300;
        let c = CpuEngine::new(Precision::F32).simulate(&m, 0, n).unwrap();
        let r = CpuEngine::new(Precision::F64).simulate(&m, 0, n).unwrap();
        let subject = CheckSubject {
            scenario: s.name.clone(),
            origin: "test".into(),
            options: s.option_names().iter().map(|x| x.to_string()).collect(),
            seed: 5,
            paths: n,
            horizon_days: m.run.horizon_days,
        };
        (m, subject, c, r)
    }

    fn run(s: &CheckSubject) -> CheckRun {
        CheckRun {
            subject: s.clone(),
            adapter: adapter(),
            philox: None,
            engines: vec![],
            seconds: Timings::default(),
        }
    }

    fn report(m: &FlatModel, s: &CheckSubject, g: &PathBlock, c: &PathBlock) -> CheckReport {
        CheckReport::from_blocks(run(s), m, g, c, None)
    }

    #[test]
    fn the_same_block_passes_and_the_f64_reference_is_within_its_se() {
        let (m, s, c, r) = blocks();
        let rep = report(&m, &s, &c, &c);
        assert_eq!(rep.verdict, Verdict::Pass, "{:?}", rep.failures);
        assert_eq!(rep.paths.fraction_within_tol, 1.0);
        assert!(rep.metrics.iter().all(|x| x.z.is_none_or(|z| z == 0.0)));
        assert!(!rep.pairs.is_empty());
        // The f32 CPU "as the GPU" against itself and the f64 reference: a pass, with the f64
        // means within a standard error and small NPV errors.
        let rep = CheckReport::from_blocks(run(&s), &m, &c, &c, Some(&r));
        assert_eq!(rep.verdict, Verdict::Pass, "{:?}", rep.failures);
        let rc = rep.reference_f64.as_ref().unwrap();
        assert!(rc.npv_relative_error_median < 1e-5, "{rc:?}");
        assert!(
            rep.metrics
                .iter()
                .any(|x| x.z_f64.is_some_and(|z| z != 0.0))
        );
        let t = rep.text();
        assert!(t.contains("PASS: 100.00 % of paths within 1e-2"), "{t}");
        assert!(t.contains("f64 reference: NPV relative error"), "{t}");
    }

    #[test]
    fn a_biased_gpu_fails_on_the_mean_even_within_the_path_tolerance() {
        let (m, s, c, _) = blocks();
        // Every path's NPV of option 0 higher by 0.5 % of its scale: within TOL on every path
        // (so the per-path check passes but every path is beyond TIGHT_TOL), and the mean
        // moves by far more than its paired bound and, at this scale, its SE.
        let scale = compare::scales(2, &c)[idx::NPV_USD];
        let mut g = c.clone();
        for i in 0..c.n_paths as usize {
            g.values[i * 2 * N_OUT + idx::NPV_USD] += 5e-3 * scale;
        }
        let rep = report(&m, &s, &g, &c);
        assert_eq!(rep.verdict, Verdict::Fail);
        assert_eq!(rep.paths.agreement.beyond_tol, 0);
        assert!(!rep.paths.pass, "every path is beyond the tight tolerance");
        let npv = rep
            .metrics
            .iter()
            .find(|x| x.metric == "npv_usd" && x.option == s.options[0])
            .unwrap();
        assert!(!npv.pass, "{npv:?}");
        assert!(
            rep.failures.iter().any(|f| f.contains("npv_usd: mean gpu")),
            "{:?}",
            rep.failures
        );
        assert!(rep.text().contains("FAIL: "), "{}", rep.text());
    }

    #[test]
    fn flipped_paths_beyond_the_allowance_fail_the_per_path_check() {
        let (m, s, c, _) = blocks();
        let mut g = c.clone();
        // 10 of 300 paths with one more hard failure (7 allowed), nothing else changed.
        for i in 0..10 {
            g.values[i * 2 * N_OUT + idx::HARD_FAILURES] += 1.0;
        }
        let rep = report(&m, &s, &g, &c);
        assert_eq!(rep.paths.agreement.flipped, 10);
        assert_eq!(rep.verdict, Verdict::Fail);
        assert!(
            rep.failures[0].starts_with("10 of 300 paths have a different failure count"),
            "{:?}",
            rep.failures
        );
    }

    #[test]
    fn judge_mean_rules() {
        // Within 1 SE and the paired bound.
        assert!(judge_mean(
            Some(1.05),
            Some(1.0),
            Some(0.1),
            Some(0.06),
            None,
            0.0
        ));
        // Beyond 1 SE.
        assert!(!judge_mean(
            Some(1.2),
            Some(1.0),
            Some(0.1),
            None,
            None,
            0.0
        ));
        // Within 1 SE but beyond the paired bound.
        assert!(!judge_mean(
            Some(1.05),
            Some(1.0),
            Some(0.1),
            Some(0.01),
            None,
            0.0
        ));
        // A constant metric (SE 0): only the paired bound applies.
        assert!(judge_mean(
            Some(2.0),
            Some(2.0),
            Some(0.0),
            Some(0.0),
            None,
            0.0
        ));
        assert!(!judge_mean(
            Some(2.1),
            Some(2.0),
            Some(0.0),
            Some(0.0),
            None,
            0.0
        ));
        // Against the f64 reference: within 1 SE of it too.
        assert!(!judge_mean(
            Some(1.0),
            Some(1.0),
            Some(0.1),
            None,
            Some(1.3),
            0.0
        ));
        // One engine without a mean.
        assert!(!judge_mean(None, Some(1.0), Some(0.1), None, None, 0.0));
        assert!(judge_mean(None, None, None, None, None, 0.0));
    }
}
