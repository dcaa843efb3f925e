//! Break-even headlines of a two-option run: for the first option's most uncertain inputs
//! ([`DEFAULT_INPUTS`]: its server capex per chip, its MFU and its price premium, kept where the
//! scenario format has them), the value at which the decision between the two options flips,
//! on each decision metric ([`DEFAULT_METRICS`]: NPV and cost per effective PFLOP-hour), with
//! its uncertainty.
//!
//! # Method
//!
//! Each input is one 1-D grid sweep ([`crate::sweep::plan`], [`crate::sweep::run::run`]) of the
//! base scenario: the input is fixed at each of [`GRID_POINTS`] values spanning its search
//! range ([`search_range`]: the scenario distribution's support widened by half of each end's
//! magnitude, clipped to the field's allowed range; geometric spacing when the range is
//! positive and spans a factor of 3 or more), every point running paths `0..n` with the run's
//! seed, so the points pair path by path (common random numbers) and the curve along the grid
//! is smooth. As in `fleetsim sweep`, the decision statistic is the P50 over paths of the
//! per-path difference a - b of the metric, and a break-even is where it changes sign,
//! interpolated linearly between the bracketing grid values
//! ([`sign_changes`](super::breakeven::sign_changes)).
//!
//! # Uncertainty
//!
//! Two parts, combined in quadrature into `uncertainty` (about one standard deviation):
//!
//! - `mc_se`, the Monte Carlo error. The standard error of a sample median is
//!   `1 / (2 f(m) sqrt(n))`, `f(m)` the density at the median; estimating `f(m)` by
//!   `0.5 / IQR` (the mean density between P25 and P75) gives `IQR / sqrt(n)`
//!   ([`median_se`]): exact for a uniform, 7.6 % above the asymptotic value for a normal
//!   (1.349 sd against 1.253 sd), so a slightly conservative, distribution-free estimate from
//!   the quartiles the sweep keeps. At the root, the P50's error is interpolated between the two
//!   bracketing points linearly, `(1 - t) se0 + t se1`: the bound for errors that are positively
//!   correlated, which common random numbers make them (with independent errors the square
//!   root of the sum of squares is smaller). It moves the root by that error over the slope
//!   of the P50 between the bracketing points.
//! - `interpolation_error`, the error of the linear interpolation: for a smooth curve the
//!   interpolated value at `x` misses by about `|f[x0, x1, x2]| (x - x0)(x1 - x)`, the second
//!   divided difference through the bracketing points and a neighbour (the larger of the two
//!   neighbours' estimates), which moves the root by that over the slope. Zero on a straight
//!   line; a crossing with no third point leaves it unknown (`None`). On hyperbolic curves
//!   (NPV against capex under a capital budget) it is 1.3 to 2.2 times the actual miss between
//!   inner grid values, and may fall short (to about 0.6 of it) in the first or last
//!   interval, where the one neighbour is further out.
//!
//! # Beyond the range
//!
//! When a metric's P50 keeps one sign over the whole range but heads towards zero at an end,
//! the straight line through the two end values is extrapolated to its zero; if that lies
//! within the field's allowed range, [`EXTENSION_POINTS`] more values run from the end out to
//! twice that distance ([`extension`]), so a break-even just outside the support (a price
//! premium the catalog thinks unlikely) is found instead of reported missing. A break-even
//! still outside is reported as "no break-even in [lo, hi]".
//!
//! # Cost
//!
//! By default the break-evens use [`PATH_SHARE`] (22 %) of the main run's paths, split evenly
//! over the inputs' planned grid points (at least [`MIN_PATHS_PER_POINT`] per point); an
//! extension adds its points at the same paths. A point's path costs up to about 15 % more than
//! a main-run path (each point is built and flattened, and a low capex buys a larger fleet
//! under a capital budget), so with one extension they add about 30 % to a run.

use serde::Serialize;

use super::breakeven::{favoured, sign_changes};
use super::plan::Plan;
use super::run::{PairedQuartiles, PointResult, higher_is_better};
use super::spec::{Axis, AxisValues, Design, SweepSpec, paired_metric_names};
use crate::config::overrides::synthetic_source;
use crate::config::schema::{FieldSpec, OPTION_INPUTS, unit_of};
use crate::config::{BaseScenario, ConfigError, Scenario};
use crate::distributions::Dist;
use crate::engine::{Engine, EngineError, FallbackEvent};

/// The first option's inputs searched by default, in this order; names the scenario format
/// does not have (yet) are left out ([`accepted_inputs`]).
pub const DEFAULT_INPUTS: &[&str] = &["server_capex_per_chip_usd", "mfu", "price_premium"];
/// The decision metrics by default (paired metrics only; others are left out).
pub const DEFAULT_METRICS: &[&str] = &["npv_usd", "levelized_usd_per_effective_pflop_hour"];
/// Grid values per input.
pub const GRID_POINTS: usize = 7;
/// Share of the main run's paths the break-evens use by default (all inputs and points).
pub const PATH_SHARE: f64 = 0.22;
/// Values added beyond an end of the range when the break-even lies beyond it
/// ([`extension`]).
pub const EXTENSION_POINTS: usize = 4;
/// Fewest paths per point by default.
pub const MIN_PATHS_PER_POINT: u32 = 50;
/// Name of the synthetic source the grid values are set from (in error messages).
pub const SOURCE_NAME: &str = "break-even search";

/// What to compute.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Settings {
    /// Input names (last key of `options.A.NAME`), in order.
    pub inputs: Vec<String>,
    /// Paired metric names, in order.
    pub metrics: Vec<String>,
    /// Grid values per input (>= 2).
    pub points: usize,
    /// Paths per grid point (>= 1).
    pub paths_per_point: u32,
    /// Seed of every point (the main run's).
    pub seed: u64,
}

