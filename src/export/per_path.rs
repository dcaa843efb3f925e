//! Streaming per-path export: one row per (path, option) with one column per metric, written
//! to per_path.csv and per_path.parquet as blocks arrive.

use std::fs::File;
use std::path::{Path, PathBuf};

use parquet::data_type::ByteArray;

use super::table::{ColumnKind, ParquetTable, parquet_schema};
use super::{ExportError, OutputDir, RunIdentity, format_f64, io_err, names};
use crate::engine::PathBlock;
use crate::model::outputs::metrics_for;

/// Which per-path files to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerPathFormats {
    /// Write per_path.csv.
    pub csv: bool,
    /// Write per_path.parquet.
    pub parquet: bool,
}

impl Default for PerPathFormats {
    /// Both files.
    fn default() -> Self {
        PerPathFormats {
            csv: true,
            parquet: true,
        }
    }
}

/// The Parquet schema of per_path.parquet for a run of `n_years` years, in Parquet's message
/// syntax: `path` INT64 required, `option` UTF8 string required, then one OPTIONAL DOUBLE per
/// metric of [`metrics_for`]`(n_years)`, null where the metric is undefined on that path.
pub fn per_path_parquet_schema(n_years: usize, classes: &[String]) -> String {
    parquet_schema("fleetsim_per_path", &per_path_columns(n_years, classes))
}

/// The columns of per_path.parquet: `path`, `option`, then one per metric.
fn per_path_columns(n_years: usize, classes: &[String]) -> Vec<(String, ColumnKind)> {
    let mut c = vec![
        ("path".to_string(), ColumnKind::Int64),
        ("option".to_string(), ColumnKind::Text),
    ];
    c.extend(
        metrics_for(n_years, classes)
            .into_iter()
            .map(|(_, _, n)| (n, ColumnKind::Double)),
    );
    c
}

/// Streams per-path outputs to `dir/per_path.csv` and `dir/per_path.parquet`.
///
/// Both files have one row per (path, option), paths in the order blocks are given, options in
/// config order: `path` (integer), `option` (name), then one column per metric of
/// [`metrics_for`]`(n_years)` (record order, yearly cash flows last). Undefined values are
/// empty CSV cells and Parquet nulls; CSV numbers are written with round-trip precision
/// ([`format_f64`]). Parquet row groups hold [`super::PARQUET_ROW_GROUP_ROWS`] rows, uncompressed.
/// Call [`finish`](Self::finish): a writer dropped without it leaves an unreadable Parquet
/// file.
pub struct PerPathWriter {
    option_names: Vec<String>,
    option_bytes: Vec<ByteArray>,
    metric_idx: Vec<usize>,
    csv: Option<(PathBuf, csv::Writer<File>)>,
    parquet: Option<ParquetTable>,
    rows: u64,
}

impl PerPathWriter {
    /// Stages both files in `out`; fails with [`ExportError::Exists`] if either exists and
    /// `out` may not overwrite (before creating anything).
    pub fn new(
        out: &mut OutputDir,
        option_names: &[String],
        n_years: usize,
    ) -> Result<Self, ExportError> {
        Self::with_formats(out, option_names, n_years, &[], PerPathFormats::default())
    }

    /// Like [`new`](Self::new), writing only the formats asked for (a CSV of every path can be
    /// many gigabytes; Parquet is several times smaller).
    pub fn with_formats(
        out: &mut OutputDir,
        option_names: &[String],
        n_years: usize,
        classes: &[String],
        formats: PerPathFormats,
    ) -> Result<Self, ExportError> {
        let metrics = metrics_for(n_years, classes);
        let mut files = Vec::new();
        if formats.csv {
            files.push(names::PER_PATH_CSV);
        }
        if formats.parquet {
            files.push(names::PER_PATH_PARQUET);
        }
        out.check_free(&files)?;

        let csv = if formats.csv {
            let p = out.final_path(names::PER_PATH_CSV);
            let mut w = csv::Writer::from_writer(out.file(names::PER_PATH_CSV)?);
            let mut header = vec!["path", "option"];
            header.extend(metrics.iter().map(|(_, _, n)| n.as_str()));
            w.write_record(&header).map_err(|source| ExportError::Csv {
                path: p.clone(),
                source,
            })?;
            Some((p, w))
        } else {
            None
        };

        let parquet = if formats.parquet {
            let p = out.final_path(names::PER_PATH_PARQUET);
            Some(ParquetTable::create(
                out.file(names::PER_PATH_PARQUET)?,
                &p,
                "fleetsim_per_path",
                &per_path_columns(n_years, classes),
            )?)
        } else {
            None
        };

        Ok(PerPathWriter {
            option_names: option_names.to_vec(),
            option_bytes: option_names
                .iter()
                .map(|n| ByteArray::from(n.as_str()))
                .collect(),
            metric_idx: metrics.iter().map(|(i, _, _)| *i).collect(),
            csv,
            parquet,
            rows: 0,
        })
    }

