//! Runs the workload set on one device: finds the devices (every GPU adapter, the CPU engine),
//! warms each workload up, sizes it to the time budget, times the repetitions and turns them
//! into a [`DeviceResult`].
//!
//! Sizing: a workload starts at its `--quick` size and grows until one run takes at least
//! [`PROBE_SECONDS`] (or reaches its nominal size); that last probe is the warm-up. If the
//! measured speed says the nominal size would take longer than the budget, the repetitions run
//! the size that fits the budget instead, and the result says `scaled_down`. Throughput
//! (path-days per second) is a fair figure either way; totals are not.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::consumption::BlocksPerPathDay;
use super::report::{DeviceResult, Host, PhiloxFigure, Spread, TimeSplit, WorkloadResult};
use super::rng_ceiling::xor_blocks_parallel;
use super::workload::{RNG_BLOCKS_PER_UNIT, Workload, WorkloadKind, models};
use crate::engine::cpu::{CpuEngine, cpu_description};
use crate::engine::{Engine, EngineError, EngineInfo, PathBlock, run_points};
use crate::gpu::adapter::{self, AdapterSummary};
use crate::gpu::rng_throughput::{RngThroughput, ThroughputJob};
use crate::gpu::{GpuContext, GpuEngine};
use crate::model::params::FlatModel;
use crate::stats::RunAggregate;

/// A probe run at least this long ends the warm-up and sets the speed estimate.
pub const PROBE_SECONDS: f64 = 0.5;
/// Default time budget per repetition of one workload, seconds.
pub const DEFAULT_BUDGET_SECONDS: f64 = 10.0;
/// Default timed repetitions per workload.
pub const DEFAULT_REPS: u32 = 3;

/// How to run the workloads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BenchOptions {
    /// Tiny sizes, no probing (a smoke test of the whole pipeline).
    pub quick: bool,
    /// Timed repetitions per workload (after the warm-up).
    pub reps: u32,
    /// Time budget per repetition, seconds.
    pub budget_s: f64,
}

/// The GPU engine and the RNG-only kernel on one device.
pub struct GpuTarget {
    /// The simulation engine.
    pub engine: GpuEngine,
    /// The RNG-only throughput kernel, with the device's Philox variant.
    pub rng: RngThroughput,
    /// The same kernel with the device's other Philox variants (the fallback, where the
    /// device uses the native multiply), measured beside it.
    pub rng_other: Vec<RngThroughput>,
}

/// A device the workloads run on.
pub enum Target {
    /// The CPU engine.
    Cpu(CpuEngine),
    /// The GPU engine on one adapter.
    Gpu(Box<GpuTarget>),
}

