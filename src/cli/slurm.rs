//! `fleetsim slurm SCENARIO|SWEEP --shards N -o DIR`: validate the file (a sweep file runs
//! `fleetsim sweep`, a scenario `fleetsim run`), describe the job ([`crate::cluster`]), and
//! print the array and merge sbatch scripts, or with `--submit` write them to `DIR/slurm/`
//! and submit both (the merge with `--dependency=afterok:<array id>`).

use std::path::{Path, PathBuf};

use clap::ValueEnum as _;
use clap::builder::RangedU64ValueParser;

use super::{BackendArg, CliError, EngineArgs, PrecisionArg, SampleArgs, with_help};
use crate::cluster::slurm::{
    self, ARRAY_SCRIPT, MERGE_SCRIPT, SlurmOptions, check_gpus, check_job_name, check_mem,
    check_name, check_time,
};
use crate::cluster::{MAX_SHARDS, ShardedJob, Workload, sh_quote};
use crate::config;

/// Options of `fleetsim slurm`.
#[derive(clap::Args, Debug)]
#[command(
    mut_arg(
        "paths",
        with_help(
            "Paths of the run, or per sweep point (default: the file's `paths`, else fleetsim's default)"
        )
    ),
    mut_arg("seed", with_help("Seed (default: the file's `seed`, else 1)")),
    after_help = "Without --submit, prints both scripts. With --submit, writes DIR/slurm/array.sbatch and \
DIR/slurm/merge.sbatch and submits them with sbatch. Exit codes: 0 ok, 2 bad input (an invalid \
file or value, an existing job folder without --force), 1 sbatch is missing or refused a script \
(the scripts are written first, so they can be submitted by hand)."
)]
pub struct SlurmArgs {
    /// Scenario or sweep TOML file (a file with a [sweep] or [[axis]] table is a sweep: the
    /// shards run `fleetsim sweep`, else `fleetsim run`).
    pub file: PathBuf,
    /// Number of shards, one array task each (1 to 100,000; a cluster's MaxArraySize, by
    /// default 1001, may allow fewer).
    #[arg(long, value_parser = RangedU64ValueParser::<u32>::new().range(1..=MAX_SHARDS as u64))]
    pub shards: u32,
    /// The job's folder: shards in DIR/shards, the merged result in DIR/merged, logs in
    /// DIR/logs, the scripts in DIR/slurm. Must be on a file system every node sees.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Paths and seed.
    #[command(flatten)]
    pub sample: SampleArgs,
    /// Engine of every shard (passed through to each shard's command).
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Slurm partition (of both jobs).
    #[arg(long, short = 'p', value_parser = check_name)]
    pub partition: Option<String>,
    /// Slurm account to charge (both jobs).
    #[arg(long, short = 'A', value_parser = check_name)]
    pub account: Option<String>,
    /// Time limit of each shard and of the merge, in a Slurm format: MINUTES, MM:SS,
    /// HH:MM:SS, DAYS-HH, DAYS-HH:MM, DAYS-HH:MM:SS.
    #[arg(long, short = 't', value_parser = check_time)]
    pub time: Option<String>,
    /// GPUs of each shard: COUNT or TYPE:COUNT.
    #[arg(long, value_name = "G", value_parser = check_gpus)]
    pub gpus_per_task: Option<String>,
    /// CPUs of each shard (also its --threads, unless --threads is given).
    #[arg(long, short = 'c', value_name = "C",
          value_parser = RangedU64ValueParser::<u32>::new().range(1..=100_000))]
    pub cpus_per_task: Option<u32>,
    /// Memory of each shard and of the merge, per node: e.g. 16G.
    #[arg(long, value_parser = check_mem)]
    pub mem: Option<String>,
    /// Job name of the array (the merge job is NAME-merge).
    #[arg(long, short = 'J', default_value = "fleetsim", value_parser = check_job_name)]
    pub job_name: String,
    /// Run at most K shards at once (--array=0-(N-1)%K).
    #[arg(long, value_name = "K",
          value_parser = RangedU64ValueParser::<u32>::new().range(1..=MAX_SHARDS as u64))]
    pub max_running: Option<u32>,
    /// The fleetsim binary the jobs run: a path every node sees, or a bare name looked up on
    /// the nodes' PATH (default: this binary's absolute path).
    #[arg(long, value_name = "PATH")]
    pub fleetsim: Option<PathBuf>,
    /// Also write report.html into DIR/merged.
    #[arg(long)]
    pub report: bool,
    /// Write the scripts to DIR/slurm/ and submit them (default: print them).
    #[arg(long)]
    pub submit: bool,
    /// With --submit: reuse a job folder that already holds scripts, shards or a merged
    /// result (earlier shards in DIR/shards are removed).
    #[arg(long)]
    pub force: bool,
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::input(e.to_string())
}

