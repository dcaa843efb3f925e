//! Aggregation of per-path outputs into run figures (MODEL.md section 5), mergeable exactly:
//! [`RunAggregate`] takes [`PathBlock`]s and other shards, [`RunAggregate::finish`] gives the
//! [`RunSummary`] that `export` writes. Paired option comparisons are computed per path, so
//! they use the common random numbers of MODEL.md section 4.
//!
//! Only figures with a meaning are reported: a metric whose value horizon + 1 means "never"
//! (payback) is summarised over the paths that reach it, with P(never) beside it
//! ([`never_past_horizon_metrics`]); a paired ratio a / b is withheld, with the reason, when either
//! option's values take both signs (NPVs that cross zero).

mod decomposition;
mod moments;
mod sketch;
mod summary;
mod timeseries;
pub(crate) use summary::quantile_of_sorted;
#[cfg(test)]
mod tests;

pub use decomposition::{DecompositionAggregate, DecompositionLine, MeanSe, NpvDecomposition};
pub use moments::Moments;
pub use sketch::{QuantileSketch, SKETCH_RELATIVE_ERROR};
pub use summary::{
    DEFAULT_KEEP_VALUES_LIMIT, HISTOGRAM_BINS, Histogram, MetricStats, MetricSummary, QUANTILES,
    QuantileMethod,
};
pub use timeseries::{TIMESERIES_KEEP_VALUES, Timeseries, TimeseriesAggregate, TimeseriesRow};

use std::ops::AddAssign;

use rayon::prelude::*;
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::engine::PathBlock;
use crate::model::outputs::{MetricInfo, N_OUT, idx, metrics_for};

/// Record indices of the metrics compared between every pair of options.
pub const PAIRED_METRICS: [usize; 10] = [
    idx::NPV_USD,
    idx::NPV_AFTER_TAX_USD,
    idx::LEVELIZED_USD_PER_EFFECTIVE_PFLOP_HOUR,
    idx::DISCOUNTED_PAYBACK_DAYS,
    idx::USD_PER_CHIP_HOUR,
    idx::USD_PER_EFFECTIVE_PFLOP_HOUR,
    idx::AVAILABILITY,
    idx::GOODPUT,
    idx::PAYBACK_DAYS,
    idx::REVENUE_USD,
];

/// Names of the metrics whose value `horizon_days + 1` means "never within the horizon" (the
/// metric table's `never_past_horizon` rows, `MetricInfo::never_past_horizon`): summarised
/// over the paths that reach them, with `n_never` / `p_never` beside ([`MetricStats`]).
pub fn never_past_horizon_metrics() -> impl Iterator<Item = &'static str> {
    crate::model::outputs::SCALAR_METRICS
        .iter()
        .filter(|m| m.never_past_horizon)
        .map(|m| m.name)
}

/// True when metric `name` uses horizon + 1 for "never" ([`never_past_horizon_metrics`]).
pub fn never_past_horizon(name: &str) -> bool {
    crate::model::outputs::metric_index(name)
        .is_some_and(|i| crate::model::outputs::SCALAR_METRICS[i].never_past_horizon)
}

/// Paired comparison of one metric between options a and b, accumulated per path.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairMetricSummary {
    higher_is_better: bool,
    /// a - b on paths where both are defined (and, for a "never" metric, both reach it).
    pub difference: MetricSummary,
    /// a / b on paths where both are defined, b != 0 (and both reach a "never" metric).
    pub ratio: MetricSummary,
    /// Paths where both are defined.
    pub n_compared: u64,
    /// Twice the number of paths where a is better (a tie counts 1, a win 2): exact integer.
    pub better_x2: u64,
    /// Values above this mean "never" (a "never" metric's horizon), else `None`.
    never_above: Option<f64>,
    /// Signs of a and b on the compared paths entering the difference: counts of `[a < 0,
    /// a > 0, b < 0, b > 0, all]`. A side with both signs makes the ratio meaningless.
    signs: [u64; 5],
}

