//! A small columnar Parquet table writer shared by per_path.parquet and sweep.parquet: typed
//! columns (required INT64, required UTF8 string, optional DOUBLE with null for undefined),
//! rows buffered per column and written in row groups of [`PARQUET_ROW_GROUP_ROWS`] rows.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;

use super::{ExportError, RunIdentity};

/// Rows buffered per Parquet row group (the last group may be smaller).
pub const PARQUET_ROW_GROUP_ROWS: usize = 65_536;

/// The type of one column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// `REQUIRED INT64`.
    Int64,
    /// `REQUIRED BYTE_ARRAY (STRING)`, dictionary-encoded (option names repeat).
    Text,
    /// `OPTIONAL DOUBLE`: null where the value is undefined (NaN or infinite).
    Double,
}

/// One typed cell of a result table: an integer (indices, counts) or a number that may be
/// undefined (empty CSV cell, Parquet null).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Cell {
    /// An integer.
    Int(i64),
    /// A number; `None` = undefined.
    Num(Option<f64>),
}

impl Cell {
    /// The CSV text: shortest round-trip digits, empty when undefined.
    pub fn csv_text(&self) -> String {
        match self {
            Cell::Int(i) => i.to_string(),
            Cell::Num(x) => super::opt(*x),
        }
    }
}

/// The Parquet message text of a table named `message` with `columns` in order.
pub fn parquet_schema(message: &str, columns: &[(String, ColumnKind)]) -> String {
    let mut s = format!("message {message} {{\n");
    for (name, kind) in columns {
        let line = match kind {
            ColumnKind::Int64 => format!("  REQUIRED INT64 {name};\n"),
            ColumnKind::Text => format!("  REQUIRED BYTE_ARRAY {name} (STRING);\n"),
            ColumnKind::Double => format!("  OPTIONAL DOUBLE {name};\n"),
        };
        s.push_str(&line);
    }
    s.push('}');
    s
}

enum Buf {
    Int(Vec<i64>),
    Text(Vec<ByteArray>),
    /// Defined values only, and definition levels (1 = defined, 0 = null) for every row.
    Double(Vec<f64>, Vec<i16>),
}

/// Streams rows into one Parquet file, column by column: call the setter of every column of a
/// row ([`int`](Self::int), [`text`](Self::text), [`double`](Self::double)), then
/// [`end_row`](Self::end_row); [`finish`](Self::finish) closes the file (a table dropped
/// without it leaves an unreadable file). Uncompressed; the key-value metadata records the
/// fleetsim version.
pub struct ParquetTable {
    path: PathBuf,
    writer: SerializedFileWriter<File>,
    bufs: Vec<Buf>,
    rows: usize,
}

fn perr(p: &Path) -> impl FnOnce(ParquetError) -> ExportError + '_ {
    move |source| ExportError::Parquet {
        path: p.to_path_buf(),
        source,
    }
}

impl ParquetTable {
    /// Starts a table named `message` with `columns` in order in `file` (a staged file of an
    /// [`super::OutputDir`]); `path` names it in errors.
    pub fn create(
        file: File,
        path: &Path,
        message: &str,
        columns: &[(String, ColumnKind)],
    ) -> Result<Self, ExportError> {
        let schema =
            Arc::new(parse_message_type(&parquet_schema(message, columns)).map_err(perr(path))?);
        let mut props = WriterProperties::builder()
            .set_created_by(format!("fleetsim {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![KeyValue::new(
                "fleetsim_version".to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            )]))
            .set_dictionary_enabled(false);
        for (name, kind) in columns {
            if *kind == ColumnKind::Text {
                props = props.set_column_dictionary_enabled(ColumnPath::from(name.as_str()), true);
            }
        }
        let writer =
            SerializedFileWriter::new(file, schema, Arc::new(props.build())).map_err(perr(path))?;
        let bufs = columns
            .iter()
            .map(|(_, k)| match k {
                ColumnKind::Int64 => Buf::Int(Vec::new()),
                ColumnKind::Text => Buf::Text(Vec::new()),
                ColumnKind::Double => Buf::Double(Vec::new(), Vec::new()),
            })
            .collect();
        Ok(ParquetTable {
            path: path.to_path_buf(),
            writer,
            bufs,
            rows: 0,
        })
    }

    /// Sets column `c` (an [`ColumnKind::Int64`] column) of the current row.
    ///
    /// # Panics
    /// If column `c` is of another kind.
    pub fn int(&mut self, c: usize, v: i64) {
        match &mut self.bufs[c] {
            Buf::Int(b) => b.push(v),
            _ => panic!("column {c} is not an INT64 column"),
        }
    }

    /// Sets column `c` (a [`ColumnKind::Text`] column) of the current row.
    ///
    /// # Panics
    /// If column `c` is of another kind.
    pub fn text(&mut self, c: usize, v: ByteArray) {
        match &mut self.bufs[c] {
            Buf::Text(b) => b.push(v),
            _ => panic!("column {c} is not a string column"),
        }
    }

    /// Sets column `c` (a [`ColumnKind::Double`] column) of the current row; NaN or infinite
    /// is written as null.
    ///
    /// # Panics
    /// If column `c` is of another kind.
    pub fn double(&mut self, c: usize, v: f64) {
        match &mut self.bufs[c] {
            Buf::Double(vals, defs) => {
                if v.is_finite() {
                    vals.push(v);
                    defs.push(1);
                } else {
                    defs.push(0);
                }
            }
            _ => panic!("column {c} is not a DOUBLE column"),
        }
    }

    /// Ends the current row (every column must have been set once); writes a row group when
    /// [`PARQUET_ROW_GROUP_ROWS`] rows are buffered.
    pub fn end_row(&mut self) -> Result<(), ExportError> {
        self.rows += 1;
        if self.rows >= PARQUET_ROW_GROUP_ROWS {
            self.flush().map_err(perr(&self.path))?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ParquetError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut rg = self.writer.next_row_group()?;
        let mut k = 0usize;
        while let Some(mut col) = rg.next_column()? {
            match &self.bufs[k] {
                Buf::Int(b) => {
                    col.typed::<Int64Type>().write_batch(b, None, None)?;
                }
                Buf::Text(b) => {
                    col.typed::<ByteArrayType>().write_batch(b, None, None)?;
                }
                Buf::Double(v, d) => {
                    col.typed::<DoubleType>().write_batch(v, Some(d), None)?;
                }
            }
            col.close()?;
            k += 1;
        }
        rg.close()?;
        for b in &mut self.bufs {
            match b {
                Buf::Int(v) => v.clear(),
                Buf::Text(v) => v.clear(),
                Buf::Double(v, d) => {
                    v.clear();
                    d.clear();
                }
            }
        }
        self.rows = 0;
        Ok(())
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the buffered rows, records `identity` in the key-value metadata
    /// ([`RunIdentity::key_values`]) and closes the file; returns its path.
    pub fn finish(mut self, identity: &RunIdentity) -> Result<PathBuf, ExportError> {
        self.flush().map_err(perr(&self.path))?;
        for (k, v) in identity.key_values() {
            self.writer.append_key_value_metadata(KeyValue::new(k, v));
        }
        self.writer.close().map_err(perr(&self.path))?;
        Ok(self.path)
    }
}
