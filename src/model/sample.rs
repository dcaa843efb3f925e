//! Samplers shared by both engines: the inverse normal CDF and normal CDF, inverse-CDF sampling
//! of a flattened [`DistSpec`], and Poisson and binomial counts drawn from a [`DayStream`].
//!
//! Every function here is written to be ported line by line to WGSL (one GPU thread per path):
//! generic over [`Real`] (f32 like the kernel, f64 for the reference mode), only the operations
//! `Real` offers, no 64-bit integers, no recursion, no heap, and every loop has a fixed
//! iteration cap with a documented fallback when the cap is hit. Random draws are consumed only
//! through `&mut DayStream`, in the order documented on each function, so the CPU and GPU see
//! the same numbers for the same decisions.
//!
//! Extreme uniforms: `u01` lies in `[2^-24, 1 - 2^-24]`, exact in f32, but samplers are also
//! fed derived uniforms (copula, truncation), so all functions here accept any uniform in the
//! closed interval `[0, 1]` and stay finite there (they clamp into [`U_LO`], [`U_HI`] where a logarithm or an inverse CDF needs
//! it).

use crate::model::params::{DistSpec, kind};
use crate::model::philox::DayStream;
use crate::model::real::Real;

/// Smallest uniform the inverse normal CDF is evaluated at (`1e-30`, a normal f32): lower
/// inputs are clamped to it, so `norm_inv_cdf` stays finite (about -11.46) even at `u = 0`.
/// Kept far below `u01`'s smallest value (2^-24) so truncated-normal tails mapped into tiny
/// intervals are not distorted.
pub const U_LO: f64 = 1e-30;
/// Largest uniform the samplers use, `1 - 2^-24` (the largest f32 below 1): larger inputs
/// (such as a copula output rounded to 1.0) are clamped to it. Both precisions
/// clamp identically, so they agree at the extremes. `norm_inv_cdf(U_HI)` is about 5.3.
pub const U_HI: f64 = 1.0 - 1.0 / 16_777_216.0;

/// Most entries of a [`kind::DISCRETE`] distribution; the sampler's scan has this fixed cap.
pub const MAX_DISCRETE: usize = 16;

/// Poisson means below this use inversion (one draw); at or above, PTRS rejection.
pub const POISSON_INV_MAX_MEAN: f64 = 12.0;
/// Iteration cap of the Poisson and binomial inversion loops.
pub const INV_CAP: u32 = 64;
/// Attempt cap of the PTRS and BTRS rejection loops (two draws per attempt).
pub const REJECT_CAP: u32 = 32;
/// Binomial `n * min(p, 1 - p)` below this uses inversion; at or above, BTRS rejection.
pub const BINOMIAL_INV_MAX_MEAN: f64 = 10.0;
/// Poisson means are clamped to this (2^24): beyond it f32 cannot count in ones any more.
pub const POISSON_MAX_MEAN: f64 = 16_777_216.0;

/// `ln(2 pi)`.
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Coefficient tables of the samplers, one source for both engines: the CPU reads these, and
/// the WGSL prelude declares each as `const NAME = array<f32, N>(...)` (`gpu::shaders`), so the
/// kernel's values are these f64 values rounded to f32, as the CPU's `F::c` rounds them.
/// AS 241 (`PPND_*`, highest power first, for [`horner`]), the erfc approximation of
/// [`norm_cdf`] (`NORM_CDF_P`, highest power first) and `ln k!` Stirling errors for `k < 10`
/// (`STIRLERR_T`, index 0 unused).
pub const SAMPLER_TABLES: &[(&str, &[f64])] = &[
    ("PPND_A", &PPND_A),
    ("PPND_B", &PPND_B),
    ("PPND_C", &PPND_C),
    ("PPND_D", &PPND_D),
    ("PPND_E", &PPND_E),
    ("PPND_G", &PPND_G),
    ("NORM_CDF_P", &NORM_CDF_P),
    ("STIRLERR_T", &STIRLERR_T),
];

/// See [`SAMPLER_TABLES`].
const PPND_A: [f64; 8] = [
    2509.0809287301227,
    33430.57558358813,
    67265.7709270087,
    45921.95393154987,
    13731.69376550946,
    1971.5909503065513,
    133.14166789178438,
    3.3871328727963665,
];

/// See [`SAMPLER_TABLES`].
const PPND_B: [f64; 8] = [
    5226.495278852546,
    28729.085735721943,
    39307.89580009271,
    21213.794301586597,
    5394.196021424751,
    687.1870074920579,
    42.31333070160091,
    1.0,
];

/// See [`SAMPLER_TABLES`].
const PPND_C: [f64; 8] = [
    0.0007745450142783414,
    0.022723844989269184,
    0.2417807251774506,
    1.2704582524523684,
    3.6478483247632045,
    5.769497221460691,
    4.630337846156546,
    1.4234371107496835,
];

/// See [`SAMPLER_TABLES`].
const PPND_D: [f64; 8] = [
    1.0507500716444169e-9,
    0.0005475938084995345,
    0.015198666563616457,
    0.14810397642748008,
    0.6897673349851,
    1.6763848301838038,
    2.053191626637759,
    1.0,
];

/// See [`SAMPLER_TABLES`].
const PPND_E: [f64; 8] = [
    2.0103343992922881e-7,
    2.7115555687434876e-5,
    0.0012426609473880784,
    0.026532189526576124,
    0.29656057182850487,
    1.7848265399172913,
    5.463784911164114,
    6.657904643501103,
];

/// See [`SAMPLER_TABLES`].
const PPND_G: [f64; 8] = [
    2.0442631033899397e-15,
    1.421511758316446e-7,
    1.8463183175100548e-5,
    0.0007868691311456133,
    0.014875361290850615,
    0.1369298809227358,
    0.599832206555888,
    1.0,
];

/// See [`SAMPLER_TABLES`].
const NORM_CDF_P: [f64; 10] = [
    0.170_872_77,
    -0.822_152_23,
    1.488_515_87,
    -1.135_203_98,
    0.278_868_07,
    -0.186_288_06,
    0.096_784_18,
    0.374_091_96,
    1.000_023_68,
    -1.265_512_23,
];

/// See [`SAMPLER_TABLES`].
const STIRLERR_T: [f64; 10] = [
    0.0,
    0.081_061_466_795_327_26,
    0.041_340_695_955_409_29,
    0.027_677_925_684_998_34,
    0.020_790_672_103_765_09,
    0.016_644_691_189_821_19,
    0.013_876_128_823_070_75,
    0.011_896_709_945_891_77,
    0.010_411_265_261_972_1,
    0.009_255_462_182_712_733,
];

/// Inverse of the standard normal CDF, `Phi^-1(u)`.
///
/// Wichura's algorithm AS 241 (`PPND16`, Applied Statistics 37, 1988): a degree-7 rational
/// function of `r = 0.180625 - q^2` for `|q| = |u - 0.5| <= 0.425`, else of `r = sqrt(-ln t)`
/// with `t = min(u, 1 - u)` (one rational for `r <= 5`, another beyond), sign restored
/// afterwards. All its polynomial coefficients are positive on their ranges, so unlike
/// Acklam's approximation there is no cancellation and f32 evaluation stays accurate (Acklam's
/// central rational loses about 10 bits in f32 near `|q| = 0.475`). No refinement step.
/// `min(u, 1 - u)` is exact in both precisions, so the tails keep full relative precision and
/// the result is antisymmetric. `u` is first clamped into [`U_LO`, `U_HI`], so the output is
/// always finite, within about [-11.46, 5.33].
///
/// Accuracy: in f64 about 1e-16 relative (the algorithm's design accuracy; checked in the
/// tests against high-precision values to 1e-15). In f32, compared with the f64 result on the
/// same f32 inputs over `[U_LO, U_HI]`, the error is at most 4.0e-7 relative (about 3 f32
/// ulps, from `ln`, `sqrt` and the rational's rounding), i.e. at most 3.2e-6 absolute at
/// `|z| ~ 11` and below 1.5e-6 absolute for every `u01` value (measured in
/// `norm_inv_cdf_f32_accuracy`).
pub fn norm_inv_cdf<F: Real>(u: F) -> F {
    let u = u.clamp(F::c(U_LO), F::c(U_HI));
    ppnd16(u)
}

