//! Why one option wins: the mean paired NPV difference of two options split into the present
//! values of its cash-flow lines (`outputs::NPV_COMPONENTS`), each with its Monte Carlo
//! standard error, plus the memo lines of revenue lost to failures and to outages. Per path the
//! signed lines sum to the NPV difference, so their means sum to its mean (to rounding, which
//! `unexplained_usd` reports).

use std::ops::AddAssign;

use serde::Serialize;

use super::Moments;
use crate::model::outputs::{NPV_COMPONENTS, idx};

/// Mergeable per-path moments of one pair's NPV difference and of each line's contribution.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct DecompositionAggregate {
    /// NPV(a) - NPV(b).
    npv: Moments,
    /// Per `NPV_COMPONENTS` line: sign x (PV(a) - PV(b)), memo lines unsigned.
    lines: Vec<Moments>,
}

/// One line of a finished decomposition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecompositionLine {
    /// Line name (`revenue`, `capex`, ...).
    pub name: &'static str,
    /// Label for tables and charts.
    pub label: &'static str,
    /// True for a cash-flow line of the NPV; false for a memo line.
    pub in_npv: bool,
    /// Mean contribution to NPV(a) - NPV(b), USD (memo lines: mean of a's minus b's).
    pub mean_usd: Option<f64>,
    /// Its standard error.
    pub se_usd: Option<f64>,
}

/// Mean and standard error.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeanSe {
    /// Mean, USD.
    pub mean_usd: Option<f64>,
    /// Standard error of the mean, USD.
    pub se_usd: Option<f64>,
}

/// The finished decomposition of one pair, as in summary.json `npv_decomposition`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NpvDecomposition {
    /// Option a.
    pub a: String,
    /// Option b.
    pub b: String,
    /// Paths compared.
    pub n_paths: u64,
    /// NPV(a) - NPV(b).
    pub npv_difference: MeanSe,
    /// The lines, cash-flow lines first (they sum to `npv_difference.mean_usd`), then memos.
    pub components: Vec<DecompositionLine>,
    /// `npv_difference.mean_usd` less the sum of the cash-flow lines' means: rounding of the
    /// f32 engine's sums, not a missing line.
    pub unexplained_usd: Option<f64>,
}

impl DecompositionAggregate {
    /// An empty aggregate.
    pub fn new() -> Self {
        DecompositionAggregate {
            npv: Moments::new(),
            lines: vec![Moments::new(); NPV_COMPONENTS.len()],
        }
    }

    /// Adds one path's records of options a and b.
    pub fn add(&mut self, a: &[f64], b: &[f64]) {
        self.npv.add(a[idx::NPV_USD] - b[idx::NPV_USD]);
        for (m, c) in self.lines.iter_mut().zip(NPV_COMPONENTS.iter()) {
            let d = a[c.index] - b[c.index];
            m.add(if c.sign < 0 { -d } else { d });
        }
    }

    /// The finished figures for options named `a` and `b`.
    pub fn finish(&self, a: &str, b: &str) -> NpvDecomposition {
        let components: Vec<DecompositionLine> = NPV_COMPONENTS
            .iter()
            .zip(&self.lines)
            .map(|(c, m)| DecompositionLine {
                name: c.name,
                label: c.label,
                in_npv: c.sign != 0,
                mean_usd: m.mean(),
                se_usd: m.se(),
            })
            .collect();
        let explained: Option<f64> = components
            .iter()
            .filter(|l| l.in_npv)
            .map(|l| l.mean_usd)
            .sum();
        NpvDecomposition {
            a: a.to_string(),
            b: b.to_string(),
            n_paths: self.npv.count(),
            npv_difference: MeanSe {
                mean_usd: self.npv.mean(),
                se_usd: self.npv.se(),
            },
            unexplained_usd: self.npv.mean().zip(explained).map(|(t, e)| t - e),
            components,
        }
    }
}

impl AddAssign<&DecompositionAggregate> for DecompositionAggregate {
    /// Merges a shard of other paths.
    fn add_assign(&mut self, o: &DecompositionAggregate) {
        self.npv += &o.npv;
        for (a, b) in self.lines.iter_mut().zip(&o.lines) {
            *a += b;
        }
    }
}
