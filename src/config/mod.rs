//! Scenario and catalog files: reading, validation with one-line errors, and flattening into
//! the engines' [`FlatModel`](crate::model::params::FlatModel).
//!
//! # Scenario file
//!
//! ```toml
//! [scenario]
//! name = "Trainium2 vs Blackwell, equal capital"   # required string
//! description = "..."                              # optional
//! horizon_years = 5                                # integer 1..=20, default 5
//! # horizon_days = 54                              # or: integer 1..=7300 (not both)
//! capital_budget_usd = 500_000_000                 # optional: sizes every option's fleet
//! # power_budget_mw = 50                           # or (not both): equal facility power, MW
//! paths = 100000                                   # optional default for --paths (1..=1e9)
//! seed = 42                                        # optional default for --seed
//! catalog = "my_catalog.toml"                      # optional, relative to this file
//!
//! [environment]          # shared by all options; any field may be omitted (built-in default)
//! usd_per_kwh = { dist = "lognormal", median = 0.075, p90 = 0.11 }
//! sla = "monthly"        # or "daily" (default): sla_credit_fraction of an outage day
//! sla_tiers = [{ uptime_below = 0.99, credit = 0.3 }]  # 1..=4, default AWS EC2 region tiers
//!
//! [options.trn2]         # 1..=8 options, compared in the order written
//! hardware = "trn2"      # catalog entry: every other field defaults from it
//! accelerators = 30000   # integer chips (required unless a budget is set; not both)
//! utilization_mean = 0.75
//! in_service = false     # true: already in service at day 0 (no delivery, ramp, burn-in)
//! [options.trn2.failures.hbm]     # merges over the catalog class (or adds one)
//! rate_per_chip_day = { dist = "lognormal", median = 2e-5, p90 = 6e-5 }
//! [options.trn2.job]              # optional training-job view (on only if written here)
//! fraction = 0.5                  # default 1
//! job_chips = 4096
//! checkpoint_interval_minutes = "young_daly"
//!
//! [[correlations]]                # optional Gaussian copula (Spearman rank correlation)
//! inputs = ["environment.usd_per_kwh", "options.trn2.pue"]
//! rank_correlation = 0.5
//! ```
//!
//! A numeric field is a plain number (fixed) or a distribution table: `{dist="fixed", value}`,
//! `{dist="uniform", lo, hi}`, `{dist="normal", mean, sd, lo?, hi?}` (lo/hi truncate),
//! `{dist="lognormal", median, p90}`, `{dist="triangular", lo, mode, hi}`,
//! `{dist="pert", lo, mode, hi}`, `{dist="discrete", values=[...], weights=[...]}` (weights
//! default to equal). A distribution is rejected when more than 0.1 % of its mass lies outside
//! the field's allowed range ([`schema`] lists every field, unit and range); the engines clamp
//! samples into the range.
//!
//! Option fields are `accelerators`, `chips_per_node`, `blast_radius_chips` (default: the node),
//! `spare_nodes` (default 0) as integers; `hardware`, `description`, `facility` (`"build"` or
//! `"colo"`, default build) as strings; the sampled inputs of [`schema::OPTION_INPUTS`];
//! `rma_days` (per event); `[failures.CLASS]` tables (`kind = "hard"|"soft"`, exactly one of
//! `rate_per_chip_day` / `rate_per_node_day`, `infant_multiplier` (default 1), `infant_days`
//! (default 0), `repair_hours` per event, `enabled = false` drops a catalog class; at most 8);
//! and `[job]` (`job_chips`, `fraction`, `restart_minutes`, `checkpoint_interval_minutes` (a
//! number, a distribution or `"young_daly"`), `checkpoint_cost_seconds`).
//!
//! Environment fields are those of [`schema::ENV_INPUTS`] plus `outage_hours` (per event);
//! their built-in defaults and sources are the `default` of their rows in `model::tables` (sources there).
//!
//! # Resolution rules
//! - Scenario options merge over their catalog entry: plain keys replace, `failures.CLASS` and
//!   `job` merge key by key (a rate in either unit replaces the catalog's rate in both units).
//! - Capital budget: `nodes = floor((budget - spare cost) / (chips_per_node * all-in per chip))`,
//!   all-in per chip = mean server capex + (build: mean DC capex per MW * (mean chip W + mean
//!   host W) / 1e6), spare cost = spare_nodes * chips_per_node * mean server capex. The result
//!   is recorded in `OptionConfig::accelerators`.
//! - Power budget (instead of capital, never both): `nodes = floor(power_budget_mw * 1e6 /
//!   (chips_per_node * (mean chip W + mean host W) * mean PUE))`: facility power at nameplate
//!   load; spare nodes and units draw none. [`Scenario::sizing`] names the rule a run used.
//! - `"young_daly"`: `tau = sqrt(2 C M)` minutes, `C` = median checkpoint cost in minutes,
//!   `M = 1440 / (sum of mean class rates per node-day * job_chips / chips_per_node)`; clamped
//!   into `[1, 10080]` and recorded as a fixed value.
//!
//! # Errors
//! Every problem of a file is reported, one per line, as `FILE: KEY.PATH: what is allowed,
//! what was found (line N)`; see [`ConfigError`].
//!
//! # Files
//! - `raw.rs`: TOML reading that keeps file, line and key order, and the issue collector.
//! - `error.rs`: the one typed error and its one-line issues.
//! - `schema.rs`: every field, unit and range; `catalog.rs`: hardware catalog entries.
//! - `types.rs`: the validated types ([`Scenario`], [`OptionConfig`], [`Correlations`], ...).
//! - `fields.rs`: reading one field (numbers, distributions, ranges, integers, strings, tables).
//! - `option.rs`: reading one option or catalog entry, capital and power budget sizing, catalog
//!   merging.
//! - `classes.rs`: an option's `[failures.CLASS]` tables; `job.rs`: its `[job]` and Young/Daly.
//! - `correlations.rs`: `[[correlations]]`, the correlatable inputs and their Cholesky factor.
//! - `scenario.rs`: loading a whole scenario file (re-exports the public types and readers).
//! - `flatten.rs`: a [`Scenario`] into the engines' flat parameters.
//! - `overrides.rs`: [`BaseScenario`] and [`Override`]: variants of a scenario with values set at
//!   key paths (sweeps, sensitivity, spares), each validated like a file.

