//! Sharded runs as local processes (what a scheduler's array tasks do) and `fleetsim merge`:
//! the merged files equal the unsharded run's byte for byte where the state is exact (counts,
//! quantiles, histograms, moments of kept values, per-path rows, monthly bands), shards merge to
//! the same result in any order, a killed shard is reported and its rerun reproduces it, and
//! mixed, duplicated or missing shards are refused naming them.

use std::path::{Path, PathBuf};

use crate::common::cli::{fleetsim, fleetsim_env, text};

const PATHS: &str = "900";

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// `fleetsim run` of the default scenario, CPU, `PATHS` paths, per-path rows, no break-evens.
fn run(out: &Path, extra: &[&str]) -> std::process::Output {
    let o_s = s(out);
    let mut args = vec![
        "run",
        "-n",
        PATHS,
        "--no-breakeven",
        "--backend",
        "cpu",
        "--per-path",
        "-q",
        "-o",
        &o_s,
    ];
    args.extend_from_slice(extra);
    fleetsim(&args)
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "{}", text(o));
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The merged folder `m` equals the unsharded `w`: identical bytes for the exact files, the
/// same figures in summary.json, the decomposition's streaming moments to rounding.
fn assert_same_result(m: &Path, w: &Path) {
    for f in [
        "summary.csv",
        "pairs.csv",
        "timeseries.csv",
        "timeseries.parquet",
        "per_path.csv",
        "per_path.parquet",
    ] {
        assert!(
            std::fs::read(m.join(f)).unwrap() == std::fs::read(w.join(f)).unwrap(),
            "{f} differs between the merge and the unsharded run"
        );
    }
    let (a, b) = (json(&m.join("summary.json")), json(&w.join("summary.json")));
    for k in [
        "identity", "n_paths", "options", "pairs", "metrics", "scenario", "seed", "paths",
    ] {
        assert_eq!(a[k], b[k], "summary.json {k}");
    }
    let (da, db) = (&a["npv_decomposition"], &b["npv_decomposition"]);
    for (pair, x) in da.as_object().unwrap() {
        let y = &db[pair];
        for (cx, cy) in x["components"]
            .as_array()
            .unwrap()
            .iter()
            .zip(y["components"].as_array().unwrap())
        {
            for k in ["mean_usd", "se_usd"] {
                let (u, v) = (cx[k].as_f64().unwrap(), cy[k].as_f64().unwrap());
                assert!(
                    (u - v).abs() <= 1e-12 * u.abs().max(v.abs()).max(1.0),
                    "{pair} {} {k}: {u} vs {v}",
                    cx["name"]
                );
            }
        }
    }
    assert_eq!(
        fleetsim::export::output::verify(m).unwrap().identity,
        fleetsim::export::output::verify(w).unwrap().identity
    );
}

