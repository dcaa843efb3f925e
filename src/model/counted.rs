//! Host side of the counted failure process (MODEL.md section 6.4c): the day tables of the
//! per-event distributions (what a day's failures need to be drawn as counts instead of one by
//! one), computed once per model from the flattened `DistSpec`s exactly as the engines sample
//! them, and appended to the model's table; and the switching rule's constants.
//!
//! A repair-time table is `[F(24), 1 - F(24), E[X | X < 24], sd(X | X < 24)]` (hours): the
//! chance a repair ends within the day, the chance it takes a day or more, and the mean and
//! standard deviation of the short ones.
//! A way-back table is `[d0, d1, h_d0, ..., h_d1, p_d0, ..., p_d1]` (days): the first and
//! last whole-day way back (`max(round(X), 1)`, at most 127) with positive probability, the
//! hazard of each day, `h_d = P(D = d | D >= d)` (`h_d1 = 1`): the conditional binomials of a
//! multinomial split of a day's failures over their return days; and the probability of each
//! day, `p_d = P(D = d)`: the means of the independent Poisson counts of a day's failures by
//! return day (a Poisson count split over its return days is such counts).

use super::params::{DistSpec, FlatModel, MAX_CLASSES, RING_DAYS, kind, opt_ev};
use super::sample::sample_dist;

/// Days on which an option's expected failures reach this many are drawn as counts (per
/// class and unit type, MODEL.md 6.4c); below it failure by failure (6.4). Both are exact in
/// distribution; the counted day costs about the same whatever the count, the event day is
/// cheaper when the count is small.
pub const COUNTED_MIN_MEAN: f32 = 64.0;

/// A class group's way-back count is split over its return days by conditional binomials
/// when it is at least this many times the number of return days the distribution spans
/// (`d1 - d0 + 1`), else one failure at a time (one uniform each): a binomial costs about as
/// much as placing this many failures one by one.
pub const CHAIN_PER_DAY: u32 = 6;

/// A class's short repairs (under a day) of a counted day are charged as one normal draw of
/// their sum (its exact mean and variance) from this many on, below it one by one: at 32 the
/// normal falls below zero with probability under 1e-4 for the catalog's repair times
/// (coefficient of variation below 2 once cut at a day).
pub const SHORT_SUM_MIN: u32 = 32;

/// A unit type whose hard classes share one way-back distribution has its day's failures
/// drawn as one Poisson count per return day (the cells) when their expected number is at
/// least this many times the number of return days the distribution spans: a cell costs about
/// as much as placing this many failures one by one, and much less than a chain's binomial.
pub const CELLS_PER_DAY: u32 = 3;

/// Hours in a day: a repair of at least this long takes the node down for whole days.
const DAY_HOURS: f64 = 24.0;