impl Settings {
    /// The defaults for a main run of `run_paths` paths with `seed`: [`accepted_inputs`] of
    /// [`DEFAULT_INPUTS`], the paired ones of [`DEFAULT_METRICS`], [`GRID_POINTS`] points and
    /// [`default_paths_per_point`] (unless `paths_per_point` is given).
    pub fn defaults(run_paths: u32, seed: u64, paths_per_point: Option<u32>) -> Self {
        let inputs: Vec<String> = accepted_inputs(DEFAULT_INPUTS)
            .iter()
            .map(|s| s.name.to_string())
            .collect();
        let metrics = accepted_metrics(DEFAULT_METRICS);
        let paths = paths_per_point
            .unwrap_or_else(|| default_paths_per_point(run_paths, inputs.len(), GRID_POINTS));
        Settings {
            inputs,
            metrics,
            points: GRID_POINTS,
            paths_per_point: paths,
            seed,
        }
    }
}

/// The option inputs named in `keys` that the scenario format has, in `keys` order.
pub fn accepted_inputs(keys: &[&str]) -> Vec<&'static FieldSpec> {
    keys.iter()
        .filter_map(|k| OPTION_INPUTS.iter().find(|s| s.name == *k))
        .collect()
}

/// The names in `keys` that are paired metrics, in `keys` order.
pub fn accepted_metrics(keys: &[&str]) -> Vec<String> {
    let paired = paired_metric_names();
    keys.iter()
        .filter(|k| paired.contains(k))
        .map(|k| k.to_string())
        .collect()
}

/// Paths per point when not given: [`PATH_SHARE`] of `run_paths` over `n_inputs x points`
/// points, rounded up, at least [`MIN_PATHS_PER_POINT`].
pub fn default_paths_per_point(run_paths: u32, n_inputs: usize, points: usize) -> u32 {
    let n = (n_inputs * points).max(1) as f64;
    let p = (PATH_SHARE * run_paths as f64 / n).ceil();
    (p.min(u32::MAX as f64) as u32).max(MIN_PATHS_PER_POINT)
}

/// The support of `d`: its bounds, or its 0.5 % and 99.5 % quantiles where a tail is
/// unbounded (lognormal, untruncated normal); a discrete distribution's smallest and largest
/// values.
pub fn support(d: &Dist) -> (f64, f64) {
    if let Some(v) = d.fixed_value() {
        return (v, v);
    }
    match d {
        Dist::Uniform { lo, hi } | Dist::Triangular { lo, hi, .. } | Dist::Pert { lo, hi, .. } => {
            (*lo, *hi)
        }
        Dist::Normal { lo, hi, .. } => (
            lo.unwrap_or_else(|| d.quantile(0.005)),
            hi.unwrap_or_else(|| d.quantile(0.995)),
        ),
        Dist::Discrete { .. } => (d.quantile(0.0), d.quantile(1.0)),
        Dist::Lognormal { .. } | Dist::Fixed { .. } => (d.quantile(0.005), d.quantile(0.995)),
    }
}

/// The range searched for an input distributed as `d`: its [`support`] `[lo, hi]` widened to
/// `[lo - |lo| / 2, hi + |hi| / 2]` (0.5 lo to 1.5 hi for a positive input), a single value
/// `v` to `[v / 2, 3 v / 2]` (and 0 to `[-0.5, 0.5]`, for lack of a scale), clipped to the
/// field's allowed range.
pub fn search_range(d: &Dist, field: &FieldSpec) -> (f64, f64) {
    let (lo, hi) = support(d);
    let (mut a, mut b) = (lo - 0.5 * lo.abs(), hi + 0.5 * hi.abs());
    if a == b {
        (a, b) = (a - 0.5, b + 0.5);
    }
    (a.clamp(field.lo, field.hi), b.clamp(field.lo, field.hi))
}

/// `points` grid values from `lo` to `hi` (both included), geometric when `lo > 0` and
/// `hi >= 3 lo`, else even; each rounded to 6 significant digits so they print as they are.
/// One value when `lo == hi`. Returns the values and whether they are geometric.
pub fn grid(lo: f64, hi: f64, points: usize) -> (Vec<f64>, bool) {
    let geometric = lo > 0.0 && hi >= 3.0 * lo;
    if hi <= lo || points < 2 {
        return (vec![lo], false);
    }
    let n = points - 1;
    let v = (0..=n)
        .map(|i| {
            let t = i as f64 / n as f64;
            let x = match i {
                0 => lo,
                _ if i == n => hi,
                _ if geometric => (lo.ln() + t * (hi.ln() - lo.ln())).exp(),
                _ => lo + t * (hi - lo),
            };
            format!("{x:.5e}").parse().unwrap_or(x)
        })
        .collect();
    (v, geometric)
}

/// The central value of a distribution as a planner states it: the mode of a PERT,
/// triangular or discrete distribution, the median of a lognormal, the mean otherwise, the
/// value of a fixed one; with the word for it.
pub fn central(d: &Dist) -> (f64, &'static str) {
    if let Some(v) = d.fixed_value() {
        return (v, "value");
    }
    match d {
        Dist::Pert { mode, .. } | Dist::Triangular { mode, .. } => (*mode, "mode"),
        Dist::Lognormal { median, .. } => (*median, "median"),
        Dist::Discrete { values, weights } => {
            let mut best = (values[0], f64::NEG_INFINITY);
            for (v, w) in values.iter().zip(weights) {
                if *w > best.1 {
                    best = (*v, *w);
                }
            }
            (best.0, "mode")
        }
        _ => (d.mean(), "mean"),
    }
}

