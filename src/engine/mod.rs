//! The engines behind one trait: the CPU engine here, the GPU engine in `crate::gpu`. An engine
//! turns a [`FlatModel`] and a range of path indices into a [`PathBlock`] of per-path outputs;
//! the driver ([`run_paths`]) cuts the paths into fixed chunks and hands blocks to the aggregator
//! in path order, so results do not depend on thread count or chunking.
//! [`run_paths_with_fallback`] continues a run on a second engine (the CPU) from the chunk where
//! the first (the GPU) failed.

pub mod cpu;
pub mod fault;
pub mod points;
pub mod sticky;

pub use points::{run_points, run_points_with_fallback};
pub use sticky::Sticky;

use crate::model::outputs::{N_MONTHLY, N_OUT};
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
    /// Months of the monthly series (the model's `run.n_months`; 0 = none).
    pub n_months: u32,
    /// The monthly series: `monthly[(((p - first_path) * n_options + o) * n_months + month) *
    /// N_MONTHLY + k]` for slot `k` of `outputs::mon`; empty when `n_months` is 0.
    pub monthly: Vec<f64>,
}

impl PathBlock {
    /// An all-zero block for `n_paths` paths, without monthly series.
    pub fn zeroed(first_path: u32, n_paths: u32, n_options: u32) -> Self {
        PathBlock {
            first_path,
            n_paths,
            n_options,
            values: vec![0.0; n_paths as usize * n_options as usize * N_OUT],
            n_months: 0,
            monthly: Vec::new(),
        }
    }

    /// An all-zero block of `model`'s shape: its options, and its monthly series if it asks
    /// for them.
    pub fn for_model(model: &FlatModel, first_path: u32, n_paths: u32) -> Self {
        let mut b = Self::zeroed(first_path, n_paths, model.run.n_options);
        b.n_months = model.run.n_months;
        b.monthly = vec![0.0; Self::monthly_len(model) * n_paths as usize];
        b
    }

    /// Monthly values per path of `model` (all options).
    pub fn monthly_len(model: &FlatModel) -> usize {
        model.run.n_options as usize * model.run.n_months as usize * N_MONTHLY
    }

    /// The output record of path `first_path + i`, option `o`.
    pub fn record(&self, i: usize, o: usize) -> &[f64] {
        let start = (i * self.n_options as usize + o) * N_OUT;
        &self.values[start..start + N_OUT]
    }

