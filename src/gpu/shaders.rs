//! The WGSL sources, assembled at load time from the files in `shaders/` (no WGSL is repeated):
//! a generated prelude of the Rust constants the kernels share, then the shared pieces in
//! dependency order, then the kernel's own file. Tests validate every assembled kernel with naga.

use crate::model::job::{JOB_TABLES, RENEWAL_SERIES_MAX};
use crate::model::outputs::{N_MONTHLY, N_OUT, idx, mon};
use crate::model::params::{
    MAX_BUCKETS, MAX_CLASSES, MAX_CORR, MAX_OPTIONS, MAX_SLA_TIERS, MAX_UNITS, MAX_YEARS,
    MONTHS_PER_YEAR, RING_DAYS, basis, dc_residual, env_in, flags, kind, opt_ev, opt_in, sla,
};
use crate::model::sample::{
    AUTO_CF_2, AUTO_CF_3, AUTO_FILL_RATE, AUTO_STOCK_EXACT_MAX, BINOMIAL_INV_MAX_MEAN, INV_CAP,
    MAX_DISCRETE, POISSON_INV_MAX_MEAN, POISSON_MAX_MEAN, REJECT_CAP, SAMPLER_TABLES, U_HI, U_LO,
    Z_AUTO,
};

/// `shaders/shared/philox.wgsl`: Philox4x32-10 and the day stream (twin of `src/model/philox.rs`).
pub const PHILOX: &str = include_str!("../../shaders/shared/philox.wgsl");
/// `shaders/shared/mulhi_limbs.wgsl`: Philox's high product word from 16-bit limbs (core WGSL).
pub const MULHI_LIMBS: &str = include_str!("../../shaders/shared/mulhi_limbs.wgsl");
/// `shaders/shared/mulhi_u64.wgsl`: Philox's high product word from a native u64 multiply
/// (needs `SHADER_INT64`).
pub const MULHI_U64: &str = include_str!("../../shaders/shared/mulhi_u64.wgsl");
/// `shaders/shared/params.wgsl`: the flat parameter structs (twin of `src/model/params.rs`).
pub const PARAMS: &str = include_str!("../../shaders/shared/params.wgsl");
/// `shaders/shared/sample.wgsl`: the samplers (twin of `src/model/sample.rs`).
pub const SAMPLE: &str = include_str!("../../shaders/shared/sample.wgsl");
/// `shaders/shared/fleet_step.wgsl`: one path's daily step (twin of `src/model/fleet_step.rs`).
pub const FLEET_STEP: &str = include_str!("../../shaders/shared/fleet_step.wgsl");
/// `shaders/shared/job.wgsl`: the renewal model's per-interruption losses (twin of
/// `src/model/job.rs`).
pub const JOB: &str = include_str!("../../shaders/shared/job.wgsl");
/// `shaders/simulate.wgsl`: the simulation kernel (one invocation per path and option).
pub const SIMULATE: &str = include_str!("../../shaders/simulate.wgsl");
/// `shaders/rng_check.wgsl`: raw Philox blocks, for equivalence tests and the RNG ceiling.
pub const RNG_CHECK: &str = include_str!("../../shaders/rng_check.wgsl");
/// `shaders/rng_throughput.wgsl`: XOR-reduced Philox blocks, the RNG-only throughput ceiling.
pub const RNG_THROUGHPUT: &str = include_str!("../../shaders/rng_throughput.wgsl");
/// `shaders/job_check.wgsl`: `renewal_losses` per input, for the comparison with the CPU.
pub const JOB_CHECK: &str = include_str!("../../shaders/job_check.wgsl");

/// Workgroup size of every kernel (invocations along x).
pub const WORKGROUP_SIZE: u32 = 64;

/// How a kernel's Philox computes the high word of its 32x32-bit products: both give the same
/// blocks bit for bit (the CPU's `mulhilo`), so the choice changes speed, never a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Philox {
    /// 16-bit limbs in core WGSL (`mulhi_limbs.wgsl`): any adapter; about 14 integer ops per
    /// product.
    Limbs16,
    /// One native 32x32->64 multiply (`mulhi_u64.wgsl`): adapters with wgpu's
    /// `Features::SHADER_INT64` (Vulkan, DX12 with DXC, Metal with MSL 2.3+).
    Native64,
}

impl Philox {
    /// Both variants, the fallback first.
    pub const ALL: [Philox; 2] = [Philox::Limbs16, Philox::Native64];

