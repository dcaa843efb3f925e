//! Reading a sweep file (`[sweep]` and its `[[axis]]` tables) into a [`SweepSpec`], with the
//! config module's one-line issues: every problem names the sweep file, the key path and what
//! is allowed (unknown keys get the closest known key).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::error::{ConfigError, IssueKind, num};
use crate::config::raw::{self, Issues, Node, Source, Table, Val, join};
use crate::config::{int_field, parse_dist, schema};
use crate::distributions::Dist;
use crate::model::outputs::SCALAR_METRICS;
use crate::stats::PAIRED_METRICS;

/// Keys of the `[sweep]` table.
pub const SWEEP_KEYS: &[&str] = &[
    "scenario", "design", "points", "paths", "seed", "metric", "compare",
];
/// Keys of one `[[axis]]` table.
pub const AXIS_KEYS: &[&str] = &["key", "values", "range", "dist"];
/// Keys of an axis `range` table.
pub const RANGE_KEYS: &[&str] = &["lo", "hi", "steps", "scale"];
/// Most values one grid axis may have.
pub const MAX_AXIS_VALUES: u64 = 1_000_000;
/// Scenario keys that cannot be swept: they change what a point is (its horizon) or are not
/// model inputs (names, defaults for --paths/--seed, the catalog).
pub const UNSWEEPABLE: &[&str] = &[
    "scenario.horizon_years",
    "scenario.horizon_days",
    "scenario.paths",
    "scenario.seed",
    "scenario.name",
    "scenario.description",
    "scenario.catalog",
];

/// Full factorial grid, or Latin hypercube of `points` points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "design", rename_all = "lowercase")]
pub enum Design {
    /// Every combination of every axis's values (first axis varies slowest).
    Grid,
    /// `points` points, one per stratum of every axis.
    Lhs {
        /// Number of points.
        points: u64,
    },
}

/// How an axis's values are given.
#[derive(Clone, Debug, PartialEq)]
pub enum AxisValues {
    /// Explicit values (grid), each with the byte offset where it is written.
    Values(Vec<(f64, usize)>),
    /// `steps` values from `lo` to `hi` (grid), or the interval sampled uniformly (LHS);
    /// `log` = geometric spacing / log-uniform.
    Range {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
        /// Number of grid values (`None` under LHS).
        steps: Option<u64>,
        /// Geometric spacing / log-uniform sampling.
        log: bool,
    },
    /// A distribution sampled by its inverse CDF at the stratified uniform (LHS).
    Dist(Dist),
}

/// One axis: the key path it sets and its values.
#[derive(Clone, Debug)]
pub struct Axis {
    /// Dotted key path in the scenario, e.g. `environment.usd_per_kwh`.
    pub key: String,
    /// The input's unit, when the key's last part is a known field.
    pub unit: Option<String>,
    /// Whether the field takes integers only (values are rounded).
    pub integer: bool,
    /// The values.
    pub values: AxisValues,
    /// The sweep file, for overrides whose errors must cite it.
    pub src: Arc<Source>,
    /// Byte offset of the axis's value specification (`values`, `range` or `dist`).
    pub offset: usize,
    /// 1-based line of the axis's `key`.
    pub line: usize,
}

impl Axis {
    /// The CSV/Parquet column of this axis: the key path in snake_case (dots become
    /// underscores), with the unit appended when the key's name carries none
    /// (`options.trn2.utilization_mean` -> `options_trn2_utilization_mean_fraction`,
    /// `environment.usd_per_kwh` -> `environment_usd_per_kwh`).
    pub fn column(&self) -> String {
        axis_column(&self.key, self.unit.as_deref())
    }
}

/// See [`Axis::column`].
pub fn axis_column(key: &str, unit: Option<&str>) -> String {
    let snake = slug(key);
    let last = key.rsplit('.').next().unwrap_or(key);
    match unit.map(slug) {
        Some(u) if !u.is_empty() && raw::stem(last) == last && !last.ends_with(&u) => {
            format!("{snake}_{u}")
        }
        _ => snake,
    }
}

