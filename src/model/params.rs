//! The flat, `#[repr(C)]` bytemuck parameter structs that both engines read as-is: the CPU
//! engine by reference, the WGSL kernel from a storage buffer (`shaders/shared/params.wgsl`).
//! Every field is a 4-byte scalar so WGSL's layout equals Rust's; sizes are asserted in tests.
//!
//! A *sampled input* is a [`DistSpec`] drawn once per path at day 0 (one draw lane each, in
//! index order). An *event distribution* is a [`DistSpec`] drawn once per event (a repair, an
//! RMA, an outage). Both use the same inverse-CDF sampler (`crate::model::sample::sample_dist`).

use bytemuck::{Pod, Zeroable};

/// Most accelerator options one scenario may compare. Each option is one GPU invocation per
/// path, and every uploaded `Model` is padded to this many options (2,532 B each), so the limit
/// costs model-buffer size and upload, not kernel time: 8 keeps a point's `Model` at ~20.5 KiB.
pub const MAX_OPTIONS: usize = 8;
/// Most failure classes per option.
pub const MAX_CLASSES: usize = 8;
/// Most replaceable unit types per option, the whole node (unit 0) included. A class's unit is
/// stored in 2 bits of [`OptionParams::class_units`].
pub const MAX_UNITS: usize = 4;
/// Most years of horizon (yearly cash flows are kept per path).
pub const MAX_YEARS: usize = 20;
/// Cash-flow buckets of the dated IRR: the horizon in `MAX_BUCKETS` equal spans of
/// `ceil(horizon_days / MAX_BUCKETS)` days (31 days over 5 years), each kept as its sum and its
/// first moment about the span's centre.
pub const MAX_BUCKETS: usize = 60;
/// Most inputs tied together by the Gaussian copula.
pub const MAX_CORR: usize = 8;
/// Length of the per-option ring of future days used to schedule returns from repair and RMA.
/// Repair, RMA and replacement times are capped at `RING_DAYS - 1` days.
pub const RING_DAYS: usize = 128;
/// Most uptime tiers of a monthly SLA (`[environment] sla_tiers`).
pub const MAX_SLA_TIERS: usize = 4;
/// Days of one SLA billing month: month `m` is the days `t` with `t * 12 / 365 == m`
/// (integer division: 30- and 31-day blocks, 12 to a 365-day year).
pub const MONTHS_PER_YEAR: u32 = 12;

/// Distribution kinds understood by `sample_dist` (the `kind` word of [`DistSpec`]).
pub mod kind {
    crate::model::tables::wgsl_consts! { "KIND_", u32;
        /// `p0`.
        FIXED = 0;
        /// `p0 + u (p1 - p0)`.
        UNIFORM = 1;
        /// Mean `p0`, sd `p1`, drawn with `u` mapped into `[p2, p3]` (the CDF of the truncation
        /// bounds; `[0, 1]` when untruncated).
        NORMAL = 2;
        /// `exp(p0 + p1 z)`: `p0 = ln(median)`, `p1 = ln(p90 / median) / z90`.
        LOGNORMAL = 3;
        /// Triangular `(lo = p0, mode = p1, hi = p2)`, `p3 = (mode - lo) / (hi - lo)`.
        TRIANGULAR = 4;
        /// A quantile table in `FlatModel::table`: `aux` = offset, `p0` = number of intervals;
        /// linear interpolation between `table[aux + i]`. Used for PERT.
        TABLE = 5;
        /// Discrete: `aux` = offset of `p0 as u32` cumulative weights (last = 1) followed by as
        /// many values.
        DISCRETE = 6;
    }
}

/// One distribution, flattened: kind, auxiliary word, four parameters and the clamp range of
/// the field it feeds (samples are clamped into `[lo, hi]`, the field's allowed range).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct DistSpec {
    /// One of [`kind`].
    pub kind: u32,
    /// Offset into `FlatModel::table` for table-driven kinds, else 0.
    pub aux: u32,
    /// Kind-specific parameters.
    pub p: [f32; 4],
    /// Lower clamp.
    pub lo: f32,
    /// Upper clamp.
    pub hi: f32,
}

impl DistSpec {
    /// A fixed value (no uncertainty).
    pub fn fixed(v: f32) -> Self {
        DistSpec {
            kind: kind::FIXED,
            aux: 0,
            p: [v, 0.0, 0.0, 0.0],
            lo: f32::MIN,
            hi: f32::MAX,
        }
    }
}

/// Indices of the per-path sampled inputs of the environment (shared by all options), from
/// the table `model::tables::environment_inputs`.
pub mod env_in {
    use crate::model::tables::{environment_inputs, index_consts};
    environment_inputs!(index_consts!(0, COUNT));
}

