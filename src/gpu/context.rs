//! An open device: wgpu device and queue for one adapter, the limits granted, and the plumbing
//! every kernel runner needs (pipelines, buffers, bounded waits, readback, device-loss checks).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wgpu::util::DeviceExt;

use super::adapter::AdapterSummary;
use super::error::GpuError;
use super::shaders::{Kernel, Philox};

/// Longest wait for one submission before the device is declared hung.
pub const POLL_TIMEOUT_S: u64 = 60;

/// Environment variable choosing the kernels' Philox variant: `auto` (or unset: the native
/// 64-bit multiply where the adapter offers `SHADER_INT64`, else 16-bit limbs), `limbs16`
/// (the fallback, and the device is opened without `SHADER_INT64`, as on an adapter that lacks
/// it: for testing) or `native64` (refused where the adapter lacks it).
pub const PHILOX_ENV: &str = "FLEETSIM_PHILOX";

/// What `FLEETSIM_PHILOX=value` asks for: `None` for automatic.
pub fn parse_philox_env(value: &str) -> Result<Option<Philox>, String> {
    match value.trim().to_lowercase().as_str() {
        "" | "auto" => Ok(None),
        "limbs16" | "limbs" => Ok(Some(Philox::Limbs16)),
        "native64" | "native" => Ok(Some(Philox::Native64)),
        other => Err(format!(
            "{PHILOX_ENV}={other}: expected auto, limbs16 or native64"
        )),
    }
}

/// The Philox variant a device on an adapter with `features` uses by default, and the features
/// to open it with, given what `FLEETSIM_PHILOX` asks for (`wanted`, `None`: automatic).
pub fn choose_philox(
    features: wgpu::Features,
    wanted: Option<Philox>,
) -> Result<(Philox, wgpu::Features), String> {
    let int64 = features.contains(wgpu::Features::SHADER_INT64);
    match wanted {
        Some(Philox::Limbs16) => Ok((Philox::Limbs16, wgpu::Features::empty())),
        Some(Philox::Native64) if !int64 => Err(format!(
            "{PHILOX_ENV}=native64, but the adapter does not offer SHADER_INT64"
        )),
        _ if int64 => Ok((Philox::Native64, wgpu::Features::SHADER_INT64)),
        _ => Ok((Philox::Limbs16, wgpu::Features::empty())),
    }
}

/// A device opened on one adapter, shared by the engines and tests that run kernels on it.
pub struct GpuContext {
    /// The wgpu device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// What the adapter is.
    pub adapter: AdapterSummary,
    /// The limits the device was opened with (only what fleetsim needs).
    pub limits: wgpu::Limits,
    /// The Philox variant kernels are compiled with by default ([`pipeline`](Self::pipeline)):
    /// the native 64-bit multiply where the device was opened with `SHADER_INT64`.
    pub philox: Philox,
    /// The optional features the device was opened with.
    pub features: wgpu::Features,
    lost: Arc<Mutex<Option<String>>>,
    uncaptured: Arc<Mutex<Option<GpuError>>>,
    /// GPU timestamp queries around every compute pass, when asked for and supported.
    timer: Option<Mutex<PassTimer>>,
    /// Nanoseconds of compute passes measured by `timer` since the device was opened.
    pass_ns: AtomicU64,
}

/// The query set and buffers that time each compute pass with GPU timestamps.
struct PassTimer {
    queries: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    staging: wgpu::Buffer,
    /// Nanoseconds per timestamp tick.
    period_ns: f64,
}

/// Bytes of the two resolved timestamps (start and end of a pass).
const TIMESTAMP_BYTES: u64 = 2 * wgpu::QUERY_SIZE as u64;

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext")
            .field("adapter", &self.adapter)
            .finish_non_exhaustive()
    }
}

impl GpuContext {
    /// Opens a device on `adapter` with only the limits fleetsim needs ([`needed_limits`]).
    pub fn new(adapter: &wgpu::Adapter) -> Result<Self, GpuError> {
        Self::open(adapter, false)
    }

    /// Like [`new`](Self::new), and when the adapter offers `TIMESTAMP_QUERY`, every compute
    /// pass is timed on the GPU ([`pass_time`](Self::pass_time)); for `fleetsim bench`, since
    /// reading the timestamps back costs a map per dispatch.
    pub fn new_timed(adapter: &wgpu::Adapter) -> Result<Self, GpuError> {
        Self::open(adapter, true)
    }

