//! `fleetsim bench`: a fixed, versioned set of workloads ([`workload`]) run on every engine
//! the machine has, with warm-up, repetitions and a time budget ([`runner`]); the results file
//! and its schema ([`report`]); side-by-side comparison of results files ([`compare`]); the
//! Philox ceiling each engine is measured against ([`rng_ceiling`], [`consumption`]).

pub mod compare;
pub mod consumption;
pub mod report;
pub mod rng_ceiling;
pub mod runner;
pub mod workload;

pub use report::{BenchFile, SCHEMA_VERSION};
pub use workload::{WORKLOAD_SET_VERSION, Workload, WorkloadKind};
