//! Criterion bench of the RNG: Philox4x32-10 blocks per second on one CPU core (the
//! throughput kernel's CPU twin `xor_blocks`), on all cores, through a `DayStream` (what the
//! model draws through), and on the GPU (the RNG-only throughput kernel), when there is an
//! adapter. Criterion's "elements/s" are Philox blocks per second.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fleetsim::bench::rng_ceiling::{xor_blocks, xor_blocks_parallel};
use fleetsim::gpu::adapter::{self, AdapterRequest};
use fleetsim::gpu::rng_throughput::{RngThroughput, ThroughputJob};
use fleetsim::model::philox::DayStream;
use std::hint::black_box;

fn cpu(c: &mut Criterion) {
    let key = [0x1234_5678, 0x9abc_def0];
    let mut g = c.benchmark_group("rng_cpu");
    let blocks = 1u32 << 16;
    g.throughput(Throughput::Elements(blocks as u64));
    g.bench_function(BenchmarkId::new("philox_one_core", blocks), |b| {
        b.iter(|| xor_blocks(key, black_box(7), 0, 0, blocks))
    });
    g.bench_function(BenchmarkId::new("day_stream_one_core", blocks), |b| {
        b.iter(|| {
            let mut s = DayStream::new(key, black_box(7), 0, 0);
            let mut acc = 0u32;
            for _ in 0..blocks * 4 {
                acc ^= s.next_u32();
            }
            acc
        })
    });
    let (units, per) = (1u32 << 12, 256u32);
    g.throughput(Throughput::Elements(units as u64 * per as u64));
    g.bench_function(BenchmarkId::new("philox_all_cores", units * per), |b| {
        b.iter(|| xor_blocks_parallel(key, black_box(0), units, per))
    });
    g.finish();
}

fn gpu(c: &mut Criterion) {
    let ctx = match adapter::open(&AdapterRequest::from_flag_or_env(None, true)) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("rng GPU bench skipped: {e}");
            return;
        }
    };
    let (name, software) = (ctx.adapter.label(), ctx.adapter.software);
    let k = RngThroughput::new(ctx).expect("the throughput kernel compiles");
    let count = k
        .max_invocations()
        .min(if software { 1 << 14 } else { 1 << 20 });
    let job = ThroughputJob {
        first: 0,
        count,
        blocks: 256,
        day: 0,
        stream: 0,
        key: [1, 2],
    };
    eprintln!(
        "rng GPU bench on {name}: {} blocks per dispatch",
        job.total_blocks()
    );
    let mut g = c.benchmark_group("rng_gpu");
    g.sample_size(10);
    g.throughput(Throughput::Elements(job.total_blocks()));
    g.bench_function(
        BenchmarkId::new("philox_dispatch", job.total_blocks()),
        |b| b.iter(|| k.run(&job, false).expect("dispatch")),
    );
    g.finish();
}

criterion_group!(benches, cpu, gpu);
criterion_main!(benches);
