//! Fault injection: an engine wrapper that fails one chunk the way a lost GPU would, to test
//! the CPU fallback ([`super::run_paths_with_fallback`]) without breaking a real device.
//!
//! The CLI wraps the GPU engine in it when the hidden environment variable [`FAULT_ENV`] is
//! set (the command-line tests use this); nothing else does.

use std::sync::atomic::{AtomicU32, Ordering};

use super::{Engine, EngineError, EngineInfo, PathBlock};
use crate::model::params::FlatModel;

/// `FLEETSIM_FAULT_GPU_CHUNK=k`: the GPU engine of a `fleetsim run` fails its chunk `k`
/// (0-based) with a simulated device loss. For tests only.
pub const FAULT_ENV: &str = "FLEETSIM_FAULT_GPU_CHUNK";

/// Delegates to `inner` except on its `fail_at`-th call (0-based), which fails with
/// [`EngineError::Backend`] without running `inner`; later calls delegate again.
#[derive(Debug)]
pub struct FailAtChunk<E> {
    inner: E,
    fail_at: u32,
    calls: AtomicU32,
}

impl<E: Engine> FailAtChunk<E> {
    /// Wraps `inner` so that its call number `fail_at` fails.
    pub fn new(inner: E, fail_at: u32) -> Self {
        FailAtChunk {
            inner,
            fail_at,
            calls: AtomicU32::new(0),
        }
    }

    /// Calls made so far, failed one included.
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl<E: Engine> FailAtChunk<E> {
    /// Counts a call; the injected failure when it is call number `fail_at`.
    fn fail_now(&self, first_path: u32, n_paths: u32) -> Option<EngineError> {
        (self.calls.fetch_add(1, Ordering::SeqCst) == self.fail_at).then(|| {
            EngineError::Backend(format!(
                "GPU device lost: injected fault at chunk {} (paths {first_path}..{}, {FAULT_ENV})",
                self.fail_at,
                first_path as u64 + n_paths as u64
            ))
        })
    }
}

impl<E: Engine> Engine for FailAtChunk<E> {
    fn info(&self) -> EngineInfo {
        self.inner.info()
    }

    fn chunk_paths(&self, n_options: u32) -> u32 {
        self.inner.chunk_paths(n_options)
    }

    fn points_per_call(&self, n_points: usize, n_paths: u32) -> usize {
        self.inner.points_per_call(n_points, n_paths)
    }

    fn simulate_points(
        &self,
        models: &[&FlatModel],
        first_path: u32,
        n_paths: u32,
    ) -> Result<Vec<PathBlock>, EngineError> {
        match self.fail_now(first_path, n_paths) {
            Some(e) => Err(e),
            None => self.inner.simulate_points(models, first_path, n_paths),
        }
    }

    fn simulate(
        &self,
        model: &FlatModel,
        first_path: u32,
        n_paths: u32,
    ) -> Result<PathBlock, EngineError> {
        match self.fail_now(first_path, n_paths) {
            Some(e) => Err(e),
            None => self.inner.simulate(model, first_path, n_paths),
        }
    }
}
