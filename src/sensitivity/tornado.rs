//! The tornado: each uncertain input at its P10 and at its P90 with every other uncertain
//! input at its median, the chosen metric's mean at both, and the swing between them, ranked
//! by its size. Both points of an input run the same paths (common random numbers), so the
//! swing's standard error comes from the per-path differences.

use serde::Serialize;

use super::inputs::UncertainInput;
use crate::stats::Moments;

/// Probability of the low end of a tornado bar.
pub const LOW_Q: f64 = 0.10;
/// Probability of the high end of a tornado bar.
pub const HIGH_Q: f64 = 0.90;

/// One bar of the tornado.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TornadoRow {
    /// 1 = largest |swing|.
    pub rank: usize,
    /// Key path of the input.
    pub input: String,
    /// Its unit.
    pub input_unit: &'static str,
    /// The input's P10 (analytic quantile of its distribution).
    pub input_p10: f64,
    /// The input's P90.
    pub input_p90: f64,
    /// Mean of the metric with the input at P10 (others at their medians).
    pub mean_at_p10: Option<f64>,
    /// Mean of the metric with the input at P90.
    pub mean_at_p90: Option<f64>,
    /// `mean_at_p90 - mean_at_p10`.
    pub swing: Option<f64>,
    /// Standard error of the swing from the per-path differences (common random numbers).
    pub swing_se: Option<f64>,
}

/// A finished tornado.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tornado {
    /// Mean of the metric with every uncertain input at its median.
    pub base_mean: Option<f64>,
    /// Its standard error (the noise that remains: demand, failures, outages).
    pub base_se: Option<f64>,
    /// Bars, largest |swing| first (ties by input name).
    pub rows: Vec<TornadoRow>,
}

/// Mean of the finite values.
fn mean(v: &[f64]) -> (Option<f64>, Option<f64>) {
    let mut m = Moments::new();
    v.iter().filter(|x| x.is_finite()).for_each(|x| m.add(*x));
    (m.mean(), m.se())
}

/// Builds the tornado from the metric's per-path values at the all-median point (`base`) and
/// at each input's P10 / P90 points (`low[k]`, `high[k]`, same paths in the same order).
pub fn tornado(
    inputs: &[UncertainInput],
    base: &[f64],
    low: &[Vec<f64>],
    high: &[Vec<f64>],
) -> Tornado {
    let (base_mean, base_se) = mean(base);
    let mut rows: Vec<TornadoRow> = inputs
        .iter()
        .zip(low.iter().zip(high))
        .map(|(inp, (lo, hi))| {
            let mut d = Moments::new();
            for (a, b) in lo.iter().zip(hi) {
                if a.is_finite() && b.is_finite() {
                    d.add(b - a);
                }
            }
            let (mean_at_p10, _) = mean(lo);
            let (mean_at_p90, _) = mean(hi);
            TornadoRow {
                rank: 0,
                input: inp.key.clone(),
                input_unit: inp.unit,
                input_p10: inp.dist.quantile(LOW_Q),
                input_p90: inp.dist.quantile(HIGH_Q),
                mean_at_p10,
                mean_at_p90,
                swing: match (mean_at_p10, mean_at_p90) {
                    (Some(a), Some(b)) => Some(b - a),
                    _ => None,
                },
                swing_se: d.se(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let s = |r: &TornadoRow| r.swing.map_or(-1.0, f64::abs);
        s(b).total_cmp(&s(a)).then_with(|| a.input.cmp(&b.input))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    Tornado {
        base_mean,
        base_se,
        rows,
    }
}
