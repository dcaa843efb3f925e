//! One simulated path: sample the inputs at day 0, then step every option through the horizon
//! day by day, and write each option's output record. Rust twin of
//! `shaders/shared/fleet_step.wgsl`; generic over [`Real`] so the same code runs in f32 (the
//! kernel's precision and operation order) and in f64 (the reference).
//!
//! The semantics (what a day does, in what order draws are consumed) are documented in
//! `docs/MODEL.md` (section 6); keep that file, this one and the WGSL in step.

// Index loops are kept on purpose: they read like the WGSL kernel this file is the twin of.
#![allow(clippy::needless_range_loop)]

use crate::model::counted::{CELLS_PER_DAY, CHAIN_PER_DAY, SHORT_SUM_MIN};
use crate::model::job::renewal_losses;
use crate::model::outputs::{N_MONTHLY, N_OUT, idx, mon};
use crate::model::params::{
    DistSpec, EnvParams, FlatModel, MAX_BUCKETS, MAX_CLASSES, MAX_CORR, MAX_OPTIONS, MAX_SLA_TIERS,
    MAX_UNITS, MAX_YEARS, MONTHS_PER_YEAR, OptionParams, RING_DAYS, basis, dc_residual, env_in,
    flags, opt_ev, opt_in, sla,
};
use crate::model::philox::{DAY_INIT, DayStream, STREAM_ENV};
use crate::model::real::Real;
use crate::model::sample::{
    BinomialCache, POISSON_INV_MAX_MEAN, auto_stock, binomial, binomial_cached, norm_cdf,
    norm_inv_cdf, poisson, poisson_inversion, poisson_p0, poisson_with_p0, sample_dist,
};

/// Compensated (Kahan) running sum: keeps f32 accumulation over thousands of days accurate.
#[derive(Clone, Copy, Debug)]
pub struct KSum<F: Real> {
    s: F,
    c: F,
}

impl<F: Real> KSum<F> {
    /// An empty sum.
    #[inline(always)]
    pub fn zero() -> Self {
        KSum {
            s: F::c(0.0),
            c: F::c(0.0),
        }
    }
    /// Adds `x`.
    #[inline(always)]
    pub fn add(&mut self, x: F) {
        let y = x - self.c;
        let t = self.s + y;
        self.c = (t - self.s) - y;
        self.s = t;
    }
    /// The sum.
    #[inline(always)]
    pub fn get(&self) -> F {
        self.s
    }
}

/// The sampled inputs of one path: environment and every option.
#[derive(Clone, Debug)]
pub struct PathInputs<F: Real> {
    /// Environment inputs, indexed by [`env_in`].
    pub env: [F; env_in::COUNT],
    /// Option inputs, indexed by [`opt_in`].
    pub opt: [[F; opt_in::COUNT]; MAX_OPTIONS],
}

/// Draws the sampled inputs of path `path`: one uniform lane per input, in index order, from
/// the (path, DAY_INIT, stream) stream; the copula then ties the listed inputs; each uniform is
/// finally mapped through its distribution's inverse CDF.
pub fn sample_inputs<F: Real>(m: &FlatModel, path: u32) -> PathInputs<F> {
    let key = [m.run.seed_lo, m.run.seed_hi];
    let n_opt = m.run.n_options as usize;
    let mut ue = [F::c(0.5); env_in::COUNT];
    let mut uo = [[F::c(0.5); opt_in::COUNT]; MAX_OPTIONS];
    let mut s = DayStream::new(key, path, DAY_INIT, STREAM_ENV);
    for u in ue.iter_mut() {
        *u = s.next_u01();
    }
    for (o, row) in uo.iter_mut().enumerate().take(n_opt) {
        let mut s = DayStream::new(key, path, DAY_INIT, m.options[o].stream);
        for u in row.iter_mut() {
            *u = s.next_u01();
        }
    }
    let nc = m.run.n_corr as usize;
    if nc > 0 {
        let slot = |g: u32| -> (usize, usize) {
            let g = g as usize;
            if g < env_in::COUNT {
                (usize::MAX, g)
            } else {
                let k = g - env_in::COUNT;
                (k / opt_in::COUNT, k % opt_in::COUNT)
            }
        };
        let mut z = [F::c(0.0); MAX_CORR];
        for (k, zk) in z.iter_mut().enumerate().take(nc) {
            let (o, i) = slot(m.corr.idx[k]);
            let u = if o == usize::MAX { ue[i] } else { uo[o][i] };
            *zk = norm_inv_cdf(u);
        }
        for r in 0..nc {
            let mut acc = F::c(0.0);
            for (c, zc) in z.iter().enumerate().take(r + 1) {
                acc += F::from_f32(m.corr.chol[r * MAX_CORR + c]) * *zc;
            }
            let u = norm_cdf(acc).clamp(F::c(1e-7), F::c(1.0 - 1e-7));
            let (o, i) = slot(m.corr.idx[r]);
            if o == usize::MAX {
                ue[i] = u;
            } else {
                uo[o][i] = u;
            }
        }
    }
    let mut out = PathInputs {
        env: [F::c(0.0); env_in::COUNT],
        opt: [[F::c(0.0); opt_in::COUNT]; MAX_OPTIONS],
    };
    for i in 0..env_in::COUNT {
        out.env[i] = sample_dist(&m.env.inputs[i], ue[i], &m.table);
    }
    for o in 0..n_opt {
        for i in 0..opt_in::COUNT {
            out.opt[o][i] = sample_dist(&m.options[o].inputs[i], uo[o][i], &m.table);
        }
    }
    out
}

/// Nodes delivered by the end of day `t`: none before `delay`, then a linear ramp over
/// `ramp` days, in exact integer arithmetic (`q k + r k / ramp`, no overflow for the
/// validated ranges) so both engines agree on every count.
#[inline(always)]
pub fn arrived(nodes: u32, delay: u32, ramp: u32, t: i64) -> u32 {
    if t < delay as i64 {
        return 0;
    }
    if ramp == 0 {
        return nodes;
    }
    let k = (t - delay as i64 + 1) as u32;
    if k >= ramp {
        return nodes;
    }
    let q = nodes / ramp;
    let r = nodes % ramp;
    q * k + (r * k) / ramp
}

/// Per-option state carried from day to day (WGSL twin `OptionState`, which the kernel also
/// carries between windows of days).
#[derive(Clone, Debug)]
struct OptionState<F: Real> {
    // fleet
    /// Nodes delivered by the end of yesterday.
    installed: u32,
    /// Nodes out of service: repairs of a day or more, burn-in rejects, nodes waiting for a
    /// spare unit.
    down: u32,
    /// On-site spare stock by unit type (0 = hot spare nodes).
    spares: [u32; MAX_UNITS],
    /// Nodes of class `k` waiting for a spare unit (the stock of the class's unit was empty).
    backorders: [u32; MAX_CLASSES],
    /// Sum of `backorders`.
    waiting: u32,
    ring_units: [u32; RING_DAYS],
    /// Units arriving into stock (back from RMA, or newly ordered), by unit type and day.
    ring_parts: [[u32; RING_DAYS]; MAX_UNITS],
    ring_hours: [F; RING_DAYS],
    demand_x: F,
    // accumulators
    npv: KSum<F>,
    cum_cf: KSum<F>,
    /// Hardware capex paid so far (fleet and spares); total capex adds the DC build.
    hw_capex: F,
    opex: KSum<F>,
    energy_kwh: KSum<F>,
    revenue: KSum<F>,
    avail_hours: KSum<F>,
    installed_hours: KSum<F>,
    delivered: KSum<F>,
    job_num: KSum<F>,
    job_den: KSum<F>,
    /// Job chip-hours spent restarting.
    job_restart: KSum<F>,
    job_days: KSum<F>,
    interruptions: u32,
    hard: u32,
    soft: u32,
    payback: u32,
    went_negative: bool,
    year_cf: [KSum<F>; MAX_YEARS],
    /// Failures by class.
    class_failures: [u32; MAX_CLASSES],
    /// Node-hours lost by class (repairs and swaps times the blast radius, waiting for units).
    class_lost: [KSum<F>; MAX_CLASSES],
    /// Revenue of the current SLA month so far (before its credit; monthly SLA).
    month_rev: F,
    // contracts
    /// Price multiplier of the current reserved term (the market's at its start; the first
    /// term's is day 0's).
    res_mult: F,
    /// Day the next reserved term starts.
    next_term: u32,
    /// Prepaid reserved revenue drawn down each day of the current term.
    prepay_day: F,
    /// Price multiplier of the current rental term.
    rent_mult: F,
    /// Day the next rental term starts.
    next_rent: u32,
    // finance
    /// Present value of capex and opex (the residual is subtracted at the horizon).
    pv_cost: KSum<F>,
    /// Present values of installed chip-hours, sold chip-hours and job chip-hours.
    pv_inst: KSum<F>,
    pv_sold: KSum<F>,
    pv_job: KSum<F>,
    /// First day the running NPV is back to zero after going negative.
    dpayback: u32,
    dwent_negative: bool,
    /// Cash flow of each IRR bucket, and its first moment about the bucket's centre (days).
    bucket_cf: [F; MAX_BUCKETS],
    bucket_m1: [F; MAX_BUCKETS],
    /// Capex paid in each cash-flow year, and its hardware part (servers, spares).
    year_capex: [F; MAX_YEARS],
    year_hw: [F; MAX_YEARS],
    // NPV decomposition: the present value of each cash-flow line of `npv` (energy and rent
    // share one sum: an option pays one or the other), and of the revenue lost to failures
    // and to outages.
    pv_revenue: KSum<F>,
    pv_credits: KSum<F>,
    pv_capex: KSum<F>,
    pv_energy_rent: KSum<F>,
    pv_maint: KSum<F>,
    pv_ops: KSum<F>,
    pv_facility: KSum<F>,
    pv_lost_fail: KSum<F>,
    pv_lost_out: KSum<F>,
    // Monthly series: the month's opex and available chip-hours so far, and the failures
    // (hard + soft) counted by the end of last month.
    m_opex: F,
    m_avail: F,
    fail_mark: u32,
}