#[test]
fn local_shards_in_any_order_merge_to_the_unsharded_run() {
    let d = tempfile::tempdir().unwrap();
    let whole = d.path().join("whole");
    ok(&run(&whole, &[]));
    let shards = d.path().join("shards");
    // Out of order, as array tasks finish.
    for i in [2, 0, 1] {
        ok(&run(&shards, &["--shard", &format!("{i}/3")]));
    }
    let names: Vec<String> = std::fs::read_dir(&shards)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3);
    let shard1 = shards.join("shard-0001-of-0003");
    let m1 = fleetsim::export::output::verify(&shard1).unwrap();
    assert_eq!(
        (m1.identity.start, m1.identity.end, m1.identity.total),
        (300, 600, 900)
    );
    let merged = d.path().join("merged");
    let o = fleetsim(&["merge", &s(&shards), "-o", &s(&merged), "-q"]);
    ok(&o);
    assert_same_result(&merged, &whole);
    let meta = json(&merged.join("summary.json"));
    assert_eq!(meta["shards"].as_array().unwrap().len(), 3);
    // The shard folders named one by one, in another order: the same bytes.
    let again = d.path().join("again");
    let o = fleetsim(&[
        "merge",
        &s(&shards.join("shard-0002-of-0003")),
        &s(&shards.join("shard-0000-of-0003")),
        &s(&shard1),
        "-o",
        &s(&again),
        "-q",
    ]);
    ok(&o);
    assert_same_result(&again, &whole);
    // Merging into a folder holding a result needs --force, like any command.
    let o = fleetsim(&["merge", &s(&shards), "-o", &s(&merged), "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn the_schedulers_environment_picks_the_shard() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("env");
    let o_s = s(&out);
    let base = [
        "run",
        "-n",
        "60",
        "--no-breakeven",
        "--backend",
        "cpu",
        "-o",
        &o_s,
    ];
    let o = fleetsim_env(
        &base,
        &[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "6"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ],
    );
    ok(&o);
    assert!(text(&o).contains("running shard 1/2"), "{}", text(&o));
    let id = fleetsim::export::output::verify(&out.join("shard-0001-of-0002"))
        .unwrap()
        .identity;
    assert_eq!((id.start, id.end), (30, 60));
    let o = fleetsim_env(
        &[&base[..], &["--shards", "2", "-q"]].concat(),
        &[("JOB_COMPLETION_INDEX", "0")],
    );
    ok(&o);
    let o = fleetsim(&["merge", &o_s, "-o", &s(&d.path().join("m")), "-q"]);
    ok(&o);
    // An index without a count is refused.
    let o = fleetsim_env(&base, &[("AWS_BATCH_JOB_ARRAY_INDEX", "1")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--shards"), "{}", text(&o));
}

#[test]
fn merge_names_missing_mixed_and_duplicated_shards_and_a_rerun_reproduces() {
    let d = tempfile::tempdir().unwrap();
    let shards = d.path().join("shards");
    for i in [0, 2, 3] {
        ok(&run(&shards, &["--shard", &format!("{i}/4")]));
    }
    let merged = d.path().join("m");
    let o = fleetsim(&["merge", &s(&shards), "-o", &s(&merged)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("1 of 4 shards are missing or incomplete: 1;")
            && text(&o).contains("--shard I/4"),
        "{}",
        text(&o)
    );
    assert!(!merged.exists(), "a refused merge writes nothing");

    // A shard killed mid-run: incomplete, so missing, and named.
    let one = shards.join("shard-0001-of-0004");
    let mut child = crate::common::cli::command()
        .args([
            "run",
            "-n",
            "4000000",
            "--no-breakeven",
            "--backend",
            "cpu",
            "--per-path",
        ])
        .args(["-q", "--shard", "1/4", "-o"])
        .arg(&shards)
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    while !one.exists() && t.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    let o = fleetsim(&["merge", &s(&shards), "-o", &s(&merged)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("missing or incomplete: 1;") && text(&o).contains(&s(&one)),
        "{}",
        text(&o)
    );

    // Rerun: the same numbers as a first run of that shard (compare with another copy).
    ok(&run(&shards, &["--shard", "1/4", "--force"]));
    let copy = d.path().join("copy");
    ok(&run(&copy, &["--shard", "1/4"]));
    use fleetsim::merge::{PartialRun, read_partial};
    let a: PartialRun = read_partial(&one).unwrap();
    let b: PartialRun = read_partial(&copy.join("shard-0001-of-0004")).unwrap();
    assert_eq!(
        a.aggregate, b.aggregate,
        "a rerun shard reproduces its aggregate"
    );
    assert_eq!(
        std::fs::read(one.join("per_path.csv")).unwrap(),
        std::fs::read(copy.join("shard-0001-of-0004/per_path.csv")).unwrap()
    );
    ok(&fleetsim(&["merge", &s(&shards), "-o", &s(&merged), "-q"]));

    // The same shard twice.
    let o = fleetsim(&[
        "merge",
        &s(&shards),
        &s(&copy.join("shard-0001-of-0004")),
        "-o",
        &s(&d.path().join("dup")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("shard 1/4 is given twice"),
        "{}",
        text(&o)
    );

    // A shard of another seed, of another path count, or of another shard count.
    for (extra, says) in [
        (&["--shard", "1/4", "-s", "9"][..], "seed"),
        (&["--shard", "1/3"][..], "shard count"),
    ] {
        let other = d.path().join(format!("other{}", extra.len()));
        ok(&run(&other, extra));
        let sub = std::fs::read_dir(&other)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut dirs: Vec<PathBuf> = [0, 2, 3]
            .iter()
            .map(|i| shards.join(format!("shard-000{i}-of-0004")))
            .collect();
        dirs.push(sub);
        let mut args = vec!["merge".to_string()];
        args.extend(dirs.iter().map(|p| s(p)));
        args.extend(["-o".into(), s(&d.path().join("mixed"))]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = fleetsim(&refs);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{extra:?}: {}", text(&o));
    }
    // Not shards at all.
    let whole = d.path().join("whole");
    ok(&run(&whole, &[]));
    let o = fleetsim(&["merge", &s(&whole), "-o", &s(&d.path().join("w2"))]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not a shard"), "{}", text(&o));
}

#[test]
fn what_a_shard_cannot_do_is_bad_input() {
    let d = tempfile::tempdir().unwrap();
    let o_s = s(&d.path().join("x"));
    for (args, says) in [
        (vec!["run", "-n", "50", "--shard", "0/2"], "needs --out"),
        (
            vec![
                "run",
                "-n",
                "50",
                "--shard",
                "0/2",
                "-o",
                &o_s,
                "--target-se",
                "0.1",
            ],
            "--target-se",
        ),
        (
            vec!["run", "-n", "50", "--shard", "0/2", "-o", &o_s, "--report"],
            "merge",
        ),
        (
            vec!["run", "-n", "50", "--shard", "2/2", "-o", &o_s],
            "0-based",
        ),
        (
            vec![
                "run", "-n", "50", "--shard", "1/2", "--shards", "3", "-o", &o_s,
            ],
            "disagree",
        ),
    ] {
        let o = fleetsim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
}

#[test]
fn sweep_shards_merge_to_the_unsharded_sweep() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("w.toml");
    std::fs::write(
        &file,
        "[sweep]\npaths = 40\nmetric = \"npv_usd\"\n\n[[axis]]\nkey = \"options.trn2.mfu\"\nvalues = [0.3, 0.4, 0.5, 0.6, 0.7]\n\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.05, 0.1]\n",
    )
    .unwrap();
    let f = s(&file);
    let sweep = |out: &Path, extra: &[&str]| {
        let o_s = s(out);
        let mut a = vec!["sweep", &f, "--backend", "cpu", "-q", "-o", &o_s];
        a.extend_from_slice(extra);
        fleetsim(&a)
    };
    let whole = d.path().join("whole");
    ok(&sweep(&whole, &[]));
    let shards = d.path().join("shards");
    for i in [1, 0, 2] {
        ok(&sweep(&shards, &["--shard", &format!("{i}/3")]));
    }
    // One shard run from the sweep file's folder with a relative path (as a job script does):
    // the inputs are the same.
    let o = crate::common::cli::command()
        .current_dir(d.path())
        .args([
            "sweep",
            "w.toml",
            "--backend",
            "cpu",
            "-q",
            "--force",
            "-o",
            "shards",
        ])
        .args(["--shard", "1/3"])
        .output()
        .unwrap();
    ok(&o);
    let merged = d.path().join("merged");
    ok(&fleetsim(&["merge", &s(&shards), "-o", &s(&merged), "-q"]));
    for f in ["sweep.csv", "sweep.parquet"] {
        assert!(
            std::fs::read(merged.join(f)).unwrap() == std::fs::read(whole.join(f)).unwrap(),
            "{f}"
        );
    }
    let (a, b) = (
        json(&merged.join("sweep.json")),
        json(&whole.join("sweep.json")),
    );
    for k in [
        "axes",
        "n_points",
        "paths_per_point",
        "seed",
        "break_even",
        "columns",
        "scenario",
    ] {
        assert_eq!(a[k], b[k], "sweep.json {k}");
    }
    // The sweep file changed since the shards ran: refused.
    std::fs::write(
        &file,
        std::fs::read_to_string(&file)
            .unwrap()
            .replace("0.7]", "0.8]"),
    )
    .unwrap();
    let o = fleetsim(&["merge", &s(&shards), "-o", &s(&d.path().join("m2"))]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("changed since the shards ran"),
        "{}",
        text(&o)
    );
}
