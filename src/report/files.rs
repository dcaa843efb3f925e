//! Typed views of a result folder's files, as far as the report shows them: summary.json
//! (statistics, pairs, break-evens, the resolved scenario, the NPV decomposition), sweep.json,
//! tornado.json and spearman.json, spares.json. Unknown keys are ignored and optional ones
//! default, so a newer file with more keys still loads.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// A field whose `null` (or absence) means its default: the files write `null` for an
/// undefined value (a Latin hypercube's axis has no grid `values`).
fn nullable<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Summary statistics of one metric over paths (summary.json's per-metric object).
#[derive(Deserialize, Clone, Debug, Default)]
pub struct Stats {
    /// Paths with a defined value.
    #[serde(default, deserialize_with = "nullable")]
    pub count: u64,
    /// Paths where it is undefined.
    #[serde(default, deserialize_with = "nullable")]
    pub n_undefined: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// Standard error of the mean.
    pub se: Option<f64>,
    /// 5 % quantile.
    pub p5: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 95 % quantile.
    pub p95: Option<f64>,
    /// P(value < 0).
    pub p_negative: Option<f64>,
    /// Paths that never pay back (payback metrics).
    pub n_never: Option<u64>,
    /// Their share.
    pub p_never: Option<f64>,
    /// Histogram of the defined values.
    pub histogram: Option<Histogram>,
}

/// A histogram: `edges` has one more entry than `counts`.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct Histogram {
    /// Bin edges.
    pub edges: Vec<f64>,
    /// Paths per bin.
    pub counts: Vec<u64>,
    /// Paths below the first edge.
    #[serde(default, deserialize_with = "nullable")]
    pub underflow: u64,
    /// Paths above the last edge.
    #[serde(default, deserialize_with = "nullable")]
    pub overflow: u64,
}

/// A metric's definition (summary.json `metrics`).
#[derive(Deserialize, Clone, Debug, Default)]
pub struct MetricDef {
    /// Unit (`USD`, `days`, `fraction`, ...).
    #[serde(default, deserialize_with = "nullable")]
    pub unit: String,
    /// Whether higher is better.
    #[serde(default, deserialize_with = "nullable")]
    pub higher_is_better: bool,
    /// What it is.
    #[serde(default, deserialize_with = "nullable")]
    pub description: String,
}

/// One paired metric of a pair of options.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct PairMetric {
    /// Per-path difference a - b.
    #[serde(default, deserialize_with = "nullable")]
    pub difference: Stats,
    /// P(a better than b).
    pub p_a_better: Option<f64>,
    /// Its standard error.
    pub p_a_better_se: Option<f64>,
}

/// A pair of options compared path by path.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct Pair {
    /// First option.
    pub a: String,
    /// Second option.
    pub b: String,
    /// Paired metrics by name.
    #[serde(default, deserialize_with = "nullable")]
    pub metrics: BTreeMap<String, PairMetric>,
}

/// An option as the scenario resolved it.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct OptionInfo {
    /// Option name.
    pub name: String,
    /// Catalog entry.
    #[serde(default, deserialize_with = "nullable")]
    pub hardware: String,
    /// The entry's description.
    #[serde(default, deserialize_with = "nullable")]
    pub description: String,
    /// Chips.
    #[serde(default, deserialize_with = "nullable")]
    pub accelerators: u64,
    /// Chips per node.
    #[serde(default, deserialize_with = "nullable")]
    pub chips_per_node: u64,
    /// Hot spare nodes.
    #[serde(default, deserialize_with = "nullable")]
    pub spare_nodes: u64,
    /// Facility (`build`, `colo`, `rent`, ...).
    #[serde(default, deserialize_with = "nullable")]
    pub facility: String,
    /// Inputs: name -> distribution.
    #[serde(default, deserialize_with = "nullable")]
    pub inputs: BTreeMap<String, serde_json::Value>,
    /// Failure classes as resolved.
    #[serde(default, deserialize_with = "nullable")]
    pub classes: Vec<serde_json::Value>,
}

