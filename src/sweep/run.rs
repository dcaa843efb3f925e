//! Running a [`Plan`]: every point's paths `0..paths` through the generic points driver (so
//! the GPU engine may pack points into one dispatch, with CPU fallback), one [`RunAggregate`]
//! per point in flight, finished into table cells as soon as the point's last path arrives.

use std::collections::HashMap;

use super::plan::Plan;
use super::table::{Cell, value_cells};
use crate::engine::{Engine, EngineError, FallbackEvent, PathBlock, Sticky};
use crate::model::outputs::{SCALAR_METRICS, metric_index};
use crate::stats::RunAggregate;

/// The results of one point (serde: a sweep shard stores its points' results for the merge).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PointResult {
    /// The value cells of every option's row (see [`super::table::value_columns`]).
    pub rows: Vec<Vec<Cell>>,
    /// P50 of the decision metric per option.
    pub p50: Vec<Option<f64>>,
    /// P50 of the paired difference a - b of the decision metric (the compared pair).
    pub diff_p50: Option<f64>,
    /// P(a better than b) on the decision metric.
    pub p_a_better: Option<f64>,
    /// Quartiles of the paired difference a - b of every paired metric (for the break-even
    /// headlines of `run`; not stored by a sweep shard, whose output does not use them)
    /// ([`PAIRED_METRICS`](crate::stats::PAIRED_METRICS) order), for break-evens on several
    /// metrics from one run and their standard errors; empty when a == b.
    #[serde(skip)]
    pub paired: Vec<PairedQuartiles>,
}

/// P25, P50 and P75 of the per-path difference a - b of one paired metric at one point, and
/// the number of paths where both are defined.
#[derive(Clone, Debug, PartialEq)]
pub struct PairedQuartiles {
    /// Metric name.
    pub metric: &'static str,
    /// Paths where both options' values are defined.
    pub n: u64,
    /// 25th percentile of a - b.
    pub p25: Option<f64>,
    /// Median of a - b.
    pub p50: Option<f64>,
    /// 75th percentile of a - b.
    pub p75: Option<f64>,
}

/// Points built and run at a time: bounds memory (a point's flattened model is ~130 KB on the
/// default scenario) and equals the GPU engine's largest packed group, so packing is unchanged.
pub const POINTS_PER_BLOCK: usize = 1024;

