//! The one declarative table of every model input and output metric. Each table is written
//! once here, as a macro that hands its rows to a generator macro (the "X-macro" pattern); the
//! generators derive everything else from the rows, so nothing repeats them by hand:
//!
//! | generator | where | what it derives |
//! |---|---|---|
//! | `index_consts!` | `model::params` (`env_in`, `opt_in`), `model::outputs` (`idx`) | the flat index constants (a row's index is its position) and counts |
//! | `field_specs!` | `config::schema` | the validation rows (key, range, unit, doc, built-in default): reading, flattening, copula targets, sensitivity and sweep keys, `fleetsim catalog` |
//! | `wgsl_names!` | `gpu::shaders` | the WGSL prelude's `ENV_*`, `OPT_*`, `OUT_*` constants |
//! | `metric_infos!` | `model::outputs` | `SCALAR_METRICS` (names, units, directions, docs) |
//!
//! An input row is `CONST = "key", [lo, hi], "unit", default, "doc";` where `default` is
//! `required` (the catalog or the scenario must give it), `fixed(v)`, `lognormal(median, p90)`,
//! `triangular(lo, mode, hi)` or `pert(lo, mode, hi)`. A metric row is
//! `CONST = "name", "unit", higher|lower, always_defined|may_be_undefined|never_past_horizon,
//! "doc";` (`never_past_horizon`: always defined, `horizon_days + 1` = never, as paybacks).
//! Rows take effect in both engines only where the model uses them: adding a row is one edit
//! here, then its use in `model::fleet_step` and in `shaders/shared/fleet_step.wgsl`, then the
//! docs (`docs/MODEL.md` section 10 walks through it).
//!
//! Sources of the built-in environment defaults (`docs/reference-data.md`):
//! - `usd_per_kwh`: EIA industrial average revenue per kWh, 2023 by state 5.9-8.9 c in
//!   data-centre states (VA 8.92, TX 6.60, GA 6.88, OH 7.03), April 2025 7.9-9.8 c (PA, OH, IL,
//!   IN): lognormal median 0.08, p90 0.105 (H for the inputs; the spread is ours).
//! - `electricity_escalation_per_year`: EIA April 2025 vs April 2024 rose 10-20 % in several
//!   states; long-run escalation is lower: triangular(-0.02, 0.03, 0.12) (M/L, assumption).
//! - `discount_rate_per_year`: WACC, not in the reference data; typical corporate/infra 7-14 %:
//!   triangular(0.07, 0.10, 0.14) (L, assumption).
//! - `price_decline_per_year`: H100 rental fell from $8+ (2023) to $2.85 (early 2024) and $1.70
//!   (Oct 2025) before rising 40 %; H100/H200 averages -22 %/-29 % in 2025; AWS cut P5 by ~45 %
//!   in June 2025: pert(0.0, 0.15, 0.40) (M).
//! - `outage_rate_per_year` / `outage_hours`: the seed articles cite one ~15-hour AWS regional
//!   outage; no rate in the reference data: lognormal median 0.3/yr, p90 1/yr; duration
//!   lognormal median 6 h, p90 15 h (L, assumption).
//! - `sla_credit_fraction`: not in the reference data: triangular(0, 0.1, 0.3) (L).
//! - `demand_volatility_per_day`, `demand_reversion_per_day`, `demand_ramp_days`: no public
//!   series; a sold fraction that moves a few percent a day and reverts over ~1-2 months, and a
//!   one-to-six-month ramp: lognormal(0.03, p90 0.06), lognormal(0.02, p90 0.05),
//!   triangular(30, 90, 180) (L, assumption).
//! - `market_usd_per_pflop_hour`: the H100 1-year contract index USD 1.70 (Oct 2025) - 2.35
//!   (Mar 2026), spot ~2.60, over the H100's 0.989 PF x MFU 0.40: pert(4.3, 5.2, 6.6) (section
//!   8b, M; the mode interpolated to 2026-01-01, L). `market_usd_per_tbps_hour`: the same over
//!   3.35 TB/s: pert(0.50, 0.61, 0.78) (8b, M). `on_demand_premium`: neocloud +0.1 to AWS +0.6,
//!   p5 on-demand vs Capacity Block +0.40: pert(0.10, 0.40, 0.80) (8b, M-L).
//! - `tax_rate` 0 (no tax unless a scenario asks; 0.25 = 21 % federal + state, 8h, H);
//!   `bonus_depreciation_fraction` 1.0 (OBBBA, property acquired after 19 Jan 2025, 8h, H).

