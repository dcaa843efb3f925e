//! How many Philox blocks a workload consumes per path-day, counted (not estimated) with the
//! RNG's thread-local block counter (`crate::model::philox::blocks_on_this_thread`) around single-threaded
//! runs of a sample of paths. The count depends on the draws (Poisson and binomial samplers loop
//! a random number of times), so it is a sample mean, exact for the paths counted.
//!
//! The engines consume differently: the CPU draws each day's environment stream once per path,
//! the GPU kernel runs one invocation per (path, option) and redraws the environment in each.
//! The GPU's count is therefore the sum over options of the count of that option alone.

use crate::model::fleet_step::simulate_path;
use crate::model::outputs::N_OUT;
use crate::model::params::{FlatModel, MAX_OPTIONS};
use crate::model::philox::blocks_on_this_thread;

/// Blocks consumed per path-day, per engine.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BlocksPerPathDay {
    /// The CPU engine (environment drawn once per path and day).
    pub cpu: f64,
    /// The GPU engine (environment redrawn by every option's invocation).
    pub gpu: f64,
}

/// Blocks `simulate_path` draws for paths `0 .. paths` of `m`, on this thread.
fn count(m: &FlatModel, paths: u32) -> u64 {
    let mut out = [0f32; MAX_OPTIONS * N_OUT];
    let n = m.run.n_options as usize * N_OUT;
    let before = blocks_on_this_thread();
    for p in 0..paths {
        simulate_path::<f32>(m, p, &mut out[..n], &mut []);
    }
    blocks_on_this_thread() - before
}

/// `m` with option `o` only (the copula dropped: it reshapes uniforms, it draws none).
fn only_option(m: &FlatModel, o: usize) -> FlatModel {
    let mut one = m.clone();
    one.options = vec![m.options[o]];
    one.run.n_options = 1;
    one.run.n_corr = 0;
    one
}

/// Philox blocks per path-day of `models` (a sweep's points share the count's weight equally;
/// at most 4 evenly spaced points are counted), over `paths` paths of each.
pub fn blocks_per_path_day(models: &[FlatModel], paths: u32) -> BlocksPerPathDay {
    let step = models.len().div_ceil(4).max(1);
    let (mut cpu, mut gpu, mut path_days) = (0u64, 0u64, 0u64);
    for m in models.iter().step_by(step) {
        cpu += count(m, paths);
        for o in 0..m.run.n_options as usize {
            gpu += count(&only_option(m, o), paths);
        }
        path_days += paths as u64 * m.run.horizon_days as u64;
    }
    let d = path_days.max(1) as f64;
    BlocksPerPathDay {
        cpu: cpu as f64 / d,
        gpu: gpu as f64 / d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stream_of_every_day_draws_at_least_one_block() {
        let s = crate::config::default_scenario();
        let m = crate::config::flatten(&s, 3);
        let n_opt = m.run.n_options as f64;
        let b = blocks_per_path_day(std::slice::from_ref(&m), 4);
        // Each day opens one environment stream and one stream per option: at least 1 + n_opt
        // blocks per path-day on the CPU, n_opt (1 + 1) on the GPU.
        assert!(b.cpu >= 1.0 + n_opt, "{b:?}");
        assert!(b.gpu >= 2.0 * n_opt, "{b:?}");
        // The GPU redraws the environment once per extra option, never less than the CPU.
        assert!(b.gpu > b.cpu, "{b:?}");
        // The same paths give the same count (the count is of draws, not of time).
        assert_eq!(b, blocks_per_path_day(std::slice::from_ref(&m), 4));
    }
}
