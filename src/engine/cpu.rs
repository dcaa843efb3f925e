//! The CPU engine: runs `model::fleet_step::simulate_path` for every path of a block, in parallel
//! over all cores (rayon), in f32 (the GPU's precision and operation order) or f64 (reference).
//! Each path writes only its own slice of the block, so the result is the same for any thread
//! count.

use rayon::prelude::*;

use super::{Engine, EngineError, EngineInfo, PathBlock, Precision};
use crate::model::fleet_step::simulate_path;
use crate::model::outputs::N_OUT;
use crate::model::params::{FlatModel, MAX_OPTIONS};
use crate::model::real::Real;

/// The CPU engine: all cores through rayon's global pool, or its own pool of `threads`.
#[derive(Debug, Default)]
pub struct CpuEngine {
    precision: Precision,
    /// A dedicated pool when a thread count was asked for; built once, reused every chunk.
    pool: Option<rayon::ThreadPool>,
}

impl CpuEngine {
    /// A CPU engine in the given precision on all cores.
    pub fn new(precision: Precision) -> Self {
        CpuEngine {
            precision,
            pool: None,
        }
    }

    /// A CPU engine on `threads` worker threads (`None` = all cores).
    pub fn with_threads(precision: Precision, threads: Option<usize>) -> Result<Self, EngineError> {
        let pool = match threads {
            None => None,
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| EngineError::Device(format!("cannot start {n} threads: {e}")))?,
            ),
        };
        Ok(CpuEngine { precision, pool })
    }

    fn fill<F: Real>(model: &FlatModel, block: &mut PathBlock) {
        let n_opt = block.n_options as usize;
        let first = block.first_path;
        let per_mon = PathBlock::monthly_len(model);
        if per_mon == 0 {
            block
                .values
                .par_chunks_mut(n_opt * N_OUT)
                .enumerate()
                .for_each(|(i, dst)| {
                    let mut buf = [F::c(0.0); MAX_OPTIONS * N_OUT];
                    simulate_path::<F>(model, first + i as u32, &mut buf[..n_opt * N_OUT], &mut []);
                    widen(dst, &buf);
                });
            return;
        }
        block
            .values
            .par_chunks_mut(n_opt * N_OUT)
            .zip(block.monthly.par_chunks_mut(per_mon))
            .enumerate()
            .for_each_init(
                || vec![F::c(0.0); per_mon],
                |mon, (i, (dst, dst_mon))| {
                    let mut buf = [F::c(0.0); MAX_OPTIONS * N_OUT];
                    simulate_path::<F>(model, first + i as u32, &mut buf[..n_opt * N_OUT], mon);
                    widen(dst, &buf);
                    widen(dst_mon, mon);
                },
            );
    }

    /// Runs `f` on this engine's threads (its own pool under `--threads`, else rayon's global
    /// pool), so work measured beside the engine (the bench's RNG ceiling) uses the same cores.
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            None => f(),
            Some(pool) => pool.install(f),
        }
    }

    /// Worker threads this engine runs on.
    pub fn threads(&self) -> usize {
        self.pool
            .as_ref()
            .map_or_else(rayon::current_num_threads, |p| p.current_num_threads())
    }

    fn run(&self, model: &FlatModel, block: &mut PathBlock) {
        match self.precision {
            Precision::F32 => Self::fill::<f32>(model, block),
            Precision::F64 => Self::fill::<f64>(model, block),
        }
    }
}

/// Copies an engine's values into a block's f64 slots.
fn widen<F: Real>(dst: &mut [f64], src: &[F]) {
    for (d, v) in dst.iter_mut().zip(src.iter()) {
        *d = v.to_f64();
    }
}

/// A field of `/proc/cpuinfo` (first CPU), e.g. `model name`, `vendor_id`; `None` elsewhere
/// than Linux.
pub fn cpuinfo_field(name: &str) -> Option<String> {
    std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split(':').nth(1))
            .map(|v| v.trim().to_string())
    })
}

/// The CPU model name, or the architecture where the OS does not say.
pub fn cpu_model() -> String {
    cpuinfo_field("model name").unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// Logical cores of this machine.
pub fn logical_cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The CPU model and the logical cores rayon will use, for the summary.
pub fn cpu_description() -> String {
    format!("{} ({} logical cores)", cpu_model(), logical_cores())
}

impl Engine for CpuEngine {
    fn info(&self) -> EngineInfo {
        let threads = self.threads();
        EngineInfo {
            backend: "cpu".into(),
            adapter: cpu_description(),
            driver: format!("rayon, {threads} threads"),
            precision: self.precision,
        }
    }

    fn simulate(
        &self,
        model: &FlatModel,
        first_path: u32,
        n_paths: u32,
    ) -> Result<PathBlock, EngineError> {
        let mut block = PathBlock::for_model(model, first_path, n_paths);
        self.install(|| self.run(model, &mut block));
        Ok(block)
    }
}
