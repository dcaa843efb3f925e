//! The real `fleetsim` binary on the GPU: a run on the adapter agrees with a CPU run path by
//! path (per_path.csv), a mid-run GPU failure falls back to the CPU and completes the run, and a
//! failure under `--backend gpu` writes nothing. Part of the GPU test binary (tests/gpu.rs):
//! reported as ignored without an adapter.

use crate::common;
use crate::common::cli::{fleetsim_env, text};

use std::path::Path;

fn some_adapter() -> Option<String> {
    common::gpu::context().map(|c| c.adapter.label())
}

pub fn a_gpu_failure_falls_back_to_the_cpu_under_auto_and_fails_cleanly_under_gpu() {
    let Some(adapter) = some_adapter() else {
        return;
    };
    // The hidden fault hook fails the GPU engine's first chunk like a lost device.
    let fault = [("FLEETSIM_FAULT_GPU_CHUNK", "0")];
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str], env: &[(&str, &str)]| {
        let out = dir.path().join(name);
        let out_s = out.display().to_string();
        let args = [
            &[
                "run",
                "--paths",
                "90",
                "--chunk",
                "40",
                "--seed",
                "3",
                "--out",
                &out_s,
                "--per-path",
            ][..],
            extra,
        ]
        .concat();
        (fleetsim_env(&args, env), out)
    };

    let (o, cpu_out) = run("cpu", &["--backend", "cpu"], &[]);
    assert!(o.status.success(), "{}", text(&o));

    let (o, auto_out) = run("auto", &["--adapter", &adapter, "--quiet"], &fault);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("warning: the GPU engine failed at path 0"),
        "{t}"
    );
    assert!(
        t.contains("continuing on the CPU engine from path 0"),
        "{t}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(auto_out.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(v["backend"], "gpu", "{v}");
    assert!(adapter.starts_with(v["adapter"].as_str().unwrap()), "{v}");
    assert!(v["api"].is_string() && v["device_type"].is_string(), "{v}");
    assert!(v["driver"].is_string(), "{v}");
    let fb = &v["fallback"];
    assert_eq!(fb["at_path"], 0, "{v}");
    assert_eq!(fb["paths_on_fallback"], 90, "{v}");
    assert_eq!(fb["to"]["backend"], "cpu", "{v}");
    assert!(
        fb["reason"].as_str().unwrap().contains("injected fault"),
        "{v}"
    );
    // Everything ran on the CPU from path 0: the same figures as a CPU run, file for file.
    for f in ["summary.csv", "pairs.csv", "per_path.csv"] {
        assert_eq!(
            std::fs::read(auto_out.join(f)).unwrap(),
            std::fs::read(cpu_out.join(f)).unwrap(),
            "{f}"
        );
    }

    let (o, gpu_out) = run("gpu", &["--backend", "gpu", "--adapter", &adapter], &fault);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("no results written"), "{}", text(&o));
    let left: Vec<_> = std::fs::read_dir(&gpu_out)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "a failed --backend gpu run left {left:?}");
}

