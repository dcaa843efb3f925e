// Philox4x32-10 and the per-(path, day, stream) draw sequence. Rust twin: src/model/philox.rs.
// The high word of the 32x32 product, `mulhi`, comes from one of two files assembled before
// this one (src/gpu/shaders.rs, `Philox`): mulhi_u64.wgsl, a native 64-bit multiply where the
// device has SHADER_INT64, else mulhi_limbs.wgsl, 16-bit limbs (core WGSL has no 64-bit
// integers). Both are exact, so the blocks are the same; the low word is the wrapping u32
// product.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;
// `day` counter word of the once-per-path draws (sampled inputs).
const DAY_INIT: u32 = 0xFFFFFFFFu;
// `stream` counter word of the environment (option o uses 1 + o).
const STREAM_ENV: u32 = 0u;

// One Philox4x32-10 block: 128-bit counter, 64-bit key -> four uniform u32 words.
fn philox4x32_10(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = ctr;
    var k = key;
    for (var round = 0u; round < 10u; round++) {
        if (round > 0u) {
            k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
        }
        let hi0 = mulhi(PHILOX_M0, c.x);
        let lo0 = PHILOX_M0 * c.x;
        let hi1 = mulhi(PHILOX_M1, c.z);
        let lo1 = PHILOX_M1 * c.z;
        c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

// Draws of one (path, day, stream): block b has counter [path, day, b, stream], its four
// lanes are handed out in order (same as `DayStream` in src/model/philox.rs).
struct DayStream {
    key: vec2<u32>,
    ctr: vec4<u32>,
    buf: vec4<u32>,
    lane: u32,
}

fn ds_new(key: vec2<u32>, path: u32, day: u32, stream: u32) -> DayStream {
    return DayStream(key, vec4<u32>(path, day, 0u, stream), vec4<u32>(0u), 4u);
}

fn ds_next_u32(s: ptr<function, DayStream>) -> u32 {
    if ((*s).lane == 4u) {
        (*s).buf = philox4x32_10((*s).ctr, (*s).key);
        (*s).ctr.z = (*s).ctr.z + 1u;
        (*s).lane = 0u;
    }
    let x = (*s).buf[(*s).lane];
    (*s).lane = (*s).lane + 1u;
    return x;
}

// Uniform in (0, 1): midpoints of 2^23 cells, exact in f32 (see `u01` in src/model/philox.rs).
fn u01(x: u32) -> f32 {
    return (f32(x >> 9u) + 0.5) * (1.0 / 8388608.0);
}

fn ds_next_u01(s: ptr<function, DayStream>) -> f32 {
    return u01(ds_next_u32(s));
}