impl PairMetricSummary {
    fn new(higher_is_better: bool, limit: usize) -> Self {
        PairMetricSummary {
            higher_is_better,
            difference: MetricSummary::new(higher_is_better, limit),
            ratio: MetricSummary::new(higher_is_better, limit),
            n_compared: 0,
            better_x2: 0,
            never_above: None,
            signs: [0; 5],
        }
    }

    /// The same comparison for a metric whose values above `threshold` mean "never": a path
    /// where a or b never reaches it still counts in P(a better) (never is the worse outcome,
    /// two nevers tie), but not in the difference and ratio, whose `n_never` counts it.
    fn with_never_above(mut self, threshold: f64) -> Self {
        self.never_above = Some(threshold);
        self.difference = self.difference.with_never_above(f64::INFINITY);
        self.ratio = self.ratio.with_never_above(f64::INFINITY);
        self
    }

    /// Adds one path's values of option a and option b (NaN = undefined).
    pub fn add(&mut self, a: f64, b: f64) {
        if a.is_finite() && b.is_finite() {
            self.n_compared += 1;
            if a == b {
                self.better_x2 += 1;
            } else if (a > b) == self.higher_is_better {
                self.better_x2 += 2;
            }
            if self.never_above.is_some_and(|h| a > h || b > h) {
                self.difference.add_never();
                self.ratio.add_never();
                return;
            }
            self.signs[4] += 1;
            for (i, x) in [a, b].into_iter().enumerate() {
                if x < 0.0 {
                    self.signs[2 * i] += 1;
                } else if x > 0.0 {
                    self.signs[2 * i + 1] += 1;
                }
            }
        }
        self.difference.add(a - b);
        self.ratio.add(if b != 0.0 { a / b } else { f64::NAN });
    }

    /// Why the ratio is not reported, when a or b takes both signs on the paths compared
    /// (`a` and `b` name the options): near b = 0 the ratio explodes and it flips sign with
    /// either side, so its figures have no meaning.
    pub fn ratio_undefined_reason(&self, a: &str, b: &str) -> Option<String> {
        let [an, ap, bn, bp, all] = self.signs;
        let n = all as f64;
        let crossing: Vec<String> = [(a, an, ap), (b, bn, bp)]
            .into_iter()
            .filter(|&(_, neg, pos)| neg > 0 && pos > 0)
            .map(|(name, neg, _)| {
                format!("{name} ({:.1}% of paths below 0)", 100.0 * neg as f64 / n)
            })
            .collect();
        (!crossing.is_empty()).then(|| {
            format!(
                "not reported: the values of {} cross zero, so a / b flips sign and explodes near b = 0; read the difference",
                crossing.join(" and ")
            )
        })
    }

    /// P(a better than b), ties counting half, with its standard error sqrt(p(1 - p) / n).
    pub fn p_a_better(&self) -> (Option<f64>, Option<f64>) {
        if self.n_compared == 0 {
            return (None, None);
        }
        let n = self.n_compared as f64;
        let p = self.better_x2 as f64 / (2.0 * n);
        (Some(p), Some((p * (1.0 - p) / n).max(0.0).sqrt()))
    }

    /// Finished figures, the options called `a` and `b` in the ratio's reason.
    pub fn finish(&self) -> PairStats {
        self.finish_named("a", "b")
    }

    /// Finished figures, with the options' names `a` and `b` for the ratio's reason. A
    /// withheld ratio has no figures: count 0, every path in `n_undefined` (or `n_never`).
    pub fn finish_named(&self, a: &str, b: &str) -> PairStats {
        let (p, se) = self.p_a_better();
        let reason = self.ratio_undefined_reason(a, b);
        let ratio = self.ratio.finish();
        let ratio = match reason {
            None => ratio,
            Some(_) => {
                let mut r =
                    MetricStats::empty(ratio.n_undefined + ratio.count, ratio.quantile_method);
                r.n_never = ratio.n_never;
                r.p_never = ratio.p_never;
                r
            }
        };
        PairStats {
            difference: self.difference.finish(),
            ratio,
            ratio_undefined_reason: reason,
            n_compared: self.n_compared,
            p_a_better: p,
            p_a_better_se: se,
        }
    }
}

