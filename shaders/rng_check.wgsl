// Philox check kernel: one Philox4x32-10 block per invocation, for the bit-for-bit comparison
// of the GPU stream with src/model/philox.rs (tests/gpu_rng.rs).
// Input i: counter words 4i..4i+3 and key words 2i..2i+1; output i: the four result words.

@group(0) @binding(0) var<storage, read> ctrs: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> keys: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read_write> outs: array<vec4<u32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= arrayLength(&outs)) {
        return;
    }
    outs[i] = philox4x32_10(ctrs[i], keys[i]);
}