/// per_path.csv of a CPU run and a GPU run of the same paths, row by row (path, option):
/// the tolerances and path allowances of tests/common/paired.rs. A path is flipped when any
/// option's failure counts, payback day or interruption count differ; the other paths must
/// agree within `TIGHT_TOL`, every path within `TOL`.
fn per_path_rows_agree(cpu: &Path, gpu: &Path) {
    use common::paired::{
        ALLOW_BEYOND_TIGHT, ALLOW_BEYOND_TOL, ALLOW_FLIPPED_PER_1000, TIGHT_TOL, TOL,
        interruptions_differ,
    };
    let read = |d: &Path| -> (Vec<String>, Vec<Vec<String>>) {
        let mut r = csv::Reader::from_path(d.join("per_path.csv")).unwrap();
        let h = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|x| x.unwrap().iter().map(String::from).collect())
            .collect();
        (h, rows)
    };
    let ((h, c), (hg, g)) = (read(cpu), read(gpu));
    assert_eq!(h, hg);
    assert_eq!(c.len(), g.len());
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (cp, co) = (col("path"), col("option"));
    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    let numeric: Vec<usize> = (0..h.len()).filter(|&k| k != cp && k != co).collect();
    // Mean |cpu| per (option, column): the scale for values crossing zero.
    let mut scale = std::collections::HashMap::<(String, usize), f64>::new();
    for r in &c {
        for &k in &numeric {
            let v = num(&r[k]);
            if v.is_finite() {
                *scale.entry((r[co].clone(), k)).or_default() += v.abs() / c.len() as f64;
            }
        }
    }
    // Revenue lost to failures is the small gap between what the delivered fleet could earn
    // and what it did: an ulp-level shift of one repair moves it by 1e-3 of itself but by
    // 1e-5 of the revenue. Its error is a revenue error, so it is scaled by the revenue's
    // (as in tests/gpu_equivalence.rs), and so is the outages' memo line.
    let rev = col("pv_revenue_usd");
    for memo in [
        "pv_lost_revenue_failures_usd",
        "pv_lost_revenue_outages_usd",
    ] {
        let k = col(memo);
        let options: Vec<String> = scale.keys().map(|(o, _)| o.clone()).collect();
        for o in options {
            let r = scale.get(&(o.clone(), rev)).copied().unwrap_or(0.0);
            let e = scale.entry((o, k)).or_default();
            *e = e.max(r);
        }
    }
    // Counts are discrete: a path whose counts differ has flipped. The per-class failure
    // counts are among them: a failure whose class pick lands within an f32 rounding of a
    // boundary between two classes changes class on one engine.
    let discrete: Vec<usize> = ["hard_failures", "soft_failures", "payback_days"]
        .map(col)
        .into_iter()
        .chain((0..h.len()).filter(|&k| h[k].starts_with("failures_")))
        .collect();
    // A class's lost node-hours come from repair times drawn with the position of the class
    // pick inside the class's interval, `(pick - (cum - w)) / w`: its f32 rounding error is
    // that of `pick` (~ulp of the total weight) amplified by total / w, up to ~100x for the
    // rarest classes (measured on llvmpipe: up to 5e-3 on the default scenario). These columns
    // are held to TOL only; every other column to TIGHT_TOL.
    let loose: Vec<usize> = (0..h.len())
        .filter(|&k| h[k].starts_with("lost_node_hours_"))
        .collect();
    let interruptions = col("interruptions_per_job_day");
    let mut paths = std::collections::BTreeMap::<String, (bool, bool, bool)>::new();
    for (rc, rg) in c.iter().zip(&g) {
        assert_eq!(
            (&rc[cp], &rc[co]),
            (&rg[cp], &rg[co]),
            "rows in the same order"
        );
        let e = paths.entry(rc[cp].clone()).or_insert((false, true, true));
        e.0 |= discrete.iter().any(|&k| rc[k] != rg[k])
            || interruptions_differ(num(&rg[interruptions]), num(&rc[interruptions]));
        for &k in &numeric {
            let (a, b) = (num(&rg[k]), num(&rc[k]));
            if a.is_nan() || b.is_nan() {
                e.1 &= a.is_nan() && b.is_nan();
                continue;
            }
            let s = scale[&(rc[co].clone(), k)];
            let err = (a - b).abs() / b.abs().max(s).max(1e-30);
            e.1 &= err <= TOL;
            e.2 &= err <= TIGHT_TOL || loose.contains(&k);
        }
    }
    let n = paths.len();
    let flipped = paths.values().filter(|p| p.0).count();
    let beyond_tol = paths.values().filter(|p| !p.1).count();
    let beyond_tight = paths.values().filter(|p| !p.0 && !p.2).count();
    eprintln!(
        "per_path.csv: of {n} paths {flipped} flipped, {beyond_tol} beyond {TOL:e}, \
         {beyond_tight} unflipped beyond {TIGHT_TOL:e}"
    );
    assert!(
        flipped <= ALLOW_FLIPPED_PER_1000 * n / 1000,
        "{flipped} of {n} flipped"
    );
    assert!(
        beyond_tol <= ALLOW_BEYOND_TOL,
        "{beyond_tol} of {n} beyond {TOL:e}"
    );
    assert!(
        beyond_tight <= ALLOW_BEYOND_TIGHT,
        "{beyond_tight} unflipped paths beyond {TIGHT_TOL:e}"
    );
}

