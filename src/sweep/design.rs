//! Sweep designs: the values of a grid axis, the points of a full factorial grid, and Latin
//! hypercube samples (one point per stratum on every axis, strata permuted independently per
//! axis with the sweep's seed).

use super::spec::{Axis, AxisValues};
use crate::model::philox::{DayStream, seed_key};

/// The Philox "day" word of the design's draws (outside any simulated day).
const DESIGN_DAY: u32 = 0xFFFF_FFFE;
/// The Philox stream word of the design's draws (outside any option's stream).
const DESIGN_STREAM: u32 = 0xFFFF_FFFF;

/// The values of a grid axis with the byte offset each is written at: explicit values as
/// written; a range's `steps` values from lo to hi (evenly, or geometrically for `log`). On an
/// integer field range values are rounded to the nearest integer and repeats dropped (so an
/// axis may have fewer values than steps); explicit values are left to validation.
pub fn grid_values(axis: &Axis) -> Vec<(f64, usize)> {
    match &axis.values {
        AxisValues::Values(v) => v.clone(),
        AxisValues::Range { lo, hi, steps, log } => {
            let n = steps.unwrap_or(1).max(1);
            let mut out: Vec<(f64, usize)> = Vec::new();
            for i in 0..n {
                let t = if n == 1 {
                    0.0
                } else {
                    i as f64 / (n - 1) as f64
                };
                let mut x = if i == n - 1 {
                    *hi
                } else if *log {
                    (lo.ln() + t * (hi.ln() - lo.ln())).exp()
                } else {
                    lo + t * (hi - lo)
                };
                if i == 0 {
                    x = *lo;
                }
                // 0.1 + 8 * 0.1 is 0.8999999999999999: keep 12 significant digits.
                x = tidy(x);
                if axis.integer {
                    x = x.round();
                }
                if !out.iter().any(|(y, _)| *y == x) {
                    out.push((x, axis.offset));
                }
            }
            out
        }
        AxisValues::Dist(_) => Vec::new(),
    }
}

/// `x` rounded to 12 significant digits, so evenly spaced steps print as written.
fn tidy(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// Number of points of a grid with `counts` values per axis (saturating).
pub fn grid_size(counts: &[usize]) -> u64 {
    counts
        .iter()
        .fold(1u64, |acc, &c| acc.saturating_mul(c as u64))
}

/// Every combination of value indices, first axis slowest (row-major).
pub fn grid_indices(counts: &[usize]) -> Vec<Vec<usize>> {
    let total = grid_size(counts) as usize;
    let mut out = Vec::with_capacity(total);
    for mut k in 0..total {
        let mut idx = vec![0; counts.len()];
        for a in (0..counts.len()).rev() {
            idx[a] = k % counts[a];
            k /= counts[a];
        }
        out.push(idx);
    }
    out
}

/// Latin hypercube uniforms: `u[point][axis] = (stratum + jitter) / n` where, on every axis,
/// the strata of the `n` points are a random permutation of `0..n` and the jitter is uniform in
/// (0, 1). Axis `a` draws from its own Philox stream of `seed`, so adding an axis leaves the
/// others' samples unchanged.
pub fn lhs_uniforms(n: usize, n_axes: usize, seed: u64) -> Vec<Vec<f64>> {
    let key = seed_key(seed);
    let mut u = vec![vec![0.0; n_axes]; n];
    for a in 0..n_axes {
        let mut s = DayStream::new(key, a as u32, DESIGN_DAY, DESIGN_STREAM);
        let mut perm: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            // Unbiased enough for any design size: a 64-bit draw scaled to 0..=i.
            let r = (u64::from(s.next_u32()) << 32) | u64::from(s.next_u32());
            let j = ((r as u128 * (i as u128 + 1)) >> 64) as usize;
            perm.swap(i, j);
        }
        for (p, row) in u.iter_mut().enumerate() {
            let jitter: f64 = s.next_u01();
            row[a] = (perm[p] as f64 + jitter) / n as f64;
        }
    }
    u
}

