//! A sweep gives the same results on the GPU engine as on the CPU engine, within the
//! tolerances of tests/gpu_equivalence.rs: per point and option, every metric's mean, sd, CVaR5
//! and quantiles within one standard error of the mean (counts of defined values equal), and
//! the same break-even within the axis spacing. Runs the real binary on whatever adapter the
//! harness finds (llvmpipe in CI); skipped, saying why, where there is none. Kept tiny: 3
//! points of 200 paths over one year.

mod common;

use std::fs::File;
use std::path::Path;
use std::process::Command;

fn run(sweep: &Path, out: &Path, backend: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .env_remove("FLEETSIM_FAULT_GPU_CHUNK")
        .args([
            "sweep",
            sweep.to_str().unwrap(),
            "--backend",
            backend,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .expect("run fleetsim");
    assert!(
        o.status.success(),
        "{backend}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn table(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(p).unwrap();
    let h = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (h, rows)
}

#[test]
fn sweep_on_gpu_matches_cpu_within_monte_carlo_error() {
    if common::gpu::context().is_none() {
        eprintln!("sweep_on_gpu_matches_cpu_within_monte_carlo_error: skipped (no GPU adapter)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let base = fleetsim::config::DEFAULT_SCENARIO.replace("horizon_years = 5", "horizon_years = 1");
    std::fs::write(dir.path().join("base.toml"), base).unwrap();
    let sweep = dir.path().join("s.toml");
    std::fs::write(
        &sweep,
        "[sweep]\nscenario = \"base.toml\"\npaths = 200\nseed = 9\n\n[[axis]]\nkey = \"options.trn2.utilization_mean\"\nvalues = [0.4, 0.65, 0.9]\n",
    )
    .unwrap();
    let (cpu_out, gpu_out) = (dir.path().join("cpu"), dir.path().join("gpu"));
    run(&sweep, &cpu_out, "cpu");
    run(&sweep, &gpu_out, "gpu");
    let (h, c) = table(&cpu_out.join("sweep.csv"));
    let (hg, g) = table(&gpu_out.join("sweep.csv"));
    assert_eq!(h, hg);
    assert_eq!(c.len(), g.len());
    let metrics: Vec<String> = h
        .iter()
        .filter_map(|x| x.strip_suffix("_se"))
        .filter(|m| !m.starts_with("first_minus_this_") && !m.starts_with("p_first_better_"))
        .map(String::from)
        .collect();
    assert!(metrics.iter().any(|m| m == "npv_usd"));
    let idx = |name: &str| h.iter().position(|x| x == name).unwrap();
    let mut compared = 0;
    for (rc, rg) in c.iter().zip(&g) {
        for k in ["point", "option"] {
            assert_eq!(rc[idx(k)], rg[idx(k)]);
        }
        for m in &metrics {
            assert_eq!(
                rc[idx(&format!("{m}_count"))],
                rg[idx(&format!("{m}_count"))],
                "{m}"
            );
            let se_cell = &rc[idx(&format!("{m}_se"))];
            if se_cell.is_empty() {
                continue;
            }
            let se: f64 = se_cell.parse().unwrap();
            for s in [
                "mean", "sd", "cvar5", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99",
            ] {
                let k = idx(&format!("{m}_{s}"));
                let (a, b) = (&rg[k], &rc[k]);
                assert_eq!(a.is_empty(), b.is_empty(), "{m}_{s}");
                if b.is_empty() {
                    continue;
                }
                let (a, b): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
                assert!(
                    (a - b).abs() <= se.max(1e-9 * b.abs()),
                    "point {} {} {m}_{s}: gpu {a} cpu {b}, SE {se}",
                    rc[idx("point")],
                    rc[idx("option")]
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 100);
    // The break-even (if any) agrees within one grid step.
    let be = |p: &Path| -> Vec<f64> {
        let m: serde_json::Value =
            serde_json::from_reader(File::open(p.join("sweep.json")).unwrap()).unwrap();
        m["break_even"]["slices"][0]["break_evens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let (bc, bg) = (be(&cpu_out), be(&gpu_out));
    assert_eq!(bc.len(), bg.len(), "cpu {bc:?} gpu {bg:?}");
    for (x, y) in bc.iter().zip(&bg) {
        assert!((x - y).abs() < 0.25, "cpu {bc:?} gpu {bg:?}");
    }
}
