//! Shards of a run for cluster schedulers: [`Shard`] I of N covers a contiguous, deterministic
//! range of the run's paths (or sweep points), and [`Shard::resolve`] reads I and N from
//! `--shard I/N`, or from the environment a Slurm job array, a Kubernetes Indexed Job or an
//! AWS Batch array job gives its tasks.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// Most shards one run may have: a folder per shard, and a merge reads them all.
pub const MAX_SHARDS: u32 = 100_000;

/// Shard `index` (0-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, `0..count`.
    pub index: u32,
    /// How many shards the run has.
    pub count: u32,
}

/// Why no shard could be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShardError(pub String);

impl Shard {
    /// Shard `index` of `count`, checked: `count` in `1..=MAX_SHARDS`, `index < count`.
    pub fn new(index: u32, count: u32) -> Result<Self, ShardError> {
        if count == 0 || count > MAX_SHARDS {
            return Err(ShardError(format!(
                "{count} shards: the count must be in 1..={MAX_SHARDS}"
            )));
        }
        if index >= count {
            return Err(ShardError(format!(
                "shard {index} of {count}: the index must be in 0..={} (0-based)",
                count - 1
            )));
        }
        Ok(Shard { index, count })
    }

    /// The contiguous range of `0..total` this shard covers: `[total * i / n, total * (i + 1)
    /// / n)`, so the shards tile `0..total` in order and differ in size by at most one.
    pub fn range(&self, total: u64) -> Range<u64> {
        let at = |i: u64| (u128::from(total) * u128::from(i) / u128::from(self.count)) as u64;
        at(u64::from(self.index))..at(u64::from(self.index) + 1)
    }

    /// The subfolder of `--out` a shard's partial result goes to: `shard-IIII-of-NNNN`,
    /// zero-padded to at least four digits so a listing sorts in shard order.
    pub fn dir_name(&self) -> String {
        let w = self.count.to_string().len().max(4);
        format!("shard-{:0w$}-of-{:0w$}", self.index, self.count)
    }

