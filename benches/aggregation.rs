//! Criterion bench of the host aggregation (`RunAggregate`): adding one engine chunk of
//! per-path records (16,384 paths x 2 options of the default scenario, computed once by the CPU
//! engine) and finishing the summary (quantile sketches, pairs). Criterion's "elements/s" are
//! paths per second; this is the work the host does per chunk while the engine runs the next.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fleetsim::engine::{DEFAULT_CHUNK_PATHS, Engine, Precision, cpu::CpuEngine};
use fleetsim::stats::RunAggregate;

fn aggregation(c: &mut Criterion) {
    let scenario = fleetsim::config::default_scenario();
    let model = fleetsim::config::flatten(&scenario, 1);
    let (n_opt, n_years) = (model.run.n_options as usize, model.run.n_years as usize);
    let paths = DEFAULT_CHUNK_PATHS;
    let block = CpuEngine::new(Precision::F32)
        .simulate(&model, 0, paths)
        .expect("simulate");
    let names: Vec<String> = scenario
        .option_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut g = c.benchmark_group("aggregation_default_scenario");
    g.sample_size(20);
    g.throughput(Throughput::Elements(paths as u64));
    g.bench_function(BenchmarkId::new("add_block", paths), |b| {
        b.iter(|| {
            let mut agg = RunAggregate::new(n_opt, n_years);
            agg.add_block(&block);
            agg.n_paths()
        })
    });
    let mut full = RunAggregate::new(n_opt, n_years);
    full.add_block(&block);
    g.bench_function(BenchmarkId::new("finish", paths), |b| {
        b.iter(|| full.finish(&names))
    });
    g.finish();
}

criterion_group!(benches, aggregation);
criterion_main!(benches);
