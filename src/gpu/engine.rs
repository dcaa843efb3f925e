//! The GPU engine behind the `Engine` trait: uploads the flat model once, runs the simulation
//! kernel over a block of paths in dispatches sized from the adapter's limits and from the
//! measured speed (each well under a second, so no driver watchdog fires), and streams every
//! dispatch's per-path records back into the block. Memory stays bounded by one dispatch's
//! records whatever the number of paths.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::context::GpuContext;
use super::dispatch::{FIRST_DISPATCH_INVOCATIONS, dispatch_size, workgroup_grid};
use super::error::GpuError;
use super::shaders::{Kernel, STATE_WORDS, WORKGROUP_SIZE};
use crate::engine::{Engine, EngineError, EngineInfo, PathBlock, Precision};
use crate::model::outputs::N_OUT;
use crate::model::params::{FlatModel, MAX_OPTIONS, OptionParams};

/// Most invocations per dispatch (bounds the output and staging buffers: 2^19 x 148 B = 74 MiB).
pub const MAX_DISPATCH_INVOCATIONS: u32 = 1 << 19;

/// Most invocations per dispatch when the horizon is split into windows (bounds the state
/// buffer: 2^16 x 1,856 B = 116 MiB).
pub const MAX_WINDOWED_INVOCATIONS: u32 = 1 << 16;
/// Days per window on software adapters (llvmpipe stops loops after 65,535 iterations).
pub const SOFTWARE_WINDOW_DAYS: u32 = 365;
/// Bytes of one invocation's carried-over state.
const STATE_BYTES: u64 = STATE_WORDS as u64 * 4;
/// Bytes of the per-dispatch uniform (`Chunk` in simulate.wgsl).
const CHUNK_BYTES: u64 = 32;

/// Most paths per chunk the GPU engine asks the driver for (a chunk's host block is about
/// 300 B per path and option: 2^17 paths x 2 options = 78 MB).
pub const MAX_CHUNK_PATHS: u32 = 1 << 17;

/// Bytes of the status words read back after each dispatch.
const STATUS_BYTES: u64 = 8;

/// Bytes of one invocation's output record.
const RECORD_BYTES: u64 = (N_OUT * 4) as u64;

/// Time spent per phase since the engine was created (for `fleetsim bench` and the docs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GpuTimings {
    /// Uploading the model and tables.
    pub upload: Duration,
    /// Submitting dispatches and waiting for them (kernel time plus the copy to staging).
    pub kernel: Duration,
    /// Mapping staging buffers and widening records into the host block.
    pub readback: Duration,
    /// Dispatches run.
    pub dispatches: u64,
    /// Invocations (path x option) run.
    pub invocations: u64,
}

/// Buffers and the bind group for one uploaded model.
struct Resident {
    model_bytes: Vec<u8>,
    table: Vec<f32>,
    model_buf: wgpu::Buffer,
    table_buf: wgpu::Buffer,
    out_buf: wgpu::Buffer,
    staging: wgpu::Buffer,
    chunk_buf: wgpu::Buffer,
    status_buf: wgpu::Buffer,
    _state_buf: wgpu::Buffer,
    /// Whether the state buffer can hold every invocation's state (windowed runs).
    windowed: bool,
    bind_group: wgpu::BindGroup,
}

struct State {
    resident: Option<Resident>,
    /// Days per dispatch window (0 = the whole horizon in one dispatch).
    window_days: u32,
    /// Measured seconds per invocation (path x option) of the current model, if known.
    secs_per_invocation: Option<f64>,
    /// Invocations of the last dispatch (the growth limit carries over between blocks).
    last_invocations: u32,
    timings: GpuTimings,
}

/// Runs the fleet model on a GPU through wgpu (f32, same step function and RNG as the CPU).
pub struct GpuEngine {
    ctx: Arc<GpuContext>,
    pipeline: wgpu::ComputePipeline,
    max_invocations: u32,
    max_windowed_invocations: u32,
    state: Mutex<State>,
}

impl std::fmt::Debug for GpuEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuEngine")
            .field("adapter", &self.ctx.adapter.name)
            .field("max_invocations", &self.max_invocations)
            .finish_non_exhaustive()
    }
}

