//! Comparing two engines' blocks of the same paths, path by path (both draw the same random
//! numbers): the tolerances and allowances the CPU/GPU equivalence tests and `fleetsim check`
//! share, which outputs count as discrete (a flipped path), each (option, metric)'s scale, the
//! per-path agreement in numbers of paths, and the bound on a mean's difference from the
//! paired per-path differences.

use serde::Serialize;

use crate::engine::PathBlock;
use crate::model::outputs::{N_OUT, idx, metrics_for};
use crate::model::params::FlatModel;

/// Per-path relative tolerance: `|gpu - cpu| <= TOL * max(|cpu|, scale)`, where `scale` is
/// the metric's mean absolute value over the run (so values crossing zero, like NPV, are
/// judged against their typical size). It covers the *flipped* paths, where one failure,
/// interruption or payback day differs because an exp or log on the GPU rounded a decision
/// the other way (each moves an output by about 1e-3). At most [`ALLOW_BEYOND_TOL`] paths per
/// 1,000 may exceed it.
pub const TOL: f64 = 1e-2;
/// Tight tolerance for the paths where no discrete output differs (every option's hard and
/// soft failure counts, interruption count and payback day equal on both engines): f32
/// rounding alone stays below it, so a drift of the model itself (a formula or draw order
/// differing between the engines) fails here even when it is small. At most
/// [`ALLOW_BEYOND_TIGHT`] unflipped paths per 1,000 may exceed it.
pub const TIGHT_TOL: f64 = 1e-4;
/// Paths allowed beyond [`TOL`] per model of up to 1,000 paths, and per 1,000 paths above
/// (measured on llvmpipe: 0 on every model tested).
pub const ALLOW_BEYOND_TOL: usize = 1;
/// Unflipped paths allowed beyond [`TIGHT_TOL`] per model of up to 1,000 paths, and per 1,000
/// paths above (measured on llvmpipe: 0 on every model but one sweep point of the equivalence
/// tests, where 1 of 400 paths is 1.8e-4 off: a discrete event that is not in the record, such
/// as a burn-in reject count, went the other way). A drift of the model moves every path, so
/// this allowance hides none.
pub const ALLOW_BEYOND_TIGHT: usize = 2;
/// Flipped paths allowed, per 1,000 paths (measured on llvmpipe: 0 to 5 of 400-1,000 paths,
/// at most 12.5 per 1,000, with three options).
pub const ALLOW_FLIPPED_PER_1000: usize = 25;
/// Flipped paths allowed, per 1,000 paths, on a model whose every day is counted at hundreds
/// of failures a day (MODEL.md 6.4c; measured on llvmpipe: 35 per 1,000 on the tests'
/// `mixed_way_backs_model`, one year, the same at twice its fleet): each counted day draws
/// about a hundred counts by rejection or inversion whatever the fleet, and each can flip
/// where f32 `exp`/`log` round differently.
pub const ALLOW_FLIPPED_PER_1000_COUNTED: usize = 60;
/// A mean may differ between the engines by this many standard errors of the paired per-path
/// differences (plus [`mean_floor`] of its scale).
pub const MEAN_PAIRED_SES: f64 = 5.0;

/// How many of `n` paths may break each tolerance: [`ALLOW_BEYOND_TOL`] and
/// [`ALLOW_BEYOND_TIGHT`] per model up to 1,000 paths and per 1,000 paths above it;
/// [`ALLOW_FLIPPED_PER_1000`] per 1,000 paths (rounded down).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Allowances {
    /// Paths allowed beyond [`TOL`].
    pub beyond_tol: usize,
    /// Unflipped paths allowed beyond [`TIGHT_TOL`].
    pub beyond_tight: usize,
    /// Flipped paths allowed.
    pub flipped: usize,
}

impl Allowances {
    /// The allowances for `n` paths.
    pub fn for_paths(n: usize) -> Self {
        Self::for_paths_flipping(n, ALLOW_FLIPPED_PER_1000)
    }

    /// The allowances for `n` paths of a model that flips `flipped_per_1000` paths per 1,000
    /// ([`ALLOW_FLIPPED_PER_1000_COUNTED`] for one counted at hundreds of failures a day).
    pub fn for_paths_flipping(n: usize, flipped_per_1000: usize) -> Self {
        Allowances {
            beyond_tol: ALLOW_BEYOND_TOL.max(ALLOW_BEYOND_TOL * n / 1000),
            beyond_tight: ALLOW_BEYOND_TIGHT.max(ALLOW_BEYOND_TIGHT * n / 1000),
            flipped: flipped_per_1000 * n / 1000,
        }
    }
}

