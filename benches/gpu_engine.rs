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

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fleetsim::engine::{Engine, run_paths};
use fleetsim::gpu::GpuEngine;
use fleetsim::gpu::adapter::{self, AdapterRequest};
use fleetsim::stats::RunAggregate;

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
}

criterion_group!(benches, gpu_engine);
criterion_main!(benches);
