//! Many models, the same paths: the driver behind sweeps, sensitivity and spares planning.
//! Every point (a [`FlatModel`] variant of one scenario) runs paths `0..n_paths` with its own
//! seed key, so with one seed for all points neighbouring points share their random numbers
//! and differ only by their inputs (common random numbers across points and options).
//!
//! An engine may simulate several points per call ([`Engine::points_per_call`]): the GPU engine
//! packs the points of a sweep with few paths per point into one dispatch. The CPU engine runs
//! one point at a time over all cores.

use std::ops::Range;

use super::{
    Engine, EngineError, FallbackEvent, PathBlock, WithFallback, check_finite, check_shape,
};
use crate::model::params::FlatModel;

/// One engine call's results: the blocks of points `points`, paths `first_path ..`.
type CallResult = Result<(Range<usize>, Vec<PathBlock>), (usize, u32, EngineError)>;

/// Runs paths `0..n_paths` of every model, feeding each block to `sink(point, block)`; for each
/// point, blocks arrive in path order (points batched into one engine call interleave by
/// chunk). `progress` gets the number of (point, path) pairs done so far.
///
/// All models must have the same option count and horizon (variants of one scenario).
pub fn run_points(
    engine: &dyn Engine,
    models: &[FlatModel],
    n_paths: u32,
    mut sink: impl FnMut(usize, &PathBlock),
    mut progress: impl FnMut(u64),
) -> Result<(), EngineError> {
    check_models(models)?;
    let mut done = 0u64;
    run_range(
        engine,
        models,
        0..models.len(),
        0,
        n_paths,
        None,
        &mut sink,
        &mut |n| {
            done += n;
            progress(done)
        },
    )
    .map_err(|(_, _, e)| e)
}

/// [`run_points`] on `engines.primary`; if it fails with [`EngineError::Device`], the
/// fallback engine redoes the failed call's points from the failed call's first path and runs
/// the rest. Nothing of a failed call reaches `sink`, so every (point, path) is seen exactly
/// once. Returns the fallback event (its `at_path` is the failed call's first path; the point
/// is in `reason`), or `None` if the primary engine finished.
pub fn run_points_with_fallback(
    engines: WithFallback<'_>,
    models: &[FlatModel],
    n_paths: u32,
    mut sink: impl FnMut(usize, &PathBlock),
    mut progress: impl FnMut(u64),
    on_fallback: impl FnOnce(&FallbackEvent),
) -> Result<Option<FallbackEvent>, EngineError> {
    check_models(models)?;
    let WithFallback { primary, fallback } = engines;
    let mut done = 0u64;
    let mut prog = |n: u64| {
        done += n;
        progress(done)
    };
    let all = 0..models.len();
    match run_range(primary, models, all, 0, n_paths, None, &mut sink, &mut prog) {
        Ok(()) => Ok(None),
        Err((point, at_path, EngineError::Device(reason))) => {
            let batch_end =
                (point + primary.points_per_call(models.len(), n_paths)).min(models.len());
            let event = FallbackEvent {
                at_path,
                paths_on_fallback: n_paths - at_path,
                reason: format!("{reason} (at point {point})"),
                from: primary.info(),
                to: fallback.info(),
            };
            on_fallback(&event);
            let failed = point..batch_end;
            let rest = batch_end..models.len();
            run_range(
                fallback, models, failed, at_path, n_paths, None, &mut sink, &mut prog,
            )
            .map_err(|(_, _, e)| e)?;
            run_range(
                fallback, models, rest, 0, n_paths, None, &mut sink, &mut prog,
            )
            .map_err(|(_, _, e)| e)?;
            Ok(Some(event))
        }
        Err((_, _, e)) => Err(e),
    }
}

/// Fails unless every model has the options and horizon of the first: the points of one run
/// (or one packed GPU dispatch) must be variants of one scenario.
pub(crate) fn check_models<'a>(
    models: impl IntoIterator<Item = &'a FlatModel>,
) -> Result<(), EngineError> {
    let mut models = models.into_iter();
    let Some(first) = models.next() else {
        return Ok(());
    };
    for (i, m) in models.enumerate().map(|(i, m)| (i + 1, m)) {
        if m.run.n_options != first.run.n_options || m.run.horizon_days != first.run.horizon_days {
            return Err(EngineError::Bug(format!(
                "point {i} has {} options over {} days, point 0 {} over {}: the points of one run must be variants of one scenario",
                m.run.n_options, m.run.horizon_days, first.run.n_options, first.run.horizon_days
            )));
        }
    }
    Ok(())
}