impl Target {
    /// The GPU target on an opened device (timestamps are used when the device was opened
    /// with [`GpuContext::new_timed`] and supports them).
    pub fn gpu(ctx: Arc<GpuContext>) -> Result<Target, String> {
        let rng = RngThroughput::new(ctx.clone()).map_err(|e| e.to_string())?;
        let rng_other = ctx
            .philox_variants()
            .into_iter()
            .filter(|&p| p != ctx.philox)
            .map(|p| RngThroughput::with_philox(ctx.clone(), p).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let engine = GpuEngine::new(ctx).map_err(|e| e.to_string())?;
        Ok(Target::Gpu(Box::new(GpuTarget {
            engine,
            rng,
            rng_other,
        })))
    }

    /// The engine that simulates.
    fn engine(&self) -> &dyn Engine {
        match self {
            Target::Cpu(e) => e,
            Target::Gpu(g) => &g.engine,
        }
    }

    /// `cpu` or `gpu NAME (api)`, for messages.
    pub fn label(&self) -> String {
        match self {
            Target::Cpu(_) => format!("cpu {}", cpu_description()),
            Target::Gpu(g) => format!("gpu {}", g.engine.context().adapter.label()),
        }
    }

    /// What the results file says about this device (no results yet).
    pub fn describe(&self) -> DeviceResult {
        let info: EngineInfo = self.engine().info();
        match self {
            Target::Cpu(e) => {
                let threads = Some(e.threads());
                DeviceResult {
                    engine: "cpu".into(),
                    name: Host::this().cpu_model,
                    vendor: Host::cpu_vendor(),
                    backend: "rayon".into(),
                    driver: info.driver,
                    device_type: "cpu".into(),
                    software: false,
                    limits: None,
                    threads,
                    precision: "f32".into(),
                    timing_source: "cpu_wall".into(),
                    philox: None,
                    workloads: vec![],
                    error: None,
                }
            }
            Target::Gpu(g) => {
                let ctx = g.engine.context();
                let a: &AdapterSummary = &ctx.adapter;
                DeviceResult {
                    engine: "gpu".into(),
                    name: a.name.clone(),
                    vendor: format!("{:#06x}", a.vendor),
                    backend: a.backend.clone(),
                    driver: format!("{} {}", a.driver, a.driver_info).trim().to_string(),
                    device_type: a.device_type.clone(),
                    software: a.software,
                    limits: a.limits,
                    threads: None,
                    precision: "f32".into(),
                    timing_source: if ctx.timestamps() {
                        "gpu_timestamps"
                    } else {
                        "wall_submit_poll"
                    }
                    .into(),
                    philox: Some(g.engine.philox().name().into()),
                    workloads: vec![],
                    error: None,
                }
            }
        }
    }
}

/// The GPU adapters to bench: those whose label contains `name` (every API), or without a
/// name every adapter, one API per physical device (the most preferred, see
/// `AdapterSummary::preference`). Each is opened with timestamp queries where supported; an
/// adapter that does not open is returned as its label and the reason.
pub fn gpu_targets(name: Option<&str>) -> Vec<Result<Target, (String, String)>> {
    let adapters = adapter::enumerate();
    let mut seen: Vec<(String, u32, u32)> = vec![];
    let mut out = vec![];
    for a in &adapters {
        let s = AdapterSummary::from_adapter(a);
        match name {
            Some(n) if !s.matches(n) => continue,
            Some(_) => {}
            None => {
                // `enumerate` lists the most preferred API of a device first.
                let key = (s.name.clone(), s.vendor, s.device);
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
            }
        }
        let t = GpuContext::new_timed(a)
            .map_err(|e| e.to_string())
            .and_then(|ctx| Target::gpu(Arc::new(ctx)));
        out.push(t.map_err(|e| (s.label(), e)));
    }
    out
}

/// Times the simulate calls of the engine it wraps (the CPU engine's "kernel" time).
struct Timed<'a> {
    inner: &'a dyn Engine,
    ns: AtomicU64,
}

impl Engine for Timed<'_> {
    fn info(&self) -> EngineInfo {
        self.inner.info()
    }
    fn chunk_paths(&self, n_options: u32) -> u32 {
        self.inner.chunk_paths(n_options)
    }
    fn points_per_call(&self, n_points: usize, n_paths: u32) -> usize {
        self.inner.points_per_call(n_points, n_paths)
    }
    fn simulate(&self, m: &FlatModel, first: u32, n: u32) -> Result<PathBlock, EngineError> {
        let t0 = Instant::now();
        let r = self.inner.simulate(m, first, n);
        self.ns
            .fetch_add(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
        r
    }
    fn simulate_points(
        &self,
        models: &[&FlatModel],
        first: u32,
        n: u32,
    ) -> Result<Vec<PathBlock>, EngineError> {
        let t0 = Instant::now();
        let r = self.inner.simulate_points(models, first, n);
        self.ns
            .fetch_add(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
        r
    }
}

/// One timed run.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    wall_s: f64,
    split: TimeSplit,
}

