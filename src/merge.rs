//! Partial results of sharded runs and their merge: a shard (`--shard I/N`) stores a
//! [`PartialRun`] (its identity, what the merged files need, and the mergeable
//! [`RunAggregate`]) as `partial.bin` in its own folder; [`shard_dirs`] finds the shard folders
//! under the folders given, [`read_shards`] checks that they are complete ([`crate::export::output::verify`]),
//! belong to one run ([`check_shards`]) and cover it once, and [`merge_runs`] adds their
//! aggregates up in shard order into the aggregate one unsharded run would have.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::export::output::{MANIFEST, Manifest, verify};
use crate::export::{ExportError, OutputDir, RunIdentity};
use crate::stats::RunAggregate;

/// The file holding a shard's [`PartialRun`] (postcard, a compact binary serde format).
pub const PARTIAL_FILE: &str = "partial.bin";
/// Version of the partial file's layout; a merge refuses others.
pub const PARTIAL_FORMAT: u32 = 1;

/// Why a merge cannot go ahead; every variant but `Io` is the user's input (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A folder is not a complete result, cannot be read or holds no partial.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// A partial file does not decode.
    #[error("{}: not a fleetsim partial result: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The folders do not hold one run's shards, once each, all of them.
    #[error("{0}")]
    Mismatch(String),
}

/// What a shard of `fleetsim run` stores: enough to write, with the others, the files one
/// unsharded run writes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartialRun {
    /// [`PARTIAL_FORMAT`].
    pub format: u32,
    /// The shard's identity (equal to its manifest's).
    pub identity: RunIdentity,
    /// Option names in order.
    pub option_names: Vec<String>,
    /// Whole years of the horizon (cash-flow years).
    pub n_years: usize,
    /// Failure-class slot names of the per-class metrics.
    pub classes: Vec<String>,
    /// The horizon in days.
    pub horizon_days: u32,
    /// summary.json's run metadata (JSON text) as this shard would have written it.
    pub meta_json: String,
    /// Whether the shard wrote per-path rows (per_path.csv and per_path.parquet).
    pub per_path: bool,
    /// The shard's aggregate.
    pub aggregate: RunAggregate,
}

/// A shard's partial result of some command (`run`, `sweep`, `sensitivity`), stored as
/// [`PARTIAL_FILE`] with postcard: what [`read_partial`] and [`read_shards`] check.
pub trait Partial: Serialize + DeserializeOwned {
    /// The layout version it was written with ([`PARTIAL_FORMAT`]).
    fn format(&self) -> u32;
    /// The shard's identity (equal to its manifest's).
    fn identity(&self) -> &RunIdentity;
}

impl Partial for PartialRun {
    fn format(&self) -> u32 {
        self.format
    }
    fn identity(&self) -> &RunIdentity {
        &self.identity
    }
}

/// Stages `partial` as [`PARTIAL_FILE`] in `out` (committed with the shard's other files).
pub fn write_partial<T: Partial>(partial: &T, out: &mut OutputDir) -> Result<(), ExportError> {
    let bytes = postcard::to_stdvec(partial).map_err(|e| ExportError::Invalid {
        path: out.final_path(PARTIAL_FILE),
        reason: format!("cannot encode the partial result: {e}"),
    })?;
    out.write(PARTIAL_FILE, &bytes)
}

