// The simulation kernel: one invocation per (point, path, option) of a call. A call simulates
// paths [first_path, first_path + n_paths) of every model bound in `models` (the points, each
// with its own seed key and tables); its invocations are numbered point-major, then
// option-major, g = (point * n_options + option) * n_paths + path - first_path, so the lanes
// of a warp run one option (same rates, tables and branches); the host puts each record at
// its place in the call's `PathBlock`s (src/engine/mod.rs, path-major). A dispatch runs invocations
// [first_inv, first_inv + n_inv) of the call: invocation i of the dispatch simulates days
// [t0, t1) of invocation first_inv + i and, at the horizon, writes its N_OUT outputs at
// outs[i * stride ..], stride = N_OUT + n_months * N_MONTHLY: each record is followed by the
// invocation's monthly series (written at each month's end) when the model asks for one. Rust twin: src/engine/cpu.rs (one point at a time). Dispatches may be
// 2-D when they need more than 65,535 workgroups.

// Twin of `Chunk` in src/gpu/dispatch.rs (layout checked by tests/gpu_layout.rs).
struct Chunk {
    // The call's first path (every point runs the same paths) and paths per point.
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
    // The dispatch's first invocation in the call's numbering, and its invocation count.
    first_inv: u32,
    n_inv: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// The call's points, back to back (see `Model` in params.wgsl).
@group(0) @binding(0) var<storage, read> models: array<Model>;
// Their quantile tables, back to back (model k's start at models[k].table_base).
@group(0) @binding(1) var<storage, read> table: array<f32>;
// Output records as f32 bit patterns (see `put` in fleet_step.wgsl).
@group(0) @binding(2) var<storage, read_write> outs: array<u32>;
@group(0) @binding(3) var<uniform> chunk: Chunk;
// [0]: invocations whose loops were cut short by the driver (see the probe below).
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>>;
// Carried-over fleet state when the horizon is split into windows (see `Carried` in fleet_step.wgsl).
@group(0) @binding(5) var<storage, read_write> state: array<Carried>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
    if (i >= chunk.n_inv) {
        return;
    }
    opaque_one = bitcast<f32>(chunk.one_bits);
    let g = chunk.first_inv + i;
    let per_point = chunk.n_paths * chunk.n_options;
    let pt = g / per_point;
    let r = g % per_point;
    let path = chunk.first_path + r % chunk.n_paths;
    let o = r / chunk.n_paths;
    table_base = models[pt].table_base;
    // Each record is followed by the option's monthly series when the model asks for one.
    let stride = N_OUT + models[pt].run.n_months * N_MONTHLY;
    simulate_option(pt, path, o, i * stride, i, chunk.t0, chunk.t1);
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
