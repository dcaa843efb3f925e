//! Shared plumbing of the planning commands (`sensitivity`, `spares`): running many variants
//! of a scenario on the chosen engines with a progress bar and the GPU-to-CPU fallback, and
//! writing their result files under the overwrite guard.

use std::io::Write;
use std::path::Path;

use super::CliError;
use crate::engine::{EngineError, PathBlock, Sticky};
use crate::export;
use crate::model::params::FlatModel;

/// Runs paths `0..n_paths` of every model on `engines` (the CPU engine taking over for good
/// if the GPU fails under `--backend auto`: pass the same `engines` to every round of a
/// command), feeding blocks to `sink(point, block)`. `on_error` maps a failure to the
/// command's error (see `Engines::error`).
pub(crate) fn run_models(
    engines: &mut Sticky<'_>,
    models: &[FlatModel],
    n_paths: u32,
    quiet: bool,
    what: &str,
    sink: impl FnMut(usize, &PathBlock),
    on_error: impl FnOnce(EngineError) -> CliError,
) -> Result<(), CliError> {
    let total = models.len() as u64 * n_paths as u64;
    let template = format!(
        "{{spinner}} {what}: {{bar:30}} {{human_pos}}/{{human_len}} point-paths  eta {{eta}}"
    );
    let bar = super::progress_bar(total, &template, quiet);
    let progress = |done: u64| bar.set_position(done);
    let outcome = engines.run_points(models, n_paths, sink, progress, |ev| {
        bar.suspend(|| {
            eprintln!(
                "fleetsim: warning: the GPU engine failed: {}; continuing on the CPU engine",
                ev.reason
            )
        })
    });
    bar.finish_and_clear();
    outcome.map_err(on_error)
}

/// Refuses (exit 2) before any work if one of `files` exists in `dir` and `force` is off.
pub(crate) fn check_files(dir: &Path, files: &[&str], force: bool) -> Result<(), CliError> {
    export::check_not_existing(dir, files, force).map_err(|e| CliError::input(e.to_string()))
}

/// Writes `(name, contents)` into `dir` (created if missing); an existing file is only
/// replaced with `force`.
pub(crate) fn write_files(
    dir: &Path,
    files: &[(&str, String)],
    force: bool,
) -> Result<(), CliError> {
    let names: Vec<&str> = files.iter().map(|f| f.0).collect();
    check_files(dir, &names, force)?;
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::runtime(format!("{}: {e}", dir.display())))?;
    for (name, text) in files {
        let p = dir.join(name);
        crate::export::open(&p, force)
            .map_err(|e| match e {
                // A file that appeared since the check: refused like any overwrite (exit 2).
                e @ export::ExportError::Exists { .. } => CliError::input(e.to_string()),
                e => CliError::runtime(e.to_string()),
            })?
            .write_all(text.as_bytes())
            .map_err(|e| CliError::runtime(format!("{}: {e}", p.display())))?;
    }
    Ok(())
}

/// A CSV text from a header and rows of cells (cells quoted when they need it).
pub(crate) fn csv_text(header: &[&str], rows: &[Vec<String>]) -> Result<String, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| CliError::runtime(e.to_string());
    w.write_record(header).map_err(err)?;
    for r in rows {
        w.write_record(r).map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CliError::runtime(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| CliError::runtime(e.to_string()))
}