/// Indices of the per-path sampled inputs of one option, from the tables
/// `model::tables::{option_inputs, job_inputs, class_inputs}`: the option inputs, then the job
/// inputs, then from `CLASS_BASE` one group of `PER_CLASS` inputs per failure class (class `c`
/// at `CLASS_BASE + PER_CLASS * c`; `CLASS_RATE`, ... are offsets within the group).
pub mod opt_in {
    use crate::model::tables::{class_inputs, index_consts, job_inputs, option_inputs};
    option_inputs!(index_consts!(0, OPTION_END));
    job_inputs!(index_consts!(OPTION_END, CLASS_BASE));
    class_inputs!(index_consts!(0, PER_CLASS));
    /// Number of option inputs.
    pub const COUNT: usize = CLASS_BASE + PER_CLASS * super::MAX_CLASSES;
}

/// Indices of the per-event distributions of one option.
pub mod opt_ev {
    crate::model::tables::wgsl_consts! { "EV_", usize;
        /// Repair (reset, or diagnose-and-swap) time of class `c` is at `REPAIR_BASE + c`,
        /// hours.
        REPAIR_BASE = 0;
        /// RMA round trip of class `c`'s failed unit (back into stock) is at `RMA_BASE + c`,
        /// days.
        RMA_BASE = super::MAX_CLASSES;
        /// Time for a new unit of type `u` to reach stock when the failed one is not sent on an
        /// RMA round trip is at `REPLENISH_BASE + u`, days.
        REPLENISH_BASE = 2 * super::MAX_CLASSES;
    }
    /// Number of event distributions.
    pub const COUNT: usize = REPLENISH_BASE + super::MAX_UNITS;
}

/// Whole-run header.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct RunParams {
    /// Philox key word 0 (low half of the seed).
    pub seed_lo: u32,
    /// Philox key word 1 (high half of the seed).
    pub seed_hi: u32,
    /// Options in use (`<= MAX_OPTIONS`).
    pub n_options: u32,
    /// Simulated days (`[scenario] horizon_days`, or `365 * horizon_years`).
    pub horizon_days: u32,
    /// Yearly cash flows, `ceil(horizon_days / 365)` (`<= MAX_YEARS`; the last year may be
    /// partial).
    pub n_years: u32,
    /// Inputs tied by the copula (`<= MAX_CORR`; 0 = independent inputs).
    pub n_corr: u32,
    /// Words used in `FlatModel::table`.
    pub table_len: u32,
    /// Months of the per-path monthly series (`fleet_step::n_months` of the horizon), or 0:
    /// no monthly series (the default; `fleetsim run` asks for it when it writes
    /// `timeseries.csv`). Only what the engines write changes, never a path's outputs.
    pub n_months: u32,
    /// Days on which an option's expected failures reach this many are drawn as counts
    /// (MODEL.md 6.4c), below it failure by failure: `model::counted::COUNTED_MIN_MEAN`, or 0
    /// (always counted) and infinity (never) for the tests that compare the two.
    pub counted_min_mean: f32,
}

/// The environment: sampled inputs shared by all options and the outage-duration distribution.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct EnvParams {
    /// Per-path inputs, indexed by [`env_in`].
    pub inputs: [DistSpec; env_in::COUNT],
    /// Duration of one regional outage, hours (per event).
    pub outage_hours: DistSpec,
    /// How SLA credits are paid: one of [`sla`].
    pub sla_mode: u32,
    /// Uptime tiers in use (`<= MAX_SLA_TIERS`; monthly SLA only).
    pub n_sla_tiers: u32,
    /// Tier `k` applies to a month whose uptime is below `sla_uptime_below[k]` (descending).
    pub sla_uptime_below: [f32; MAX_SLA_TIERS],
    /// Share of the month's revenue credited back under tier `k`.
    pub sla_credit: [f32; MAX_SLA_TIERS],
    /// What market-priced options' work is measured in: one of [`basis`].
    pub price_basis: u32,
}

/// Price bases of [`EnvParams::price_basis`]: the unit of work the market prices.
pub mod basis {
    crate::model::tables::wgsl_consts! { "BASIS_", u32;
        /// Effective dense BF16 PFLOP-hours (peak x MFU).
        BF16 = 0;
        /// Effective dense FP8 PFLOP-hours.
        FP8 = 1;
        /// Effective dense FP4 PFLOP-hours.
        FP4 = 2;
        /// HBM TB/s-hours (memory-bound inference), `market_usd_per_tbps_hour`.
        HBM = 3;
    }
}