impl AddAssign<&PairMetricSummary> for PairMetricSummary {
    /// Merges another shard.
    fn add_assign(&mut self, o: &PairMetricSummary) {
        self.difference += &o.difference;
        self.ratio += &o.ratio;
        self.n_compared += o.n_compared;
        self.better_x2 += o.better_x2;
        for (s, t) in self.signs.iter_mut().zip(o.signs) {
            *s += t;
        }
    }
}

/// All paired metrics of one ordered pair of options (a < b).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairAggregate {
    /// Index of option a.
    pub a: usize,
    /// Index of option b.
    pub b: usize,
    /// One per [`PAIRED_METRICS`] entry, same order.
    pub metrics: Vec<PairMetricSummary>,
    /// The NPV difference by cash-flow line.
    pub decomposition: DecompositionAggregate,
}

/// Mergeable aggregate of a whole run: one [`MetricSummary`] per (option, metric of
/// [`metrics_for`]`(n_years)`) and one [`PairAggregate`] per pair of options.
///
/// Feed blocks with [`add_block`](Self::add_block) or merge shards with `+=`; merging shards in
/// path order gives the same figures as one pass (identical counts, quantiles, histograms;
/// moments to rounding), and the kept exact values stay in path order.
///
/// It serializes (serde) to its state, so a shard of a run can store it and `fleetsim merge`
/// can add the shards up: the metric list is rebuilt from the horizon and the class names.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(into = "AggregateState", try_from = "AggregateState")]
pub struct RunAggregate {
    n_options: usize,
    n_years: usize,
    keep_values_limit: usize,
    classes: Vec<String>,
    metrics: Vec<(usize, MetricInfo, String)>,
    /// `summaries[o * metrics.len() + k]`.
    summaries: Vec<MetricSummary>,
    pairs: Vec<PairAggregate>,
    n_paths: u64,
    horizon_days: u32,
    /// The monthly bands, when the run records monthly series.
    timeseries: Option<TimeseriesAggregate>,
}

/// What a [`RunAggregate`] serializes to: its shape and its accumulators.
#[derive(Clone, Serialize, serde::Deserialize)]
struct AggregateState {
    n_options: usize,
    n_years: usize,
    keep_values_limit: usize,
    classes: Vec<String>,
    horizon_days: u32,
    n_paths: u64,
    summaries: Vec<MetricSummary>,
    pairs: Vec<PairAggregate>,
    timeseries: Option<TimeseriesAggregate>,
}

impl From<RunAggregate> for AggregateState {
    fn from(a: RunAggregate) -> Self {
        AggregateState {
            n_options: a.n_options,
            n_years: a.n_years,
            keep_values_limit: a.keep_values_limit,
            classes: a.classes,
            horizon_days: a.horizon_days,
            n_paths: a.n_paths,
            summaries: a.summaries,
            pairs: a.pairs,
            timeseries: a.timeseries,
        }
    }
}

impl TryFrom<AggregateState> for RunAggregate {
    type Error = String;
    fn try_from(s: AggregateState) -> Result<Self, String> {
        let mut a =
            RunAggregate::with_classes(s.n_options, s.n_years, &s.classes, s.keep_values_limit)
                .with_horizon_days(s.horizon_days);
        if s.summaries.len() != a.summaries.len() || s.pairs.len() != a.pairs.len() {
            return Err(format!(
                "the aggregate holds {} summaries and {} pairs; {} options over {} years need {} and {}",
                s.summaries.len(),
                s.pairs.len(),
                s.n_options,
                s.n_years,
                a.summaries.len(),
                a.pairs.len()
            ));
        }
        a.summaries = s.summaries;
        a.pairs = s.pairs;
        a.n_paths = s.n_paths;
        a.timeseries = s.timeseries;
        Ok(a)
    }
}