/// Index constants from a table's rows: `start`, `start + 1`, ... in row order, and
/// `pub const COUNT_NAME: usize = start + rows`. Invoked as
/// `table!(index_consts!(start, COUNT_NAME))`.
macro_rules! index_consts {
    (($start:expr, $count:ident)
     $($id:ident = $key:literal, [$lo:expr, $hi:expr], $unit:literal,
       $dn:ident $(($($dv:expr),*))?, $doc:literal;)*) => {
        $crate::model::tables::seq_consts!($start; $(($id, concat!("`", $key, "`: ", $doc)))*);
        #[doc = "Rows of this table."]
        pub const $count: usize = $start + [$($key),*].len();
    };
}
pub(crate) use index_consts;

/// Index constants of the metric table (`metric!(index_consts_metrics!(start, COUNT))`).
macro_rules! index_consts_metrics {
    (($start:expr, $count:ident)
     $($id:ident = $name:literal, $unit:literal, $dir:ident, $def:ident, $doc:literal;)*) => {
        $crate::model::tables::seq_consts!($start; $(($id, concat!("`", $name, "`: ", $doc)))*);
        #[doc = "Rows of this table."]
        pub const $count: usize = $start + [$($name),*].len();
    };
}
pub(crate) use index_consts_metrics;

/// `pub const A: usize = start; pub const B: usize = A + 1; ...`, each with its doc.
macro_rules! seq_consts {
    ($at:expr; ) => {};
    ($at:expr; ($id:ident, $doc:expr) $($rest:tt)*) => {
        #[doc = $doc]
        pub const $id: usize = $at;
        $crate::model::tables::seq_consts!($id + 1; $($rest)*);
    };
}
pub(crate) use seq_consts;

/// `(WGSL name, index)` pairs of a table's rows: `PREFIX` + the constant's name, and its value
/// in `module`. Invoked as `table!(wgsl_names!("ENV_", env_in))`.
macro_rules! wgsl_names {
    (($prefix:literal, $m:ident)
     $($id:ident = $key:literal, [$lo:expr, $hi:expr], $unit:literal,
       $dn:ident $(($($dv:expr),*))?, $doc:literal;)*) => {
        &[$((concat!($prefix, stringify!($id)), $m::$id)),*]
    };
}
pub(crate) use wgsl_names;

/// `(WGSL name, index)` pairs of the metric table's rows.
macro_rules! wgsl_names_metrics {
    (($prefix:literal, $m:ident)
     $($id:ident = $name:literal, $unit:literal, $dir:ident, $def:ident, $doc:literal;)*) => {
        &[$((concat!($prefix, stringify!($id)), $m::$id)),*]
    };
}
pub(crate) use wgsl_names_metrics;

