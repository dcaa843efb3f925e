// One path of one option, in the stages of its Rust twin src/model/fleet_step.rs, with the same
// names: `sample_inputs`, `env_consts`, `option_consts`, then every day `env_day` and
// `day_step`, then `finish`; same operation order and the same draws. The CPU runs `env_day`
// once per day for all options; here every option's invocation recomputes it from the shared
// stream 0 (same values). Needs `models` (an array of `Model`, one per point of the dispatch),
// `table`, `outs` and `state` bound by the kernel.

// Compensated (Kahan) running sum, passed by value.
struct KSum {
    s: f32,
    c: f32,
}

fn ks_add(k: KSum, x: f32) -> KSum {
    let y = x - k.c;
    let t = (k.s + y) * opaque_one;
    return KSum(t, (t - k.s) - y);
}

// 1.0, read from the dispatch uniform so no compiler can prove it: multiplying by it stops
// optimisers from folding Kahan's `((s + y) - s) - y` to 0 (WGSL allows reassociation).
var<private> opaque_one: f32;

// Per-option state carried from day to day, and between windows of days in `state` (twin of
// `OptionState` in fleet_step.rs; its host twin `gpu::state::OptionState` has the same layout,
// checked against naga by tests/gpu_layout.rs).
struct OptionState {
    // Rings of returns from repair and of spare units arriving into stock (by unit type),
    // indexed by day % RING_DAYS.
    ring_units: array<u32, RING_DAYS>,
    ring_parts: array<array<u32, RING_DAYS>, MAX_UNITS>,
    ring_hours: array<f32, RING_DAYS>,
    // Yearly cash flows as compensated sums.
    year_cf: array<KSum, MAX_YEARS>,
    // On-site spare stock by unit type (0 = hot spare nodes).
    spares: array<u32, MAX_UNITS>,
    // Nodes of each class waiting for a spare unit, and failures and lost node-hours by class.
    backorders: array<u32, MAX_CLASSES>,
    class_failures: array<u32, MAX_CLASSES>,
    class_lost: array<KSum, MAX_CLASSES>,
    // Nodes delivered by the end of yesterday.
    installed: u32,
    down: u32,
    // Sum of `backorders`.
    waiting: u32,
    interruptions: u32,
    hard: u32,
    soft: u32,
    payback: u32,
    // A bool, as 0 or 1 (bools cannot live in a storage buffer).
    went_negative: u32,
    demand_x: f32,
    hw_capex: f32,
    npv: KSum,
    cum_cf: KSum,
    opex: KSum,
    energy_kwh: KSum,
    revenue: KSum,
    avail_hours: KSum,
    installed_hours: KSum,
    delivered: KSum,
    job_num: KSum,
    job_den: KSum,
    job_days: KSum,
    // Job chip-hours spent restarting.
    job_restart: KSum,
    // Revenue of the current SLA month so far (before its credit; monthly SLA).
    month_rev: f32,
    // Contracts: the current reserved term's price multiplier and the next term's start,
    // the prepaid revenue drawn down each day, the rental term's multiplier and next start.
    res_mult: f32,
    next_term: u32,
    prepay_day: f32,
    rent_mult: f32,
    next_rent: u32,
    // Present values of costs, installed, sold and job chip-hours.
    pv_cost: KSum,
    pv_inst: KSum,
    pv_sold: KSum,
    pv_job: KSum,
    // First day the running NPV is back to zero after going negative (a bool as 0 or 1).
    dpayback: u32,
    dwent_negative: u32,
    // IRR buckets: cash flow and its first moment about the bucket's centre.
    bucket_cf: array<f32, MAX_BUCKETS>,
    bucket_m1: array<f32, MAX_BUCKETS>,
    // Capex paid in each cash-flow year, and its hardware part.
    year_capex: array<f32, MAX_YEARS>,
    year_hw: array<f32, MAX_YEARS>,
    // NPV decomposition: present values of the cash-flow lines (energy and rent share one
    // sum) and of the revenue lost to failures and to outages.
    pv_revenue: KSum,
    pv_credits: KSum,
    pv_capex: KSum,
    pv_energy_rent: KSum,
    pv_maint: KSum,
    pv_ops: KSum,
    pv_facility: KSum,
    pv_lost_fail: KSum,
    pv_lost_out: KSum,
    // Monthly series: the month's opex and available chip-hours so far, and the failures
    // counted by the end of last month.
    m_opex: f32,
    m_avail: f32,
    fail_mark: u32,
}

// The environment's state carried from day to day (twin of `EnvState`).
struct EnvState {
    // Outage hours still to come (outages longer than a day carry over).
    outage_left: f32,
    // Regional outage hours of the current SLA month so far.
    month_out_h: f32,
}

// What one invocation carries from one window of days to the next (host twin
// `gpu::state::Carried`).
struct Carried {
    env: EnvState,
    option: OptionState,
}

// The invocation's state and constants. The stages read and write these module-scope
// variables where their CPU twins take `&mut OptionState`, `&OptionConsts` and `&mut EnvState`:
// WGSL has pointers, but naga's GLSL and HLSL backends turn a pointer parameter into an
// `inout` parameter, a copy-in/copy-out of the whole struct (about 1.8 KB) on every call.
var<private> env_state: EnvState;
var<private> st: OptionState;
var<private> oc: OptionConsts;

// Stage `sample_inputs`: the sampled inputs of the environment and of option `o`.
struct SampledInputs {
    e: array<f32, ENV_IN_COUNT>,
    x: array<f32, OPT_IN_COUNT>,
}

// Environment constants of one path (twin of `EnvConsts`).
struct EnvConsts {
    lr_disc: f32,
    lr_elec: f32,
    lr_price: f32,
    kwh_price: f32,
    outage_per_day: f32,
    outage_p0: f32,
    sla: f32,
    vol: f32,
    kappa: f32,
    demand_ramp: f32,
    market_flops: f32,
    market_tbps: f32,
    od_premium: f32,
    tax_rate: f32,
    bonus: f32,
}

// What the environment does on one day (twin of `EnvDay`).
struct EnvDay {
    eps: f32,
    outage_frac: f32,
    credit: f32,
    df: f32,
    elec_mult: f32,
    price_mult: f32,
    year: u32,
    // Monthly SLA: the tier credit on a month's last day, else 0.
    month_credit: f32,
    // The day is the last of its SLA month (or of the horizon).
    month_end: bool,
    // IRR bucket of the day and the day's offset from the bucket's centre.
    bucket: u32,
    bucket_dt: f32,
}

// Constants of one option for one path (twin of `OptionConsts`, without its CPU-only
// precomputed factors, which are computed inline here).
struct OptionConsts {
    nodes: u32,
    spare_nodes: u32,
    n_classes: u32,
    hard_mask: u32,
    cpn: f32,
    it_kw: f32,
    blast_nodes: f32,
    delay: u32,
    ramp: u32,
    burn_fail: f32,
    replacement: u32,
    swap_h: f32,
    capex_per_node: f32,
    idle: f32,
    pue: f32,
    dc_capex: f32,
    dc_life_days: f32,
    colo_per_kw_day: f32,
    maint_per_day: f32,
    ops_per_mw_day: f32,
    warranty_day: f32,
    part_cost: f32,
    residual_frac: f32,
    life_days: f32,
    p_od: f32,
    p_res: f32,
    res_frac: f32,
    mu_logit: f32,
    pflop_per_chip_hour: f32,
    job_frac: f32,
    job_chips: f32,
    job_tau_h: f32,
    job_ckpt_h: f32,
    job_restart_h: f32,
    job_g0: f32,
    job_planned_h: f32,
    rate: array<f32, MAX_CLASSES>,
    infant_extra: array<f32, MAX_CLASSES>,
    infant_days: array<u32, MAX_CLASSES>,
    // In service at day 0 (FLAG_IN_SERVICE): no delay, ramp, burn-in, infant uplift or
    // demand ramp.
    in_service: bool,
    // Next generation: ship day and the factor the option's market price keeps then.
    gen_day: u32,
    gen_mult: f32,
    // Reserved term in days, prepaid share, the fleet's contracted chip-hours per day.
    term_days: u32,
    prepay: f32,
    contract_ch: f32,
    // Rented capacity: rent per installed node-day (uplift included), term in days.
    rent: bool,
    rent_node_day: f32,
    rent_term_days: u32,
    // Contracted power charge per day from power_from; build schedule and valuation.
    power_day: f32,
    power_from: u32,
    energise: u32,
    dc_per_day: f32,
    dc_base: f32,
    dc_residual: u32,
    hbm: f32,
}

// The option's own market-price factor on day t (see `market_mult` in fleet_step.rs).
fn market_mult(t: u32) -> f32 {
    return select(1.0, oc.gen_mult, t >= oc.gen_day);
}

// Days per IRR bucket, and day t's bucket and offset from its centre (see `bucket_of`).
fn bucket_days(horizon: u32) -> u32 {
    return max((horizon + MAX_BUCKETS - 1u) / MAX_BUCKETS, 1u);
}

fn bucket_of(t: u32, horizon: u32) -> vec2<f32> {
    let l = bucket_days(horizon);
    let b = min(t / l, MAX_BUCKETS - 1u);
    let centre = f32(b * l) + 0.5 * f32(l - 1u);
    return vec2<f32>(f32(b), f32(t) - centre);
}

// On-site stock of each unit type bought at delivery on this path (unit 0: spare_nodes), kept
// outside `oc` because it is indexed at run time (`oc` is indexed by constants only).
var<private> unit_stock: array<u32, MAX_UNITS>;

// Nodes delivered by the end of day t (exact integer ramp; see `arrived` in fleet_step.rs).
fn arrived(nodes: u32, delay: u32, ramp: u32, t: i32) -> u32 {
    if (t < i32(delay)) {
        return 0u;
    }
    if (ramp == 0u) {
        return nodes;
    }
    let k = u32(t - i32(delay) + 1);
    if (k >= ramp) {
        return nodes;
    }
    let q = nodes / ramp;
    let r = nodes % ramp;
    return q * k + (r * k) / ramp;
}

fn round_days(x: f32, cap: u32) -> u32 {
    return min(to_u32_sat(x + 0.5), cap);
}

