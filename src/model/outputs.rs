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

/// Index of each scalar metric in a path's output record.
#[allow(missing_docs)]
pub mod idx {
    pub const NPV_USD: usize = 0;
    pub const PAYBACK_DAYS: usize = 1;
    pub const IRR: usize = 2;
    pub const CAPEX_USD: usize = 3;
    pub const OPEX_USD: usize = 4;
    pub const ENERGY_MWH: usize = 5;
    pub const REVENUE_USD: usize = 6;
    pub const OPERATING_INCOME_USD: usize = 7;
    pub const AVAILABILITY: usize = 8;
    pub const GOODPUT: usize = 9;
    pub const HARD_FAILURES: usize = 10;
    pub const SOFT_FAILURES: usize = 11;
    pub const INTERRUPTIONS_PER_JOB_DAY: usize = 12;
    pub const CHIP_HOURS_DELIVERED: usize = 13;
    pub const EFFECTIVE_PFLOP_HOURS: usize = 14;
    pub const USD_PER_CHIP_HOUR: usize = 15;
    pub const USD_PER_EFFECTIVE_PFLOP_HOUR: usize = 16;
    /// First of the yearly cash flows (`CASH_FLOW_Y1 + y` for year `y + 1`).
    pub const CASH_FLOW_Y1: usize = 17;
}

/// Record index of the scalar metric named `name` (as in exports), if there is one.
pub fn metric_index(name: &str) -> Option<usize> {
    SCALAR_METRICS.iter().position(|m| m.name == name)
}

/// The scalar metrics, in record order.
pub const SCALAR_METRICS: [MetricInfo; idx::CASH_FLOW_Y1] = [
    m(
        "npv_usd",
        "USD",
        true,
        false,
        "net present value of all cash flows, discounted daily, residual value included",
    ),
    m(
        "payback_days",
        "days",
        false,
        false,
        "first day the undiscounted cumulative cash flow is back to zero; horizon + 1 = never",
    ),
    m(
        "irr",
        "per year",
        true,
        true,
        "internal rate of return of the yearly cash flows; empty when they do not change sign",
    ),
    m(
        "capex_usd",
        "USD",
        false,
        false,
        "servers, spares and data-centre build (zero when colocated)",
    ),
    m(
        "opex_usd",
        "USD",
        false,
        false,
        "energy, maintenance, operations, colocation lease and out-of-warranty parts",
    ),
    m(
        "energy_mwh",
        "MWh",
        false,
        false,
        "facility energy (IT load x PUE)",
    ),
    m(
        "revenue_usd",
        "USD",
        true,
        false,
        "reserved plus on-demand rental revenue, net of SLA credits",
    ),
    m(
        "operating_income_usd",
        "USD",
        true,
        false,
        "revenue - opex - depreciation over the horizon (accounting view)",
    ),
    m(
        "availability",
        "fraction",
        true,
        false,
        "available chip-hours / installed chip-hours (failures, repairs and outages)",
    ),
    m(
        "goodput",
        "fraction",
        true,
        true,
        "effective training time / job chip-time (job view only)",
    ),
    m(
        "hard_failures",
        "count",
        false,
        false,
        "hard failures (part swaps) over the horizon",
    ),
    m(
        "soft_failures",
        "count",
        false,
        false,
        "soft failures (resets) over the horizon",
    ),
    m(
        "interruptions_per_job_day",
        "per job-day",
        false,
        true,
        "training-job interruptions per job per day (job view only)",
    ),
    m(
        "chip_hours_delivered",
        "chip-hours",
        true,
        false,
        "sold chip-hours delivered (reserved + on-demand used)",
    ),
    m(
        "effective_pflop_hours",
        "PFLOP-hours",
        true,
        false,
        "delivered chip-hours x peak dense BF16 x MFU",
    ),
    m(
        "usd_per_chip_hour",
        "USD/chip-hour",
        false,
        true,
        "(capex + opex - residual) / chip-hours delivered",
    ),
    m(
        "usd_per_effective_pflop_hour",
        "USD/PFLOP-hour",
        false,
        true,
        "(capex + opex - residual) / effective PFLOP-hours",
    ),
];

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
