//! Writing results for analysts (pandas, DuckDB, spreadsheets): summary.json, summary.csv and
//! pairs.csv from a [`RunSummary`], and streaming per-path per_path.csv / per_path.parquet
//! ([`PerPathWriter`]); [`ParquetTable`] is the typed columnar Parquet writer behind
//! per_path.parquet and sweep.parquet; [`write_run_xlsx`] makes summary.xlsx from a result
//! folder. Every file goes through an [`OutputDir`]: staged under a temporary name, placed with
//! the others and listed in `manifest.json` on commit; no existing file is overwritten unless
//! `force` is set.

pub mod format;
pub mod output;
mod per_path;
pub mod table;
#[cfg(test)]
mod tests;
mod timeseries;
pub mod xlsx;

pub use output::{Manifest, OutputDir, RunIdentity, write_atomically};
pub use per_path::{PerPathFormats, PerPathWriter, per_path_parquet_schema};
pub use table::{Cell, ColumnKind, PARQUET_ROW_GROUP_ROWS, ParquetTable};
pub use timeseries::{TIMESERIES_COLUMNS, write_timeseries};
pub use xlsx::write_run_xlsx;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::stats::{MetricStats, RunSummary};

/// File names written by this module.
pub mod names {
    /// Run summary, nested JSON.
    pub const SUMMARY_JSON: &str = "summary.json";
    /// One row per (option, metric).
    pub const SUMMARY_CSV: &str = "summary.csv";
    /// One row per (pair, metric, kind).
    pub const PAIRS_CSV: &str = "pairs.csv";
    /// One row per (path, option), CSV.
    pub const PER_PATH_CSV: &str = "per_path.csv";
    /// One row per (path, option), Parquet.
    pub const PER_PATH_PARQUET: &str = "per_path.parquet";
    /// Monthly bands, CSV.
    pub const TIMESERIES_CSV: &str = "timeseries.csv";
    /// Monthly bands, Parquet.
    pub const TIMESERIES_PARQUET: &str = "timeseries.parquet";
}

/// Why an export failed; every variant names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The file exists and `force` was not given.
    #[error("{} already exists; refusing to overwrite it (use --force to overwrite)", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// The folder holds an earlier result (its manifest) and `force` was not given.
    #[error("{} holds the results of an earlier run (its manifest.json); refusing to replace them (use --force to replace them, or choose another folder)", dir.display())]
    Occupied {
        /// The folder.
        dir: PathBuf,
    },
    /// Another process holds the folder's lock: it is writing its results there.
    #[error("{} is in use by another fleetsim run (process {holder}); wait for it or choose another folder (--force does not override this)", dir.display())]
    Locked {
        /// The folder.
        dir: PathBuf,
        /// The process id recorded in the lock file.
        holder: String,
    },
    /// The output path exists and is not a folder.
    #[error("{} exists and is not a folder; the output must be a folder (existing or new)", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The output folder cannot be created or locked (permissions, read-only file system).
    #[error("cannot use {} as the output folder: {source}", dir.display())]
    Unusable {
        /// The folder.
        dir: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A folder read as a result is not a complete one.
    #[error("{} is not a complete fleetsim result: {reason}", dir.display())]
    Incomplete {
        /// The folder.
        dir: PathBuf,
        /// What is missing or differs.
        reason: String,
    },
    /// Creating the directory or writing the file failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The CSV writer failed.
    #[error("cannot write {}: {source}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The CSV error.
        #[source]
        source: csv::Error,
    },
    /// The Parquet writer failed.
    #[error("cannot write {}: {source}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The Parquet error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Serializing JSON failed.
    #[error("cannot write {}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The spreadsheet writer failed.
    #[error("cannot write {}: {source}", path.display())]
    Xlsx {
        /// The file.
        path: PathBuf,
        /// The writer's error.
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    /// An input file (read back to build another one) is not as its contract says.
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The file read.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The metadata given to [`write_summary_json`] is not an object or uses a reserved key.
    #[error("invalid summary metadata: {0}")]
    InvalidMeta(String),
    /// A block does not match the writer (different option count).
    #[error("per-path block has {got} options, the writer was created for {expected}")]
    BlockMismatch {
        /// Options in the block.
        got: u32,
        /// Options the writer expects.
        expected: usize,
    },
}

impl ExportError {
    /// Whether the error is the user's request (exit 2): an overwrite refused, a folder in use,
    /// not a folder or not usable, or an incomplete input folder; the others are failures while
    /// writing (exit 1).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ExportError::Exists { .. }
                | ExportError::Occupied { .. }
                | ExportError::Locked { .. }
                | ExportError::NotADirectory { .. }
                | ExportError::Unusable { .. }
                | ExportError::Incomplete { .. }
                | ExportError::InvalidMeta(_)
        )
    }
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The files `fleetsim run --out` writes: the summaries, the monthly bands unless
/// `--no-timeseries`, and the per-path files when asked.
pub fn run_files(per_path: bool, timeseries: bool) -> Vec<&'static str> {
    let mut v = vec![names::SUMMARY_JSON, names::SUMMARY_CSV, names::PAIRS_CSV];
    if timeseries {
        v.extend([names::TIMESERIES_CSV, names::TIMESERIES_PARQUET]);
    }
    if per_path {
        v.extend([names::PER_PATH_CSV, names::PER_PATH_PARQUET]);
    }
    v
}

