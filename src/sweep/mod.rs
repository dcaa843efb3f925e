//! Sweeps for capacity planners (`fleetsim sweep SWEEP.toml`): a base scenario, axes that set
//! inputs by key path, a grid or Latin-hypercube design, every point run over the same paths
//! with the same seed (common random numbers across points and options), the results as one
//! table row per (point, option), and break-evens where the decision between two options flips
//! along an axis.
//!
//! # Sweep file
//!
//! ```toml
//! [sweep]
//! scenario = "../default.toml"   # relative to this file; omitted = the built-in default
//! design = "grid"                # "grid" (full factorial, default) or "lhs"
//! points = 64                    # LHS only: number of points
//! paths = 2000                   # paths per point (default: --paths, else 2,000)
//! seed = 42                      # default: --seed, else the scenario's seed, else 1
//! metric = "npv_usd"             # break-even metric (a paired metric), default npv_usd
//! compare = ["trn2", "b200"]     # the two options compared (default: the first two)
//!
//! [[axis]]
//! key = "environment.usd_per_kwh"            # any numeric input's key path
//! values = [0.05, 0.08, 0.12]                # grid: explicit values ...
//! # range = { lo = 0.04, hi = 0.2, steps = 9, scale = "linear" }   # ... or a range ("log")
//! # dist = { dist = "uniform", lo = 0.04, hi = 0.2 }  # LHS: any distribution (or a range)
//! ```
//!
//! Each axis has exactly one of `values`, `range` or (LHS) `dist`. A value replaces the
//! scenario's input (distribution or number) by that fixed number; every point is validated
//! like a scenario file, so an out-of-range value is reported against its line in the sweep
//! file. Integer fields (`spare_nodes`, `accelerators`, ...) get rounded range steps
//! (duplicates dropped) and rounded LHS values. The horizon and the set of options are the
//! base scenario's.
//!
//! LHS: with N points, every axis is cut into N equal-probability strata and each stratum holds
//! exactly one point, `u = (stratum + jitter) / N` with the strata permuted independently per
//! axis (seeded by the sweep's seed); the value is the axis distribution's inverse CDF at `u`
//! (uniform or log-uniform on a `range`).
//!
//! # Outputs (`--out DIR`)
//!
//! - `sweep.csv` / `sweep.parquet`, the same table: `point` (integer, 0-based), one column per
//!   axis named by [`spec::axis_column`] (the key path in snake_case, dots as underscores, with
//!   the unit appended when the key's name carries none), `option`, then for every metric `m`
//!   of the run (summary.json's metrics: `npv_usd`, ..., `cash_flow_y1_usd`, ...) the columns
//!   `m_count`, `m_n_undefined` (integers) and `m_mean`, `m_sd`, `m_se`, `m_min`, `m_p1`,
//!   `m_p5`, `m_p10`, `m_p25`, `m_p50`, `m_p75`, `m_p90`, `m_p95`, `m_p99`, `m_max`,
//!   `m_cvar5`, `m_p_negative` (definitions as in summary.json); then for every paired metric
//!   `first_minus_this_m_{mean,sd,se,p5,p25,p50,p75,p95}` (per path: the first option's value
//!   minus this row's option's) and `p_first_better_m`, `p_first_better_m_se`, empty on the
//!   first option's rows. Grid points are numbered with the first axis varying slowest.
//!   Undefined values are empty CSV cells and Parquet nulls, never NaN.
//! - `sweep.json`: schema version, fleetsim version, the sweep file, the resolved base scenario,
//!   the axes (key, column, unit, values), design, seed, paths, engine and adapter, timings,
//!   and the break-evens.
//!
//! # Break-evens
//!
//! For the compared options a and b, the decision statistic at each point is the P50 of the
//! per-path difference a - b of the metric. Along every grid axis, in 1-D slices (one per
//! combination of the other axes' values; a 1-D grid has one slice), a break-even is an axis
//! value where that P50 changes sign, interpolated linearly between the two bracketing grid
//! values ([`breakeven`]). LHS designs report none: their points form no lines along an axis.

pub mod breakeven;
pub mod design;
pub mod headline;
pub mod output;
pub mod plan;
pub mod run;
pub mod spec;
pub mod table;

pub use plan::{DEFAULT_MAX_POINTS, Plan, plan};
pub use spec::{Axis, AxisValues, Design, SweepSpec};

/// Paths per point when neither the command line nor the sweep file says.
pub const DEFAULT_SWEEP_PATHS: u32 = 2_000;