/// AS 241 without the input clamp (the host-side analytic quantiles call it with `u` known to
/// lie in (0, 1)). Coefficients are listed highest power first, for [`horner`].
pub(crate) fn ppnd16<F: Real>(u: F) -> F {
    let q = u - F::c(0.5);
    if q.abs() <= F::c(0.425) {
        let r = F::c(0.180625) - q * q;
        q * horner(r, &PPND_A) / horner(r, &PPND_B)
    } else {
        let t = u.min(F::c(1.0) - u);
        let r = (-t.ln()).sqrt();
        let z = if r <= F::c(5.0) {
            let r = r - F::c(1.6);
            horner(r, &PPND_C) / horner(r, &PPND_D)
        } else {
            let r = r - F::c(5.0);
            horner(r, &PPND_E) / horner(r, &PPND_G)
        };
        if q < F::c(0.0) { -z } else { z }
    }
}

/// Evaluates `c[0] x^(n-1) + ... + c[n-1]` by Horner's rule (coefficients highest power first).
#[inline(always)]
fn horner<F: Real>(x: F, c: &[f64]) -> F {
    let mut acc = F::c(c[0]);
    for &ci in &c[1..] {
        acc = acc * x + F::c(ci);
    }
    acc
}

/// Standard normal CDF, `Phi(x)`.
///
/// `0.5 erfc(-x / sqrt 2)` with the Numerical Recipes `erfcc` Chebyshev fit (one `exp`, one
/// division, a single select for the sign), whose fractional error is below 1.2e-7 everywhere,
/// so the absolute error of `Phi` is below 1.2e-7 and tail values keep their relative
/// accuracy. Used by the Gaussian copula (`Phi(L Phi^-1(u))`); host-side analytics use the
/// more accurate `crate::distributions::phi`.
/// The result lies in `[0, 1]`; extreme `x` gives exactly 0 or 1.
pub fn norm_cdf<F: Real>(x: F) -> F {
    let z = x.abs() * F::c(std::f64::consts::FRAC_1_SQRT_2);
    let t = F::c(1.0) / (F::c(1.0) + F::c(0.5) * z);
    // erfc(z) for z >= 0; z is capped so -z^2 cannot overflow to -inf in f32 (erfc(10) ~ 2e-45).
    let zc = z.min(F::c(10.0));
    let half_erfc = F::c(0.5) * t * (horner(t, &NORM_CDF_P) - zc * zc).exp();
    if x < F::c(0.0) {
        half_erfc
    } else {
        F::c(1.0) - half_erfc
    }
}

/// Reads `table[i]` as `F`.
#[inline(always)]
fn tab<F: Real>(table: &[f32], i: u32) -> F {
    F::from_f32(table[i as usize])
}

/// Draws one value of the distribution `d` by inverse-CDF sampling from the single uniform `u`,
/// then clamps it into `[d.lo, d.hi]` (the field's allowed range).
///
/// Inverse CDF (never rejection) so that one uniform gives one value, monotonically: the
/// Gaussian copula feeds correlated uniforms in, and monotone maps carry the rank correlation.
/// `u` may be anywhere in `[0, 1]` (values outside are clamped). `table` is
/// `FlatModel::table`; `TABLE` and `DISCRETE` specs must point at entries written by
/// `Dist::to_spec` (an out-of-range offset panics here; WGSL would read clamped garbage).
///
/// Per kind (see [`kind`]):
/// * `FIXED`: `p0`. Unknown kinds are treated as `FIXED`.
/// * `UNIFORM`: `p0 + u (p1 - p0)`.
/// * `NORMAL`: `p0 + p1 Phi^-1(p2 + u (p3 - p2))`. `Dist::to_spec` may store `p1 < 0` with
///   `p2 > p3` for truncations in the upper tail (so the tail sits near 0, where f32 is fine);
///   the formula is the same and stays increasing in `u`.
/// * `LOGNORMAL`: `exp(p0 + p1 Phi^-1(u))`.
/// * `TRIANGULAR`: `lo + sqrt(u (hi - lo)(mode - lo))` for `u < p3`, else
///   `hi - sqrt((1 - u)(hi - lo)(hi - mode))`, with `lo, mode, hi = p0, p1, p2`.
/// * `TABLE`: `n = p0` intervals at `table[aux..=aux + n]`; `t = u n`, `i = min(floor t, n - 1)`,
///   linear interpolation between `table[aux + i]` and `table[aux + i + 1]`.
/// * `DISCRETE`: `n = p0` (at most [`MAX_DISCRETE`]) cumulative weights at `table[aux..]`, then
///   `n` values; returns value `j` = number of the first `n - 1` cumulative weights `<= u`
///   (the first `j` with `u < cum[j]`, or the last), by a fixed-length scan.
#[inline]
pub fn sample_dist<F: Real>(d: &DistSpec, u: F, table: &[f32]) -> F {
    let zero = F::c(0.0);
    let one = F::c(1.0);
    let u = u.clamp(zero, one);
    let p0 = F::from_f32(d.p[0]);
    let p1 = F::from_f32(d.p[1]);
    let p2 = F::from_f32(d.p[2]);
    let p3 = F::from_f32(d.p[3]);
    let x = match d.kind {
        kind::UNIFORM => p0 + u * (p1 - p0),
        kind::NORMAL => p0 + p1 * norm_inv_cdf(p2 + u * (p3 - p2)),
        kind::LOGNORMAL => (p0 + p1 * norm_inv_cdf(u)).exp(),
        kind::TRIANGULAR => {
            let w = p2 - p0;
            if u < p3 {
                p0 + (u * w * (p1 - p0)).max(zero).sqrt()
            } else {
                p2 - ((one - u) * w * (p2 - p1)).max(zero).sqrt()
            }
        }
        kind::TABLE => {
            let n = p0.to_u32_sat().max(1);
            let t = u * F::from_u32(n);
            let i = t.to_u32_sat().min(n - 1);
            let f = t - F::from_u32(i);
            let a: F = tab(table, d.aux + i);
            let b: F = tab(table, d.aux + i + 1);
            a + f * (b - a)
        }
        kind::DISCRETE => {
            let n = p0.to_u32_sat().clamp(1, MAX_DISCRETE as u32);
            let mut j = 0u32;
            for i in 0..(MAX_DISCRETE as u32 - 1) {
                if i + 1 < n && tab::<F>(table, d.aux + i) <= u {
                    j += 1;
                }
            }
            tab(table, d.aux + n + j)
        }
        _ => p0,
    };
    x.clamp(F::from_f32(d.lo), F::from_f32(d.hi))
}

/// `ln(1 + x)` accurate for small `|x|` (no `log1p` in WGSL): for `|x| < 0.1` the series
/// `2 (s + s^3/3 + ... + s^11/11)` with `s = x / (2 + x)` (relative error below 1e-15),
/// otherwise `ln(1 + x)` directly. Requires `x > -1`.
pub fn ln1p<F: Real>(x: F) -> F {
    if x.abs() < F::c(0.1) {
        let s = x / (F::c(2.0) + x);
        let s2 = s * s;
        let series = horner(
            s2,
            &[1.0 / 11.0, 1.0 / 9.0, 1.0 / 7.0, 1.0 / 5.0, 1.0 / 3.0, 1.0],
        );
        F::c(2.0) * s * series
    } else {
        (F::c(1.0) + x).ln()
    }
}