    /// The name used in messages, bench files and `FLEETSIM_PHILOX`.
    pub fn name(self) -> &'static str {
        match self {
            Philox::Limbs16 => "limbs16",
            Philox::Native64 => "native64",
        }
    }

    /// The WGSL file that defines `mulhi` for this variant.
    pub fn part(self) -> (&'static str, &'static str) {
        match self {
            Philox::Limbs16 => ("shaders/shared/mulhi_limbs.wgsl", MULHI_LIMBS),
            Philox::Native64 => ("shaders/shared/mulhi_u64.wgsl", MULHI_U64),
        }
    }

    /// The wgpu features a device must be opened with to compile this variant.
    pub fn features(self) -> wgpu::Features {
        match self {
            Philox::Limbs16 => wgpu::Features::empty(),
            Philox::Native64 => wgpu::Features::SHADER_INT64,
        }
    }
}

/// The compute kernels fleetsim runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// The fleet simulation (`simulate.wgsl`).
    Simulate,
    /// Raw Philox blocks (`rng_check.wgsl`).
    RngCheck,
    /// XOR-reduced Philox blocks for the RNG ceiling (`rng_throughput.wgsl`).
    RngThroughput,
    /// The renewal model's losses per input (`job_check.wgsl`).
    JobCheck,
}

impl Kernel {
    /// Every kernel, for validation.
    pub const ALL: [Kernel; 4] = [
        Kernel::Simulate,
        Kernel::RngCheck,
        Kernel::RngThroughput,
        Kernel::JobCheck,
    ];

    /// A short name (labels, error messages).
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Simulate => "simulate",
            Kernel::RngCheck => "rng_check",
            Kernel::RngThroughput => "rng_throughput",
            Kernel::JobCheck => "job_check",
        }
    }

    /// Whether the kernel draws Philox blocks (and so comes in both [`Philox`] variants).
    pub fn uses_philox(self) -> bool {
        self.own_parts()[0].1 == PHILOX
    }

    /// The files this kernel is assembled from with the fallback Philox ([`Philox::Limbs16`]),
    /// in order, with their paths for messages.
    pub fn parts(self) -> Vec<(&'static str, &'static str)> {
        self.parts_with(Philox::Limbs16)
    }

    /// The files this kernel is assembled from with Philox variant `philox`: the variant's
    /// `mulhi` first when the kernel draws Philox blocks, then its own files.
    pub fn parts_with(self, philox: Philox) -> Vec<(&'static str, &'static str)> {
        let mut v = Vec::new();
        if self.uses_philox() {
            v.push(philox.part());
        }
        v.extend_from_slice(self.own_parts());
        v
    }

    fn own_parts(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kernel::Simulate => &[
                ("shaders/shared/philox.wgsl", PHILOX),
                ("shaders/shared/params.wgsl", PARAMS),
                ("shaders/shared/sample.wgsl", SAMPLE),
                ("shaders/shared/job.wgsl", JOB),
                ("shaders/shared/fleet_step.wgsl", FLEET_STEP),
                ("shaders/simulate.wgsl", SIMULATE),
            ],
            Kernel::RngCheck => &[
                ("shaders/shared/philox.wgsl", PHILOX),
                ("shaders/rng_check.wgsl", RNG_CHECK),
            ],
            Kernel::RngThroughput => &[
                ("shaders/shared/philox.wgsl", PHILOX),
                ("shaders/rng_throughput.wgsl", RNG_THROUGHPUT),
            ],
            Kernel::JobCheck => &[
                ("shaders/shared/job.wgsl", JOB),
                ("shaders/job_check.wgsl", JOB_CHECK),
            ],
        }
    }

    /// The complete WGSL source with the fallback Philox ([`Philox::Limbs16`]): prelude, then
    /// the parts, each headed by its file name.
    pub fn source(self) -> String {
        self.source_with(Philox::Limbs16)
    }

    /// The complete WGSL source with Philox variant `philox`.
    pub fn source_with(self, philox: Philox) -> String {
        let mut s = prelude();
        for (path, text) in self.parts_with(philox) {
            s.push_str("\n// ---- ");
            s.push_str(path);
            s.push_str(" ----\n");
            s.push_str(text);
        }
        s
    }
}

