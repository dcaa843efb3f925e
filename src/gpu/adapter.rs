//! Finding, describing and choosing wgpu adapters: what fleetsim records and prints about the
//! device it runs on, and which adapter `--backend auto|gpu` and `--adapter NAME` pick.
//!
//! Preference (best first): discrete, integrated, virtual, other, then software (llvmpipe,
//! WARP); for the same kind of device Vulkan, Metal and DX12 before GL (Mesa exposes llvmpipe
//! through both). A software adapter counts as "no GPU" unless software is allowed
//! ([`AdapterRequest::allow_software`]) or the adapter is asked for by name.

use std::sync::Arc;

use super::context::GpuContext;
use super::error::GpuError;

/// Environment variable naming the adapter to use when `--adapter` is not given.
pub const ADAPTER_ENV: &str = "FLEETSIM_ADAPTER";

/// The adapter limits fleetsim sizes its dispatches and buffers from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AdapterLimits {
    /// Largest buffer, bytes.
    pub max_buffer_size: u64,
    /// Largest storage-buffer binding, bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Most workgroups along one dispatch dimension.
    pub max_compute_workgroups_per_dimension: u32,
    /// Most invocations in one workgroup.
    pub max_compute_invocations_per_workgroup: u32,
}

impl AdapterLimits {
    /// The fields fleetsim cares about from wgpu's limits.
    pub fn from_limits(l: &wgpu::Limits) -> Self {
        AdapterLimits {
            max_buffer_size: l.max_buffer_size,
            max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
            max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
            max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
        }
    }
}

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
    /// The adapter's limits (`None` when summarised from [`wgpu::AdapterInfo`] alone).
    pub limits: Option<AdapterLimits>,
}

impl AdapterSummary {
    /// Summarises wgpu's adapter info (without limits; see [`from_adapter`](Self::from_adapter)).
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
            limits: None,
        }
    }

    /// Summarises an adapter: its info and its limits.
    pub fn from_adapter(adapter: &wgpu::Adapter) -> Self {
        AdapterSummary {
            limits: Some(AdapterLimits::from_limits(&adapter.limits())),
            ..Self::from_info(&adapter.get_info())
        }
    }

    /// `name (backend)`, the form `--adapter` also matches and messages use.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.backend)
    }

    /// Whether `wanted` is a case-insensitive substring of the name or of [`label`](Self::label).
    pub fn matches(&self, wanted: &str) -> bool {
        let w = wanted.to_lowercase();
        self.label().to_lowercase().contains(&w)
    }

    /// Sort key, lower is better: device kind (discrete first, software last), then API
    /// (Vulkan/Metal/DX12 before GL, GL before anything else).
    pub fn preference(&self) -> (u8, u8) {
        let kind = match self.device_type.as_str() {
            "discretegpu" => 0,
            "integratedgpu" => 1,
            "virtualgpu" => 2,
            "cpu" => 4,
            _ => 3,
        };
        let kind = if self.software { 4 } else { kind };
        let api = match self.backend.as_str() {
            "vulkan" | "metal" | "dx12" => 0,
            "gl" => 1,
            _ => 2,
        };
        (kind, api)
    }
}

/// Which adapter to open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdapterRequest {
    /// Case-insensitive substring of the adapter's name or of "name (backend)"; the best
    /// matching adapter is used, software included. `None`: the best adapter overall.
    pub name: Option<String>,
    /// Without a name, whether a software adapter (llvmpipe, WARP) may be chosen. `false` is
    /// what `--backend auto` means: software adapters are "no GPU".
    pub allow_software: bool,
}

impl AdapterRequest {
    /// `name` if given, else the value of [`ADAPTER_ENV`] if set and not empty, else none.
    pub fn from_flag_or_env(name: Option<&str>, allow_software: bool) -> Self {
        let env = std::env::var(ADAPTER_ENV).ok();
        Self::resolve(name, env.as_deref(), allow_software)
    }