/// Decodes the partial of the shard folder `dir`, whose verified manifest is `manifest`: it
/// must list [`PARTIAL_FILE`], decode as `T` and carry the manifest's identity.
fn decode_partial<T: Partial>(dir: &Path, manifest: &Manifest) -> Result<T, MergeError> {
    let path = dir.join(PARTIAL_FILE);
    if manifest.file(PARTIAL_FILE).is_none() {
        return Err(MergeError::Mismatch(format!(
            "{}: its {MANIFEST} lists no {PARTIAL_FILE}: not a shard of a sharded run (written by `fleetsim {} --shard I/N`?)",
            dir.display(),
            manifest.identity.command
        )));
    }
    let bytes = std::fs::read(&path).map_err(|source| ExportError::Io {
        path: path.clone(),
        source,
    })?;
    let p: T = postcard::from_bytes(&bytes).map_err(|e| MergeError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if p.format() != PARTIAL_FORMAT || *p.identity() != manifest.identity {
        return Err(MergeError::Corrupt {
            path,
            reason: "its format or identity differs from its manifest's".into(),
        });
    }
    Ok(p)
}

/// Reads the partial of the complete shard folder `dir`.
pub fn read_partial<T: Partial>(dir: &Path) -> Result<T, MergeError> {
    let manifest = verify(dir)?;
    decode_partial(dir, &manifest)
}

/// The partials of the shard folders `folders` (found by [`shard_dirs`]), checked to be the
/// shards of one run, each once, all present ([`check_shards`], on the manifests' identities
/// before anything is decoded), in shard order. A folder that is incomplete (killed or still
/// running) counts as missing, and the error names it.
pub fn read_shards<T: Partial>(folders: &[PathBuf]) -> Result<Vec<(PathBuf, T)>, MergeError> {
    let mut complete = Vec::new();
    let mut incomplete = Vec::new();
    for d in folders {
        match verify(d) {
            Ok(m) => complete.push((d.clone(), m)),
            Err(ExportError::Incomplete { .. }) => incomplete.push(d.clone()),
            Err(e) => return Err(e.into()),
        }
    }
    if complete.is_empty() {
        return Err(MergeError::Mismatch(format!(
            "no complete shard among {} folder(s){}",
            folders.len(),
            incomplete
                .first()
                .map(|d| format!(" ({} is incomplete)", d.display()))
                .unwrap_or_default()
        )));
    }
    let ids = complete
        .iter()
        .map(|(d, m)| (d.clone(), m.identity.clone()))
        .collect();
    let ordered = check_shards(ids).map_err(|e| match (&e, incomplete.is_empty()) {
        (MergeError::Mismatch(m), false) => MergeError::Mismatch(format!(
            "{m} (incomplete shard folders, killed or still running: {})",
            incomplete
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => e,
    })?;
    ordered
        .into_iter()
        .map(|(d, _)| {
            let i = complete
                .iter()
                .position(|(cd, _)| *cd == d)
                .expect("checked");
            let (d, m) = complete.swap_remove(i);
            let p = decode_partial(&d, &m)?;
            Ok((d, p))
        })
        .collect()
}

/// The shard folders named by `dirs`: a folder with a manifest is a shard itself; any other is
/// searched for subfolders named `shard-*` (in name order, which is shard order).
pub fn shard_dirs(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, MergeError> {
    let mut out = Vec::new();
    for d in dirs {
        if d.join(MANIFEST).exists() || d.join(PARTIAL_FILE).exists() {
            out.push(d.clone());
            continue;
        }
        let entries = std::fs::read_dir(d).map_err(|source| ExportError::Io {
            path: d.clone(),
            source,
        })?;
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("shard-") && e.path().is_dir())
            .map(|e| e.path())
            .collect();
        if found.is_empty() {
            return Err(MergeError::Mismatch(format!(
                "{}: neither a shard folder (no {MANIFEST}) nor a folder of shard-* folders",
                d.display()
            )));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Checks that `shards` (folder, identity) are the shards of one run, each once, all present
/// and each covering its range; returns them in shard order. The errors name the folders
/// concerned and, for missing shards, the indices to rerun.
pub fn check_shards(
    mut shards: Vec<(PathBuf, RunIdentity)>,
) -> Result<Vec<(PathBuf, RunIdentity)>, MergeError> {
    let Some((first_dir, first)) = shards.first().cloned() else {
        return Err(MergeError::Mismatch("no shard folders given".into()));
    };
    let Some(s0) = first.shard else {
        return Err(MergeError::Mismatch(format!(
            "{}: not a shard (its result covers the whole run)",
            first_dir.display()
        )));
    };
    for (dir, id) in &shards {
        let differ = |what: &str, a: &dyn std::fmt::Display, b: &dyn std::fmt::Display| {
            MergeError::Mismatch(format!(
                "{} and {} are not shards of one run: {what} {a} vs {b}",
                first_dir.display(),
                dir.display()
            ))
        };
        if id.fleetsim_version != first.fleetsim_version {
            return Err(differ(
                "fleetsim version",
                &id.fleetsim_version,
                &first.fleetsim_version,
            ));
        }
        if id.command != first.command {
            return Err(differ("command", &first.command, &id.command));
        }
        if id.inputs_sha256 != first.inputs_sha256 {
            return Err(differ(
                "inputs (scenario and settings; SHA-256)",
                &first.inputs_sha256,
                &id.inputs_sha256,
            ));
        }
        if id.seed != first.seed {
            return Err(differ("seed", &first.seed, &id.seed));
        }
        if (id.unit.as_str(), id.total) != (first.unit.as_str(), first.total) {
            return Err(differ(
                "size",
                &format!("{} {}", first.total, first.unit),
                &format!("{} {}", id.total, id.unit),
            ));
        }
        let Some(s) = id.shard else {
            return Err(MergeError::Mismatch(format!(
                "{}: not a shard (its result covers the whole run)",
                dir.display()
            )));
        };
        if s.count != s0.count {
            return Err(differ("shard count", &s0.count, &s.count));
        }
        let want = s.range(id.total);
        if (id.start, id.end) != (want.start, want.end) {
            return Err(MergeError::Mismatch(format!(
                "{}: shard {s} covers {}..{}, not its range {}..{}",
                dir.display(),
                id.start,
                id.end,
                want.start,
                want.end
            )));
        }
    }
    shards.sort_by_key(|(_, id)| id.shard.map(|s| s.index));
    for w in shards.windows(2) {
        if w[0].1.shard == w[1].1.shard {
            return Err(MergeError::Mismatch(format!(
                "shard {} is given twice: {} and {}",
                w[0].1.shard.map(|s| s.to_string()).unwrap_or_default(),
                w[0].0.display(),
                w[1].0.display()
            )));
        }
    }
    let have: Vec<u32> = shards
        .iter()
        .filter_map(|(_, id)| id.shard.map(|s| s.index))
        .collect();
    let missing: Vec<u32> = (0..s0.count)
        .filter(|i| have.binary_search(i).is_err())
        .collect();
    if !missing.is_empty() {
        let list = missing_list(&missing);
        return Err(MergeError::Mismatch(format!(
            "{} of {} shards are missing or incomplete: {list}; rerun each with the same command and `--shard I/{}` (a rerun shard reproduces its numbers exactly), then merge again",
            missing.len(),
            s0.count,
            s0.count
        )));
    }
    Ok(shards)
}

/// "0, 3-5, 9" for a sorted index list (at most 20 runs shown).
fn missing_list(ix: &[u32]) -> String {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &i in ix {
        match runs.last_mut() {
            Some((_, hi)) if *hi + 1 == i => *hi = i,
            _ => runs.push((i, i)),
        }
    }
    let mut parts: Vec<String> = runs
        .iter()
        .take(20)
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    if runs.len() > 20 {
        parts.push(format!("and {} more ranges", runs.len() - 20));
    }
    parts.join(", ")
}

/// The identity of the merged result: the run's, covering every path, no shard.
pub fn merged_identity(shard_id: &RunIdentity) -> RunIdentity {
    RunIdentity {
        start: 0,
        end: shard_id.total,
        shard: None,
        ..shard_id.clone()
    }
}

/// The partial results of one sharded `fleetsim run`, checked and in shard order.
pub struct MergedRun {
    /// The shards' folders and partials, in shard order.
    pub parts: Vec<(PathBuf, PartialRun)>,
    /// The merged aggregate.
    pub aggregate: RunAggregate,
    /// The merged result's identity.
    pub identity: RunIdentity,
}

/// Reads the shard folders under `dirs`, checks them ([`check_shards`]; a shard folder that is
/// incomplete counts as missing) and adds their aggregates up in shard order.
pub fn merge_runs(dirs: &[PathBuf]) -> Result<MergedRun, MergeError> {
    let by_dir: Vec<(PathBuf, PartialRun)> = read_shards(&shard_dirs(dirs)?)?;
    let first = &by_dir[0].1;
    for (d, p) in &by_dir[1..] {
        if p.option_names != first.option_names
            || p.n_years != first.n_years
            || p.classes != first.classes
            || p.horizon_days != first.horizon_days
            || p.per_path != first.per_path
            || p.aggregate.keep_values_limit() != first.aggregate.keep_values_limit()
        {
            return Err(MergeError::Mismatch(format!(
                "{}: its options, horizon or per-path setting differ from {}'s",
                d.display(),
                by_dir[0].0.display()
            )));
        }
    }
    let mut aggregate = first.aggregate.clone();
    for (_, p) in &by_dir[1..] {
        aggregate += &p.aggregate;
    }
    let identity = merged_identity(&first.identity);
    Ok(MergedRun {
        parts: by_dir,
        aggregate,
        identity,
    })
}
