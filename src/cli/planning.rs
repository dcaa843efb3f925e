//! Shared plumbing of the planning commands (`sensitivity`, `spares`): running many variants
//! of a scenario on the chosen engines with a progress bar and the GPU-to-CPU fallback, and
//! writing their result files under the overwrite guard.

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

/// With `--out`, opens the result folder for a new result with `identity` (locked against
/// other runs; created if missing) and refuses (exit 2) before any work if it holds an earlier
/// result or one of `files` and `--force` is off.
pub(crate) fn open_out(
    output: &super::OutputArgs,
    identity: impl FnOnce() -> export::RunIdentity,
    files: &[&str],
) -> Result<Option<export::OutputDir>, CliError> {
    let Some(dir) = &output.out else {
        return Ok(None);
    };
    let out =
        export::OutputDir::create(dir, output.force, identity()).map_err(super::export_error)?;
    out.check_free(files).map_err(super::export_error)?;
    Ok(Some(out))
}

/// The output arguments of this process's result: without a shard, `output` itself; a shard
/// (of a `what`, e.g. "sensitivity analysis") needs `--out DIR` and writes its partial result
/// to DIR/shard-IIII-of-NNNN, and refuses `--report` (it describes the whole result: it belongs
/// on `fleetsim merge`); both refusals exit 2.
pub(crate) fn shard_output(
    output: &super::OutputArgs,
    shard: Option<crate::shard::Shard>,
    what: &str,
) -> Result<super::OutputArgs, CliError> {
    let Some(s) = shard else {
        return Ok(output.clone());
    };
    let Some(dir) = &output.out else {
        return Err(CliError::input(format!(
            "shard {s}: a sharded {what} needs --out DIR (its partial result goes to DIR/{})",
            s.dir_name()
        )));
    };
    if output.report {
        return Err(CliError::input(format!(
            "--report describes a whole {what}: pass it to `fleetsim merge` instead of the shards"
        )));
    }
    Ok(super::OutputArgs {
        out: Some(dir.join(s.dir_name())),
        ..output.clone()
    })
}

/// `scenario` as the inputs hash of a result identity sees it: without `origin`, the file name
/// it was read from, which labels it but changes nothing it computes, so a shard run with a
/// relative path and the merge that reads the file again by its absolute path (or a shard
/// rerun from another folder) hash the same inputs.
pub(crate) fn hashed_scenario(scenario: &crate::config::Scenario) -> serde_json::Value {
    let mut v = serde_json::json!(scenario);
    if let Some(o) = v.as_object_mut() {
        o.remove("origin");
    }
    v
}

/// Says (unless `quiet`) that a shard's partial result is complete in `dir`.
pub(crate) fn shard_written(dir: &std::path::Path, quiet: bool) {
    if !quiet {
        eprintln!(
            "fleetsim: wrote the partial result of this shard to {}; combine the shards with `fleetsim merge`",
            dir.display()
        );
    }
}

/// The engine facts of merged shards (`engines`, one JSON object each, not empty): the first
/// shard's, each of `keys` on which the shards disagree replaced by "mixed (see shards)".
pub(crate) fn merged_engine(engines: &[serde_json::Value], keys: &[&str]) -> serde_json::Value {
    let mut merged = engines[0].clone();
    if let Some(o) = merged.as_object_mut() {
        for &k in keys {
            if engines.iter().any(|e| e[k] != engines[0][k]) {
                o.insert(k.into(), "mixed (see shards)".into());
            }
        }
    }
    merged
}

/// The identity of a `command` result over all `total` paths of `seed`, its inputs hashed from
/// `inputs` (the resolved scenario and the command's settings).
pub(crate) fn identity_of(
    command: &str,
    inputs: &serde_json::Value,
    seed: u64,
    unit: &str,
    total: u64,
) -> export::RunIdentity {
    export::RunIdentity::new(
        command,
        export::output::inputs_hash(inputs),
        seed,
        unit,
        0..total,
        total,
        None,
    )
}

/// Stages `(name, contents)` in `out` and commits them together with the manifest.
pub(crate) fn write_files(
    out: &mut export::OutputDir,
    files: &[(&str, String)],
) -> Result<(), CliError> {
    for (name, text) in files {
        out.write(name, text.as_bytes())
            .map_err(super::export_error)?;
    }
    out.commit().map_err(super::export_error)?;
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