/// Lowercase snake_case: `/` becomes `_per_`, other non-alphanumerics `_`, runs collapsed.
fn slug(s: &str) -> String {
    let s = s.to_lowercase().replace('/', " per ");
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// A validated sweep file.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    /// The sweep file as given.
    pub file: String,
    /// The base scenario file (relative paths resolved against the sweep file), or `None`
    /// for the built-in default.
    pub scenario: Option<PathBuf>,
    /// Grid or LHS.
    pub design: Design,
    /// Paths per point, if given.
    pub paths: Option<u32>,
    /// Seed, if given.
    pub seed: Option<u64>,
    /// Metric whose paired difference decides break-evens (one of the paired metrics).
    pub metric: String,
    /// The two options compared for break-evens, if given (default: the first two).
    pub compare: Option<(String, String)>,
    /// The axes, in written order.
    pub axes: Vec<Axis>,
    /// Line of `compare`, for errors about option names.
    pub compare_line: Option<usize>,
    /// Line of `metric`, for errors about a metric the compared options cannot produce.
    pub metric_line: Option<usize>,
}

/// Names of the metrics a break-even may use (those compared path by path).
pub fn paired_metric_names() -> Vec<&'static str> {
    PAIRED_METRICS
        .iter()
        .map(|&m| SCALAR_METRICS[m].name)
        .collect()
}

/// Reads and validates a sweep file.
pub fn load(path: &Path) -> Result<SweepSpec, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
        file: file.clone(),
        source: e,
    })?;
    parse(&text, &file)
}

fn no_units(_: &str) -> Option<String> {
    None
}

/// Validates sweep text; `file` names it in messages and anchors a relative `scenario`.
pub fn parse(text: &str, file: &str) -> Result<SweepSpec, ConfigError> {
    let doc = raw::parse(text, file)?;
    let mut iss = Issues::default();
    iss.unknown_keys(&doc, "", &["sweep", "axis"], &no_units);
    let empty = Table::default();
    let sweep = match doc.get("sweep") {
        Some(n) => match &n.v {
            Val::Table(t) => t,
            _ => {
                iss.at(n, "sweep", IssueKind::WrongType, "expected a table [sweep]");
                &empty
            }
        },
        None => &empty,
    };
    iss.unknown_keys(sweep, "sweep", SWEEP_KEYS, &no_units);

    let scenario = sweep.get("scenario").and_then(|n| match &n.v {
        Val::Str(s) => {
            let dir = Path::new(file)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            Some(dir.join(s))
        }
        _ => {
            iss.at(
                n,
                "sweep.scenario",
                IssueKind::WrongType,
                format!(
                    "expected a scenario file path relative to this file, got {}",
                    n.show()
                ),
            );
            None
        }
    });
    let design_name = match sweep.get("design") {
        None => "grid".to_string(),
        Some(n) => match &n.v {
            Val::Str(s) if s == "grid" || s == "lhs" => s.clone(),
            _ => {
                iss.at(
                    n,
                    "sweep.design",
                    IssueKind::OutOfRange,
                    format!("must be \"grid\" or \"lhs\", got {}", n.show()),
                );
                "grid".to_string()
            }
        },
    };
    let lhs = design_name == "lhs";
    let points = sweep.get("points").and_then(|n| {
        if !lhs {
            iss.at(
                n,
                "sweep.points",
                IssueKind::Conflict,
                "`points` is the size of a Latin-hypercube design (design = \"lhs\"); a grid has one point per combination of axis values",
            );
            return None;
        }
        int_field(n, "sweep.points", 1, u64::MAX >> 12, "points", &mut iss)
    });
    if lhs && points.is_none() && !sweep.has("points") {
        iss.in_file(
            file,
            "sweep.points",
            IssueKind::Missing,
            "design = \"lhs\" needs `points` (the number of points, >= 1)",
        );
    }
    let paths = sweep
        .get("paths")
        .and_then(|n| {
            int_field(
                n,
                "sweep.paths",
                1,
                u64::from(schema::MAX_PATHS),
                "paths",
                &mut iss,
            )
        })
        .map(|p| p as u32);
    let seed = sweep
        .get("seed")
        .and_then(|n| int_field(n, "sweep.seed", 0, schema::MAX_SEED, "(seed)", &mut iss));
    let known = paired_metric_names();
    let metric = match sweep.get("metric") {
        None => "npv_usd".to_string(),
        Some(n) => match &n.v {
            Val::Str(s) if known.contains(&s.as_str()) => s.clone(),
            _ => {
                iss.at(
                    n,
                    "sweep.metric",
                    IssueKind::OutOfRange,
                    format!(
                        "must be one of the paired metrics ({}), got {}",
                        known.join(", "),
                        n.show()
                    ),
                );
                "npv_usd".to_string()
            }
        },
    };
    let compare = sweep.get("compare").and_then(|n| match &n.v {
        Val::Array(a) if a.len() == 2 => match (&a[0].v, &a[1].v) {
            (Val::Str(x), Val::Str(y)) if x != y => Some((x.clone(), y.clone())),
            _ => {
                iss.at(
                    n,
                    "sweep.compare",
                    IssueKind::WrongType,
                    "expected two different option names, e.g. [\"trn2\", \"b200\"]",
                );
                None
            }
        },
        _ => {
            iss.at(
                n,
                "sweep.compare",
                IssueKind::WrongType,
                format!(
                    "expected two option names, e.g. [\"trn2\", \"b200\"], got {}",
                    n.show()
                ),
            );
            None
        }
    });
    let compare_line = sweep.get("compare").map(Node::line);
    let metric_line = sweep.get("metric").map(Node::line);

    let mut axes = Vec::new();
    match doc.get("axis") {
        None => iss.in_file(
            file,
            "axis",
            IssueKind::Missing,
            "a sweep needs at least one [[axis]] table (key = \"environment.usd_per_kwh\", values = [...])",
        ),
        Some(n) => match &n.v {
            Val::Array(items) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    let path = format!("axis[{i}]");
                    match &item.v {
                        Val::Table(t) => {
                            if let Some(a) = axis(item, t, &path, lhs, &mut iss) {
                                axes.push(a);
                            }
                        }
                        _ => iss.at(
                            item,
                            &path,
                            IssueKind::WrongType,
                            "expected an [[axis]] table",
                        ),
                    }
                }
            }
            _ => iss.at(
                n,
                "axis",
                IssueKind::WrongType,
                "expected [[axis]] tables (at least one)",
            ),
        },
    }
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.key == a.key) {
            iss.list.push(crate::config::Issue {
                file: file.to_string(),
                line: Some(a.line),
                path: format!("axis[{i}].key"),
                kind: IssueKind::Conflict,
                message: format!("`{}` is swept by an earlier axis too", a.key),
            });
        }
    }
    if !iss.is_empty() {
        return Err(ConfigError::Invalid(iss.list));
    }
    Ok(SweepSpec {
        file: file.to_string(),
        scenario,
        design: if lhs {
            Design::Lhs {
                points: points.unwrap_or(1),
            }
        } else {
            Design::Grid
        },
        paths,
        seed,
        metric,
        compare,
        axes,
        compare_line,
        metric_line,
    })
}

