//! Criterion bench of the CPU engine on the built-in default scenario: throughput in path-days
//! per second (criterion's "elements/s"; one path-day = one day of every option of a path).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fleetsim::engine::{Engine, Precision, cpu::CpuEngine};

fn cpu_engine(c: &mut Criterion) {
    let scenario = fleetsim::config::default_scenario();
    let model = fleetsim::config::flatten(&scenario, 1);
    let days = model.run.horizon_days as u64;
    let mut g = c.benchmark_group("cpu_engine_default_scenario");
    g.sample_size(10);
    for (label, precision) in [("f32", Precision::F32), ("f64", Precision::F64)] {
        let engine = CpuEngine::new(precision);
        let paths = 2_000u32;
        g.throughput(Throughput::Elements(paths as u64 * days));
        g.bench_with_input(BenchmarkId::new(label, paths), &paths, |b, &n| {
            b.iter(|| engine.simulate(&model, 0, n).expect("simulate"))
        });
    }
    // The same scenario without failure classes: the fixed per-day cost (environment, demand,
    // power, cash flows) without the per-failure event work, to show what limits throughput.
    let mut quiet = model.clone();
    for o in quiet.options.iter_mut() {
        o.n_classes = 0;
    }
    let engine = CpuEngine::new(Precision::F32);
    let paths = 4_000u32;
    g.throughput(Throughput::Elements(paths as u64 * days));
    g.bench_with_input(
        BenchmarkId::new("f32_no_failures", paths),
        &paths,
        |b, &n| b.iter(|| engine.simulate(&quiet, 0, n).expect("simulate")),
    );
    g.finish();
}

criterion_group!(benches, cpu_engine);
criterion_main!(benches);