// Puts a node down for `hours`: less than a day is charged to today's lost node-hours;
// longer repairs keep the node down for whole days and return it on day t + floor(h / 24),
// charging the remainder there (see `schedule_down` in fleet_step.rs).
// Returns the node-hours charged (full * 24 + rem, or `hours` under a day).
fn schedule_down(lost_today: ptr<function, f32>, t: u32, hours: f32) -> f32 {
    let full0 = to_u32_sat(hours * (1.0 / 24.0));
    if (full0 == 0u) {
        *lost_today += hours;
        return hours;
    }
    let full = min(full0, RING_DAYS - 1u);
    let rem = clamp(hours - f32(full) * 24.0, 0.0, 24.0);
    let slot = (t + full) % RING_DAYS;
    st.down += 1u;
    st.ring_units[slot] += 1u;
    st.ring_hours[slot] += rem;
    return f32(full) * 24.0 + rem;
}

// Unit type (0 = the whole node) of class k.
fn class_unit(class_units: u32, k: u32) -> u32 {
    return (class_units >> (2u * k)) & 3u;
}

// The event distribution of hard class k's way back into stock: its RMA round trip, or a new
// unit's lead time (`OptionParams::back_event` in params.rs).
fn back_event(pt: u32, o: u32, k: u32) -> u32 {
    if ((models[pt].options[o].rma_mask & (1u << k)) != 0u) {
        return EV_RMA_BASE + k;
    }
    return EV_REPLENISH_BASE + class_unit(models[pt].options[o].class_units, k);
}

// One failed unit of type u on its way back into stock from day t (one uniform; `send_back`
// in fleet_step.rs).
fn send_back(pt: u32, o: u32, os: ptr<function, DayStream>, back: u32, u: u32, t: u32) {
    let days = sample_event(models[pt].options[o].events[back], ds_next_u01(os));
    let rd = max(round_days(days, RING_DAYS - 1u), 1u);
    st.ring_parts[u][(t + rd) % RING_DAYS] += 1u;
}

// Adds the node-hours `charged` by a repair of class k on day t to its lost node-hours: times
// the blast radius in nodes, capped at the hours left in the horizon.
fn charge_class(k: u32, charged: f32, t: u32, horizon: u32) {
    // Under a day it is all within the horizon (t < horizon).
    var h = charged;
    if (charged > 24.0) {
        h = min(charged, f32(horizon - t) * 24.0);
    }
    st.class_lost[k] = ks_add(st.class_lost[k], h * oc.blast_nodes);
}

// A per-event distribution: the quantile-table lookup inline, anything else by sample_dist.
fn sample_event(d: DistSpec, u: f32) -> f32 {
    if (d.kind == KIND_TABLE) {
        let n = to_u32_sat(d.p[0]);
        let x = u * f32(n);
        let i = min(to_u32_sat(x), n - 1u);
        let f = x - f32(i);
        let base = table_base + d.aux + i;
        let a = table[base];
        let b = table[base + 1u];
        return clamp(a + f * (b - a), d.lo, d.hi);
    }
    return sample_dist(d, u);
}

// Uniform of global sampled input g for path `path` (the lane it has in its DAY_INIT stream).
fn input_uniform_direct(pt_of_input: u32, key: vec2<u32>, path: u32, g: u32) -> f32 {
    var stream = STREAM_ENV;
    var i = g;
    if (g >= ENV_IN_COUNT) {
        let k = g - ENV_IN_COUNT;
        stream = models[pt_of_input].options[k / OPT_IN_COUNT].stream;
        i = k % OPT_IN_COUNT;
    }
    let block = philox4x32_10(vec4<u32>(path, DAY_INIT, i / 4u, stream), key);
    return u01(block[i % 4u]);
}

// The quiet-NaN bit pattern that marks an undefined output (IRR without a sign change...).
const UNDEFINED_BITS: u32 = 0x7FC00000u;

// Output words are written as integers: an undefined value is a NaN bit pattern stored without
// any floating-point operation, which no compiler assuming finite math can fold away.
fn put(i: u32, v: f32) {
    outs[i] = bitcast<u32>(v);
}

fn put_if(i: u32, v: f32, defined: bool) {
    outs[i] = select(UNDEFINED_BITS, bitcast<u32>(v), defined);
}

// NPV of the IRR buckets at daily log-rate l, up to a positive factor (see `bucket_npv`).
fn bucket_npv(l: f32, bdays: u32) -> f32 {
    let q = exp(-(l * f32(bdays)));
    var v = 0.0;
    for (var b = i32(MAX_BUCKETS) - 1; b >= 0; b--) {
        v = v * q + (st.bucket_cf[b] - l * st.bucket_m1[b]);
    }
    return v;
}