impl RunAggregate {
    /// Moves every summary's kept values into its sketch ([`MetricSummary::to_sketch`]): for a
    /// shard of a run whose paths exceed the keep limit, so its stored state stays small and
    /// the merged figures are those of one pass.
    pub fn to_sketches(&mut self) {
        self.summaries.iter_mut().for_each(MetricSummary::to_sketch);
        for p in &mut self.pairs {
            for m in &mut p.metrics {
                m.difference.to_sketch();
                m.ratio.to_sketch();
            }
        }
    }

    /// The most defined values a summary keeps for exact quantiles.
    pub fn keep_values_limit(&self) -> usize {
        self.keep_values_limit
    }

    /// An empty aggregate with [`DEFAULT_KEEP_VALUES_LIMIT`].
    pub fn new(n_options: usize, n_years: usize) -> Self {
        Self::with_keep_values_limit(n_options, n_years, DEFAULT_KEEP_VALUES_LIMIT)
    }

    /// An empty aggregate keeping at most `keep_values_limit` defined values per metric for
    /// exact quantiles (0 = sketch quantiles from the start).
    pub fn with_keep_values_limit(
        n_options: usize,
        n_years: usize,
        keep_values_limit: usize,
    ) -> Self {
        Self::with_classes(n_options, n_years, &[], keep_values_limit)
    }

    /// An empty aggregate that also summarises the per-class failures and lost node-hours of
    /// the failure-class slots named `classes` ([`crate::model::outputs::class_slot_names`]).
    /// Its horizon is `365 * n_years` days until [`with_horizon_days`](Self::with_horizon_days)
    /// says otherwise.
    pub fn with_classes(
        n_options: usize,
        n_years: usize,
        classes: &[String],
        keep_values_limit: usize,
    ) -> Self {
        let metrics = metrics_for(n_years, classes);
        let summaries = (0..n_options)
            .flat_map(|_| {
                metrics
                    .iter()
                    .map(|(_, mi, _)| MetricSummary::new(mi.higher_is_better, keep_values_limit))
            })
            .collect();
        let mut pairs = Vec::new();
        for a in 0..n_options {
            for b in a + 1..n_options {
                pairs.push(PairAggregate {
                    a,
                    b,
                    metrics: PAIRED_METRICS
                        .iter()
                        .map(|&m| {
                            PairMetricSummary::new(metrics[m].1.higher_is_better, keep_values_limit)
                        })
                        .collect(),
                    decomposition: DecompositionAggregate::new(),
                });
            }
        }
        RunAggregate {
            n_options,
            n_years,
            keep_values_limit,
            classes: classes.to_vec(),
            metrics,
            summaries,
            pairs,
            n_paths: 0,
            horizon_days: 0,
            timeseries: None,
        }
        .with_horizon_days(365 * n_years as u32)
    }

    /// The same aggregate for a horizon of `horizon_days` days (a scenario's `horizon_days`,
    /// which need not be whole years): a value of a [`never_past_horizon_metrics`] metric above it
    /// means "never". Call before adding paths.
    pub fn with_horizon_days(mut self, horizon_days: u32) -> Self {
        debug_assert_eq!(self.n_paths, 0, "horizon set after paths were added");
        self.horizon_days = horizon_days;
        let h = f64::from(horizon_days);
        let n_metrics = self.metrics.len();
        for (j, s) in self.summaries.iter_mut().enumerate() {
            if never_past_horizon(&self.metrics[j % n_metrics].2) {
                *s = s.clone().with_never_above(h);
            }
        }
        for pa in &mut self.pairs {
            for (pm, &m) in pa.metrics.iter_mut().zip(PAIRED_METRICS.iter()) {
                if never_past_horizon(&self.metrics[m].2) {
                    *pm = pm.clone().with_never_above(h);
                }
            }
        }
        self
    }

