//! Aggregation of one stream of per-path values (one option's metric, or one paired
//! difference/ratio): [`MetricSummary`] accumulates and merges, [`MetricStats`] holds the
//! finished figures with their definitions.

use std::ops::AddAssign;

use serde::Serialize;

use super::moments::Moments;
use super::sketch::QuantileSketch;

/// Default number of defined values per metric kept for exact quantiles (8 MB per metric);
/// above it a metric switches to sketch quantiles. A run keeps one such buffer per
/// (option, metric) and per paired difference/ratio, so the CLI may lower or raise it with the
/// memory it has.
pub const DEFAULT_KEEP_VALUES_LIMIT: usize = 1_000_000;

/// Equal-width bins of the plot histogram between P0.5 and P99.5.
pub const HISTOGRAM_BINS: usize = 40;

/// Probabilities of the reported quantiles, and their column names.
pub const QUANTILES: [(f64, &str); 9] = [
    (0.01, "p1"),
    (0.05, "p5"),
    (0.10, "p10"),
    (0.25, "p25"),
    (0.50, "p50"),
    (0.75, "p75"),
    (0.90, "p90"),
    (0.95, "p95"),
    (0.99, "p99"),
];

/// How the quantiles (and CVaR5 and histogram) of a [`MetricStats`] were computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuantileMethod {
    /// From all defined per-path values, sorted.
    Exact,
    /// From the [`QuantileSketch`]: each order statistic within
    /// [`super::SKETCH_RELATIVE_ERROR`] of the exact one.
    Sketch,
}

impl QuantileMethod {
    /// `"exact"` or `"sketch"`, as written in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            QuantileMethod::Exact => "exact",
            QuantileMethod::Sketch => "sketch",
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
enum Store {
    /// Defined values in the order added (path order when blocks arrive in path order).
    Exact(Vec<f64>),
    Sketch(QuantileSketch),
}

/// Mergeable aggregate of one stream of per-path values.
///
/// Non-finite values (NaN = undefined, and +-inf, which the engine already rejects) are
/// counted in `n_undefined` and excluded from every figure. For a metric with a "never" value
/// ([`with_never_above`](Self::with_never_above): a payback of horizon + 1 days), values above
/// the threshold are counted in `n_never` and likewise excluded, so the figures describe the
/// paths that do reach it and `p_never` says how many do not. Defined values feed [`Moments`], a
/// negative counter, and either a buffer of the values themselves (exact quantiles) or, once
/// more than `keep_values_limit` values are defined, a [`QuantileSketch`]. The switch depends
/// only on the total count, and the sketch only on the multiset of values, so merging shards in
/// any grouping yields identical counts, quantiles and histograms as one pass, and moments equal
/// to rounding.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricSummary {
    moments: Moments,
    n_undefined: u64,
    n_negative: u64,
    store: Store,
    keep_values_limit: usize,
    higher_is_better: bool,
    /// Values above this mean "never" (counted in `n_never`); `None`: the metric has no such
    /// value.
    never_above: Option<f64>,
    n_never: u64,
}

impl MetricSummary {
    /// An empty summary. `higher_is_better` decides which tail CVaR5 averages;
    /// `keep_values_limit` is the most defined values kept for exact quantiles.
    pub fn new(higher_is_better: bool, keep_values_limit: usize) -> Self {
        MetricSummary {
            moments: Moments::new(),
            n_undefined: 0,
            n_negative: 0,
            store: Store::Exact(Vec::new()),
            keep_values_limit,
            higher_is_better,
            never_above: None,
            n_never: 0,
        }
    }

    /// The same summary for a metric whose values above `threshold` mean "never" (a payback
    /// of horizon + 1 days: the path does not pay back within the horizon). Such values are
    /// counted in `n_never` and left out of every other figure. `f64::INFINITY` reports
    /// `n_never` without recognising any value (a paired difference, whose "never" paths the
    /// caller reports with [`add_never`](Self::add_never)).
    pub fn with_never_above(mut self, threshold: f64) -> Self {
        self.never_above = Some(threshold);
        self
    }

    /// Counts one path that never reaches the metric (see
    /// [`with_never_above`](Self::with_never_above)).
    pub fn add_never(&mut self) {
        self.n_never += 1;
    }

    /// Number of "never" values seen (0 for a metric without one).
    pub fn n_never(&self) -> u64 {
        self.n_never
    }