/// Runs `points` (batched by the engine's `points_per_call`) from path `from_path` to
/// `n_paths`, `chunk` paths per point and call (default: the engine's chunk shared by the
/// batch). The engine runs on its own thread one call ahead of `sink`, so aggregating one
/// call's blocks overlaps simulating the next (on a GPU the host would otherwise wait idle);
/// blocks reach `sink` on the calling thread, and at most two calls' blocks exist at once. On
/// failure returns the failed call's first point and first path (nothing of it reached `sink`).
#[allow(clippy::too_many_arguments)]
pub(super) fn run_range(
    engine: &dyn Engine,
    models: &[FlatModel],
    points: Range<usize>,
    from_path: u32,
    n_paths: u32,
    chunk: Option<u32>,
    sink: &mut dyn FnMut(usize, &PathBlock),
    progress: &mut dyn FnMut(u64),
) -> Result<(), (usize, u32, EngineError)> {
    if points.is_empty() || from_path >= n_paths {
        return Ok(());
    }
    let n_options = models[points.start].run.n_options;
    let per_call = engine
        .points_per_call(models.len(), n_paths)
        .clamp(1, points.len());
    let chunk = chunk
        .unwrap_or_else(|| engine.chunk_paths(n_options) / per_call as u32)
        .max(1);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<CallResult>(1);
        let work = points.clone();
        scope.spawn(move || {
            let mut p = work.start;
            while p < work.end {
                let batch = p..(p + per_call).min(work.end);
                let refs: Vec<&FlatModel> = models[batch.clone()].iter().collect();
                let mut first = from_path;
                while first < n_paths {
                    let n = chunk.min(n_paths - first);
                    let r = engine
                        .simulate_points(&refs, first, n)
                        .and_then(|blocks| {
                            if blocks.len() != refs.len() {
                                return Err(EngineError::Bug(format!(
                                    "engine returned {} blocks for {} points",
                                    blocks.len(),
                                    refs.len()
                                )));
                            }
                            for (b, m) in blocks.iter().zip(&refs) {
                                check_shape(b, m, first, n)?;
                                check_finite(b)?;
                            }
                            Ok((batch.clone(), blocks))
                        })
                        .map_err(|e| (batch.start, first, e));
                    let failed = r.is_err();
                    if tx.send(r).is_err() || failed {
                        return;
                    }
                    first += n;
                }
                p = batch.end;
            }
        });
        for r in rx {
            let (batch, blocks) = r?;
            for (point, block) in batch.zip(&blocks) {
                sink(point, block);
                progress(block.n_paths as u64);
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::overrides::synthetic_source;
    use crate::config::{BaseScenario, Override, flatten};
    use crate::engine::cpu::CpuEngine;
    use crate::engine::fault::FailAtChunk;
    use crate::engine::{EngineInfo, Precision};

    /// The CPU engine, told to batch `per_call` points per call in chunks of `chunk` paths
    /// per point, to exercise the batching paths of the driver.
    struct Batching {
        cpu: CpuEngine,
        per_call: usize,
        chunk: u32,
    }

    impl Engine for Batching {
        fn info(&self) -> EngineInfo {
            self.cpu.info()
        }
        fn chunk_paths(&self, _: u32) -> u32 {
            self.chunk * self.per_call as u32
        }
        fn points_per_call(&self, _: usize, _: u32) -> usize {
            self.per_call
        }
        fn simulate(&self, m: &FlatModel, f: u32, n: u32) -> Result<PathBlock, EngineError> {
            self.cpu.simulate(m, f, n)
        }
    }

    /// Bit patterns (undefined outputs are NaN, which `==` never matches).
    fn bits(v: &[Vec<f64>]) -> Vec<Vec<u64>> {
        v.iter()
            .map(|p| p.iter().map(|x| x.to_bits()).collect())
            .collect()
    }

    fn models(prices: &[f64]) -> Vec<FlatModel> {
        let base = BaseScenario::builtin_default();
        let src = synthetic_source("test");
        prices
            .iter()
            .map(|p| {
                let s = base
                    .with(&[
                        Override::number("scenario.horizon_years", 1.0, &src, 0),
                        Override::number("environment.usd_per_kwh", *p, &src, 0),
                    ])
                    .expect("variant");
                flatten(&s, 7)
            })
            .collect()
    }

    fn run_collect(
        engine: &dyn Engine,
        fallback: Option<&dyn Engine>,
        ms: &[FlatModel],
        n: u32,
    ) -> (Vec<Vec<f64>>, u64, Option<FallbackEvent>) {
        let mut values = vec![Vec::new(); ms.len()];
        let mut next = vec![0u32; ms.len()];
        let mut last = 0u64;
        let sink = |p: usize, b: &PathBlock| {
            assert_eq!(b.first_path, next[p], "point {p}: blocks out of path order");
            next[p] += b.n_paths;
            values[p].extend_from_slice(&b.values);
        };
        let progress = |d: u64| {
            assert!(d > last, "progress must grow");
            last = d;
        };
        let event = match fallback {
            None => {
                run_points(engine, ms, n, sink, progress).expect("run");
                None
            }
            Some(fb) => run_points_with_fallback(
                WithFallback {
                    primary: engine,
                    fallback: fb,
                },
                ms,
                n,
                sink,
                progress,
                |_| {},
            )
            .expect("run"),
        };
        (values, last, event)
    }

    #[test]
    fn every_point_equals_its_own_run_whatever_the_batching() {
        let ms = models(&[0.05, 0.08, 0.12, 0.2, 0.3]);
        let n = 23;
        let cpu = CpuEngine::new(Precision::F32);
        let alone: Vec<Vec<f64>> = ms
            .iter()
            .map(|m| cpu.simulate(m, 0, n).expect("simulate").values)
            .collect();
        for (per_call, chunk) in [(1, 100), (2, 7), (3, 5), (5, 23), (8, 4)] {
            let e = Batching {
                cpu: CpuEngine::new(Precision::F32),
                per_call,
                chunk,
            };
            let (values, done, _) = run_collect(&e, None, &ms, n);
            assert!(
                bits(&values) == bits(&alone),
                "per_call {per_call}, chunk {chunk}: results differ from separate runs"
            );
            assert_eq!(done, ms.len() as u64 * n as u64);
        }
        // Common random numbers: a higher electricity price never raises NPV path by path.
        let npv = |p: usize, i: usize| alone[p][i * 2 * crate::model::outputs::N_OUT];
        for i in 0..n as usize {
            for p in 1..ms.len() {
                assert!(npv(p, i) <= npv(p - 1, i), "path {i}, point {p}");
            }
        }
    }

    #[test]
    fn a_failed_call_is_redone_on_the_fallback_exactly_once() {
        let ms = models(&[0.05, 0.08, 0.12, 0.2, 0.3]);
        let n = 20;
        let cpu = CpuEngine::new(Precision::F32);
        let (want, _, _) = run_collect(&cpu, None, &ms, n);
        for fail_at in [0, 1, 4, 7] {
            let primary = FailAtChunk::new(
                Batching {
                    cpu: CpuEngine::new(Precision::F32),
                    per_call: 2,
                    chunk: 6,
                },
                fail_at,
            );
            let (got, done, event) = run_collect(&primary, Some(&cpu), &ms, n);
            assert!(
                bits(&got) == bits(&want),
                "fail at call {fail_at}: results differ"
            );
            assert_eq!(done, ms.len() as u64 * n as u64);
            let event = event.expect("the primary failed");
            assert!(event.reason.contains("at point"), "{}", event.reason);
        }
    }

    #[test]
    fn points_of_different_shapes_are_refused() {
        let mut ms = models(&[0.05, 0.08]);
        ms[1].run.horizon_days += 1;
        let cpu = CpuEngine::new(Precision::F32);
        let e = run_points(&cpu, &ms, 3, |_, _| {}, |_| {}).expect_err("mixed shapes");
        assert!(e.to_string().contains("variants of one scenario"), "{e}");
    }
}
