//! The GPU engine behind the `Engine` trait (being written: the kernel lands next).

use std::sync::Arc;

use super::context::GpuContext;
use super::error::GpuError;
use crate::engine::{Engine, EngineError, EngineInfo, PathBlock, Precision};
use crate::model::params::FlatModel;

/// Runs the fleet model on a GPU through wgpu.
#[derive(Debug)]
pub struct GpuEngine {
    ctx: Arc<GpuContext>,
}

impl GpuEngine {
    /// An engine on an opened device.
    pub fn new(ctx: Arc<GpuContext>) -> Result<Self, GpuError> {
        Ok(GpuEngine { ctx })
    }
}

impl Engine for GpuEngine {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            backend: "gpu".into(),
            adapter: self.ctx.adapter.name.clone(),
            driver: format!(
                "{} {}",
                self.ctx.adapter.driver, self.ctx.adapter.driver_info
            ),
            precision: Precision::F32,
        }
    }

    fn simulate(&self, _m: &FlatModel, _first: u32, _n: u32) -> Result<PathBlock, EngineError> {
        Err(EngineError::Backend(
            "the GPU simulation kernel is not written yet".into(),
        ))
    }
}