    /// The same aggregate that also bands the monthly series of `n_months` months (blocks
    /// must then carry them: the model's `run.n_months`); 0 = none. Call after
    /// [`with_horizon_days`](Self::with_horizon_days), before adding paths.
    pub fn with_timeseries(mut self, n_months: u32) -> Self {
        self.timeseries = (n_months > 0).then(|| {
            TimeseriesAggregate::new(self.n_options, n_months as usize, self.horizon_days)
        });
        self
    }

    /// The finished monthly bands (options named by `option_names`), if the run bands them.
    pub fn timeseries(&self, option_names: &[String]) -> Option<Timeseries> {
        self.timeseries.as_ref().map(|t| t.finish(option_names))
    }

    /// Horizon in days: values of a [`never_past_horizon_metrics`] metric above it mean "never".
    pub fn horizon_days(&self) -> u32 {
        self.horizon_days
    }

    /// Number of options.
    pub fn n_options(&self) -> usize {
        self.n_options
    }

    /// Number of years (yearly cash-flow metrics).
    pub fn n_years(&self) -> usize {
        self.n_years
    }

    /// Paths aggregated so far.
    pub fn n_paths(&self) -> u64 {
        self.n_paths
    }

    /// The metrics aggregated, as [`metrics_for`]`(n_years)` returns them.
    pub fn metrics(&self) -> &[(usize, MetricInfo, String)] {
        &self.metrics
    }

    /// The summary of option `option`, metric at record index `record_index` (e.g.
    /// `idx::NPV_USD`), for running checks such as `--target-se`.
    pub fn summary(&self, option: usize, record_index: usize) -> Option<&MetricSummary> {
        let k = self
            .metrics
            .iter()
            .position(|(i, _, _)| *i == record_index)?;
        (option < self.n_options).then(|| &self.summaries[option * self.metrics.len() + k])
    }

    /// The pair aggregates, ordered (0,1), (0,2), ..., (1,2), ...
    pub fn pairs(&self) -> &[PairAggregate] {
        &self.pairs
    }

    /// Adds every path of a block.
    ///
    /// # Panics
    /// If the block has a different number of options or a short `values` vector.
    pub fn add_block(&mut self, block: &PathBlock) {
        let n_opt = self.n_options;
        assert_eq!(
            block.n_options as usize, n_opt,
            "block has {} options, aggregate expects {n_opt}",
            block.n_options
        );
        let n_paths = block.n_paths as usize;
        assert!(
            block.values.len() >= n_paths * n_opt * N_OUT,
            "block values too short"
        );
        let n_metrics = self.metrics.len();
        let metrics = &self.metrics;
        let vals = &block.values;
        let at = |i: usize, o: usize, m: usize| vals[(i * n_opt + o) * N_OUT + m];
        self.summaries
            .par_iter_mut()
            .enumerate()
            .for_each(|(j, s)| {
                let (o, m) = (j / n_metrics, metrics[j % n_metrics].0);
                for i in 0..n_paths {
                    s.add(at(i, o, m));
                }
            });
        self.pairs.par_iter_mut().for_each(|pa| {
            for (pm, &m) in pa.metrics.iter_mut().zip(PAIRED_METRICS.iter()) {
                for i in 0..n_paths {
                    pm.add(at(i, pa.a, m), at(i, pa.b, m));
                }
            }
            for i in 0..n_paths {
                pa.decomposition
                    .add(block.record(i, pa.a), block.record(i, pa.b));
            }
        });
        if let Some(t) = self.timeseries.as_mut() {
            t.add_block(block);
        }
        self.n_paths += block.n_paths as u64;
    }

