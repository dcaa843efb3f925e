//! The HTML report of a result folder (`fleetsim report DIR`, `fleetsim run --report`): one
//! self-contained `report.html` built only from the folder's files, so a report of a folder
//! written earlier equals the one written with the run. Charts are inline SVG drawn by
//! [`svg`]; the page has no script and no external reference, and prints.

pub mod files;
pub mod html;
mod inputs;
pub mod load;
pub mod num;
mod over_time;
mod plan;
mod run;
pub mod svg;
mod sweep;

use std::path::{Path, PathBuf};

pub use load::{Folder, LoadError, load};

/// The report's file name in its folder.
pub const REPORT_FILE: &str = "report.html";

/// Why a report was not written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The folder or one of its files is not what a report reads (bad input).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The report file exists and overwriting was not asked for (bad input).
    #[error("{0} exists; pass --force to overwrite it")]
    Exists(PathBuf),
    /// The result folder is in use, incomplete or not usable (bad input when
    /// [`ExportError::is_bad_input`](crate::export::ExportError::is_bad_input), else a failed
    /// write).
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    /// Writing failed.
    #[error("{path}: cannot write: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The page of the result folder `dir`.
pub fn build(dir: &Path) -> Result<String, LoadError> {
    let folder = load(dir)?;
    let (title, body) = match &folder {
        Folder::Run(f) => (
            format!("fleetsim report: {}", f.summary.scenario.name),
            run::body(f),
        ),
        Folder::Sweep(f) => ("fleetsim sweep report".to_string(), sweep::sweep(f)),
        Folder::Sensitivity(f) => (
            "fleetsim sensitivity report".to_string(),
            plan::sensitivity(f),
        ),
        Folder::Spares(f) => ("fleetsim spares report".to_string(), plan::spares(f)),
    };
    Ok(html::page(&title, &body))
}

/// Where the report of `dir` goes: `out`, else `dir/report.html`.
pub fn target(dir: &Path, out: Option<&Path>) -> PathBuf {
    out.map_or_else(|| dir.join(REPORT_FILE), Path::to_path_buf)
}

/// Fails with [`ReportError::Exists`] if the report file exists and `force` is not given (so a
/// command can refuse before it simulates).
pub fn check_target(path: &Path, force: bool) -> Result<(), ReportError> {
    if !force && path.exists() {
        return Err(ReportError::Exists(path.to_path_buf()));
    }
    Ok(())
}

/// Builds the report of the result folder `out` holds (its committed files) and stages
/// report.html there; it appears with `out`'s next commit. Returns the path it will have.
pub fn stage(out: &mut crate::export::OutputDir) -> Result<PathBuf, ReportError> {
    let path = out.final_path(REPORT_FILE);
    check_target(&path, out.force())?;
    let page = build(out.dir())?;
    out.write(REPORT_FILE, page.as_bytes())?;
    Ok(path)
}

/// Builds the report of the complete result folder `dir` and writes it to `out` (default
/// `dir/report.html`, added to the folder's manifest; elsewhere written whole or not at all).
/// Without `force` an existing file is never replaced. Returns the path written.
pub fn write(dir: &Path, out: Option<&Path>, force: bool) -> Result<PathBuf, ReportError> {
    let path = target(dir, out);
    check_target(&path, force)?;
    let has_manifest = dir.join(crate::export::output::MANIFEST).exists();
    if out.is_none() && has_manifest {
        let mut folder = crate::export::OutputDir::add_to(dir, force, &[REPORT_FILE])?;
        let path = stage(&mut folder)?;
        folder.commit()?;
        return Ok(path);
    }
    if has_manifest {
        crate::export::output::verify(dir)?;
    }
    // A folder without a manifest (written before fleetsim had them): read as it is, and the
    // report written whole or not at all.
    let page = build(dir)?;
    use crate::export::ExportError;
    crate::export::write_atomically(&path, page.as_bytes(), force).map_err(|e| match e {
        ExportError::Exists { path } => ReportError::Exists(path),
        other => ReportError::Export(other),
    })?;
    Ok(path)
}
