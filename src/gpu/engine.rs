//! The GPU engine behind the `Engine` trait: uploads the flat model once, runs the simulation
//! kernel over a block of paths in dispatches sized from the adapter's limits and from the
//! measured speed (each well under a second, so no driver watchdog fires), and streams every
//! dispatch's per-path records back into the block. Memory stays bounded by one dispatch's
//! records whatever the number of paths.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::context::GpuContext;
use super::dispatch::{Chunk, FIRST_DISPATCH_INVOCATIONS, dispatch_size, workgroup_grid};
use super::error::GpuError;
use super::pack::{MAX_POINTS_PER_GROUP, Packed, groups, pack};
use super::shaders::{Kernel, Philox, WORKGROUP_SIZE};
use super::state::CARRIED_BYTES as STATE_BYTES;
use crate::engine::{Engine, EngineError, EngineInfo, PathBlock, Precision};
use crate::model::outputs::{N_MONTHLY, N_OUT};
use crate::model::params::{FlatModel, MAX_OPTIONS};

/// Most invocations per dispatch (bounds the output and staging buffers: 2^19 x 292 B = 146 MiB;
/// a device's storage-binding limit may lower it, see [`GpuEngine::new`]).
pub const MAX_DISPATCH_INVOCATIONS: u32 = 1 << 19;

/// Most invocations per dispatch when the horizon is split into windows (bounds the state
/// buffer: 2^16 x 4,308 B = 269 MiB, `gpu::state::Carried` each; a device's storage-binding
/// limit lowers it, to 2^15 at the common 128 MiB).
pub const MAX_WINDOWED_INVOCATIONS: u32 = 1 << 16;
/// Days per window on software adapters (llvmpipe stops loops after 65,535 iterations): 120,
/// so the default comparison fits a window without the halving reruns (at 365 days its first
/// group ran three times; MODEL.md 7.6).
pub const SOFTWARE_WINDOW_DAYS: u32 = 120;
/// Bytes of the per-dispatch uniform (`Chunk` in simulate.wgsl).
const CHUNK_BYTES: u64 = std::mem::size_of::<Chunk>() as u64;

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

/// The uploaded models of the current dispatch group and the buffers they are bound with.
struct Resident {
    packed: Packed,
    model_buf: wgpu::Buffer,
    table_buf: wgpu::Buffer,
    out_buf: wgpu::Buffer,
    staging: wgpu::Buffer,
    chunk_buf: wgpu::Buffer,
    status_buf: wgpu::Buffer,
    state_buf: wgpu::Buffer,
    /// Whether the state buffer can hold every invocation's state (windowed runs).
    windowed: bool,
    bind_group: wgpu::BindGroup,
}

/// What the measured speed was measured on: models of this shape (options, horizon, windowed)
/// and at most this fleet size (see [`fleet_size`]).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pace {
    shape: (u32, u32, bool),
    fleet: f64,
}

struct State {
    resident: Option<Resident>,
    /// Days per dispatch window (0 = the whole horizon in one dispatch).
    window_days: u32,
    /// Measured seconds per invocation (path x option) of the current models, if known.
    secs_per_invocation: Option<f64>,
    /// What `secs_per_invocation` holds for.
    pace: Option<Pace>,
    /// Invocations of the last dispatch (the growth limit carries over between blocks).
    last_invocations: u32,
    timings: GpuTimings,
}

