//! Tolerances and allowances for comparing the GPU engine with the CPU engine path by path
//! (both draw the same random numbers), shared by tests/gpu_equivalence.rs (records) and the
//! GPU half of tests/cli.rs (per_path.csv). Allowances are numbers of paths. They live in the
//! library (`fleetsim::check::compare`), where `fleetsim check` applies the same ones.

// Used by the GPU test binary only (tests/gpu.rs); the suite binary shares tests/common.
#[allow(unused_imports)]
pub use fleetsim::check::compare::{
    ALLOW_BEYOND_TIGHT, ALLOW_BEYOND_TOL, ALLOW_FLIPPED_PER_1000, ALLOW_FLIPPED_PER_1000_COUNTED,
    TIGHT_TOL, TOL, interruptions_differ,
};
