//! Many sweep points in one GPU dispatch: `GpuEngine::simulate_points` over variants of one
//! scenario that differ in prices, spares, failure classes and quantile tables gives, point by
//! point, the blocks of separate `simulate` calls on the same device, bit for bit, whatever the
//! shape (points not dividing a dispatch, one point, fewer paths than a workgroup, no paths,
//! horizons split into windows, a driver loop limit on a model built to exceed it). Small workloads (llvmpipe runs
//! about 0.75 M path-days/s); reported as ignored without an adapter.

use crate::common;

use fleetsim::config::overrides::synthetic_source;
use fleetsim::config::{BaseScenario, Override, flatten};
use fleetsim::engine::{Engine, PathBlock};
use fleetsim::gpu::GpuEngine;
use fleetsim::gpu::engine::MAX_CHUNK_PATHS;
use fleetsim::model::params::FlatModel;

use common::gpu::engine as gpu_engine;

/// The default scenario with structural changes: two of trn2's failure classes disabled (fewer
/// classes, fewer tables) and the B200 option replaced by H100 servers (other tables, other
/// fleet size).
fn restructured_base() -> BaseScenario {
    let text = include_str!("../configs/default.toml")
        .replace("hardware = \"b200-hgx\"", "hardware = \"h100\"")
        + "\n[options.trn2.failures.sdc]\nenabled = false\n[options.trn2.failures.hbm]\nenabled = false\n";
    BaseScenario::from_str(&text, "restructured.toml").expect("valid restructured scenario")
}

/// Variants of one scenario (2 options, `years` years): electricity prices, spares (fleet
/// sizes change with them under the capital budget), and the restructured base; each with its
/// own seed.
fn variants(years: f64) -> Vec<FlatModel> {
    let src = synthetic_source("gpu_points");
    let default = BaseScenario::builtin_default();
    let restructured = restructured_base();
    let h = |v: f64| Override::number("scenario.horizon_years", v, &src, 0);
    let n = |path: &str, v: f64| Override::number(path, v, &src, 0);
    let sets: Vec<(&BaseScenario, Vec<Override>)> = vec![
        (&default, vec![h(years), n("environment.usd_per_kwh", 0.05)]),
        (
            &default,
            vec![
                h(years),
                n("options.trn2.spare_nodes", 0.0),
                n("options.b200.spare_nodes", 60.0),
            ],
        ),
        (&restructured, vec![h(years)]),
        (
            &default,
            vec![
                h(years),
                n("environment.usd_per_kwh", 0.2),
                n("options.trn2.spare_nodes", 40.0),
            ],
        ),
        (
            &restructured,
            vec![h(years), n("options.trn2.spare_nodes", 3.0)],
        ),
    ];
    sets.iter()
        .enumerate()
        .map(|(i, (base, ov))| flatten(&base.with(ov).expect("valid variant"), 100 + i as u64))
        .collect()
}

