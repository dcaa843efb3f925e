//! Result folders that are complete or visibly incomplete: [`OutputDir`] stages every result
//! file under a temporary name, places them together on [`OutputDir::commit`] and writes
//! `manifest.json` last, listing each file with its size and SHA-256 and the run's
//! [`RunIdentity`]. An advisory lock keeps two runs out of one folder; [`remove_pending`]
//! (called on SIGINT/SIGTERM) deletes every temporary file of the process.
//!
//! The protocol a reader relies on: a folder is complete exactly when `manifest.json` exists and
//! every file it lists has the listed size and hash ([`verify`]). A crash, a full disk or a
//! signal leaves at most hidden `.NAME.fleetsim-tmp-*` files (removed by the next run into the
//! folder) and never an incomplete file under a final name; a `--force` rerun removes the
//! manifest first, so a folder caught between two runs reads as incomplete, not as a mix.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ExportError, io_err};
use crate::shard::Shard;

/// The manifest's file name: written last, its presence (with matching files) means complete.
pub const MANIFEST: &str = "manifest.json";
/// The advisory lock file held by the run writing the folder (holds that run's process id).
pub const LOCK: &str = ".fleetsim.lock";
/// Marks a temporary file: `.NAME.fleetsim-tmp-PID-N`.
const TMP_MARK: &str = ".fleetsim-tmp-";
/// Version of the manifest's layout.
pub const MANIFEST_FORMAT: u32 = 1;

/// Temporary files of this process not yet placed: what a signal handler deletes.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Deletes every temporary result file of this process and returns how many there were; for a
/// signal handler about to exit. Holds the registry's lock until the process ends (the guard is
/// leaked), so no commit can start or place a file after the deletion.
pub fn remove_pending() -> usize {
    let guard = pending();
    let n = guard.len();
    for p in guard.iter() {
        let _ = std::fs::remove_file(p);
    }
    std::mem::forget(guard);
    n
}

/// What produced a result and which part of it: carried by summary.json, the manifest and the
/// Parquet files' key-value metadata, so files of different runs are never taken for one, and
/// so `fleetsim merge` can check that partial results belong together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIdentity {
    /// The fleetsim version that wrote it.
    pub fleetsim_version: String,
    /// The command: run, sweep, sensitivity, spares or merge's source command.
    pub command: String,
    /// SHA-256 of the resolved inputs (scenario, and the sweep or analysis settings) as JSON.
    pub inputs_sha256: String,
    /// The run's seed.
    pub seed: u64,
    /// What the range counts: "paths" or "points".
    pub unit: String,
    /// Paths (or points) of the whole run, all shards together.
    pub total: u64,
    /// First path (or point) this result covers.
    pub start: u64,
    /// One past the last path (or point) this result covers.
    pub end: u64,
    /// Which shard this is, or `None` for a whole run (or a merged one).
    pub shard: Option<Shard>,
}

impl RunIdentity {
    /// The identity of `command`'s result over `start..end` of `total` `unit`s.
    pub fn new(
        command: &str,
        inputs_sha256: String,
        seed: u64,
        unit: &str,
        range: std::ops::Range<u64>,
        total: u64,
        shard: Option<Shard>,
    ) -> Self {
        RunIdentity {
            fleetsim_version: env!("CARGO_PKG_VERSION").to_string(),
            command: command.to_string(),
            inputs_sha256,
            seed,
            unit: unit.to_string(),
            total,
            start: range.start,
            end: range.end,
            shard,
        }
    }