/// An absolute form of `p` (relative to the working directory; not resolving links).
fn absolute(p: &Path) -> Result<PathBuf, CliError> {
    std::path::absolute(p).map_err(|e| CliError::input(format!("{}: {e}", p.display())))
}

/// Reads and validates the file, says whether it is a run or a sweep, and returns how many
/// units (paths of a run, points of a sweep) it splits into shards.
fn workload(args: &SlurmArgs) -> Result<(Workload, u64), CliError> {
    let file = &args.file;
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::input(format!("{}: {e}", file.display())))?;
    // Not TOML: the scenario reader's message names the line.
    let kind = Workload::of_toml(&text).or_else(|_| {
        config::load_scenario(file).map_err(input)?;
        Ok::<_, CliError>(Workload::Run)
    })?;
    match kind {
        Workload::Run => {
            let s = config::load_scenario(file).map_err(input)?;
            let paths = args.sample.paths.map(u64::from).or(s.paths);
            Ok((kind, paths.unwrap_or(super::run::DEFAULT_PATHS as u64)))
        }
        Workload::Sweep => {
            let spec = crate::sweep::spec::load(file).map_err(input)?;
            let base = super::sweep::sweep_base(&spec)?;
            let paths = args
                .sample
                .paths
                .or(spec.paths)
                .unwrap_or(crate::sweep::DEFAULT_SWEEP_PATHS);
            let seed = args
                .sample
                .seed
                .or(spec.seed)
                .or_else(|| base.build().ok().and_then(|s| s.seed))
                .unwrap_or(super::run::DEFAULT_SEED);
            let plan = crate::sweep::plan(
                spec,
                &base,
                paths.max(1),
                seed,
                crate::sweep::DEFAULT_MAX_POINTS,
            )
            .map_err(input)?;
            Ok((kind, plan.n_points() as u64))
        }
    }
}

/// The arguments every shard passes on to `fleetsim run|sweep`.
fn shard_args(args: &SlurmArgs) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(n) = args.sample.paths {
        v.extend(["-n".to_string(), n.to_string()]);
    }
    if let Some(s) = args.sample.seed {
        v.extend(["-s".to_string(), s.to_string()]);
    }
    let e = &args.engine;
    let name = |v: Option<clap::builder::PossibleValue>| {
        v.map(|p| p.get_name().to_string()).unwrap_or_default()
    };
    if e.backend != BackendArg::Auto {
        v.extend(["--backend".to_string(), name(e.backend.to_possible_value())]);
    }
    if let Some(a) = &e.adapter {
        v.extend(["--adapter".to_string(), a.clone()]);
    }
    if e.precision != PrecisionArg::F32 {
        v.extend([
            "--precision".to_string(),
            name(e.precision.to_possible_value()),
        ]);
    }
    let threads = e
        .threads
        .map(|t| t as u64)
        .or(args.cpus_per_task.map(u64::from));
    if let Some(t) = threads {
        v.extend(["--threads".to_string(), t.to_string()]);
    }
    v
}

/// The job as `fleetsim slurm` describes it: absolute paths, the pass-through arguments.
fn job(args: &SlurmArgs, kind: Workload) -> Result<ShardedJob, CliError> {
    let fleetsim = match &args.fleetsim {
        Some(p) if p.components().count() == 1 && !p.is_absolute() => p.clone(),
        Some(p) => absolute(p)?,
        None => std::env::current_exe().map_err(|e| {
            CliError::runtime(format!(
                "cannot tell this binary's path ({e}); give --fleetsim PATH"
            ))
        })?,
    };
    let mut job = ShardedJob::new(
        fleetsim,
        kind,
        absolute(&args.file)?,
        absolute(&args.out)?,
        args.shards,
    )
    .map_err(input)?;
    job.shard_args = shard_args(args);
    if args.report {
        job.merge_args.push("--report".into());
    }
    Ok(job)
}

