//! A [`ShardedJob`] as Slurm jobs: the array script (one task per shard, task `I` running
//! shard `I` of `N`), the merge script (run with `--dependency=afterok:<array id>`), checks of
//! the values that go into `#SBATCH` lines, and [`submit`], which hands both to `sbatch`.
//!
//! Quoting: script bodies are POSIX shell, every literal [`sh_quote`](super::sh_quote)d.
//! `#SBATCH` lines are parsed by sbatch, not by a shell: there a value is written in double
//! quotes with `"` escaped as `\"` (sbatch's own directive syntax), and log-file paths have
//! `%` doubled (`%%`), since sbatch expands `%A`, `%a`, `%j` in them. A backslash anywhere in
//! a log path makes Slurm ignore every `%` pattern, so the job folder may not contain one.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::{JobError, ShardIndex, ShardedJob, command_line, script_path};

/// The shell expression of a task's shard index. The array is always `0-(N-1)`, so the task
/// id is the shard index; unlike `SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN` it stays right
/// when one index is resubmitted alone (`sbatch --array=2 array.sbatch`, where MIN is 2).
pub const TASK_INDEX: &str = "$SLURM_ARRAY_TASK_ID";

/// File name of the array script in `DIR/slurm/`.
pub const ARRAY_SCRIPT: &str = "array.sbatch";
/// File name of the merge script in `DIR/slurm/`.
pub const MERGE_SCRIPT: &str = "merge.sbatch";

/// The Slurm resources and names of a job; `None` leaves a value to the cluster's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlurmOptions {
    /// `--job-name` of the array (the merge job gets `NAME-merge`).
    pub job_name: String,
    /// `--partition` (both jobs).
    pub partition: Option<String>,
    /// `--account` (both jobs).
    pub account: Option<String>,
    /// `--time`, the limit of each array task and of the merge, in a Slurm time format.
    pub time: Option<String>,
    /// `--cpus-per-task` of each array task.
    pub cpus_per_task: Option<u32>,
    /// `--mem` (per node) of each array task and of the merge.
    pub mem: Option<String>,
    /// `--gpus-per-task` of each array task, `[type:]count`.
    pub gpus_per_task: Option<String>,
    /// At most this many array tasks at once (`--array=0-(N-1)%K`).
    pub max_running: Option<u32>,
}

impl Default for SlurmOptions {
    fn default() -> Self {
        SlurmOptions {
            job_name: "fleetsim".to_string(),
            partition: None,
            account: None,
            time: None,
            cpus_per_task: None,
            mem: None,
            gpus_per_task: None,
            max_running: None,
        }
    }
}

/// Checks a `--time` value in one of Slurm's formats: `MINUTES`, `MINUTES:SECONDS`,
/// `HOURS:MINUTES:SECONDS`, `DAYS-HOURS`, `DAYS-HOURS:MINUTES`, `DAYS-HOURS:MINUTES:SECONDS`,
/// or `UNLIMITED` / `INFINITE`. The first number may have any number of digits; minutes and
/// seconds after it are below 60 and hours after days below 24. Returns the value unchanged.
pub fn check_time(s: &str) -> Result<String, String> {
    let bad = |why: &str| {
        Err(format!(
            "{why}; Slurm takes MINUTES, MINUTES:SECONDS, HOURS:MINUTES:SECONDS, \
             DAYS-HOURS, DAYS-HOURS:MINUTES, DAYS-HOURS:MINUTES:SECONDS or UNLIMITED \
             (e.g. 90, 2:00:00, 1-12)"
        ))
    };
    if matches!(s, "UNLIMITED" | "INFINITE" | "unlimited" | "infinite") {
        return Ok(s.to_string());
    }
    let digits = |f: &str| !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit());
    let (days, rest) = match s.split_once('-') {
        Some((d, r)) => (Some(d), r),
        None => (None, s),
    };
    let fields: Vec<&str> = rest.split(':').collect();
    if days.is_some_and(|d| !digits(d)) || !fields.iter().all(|f| digits(f)) {
        return bad("not a time");
    }
    let n = |f: &str| f.parse::<u64>().unwrap_or(u64::MAX);
    let sub60 = |f: &&str| f.len() <= 2 && n(f) < 60;
    if fields.len() > 3 {
        return bad("too many fields");
    }
    if days.is_some() {
        if n(fields[0]) >= 24 || fields[0].len() > 2 {
            return bad("hours after DAYS- must be below 24");
        }
        if !fields[1..].iter().all(sub60) {
            return bad("minutes and seconds must be below 60");
        }
    } else if !fields[1..].iter().all(sub60) {
        return bad("minutes and seconds after the first number must be below 60");
    }
    Ok(s.to_string())
}