/// Runs the points `points` of `plan` (all of them: `0..plan.n_points()`; a shard: its range)
/// on `primary` (with `fallback` taking over a failed call, if given, and then running every
/// later point); `progress` gets the (point, path) pairs done. Returns the point results in
/// point order and the fallback event, if any. Points are built and run [`POINTS_PER_BLOCK`]
/// at a time; results do not depend on it (every point runs paths `0..paths` with the plan's
/// seed).
pub fn run(
    plan: &Plan,
    points: std::ops::Range<usize>,
    primary: &dyn Engine,
    fallback: Option<&dyn Engine>,
    mut progress: impl FnMut(u64),
    on_fallback: impl FnOnce(&FallbackEvent),
) -> Result<(Vec<PointResult>, Option<FallbackEvent>), EngineError> {
    let n_opt = plan.option_names.len();
    let n_years = plan.base.horizon_years as usize;
    let horizon_days = plan.base.horizon_days();
    let paths = plan.paths as u64;
    let first = points.start;
    let n_points = points.end.min(plan.n_points());
    let mut live: HashMap<usize, RunAggregate> = HashMap::new();
    let mut done: Vec<Option<PointResult>> = vec![None; n_points.saturating_sub(first)];
    let mut engines = Sticky::new(primary, fallback);
    let mut event: Option<FallbackEvent> = None;
    let mut on_fallback = Some(on_fallback);
    for start in (first..n_points).step_by(POINTS_PER_BLOCK) {
        let end = (start + POINTS_PER_BLOCK).min(n_points);
        let models = plan.models(start..end);
        let before = (start - first) as u64 * paths;
        let prog = |d: u64| progress(before + d);
        let sink = |p: usize, block: &PathBlock| {
            let p = start + p;
            let agg = live.entry(p).or_insert_with(|| {
                RunAggregate::new(n_opt, n_years).with_horizon_days(horizon_days)
            });
            agg.add_block(block);
            if agg.n_paths() >= paths {
                let agg = live.remove(&p).expect("present");
                done[p - first] = Some(finish(plan, &agg));
            }
        };
        let in_block = |e: &FallbackEvent| {
            let mut e = e.clone();
            e.reason
                .push_str(&format!(" of sweep points {start}..{end}"));
            e
        };
        engines.run_points(&models, plan.paths, sink, prog, |e| {
            if let Some(f) = on_fallback.take() {
                f(&in_block(e))
            }
        })?;
        if event.is_none() {
            event = engines.event().map(in_block);
        }
    }
    let results = done
        .into_iter()
        .enumerate()
        .map(|(p, r)| {
            r.ok_or_else(|| {
                EngineError::Bug(format!(
                    "point {} received fewer paths than asked",
                    p + first
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((results, event))
}

fn finish(plan: &Plan, agg: &RunAggregate) -> PointResult {
    let s = agg.finish(&plan.option_names);
    let metric = plan.spec.metric.as_str();
    let (a, b) = plan.pair;
    let p50 = plan
        .option_names
        .iter()
        .map(|o| {
            s.options
                .get(o)
                .and_then(|m| m.get(metric))
                .and_then(|st| st.p50)
        })
        .collect();
    let paired = paired_quartiles(&s, &plan.option_names, plan.pair);
    let (diff_p50, p_a_better) = if a == b {
        (None, None)
    } else {
        // Pairs are stored for (lower index, higher index); a reversed pair negates the
        // difference (type-7 medians are symmetric) and complements P(a better).
        let (lo, hi) = (a.min(b), a.max(b));
        let key = format!("{} vs {}", plan.option_names[lo], plan.option_names[hi]);
        let ps = s.pairs.get(&key).and_then(|p| p.metrics.get(metric));
        let d = ps.and_then(|p| p.difference.p50);
        let pb = ps.and_then(|p| p.p_a_better);
        if a < b {
            (d, pb)
        } else {
            (d.map(|x| -x), pb.map(|x| 1.0 - x))
        }
    };
    PointResult {
        rows: value_cells(&s, &plan.option_names),
        p50,
        diff_p50,
        p_a_better,
        paired,
    }
}

/// The quartiles of a - b of every paired metric of `s` for the pair `(a, b)` of `names`.
/// Pairs are stored for (lower index, higher index); a reversed pair negates the difference,
/// which swaps and negates the quartiles (type-7 quantiles of -x are minus those of x at 1 - p).
fn paired_quartiles(
    s: &crate::stats::RunSummary,
    names: &[String],
    (a, b): (usize, usize),
) -> Vec<PairedQuartiles> {
    if a == b {
        return Vec::new();
    }
    let (lo, hi) = (a.min(b), a.max(b));
    let key = format!("{} vs {}", names[lo], names[hi]);
    let Some(pair) = s.pairs.get(&key) else {
        return Vec::new();
    };
    let neg = |x: Option<f64>| x.map(|v| -v);
    crate::stats::PAIRED_METRICS
        .iter()
        .filter_map(|&m| {
            let name = SCALAR_METRICS[m].name;
            let d = &pair.metrics.get(name)?.difference;
            let (p25, p50, p75) = if a < b {
                (d.p25, d.p50, d.p75)
            } else {
                (neg(d.p75), neg(d.p50), neg(d.p25))
            };
            Some(PairedQuartiles {
                metric: name,
                n: d.count,
                p25,
                p50,
                p75,
            })
        })
        .collect()
}

/// Whether larger values of the decision metric are better.
pub fn higher_is_better(metric: &str) -> bool {
    metric_index(metric).is_none_or(|i| SCALAR_METRICS[i].higher_is_better)
}