pub mod catalog;
mod classes;
mod correlations;
pub mod error;
mod fields;
pub mod flatten;
mod job;
mod option;
pub mod overrides;
pub mod raw;
pub mod scenario;
pub mod schema;
mod types;
mod units;

use std::path::Path;

pub use catalog::{Catalog, CatalogEntry, builtin_catalog};
pub use error::{ConfigError, Issue, IssueKind};
pub use fields::{int_field, parse_dist};
pub use flatten::flatten;
pub use overrides::{BaseScenario, Override};
pub use types::{
    Correlations, Environment, Facility, FailureClass, FailureKind, Inputs, JobConfig,
    OptionConfig, Scenario, Sizing, UnitType,
};
pub use units::AUTO_FILL_RATE;

/// Text of the built-in default scenario (`configs/default.toml`).
pub const DEFAULT_SCENARIO: &str = include_str!("../../configs/default.toml");

/// Reads and validates a scenario file. A `[scenario] catalog` path is taken relative to it.
pub fn load_scenario(path: &Path) -> Result<Scenario, ConfigError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
        file: origin.clone(),
        source: e,
    })?;
    load_scenario_str(&text, &origin)
}

/// Validates scenario text; `origin` labels messages and anchors a relative `catalog` path
/// (its parent directory, or the working directory).
pub fn load_scenario_str(text: &str, origin: &str) -> Result<Scenario, ConfigError> {
    BaseScenario::from_str(text, origin)?.build()
}

/// How the built-in default scenario is named in messages.
pub const DEFAULT_ORIGIN: &str = "configs/default.toml (built-in)";

/// The built-in default scenario (Trainium2 vs HGX B200 at equal capital). Panics only if the
/// shipped file is invalid, which a test rules out.
pub fn default_scenario() -> Scenario {
    load_scenario_str(DEFAULT_SCENARIO, DEFAULT_ORIGIN)
        .unwrap_or_else(|e| panic!("built-in default scenario is invalid:\n{e}"))
}