    /// Reads a `--shard` value: `I/N` with 0-based I.
    pub fn parse(text: &str) -> Result<Self, ShardError> {
        let bad = || {
            ShardError(format!(
                "--shard {text:?}: expected I/N, shard I (0-based) of N, e.g. 0/8"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let i: u32 = i.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(i, n).map_err(|e| ShardError(format!("--shard {text}: {}", e.0)))
    }

    /// The shard of this process: `--shard` when given (`flag`, which must then agree with
    /// `--shards`), else from the scheduler's environment (`env` looks a variable up):
    /// - Slurm job arrays: with `--shards N`, shard `SLURM_ARRAY_TASK_ID` of N (the array is
    ///   `0..N-1`, as `fleetsim slurm` writes it, so rerunning one index alone with
    ///   `sbatch --array=I` computes shard I); without, `SLURM_ARRAY_TASK_ID -
    ///   SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT` (or `MAX - MIN + 1`), so an array
    ///   `1-8` is shards 0..7;
    /// - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` of `--shards`;
    /// - AWS Batch array jobs: `AWS_BATCH_JOB_ARRAY_INDEX` of `--shards`.
    ///
    /// Returns the shard and where it came from, or `None` for an unsharded run (no flag, and
    /// no scheduler variable with `--shards`; a Slurm array alone also shards).
    pub fn resolve(
        flag: Option<Shard>,
        shards: Option<u32>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<(Shard, String)>, ShardError> {
        if let Some(s) = flag {
            if let Some(n) = shards.filter(|&n| n != s.count) {
                return Err(ShardError(format!(
                    "--shard {}/{} and --shards {n} disagree",
                    s.index, s.count
                )));
            }
            return Ok(Some((s, "--shard".into())));
        }
        let num = |name: &str| -> Result<Option<u64>, ShardError> {
            match env(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
                    ShardError(format!("${name} = {v:?} is not a non-negative integer"))
                }),
            }
        };
        let to_u32 = |x: u64, what: &str| {
            u32::try_from(x).map_err(|_| ShardError(format!("{what} {x} is too large")))
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = match shards {
                Some(_) => 0,
                None => num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0),
            };
            let count = match (shards, num("SLURM_ARRAY_TASK_COUNT")?) {
                (Some(n), _) => u64::from(n),
                (None, Some(c)) => c,
                (None, None) => match num("SLURM_ARRAY_TASK_MAX")? {
                    Some(max) if max >= min => max - min + 1,
                    _ => {
                        return Err(ShardError(
                            "a Slurm array task without SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MAX: pass --shards N".into(),
                        ));
                    }
                },
            };
            let index = id.checked_sub(min).ok_or_else(|| {
                ShardError(format!(
                    "SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}"
                ))
            })?;
            let s = Shard::new(to_u32(index, "shard index")?, to_u32(count, "shard count")?)
                .map_err(|e| ShardError(format!("from the Slurm array: {}", e.0)))?;
            let from = if shards.is_some() {
                format!("SLURM_ARRAY_TASK_ID {id} and --shards")
            } else {
                format!("SLURM_ARRAY_TASK_ID {id} of an array from {min}")
            };
            return Ok(Some((s, from)));
        }
        for var in ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"] {
            if let Some(i) = num(var)? {
                let Some(n) = shards else {
                    return Err(ShardError(format!(
                        "${var} is set ({i}) but --shards N is not: pass the job's completions / array size as --shards"
                    )));
                };
                let s = Shard::new(to_u32(i, var)?, n)
                    .map_err(|e| ShardError(format!("from ${var}: {}", e.0)))?;
                return Ok(Some((s, format!("${var} = {i}"))));
            }
        }
        if let Some(n) = shards {
            return Err(ShardError(format!(
                "--shards {n} without --shard I/{n} needs the scheduler's index: $SLURM_ARRAY_TASK_ID, $JOB_COMPLETION_INDEX or $AWS_BATCH_JOB_ARRAY_INDEX is not set"
            )));
        }
        Ok(None)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn ranges_tile_the_run_in_order() {
        for total in [0u64, 1, 7, 1000, 1_000_000_007] {
            for n in [1u32, 2, 3, 8, 13] {
                let mut next = 0;
                for i in 0..n {
                    let r = Shard::new(i, n).unwrap().range(total);
                    assert_eq!(r.start, next, "{total} {i}/{n}");
                    assert!(r.end - r.start <= total / u64::from(n) + 1);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn parses_and_checks_the_flag() {
        assert_eq!(Shard::parse("3/8").unwrap(), Shard { index: 3, count: 8 });
        for bad in ["8/8", "1", "a/2", "0/0", "-1/4", "1/100001"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Shard::new(3, 8).unwrap().dir_name(), "shard-0003-of-0008");
        assert_eq!(
            Shard::new(7, 12345).unwrap().dir_name(),
            "shard-00007-of-12345"
        );
    }

    #[test]
    fn reads_each_schedulers_environment() {
        let got = |flag, shards, vars: &[(&str, &str)]| {
            Shard::resolve(flag, shards, env(vars)).map(|o| o.map(|(s, _)| s))
        };
        let s = |i, n| Some(Shard { index: i, count: n });
        assert_eq!(got(None, None, &[]), Ok(None));
        assert_eq!(
            got(
                None,
                None,
                &[
                    ("SLURM_ARRAY_TASK_ID", "5"),
                    ("SLURM_ARRAY_TASK_MIN", "1"),
                    ("SLURM_ARRAY_TASK_COUNT", "8")
                ]
            ),
            Ok(s(4, 8))
        );
        assert_eq!(
            got(
                None,
                None,
                &[
                    ("SLURM_ARRAY_TASK_ID", "3"),
                    ("SLURM_ARRAY_TASK_MIN", "0"),
                    ("SLURM_ARRAY_TASK_MAX", "3")
                ]
            ),
            Ok(s(3, 4))
        );
        // With --shards the task id is the shard: a lone rerun of index 5 (MIN = 5) is shard 5.
        assert_eq!(
            got(
                None,
                Some(8),
                &[
                    ("SLURM_ARRAY_TASK_ID", "5"),
                    ("SLURM_ARRAY_TASK_MIN", "5"),
                    ("SLURM_ARRAY_TASK_COUNT", "1")
                ]
            ),
            Ok(s(5, 8))
        );
        assert_eq!(
            got(None, Some(6), &[("JOB_COMPLETION_INDEX", "2")]),
            Ok(s(2, 6))
        );
        assert_eq!(
            got(None, Some(6), &[("AWS_BATCH_JOB_ARRAY_INDEX", "5")]),
            Ok(s(5, 6))
        );
        assert!(got(None, None, &[("JOB_COMPLETION_INDEX", "2")]).is_err());
        assert!(got(None, Some(6), &[("JOB_COMPLETION_INDEX", "6")]).is_err());
        assert!(got(None, Some(6), &[]).is_err());
        assert!(got(None, None, &[("SLURM_ARRAY_TASK_ID", "x")]).is_err());
        // The flag wins over the environment, and must agree with --shards.
        assert_eq!(
            got(s(1, 4), None, &[("JOB_COMPLETION_INDEX", "2")]),
            Ok(s(1, 4))
        );
        assert!(got(s(1, 4), Some(5), &[]).is_err());
    }
}
