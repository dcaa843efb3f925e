//! `fleetsim slurm` and running shards on a cluster. Without Slurm: the printed scripts, the
//! checks of every value, the submission through a stand-in `sbatch` (the array first, then
//! the merge with `--dependency=afterok:<id>`, a missing sbatch exiting 1), the written
//! scripts run by bash as array tasks in a folder whose path has spaces and quotes (the
//! merged result equals the unsharded run's), and the Kubernetes manifests in
//! `configs/cluster/` holding commands fleetsim accepts. On a single-host Slurm
//! (`common::slurm`; skipped where Slurm cannot run, unless `FLEETSIM_REQUIRE_SLURM=1`): a
//! 4-task array by hand and `fleetsim slurm --submit` of a run and of a sweep, each with its
//! afterok merge, give the unsharded results.

use crate::common;

use common::cli::{command, fleetsim, text};
use common::slurm::Slurm;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use fleetsim::cli::Cli;

/// Paths of the runs compared here (small: four shards of 100).
const PATHS: &str = "400";
const SEED: &str = "5";
/// How long the jobs of one test may take on the test cluster.
const JOB_TIMEOUT: Duration = Duration::from_secs(120);

/// A folder name no script quoting may break: spaces, both quotes, `$`, `%`, `#`, `&`.
const NASTY: &str = "it's a \"job\" $HOME 50% #1 & co";