// Yearly IRR of the IRR buckets by bisection on [-0.99, 10]; .y = 0 when undefined (see
// `irr_dated` in fleet_step.rs).
fn irr_dated(bdays: u32) -> vec2<f32> {
    var has_pos = false;
    var has_neg = false;
    for (var b = 0u; b < MAX_BUCKETS; b++) {
        has_pos = has_pos || st.bucket_cf[b] > 0.0;
        has_neg = has_neg || st.bucket_cf[b] < 0.0;
    }
    if (!(has_pos && has_neg)) {
        return vec2<f32>(0.0, 0.0);
    }
    var lo = -0.99;
    var hi = 10.0;
    let flo = bucket_npv(log(1.0 + lo) * (1.0 / 365.0), bdays);
    let fhi = bucket_npv(log(1.0 + hi) * (1.0 / 365.0), bdays);
    if ((flo > 0.0) == (fhi > 0.0)) {
        return vec2<f32>(0.0, 0.0);
    }
    for (var it = 0u; it < 60u; it++) {
        let mid = 0.5 * (lo + hi);
        let fm = bucket_npv(log(1.0 + mid) * (1.0 / 365.0), bdays);
        if ((fm > 0.0) == (flo > 0.0)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return vec2<f32>(0.5 * (lo + hi), 1.0);
}

// Share of a cost depreciated straight-line with the half-year convention by the end of its
// k-th year in service (see `sl_done`).
fn sl_done(k: u32, life: f32) -> f32 {
    return min((f32(k) + 0.5) / life, 1.0);
}

// Stage `sample_inputs`: one uniform lane per input from the (path, DAY_INIT, stream) streams,
// the copula over any tied inputs, then each input's inverse CDF.
fn sample_inputs(pt: u32, path: u32, o: u32) -> SampledInputs {
    let key = vec2<u32>(models[pt].run.seed_lo, models[pt].run.seed_hi);
    var ue: array<f32, ENV_IN_COUNT>;
    var uo: array<f32, OPT_IN_COUNT>;
    var s0 = ds_new(key, path, DAY_INIT, STREAM_ENV);
    for (var i = 0u; i < ENV_IN_COUNT; i++) {
        ue[i] = ds_next_u01(&s0);
    }
    var s1 = ds_new(key, path, DAY_INIT, models[pt].options[o].stream);
    for (var i = 0u; i < OPT_IN_COUNT; i++) {
        uo[i] = ds_next_u01(&s1);
    }
    let nc = models[pt].run.n_corr;
    if (nc > 0u) {
        var z: array<f32, MAX_CORR>;
        for (var k = 0u; k < nc; k++) {
            z[k] = norm_inv_cdf(input_uniform_direct(pt, key, path, models[pt].corr.idx[k]));
        }
        for (var r = 0u; r < nc; r++) {
            var acc = 0.0;
            for (var c = 0u; c <= r; c++) {
                acc += models[pt].corr.chol[r * MAX_CORR + c] * z[c];
            }
            let u = clamp(norm_cdf(acc), 1e-7, 1.0 - 1e-7);
            let g = models[pt].corr.idx[r];
            if (g < ENV_IN_COUNT) {
                ue[g] = u;
            } else if ((g - ENV_IN_COUNT) / OPT_IN_COUNT == o) {
                uo[(g - ENV_IN_COUNT) % OPT_IN_COUNT] = u;
            }
        }
    }
    var out: SampledInputs;
    for (var i = 0u; i < ENV_IN_COUNT; i++) {
        out.e[i] = sample_dist(models[pt].env.inputs[i], ue[i]);
    }
    for (var i = 0u; i < OPT_IN_COUNT; i++) {
        out.x[i] = sample_dist(models[pt].options[o].inputs[i], uo[i]);
    }
    return out;
}

// Stage `env_consts`: the environment's per-path constants.
fn env_consts(e: array<f32, ENV_IN_COUNT>) -> EnvConsts {
    var c: EnvConsts;
    c.outage_per_day = min(e[ENV_OUTAGE_RATE_PER_YEAR] * (1.0 / 365.0), POISSON_INV_MAX_MEAN * 0.5);
    c.lr_disc = log(1.0 + e[ENV_DISCOUNT_RATE_PER_YEAR]) * (1.0 / 365.0);
    c.lr_elec = log(1.0 + e[ENV_ELECTRICITY_ESCALATION_PER_YEAR]) * (1.0 / 365.0);
    c.lr_price = log(1.0 - e[ENV_PRICE_DECLINE_PER_YEAR]) * (1.0 / 365.0);
    c.kwh_price = e[ENV_USD_PER_KWH];
    c.outage_p0 = exp(-c.outage_per_day);
    c.sla = e[ENV_SLA_CREDIT_FRACTION];
    c.vol = e[ENV_DEMAND_VOLATILITY_PER_DAY];
    c.kappa = e[ENV_DEMAND_REVERSION_PER_DAY];
    c.demand_ramp = e[ENV_DEMAND_RAMP_DAYS];
    c.market_flops = e[ENV_MARKET_USD_PER_PFLOP_HOUR];
    c.market_tbps = e[ENV_MARKET_USD_PER_TBPS_HOUR];
    c.od_premium = e[ENV_ON_DEMAND_PREMIUM];
    c.tax_rate = e[ENV_TAX_RATE];
    c.bonus = e[ENV_BONUS_DEPRECIATION_FRACTION];
    return c;
}

// Class k's constants (`rate`, `infant_extra`, `infant_days`), for k < n_classes.
fn option_class_consts(k: u32, x: array<f32, OPT_IN_COUNT>) {
    if (k < min(oc.n_classes, MAX_CLASSES)) {
        let b = OPT_CLASS_BASE + OPT_PER_CLASS * k;
        oc.rate[k] = x[b + OPT_CLASS_RATE];
        oc.infant_extra[k] = x[b + OPT_CLASS_INFANT_MULT] - 1.0;
        oc.infant_days[k] = round_days(x[b + OPT_CLASS_INFANT_DAYS], 100000u);
        if (oc.in_service) {
            oc.infant_extra[k] = 0.0;
        }
    }
}

// The stock of an auto-sized pool for a pipeline of mean `mu` units (twin of `auto_stock` in
// src/model/sample.rs): the 99 % Poisson quantile, summed exactly up to AUTO_STOCK_EXACT_MAX,
// Cornish-Fisher above.
fn auto_stock(mu: f32) -> u32 {
    if (!(mu > 0.0)) {
        return 0u;
    }
    if (mu > AUTO_STOCK_EXACT_MAX) {
        let r = sqrt(mu);
        let z = Z_AUTO;
        let x = mu + z * r + AUTO_CF_2 + AUTO_CF_3 / (72.0 * r) - 0.5;
        return to_u32_sat(ceil(x));
    }
    var pmf = exp(-mu);
    var cdf = pmf;
    var k = 0u;
    while (cdf < AUTO_FILL_RATE && k < 200u) {
        k += 1u;
        pmf = pmf * mu / f32(k);
        cdf += pmf;
    }
    return k;
}

// The stock of each unit type on this path (see `unit_stocks` in fleet_step.rs), into
// `unit_stock`.
fn option_unit_stocks(pt: u32, o: u32, x: array<f32, OPT_IN_COUNT>) {
    let n_units = clamp(models[pt].options[o].n_units, 1u, MAX_UNITS);
    let class_units = models[pt].options[o].class_units;
    for (var u = 0u; u < n_units; u++) {
        var stock = models[pt].options[o].unit_stock[u];
        if (u == 0u) {
            stock = oc.spare_nodes;
        }
        if ((models[pt].options[o].unit_auto & (1u << u)) != 0u) {
            var per_node = 0.0;
            for (var k = 0u; k < min(oc.n_classes, MAX_CLASSES); k++) {
                if ((oc.hard_mask & (1u << k)) != 0u && class_unit(class_units, k) == u) {
                    let rate = x[OPT_CLASS_BASE + OPT_PER_CLASS * k + OPT_CLASS_RATE];
                    per_node += rate * models[pt].options[o].class_back_days[k];
                }
            }
            stock = auto_stock(f32(oc.nodes) * per_node);
        }
        unit_stock[u] = stock;
    }
}

// Stage `option_consts`: the constants of option `o` for one path, into `oc` (whose class
// arrays start zeroed: unused classes keep rate 0).
fn option_consts(pt: u32, o: u32, x: array<f32, OPT_IN_COUNT>, env: EnvConsts) {
    oc.nodes = models[pt].options[o].nodes;
    oc.spare_nodes = models[pt].options[o].spare_nodes;
    oc.n_classes = models[pt].options[o].n_classes;
    oc.hard_mask = models[pt].options[o].hard_mask;
    oc.cpn = f32(models[pt].options[o].chips_per_node);
    let flags = models[pt].options[o].flags;
    let colo = (flags & FLAG_COLO) != 0u;
    let rent = (flags & FLAG_RENT) != 0u;
    let build = !colo && !rent;
    oc.in_service = (models[pt].options[o].flags & FLAG_IN_SERVICE) != 0u;
    oc.it_kw = (x[OPT_CHIP_W] + x[OPT_HOST_W_PER_CHIP]) * 0.001;
    let facility_mw = f32(oc.nodes) * oc.cpn * oc.it_kw * 0.001;
    // Unrolled over MAX_CLASSES with constant indices (unused classes keep 0), so `oc` is
    // only ever indexed by constants and its fields can stay in registers.
    option_class_consts(0u, x);
    option_class_consts(1u, x);
    option_class_consts(2u, x);
    option_class_consts(3u, x);
    option_class_consts(4u, x);
    option_class_consts(5u, x);
    option_class_consts(6u, x);
    option_class_consts(7u, x);
    option_unit_stocks(pt, o, x);
    let tau = max(x[OPT_CHECKPOINT_INTERVAL_MINUTES], 1e-3);
    let u_mean = x[OPT_UTILIZATION_MEAN];
    oc.blast_nodes = f32(max(models[pt].options[o].blast_radius_chips, models[pt].options[o].chips_per_node)) / oc.cpn;
    // A data centre still to be built is energised after its build months; the fleet is
    // delivered no earlier.
    var energise = 0u;
    if (build && !oc.in_service) {
        energise = round_days(x[OPT_DC_BUILD_MONTHS] * (365.0 / 12.0), 100000u);
    }
    oc.energise = energise;
    oc.delay = select(max(round_days(x[OPT_DELIVERY_DELAY_DAYS], 100000u), energise), 0u,
        oc.in_service);
    oc.ramp = select(round_days(x[OPT_RAMP_DAYS], 100000u), 0u, oc.in_service);
    oc.burn_fail = select(1.0 - x[OPT_BURN_IN_YIELD], 0.0, oc.in_service);
    oc.replacement = round_days(x[OPT_REPLACEMENT_DAYS], RING_DAYS - 1u);
    oc.swap_h = x[OPT_SWAP_HOURS];
    oc.capex_per_node = select((x[OPT_SERVER_CAPEX_PER_CHIP_USD]
        + x[OPT_NETWORK_CAPEX_PER_CHIP_USD]
        + x[OPT_STORAGE_CAPEX_PER_CHIP_USD]
        + x[OPT_COOLING_CAPEX_PER_CHIP_USD]) * oc.cpn, 0.0, rent);
    oc.idle = x[OPT_IDLE_POWER_FRACTION];
    oc.pue = x[OPT_PUE];
    oc.dc_capex = select(0.0, facility_mw * x[OPT_DC_CAPEX_PER_MW_USD], build);
    // Interest during construction (see `option_consts` in fleet_step.rs).
    let le = env.lr_disc * f32(energise);
    var idc = 1.0 + 0.5 * le;
    if (le > 1e-4) {
        idc = (exp(le) - 1.0) / le;
    }
    oc.dc_base = oc.dc_capex * idc;
    oc.dc_per_day = 0.0;
    if (energise > 0u) {
        oc.dc_per_day = oc.dc_capex / f32(energise);
    }
    oc.dc_life_days = x[OPT_DC_LIFE_YEARS] * 365.0;
    oc.colo_per_kw_day = select(0.0, x[OPT_COLO_USD_PER_KW_MONTH] * (12.0 / 365.0), colo);
    oc.maint_per_day = x[OPT_MAINTENANCE_FRACTION_PER_YEAR] * (1.0 / 365.0);
    // A rented fleet's operations and power are the provider's (in its rent).
    oc.ops_per_mw_day = select(x[OPT_OPS_USD_PER_MW_YEAR] * (1.0 / 365.0), 0.0, rent);
    oc.warranty_day = x[OPT_WARRANTY_YEARS] * 365.0;
    oc.part_cost = select(x[OPT_PART_COST_USD], 0.0, rent);
    oc.residual_frac = x[OPT_RESIDUAL_FRACTION];
    oc.life_days = x[OPT_USEFUL_LIFE_YEARS] * 365.0;
    if ((flags & FLAG_MARKET) != 0u) {
        let b = models[pt].env.price_basis;
        var market = env.market_flops;
        var perf: f32;
        if (b == BASIS_HBM) {
            market = env.market_tbps;
            perf = x[OPT_HBM_TB_PER_S];
        } else {
            var peak = x[OPT_PEAK_BF16_PFLOPS];
            if (b == BASIS_FP8) {
                peak = x[OPT_PEAK_FP8_PFLOPS];
            } else if (b == BASIS_FP4) {
                peak = x[OPT_PEAK_FP4_PFLOPS];
            }
            perf = peak * x[OPT_MFU];
        }
        let pr = market * perf * (1.0 + x[OPT_PRICE_PREMIUM]);
        oc.p_res = pr;
        oc.p_od = pr * (1.0 + env.od_premium);
    } else {
        oc.p_od = x[OPT_ON_DEMAND_USD_PER_CHIP_HOUR];
        oc.p_res = x[OPT_RESERVED_USD_PER_CHIP_HOUR];
    }
    oc.res_frac = x[OPT_RESERVED_FRACTION];
    oc.mu_logit = log(u_mean / (1.0 - u_mean));
    oc.pflop_per_chip_hour = x[OPT_PEAK_BF16_PFLOPS] * x[OPT_MFU];
    let job_chips_u = models[pt].options[o].job_chips;
    oc.job_frac = select(0.0, x[OPT_JOB_FRACTION], job_chips_u > 0u);
    oc.job_chips = f32(job_chips_u);
    oc.job_tau_h = tau * (1.0 / 60.0);
    oc.job_ckpt_h = x[OPT_CHECKPOINT_COST_SECONDS] * (1.0 / 3600.0);
    oc.job_restart_h = x[OPT_RESTART_MINUTES] * (1.0 / 60.0);
    oc.job_g0 = tau / (tau + x[OPT_CHECKPOINT_COST_SECONDS] * (1.0 / 60.0));
    oc.job_planned_h = x[OPT_PLANNED_INTERRUPTIONS_PER_DAY] * x[OPT_PLANNED_RESTART_MINUTES]
        * (1.0 / 60.0);
    oc.gen_day = models[pt].options[o].next_gen_day;
    oc.gen_mult = 1.0 - x[OPT_NEXT_GEN_PRICE_STEP];
    oc.term_days = max(round_days(x[OPT_RESERVED_TERM_YEARS] * 365.0, 100000u), 1u);
    oc.prepay = x[OPT_PREPAY_FRACTION];
    oc.contract_ch = f32(oc.nodes) * oc.cpn * 24.0;
    oc.rent = rent;
    oc.rent_node_day = select(0.0, x[OPT_RENT_USD_PER_CHIP_HOUR]
        * (1.0 + x[OPT_RENT_UPLIFT_FRACTION]) * oc.cpn * 24.0, rent);
    oc.rent_term_days = max(round_days(x[OPT_RENT_TERM_YEARS] * 365.0, 100000u), 1u);
    let facility_kw = f32(oc.nodes) * oc.cpn * oc.it_kw * x[OPT_PUE];
    oc.power_day = select(x[OPT_POWER_USD_PER_KW_MONTH] * (12.0 / 365.0) * facility_kw, 0.0, rent);
    oc.power_from = select(oc.delay, energise, energise > 0u);
    oc.dc_residual = models[pt].options[o].dc_residual;
    oc.hbm = x[OPT_HBM_TB_PER_S];

}

// The state at day 0: nothing delivered, nothing down, every sum empty (private variables
// start zeroed in every invocation).
fn option_state_init(horizon: u32) {
    st.demand_x = oc.mu_logit;
    st.payback = horizon + 1u;
    st.dpayback = horizon + 1u;
    st.res_mult = market_mult(0u);
    st.rent_mult = market_mult(0u);
    st.next_term = oc.delay;
    st.next_rent = oc.delay;
}

// Stage `env_day`: day t's demand shock and outages from the environment stream
// (path, t, 0), and the day's discount and price multipliers.
fn env_day(pt: u32, env: EnvConsts, path: u32, t: u32) -> EnvDay {
    let key = vec2<u32>(models[pt].run.seed_lo, models[pt].run.seed_hi);
    let n_years = clamp(models[pt].run.n_years, 1u, MAX_YEARS);
    var es = ds_new(key, path, t, STREAM_ENV);
    var d: EnvDay;
    d.eps = norm_inv_cdf(ds_next_u01(&es));
    var n_out = 0u;
    if (env.outage_per_day > 0.0) {
        n_out = poisson_inversion(env.outage_per_day, env.outage_p0, &es);
    }
    // Each outage starts at a uniform time of its day; the hours past midnight carry over.
    var tail = 0.0;
    for (var i = 0u; i < n_out; i++) {
        let h = sample_event(models[pt].env.outage_hours, ds_next_u01(&es));
        let start = ds_next_u01(&es) * 24.0;
        let first = min(h, 24.0 - start);
        env_state.outage_left += first;
        tail += h - first;
    }
    let out_h = min(env_state.outage_left, 24.0);
    env_state.outage_left = env_state.outage_left - out_h + tail;
    d.outage_frac = out_h * (1.0 / 24.0);
    let monthly = models[pt].env.sla_mode == SLA_MONTHLY;
    d.credit = select(1.0, 1.0 - env.sla, !monthly && out_h > 0.0);
    let month = sla_month(t);
    d.month_end = t + 1u == models[pt].run.horizon_days || sla_month(t + 1u) != month;
    d.month_credit = 0.0;
    if (monthly) {
        env_state.month_out_h += out_h;
        if (d.month_end) {
            let days = t + 1u - sla_month_start(month);
            let uptime = 1.0 - env_state.month_out_h / (f32(days) * 24.0);
            d.month_credit = sla_tier_credit(pt, uptime);
            env_state.month_out_h = 0.0;
        }
    }
    let tf = f32(t);
    d.df = exp(-(env.lr_disc * tf));
    d.elec_mult = exp(env.lr_elec * tf);
    d.price_mult = exp(env.lr_price * tf);
    d.year = min(t / 365u, n_years - 1u);
    let bk = bucket_of(t, models[pt].run.horizon_days);
    d.bucket = u32(bk.x);
    d.bucket_dt = bk.y;
    return d;
}

// The SLA month of day t, and the first day of month m (see `sla_month` in fleet_step.rs).
fn sla_month(t: u32) -> u32 {
    return t * MONTHS_PER_YEAR / 365u;
}

fn sla_month_start(m: u32) -> u32 {
    return (m * 365u + MONTHS_PER_YEAR - 1u) / MONTHS_PER_YEAR;
}

// The credit of the last tier whose uptime_below is above `uptime` (0 if none).
fn sla_tier_credit(pt: u32, uptime: f32) -> f32 {
    var credit = 0.0;
    for (var k = 0u; k < MAX_SLA_TIERS; k++) {
        if (k < models[pt].env.n_sla_tiers && uptime < models[pt].env.sla_uptime_below[k]) {
            credit = models[pt].env.sla_credit[k];
        }
    }
    return credit;
}

// Today's failure weight of each class (`w` in fleet_step.rs), their running sum (`cum`) and
// total: scratch of `day_step`.
var<private> w: array<f32, MAX_CLASSES>;
var<private> cum: array<f32, MAX_CLASSES>;
var<private> class_total: f32;

// Adds class k's weight: rate x infant multiplier x nodes up, summed in class order.
fn add_class_weight(k: u32, t: u32, ti: i32, inst: u32, inst_f: f32, up_f: f32) {
    var mult = 1.0;
    if (oc.infant_days[k] > 0u && oc.infant_extra[k] != 0.0
        && t < oc.delay + oc.ramp + oc.infant_days[k]) {
        let young = inst - arrived(oc.nodes, oc.delay, oc.ramp, ti - i32(oc.infant_days[k]));
        mult += oc.infant_extra[k] * f32(young) / inst_f;
    }
    w[k] = oc.rate[k] * mult * up_f;
    class_total += w[k];
    cum[k] = class_total;
}

// The day's failures one by one (MODEL.md 6.4; `event_failures` in fleet_step.rs): a Poisson
// count over all classes, then per failure one uniform for its class and repair time and, if
// hard, one for its way back. Returns the number of failures.
fn event_failures(pt: u32, o: u32, os: ptr<function, DayStream>, total: f32,
                  lost_h: ptr<function, f32>, parts_cost: ptr<function, f32>, t: u32) -> u32 {
    let horizon = models[pt].run.horizon_days;
    let tf = f32(t);
    let class_units = models[pt].options[o].class_units;
    let n_classes = oc.n_classes;
    let nf = poisson(total, os);
    for (var f = 0u; f < nf; f++) {
        let pick = ds_next_u01(os) * total;
        // The first class whose cumulative weight reaches `pick` (unrolled count).
        let k = select(0u, 1u, 1u < n_classes && cum[0] < pick)
            + select(0u, 1u, 2u < n_classes && cum[1] < pick)
            + select(0u, 1u, 3u < n_classes && cum[2] < pick)
            + select(0u, 1u, 4u < n_classes && cum[3] < pick)
            + select(0u, 1u, 5u < n_classes && cum[4] < pick)
            + select(0u, 1u, 6u < n_classes && cum[5] < pick)
            + select(0u, 1u, 7u < n_classes && cum[6] < pick);
        let acc = cum[k];
        var u_rep = 0.5;
        if (w[k] > 0.0) {
            u_rep = clamp((pick - (acc - w[k])) / w[k], 0.0, 1.0);
        }
        let repair_h = sample_event(models[pt].options[o].events[EV_REPAIR_BASE + k], u_rep);
        st.class_failures[k] += 1u;
        if ((oc.hard_mask & (1u << k)) != 0u) {
            st.hard += 1u;
            // The failed unit's way back into stock: its RMA round trip, or a new one.
            let u = class_unit(class_units, k);
            send_back(pt, o, os, back_event(pt, o, k), u, t);
            if (st.spares[u] > 0u) {
                st.spares[u] -= 1u;
                // A hot spare node is swapped in; a unit from stock is fitted in the repair.
                var h = repair_h;
                if (u == 0u) {
                    h = repair_h + oc.swap_h;
                }
                let charged = schedule_down(lost_h, t, h);
                charge_class(k, charged, t, horizon);
            } else {
                st.backorders[k] += 1u;
                st.waiting += 1u;
                st.down += 1u;
                // Waiting node-hours are charged when the wait ends: 24 (t_end - t).
                st.class_lost[k] = ks_add(st.class_lost[k], -(tf * 24.0));
            }
            if (tf >= oc.warranty_day) {
                *parts_cost += oc.part_cost;
            }
        } else {
            st.soft += 1u;
            let charged = schedule_down(lost_h, t, repair_h);
            charge_class(k, charged, t, horizon);
        }
    }
    return nf;
}

// The day's failures as counts (MODEL.md 6.4c; `counted_failures` in fleet_step.rs): soft
// classes one Poisson count each; hard classes unit type by unit type, the served and the
// waiting split over the unit's classes; repairs and the way back as counts. Returns the
// number of failures.
fn counted_failures(pt: u32, o: u32, os: ptr<function, DayStream>, lost_h: ptr<function, f32>,
                    parts_cost: ptr<function, f32>, t: u32) -> u32 {
    let tf = f32(t);
    let n_classes = oc.n_classes;
    let hard_mask = oc.hard_mask;
    let class_units = models[pt].options[o].class_units;
    let leaders = models[pt].options[o].back_leaders;
    var nf = 0u;
    for (var k = 0u; k < n_classes; k++) {
        if ((hard_mask & (1u << k)) == 0u) {
            let n = poisson(w[k], os);
            if (n > 0u) {
                st.class_failures[k] += n;
                st.soft += n;
                nf += n;
                counted_repairs(pt, o, os, k, n, false, lost_h, t);
            }
        }
    }
    var back: array<u32, MAX_CLASSES>;
    for (var u = 0u; u < models[pt].options[o].n_units; u++) {
        var wu = 0.0;
        var last = MAX_CLASSES;
        for (var k = 0u; k < n_classes; k++) {
            if ((hard_mask & (1u << k)) != 0u && class_unit(class_units, k) == u && w[k] > 0.0) {
                wu += w[k];
                last = k;
            }
        }
        if (last == MAX_CLASSES) {
            continue;
        }
        // NO_CELLS: the unit's failures were not drawn by return day.
        var d = return_cells(pt, o, os, u, last, wu, t);
        let cells = d != NO_CELLS;
        if (!cells) {
            d = poisson(wu, os);
        }
        if (d == 0u) {
            continue;
        }
        let served = min(d, st.spares[u]);
        st.spares[u] -= served;
        let served_k = split_over_classes(class_units, hard_mask, u, last, wu, served, os);
        let wait_k = split_over_classes(class_units, hard_mask, u, last, wu, d - served, os);
        for (var k = 0u; k <= last; k++) {
            let n = served_k[k] + wait_k[k];
            if (n == 0u) {
                continue;
            }
            st.class_failures[k] += n;
            st.hard += n;
            nf += n;
            if (!cells) {
                let leader = (leaders >> (3u * k)) & 7u;
                back[leader] += n;
            }
            if (served_k[k] > 0u) {
                counted_repairs(pt, o, os, k, served_k[k], u == 0u, lost_h, t);
            }
            let wk = wait_k[k];
            if (wk > 0u) {
                st.backorders[k] += wk;
                st.waiting += wk;
                st.down += wk;
                // Waiting node-hours are charged when the wait ends: 24 (t_end - t) each.
                st.class_lost[k] = ks_add(st.class_lost[k], -(f32(wk) * (tf * 24.0)));
            }
            if (tf >= oc.warranty_day) {
                *parts_cost += f32(n) * oc.part_cost;
            }
        }
    }
    for (var k = 0u; k < n_classes; k++) {
        if (back[k] > 0u) {
            way_back(pt, o, os, k, back[k], t);
        }
    }
    return nf;
}

// What `return_cells` returns when it draws nothing (Rust: `None`).
const NO_CELLS: u32 = 0xffffffffu;

// The day's failures of unit type u as one Poisson count per return day, Poisson(wu p_d) for d
// in d0..=d1 of the way-back day table, each added to the unit's returns on day t + d, when the
// unit's classes with failures today share one way-back distribution and wu is at least
// CELLS_PER_DAY per return day spanned; returns their sum, else NO_CELLS having drawn nothing
// (`return_cells` in fleet_step.rs).
fn return_cells(pt: u32, o: u32, os: ptr<function, DayStream>, u: u32, last: u32, wu: f32,
                t: u32) -> u32 {
    let hard_mask = oc.hard_mask;
    let class_units = models[pt].options[o].class_units;
    let leaders = models[pt].options[o].back_leaders;
    let lead = (leaders >> (3u * last)) & 7u;
    for (var k = 0u; k < last; k++) {
        if ((hard_mask & (1u << k)) != 0u && class_unit(class_units, k) == u && w[k] > 0.0
            && ((leaders >> (3u * k)) & 7u) != lead) {
            return NO_CELLS;
        }
    }
    let a = table_base + models[pt].options[o].ev_day[back_event(pt, o, lead)];
    let d0 = to_u32_sat(table[a]);
    let d1 = to_u32_sat(table[a + 1u]);
    let span = d1 - d0 + 1u;
    if (wu < f32(CELLS_PER_DAY * span)) {
        return NO_CELLS;
    }
    let probs = a + 2u + span;
    var d = 0u;
    for (var i = 0u; i < span; i++) {
        let x = poisson(wu * table[probs + i], os);
        st.ring_parts[u][(t + d0 + i) % RING_DAYS] += x;
        d += x;
    }
    return d;
}

// Splits n failures of unit type u over its hard classes 0..=last in proportion to their
// expected counts w (summing to wu): conditional binomials in class order, the last class
// taking the rest (`split_over_classes` in fleet_step.rs).
fn split_over_classes(class_units: u32, hard_mask: u32, u: u32, last: u32, wu: f32, n: u32,
                      os: ptr<function, DayStream>) -> array<u32, MAX_CLASSES> {
    var out: array<u32, MAX_CLASSES>;
    var rem = n;
    var wrem = wu;
    for (var k = 0u; k <= last; k++) {
        if (rem == 0u) {
            break;
        }
        if ((hard_mask & (1u << k)) != 0u && class_unit(class_units, k) == u && w[k] > 0.0) {
            var x = rem;
            if (!(k == last || wrem <= w[k])) {
                x = binomial(rem, w[k] / wrem, os);
            }
            out[k] = x;
            rem -= x;
            wrem -= w[k];
        }
    }
    return out;
}

// The repairs of n failures of class k in a counted day (`counted_repairs` in fleet_step.rs).
fn counted_repairs(pt: u32, o: u32, os: ptr<function, DayStream>, k: u32, n: u32, hot: bool,
                   lost_h: ptr<function, f32>, t: u32) {
    let horizon = models[pt].run.horizon_days;
    let rep = models[pt].options[o].events[EV_REPAIR_BASE + k];
    if (hot) {
        for (var i = 0u; i < n; i++) {
            let h = sample_event(rep, ds_next_u01(os)) + oc.swap_h;
            let charged = schedule_down(lost_h, t, h);
            charge_class(k, charged, t, horizon);
        }
        return;
    }
    let a = table_base + models[pt].options[o].ev_day[EV_REPAIR_BASE + k];
    let f_short = table[a];
    let p_long = table[a + 1u];
    let mean_short = table[a + 2u];
    let sd_short = table[a + 3u];
    let long = binomial(n, p_long, os);
    let short = n - long;
    if (short >= SHORT_SUM_MIN) {
        // Their sum: its exact mean and variance, normally distributed (one uniform).
        let ns = f32(short);
        let z = norm_inv_cdf(ds_next_u01(os));
        let h = max(ns * mean_short + sqrt(ns) * sd_short * z, 0.0);
        *lost_h += h;
        st.class_lost[k] = ks_add(st.class_lost[k], h * oc.blast_nodes);
    } else if (short > 0u) {
        // Few: each from the lower part of the repair distribution.
        var h = 0.0;
        for (var i = 0u; i < short; i++) {
            h += sample_event(rep, ds_next_u01(os) * f_short);
        }
        *lost_h += h;
        st.class_lost[k] = ks_add(st.class_lost[k], h * oc.blast_nodes);
    }
    for (var i = 0u; i < long; i++) {
        let uu = f_short + ds_next_u01(os) * p_long;
        let h = sample_event(rep, uu);
        let charged = schedule_down(lost_h, t, h);
        charge_class(k, charged, t, horizon);
    }
}

// The way back into stock of n failed units carried by class k in a counted day (`way_back`
// in fleet_step.rs): one uniform each below CHAIN_PER_DAY per return day of the distribution,
// else conditional binomials over the return days, stopping when the count is used up.
fn way_back(pt: u32, o: u32, os: ptr<function, DayStream>, k: u32, n: u32, t: u32) {
    let u = class_unit(models[pt].options[o].class_units, k);
    let back = back_event(pt, o, k);
    let a = table_base + models[pt].options[o].ev_day[back];
    let d0 = to_u32_sat(table[a]);
    let d1 = to_u32_sat(table[a + 1u]);
    if (n < CHAIN_PER_DAY * (d1 - d0 + 1u)) {
        for (var i = 0u; i < n; i++) {
            send_back(pt, o, os, back, u, t);
        }
        return;
    }
    var rem = n;
    for (var d = d0; d <= d1; d++) {
        var x = rem;
        if (d != d1) {
            x = binomial(rem, table[a + 2u + (d - d0)], os);
        }
        st.ring_parts[u][(t + d) % RING_DAYS] += x;
        rem -= x;
        if (rem == 0u) {
            break;
        }
    }
}

// Stage `day_step`: day t of option o (stream (path, t, 1 + o)): returns from repair and RMA,
// deliveries and burn-in, failures, demand, revenue, costs and the day's sums.
fn day_step(pt: u32, o: u32, job_binom: ptr<function, BinomialCache>, env: EnvConsts, d: EnvDay,
            path: u32, t: u32, rec: u32) {
    let key = vec2<u32>(models[pt].run.seed_lo, models[pt].run.seed_hi);
    let horizon = models[pt].run.horizon_days;
    let tf = f32(t);
    let class_units = models[pt].options[o].class_units;
    var os = ds_new(key, path, t, models[pt].options[o].stream);

    // ---- returns from repair, and spare units arriving into stock, scheduled for today ----
    let slot = t % RING_DAYS;
    var lost_h = st.ring_hours[slot];
    st.down -= min(st.ring_units[slot], st.down);
    st.ring_units[slot] = 0u;
    st.ring_hours[slot] = 0.0;
    let n_units = models[pt].options[o].n_units;
    for (var u = 0u; u < n_units; u++) {
        let parts = st.ring_parts[u][slot];
        if (parts == 0u) {
            continue;
        }
        st.ring_parts[u][slot] = 0u;
        var swap_day = min(oc.swap_h, 24.0);
        if (u > 0u) {
            swap_day = min(models[pt].options[o].unit_swap_hours[u], 24.0);
        }
        // Units go first to the nodes waiting for them (by class, in class order), the rest
        // into stock.
        var fill = 0u;
        if (st.waiting > 0u) {
            for (var k = 0u; k < oc.n_classes; k++) {
                if (class_unit(class_units, k) == u && st.backorders[k] > 0u) {
                    let f = min(parts - fill, st.backorders[k]);
                    st.backorders[k] -= f;
                    fill += f;
                    // Waiting ends today (24 h a day since the failure, whose day subtracted
                    // 24 t), then the unit is fitted.
                    st.class_lost[k] = ks_add(st.class_lost[k],
                        f32(f) * (f32(t) * 24.0 + swap_day * oc.blast_nodes));
                }
            }
            st.waiting -= fill;
        }
        st.down -= min(fill, st.down);
        lost_h += f32(fill) * swap_day;
        st.spares[u] += parts - fill;
    }

    // ---- deliveries, spares and burn-in ----
    let ti = i32(t);
    let inst = arrived(oc.nodes, oc.delay, oc.ramp, ti);
    let new_nodes = inst - st.installed;
    st.installed = inst;
    var capex_today = 0.0;
    var hw_today = 0.0;
    if (oc.energise > 0u) {
        if (t < oc.energise) {
            capex_today += oc.dc_per_day;
        }
    } else if (t == 0u) {
        capex_today += oc.dc_capex;
    }
    if (t == oc.delay) {
        st.spares[0] += unit_stock[0];
        hw_today += f32(unit_stock[0]) * oc.capex_per_node;
        for (var u = 1u; u < n_units; u++) {
            let stock = unit_stock[u];
            st.spares[u] += stock;
            if (!oc.rent) {
                hw_today += f32(stock) * models[pt].options[o].unit_cost_usd[u];
            }
        }
    }
    if (new_nodes > 0u) {
        hw_today += f32(new_nodes) * oc.capex_per_node;
    }
    capex_today += hw_today;
    st.hw_capex += hw_today;
    if (new_nodes > 0u) {
        let bad = binomial(new_nodes, oc.burn_fail, &os);
        if (bad > 0u && oc.replacement > 0u) {
            let rslot = (t + oc.replacement) % RING_DAYS;
            st.down += bad;
            st.ring_units[rslot] += bad;
        }
    }

    // ---- failures ----
    let inst_f = f32(inst);
    let up = select(0u, inst - st.down, inst > st.down);
    let up_f = f32(up);
    var n_jobs = 0.0;
    if (oc.job_frac > 0.0 && inst > 0u) {
        n_jobs = f32(to_u32_sat(oc.job_frac * inst_f * oc.cpn / oc.job_chips));
    }
    var q_job = 0.0;
    if (inst > 0u) {
        q_job = n_jobs * oc.job_chips / (inst_f * oc.cpn);
    }
    var interrupted = 0u;
    var parts_cost = 0.0;
    // Expected failures today over the nodes up (0 when none is up), for the job losses.
    var day_total = 0.0;
    if (up > 0u) {
        // Unrolled over MAX_CLASSES (unused classes have rate 0 and add exactly 0): keeps
        // loop iterations per day low (llvmpipe stops loops after 65,535 iterations).
        class_total = 0.0;
        add_class_weight(0u, t, ti, inst, inst_f, up_f);
        add_class_weight(1u, t, ti, inst, inst_f, up_f);
        add_class_weight(2u, t, ti, inst, inst_f, up_f);
        add_class_weight(3u, t, ti, inst, inst_f, up_f);
        add_class_weight(4u, t, ti, inst, inst_f, up_f);
        add_class_weight(5u, t, ti, inst, inst_f, up_f);
        add_class_weight(6u, t, ti, inst, inst_f, up_f);
        add_class_weight(7u, t, ti, inst, inst_f, up_f);
        let total = class_total;
        day_total = total;
        let n_classes = oc.n_classes;
        var nf = 0u;
        if (total >= models[pt].run.counted_min_mean) {
            nf = counted_failures(pt, o, &os, &lost_h, &parts_cost, t);
        } else {
            nf = event_failures(pt, o, &os, total, &lost_h, &parts_cost, t);
        }
        if (nf > 0u && q_job > 0.0) {
            interrupted = binomial_cached(nf, q_job, job_binom, &os);
        }
    }

    // ---- demand and revenue ----
    st.demand_x += env.kappa * (oc.mu_logit - st.demand_x) + env.vol * d.eps;
    var ramp_frac = 1.0;
    if (t < oc.delay) {
        ramp_frac = 0.0;
    } else if (env.demand_ramp > 0.0 && !oc.in_service) {
        ramp_frac = min(f32(t - oc.delay + 1u) / env.demand_ramp, 1.0);
    }
    let util = ramp_frac / (1.0 + exp(-st.demand_x));
    // Contracts (see `day_step` in fleet_step.rs): today's market price of the option; a
    // reserved or rental term starting today takes it; a prepaid term brings its contract value.
    let mkt = d.price_mult * market_mult(t);
    var prepaid_in = 0.0;
    if (t == st.next_term) {
        if (t > oc.delay) {
            st.res_mult = mkt;
        }
        st.next_term = t + oc.term_days;
        if (oc.prepay > 0.0) {
            st.prepay_day = oc.prepay * (oc.res_frac * oc.p_res) * st.res_mult * oc.contract_ch;
            prepaid_in = st.prepay_day * f32(min(oc.term_days, horizon - t));
        }
    }
    if (oc.rent && t == st.next_rent) {
        if (t > oc.delay) {
            st.rent_mult = mkt;
        }
        st.next_rent = t + oc.rent_term_days;
    }
    let down_all = min(st.down, inst);
    let waiting = min(st.waiting, down_all);
    let down_node_h = (f32(down_all - waiting) * 24.0 + lost_h) * oc.blast_nodes
        + f32(waiting) * 24.0;
    let healthy_ch = max(inst_f * 24.0 - down_node_h, 0.0) * oc.cpn;
    let avail_ch = healthy_ch * (1.0 - d.outage_frac);
    let res_frac = oc.res_frac;
    let sold = res_frac + (1.0 - res_frac) * util;
    let price_ch = res_frac * oc.p_res * st.res_mult + (1.0 - res_frac) * oc.p_od * mkt * util;
    let gross = avail_ch * price_ch;
    var revenue = gross * d.credit;
    // Monthly SLA: the month's revenue, and on its last day the tier credit of all of it.
    st.month_rev += revenue;
    if (d.month_credit > 0.0) {
        revenue -= d.month_credit * st.month_rev;
    }
    // The month's revenue net of its credit, for the monthly series.
    let month_net = st.month_rev * (1.0 - d.month_credit);
    if (d.month_end) {
        st.month_rev = 0.0;
    }

    // ---- costs ----
    let energy_kwh = avail_ch * oc.it_kw * (oc.idle + (1.0 - oc.idle) * sold) * oc.pue;
    let it_mw = inst_f * oc.cpn * oc.it_kw * 0.001;
    // A rented fleet pays no energy but its take-or-pay rent on every delivered chip-hour.
    var energy_or_rent = energy_kwh * env.kwh_price * d.elec_mult;
    if (oc.rent) {
        energy_or_rent = oc.rent_node_day * st.rent_mult * inst_f;
    }
    let maint = oc.maint_per_day * st.hw_capex;
    let ops = oc.ops_per_mw_day * it_mw;
    let colo = oc.colo_per_kw_day * it_mw * 1000.0;
    var opex = energy_or_rent + maint + ops + colo + parts_cost;
    var facility = colo;
    if (t >= oc.power_from) {
        opex += oc.power_day;
        facility += oc.power_day;
    }
    var cf = revenue - opex - capex_today;
    var cash_in = gross;
    if (oc.prepay > 0.0 && t >= oc.delay) {
        cf += prepaid_in - st.prepay_day;
        cash_in += prepaid_in - st.prepay_day;
    }

    // ---- the day's sums ----
    st.npv = ks_add(st.npv, cf * d.df);
    st.cum_cf = ks_add(st.cum_cf, cf);
    if (st.cum_cf.s < 0.0) {
        st.went_negative = 1u;
    } else if (st.went_negative != 0u && st.payback > horizon) {
        st.payback = t;
    }
    if (st.npv.s < 0.0) {
        st.dwent_negative = 1u;
    } else if (st.dwent_negative != 0u && st.dpayback > horizon) {
        st.dpayback = t;
    }
    st.pv_cost = ks_add(st.pv_cost, (opex + capex_today) * d.df);
    st.pv_revenue = ks_add(st.pv_revenue, cash_in * d.df);
    st.pv_credits = ks_add(st.pv_credits, (gross - revenue) * d.df);
    st.pv_capex = ks_add(st.pv_capex, capex_today * d.df);
    st.pv_energy_rent = ks_add(st.pv_energy_rent, energy_or_rent * d.df);
    st.pv_maint = ks_add(st.pv_maint, (maint + parts_cost) * d.df);
    st.pv_ops = ks_add(st.pv_ops, ops * d.df);
    st.pv_facility = ks_add(st.pv_facility, facility * d.df);
    // Chip-hours lost to failures and to outages, at today's price per available chip-hour.
    let price_df = price_ch * d.df;
    st.pv_lost_fail = ks_add(st.pv_lost_fail, min(down_node_h, inst_f * 24.0) * oc.cpn * price_df);
    st.pv_lost_out = ks_add(st.pv_lost_out, healthy_ch * d.outage_frac * price_df);
    st.pv_inst = ks_add(st.pv_inst, inst_f * oc.cpn * 24.0 * d.df);
    st.pv_sold = ks_add(st.pv_sold, avail_ch * sold * d.df);
    st.bucket_cf[d.bucket] += cf;
    st.bucket_m1[d.bucket] += cf * d.bucket_dt;
    st.year_capex[d.year] += capex_today;
    st.year_hw[d.year] += hw_today;
    st.opex = ks_add(st.opex, opex);
    st.energy_kwh = ks_add(st.energy_kwh, energy_kwh);
    st.revenue = ks_add(st.revenue, revenue);
    st.avail_hours = ks_add(st.avail_hours, avail_ch);
    st.installed_hours = ks_add(st.installed_hours, inst_f * oc.cpn * 24.0);
    st.delivered = ks_add(st.delivered, avail_ch * sold);
    st.year_cf[d.year] = ks_add(st.year_cf[d.year], cf);
    // The monthly series: at the month's end, its slot after the record (none when the model
    // asks for none).
    st.m_opex += opex;
    st.m_avail += avail_ch;
    if (d.month_end && models[pt].run.n_months > 0u) {
        let month = sla_month(t);
        let b = rec + N_OUT + month * N_MONTHLY;
        let days = t + 1u - sla_month_start(month);
        let fleet_ch = max(f32(oc.nodes) * oc.cpn * 24.0 * f32(days), 1.0);
        let failures = st.hard + st.soft;
        put(b + MON_CUM_DCF, st.npv.s);
        put(b + MON_REVENUE, month_net);
        put(b + MON_OPEX, st.m_opex);
        put(b + MON_AVAILABLE, st.m_avail / fleet_ch);
        put(b + MON_FAILURES, f32(failures - st.fail_mark));
        st.fail_mark = failures;
    }
    if (d.month_end) {
        st.m_opex = 0.0;
        st.m_avail = 0.0;
    }
    if (n_jobs > 0.0) {
        // The renewal model's per-interruption losses at today's interruption rate of a job
        // (see `job_losses` in fleet_step.rs).
        let lambda = day_total * oc.job_chips / (inst_f * oc.cpn) * (1.0 / 24.0);
        let job = renewal_losses(lambda, oc.job_tau_h, oc.job_ckpt_h, oc.job_restart_h);
        let job_ch = n_jobs * oc.job_chips * 24.0;
        st.job_den = ks_add(st.job_den, job_ch);
        st.pv_job = ks_add(st.pv_job, job_ch * d.df);
        if (interrupted > 0u) {
            let hit = f32(interrupted) * oc.job_chips;
            st.job_num = ks_add(st.job_num, job_ch * oc.job_g0 - hit * job.x);
            st.job_restart = ks_add(st.job_restart, hit * job.y);
        } else {
            st.job_num = ks_add(st.job_num, job_ch * oc.job_g0);
        }
        st.job_days = ks_add(st.job_days, n_jobs);
        st.interruptions += interrupted;
    }
}

// Stage `finish`: at the horizon, the residual value (discounted into NPV, added to the last
// year's cash flow and IRR bucket), depreciation from delivery, income tax by year, the
// levelized costs, and the option's N_OUT outputs at outs[rec..] (see `finish` in
// fleet_step.rs).
fn finish(pt: u32, env: EnvConsts, rec: u32) {
    let horizon = models[pt].run.horizon_days;
    let n_years = clamp(models[pt].run.n_years, 1u, MAX_YEARS);
    let hf = f32(horizon);
    let df_end = exp(-(env.lr_disc * hf));
    // The data centre at the horizon: book, by use, or nothing.
    let in_use = hf - f32(min(oc.energise, horizon));
    let dc_left = max(1.0 - in_use / oc.dc_life_days, 0.0);
    var dc_value = 0.0;
    if (oc.dc_residual == DC_RESIDUAL_BOOK) {
        dc_value = oc.dc_capex * dc_left;
    } else if (oc.dc_residual == DC_RESIDUAL_USE) {
        let a = env.lr_disc * oc.dc_life_days;
        let left = dc_left * oc.dc_life_days;
        let b = env.lr_disc * left;
        var ratio = dc_left * (1.0 - 0.5 * b) / (1.0 - 0.5 * a);
        if (a > 1e-3) {
            ratio = (1.0 - exp(-b)) / (1.0 - exp(-a));
        }
        dc_value = oc.dc_base * ratio;
    }
    let hw_residual = oc.residual_frac * st.hw_capex;
    let residual = hw_residual + dc_value;
    st.npv = ks_add(st.npv, residual * df_end);
    st.pv_cost = ks_add(st.pv_cost, -(residual * df_end));
    if (models[pt].run.n_months > 0u) {
        // The last month's running NPV takes the residual: it ends at npv_usd.
        put(rec + N_OUT + sla_month(horizon - 1u) * N_MONTHLY + MON_CUM_DCF, st.npv.s);
    }
    st.year_cf[n_years - 1u] = ks_add(st.year_cf[n_years - 1u], residual);
    let rbk = bucket_of(horizon, horizon);
    let rb = u32(rbk.x);
    st.bucket_cf[rb] += residual;
    st.bucket_m1[rb] += residual * rbk.y;
    let hw_dep_frac = clamp((hf - f32(min(oc.delay, horizon))) / oc.life_days, 0.0, 1.0);
    let dep = st.hw_capex * hw_dep_frac + oc.dc_capex * (1.0 - dc_left);
    let capex = oc.dc_capex + st.hw_capex;
    let opex_total = st.opex.s;
    let deliv = st.delivered.s;
    let pflop = deliv * oc.pflop_per_chip_hour;
    let cost = capex + opex_total - residual;
    var cfy: array<f32, MAX_YEARS>;
    for (var y = 0u; y < n_years; y++) {
        cfy[y] = st.year_cf[y].s;
    }
    let bdays = bucket_days(horizon);
    put(rec + OUT_NPV_USD, st.npv.s);
    put(rec + OUT_PAYBACK_DAYS, f32(select(0u, st.payback, st.went_negative != 0u)));
    put(rec + OUT_DISCOUNTED_PAYBACK_DAYS, f32(select(0u, st.dpayback, st.dwent_negative != 0u)));
    let ir = irr_dated(bdays);
    put_if(rec + OUT_IRR, ir.x, ir.y > 0.5);

    // ---- income tax, year by year (see `finish` in fleet_step.rs) ----
    let life_y = oc.life_days * (1.0 / 365.0);
    let dc_life_y = oc.dc_life_days * (1.0 / 365.0);
    let dc_year = min(oc.energise / 365u, n_years - 1u);
    var tax_total = 0.0;
    var tax_pv = 0.0;
    var hw_basis = 0.0;
    var dc_basis = 0.0;
    for (var y = 0u; y < n_years; y++) {
        var dep_y = env.bonus * st.year_hw[y];
        var hw_left = 0.0;
        for (var j = 0u; j <= y; j++) {
            let rest = (1.0 - env.bonus) * st.year_hw[j];
            let k = y - j;
            var before = 0.0;
            if (k > 0u) {
                before = sl_done(k - 1u, life_y);
            }
            dep_y += rest * (sl_done(k, life_y) - before);
            hw_left += rest * (1.0 - sl_done(k, life_y));
        }
        if (y >= dc_year) {
            let k = y - dc_year;
            var before = 0.0;
            if (k > 0u) {
                before = sl_done(k - 1u, dc_life_y);
            }
            dep_y += oc.dc_capex * (sl_done(k, dc_life_y) - before);
            dc_basis = oc.dc_capex * (1.0 - sl_done(k, dc_life_y));
        }
        hw_basis = hw_left;
        var op_y = st.year_cf[y].s + st.year_capex[y];
        if (y == n_years - 1u) {
            op_y -= residual;
        }
        let tax_y = env.tax_rate * (op_y - dep_y);
        var t_y = horizon - 1u;
        if (y + 1u != n_years) {
            t_y = min(365u * (y + 1u), horizon) - 1u;
        }
        let bk = bucket_of(t_y, horizon);
        let b = u32(bk.x);
        tax_total += tax_y;
        tax_pv += tax_y * exp(-(env.lr_disc * f32(t_y)));
        st.bucket_cf[b] -= tax_y;
        st.bucket_m1[b] -= tax_y * bk.y;
    }
    let tax_gain = env.tax_rate * (residual - hw_basis - dc_basis);
    tax_total += tax_gain;
    tax_pv += tax_gain * df_end;
    st.bucket_cf[rb] -= tax_gain;
    st.bucket_m1[rb] -= tax_gain * rbk.y;
    put(rec + OUT_NPV_AFTER_TAX_USD, st.npv.s - tax_pv);
    let ira = irr_dated(bdays);
    put_if(rec + OUT_IRR_AFTER_TAX, ira.x, ira.y > 0.5);
    put(rec + OUT_TAX_USD, tax_total);

    put(rec + OUT_CAPEX_USD, capex);
    put(rec + OUT_OPEX_USD, opex_total);
    put(rec + OUT_ENERGY_MWH, st.energy_kwh.s * 0.001);
    put(rec + OUT_REVENUE_USD, st.revenue.s);
    put(rec + OUT_OPERATING_INCOME_USD, st.revenue.s - opex_total - dep);
    let inst_h = st.installed_hours.s;
    put(rec + OUT_AVAILABILITY, select(0.0, st.avail_hours.s / inst_h, inst_h > 0.0));
    let jd = st.job_den.s;
    // Planned stops cost the same restart every job-day (see `finish` in fleet_step.rs).
    let planned_ch = st.job_days.s * oc.job_chips * oc.job_planned_h;
    let goodput = clamp((st.job_num.s - planned_ch * oc.job_g0) / jd, 0.0, 1.0);
    put_if(rec + OUT_GOODPUT, goodput, jd > 0.0);
    put_if(rec + OUT_JOB_UPTIME, clamp(1.0 - (st.job_restart.s + planned_ch) / jd, 0.0, 1.0),
        jd > 0.0);
    put(rec + OUT_HARD_FAILURES, f32(st.hard));
    put(rec + OUT_SOFT_FAILURES, f32(st.soft));
    let jdays = st.job_days.s;
    put_if(rec + OUT_INTERRUPTIONS_PER_JOB_DAY, f32(st.interruptions) / jdays, jdays > 0.0);
    put(rec + OUT_CHIP_HOURS_DELIVERED, deliv);
    put(rec + OUT_EFFECTIVE_PFLOP_HOURS, pflop);
    put_if(rec + OUT_USD_PER_CHIP_HOUR, cost / deliv, deliv > 0.0);
    put_if(rec + OUT_USD_PER_EFFECTIVE_PFLOP_HOUR, cost / pflop, pflop > 0.0);
    // Levelized: present value of costs over present value of hours (pre-tax).
    let pv_cost = st.pv_cost.s;
    let pv_inst = st.pv_inst.s;
    let pv_sold = st.pv_sold.s;
    var lost_job = 0.0;
    if (jd > 0.0) {
        lost_job = st.pv_job.s * (1.0 - goodput);
    }
    let pv_eff = max(pv_sold - lost_job, 0.0) * oc.pflop_per_chip_hour;
    let pv_tbps = pv_sold * oc.hbm;
    put_if(rec + OUT_LEVELIZED_USD_PER_INSTALLED_CHIP_HOUR, pv_cost / pv_inst, pv_inst > 0.0);
    put_if(rec + OUT_LEVELIZED_USD_PER_SOLD_CHIP_HOUR, pv_cost / pv_sold, pv_sold > 0.0);
    put_if(rec + OUT_LEVELIZED_USD_PER_EFFECTIVE_PFLOP_HOUR, pv_cost / pv_eff, pv_eff > 0.0);
    put_if(rec + OUT_LEVELIZED_USD_PER_TBPS_HOUR, pv_cost / pv_tbps, pv_tbps > 0.0);
    // The NPV decomposition (signed as in `outputs::NPV_COMPONENTS`).
    var energy_pv = st.pv_energy_rent.s;
    var rent_pv = 0.0;
    if (oc.rent) {
        energy_pv = 0.0;
        rent_pv = st.pv_energy_rent.s;
    }
    put(rec + OUT_PV_REVENUE_USD, st.pv_revenue.s);
    put(rec + OUT_PV_SLA_CREDITS_USD, st.pv_credits.s);
    put(rec + OUT_PV_CAPEX_USD, st.pv_capex.s);
    put(rec + OUT_PV_ENERGY_USD, energy_pv);
    put(rec + OUT_PV_RENT_USD, rent_pv);
    put(rec + OUT_PV_MAINTENANCE_AND_PARTS_USD, st.pv_maint.s);
    put(rec + OUT_PV_OPERATIONS_USD, st.pv_ops.s);
    put(rec + OUT_PV_FACILITY_USD, st.pv_facility.s);
    put(rec + OUT_PV_RESIDUAL_VALUE_USD, residual * df_end);
    put(rec + OUT_PV_LOST_REVENUE_FAILURES_USD, st.pv_lost_fail.s);
    put(rec + OUT_PV_LOST_REVENUE_OUTAGES_USD, st.pv_lost_out.s);
    for (var y = 0u; y < MAX_YEARS; y++) {
        put(rec + OUT_CASH_FLOW_Y1 + y, cfy[y]);
    }
    for (var k = 0u; k < MAX_CLASSES; k++) {
        // Nodes still waiting at the horizon waited until its end.
        if (st.backorders[k] > 0u) {
            st.class_lost[k] = ks_add(st.class_lost[k], f32(st.backorders[k]) * (hf * 24.0));
        }
        put(rec + OUT_CLASS_FAILURES + k, f32(st.class_failures[k]));
        put(rec + OUT_CLASS_LOST_NODE_HOURS + k, st.class_lost[k].s);
    }
}

// Loads invocation inv's carried state from `state`. Member by member, the arrays in loops: a
// whole-struct copy is unrolled into about 900 scalar copies by the compiler, which made
// llvmpipe take about 5x longer to compile the kernel.
fn load_carried(inv: u32) {
    env_state = state[inv].env;
    for (var i = 0u; i < RING_DAYS; i++) {
        st.ring_units[i] = state[inv].option.ring_units[i];
        st.ring_hours[i] = state[inv].option.ring_hours[i];
    }
    for (var u = 0u; u < MAX_UNITS; u++) {
        for (var i = 0u; i < RING_DAYS; i++) {
            st.ring_parts[u][i] = state[inv].option.ring_parts[u][i];
        }
        st.spares[u] = state[inv].option.spares[u];
    }
    for (var y = 0u; y < MAX_YEARS; y++) {
        st.year_cf[y] = state[inv].option.year_cf[y];
    }
    for (var k = 0u; k < MAX_CLASSES; k++) {
        st.backorders[k] = state[inv].option.backorders[k];
        st.class_failures[k] = state[inv].option.class_failures[k];
        st.class_lost[k] = state[inv].option.class_lost[k];
    }
    st.installed = state[inv].option.installed;
    st.down = state[inv].option.down;
    st.waiting = state[inv].option.waiting;
    st.interruptions = state[inv].option.interruptions;
    st.hard = state[inv].option.hard;
    st.soft = state[inv].option.soft;
    st.payback = state[inv].option.payback;
    st.went_negative = state[inv].option.went_negative;
    st.demand_x = state[inv].option.demand_x;
    st.hw_capex = state[inv].option.hw_capex;
    st.npv = state[inv].option.npv;
    st.cum_cf = state[inv].option.cum_cf;
    st.opex = state[inv].option.opex;
    st.energy_kwh = state[inv].option.energy_kwh;
    st.revenue = state[inv].option.revenue;
    st.avail_hours = state[inv].option.avail_hours;
    st.installed_hours = state[inv].option.installed_hours;
    st.delivered = state[inv].option.delivered;
    st.job_num = state[inv].option.job_num;
    st.job_den = state[inv].option.job_den;
    st.job_days = state[inv].option.job_days;
    st.job_restart = state[inv].option.job_restart;
    st.month_rev = state[inv].option.month_rev;
    for (var b = 0u; b < MAX_BUCKETS; b++) {
        st.bucket_cf[b] = state[inv].option.bucket_cf[b];
        st.bucket_m1[b] = state[inv].option.bucket_m1[b];
    }
    for (var y = 0u; y < MAX_YEARS; y++) {
        st.year_capex[y] = state[inv].option.year_capex[y];
        st.year_hw[y] = state[inv].option.year_hw[y];
    }
    st.res_mult = state[inv].option.res_mult;
    st.next_term = state[inv].option.next_term;
    st.prepay_day = state[inv].option.prepay_day;
    st.rent_mult = state[inv].option.rent_mult;
    st.next_rent = state[inv].option.next_rent;
    st.pv_cost = state[inv].option.pv_cost;
    st.pv_inst = state[inv].option.pv_inst;
    st.pv_sold = state[inv].option.pv_sold;
    st.pv_job = state[inv].option.pv_job;
    st.dpayback = state[inv].option.dpayback;
    st.dwent_negative = state[inv].option.dwent_negative;
    st.pv_revenue = state[inv].option.pv_revenue;
    st.pv_credits = state[inv].option.pv_credits;
    st.pv_capex = state[inv].option.pv_capex;
    st.pv_energy_rent = state[inv].option.pv_energy_rent;
    st.pv_maint = state[inv].option.pv_maint;
    st.pv_ops = state[inv].option.pv_ops;
    st.pv_facility = state[inv].option.pv_facility;
    st.pv_lost_fail = state[inv].option.pv_lost_fail;
    st.pv_lost_out = state[inv].option.pv_lost_out;
    st.m_opex = state[inv].option.m_opex;
    st.m_avail = state[inv].option.m_avail;
    st.fail_mark = state[inv].option.fail_mark;
}

// Stores invocation inv's carried state into `state` (the inverse of `load_carried`).
fn store_carried(inv: u32) {
    state[inv].env = env_state;
    for (var i = 0u; i < RING_DAYS; i++) {
        state[inv].option.ring_units[i] = st.ring_units[i];
        state[inv].option.ring_hours[i] = st.ring_hours[i];
    }
    for (var u = 0u; u < MAX_UNITS; u++) {
        for (var i = 0u; i < RING_DAYS; i++) {
            state[inv].option.ring_parts[u][i] = st.ring_parts[u][i];
        }
        state[inv].option.spares[u] = st.spares[u];
    }
    for (var y = 0u; y < MAX_YEARS; y++) {
        state[inv].option.year_cf[y] = st.year_cf[y];
    }
    for (var k = 0u; k < MAX_CLASSES; k++) {
        state[inv].option.backorders[k] = st.backorders[k];
        state[inv].option.class_failures[k] = st.class_failures[k];
        state[inv].option.class_lost[k] = st.class_lost[k];
    }
    state[inv].option.installed = st.installed;
    state[inv].option.down = st.down;
    state[inv].option.waiting = st.waiting;
    state[inv].option.interruptions = st.interruptions;
    state[inv].option.hard = st.hard;
    state[inv].option.soft = st.soft;
    state[inv].option.payback = st.payback;
    state[inv].option.went_negative = st.went_negative;
    state[inv].option.demand_x = st.demand_x;
    state[inv].option.hw_capex = st.hw_capex;
    state[inv].option.npv = st.npv;
    state[inv].option.cum_cf = st.cum_cf;
    state[inv].option.opex = st.opex;
    state[inv].option.energy_kwh = st.energy_kwh;
    state[inv].option.revenue = st.revenue;
    state[inv].option.avail_hours = st.avail_hours;
    state[inv].option.installed_hours = st.installed_hours;
    state[inv].option.delivered = st.delivered;
    state[inv].option.job_num = st.job_num;
    state[inv].option.job_den = st.job_den;
    state[inv].option.job_days = st.job_days;
    state[inv].option.job_restart = st.job_restart;
    state[inv].option.month_rev = st.month_rev;
    for (var b = 0u; b < MAX_BUCKETS; b++) {
        state[inv].option.bucket_cf[b] = st.bucket_cf[b];
        state[inv].option.bucket_m1[b] = st.bucket_m1[b];
    }
    for (var y = 0u; y < MAX_YEARS; y++) {
        state[inv].option.year_capex[y] = st.year_capex[y];
        state[inv].option.year_hw[y] = st.year_hw[y];
    }
    state[inv].option.res_mult = st.res_mult;
    state[inv].option.next_term = st.next_term;
    state[inv].option.prepay_day = st.prepay_day;
    state[inv].option.rent_mult = st.rent_mult;
    state[inv].option.next_rent = st.next_rent;
    state[inv].option.pv_cost = st.pv_cost;
    state[inv].option.pv_inst = st.pv_inst;
    state[inv].option.pv_sold = st.pv_sold;
    state[inv].option.pv_job = st.pv_job;
    state[inv].option.dpayback = st.dpayback;
    state[inv].option.dwent_negative = st.dwent_negative;
    state[inv].option.pv_revenue = st.pv_revenue;
    state[inv].option.pv_credits = st.pv_credits;
    state[inv].option.pv_capex = st.pv_capex;
    state[inv].option.pv_energy_rent = st.pv_energy_rent;
    state[inv].option.pv_maint = st.pv_maint;
    state[inv].option.pv_ops = st.pv_ops;
    state[inv].option.pv_facility = st.pv_facility;
    state[inv].option.pv_lost_fail = st.pv_lost_fail;
    state[inv].option.pv_lost_out = st.pv_lost_out;
    state[inv].option.m_opex = st.m_opex;
    state[inv].option.m_avail = st.m_avail;
    state[inv].option.fail_mark = st.fail_mark;
}

// Simulates days [t0, t1) of option `o` of path `path` of model `models[pt]` (its seed key,
// inputs and sizes; its tables start at `table_base`, set by the kernel): the stages in the
// order `simulate_path` runs them. The state is fresh at t0 = 0, else loaded from state[inv];
// it is stored there again when t1 < horizon, and at the horizon the N_OUT outputs are written
// at outs[rec..]. Splitting the horizon into windows gives the same numbers as one pass (the
// day loop is the same, the inputs and constants are recomputed from the same draws; the
// binomial cache is only a speed-up, so it starts empty in every window).
fn simulate_option(pt: u32, path: u32, o: u32, rec: u32, inv: u32, t0: u32, t1: u32) {
    let horizon = models[pt].run.horizon_days;
    let inputs = sample_inputs(pt, path, o);
    let env = env_consts(inputs.e);
    option_consts(pt, o, inputs.x, env);
    if (t0 == 0u) {
        option_state_init(horizon);
    } else {
        load_carried(inv);
    }
    var job_binom = binomial_cache_new();
    for (var t = t0; t < t1; t++) {
        let d = env_day(pt, env, path, t);
        day_step(pt, o, &job_binom, env, d, path, t, rec);
    }
    if (t1 < horizon) {
        store_carried(inv);
        return;
    }
    finish(pt, env, rec);
}
