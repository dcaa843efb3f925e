//! Streaming, mergeable first and second moments (count, mean, M2, min, max): Welford's update
//! for one value and Chan et al.'s pairwise combination for merging shards.

use std::ops::AddAssign;

/// Count, mean, sum of squared deviations (M2), min and max of a stream of finite values.
///
/// Adding values one at a time uses Welford's update; `a += b` combines two streams with the
/// formula of Chan, Golub and LeVeque (1979), so shards merged in any grouping agree with one
/// pass to rounding (about 1e-15 relative for well-conditioned data). Callers must only add
/// finite values; [`super::MetricSummary`] filters undefined ones before they get here.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Moments {
    count: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Self::new()
    }
}

impl Moments {
    /// An empty accumulator.
    pub fn new() -> Self {
        Moments {
            count: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Adds one finite value (Welford's update).
    pub fn add(&mut self, x: f64) {
        debug_assert!(x.is_finite(), "Moments::add of non-finite {x}");
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// Number of values added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean, or `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    /// Sample variance (divisor n - 1), or `None` with fewer than two values.
    pub fn variance(&self) -> Option<f64> {
        (self.count > 1).then(|| (self.m2 / (self.count - 1) as f64).max(0.0))
    }

    /// Sample standard deviation (divisor n - 1), or `None` with fewer than two values.
    pub fn sd(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    /// Standard error of the mean, sd / sqrt(n): what `--target-se` compares against.
    pub fn se(&self) -> Option<f64> {
        self.sd().map(|sd| sd / (self.count as f64).sqrt())
    }

    /// Smallest value, or `None` when empty.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest value, or `None` when empty.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }
}

impl AddAssign<&Moments> for Moments {
    /// Chan et al. combination: n = na + nb, d = mean_b - mean_a,
    /// mean = mean_a + d nb / n, M2 = M2_a + M2_b + d^2 na nb / n.
    fn add_assign(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        let na = self.count as f64;
        let nb = other.count as f64;
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.mean += delta * (nb / n);
        self.m2 += other.m2 + delta * delta * (na * nb / n);
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

impl AddAssign<Moments> for Moments {
    /// Same as `+= &other`.
    fn add_assign(&mut self, other: Moments) {
        *self += &other;
    }
}