/// Per-option constants derived once per path from the sampled inputs (stage `option_consts`;
/// WGSL twin `OptionConsts`). Fields marked CPU-only are precomputed factors or converted
/// tables that the kernel computes inline (same operations, so the same values).
#[derive(Clone, Debug)]
struct OptionConsts<F: Real> {
    nodes: u32,
    cpn: F,
    blast_nodes: F,
    delay: u32,
    ramp: u32,
    burn_fail: F,
    replacement: u32,
    swap_h: F,
    capex_per_node: F,
    it_kw_per_chip: F,
    idle: F,
    pue: F,
    dc_capex: F,
    dc_life_days: F,
    colo_per_kw_day: F,
    maint_per_day: F,
    ops_per_mw_day: F,
    warranty_day: F,
    part_cost: F,
    residual_frac: F,
    life_days: F,
    res_frac: F,
    mu_logit: F,
    pflop_per_chip_hour: F,
    job_frac: F,
    job_chips: F,
    /// Checkpoint interval, checkpoint stall and restart of an interruption, hours.
    job_tau_h: F,
    job_ckpt_h: F,
    job_restart_h: F,
    /// Goodput without interruptions, `tau / (tau + C)`.
    job_g0: F,
    /// Restart hours of planned stops per job-day.
    job_planned_h: F,
    rate: [F; MAX_CLASSES],
    infant_extra: [F; MAX_CLASSES],
    infant_days: [u32; MAX_CLASSES],
    /// CPU-only: first day on which class `k` no longer has an infant-mortality uplift: `delay + ramp +
    /// infant_days[k]` where the uplift applies (`infant_days[k] > 0`, `infant_extra[k] != 0`),
    /// else 0 (never applies). `t < infant_until[k]` is the daily test.
    infant_until: [u32; MAX_CLASSES],
    /// CPU-only: the largest `infant_until`: from this day on the class weights depend only on the
    /// number of nodes up, so they are reused while that number does not change.
    infant_end: u32,
    /// CPU-only: the event distributions with their table bounds converted, by [`opt_ev`].
    events: [EventDist<F>; opt_ev::COUNT],
    // CPU-only: factors of the daily revenue and energy formulas that are the same every day
    // (each is the leading sub-product of its left-to-right expression, so the results are
    // unchanged).
    /// `res_frac * p_res`.
    res_price: F,
    /// `1 - res_frac`.
    od_frac: F,
    /// `(1 - res_frac) * p_od`.
    od_price: F,
    /// `1 - idle`.
    busy: F,
    /// On-site stock of each unit type bought at delivery (unit 0: `spare_nodes`); an auto pool
    /// is sized from this path's failure rates.
    stock: [u32; MAX_UNITS],
    /// `min(fitting hours, 24)` of each unit type: node-hours lost when a unit arrives for a
    /// node waiting for it (unit 0, the node: `swap_h`).
    swap_day: [F; MAX_UNITS],
    /// The fleet is in service at day 0 ([`flags::IN_SERVICE`]): no demand ramp.
    in_service: bool,
    /// Day the next generation ships and the factor the option's market price keeps then.
    gen_day: u32,
    gen_mult: F,
    /// Reserved term in days, and the share of each term prepaid.
    term_days: u32,
    prepay: F,
    /// Contracted chip-hours per day of the whole fleet, `nodes * cpn * 24`.
    contract_ch: F,
    /// Rented capacity ([`flags::RENT`]): rent per installed node-day at day 0 (uplift
    /// included), and the rental term in days.
    rent: bool,
    rent_node_day: F,
    rent_term_days: u32,
    /// Contracted power capacity charge per day (whole fleet, IT x PUE), from `power_from`.
    power_day: F,
    power_from: u32,
    /// Energisation day: the data centre is built over days `0..energise` (0: ready at day 0).
    energise: u32,
    /// Data-centre capex paid each build day (`dc_capex / energise`).
    dc_per_day: F,
    /// The data centre's cost at energisation: capex plus interest during construction.
    dc_base: F,
    dc_residual: u32,
    /// HBM bandwidth per chip, TB/s.
    hbm: F,
}

impl<F: Real> OptionConsts<F> {
    /// The option's own market-price factor on day `t` before the shared decline: the
    /// next-generation step once it has shipped.
    #[inline(always)]
    fn market_mult(&self, t: u32) -> F {
        if t >= self.gen_day {
            self.gen_mult
        } else {
            F::c(1.0)
        }
    }
}

/// Quantities of one option that depend on the day only through the number of nodes
/// delivered, `inst`: kept while it does not change (after the ramp, for good).
#[derive(Clone, Copy, Debug)]
struct InstConst<F: Real> {
    /// The `inst` they were computed for.
    inst: u32,
    /// Training jobs running.
    n_jobs: F,
    /// Share of chips inside jobs.
    q_job: F,
    /// Job chip-hours of the day, `n_jobs * job_chips * 24`.
    job_ch: F,
    /// `job_ch * job_g0`.
    job_ch_net: F,
    /// Installed chip-hours of the day, `inst * cpn * 24`.
    inst_ch: F,
    /// `ops_per_mw_day * it_mw`.
    ops: F,
    /// `colo_per_kw_day * it_mw * 1000`.
    colo: F,
}

impl<F: Real> InstConst<F> {
    fn new(c: &OptionConsts<F>, inst: u32) -> Self {
        let inst_f = F::from_u32(inst);
        let n_jobs = if c.job_frac > F::c(0.0) && inst > 0 {
            F::from_u32((c.job_frac * inst_f * c.cpn / c.job_chips).to_u32_sat())
        } else {
            F::c(0.0)
        };
        let q_job = if inst > 0 {
            n_jobs * c.job_chips / (inst_f * c.cpn)
        } else {
            F::c(0.0)
        };
        let job_ch = n_jobs * c.job_chips * F::c(24.0);
        let it_mw = inst_f * c.cpn * c.it_kw_per_chip * F::c(0.001);
        InstConst {
            inst,
            n_jobs,
            q_job,
            job_ch,
            job_ch_net: job_ch * c.job_g0,
            inst_ch: inst_f * c.cpn * F::c(24.0),
            ops: c.ops_per_mw_day * it_mw,
            colo: c.colo_per_kw_day * it_mw * F::c(1000.0),
        }
    }
}

/// Stage `option_consts`: the constants of one option for one path.
fn option_consts<F: Real>(
    m: &FlatModel,
    env: &EnvConsts<F>,
    p: &OptionParams,
    x: &[F; opt_in::COUNT],
) -> OptionConsts<F> {
    let cpn = F::from_u32(p.chips_per_node);
    let colo = p.flags & flags::COLO != 0;
    let rent = p.flags & flags::RENT != 0;
    let build = !colo && !rent;
    let in_service = p.flags & flags::IN_SERVICE != 0;
    let it_kw = (x[opt_in::CHIP_W] + x[opt_in::HOST_W_PER_CHIP]) * F::c(0.001);
    let facility_mw = F::from_u32(p.nodes) * cpn * it_kw * F::c(0.001);
    let mut rate = [F::c(0.0); MAX_CLASSES];
    let mut infant_extra = [F::c(0.0); MAX_CLASSES];
    let mut infant_days = [0u32; MAX_CLASSES];
    for c in 0..(p.n_classes as usize).min(MAX_CLASSES) {
        let b = opt_in::CLASS_BASE + opt_in::PER_CLASS * c;
        rate[c] = x[b + opt_in::CLASS_RATE];
        infant_extra[c] = x[b + opt_in::CLASS_INFANT_MULT] - F::c(1.0);
        infant_days[c] = round_days(x[b + opt_in::CLASS_INFANT_DAYS], 100_000);
        if in_service {
            // A fleet in service is past its infant period.
            infant_extra[c] = F::c(0.0);
        }
    }
    let tau = x[opt_in::CHECKPOINT_INTERVAL_MINUTES].max(F::c(1e-3));
    let u = x[opt_in::UTILIZATION_MEAN];
    // In service at day 0: delivered, installed and burnt in before the horizon starts (the
    // inputs are still drawn, in their lanes, and ignored).
    // A data centre still to be built is energised after its build months; the fleet is
    // delivered no earlier.
    let energise = if build && !in_service {
        round_days(x[opt_in::DC_BUILD_MONTHS] * F::c(365.0 / 12.0), 100_000)
    } else {
        0
    };
    let delay = if in_service {
        0
    } else {
        round_days(x[opt_in::DELIVERY_DELAY_DAYS], 100_000).max(energise)
    };
    let ramp = if in_service {
        0
    } else {
        round_days(x[opt_in::RAMP_DAYS], 100_000)
    };
    let mut infant_until = [0u32; MAX_CLASSES];
    for c in 0..(p.n_classes as usize).min(MAX_CLASSES) {
        if infant_days[c] > 0 && infant_extra[c] != F::c(0.0) {
            infant_until[c] = delay + ramp + infant_days[c];
        }
    }
    let dc_capex = if build {
        facility_mw * x[opt_in::DC_CAPEX_PER_MW_USD]
    } else {
        F::c(0.0)
    };
    // Interest during construction at the discount rate, payments spread evenly over the
    // build (continuous approximation): (e^(l E) - 1) / (l E).
    let le = env.lr_disc * F::from_u32(energise);
    let idc = if le > F::c(1e-4) {
        ((le).exp() - F::c(1.0)) / le
    } else {
        F::c(1.0) + F::c(0.5) * le
    };
    let (p_res, p_od) = if p.flags & flags::MARKET != 0 {
        let b = m.env.price_basis;
        let (market, perf) = if b == basis::HBM {
            (env.market_tbps, x[opt_in::HBM_TB_PER_S])
        } else {
            let peak = if b == basis::FP8 {
                x[opt_in::PEAK_FP8_PFLOPS]
            } else if b == basis::FP4 {
                x[opt_in::PEAK_FP4_PFLOPS]
            } else {
                x[opt_in::PEAK_BF16_PFLOPS]
            };
            (env.market_flops, peak * x[opt_in::MFU])
        };
        let pr = market * perf * (F::c(1.0) + x[opt_in::PRICE_PREMIUM]);
        (pr, pr * (F::c(1.0) + env.od_premium))
    } else {
        (
            x[opt_in::RESERVED_USD_PER_CHIP_HOUR],
            x[opt_in::ON_DEMAND_USD_PER_CHIP_HOUR],
        )
    };
    let facility_kw = F::from_u32(p.nodes) * cpn * it_kw * x[opt_in::PUE];
    OptionConsts {
        nodes: p.nodes,
        cpn,
        blast_nodes: F::from_u32(p.blast_radius_chips.max(p.chips_per_node)) / cpn,
        delay,
        ramp,
        burn_fail: if in_service {
            F::c(0.0)
        } else {
            F::c(1.0) - x[opt_in::BURN_IN_YIELD]
        },
        replacement: round_days(x[opt_in::REPLACEMENT_DAYS], RING_DAYS as u32 - 1),
        swap_h: x[opt_in::SWAP_HOURS],
        capex_per_node: if rent {
            F::c(0.0)
        } else {
            (x[opt_in::SERVER_CAPEX_PER_CHIP_USD]
                + x[opt_in::NETWORK_CAPEX_PER_CHIP_USD]
                + x[opt_in::STORAGE_CAPEX_PER_CHIP_USD]
                + x[opt_in::COOLING_CAPEX_PER_CHIP_USD])
                * cpn
        },
        it_kw_per_chip: it_kw,
        idle: x[opt_in::IDLE_POWER_FRACTION],
        pue: x[opt_in::PUE],
        dc_capex,
        dc_life_days: x[opt_in::DC_LIFE_YEARS] * F::c(365.0),
        colo_per_kw_day: if colo {
            x[opt_in::COLO_USD_PER_KW_MONTH] * F::c(12.0 / 365.0)
        } else {
            F::c(0.0)
        },
        maint_per_day: x[opt_in::MAINTENANCE_FRACTION_PER_YEAR] * F::c(1.0 / 365.0),
        // A rented fleet's operations and power are the provider's (in its rent).
        ops_per_mw_day: if rent {
            F::c(0.0)
        } else {
            x[opt_in::OPS_USD_PER_MW_YEAR] * F::c(1.0 / 365.0)
        },
        warranty_day: x[opt_in::WARRANTY_YEARS] * F::c(365.0),
        part_cost: if rent {
            F::c(0.0)
        } else {
            x[opt_in::PART_COST_USD]
        },
        residual_frac: x[opt_in::RESIDUAL_FRACTION],
        life_days: x[opt_in::USEFUL_LIFE_YEARS] * F::c(365.0),
        res_frac: x[opt_in::RESERVED_FRACTION],
        mu_logit: (u / (F::c(1.0) - u)).ln(),
        pflop_per_chip_hour: x[opt_in::PEAK_BF16_PFLOPS] * x[opt_in::MFU],
        job_frac: if p.job_chips > 0 {
            x[opt_in::JOB_FRACTION]
        } else {
            F::c(0.0)
        },
        job_chips: F::from_u32(p.job_chips),
        job_tau_h: tau * F::c(1.0 / 60.0),
        job_ckpt_h: x[opt_in::CHECKPOINT_COST_SECONDS] * F::c(1.0 / 3600.0),
        job_restart_h: x[opt_in::RESTART_MINUTES] * F::c(1.0 / 60.0),
        job_g0: tau / (tau + x[opt_in::CHECKPOINT_COST_SECONDS] * F::c(1.0 / 60.0)),
        job_planned_h: x[opt_in::PLANNED_INTERRUPTIONS_PER_DAY]
            * x[opt_in::PLANNED_RESTART_MINUTES]
            * F::c(1.0 / 60.0),
        rate,
        infant_extra,
        infant_days,
        infant_until,
        infant_end: infant_until.into_iter().max().unwrap_or(0),
        events: std::array::from_fn(|i| EventDist::new(&p.events[i])),
        res_price: x[opt_in::RESERVED_FRACTION] * p_res,
        od_frac: F::c(1.0) - x[opt_in::RESERVED_FRACTION],
        od_price: (F::c(1.0) - x[opt_in::RESERVED_FRACTION]) * p_od,
        busy: F::c(1.0) - x[opt_in::IDLE_POWER_FRACTION],
        stock: unit_stocks(p, &rate),
        swap_day: std::array::from_fn(|u| {
            if u == 0 {
                x[opt_in::SWAP_HOURS].min(F::c(24.0))
            } else {
                F::from_f32(p.unit_swap_hours[u]).min(F::c(24.0))
            }
        }),
        in_service,
        gen_day: p.next_gen_day,
        gen_mult: F::c(1.0) - x[opt_in::NEXT_GEN_PRICE_STEP],
        term_days: round_days(x[opt_in::RESERVED_TERM_YEARS] * F::c(365.0), 100_000).max(1),
        prepay: x[opt_in::PREPAY_FRACTION],
        contract_ch: F::from_u32(p.nodes) * cpn * F::c(24.0),
        rent,
        rent_node_day: if rent {
            x[opt_in::RENT_USD_PER_CHIP_HOUR]
                * (F::c(1.0) + x[opt_in::RENT_UPLIFT_FRACTION])
                * cpn
                * F::c(24.0)
        } else {
            F::c(0.0)
        },
        rent_term_days: round_days(x[opt_in::RENT_TERM_YEARS] * F::c(365.0), 100_000).max(1),
        power_day: if rent {
            F::c(0.0)
        } else {
            x[opt_in::POWER_USD_PER_KW_MONTH] * F::c(12.0 / 365.0) * facility_kw
        },
        power_from: if energise > 0 { energise } else { delay },
        energise,
        dc_per_day: if energise > 0 {
            dc_capex / F::from_u32(energise)
        } else {
            F::c(0.0)
        },
        dc_base: dc_capex * idc,
        dc_residual: p.dc_residual,
        hbm: x[opt_in::HBM_TB_PER_S],
    }
}

