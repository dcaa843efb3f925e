//! Everything that can go wrong on the GPU path, in words a planner can act on.

/// A GPU failure. Each is either the device failing (no adapter, out of memory, lost, timed
/// out, a driver limit), which under `--backend auto` sends the run to the CPU engine, or a bug
/// in fleetsim's GPU code (a kernel that does not compile, a call wgpu rejects as invalid, a
/// broken internal contract), which ends the run: see [`GpuError::is_bug`].
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
    /// A shader failed to compile or validate on this device: the kernels are validated by the
    /// test suite, so this is treated as a bug.
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
    /// wgpu rejected a call as invalid (a validation error): fleetsim used the API wrongly.
    #[error("wgpu rejected a GPU call as invalid: {0}")]
    Validation(String),
    /// fleetsim's GPU code broke its own contract (inputs that do not match, a lock poisoned by
    /// an earlier panic).
    #[error("GPU code broke its contract: {0}")]
    Contract(String),
    /// Any other wgpu failure (a buffer that does not map, an internal driver error).
    #[error("GPU error: {0}")]
    Other(String),
}

impl GpuError {
    /// Whether this is a bug in fleetsim rather than a failing device: a kernel that does not
    /// compile, a call wgpu rejects, a broken contract. A bug never falls back to the CPU.
    pub fn is_bug(&self) -> bool {
        match self {
            GpuError::Shader { .. } | GpuError::Validation(_) | GpuError::Contract(_) => true,
            GpuError::NoAdapter(_)
            | GpuError::OnlySoftware { .. }
            | GpuError::AdapterNotFound { .. }
            | GpuError::RequestDevice { .. }
            | GpuError::OutOfMemory(_)
            | GpuError::DeviceLost(_)
            | GpuError::Timeout(_)
            | GpuError::LoopLimit { .. }
            | GpuError::Other(_) => false,
        }
    }
}

impl From<GpuError> for crate::engine::EngineError {
    /// [`EngineError::Bug`](crate::engine::EngineError::Bug) for a bug, else
    /// [`EngineError::Device`](crate::engine::EngineError::Device) (see [`GpuError::is_bug`]).
    fn from(e: GpuError) -> Self {
        if e.is_bug() {
            crate::engine::EngineError::Bug(e.to_string())
        } else {
            crate::engine::EngineError::Device(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineError;

    /// Every variant, with its expected kind: `true` for a bug.
    fn all() -> Vec<(GpuError, bool)> {
        let s = || "x".to_string();
        vec![
            (GpuError::NoAdapter(s()), false),
            (GpuError::OnlySoftware { available: s() }, false),
            (
                GpuError::AdapterNotFound {
                    wanted: s(),
                    available: s(),
                },
                false,
            ),
            (
                GpuError::RequestDevice {
                    adapter: s(),
                    reason: s(),
                },
                false,
            ),
            (
                GpuError::Shader {
                    kernel: "simulate",
                    reason: s(),
                },
                true,
            ),
            (GpuError::OutOfMemory(s()), false),
            (GpuError::DeviceLost(s()), false),
            (GpuError::Timeout(5), false),
            (
                GpuError::LoopLimit {
                    adapter: s(),
                    invocations: 3,
                },
                false,
            ),
            (GpuError::Validation(s()), true),
            (GpuError::Contract(s()), true),
            (GpuError::Other(s()), false),
        ]
    }

    #[test]
    fn device_failures_map_to_device_and_bugs_to_bug() {
        for (e, bug) in all() {
            let words = e.to_string();
            match (EngineError::from(e), bug) {
                (EngineError::Device(m), false) => assert_eq!(m, words),
                (EngineError::Bug(m), true) => assert_eq!(m, words),
                (other, _) => panic!("{words}: mapped to {other:?}"),
            }
        }
    }

    #[test]
    fn a_bug_says_so_and_a_device_failure_does_not() {
        for (e, bug) in all() {
            let shown = EngineError::from(e).to_string();
            assert_eq!(shown.contains("this is a bug"), bug, "{shown}");
        }
    }
}
