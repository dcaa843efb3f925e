//! Host twins of the WGSL structs the simulate kernel carries from one window of days to the
//! next (`Carried`, `EnvState`, `OptionState`, `KSum` in `shaders/shared/fleet_step.wgsl`): the
//! host never reads their fields, but sizes the state buffer from them, and
//! `tests/gpu_layout.rs` checks each against naga's layout of the WGSL, field by field.

use bytemuck::{Pod, Zeroable};

use crate::model::params::{MAX_BUCKETS, MAX_CLASSES, MAX_UNITS, MAX_YEARS, RING_DAYS};

/// A compensated sum: value and compensation (twin of the CPU's `model::fleet_step::KSum`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct KSum {
    /// The sum.
    pub s: f32,
    /// Kahan compensation.
    pub c: f32,
}

/// The environment's carried state.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct EnvState {
    /// Outage hours still to come.
    pub outage_left: f32,
    /// Regional outage hours of the current SLA month so far.
    pub month_out_h: f32,
}

/// One option's carried state (the GPU layout of the CPU's `OptionState`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
#[allow(missing_docs)]
pub struct OptionState {
    pub ring_units: [u32; RING_DAYS],
    pub ring_parts: [[u32; RING_DAYS]; MAX_UNITS],
    pub ring_hours: [f32; RING_DAYS],
    pub year_cf: [KSum; MAX_YEARS],
    pub spares: [u32; MAX_UNITS],
    pub backorders: [u32; MAX_CLASSES],
    pub class_failures: [u32; MAX_CLASSES],
    pub class_lost: [KSum; MAX_CLASSES],
    pub installed: u32,
    pub down: u32,
    pub waiting: u32,
    pub interruptions: u32,
    pub hard: u32,
    pub soft: u32,
    pub payback: u32,
    /// 0 or 1.
    pub went_negative: u32,
    pub demand_x: f32,
    pub hw_capex: f32,
    pub npv: KSum,
    pub cum_cf: KSum,
    pub opex: KSum,
    pub energy_kwh: KSum,
    pub revenue: KSum,
    pub avail_hours: KSum,
    pub installed_hours: KSum,
    pub delivered: KSum,
    pub job_num: KSum,
    pub job_den: KSum,
    pub job_days: KSum,
    pub job_restart: KSum,
    /// Revenue of the current SLA month so far.
    pub month_rev: f32,
    pub res_mult: f32,
    pub next_term: u32,
    pub prepay_day: f32,
    pub rent_mult: f32,
    pub next_rent: u32,
    pub pv_cost: KSum,
    pub pv_inst: KSum,
    pub pv_sold: KSum,
    pub pv_job: KSum,
    pub dpayback: u32,
    /// 0 or 1.
    pub dwent_negative: u32,
    pub bucket_cf: [f32; MAX_BUCKETS],
    pub bucket_m1: [f32; MAX_BUCKETS],
    pub year_capex: [f32; MAX_YEARS],
    pub year_hw: [f32; MAX_YEARS],
    pub pv_revenue: KSum,
    pub pv_credits: KSum,
    pub pv_capex: KSum,
    pub pv_energy_rent: KSum,
    pub pv_maint: KSum,
    pub pv_ops: KSum,
    pub pv_facility: KSum,
    pub pv_lost_fail: KSum,
    pub pv_lost_out: KSum,
    pub m_opex: f32,
    pub m_avail: f32,
    pub fail_mark: u32,
}

/// What one invocation carries between windows: one element of the kernel's `state` buffer.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct Carried {
    /// The environment (every option's invocation steps its own copy).
    pub env: EnvState,
    /// The option.
    pub option: OptionState,
}

/// Bytes of one invocation's carried state.
pub const CARRIED_BYTES: u64 = std::mem::size_of::<Carried>() as u64;
