//! Runs the RNG-only throughput kernel (`shaders/rng_throughput.wgsl`): invocation i draws
//! `blocks` Philox blocks with counters `[first + i, day, b, stream]` and writes their XOR. Used
//! by `fleetsim bench` to measure a device's Philox ceiling (blocks per second) and checked
//! against the CPU twin `crate::bench::rng_ceiling::xor_blocks` in the tests.

use std::sync::Arc;

use super::context::GpuContext;
use super::error::GpuError;
use super::shaders::{Kernel, Philox, WORKGROUP_SIZE};

/// Most invocations one dispatch runs (4 MiB of output).
pub const MAX_INVOCATIONS: u32 = 1 << 20;

/// Bytes of the per-dispatch uniform (`ThroughputParams` in the WGSL).
const PARAMS_BYTES: u64 = 32;

/// Which blocks one dispatch draws: invocations `first .. first + count`, `blocks` each, all
/// on day `day` of stream `stream` under `key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThroughputJob {
    /// Path word of the first invocation's counters.
    pub first: u32,
    /// Invocations.
    pub count: u32,
    /// Blocks per invocation.
    pub blocks: u32,
    /// Day word of every counter.
    pub day: u32,
    /// Stream word of every counter.
    pub stream: u32,
    /// Philox key.
    pub key: [u32; 2],
}

impl ThroughputJob {
    /// Philox blocks the job draws.
    pub fn total_blocks(&self) -> u64 {
        self.count as u64 * self.blocks as u64
    }
}

/// The compiled kernel and its buffers on one device, reused across dispatches.
pub struct RngThroughput {
    ctx: Arc<GpuContext>,
    pipeline: wgpu::ComputePipeline,
    params: wgpu::Buffer,
    out: wgpu::Buffer,
    staging: wgpu::Buffer,
    bind: wgpu::BindGroup,
    max_invocations: u32,
    philox: Philox,
}

impl RngThroughput {
    /// Compiles the kernel with the device's Philox variant and allocates its output for the
    /// largest dispatch this device allows (at most [`MAX_INVOCATIONS`], one dimension of
    /// workgroups).
    pub fn new(ctx: Arc<GpuContext>) -> Result<Self, GpuError> {
        let philox = ctx.philox;
        Self::with_philox(ctx, philox)
    }

    /// [`new`](Self::new) with Philox variant `philox` (one the device can compile:
    /// `GpuContext::philox_variants`).
    pub fn with_philox(ctx: Arc<GpuContext>, philox: Philox) -> Result<Self, GpuError> {
        let pipeline = ctx.pipeline_with(Kernel::RngThroughput, philox)?;
        let by_groups =
            ctx.limits.max_compute_workgroups_per_dimension as u64 * WORKGROUP_SIZE as u64;
        let by_bytes = ctx
            .limits
            .max_storage_buffer_binding_size
            .min(ctx.limits.max_buffer_size)
            / 4;
        let max_invocations = (MAX_INVOCATIONS as u64)
            .min(by_groups)
            .min(by_bytes)
            .max(WORKGROUP_SIZE as u64) as u32;
        let params = ctx.buffer(
            "rng_throughput params",
            PARAMS_BYTES,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        )?;
        let (out, staging) = ctx.output_buffers("rng_throughput", max_invocations as u64 * 4, 0)?;
        let bind = ctx.bind_buffers("rng_throughput", &pipeline, &[&params, &out]);
        ctx.check_health()?;
        Ok(RngThroughput {
            ctx,
            pipeline,
            params,
            out,
            staging,
            bind,
            max_invocations,
            philox,
        })
    }

    /// The Philox variant the kernel was compiled with.
    pub fn philox(&self) -> Philox {
        self.philox
    }

    /// Most invocations one dispatch may hold on this device.
    pub fn max_invocations(&self) -> u32 {
        self.max_invocations
    }

    /// The device.
    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// Runs `job` in one dispatch and waits for it; with `read_back`, also copies the XORs out
    /// and returns them (one per invocation), else returns an empty vector (throughput runs
    /// move no results). Fails when `job.count` exceeds [`max_invocations`](Self::max_invocations).
    pub fn run(&self, job: &ThroughputJob, read_back: bool) -> Result<Vec<u32>, GpuError> {
        if job.count == 0 {
            return Ok(vec![]);
        }
        if job.count > self.max_invocations {
            return Err(GpuError::Contract(format!(
                "rng_throughput: {} invocations in one dispatch, at most {} on this device",
                job.count, self.max_invocations
            )));
        }
        let words: [u32; 8] = [
            job.first, job.count, job.blocks, job.stream, job.key[0], job.key[1], job.day, 0,
        ];
        self.ctx
            .queue
            .write_buffer(&self.params, 0, bytemuck::cast_slice(&words));
        let bytes = job.count as u64 * 4;
        let copies: &[(&wgpu::Buffer, &wgpu::Buffer, u64, u64)] = if read_back {
            &[(&self.out, &self.staging, 0, bytes)]
        } else {
            &[]
        };
        let grid = (job.count.div_ceil(WORKGROUP_SIZE), 1);
        self.ctx
            .dispatch("rng_throughput", &self.pipeline, &self.bind, grid, copies)?;
        if !read_back {
            return Ok(vec![]);
        }
        let raw = self.ctx.read_mapped(&self.staging, bytes)?;
        Ok(bytemuck::pod_collect_to_vec(&raw))
    }
}
