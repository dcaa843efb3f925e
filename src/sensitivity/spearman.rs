//! The Spearman table: over the paths of the scenario as written, the rank correlation of each
//! sampled input (recomputed on the host from the counter-based RNG, exactly what the engine
//! drew) with each output. Exact ranks: memory is one f64 per path and (input + output), so
//! `fleetsim sensitivity` caps the paths (see `MAX_PATHS` in the CLI).

use rayon::prelude::*;
use serde::Serialize;

use super::inputs::{UncertainInput, value_at};
use super::rank::{average_ranks, pearson, spearman, spearman_se};
use crate::model::fleet_step::sample_inputs;
use crate::model::params::FlatModel;

/// One input-output correlation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpearmanRow {
    /// Option name, or `a - b` for a paired difference.
    pub output: String,
    /// Output metric name.
    pub metric: &'static str,
    /// 1 = largest |rho| for this output.
    pub rank: usize,
    /// Input key path.
    pub input: String,
    /// Spearman's rho (none when the output or input is constant on the paths).
    pub rho: Option<f64>,
    /// Approximate standard error of rho.
    pub rho_se: Option<f64>,
    /// Paths where the output is defined.
    pub n: usize,
}

/// Correlates every input of `inputs` (as sampled by `model` on paths `0..n_paths`) with
/// every `(output, metric, per-path values)` of `outputs`; rows grouped by output in the
/// given order, ranked by |rho| within each.
pub fn table(
    model: &FlatModel,
    inputs: &[UncertainInput],
    n_paths: usize,
    outputs: &[(String, &'static str, Vec<f64>)],
) -> Vec<SpearmanRow> {
    let sampled: Vec<Vec<f64>> = {
        let per_path: Vec<Vec<f64>> = (0..n_paths as u32)
            .into_par_iter()
            .map(|p| {
                let x = sample_inputs::<f64>(model, p);
                inputs.iter().map(|i| value_at(&x, i.slot)).collect()
            })
            .collect();
        (0..inputs.len())
            .map(|k| per_path.iter().map(|r| r[k]).collect())
            .collect()
    };
    let input_ranks: Vec<Vec<f64>> = sampled.par_iter().map(|v| average_ranks(v)).collect();
    outputs
        .par_iter()
        .flat_map_iter(|(out, metric, y)| {
            let complete = y.iter().all(|v| v.is_finite());
            let ry = complete.then(|| average_ranks(y));
            let mut rows: Vec<SpearmanRow> = inputs
                .iter()
                .enumerate()
                .map(|(k, inp)| {
                    let (rho, n) = match &ry {
                        Some(ry) => (pearson(&input_ranks[k], ry), y.len()),
                        None => spearman(&sampled[k], y),
                    };
                    SpearmanRow {
                        output: out.clone(),
                        metric,
                        rank: 0,
                        input: inp.key.clone(),
                        rho,
                        rho_se: rho.and_then(|r| spearman_se(r, n)),
                        n,
                    }
                })
                .collect();
            rows.sort_by(|a, b| {
                let s = |r: &SpearmanRow| r.rho.map_or(-1.0, f64::abs);
                s(b).total_cmp(&s(a)).then_with(|| a.input.cmp(&b.input))
            });
            for (i, r) in rows.iter_mut().enumerate() {
                r.rank = i + 1;
            }
            rows
        })
        .collect()
}