/// Formats an f64 so that parsing it gives back the same value (shortest round-trip digits),
/// in plain notation for 1e-5 <= |x| < 1e16 and scientific beyond; empty for NaN/inf (an
/// undefined value).
pub fn format_f64(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-5..1e16).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// An optional number as a CSV cell: shortest round-trip digits, empty when undefined.
pub(crate) fn opt(x: Option<f64>) -> String {
    x.map(format_f64).unwrap_or_default()
}

/// A result manifest (`spares.json`, ...) as pretty-printed JSON with the keys of every object
/// sorted, nested ones included: the layout the manifests have always had, so a typed report
/// writes the same bytes as the untyped `json!` value it replaces. (serde_json's map is
/// ordered by key; the value round trip is what sorts the fields of nested structs.)
pub fn json_text<T: Serialize>(report: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&serde_json::to_value(report)?)
}

/// Writes `report` as pretty-printed JSON ([`json_text`]) to the file `path`, whole or not at
/// all ([`write_atomically`]); an existing file is refused unless `force` (`fleetsim check
/// --json`).
pub fn write_json_file<T: Serialize>(
    path: &Path,
    report: &T,
    force: bool,
) -> Result<(), ExportError> {
    let text = json_text(report).map_err(|source| ExportError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    write_atomically(path, format!("{text}\n").as_bytes(), force)
}

/// Keys of summary.json that the metadata may not use.
pub const RESERVED_SUMMARY_KEYS: [&str; 7] = [
    "fleetsim_version",
    "identity",
    "n_paths",
    "definitions",
    "metrics",
    "options",
    "pairs",
];

#[derive(Serialize)]
struct SummaryFile<'a> {
    fleetsim_version: &'static str,
    identity: &'a RunIdentity,
    #[serde(flatten)]
    meta: &'a serde_json::Map<String, serde_json::Value>,
    #[serde(flatten)]
    summary: &'a RunSummary,
}

/// Stages `summary.json` in `out`, pretty-printed: `{"fleetsim_version", "identity" (the
/// [`RunIdentity`] of `out`), <meta keys>, "n_paths",
/// "definitions", "metrics", "options": {option: {metric: figures}}, "pairs": {"a vs b":
/// {"a", "b", "metrics": {metric: {"difference", "ratio", "ratio_undefined_reason",
/// "n_compared", "p_a_better", "p_a_better_se"}}}}}`.
///
/// `meta` (resolved config, seed, backend, adapter, wall time, ...) must be a JSON object (or
/// null) whose keys are not in [`RESERVED_SUMMARY_KEYS`]; its keys are merged in at top level.
/// Returns the path it will have once committed.
pub fn write_summary_json(
    out: &mut OutputDir,
    summary: &RunSummary,
    meta: &serde_json::Value,
) -> Result<PathBuf, ExportError> {
    let empty = serde_json::Map::new();
    let meta = match meta {
        serde_json::Value::Object(m) => m,
        serde_json::Value::Null => &empty,
        other => {
            return Err(ExportError::InvalidMeta(format!(
                "expected a JSON object, got {}",
                other
            )));
        }
    };
    if let Some(k) = meta
        .keys()
        .find(|k| RESERVED_SUMMARY_KEYS.contains(&k.as_str()))
    {
        return Err(ExportError::InvalidMeta(format!(
            "key {k:?} is reserved for the figures (reserved: {RESERVED_SUMMARY_KEYS:?})"
        )));
    }
    let path = out.final_path(names::SUMMARY_JSON);
    let mut w = BufWriter::new(out.file(names::SUMMARY_JSON)?);
    let file = SummaryFile {
        fleetsim_version: env!("CARGO_PKG_VERSION"),
        identity: out.identity(),
        meta,
        summary,
    };
    serde_json::to_writer_pretty(&mut w, &file).map_err(|source| ExportError::Json {
        path: path.clone(),
        source,
    })?;
    w.write_all(b"\n").map_err(io_err(&path))?;
    w.flush().map_err(io_err(&path))?;
    Ok(path)
}

/// Statistic columns shared by summary.csv and pairs.csv, after the key columns.
pub const STAT_COLUMNS: [&str; 19] = [
    "count",
    "n_undefined",
    "mean",
    "sd",
    "se",
    "min",
    "p1",
    "p5",
    "p10",
    "p25",
    "p50",
    "p75",
    "p90",
    "p95",
    "p99",
    "max",
    "cvar5",
    "p_negative",
    "quantile_method",
];

