//! Fault injection: an engine wrapper that fails one chunk the way a lost GPU would, to test
//! the CPU fallback ([`super::run_paths_with_fallback`]) without breaking a real device, or the
//! way a broken engine would, to test that a bug ends the run instead of falling back.
//!
//! The CLI wraps the GPU engine in it when the hidden environment variable [`FAULT_ENV`] is
//! set (the command-line tests use this); nothing else does.

use std::sync::atomic::{AtomicU32, Ordering};

use super::{Engine, EngineError, EngineInfo, PathBlock};
use crate::model::params::FlatModel;

/// `FLEETSIM_FAULT_GPU_CHUNK=k`: the GPU engine of a `fleetsim run` fails its chunk `k`
/// (0-based) with a simulated device loss; `k:bug` fails it with a simulated bug instead. For
/// tests only; see [`parse_fault`].
pub const FAULT_ENV: &str = "FLEETSIM_FAULT_GPU_CHUNK";

/// What an injected failure pretends to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The device was lost ([`EngineError::Device`]): the fallback engine takes over.
    DeviceLost,
    /// The engine broke its contract ([`EngineError::Bug`]): the run ends.
    Bug,
}

/// Reads a [`FAULT_ENV`] value: `k` (a device loss at chunk `k`) or `k:bug` (a bug at chunk
/// `k`); `None` if it is neither.
pub fn parse_fault(value: &str) -> Option<(u32, Fault)> {
    let value = value.trim();
    let (chunk, fault) = match value.strip_suffix(":bug") {
        Some(chunk) => (chunk, Fault::Bug),
        None => (value, Fault::DeviceLost),
    };
    Some((chunk.trim().parse().ok()?, fault))
}

/// Delegates to `inner` except on its `fail_at`-th call (0-based), which fails with the
/// error of its [`Fault`] without running `inner`; later calls delegate again.
#[derive(Debug)]
pub struct FailAtChunk<E> {
    inner: E,
    fail_at: u32,
    fault: Fault,
    calls: AtomicU32,
}

impl<E: Engine> FailAtChunk<E> {
    /// Wraps `inner` so that its call number `fail_at` fails with a device loss.
    pub fn new(inner: E, fail_at: u32) -> Self {
        Self::with_fault(inner, fail_at, Fault::DeviceLost)
    }

    /// Wraps `inner` so that its call number `fail_at` fails as `fault` says.
    pub fn with_fault(inner: E, fail_at: u32, fault: Fault) -> Self {
        FailAtChunk {
            inner,
            fail_at,
            fault,
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
            let at = format!(
                "injected fault at chunk {} (paths {first_path}..{}, {FAULT_ENV})",
                self.fail_at,
                first_path as u64 + n_paths as u64
            );
            match self.fault {
                Fault::DeviceLost => EngineError::Device(format!("GPU device lost: {at}")),
                Fault::Bug => EngineError::Bug(format!("engine broke its contract: {at}")),
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::overrides::synthetic_source;
    use crate::config::{BaseScenario, Override, flatten};
    use crate::engine::cpu::CpuEngine;
    use crate::engine::{
        Precision, WithFallback, run_paths_with_fallback, run_points_with_fallback,
    };

    #[test]
    fn the_fault_hook_reads_a_chunk_and_an_optional_kind() {
        assert_eq!(parse_fault("3"), Some((3, Fault::DeviceLost)));
        assert_eq!(parse_fault(" 0:bug "), Some((0, Fault::Bug)));
        assert_eq!(parse_fault("x"), None);
        assert_eq!(parse_fault("2:lost"), None);
        assert_eq!(parse_fault(":bug"), None);
    }

    /// The built-in scenario over one year (a short run).
    fn model() -> FlatModel {
        let src = synthetic_source("test");
        let s = BaseScenario::builtin_default()
            .with(&[Override::number("scenario.horizon_years", 1.0, &src, 0)])
            .expect("variant");
        flatten(&s, 7)
    }

    #[test]
    fn a_bug_ends_the_run_and_a_device_loss_falls_back() {
        let m = model();
        let cpu = CpuEngine::new(Precision::F32);
        for (fault, falls_back) in [(Fault::DeviceLost, true), (Fault::Bug, false)] {
            let primary = FailAtChunk::with_fault(CpuEngine::new(Precision::F32), 1, fault);
            let engines = WithFallback {
                primary: &primary,
                fallback: &cpu,
            };
            let (mut blocks, mut notices) = (0, 0);
            let r = run_paths_with_fallback(
                engines,
                &m,
                64,
                16,
                |_| blocks += 1,
                |_| {},
                |_| notices += 1,
            );
            match (r, falls_back) {
                (Ok(Some(event)), true) => {
                    assert_eq!((event.at_path, blocks, notices), (16, 4, 1));
                }
                (Err(e @ EngineError::Bug(_)), false) => {
                    assert!(e.to_string().contains("this is a bug"), "{e}");
                    // Chunk 0 reached the sink; nothing after the failure, no fallback.
                    assert_eq!((blocks, notices), (1, 0));
                }
                (r, _) => panic!("{fault:?}: {r:?}"),
            }
        }
    }

    #[test]
    fn a_bug_in_a_sweep_does_not_fall_back_either() {
        let models = vec![model(), model()];
        let cpu = CpuEngine::new(Precision::F32);
        let primary = FailAtChunk::with_fault(CpuEngine::new(Precision::F32), 0, Fault::Bug);
        let engines = WithFallback {
            primary: &primary,
            fallback: &cpu,
        };
        let mut notices = 0;
        let r = run_points_with_fallback(engines, &models, 32, |_, _| {}, |_| {}, |_| notices += 1);
        assert!(matches!(r, Err(EngineError::Bug(_))), "{r:?}");
        assert_eq!(notices, 0);
    }
}
