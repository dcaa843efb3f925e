//! Validated scenario types and the rules that produce them from parsed TOML: every value
//! checked against its range, every combination rule applied, budgets sized and Young/Daly
//! intervals resolved, so that `flatten` can never meet a bad input.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::catalog::Catalog;
use super::error::{ConfigError, IssueKind, num};
use super::raw::{Issues, Node, Table, Val, join};
use super::schema::{self, FieldSpec};
use crate::dist::Dist;
use crate::model::params::{MAX_CLASSES, MAX_CORR, MAX_OPTIONS, MAX_YEARS, env_in, opt_in};

/// Where an option's facility comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Facility {
    /// Built and owned: `dc_capex_per_mw_usd` is capex.
    Build,
    /// Leased: `colo_usd_per_kw_month` is opex, no data-centre capex.
    Colo,
}

/// Whether a failure needs a part (spare swap, RMA) or only a reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// Part swap: uses a spare and goes to RMA.
    Hard,
    /// Reset or reboot: no part.
    Soft,
}

/// Named distributions in a fixed order, serialised as a map (`name -> dist`).
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs(pub Vec<(&'static str, Dist)>);

impl Inputs {
    /// The distribution of `name`. Panics on a name the schema does not define (a bug).
    pub fn get(&self, name: &str) -> &Dist {
        self.0
            .iter()
            .find(|e| e.0 == name)
            .map(|e| &e.1)
            .unwrap_or_else(|| panic!("no input named {name}"))
    }
}

impl Serialize for Inputs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One failure class of an option.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FailureClass {
    /// Class name (the key under `failures`).
    pub name: String,
    /// Hard (part) or soft (reset).
    pub kind: FailureKind,
    /// Failures per node per day (a `rate_per_chip_day` is multiplied by `chips_per_node`).
    pub rate_per_node_day: Dist,
    /// Rate multiplier during the infant period (default 1).
    pub infant_multiplier: Dist,
    /// Length of the infant period in days (default 0).
    pub infant_days: Dist,
    /// Repair time per event, hours.
    pub repair_hours: Dist,
}

/// The optional training-job view of an option.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct JobConfig {
    /// Chips per synchronous job.
    pub job_chips: u32,
    /// Share of the fleet running such jobs (default 1).
    pub fraction: Dist,
    /// Restart overhead per interruption, minutes.
    pub restart_minutes: Dist,
    /// Checkpoint interval, minutes (the resolved value when `young_daly`).
    pub checkpoint_interval_minutes: Dist,
    /// True when the interval was `"young_daly"`: `sqrt(2 C M)`, resolved at load time.
    pub young_daly: bool,
    /// Job mean time between interruptions used by Young/Daly, minutes (mean rates).
    pub job_mtbf_minutes: f64,
    /// Cost of one checkpoint, seconds.
    pub checkpoint_cost_seconds: Dist,
}

/// One accelerator option, fully resolved (catalog defaults merged with scenario overrides).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OptionConfig {
    /// Option name (the key under `options`, or the catalog entry name).
    pub name: String,
    /// Catalog entry it derives from.
    pub hardware: String,
    /// Free text.
    pub description: String,
    /// Built or leased facility.
    pub facility: Facility,
    /// Chips ordered (0 in catalog entries).
    pub accelerators: u64,
    /// True when `accelerators` was sized from `capital_budget_usd`.
    pub accelerators_from_budget: bool,
    /// Chips per node (the replaceable unit).
    pub chips_per_node: u32,
    /// Chips stopped by one node failure (a multiple of `chips_per_node`).
    pub blast_radius_chips: u32,
    /// Hot spare nodes.
    pub spare_nodes: u32,
    /// Sampled inputs, in [`schema::OPTION_INPUTS`] order.
    pub inputs: Inputs,
    /// RMA turnaround per event, days.
    pub rma_days: Dist,
    /// Failure classes, in written order (at most `MAX_CLASSES`).
    pub classes: Vec<FailureClass>,
    /// Training-job view, when the scenario asks for one.
    pub job: Option<JobConfig>,
}

/// Shared environment inputs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Environment {
    /// Sampled inputs, in `env_in` order.
    pub inputs: Inputs,
    /// Outage duration per event, hours.
    pub outage_hours: Dist,
}

/// The Gaussian-copula block: distinct inputs and their Spearman rank correlations.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Correlations {
    /// Input paths as written, first-appearance order.
    pub inputs: Vec<String>,
    /// Global input index of each (see `CorrParams::idx`).
    pub index: Vec<usize>,
    /// Spearman rank-correlation matrix (symmetric, unit diagonal).
    pub rank: Vec<Vec<f64>>,
}