/// Refuses a job folder that already holds this tool's files unless `force`; with `force`,
/// removes earlier shard folders (a merge must not pick up shards of another job).
fn prepare_folder(job: &ShardedJob, force: bool) -> Result<(), CliError> {
    let scripts = job.out.join("slurm");
    let shards = job.shards_dir();
    let non_empty = |p: &Path| std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_some());
    let taken: Vec<String> = [&scripts.join(ARRAY_SCRIPT), &shards, &job.merged_dir()]
        .into_iter()
        .filter(|p| p.is_file() || non_empty(p))
        .map(|p| p.display().to_string())
        .collect();
    if !taken.is_empty() && !force {
        return Err(CliError::input(format!(
            "{} already holds a job ({}); use --force to replace it, or another -o folder",
            job.out.display(),
            taken.join(", ")
        )));
    }
    if force && let Ok(entries) = std::fs::read_dir(&shards) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with("shard-") {
                std::fs::remove_dir_all(e.path()).map_err(|err| {
                    CliError::runtime(format!("removing {}: {err}", e.path().display()))
                })?;
            }
        }
    }
    for d in [&scripts, &job.logs_dir()] {
        std::fs::create_dir_all(d)
            .map_err(|e| CliError::runtime(format!("creating {}: {e}", d.display())))?;
    }
    Ok(())
}

fn write_script(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text)
        .map_err(|e| CliError::runtime(format!("writing {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
    }
    Ok(())
}

/// Runs `fleetsim slurm`.
pub fn slurm(args: &SlurmArgs) -> Result<(), CliError> {
    let (kind, units) = workload(args)?;
    if u64::from(args.shards) > units {
        let what = match kind {
            Workload::Run => "paths",
            Workload::Sweep => "sweep points",
        };
        return Err(CliError::input(format!(
            "--shards {}: more shards than the {units} {what} to split; use at most {units}",
            args.shards
        )));
    }
    let job = job(args, kind)?;
    let opts = SlurmOptions {
        job_name: args.job_name.clone(),
        partition: args.partition.clone(),
        account: args.account.clone(),
        time: args.time.clone(),
        cpus_per_task: args.cpus_per_task,
        mem: args.mem.clone(),
        gpus_per_task: args.gpus_per_task.clone(),
        max_running: args.max_running,
    };
    let array = slurm::array_script(&job, &opts).map_err(input)?;
    let merge = slurm::merge_script(&job, &opts).map_err(input)?;
    let dir = job.out.join("slurm");
    let (array_path, merge_path) = (dir.join(ARRAY_SCRIPT), dir.join(MERGE_SCRIPT));
    let by_hand = slurm::submit_instructions(&job, &array_path, &merge_path);
    if !args.submit {
        say!("# ---- {} ----", array_path.display());
        say_raw!("{array}");
        say!("# ---- {} ----", merge_path.display());
        say_raw!("{merge}");
        say!("# ---- to submit ----");
        say!("# The same command with --submit writes both files and submits them; or save them");
        say!("# as above and run:");
        for line in by_hand.lines() {
            say!("#   {line}");
        }
        return Ok(());
    }
    prepare_folder(&job, args.force)?;
    write_script(&array_path, &array)?;
    write_script(&merge_path, &merge)?;
    let q = |p: &Path| sh_quote(&p.to_string_lossy());
    say!(
        "fleetsim slurm: wrote {} and {}",
        array_path.display(),
        merge_path.display()
    );
    let sub = slurm::submit("sbatch".as_ref(), &array_path, &merge_path).map_err(|e| {
        let hint = match e {
            slurm::SubmitError::Merge { .. } => String::new(),
            _ => format!("; to submit them elsewhere:\n{by_hand}"),
        };
        CliError::runtime(format!("{e}{hint}"))
    })?;
    say!(
        "submitted: array job {} ({} shard(s) of `fleetsim {} {}`), merge job {} (starts once every shard has succeeded)",
        sub.array_job,
        job.shards,
        kind.subcommand(),
        job.input.display(),
        sub.merge_job
    );
    say!("watch:   squeue -j {},{}", sub.array_job, sub.merge_job);
    say!("logs:    {}", job.logs_dir().display());
    say!("result:  {}", job.merged_dir().display());
    say!(
        "if shard I fails, the merge job is cancelled and `fleetsim merge` lists the missing shards: \
         rerun it with `sbatch --array=I {}`, then `sbatch {}`",
        q(&array_path),
        q(&merge_path)
    );
    Ok(())
}