    /// The identity as Parquet key-value metadata: `fleetsim.identity` (the JSON object) and one
    /// `fleetsim.FIELD` entry per field, for readers that show only flat keys.
    pub fn key_values(&self) -> Vec<(String, String)> {
        let mut v = vec![(
            "fleetsim.identity".to_string(),
            serde_json::to_string(self).unwrap_or_default(),
        )];
        if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(self) {
            for (k, x) in m {
                let text = match x {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                v.push((format!("fleetsim.{k}"), text));
            }
        }
        v
    }
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of the JSON text of `value` as lower-case hex: the inputs hash of a [`RunIdentity`].
pub fn inputs_hash<T: Serialize>(value: &T) -> String {
    sha256_hex(&serde_json::to_vec(value).unwrap_or_default())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One file of a manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// File name inside the folder.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the contents, lower-case hex.
    pub sha256: String,
}

/// `manifest.json`: the files of a complete result folder and the run that wrote them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version ([`MANIFEST_FORMAT`]).
    pub fleetsim_manifest: u32,
    /// The run.
    pub identity: RunIdentity,
    /// Every file of the result, the manifest itself excepted.
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// The entry of file `name`, if listed.
    pub fn file(&self, name: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// Reads `dir/manifest.json` and checks every listed file's size and hash: the folder is a
/// complete result. Fails with [`ExportError::Incomplete`] naming what is missing or differs.
pub fn verify(dir: &Path) -> Result<Manifest, ExportError> {
    verify_except(dir, &[])
}

/// [`verify`], not checking the files named in `skip`.
fn verify_except(dir: &Path, skip: &[&str]) -> Result<Manifest, ExportError> {
    let m = read_manifest(dir)?.ok_or_else(|| ExportError::Incomplete {
        dir: dir.to_path_buf(),
        reason: format!(
            "it has no {MANIFEST} (the run that wrote it did not finish, or it is not a fleetsim result folder)"
        ),
    })?;
    for f in m.files.iter().filter(|f| !skip.contains(&f.name.as_str())) {
        let p = dir.join(&f.name);
        let (bytes, sha) = hash_file(&p).map_err(|e| ExportError::Incomplete {
            dir: dir.to_path_buf(),
            reason: format!("{} is listed in {MANIFEST} but cannot be read: {e}", f.name),
        })?;
        if bytes != f.bytes || sha != f.sha256 {
            return Err(ExportError::Incomplete {
                dir: dir.to_path_buf(),
                reason: format!(
                    "{} differs from {MANIFEST} ({bytes} bytes, listed {}; changed since it was written?)",
                    f.name, f.bytes
                ),
            });
        }
    }
    Ok(m)
}

/// `dir/manifest.json`, or `None` when there is none.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>, ExportError> {
    let p = dir.join(MANIFEST);
    match std::fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| ExportError::Incomplete {
                dir: dir.to_path_buf(),
                reason: format!("{MANIFEST} is not a fleetsim manifest: {e}"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ExportError::Io { path: p, source: e }),
    }
}

fn hash_file(p: &Path) -> std::io::Result<(u64, String)> {
    let mut f = File::open(p)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex(&h.finalize())))
}

/// Whether a commit replaces the folder's earlier result or adds files to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// A new result: an earlier one (its manifest) is refused without force and replaced
    /// whole with it.
    Replace,
    /// Files added to the result already there (report.html, summary.xlsx).
    Add,
}

/// A result folder being written: locked against other runs, its files staged under temporary
/// names until [`commit`](Self::commit). Dropping it uncommitted deletes what was staged.
pub struct OutputDir {
    dir: PathBuf,
    force: bool,
    mode: Mode,
    _lock: File,
    staged: Vec<(String, PathBuf)>,
    previous: Option<Manifest>,
    identity: RunIdentity,
    /// This run created the folder and has committed nothing yet: dropped so, it removes the
    /// folder again (a run refused or failed before its results leaves no empty folder).
    created: bool,
}

impl std::fmt::Debug for OutputDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputDir")
            .field("dir", &self.dir)
            .field("staged", &self.staged)
            .finish_non_exhaustive()
    }
}

