//! The GPU-to-CPU fallback: when the primary engine fails at chunk k, the run continues on the
//! fallback engine from the first path of that chunk, and the merged result is bit for bit the
//! result of a run on one engine (same seed, same paths, same order, nothing counted twice).

use fleetsim::config::{default_scenario, flatten};
use fleetsim::engine::fault::FailAtChunk;
use fleetsim::engine::{
    Engine, EngineError, EngineInfo, PathBlock, Precision, WithFallback, cpu::CpuEngine, run_paths,
    run_paths_with_fallback,
};
use fleetsim::model::params::FlatModel;
use fleetsim::stats::RunAggregate;

const PATHS: u32 = 300;
const CHUNK: u32 = 40; // 8 chunks, the last one short (20 paths)

fn model() -> FlatModel {
    flatten(&default_scenario(), 11)
}

/// Every block a run hands to its sink, and the aggregate of them.
struct Collected {
    blocks: Vec<PathBlock>,
    agg: RunAggregate,
    progress: Vec<u32>,
}

fn collector(m: &FlatModel) -> Collected {
    Collected {
        blocks: vec![],
        agg: RunAggregate::new(m.run.n_options as usize, m.run.n_years as usize),
        progress: vec![],
    }
}

fn pure(engine: &dyn Engine, m: &FlatModel) -> Collected {
    let mut c = collector(m);
    let mut progress = vec![];
    run_paths(
        engine,
        m,
        PATHS,
        CHUNK,
        |b| {
            c.blocks.push(b.clone());
            c.agg.add_block(b);
        },
        |d| progress.push(d),
    )
    .unwrap();
    c.progress = progress;
    c
}

fn with_fallback(
    primary: &dyn Engine,
    fallback: &dyn Engine,
    m: &FlatModel,
) -> (
    Collected,
    Result<Option<fleetsim::engine::FallbackEvent>, EngineError>,
    u32,
) {
    let mut c = collector(m);
    let mut progress = vec![];
    let mut notices = 0;
    let r = run_paths_with_fallback(
        WithFallback { primary, fallback },
        m,
        PATHS,
        CHUNK,
        |b| {
            c.blocks.push(b.clone());
            c.agg.add_block(b);
        },
        |d| progress.push(d),
        |_| notices += 1,
    );
    c.progress = progress;
    (c, r, notices)
}

fn bits(blocks: &[PathBlock]) -> Vec<(u32, u32, Vec<u64>)> {
    blocks
        .iter()
        .map(|b| {
            (
                b.first_path,
                b.n_paths,
                b.values.iter().map(|v| v.to_bits()).collect(),
            )
        })
        .collect()
}

#[test]
fn failure_at_chunk_k_continues_on_the_fallback_and_equals_a_pure_run() {
    let m = model();
    let cpu = CpuEngine::new(Precision::F32);
    let reference = pure(&cpu, &m);
    assert_eq!(reference.blocks.len(), 8);
    for k in [0u32, 1, 3, 7] {
        let primary = FailAtChunk::new(CpuEngine::new(Precision::F32), k);
        let fallback = FailAtChunk::new(CpuEngine::new(Precision::F32), u32::MAX); // counts calls
        let (got, r, notices) = with_fallback(&primary, &fallback, &m);
        let event = r.unwrap().expect("the primary failed, so a fallback event");
        assert_eq!(event.at_path, k * CHUNK, "k = {k}");
        assert_eq!(event.paths_on_fallback, PATHS - k * CHUNK);
        assert!(event.reason.contains("injected fault"), "{}", event.reason);
        assert_eq!(event.to, cpu.info());
        assert_eq!(notices, 1);
        // The primary ran chunks 0..=k (k failed), the fallback exactly the rest.
        assert_eq!(primary.calls(), k + 1);
        assert_eq!(fallback.calls(), 8 - k);
        // Same blocks, same order, every path once; bit for bit.
        assert_eq!(bits(&got.blocks), bits(&reference.blocks), "k = {k}");
        assert_eq!(got.agg, reference.agg, "k = {k}");
        assert_eq!(got.progress, reference.progress, "k = {k}");
    }
}

