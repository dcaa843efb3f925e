//! Spearman rank correlation: average ranks (ties share the mean of their positions) and the
//! Pearson correlation of those ranks, over the pairs where both values are finite.

/// Ranks `1..=n` of `x` in ascending order, tied values getting the mean of their positions.
/// `x` must hold no NaN (callers drop undefined values first).
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && x[order[j]] == x[order[i]] {
            j += 1;
        }
        // Positions i..j (0-based) share rank mean(i+1 ..= j).
        let rank = 0.5 * ((i + 1) + j) as f64;
        for &k in &order[i..j] {
            r[k] = rank;
        }
        i = j;
    }
    r
}

/// Pearson correlation of two equally long series; `None` with fewer than 3 values or when
/// either is constant (no rank information).
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 3 {
        return None;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x[..n].iter().zip(&y[..n]) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Spearman's rank correlation of `x` and `y` over the indices where both are finite, with
/// the number of pairs used; `None` as for [`pearson`].
pub fn spearman(x: &[f64], y: &[f64]) -> (Option<f64>, usize) {
    let (xs, ys): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .unzip();
    let n = xs.len();
    (pearson(&average_ranks(&xs), &average_ranks(&ys)), n)
}

/// Approximate standard error of a Spearman coefficient `rho` from `n` pairs (Fieller,
/// Hartley and Pearson 1957: `sqrt(1.06 / (n - 3))` on Fisher's z scale, mapped back by the
/// delta method, `(1 - rho^2) sqrt(1.06 / (n - 3))`).
pub fn spearman_se(rho: f64, n: usize) -> Option<f64> {
    (n > 3).then(|| (1.0 - rho * rho) * (1.06 / (n as f64 - 3.0)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_mean_rank() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]),
            vec![4.0, 1.0, 4.0, 2.0, 4.0]
        );
        assert_eq!(average_ranks(&[]), Vec::<f64>::new());
    }

    #[test]
    fn monotone_maps_give_plus_or_minus_one() {
        let x: Vec<f64> = (0..50).map(|i| (i as f64 * 0.37).sin()).collect();
        let up: Vec<f64> = x.iter().map(|v| v.exp()).collect();
        let down: Vec<f64> = x.iter().map(|v| -v * v * v).collect();
        assert_eq!(spearman(&x, &up).0, Some(1.0));
        assert!((spearman(&x, &down).0.unwrap() + 1.0).abs() < 1e-12);
    }

    #[test]
    fn classic_example_matches_the_formula_without_ties() {
        // Without ties rho = 1 - 6 sum d^2 / (n (n^2 - 1)).
        let x = [
            86.0, 97.0, 99.0, 100.0, 101.0, 103.0, 106.0, 110.0, 112.0, 113.0,
        ];
        let y = [2.0, 20.0, 28.0, 27.0, 50.0, 29.0, 7.0, 17.0, 6.0, 12.0];
        let (rx, ry) = (average_ranks(&x), average_ranks(&y));
        let d2: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - b) * (a - b)).sum();
        let n = x.len() as f64;
        let want = 1.0 - 6.0 * d2 / (n * (n * n - 1.0));
        let (got, used) = spearman(&x, &y);
        assert_eq!(used, 10);
        assert!((got.unwrap() - want).abs() < 1e-12, "{got:?} vs {want}");
    }

    #[test]
    fn undefined_pairs_are_dropped_and_constants_have_no_correlation() {
        let x = [1.0, 2.0, f64::NAN, 4.0, 5.0];
        let y = [1.0, 4.0, 9.0, f64::NAN, 25.0];
        assert_eq!(spearman(&x, &y), (Some(1.0), 3));
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[5.0, 5.0, 5.0]).0, None);
    }
}