impl OutputDir {
    /// Opens `dir` (created if missing) for a new result with `identity`: takes the folder's
    /// lock, removes temporary files a killed run left, and refuses without `force` if the
    /// folder holds an earlier result. Nothing is written under a final name before
    /// [`commit`](Self::commit).
    pub fn create(dir: &Path, force: bool, identity: RunIdentity) -> Result<Self, ExportError> {
        let created = !dir.exists();
        let (lock, previous) = lock_dir(dir, true)?;
        let out = OutputDir {
            dir: dir.to_path_buf(),
            force,
            mode: Mode::Replace,
            _lock: lock,
            staged: Vec::new(),
            previous,
            identity,
            created,
        };
        if !force && out.previous.is_some() {
            return Err(ExportError::Occupied {
                dir: dir.to_path_buf(),
            });
        }
        Ok(out)
    }

    /// Opens the complete result folder `dir` ([`verify`], except the files `adding`, which
    /// this will replace) to add files to it (a report, a workbook); existing files of those
    /// names are replaced only with `force`.
    pub fn add_to(dir: &Path, force: bool, adding: &[&str]) -> Result<Self, ExportError> {
        if !dir.is_dir() {
            return Err(ExportError::Incomplete {
                dir: dir.to_path_buf(),
                reason: "it is not a folder".into(),
            });
        }
        let (lock, _) = lock_dir(dir, false)?;
        let previous = verify_except(dir, adding)?;
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            force,
            mode: Mode::Add,
            _lock: lock,
            staged: Vec::new(),
            identity: previous.identity.clone(),
            previous: Some(previous),
            created: false,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether existing files may be replaced.
    pub fn force(&self) -> bool {
        self.force
    }

    /// The identity the manifest will carry.
    pub fn identity(&self) -> &RunIdentity {
        &self.identity
    }

    /// Replaces the identity (a `--target-se` run knows its path count only at the end).
    pub fn set_identity(&mut self, identity: RunIdentity) {
        self.identity = identity;
    }

    /// Fails with [`ExportError::Exists`] if one of `names` is already in the folder and
    /// `force` is off: lets a command refuse before a long simulation rather than after it.
    pub fn check_free(&self, names: &[&str]) -> Result<(), ExportError> {
        if self.force {
            return Ok(());
        }
        match names.iter().map(|n| self.dir.join(n)).find(|p| p.exists()) {
            Some(path) => Err(ExportError::Exists { path }),
            None => Ok(()),
        }
    }

    /// The path file `name` will have once committed (for messages).
    pub fn final_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Creates the temporary file that becomes `name` on commit, and registers it for deletion
    /// on a signal. Fails with [`ExportError::Exists`] if `name` exists and `force` is off.
    pub fn file(&mut self, name: &str) -> Result<File, ExportError> {
        self.check_free(&[name])?;
        let tmp = tmp_path(&self.dir, name);
        let mut reg = pending();
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err(&self.dir.join(name)))?;
        reg.push(tmp.clone());
        drop(reg);
        self.staged.retain(|(n, t)| {
            if n == name {
                let _ = std::fs::remove_file(t);
                false
            } else {
                true
            }
        });
        self.staged.push((name.to_string(), tmp));
        Ok(f)
    }

