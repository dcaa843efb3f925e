//! Documentation stays in step with the code: every output metric is explained in the README,
//! every config file named in the README exists, and every subcommand, `run` option, exit code
//! and environment variable of the command line is documented there.

use fleetsim::model::outputs::SCALAR_METRICS;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn readme_explains_every_metric() {
    let r = readme();
    for m in SCALAR_METRICS {
        assert!(
            r.contains(&format!("`{}`", m.name)),
            "README does not explain {}",
            m.name
        );
    }
}

#[test]
fn files_named_in_the_readme_exist() {
    let r = readme();
    for f in [
        "configs/default.toml",
        "configs/catalog.toml",
        "configs/scenarios/gb200.toml",
        "configs/scenarios/hyperscale.toml",
        "docs/MODEL.md",
        "benches/cpu_engine.rs",
        "tests/model_closed_forms.rs",
        "tests/published.rs",
        "scripts/gpu-check",
    ] {
        assert!(r.contains(f), "README no longer names {f}");
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f);
        assert!(p.exists(), "{f} is named in the README but missing");
    }
}

#[test]
fn readme_scenario_example_is_valid() {
    let r = readme();
    let start = r.find("```toml\n").expect("a toml example in the README") + 8;
    let end = start + r[start..].find("```").unwrap();
    let s = fleetsim::config::load_scenario_str(&r[start..end], "README.md example")
        .unwrap_or_else(|e| panic!("README example does not validate:\n{e}"));
    assert_eq!(s.option_names(), vec!["trn2", "b200", "b200_more_spares"]);
    // Options of the same hardware share a stream (common random numbers).
    let m = fleetsim::config::flatten(&s, 1);
    assert_eq!(m.options[2].stream, m.options[1].stream);
    assert_ne!(m.options[0].stream, m.options[1].stream);
}

#[test]
fn readme_documents_every_subcommand_option_exit_code_and_variable() {
    use clap::CommandFactory;
    let r = readme();
    let cli = fleetsim::cli::Cli::command();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        assert!(
            r.contains(&format!("fleetsim {name}")),
            "README does not show `fleetsim {name}`"
        );
    }
    let run = cli.find_subcommand("run").expect("a run subcommand");
    for arg in run.get_arguments().filter(|a| !a.is_hide_set()) {
        if let Some(long) = arg.get_long() {
            assert!(
                r.contains(&format!("`--{long}")),
                "README does not document `--{long}`"
            );
        }
    }
    for (code, what) in [
        (fleetsim::cli::EXIT_BAD_INPUT, "bad input"),
        (fleetsim::cli::EXIT_NO_DEVICE, "the GPU"),
    ] {
        assert!(
            r.contains(&format!("{code} {what}")),
            "README does not explain exit code {code}"
        );
    }
    for var in [
        fleetsim::gpu::adapter::ADAPTER_ENV,
        "FLEETSIM_REQUIRE_GPU",
        "WGPU_BACKEND",
    ] {
        assert!(r.contains(var), "README does not mention {var}");
    }
}

/// scripts/gpu-check (run once on a GPU machine, where a broken flag would cost the one run we
/// get) is valid bash and every fleetsim command it runs, with its default flags, parses.
#[test]
fn gpu_check_script_is_valid_bash_and_its_fleetsim_flags_parse() {
    use clap::Parser;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gpu-check");
    let text = std::fs::read_to_string(path).unwrap();
    let bash = std::process::Command::new("bash")
        .args(["-n", path])
        .output()
        .expect("bash");
    assert!(
        bash.status.success(),
        "{}",
        String::from_utf8_lossy(&bash.stderr)
    );
    // The default of `${VAR:-DEFAULT}`, as words.
    let default = |var: &str| -> Vec<String> {
        let start = text
            .find(&format!("${{{var}:-"))
            .unwrap_or_else(|| panic!("{var} has no default"))
            + var.len()
            + 4;
        let end = start + text[start..].find('}').unwrap();
        text[start..end]
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    let cmd = |words: &[&str], extra: Vec<String>, tail: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["fleetsim"]
            .iter()
            .chain(words)
            .map(|s| s.to_string())
            .collect();
        v.extend(extra);
        v.extend(tail.iter().map(|s| s.to_string()));
        v
    };
    let paths = default("GPU_CHECK_PATHS");
    let runs = [
        (
            "bench --backend gpu --adapter \"$adapter\" $bench_flags",
            cmd(
                &["bench", "--backend", "gpu", "--adapter", "x"],
                default("GPU_CHECK_BENCH"),
                &["--out", "f.json", "--force"],
            ),
        ),
        (
            "bench --backend cpu $cpu_bench_flags",
            cmd(
                &["bench", "--backend", "cpu"],
                default("GPU_CHECK_CPU_BENCH"),
                &["--out", "f.json", "--force"],
            ),
        ),
        (
            "check --backend gpu --adapter \"$adapter\" -n \"$paths\"",
            cmd(
                &["check", "--backend", "gpu", "--adapter", "x", "-n"],
                paths,
                &["--json", "f.json", "--force"],
            ),
        ),
        (
            "bench compare",
            cmd(&["bench", "compare", "a.json", "b.json"], vec![], &[]),
        ),
        ("adapters --json", cmd(&["adapters", "--json"], vec![], &[])),
    ];
    for (in_script, args) in runs {
        assert!(
            text.contains(in_script),
            "gpu-check no longer runs `{in_script}`"
        );
        if let Err(e) = fleetsim::cli::Cli::try_parse_from(&args) {
            panic!("gpu-check runs {args:?}, which fleetsim refuses: {e}");
        }
    }
    // It reads the adapter `--backend gpu` picks from this line of `fleetsim adapters`.
    assert!(text.contains("s/^--backend gpu: GPU engine on \\[[0-9]*\\] //p"));
}