/// Whether the interruption rates of a path-option differ: it is a count over job-days, both
/// exact integers, so one interruption more moves it by far more than 1e-6 relative, while the
/// division may round differently on the GPU.
pub fn interruptions_differ(g: f64, c: f64) -> bool {
    if g.is_nan() || c.is_nan() {
        g.is_nan() != c.is_nan()
    } else {
        (g - c).abs() > 1e-6 * c.abs()
    }
}

/// Whether the discrete outputs of a path-option's records differ between the engines: failure
/// counts and payback day exactly, the interruption rate as [`interruptions_differ`] says.
pub fn discrete_differs(g: &[f64], c: &[f64]) -> bool {
    g[idx::HARD_FAILURES] != c[idx::HARD_FAILURES]
        || g[idx::SOFT_FAILURES] != c[idx::SOFT_FAILURES]
        || g[idx::PAYBACK_DAYS] != c[idx::PAYBACK_DAYS]
        || interruptions_differ(
            g[idx::INTERRUPTIONS_PER_JOB_DAY],
            c[idx::INTERRUPTIONS_PER_JOB_DAY],
        )
}

/// Mean absolute value of each (option, metric) over the reference block `c`, indexed
/// `option * N_OUT + metric`.
pub fn scales(n_options: usize, c: &PathBlock) -> Vec<f64> {
    let mut scale = vec![0.0f64; n_options * N_OUT];
    for i in 0..c.n_paths as usize {
        for o in 0..n_options {
            for (m, v) in c.record(i, o).iter().enumerate() {
                if v.is_finite() {
                    scale[o * N_OUT + m] += v.abs() / c.n_paths as f64;
                }
            }
        }
    }
    // Revenue lost to failures is the small gap between what the delivered fleet could earn
    // and what it did (about 1 % of revenue): one repair that ends a day later in one engine
    // than in the other (an ulp of a transcendental in a repair draw) moves availability by
    // 1e-5 relative, and the lost revenue by 1e-3 of itself. Its error is an error of the
    // revenue, so it is measured on the revenue's scale (and so is the outages' memo line).
    for o in 0..n_options {
        let rev = scale[o * N_OUT + idx::PV_REVENUE_USD];
        for m in [
            idx::PV_LOST_REVENUE_FAILURES_USD,
            idx::PV_LOST_REVENUE_OUTAGES_USD,
        ] {
            scale[o * N_OUT + m] = scale[o * N_OUT + m].max(rev);
        }
    }
    scale
}

/// The systematic floor of a mean's difference, as a fraction of the metric's scale: 1e-6
/// (an f32 rounding bias, 100x below [`TIGHT_TOL`]); 1e-5 for a rate of return, which is a
/// root, not a sum: bisection stops within an ulp of the root of each engine's f32 bucket NPV,
/// whose `exp`/`log` WGSL lets differ from the CPU's by a few ulp, and the root moves by
/// `e / slope`, a few 1e-6 of the rate on every path alike.
pub fn mean_floor(metric: &str) -> f64 {
    if metric.starts_with("irr") {
        1e-5
    } else {
        1e-6
    }
}

/// The largest difference allowed between two engines' means of a metric given the standard
/// error `se_d` of the paired per-path differences: [`MEAN_PAIRED_SES`] `* se_d +`
/// [`mean_floor`]` * scale`.
pub fn mean_bound(metric: &str, se_d: f64, scale: f64) -> f64 {
    MEAN_PAIRED_SES * se_d + mean_floor(metric) * scale
}

/// The output furthest from the reference.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Worst {
    /// Relative difference `|a - b| / max(|b|, scale)`.
    pub relative: f64,
    /// Metric name.
    pub metric: String,
    /// Path index (from the block's first path).
    pub path: u32,
    /// Option index.
    pub option: usize,
    /// The engine's value.
    pub value: f64,
    /// The reference's value.
    pub reference: f64,
}

/// How two blocks of the same paths agree, in numbers of paths.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathAgreement {
    /// Paths compared.
    pub n: usize,
    /// Paths with some output (of some option) beyond [`TOL`].
    pub beyond_tol: usize,
    /// Paths where a discrete output of some option differs (see [`discrete_differs`]).
    pub flipped: usize,
    /// Unflipped paths with some output beyond [`TIGHT_TOL`].
    pub beyond_tight: usize,
    /// The largest relative difference over all outputs, if any output differs.
    pub worst: Option<Worst>,
    /// The largest relative difference on path-options whose discrete outputs agree.
    pub worst_unflipped: Option<Worst>,
}