    /// Stages `name` with contents `bytes`.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), ExportError> {
        let mut f = self.file(name)?;
        f.write_all(bytes).map_err(io_err(&self.dir.join(name)))
    }

    /// Places every staged file under its final name and writes the manifest last: syncs each
    /// file, then (holding off signals' cleanup) removes an earlier result's manifest, renames
    /// the files into place, deletes files of the earlier result that this one does not have
    /// (so no stale file remains) and writes the new manifest, syncing the folder. Files are
    /// hashed from the synced temporary files. The folder stays locked and open for more files
    /// (the next commit adds to this one's manifest). Returns the manifest written.
    pub fn commit(&mut self) -> Result<Manifest, ExportError> {
        let mut entries = Vec::with_capacity(self.staged.len());
        for (name, tmp) in &self.staged {
            let final_path = self.dir.join(name);
            File::open(tmp)
                .and_then(|f| f.sync_all())
                .map_err(io_err(&final_path))?;
            let (bytes, sha256) = hash_file(tmp).map_err(io_err(&final_path))?;
            entries.push(FileEntry {
                name: name.clone(),
                bytes,
                sha256,
            });
        }
        let new_names: BTreeSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        let mut files: Vec<FileEntry> = match (self.mode, &self.previous) {
            (Mode::Add, Some(p)) => p
                .files
                .iter()
                .filter(|f| !new_names.contains(f.name.as_str()))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        let stale: Vec<String> = match (self.mode, &self.previous) {
            (Mode::Replace, Some(p)) => p
                .files
                .iter()
                .filter(|f| !new_names.contains(f.name.as_str()))
                .map(|f| f.name.clone())
                .collect(),
            _ => Vec::new(),
        };
        files.extend(entries);
        files.sort_by(|a, b| a.name.cmp(&b.name));
        let manifest = Manifest {
            fleetsim_manifest: MANIFEST_FORMAT,
            identity: self.identity.clone(),
            files,
        };
        let text = serde_json::to_string_pretty(&manifest).map_err(|source| ExportError::Json {
            path: self.dir.join(MANIFEST),
            source,
        })? + "\n";

        let mut reg = pending();
        let manifest_path = self.dir.join(MANIFEST);
        if self.previous.is_some() {
            match std::fs::remove_file(&manifest_path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&manifest_path)(e)),
            }
        }
        let mut placed: Vec<PathBuf> = Vec::new();
        for (name, tmp) in &self.staged {
            let dest = self.dir.join(name);
            if let Err(e) = place(tmp, &dest, self.force) {
                // Without force a file appeared since the check: undo this commit's placements
                // so the folder does not mix results.
                for p in &placed {
                    let _ = std::fs::remove_file(p);
                }
                return Err(e);
            }
            placed.push(dest);
        }
        for name in &stale {
            let _ = std::fs::remove_file(self.dir.join(name));
        }
        write_atomically(&manifest_path, text.as_bytes(), true)?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&manifest_path))?;
        let staged: BTreeSet<&PathBuf> = self.staged.iter().map(|(_, t)| t).collect();
        reg.retain(|p| !staged.contains(p));
        drop(reg);
        self.staged.clear();
        self.previous = Some(manifest.clone());
        self.mode = Mode::Add;
        self.created = false;
        Ok(manifest)
    }
}

