//! Results that survive faults, on the real binary: a full disk (a small tmpfs), SIGINT,
//! SIGTERM and SIGKILL mid-run, two runs into one folder, a `--force` rerun with fewer files,
//! hand-edited files, and unusable `--out` paths. After every fault the folder must hold no
//! file under a final name that is not complete: either nothing (hidden temporaries at most)
//! or a manifest whose every file matches.
//!
//! The full-disk tests mount a tmpfs, which needs root (CI runs as root): elsewhere they say
//! they were skipped, and `FLEETSIM_REQUIRE_TMPFS=1` makes that a failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::SPARES_SCENARIO;
use crate::common::cli::{command, fleetsim, text, tiny_run};

/// The non-hidden files of `dir` (hidden ones: the lock, and temporaries of a killed run).
fn visible(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<String> = rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

/// The folder's contract after any fault: no visible file at all, or a manifest that verifies
/// and lists every visible file. Returns whether it holds a complete result.
fn complete_or_empty(dir: &Path) -> bool {
    let files = visible(dir);
    if files.is_empty() {
        return false;
    }
    let m = fleetsim::export::output::verify(dir)
        .unwrap_or_else(|e| panic!("{}: visible files {files:?} but {e}", dir.display()));
    let mut listed: Vec<String> = m.files.iter().map(|f| f.name.clone()).collect();
    listed.push("manifest.json".into());
    listed.sort();
    assert_eq!(
        listed,
        files,
        "{}: files not in the manifest",
        dir.display()
    );
    true
}

/// A tmpfs of `size` at a new folder, unmounted on drop; `None` (test skipped) where mounting
/// is not allowed, unless `FLEETSIM_REQUIRE_TMPFS=1`.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return Some(Tmpfs { dir });
        }
        let why = "mounting a tmpfs needs root (mount -t tmpfs)";
        assert!(
            std::env::var("FLEETSIM_REQUIRE_TMPFS").as_deref() != Ok("1"),
            "FLEETSIM_REQUIRE_TMPFS=1 but {why}"
        );
        eprintln!("skipped: {why}");
        None
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .output();
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn a_full_disk_fails_the_run_and_leaves_nothing_incomplete() {
    let spares_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(spares_file.path(), SPARES_SCENARIO).unwrap();
    let sweep_dir = tempfile::tempdir().unwrap();
    let sweep_file = sweep_dir.path().join("w.toml");
    std::fs::write(
        &sweep_file,
        "[sweep]\npaths = 30\nmetric = \"npv_usd\"\n\n[[axis]]\nkey = \"options.trn2.mfu\"\nvalues = [0.3, 0.5, 0.7]\n",
    )
    .unwrap();
    // Sizes that cut the run at different files: the first, the middle, the per-path rows.
    for size in ["16k", "300k", "700k"] {
        let Some(fs) = Tmpfs::mount(size) else {
            return;
        };
        let cases: Vec<(&str, Vec<String>)> = vec![
            (
                "run",
                vec![
                    "run",
                    "-n",
                    "400",
                    "--no-breakeven",
                    "--backend",
                    "cpu",
                    "--per-path",
                ]
                .into_iter()
                .map(String::from)
                .collect(),
            ),
            (
                "sweep",
                vec![
                    "sweep".into(),
                    s(&sweep_file),
                    "--backend".into(),
                    "cpu".into(),
                ],
            ),
            (
                "sensitivity",
                vec![
                    "sensitivity".into(),
                    s(spares_file.path()),
                    "-n".into(),
                    "40".into(),
                    "--backend".into(),
                    "cpu".into(),
                ],
            ),
            (
                "spares",
                vec![
                    "spares".into(),
                    s(spares_file.path()),
                    "--availability".into(),
                    "0.99".into(),
                    "--backend".into(),
                    "cpu".into(),
                ],
            ),
        ];
        for (name, mut args) in cases {
            let out = fs.path().join(name);
            args.extend(["-o".into(), s(&out), "-q".into()]);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = fleetsim(&refs);
            let done = complete_or_empty(&out);
            if size == "16k" {
                // Too small for any command's first file: the fault is exercised.
                assert!(!o.status.success(), "{name} fit in {size}?");
            }
            if o.status.success() {
                assert!(done, "{name} at {size}: exit 0 without a complete result");
            } else {
                assert_eq!(o.status.code(), Some(1), "{name} at {size}: {}", text(&o));
                assert!(
                    text(&o).contains("No space left on device"),
                    "{name} at {size}: says what happened: {}",
                    text(&o)
                );
                assert!(!done, "{name} at {size}: failed but left a complete result");
            }
            let _ = std::fs::remove_dir_all(&out);
        }
    }
}