/// Standard error of a sample median of `n` values from its quartiles: `(p75 - p25) /
/// sqrt(n)` (see the module notes); `None` without quartiles or values.
pub fn median_se(q: &PairedQuartiles) -> Option<f64> {
    match (q.p25, q.p75) {
        (Some(a), Some(b)) if q.n > 0 && b >= a => Some((b - a) / (q.n as f64).sqrt()),
        _ => None,
    }
}

/// One change of sign of the P50 of a - b along the grid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Crossing {
    /// The input's value where the P50 is zero (linear interpolation).
    pub value: f64,
    /// `sqrt(mc_se^2 + interpolation_error^2)` (the Monte Carlo part alone when the
    /// interpolation error is unknown); `None` when neither is known.
    pub uncertainty: Option<f64>,
    /// Monte Carlo standard error of `value` (module notes).
    pub mc_se: Option<f64>,
    /// Estimated error of the linear interpolation (module notes).
    pub interpolation_error: Option<f64>,
    /// The option the P50 favours just below `value`.
    pub better_below: Option<String>,
    /// The option it favours just above.
    pub better_above: Option<String>,
}

/// Where the decision on one metric flips along one input of option `option`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakEven {
    /// The option whose input is searched (a).
    pub option: String,
    /// The option it is compared with (b).
    pub other: String,
    /// The input's name (`server_capex_per_chip_usd`).
    pub input: String,
    /// Its key path (`options.trn2.server_capex_per_chip_usd`).
    pub key: String,
    /// Its unit.
    pub unit: String,
    /// The decision metric.
    pub metric: String,
    /// Whether higher values of the metric are better.
    pub higher_is_better: bool,
    /// The input's distribution in the scenario (catalog or scenario file).
    pub scenario_dist: Dist,
    /// Its central value ([`central`]).
    pub scenario_value: f64,
    /// What that value is: `mode`, `median`, `mean` or `value` (fixed).
    pub scenario_value_kind: String,
    /// The range searched, low end.
    pub search_lo: f64,
    /// The range searched, high end.
    pub search_hi: f64,
    /// Whether the range was extended beyond the planned one (the P50 headed for zero beyond
    /// an end: [`extension`]).
    pub extended: bool,
    /// The grid values.
    pub grid: Vec<f64>,
    /// P50 of the per-path a - b at each grid value (`None`: undefined there).
    pub p50_difference: Vec<Option<f64>>,
    /// Its standard error at each grid value ([`median_se`]).
    pub p50_difference_se: Vec<Option<f64>>,
    /// The break-even nearest the scenario's value (`None`: none in the range).
    pub value: Option<f64>,
    /// Its uncertainty (see [`Crossing::uncertainty`]).
    pub uncertainty: Option<f64>,
    /// Its Monte Carlo standard error.
    pub mc_se: Option<f64>,
    /// Its interpolation error.
    pub interpolation_error: Option<f64>,
    /// The option favoured below it.
    pub better_below: Option<String>,
    /// The option favoured above it.
    pub better_above: Option<String>,
    /// Every break-even in the range, ascending.
    pub crossings: Vec<Crossing>,
    /// Without a break-even: the option the P50 favours at every defined grid value, if one.
    pub better_throughout: Option<String>,
    /// The P50 of a - b is the same at every grid value: the input does not move the metric
    /// in this scenario.
    pub flat: bool,
    /// Why there is no break-even, or what else to know ("no break-even in [lo, hi]", ...).
    pub note: Option<String>,
}

/// The crossings of `y` (P50 of a - b) along the ascending grid `xs`, with `se` the standard
/// errors of `y`; `hib` the metric's direction, `a` and `b` the options.
pub fn crossings(
    xs: &[f64],
    y: &[Option<f64>],
    se: &[Option<f64>],
    hib: bool,
    a: &str,
    b: &str,
) -> Vec<Crossing> {
    // The defined points, ascending, as sign_changes sees them.
    let pts: Vec<(f64, f64, Option<f64>)> = xs
        .iter()
        .zip(y)
        .zip(se)
        .filter_map(|((&x, y), s)| y.filter(|v| v.is_finite()).map(|v| (x, v, *s)))
        .collect();
    let xy: Vec<(f64, Option<f64>)> = pts.iter().map(|p| (p.0, Some(p.1))).collect();
    let fav = |v: f64| favoured(Some(v), hib, a, b);
    sign_changes(&xy)
        .into_iter()
        .map(|root| {
            // The bracket: a grid value where y is 0, else the pair whose signs differ.
            let i = match pts.iter().position(|p| p.0 == root && p.1 == 0.0) {
                Some(k) => k,
                None => pts
                    .windows(2)
                    .position(|w| {
                        w[0].0 <= root && root <= w[1].0 && (w[0].1 < 0.0) != (w[1].1 < 0.0)
                    })
                    .unwrap_or(0),
            };
            let on_grid = pts[i].1 == 0.0;
            // Neighbours used for slope and sides: around a grid zero, the points either side.
            let (l, r) = if on_grid {
                (i.saturating_sub(1), (i + 1).min(pts.len() - 1))
            } else {
                (i, i + 1)
            };
            let (x0, y0, s0) = pts[l];
            let (x1, y1, s1) = pts[r];
            let slope = if x1 > x0 { (y1 - y0) / (x1 - x0) } else { 0.0 };
            let t = if x1 > x0 {
                (root - x0) / (x1 - x0)
            } else {
                0.0
            };
            let mc_se = match (s0, s1) {
                (Some(s0), Some(s1)) if slope != 0.0 => {
                    Some(((1.0 - t) * s0 + t * s1) / slope.abs())
                }
                _ => None,
            };
            let interpolation_error = if on_grid {
                Some(0.0)
            } else {
                let mut e: Option<f64> = None;
                for k in [l.checked_sub(1), Some(r + 1).filter(|&k| k < pts.len())]
                    .into_iter()
                    .flatten()
                {
                    let mut three = [pts[l], pts[r], pts[k]];
                    three.sort_by(|p, q| p.0.total_cmp(&q.0));
                    let [(xa, ya, _), (xb, yb, _), (xc, yc, _)] = three;
                    let f2 = ((yc - yb) / (xc - xb) - (yb - ya) / (xb - xa)) / (xc - xa);
                    let err = (f2 * (root - x0) * (x1 - root)).abs() / slope.abs();
                    if err.is_finite() {
                        e = Some(e.map_or(err, |m: f64| m.max(err)));
                    }
                }
                e
            };
            let uncertainty = match (mc_se, interpolation_error) {
                (Some(m), Some(i)) => Some(m.hypot(i)),
                (Some(m), None) => Some(m),
                (None, _) => None,
            };
            Crossing {
                value: root,
                uncertainty,
                mc_se,
                interpolation_error,
                better_below: fav(y0),
                better_above: fav(y1),
            }
        })
        .collect()
}

