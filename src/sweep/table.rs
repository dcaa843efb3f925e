//! The columns of sweep.csv / sweep.parquet and the cells of one (point, option) row, derived
//! from the metric list so names are stable: `point`, the axis columns, `option`, then
//! `{metric}_{stat}` for every metric and [`STATS`] entry (a payback's over the paths that pay
//! back, then its `{metric}_n_never` and `{metric}_p_never`), then the paired columns against the
//! first option (`first_minus_this_{metric}_{stat}`, `p_first_better_{metric}`,
//! `p_first_better_{metric}_se`) for every paired metric.

use crate::export::ColumnKind;
use crate::model::outputs::{SCALAR_METRICS, metrics_for};
use crate::stats::{MetricStats, PAIRED_METRICS, RunSummary};

/// Statistics of every metric, as column suffixes (definitions as in summary.json): the
/// statistic columns of summary.csv without its `quantile_method` (the manifest says it).
pub const STATS: &[&str] = crate::export::STAT_COLUMNS
    .split_at(STAT_COLUMNS_WITHOUT_METHOD)
    .0;

const STAT_COLUMNS_WITHOUT_METHOD: usize = crate::export::STAT_COLUMNS.len() - 1;
const _: () = assert!(matches!(
    crate::export::STAT_COLUMNS[STAT_COLUMNS_WITHOUT_METHOD].as_bytes(),
    b"quantile_method"
));

/// Statistics of the paired difference (first option minus the row's option), as suffixes.
pub const PAIR_STATS: [&str; 8] = ["mean", "sd", "se", "p5", "p25", "p50", "p75", "p95"];

pub use crate::export::Cell;

/// The value columns (after `point`, the axes and `option`) for a run of `n_years` years.
pub fn value_columns(n_years: usize) -> Vec<(String, ColumnKind)> {
    let mut c = Vec::new();
    for (_, mi, m) in metrics_for(n_years, &[]) {
        for &s in STATS {
            let kind = if s == "count" || s == "n_undefined" {
                ColumnKind::Int64
            } else {
                ColumnKind::Double
            };
            c.push((format!("{m}_{s}"), kind));
        }
        if mi.never_past_horizon {
            c.push((format!("{m}_n_never"), ColumnKind::Int64));
            c.push((format!("{m}_p_never"), ColumnKind::Double));
        }
    }
    for &p in &PAIRED_METRICS {
        let m = SCALAR_METRICS[p].name;
        for s in PAIR_STATS {
            c.push((format!("first_minus_this_{m}_{s}"), ColumnKind::Double));
        }
        c.push((format!("p_first_better_{m}"), ColumnKind::Double));
        c.push((format!("p_first_better_{m}_se"), ColumnKind::Double));
    }
    c
}

/// Every column of the sweep table: `point` (INT64), one DOUBLE per axis, `option` (string),
/// then [`value_columns`].
pub fn all_columns(axis_columns: &[String], n_years: usize) -> Vec<(String, ColumnKind)> {
    let mut c = vec![("point".to_string(), ColumnKind::Int64)];
    c.extend(axis_columns.iter().map(|a| (a.clone(), ColumnKind::Double)));
    c.push(("option".to_string(), ColumnKind::Text));
    c.extend(value_columns(n_years));
    c
}

fn pair_cells(s: &MetricStats) -> [Option<f64>; 8] {
    [s.mean, s.sd, s.se, s.p5, s.p25, s.p50, s.p75, s.p95]
}