/// Runs `paths` paths of each of `models` through `engine::run_points` (the driver of sweeps:
/// the engine may pack several points per call) with host aggregation, timing every phase.
fn run_models(target: &Target, models: &[FlatModel], paths: u32) -> Result<Sample, String> {
    let timed = Timed {
        inner: target.engine(),
        ns: AtomicU64::new(0),
    };
    let (gpu0, pass0) = gpu_clocks(target);
    let mut aggs: Vec<RunAggregate> = models
        .iter()
        .map(|m| RunAggregate::new(m.run.n_options as usize, m.run.n_years as usize))
        .collect();
    let mut agg_time = Duration::ZERO;
    let t0 = Instant::now();
    run_points(
        &timed,
        models,
        paths,
        |k, b| {
            let t = Instant::now();
            aggs[k].add_block(b);
            agg_time += t.elapsed();
        },
        |_| {},
    )
    .map_err(|e| e.to_string())?;
    let t = Instant::now();
    for (a, m) in aggs.iter().zip(models) {
        let names: Vec<String> = (0..m.run.n_options).map(|o| format!("o{o}")).collect();
        black_box(a.finish(&names));
    }
    agg_time += t.elapsed();
    let wall_s = t0.elapsed().as_secs_f64();
    let (gpu1, pass1) = gpu_clocks(target);
    let split = match (gpu0, gpu1) {
        (Some(a), Some(b)) => TimeSplit {
            upload_s: (b.upload - a.upload).as_secs_f64(),
            kernels_s: match (pass0, pass1) {
                (Some(p0), Some(p1)) => (p1 - p0).as_secs_f64(),
                _ => (b.kernel - a.kernel).as_secs_f64(),
            },
            readback_s: (b.readback - a.readback).as_secs_f64(),
            host_aggregation_s: agg_time.as_secs_f64(),
        },
        _ => TimeSplit {
            kernels_s: Duration::from_nanos(timed.ns.load(Ordering::Relaxed)).as_secs_f64(),
            host_aggregation_s: agg_time.as_secs_f64(),
            ..TimeSplit::default()
        },
    };
    Ok(Sample { wall_s, split })
}

/// The GPU engine's phase clocks and the device's timestamp total (None on the CPU).
fn gpu_clocks(target: &Target) -> (Option<crate::gpu::engine::GpuTimings>, Option<Duration>) {
    match target {
        Target::Cpu(_) => (None, None),
        Target::Gpu(g) => (Some(g.engine.timings()), g.engine.context().pass_time()),
    }
}

/// Key of the RNG-only workload's blocks.
const RNG_KEY: [u32; 2] = [0x5EED_u32, 0xBE7C];

/// Draws `units` x [`RNG_BLOCKS_PER_UNIT`] Philox blocks on the device (the GPU with its own
/// Philox variant).
fn run_rng(target: &Target, units: u64) -> Result<Sample, String> {
    let key = RNG_KEY;
    let units = units.min(u32::MAX as u64) as u32;
    match target {
        Target::Cpu(e) => {
            let t0 = Instant::now();
            // On the engine's own threads: with --threads N the ceiling is that of N cores.
            black_box(e.install(|| xor_blocks_parallel(key, 0, units, RNG_BLOCKS_PER_UNIT)));
            let wall_s = t0.elapsed().as_secs_f64();
            Ok(Sample {
                wall_s,
                split: TimeSplit {
                    kernels_s: wall_s,
                    ..TimeSplit::default()
                },
            })
        }
        Target::Gpu(g) => run_rng_kernel(&g.rng, units),
    }
}

/// Draws `units` x [`RNG_BLOCKS_PER_UNIT`] Philox blocks with the throughput kernel `k`.
fn run_rng_kernel(k: &RngThroughput, units: u32) -> Result<Sample, String> {
    let ctx = k.context();
    let pass0 = ctx.pass_time();
    let max = k.max_invocations();
    let t0 = Instant::now();
    let mut done = 0u32;
    while done < units {
        let count = max.min(units - done);
        let job = ThroughputJob {
            first: done,
            count,
            blocks: RNG_BLOCKS_PER_UNIT,
            day: 0,
            stream: 0,
            key: RNG_KEY,
        };
        k.run(&job, false).map_err(|e| e.to_string())?;
        done += count;
    }
    let wall_s = t0.elapsed().as_secs_f64();
    let kernels_s = match (pass0, ctx.pass_time()) {
        (Some(a), Some(b)) => (b - a).as_secs_f64(),
        _ => wall_s,
    };
    Ok(Sample {
        wall_s,
        split: TimeSplit {
            kernels_s,
            ..TimeSplit::default()
        },
    })
}

