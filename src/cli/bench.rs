//! `fleetsim bench` (run the workload set on every device, print a table, write bench.json)
//! and `fleetsim bench compare A.json B.json ...` (side-by-side table and CSV).

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand, ValueEnum};

use super::CliError;
use crate::bench::compare;
use crate::bench::consumption::blocks_per_path_day;
use crate::bench::report::{BenchFile, Host, Settings, git_commit};
use crate::bench::runner::{
    BenchOptions, DEFAULT_BUDGET_SECONDS, DEFAULT_REPS, Target, bench_target, gpu_targets,
};
use crate::bench::workload::{WorkloadKind, models, workload_set};
use crate::bench::{SCHEMA_VERSION, WORKLOAD_SET_VERSION};
use crate::engine::Precision;
use crate::engine::cpu::CpuEngine;
use crate::export::format::{group_thousands, qty, table};
use crate::gpu::adapter;

/// `fleetsim bench`: its options, or the `compare` subcommand.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchCmd {
    /// `compare`; without it, run the benchmark.
    #[command(subcommand)]
    pub action: Option<BenchAction>,
    /// Options of the benchmark run.
    #[command(flatten)]
    pub run: BenchRunArgs,
}

/// Subcommands of `fleetsim bench`.
#[derive(Subcommand, Debug)]
pub enum BenchAction {
    /// Compare bench.json files side by side (path-days/s per workload, speed-up vs the first).
    Compare(CompareArgs),
}

/// Which engines the benchmark runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum BenchBackend {
    /// The CPU engine and the GPU engine on every adapter (one API per device; software
    /// adapters such as llvmpipe included).
    #[default]
    All,
    /// The CPU engine only.
    Cpu,
    /// The GPU engine only (every adapter, or those matching --adapter); exit 3 if none opens.
    Gpu,
}

/// Options of `fleetsim bench`.
#[derive(Args, Debug)]
pub struct BenchRunArgs {
    /// Engines to run.
    #[arg(long, value_enum, default_value_t)]
    pub backend: BenchBackend,
    /// Only GPU adapters whose "name (api)" contains this (case-insensitive); every API of a
    /// matching device is run.
    #[arg(long, value_name = "NAME")]
    pub adapter: Option<String>,
    /// Tiny sizes and one repetition: checks the whole pipeline in seconds (not a measurement).
    #[arg(long)]
    pub quick: bool,
    /// Timed repetitions per workload, after a warm-up (default 3; 1 with --quick).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub reps: Option<u32>,
    /// Time budget per repetition of one workload, seconds: a workload whose nominal size
    /// would take longer runs a measured subset of its paths (and says so).
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_BUDGET_SECONDS)]
    pub budget_seconds: f64,
    /// Write the results file (JSON, schema docs/bench.schema.json) here.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite an existing results file.
    #[arg(long)]
    pub force: bool,
    /// CPU engine threads (default: all cores).
    #[arg(long, value_parser = super::checks::parse_threads)]
    pub threads: Option<usize>,
    /// No progress lines on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Options of `fleetsim bench compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Results files written by `fleetsim bench --out` (the first is the baseline).
    #[arg(required = true, num_args = 2.., value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Also write the comparison as CSV here.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite an existing CSV file.
    #[arg(long)]
    pub force: bool,
}

/// Runs `fleetsim bench` or `fleetsim bench compare`.
pub fn bench(cmd: &BenchCmd) -> Result<(), CliError> {
    match &cmd.action {
        Some(BenchAction::Compare(a)) => compare_files(a),
        None => run_bench(&cmd.run),
    }
}

fn compare_files(a: &CompareArgs) -> Result<(), CliError> {
    if let Some(out) = &a.out {
        write_new_check(out, a.force)?;
    }
    let files = a
        .files
        .iter()
        .map(|p| {
            compare::load(p)
                .map(|f| (p.display().to_string(), f))
                .map_err(CliError::input)
        })
        .collect::<Result<Vec<_>, _>>()?;
    compare::check_versions(&files).map_err(CliError::input)?;
    let c = compare::compare(&files);
    say_raw!("{}", c.table());
    for (name, f) in &files {
        if f.settings.quick {
            say!("note: {name} is a --quick run (a smoke test): its figures are not measurements");
        }
    }
    if let Some(out) = &a.out {
        let text = c.csv().map_err(CliError::runtime)?;
        write_new(out, text, a.force)?;
    }
    Ok(())
}

/// `--out FILE` as the folder and file name the result-file helpers take.
fn dir_and_name(path: &std::path::Path) -> Result<(&std::path::Path, &str), CliError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CliError::input(format!("{}: not a file name", path.display())))?;
    Ok((dir, name))
}