/// Checks a `--mem` value: a whole number with an optional unit `K`, `M` (the default), `G`
/// or `T`, at least 1.
pub fn check_mem(s: &str) -> Result<String, String> {
    let num = s.trim_end_matches(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't']);
    let ok = s.len() - num.len() <= 1
        && !num.is_empty()
        && num.len() <= 12
        && num.bytes().all(|b| b.is_ascii_digit())
        && num.parse::<u64>().is_ok_and(|v| v >= 1);
    if ok {
        Ok(s.to_string())
    } else {
        Err(
            "expected a size such as 4000, 16G or 512M (a whole number, unit K, M, G or T)"
                .to_string(),
        )
    }
}

/// Checks a `--gpus-per-task` value: `COUNT` or `TYPE:COUNT`, COUNT at least 1, TYPE letters,
/// digits and `_.-`.
pub fn check_gpus(s: &str) -> Result<String, String> {
    let (kind, count) = match s.rsplit_once(':') {
        Some((k, c)) => (Some(k), c),
        None => (None, s),
    };
    let kind_ok = kind.is_none_or(|k| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    });
    let count_ok = !count.is_empty()
        && count.len() <= 6
        && count.bytes().all(|b| b.is_ascii_digit())
        && count.parse::<u32>().is_ok_and(|v| v >= 1);
    if kind_ok && count_ok {
        Ok(s.to_string())
    } else {
        Err("expected COUNT or TYPE:COUNT (e.g. 1, h100:1), COUNT at least 1".to_string())
    }
}

/// Checks a partition or account name (or a comma-separated list of partitions): letters,
/// digits and `_.-,`, as Slurm names are.
pub fn check_name(s: &str) -> Result<String, String> {
    if !s.is_empty()
        && s.len() <= 200
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-,".contains(c))
    {
        Ok(s.to_string())
    } else {
        Err(
            "a Slurm partition or account name has only letters, digits and _ . - , characters"
                .to_string(),
        )
    }
}

/// Checks a job name: printable text without a backslash, at most 200 characters.
pub fn check_job_name(s: &str) -> Result<String, String> {
    if !s.is_empty() && s.chars().count() <= 200 && !s.chars().any(|c| c.is_control() || c == '\\')
    {
        Ok(s.to_string())
    } else {
        Err("a job name must be 1 to 200 printable characters without a backslash".to_string())
    }
}

/// `s` as one value of an `#SBATCH` line: as is when it holds only letters, digits and
/// `-_.,:/%@+=`, else in double quotes with `"` and `\` escaped by `\` (sbatch reads a
/// directive's value up to unquoted white space or `#`).
pub fn sbatch_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.,:/%@+=".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return s.to_string();
    }
    format!("\"{}\"", s.replace('\\', r"\\").replace('"', "\\\""))
}