/// The value of an LHS axis at uniform `u`: the distribution's inverse CDF, or uniform /
/// log-uniform on a range; rounded on integer fields.
pub fn lhs_value(axis: &Axis, u: f64) -> f64 {
    let x = match &axis.values {
        AxisValues::Dist(d) => d.quantile(u),
        AxisValues::Range { lo, hi, log, .. } => {
            if *log {
                (lo.ln() + u * (hi.ln() - lo.ln())).exp()
            } else {
                lo + u * (hi - lo)
            }
        }
        AxisValues::Values(v) => v[((u * v.len() as f64) as usize).min(v.len() - 1)].0,
    };
    if axis.integer { x.round() } else { x }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::overrides::synthetic_source;
    use crate::distributions::Dist;

    fn axis(values: AxisValues, integer: bool) -> Axis {
        Axis {
            key: "environment.usd_per_kwh".into(),
            unit: None,
            integer,
            values,
            src: synthetic_source("t"),
            offset: 0,
            line: 1,
        }
    }

    #[test]
    fn lhs_puts_one_point_in_every_stratum_of_every_axis() {
        for (n, axes, seed) in [(1, 1, 1), (7, 3, 2), (100, 4, 42), (1000, 2, 9)] {
            let u = lhs_uniforms(n, axes, seed);
            assert_eq!(u.len(), n);
            for a in 0..axes {
                let mut seen = vec![false; n];
                for row in &u {
                    assert!(row[a] > 0.0 && row[a] < 1.0, "u = {}", row[a]);
                    let s = (row[a] * n as f64).floor() as usize;
                    assert!(!seen[s], "axis {a}: stratum {s} twice (n = {n})");
                    seen[s] = true;
                }
                assert!(seen.iter().all(|x| *x));
            }
            // A different seed permutes differently (n > 2).
            if n > 2 {
                assert_ne!(lhs_uniforms(n, axes, seed + 1), u);
            }
        }
    }

    #[test]
    fn lhs_axes_are_not_aligned() {
        // Independent permutations: the two axes' values are uncorrelated.
        let n = 200;
        let u = lhs_uniforms(n, 2, 5);
        let cov: f64 = u.iter().map(|r| (r[0] - 0.5) * (r[1] - 0.5)).sum::<f64>() / n as f64;
        let corr = cov / (1.0 / 12.0);
        // Under independence corr has sd 1/sqrt(n) ~ 0.071: 5 sd.
        assert!(corr.abs() < 0.35, "corr {corr}");
    }

    #[test]
    fn distribution_axes_map_strata_through_the_inverse_cdf() {
        let d = Dist::Lognormal {
            median: 0.08,
            p90: 0.12,
        };
        let a = axis(AxisValues::Dist(d.clone()), false);
        let n = 50;
        let u = lhs_uniforms(n, 1, 3);
        let mut seen = vec![false; n];
        for row in &u {
            let x = lhs_value(&a, row[0]);
            // Back through the CDF: the stratum of the value is the stratum of u.
            let s = (d.cdf(x) * n as f64).floor() as usize;
            assert_eq!(s, (row[0] * n as f64).floor() as usize);
            seen[s] = true;
        }
        assert!(seen.iter().all(|x| *x));
    }

    #[test]
    fn ranges_space_values_and_round_integer_fields() {
        let lin = axis(
            AxisValues::Range {
                lo: 0.1,
                hi: 0.3,
                steps: Some(5),
                log: false,
            },
            false,
        );
        let v: Vec<f64> = grid_values(&lin).iter().map(|x| x.0).collect();
        assert_eq!(v.len(), 5);
        assert_eq!((v[0], v[4]), (0.1, 0.3));
        for w in v.windows(2) {
            assert!((w[1] - w[0] - 0.05).abs() < 1e-12);
        }
        let log = axis(
            AxisValues::Range {
                lo: 1e-5,
                hi: 1e-3,
                steps: Some(3),
                log: true,
            },
            false,
        );
        let v: Vec<f64> = grid_values(&log).iter().map(|x| x.0).collect();
        assert_eq!(v[0], 1e-5);
        assert!((v[1] - 1e-4).abs() < 1e-15);
        assert_eq!(v[2], 1e-3);
        let ints = axis(
            AxisValues::Range {
                lo: 0.0,
                hi: 3.0,
                steps: Some(7),
                log: false,
            },
            true,
        );
        let v: Vec<f64> = grid_values(&ints).iter().map(|x| x.0).collect();
        assert_eq!(v, [0.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn grid_indices_enumerate_every_combination_first_axis_slowest() {
        let g = grid_indices(&[2, 3]);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], [0, 0]);
        assert_eq!(g[1], [0, 1]);
        assert_eq!(g[3], [1, 0]);
        assert_eq!(g[5], [1, 2]);
        assert_eq!(grid_size(&[usize::MAX, 3]), u64::MAX);
    }
}
