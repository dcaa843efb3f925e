//! End-to-end tests of the real `fleetsim` binary: the default run, result files, the overwrite
//! guard, exit codes for bad input, reproducibility through the command line.

use crate::common;

use common::cli::{fleetsim, fleetsim_env, text};

use std::path::Path;

fn repo(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .display()
        .to_string()
}

#[test]
fn no_arguments_runs_the_default_comparison() {
    let o = fleetsim(&[]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    for want in [
        "trn2",
        "b200",
        "NPV",
        "levelized USD per eff. PFLOP-hour",
        "availability",
        "P(trn2",
    ] {
        assert!(t.contains(want), "missing {want:?} in:\n{t}");
    }
    assert!(!t.contains("NaN"), "{t}");
}

#[test]
fn run_writes_results_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("res");
    let out_s = out.display().to_string();
    let scenario = repo("configs/default.toml");
    let args = [
        "run",
        &scenario,
        "--paths",
        "300",
        "--seed",
        "7",
        "--out",
        &out_s,
        "--per-path",
        "--quiet",
        "--backend",
        "cpu",
    ];
    let o = fleetsim(&args);
    assert!(o.status.success(), "{}", text(&o));
    for f in [
        "summary.json",
        "summary.csv",
        "pairs.csv",
        "per_path.csv",
        "per_path.parquet",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let json = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(!json.contains("NaN") && !json.contains("Infinity"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["seed"], 7);
    assert_eq!(v["paths"], 300);
    assert_eq!(v["backend"], "cpu");
    assert!(v["scenario"].is_object(), "resolved config recorded");
    assert!(v["wall_time_s"].as_f64().unwrap() > 0.0);
    assert!(v["options"]["trn2"]["npv_usd"]["p50"].is_number());
    let rows = std::fs::read_to_string(out.join("per_path.csv")).unwrap();
    assert_eq!(
        rows.lines().count(),
        1 + 300 * 2,
        "header + one row per path and option"
    );

    // Again without --force: refused, exit 2, nothing changed.
    let before = std::fs::read(out.join("summary.csv")).unwrap();
    let o = fleetsim(&args);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--force"), "{}", text(&o));
    assert_eq!(std::fs::read(out.join("summary.csv")).unwrap(), before);

    // With --force, another thread count and another chunking: same seed, same numbers.
    let mut forced: Vec<&str> = args.to_vec();
    forced.extend(["--force", "--threads", "1", "--chunk", "37"]);
    let o = fleetsim(&forced);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(out.join("summary.csv")).unwrap(), before);
}

#[test]
fn bad_input_exits_2_with_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[scenario]\nname = \"x\"\n[options.a]\nhardware = \"trn2\"\naccelerators = 1000\nchip_w = -5\n",
    )
    .unwrap();
    let b = bad.display().to_string();
    for cmd in [vec!["validate", &b], vec!["run", &b, "--paths", "10"]] {
        let o = fleetsim(&cmd);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{t}");
        assert!(t.contains("bad.toml") && t.contains("chip_w"), "{t}");
        assert!(!t.contains("panicked"), "{t}");
    }
    let not_toml = dir.path().join("nope.toml");
    std::fs::write(&not_toml, "this is = = not toml").unwrap();
    let o = fleetsim(&["validate", &not_toml.display().to_string()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("nope.toml"));
    let o = fleetsim(&["validate", "/does/not/exist.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = fleetsim(&["run", "--paths", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // Impossible engine requests are bad input too, on any machine.
    for args in [
        vec![
            "run",
            "--backend",
            "gpu",
            "--adapter",
            "no-such-adapter-xyz",
        ],
        vec!["run", "--adapter", "no-such-adapter-xyz"],
        vec!["run", "--backend", "cpu", "--adapter", "llvmpipe"],
        vec!["run", "--backend", "gpu", "--precision", "f64"],
    ] {
        let o = fleetsim(&[args.as_slice(), &["--paths", "10"]].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
    let o = fleetsim_env(
        &["run", "--paths", "10"],
        &[("FLEETSIM_ADAPTER", "no-such-adapter-xyz")],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("FLEETSIM_ADAPTER"), "{}", text(&o));
    let o = fleetsim(&["run", "--bogus-flag"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // A bound no design can meet is refused as the flag's value, before the sweep is read.
    let o = fleetsim(&[
        "sweep",
        &repo("configs/sweeps/electricity_breakeven.toml"),
        "--max-points",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--max-points"), "{}", text(&o));
}

#[test]
fn validate_and_catalog_describe_the_inputs() {
    for f in [
        "configs/default.toml",
        "configs/scenarios/gb200.toml",
        "configs/scenarios/next_platform.toml",
        "configs/scenarios/hyperscale.toml",
    ] {
        let o = fleetsim(&["validate", &repo(f)]);
        assert!(o.status.success(), "{f}: {}", text(&o));
        assert!(text(&o).contains("valid"));
    }
    let o = fleetsim(&["catalog"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    for e in ["trn2", "b200-hgx", "gb200-nvl72", "h100"] {
        assert!(t.contains(e), "{e} missing from catalog listing:\n{t}");
    }
    let o = fleetsim(&["catalog", "trn2"]);
    assert!(
        o.status.success() && text(&o).contains("chip_w"),
        "{}",
        text(&o)
    );
    let o = fleetsim(&["catalog", "no-such-chip"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn four_options_with_correlations_in_f64() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let scenario = repo("configs/scenarios/gb200.toml");
    let o = fleetsim(&[
        "run",
        &scenario,
        "--paths",
        "200",
        "--precision",
        "f64",
        "--out",
        &out,
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    for pair in [
        "P(trn2 cheaper",
        "than gb200",
        "than h100",
        "P(gb200 cheaper",
        "than b200",
    ] {
        assert!(t.contains(pair), "missing {pair:?}:\n{t}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(v["precision"], "f64");
    // Four options: every unordered pair, 4 x 3 / 2.
    assert_eq!(v["pairs"].as_object().unwrap().len(), 6);
    let pairs = std::fs::read_to_string(dir.path().join("pairs.csv")).unwrap();
    assert!(
        pairs
            .lines()
            .any(|l| l.starts_with("trn2,h100,npv_usd,difference")),
        "{pairs}"
    );
}

/// A `WGPU_BACKEND` value under which wgpu finds no adapter on this OS (a backend it lacks).
fn backend_without_adapters() -> &'static str {
    if cfg!(target_os = "macos") {
        "dx12"
    } else {
        "metal"
    }
}

#[test]
fn adapters_lists_every_adapter_and_what_each_backend_would_use() {
    let o = fleetsim(&["adapters", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = v["adapters"].as_array().unwrap();
    let o = fleetsim(&["adapters"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        t.contains("--backend auto: ") && t.contains("--backend gpu: "),
        "{t}"
    );
    for a in list {
        assert!(t.contains(a["name"].as_str().unwrap()), "{t}");
        let l = &a["limits"];
        for k in [
            "max_buffer_size",
            "max_storage_buffer_binding_size",
            "max_compute_workgroups_per_dimension",
            "max_compute_invocations_per_workgroup",
        ] {
            assert!(l[k].as_u64().unwrap() > 0, "{k} in {a}");
        }
    }
    // auto never picks a software adapter unless one is named; gpu picks one whenever any exists.
    if let Some(i) = v["auto"].as_u64() {
        assert_eq!(list[i as usize]["software"], false, "{v}");
    } else {
        assert!(v["auto_reason"].is_string());
    }
    assert_eq!(v["gpu"].is_u64(), !list.is_empty(), "{v}");

    // No adapter at all: said plainly.
    let o = fleetsim_env(
        &["adapters"],
        &[("WGPU_BACKEND", backend_without_adapters())],
    );
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("No GPU adapter found"), "{t}");
    assert!(t.contains("--backend auto: CPU engine"), "{t}");
    assert!(t.contains("--backend gpu: exits 3"), "{t}");
}

#[test]
fn without_an_adapter_auto_runs_on_the_cpu_and_gpu_exits_3_writing_nothing() {
    let env = [("WGPU_BACKEND", backend_without_adapters())];
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("res");
    let out_s = out.display().to_string();
    let base = ["run", "--paths", "50", "--out", &out_s, "--per-path"];

    let o = fleetsim_env(&[&base[..], &["--backend", "gpu"]].concat(), &env);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("no GPU adapter found"), "{}", text(&o));
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());

    let o = fleetsim_env(&base, &env);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("backend auto -> cpu"), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(v["backend"], "cpu");
    assert!(v["fallback"].is_null() && v["api"].is_null(), "{v}");
}

#[test]
fn check_refuses_bad_input_with_2_and_a_missing_gpu_with_3() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("check.json");
    let json_s = json.display().to_string();
    let o = fleetsim(&["check", "--backend", "cpu"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--backend cpu has nothing to check"),
        "{}",
        text(&o)
    );
    let o = fleetsim(&["check", &repo("configs/no-such.toml")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    std::fs::write(&json, "earlier").unwrap();
    let o = fleetsim(&["check", "--json", &json_s]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("refusing to overwrite"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&json).unwrap(), "earlier");
    std::fs::remove_file(&json).unwrap();
    // No adapter: exit 3 under gpu and auto, nothing written.
    let env = [("WGPU_BACKEND", backend_without_adapters())];
    for backend in ["gpu", "auto"] {
        let o = fleetsim_env(
            &["check", "-n", "10", "--backend", backend, "--json", &json_s],
            &env,
        );
        assert_eq!(o.status.code(), Some(3), "{backend}: {}", text(&o));
        assert!(!json.exists(), "{backend}");
    }
}

/// `--adapter` value naming the harness's adapter exactly ("name (api)"), or `None` (skip).

#[test]
fn a_closed_stdout_pipe_neither_panics_nor_stops_the_files() {
    // `fleetsim run --out DIR | head -0`: the reader is gone before the table is printed.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let mut child = common::cli::command()
        .args(["run", "--backend", "cpu", "--paths", "50", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn fleetsim");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "exit {:?}: {err}", o.status.code());
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        out.join("summary.json").exists(),
        "files still written: {err}"
    );
}
