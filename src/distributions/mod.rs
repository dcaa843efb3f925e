//! Host-side distributions as written in configs (MODEL.md section 1): parameter checks,
//! analytic moments and quantiles (here), flattening into the `DistSpec` the engines sample
//! (`flatten.rs`), and the special functions behind them (`special.rs`).

mod flatten;
mod special;

use crate::model::sample::{MAX_DISCRETE, ppnd16};
#[cfg(test)]
pub(crate) use special::ln_gamma;
pub use special::phi;
use special::{beta_cdf, beta_quantile, pert_shape, std_normal_mass, std_normal_pdf};

/// `Phi^-1(0.9)`: a lognormal's `ln(p90 / median) / Z90` is its log-scale sd.
pub const Z90: f64 = 1.281_551_565_544_600_5;
/// Intervals of the [`crate::model::params::kind::TABLE`] a PERT is flattened into: 257 values, the quantiles at
/// `i / 256` (linear interpolation in between).
pub const PERT_TABLE_INTERVALS: usize = 256;

/// Intervals of the quantile table an event distribution (repair, RMA, outage duration) is
/// flattened into: sampled once per event, it must be cheap (a lookup, not a transcendental).
pub const EVENT_TABLE_INTERVALS: usize = 1024;
/// Least mass a normal's truncation interval must hold (of the untruncated normal).
pub const MIN_TRUNCATED_MASS: f64 = 1e-6;

/// A config-level distribution of one numeric input.
///
/// Deserialised from a table tagged by `dist` (`{ dist = "lognormal", median = 3, p90 = 8 }`);
/// unknown keys are rejected so a misspelt parameter is an error, not a silent default.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum Dist {
    /// A known value.
    Fixed {
        /// The value.
        value: f64,
    },
    /// Uniform on `[lo, hi]`.
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Normal, optionally truncated to `[lo, hi]`.
    Normal {
        /// Mean before truncation.
        mean: f64,
        /// Standard deviation before truncation.
        sd: f64,
        /// Optional lower truncation bound.
        lo: Option<f64>,
        /// Optional upper truncation bound.
        hi: Option<f64>,
    },
    /// Lognormal given by what planners know: the median and the 90th percentile.
    Lognormal {
        /// Median (50th percentile), > 0.
        median: f64,
        /// 90th percentile, > median.
        p90: f64,
    },
    /// Triangular on `[lo, hi]` with mode `mode`.
    Triangular {
        /// Minimum.
        lo: f64,
        /// Most likely value.
        mode: f64,
        /// Maximum.
        hi: f64,
    },
    /// PERT (scaled Beta with shape 4) on `[lo, hi]` with mode `mode`.
    Pert {
        /// Minimum.
        lo: f64,
        /// Most likely value.
        mode: f64,
        /// Maximum.
        hi: f64,
    },
    /// Discrete values with weights (normalised on flattening).
    Discrete {
        /// Possible values.
        values: Vec<f64>,
        /// Their weights, >= 0, not all zero.
        weights: Vec<f64>,
    },
}

/// Formats a parameter check failure.
fn finite(name: &str, x: f64) -> Result<(), String> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(format!("{name} ({x}) must be finite"))
    }
}

