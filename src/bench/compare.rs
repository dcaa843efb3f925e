//! `fleetsim bench compare A.json B.json ...`: reads results files, refuses to compare files
//! of different schema or workload-set versions, and lays their throughput side by side: one
//! row per workload, one column per device of each file, with the speed-up of each column over
//! the first (the first device of the first file).

use std::path::Path;

use super::report::{BenchFile, SCHEMA_VERSION};

/// One column of the comparison: a device of a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The file's name as given.
    pub file: String,
    /// `cpu` or `gpu`.
    pub engine: String,
    /// Device name.
    pub device: String,
    /// API (`vulkan`...) or `rayon`.
    pub backend: String,
}

impl Column {
    /// `file: engine device (backend)`, the header of the column.
    pub fn label(&self) -> String {
        format!(
            "{}: {} {} ({})",
            self.file, self.engine, self.device, self.backend
        )
    }
}

/// One workload's figures across the columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Workload id.
    pub workload: String,
    /// `path-days/s`, or `blocks/s` for the RNG-only workload.
    pub unit: &'static str,
    /// Median throughput per column (None: the device did not run it).
    pub values: Vec<Option<f64>>,
    /// Whether each column's run was scaled down from the nominal size.
    pub scaled_down: Vec<Option<bool>>,
}

impl Row {
    /// Throughput of column `i` over column 0's, when both exist.
    pub fn speedup(&self, i: usize) -> Option<f64> {
        match (self.values.first().copied().flatten(), self.values[i]) {
            (Some(base), Some(v)) if base > 0.0 => Some(v / base),
            _ => None,
        }
    }
}

/// The side-by-side comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Columns, file by file, device by device.
    pub columns: Vec<Column>,
    /// Rows in order of first appearance.
    pub rows: Vec<Row>,
}

/// Reads and parses a results file; the error names the file.
pub fn load(path: &Path) -> Result<BenchFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    match v.get("schema_version").and_then(|s| s.as_u64()) {
        Some(s) if s == SCHEMA_VERSION as u64 => {}
        Some(s) => {
            return Err(format!(
                "{}: schema_version {s}, this fleetsim reads {SCHEMA_VERSION}",
                path.display()
            ));
        }
        None => {
            return Err(format!(
                "{}: schema_version: missing, not a fleetsim bench file",
                path.display()
            ));
        }
    }
    serde_json::from_value(v).map_err(|e| format!("{}: {e}", path.display()))
}

/// Fails, naming both files and versions, unless every file has the first file's
/// workload-set version.
pub fn check_versions(files: &[(String, BenchFile)]) -> Result<(), String> {
    let Some((first, f0)) = files.first() else {
        return Ok(());
    };
    for (name, f) in &files[1..] {
        if f.workload_set_version != f0.workload_set_version {
            return Err(format!(
                "cannot compare {first} (workload set version {}) with {name} (workload set version {}): the workloads differ; rerun `fleetsim bench` with the same fleetsim version on both",
                f0.workload_set_version, f.workload_set_version
            ));
        }
    }
    Ok(())
}

/// Lays the files out side by side (call [`check_versions`] first).
pub fn compare(files: &[(String, BenchFile)]) -> Comparison {
    let mut columns = vec![];
    let mut ids: Vec<String> = vec![];
    for (name, f) in files {
        for d in &f.devices {
            columns.push(Column {
                file: name.clone(),
                engine: d.engine.clone(),
                device: d.name.clone(),
                backend: d.backend.clone(),
            });
            for w in &d.workloads {
                if !ids.contains(&w.id) {
                    ids.push(w.id.clone());
                }
            }
        }
    }
    let devices: Vec<_> = files.iter().flat_map(|(_, f)| f.devices.iter()).collect();
    let rows = ids
        .into_iter()
        .map(|id| {
            let found: Vec<_> = devices
                .iter()
                .map(|d| d.workloads.iter().find(|w| w.id == id))
                .collect();
            let rng = found
                .iter()
                .flatten()
                .any(|w| w.philox_blocks_per_s.is_some());
            Row {
                unit: if rng { "blocks/s" } else { "path-days/s" },
                values: found
                    .iter()
                    .map(|w| {
                        w.and_then(|w| w.path_days_per_s.or(w.philox_blocks_per_s))
                            .map(|s| s.median)
                    })
                    .collect(),
                scaled_down: found.iter().map(|w| w.map(|w| w.scaled_down)).collect(),
                workload: id,
            }
        })
        .collect();
    Comparison { columns, rows }
}

impl Comparison {
    /// The table printed by `fleetsim bench compare`: each cell is the median throughput and
    /// its speed-up over the first column, `-` where a device did not run the workload.
    pub fn table(&self) -> String {
        let mut header = vec!["workload".to_string(), "unit".to_string()];
        header.extend(self.columns.iter().map(Column::label));
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                let mut cells = vec![r.workload.clone(), r.unit.to_string()];
                for i in 0..r.values.len() {
                    cells.push(match (r.values[i], r.speedup(i)) {
                        (Some(v), Some(s)) => {
                            format!("{} ({s:.2}x)", crate::export::format::qty(v))
                        }
                        (Some(v), None) => crate::export::format::qty(v),
                        _ => "-".into(),
                    });
                }
                cells
            })
            .collect();
        crate::export::format::table(&header, &rows)
    }

    /// The comparison as CSV, one line per workload and column: `workload, unit, file,
    /// engine, device, backend, value, speedup_vs_first, scaled_down` (empty where missing).
    pub fn csv(&self) -> Result<String, String> {
        let mut w = csv::Writer::from_writer(vec![]);
        let err = |e: csv::Error| format!("CSV: {e}");
        w.write_record([
            "workload",
            "unit",
            "file",
            "engine",
            "device",
            "backend",
            "value",
            "speedup_vs_first",
            "scaled_down",
        ])
        .map_err(err)?;
        for r in &self.rows {
            for (i, c) in self.columns.iter().enumerate() {
                let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
                w.write_record([
                    r.workload.as_str(),
                    r.unit,
                    &c.file,
                    &c.engine,
                    &c.device,
                    &c.backend,
                    &opt(r.values[i]),
                    &opt(r.speedup(i)),
                    &r.scaled_down[i].map(|b| b.to_string()).unwrap_or_default(),
                ])
                .map_err(err)?;
            }
        }
        let bytes = w.into_inner().map_err(|e| format!("CSV: {e}"))?;
        String::from_utf8(bytes).map_err(|e| format!("CSV: {e}"))
    }
}