/// Runs the fleet model on a GPU through wgpu (f32, same step function and RNG as the CPU).
/// Several models (the points of a sweep) can share one dispatch: see
/// [`Engine::simulate_points`] and `src/gpu/pack.rs`.
pub struct GpuEngine {
    ctx: Arc<GpuContext>,
    pipeline: wgpu::ComputePipeline,
    philox: Philox,
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

/// The largest fleet (nodes plus spares of one option) among `models`: the work of one
/// invocation grows at most in proportion to it (failures per day), which is how a speed
/// measured on some points is carried over to the next ones.
fn fleet_size(models: &[&FlatModel]) -> f64 {
    models
        .iter()
        .flat_map(|m| m.options.iter())
        .map(|o| o.nodes as f64 + o.spare_nodes as f64)
        .fold(1.0, f64::max)
}

impl GpuEngine {
    /// An engine on an opened device: compiles the kernel with the device's Philox variant
    /// (errors say why it does not compile on this device) and sizes dispatches from the
    /// device's limits.
    pub fn new(ctx: Arc<GpuContext>) -> Result<Self, GpuError> {
        let philox = ctx.philox;
        Self::with_philox(ctx, philox)
    }

    /// [`new`](Self::new) with Philox variant `philox` (one the device can compile:
    /// `GpuContext::philox_variants`); the results are the same with either.
    pub fn with_philox(ctx: Arc<GpuContext>, philox: Philox) -> Result<Self, GpuError> {
        let pipeline = ctx.pipeline_with(Kernel::Simulate, philox)?;
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
            philox,
            max_invocations,
            max_windowed_invocations,
            state: Mutex::new(State {
                resident: None,
                window_days,
                secs_per_invocation: None,
                pace: None,
                last_invocations: FIRST_DISPATCH_INVOCATIONS,
                timings: GpuTimings::default(),
            }),
        })
    }

    /// The device this engine runs on.
    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// The Philox variant the kernel was compiled with.
    pub fn philox(&self) -> Philox {
        self.philox
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

    /// Bytes the model and table buffers may hold on this device.
    fn max_model_bytes(&self) -> u64 {
        let l = &self.ctx.limits;
        l.max_storage_buffer_binding_size.min(l.max_buffer_size)
    }

    /// Uploads `models` (one dispatch group, variants of one scenario) unless they are
    /// already resident. The output, status and state buffers are kept between groups; the
    /// model and table buffers too when the new group fits in them.
    fn ensure_resident(&self, st: &mut State, models: &[&FlatModel]) -> Result<(), GpuError> {
        let first = models[0];
        let windowed = st.window_days > 0 && st.window_days < first.run.horizon_days;
        let packed = pack(models);
        if let Some(r) = &st.resident
            && r.packed == packed
            && r.windowed == windowed
        {
            return Ok(());
        }
        let t0 = Instant::now();
        // The measured speed holds for variants of the same shape, scaled up when the new
        // points have a larger fleet (never down: a smaller fleet is no slower).
        let pace = Pace {
            shape: (first.run.n_options, first.run.horizon_days, windowed),
            fleet: fleet_size(models),
        };
        match st.pace {
            Some(p) if p.shape == pace.shape => {
                if let Some(s) = st.secs_per_invocation.as_mut() {
                    *s *= (pace.fleet / p.fleet).max(1.0);
                }
            }
            _ => {
                st.secs_per_invocation = None;
                st.last_invocations = FIRST_DISPATCH_INVOCATIONS;
            }
        }
        st.pace = Some(pace);
        let ctx = &self.ctx;
        let model_len = packed.models.len() as u64;
        let table_len = packed.table.len() as u64 * 4;
        // Reuse the previous group's buffers when they hold the new models.
        if let Some(r) = st.resident.as_mut()
            && r.windowed == windowed
            && r.model_buf.size() >= model_len
            && r.table_buf.size() >= table_len
        {
            ctx.queue.write_buffer(&r.model_buf, 0, &packed.models);
            if table_len > 0 {
                ctx.queue
                    .write_buffer(&r.table_buf, 0, bytemuck::cast_slice(&packed.table));
            }
            r.packed = packed;
            ctx.check_health()?;
            st.timings.upload += t0.elapsed();
            return Ok(());
        }
        let old = st.resident.take();
        let model_buf = ctx.storage_init("fleetsim models", &packed.models);
        let table_buf = ctx.storage_init("fleetsim tables", bytemuck::cast_slice(&packed.table));
        let (out_buf, staging, chunk_buf, status_buf, state_buf) = match old {
            Some(r) if r.windowed == windowed => {
                (r.out_buf, r.staging, r.chunk_buf, r.status_buf, r.state_buf)
            }
            _ => {
                let out_size = self.max_invocations as u64 * RECORD_BYTES;
                let (out_buf, staging) =
                    ctx.output_buffers("fleetsim records", out_size, STATUS_BYTES)?;
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
                    // Unused without windows, but bound: one element of `array<Carried>`.
                    STATE_BYTES
                };
                let state_buf =
                    ctx.buffer("fleetsim state", state_size, wgpu::BufferUsages::STORAGE)?;
                (out_buf, staging, chunk_buf, status_buf, state_buf)
            }
        };
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
            packed,
            model_buf,
            table_buf,
            out_buf,
            staging,
            chunk_buf,
            status_buf,
            state_buf,
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

    /// Paths `first .. first + n_paths` of every model, one block per model: the models are
    /// cut into groups that fit the device's buffers ([`groups`]), each group packed into
    /// one upload and run in shared dispatches. A single model is the one-point case.
    fn run_points(
        &self,
        models: &[&FlatModel],
        first: u32,
        n_paths: u32,
    ) -> Result<Vec<PathBlock>, GpuError> {
        let Some(m0) = models.first() else {
            return Ok(Vec::new());
        };
        let mut st = self.state.lock().map_err(|_| {
            GpuError::Contract("GPU engine state poisoned by an earlier panic".into())
        })?;
        let n_opt = m0.run.n_options;
        let horizon = m0.run.horizon_days;
        let mut blocks = Vec::with_capacity(models.len());
        let cut = groups(
            models,
            n_paths,
            n_opt,
            MAX_POINTS_PER_GROUP,
            self.max_model_bytes(),
        );
        for g in cut {
            let group = &models[g];
            loop {
                match self.try_group(&mut st, group, first, n_paths) {
                    Err(GpuError::LoopLimit { .. }) if st.window_days != 1 => {
                        // The driver cut loops short: rerun the group with half the window
                        // (the results do not depend on the window: nothing is lost but time).
                        let w = if st.window_days == 0 || st.window_days >= horizon {
                            horizon
                        } else {
                            st.window_days
                        };
                        st.window_days = (w / 2).max(1);
                    }
                    Err(e) => return Err(e),
                    Ok(b) => {
                        blocks.extend(b);
                        break;
                    }
                }
            }
        }
        Ok(blocks)
    }

    /// One group of models in shared dispatches: invocations numbered point-major, then
    /// option-major (see [`scatter`]), each dispatch's records scattered into the points'
    /// blocks.
    fn try_group(
        &self,
        st: &mut State,
        models: &[&FlatModel],
        first: u32,
        n_paths: u32,
    ) -> Result<Vec<PathBlock>, GpuError> {
        let n_opt = models[0].run.n_options;
        let horizon = models[0].run.horizon_days;
        let mut blocks: Vec<PathBlock> = models
            .iter()
            .map(|m| PathBlock::for_model(m, first, n_paths))
            .collect();
        // Values per invocation: its record, then its monthly series if the models ask for
        // one (the points of a group share the scenario's horizon and months).
        let stride = N_OUT + models[0].run.n_months as usize * N_MONTHLY;
        // The output buffer holds `max_invocations` plain records.
        let fit = ((self.max_invocations as usize * N_OUT) / stride).max(1) as u32;
        // `groups` keeps a group's invocations within MAX_GROUP_INVOCATIONS (< 2^32).
        let per_point = n_paths * n_opt;
        let total = models.len() as u32 * per_point;
        if total == 0 {
            return Ok(blocks);
        }
        self.ensure_resident(st, models)?;
        let window = if st.window_days == 0 {
            horizon.max(1)
        } else {
            st.window_days
        };
        let mut done = 0u32;
        while done < total {
            let n = self.next_dispatch(st, total - done, n_opt).min(fit);
            let t0 = Instant::now();
            let r = st.resident.as_ref().expect("resident after upload");
            let groups = n.div_ceil(WORKGROUP_SIZE);
            let (gx, gy) =
                workgroup_grid(groups, self.ctx.limits.max_compute_workgroups_per_dimension);
            let bytes = n as u64 * stride as u64 * 4;
            self.ctx
                .queue
                .write_buffer(&r.status_buf, 0, &[0u8; STATUS_BYTES as usize]);
            // One submission per window: each is bounded in loop count and time.
            let mut day = 0u32;
            loop {
                let end = day.saturating_add(window).min(horizon);
                let chunk = Chunk {
                    first_path: first,
                    n_paths,
                    n_options: n_opt,
                    probe_iters: 2,
                    t0: day,
                    t1: end,
                    one_bits: 1f32.to_bits(),
                    first_inv: done,
                    n_inv: n,
                    _pad: [0; 3],
                };
                self.ctx
                    .queue
                    .write_buffer(&r.chunk_buf, 0, bytemuck::bytes_of(&chunk));
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
            scatter(
                bytemuck::cast_slice(rec),
                done,
                n_paths,
                n_opt,
                stride,
                &mut blocks,
            );
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
        Ok(blocks)
    }
}

/// Widens one dispatch's records (invocations `from ..` of the call, numbered point-major,
/// then option-major: `g = (point * n_options + option) * n_paths + path`, `stride` values
/// each: the record, then the monthly series) into the points' blocks, which are path-major
/// (`(path * n_options + option)`): the kernel's lane order is undone here, so every block
/// holds what a path-major kernel would have written.
fn scatter(
    vals: &[f32],
    from: u32,
    n_paths: u32,
    n_options: u32,
    stride: usize,
    blocks: &mut [PathBlock],
) {
    let (n_paths, n_options) = (n_paths as usize, n_options as usize);
    let per_point = n_paths * n_options;
    let per_mon = stride - N_OUT;
    for (g, inv) in (from as usize..).zip(vals.chunks_exact(stride)) {
        let (p, r) = (g / per_point, g % per_point);
        let local = (r % n_paths) * n_options + r / n_paths;
        let (rec, months) = inv.split_at(N_OUT);
        let b = &mut blocks[p];
        for (d, v) in b.values[local * N_OUT..(local + 1) * N_OUT]
            .iter_mut()
            .zip(rec)
        {
            *d = *v as f64;
        }
        if per_mon > 0 {
            let dst = &mut b.monthly[local * per_mon..(local + 1) * per_mon];
            for (d, v) in dst.iter_mut().zip(months) {
                *d = *v as f64;
            }
        }
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
        let mut blocks = self.run_points(&[model], first_path, n_paths)?;
        blocks
            .pop()
            .ok_or_else(|| EngineError::Bug("GPU engine returned no block".into()))
    }

    /// Enough points that their paths fill one chunk (as counted for `MAX_OPTIONS` options, so
    /// a call never holds more than a chunk), at most [`MAX_POINTS_PER_GROUP`]; 1 when one
    /// point's paths already fill a chunk.
    fn points_per_call(&self, n_points: usize, n_paths: u32) -> usize {
        let fit = self.chunk_paths(MAX_OPTIONS as u32) / n_paths.max(1);
        (fit as usize)
            .clamp(1, MAX_POINTS_PER_GROUP)
            .min(n_points.max(1))
    }

    /// All of `models` in shared dispatches (one upload per group of up to
    /// [`MAX_POINTS_PER_GROUP`] points): a sweep of many points with few paths each keeps the
    /// device as busy as one large run. Each point's block equals its own `simulate`, bit for
    /// bit.
    fn simulate_points(
        &self,
        models: &[&FlatModel],
        first_path: u32,
        n_paths: u32,
    ) -> Result<Vec<PathBlock>, EngineError> {
        crate::engine::points::check_models(models.iter().copied())?;
        Ok(self.run_points(models, first_path, n_paths)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_puts_each_record_in_its_point_and_path() {
        // 3 points x 5 invocations; a dispatch of invocations 3..12 spans all three points.
        let mut blocks: Vec<PathBlock> = (0..3).map(|_| PathBlock::zeroed(0, 5, 1)).collect();
        let vals: Vec<f32> = (3..12)
            .flat_map(|g| (0..N_OUT).map(move |m| (g * 100 + m) as f32))
            .collect();
        scatter(&vals, 3, 5, 1, N_OUT, &mut blocks);
        for g in 0..15usize {
            let want = if (3..12).contains(&g) {
                (g * 100) as f64
            } else {
                0.0
            };
            let r = blocks[g / 5].record(g % 5, 0);
            assert_eq!(r[0], want, "invocation {g}");
            assert_eq!(
                r[N_OUT - 1],
                if want > 0.0 {
                    want + (N_OUT - 1) as f64
                } else {
                    0.0
                }
            );
        }
    }

    #[test]
    fn scatter_undoes_the_option_major_lane_order() {
        // 2 points x 3 paths x 2 options; invocation g = (point * 2 + option) * 3 + path holds
        // the tag point * 100 + path * 10 + option, which must land at record (path, option)
        // of its point's path-major block. A dispatch of invocations 2..11 starts and ends
        // inside an option's run of paths.
        let (n_paths, n_opt) = (3u32, 2u32);
        let mut blocks: Vec<PathBlock> = (0..2)
            .map(|_| PathBlock::zeroed(0, n_paths, n_opt))
            .collect();
        let tag = |g: u32| {
            let (pt, r) = (g / 6, g % 6);
            (pt * 100 + (r % n_paths) * 10 + r / n_paths + 1) as f32
        };
        let vals: Vec<f32> = (2..11)
            .flat_map(|g| (0..N_OUT).map(move |_| tag(g)))
            .collect();
        scatter(&vals, 2, n_paths, n_opt, N_OUT, &mut blocks);
        for g in 0..12u32 {
            let (pt, r) = (g / 6, g % 6);
            let (path, o) = (r % n_paths, r / n_paths);
            let want = if (2..11).contains(&g) {
                tag(g) as f64
            } else {
                0.0
            };
            let rec = blocks[pt as usize].record(path as usize, o as usize);
            assert_eq!((rec[0], rec[N_OUT - 1]), (want, want), "invocation {g}");
        }
    }

    #[test]
    fn scatter_splits_records_from_their_monthly_series() {
        // 2 points x 3 invocations, 2 months: each invocation is N_OUT + 2 N_MONTHLY values.
        let per_mon = 2 * N_MONTHLY;
        let stride = N_OUT + per_mon;
        let mut blocks: Vec<PathBlock> = (0..2)
            .map(|_| {
                let mut b = PathBlock::zeroed(0, 3, 1);
                b.n_months = 2;
                b.monthly = vec![0.0; 3 * per_mon];
                b
            })
            .collect();
        let vals: Vec<f32> = (1..6)
            .flat_map(|g| (0..stride).map(move |m| (g * 10_000 + m) as f32))
            .collect();
        scatter(&vals, 1, 3, 1, stride, &mut blocks);
        for g in 0..6usize {
            let (b, i) = (&blocks[g / 3], g % 3);
            let base = if g >= 1 { (g * 10_000) as f64 } else { 0.0 };
            assert_eq!(
                b.record(i, 0)[N_OUT - 1],
                if g >= 1 {
                    base + (N_OUT - 1) as f64
                } else {
                    0.0
                }
            );
            let m = b.months(i, 0);
            assert_eq!(m.len(), per_mon);
            for (k, v) in m.iter().enumerate() {
                let want = if g >= 1 {
                    base + (N_OUT + k) as f64
                } else {
                    0.0
                };
                assert_eq!(*v, want, "invocation {g}, monthly value {k}");
            }
        }
    }
}