    /// The monthly series of path `first_path + i`, option `o` (`n_months * N_MONTHLY`
    /// values, month-major), empty without monthly series.
    pub fn months(&self, i: usize, o: usize) -> &[f64] {
        let per = self.n_months as usize * N_MONTHLY;
        let start = (i * self.n_options as usize + o) * per;
        &self.monthly[start..start + per]
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

/// Failure of an engine. Two kinds matter to the caller: the device failed ([`Device`]: the
/// GPU was lost, ran out of memory or timed out; another engine may take the run over), or an
/// engine broke its contract ([`Bug`], [`NonFinite`]: no other engine can make that right, so
/// the run ends and the bug is named). The CPU engine cannot fail once the model has been
/// validated, except by a bug.
///
/// [`Device`]: EngineError::Device
/// [`Bug`]: EngineError::Bug
/// [`NonFinite`]: EngineError::NonFinite
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
    /// The device failed (device lost, out of memory, timeout, no adapter, a driver limit):
    /// nothing is wrong with the request, so the fallback engine, if any, takes over.
    #[error("{0}")]
    Device(String),
    /// An engine broke its contract (a block of the wrong shape, a kernel that does not
    /// compile, a call wgpu rejects as invalid): a bug in fleetsim, which never falls back.
    #[error("{0}: this is a bug in fleetsim, not a device failure")]
    Bug(String),
}

/// Paths per chunk for engines without a preference (the CPU engine: enough paths to keep
/// every core busy with even load).
pub const DEFAULT_CHUNK_PATHS: u32 = 16_384;

/// A simulation engine: same model, same RNG, same outputs, whatever runs it.
pub trait Engine: Send + Sync {
    /// What this engine is, for the summary.
    fn info(&self) -> EngineInfo;
    /// Paths per chunk this engine runs best with for `n_options` options: large enough to keep
    /// it busy, small enough to bound memory (a chunk's block is ~300 B per path and option).
    fn chunk_paths(&self, n_options: u32) -> u32 {
        let _ = n_options;
        DEFAULT_CHUNK_PATHS
    }
    /// Simulates paths `first_path .. first_path + n_paths`.
    fn simulate(
        &self,
        model: &FlatModel,
        first_path: u32,
        n_paths: u32,
    ) -> Result<PathBlock, EngineError>;
    /// How many points (model variants) of a sweep of `n_points` points with `n_paths` paths
    /// each this engine simulates per call: 1 unless one point's paths are too few to keep the
    /// engine busy (a GPU wants ~1e5 invocations per dispatch).
    fn points_per_call(&self, n_points: usize, n_paths: u32) -> usize {
        let _ = (n_points, n_paths);
        1
    }
    /// Simulates paths `first_path .. first_path + n_paths` of every model in `models` (variants
    /// of one scenario: same options and horizon), one block per model in order. The default
    /// runs the models one after another; the GPU engine packs them into one dispatch.
    fn simulate_points(
        &self,
        models: &[&FlatModel],
        first_path: u32,
        n_paths: u32,
    ) -> Result<Vec<PathBlock>, EngineError> {
        models
            .iter()
            .map(|m| self.simulate(m, first_path, n_paths))
            .collect()
    }
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
    sink: impl FnMut(&PathBlock),
    progress: impl FnMut(u32),
) -> Result<(), EngineError> {
    run_path_range(engine, model, 0..n_paths, chunk, sink, progress)
}

/// Simulates paths `from .. n_paths` in chunks of `chunk` paths; on failure returns the first
/// path of the chunk that failed (nothing of that chunk reached `sink`) with the error. The
/// one-point case of the points driver ([`points::run_range`]), which runs the engine on its
/// own thread one call ahead of `sink`.
fn run_chunks(
    engine: &dyn Engine,
    model: &FlatModel,
    from: u32,
    n_paths: u32,
    chunk: u32,
    sink: &mut dyn FnMut(&PathBlock),
    progress: &mut dyn FnMut(u32),
) -> Result<(), (u32, EngineError)> {
    points::run_range(
        engine,
        std::slice::from_ref(model),
        0..1,
        from,
        n_paths,
        Some(chunk),
        &mut |_, block| {
            sink(block);
            progress(block.first_path + block.n_paths);
        },
        &mut |_| {},
    )
    .map_err(|(_, path, e)| (path, e))
}

/// Fails unless `block` holds exactly paths `first .. first + n` of every option of `model`
/// (an engine returning anything else is broken; its block must not reach the aggregates).
fn check_shape(
    block: &PathBlock,
    model: &FlatModel,
    first: u32,
    n: u32,
) -> Result<(), EngineError> {
    let n_opt = model.run.n_options;
    let want_len = n as usize * n_opt as usize * N_OUT;
    if block.first_path != first
        || block.n_paths != n
        || block.n_options != n_opt
        || block.values.len() != want_len
        || block.n_months != model.run.n_months
        || block.monthly.len() != n as usize * PathBlock::monthly_len(model)
    {
        return Err(EngineError::Bug(format!(
            "engine returned {} paths from {} x {} options ({} values) for a request of {n} paths from {first} x {n_opt} options",
            block.n_paths,
            block.first_path,
            block.n_options,
            block.values.len()
        )));
    }
    Ok(())
}

/// What happened when the primary engine failed and the fallback engine took over.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FallbackEvent {
    /// First path simulated by the fallback engine (the first path of the failed chunk):
    /// paths before it come from the primary engine, this one and all after it from the fallback.
    pub at_path: u32,
    /// Paths the fallback engine simulated.
    pub paths_on_fallback: u32,
    /// The primary engine's error.
    pub reason: String,
    /// The primary engine.
    pub from: EngineInfo,
    /// The fallback engine.
    pub to: EngineInfo,
}