/// Warms up, sizes and repeats `run` (under `--quick`: the quick size, no warm-up); returns the size run, whether it is below nominal, and
/// the timed samples.
fn measure(
    w: &Workload,
    opts: &BenchOptions,
    mut run: impl FnMut(u64) -> Result<Sample, String>,
) -> Result<(u64, bool, Vec<Sample>), String> {
    let size = if opts.quick {
        // No warm-up: a smoke test of the pipeline, not a measurement.
        w.quick
    } else {
        let mut n = w.quick.max(1);
        let mut t;
        loop {
            t = run(n)?.wall_s.max(1e-9);
            if t >= PROBE_SECONDS || n >= w.nominal {
                break;
            }
            let grow = (PROBE_SECONDS / t * 1.2).clamp(2.0, 16.0);
            n = ((n as f64 * grow).ceil() as u64).min(w.nominal);
        }
        let fits = (n as f64 / t * opts.budget_s).floor() as u64;
        fits.clamp(1, w.nominal)
    };
    let samples = (0..opts.reps.max(1))
        .map(|_| run(size))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((size, size < w.nominal, samples))
}

/// Median of each phase over the samples.
fn median_split(samples: &[Sample]) -> TimeSplit {
    let m = |f: fn(&TimeSplit) -> f64| {
        Spread::of(&samples.iter().map(|s| f(&s.split)).collect::<Vec<_>>()).median
    };
    TimeSplit {
        upload_s: m(|s| s.upload_s),
        kernels_s: m(|s| s.kernels_s),
        readback_s: m(|s| s.readback_s),
        host_aggregation_s: m(|s| s.host_aggregation_s),
    }
}

/// Runs every workload of `set` on `target`; `consumption` gives blocks per path-day by
/// workload id. A failing workload ends the device's run with its error recorded.
pub fn bench_target(
    target: &Target,
    set: &[Workload],
    consumption: &[(String, BlocksPerPathDay)],
    opts: &BenchOptions,
    log: &mut dyn FnMut(&str),
) -> DeviceResult {
    let mut dev = target.describe();
    let mut ceiling_blocks_per_s: Option<f64> = None;
    for w in set {
        match bench_workload(target, w, consumption, ceiling_blocks_per_s, opts) {
            Ok(r) => {
                if w.kind == WorkloadKind::RngOnly {
                    ceiling_blocks_per_s = r.philox_blocks_per_s.map(|s| s.median);
                }
                log(&summary_line(&r));
                dev.workloads.push(r);
            }
            Err(e) => {
                log(&format!("{}: failed: {e}", w.id));
                dev.error = Some(format!("{}: {e}", w.id));
                break;
            }
        }
    }
    dev
}

/// One line per finished workload for the progress log.
pub fn summary_line(r: &WorkloadResult) -> String {
    let q = crate::export::format::qty;
    let n = crate::export::format::group_thousands;
    let size = match (r.paths_run, r.paths_nominal, r.blocks_run, r.blocks_nominal) {
        (Some(a), Some(b), _, _) => format!("{} of {} paths", n(a), n(b)),
        (_, _, Some(a), Some(b)) => format!("{} of {} blocks", n(a), n(b)),
        _ => String::new(),
    };
    let speed = match (&r.path_days_per_s, &r.philox_blocks_per_s) {
        (Some(s), _) => format!("{} path-days/s", q(s.median)),
        (_, Some(s)) => format!("{} Philox blocks/s", q(s.median)),
        _ => String::new(),
    };
    let frac = r
        .fraction_of_rng_ceiling
        .map(|f| format!(", {:.1}% of the RNG ceiling", 100.0 * f))
        .unwrap_or_default();
    let variants = match &r.philox_variants {
        Some(v) => {
            let each: Vec<String> = v
                .iter()
                .map(|f| format!("{} {} blocks/s", f.variant, q(f.philox_blocks_per_s.median)))
                .collect();
            format!(" (Philox {})", each.join(", "))
        }
        None => String::new(),
    };
    format!(
        "{}: {size}{}, {} rep(s), median {:.3} s: {speed}{frac}{variants}",
        r.id,
        if r.scaled_down { " (scaled down)" } else { "" },
        r.reps,
        r.engine_s.median
    )
}

