//! TEMP harness (replaced by the gpu-infra branch's).
use std::sync::Arc;
pub fn context() -> Option<Arc<fleetsim::gpu::GpuContext>> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter =
        match pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
        {
            Ok(a) => a,
            Err(e) => {
                eprintln!("skipped: no GPU adapter ({e})");
                return None;
            }
        };
    Some(Arc::new(fleetsim::gpu::GpuContext::new(&adapter).unwrap()))
}
