//! The GPU engine: the fleet model as WGSL compute kernels run through wgpu. This is the only
//! module that touches wgpu; everything above it sees the `Engine` trait.

pub mod adapter;
pub mod context;
pub mod dispatch;
pub mod engine;
pub mod error;
pub mod job_check;
pub mod pack;
pub mod rng_check;
pub mod rng_throughput;
pub mod shaders;
pub mod state;

pub use adapter::AdapterSummary;
pub use context::GpuContext;
pub use engine::GpuEngine;
pub use error::GpuError;
