//! The floating-point type the model computes in: `f32` (what the GPU kernel uses) or `f64`
//! (the reference mode that measures f32 error). One generic step function serves both.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// Arithmetic the model needs, implemented for `f32` and `f64` only.
///
/// Kept deliberately small: every method here must have a WGSL counterpart with the same
/// meaning, so that the CPU engine in `f32` follows the kernel's operation order.
pub trait Real:
    Copy
    + Debug
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
{
    /// Converts a host constant (always written as `f64`) into this type.
    fn c(x: f64) -> Self;
    /// Converts a parameter stored as `f32` in the flat structs.
    fn from_f32(x: f32) -> Self;
    /// Converts an unsigned count.
    fn from_u32(x: u32) -> Self;
    /// Widens to `f64` for host-side aggregation.
    fn to_f64(self) -> f64;
    /// Truncates toward zero into a count; negative values and NaN give 0 (like WGSL `u32(x)`
    /// after `max(x, 0)`).
    fn to_u32_sat(self) -> u32;
    /// Natural exponential.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Largest integer not greater than `self`.
    fn floor(self) -> Self;
    /// Smallest integer not less than `self`.
    fn ceil(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `self` raised to `p`.
    fn powf(self, p: Self) -> Self;
    /// Minimum (WGSL `min`).
    fn min(self, o: Self) -> Self;
    /// Maximum (WGSL `max`).
    fn max(self, o: Self) -> Self;
    /// Clamps into `[lo, hi]` (WGSL `clamp`).
    fn clamp(self, lo: Self, hi: Self) -> Self {
        self.max(lo).min(hi)
    }
    /// True for finite values.
    fn is_finite(self) -> bool;
}

macro_rules! impl_real {
    ($t:ty) => {
        impl Real for $t {
            #[inline(always)]
            fn c(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn from_f32(x: f32) -> Self {
                x as $t
            }
            #[inline(always)]
            fn from_u32(x: u32) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn to_u32_sat(self) -> u32 {
                // `as` saturates and maps NaN to 0, matching the documented WGSL idiom.
                self as u32
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn floor(self) -> Self {
                <$t>::floor(self)
            }
            #[inline(always)]
            fn ceil(self) -> Self {
                <$t>::ceil(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn powf(self, p: Self) -> Self {
                <$t>::powf(self, p)
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                <$t>::min(self, o)
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                <$t>::max(self, o)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}
impl_real!(f32);
impl_real!(f64);
