//! The results file of `fleetsim bench` (`--out bench.json`): what was measured, on what, with
//! which fleetsim and workload set, and every figure. Its JSON Schema is
//! `docs/bench.schema.json` (the tests validate written files against it). Fields are only
//! ever added within a [`SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};

use super::consumption::BlocksPerPathDay;
use super::workload::WorkloadKind;
use crate::gpu::adapter::AdapterLimits;

/// Version of the results-file layout.
pub const SCHEMA_VERSION: u32 = 1;

/// The git commit fleetsim was built from (`build.rs`), if it was built from a git checkout.
pub fn git_commit() -> Option<String> {
    option_env!("FLEETSIM_GIT_COMMIT")
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

/// Median, smallest and largest of the repetitions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Median (mean of the middle two for an even count).
    pub median: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `xs` (all zero when empty).
    pub fn of(xs: &[f64]) -> Spread {
        if xs.is_empty() {
            return Spread {
                median: 0.0,
                min: 0.0,
                max: 0.0,
            };
        }
        let mut v = xs.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        };
        Spread {
            median,
            min: v[0],
            max: v[n - 1],
        }
    }
}

/// Where one repetition's time went, seconds (medians over repetitions). The engine simulates
/// chunk k + 1 while the host aggregates chunk k, so the parts may add up to more than the
/// engine time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeSplit {
    /// Uploading models and tables to the device (GPU; 0 on the CPU).
    pub upload_s: f64,
    /// Simulating: GPU compute passes (timestamps, or wall time around submit and poll, see
    /// `timing_source`), or the CPU engine's simulate calls.
    pub kernels_s: f64,
    /// Mapping GPU results and widening them into host blocks (0 on the CPU).
    pub readback_s: f64,
    /// Host aggregation (`RunAggregate`: moments, sketches, pairs) including the final summary.
    pub host_aggregation_s: f64,
}

/// One workload's figures on one device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadResult {
    /// Workload id (see `workload::workload_set`).
    pub id: String,
    /// What it runs.
    pub kind: WorkloadKind,
    /// What it measures, for people.
    pub description: String,
    /// Model points run (100 for the sweep, 1 otherwise, 0 for the RNG-only workload).
    pub points: u32,
    /// Options per path (0 for the RNG-only workload).
    pub options: u32,
    /// Simulated days per path (0 for the RNG-only workload).
    pub horizon_days: u32,
    /// Paths (per point) the workload stands for; null for the RNG-only workload.
    pub paths_nominal: Option<u64>,
    /// Paths (per point) actually run per repetition; null for the RNG-only workload.
    pub paths_run: Option<u64>,
    /// Philox blocks the RNG-only workload stands for; null for the others.
    pub blocks_nominal: Option<u64>,
    /// Philox blocks the RNG-only workload actually drew per repetition; null for the others.
    pub blocks_run: Option<u64>,
    /// True when the nominal size would have exceeded the time budget and a measured subset
    /// was run instead (throughput figures stay fair; totals are not the nominal ones).
    pub scaled_down: bool,
    /// Timed repetitions (after one untimed warm-up).
    pub reps: u32,
    /// Path-days per repetition (points x paths x days; 0 for the RNG-only workload).
    pub path_days_run: f64,
    /// Engine time per repetition, seconds: wall time of the run, aggregation included.
    pub engine_s: Spread,
    /// Path-days per second (one path-day: one simulated day of every option of one path).
    pub path_days_per_s: Option<Spread>,
    /// Philox blocks per second (RNG-only workload).
    pub philox_blocks_per_s: Option<Spread>,
    /// Philox blocks this device's engine consumes per path-day of this workload.
    pub rng_blocks_per_path_day: Option<f64>,
    /// This device's RNG ceiling for this workload: Philox blocks per second (median of the
    /// RNG-only workload) divided by blocks per path-day.
    pub rng_ceiling_path_days_per_s: Option<f64>,
    /// Median path-days per second as a fraction of the RNG ceiling.
    pub fraction_of_rng_ceiling: Option<f64>,
    /// Where the time went.
    pub split: TimeSplit,
    /// RNG-only workload on a GPU: Philox blocks per second with each Philox variant the
    /// device compiles, the one its kernels use first (`philox_blocks_per_s` is that one's).
    /// Null elsewhere, and in files written before it existed.
    #[serde(default)]
    pub philox_variants: Option<Vec<PhiloxFigure>>,
}