fn same_bits(a: &PathBlock, b: &PathBlock) -> bool {
    a.first_path == b.first_path
        && a.n_paths == b.n_paths
        && a.n_options == b.n_options
        && a.values.len() == b.values.len()
        && a.values
            .iter()
            .zip(&b.values)
            .all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Packs `models` into one call and checks each block against a separate `simulate` on
/// `alone` (the same device).
fn packed_equals_separate(
    what: &str,
    gpu: &GpuEngine,
    alone: &GpuEngine,
    models: &[FlatModel],
    first: u32,
    n: u32,
) {
    let refs: Vec<&FlatModel> = models.iter().collect();
    let packed = gpu
        .simulate_points(&refs, first, n)
        .expect("packed GPU run");
    assert_eq!(packed.len(), models.len(), "{what}: one block per point");
    for (p, (m, b)) in models.iter().zip(&packed).enumerate() {
        let single = alone.simulate(m, first, n).expect("single GPU run");
        assert!(
            same_bits(b, &single),
            "{what}: point {p} differs from its own run"
        );
    }
}

pub fn packed_points_equal_separate_runs_bit_for_bit() {
    let Some(gpu) = gpu_engine("packed_points_equal_separate_runs_bit_for_bit") else {
        return;
    };
    let ms = variants(1.0);
    // The variants really differ in structure: fleet sizes, class counts and table sizes.
    let nodes: Vec<u32> = ms.iter().map(|m| m.options[1].nodes).collect();
    let classes: Vec<u32> = ms.iter().map(|m| m.options[0].n_classes).collect();
    let tables: Vec<usize> = ms.iter().map(|m| m.table.len()).collect();
    assert!(
        nodes.iter().any(|&x| x != nodes[0]),
        "fleet sizes {nodes:?}"
    );
    assert!(
        classes.iter().any(|&x| x != classes[0]),
        "classes {classes:?}"
    );
    assert!(tables.iter().any(|&x| x != tables[0]), "tables {tables:?}");
    // 301 paths x 2 options per point: no dispatch size divides a point's invocations, so
    // dispatches start and end inside points.
    packed_equals_separate("5 points x 301 paths", &gpu, &gpu, &ms, 17, 301);
    // Different points packed together next (the resident buffers are reused or regrown).
    let rev: Vec<FlatModel> = ms.iter().rev().cloned().collect();
    packed_equals_separate("the same points reversed", &gpu, &gpu, &rev, 0, 64);
}

pub fn odd_shapes_pack_correctly() {
    let Some(gpu) = gpu_engine("odd_shapes_pack_correctly") else {
        return;
    };
    let ms = variants(1.0);
    // One point: the single-model case of the same path.
    packed_equals_separate("one point", &gpu, &gpu, &ms[2..3], 40, 50);
    // Fewer invocations than one workgroup (64).
    packed_equals_separate("3 points x 5 paths", &gpu, &gpu, &ms[..3], 1000, 5);
    // No paths: empty blocks of the right shape; no points: no blocks.
    let refs: Vec<&FlatModel> = ms.iter().collect();
    let empty = gpu.simulate_points(&refs, 9, 0).expect("no paths");
    assert_eq!(empty.len(), ms.len());
    assert!(empty.iter().all(|b| b.n_paths == 0 && b.values.is_empty()));
    assert!(
        gpu.simulate_points(&[], 0, 10)
            .expect("no points")
            .is_empty()
    );
}

pub fn points_of_different_shapes_are_refused() {
    let Some(gpu) = gpu_engine("points_of_different_shapes_are_refused") else {
        return;
    };
    let ms = variants(1.0);
    let mut longer = ms[0].clone();
    longer.run.horizon_days += 1;
    let e = gpu
        .simulate_points(&[&ms[0], &longer], 0, 4)
        .expect_err("mixed horizons");
    assert!(e.to_string().contains("variants of one scenario"), "{e}");
}

/// Windows of 100 days (4 dispatches per block of the 1-year horizon, state carried between
/// them) with several points per dispatch give the blocks of whole-year single runs.
pub fn windows_with_several_points_do_not_change_results() {
    let Some(gpu) = gpu_engine("windows_with_several_points_do_not_change_results") else {
        return;
    };
    let ms = variants(1.0);
    let yearly = gpu_engine("windows_with_several_points_do_not_change_results")
        .expect("device")
        .with_window_days(365);
    let windowed = gpu.with_window_days(100);
    packed_equals_separate("100-day windows", &windowed, &yearly, &ms, 3, 70);
    assert_eq!(windowed.window_days(), 100);
}

/// A whole horizon per dispatch with two points of `common::loop_heavy_model` (per-failure
/// draws alone need about 8x llvmpipe's loop limit, so the cut does not depend on the kernel's
/// own loop count): the probe reports it, the engine halves the window and reruns the group;
/// the blocks are those of 30-day single runs. On hardware the single dispatch simply succeeds.
pub fn a_loop_limit_with_several_points_shrinks_the_window() {
    let Some(gpu) = gpu_engine("a_loop_limit_with_several_points_shrinks_the_window") else {
        return;
    };
    let ms = vec![
        common::loop_heavy_model(1, 0.3),
        common::loop_heavy_model(2, 0.25),
    ];
    let short = gpu_engine("a_loop_limit_with_several_points_shrinks_the_window")
        .expect("device")
        .with_window_days(30);
    let whole = gpu.with_window_days(0);
    packed_equals_separate("whole horizon", &whole, &short, &ms, 0, 6);
    let w = whole.window_days();
    if whole.context().adapter.software {
        assert!(w > 0 && w < ms[0].run.horizon_days, "window {w}");
    }
}

/// Points per call fill a chunk: many for few paths, one when a point's paths fill a chunk,
/// never more than there are points.
pub fn points_per_call_fills_a_chunk() {
    let Some(gpu) = gpu_engine("points_per_call_fills_a_chunk") else {
        return;
    };
    let chunk = gpu.chunk_paths(fleetsim::model::params::MAX_OPTIONS as u32);
    assert!(chunk <= MAX_CHUNK_PATHS);
    assert_eq!(gpu.points_per_call(100, chunk), 1);
    assert_eq!(gpu.points_per_call(100, chunk * 3), 1);
    assert_eq!(gpu.points_per_call(3, 10), 3);
    let k = gpu.points_per_call(100_000, 1000);
    assert!(k > 1, "1,000-path points are packed ({k} per call)");
    assert!(
        k as u64 * 1000 <= chunk as u64,
        "a call holds at most a chunk"
    );
    assert!(gpu.points_per_call(100_000, 1000 + chunk / 2) == 1);
}