/// The bytes of the kernel's `Model` struct: `FlatModel` without the table, options padded
/// with zeros to `MAX_OPTIONS`.
pub fn model_bytes(m: &FlatModel) -> Vec<u8> {
    let mut v = Vec::with_capacity(
        std::mem::size_of_val(&m.run)
            + std::mem::size_of_val(&m.env)
            + std::mem::size_of_val(&m.corr)
            + MAX_OPTIONS * std::mem::size_of::<OptionParams>(),
    );
    v.extend_from_slice(bytemuck::bytes_of(&m.run));
    v.extend_from_slice(bytemuck::bytes_of(&m.env));
    v.extend_from_slice(bytemuck::bytes_of(&m.corr));
    for o in 0..MAX_OPTIONS {
        let p = m
            .options
            .get(o)
            .copied()
            .unwrap_or_else(bytemuck::Zeroable::zeroed);
        v.extend_from_slice(bytemuck::bytes_of(&p));
    }
    v
}

impl GpuEngine {
    /// An engine on an opened device: compiles the kernel (errors say why it does not compile
    /// on this device) and sizes dispatches from the device's limits.
    pub fn new(ctx: Arc<GpuContext>) -> Result<Self, GpuError> {
        let pipeline = ctx.pipeline(Kernel::Simulate)?;
        let l = &ctx.limits;
        let by_binding =
            (l.max_storage_buffer_binding_size / RECORD_BYTES).min(u32::MAX as u64) as u32;
        let by_buffer = (l.max_buffer_size / RECORD_BYTES).min(u32::MAX as u64) as u32;
        let per_dim = l.max_compute_workgroups_per_dimension as u64;
        let by_groups = (per_dim * per_dim * WORKGROUP_SIZE as u64).min(u32::MAX as u64) as u32;
        let max_invocations = MAX_DISPATCH_INVOCATIONS
            .min(by_binding)
            .min(by_buffer)
            .min(by_groups)
            .max(WORKGROUP_SIZE);
        let by_state = (l.max_storage_buffer_binding_size / STATE_BYTES)
            .min(l.max_buffer_size / STATE_BYTES)
            .min(u32::MAX as u64) as u32;
        let max_windowed_invocations = max_invocations
            .min(by_state)
            .clamp(WORKGROUP_SIZE, MAX_WINDOWED_INVOCATIONS);
        // Software rasterisers stop long loops (llvmpipe: 65,535 iterations per invocation),
        // so they run the horizon a year at a time; hardware runs it in one go.
        let window_days = if ctx.adapter.software {
            SOFTWARE_WINDOW_DAYS
        } else {
            0
        };
        Ok(GpuEngine {
            ctx,
            pipeline,
            max_invocations,
            max_windowed_invocations,
            state: Mutex::new(State {
                resident: None,
                window_days,
                secs_per_invocation: None,
                last_invocations: FIRST_DISPATCH_INVOCATIONS,
                timings: GpuTimings::default(),
            }),
        })
    }

    /// The device this engine runs on.
    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// Most invocations (path x option) one dispatch may hold on this device.
    pub fn max_invocations(&self) -> u32 {
        self.max_invocations
    }

    /// Splits the horizon into windows of `days` days, one dispatch each (0 = whole horizon).
    /// Results are identical for any window; shorter windows bound each dispatch's loop count
    /// and time. The engine also halves the window by itself when a driver cuts loops short.
    pub fn with_window_days(self, days: u32) -> Self {
        if let Ok(mut st) = self.state.lock() {
            st.window_days = days;
        }
        self
    }

    /// Days per dispatch window now in use (0 = whole horizon).
    pub fn window_days(&self) -> u32 {
        self.state.lock().map(|s| s.window_days).unwrap_or(0)
    }

    /// Time spent per phase since the engine was created.
    pub fn timings(&self) -> GpuTimings {
        self.state.lock().map(|s| s.timings).unwrap_or_default()
    }

