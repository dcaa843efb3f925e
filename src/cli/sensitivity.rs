//! `fleetsim sensitivity`: the tornado and the Spearman table of a scenario, printed as ranked
//! tables and written to tornado.csv/json and spearman.csv/json.

use std::path::PathBuf;
use std::time::Instant;

use super::engines::pick_engines;
use super::planning::{csv_text, identity_of, open_out, run_models, write_files};
use super::{CliError, EngineArgs, OutputArgs, SampleArgs, with_help};
use crate::config;
use crate::engine::Sticky;
use crate::export::format::{metric_value, qty, table};
use crate::export::opt;
use crate::sensitivity::{self, Collector, Target};

/// Paths per point when `--paths` is not given.
pub const DEFAULT_SENSITIVITY_PATHS: u32 = 2_000;
/// Most paths per point: the run keeps the target metric of every point and every output of
/// the sampled point per path (exact ranks), about `8 x (2 inputs + 2 + 17 options)` bytes per
/// path.
pub const MAX_SENSITIVITY_PATHS: u32 = 200_000;

/// Files `fleetsim sensitivity --out` writes.
pub const SENSITIVITY_FILES: [&str; 4] = [
    "tornado.csv",
    "tornado.json",
    "spearman.csv",
    "spearman.json",
];

/// Options of `fleetsim sensitivity`.
#[derive(clap::Args, Debug)]
#[command(
    mut_arg("paths", |a| a.help("Paths per point (every point runs the same paths)").default_value("2000")),
    mut_arg("out", with_help("Write tornado.csv, tornado.json, spearman.csv and spearman.json here"))
)]
pub struct SensitivityArgs {
    /// Scenario TOML file.
    pub scenario: PathBuf,
    /// Output metric the tornado ranks by (its mean), e.g. npv_usd, usd_per_effective_pflop_hour,
    /// availability.
    #[arg(long, default_value = "npv_usd")]
    pub metric: String,
    /// Option whose metric is ranked (default: the first option).
    #[arg(long, value_name = "NAME", conflicts_with = "paired")]
    pub option: Option<String>,
    /// Rank the per-path difference of two options instead, written `A-B` (A minus B).
    #[arg(long, value_name = "A-B")]
    pub paired: Option<String>,
    /// Paths (default [`DEFAULT_SENSITIVITY_PATHS`]) and seed.
    #[command(flatten)]
    pub sample: SampleArgs,
    /// Engine choice.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Rows of each printed table (the files hold all).
    #[arg(long, default_value_t = 15, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub top: usize,
    /// Result files, overwriting and quiet.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Resolves `--option` / `--paired` against the option names.
fn target(args: &SensitivityArgs, names: &[String]) -> Result<Target, CliError> {
    let find = |n: &str| names.iter().position(|x| x == n);
    if let Some(p) = &args.paired {
        for (i, _) in p.match_indices('-') {
            if let (Some(a), Some(b)) = (find(&p[..i]), find(&p[i + 1..]))
                && a != b
            {
                return Ok(Target::Paired(a, b));
            }
        }
        return Err(CliError::input(format!(
            "--paired {p}: expected two different option names joined by `-` (options: {})",
            names.join(", ")
        )));
    }
    match &args.option {
        None => Ok(Target::Option(0)),
        Some(n) => find(n).map(Target::Option).ok_or_else(|| {
            CliError::input(format!(
                "--option {n}: no such option (options: {})",
                names.join(", ")
            ))
        }),
    }
}

/// A number in a table: plain for ordinary magnitudes, scientific for tiny ones.
pub(crate) fn num(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1e4 {
        qty(x)
    } else if a >= 0.01 {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:.3e}")
    }
}