/// Whether the last key of `key` is an integer field (rounded values): the config layer's
/// rule, [`schema::int_field_spec`].
fn is_integer_key(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    schema::int_field_spec(last).is_some()
}

fn axis(node: &Node, t: &Table, path: &str, lhs: bool, iss: &mut Issues) -> Option<Axis> {
    let before = iss.list.len();
    iss.unknown_keys(t, path, AXIS_KEYS, &no_units);
    let key = match t.get("key") {
        None => {
            iss.at(
                node,
                &join(path, "key"),
                IssueKind::Missing,
                "an axis needs `key`, the key path it sets (e.g. \"options.trn2.utilization_mean\")",
            );
            None
        }
        Some(k) => match &k.v {
            Val::Str(s) if !s.trim().is_empty() => {
                if UNSWEEPABLE.contains(&s.as_str()) {
                    iss.at(
                        k,
                        &join(path, "key"),
                        IssueKind::OutOfRange,
                        format!(
                            "`{s}` cannot be swept: every point of a sweep has the base scenario's horizon, name and defaults"
                        ),
                    );
                    None
                } else {
                    Some((s.clone(), k.line()))
                }
            }
            _ => {
                iss.at(
                    k,
                    &join(path, "key"),
                    IssueKind::WrongType,
                    format!("expected a key path string, got {}", k.show()),
                );
                None
            }
        },
    };
    let given: Vec<&str> = ["values", "range", "dist"]
        .into_iter()
        .filter(|k| t.has(k))
        .collect();
    if given.len() != 1 {
        let allowed = if lhs {
            "`range` or `dist`"
        } else {
            "`values` or `range`"
        };
        iss.at(
            node,
            path,
            if given.is_empty() {
                IssueKind::Missing
            } else {
                IssueKind::Conflict
            },
            format!(
                "an axis needs exactly one of {allowed}, found {}",
                if given.is_empty() {
                    "none".to_string()
                } else {
                    given.join(" and ")
                }
            ),
        );
        return None;
    }
    let (key, line) = key?;
    let last = key.rsplit('.').next().unwrap_or(&key).to_string();
    let unit = schema::unit_of(&last);
    let unit_text = unit.clone().unwrap_or_else(|| "the field's unit".into());
    let integer = is_integer_key(&key);
    let which = given[0];
    let vnode = t.get(which).expect("present");
    let vpath = join(path, which);
    let values = match which {
        "values" => {
            if lhs {
                iss.at(
                    vnode,
                    &vpath,
                    IssueKind::Conflict,
                    "a Latin-hypercube axis samples a `range` or a `dist`, not a list of values (use design = \"grid\" for values)",
                );
                return None;
            }
            let Val::Array(a) = &vnode.v else {
                iss.at(
                    vnode,
                    &vpath,
                    IssueKind::WrongType,
                    format!(
                        "expected an array of numbers in {unit_text}, got {}",
                        vnode.show()
                    ),
                );
                return None;
            };
            if a.is_empty() {
                iss.at(
                    vnode,
                    &vpath,
                    IssueKind::Missing,
                    "empty axis: give at least one value",
                );
                return None;
            }
            let mut v = Vec::new();
            for (i, x) in a.iter().enumerate() {
                match x.number() {
                    Some(f) if f.is_finite() => v.push((f, x.offset)),
                    _ => iss.at(
                        x,
                        &format!("{vpath}[{i}]"),
                        IssueKind::WrongType,
                        format!("expected a finite number in {unit_text}, got {}", x.show()),
                    ),
                }
            }
            AxisValues::Values(v)
        }
        "range" => range(vnode, &vpath, lhs, iss)?,
        _ => {
            if !lhs {
                iss.at(
                    vnode,
                    &vpath,
                    IssueKind::Conflict,
                    "a `dist` axis needs design = \"lhs\"; a grid axis takes `values` or a `range`",
                );
                return None;
            }
            if !matches!(vnode.v, Val::Table(_)) {
                iss.at(
                    vnode,
                    &vpath,
                    IssueKind::WrongType,
                    "expected a distribution table, e.g. { dist = \"uniform\", lo = 0.05, hi = 0.2 }",
                );
                return None;
            }
            AxisValues::Dist(parse_dist(vnode, &vpath, &unit_text, iss)?)
        }
    };
    if iss.list.len() > before {
        return None;
    }
    Some(Axis {
        key,
        unit,
        integer,
        values,
        src: vnode.src.clone(),
        offset: vnode.offset,
        line,
    })
}

