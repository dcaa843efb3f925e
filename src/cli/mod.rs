//! The command line: `fleetsim [run] [SCENARIO]`, `sweep`, `sensitivity`, `spares`, `validate`,
//! `catalog`, `adapters`, `check`, `report`. Parses
//! arguments with clap, maps every failure to a one-line message and an exit code (2 = bad
//! input, 3 = the GPU asked for is missing or failed, 1 = anything else).

/// `println!` for command output that never panics: output to a closed pipe (`fleetsim run |
/// head`) is dropped, so the command still finishes its work and writes its result files.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `print!` for command output that never panics (see `say!`).
macro_rules! say_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

mod adapters;
mod bench;
mod breakeven;
mod check;
mod checks;
mod engines;
mod merge;
mod planning;
mod report;
mod run;
mod sensitivity;
mod slurm;
mod spares;
mod sweep;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use report::ReportArgs;
pub use run::run;
pub use sensitivity::SensitivityArgs;
pub use spares::SparesArgs;
pub use sweep::SweepArgs;

/// Exit code for bad input: config errors, refused overwrites, impossible requests (an
/// adapter name that matches nothing, `--adapter` with `--backend cpu`, f64 on the GPU).
pub const EXIT_BAD_INPUT: u8 = 2;

/// Exit code when `--backend gpu` cannot run: no adapter, the device does not open, or the
/// GPU fails during the run (device lost, out of memory). Nothing is written. (Under `--backend
/// auto` the same conditions fall back to the CPU engine instead.)
pub const EXIT_NO_DEVICE: u8 = 3;

/// A failure that ends the program: its message (already with context) and exit code.
#[derive(Debug)]
pub struct CliError {
    /// Exit code: [`EXIT_BAD_INPUT`] for bad input, [`EXIT_NO_DEVICE`] when the GPU asked for
    /// is missing or failed, 1 for anything else.
    pub code: u8,
    /// What went wrong, ready to print.
    pub message: String,
}

impl CliError {
    /// Bad input (exit 2).
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_BAD_INPUT,
            message: message.into(),
        }
    }
    /// The GPU asked for is missing or failed (exit 3).
    pub fn no_device(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_NO_DEVICE,
            message: message.into(),
        }
    }
    /// A runtime failure (exit 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            message: message.into(),
        }
    }
}

/// An export failure as a CLI error: exit 2 for a refused request (overwrite, folder in use, not
/// a folder, incomplete input), 1 for a failed write.
pub(crate) fn export_error(e: crate::export::ExportError) -> CliError {
    if e.is_bad_input() {
        CliError::input(e.to_string())
    } else {
        CliError::runtime(format!(
            "{e} (no result file was placed under its final name)"
        ))
    }
}

/// Monte Carlo economics of AI accelerator fleets: Trainium2 vs Blackwell (and H100).
///
/// With no arguments, runs the built-in comparison (configs/default.toml) and prints a table.
#[derive(Parser, Debug)]
#[command(
    name = "fleetsim",
    version,
    about,
    long_about = None,
    after_help = "With no command, fleetsim runs the built-in Trainium2 vs HGX B200 comparison (the same as `fleetsim run`)."
)]
pub struct Cli {
    /// What to do (default: `run` on the built-in scenario).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a scenario and print (and optionally write) its distributions.
    Run(RunArgs),
    /// Check a scenario file and print what it resolves to; exit 2 if it is invalid.
    Validate {
        /// Scenario TOML file.
        scenario: PathBuf,
    },
    /// List the built-in hardware catalog (or one entry in full).
    Catalog {
        /// Show every field of this entry.
        entry: Option<String>,
    },
    /// Run a scenario over a grid or Latin hypercube of inputs (a sweep file) and report
    /// where the decision between two options flips.
    Sweep(SweepArgs),
    /// Which assumption moves the result most: a tornado (each uncertain input at P10 / P90,
    /// the others at their medians) and Spearman rank correlations over sampled paths.
    Sensitivity(SensitivityArgs),
    /// The smallest hot-spare pool per option meeting an availability target at a stated
    /// confidence, and its cost.
    Spares(SparesArgs),
    /// List the GPU adapters wgpu finds (API, device type, driver, limits) and say which one
    /// `--backend auto` and `--backend gpu` would use.
    Adapters {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write report.html for a result folder (of run, sweep, sensitivity or spares): one
    /// self-contained HTML page with charts, readable offline and in print.
    Report(ReportArgs),
    /// Combine the partial results of a sharded run or sweep (`--shard I/N`) into the files the
    /// unsharded one writes; refuses incomplete, mixed, duplicated or missing shards (exit 2).
    Merge(merge::MergeArgs),
    /// Benchmark every engine on a fixed workload set (`--out bench.json`), or compare results
    /// files (`bench compare A.json B.json`).
    Bench(bench::BenchCmd),
    /// Check the GPU engine against the CPU engine on this adapter: the same paths on both,
    /// the fraction of paths within tolerance and every mean within its standard error;
    /// PASS (exit 0) or FAIL (exit 1).
    Check(check::CheckArgs),
    /// Write (and with --submit, submit) a Slurm array job running a scenario or sweep as N
    /// shards, and the merge job that runs once every shard has succeeded.
    Slurm(slurm::SlurmArgs),
}

/// Which engine simulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum BackendArg {
    /// The GPU engine on a hardware adapter (or the one named by --adapter, software
    /// included), else the CPU engine; a GPU failure mid-run continues on the CPU.
    #[default]
    Auto,
    /// The CPU engine (all cores).
    Cpu,
    /// The GPU engine (wgpu), software adapters allowed; exit 3 if it cannot run.
    Gpu,
}

