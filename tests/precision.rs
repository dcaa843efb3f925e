//! f32 (the GPU's precision) against the f64 reference on the default scenario's 5-year
//! horizon: the error that f32 arithmetic leaves after compensated summation, per path; the
//! compensated sum itself; a 20-year reserved-only run whose exact revenue is known.

use crate::common;

use fleetsim::config::{default_scenario, flatten};
use fleetsim::engine::{Engine, Precision, cpu::CpuEngine};
use fleetsim::model::outputs::idx;

/// Sorted relative errors of metric `m` over paths and options, skipping values smaller than
/// `floor` in magnitude (relative error is meaningless near zero).
fn rel_errors(
    a: &fleetsim::engine::PathBlock,
    b: &fleetsim::engine::PathBlock,
    m: usize,
    floor: f64,
) -> Vec<f64> {
    let mut v = vec![];
    for i in 0..a.n_paths as usize {
        for o in 0..a.n_options as usize {
            let (x, y) = (a.record(i, o)[m], b.record(i, o)[m]);
            if y.abs() > floor {
                v.push(((x - y) / y).abs());
            }
        }
    }
    v.sort_by(f64::total_cmp);
    v
}

fn q(v: &[f64], p: f64) -> f64 {
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn f32_error_against_f64_reference_on_a_5_year_horizon() {
    let m = flatten(&default_scenario(), 42);
    let n = 400;
    let a = CpuEngine::new(Precision::F32).simulate(&m, 0, n).unwrap();
    let b = CpuEngine::new(Precision::F64).simulate(&m, 0, n).unwrap();
    // Same random numbers, so the discrete events (failure counts) agree on almost every path.
    let same_failures = (0..n as usize)
        .flat_map(|i| (0..2).map(move |o| (i, o)))
        .filter(|&(i, o)| a.record(i, o)[idx::HARD_FAILURES] == b.record(i, o)[idx::HARD_FAILURES])
        .count() as f64
        / (2 * n) as f64;
    let npv = rel_errors(&a, &b, idx::NPV_USD, 1e6);
    let rev = rel_errors(&a, &b, idx::REVENUE_USD, 1e6);
    let cost = rel_errors(&a, &b, idx::USD_PER_EFFECTIVE_PFLOP_HOUR, 0.0);
    println!(
        "same failure counts {:.4}; NPV rel err median {:.2e} p99 {:.2e}; revenue median {:.2e} p99 {:.2e}; USD/PFLOP-h median {:.2e} p99 {:.2e}",
        same_failures,
        q(&npv, 0.5),
        q(&npv, 0.99),
        q(&rev, 0.5),
        q(&rev, 0.99),
        q(&cost, 0.5),
        q(&cost, 0.99)
    );
    assert!(same_failures > 0.99, "{same_failures}");
    // Bounds about 3x the measured figures (measured on this scenario and seed: NPV median
    // 3.0e-7, p99 2.8e-5; revenue median 3.1e-8, p99 7.5e-7; USD/PFLOP-h median 2.3e-7), so
    // that losing the compensated summation (M23: NPV median 1.1e-6, revenue median 4.2e-7)
    // fails. NPV is a difference of large sums, so paths with NPV near zero have the largest
    // relative error; the p99 bound is looser for that reason.
    assert!(q(&npv, 0.5) < 1e-6, "median NPV error {}", q(&npv, 0.5));
    assert!(q(&npv, 0.99) < 8e-5, "p99 NPV error {}", q(&npv, 0.99));
    assert!(q(&rev, 0.5) < 1e-7, "median revenue error {}", q(&rev, 0.5));
    assert!(
        q(&rev, 0.99) < 2.5e-6,
        "p99 revenue error {}",
        q(&rev, 0.99)
    );
    assert!(
        q(&cost, 0.5) < 7e-7,
        "median USD/PFLOP-h error {}",
        q(&cost, 0.5)
    );
}

#[test]
fn compensated_sum_of_a_million_tenths_is_correctly_rounded() {
    use fleetsim::model::fleet_step::KSum;
    // 1e6 additions of f32(0.1): the exact sum (in f64, exact here: 1e6 x a 24-bit mantissa
    // fits in 53 bits) is 100000.00149..., whose nearest f32 is 100000.0. The Kahan sum must
    // land within one f32 spacing there (2^-7 = 0.0078); the plain f32 sum is off by about
    // 1,000 (1%), so removing the compensation (M23) fails.
    let x = 0.1f32;
    let mut k = KSum::<f32>::zero();
    let mut plain = 0.0f32;
    for _ in 0..1_000_000 {
        k.add(x);
        plain += x;
    }
    let exact = 1e6 * x as f64;
    let ulp = 2f64.powi(-7);
    let err = (k.get() as f64 - exact).abs();
    assert!(err <= ulp, "Kahan {} vs {exact}: error {err}", k.get());
    assert!(
        (plain as f64 - exact).abs() > 100.0 * ulp,
        "the plain sum {plain} should be visibly off (the test would be vacuous)"
    );
    // The f64 instance is exact to f64 rounding.
    let mut k = KSum::<f64>::zero();
    for _ in 0..1_000_000 {
        k.add(x as f64);
    }
    assert!((k.get() - exact).abs() <= 1e-9, "{}", k.get());
}

#[test]
fn a_20_year_reserved_only_revenue_is_summed_to_f32_rounding() {
    // The compensated f32 sum of 7,300 equal terms ends within a few f32 spacings of the
    // exact 1.73e8 (spacing 16, 9e-8 relative). A plain f32 running sum drifts by 6.4e-5
    // relative over 20 years (M23). Bound: 2e-7, about 2 spacings.
    let (m, exact) = common::reserved_only_20_years();
    let r = common::run(&m, 2, Precision::F32);
    let got = r.record(0, 0)[idx::REVENUE_USD];
    let err = ((got - exact) / exact).abs();
    println!("20-year reserved revenue, f32 CPU: {got} vs {exact}, relative error {err:.2e}");
    assert!(err < 2e-7, "f32 revenue {got} vs exact {exact}: {err:.2e}");
    // The plain running sum of the same terms, to show the bound can fail.
    let plain = (0..7300).fold(0.0f32, |s, _| s + 24000.0f32 * 0.987_654_3f32);
    let plain_err = ((plain as f64 - exact) / exact).abs();
    assert!(
        plain_err > 5.0 * 2e-7,
        "plain f32 sum error {plain_err:.2e}: the test would be vacuous"
    );
    // In f64 the day's revenue is 24000 x f32(1.3) unrounded and the sum is exact to 1e-12.
    let r64 = common::run(&m, 2, Precision::F64);
    let exact64 = 7300.0 * 24000.0 * (0.987_654_3f32 as f64);
    assert!((r64.record(0, 0)[idx::REVENUE_USD] - exact64).abs() <= 1e-12 * exact64);
}