fn range(n: &Node, path: &str, lhs: bool, iss: &mut Issues) -> Option<AxisValues> {
    let Val::Table(t) = &n.v else {
        iss.at(
            n,
            path,
            IssueKind::WrongType,
            "expected a table { lo = ..., hi = ..., steps = ..., scale = \"linear\" | \"log\" }",
        );
        return None;
    };
    let before = iss.list.len();
    iss.unknown_keys(t, path, RANGE_KEYS, &no_units);
    let mut num_of = |k: &str| -> Option<f64> {
        match t.get(k) {
            None => {
                iss.at(
                    n,
                    &join(path, k),
                    IssueKind::Missing,
                    format!("a range needs `{k}`"),
                );
                None
            }
            Some(x) => match x.number() {
                Some(f) if f.is_finite() => Some(f),
                _ => {
                    iss.at(
                        x,
                        &join(path, k),
                        IssueKind::WrongType,
                        format!("expected a finite number, got {}", x.show()),
                    );
                    None
                }
            },
        }
    };
    let lo = num_of("lo");
    let hi = num_of("hi");
    let steps = match (t.get("steps"), lhs) {
        (Some(s), true) => {
            iss.at(
                s,
                &join(path, "steps"),
                IssueKind::Conflict,
                "a Latin-hypercube range has no steps: `points` strata are drawn from it",
            );
            None
        }
        (Some(s), false) => int_field(s, &join(path, "steps"), 1, MAX_AXIS_VALUES, "steps", iss),
        (None, true) => None,
        (None, false) => {
            iss.at(
                n,
                &join(path, "steps"),
                IssueKind::Missing,
                "a grid range needs `steps` (the number of values, lo and hi included)",
            );
            None
        }
    };
    let log = match t.get("scale") {
        None => false,
        Some(s) => match &s.v {
            Val::Str(x) if x == "linear" => false,
            Val::Str(x) if x == "log" => true,
            _ => {
                iss.at(
                    s,
                    &join(path, "scale"),
                    IssueKind::OutOfRange,
                    format!("must be \"linear\" or \"log\", got {}", s.show()),
                );
                false
            }
        },
    };
    if iss.list.len() > before {
        return None;
    }
    let (lo, hi) = (lo?, hi?);
    if hi < lo {
        iss.at(
            n,
            &join(path, "hi"),
            IssueKind::OutOfRange,
            format!("must be >= lo ({}), got {}", num(lo), num(hi)),
        );
        return None;
    }
    if log && lo <= 0.0 {
        iss.at(
            n,
            &join(path, "lo"),
            IssueKind::OutOfRange,
            format!("a log-scale range needs lo > 0, got {}", num(lo)),
        );
        return None;
    }
    if steps.is_some_and(|s| s < 2) && hi > lo {
        iss.at(
            n,
            &join(path, "steps"),
            IssueKind::OutOfRange,
            "must be >= 2 when hi > lo (lo and hi are both values of the axis)",
        );
        return None;
    }
    Some(AxisValues::Range { lo, hi, steps, log })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_columns_are_snake_case_key_paths_with_units() {
        let col =
            |k: &str| axis_column(k, schema::unit_of(k.rsplit('.').next().unwrap()).as_deref());
        assert_eq!(col("environment.usd_per_kwh"), "environment_usd_per_kwh");
        assert_eq!(
            col("options.trn2.utilization_mean"),
            "options_trn2_utilization_mean_fraction"
        );
        assert_eq!(col("options.trn2.spare_nodes"), "options_trn2_spare_nodes");
        assert_eq!(col("options.b200.pue"), "options_b200_pue_ratio");
        assert_eq!(
            col("options.trn2.failures.hbm.rate_per_chip_day"),
            "options_trn2_failures_hbm_rate_per_chip_day"
        );
        assert_eq!(
            col("options.trn2.accelerators"),
            "options_trn2_accelerators_chips"
        );
    }

    #[test]
    fn designs_and_their_value_kinds_must_match() {
        let lhs_values = "[sweep]\ndesign = \"lhs\"\npoints = 4\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.1]\n";
        let e = parse(lhs_values, "s.toml").expect_err("values under lhs");
        assert!(e.to_string().contains("axis[0].values"), "{e}");
        let lhs_no_points = "[sweep]\ndesign = \"lhs\"\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nrange = { lo = 0.1, hi = 0.2 }\n";
        let e = parse(lhs_no_points, "s.toml").expect_err("no points");
        assert!(e.to_string().contains("sweep.points"), "{e}");
        let ok = "[sweep]\ndesign = \"lhs\"\npoints = 4\n[[axis]]\nkey = \"options.trn2.spare_nodes\"\ndist = { dist = \"uniform\", lo = 0, hi = 40 }\n";
        let s = parse(ok, "s.toml").expect("valid");
        assert!(s.axes[0].integer);
        assert_eq!(s.design, Design::Lhs { points: 4 });
        let two = "[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.1]\nrange = { lo = 0.1, hi = 0.2, steps = 2 }\n";
        let e = parse(two, "s.toml").expect_err("two value kinds");
        assert!(e.to_string().contains("exactly one of"), "{e}");
        let dup = "[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.1]\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.2]\n";
        let e = parse(dup, "s.toml").expect_err("same key twice");
        assert!(e.to_string().contains("axis[1].key"), "{e}");
        let metric = "[sweep]\nmetric = \"npv\"\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.1]\n";
        let e = parse(metric, "s.toml").expect_err("unknown metric");
        assert!(
            e.to_string().contains("sweep.metric") && e.to_string().contains("npv_usd"),
            "{e}"
        );
    }

    #[test]
    fn integers_read_like_scenario_integers() {
        // One reader and one rule with the config layer: `3.0` is 3, `3.5` is refused.
        let grid = |sweep: &str, steps: &str| {
            format!(
                "[sweep]\n{sweep}\n[[axis]]\nkey = \"options.trn2.spare_nodes\"\nrange = {{ lo = 0, hi = 8, steps = {steps} }}\n"
            )
        };
        let s = parse(
            &grid("paths = 300.0\nseed = 9007199254740993", "3.0"),
            "s.toml",
        )
        .expect("integral floats are integers");
        assert_eq!((s.paths, s.seed), (Some(300), Some(9_007_199_254_740_993)));
        assert!(s.axes[0].integer);
        assert!(matches!(
            &s.axes[0].values,
            AxisValues::Range { steps: Some(3), .. }
        ));
        let e = parse(&grid("paths = 2.5", "3"), "s.toml").expect_err("fractional paths");
        assert!(
            e.to_string().contains("sweep.paths: expected an integer"),
            "{e}"
        );
        let e = parse(&grid("", "0"), "s.toml").expect_err("no steps");
        assert!(
            e.to_string().contains("allowed range [1, 1000000] steps"),
            "{e}"
        );
        for key in ["accelerators", "chips_per_node", "spare_nodes", "job_chips"] {
            assert!(is_integer_key(&format!("options.b200.job.{key}")), "{key}");
        }
        assert!(!is_integer_key("options.b200.job.fraction"));
    }
}
