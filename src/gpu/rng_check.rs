//! Raw Philox blocks on the GPU (`shaders/rng_check.wgsl`): the input of the bit-for-bit
//! comparison with `crate::model::philox` (the throughput ceiling is `rng_throughput`).

use std::ops::Range;

use super::context::GpuContext;
use super::error::GpuError;
use super::shaders::{Kernel, Philox, WORKGROUP_SIZE};

/// Bytes per counter (`vec4<u32>`) and per output block.
const BLOCK_BYTES: u64 = 16;

/// The most blocks one dispatch of the check kernel may cover on a device with `limits`: the
/// workgroups per dimension times the workgroup size, and no buffer over the buffer and
/// storage-binding limits; a multiple of the workgroup size.
pub fn max_blocks_per_dispatch(limits: &wgpu::Limits) -> usize {
    let by_groups = limits.max_compute_workgroups_per_dimension as u64 * WORKGROUP_SIZE as u64;
    let by_bytes = limits
        .max_storage_buffer_binding_size
        .min(limits.max_buffer_size)
        / BLOCK_BYTES;
    let n = by_groups.min(by_bytes) / WORKGROUP_SIZE as u64 * WORKGROUP_SIZE as u64;
    n.max(WORKGROUP_SIZE as u64) as usize
}

/// Cuts `n` blocks into consecutive dispatches of at most `max` blocks each.
pub fn dispatch_ranges(n: usize, max: usize) -> Vec<Range<usize>> {
    let max = max.max(1);
    (0..n.div_ceil(max))
        .map(|i| i * max..((i + 1) * max).min(n))
        .collect()
}

/// `philox4x32_10(ctrs[i], keys[i])` for every i, computed by the GPU with the device's Philox
/// variant, split into as many dispatches as the device's limits require
/// ([`max_blocks_per_dispatch`]).
pub fn philox_blocks(
    ctx: &GpuContext,
    ctrs: &[[u32; 4]],
    keys: &[[u32; 2]],
) -> Result<Vec<[u32; 4]>, GpuError> {
    philox_blocks_with(ctx, ctx.philox, ctrs, keys)
}

/// [`philox_blocks`] with Philox variant `philox` (one the device can compile:
/// `GpuContext::philox_variants`).
pub fn philox_blocks_with(
    ctx: &GpuContext,
    philox: Philox,
    ctrs: &[[u32; 4]],
    keys: &[[u32; 2]],
) -> Result<Vec<[u32; 4]>, GpuError> {
    philox_blocks_split(
        ctx,
        philox,
        ctrs,
        keys,
        max_blocks_per_dispatch(&ctx.limits),
    )
}

/// [`philox_blocks_with`] with at most `max_per_dispatch` blocks per dispatch (capped by the
/// device's limits), so tests can exercise the split on small inputs.
pub fn philox_blocks_split(
    ctx: &GpuContext,
    philox: Philox,
    ctrs: &[[u32; 4]],
    keys: &[[u32; 2]],
    max_per_dispatch: usize,
) -> Result<Vec<[u32; 4]>, GpuError> {
    if ctrs.len() != keys.len() {
        return Err(GpuError::Contract(format!(
            "philox_blocks: {} counters but {} keys",
            ctrs.len(),
            keys.len()
        )));
    }
    ctx.check_health()?;
    let pipeline = ctx.pipeline_with(Kernel::RngCheck, philox)?;
    let max = max_per_dispatch.clamp(1, max_blocks_per_dispatch(&ctx.limits));
    let mut out = Vec::with_capacity(ctrs.len());
    for r in dispatch_ranges(ctrs.len(), max) {
        out.extend(dispatch(ctx, &pipeline, &ctrs[r.clone()], &keys[r])?);
    }
    Ok(out)
}

/// One dispatch: one invocation per block, `ceil(n / WORKGROUP_SIZE)` workgroups.
fn dispatch(
    ctx: &GpuContext,
    pipeline: &wgpu::ComputePipeline,
    ctrs: &[[u32; 4]],
    keys: &[[u32; 2]],
) -> Result<Vec<[u32; 4]>, GpuError> {
    let n = ctrs.len();
    let bytes = n as u64 * BLOCK_BYTES;
    let ctr_buf = ctx.storage_init("rng_check ctrs", bytemuck::cast_slice(ctrs));
    let key_buf = ctx.storage_init("rng_check keys", bytemuck::cast_slice(keys));
    let (out_buf, staging) = ctx.output_buffers("rng_check", bytes, 0)?;
    let bind = ctx.bind_buffers("rng_check", pipeline, &[&ctr_buf, &key_buf, &out_buf]);
    let grid = ((n as u32).div_ceil(WORKGROUP_SIZE), 1);
    ctx.dispatch(
        "rng_check",
        pipeline,
        &bind,
        grid,
        &[(&out_buf, &staging, 0, bytes)],
    )?;
    let raw = ctx.read_mapped(&staging, bytes)?;
    Ok(bytemuck::pod_collect_to_vec(&raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatches_cover_every_block_once_within_the_limit() {
        assert_eq!(dispatch_ranges(0, 64), Vec::<Range<usize>>::new());
        assert_eq!(dispatch_ranges(10, 64), vec![0..10]);
        assert_eq!(dispatch_ranges(130, 64), vec![0..64, 64..128, 128..130]);
        assert_eq!(dispatch_ranges(128, 64), vec![0..64, 64..128]);
    }

    #[test]
    fn dispatch_size_respects_every_limit() {
        let mut l = wgpu::Limits {
            max_compute_workgroups_per_dimension: 10,
            ..Default::default()
        };
        assert_eq!(max_blocks_per_dispatch(&l), 640);
        l.max_compute_workgroups_per_dimension = 65_535;
        l.max_storage_buffer_binding_size = 16 * 1000;
        assert_eq!(
            max_blocks_per_dispatch(&l),
            960,
            "whole workgroups under the binding limit"
        );
        l.max_buffer_size = 16 * 100;
        assert_eq!(max_blocks_per_dispatch(&l), 64);
    }
}
