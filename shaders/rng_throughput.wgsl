// RNG-only throughput kernel: the Philox ceiling of a device, i.e. the most blocks per second
// any kernel drawing from the day streams could get. Invocation i draws `blocks` consecutive
// blocks with counters [first + i, day, b, stream] built in registers (as a DayStream does) and
// writes the XOR of all their words, so no block can be optimised away and only 4 bytes per
// invocation leave the device. Rust twin: `xor_blocks` in src/bench/rng_ceiling.rs.

// Invocations first .. first + count run; the 8 words `RngThroughput` writes.
struct ThroughputParams {
    first: u32,
    count: u32,
    blocks: u32,
    stream: u32,
    key: vec2<u32>,
    day: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> tp: ThroughputParams;
@group(0) @binding(1) var<storage, read_write> xors: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= tp.count) {
        return;
    }
    var acc = 0u;
    for (var b = 0u; b < tp.blocks; b++) {
        let r = philox4x32_10(vec4<u32>(tp.first + i, tp.day, b, tp.stream), tp.key);
        acc = acc ^ r.x ^ r.y ^ r.z ^ r.w;
    }
    xors[i] = acc;
}
