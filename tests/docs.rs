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
