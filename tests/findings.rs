//! The findings of a hostile user (issue 15, item 2), each reproduced on the real binary: a
//! fleet that is not whole nodes, an unbounded `--threads`, limits that differed between the
//! command line and the files, `--max-paths` below `--paths`, a metric the scenario cannot
//! produce, spares.csv without the figures the table prints, and messages with doubled words
//! or empty fields.

use crate::common;

use common::cli::{fleetsim, text};

use std::path::{Path, PathBuf};

/// One Trainium2 option of `accelerators` chips (16 a node), one year, no job view.
fn trn2(accelerators: &str) -> String {
    format!(
        "[scenario]\nname = \"t\"\nhorizon_years = 1\n\n[options.trn2]\nhardware = \"trn2\"\naccelerators = {accelerators}\n"
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Asserts exit 2 and that the output contains every fragment.
fn exit_2(o: &std::process::Output, fragments: &[&str]) -> String {
    let t = text(o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    for f in fragments {
        assert!(t.contains(f), "missing {f:?} in:\n{t}");
    }
    t
}

// ----- a fleet is whole nodes ------------------------------------------------------------------

/// `accelerators = 17` on 16-chip nodes used to simulate 32 chips while validate, run and
/// summary.json said 17: now `validate` and `run` refuse it, naming the file, the field and the
/// nearest valid sizes.
#[test]
fn a_fleet_that_is_not_whole_nodes_is_refused_with_the_nearest_valid_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", &trn2("17"));
    let want = format!(
        "{}: options.trn2.accelerators: 17 is not a whole number of 16-chip nodes",
        s(&f)
    );
    for cmd in [
        vec!["validate", &s(&f)],
        vec!["run", &s(&f), "-n", "10", "--backend", "cpu", "-q"],
    ] {
        let t = exit_2(
            &fleetsim(&cmd),
            &[&want, "nearest valid: 16 or 32", "(line 7)"],
        );
        assert!(!t.contains("valid: \""), "{t}");
    }
    // Below one node: only the one valid neighbour.
    let f = write(dir.path(), "five.toml", &trn2("5"));
    exit_2(
        &fleetsim(&["validate", &s(&f)]),
        &[
            "5 is not a whole number of 16-chip nodes",
            "nearest valid: 16",
        ],
    );
    // Whole nodes are accepted, and what is reported is what is simulated.
    let f = write(dir.path(), "ok.toml", &trn2("32"));
    let o = fleetsim(&["validate", &s(&f)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("32 x trn2 (16 chips/node"),
        "{}",
        text(&o)
    );
}

/// A sweep axis on `accelerators`: a listed value that is not whole nodes is the same error,
/// citing the sweep file; range steps are rounded to whole nodes, with a note.
#[test]
fn a_sweep_axis_on_accelerators_is_whole_nodes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "base.toml", &trn2("32"));
    let listed = write(
        dir.path(),
        "listed.toml",
        "[sweep]\nscenario = \"base.toml\"\npaths = 10\n\n[[axis]]\nkey = \"options.trn2.accelerators\"\nvalues = [16, 17]\n",
    );
    exit_2(
        &fleetsim(&["sweep", &s(&listed), "--backend", "cpu", "-q"]),
        &[
            &format!(
                "{}: options.trn2.accelerators: 17 is not a whole number of 16-chip nodes",
                s(&listed)
            ),
            "nearest valid: 16 or 32",
        ],
    );
    let range = write(
        dir.path(),
        "range.toml",
        "[sweep]\nscenario = \"base.toml\"\npaths = 10\n\n[[axis]]\nkey = \"options.trn2.accelerators\"\nrange = { lo = 16, hi = 48, steps = 4 }\n",
    );
    let o = fleetsim(&["sweep", &s(&range), "--backend", "cpu"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("rounded to whole nodes of 16 chips"), "{t}");
    // 16, 26.7, 37.3, 48 -> 16, 32, 48: three points.
    assert!(t.contains(": 3 points x 10 paths"), "{t}");
}

// ----- --threads -------------------------------------------------------------------------------

/// `--threads 10000` turned a 0.03 s run into 31 s: every command that takes it now refuses
/// more than 4 x the cores (at least 64), naming the bound and the core count.
#[test]
fn threads_are_bounded_on_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", &trn2("32"));
    let sweep = write(
        dir.path(),
        "w.toml",
        "[sweep]\nscenario = \"x.toml\"\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.1]\n",
    );
    let f = s(&f);
    let w = s(&sweep);
    for cmd in [
        vec!["run", "-n", "10"],
        vec!["sweep", &w],
        vec!["sensitivity", &f],
        vec!["spares", &f, "--availability", "0.99"],
        vec!["bench"],
    ] {
        for bad in ["10000", "0"] {
            let mut a = cmd.clone();
            a.extend(["--threads", bad]);
            exit_2(&fleetsim(&a), &["--threads", "logical cores", "1..="]);
        }
    }
    // Within the bound it runs.
    let o = fleetsim(&[
        "run",
        &f,
        "-n",
        "10",
        "--backend",
        "cpu",
        "--no-breakeven",
        "--threads",
        "64",
    ]);
    assert!(o.status.success(), "{}", text(&o));
}

// ----- one limit per quantity --------------------------------------------------------------

/// The command line took `--paths` up to 4.29e9 while a file capped `paths` at 1e9, and seeds
/// above what a TOML integer can hold: both now have one range, stated in the messages.
#[test]
fn paths_and_seeds_have_one_limit_on_the_command_line_and_in_files() {
    let dir = tempfile::tempdir().unwrap();
    let over_paths = "1000000001";
    let max_seed = i64::MAX.to_string();
    let over_seed = (i64::MAX as u64 + 1).to_string();
    for flag in ["--paths", "--max-paths", "--breakeven-paths"] {
        let mut a = vec![
            "run",
            "--backend",
            "cpu",
            "--target-se",
            "0.1",
            flag,
            over_paths,
        ];
        if flag == "--breakeven-paths" {
            a.drain(3..5);
        }
        exit_2(&fleetsim(&a), &[flag, "1..=1000000000"]);
    }
    exit_2(
        &fleetsim(&["run", "--backend", "cpu", "--seed", &over_seed]),
        &["--seed", "0..=9223372036854775807"],
    );
    for cmd in ["sweep", "sensitivity", "spares"] {
        exit_2(
            &fleetsim(&[cmd, "x.toml", "--paths", over_paths]),
            &["1..=1000000000"],
        );
        exit_2(
            &fleetsim(&[cmd, "x.toml", "--seed", &over_seed]),
            &["0..=9223372036854775807"],
        );
    }
    // The files: the same bounds.
    let scen = |extra: &str| {
        let body = trn2("32").replacen(
            "horizon_years = 1\n",
            &format!("horizon_years = 1\n{extra}\n"),
            1,
        );
        write(dir.path(), "f.toml", &body)
    };
    exit_2(
        &fleetsim(&["validate", &s(&scen(&format!("paths = {over_paths}")))]),
        &["scenario.paths", "[1, 1000000000]"],
    );
    let f = scen(&format!("paths = 1000000000\nseed = {max_seed}"));
    let o = fleetsim(&["validate", &s(&f)]);
    assert!(o.status.success(), "{}", text(&o));
    // The largest seed runs from the command line, and the seed a run reports can be written
    // back into a file.
    let out = dir.path().join("out");
    let o = fleetsim(&[
        "run",
        &s(&f),
        "-n",
        "10",
        "--seed",
        &max_seed,
        "--backend",
        "cpu",
        "--no-breakeven",
        "--no-timeseries",
        "-q",
        "-o",
        &s(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(v["seed"].as_u64(), Some(i64::MAX as u64), "{}", v["seed"]);
    let sweep = |extra: &str| {
        write(
            dir.path(),
            "w.toml",
            &format!(
                "[sweep]\nscenario = \"f.toml\"\n{extra}\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.1]\n"
            ),
        )
    };
    exit_2(
        &fleetsim(&["sweep", &s(&sweep(&format!("paths = {over_paths}")))]),
        &["sweep.paths", "[1, 1000000000]"],
    );
    exit_2(
        &fleetsim(&["sweep", &s(&sweep(&format!("seed = {over_seed}")))]),
        &["sweep.seed"],
    );
}

// ----- --max-paths below --paths -------------------------------------------------------------

/// `--max-paths` below `--paths` used to win silently (a smaller first batch than asked for).
#[test]
fn max_paths_below_paths_is_refused() {
    exit_2(
        &fleetsim(&[
            "run",
            "--backend",
            "cpu",
            "-q",
            "--target-se",
            "0.1",
            "--paths",
            "200",
            "--max-paths",
            "100",
        ]),
        &["--max-paths 100 is below --paths 200"],
    );
    // Against the default cap too.
    exit_2(
        &fleetsim(&[
            "run",
            "--backend",
            "cpu",
            "-q",
            "--target-se",
            "0.1",
            "--paths",
            "20000000",
        ]),
        &["--max-paths 10,000,000 (the default) is below --paths 20000000"],
    );
}

// ----- a metric the scenario cannot produce ----------------------------------------------------

/// `--metric goodput` (and a sweep file's `metric = "goodput"`) on options without a job view
/// exited 0 with every cell n/a: now exit 2 naming the metric, why, and what is available.
#[test]
fn a_metric_without_a_job_view_is_refused_by_sensitivity_and_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let two = format!(
        "{}\n[options.b200]\nhardware = \"b200-hgx\"\naccelerators = 16\n",
        trn2("32").replace("accelerators = 32", "accelerators = 32\nserver_capex_per_chip_usd = { dist = \"uniform\", lo = 20000, hi = 26000 }")
    );
    let f = write(dir.path(), "x.toml", &two);
    let t = exit_2(
        &fleetsim(&[
            "sensitivity",
            &s(&f),
            "--metric",
            "goodput",
            "--paths",
            "10",
            "--backend",
            "cpu",
        ]),
        &[
            "--metric goodput",
            "option `trn2` has no training-job view",
            "[options.trn2.job]",
            "npv_usd",
        ],
    );
    assert!(
        !t.contains(" goodput,"),
        "goodput listed as available:\n{t}"
    );
    exit_2(
        &fleetsim(&[
            "sensitivity",
            &s(&f),
            "--metric",
            "job_uptime",
            "--paired",
            "trn2-b200",
            "--paths",
            "10",
            "--backend",
            "cpu",
        ]),
        &["--metric job_uptime", "option `trn2`", "option `b200`"],
    );
    let w = write(
        dir.path(),
        "w.toml",
        "[sweep]\nscenario = \"x.toml\"\npaths = 10\nmetric = \"goodput\"\n[[axis]]\nkey = \"environment.usd_per_kwh\"\nvalues = [0.1]\n",
    );
    exit_2(
        &fleetsim(&["sweep", &s(&w), "--backend", "cpu"]),
        &[
            &format!("{}: sweep.metric: `goodput` cannot be computed", s(&w)),
            "no training-job view",
            "npv_usd",
            "(line 4)",
        ],
    );
    // A metric they have runs.
    let o = fleetsim(&[
        "sensitivity",
        &s(&f),
        "--metric",
        "npv_usd",
        "--paths",
        "10",
        "--backend",
        "cpu",
    ]);
    assert!(o.status.success(), "{}", text(&o));
}

// ----- spares.csv ------------------------------------------------------------------------------

/// An option that fails even at `--max-spares`: the table prints its figures at that pool, and
/// spares.csv used to leave them empty. Now the row holds the same figures (chosen_spares stays
/// empty).
#[test]
fn spares_csv_holds_the_figures_of_an_option_that_fails_at_max_spares() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "s.toml", common::SPARES_SCENARIO);
    let out = dir.path().join("out");
    let o = fleetsim(&[
        "spares",
        &s(&f),
        "--availability",
        "0.99999",
        "--confidence",
        "0.5",
        "--max-spares",
        "1",
        "--paths",
        "20",
        "--backend",
        "cpu",
        "-o",
        &s(&out),
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("not met at --max-spares"), "{t}");
    let mut r = csv::Reader::from_path(out.join("spares.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    let rec = r.records().next().unwrap().unwrap();
    let col = |name: &str| &rec[head.iter().position(|h| h == name).unwrap()];
    assert_eq!(col("chosen_spares"), "", "{rec:?}");
    assert_eq!(col("max_spares"), "1");
    for c in [
        "p_meeting",
        "p_meeting_lo95",
        "availability_at_confidence",
        "availability_p50",
        "availability_mean",
        "spare_capex_usd",
    ] {
        assert!(!col(c).is_empty(), "{c} empty in {rec:?}");
    }
    // The same figures as the candidate at --max-spares in spares.json.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("spares.json")).unwrap()).unwrap();
    let cand = v["options"][0]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["spares"] == 1)
        .unwrap();
    let p: f64 = col("p_meeting").parse().unwrap();
    assert_eq!(p, cand["p_meeting"].as_f64().unwrap());
    let capex: f64 = col("spare_capex_usd").parse().unwrap();
    assert_eq!(capex, cand["spare_capex_usd"].as_f64().unwrap());
}

// ----- messages without typos ------------------------------------------------------------------

/// The first word or pair of words said twice in a row, if any ("an array an array").
fn doubled(line: &str) -> Option<String> {
    let w: Vec<&str> = line.split_whitespace().collect();
    for n in [1, 2] {
        for i in 0..w.len().saturating_sub(2 * n - 1) {
            if w[i..i + n] == w[i + n..i + 2 * n] && w[i].chars().any(char::is_alphabetic) {
                return Some(w[i..i + n].join(" "));
            }
        }
    }
    None
}

/// "got an array an array" and "cat.toml: : the catalog has no entries": wrong types of every
/// kind of field, and a file-level problem, read without doubled words or empty fields.
#[test]
fn messages_have_no_doubled_words_or_empty_fields() {
    let dir = tempfile::tempdir().unwrap();
    let base = trn2("32");
    let mut cases: Vec<String> = Vec::new();
    for v in ["[1, 2]", "{ a = 1 }", "\"x\"", "true", "2026-01-01"] {
        for (field, line) in [
            ("accelerators", format!("accelerators = {v}")),
            ("utilization_mean", format!("utilization_mean = {v}")),
            ("in_service", format!("in_service = {v}")),
            ("description", format!("description = {v}")),
            ("job", format!("job = {v}")),
        ] {
            let text = if field == "accelerators" {
                base.replace("accelerators = 32", &line)
            } else {
                format!("{base}{line}\n")
            };
            cases.push(text);
        }
        cases.push(format!("{base}[environment]\nsla_tiers = {v}\n"));
        cases.push(
            base.replace(
                "horizon_years = 1",
                &format!("horizon_years = 1\ncapital_budget_usd = {v}"),
            )
            .replace("accelerators = 32\n", ""),
        );
    }
    let mut checked = 0;
    for (i, c) in cases.iter().enumerate() {
        let f = write(dir.path(), &format!("c{i}.toml"), c);
        let o = fleetsim(&["validate", &s(&f)]);
        let t = text(&o);
        if o.status.code() != Some(2) {
            continue;
        }
        checked += 1;
        for l in t.lines() {
            assert!(
                doubled(l).is_none(),
                "doubled {:?} in:\n{l}\n(case:\n{c})",
                doubled(l)
            );
            assert!(!l.contains(": :"), "empty field in:\n{l}");
        }
    }
    assert!(checked >= 25, "only {checked} cases failed validation");
    // An empty catalog: a problem of the file as a whole.
    write(dir.path(), "cat.toml", "");
    let f = write(
        dir.path(),
        "cat_user.toml",
        &base.replace("name = \"t\"", "name = \"t\"\ncatalog = \"cat.toml\""),
    );
    let t = exit_2(
        &fleetsim(&["validate", &s(&f)]),
        &["the catalog has no entries"],
    );
    assert!(!t.contains(": :"), "{t}");
    assert!(t.contains("cat.toml: the catalog has no entries"), "{t}");
}

#[test]
fn the_doubled_word_check_finds_doubled_words() {
    assert_eq!(doubled("got an array an array"), Some("an array".into()));
    assert_eq!(doubled("got a table table"), Some("table".into()));
    assert_eq!(doubled("got an integer 5"), None);
    assert_eq!(doubled("x: 1 1 of"), None);
}
