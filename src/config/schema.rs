//! Field specifications: every key the format accepts, its unit, its allowed range and where it
//! lands in the flat parameters. One table drives validation, flattening, `fleetsim catalog` and
//! the built-in environment defaults, so the three cannot drift apart.

use crate::distributions::Dist;
use crate::model::params::{env_in, opt_ev, opt_in};

/// A numeric input: sampled per path (or per event) from a [`Dist`] and clamped into `[lo, hi]`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct FieldSpec {
    /// Key as written in configs.
    pub name: &'static str,
    /// Index in `env_in`, `opt_in` (per-class fields: offset within the class) or `opt_ev`.
    pub index: usize,
    /// Smallest allowed value.
    pub lo: f64,
    /// Largest allowed value.
    pub hi: f64,
    /// Unit, as shown in messages ("expected a number in W").
    pub unit: &'static str,
    /// One-line meaning.
    pub doc: &'static str,
}

const fn f(
    name: &'static str,
    index: usize,
    lo: f64,
    hi: f64,
    unit: &'static str,
    doc: &'static str,
) -> FieldSpec {
    FieldSpec {
        name,
        index,
        lo,
        hi,
        unit,
        doc,
    }
}

/// Option inputs sampled once per path, in `opt_in` order (job and class inputs are separate).
pub const OPTION_INPUTS: &[FieldSpec] = &[
    f(
        "delivery_delay_days",
        opt_in::DELIVERY_DELAY_DAYS,
        0.0,
        1095.0,
        "days",
        "order-to-delivery delay of the fleet",
    ),
    f(
        "ramp_days",
        opt_in::RAMP_DAYS,
        0.0,
        1095.0,
        "days",
        "linear install ramp after delivery",
    ),
    f(
        "burn_in_yield",
        opt_in::BURN_IN_YIELD,
        0.5,
        1.0,
        "fraction",
        "share of chips passing burn-in",
    ),
    f(
        "replacement_days",
        opt_in::REPLACEMENT_DAYS,
        0.0,
        127.0,
        "days",
        "time to replace a burn-in reject",
    ),
    f(
        "swap_hours",
        opt_in::SWAP_HOURS,
        0.0,
        72.0,
        "hours",
        "time to swap in a hot spare node",
    ),
    f(
        "server_capex_per_chip_usd",
        opt_in::SERVER_CAPEX_PER_CHIP_USD,
        0.0,
        1e7,
        "USD per chip",
        "server, host and network share per chip",
    ),
    f(
        "chip_w",
        opt_in::CHIP_W,
        0.0,
        5000.0,
        "W",
        "accelerator board power at full load",
    ),
    f(
        "host_w_per_chip",
        opt_in::HOST_W_PER_CHIP,
        0.0,
        5000.0,
        "W per chip",
        "host, NIC, switch and fan power per chip",
    ),
    f(
        "idle_power_fraction",
        opt_in::IDLE_POWER_FRACTION,
        0.0,
        1.0,
        "fraction",
        "IT power when idle, as a fraction of full load",
    ),
    f(
        "pue",
        opt_in::PUE,
        1.0,
        3.0,
        "ratio",
        "power usage effectiveness (facility / IT power)",
    ),
    f(
        "dc_capex_per_mw_usd",
        opt_in::DC_CAPEX_PER_MW_USD,
        0.0,
        1e9,
        "USD per MW of IT load",
        "data-centre build cost",
    ),
    f(
        "dc_life_years",
        opt_in::DC_LIFE_YEARS,
        1.0,
        50.0,
        "years",
        "data-centre depreciation life",
    ),
    f(
        "colo_usd_per_kw_month",
        opt_in::COLO_USD_PER_KW_MONTH,
        0.0,
        1000.0,
        "USD per kW-month",
        "colocation lease (facility = \"colo\")",
    ),
    f(
        "maintenance_fraction_per_year",
        opt_in::MAINTENANCE_FRACTION_PER_YEAR,
        0.0,
        1.0,
        "fraction of capex per year",
        "maintenance and support contracts",
    ),
    f(
        "ops_usd_per_mw_year",
        opt_in::OPS_USD_PER_MW_YEAR,
        0.0,
        1e8,
        "USD per MW-year",
        "operations staff and overheads",
    ),
    f(
        "warranty_years",
        opt_in::WARRANTY_YEARS,
        0.0,
        20.0,
        "years",
        "parts covered by warranty until then",
    ),
    f(
        "part_cost_usd",
        opt_in::PART_COST_USD,
        0.0,
        1e7,
        "USD per hard failure",
        "part cost of a hard failure after warranty",
    ),
    f(
        "residual_fraction",
        opt_in::RESIDUAL_FRACTION,
        0.0,
        1.0,
        "fraction of capex",
        "resale value at horizon end",
    ),
    f(
        "useful_life_years",
        opt_in::USEFUL_LIFE_YEARS,
        1.0,
        20.0,
        "years",
        "straight-line depreciation life (accounting view)",
    ),
    f(
        "on_demand_usd_per_chip_hour",
        opt_in::ON_DEMAND_USD_PER_CHIP_HOUR,
        0.0,
        1000.0,
        "USD per chip-hour",
        "on-demand price at day 0",
    ),
    f(
        "reserved_usd_per_chip_hour",
        opt_in::RESERVED_USD_PER_CHIP_HOUR,
        0.0,
        1000.0,
        "USD per chip-hour",
        "take-or-pay reserved price at day 0",
    ),
    f(
        "reserved_fraction",
        opt_in::RESERVED_FRACTION,
        0.0,
        1.0,
        "fraction",
        "share of capacity sold reserved",
    ),
    f(
        "utilization_mean",
        opt_in::UTILIZATION_MEAN,
        0.001,
        0.999,
        "fraction",
        "long-run mean sold fraction of on-demand capacity",
    ),
    f(
        "mfu",
        opt_in::MFU,
        0.0,
        1.0,
        "fraction",
        "model FLOPs utilisation",
    ),
    f(
        "peak_bf16_pflops",
        opt_in::PEAK_BF16_PFLOPS,
        0.0,
        100.0,
        "PFLOP/s per chip",
        "dense BF16 peak",
    ),
];