    /// Adds one per-path value; non-finite values count as undefined, values above the
    /// "never" threshold as never.
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            self.n_undefined += 1;
            return;
        }
        if self.never_above.is_some_and(|h| x > h) {
            self.n_never += 1;
            return;
        }
        let x = if x == 0.0 { 0.0 } else { x }; // -0 -> +0
        self.moments.add(x);
        if x < 0.0 {
            self.n_negative += 1;
        }
        match &mut self.store {
            Store::Exact(v) => {
                v.push(x);
                if v.len() > self.keep_values_limit {
                    self.switch_to_sketch();
                }
            }
            Store::Sketch(s) => s.add(x),
        }
    }

    fn switch_to_sketch(&mut self) {
        if let Store::Exact(v) = &self.store {
            self.store = Store::Sketch(QuantileSketch::from_values(v));
        }
    }

    /// Moves the kept values into the sketch now, as the summary would once it holds more than
    /// its limit: the sketch depends only on the multiset of values, so a shard of a run that
    /// will exceed the limit when merged can store its sketch instead of its values (far
    /// smaller) without changing the merged figures.
    pub fn to_sketch(&mut self) {
        self.switch_to_sketch();
    }

    /// Moments of the defined values (for convergence checks on the running standard error).
    pub fn moments(&self) -> &Moments {
        &self.moments
    }

    /// Number of undefined (non-finite) values seen.
    pub fn n_undefined(&self) -> u64 {
        self.n_undefined
    }

    /// Which method the quantiles would come from if finished now.
    pub fn quantile_method(&self) -> QuantileMethod {
        match self.store {
            Store::Exact(_) => QuantileMethod::Exact,
            Store::Sketch(_) => QuantileMethod::Sketch,
        }
    }

    /// The kept values in the order added, while the quantiles are exact.
    pub fn values(&self) -> Option<&[f64]> {
        match &self.store {
            Store::Exact(v) => Some(v),
            Store::Sketch(_) => None,
        }
    }

    /// The finished figures (see [`MetricStats`] for definitions). Never contains NaN or inf.
    pub fn finish(&self) -> MetricStats {
        let n = self.moments.count();
        let method = self.quantile_method();
        let mut st = MetricStats::empty(self.n_undefined, method);
        st.count = n;
        if self.never_above.is_some() {
            st.n_never = Some(self.n_never);
            let seen = n + self.n_never;
            st.p_never = (seen > 0).then(|| self.n_never as f64 / seen as f64);
        }
        if n == 0 {
            return st;
        }
        let (min, max) = (self.moments.min().unwrap(), self.moments.max().unwrap());
        let sorted = match &self.store {
            Store::Exact(v) => {
                let mut s = v.clone();
                s.sort_unstable_by(f64::total_cmp);
                Sorted::Exact(s)
            }
            Store::Sketch(s) => Sorted::Sketch { s, min, max },
        };
        let q = |p: f64| type7(n, p, |k| sorted.order_stat(k));

        // With the values kept, the moments come from them in sorted order, so they depend
        // only on the multiset of values: a run merged from shards in any grouping gives the
        // same bits as one pass. (The sketch keeps no values: its moments are the streaming
        // ones, merged to rounding.)
        let (mean, sd) = match &sorted {
            Sorted::Exact(s) => sorted_moments(s),
            Sorted::Sketch { .. } => (self.moments.mean(), self.moments.sd()),
        };
        st.mean = finite(mean);
        st.sd = finite(sd);
        st.se = finite(sd.map(|sd| sd / (n as f64).sqrt()));
        st.min = finite(Some(min));
        st.max = finite(Some(max));
        let qs: Vec<Option<f64>> = QUANTILES.iter().map(|&(p, _)| finite(Some(q(p)))).collect();
        [
            st.p1, st.p5, st.p10, st.p25, st.p50, st.p75, st.p90, st.p95, st.p99,
        ] = qs.try_into().unwrap();
        st.cvar5 = finite(Some(sorted.cvar5(n, self.higher_is_better)));
        st.p_negative = Some(self.n_negative as f64 / n as f64);
        let (lo, hi) = (q(0.005), q(0.995));
        st.histogram = (lo.is_finite() && hi.is_finite()).then(|| sorted.histogram(lo, hi));
        st
    }
}

impl AddAssign<&MetricSummary> for MetricSummary {
    /// Merges another shard (keep shards in path order to keep exact values in path order).
    fn add_assign(&mut self, other: &MetricSummary) {
        self.moments += &other.moments;
        self.n_undefined += other.n_undefined;
        self.n_negative += other.n_negative;
        debug_assert_eq!(
            self.never_above, other.never_above,
            "merging different metrics"
        );
        self.n_never += other.n_never;
        match (&mut self.store, &other.store) {
            (Store::Exact(a), Store::Exact(b)) => {
                a.extend_from_slice(b);
                if a.len() > self.keep_values_limit {
                    self.switch_to_sketch();
                }
            }
            (Store::Sketch(s), Store::Exact(b)) => b.iter().for_each(|&x| s.add(x)),
            (Store::Sketch(s), Store::Sketch(t)) => *s += t,
            (Store::Exact(a), Store::Sketch(t)) => {
                let mut s = QuantileSketch::from_values(a);
                s += t;
                self.store = Store::Sketch(s);
            }
        }
    }
}

