//! Reading a result folder from disk into typed structs for the report: which kind it is
//! (run, sweep, sensitivity, spares, by the file each command writes), and the parts of its
//! files the page shows. Only what the page needs is typed; unknown keys are ignored, so a
//! newer file with more keys still loads, and optional parts (`timeseries.csv`,
//! `npv_decomposition`) load as `None` when an older folder lacks them.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::files::{SparesJson, Spearman, Summary, SweepJson, Tornado};

/// Why a folder cannot be reported on: the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The folder holds none of the files that mark a result folder.
    #[error(
        "{0}: not a fleetsim result folder: it holds none of summary.json (fleetsim run --out), sweep.json (fleetsim sweep), tornado.json (fleetsim sensitivity) or spares.json (fleetsim spares)"
    )]
    NotResults(PathBuf),
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file does not have the shape the report expects.
    #[error("{path}: not a fleetsim result file: {message}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is missing or wrong.
        message: String,
    },
}

/// One result folder, by kind.
pub enum Folder {
    /// `fleetsim run --out`.
    Run(Box<RunFolder>),
    /// `fleetsim sweep --out`.
    Sweep(Box<SweepFolder>),
    /// `fleetsim sensitivity --out`.
    Sensitivity(Box<SensitivityFolder>),
    /// `fleetsim spares --out`.
    Spares(Box<SparesFolder>),
}

/// A CSV file as text cells under its header (an empty cell is an undefined value).
pub struct Table {
    /// File name in the folder (for `data-src`).
    pub file: String,
    /// Column names.
    pub headers: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Index of column `name`.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// Cell `(row, column name)` as a number; `None` when empty, missing or not a number.
    pub fn num(&self, row: usize, name: &str) -> Option<f64> {
        let c = self.col(name)?;
        self.rows.get(row)?.get(c)?.trim().parse().ok()
    }

    /// Cell `(row, column name)` as text.
    pub fn text(&self, row: usize, name: &str) -> Option<&str> {
        let c = self.col(name)?;
        self.rows.get(row)?.get(c).map(String::as_str)
    }
}

/// A run folder: summary.json and, when present, timeseries.csv.
pub struct RunFolder {
    /// summary.json.
    pub summary: Summary,
    /// timeseries.csv (None in folders written before it existed).
    pub timeseries: Option<Table>,
}

/// A sweep folder.
pub struct SweepFolder {
    /// sweep.json.
    pub json: SweepJson,
    /// sweep.csv.
    pub csv: Table,
}

/// A sensitivity folder.
pub struct SensitivityFolder {
    /// tornado.json.
    pub tornado: Tornado,
    /// spearman.json (None when absent).
    pub spearman: Option<Spearman>,
}

/// A spares folder.
pub struct SparesFolder {
    /// spares.json.
    pub json: SparesJson,
}

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn json<T: DeserializeOwned>(path: &Path) -> Result<T, LoadError> {
    serde_json::from_str(&read(path)?).map_err(|e| LoadError::Bad {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Reads a CSV file into a [`Table`]; `None` when the file is absent.
fn csv_table(dir: &Path, file: &str) -> Result<Option<Table>, LoadError> {
    let path = dir.join(file);
    if !path.exists() {
        return Ok(None);
    }
    let bad = |e: csv::Error| LoadError::Bad {
        path: path.clone(),
        message: e.to_string(),
    };
    let text = read(&path)?;
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let headers = rd
        .headers()
        .map_err(bad)?
        .iter()
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    for rec in rd.records() {
        rows.push(rec.map_err(bad)?.iter().map(String::from).collect());
    }
    Ok(Some(Table {
        file: file.into(),
        headers,
        rows,
    }))
}

/// The columns timeseries.csv must have (the contract in `docs` and README).
pub const TIMESERIES_COLUMNS: [&str; 13] = [
    "option",
    "month",
    "day_start",
    "day_end",
    "metric",
    "unit",
    "n",
    "mean",
    "p5",
    "p25",
    "p50",
    "p75",
    "p95",
];

/// Reads the result folder `dir`: its kind by the file each command writes, then its files.
pub fn load(dir: &Path) -> Result<Folder, LoadError> {
    if !dir.is_dir() {
        return Err(LoadError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder"),
        });
    }
    let has = |f: &str| dir.join(f).is_file();
    if has("summary.json") {
        let summary: Summary = json(&dir.join("summary.json"))?;
        let timeseries = csv_table(dir, "timeseries.csv")?;
        if let Some(t) = &timeseries
            && let Some(missing) = TIMESERIES_COLUMNS.iter().find(|c| t.col(c).is_none())
        {
            return Err(LoadError::Bad {
                path: dir.join("timeseries.csv"),
                message: format!("no column `{missing}`"),
            });
        }
        return Ok(Folder::Run(Box::new(RunFolder {
            summary,
            timeseries,
        })));
    }
    if has("sweep.json") {
        let json: SweepJson = json(&dir.join("sweep.json"))?;
        let csv = csv_table(dir, "sweep.csv")?.ok_or_else(|| LoadError::Bad {
            path: dir.join("sweep.csv"),
            message: "missing (sweep.json is there, the per-point table is not)".into(),
        })?;
        return Ok(Folder::Sweep(Box::new(SweepFolder { json, csv })));
    }
    if has("tornado.json") {
        let tornado = json(&dir.join("tornado.json"))?;
        let spearman = if has("spearman.json") {
            Some(json(&dir.join("spearman.json"))?)
        } else {
            None
        };
        return Ok(Folder::Sensitivity(Box::new(SensitivityFolder {
            tornado,
            spearman,
        })));
    }
    if has("spares.json") {
        return Ok(Folder::Spares(Box::new(SparesFolder {
            json: json(&dir.join("spares.json"))?,
        })));
    }
    Err(LoadError::NotResults(dir.to_path_buf()))
}
