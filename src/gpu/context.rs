//! An open device: wgpu device and queue for one adapter, the limits granted, and the plumbing
//! every kernel runner needs (pipelines, buffers, bounded waits, readback, device-loss checks).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wgpu::util::DeviceExt;

use super::adapter::AdapterSummary;
use super::error::GpuError;
use super::shaders::Kernel;

/// Longest wait for one submission before the device is declared hung.
pub const POLL_TIMEOUT_S: u64 = 60;

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
    lost: Arc<Mutex<Option<String>>>,
    uncaptured: Arc<Mutex<Option<String>>>,
}

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
        let summary = AdapterSummary::from_adapter(adapter);
        let offered = adapter.limits();
        let limits = needed_limits(&offered);
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("fleetsim"),
            required_features: wgpu::Features::empty(),
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
                u.get_or_insert_with(|| e.to_string());
            }
        }));
        Ok(GpuContext {
            device,
            queue,
            adapter: summary,
            limits,
            lost,
            uncaptured,
        })
    }

    /// Fails if the device was lost or an error escaped an error scope since the last check.
    pub fn check_health(&self) -> Result<(), GpuError> {
        if let Some(m) = self.lost.lock().ok().and_then(|l| l.clone()) {
            return Err(GpuError::DeviceLost(m));
        }
        if let Some(m) = self.uncaptured.lock().ok().and_then(|mut u| u.take()) {
            return Err(classify(m));
        }
        Ok(())
    }

    /// Compiles `kernel` into a compute pipeline (entry point `main`, bindings inferred),
    /// turning compile errors into [`GpuError::Shader`].
    pub fn pipeline(&self, kernel: Kernel) -> Result<wgpu::ComputePipeline, GpuError> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(kernel.name()),
                source: wgpu::ShaderSource::Wgsl(kernel.source().into()),
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
            return Err(GpuError::Other(format!("{label} ({size} bytes): {e}")));
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
        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(label),
                timestamp_writes: None,
            });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, bind_group, &[]);
            pass.dispatch_workgroups(grid.0, grid.1, 1);
        }
        for &(from, to, to_offset, bytes) in copies {
            enc.copy_buffer_to_buffer(from, 0, to, to_offset, bytes);
        }
        let submission = self.queue.submit([enc.finish()]);
        self.wait(submission)
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
                other => GpuError::Other(other.to_string()),
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

/// Sorts an escaped wgpu error message into out-of-memory or other.
fn classify(msg: String) -> GpuError {
    if msg.to_lowercase().contains("out of memory") {
        GpuError::OutOfMemory(msg)
    } else {
        GpuError::Other(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
