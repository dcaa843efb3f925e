//! `fleetsim bench` and `fleetsim bench compare` through the real binary: a `--quick` run
//! writes a file that validates against `docs/bench.schema.json` and whose figures agree with
//! each other; compare lays hand-written fixture files side by side as derived by hand, writes
//! CSV, and refuses files of different workload-set versions.

use crate::common;

use common::cli::{command, text};

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/bench")
}

fn fleetsim_in(dir: &Path, args: &[&str]) -> Output {
    command()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run fleetsim")
}

fn schema() -> Value {
    let s = std::fs::read_to_string(root().join("docs/bench.schema.json")).expect("schema");
    serde_json::from_str(&s).expect("schema is JSON")
}

/// Validates `v` against docs/bench.schema.json with the `jsonschema` crate (JSON Schema
/// 2020-12, the draft the schema declares); returns every violation as `path: reason`.
fn check(v: &Value) -> Result<(), String> {
    let validator =
        jsonschema::draft202012::new(&schema()).expect("the schema is a valid 2020-12 schema");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

fn read(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("JSON")
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    // The schema itself against the 2020-12 meta-schema.
    jsonschema::draft202012::meta::validate(&schema()).expect("valid 2020-12 schema");
    let good = read(&fixtures().join("b.json"));
    check(&good).expect("fixture b.json is valid");
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "missing field",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("workload_set_version");
            }),
        ),
        (
            "wrong type",
            Box::new(|v| v["host"]["cpu_cores"] = "two".into()),
        ),
        (
            "unknown field",
            Box::new(|v| v["settings"]["turbo"] = true.into()),
        ),
        (
            "bad enum",
            Box::new(|v| v["devices"][0]["timing_source"] = "guess".into()),
        ),
        (
            "negative",
            Box::new(|v| v["devices"][1]["workloads"][1]["engine_s"]["min"] = (-1.0).into()),
        ),
        (
            "schema version",
            Box::new(|v| v["schema_version"] = 2.into()),
        ),
        (
            "tuple",
            Box::new(|v| v["rng_consumption"][0] = serde_json::json!(["x"])),
        ),
    ];
    for (what, m) in mutations {
        let mut bad = good.clone();
        m(&mut bad);
        assert!(check(&bad).is_err(), "{what}: accepted");
    }
}

