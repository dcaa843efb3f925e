//! End-to-end tests of `fleetsim sweep` through the real binary: a sweep over electricity
//! price is monotone in NPV (common random numbers), a break-even constructed to lie at a
//! known value is recovered, LHS designs stratify every axis, sweep.parquet reads back with
//! the Rust parquet reader with the CSV's types and values, and malformed sweep files exit 2
//! naming the file and the key.

use crate::common;

use common::cli::{fleetsim, text};

use std::fs::File;
use std::path::{Path, PathBuf};

use parquet::basic::{ConvertedType, Repetition, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

/// The default scenario shortened to one year (sweeps cannot change the horizon).
fn one_year_default(dir: &Path) -> PathBuf {
    let text = fleetsim::config::DEFAULT_SCENARIO.replace("horizon_years = 5", "horizon_years = 1");
    assert!(text.contains("horizon_years = 1"));
    let p = dir.join("base.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// Writes a sweep file and returns its path.
fn sweep_file(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

/// Runs a sweep on the CPU engine into `dir/out`; panics on failure.
fn run_ok(sweep: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "sweep",
        sweep.to_str().unwrap(),
        "--backend",
        "cpu",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = fleetsim(&args);
    assert!(o.status.success(), "{}", text(&o));
}

/// sweep.csv as (header, rows of cells).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

#[test]
fn electricity_price_lowers_npv_at_every_point_and_parquet_matches_csv() {
    let dir = tempfile::tempdir().unwrap();
    let base = one_year_default(dir.path());
    let sweep = sweep_file(
        dir.path(),
        "power.toml",
        &format!(
            "[sweep]\nscenario = {:?}\npaths = 300\nseed = 3\n\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.04, 0.08, 0.16, 0.32]\n",
            base.file_name().unwrap().to_str().unwrap()
        ),
    );
    let out = dir.path().join("out");
    run_ok(&sweep, &out, &[]);
    let (h, rows) = read_csv(&out.join("sweep.csv"));
    assert_eq!(rows.len(), 4 * 2, "one row per point and option");
    assert!(
        !rows
            .iter()
            .flatten()
            .any(|c| c.contains("NaN") || c.contains("inf"))
    );
    let (ax, opt) = (col(&h, "environment_usd_per_kwh"), col(&h, "option"));
    let (mean, p50) = (col(&h, "npv_usd_mean"), col(&h, "npv_usd_p50"));
    for option in ["trn2", "b200"] {
        let mut pts: Vec<(f64, f64, f64)> = rows
            .iter()
            .filter(|r| r[opt] == option)
            .map(|r| (num(&r[ax]), num(&r[mean]), num(&r[p50])))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(pts.len(), 4);
        // Same paths at every point: each path's NPV falls with the price, so the mean and
        // every order statistic fall strictly (energy is bought every day).
        for w in pts.windows(2) {
            assert!(w[1].1 < w[0].1, "{option}: mean not decreasing: {pts:?}");
            assert!(w[1].2 < w[0].2, "{option}: P50 not decreasing: {pts:?}");
        }
    }

    // sweep.parquet: same columns, types, and values as the CSV.
    let reader = SerializedFileReader::new(File::open(out.join("sweep.parquet")).unwrap()).unwrap();
    let md = reader.metadata();
    assert_eq!(md.file_metadata().num_rows() as usize, rows.len());
    let schema = md.file_metadata().schema_descr();
    assert_eq!(schema.num_columns(), h.len());
    for (i, name) in h.iter().enumerate() {
        let c = schema.column(i);
        assert_eq!(c.name(), name);
        let (ty, rep) = (
            c.physical_type(),
            c.self_type().get_basic_info().repetition(),
        );
        let want = if name == "option" {
            assert_eq!(c.converted_type(), ConvertedType::UTF8);
            (PhysicalType::BYTE_ARRAY, Repetition::REQUIRED)
        } else if name == "point"
            || name.ends_with("_count")
            || name.ends_with("_n_undefined")
            || name.ends_with("_n_never")
        {
            (PhysicalType::INT64, Repetition::REQUIRED)
        } else {
            (PhysicalType::DOUBLE, Repetition::OPTIONAL)
        };
        assert_eq!((ty, rep), want, "column {name}");
    }
    let mut nulls = 0;
    for (r, row) in reader.into_iter().enumerate() {
        let row = row.unwrap();
        for (i, (name, field)) in row.get_column_iter().enumerate() {
            let cell = &rows[r][i];
            match field {
                Field::Long(v) => assert_eq!(v.to_string(), *cell, "{name} row {r}"),
                Field::Str(s) => assert_eq!(s, cell, "{name} row {r}"),
                Field::Double(v) => assert_eq!(*v, num(cell), "{name} row {r}"),
                Field::Null => {
                    nulls += 1;
                    assert_eq!(cell, "", "{name} row {r}: null in Parquet, {cell:?} in CSV")
                }
                f => panic!("{name}: unexpected field {f:?}"),
            }
        }
    }
    // The first option's paired columns are empty: nulls exist and match.
    assert!(nulls > 0);

    // The manifest: schema version, resolved base config, axes, seed, paths, engine.
    let m: serde_json::Value =
        serde_json::from_reader(File::open(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(m["schema_version"], 1);
    assert_eq!(m["seed"], 3);
    assert_eq!(m["paths_per_point"], 300);
    assert_eq!(m["backend"], "cpu");
    assert_eq!(m["scenario"]["horizon_years"], 1);
    assert_eq!(m["axes"][0]["column"], "environment_usd_per_kwh");
    assert_eq!(m["columns"].as_array().unwrap().len(), h.len());

    // Refuses to overwrite without --force, and overwrites with it.
    let o = fleetsim(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--backend",
        "cpu",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--force"), "{}", text(&o));
}

/// A scenario with two identical Trainium2 fleets of 1,024 chips whose every option input is
/// fixed, failures off and no job view, so per path the two options differ only by what an
/// axis sets on option `a`; option `b` sells on-demand hours at `b_price`.
fn twin_scenario(dir: &Path, b_price: f64) -> PathBuf {
    let fixed = common::fixed_trn2_inputs(|name, median| {
        Some(match name {
            "burn_in_yield" => 1.0,
            "on_demand_usd_per_chip_hour" => b_price,
            _ => median,
        })
    });
    let mut text = String::from(
        "[scenario]\nname = \"twins\"\nhorizon_years = 1\n\n[environment]\nusd_per_kwh = 0.08\n",
    );
    for o in ["a", "b"] {
        common::push_trn2_option(&mut text, o, &format!("accelerators = 1024\n{fixed}"));
    }
    let p = dir.join("twins.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn break_even_is_recovered_where_it_was_set_up() {
    // Option a equals option b exactly when its on-demand price equals b's (2.7 USD per
    // chip-hour); NPV is linear in the price, so the P50 of the per-path difference a - b is
    // (price - 2.7) times the median slope: zero at 2.7, negative below, positive above.
    let dir = tempfile::tempdir().unwrap();
    let b_price = 2.7;
    twin_scenario(dir.path(), b_price);
    let sweep = sweep_file(
        dir.path(),
        "be.toml",
        "[sweep]\nscenario = \"twins.toml\"\npaths = 200\nseed = 11\ncompare = [\"a\", \"b\"]\n\n[[axis]]\nkey = \"options.a.on_demand_usd_per_chip_hour\"\nvalues = [1.5, 2.2, 3.1, 4.0]\n",
    );
    let out = dir.path().join("out");
    run_ok(&sweep, &out, &[]);
    let m: serde_json::Value =
        serde_json::from_reader(File::open(out.join("sweep.json")).unwrap()).unwrap();
    let slices = m["break_even"]["slices"].as_array().unwrap();
    assert_eq!(slices.len(), 1, "{m:#}");
    let be: Vec<f64> = slices[0]["break_evens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(be.len(), 1, "{:#}", m["break_even"]);
    eprintln!("recovered break-even {} (set up at {b_price})", be[0]);
    assert!(
        (be[0] - b_price).abs() < 1e-4 * b_price,
        "break-even {} vs {b_price}",
        be[0]
    );
    assert_eq!(slices[0]["better_at_lo"], "b");
    assert_eq!(slices[0]["better_at_hi"], "a");

    // The same sweep printed: the break-even line names the axis and the value.
    let o = fleetsim(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--backend",
        "cpu",
        "--quiet",
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("options.a.on_demand_usd_per_chip_hour: 2.7"),
        "{t}"
    );
}

#[test]
fn lhs_points_stratify_every_axis() {
    let dir = tempfile::tempdir().unwrap();
    let base = one_year_default(dir.path());
    let n = 16usize;
    let sweep = sweep_file(
        dir.path(),
        "lhs.toml",
        &format!(
            "[sweep]\nscenario = {:?}\ndesign = \"lhs\"\npoints = {n}\npaths = 20\nseed = 5\n\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nrange = {{ lo = 0.05, hi = 0.25 }}\n\n[[axis]]\nkey = \"options.b200.utilization_mean\"\ndist = {{ dist = \"uniform\", lo = 0.5, hi = 0.9 }}\n",
            base.file_name().unwrap().to_str().unwrap()
        ),
    );
    let out = dir.path().join("out");
    run_ok(&sweep, &out, &[]);
    let (h, rows) = read_csv(&out.join("sweep.csv"));
    assert_eq!(rows.len(), 2 * n);
    for (name, lo, hi) in [
        ("environment_usd_per_kwh", 0.05, 0.25),
        ("options_b200_utilization_mean_fraction", 0.5, 0.9),
    ] {
        let c = col(&h, name);
        let mut seen = vec![0usize; n];
        for r in rows.iter().filter(|r| r[col(&h, "option")] == "trn2") {
            let x = num(&r[c]);
            let s = ((x - lo) / (hi - lo) * n as f64).floor() as usize;
            seen[s.min(n - 1)] += 1;
        }
        assert!(seen.iter().all(|&k| k == 1), "{name}: strata {seen:?}");
    }
    let m: serde_json::Value =
        serde_json::from_reader(File::open(out.join("sweep.json")).unwrap()).unwrap();
    assert!(
        m["break_even"]["note"].as_str().unwrap().contains("grid"),
        "{m:#}"
    );
}

/// Runs a malformed sweep and returns its message; asserts exit 2 and no panic.
fn bad(dir: &Path, name: &str, body: &str, extra: &[&str]) -> String {
    let p = sweep_file(dir, name, body);
    let mut args = vec!["sweep", p.to_str().unwrap(), "--backend", "cpu", "--quiet"];
    args.extend_from_slice(extra);
    let o = fleetsim(&args);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{name}: {t}");
    assert!(!t.contains("panicked"), "{t}");
    assert!(
        t.contains(name),
        "{name}: message does not name the file: {t}"
    );
    t
}

#[test]
fn malformed_sweep_files_exit_2_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let axis = |body: &str| format!("[sweep]\npaths = 10\n\n[[axis]]\n{body}\n");

    let t = bad(
        d,
        "unknown_path.toml",
        &axis("key = \"options.trn2.utilisation_mean\"\nvalues = [0.5]"),
        &[],
    );
    assert!(t.contains("options.trn2.utilisation_mean"), "{t}");
    assert!(t.contains("did you mean `utilization_mean`"), "{t}");

    let t = bad(
        d,
        "empty_axis.toml",
        &axis("key = \"environment.usd_per_kwh\"\nvalues = []"),
        &[],
    );
    assert!(
        t.contains("axis[0].values") && t.contains("empty axis"),
        "{t}"
    );

    let t = bad(
        d,
        "hi_below_lo.toml",
        &axis("key = \"environment.usd_per_kwh\"\nrange = { lo = 0.2, hi = 0.1, steps = 3 }"),
        &[],
    );
    assert!(t.contains("axis[0].range.hi") && t.contains(">= lo"), "{t}");

    let t = bad(
        d,
        "too_many.toml",
        &axis("key = \"environment.usd_per_kwh\"\nrange = { lo = 0.05, hi = 0.2, steps = 50 }"),
        &["--max-points", "20"],
    );
    assert!(
        t.contains("50 points") && t.contains("--max-points 20"),
        "{t}"
    );

    let t = bad(d, "not_toml.toml", "[sweep\npaths = = 3\n", &[]);
    assert!(t.contains("not valid TOML"), "{t}");

    let t = bad(
        d,
        "unknown_key.toml",
        "[sweep]\npathz = 10\n\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.1]\n",
        &[],
    );
    assert!(
        t.contains("sweep.pathz") && t.contains("did you mean `paths`"),
        "{t}"
    );

    // A value outside the field's range is rejected against the axis's line.
    let t = bad(
        d,
        "out_of_range.toml",
        &axis("key = \"options.trn2.utilization_mean\"\nvalues = [0.5, 1.5]"),
        &[],
    );
    assert!(
        t.contains("options.trn2.utilization_mean") && t.contains("1.5") && t.contains("line 6"),
        "{t}"
    );

    let t = bad(
        d,
        "no_scenario.toml",
        "[sweep]\nscenario = \"missing.toml\"\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.1]\n",
        &[],
    );
    assert!(
        t.contains("sweep.scenario") && t.contains("missing.toml"),
        "{t}"
    );

    let t = bad(d, "no_axis.toml", "[sweep]\npaths = 10\n", &[]);
    assert!(t.contains("axis") && t.contains("at least one"), "{t}");

    let t = bad(
        d,
        "horizon.toml",
        &axis("key = \"scenario.horizon_years\"\nvalues = [1, 2]"),
        &[],
    );
    assert!(
        t.contains("scenario.horizon_years") && t.contains("cannot be swept"),
        "{t}"
    );

    let t = bad(
        d,
        "dist_on_grid.toml",
        &axis(
            "key = \"environment.usd_per_kwh\"\ndist = { dist = \"uniform\", lo = 0.1, hi = 0.2 }",
        ),
        &[],
    );
    assert!(t.contains("axis[0].dist") && t.contains("lhs"), "{t}");
}

#[test]
fn the_shipped_examples_are_valid_sweeps() {
    // The worked examples of the README parse and find their base scenario (relative to the
    // sweep file) without running in full: a tiny --max-points refuses them after that.
    for f in ["utilization_breakeven.toml", "electricity_breakeven.toml"] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("configs/sweeps")
            .join(f);
        let o = fleetsim(&[
            "sweep",
            p.to_str().unwrap(),
            "--backend",
            "cpu",
            "--max-points",
            "1",
        ]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{t}");
        assert!(t.contains("more than --max-points 1"), "{f}: {t}");
    }
}

#[test]
fn points_beyond_one_block_equal_the_same_points_run_alone() {
    // Sweeps build and run their points a block at a time (memory); the points of a later
    // block, and those on either side of a block boundary, must be exactly what they are
    // in a sweep of their own.
    let dir = tempfile::tempdir().unwrap();
    let base = one_year_default(dir.path());
    let n = fleetsim::sweep::run::POINTS_PER_BLOCK + 3;
    let price = |i: usize| format!("{:.5}", 0.05 + i as f64 * 1e-5);
    let file = |name: &str, idx: &[usize]| {
        let values: Vec<String> = idx.iter().map(|&i| price(i)).collect();
        sweep_file(
            dir.path(),
            name,
            &format!(
                "[sweep]\nscenario = {:?}\npaths = 3\nseed = 5\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [{}]\n",
                base.to_str().unwrap(),
                values.join(", ")
            ),
        )
    };
    let all: Vec<usize> = (0..n).collect();
    let few = [0, n - 4, n - 3, n - 1];
    let (big, small) = (dir.path().join("big"), dir.path().join("small"));
    run_ok(&file("big.toml", &all), &big, &["--max-points", "5000"]);
    run_ok(&file("small.toml", &few), &small, &[]);
    let (hb, rows_big) = read_csv(&big.join("sweep.csv"));
    let (hs, rows_small) = read_csv(&small.join("sweep.csv"));
    assert_eq!(hb, hs);
    let n_opt = rows_small.len() / few.len();
    assert_eq!(rows_big.len(), n * n_opt);
    for (k, &i) in few.iter().enumerate() {
        for o in 0..n_opt {
            // Every cell but the point index.
            assert_eq!(
                rows_big[i * n_opt + o][1..],
                rows_small[k * n_opt + o][1..],
                "point {i}, option {o}"
            );
        }
    }
}
