//! TEMPORARY stand-ins for the `Dist` methods another branch is adding to `src/dist.rs`
//! (`check`, `mean`, `median`, `quantile`, `fraction_outside`, `to_spec`, `is_fixed`).
//!
//! The config module calls only the free functions below, so that when the real methods land
//! each body becomes a one-line forward (`d.check()`, `d.mean()`, ...) and this file can be
//! deleted. The maths here follows the `DistSpec` conventions of `model::params::kind`.
//! [`scale`] (multiply a distribution by a constant, used to turn per-chip rates into per-node
//! rates) is not a stand-in and stays.

use crate::dist::Dist;
use crate::model::params::{DistSpec, kind};

/// `Phi^-1(0.9)`: the lognormal's `p90` is `median * exp(sigma * Z90)`.
pub const Z90: f64 = 1.281_551_565_544_600_5;

/// Standard normal CDF (Cody-style erfc via a rational approximation, |error| < 1.2e-7).
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    // Numerical Recipes erfc (Chebyshev), fractional error < 1.2e-7.
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Standard normal density.
fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Inverse standard normal CDF (Acklam, relative error < 1.2e-9), `u` in (0, 1).
pub fn norm_inv(u: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let u = u.clamp(1e-300, 1.0 - 1e-16);
    let pl = 0.02425;
    if u < pl {
        let q = (-2.0 * u.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if u <= 1.0 - pl {
        let q = u - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - u).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

fn fin(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("{name} must be a finite number, got {v}"))
    }
}

/// Parameter check: `Err` names the bad parameter in one short phrase.
pub fn check(d: &Dist) -> Result<(), String> {
    match d {
        Dist::Fixed { value } => fin("value", *value),
        Dist::Uniform { lo, hi } => {
            fin("lo", *lo)?;
            fin("hi", *hi)?;
            if lo >= hi {
                return Err(format!("uniform needs lo < hi, got lo = {lo}, hi = {hi}"));
            }
            Ok(())
        }
        Dist::Normal { mean, sd, lo, hi } => {
            fin("mean", *mean)?;
            fin("sd", *sd)?;
            if *sd <= 0.0 {
                return Err(format!("normal needs sd > 0, got {sd}"));
            }
            let a = lo.unwrap_or(f64::NEG_INFINITY);
            let b = hi.unwrap_or(f64::INFINITY);
            if lo.is_some_and(|v| v.is_nan()) || hi.is_some_and(|v| v.is_nan()) {
                return Err("normal truncation bounds must be numbers".into());
            }
            if a >= b {
                return Err(format!(
                    "normal truncation needs lo < hi, got lo = {a}, hi = {b}"
                ));
            }
            if norm_cdf((b - mean) / sd) - norm_cdf((a - mean) / sd) < 1e-9 {
                return Err("normal truncation interval holds no probability".into());
            }
            Ok(())
        }
        Dist::Lognormal { median, p90 } => {
            fin("median", *median)?;
            fin("p90", *p90)?;
            if *median <= 0.0 {
                return Err(format!("lognormal needs median > 0, got {median}"));
            }
            if p90 <= median {
                return Err(format!(
                    "lognormal needs p90 > median, got p90 = {p90} below or equal to median = {median}"
                ));
            }
            Ok(())
        }
        Dist::Triangular { lo, mode, hi } | Dist::Pert { lo, mode, hi } => {
            fin("lo", *lo)?;
            fin("mode", *mode)?;
            fin("hi", *hi)?;
            if lo >= hi || mode < lo || mode > hi {
                return Err(format!(
                    "needs lo <= mode <= hi and lo < hi, got lo = {lo}, mode = {mode}, hi = {hi}"
                ));
            }
            Ok(())
        }
        Dist::Discrete { values, weights } => {
            if values.is_empty() {
                return Err("discrete needs at least one value".into());
            }
            if values.len() != weights.len() {
                return Err(format!(
                    "discrete needs as many weights as values, got {} values and {} weights",
                    values.len(),
                    weights.len()
                ));
            }
            for v in values {
                fin("every value", *v)?;
            }
            for w in weights {
                fin("every weight", *w)?;
                if *w < 0.0 {
                    return Err(format!("discrete weights must be >= 0, got {w}"));
                }
            }
            if weights.iter().sum::<f64>() <= 0.0 {
                return Err("discrete weights must not all be zero".into());
            }
            Ok(())
        }
    }
}

/// Grid of the PERT CDF on `[lo, hi]`: `(x, F(x))` pairs, F from 0 to 1.
fn pert_grid(lo: f64, mode: f64, hi: f64) -> Vec<(f64, f64)> {
    let a = 1.0 + 4.0 * (mode - lo) / (hi - lo);
    let b = 1.0 + 4.0 * (hi - mode) / (hi - lo);
    let n = 4096;
    let pdf = |t: f64| t.powf(a - 1.0) * (1.0 - t).powf(b - 1.0);
    let mut out = Vec::with_capacity(n + 1);
    let mut acc = 0.0;
    let mut prev = pdf(0.0);
    out.push((lo, 0.0));
    for i in 1..=n {
        let t = i as f64 / n as f64;
        let cur = pdf(t);
        acc += 0.5 * (prev + cur) / n as f64;
        prev = cur;
        out.push((lo + t * (hi - lo), acc));
    }
    let total = acc;
    for p in &mut out {
        p.1 /= total;
    }
    out
}

fn grid_cdf(g: &[(f64, f64)], x: f64) -> f64 {
    if x <= g[0].0 {
        return 0.0;
    }
    if x >= g[g.len() - 1].0 {
        return 1.0;
    }
    let i = g.partition_point(|p| p.0 <= x);
    let (x0, f0) = g[i - 1];
    let (x1, f1) = g[i];
    f0 + (f1 - f0) * (x - x0) / (x1 - x0)
}

fn grid_quantile(g: &[(f64, f64)], u: f64) -> f64 {
    let i = g.partition_point(|p| p.1 < u).clamp(1, g.len() - 1);
    let (x0, f0) = g[i - 1];
    let (x1, f1) = g[i];
    if f1 <= f0 {
        x0
    } else {
        x0 + (x1 - x0) * (u - f0) / (f1 - f0)
    }
}

/// Discrete values sorted ascending with their normalised weights.
fn sorted_discrete(values: &[f64], weights: &[f64]) -> Vec<(f64, f64)> {
    let total: f64 = weights.iter().sum();
    let mut v: Vec<(f64, f64)> = values
        .iter()
        .zip(weights)
        .map(|(x, w)| (*x, *w / total))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

/// CDF `P(X <= x)` of a checked distribution.
pub fn cdf(d: &Dist, x: f64) -> f64 {
    match d {
        Dist::Fixed { value } => f64::from(x >= *value),
        Dist::Uniform { lo, hi } => ((x - lo) / (hi - lo)).clamp(0.0, 1.0),
        Dist::Normal { mean, sd, lo, hi } => {
            let pa = lo.map_or(0.0, |a| norm_cdf((a - mean) / sd));
            let pb = hi.map_or(1.0, |b| norm_cdf((b - mean) / sd));
            ((norm_cdf((x - mean) / sd) - pa) / (pb - pa)).clamp(0.0, 1.0)
        }
        Dist::Lognormal { median, p90 } => {
            if x <= 0.0 {
                0.0
            } else {
                let s = (p90 / median).ln() / Z90;
                norm_cdf((x / median).ln() / s)
            }
        }
        Dist::Triangular { lo, mode, hi } => {
            if x <= *lo {
                0.0
            } else if x >= *hi {
                1.0
            } else if x <= *mode {
                (x - lo).powi(2) / ((hi - lo) * (mode - lo))
            } else {
                1.0 - (hi - x).powi(2) / ((hi - lo) * (hi - mode))
            }
        }
        Dist::Pert { lo, mode, hi } => grid_cdf(&pert_grid(*lo, *mode, *hi), x),
        Dist::Discrete { values, weights } => sorted_discrete(values, weights)
            .iter()
            .filter(|(v, _)| *v <= x)
            .map(|(_, w)| w)
            .sum(),
    }
}

/// Quantile at `u` in `[0, 1]` of a checked distribution.
pub fn quantile(d: &Dist, u: f64) -> f64 {
    let u = u.clamp(0.0, 1.0);
    match d {
        Dist::Fixed { value } => *value,
        Dist::Uniform { lo, hi } => lo + u * (hi - lo),
        Dist::Normal { mean, sd, lo, hi } => {
            let pa = lo.map_or(0.0, |a| norm_cdf((a - mean) / sd));
            let pb = hi.map_or(1.0, |b| norm_cdf((b - mean) / sd));
            let x = mean + sd * norm_inv(pa + u * (pb - pa));
            x.clamp(lo.unwrap_or(f64::MIN), hi.unwrap_or(f64::MAX))
        }
        Dist::Lognormal { median, p90 } => {
            let s = (p90 / median).ln() / Z90;
            median * (s * norm_inv(u)).exp()
        }
        Dist::Triangular { lo, mode, hi } => {
            let c = (mode - lo) / (hi - lo);
            if u < c {
                lo + (u * (hi - lo) * (mode - lo)).sqrt()
            } else {
                hi - ((1.0 - u) * (hi - lo) * (hi - mode)).sqrt()
            }
        }
        Dist::Pert { lo, mode, hi } => grid_quantile(&pert_grid(*lo, *mode, *hi), u),
        Dist::Discrete { values, weights } => {
            let v = sorted_discrete(values, weights);
            let mut acc = 0.0;
            for (x, w) in &v {
                acc += w;
                if acc >= u - 1e-12 {
                    return *x;
                }
            }
            v[v.len() - 1].0
        }
    }
}

/// Median of a checked distribution.
pub fn median(d: &Dist) -> f64 {
    match d {
        Dist::Lognormal { median, .. } => *median,
        _ => quantile(d, 0.5),
    }
}

/// Mean of a checked distribution.
pub fn mean(d: &Dist) -> f64 {
    match d {
        Dist::Fixed { value } => *value,
        Dist::Uniform { lo, hi } => 0.5 * (lo + hi),
        Dist::Normal { mean, sd, lo, hi } => {
            let a = lo.map_or(f64::NEG_INFINITY, |a| (a - mean) / sd);
            let b = hi.map_or(f64::INFINITY, |b| (b - mean) / sd);
            let z = norm_cdf(b) - norm_cdf(a);
            let pa = if a.is_finite() { norm_pdf(a) } else { 0.0 };
            let pb = if b.is_finite() { norm_pdf(b) } else { 0.0 };
            mean + sd * (pa - pb) / z
        }
        Dist::Lognormal { median, p90 } => {
            let s = (p90 / median).ln() / Z90;
            median * (0.5 * s * s).exp()
        }
        Dist::Triangular { lo, mode, hi } => (lo + mode + hi) / 3.0,
        Dist::Pert { lo, mode, hi } => (lo + 4.0 * mode + hi) / 6.0,
        Dist::Discrete { values, weights } => {
            let total: f64 = weights.iter().sum();
            values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total
        }
    }
}

/// Probability mass outside `[lo, hi]` (what clamping to the field's range would distort).
pub fn fraction_outside(d: &Dist, lo: f64, hi: f64) -> f64 {
    let below = match d {
        Dist::Fixed { value } => f64::from(*value < lo),
        Dist::Discrete { values, weights } => sorted_discrete(values, weights)
            .iter()
            .filter(|(v, _)| *v < lo)
            .map(|(_, w)| w)
            .sum(),
        _ => cdf(d, lo),
    };
    let above = 1.0 - cdf(d, hi);
    (below + above).clamp(0.0, 1.0)
}

/// True when the distribution has no spread.
pub fn is_fixed(d: &Dist) -> bool {
    match d {
        Dist::Fixed { .. } => true,
        Dist::Discrete { values, .. } => values.iter().all(|v| *v == values[0]),
        _ => false,
    }
}

/// Flattens a checked distribution into a [`DistSpec`] clamped to `[lo, hi]`, appending any
/// quantile or discrete table to `table`.
pub fn to_spec(d: &Dist, lo: f64, hi: f64, table: &mut Vec<f32>) -> DistSpec {
    let mut s = DistSpec {
        kind: kind::FIXED,
        aux: 0,
        p: [0.0; 4],
        lo: lo as f32,
        hi: hi as f32,
    };
    match d {
        Dist::Fixed { value } => s.p[0] = *value as f32,
        Dist::Uniform { lo: a, hi: b } => {
            s.kind = kind::UNIFORM;
            s.p = [*a as f32, *b as f32, 0.0, 0.0];
        }
        Dist::Normal {
            mean,
            sd,
            lo: a,
            hi: b,
        } => {
            s.kind = kind::NORMAL;
            let pa = a.map_or(0.0, |a| norm_cdf((a - mean) / sd));
            let pb = b.map_or(1.0, |b| norm_cdf((b - mean) / sd));
            s.p = [*mean as f32, *sd as f32, pa as f32, pb as f32];
        }
        Dist::Lognormal { median, p90 } => {
            s.kind = kind::LOGNORMAL;
            s.p = [
                median.ln() as f32,
                ((p90 / median).ln() / Z90) as f32,
                0.0,
                0.0,
            ];
        }
        Dist::Triangular { lo: a, mode, hi: b } => {
            s.kind = kind::TRIANGULAR;
            s.p = [
                *a as f32,
                *mode as f32,
                *b as f32,
                ((mode - a) / (b - a)) as f32,
            ];
        }
        Dist::Pert { lo: a, mode, hi: b } => {
            let g = pert_grid(*a, *mode, *b);
            let n = 256;
            s.kind = kind::TABLE;
            s.aux = table.len() as u32;
            s.p[0] = n as f32;
            for i in 0..=n {
                table.push(grid_quantile(&g, i as f64 / n as f64) as f32);
            }
        }
        Dist::Discrete { values, weights } => {
            let v = sorted_discrete(values, weights);
            s.kind = kind::DISCRETE;
            s.aux = table.len() as u32;
            s.p[0] = v.len() as f32;
            let mut acc = 0.0;
            for (i, (_, w)) in v.iter().enumerate() {
                acc += w;
                table.push(if i + 1 == v.len() { 1.0 } else { acc as f32 });
            }
            table.extend(v.iter().map(|(x, _)| *x as f32));
        }
    }
    s
}

/// The distribution of `k * X` (`k > 0`): used to turn a per-chip rate into a per-node rate.
pub fn scale(d: &Dist, k: f64) -> Dist {
    match d {
        Dist::Fixed { value } => Dist::Fixed { value: value * k },
        Dist::Uniform { lo, hi } => Dist::Uniform {
            lo: lo * k,
            hi: hi * k,
        },
        Dist::Normal { mean, sd, lo, hi } => Dist::Normal {
            mean: mean * k,
            sd: sd * k,
            lo: lo.map(|v| v * k),
            hi: hi.map(|v| v * k),
        },
        Dist::Lognormal { median, p90 } => Dist::Lognormal {
            median: median * k,
            p90: p90 * k,
        },
        Dist::Triangular { lo, mode, hi } => Dist::Triangular {
            lo: lo * k,
            mode: mode * k,
            hi: hi * k,
        },
        Dist::Pert { lo, mode, hi } => Dist::Pert {
            lo: lo * k,
            mode: mode * k,
            hi: hi * k,
        },
        Dist::Discrete { values, weights } => Dist::Discrete {
            values: values.iter().map(|v| v * k).collect(),
            weights: weights.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_helpers_roundtrip() {
        for u in [0.001, 0.1, 0.5, 0.9, 0.999] {
            assert!((norm_cdf(norm_inv(u)) - u).abs() < 1e-6);
        }
    }

    #[test]
    fn pert_mean_and_quantiles_agree() {
        let d = Dist::Pert {
            lo: 1.0,
            mode: 2.0,
            hi: 6.0,
        };
        let n = 20000;
        let m: f64 = (0..n)
            .map(|i| quantile(&d, (i as f64 + 0.5) / n as f64))
            .sum::<f64>()
            / n as f64;
        assert!((m - mean(&d)).abs() < 1e-3, "{m} vs {}", mean(&d));
        assert_eq!(fraction_outside(&d, 1.0, 6.0), 0.0);
    }

    #[test]
    fn lognormal_tail_mass() {
        let d = Dist::Lognormal {
            median: 1.0,
            p90: 2.0,
        };
        assert!((fraction_outside(&d, 0.0, 2.0) - 0.1).abs() < 1e-6);
    }
}
