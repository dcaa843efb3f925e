//! Tests of the stats module on fixed data and a deterministic generator (no model involved).

use super::sketch::{bucket_value, key};
use super::*;
use crate::model::outputs::{N_OUT, idx};

/// splitmix64: a deterministic hash of a counter.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Uniform in (0, 1) from a counter.
fn unif(c: u64) -> f64 {
    ((mix(c) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Standard normal from a counter (Box-Muller).
fn normal(c: u64) -> f64 {
    let (u1, u2) = (unif(2 * c), unif(2 * c + 1));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Lognormal-ish values of both signs with ~10% exact zeros.
fn wild(c: u64) -> f64 {
    let h = mix(c ^ 0x5555);
    if h.is_multiple_of(10) {
        0.0
    } else {
        let s = if h.is_multiple_of(3) { -1.0 } else { 1.0 };
        s * 1e6 * (2.0 * normal(c)).exp()
    }
}

/// The value of path `p`, option `o`, metric `m` in the synthetic run: deterministic in
/// (p, o, m) so any chunking sees the same data. IRR and goodput are sometimes undefined;
/// payback days are small integers (ties between options).
fn synth(p: u32, o: usize, m: usize) -> f64 {
    let c = (p as u64) * 1_000_003 + (o as u64) * 1009 + m as u64;
    match m {
        idx::IRR if mix(c).is_multiple_of(5) => f64::NAN,
        idx::GOODPUT if mix(c).is_multiple_of(7) => f64::NAN,
        idx::GOODPUT | idx::AVAILABILITY => unif(c),
        idx::PAYBACK_DAYS => (mix(c) % 4) as f64 * 100.0,
        idx::USD_PER_CHIP_HOUR if mix(c).is_multiple_of(11) => f64::NAN,
        _ => wild(c) + o as f64 * 1e5,
    }
}

fn block(first: u32, n: u32, n_opt: u32, f: impl Fn(u32, usize, usize) -> f64) -> PathBlock {
    let mut b = PathBlock::zeroed(first, n, n_opt);
    for i in 0..n {
        for o in 0..n_opt as usize {
            for m in 0..N_OUT {
                b.values[((i * n_opt) as usize + o) * N_OUT + m] = f(first + i, o, m);
            }
        }
    }
    b
}

fn rel_close(a: f64, b: f64, scale: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * scale.max(a.abs()).max(b.abs()).max(f64::MIN_POSITIVE)
}

/// Identical counts, quantiles, CVaR, histograms; moments within 1e-12 relative.
fn assert_same_stats(a: &MetricStats, b: &MetricStats, what: &str) {
    assert_eq!(a.count, b.count, "{what} count");
    assert_eq!(a.n_undefined, b.n_undefined, "{what} n_undefined");
    assert_eq!(a.quantile_method, b.quantile_method, "{what} method");
    assert_eq!(a.quantiles(), b.quantiles(), "{what} quantiles");
    assert_eq!((a.min, a.max), (b.min, b.max), "{what} min/max");
    assert_eq!(a.p_negative, b.p_negative, "{what} p_negative");
    assert_eq!(a.histogram, b.histogram, "{what} histogram");
    assert_eq!(a.cvar5, b.cvar5, "{what} cvar5");
    let scale = a.sd.unwrap_or(0.0);
    for (x, y, n) in [
        (a.mean, b.mean, "mean"),
        (a.sd, b.sd, "sd"),
        (a.se, b.se, "se"),
    ] {
        match (x, y) {
            (Some(x), Some(y)) => assert!(rel_close(x, y, scale, 1e-12), "{what} {n}: {x} vs {y}"),
            (x, y) => assert_eq!(x, y, "{what} {n}"),
        }
    }
}

fn assert_same_summary(a: &RunSummary, b: &RunSummary) {
    assert_eq!(a.n_paths, b.n_paths);
    for ((on, oa), (_, ob)) in a.options.iter().zip(b.options.iter()) {
        for ((mn, sa), (_, sb)) in oa.iter().zip(ob.iter()) {
            assert_same_stats(sa, sb, &format!("{on}/{mn}"));
        }
    }
    for ((pn, pa), (_, pb)) in a.pairs.iter().zip(b.pairs.iter()) {
        for ((mn, sa), (_, sb)) in pa.metrics.iter().zip(pb.metrics.iter()) {
            let w = format!("{pn}/{mn}");
            assert_same_stats(&sa.difference, &sb.difference, &format!("{w} diff"));
            assert_same_stats(&sa.ratio, &sb.ratio, &format!("{w} ratio"));
            assert_eq!(sa.n_compared, sb.n_compared, "{w}");
            assert_eq!(sa.p_a_better, sb.p_a_better, "{w}");
            assert_eq!(sa.p_a_better_se, sb.p_a_better_se, "{w}");
        }
    }
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("opt{i}")).collect()
}

/// Walks every figure of a summary and checks it is finite.
fn assert_all_finite(s: &RunSummary) {
    let check = |st: &MetricStats, w: &str| {
        let mut figs = vec![
            st.mean,
            st.sd,
            st.se,
            st.min,
            st.max,
            st.cvar5,
            st.p_negative,
        ];
        figs.extend(st.quantiles().iter().map(|q| q.1));
        for f in figs.into_iter().flatten() {
            assert!(f.is_finite(), "{w}: {f}");
        }
        if st.count == 0 {
            assert!(
                st.mean.is_none() && st.min.is_none() && st.p50.is_none() && st.histogram.is_none()
            );
            assert!(st.cvar5.is_none() && st.p_negative.is_none() && st.sd.is_none());
        }
        if let Some(h) = &st.histogram {
            assert!(h.edges.iter().all(|e| e.is_finite()), "{w} edges");
            assert_eq!(h.edges.len(), h.counts.len() + 1);
        }
    };
    for (on, o) in s.options.iter() {
        for (mn, st) in o.iter() {
            check(st, &format!("{on}/{mn}"));
        }
    }
    for (pn, p) in s.pairs.iter() {
        for (mn, st) in p.metrics.iter() {
            check(&st.difference, &format!("{pn}/{mn}"));
            check(&st.ratio, &format!("{pn}/{mn}"));
        }
    }
    let json = serde_json::to_string(s).unwrap();
    assert!(
        !json.contains("NaN") && !json.contains("inf"),
        "non-finite in JSON"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v.is_object());
}

#[test]
fn moments_merge_equals_one_pass() {
    let xs: Vec<f64> = (0..10_000).map(|i| 1e3 + 50.0 * normal(i)).collect();
    let mut one = Moments::new();
    xs.iter().for_each(|&x| one.add(x));
    for cuts in [vec![1, 5000], vec![3, 17, 400, 401, 2000, 7777, 9999]] {
        let mut merged = Moments::new();
        let mut start = 0;
        for &end in cuts.iter().chain(std::iter::once(&xs.len())) {
            let mut part = Moments::new();
            xs[start..end].iter().for_each(|&x| part.add(x));
            merged += part;
            start = end;
        }
        assert_eq!(merged.count(), one.count());
        assert_eq!((merged.min(), merged.max()), (one.min(), one.max()));
        let (m1, m2) = (one.mean().unwrap(), merged.mean().unwrap());
        assert!(rel_close(m1, m2, 0.0, 1e-12), "{m1} {m2}");
        let (v1, v2) = (one.variance().unwrap(), merged.variance().unwrap());
        assert!(rel_close(v1, v2, 0.0, 1e-12), "{v1} {v2}");
    }
    // Against a two-pass reference.
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    assert!(rel_close(one.mean().unwrap(), mean, 0.0, 1e-12));
    assert!(rel_close(one.variance().unwrap(), var, 0.0, 1e-10));
    // Empty and single-value accumulators.
    let mut e = Moments::new();
    assert_eq!((e.mean(), e.sd(), e.min()), (None, None, None));
    e += Moments::new();
    e.add(3.0);
    assert_eq!((e.mean(), e.sd(), e.se()), (Some(3.0), None, None));
}

/// One pass vs two halves vs 7 uneven chunks (merged in path order and in shuffled order), in
/// exact mode, sketch-only mode, and with the switch happening during the merge.
#[test]
fn chunked_aggregation_equals_one_pass() {
    let (n_opt, n_years, n) = (3u32, 5usize, 1000u32);
    for limit in [usize::MAX, 0, 300] {
        let mut one = RunAggregate::with_keep_values_limit(n_opt as usize, n_years, limit);
        one.add_block(&block(0, n, n_opt, synth));
        let reference = one.finish(&names(3));
        assert_all_finite(&reference);

        let agg = |first: u32, len: u32| {
            let mut a = RunAggregate::with_keep_values_limit(n_opt as usize, n_years, limit);
            a.add_block(&block(first, len, n_opt, synth));
            a
        };
        let mut halves = agg(0, 500);
        halves += agg(500, 500);
        assert_same_summary(&reference, &halves.finish(&names(3)));

        let cuts = [0u32, 1, 13, 200, 201, 650, 999, 1000];
        let shards: Vec<RunAggregate> = cuts.windows(2).map(|w| agg(w[0], w[1] - w[0])).collect();
        let mut in_order = RunAggregate::with_keep_values_limit(n_opt as usize, n_years, limit);
        shards.iter().for_each(|s| in_order += s);
        assert_same_summary(&reference, &in_order.finish(&names(3)));
        if limit == usize::MAX {
            // Path order is kept in the exact values.
            let v = in_order.summary(1, idx::NPV_USD).unwrap().values().unwrap();
            let want: Vec<f64> = (0..n).map(|p| synth(p, 1, idx::NPV_USD)).collect();
            assert_eq!(v, &want[..]);
        }

        let mut shuffled = shards[4].clone();
        for i in [6, 0, 3, 1, 5, 2] {
            shuffled += &shards[i];
        }
        assert_same_summary(&reference, &shuffled.finish(&names(3)));

        let method = reference
            .options
            .get("opt0")
            .unwrap()
            .get("npv_usd")
            .unwrap()
            .quantile_method;
        let want = if limit >= n as usize {
            QuantileMethod::Exact
        } else {
            QuantileMethod::Sketch
        };
        assert_eq!(method, want);
    }
}

#[test]
fn exact_quantiles_on_1_to_100_follow_type_7() {
    let mut s = MetricSummary::new(true, usize::MAX);
    (1..=100).rev().for_each(|i| s.add(i as f64));
    let st = s.finish();
    let want = [1.99, 5.95, 10.9, 25.75, 50.5, 75.25, 90.1, 95.05, 99.01];
    for ((name, got), w) in st.quantiles().iter().zip(want) {
        assert!((got.unwrap() - w).abs() < 1e-12, "{name}: {got:?} vs {w}");
    }
    assert_eq!((st.min, st.max, st.count), (Some(1.0), Some(100.0), 100));
    assert!((st.mean.unwrap() - 50.5).abs() < 1e-12);
    assert!((st.sd.unwrap() - (100.0 * 101.0 / 12.0f64).sqrt()).abs() < 1e-12);
    assert!((st.se.unwrap() - st.sd.unwrap() / 10.0).abs() < 1e-12);
    assert_eq!(st.cvar5, Some(3.0)); // mean of 1..=5
    assert_eq!(st.quantile_method, QuantileMethod::Exact);
    let h = st.histogram.unwrap();
    assert_eq!(h.edges.len(), HISTOGRAM_BINS + 1);
    assert!((h.edges[0] - 1.495).abs() < 1e-12 && (h.edges[HISTOGRAM_BINS] - 99.505).abs() < 1e-12);
    assert_eq!((h.underflow, h.overflow), (1, 1));
    assert_eq!(h.counts.iter().sum::<u64>(), 98);
    // Single value and constant data.
    let mut one = MetricSummary::new(true, usize::MAX);
    one.add(7.0);
    let st = one.finish();
    assert_eq!(
        (st.p1, st.p99, st.cvar5, st.sd),
        (Some(7.0), Some(7.0), Some(7.0), None)
    );
    let h = st.histogram.unwrap();
    assert_eq!((h.edges, h.counts), (vec![7.0, 7.0], vec![1]));
}

#[test]
fn sketch_keys_are_monotone_and_buckets_within_bound() {
    let mut xs: Vec<f64> = (0..20_000).map(wild).collect();
    xs.extend([
        1e-30, -1e-30, 3e38, -3e38, 1.0, -1.0, 2.0, 0.0, -0.0, 1e-300, -1e-300,
    ]);
    xs.sort_by(f64::total_cmp);
    for w in xs.windows(2) {
        assert!(key(w[0]) <= key(w[1]), "{} {}", w[0], w[1]);
    }
    for &x in &xs {
        let b = bucket_value(key(x));
        if x.abs() >= f32::MIN_POSITIVE as f64 {
            assert!(
                (b - x).abs() <= SKETCH_RELATIVE_ERROR * x.abs(),
                "{x} -> {b}"
            );
            assert_eq!(b.signum(), x.signum());
        } else {
            assert!((b - x).abs() < 1e-38, "{x} -> {b}");
        }
    }
    assert_eq!(bucket_value(key(0.0)), 0.0);
    assert_eq!(bucket_value(key(-0.0)), 0.0);
}

#[test]
fn sketch_is_a_function_of_the_multiset() {
    let xs: Vec<f64> = (0..5_000).map(|i| wild(i + 9)).collect();
    let fwd = QuantileSketch::from_values(&xs);
    let rev: Vec<f64> = xs.iter().rev().copied().collect();
    assert_eq!(fwd, QuantileSketch::from_values(&rev));
    let mut sorted = xs.clone();
    sorted.sort_by(|a, b| b.total_cmp(a)); // descending: every add grows the range downward
    assert_eq!(fwd, QuantileSketch::from_values(&sorted));
    let mut merged = QuantileSketch::from_values(&xs[4000..]);
    merged += &QuantileSketch::new();
    merged += &QuantileSketch::from_values(&xs[..17]);
    merged += &QuantileSketch::from_values(&xs[17..4000]);
    assert_eq!(fwd, merged);
    assert_eq!(fwd.total(), 5_000);
    assert_eq!(fwd.buckets().map(|b| b.1).sum::<u64>(), 5_000);
    assert!(fwd.n_buckets() > 100);
    let vals: Vec<f64> = fwd.buckets().map(|b| b.0).collect();
    assert!(vals.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(fwd.order_stat(5_000), None);
}

#[test]
fn sketch_quantiles_within_stated_error_of_exact() {
    let xs: Vec<f64> = (0..20_000).map(|i| wild(i + 77)).collect();
    let (mut exact, mut sk) = (
        MetricSummary::new(true, usize::MAX),
        MetricSummary::new(true, 0),
    );
    xs.iter().for_each(|&x| {
        exact.add(x);
        sk.add(x);
    });
    let (e, s) = (exact.finish(), sk.finish());
    assert_eq!(
        (e.quantile_method, s.quantile_method),
        (QuantileMethod::Exact, QuantileMethod::Sketch)
    );
    assert_eq!(
        (e.count, e.min, e.max, e.p_negative),
        (s.count, s.min, s.max, s.p_negative)
    );
    assert!(e.p_negative.unwrap() > 0.2 && e.p_negative.unwrap() < 0.4);
    let mut sorted = xs.clone();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    for ((name, qe), (_, qs)) in e.quantiles().iter().zip(s.quantiles()) {
        // Bound: each order statistic within 2^-8 of itself, interpolated.
        let p = QUANTILES.iter().find(|q| q.1 == *name).unwrap().0;
        let j = ((n - 1) as f64 * p).floor() as usize;
        let bound = SKETCH_RELATIVE_ERROR * sorted[j].abs().max(sorted[(j + 1).min(n - 1)].abs());
        let (qe, qs) = (qe.unwrap(), qs.unwrap());
        assert!(
            (qe - qs).abs() <= bound * (1.0 + 1e-12),
            "{name}: exact {qe} sketch {qs}"
        );
    }
    let (ce, cs) = (e.cvar5.unwrap(), s.cvar5.unwrap());
    assert!(
        (ce - cs).abs() <= SKETCH_RELATIVE_ERROR * ce.abs(),
        "cvar5 {ce} {cs}"
    );
    let (he, hs) = (e.histogram.unwrap(), s.histogram.unwrap());
    assert_eq!(he.counts.len(), hs.counts.len());
    let tot = |h: &Histogram| h.counts.iter().sum::<u64>() + h.underflow + h.overflow;
    assert_eq!((tot(&he), tot(&hs)), (n as u64, n as u64));
}

#[test]
fn cvar5_direction_follows_metric() {
    // npv (higher better): worst = lowest; capex (lower better): worst = highest.
    let n = 101u32; // ceil(101 / 20) = 6 worst values
    let mut a = RunAggregate::new(1, 1);
    a.add_block(&block(0, n, 1, |p, _, _| (p + 1) as f64));
    let s = a.finish(&names(1));
    let o = s.options.get("opt0").unwrap();
    assert_eq!(o.get("npv_usd").unwrap().cvar5, Some(3.5)); // mean of 1..=6
    assert_eq!(o.get("capex_usd").unwrap().cvar5, Some(98.5)); // mean of 96..=101
    assert_eq!(o.get("payback_days").unwrap().cvar5, Some(98.5));
    // Same in sketch mode, within the sketch's relative error.
    let mut a = RunAggregate::with_keep_values_limit(1, 1, 0);
    a.add_block(&block(0, n, 1, |p, _, _| (p + 1) as f64));
    let s = a.finish(&names(1));
    let o = s.options.get("opt0").unwrap();
    let (lo, hi) = (
        o.get("npv_usd").unwrap().cvar5.unwrap(),
        o.get("capex_usd").unwrap().cvar5.unwrap(),
    );
    assert!((lo - 3.5).abs() <= 3.5 * SKETCH_RELATIVE_ERROR, "{lo}");
    assert!((hi - 98.5).abs() <= 98.5 * SKETCH_RELATIVE_ERROR, "{hi}");
}

#[test]
fn p_negative_counts_strictly_negative_defined_values() {
    let mut s = MetricSummary::new(true, usize::MAX);
    for x in [
        -2.0,
        -1.0,
        -0.0,
        0.0,
        1.0,
        f64::NAN,
        2.0,
        -3.0,
        f64::NAN,
        5.0,
    ] {
        s.add(x);
    }
    let st = s.finish();
    assert_eq!((st.count, st.n_undefined), (8, 2));
    assert_eq!(st.p_negative, Some(3.0 / 8.0));
    assert_eq!(st.min, Some(-3.0));
    assert!((st.mean.unwrap() - 2.0 / 8.0).abs() < 1e-15);
}

#[test]
fn paired_comparison_is_per_path_with_half_ties() {
    // npv: a = [1, 2, 3, 4], b = [0, 2, 1, NaN] -> win, tie, win, skipped.
    let a = [1.0, 2.0, 3.0, 4.0];
    let b = [0.0, 2.0, 1.0, f64::NAN];
    let mut agg = RunAggregate::new(2, 1);
    agg.add_block(&block(0, 4, 2, |p, o, m| match (m, o) {
        (idx::NPV_USD | idx::PAYBACK_DAYS | idx::GOODPUT, 0) => a[p as usize],
        (idx::NPV_USD | idx::PAYBACK_DAYS | idx::GOODPUT, _) => b[p as usize],
        _ => 1.0,
    }));
    let s = agg.finish(&["A".into(), "B".into()]);
    let pair = s.pairs.get("A vs B").unwrap();
    assert_eq!((pair.a.as_str(), pair.b.as_str()), ("A", "B"));
    let npv = pair.metrics.get("npv_usd").unwrap();
    assert_eq!(npv.n_compared, 3);
    assert_eq!(npv.p_a_better, Some(5.0 / 6.0));
    let se = (5.0 / 6.0 * (1.0 / 6.0) / 3.0f64).sqrt();
    assert!((npv.p_a_better_se.unwrap() - se).abs() < 1e-15);
    assert_eq!((npv.difference.count, npv.difference.n_undefined), (3, 1));
    assert_eq!(
        (npv.difference.min, npv.difference.max),
        (Some(0.0), Some(2.0))
    );
    assert_eq!(npv.difference.mean, Some(1.0));
    // Ratio: b = 0 and b = NaN are undefined; 2/2 and 3/1 remain.
    assert_eq!((npv.ratio.count, npv.ratio.n_undefined), (2, 2));
    assert_eq!((npv.ratio.min, npv.ratio.max), (Some(1.0), Some(3.0)));
    // payback_days: lower is better, so a loses where it is larger.
    let pb = pair.metrics.get("payback_days").unwrap();
    assert_eq!(pb.p_a_better, Some(1.0 / 6.0));
    // Identical options: every path a tie -> 0.5.
    let rev = pair.metrics.get("availability").unwrap();
    assert_eq!(
        (rev.p_a_better, rev.p_a_better_se),
        (Some(0.5), Some((0.25f64 / 4.0).sqrt()))
    );
    // Equal marginals, opposite paths: the pairing is per path.
    let mut agg = RunAggregate::new(2, 1);
    agg.add_block(&block(
        0,
        2,
        2,
        |p, o, _| if (p as usize) == o { 1.0 } else { 2.0 },
    ));
    let s = agg.finish(&["A".into(), "B".into()]);
    let npv = s
        .pairs
        .get("A vs B")
        .unwrap()
        .metrics
        .get("npv_usd")
        .unwrap()
        .clone();
    assert_eq!(
        (npv.difference.min, npv.difference.max, npv.p_a_better),
        (Some(-1.0), Some(1.0), Some(0.5))
    );
    assert_eq!(s.pairs.len(), 1);
    assert_eq!(RunAggregate::new(4, 1).pairs().len(), 6);
}

#[test]
fn undefined_values_are_counted_and_excluded() {
    let mut agg = RunAggregate::new(1, 2);
    agg.add_block(&block(0, 10, 1, |p, _, m| match m {
        idx::GOODPUT if p.is_multiple_of(3) => f64::NAN, // paths 0, 3, 6, 9
        idx::IRR => f64::NAN,
        _ => p as f64,
    }));
    let s = agg.finish(&names(1));
    let o = s.options.get("opt0").unwrap();
    let g = o.get("goodput").unwrap();
    assert_eq!((g.count, g.n_undefined), (6, 4));
    assert_eq!(g.mean, Some((1 + 2 + 4 + 5 + 7 + 8) as f64 / 6.0));
    let irr = o.get("irr").unwrap();
    assert_eq!((irr.count, irr.n_undefined), (0, 10));
    assert_eq!(*irr, MetricStats::empty(10, QuantileMethod::Exact));
    assert_eq!(o.len(), crate::model::outputs::SCALAR_METRICS.len() + 2);
    assert!(o.get("cash_flow_y2_usd").is_some() && o.get("cash_flow_y3_usd").is_none());
    assert_all_finite(&s);
}

#[test]
fn summary_never_contains_non_finite_figures() {
    // Empty run, one path, extreme magnitudes that overflow intermediate sums.
    let empty = RunAggregate::new(2, 3).finish(&names(2));
    assert_all_finite(&empty);
    let mut one = RunAggregate::new(2, 3);
    one.add_block(&block(0, 1, 2, synth));
    assert_all_finite(&one.finish(&names(2)));
    for limit in [usize::MAX, 0] {
        let mut big = RunAggregate::with_keep_values_limit(2, 3, limit);
        big.add_block(&block(0, 50, 2, |p, o, _| {
            if (p as usize + o).is_multiple_of(2) {
                1.7e308
            } else {
                -1.7e308
            }
        }));
        assert_all_finite(&big.finish(&names(2)));
    }
    let mut s = MetricSummary::new(true, usize::MAX);
    s.add(f64::INFINITY);
    s.add(f64::NEG_INFINITY);
    assert_eq!(s.finish(), MetricStats::empty(2, QuantileMethod::Exact));
}

#[test]
fn summary_json_is_keyed_by_names_in_metric_order() {
    let mut agg = RunAggregate::new(2, 2);
    agg.add_block(&block(0, 20, 2, synth));
    let s = agg.finish(&["trn2".into(), "h100".into()]);
    let json = serde_json::to_string(&s).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["n_paths"], 20);
    assert_eq!(v["options"]["trn2"]["npv_usd"]["count"], 20);
    assert_eq!(v["options"]["h100"]["npv_usd"]["quantile_method"], "exact");
    assert!(v["pairs"]["trn2 vs h100"]["metrics"]["npv_usd"]["p_a_better"].is_number());
    assert_eq!(v["metrics"]["npv_usd"]["unit"], "USD");
    // Metric order as in the record, not alphabetical.
    let first = json.find("\"npv_usd\":{\"count\"").unwrap();
    let later = json.find("\"capex_usd\":{\"count\"").unwrap();
    assert!(first < later);
}

/// One option, one year, horizon `h` days, with `payback_days` of path `p` = `pb[p]` (every
/// other metric 1).
fn payback_run(h: u32, pb: &[f64]) -> RunAggregate {
    let mut agg = RunAggregate::new(1, 1).with_horizon_days(h);
    agg.add_block(&block(0, pb.len() as u32, 1, |p, _, m| {
        if m == idx::PAYBACK_DAYS {
            pb[p as usize]
        } else {
            1.0
        }
    }));
    agg
}

#[test]
fn payback_figures_are_over_paying_paths_with_p_never_beside() {
    // Horizon 100 days: 101 = never. Paths paying back: 30, 50, 100 (on the last day), 0 (never
    // went negative) and 90 -> count 5, mean 270 / 5 = 54; never: 3 of 8 -> 0.375.
    let pb = [30.0, 101.0, 50.0, 101.0, 100.0, 0.0, 101.0, 90.0];
    let s = payback_run(100, &pb).finish(&names(1));
    let o = s.options.get("opt0").unwrap();
    let p = o.get("payback_days").unwrap();
    assert_eq!((p.count, p.n_undefined, p.n_never), (5, 0, Some(3)));
    assert_eq!(p.p_never, Some(0.375));
    assert_eq!(p.mean, Some(54.0));
    assert_eq!((p.min, p.max, p.p50), (Some(0.0), Some(100.0), Some(50.0)));
    // Metrics without a never value report none.
    let npv = o.get("npv_usd").unwrap();
    assert_eq!((npv.n_never, npv.p_never), (None, None));
    assert_eq!(npv.count, 8);

    // Shards merge to the same figures.
    let mut a = payback_run(100, &pb[..3]);
    let mut b = RunAggregate::new(1, 1).with_horizon_days(100);
    b.add_block(&block(3, 5, 1, |p, _, m| {
        if m == idx::PAYBACK_DAYS {
            pb[p as usize]
        } else {
            1.0
        }
    }));
    a += &b;
    assert_eq!(
        a.finish(&names(1))
            .options
            .get("opt0")
            .unwrap()
            .get("payback_days"),
        Some(p)
    );

    // Every path never pays back: no figures, P(never) = 1.
    let s = payback_run(100, &[101.0; 3]).finish(&names(1));
    let p = s.options.get("opt0").unwrap().get("payback_days").unwrap();
    assert_eq!(
        (p.count, p.mean, p.n_never, p.p_never),
        (0, None, Some(3), Some(1.0))
    );

    // A horizon in days, not whole years: 54 days, so 55 is never and 54 is not.
    let s = payback_run(54, &[54.0, 55.0]).finish(&names(1));
    let p = s.options.get("opt0").unwrap().get("payback_days").unwrap();
    assert_eq!((p.count, p.mean, p.p_never), (1, Some(54.0), Some(0.5)));
    // Without the horizon in days the aggregate assumes 365 x years (and sees no never).
    let mut d = RunAggregate::new(1, 1);
    d.add_block(&block(0, 1, 1, |_, _, _| 55.0));
    let s = d.finish(&names(1));
    let p = s.options.get("opt0").unwrap().get("payback_days").unwrap();
    assert_eq!((p.count, p.p_never), (1, Some(0.0)));
}

#[test]
fn paired_payback_ranks_never_last_and_differences_only_paying_paths() {
    // Horizon 100: a = [30, never, 50, never], b = [40, 40, never, never].
    // P(a better), lower is better: win, loss, win, tie -> (2 + 0 + 2 + 1) / 8.
    let a = [30.0, 101.0, 50.0, 101.0];
    let b = [40.0, 40.0, 101.0, 101.0];
    let mut agg = RunAggregate::new(2, 1).with_horizon_days(100);
    agg.add_block(&block(0, 4, 2, |p, o, m| match (m, o) {
        (idx::PAYBACK_DAYS, 0) => a[p as usize],
        (idx::PAYBACK_DAYS, _) => b[p as usize],
        _ => 1.0,
    }));
    let s = agg.finish(&["A".into(), "B".into()]);
    let pb = s
        .pairs
        .get("A vs B")
        .unwrap()
        .metrics
        .get("payback_days")
        .unwrap();
    assert_eq!((pb.n_compared, pb.p_a_better), (4, Some(5.0 / 8.0)));
    // Only path 0 has both paying back: difference -10, ratio 0.75; 3 paths never on a side.
    let d = &pb.difference;
    assert_eq!(
        (d.count, d.mean, d.n_never, d.p_never),
        (1, Some(-10.0), Some(3), Some(0.75))
    );
    assert_eq!((pb.ratio.count, pb.ratio.mean), (1, Some(0.75)));
    assert_eq!(pb.ratio_undefined_reason, None);
    let npv = s
        .pairs
        .get("A vs B")
        .unwrap()
        .metrics
        .get("npv_usd")
        .unwrap();
    assert_eq!((npv.difference.n_never, npv.difference.count), (None, 4));
}

/// The NPV pair of two options with per-path NPVs `a` and `b` (every other metric 1).
fn npv_pair(a: &[f64], b: &[f64]) -> PairStats {
    let mut agg = RunAggregate::new(2, 1);
    agg.add_block(&block(0, a.len() as u32, 2, |p, o, m| match (m, o) {
        (idx::NPV_USD, 0) => a[p as usize],
        (idx::NPV_USD, _) => b[p as usize],
        _ => 1.0,
    }));
    let s = agg.finish(&["A".into(), "B".into()]);
    s.pairs
        .get("A vs B")
        .unwrap()
        .metrics
        .get("npv_usd")
        .unwrap()
        .clone()
}

#[test]
fn npv_ratio_is_withheld_when_either_side_crosses_zero() {
    // a crosses zero (1 path of 4 below 0): no ratio figures, a reason naming A; the
    // difference and P(a better) stay.
    let p = npv_pair(&[1.0, -1.0, 2.0, 3.0], &[1.0, 1.0, 2.0, 2.0]);
    let why = p.ratio_undefined_reason.as_deref().expect("withheld");
    assert!(
        why.contains("A (25.0% of paths below 0)") && !why.contains("B ("),
        "{why}"
    );
    assert_eq!(
        (p.ratio.count, p.ratio.n_undefined, p.ratio.mean),
        (0, 4, None)
    );
    // a - b = [0, -2, 0, 1]: mean -0.25; tie, loss, tie, win -> P(a better) = 4 / 8.
    assert_eq!(p.difference.count, 4);
    assert!((p.difference.mean.unwrap() + 0.25).abs() < 1e-15);
    assert_eq!(p.p_a_better, Some(0.5));
    // b crosses zero: named B.
    let p = npv_pair(&[1.0; 4], &[-1.0, 1.0, 1.0, 1.0]);
    let why = p.ratio_undefined_reason.as_deref().expect("withheld");
    assert!(
        why.contains("B (25.0% of paths below 0)") && !why.contains("A ("),
        "{why}"
    );
    // Both cross: both named.
    let p = npv_pair(&[-1.0, 1.0], &[1.0, -2.0]);
    let why = p.ratio_undefined_reason.unwrap();
    assert!(
        why.contains("A (50.0%") && why.contains("B (50.0%"),
        "{why}"
    );
    // One sign on each side (zeros included, b = 0 undefined as before): reported.
    let p = npv_pair(&[0.0, 2.0, 3.0, 10.0], &[1.0, 2.0, 0.0, 2.0]); // 0, 1, -, 5
    assert_eq!(p.ratio_undefined_reason, None);
    assert_eq!(
        (p.ratio.count, p.ratio.n_undefined, p.ratio.mean),
        (3, 1, Some(2.0))
    );
    let p = npv_pair(&[-2.0, -4.0], &[-1.0, -1.0]);
    assert_eq!((p.ratio_undefined_reason, p.ratio.mean), (None, Some(3.0)));
    // Merged shards see the signs of both.
    let mut x = RunAggregate::new(2, 1);
    x.add_block(&block(0, 1, 2, |_, _, _| 1.0));
    let mut y = RunAggregate::new(2, 1);
    y.add_block(&block(1, 1, 2, |_, o, _| if o == 0 { -1.0 } else { 1.0 }));
    x += &y;
    let s = x.finish(&["A".into(), "B".into()]);
    let npv = s
        .pairs
        .get("A vs B")
        .unwrap()
        .metrics
        .get("npv_usd")
        .unwrap();
    assert!(npv.ratio_undefined_reason.is_some());
}

#[test]
fn never_metrics_are_those_whose_description_says_horizon_plus_one_is_never() {
    for mi in crate::model::outputs::SCALAR_METRICS {
        assert_eq!(
            mi.description.contains("horizon + 1 = never"),
            never_past_horizon(mi.name),
            "{}: its description and its never_past_horizon row disagree",
            mi.name
        );
    }
}

/// The sketch spans only the magnitudes of each sign it has seen: USD figures of both signs
/// from 1e6 to 1e8 take about 2 x 7 octaves x 128 buckets, not the ~40,000 keys between -1e6
/// and +1e6 (every f32 magnitude below 1e6) that one dense range over both signs would hold.
#[test]
fn sketch_of_both_signs_allocates_only_their_magnitudes() {
    let mut s = QuantileSketch::new();
    let mut x = 1e6;
    while x < 1e8 {
        s.add(x);
        s.add(-x);
        x *= 1.001;
    }
    s.add(0.0);
    // log2(100) = 6.64 octaves a sign, 128 buckets each, allocated with at most 2x slack.
    let needed = 2.0 * 6.64 * 128.0;
    assert!(
        s.n_buckets() as f64 <= needed + 4.0,
        "{} buckets",
        s.n_buckets()
    );
    assert!(
        s.allocated_buckets() as f64 <= 2.0 * needed + 3.0,
        "{} allocated",
        s.allocated_buckets()
    );
    // Order statistics still run from the most negative value through zero to the largest.
    let n = s.total();
    assert!(s.order_stat(0).unwrap() < -0.99e8);
    assert_eq!(s.order_stat(n / 2).unwrap(), 0.0);
    assert!(s.order_stat(n - 1).unwrap() > 0.99e8);
}

/// A block whose monthly value of path `p`, slot `j` (over options, months and series) is
/// `(p + 1) (j + 1)`: over paths 0..n each slot holds `(j + 1)` times 1..n.
fn monthly_block(first: u32, len: u32, n_opt: u32, n_months: u32) -> PathBlock {
    let per = (n_opt * n_months) as usize * crate::model::outputs::N_MONTHLY;
    let mut b = PathBlock::zeroed(first, len, n_opt);
    b.n_months = n_months;
    b.monthly = (0..len)
        .flat_map(|i| (0..per).map(move |j| f64::from(first + i + 1) * (j + 1) as f64))
        .collect();
    b
}

#[test]
fn monthly_bands_merge_exactly_and_follow_type_7() {
    use crate::model::outputs::{MONTHLY_METRICS, N_MONTHLY};
    let (n_opt, n_months, n) = (2u32, 3u32, 100u32);
    let names = names(2);
    let mut one = TimeseriesAggregate::new(2, 3, 90);
    one.add_block(&monthly_block(0, n, n_opt, n_months));
    let want = one.finish(&names);
    assert_eq!(want.rows.len(), 2 * 3 * N_MONTHLY);
    let mut merged = TimeseriesAggregate::new(2, 3, 90);
    let mut late = TimeseriesAggregate::new(2, 3, 90);
    late.add_block(&monthly_block(37, n - 37, n_opt, n_months));
    merged.add_block(&monthly_block(0, 37, n_opt, n_months));
    merged += &late;
    let got = merged.finish(&names);
    for (a, b) in want.rows.iter().zip(&got.rows) {
        assert_eq!(
            (&a.option, a.month, a.metric, a.n, a.p5, a.p50, a.p95),
            (&b.option, b.month, b.metric, b.n, b.p5, b.p50, b.p95)
        );
        assert!((a.mean.unwrap() - b.mean.unwrap()).abs() <= 1e-9 * a.mean.unwrap());
    }
    // Option 1, month 2, series k sits in slot j = (1 * 3 + 1) * N_MONTHLY + k; type 7 over
    // (j + 1) * {1..100}: P5 = 1 + 0.05 * 99, P50 = mean = 50.5, P95 = 1 + 0.95 * 99.
    for (k, mi) in MONTHLY_METRICS.iter().enumerate() {
        let r = want
            .rows
            .iter()
            .find(|r| r.option == "opt1" && r.month == 2 && r.metric == mi.name)
            .unwrap();
        let (option, month) = (1, 1);
        let f = ((option * 3 + month) * N_MONTHLY + k + 1) as f64;
        let close = |x: Option<f64>, y: f64| (x.unwrap() - y * f).abs() <= 1e-9 * y * f;
        assert!(close(r.p5, 5.95) && close(r.p25, 25.75) && close(r.p50, 50.5));
        assert!(close(r.p75, 75.25) && close(r.p95, 95.05) && close(r.mean, 50.5));
        assert_eq!(
            (r.day_start, r.day_end, r.n, r.unit),
            (31, 61, 100, mi.unit)
        );
    }
    // The last month is cut at the horizon (day 90, inside month 3 of 365/12 days).
    assert!(
        want.rows
            .iter()
            .filter(|r| r.month == 3)
            .all(|r| r.day_end == 90)
    );
}

#[test]
fn monthly_bands_past_the_kept_values_come_from_the_sketch() {
    let n = (TIMESERIES_KEEP_VALUES + 904) as u32;
    let mut agg = TimeseriesAggregate::new(1, 1, 30);
    agg.add_block(&monthly_block(0, n, 1, 1));
    let r = &agg.finish(&names(1)).rows[0];
    // Slot 0 holds 1..n: P50 = (n + 1) / 2, within the sketch's relative error.
    let p50 = f64::from(n + 1) / 2.0;
    assert!((r.p50.unwrap() - p50).abs() <= SKETCH_RELATIVE_ERROR * p50 + 1.0);
    assert_eq!(r.n, u64::from(n));
}

#[test]
fn npv_decomposition_lines_sum_to_the_difference_with_their_standard_errors() {
    use crate::model::outputs::NPV_COMPONENTS;
    // Records whose NPV is the signed sum of their present-value lines, as the engines'.
    let rec = |p: u32, o: usize, m: usize| {
        if m == idx::NPV_USD {
            NPV_COMPONENTS
                .iter()
                .filter(|c| c.sign != 0)
                .map(|c| f64::from(c.sign) * synth(p, o, c.index))
                .sum()
        } else {
            synth(p, o, m)
        }
    };
    let n = 400u32;
    let mut agg = RunAggregate::new(2, 5);
    agg.add_block(&block(0, n, 2, rec));
    let d = agg.finish(&names(2)).npv_decomposition.0.remove(0).1;
    assert_eq!(
        (d.a.as_str(), d.b.as_str(), d.n_paths),
        ("opt0", "opt1", 400)
    );
    let total = d.npv_difference.mean_usd.unwrap();
    assert!(d.unexplained_usd.unwrap().abs() <= 1e-9 * total.abs().max(1e6));
    for (line, c) in d.components.iter().zip(NPV_COMPONENTS.iter()) {
        let x: Vec<f64> = (0..n)
            .map(|p| {
                let diff = rec(p, 0, c.index) - rec(p, 1, c.index);
                if c.sign < 0 { -diff } else { diff }
            })
            .collect();
        let mean = x.iter().sum::<f64>() / f64::from(n);
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / f64::from(n - 1);
        let se = (var / f64::from(n)).sqrt();
        assert_eq!((line.name, line.in_npv), (c.name, c.sign != 0));
        assert!((line.mean_usd.unwrap() - mean).abs() <= 1e-9 * mean.abs().max(1.0));
        assert!((line.se_usd.unwrap() - se).abs() <= 1e-9 * se.max(1.0));
    }
    // Merged shards agree with one pass.
    let mut a = RunAggregate::new(2, 5);
    a.add_block(&block(0, 150, 2, rec));
    let mut b = RunAggregate::new(2, 5);
    b.add_block(&block(150, n - 150, 2, rec));
    a += &b;
    let m = a.finish(&names(2)).npv_decomposition.0.remove(0).1;
    for (x, y) in m.components.iter().zip(&d.components) {
        let (x, y) = (x.mean_usd.unwrap(), y.mean_usd.unwrap());
        assert!((x - y).abs() <= 1e-9 * y.abs().max(1.0));
    }
}
