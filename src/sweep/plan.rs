//! From a validated sweep file and its base scenario to the points to run: the design's axis
//! values per point, every point built as a scenario variant (re-validated in full, errors
//! citing the sweep file's line) and flattened, and the refusal of designs larger than
//! `--max-points` before anything is built.

use rayon::prelude::*;

use super::design::{grid_indices, grid_size, grid_values, lhs_uniforms, lhs_value};
use super::spec::{Design, SweepSpec};
use crate::config::error::{ConfigError, Issue, IssueKind};
use crate::config::{BaseScenario, Override, Scenario, flatten, schema};
use crate::model::params::FlatModel;

/// Default of `--max-points`.
pub const DEFAULT_MAX_POINTS: u64 = 10_000;

/// The lines of a grid design.
#[derive(Clone, Debug)]
pub struct Grid {
    /// The values of every axis, in the order points index them.
    pub values: Vec<Vec<f64>>,
    /// Each point's value index on every axis.
    pub indices: Vec<Vec<usize>>,
}

/// What to run: the points of the design, built and flattened.
pub struct Plan {
    /// The validated sweep file.
    pub spec: SweepSpec,
    /// The base scenario, resolved (for the manifest).
    pub base: Scenario,
    /// Where the base scenario came from (a file, or the built-in default).
    pub origin: String,
    /// Option names in order.
    pub option_names: Vec<String>,
    /// Axis values of every point (one per axis, axis order).
    pub points: Vec<Vec<f64>>,
    /// Grid designs: the values of every axis and each point's value index per axis (for
    /// break-evens); `None` for LHS.
    pub grid: Option<Grid>,
    /// Every point's validated scenario (small; their flattened models, ~130 KB each, are
    /// built a block at a time by [`Plan::models`]).
    scenarios: Vec<Scenario>,
    /// Paths per point.
    pub paths: u32,
    /// Seed of every point.
    pub seed: u64,
    /// Indices of the compared options (a, b).
    pub pair: (usize, usize),
    /// Notes for the user (rounded integer axes).
    pub notes: Vec<String>,
}

fn issue(
    spec: &SweepSpec,
    line: Option<usize>,
    path: &str,
    kind: IssueKind,
    msg: String,
) -> ConfigError {
    ConfigError::Invalid(vec![Issue {
        file: spec.file.clone(),
        line,
        path: path.to_string(),
        kind,
        message: msg,
    }])
}

