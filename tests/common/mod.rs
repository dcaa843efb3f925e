//! Builders for hand-made flat models used by the closed-form tests: every input fixed unless a
//! test says otherwise, so expected values can be computed by hand; [`gpu`] opens the device
//! for the GPU tests (or skips them); [`cli`] runs the real binary; [`paired`] holds the
//! GPU-vs-CPU per-path tolerances; [`browser`] drives headless Chromium for the report pages.
#![allow(dead_code)]

pub mod browser;
pub mod cli;
pub mod gpu;
pub mod paired;
pub mod slurm;

use fleetsim::model::params::{
    CorrParams, DistSpec, EnvParams, FlatModel, MAX_CLASSES, MAX_CORR, MAX_SLA_TIERS, MAX_UNITS,
    OptionParams, RunParams, env_in, flags, kind, opt_ev, opt_in, sla,
};

/// A fixed-value spec with the field's clamp range left open.
pub fn fx(v: f64) -> DistSpec {
    DistSpec::fixed(v as f32)
}

/// A lognormal `DistSpec` by median and p90, clamped to `[lo, hi]`.
pub fn lognormal(median: f64, p90: f64, lo: f64, hi: f64) -> DistSpec {
    DistSpec {
        kind: fleetsim::model::params::kind::LOGNORMAL,
        aux: 0,
        p: [
            median.ln() as f32,
            ((p90 / median).ln() / 1.2815515655446004) as f32,
            0.0,
            0.0,
        ],
        lo: lo as f32,
        hi: hi as f32,
    }
}

/// A triangular `DistSpec` clamped to [0, 127].
pub fn triangular(lo: f32, mode: f32, hi: f32) -> DistSpec {
    DistSpec {
        kind: kind::TRIANGULAR,
        aux: 0,
        p: [lo, mode, hi, (mode - lo) / (hi - lo)],
        lo: 0.0,
        hi: 127.0,
    }
}

/// One option whose counted days take every way back of MODEL.md 6.4c (80,000 nodes of 8
/// chips, 1 year, starved stocks, so that served and waiting failures are split too): unit
/// type 1 carries three hard classes with three different RMA times, so its count is split
/// over the classes and their way backs drawn per group, by the conditional binomial chain
/// (about 320 and 160 a day) and one by one (about 16 a day); unit type 2 carries one hard
/// class (about 160 a day), drawn as counts by return day; and a soft class.
pub fn mixed_way_backs_model() -> FlatModel {
    let mut o = quiet_option(80_000, 8);
    let a = add_class(&mut o, 0.004, true, lognormal(4.0, 30.0, 0.0, 3048.0));
    let b = add_class(&mut o, 0.002, true, lognormal(2.0, 8.0, 0.0, 3048.0));
    let c = add_class(&mut o, 0.0002, true, lognormal(6.0, 20.0, 0.0, 3048.0));
    let d = add_class(&mut o, 0.002, true, lognormal(3.0, 12.0, 0.0, 3048.0));
    add_class(&mut o, 0.003, false, lognormal(0.5, 2.0, 0.0, 3048.0));
    set_rma_days(&mut o, triangular(5.0, 12.0, 30.0));
    o.events[opt_ev::RMA_BASE + b] = triangular(3.0, 8.0, 20.0);
    o.events[opt_ev::RMA_BASE + c] = triangular(10.0, 20.0, 40.0);
    o.spare_nodes = 0;
    o.n_units = 3;
    o.class_units = (1 << (2 * a)) | (1 << (2 * b)) | (1 << (2 * c)) | (2 << (2 * d));
    // A little below the mean pipelines (about 7,000 and 2,500 units).
    o.unit_stock[1] = 6_750;
    o.unit_stock[2] = 2_400;
    o.unit_swap_hours[1] = 2.0;
    o.unit_swap_hours[2] = 1.0;
    model(vec![o], 1, 23)
}

