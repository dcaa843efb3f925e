//! `fleetsim adapters`: every GPU adapter wgpu finds, with its API, device type, driver and
//! limits, and which one `--backend auto` and `--backend gpu` would use.

use super::CliError;
use crate::export::format::bytes;
use crate::gpu::GpuError;
use crate::gpu::adapter::{self, ADAPTER_ENV, AdapterRequest, AdapterSummary};

/// What `--backend auto` and `--backend gpu` would do with `adapters` (most preferred first)
/// and the request built from `FLEETSIM_ADAPTER`: the chosen index or the reason there is none.
pub struct Choices {
    /// `--backend auto`: the adapter, or why the CPU engine would run.
    pub auto: Result<usize, GpuError>,
    /// `--backend gpu`: the adapter, or why the run would fail.
    pub gpu: Result<usize, GpuError>,
}

/// The choices `run` would make, given the adapters and the adapter name (if any).
pub fn choices(adapters: &[AdapterSummary], name: Option<&str>) -> Choices {
    let auto = AdapterRequest::resolve(name, None, false);
    let gpu = AdapterRequest::resolve(name, None, true);
    Choices {
        auto: adapter::select(adapters, &auto),
        gpu: adapter::select(adapters, &gpu),
    }
}

/// Prints the adapter list (text or JSON).
pub fn adapters(json: bool) -> Result<(), CliError> {
    let list = adapter::list();
    let env = AdapterRequest::from_flag_or_env(None, false).name;
    let c = choices(&list, env.as_deref());
    if json {
        let v = serde_json::json!({
            "adapters": list,
            "adapter_env": env,
            "auto": c.auto.as_ref().ok(),
            "auto_reason": c.auto.as_ref().err().map(|e| e.to_string()),
            "gpu": c.gpu.as_ref().ok(),
            "gpu_reason": c.gpu.as_ref().err().map(|e| e.to_string()),
        });
        let text = serde_json::to_string_pretty(&v)
            .map_err(|e| CliError::runtime(format!("adapter list as JSON: {e}")))?;
        return print_out(&format!("{text}\n"));
    }
    print_out(&text(&list, env.as_deref(), &c))
}

