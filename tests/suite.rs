//! The integration tests that need no GPU adapter, in one test binary (each binary links wgpu
//! and parquet, so one binary instead of one per file saves link time and runs every test in
//! one parallel pool): the model against closed forms and hand calculations, precision, the
//! spares planner, sweeps, sensitivity, configuration errors, the real binary's command line
//! and bench files, documentation checks, shader validation (naga, no device), the HTML report
//! on the real binary, the report pages in headless Chromium (skipped without it unless
//! `FLEETSIM_REQUIRE_BROWSER=1`), summary.xlsx, and `fleetsim slurm` with its shards on a
//! single-host Slurm (skipped without one unless `FLEETSIM_REQUIRE_SLURM=1`). Filter by file:
//! `cargo test --release --test suite model_mechanisms::`.

mod common;

mod aggregate_merge;
mod bench;
mod breakeven;
mod browser_harness;
mod browser_reports;
mod cli;
mod config_errors;
mod counted;
mod docs;
mod economics;
mod engine_fallback;
mod faults;
mod findings;
mod gpu_layout;
mod horizon_service_sla;
mod model_closed_forms;
mod model_logistics;
mod model_mechanisms;
mod precision;
mod published;
mod report;
mod sensitivity;
mod sensitivity_shards;
mod shaders;
mod shards;
mod sizing;
mod slurm;
mod spares;
mod summary_meaning;
mod sweep;
mod target_se;
mod timeseries;
mod xlsx;