/// The cells of [`STAT_COLUMNS`] but the last (`quantile_method`, text) for one statistic:
/// summary.csv, pairs.csv and sweep.csv/.parquet all lay them out this way.
pub(crate) fn stat_cells(s: &MetricStats) -> Vec<Cell> {
    let mut v = vec![
        Cell::Int(s.count as i64),
        Cell::Int(s.n_undefined as i64),
        Cell::Num(s.mean),
        Cell::Num(s.sd),
        Cell::Num(s.se),
        Cell::Num(s.min),
    ];
    v.extend(s.quantiles().iter().map(|(_, q)| Cell::Num(*q)));
    v.extend([
        Cell::Num(s.max),
        Cell::Num(s.cvar5),
        Cell::Num(s.p_negative),
    ]);
    v
}

/// Columns summary.csv and pairs.csv add after [`STAT_COLUMNS`] (and pairs.csv after its
/// `p_a_better_se`): a "never" metric's `n_never` and `p_never` (empty for other metrics).
pub const NEVER_COLUMNS: [&str; 2] = ["n_never", "p_never"];

/// The [`NEVER_COLUMNS`] cells of one statistic as CSV text.
fn never_texts(s: &MetricStats) -> [String; 2] {
    [
        s.n_never.map(|n| n.to_string()).unwrap_or_default(),
        opt(s.p_never),
    ]
}

/// [`stat_cells`] as CSV text, with the quantile method: a row's [`STAT_COLUMNS`].
fn stat_texts(s: &MetricStats) -> impl Iterator<Item = String> {
    stat_cells(s)
        .into_iter()
        .map(|c| c.csv_text())
        .chain([s.quantile_method.as_str().to_string()])
}

/// Stages `summary.csv` (columns: option, metric, unit, then [`STAT_COLUMNS`], then
/// [`NEVER_COLUMNS`]) and `dir/pairs.csv` (columns: option_a, option_b, metric, kind =
/// difference|ratio, unit, then [`STAT_COLUMNS`], then n_compared, p_a_better,
/// p_a_better_se, then [`NEVER_COLUMNS`] and `undefined_reason`: why a ratio is withheld)
/// in `out`. Empty cell = null. Returns the paths they will have once committed.
pub fn write_summary_csv(
    out: &mut OutputDir,
    summary: &RunSummary,
) -> Result<Vec<PathBuf>, ExportError> {
    out.check_free(&[names::SUMMARY_CSV, names::PAIRS_CSV])?;
    let paths = vec![
        out.final_path(names::SUMMARY_CSV),
        out.final_path(names::PAIRS_CSV),
    ];
    let unit = |m: &str| summary.metrics.get(m).map(|d| d.unit).unwrap_or("");

    let p = &paths[0];
    let csv_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| ExportError::Csv { path: p, source }
    };
    let mut w = csv::Writer::from_writer(out.file(names::SUMMARY_CSV)?);
    let mut header = vec!["option", "metric", "unit"];
    header.extend(STAT_COLUMNS);
    header.extend(NEVER_COLUMNS);
    w.write_record(&header).map_err(csv_err(p))?;
    for (o, metrics) in summary.options.iter() {
        for (m, s) in metrics.iter() {
            let mut row = vec![o.to_string(), m.to_string(), unit(m).to_string()];
            row.extend(stat_texts(s));
            row.extend(never_texts(s));
            w.write_record(&row).map_err(csv_err(p))?;
        }
    }
    w.flush().map_err(io_err(p))?;

    let p = &paths[1];
    let mut w = csv::Writer::from_writer(out.file(names::PAIRS_CSV)?);
    let mut header = vec!["option_a", "option_b", "metric", "kind", "unit"];
    header.extend(STAT_COLUMNS);
    header.extend(["n_compared", "p_a_better", "p_a_better_se"]);
    header.extend(NEVER_COLUMNS);
    header.push("undefined_reason");
    w.write_record(&header).map_err(csv_err(p))?;
    for (_, pair) in summary.pairs.iter() {
        for (m, ps) in pair.metrics.iter() {
            for (kind, s, u, why) in [
                ("difference", &ps.difference, unit(m), None),
                (
                    "ratio",
                    &ps.ratio,
                    "ratio",
                    ps.ratio_undefined_reason.as_deref(),
                ),
            ] {
                let mut row = vec![
                    pair.a.clone(),
                    pair.b.clone(),
                    m.to_string(),
                    kind.to_string(),
                    u.to_string(),
                ];
                row.extend(stat_texts(s));
                row.extend([
                    ps.n_compared.to_string(),
                    opt(ps.p_a_better),
                    opt(ps.p_a_better_se),
                ]);
                row.extend(never_texts(s));
                row.push(why.unwrap_or_default().to_string());
                w.write_record(&row).map_err(csv_err(p))?;
            }
        }
    }
    w.flush().map_err(io_err(p))?;
    Ok(paths)
}