    fn open(adapter: &wgpu::Adapter, timed: bool) -> Result<Self, GpuError> {
        let summary = AdapterSummary::from_adapter(adapter);
        let offered = adapter.limits();
        let limits = needed_limits(&offered);
        let timed = timed && adapter.features().contains(wgpu::Features::TIMESTAMP_QUERY);
        let wanted = match std::env::var(PHILOX_ENV) {
            Ok(v) => parse_philox_env(&v),
            Err(_) => Ok(None),
        };
        let (philox, philox_features) = wanted
            .and_then(|w| choose_philox(adapter.features(), w))
            .map_err(|reason| GpuError::RequestDevice {
            adapter: summary.name.clone(),
            reason,
        })?;
        let mut features = philox_features;
        if timed {
            features |= wgpu::Features::TIMESTAMP_QUERY;
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("fleetsim"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::RequestDevice {
            adapter: summary.name.clone(),
            reason: e.to_string(),
        })?;
        let lost = Arc::new(Mutex::new(None));
        let lost_cb = lost.clone();
        device.set_device_lost_callback(move |reason, msg| {
            if let Ok(mut l) = lost_cb.lock() {
                *l = Some(format!("{reason:?}: {msg}"));
            }
        });
        let uncaptured = Arc::new(Mutex::new(None));
        let unc_cb = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut u) = unc_cb.lock() {
                u.get_or_insert_with(|| from_wgpu(e));
            }
        }));
        let mut ctx = GpuContext {
            device,
            queue,
            adapter: summary,
            limits,
            philox,
            features,
            lost,
            uncaptured,
            timer: None,
            pass_ns: AtomicU64::new(0),
        };
        if timed {
            ctx.timer = Some(Mutex::new(ctx.pass_timer()?));
        }
        Ok(ctx)
    }

    fn pass_timer(&self) -> Result<PassTimer, GpuError> {
        let queries = self.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("fleetsim pass timestamps"),
            ty: wgpu::QueryType::Timestamp,
            count: 2,
        });
        let resolve = self.buffer(
            "fleetsim timestamps",
            TIMESTAMP_BYTES,
            wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
        )?;
        let staging = self.buffer(
            "fleetsim timestamps staging",
            TIMESTAMP_BYTES,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        Ok(PassTimer {
            queries,
            resolve,
            staging,
            period_ns: self.queue.get_timestamp_period() as f64,
        })
    }

    /// Whether compute passes are timed with GPU timestamps (see [`new_timed`](Self::new_timed)).
    pub fn timestamps(&self) -> bool {
        self.timer.is_some()
    }

    /// Total GPU time of the compute passes run through [`dispatch`](Self::dispatch) since the
    /// device was opened, from timestamp queries; `None` when passes are not timed.
    pub fn pass_time(&self) -> Option<Duration> {
        self.timer
            .as_ref()
            .map(|_| Duration::from_nanos(self.pass_ns.load(Ordering::Relaxed)))
    }

    /// Fails if the device was lost or an error escaped an error scope since the last check.
    pub fn check_health(&self) -> Result<(), GpuError> {
        if let Some(m) = self.lost.lock().ok().and_then(|l| l.clone()) {
            return Err(GpuError::DeviceLost(m));
        }
        if let Some(e) = self.uncaptured.lock().ok().and_then(|mut u| u.take()) {
            return Err(e);
        }
        Ok(())
    }

    /// The Philox variants this device can compile: the fallback, and the native 64-bit
    /// multiply when the device was opened with `SHADER_INT64`.
    pub fn philox_variants(&self) -> Vec<Philox> {
        Philox::ALL
            .into_iter()
            .filter(|p| self.features.contains(p.features()))
            .collect()
    }

    /// Compiles `kernel` with this device's Philox variant ([`philox`](Self::philox)); see
    /// [`pipeline_with`](Self::pipeline_with).
    pub fn pipeline(&self, kernel: Kernel) -> Result<wgpu::ComputePipeline, GpuError> {
        self.pipeline_with(kernel, self.philox)
    }

    /// Compiles `kernel` with Philox variant `philox` into a compute pipeline (entry point
    /// `main`, bindings inferred), turning compile errors into [`GpuError::Shader`]. A variant
    /// whose features the device was not opened with is a caller's error.
    pub fn pipeline_with(
        &self,
        kernel: Kernel,
        philox: Philox,
    ) -> Result<wgpu::ComputePipeline, GpuError> {
        if !self.features.contains(philox.features()) {
            return Err(GpuError::Contract(format!(
                "the {} kernel with Philox {} needs {:?}, which this device was not opened with",
                kernel.name(),
                philox.name(),
                philox.features()
            )));
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(kernel.name()),
                source: wgpu::ShaderSource::Wgsl(kernel.source_with(philox).into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(kernel.name()),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Shader {
                kernel: kernel.name(),
                reason: e.to_string(),
            });
        }
        Ok(pipeline)
    }

    /// A read-only storage buffer holding `bytes` (at least 4 bytes, so empty tables bind).
    pub fn storage_init(&self, label: &str, bytes: &[u8]) -> wgpu::Buffer {
        let pad = [0u8; 4];
        let contents = if bytes.is_empty() { &pad[..] } else { bytes };
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            })
    }

    /// Creates a buffer inside an out-of-memory error scope, so a failed allocation becomes
    /// [`GpuError::OutOfMemory`] instead of a panic.
    pub fn buffer(
        &self,
        label: &str,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer, GpuError> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        });
        let v = pollster::block_on(val.pop());
        let o = pollster::block_on(oom.pop());
        if let Some(e) = o {
            return Err(GpuError::OutOfMemory(format!(
                "{label} ({size} bytes): {e}"
            )));
        }
        if let Some(e) = v {
            return Err(GpuError::Validation(format!("{label} ({size} bytes): {e}")));
        }
        Ok(buf)
    }

    /// A kernel's output buffer of `size` bytes (storage, copied out) and the staging buffer it
    /// is read back through, `extra` bytes larger for status words copied after the output.
    pub fn output_buffers(
        &self,
        label: &str,
        size: u64,
        extra: u64,
    ) -> Result<(wgpu::Buffer, wgpu::Buffer), GpuError> {
        let out = self.buffer(
            &format!("{label} output"),
            size,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        )?;
        let staging = self.buffer(
            &format!("{label} staging"),
            size + extra,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        Ok((out, staging))
    }

    /// Binds `buffers` to bindings 0, 1, 2... of group 0 of `pipeline`, in order.
    pub fn bind_buffers(
        &self,
        label: &str,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&wgpu::Buffer],
    ) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(label),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        })
    }

    /// Runs one dispatch of `grid` workgroups, then the buffer copies `copies`
    /// (`(from, to, to_offset, bytes)`, each from offset 0), in one submission, and waits for it.
    pub fn dispatch(
        &self,
        label: &str,
        pipeline: &wgpu::ComputePipeline,
        bind_group: &wgpu::BindGroup,
        grid: (u32, u32),
        copies: &[(&wgpu::Buffer, &wgpu::Buffer, u64, u64)],
    ) -> Result<(), GpuError> {
        let timer = match &self.timer {
            Some(t) => Some(
                t.lock()
                    .map_err(|_| GpuError::Contract("pass timer poisoned by a panic".into()))?,
            ),
            None => None,
        };
        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(label),
                timestamp_writes: timer.as_ref().map(|t| wgpu::ComputePassTimestampWrites {
                    query_set: &t.queries,
                    beginning_of_pass_write_index: Some(0),
                    end_of_pass_write_index: Some(1),
                }),
            });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, bind_group, &[]);
            pass.dispatch_workgroups(grid.0, grid.1, 1);
        }
        if let Some(t) = &timer {
            enc.resolve_query_set(&t.queries, 0..2, &t.resolve, 0);
            enc.copy_buffer_to_buffer(&t.resolve, 0, &t.staging, 0, TIMESTAMP_BYTES);
        }
        for &(from, to, to_offset, bytes) in copies {
            enc.copy_buffer_to_buffer(from, 0, to, to_offset, bytes);
        }
        let submission = self.queue.submit([enc.finish()]);
        self.wait(submission)?;
        if let Some(t) = &timer {
            let raw = self.read_mapped(&t.staging, TIMESTAMP_BYTES)?;
            let ticks: Vec<u64> = bytemuck::pod_collect_to_vec(&raw);
            let ns = ticks[1].saturating_sub(ticks[0]) as f64 * t.period_ns;
            self.pass_ns.fetch_add(ns.round() as u64, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Waits for `submission` with a timeout, then checks the device is still healthy.
    pub fn wait(&self, submission: wgpu::SubmissionIndex) -> Result<(), GpuError> {
        self.poll_wait(Some(submission))?;
        self.check_health()
    }

    /// Blocks until `submission` (or the latest one) is done, at most [`POLL_TIMEOUT_S`].
    fn poll_wait(&self, submission: Option<wgpu::SubmissionIndex>) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: submission,
                timeout: Some(Duration::from_secs(POLL_TIMEOUT_S)),
            })
            .map(|_| ())
            .map_err(|e| match e {
                wgpu::PollError::Timeout => GpuError::Timeout(POLL_TIMEOUT_S),
                // A submission index from another device: fleetsim's mistake.
                other @ wgpu::PollError::WrongSubmissionIndex(..) => {
                    GpuError::Contract(other.to_string())
                }
            })
    }

    /// Maps `staging` (a `MAP_READ | COPY_DST` buffer already filled by a finished submission)
    /// and copies its first `len` bytes out.
    pub fn read_mapped(&self, staging: &wgpu::Buffer, len: u64) -> Result<Vec<u8>, GpuError> {
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, ..len, move |r| {
            let _ = tx.send(r);
        });
        self.poll_wait(None)?;
        rx.recv()
            .map_err(|e| GpuError::Other(format!("buffer map callback dropped: {e}")))?
            .map_err(|e| {
                self.check_health()
                    .err()
                    .unwrap_or_else(|| GpuError::Other(format!("buffer map failed: {e}")))
            })?;
        let bytes = {
            let view = staging
                .get_mapped_range(..len)
                .map_err(|e| GpuError::Other(format!("mapped range: {e}")))?;
            view.to_vec()
        };
        staging.unmap();
        self.check_health()?;
        Ok(bytes)
    }
}