/// The RNG-only workload's throughput with one Philox variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhiloxFigure {
    /// `limbs16` (16-bit limbs, core WGSL) or `native64` (SHADER_INT64).
    pub variant: String,
    /// Philox blocks drawn per repetition.
    pub blocks_run: u64,
    /// Philox blocks per second.
    pub philox_blocks_per_s: Spread,
}

/// One device (the CPU engine, or the GPU engine on one adapter) and its results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceResult {
    /// `cpu` or `gpu`.
    pub engine: String,
    /// Adapter name, or the CPU model.
    pub name: String,
    /// PCI vendor id in hex for GPUs (`0x10de`), the CPU's vendor string for the CPU.
    pub vendor: String,
    /// Graphics API (`vulkan`, `metal`, `dx12`, `gl`), or `rayon` for the CPU engine.
    pub backend: String,
    /// Driver name and version, or the CPU engine's thread count.
    pub driver: String,
    /// wgpu device type (`discretegpu`, `integratedgpu`, `cpu` for software rasterisers...),
    /// or `cpu` for the CPU engine.
    pub device_type: String,
    /// Software rasteriser (llvmpipe, WARP): not a GPU.
    pub software: bool,
    /// The adapter limits fleetsim sizes dispatches from (GPU only).
    pub limits: Option<AdapterLimits>,
    /// Worker threads (CPU engine only).
    pub threads: Option<usize>,
    /// Arithmetic precision (`f32`).
    pub precision: String,
    /// `gpu_timestamps` (kernel time from GPU timestamp queries), `wall_submit_poll` (wall
    /// time around submit and poll: the adapter has no timestamp queries) or `cpu_wall`.
    pub timing_source: String,
    /// The Philox variant the GPU kernels use (`native64` where the device has SHADER_INT64,
    /// else `limbs16`); null for the CPU engine and in files written before it existed.
    #[serde(default)]
    pub philox: Option<String>,
    /// Results, in workload-set order.
    pub workloads: Vec<WorkloadResult>,
    /// Why a workload could not run on this device, if one failed (the device's other results
    /// stand).
    pub error: Option<String>,
}

/// The machine the bench ran on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// CPU model name.
    pub cpu_model: String,
    /// Logical cores.
    pub cpu_cores: usize,
    /// Operating system (and kernel release where known).
    pub os: String,
    /// CPU architecture.
    pub arch: String,
}

impl Host {
    /// This machine.
    pub fn this() -> Host {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| format!(" {}", s.trim()))
            .unwrap_or_default();
        Host {
            cpu_model: crate::engine::cpu::cpu_model(),
            cpu_cores: crate::engine::cpu::logical_cores(),
            os: format!("{}{release}", std::env::consts::OS),
            arch: std::env::consts::ARCH.into(),
        }
    }

    /// The CPU vendor string (`GenuineIntel`, `AuthenticAMD`), or the architecture.
    pub fn cpu_vendor() -> String {
        crate::engine::cpu::cpuinfo_field("vendor_id")
            .unwrap_or_else(|| std::env::consts::ARCH.into())
    }
}

/// How the bench was run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// `--quick`: tiny sizes, one repetition (a smoke test, not a measurement).
    pub quick: bool,
    /// Timed repetitions per workload.
    pub reps: u32,
    /// Time budget per repetition of one workload, seconds.
    pub budget_seconds: f64,
}

/// A `fleetsim bench` results file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchFile {
    /// Layout version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Workload set version (`workload::WORKLOAD_SET_VERSION`).
    pub workload_set_version: u32,
    /// fleetsim's version.
    pub fleetsim_version: String,
    /// The git commit fleetsim was built from, when known.
    pub git_commit: Option<String>,
    /// When the bench finished, seconds since the Unix epoch.
    pub created_unix_s: u64,
    /// The machine.
    pub host: Host,
    /// How it was run.
    pub settings: Settings,
    /// Blocks per path-day of each path workload, per engine (by workload id).
    pub rng_consumption: Vec<(String, BlocksPerPathDay)>,
    /// Every device benchmarked.
    pub devices: Vec<DeviceResult>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_median_min_max() {
        let s = Spread::of(&[3.0, 1.0, 2.0]);
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        let s = Spread::of(&[4.0, 1.0, 2.0, 3.0]);
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 4.0));
        assert_eq!(Spread::of(&[]).median, 0.0);
    }
}