impl Correlations {
    /// Normal-space (Pearson) correlation: `2 sin(pi rho / 6)` off the diagonal.
    pub fn pearson(&self) -> Vec<Vec<f64>> {
        self.rank
            .iter()
            .enumerate()
            .map(|(i, row)| {
                row.iter()
                    .enumerate()
                    .map(|(j, r)| {
                        if i == j {
                            1.0
                        } else {
                            2.0 * (std::f64::consts::PI * r / 6.0).sin()
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// Lower Cholesky factor of a symmetric matrix, or `None` if it is not positive definite.
pub fn cholesky(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = m[i][i] - s;
                if d <= 1e-10 {
                    return None;
                }
                l[i][j] = d.sqrt();
            } else {
                l[i][j] = (m[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

/// A validated scenario: what the engines run and what `summary.json` records.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Scenario {
    /// Scenario name.
    pub name: String,
    /// Optional free text.
    pub description: Option<String>,
    /// File (or origin label) it was read from.
    pub origin: String,
    /// Catalog used for defaults.
    pub catalog: String,
    /// Horizon in years (1..=20).
    pub horizon_years: u32,
    /// Equal capital budget that sized every option, if given.
    pub capital_budget_usd: Option<f64>,
    /// Default for `--paths`.
    pub paths: Option<u64>,
    /// Default for `--seed`.
    pub seed: Option<u64>,
    /// Shared environment.
    pub environment: Environment,
    /// Options in written order (1..=4).
    pub options: Vec<OptionConfig>,
    /// Correlated inputs (empty: independent).
    pub correlations: Correlations,
}

impl Scenario {
    /// Option names in order.
    pub fn option_names(&self) -> Vec<&str> {
        self.options.iter().map(|o| o.name.as_str()).collect()
    }

    /// Horizon in days (`365 * horizon_years`).
    pub fn horizon_days(&self) -> u32 {
        365 * self.horizon_years
    }
}

// ---------------------------------------------------------------------------------------------
// Value readers
// ---------------------------------------------------------------------------------------------

/// Distribution kinds: name, required parameters, optional parameters.
pub const DIST_KINDS: &[(&str, &[&str], &[&str])] = &[
    ("fixed", &["value"], &[]),
    ("uniform", &["lo", "hi"], &[]),
    ("normal", &["mean", "sd"], &["lo", "hi"]),
    ("lognormal", &["median", "p90"], &[]),
    ("triangular", &["lo", "mode", "hi"], &[]),
    ("pert", &["lo", "mode", "hi"], &[]),
    ("discrete", &["values"], &["weights"]),
];

fn units(k: &str) -> Option<String> {
    schema::unit_of(k)
}

fn range_text(s: &FieldSpec) -> String {
    format!("allowed range [{}, {}] {}", num(s.lo), num(s.hi), s.unit)
}

/// Reads a plain number or a distribution table, without range checks.
fn parse_dist(node: &Node, path: &str, unit: &str, iss: &mut Issues) -> Option<Dist> {
    match &node.v {
        Val::Int(i) => Some(Dist::Fixed { value: *i as f64 }),
        Val::Float(x) => {
            if x.is_finite() {
                Some(Dist::Fixed { value: *x })
            } else {
                iss.at(
                    node,
                    path,
                    IssueKind::OutOfRange,
                    format!("must be a finite number in {unit}, got {}", num(*x)),
                );
                None
            }
        }
        Val::Table(t) => parse_dist_table(node, t, path, unit, iss),
        _ => {
            iss.at(
                node,
                path,
                IssueKind::WrongType,
                format!(
                    "expected a number in {unit} (or a distribution such as {{ dist = \"lognormal\", median = ..., p90 = ... }}), got {} {}",
                    node.type_name(),
                    node.show()
                ),
            );
            None
        }
    }
}

fn param(t: &Table, key: &str, path: &str, iss: &mut Issues) -> Option<f64> {
    let n = t.get(key)?;
    let p = join(path, key);
    match n.number() {
        Some(x) if x.is_finite() => Some(x),
        Some(x) => {
            iss.at(
                n,
                &p,
                IssueKind::OutOfRange,
                format!("must be a finite number, got {}", num(x)),
            );
            None
        }
        None => {
            iss.at(
                n,
                &p,
                IssueKind::WrongType,
                format!("expected a number, got {} {}", n.type_name(), n.show()),
            );
            None
        }
    }
}

fn num_array(n: &Node, path: &str, iss: &mut Issues) -> Option<Vec<f64>> {
    let Val::Array(a) = &n.v else {
        iss.at(
            n,
            path,
            IssueKind::WrongType,
            format!(
                "expected an array of numbers, got {} {}",
                n.type_name(),
                n.show()
            ),
        );
        return None;
    };
    let mut out = Vec::new();
    for (i, x) in a.iter().enumerate() {
        match x.number() {
            Some(v) if v.is_finite() => out.push(v),
            _ => {
                iss.at(
                    x,
                    &format!("{path}[{i}]"),
                    IssueKind::WrongType,
                    format!("expected a finite number, got {}", x.show()),
                );
                return None;
            }
        }
    }
    Some(out)
}

fn parse_dist_table(
    node: &Node,
    t: &Table,
    path: &str,
    unit: &str,
    iss: &mut Issues,
) -> Option<Dist> {
    let Some(kn) = t.get("dist") else {
        iss.at(
            node,
            path,
            IssueKind::Missing,
            format!(
                "a distribution table needs `dist = \"...\"` (one of {}); or write a plain number in {unit}",
                DIST_KINDS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
            ),
        );
        return None;
    };
    let Val::Str(kind) = &kn.v else {
        iss.at(
            kn,
            &join(path, "dist"),
            IssueKind::WrongType,
            format!(
                "expected a string naming the distribution, got {}",
                kn.show()
            ),
        );
        return None;
    };
    let Some((_, req, opt)) = DIST_KINDS.iter().find(|k| k.0 == kind) else {
        iss.at(
            kn,
            &join(path, "dist"),
            IssueKind::UnknownDist,
            format!(
                "unknown distribution {kind:?}; known: {}",
                DIST_KINDS
                    .iter()
                    .map(|k| k.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return None;
    };
    let mut known: Vec<&str> = vec!["dist"];
    known.extend(req.iter().chain(opt.iter()));
    let before = iss.list.len();
    iss.unknown_keys(t, path, &known, &units);
    for r in req.iter() {
        if !t.has(r) {
            iss.at(
                node,
                &join(path, r),
                IssueKind::Missing,
                format!(
                    "missing parameter `{r}` of the {kind} distribution (needs {})",
                    req.join(", ")
                ),
            );
        }
    }
    if iss.list.len() > before {
        return None;
    }
    let d = match kind.as_str() {
        "fixed" => Dist::Fixed {
            value: param(t, "value", path, iss)?,
        },
        "uniform" => Dist::Uniform {
            lo: param(t, "lo", path, iss)?,
            hi: param(t, "hi", path, iss)?,
        },
        "normal" => {
            let lo = if t.has("lo") {
                Some(param(t, "lo", path, iss)?)
            } else {
                None
            };
            let hi = if t.has("hi") {
                Some(param(t, "hi", path, iss)?)
            } else {
                None
            };
            Dist::Normal {
                mean: param(t, "mean", path, iss)?,
                sd: param(t, "sd", path, iss)?,
                lo,
                hi,
            }
        }
        "lognormal" => Dist::Lognormal {
            median: param(t, "median", path, iss)?,
            p90: param(t, "p90", path, iss)?,
        },
        "triangular" => Dist::Triangular {
            lo: param(t, "lo", path, iss)?,
            mode: param(t, "mode", path, iss)?,
            hi: param(t, "hi", path, iss)?,
        },
        "pert" => Dist::Pert {
            lo: param(t, "lo", path, iss)?,
            mode: param(t, "mode", path, iss)?,
            hi: param(t, "hi", path, iss)?,
        },
        _ => {
            let values = num_array(t.get("values")?, &join(path, "values"), iss)?;
            let weights = match t.get("weights") {
                Some(w) => num_array(w, &join(path, "weights"), iss)?,
                None => vec![1.0; values.len()],
            };
            Dist::Discrete { values, weights }
        }
    };
    if let Err(e) = d.check() {
        iss.at(
            node,
            path,
            IssueKind::BadDistribution,
            format!("invalid {kind} distribution: {e}"),
        );
        return None;
    }
    Some(d)
}

/// Checks that `k * d` lies in `[lo, hi]` (a fixed value exactly; a distribution up to 0.1 %).
/// `bounds` = `(lo, hi, text describing the allowed range)`.
fn check_range(
    node: &Node,
    path: &str,
    d: &Dist,
    k: f64,
    bounds: (f64, f64, &str),
    iss: &mut Issues,
) -> bool {
    let (lo, hi, range) = bounds;
    if let Dist::Fixed { value } = d {
        let s = value * k;
        if s < lo {
            iss.at(
                node,
                path,
                IssueKind::OutOfRange,
                format!("must be >= {} ({range}), got {}", num(lo / k), num(*value)),
            );
            return false;
        }
        if s > hi {
            iss.at(
                node,
                path,
                IssueKind::OutOfRange,
                format!("must be <= {} ({range}), got {}", num(hi / k), num(*value)),
            );
            return false;
        }
        return true;
    }
    let scaled = if k == 1.0 { d.clone() } else { d.scaled(k) };
    let out = scaled.fraction_outside(lo, hi);
    if out > 0.001 {
        iss.at(
            node,
            path,
            IssueKind::BadDistribution,
            format!(
                "the distribution puts {:.2}% of its mass outside the {range} (at most 0.1% allowed); narrow it or truncate it (a normal with lo/hi, or a triangular/pert inside the range)",
                out * 100.0
            ),
        );
        return false;
    }
    true
}

/// Reads `t[key]` as a distribution for field `spec`; `None` (and an issue if required) when bad.
fn dist_field(
    t: &Table,
    key: &str,
    path: &str,
    spec: &FieldSpec,
    required: bool,
    iss: &mut Issues,
    missing_hint: &str,
) -> Option<Dist> {
    let p = join(path, key);
    let Some(n) = t.get(key) else {
        if required {
            iss.in_file(
                &table_file(t, iss),
                &p,
                IssueKind::Missing,
                format!("missing required field ({}){missing_hint}", spec.unit),
            );
        }
        return None;
    };
    let d = parse_dist(n, &p, spec.unit, iss)?;
    check_range(n, &p, &d, 1.0, (spec.lo, spec.hi, &range_text(spec)), iss).then_some(d)
}

/// File name to blame for a missing key of `t` (the file of its first entry).
fn table_file(t: &Table, iss: &Issues) -> String {
    t.entries
        .first()
        .map(|e| e.2.src.name.clone())
        .or_else(|| iss.list.first().map(|i| i.file.clone()))
        .unwrap_or_default()
}

/// Reads an integer field in `[lo, hi]`.
fn int_field(n: &Node, path: &str, lo: u64, hi: u64, unit: &str, iss: &mut Issues) -> Option<u64> {
    let v = match &n.v {
        Val::Int(i) => *i as f64,
        Val::Float(x) if x.fract() == 0.0 && x.is_finite() => *x,
        Val::Table(_) => {
            iss.at(
                n,
                path,
                IssueKind::WrongType,
                format!(
                    "expected an integer number of {unit} (integer fields take no distribution)"
                ),
            );
            return None;
        }
        _ => {
            iss.at(
                n,
                path,
                IssueKind::WrongType,
                format!(
                    "expected an integer number of {unit}, got {} {}",
                    n.type_name(),
                    n.show()
                ),
            );
            return None;
        }
    };
    if v < lo as f64 || v > hi as f64 {
        let rel = if v < lo as f64 {
            format!(">= {lo}")
        } else {
            format!("<= {hi}")
        };
        iss.at(
            n,
            path,
            IssueKind::OutOfRange,
            format!(
                "must be {rel} (allowed range [{lo}, {hi}] {unit}), got {}",
                num(v)
            ),
        );
        return None;
    }
    Some(v as u64)
}

fn str_field<'a>(n: &'a Node, path: &str, what: &str, iss: &mut Issues) -> Option<&'a str> {
    match &n.v {
        Val::Str(s) => Some(s),
        _ => {
            iss.at(
                n,
                path,
                IssueKind::WrongType,
                format!(
                    "expected a string ({what}), got {} {}",
                    n.type_name(),
                    n.show()
                ),
            );
            None
        }
    }
}

fn sub_table<'a>(n: &'a Node, path: &str, what: &str, iss: &mut Issues) -> Option<&'a Table> {
    match &n.v {
        Val::Table(t) => Some(t),
        _ => {
            iss.at(
                n,
                path,
                IssueKind::WrongType,
                format!(
                    "expected a table ({what}), got {} {}",
                    n.type_name(),
                    n.show()
                ),
            );
            None
        }
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/// How an option table is read.
pub(crate) enum Mode<'a> {
    /// A catalog entry: no `accelerators`, job fields optional defaults.
    Catalog,
    /// A scenario option: the merged table plus the scenario's own table (for "set explicitly").
    Scenario {
        /// The option's table as written in the scenario (before merging).
        own: &'a Table,
        /// `365 * horizon_years`.
        horizon_days: f64,
        /// `[scenario] capital_budget_usd` and its node.
        budget: Option<(f64, &'a Node)>,
    },
}

/// The node to blame for a combination error: `n` itself when the scenario wrote it, else the
/// option's `hardware` key in the scenario (the value came from the catalog), with a note.
fn blame(n: &Node, mode: &Mode<'_>) -> (Node, String) {
    if let Mode::Scenario { own, .. } = mode
        && let Some(h) = own.get("hardware")
        && !std::sync::Arc::ptr_eq(&h.src, &n.src)
    {
        return (
            h.clone(),
            format!(" [value from {} line {}]", n.src.name, n.line()),
        );
    }
    (n.clone(), String::new())
}

/// Result of reading a catalog job table: displayable defaults.
pub(crate) type JobDefaults = Vec<(String, String)>;

/// Reads and validates one option. `t` is the merged table (catalog entry + scenario overrides).
pub(crate) fn read_option(
    name: &str,
    hardware: &str,
    path: &str,
    t: &Table,
    mode: &Mode<'_>,
    iss: &mut Issues,
) -> Option<(OptionConfig, JobDefaults)> {
    let catalog = matches!(mode, Mode::Catalog);
    let hint = if catalog {
        String::new()
    } else {
        format!("; the catalog entry `{hardware}` should give it")
    };
    let before = iss.list.len();
    // File to blame for a missing key: the scenario for scenario options.
    let own_file = match mode {
        Mode::Scenario { own, .. } => table_file(own, iss),
        Mode::Catalog => table_file(t, iss),
    };
    let mut known = schema::option_keys();
    if catalog {
        known.retain(|k| *k != "accelerators" && *k != "hardware");
    }
    iss.unknown_keys(t, path, &known, &units);

    let description = match t.get("description") {
        Some(n) => str_field(n, &join(path, "description"), "free text", iss)
            .unwrap_or("")
            .to_string(),
        None => String::new(),
    };
    let facility = match t.get("facility") {
        None => Some(Facility::Build),
        Some(n) => match str_field(n, &join(path, "facility"), "\"build\" or \"colo\"", iss) {
            Some("build") => Some(Facility::Build),
            Some("colo") => Some(Facility::Colo),
            Some(other) => {
                iss.at(
                    n,
                    &join(path, "facility"),
                    IssueKind::OutOfRange,
                    format!("must be \"build\" or \"colo\", got {other:?}"),
                );
                None
            }
            None => None,
        },
    };
    let int = |key: &str, iss: &mut Issues| -> Option<Option<u64>> {
        let (_, lo, hi, unit) = schema::OPTION_INTS.iter().find(|i| i.0 == key).copied()?;
        match t.get(key) {
            None => Some(None),
            Some(n) => int_field(n, &join(path, key), lo, hi, unit, iss).map(Some),
        }
    };
    let cpn = match int("chips_per_node", iss) {
        Some(Some(v)) => Some(v),
        Some(None) => {
            iss.in_file(
                &own_file,
                &join(path, "chips_per_node"),
                IssueKind::Missing,
                format!("missing required field (integer chips per node){hint}"),
            );
            None
        }
        None => None,
    };
    let spare = int("spare_nodes", iss).map(|v| v.unwrap_or(0));
    let blast = int("blast_radius_chips", iss);

    // Sampled inputs.
    let mut inputs = Vec::new();
    let mut inputs_ok = true;
    for s in schema::OPTION_INPUTS {
        match dist_field(t, s.name, path, s, true, iss, &hint) {
            Some(d) => inputs.push((s.name, d)),
            None => inputs_ok = false,
        }
    }
    let rma = dist_field(t, "rma_days", path, &schema::RMA_DAYS, true, iss, &hint);

    // Failure classes (need chips_per_node to convert per-chip rates).
    let classes = read_classes(t, path, cpn, iss);

    // Accelerators.
    let mut accelerators = 0u64;
    let mut from_budget = false;
    if let Mode::Scenario { own, budget, .. } = mode {
        let acc_node = own.get("accelerators");
        match (budget, acc_node) {
            (Some((_, bn)), Some(an)) => {
                iss.at(an, &join(path, "accelerators"), IssueKind::Conflict, format!(
                    "cannot be set together with [scenario] capital_budget_usd (line {}), which sizes every option; remove one",
                    bn.line()
                ));
            }
            (None, None) => {
                iss.in_file(&own_file, &join(path, "accelerators"), IssueKind::Missing,
                    "missing required field (integer chips); or set [scenario] capital_budget_usd to size every option".to_string());
            }
            (None, Some(an)) => {
                if let Some(v) =
                    int_field(an, &join(path, "accelerators"), 1, 10_000_000, "chips", iss)
                {
                    accelerators = v;
                }
            }
            (Some((b, bn)), None) => {
                if let (Some(c), Some(sp), true, Some(f)) = (cpn, spare, inputs_ok, facility) {
                    let inp = Inputs(inputs.clone());
                    match size_by_budget(*b, c, sp, f, &inp) {
                        Ok(a) if a <= 10_000_000 => {
                            accelerators = a;
                            from_budget = true;
                        }
                        Ok(a) => iss.at(bn, "scenario.capital_budget_usd", IssueKind::OutOfRange, format!(
                            "sizes option `{name}` to {a} accelerators, above the maximum 10000000; lower the budget"
                        )),
                        Err(m) => iss.at(bn, "scenario.capital_budget_usd", IssueKind::Conflict, format!("option `{name}`: {m}")),
                    }
                }
            }
        }
    }

    // Structure checks.
    let mut blast_radius = 0u64;
    if let Some(c) = cpn {
        blast_radius = match blast {
            Some(Some(b)) => b,
            _ => c,
        };
        if let Some(Some(b)) = blast {
            let (n, note) = blame(t.get("blast_radius_chips").expect("present"), mode);
            if b % c != 0 {
                iss.at(&n, &join(path, "blast_radius_chips"), IssueKind::Conflict, format!(
                    "must be a multiple of chips_per_node = {c} (a failure stops whole nodes), got {b}{note}"
                ));
            } else if accelerators > 0 && b > accelerators {
                iss.at(
                    &n,
                    &join(path, "blast_radius_chips"),
                    IssueKind::Conflict,
                    format!("must be <= accelerators = {accelerators}, got {b}{note}"),
                );
            }
        } else if accelerators > 0 && c > accelerators {
            iss.in_file(
                &own_file,
                &join(path, "accelerators"),
                IssueKind::Conflict,
                format!(
                    "must be at least one node of chips_per_node = {c} chips, got {accelerators}"
                ),
            );
        }
    }

    let inputs = Inputs(inputs);
    if let (
        Mode::Scenario {
            own, horizon_days, ..
        },
        true,
    ) = (mode, inputs_ok)
    {
        let m = inputs.get("delivery_delay_days").median();
        if m >= *horizon_days {
            let (n, note) = blame(t.get("delivery_delay_days").expect("present"), mode);
            iss.at(&n, &join(path, "delivery_delay_days"), IssueKind::Conflict, format!(
                "median {} days is not before the end of the {}-day horizon: the fleet would mostly never arrive; shorten the delay or lengthen horizon_years{note}",
                num(m), num(*horizon_days)
            ));
        }
        if facility == Some(Facility::Colo)
            && let Some(n) = own.get("dc_capex_per_mw_usd")
        {
            iss.at(n, &join(path, "dc_capex_per_mw_usd"), IssueKind::Conflict,
                "cannot be set for a colo facility (the lease `colo_usd_per_kw_month` replaces data-centre capex); remove it or set facility = \"build\"");
        }
    }

    // Job view.
    let mut job = None;
    let mut job_defaults = Vec::new();
    if let Some(jn) = t.get("job") {
        let jp = join(path, "job");
        if let Some(jt) = sub_table(jn, &jp, "the training-job view", iss) {
            if catalog {
                job_defaults = read_job_defaults(jt, &jp, iss);
            } else if let (Some(c), Some(cl)) = (cpn, classes.as_ref()) {
                job = read_job(jt, jn, &jp, accelerators, c, cl, iss);
            }
        }
    }

    if iss.list.len() > before {
        return None;
    }
    Some((
        OptionConfig {
            name: name.to_string(),
            hardware: hardware.to_string(),
            description,
            facility: facility?,
            accelerators,
            accelerators_from_budget: from_budget,
            chips_per_node: cpn? as u32,
            blast_radius_chips: blast_radius as u32,
            spare_nodes: spare? as u32,
            inputs,
            rma_days: rma?,
            classes: classes?,
            job,
        },
        job_defaults,
    ))
}

/// Nodes affordable with `budget` (MODEL: all-in per chip = server + facility share).
fn size_by_budget(
    budget: f64,
    cpn: u64,
    spare: u64,
    facility: Facility,
    inp: &Inputs,
) -> Result<u64, String> {
    let server = inp.get("server_capex_per_chip_usd").mean();
    let dc = match facility {
        Facility::Build => {
            inp.get("dc_capex_per_mw_usd").mean()
                * (inp.get("chip_w").mean() + inp.get("host_w_per_chip").mean())
                / 1e6
        }
        Facility::Colo => 0.0,
    };
    let all_in = server + dc;
    let spare_cost = spare as f64 * cpn as f64 * server;
    let node_cost = cpn as f64 * all_in;
    if node_cost <= 0.0 {
        return Err("all-in capex per chip is 0, so a budget cannot size the fleet; set accelerators instead".into());
    }
    let nodes = ((budget - spare_cost) / node_cost).floor();
    if nodes < 1.0 {
        return Err(format!(
            "capital budget too small for one node: one node of {cpn} chips costs {} USD all-in ({} USD per chip) plus {} USD of spare nodes, got {} USD",
            num(node_cost),
            num(all_in),
            num(spare_cost),
            num(budget)
        ));
    }
    Ok(nodes as u64 * cpn)
}

fn read_classes(
    t: &Table,
    path: &str,
    cpn: Option<u64>,
    iss: &mut Issues,
) -> Option<Vec<FailureClass>> {
    let Some(fnode) = t.get("failures") else {
        return Some(Vec::new());
    };
    let fp = join(path, "failures");
    let ft = sub_table(fnode, &fp, "failure classes, one sub-table each", iss)?;
    let before = iss.list.len();
    let mut out = Vec::new();
    for (cname, off, cn) in &ft.entries {
        let cp = join(&fp, cname);
        let Some(ct) = sub_table(cn, &cp, "one failure class", iss) else {
            continue;
        };
        if let Some(en) = ct.get("enabled") {
            match en.v {
                Val::Bool(false) => continue,
                Val::Bool(true) => {}
                _ => {
                    iss.at(
                        en,
                        &join(&cp, "enabled"),
                        IssueKind::WrongType,
                        format!("expected true or false, got {}", en.show()),
                    );
                    continue;
                }
            }
        }
        iss.unknown_keys(ct, &cp, schema::CLASS_KEYS, &units);
        let kind = match ct.get("kind") {
            None => {
                iss.at_key(
                    &cn.src,
                    *off,
                    &join(&cp, "kind"),
                    IssueKind::Missing,
                    "missing required field: \"hard\" (part swap) or \"soft\" (reset)",
                );
                None
            }
            Some(kn) => match str_field(kn, &join(&cp, "kind"), "\"hard\" or \"soft\"", iss) {
                Some("hard") => Some(FailureKind::Hard),
                Some("soft") => Some(FailureKind::Soft),
                Some(o) => {
                    iss.at(
                        kn,
                        &join(&cp, "kind"),
                        IssueKind::OutOfRange,
                        format!("must be \"hard\" or \"soft\", got {o:?}"),
                    );
                    None
                }
                None => None,
            },
        };
        let spec = &schema::CLASS_INPUTS[0];
        let rate = match (
            ct.get("rate_per_chip_day"),
            ct.get("rate_per_node_day"),
            cpn,
        ) {
            (Some(_), Some(nn), _) => {
                iss.at(
                    nn,
                    &join(&cp, "rate_per_node_day"),
                    IssueKind::Conflict,
                    "set exactly one of rate_per_chip_day and rate_per_node_day, not both",
                );
                None
            }
            (None, None, _) => {
                iss.at_key(
                    &cn.src,
                    *off,
                    &join(&cp, "rate_per_chip_day"),
                    IssueKind::Missing,
                    "missing required field: rate_per_chip_day or rate_per_node_day",
                );
                None
            }
            (Some(cnode), None, Some(c)) => {
                let p = join(&cp, "rate_per_chip_day");
                parse_dist(cnode, &p, "per chip-day", iss).and_then(|d| {
                    let range = format!(
                        "allowed range [0, 1] per node-day = [0, {}] per chip-day at {c} chips per node",
                        num(1.0 / c as f64)
                    );
                    check_range(cnode, &p, &d, c as f64, (spec.lo, spec.hi, &range), iss).then(|| d.scaled(c as f64))
                })
            }
            (None, Some(nnode), _) => {
                let p = join(&cp, "rate_per_node_day");
                parse_dist(nnode, &p, spec.unit, iss).filter(|d| {
                    check_range(
                        nnode,
                        &p,
                        d,
                        1.0,
                        (spec.lo, spec.hi, &range_text(spec)),
                        iss,
                    )
                })
            }
            (Some(_), None, None) => None,
        };
        let im = &schema::CLASS_INPUTS[1];
        let infant_multiplier = if ct.has(im.name) {
            dist_field(ct, im.name, &cp, im, true, iss, "")
        } else {
            Some(Dist::Fixed { value: 1.0 })
        };
        let idays = &schema::CLASS_INPUTS[2];
        let infant_days = if ct.has(idays.name) {
            dist_field(ct, idays.name, &cp, idays, true, iss, "")
        } else {
            Some(Dist::Fixed { value: 0.0 })
        };
        let repair = match ct.get("repair_hours") {
            Some(_) => dist_field(
                ct,
                "repair_hours",
                &cp,
                &schema::REPAIR_HOURS,
                true,
                iss,
                "",
            ),
            None => {
                iss.at_key(
                    &cn.src,
                    *off,
                    &join(&cp, "repair_hours"),
                    IssueKind::Missing,
                    "missing required field (hours per event)",
                );
                None
            }
        };
        if let (Some(kind), Some(rate), Some(im), Some(id), Some(rep)) =
            (kind, rate, infant_multiplier, infant_days, repair)
        {
            out.push(FailureClass {
                name: cname.clone(),
                kind,
                rate_per_node_day: rate,
                infant_multiplier: im,
                infant_days: id,
                repair_hours: rep,
            });
        }
    }
    let enabled = ft
        .entries
        .iter()
        .filter(|e| {
            !matches!(
                e.2.table().and_then(|t| t.get("enabled")).map(|n| &n.v),
                Some(Val::Bool(false))
            )
        })
        .count();
    if enabled > MAX_CLASSES {
        iss.at(fnode, &fp, IssueKind::TooMany, format!("at most {MAX_CLASSES} failure classes per option, got {enabled}; merge some or drop one with `enabled = false`"));
    }
    (iss.list.len() == before).then_some(out)
}

fn job_spec(name: &str) -> &'static FieldSpec {
    schema::JOB_INPUTS
        .iter()
        .find(|s| s.name == name)
        .expect("job field")
}

fn read_job_defaults(jt: &Table, jp: &str, iss: &mut Issues) -> JobDefaults {
    iss.unknown_keys(jt, jp, schema::JOB_KEYS, &units);
    let mut out = Vec::new();
    for (k, _, n) in &jt.entries {
        let p = join(jp, k);
        match k.as_str() {
            "job_chips" => {
                if let Some(v) = int_field(n, &p, 1, 10_000_000, "chips", iss) {
                    out.push((k.clone(), v.to_string()));
                }
            }
            "checkpoint_interval_minutes" if matches!(&n.v, Val::Str(s) if s == "young_daly") => {
                out.push((k.clone(), "young_daly".into()));
            }
            name if schema::JOB_KEYS.contains(&name) => {
                if let Some(d) = dist_field(jt, name, jp, job_spec(name), true, iss, "") {
                    out.push((k.clone(), serde_json::to_string(&d).unwrap_or_default()));
                }
            }
            _ => {}
        }
    }
    out
}

fn read_job(
    jt: &Table,
    jn: &Node,
    jp: &str,
    accelerators: u64,
    cpn: u64,
    classes: &[FailureClass],
    iss: &mut Issues,
) -> Option<JobConfig> {
    let before = iss.list.len();
    iss.unknown_keys(jt, jp, schema::JOB_KEYS, &units);
    let job_chips = match jt.get("job_chips") {
        Some(n) => {
            let hi = if accelerators > 0 {
                accelerators
            } else {
                10_000_000
            };
            match &n.v {
                Val::Int(v) if *v > hi as i64 => {
                    iss.at(n, &join(jp, "job_chips"), IssueKind::Conflict, format!(
                        "must be <= accelerators = {accelerators} (allowed range [1, {accelerators}] chips), got {v}"
                    ));
                    None
                }
                _ => int_field(n, &join(jp, "job_chips"), 1, hi, "chips", iss),
            }
        }
        None => {
            iss.at(
                jn,
                &join(jp, "job_chips"),
                IssueKind::Missing,
                "missing required field (integer chips per synchronous job)",
            );
            None
        }
    };
    let fraction = if jt.has("fraction") {
        dist_field(jt, "fraction", jp, job_spec("fraction"), true, iss, "")
    } else {
        Some(Dist::Fixed { value: 1.0 })
    };
    let restart = dist_field(
        jt,
        "restart_minutes",
        jp,
        job_spec("restart_minutes"),
        true,
        iss,
        "",
    );
    let cost = dist_field(
        jt,
        "checkpoint_cost_seconds",
        jp,
        job_spec("checkpoint_cost_seconds"),
        true,
        iss,
        "",
    );
    let ip = join(jp, "checkpoint_interval_minutes");
    let interval_node = jt.get("checkpoint_interval_minutes");
    let (interval, young_daly) = match interval_node {
        Some(n) if matches!(&n.v, Val::Str(s) if s == "young_daly") => (None, true),
        Some(n) if matches!(&n.v, Val::Str(_)) => {
            iss.at(
                n,
                &ip,
                IssueKind::WrongType,
                format!(
                    "expected a number in minutes, a distribution, or \"young_daly\", got {}",
                    n.show()
                ),
            );
            (None, false)
        }
        Some(_) => (
            dist_field(
                jt,
                "checkpoint_interval_minutes",
                jp,
                job_spec("checkpoint_interval_minutes"),
                true,
                iss,
                "",
            ),
            false,
        ),
        None => {
            iss.at(
                jn,
                &ip,
                IssueKind::Missing,
                "missing required field (minutes, a distribution, or \"young_daly\")",
            );
            (None, false)
        }
    };
    if iss.list.len() > before {
        return None;
    }
    let (job_chips, cost) = (job_chips?, cost?);
    let node_rate: f64 = classes.iter().map(|c| c.rate_per_node_day.mean()).sum();
    let job_nodes = job_chips as f64 / cpn as f64;
    let mtbf_min = if node_rate * job_nodes > 0.0 {
        1440.0 / (node_rate * job_nodes)
    } else {
        f64::INFINITY
    };
    let interval = if young_daly {
        let c_min = cost.median() / 60.0;
        let spec = job_spec("checkpoint_interval_minutes");
        let tau = (2.0 * c_min * mtbf_min).sqrt();
        Dist::Fixed {
            value: if tau.is_finite() {
                tau.clamp(spec.lo, spec.hi)
            } else {
                spec.hi
            },
        }
    } else {
        interval?
    };
    let im = interval.median();
    let cm = cost.median();
    if cm >= 60.0 * im {
        let n = jt.get("checkpoint_cost_seconds").expect("present");
        // Blame the scenario's job table when the cost came from the catalog.
        let (n, note) = if std::sync::Arc::ptr_eq(&n.src, &jn.src) {
            (n, String::new())
        } else {
            (
                jn,
                format!(" [value from {} line {}]", n.src.name, n.line()),
            )
        };
        iss.at(n, &join(jp, "checkpoint_cost_seconds"), IssueKind::Conflict, format!(
            "median {} s must be below the checkpoint interval (median {} min = {} s): the job would do nothing but checkpoint{note}",
            num(cm), num(im), num(60.0 * im)
        ));
        return None;
    }
    Some(JobConfig {
        job_chips: job_chips as u32,
        fraction: fraction?,
        restart_minutes: restart?,
        checkpoint_interval_minutes: interval,
        young_daly,
        job_mtbf_minutes: if mtbf_min.is_finite() {
            mtbf_min
        } else {
            f64::MAX
        },
        checkpoint_cost_seconds: cost,
    })
}

/// Merges a scenario option table over a catalog entry: scalar keys replace, `failures.CLASS`
/// tables merge key by key (a rate in either unit replaces both), `job` merges key by key and
/// exists only when the scenario writes one.
pub(crate) fn merge_option(base: &Table, over: &Table) -> Table {
    let mut out = base.clone();
    if !over.has("job") {
        out.remove("job");
    }
    for (k, off, node) in &over.entries {
        let merged = match (k.as_str(), base.get(k).and_then(Node::table), node.table()) {
            ("failures", Some(bt), Some(ot)) => {
                let mut f = bt.clone();
                for (ck, coff, cn) in &ot.entries {
                    match (bt.get(ck).and_then(Node::table), cn.table()) {
                        (Some(bc), Some(oc)) => {
                            let mut c = bc.clone();
                            if oc.has("rate_per_chip_day") || oc.has("rate_per_node_day") {
                                c.remove("rate_per_chip_day");
                                c.remove("rate_per_node_day");
                            }
                            for (kk, ko, kn) in &oc.entries {
                                c.set(kk, *ko, kn.clone());
                            }
                            f.set(
                                ck,
                                *coff,
                                Node {
                                    v: Val::Table(c),
                                    ..cn.clone()
                                },
                            );
                        }
                        _ => f.set(ck, *coff, cn.clone()),
                    }
                }
                Node {
                    v: Val::Table(f),
                    ..node.clone()
                }
            }
            ("job", Some(bt), Some(ot)) => {
                let mut j = bt.clone();
                for (kk, ko, kn) in &ot.entries {
                    j.set(kk, *ko, kn.clone());
                }
                Node {
                    v: Val::Table(j),
                    ..node.clone()
                }
            }
            _ => node.clone(),
        };
        out.set(k, *off, merged);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Scenario
// ---------------------------------------------------------------------------------------------

/// Validates a parsed scenario document against `catalog`.
pub(crate) fn build(doc: &Table, origin: &str, catalog: &Catalog) -> Result<Scenario, ConfigError> {
    let mut iss = Issues::default();
    iss.unknown_keys(
        doc,
        "",
        &["scenario", "environment", "options", "correlations"],
        &units,
    );

    // [scenario]
    let empty = Table::default();
    let st = match doc.get("scenario") {
        Some(n) => sub_table(n, "scenario", "scenario settings", &mut iss).unwrap_or(&empty),
        None => {
            iss.in_file(
                origin,
                "scenario",
                IssueKind::Missing,
                "missing required table [scenario] (with at least `name`)",
            );
            &empty
        }
    };
    iss.unknown_keys(st, "scenario", schema::SCENARIO_KEYS, &units);
    let name = match st.get("name") {
        Some(n) => {
            str_field(n, "scenario.name", "the scenario's name", &mut iss).map(str::to_string)
        }
        None => {
            if doc.has("scenario") {
                iss.in_file(
                    origin,
                    "scenario.name",
                    IssueKind::Missing,
                    "missing required field (a string)",
                );
            }
            None
        }
    };
    let description = st
        .get("description")
        .and_then(|n| str_field(n, "scenario.description", "free text", &mut iss))
        .map(str::to_string);
    let horizon_years = match st.get("horizon_years") {
        Some(n) => int_field(
            n,
            "scenario.horizon_years",
            1,
            MAX_YEARS as u64,
            "years",
            &mut iss,
        )
        .map(|v| v as u32),
        None => Some(5),
    };
    let budget_node = st.get("capital_budget_usd");
    let budget = match budget_node {
        None => None,
        Some(n) => match &n.v {
            Val::Int(_) | Val::Float(_) => {
                let v = n.number().unwrap_or(f64::NAN);
                if !(v.is_finite() && v > 0.0 && v <= 1e13) {
                    iss.at(
                        n,
                        "scenario.capital_budget_usd",
                        IssueKind::OutOfRange,
                        format!(
                            "must be > 0 and <= 1e13 (allowed range (0, 1e13] USD), got {}",
                            num(v)
                        ),
                    );
                    None
                } else {
                    Some((v, n))
                }
            }
            _ => {
                iss.at(
                    n,
                    "scenario.capital_budget_usd",
                    IssueKind::WrongType,
                    format!(
                        "expected a number in USD (a fixed budget, no distribution), got {} {}",
                        n.type_name(),
                        n.show()
                    ),
                );
                None
            }
        },
    };
    let paths = st
        .get("paths")
        .and_then(|n| int_field(n, "scenario.paths", 1, 1_000_000_000, "paths", &mut iss));
    let seed = st
        .get("seed")
        .and_then(|n| int_field(n, "scenario.seed", 0, i64::MAX as u64, "(seed)", &mut iss));

    // [environment]
    let et = match doc.get("environment") {
        Some(n) => sub_table(n, "environment", "environment inputs", &mut iss).unwrap_or(&empty),
        None => &empty,
    };
    let mut env_keys: Vec<&str> = schema::ENV_INPUTS.iter().map(|s| s.name).collect();
    env_keys.push("outage_hours");
    iss.unknown_keys(et, "environment", &env_keys, &units);
    let mut env = Vec::new();
    for s in schema::ENV_INPUTS {
        let d = if et.has(s.name) {
            dist_field(et, s.name, "environment", s, true, &mut iss, "")
        } else {
            Some(schema::env_default(s.name))
        };
        env.push((s.name, d.unwrap_or(Dist::Fixed { value: 0.0 })));
    }
    let outage_hours = if et.has("outage_hours") {
        dist_field(
            et,
            "outage_hours",
            "environment",
            &schema::OUTAGE_HOURS,
            true,
            &mut iss,
            "",
        )
    } else {
        Some(schema::env_default("outage_hours"))
    }
    .unwrap_or(Dist::Fixed { value: 0.0 });

    // [options]
    let mut options = Vec::new();
    let horizon_days = 365.0 * horizon_years.unwrap_or(5) as f64;
    match doc.get("options") {
        None => iss.in_file(origin, "options", IssueKind::Missing, format!("missing required table: at least one [options.NAME] with `hardware = \"...\"` (1 to {MAX_OPTIONS})")),
        Some(on) => {
            if let Some(ot) = sub_table(on, "options", "one sub-table per option", &mut iss) {
                if ot.entries.len() > MAX_OPTIONS {
                    iss.at(on, "options", IssueKind::TooMany, format!("at most {MAX_OPTIONS} options per scenario, got {} ({})", ot.entries.len(), ot.keys().collect::<Vec<_>>().join(", ")));
                }
                if ot.entries.is_empty() {
                    iss.at(on, "options", IssueKind::Missing, "needs at least one option");
                }
                for (oname, off, onode) in &ot.entries {
                    let op = join("options", oname);
                    if !valid_name(oname) {
                        iss.at_key(&onode.src, *off, &op, IssueKind::OutOfRange, "option names may use only letters, digits, `_` and `-`");
                    }
                    let Some(own) = sub_table(onode, &op, "one option", &mut iss) else { continue };
                    let hw = match own.get("hardware") {
                        None => {
                            iss.at_key(&onode.src, *off, &join(&op, "hardware"), IssueKind::Missing, format!(
                                "missing required field: the catalog entry to start from (one of {})", catalog.names().join(", ")
                            ));
                            continue;
                        }
                        Some(h) => match str_field(h, &join(&op, "hardware"), "a catalog entry name", &mut iss) {
                            Some(s) => (s, h),
                            None => continue,
                        },
                    };
                    let Some(entry) = catalog.entry(hw.0) else {
                        let names = catalog.names();
                        let close = names.iter().map(|n| (super::raw::edit_distance(hw.0, n), *n)).min_by_key(|x| x.0);
                        let hint = match close {
                            Some((d, n)) if d <= 3 => format!("; did you mean {n:?}?"),
                            _ => String::new(),
                        };
                        iss.at(hw.1, &join(&op, "hardware"), IssueKind::UnknownHardware, format!(
                            "unknown hardware {:?}{hint} known entries in {}: {}", hw.0, catalog.origin, names.join(", ")
                        ));
                        continue;
                    };
                    let merged = merge_option(&entry.raw, own);
                    let mode = Mode::Scenario { own, horizon_days, budget };
                    if let Some((o, _)) = read_option(oname, hw.0, &op, &merged, &mode, &mut iss) {
                        options.push(o);
                    }
                }
            }
        }
    }

    // [[correlations]]
    let written: Vec<String> = doc
        .get("options")
        .and_then(Node::table)
        .map(|t| t.keys().map(str::to_string).collect())
        .unwrap_or_default();
    let failed: Vec<String> = written
        .into_iter()
        .filter(|w| !options.iter().any(|o| &o.name == w))
        .collect();
    let correlations = read_correlations(doc, &options, &failed, origin, &mut iss);

    if !iss.is_empty() {
        return Err(ConfigError::Invalid(iss.list));
    }
    Ok(Scenario {
        name: name.expect("checked"),
        description,
        origin: origin.to_string(),
        catalog: catalog.origin.clone(),
        horizon_years: horizon_years.expect("checked"),
        capital_budget_usd: budget.map(|b| b.0),
        paths,
        seed,
        environment: Environment {
            inputs: Inputs(env),
            outage_hours,
        },
        options,
        correlations,
    })
}

/// Every correlatable input path of a scenario with its global index.
pub fn correlatable_inputs(options: &[OptionConfig]) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = schema::ENV_INPUTS
        .iter()
        .map(|s| (format!("environment.{}", s.name), s.index))
        .collect();
    for (o, opt) in options.iter().enumerate() {
        let base = env_in::COUNT + o * opt_in::COUNT;
        for s in schema::OPTION_INPUTS {
            v.push((format!("options.{}.{}", opt.name, s.name), base + s.index));
        }
        if opt.job.is_some() {
            for s in schema::JOB_INPUTS {
                v.push((
                    format!("options.{}.job.{}", opt.name, s.name),
                    base + s.index,
                ));
            }
        }
        for (c, cl) in opt.classes.iter().enumerate() {
            let cb = base + opt_in::CLASS_BASE + opt_in::PER_CLASS * c;
            let p = format!("options.{}.failures.{}", opt.name, cl.name);
            v.push((format!("{p}.rate_per_chip_day"), cb + opt_in::CLASS_RATE));
            v.push((format!("{p}.rate_per_node_day"), cb + opt_in::CLASS_RATE));
            v.push((
                format!("{p}.infant_multiplier"),
                cb + opt_in::CLASS_INFANT_MULT,
            ));
            v.push((format!("{p}.infant_days"), cb + opt_in::CLASS_INFANT_DAYS));
        }
    }
    v
}

fn read_correlations(
    doc: &Table,
    options: &[OptionConfig],
    failed: &[String],
    origin: &str,
    iss: &mut Issues,
) -> Correlations {
    let mut c = Correlations {
        inputs: Vec::new(),
        index: Vec::new(),
        rank: Vec::new(),
    };
    let Some(cn) = doc.get("correlations") else {
        return c;
    };
    let Val::Array(items) = &cn.v else {
        iss.at(
            cn,
            "correlations",
            IssueKind::WrongType,
            "expected an array of tables: write each as [[correlations]]",
        );
        return c;
    };
    let known = correlatable_inputs(options);
    let mut pairs: Vec<(usize, usize, f64, &Node)> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let p = format!("correlations[{i}]");
        let Some(t) = sub_table(item, &p, "inputs = [A, B] and rank_correlation", iss) else {
            ok = false;
            continue;
        };
        iss.unknown_keys(t, &p, &["inputs", "rank_correlation"], &units);
        let rho = match t.get("rank_correlation") {
            None => {
                iss.at(
                    item,
                    &join(&p, "rank_correlation"),
                    IssueKind::Missing,
                    "missing required field (Spearman rank correlation in [-1, 1])",
                );
                None
            }
            Some(rn) => match rn.number() {
                Some(r) if r.is_finite() && (-1.0..=1.0).contains(&r) => Some(r),
                Some(r) => {
                    iss.at(
                        rn,
                        &join(&p, "rank_correlation"),
                        IssueKind::Correlation,
                        format!(
                            "must be within [-1, 1] (a Spearman rank correlation), got {}",
                            num(r)
                        ),
                    );
                    None
                }
                None => {
                    iss.at(
                        rn,
                        &join(&p, "rank_correlation"),
                        IssueKind::WrongType,
                        format!("expected a number in [-1, 1], got {}", rn.show()),
                    );
                    None
                }
            },
        };
        let ins = match t.get("inputs") {
            None => {
                iss.at(item, &join(&p, "inputs"), IssueKind::Missing, "missing required field: inputs = [\"environment.usd_per_kwh\", \"options.NAME.pue\"]");
                None
            }
            Some(inn) => match &inn.v {
                Val::Array(a) if a.len() == 2 => {
                    let mut idx = Vec::new();
                    for (j, x) in a.iter().enumerate() {
                        let xp = format!("{p}.inputs[{j}]");
                        let Val::Str(s) = &x.v else {
                            iss.at(
                                x,
                                &xp,
                                IssueKind::WrongType,
                                format!("expected an input path string, got {}", x.show()),
                            );
                            continue;
                        };
                        match known.iter().find(|k| k.0 == *s) {
                            Some(k) => {
                                if !c.inputs.contains(s) && !c.index.contains(&k.1) {
                                    c.inputs.push(s.clone());
                                    c.index.push(k.1);
                                }
                                idx.push(c.index.iter().position(|v| *v == k.1).expect("pushed"));
                            }
                            None if failed
                                .iter()
                                .any(|f| s.starts_with(&format!("options.{f}."))) =>
                            {
                                // The option itself is invalid (already reported): skip.
                                ok = false;
                            }
                            None => {
                                let close = known
                                    .iter()
                                    .map(|k| (super::raw::edit_distance(s, &k.0), k.0.as_str()))
                                    .min_by_key(|x| x.0)
                                    .filter(|(d, k)| *d <= (k.len() / 4).max(2))
                                    .map(|(_, k)| format!("; did you mean `{k}`?"))
                                    .unwrap_or_default();
                                iss.at(x, &xp, IssueKind::Correlation, format!(
                                    "unknown input path {s:?}{close} (correlatable: environment.FIELD, options.NAME.FIELD, options.NAME.job.FIELD, options.NAME.failures.CLASS.rate_per_chip_day|infant_multiplier|infant_days; not per-event durations)"
                                ));
                            }
                        }
                    }
                    if idx.len() == 2 && idx[0] == idx[1] {
                        iss.at(
                            inn,
                            &join(&p, "inputs"),
                            IssueKind::Correlation,
                            "names the same input twice",
                        );
                        None
                    } else {
                        (idx.len() == 2).then(|| (idx[0], idx[1]))
                    }
                }
                _ => {
                    iss.at(
                        inn,
                        &join(&p, "inputs"),
                        IssueKind::WrongType,
                        "expected an array of exactly two input paths",
                    );
                    None
                }
            },
        };
        match (ins, rho) {
            (Some((a, b)), Some(r)) => {
                if let Some(prev) = pairs
                    .iter()
                    .find(|q| (q.0 == a && q.1 == b) || (q.0 == b && q.1 == a))
                {
                    if prev.2 != r {
                        iss.at(
                            item,
                            &p,
                            IssueKind::Conflict,
                            format!(
                                "repeats the pair of correlations (line {}) with a different value",
                                prev.3.line()
                            ),
                        );
                    }
                } else {
                    pairs.push((a, b, r, item));
                }
            }
            _ => ok = false,
        }
    }
    let n = c.inputs.len();
    if n > MAX_CORR {
        iss.at(
            cn,
            "correlations",
            IssueKind::TooMany,
            format!("at most {MAX_CORR} distinct correlated inputs, got {n}"),
        );
        return c;
    }
    c.rank = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for (a, b, r, _) in &pairs {
        c.rank[*a][*b] = *r;
        c.rank[*b][*a] = *r;
    }
    if ok && n > 0 && cholesky(&c.pearson()).is_none() {
        iss.in_file(origin, "correlations", IssueKind::Correlation, format!(
            "the rank correlations among {} are not jointly possible (the correlation matrix is not positive definite); weaken some of them",
            c.inputs.join(", ")
        ));
    }
    c
}
