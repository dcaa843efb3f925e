// The simulation kernel: one invocation per (path, option) of a chunk. Invocation i simulates
// days [t0, t1) of path chunk.first_path + i / n_options, option i % n_options; at the
// horizon it writes its N_OUT outputs at outs[i * N_OUT ..] — the layout of `PathBlock`
// (src/engine/mod.rs). Rust twin: src/engine/cpu.rs. Dispatches may be 2-D when a chunk needs more than 65,535 workgroups.

struct Chunk {
    first_path: u32,
    n_paths: u32,
    n_options: u32,
    // Always 2: the trip count of the loop-limit probe below.
    probe_iters: u32,
    // Days [t0, t1) of the horizon this dispatch simulates.
    t0: u32,
    t1: u32,
    // The bits of 1.0f (see `opaque_one` in fleet_step.wgsl).
    one_bits: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> model: Model;
@group(0) @binding(1) var<storage, read> table: array<f32>;
// Output records as f32 bit patterns (see `put` in fleet_step.wgsl).
@group(0) @binding(2) var<storage, read_write> outs: array<u32>;
@group(0) @binding(3) var<uniform> chunk: Chunk;
// [0]: invocations whose loops were cut short by the driver (see the probe below).
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>>;
// Carried-over fleet state when the horizon is split into windows (STATE_WORDS per invocation).
@group(0) @binding(5) var<storage, read_write> state: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
    if (i >= chunk.n_paths * chunk.n_options) {
        return;
    }
    opaque_one = bitcast<f32>(chunk.one_bits);
    let path = chunk.first_path + i / chunk.n_options;
    let o = i % chunk.n_options;
    simulate_option(path, o, i * N_OUT, i, chunk.t0, chunk.t1);
    // Loop-limit probe: a loop with a runtime trip count of 2 must run twice. Some drivers
    // (llvmpipe) stop every loop of an invocation after a fixed number of iterations in all
    // (65,535); a path that hit that limit was truncated, and the host must not use it.
    var probe = 0u;
    for (var k = 0u; k < chunk.probe_iters; k++) {
        probe += 1u;
    }
    if (probe != chunk.probe_iters) {
        atomicAdd(&status[0], 1u);
    }
}
