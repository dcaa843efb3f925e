//! Tests of the export module: round trips through the parquet and csv readers, refusal to
//! overwrite, and the shape of the summary files.

use std::fs::File;
use std::path::{Path, PathBuf};

use parquet::basic::{ConvertedType, Repetition, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

use super::*;
use crate::engine::PathBlock;
use crate::model::outputs::{N_OUT, idx, metrics_for};
use crate::stats::RunAggregate;

const N_YEARS: usize = 3;

fn id() -> RunIdentity {
    RunIdentity::new("test", "0".into(), 1, "paths", 0..40, 40, None)
}

/// A result folder `d` for a new result.
fn open(d: &Path, force: bool) -> Result<OutputDir, ExportError> {
    OutputDir::create(d, force, id())
}

/// summary.json written into a new folder `d` and committed.
fn json_in(d: &Path, s: &RunSummary, meta: &serde_json::Value) -> Result<PathBuf, ExportError> {
    let mut o = open(d, false)?;
    let p = write_summary_json(&mut o, s, meta)?;
    o.commit()?;
    Ok(p)
}

/// Deterministic values with awkward digits; IRR undefined on every third path, goodput on
/// every fifth (option 1 only).
fn value(p: u32, o: usize, m: usize) -> f64 {
    match m {
        idx::IRR if p.is_multiple_of(3) => f64::NAN,
        idx::GOODPUT if p.is_multiple_of(5) && o == 1 => f64::NAN,
        _ => (p as f64 + 0.1) * (o as f64 + 1.0 / 3.0) * 10f64.powi(m as i32 % 23 - 11) - 1.0,
    }
}

fn block(first: u32, n: u32, n_opt: u32) -> PathBlock {
    let mut b = PathBlock::zeroed(first, n, n_opt);
    for i in 0..n {
        for o in 0..n_opt as usize {
            for m in 0..N_OUT {
                b.values[((i * n_opt) as usize + o) * N_OUT + m] = value(first + i, o, m);
            }
        }
    }
    b
}

fn names2() -> Vec<String> {
    vec!["trn2".to_string(), "b200, \"air\"".to_string()]
}

fn summary() -> RunSummary {
    let mut agg = RunAggregate::new(2, N_YEARS);
    agg.add_block(&block(0, 40, 2));
    agg.finish(&names2())
}

#[test]
fn format_f64_round_trips() {
    for x in [
        0.0,
        -0.0,
        1.0,
        -1.5,
        0.1,
        1.0 / 3.0,
        1e-5,
        9.99e-6,
        1e16,
        9.9e15,
        1.7e308,
        5e-324,
        -2.5e-300,
        123456789.123,
    ] {
        let s = format_f64(x);
        assert_eq!(s.parse::<f64>().unwrap(), x, "{x} -> {s}");
        assert!(s.len() < 30, "{s}");
    }
    assert_eq!(format_f64(f64::NAN), "");
    assert_eq!(format_f64(f64::INFINITY), "");
}

#[test]
fn per_path_parquet_round_trips_types_nulls_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/out");
    let names = names2();
    let mut o = open(&out, false).unwrap();
    let mut w = PerPathWriter::new(&mut o, &names, N_YEARS).unwrap();
    // Blocks crossing a row-group boundary.
    let blocks = [
        block(0, 40_000, 2),
        block(40_000, 3, 2),
        block(40_003, 7_000, 2),
    ];
    for b in &blocks {
        w.write_block(b).unwrap();
    }
    assert_eq!(w.rows(), 2 * 47_003);
    let written = w.finish(o.identity()).unwrap();
    assert_eq!(written.len(), 2);
    o.commit().unwrap();

    let reader =
        SerializedFileReader::new(File::open(out.join("per_path.parquet")).unwrap()).unwrap();
    let md = reader.metadata();
    assert_eq!(md.file_metadata().num_rows(), 2 * 47_003);
    // The run's identity is in the key-value metadata.
    let kv = md.file_metadata().key_value_metadata().unwrap();
    let get = |k: &str| kv.iter().find(|x| x.key == k).and_then(|x| x.value.clone());
    let ident: RunIdentity = serde_json::from_str(&get("fleetsim.identity").unwrap()).unwrap();
    assert_eq!(ident, id());
    assert_eq!(get("fleetsim.seed").as_deref(), Some("1"));
    assert!(md.num_row_groups() >= 2);
    let schema = md.file_metadata().schema_descr();
    let metrics = metrics_for(N_YEARS, &[]);
    assert_eq!(schema.num_columns(), 2 + metrics.len());
    let col = |i: usize| schema.column(i);
    assert_eq!(
        (col(0).name(), col(0).physical_type()),
        ("path", PhysicalType::INT64)
    );
    assert_eq!(
        col(0).self_type().get_basic_info().repetition(),
        Repetition::REQUIRED
    );
    assert_eq!(
        (col(1).name(), col(1).physical_type()),
        ("option", PhysicalType::BYTE_ARRAY)
    );
    assert_eq!(col(1).converted_type(), ConvertedType::UTF8);
    for (k, (_, _, name)) in metrics.iter().enumerate() {
        let c = col(k + 2);
        assert_eq!(
            (c.name(), c.physical_type()),
            (name.as_str(), PhysicalType::DOUBLE)
        );
        assert_eq!(
            c.self_type().get_basic_info().repetition(),
            Repetition::OPTIONAL
        );
    }

    let mut n = 0usize;
    for row in reader.into_iter() {
        let row = row.unwrap();
        let (p, o) = (n / 2, n % 2);
        let fields: Vec<(&String, &Field)> = row.get_column_iter().collect();
        assert_eq!(fields[0].1, &Field::Long(p as i64));
        assert_eq!(fields[1].1, &Field::Str(names[o].clone()));
        for (k, (m, _, _)) in metrics.iter().enumerate() {
            let want = value(p as u32, o, *m);
            match fields[k + 2].1 {
                Field::Double(v) => assert_eq!(*v, want, "path {p} option {o} metric {m}"),
                Field::Null => assert!(want.is_nan(), "unexpected null at path {p} metric {m}"),
                f => panic!("unexpected field {f:?}"),
            }
        }
        n += 1;
    }
    assert_eq!(n, 2 * 47_003);
}

