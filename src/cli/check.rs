//! `fleetsim check [SCENARIO]`: the GPU engine against the CPU engine on the same paths of a
//! scenario (the library's [`crate::check`]), printed as text, optionally written as JSON;
//! exit 0 on PASS, 1 on FAIL, 3 when the GPU cannot run, 2 for bad input.

use std::path::PathBuf;

use super::engines::{pick_engines, run_error};
use super::{BackendArg, CliError, EngineArgs, PrecisionArg, SampleArgs};
use crate::check::{CheckSubject, GpuUnderTest, Verdict, run_check};
use crate::engine::Precision;
use crate::engine::cpu::CpuEngine;

/// Paths `fleetsim check` simulates on each engine by default.
pub const DEFAULT_CHECK_PATHS: u32 = 10_000;

/// Options of `fleetsim check`.
#[derive(clap::Args, Debug)]
#[command(mut_arg(
    "paths",
    super::with_help("Paths simulated on each engine (default 10,000)")
))]
pub struct CheckArgs {
    /// Scenario TOML file (default: the built-in Trainium2 vs Blackwell comparison).
    pub scenario: Option<PathBuf>,
    /// Paths and seed.
    #[command(flatten)]
    pub sample: SampleArgs,
    /// `gpu`: the named or best adapter, software ones included; `auto`: a hardware adapter
    /// (a software one only when --adapter names it). Either way exit 3 if none can run.
    #[arg(long, value_enum, default_value_t = BackendArg::Gpu)]
    pub backend: BackendArg,
    /// GPU adapter to check: a case-insensitive part of its name or of "name (api)", as listed
    /// by `fleetsim adapters` (default: $FLEETSIM_ADAPTER, else the best adapter).
    #[arg(long, value_name = "NAME")]
    pub adapter: Option<String>,
    /// Compare with the CPU's f32 twin only, without the f64 reference run.
    #[arg(long)]
    pub no_f64: bool,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Overwrite an existing --json file.
    #[arg(long)]
    pub force: bool,
    /// CPU threads (default: all cores).
    #[arg(long, value_parser = super::checks::parse_threads)]
    pub threads: Option<usize>,
    /// No progress notes on stderr (the report still goes to stdout).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Runs `fleetsim check`.
pub fn check(a: &CheckArgs) -> Result<(), CliError> {
    if a.backend == BackendArg::Cpu {
        return Err(CliError::input(
            "fleetsim check compares the GPU engine with the CPU engine: --backend cpu has nothing to check (use gpu or auto)",
        ));
    }
    if let Some(p) = &a.json {
        super::bench::write_new_check(p, a.force)?;
    }
    let (scenario, origin) = super::run::load(a.scenario.as_deref())?;
    let seed = a
        .sample
        .seed
        .or(scenario.seed)
        .unwrap_or(super::run::DEFAULT_SEED);
    let paths = a.sample.paths.unwrap_or(DEFAULT_CHECK_PATHS);
    let model = crate::config::flatten(&scenario, seed);
    let engines = pick_engines(
        &EngineArgs {
            backend: a.backend,
            adapter: a.adapter.clone(),
            precision: PrecisionArg::F32,
            threads: a.threads,
        },
        a.quiet,
    )?;
    let Some(adapter) = engines.gpu.clone() else {
        return Err(CliError::no_device(
            "--backend auto has no GPU engine to check (no hardware adapter opened: see the note above; a software one needs --backend gpu or --adapter NAME; `fleetsim adapters` lists them)",
        ));
    };
    let cpu =
        |p| CpuEngine::with_threads(p, a.threads).map_err(|e| CliError::runtime(e.to_string()));
    let cpu32 = cpu(Precision::F32)?;
    let cpu64 = if a.no_f64 {
        None
    } else {
        Some(cpu(Precision::F64)?)
    };
    let subject = CheckSubject {
        scenario: scenario.name.clone(),
        origin,
        options: scenario
            .option_names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        seed,
        paths,
        horizon_days: model.run.horizon_days,
    };
    let quiet = a.quiet;
    let mut progress = |what: &str| {
        if !quiet {
            eprintln!("fleetsim check: {paths} paths on the {what}");
        }
    };
    let gpu = GpuUnderTest {
        engine: engines.primary.as_ref(),
        adapter,
        philox: engines.philox.map(|p| p.name().to_string()),
    };
    let report = run_check(
        subject,
        gpu,
        &model,
        &cpu32,
        cpu64.as_ref().map(|e| e as &dyn crate::engine::Engine),
        &mut progress,
    )
    .map_err(|e| run_error(e, true))?;
    say_raw!("{}", report.text());
    if let Some(p) = &a.json {
        crate::export::write_json_file(p, &report, a.force).map_err(super::export_error)?;
    }
    match report.verdict {
        Verdict::Pass => Ok(()),
        Verdict::Fail => Err(CliError::runtime(format!(
            "check FAILED on {}: {} check(s) out of tolerance (listed above)",
            report.adapter.label(),
            report.failures.len()
        ))),
    }
}
