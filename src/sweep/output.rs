//! Writing a sweep's results: sweep.csv and sweep.parquet (one row per point and option, same
//! columns, same values) and the sweep.json manifest; nothing is overwritten without `force`.

use std::path::PathBuf;

use parquet::data_type::ByteArray;

use super::plan::Plan;
use super::run::PointResult;
use super::table::{Cell, all_columns};
use crate::export::{ExportError, OutputDir, ParquetTable, format_f64, io_err};

/// sweep.csv: one row per (point, option).
pub const SWEEP_CSV: &str = "sweep.csv";
/// sweep.parquet: the same table as sweep.csv.
pub const SWEEP_PARQUET: &str = "sweep.parquet";
/// sweep.json: the manifest.
pub const SWEEP_JSON: &str = "sweep.json";
/// Version of the sweep.json layout (raised when a key changes meaning or disappears).
pub const SWEEP_SCHEMA_VERSION: u32 = 1;

/// The files a sweep writes.
pub const SWEEP_FILES: [&str; 3] = [SWEEP_CSV, SWEEP_PARQUET, SWEEP_JSON];

/// The axis column names of a plan, in axis order.
pub fn axis_columns(plan: &Plan) -> Vec<String> {
    plan.spec.axes.iter().map(|a| a.column()).collect()
}

/// Stages sweep.csv, sweep.parquet and sweep.json (the `manifest` object, pretty-printed) in
/// `out`; refuses (writing nothing) if any exists and `out` may not overwrite.
pub fn write(
    out: &mut OutputDir,
    plan: &Plan,
    results: &[PointResult],
    manifest: &serde_json::Value,
) -> Result<Vec<PathBuf>, ExportError> {
    out.check_free(&SWEEP_FILES)?;
    let paths: Vec<PathBuf> = SWEEP_FILES.iter().map(|f| out.final_path(f)).collect();
    let n_years = plan.base.horizon_years as usize;
    let columns = all_columns(&axis_columns(plan), n_years);
    let names: Vec<&str> = columns.iter().map(|c| c.0.as_str()).collect();

    let csv_path = &paths[0];
    let csv_err = |source| ExportError::Csv {
        path: csv_path.clone(),
        source,
    };
    let mut w = csv::Writer::from_writer(out.file(SWEEP_FILES[0])?);
    w.write_record(&names).map_err(csv_err)?;
    let mut pq = ParquetTable::create(
        out.file(SWEEP_FILES[1])?,
        &paths[1],
        "fleetsim_sweep",
        &columns,
    )?;
    let option_bytes: Vec<ByteArray> = plan
        .option_names
        .iter()
        .map(|n| ByteArray::from(n.as_str()))
        .collect();
    let n_axes = plan.spec.axes.len();
    let mut row: Vec<String> = Vec::with_capacity(columns.len());
    for (p, (vals, res)) in plan.points.iter().zip(results).enumerate() {
        for (o, cells) in res.rows.iter().enumerate() {
            row.clear();
            row.push(p.to_string());
            pq.int(0, p as i64);
            for (a, v) in vals.iter().enumerate() {
                row.push(format_f64(*v));
                pq.double(1 + a, *v);
            }
            row.push(plan.option_names[o].clone());
            pq.text(1 + n_axes, option_bytes[o].clone());
            for (k, c) in cells.iter().enumerate() {
                let col = 2 + n_axes + k;
                row.push(c.csv_text());
                match c {
                    Cell::Int(i) => pq.int(col, *i),
                    Cell::Num(x) => pq.double(col, x.unwrap_or(f64::NAN)),
                }
            }
            w.write_record(&row).map_err(csv_err)?;
            pq.end_row()?;
        }
    }
    w.flush().map_err(io_err(csv_path))?;
    pq.finish(out.identity())?;

    let json_path = &paths[2];
    let mut f = std::io::BufWriter::new(out.file(SWEEP_FILES[2])?);
    serde_json::to_writer_pretty(&mut f, manifest).map_err(|source| ExportError::Json {
        path: json_path.clone(),
        source,
    })?;
    use std::io::Write;
    f.write_all(b"\n").map_err(io_err(json_path))?;
    f.flush().map_err(io_err(json_path))?;
    Ok(paths)
}