/// How the data centre is valued at the horizon ([`OptionParams::dc_residual`]).
pub mod dc_residual {
    crate::model::tables::wgsl_consts! { "DC_RESIDUAL_", u32;
        /// By its use: the capital-recovery lease of its remaining life at the discount rate
        /// (what the next fleet would pay for it), on its cost at energisation.
        USE = 0;
        /// Straight-line book value (cost x remaining life / life).
        BOOK = 1;
        /// Not at all.
        NONE = 2;
    }
}

/// SLA modes of [`EnvParams::sla_mode`].
pub mod sla {
    crate::model::tables::wgsl_consts! { "SLA_", u32;
        /// `sla_credit_fraction` of an outage day's revenue, that day.
        DAILY = 0;
        /// Uptime tiers over 365/12-day months, credited on the month's last day.
        MONTHLY = 1;
    }
}

/// Gaussian copula over up to `MAX_CORR` sampled inputs: their uniforms `u` become
/// `Phi(L Phi^-1(u))` with `L` the Cholesky factor of the normal-space correlation.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct CorrParams {
    /// Global input index of each tied input: environment input `i` is `i`; option `o`'s input
    /// `i` is `env_in::COUNT + o * opt_in::COUNT + i`.
    pub idx: [u32; MAX_CORR],
    /// Row-major lower-triangular Cholesky factor (only the first `n_corr` rows/cols used).
    pub chol: [f32; MAX_CORR * MAX_CORR],
}

/// Flag bits of [`OptionParams::flags`].
pub mod flags {
    crate::model::tables::wgsl_consts! { "FLAG_", u32;
        /// Facility is leased (colocation, `colo_usd_per_kw_month`) instead of built (capex).
        COLO = 1;
        /// The fleet is already in service at day 0 (`in_service = true`): no delivery delay,
        /// no ramp, no burn-in rejects, no infant-mortality uplift, no demand ramp.
        IN_SERVICE = 2;
        /// Prices derive from the market (`market_usd_per_*` x the option's performance x
        /// (1 + `price_premium`)); else the option's explicit prices.
        MARKET = 4;
        /// Capacity is rented (`facility = "rent"`): no capex, no energy, a committed
        /// take-or-pay price per chip-hour.
        RENT = 8;
    }
}

/// One accelerator option: integer sizing, sampled inputs and event distributions.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct OptionParams {
    /// Nodes ordered (accelerators / chips_per_node, rounded up).
    pub nodes: u32,
    /// Chips per node (the replaceable, schedulable unit).
    pub chips_per_node: u32,
    /// Chips stopped by one node failure (a multiple of `chips_per_node`).
    pub blast_radius_chips: u32,
    /// Hot spare nodes bought with the fleet.
    pub spare_nodes: u32,
    /// Failure classes in use (`<= MAX_CLASSES`).
    pub n_classes: u32,
    /// Bit `c` set: class `c` is a hard failure (part swap, RMA).
    pub hard_mask: u32,
    /// Bits of [`flags`].
    pub flags: u32,
    /// Chips per synchronous training job; 0 disables the job view.
    pub job_chips: u32,
    /// The Philox stream word of the option's draws (sampled inputs and days): `1 +` the index
    /// of the first option with the same stream key, so options of the same hardware draw
    /// the same failures and repairs (common random numbers).
    pub stream: u32,
    /// Replaceable unit type of class `c` in bits `2c..2c+2` (0 = the whole node).
    pub class_units: u32,
    /// Bit `c` set: class `c`'s failed unit goes on an RMA round trip that refills the stock
    /// when it returns (`RMA_BASE + c`); else a new unit is ordered (`REPLENISH_BASE + u`).
    pub rma_mask: u32,
    /// Unit types in use, the node included (`1..=MAX_UNITS`).
    pub n_units: u32,
    /// Day the next generation ships (`next_gen_date` from `start_date`; `u32::MAX`: never).
    pub next_gen_day: u32,
    /// One of [`dc_residual`].
    pub dc_residual: u32,
    /// Bit `u` set: unit type `u`'s stock is `"auto"`, sized on every path from its sampled
    /// failure rates (`model::sample::auto_stock`); `unit_stock[u]` then holds the size at the
    /// mean rates, for reports only.
    pub unit_auto: u32,
    /// Which class carries hard class `c`'s way back in a counted day (MODEL.md 6.4c), in bits
    /// `3c..3c+3`: the first hard class of the same unit type with the same way-back
    /// distribution (its own index when it is the first).
    pub back_leaders: u32,
    /// On-site spare stock of unit type `u` (`u >= 1`; the node's is `spare_nodes`).
    pub unit_stock: [u32; MAX_UNITS],
    /// Hours to fit a unit of type `u` that arrives for a node waiting for it (`u >= 1`; the
    /// node's is the sampled `swap_hours`).
    pub unit_swap_hours: [f32; MAX_UNITS],
    /// Capital cost of one spare unit of type `u` (`u >= 1`; a spare node costs a node).
    pub unit_cost_usd: [f32; MAX_UNITS],
    /// Mean days a failed unit of class `c` takes back into stock (its RMA round trip or its
    /// unit's restock time): the pipeline an auto-sized pool is sized for.
    pub class_back_days: [f32; MAX_CLASSES],
    /// Where the day table of event distribution `e` starts in `FlatModel::table`
    /// (`model::counted`: a repair time's short-repair share and mean, a way back's daily
    /// hazards), for the counted day; set by `model::counted::attach`.
    pub ev_day: [u32; opt_ev::COUNT],
    /// Per-path inputs, indexed by [`opt_in`].
    pub inputs: [DistSpec; opt_in::COUNT],
    /// Per-event distributions, indexed by [`opt_ev`].
    pub events: [DistSpec; opt_ev::COUNT],
}