/// The shared environment as resolved.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct EnvInfo {
    /// Inputs: name -> distribution.
    #[serde(default, deserialize_with = "nullable")]
    pub inputs: BTreeMap<String, serde_json::Value>,
}

/// The scenario as resolved (summary.json `scenario`).
#[derive(Deserialize, Clone, Debug, Default)]
pub struct ScenarioInfo {
    /// Its name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// Its description.
    #[serde(default, deserialize_with = "nullable")]
    pub description: Option<String>,
    /// Horizon in years.
    #[serde(default, deserialize_with = "nullable")]
    pub horizon_years: u32,
    /// Where the scenario came from.
    #[serde(default, deserialize_with = "nullable")]
    pub origin: String,
    /// Where the hardware catalog came from.
    #[serde(default, deserialize_with = "nullable")]
    pub catalog: String,
    /// Shared inputs.
    #[serde(default, deserialize_with = "nullable")]
    pub environment: EnvInfo,
    /// Options, in scenario order.
    #[serde(default, deserialize_with = "nullable")]
    pub options: Vec<OptionInfo>,
}

/// How the fleets were sized.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct Sizing {
    /// `equal capital USD 500M`.
    #[serde(default, deserialize_with = "nullable")]
    pub label: String,
    /// What the budget counts.
    #[serde(default, deserialize_with = "nullable")]
    pub basis: String,
}

/// One break-even crossing of a run's headline break-evens.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct BreakEven {
    /// Option whose input is varied.
    pub option: String,
    /// Option it is compared with.
    pub other: String,
    /// The input.
    pub input: String,
    /// The input's unit.
    #[serde(default, deserialize_with = "nullable")]
    pub unit: String,
    /// The decision metric.
    pub metric: String,
    /// The input's central value in the scenario.
    pub scenario_value: Option<f64>,
    /// Break-even value (first crossing), if any.
    pub value: Option<f64>,
    /// Its uncertainty (one standard error, combined).
    pub uncertainty: Option<f64>,
    /// Grid of input values.
    #[serde(default, deserialize_with = "nullable")]
    pub grid: Vec<f64>,
    /// P50 of the per-path difference at each grid value.
    #[serde(default, deserialize_with = "nullable")]
    pub p50_difference: Vec<Option<f64>>,
    /// Its standard error.
    #[serde(default, deserialize_with = "nullable")]
    pub p50_difference_se: Vec<Option<f64>>,
    /// Option better throughout, when none crosses.
    pub better_throughout: Option<String>,
    /// Option the metric favours below the break-even.
    pub better_below: Option<String>,
    /// Option it favours above.
    pub better_above: Option<String>,
    /// A note on the result.
    pub note: Option<String>,
}

/// One component of an NPV decomposition.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct Component {
    /// Machine name (`revenue`).
    pub name: String,
    /// Label (`Revenue`).
    #[serde(default, deserialize_with = "nullable")]
    pub label: String,
    /// Whether it is a term of the NPV difference (else a memo line).
    #[serde(default, deserialize_with = "nullable")]
    pub in_npv: bool,
    /// Mean over paths of its contribution to NPV(a) - NPV(b).
    pub mean_usd: Option<f64>,
    /// Its standard error.
    pub se_usd: Option<f64>,
}

/// Mean and standard error in USD.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct MeanSe {
    /// Mean.
    pub mean_usd: Option<f64>,
    /// Standard error.
    pub se_usd: Option<f64>,
}

/// summary.json `npv_decomposition["a vs b"]`.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct Decomposition {
    /// First option.
    pub a: String,
    /// Second option.
    pub b: String,
    /// Paths.
    #[serde(default, deserialize_with = "nullable")]
    pub n_paths: u64,
    /// The NPV difference the components add up to.
    #[serde(default, deserialize_with = "nullable")]
    pub npv_difference: MeanSe,
    /// Components in order, then memo lines.
    #[serde(default, deserialize_with = "nullable")]
    pub components: Vec<Component>,
}