/// `P(X < x)` for `X = sample_dist(spec, U)`, `U` uniform on (0, 1): the largest `u` with
/// `X(u) < x` (the quantile function is non-decreasing in `u`), by bisection in f64.
pub fn spec_cdf(spec: &DistSpec, table: &[f32], x: f64) -> f64 {
    let at = |u: f64| sample_dist::<f64>(spec, u, table);
    if at(0.0) >= x {
        return 0.0;
    }
    if at(1.0) < x {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        if at(mid) < x { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// `E[X^power; U < v]` (power 1 or 2) `= integral of X(u)^power over u in [0, v]`: exact for the piecewise-linear quantile
/// tables and for discrete distributions, composite Simpson (8,192 panels) otherwise (fixed,
/// uniform: exact; triangular: the square-root ends, relative error below 1e-6).
pub fn spec_partial_moment(spec: &DistSpec, table: &[f32], v: f64, power: i32) -> f64 {
    let v = v.clamp(0.0, 1.0);
    if v <= 0.0 {
        return 0.0;
    }
    let at = |u: f64| sample_dist::<f64>(spec, u, table);
    let pw = |x: f64| if power == 2 { x * x } else { x };
    match spec.kind {
        kind::TABLE => {
            let n = (spec.p[0] as u32).max(1);
            let nf = f64::from(n);
            let mut sum = 0.0;
            for i in 0..n {
                let a = f64::from(i) / nf;
                if a >= v {
                    break;
                }
                let b = (f64::from(i + 1) / nf).min(v);
                // Linear on [a, b] (inside one interval): exact for x and for x^2.
                let (xa, xb) = (at(a), at(b));
                sum += if power == 2 {
                    (xa * xa + xa * xb + xb * xb) / 3.0
                } else {
                    0.5 * (xa + xb)
                } * (b - a);
            }
            sum
        }
        kind::DISCRETE => {
            let n = (spec.p[0] as u32).clamp(1, super::sample::MAX_DISCRETE as u32);
            let mut sum = 0.0;
            let mut prev = 0.0;
            for j in 0..n {
                let cum = if j + 1 == n {
                    1.0
                } else {
                    f64::from(table[(spec.aux + j) as usize])
                };
                let hi = cum.min(v);
                if hi > prev {
                    let x = f64::from(table[(spec.aux + n + j) as usize]);
                    sum += pw(x.clamp(f64::from(spec.lo), f64::from(spec.hi))) * (hi - prev);
                }
                prev = prev.max(cum);
                if prev >= v {
                    break;
                }
            }
            sum
        }
        _ => {
            let panels = 8192;
            let h = v / f64::from(panels);
            let mut sum = pw(at(0.0)) + pw(at(v));
            for i in 1..panels {
                let w = if i % 2 == 1 { 4.0 } else { 2.0 };
                sum += w * pw(at(f64::from(i) * h));
            }
            sum * h / 3.0
        }
    }
}

/// The repair-time day table of `spec` (hours): `[F(24), 1 - F(24), E[X | X < 24],
/// sd(X | X < 24)]`.
pub fn repair_day_table(spec: &DistSpec, table: &[f32]) -> [f32; 4] {
    let f = spec_cdf(spec, table, DAY_HOURS);
    let (mean, sd) = if f > 0.0 {
        let m1 = spec_partial_moment(spec, table, f, 1) / f;
        let m2 = spec_partial_moment(spec, table, f, 2) / f;
        (m1, (m2 - m1 * m1).max(0.0).sqrt())
    } else {
        (0.0, 0.0)
    };
    [f as f32, (1.0 - f) as f32, mean as f32, sd as f32]
}

/// The way-back day table of `spec` (days): `[d0, d1, h_d0, ..., h_d1, p_d0, ..., p_d1]`,
/// the return day `D = max(round(X), 1)` capped at `RING_DAYS - 1` as the engines round it.
pub fn back_day_table(spec: &DistSpec, table: &[f32]) -> Vec<f32> {
    let cap = RING_DAYS as u32 - 1;
    // cdf[d] = P(D <= d): D <= d iff X < d + 1/2 (for 1 <= d < cap); D <= cap always.
    let cdf = |d: u32| -> f64 {
        if d == 0 {
            0.0
        } else if d >= cap {
            1.0
        } else {
            spec_cdf(spec, table, f64::from(d) + 0.5)
        }
    };
    let all: Vec<f64> = (0..=cap).map(cdf).collect();
    // Below 1e-12 a day is rounding of the bisection, not probability (f32 hazards cannot
    // hold it anyway).
    let p = |d: u32| {
        let v = all[d as usize] - all[d as usize - 1];
        if v > 1e-12 { v } else { 0.0 }
    };
    let d0 = (1..=cap).find(|&d| p(d) > 0.0).unwrap_or(1);
    let d1 = (1..=cap).rev().find(|&d| p(d) > 0.0).unwrap_or(d0);
    let mut out = vec![d0 as f32, d1 as f32];
    for d in d0..=d1 {
        let left = 1.0 - all[d as usize - 1];
        let h = if d == d1 || left <= 0.0 {
            1.0
        } else {
            (p(d) / left).clamp(0.0, 1.0)
        };
        out.push(h as f32);
    }
    // The probabilities, normalised over d0..=d1 (the days dropped as rounding hold < 1e-10).
    let total: f64 = (d0..=d1).map(p).sum();
    for d in d0..=d1 {
        out.push((p(d) / total) as f32);
    }
    out
}

/// Appends the day tables of every option's repair and way-back distributions to `m.table`
/// (one copy per distinct distribution) and records where they start in
/// `OptionParams::ev_day`, and which class carries each hard class's way back
/// (`back_leaders`: the first hard class of the same unit type with the same way-back
/// distribution, 3 bits per class). Called by `config::flatten`; a hand-built model calls it
/// before it runs.
pub fn attach(m: &mut FlatModel) {
    let mut done: Vec<(DistSpec, bool, u32)> = Vec::new();
    for o in 0..m.options.len() {
        let p = m.options[o];
        let mut ev_day = [0u32; opt_ev::COUNT];
        let mut leaders = 0u32;
        let n_classes = (p.n_classes as usize).min(MAX_CLASSES);
        for k in 0..n_classes {
            let hard = p.hard_mask & (1 << k) != 0;
            let mut evs = vec![(opt_ev::REPAIR_BASE + k, false)];
            if hard {
                evs.push((p.back_event(k), true));
            }
            for (e, is_back) in evs {
                let spec = p.events[e];
                let at = match done.iter().find(|d| d.0 == spec && d.1 == is_back) {
                    Some(d) => d.2,
                    None => {
                        let at = m.table.len() as u32;
                        if is_back {
                            let t = back_day_table(&spec, &m.table);
                            m.table.extend_from_slice(&t);
                        } else {
                            let t = repair_day_table(&spec, &m.table);
                            m.table.extend_from_slice(&t);
                        }
                        done.push((spec, is_back, at));
                        at
                    }
                };
                ev_day[e] = at;
            }
            if hard {
                let leader = (0..=k)
                    .find(|&j| {
                        p.hard_mask & (1 << j) != 0
                            && p.class_unit(j) == p.class_unit(k)
                            && p.events[p.back_event(j)] == p.events[p.back_event(k)]
                    })
                    .unwrap_or(k);
                leaders |= (leader as u32) << (3 * k);
            }
        }
        m.options[o].ev_day = ev_day;
        m.options[o].back_leaders = leaders;
    }
    m.run.table_len = m.table.len() as u32;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform(lo: f32, hi: f32) -> DistSpec {
        DistSpec {
            kind: kind::UNIFORM,
            aux: 0,
            p: [lo, hi, 0.0, 0.0],
            lo: f32::MIN,
            hi: f32::MAX,
        }
    }

    #[test]
    fn a_uniform_repair_splits_at_the_day_as_its_closed_form() {
        // U(0, 48) h: half end within the day, uniform on [0, 24): mean 12, sd 24 / sqrt 12.
        let [f, p_long, mean, sd] = repair_day_table(&uniform(0.0, 48.0), &[]);
        assert!(
            (f - 0.5).abs() < 1e-6 && (p_long - 0.5).abs() < 1e-6,
            "{f} {p_long}"
        );
        assert!((mean - 12.0).abs() < 1e-4, "{mean}");
        assert!((sd - 24.0 / 12f32.sqrt()).abs() < 1e-3, "{sd}");
        // All within the day: no long repairs, the moments are the distribution's.
        let [f, p_long, mean, sd] = repair_day_table(&uniform(1.0, 3.0), &[]);
        assert_eq!((f, p_long), (1.0, 0.0));
        assert!((mean - 2.0).abs() < 1e-5, "{mean}");
        assert!((sd - 2.0 / 12f32.sqrt()).abs() < 1e-4, "{sd}");
    }

    #[test]
    fn way_back_hazards_reproduce_the_rounded_day_distribution() {
        // U(4.5, 9.5) days rounds to 5..9, each 1/5: hazards 1/5, 1/4, 1/3, 1/2, 1.
        let t = back_day_table(&uniform(4.5, 9.5), &[]);
        assert_eq!((t[0], t[1]), (5.0, 9.0));
        for (i, want) in [0.2, 0.25, 1.0 / 3.0, 0.5, 1.0].iter().enumerate() {
            assert!(
                (t[2 + i] - want).abs() < 1e-5,
                "day {}: {}",
                5 + i,
                t[2 + i]
            );
        }
        // The probabilities follow the hazards: each 1/5.
        for i in 0..5 {
            assert!(
                (t[7 + i] - 0.2).abs() < 1e-6,
                "day {}: p {}",
                5 + i,
                t[7 + i]
            );
        }
        assert_eq!(t.len(), 2 + 2 * 5);
        // A fixed 10 days is one return day, with probability 1.
        assert_eq!(
            back_day_table(&DistSpec::fixed(10.0), &[]),
            vec![10.0, 10.0, 1.0, 1.0]
        );
        // Under half a day rounds up to 1; beyond the ring is capped at 127.
        assert_eq!(back_day_table(&DistSpec::fixed(0.2), &[])[..2], [1.0, 1.0]);
        assert_eq!(
            back_day_table(&DistSpec::fixed(500.0), &[])[..2],
            [127.0, 127.0]
        );
    }

    #[test]
    fn a_tabulated_pert_keeps_its_probabilities_and_mean() {
        // The catalog's RMA time, flattened as the engines sample it.
        let d = crate::distributions::Dist::Pert {
            lo: 5.0,
            mode: 14.0,
            hi: 45.0,
        };
        let mut table = Vec::new();
        let spec = d.to_event_spec(0.0, 127.0, &mut table);
        let t = back_day_table(&spec, &table);
        let (d0, d1) = (t[0] as u32, t[1] as u32);
        assert!(d0 >= 5 && d1 <= 45, "{d0}..{d1}");
        // Unwind the hazards into probabilities: they sum to 1, give the rounded mean and
        // equal the table's probabilities.
        let span = (d1 - d0 + 1) as usize;
        assert_eq!(t.len(), 2 + 2 * span);
        let mut left = 1.0f64;
        let mut mean = 0.0;
        for d in d0..=d1 {
            let i = (d - d0) as usize;
            let p = left * f64::from(t[2 + i]);
            assert!(
                (p - f64::from(t[2 + span + i])).abs() < 1e-6,
                "day {d}: {p}"
            );
            mean += p * f64::from(d);
            left -= p;
        }
        assert!(left.abs() < 1e-6, "mass left {left}");
        let sum: f64 = t[2 + span..].iter().map(|&p| f64::from(p)).sum();
        assert!((sum - 1.0).abs() < 1e-6, "probabilities sum to {sum}");
        // PERT mean (lo + 4 mode + hi) / 6 = 17.67; rounding to whole days moves it < 0.01.
        assert!((mean - 106.0 / 6.0).abs() < 0.02, "mean {mean}");
    }
}
