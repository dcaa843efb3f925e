// placeholder: being written (issue 3)
@group(0) @binding(0) var<storage, read_write> outs: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < arrayLength(&outs)) { outs[gid.x] = 0.0; }
}
