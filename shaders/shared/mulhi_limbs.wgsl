// High 32 bits of a * b from 16-bit limbs, in core WGSL (no 64-bit integers): exact. The
// fallback of mulhi_u64.wgsl (src/gpu/shaders.rs, `Philox::Limbs16`); used by philox.wgsl.
fn mulhi(a: u32, b: u32) -> u32 {
    let al = a & 0xFFFFu;
    let ah = a >> 16u;
    let bl = b & 0xFFFFu;
    let bh = b >> 16u;
    let ll = al * bl;
    let hl = ah * bl;
    let lh = al * bh;
    let hh = ah * bh;
    let mid = (ll >> 16u) + (hl & 0xFFFFu) + (lh & 0xFFFFu);
    return hh + (hl >> 16u) + (lh >> 16u) + (mid >> 16u);
}