#[test]
fn per_path_csv_reads_back_with_full_precision() {
    let dir = tempfile::tempdir().unwrap();
    let names = names2();
    let mut o = open(dir.path(), false).unwrap();
    let mut w = PerPathWriter::new(&mut o, &names, N_YEARS).unwrap();
    w.write_block(&block(0, 30, 2)).unwrap();
    w.write_block(&block(30, 11, 2)).unwrap();
    w.finish(o.identity()).unwrap();
    o.commit().unwrap();

    let mut r = csv::Reader::from_path(dir.path().join("per_path.csv")).unwrap();
    let metrics = metrics_for(N_YEARS, &[]);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut want = vec!["path".to_string(), "option".to_string()];
    want.extend(metrics.iter().map(|m| m.2.clone()));
    assert_eq!(header, want);
    let mut n = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let (p, o) = (n / 2, n % 2);
        assert_eq!(rec[0].parse::<u64>().unwrap(), p as u64);
        assert_eq!(&rec[1], names[o]);
        for (k, (m, _, _)) in metrics.iter().enumerate() {
            let want = value(p as u32, o, *m);
            if want.is_nan() {
                assert_eq!(&rec[k + 2], "");
            } else {
                assert_eq!(rec[k + 2].parse::<f64>().unwrap(), want);
            }
        }
        n += 1;
    }
    assert_eq!(n, 82);
}