#[test]
fn quick_bench_writes_a_valid_consistent_file_and_refuses_to_overwrite_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.json");
    let o = fleetsim_in(dir.path(), &["bench", "--quick", "--out", "bench.json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v = read(&out);
    check(&v).unwrap_or_else(|e| panic!("bench.json does not validate: {e}"));
    assert_eq!(v["schema_version"], fleetsim::bench::SCHEMA_VERSION);
    assert_eq!(
        v["workload_set_version"],
        fleetsim::bench::WORKLOAD_SET_VERSION
    );
    assert_eq!(v["settings"]["quick"], true);
    let set = fleetsim::bench::workload::workload_set();
    let devices = v["devices"].as_array().unwrap();
    assert_eq!(devices[0]["engine"], "cpu", "the CPU engine always runs");
    if let Some(ctx) = common::gpu::context() {
        assert!(
            devices
                .iter()
                .any(|d| d["name"] == ctx.adapter.name.as_str()),
            "the GPU adapter {} was not benchmarked",
            ctx.adapter.name
        );
    }
    for d in devices {
        assert!(d["error"].is_null(), "{}", d["error"]);
        let ws = d["workloads"].as_array().unwrap();
        assert_eq!(ws.len(), set.len(), "every workload runs on {}", d["name"]);
        let rng = ws[0]["philox_blocks_per_s"]["median"].as_f64().unwrap();
        // On a GPU the RNG ceiling is measured with each Philox variant the device compiles
        // (both on lavapipe), its own first, and that one is the ceiling.
        if d["engine"] == "gpu" {
            let own = d["philox"].as_str().unwrap();
            let vs = ws[0]["philox_variants"].as_array().unwrap();
            assert_eq!(vs[0]["variant"], own, "{d}");
            assert_eq!(vs[0]["philox_blocks_per_s"]["median"].as_f64(), Some(rng));
            if let Some(ctx) = common::gpu::context()
                && d["name"] == ctx.adapter.name.as_str()
            {
                let want: Vec<&str> = ctx.philox_variants().iter().map(|p| p.name()).collect();
                let mut got: Vec<&str> =
                    vs.iter().map(|f| f["variant"].as_str().unwrap()).collect();
                got.sort_unstable();
                let mut want_sorted = want.clone();
                want_sorted.sort_unstable();
                assert_eq!(got, want_sorted, "{d}");
            }
        } else {
            assert!(d["philox"].is_null() && ws[0]["philox_variants"].is_null());
        }
        for (w, spec) in ws.iter().zip(&set) {
            assert_eq!(w["id"], spec.id);
            // --quick runs the quick size, below the nominal one, and says so.
            let run = w["paths_run"]
                .as_u64()
                .or(w["blocks_run"].as_u64())
                .unwrap();
            let nominal = w["paths_nominal"]
                .as_u64()
                .or(w["blocks_nominal"].as_u64())
                .unwrap();
            assert!(run < nominal && w["scaled_down"] == true, "{w}");
            let engine_s = w["engine_s"]["median"].as_f64().unwrap();
            assert!(engine_s > 0.0);
            let Some(pds) = w["path_days_per_s"]["median"].as_f64() else {
                continue;
            };
            // Throughput is the path-days run over the median time (one rep: the same run).
            let days = w["path_days_run"].as_f64().unwrap();
            assert!((pds - days / engine_s).abs() <= 1e-9 * pds, "{w}");
            let expect_days = w["points"].as_f64().unwrap()
                * w["paths_run"].as_f64().unwrap()
                * w["horizon_days"].as_f64().unwrap();
            assert_eq!(days, expect_days);
            // The ceiling is the RNG workload's blocks/s over the blocks per path-day.
            let per_day = w["rng_blocks_per_path_day"].as_f64().unwrap();
            let ceiling = w["rng_ceiling_path_days_per_s"].as_f64().unwrap();
            assert!((ceiling - rng / per_day).abs() <= 1e-9 * ceiling, "{w}");
            let frac = w["fraction_of_rng_ceiling"].as_f64().unwrap();
            assert!(
                (frac - pds / ceiling).abs() <= 1e-9 * frac.max(1e-12),
                "{w}"
            );
        }
    }
    let o = fleetsim_in(dir.path(), &["bench", "--quick", "--out", "bench.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already exists"), "{}", text(&o));
}

#[test]
fn compare_of_two_fixtures_gives_the_hand_derived_table_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["a.json", "b.json"] {
        std::fs::copy(fixtures().join(f), dir.path().join(f)).unwrap();
    }
    let o = fleetsim_in(
        dir.path(),
        &["bench", "compare", "a.json", "b.json", "--out", "cmp.csv"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let table = String::from_utf8_lossy(&o.stdout).to_string();
    let lines: Vec<&str> = table.lines().collect();
    // Header: one column per device of each file, the first file's device the baseline.
    assert!(
        lines[0].contains("a.json: cpu Fixture CPU (rayon)"),
        "{table}"
    );
    assert!(
        lines[0].contains("b.json: cpu Other CPU (rayon)"),
        "{table}"
    );
    assert!(
        lines[0].contains("b.json: gpu Fixture GPU (vulkan)"),
        "{table}"
    );
    let row = |id: &str| -> Vec<String> {
        let l = lines
            .iter()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no row {id}:\n{table}"));
        // Cells are separated by two or more spaces.
        l.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    // Fixture medians: rng 1e8 / 2e8 / 4e9 blocks/s; default 1e6 / 2.5e6 / 5e7 path-days/s;
    // sweep 2e6 / 3e6 / not run.
    assert_eq!(
        row("rng_philox"),
        [
            "rng_philox",
            "blocks/s",
            "100.00M (1.00x)",
            "200.00M (2.00x)",
            "4.00G (40.00x)"
        ]
    );
    assert_eq!(
        row("default_1e5"),
        [
            "default_1e5",
            "path-days/s",
            "1.00M (1.00x)",
            "2.50M (2.50x)",
            "50.00M (50.00x)"
        ]
    );
    assert_eq!(
        row("sweep_100"),
        [
            "sweep_100",
            "path-days/s",
            "2.00M (1.00x)",
            "3.00M (1.50x)",
            "-"
        ]
    );
    let csv = std::fs::read_to_string(dir.path().join("cmp.csv")).unwrap();
    let csv_lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        csv_lines[0],
        "workload,unit,file,engine,device,backend,value,speedup_vs_first,scaled_down"
    );
    // 3 workloads x 3 columns.
    assert_eq!(csv_lines.len(), 1 + 9, "{csv}");
    assert!(
        csv_lines
            .contains(&"default_1e5,path-days/s,b.json,gpu,Fixture GPU,vulkan,50000000,50,true"),
        "{csv}"
    );
    assert!(
        csv_lines.contains(&"sweep_100,path-days/s,b.json,gpu,Fixture GPU,vulkan,,,"),
        "{csv}"
    );
    // The CSV is not overwritten without --force.
    let o = fleetsim_in(
        dir.path(),
        &["bench", "compare", "a.json", "b.json", "--out", "cmp.csv"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = fleetsim_in(
        dir.path(),
        &[
            "bench", "compare", "a.json", "b.json", "--out", "cmp.csv", "--force",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn compare_refuses_different_workload_set_versions_naming_both() {
    let f = fixtures();
    let o = fleetsim_in(&f, &["bench", "compare", "a.json", "v2.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("a.json (workload set version 1)")
            && err.contains("v2.json (workload set version 2)"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "no table for incomparable files");
    // A file that is not a bench file is bad input too, naming it.
    let o = fleetsim_in(
        root(),
        &[
            "bench",
            "compare",
            "tests/fixtures/bench/a.json",
            "Cargo.toml",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("Cargo.toml"), "{}", text(&o));
}

#[test]
fn fixtures_and_committed_results_validate_against_the_schema() {
    for f in ["a.json", "b.json", "v2.json"] {
        check(&read(&fixtures().join(f))).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    // Measured results files kept in docs/bench/ (README figures) must stay readable.
    let dir = root().join("docs/bench");
    for e in std::fs::read_dir(&dir).expect("docs/bench") {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            check(&read(&p)).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            fleetsim::bench::compare::load(&p).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn bad_bench_options_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["bench", "--budget-seconds", "0"][..],
        &["bench", "--budget-seconds", "nan"][..],
        &["bench", "--backend", "cpu", "--adapter", "llvmpipe"][..],
        &["bench", "--reps", "0"][..],
        &["bench", "--adapter", "no such adapter anywhere"][..],
    ] {
        let o = fleetsim_in(dir.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
    }
}

#[test]
fn readme_documents_every_bench_option_and_the_schema() {
    use clap::CommandFactory;
    let r = std::fs::read_to_string(root().join("README.md")).unwrap();
    let cli = fleetsim::cli::Cli::command();
    let bench = cli.find_subcommand("bench").expect("a bench subcommand");
    for arg in bench.get_arguments().filter(|a| !a.is_hide_set()) {
        if let Some(long) = arg.get_long() {
            assert!(
                r.contains(&format!("`--{long}")),
                "README does not document bench `--{long}`"
            );
        }
    }
    for needle in [
        "fleetsim bench compare",
        "docs/bench.schema.json",
        "scaled_down",
    ] {
        assert!(r.contains(needle), "README does not mention {needle}");
    }
}