/// Stirling-series error `delta(k) = ln k! - (k + 1/2) ln k + k - ln(2 pi) / 2` for an integer
/// `k >= 1` held in `F`: a table for `k < 10`, the series `1/(12k) - 1/(360k^3) + 1/(1260k^5) -
/// 1/(1680k^7)` above (error below 1e-12). Index 0 of the table is a placeholder.
fn stirlerr<F: Real>(k: F) -> F {
    if k < F::c(10.0) {
        F::c(STIRLERR_T[k.to_u32_sat() as usize])
    } else {
        let r = F::c(1.0) / k;
        let r2 = r * r;
        r * horner(r2, &[-1.0 / 1680.0, 1.0 / 1260.0, -1.0 / 360.0, 1.0 / 12.0])
    }
}

/// Loader's deviance term `bd0(x, m) = x ln(x / m) + m - x` (x, m > 0), computed without
/// cancellation: when `|x - m| < 0.1 (x + m)` by the series in `v = (x - m)/(x + m)` (8 fixed
/// terms; each shrinks by `v^2 < 0.01`), otherwise directly.
fn bd0<F: Real>(x: F, m: F) -> F {
    let d = x - m;
    if d.abs() < F::c(0.1) * (x + m) {
        let v = d / (x + m);
        let v2 = v * v;
        let mut s = d * v;
        let mut ej = F::c(2.0) * x * v;
        for j in 1..9u32 {
            ej *= v2;
            s += ej / F::from_u32(2 * j + 1);
        }
        s
    } else {
        x * (x / m).ln() + m - x
    }
}

/// `ln P(K = k)` for `K ~ Poisson(mu)`, `k` an integer >= 0 held in `F`, by Loader's
/// saddle-point form `-delta(k) - ln(2 pi k)/2 - bd0(k, mu)` (no large cancelling terms, so
/// f32 stays accurate for large means); `-mu` at `k = 0`.
fn poisson_lpmf<F: Real>(k: F, mu: F) -> F {
    let kk = k.max(F::c(1.0));
    let general = -stirlerr(kk) - F::c(0.5) * (F::c(LN_2PI) + kk.ln()) - bd0(kk, mu);
    if k < F::c(0.5) { -mu } else { general }
}

/// `ln P(K = k)` for `K ~ Binomial(n, p)` (`nf = n`, `np = n p`, `nq = n (1 - p)`, `ln1mp =
/// ln(1 - p)`), `k` an integer in `[0, n]` held in `F`, by Loader's form
/// `delta(n) - delta(k) - delta(n-k) + ln(n / (2 pi k (n-k)))/2 - bd0(k, np) - bd0(n-k, nq)`;
/// `n ln(1 - p)` at `k = 0` and `n ln p` at `k = n`.
fn binomial_lpmf<F: Real>(k: F, nf: F, p: F, np: F, nq: F, ln1mp: F) -> F {
    let one = F::c(1.0);
    let kk = k.max(one);
    let nk = (nf - k).max(one);
    let general = stirlerr(nf) - stirlerr(kk) - stirlerr(nk)
        + F::c(0.5) * (nf.ln() - F::c(LN_2PI) - kk.ln() - nk.ln())
        - bd0(kk, np)
        - bd0(nk, nq);
    if k < F::c(0.5) {
        nf * ln1mp
    } else if k > nf - F::c(0.5) {
        nf * p.ln()
    } else {
        general
    }
}

/// Draws a Poisson count with mean `mean` from `s`.
///
/// Draws consumed (in this order):
/// * `mean <= 0` or NaN: returns 0, **no draw**.
/// * `0 < mean < 12` ([`POISSON_INV_MAX_MEAN`]): **exactly one** uniform `u`; sequential
///   inversion from 0 (`cdf += p_k`, `p_k = p_{k-1} mean / k`) until `u <= cdf`, exact up to
///   the rounding of the running sum (f32: about 1e-6 in probability). Capped at
///   [`INV_CAP`] = 64 steps (P(K > 64) < 1e-25 here); the loop also stops in the far tail once
///   `p_k` no longer changes `cdf` (only reached when `u` is within rounding of 1).
/// * `mean >= 12`: Hörmann's PTRS transformed rejection; each attempt consumes **two** uniforms,
///   `U` then `V`. At most [`REJECT_CAP`] = 32 attempts (measured acceptance rate 0.77 at mean 12,
///   0.84 at 50, 0.88 at 1000, so the cap is hit with probability below 1e-20); then the fallback
///   `max(0, floor(mean + sqrt(mean) Phi^-1(V) + 0.5))` reuses the last `V`, no extra draw.
///   The acceptance test uses Loader's cancellation-free log pmf, so f32 is accurate for
///   large means; means are clamped to [`POISSON_MAX_MEAN`].
pub fn poisson<F: Real>(mean: F, s: &mut DayStream) -> u32 {
    poisson_with_p0(mean, || poisson_p0(mean), s)
}

/// `exp(-min(mean, POISSON_MAX_MEAN))`: the `P(K = 0)` that [`poisson`]'s inversion branch
/// starts from, for a caller that keeps it with a mean it draws with again and again.
#[inline(always)]
pub fn poisson_p0<F: Real>(mean: F) -> F {
    (-mean.min(F::c(POISSON_MAX_MEAN))).exp()
}

/// [`poisson`] with the inversion branch's `P(K = 0)` supplied by `p0` (called only when that
/// branch is taken; it must return [`poisson_p0`]`(mean)`, e.g. a value kept from an earlier
/// day with the same mean): same result and same draws as [`poisson`].
#[inline(always)]
pub fn poisson_with_p0<F: Real>(mean: F, p0: impl FnOnce() -> F, s: &mut DayStream) -> u32 {
    let zero = F::c(0.0);
    if mean > zero {
        let mu = mean.min(F::c(POISSON_MAX_MEAN));
        if mu < F::c(POISSON_INV_MAX_MEAN) {
            poisson_inversion(mu, p0(), s)
        } else {
            poisson_ptrs(mu, s)
        }
    } else {
        0
    }
}

/// Inversion branch of [`poisson`] (one draw), with `p0 = exp(-mu)` supplied by the caller.
///
/// Public so that a caller drawing many times with the same small mean (regional outages:
/// the same rate every day of a path) computes `exp(-mu)` once; with `p0 = exp(-mu)` it
/// returns exactly what [`poisson`] returns for `mu < POISSON_INV_MAX_MEAN`.
#[inline(always)]
pub fn poisson_inversion<F: Real>(mu: F, p0: F, s: &mut DayStream) -> u32 {
    let u = s.next_u01::<F>();
    let mut k = 0u32;
    let mut pk = p0;
    let mut cdf = pk;
    for _ in 0..INV_CAP {
        if u <= cdf {
            break;
        }
        k += 1;
        pk = pk * mu / F::from_u32(k);
        let next = cdf + pk;
        if next <= cdf {
            // p_k below the rounding of cdf: the far tail, reached only when u rounds to 1.
            break;
        }
        cdf = next;
    }
    k
}