#[test]
fn refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = summary();
    let meta = serde_json::json!({"seed": 7});
    json_in(d, &s, &meta).unwrap();
    // A folder holding a result is refused as a whole without force, before anything is made.
    let e = open(d, false).unwrap_err();
    assert!(
        matches!(&e, ExportError::Occupied { dir } if dir == d),
        "{e}"
    );
    assert!(e.to_string().contains("--force"), "{e}");
    assert!(e.is_bad_input());
    let mut o = open(d, true).unwrap();
    write_summary_json(&mut o, &s, &meta).unwrap();
    o.commit().unwrap();

    // A stray pairs.csv (not of a result) blocks both CSVs, and summary.csv is not created.
    let d = &d.join("fresh");
    std::fs::create_dir(d).unwrap();
    std::fs::write(d.join("pairs.csv"), "keep me").unwrap();
    let mut o = open(d, false).unwrap();
    let e = write_summary_csv(&mut o, &s).unwrap_err();
    assert!(matches!(&e, ExportError::Exists { path } if path.ends_with("pairs.csv")));
    drop(o);
    assert!(!d.join("summary.csv").exists());
    assert_eq!(
        std::fs::read_to_string(d.join("pairs.csv")).unwrap(),
        "keep me"
    );
    let mut o = open(d, true).unwrap();
    write_summary_csv(&mut o, &s).unwrap();
    o.commit().unwrap();
    assert_ne!(
        std::fs::read_to_string(d.join("pairs.csv")).unwrap(),
        "keep me"
    );

    let d = &d.join("pp");
    std::fs::create_dir(d).unwrap();
    std::fs::write(d.join("per_path.parquet"), "old").unwrap();
    let mut o = open(d, false).unwrap();
    let e = PerPathWriter::new(&mut o, &names2(), N_YEARS)
        .err()
        .unwrap();
    assert!(matches!(&e, ExportError::Exists { path } if path.ends_with("per_path.parquet")));
    drop(o);
    let left: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != output::LOCK)
        .collect();
    assert_eq!(left, ["per_path.parquet"], "nothing else was created");
    let mut o = open(d, true).unwrap();
    let mut w = PerPathWriter::new(&mut o, &names2(), N_YEARS).unwrap();
    assert!(matches!(
        w.write_block(&block(0, 2, 3)),
        Err(ExportError::BlockMismatch {
            got: 3,
            expected: 2
        })
    ));
    w.finish(o.identity()).unwrap();
    o.commit().unwrap();
    // Only-parquet writer leaves the CSV alone.
    let f = PerPathFormats {
        csv: false,
        parquet: true,
    };
    let mut o = open(&d.join("x"), false).unwrap();
    PerPathWriter::with_formats(&mut o, &names2(), N_YEARS, &[], f)
        .unwrap()
        .finish(&id())
        .unwrap();
    o.commit().unwrap();
    assert!(d.join("x/per_path.parquet").exists() && !d.join("x/per_path.csv").exists());
}

#[test]
fn unfinished_files_never_appear_under_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = open(dir.path(), false).unwrap();
    let mut w = PerPathWriter::new(&mut o, &names2(), N_YEARS).unwrap();
    w.write_block(&block(0, 10, 2)).unwrap();
    for f in [
        names::PER_PATH_CSV,
        names::PER_PATH_PARQUET,
        output::MANIFEST,
    ] {
        assert!(
            !dir.path().join(f).exists(),
            "{f} must not exist while the run goes on"
        );
    }
    drop(w);
    drop(o);
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, [output::LOCK], "only the lock file stays");
}

#[test]
fn summary_json_parses_with_meta_and_no_nan() {
    let dir = tempfile::tempdir().unwrap();
    let s = summary();
    let meta = serde_json::json!({"seed": 42, "backend": "cpu", "config": {"paths": 40}, "wall_time_s": 0.5});
    let p = json_in(dir.path(), &s, &meta).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(!text.contains("NaN") && !text.contains("Infinity"));
    assert!(
        text.starts_with("{\n  \"fleetsim_version\""),
        "pretty, version first"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["fleetsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        serde_json::from_value::<RunIdentity>(v["identity"].clone()).unwrap(),
        id()
    );
    assert_eq!(v["seed"], 42);
    assert_eq!(v["config"]["paths"], 40);
    assert_eq!(v["n_paths"], 40);
    assert_eq!(v["options"]["trn2"]["npv_usd"]["count"], 40);
    assert_eq!(v["options"]["b200, \"air\""]["irr"]["n_undefined"], 14);
    assert!(v["pairs"]["trn2 vs b200, \"air\""]["metrics"]["npv_usd"]["p_a_better"].is_number());
    // Metric keys in record order.
    let keys: Vec<&String> = v["options"]["trn2"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), metrics_for(N_YEARS, &[]).len());

    for bad in [serde_json::json!([1]), serde_json::json!({"options": 1})] {
        let e = json_in(&dir.path().join("bad"), &s, &bad).unwrap_err();
        assert!(matches!(e, ExportError::InvalidMeta(_)));
    }
    json_in(&dir.path().join("null"), &s, &serde_json::Value::Null).unwrap();
}

