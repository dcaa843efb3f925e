//! Running one simulation as N shards on a cluster scheduler and merging them: a typed
//! description of the job ([`ShardedJob`]: which binary, run or sweep, which file, how many
//! shards, where results go), the command lines it becomes as shell words ([`Word`]), and in
//! [`slurm`] the two sbatch scripts (the array of shards and the dependent merge) and their
//! submission.
//!
//! Everything here is pure text building except [`slurm::submit`], which runs `sbatch`. The
//! Kubernetes manifests in `configs/cluster/` run the same shard and merge commands.
//!
//! # Layout of a sharded job's folder `DIR`
//!
//! - `DIR/shards/shard-IIII-of-NNNN/`: one shard's partial result, written by
//!   `fleetsim run|sweep ... -o DIR/shards --shard I/N`;
//! - `DIR/merged/`: `fleetsim merge DIR/shards -o DIR/merged`, the files an unsharded run
//!   writes;
//! - `DIR/logs/`: the scheduler's log files;
//! - `DIR/slurm/array.sbatch`, `DIR/slurm/merge.sbatch`: the scripts, as `fleetsim slurm
//!   --submit` writes them.

pub mod slurm;

use std::fmt;
use std::path::{Path, PathBuf};

/// Most shards one job may have: as many as `--shard` takes. Slurm's own default
/// `MaxArraySize` (1001) is lower: a cluster that keeps it refuses arrays past index 1000 at
/// submission.
pub const MAX_SHARDS: u32 = crate::shard::MAX_SHARDS;

/// What a job's input file is, which decides the subcommand each shard runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// A scenario file: `fleetsim run`, shards are ranges of paths.
    Run,
    /// A sweep file: `fleetsim sweep`, shards are ranges of sweep points.
    Sweep,
}

impl Workload {
    /// The subcommand: `run` or `sweep`.
    pub fn subcommand(self) -> &'static str {
        match self {
            Workload::Run => "run",
            Workload::Sweep => "sweep",
        }
    }

    /// Tells a sweep file from a scenario file by its top-level tables, as the sweep reader
    /// does (`src/sweep/spec.rs` accepts only `[sweep]` and `[[axis]]` at the top, a scenario
    /// never has either): any `sweep` or `axis` key makes it a sweep. `Err` when the text is
    /// not TOML (the message is the parser's); validating the file is the caller's job.
    pub fn of_toml(text: &str) -> Result<Workload, String> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        if doc.contains_key("sweep") || doc.contains_key("axis") {
            Ok(Workload::Sweep)
        } else {
            Ok(Workload::Run)
        }
    }
}

/// One word of a shell command line: a literal (quoted as needed) or a piece of shell syntax
/// written as is (a `"$VAR/N"` expansion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Word {
    /// A literal argument: [`sh_quote`]d.
    Lit(String),
    /// Shell syntax, already quoted by whoever wrote it.
    Raw(String),
}

impl Word {
    /// A literal word.
    pub fn lit(s: impl Into<String>) -> Word {
        Word::Lit(s.into())
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Word::Lit(s) => f.write_str(&sh_quote(s)),
            Word::Raw(s) => f.write_str(s),
        }
    }
}

