//! The RNG-only ceiling on the CPU, and the CPU twin of `shaders/rng_throughput.wgsl`: the XOR
//! of consecutive Philox blocks, which the GPU kernel computes per invocation and the CPU
//! computes here on every core. Blocks per second of this loop bound how fast any engine that
//! draws the model's blocks could run on the same device.

use rayon::prelude::*;

use crate::model::philox::philox4x32_10;

/// XOR of the words of blocks `[inv, day, b, stream]`, `b` in `0 .. blocks`, under `key`:
/// what invocation `inv` of the throughput kernel writes.
pub fn xor_blocks(key: [u32; 2], inv: u32, day: u32, stream: u32, blocks: u32) -> u32 {
    let mut acc = 0u32;
    for b in 0..blocks {
        let r = philox4x32_10([inv, day, b, stream], key);
        acc ^= r[0] ^ r[1] ^ r[2] ^ r[3];
    }
    acc
}

/// [`xor_blocks`] for invocations `first .. first + count` on all cores (rayon), folded into
/// one word so nothing is optimised away.
pub fn xor_blocks_parallel(key: [u32; 2], first: u32, count: u32, blocks: u32) -> u32 {
    (first..first.wrapping_add(count))
        .into_par_iter()
        .map(|i| xor_blocks(key, i, 0, 0, blocks))
        .reduce(|| 0, |a, b| a ^ b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_of_blocks_matches_the_blocks() {
        let key = [7, 9];
        let mut want = 0;
        for b in 0..3 {
            let r = philox4x32_10([5, 1, b, 2], key);
            want ^= r[0] ^ r[1] ^ r[2] ^ r[3];
        }
        assert_eq!(xor_blocks(key, 5, 1, 2, 3), want);
        assert_eq!(xor_blocks(key, 5, 1, 2, 0), 0);
        let par = xor_blocks_parallel(key, 10, 5, 4);
        let seq = (10..15).fold(0, |a, i| a ^ xor_blocks(key, i, 0, 0, 4));
        assert_eq!(par, seq);
    }
}