/// The parts of summary.json the report shows.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct Summary {
    /// Paths simulated.
    pub paths: u64,
    /// Seed.
    #[serde(default, deserialize_with = "nullable")]
    pub seed: u64,
    /// Horizon in days.
    pub horizon_days: u32,
    /// Scenario file.
    #[serde(default, deserialize_with = "nullable")]
    pub scenario_file: String,
    /// Engine.
    #[serde(default, deserialize_with = "nullable")]
    pub backend: String,
    /// fleetsim version.
    #[serde(default, deserialize_with = "nullable")]
    pub fleetsim_version: String,
    /// Sizing rule.
    pub sizing: Option<Sizing>,
    /// The resolved scenario.
    #[serde(default, deserialize_with = "nullable")]
    pub scenario: ScenarioInfo,
    /// Metric definitions.
    #[serde(default, deserialize_with = "nullable")]
    pub metrics: BTreeMap<String, MetricDef>,
    /// Per option, per metric statistics.
    pub options: BTreeMap<String, BTreeMap<String, Stats>>,
    /// Paired comparisons keyed `"a vs b"`.
    #[serde(default, deserialize_with = "nullable")]
    pub pairs: BTreeMap<String, Pair>,
    /// Headline break-evens.
    #[serde(default, deserialize_with = "nullable")]
    pub break_evens: Vec<BreakEven>,
    /// NPV difference decomposition keyed like `pairs` (absent in older folders).
    #[serde(default, deserialize_with = "nullable")]
    pub npv_decomposition: Option<BTreeMap<String, Decomposition>>,
}

impl Summary {
    /// Option names in scenario order (the scenario's list, else the keys).
    pub fn option_names(&self) -> Vec<String> {
        let from_scenario: Vec<String> = self
            .scenario
            .options
            .iter()
            .map(|o| o.name.clone())
            .filter(|n| self.options.contains_key(n))
            .collect();
        if from_scenario.len() == self.options.len() {
            from_scenario
        } else {
            self.options.keys().cloned().collect()
        }
    }

    /// The pairs in scenario order of their options (`a` first, then `b`), with their keys.
    pub fn pairs_in_order(&self, names: &[String]) -> Vec<(&String, &Pair)> {
        let at = |n: &str| names.iter().position(|x| x == n).unwrap_or(usize::MAX);
        let mut v: Vec<(&String, &Pair)> = self.pairs.iter().collect();
        v.sort_by_key(|(_, p)| (at(&p.a), at(&p.b)));
        v
    }

    /// Statistics of `metric` for option `o`.
    pub fn stats(&self, o: &str, metric: &str) -> Option<&Stats> {
        self.options.get(o)?.get(metric)
    }
}

/// sweep.json's axis.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct SweepAxis {
    /// Key path.
    pub key: String,
    /// Its column in sweep.csv.
    pub column: String,
    /// Unit.
    #[serde(default, deserialize_with = "nullable")]
    pub unit: String,
    /// Values swept (grid).
    #[serde(default, deserialize_with = "nullable")]
    pub values: Vec<f64>,
}

/// One 1-D slice of a sweep's break-even search.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct SweepSlice {
    /// Axis varied.
    pub axis: String,
    /// The other axes' values.
    #[serde(default, deserialize_with = "nullable")]
    pub others: BTreeMap<String, f64>,
    /// Axis values where the P50 difference changes sign.
    #[serde(default, deserialize_with = "nullable")]
    pub break_evens: Vec<f64>,
    /// Option favoured at the low end.
    pub better_at_lo: Option<String>,
    /// Option favoured at the high end.
    pub better_at_hi: Option<String>,
}

/// sweep.json's break-even section.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct SweepBreakEven {
    /// First option.
    pub a: String,
    /// Second option.
    pub b: String,
    /// Decision metric.
    pub metric: String,
    /// Slices.
    #[serde(default, deserialize_with = "nullable")]
    pub slices: Vec<SweepSlice>,
}