/// Refuses early (before minutes of benchmarking, exit 2) to overwrite a file without
/// `--force`, or to write into a folder that does not exist or a path that is a folder.
pub(super) fn write_new_check(path: &std::path::Path, force: bool) -> Result<(), CliError> {
    let (dir, _) = dir_and_name(path)?;
    if path.is_dir() {
        return Err(CliError::input(format!(
            "{}: is a folder; --out names the results file",
            path.display()
        )));
    }
    if !dir.is_dir() {
        return Err(CliError::input(format!(
            "{}: the folder {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    if !force && path.exists() {
        return Err(super::export_error(crate::export::ExportError::Exists {
            path: path.to_path_buf(),
        }));
    }
    Ok(())
}

/// Writes `text` to `path` whole or not at all, under the result-file overwrite rule
/// (`--force`).
fn write_new(path: &std::path::Path, text: String, force: bool) -> Result<(), CliError> {
    write_new_check(path, force)?;
    crate::export::write_atomically(path, text.as_bytes(), force).map_err(super::export_error)
}

fn run_bench(a: &BenchRunArgs) -> Result<(), CliError> {
    if !(a.budget_seconds.is_finite() && a.budget_seconds > 0.0) {
        return Err(CliError::input(format!(
            "--budget-seconds: {} is not a positive number of seconds",
            a.budget_seconds
        )));
    }
    let flag = a
        .adapter
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if a.backend == BenchBackend::Cpu && flag.is_some() {
        return Err(CliError::input(
            "--adapter names a GPU adapter; it needs --backend gpu or all, not cpu",
        ));
    }
    if let Some(out) = &a.out {
        write_new_check(out, a.force)?;
    }
    let opts = BenchOptions {
        quick: a.quick,
        reps: a.reps.unwrap_or(if a.quick { 1 } else { DEFAULT_REPS }),
        budget_s: a.budget_seconds,
    };
    let quiet = a.quiet;
    let mut log = |s: &str| {
        if !quiet {
            eprintln!("fleetsim bench: {s}");
        }
    };

    let mut targets: Vec<Target> = vec![];
    if a.backend != BenchBackend::Gpu {
        let cpu = CpuEngine::with_threads(Precision::F32, a.threads)
            .map_err(|e| CliError::runtime(e.to_string()))?;
        targets.push(Target::Cpu(cpu));
    }
    if a.backend != BenchBackend::Cpu {
        let found = gpu_targets(flag);
        if found.is_empty() {
            let all = adapter::describe(&adapter::list());
            match (flag, a.backend) {
                (Some(n), _) => {
                    return Err(CliError::input(format!(
                        "--adapter {n}: no adapter matches; available: {all}"
                    )));
                }
                (None, BenchBackend::Gpu) => {
                    return Err(CliError::no_device(format!(
                        "--backend gpu: no GPU adapter (available: {all})"
                    )));
                }
                _ => log("no GPU adapter: the CPU engine only"),
            }
        }
        let mut opened = 0;
        for t in found {
            match t {
                Ok(t) => {
                    opened += 1;
                    targets.push(t);
                }
                Err((label, e)) => log(&format!("skipping {label}: {e}")),
            }
        }
        if opened == 0 && a.backend == BenchBackend::Gpu {
            return Err(CliError::no_device(
                "--backend gpu: no adapter could be opened (see above)",
            ));
        }
    }

    let set = workload_set();
    let sample_paths = if a.quick { 8 } else { 64 };
    let consumption: Vec<_> = set
        .iter()
        .filter(|w| w.kind != WorkloadKind::RngOnly)
        .map(|w| {
            (
                w.id.to_string(),
                blocks_per_path_day(&models(w.kind), sample_paths),
            )
        })
        .collect();
    let mut devices = vec![];
    for t in &targets {
        log(&format!("{} ({} workloads)", t.label(), set.len()));
        devices.push(bench_target(t, &set, &consumption, &opts, &mut log));
    }
    let file = BenchFile {
        schema_version: SCHEMA_VERSION,
        workload_set_version: WORKLOAD_SET_VERSION,
        fleetsim_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: git_commit(),
        created_unix_s: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        host: Host::this(),
        settings: Settings {
            quick: opts.quick,
            reps: opts.reps,
            budget_seconds: opts.budget_s,
        },
        rng_consumption: consumption,
        devices,
    };
    say_raw!("{}", results_table(&file));
    if let Some(out) = &a.out {
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| CliError::runtime(format!("bench results as JSON: {e}")))?;
        write_new(out, format!("{text}\n"), a.force)?;
        log(&format!("wrote {}", out.display()));
    }
    if file.devices.iter().any(|d| d.error.is_some()) {
        return Err(CliError::runtime(
            "a device failed a workload (its error is in the results); the other figures stand",
        ));
    }
    Ok(())
}

/// The table printed after a bench run: one line per device and workload.
pub fn results_table(f: &BenchFile) -> String {
    let header: Vec<String> = [
        "device",
        "workload",
        "size run / nominal",
        "median s",
        "min-max s",
        "throughput",
        "% RNG ceiling",
        "timing",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rows = vec![];
    let mut scaled = false;
    for d in &f.devices {
        for w in &d.workloads {
            scaled |= w.scaled_down;
            let size = match (w.paths_run, w.paths_nominal, w.blocks_run, w.blocks_nominal) {
                (Some(r), Some(n), _, _) => {
                    format!("{} / {} paths", group_thousands(r), group_thousands(n))
                }
                (_, _, Some(r), Some(n)) => {
                    format!("{} / {} blocks", group_thousands(r), group_thousands(n))
                }
                _ => String::new(),
            };
            let thr = match (&w.path_days_per_s, &w.philox_blocks_per_s) {
                (Some(s), _) => format!("{} path-days/s", qty(s.median)),
                (_, Some(s)) => format!("{} blocks/s", qty(s.median)),
                _ => String::new(),
            };
            rows.push(vec![
                format!("{} {} ({})", d.engine, d.name, d.backend),
                format!("{}{}", w.id, if w.scaled_down { " *" } else { "" }),
                size,
                format!("{:.3}", w.engine_s.median),
                format!("{:.3}-{:.3}", w.engine_s.min, w.engine_s.max),
                thr,
                w.fraction_of_rng_ceiling
                    .map(|x| format!("{:.1}%", 100.0 * x))
                    .unwrap_or_default(),
                d.timing_source.clone(),
            ]);
        }
    }
    let mut s = table(&header, &rows);
    if scaled {
        s.push_str("* scaled down: a measured subset of the nominal size ran within the time budget; throughput is comparable, totals are not\n");
    }
    if f.settings.quick {
        s.push_str("--quick: tiny sizes, one repetition: a smoke test, not a measurement\n");
    }
    s
}