    /// The finished figures, keyed by `option_names` (missing names become `option_<i>`).
    pub fn finish(&self, option_names: &[String]) -> RunSummary {
        let name = |o: usize| {
            option_names
                .get(o)
                .cloned()
                .unwrap_or_else(|| format!("option_{o}"))
        };
        let n_metrics = self.metrics.len();
        let stats: Vec<MetricStats> = self
            .summaries
            .par_iter()
            .map(MetricSummary::finish)
            .collect();
        let options = (0..self.n_options)
            .map(|o| {
                let ms = self
                    .metrics
                    .iter()
                    .enumerate()
                    .map(|(k, (_, _, n))| (n.clone(), stats[o * n_metrics + k].clone()))
                    .collect();
                (name(o), NamedMap(ms))
            })
            .collect();
        let pairs = self
            .pairs
            .par_iter()
            .map(|pa| {
                let (a, b) = (name(pa.a), name(pa.b));
                let metrics = pa
                    .metrics
                    .iter()
                    .zip(PAIRED_METRICS.iter())
                    .map(|(pm, &m)| (self.metrics[m].2.clone(), pm.finish_named(&a, &b)))
                    .collect();
                (
                    format!("{a} vs {b}"),
                    PairSummary {
                        a,
                        b,
                        metrics: NamedMap(metrics),
                    },
                )
            })
            .collect();
        let metrics = self
            .metrics
            .iter()
            .map(|(_, mi, n)| {
                (
                    n.clone(),
                    MetricDoc {
                        unit: mi.unit,
                        higher_is_better: mi.higher_is_better,
                        may_be_undefined: mi.may_be_undefined,
                        description: mi.description,
                    },
                )
            })
            .collect();
        let npv_decomposition = self
            .pairs
            .iter()
            .map(|pa| {
                let (a, b) = (name(pa.a), name(pa.b));
                (format!("{a} vs {b}"), pa.decomposition.finish(&a, &b))
            })
            .collect();
        RunSummary {
            n_paths: self.n_paths,
            definitions: Definitions::CURRENT,
            metrics: NamedMap(metrics),
            options: NamedMap(options),
            pairs: NamedMap(pairs),
            npv_decomposition: NamedMap(npv_decomposition),
        }
    }
}

impl AddAssign<&RunAggregate> for RunAggregate {
    /// Merges a shard covering later paths (any order gives the same figures; path order keeps
    /// the exact values in path order).
    ///
    /// # Panics
    /// If the shards have different option or year counts.
    fn add_assign(&mut self, other: &RunAggregate) {
        assert_eq!(
            (self.n_options, self.n_years, self.horizon_days),
            (other.n_options, other.n_years, other.horizon_days),
            "merging aggregates of different runs"
        );
        self.summaries
            .par_iter_mut()
            .zip(other.summaries.par_iter())
            .for_each(|(a, b)| *a += b);
        for (pa, pb) in self.pairs.iter_mut().zip(&other.pairs) {
            for (a, b) in pa.metrics.iter_mut().zip(&pb.metrics) {
                *a += b;
            }
            pa.decomposition += &pb.decomposition;
        }
        match (self.timeseries.as_mut(), other.timeseries.as_ref()) {
            (Some(a), Some(b)) => *a += b,
            (None, None) => {}
            _ => panic!("merging aggregates with and without monthly bands"),
        }
        self.n_paths += other.n_paths;
    }
}

impl AddAssign<RunAggregate> for RunAggregate {
    /// Same as `+= &other`.
    fn add_assign(&mut self, other: RunAggregate) {
        *self += &other;
    }
}

/// An ordered list of `(name, value)` that serializes as a JSON object in list order (so
/// summary.json keeps metric order without relying on serde_json's map ordering).
#[derive(Clone, Debug, PartialEq)]
pub struct NamedMap<T>(pub Vec<(String, T)>);

impl<T> NamedMap<T> {
    /// The value named `name`.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// `(name, value)` in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Serialize> Serialize for NamedMap<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// What a metric is, repeated once in summary.json so readers need no other document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricDoc {
    /// Unit in words.
    pub unit: &'static str,
    /// Whether larger is better (decides CVaR5's tail and "a better than b").
    pub higher_is_better: bool,
    /// Whether a path may have no value (counted in `n_undefined`).
    pub may_be_undefined: bool,
    /// One-line meaning.
    pub description: &'static str,
}

