//! The simulation against published figures: The Next Platform's return on AI capex, and the
//! Llama 3 paper's interruption counts (Table 5) reproduced from the built-in H100 catalog.

use fleetsim::config::{flatten, load_scenario, load_scenario_str};
use fleetsim::engine::{Engine, Precision, cpu::CpuEngine};
use fleetsim::model::outputs::idx;

fn repo(p: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

#[test]
fn next_platform_return_and_payback_within_3_percent() {
    // "At USD 9.40 per GPU-hour with the whole cluster rented, each dollar of AI cluster and
    // data-centre spend earns about 87.8 cents a year and pays back in about 410 days."
    let s = load_scenario(&repo("configs/scenarios/next_platform.toml")).unwrap();
    let m = flatten(&s, 1);
    for precision in [Precision::F32, Precision::F64] {
        let b = CpuEngine::new(precision).simulate(&m, 0, 4).unwrap();
        let r = b.record(0, 0);
        let years = s.horizon_years as f64;
        let yearly_return = r[idx::REVENUE_USD] / years / r[idx::CAPEX_USD];
        let payback = r[idx::PAYBACK_DAYS];
        assert!(
            (yearly_return / 0.878 - 1.0).abs() < 0.03,
            "{precision:?}: {yearly_return} per dollar-year vs 0.878"
        );
        assert!(
            (payback / 410.0 - 1.0).abs() < 0.03,
            "{precision:?}: payback {payback} d vs ~410 d"
        );
        // Deterministic: every path is the same.
        assert_eq!(b.record(3, 0)[idx::NPV_USD], r[idx::NPV_USD]);
    }
}

#[test]
fn h100_catalog_reproduces_llama3_interruptions() {
    // Llama 3 (Table 5): 419 unexpected interruptions on 16,384 H100 over 54 days, i.e. 7.76 a
    // day for one 16,384-GPU job. The catalog's H100 classes are built so that their mean
    // rates sum to that; simulate a year of such a cluster (no infant period, no outages,
    // whole cluster in service from day 0) and check the failure count per GPU-day and the job's interruptions per day.
    let toml = r#"
        [scenario]
        name = "Llama 3 cluster"
        horizon_years = 1
        [environment]
        outage_rate_per_year = 0
        [options.h100]
        hardware = "h100"
        accelerators = 16384
        spare_nodes = 200
        delivery_delay_days = 0
        ramp_days = 0
        burn_in_yield = 1
        [options.h100.job]
        fraction = 1.0
        job_chips = 16384
        checkpoint_interval_minutes = 30
    "#;
    let mut s = load_scenario_str(toml, "llama3.toml").unwrap();
    for o in &mut s.options {
        for c in &mut o.classes {
            c.inputs.set(
                "infant_multiplier",
                fleetsim::distributions::Dist::Fixed { value: 1.0 },
            );
        }
    }
    let m = flatten(&s, 3);
    let n = 300;
    let b = CpuEngine::new(Precision::F32).simulate(&m, 0, n).unwrap();
    let per_day: Vec<f64> = (0..n as usize)
        .map(|i| {
            let r = b.record(i, 0);
            (r[idx::HARD_FAILURES] + r[idx::SOFT_FAILURES]) / 365.0
        })
        .collect();
    let mean = per_day.iter().sum::<f64>() / n as f64;
    let sd = (per_day.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    let se = sd / (n as f64).sqrt();
    let published = 419.0 / 54.0;
    // 5 standard errors, plus 2% because failed nodes (about 1% of the fleet) cannot fail again.
    assert!(
        (mean - published).abs() < 5.0 * se + 0.02 * published,
        "failures per day {mean} (se {se}) vs Llama 3 {published}"
    );
    let ipd: f64 = (0..n as usize)
        .map(|i| b.record(i, 0)[idx::INTERRUPTIONS_PER_JOB_DAY])
        .sum::<f64>()
        / n as f64;
    assert!(
        (ipd - published).abs() < 5.0 * se + 0.02 * published,
        "interruptions per job-day {ipd} vs {published}"
    );
}

/// Runs a validation scenario (`configs/validation/NAME.toml`) on `n` paths of the CPU engine
/// and returns the scenario and the block.
fn validation(name: &str, n: u32) -> (fleetsim::config::Scenario, fleetsim::engine::PathBlock) {
    let s = load_scenario(&repo(&format!("configs/validation/{name}.toml")))
        .unwrap_or_else(|e| panic!("{e}"));
    let m = flatten(&s, s.seed.unwrap_or(1));
    let b = CpuEngine::new(Precision::F32).simulate(&m, 0, n).unwrap();
    (s, b)
}

/// Mean and standard error of record value `k` of option 0 over a block's paths.
fn mean_se(b: &fleetsim::engine::PathBlock, n: u32, k: usize) -> (f64, f64) {
    let v: Vec<f64> = (0..n as usize).map(|i| b.record(i, 0)[k]).collect();
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0);
    (m, (var / v.len() as f64).sqrt())
}

#[test]
fn llama3_54_days_reproduce_table_5_by_component() {
    // configs/validation/llama3_54d.toml: the H100 catalog entry as shipped, 16,384 GPUs in
    // service for 54 days. Table 5's counts by component (grouped into the catalog's classes)
    // against the simulated mean count per class: within 5 standard errors plus 2 % (a node
    // down for repair cannot fail again: ~0.06 % of the fleet here, and the class rates are
    // the counts rounded to 3 significant figures).
    let n = 1500;
    let (s, b) = validation("llama3_54d", n);
    let published = [
        ("gpu_hard", 148.0),
        ("hbm", 72.0),
        ("gpu_other", 42.0),
        ("sdc", 6.0),
        ("network", 42.0),
        ("host", 46.0),
        ("software", 56.0),
        ("nccl_unknown", 7.0),
    ];
    for (name, count) in published {
        let c = s.options[0]
            .classes
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_else(|| panic!("class {name}"));
        let (m, se) = mean_se(&b, n, idx::CLASS_FAILURES + c);
        assert!(
            (m - count).abs() < 5.0 * se + 0.02 * count,
            "{name}: {m} (se {se}) vs Llama 3's {count}"
        );
    }
    let (ipd, se) = mean_se(&b, n, idx::INTERRUPTIONS_PER_JOB_DAY);
    let per_day = 419.0 / 54.0;
    assert!(
        (ipd - per_day).abs() < 5.0 * se + 0.02 * per_day,
        "interruptions per job-day {ipd} (se {se}) vs {per_day}"
    );
}

#[test]
fn llama3_54_days_effective_training_time_is_above_90_percent() {
    // Llama 3: "higher than 90 % effective training time" with 419 unexpected and 47 planned
    // interruptions in 54 days. The paper gives a lower bound; the upper bound 95 % keeps the
    // model from claiming far better (Google reports 97 % goodput for Gemini at its best, the
    // highest published figure in docs/reference-data.md 3c). Mean over paths, its standard
    // error is ~3e-4.
    let n = 1500;
    let (_, b) = validation("llama3_54d", n);
    let (g, se) = mean_se(&b, n, idx::GOODPUT);
    assert!(g > 0.90 + 5.0 * se && g < 0.95, "goodput {g} (se {se})");
    // Uptime (no restart) is above goodput (which also loses recomputed work and checkpoint
    // stalls) on every path.
    for i in 0..n as usize {
        let r = b.record(i, 0);
        assert!(r[idx::JOB_UPTIME] >= r[idx::GOODPUT], "path {i}");
    }
}

#[test]
fn hlat_uptime_with_automated_and_manual_recovery() {
    // HLAT on 4,096 Trainium1: 98.81 % job uptime with automated fault recovery, 77.83 % with
    // manual restarts. The catalog's trn1 restart time and the manual override in
    // hlat_manual.toml were fitted to these figures (Trainium1 failure rates are not public:
    // the catalog's are the H100 per-chip rates), so the test guards that calibration: within
    // 0.5 and 2 percentage points, a tenth of each figure's spread over the paths (P5-P95
    // about 96-99 % and 50-95 %), and 5 standard errors.
    let n = 2000;
    for (name, published, tol) in [
        ("hlat_automated", 0.9881, 0.005),
        ("hlat_manual", 0.7783, 0.02),
    ] {
        let (_, b) = validation(name, n);
        let (u, se) = mean_se(&b, n, idx::JOB_UPTIME);
        assert!(
            (u - published).abs() < tol + 5.0 * se,
            "{name}: uptime {u} (se {se}) vs HLAT {published}"
        );
    }
}

#[test]
fn dgx_cloud_hardware_downtime_is_below_1_percent() {
    // NVIDIA DGX Cloud: "less than 1 % hardware downtime for training runs from 2K to 10K GPU
    // scale". 8,192 H100 with the catalog's repair logistics (parts from auto-sized on-site
    // stock): hardware downtime 1 - availability, no regional outages. Below 1 % on 99 % of
    // paths (the published figure is a bound over runs, not a mean).
    let n = 1000;
    let (_, b) = validation("dgx_cloud_downtime", n);
    let mut down: Vec<f64> = (0..n as usize)
        .map(|i| 1.0 - b.record(i, 0)[idx::AVAILABILITY])
        .collect();
    down.sort_by(f64::total_cmp);
    let p99 = down[(0.99 * f64::from(n)) as usize];
    assert!(p99 < 0.01, "P99 hardware downtime {p99}");
}
