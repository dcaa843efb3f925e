//! The engines behind one trait: the CPU engine now, the GPU engine next. An engine turns a
//! [`FlatModel`] and a range of path indices into a [`PathBlock`] of per-path outputs; the
//! driver ([`run_paths`]) cuts the paths into fixed chunks and hands blocks to the aggregator in
//! path order, so results do not depend on thread count or chunking.

pub mod cpu;

use crate::model::outputs::N_OUT;
use crate::model::params::FlatModel;

/// Per-path outputs for a contiguous range of paths, all options.
///
/// Layout: `values[((p - first_path) * n_options + o) * N_OUT + m]` for path `p`, option `o`,
/// metric `m` (see `model::outputs`). Undefined values (IRR without sign change, ...) are NaN.
/// The GPU engine writes exactly this layout (in f32; widened on the host).
#[derive(Clone, Debug, Default)]
pub struct PathBlock {
    /// Index of the first path.
    pub first_path: u32,
    /// Paths in the block.
    pub n_paths: u32,
    /// Options per path.
    pub n_options: u32,
    /// The outputs, see the layout above.
    pub values: Vec<f64>,
}

impl PathBlock {
    /// An all-zero block for `n_paths` paths.
    pub fn zeroed(first_path: u32, n_paths: u32, n_options: u32) -> Self {
        PathBlock {
            first_path,
            n_paths,
            n_options,
            values: vec![0.0; n_paths as usize * n_options as usize * N_OUT],
        }
    }

    /// The output record of path `first_path + i`, option `o`.
    pub fn record(&self, i: usize, o: usize) -> &[f64] {
        let start = (i * self.n_options as usize + o) * N_OUT;
        &self.values[start..start + N_OUT]
    }
}

/// Arithmetic precision of an engine run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// What the GPU kernel computes in; the default.
    #[default]
    F32,
    /// The CPU reference used to measure f32 error.
    F64,
}

/// What ran a simulation, recorded in summary.json.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EngineInfo {
    /// `cpu` or `gpu`.
    pub backend: String,
    /// Adapter or CPU description.
    pub adapter: String,
    /// Driver (GPU) or thread count (CPU).
    pub driver: String,
    /// Arithmetic precision.
    pub precision: Precision,
}

/// Failure of an engine (the GPU engine can lose its device; the CPU engine cannot fail once
/// the model has been validated, but reports non-finite outputs as a bug).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A metric that must be finite was NaN or infinite: a model bug, never silently exported.
    #[error(
        "engine produced a non-finite {metric} for path {path}, option {option}: this is a bug"
    )]
    NonFinite {
        /// Metric name.
        metric: &'static str,
        /// Path index.
        path: u32,
        /// Option index.
        option: u32,
    },
    /// Backend-specific failure (device lost, out of memory, ...).
    #[error("{0}")]
    Backend(String),
}

/// A simulation engine: same model, same RNG, same outputs, whatever runs it.
pub trait Engine: Send + Sync {
    /// What this engine is, for the summary.
    fn info(&self) -> EngineInfo;
    /// Simulates paths `first_path .. first_path + n_paths`.
    fn simulate(
        &self,
        model: &FlatModel,
        first_path: u32,
        n_paths: u32,
    ) -> Result<PathBlock, EngineError>;
}

/// Checks a block for NaN/inf in metrics that must be finite.
pub fn check_finite(block: &PathBlock) -> Result<(), EngineError> {
    use crate::model::outputs::SCALAR_METRICS;
    for i in 0..block.n_paths as usize {
        for o in 0..block.n_options as usize {
            let r = block.record(i, o);
            for (m, info) in SCALAR_METRICS.iter().enumerate() {
                let v = r[m];
                let bad = if info.may_be_undefined {
                    v.is_infinite()
                } else {
                    !v.is_finite()
                };
                if bad {
                    return Err(EngineError::NonFinite {
                        metric: info.name,
                        path: block.first_path + i as u32,
                        option: o as u32,
                    });
                }
            }
            if r[crate::model::outputs::idx::CASH_FLOW_Y1..]
                .iter()
                .any(|v| !v.is_finite())
            {
                return Err(EngineError::NonFinite {
                    metric: "cash_flow",
                    path: block.first_path + i as u32,
                    option: o as u32,
                });
            }
        }
    }
    Ok(())
}

/// Runs `n_paths` paths in chunks of `chunk` paths and feeds each block, in path order, to
/// `sink`. `progress` is called with the number of paths done after each chunk.
pub fn run_paths(
    engine: &dyn Engine,
    model: &FlatModel,
    n_paths: u32,
    chunk: u32,
    mut sink: impl FnMut(&PathBlock),
    mut progress: impl FnMut(u32),
) -> Result<(), EngineError> {
    let chunk = chunk.max(1);
    let mut done = 0u32;
    while done < n_paths {
        let n = chunk.min(n_paths - done);
        let block = engine.simulate(model, done, n)?;
        check_finite(&block)?;
        sink(&block);
        done += n;
        progress(done);
    }
    Ok(())
}