/// One input's sweep: its field, distribution, range and points (or why it could not be
/// built).
pub struct InputPlan {
    /// The field.
    pub field: &'static FieldSpec,
    /// Key path.
    pub key: String,
    /// The scenario's distribution of it.
    pub dist: Dist,
    /// Range searched.
    pub range: (f64, f64),
    /// Grid values.
    pub grid: Vec<f64>,
    /// The points, or the validation error that stopped them.
    pub plan: Result<Plan, String>,
}

/// The break-even sweeps of a run.
pub struct HeadlinePlan {
    /// What is computed.
    pub settings: Settings,
    /// Indices of options a and b.
    pub pair: (usize, usize),
    /// Names of a and b.
    pub names: (String, String),
    /// One per input of `settings`.
    pub inputs: Vec<InputPlan>,
    /// The base scenario, for the extensions' points.
    base: BaseScenario,
}

impl HeadlinePlan {
    /// Paths the planned grids run in all (per option), before any extension.
    pub fn total_paths(&self) -> u64 {
        self.inputs
            .iter()
            .filter_map(|i| i.plan.as_ref().ok())
            .map(|p| p.n_points() as u64 * p.paths as u64)
            .sum()
    }

    /// The points of option a's input `input` at `values` (validated; the error as text).
    fn points(&self, input: &str, values: &[f64]) -> Result<Plan, String> {
        let (na, nb) = &self.names;
        let spec = SweepSpec {
            file: SOURCE_NAME.to_string(),
            scenario: None,
            design: Design::Grid,
            paths: Some(self.settings.paths_per_point),
            seed: Some(self.settings.seed),
            metric: self.settings.metrics[0].clone(),
            compare: Some((na.clone(), nb.clone())),
            axes: vec![Axis {
                key: format!("options.{na}.{input}"),
                unit: unit_of(input),
                integer: false,
                values: AxisValues::Values(values.iter().map(|&x| (x, 0)).collect()),
                src: synthetic_source(SOURCE_NAME),
                offset: 0,
                line: 1,
            }],
            compare_line: None,
            metric_line: None,
        };
        super::plan(
            spec,
            &self.base,
            self.settings.paths_per_point,
            self.settings.seed,
            u64::MAX,
        )
        .map_err(|e: ConfigError| e.to_string())
    }
}

/// Why there are no break-evens for a scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum NotApplicable {
    /// Not exactly two options.
    Options(usize),
    /// No input or no metric to search.
    Nothing,
}

impl std::fmt::Display for NotApplicable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotApplicable::Options(n) => write!(
                f,
                "break-evens compare two options; the scenario has {n} (use `fleetsim sweep` with `compare`)"
            ),
            NotApplicable::Nothing => write!(f, "no input or metric to search"),
        }
    }
}

/// Builds the break-even sweeps of option 0 against option 1 of `scenario` (the validated
/// `base`): one grid per input of `settings`, each point validated like a scenario (a value
/// the scenario rejects leaves that input's plan an error, not the others').
pub fn plan(
    base: &BaseScenario,
    scenario: &Scenario,
    settings: &Settings,
) -> Result<HeadlinePlan, NotApplicable> {
    if scenario.options.len() != 2 {
        return Err(NotApplicable::Options(scenario.options.len()));
    }
    if settings.inputs.is_empty() || settings.metrics.is_empty() {
        return Err(NotApplicable::Nothing);
    }
    let (na, nb) = (&scenario.options[0].name, &scenario.options[1].name);
    let mut hp = HeadlinePlan {
        settings: settings.clone(),
        pair: (0, 1),
        names: (na.clone(), nb.clone()),
        inputs: Vec::new(),
        base: base.clone(),
    };
    for name in &settings.inputs {
        let Some(field) = OPTION_INPUTS.iter().find(|s| s.name == name) else {
            continue;
        };
        let dist = scenario.options[0].inputs.get(name).clone();
        let range = search_range(&dist, field);
        let (grid, _) = grid(range.0, range.1, settings.points);
        let plan = hp.points(name, &grid);
        hp.inputs.push(InputPlan {
            field,
            key: format!("options.{na}.{name}"),
            dist,
            range,
            grid,
            plan,
        });
    }
    if hp.inputs.is_empty() {
        return Err(NotApplicable::Nothing);
    }
    Ok(hp)
}