impl Dist {
    /// Checks the parameters, returning a message that names the offending parameter and the
    /// allowed range. [`Dist::to_spec`], [`Dist::mean`] and the other methods assume it passed.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Dist::Fixed { value } => finite("value", *value),
            Dist::Uniform { lo, hi } => {
                finite("lo", *lo)?;
                finite("hi", *hi)?;
                if lo > hi {
                    return Err(format!("lo ({lo}) must be <= hi ({hi})"));
                }
                Ok(())
            }
            Dist::Normal { mean, sd, lo, hi } => {
                finite("mean", *mean)?;
                if !(sd.is_finite() && *sd >= 0.0) {
                    return Err(format!("sd ({sd}) must be >= 0 and finite"));
                }
                if let Some(l) = lo {
                    finite("lo", *l)?;
                }
                if let Some(h) = hi {
                    finite("hi", *h)?;
                }
                if let (Some(l), Some(h)) = (lo, hi)
                    && l >= h
                {
                    return Err(format!("lo ({l}) must be less than hi ({h})"));
                }
                if *sd == 0.0 {
                    if lo.is_some_and(|l| *mean < l) || hi.is_some_and(|h| *mean > h) {
                        return Err(format!("mean ({mean}) must lie in [lo, hi] when sd is 0"));
                    }
                    return Ok(());
                }
                let (a, b) = self.normal_bounds();
                let mass = std_normal_mass(a, b);
                if mass < MIN_TRUNCATED_MASS {
                    return Err(format!(
                        "truncation [lo, hi] holds only {mass:.3e} of the normal's mass \
                         (mean {mean}, sd {sd}); at least {MIN_TRUNCATED_MASS:e} required"
                    ));
                }
                Ok(())
            }
            Dist::Lognormal { median, p90 } => {
                if !(median.is_finite() && *median > 0.0) {
                    return Err(format!("median ({median}) must be > 0 and finite"));
                }
                finite("p90", *p90)?;
                if p90 <= median {
                    return Err(format!(
                        "p90 ({p90}) must be greater than median ({median})"
                    ));
                }
                Ok(())
            }
            Dist::Triangular { lo, mode, hi } | Dist::Pert { lo, mode, hi } => {
                finite("lo", *lo)?;
                finite("mode", *mode)?;
                finite("hi", *hi)?;
                if !(lo <= mode && mode <= hi) {
                    return Err(format!(
                        "lo <= mode <= hi required (lo {lo}, mode {mode}, hi {hi})"
                    ));
                }
                Ok(())
            }
            Dist::Discrete { values, weights } => {
                if values.len() != weights.len() || values.is_empty() || values.len() > MAX_DISCRETE
                {
                    return Err(format!(
                        "values and weights must have the same length (1..={MAX_DISCRETE}): \
                         got {} values and {} weights",
                        values.len(),
                        weights.len()
                    ));
                }
                if let Some(v) = values.iter().find(|v| !v.is_finite()) {
                    return Err(format!("values must be finite (got {v})"));
                }
                let ok = weights.iter().all(|w| w.is_finite() && *w >= 0.0)
                    && weights.iter().any(|w| *w > 0.0);
                if !ok {
                    return Err(format!(
                        "weights must be >= 0, finite and not all zero (got {weights:?})"
                    ));
                }
                Ok(())
            }
        }
    }

    /// The value of a distribution without uncertainty (`Fixed`, or degenerate: a uniform,
    /// triangular or PERT with `lo == hi`, a normal with `sd == 0`, a discrete whose
    /// positively weighted values are all equal); `None` otherwise.
    pub fn fixed_value(&self) -> Option<f64> {
        match self {
            Dist::Fixed { value } => Some(*value),
            Dist::Uniform { lo, hi } if lo == hi => Some(*lo),
            Dist::Normal { mean, sd, .. } if *sd == 0.0 => Some(*mean),
            Dist::Triangular { lo, hi, .. } | Dist::Pert { lo, hi, .. } if lo == hi => Some(*lo),
            Dist::Discrete { .. } => {
                let pairs = self.discrete_pairs();
                let first = pairs.first()?.0;
                pairs.iter().all(|p| p.0 == first).then_some(first)
            }
            _ => None,
        }
    }

    /// True when the distribution has no uncertainty (see [`Dist::fixed_value`]); such inputs
    /// are flattened to [`crate::model::params::kind::FIXED`] and need no draw-dependent work.
    pub fn is_fixed(&self) -> bool {
        self.fixed_value().is_some()
    }

    /// The analytic mean (truncation honoured; PERT `(lo + 4 mode + hi) / 6`; lognormal
    /// `exp(mu + s^2 / 2)`).
    pub fn mean(&self) -> f64 {
        if let Some(v) = self.fixed_value() {
            return v;
        }
        match self {
            Dist::Uniform { lo, hi } => 0.5 * (lo + hi),
            Dist::Normal { mean, sd, .. } => {
                let (a, b) = self.normal_bounds();
                mean + sd * (std_normal_pdf(a) - std_normal_pdf(b)) / std_normal_mass(a, b)
            }
            Dist::Lognormal { median, p90 } => {
                let s = (p90 / median).ln() / Z90;
                median * (0.5 * s * s).exp()
            }
            Dist::Triangular { lo, mode, hi } => (lo + mode + hi) / 3.0,
            Dist::Pert { lo, mode, hi } => (lo + 4.0 * mode + hi) / 6.0,
            Dist::Discrete { .. } => self.discrete_pairs().iter().map(|(v, w)| v * w).sum(),
            Dist::Fixed { value } => *value,
        }
    }

    /// The median, `quantile(0.5)` (exactly `median` for the lognormal).
    pub fn median(&self) -> f64 {
        match self {
            Dist::Lognormal { median, .. } => *median,
            _ => self.quantile(0.5),
        }
    }

    /// The analytic quantile at `u` (clamped into `[0, 1]`): the inverse CDF in f64, the same
    /// map `sample_dist` applies (PERT exactly, by safeguarded Newton on the regularized
    /// incomplete beta, where the sampler interpolates its table). `u = 0` and `u = 1` give the support's
    /// ends (infinite for an untruncated normal, 0 and infinity for the lognormal). A discrete
    /// distribution returns the first value (in ascending order) whose cumulative weight
    /// exceeds `u`, like the sampler.
    pub fn quantile(&self, u: f64) -> f64 {
        if let Some(v) = self.fixed_value() {
            return v;
        }
        let u = if u.is_nan() { 0.5 } else { u.clamp(0.0, 1.0) };
        match self {
            Dist::Uniform { lo, hi } => lo + u * (hi - lo),
            Dist::Normal { mean, sd, .. } => {
                let (a, b) = self.normal_bounds();
                if u == 0.0 {
                    return mean + sd * a;
                }
                if u == 1.0 {
                    return mean + sd * b;
                }
                if a > 0.0 {
                    // Upper-tail truncation: work with the mirrored lower tail.
                    let (pa, pb) = (phi(-a), phi(-b));
                    mean - sd * ppnd16(pa - u * (pa - pb))
                } else {
                    let (pa, pb) = (phi(a), phi(b));
                    mean + sd * ppnd16(pa + u * (pb - pa))
                }
            }
            Dist::Lognormal { median, p90 } => {
                if u == 0.0 {
                    return 0.0;
                }
                if u == 1.0 {
                    return f64::INFINITY;
                }
                let s = (p90 / median).ln() / Z90;
                median * (s * ppnd16(u)).exp()
            }
            Dist::Triangular { lo, mode, hi } => {
                let w = hi - lo;
                let c = (mode - lo) / w;
                if u < c {
                    lo + (u * w * (mode - lo)).sqrt()
                } else {
                    hi - ((1.0 - u) * w * (hi - mode)).sqrt()
                }
            }
            Dist::Pert { lo, mode, hi } => {
                let (a, b) = pert_shape(*lo, *mode, *hi);
                lo + (hi - lo) * beta_quantile(a, b, u)
            }
            Dist::Discrete { .. } => {
                let pairs = self.discrete_pairs();
                if pairs.is_empty() {
                    return f64::NAN;
                }
                let mut cum = 0.0;
                for (v, w) in &pairs[..pairs.len() - 1] {
                    cum += w;
                    if u < cum {
                        return *v;
                    }
                }
                pairs[pairs.len() - 1].0
            }
            Dist::Fixed { value } => *value,
        }
    }

    /// The CDF `P(X <= x)` (analytic, f64).
    pub fn cdf(&self, x: f64) -> f64 {
        if let Some(v) = self.fixed_value() {
            return if x >= v { 1.0 } else { 0.0 };
        }
        let p = match self {
            Dist::Uniform { lo, hi } => (x - lo) / (hi - lo),
            Dist::Normal { mean, sd, .. } => {
                let (a, b) = self.normal_bounds();
                let z = ((x - mean) / sd).clamp(a, b);
                std_normal_mass(a, z) / std_normal_mass(a, b)
            }
            Dist::Lognormal { median, p90 } => {
                if x <= 0.0 {
                    0.0
                } else {
                    let s = (p90 / median).ln() / Z90;
                    phi((x / median).ln() / s)
                }
            }
            Dist::Triangular { lo, mode, hi } => {
                if x <= *lo {
                    0.0
                } else if x >= *hi {
                    1.0
                } else if x <= *mode {
                    (x - lo) * (x - lo) / ((hi - lo) * (mode - lo))
                } else {
                    1.0 - (hi - x) * (hi - x) / ((hi - lo) * (hi - mode))
                }
            }
            Dist::Pert { lo, mode, hi } => {
                let (a, b) = pert_shape(*lo, *mode, *hi);
                beta_cdf(a, b, ((x - lo) / (hi - lo)).clamp(0.0, 1.0))
            }
            Dist::Discrete { .. } => self
                .discrete_pairs()
                .iter()
                .filter(|(v, _)| *v <= x)
                .map(|(_, w)| w)
                .sum(),
            Dist::Fixed { .. } => unreachable!("handled by fixed_value"),
        };
        p.clamp(0.0, 1.0)
    }

    /// Probability mass outside `[lo, hi]`, `P(X < lo) + P(X > hi)`: config validation rejects
    /// distributions that put more than 0.1% of their mass outside a field's allowed range
    /// (the sampler clamps into that range, so such mass would pile up on its ends).
    pub fn fraction_outside(&self, lo: f64, hi: f64) -> f64 {
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return 1.0;
        }
        if let Some(v) = self.fixed_value() {
            return if v < lo || v > hi { 1.0 } else { 0.0 };
        }
        if let Dist::Discrete { .. } = self {
            return self
                .discrete_pairs()
                .iter()
                .filter(|(v, _)| *v < lo || *v > hi)
                .map(|(_, w)| w)
                .sum::<f64>()
                .min(1.0);
        }
        // Continuous: P(X = lo) = 0, so P(X < lo) = cdf(lo).
        (self.cdf(lo) + (1.0 - self.cdf(hi))).clamp(0.0, 1.0)
    }

    /// The distribution of `k * X` (`k > 0`): used to turn a per-chip rate into a per-node rate.
    pub fn scaled(&self, k: f64) -> Dist {
        match self {
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

    /// Standardised truncation bounds `((lo - mean) / sd, (hi - mean) / sd)` of a normal
    /// (infinite when absent); `(-inf, inf)` for other kinds.
    fn normal_bounds(&self) -> (f64, f64) {
        match self {
            Dist::Normal { mean, sd, lo, hi } => (
                lo.map_or(f64::NEG_INFINITY, |l| (l - mean) / sd),
                hi.map_or(f64::INFINITY, |h| (h - mean) / sd),
            ),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// A discrete distribution's positively weighted `(value, probability)` pairs, sorted by
    /// value (ties keep their order); empty for other kinds.
    fn discrete_pairs(&self) -> Vec<(f64, f64)> {
        match self {
            Dist::Discrete { values, weights } => {
                let total: f64 = weights.iter().filter(|w| **w > 0.0).sum();
                let mut pairs: Vec<(f64, f64)> = values
                    .iter()
                    .zip(weights)
                    .filter(|(_, w)| **w > 0.0)
                    .map(|(v, w)| (*v, w / total))
                    .collect();
                pairs.sort_by(|x, y| x.0.total_cmp(&y.0));
                pairs
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::params::kind;
    use crate::model::sample::sample_dist;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    fn all_kinds() -> Vec<Dist> {
        vec![
            Dist::Fixed { value: 2.5 },
            Dist::Uniform { lo: 1.0, hi: 4.0 },
            Dist::Normal {
                mean: 5.0,
                sd: 2.0,
                lo: None,
                hi: None,
            },
            Dist::Normal {
                mean: 5.0,
                sd: 2.0,
                lo: Some(4.0),
                hi: Some(9.0),
            },
            Dist::Normal {
                mean: 5.0,
                sd: 2.0,
                lo: Some(8.0),
                hi: None,
            },
            Dist::Lognormal {
                median: 3.0,
                p90: 7.0,
            },
            Dist::Triangular {
                lo: 1.0,
                mode: 2.0,
                hi: 6.0,
            },
            Dist::Pert {
                lo: 1.0,
                mode: 2.0,
                hi: 6.0,
            },
            Dist::Pert {
                lo: 0.0,
                mode: 0.0,
                hi: 1.0,
            },
            Dist::Discrete {
                values: vec![3.0, 1.0, 2.0],
                weights: vec![1.0, 2.0, 1.0],
            },
        ]
    }

    #[test]
    fn phi_known_values() {
        // High-precision references (mpmath, 50 digits).
        for (x, want) in [
            (0.0f64, 0.5f64),
            (-1.0, 0.158_655_253_931_457_05),
            (-1.2, 0.115_069_670_221_708_28),
            (-1.8, 0.035_930_319_112_925_8),
            (-5.0, 2.866_515_718_791_939e-7),
            (-8.0, 6.220_960_574_271_784e-16),
            (-20.0, 2.753_624_118_606_233_7e-89),
            (3.0, 0.998_650_101_968_369_9),
        ] {
            // Relative accuracy degrades like x^2 eps in the tails (rounding of x^2 / 2 in exp).
            let tol = 2e-16 * (x * x + 20.0) * want.min(1.0);
            assert!(close(phi(x), want, tol), "phi({x}) = {}", phi(x));
        }
        assert_eq!(phi(f64::NEG_INFINITY), 0.0);
        assert_eq!(phi(f64::INFINITY), 1.0);
        // Inverts the AS 241 quantile to near f64 precision.
        for u in [1e-300, 1e-30, 1e-10, 0.01, 0.3, 0.5, 0.9, 0.999] {
            let r = phi(ppnd16::<f64>(u)) / u;
            assert!((r - 1.0).abs() < 1e-13, "{u}: {r}");
        }
    }

    #[test]
    fn ln_gamma_known_values() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-14));
        assert!(close(ln_gamma(0.5), 0.5 * std::f64::consts::PI.ln(), 1e-14));
        assert!(close(ln_gamma(10.0), 362_880f64.ln(), 1e-14));
        assert!(close(ln_gamma(171.0), 706.573_062_245_787_4, 1e-13));
        assert!(close(ln_gamma(1e-3), 6.907_178_885_383_853, 1e-12));
    }

    #[test]
    fn closed_forms() {
        let u = Dist::Uniform { lo: 1.0, hi: 4.0 };
        assert_eq!(u.mean(), 2.5);
        assert_eq!(u.quantile(0.25), 1.75);
        let n = Dist::Normal {
            mean: 5.0,
            sd: 2.0,
            lo: None,
            hi: None,
        };
        assert!(close(
            n.quantile(0.975),
            5.0 + 2.0 * 1.959_963_984_540_054,
            1e-9
        ));
        assert_eq!(n.median(), 5.0);
        assert_eq!(n.quantile(0.0), f64::NEG_INFINITY);
        // Half-normal: truncated at the mean, mean + sd sqrt(2/pi), median mean + sd z(0.75).
        let h = Dist::Normal {
            mean: 5.0,
            sd: 2.0,
            lo: Some(5.0),
            hi: None,
        };
        assert!(close(
            h.mean(),
            5.0 + 2.0 * (2.0 / std::f64::consts::PI).sqrt(),
            1e-6
        ));
        assert!(close(h.median(), 5.0 + 2.0 * 0.674_489_750_196_081_7, 1e-6));
        assert_eq!(h.quantile(0.0), 5.0);
        // Upper-tail truncation: the mean of N(0,1) above 3 is phi(3) / (1 - Phi(3)).
        let t = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            lo: Some(3.0),
            hi: None,
        };
        assert!(close(
            t.mean(),
            0.004_431_848_411_938_008 / 0.001_349_898_031_630_094_6,
            1e-6
        ));
        let l = Dist::Lognormal {
            median: 3.0,
            p90: 7.0,
        };
        assert!(close(l.quantile(0.9), 7.0, 1e-9));
        assert_eq!(l.median(), 3.0);
        let s = (7.0f64 / 3.0).ln() / Z90;
        assert!(close(l.mean(), 3.0 * (s * s / 2.0).exp(), 1e-12));
        let tr = Dist::Triangular {
            lo: 1.0,
            mode: 2.0,
            hi: 6.0,
        };
        assert_eq!(tr.mean(), 3.0);
        assert!(close(tr.quantile(0.2), 2.0, 1e-12));
        assert!(close(tr.quantile(0.1), 1.0 + (0.1f64 * 5.0).sqrt(), 1e-12));
        // PERT(0, 0.5, 1) is Beta(3, 3): I_0.25(3, 3) = 0.103515625 exactly.
        let p = Dist::Pert {
            lo: 0.0,
            mode: 0.5,
            hi: 1.0,
        };
        assert!(close(p.cdf(0.25), 0.103_515_625, 1e-12));
        assert!(close(p.quantile(0.103_515_625), 0.25, 1e-10));
        assert!(close(p.median(), 0.5, 1e-12));
        assert!(close(
            Dist::Pert {
                lo: 1.0,
                mode: 2.0,
                hi: 6.0
            }
            .mean(),
            15.0 / 6.0,
            1e-15
        ));
        let d = Dist::Discrete {
            values: vec![3.0, 1.0, 2.0],
            weights: vec![1.0, 2.0, 1.0],
        };
        assert_eq!(d.mean(), 1.75);
        assert_eq!(d.quantile(0.49), 1.0);
        assert_eq!(d.quantile(0.5), 2.0);
        assert_eq!(d.quantile(0.8), 3.0);
    }

    /// For every kind: the mean equals the integral of the quantile function (midpoint rule),
    /// and the CDF inverts the quantile.
    #[test]
    fn mean_quantile_cdf_consistent() {
        let m = 20_000;
        for d in all_kinds() {
            d.check().unwrap();
            let integral = (0..m)
                .map(|i| d.quantile((i as f64 + 0.5) / m as f64))
                .sum::<f64>()
                / m as f64;
            // The midpoint rule misses part of the lognormal's heavy right tail.
            let tol = if matches!(d, Dist::Lognormal { .. }) {
                2e-3
            } else {
                1e-4
            };
            assert!(
                close(integral, d.mean(), tol),
                "{d:?}: {integral} vs {}",
                d.mean()
            );
            if d.is_fixed() || matches!(d, Dist::Discrete { .. }) {
                continue;
            }
            for u in [0.001, 0.1, 0.37, 0.5, 0.9, 0.999] {
                let x = d.quantile(u);
                assert!(
                    close(d.cdf(x), u, 3e-7),
                    "{d:?}: cdf(quantile({u})) = {}",
                    d.cdf(x)
                );
            }
        }
    }

    #[test]
    fn check_rejections() {
        let bad = |d: Dist, words: &[&str]| {
            let e = d.check().expect_err(&format!("{d:?} should fail"));
            for w in words {
                assert!(e.contains(w), "message {e:?} lacks {w:?}");
            }
        };
        bad(
            Dist::Lognormal {
                median: 0.07,
                p90: 0.05,
            },
            &["p90 (0.05)", "median (0.07)"],
        );
        bad(
            Dist::Lognormal {
                median: 0.0,
                p90: 0.05,
            },
            &["median", "> 0"],
        );
        bad(
            Dist::Normal {
                mean: 0.0,
                sd: -1.0,
                lo: None,
                hi: None,
            },
            &["sd", ">= 0"],
        );
        bad(
            Dist::Normal {
                mean: f64::NAN,
                sd: 1.0,
                lo: None,
                hi: None,
            },
            &["mean", "finite"],
        );
        bad(
            Dist::Normal {
                mean: 0.0,
                sd: 1.0,
                lo: Some(2.0),
                hi: Some(1.0),
            },
            &["lo", "hi"],
        );
        bad(
            Dist::Normal {
                mean: 0.0,
                sd: 1.0,
                lo: Some(8.0),
                hi: None,
            },
            &["mass"],
        );
        bad(
            Dist::Normal {
                mean: 0.0,
                sd: 0.0,
                lo: Some(1.0),
                hi: None,
            },
            &["mean"],
        );
        bad(Dist::Uniform { lo: 2.0, hi: 1.0 }, &["lo (2)", "hi (1)"]);
        bad(
            Dist::Uniform {
                lo: 0.0,
                hi: f64::INFINITY,
            },
            &["hi", "finite"],
        );
        bad(
            Dist::Triangular {
                lo: 0.0,
                mode: 3.0,
                hi: 2.0,
            },
            &["lo <= mode <= hi"],
        );
        bad(
            Dist::Pert {
                lo: 1.0,
                mode: 0.0,
                hi: 2.0,
            },
            &["lo <= mode <= hi"],
        );
        bad(Dist::Fixed { value: f64::NAN }, &["value", "finite"]);
        bad(
            Dist::Discrete {
                values: vec![1.0, 2.0],
                weights: vec![1.0],
            },
            &["same length"],
        );
        bad(
            Dist::Discrete {
                values: vec![],
                weights: vec![],
            },
            &["1..=16"],
        );
        bad(
            Dist::Discrete {
                values: vec![0.0; 17],
                weights: vec![1.0; 17],
            },
            &["1..=16"],
        );
        bad(
            Dist::Discrete {
                values: vec![1.0, 2.0],
                weights: vec![0.0, 0.0],
            },
            &["not all zero"],
        );
        bad(
            Dist::Discrete {
                values: vec![1.0, 2.0],
                weights: vec![-1.0, 2.0],
            },
            &[">= 0"],
        );
        bad(
            Dist::Discrete {
                values: vec![1.0, f64::NAN],
                weights: vec![1.0, 2.0],
            },
            &["finite"],
        );
        // Valid edge cases.
        Dist::Uniform { lo: 1.0, hi: 1.0 }.check().unwrap();
        Dist::Triangular {
            lo: 1.0,
            mode: 1.0,
            hi: 1.0,
        }
        .check()
        .unwrap();
        Dist::Normal {
            mean: 0.0,
            sd: 0.0,
            lo: None,
            hi: None,
        }
        .check()
        .unwrap();
        Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            lo: Some(4.0),
            hi: None,
        }
        .check()
        .unwrap();
    }

    #[test]
    fn fixed_detection() {
        assert!(Dist::Uniform { lo: 1.0, hi: 1.0 }.is_fixed());
        assert!(
            Dist::Normal {
                mean: 1.0,
                sd: 0.0,
                lo: None,
                hi: None
            }
            .is_fixed()
        );
        assert!(
            Dist::Pert {
                lo: 2.0,
                mode: 2.0,
                hi: 2.0
            }
            .is_fixed()
        );
        assert!(
            Dist::Discrete {
                values: vec![1.0, 5.0],
                weights: vec![0.0, 3.0]
            }
            .is_fixed()
        );
        assert!(
            !Dist::Lognormal {
                median: 1.0,
                p90: 2.0
            }
            .is_fixed()
        );
        let mut t = Vec::new();
        let s = Dist::Discrete {
            values: vec![1.0, 5.0],
            weights: vec![0.0, 3.0],
        }
        .to_spec(0.0, 10.0, &mut t);
        assert_eq!((s.kind, s.p[0]), (kind::FIXED, 5.0));
        assert!(t.is_empty());
    }

    /// `sample_dist` at `u` reproduces the analytic quantile in both precisions (f32 rounding of
    /// the parameters; for PERT also the table's linear interpolation).
    #[test]
    fn to_spec_round_trip() {
        for d in all_kinds() {
            let mut table = vec![9.0; 3]; // non-empty: offsets must be honoured
            let spec = d.to_spec(-1e30, f64::INFINITY, &mut table);
            for u in [0.5, 0.05, 0.3, 0.77, 0.95] {
                let q = d.quantile(u);
                let tol = match d {
                    Dist::Pert { .. } => 2e-4,
                    _ => 2e-6,
                };
                let a = sample_dist::<f64>(&spec, u, &table);
                let b = sample_dist::<f32>(&spec, u as f32, &table) as f64;
                assert!(close(a, q, tol), "{d:?} f64 at {u}: {a} vs {q}");
                assert!(close(b, q, tol), "{d:?} f32 at {u}: {b} vs {q}");
            }
            assert!(close(
                sample_dist::<f64>(&spec, 0.5, &table),
                d.median(),
                2e-6
            ));
        }
        // PERT table layout: 257 entries, exact ends, offset honoured.
        let mut table = vec![0.0; 5];
        let spec = Dist::Pert {
            lo: 1.0,
            mode: 2.0,
            hi: 6.0,
        }
        .to_spec(0.0, 10.0, &mut table);
        assert_eq!((spec.kind, spec.aux, spec.p[0]), (kind::TABLE, 5, 256.0));
        assert_eq!(table.len(), 5 + 257);
        assert_eq!((table[5], table[5 + 256]), (1.0, 6.0));
        assert!(table[5..].windows(2).all(|w| w[0] <= w[1]));
        // Discrete layout: sorted, normalised, last cumulative weight exactly 1.
        let mut table = Vec::new();
        let spec = Dist::Discrete {
            values: vec![3.0, 1.0, 2.0],
            weights: vec![1.0, 2.0, 1.0],
        }
        .to_spec(0.0, 10.0, &mut table);
        assert_eq!((spec.kind, spec.aux, spec.p[0]), (kind::DISCRETE, 0, 3.0));
        assert_eq!(table, vec![0.5, 0.75, 1.0, 1.0, 2.0, 3.0]);
        // Lognormal parameters.
        let s = Dist::Lognormal {
            median: 3.0,
            p90: 7.0,
        }
        .to_spec(0.0, 100.0, &mut table);
        assert_eq!(s.p[0], 3f64.ln() as f32);
        assert_eq!(
            s.p[1],
            ((7.0f64 / 3.0).ln() / 1.281_551_565_544_600_4) as f32
        );
        // Clamp bounds round outward and the truncation narrows them.
        let s = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            lo: Some(-0.1),
            hi: None,
        }
        .to_spec(-1.0, 0.1, &mut table);
        assert!(s.lo as f64 <= -0.1 && s.lo > -0.100_001);
        assert!(s.hi as f64 >= 0.1 && s.hi < 0.100_001);
        assert_eq!((s.p[2], s.p[3]), (phi(-0.1) as f32, 1.0));
    }

    #[test]
    fn fraction_outside_values() {
        let n = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            lo: None,
            hi: None,
        };
        assert!(close(
            n.fraction_outside(-1.959_963_984_540_054, 1.959_963_984_540_054),
            0.05,
            1e-6
        ));
        assert!(close(n.fraction_outside(0.0, f64::INFINITY), 0.5, 1e-7));
        let u = Dist::Uniform { lo: 0.0, hi: 10.0 };
        assert!(close(u.fraction_outside(1.0, 9.5), 0.15, 1e-12));
        assert_eq!(u.fraction_outside(-1.0, 11.0), 0.0);
        let d = Dist::Discrete {
            values: vec![1.0, 2.0, 3.0],
            weights: vec![1.0, 1.0, 2.0],
        };
        assert_eq!(d.fraction_outside(1.5, 3.0), 0.25);
        assert_eq!(d.fraction_outside(1.0, 3.0), 0.0);
        assert_eq!(Dist::Fixed { value: 1.0 }.fraction_outside(1.0, 2.0), 0.0);
        assert_eq!(Dist::Fixed { value: 3.0 }.fraction_outside(1.0, 2.0), 1.0);
        let l = Dist::Lognormal {
            median: 1.0,
            p90: 2.0,
        };
        assert!(close(l.fraction_outside(0.0, 2.0), 0.1, 1e-6));
        let p = Dist::Pert {
            lo: 0.0,
            mode: 0.5,
            hi: 1.0,
        };
        assert!(close(
            p.fraction_outside(0.25, 0.75),
            2.0 * 0.103_515_625,
            1e-12
        ));
        assert_eq!(p.fraction_outside(2.0, 1.0), 1.0);
    }

    #[test]
    fn deserialize_tagged_and_strict() {
        let d: Dist = serde_json::from_str(r#"{"dist":"lognormal","median":3,"p90":8}"#).unwrap();
        assert_eq!(
            d,
            Dist::Lognormal {
                median: 3.0,
                p90: 8.0
            }
        );
        let d: Dist =
            toml::from_str("dist = \"normal\"\nmean = 1.0\nsd = 0.5\nlo = 0.0\n").unwrap();
        assert_eq!(
            d,
            Dist::Normal {
                mean: 1.0,
                sd: 0.5,
                lo: Some(0.0),
                hi: None
            }
        );
        assert!(
            serde_json::from_str::<Dist>(r#"{"dist":"lognormal","meadian":3,"p90":8}"#).is_err()
        );
        let back: Dist = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn event_tables_keep_the_mean_and_the_quantiles() {
        let cases = [
            Dist::Lognormal {
                median: 6.0,
                p90: 24.0,
            },
            Dist::Lognormal {
                median: 48.0,
                p90: 96.0,
            },
            Dist::Lognormal {
                median: 14.0,
                p90: 60.0,
            },
            Dist::Normal {
                mean: 100.0,
                sd: 15.0,
                lo: None,
                hi: None,
            },
            Dist::Pert {
                lo: 1.0,
                mode: 2.0,
                hi: 9.0,
            },
        ];
        for d in cases {
            let mut table = vec![];
            let spec = d.to_event_spec(f64::NEG_INFINITY, f64::INFINITY, &mut table);
            assert_eq!(spec.kind, kind::TABLE, "{d:?}");
            let t = &table[spec.aux as usize..];
            let n = EVENT_TABLE_INTERVALS;
            // Exact mean of the piecewise-linear quantile function.
            let mean: f64 = (0..n)
                .map(|i| (t[i] as f64 + t[i + 1] as f64) / 2.0)
                .sum::<f64>()
                / n as f64;
            let rel = (mean - d.mean()).abs() / d.mean();
            assert!(
                rel < 1e-3,
                "{d:?}: table mean {mean} vs {} ({rel:e})",
                d.mean()
            );
            for u in [0.01, 0.25, 0.5, 0.9, 0.99] {
                let x = crate::model::sample::sample_dist::<f64>(&spec, u, &table);
                let q = d.quantile(u);
                assert!(((x - q) / q).abs() < 2e-3, "{d:?} at {u}: {x} vs {q}");
            }
        }
        // Kinds that are already cheap keep their analytic form.
        let mut table = vec![];
        let u = Dist::Uniform { lo: 1.0, hi: 2.0 }.to_event_spec(0.0, 10.0, &mut table);
        assert_eq!(u.kind, kind::UNIFORM);
        assert!(table.is_empty());
    }
}