/// The value cells of every option of one point, in option order, matching
/// [`value_columns`]. The paired cells of option `o > 0` compare the first option with it
/// (`first - this` per path); they are undefined on the first option's row.
pub fn value_cells(summary: &RunSummary, option_names: &[String]) -> Vec<Vec<Cell>> {
    let first = &option_names[0];
    option_names
        .iter()
        .map(|o| {
            let mut row = Vec::new();
            let metrics = summary.options.get(o);
            for (m, _) in summary.metrics.iter() {
                let s = metrics.and_then(|ms| ms.get(m));
                match s {
                    Some(s) => row.extend(crate::export::stat_cells(s)),
                    None => row.extend((0..STATS.len()).map(|_| Cell::Num(None))),
                }
                if crate::stats::never_past_horizon(m) {
                    row.push(Cell::Int(s.and_then(|s| s.n_never).map_or(0, |n| n as i64)));
                    row.push(Cell::Num(s.and_then(|s| s.p_never)));
                }
            }
            let pair = (o != first)
                .then(|| summary.pairs.get(&format!("{first} vs {o}")))
                .flatten();
            for &p in &PAIRED_METRICS {
                let m = SCALAR_METRICS[p].name;
                match pair.and_then(|ps| ps.metrics.get(m)) {
                    Some(ps) => {
                        row.extend(pair_cells(&ps.difference).map(Cell::Num));
                        row.push(Cell::Num(ps.p_a_better));
                        row.push(Cell::Num(ps.p_a_better_se));
                    }
                    None => row.extend((0..PAIR_STATS.len() + 2).map(|_| Cell::Num(None))),
                }
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::PathBlock;
    use crate::model::outputs::{N_OUT, idx};
    use crate::stats::RunAggregate;

    #[test]
    fn cells_match_columns_and_name_units() {
        let names = vec!["a".to_string(), "b".to_string()];
        let mut agg = RunAggregate::new(2, 2);
        let mut b = PathBlock::zeroed(0, 5, 2);
        for i in 0..5 {
            for o in 0..2 {
                let r = (i * 2 + o) * N_OUT;
                b.values[r + idx::NPV_USD] = (10 * i + o) as f64;
                b.values[r + idx::IRR] = f64::NAN;
                // Path 0 never pays back (horizon + 1 of the 2-year run), the others on day i.
                b.values[r + idx::PAYBACK_DAYS] = if i == 0 { 731.0 } else { i as f64 };
            }
        }
        agg.add_block(&b);
        let s = agg.finish(&names);
        let cols = value_columns(2);
        let cells = value_cells(&s, &names);
        assert_eq!(cells.len(), 2);
        for row in &cells {
            assert_eq!(row.len(), cols.len());
            for (c, (name, kind)) in row.iter().zip(&cols) {
                match (c, kind) {
                    (Cell::Int(_), ColumnKind::Int64) | (Cell::Num(_), ColumnKind::Double) => {}
                    _ => panic!("{name}: {c:?} in a {kind:?} column"),
                }
            }
        }
        let at = |row: usize, col: &str| {
            let k = cols.iter().position(|c| c.0 == col).expect(col);
            cells[row][k].clone()
        };
        assert_eq!(at(0, "npv_usd_mean"), Cell::Num(Some(20.0)));
        assert_eq!(at(1, "npv_usd_p50"), Cell::Num(Some(21.0)));
        assert_eq!(at(0, "irr_count"), Cell::Int(0));
        assert_eq!(at(0, "irr_mean"), Cell::Num(None));
        // Paired: first minus this = -1 on every path; empty on the first option's row.
        assert_eq!(at(1, "first_minus_this_npv_usd_p50"), Cell::Num(Some(-1.0)));
        assert_eq!(at(0, "first_minus_this_npv_usd_p50"), Cell::Num(None));
        assert_eq!(at(1, "p_first_better_npv_usd"), Cell::Num(Some(0.0)));
        assert!(cols.iter().any(|c| c.0 == "cash_flow_y2_usd_mean"));
        // A payback: its figures over the 4 paths that pay back, P(never) 1 of 5 beside.
        assert_eq!(at(0, "payback_days_count"), Cell::Int(4));
        assert_eq!(at(0, "payback_days_mean"), Cell::Num(Some(2.5)));
        assert_eq!(at(0, "payback_days_n_never"), Cell::Int(1));
        assert_eq!(at(0, "payback_days_p_never"), Cell::Num(Some(0.2)));
        assert!(!cols.iter().any(|c| c.0 == "npv_usd_p_never"));
    }
}