/// A primary engine and the engine that takes over if it fails (GPU, then CPU).
#[derive(Clone, Copy)]
pub struct WithFallback<'a> {
    /// The engine that starts the run.
    pub primary: &'a dyn Engine,
    /// The engine that finishes it if the primary fails.
    pub fallback: &'a dyn Engine,
}

/// Like [`run_paths`], on `engines.primary`; if it fails with [`EngineError::Device`] (device
/// lost, out of memory, timeout), the run continues on `engines.fallback` from the first path
/// of the failed chunk, with the same chunk boundaries. Nothing of a failed chunk reaches `sink`, so
/// `sink` still sees every path exactly once, in order; with engines that compute the same
/// outputs the merged result is that of a run on either engine alone.
///
/// `on_fallback` is called once, before the fallback engine starts. Returns the fallback
/// event, or `None` if the primary engine finished the run. Errors: a bug (an
/// [`EngineError::Bug`] or a non-finite output, whichever engine) and any failure of the
/// fallback engine end the run.
pub fn run_paths_with_fallback(
    engines: WithFallback<'_>,
    model: &FlatModel,
    n_paths: u32,
    chunk: u32,
    sink: impl FnMut(&PathBlock),
    progress: impl FnMut(u32),
    on_fallback: impl FnOnce(&FallbackEvent),
) -> Result<Option<FallbackEvent>, EngineError> {
    run_path_range_with_fallback(
        engines,
        model,
        0..n_paths,
        chunk,
        sink,
        progress,
        on_fallback,
    )
}

/// Like [`run_paths`] for paths `paths` only: a run continued in batches (`fleetsim run
/// --target-se`) feeds the same blocks, in path order, as one run of `0 .. paths.end`.
pub fn run_path_range(
    engine: &dyn Engine,
    model: &FlatModel,
    paths: std::ops::Range<u32>,
    chunk: u32,
    mut sink: impl FnMut(&PathBlock),
    mut progress: impl FnMut(u32),
) -> Result<(), EngineError> {
    run_chunks(
        engine,
        model,
        paths.start,
        paths.end,
        chunk,
        &mut sink,
        &mut progress,
    )
    .map_err(|(_, e)| e)
}

/// Like [`run_paths_with_fallback`] for paths `paths` only (see [`run_path_range`]); the
/// event's `paths_on_fallback` counts the paths of this range the fallback ran.
pub fn run_path_range_with_fallback(
    engines: WithFallback<'_>,
    model: &FlatModel,
    paths: std::ops::Range<u32>,
    chunk: u32,
    mut sink: impl FnMut(&PathBlock),
    mut progress: impl FnMut(u32),
    on_fallback: impl FnOnce(&FallbackEvent),
) -> Result<Option<FallbackEvent>, EngineError> {
    let WithFallback { primary, fallback } = engines;
    let (from, to) = (paths.start, paths.end);
    match run_chunks(primary, model, from, to, chunk, &mut sink, &mut progress) {
        Ok(()) => Ok(None),
        Err((at_path, EngineError::Device(reason))) => {
            let event = FallbackEvent {
                at_path,
                paths_on_fallback: to - at_path,
                reason,
                from: primary.info(),
                to: fallback.info(),
            };
            on_fallback(&event);
            run_chunks(
                fallback,
                model,
                at_path,
                to,
                chunk,
                &mut sink,
                &mut progress,
            )
            .map_err(|(_, e)| e)?;
            Ok(Some(event))
        }
        Err((_, e)) => Err(e),
    }
}
