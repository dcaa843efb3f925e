//! Philox4x32-10, the one source of randomness, and the counter layout that makes a path's
//! draws depend only on (seed, path, day, stream). Rust twin of `shaders/shared/philox.wgsl`.
//!
//! Counter words: `[path, day, block, stream]`; key: the run seed's two halves. `stream` 0 is
//! the environment (shared by all options: common random numbers), `1 + o` is option `o`'s
//! hardware. `day` is the simulated day, or [`DAY_INIT`] for the draws made once per path
//! (sampled inputs). Within one (path, day, stream) the draws are consumed in order through a
//! [`DayStream`], four lanes per Philox block.

/// Philox multiplier for lane 0.
pub const M0: u32 = 0xD251_1F53;
/// Philox multiplier for lane 2.
pub const M1: u32 = 0xCD9E_8D57;
/// Weyl key bump for key word 0.
pub const W0: u32 = 0x9E37_79B9;
/// Weyl key bump for key word 1.
pub const W1: u32 = 0xBB67_AE85;

/// The `day` counter word used for the once-per-path draws of sampled inputs.
pub const DAY_INIT: u32 = 0xFFFF_FFFF;
/// The `stream` counter word of the environment (shared between options).
pub const STREAM_ENV: u32 = 0;

/// High and low 32 bits of a 32x32 product, the only wide operation Philox needs.
/// (WGSL emulates the high word with 16-bit limbs; here the native 64-bit product is used.)
#[inline(always)]
pub fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = (a as u64) * (b as u64);
    ((p >> 32) as u32, p as u32)
}

/// One Philox4x32-10 block: 128-bit counter and 64-bit key to four uniform u32 words.
#[inline(always)]
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = ctr;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let (hi0, lo0) = mulhilo(M0, c[0]);
        let (hi1, lo1) = mulhilo(M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// Splits a 64-bit run seed into the Philox key.
pub fn seed_key(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// A sequential source of u32 draws for one (path, day, stream): block `b` of the counter is
/// `[path, day, b, stream]`, and its four lanes are handed out in order.
///
/// The GPU kernel holds the same five words in registers and refills the same way, so any
/// sampler that consumes draws in the same order sees the same numbers on both engines.
#[derive(Clone, Debug)]
pub struct DayStream {
    key: [u32; 2],
    ctr: [u32; 4],
    buf: [u32; 4],
    lane: u32,
}

impl DayStream {
    /// Starts the stream for `(path, day, stream)` at block 0.
    #[inline(always)]
    pub fn new(key: [u32; 2], path: u32, day: u32, stream: u32) -> Self {
        DayStream {
            key,
            ctr: [path, day, 0, stream],
            buf: [0; 4],
            lane: 4,
        }
    }

    /// The next raw u32 draw.
    #[inline(always)]
    pub fn next_u32(&mut self) -> u32 {
        if self.lane == 4 {
            count_block();
            self.buf = philox4x32_10(self.ctr, self.key);
            self.ctr[2] = self.ctr[2].wrapping_add(1);
            self.lane = 0;
        }
        let x = self.buf[self.lane as usize];
        self.lane += 1;
        x
    }

    /// The next draw as a uniform in the open interval (0, 1); see [`u01`].
    #[inline(always)]
    pub fn next_u01<F: crate::model::real::Real>(&mut self) -> F {
        u01(self.next_u32())
    }
}

thread_local! {
    /// Philox blocks generated through [`DayStream`] on this thread since it started.
    static BLOCKS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts one block on this thread: a thread-local add (no atomics, no branch), so the
/// count is always on; `fleetsim bench` reads it to know how many blocks a path-day consumes.
#[inline(always)]
fn count_block() {
    BLOCKS.with(|b| b.set(b.get().wrapping_add(1)));
}

/// Philox blocks [`DayStream`]s have generated on the calling thread so far (the difference
/// around a single-threaded `simulate_path` call is what that path consumed).
pub fn blocks_on_this_thread() -> u64 {
    BLOCKS.with(|b| b.get())
}

/// Maps a u32 to a uniform in the open interval (0, 1): `((x >> 9) + 0.5) * 2^-23`, i.e. the
/// midpoints of 2^23 equal cells, in `[2^-24, 1 - 2^-24]`. Every value has at most 24
/// significant bits, so it is exact in f32 and f64 alike (both precisions and the GPU see the
/// same number), and it is never 0 or 1, so `ln(u)` and the inverse normal CDF stay finite.
#[inline(always)]
pub fn u01<F: crate::model::real::Real>(x: u32) -> F {
    // Every step is exact in f32 (x >> 9 < 2^23), so computing in F gives the same value.
    (F::from_u32(x >> 9) + F::c(0.5)) * F::c(1.0 / 8_388_608.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known-answer vectors from Random123's kat_vectors (philox4x32_10).
    #[test]
    fn philox_known_answers() {
        assert_eq!(
            philox4x32_10([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn day_stream_consumes_blocks_in_order() {
        let key = seed_key(0x1234_5678_9abc_def0);
        let mut s = DayStream::new(key, 7, 3, 1);
        let got: Vec<u32> = (0..8).map(|_| s.next_u32()).collect();
        let b0 = philox4x32_10([7, 3, 0, 1], key);
        let b1 = philox4x32_10([7, 3, 1, 1], key);
        assert_eq!(&got[..4], &b0);
        assert_eq!(&got[4..], &b1);
    }

    #[test]
    fn block_counter_counts_refills_only() {
        let key = seed_key(9);
        let mut s = DayStream::new(key, 1, 2, 3);
        let before = blocks_on_this_thread();
        for _ in 0..9 {
            s.next_u32();
        }
        // Nine draws: lanes 0-3 of block 0, 0-3 of block 1, lane 0 of block 2.
        assert_eq!(blocks_on_this_thread() - before, 3);
    }

    #[test]
    fn u01_is_open_and_identical_in_both_precisions() {
        for x in [0u32, 1, 255, 256, u32::MAX, 0x8000_0000] {
            let a: f32 = u01(x);
            let b: f64 = u01(x);
            assert!(a > 0.0 && a < 1.0);
            assert_eq!(a as f64, b);
        }
    }
}
