//! Choosing the engines of a command (`run`, `sweep`, `sensitivity`, `spares`, `bench`): the
//! GPU engine on the best or named adapter with the CPU engine as fallback, or one of them,
//! from the shared `--backend`, `--adapter`, `--precision` and `--threads` options.

use super::{BackendArg, CliError, EngineArgs, PrecisionArg};
use crate::engine::cpu::CpuEngine;
use crate::engine::fault::{FAULT_ENV, FailAtChunk, parse_fault};
use crate::engine::{Engine, EngineError, Precision};
use crate::gpu::adapter::{self, ADAPTER_ENV, AdapterRequest, AdapterSummary};
use crate::gpu::{GpuEngine, GpuError};

/// The engines a run uses.
pub(crate) struct Engines {
    /// The engine that starts the run.
    pub primary: Box<dyn Engine>,
    /// Under `--backend auto` on a GPU: the CPU engine that takes over if the GPU fails.
    pub fallback: Option<Box<dyn Engine>>,
    /// The GPU adapter, when the primary engine is the GPU engine.
    pub gpu: Option<AdapterSummary>,
    /// The Philox variant of the GPU engine's kernel, when the primary engine is the GPU one.
    pub philox: Option<crate::gpu::shaders::Philox>,
}

impl Engines {
    /// A failed run as the command's error: see [`run_error`].
    pub(crate) fn error(&self, e: EngineError) -> CliError {
        run_error(e, self.gpu.is_some() && self.fallback.is_none())
    }
}

/// A failed run as the command's error. A device failure of the GPU under `--backend gpu`
/// (`gpu_only`: no fallback) exits 3 with nothing written; a bug exits 1 and says it is one,
/// whichever the backend; anything else (the fallback engine failing too) exits 1.
pub(crate) fn run_error(e: EngineError, gpu_only: bool) -> CliError {
    match e {
        EngineError::Device(e) if gpu_only => CliError::no_device(format!(
            "--backend gpu: {e}; no results written (--backend auto continues on the CPU instead)"
        )),
        e => CliError::runtime(e.to_string()),
    }
}

/// The GPU engine did not start: a bug exits 1 whatever the backend (no engine may hide it);
/// a device failure exits 3 under `--backend gpu`.
fn gpu_start_error(e: GpuError) -> CliError {
    if e.is_bug() {
        CliError::runtime(EngineError::from(e).to_string())
    } else {
        CliError::no_device(format!("--backend gpu: {e}"))
    }
}

/// `--adapter NAME` matched nothing: bad input, naming where the name came from.
fn adapter_not_found(e: GpuError, flag: Option<&str>) -> CliError {
    match flag {
        Some(_) => CliError::input(format!("--adapter: {e}")),
        None => CliError::input(format!("{ADAPTER_ENV}: {e}")),
    }
}

/// Wraps the GPU engine in the fault injector when the hidden test hook asks for it.
fn with_fault_hook(engine: GpuEngine) -> Result<Box<dyn Engine>, CliError> {
    match std::env::var(FAULT_ENV) {
        Ok(v) if !v.trim().is_empty() => {
            let (k, fault) = parse_fault(&v).ok_or_else(|| {
                CliError::input(format!(
                    "{FAULT_ENV}={v}: expected a chunk number, optionally followed by ':bug'"
                ))
            })?;
            Ok(Box::new(FailAtChunk::with_fault(engine, k, fault)))
        }
        _ => Ok(Box::new(engine)),
    }
}

/// Chooses the engines for `args.backend` and says which on stderr (unless quiet).
///
impl From<PrecisionArg> for Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::F32 => Precision::F32,
            PrecisionArg::F64 => Precision::F64,
        }
    }
}