#[test]
fn summary_csv_has_one_row_per_option_metric_and_pair_metric_kind() {
    let dir = tempfile::tempdir().unwrap();
    let s = summary();
    let mut o = open(dir.path(), false).unwrap();
    write_summary_csv(&mut o, &s).unwrap();
    o.commit().unwrap();
    let metrics = metrics_for(N_YEARS, &[]);

    let mut r = csv::Reader::from_path(dir.path().join("summary.csv")).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut want = vec!["option", "metric", "unit"];
    want.extend(STAT_COLUMNS);
    want.extend(NEVER_COLUMNS);
    assert_eq!(h, want);
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2 * metrics.len());
    for (row, (_, mi, name)) in rows.iter().zip(&metrics) {
        assert_eq!(
            (&row[0], &row[1], &row[2]),
            ("trn2", name.as_str(), mi.unit)
        );
        let st = s.options.get("trn2").unwrap().get(name).unwrap();
        let col = |c: &str| &row[h.iter().position(|x| x == c).unwrap()];
        assert_eq!(col("count").parse::<u64>().unwrap(), st.count);
        assert_eq!(col("p50").parse::<f64>().unwrap(), st.p50.unwrap());
        assert_eq!(col("mean").parse::<f64>().unwrap(), st.mean.unwrap());
        assert_eq!(col("quantile_method"), "exact");
        // n_never / p_never only for the metrics with a "never" value (payback).
        let never = crate::stats::never_past_horizon(name);
        assert_eq!(col("n_never").is_empty(), !never, "{name}");
        assert_eq!(col("p_never").is_empty(), !never, "{name}");
        if never {
            assert_eq!(col("n_never").parse::<u64>().unwrap(), st.n_never.unwrap());
        }
    }
    // goodput of option 1 has nulls only where count == 0: never here; an all-undefined metric
    // would have empty cells (checked through format_f64/opt).

    let mut r = csv::Reader::from_path(dir.path().join("pairs.csv")).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&h[..5], ["option_a", "option_b", "metric", "kind", "unit"]);
    assert_eq!(
        &h[h.len() - 6..],
        [
            "n_compared",
            "p_a_better",
            "p_a_better_se",
            "n_never",
            "p_never",
            "undefined_reason"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), crate::stats::PAIRED_METRICS.len() * 2);
    assert_eq!(
        (&rows[0][0], &rows[0][1], &rows[0][2], &rows[0][3]),
        ("trn2", "b200, \"air\"", "npv_usd", "difference")
    );
    assert_eq!((&rows[1][3], &rows[1][4]), ("ratio", "ratio"));
    let p: f64 = rows[0][h.len() - 5].parse().unwrap();
    assert!((0.0..=1.0).contains(&p));
}

#[test]
fn empty_figures_are_empty_cells() {
    let dir = tempfile::tempdir().unwrap();
    let agg = RunAggregate::new(1, 1);
    let s = agg.finish(&["only".to_string()]);
    let mut o = open(dir.path(), false).unwrap();
    write_summary_csv(&mut o, &s).unwrap();
    o.commit().unwrap();
    let mut r = csv::Reader::from_path(dir.path().join("summary.csv")).unwrap();
    let row = r.records().next().unwrap().unwrap();
    assert_eq!(&row[3], "0");
    assert!(
        row.iter()
            .skip(5)
            .take(STAT_COLUMNS.len() - 3)
            .all(|c| c.is_empty()),
        "{row:?}"
    );
}

#[test]
fn manifests_are_written_with_every_objects_keys_sorted() {
    #[derive(serde::Serialize)]
    struct Inner {
        z: u32,
        a: Option<f64>,
    }
    #[derive(serde::Serialize)]
    struct Outer {
        b: Inner,
        a: f64,
    }
    let text = json_text(&Outer {
        b: Inner { z: 1, a: None },
        a: 0.5,
    })
    .unwrap();
    assert_eq!(
        text,
        "{\n  \"a\": 0.5,\n  \"b\": {\n    \"a\": null,\n    \"z\": 1\n  }\n}"
    );
}