fn bench_workload(
    target: &Target,
    w: &Workload,
    consumption: &[(String, BlocksPerPathDay)],
    ceiling_blocks_per_s: Option<f64>,
    opts: &BenchOptions,
) -> Result<WorkloadResult, String> {
    let wall = |s: &[Sample]| Spread::of(&s.iter().map(|x| x.wall_s).collect::<Vec<_>>());
    if w.kind == WorkloadKind::RngOnly {
        let (units, scaled, samples) = measure(w, opts, |n| run_rng(target, n))?;
        let blocks = units * RNG_BLOCKS_PER_UNIT as u64;
        let rates: Vec<f64> = samples.iter().map(|s| blocks as f64 / s.wall_s).collect();
        // On a GPU, each Philox variant the device compiles, its own first.
        let philox_variants = match target {
            Target::Cpu(_) => None,
            Target::Gpu(g) => {
                let mut v = vec![PhiloxFigure {
                    variant: g.rng.philox().name().into(),
                    blocks_run: blocks,
                    philox_blocks_per_s: Spread::of(&rates),
                }];
                for k in &g.rng_other {
                    let (u, _, s) = measure(w, opts, |n| {
                        run_rng_kernel(k, n.min(u32::MAX as u64) as u32)
                    })?;
                    let b = u * RNG_BLOCKS_PER_UNIT as u64;
                    v.push(PhiloxFigure {
                        variant: k.philox().name().into(),
                        blocks_run: b,
                        philox_blocks_per_s: Spread::of(
                            &s.iter().map(|x| b as f64 / x.wall_s).collect::<Vec<_>>(),
                        ),
                    });
                }
                Some(v)
            }
        };
        return Ok(WorkloadResult {
            id: w.id.into(),
            kind: w.kind,
            description: w.description.into(),
            points: 0,
            options: 0,
            horizon_days: 0,
            paths_nominal: None,
            paths_run: None,
            blocks_nominal: Some(w.nominal * RNG_BLOCKS_PER_UNIT as u64),
            blocks_run: Some(blocks),
            scaled_down: scaled,
            reps: samples.len() as u32,
            path_days_run: 0.0,
            engine_s: wall(&samples),
            path_days_per_s: None,
            philox_blocks_per_s: Some(Spread::of(&rates)),
            rng_blocks_per_path_day: None,
            rng_ceiling_path_days_per_s: None,
            fraction_of_rng_ceiling: None,
            split: median_split(&samples),
            philox_variants,
        });
    }
    let ms = models(w.kind);
    let first = ms.first().ok_or("workload without a model")?;
    let (n_opt, horizon) = (first.run.n_options, first.run.horizon_days);
    let (paths, scaled, samples) = measure(w, opts, |n| {
        run_models(target, &ms, n.min(u32::MAX as u64) as u32)
    })?;
    let path_days = ms.len() as f64 * paths as f64 * horizon as f64;
    let pds = Spread::of(
        &samples
            .iter()
            .map(|s| path_days / s.wall_s)
            .collect::<Vec<_>>(),
    );
    let per_day = consumption
        .iter()
        .find(|(id, _)| id == w.id)
        .map(|(_, b)| match target {
            Target::Cpu(_) => b.cpu,
            Target::Gpu(_) => b.gpu,
        });
    let ceiling = match (ceiling_blocks_per_s, per_day) {
        (Some(c), Some(b)) if b > 0.0 => Some(c / b),
        _ => None,
    };
    Ok(WorkloadResult {
        id: w.id.into(),
        kind: w.kind,
        description: w.description.into(),
        points: ms.len() as u32,
        options: n_opt,
        horizon_days: horizon,
        paths_nominal: Some(w.nominal),
        paths_run: Some(paths),
        blocks_nominal: None,
        blocks_run: None,
        scaled_down: scaled,
        reps: samples.len() as u32,
        path_days_run: path_days,
        engine_s: wall(&samples),
        path_days_per_s: Some(pds),
        philox_blocks_per_s: None,
        rng_blocks_per_path_day: per_day,
        rng_ceiling_path_days_per_s: ceiling,
        fraction_of_rng_ceiling: ceiling.map(|c| pds.median / c),
        split: median_split(&samples),
        philox_variants: None,
    })
}
