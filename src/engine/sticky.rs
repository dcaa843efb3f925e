//! A command's engines across many runs (batches of `--target-se`, blocks of a sweep, rounds of
//! spares planning): the primary engine with an optional fallback that, once it has taken
//! over, runs everything after it, and the one fallback event the command reports.

use std::ops::Range;

use super::{
    Engine, EngineError, FallbackEvent, PathBlock, WithFallback, run_path_range,
    run_path_range_with_fallback, run_points, run_points_with_fallback,
};
use crate::model::params::FlatModel;

/// The primary engine (the GPU), the engine that takes over if it fails (the CPU, under
/// `--backend auto`), and whether it has.
pub struct Sticky<'a> {
    primary: &'a dyn Engine,
    fallback: Option<&'a dyn Engine>,
    event: Option<FallbackEvent>,
}

impl<'a> Sticky<'a> {
    /// `primary`, and the engine that replaces it for good if it fails (none: failures end
    /// the command).
    pub fn new(primary: &'a dyn Engine, fallback: Option<&'a dyn Engine>) -> Self {
        Sticky {
            primary,
            fallback,
            event: None,
        }
    }

    /// The first (and only) fallback so far, if the primary engine failed.
    pub fn event(&self) -> Option<&FallbackEvent> {
        self.event.as_ref()
    }

    /// Takes the fallback event out (to adjust and report it at the end).
    pub fn take_event(&mut self) -> Option<FallbackEvent> {
        self.event.take()
    }

    /// [`run_points`] on the primary engine, or on the fallback once it has taken over;
    /// `on_fallback` is called if the primary fails here and the fallback takes over.
    pub fn run_points(
        &mut self,
        models: &[FlatModel],
        n_paths: u32,
        sink: impl FnMut(usize, &PathBlock),
        progress: impl FnMut(u64),
        on_fallback: impl FnOnce(&FallbackEvent),
    ) -> Result<(), EngineError> {
        match (self.fallback, self.event.is_some()) {
            (None, _) => run_points(self.primary, models, n_paths, sink, progress),
            (Some(fallback), true) => run_points(fallback, models, n_paths, sink, progress),
            (Some(fallback), false) => {
                let engines = WithFallback {
                    primary: self.primary,
                    fallback,
                };
                self.event = run_points_with_fallback(
                    engines,
                    models,
                    n_paths,
                    sink,
                    progress,
                    on_fallback,
                )?;
                Ok(())
            }
        }
    }

    /// [`run_path_range`], engines chosen as in [`Sticky::run_points`].
    pub fn run_path_range(
        &mut self,
        model: &FlatModel,
        paths: Range<u32>,
        chunk: u32,
        sink: impl FnMut(&PathBlock),
        progress: impl FnMut(u32),
        on_fallback: impl FnOnce(&FallbackEvent),
    ) -> Result<(), EngineError> {
        match (self.fallback, self.event.is_some()) {
            (None, _) => run_path_range(self.primary, model, paths, chunk, sink, progress),
            (Some(fallback), true) => run_path_range(fallback, model, paths, chunk, sink, progress),
            (Some(fallback), false) => {
                let engines = WithFallback {
                    primary: self.primary,
                    fallback,
                };
                self.event = run_path_range_with_fallback(
                    engines,
                    model,
                    paths,
                    chunk,
                    sink,
                    progress,
                    on_fallback,
                )?;
                Ok(())
            }
        }
    }
}
