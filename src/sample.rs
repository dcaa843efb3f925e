//! (in progress)
// TEMPORARY stand-ins so the model compiles until the samplers branch lands.
use crate::model::params::DistSpec;
use crate::real::Real;
use crate::rng::DayStream;
/// stand-in
pub fn sample_dist<F: Real>(d: &DistSpec, u: F, _t: &[f32]) -> F { let _ = u; F::from_f32(d.p[0]) }
/// stand-in
pub fn poisson<F: Real>(mean: F, s: &mut DayStream) -> u32 { if mean <= F::c(0.0) {0} else { let _ = s.next_u32(); 0 } }
/// stand-in
pub fn binomial<F: Real>(_n: u32, _p: F, _s: &mut DayStream) -> u32 { 0 }
/// stand-in
pub fn norm_inv_cdf<F: Real>(u: F) -> F { u }
/// stand-in
pub fn norm_cdf<F: Real>(x: F) -> F { x }
