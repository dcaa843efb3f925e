//! `timeseries.csv` and `timeseries.parquet`: the monthly bands of a run in long format, one
//! row per (option, month, monthly series), the same columns in both files (empty cell /
//! null where a statistic is undefined, never NaN).

use std::path::{Path, PathBuf};

use parquet::data_type::ByteArray;

use super::table::{ColumnKind, ParquetTable};
use super::{ExportError, OutputDir, io_err, names, opt};
use crate::stats::{Timeseries, TimeseriesRow};

/// The columns of both files, in order.
pub const TIMESERIES_COLUMNS: [(&str, ColumnKind); 13] = [
    ("option", ColumnKind::Text),
    ("month", ColumnKind::Int64),
    ("day_start", ColumnKind::Int64),
    ("day_end", ColumnKind::Int64),
    ("metric", ColumnKind::Text),
    ("unit", ColumnKind::Text),
    ("n", ColumnKind::Int64),
    ("mean", ColumnKind::Double),
    ("p5", ColumnKind::Double),
    ("p25", ColumnKind::Double),
    ("p50", ColumnKind::Double),
    ("p75", ColumnKind::Double),
    ("p95", ColumnKind::Double),
];

fn stats(r: &TimeseriesRow) -> [Option<f64>; 6] {
    [r.mean, r.p5, r.p25, r.p50, r.p75, r.p95]
}

/// Stages `timeseries.csv` and `timeseries.parquet` in `out`. Returns the paths they will
/// have once committed.
pub fn write_timeseries(out: &mut OutputDir, ts: &Timeseries) -> Result<Vec<PathBuf>, ExportError> {
    out.check_free(&[names::TIMESERIES_CSV, names::TIMESERIES_PARQUET])?;
    let paths = vec![
        out.final_path(names::TIMESERIES_CSV),
        out.final_path(names::TIMESERIES_PARQUET),
    ];
    let p = &paths[0];
    let csv_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| ExportError::Csv { path: p, source }
    };
    let mut w = csv::Writer::from_writer(out.file(names::TIMESERIES_CSV)?);
    w.write_record(TIMESERIES_COLUMNS.iter().map(|(n, _)| *n))
        .map_err(csv_err(p))?;
    for r in &ts.rows {
        let mut row = vec![
            r.option.clone(),
            r.month.to_string(),
            r.day_start.to_string(),
            r.day_end.to_string(),
            r.metric.to_string(),
            r.unit.to_string(),
            r.n.to_string(),
        ];
        row.extend(stats(r).into_iter().map(opt));
        w.write_record(&row).map_err(csv_err(p))?;
    }
    w.flush().map_err(io_err(p))?;

    let columns: Vec<(String, ColumnKind)> = TIMESERIES_COLUMNS
        .iter()
        .map(|(n, k)| (n.to_string(), *k))
        .collect();
    let mut t = ParquetTable::create(
        out.file(names::TIMESERIES_PARQUET)?,
        &paths[1],
        "timeseries",
        &columns,
    )?;
    for r in &ts.rows {
        t.text(0, ByteArray::from(r.option.as_str()));
        t.int(1, i64::from(r.month));
        t.int(2, i64::from(r.day_start));
        t.int(3, i64::from(r.day_end));
        t.text(4, ByteArray::from(r.metric));
        t.text(5, ByteArray::from(r.unit));
        t.int(6, r.n as i64);
        for (c, x) in stats(r).into_iter().enumerate() {
            t.double(7 + c, x.unwrap_or(f64::NAN));
        }
        t.end_row()?;
    }
    t.finish(out.identity())?;
    Ok(paths)
}
