//! The GPU pieces `fleetsim bench` relies on: the RNG-only throughput kernel computes exactly
//! its CPU twin (`bench::rng_ceiling::xor_blocks`), the GPU engine gives the same records for a
//! model after running another model of the same shape (buffers reused, model rewritten in
//! place) as a fresh engine does, and GPU timestamps, where the adapter offers them, time
//! compute passes within the wall time around them. Small workloads; reported as ignored without an adapter.

use crate::common;

use std::sync::Arc;
use std::time::Instant;

use fleetsim::bench::rng_ceiling::xor_blocks;
use fleetsim::config::{default_scenario, flatten};
use fleetsim::engine::Engine;
use fleetsim::gpu::adapter;
use fleetsim::gpu::rng_throughput::{RngThroughput, ThroughputJob};
use fleetsim::gpu::{GpuContext, GpuEngine};
use fleetsim::model::params::{DistSpec, env_in};

pub fn throughput_kernel_matches_its_cpu_twin() {
    let Some(ctx) = common::gpu::context() else {
        return;
    };
    // With every Philox variant the device compiles (both on lavapipe), the same XORs.
    for v in ctx.philox_variants() {
        let k = RngThroughput::with_philox(ctx.clone(), v).expect("kernel compiles");
        assert_eq!(k.philox(), v);
        for job in [
            ThroughputJob {
                first: 0,
                count: 130,
                blocks: 3,
                day: 0,
                stream: 0,
                key: [1, 2],
            },
            ThroughputJob {
                first: u32::MAX - 70,
                count: 64,
                blocks: 17,
                day: 1_000,
                stream: 2,
                key: [0xDEAD_BEEF, 0x0123_4567],
            },
        ] {
            let gpu = k.run(&job, true).expect("dispatch");
            assert_eq!(gpu.len(), job.count as usize);
            for (i, g) in gpu.iter().enumerate() {
                let inv = job.first.wrapping_add(i as u32);
                assert_eq!(
                    *g,
                    xor_blocks(job.key, inv, job.day, job.stream, job.blocks),
                    "invocation {inv} of {job:?}"
                );
            }
        }
    }
    let k = RngThroughput::new(ctx).expect("kernel compiles");
    let too_many = ThroughputJob {
        first: 0,
        count: k.max_invocations() + 1,
        blocks: 1,
        day: 0,
        stream: 0,
        key: [0, 0],
    };
    assert!(k.run(&too_many, false).is_err());
}

pub fn a_model_rewritten_in_place_gives_what_a_fresh_engine_gives() {
    let Some(ctx) = common::gpu::context() else {
        return;
    };
    let mut s = default_scenario();
    s.horizon_years = 1;
    let a = flatten(&s, 5);
    let mut b = a.clone();
    b.env.inputs[env_in::USD_PER_KWH] = DistSpec::fixed(0.2);
    // Bit patterns: undefined outputs (IRR without a sign change) are NaN on both.
    let bits = |b: &fleetsim::engine::PathBlock| -> Vec<u64> {
        b.values.iter().map(|v| v.to_bits()).collect()
    };
    let reused = GpuEngine::new(ctx.clone()).expect("engine");
    let first = reused.simulate(&a, 0, 48).expect("model a");
    let upload_a = reused.timings().upload;
    let again = reused
        .simulate(&b, 0, 48)
        .expect("model b on the same engine");
    let fresh = GpuEngine::new(ctx)
        .expect("engine")
        .simulate(&b, 0, 48)
        .expect("b");
    assert!(bits(&again) == bits(&fresh), "not bit for bit");
    assert!(
        bits(&first) != bits(&again),
        "the new model did not reach the kernel"
    );
    // And back: a second rewrite restores the first model's results exactly.
    let back = reused.simulate(&a, 0, 48).expect("a again");
    assert!(bits(&back) == bits(&first), "model a not restored");
    assert!(reused.timings().upload > upload_a);
}

pub fn gpu_timestamps_time_passes_within_the_wall_time() {
    let Some(shared) = common::gpu::context() else {
        return;
    };
    // The harness opened this adapter from the same enumeration: not finding it is a bug, not
    // a reason to skip.
    let a = adapter::enumerate()
        .into_iter()
        .find(|a| adapter::AdapterSummary::from_adapter(a) == shared.adapter)
        .unwrap_or_else(|| {
            panic!(
                "the harness's adapter {} is not enumerated",
                shared.adapter.name
            )
        });
    let ctx = Arc::new(GpuContext::new_timed(&a).expect("device opens"));
    if !ctx.timestamps() {
        eprintln!(
            "{}: no TIMESTAMP_QUERY, wall time is used",
            ctx.adapter.name
        );
        assert_eq!(ctx.pass_time(), None);
        return;
    }
    let k = RngThroughput::new(ctx.clone()).expect("kernel");
    let before = ctx.pass_time().expect("timed");
    let job = ThroughputJob {
        first: 0,
        count: 4_096,
        blocks: 64,
        day: 0,
        stream: 0,
        key: [3, 4],
    };
    let t0 = Instant::now();
    k.run(&job, false).expect("dispatch");
    let wall = t0.elapsed();
    let pass = ctx.pass_time().expect("timed") - before;
    assert!(pass > std::time::Duration::ZERO, "the pass took time");
    assert!(pass <= wall, "pass {pass:?} within wall {wall:?}");
}