/// A log-file path for `#SBATCH --output`: the folder with `%` doubled, then `pattern`
/// (which uses Slurm's `%` replacements). A backslash in the folder is refused: Slurm would
/// then write the patterns literally.
fn log_path(dir: &Path, pattern: &str) -> Result<String, JobError> {
    let d = script_path("the output folder", dir)?;
    if d.contains('\\') {
        return Err(JobError::Path {
            what: "the output folder",
            path: d,
            why: "contains a backslash, which makes Slurm ignore the %A/%a/%j patterns of log file names",
        });
    }
    let d = d.replace('%', "%%");
    Ok(sbatch_quote(&format!(
        "{}/{pattern}",
        d.trim_end_matches('/')
    )))
}

/// Appends `#SBATCH --KEY=VALUE` (quoted) when `value` is set.
fn directive(s: &mut String, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        let _ = writeln!(s, "#SBATCH --{key}={}", sbatch_quote(v));
    }
}

/// The array script: `#SBATCH --array=0-(N-1)` (with `%K` for `max_running`), one log file
/// per task in `DIR/logs/<array id>_<index>.out`, the options' resources, then the shard
/// command with `--shard "$SLURM_ARRAY_TASK_ID/N"`. Submitting it alone with `--array=I`
/// reruns shard I.
pub fn array_script(job: &ShardedJob, opts: &SlurmOptions) -> Result<String, JobError> {
    let n = job.shards;
    let out = job.out.display();
    let command = command_line(&job.shard_command(&ShardIndex::Expr(TASK_INDEX.into())));
    let mut s = String::new();
    let _ = writeln!(s, "#!/bin/bash");
    let _ = writeln!(
        s,
        "# fleetsim {} as a Slurm array of {n} task(s): task I computes shard I of {n} into",
        job.workload.subcommand()
    );
    let _ = writeln!(s, "# {out}/shards. Written by `fleetsim slurm`.");
    let _ = writeln!(
        s,
        "# Submit: sbatch --parsable {ARRAY_SCRIPT}, then {MERGE_SCRIPT} with --dependency=afterok:<that id>."
    );
    let _ = writeln!(
        s,
        "# Rerun a failed shard I: sbatch --array=I {ARRAY_SCRIPT} (then submit {MERGE_SCRIPT} again)."
    );
    directive(&mut s, "job-name", Some(&opts.job_name));
    let throttle = opts
        .max_running
        .map(|k| format!("%{k}"))
        .unwrap_or_default();
    let _ = writeln!(s, "#SBATCH --array=0-{}{throttle}", n - 1);
    let _ = writeln!(
        s,
        "#SBATCH --output={}",
        log_path(&job.logs_dir(), "%A_%a.out")?
    );
    let _ = writeln!(s, "#SBATCH --ntasks=1");
    directive(&mut s, "partition", opts.partition.as_deref());
    directive(&mut s, "account", opts.account.as_deref());
    directive(&mut s, "time", opts.time.as_deref());
    let cpus = opts.cpus_per_task.map(|c| c.to_string());
    directive(&mut s, "cpus-per-task", cpus.as_deref());
    directive(&mut s, "mem", opts.mem.as_deref());
    directive(&mut s, "gpus-per-task", opts.gpus_per_task.as_deref());
    let _ = writeln!(s, "set -euo pipefail");
    let _ = writeln!(
        s,
        "task=\"${{SLURM_ARRAY_TASK_ID:?is not set: submit this script with sbatch}}\""
    );
    let _ = writeln!(
        s,
        "echo \"fleetsim: shard $task of {n}, array job ${{SLURM_ARRAY_JOB_ID:-?}}, on $(hostname)\""
    );
    let _ = writeln!(s, "exec {command}");
    Ok(s)
}

