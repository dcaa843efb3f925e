//! `fleetsim sensitivity --shard I/N` and `fleetsim merge` of its shards: the shards split the
//! analysis' points; merged in any order they give the tornado and Spearman files of the
//! unsharded run (CSV byte for byte, JSON but for the engine and timing keys); a missing shard
//! is listed, a shard of another seed is refused, a rerun shard reproduces its partial.bin
//! byte for byte, and `--report` belongs on the merge, not on a shard.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common;
use common::cli::{fleetsim, text};

/// Keys of tornado.json / spearman.json that describe how a result was computed, not what it
/// is: they may differ between a merged and an unsharded run.
const RUN_SPECIFIC: [&str; 6] = [
    "wall_time_s",
    "backend",
    "adapter",
    "precision",
    "fallback",
    "shards",
];

/// The spares test scenario (one trn2 fleet for a year) in `dir`.
fn scenario(dir: &Path) -> PathBuf {
    let p = dir.join("s.toml");
    std::fs::write(&p, common::SPARES_SCENARIO).unwrap();
    p
}

/// `fleetsim sensitivity` of `scenario` over 20 paths on the CPU into `out`, with `extra`. It
/// runs in the scenario's folder and names it by a relative path, as a cluster job script
/// would: the merge reads it again by the absolute path the shards stored.
fn sens(scenario: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let name = scenario.file_name().unwrap().to_str().unwrap();
    let o = out.display().to_string();
    let mut args = vec![
        "sensitivity",
        name,
        "--paths",
        "20",
        "--backend",
        "cpu",
        "-q",
        "-o",
        &o,
    ];
    args.extend_from_slice(extra);
    common::cli::command()
        .current_dir(scenario.parent().unwrap())
        .args(&args)
        .output()
        .expect("run fleetsim")
}

fn ok(o: std::process::Output) {
    assert!(o.status.success(), "{}", text(&o));
}

fn merge(dirs: &[&Path], out: &Path) -> std::process::Output {
    let mut args = vec!["merge".to_string(), "-q".into()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    args.extend(["-o".into(), out.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fleetsim(&args)
}

fn shard_dir(out: &Path, i: u32, n: u32) -> PathBuf {
    out.join(format!("shard-{i:04}-of-{n:04}"))
}

fn json_without_run_keys(p: &Path) -> Value {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    for k in RUN_SPECIFIC {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

fn identity(dir: &Path) -> Value {
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    m["identity"].clone()
}

#[test]
fn merged_shards_in_any_order_give_the_unsharded_files() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario(tmp.path());
    let whole = tmp.path().join("whole");
    ok(sens(&s, &whole, &[]));
    let shards = tmp.path().join("shards");
    for i in 0..3 {
        ok(sens(&s, &shards, &["--shard", &format!("{i}/3")]));
    }
    // A shard folder holds its partial result only (and its engine facts), nothing that looks
    // like a complete analysis.
    let sh = shard_dir(&shards, 1, 3);
    assert!(sh.join("partial.bin").is_file());
    assert!(!sh.join("tornado.csv").exists());

    // Shard folders given in reverse order.
    let merged = tmp.path().join("merged");
    let dirs: Vec<PathBuf> = (0..3).rev().map(|i| shard_dir(&shards, i, 3)).collect();
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    ok(merge(&refs, &merged));
    for f in ["tornado.csv", "spearman.csv"] {
        let (a, b) = (
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
        );
        assert!(
            a == b,
            "{f} differs:\n{}\nvs\n{}",
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b)
        );
    }
    for f in ["tornado.json", "spearman.json"] {
        assert_eq!(
            json_without_run_keys(&whole.join(f)),
            json_without_run_keys(&merged.join(f)),
            "{f}"
        );
    }
    let t: Value =
        serde_json::from_str(&std::fs::read_to_string(merged.join("tornado.json")).unwrap())
            .unwrap();
    assert_eq!(t["shards"].as_array().unwrap().len(), 3, "{t:#}");
    assert_eq!(t["backend"], "cpu");
    // The merged result is the unsharded run's (same identity in the manifest).
    assert_eq!(identity(&whole), identity(&merged));
    assert_eq!(identity(&merged)["unit"], "points");

    // The folder holding the shard folders merges the same, and a second merge into the
    // result is refused without --force.
    let again = tmp.path().join("again");
    ok(merge(&[&shards], &again));
    assert_eq!(
        std::fs::read(again.join("tornado.csv")).unwrap(),
        std::fs::read(whole.join("tornado.csv")).unwrap()
    );
    let o = merge(&[&shards], &again);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn a_missing_shard_is_listed_and_a_rerun_shard_reproduces_its_partial() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario(tmp.path());
    let shards = tmp.path().join("shards");
    ok(sens(&s, &shards, &["--shard", "0/3"]));
    ok(sens(&s, &shards, &["--shard", "2/3"]));
    let o = merge(&[&shards], &tmp.path().join("m"));
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("1 of 3 shards are missing") && t.contains(": 1;"),
        "{t}"
    );
    assert!(!tmp.path().join("m").join("tornado.csv").exists());

    // The same shard again (into another folder, and over itself with --force): the same bytes.
    let p = shard_dir(&shards, 2, 3).join("partial.bin");
    let first = std::fs::read(&p).unwrap();
    let other = tmp.path().join("other");
    ok(sens(&s, &other, &["--shard", "2/3"]));
    assert!(std::fs::read(shard_dir(&other, 2, 3).join("partial.bin")).unwrap() == first);
    ok(sens(&s, &shards, &["--shard", "2/3", "--force"]));
    assert!(std::fs::read(&p).unwrap() == first);

    // A shard given twice is refused, naming it.
    ok(sens(&s, &shards, &["--shard", "1/3"]));
    let o = merge(&[&shards, &shard_dir(&other, 2, 3)], &tmp.path().join("m2"));
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("shard 2/3 is given twice"), "{t}");

    // The scenario changed after the shards ran: refused.
    std::fs::write(
        &s,
        common::SPARES_SCENARIO.replace("accelerators = 1024", "accelerators = 2048"),
    )
    .unwrap();
    let o = merge(&[&shards], &tmp.path().join("m3"));
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("the scenario changed since the shards ran"),
        "{t}"
    );
}

#[test]
fn shards_of_another_seed_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario(tmp.path());
    let shards = tmp.path().join("shards");
    ok(sens(&s, &shards, &["--shard", "0/2", "--seed", "5"]));
    ok(sens(&s, &shards, &["--shard", "1/2", "--seed", "6"]));
    let o = merge(&[&shards], &tmp.path().join("m"));
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("not shards of one run: seed"), "{t}");
    assert!(
        t.contains("shard-0000-of-0002") && t.contains("shard-0001-of-0002"),
        "{t}"
    );
}

#[test]
fn a_shard_refuses_report_and_needs_out() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario(tmp.path());
    let out = tmp.path().join("o");
    let o = sens(&s, &out, &["--shard", "0/2", "--report"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("--report") && t.contains("fleetsim merge"),
        "{t}"
    );
    assert!(!out.exists(), "nothing is written");
    let o = fleetsim(&[
        "sensitivity",
        &s.display().to_string(),
        "--paths",
        "20",
        "--shard",
        "0/2",
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("needs --out"), "{t}");
}
