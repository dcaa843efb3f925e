//! The renewal model's per-interruption losses on the GPU (`shaders/job_check.wgsl`, calling
//! `renewal_losses` of `shaders/shared/job.wgsl`): the input of the comparison with
//! `crate::model::job::renewal_losses` in f32.

use super::context::GpuContext;
use super::error::GpuError;
use super::rng_check::dispatch_ranges;
use super::shaders::{Kernel, WORKGROUP_SIZE};

/// Bytes per input (`vec4<f32>`).
const INPUT_BYTES: u64 = 16;
/// Bytes per output (`vec2<f32>`).
const OUTPUT_BYTES: u64 = 8;

/// `renewal_losses(lambda_per_hour, tau_h, ckpt_h, restart_h)` as `[loss_hours,
/// restart_hours]` for every input `[lambda_per_hour, tau_h, ckpt_h, restart_h]`, computed by
/// the GPU, in as many dispatches as the device's limits require.
pub fn renewal_losses_gpu(
    ctx: &GpuContext,
    inputs: &[[f32; 4]],
) -> Result<Vec<[f32; 2]>, GpuError> {
    ctx.check_health()?;
    let pipeline = ctx.pipeline(Kernel::JobCheck)?;
    let by_groups = ctx.limits.max_compute_workgroups_per_dimension as u64 * WORKGROUP_SIZE as u64;
    let by_bytes = ctx
        .limits
        .max_storage_buffer_binding_size
        .min(ctx.limits.max_buffer_size)
        / INPUT_BYTES;
    let max = (by_groups.min(by_bytes) / WORKGROUP_SIZE as u64 * WORKGROUP_SIZE as u64)
        .max(WORKGROUP_SIZE as u64) as usize;
    let mut out = Vec::with_capacity(inputs.len());
    for r in dispatch_ranges(inputs.len(), max) {
        out.extend(dispatch(ctx, &pipeline, &inputs[r])?);
    }
    Ok(out)
}

/// One dispatch: one invocation per input, `ceil(n / WORKGROUP_SIZE)` workgroups.
fn dispatch(
    ctx: &GpuContext,
    pipeline: &wgpu::ComputePipeline,
    inputs: &[[f32; 4]],
) -> Result<Vec<[f32; 2]>, GpuError> {
    let n = inputs.len();
    let bytes = n as u64 * OUTPUT_BYTES;
    let in_buf = ctx.storage_init("job_check inputs", bytemuck::cast_slice(inputs));
    let (out_buf, staging) = ctx.output_buffers("job_check", bytes, 0)?;
    let bind = ctx.bind_buffers("job_check", pipeline, &[&in_buf, &out_buf]);
    let grid = ((n as u32).div_ceil(WORKGROUP_SIZE), 1);
    ctx.dispatch(
        "job_check",
        pipeline,
        &bind,
        grid,
        &[(&out_buf, &staging, 0, bytes)],
    )?;
    let raw = ctx.read_mapped(&staging, bytes)?;
    Ok(bytemuck::pod_collect_to_vec(&raw))
}