/// The stock of each unit type (0: spare nodes) on a path whose classes fail at `rate` per
/// node-day: as written, or for an auto pool the [`auto_stock`] of its pipeline, nodes x the
/// sum over its classes of rate x mean days back.
fn unit_stocks<F: Real>(p: &OptionParams, rate: &[F; MAX_CLASSES]) -> [u32; MAX_UNITS] {
    let mut stock = [0u32; MAX_UNITS];
    for u in 0..(p.n_units as usize).clamp(1, MAX_UNITS) {
        stock[u] = if u == 0 {
            p.spare_nodes
        } else {
            p.unit_stock[u]
        };
        if p.unit_auto & (1 << u) != 0 {
            let mut per_node = F::c(0.0);
            for k in 0..(p.n_classes as usize).min(MAX_CLASSES) {
                if p.hard_mask & (1 << k) != 0 && p.class_unit(k) == u {
                    per_node += rate[k] * F::from_f32(p.class_back_days[k]);
                }
            }
            stock[u] = auto_stock(F::from_u32(p.nodes) * per_node);
        }
    }
    stock
}

/// Slots of the per-option cache of class weights, indexed by `up % WEIGHT_SLOTS`: the number
/// of nodes up moves within a narrow band once the fleet is delivered, so most days hit.
const WEIGHT_SLOTS: usize = 64;

/// Failure weights of one option's classes on one day, with the count `up` of nodes up they
/// were computed for (0: not reusable, because an infant uplift applied).
#[derive(Clone, Copy, Debug)]
struct ClassWeights<F: Real> {
    up: u32,
    /// `w[k]`: expected failures of class `k` today.
    w: [F; MAX_CLASSES],
    /// `cum[k] = w[0] + ... + w[k]`, summed in class order (the running `total`).
    cum: [F; MAX_CLASSES],
    /// `cum[k]` for `k + 1 < n_classes`, NaN elsewhere (never below a target): the class of a
    /// failure is the number of entries below its target.
    below: [F; MAX_CLASSES],
    total: F,
    /// [`poisson_p0`]`(total)`.
    p0: F,
    /// The delivered count the job losses below were computed for (`u32::MAX`: none yet).
    job_inst: u32,
    /// [`renewal_losses`] at this day's job interruption rate.
    job_losses: (F, F),
}

impl<F: Real> ClassWeights<F> {
    fn new() -> Self {
        ClassWeights {
            up: 0,
            w: [F::c(0.0); MAX_CLASSES],
            cum: [F::c(0.0); MAX_CLASSES],
            below: [F::c(f64::NAN); MAX_CLASSES],
            total: F::c(0.0),
            p0: F::c(1.0),
            job_inst: u32::MAX,
            job_losses: (F::c(0.0), F::c(0.0)),
        }
    }
}

/// Rounds a sampled day count to the nearest whole day, clamped to `[0, cap]`.
#[inline(always)]
fn round_days<F: Real>(x: F, cap: u32) -> u32 {
    // Truncation of a non-negative value is its floor (`as` saturates, NaN -> 0).
    (x + F::c(0.5)).to_u32_sat().min(cap)
}

/// Puts a node down for `hours`: less than a day is charged as lost node-hours today; longer
/// repairs keep the node down for whole days and return it on day `t + floor(h/24)`, charging
/// the remainder there. Repairs are capped at `RING_DAYS - 1` days.
/// Returns the node-hours charged (`full * 24 + rem`, or `hours` under a day).
#[inline(always)]
fn schedule_down<F: Real>(st: &mut OptionState<F>, lost_today: &mut F, t: u32, hours: F) -> F {
    let full = (hours * F::c(1.0 / 24.0)).to_u32_sat();
    if full == 0 {
        *lost_today += hours;
        hours
    } else {
        let full = full.min(RING_DAYS as u32 - 1);
        let rem = (hours - F::from_u32(full) * F::c(24.0)).clamp(F::c(0.0), F::c(24.0));
        let slot = ((t + full) as usize) % RING_DAYS;
        st.down += 1;
        st.ring_units[slot] += 1;
        st.ring_hours[slot] += rem;
        F::from_u32(full) * F::c(24.0) + rem
    }
}

/// One failed unit of type `u` on its way back into stock from day `t`: its way-back time
/// from event distribution `back` (one uniform), rounded to whole days, at least 1, at most
/// the ring's.
#[inline(always)]
fn send_back<F: Real>(
    m: &FlatModel,
    c: &OptionConsts<F>,
    s: &mut OptionState<F>,
    os: &mut DayStream,
    back: usize,
    u: usize,
    t: u32,
) {
    let days = sample_event(&c.events[back], os.next_u01::<F>(), &m.table);
    let rd = round_days(days, RING_DAYS as u32 - 1).max(1);
    s.ring_parts[u][((t + rd) as usize) % RING_DAYS] += 1;
}

/// Adds the node-hours `charged` by a repair of class `k` on day `t` to its lost node-hours:
/// times the blast radius in nodes, capped at the hours left in the horizon.
#[inline(always)]
fn charge_class<F: Real>(
    s: &mut OptionState<F>,
    c: &OptionConsts<F>,
    k: usize,
    charged: F,
    t: u32,
    horizon: u32,
) {
    // Under a day it is all within the horizon (t < horizon).
    let h = if charged > F::c(24.0) {
        charged.min(F::from_u32(horizon - t) * F::c(24.0))
    } else {
        charged
    };
    s.class_lost[k].add(h * c.blast_nodes);
}

/// Net present value at daily log-rate `l` of cash flows kept in IRR buckets of `bucket_days`
/// days (each its sum `cf` and first moment `m1` about its centre), up to the positive factor
/// `exp(-l * centre of bucket 0)`: `sum_b q^b (cf_b - l m1_b)` with `q = exp(-l * bucket_days)`,
/// the first-order expansion of each day's `exp(-l t)` about its bucket's centre.
#[inline(always)]
fn bucket_npv<F: Real>(cf: &[F; MAX_BUCKETS], m1: &[F; MAX_BUCKETS], l: F, bucket_days: u32) -> F {
    let q = (-(l * F::from_u32(bucket_days))).exp();
    let mut v = F::c(0.0);
    for b in (0..MAX_BUCKETS).rev() {
        v = v * q + (cf[b] - l * m1[b]);
    }
    v
}