/// Where to look beyond one end of the range when a metric's P50 has no sign change in it but
/// heads towards zero at that end: the two end values' straight line crosses zero at `x*`
/// outside the range, and the extension runs from the end to twice that distance (curves
/// bend), clipped to the field's allowed range; `None` when the P50 moves away from zero or
/// `x*` lies beyond the field's bounds. Returns the far end.
pub fn extension(xs: &[f64], y: &[Option<f64>], field: &FieldSpec, high: bool) -> Option<f64> {
    let pts: Vec<(f64, f64)> = xs
        .iter()
        .zip(y)
        .filter_map(|(&x, y)| y.filter(|v| v.is_finite()).map(|v| (x, v)))
        .collect();
    if pts.len() < 2 || pts.windows(2).any(|w| (w[0].1 < 0.0) != (w[1].1 < 0.0)) {
        return None;
    }
    let (near, end) = if high {
        (pts[pts.len() - 2], pts[pts.len() - 1])
    } else {
        (pts[1], pts[0])
    };
    if end.1 == 0.0 || end.1.abs() >= near.1.abs() {
        return None;
    }
    let root = end.0 - end.1 * (end.0 - near.0) / (end.1 - near.1);
    let far = end.0 + 2.0 * (root - end.0);
    let within = (field.lo..=field.hi).contains(&root);
    (within && root.is_finite()).then(|| far.clamp(field.lo, field.hi))
}

/// Runs every input's points on `primary` (with `fallback`, as a sweep does), then for an input
/// where some metric's P50 has no sign change in the range but heads towards one beyond an
/// end ([`extension`]), [`EXTENSION_POINTS`] more values out to where it is expected, so the
/// break-even is found rather than reported missing; `progress` gets the paths done over all
/// inputs and the total planned so far. Returns the break-evens, input-major then metric order,
/// the paths run (per option) and the first fallback event.
pub fn run(
    plan: &HeadlinePlan,
    primary: &dyn Engine,
    fallback: Option<&dyn Engine>,
    mut progress: impl FnMut(u64, u64),
    mut on_fallback: impl FnMut(&FallbackEvent),
) -> Result<(Vec<BreakEven>, u64, Option<FallbackEvent>), EngineError> {
    let mut out = Vec::new();
    let mut before = 0u64;
    let mut total = plan.total_paths();
    let mut event = None;
    let mut go =
        |p: &Plan, before: &mut u64, total: u64| -> Result<Vec<PointResult>, EngineError> {
            let b = *before;
            let (r, ev) = super::run::run(
                p,
                0..p.n_points(),
                primary,
                fallback,
                |d| progress(b + d, total),
                &mut on_fallback,
            )?;
            *before += p.n_points() as u64 * p.paths as u64;
            if event.is_none() {
                event = ev;
            }
            Ok(r)
        };
    for input in &plan.inputs {
        let mut grid = input.grid.clone();
        let mut range = input.range;
        let results = match &input.plan {
            Ok(p) => {
                // Ascending: the grid is built so, and extensions are merged in order.
                let mut r = go(p, &mut before, total)?;
                // Extensions: at most one per end, out to the farthest a metric asks for.
                for high in [false, true] {
                    let far = plan
                        .settings
                        .metrics
                        .iter()
                        .filter_map(|m| {
                            let y: Vec<Option<f64>> = r.iter().map(|x| p50_of(x, m)).collect();
                            extension(&grid, &y, input.field, high)
                        })
                        .reduce(|u, v| if high { u.max(v) } else { u.min(v) });
                    let Some(far) = far else { continue };
                    let end = if high { range.1 } else { range.0 };
                    let (lo, hi) = if high { (end, far) } else { (far, end) };
                    let (mut vals, _) = super::headline::grid(lo, hi, EXTENSION_POINTS + 1);
                    vals.retain(|v| *v != end && !grid.contains(v));
                    if vals.is_empty() {
                        continue;
                    }
                    let Ok(ext) = plan.points(input.field.name, &vals) else {
                        continue;
                    };
                    total += ext.n_points() as u64 * ext.paths as u64;
                    let er = go(&ext, &mut before, total)?;
                    // Keep the values ascending (the high end's check reads the last two).
                    grid.extend(vals);
                    r.extend(er);
                    let mut idx: Vec<usize> = (0..grid.len()).collect();
                    idx.sort_by(|&i, &j| grid[i].total_cmp(&grid[j]));
                    grid = idx.iter().map(|&i| grid[i]).collect();
                    r = idx.iter().map(|&i| r[i].clone()).collect();
                    if high {
                        range.1 = far;
                    } else {
                        range.0 = far;
                    }
                }
                Ok(r)
            }
            Err(e) => Err(e.clone()),
        };
        let extended = range != input.range;
        for metric in &plan.settings.metrics {
            out.push(analyse(
                plan,
                input,
                metric,
                Grid {
                    values: &grid,
                    range,
                    extended,
                },
                results.as_deref(),
            ));
        }
    }
    Ok((out, before, event))
}

/// The P50 of a - b of `metric` at one point.
fn p50_of(r: &PointResult, metric: &str) -> Option<f64> {
    r.paired.iter().find(|q| q.metric == metric)?.p50
}

/// The values an input was run at: ascending, the range they span, and whether the range was
/// extended beyond the planned one.
pub struct Grid<'a> {
    /// Ascending values (one per result).
    pub values: &'a [f64],
    /// Low and high end searched.
    pub range: (f64, f64),
    /// Extended beyond [`InputPlan::range`].
    pub extended: bool,
}

