//! The per-path outputs of MODEL.md section 3: their order in an engine's output record, names,
//! units, and which direction is "better" (for CVaR and paired comparisons).

use super::params::MAX_YEARS;

/// Describes one per-path output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricInfo {
    /// snake_case name with unit suffix, as written in every export.
    pub name: &'static str,
    /// Unit in words, for tables and docs.
    pub unit: &'static str,
    /// True when larger values are better (NPV, availability); false for costs and failures.
    pub higher_is_better: bool,
    /// True when a path may have no value (IRR without a sign change, goodput without a job
    /// view, cost per hour with no delivered hours). Undefined values travel as NaN inside an
    /// engine's record and become empty cells / nulls in exports; for any other metric a NaN
    /// is a bug and is reported as an error.
    pub may_be_undefined: bool,
    /// One-line meaning, for `--help`, README and summary.json.
    pub description: &'static str,
}

const fn m(
    name: &'static str,
    unit: &'static str,
    higher_is_better: bool,
    may_be_undefined: bool,
    description: &'static str,
) -> MetricInfo {
    MetricInfo {
        name,
        unit,
        higher_is_better,
        may_be_undefined,
        description,
    }
}

/// Index of each scalar metric in a path's output record (the row's position in the table
/// `model::tables::scalar_metrics`), then the yearly cash flows.
pub mod idx {
    use crate::model::tables::{index_consts_metrics, scalar_metrics};
    scalar_metrics!(index_consts_metrics!(0, CASH_FLOW_Y1));
}

/// Record index of the scalar metric named `name` (as in exports), if there is one.
pub fn metric_index(name: &str) -> Option<usize> {
    SCALAR_METRICS.iter().position(|m| m.name == name)
}

/// [`MetricInfo`] rows from the metric table.
macro_rules! metric_infos {
    (() $($id:ident = $name:literal, $unit:literal, $dir:ident, $def:ident, $doc:literal;)*) => {
        [$(m($name, $unit, Direction::$dir.higher_is_better(), Defined::$def.may_be_undefined(), $doc)),*]
    };
}

/// Which way a metric is better, as written in the table.
#[allow(non_camel_case_types)]
enum Direction {
    higher,
    lower,
}

impl Direction {
    const fn higher_is_better(self) -> bool {
        matches!(self, Direction::higher)
    }
}

/// Whether a metric may be undefined on a path, as written in the table.
#[allow(non_camel_case_types)]
enum Defined {
    always_defined,
    may_be_undefined,
}

impl Defined {
    const fn may_be_undefined(self) -> bool {
        matches!(self, Defined::may_be_undefined)
    }
}

/// The scalar metrics, in record order.
pub const SCALAR_METRICS: [MetricInfo; idx::CASH_FLOW_Y1] =
    crate::model::tables::scalar_metrics!(metric_infos!());

/// Values per option in a path's output record: the scalars, then `MAX_YEARS` yearly cash
/// flows (only the first `n_years` are meaningful).
pub const N_OUT: usize = idx::CASH_FLOW_Y1 + MAX_YEARS;

/// Name of yearly cash flow `y` (0-based), e.g. `cash_flow_y1_usd`.
pub fn cash_flow_name(y: usize) -> String {
    format!("cash_flow_y{}_usd", y + 1)
}

/// All metrics of a run with `n_years` years: the scalars and the yearly cash flows, with
/// their record index.
pub fn metrics_for(n_years: usize) -> Vec<(usize, MetricInfo, String)> {
    let mut v: Vec<(usize, MetricInfo, String)> = SCALAR_METRICS
        .iter()
        .enumerate()
        .map(|(i, mi)| (i, *mi, mi.name.to_string()))
        .collect();
    for y in 0..n_years.min(MAX_YEARS) {
        v.push((
            idx::CASH_FLOW_Y1 + y,
            m(
                "cash_flow_usd",
                "USD",
                true,
                false,
                "undiscounted cash flow of one year (residual value in the last)",
            ),
            cash_flow_name(y),
        ));
    }
    v
}
