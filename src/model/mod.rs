//! The fleet model of MODEL.md: flat parameters, the per-path daily step, and the outputs.

pub mod counted;
pub mod fleet_step;
pub mod job;
pub mod outputs;
pub mod params;
pub mod philox;
pub mod real;
pub mod sample;
pub mod tables;