/// The per-event distribution of an option (RMA turnaround).
pub const RMA_DAYS: FieldSpec = f(
    "rma_days",
    opt_ev::RMA_DAYS,
    0.0,
    127.0,
    "days",
    "RMA turnaround of a failed part",
);

/// Training-job inputs (`[options.X.job]`), indices in `opt_in`.
pub const JOB_INPUTS: &[FieldSpec] = &[
    f(
        "fraction",
        opt_in::JOB_FRACTION,
        0.0,
        1.0,
        "fraction",
        "share of the fleet running synchronous jobs",
    ),
    f(
        "restart_minutes",
        opt_in::RESTART_MINUTES,
        0.0,
        1440.0,
        "minutes",
        "restart overhead per interruption",
    ),
    f(
        "checkpoint_interval_minutes",
        opt_in::CHECKPOINT_INTERVAL_MINUTES,
        1.0,
        10080.0,
        "minutes",
        "time between checkpoints (or \"young_daly\")",
    ),
    f(
        "checkpoint_cost_seconds",
        opt_in::CHECKPOINT_COST_SECONDS,
        0.0,
        3600.0,
        "seconds",
        "time one checkpoint stalls the job",
    ),
];

/// Per-class sampled inputs; `index` is the offset within the class's three `opt_in` slots.
/// The rate is stored per node-day (a `rate_per_chip_day` is multiplied by `chips_per_node`).
pub const CLASS_INPUTS: &[FieldSpec] = &[
    f(
        "rate_per_node_day",
        opt_in::CLASS_RATE,
        0.0,
        1.0,
        "per node-day",
        "failures per node per day",
    ),
    f(
        "infant_multiplier",
        opt_in::CLASS_INFANT_MULT,
        1.0,
        100.0,
        "ratio",
        "rate multiplier during the infant period",
    ),
    f(
        "infant_days",
        opt_in::CLASS_INFANT_DAYS,
        0.0,
        1095.0,
        "days",
        "length of the infant (bathtub) period",
    ),
];

/// Per-event repair time of a failure class (at `opt_ev::REPAIR_BASE + c`).
pub const REPAIR_HOURS: FieldSpec = f(
    "repair_hours",
    opt_ev::REPAIR_BASE,
    0.0,
    127.0 * 24.0,
    "hours",
    "reset or diagnose-and-pull time per event",
);

