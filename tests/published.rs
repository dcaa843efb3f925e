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