/// The merge script: `fleetsim merge DIR/shards -o DIR/merged`, its log in
/// `DIR/logs/merge-<job id>.out`, the options' partition, account, time and memory (no GPU),
/// and `--kill-on-invalid-dep=yes` so that when a shard fails the merge is cancelled instead
/// of waiting forever. Submit it with `--dependency=afterok:<array id>`, or alone once every
/// shard is there.
pub fn merge_script(job: &ShardedJob, opts: &SlurmOptions) -> Result<String, JobError> {
    let out = job.out.display();
    let mut s = String::new();
    let _ = writeln!(s, "#!/bin/bash");
    let _ = writeln!(
        s,
        "# fleetsim merge: the {} shard(s) in {out}/shards into {out}/merged.",
        job.shards
    );
    let _ = writeln!(
        s,
        "# Written by `fleetsim slurm`; submit with --dependency=afterok:<array id>, or alone"
    );
    let _ = writeln!(
        s,
        "# once every shard is there. Cancelled when a shard fails (--kill-on-invalid-dep)."
    );
    directive(
        &mut s,
        "job-name",
        Some(&format!("{}-merge", opts.job_name)),
    );
    let _ = writeln!(
        s,
        "#SBATCH --output={}",
        log_path(&job.logs_dir(), "merge-%j.out")?
    );
    let _ = writeln!(s, "#SBATCH --ntasks=1");
    let _ = writeln!(s, "#SBATCH --kill-on-invalid-dep=yes");
    directive(&mut s, "partition", opts.partition.as_deref());
    directive(&mut s, "account", opts.account.as_deref());
    directive(&mut s, "time", opts.time.as_deref());
    directive(&mut s, "mem", opts.mem.as_deref());
    let _ = writeln!(s, "set -euo pipefail");
    let _ = writeln!(s, "exec {}", command_line(&job.merge_command()));
    Ok(s)
}

/// The shell commands that submit the two scripts by hand (the logs folder must exist before
/// a job starts: Slurm does not create it).
pub fn submit_instructions(job: &ShardedJob, array: &Path, merge: &Path) -> String {
    let q = |p: &Path| super::sh_quote(&p.to_string_lossy());
    format!(
        "mkdir -p {logs}\nid=$(sbatch --parsable {a})\nsbatch --dependency=afterok:\"${{id%%;*}}\" {m}\n",
        logs = q(&job.logs_dir()),
        a = q(array),
        m = q(merge),
    )
}

/// The job ids `sbatch` gave the two jobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The array job's id (its tasks are `ID_0` .. `ID_{N-1}`).
    pub array_job: String,
    /// The merge job's id.
    pub merge_job: String,
}

/// Why a submission failed.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The `sbatch` program is not there.
    #[error("cannot run `{program}` ({source}): is Slurm installed and on PATH?")]
    NotFound {
        /// The program as called.
        program: String,
        /// The error starting it.
        source: std::io::Error,
    },
    /// sbatch refused the array script.
    #[error("sbatch refused the array script ({status}): {stderr}")]
    Array {
        /// Its exit status.
        status: String,
        /// What it said.
        stderr: String,
    },
    /// The array was submitted but the merge was not.
    #[error(
        "the array was submitted as job {array_job}, but sbatch refused the merge script ({why}); \
         cancel the array (scancel {array_job}) or submit the merge by hand"
    )]
    Merge {
        /// The array job's id.
        array_job: String,
        /// What went wrong.
        why: String,
    },
}