impl OptionParams {
    /// Unit type (0 = the whole node) of class `k` (WGSL twin `class_unit`).
    #[inline(always)]
    pub fn class_unit(&self, k: usize) -> usize {
        ((self.class_units >> (2 * k)) & 3) as usize
    }

    /// The event distribution of hard class `k`'s way back into stock: its RMA round trip
    /// (`rma` bit), or a new unit's lead time (WGSL twin `back_event`).
    #[inline(always)]
    pub fn back_event(&self, k: usize) -> usize {
        if self.rma_mask & (1 << k) != 0 {
            opt_ev::RMA_BASE + k
        } else {
            opt_ev::REPLENISH_BASE + self.class_unit(k)
        }
    }
}

/// One model as the kernel reads it (WGSL twin `Model` in `shaders/shared/params.wgsl`): the
/// flat parameters without the table, options padded with zeros to `MAX_OPTIONS`, and where the
/// model's tables start in the dispatch's table buffer (several models can share a dispatch).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct Model {
    /// Run header.
    pub run: RunParams,
    /// Environment.
    pub env: EnvParams,
    /// Copula.
    pub corr: CorrParams,
    /// The options, zero past `run.n_options`.
    pub options: [OptionParams; MAX_OPTIONS],
    /// Offset of this model's tables in the table buffer.
    pub table_base: u32,
}

impl Model {
    /// The kernel's view of `m`, its tables starting at `table_base`.
    pub fn new(m: &FlatModel, table_base: u32) -> Self {
        Model {
            run: m.run,
            env: m.env,
            corr: m.corr,
            options: std::array::from_fn(|o| {
                m.options.get(o).copied().unwrap_or_else(Zeroable::zeroed)
            }),
            table_base,
        }
    }
}

/// Everything the engines need for one run, as flat data. The GPU uploads exactly these bytes.
#[derive(Clone, Debug)]
pub struct FlatModel {
    /// Run header.
    pub run: RunParams,
    /// Environment.
    pub env: EnvParams,
    /// Copula.
    pub corr: CorrParams,
    /// `run.n_options` options.
    pub options: Vec<OptionParams>,
    /// Quantile and discrete tables referenced by `DistSpec::aux`.
    pub table: Vec<f32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    fn layouts_are_wgsl_compatible() {
        assert_eq!(size_of::<DistSpec>(), 32);
        assert_eq!(align_of::<DistSpec>(), 4);
        assert_eq!(offset_of!(DistSpec, p), 8);
        assert_eq!(offset_of!(DistSpec, lo), 24);
        assert_eq!(size_of::<RunParams>(), 36);
        assert_eq!(
            size_of::<EnvParams>(),
            32 * (env_in::COUNT + 1) + 12 + 8 * MAX_SLA_TIERS
        );
        assert_eq!(
            size_of::<CorrParams>(),
            4 * MAX_CORR + 4 * MAX_CORR * MAX_CORR
        );
        let head = 4 * (16 + 3 * MAX_UNITS + MAX_CLASSES + opt_ev::COUNT);
        assert_eq!(offset_of!(OptionParams, inputs), head);
        assert_eq!(offset_of!(OptionParams, events), head + 32 * opt_in::COUNT);
        assert_eq!(
            size_of::<OptionParams>(),
            head + 32 * (opt_in::COUNT + opt_ev::COUNT)
        );
    }
}