/// The parts of sweep.json the report shows.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct SweepJson {
    /// Axes.
    pub axes: Vec<SweepAxis>,
    /// Options in order.
    pub options: Vec<String>,
    /// Points.
    #[serde(default, deserialize_with = "nullable")]
    pub n_points: u64,
    /// Paths per point.
    #[serde(default, deserialize_with = "nullable")]
    pub paths_per_point: u64,
    /// Design (`{"design": "grid"}` or Latin hypercube).
    #[serde(default, deserialize_with = "nullable")]
    pub design: serde_json::Value,
    /// Break-even search.
    pub break_even: Option<SweepBreakEven>,
    /// Sweep file.
    #[serde(default, deserialize_with = "nullable")]
    pub sweep_file: String,
    /// Scenario (its name).
    #[serde(default, deserialize_with = "nullable")]
    pub scenario: ScenarioInfo,
}

/// A tornado row.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct TornadoRow {
    /// Rank by |swing|.
    pub rank: u64,
    /// Input key path.
    pub input: String,
    /// Its unit.
    #[serde(default, deserialize_with = "nullable")]
    pub input_unit: String,
    /// Input at P10.
    pub input_p10: Option<f64>,
    /// Input at P90.
    pub input_p90: Option<f64>,
    /// Mean metric with the input at P10.
    pub mean_at_p10: Option<f64>,
    /// ... at P90.
    pub mean_at_p90: Option<f64>,
    /// Difference.
    pub swing: Option<f64>,
}

/// tornado.json.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct Tornado {
    /// Metric.
    pub metric: String,
    /// Option.
    pub target: String,
    /// Mean with every input at its median.
    pub base_mean: Option<f64>,
    /// Paths per point.
    #[serde(default, deserialize_with = "nullable")]
    pub paths_per_point: u64,
    /// Scenario file.
    #[serde(default, deserialize_with = "nullable")]
    pub scenario_file: String,
    /// Rows by rank.
    pub rows: Vec<TornadoRow>,
}

/// A Spearman row.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct SpearmanRow {
    /// Option.
    pub output: String,
    /// Metric.
    pub metric: String,
    /// Rank by |rho| within (output, metric).
    pub rank: u64,
    /// Input key path.
    pub input: String,
    /// Rank correlation.
    pub rho: Option<f64>,
    /// Its standard error.
    pub rho_se: Option<f64>,
}

/// spearman.json.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct Spearman {
    /// Rows.
    pub rows: Vec<SpearmanRow>,
}

/// One spares candidate pool size.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct Candidate {
    /// Pool size.
    pub spares: u64,
    /// Availability at the stated confidence (its quantile over paths).
    pub availability_at_confidence: Option<f64>,
    /// P(path availability meets the goal).
    pub p_meeting: Option<f64>,
    /// Whether this pool meets the goal.
    #[serde(default, deserialize_with = "nullable")]
    pub meets: bool,
    /// Capex of the pool.
    pub spare_capex_usd: Option<f64>,
    /// Mean NPV change against no spares.
    pub npv_vs_no_spares_usd: Option<f64>,
}

/// One option's spares plan.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct SparesOption {
    /// Option.
    pub option: String,
    /// Pool sized.
    #[serde(default, deserialize_with = "nullable")]
    pub pool: String,
    /// Chosen pool size (None when no candidate meets the goal).
    pub chosen: Option<u64>,
    /// Candidates tried.
    #[serde(default, deserialize_with = "nullable")]
    pub candidates: Vec<Candidate>,
}

/// The spares goal.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct Goal {
    /// Availability target.
    pub availability: f64,
    /// Confidence.
    pub confidence: f64,
}

/// spares.json.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct SparesJson {
    /// The goal.
    pub goal: Goal,
    /// Pool sized.
    #[serde(default, deserialize_with = "nullable")]
    pub pool: String,
    /// Paths per candidate.
    #[serde(default, deserialize_with = "nullable")]
    pub paths_per_candidate: u64,
    /// Scenario file.
    #[serde(default, deserialize_with = "nullable")]
    pub scenario_file: String,
    /// Options planned.
    pub options: Vec<SparesOption>,
}
