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

use std::io::Write as _;
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

/// Builds the report of `dir` and writes it to `out` (default `dir/report.html`): first to a
/// temporary file in the same folder, then renamed, so no truncated report ever sits under the
/// final name. Without `force` an existing file is never replaced. Returns the path written.
pub fn write(dir: &Path, out: Option<&Path>, force: bool) -> Result<PathBuf, ReportError> {
    let path = target(dir, out);
    check_target(&path, force)?;
    let page = build(dir)?;
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| ReportError::Io { path: p, source }
    };
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| REPORT_FILE.into(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(page.as_bytes())?;
            f.sync_all()
        })
        .map_err(io(&tmp));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let placed = if force {
        std::fs::rename(&tmp, &path).map_err(io(&path))
    } else {
        // A hard link never replaces an existing file: the refusal holds even if the file
        // appeared while the page was built.
        match std::fs::hard_link(&tmp, &path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(ReportError::Exists(path.clone()))
            }
            Err(_) if !path.exists() => std::fs::rename(&tmp, &path).map_err(io(&path)),
            Err(_) => Err(ReportError::Exists(path.clone())),
        }
    };
    let _ = std::fs::remove_file(&tmp);
    placed.map(|()| path)
}