/// The yearly IRR `r` of dated cash flows in IRR buckets: the root of their NPV at daily
/// log-rate `ln(1 + r) / 365`, by bisection on `r` in `[-0.99, 10]` (60 steps); NaN when the
/// buckets do not change sign or the NPV has no sign change on that bracket.
pub fn irr_dated<F: Real>(cf: &[F; MAX_BUCKETS], m1: &[F; MAX_BUCKETS], bucket_days: u32) -> F {
    let npv_at = |r: F| -> F {
        bucket_npv(
            cf,
            m1,
            (F::c(1.0) + r).ln() * F::c(1.0 / 365.0),
            bucket_days,
        )
    };
    let has_pos = cf.iter().any(|&v| v > F::c(0.0));
    let has_neg = cf.iter().any(|&v| v < F::c(0.0));
    if !(has_pos && has_neg) {
        return F::c(f64::NAN);
    }
    let mut lo = F::c(-0.99);
    let mut hi = F::c(10.0);
    let flo = npv_at(lo);
    let fhi = npv_at(hi);
    if (flo > F::c(0.0)) == (fhi > F::c(0.0)) {
        return F::c(f64::NAN);
    }
    for _ in 0..60 {
        let mid = F::c(0.5) * (lo + hi);
        let fm = npv_at(mid);
        if (fm > F::c(0.0)) == (flo > F::c(0.0)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    F::c(0.5) * (lo + hi)
}

/// A cost per unit, `cost / units`; undefined (NaN) without units (WGSL: `put_if`).
#[inline(always)]
fn per<F: Real>(cost: F, units: F) -> F {
    if units > F::c(0.0) {
        cost / units
    } else {
        F::c(f64::NAN)
    }
}

/// Share of a cost depreciated straight-line over `life` years with the half-year convention
/// by the end of its `k`-th year in service (`k = 0`: the year it is placed): `min(1, (k +
/// 0.5) / life)`.
#[inline(always)]
fn sl_done<F: Real>(k: u32, life: F) -> F {
    ((F::from_u32(k) + F::c(0.5)) / life).min(F::c(1.0))
}

/// A per-event distribution with the quantile-table lookup's integer bounds and clamps
/// converted once per path (the conversions cost more than the lookup itself, and every
/// failure samples one or two events).
#[derive(Clone, Copy, Debug)]
struct EventDist<F: Real> {
    /// The `TABLE` kind (sampled inline); anything else goes through [`sample_dist`].
    is_table: bool,
    /// Table intervals `n = p0 as u32`, as `F`.
    n_f: F,
    /// Last interval, `n - 1`.
    last: u32,
    aux: u32,
    lo: F,
    hi: F,
    spec: DistSpec,
}

impl<F: Real> EventDist<F> {
    fn new(d: &DistSpec) -> Self {
        let n = d.p[0] as u32;
        EventDist {
            is_table: d.kind == crate::model::params::kind::TABLE,
            n_f: F::from_u32(n),
            last: n.wrapping_sub(1),
            aux: d.aux,
            lo: F::from_f32(d.lo),
            hi: F::from_f32(d.hi),
            spec: *d,
        }
    }
}

/// Samples a per-event distribution: the quantile-table lookup (what configs flatten event
/// distributions into) inline, anything else through [`sample_dist`].
#[inline(always)]
fn sample_event<F: Real>(d: &EventDist<F>, u: F, table: &[f32]) -> F {
    if d.is_table {
        let x = u * d.n_f;
        let i = x.to_u32_sat().min(d.last);
        let f = x - F::from_u32(i);
        let base = (d.aux + i) as usize;
        let ab = &table[base..base + 2];
        let a = F::from_f32(ab[0]);
        let b = F::from_f32(ab[1]);
        (a + f * (b - a)).clamp(d.lo, d.hi)
    } else {
        sample_dist(&d.spec, u, table)
    }
}

/// Simulates path `path` and writes `n_options * N_OUT` values into `out` (option-major).
/// Environment constants of one path, derived once from its sampled environment inputs
/// (stage `env_consts`; WGSL twin `env_consts`).
#[derive(Clone, Copy, Debug)]
pub struct EnvConsts<F: Real> {
    /// `ln(1 + discount rate) / 365`: the daily discount log-rate.
    pub lr_disc: F,
    /// `ln(1 + electricity escalation) / 365`.
    pub lr_elec: F,
    /// `ln(1 - price decline) / 365`.
    pub lr_price: F,
    /// Electricity price at day 0, USD/kWh.
    pub kwh_price: F,
    /// Regional outages per day (clamped to half the Poisson inversion limit).
    pub outage_per_day: F,
    /// `exp(-outage_per_day)`.
    pub outage_p0: F,
    /// Share of revenue refunded on an outage day.
    pub sla: F,
    /// Demand volatility per day (logit space).
    pub vol: F,
    /// Demand mean-reversion speed per day.
    pub kappa: F,
    /// Demand ramp after delivery, days.
    pub demand_ramp: F,
    /// Market prices at day 0: per effective PFLOP-hour, per HBM TB/s-hour.
    pub market_flops: F,
    /// Per HBM TB/s-hour.
    pub market_tbps: F,
    /// On-demand premium over reserved prices of market-priced options.
    pub od_premium: F,
    /// Income tax rate.
    pub tax_rate: F,
    /// Share of server capex expensed for tax at once.
    pub bonus: F,
}

/// Stage `env_consts`: the environment's per-path constants.
pub fn env_consts<F: Real>(e: &[F; env_in::COUNT]) -> EnvConsts<F> {
    let outage_per_day =
        (e[env_in::OUTAGE_RATE_PER_YEAR] * F::c(1.0 / 365.0)).min(F::c(POISSON_INV_MAX_MEAN * 0.5));
    EnvConsts {
        lr_disc: (F::c(1.0) + e[env_in::DISCOUNT_RATE_PER_YEAR]).ln() * F::c(1.0 / 365.0),
        lr_elec: (F::c(1.0) + e[env_in::ELECTRICITY_ESCALATION_PER_YEAR]).ln() * F::c(1.0 / 365.0),
        lr_price: (F::c(1.0) - e[env_in::PRICE_DECLINE_PER_YEAR]).ln() * F::c(1.0 / 365.0),
        kwh_price: e[env_in::USD_PER_KWH],
        outage_per_day,
        outage_p0: (-outage_per_day).exp(),
        sla: e[env_in::SLA_CREDIT_FRACTION],
        vol: e[env_in::DEMAND_VOLATILITY_PER_DAY],
        kappa: e[env_in::DEMAND_REVERSION_PER_DAY],
        demand_ramp: e[env_in::DEMAND_RAMP_DAYS],
        market_flops: e[env_in::MARKET_USD_PER_PFLOP_HOUR],
        market_tbps: e[env_in::MARKET_USD_PER_TBPS_HOUR],
        od_premium: e[env_in::ON_DEMAND_PREMIUM],
        tax_rate: e[env_in::TAX_RATE],
        bonus: e[env_in::BONUS_DEPRECIATION_FRACTION],
    }
}

/// The environment's state carried from day to day (WGSL twin `EnvState`).
#[derive(Clone, Copy, Debug)]
pub struct EnvState<F: Real> {
    /// Outage hours still to come (outages longer than a day carry over).
    pub outage_left: F,
    /// Regional outage hours of the current SLA month so far.
    pub month_out_h: F,
}

/// What the environment does on one day, shared by every option (WGSL twin `EnvDay`).
#[derive(Clone, Copy, Debug)]
pub struct EnvDay<F: Real> {
    /// The demand shock (standard normal).
    pub eps: F,
    /// Share of the day lost to regional outages.
    pub outage_frac: F,
    /// Revenue multiplier: `1 - sla` on an outage day, else 1.
    pub credit: F,
    /// Discount factor of the day, `exp(-lr_disc t)`.
    pub df: F,
    /// Electricity price multiplier, `exp(lr_elec t)`.
    pub elec_mult: F,
    /// Rental price multiplier, `exp(lr_price t)`.
    pub price_mult: F,
    /// Cash-flow year of the day (the last year takes any remainder).
    pub year: usize,
    /// Monthly SLA: on a month's last day, the tier credit (share of the month's revenue
    /// refunded); 0 on other days and with the daily SLA.
    pub month_credit: F,
    /// The day is the last of its SLA month (or of the horizon).
    pub month_end: bool,
    /// IRR bucket of the day, and the day's offset from the bucket's centre.
    pub bucket: usize,
    /// Offset of the day from its bucket's centre, days.
    pub bucket_dt: F,
}

/// Days per IRR bucket: `ceil(horizon / MAX_BUCKETS)`, at least 1.
#[inline(always)]
pub fn bucket_days(horizon: u32) -> u32 {
    horizon.div_ceil(MAX_BUCKETS as u32).max(1)
}

/// The IRR bucket of day `t` (a fractional day such as the horizon `h` falls in the last) and
/// the day's offset from the bucket's centre.
#[inline(always)]
pub fn bucket_of<F: Real>(t: u32, horizon: u32) -> (usize, F) {
    let l = bucket_days(horizon);
    let b = (t / l).min(MAX_BUCKETS as u32 - 1);
    let centre = F::from_u32(b * l) + F::c(0.5) * F::from_u32(l - 1);
    (b as usize, F::from_u32(t) - centre)
}

/// The SLA month of day `t`: `t * 12 / 365` (integer division).
#[inline(always)]
pub fn sla_month(t: u32) -> u32 {
    t * MONTHS_PER_YEAR / 365
}

/// The first day of SLA month `m`: `ceil(m * 365 / 12)`.
#[inline(always)]
pub fn sla_month_start(m: u32) -> u32 {
    (m * 365).div_ceil(MONTHS_PER_YEAR)
}

/// Months of a horizon of `horizon` days (the SLA months, the last cut at the horizon): the
/// length of a path's monthly series.
pub fn n_months(horizon: u32) -> u32 {
    sla_month(horizon.max(1) - 1) + 1
}

/// The credit of the last tier (in order, thresholds descending) whose `uptime_below` is above
/// `uptime`; 0 when the month met every tier.
#[inline(always)]
pub fn sla_tier_credit<F: Real>(e: &EnvParams, uptime: F) -> F {
    let mut credit = F::c(0.0);
    for k in 0..MAX_SLA_TIERS {
        if (k as u32) < e.n_sla_tiers && uptime < F::from_f32(e.sla_uptime_below[k]) {
            credit = F::from_f32(e.sla_credit[k]);
        }
    }
    credit
}

/// Stage `env_day`: day `t`'s demand shock and outages from the environment stream
/// (path, t, 0), and the day's discount and price multipliers.
#[inline(always)]
fn env_day<F: Real>(
    m: &FlatModel,
    env: &EnvConsts<F>,
    es_state: &mut EnvState<F>,
    outage_hours: &EventDist<F>,
    path: u32,
    t: u32,
) -> EnvDay<F> {
    let key = [m.run.seed_lo, m.run.seed_hi];
    let n_years = (m.run.n_years as usize).clamp(1, MAX_YEARS);
    let mut es = DayStream::new(key, path, t, STREAM_ENV);
    let eps = norm_inv_cdf::<F>(es.next_u01());
    let n_out = if env.outage_per_day > F::c(0.0) {
        poisson_inversion(env.outage_per_day, env.outage_p0, &mut es)
    } else {
        0
    };
    // Each outage starts at a uniform time of its day: its hours up to midnight fall today,
    // the rest from hour 0 of the next days (with what is carried in). Overlapping hours add
    // up; beyond 24 h a day they carry over too.
    let mut tail = F::c(0.0);
    for _ in 0..n_out {
        let h = sample_event(outage_hours, es.next_u01(), &m.table);
        let start = es.next_u01::<F>() * F::c(24.0);
        let first = h.min(F::c(24.0) - start);
        es_state.outage_left += first;
        tail += h - first;
    }
    let out_h = es_state.outage_left.min(F::c(24.0));
    es_state.outage_left = es_state.outage_left - out_h + tail;
    let outage_frac = out_h * F::c(1.0 / 24.0);
    let monthly = m.env.sla_mode == sla::MONTHLY;
    let credit = if !monthly && out_h > F::c(0.0) {
        F::c(1.0) - env.sla
    } else {
        F::c(1.0)
    };
    // Monthly SLA: the month's outage hours; on its last day (or the horizon's), the tier of
    // its uptime over the days it had.
    let month = sla_month(t);
    let month_end = t + 1 == m.run.horizon_days || sla_month(t + 1) != month;
    let mut month_credit = F::c(0.0);
    if monthly {
        es_state.month_out_h += out_h;
        if month_end {
            let days = t + 1 - sla_month_start(month);
            let uptime = F::c(1.0) - es_state.month_out_h / (F::from_u32(days) * F::c(24.0));
            month_credit = sla_tier_credit(&m.env, uptime);
            es_state.month_out_h = F::c(0.0);
        }
    }
    let tf = F::from_u32(t);
    let (bucket, bucket_dt) = bucket_of(t, m.run.horizon_days);
    EnvDay {
        eps,
        outage_frac,
        credit,
        df: (-(env.lr_disc * tf)).exp(),
        elec_mult: (env.lr_elec * tf).exp(),
        price_mult: (env.lr_price * tf).exp(),
        year: ((t / 365) as usize).min(n_years - 1),
        month_end,
        month_credit,
        bucket,
        bucket_dt,
    }
}

impl<F: Real> OptionState<F> {
    /// The state at day 0: nothing delivered, nothing down, every sum empty.
    fn new(c: &OptionConsts<F>, horizon: u32) -> Self {
        OptionState {
            installed: 0,
            down: 0,
            spares: [0; MAX_UNITS],
            backorders: [0; MAX_CLASSES],
            waiting: 0,
            ring_units: [0; RING_DAYS],
            ring_parts: [[0; RING_DAYS]; MAX_UNITS],
            ring_hours: [F::c(0.0); RING_DAYS],
            demand_x: c.mu_logit,
            npv: KSum::zero(),
            cum_cf: KSum::zero(),
            hw_capex: F::c(0.0),
            opex: KSum::zero(),
            energy_kwh: KSum::zero(),
            revenue: KSum::zero(),
            avail_hours: KSum::zero(),
            installed_hours: KSum::zero(),
            delivered: KSum::zero(),
            job_num: KSum::zero(),
            job_den: KSum::zero(),
            job_restart: KSum::zero(),
            job_days: KSum::zero(),
            interruptions: 0,
            hard: 0,
            soft: 0,
            payback: horizon + 1,
            went_negative: false,
            year_cf: [KSum::zero(); MAX_YEARS],
            class_failures: [0; MAX_CLASSES],
            class_lost: [KSum::zero(); MAX_CLASSES],
            month_rev: F::c(0.0),
            res_mult: c.market_mult(0),
            next_term: c.delay,
            prepay_day: F::c(0.0),
            rent_mult: c.market_mult(0),
            next_rent: c.delay,
            pv_cost: KSum::zero(),
            pv_inst: KSum::zero(),
            pv_sold: KSum::zero(),
            pv_job: KSum::zero(),
            dpayback: horizon + 1,
            dwent_negative: false,
            bucket_cf: [F::c(0.0); MAX_BUCKETS],
            bucket_m1: [F::c(0.0); MAX_BUCKETS],
            year_capex: [F::c(0.0); MAX_YEARS],
            year_hw: [F::c(0.0); MAX_YEARS],
            pv_revenue: KSum::zero(),
            pv_credits: KSum::zero(),
            pv_capex: KSum::zero(),
            pv_energy_rent: KSum::zero(),
            pv_maint: KSum::zero(),
            pv_ops: KSum::zero(),
            pv_facility: KSum::zero(),
            pv_lost_fail: KSum::zero(),
            pv_lost_out: KSum::zero(),
            m_opex: F::c(0.0),
            m_avail: F::c(0.0),
            fail_mark: 0,
        }
    }
}

/// CPU-only caches of one option, kept beside its [`OptionState`] (the kernel recomputes these
/// values every day instead; same operations, so the same values).
#[derive(Clone, Debug)]
struct DayCache<F: Real> {
    /// Inversion constants of the daily job-hit binomial (its `p` rarely changes).
    job_binom: BinomialCache<F>,
    /// The delivered-count constants of the last `inst` seen.
    inst_const: InstConst<F>,
    /// The class weights by `up % WEIGHT_SLOTS`, reused on days with the same number of nodes
    /// up.
    weights: [ClassWeights<F>; WEIGHT_SLOTS],
}

impl<F: Real> DayCache<F> {
    fn new(c: &OptionConsts<F>) -> Self {
        DayCache {
            job_binom: BinomialCache::new(),
            inst_const: InstConst::new(c, 0),
            weights: [ClassWeights::new(); WEIGHT_SLOTS],
        }
    }
}

/// The day's failures one by one (MODEL.md 6.4): a Poisson count over all classes, then per
/// failure one uniform for its class and repair time and, if hard, one for its way back.
/// Returns the number of failures.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn event_failures<F: Real>(
    m: &FlatModel,
    p: &OptionParams,
    c: &OptionConsts<F>,
    s: &mut OptionState<F>,
    os: &mut DayStream,
    cw: &ClassWeights<F>,
    lost_h: &mut F,
    parts_cost: &mut F,
    t: u32,
) -> u32 {
    let horizon = m.run.horizon_days;
    let tf = F::from_u32(t);
    let ClassWeights {
        w,
        cum,
        below,
        total,
        p0,
        ..
    } = *cw;
    let nf = poisson_with_p0(total, || p0, os);
    let hard_mask = p.hard_mask;
    for _ in 0..nf {
        // One uniform picks the class over the cumulative weights; its position
        // inside the chosen class's interval is again uniform and independent of
        // the class, and drives the repair time (saves a draw per failure).
        // The class is the first k with cum[k] >= target (the last class if none),
        // i.e. the number of cum[0..n_classes - 1] below target: a fixed-length,
        // branch-free count (cum is non-decreasing; `below` is NaN past them).
        let target = os.next_u01::<F>() * total;
        let mut k = 0usize;
        for j in 0..MAX_CLASSES {
            k += (below[j] < target) as usize;
        }
        let acc = cum[k];
        let u_rep = if w[k] > F::c(0.0) {
            ((target - (acc - w[k])) / w[k]).clamp(F::c(0.0), F::c(1.0))
        } else {
            F::c(0.5)
        };
        let repair_h = sample_event(&c.events[opt_ev::REPAIR_BASE + k], u_rep, &m.table);
        s.class_failures[k] += 1;
        if hard_mask & (1 << k) != 0 {
            s.hard += 1;
            // The failed unit's way back into stock: its RMA round trip, or a new one.
            let u = p.class_unit(k);
            send_back(m, c, s, os, p.back_event(k), u, t);
            if s.spares[u] > 0 {
                s.spares[u] -= 1;
                // A hot spare node is swapped in; a unit from stock is fitted in the repair.
                let h = if u == 0 {
                    repair_h + c.swap_h
                } else {
                    repair_h
                };
                let charged = schedule_down(s, lost_h, t, h);
                charge_class(s, c, k, charged, t, horizon);
            } else {
                s.backorders[k] += 1;
                s.waiting += 1;
                s.down += 1;
                // Waiting node-hours are charged when the wait ends: 24 (t_end - t).
                s.class_lost[k].add(-(tf * F::c(24.0)));
            }
            if tf >= c.warranty_day {
                *parts_cost += c.part_cost;
            }
        } else {
            s.soft += 1;
            let charged = schedule_down(s, lost_h, t, repair_h);
            charge_class(s, c, k, charged, t, horizon);
        }
    }
    nf
}

/// The day's failures as counts (MODEL.md 6.4c), for days with many expected failures: the
/// same distribution as [`event_failures`] at a cost that does not grow with the count. Soft
/// classes: one Poisson count each. Hard classes, unit type by unit type: one Poisson count of
/// the failures needing a unit of that type; the first `min(count, stock)` take a spare (the
/// rest wait), and the served and the waiting are split over the unit's classes by
/// conditional binomials (in a day of Poisson failures the classes are independent labels, so
/// those taking a spare are a random sample). Repairs: [`counted_repairs`]. The failed
/// units' way back: with many failures of a unit type whose classes share a way-back
/// distribution, the unit's count is drawn as its counts by return day ([`return_cells`]);
/// otherwise one count per group of classes sharing a unit type and a way-back distribution,
/// split over the return days ([`way_back`]).
/// Returns the number of failures.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn counted_failures<F: Real>(
    m: &FlatModel,
    p: &OptionParams,
    c: &OptionConsts<F>,
    s: &mut OptionState<F>,
    os: &mut DayStream,
    w: &[F; MAX_CLASSES],
    lost_h: &mut F,
    parts_cost: &mut F,
    t: u32,
) -> u32 {
    let n_classes = p.n_classes as usize;
    let tf = F::from_u32(t);
    let zero = F::c(0.0);
    let mut nf = 0u32;
    for k in 0..n_classes {
        if p.hard_mask & (1 << k) == 0 {
            let n = poisson(w[k], os);
            if n > 0 {
                s.class_failures[k] += n;
                s.soft += n;
                nf += n;
                counted_repairs(m, p, c, s, os, k, n, false, lost_h, t);
            }
        }
    }
    // Way-back counts by the class that carries them (`back_leaders`).
    let mut back = [0u32; MAX_CLASSES];
    for u in 0..p.n_units as usize {
        let mut wu = zero;
        let mut last = MAX_CLASSES;
        for k in 0..n_classes {
            if p.hard_mask & (1 << k) != 0 && p.class_unit(k) == u && w[k] > zero {
                wu += w[k];
                last = k;
            }
        }
        if last == MAX_CLASSES {
            continue;
        }
        let cells = return_cells(m, p, s, os, w, u, last, wu, t);
        let d = cells.unwrap_or_else(|| poisson(wu, os));
        if d == 0 {
            continue;
        }
        let served = d.min(s.spares[u]);
        s.spares[u] -= served;
        let served_k = split_over_classes(p, w, u, last, wu, served, os);
        let wait_k = split_over_classes(p, w, u, last, wu, d - served, os);
        for k in 0..=last {
            let n = served_k[k] + wait_k[k];
            if n == 0 {
                continue;
            }
            s.class_failures[k] += n;
            s.hard += n;
            nf += n;
            if cells.is_none() {
                back[((p.back_leaders >> (3 * k)) & 7) as usize] += n;
            }
            if served_k[k] > 0 {
                counted_repairs(m, p, c, s, os, k, served_k[k], u == 0, lost_h, t);
            }
            let wk = wait_k[k];
            if wk > 0 {
                s.backorders[k] += wk;
                s.waiting += wk;
                s.down += wk;
                // Waiting node-hours are charged when the wait ends: 24 (t_end - t) each.
                s.class_lost[k].add(-(F::from_u32(wk) * (tf * F::c(24.0))));
            }
            if tf >= c.warranty_day {
                *parts_cost += F::from_u32(n) * c.part_cost;
            }
        }
    }
    for k in 0..n_classes {
        if back[k] > 0 {
            way_back(m, p, c, s, os, k, back[k], t);
        }
    }
    nf
}