/// The break-even of one input on one metric from its points' results (`results[i]` at
/// `grid.values[i]`).
pub fn analyse(
    plan: &HeadlinePlan,
    input: &InputPlan,
    metric: &str,
    grid: Grid<'_>,
    results: Result<&[PointResult], &String>,
) -> BreakEven {
    let (a, b) = (&plan.names.0, &plan.names.1);
    let hib = higher_is_better(metric);
    let (scenario_value, kind) = central(&input.dist);
    let quartiles = |r: &PointResult| r.paired.iter().find(|q| q.metric == metric).cloned();
    let n = grid.values.len();
    let (y, se): (Vec<Option<f64>>, Vec<Option<f64>>) = match results {
        Ok(rs) => rs
            .iter()
            .map(|r| {
                let q = quartiles(r);
                (
                    q.as_ref().and_then(|q| q.p50),
                    q.as_ref().and_then(median_se),
                )
            })
            .unzip(),
        Err(_) => (vec![None; n], vec![None; n]),
    };
    let found = crossings(grid.values, &y, &se, hib, a, b);
    let nearest = found
        .iter()
        .min_by(|p, q| {
            (p.value - scenario_value)
                .abs()
                .total_cmp(&(q.value - scenario_value).abs())
        })
        .cloned();
    let defined: Vec<f64> = y.iter().flatten().copied().collect();
    let throughout = |v: &[f64]| -> Option<String> {
        let first = favoured(v.first().copied(), hib, a, b)?;
        v.iter()
            .all(|&d| favoured(Some(d), hib, a, b).as_deref() == Some(first.as_str()))
            .then_some(first)
    };
    let range = format!(
        "[{}, {}]",
        crate::config::error::num(grid.range.0),
        crate::config::error::num(grid.range.1)
    );
    let flat = defined.len() > 1 && defined.iter().all(|&d| d == defined[0]);
    let extended = if grid.extended {
        format!(
            " (the range was extended beyond the planned [{}, {}] where the P50 headed for zero)",
            crate::config::error::num(input.range.0),
            crate::config::error::num(input.range.1)
        )
    } else {
        String::new()
    };
    let (better_throughout, note) = match (&results, found.is_empty()) {
        (Err(e), _) => (None, Some(format!("the points could not be built: {e}"))),
        (Ok(_), false) => (
            None,
            (found.len() > 1 || grid.extended).then(|| {
                let many = if found.len() > 1 {
                    format!(
                        "{} break-evens in {range}; `value` is the one nearest the scenario's {kind}",
                        found.len()
                    )
                } else {
                    format!("one break-even in {range}")
                };
                format!("{many}{extended}")
            }),
        ),
        (Ok(_), true) if defined.is_empty() => (
            None,
            Some(format!("the P50 of {a} - {b} is undefined at every point")),
        ),
        (Ok(_), true) if flat => (
            throughout(&defined),
            Some(format!(
                "no break-even in {range}: the input does not move {metric} in this scenario"
            )),
        ),
        (Ok(_), true) => (
            throughout(&defined),
            Some(format!("no break-even in {range}{extended}")),
        ),
    };
    BreakEven {
        option: a.clone(),
        other: b.clone(),
        input: input.field.name.to_string(),
        key: input.key.clone(),
        unit: input.field.unit.to_string(),
        metric: metric.to_string(),
        higher_is_better: hib,
        scenario_dist: input.dist.clone(),
        scenario_value,
        scenario_value_kind: kind.to_string(),
        search_lo: grid.range.0,
        search_hi: grid.range.1,
        extended: grid.extended,
        grid: grid.values.to_vec(),
        p50_difference: y,
        p50_difference_se: se,
        value: nearest.as_ref().map(|c| c.value),
        uncertainty: nearest.as_ref().and_then(|c| c.uncertainty),
        mc_se: nearest.as_ref().and_then(|c| c.mc_se),
        interpolation_error: nearest.as_ref().and_then(|c| c.interpolation_error),
        better_below: nearest.as_ref().and_then(|c| c.better_below.clone()),
        better_above: nearest.as_ref().and_then(|c| c.better_above.clone()),
        crossings: found,
        better_throughout,
        flat,
        note,
    }
}

/// How the break-evens were computed, for summary.json.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Method {
    /// The settings.
    #[serde(flatten)]
    pub settings: Settings,
    /// Option a (whose inputs are searched) and option b.
    pub compare: (String, String),
    /// Names of [`DEFAULT_INPUTS`] the scenario format does not have.
    pub inputs_not_available: Vec<String>,
    /// The decision statistic.
    pub statistic: &'static str,
    /// The uncertainty's definition.
    pub uncertainty: &'static str,
    /// The search range's definition.
    pub search_range: &'static str,
    /// Paths run in all (per option), extensions included.
    pub total_paths: u64,
    /// Wall time of the sweeps, seconds.
    pub wall_s: f64,
    /// A GPU failure during the sweeps, if any.
    pub fallback: Option<FallbackEvent>,
}