/// Storage buffers the simulate kernel binds (model, tables, records, status, state).
pub const STORAGE_BUFFERS_NEEDED: u32 = 5;

/// The limits fleetsim asks a device for: wgpu's downlevel baseline (what even GL ES 3.1
/// devices offer), plus the storage buffers the kernel binds, and the adapter's own buffer
/// sizes and workgroups per dimension, from which dispatch and chunk sizes are derived.
pub fn needed_limits(offered: &wgpu::Limits) -> wgpu::Limits {
    let mut l = wgpu::Limits::downlevel_defaults();
    l.max_storage_buffers_per_shader_stage = STORAGE_BUFFERS_NEEDED;
    l.max_storage_buffer_binding_size = offered.max_storage_buffer_binding_size;
    l.max_buffer_size = offered.max_buffer_size;
    l.max_compute_workgroups_per_dimension = offered.max_compute_workgroups_per_dimension;
    l
}

/// Sorts an error that escaped every error scope: out of memory and internal errors are the
/// device's, validation errors fleetsim's.
fn from_wgpu(e: wgpu::Error) -> GpuError {
    match e {
        wgpu::Error::OutOfMemory { .. } => GpuError::OutOfMemory(e.to_string()),
        wgpu::Error::Validation { .. } => GpuError::Validation(e.to_string()),
        wgpu::Error::Internal { .. } => GpuError::Other(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_is_native_where_the_adapter_offers_int64_unless_the_fallback_is_forced() {
        let int64 = wgpu::Features::SHADER_INT64 | wgpu::Features::TIMESTAMP_QUERY;
        let none = wgpu::Features::TIMESTAMP_QUERY;
        assert_eq!(
            choose_philox(int64, None),
            Ok((Philox::Native64, wgpu::Features::SHADER_INT64))
        );
        assert_eq!(
            choose_philox(none, None),
            Ok((Philox::Limbs16, wgpu::Features::empty()))
        );
        assert_eq!(
            choose_philox(int64, Some(Philox::Limbs16)),
            Ok((Philox::Limbs16, wgpu::Features::empty()))
        );
        assert!(choose_philox(none, Some(Philox::Native64)).is_err());
        assert_eq!(parse_philox_env(" Limbs16 "), Ok(Some(Philox::Limbs16)));
        assert_eq!(parse_philox_env("auto"), Ok(None));
        assert_eq!(parse_philox_env("native64"), Ok(Some(Philox::Native64)));
        assert!(parse_philox_env("fast").is_err());
    }

    #[test]
    fn needed_limits_fit_any_webgpu_adapter_and_take_its_buffer_sizes() {
        // A WebGPU-default adapter (what every desktop GPU offers at least) and a GL ES class
        // one with 8 storage buffers per stage both satisfy the request.
        let mut gles = wgpu::Limits::downlevel_defaults();
        gles.max_storage_buffers_per_shader_stage = 8;
        for offered in [wgpu::Limits::default(), gles] {
            let need = needed_limits(&offered);
            assert!(need.check_limits(&offered), "{need:?} exceeds {offered:?}");
            assert_eq!(need.max_buffer_size, offered.max_buffer_size);
            assert_eq!(
                need.max_storage_buffer_binding_size,
                offered.max_storage_buffer_binding_size
            );
            assert_eq!(
                need.max_storage_buffers_per_shader_stage,
                STORAGE_BUFFERS_NEEDED
            );
        }
    }
}
