// High 32 bits of a * b with one native 32x32->64 multiply (u64: wgpu's SHADER_INT64, naga
// capability SHADER_INT64; src/gpu/shaders.rs, `Philox::Native64`). Exact, like the 16-bit
// limbs of mulhi_limbs.wgsl that it replaces; used by philox.wgsl.
fn mulhi(a: u32, b: u32) -> u32 {
    return u32((u64(a) * u64(b)) >> 32u);
}