/// The day's failures of unit type `u` (hard classes `0..=last`, `wu` expected in all) as one
/// Poisson count per return day, `Poisson(wu p_d)` for `d` in `d0..=d1` of the way-back day
/// table, each added to the unit's returns on day `t + d`: when the unit's classes with
/// failures today share one way-back distribution and `wu` is at least [`CELLS_PER_DAY`] per
/// return day spanned. Returns their sum, the unit's failures today (a sum of independent
/// Poisson counts is a Poisson count with mean `wu`; given it, the cells are its multinomial
/// split over the return days, which [`way_back`] draws otherwise), or `None`, having drawn
/// nothing.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn return_cells<F: Real>(
    m: &FlatModel,
    p: &OptionParams,
    s: &mut OptionState<F>,
    os: &mut DayStream,
    w: &[F; MAX_CLASSES],
    u: usize,
    last: usize,
    wu: F,
    t: u32,
) -> Option<u32> {
    let leader = |k: usize| (p.back_leaders >> (3 * k)) & 7;
    let lead = leader(last);
    for k in 0..last {
        if p.hard_mask & (1 << k) != 0
            && p.class_unit(k) == u
            && w[k] > F::c(0.0)
            && leader(k) != lead
        {
            return None;
        }
    }
    let a = p.ev_day[p.back_event(lead as usize)] as usize;
    let d0 = m.table[a] as u32;
    let d1 = m.table[a + 1] as u32;
    let span = d1 - d0 + 1;
    if wu < F::from_u32(CELLS_PER_DAY * span) {
        return None;
    }
    let probs = a + 2 + span as usize;
    let mut d = 0u32;
    for i in 0..span {
        let x = poisson(wu * F::from_f32(m.table[probs + i as usize]), os);
        s.ring_parts[u][((t + d0 + i) as usize) % RING_DAYS] += x;
        d += x;
    }
    Some(d)
}