/// A long `--per-path` run into `out`, started in the background.
fn long_run(out: &Path, extra: &[&str]) -> Child {
    command()
        .args([
            "run",
            "-n",
            "400000",
            "--no-breakeven",
            "--backend",
            "cpu",
            "--per-path",
            "-q",
            "-o",
        ])
        .arg(out)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fleetsim")
}

/// Waits until `out` holds a staged temporary file (the run is writing), at most 60 s.
fn wait_for_staging(out: &Path) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        if let Ok(rd) = std::fs::read_dir(out)
            && rd
                .flatten()
                .any(|e| e.file_name().to_string_lossy().contains(".fleetsim-tmp-"))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{}: the run never staged a file", out.display());
}

fn signal(child: &Child, sig: &str) {
    let st = std::process::Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

fn temporaries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().contains(".fleetsim-tmp-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn sigint_and_sigterm_remove_the_staged_files_and_exit_130_and_143() {
    let d = tempfile::tempdir().unwrap();
    for (sig, code) in [("-INT", 130), ("-TERM", 143)] {
        let out = d.path().join(sig);
        let child = long_run(&out, &[]);
        wait_for_staging(&out);
        signal(&child, sig);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "{sig}: {}", text(&o));
        assert!(text(&o).contains("interrupted"), "{}", text(&o));
        assert!(visible(&out).is_empty(), "{sig}: {:?}", visible(&out));
        assert!(
            temporaries(&out).is_empty(),
            "{sig}: {:?}",
            temporaries(&out)
        );
        // The next run into the folder is not blocked.
        tiny_run(&out, &["--no-breakeven"]);
        assert!(complete_or_empty(&out));
    }
}

