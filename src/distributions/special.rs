//! Host-side special functions behind the distributions: the accurate normal CDF, the
//! log-gamma and incomplete beta (PERT quantiles and CDF). f64 only; never in the engines.

/// Standard normal CDF for host-side analytics, to about 2e-15 relative near the centre and
/// `x^2 2e-16` relative in the tails (rounding of `x^2 / 2` inside `exp`):
/// `erfc(|x| / sqrt 2) / 2` through the regularized incomplete gamma `Q(1/2, x^2 / 2)` (series
/// below 1.5, Lentz continued fraction above; both capped at 300 terms). The engines' cheaper
/// `crate::model::sample::norm_cdf` (1.2e-7) is what the kernel uses; this one sets table and
/// truncation parameters and answers `cdf`/`fraction_outside`.
pub fn phi(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let half_erfc = 0.5 * erfc_nonneg(x.abs() * std::f64::consts::FRAC_1_SQRT_2);
    if x < 0.0 { half_erfc } else { 1.0 - half_erfc }
}

/// `erfc(z)` for `z >= 0` as `Q(1/2, z^2)`.
pub(super) fn erfc_nonneg(z: f64) -> f64 {
    const EPS: f64 = 1e-16;
    const FPMIN: f64 = 1e-300;
    const LN_SQRT_PI: f64 = 0.572_364_942_924_700_1;
    if z > 27.0 {
        return 0.0; // erfc(27) < 1e-318
    }
    let x = z * z;
    if x == 0.0 {
        return 1.0;
    }
    let front = (-x + 0.5 * x.ln() - LN_SQRT_PI).exp();
    if x < 1.5 {
        // P(1/2, x) by its series; erfc = 1 - P.
        let (mut ap, mut del) = (0.5, 2.0);
        let mut sum = del;
        for _ in 0..300 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * EPS {
                break;
            }
        }
        1.0 - sum * front
    } else {
        // Q(1/2, x) by its continued fraction (modified Lentz).
        let mut b = x + 0.5;
        let mut c = 1.0 / FPMIN;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..300 {
            let an = -(i as f64) * (i as f64 - 0.5);
            b += 2.0;
            d = an * d + b;
            if d.abs() < FPMIN {
                d = FPMIN;
            }
            c = b + an / c;
            if c.abs() < FPMIN {
                c = FPMIN;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < EPS {
                break;
            }
        }
        front * h
    }
}

/// Standard normal density (0 at infinities).
pub(super) fn std_normal_pdf(x: f64) -> f64 {
    if x.is_finite() {
        (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
    } else {
        0.0
    }
}

/// `Phi(b) - Phi(a)` for `a <= b`, evaluated in the tail where it is small (mirrored when
/// `a > 0`) so upper-tail intervals keep their relative accuracy.
pub(super) fn std_normal_mass(a: f64, b: f64) -> f64 {
    if a > 0.0 {
        phi(-a) - phi(-b)
    } else {
        phi(b) - phi(a)
    }
}

/// PERT's Beta shape parameters `(1 + 4 (mode - lo)/(hi - lo), 1 + 4 (hi - mode)/(hi - lo))`.
pub(super) fn pert_shape(lo: f64, mode: f64, hi: f64) -> (f64, f64) {
    let w = hi - lo;
    (1.0 + 4.0 * (mode - lo) / w, 1.0 + 4.0 * (hi - mode) / w)
}

/// `ln Gamma(x)` for `x > 0` (Lanczos, g = 7, 9 terms; relative error about 1e-15). Host-side
/// only (PERT tables, tests).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    // Lanczos is accurate for x >= 0.5; below, use Gamma(x) = Gamma(x + 1) / x.
    let (x, shift) = if x < 0.5 {
        (x + 1.0, -x.ln())
    } else {
        (x, 0.0)
    };
    let x = x - 1.0;
    let mut a = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln() + shift
}

/// Continued fraction of the incomplete beta (Numerical Recipes `betacf`, modified Lentz),
/// at most 300 iterations.
pub(super) fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const FPMIN: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < FPMIN { FPMIN } else { v };
    // One Lentz step with coefficient `aa`: updates (c, d) and returns the factor for h.
    let step = |aa: f64, c: &mut f64, d: &mut f64| -> f64 {
        *d = 1.0 / guard(1.0 + aa * *d);
        *c = guard(1.0 + aa / *c);
        *d * *c
    };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        h *= step(m * (b - m) * x / ((qam + m2) * (a + m2)), &mut c, &mut d);
        let del = step(
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
            &mut c,
            &mut d,
        );
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// `ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b)`.
pub(super) fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Regularized incomplete beta `I_x(a, b)`, `a, b > 0` (Numerical Recipes `betai`).
pub(super) fn beta_cdf(a: f64, b: f64, x: f64) -> f64 {
    beta_cdf_lnb(a, b, x, ln_beta(a, b))
}

/// [`beta_cdf`] given `lnb = ln B(a, b)` (constant across a quantile search).
pub(super) fn beta_cdf_lnb(a: f64, b: f64, x: f64, lnb: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_bt = a * x.ln() + b * (-x).ln_1p() - lnb;
    let bt = ln_bt.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        bt * beta_cf(a, b, x) / a
    } else {
        1.0 - bt * beta_cf(b, a, 1.0 - x) / b
    }
}

/// Inverse of `I_x(a, b)`: Newton's method safeguarded by a bisection bracket on `[0, 1]`
/// (robust: `I_x` is monotone, and a step that leaves the bracket is replaced by halving it).
/// Stops when a Newton step is below `1e-15 x` or the bracket reaches the f64 resolution of
/// `x`; at most 100 steps (the plain bisection's count, which reaches that resolution).
pub(super) fn beta_quantile(a: f64, b: f64, u: f64) -> f64 {
    if u <= 0.0 {
        return 0.0;
    }
    if u >= 1.0 {
        return 1.0;
    }
    let lnb = ln_beta(a, b);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x = a / (a + b);
    for _ in 0..100 {
        let f = beta_cdf_lnb(a, b, x, lnb) - u;
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let pdf = ((a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p() - lnb).exp();
        let mut nx = x - f / pdf;
        if !(nx > lo && nx < hi) {
            nx = 0.5 * (lo + hi);
            if nx <= lo || nx >= hi {
                return nx;
            }
        } else if (nx - x).abs() <= 1e-15 * nx {
            return nx;
        }
        x = nx;
    }
    x
}