/// Named integer constants that the WGSL prelude also needs (distribution kinds, flags,
/// event slots): `pub const NAME: TYPE = value;` each, plus `WGSL: [(PREFIX + NAME, value)]`.
macro_rules! wgsl_consts {
    ($prefix:literal, $ty:ty; $($(#[$m:meta])* $id:ident = $v:expr;)*) => {
        $($(#[$m])* pub const $id: $ty = $v;)*
        /// These constants under their WGSL names, for the generated prelude.
        pub const WGSL: &[(&str, usize)] = &[$((concat!($prefix, stringify!($id)), $id as usize)),*];
    };
}
pub(crate) use wgsl_consts;

/// Environment inputs: sampled once per path from stream 0, shared by every option
/// (`env_in`, `schema::ENV_INPUTS`, WGSL `ENV_*`).
macro_rules! environment_inputs {
    ($gen:ident!($($args:tt)*)) => {
        $gen! { ($($args)*)
            USD_PER_KWH = "usd_per_kwh", [0.0, 2.0], "USD/kWh", lognormal(0.08, 0.105),
                "electricity price at day 0";
            ELECTRICITY_ESCALATION_PER_YEAR = "electricity_escalation_per_year", [-0.5, 1.0], "per year", triangular(-0.02, 0.03, 0.12),
                "yearly electricity price growth";
            DISCOUNT_RATE_PER_YEAR = "discount_rate_per_year", [0.0, 1.0], "per year", triangular(0.07, 0.10, 0.14),
                "discount rate (WACC)";
            PRICE_DECLINE_PER_YEAR = "price_decline_per_year", [-0.5, 0.99], "per year", pert(0.0, 0.15, 0.40),
                "yearly decline of rental prices";
            OUTAGE_RATE_PER_YEAR = "outage_rate_per_year", [0.0, 365.0], "per year", lognormal(0.3, 1.0),
                "regional outages per year";
            SLA_CREDIT_FRACTION = "sla_credit_fraction", [0.0, 1.0], "fraction", triangular(0.0, 0.1, 0.3),
                "revenue refunded for an outage day (daily SLA; ignored with sla = \"monthly\")";
            DEMAND_VOLATILITY_PER_DAY = "demand_volatility_per_day", [0.0, 1.0], "per day (logit space)", lognormal(0.03, 0.06),
                "daily volatility of the sold fraction";
            DEMAND_REVERSION_PER_DAY = "demand_reversion_per_day", [0.0, 1.0], "per day", lognormal(0.02, 0.05),
                "mean-reversion speed of the sold fraction";
            DEMAND_RAMP_DAYS = "demand_ramp_days", [0.0, 1095.0], "days", triangular(30.0, 90.0, 180.0),
                "ramp of demand after delivery";
            MARKET_USD_PER_PFLOP_HOUR = "market_usd_per_pflop_hour", [0.0, 1000.0], "USD per effective PFLOP-hour", pert(4.3, 5.2, 6.6),
                "market price of reserved compute at day 0, per effective PFLOP-hour (peak at the price basis x MFU); market-priced options sell at it x their performance x (1 + price_premium)";
            MARKET_USD_PER_TBPS_HOUR = "market_usd_per_tbps_hour", [0.0, 1000.0], "USD per TB/s-hour", pert(0.50, 0.61, 0.78),
                "market price of reserved compute at day 0 per TB/s-hour of HBM bandwidth (price_basis = \"hbm\")";
            ON_DEMAND_PREMIUM = "on_demand_premium", [0.0, 10.0], "fraction", pert(0.10, 0.40, 0.80),
                "on-demand price over the reserved price, minus 1, of market-priced options";
            TAX_RATE = "tax_rate", [0.0, 0.6], "fraction", fixed(0.0),
                "income tax rate of the after-tax view (0: no tax)";
            BONUS_DEPRECIATION_FRACTION = "bonus_depreciation_fraction", [0.0, 1.0], "fraction", fixed(1.0),
                "share of server capex deducted for tax in the year it is placed in service; the rest straight-line over useful_life_years";
        }
    };
}
pub(crate) use environment_inputs;

/// Option inputs: sampled once per path from the option's stream (`opt_in`,
/// `schema::OPTION_INPUTS`, WGSL `OPT_*`). Their values come from the catalog entry unless the
/// scenario sets them.
macro_rules! option_inputs {
    ($gen:ident!($($args:tt)*)) => {
        $gen! { ($($args)*)
            DELIVERY_DELAY_DAYS = "delivery_delay_days", [0.0, 1095.0], "days", required,
                "order-to-delivery delay of the fleet";
            RAMP_DAYS = "ramp_days", [0.0, 1095.0], "days", required,
                "linear install ramp after delivery";
            BURN_IN_YIELD = "burn_in_yield", [0.5, 1.0], "fraction", required,
                "share of chips passing burn-in";
            REPLACEMENT_DAYS = "replacement_days", [0.0, 127.0], "days", required,
                "time to replace a burn-in reject";
            SWAP_HOURS = "swap_hours", [0.0, 72.0], "hours", required,
                "time to swap in a hot spare node";
            SERVER_CAPEX_PER_CHIP_USD = "server_capex_per_chip_usd", [0.0, 1e7], "USD per chip", required,
                "server, host and network share per chip";
            CHIP_W = "chip_w", [0.0, 5000.0], "W", required,
                "accelerator board power at full load";
            HOST_W_PER_CHIP = "host_w_per_chip", [0.0, 5000.0], "W per chip", required,
                "host, NIC, switch and fan power per chip";
            IDLE_POWER_FRACTION = "idle_power_fraction", [0.0, 1.0], "fraction", required,
                "IT power when idle, as a fraction of full load";
            PUE = "pue", [1.0, 3.0], "ratio", required,
                "power usage effectiveness (facility / IT power)";
            DC_CAPEX_PER_MW_USD = "dc_capex_per_mw_usd", [0.0, 1e9], "USD per MW of IT load", required,
                "data-centre build cost";
            DC_LIFE_YEARS = "dc_life_years", [1.0, 50.0], "years", required,
                "data-centre depreciation life";
            COLO_USD_PER_KW_MONTH = "colo_usd_per_kw_month", [0.0, 1000.0], "USD per kW-month", required,
                "colocation lease (facility = \"colo\")";
            MAINTENANCE_FRACTION_PER_YEAR = "maintenance_fraction_per_year", [0.0, 1.0], "fraction of capex per year", required,
                "maintenance and support contracts";
            OPS_USD_PER_MW_YEAR = "ops_usd_per_mw_year", [0.0, 1e8], "USD per MW-year", required,
                "operations staff and overheads";
            WARRANTY_YEARS = "warranty_years", [0.0, 20.0], "years", required,
                "parts covered by warranty until then";
            PART_COST_USD = "part_cost_usd", [0.0, 1e7], "USD per hard failure", required,
                "part cost of a hard failure after warranty";
            RESIDUAL_FRACTION = "residual_fraction", [0.0, 1.0], "fraction of capex", required,
                "resale value at horizon end";
            USEFUL_LIFE_YEARS = "useful_life_years", [1.0, 20.0], "years", required,
                "straight-line depreciation life (accounting view)";
            ON_DEMAND_USD_PER_CHIP_HOUR = "on_demand_usd_per_chip_hour", [0.0, 1000.0], "USD per chip-hour", fixed(0.0),
                "explicit on-demand price at day 0 (with reserved_usd_per_chip_hour; unset: market-priced)";
            RESERVED_USD_PER_CHIP_HOUR = "reserved_usd_per_chip_hour", [0.0, 1000.0], "USD per chip-hour", fixed(0.0),
                "explicit take-or-pay reserved price signed at day 0 (with on_demand_usd_per_chip_hour; unset: market-priced)";
            RESERVED_FRACTION = "reserved_fraction", [0.0, 1.0], "fraction", required,
                "share of capacity sold reserved";
            UTILIZATION_MEAN = "utilization_mean", [0.001, 0.999], "fraction", required,
                "long-run mean sold fraction of on-demand capacity";
            MFU = "mfu", [0.0, 1.0], "fraction", required,
                "model FLOPs utilisation";
            PEAK_BF16_PFLOPS = "peak_bf16_pflops", [0.0, 100.0], "PFLOP/s per chip", required,
                "dense BF16 peak";
            PEAK_FP8_PFLOPS = "peak_fp8_pflops", [0.0, 100.0], "PFLOP/s per chip", fixed(0.0),
                "dense FP8 peak (0: not published)";
            PEAK_FP4_PFLOPS = "peak_fp4_pflops", [0.0, 100.0], "PFLOP/s per chip", fixed(0.0),
                "dense FP4 peak (0: not published)";
            HBM_TB_PER_S = "hbm_tb_per_s", [0.0, 100.0], "TB/s per chip", fixed(0.0),
                "HBM bandwidth (0: not published)";
            PRICE_PREMIUM = "price_premium", [-0.95, 10.0], "fraction", fixed(0.0),
                "price premium (+) or discount (-) against the market per unit of work (market-priced options)";
            NEXT_GEN_PRICE_STEP = "next_gen_price_step", [0.0, 0.95], "fraction", fixed(0.0),
                "share of the option's market price lost when the next generation ships (next_gen_date)";
            RESERVED_TERM_YEARS = "reserved_term_years", [0.01, 20.0], "years", fixed(20.0),
                "reserved contract term: the first signed at day 0 at the day-0 price and starting at delivery, each renewal at the then-market price";
            PREPAY_FRACTION = "prepay_fraction", [0.0, 1.0], "fraction", fixed(0.0),
                "share of each reserved term's contract value the customer pays at its start";
            RENT_USD_PER_CHIP_HOUR = "rent_usd_per_chip_hour", [0.0, 1000.0], "USD per chip-hour", fixed(0.0),
                "committed rental price at day 0 (facility = \"rent\")";
            RENT_TERM_YEARS = "rent_term_years", [0.01, 20.0], "years", fixed(1.0),
                "rental commitment term, renewed at the then-market price (facility = \"rent\")";
            RENT_UPLIFT_FRACTION = "rent_uplift_fraction", [0.0, 5.0], "fraction", fixed(0.0),
                "storage, egress and support on top of the rental price (facility = \"rent\")";
            NETWORK_CAPEX_PER_CHIP_USD = "network_capex_per_chip_usd", [0.0, 1e7], "USD per chip", fixed(0.0),
                "scale-out network (switches, optics, cables) per chip";
            STORAGE_CAPEX_PER_CHIP_USD = "storage_capex_per_chip_usd", [0.0, 1e7], "USD per chip", fixed(0.0),
                "storage and front-end network per chip";
            COOLING_CAPEX_PER_CHIP_USD = "cooling_capex_per_chip_usd", [0.0, 1e7], "USD per chip", fixed(0.0),
                "liquid cooling (CDUs, manifolds, in-rack) per chip";
            POWER_USD_PER_KW_MONTH = "power_usd_per_kw_month", [0.0, 1000.0], "USD per kW-month", fixed(0.0),
                "contracted power capacity charge per kW of facility load (IT x PUE) from energisation, beside the energy price";
            DC_BUILD_MONTHS = "dc_build_months", [0.0, 60.0], "months", fixed(0.0),
                "data-centre build: capex spread evenly over it, the fleet delivered only after energisation (facility = \"build\")";
        }
    };
}
pub(crate) use option_inputs;

/// Training-job inputs (`[options.X.job]`), in `opt_in` after the option inputs
/// (`schema::JOB_INPUTS`, WGSL `OPT_*`).
macro_rules! job_inputs {
    ($gen:ident!($($args:tt)*)) => {
        $gen! { ($($args)*)
            JOB_FRACTION = "fraction", [0.0, 1.0], "fraction", fixed(1.0),
                "share of the fleet running synchronous jobs";
            RESTART_MINUTES = "restart_minutes", [0.0, 1440.0], "minutes", required,
                "restart overhead per interruption";
            CHECKPOINT_INTERVAL_MINUTES = "checkpoint_interval_minutes", [1.0, 10080.0], "minutes", required,
                "time between checkpoints (or \"young_daly\")";
            CHECKPOINT_COST_SECONDS = "checkpoint_cost_seconds", [0.0, 3600.0], "seconds", required,
                "time one checkpoint stalls the job";
            PLANNED_INTERRUPTIONS_PER_DAY = "planned_interruptions_per_day", [0.0, 100.0], "per job-day", fixed(0.0),
                "planned stops of a job (maintenance windows, firmware and configuration updates), each after a checkpoint";
            PLANNED_RESTART_MINUTES = "planned_restart_minutes", [0.0, 1440.0], "minutes", fixed(0.0),
                "restart time of a planned stop";
        }
    };
}
pub(crate) use job_inputs;

/// Failure-class inputs, one group of these per class starting at
/// `opt_in::CLASS_BASE + opt_in::PER_CLASS * c`; the constants are offsets within the group
/// (`schema::CLASS_INPUTS`, WGSL `OPT_CLASS_*`). The rate is stored per node-day (a
/// `rate_per_chip_day` is multiplied by `chips_per_node` when read).
macro_rules! class_inputs {
    ($gen:ident!($($args:tt)*)) => {
        $gen! { ($($args)*)
            CLASS_RATE = "rate_per_node_day", [0.0, 1.0], "per node-day", required,
                "failures per node per day";
            CLASS_INFANT_MULT = "infant_multiplier", [1.0, 100.0], "ratio", fixed(1.0),
                "rate multiplier during the infant period";
            CLASS_INFANT_DAYS = "infant_days", [0.0, 1095.0], "days", fixed(0.0),
                "length of the infant (bathtub) period";
        }
    };
}
pub(crate) use class_inputs;

/// The scalar per-path output metrics, in record order (`outputs::idx`,
/// `outputs::SCALAR_METRICS`, WGSL `OUT_*`); the yearly cash flows follow them in the record.
macro_rules! scalar_metrics {
    ($gen:ident!($($args:tt)*)) => {
        $gen! { ($($args)*)
            NPV_USD = "npv_usd", "USD", higher, always_defined,
                "net present value of all cash flows, discounted daily, residual value included";
            PAYBACK_DAYS = "payback_days", "days", lower, never_past_horizon,
                "first day the undiscounted cumulative cash flow is back to zero; horizon + 1 = never";
            DISCOUNTED_PAYBACK_DAYS = "discounted_payback_days", "days", lower, never_past_horizon,
                "first day the discounted cumulative cash flow (the running NPV, before the residual) is back to zero; horizon + 1 = never";
            IRR = "irr", "per year", higher, may_be_undefined,
                "internal rate of return of the dated cash flows (the flows of npv_usd, in ~monthly buckets with their first moments); empty when they do not change sign";
            NPV_AFTER_TAX_USD = "npv_after_tax_usd", "USD", higher, always_defined,
                "npv_usd less income tax (dated at each year end, tax losses used at once), discounted at the same rate (an after-tax WACC)";
            IRR_AFTER_TAX = "irr_after_tax", "per year", higher, may_be_undefined,
                "internal rate of return of the after-tax cash flows; empty when they do not change sign";
            TAX_USD = "tax_usd", "USD", lower, always_defined,
                "income tax over the horizon, undiscounted (negative: a tax shield)";
            CAPEX_USD = "capex_usd", "USD", lower, always_defined,
                "servers, spares and data-centre build (zero when colocated)";
            OPEX_USD = "opex_usd", "USD", lower, always_defined,
                "energy, maintenance, operations, colocation lease and out-of-warranty parts";
            ENERGY_MWH = "energy_mwh", "MWh", lower, always_defined,
                "facility energy (IT load x PUE)";
            REVENUE_USD = "revenue_usd", "USD", higher, always_defined,
                "reserved plus on-demand rental revenue, net of SLA credits";
            OPERATING_INCOME_USD = "operating_income_usd", "USD", higher, always_defined,
                "revenue - opex - depreciation over the horizon (accounting view)";
            AVAILABILITY = "availability", "fraction", higher, always_defined,
                "available chip-hours / installed chip-hours (failures, repairs and outages)";
            GOODPUT = "goodput", "fraction", higher, may_be_undefined,
                "effective training time / job chip-time: restarts, recomputed work and checkpoint stalls lost (job view only)";
            JOB_UPTIME = "job_uptime", "fraction", higher, may_be_undefined,
                "job chip-time not spent restarting / job chip-time (job view only)";
            HARD_FAILURES = "hard_failures", "count", lower, always_defined,
                "hard failures (part swaps) over the horizon";
            SOFT_FAILURES = "soft_failures", "count", lower, always_defined,
                "soft failures (resets) over the horizon";
            INTERRUPTIONS_PER_JOB_DAY = "interruptions_per_job_day", "per job-day", lower, may_be_undefined,
                "training-job interruptions per job per day (job view only)";
            CHIP_HOURS_DELIVERED = "chip_hours_delivered", "chip-hours", higher, always_defined,
                "sold chip-hours delivered (reserved + on-demand used)";
            EFFECTIVE_PFLOP_HOURS = "effective_pflop_hours", "PFLOP-hours", higher, always_defined,
                "delivered chip-hours x peak dense BF16 x MFU";
            USD_PER_CHIP_HOUR = "usd_per_chip_hour", "USD/chip-hour", lower, may_be_undefined,
                "undiscounted (capex + opex - residual) / chip-hours delivered";
            USD_PER_EFFECTIVE_PFLOP_HOUR = "usd_per_effective_pflop_hour", "USD/PFLOP-hour", lower, may_be_undefined,
                "undiscounted (capex + opex - residual) / effective PFLOP-hours";
            LEVELIZED_USD_PER_INSTALLED_CHIP_HOUR = "levelized_usd_per_installed_chip_hour", "USD/chip-hour", lower, may_be_undefined,
                "present value of capex + opex - residual over the present value of installed chip-hours (pre-tax, at the discount rate)";
            LEVELIZED_USD_PER_SOLD_CHIP_HOUR = "levelized_usd_per_sold_chip_hour", "USD/chip-hour", lower, may_be_undefined,
                "present value of capex + opex - residual over the present value of sold chip-hours";
            LEVELIZED_USD_PER_EFFECTIVE_PFLOP_HOUR = "levelized_usd_per_effective_pflop_hour", "USD/PFLOP-hour", lower, may_be_undefined,
                "present value of costs over the present value of effective PFLOP-hours: sold chip-hours x peak BF16 x MFU, less the job chip-hours lost to goodput";
            LEVELIZED_USD_PER_TBPS_HOUR = "levelized_usd_per_tbps_hour", "USD/TB/s-hour", lower, may_be_undefined,
                "present value of costs over the present value of sold HBM TB/s-hours (empty without hbm_tb_per_s)";
            PV_REVENUE_USD = "pv_revenue_usd", "USD", higher, always_defined,
                "present value of rental revenue before SLA credits (prepaid terms when paid): the revenue line of npv_usd";
            PV_SLA_CREDITS_USD = "pv_sla_credits_usd", "USD", lower, always_defined,
                "present value of SLA credits (daily and monthly), subtracted in npv_usd";
            PV_CAPEX_USD = "pv_capex_usd", "USD", lower, always_defined,
                "present value of capex: servers, spares, data-centre build (with interest during construction) and their lines";
            PV_ENERGY_USD = "pv_energy_usd", "USD", lower, always_defined,
                "present value of facility energy (zero for a rented fleet)";
            PV_RENT_USD = "pv_rent_usd", "USD", lower, always_defined,
                "present value of the rent of a rented fleet (zero when owned)";
            PV_MAINTENANCE_AND_PARTS_USD = "pv_maintenance_and_parts_usd", "USD", lower, always_defined,
                "present value of maintenance contracts and out-of-warranty parts";
            PV_OPERATIONS_USD = "pv_operations_usd", "USD", lower, always_defined,
                "present value of operations staff and overhead (per MW of IT load)";
            PV_FACILITY_USD = "pv_facility_usd", "USD", lower, always_defined,
                "present value of the colocation lease or the contracted power charge";
            PV_RESIDUAL_VALUE_USD = "pv_residual_value_usd", "USD", higher, always_defined,
                "present value of the residual value at the horizon (servers and data centre)";
            PV_LOST_REVENUE_FAILURES_USD = "pv_lost_revenue_failures_usd", "USD", lower, always_defined,
                "present value of the revenue the delivered fleet would have earned in the chip-hours lost to failures, repairs and waits for parts (memo: not a cash flow)";
            PV_LOST_REVENUE_OUTAGES_USD = "pv_lost_revenue_outages_usd", "USD", lower, always_defined,
                "present value of the revenue the healthy fleet would have earned in the hours lost to regional outages (memo: not a cash flow)";
        }
    };
}
pub(crate) use scalar_metrics;

/// The monthly series of a path (`outputs::mon`, `outputs::MONTHLY_METRICS`, WGSL `MON_*`),
/// in the order of a month's slot; months are the SLA months (`fleet_step::sla_month`), rows
/// shaped like the scalar metrics'.
macro_rules! monthly_metrics {
    ($gen:ident!($($args:tt)*)) => {
        $gen! { ($($args)*)
            CUM_DCF = "cumulative_discounted_cash_flow_usd", "USD", higher, always_defined,
                "running NPV at the end of the month (the last month includes the residual value, so it equals npv_usd)";
            REVENUE = "revenue_usd", "USD", higher, always_defined,
                "revenue of the month, net of SLA credits";
            OPEX = "opex_usd", "USD", lower, always_defined,
                "opex of the month: energy or rent, maintenance and parts, operations, facility";
            AVAILABLE = "available_fraction", "fraction", higher, always_defined,
                "available chip-hours of the month over the whole fleet's chip-hours (0 before delivery)";
            FAILURES = "failures", "count", lower, always_defined,
                "hard and soft failures in the month";
        }
    };
}
pub(crate) use monthly_metrics;