/// An option with `nodes` nodes of `cpn` chips, no failures, no costs, no revenue.
pub fn quiet_option(nodes: u32, cpn: u32) -> OptionParams {
    let mut inputs = [fx(0.0); opt_in::COUNT];
    inputs[opt_in::BURN_IN_YIELD] = fx(1.0);
    inputs[opt_in::PUE] = fx(1.0);
    inputs[opt_in::DC_LIFE_YEARS] = fx(20.0);
    inputs[opt_in::USEFUL_LIFE_YEARS] = fx(5.0);
    inputs[opt_in::UTILIZATION_MEAN] = fx(0.5);
    inputs[opt_in::CHECKPOINT_INTERVAL_MINUTES] = fx(60.0);
    // One reserved contract over any horizon (no renewals), as the built-in default.
    inputs[opt_in::RESERVED_TERM_YEARS] = fx(20.0);
    inputs[opt_in::RENT_TERM_YEARS] = fx(20.0);
    for c in 0..MAX_CLASSES {
        inputs[opt_in::CLASS_BASE + opt_in::PER_CLASS * c + opt_in::CLASS_INFANT_MULT] = fx(1.0);
    }
    OptionParams {
        nodes,
        chips_per_node: cpn,
        blast_radius_chips: cpn,
        spare_nodes: 0,
        n_classes: 0,
        hard_mask: 0,
        flags: 0,
        job_chips: 0,
        // 0: `model` gives each option its own stream (1 + its index).
        stream: 0,
        class_units: 0,
        rma_mask: 0,
        n_units: 1,
        next_gen_day: u32::MAX,
        dc_residual: 0,
        unit_auto: 0,
        // Set by `model` (`model::counted::attach`).
        back_leaders: 0,
        unit_stock: [0; MAX_UNITS],
        unit_swap_hours: [0.0; MAX_UNITS],
        unit_cost_usd: [0.0; MAX_UNITS],
        class_back_days: [0.0; MAX_CLASSES],
        ev_day: [0; opt_ev::COUNT],
        inputs,
        events: [fx(0.0); opt_ev::COUNT],
    }
}

/// Adds failure class `kind_hard` with `rate` per node-day and the given repair distribution.
pub fn add_class(o: &mut OptionParams, rate: f64, hard: bool, repair_hours: DistSpec) -> usize {
    let c = o.n_classes as usize;
    o.inputs[opt_in::CLASS_BASE + opt_in::PER_CLASS * c + opt_in::CLASS_RATE] = fx(rate);
    o.events[opt_ev::REPAIR_BASE + c] = repair_hours;
    if hard {
        o.hard_mask |= 1 << c;
        o.rma_mask |= 1 << c;
    }
    o.n_classes += 1;
    c
}

/// Sets the RMA round trip of every class's failed unit (and the node's lead time) to `d`.
pub fn set_rma_days(o: &mut OptionParams, d: DistSpec) {
    for c in 0..MAX_CLASSES {
        o.events[opt_ev::RMA_BASE + c] = d;
    }
    o.events[opt_ev::REPLENISH_BASE] = d;
}

/// A model with a quiet environment (no outages, zero discount rate, no demand noise); an
/// option with `stream == 0` gets its own stream (`1 +` its index).
pub fn model(mut options: Vec<OptionParams>, years: u32, seed: u64) -> FlatModel {
    for (i, o) in options.iter_mut().enumerate() {
        if o.stream == 0 {
            o.stream = 1 + i as u32;
        }
    }
    let mut env = [fx(0.0); env_in::COUNT];
    env[env_in::DEMAND_REVERSION_PER_DAY] = fx(0.0);
    let mut m = FlatModel {
        run: RunParams {
            seed_lo: seed as u32,
            seed_hi: (seed >> 32) as u32,
            n_options: options.len() as u32,
            horizon_days: 365 * years,
            n_years: years,
            n_corr: 0,
            table_len: 0,
            n_months: 0,
            counted_min_mean: fleetsim::model::counted::COUNTED_MIN_MEAN,
        },
        env: EnvParams {
            inputs: env,
            outage_hours: fx(0.0),
            sla_mode: 0,
            n_sla_tiers: 0,
            sla_uptime_below: [0.0; MAX_SLA_TIERS],
            sla_credit: [0.0; MAX_SLA_TIERS],
            price_basis: 0,
        },
        corr: CorrParams {
            idx: [0; MAX_CORR],
            chol: [0.0; MAX_CORR * MAX_CORR],
        },
        options,
        table: vec![],
    };
    fleetsim::model::counted::attach(&mut m);
    m
}

