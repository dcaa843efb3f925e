// Samplers: inverse normal CDF (AS 241), normal CDF, inverse-CDF sampling of a DistSpec,
// Poisson (inversion / PTRS) and binomial (inversion / BTRS) counts from a DayStream.
// Rust twin: src/model/sample.rs — same formulas, same operation order, same draws in the same
// order, same loop caps. Needs `table` (the quantile tables of every model of the dispatch,
// back to back) bound by the kernel.

// Where the tables of the model being simulated start in `table` (set once per invocation by
// the kernel): `table[table_base + aux ..]` is the CPU's `&model.table[aux ..]`.
var<private> table_base: u32;

const LN_2PI: f32 = 1.8378770664093455;
const FRAC_1_SQRT_2: f32 = 0.7071067811865476;

// Truncation toward zero into a count, saturating (Rust `f32 as u32`; inputs are never NaN).
fn to_u32_sat(x: f32) -> u32 {
    return u32(clamp(x, 0.0, 4294967040.0));
}

fn poly8(x: f32, c: array<f32, 8>) -> f32 {
    var acc = c[0];
    acc = acc * x + c[1];
    acc = acc * x + c[2];
    acc = acc * x + c[3];
    acc = acc * x + c[4];
    acc = acc * x + c[5];
    acc = acc * x + c[6];
    acc = acc * x + c[7];
    return acc;
}


// Phi^-1(u), Wichura's AS 241, u clamped into [U_LO, U_HI].
fn norm_inv_cdf(u_in: f32) -> f32 {
    let u = clamp(u_in, U_LO, U_HI);
    let q = u - 0.5;
    if (abs(q) <= 0.425) {
        let r = 0.180625 - q * q;
        return q * poly8(r, PPND_A) / poly8(r, PPND_B);
    }
    let t = min(u, 1.0 - u);
    let r0 = sqrt(-log(t));
    var z: f32;
    if (r0 <= 5.0) {
        let r = r0 - 1.6;
        z = poly8(r, PPND_C) / poly8(r, PPND_D);
    } else {
        let r = r0 - 5.0;
        z = poly8(r, PPND_E) / poly8(r, PPND_G);
    }
    return select(z, -z, q < 0.0);
}

// Phi(x) = erfc(-x / sqrt 2) / 2 with the Numerical Recipes erfcc fit.
fn norm_cdf(x: f32) -> f32 {
    let z = abs(x) * FRAC_1_SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let zc = min(z, 10.0);
    var h = NORM_CDF_P[0];
    h = h * t + NORM_CDF_P[1];
    h = h * t + NORM_CDF_P[2];
    h = h * t + NORM_CDF_P[3];
    h = h * t + NORM_CDF_P[4];
    h = h * t + NORM_CDF_P[5];
    h = h * t + NORM_CDF_P[6];
    h = h * t + NORM_CDF_P[7];
    h = h * t + NORM_CDF_P[8];
    h = h * t + NORM_CDF_P[9];
    let half_erfc = 0.5 * t * exp(h - zc * zc);
    return select(1.0 - half_erfc, half_erfc, x < 0.0);
}

// One value of `d` from the uniform `u` by inverse CDF, clamped into [d.lo, d.hi].
fn sample_dist(d: DistSpec, u_in: f32) -> f32 {
    let u = clamp(u_in, 0.0, 1.0);
    let p0 = d.p[0];
    let p1 = d.p[1];
    let p2 = d.p[2];
    let p3 = d.p[3];
    var x = p0;
    switch d.kind {
        case KIND_UNIFORM: {
            x = p0 + u * (p1 - p0);
        }
        case KIND_NORMAL: {
            x = p0 + p1 * norm_inv_cdf(p2 + u * (p3 - p2));
        }
        case KIND_LOGNORMAL: {
            x = exp(p0 + p1 * norm_inv_cdf(u));
        }
        case KIND_TRIANGULAR: {
            let w = p2 - p0;
            if (u < p3) {
                x = p0 + sqrt(max(u * w * (p1 - p0), 0.0));
            } else {
                x = p2 - sqrt(max((1.0 - u) * w * (p2 - p1), 0.0));
            }
        }
        case KIND_TABLE: {
            let n = max(to_u32_sat(p0), 1u);
            let t = u * f32(n);
            let i = min(to_u32_sat(t), n - 1u);
            let f = t - f32(i);
            let a = table[table_base + d.aux + i];
            let b = table[table_base + d.aux + i + 1u];
            x = a + f * (b - a);
        }
        case KIND_DISCRETE: {
            let n = clamp(to_u32_sat(p0), 1u, MAX_DISCRETE);
            var j = 0u;
            for (var i = 0u; i < MAX_DISCRETE - 1u; i++) {
                if (i + 1u < n && table[table_base + d.aux + i] <= u) {
                    j += 1u;
                }
            }
            x = table[table_base + d.aux + n + j];
        }
        default: {}
    }
    return clamp(x, d.lo, d.hi);
}