/// Environment inputs, in `env_in` order.
pub const ENV_INPUTS: &[FieldSpec] = &[
    f(
        "usd_per_kwh",
        env_in::USD_PER_KWH,
        0.0,
        2.0,
        "USD/kWh",
        "electricity price at day 0",
    ),
    f(
        "electricity_escalation_per_year",
        env_in::ELECTRICITY_ESCALATION_PER_YEAR,
        -0.5,
        1.0,
        "per year",
        "yearly electricity price growth",
    ),
    f(
        "discount_rate_per_year",
        env_in::DISCOUNT_RATE_PER_YEAR,
        0.0,
        1.0,
        "per year",
        "discount rate (WACC)",
    ),
    f(
        "price_decline_per_year",
        env_in::PRICE_DECLINE_PER_YEAR,
        -0.5,
        0.99,
        "per year",
        "yearly decline of rental prices",
    ),
    f(
        "outage_rate_per_year",
        env_in::OUTAGE_RATE_PER_YEAR,
        0.0,
        365.0,
        "per year",
        "regional outages per year",
    ),
    f(
        "sla_credit_fraction",
        env_in::SLA_CREDIT_FRACTION,
        0.0,
        1.0,
        "fraction",
        "revenue refunded for an outage day",
    ),
    f(
        "demand_volatility_per_day",
        env_in::DEMAND_VOLATILITY_PER_DAY,
        0.0,
        1.0,
        "per day (logit space)",
        "daily volatility of the sold fraction",
    ),
    f(
        "demand_reversion_per_day",
        env_in::DEMAND_REVERSION_PER_DAY,
        0.0,
        1.0,
        "per day",
        "mean-reversion speed of the sold fraction",
    ),
    f(
        "demand_ramp_days",
        env_in::DEMAND_RAMP_DAYS,
        0.0,
        1095.0,
        "days",
        "ramp of demand after delivery",
    ),
];

/// Duration of one regional outage (per event).
pub const OUTAGE_HOURS: FieldSpec = f(
    "outage_hours",
    0,
    0.0,
    720.0,
    "hours",
    "duration of one regional outage",
);

/// Integer option fields (no distributions): name, min, max, unit.
pub const OPTION_INTS: &[(&str, u64, u64, &str)] = &[
    ("accelerators", 1, 10_000_000, "chips"),
    ("chips_per_node", 1, 1024, "chips"),
    ("blast_radius_chips", 1, 10_000_000, "chips"),
    ("spare_nodes", 0, 1_000_000, "nodes"),
];

/// Integer job fields (no distributions): name, min, max, unit (`job_chips` is also at most
/// the option's `accelerators`).
pub const JOB_INTS: &[(&str, u64, u64, &str)] = &[("job_chips", 1, 10_000_000, "chips")];

/// Bounds and unit of the integer field `key` (the last part of a key path: an
/// [`OPTION_INTS`] or [`JOB_INTS`] entry), `None` for a key that is not an integer field. The
/// one rule for which keys take integers: the readers and the sweep's rounding both use it.
pub fn int_field_spec(key: &str) -> Option<(u64, u64, &'static str)> {
    OPTION_INTS
        .iter()
        .chain(JOB_INTS)
        .find(|i| i.0 == key)
        .map(|&(_, lo, hi, unit)| (lo, hi, unit))
}

/// Every key allowed directly in an option table (scenario `[options.X]` or catalog `[ENTRY]`).
pub fn option_keys() -> Vec<&'static str> {
    let mut k: Vec<&'static str> = vec![
        "hardware",
        "description",
        "facility",
        "accelerators",
        "chips_per_node",
        "blast_radius_chips",
        "spare_nodes",
        "rma_days",
        "failures",
        "job",
    ];
    k.extend(OPTION_INPUTS.iter().map(|s| s.name));
    k
}

/// Keys allowed in a failure-class table.
pub const CLASS_KEYS: &[&str] = &[
    "kind",
    "enabled",
    "rate_per_chip_day",
    "rate_per_node_day",
    "infant_multiplier",
    "infant_days",
    "repair_hours",
];

/// Keys allowed in a job table.
pub const JOB_KEYS: &[&str] = &[
    "fraction",
    "job_chips",
    "restart_minutes",
    "checkpoint_interval_minutes",
    "checkpoint_cost_seconds",
];

/// Keys allowed in `[scenario]`.
pub const SCENARIO_KEYS: &[&str] = &[
    "name",
    "description",
    "horizon_years",
    "capital_budget_usd",
    "paths",
    "seed",
    "catalog",
];

