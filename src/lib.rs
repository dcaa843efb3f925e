//! fleetsim: Monte Carlo economics of AI accelerator fleets (Trainium2, Blackwell, H100).
//!
//! One model (specified in `docs/MODEL.md`), two engines: the CPU
//! engine here and the WGSL kernel in `shaders/`, over the same flat parameter structs and the
//! same counter-based RNG. Configs are validated in [`config`], simulated by an [`engine`],
//! aggregated by [`stats`] and written by [`export`].

pub mod bench;
pub mod check;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod distributions;
pub mod engine;
pub mod export;
pub mod gpu;
pub mod merge;
pub mod model;
pub mod report;
pub mod sensitivity;
pub mod shard;
pub mod spares;
pub mod stats;
pub mod sweep;