/// Splits `n` failures of unit type `u` over its hard classes `0..=last` in proportion to
/// their expected counts `w` (summing to `wu`): conditional binomials in class order, the last
/// class taking the rest. Draws nothing when `n == 0`.
#[inline(always)]
fn split_over_classes<F: Real>(
    p: &OptionParams,
    w: &[F; MAX_CLASSES],
    u: usize,
    last: usize,
    wu: F,
    n: u32,
    os: &mut DayStream,
) -> [u32; MAX_CLASSES] {
    let mut out = [0u32; MAX_CLASSES];
    let mut rem = n;
    let mut wrem = wu;
    for k in 0..=last {
        if rem == 0 {
            break;
        }
        if p.hard_mask & (1 << k) != 0 && p.class_unit(k) == u && w[k] > F::c(0.0) {
            let x = if k == last || wrem <= w[k] {
                rem
            } else {
                binomial(rem, w[k] / wrem, os)
            };
            out[k] = x;
            rem -= x;
            wrem -= w[k];
        }
    }
    out
}

/// The repairs of `n` failures of class `k` in a counted day. With a hot spare node swapped in
/// (`hot`: its time adds the path's sampled swap time) each is drawn as in an event day;
/// otherwise a binomial count of repairs of a day or more (the day table's `1 - F(24)`), each
/// drawn from the upper part of the repair distribution, and the short ones charged today:
/// from [`SHORT_SUM_MIN`] on as one normal draw with their sum's exact mean and variance
/// (count x the short repairs' mean and variance), below it each drawn from the lower part.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn counted_repairs<F: Real>(
    m: &FlatModel,
    p: &OptionParams,
    c: &OptionConsts<F>,
    s: &mut OptionState<F>,
    os: &mut DayStream,
    k: usize,
    n: u32,
    hot: bool,
    lost_h: &mut F,
    t: u32,
) {
    let horizon = m.run.horizon_days;
    let rep = &c.events[opt_ev::REPAIR_BASE + k];
    if hot {
        for _ in 0..n {
            let h = sample_event(rep, os.next_u01::<F>(), &m.table) + c.swap_h;
            let charged = schedule_down(s, lost_h, t, h);
            charge_class(s, c, k, charged, t, horizon);
        }
        return;
    }
    let a = p.ev_day[opt_ev::REPAIR_BASE + k] as usize;
    let f_short = F::from_f32(m.table[a]);
    let p_long = F::from_f32(m.table[a + 1]);
    let mean_short = F::from_f32(m.table[a + 2]);
    let sd_short = F::from_f32(m.table[a + 3]);
    let long = binomial(n, p_long, os);
    let short = n - long;
    if short >= SHORT_SUM_MIN {
        // Their sum: its exact mean and variance, normally distributed (one uniform).
        let ns = F::from_u32(short);
        let z = norm_inv_cdf(os.next_u01::<F>());
        let h = (ns * mean_short + ns.sqrt() * sd_short * z).max(F::c(0.0));
        *lost_h += h;
        s.class_lost[k].add(h * c.blast_nodes);
    } else if short > 0 {
        // Few: each from the lower part of the repair distribution.
        let mut h = F::c(0.0);
        for _ in 0..short {
            h += sample_event(rep, os.next_u01::<F>() * f_short, &m.table);
        }
        *lost_h += h;
        s.class_lost[k].add(h * c.blast_nodes);
    }
    for _ in 0..long {
        let u = f_short + os.next_u01::<F>() * p_long;
        let h = sample_event(rep, u, &m.table);
        let charged = schedule_down(s, lost_h, t, h);
        charge_class(s, c, k, charged, t, horizon);
    }
}

/// The way back into stock of `n` failed units carried by class `k` in a counted day: below
/// [`CHAIN_PER_DAY`] per return day its distribution spans, one uniform each as in an event
/// day ([`send_back`]); otherwise a multinomial split over the return days of the day table,
/// by conditional binomials with the daily hazards, stopping when the count is used up.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn way_back<F: Real>(
    m: &FlatModel,
    p: &OptionParams,
    c: &OptionConsts<F>,
    s: &mut OptionState<F>,
    os: &mut DayStream,
    k: usize,
    n: u32,
    t: u32,
) {
    let u = p.class_unit(k);
    let back = p.back_event(k);
    let a = p.ev_day[back] as usize;
    let d0 = m.table[a] as u32;
    let d1 = m.table[a + 1] as u32;
    if n < CHAIN_PER_DAY * (d1 - d0 + 1) {
        for _ in 0..n {
            send_back(m, c, s, os, back, u, t);
        }
        return;
    }
    let mut rem = n;
    for d in d0..=d1 {
        let x = if d == d1 {
            rem
        } else {
            binomial(rem, F::from_f32(m.table[a + 2 + (d - d0) as usize]), os)
        };
        s.ring_parts[u][((t + d) as usize) % RING_DAYS] += x;
        rem -= x;
        if rem == 0 {
            break;
        }
    }
}