/// The default scenario shortened to one year, written to `dir/name`.
fn scenario(dir: &Path, name: &str) -> PathBuf {
    let text = fleetsim::config::DEFAULT_SCENARIO.replace("horizon_years = 5", "horizon_years = 1");
    assert!(text.contains("horizon_years = 1"));
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A three-point sweep of electricity prices over `base`, written to `dir/name`.
fn sweep_file(dir: &Path, name: &str, base: &Path) -> PathBuf {
    let text = format!(
        "[sweep]\nscenario = {:?}\ndesign = \"grid\"\npaths = 100\nseed = 3\n\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.05, 0.08, 0.12]\n",
        base.display().to_string()
    );
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn ok(o: &Output, what: &str) {
    assert!(o.status.success(), "{what}: {}", text(o));
}

/// The unsharded run the merged results must equal.
fn reference_run(scenario: &Path, out: &Path) {
    let o = fleetsim(&[
        "run",
        scenario.to_str().unwrap(),
        "-n",
        PATHS,
        "-s",
        SEED,
        "--backend",
        "cpu",
        "--no-breakeven",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    ok(&o, "reference run");
}

fn reference_sweep(sweep: &Path, out: &Path) {
    let o = fleetsim(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--backend",
        "cpu",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    ok(&o, "reference sweep");
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A merged run equals the unsharded one: summary.csv and pairs.csv byte for byte, and
/// summary.json's "options" and "pairs".
fn assert_same_run(merged: &Path, reference: &Path) {
    for f in ["summary.csv", "pairs.csv"] {
        assert!(
            read(&merged.join(f)) == read(&reference.join(f)),
            "{f} of {} differs from the unsharded run's",
            merged.display()
        );
    }
    let json = |d: &Path| -> serde_json::Value {
        serde_json::from_str(&read(&d.join("summary.json"))).unwrap()
    };
    let (m, r) = (json(merged), json(reference));
    for key in ["options", "pairs"] {
        assert!(
            r.get(key).is_some(),
            "reference summary.json has no {key:?}"
        );
        assert_eq!(m.get(key), r.get(key), "summary.json {key:?} differs");
    }
}

/// A merged sweep equals the unsharded one: sweep.csv byte for byte.
fn assert_same_sweep(merged: &Path, reference: &Path) {
    assert!(
        read(&merged.join("sweep.csv")) == read(&reference.join("sweep.csv")),
        "sweep.csv of {} differs from the unsharded sweep's",
        merged.display()
    );
}

/// `fleetsim slurm FILE --shards N -o OUT` with `extra`, as the real binary, with `env`.
fn slurm_cmd(
    file: &Path,
    shards: &str,
    out: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Output {
    command()
        .args(["slurm", file.to_str().unwrap(), "--shards", shards, "-o"])
        .arg(out)
        .args(extra)
        .envs(env.iter().copied())
        .output()
        .expect("run fleetsim slurm")
}

#[test]
fn slurm_prints_the_array_and_merge_scripts() {
    let d = tempfile::tempdir().unwrap();
    let s = scenario(d.path(), "s.toml");
    let out = d.path().join("job");
    let o = slurm_cmd(
        &s,
        "4",
        &out,
        &[
            "-n",
            PATHS,
            "--backend",
            "cpu",
            "-p",
            "gpu",
            "-t",
            "1:30:00",
            "--mem",
            "8G",
        ],
        &[],
    );
    ok(&o, "fleetsim slurm");
    let stdout = String::from_utf8_lossy(&o.stdout);
    for want in [
        "#SBATCH --array=0-3",
        "#SBATCH --partition=gpu",
        "#SBATCH --time=1:30:00",
        "#SBATCH --mem=8G",
        "#SBATCH --kill-on-invalid-dep=yes",
        &format!("#SBATCH --output={}/logs/%A_%a.out", out.display()),
        &format!(
            "exec {} run {} -n 400 --backend cpu -o {}/shards --shard \"$SLURM_ARRAY_TASK_ID/4\" --force",
            env!("CARGO_BIN_EXE_fleetsim"),
            s.display(),
            out.display()
        ),
        &format!(
            "exec {} merge {o}/shards -o {o}/merged --force",
            env!("CARGO_BIN_EXE_fleetsim"),
            o = out.display()
        ),
        "sbatch --dependency=afterok:",
        "--submit",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in\n{stdout}");
    }
    assert!(!out.exists(), "printing must not write anything");

    // A sweep file runs `fleetsim sweep`.
    let w = sweep_file(d.path(), "w.toml", &s);
    let o = slurm_cmd(&w, "3", &out, &[], &[]);
    ok(&o, "fleetsim slurm of a sweep");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains(&format!(" sweep {} -o ", w.display())),
        "{stdout}"
    );
}

#[test]
fn slurm_refuses_bad_values_with_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let s = scenario(d.path(), "s.toml");
    let w = sweep_file(d.path(), "w.toml", &s);
    let out = d.path().join("job");
    let bad_toml = d.path().join("bad.toml");
    std::fs::write(&bad_toml, "[scenario]\nhorizon_years = 5\nnope = 1\n").unwrap();
    let cases: Vec<(PathBuf, &str, Vec<&str>, &str)> = vec![
        (s.clone(), "0", vec![], "--shards"),
        (s.clone(), "100001", vec![], "--shards"),
        (
            s.clone(),
            "5",
            vec!["-n", "4"],
            "more shards than the 4 paths",
        ),
        (
            w.clone(),
            "4",
            vec![],
            "more shards than the 3 sweep points",
        ),
        (s.clone(), "2", vec!["--time", "1:60"], "below 60"),
        (s.clone(), "2", vec!["--time", "2h"], "DAYS-HOURS"),
        (s.clone(), "2", vec!["--mem", "16GB"], "--mem"),
        (
            s.clone(),
            "2",
            vec!["--gpus-per-task", "0"],
            "--gpus-per-task",
        ),
        (s.clone(), "2", vec!["--partition", "a b"], "partition"),
        (s.clone(), "2", vec!["--job-name", "a\nb"], "job name"),
        (bad_toml.clone(), "2", vec![], "nope"),
        (d.path().join("missing.toml"), "2", vec![], "missing.toml"),
    ];
    for (file, n, extra, says) in cases {
        let o = slurm_cmd(&file, n, &out, &extra, &[]);
        assert_eq!(o.status.code(), Some(2), "{n} {extra:?}: {}", text(&o));
        assert!(
            text(&o).contains(says),
            "{n} {extra:?}: wanted {says:?} in {}",
            text(&o)
        );
    }
    let o = slurm_cmd(&s, "2", &d.path().join("a\nb"), &[], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("line break"), "{}", text(&o));
    let o = slurm_cmd(&s, "2", &d.path().join("a\\b"), &[], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("backslash"), "{}", text(&o));
}

/// A stand-in `sbatch` in `dir`: appends its arguments (one line per call) to `dir/calls`
/// and prints job ids 41, 42, ... as `sbatch --parsable` does (the first with a cluster).
fn fake_sbatch(dir: &Path) -> String {
    let script = dir.join("sbatch");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf '%s|' \"$@\" >> \"$(dirname \"$0\")/calls\"\necho >> \"$(dirname \"$0\")/calls\"\n\
         n=$(wc -l < \"$(dirname \"$0\")/calls\")\nif [ \"$n\" = 1 ]; then echo \"41;cluster\"; else echo $((40 + n)); fi\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{}:{path}", dir.display())
}

#[test]
fn slurm_submit_writes_the_scripts_and_chains_the_merge_with_afterok() {
    let d = tempfile::tempdir().unwrap();
    let bin = d.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let path = fake_sbatch(&bin);
    let s = scenario(d.path(), "s.toml");
    let out = d.path().join(NASTY);
    let o = slurm_cmd(
        &s,
        "4",
        &out,
        &["-n", PATHS, "--submit"],
        &[("PATH", &path)],
    );
    ok(&o, "fleetsim slurm --submit");
    let said = text(&o);
    assert!(
        said.contains("array job 41") && said.contains("merge job 42"),
        "{said}"
    );
    assert!(said.contains("squeue -j 41,42"), "{said}");
    let (array, merge) = (
        out.join("slurm/array.sbatch"),
        out.join("slurm/merge.sbatch"),
    );
    assert!(
        out.join("logs").is_dir(),
        "the logs folder must exist before a job starts"
    );
    let calls = read(&bin.join("calls"));
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(
        calls,
        [
            format!("--parsable|{}|", array.display()),
            format!("--parsable|--dependency=afterok:41|{}|", merge.display()),
        ],
        "sbatch calls"
    );
    assert!(read(&array).contains("#SBATCH --array=0-3"));

    // The folder now holds a job: refused without --force, replaced with it.
    let o = slurm_cmd(
        &s,
        "4",
        &out,
        &["-n", PATHS, "--submit"],
        &[("PATH", &path)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--force"), "{}", text(&o));
    let o = slurm_cmd(
        &s,
        "2",
        &out,
        &["-n", PATHS, "--submit", "--force"],
        &[("PATH", &path)],
    );
    ok(&o, "fleetsim slurm --submit --force");
    assert!(read(&array).contains("#SBATCH --array=0-1"));

    // No sbatch: exit 1, saying so, with the scripts written and how to submit them.
    let fresh = d.path().join("fresh");
    let o = slurm_cmd(&s, "2", &fresh, &["--submit"], &[("PATH", "/nonexistent")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let said = text(&o);
    assert!(
        said.contains("sbatch") && said.contains("Slurm installed"),
        "{said}"
    );
    assert!(said.contains("mkdir -p"), "{said}");
    assert!(fresh.join("slurm/array.sbatch").is_file());
    assert!(fresh.join("slurm/merge.sbatch").is_file());
}

/// Runs the written array script with bash as array task `task` of job 7, then returns its
/// output.
fn bash_task(script: &Path, task: Option<u32>) -> Output {
    let mut c = std::process::Command::new("bash");
    c.arg(script).env("SLURM_ARRAY_JOB_ID", "7");
    match task {
        Some(t) => c.env("SLURM_ARRAY_TASK_ID", t.to_string()),
        None => c.env_remove("SLURM_ARRAY_TASK_ID"),
    };
    c.output().expect("bash")
}

#[test]
fn written_scripts_run_by_bash_as_array_tasks_merge_to_the_unsharded_run() {
    let d = tempfile::tempdir().unwrap();
    let bin = d.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let path = fake_sbatch(&bin);
    let s = scenario(d.path(), "scenario 'one' \"year\".toml");
    let out = d.path().join(NASTY);
    let o = slurm_cmd(
        &s,
        "4",
        &out,
        &["-n", PATHS, "-s", SEED, "--backend", "cpu", "--submit"],
        &[("PATH", &path)],
    );
    ok(&o, "fleetsim slurm --submit");
    let array = out.join("slurm/array.sbatch");
    let o = bash_task(&array, None);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("submit this script with sbatch"),
        "{}",
        text(&o)
    );
    // The tasks in another order than their indices: only the index matters.
    for t in [2, 0, 3, 1] {
        let o = bash_task(&array, Some(t));
        ok(&o, &format!("array task {t}"));
    }
    let o = std::process::Command::new("bash")
        .arg(out.join("slurm/merge.sbatch"))
        .output()
        .unwrap();
    ok(&o, "merge script");
    let reference = d.path().join("reference");
    reference_run(&s, &reference);
    assert_same_run(&out.join("merged"), &reference);
}

/// The `["...", ...]` list after `key:` on the first line holding it in `yaml` (the manifests
/// write commands as flow sequences, which are JSON arrays).
fn yaml_list(yaml: &str, key: &str) -> Vec<String> {
    let line = yaml
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no `{key}:` line"));
    let list = line[key.len() + 1..].trim();
    serde_json::from_str(list).unwrap_or_else(|e| panic!("`{line}`: not a [\"...\"] list: {e}"))
}

/// The number after `key:` on the first line holding it.
fn yaml_number(yaml: &str, key: &str) -> u32 {
    let line = yaml
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no `{key}:` line"));
    let v = line[key.len() + 1..].split('#').next().unwrap().trim();
    v.parse().unwrap_or_else(|e| panic!("`{line}`: {e}"))
}

fn value_after<'a>(cmd: &'a [String], flag: &str) -> &'a str {
    let i = cmd
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{cmd:?} has no {flag}"));
    &cmd[i + 1]
}

#[test]
fn kubernetes_manifests_run_shards_and_merge_with_commands_fleetsim_accepts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/cluster");
    let shards = read(&dir.join("fleetsim-shards.yaml"));
    let merge = read(&dir.join("fleetsim-merge.yaml"));
    for (name, y) in [("shards", &shards), ("merge", &merge)] {
        assert!(!y.contains('\t'), "{name}: YAML may not indent with tabs");
        assert!(y.contains("kind: Job"), "{name}");
        assert!(y.contains("apiVersion: batch/v1"), "{name}");
    }
    assert!(shards.contains("completionMode: Indexed"));
    assert!(shards.contains("kind: PersistentVolumeClaim"));
    assert!(
        shards.contains("JOB_COMPLETION_INDEX"),
        "say where the index comes from"
    );
    let n = yaml_number(&shards, "completions");
    let parallelism = yaml_number(&shards, "parallelism");
    assert!(n >= 1 && parallelism >= 1 && parallelism <= n);

    let shard = yaml_list(&shards, "command");
    let merge_cmd = yaml_list(&merge, "command");
    assert_eq!(
        value_after(&shard, "--shards"),
        n.to_string(),
        "--shards = completions"
    );
    assert!(
        !shard.iter().any(|a| a == "--shard"),
        "the index comes from the environment"
    );
    assert_eq!(merge_cmd[1], "merge");
    assert_eq!(
        value_after(&shard, "-o"),
        merge_cmd[2],
        "the merge reads what the shards write"
    );
    for cmd in [&shard, &merge_cmd] {
        assert_eq!(cmd[0], "fleetsim");
        if let Err(e) = <Cli as clap::Parser>::try_parse_from(cmd) {
            panic!("{cmd:?}: {e}");
        }
    }
    // Both jobs mount the same claim.
    let claim = |y: &str| {
        y.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix("claimName:").map(|c| c.trim().to_string()))
            .expect("claimName")
    };
    assert_eq!(claim(&shards), claim(&merge));
}

// ---- On a single-host Slurm ----

/// Writes a tiny job script for `sbatch` and returns its path.
fn job_script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/bash\nset -euo pipefail\n{body}\n")).unwrap();
    p
}

fn sh(p: &Path) -> String {
    fleetsim::cluster::sh_quote(p.to_str().unwrap())
}

#[test]
fn slurm_arrays_and_afterok_merges_equal_the_unsharded_results() {
    let test = "slurm_arrays_and_afterok_merges_equal_the_unsharded_results";
    let t0 = Instant::now();
    let Some(slurm) = Slurm::start_or_skip(test) else {
        return;
    };
    let started = t0.elapsed();
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        d.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let s = scenario(d.path(), "scenario 'one' \"year\".toml");
    let exe = Path::new(env!("CARGO_BIN_EXE_fleetsim"));

    // 1. By hand, as the README shows: an array of 4 whose tasks find their shard in Slurm's
    //    environment (`--shards 4`), all 4 at once (each waits for the others to have
    //    started), and the merge after it.
    let by_hand = d.path().join("by hand");
    std::fs::create_dir_all(by_hand.join("logs")).unwrap();
    let barrier = by_hand.join("started");
    std::fs::create_dir(&barrier).unwrap();
    let array = job_script(
        &by_hand,
        "array.sh",
        &format!(
            "touch {b}/$SLURM_ARRAY_TASK_ID\n\
             for i in $(seq 200); do [ $(ls {b} | wc -l) -ge 4 ] && break; sleep 0.1; done\n\
             [ $(ls {b} | wc -l) -ge 4 ] || {{ echo 'the 4 tasks did not run at once'; exit 1; }}\n\
             exec {exe} run {s} -n {PATHS} -s {SEED} --backend cpu --threads 1 -o {o}/shards --shards 4 --force",
            b = sh(&barrier),
            exe = sh(exe),
            s = sh(&s),
            o = sh(&by_hand),
        ),
    );
    let merge = job_script(
        &by_hand,
        "merge.sh",
        &format!(
            "exec {} merge {o}/shards -o {o}/merged",
            sh(exe),
            o = sh(&by_hand)
        ),
    );
    let logs = by_hand.join("logs");
    let array_id = slurm.sbatch(&[
        "--array=0-3",
        &format!("--output={}/%A_%a.out", logs.display()),
        array.to_str().unwrap(),
    ]);
    let merge_id = slurm.sbatch(&[
        &format!("--dependency=afterok:{array_id}"),
        "--kill-on-invalid-dep=yes",
        &format!("--output={}/merge-%j.out", logs.display()),
        merge.to_str().unwrap(),
    ]);

    // 2. `fleetsim slurm --submit` of the same run, in a folder whose path has spaces,
    //    quotes, `$`, `%` and `#`.
    let env = [("SLURM_CONF", slurm.conf.to_str().unwrap())];
    let generated = d.path().join(NASTY);
    let o = slurm_cmd(
        &s,
        "4",
        &generated,
        &[
            "-n",
            PATHS,
            "-s",
            SEED,
            "--backend",
            "cpu",
            "-c",
            "1",
            "-t",
            "10",
            "--submit",
        ],
        &env,
    );
    ok(&o, "fleetsim slurm --submit");
    let ids = |o: &Output| -> (String, String) {
        let said = String::from_utf8_lossy(&o.stdout).to_string();
        let after = |k: &str| {
            said.split(k)
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or_else(|| panic!("no {k:?} in {said}"))
                .to_string()
        };
        (after("array job "), after("merge job "))
    };
    let (gen_array, gen_merge) = ids(&o);

    // 3. `fleetsim slurm --submit` of a sweep: 3 points in 2 shards.
    let w = sweep_file(d.path(), "sweep.toml", &s);
    let sweep_dir = d.path().join("sweep job");
    let o = slurm_cmd(&w, "2", &sweep_dir, &["--backend", "cpu", "--submit"], &env);
    ok(&o, "fleetsim slurm --submit of a sweep");
    let (sweep_array, sweep_merge) = ids(&o);

    // The references, while the cluster works.
    let reference = d.path().join("reference");
    reference_run(&s, &reference);
    let sweep_reference = d.path().join("sweep reference");
    reference_sweep(&w, &sweep_reference);

    let all = [
        &array_id,
        &merge_id,
        &gen_array,
        &gen_merge,
        &sweep_array,
        &sweep_merge,
    ];
    let all: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
    if let Err(e) = slurm.wait(&all, JOB_TIMEOUT) {
        panic!("{test}: {e}");
    }
    let log_text = |dir: &Path| -> String {
        let mut s = String::new();
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            s.push_str(&format!("== {}\n{}\n", e.path().display(), read(&e.path())));
        }
        s
    };
    for (id, logs) in [
        (&array_id, &logs),
        (&merge_id, &logs),
        (&gen_array, &generated.join("logs")),
        (&gen_merge, &generated.join("logs")),
        (&sweep_array, &sweep_dir.join("logs")),
        (&sweep_merge, &sweep_dir.join("logs")),
    ] {
        let states = slurm.states(id);
        assert!(
            !states.is_empty() && states.iter().all(|(_, st)| st == "COMPLETED"),
            "job {id}: {states:?}\n{}\n{}",
            log_text(logs),
            slurm.logs()
        );
    }
    assert_eq!(slurm.states(&array_id).len(), 4, "4 array tasks");
    assert_same_run(&by_hand.join("merged"), &reference);
    assert_same_run(&generated.join("merged"), &reference);
    assert_same_sweep(&sweep_dir.join("merged"), &sweep_reference);
    // One log per task, named by the array's id and the task's index.
    for t in 0..4 {
        let log = generated.join(format!("logs/{gen_array}_{t}.out"));
        assert!(
            read(&log).contains(&format!("shard {t} of 4")),
            "{}",
            log.display()
        );
    }
    eprintln!(
        "{test}: cluster up in {:.1} s, everything in {:.1} s",
        started.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
}

#[test]
fn slurm_failed_shard_cancels_the_merge_and_a_rerun_of_its_index_completes_the_job() {
    let test = "slurm_failed_shard_cancels_the_merge_and_a_rerun_of_its_index_completes_the_job";
    let Some(slurm) = Slurm::start_or_skip(test) else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        d.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let s = scenario(d.path(), "s.toml");
    // The jobs run this wrapper (`--fleetsim`): shard 2 fails until `fixed` exists.
    let wrapper = d.path().join("flaky fleetsim");
    let fixed = d.path().join("fixed");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\ncase \"$*\" in *'--shard 2/4'*) [ -e {f} ] || {{ echo 'shard 2 fails on purpose' >&2; exit 3; }} ;; esac\nexec {exe} \"$@\"\n",
            f = sh(&fixed),
            exe = sh(Path::new(env!("CARGO_BIN_EXE_fleetsim")))
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let env = [("SLURM_CONF", slurm.conf.to_str().unwrap())];
    let job = d.path().join("job");
    let wrapper_arg = wrapper.to_str().unwrap();
    let o = slurm_cmd(
        &s,
        "4",
        &job,
        &[
            "-n",
            PATHS,
            "-s",
            SEED,
            "--backend",
            "cpu",
            "--fleetsim",
            wrapper_arg,
            "--submit",
        ],
        &env,
    );
    ok(&o, "fleetsim slurm --submit");
    let said = String::from_utf8_lossy(&o.stdout).to_string();
    let id_after = |k: &str| -> String {
        said.split(k)
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("no {k:?} in {said}"))
            .to_string()
    };
    let (array, merge) = (id_after("array job "), id_after("merge job "));
    slurm
        .wait(&[&array, &merge], JOB_TIMEOUT)
        .unwrap_or_else(|e| panic!("{test}: {e}"));
    let states = slurm.states(&array);
    let failed: Vec<&str> = states
        .iter()
        .filter(|(_, st)| st != "COMPLETED")
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(failed, [format!("{array}_2")], "{states:?}");
    assert_eq!(
        slurm.states(&merge),
        [(merge.clone(), "CANCELLED".to_string())],
        "the merge is cancelled, not left pending, when a shard fails"
    );
    // What the README says to do: merge names the missing shard ...
    let o = fleetsim(&[
        "merge",
        job.join("shards").to_str().unwrap(),
        "-o",
        d.path().join("early").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let said = text(&o);
    assert!(said.contains("missing") && said.contains(": 2"), "{said}");
    // ... rerun that index alone, then the merge.
    std::fs::write(&fixed, "").unwrap();
    let array_script = job.join("slurm/array.sbatch");
    let rerun = slurm.sbatch(&["--array=2", array_script.to_str().unwrap()]);
    slurm
        .wait(&[&rerun], JOB_TIMEOUT)
        .unwrap_or_else(|e| panic!("{test}: {e}"));
    let merge_again = slurm.sbatch(&[job.join("slurm/merge.sbatch").to_str().unwrap()]);
    slurm
        .wait(&[&merge_again], JOB_TIMEOUT)
        .unwrap_or_else(|e| panic!("{test}: {e}"));
    assert_eq!(
        slurm.states(&merge_again),
        [(merge_again.clone(), "COMPLETED".to_string())],
        "{}",
        slurm.logs()
    );
    let reference = d.path().join("reference");
    reference_run(&s, &reference);
    assert_same_run(&job.join("merged"), &reference);
}
