//! The GPU test harness: one device per test binary on any adapter (hardware preferred,
//! software such as llvmpipe allowed, `FLEETSIM_ADAPTER` honoured). Without an adapter a GPU
//! test is skipped (it prints why and passes), unless `FLEETSIM_REQUIRE_GPU=1`, where it fails.

use std::sync::{Arc, OnceLock};

use fleetsim::gpu::GpuContext;
use fleetsim::gpu::adapter::{self, AdapterRequest};

/// Environment variable that turns "no GPU adapter" from a skip into a test failure (CI).
pub const REQUIRE_ENV: &str = "FLEETSIM_REQUIRE_GPU";

/// Whether `FLEETSIM_REQUIRE_GPU` is set to `1` (or `true`/`yes`).
pub fn gpu_required() -> bool {
    std::env::var(REQUIRE_ENV)
        .map(|v| matches!(v.trim().to_lowercase().as_str(), "1" | "true" | "yes"))
        .unwrap_or(false)
}

/// The device shared by the GPU tests of this binary, opened once; `None` (test skipped) when
/// there is no adapter and `FLEETSIM_REQUIRE_GPU` is not set. Panics with the reason when it
/// is set. The adapter used is printed once, to stderr.
pub fn context() -> Option<Arc<GpuContext>> {
    static CTX: OnceLock<Result<Arc<GpuContext>, String>> = OnceLock::new();
    let opened = CTX.get_or_init(|| {
        let r =
            adapter::open(&AdapterRequest::from_flag_or_env(None, true)).map_err(|e| e.to_string());
        if let Ok(ctx) = &r {
            let a = &ctx.adapter;
            eprintln!(
                "GPU tests on: {} ({}, {}{}, driver {} {})",
                a.name,
                a.backend,
                a.device_type,
                if a.software { ", software" } else { "" },
                a.driver,
                a.driver_info
            );
        }
        r
    });
    match opened {
        Ok(ctx) => Some(ctx.clone()),
        Err(reason) if gpu_required() => {
            panic!("{REQUIRE_ENV}=1 but no GPU adapter can be opened: {reason}")
        }
        Err(reason) => {
            eprintln!("skipped: no GPU adapter ({reason})");
            None
        }
    }
}

/// The GPU engine on the test device, or `None` (after saying `test` was skipped) when there
/// is no adapter.
pub fn engine(test: &str) -> Option<fleetsim::gpu::GpuEngine> {
    let Some(ctx) = context() else {
        eprintln!("{test}: skipped (no GPU adapter)");
        return None;
    };
    Some(
        fleetsim::gpu::GpuEngine::new(ctx)
            .expect("the simulate kernel compiles on the test adapter"),
    )
}