/// Stage `day_step`: day `t` of option `o` (stream (path, t, `stream` of the option)): returns
/// from repair and of spare units, deliveries and burn-in, failures, demand, revenue, costs and
/// the day's sums.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn day_step<F: Real>(
    m: &FlatModel,
    p: &OptionParams,
    c: &OptionConsts<F>,
    s: &mut OptionState<F>,
    cache: &mut DayCache<F>,
    env: &EnvConsts<F>,
    d: &EnvDay<F>,
    path: u32,
    t: u32,
    monthly: &mut [F],
) {
    let key = [m.run.seed_lo, m.run.seed_hi];
    let horizon = m.run.horizon_days;
    let mut os = DayStream::new(key, path, t, p.stream);

    // ---- returns from repair, and spare units arriving into stock, scheduled for today ----
    let slot = (t as usize) % RING_DAYS;
    let mut lost_h = s.ring_hours[slot];
    s.down -= s.ring_units[slot].min(s.down);
    s.ring_units[slot] = 0;
    s.ring_hours[slot] = F::c(0.0);
    for u in 0..p.n_units as usize {
        let parts = s.ring_parts[u][slot];
        if parts == 0 {
            continue;
        }
        s.ring_parts[u][slot] = 0;
        // Units go first to the nodes waiting for them (by class, in class order), the rest
        // into stock.
        let mut fill = 0;
        if s.waiting > 0 {
            for k in 0..p.n_classes as usize {
                if p.class_unit(k) == u && s.backorders[k] > 0 {
                    let f = (parts - fill).min(s.backorders[k]);
                    s.backorders[k] -= f;
                    fill += f;
                    // Waiting ends today (24 h a day since the failure, whose day subtracted
                    // 24 t), then the unit is fitted.
                    s.class_lost[k].add(
                        F::from_u32(f)
                            * (F::from_u32(t) * F::c(24.0) + c.swap_day[u] * c.blast_nodes),
                    );
                }
            }
            s.waiting -= fill;
        }
        s.down -= fill.min(s.down);
        lost_h += F::from_u32(fill) * c.swap_day[u];
        s.spares[u] += parts - fill;
    }

    // ---- deliveries, spares and burn-in ----
    let ti = t as i64;
    let inst = arrived(c.nodes, c.delay, c.ramp, ti);
    let new_nodes = inst - s.installed;
    s.installed = inst;
    let mut capex_today = F::c(0.0);
    let mut hw_today = F::c(0.0);
    if c.energise > 0 {
        if t < c.energise {
            capex_today += c.dc_per_day;
        }
    } else if t == 0 {
        capex_today += c.dc_capex;
    }
    if t == c.delay {
        s.spares[0] += c.stock[0];
        hw_today += F::from_u32(c.stock[0]) * c.capex_per_node;
        for u in 1..p.n_units as usize {
            s.spares[u] += c.stock[u];
            // A rented fleet's spares are the provider's.
            if !c.rent {
                hw_today += F::from_u32(c.stock[u]) * F::from_f32(p.unit_cost_usd[u]);
            }
        }
    }
    if new_nodes > 0 {
        hw_today += F::from_u32(new_nodes) * c.capex_per_node;
    }
    capex_today += hw_today;
    s.hw_capex += hw_today;
    if new_nodes > 0 {
        let bad = binomial(new_nodes, c.burn_fail, &mut os);
        if bad > 0 && c.replacement > 0 {
            let slot = ((t + c.replacement) as usize) % RING_DAYS;
            s.down += bad;
            s.ring_units[slot] += bad;
        }
    }

    // ---- failures ----
    let inst_f = F::from_u32(inst);
    let up = inst.saturating_sub(s.down);
    let up_f = F::from_u32(up);
    if cache.inst_const.inst != inst {
        cache.inst_const = InstConst::new(c, inst);
    }
    let (n_jobs, q_job) = (cache.inst_const.n_jobs, cache.inst_const.q_job);
    let mut interrupted = 0u32;
    let mut parts_cost = F::c(0.0);
    // Per-interruption job losses at today's interruption rate (no failures: the limits).
    let mut job = (F::c(0.0), F::c(0.0));
    if up == 0 && n_jobs > F::c(0.0) {
        job = job_losses(c, F::c(0.0), inst_f);
    }
    if up > 0 {
        let n_classes = p.n_classes as usize;
        // The weights depend on the day only through the infant uplifts; once those are
        // over they are a function of `up` alone and are recomputed only when it changes
        // (same operations, so the same values).
        let cw = &mut cache.weights[up as usize % WEIGHT_SLOTS];
        if t < c.infant_end || cw.up != up {
            let mut total = F::c(0.0);
            for k in 0..n_classes {
                let mut mult = F::c(1.0);
                if t < c.infant_until[k] {
                    let young =
                        inst - arrived(c.nodes, c.delay, c.ramp, ti - c.infant_days[k] as i64);
                    mult += c.infant_extra[k] * F::from_u32(young) / inst_f;
                }
                cw.w[k] = c.rate[k] * mult * up_f;
                total += cw.w[k];
                cw.cum[k] = total;
                if k + 1 < n_classes {
                    cw.below[k] = total;
                }
            }
            cw.total = total;
            // Read only by the inversion branch (mean < POISSON_INV_MAX_MEAN).
            cw.p0 = if total < F::c(POISSON_INV_MAX_MEAN) {
                poisson_p0(total)
            } else {
                F::c(f64::NAN)
            };
            cw.up = if t < c.infant_end { 0 } else { up };
            cw.job_inst = u32::MAX;
        }
        if n_jobs > F::c(0.0) && cw.job_inst != inst {
            cw.job_losses = job_losses(c, cw.total, inst_f);
            cw.job_inst = inst;
        }
        job = cw.job_losses;
        let cw = &*cw;
        let nf = if cw.total >= F::from_f32(m.run.counted_min_mean) {
            counted_failures(m, p, c, s, &mut os, &cw.w, &mut lost_h, &mut parts_cost, t)
        } else {
            event_failures(m, p, c, s, &mut os, cw, &mut lost_h, &mut parts_cost, t)
        };
        // Which failures land inside a training job only matters through their number:
        // Binomial(failures, share of chips in jobs), one draw a day.
        if nf > 0 && q_job > F::c(0.0) {
            interrupted = binomial_cached(nf, q_job, &mut cache.job_binom, &mut os);
        }
    }

    // ---- demand and revenue ----
    s.demand_x += env.kappa * (c.mu_logit - s.demand_x) + env.vol * d.eps;
    let ramp_frac = if t < c.delay {
        F::c(0.0)
    } else if env.demand_ramp > F::c(0.0) && !c.in_service {
        // x / d >= d / d = 1 when x >= d > 0 (division is monotone), so the min is 1
        // without dividing once the ramp is over.
        let days = F::from_u32(t - c.delay + 1);
        if days >= env.demand_ramp {
            F::c(1.0)
        } else {
            (days / env.demand_ramp).min(F::c(1.0))
        }
    } else {
        F::c(1.0)
    };
    let util = ramp_frac / (F::c(1.0) + (-s.demand_x).exp());
    // Contracts: the option's market price today; a reserved or rental term starting today
    // (the first at delivery, signed at day 0's price) takes it, and a prepaid term brings its
    // whole contract value now and draws it down day by day.
    let mkt = d.price_mult * c.market_mult(t);
    let mut prepaid_in = F::c(0.0);
    if t == s.next_term {
        if t > c.delay {
            s.res_mult = mkt;
        }
        s.next_term = t + c.term_days;
        if c.prepay > F::c(0.0) {
            s.prepay_day = c.prepay * c.res_price * s.res_mult * c.contract_ch;
            prepaid_in = s.prepay_day * F::from_u32(c.term_days.min(horizon - t));
        }
    }
    if c.rent && t == s.next_rent {
        if t > c.delay {
            s.rent_mult = mkt;
        }
        s.next_rent = t + c.rent_term_days;
    }
    // A node being repaired or swapped stops its whole blast radius; a node waiting
    // for a part (backorder) has been isolated and stops only its own chips.
    let down_all = s.down.min(inst);
    let waiting = s.waiting.min(down_all);
    let down_node_h = (F::from_u32(down_all - waiting) * F::c(24.0) + lost_h) * c.blast_nodes
        + F::from_u32(waiting) * F::c(24.0);
    let healthy_ch = (inst_f * F::c(24.0) - down_node_h).max(F::c(0.0)) * c.cpn;
    let avail_ch = healthy_ch * (F::c(1.0) - d.outage_frac);
    let sold = c.res_frac + c.od_frac * util;
    let price_ch = c.res_price * s.res_mult + c.od_price * mkt * util;
    let gross = avail_ch * price_ch;
    let mut revenue = gross * d.credit;
    // Monthly SLA: the month's revenue, and on its last day the tier credit of all of it.
    s.month_rev += revenue;
    if d.month_credit > F::c(0.0) {
        revenue -= d.month_credit * s.month_rev;
    }
    // The month's revenue net of its credit, for the monthly series.
    let month_net = s.month_rev * (F::c(1.0) - d.month_credit);
    if d.month_end {
        s.month_rev = F::c(0.0);
    }

    // ---- costs ----
    let energy_kwh = avail_ch * c.it_kw_per_chip * (c.idle + c.busy * sold) * c.pue;
    // A rented fleet pays no energy but its take-or-pay rent: every delivered chip-hour of the
    // term, up or not.
    let energy_or_rent = if c.rent {
        c.rent_node_day * s.rent_mult * inst_f
    } else {
        energy_kwh * env.kwh_price * d.elec_mult
    };
    let maint = c.maint_per_day * s.hw_capex;
    let mut opex =
        energy_or_rent + maint + cache.inst_const.ops + cache.inst_const.colo + parts_cost;
    let mut facility = cache.inst_const.colo;
    if t >= c.power_from {
        opex += c.power_day;
        facility += c.power_day;
    }
    let mut cf = revenue - opex - capex_today;
    let mut cash_in = gross;
    if c.prepay > F::c(0.0) && t >= c.delay {
        cf += prepaid_in - s.prepay_day;
        cash_in += prepaid_in - s.prepay_day;
    }

    // ---- the day's sums ----
    s.npv.add(cf * d.df);
    s.cum_cf.add(cf);
    if s.cum_cf.get() < F::c(0.0) {
        s.went_negative = true;
    } else if s.went_negative && s.payback > horizon {
        s.payback = t;
    }
    if s.npv.get() < F::c(0.0) {
        s.dwent_negative = true;
    } else if s.dwent_negative && s.dpayback > horizon {
        s.dpayback = t;
    }
    s.pv_cost.add((opex + capex_today) * d.df);
    s.pv_revenue.add(cash_in * d.df);
    s.pv_credits.add((gross - revenue) * d.df);
    s.pv_capex.add(capex_today * d.df);
    s.pv_energy_rent.add(energy_or_rent * d.df);
    s.pv_maint.add((maint + parts_cost) * d.df);
    s.pv_ops.add(cache.inst_const.ops * d.df);
    s.pv_facility.add(facility * d.df);
    // Chip-hours lost to failures (of the delivered fleet) and to outages (of its healthy
    // part), at today's price per available chip-hour.
    let price_df = price_ch * d.df;
    s.pv_lost_fail
        .add(down_node_h.min(inst_f * F::c(24.0)) * c.cpn * price_df);
    s.pv_lost_out.add(healthy_ch * d.outage_frac * price_df);
    s.pv_inst.add(cache.inst_const.inst_ch * d.df);
    s.pv_sold.add(avail_ch * sold * d.df);
    s.bucket_cf[d.bucket] += cf;
    s.bucket_m1[d.bucket] += cf * d.bucket_dt;
    s.year_capex[d.year] += capex_today;
    s.year_hw[d.year] += hw_today;
    s.opex.add(opex);
    s.energy_kwh.add(energy_kwh);
    s.revenue.add(revenue);
    s.avail_hours.add(avail_ch);
    s.installed_hours.add(cache.inst_const.inst_ch);
    s.delivered.add(avail_ch * sold);
    s.year_cf[d.year].add(cf);
    // The monthly series: at the month's end, its slot (empty `monthly`: none asked for).
    s.m_opex += opex;
    s.m_avail += avail_ch;
    if d.month_end && !monthly.is_empty() {
        let b = sla_month(t) as usize * N_MONTHLY;
        let days = t + 1 - sla_month_start(sla_month(t));
        let fleet_ch =
            (F::from_u32(c.nodes) * c.cpn * F::c(24.0) * F::from_u32(days)).max(F::c(1.0));
        let failures = s.hard + s.soft;
        monthly[b + mon::CUM_DCF] = s.npv.get();
        monthly[b + mon::REVENUE] = month_net;
        monthly[b + mon::OPEX] = s.m_opex;
        monthly[b + mon::AVAILABLE] = s.m_avail / fleet_ch;
        monthly[b + mon::FAILURES] = F::from_u32(failures - s.fail_mark);
        s.fail_mark = failures;
    }
    if d.month_end {
        s.m_opex = F::c(0.0);
        s.m_avail = F::c(0.0);
    }
    if n_jobs > F::c(0.0) {
        let ic = &cache.inst_const;
        s.job_den.add(ic.job_ch);
        s.pv_job.add(ic.job_ch * d.df);
        if interrupted > 0 {
            let hit = F::from_u32(interrupted) * c.job_chips;
            s.job_num.add(ic.job_ch_net - hit * job.0);
            s.job_restart.add(hit * job.1);
        } else {
            s.job_num.add(ic.job_ch_net);
        }
        s.job_days.add(n_jobs);
        s.interruptions += interrupted;
    }
}

/// The renewal model's per-interruption losses (effective-training hours, restart hours) of one
/// job on a day with `total` expected failures over the fleet's up nodes: a job of
/// `job_chips` chips is interrupted at `total * job_chips / (inst * cpn)` per day.
#[inline(always)]
fn job_losses<F: Real>(c: &OptionConsts<F>, total: F, inst_f: F) -> (F, F) {
    let lambda = total * c.job_chips / (inst_f * c.cpn) * F::c(1.0 / 24.0);
    renewal_losses(lambda, c.job_tau_h, c.job_ckpt_h, c.job_restart_h)
}