impl PathAgreement {
    /// Why this agreement breaks [`Allowances::for_paths`], one line per broken allowance
    /// (empty when it keeps them all).
    pub fn failures(&self) -> Vec<String> {
        self.failures_against(&Allowances::for_paths(self.n))
    }

    /// Why this agreement breaks `allow`, one line per broken allowance (empty when it keeps
    /// them all).
    pub fn failures_against(&self, allow: &Allowances) -> Vec<String> {
        let mut out = Vec::new();
        if self.flipped > allow.flipped {
            out.push(format!(
                "{} of {} paths have a different failure count, interruption count or payback day (allowed {})",
                self.flipped, self.n, allow.flipped
            ));
        }
        if self.beyond_tol > allow.beyond_tol {
            out.push(format!(
                "{} of {} paths differ beyond {TOL:e} (allowed {})",
                self.beyond_tol, self.n, allow.beyond_tol
            ));
        }
        if self.beyond_tight > allow.beyond_tight {
            out.push(format!(
                "{} unflipped paths of {} differ beyond {TIGHT_TOL:e} (allowed {})",
                self.beyond_tight, self.n, allow.beyond_tight
            ));
        }
        out
    }
}

/// Per-path agreement of block `g` with the reference block `c` (the same paths of `model`):
/// every metric of every option, each relative to `max(|c|, scale)` ([`scales`]); NaN must
/// meet NaN.
pub fn path_agreement(model: &FlatModel, g: &PathBlock, c: &PathBlock) -> PathAgreement {
    let n_opt = model.run.n_options as usize;
    let names = metrics_for(model.run.n_years as usize, &[]);
    let scale = scales(n_opt, c);
    let mut a = PathAgreement {
        n: c.n_paths as usize,
        beyond_tol: 0,
        flipped: 0,
        beyond_tight: 0,
        worst: None,
        worst_unflipped: None,
    };
    let better = |w: &Option<Worst>, err: f64| w.as_ref().is_none_or(|w| err > w.relative);
    for i in 0..c.n_paths as usize {
        let mut ok = true;
        let mut ok_tight = true;
        let mut flip = false;
        for o in 0..n_opt {
            let (gr, cr) = (g.record(i, o), c.record(i, o));
            let flipped_here = discrete_differs(gr, cr);
            flip |= flipped_here;
            for &(m, _, ref name) in &names {
                let (x, y) = (gr[m], cr[m]);
                if x.is_nan() || y.is_nan() {
                    ok &= x.is_nan() && y.is_nan();
                    continue;
                }
                let err = (x - y).abs() / y.abs().max(scale[o * N_OUT + m]).max(1e-30);
                let what = || Worst {
                    relative: err,
                    metric: name.clone(),
                    path: c.first_path + i as u32,
                    option: o,
                    value: x,
                    reference: y,
                };
                if err > 0.0 && better(&a.worst, err) {
                    a.worst = Some(what());
                }
                if err > 0.0 && !flipped_here && better(&a.worst_unflipped, err) {
                    a.worst_unflipped = Some(what());
                }
                ok &= err <= TOL;
                ok_tight &= err <= TIGHT_TOL;
            }
        }
        a.beyond_tol += usize::from(!ok);
        a.flipped += usize::from(flip);
        a.beyond_tight += usize::from(!ok_tight && !flip);
    }
    a
}