impl Method {
    /// The method record of `plan`, `total_paths` (per option, extensions included) run in
    /// `wall_s` seconds.
    pub fn new(
        plan: &HeadlinePlan,
        total_paths: u64,
        wall_s: f64,
        fallback: Option<FallbackEvent>,
    ) -> Self {
        Method {
            settings: plan.settings.clone(),
            compare: plan.names.clone(),
            inputs_not_available: DEFAULT_INPUTS
                .iter()
                .filter(|k| accepted_inputs(&[k]).is_empty())
                .map(|k| k.to_string())
                .collect(),
            statistic: "P50 over paths of the per-path difference (a - b) of the metric with the input fixed at each grid value (common random numbers: every point runs the same paths with the same seed); a break-even is where it changes sign, linearly interpolated between the bracketing grid values",
            uncertainty: "sqrt(mc_se^2 + interpolation_error^2): mc_se = ((1 - t) se0 + t se1) / |slope| with se = (P75 - P25) / sqrt(n) of the difference at the bracketing points; interpolation_error = |second divided difference| (x - x0)(x1 - x) / |slope|",
            search_range: "the scenario distribution's support [lo, hi] (0.5 % / 99.5 % quantiles for unbounded tails) widened to [lo - |lo|/2, hi + |hi|/2] (a fixed value v: [v/2, 3v/2], 0: [-0.5, 0.5]), clipped to the field's allowed range; geometric grid when positive and hi >= 3 lo; where a metric's P50 keeps its sign but heads for zero at an end, extended by 4 values to twice the distance of the end values' extrapolated zero (within the field's range)",
            total_paths,
            wall_s,
            fallback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str) -> &'static FieldSpec {
        accepted_inputs(&[name])[0]
    }

    #[test]
    fn the_default_inputs_are_data_driven() {
        // Keys the format does not have are dropped, the order of the list is kept.
        let got: Vec<&str> =
            accepted_inputs(&["mfu", "no_such_input", "server_capex_per_chip_usd"])
                .iter()
                .map(|s| s.name)
                .collect();
        assert_eq!(got, ["mfu", "server_capex_per_chip_usd"]);
        assert_eq!(
            accepted_metrics(&["npv_usd", "irr", "usd_per_effective_pflop_hour"]),
            ["npv_usd", "usd_per_effective_pflop_hour"]
        );
    }

    #[test]
    fn search_ranges_widen_the_support_within_the_field() {
        let capex = field("server_capex_per_chip_usd");
        let pert = Dist::Pert {
            lo: 12_000.0,
            mode: 25_000.0,
            hi: 45_000.0,
        };
        assert_eq!(search_range(&pert, capex), (6_000.0, 67_500.0));
        // MFU: 0.5 x 0.2 .. 1.5 x 0.5.
        let mfu = field("mfu");
        let d = Dist::Pert {
            lo: 0.2,
            mode: 0.35,
            hi: 0.5,
        };
        let (lo, hi) = search_range(&d, mfu);
        assert!((lo - 0.1).abs() < 1e-15 && (hi - 0.75).abs() < 1e-15);
        // Clipped to the field's [0, 1].
        let d = Dist::Uniform { lo: 0.3, hi: 0.9 };
        assert_eq!(search_range(&d, mfu).1, 1.0);
        // Fixed values: +- half; zero: +- 0.5 (clipped).
        let (lo, hi) = search_range(&Dist::Fixed { value: 20_000.0 }, capex);
        assert_eq!((lo, hi), (10_000.0, 30_000.0));
        assert_eq!(search_range(&Dist::Fixed { value: 0.0 }, mfu), (0.0, 0.5));
        // A lognormal's tails are cut at its 0.5 % and 99.5 % quantiles.
        let ln = Dist::Lognormal {
            median: 20_000.0,
            p90: 30_000.0,
        };
        let (lo, hi) = search_range(&ln, capex);
        assert!((lo - 0.5 * ln.quantile(0.005)).abs() < 1e-9, "{lo}");
        assert!((hi - 1.5 * ln.quantile(0.995)).abs() < 1e-6, "{hi}");
    }

    #[test]
    fn grids_are_geometric_over_wide_positive_ranges() {
        let (g, geo) = grid(6_000.0, 67_500.0, 7);
        assert!(geo);
        assert_eq!((g[0], g[6]), (6_000.0, 67_500.0));
        let r = (67_500.0f64 / 6_000.0).powf(1.0 / 6.0);
        for w in g.windows(2) {
            assert!((w[1] / w[0] - r).abs() < 1e-5, "{g:?}");
        }
        let (g, geo) = grid(-0.5, 0.5, 5);
        assert!(!geo);
        assert_eq!(g, [-0.5, -0.25, 0.0, 0.25, 0.5]);
        assert_eq!(grid(0.3, 0.3, 7).0, [0.3]);
    }

    #[test]
    fn a_straight_line_has_its_root_exactly_and_no_interpolation_error() {
        // y = 2 (x - 3.3), se 0.5 everywhere: mc_se = 0.5 / 2.
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y: Vec<Option<f64>> = xs.iter().map(|x| Some(2.0 * (x - 3.3))).collect();
        let se = vec![Some(0.5); 5];
        let c = crossings(&xs, &y, &se, true, "a", "b");
        assert_eq!(c.len(), 1);
        assert!((c[0].value - 3.3).abs() < 1e-12);
        assert!((c[0].mc_se.unwrap() - 0.25).abs() < 1e-12);
        assert!(c[0].interpolation_error.unwrap() < 1e-12);
        assert_eq!(c[0].better_below.as_deref(), Some("b"));
        assert_eq!(c[0].better_above.as_deref(), Some("a"));
        // Lower is better: the sides swap.
        let c = crossings(&xs, &y, &se, false, "a", "b");
        assert_eq!(c[0].better_below.as_deref(), Some("a"));
    }