/// Stage `finish`: at the horizon, the residual value (discounted into NPV, added to the last
/// year's cash flow and IRR bucket), depreciation from delivery, income tax by year, the
/// levelized costs, and the option's output record `r`.
fn finish<F: Real>(
    m: &FlatModel,
    env: &EnvConsts<F>,
    c: &OptionConsts<F>,
    s: &mut OptionState<F>,
    r: &mut [F],
    monthly: &mut [F],
) {
    let horizon = m.run.horizon_days;
    let n_years = (m.run.n_years as usize).clamp(1, MAX_YEARS);
    let hf = F::from_u32(horizon);
    let df_end = (-(env.lr_disc * hf)).exp();
    // The data centre at the horizon: book (straight-line), by use (the capital-recovery lease
    // of its remaining life at the discount rate, on its cost at energisation), or nothing.
    let in_use = hf - F::from_u32(c.energise.min(horizon));
    let dc_left = (F::c(1.0) - in_use / c.dc_life_days).max(F::c(0.0));
    let dc_value = if c.dc_residual == dc_residual::BOOK {
        c.dc_capex * dc_left
    } else if c.dc_residual == dc_residual::USE {
        let a = env.lr_disc * c.dc_life_days;
        let left = dc_left * c.dc_life_days;
        let b = env.lr_disc * left;
        let ratio = if a > F::c(1e-3) {
            (F::c(1.0) - (-b).exp()) / (F::c(1.0) - (-a).exp())
        } else {
            dc_left * (F::c(1.0) - F::c(0.5) * b) / (F::c(1.0) - F::c(0.5) * a)
        };
        c.dc_base * ratio
    } else {
        F::c(0.0)
    };
    let hw_residual = c.residual_frac * s.hw_capex;
    let residual = hw_residual + dc_value;
    s.npv.add(residual * df_end);
    s.pv_cost.add(-(residual * df_end));
    if !monthly.is_empty() {
        // The last month's running NPV takes the residual: it ends at npv_usd.
        monthly[(sla_month(horizon - 1) as usize) * N_MONTHLY + mon::CUM_DCF] = s.npv.get();
    }
    s.year_cf[n_years - 1].add(residual);
    let (rb, rdt) = bucket_of::<F>(horizon, horizon);
    s.bucket_cf[rb] += residual;
    s.bucket_m1[rb] += residual * rdt;
    let hw_dep_frac =
        ((hf - F::from_u32(c.delay.min(horizon))) / c.life_days).clamp(F::c(0.0), F::c(1.0));
    let dep = s.hw_capex * hw_dep_frac + c.dc_capex * (F::c(1.0) - dc_left);
    let capex = c.dc_capex + s.hw_capex;
    let opex = s.opex.get();
    let delivered = s.delivered.get();
    // Peak x MFU is fixed for the path, so PFLOP-hours follow from delivered chip-hours.
    let pflop = delivered * c.pflop_per_chip_hour;
    let cost = capex + opex - residual;
    let mut cfy = [F::c(0.0); MAX_YEARS];
    for y in 0..n_years {
        cfy[y] = s.year_cf[y].get();
    }
    let nan = F::c(f64::NAN);
    let bdays = bucket_days(horizon);
    r[idx::NPV_USD] = s.npv.get();
    r[idx::PAYBACK_DAYS] = F::from_u32(if s.went_negative { s.payback } else { 0 });
    r[idx::DISCOUNTED_PAYBACK_DAYS] = F::from_u32(if s.dwent_negative { s.dpayback } else { 0 });
    r[idx::IRR] = irr_dated(&s.bucket_cf, &s.bucket_m1, bdays);

    // ---- income tax, year by year: revenue - opex (cash) less tax depreciation; servers
    // `bonus` at once, the rest straight-line over the useful life; the building straight-line
    // over its life from energisation; both with the half-year convention. Losses are used at
    // once (a shield against other income). The building's tax basis is its cash cost (the
    // interest during construction is imputed, not paid, so it is not deductible). Each year's
    // tax is paid on its last day; the residual's gain over the remaining tax basis is taxed at
    // the horizon. ----
    let life_y = c.life_days * F::c(1.0 / 365.0);
    let dc_life_y = c.dc_life_days * F::c(1.0 / 365.0);
    let dc_year = ((c.energise / 365) as usize).min(n_years - 1);
    let mut tax_total = F::c(0.0);
    let mut tax_pv = F::c(0.0);
    let mut hw_basis = F::c(0.0);
    let mut dc_basis = F::c(0.0);
    for y in 0..n_years {
        let mut dep_y = env.bonus * s.year_hw[y];
        let mut hw_left = F::c(0.0);
        for j in 0..=y {
            let rest = (F::c(1.0) - env.bonus) * s.year_hw[j];
            let k = (y - j) as u32;
            let before = if k == 0 {
                F::c(0.0)
            } else {
                sl_done(k - 1, life_y)
            };
            dep_y += rest * (sl_done(k, life_y) - before);
            hw_left += rest * (F::c(1.0) - sl_done(k, life_y));
        }
        if y >= dc_year {
            let k = (y - dc_year) as u32;
            let before = if k == 0 {
                F::c(0.0)
            } else {
                sl_done(k - 1, dc_life_y)
            };
            dep_y += c.dc_capex * (sl_done(k, dc_life_y) - before);
            dc_basis = c.dc_capex * (F::c(1.0) - sl_done(k, dc_life_y));
        }
        hw_basis = hw_left;
        // The last year's cash flow holds the residual: taxed below, as a gain.
        let mut op_y = s.year_cf[y].get() + s.year_capex[y];
        if y == n_years - 1 {
            op_y -= residual;
        }
        let tax_y = env.tax_rate * (op_y - dep_y);
        let t_y = if y + 1 == n_years {
            horizon - 1
        } else {
            (365 * (y as u32 + 1)).min(horizon) - 1
        };
        let (b, dt) = bucket_of::<F>(t_y, horizon);
        tax_total += tax_y;
        tax_pv += tax_y * (-(env.lr_disc * F::from_u32(t_y))).exp();
        s.bucket_cf[b] -= tax_y;
        s.bucket_m1[b] -= tax_y * dt;
    }
    let tax_gain = env.tax_rate * (residual - hw_basis - dc_basis);
    tax_total += tax_gain;
    tax_pv += tax_gain * df_end;
    s.bucket_cf[rb] -= tax_gain;
    s.bucket_m1[rb] -= tax_gain * rdt;
    r[idx::NPV_AFTER_TAX_USD] = s.npv.get() - tax_pv;
    r[idx::IRR_AFTER_TAX] = irr_dated(&s.bucket_cf, &s.bucket_m1, bdays);
    r[idx::TAX_USD] = tax_total;

    r[idx::CAPEX_USD] = capex;
    r[idx::OPEX_USD] = opex;
    r[idx::ENERGY_MWH] = s.energy_kwh.get() * F::c(0.001);
    r[idx::REVENUE_USD] = s.revenue.get();
    r[idx::OPERATING_INCOME_USD] = s.revenue.get() - opex - dep;
    let inst_h = s.installed_hours.get();
    r[idx::AVAILABILITY] = if inst_h > F::c(0.0) {
        s.avail_hours.get() / inst_h
    } else {
        F::c(0.0)
    };
    let jd = s.job_den.get();
    // Planned stops cost the same restart every job-day: their chip-hours follow from the
    // job-days (no draws, so they need no daily sum).
    let planned_ch = s.job_days.get() * c.job_chips * c.job_planned_h;
    let goodput = if jd > F::c(0.0) {
        ((s.job_num.get() - planned_ch * c.job_g0) / jd).clamp(F::c(0.0), F::c(1.0))
    } else {
        nan
    };
    r[idx::GOODPUT] = goodput;
    r[idx::JOB_UPTIME] = if jd > F::c(0.0) {
        (F::c(1.0) - (s.job_restart.get() + planned_ch) / jd).clamp(F::c(0.0), F::c(1.0))
    } else {
        nan
    };
    r[idx::HARD_FAILURES] = F::from_u32(s.hard);
    r[idx::SOFT_FAILURES] = F::from_u32(s.soft);
    let jdays = s.job_days.get();
    r[idx::INTERRUPTIONS_PER_JOB_DAY] = if jdays > F::c(0.0) {
        F::from_u32(s.interruptions) / jdays
    } else {
        nan
    };
    r[idx::CHIP_HOURS_DELIVERED] = delivered;
    r[idx::EFFECTIVE_PFLOP_HOURS] = pflop;
    r[idx::USD_PER_CHIP_HOUR] = per(cost, delivered);
    r[idx::USD_PER_EFFECTIVE_PFLOP_HOUR] = per(cost, pflop);
    // Levelized: present value of costs over present value of hours (pre-tax).
    let pv_cost = s.pv_cost.get();
    let pv_sold = s.pv_sold.get();
    let lost_job = if jd > F::c(0.0) {
        s.pv_job.get() * (F::c(1.0) - goodput)
    } else {
        F::c(0.0)
    };
    let pv_eff = (pv_sold - lost_job).max(F::c(0.0)) * c.pflop_per_chip_hour;
    r[idx::LEVELIZED_USD_PER_INSTALLED_CHIP_HOUR] = per(pv_cost, s.pv_inst.get());
    r[idx::LEVELIZED_USD_PER_SOLD_CHIP_HOUR] = per(pv_cost, pv_sold);
    r[idx::LEVELIZED_USD_PER_EFFECTIVE_PFLOP_HOUR] = per(pv_cost, pv_eff);
    r[idx::LEVELIZED_USD_PER_TBPS_HOUR] = per(pv_cost, pv_sold * c.hbm);
    // The NPV decomposition (signed as in `outputs::NPV_COMPONENTS`).
    let (energy_pv, rent_pv) = if c.rent {
        (F::c(0.0), s.pv_energy_rent.get())
    } else {
        (s.pv_energy_rent.get(), F::c(0.0))
    };
    r[idx::PV_REVENUE_USD] = s.pv_revenue.get();
    r[idx::PV_SLA_CREDITS_USD] = s.pv_credits.get();
    r[idx::PV_CAPEX_USD] = s.pv_capex.get();
    r[idx::PV_ENERGY_USD] = energy_pv;
    r[idx::PV_RENT_USD] = rent_pv;
    r[idx::PV_MAINTENANCE_AND_PARTS_USD] = s.pv_maint.get();
    r[idx::PV_OPERATIONS_USD] = s.pv_ops.get();
    r[idx::PV_FACILITY_USD] = s.pv_facility.get();
    r[idx::PV_RESIDUAL_VALUE_USD] = residual * df_end;
    r[idx::PV_LOST_REVENUE_FAILURES_USD] = s.pv_lost_fail.get();
    r[idx::PV_LOST_REVENUE_OUTAGES_USD] = s.pv_lost_out.get();
    r[idx::CASH_FLOW_Y1..idx::CASH_FLOW_Y1 + MAX_YEARS].copy_from_slice(&cfy);
    for k in 0..MAX_CLASSES {
        // Nodes still waiting at the horizon waited until its end.
        if s.backorders[k] > 0 {
            s.class_lost[k].add(F::from_u32(s.backorders[k]) * (hf * F::c(24.0)));
        }
        r[idx::CLASS_FAILURES + k] = F::from_u32(s.class_failures[k]);
        r[idx::CLASS_LOST_NODE_HOURS + k] = s.class_lost[k].get();
    }
}

/// Simulates path `path` and writes `n_options * N_OUT` values into `out` (option-major):
/// `sample_inputs`, `env_consts` and `option_consts` once, then each day `env_day` (shared by
/// the options) and `day_step` per option, then `finish` per option. The kernel runs the same
/// stages per option (`simulate_option` in `fleet_step.wgsl`), recomputing `env_day` in each
/// option's invocation.
///
/// With `m.run.n_months > 0`, `monthly` takes each option's monthly series
/// (`n_options * n_months * N_MONTHLY` values: option-major, then month, then
/// `outputs::mon` slot); else it is not touched (pass an empty slice).
pub fn simulate_path<F: Real>(m: &FlatModel, path: u32, out: &mut [F], monthly: &mut [F]) {
    let n_opt = m.run.n_options as usize;
    let horizon = m.run.horizon_days;
    let x = sample_inputs::<F>(m, path);
    let env = env_consts(&x.env);
    let outage_hours = EventDist::<F>::new(&m.env.outage_hours);
    let consts: Vec<OptionConsts<F>> = (0..n_opt)
        .map(|o| option_consts(m, &env, &m.options[o], &x.opt[o]))
        .collect();
    let mut st: Vec<OptionState<F>> = consts
        .iter()
        .map(|c| OptionState::new(c, horizon))
        .collect();
    let mut cache: Vec<DayCache<F>> = consts.iter().map(DayCache::new).collect();
    let mut es = EnvState {
        outage_left: F::c(0.0),
        month_out_h: F::c(0.0),
    };
    let per_opt = m.run.n_months as usize * N_MONTHLY;
    let mon_of = |len: usize, o: usize| -> std::ops::Range<usize> {
        if per_opt > 0 && len >= (o + 1) * per_opt {
            o * per_opt..(o + 1) * per_opt
        } else {
            0..0
        }
    };
    for t in 0..horizon {
        let d = env_day(m, &env, &mut es, &outage_hours, path, t);
        for o in 0..n_opt {
            let r = mon_of(monthly.len(), o);
            day_step(
                m,
                &m.options[o],
                &consts[o],
                &mut st[o],
                &mut cache[o],
                &env,
                &d,
                path,
                t,
                &mut monthly[r],
            );
        }
    }
    for o in 0..n_opt {
        let r = mon_of(monthly.len(), o);
        finish(
            m,
            &env,
            &consts[o],
            &mut st[o],
            &mut out[o * N_OUT..(o + 1) * N_OUT],
            &mut monthly[r],
        );
    }
}
