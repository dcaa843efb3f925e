//! Criterion bench of the GPU engine on the built-in default scenario, end to end: dispatches,
//! readback and host aggregation (`RunAggregate`), as `fleetsim run` does. Throughput in
//! path-days per second (criterion's "elements/s"). Path counts: 1e5 and 1e6 on a hardware
//! adapter; on a software adapter (llvmpipe, ~0.5 M path-days/s) 2,000, because 1e5 paths
//! would take minutes per sample. `FLEETSIM_BENCH_GPU_PATHS=100000,1000000` overrides.
//! Without any adapter the bench says so and measures nothing.
//!
//! Ablation (what limits the kernel): the same scenario without failure classes (the fixed
//! per-day work only) and without the training-job view, at the first path count, so the
//! difference to the full scenario is the cost of the part removed.
//!
//! A sweep-shaped case runs many points with few paths each through `run_points`, twice: with
//! the points packed into shared dispatches (`simulate_points`) and one point per call (each
//! point's few paths its own small dispatches). Shape: 100 points x 1,000 paths, 5 years on a
//! hardware adapter; 50 points x 200 paths, 1 year on a software one.
//! `FLEETSIM_BENCH_GPU_SWEEP=POINTSxPATHSxYEARS` (e.g. `100x1000x5`) overrides. On a software
//! adapter the two differ little: the "GPU" is the CPU's cores, busy either way; the gain of
//! packing is on hardware, where a dispatch of a few thousand invocations leaves most of the
//! device's cores idle.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fleetsim::config::overrides::synthetic_source;
use fleetsim::config::{BaseScenario, Override, flatten};
use fleetsim::engine::{Engine, EngineError, EngineInfo, PathBlock, run_paths, run_points};
use fleetsim::gpu::GpuEngine;
use fleetsim::gpu::adapter::{self, AdapterRequest};
use fleetsim::model::params::FlatModel;
use fleetsim::stats::RunAggregate;

/// The GPU engine with one point per call (the trait's default `points_per_call`), to compare
/// against packed points.
struct OnePointPerCall<'a>(&'a GpuEngine);

impl Engine for OnePointPerCall<'_> {
    fn info(&self) -> EngineInfo {
        self.0.info()
    }
    fn chunk_paths(&self, n_options: u32) -> u32 {
        self.0.chunk_paths(n_options)
    }
    fn simulate(&self, m: &FlatModel, first: u32, n: u32) -> Result<PathBlock, EngineError> {
        self.0.simulate(m, first, n)
    }
}

/// `points` electricity-price variants of the default scenario over `years` years.
fn sweep_models(points: u32, years: f64) -> Vec<FlatModel> {
    let src = synthetic_source("bench sweep");
    let base = BaseScenario::builtin_default();
    (0..points)
        .map(|i| {
            let price = 0.04 + 0.2 * i as f64 / points.max(1) as f64;
            let s = base
                .with(&[
                    Override::number("scenario.horizon_years", years, &src, 0),
                    Override::number("environment.usd_per_kwh", price, &src, 0),
                ])
                .expect("valid sweep point");
            flatten(&s, 1)
        })
        .collect()
}

/// The sweep shape: points, paths per point, years.
fn sweep_shape(software: bool) -> (u32, u32, f64) {
    match std::env::var("FLEETSIM_BENCH_GPU_SWEEP") {
        Ok(v) => {
            let p: Vec<f64> = v
                .split('x')
                .map(|s| {
                    s.trim()
                        .parse()
                        .expect("FLEETSIM_BENCH_GPU_SWEEP: POINTSxPATHSxYEARS")
                })
                .collect();
            assert_eq!(p.len(), 3, "FLEETSIM_BENCH_GPU_SWEEP: POINTSxPATHSxYEARS");
            (p[0] as u32, p[1] as u32, p[2])
        }
        Err(_) if software => (50, 200, 1.0),
        Err(_) => (100, 1000, 5.0),
    }
}

