// One path of one option: sample the inputs at day 0, step the fleet through the horizon day
// by day, write the option's output record. Rust twin: src/model/fleet_step.rs (`simulate_path`),
// same operation order and the same draws; the environment part of each day (demand shock,
// outages) is recomputed by every option's invocation from the shared stream 0, exactly as the
// CPU computes it once for all options. Needs `models` (an array of `Model`, one per point of
// the dispatch), `table`, `outs` and `state` bound by the kernel.

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

// Layout of one invocation's carried-over state in `state` (u32 words; floats as bits).
const S_RING_UNITS: u32 = 0u;
const S_RING_PARTS: u32 = RING_DAYS;
const S_RING_HOURS: u32 = 2u * RING_DAYS;
const S_YEAR_S: u32 = 3u * RING_DAYS;
const S_YEAR_C: u32 = S_YEAR_S + MAX_YEARS;
const S_DOWN: u32 = S_YEAR_C + MAX_YEARS;
const S_INSTALLED: u32 = S_DOWN + 1u;
const S_SPARES: u32 = S_DOWN + 2u;
const S_BACKORDERS: u32 = S_DOWN + 3u;
const S_INTERRUPTIONS: u32 = S_DOWN + 4u;
const S_HARD: u32 = S_DOWN + 5u;
const S_SOFT: u32 = S_DOWN + 6u;
const S_PAYBACK: u32 = S_DOWN + 7u;
const S_WENT_NEGATIVE: u32 = S_DOWN + 8u;
const S_DEMAND_X: u32 = S_DOWN + 9u;
const S_HW_CAPEX: u32 = S_DOWN + 10u;
const S_OUTAGE_LEFT: u32 = S_DOWN + 11u;
const S_NPV: u32 = S_DOWN + 12u;
const S_CUM_CF: u32 = S_NPV + 2u;
const S_OPEX: u32 = S_NPV + 4u;
const S_ENERGY: u32 = S_NPV + 6u;
const S_REVENUE: u32 = S_NPV + 8u;
const S_AVAIL_HOURS: u32 = S_NPV + 10u;
const S_INSTALLED_HOURS: u32 = S_NPV + 12u;
const S_DELIVERED: u32 = S_NPV + 14u;
const S_JOB_NUM: u32 = S_NPV + 16u;
const S_JOB_DEN: u32 = S_NPV + 18u;
const S_JOB_DAYS: u32 = S_NPV + 20u;
const S_END: u32 = S_NPV + 22u;
const_assert S_END <= STATE_WORDS;

fn ks_load(i: u32) -> KSum {
    return KSum(bitcast<f32>(state[i]), bitcast<f32>(state[i + 1u]));
}

fn ks_store(i: u32, k: KSum) {
    state[i] = bitcast<u32>(k.s);
    state[i + 1u] = bitcast<u32>(k.c);
}

// Per-invocation fleet state that is indexed by day: the rings of returns from repair and RMA.
var<private> ring_units: array<u32, RING_DAYS>;
var<private> ring_parts: array<u32, RING_DAYS>;
var<private> ring_hours: array<f32, RING_DAYS>;
var<private> fleet_down: u32;
// Failure-class constants of the option being simulated.
var<private> class_rate: array<f32, MAX_CLASSES>;
var<private> class_infant_extra: array<f32, MAX_CLASSES>;
var<private> class_infant_days: array<u32, MAX_CLASSES>;

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