/// Mean and standard error of the mean of `v` (sample variance, n - 1); SE 0 for fewer than
/// two values.
pub fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (f64::NAN, 0.0);
    }
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, 0.0);
    }
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::outputs::SCALAR_METRICS;

    fn model() -> FlatModel {
        let mut m = crate::config::flatten(&crate::config::default_scenario(), 1);
        m.run.n_years = 1;
        m
    }

    /// A block of `n` paths of 2 options with every output of path-option (i, o) set to a value
    /// of about 1e6 (distinct per path so the scales are not degenerate).
    fn block(n: u32) -> PathBlock {
        let mut b = PathBlock::zeroed(0, n, 2);
        for i in 0..n as usize {
            for o in 0..2 {
                let start = (i * 2 + o) * N_OUT;
                for (m, v) in b.values[start..start + N_OUT].iter_mut().enumerate() {
                    *v = 1e6 + (i * 7 + m) as f64;
                }
            }
        }
        b
    }

    fn set(b: &mut PathBlock, i: usize, o: usize, m: usize, v: f64) {
        b.values[(i * 2 + o) * N_OUT + m] = v;
    }

    #[test]
    fn identical_blocks_agree_and_perturbations_are_counted_by_kind() {
        let m = model();
        let c = block(1000);
        let a = path_agreement(&m, &c.clone(), &c);
        assert_eq!((a.beyond_tol, a.flipped, a.beyond_tight), (0, 0, 0));
        assert!(a.worst.is_none() && a.failures().is_empty());

        let mut g = c.clone();
        // Path 3: NPV off by 2e-2 of its scale (beyond TOL, unflipped).
        set(&mut g, 3, 0, idx::NPV_USD, 1e6 * 1.02);
        // Path 5: a failure more (flipped) and revenue off by 1e-3 (within TOL).
        let hf = g.record(5, 1)[idx::HARD_FAILURES];
        set(&mut g, 5, 1, idx::HARD_FAILURES, hf + 1.0);
        let rev = g.record(5, 1)[idx::REVENUE_USD];
        set(&mut g, 5, 1, idx::REVENUE_USD, rev * 1.001);
        // Path 7: availability off by 3e-4 relative (beyond TIGHT_TOL, unflipped).
        let av = g.record(7, 0)[idx::AVAILABILITY];
        set(&mut g, 7, 0, idx::AVAILABILITY, av * (1.0 + 3e-4));
        let a = path_agreement(&m, &g, &c);
        assert_eq!(
            (a.n, a.beyond_tol, a.flipped, a.beyond_tight),
            (1000, 1, 1, 2)
        );
        let w = a.worst.as_ref().unwrap();
        assert_eq!((w.path, w.option, w.metric.as_str()), (3, 0, "npv_usd"));
        assert!((w.relative - 0.02).abs() < 1e-3, "{w:?}");
        // Within the allowances of 1,000 paths (1 beyond TOL, 2 beyond TIGHT_TOL, 25 flipped).
        assert!(a.failures().is_empty(), "{:?}", a.failures());
        // One more path beyond TOL breaks it.
        set(&mut g, 9, 1, idx::CAPEX_USD, 0.0);
        let a = path_agreement(&m, &g, &c);
        let f = a.failures();
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].contains("2 of 1000 paths differ beyond 1e-2"), "{f:?}");
        assert!(f[1].contains("3 unflipped paths"), "{f:?}");
    }

    #[test]
    fn nan_must_meet_nan_and_many_flips_fail() {
        let m = model();
        let c = block(200);
        let mut g = c.clone();
        let irr = SCALAR_METRICS
            .iter()
            .position(|x| x.may_be_undefined)
            .unwrap();
        set(&mut g, 0, 0, irr, f64::NAN);
        for i in 10..20 {
            let sf = g.record(i, 0)[idx::SOFT_FAILURES];
            set(&mut g, i, 0, idx::SOFT_FAILURES, sf + 1.0);
        }
        let a = path_agreement(&m, &g, &c);
        assert_eq!((a.beyond_tol, a.flipped), (1, 10));
        // 200 paths allow 5 flips.
        assert_eq!(Allowances::for_paths(200).flipped, 5);
        assert!(a.failures()[0].starts_with("10 of 200 paths have a different failure count"));
        // A counted model's allowance (60 per 1,000: 12 of 200) takes the 10 flips; the path
        // beyond 1e-2 is still allowed once, so nothing is broken.
        let counted = Allowances::for_paths_flipping(200, ALLOW_FLIPPED_PER_1000_COUNTED);
        assert_eq!(counted.flipped, 12);
        assert!(a.failures_against(&counted).is_empty());
        let strict = Allowances::for_paths_flipping(200, 45);
        assert_eq!(a.failures_against(&strict).len(), 1);
    }

    #[test]
    fn allowances_match_the_tests_below_1000_paths_and_scale_above() {
        for n in [300, 400, 600, 1000] {
            let a = Allowances::for_paths(n);
            assert_eq!((a.beyond_tol, a.beyond_tight), (1, 2));
            assert_eq!(a.flipped, 25 * n / 1000);
        }
        let a = Allowances::for_paths(100_000);
        assert_eq!((a.beyond_tol, a.beyond_tight, a.flipped), (100, 200, 2500));
    }

    #[test]
    fn mean_bound_and_se() {
        assert_eq!(mean_bound("npv_usd", 2.0, 1e6), 10.0 + 1.0);
        assert_eq!(mean_bound("irr", 0.0, 1.0), 1e-5);
        let (m, se) = mean_se(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((se - (5.0f64 / 3.0 / 4.0).sqrt()).abs() < 1e-12);
        assert_eq!(mean_se(&[3.0]), (3.0, 0.0));
    }
}