/// Arithmetic precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum PrecisionArg {
    /// What the GPU computes in.
    #[default]
    F32,
    /// CPU reference, to measure f32 error.
    F64,
}

/// Which engine runs a command, shared by every command that simulates.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct EngineArgs {
    /// Engine.
    #[arg(long, value_enum, default_value_t)]
    pub backend: BackendArg,
    /// GPU adapter to use: a case-insensitive part of its name or of "name (api)", as listed by
    /// `fleetsim adapters` (default: $FLEETSIM_ADAPTER, else the best adapter).
    #[arg(long, value_name = "NAME")]
    pub adapter: Option<String>,
    /// Arithmetic precision of the CPU engine.
    #[arg(long, value_enum, default_value_t)]
    pub precision: PrecisionArg,
    /// CPU threads (default: all cores), 1 to 4 x the logical cores (at least 64): the engine
    /// is compute-bound, so more threads than cores only slow a run.
    #[arg(long, value_parser = checks::parse_threads)]
    pub threads: Option<usize>,
}

/// How many paths and which seed, shared by every command that simulates (each command says
/// its own defaults in `--paths`' help, see [`with_help`]).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SampleArgs {
    /// Number of simulated paths.
    #[arg(long, short = 'n',
          value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::config::schema::MAX_PATHS)))]
    pub paths: Option<u32>,
    /// Run seed (default: the scenario's `seed`, else 1), 0 to 2^63 - 1 (what a scenario file
    /// can hold).
    #[arg(long, short = 's',
          value_parser = clap::value_parser!(u64).range(..=crate::config::schema::MAX_SEED))]
    pub seed: Option<u64>,
}

/// Where results go and how much is said, shared by every command that writes result files
/// (each command names its files in `--out`'s help).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct OutputArgs {
    /// Write the result files here.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Overwrite existing result files.
    #[arg(long)]
    pub force: bool,
    /// No progress bar or notes; errors still go to stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also write report.html into the result folder: a self-contained HTML page of the
    /// results (the same as `fleetsim report DIR` afterwards); needs --out.
    #[arg(long, requires = "out")]
    pub report: bool,
}

/// Which shard of a run this process computes, shared by `run`, `sweep` and `sensitivity`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ShardArgs {
    /// Run only shard I of N (0-based): a contiguous range of the paths (of a sweep or a
    /// sensitivity analysis: of its points), written as a partial result to
    /// OUT/shard-IIII-of-NNNN for `fleetsim merge`.
    /// Without it, a Slurm array task ($SLURM_ARRAY_TASK_ID) is a shard, and so is a Kubernetes
    /// Indexed Job's ($JOB_COMPLETION_INDEX) or an AWS Batch array job's
    /// ($AWS_BATCH_JOB_ARRAY_INDEX) with --shards N.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<crate::shard::Shard>,
    /// The number of shards N, the index taken from the scheduler's environment (see --shard).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::shard::MAX_SHARDS)))]
    pub shards: Option<u32>,
}