#[test]
fn sigkill_leaves_only_hidden_temporaries_that_the_next_run_removes() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("k");
    let mut child = long_run(&out, &[]);
    wait_for_staging(&out);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(visible(&out).is_empty(), "{:?}", visible(&out));
    assert!(
        !temporaries(&out).is_empty(),
        "a killed run cannot clean up"
    );
    // No --force needed: nothing of a result is there.
    let o = fleetsim(&[
        "run",
        "-n",
        "50",
        "--no-breakeven",
        "--backend",
        "cpu",
        "-q",
        "-o",
        &s(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(temporaries(&out).is_empty(), "{:?}", temporaries(&out));
    assert!(complete_or_empty(&out));
}

#[test]
fn a_second_run_into_a_folder_in_use_is_refused_with_or_without_force() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("busy");
    let child = long_run(&out, &["--force"]);
    wait_for_staging(&out);
    for extra in [&[][..], &["--force"][..]] {
        let mut args = vec![
            "run",
            "-n",
            "50",
            "--no-breakeven",
            "--backend",
            "cpu",
            "-q",
            "-o",
        ];
        let o_s = s(&out);
        args.push(&o_s);
        args.extend_from_slice(extra);
        let o = fleetsim(&args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", text(&o));
        assert!(
            text(&o).contains("in use by another fleetsim run"),
            "{}",
            text(&o)
        );
    }
    signal(&child, "-TERM");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", text(&o));
    assert!(visible(&out).is_empty());
}

#[test]
fn concurrent_forced_runs_never_mix_their_files() {
    // Many short forced runs into one folder at once: each exits 0 with its complete result or
    // 2 (folder in use); whatever is left is one run's complete result.
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("race");
    for round in 0..3 {
        let kids: Vec<Child> = (0..4)
            .map(|k| {
                command()
                    .args([
                        "run",
                        "-n",
                        "200",
                        "--no-breakeven",
                        "--backend",
                        "cpu",
                        "--per-path",
                        "-q",
                        "--force",
                        "-s",
                        &(round * 10 + k + 1).to_string(),
                        "-o",
                    ])
                    .arg(&out)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut ok = 0;
        for c in kids {
            let o = c.wait_with_output().unwrap();
            match o.status.code() {
                Some(0) => ok += 1,
                Some(2) => assert!(text(&o).contains("in use"), "{}", text(&o)),
                other => panic!("exit {other:?}: {}", text(&o)),
            }
        }
        assert!(ok >= 1, "round {round}: no run succeeded");
        assert!(complete_or_empty(&out));
        // The per-path rows and the summary are of the same run (its seed).
        let m = fleetsim::export::output::verify(&out).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(v["seed"], m.identity.seed);
        assert_eq!(v["identity"]["seed"], m.identity.seed);
    }
}

#[test]
fn force_replaces_every_file_of_the_previous_result() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    tiny_run(&out, &["--no-breakeven", "--per-path", "--report"]);
    let before = visible(&out);
    for f in [
        "per_path.csv",
        "per_path.parquet",
        "report.html",
        "summary.xlsx",
    ] {
        assert!(before.contains(&f.to_string()), "{before:?}");
    }
    // Refused without --force (exit 2), before simulating.
    let o = fleetsim(&["run", "-n", "50", "--backend", "cpu", "-q", "-o", &s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("earlier run"), "{}", text(&o));
    tiny_run(&out, &["--no-breakeven", "--no-timeseries"]);
    assert_eq!(
        visible(&out),
        ["manifest.json", "pairs.csv", "summary.csv", "summary.json"],
        "no file of the earlier result is left"
    );
    assert!(complete_or_empty(&out));
}

#[test]
fn every_output_carries_the_runs_identity() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    tiny_run(&out, &["--no-breakeven", "--per-path", "-s", "77"]);
    let m = fleetsim::export::output::verify(&out).unwrap();
    assert_eq!(m.identity.seed, 77);
    assert_eq!(
        (m.identity.start, m.identity.end, m.identity.total),
        (0, 300, 300)
    );
    assert_eq!(m.identity.shard, None);
    assert_eq!(m.identity.fleetsim_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(m.identity.inputs_sha256.len(), 64);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        serde_json::from_value::<fleetsim::export::RunIdentity>(v["identity"].clone()).unwrap(),
        m.identity
    );
    use parquet::file::reader::{FileReader, SerializedFileReader};
    for f in ["per_path.parquet", "timeseries.parquet"] {
        let r = SerializedFileReader::new(std::fs::File::open(out.join(f)).unwrap()).unwrap();
        let kv = r
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .unwrap()
            .clone();
        let get = |k: &str| {
            kv.iter()
                .find(|x| x.key == k)
                .and_then(|x| x.value.clone())
                .unwrap_or_else(|| panic!("{f}: no {k}"))
        };
        let id: fleetsim::export::RunIdentity =
            serde_json::from_str(&get("fleetsim.identity")).unwrap();
        assert_eq!(id, m.identity, "{f}");
        assert_eq!(get("fleetsim.seed"), "77");
        assert_eq!(get("fleetsim.inputs_sha256"), m.identity.inputs_sha256);
    }
    // Another seed: another identity, same inputs.
    let other = d.path().join("o");
    tiny_run(&other, &["--no-breakeven", "-s", "78"]);
    let n = fleetsim::export::output::verify(&other).unwrap();
    assert_ne!(n.identity, m.identity);
}

#[test]
fn a_file_changed_after_the_run_is_detected() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    tiny_run(&out, &["--no-breakeven"]);
    let p = out.join("summary.csv");
    let mut t = std::fs::read_to_string(&p).unwrap();
    t.truncate(t.len() / 2);
    std::fs::write(&p, t).unwrap();
    let o = fleetsim(&["report", &s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("summary.csv differs from manifest.json"),
        "{}",
        text(&o)
    );
    assert!(!out.join("report.html").exists());
}

#[test]
fn an_unusable_out_is_bad_input() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let scenario = d.path().join("s.toml");
    std::fs::write(&scenario, SPARES_SCENARIO).unwrap();
    let cases = [
        (file.clone(), "is not a folder"),
        (file.join("below"), "cannot use"),
        (PathBuf::from("/proc/fleetsim-out"), "cannot use"),
    ];
    for (out, says) in cases {
        let sc = s(&scenario);
        for cmd in [
            &["run", "-n", "20", "--no-breakeven", "--backend", "cpu"][..],
            &["sensitivity", &sc, "-n", "20", "--backend", "cpu"][..],
        ] {
            let mut args = cmd.to_vec();
            let o_s = s(&out);
            args.extend(["-q", "-o", &o_s]);
            let o = fleetsim(&args);
            assert_eq!(o.status.code(), Some(2), "{out:?}: {}", text(&o));
            assert!(text(&o).contains(says), "{out:?}: {}", text(&o));
        }
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}