// ln(1 + x), accurate for small |x| (series in s = x / (2 + x) below 0.1).
fn ln1p(x: f32) -> f32 {
    if (abs(x) < 0.1) {
        let s = x / (2.0 + x);
        let s2 = s * s;
        var h = 1.0 / 11.0;
        h = h * s2 + 1.0 / 9.0;
        h = h * s2 + 1.0 / 7.0;
        h = h * s2 + 1.0 / 5.0;
        h = h * s2 + 1.0 / 3.0;
        h = h * s2 + 1.0;
        return 2.0 * s * h;
    }
    return log(1.0 + x);
}


// Stirling-series error delta(k) for an integer k >= 1 held in f32.
fn stirlerr(k: f32) -> f32 {
    if (k < 10.0) {
        return STIRLERR_T[to_u32_sat(k)];
    }
    let r = 1.0 / k;
    let r2 = r * r;
    var h = -1.0 / 1680.0;
    h = h * r2 + 1.0 / 1260.0;
    h = h * r2 + -1.0 / 360.0;
    h = h * r2 + 1.0 / 12.0;
    return r * h;
}

// Loader's deviance term x ln(x / m) + m - x without cancellation.
fn bd0(x: f32, m: f32) -> f32 {
    let d = x - m;
    if (abs(d) < 0.1 * (x + m)) {
        let v = d / (x + m);
        let v2 = v * v;
        var s = d * v;
        var ej = 2.0 * x * v;
        for (var j = 1u; j < 9u; j++) {
            ej *= v2;
            s += ej / f32(2u * j + 1u);
        }
        return s;
    }
    return x * log(x / m) + m - x;
}

fn poisson_lpmf(k: f32, mu: f32) -> f32 {
    let kk = max(k, 1.0);
    let general = -stirlerr(kk) - 0.5 * (LN_2PI + log(kk)) - bd0(kk, mu);
    return select(general, -mu, k < 0.5);
}

fn binomial_lpmf(k: f32, nf: f32, p: f32, np: f32, nq: f32, ln1mp: f32) -> f32 {
    let kk = max(k, 1.0);
    let nk = max(nf - k, 1.0);
    let general = stirlerr(nf) - stirlerr(kk) - stirlerr(nk)
        + 0.5 * (log(nf) - LN_2PI - log(kk) - log(nk))
        - bd0(kk, np)
        - bd0(nk, nq);
    if (k < 0.5) {
        return nf * ln1mp;
    } else if (k > nf - 0.5) {
        return nf * log(p);
    }
    return general;
}

// Poisson count with mean `mean` (see `poisson` in src/model/sample.rs for the draws consumed).
fn poisson(mean: f32, s: ptr<function, DayStream>) -> u32 {
    if (mean > 0.0) {
        let mu = min(mean, POISSON_MAX_MEAN);
        if (mu < POISSON_INV_MAX_MEAN) {
            return poisson_inversion(mu, exp(-mu), s);
        }
        return poisson_ptrs(mu, s);
    }
    return 0u;
}

// Inversion (one draw) with p0 = exp(-mu) supplied by the caller.
fn poisson_inversion(mu: f32, p0: f32, s: ptr<function, DayStream>) -> u32 {
    let u = ds_next_u01(s);
    var k = 0u;
    var pk = p0;
    var cdf = pk;
    for (var it = 0u; it < INV_CAP; it++) {
        if (u <= cdf) {
            break;
        }
        k += 1u;
        pk = pk * mu / f32(k);
        let next = cdf + pk;
        if (next <= cdf) {
            break;
        }
        cdf = next;
    }
    return k;
}

// Hörmann's PTRS (two draws per attempt, at most REJECT_CAP attempts).
fn poisson_ptrs(mu: f32, s: ptr<function, DayStream>) -> u32 {
    let smu = sqrt(mu);
    let b = 0.931 + 2.53 * smu;
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let v_r = 0.9277 - 3.6224 / (b - 2.0);
    var v = 0.5;
    for (var it = 0u; it < REJECT_CAP; it++) {
        let u = min(ds_next_u01(s), U_HI) - 0.5;
        v = ds_next_u01(s);
        let us = 0.5 - abs(u);
        let k = floor((2.0 * a / us + b) * u + mu + 0.43);
        if (us >= 0.07 && v <= v_r) {
            return to_u32_sat(k);
        }
        if (k < 0.0 || (us < 0.013 && v > us)) {
            continue;
        }
        let lhs = log(v * inv_alpha / (a / (us * us) + b));
        if (lhs <= poisson_lpmf(k, mu)) {
            return to_u32_sat(k);
        }
    }
    return to_u32_sat(floor(mu + smu * norm_inv_cdf(v) + 0.5));
}

