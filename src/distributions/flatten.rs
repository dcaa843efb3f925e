//! Flattening a config [`Dist`] into the [`DistSpec`] the engines sample: per-path inputs
//! ([`Dist::to_spec`]) and per-event durations as mean-preserving quantile tables
//! ([`Dist::to_event_spec`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::special::phi;
use super::{Dist, EVENT_TABLE_INTERVALS, PERT_TABLE_INTERVALS, Z90};
use crate::model::params::{DistSpec, kind};

/// A flattened distribution with its table (offsets relative to the table's start).
type Flattened = Arc<(DistSpec, Vec<f32>)>;

/// Tables built so far, keyed by everything that determines them. A PERT input table costs
/// ~255 beta quantiles and a PERT event table ~1,500 (tens of milliseconds together), and a
/// sweep or a tornado flattens the same distributions for every point.
static TABLES: OnceLock<Mutex<HashMap<String, Flattened>>> = OnceLock::new();

/// Entries kept before the cache starts over (a few MB at most).
const TABLE_CACHE_ENTRIES: usize = 4096;

/// `build` into a fresh table, memoised under `key`; appends the table to `table` and
/// rebases the spec's table offset. The result is the same as calling `build(table)`.
fn memoised(
    key: String,
    table: &mut Vec<f32>,
    build: impl FnOnce(&mut Vec<f32>) -> DistSpec,
) -> DistSpec {
    let cache = TABLES.get_or_init(Default::default);
    let hit = cache.lock().ok().and_then(|c| c.get(&key).cloned());
    let entry = hit.unwrap_or_else(|| {
        let mut own = Vec::new();
        let spec = build(&mut own);
        let e = Arc::new((spec, own));
        if let Ok(mut c) = cache.lock() {
            if c.len() >= TABLE_CACHE_ENTRIES {
                c.clear();
            }
            c.insert(key, e.clone());
        }
        e
    });
    let (mut spec, own) = (entry.0, &entry.1);
    if !own.is_empty() {
        spec.aux += table.len() as u32;
        table.extend_from_slice(own);
    }
    spec
}

impl Dist {
    /// Flattens into the [`DistSpec`] the engines sample (see `crate::model::sample::sample_dist`),
    /// appending any table it needs to `table` (`FlatModel::table`). `lo`/`hi` are the
    /// field's allowed range, written into `DistSpec::lo/hi` as the clamp (rounded outward
    /// to f32, infinities mapped to the f32 extremes). Assumes [`Dist::check`] passed.
    ///
    /// * Degenerate distributions (see [`Dist::fixed_value`]) become [`kind::FIXED`].
    /// * Uniform: `p = [lo, hi, 0, 0]`.
    /// * Normal: `p = [mean, sd, Phi(a), Phi(b)]` with `a, b` the standardised truncation
    ///   bounds (0 and 1 when absent). When the truncation lies above the mean (`a > 0`) it is
    ///   stored mirrored, `p = [mean, -sd, Phi(-a), Phi(-b)]` (same sampler formula, still
    ///   increasing in `u`), so the tail probabilities sit near 0 where f32 resolves them. The
    ///   clamp range is also narrowed to the truncation bounds.
    /// * Lognormal: `p = [ln median, ln(p90 / median) / Z90, 0, 0]`.
    /// * Triangular: `p = [lo, mode, hi, (mode - lo) / (hi - lo)]`.
    /// * PERT: appends [`PERT_TABLE_INTERVALS`] + 1 quantiles (at `i / 256`, ends exactly `lo`
    ///   and `hi`) and emits [`kind::TABLE`] with `aux` = their offset, `p0 = 256`.
    /// * Discrete: sorts the values ascending (so the inverse CDF is monotone, which the copula
    ///   needs), drops zero weights, appends the normalised cumulative weights (last exactly
    ///   1.0) then the values, and emits [`kind::DISCRETE`] with `aux` = offset, `p0` = count.
    pub fn to_spec(&self, lo: f64, hi: f64, table: &mut Vec<f32>) -> DistSpec {
        if matches!(self, Dist::Pert { .. }) {
            let key = format!("input {self:?} {lo:?} {hi:?}");
            return memoised(key, table, |t| self.to_spec_uncached(lo, hi, t));
        }
        self.to_spec_uncached(lo, hi, table)
    }