pub fn a_gpu_run_matches_the_cpu_run_and_a_mid_run_fallback_completes_it() {
    let Some(adapter) = some_adapter() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str], env: &[(&str, &str)]| {
        let out = dir.path().join(name);
        let out_s = out.display().to_string();
        let base = [
            "run",
            "--paths",
            "120",
            "--chunk",
            "40",
            "--seed",
            "5",
            "--out",
            &out_s,
            "--per-path",
            "--quiet",
        ];
        let o = fleetsim_env(&[&base[..], extra].concat(), env);
        assert!(o.status.success(), "{name}: {}", text(&o));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        (v, out)
    };
    let (_, cpu) = run("cpu", &["--backend", "cpu"], &[]);
    // The real kernel on the adapter: per_path.csv paired row by row with the CPU run's.
    let (v, gpu) = run("gpu", &["--backend", "gpu", "--adapter", &adapter], &[]);
    assert_eq!(v["backend"], "gpu", "{v}");
    assert!(v["fallback"].is_null(), "{v}");
    per_path_rows_agree(&cpu, &gpu);
    // A GPU failure at the second chunk: paths 0-39 from the GPU, 40-119 from the CPU engine,
    // whose per-path rows are then exactly the CPU run's.
    let (v, mixed) = run(
        "mixed",
        &["--adapter", &adapter],
        &[("FLEETSIM_FAULT_GPU_CHUNK", "1")],
    );
    assert_eq!(v["fallback"]["at_path"], 40, "{v}");
    assert_eq!(v["fallback"]["paths_on_fallback"], 80, "{v}");
    let rows = |d: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(d.join("per_path.csv"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let (rc, rg, rm) = (rows(&cpu), rows(&gpu), rows(&mixed));
    assert_eq!(rm.len(), rc.len());
    let first_cpu_row = rm
        .iter()
        .position(|r| r.starts_with("40,"))
        .expect("row of path 40");
    assert_eq!(
        rm[first_cpu_row..],
        rc[first_cpu_row..],
        "paths 40.. come from the CPU engine"
    );
    assert_eq!(
        rm[1..first_cpu_row],
        rg[1..first_cpu_row],
        "paths 0..40 come from the GPU"
    );
}

/// `fleetsim check` on the test adapter: the same paths on the GPU and the CPU engines (f32
/// twin and f64 reference), a PASS with exit 0, its JSON naming the adapter, the fraction of
/// paths within tolerance and every mean with its difference in standard errors.
pub fn check_passes_on_the_adapter_and_its_json_says_why() {
    let Some(adapter) = some_adapter() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("check.json");
    let json_s = json.display().to_string();
    let o = fleetsim_env(
        &[
            "check",
            "-n",
            "200",
            "--seed",
            "9",
            "--adapter",
            &adapter,
            "--json",
            &json_s,
        ],
        &[],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("PASS: "), "{t}");
    assert!(t.contains(&format!("on {adapter}")), "{t}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["verdict"], "PASS", "{v}");
    assert!(
        adapter.starts_with(v["adapter"]["name"].as_str().unwrap()),
        "{v}"
    );
    assert_eq!(v["subject"]["paths"], 200);
    assert!(
        matches!(v["philox"].as_str(), Some("native64" | "limbs16")),
        "{}",
        v["philox"]
    );
    assert_eq!(v["subject"]["seed"], 9);
    assert!(
        v["paths"]["fraction_within_tol"].as_f64().unwrap() >= 0.99,
        "{v}"
    );
    assert_eq!(v["failures"].as_array().unwrap().len(), 0, "{v}");
    let metrics = v["metrics"].as_array().unwrap();
    let npv: Vec<&serde_json::Value> = metrics
        .iter()
        .filter(|m| m["metric"] == "npv_usd")
        .collect();
    assert_eq!(npv.len(), 2, "one NPV row per option");
    for m in npv {
        let z = m["z"].as_f64().unwrap();
        assert!(z.abs() <= 1.0 && m["pass"] == true, "{m}");
        assert!(m["cpu_f64"].is_number() && m["z_f64"].is_number(), "{m}");
        // The GPU and CPU means differ (f32 on two devices) but by far less than a SE.
        assert!(m["se"].as_f64().unwrap() > 0.0, "{m}");
    }
    assert!(
        v["reference_f64"]["npv_relative_error_median"]
            .as_f64()
            .unwrap()
            < 1e-5,
        "{v}"
    );
    assert!(!v["pairs"].as_array().unwrap().is_empty(), "{v}");
}

/// `fleetsim check` when the GPU fails (the hidden fault hook fails its first chunk like a lost
/// device): exit 3, no verdict and no JSON file.
pub fn check_exits_3_when_the_gpu_fails() {
    let Some(adapter) = some_adapter() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("check.json");
    let json_s = json.display().to_string();
    let o = fleetsim_env(
        &[
            "check",
            "-n",
            "50",
            "--adapter",
            &adapter,
            "--json",
            &json_s,
            "--no-f64",
        ],
        &[("FLEETSIM_FAULT_GPU_CHUNK", "0")],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(3), "{t}");
    assert!(t.contains("injected fault"), "{t}");
    assert!(!t.contains("PASS") && !t.contains("FAIL:"), "{t}");
    assert!(!json.exists(), "a failed check wrote {json_s}");
}