    /// Appends every (path, option) row of a block.
    pub fn write_block(&mut self, block: &PathBlock) -> Result<(), ExportError> {
        if block.n_options as usize != self.option_names.len() {
            return Err(ExportError::BlockMismatch {
                got: block.n_options,
                expected: self.option_names.len(),
            });
        }
        let mut row: Vec<String> = Vec::with_capacity(self.metric_idx.len() + 2);
        for i in 0..block.n_paths as usize {
            let path = block.first_path as i64 + i as i64;
            for o in 0..self.option_names.len() {
                let rec = block.record(i, o);
                if let Some((p, w)) = &mut self.csv {
                    row.clear();
                    row.push(path.to_string());
                    row.push(self.option_names[o].clone());
                    row.extend(self.metric_idx.iter().map(|&m| format_f64(rec[m])));
                    w.write_record(&row).map_err(|source| ExportError::Csv {
                        path: p.clone(),
                        source,
                    })?;
                }
                if let Some(pq) = &mut self.parquet {
                    pq.int(0, path);
                    pq.text(1, self.option_bytes[o].clone());
                    for (k, &m) in self.metric_idx.iter().enumerate() {
                        pq.double(k + 2, rec[m]);
                    }
                    pq.end_row()?;
                }
                self.rows += 1;
            }
        }
        Ok(())
    }

    /// Appends every row of a per_path.csv this writer's layout wrote (a shard's, for a merge):
    /// the CSV rows verbatim, and the Parquet rows from them (the CSV holds shortest round-trip
    /// digits, so the values are the same bits; an empty cell is null). Fails with
    /// [`ExportError::Invalid`] if the header or a row does not match.
    pub fn append_csv(&mut self, path: &Path) -> Result<u64, ExportError> {
        let bad = |reason: String| ExportError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let mut r = csv::Reader::from_path(path).map_err(|source| ExportError::Csv {
            path: path.to_path_buf(),
            source,
        })?;
        let width = self.metric_idx.len() + 2;
        let header = r.headers().map_err(|source| ExportError::Csv {
            path: path.to_path_buf(),
            source,
        })?;
        if header.len() != width {
            return Err(bad(format!(
                "{} columns, this run's per-path rows have {width}",
                header.len()
            )));
        }
        let mut n = 0u64;
        for rec in r.records() {
            let rec = rec.map_err(|source| ExportError::Csv {
                path: path.to_path_buf(),
                source,
            })?;
            let o = self
                .option_names
                .iter()
                .position(|x| x == &rec[1])
                .ok_or_else(|| bad(format!("unknown option {:?}", &rec[1])))?;
            if let Some((p, w)) = &mut self.csv {
                w.write_record(&rec).map_err(|source| ExportError::Csv {
                    path: p.clone(),
                    source,
                })?;
            }
            if let Some(pq) = &mut self.parquet {
                let path_ix: i64 = rec[0]
                    .parse()
                    .map_err(|_| bad(format!("path {:?} is not an integer", &rec[0])))?;
                pq.int(0, path_ix);
                pq.text(1, self.option_bytes[o].clone());
                for k in 0..self.metric_idx.len() {
                    let cell = &rec[k + 2];
                    let v = if cell.is_empty() {
                        f64::NAN
                    } else {
                        cell.parse()
                            .map_err(|_| bad(format!("{cell:?} is not a number")))?
                    };
                    pq.double(k + 2, v);
                }
                pq.end_row()?;
            }
            self.rows += 1;
            n += 1;
        }
        Ok(n)
    }

    /// Rows written so far (paths x options).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and closes the files (the Parquet file's metadata records `identity`); returns
    /// the paths they will have once committed. A writer dropped without it leaves staged files
    /// that its [`OutputDir`] deletes.
    pub fn finish(self, identity: &RunIdentity) -> Result<Vec<PathBuf>, ExportError> {
        let mut out = Vec::new();
        if let Some((p, mut w)) = self.csv {
            w.flush().map_err(io_err(&p))?;
            out.push(p);
        }
        if let Some(pq) = self.parquet {
            out.push(pq.finish(identity)?);
        }
        Ok(out)
    }
}