fn parse_shard(s: &str) -> Result<crate::shard::Shard, String> {
    crate::shard::Shard::parse(s).map_err(|e| e.0)
}

/// The shard this process computes (see [`ShardArgs`]), from the flags or the scheduler's
/// environment; says where an environment shard came from unless `quiet`.
pub(crate) fn shard_of(
    args: &ShardArgs,
    quiet: bool,
) -> Result<Option<crate::shard::Shard>, CliError> {
    let got = crate::shard::Shard::resolve(args.shard, args.shards, |k| std::env::var(k).ok())
        .map_err(|e| CliError::input(e.0))?;
    Ok(got.map(|(s, from)| {
        if !quiet && from != "--shard" {
            eprintln!("fleetsim: note: running shard {s} (from {from})");
        }
        s
    }))
}

/// `arg` with a command's own help text: the shared groups ([`SampleArgs`], [`OutputArgs`])
/// are flattened into every command, and `#[command(mut_arg("out", with_help("...")))]` says
/// what this command writes or defaults to.
pub(crate) fn with_help(help: &'static str) -> impl FnOnce(clap::Arg) -> clap::Arg {
    move |arg| arg.help(help)
}

/// A progress bar of `len` steps drawn with `template` (indicatif's template syntax; a bad
/// template falls back to the plain bar), or a hidden one when `quiet`.
pub(crate) fn progress_bar(len: u64, template: &str, quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Options of `fleetsim run`; the default is what `fleetsim` with no command runs.
#[derive(clap::Args, Debug, Default)]
#[command(
    mut_arg(
        "paths",
        with_help("Number of simulated paths (default: the scenario's `paths`, else 20,000)")
    ),
    mut_arg(
        "out",
        with_help(
            "Write summary.json, summary.csv and pairs.csv (and with --per-path, per-path files; with --xlsx, summary.xlsx) here"
        )
    )
)]
pub struct RunArgs {
    /// Scenario TOML file (default: the built-in Trainium2 vs Blackwell comparison).
    pub scenario: Option<PathBuf>,
    /// Paths and seed.
    #[command(flatten)]
    pub sample: SampleArgs,
    /// Engine choice.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Result files, overwriting and quiet.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Sharding over a cluster's array tasks.
    #[command(flatten)]
    pub shards: ShardArgs,
    /// Also write per_path.csv and per_path.parquet (one row per path and option).
    #[arg(long, requires = "out")]
    pub per_path: bool,
    /// Do not record the monthly series (timeseries.csv and timeseries.parquet are written
    /// with --out by default: per option and month, P5/P25/P50/P75/P95 and mean of the
    /// cumulative discounted cash flow, revenue, opex, available fraction and failures).
    #[arg(long)]
    pub no_timeseries: bool,
    /// Also write summary.xlsx (the summary, the pairs, the monthly bands and the NPV
    /// histograms as sheets, with native charts) from the result files.
    #[arg(long, requires = "out")]
    pub xlsx: bool,
    /// Run batches of paths until the relative standard error (se / |mean|) of every option's
    /// mean NPV is at most X (0 < X <= 1), or --max-paths; --paths is then the first batch
    /// (default 1,000). The result equals a plain run of the paths it used.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub target_se: Option<f64>,
    /// Most paths a --target-se run may use (default 10,000,000); at least --paths.
    #[arg(long, value_name = "N", requires = "target_se",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::config::schema::MAX_PATHS)))]
    pub max_paths: Option<u32>,
    /// Skip the break-even headlines (by default, after the main run of a two-option scenario,
    /// where the decision flips along the first option's server capex per chip, MFU and price
    /// premium).
    #[arg(long)]
    pub no_breakeven: bool,
    /// Paths per grid point of the break-even sweeps (default: 22 % of the run's paths spread
    /// over all points, at least 50 per point).
    #[arg(long, value_name = "N", conflicts_with = "no_breakeven",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::config::schema::MAX_PATHS)))]
    pub breakeven_paths: Option<u32>,
    /// Paths per engine call (default: what the engine prefers; results do not depend on it).
    #[arg(long, hide = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub chunk: Option<u32>,
}