/// Writes to stdout; a closed pipe (`fleetsim adapters | head`) is not an error.
fn print_out(s: &str) -> Result<(), CliError> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(s.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::runtime(format!("writing to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// The text listing.
pub fn text(list: &[AdapterSummary], env: Option<&str>, c: &Choices) -> String {
    let mut s = String::new();
    if list.is_empty() {
        s.push_str("No GPU adapter found (wgpu sees no Vulkan, Metal, DX12 or GL driver).\n");
    } else {
        s.push_str(&format!(
            "{} GPU adapter(s), most preferred first:\n",
            list.len()
        ));
    }
    for (i, a) in list.iter().enumerate() {
        let mut marks = vec![];
        if c.auto.as_ref().ok() == Some(&i) {
            marks.push("auto");
        }
        if c.gpu.as_ref().ok() == Some(&i) {
            marks.push("gpu");
        }
        let marks = if marks.is_empty() {
            String::new()
        } else {
            format!("   <- --backend {}", marks.join(", "))
        };
        s.push_str(&format!("  [{}] {}{marks}\n", i + 1, a.name));
        let kind = if a.software {
            format!("{} (software)", a.device_type)
        } else {
            a.device_type.clone()
        };
        let driver = [a.driver.as_str(), a.driver_info.as_str()]
            .iter()
            .filter(|d| !d.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        s.push_str(&format!(
            "      api {}, device type {kind}, driver {}, vendor 0x{:04x}, device 0x{:04x}\n",
            a.backend,
            if driver.is_empty() { "?" } else { &driver },
            a.vendor,
            a.device
        ));
        if let Some(l) = &a.limits {
            s.push_str(&format!(
                "      limits: buffer {}, storage binding {}, {} workgroups per dimension, {} invocations per workgroup\n",
                bytes(l.max_buffer_size),
                bytes(l.max_storage_buffer_binding_size),
                l.max_compute_workgroups_per_dimension,
                l.max_compute_invocations_per_workgroup
            ));
        }
    }
    if let Some(n) = env {
        s.push_str(&format!("{ADAPTER_ENV}={n}\n"));
    }
    let label = |i: usize| format!("[{}] {}", i + 1, list[i].label());
    s.push_str(&match &c.auto {
        Ok(i) => format!("--backend auto: GPU engine on {}\n", label(*i)),
        Err(e @ GpuError::AdapterNotFound { .. }) => format!("--backend auto: exits 2: {e}\n"),
        Err(e @ GpuError::OnlySoftware { .. }) => format!(
            "--backend auto: CPU engine ({e}); --adapter NAME or --backend gpu runs on one\n"
        ),
        Err(e) => format!("--backend auto: CPU engine ({e})\n"),
    });
    // scripts/gpu-check reads the adapter under test from this line (tests/docs.rs).
    s.push_str(&match &c.gpu {
        Ok(i) => format!("--backend gpu: GPU engine on {}\n", label(*i)),
        Err(e @ GpuError::AdapterNotFound { .. }) => format!("--backend gpu: exits 2: {e}\n"),
        Err(e) => format!("--backend gpu: exits 3: {e}\n"),
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn llvmpipe(backend: &str) -> AdapterSummary {
        AdapterSummary {
            name: "llvmpipe (LLVM 15.0.6, 256 bits)".into(),
            vendor: 0x10005,
            device: 0,
            device_type: "cpu".into(),
            backend: backend.into(),
            driver: "llvmpipe".into(),
            driver_info: "Mesa 22.3.6".into(),
            software: true,
            limits: Some(crate::gpu::adapter::AdapterLimits {
                max_buffer_size: 1 << 31,
                max_storage_buffer_binding_size: 1 << 27,
                max_compute_workgroups_per_dimension: 65_535,
                max_compute_invocations_per_workgroup: 1_024,
            }),
        }
    }

    #[test]
    fn software_only_says_auto_runs_on_the_cpu_and_gpu_on_vulkan() {
        let list = vec![llvmpipe("vulkan"), llvmpipe("gl")];
        let t = text(&list, None, &choices(&list, None));
        assert!(t.contains("2 GPU adapter(s)"), "{t}");
        assert!(
            t.contains(
                "--backend auto: CPU engine (no hardware GPU adapter, only software ones: llvmpipe"
            ),
            "{t}"
        );
        assert!(
            t.contains(
                "--backend gpu: GPU engine on [1] llvmpipe (LLVM 15.0.6, 256 bits) (vulkan)"
            ),
            "{t}"
        );
        assert!(
            t.contains("[1] llvmpipe (LLVM 15.0.6, 256 bits)   <- --backend gpu\n"),
            "{t}"
        );
        assert!(
            t.contains("api gl, device type cpu (software), driver llvmpipe, Mesa 22.3.6"),
            "{t}"
        );
        assert!(t.contains("limits: buffer 2.00 GiB, storage binding 128 MiB, 65535 workgroups per dimension, 1024 invocations per workgroup"), "{t}");
    }

    #[test]
    fn a_named_adapter_is_used_by_auto_and_a_bad_name_is_reported() {
        let list = vec![llvmpipe("vulkan"), llvmpipe("gl")];
        let t = text(&list, Some("(gl)"), &choices(&list, Some("(gl)")));
        assert!(t.contains("FLEETSIM_ADAPTER=(gl)"), "{t}");
        assert!(t.contains("--backend auto: GPU engine on [2]"), "{t}");
        assert!(
            t.contains("[2] llvmpipe (LLVM 15.0.6, 256 bits)   <- --backend auto, gpu"),
            "{t}"
        );
        let t = text(&list, Some("h100"), &choices(&list, Some("h100")));
        assert!(
            t.contains("--backend auto: exits 2: no GPU adapter matches 'h100'"),
            "{t}"
        );
    }

    #[test]
    fn no_adapter_at_all() {
        let t = text(&[], None, &choices(&[], None));
        assert!(t.starts_with("No GPU adapter found"), "{t}");
        assert!(t.contains("--backend auto: CPU engine"), "{t}");
        assert!(t.contains("--backend gpu: exits 3"), "{t}");
    }
}