#[test]
fn chunks_before_the_failure_come_from_the_primary_and_after_from_the_fallback() {
    // Different precisions make the engines' outputs distinguishable path by path.
    let m = model();
    let f64_run = pure(&CpuEngine::new(Precision::F64), &m);
    let f32_run = pure(&CpuEngine::new(Precision::F32), &m);
    assert_ne!(bits(&f64_run.blocks[..1]), bits(&f32_run.blocks[..1]));
    let k = 3;
    let primary = FailAtChunk::new(CpuEngine::new(Precision::F64), k);
    let (got, r, _) = with_fallback(&primary, &CpuEngine::new(Precision::F32), &m);
    assert_eq!(r.unwrap().unwrap().at_path, 120);
    let k = k as usize;
    assert_eq!(bits(&got.blocks[..k]), bits(&f64_run.blocks[..k]));
    assert_eq!(bits(&got.blocks[k..]), bits(&f32_run.blocks[k..]));
}

#[test]
fn no_failure_means_no_fallback() {
    let m = model();
    let primary = FailAtChunk::new(CpuEngine::new(Precision::F32), 8); // past the last chunk
    let fallback = FailAtChunk::new(CpuEngine::new(Precision::F32), u32::MAX);
    let (got, r, notices) = with_fallback(&primary, &fallback, &m);
    assert_eq!(r.unwrap(), None);
    assert_eq!((notices, fallback.calls()), (0, 0));
    assert_eq!(got.agg, pure(&CpuEngine::new(Precision::F32), &m).agg);
}

#[test]
fn a_failing_fallback_ends_the_run_with_its_error() {
    let m = model();
    let primary = FailAtChunk::new(CpuEngine::new(Precision::F32), 2);
    let fallback = FailAtChunk::new(CpuEngine::new(Precision::F32), 1);
    let (got, r, notices) = with_fallback(&primary, &fallback, &m);
    assert!(matches!(r, Err(EngineError::Device(_))), "{r:?}");
    assert_eq!(notices, 1);
    // Chunks 0, 1 (primary) and 2 (fallback) reached the sink; nothing after the failure.
    assert_eq!(got.blocks.len(), 3);
}

/// An engine whose outputs are all NaN: a model bug, which must stop the run rather than be
/// hidden by a fallback.
struct NanEngine;

impl Engine for NanEngine {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            backend: "nan".into(),
            adapter: String::new(),
            driver: String::new(),
            precision: Precision::F32,
        }
    }
    fn simulate(&self, m: &FlatModel, first: u32, n: u32) -> Result<PathBlock, EngineError> {
        let mut b = PathBlock::zeroed(first, n, m.run.n_options);
        b.values.fill(f64::NAN);
        Ok(b)
    }
}

#[test]
fn non_finite_outputs_are_not_a_reason_to_fall_back() {
    let m = model();
    let (got, r, notices) = with_fallback(&NanEngine, &CpuEngine::new(Precision::F32), &m);
    assert!(matches!(r, Err(EngineError::NonFinite { .. })), "{r:?}");
    assert_eq!(notices, 0);
    assert!(got.blocks.is_empty());
}

/// An engine that returns one path too few: broken, so its block must not be aggregated.
struct ShortEngine;

impl Engine for ShortEngine {
    fn info(&self) -> EngineInfo {
        NanEngine.info()
    }
    fn simulate(&self, m: &FlatModel, first: u32, n: u32) -> Result<PathBlock, EngineError> {
        CpuEngine::new(Precision::F32).simulate(m, first, n - 1)
    }
}

#[test]
fn a_block_of_the_wrong_shape_is_an_engine_failure() {
    let m = model();
    let e = run_paths(&ShortEngine, &m, PATHS, CHUNK, |_| {}, |_| {}).unwrap_err();
    assert!(e.to_string().contains("this is a bug"), "{e}");
    // A bug, not a device failure: the fallback must not hide it.
    let (got, r, notices) = with_fallback(&ShortEngine, &CpuEngine::new(Precision::F32), &m);
    assert!(matches!(r, Err(EngineError::Bug(_))), "{r:?}");
    assert_eq!(notices, 0);
    assert!(got.blocks.is_empty());
}