/// `auto`: the GPU engine on the best hardware adapter, or on the adapter named by `--adapter`
/// / `FLEETSIM_ADAPTER` (software included), with the CPU engine as fallback; the CPU engine
/// alone when there is no such adapter or it does not open. `gpu`: the GPU engine on the named
/// or best adapter, software included, no fallback; exit 3 if it cannot open. `cpu`: the CPU
/// engine. A name that matches no adapter is bad input (exit 2) under `auto` and `gpu`.
pub(crate) fn pick_engines(args: &EngineArgs, quiet: bool) -> Result<Engines, CliError> {
    let precision = Precision::from(args.precision);
    let flag = args
        .adapter
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let cpu = || -> Result<Box<dyn Engine>, CliError> {
        let e = CpuEngine::with_threads(precision, args.threads)
            .map_err(|e| CliError::runtime(e.to_string()))?;
        Ok(Box::new(e))
    };
    let cpu_only = |why: &str| -> Result<Engines, CliError> {
        if !quiet {
            eprintln!("fleetsim: backend auto -> cpu: {why}");
        }
        Ok(Engines {
            primary: cpu()?,
            fallback: None,
            gpu: None,
            philox: None,
        })
    };
    match args.backend {
        BackendArg::Cpu => {
            if flag.is_some() {
                return Err(CliError::input(
                    "--adapter names a GPU adapter; it needs --backend gpu or auto, not cpu",
                ));
            }
            Ok(Engines {
                primary: cpu()?,
                fallback: None,
                gpu: None,
                philox: None,
            })
        }
        BackendArg::Gpu => {
            if precision == Precision::F64 {
                return Err(CliError::input(
                    "--precision f64 is the CPU reference; the GPU engine computes in f32 (use --backend cpu or auto)",
                ));
            }
            let request = AdapterRequest::from_flag_or_env(flag, true);
            let ctx = adapter::open(&request).map_err(|e| match e {
                GpuError::AdapterNotFound { .. } => adapter_not_found(e, flag),
                e => CliError::no_device(format!("--backend gpu: {e}")),
            })?;
            let summary = ctx.adapter.clone();
            let engine = GpuEngine::new(ctx).map_err(gpu_start_error)?;
            if !quiet {
                eprintln!("fleetsim: backend gpu -> {}", adapter_words(&summary));
            }
            let philox = Some(engine.philox());
            Ok(Engines {
                primary: with_fault_hook(engine)?,
                fallback: None,
                gpu: Some(summary),
                philox,
            })
        }
        BackendArg::Auto => {
            if precision == Precision::F64 {
                if flag.is_some() {
                    return Err(CliError::input(
                        "--precision f64 is the CPU reference; the GPU engine named by --adapter computes in f32",
                    ));
                }
                return cpu_only("--precision f64 runs on the CPU");
            }
            let request = AdapterRequest::from_flag_or_env(flag, false);
            let ctx = match adapter::open(&request) {
                Ok(ctx) => ctx,
                Err(e @ GpuError::AdapterNotFound { .. }) => {
                    return Err(adapter_not_found(e, flag));
                }
                Err(e @ GpuError::OnlySoftware { .. }) => {
                    return cpu_only(&format!("{e}; --adapter NAME or --backend gpu runs on one"));
                }
                Err(e) => return cpu_only(&e.to_string()),
            };
            let summary = ctx.adapter.clone();
            let engine = match GpuEngine::new(ctx) {
                Ok(e) => e,
                Err(e) if e.is_bug() => return Err(gpu_start_error(e)),
                Err(e) => return cpu_only(&format!("{}: {e}", summary.label())),
            };
            if !quiet {
                eprintln!(
                    "fleetsim: backend auto -> gpu on {} (the CPU engine takes over if it fails)",
                    adapter_words(&summary)
                );
            }
            let philox = Some(engine.philox());
            Ok(Engines {
                primary: with_fault_hook(engine)?,
                fallback: Some(cpu()?),
                gpu: Some(summary),
                philox,
            })
        }
    }
}

/// `name (api, device type[, software][, driver ...])` for messages.
pub(crate) fn adapter_words(a: &AdapterSummary) -> String {
    let mut parts = vec![a.backend.clone(), a.device_type.clone()];
    if a.software {
        parts.push("software".into());
    }
    let driver: Vec<&str> = [a.driver.as_str(), a.driver_info.as_str()]
        .into_iter()
        .filter(|d| !d.is_empty())
        .collect();
    if !driver.is_empty() {
        parts.push(format!("driver {}", driver.join(" ")));
    }
    format!("{} ({})", a.name, parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bug_exits_1_and_a_device_failure_of_a_gpu_asked_for_exits_3() {
        let device = || EngineError::Device("GPU device lost: x".into());
        let bug = || EngineError::Bug("engine returned 3 blocks for 2 points".into());
        assert_eq!(run_error(device(), true).code, crate::cli::EXIT_NO_DEVICE);
        assert_eq!(run_error(device(), false).code, 1);
        for gpu_only in [true, false] {
            let e = run_error(bug(), gpu_only);
            assert_eq!(e.code, 1);
            assert!(e.message.contains("this is a bug"), "{}", e.message);
        }
        let shader = GpuError::Shader {
            kernel: "simulate",
            reason: "x".into(),
        };
        assert_eq!(gpu_start_error(shader).code, 1);
        let lost = GpuError::DeviceLost("x".into());
        assert_eq!(gpu_start_error(lost).code, crate::cli::EXIT_NO_DEVICE);
    }
}
