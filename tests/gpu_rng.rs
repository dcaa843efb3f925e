//! The GPU's Philox stream is the CPU's, bit for bit, with each Philox variant the device can
//! compile (16-bit limbs everywhere; the native 64-bit multiply where the device has
//! SHADER_INT64, which lavapipe has, so CI tests both): the Random123 known answers, a large set
//! of random and edge-valued (counter, key) pairs, and counters laid out as the simulation
//! uses them ([path, day, block, stream], `DayStream`). Reported as ignored without a GPU adapter unless
//! FLEETSIM_REQUIRE_GPU=1.

use crate::common;

use fleetsim::gpu::GpuContext;
use fleetsim::gpu::context::PHILOX_ENV;
use fleetsim::gpu::rng_check::{philox_blocks, philox_blocks_split, philox_blocks_with};
use fleetsim::gpu::shaders::Philox;
use fleetsim::model::philox::{DAY_INIT, DayStream, philox4x32_10, seed_key};

/// Random123 kat_vectors for philox4x32_10: (counter, key, expected).
const KATS: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
    (
        [0; 4],
        [0; 2],
        [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
    ),
    (
        [u32::MAX; 4],
        [u32::MAX; 2],
        [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    ),
    (
        [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
        [0xa4093822, 0x299f31d0],
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ),
];

/// SplitMix64: a small deterministic generator for test inputs.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A u32 word: usually random, one time in four an edge value.
    fn word(&mut self) -> u32 {
        const EDGES: [u32; 6] = [0, 1, u32::MAX, DAY_INIT, 0x8000_0000, 0xFFFF];
        let r = self.next();
        if r.is_multiple_of(4) {
            EDGES[(r >> 8) as usize % EDGES.len()]
        } else {
            (r >> 32) as u32
        }
    }
}

/// The Philox variants the test device compiles, said on stderr.
fn variants(ctx: &GpuContext, test: &str) -> Vec<Philox> {
    let v = ctx.philox_variants();
    let names: Vec<&str> = v.iter().map(|p| p.name()).collect();
    eprintln!(
        "{test}: Philox variants {names:?} (default {})",
        ctx.philox.name()
    );
    v
}

/// Compares GPU and CPU blocks and reports the first mismatches with their inputs.
fn assert_same(ctrs: &[[u32; 4]], keys: &[[u32; 2]], gpu: &[[u32; 4]]) {
    assert_eq!(gpu.len(), ctrs.len());
    let bad: Vec<String> = (0..ctrs.len())
        .filter(|&i| gpu[i] != philox4x32_10(ctrs[i], keys[i]))
        .take(5)
        .map(|i| {
            format!(
                "ctr {:08x?} key {:08x?}: gpu {:08x?} cpu {:08x?}",
                ctrs[i],
                keys[i],
                gpu[i],
                philox4x32_10(ctrs[i], keys[i])
            )
        })
        .collect();
    assert!(
        bad.is_empty(),
        "GPU and CPU Philox differ:\n{}",
        bad.join("\n")
    );
}

pub fn known_answers() {
    let Some(ctx) = common::gpu::context() else {
        return;
    };
    let ctrs: Vec<_> = KATS.iter().map(|k| k.0).collect();
    let keys: Vec<_> = KATS.iter().map(|k| k.1).collect();
    for v in variants(&ctx, "known_answers") {
        let got = philox_blocks_with(&ctx, v, &ctrs, &keys).unwrap();
        for (k, g) in KATS.iter().zip(&got) {
            assert_eq!(*g, k.2, "{}: ctr {:08x?} key {:08x?}", v.name(), k.0, k.1);
        }
    }
}

/// Where the adapter offers SHADER_INT64 (lavapipe does), the device is opened with it and
/// its kernels use the native multiply, so the tests here run both variants; a variant the
/// device cannot compile is refused as a caller's error, not compiled.
pub fn both_philox_variants_run_where_the_adapter_offers_int64() {
    let Some(ctx) = common::gpu::context() else {
        return;
    };
    let v = variants(&ctx, "both_philox_variants");
    assert_eq!(v[0], Philox::Limbs16, "the fallback always compiles");
    let forced = std::env::var(PHILOX_ENV).unwrap_or_default();
    let lavapipe = ctx.adapter.software && ctx.adapter.backend == "vulkan";
    if lavapipe && forced.trim().is_empty() {
        assert_eq!(
            v,
            Philox::ALL,
            "lavapipe offers SHADER_INT64: both variants"
        );
    }
    let native = v.contains(&Philox::Native64);
    assert_eq!(
        ctx.philox == Philox::Native64,
        native && !forced.contains("limbs")
    );
    if !native {
        let e = philox_blocks_with(&ctx, Philox::Native64, &[[0; 4]], &[[0; 2]]).unwrap_err();
        assert!(e.is_bug(), "{e}");
    }
}

pub fn random_and_edge_pairs_match_the_cpu() {
    let Some(ctx) = common::gpu::context() else {
        return;
    };
    const N: usize = 131_072;
    let mut g = SplitMix(0x5EED);
    let mut ctrs: Vec<[u32; 4]> = (0..N)
        .map(|_| [g.word(), g.word(), g.word(), g.word()])
        .collect();
    let mut keys: Vec<[u32; 2]> = (0..N).map(|_| [g.word(), g.word()]).collect();
    // Every all-edge combination of the first counter word and both key words, exactly.
    let edges = [0, u32::MAX, DAY_INIT, 1];
    let mut i = 0;
    for &a in &edges {
        for &k0 in &edges {
            for &k1 in &edges {
                ctrs[i] = [a, DAY_INIT, 0, a];
                keys[i] = [k0, k1];
                i += 1;
            }
        }
    }
    let edge_words = ctrs.iter().flatten().filter(|&&w| w == u32::MAX).count();
    assert!(edge_words > N / 20, "edge values are well represented");
    for v in variants(&ctx, "random_and_edge_pairs") {
        let got = philox_blocks_with(&ctx, v, &ctrs, &keys).unwrap();
        assert_same(&ctrs, &keys, &got);
    }
}

pub fn day_streams_match_the_cpu_draw_for_draw() {
    let Some(ctx) = common::gpu::context() else {
        return;
    };
    // Counters as the simulation builds them: [path, day, block, stream], days including the
    // once-per-path DAY_INIT, a few streams (environment and options), a few blocks each.
    let key = seed_key(0x0123_4567_89AB_CDEF);
    let paths = [0u32, 1, 2, 63, 64, 65, 1_000, 65_535, 1_000_000, u32::MAX];
    let days = [0u32, 1, 364, 365, 1_824, DAY_INIT];
    let streams = [0u32, 1, 2, 3];
    const BLOCKS: u32 = 8;
    let mut ctrs = vec![];
    for &p in &paths {
        for &d in &days {
            for &s in &streams {
                for b in 0..BLOCKS {
                    ctrs.push([p, d, b, s]);
                }
            }
        }
    }
    let keys = vec![key; ctrs.len()];
    let all: Vec<_> = variants(&ctx, "day_streams")
        .into_iter()
        .map(|v| philox_blocks_with(&ctx, v, &ctrs, &keys).unwrap())
        .collect();
    for got in &all {
        assert_same(&ctrs, &keys, got);
    }
    let got = &all[0];
    // The GPU blocks of one (path, day, stream), read lane by lane, are its DayStream.
    let mut k = 0;
    for &p in &paths {
        for &d in &days {
            for &s in &streams {
                let mut ds = DayStream::new(key, p, d, s);
                for _ in 0..BLOCKS {
                    for word in got[k] {
                        assert_eq!(word, ds.next_u32(), "path {p} day {d} stream {s}");
                    }
                    k += 1;
                }
            }
        }
    }
    assert_eq!(k, got.len());
}

pub fn split_dispatches_give_the_same_blocks() {
    let Some(ctx) = common::gpu::context() else {
        return;
    };
    // 10,000 blocks in dispatches of 1,000 (not a multiple of the workgroup size) and of 64.
    let mut g = SplitMix(7);
    let ctrs: Vec<[u32; 4]> = (0..10_000)
        .map(|_| [g.word(), g.word(), g.word(), g.word()])
        .collect();
    let keys: Vec<[u32; 2]> = (0..10_000).map(|_| [g.word(), g.word()]).collect();
    for v in variants(&ctx, "split_dispatches") {
        for max in [1_000, 64] {
            let got = philox_blocks_split(&ctx, v, &ctrs, &keys, max).unwrap();
            assert_same(&ctrs, &keys, &got);
        }
    }
    assert!(philox_blocks(&ctx, &[], &[]).unwrap().is_empty());
    assert!(philox_blocks(&ctx, &ctrs[..2], &keys[..1]).is_err());
}

/// The simulate kernel compiled with each Philox variant gives the same outputs bit for bit
/// (the blocks are identical, so every draw is): the default comparison over one year, with
/// its monthly series, on 128 paths.
pub fn the_simulate_kernel_gives_the_same_bits_with_either_philox() {
    let Some(ctx) = common::gpu::context() else {
        return;
    };
    let v = variants(&ctx, "simulate_same_bits");
    if v.len() < 2 {
        eprintln!(
            "the_simulate_kernel_gives_the_same_bits_with_either_philox: one variant only, nothing to compare"
        );
        return;
    }
    let mut s = fleetsim::config::default_scenario();
    s.horizon_years = 1;
    let mut m = fleetsim::config::flatten(&s, 77);
    m.run.n_months = fleetsim::model::fleet_step::n_months(m.run.horizon_days);
    let runs: Vec<_> = v
        .iter()
        .map(|&p| {
            let e = fleetsim::gpu::GpuEngine::with_philox(ctx.clone(), p).expect("compiles");
            assert_eq!(e.philox(), p);
            fleetsim::engine::Engine::simulate(&e, &m, 40, 128).expect("GPU run")
        })
        .collect();
    let (a, b) = (&runs[0], &runs[1]);
    assert!(!a.monthly.is_empty());
    for (what, x, y) in [
        ("values", &a.values, &b.values),
        ("monthly", &a.monthly, &b.monthly),
    ] {
        assert_eq!(x.len(), y.len());
        let differ = x
            .iter()
            .zip(y.iter())
            .filter(|(p, q)| p.to_bits() != q.to_bits())
            .count();
        assert_eq!(
            differ,
            0,
            "{what}: {differ} of {} outputs differ between limbs16 and native64",
            x.len()
        );
    }
}
