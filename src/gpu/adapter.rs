//! Describing wgpu adapters: what fleetsim records and prints about the device it runs on.

/// What fleetsim reports about an adapter (summary.json, `fleetsim adapters`, bench files).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AdapterSummary {
    /// Adapter name, e.g. "NVIDIA H100 80GB HBM3" or "llvmpipe (LLVM 15.0.6, 256 bits)".
    pub name: String,
    /// PCI vendor id.
    pub vendor: u32,
    /// PCI device id.
    pub device: u32,
    /// Discrete, integrated, virtual, cpu (software) or other.
    pub device_type: String,
    /// Graphics API: vulkan, metal, dx12, gl.
    pub backend: String,
    /// Driver name.
    pub driver: String,
    /// Driver version details.
    pub driver_info: String,
    /// True for software rasterisers (llvmpipe, WARP): "no GPU" for `--backend auto`.
    pub software: bool,
}

impl AdapterSummary {
    /// Summarises wgpu's adapter info.
    pub fn from_info(info: &wgpu::AdapterInfo) -> Self {
        AdapterSummary {
            name: info.name.clone(),
            vendor: info.vendor,
            device: info.device,
            device_type: format!("{:?}", info.device_type).to_lowercase(),
            backend: info.backend.to_str().to_string(),
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
            software: info.device_type == wgpu::DeviceType::Cpu,
        }
    }
}
