// Renewal-loss check kernel: renewal_losses of shaders/shared/job.wgsl for one input per
// invocation, for the comparison with src/model/job.rs (tests/gpu_job.rs).
// Input i: (lambda_per_hour, tau_h, ckpt_h, restart_h); output i: (loss_hours, restart_hours).

@group(0) @binding(0) var<storage, read> job_inputs: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> job_outputs: array<vec2<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= arrayLength(&job_outputs)) {
        return;
    }
    let p = job_inputs[i];
    job_outputs[i] = renewal_losses(p.x, p.y, p.z, p.w);
}
