//! Everything that can go wrong on the GPU path, in words a planner can act on.

/// A GPU failure. Under `--backend auto` any of these sends the run to the CPU engine.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter at all (no driver, or a headless machine without a software rasteriser).
    #[error("no GPU adapter found ({0})")]
    NoAdapter(String),
    /// Only software adapters (llvmpipe, WARP) and software was not allowed: "no GPU" for
    /// `--backend auto` unless one is asked for by name.
    #[error("no hardware GPU adapter, only software ones: {available}")]
    OnlySoftware {
        /// The software adapters present.
        available: String,
    },
    /// `--adapter NAME` / `FLEETSIM_ADAPTER` matched nothing.
    #[error("no GPU adapter matches '{wanted}'; available: {available}")]
    AdapterNotFound {
        /// The requested substring.
        wanted: String,
        /// Names of the adapters present.
        available: String,
    },
    /// The adapter refused to open a device with the limits fleetsim needs.
    #[error("cannot open a device on {adapter}: {reason}")]
    RequestDevice {
        /// Adapter name.
        adapter: String,
        /// wgpu's reason.
        reason: String,
    },
    /// A shader failed to compile on this device (a bug, or an unsupported driver).
    #[error("the {kernel} kernel does not compile on this device: {reason}")]
    Shader {
        /// Kernel name.
        kernel: &'static str,
        /// Compiler message.
        reason: String,
    },
    /// The device ran out of memory for a buffer.
    #[error("GPU out of memory: {0}")]
    OutOfMemory(String),
    /// The driver reset or removed the device (watchdog, hang, unplugged).
    #[error("GPU device lost: {0}")]
    DeviceLost(String),
    /// A dispatch did not finish within the timeout.
    #[error("GPU work did not finish within {0} s (driver hang or watchdog)")]
    Timeout(u64),
    /// The driver stopped the kernel's loops early (llvmpipe ends every loop of an invocation
    /// after 65,535 iterations in all), so some paths were cut short: their results are
    /// discarded, never used.
    #[error(
        "{adapter} cut {invocations} simulations short (its shaders stop every loop after a \
         fixed number of iterations); use the CPU engine, or a shorter horizon or smaller fleet \
         on this adapter"
    )]
    LoopLimit {
        /// Adapter name.
        adapter: String,
        /// Invocations (path x option) affected in the dispatch.
        invocations: u32,
    },
    /// Any other wgpu error (validation, mapping).
    #[error("GPU error: {0}")]
    Other(String),
}

impl From<GpuError> for crate::engine::EngineError {
    fn from(e: GpuError) -> Self {
        crate::engine::EngineError::Backend(e.to_string())
    }
}