/// The job id in `sbatch --parsable` output: `ID` or `ID;CLUSTER`, `ID` all digits.
pub fn parse_job_id(stdout: &str) -> Option<String> {
    let line = stdout.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    let id = line.split(';').next()?.trim();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// Runs `sbatch --parsable ARGS... SCRIPT` and returns the job id, or (status, message).
fn sbatch(program: &OsStr, args: &[String], script: &Path) -> Result<String, SbatchFailure> {
    let out = Command::new(program)
        .arg("--parsable")
        .args(args)
        .arg(script)
        .output()
        .map_err(SbatchFailure::Start)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if !out.status.success() {
        return Err(SbatchFailure::Refused(out.status.to_string(), stderr));
    }
    parse_job_id(&stdout).ok_or_else(|| {
        SbatchFailure::Refused(
            "no job id".into(),
            format!("it printed {:?} {stderr}", stdout.trim()),
        )
    })
}

enum SbatchFailure {
    Start(std::io::Error),
    Refused(String, String),
}

/// Submits the array script, then the merge script with `--dependency=afterok:<array id>`
/// (which waits for every task of the array to succeed), calling `program` (normally
/// `sbatch`) with `--parsable`.
pub fn submit(program: &OsStr, array: &Path, merge: &Path) -> Result<Submission, SubmitError> {
    let array_job = match sbatch(program, &[], array) {
        Ok(id) => id,
        Err(SbatchFailure::Start(source)) => {
            return Err(SubmitError::NotFound {
                program: program.to_string_lossy().into_owned(),
                source,
            });
        }
        Err(SbatchFailure::Refused(status, stderr)) => {
            return Err(SubmitError::Array { status, stderr });
        }
    };
    let dep = vec![format!("--dependency=afterok:{array_job}")];
    match sbatch(program, &dep, merge) {
        Ok(merge_job) => Ok(Submission {
            array_job,
            merge_job,
        }),
        Err(SbatchFailure::Start(e)) => Err(SubmitError::Merge {
            array_job,
            why: e.to_string(),
        }),
        Err(SbatchFailure::Refused(status, stderr)) => Err(SubmitError::Merge {
            array_job,
            why: format!("{status}: {stderr}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Workload;

    fn job(out: &str) -> ShardedJob {
        let mut j = ShardedJob::new(
            "/usr/local/bin/fleetsim".into(),
            Workload::Run,
            "/cfg/gb200.toml".into(),
            out.into(),
            4,
        )
        .unwrap();
        j.shard_args = vec!["-n".into(), "1000".into()];
        j
    }

    #[test]
    fn slurm_time_formats() {
        for ok in [
            "90",
            "0",
            "30:00",
            "2:00:00",
            "100:00:00",
            "1-12",
            "1-0:30",
            "7-23:59:59",
            "UNLIMITED",
            "infinite",
        ] {
            assert_eq!(check_time(ok), Ok(ok.to_string()), "{ok}");
        }
        for bad in [
            "",
            "1h",
            "1:60",
            "1:2:3:4",
            "1-24",
            "1-2:3:4:5",
            "-5",
            "1-",
            ":30",
            "1:-1",
            "2 h",
            "1.5",
            "1-1:60",
            "10:5a",
        ] {
            let e = check_time(bad).unwrap_err();
            assert!(e.contains("DAYS-HOURS"), "{bad}: {e}");
        }
    }

    #[test]
    fn memory_gpus_and_names() {
        for ok in ["4000", "16G", "512M", "1T", "64k"] {
            assert!(check_mem(ok).is_ok(), "{ok}");
        }
        for bad in ["", "0", "16GB", "G", "-1", "1.5G", "16 G"] {
            assert!(check_mem(bad).is_err(), "{bad}");
        }
        for ok in ["1", "8", "h100:1", "nvidia_h200:2", "a100-80g:4"] {
            assert!(check_gpus(ok).is_ok(), "{ok}");
        }
        for bad in ["", "0", "h100:", ":1", "h100:0", "h 100:1", "1.5"] {
            assert!(check_gpus(bad).is_err(), "{bad}");
        }
        for ok in ["gpu", "gpu,cpu", "my-acct_1.x"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a\"b", "a;b", "a\nb"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_job_name("fleet \"sim\" #1").is_ok());
        for bad in ["", "a\\b", "a\nb"] {
            assert!(check_job_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn array_script_has_the_array_logs_resources_and_shard_command() {
        let opts = SlurmOptions {
            job_name: "gb \"200\"".into(),
            partition: Some("gpu".into()),
            account: Some("acct".into()),
            time: Some("1-12".into()),
            cpus_per_task: Some(8),
            mem: Some("16G".into()),
            gpus_per_task: Some("h100:1".into()),
            max_running: Some(2),
        };
        let s = array_script(&job("/res/50% run"), &opts).unwrap();
        assert!(s.starts_with("#!/bin/bash\n"), "{s}");
        for line in [
            "#SBATCH --job-name=\"gb \\\"200\\\"\"",
            "#SBATCH --array=0-3%2",
            "#SBATCH --output=\"/res/50%% run/logs/%A_%a.out\"",
            "#SBATCH --ntasks=1",
            "#SBATCH --partition=gpu",
            "#SBATCH --account=acct",
            "#SBATCH --time=1-12",
            "#SBATCH --cpus-per-task=8",
            "#SBATCH --mem=16G",
            "#SBATCH --gpus-per-task=h100:1",
            "set -euo pipefail",
            "exec /usr/local/bin/fleetsim run /cfg/gb200.toml -n 1000 -o '/res/50% run/shards' \
             --shard \"$SLURM_ARRAY_TASK_ID/4\" --force",
        ] {
            assert!(s.lines().any(|l| l == line), "missing {line:?} in\n{s}");
        }
        // sbatch reads directives only up to the first command.
        let first_command = s
            .lines()
            .position(|l| !l.starts_with('#') && !l.is_empty())
            .unwrap();
        let lines: Vec<&str> = s.lines().collect();
        let last_directive = lines
            .iter()
            .rposition(|l| l.starts_with("#SBATCH"))
            .unwrap();
        assert!(last_directive < first_command, "{s}");

        let plain = array_script(&job("/r"), &SlurmOptions::default()).unwrap();
        assert!(plain.contains("#SBATCH --array=0-3\n"), "{plain}");
        for absent in [
            "partition",
            "account",
            "time",
            "cpus-per-task",
            "mem",
            "gpus",
        ] {
            assert!(
                !plain.contains(&format!("--{absent}=")),
                "{absent}: {plain}"
            );
        }
        let e = array_script(&job("/r\\x"), &opts).unwrap_err().to_string();
        assert!(e.contains("backslash"), "{e}");
    }

    #[test]
    fn merge_script_waits_on_nothing_itself_and_gets_no_gpu() {
        let opts = SlurmOptions {
            partition: Some("gpu".into()),
            time: Some("30".into()),
            gpus_per_task: Some("1".into()),
            cpus_per_task: Some(8),
            ..SlurmOptions::default()
        };
        let s = merge_script(&job("/r"), &opts).unwrap();
        for line in [
            "#SBATCH --job-name=fleetsim-merge",
            "#SBATCH --output=/r/logs/merge-%j.out",
            "#SBATCH --kill-on-invalid-dep=yes",
            "#SBATCH --partition=gpu",
            "#SBATCH --time=30",
            "exec /usr/local/bin/fleetsim merge /r/shards -o /r/merged --force",
        ] {
            assert!(s.lines().any(|l| l == line), "missing {line:?} in\n{s}");
        }
        for absent in ["gpus", "cpus", "array", "dependency"] {
            assert!(!s.contains(&format!("#SBATCH --{absent}")), "{absent}: {s}");
        }
    }

    #[test]
    fn job_ids_from_parsable_output() {
        assert_eq!(parse_job_id("123\n"), Some("123".into()));
        assert_eq!(parse_job_id("123;cluster\n"), Some("123".into()));
        assert_eq!(
            parse_job_id("sbatch: warning: x\n456\n"),
            Some("456".into())
        );
        assert_eq!(parse_job_id(""), None);
        assert_eq!(parse_job_id("Submitted batch job 5\n"), None);
    }

    #[test]
    fn submit_instructions_quote_and_strip_the_cluster() {
        let j = job("/r s");
        let t = submit_instructions(&j, Path::new("/r s/slurm/a"), Path::new("/r s/slurm/m"));
        assert_eq!(
            t,
            "mkdir -p '/r s/logs'\nid=$(sbatch --parsable '/r s/slurm/a')\n\
             sbatch --dependency=afterok:\"${id%%;*}\" '/r s/slurm/m'\n"
        );
    }
}