/// Builds the plan. `paths` and `seed` are the values to use (command line, else the sweep
/// file, else the scenario, else the defaults: decided by the caller). Errors: a design of
/// more than `max_points` points (before building anything), an axis value the scenario
/// rejects (naming the sweep file, the axis line and the key path), options named by
/// `compare` that the scenario lacks.
pub fn plan(
    spec: SweepSpec,
    base: &BaseScenario,
    paths: u32,
    seed: u64,
    max_points: u64,
) -> Result<Plan, ConfigError> {
    let resolved = base.build()?;
    let option_names: Vec<String> = resolved
        .option_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let pair = match &spec.compare {
        None => (0, 1.min(option_names.len() - 1)),
        Some((a, b)) => {
            let find = |n: &str| option_names.iter().position(|o| o == n);
            match (find(a), find(b)) {
                (Some(i), Some(j)) => (i, j),
                _ => {
                    return Err(issue(
                        &spec,
                        spec.compare_line,
                        "sweep.compare",
                        IssueKind::OutOfRange,
                        format!(
                            "names an option the scenario does not have; its options: {}",
                            option_names.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    // A metric the compared options cannot produce would leave every cell of the decision
    // table and every break-even empty: refused before anything runs.
    if let Some(m) = crate::model::outputs::metric_index(&spec.metric) {
        let compared = [pair.0, pair.1];
        let why: Vec<String> = compared[..if pair.0 == pair.1 { 1 } else { 2 }]
            .iter()
            .filter_map(|&o| resolved.options[o].metric_unavailable(m))
            .collect();
        if !why.is_empty() {
            let have: Vec<&str> = crate::sweep::spec::paired_metric_names()
                .into_iter()
                .filter(|name| {
                    crate::model::outputs::metric_index(name).is_some_and(|k| {
                        compared
                            .iter()
                            .all(|&o| resolved.options[o].metric_unavailable(k).is_none())
                    })
                })
                .collect();
            return Err(issue(
                &spec,
                spec.metric_line,
                "sweep.metric",
                IssueKind::Conflict,
                format!(
                    "`{}` cannot be computed for the compared options: {}; metrics they do have: {}",
                    spec.metric,
                    why.join("; "),
                    have.join(", ")
                ),
            ));
        }
    }
    for (i, axis) in spec.axes.iter().enumerate() {
        let mut parts = axis.key.split('.');
        if parts.next() == Some("options")
            && let Some(o) = parts.next()
            && !option_names.iter().any(|n| n == o)
        {
            return Err(issue(
                &spec,
                Some(axis.line),
                &format!("axis[{i}].key"),
                IssueKind::UnknownKey,
                format!(
                    "`{}`: the scenario has no option `{o}` (its options: {}); an axis sets inputs of existing options",
                    axis.key,
                    option_names.join(", ")
                ),
            ));
        }
    }
    let mut notes = Vec::new();
    // A fleet is whole nodes: values a range or a distribution generates for an option's
    // `accelerators` are rounded to whole nodes of its chips_per_node (as integer fields are
    // rounded to integers); values written in a list are checked as written.
    let node_chips: Vec<Option<f64>> = spec
        .axes
        .iter()
        .map(|axis| {
            let mut parts = axis.key.split('.');
            let (Some("options"), Some(o), Some("accelerators"), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return None;
            };
            if matches!(axis.values, super::spec::AxisValues::Values(_)) {
                return None;
            }
            let opt = resolved.options.iter().find(|x| x.name == o)?;
            notes.push(format!(
                "axis `{}`: values are rounded to whole nodes of {} chips",
                axis.key, opt.chips_per_node
            ));
            Some(f64::from(opt.chips_per_node))
        })
        .collect();
    let to_nodes = |a: usize, x: f64| match node_chips[a] {
        Some(c) => ((x / c).round() * c)
            .max(c)
            .min((schema::MAX_ACCELERATORS as f64 / c).floor() * c),
        None => x,
    };
    let (points, grid) = match spec.design {
        Design::Grid => {
            let values: Vec<Vec<(f64, usize)>> = spec
                .axes
                .iter()
                .enumerate()
                .map(|(a, axis)| {
                    let mut out: Vec<(f64, usize)> = Vec::new();
                    for (x, off) in grid_values(axis) {
                        let x = to_nodes(a, x);
                        if !out.iter().any(|(y, _)| *y == x) {
                            out.push((x, off));
                        }
                    }
                    out
                })
                .collect();
            let counts: Vec<usize> = values.iter().map(Vec::len).collect();
            let n = grid_size(&counts);
            if n > max_points {
                return Err(issue(
                    &spec,
                    None,
                    "axis",
                    IssueKind::TooMany,
                    format!(
                        "the grid has {n} points ({}), more than --max-points {max_points}; use fewer values or raise --max-points",
                        counts
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                            .join(" x ")
                    ),
                ));
            }
            for (a, axis) in spec.axes.iter().enumerate() {
                if axis.integer
                    && let super::spec::AxisValues::Range { steps: Some(s), .. } = axis.values
                {
                    notes.push(format!(
                        "axis `{}` is an integer field: its range steps were rounded to {} integer value(s) (of {s} steps)",
                        axis.key,
                        values[a].len()
                    ));
                }
            }
            // Each axis value alone, so a bad value is reported once, against its own line
            // (the first bad value of each axis). A 1-D grid's points are its values: the
            // point builds below report them.
            let singles: Vec<(usize, f64, usize)> = values
                .iter()
                .enumerate()
                .filter(|_| spec.axes.len() > 1)
                .flat_map(|(a, v)| v.iter().map(move |&(x, off)| (a, x, off)))
                .collect();
            let failed: Vec<(usize, ConfigError)> = singles
                .par_iter()
                .filter_map(|&(a, x, off)| {
                    let axis = &spec.axes[a];
                    base.with(&[Override::number(&axis.key, x, &axis.src, off)])
                        .err()
                        .map(|e| (a, e))
                })
                .collect();
            let mut errs = Vec::new();
            let mut seen = vec![false; spec.axes.len()];
            for (a, e) in failed {
                if !std::mem::replace(&mut seen[a], true) {
                    errs.push(e);
                }
            }
            if let Some(e) = merge(errs) {
                return Err(e);
            }
            let idx = grid_indices(&counts);
            let pts: Vec<Vec<f64>> = idx
                .iter()
                .map(|i| i.iter().enumerate().map(|(a, &k)| values[a][k].0).collect())
                .collect();
            let vals = values
                .iter()
                .map(|v| v.iter().map(|x| x.0).collect())
                .collect();
            (
                pts,
                Some(Grid {
                    values: vals,
                    indices: idx,
                }),
            )
        }
        Design::Lhs { points } => {
            if points > max_points {
                return Err(issue(
                    &spec,
                    None,
                    "sweep.points",
                    IssueKind::TooMany,
                    format!(
                        "{points} points is more than --max-points {max_points}; use fewer or raise --max-points"
                    ),
                ));
            }
            if spec.axes.iter().any(|a| a.integer) {
                notes.push("integer axes take the rounded Latin-hypercube values".into());
            }
            let u = lhs_uniforms(points as usize, spec.axes.len(), seed);
            let pts: Vec<Vec<f64>> = u
                .iter()
                .map(|row| {
                    spec.axes
                        .iter()
                        .zip(row)
                        .enumerate()
                        .map(|(i, (a, &x))| to_nodes(i, lhs_value(a, x)))
                        .collect()
                })
                .collect();
            (pts, None)
        }
    };
    // Every point is validated now (errors before anything runs); models are flattened a
    // block at a time when the run needs them (`Plan::models`), so memory does not grow
    // with the number of points (~130 KB of tables per point on the default scenario).
    let built: Vec<Result<Scenario, ConfigError>> = points
        .par_iter()
        .map(|vals: &Vec<f64>| base.with(&point_overrides(&spec, vals)))
        .collect();
    let mut scenarios = Vec::with_capacity(built.len());
    for (p, r) in built.into_iter().enumerate() {
        let s = r.map_err(|e| point_error(&spec, p, &points[p], e))?;
        scenarios.push(s);
    }
    Ok(Plan {
        spec,
        base: resolved,
        origin: base.origin().to_string(),
        scenarios,
        option_names,
        points,
        grid,
        paths,
        seed,
        pair,
        notes,
    })
}

/// The overrides that make point `vals` of the design (axis order), each citing its axis.
fn point_overrides(spec: &SweepSpec, vals: &[f64]) -> Vec<Override> {
    spec.axes
        .iter()
        .zip(vals)
        .map(|(a, &v)| {
            let off = match &a.values {
                super::spec::AxisValues::Values(vs) => {
                    vs.iter().find(|x| x.0 == v).map_or(a.offset, |x| x.1)
                }
                _ => a.offset,
            };
            Override::number(&a.key, v, &a.src, off)
        })
        .collect()
}

impl Plan {
    /// Number of points.
    pub fn n_points(&self) -> usize {
        self.points.len()
    }

    /// The flattened models of points `range`, built in parallel.
    pub fn models(&self, range: std::ops::Range<usize>) -> Vec<FlatModel> {
        self.scenarios[range]
            .par_iter()
            .map(|s| flatten(s, self.seed))
            .collect()
    }
}

/// All issues of several errors as one (I/O and syntax errors cannot occur here).
fn merge(errs: Vec<ConfigError>) -> Option<ConfigError> {
    if errs.is_empty() {
        return None;
    }
    let mut list = Vec::new();
    for e in errs {
        match e {
            ConfigError::Invalid(v) => list.extend(v),
            other => return Some(other),
        }
    }
    Some(ConfigError::Invalid(list))
}

/// A point's validation error, with the point's axis values added to each message.
fn point_error(spec: &SweepSpec, p: usize, vals: &[f64], e: ConfigError) -> ConfigError {
    let at: Vec<String> = spec
        .axes
        .iter()
        .zip(vals)
        .map(|(a, v)| format!("{} = {}", a.key, crate::config::error::num(*v)))
        .collect();
    match e {
        ConfigError::Invalid(list) => ConfigError::Invalid(
            list.into_iter()
                .map(|mut i| {
                    i.message = format!("{} (at sweep point {p}: {})", i.message, at.join(", "));
                    i
                })
                .collect(),
        ),
        other => other,
    }
}