/// Definitions of the figures, written into summary.json.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Definitions {
    /// How quantiles are defined.
    pub quantiles: &'static str,
    /// How the sketch approximates quantiles when values are not kept.
    pub sketch: &'static str,
    /// Relative error bound of sketch order statistics.
    pub sketch_relative_error: f64,
    /// CVaR5 definition.
    pub cvar5: &'static str,
    /// Standard deviation / error definition.
    pub sd: &'static str,
    /// Histogram definition.
    pub histogram: &'static str,
    /// Paired comparison definitions.
    pub pairs: &'static str,
    /// How metrics with a "never" value (payback) are summarised.
    pub never: &'static str,
    /// When a paired ratio is withheld.
    pub ratio: &'static str,
}

impl Definitions {
    /// The definitions this version implements.
    pub const CURRENT: Definitions = Definitions {
        quantiles: "type 7 (R default, numpy 'linear'): h = (n-1)p, Q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]) over the sorted defined values",
        sketch: "when a metric has more defined values than keep_values_limit, order statistics come from a log-linear histogram keyed by the top 16 bits of the value truncated to f32 (sign, exponent, 7 mantissa bits), bucket midpoint clamped to [min, max]; type 7 then interpolates between them",
        sketch_relative_error: SKETCH_RELATIVE_ERROR,
        cvar5: "mean of the worst ceil(n/20) defined values: lowest when higher is better, highest otherwise",
        sd: "sample standard deviation (divisor n-1); se = sd/sqrt(n)",
        histogram: "40 equal-width bins from P0.5 to P99.5, bins [lo, hi) with the last closed; underflow/overflow count values outside",
        pairs: "per path, for options a < b: difference a-b and ratio a/b (b != 0) over paths where both are defined (and, for a metric with a never value, both reach it: the others are the difference's n_never); p_a_better = P(a better than b) by the metric's direction over paths where both are defined, never counting as the worse outcome, ties (two nevers included) counting half, se = sqrt(p(1-p)/n)",
        never: "payback_days and discounted_payback_days are horizon_days + 1 on a path that never pays back within the horizon: such paths are counted in n_never and p_never = n_never / (count + n_never), and every other figure (count, mean, sd, quantiles, cvar5, histogram) is over the paths that pay back",
        ratio: "a paired ratio is withheld (count 0, every path in n_undefined, ratio_undefined_reason saying why) when a or b takes both signs on the compared paths, e.g. NPVs that cross zero: the ratio then flips sign and explodes near b = 0",
    };
}

/// Finished paired comparison of one metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairStats {
    /// Distribution of a - b (paths where either is undefined are `n_undefined`).
    pub difference: MetricStats,
    /// Distribution of a / b (also undefined where b == 0); no figures when
    /// `ratio_undefined_reason` is set.
    pub ratio: MetricStats,
    /// Why the ratio is withheld (a or b takes both signs, e.g. NPVs crossing zero), else
    /// `None`.
    pub ratio_undefined_reason: Option<String>,
    /// Paths where both values are defined.
    pub n_compared: u64,
    /// P(a better than b), ties counting half.
    pub p_a_better: Option<f64>,
    /// Its standard error sqrt(p(1-p)/n).
    pub p_a_better_se: Option<f64>,
}

/// Paired comparisons of two options.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairSummary {
    /// Name of option a.
    pub a: String,
    /// Name of option b.
    pub b: String,
    /// Per paired metric, in [`PAIRED_METRICS`] order.
    pub metrics: NamedMap<PairStats>,
}

/// Finished figures of a run, keyed by names: what summary.json, summary.csv and pairs.csv
/// hold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    /// Paths aggregated.
    pub n_paths: u64,
    /// Definitions of the figures.
    pub definitions: Definitions,
    /// Unit, direction and meaning of each metric, in record order.
    pub metrics: NamedMap<MetricDoc>,
    /// Per option name, per metric name.
    pub options: NamedMap<NamedMap<MetricStats>>,
    /// Per "a vs b", the paired comparisons.
    pub pairs: NamedMap<PairSummary>,
    /// Per "a vs b", the mean NPV difference by cash-flow line.
    pub npv_decomposition: NamedMap<NpvDecomposition>,
}