    fn to_spec_uncached(&self, lo: f64, hi: f64, table: &mut Vec<f32>) -> DistSpec {
        let mut spec = DistSpec {
            kind: kind::FIXED,
            aux: 0,
            p: [0.0; 4],
            lo: f32_down(lo),
            hi: f32_up(hi),
        };
        if let Some(v) = self.fixed_value() {
            spec.p[0] = v as f32;
            return spec;
        }
        match self {
            Dist::Uniform { lo, hi } => {
                spec.kind = kind::UNIFORM;
                spec.p = [*lo as f32, *hi as f32, 0.0, 0.0];
            }
            Dist::Normal {
                mean,
                sd,
                lo: tlo,
                hi: thi,
            } => {
                spec.kind = kind::NORMAL;
                let (a, b) = self.normal_bounds();
                spec.p = if a > 0.0 {
                    [*mean as f32, -sd as f32, phi(-a) as f32, phi(-b) as f32]
                } else {
                    [*mean as f32, *sd as f32, phi(a) as f32, phi(b) as f32]
                };
                let nlo = tlo.map_or(spec.lo, |l| spec.lo.max(f32_down(l)));
                let nhi = thi.map_or(spec.hi, |h| spec.hi.min(f32_up(h)));
                if nlo <= nhi {
                    spec.lo = nlo;
                    spec.hi = nhi;
                }
            }
            Dist::Lognormal { median, p90 } => {
                spec.kind = kind::LOGNORMAL;
                spec.p = [
                    median.ln() as f32,
                    ((p90 / median).ln() / Z90) as f32,
                    0.0,
                    0.0,
                ];
            }
            Dist::Triangular { lo, mode, hi } => {
                spec.kind = kind::TRIANGULAR;
                let c = (mode - lo) / (hi - lo);
                spec.p = [*lo as f32, *mode as f32, *hi as f32, c as f32];
            }
            Dist::Pert { lo, hi, .. } => {
                spec.kind = kind::TABLE;
                spec.aux = table.len() as u32;
                spec.p[0] = PERT_TABLE_INTERVALS as f32;
                table.push(*lo as f32);
                for i in 1..PERT_TABLE_INTERVALS {
                    table.push(self.quantile(i as f64 / PERT_TABLE_INTERVALS as f64) as f32);
                }
                table.push(*hi as f32);
            }
            Dist::Discrete { .. } => {
                let pairs = self.discrete_pairs();
                spec.kind = kind::DISCRETE;
                spec.aux = table.len() as u32;
                spec.p[0] = pairs.len() as f32;
                let mut cum = 0.0;
                for (i, (_, w)) in pairs.iter().enumerate() {
                    cum += w;
                    table.push(if i + 1 == pairs.len() {
                        1.0
                    } else {
                        cum as f32
                    });
                }
                table.extend(pairs.iter().map(|(v, _)| *v as f32));
            }
            Dist::Fixed { .. } => unreachable!("handled by fixed_value"),
        }
        spec
    }

    /// Flattens a per-event distribution (drawn once per failure, RMA or outage, so thousands
    /// of times per path): normal, lognormal and PERT become a [`EVENT_TABLE_INTERVALS`]-interval
    /// quantile table ([`kind::TABLE`]), sampled by one lookup and a linear interpolation
    /// instead of an inverse normal CDF and an exponential; other kinds flatten as in
    /// [`Dist::to_spec`]. Inner nodes are the exact quantiles at `i / N`; the two end nodes are
    /// set so that each end interval has the distribution's exact conditional mean there, so
    /// the table keeps the distribution's mean (up to the clamp to `[lo, hi]` and the O(1/N^2)
    /// interpolation error inside intervals, bounded by a test).
    pub fn to_event_spec(&self, lo: f64, hi: f64, table: &mut Vec<f32>) -> DistSpec {
        if matches!(
            self,
            Dist::Normal { .. } | Dist::Lognormal { .. } | Dist::Pert { .. }
        ) {
            let key = format!("event {self:?} {lo:?} {hi:?}");
            return memoised(key, table, |t| self.to_event_spec_uncached(lo, hi, t));
        }
        self.to_event_spec_uncached(lo, hi, table)
    }