/// WGSL `const` declarations generated from the Rust constants, so array sizes, input indices
/// and sampler caps cannot drift between the engines.
pub fn prelude() -> String {
    let u = |name: &str, v: usize| format!("const {name}: u32 = {v}u;\n");
    let f = |name: &str, v: f64| format!("const {name}: f32 = {v:e};\n");
    let mut s =
        String::from("// ---- generated by src/gpu/shaders.rs from the Rust constants ----\n");
    for (n, v) in [
        ("MAX_OPTIONS", MAX_OPTIONS),
        ("MAX_CLASSES", MAX_CLASSES),
        ("MAX_UNITS", MAX_UNITS),
        ("MAX_YEARS", MAX_YEARS),
        ("MAX_BUCKETS", MAX_BUCKETS),
        ("MAX_CORR", MAX_CORR),
        ("RING_DAYS", RING_DAYS),
        ("N_OUT", N_OUT),
        ("N_MONTHLY", N_MONTHLY),
        ("ENV_IN_COUNT", env_in::COUNT),
        ("OPT_IN_COUNT", opt_in::COUNT),
        ("OPT_EV_COUNT", opt_ev::COUNT),
        ("MAX_DISCRETE", MAX_DISCRETE),
        ("INV_CAP", INV_CAP as usize),
        ("REJECT_CAP", REJECT_CAP as usize),
        ("WORKGROUP_SIZE", WORKGROUP_SIZE as usize),
        ("CORR_CHOL_LEN", MAX_CORR * MAX_CORR),
        ("MAX_SLA_TIERS", MAX_SLA_TIERS),
        ("MONTHS_PER_YEAR", MONTHS_PER_YEAR as usize),
        (
            "CHAIN_PER_DAY",
            crate::model::counted::CHAIN_PER_DAY as usize,
        ),
        (
            "CELLS_PER_DAY",
            crate::model::counted::CELLS_PER_DAY as usize,
        ),
        (
            "SHORT_SUM_MIN",
            crate::model::counted::SHORT_SUM_MIN as usize,
        ),
    ] {
        s.push_str(&u(n, v));
    }
    for (n, v) in index_constants() {
        s.push_str(&u(n, v));
    }
    for (n, v) in [
        ("U_LO", U_LO),
        ("U_HI", U_HI),
        ("POISSON_INV_MAX_MEAN", POISSON_INV_MAX_MEAN),
        ("POISSON_MAX_MEAN", POISSON_MAX_MEAN),
        ("BINOMIAL_INV_MAX_MEAN", BINOMIAL_INV_MAX_MEAN),
        ("RENEWAL_SERIES_MAX", RENEWAL_SERIES_MAX),
        ("AUTO_FILL_RATE", AUTO_FILL_RATE),
        ("AUTO_STOCK_EXACT_MAX", AUTO_STOCK_EXACT_MAX),
        ("Z_AUTO", Z_AUTO),
        ("AUTO_CF_2", AUTO_CF_2),
        ("AUTO_CF_3", AUTO_CF_3),
    ] {
        s.push_str(&f(n, v));
    }
    for (n, values) in SAMPLER_TABLES.iter().chain(JOB_TABLES) {
        let list: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        s.push_str(&format!(
            "const {n} = array<f32, {}>({});\n",
            values.len(),
            list.join(", ")
        ));
    }
    s
}

/// The index constants under their WGSL names, each generated from its table in
/// `model::tables` (inputs, metrics) or `model::params` (kinds, flags, event slots).
fn index_constants() -> Vec<(&'static str, usize)> {
    use crate::model::tables::{
        class_inputs, environment_inputs, job_inputs, monthly_metrics, option_inputs,
        scalar_metrics, wgsl_names, wgsl_names_metrics,
    };
    let tables: [&[(&str, usize)]; 12] = [
        kind::WGSL,
        environment_inputs!(wgsl_names!("ENV_", env_in)),
        option_inputs!(wgsl_names!("OPT_", opt_in)),
        job_inputs!(wgsl_names!("OPT_", opt_in)),
        class_inputs!(wgsl_names!("OPT_", opt_in)),
        opt_ev::WGSL,
        flags::WGSL,
        sla::WGSL,
        basis::WGSL,
        dc_residual::WGSL,
        scalar_metrics!(wgsl_names_metrics!("OUT_", idx)),
        monthly_metrics!(wgsl_names_metrics!("MON_", mon)),
    ];
    let mut v: Vec<(&'static str, usize)> = tables.concat();
    v.extend([
        ("OPT_CLASS_BASE", opt_in::CLASS_BASE),
        ("OPT_PER_CLASS", opt_in::PER_CLASS),
        ("OUT_CASH_FLOW_Y1", idx::CASH_FLOW_Y1),
        ("OUT_CLASS_FAILURES", idx::CLASS_FAILURES),
        ("OUT_CLASS_LOST_NODE_HOURS", idx::CLASS_LOST_NODE_HOURS),
    ]);
    v
}