    /// Uploads `m` unless it is already resident.
    fn ensure_resident(&self, st: &mut State, m: &FlatModel) -> Result<(), GpuError> {
        let bytes = model_bytes(m);
        let windowed = st.window_days > 0 && st.window_days < m.run.horizon_days;
        if let Some(r) = &st.resident
            && r.model_bytes == bytes
            && r.table == m.table
            && r.windowed == windowed
        {
            return Ok(());
        }
        let t0 = Instant::now();
        st.secs_per_invocation = None;
        st.last_invocations = FIRST_DISPATCH_INVOCATIONS;
        // Another model of the same shape (a sweep's next point): rewrite the model and table
        // in place and keep the output, staging and state buffers, whose allocation and
        // zeroing cost far more than a point's simulation on small runs.
        if let Some(r) = st.resident.as_mut()
            && r.model_bytes.len() == bytes.len()
            && r.table.len() == m.table.len()
            && r.windowed == windowed
        {
            self.ctx.queue.write_buffer(&r.model_buf, 0, &bytes);
            if !m.table.is_empty() {
                self.ctx
                    .queue
                    .write_buffer(&r.table_buf, 0, bytemuck::cast_slice(&m.table));
            }
            r.model_bytes = bytes;
            r.table.clone_from(&m.table);
            st.timings.upload += t0.elapsed();
            return Ok(());
        }
        st.resident = None;
        let ctx = &self.ctx;
        let model_buf = ctx.storage_init("fleetsim model", &bytes);
        let table_buf = ctx.storage_init("fleetsim tables", bytemuck::cast_slice(&m.table));
        let out_size = self.max_invocations as u64 * RECORD_BYTES;
        let (out_buf, staging) = ctx.output_buffers("fleetsim records", out_size, STATUS_BYTES)?;
        let chunk_buf = ctx.buffer(
            "fleetsim chunk",
            CHUNK_BYTES,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        )?;
        let status_buf = ctx.buffer(
            "fleetsim status",
            STATUS_BYTES,
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
        )?;
        let state_size = if windowed {
            self.max_windowed_invocations as u64 * STATE_BYTES
        } else {
            16
        };
        let state_buf = ctx.buffer("fleetsim state", state_size, wgpu::BufferUsages::STORAGE)?;
        let bind_group = ctx.bind_buffers(
            "fleetsim simulate",
            &self.pipeline,
            &[
                &model_buf,
                &table_buf,
                &out_buf,
                &chunk_buf,
                &status_buf,
                &state_buf,
            ],
        );
        ctx.check_health()?;
        st.resident = Some(Resident {
            model_bytes: bytes,
            table: m.table.clone(),
            model_buf,
            table_buf,
            out_buf,
            staging,
            chunk_buf,
            status_buf,
            _state_buf: state_buf,
            windowed,
            bind_group,
        });
        st.timings.upload += t0.elapsed();
        Ok(())
    }

    /// Invocations for the next dispatch (see [`dispatch_size`]) under this device's caps.
    fn next_dispatch(&self, st: &State, remaining: u32, n_opt: u32) -> u32 {
        let windowed = st.resident.as_ref().is_some_and(|r| r.windowed);
        let max = if windowed {
            self.max_windowed_invocations
        } else {
            self.max_invocations
        };
        dispatch_size(
            st.secs_per_invocation,
            st.last_invocations,
            remaining,
            n_opt,
            max,
        )
    }

    fn run_block(&self, m: &FlatModel, first: u32, n_paths: u32) -> Result<PathBlock, GpuError> {
        let mut st = self
            .state
            .lock()
            .map_err(|_| GpuError::Other("GPU engine state poisoned by an earlier panic".into()))?;
        loop {
            match self.try_block(&mut st, m, first, n_paths) {
                Err(GpuError::LoopLimit { .. }) if st.window_days != 1 => {
                    // The driver cut loops short: rerun the block with half the window (the
                    // results do not depend on the window, so nothing is lost but time).
                    let w = if st.window_days == 0 || st.window_days >= m.run.horizon_days {
                        m.run.horizon_days
                    } else {
                        st.window_days
                    };
                    st.window_days = (w / 2).max(1);
                }
                other => return other,
            }
        }
    }