/// `fleetsim sensitivity`.
pub fn sensitivity(args: &SensitivityArgs) -> Result<(), CliError> {
    let paths = args.sample.paths.unwrap_or(DEFAULT_SENSITIVITY_PATHS);
    let scenario =
        config::load_scenario(&args.scenario).map_err(|e| CliError::input(e.to_string()))?;
    let metric = sensitivity::metric_index(&args.metric).ok_or_else(|| {
        CliError::input(format!(
            "--metric {}: not an output metric; one of: {}",
            args.metric,
            crate::model::outputs::SCALAR_METRICS
                .iter()
                .map(|m| m.name)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    if !(10..=MAX_SENSITIVITY_PATHS).contains(&paths) {
        return Err(CliError::input(format!(
            "--paths {}: must be in 10..={MAX_SENSITIVITY_PATHS} (exact rank correlations keep every path in memory)",
            paths
        )));
    }
    let names: Vec<String> = scenario
        .option_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let target = target(args, &names)?;
    let read = match target {
        Target::Option(o) => vec![o],
        Target::Paired(a, b) => vec![a, b],
    };
    super::checks::metric_available(&scenario, metric, &read, "--metric")
        .map_err(CliError::input)?;
    let seed = args
        .sample
        .seed
        .or(scenario.seed)
        .unwrap_or(super::run::DEFAULT_SEED);
    let mut out = open_out(
        &args.output,
        || {
            let inputs = serde_json::json!({
                "scenario": scenario,
                "metric": args.metric,
                "target": target.label(&names),
            });
            identity_of("sensitivity", &inputs, seed, "paths", u64::from(paths))
        },
        &SENSITIVITY_FILES,
    )?;
    super::report::check(&args.output)?;
    let plan = sensitivity::plan(&scenario, seed, target);
    if plan.inputs.is_empty() {
        return Err(CliError::input(format!(
            "{}: every input is fixed: nothing to rank",
            args.scenario.display()
        )));
    }
    let engines = pick_engines(&args.engine, args.output.quiet)?;
    let info = engines.primary.info();
    let mut col = Collector::new(&plan, paths, metric, target);
    let start = Instant::now();
    let mut runner = Sticky::new(engines.primary.as_ref(), engines.fallback.as_deref());
    run_models(
        &mut runner,
        &plan.models,
        paths,
        args.output.quiet,
        "sensitivity",
        |p, b| col.add(p, b),
        |e| engines.error(e),
    )?;
    let wall = start.elapsed().as_secs_f64();
    let a = col.finish(&plan, &names);

    let mname = a.metric;
    say!(
        "{}: sensitivity of mean {mname} ({}), {} uncertain inputs ({} can move it), {} points x {} paths, seed {seed}, {} {} in {wall:.1} s\n",
        scenario.name,
        a.target,
        plan.inputs.len(),
        plan.varied.len(),
        plan.models.len(),
        paths,
        info.backend,
        info.adapter
    );
    let base = a
        .tornado
        .base_mean
        .map(|m| metric_value(mname, m))
        .unwrap_or_else(|| "n/a".into());
    say!(
        "Tornado: one input at its P10 / P90, every other uncertain input at its median (mean {mname} there: {base}); largest swing first"
    );
    let header: Vec<String> = [
        "#",
        "input",
        "P10",
        "P90",
        "mean at P10",
        "mean at P90",
        "swing",
        "± se",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let f = |x: Option<f64>| {
        x.map(|v| metric_value(mname, v))
            .unwrap_or_else(|| "n/a".into())
    };
    let rows: Vec<Vec<String>> = a
        .tornado
        .rows
        .iter()
        .take(args.top)
        .map(|r| {
            vec![
                r.rank.to_string(),
                r.input.clone(),
                num(r.input_p10),
                num(r.input_p90),
                f(r.mean_at_p10),
                f(r.mean_at_p90),
                f(r.swing),
                f(r.swing_se),
            ]
        })
        .collect();
    say_raw!("{}", table(&header, &rows));
    let label = a.target.clone();
    say!(
        "\nSpearman rank correlation with {mname} of {label} over the scenario's {} paths (all inputs sampled); largest |rho| first",
        paths
    );
    let header: Vec<String> = ["#", "input", "rho", "± se"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows: Vec<Vec<String>> = a
        .spearman
        .iter()
        .filter(|r| r.output == label && r.metric == mname)
        .take(args.top)
        .map(|r| {
            vec![
                r.rank.to_string(),
                r.input.clone(),
                r.rho.map_or("n/a".into(), |v| format!("{v:+.3}")),
                r.rho_se.map_or("n/a".into(), |v| format!("{v:.3}")),
            ]
        })
        .collect();
    say_raw!("{}", table(&header, &rows));

    if let Some(out) = out.as_mut() {
        let meta = serde_json::json!({
            "fleetsim_version": env!("CARGO_PKG_VERSION"),
            "scenario_file": args.scenario.display().to_string(),
            "seed": seed,
            "paths_per_point": paths,
            "points": plan.models.len(),
            "backend": info.backend,
            "adapter": info.adapter,
            "precision": info.precision,
            "fallback": runner.event(),
            "wall_time_s": wall,
            "metric": mname,
            "target": a.target,
        });
        let mut tj = meta.clone();
        tj["definition"] = serde_json::json!(
            "each uncertain input at its P10 and P90 (analytic quantiles of its distribution), every other uncertain input at its median, per-event distributions left random; mean of the metric over the same paths at each point; swing = mean at P90 - mean at P10, se from the per-path differences"
        );
        tj["base_mean"] = serde_json::json!(a.tornado.base_mean);
        tj["base_se"] = serde_json::json!(a.tornado.base_se);
        tj["rows"] = serde_json::json!(a.tornado.rows);
        let mut sj = meta;
        sj["definition"] = serde_json::json!(
            "Spearman rank correlation (average ranks for ties) between each sampled input and each output over the paths of the scenario as written; se = (1 - rho^2) sqrt(1.06 / (n - 3))"
        );
        sj["rows"] = serde_json::json!(a.spearman);
        let tornado_csv = csv_text(
            &[
                "rank",
                "input",
                "input_unit",
                "input_p10",
                "input_p90",
                "target",
                "metric",
                "mean_at_p10",
                "mean_at_p90",
                "swing",
                "swing_se",
            ],
            &a.tornado
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.rank.to_string(),
                        r.input.clone(),
                        r.input_unit.to_string(),
                        opt(Some(r.input_p10)),
                        opt(Some(r.input_p90)),
                        a.target.clone(),
                        mname.to_string(),
                        opt(r.mean_at_p10),
                        opt(r.mean_at_p90),
                        opt(r.swing),
                        opt(r.swing_se),
                    ]
                })
                .collect::<Vec<_>>(),
        )?;
        let spearman_csv = csv_text(
            &["output", "metric", "rank", "input", "rho", "rho_se", "n"],
            &a.spearman
                .iter()
                .map(|r| {
                    vec![
                        r.output.clone(),
                        r.metric.to_string(),
                        r.rank.to_string(),
                        r.input.clone(),
                        opt(r.rho),
                        opt(r.rho_se),
                        r.n.to_string(),
                    ]
                })
                .collect::<Vec<_>>(),
        )?;
        let json = |v: &serde_json::Value| {
            serde_json::to_string_pretty(v).map_err(|e| CliError::runtime(e.to_string()))
        };
        write_files(
            out,
            &[
                ("tornado.csv", tornado_csv),
                ("tornado.json", json(&tj)?),
                ("spearman.csv", spearman_csv),
                ("spearman.json", json(&sj)?),
            ],
        )?;
        if !args.output.quiet {
            eprintln!("fleetsim: wrote results to {}", out.dir().display());
        }
        super::report::after_write(&args.output, out)?;
    }
    Ok(())
}
