//! The per-path outputs of MODEL.md section 3: their order in an engine's output record, names,
//! units, and which direction is "better" (for CVaR and paired comparisons).

use super::params::{MAX_CLASSES, MAX_YEARS};

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
    /// True when the value `horizon_days + 1` means "never within the horizon" (paybacks):
    /// such a metric is summarised over the paths that reach it, with P(never) beside.
    pub never_past_horizon: bool,
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
        never_past_horizon: false,
        description,
    }
}

/// Index of each scalar metric in a path's output record (the row's position in the table
/// `model::tables::scalar_metrics`), then the yearly cash flows.
pub mod idx {
    use crate::model::params::{MAX_CLASSES, MAX_YEARS};
    use crate::model::tables::{index_consts_metrics, scalar_metrics};
    scalar_metrics!(index_consts_metrics!(0, CASH_FLOW_Y1));
    /// Failures of class `c` (hard or soft) at `CLASS_FAILURES + c`, after the yearly flows.
    pub const CLASS_FAILURES: usize = CASH_FLOW_Y1 + MAX_YEARS;
    /// Node-hours lost to class `c` at `CLASS_LOST_NODE_HOURS + c`: its repairs and swaps
    /// (times the blast radius in nodes) and the time its nodes waited for a spare unit.
    pub const CLASS_LOST_NODE_HOURS: usize = CLASS_FAILURES + MAX_CLASSES;
}

/// Slot of each monthly series within a month (`N_MONTHLY` per month), from the table
/// `model::tables::monthly_metrics`.
pub mod mon {
    use crate::model::tables::{index_consts_metrics, monthly_metrics};
    monthly_metrics!(index_consts_metrics!(0, N_MONTHLY));
}
pub use mon::N_MONTHLY;

/// One line of the NPV decomposition (`summary.json` `npv_decomposition`): a present-value
/// metric of the record and the sign it enters `npv_usd` with (0 for a memo line, which is
/// not a cash flow).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NpvComponent {
    /// Name in summary.json (`revenue`, `capex`, ...).
    pub name: &'static str,
    /// Label for tables and charts.
    pub label: &'static str,
    /// Record index of its present value (`idx::PV_*`).
    pub index: usize,
    /// +1 or -1: how the present value enters `npv_usd`; 0: a memo line.
    pub sign: i8,
}

const fn comp(name: &'static str, label: &'static str, index: usize, sign: i8) -> NpvComponent {
    NpvComponent {
        name,
        label,
        index,
        sign,
    }
}

/// The cash-flow lines of `npv_usd` (their signed present values sum to it on every path),
/// then the memo lines of revenue lost to failures and to outages.
pub const NPV_COMPONENTS: [NpvComponent; 11] = [
    comp("revenue", "Revenue", idx::PV_REVENUE_USD, 1),
    comp("sla_credits", "SLA credits", idx::PV_SLA_CREDITS_USD, -1),
    comp("capex", "Capex", idx::PV_CAPEX_USD, -1),
    comp("energy", "Energy", idx::PV_ENERGY_USD, -1),
    comp("rent", "Rent", idx::PV_RENT_USD, -1),
    comp(
        "maintenance_and_parts",
        "Maintenance and parts",
        idx::PV_MAINTENANCE_AND_PARTS_USD,
        -1,
    ),
    comp("operations", "Operations", idx::PV_OPERATIONS_USD, -1),
    comp(
        "facility",
        "Colocation or data-centre power",
        idx::PV_FACILITY_USD,
        -1,
    ),
    comp(
        "residual_value",
        "Residual value",
        idx::PV_RESIDUAL_VALUE_USD,
        1,
    ),
    comp(
        "lost_revenue_failures",
        "Revenue lost to failures",
        idx::PV_LOST_REVENUE_FAILURES_USD,
        0,
    ),
    comp(
        "lost_revenue_outages",
        "Revenue lost to outages",
        idx::PV_LOST_REVENUE_OUTAGES_USD,
        0,
    ),
];

/// Record index of the scalar metric named `name` (as in exports), if there is one.
pub fn metric_index(name: &str) -> Option<usize> {
    SCALAR_METRICS.iter().position(|m| m.name == name)
}

/// [`MetricInfo`] rows from the metric table.
macro_rules! metric_infos {
    (() $($id:ident = $name:literal, $unit:literal, $dir:ident, $def:ident, $doc:literal;)*) => {
        [$(MetricInfo {
            never_past_horizon: Defined::$def.never_past_horizon(),
            ..m($name, $unit, Direction::$dir.higher_is_better(), Defined::$def.may_be_undefined(), $doc)
        }),*]
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
    /// Always defined, `horizon_days + 1` meaning "never" (paybacks).
    never_past_horizon,
}

impl Defined {
    const fn may_be_undefined(self) -> bool {
        matches!(self, Defined::may_be_undefined)
    }
    const fn never_past_horizon(self) -> bool {
        matches!(self, Defined::never_past_horizon)
    }
}

/// The scalar metrics, in record order.
pub const SCALAR_METRICS: [MetricInfo; idx::CASH_FLOW_Y1] =
    crate::model::tables::scalar_metrics!(metric_infos!());

/// The monthly series, in slot order (names as in `timeseries.csv`).
pub const MONTHLY_METRICS: [MetricInfo; N_MONTHLY] =
    crate::model::tables::monthly_metrics!(metric_infos!());

/// Values per option in a path's output record: the scalars, then `MAX_YEARS` yearly cash
/// flows (only the first `n_years` are meaningful), then per failure class its failures and
/// its lost node-hours (`MAX_CLASSES` each, only the option's classes meaningful).
pub const N_OUT: usize = idx::CLASS_LOST_NODE_HOURS + MAX_CLASSES;

/// Name of yearly cash flow `y` (0-based), e.g. `cash_flow_y1_usd`.
pub fn cash_flow_name(y: usize) -> String {
    format!("cash_flow_y{}_usd", y + 1)
}

/// All metrics of a run with `n_years` years and failure classes named `classes` (slot by
/// slot, see [`class_slot_names`]): the scalars, the yearly cash flows and the per-class
/// failures and lost node-hours, with their record index.
pub fn metrics_for(n_years: usize, classes: &[String]) -> Vec<(usize, MetricInfo, String)> {
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
    for (c, name) in classes.iter().enumerate().take(MAX_CLASSES) {
        v.push((
            idx::CLASS_FAILURES + c,
            m(
                "class_failures",
                "count",
                false,
                false,
                "failures of one class over the horizon",
            ),
            format!("failures_{name}"),
        ));
    }
    for (c, name) in classes.iter().enumerate().take(MAX_CLASSES) {
        v.push((
            idx::CLASS_LOST_NODE_HOURS + c,
            m(
                "class_lost_node_hours",
                "node-hours",
                false,
                false,
                "node-hours lost to one class: repairs and swaps (blast radius included) and waiting for a spare unit",
            ),
            format!("lost_node_hours_{name}"),
        ));
    }
    v
}

/// Column names of the failure-class slots of a run whose options have the classes
/// `per_option` (each in slot order): slot `c` is named after its class when every option
/// that has a class `c` calls it the same, else `class{c+1}`.
pub fn class_slot_names(per_option: &[Vec<String>]) -> Vec<String> {
    let n = per_option
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .min(MAX_CLASSES);
    (0..n)
        .map(|c| {
            let mut names = per_option.iter().filter_map(|v| v.get(c));
            let first = names.next().cloned().unwrap_or_default();
            if names.all(|x| *x == first) && !first.is_empty() {
                first
            } else {
                format!("class{}", c + 1)
            }
        })
        .collect()
}
