// The flat parameter structs, field for field as in src/model/params.rs (its Rust twin); every
// field is a 4-byte scalar, so the WGSL layout equals the Rust one (asserted by a test that
// reads naga's layout). Array lengths come from the generated prelude.

// The index constants (KIND_*, ENV_*, OPT_*, EV_*, FLAG_*) are generated into the prelude
// by src/gpu/shaders.rs from the Rust constants, so they cannot drift.

struct DistSpec {
    kind: u32,
    aux: u32,
    p: array<f32, 4>,
    lo: f32,
    hi: f32,
}

struct RunParams {
    seed_lo: u32,
    seed_hi: u32,
    n_options: u32,
    horizon_days: u32,
    n_years: u32,
    n_corr: u32,
    table_len: u32,
    // Months of the monthly series written after each record, 0 = none.
    n_months: u32,
    // Days with at least this many expected failures of an option are drawn as counts.
    counted_min_mean: f32,
}

struct EnvParams {
    inputs: array<DistSpec, ENV_IN_COUNT>,
    outage_hours: DistSpec,
    sla_mode: u32,
    n_sla_tiers: u32,
    sla_uptime_below: array<f32, MAX_SLA_TIERS>,
    sla_credit: array<f32, MAX_SLA_TIERS>,
    price_basis: u32,
}

struct CorrParams {
    idx: array<u32, MAX_CORR>,
    chol: array<f32, CORR_CHOL_LEN>,
}

struct OptionParams {
    nodes: u32,
    chips_per_node: u32,
    blast_radius_chips: u32,
    spare_nodes: u32,
    n_classes: u32,
    hard_mask: u32,
    flags: u32,
    job_chips: u32,
    stream: u32,
    class_units: u32,
    rma_mask: u32,
    n_units: u32,
    next_gen_day: u32,
    dc_residual: u32,
    unit_auto: u32,
    back_leaders: u32,
    unit_stock: array<u32, MAX_UNITS>,
    unit_swap_hours: array<f32, MAX_UNITS>,
    unit_cost_usd: array<f32, MAX_UNITS>,
    class_back_days: array<f32, MAX_CLASSES>,
    ev_day: array<u32, OPT_EV_COUNT>,
    inputs: array<DistSpec, OPT_IN_COUNT>,
    events: array<DistSpec, OPT_EV_COUNT>,
}

// One model as uploaded: `FlatModel` without the table, options padded to MAX_OPTIONS, then
// where its tables start in the table buffer (the models of one dispatch lie back to back in
// the model buffer, their tables back to back in the table buffer; see `src/gpu/pack.rs`).
struct Model {
    run: RunParams,
    env: EnvParams,
    corr: CorrParams,
    options: array<OptionParams, MAX_OPTIONS>,
    table_base: u32,
}
