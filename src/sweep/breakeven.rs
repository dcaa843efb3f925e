//! Break-evens along grid axes: where the P50 of the paired difference (option a minus option
//! b, per path) of the decision metric changes sign, by linear interpolation between the two
//! grid values that bracket the change. On a grid with several axes every axis is read in 1-D
//! slices: one slice per combination of the other axes' values.

use serde::Serialize;

use crate::stats::NamedMap;

/// One 1-D slice of a grid along one axis and what the decision does along it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Slice {
    /// The axis varied (its key path).
    pub axis: String,
    /// The other axes' values fixing the slice: key path -> value, in axis order.
    pub others: NamedMap<f64>,
    /// Axis values where the P50 of a - b changes sign (ascending), interpolated linearly; a
    /// grid value where it is exactly 0 counts as one.
    pub break_evens: Vec<f64>,
    /// Which option the P50 favours at the slice's lowest axis value with a defined P50
    /// (`None` where a tie or undefined everywhere).
    pub better_at_lo: Option<String>,
    /// Which option it favours at the highest.
    pub better_at_hi: Option<String>,
}

/// Axis values where `y` changes sign along `xy` (sorted by x here; points whose y is
/// undefined are skipped, so a change across them is interpolated between the defined
/// neighbours). A value where y is exactly 0 is reported once.
pub fn sign_changes(xy: &[(f64, Option<f64>)]) -> Vec<f64> {
    let mut pts: Vec<(f64, f64)> = xy
        .iter()
        .filter_map(|&(x, y)| y.filter(|v| v.is_finite()).map(|v| (x, v)))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<f64> = Vec::new();
    for (i, &(x0, y0)) in pts.iter().enumerate() {
        if y0 == 0.0 {
            // A zero between two zeros adds nothing new; the first zero of a run is the one.
            if i == 0 || pts[i - 1].1 != 0.0 {
                out.push(x0);
            }
            continue;
        }
        if let Some(&(x1, y1)) = pts.get(i + 1)
            && y1 != 0.0
            && (y0 < 0.0) != (y1 < 0.0)
        {
            out.push(x0 + (0.0 - y0) * (x1 - x0) / (y1 - y0));
        }
    }
    out
}

/// Which option a difference `d` of a - b favours, given the metric's direction.
pub fn favoured(d: Option<f64>, higher_is_better: bool, a: &str, b: &str) -> Option<String> {
    let d = d?;
    if d == 0.0 {
        return None;
    }
    Some(if (d > 0.0) == higher_is_better { a } else { b }.to_string())
}

/// Every 1-D slice of a grid: `values[axis]` are the grid values of each axis (in the order
/// the points index them), `points[p]` the value index of point `p` on every axis, `y[p]` the
/// P50 of a - b at point `p`.
pub fn slices(
    keys: &[String],
    values: &[Vec<f64>],
    points: &[Vec<usize>],
    y: &[Option<f64>],
    higher_is_better: bool,
    a: &str,
    b: &str,
) -> Vec<Slice> {
    let mut out = Vec::new();
    for (ax, key) in keys.iter().enumerate() {
        // Group the points by their indices on the other axes, in first-seen order.
        let mut groups: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        for (p, idx) in points.iter().enumerate() {
            let mut other = idx.clone();
            other.remove(ax);
            match groups.iter_mut().find(|g| g.0 == other) {
                Some(g) => g.1.push(p),
                None => groups.push((other, vec![p])),
            }
        }
        for (_, members) in groups {
            let mut xy: Vec<(f64, Option<f64>)> = members
                .iter()
                .map(|&p| (values[ax][points[p][ax]], y[p]))
                .collect();
            xy.sort_by(|l, r| l.0.total_cmp(&r.0));
            let first = members[0];
            let others = keys
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != ax)
                .map(|(k, key)| (key.clone(), values[k][points[first][k]]))
                .collect();
            let others = NamedMap(others);
            let defined: Vec<f64> = xy.iter().filter_map(|p| p.1).collect();
            out.push(Slice {
                axis: key.clone(),
                others,
                break_evens: sign_changes(&xy),
                better_at_lo: favoured(defined.first().copied(), higher_is_better, a, b),
                better_at_hi: favoured(defined.last().copied(), higher_is_better, a, b),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_roots_are_recovered_exactly() {
        // y = 3 (x - 0.37) on an uneven grid, given out of order.
        let xs = [0.9, 0.1, 0.3, 0.5, 0.2];
        let xy: Vec<(f64, Option<f64>)> = xs.iter().map(|&x| (x, Some(3.0 * (x - 0.37)))).collect();
        let r = sign_changes(&xy);
        assert_eq!(r.len(), 1);
        assert!((r[0] - 0.37).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn no_change_zeros_and_gaps() {
        assert!(sign_changes(&[(1.0, Some(2.0)), (2.0, Some(1.0))]).is_empty());
        assert_eq!(
            sign_changes(&[
                (1.0, Some(-1.0)),
                (2.0, Some(0.0)),
                (3.0, Some(0.0)),
                (4.0, Some(1.0))
            ]),
            [2.0]
        );
        // An undefined point is skipped: the change is between its neighbours.
        let r = sign_changes(&[(0.0, Some(-1.0)), (1.0, None), (2.0, Some(1.0))]);
        assert_eq!(r, [1.0]);
        // Two crossings.
        let r = sign_changes(&[(0.0, Some(1.0)), (1.0, Some(-1.0)), (2.0, Some(3.0))]);
        assert_eq!(r, [0.5, 1.25]);
    }

    #[test]
    fn two_axis_grids_give_one_slice_per_other_value() {
        // y = x0 - x1 on a 3 x 2 grid: along x0 the root is x1, along x1 it is x0.
        let keys = vec!["x0".to_string(), "x1".to_string()];
        let values = vec![vec![0.0, 1.0, 2.0], vec![0.5, 1.5]];
        let points: Vec<Vec<usize>> = (0..3)
            .flat_map(|i| (0..2).map(move |j| vec![i, j]))
            .collect();
        let y: Vec<Option<f64>> = points
            .iter()
            .map(|p| Some(values[0][p[0]] - values[1][p[1]]))
            .collect();
        let s = slices(&keys, &values, &points, &y, true, "a", "b");
        assert_eq!(s.len(), 2 + 3);
        let along0: Vec<&Slice> = s.iter().filter(|x| x.axis == "x0").collect();
        assert_eq!(along0[0].others.0, vec![("x1".to_string(), 0.5)]);
        assert_eq!(along0[0].break_evens, [0.5]);
        assert_eq!(along0[1].break_evens, [1.5]);
        assert_eq!(along0[0].better_at_lo.as_deref(), Some("b"));
        assert_eq!(along0[0].better_at_hi.as_deref(), Some("a"));
        let along1: Vec<&Slice> = s.iter().filter(|x| x.axis == "x1").collect();
        assert_eq!(along1[0].break_evens, Vec::<f64>::new()); // x0 = 0: y < 0 throughout
        assert_eq!(along1[1].break_evens, [1.0]);
        // Lower is better: the favoured option flips.
        let s = slices(&keys, &values, &points, &y, false, "a", "b");
        assert_eq!(s[0].better_at_lo.as_deref(), Some("a"));
    }
}
