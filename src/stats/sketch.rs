//! A mergeable, bounded-relative-error quantile sketch: a log-linear histogram keyed by the top
//! 16 bits of a value's f32 bit pattern (sign, 8-bit exponent, top 7 mantissa bits), with
//! integer counts, so merging is exact and order-independent.

use std::ops::AddAssign;

/// Guaranteed relative error of a sketch order statistic: 2^-8 (0.39%).
///
/// Each value `x` is truncated toward zero to f32 and keyed by its top 16 bits (the bfloat16
/// pattern). For `|x|` in the f32 normal range [1.18e-38, 3.4e38] the bucket of `x` is
/// `[m, m + 2^-7) * 2^e` in magnitude with `1 <= m < 2`; the bucket is reported by its midpoint,
/// which is within `2^-8 * 2^e <= 2^-8 |x|` of `x`. Zero is exact; magnitudes below the f32
/// normal range are reported with an absolute error below 1e-38 (the zero bucket reports 0).
/// Keys are monotone in value, so the bucket holding the k-th smallest key holds the k-th
/// smallest value: sketch order statistics are rank-exact and value-approximate.
pub const SKETCH_RELATIVE_ERROR: f64 = 1.0 / 256.0;

/// Sortable key of a finite value: truncate toward zero to f32, keep the top 16 bits; negative
/// magnitudes are mapped to `-(mag) - 1` so that key order is value order.
pub(crate) fn key(x: f64) -> i16 {
    debug_assert!(x.is_finite());
    if x == 0.0 {
        return 0; // +0 and -0 share the exact zero bucket
    }
    let mut f = x as f32;
    if (f as f64).abs() > x.abs() {
        // Rounded away from zero (or overflowed to inf): step one ulp back toward zero.
        f = f32::from_bits(f.to_bits() - 1);
    }
    let hi = (f.to_bits() >> 16) as u16;
    let mag = (hi & 0x7fff) as i32;
    let k = if hi & 0x8000 != 0 { -mag - 1 } else { mag };
    k as i16
}

/// The value a bucket stands for: the midpoint of its magnitude range, 0 for the zero bucket.
pub(crate) fn bucket_value(k: i16) -> f64 {
    let (neg, mag) = if k < 0 {
        (true, (-(k as i32) - 1) as u32)
    } else {
        (false, k as u32)
    };
    if mag == 0 {
        return 0.0;
    }
    // mag < 0x7f80 for finite inputs (0x7f80 is the inf pattern).
    let mag = mag.min(0x7f7f);
    let lo = f32::from_bits(mag << 16) as f64;
    let hi = if mag + 1 == 0x7f80 {
        2f64.powi(128)
    } else {
        f32::from_bits((mag + 1) << 16) as f64
    };
    let v = 0.5 * (lo + hi);
    if neg { -v } else { v }
}

/// Counts of values per log-linear bucket (see [`SKETCH_RELATIVE_ERROR`]).
///
/// The counts are kept in two dense vectors, one over the negative keys seen so far and one
/// over the positive keys, with the exact zero counted apart: a sign's vector spans only the
/// magnitudes of that sign (about 128 buckets per octave: ~2,500 for USD figures from 1e3 to
/// 1e9), not every tiny magnitude between a negative and a positive value. Each grows with
/// slack so that adding is O(1) amortised. The sketch's content is a function of the multiset
/// of values added, so any split into shards merged in any order gives an equal sketch
/// (equality compares bucket counts, not the slack).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct QuantileSketch {
    /// Keys below zero.
    neg: Dense,
    /// Values exactly zero.
    zero: u64,
    /// Keys above zero.
    pos: Dense,
    total: u64,
}

/// Counts over a contiguous key range of one sign.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Dense {
    /// Key of `counts[0]`.
    offset: i32,
    counts: Vec<u64>,
}

const KEY_MIN: i32 = i16::MIN as i32;
const KEY_MAX: i32 = i16::MAX as i32;