/// On SIGINT or SIGTERM: deletes every result file still being written (staged under a
/// temporary name, see [`crate::export::OutputDir`]), says so, and exits 130 or 143 (128 + the
/// signal), so an interrupted run leaves nothing that looks like a result. Installed once, by
/// the first [`main_with_args`]; a failure to install is reported and the default handling
/// (exit without cleanup; the next run into the folder removes the temporary files) remains.
fn install_signal_cleanup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("fleetsim: warning: cannot handle SIGINT/SIGTERM ({e}); an interrupted run leaves its temporary files until the next run into the folder");
                return;
            }
        };
        let spawned = std::thread::Builder::new()
            .name("fleetsim-signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    let removed = crate::export::output::remove_pending();
                    let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
                    eprintln!(
                        "\nfleetsim: interrupted ({name}): {removed} unfinished result file(s) removed; no incomplete file is left under a final name"
                    );
                    std::process::exit(128 + sig);
                }
            });
        if let Err(e) = spawned {
            eprintln!("fleetsim: warning: cannot handle SIGINT/SIGTERM ({e})");
        }
    });
}

/// Parses `args` and runs; prints errors as `fleetsim: error: ...` and returns the exit code.
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    install_signal_cleanup();
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleetsim: error: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        None => run(&RunArgs::default()),
        Some(Command::Run(a)) => run(&a),
        Some(Command::Validate { scenario }) => run::validate(&scenario),
        Some(Command::Catalog { entry }) => run::catalog(entry.as_deref()),
        Some(Command::Sensitivity(a)) => sensitivity::sensitivity(&a),
        Some(Command::Spares(a)) => spares::spares(&a),
        Some(Command::Adapters { json }) => adapters::adapters(json),
        Some(Command::Bench(b)) => bench::bench(&b),
        Some(Command::Check(a)) => check::check(&a),
        Some(Command::Sweep(a)) => sweep::sweep(&a),
        Some(Command::Report(a)) => report::report(&a),
        Some(Command::Merge(a)) => merge::merge(&a),
        Some(Command::Slurm(a)) => slurm::slurm(&a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_subcommand_means_run_with_its_defaults() {
        // `fleetsim` alone must behave exactly like `fleetsim run` (same chunking, hence the
        // same parallelism).
        let parsed = match Cli::try_parse_from(["fleetsim", "run"]).unwrap().command {
            Some(Command::Run(a)) => a,
            other => panic!("{other:?}"),
        };
        assert_eq!(format!("{parsed:?}"), format!("{:?}", RunArgs::default()));
        assert!(Cli::try_parse_from(["fleetsim"]).unwrap().command.is_none());
    }

    #[test]
    fn shared_flags_keep_each_commands_help_and_defaults() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).unwrap().command;
        match parse(&["fleetsim", "sensitivity", "s.toml"]) {
            Some(Command::Sensitivity(a)) => {
                assert_eq!(a.sample.paths, Some(sensitivity::DEFAULT_SENSITIVITY_PATHS))
            }
            other => panic!("{other:?}"),
        }
        match parse(&[
            "fleetsim",
            "spares",
            "s.toml",
            "--availability",
            "0.99",
            "-q",
        ]) {
            Some(Command::Spares(a)) => {
                assert_eq!(a.sample.paths, Some(spares::DEFAULT_SPARES_PATHS));
                assert!(a.output.quiet);
            }
            other => panic!("{other:?}"),
        }
        match parse(&[
            "fleetsim", "sweep", "w.toml", "-n", "5", "-s", "3", "-o", "d", "--force",
        ]) {
            Some(Command::Sweep(a)) => {
                assert_eq!((a.sample.paths, a.sample.seed), (Some(5), Some(3)));
                assert_eq!(a.output.out.as_deref(), Some(std::path::Path::new("d")));
                assert!(a.output.force && !a.output.quiet);
            }
            other => panic!("{other:?}"),
        }
        let mut cli = <Cli as clap::CommandFactory>::command();
        let help = |cli: &mut clap::Command, sub: &str| {
            cli.find_subcommand_mut(sub)
                .expect("subcommand")
                .render_help()
                .to_string()
        };
        assert!(
            help(&mut cli, "sweep").contains("Write sweep.csv, sweep.parquet and sweep.json here")
        );
        assert!(help(&mut cli, "run").contains("else 20,000"));
        assert!(help(&mut cli, "spares").contains("[default: 4000]"));
    }
}