    #[test]
    fn the_interpolation_error_estimate_covers_a_hyperbolic_root() {
        // What a capital budget does to NPV against capex: y = 1/(x + c) - 1/(r + c) on the
        // geometric grid a capex range gets. Between two inner grid values the estimate (the
        // larger of the two neighbours' quadratic terms) covers the linear root's miss, within
        // a factor 2.5; in the first or last interval, with one neighbour further out, it
        // can fall short, but by less than half.
        let (xs, geo) = grid(6_000.0, 67_500.0, 7);
        assert!(geo);
        for c in [0.0, 4_000.0, 10_000.0] {
            for r in [
                7_000.0, 12_000.0, 15_000.0, 22_000.0, 31_000.0, 50_000.0, 60_000.0,
            ] {
                let y: Vec<Option<f64>> = xs
                    .iter()
                    .map(|x| Some(1.0 / (x + c) - 1.0 / (r + c)))
                    .collect();
                let se = vec![None; xs.len()];
                let k = crossings(&xs, &y, &se, true, "a", "b");
                assert_eq!(k.len(), 1);
                let miss = (k[0].value - r).abs();
                let est = k[0].interpolation_error.unwrap();
                let edge = r < xs[1] || r > xs[5];
                if edge {
                    assert!(
                        est >= 0.5 * miss,
                        "c {c}, r {r}: estimate {est}, miss {miss}"
                    );
                } else {
                    assert!(
                        miss <= est && est <= 2.5 * miss,
                        "c {c}, r {r}: estimate {est}, miss {miss}"
                    );
                }
                assert_eq!(k[0].mc_se, None);
                assert_eq!(k[0].uncertainty, None);
            }
        }
    }

    #[test]
    fn extensions_follow_a_p50_heading_for_zero_within_the_field() {
        let field = |lo: f64, hi: f64| FieldSpec {
            name: "x",
            index: 0,
            lo,
            hi,
            unit: "",
            doc: "",
            default: crate::config::schema::BuiltIn::Required,
        };
        let xs = [0.0, 1.0, 2.0, 3.0];
        let rising = [Some(-4.0), Some(-3.0), Some(-2.0), Some(-1.0)];
        // The end values' line is zero at 4: the extension runs to twice that distance, 5.
        assert_eq!(
            extension(&xs, &rising, &field(-10.0, 10.0), true),
            Some(5.0)
        );
        // ... clipped to the field, as long as the zero itself is inside it.
        assert_eq!(extension(&xs, &rising, &field(-10.0, 4.5), true), Some(4.5));
        assert_eq!(extension(&xs, &rising, &field(-10.0, 3.5), true), None);
        // Moving away from zero at the low end: nothing to look for there.
        assert_eq!(extension(&xs, &rising, &field(-10.0, 10.0), false), None);
        // Falling towards zero at the low end: zero at -1, out to -2.
        let falling = [Some(-1.0), Some(-2.0), Some(-3.0), Some(-4.0)];
        assert_eq!(
            extension(&xs, &falling, &field(-10.0, 10.0), false),
            Some(-2.0)
        );
        // A sign change inside the range, a flat line, or too few values: no extension.
        let crossing = [Some(-1.0), Some(1.0), Some(2.0), Some(3.0)];
        assert_eq!(extension(&xs, &crossing, &field(-10.0, 10.0), true), None);
        let flat = [Some(2.0); 4];
        assert_eq!(extension(&xs, &flat, &field(-10.0, 10.0), true), None);
        assert_eq!(
            extension(
                &xs,
                &[None, None, None, Some(1.0)],
                &field(-10.0, 10.0),
                true
            ),
            None
        );
    }

    #[test]
    fn a_zero_on_a_grid_value_is_a_break_even_with_no_interpolation() {
        let xs = [0.0, 1.0, 2.0];
        let y = [Some(-1.0), Some(0.0), Some(3.0)];
        let se = [Some(0.2), Some(0.2), Some(0.2)];
        let c = crossings(&xs, &y, &se, true, "a", "b");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].value, 1.0);
        assert_eq!(c[0].interpolation_error, Some(0.0));
        // Slope between the neighbours: 4 / 2.
        assert!((c[0].mc_se.unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(c[0].better_below.as_deref(), Some("b"));
    }

    #[test]
    fn the_median_se_from_quartiles_matches_the_spread_of_medians() {
        // Medians of n normal values over many replications: their sd against the mean of
        // (P75 - P25) / sqrt(n). Asymptotically 1.2533 / sqrt(n) against 1.349 / sqrt(n): the
        // estimate is about 7.6 % high. 400 replications give the sd to ~3.5 % (1 sd).
        use crate::model::philox::{DayStream, seed_key};
        let (n, reps) = (201usize, 400usize);
        let mut s = DayStream::new(seed_key(7), 0, 0, 0);
        let mut medians = Vec::new();
        let mut ses = Vec::new();
        for _ in 0..reps {
            let mut v: Vec<f64> = (0..n)
                .map(|_| {
                    let u: f64 = s.next_u01();
                    crate::model::sample::ppnd16(u)
                })
                .collect();
            v.sort_by(f64::total_cmp);
            let q = |p: f64| crate::stats::quantile_of_sorted(&v, p);
            let pq = PairedQuartiles {
                metric: "npv_usd",
                n: n as u64,
                p25: Some(q(0.25)),
                p50: Some(q(0.5)),
                p75: Some(q(0.75)),
            };
            medians.push(pq.p50.unwrap());
            ses.push(median_se(&pq).unwrap());
        }
        let mean = medians.iter().sum::<f64>() / reps as f64;
        let sd =
            (medians.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (reps - 1) as f64).sqrt();
        let est = ses.iter().sum::<f64>() / reps as f64;
        let ratio = est / sd;
        // Expected 1.076; 4 sd of the sd's sampling error either side.
        assert!(
            (0.93..1.25).contains(&ratio),
            "estimate / observed = {ratio}"
        );
    }
}