    /// [`from_flag_or_env`](Self::from_flag_or_env) with the environment value passed in: the
    /// flag wins, an empty or blank value counts as unset.
    pub fn resolve(flag: Option<&str>, env: Option<&str>, allow_software: bool) -> Self {
        let clean = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        AdapterRequest {
            name: clean(flag).or_else(|| clean(env)),
            allow_software,
        }
    }
}

/// One line per adapter for messages: `name (backend, software)`, or `none`.
pub fn describe(adapters: &[AdapterSummary]) -> String {
    if adapters.is_empty() {
        return "none".into();
    }
    adapters
        .iter()
        .map(|a| {
            if a.software {
                format!("{} ({}, software)", a.name, a.backend)
            } else {
                format!("{} ({})", a.name, a.backend)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Picks the adapter `request` asks for among `adapters`: the index of the most preferred
/// ([`AdapterSummary::preference`], then list order) among those matching the name, or among
/// all (hardware only unless software is allowed) when no name is given.
///
/// Errors: [`GpuError::AdapterNotFound`] when a name matches nothing (listing what exists),
/// [`GpuError::NoAdapter`] when there is no adapter, [`GpuError::OnlySoftware`] when there are
/// only software ones and software is not allowed.
pub fn select(adapters: &[AdapterSummary], request: &AdapterRequest) -> Result<usize, GpuError> {
    let best = |keep: &dyn Fn(&AdapterSummary) -> bool| {
        adapters
            .iter()
            .enumerate()
            .filter(|(_, a)| keep(a))
            .min_by_key(|(i, a)| (a.preference(), *i))
            .map(|(i, _)| i)
    };
    if let Some(wanted) = &request.name {
        return best(&|a| a.matches(wanted)).ok_or_else(|| GpuError::AdapterNotFound {
            wanted: wanted.clone(),
            available: describe(adapters),
        });
    }
    if adapters.is_empty() {
        return Err(GpuError::NoAdapter(
            "wgpu found no Vulkan, Metal, DX12 or GL adapter".into(),
        ));
    }
    best(&|a| request.allow_software || !a.software).ok_or_else(|| GpuError::OnlySoftware {
        available: describe(adapters),
    })
}

/// Every adapter wgpu finds on this machine, all backends (honouring `WGPU_BACKEND` and the
/// other `WGPU_*` instance variables), most preferred first.
pub fn enumerate() -> Vec<wgpu::Adapter> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let mut all: Vec<(AdapterSummary, wgpu::Adapter)> =
        pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
            .into_iter()
            .map(|a| (AdapterSummary::from_adapter(&a), a))
            .collect();
    all.sort_by_key(|(s, _)| s.preference());
    all.into_iter().map(|(_, a)| a).collect()
}

/// Summaries of every adapter, most preferred first (the order [`select`] breaks ties in).
pub fn list() -> Vec<AdapterSummary> {
    enumerate()
        .iter()
        .map(AdapterSummary::from_adapter)
        .collect()
}

/// Enumerates the adapters, selects one as `request` says and opens a device on it.
pub fn open(request: &AdapterRequest) -> Result<Arc<GpuContext>, GpuError> {
    let adapters = enumerate();
    let summaries: Vec<AdapterSummary> =
        adapters.iter().map(AdapterSummary::from_adapter).collect();
    let i = select(&summaries, request)?;
    GpuContext::new(&adapters[i]).map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, kind: &str, backend: &str) -> AdapterSummary {
        AdapterSummary {
            name: name.into(),
            vendor: 0,
            device: 0,
            device_type: kind.into(),
            backend: backend.into(),
            driver: String::new(),
            driver_info: String::new(),
            software: kind == "cpu",
            limits: None,
        }
    }

    fn by_name(name: Option<&str>, allow_software: bool) -> AdapterRequest {
        AdapterRequest {
            name: name.map(str::to_string),
            allow_software,
        }
    }

    /// Mesa's two llvmpipe adapters, GL listed first (the order is up to the driver).
    fn mesa() -> Vec<AdapterSummary> {
        vec![
            adapter("llvmpipe (LLVM 15.0.6, 256 bits)", "cpu", "gl"),
            adapter("llvmpipe (LLVM 15.0.6, 256 bits)", "cpu", "vulkan"),
        ]
    }

    #[test]
    fn hardware_before_software_discrete_before_integrated() {
        let mut a = mesa();
        a.push(adapter(
            "Intel(R) UHD Graphics 630",
            "integratedgpu",
            "vulkan",
        ));
        a.push(adapter("NVIDIA H100 80GB HBM3", "discretegpu", "gl"));
        a.push(adapter("NVIDIA H100 80GB HBM3", "discretegpu", "vulkan"));
        let auto = select(&a, &by_name(None, false)).unwrap();
        assert_eq!(a[auto].label(), "NVIDIA H100 80GB HBM3 (vulkan)");
        // Allowing software changes nothing when hardware exists.
        assert_eq!(select(&a, &by_name(None, true)).unwrap(), auto);
        // Without the discrete GPU the integrated one wins, still before llvmpipe.
        let b: Vec<_> = a[..3].to_vec();
        assert_eq!(
            b[select(&b, &by_name(None, false)).unwrap()].backend,
            "vulkan"
        );
        assert_eq!(
            b[select(&b, &by_name(None, false)).unwrap()].device_type,
            "integratedgpu"
        );
    }

    #[test]
    fn software_only_is_no_gpu_for_auto_but_usable_when_allowed_or_named() {
        let a = mesa();
        let e = select(&a, &by_name(None, false)).unwrap_err();
        assert!(matches!(e, GpuError::OnlySoftware { .. }), "{e}");
        assert!(e.to_string().contains("llvmpipe"), "{e}");
        // Allowed (--backend gpu) or named: the Vulkan one, not the GL one listed first.
        assert_eq!(
            a[select(&a, &by_name(None, true)).unwrap()].backend,
            "vulkan"
        );
        assert_eq!(
            a[select(&a, &by_name(Some("LLVMPIPE"), false)).unwrap()].backend,
            "vulkan"
        );
        // The backend in "name (backend)" can pick the GL one explicitly.
        assert_eq!(
            a[select(&a, &by_name(Some("bits) (gl)"), false)).unwrap()].backend,
            "gl"
        );
    }

    #[test]
    fn unknown_name_lists_what_exists() {
        let e = select(&mesa(), &by_name(Some("h100"), true)).unwrap_err();
        match &e {
            GpuError::AdapterNotFound { wanted, available } => {
                assert_eq!(wanted, "h100");
                assert!(available.contains("llvmpipe (LLVM 15.0.6, 256 bits) (gl, software)"));
                assert!(available.contains("(vulkan, software)"));
            }
            other => panic!("{other:?}"),
        }
        let e = select(&[], &by_name(Some("h100"), true)).unwrap_err();
        assert!(e.to_string().contains("available: none"), "{e}");
        let e = select(&[], &by_name(None, true)).unwrap_err();
        assert!(matches!(e, GpuError::NoAdapter(_)), "{e}");
    }

    #[test]
    fn flag_wins_over_env_and_blank_means_unset() {
        assert_eq!(
            AdapterRequest::resolve(Some("h100"), Some("llvmpipe"), false).name,
            Some("h100".into())
        );
        assert_eq!(
            AdapterRequest::resolve(None, Some("llvmpipe"), false).name,
            Some("llvmpipe".into())
        );
        assert_eq!(AdapterRequest::resolve(None, Some("  "), false).name, None);
        assert_eq!(
            AdapterRequest::resolve(Some(""), Some("warp"), true),
            by_name(Some("warp"), true)
        );
    }
}
