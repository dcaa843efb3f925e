//! The fleet model of MODEL.md: flat parameters, the per-path daily step, and the outputs.

pub mod outputs;
pub mod params;
pub mod path;