/// PTRS branch of [`poisson`] (two draws per attempt). W. Hörmann, "The transformed rejection
/// method for generating Poisson random variables", Insurance: Mathematics and Economics 12
/// (1993); constants as in NumPy's `random_poisson_ptrs`.
fn poisson_ptrs<F: Real>(mu: F, s: &mut DayStream) -> u32 {
    let half = F::c(0.5);
    let smu = mu.sqrt();
    let b = F::c(0.931) + F::c(2.53) * smu;
    let a = F::c(-0.059) + F::c(0.02483) * b;
    let inv_alpha = F::c(1.1239) + F::c(1.1328) / (b - F::c(3.4));
    let v_r = F::c(0.9277) - F::c(3.6224) / (b - F::c(2.0));
    let mut v = half;
    for _ in 0..REJECT_CAP {
        let u = s.next_u01::<F>().min(F::c(U_HI)) - half;
        v = s.next_u01::<F>();
        let us = half - u.abs();
        let k = ((F::c(2.0) * a / us + b) * u + mu + F::c(0.43)).floor();
        if us >= F::c(0.07) && v <= v_r {
            return k.to_u32_sat();
        }
        if k < F::c(0.0) || (us < F::c(0.013) && v > us) {
            continue;
        }
        let lhs = (v * inv_alpha / (a / (us * us) + b)).ln();
        if lhs <= poisson_lpmf(k, mu) {
            return k.to_u32_sat();
        }
    }
    // Cap reached (probability below 1e-20): rounded normal approximation from the last V.
    (mu + smu * norm_inv_cdf(v) + half).floor().to_u32_sat()
}

/// Draws a binomial count (`n` trials, success probability `p`) from `s`.
///
/// With `pp = min(p, 1 - p)` (a draw for `1 - p` is mirrored as `n - k`), draws consumed:
/// * `n == 0`, `p <= 0` or NaN: returns 0; `p >= 1`: returns `n`; **no draw**.
/// * `n pp < 10` ([`BINOMIAL_INV_MAX_MEAN`]): **exactly one** uniform; sequential inversion
///   from `P(0) = exp(n ln(1 - pp))` (with an accurate `ln(1 - pp)`, so tiny `pp` with large
///   `n` is fine), capped at [`INV_CAP`] = 64 steps (P(K > 64) < 1e-25 here) and at `k = n`,
///   stopping early in the far tail like [`poisson`].
/// * `n pp >= 10`: Hörmann's BTRS transformed rejection; each attempt consumes **two**
///   uniforms, `U` then `V`; at most [`REJECT_CAP`] = 32 attempts (measured acceptance rate 0.71
///   at `n pp = 10`, 0.79 at 50, 0.87 at 1000: the cap is hit with probability below 1e-16),
///   then the fallback `clamp(floor(n pp + sqrt(n pp (1-pp)) Phi^-1(V) + 0.5), 0, n)`
///   reuses the last `V`, no extra draw. The acceptance test uses Loader's log pmf.
///
/// In f32, `n` above 2^24 loses integer resolution; counts are meant to be far smaller.
pub fn binomial<F: Real>(n: u32, p: F, s: &mut DayStream) -> u32 {
    binomial_cached(n, p, &mut BinomialCache::new(), s)
}

/// The per-probability constants of [`binomial`]'s inversion branch, for a caller that draws
/// with the same `p` day after day (job hits: the share of chips in jobs only changes while the
/// fleet is delivered). [`binomial_cached`] recomputes them only when `p` changes, so it returns
/// exactly what [`binomial`] returns.
#[derive(Clone, Copy, Debug)]
pub struct BinomialCache<F: Real> {
    p: F,
    ln1mpp: F,
    ratio: F,
    /// `P(K = 0) = exp(n ln(1 - pp))` of the inversion branch by trial count `n` (NaN: not
    /// computed yet for this `p`): the daily job-hit draw sees the same few failure counts
    /// again and again.
    p0: [F; BINOMIAL_P0_SLOTS],
}

/// Trial counts below this have their inversion `P(K = 0)` kept in a [`BinomialCache`].
const BINOMIAL_P0_SLOTS: usize = 32;

impl<F: Real> BinomialCache<F> {
    /// An empty cache (matches no `p`: NaN compares unequal).
    pub fn new() -> Self {
        BinomialCache {
            p: F::c(f64::NAN),
            ln1mpp: F::c(0.0),
            ratio: F::c(0.0),
            p0: [F::c(f64::NAN); BINOMIAL_P0_SLOTS],
        }
    }
}

impl<F: Real> Default for BinomialCache<F> {
    fn default() -> Self {
        Self::new()
    }
}

/// [`binomial`] with the inversion branch's `ln(1 - pp)` and `pp / (1 - pp)` kept in `cache`
/// (`pp = min(p, 1 - p)`) and recomputed only when `p` differs from the cached one. Same
/// result and same draws as [`binomial`].
#[inline(never)]
pub fn binomial_cached<F: Real>(
    n: u32,
    p: F,
    cache: &mut BinomialCache<F>,
    s: &mut DayStream,
) -> u32 {
    let zero = F::c(0.0);
    let one = F::c(1.0);
    if n == 0 {
        return 0;
    }
    if p > zero {
        if p >= one {
            return n;
        }
        let flip = p > F::c(0.5);
        let pp = if flip { one - p } else { p };
        let k = if F::from_u32(n) * pp < F::c(BINOMIAL_INV_MAX_MEAN) {
            if p != cache.p {
                cache.p = p;
                cache.ln1mpp = ln1p(-pp);
                cache.ratio = pp / (one - pp);
                cache.p0 = [F::c(f64::NAN); BINOMIAL_P0_SLOTS];
            }
            let p0 = match cache.p0.get_mut(n as usize) {
                Some(slot) => {
                    if !slot.is_finite() {
                        *slot = binomial_p0(n, cache.ln1mpp);
                    }
                    *slot
                }
                None => binomial_p0(n, cache.ln1mpp),
            };
            binomial_inversion_with(n, p0, cache.ratio, s)
        } else {
            binomial_btrs(n, pp, s)
        };
        if flip { n - k } else { k }
    } else {
        0
    }
}

/// `P(K = 0) = exp(n ln(1 - p))` of [`binomial`]'s inversion branch, given `ln1mp = ln(1 - p)`.
#[inline(always)]
fn binomial_p0<F: Real>(n: u32, ln1mp: F) -> F {
    (F::from_u32(n) * ln1mp).exp()
}

/// Inversion branch of [`binomial`] (one draw, `0 < p <= 0.5`), given `p0 = P(K = 0)`
/// ([`binomial_p0`]) and `ratio = p / (1 - p)`.
#[inline(always)]
fn binomial_inversion_with<F: Real>(n: u32, p0: F, ratio: F, s: &mut DayStream) -> u32 {
    let u = s.next_u01::<F>();
    let mut k = 0u32;
    let mut pk = p0;
    let mut cdf = pk;
    for _ in 0..INV_CAP {
        if u <= cdf || k >= n {
            break;
        }
        k += 1;
        pk = pk * ratio * (F::from_u32(n - k + 1) / F::from_u32(k));
        let next = cdf + pk;
        if next <= cdf {
            break;
        }
        cdf = next;
    }
    k
}