    fn to_event_spec_uncached(&self, lo: f64, hi: f64, table: &mut Vec<f32>) -> DistSpec {
        let n = EVENT_TABLE_INTERVALS;
        let tabulated = matches!(
            self,
            Dist::Normal { .. } | Dist::Lognormal { .. } | Dist::Pert { .. }
        );
        let ends = if tabulated && self.fixed_value().is_none() {
            self.tail_means(n)
        } else {
            None
        };
        let Some((head, tail)) = ends else {
            return self.to_spec(lo, hi, table);
        };
        let mut spec = self.to_spec(lo, hi, &mut Vec::new());
        spec.kind = kind::TABLE;
        spec.aux = table.len() as u32;
        spec.p = [n as f32, 0.0, 0.0, 0.0];
        let (clo, chi) = (spec.lo as f64, spec.hi as f64);
        let inner: Vec<f64> = (1..n).map(|i| self.quantile(i as f64 / n as f64)).collect();
        let first = 2.0 * head - inner[0];
        let last = 2.0 * tail - inner[n - 2];
        table.push(first.clamp(clo, chi) as f32);
        table.extend(inner.iter().map(|x| x.clamp(clo, chi) as f32));
        table.push(last.clamp(clo, chi) as f32);
        spec
    }

    /// Conditional means of the lowest and highest `1/n` of the distribution, `(E[X | U < 1/n],
    /// E[X | U > 1 - 1/n])`: closed forms for the lognormal and the untruncated normal,
    /// numerical integration of the quantile function otherwise (bounded supports only).
    fn tail_means(&self, n: usize) -> Option<(f64, f64)> {
        let p = 1.0 / n as f64;
        match self {
            Dist::Lognormal { median, p90 } => {
                let mu = median.ln();
                let s = (p90 / median).ln() / Z90;
                let m = (mu + 0.5 * s * s).exp();
                let zq_lo = -Self::std_normal_quantile(1.0 - p);
                let zq_hi = Self::std_normal_quantile(1.0 - p);
                // E[X 1{Z < z}] = m Phi(z - s); E[X 1{Z > z}] = m Phi(s - z).
                Some((m * phi(zq_lo - s) / p, m * phi(s - zq_hi) / p))
            }
            Dist::Normal {
                mean,
                sd,
                lo: None,
                hi: None,
            } => {
                let z = Self::std_normal_quantile(1.0 - p);
                let dens = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
                Some((mean - sd * dens / p, mean + sd * dens / p))
            }
            _ => {
                // Bounded support: midpoint rule on a fine grid inside each end interval.
                let k = 256;
                let avg = |a: f64| -> f64 {
                    (0..k)
                        .map(|j| self.quantile(a + p * (j as f64 + 0.5) / k as f64))
                        .sum::<f64>()
                        / k as f64
                };
                let (h, t) = (avg(0.0), avg(1.0 - p));
                (h.is_finite() && t.is_finite()).then_some((h, t))
            }
        }
    }

    /// The standard normal quantile, via the lognormal-free path of [`Dist::quantile`].
    fn std_normal_quantile(u: f64) -> f64 {
        Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            lo: None,
            hi: None,
        }
        .quantile(u)
    }
}

/// Rounds a lower clamp bound to f32 downward (never excluding an allowed value).
fn f32_down(x: f64) -> f32 {
    if x.is_nan() {
        return f32::MIN;
    }
    let c = x.clamp(f32::MIN as f64, f32::MAX as f64);
    let y = c as f32;
    if y as f64 > c { y.next_down() } else { y }
}

/// Rounds an upper clamp bound to f32 upward (never excluding an allowed value).
fn f32_up(x: f64) -> f32 {
    if x.is_nan() {
        return f32::MAX;
    }
    let c = x.clamp(f32::MIN as f64, f32::MAX as f64);
    let y = c as f32;
    if (y as f64) < c { y.next_up() } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memoised_tables_equal_fresh_ones_at_any_offset() {
        let dists = [
            Dist::Pert {
                lo: 1.0,
                mode: 2.0,
                hi: 7.0,
            },
            Dist::Lognormal {
                median: 3.0,
                p90: 9.0,
            },
            Dist::Normal {
                mean: 5.0,
                sd: 1.0,
                lo: Some(2.0),
                hi: None,
            },
        ];
        for d in &dists {
            for prefix in [0usize, 17] {
                let mut fresh = vec![-1.0f32; prefix];
                let want_in = d.to_spec_uncached(0.0, 100.0, &mut fresh);
                let want_ev = d.to_event_spec_uncached(0.0, 100.0, &mut fresh);
                // Twice: the first call fills the cache, the second reads it.
                for _ in 0..2 {
                    let mut t = vec![-1.0f32; prefix];
                    let got_in = d.to_spec(0.0, 100.0, &mut t);
                    let got_ev = d.to_event_spec(0.0, 100.0, &mut t);
                    assert_eq!((got_in, got_ev), (want_in, want_ev), "{d:?}");
                    assert_eq!(
                        t.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        fresh.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        "{d:?}"
                    );
                }
            }
        }
    }
}
