//! Field specifications: every key the format accepts, its unit, its allowed range, its built-in
//! default and where it lands in the flat parameters. The sampled inputs' rows are generated from
//! the one table in `model::tables` (which also generates the flat indices and the WGSL names),
//! so validation, flattening, `fleetsim catalog`, copula targets, sensitivity and sweep keys and
//! the defaults cannot drift apart.

use crate::distributions::Dist;
use crate::model::params::{env_in, opt_ev, opt_in};
use crate::model::tables::{class_inputs, environment_inputs, job_inputs, option_inputs};

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
    /// Value used when neither the scenario nor the catalog sets the field.
    #[serde(skip)]
    pub default: BuiltIn,
}

/// A field's built-in default, as written in its table row (`model::tables`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BuiltIn {
    /// No default: the catalog entry or the scenario must give the field.
    Required,
    /// A known value.
    Fixed(f64),
    /// Lognormal by median and 90th percentile.
    Lognormal(f64, f64),
    /// Triangular by low, mode and high.
    Triangular(f64, f64, f64),
    /// PERT by low, mode and high.
    Pert(f64, f64, f64),
}

impl BuiltIn {
    /// The default as a distribution; `None` for a required field.
    pub fn dist(self) -> Option<Dist> {
        match self {
            BuiltIn::Required => None,
            BuiltIn::Fixed(value) => Some(Dist::Fixed { value }),
            BuiltIn::Lognormal(median, p90) => Some(Dist::Lognormal { median, p90 }),
            BuiltIn::Triangular(lo, mode, hi) => Some(Dist::Triangular { lo, mode, hi }),
            BuiltIn::Pert(lo, mode, hi) => Some(Dist::Pert { lo, mode, hi }),
        }
    }
}

/// The spelling of defaults in the table rows (`required`, `fixed(v)`, `lognormal(m, p90)`,
/// `triangular(lo, mode, hi)`, `pert(lo, mode, hi)`).
#[allow(non_upper_case_globals)]
mod builtin {
    use super::BuiltIn;
    pub const required: BuiltIn = BuiltIn::Required;
    pub const fn fixed(v: f64) -> BuiltIn {
        BuiltIn::Fixed(v)
    }
    pub const fn lognormal(median: f64, p90: f64) -> BuiltIn {
        BuiltIn::Lognormal(median, p90)
    }
    pub const fn triangular(lo: f64, mode: f64, hi: f64) -> BuiltIn {
        BuiltIn::Triangular(lo, mode, hi)
    }
    pub const fn pert(lo: f64, mode: f64, hi: f64) -> BuiltIn {
        BuiltIn::Pert(lo, mode, hi)
    }
}

/// [`FieldSpec`] rows from a table of `model::tables`, indexed into module `$m` of
/// `model::params`.
macro_rules! field_specs {
    (($m:ident)
     $($id:ident = $key:literal, [$lo:expr, $hi:expr], $unit:literal,
       $dn:ident $(($($dv:expr),*))?, $doc:literal;)*) => {
        &[$(FieldSpec {
            name: $key,
            index: $m::$id,
            lo: $lo,
            hi: $hi,
            unit: $unit,
            doc: $doc,
            default: builtin::$dn $(($($dv),*))?,
        }),*]
    };
}

/// Option inputs sampled once per path, in `opt_in` order (job and class inputs are separate).
pub const OPTION_INPUTS: &[FieldSpec] = option_inputs!(field_specs!(opt_in));

/// RMA round trip of a failed unit, back into stock (per event): the option's `rma_days` is
/// the default of every hard class, which may set its own (at `opt_ev::RMA_BASE + c`).
pub const RMA_DAYS: FieldSpec = FieldSpec {
    name: "rma_days",
    index: opt_ev::RMA_BASE,
    lo: 0.0,
    hi: 127.0,
    unit: "days",
    doc: "RMA round trip of a failed unit, until it is back in stock",
    default: BuiltIn::Required,
};

/// Time for a new unit to reach stock when the failed one is not sent on an RMA round trip
/// (per event, at `opt_ev::REPLENISH_BASE + u`).
pub const REPLENISH_DAYS: FieldSpec = FieldSpec {
    name: "replenish_days",
    index: opt_ev::REPLENISH_BASE,
    lo: 0.0,
    hi: 127.0,
    unit: "days",
    doc: "lead time of a new spare unit when the failed one is not returned",
    default: BuiltIn::Required,
};

/// Hours to fit a unit that arrives for a node waiting for it (a plain number per unit type).
pub const UNIT_SWAP_HOURS: FieldSpec = FieldSpec {
    name: "swap_hours",
    index: 0,
    lo: 0.0,
    hi: 72.0,
    unit: "hours",
    doc: "time to fit a unit that arrives for a node waiting for it",
    default: BuiltIn::Required,
};

/// Capital cost of one spare unit (a plain number per unit type).
pub const UNIT_COST_USD: FieldSpec = FieldSpec {
    name: "cost_usd",
    index: 0,
    lo: 0.0,
    hi: 1e7,
    unit: "USD per unit",
    doc: "capital cost of one spare unit kept on site",
    default: BuiltIn::Required,
};

/// Keys allowed in a unit-type table (`[units.NAME]`).
pub const UNIT_KEYS: &[&str] = &[
    "description",
    "stock",
    "cost_usd",
    "swap_hours",
    "replenish_days",
];

