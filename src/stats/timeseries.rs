//! Monthly bands over paths: per (option, month, monthly series of `outputs::MONTHLY_METRICS`)
//! a mergeable [`MetricSummary`] of the paths' values, finished into the rows of
//! `timeseries.csv` (P5, P25, P50, P75, P95 and mean). Memory is bounded whatever the number of
//! paths: each cell keeps at most [`TIMESERIES_KEEP_VALUES`] values for exact quantiles, then a
//! [`super::QuantileSketch`].

use std::ops::AddAssign;

use rayon::prelude::*;
use serde::Serialize;

use super::MetricSummary;
use crate::engine::PathBlock;
use crate::model::fleet_step::sla_month_start;
use crate::model::outputs::{MONTHLY_METRICS, N_MONTHLY};

/// Most values a monthly cell keeps for exact quantiles (600 cells of a 5-year, 2-option run
/// keep at most 20 MB); beyond it the cell's quantiles come from its sketch.
pub const TIMESERIES_KEEP_VALUES: usize = 4096;

/// Mergeable monthly bands of a run: `cells[(o * n_months + month) * N_MONTHLY + k]`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TimeseriesAggregate {
    n_options: usize,
    n_months: usize,
    horizon_days: u32,
    cells: Vec<MetricSummary>,
}

/// One row of `timeseries.csv`: one option's band of one monthly series in one month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimeseriesRow {
    /// Option name.
    pub option: String,
    /// Month, 1-based.
    pub month: u32,
    /// First day of the month (days from the start of the horizon).
    pub day_start: u32,
    /// Day after its last day (the horizon for the last month).
    pub day_end: u32,
    /// Series name (`outputs::MONTHLY_METRICS`).
    pub metric: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// Paths with a value.
    pub n: u64,
    /// Mean over paths.
    pub mean: Option<f64>,
    /// Quantiles over paths (type 7; from the sketch past [`TIMESERIES_KEEP_VALUES`] paths).
    pub p5: Option<f64>,
    /// 25th percentile.
    pub p25: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 75th percentile.
    pub p75: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
}

/// The finished monthly bands: rows by option (in order), series (table order), month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timeseries {
    /// The rows.
    pub rows: Vec<TimeseriesRow>,
}

impl TimeseriesAggregate {
    /// An empty aggregate for `n_options` options and `n_months` months of a horizon of
    /// `horizon_days` days.
    pub fn new(n_options: usize, n_months: usize, horizon_days: u32) -> Self {
        let cells = (0..n_options * n_months)
            .flat_map(|_| {
                MONTHLY_METRICS
                    .iter()
                    .map(|mi| MetricSummary::new(mi.higher_is_better, TIMESERIES_KEEP_VALUES))
            })
            .collect();
        TimeseriesAggregate {
            n_options,
            n_months,
            horizon_days,
            cells,
        }
    }

    /// Months per series.
    pub fn n_months(&self) -> usize {
        self.n_months
    }

    /// Adds the monthly series of every path of a block.
    ///
    /// # Panics
    /// If the block has another shape (options, months) than the aggregate.
    pub fn add_block(&mut self, block: &PathBlock) {
        assert_eq!(
            (block.n_options as usize, block.n_months as usize),
            (self.n_options, self.n_months),
            "block's monthly series do not match the aggregate's"
        );
        let n_paths = block.n_paths as usize;
        let per_path = self.n_options * self.n_months * N_MONTHLY;
        assert!(
            block.monthly.len() >= n_paths * per_path,
            "block monthly too short"
        );
        let vals = &block.monthly;
        self.cells.par_iter_mut().enumerate().for_each(|(j, s)| {
            for i in 0..n_paths {
                s.add(vals[i * per_path + j]);
            }
        });
    }

    /// The finished bands, options named by `names` (missing names become `option_<i>`).
    pub fn finish(&self, names: &[String]) -> Timeseries {
        let stats: Vec<_> = self.cells.par_iter().map(MetricSummary::finish).collect();
        let mut rows = Vec::with_capacity(stats.len());
        for o in 0..self.n_options {
            let option = names
                .get(o)
                .cloned()
                .unwrap_or_else(|| format!("option_{o}"));
            for (k, mi) in MONTHLY_METRICS.iter().enumerate() {
                for month in 0..self.n_months {
                    let st = &stats[(o * self.n_months + month) * N_MONTHLY + k];
                    let m = month as u32;
                    rows.push(TimeseriesRow {
                        option: option.clone(),
                        month: m + 1,
                        day_start: sla_month_start(m).min(self.horizon_days),
                        day_end: sla_month_start(m + 1).min(self.horizon_days),
                        metric: mi.name,
                        unit: mi.unit,
                        n: st.count,
                        mean: st.mean,
                        p5: st.p5,
                        p25: st.p25,
                        p50: st.p50,
                        p75: st.p75,
                        p95: st.p95,
                    });
                }
            }
        }
        Timeseries { rows }
    }
}

impl AddAssign<&TimeseriesAggregate> for TimeseriesAggregate {
    /// Merges a shard of other paths of the same run (exact counts and quantiles; moments to
    /// rounding).
    ///
    /// # Panics
    /// If the shards have other shapes.
    fn add_assign(&mut self, other: &TimeseriesAggregate) {
        assert_eq!(
            (self.n_options, self.n_months, self.horizon_days),
            (other.n_options, other.n_months, other.horizon_days),
            "merging monthly bands of different runs"
        );
        self.cells
            .par_iter_mut()
            .zip(other.cells.par_iter())
            .for_each(|(a, b)| *a += b);
    }
}