impl Dense {
    /// Index of key `k` (in `[lo, hi]`, the side's key bounds) in `counts`, growing the range
    /// (with slack, within the bounds) to include it.
    fn slot(&mut self, k: i32, lo: i32, hi: i32) -> usize {
        let len = self.counts.len() as i32;
        if len == 0 {
            self.offset = k;
            self.counts.push(0);
        } else if k < self.offset {
            let grow = (self.offset - k).max(len).min(self.offset - lo);
            let mut v = vec![0; grow as usize];
            v.extend_from_slice(&self.counts);
            self.counts = v;
            self.offset -= grow;
        } else if k >= self.offset + len {
            let top = self.offset + len - 1;
            let grow = (k - top).max(len).min(hi - top);
            self.counts.resize((len + grow) as usize, 0);
        }
        (k - self.offset) as usize
    }

    /// `(key, count)` of the non-empty buckets in ascending key order.
    fn keyed(&self) -> impl DoubleEndedIterator<Item = (i32, u64)> + '_ {
        let off = self.offset;
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(move |(i, &c)| (off + i as i32, c))
    }
}

impl QuantileSketch {
    /// An empty sketch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves key `k`'s bucket (growing its side's range) and returns its count.
    fn slot(&mut self, k: i32) -> &mut u64 {
        if k < 0 {
            let i = self.neg.slot(k, KEY_MIN, -1);
            &mut self.neg.counts[i]
        } else if k > 0 {
            let i = self.pos.slot(k, 1, KEY_MAX);
            &mut self.pos.counts[i]
        } else {
            &mut self.zero
        }
    }

    /// Adds one finite value.
    pub fn add(&mut self, x: f64) {
        self.add_key(key(x) as i32, 1);
    }

    fn add_key(&mut self, k: i32, c: u64) {
        *self.slot(k) += c;
        self.total += c;
    }

    /// A sketch of the given finite values.
    pub fn from_values(values: &[f64]) -> Self {
        let mut s = Self::new();
        for &x in values {
            s.add(x);
        }
        s
    }

    /// Number of values added.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Number of non-empty buckets.
    pub fn n_buckets(&self) -> usize {
        self.keyed().count()
    }

    /// Buckets allocated (non-empty or not): what the sketch's memory grows with.
    pub fn allocated_buckets(&self) -> usize {
        self.neg.counts.len() + self.pos.counts.len() + 1
    }

    /// `(key, count)` of the non-empty buckets in ascending key (= value) order.
    fn keyed(&self) -> impl DoubleEndedIterator<Item = (i32, u64)> + '_ {
        let zero = (self.zero > 0).then_some((0, self.zero));
        self.neg.keyed().chain(zero).chain(self.pos.keyed())
    }

    /// `(bucket value, count)` of the non-empty buckets in ascending value order.
    pub fn buckets(&self) -> impl DoubleEndedIterator<Item = (f64, u64)> + '_ {
        self.keyed().map(|(k, c)| (bucket_value(k as i16), c))
    }

    /// The `k`-th smallest value (0-based), approximated by its bucket value; `None` if
    /// `k >= total`.
    pub fn order_stat(&self, k: u64) -> Option<f64> {
        let mut seen = 0u64;
        for (v, c) in self.buckets() {
            seen += c;
            if k < seen {
                return Some(v);
            }
        }
        None
    }
}

impl PartialEq for QuantileSketch {
    /// Same non-empty buckets with the same counts.
    fn eq(&self, other: &Self) -> bool {
        self.total == other.total && self.keyed().eq(other.keyed())
    }
}

impl AddAssign<&QuantileSketch> for QuantileSketch {
    /// Adds the other sketch's counts: exact and order-independent.
    fn add_assign(&mut self, other: &QuantileSketch) {
        // Reserve each side's whole range once, then add slot by slot.
        for side in [&other.neg, &other.pos] {
            if let (Some((lo, _)), Some((hi, _))) = (side.keyed().next(), side.keyed().next_back())
            {
                self.slot(lo);
                self.slot(hi);
            }
        }
        for (k, c) in other.keyed() {
            self.add_key(k, c);
        }
    }
}
