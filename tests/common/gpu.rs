//! The GPU test harness: one device per test binary on any adapter (hardware preferred,
//! software such as llvmpipe allowed, `FLEETSIM_ADAPTER` honoured). [`harness`] is the main of
//! the GPU test binary (tests/gpu.rs): without an adapter it reports every GPU test as
//! *ignored* (counted in the summary line, with the reason printed above it), so a developer
//! without a GPU is not blocked but cannot miss that they did not run; with
//! `FLEETSIM_REQUIRE_GPU=1` they run and fail instead (CI).

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
    match opened() {
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

/// The device of this binary, opened on first use (printing the adapter once, to stderr), or
/// why none can be opened.
fn opened() -> &'static Result<Arc<GpuContext>, String> {
    static CTX: OnceLock<Result<Arc<GpuContext>, String>> = OnceLock::new();
    CTX.get_or_init(|| {
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
    })
}

/// Runs `tests` (name, function) under libtest-mimic with the usual test-binary arguments
/// (filters, `--ignored`, `--test-threads`, ...) and exits with its status. Where no adapter
/// can be opened and `FLEETSIM_REQUIRE_GPU` is not set, every test is marked ignored (so
/// `cargo test` reports "N ignored") and the reason is printed first; `--include-ignored`
/// still runs them, and each then returns early.
pub fn harness(tests: Vec<(&'static str, fn())>) {
    let args = libtest_mimic::Arguments::from_args();
    let ignore = match opened() {
        Ok(_) => false,
        Err(_) if gpu_required() => false,
        Err(reason) => {
            if !args.list {
                println!(
                    "\nGPU TESTS NOT RUN: no GPU adapter can be opened ({reason}).\n\
                     The {} GPU tests below are reported as ignored. Install a GPU driver or \
                     Mesa's lavapipe (mesa-vulkan-drivers), or set {REQUIRE_ENV}=1 to make this \
                     a failure (CI does).\n",
                    tests.len()
                );
            }
            true
        }
    };
    let trials = tests
        .into_iter()
        .map(|(name, f)| {
            libtest_mimic::Trial::test(name, move || {
                f();
                Ok(())
            })
            .with_ignored_flag(ignore)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
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