/// The words joined by spaces: a command line for `sh`/`bash`.
pub fn command_line(words: &[Word]) -> String {
    words
        .iter()
        .map(Word::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `s` as one POSIX shell word: unchanged when it holds only characters no shell treats
/// specially (letters, digits, `-_./:=+,@%`), else in single quotes with each `'` written
/// `'\''`. The empty string is `''`.
pub fn sh_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=+,@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Which shard a shard command runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShardIndex {
    /// `--shard EXPR/N` with EXPR shell syntax giving the 0-based index (e.g.
    /// `$SLURM_ARRAY_TASK_ID`), written inside double quotes.
    Expr(String),
    /// `--shards N`: fleetsim reads the index from the scheduler's environment
    /// (`JOB_COMPLETION_INDEX`, `AWS_BATCH_JOB_ARRAY_INDEX`, Slurm's array variables).
    FromEnvironment,
}

/// A simulation split into shards: everything the shard and merge commands need. Build it
/// with [`ShardedJob::new`], which checks what every scheduler needs (a shard count in
/// range, paths that are text without line breaks); paths are used as given (`fleetsim slurm`
/// makes them absolute first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardedJob {
    /// The `fleetsim` binary each job runs: an absolute path, or a bare name looked up on the
    /// compute node's `PATH`.
    pub fleetsim: PathBuf,
    /// Run or sweep.
    pub workload: Workload,
    /// The scenario or sweep file.
    pub input: PathBuf,
    /// The job's folder (see the module docs for its layout).
    pub out: PathBuf,
    /// Number of shards, 1 to [`MAX_SHARDS`].
    pub shards: u32,
    /// Further arguments of every shard command, after the input file (`-n`, `-s`,
    /// `--backend`, ...), as `fleetsim run|sweep` takes them.
    pub shard_args: Vec<String>,
    /// Further arguments of the merge command (`--report`).
    pub merge_args: Vec<String>,
}

/// Why a job cannot be described.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The shard count is out of range.
    #[error("--shards {0}: must be 1 to {MAX_SHARDS}")]
    Shards(u32),
    /// A path a script would hold cannot be written there.
    #[error("{what} {path:?}: {why}")]
    Path {
        /// Which path (`the output folder`, ...).
        what: &'static str,
        /// The path, lossily.
        path: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// The path as text fit for a script: UTF-8 and without line breaks or NUL.
pub fn script_path(what: &'static str, p: &Path) -> Result<String, JobError> {
    let bad = |why| JobError::Path {
        what,
        path: p.to_string_lossy().into_owned(),
        why,
    };
    let s = p.to_str().ok_or_else(|| bad("is not valid UTF-8"))?;
    if s.contains(['\n', '\r', '\0']) {
        return Err(bad("contains a line break or NUL"));
    }
    if s.is_empty() {
        return Err(bad("is empty"));
    }
    Ok(s.to_string())
}

impl ShardedJob {
    /// A job, checked: `shards` in 1..=[`MAX_SHARDS`], every path UTF-8 without line breaks.
    pub fn new(
        fleetsim: PathBuf,
        workload: Workload,
        input: PathBuf,
        out: PathBuf,
        shards: u32,
    ) -> Result<ShardedJob, JobError> {
        if shards == 0 || shards > MAX_SHARDS {
            return Err(JobError::Shards(shards));
        }
        script_path("the fleetsim binary", &fleetsim)?;
        script_path("the input file", &input)?;
        script_path("the output folder", &out)?;
        Ok(ShardedJob {
            fleetsim,
            workload,
            input,
            out,
            shards,
            shard_args: Vec::new(),
            merge_args: Vec::new(),
        })
    }

    /// `DIR/shards`: where the shards write their partial results.
    pub fn shards_dir(&self) -> PathBuf {
        self.out.join("shards")
    }

    /// `DIR/merged`: the merged result.
    pub fn merged_dir(&self) -> PathBuf {
        self.out.join("merged")
    }

    /// `DIR/logs`: the scheduler's log files.
    pub fn logs_dir(&self) -> PathBuf {
        self.out.join("logs")
    }

    /// Text of a path of this job (checked UTF-8 by [`ShardedJob::new`]).
    fn text(p: &Path) -> String {
        p.to_string_lossy().into_owned()
    }

    /// The command one shard runs: `fleetsim run|sweep INPUT ARGS... -o DIR/shards --shard
    /// "EXPR/N" --force` (or `--shards N`). `--force` lets a rerun of a failed or requeued
    /// shard replace its partial folder.
    pub fn shard_command(&self, index: &ShardIndex) -> Vec<Word> {
        let mut w = vec![
            Word::lit(Self::text(&self.fleetsim)),
            Word::lit(self.workload.subcommand()),
            Word::lit(Self::text(&self.input)),
        ];
        w.extend(self.shard_args.iter().cloned().map(Word::Lit));
        w.push(Word::lit("-o"));
        w.push(Word::lit(Self::text(&self.shards_dir())));
        match index {
            ShardIndex::Expr(e) => {
                w.push(Word::lit("--shard"));
                w.push(Word::Raw(format!("\"{e}/{}\"", self.shards)));
            }
            ShardIndex::FromEnvironment => {
                w.push(Word::lit("--shards"));
                w.push(Word::lit(self.shards.to_string()));
            }
        }
        w.push(Word::lit("--force"));
        w
    }

    /// The merge command: `fleetsim merge DIR/shards -o DIR/merged --force ARGS...`
    /// (`--force`: a rerun after a failed shard was redone replaces an earlier merge).
    pub fn merge_command(&self) -> Vec<Word> {
        let mut w = vec![
            Word::lit(Self::text(&self.fleetsim)),
            Word::lit("merge"),
            Word::lit(Self::text(&self.shards_dir())),
            Word::lit("-o"),
            Word::lit(Self::text(&self.merged_dir())),
            Word::lit("--force"),
        ];
        w.extend(self.merge_args.iter().cloned().map(Word::Lit));
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_files_are_told_from_scenarios_by_their_top_level_tables() {
        let sweep = "[sweep]\ndesign = \"grid\"\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.1]\n";
        assert_eq!(Workload::of_toml(sweep), Ok(Workload::Sweep));
        let axes_only = "[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.1]\n";
        assert_eq!(Workload::of_toml(axes_only), Ok(Workload::Sweep));
        assert_eq!(
            Workload::of_toml(crate::config::DEFAULT_SCENARIO),
            Ok(Workload::Run)
        );
        for file in [
            "configs/sweeps/utilization_breakeven.toml",
            "configs/sweeps/electricity_breakeven.toml",
        ] {
            let text = std::fs::read_to_string(file).unwrap();
            assert_eq!(Workload::of_toml(&text), Ok(Workload::Sweep), "{file}");
        }
        // A scenario kept with the sweeps (for `fleetsim spares`) is a scenario.
        let spares = std::fs::read_to_string("configs/sweeps/spares-995.toml").unwrap();
        assert_eq!(Workload::of_toml(&spares), Ok(Workload::Run));
        assert!(Workload::of_toml("[scenario\n").is_err());
    }

    #[test]
    fn shell_quoting_round_trips_through_sh() {
        assert_eq!(sh_quote("/a/b-c_d.toml"), "/a/b-c_d.toml");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        let nasty = [
            "it's \"q\" $HOME `x` \\ ; & | * ? ~ # ! %A",
            "'",
            "''",
            "a\tb",
            "ü é",
        ];
        let words: Vec<Word> = nasty.iter().map(|s| Word::lit(*s)).collect();
        let script = format!("printf '%s\\n' {}", command_line(&words));
        let out = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .expect("sh");
        let printed = String::from_utf8(out.stdout).unwrap();
        assert_eq!(printed.lines().collect::<Vec<_>>(), nasty);
    }

    #[test]
    fn jobs_check_their_shard_count_and_paths() {
        let job = |n, out: &str| {
            ShardedJob::new(
                "/bin/fleetsim".into(),
                Workload::Run,
                "/s.toml".into(),
                out.into(),
                n,
            )
        };
        assert!(job(1, "/o").is_ok());
        assert!(job(MAX_SHARDS, "/o").is_ok());
        assert_eq!(job(0, "/o"), Err(JobError::Shards(0)));
        assert_eq!(
            job(MAX_SHARDS + 1, "/o"),
            Err(JobError::Shards(MAX_SHARDS + 1))
        );
        let e = job(2, "/o\nx").unwrap_err().to_string();
        assert!(
            e.contains("output folder") && e.contains("line break"),
            "{e}"
        );
    }

    #[test]
    fn shard_and_merge_commands_are_ones_the_cli_accepts() {
        let mut j = ShardedJob::new(
            "/opt/fleet sim/fleetsim".into(),
            Workload::Run,
            "/in/it's.toml".into(),
            "/out dir".into(),
            4,
        )
        .unwrap();
        j.shard_args = ["-n", "200", "-s", "7", "--backend", "cpu"]
            .map(String::from)
            .to_vec();
        j.merge_args = vec!["--report".into()];
        let shard = command_line(&j.shard_command(&ShardIndex::Expr("$T".into())));
        assert_eq!(
            shard,
            "'/opt/fleet sim/fleetsim' run '/in/it'\\''s.toml' -n 200 -s 7 --backend cpu \
             -o '/out dir/shards' --shard \"$T/4\" --force"
        );
        let env = command_line(&j.shard_command(&ShardIndex::FromEnvironment));
        assert!(
            env.ends_with("-o '/out dir/shards' --shards 4 --force"),
            "{env}"
        );
        let merge = command_line(&j.merge_command());
        assert_eq!(
            merge,
            "'/opt/fleet sim/fleetsim' merge '/out dir/shards' -o '/out dir/merged' --force --report"
        );
        // The words as a shell would pass them, with the index expanded, parse as fleetsim
        // commands.
        let argv = |words: Vec<Word>| -> Vec<String> {
            words
                .into_iter()
                .map(|w| match w {
                    Word::Lit(s) => s,
                    Word::Raw(_) => "2/4".to_string(),
                })
                .collect()
        };
        for words in [
            j.shard_command(&ShardIndex::Expr("$T".into())),
            j.shard_command(&ShardIndex::FromEnvironment),
            j.merge_command(),
        ] {
            let args = argv(words);
            if let Err(e) = <crate::cli::Cli as clap::Parser>::try_parse_from(&args) {
                panic!("{args:?}: {e}");
            }
        }
    }
}