impl Drop for OutputDir {
    /// Deletes whatever is still staged: a run that failed leaves nothing that looks like a
    /// result.
    fn drop(&mut self) {
        if !self.staged.is_empty() {
            let mut reg = pending();
            for (_, tmp) in self.staged.drain(..) {
                let _ = std::fs::remove_file(&tmp);
                reg.retain(|p| p != &tmp);
            }
        }
        if self.created {
            // Only this run has used the folder (it did not exist): remove the lock file and
            // the folder, which fails harmlessly if anything else is in it.
            let _ = std::fs::remove_file(self.dir.join(LOCK));
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// The temporary name of `name` in `dir`: `.NAME.fleetsim-tmp-PID-N`, unique in the process;
/// the next run into the folder deletes such files left by a killed one.
fn tmp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(
        ".{name}{TMP_MARK}{}-{}",
        std::process::id(),
        TMP_SEQ.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Writes `bytes` to `path` whole or not at all: first to a temporary file beside it (synced),
/// then moved into place ([`place`]: with `force` a rename, replacing any file; without, a
/// move that fails if `path` exists, even one that appeared while the bytes were made). The
/// temporary file is always removed. For single files outside a result folder (`bench --out`,
/// `report --out`) and for the manifest.
pub fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<(), ExportError> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = tmp_path(parent, &name);
    let placed = File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .map_err(io_err(&tmp))
        .and_then(|()| place(&tmp, path, force));
    let _ = std::fs::remove_file(&tmp);
    placed
}

/// Moves `tmp` to `dest`: a rename with `force`; without, a hard link that fails if `dest`
/// exists (where the file system has no hard links: check, then rename).
fn place(tmp: &Path, dest: &Path, force: bool) -> Result<(), ExportError> {
    if force {
        return std::fs::rename(tmp, dest).map_err(io_err(dest));
    }
    match std::fs::hard_link(tmp, dest) {
        Ok(()) => {
            let _ = std::fs::remove_file(tmp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(ExportError::Exists {
            path: dest.to_path_buf(),
        }),
        Err(_) if dest.exists() => Err(ExportError::Exists {
            path: dest.to_path_buf(),
        }),
        Err(_) => std::fs::rename(tmp, dest).map_err(io_err(dest)),
    }
}

/// Creates `dir` if asked, takes its lock (failing with [`ExportError::Locked`] if another
/// process holds it), writes this process's id into the lock file, deletes temporary files left
/// by killed runs, and reads the current manifest.
fn lock_dir(dir: &Path, create: bool) -> Result<(File, Option<Manifest>), ExportError> {
    let unusable = |source: std::io::Error| ExportError::Unusable {
        dir: dir.to_path_buf(),
        source,
    };
    if dir.exists() && !dir.is_dir() {
        return Err(ExportError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    if create {
        std::fs::create_dir_all(dir).map_err(unusable)?;
    }
    let lock_path = dir.join(LOCK);
    let mut lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(unusable)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = lock.read_to_string(&mut holder);
            return Err(ExportError::Locked {
                dir: dir.to_path_buf(),
                holder: holder.trim().to_string(),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(unusable(e)),
    }
    let _ = lock.set_len(0);
    let _ = writeln!(lock, "{}", std::process::id());
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().contains(TMP_MARK) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let previous = read_manifest(dir).unwrap_or(None);
    Ok((lock, previous))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(seed: u64) -> RunIdentity {
        RunIdentity::new("test", "abc".into(), seed, "paths", 0..10, 10, None)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_commit_places_the_files_together_and_the_manifest_lists_them() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("out");
        let mut o = OutputDir::create(&dir, false, id(1)).unwrap();
        o.write("a.txt", b"alpha").unwrap();
        o.write("b.txt", b"beta").unwrap();
        assert_eq!(
            names(&dir).iter().filter(|n| !n.starts_with('.')).count(),
            0,
            "nothing under a final name before the commit"
        );
        let m = o.commit().unwrap();
        assert_eq!(m.files.len(), 2);
        assert_eq!(m.file("a.txt").unwrap().bytes, 5);
        assert_eq!(m.file("a.txt").unwrap().sha256, sha256_hex(b"alpha"));
        assert_eq!(verify(&dir).unwrap(), m);
        // A second commit adds to the manifest (a report after the run).
        o.write("c.txt", b"gamma").unwrap();
        let m2 = o.commit().unwrap();
        assert_eq!(m2.files.len(), 3);
        drop(o);
        assert_eq!(
            names(&dir),
            [".fleetsim.lock", "a.txt", "b.txt", "c.txt", "manifest.json"]
        );
        // A missing or changed listed file fails verification, naming it.
        std::fs::write(dir.join("b.txt"), "BETA").unwrap();
        let e = verify(&dir).unwrap_err().to_string();
        assert!(e.contains("b.txt differs"), "{e}");
        std::fs::remove_file(dir.join("b.txt")).unwrap();
        let e = verify(&dir).unwrap_err().to_string();
        assert!(e.contains("b.txt is listed"), "{e}");
    }

    #[test]
    fn the_lock_keeps_a_second_writer_out_until_the_first_is_done() {
        let d = tempfile::tempdir().unwrap();
        let a = OutputDir::create(d.path(), false, id(1)).unwrap();
        let e = OutputDir::create(d.path(), true, id(2)).unwrap_err();
        assert!(
            matches!(&e, ExportError::Locked { holder, .. } if *holder == std::process::id().to_string()),
            "{e}"
        );
        assert!(e.is_bad_input());
        drop(a);
        OutputDir::create(d.path(), true, id(2)).unwrap();
    }

    #[test]
    fn force_replaces_the_earlier_result_and_add_keeps_it() {
        let d = tempfile::tempdir().unwrap();
        let mut o = OutputDir::create(d.path(), false, id(1)).unwrap();
        o.write("old.txt", b"1").unwrap();
        o.write("both.txt", b"1").unwrap();
        o.commit().unwrap();
        drop(o);
        assert!(matches!(
            OutputDir::create(d.path(), false, id(2)),
            Err(ExportError::Occupied { .. })
        ));
        let mut o = OutputDir::create(d.path(), true, id(2)).unwrap();
        o.write("both.txt", b"2").unwrap();
        let m = o.commit().unwrap();
        drop(o);
        assert_eq!(m.identity.seed, 2);
        assert!(!d.path().join("old.txt").exists(), "stale file removed");
        assert_eq!(std::fs::read(d.path().join("both.txt")).unwrap(), b"2");
        // Adding keeps the result's files and identity; an existing name needs force.
        let mut o = OutputDir::add_to(d.path(), false, &["extra.txt"]).unwrap();
        assert_eq!(o.identity().seed, 2);
        o.write("extra.txt", b"x").unwrap();
        let m = o.commit().unwrap();
        drop(o);
        assert_eq!(m.files.len(), 2);
        let mut o = OutputDir::add_to(d.path(), false, &["extra.txt"]).unwrap();
        assert!(matches!(
            o.write("extra.txt", b"y"),
            Err(ExportError::Exists { .. })
        ));
    }

    #[test]
    fn a_file_appearing_before_the_commit_is_not_overwritten_and_nothing_is_placed() {
        let d = tempfile::tempdir().unwrap();
        let mut o = OutputDir::create(d.path(), false, id(1)).unwrap();
        o.write("a.txt", b"mine").unwrap();
        o.write("b.txt", b"mine").unwrap();
        std::fs::write(d.path().join("b.txt"), "someone else's").unwrap();
        let e = o.commit().unwrap_err();
        assert!(
            matches!(&e, ExportError::Exists { path } if path.ends_with("b.txt")),
            "{e}"
        );
        drop(o);
        assert!(
            !d.path().join("a.txt").exists(),
            "the placed file was taken back"
        );
        assert!(!d.path().join(MANIFEST).exists());
        assert_eq!(
            std::fs::read_to_string(d.path().join("b.txt")).unwrap(),
            "someone else's"
        );
        assert!(
            names(d.path()).iter().all(|n| !n.contains(TMP_MARK)),
            "{:?}",
            names(d.path())
        );
    }

    #[test]
    fn a_dropped_folder_it_created_is_removed_and_stale_temporaries_are_cleaned() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("new");
        let mut o = OutputDir::create(&dir, false, id(1)).unwrap();
        o.write("a.txt", b"x").unwrap();
        drop(o);
        assert!(
            !dir.exists(),
            "a refused or failed first run leaves no folder"
        );
        std::fs::create_dir(&dir).unwrap();
        let stale = dir.join(format!(".a.txt{TMP_MARK}1-2"));
        std::fs::write(&stale, "killed run").unwrap();
        let _o = OutputDir::create(&dir, false, id(1)).unwrap();
        assert!(!stale.exists());
    }

    #[test]
    fn identity_key_values_carry_every_field() {
        let kv = id(7).key_values();
        let get = |k: &str| kv.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("fleetsim.seed"), Some("7"));
        assert_eq!(get("fleetsim.command"), Some("test"));
        assert_eq!(get("fleetsim.shard"), Some("null"));
        let back: RunIdentity = serde_json::from_str(get("fleetsim.identity").unwrap()).unwrap();
        assert_eq!(back, id(7));
    }
}