// Puts a node down for `hours`; returns true when the repair is shorter than a day and its
// hours are to be charged to today instead.
fn schedule_down(t: u32, hours: f32) -> bool {
    let full0 = to_u32_sat(hours * (1.0 / 24.0));
    if (full0 == 0u) {
        return true;
    }
    let full = min(full0, RING_DAYS - 1u);
    let rem = clamp(hours - f32(full) * 24.0, 0.0, 24.0);
    let slot = (t + full) % RING_DAYS;
    fleet_down += 1u;
    ring_units[slot] += 1u;
    ring_hours[slot] += rem;
    return false;
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
fn input_uniform_direct(key: vec2<u32>, path: u32, g: u32) -> f32 {
    var stream = STREAM_ENV;
    var i = g;
    if (g >= ENV_IN_COUNT) {
        let k = g - ENV_IN_COUNT;
        stream = 1u + k / OPT_IN_COUNT;
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

// NPV of yearly cash flows at rate r (Horner from the last year).
fn npv_at(cfy: array<f32, MAX_YEARS>, n: u32, r: f32) -> f32 {
    let d = 1.0 / (1.0 + r);
    var v = 0.0;
    for (var y = i32(n) - 1; y >= 0; y--) {
        v = v * d + cfy[y];
    }
    return v;
}

// Yearly IRR by bisection on [-0.99, 10]; .y = 0 when undefined (see `irr` in fleet_step.rs).
fn irr(cfy: array<f32, MAX_YEARS>, n: u32) -> vec2<f32> {
    var has_pos = false;
    var has_neg = false;
    for (var y = 0u; y < n; y++) {
        has_pos = has_pos || cfy[y] > 0.0;
        has_neg = has_neg || cfy[y] < 0.0;
    }
    if (!(has_pos && has_neg)) {
        return vec2<f32>(0.0, 0.0);
    }
    var lo = -0.99;
    var hi = 10.0;
    let flo = npv_at(cfy, n, lo);
    let fhi = npv_at(cfy, n, hi);
    if ((flo > 0.0) == (fhi > 0.0)) {
        return vec2<f32>(0.0, 0.0);
    }
    for (var it = 0u; it < 60u; it++) {
        let mid = 0.5 * (lo + hi);
        let fm = npv_at(cfy, n, mid);
        if ((fm > 0.0) == (flo > 0.0)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return vec2<f32>(0.5 * (lo + hi), 1.0);
}

// Today's failure weight of each class (`w` in fleet_step.rs), their running sum (`cum`) and total.
var<private> w: array<f32, MAX_CLASSES>;
var<private> cum: array<f32, MAX_CLASSES>;
var<private> class_total: f32;

// Adds class k's weight: rate x infant multiplier x nodes up, summed in class order.
fn add_class_weight(k: u32, t: u32, ti: i32, inst: u32, inst_f: f32, up_f: f32, nodes: u32, delay: u32, ramp: u32) {
    var mult = 1.0;
    if (class_infant_days[k] > 0u && class_infant_extra[k] != 0.0
        && t < delay + ramp + class_infant_days[k]) {
        let young = inst - arrived(nodes, delay, ramp, ti - i32(class_infant_days[k]));
        mult += class_infant_extra[k] * f32(young) / inst_f;
    }
    w[k] = class_rate[k] * mult * up_f;
    class_total += w[k];
    cum[k] = class_total;
}

// Simulates days [t0, t1) of option `o` of path `path` of model `models[pt]` (its seed key,
// inputs and sizes; its tables start at `table_base`, set by the kernel). The fleet state is fresh at t0 = 0,
// else loaded from state[inv * STATE_WORDS ..]; it is stored there again when t1 < horizon,
// and at the horizon the N_OUT outputs are written at outs[rec..]. Splitting the horizon into
// windows gives the same numbers as one pass (the day loop is the same, the inputs and
// constants are recomputed from the same draws).
fn simulate_option(pt: u32, path: u32, o: u32, rec: u32, inv: u32, t0: u32, t1: u32) {
    let key = vec2<u32>(models[pt].run.seed_lo, models[pt].run.seed_hi);
    let horizon = models[pt].run.horizon_days;
    let n_years = clamp(models[pt].run.n_years, 1u, MAX_YEARS);

    // ---- sampled inputs: environment and this option (copula over any tied inputs) ----
    var ue: array<f32, ENV_IN_COUNT>;
    var uo: array<f32, OPT_IN_COUNT>;
    var s0 = ds_new(key, path, DAY_INIT, STREAM_ENV);
    for (var i = 0u; i < ENV_IN_COUNT; i++) {
        ue[i] = ds_next_u01(&s0);
    }
    var s1 = ds_new(key, path, DAY_INIT, 1u + o);
    for (var i = 0u; i < OPT_IN_COUNT; i++) {
        uo[i] = ds_next_u01(&s1);
    }
    let nc = models[pt].run.n_corr;
    if (nc > 0u) {
        var z: array<f32, MAX_CORR>;
        for (var k = 0u; k < nc; k++) {
            z[k] = norm_inv_cdf(input_uniform_direct(key, path, models[pt].corr.idx[k]));
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
    var e: array<f32, ENV_IN_COUNT>;
    for (var i = 0u; i < ENV_IN_COUNT; i++) {
        e[i] = sample_dist(models[pt].env.inputs[i], ue[i]);
    }
    var x: array<f32, OPT_IN_COUNT>;
    for (var i = 0u; i < OPT_IN_COUNT; i++) {
        x[i] = sample_dist(models[pt].options[o].inputs[i], uo[i]);
    }

    // ---- environment constants ----
    let lr_disc = log(1.0 + e[ENV_DISCOUNT_RATE_PER_YEAR]) * (1.0 / 365.0);
    let lr_elec = log(1.0 + e[ENV_ELECTRICITY_ESCALATION_PER_YEAR]) * (1.0 / 365.0);
    let lr_price = log(1.0 - e[ENV_PRICE_DECLINE_PER_YEAR]) * (1.0 / 365.0);
    let kwh_price = e[ENV_USD_PER_KWH];
    let outage_per_day = min(e[ENV_OUTAGE_RATE_PER_YEAR] * (1.0 / 365.0), POISSON_INV_MAX_MEAN * 0.5);
    let outage_p0 = exp(-outage_per_day);
    let sla = e[ENV_SLA_CREDIT_FRACTION];
    let vol = e[ENV_DEMAND_VOLATILITY_PER_DAY];
    let kappa = e[ENV_DEMAND_REVERSION_PER_DAY];
    let demand_ramp = e[ENV_DEMAND_RAMP_DAYS];

    // ---- option constants (`opt_const` in fleet_step.rs) ----
    let nodes = models[pt].options[o].nodes;
    let spare_nodes = models[pt].options[o].spare_nodes;
    let n_classes = models[pt].options[o].n_classes;
    let hard_mask = models[pt].options[o].hard_mask;
    let cpn = f32(models[pt].options[o].chips_per_node);
    let colo = (models[pt].options[o].flags & FLAG_COLO) != 0u;
    let it_kw = (x[OPT_CHIP_W] + x[OPT_HOST_W_PER_CHIP]) * 0.001;
    let facility_mw = f32(nodes) * cpn * it_kw * 0.001;
    for (var c = 0u; c < MAX_CLASSES; c++) {
        class_rate[c] = 0.0;
        class_infant_extra[c] = 0.0;
        class_infant_days[c] = 0u;
    }
    for (var c = 0u; c < min(n_classes, MAX_CLASSES); c++) {
        let b = OPT_CLASS_BASE + OPT_PER_CLASS * c;
        class_rate[c] = x[b + OPT_CLASS_RATE];
        class_infant_extra[c] = x[b + OPT_CLASS_INFANT_MULT] - 1.0;
        class_infant_days[c] = round_days(x[b + OPT_CLASS_INFANT_DAYS], 100000u);
    }
    let tau = max(x[OPT_CHECKPOINT_INTERVAL_MINUTES], 1e-3);
    let u_mean = x[OPT_UTILIZATION_MEAN];
    let blast_nodes = f32(max(models[pt].options[o].blast_radius_chips, models[pt].options[o].chips_per_node)) / cpn;
    let delay = round_days(x[OPT_DELIVERY_DELAY_DAYS], 100000u);
    let ramp = round_days(x[OPT_RAMP_DAYS], 100000u);
    let burn_fail = 1.0 - x[OPT_BURN_IN_YIELD];
    let replacement = round_days(x[OPT_REPLACEMENT_DAYS], RING_DAYS - 1u);
    let swap_h = x[OPT_SWAP_HOURS];
    let capex_per_node = x[OPT_SERVER_CAPEX_PER_CHIP_USD] * cpn;
    let idle = x[OPT_IDLE_POWER_FRACTION];
    let pue = x[OPT_PUE];
    let dc_capex = select(facility_mw * x[OPT_DC_CAPEX_PER_MW_USD], 0.0, colo);
    let dc_life_days = x[OPT_DC_LIFE_YEARS] * 365.0;
    let colo_per_kw_day = select(0.0, x[OPT_COLO_USD_PER_KW_MONTH] * (12.0 / 365.0), colo);
    let maint_per_day = x[OPT_MAINTENANCE_FRACTION_PER_YEAR] * (1.0 / 365.0);
    let ops_per_mw_day = x[OPT_OPS_USD_PER_MW_YEAR] * (1.0 / 365.0);
    let warranty_day = x[OPT_WARRANTY_YEARS] * 365.0;
    let part_cost = x[OPT_PART_COST_USD];
    let residual_frac = x[OPT_RESIDUAL_FRACTION];
    let life_days = x[OPT_USEFUL_LIFE_YEARS] * 365.0;
    let p_od = x[OPT_ON_DEMAND_USD_PER_CHIP_HOUR];
    let p_res = x[OPT_RESERVED_USD_PER_CHIP_HOUR];
    let res_frac = x[OPT_RESERVED_FRACTION];
    let mu_logit = log(u_mean / (1.0 - u_mean));
    let pflop_per_chip_hour = x[OPT_PEAK_BF16_PFLOPS] * x[OPT_MFU];
    let job_chips_u = models[pt].options[o].job_chips;
    let job_frac = select(0.0, x[OPT_JOB_FRACTION], job_chips_u > 0u);
    let job_chips = f32(job_chips_u);
    let job_loss_hours = (x[OPT_RESTART_MINUTES] + 0.5 * tau) * (1.0 / 60.0);
    let job_ckpt_overhead = min(x[OPT_CHECKPOINT_COST_SECONDS] * (1.0 / 60.0) / tau, 1.0);

    // ---- state: fresh, or carried over from the previous window ----
    var installed = 0u;
    var spares = 0u;
    var backorders = 0u;
    var demand_x = mu_logit;
    var npv = KSum(0.0, 0.0);
    var cum_cf = KSum(0.0, 0.0);
    var hw_capex = 0.0;
    var opex_sum = KSum(0.0, 0.0);
    var energy_sum = KSum(0.0, 0.0);
    var revenue_sum = KSum(0.0, 0.0);
    var avail_hours = KSum(0.0, 0.0);
    var installed_hours = KSum(0.0, 0.0);
    var delivered = KSum(0.0, 0.0);
    var job_num = KSum(0.0, 0.0);
    var job_den = KSum(0.0, 0.0);
    var job_days = KSum(0.0, 0.0);
    var interruptions = 0u;
    var hard = 0u;
    var soft = 0u;
    var payback = horizon + 1u;
    var went_negative = false;
    // Yearly cash flows as compensated sums (sum and compensation in two arrays).
    var year_s: array<f32, MAX_YEARS>;
    var year_c: array<f32, MAX_YEARS>;
    // The binomial cache is only a speed-up (same result with or without), so it starts
    // empty in every window.
    var job_binom = binomial_cache_new();
    var outage_left = 0.0;
    let sb = inv * STATE_WORDS;
    if (t0 == 0u) {
        for (var i = 0u; i < RING_DAYS; i++) {
            ring_units[i] = 0u;
            ring_parts[i] = 0u;
            ring_hours[i] = 0.0;
        }
        fleet_down = 0u;
    } else {
        for (var i = 0u; i < RING_DAYS; i++) {
            ring_units[i] = state[sb + S_RING_UNITS + i];
            ring_parts[i] = state[sb + S_RING_PARTS + i];
            ring_hours[i] = bitcast<f32>(state[sb + S_RING_HOURS + i]);
        }
        for (var y = 0u; y < MAX_YEARS; y++) {
            year_s[y] = bitcast<f32>(state[sb + S_YEAR_S + y]);
            year_c[y] = bitcast<f32>(state[sb + S_YEAR_C + y]);
        }
        fleet_down = state[sb + S_DOWN];
        installed = state[sb + S_INSTALLED];
        spares = state[sb + S_SPARES];
        backorders = state[sb + S_BACKORDERS];
        interruptions = state[sb + S_INTERRUPTIONS];
        hard = state[sb + S_HARD];
        soft = state[sb + S_SOFT];
        payback = state[sb + S_PAYBACK];
        went_negative = state[sb + S_WENT_NEGATIVE] != 0u;
        demand_x = bitcast<f32>(state[sb + S_DEMAND_X]);
        hw_capex = bitcast<f32>(state[sb + S_HW_CAPEX]);
        outage_left = bitcast<f32>(state[sb + S_OUTAGE_LEFT]);
        npv = ks_load(sb + S_NPV);
        cum_cf = ks_load(sb + S_CUM_CF);
        opex_sum = ks_load(sb + S_OPEX);
        energy_sum = ks_load(sb + S_ENERGY);
        revenue_sum = ks_load(sb + S_REVENUE);
        avail_hours = ks_load(sb + S_AVAIL_HOURS);
        installed_hours = ks_load(sb + S_INSTALLED_HOURS);
        delivered = ks_load(sb + S_DELIVERED);
        job_num = ks_load(sb + S_JOB_NUM);
        job_den = ks_load(sb + S_JOB_DEN);
        job_days = ks_load(sb + S_JOB_DAYS);
    }

    for (var t = t0; t < t1; t++) {
        // ---- environment: demand shock, outages (stream 0, shared by all options) ----
        var es = ds_new(key, path, t, STREAM_ENV);
        let eps = norm_inv_cdf(ds_next_u01(&es));
        var n_out = 0u;
        if (outage_per_day > 0.0) {
            n_out = poisson_inversion(outage_per_day, outage_p0, &es);
        }
        for (var i = 0u; i < n_out; i++) {
            let u = ds_next_u01(&es);
            outage_left += sample_event(models[pt].env.outage_hours, u);
        }
        let out_h = min(outage_left, 24.0);
        outage_left -= out_h;
        let outage_frac = out_h * (1.0 / 24.0);
        let credit = select(1.0, 1.0 - sla, out_h > 0.0);
        let tf = f32(t);
        let df = exp(-(lr_disc * tf));
        let elec_mult = exp(lr_elec * tf);
        let price_mult = exp(lr_price * tf);
        let year = min(t / 365u, n_years - 1u);

        var os = ds_new(key, path, t, 1u + o);

        // ---- returns from repair and RMA scheduled for today ----
        let slot = t % RING_DAYS;
        var lost_h = ring_hours[slot];
        fleet_down -= min(ring_units[slot], fleet_down);
        let parts = ring_parts[slot];
        ring_units[slot] = 0u;
        ring_parts[slot] = 0u;
        ring_hours[slot] = 0.0;
        let fill = min(parts, backorders);
        backorders -= fill;
        fleet_down -= min(fill, fleet_down);
        lost_h += f32(fill) * min(swap_h, 24.0);
        spares += parts - fill;

        // ---- deliveries, spares and burn-in ----
        let ti = i32(t);
        let inst = arrived(nodes, delay, ramp, ti);
        let new_nodes = inst - installed;
        installed = inst;
        var capex_today = 0.0;
        if (t == 0u) {
            capex_today += dc_capex;
        }
        if (t == delay) {
            spares += spare_nodes;
            let spare_capex = f32(spare_nodes) * capex_per_node;
            capex_today += spare_capex;
            hw_capex += spare_capex;
        }
        if (new_nodes > 0u) {
            let hw = f32(new_nodes) * capex_per_node;
            capex_today += hw;
            hw_capex += hw;
            let bad = binomial(new_nodes, burn_fail, &os);
            if (bad > 0u && replacement > 0u) {
                let rslot = (t + replacement) % RING_DAYS;
                fleet_down += bad;
                ring_units[rslot] += bad;
            }
        }

        // ---- failures ----
        let inst_f = f32(inst);
        let up = select(0u, inst - fleet_down, inst > fleet_down);
        let up_f = f32(up);
        var n_jobs = 0.0;
        if (job_frac > 0.0 && inst > 0u) {
            n_jobs = f32(to_u32_sat(job_frac * inst_f * cpn / job_chips));
        }
        var q_job = 0.0;
        if (inst > 0u) {
            q_job = n_jobs * job_chips / (inst_f * cpn);
        }
        var interrupted = 0u;
        var parts_cost = 0.0;
        if (up > 0u) {
            // Unrolled over MAX_CLASSES (unused classes have rate 0 and add exactly 0): keeps
            // loop iterations per day low (llvmpipe stops loops after 65,535 iterations).
            class_total = 0.0;
            add_class_weight(0u, t, ti, inst, inst_f, up_f, nodes, delay, ramp);
            add_class_weight(1u, t, ti, inst, inst_f, up_f, nodes, delay, ramp);
            add_class_weight(2u, t, ti, inst, inst_f, up_f, nodes, delay, ramp);
            add_class_weight(3u, t, ti, inst, inst_f, up_f, nodes, delay, ramp);
            add_class_weight(4u, t, ti, inst, inst_f, up_f, nodes, delay, ramp);
            add_class_weight(5u, t, ti, inst, inst_f, up_f, nodes, delay, ramp);
            add_class_weight(6u, t, ti, inst, inst_f, up_f, nodes, delay, ramp);
            add_class_weight(7u, t, ti, inst, inst_f, up_f, nodes, delay, ramp);
            let total = class_total;
            let nf = poisson(total, &os);
            for (var f = 0u; f < nf; f++) {
                let pick = ds_next_u01(&os) * total;
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
                if ((hard_mask & (1u << k)) != 0u) {
                    hard += 1u;
                    let rma = sample_event(models[pt].options[o].events[EV_RMA_DAYS], ds_next_u01(&os));
                    let rd = max(round_days(rma, RING_DAYS - 1u), 1u);
                    ring_parts[(t + rd) % RING_DAYS] += 1u;
                    if (spares > 0u) {
                        spares -= 1u;
                        let h = repair_h + swap_h;
                        if (schedule_down(t, h)) {
                            lost_h += h;
                        }
                    } else {
                        backorders += 1u;
                        fleet_down += 1u;
                    }
                    if (tf >= warranty_day) {
                        parts_cost += part_cost;
                    }
                } else {
                    soft += 1u;
                    if (schedule_down(t, repair_h)) {
                        lost_h += repair_h;
                    }
                }
            }
            if (nf > 0u && q_job > 0.0) {
                interrupted = binomial_cached(nf, q_job, &job_binom, &os);
            }
        }

        // ---- demand and revenue ----
        demand_x += kappa * (mu_logit - demand_x) + vol * eps;
        var ramp_frac = 1.0;
        if (t < delay) {
            ramp_frac = 0.0;
        } else if (demand_ramp > 0.0) {
            ramp_frac = min(f32(t - delay + 1u) / demand_ramp, 1.0);
        }
        let util = ramp_frac / (1.0 + exp(-demand_x));
        let down_all = min(fleet_down, inst);
        let waiting = min(backorders, down_all);
        let down_node_h = (f32(down_all - waiting) * 24.0 + lost_h) * blast_nodes
            + f32(waiting) * 24.0;
        let healthy_ch = max(inst_f * 24.0 - down_node_h, 0.0) * cpn;
        let avail_ch = healthy_ch * (1.0 - outage_frac);
        let sold = res_frac + (1.0 - res_frac) * util;
        let revenue = avail_ch
            * (res_frac * p_res + (1.0 - res_frac) * p_od * price_mult * util)
            * credit;

        // ---- costs ----
        let energy_kwh = avail_ch * it_kw * (idle + (1.0 - idle) * sold) * pue;
        let it_mw = inst_f * cpn * it_kw * 0.001;
        let opex = energy_kwh * kwh_price * elec_mult
            + maint_per_day * hw_capex
            + ops_per_mw_day * it_mw
            + colo_per_kw_day * it_mw * 1000.0
            + parts_cost;
        let cf = revenue - opex - capex_today;

        npv = ks_add(npv, cf * df);
        cum_cf = ks_add(cum_cf, cf);
        if (cum_cf.s < 0.0) {
            went_negative = true;
        } else if (went_negative && payback > horizon) {
            payback = t;
        }
        opex_sum = ks_add(opex_sum, opex);
        energy_sum = ks_add(energy_sum, energy_kwh);
        revenue_sum = ks_add(revenue_sum, revenue);
        avail_hours = ks_add(avail_hours, avail_ch);
        installed_hours = ks_add(installed_hours, inst_f * cpn * 24.0);
        delivered = ks_add(delivered, avail_ch * sold);
        let ys = ks_add(KSum(year_s[year], year_c[year]), cf);
        year_s[year] = ys.s;
        year_c[year] = ys.c;
        if (n_jobs > 0.0) {
            let job_ch = n_jobs * job_chips * 24.0;
            job_den = ks_add(job_den, job_ch);
            job_num = ks_add(job_num, job_ch * (1.0 - job_ckpt_overhead)
                - f32(interrupted) * job_chips * job_loss_hours);
            job_days = ks_add(job_days, n_jobs);
            interruptions += interrupted;
        }
    }

    if (t1 < horizon) {
        for (var i = 0u; i < RING_DAYS; i++) {
            state[sb + S_RING_UNITS + i] = ring_units[i];
            state[sb + S_RING_PARTS + i] = ring_parts[i];
            state[sb + S_RING_HOURS + i] = bitcast<u32>(ring_hours[i]);
        }
        for (var y = 0u; y < MAX_YEARS; y++) {
            state[sb + S_YEAR_S + y] = bitcast<u32>(year_s[y]);
            state[sb + S_YEAR_C + y] = bitcast<u32>(year_c[y]);
        }
        state[sb + S_DOWN] = fleet_down;
        state[sb + S_INSTALLED] = installed;
        state[sb + S_SPARES] = spares;
        state[sb + S_BACKORDERS] = backorders;
        state[sb + S_INTERRUPTIONS] = interruptions;
        state[sb + S_HARD] = hard;
        state[sb + S_SOFT] = soft;
        state[sb + S_PAYBACK] = payback;
        state[sb + S_WENT_NEGATIVE] = select(0u, 1u, went_negative);
        state[sb + S_DEMAND_X] = bitcast<u32>(demand_x);
        state[sb + S_HW_CAPEX] = bitcast<u32>(hw_capex);
        state[sb + S_OUTAGE_LEFT] = bitcast<u32>(outage_left);
        ks_store(sb + S_NPV, npv);
        ks_store(sb + S_CUM_CF, cum_cf);
        ks_store(sb + S_OPEX, opex_sum);
        ks_store(sb + S_ENERGY, energy_sum);
        ks_store(sb + S_REVENUE, revenue_sum);
        ks_store(sb + S_AVAIL_HOURS, avail_hours);
        ks_store(sb + S_INSTALLED_HOURS, installed_hours);
        ks_store(sb + S_DELIVERED, delivered);
        ks_store(sb + S_JOB_NUM, job_num);
        ks_store(sb + S_JOB_DEN, job_den);
        ks_store(sb + S_JOB_DAYS, job_days);
        return;
    }

    // ---- end of horizon: residual value, depreciation, outputs ----
    let hf = f32(horizon);
    let df_end = exp(-(lr_disc * hf));
    let dc_left = max(1.0 - hf / dc_life_days, 0.0);
    let residual = residual_frac * hw_capex + dc_capex * dc_left;
    npv = ks_add(npv, residual * df_end);
    let last = ks_add(KSum(year_s[n_years - 1u], year_c[n_years - 1u]), residual);
    year_s[n_years - 1u] = last.s;
    let hw_dep_frac = clamp((hf - f32(min(delay, horizon))) / life_days, 0.0, 1.0);
    let dep = hw_capex * hw_dep_frac + dc_capex * (1.0 - dc_left);
    let capex = dc_capex + hw_capex;
    let opex_total = opex_sum.s;
    let deliv = delivered.s;
    let pflop = deliv * pflop_per_chip_hour;
    let cost = capex + opex_total - residual;
    var cfy: array<f32, MAX_YEARS>;
    for (var y = 0u; y < n_years; y++) {
        cfy[y] = year_s[y];
    }
    put(rec + OUT_NPV_USD, npv.s);
    put(rec + OUT_PAYBACK_DAYS, f32(select(0u, payback, went_negative)));
    let ir = irr(cfy, n_years);
    put_if(rec + OUT_IRR, ir.x, ir.y > 0.5);
    put(rec + OUT_CAPEX_USD, capex);
    put(rec + OUT_OPEX_USD, opex_total);
    put(rec + OUT_ENERGY_MWH, energy_sum.s * 0.001);
    put(rec + OUT_REVENUE_USD, revenue_sum.s);
    put(rec + OUT_OPERATING_INCOME_USD, revenue_sum.s - opex_total - dep);
    let inst_h = installed_hours.s;
    put(rec + OUT_AVAILABILITY, select(0.0, avail_hours.s / inst_h, inst_h > 0.0));
    let jd = job_den.s;
    put_if(rec + OUT_GOODPUT, clamp(job_num.s / jd, 0.0, 1.0), jd > 0.0);
    put(rec + OUT_HARD_FAILURES, f32(hard));
    put(rec + OUT_SOFT_FAILURES, f32(soft));
    let jdays = job_days.s;
    put_if(rec + OUT_INTERRUPTIONS_PER_JOB_DAY, f32(interruptions) / jdays, jdays > 0.0);
    put(rec + OUT_CHIP_HOURS_DELIVERED, deliv);
    put(rec + OUT_EFFECTIVE_PFLOP_HOURS, pflop);
    put_if(rec + OUT_USD_PER_CHIP_HOUR, cost / deliv, deliv > 0.0);
    put_if(rec + OUT_USD_PER_EFFECTIVE_PFLOP_HOUR, cost / pflop, pflop > 0.0);
    for (var y = 0u; y < MAX_YEARS; y++) {
        put(rec + OUT_CASH_FLOW_Y1 + y, cfy[y]);
    }
}
