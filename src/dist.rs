//! Host-side distributions as written in configs (MODEL.md section 1): parameter checks,
//! analytic moments and quantiles, and flattening into a [`DistSpec`] the engines sample.

use crate::model::params::DistSpec;

/// A config-level distribution of one numeric input.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
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