/// The on-site stock of a unit type: name, min, max, unit.
pub const UNIT_STOCK: (&str, u64, u64, &str) = ("stock", 0, 1_000_000, "units");

/// Training-job inputs (`[options.X.job]`), indices in `opt_in`.
pub const JOB_INPUTS: &[FieldSpec] = job_inputs!(field_specs!(opt_in));

/// Per-class sampled inputs; `index` is the offset within the class's three `opt_in` slots.
/// The rate is stored per node-day (a `rate_per_chip_day` is multiplied by `chips_per_node`).
pub const CLASS_INPUTS: &[FieldSpec] = class_inputs!(field_specs!(opt_in));

/// Per-event repair time of a failure class (at `opt_ev::REPAIR_BASE + c`).
pub const REPAIR_HOURS: FieldSpec = FieldSpec {
    name: "repair_hours",
    index: opt_ev::REPAIR_BASE,
    lo: 0.0,
    hi: 127.0 * 24.0,
    unit: "hours",
    doc: "reset or diagnose-and-pull time per event",
    default: BuiltIn::Required,
};

/// Environment inputs, in `env_in` order.
pub const ENV_INPUTS: &[FieldSpec] = environment_inputs!(field_specs!(env_in));

/// Duration of one regional outage (per event).
pub const OUTAGE_HOURS: FieldSpec = FieldSpec {
    name: "outage_hours",
    index: 0,
    lo: 0.0,
    hi: 720.0,
    unit: "hours",
    doc: "duration of one regional outage",
    default: BuiltIn::Lognormal(6.0, 15.0),
};

/// Largest fleet of one option, in chips (`accelerators`, whether written or sized by a
/// budget).
pub const MAX_ACCELERATORS: u64 = 10_000_000;

/// Most paths of one run (or one sweep point): the one limit of `[scenario] paths`, a sweep
/// file's `paths` and every command's `--paths`, `--max-paths` and `--breakeven-paths`.
pub const MAX_PATHS: u32 = 1_000_000_000;

/// Largest seed: a TOML integer is an i64, so a scenario or sweep file can hold seeds up to
/// `i64::MAX`; `--seed` takes the same range, so every seed a run reports can be written back
/// into a file.
pub const MAX_SEED: u64 = i64::MAX as u64;

/// Integer option fields (no distributions): name, min, max, unit.
pub const OPTION_INTS: &[(&str, u64, u64, &str)] = &[
    ("accelerators", 1, MAX_ACCELERATORS, "chips"),
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
        "units",
        "stream",
        "job",
        "in_service",
        "next_gen_date",
        "dc_residual",
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
    "unit",
    "rma",
    "rma_days",
];

/// Keys allowed in a job table.
pub const JOB_KEYS: &[&str] = &[
    "fraction",
    "job_chips",
    "restart_minutes",
    "checkpoint_interval_minutes",
    "checkpoint_cost_seconds",
    "planned_interruptions_per_day",
    "planned_restart_minutes",
];

/// Keys allowed in `[scenario]`.
pub const SCENARIO_KEYS: &[&str] = &[
    "name",
    "description",
    "horizon_years",
    "horizon_days",
    "capital_budget_usd",
    "power_budget_mw",
    "paths",
    "seed",
    "catalog",
    "start_date",
];

/// Unit of any key, for "wrong unit" and "expected a number in ..." messages.
pub fn unit_of(key: &str) -> Option<String> {
    let all = OPTION_INPUTS
        .iter()
        .chain(JOB_INPUTS)
        .chain(CLASS_INPUTS)
        .chain(ENV_INPUTS)
        .chain([
            &RMA_DAYS,
            &REPAIR_HOURS,
            &OUTAGE_HOURS,
            &REPLENISH_DAYS,
            &UNIT_SWAP_HOURS,
            &UNIT_COST_USD,
        ]);
    for s in all {
        if s.name == key {
            return Some(s.unit.to_string());
        }
    }
    match key {
        "rate_per_chip_day" => Some("per chip-day".into()),
        "capital_budget_usd" => Some("USD".into()),
        "power_budget_mw" => Some("MW".into()),
        "horizon_years" => Some("years".into()),
        "stock" => Some("units".into()),
        "horizon_days" => Some("days".into()),
        _ => int_field_spec(key).map(|(_, _, unit)| unit.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario may omit any environment field, so each must have a built-in default (a
    /// missing one would silently become 0).
    #[test]
    fn every_environment_input_has_a_default() {
        for s in ENV_INPUTS.iter().chain([&OUTAGE_HOURS]) {
            assert!(
                s.default.dist().is_some(),
                "{} has no built-in default",
                s.name
            );
        }
    }

    /// Every row's index is its position after the rows before it: the generated constants
    /// tile `opt_in` without gaps up to the class inputs.
    #[test]
    fn rows_tile_the_flat_layout() {
        let opt: Vec<usize> = OPTION_INPUTS
            .iter()
            .chain(JOB_INPUTS)
            .map(|s| s.index)
            .collect();
        assert_eq!(opt, (0..opt_in::CLASS_BASE).collect::<Vec<_>>());
        let env: Vec<usize> = ENV_INPUTS.iter().map(|s| s.index).collect();
        assert_eq!(env, (0..env_in::COUNT).collect::<Vec<_>>());
        assert_eq!(CLASS_INPUTS.len(), opt_in::PER_CLASS);
    }
}