    fn try_block(
        &self,
        st: &mut State,
        m: &FlatModel,
        first: u32,
        n_paths: u32,
    ) -> Result<PathBlock, GpuError> {
        let n_opt = m.run.n_options;
        let horizon = m.run.horizon_days;
        let mut block = PathBlock::zeroed(first, n_paths, n_opt);
        self.ensure_resident(st, m)?;
        let window = if st.window_days == 0 {
            horizon.max(1)
        } else {
            st.window_days
        };
        let total = n_paths * n_opt;
        let mut done = 0u32;
        while done < total {
            let n = self.next_dispatch(st, total - done, n_opt);
            let t0 = Instant::now();
            let r = st.resident.as_ref().expect("resident after upload");
            let groups = n.div_ceil(WORKGROUP_SIZE);
            let (gx, gy) =
                workgroup_grid(groups, self.ctx.limits.max_compute_workgroups_per_dimension);
            let bytes = n as u64 * RECORD_BYTES;
            self.ctx
                .queue
                .write_buffer(&r.status_buf, 0, &[0u8; STATUS_BYTES as usize]);
            // One submission per window: each is bounded in loop count and time.
            let mut day = 0u32;
            loop {
                let end = day.saturating_add(window).min(horizon);
                let chunk: [u32; 8] = [
                    first + done / n_opt,
                    n / n_opt,
                    n_opt,
                    2,
                    day,
                    end,
                    1f32.to_bits(),
                    0,
                ];
                self.ctx
                    .queue
                    .write_buffer(&r.chunk_buf, 0, bytemuck::cast_slice(&chunk));
                let last = end >= horizon;
                let copies: &[(&wgpu::Buffer, &wgpu::Buffer, u64, u64)] = if last {
                    &[
                        (&r.out_buf, &r.staging, 0, bytes),
                        (&r.status_buf, &r.staging, bytes, STATUS_BYTES),
                    ]
                } else {
                    &[]
                };
                self.ctx
                    .dispatch("simulate", &self.pipeline, &r.bind_group, (gx, gy), copies)?;
                if last {
                    break;
                }
                day = end;
            }
            let t1 = Instant::now();
            let raw = self.ctx.read_mapped(&r.staging, bytes + STATUS_BYTES)?;
            let (rec, status) = raw.split_at(bytes as usize);
            let truncated = u32::from_le_bytes([status[0], status[1], status[2], status[3]]);
            if truncated > 0 {
                return Err(GpuError::LoopLimit {
                    adapter: self.ctx.adapter.name.clone(),
                    invocations: truncated,
                });
            }
            let vals: &[f32] = bytemuck::cast_slice(rec);
            let dst = &mut block.values[done as usize * N_OUT..(done + n) as usize * N_OUT];
            for (d, v) in dst.iter_mut().zip(vals) {
                *d = *v as f64;
            }
            let t2 = Instant::now();
            st.timings.kernel += t1 - t0;
            st.timings.readback += t2 - t1;
            st.timings.dispatches += 1;
            st.timings.invocations += n as u64;
            // A small dispatch at the end of a block is mostly fixed latency: it would make the
            // next block start small again, so only full-size dispatches set the pace.
            if st.secs_per_invocation.is_none() || n as u64 * 2 >= st.last_invocations as u64 {
                st.secs_per_invocation = Some((t1 - t0).as_secs_f64() / n as f64);
                st.last_invocations = n;
            }
            done += n;
        }
        Ok(block)
    }
}

impl Engine for GpuEngine {
    fn info(&self) -> EngineInfo {
        let a = &self.ctx.adapter;
        EngineInfo {
            backend: "gpu".into(),
            adapter: a.name.clone(),
            driver: format!("{} {} ({})", a.driver, a.driver_info, a.backend)
                .trim()
                .to_string(),
            precision: Precision::F32,
        }
    }

    /// As many paths as the largest dispatch holds, at most [`MAX_CHUNK_PATHS`]: a GPU needs
    /// hundreds of thousands of invocations in flight, far more than the CPU's chunk.
    fn chunk_paths(&self, n_options: u32) -> u32 {
        (self.max_invocations / n_options.max(1)).clamp(1, MAX_CHUNK_PATHS)
    }

    fn simulate(
        &self,
        model: &FlatModel,
        first_path: u32,
        n_paths: u32,
    ) -> Result<PathBlock, EngineError> {
        Ok(self.run_block(model, first_path, n_paths)?)
    }
}