/// Unit of any key, for "wrong unit" and "expected a number in ..." messages.
pub fn unit_of(key: &str) -> Option<String> {
    let all = OPTION_INPUTS
        .iter()
        .chain(JOB_INPUTS)
        .chain(CLASS_INPUTS)
        .chain(ENV_INPUTS)
        .chain([&RMA_DAYS, &REPAIR_HOURS, &OUTAGE_HOURS]);
    for s in all {
        if s.name == key {
            return Some(s.unit.to_string());
        }
    }
    match key {
        "rate_per_chip_day" => Some("per chip-day".into()),
        "capital_budget_usd" => Some("USD".into()),
        "horizon_years" => Some("years".into()),
        _ => int_field_spec(key).map(|(_, _, unit)| unit.to_string()),
    }
}

/// Built-in environment default for `name` (used when `[environment]` omits it).
///
/// Sources (see `docs/reference-data.md`):
/// - `usd_per_kwh`: EIA industrial average revenue per kWh, 2023 by state 5.9-8.9 c in data-centre
///   states (VA 8.92, TX 6.60, GA 6.88, OH 7.03), April 2025 7.9-9.8 c (PA, OH, IL, IN):
///   lognormal median 0.08, p90 0.105 (H for the inputs; the spread is ours).
/// - `electricity_escalation_per_year`: EIA April 2025 vs April 2024 rose 10-20 % in several
///   states; long-run escalation is lower: triangular(-0.02, 0.03, 0.12) (M/L, assumption).
/// - `discount_rate_per_year`: WACC, not in the reference data; typical corporate/infra 7-14 %:
///   triangular(0.07, 0.10, 0.14) (L, assumption).
/// - `price_decline_per_year`: H100 rental fell from $8+ (2023) to $2.85 (early 2024) and $1.70
///   (Oct 2025) before rising 40 %; H100/H200 averages -22 %/-29 % in 2025; AWS cut P5 by ~45 %
///   in June 2025: pert(0.0, 0.15, 0.40) (M).
/// - `outage_rate_per_year` / `outage_hours`: the seed articles cite one ~15-hour AWS regional
///   outage; no rate in the reference data: lognormal median 0.3/yr, p90 1/yr; duration
///   lognormal median 6 h, p90 15 h (L, assumption).
/// - `sla_credit_fraction`: not in the reference data: triangular(0, 0.1, 0.3) (L).
/// - `demand_volatility_per_day`, `demand_reversion_per_day`, `demand_ramp_days`: no public
///   series; a sold fraction that moves a few percent a day and reverts over ~1-2 months, and a
///   one-to-six-month ramp: lognormal(0.03, p90 0.06), lognormal(0.02, p90 0.05),
///   triangular(30, 90, 180) (L, assumption).
pub fn env_default(name: &str) -> Dist {
    let ln = |median, p90| Dist::Lognormal { median, p90 };
    let tri = |lo, mode, hi| Dist::Triangular { lo, mode, hi };
    match name {
        "usd_per_kwh" => ln(0.08, 0.105),
        "electricity_escalation_per_year" => tri(-0.02, 0.03, 0.12),
        "discount_rate_per_year" => tri(0.07, 0.10, 0.14),
        "price_decline_per_year" => Dist::Pert {
            lo: 0.0,
            mode: 0.15,
            hi: 0.40,
        },
        "outage_rate_per_year" => ln(0.3, 1.0),
        "sla_credit_fraction" => tri(0.0, 0.1, 0.3),
        "demand_volatility_per_day" => ln(0.03, 0.06),
        "demand_reversion_per_day" => ln(0.02, 0.05),
        "demand_ramp_days" => tri(30.0, 90.0, 180.0),
        "outage_hours" => ln(6.0, 15.0),
        _ => Dist::Fixed { value: 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_cover_the_flat_layout() {
        let mut seen = [false; opt_in::CLASS_BASE];
        for s in OPTION_INPUTS.iter().chain(JOB_INPUTS) {
            assert!(!seen[s.index], "{} twice", s.name);
            seen[s.index] = true;
        }
        assert!(seen.iter().all(|x| *x));
        assert_eq!(ENV_INPUTS.len(), env_in::COUNT);
        for (i, s) in ENV_INPUTS.iter().enumerate() {
            assert_eq!(s.index, i);
        }
    }
}