/// BTRS branch of [`binomial`] (two draws per attempt), `0 < p <= 0.5`, `n p >= 10`.
/// W. Hörmann, "The generation of binomial random variates", J. Statist. Comput. Simul. 46
/// (1993); constants as in TensorFlow's `btrs`.
fn binomial_btrs<F: Real>(n: u32, p: F, s: &mut DayStream) -> u32 {
    let half = F::c(0.5);
    let nf = F::from_u32(n);
    let q = F::c(1.0) - p;
    let np = nf * p;
    let nq = nf * q;
    let spq = (np * q).sqrt();
    let b = F::c(1.15) + F::c(2.53) * spq;
    let a = F::c(-0.0873) + F::c(0.0248) * b + F::c(0.01) * p;
    let c = np + half;
    let alpha = (F::c(2.83) + F::c(5.1) / b) * spq;
    let v_r = F::c(0.92) - F::c(4.2) / b;
    // The log pmf at the mode is only read by the slow acceptance test (about one attempt in
    // seven): computed there, once (the same value, so the same draws).
    let mut ln1mp = F::c(f64::NAN);
    let mut lpmf_m = F::c(f64::NAN);
    let mut v = half;
    for _ in 0..REJECT_CAP {
        let u = s.next_u01::<F>().min(F::c(U_HI)) - half;
        v = s.next_u01::<F>();
        let us = half - u.abs();
        let k = ((F::c(2.0) * a / us + b) * u + c).floor();
        if us >= F::c(0.07) && v <= v_r {
            return k.clamp(F::c(0.0), nf).to_u32_sat().min(n);
        }
        if k < F::c(0.0) || k > nf {
            continue;
        }
        let lhs = (v * alpha / (a / (us * us) + b)).ln();
        if !lpmf_m.is_finite() {
            ln1mp = ln1p(-p);
            let m = ((nf + F::c(1.0)) * p).floor().min(nf);
            lpmf_m = binomial_lpmf(m, nf, p, np, nq, ln1mp);
        }
        if lhs <= binomial_lpmf(k, nf, p, np, nq, ln1mp) - lpmf_m {
            return k.to_u32_sat().min(n);
        }
    }
    // Cap reached (probability below 1e-16): rounded normal approximation from the last V.
    (np + spq * norm_inv_cdf(v) + half)
        .floor()
        .clamp(F::c(0.0), nf)
        .to_u32_sat()
        .min(n)
}

/// Fill rate of an auto-sized spare pool (`stock = "auto"`).
pub const AUTO_FILL_RATE: f64 = 0.99;

/// `Phi^-1(AUTO_FILL_RATE)`.
pub const Z_AUTO: f64 = 2.326_347_874_040_840_8;
/// `(z^2 - 1) / 6`, the Cornish-Fisher skewness term of [`auto_stock`].
pub const AUTO_CF_2: f64 = (Z_AUTO * Z_AUTO - 1.0) / 6.0;
/// `z^3 - 7z`, over `72 sqrt(mu)` the next term.
pub const AUTO_CF_3: f64 = Z_AUTO * Z_AUTO * Z_AUTO - 7.0 * Z_AUTO;

/// Largest pipeline mean summed exactly by [`auto_stock`]: `exp(-30)` is far above f32's
/// smallest normal number, so the sum starts without underflow in both precisions.
pub const AUTO_STOCK_EXACT_MAX: f64 = 30.0;