impl AddAssign<MetricSummary> for MetricSummary {
    /// Same as `+= &other`.
    fn add_assign(&mut self, other: MetricSummary) {
        *self += &other;
    }
}

/// Sorted view used while finishing.
enum Sorted<'a> {
    Exact(Vec<f64>),
    Sketch {
        s: &'a QuantileSketch,
        min: f64,
        max: f64,
    },
}

impl Sorted<'_> {
    /// The k-th smallest value (0-based); sketch values are clamped to the exact [min, max].
    fn order_stat(&self, k: u64) -> f64 {
        match self {
            Sorted::Exact(v) => v[k as usize],
            Sorted::Sketch { s, min, max } => s.order_stat(k).unwrap_or(*max).clamp(*min, *max),
        }
    }

    /// Mean of the worst ceil(n / 20) values.
    fn cvar5(&self, n: u64, higher_is_better: bool) -> f64 {
        let k = n.div_ceil(20);
        match self {
            Sorted::Exact(v) => {
                let k = k as usize;
                let tail = if higher_is_better {
                    &v[..k]
                } else {
                    &v[v.len() - k..]
                };
                tail.iter().sum::<f64>() / k as f64
            }
            Sorted::Sketch { s, min, max } => {
                let mut left = k;
                let mut sum = 0.0;
                let mut take = |(v, c): (f64, u64)| {
                    let t = c.min(left);
                    sum += v.clamp(*min, *max) * t as f64;
                    left -= t;
                    left == 0
                };
                if higher_is_better {
                    for b in s.buckets() {
                        if take(b) {
                            break;
                        }
                    }
                } else {
                    for b in s.buckets().rev() {
                        if take(b) {
                            break;
                        }
                    }
                }
                sum / k as f64
            }
        }
    }

    fn histogram(&self, lo: f64, hi: f64) -> Histogram {
        let w = (hi - lo) / HISTOGRAM_BINS as f64;
        let edges: Vec<f64> = if hi > lo && w.is_finite() && w > 0.0 {
            (0..HISTOGRAM_BINS)
                .map(|i| lo + i as f64 * w)
                .chain(std::iter::once(hi))
                .collect()
        } else {
            vec![lo, hi]
        };
        let mut h = Histogram {
            counts: vec![0; edges.len() - 1],
            edges,
            underflow: 0,
            overflow: 0,
        };
        match self {
            Sorted::Exact(v) => v.iter().for_each(|&x| h.add(x, 1)),
            Sorted::Sketch { s, min, max } => {
                s.buckets().for_each(|(x, c)| h.add(x.clamp(*min, *max), c))
            }
        }
        h
    }
}

/// Mean and sample standard deviation (divisor n - 1; `None` below two values) of ascending
/// `sorted` values, both by compensated (Neumaier) sums in that order: a function of the
/// multiset alone, and as accurate as the streaming moments.
fn sorted_moments(sorted: &[f64]) -> (Option<f64>, Option<f64>) {
    let n = sorted.len();
    if n == 0 {
        return (None, None);
    }
    let mean = neumaier(sorted.iter().copied()) / n as f64;
    let sd = (n > 1).then(|| {
        let m2 = neumaier(sorted.iter().map(|&x| (x - mean) * (x - mean)));
        (m2 / (n - 1) as f64).max(0.0).sqrt()
    });
    (Some(mean), sd)
}

/// Sum with Neumaier's compensation (Kahan-Babuska): error independent of n to first order.
fn neumaier(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for x in xs {
        let t = s + x;
        c += if s.abs() >= x.abs() {
            (s - t) + x
        } else {
            (x - t) + s
        };
        s = t;
    }
    s + c
}

/// Type 7 quantile (Hyndman and Fan 1996; R's default, numpy's `linear`) of `n` sorted values
/// given by `x(k)`, 0-based: h = (n - 1) p, j = floor(h), Q = x(j) + (h - j)(x(j + 1) - x(j)).
/// The type-7 quantile `p` of ascending `sorted` values (not empty): the definition every
/// quantile fleetsim reports uses.
pub(crate) fn quantile_of_sorted(sorted: &[f64], p: f64) -> f64 {
    type7(sorted.len() as u64, p, |k| sorted[k as usize])
}

fn type7(n: u64, p: f64, x: impl Fn(u64) -> f64) -> f64 {
    let h = (n - 1) as f64 * p;
    let j = (h.floor() as u64).min(n - 1);
    let g = h - j as f64;
    if j + 1 >= n || g == 0.0 {
        return x(j);
    }
    let (a, b) = (x(j), x(j + 1));
    a + g * (b - a)
}

fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// Histogram for plots: `counts[i]` values in `[edges[i], edges[i + 1])`, the last bin closed
/// (`<= edges[last]`); values below `edges[0]` in `underflow`, above the last edge in
/// `overflow`. The edges are 40 equal-width bins from P0.5 to P99.5 (type 7), or the single bin
/// `[v, v]` when those coincide. In sketch mode each bucket's count goes to the bin of its
/// bucket value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Histogram {
    /// Bin edges, ascending, one more than `counts`.
    pub edges: Vec<f64>,
    /// Values per bin.
    pub counts: Vec<u64>,
    /// Values below the first edge.
    pub underflow: u64,
    /// Values above the last edge.
    pub overflow: u64,
}

impl Histogram {
    fn add(&mut self, x: f64, c: u64) {
        let last = *self.edges.last().unwrap();
        if x < self.edges[0] {
            self.underflow += c;
        } else if x > last {
            self.overflow += c;
        } else {
            let i = self.edges.partition_point(|&e| e <= x) - 1;
            let last_bin = self.counts.len() - 1;
            self.counts[i.min(last_bin)] += c;
        }
    }
}

/// Finished figures of one stream of per-path values. Every figure is `None` (JSON null, empty
/// CSV cell) when `count == 0`, and never NaN or infinite.
///
/// Definitions: `count` defined values, `n_undefined` undefined ones; `mean`; `sd` the sample
/// standard deviation (divisor n - 1, `None` for n = 1); `se = sd / sqrt(n)`; quantiles `pX`
/// type 7 (linear interpolation between order statistics: h = (n - 1) p, see R's
/// `quantile(type = 7)`); `cvar5` the mean of the worst ceil(n / 20) values (lowest when higher
/// is better, highest otherwise); `p_negative` the fraction of defined values < 0 (for NPV:
/// P(npv < 0)); `histogram` see [`Histogram`].
///
/// For a metric with a "never" value (`payback_days` and `discounted_payback_days`: horizon + 1
/// = never pays back) `n_never` counts the paths that never reach it and `p_never = n_never /
/// (count + n_never)`; every other figure (count, mean, quantiles, ...) is over the paths that
/// do. Both are `None` for metrics without a "never" value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricStats {
    /// Number of defined values.
    pub count: u64,
    /// Number of undefined values (excluded from all figures).
    pub n_undefined: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// Sample standard deviation (n - 1).
    pub sd: Option<f64>,
    /// Standard error of the mean, sd / sqrt(n).
    pub se: Option<f64>,
    /// Smallest value (exact in both methods).
    pub min: Option<f64>,
    /// 1st percentile.
    pub p1: Option<f64>,
    /// 5th percentile.
    pub p5: Option<f64>,
    /// 10th percentile.
    pub p10: Option<f64>,
    /// 25th percentile.
    pub p25: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 75th percentile.
    pub p75: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Largest value (exact in both methods).
    pub max: Option<f64>,
    /// Mean of the worst 5% (ceil(n / 20) values).
    pub cvar5: Option<f64>,
    /// Fraction of defined values below zero.
    pub p_negative: Option<f64>,
    /// Paths that never reach the metric within the horizon (payback: never pays back),
    /// excluded from the other figures; `None` for metrics without a "never" value.
    pub n_never: Option<u64>,
    /// `n_never / (count + n_never)`: P(never); `None` for metrics without a "never" value, or
    /// when no path has a value.
    pub p_never: Option<f64>,
    /// Whether quantiles, CVaR5 and histogram are exact or from the sketch.
    pub quantile_method: QuantileMethod,
    /// Histogram for plots.
    pub histogram: Option<Histogram>,
}

impl MetricStats {
    /// Figures of an empty stream: everything `None`.
    pub fn empty(n_undefined: u64, quantile_method: QuantileMethod) -> Self {
        MetricStats {
            count: 0,
            n_undefined,
            mean: None,
            sd: None,
            se: None,
            min: None,
            p1: None,
            p5: None,
            p10: None,
            p25: None,
            p50: None,
            p75: None,
            p90: None,
            p95: None,
            p99: None,
            max: None,
            cvar5: None,
            p_negative: None,
            n_never: None,
            p_never: None,
            quantile_method,
            histogram: None,
        }
    }

    /// The quantiles with their column names, in [`QUANTILES`] order.
    pub fn quantiles(&self) -> [(&'static str, Option<f64>); 9] {
        let v = [
            self.p1, self.p5, self.p10, self.p25, self.p50, self.p75, self.p90, self.p95, self.p99,
        ];
        std::array::from_fn(|i| (QUANTILES[i].1, v[i]))
    }
}