// Inversion constants of the binomial for one p (the Rust `BinomialCache`); p < 0 = empty.
struct BinomialCache {
    p: f32,
    ln1mpp: f32,
    ratio: f32,
}

fn binomial_cache_new() -> BinomialCache {
    return BinomialCache(-1.0, 0.0, 0.0);
}

// Binomial(n, p) count (see `binomial` in src/model/sample.rs for the draws consumed).
fn binomial(n: u32, p: f32, s: ptr<function, DayStream>) -> u32 {
    var cache = binomial_cache_new();
    return binomial_cached(n, p, &cache, s);
}

fn binomial_cached(n: u32, p: f32, cache: ptr<function, BinomialCache>, s: ptr<function, DayStream>) -> u32 {
    if (n == 0u) {
        return 0u;
    }
    if (p > 0.0) {
        if (p >= 1.0) {
            return n;
        }
        let flip = p > 0.5;
        let pp = select(p, 1.0 - p, flip);
        var k: u32;
        if (f32(n) * pp < BINOMIAL_INV_MAX_MEAN) {
            if (p != (*cache).p) {
                (*cache).p = p;
                (*cache).ln1mpp = ln1p(-pp);
                (*cache).ratio = pp / (1.0 - pp);
            }
            k = binomial_inversion_with(n, (*cache).ln1mpp, (*cache).ratio, s);
        } else {
            k = binomial_btrs(n, pp, s);
        }
        return select(k, n - k, flip);
    }
    return 0u;
}

fn binomial_inversion_with(n: u32, ln1mp: f32, ratio: f32, s: ptr<function, DayStream>) -> u32 {
    let u = ds_next_u01(s);
    var k = 0u;
    var pk = exp(f32(n) * ln1mp);
    var cdf = pk;
    for (var it = 0u; it < INV_CAP; it++) {
        if (u <= cdf || k >= n) {
            break;
        }
        k += 1u;
        pk = pk * ratio * (f32(n - k + 1u) / f32(k));
        let next = cdf + pk;
        if (next <= cdf) {
            break;
        }
        cdf = next;
    }
    return k;
}

// Hörmann's BTRS (two draws per attempt, at most REJECT_CAP attempts), 0 < p <= 0.5.
fn binomial_btrs(n: u32, p: f32, s: ptr<function, DayStream>) -> u32 {
    let nf = f32(n);
    let q = 1.0 - p;
    let np = nf * p;
    let nq = nf * q;
    let spq = sqrt(np * q);
    let b = 1.15 + 2.53 * spq;
    let a = -0.0873 + 0.0248 * b + 0.01 * p;
    let c = np + 0.5;
    let alpha = (2.83 + 5.1 / b) * spq;
    let v_r = 0.92 - 4.2 / b;
    // The log pmf at the mode: computed on the first slow acceptance test (same value).
    var ln1mp = 0.0;
    var lpmf_m = 0.0;
    var have_m = false;
    var v = 0.5;
    for (var it = 0u; it < REJECT_CAP; it++) {
        let u = min(ds_next_u01(s), U_HI) - 0.5;
        v = ds_next_u01(s);
        let us = 0.5 - abs(u);
        let k = floor((2.0 * a / us + b) * u + c);
        if (us >= 0.07 && v <= v_r) {
            return min(to_u32_sat(clamp(k, 0.0, nf)), n);
        }
        if (k < 0.0 || k > nf) {
            continue;
        }
        let lhs = log(v * alpha / (a / (us * us) + b));
        if (!have_m) {
            ln1mp = ln1p(-p);
            let m = min(floor((nf + 1.0) * p), nf);
            lpmf_m = binomial_lpmf(m, nf, p, np, nq, ln1mp);
            have_m = true;
        }
        if (lhs <= binomial_lpmf(k, nf, p, np, nq, ln1mp) - lpmf_m) {
            return min(to_u32_sat(k), n);
        }
    }
    return min(to_u32_sat(clamp(floor(np + spq * norm_inv_cdf(v) + 0.5), 0.0, nf)), n);
}