/// The stock of an auto-sized spare pool whose replenishment pipeline holds `mu` units on
/// average: the smallest `S` with `P(Poisson(mu) <= S) >= AUTO_FILL_RATE`, summed exactly for
/// `mu <= AUTO_STOCK_EXACT_MAX`; above, the Cornish-Fisher quantile with continuity correction
/// `ceil(mu + z sqrt(mu) + (z^2 - 1)/6 + (z^3 - 7z)/(72 sqrt(mu)) - 1/2)`, which equals the
/// exact quantile or exceeds it by one unit (checked against exact sums in the tests). WGSL
/// twin `auto_stock` in `shaders/shared/fleet_step.wgsl`.
pub fn auto_stock<F: Real>(mu: F) -> u32 {
    // NaN or <= 0: nothing in the pipeline (`mu != mu` is the NaN test).
    #[allow(clippy::eq_op)]
    if mu != mu || mu <= F::c(0.0) {
        return 0;
    }
    if mu > F::c(AUTO_STOCK_EXACT_MAX) {
        let r = mu.sqrt();
        let z = F::c(Z_AUTO);
        let x = mu + z * r + F::c(AUTO_CF_2) + F::c(AUTO_CF_3) / (F::c(72.0) * r) - F::c(0.5);
        return x.ceil().to_u32_sat();
    }
    let mut pmf = (-mu).exp();
    let mut cdf = pmf;
    let mut k = 0u32;
    while cdf < F::c(AUTO_FILL_RATE) && k < 200 {
        k += 1;
        pmf = pmf * mu / F::from_u32(k);
        cdf += pmf;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distributions::Dist;
    use crate::distributions::ln_gamma;
    use crate::model::philox::{seed_key, u01};

    /// A test stream: fixed key, path `path`.
    fn stream(path: u32) -> DayStream {
        DayStream::new(seed_key(0x5EED_0FF1_CE75_AA01), path, 3, 1)
    }

    /// Sample mean, variance (n - 1) and fourth central moment.
    fn moments(x: &[f64]) -> (f64, f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0);
        let m4 = x.iter().map(|a| (a - m).powi(4)).sum::<f64>() / n;
        (m, v, m4)
    }

    /// Checks sample moments against the true mean and variance with tolerances derived from
    /// the Monte Carlo standard error: `|mean_hat - mean| < 5 sd / sqrt(n)`, and
    /// `|var_hat - var| < 5 sqrt((m4 - var^2) / n)`, the asymptotic standard error of the sample
    /// variance with the fourth central moment estimated from the sample (plus a tiny relative
    /// slack `rel` for known deterministic bias, e.g. f32 rounding or table interpolation).
    fn check_moments(x: &[f64], mean: f64, var: f64, rel: f64, what: &str) {
        let n = x.len() as f64;
        let (m, v, m4) = moments(x);
        let tol_m = 5.0 * (var / n).sqrt() + rel * mean.abs();
        assert!(
            (m - mean).abs() < tol_m,
            "{what}: mean {m} vs {mean} (tol {tol_m})"
        );
        let tol_v = 5.0 * ((m4 - v * v).max(0.0) / n).sqrt() + rel * var;
        assert!(
            (v - var).abs() < tol_v,
            "{what}: var {v} vs {var} (tol {tol_v})"
        );
    }

    /// Draws `n` samples of `d` (flattened with `to_spec`) in precision `F`.
    fn draw<F: Real>(d: &Dist, lo: f64, hi: f64, n: usize, path: u32) -> Vec<f64> {
        let mut table = Vec::new();
        let spec = d.to_spec(lo, hi, &mut table);
        let mut s = stream(path);
        (0..n)
            .map(|_| sample_dist::<F>(&spec, s.next_u01::<F>(), &table).to_f64())
            .collect()
    }

    const N: usize = 200_000;

    #[test]
    fn binomial_cached_matches_binomial() {
        let mut cache = BinomialCache::<f32>::new();
        for (i, &(n, p)) in [
            (4u32, 0.49f32),
            (4, 0.49),
            (7, 0.2),
            (3, 0.8),
            (40, 0.5),
            (0, 0.3),
            // Same p, varying n: the kept P(K = 0) per trial count, past its 32 slots too.
            (5, 0.3),
            (2, 0.3),
            (5, 0.3),
            (33, 0.3),
            (31, 0.3),
            (33, 0.3),
        ]
        .iter()
        .cycle()
        .take(600)
        .enumerate()
        {
            let mut a = stream(i as u32);
            let mut b = stream(i as u32);
            assert_eq!(
                binomial(n, p, &mut a),
                binomial_cached(n, p, &mut cache, &mut b)
            );
            assert_eq!(a.next_u32(), b.next_u32(), "same draws consumed");
        }
    }

    #[test]
    fn norm_inv_cdf_known_values() {
        // High-precision references (mpmath).
        let cases = [
            (0.975, 1.959_963_984_540_054),
            (1e-6, -4.753_424_308_822_899),
            (0.5, 0.0),
            (0.9, 1.281_551_565_544_600_5),
            (0.025, -1.959_963_984_540_054),
            (0.02, -2.053_748_910_631_823),
            (0.999, 3.090_232_306_167_813_5),
        ];
        for (u, z) in cases {
            let got = norm_inv_cdf::<f64>(u);
            assert!(
                (got - z).abs() <= 1.2e-9 * z.abs().max(1.0),
                "f64 Phi^-1({u}) = {got}, want {z}"
            );
            let got32 = norm_inv_cdf::<f32>(u as f32) as f64;
            // f32: input rounding (dz = du / phi(z)) plus a few ulps.
            let tol = 1e-6 * z.abs().max(1.0) + (u * 6e-8) / (-(z * z) / 2.0).exp() * 2.6;
            assert!(
                (got32 - z).abs() <= tol,
                "f32 Phi^-1({u}) = {got32}, want {z}"
            );
        }
        // Antisymmetry and finiteness at the extremes.
        for x in [0u32, 1, 255, 256, u32::MAX, u32::MAX - 256] {
            let a = norm_inv_cdf::<f32>(u01(x));
            let b = norm_inv_cdf::<f64>(u01(x));
            assert!(a.is_finite() && b.is_finite());
            assert!(a.abs() < 6.0 && b.abs() < 6.0);
        }
        assert!(norm_inv_cdf::<f32>(0.0).is_finite() && norm_inv_cdf::<f32>(1.0).is_finite());
        assert!(norm_inv_cdf::<f64>(0.0).is_finite() && norm_inv_cdf::<f64>(1.0).is_finite());
        assert_eq!(norm_inv_cdf::<f64>(0.3), -norm_inv_cdf::<f64>(0.7));
    }

    /// Measures the f32 error of `norm_inv_cdf` against f64 on the same (f32) inputs, over a
    /// log-spaced grid of both tails and a uniform grid of the centre. Prints the numbers the
    /// docs quote and pins them with a margin.
    #[test]
    fn norm_inv_cdf_f32_accuracy() {
        // (max abs error, max relative error, max abs error over u01's range [2^-25, 1 - 2^-24])
        let mut err = (0.0f64, 0.0f64, 0.0f64);
        let mut check = |u: f32| {
            let a = norm_inv_cdf::<f32>(u) as f64;
            let b = norm_inv_cdf::<f64>(u as f64);
            let e = (a - b).abs();
            err.0 = err.0.max(e);
            if b.abs() > 1e-3 {
                err.1 = err.1.max(e / b.abs());
            }
            if u as f64 >= 1.0 / 33_554_432.0 {
                err.2 = err.2.max(e);
            }
        };
        for i in 1..100_000u32 {
            check(i as f32 / 100_000.0);
        }
        for i in 0..=3000 {
            let u = 10f64.powf(-30.0 + 28.7 * i as f64 / 3000.0) as f32;
            check(u);
            check(1.0 - u.max(6e-8));
        }
        for x in (0..=u32::MAX).step_by(4099) {
            check(u01(x));
        }
        let (max_abs, max_rel, max_abs_u01) = err;
        eprintln!(
            "norm_inv_cdf f32 vs f64: max abs {max_abs:.3e}, max rel {max_rel:.3e}, \
             max abs on u01 values {max_abs_u01:.3e}"
        );
        assert!(
            max_abs < 4e-6 && max_rel < 5e-7 && max_abs_u01 < 2e-6,
            "{err:?}"
        );
    }

    #[test]
    fn norm_cdf_roundtrip_and_values() {
        for (x, want) in [
            (0.0, 0.5),
            (1.959_963_984_540_054, 0.975),
            (-1.0, 0.158_655_253_931_457_05),
            (-5.0, 2.866_515_718_791_939e-7),
            (3.0, 0.998_650_101_968_369_9),
        ] {
            let got = norm_cdf::<f64>(x);
            assert!((got - want).abs() < 1.2e-7 * want.min(1.0 - want).max(1e-30) + 1e-16);
            assert!(((norm_cdf::<f32>(x as f32) as f64) - want).abs() < 3e-7);
        }
        for i in 1..1000 {
            let u = i as f64 / 1000.0;
            assert!((norm_cdf(norm_inv_cdf(u)) - u).abs() < 2e-7, "u = {u}");
            let u32_ = u as f32;
            assert!(
                (norm_cdf(norm_inv_cdf(u32_)) - u32_).abs() < 1e-6,
                "f32 u = {u}"
            );
        }
        for u in [1e-6, 1e-9, 1e-15, 1e-25] {
            let r = norm_cdf(norm_inv_cdf::<f64>(u)) / u;
            assert!((r - 1.0).abs() < 1e-6, "relative roundtrip at {u}: {r}");
        }
        assert_eq!(norm_cdf::<f32>(-1e30), 0.0);
        assert_eq!(norm_cdf::<f32>(1e30), 1.0);
        assert_eq!(norm_cdf::<f64>(f64::NEG_INFINITY), 0.0);
    }

    #[test]
    fn uniform_moments() {
        let d = Dist::Uniform { lo: 2.0, hi: 5.0 };
        for x in [
            draw::<f32>(&d, -1e9, 1e9, N, 1),
            draw::<f64>(&d, -1e9, 1e9, N, 2),
        ] {
            check_moments(&x, 3.5, 9.0 / 12.0, 1e-6, "uniform");
            assert!(x.iter().all(|&v| (2.0..=5.0).contains(&v)));
        }
    }

    #[test]
    fn normal_moments() {
        let d = Dist::Normal {
            mean: 10.0,
            sd: 2.0,
            lo: None,
            hi: None,
        };
        for x in [
            draw::<f32>(&d, -1e9, 1e9, N, 3),
            draw::<f64>(&d, -1e9, 1e9, N, 4),
        ] {
            check_moments(&x, 10.0, 4.0, 1e-6, "normal");
        }
    }

    /// Mean and variance of N(0,1) truncated to [a, b] (standardised bounds).
    fn trunc_std(a: f64, b: f64) -> (f64, f64) {
        let phi = |x: f64| {
            if x.is_finite() {
                (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt()
            } else {
                0.0
            }
        };
        let xphi = |x: f64| if x.is_finite() { x * phi(x) } else { 0.0 };
        let z = if a > 0.0 {
            norm_cdf(-a) - norm_cdf(-b)
        } else {
            norm_cdf(b) - norm_cdf(a)
        };
        let m = (phi(a) - phi(b)) / z;
        let v = 1.0 + (xphi(a) - xphi(b)) / z - m * m;
        (m, v)
    }

    #[test]
    fn truncated_normal_moments() {
        // Lower-and-upper truncation, one-sided, and an upper-tail truncation (flipped spec).
        for (lo, hi, path) in [
            (Some(9.0), Some(13.0), 5),
            (Some(8.0), None, 7),
            (Some(14.0), None, 9),
            (None, Some(6.5), 11),
        ] {
            let d = Dist::Normal {
                mean: 10.0,
                sd: 2.0,
                lo,
                hi,
            };
            let a = lo.map_or(f64::NEG_INFINITY, |l| (l - 10.0) / 2.0);
            let b = hi.map_or(f64::INFINITY, |h| (h - 10.0) / 2.0);
            let (m, v) = trunc_std(a, b);
            let (mean, var) = (10.0 + 2.0 * m, 4.0 * v);
            let x32 = draw::<f32>(&d, -1e9, 1e9, N, path);
            let x64 = draw::<f64>(&d, -1e9, 1e9, N, path + 1);
            for x in [x32, x64] {
                check_moments(&x, mean, var, 1e-5, &format!("truncnormal {lo:?} {hi:?}"));
                let lo_ok = lo.unwrap_or(f64::NEG_INFINITY) - 1e-5;
                let hi_ok = hi.unwrap_or(f64::INFINITY) + 1e-5;
                assert!(x.iter().all(|&y| y >= lo_ok && y <= hi_ok));
            }
        }
    }

    #[test]
    fn lognormal_median_p90_mean() {
        let (median, p90) = (10.0, 20.0);
        let d = Dist::Lognormal { median, p90 };
        let s = (p90 / median).ln() / 1.281_551_565_544_600_5;
        let mu = median.ln();
        let mean = (mu + s * s / 2.0).exp();
        let var = (s * s).exp_m1() * mean * mean;
        for x in [
            draw::<f32>(&d, 0.0, 1e9, N, 13),
            draw::<f64>(&d, 0.0, 1e9, N, 14),
        ] {
            check_moments(&x, mean, var, 1e-5, "lognormal");
            // Empirical CDF at the median and p90: a proportion, standard error sqrt(p(1-p)/n).
            let n = x.len() as f64;
            for (q, p) in [(median, 0.5), (p90, 0.9)] {
                let f = x.iter().filter(|&&v| v <= q).count() as f64 / n;
                assert!(
                    (f - p).abs() < 5.0 * (p * (1.0 - p) / n).sqrt(),
                    "F({q}) = {f}"
                );
            }
        }
    }

    #[test]
    fn triangular_moments() {
        let (lo, mode, hi) = (1.0, 2.0, 6.0);
        let d = Dist::Triangular { lo, mode, hi };
        let mean = (lo + mode + hi) / 3.0;
        let var = (lo * lo + mode * mode + hi * hi - lo * mode - lo * hi - mode * hi) / 18.0;
        for x in [
            draw::<f32>(&d, -1e9, 1e9, N, 15),
            draw::<f64>(&d, -1e9, 1e9, N, 16),
        ] {
            check_moments(&x, mean, var, 1e-6, "triangular");
            // CDF at the mode is (mode - lo)/(hi - lo).
            let n = x.len() as f64;
            let f = x.iter().filter(|&&v| v <= mode).count() as f64 / n;
            let p = 0.2;
            assert!((f - p).abs() < 5.0 * (p * (1.0 - p) / n).sqrt());
        }
    }

    #[test]
    fn pert_moments_via_table() {
        let (lo, mode, hi) = (10.0, 12.0, 20.0);
        let d = Dist::Pert { lo, mode, hi };
        let mean = (lo + 4.0 * mode + hi) / 6.0;
        let var = (mean - lo) * (hi - mean) / 7.0;
        // rel 2e-4: the 256-interval linear quantile table biases the extreme intervals slightly.
        for x in [
            draw::<f32>(&d, -1e9, 1e9, N, 17),
            draw::<f64>(&d, -1e9, 1e9, N, 18),
        ] {
            check_moments(&x, mean, var, 2e-4, "pert");
            assert!(x.iter().all(|&v| (lo..=hi).contains(&v)));
        }
    }

    #[test]
    fn discrete_frequencies() {
        // Unsorted values and a zero weight: to_spec sorts by value and drops zero weights.
        let values = vec![5.0, 1.0, 3.0, 7.0];
        let weights = vec![2.0, 1.0, 0.0, 5.0];
        let d = Dist::Discrete {
            values: values.clone(),
            weights: weights.clone(),
        };
        let total: f64 = weights.iter().sum();
        for x in [
            draw::<f32>(&d, -1e9, 1e9, N, 19),
            draw::<f64>(&d, -1e9, 1e9, N, 20),
        ] {
            let n = x.len() as f64;
            for (v, w) in values.iter().zip(&weights) {
                let p = w / total;
                let f = x.iter().filter(|&&y| y == *v).count() as f64 / n;
                let tol = 5.0 * (p * (1.0 - p) / n).sqrt() + 1e-12;
                assert!((f - p).abs() <= tol, "value {v}: {f} vs {p}");
            }
        }
    }

    #[test]
    fn clamping_and_extremes_are_finite() {
        let dists = [
            Dist::Fixed { value: 3.0 },
            Dist::Uniform { lo: 0.0, hi: 1.0 },
            Dist::Normal {
                mean: 0.0,
                sd: 1.0,
                lo: None,
                hi: None,
            },
            Dist::Normal {
                mean: 0.0,
                sd: 1.0,
                lo: Some(3.0),
                hi: None,
            },
            Dist::Normal {
                mean: 0.0,
                sd: 1.0,
                lo: None,
                hi: Some(-3.0),
            },
            Dist::Lognormal {
                median: 1.0,
                p90: 3.0,
            },
            Dist::Triangular {
                lo: 0.0,
                mode: 0.0,
                hi: 1.0,
            },
            Dist::Triangular {
                lo: 0.0,
                mode: 1.0,
                hi: 1.0,
            },
            Dist::Pert {
                lo: 0.0,
                mode: 0.0,
                hi: 1.0,
            },
            Dist::Discrete {
                values: vec![1.0, 2.0],
                weights: vec![1.0, 1.0],
            },
        ];
        let uniforms: Vec<u32> = vec![0, 1, 255, 256, 0x8000_0000, u32::MAX - 256, u32::MAX];
        for d in &dists {
            let mut table = Vec::new();
            let spec = d.to_spec(-1e6, 1e6, &mut table);
            for &x in &uniforms {
                let a = sample_dist::<f32>(&spec, u01(x), &table);
                let b = sample_dist::<f64>(&spec, u01(x), &table);
                assert!(a.is_finite() && b.is_finite(), "{d:?} at {x}");
            }
            for u in [0.0, 1.0, -1.0, 2.0, f64::NAN] {
                assert!(
                    sample_dist::<f64>(&spec, u, &table).is_finite(),
                    "{d:?} at {u}"
                );
                assert!(sample_dist::<f32>(&spec, u as f32, &table).is_finite());
            }
        }
        // The clamp into the field range.
        let mut table = Vec::new();
        let spec = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            lo: None,
            hi: None,
        }
        .to_spec(-0.5, 0.25, &mut table);
        assert_eq!(sample_dist::<f64>(&spec, 1e-9, &table), -0.5);
        assert_eq!(sample_dist::<f64>(&spec, 0.999, &table), 0.25);
        // Poisson and binomial at extreme means never panic and stay sensible.
        let mut s = stream(99);
        assert!(poisson::<f32>(f32::INFINITY, &mut s) <= 17_000_000);
        assert!(poisson::<f64>(1e12, &mut s) <= 17_000_000);
        assert_eq!(poisson::<f32>(f32::NAN, &mut s), 0);
        assert_eq!(binomial::<f32>(10, f32::NAN, &mut s), 0);
        assert!(binomial::<f64>(u32::MAX, 0.5, &mut s).abs_diff(u32::MAX / 2) < 1_000_000);
    }

    #[test]
    fn zero_cases_consume_no_draws() {
        let mut s = stream(5);
        let mut t = stream(5);
        assert_eq!(poisson::<f64>(0.0, &mut s), 0);
        assert_eq!(poisson::<f64>(-1.0, &mut s), 0);
        assert_eq!(binomial::<f64>(0, 0.5, &mut s), 0);
        assert_eq!(binomial::<f64>(10, 0.0, &mut s), 0);
        assert_eq!(binomial::<f64>(10, 1.0, &mut s), 10);
        assert_eq!(s.next_u32(), t.next_u32());
        // Inversion branches consume exactly one draw.
        poisson::<f32>(3.0, &mut s);
        binomial::<f32>(20, 0.1, &mut s);
        binomial::<f32>(20, 0.9, &mut s);
        t.next_u32();
        t.next_u32();
        t.next_u32();
        assert_eq!(s.next_u32(), t.next_u32());
    }

    /// Exact Poisson pmf (f64, via ln_gamma).
    fn poisson_pmf(mu: f64, k: u32) -> f64 {
        (-mu + k as f64 * mu.ln() - ln_gamma(k as f64 + 1.0)).exp()
    }

    /// Exact binomial pmf (f64, via ln_gamma).
    fn binomial_pmf(n: u32, p: f64, k: u32) -> f64 {
        let (n, k) = (n as f64, k as f64);
        (ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
            + k * p.ln()
            + (n - k) * (-p).ln_1p())
        .exp()
    }

    /// Per-k frequency check against an exact pmf: every k with expected count >= 5 must be
    /// within 5 binomial standard errors (`sqrt(n p_k (1 - p_k))`); the chi-square statistic over
    /// those cells (tail cells pooled) must be below `df + 6 sqrt(2 df)` (about 6 sd above its
    /// mean, a conservative bound).
    fn check_pmf(counts: &[u32], pmf: &dyn Fn(u32) -> f64, what: &str) {
        let n = counts.len() as f64;
        let kmax = *counts.iter().max().unwrap() as usize;
        let mut hist = vec![0u64; kmax + 1];
        for &c in counts {
            hist[c as usize] += 1;
        }
        let mut chi2 = 0.0;
        let mut df = 0.0;
        let (mut pool_obs, mut pool_exp) = (0.0, 0.0);
        for (k, &obs) in hist.iter().enumerate() {
            let p = pmf(k as u32);
            let e = n * p;
            if e >= 5.0 {
                let tol = 5.0 * (n * p * (1.0 - p)).sqrt();
                assert!(
                    (obs as f64 - e).abs() < tol,
                    "{what}: k={k} observed {obs}, expected {e:.1}"
                );
                chi2 += (obs as f64 - e).powi(2) / e;
                df += 1.0;
            } else {
                pool_obs += obs as f64;
                pool_exp += e;
            }
        }
        // Tail mass beyond kmax joins the pooled cell.
        let covered: f64 = (0..=kmax as u32).map(pmf).sum();
        pool_exp += n * (1.0 - covered).max(0.0);
        if pool_exp >= 5.0 {
            chi2 += (pool_obs - pool_exp).powi(2) / pool_exp;
            df += 1.0;
        }
        df -= 1.0;
        assert!(
            chi2 < df + 6.0 * (2.0 * df).sqrt(),
            "{what}: chi2 {chi2} with df {df}"
        );
    }

    #[test]
    fn poisson_moments_and_pmf() {
        let n = 200_000;
        for (i, &mu) in [0.3, 3.0, 11.9, 12.1, 50.0, 1000.0].iter().enumerate() {
            for prec in 0..2 {
                let mut s = stream(100 + 2 * i as u32 + prec);
                let counts: Vec<u32> = (0..n)
                    .map(|_| {
                        if prec == 0 {
                            poisson::<f32>(mu as f32, &mut s)
                        } else {
                            poisson::<f64>(mu, &mut s)
                        }
                    })
                    .collect();
                let x: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
                check_moments(&x, mu, mu, 0.0, &format!("poisson({mu}) prec {prec}"));
                check_pmf(&counts, &|k| poisson_pmf(mu, k), &format!("poisson({mu})"));
            }
        }
    }

    #[test]
    fn binomial_moments_and_pmf() {
        let n_draws = 200_000;
        let cases: [(u32, f64); 9] = [
            (20, 0.3),      // inversion
            (5, 0.9),       // inversion, mirrored
            (1_000, 0.005), // inversion, large n
            (2_000_000, 2e-6),
            (100, 0.5), // BTRS
            (50, 0.8),  // BTRS, mirrored (n q = 10)
            (1_000, 0.3),
            (100_000, 0.01),
            (3_000, 0.97),
        ];
        for (i, &(n, p)) in cases.iter().enumerate() {
            for prec in 0..2 {
                let mut s = stream(200 + 2 * i as u32 + prec);
                let counts: Vec<u32> = (0..n_draws)
                    .map(|_| {
                        if prec == 0 {
                            binomial::<f32>(n, p as f32, &mut s)
                        } else {
                            binomial::<f64>(n, p, &mut s)
                        }
                    })
                    .collect();
                assert!(counts.iter().all(|&c| c <= n));
                let x: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
                // f32 represents p with relative error 6e-8; allow for it in the mean.
                let mean = n as f64 * p;
                check_moments(
                    &x,
                    mean,
                    mean * (1.0 - p),
                    1e-6,
                    &format!("binomial({n},{p})"),
                );
                check_pmf(
                    &counts,
                    &|k| binomial_pmf(n, p, k),
                    &format!("binomial({n},{p})"),
                );
            }
        }
    }

    #[test]
    fn rejection_log_pmfs_match_exact() {
        for &mu in &[12.0, 50.0, 1000.0, 1e5] {
            for k in [
                0u32, 1, 5, 9, 10, 11, 12, 40, 50, 60, 990, 1000, 1010, 100_000,
            ] {
                let exact = -mu + k as f64 * f64::ln(mu) - ln_gamma(k as f64 + 1.0);
                let got = poisson_lpmf::<f64>(k as f64, mu);
                assert!(
                    (got - exact).abs() < 1e-9 * exact.abs().max(1.0),
                    "{mu} {k}"
                );
                let got32 = poisson_lpmf::<f32>(k as f32, mu as f32) as f64;
                assert!(
                    (got32 - exact).abs() < 2e-5 * exact.abs().max(1.0) + 1e-4,
                    "{mu} {k}"
                );
            }
        }
        for &(n, p) in &[(100u32, 0.5), (1000, 0.3), (100_000, 0.01)] {
            let nf = n as f64;
            for k in [0, 1, 10, 30, 50, 300, 1000, n - 1, n] {
                if k > n {
                    continue;
                }
                let exact = binomial_pmf(n, p, k).ln();
                let ex2 =
                    ln_gamma(nf + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma(nf - k as f64 + 1.0)
                        + k as f64 * p.ln()
                        + (nf - k as f64) * (-p).ln_1p();
                let exact = if exact.is_finite() { exact } else { ex2 };
                let got =
                    binomial_lpmf::<f64>(k as f64, nf, p, nf * p, nf * (1.0 - p), (-p).ln_1p());
                assert!(
                    (got - exact).abs() < 1e-8 * exact.abs().max(1.0),
                    "{n} {p} {k}"
                );
            }
        }
    }

    #[test]
    fn ln1p_accuracy() {
        for x in [
            1e-12, -1e-8, 1e-3, -0.05, 0.0999, -0.0999, 0.1, 0.5, -0.5, 3.0,
        ] {
            let got = ln1p::<f64>(x);
            assert!(
                (got - f64::ln_1p(x)).abs() <= 2e-15 * f64::ln_1p(x).abs(),
                "{x}"
            );
        }
    }

    #[test]
    fn auto_stock_is_the_poisson_quantile_or_one_more() {
        // Exact quantile by log-space sums (no underflow at any mean).
        let exact = |mu: f64| -> u32 {
            let mut s = 0.0;
            let mut k = 0u32;
            loop {
                let lg: f64 = (1..=k).map(|i| f64::from(i).ln()).sum();
                s += (-mu + f64::from(k) * mu.ln() - lg).exp();
                if s >= AUTO_FILL_RATE {
                    return k;
                }
                k += 1;
            }
        };
        assert_eq!(auto_stock::<f64>(0.0), 0);
        // mu = 1: P(<= 3) = 0.981, P(<= 4) = 0.996.
        assert_eq!(auto_stock::<f64>(1.0), 4);
        let mut over = 0;
        for i in 1..600 {
            let mu = 0.5 * f64::from(i);
            let (e, a) = (exact(mu), auto_stock::<f64>(mu));
            if mu <= AUTO_STOCK_EXACT_MAX {
                assert_eq!(a, e, "mu {mu}");
                assert_eq!(auto_stock::<f32>(mu as f32), e, "f32 at mu {mu}");
            } else {
                assert!(a == e || a == e + 1, "mu {mu}: {a} vs exact {e}");
                over += usize::from(a > e);
            }
        }
        assert!(over < 30, "{over} of 540 means over by one");
    }
}