/// Runs `n` paths on the CPU engine in the given precision and returns the block.
pub fn run(
    m: &FlatModel,
    n: u32,
    precision: fleetsim::engine::Precision,
) -> fleetsim::engine::PathBlock {
    use fleetsim::engine::Engine;
    fleetsim::engine::cpu::CpuEngine::new(precision)
        .simulate(m, 0, n)
        .expect("simulate")
}

/// Values of metric `m` for option `o` over all paths of a block.
pub fn column(b: &fleetsim::engine::PathBlock, o: usize, m: usize) -> Vec<f64> {
    (0..b.n_paths as usize).map(|i| b.record(i, o)[m]).collect()
}

/// Asserts that the counts `v` (one per path) are Poisson with mean `lambda`: the sample mean
/// within 5 standard errors, and the sample variance within 5 of its standard errors
/// (`Var(s^2) ~ (mu4 - sigma^4) / n`, `mu4 = lambda (1 + 3 lambda)` for a Poisson).
pub fn assert_poisson_counts(v: &[f64], lambda: f64) {
    let (mean, se) = mean_se(v);
    assert!(
        (mean - lambda).abs() < 5.0 * se,
        "mean {mean} vs {lambda} (se {se})"
    );
    let sd_var = ((lambda + 2.0 * lambda * lambda) / v.len() as f64).sqrt();
    let s2 = var(v);
    assert!(
        (s2 - lambda).abs() < 5.0 * sd_var,
        "variance {s2} vs {lambda}"
    );
}