fn gpu_engine(c: &mut Criterion) {
    let ctx = match adapter::open(&AdapterRequest::from_flag_or_env(None, true)) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("gpu_engine bench skipped: {e}");
            return;
        }
    };
    let a = ctx.adapter.clone();
    let engine = GpuEngine::new(ctx).expect("the simulate kernel compiles");
    let scenario = fleetsim::config::default_scenario();
    let model = fleetsim::config::flatten(&scenario, 1);
    let days = model.run.horizon_days as u64;
    let sizes: Vec<u32> = match std::env::var("FLEETSIM_BENCH_GPU_PATHS") {
        Ok(v) => v
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .expect("FLEETSIM_BENCH_GPU_PATHS: comma-separated counts")
            })
            .collect(),
        Err(_) if a.software => vec![2_000],
        Err(_) => vec![100_000, 1_000_000],
    };
    eprintln!(
        "gpu_engine bench on {} ({}, {}{}, driver {} {}), paths {:?}",
        a.name,
        a.backend,
        a.device_type,
        if a.software { ", SOFTWARE adapter" } else { "" },
        a.driver,
        a.driver_info,
        sizes
    );
    let mut g = c.benchmark_group("gpu_engine_default_scenario");
    g.sample_size(10);
    let mut no_failures = model.clone();
    let mut no_job = model.clone();
    for o in no_failures.options.iter_mut() {
        o.n_classes = 0;
    }
    for o in no_job.options.iter_mut() {
        o.job_chips = 0;
    }
    let n = sizes[0];
    g.throughput(Throughput::Elements(n as u64 * days));
    for (label, m) in [
        ("f32_no_failures", &no_failures),
        ("f32_no_job_view", &no_job),
    ] {
        g.bench_with_input(BenchmarkId::new(label, n), &n, |b, &n| {
            b.iter(|| {
                let mut agg = RunAggregate::new(m.run.n_options as usize, m.run.n_years as usize);
                run_paths(
                    &engine,
                    m,
                    n,
                    engine.chunk_paths(m.run.n_options),
                    |blk| agg.add_block(blk),
                    |_| {},
                )
                .expect("GPU run");
                agg.n_paths()
            })
        });
    }
    for paths in sizes {
        g.throughput(Throughput::Elements(paths as u64 * days));
        g.bench_with_input(
            BenchmarkId::new("f32_end_to_end", paths),
            &paths,
            |b, &n| {
                b.iter(|| {
                    let mut agg =
                        RunAggregate::new(model.run.n_options as usize, model.run.n_years as usize);
                    run_paths(
                        &engine,
                        &model,
                        n,
                        engine.chunk_paths(model.run.n_options),
                        |blk| agg.add_block(blk),
                        |_| {},
                    )
                    .expect("GPU run");
                    agg.n_paths()
                })
            },
        );
    }
    g.finish();

    let (points, paths, years) = sweep_shape(a.software);
    let models = sweep_models(points, years);
    let m0 = &models[0];
    let days = m0.run.horizon_days as u64;
    let mut g = c.benchmark_group(format!("gpu_engine_sweep_{points}x{paths}x{years}y"));
    g.sample_size(10);
    g.throughput(Throughput::Elements(points as u64 * paths as u64 * days));
    let one = OnePointPerCall(&engine);
    let cases: [(&str, &dyn Engine); 2] =
        [("packed_points", &engine), ("one_point_per_call", &one)];
    for (name, e) in cases {
        let before = engine.timings();
        let mut runs = 0u64;
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut aggs: Vec<RunAggregate> = models
                    .iter()
                    .map(|m| RunAggregate::new(m.run.n_options as usize, m.run.n_years as usize))
                    .collect();
                run_points(e, &models, paths, |p, blk| aggs[p].add_block(blk), |_| {})
                    .expect("GPU sweep");
                runs += 1;
                aggs.len()
            })
        });
        let t = engine.timings();
        let dispatches = t.dispatches - before.dispatches;
        let inv = t.invocations - before.invocations;
        eprintln!(
            "{name}: {} points per call, {:.0} invocations per dispatch over {runs} sweeps",
            e.points_per_call(models.len(), paths),
            inv as f64 / dispatches.max(1) as f64
        );
    }
    g.finish();
}

criterion_group!(benches, gpu_engine);
criterion_main!(benches);