/// Sample mean and standard error of the mean.
pub fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Sample variance.
pub fn var(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

/// Pearson correlation of two equally long samples.
pub fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    let (mx, my) = (mean_se(xs).0, mean_se(ys).0);
    let cov: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let vx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let vy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

/// The output record of path 0, option 0, simulated in f64 (deterministic scenarios).
pub fn one_path(m: &FlatModel) -> Vec<f64> {
    run(m, 1, fleetsim::engine::Precision::F64)
        .record(0, 0)
        .to_vec()
}

/// 1,000 single-chip nodes renting everything reserved at 0.9876543 USD/h for 20 years: every day
/// earns exactly `d = f32(24000 x f32(0.9876543))` (one rounding, the same on both engines), so the
/// exact revenue is 7300 d. Used by tests/precision.rs (CPU) and tests/gpu_equivalence.rs (GPU).
pub fn reserved_only_20_years() -> (fleetsim::model::params::FlatModel, f64) {
    use fleetsim::model::params::opt_in;
    let mut o = quiet_option(1000, 1);
    o.inputs[opt_in::RESERVED_FRACTION] = fx(1.0);
    o.inputs[opt_in::RESERVED_USD_PER_CHIP_HOUR] = fx(0.987_654_3);
    let m = model(vec![o], 20, 3);
    let d = (24000.0f32 * 0.987_654_3f32) as f64;
    (m, 7300.0 * d)
}

/// A model whose per-failure draws need far more loop iterations per invocation than
/// llvmpipe's 65,535 (`LP_MAX_TGSI_LOOP_ITERATIONS`): 1,000 single-chip nodes, soft failures
/// at `rate` per node-day with no repair time (all nodes stay up), 5 years. At rate 0.3 that
/// is 300 failures a day, each its own loop iteration (one draw per failure, section 6.4):
/// 547,500 per path, about 8x the limit, whatever else the kernel loops over.
pub fn loop_heavy_model(seed: u64, rate: f64) -> FlatModel {
    let mut o = quiet_option(1000, 1);
    add_class(&mut o, rate, false, fx(0.0));
    model(vec![o], 5, seed)
}

/// An option with a delivery delay, a ramp, burn-in rejects, an infant uplift and a demand
/// ramp, on-demand only at a fixed sold fraction of 0.5.
pub fn in_service_option(in_service: bool) -> OptionParams {
    let mut o = quiet_option(50, 8);
    o.inputs[opt_in::DELIVERY_DELAY_DAYS] = fx(200.0);
    o.inputs[opt_in::RAMP_DAYS] = fx(100.0);
    o.inputs[opt_in::BURN_IN_YIELD] = fx(0.8);
    o.inputs[opt_in::REPLACEMENT_DAYS] = fx(30.0);
    o.inputs[opt_in::SERVER_CAPEX_PER_CHIP_USD] = fx(1000.0);
    o.inputs[opt_in::ON_DEMAND_USD_PER_CHIP_HOUR] = fx(2.0);
    o.inputs[opt_in::USEFUL_LIFE_YEARS] = fx(1.0);
    // Soft failures with no repair time (every node stays up), x10 for 100 days when young.
    let c = add_class(&mut o, 0.01, false, fx(0.0));
    let b = opt_in::CLASS_BASE + opt_in::PER_CLASS * c;
    o.inputs[b + opt_in::CLASS_INFANT_MULT] = fx(10.0);
    o.inputs[b + opt_in::CLASS_INFANT_DAYS] = fx(100.0);
    if in_service {
        o.flags |= flags::IN_SERVICE;
    }
    o
}

/// A quiet environment (as [`model`]) with the monthly SLA and `tiers` `(uptime_below, credit)`.
pub fn env_with_sla_tiers(tiers: &[(f32, f32)]) -> EnvParams {
    let mut e = model(vec![], 1, 0).env;
    e.sla_mode = sla::MONTHLY;
    e.n_sla_tiers = tiers.len() as u32;
    for (k, &(u, c)) in tiers.iter().enumerate() {
        e.sla_uptime_below[k] = u;
        e.sla_credit[k] = c;
    }
    e
}

/// Reserved-only rental of 100 chips at 1 USD/h, a 54-day horizon (SLA months of 31 days and
/// a partial 23-day one settled on the horizon's last day) and an outage of 1 h a day on
/// average (a month without one has probability below e^-23), with the daily SLA crediting
/// nothing, or the monthly SLA with `tiers`.
pub fn sla_model(monthly: Option<&[(f32, f32)]>, seed: u64) -> FlatModel {
    let mut o = quiet_option(100, 1);
    o.inputs[opt_in::RESERVED_FRACTION] = fx(1.0);
    o.inputs[opt_in::RESERVED_USD_PER_CHIP_HOUR] = fx(1.0);
    let mut m = model(vec![o], 1, seed);
    m.run.horizon_days = 54;
    m.env.inputs[env_in::OUTAGE_RATE_PER_YEAR] = fx(365.0);
    m.env.outage_hours = fx(1.0);
    if let Some(tiers) = monthly {
        m.env = EnvParams {
            inputs: m.env.inputs,
            outage_hours: m.env.outage_hours,
            ..env_with_sla_tiers(tiers)
        };
        // Ignored by the monthly SLA.
        m.env.inputs[env_in::SLA_CREDIT_FRACTION] = fx(0.5);
    }
    m
}

/// The default scenario's first option's (trn2's) sampled inputs as TOML lines, each fixed at
/// `value(name, median)`, or left out where that is `None`: the starting point of the
/// deterministic "twin fleets" scenarios of the sweep and break-even tests.
pub fn fixed_trn2_inputs(value: impl Fn(&str, f64) -> Option<f64>) -> String {
    let s = fleetsim::config::default_scenario();
    let mut fixed = String::new();
    for (name, d) in &s.options[0].inputs.0 {
        if let Some(v) = value(name, d.median()) {
            fixed.push_str(&format!("{name} = {v:?}\n"));
        }
    }
    fixed
}

/// Appends `[options.NAME]` of `hardware = "trn2"` with `lines`, and every catalog failure
/// class of trn2 disabled.
pub fn push_trn2_option(text: &mut String, name: &str, lines: &str) {
    let s = fleetsim::config::default_scenario();
    text.push_str(&format!("\n[options.{name}]\nhardware = \"trn2\"\n{lines}"));
    for c in &s.options[0].classes {
        text.push_str(&format!(
            "[options.{name}.failures.{}]\nenabled = false\n",
            c.name
        ));
    }
}

/// 64 Trainium2 nodes for a year, all delivered on day 0, catalog failure rates, every hard
/// failure taking a whole spare node (the catalog's part units are not used).
pub const SPARES_SCENARIO: &str = r#"
[scenario]
name = "spares test"
horizon_years = 1
seed = 11

[options.t]
hardware = "trn2"
accelerators = 1024
delivery_delay_days = 0
ramp_days = 0
[options.t.failures.gpu_hard]
unit = "node"
[options.t.failures.hbm]
unit = "node"
[options.t.failures.sdc]
unit = "node"
[options.t.failures.network]
unit = "node"
[options.t.failures.host]
unit = "node"
"#;
