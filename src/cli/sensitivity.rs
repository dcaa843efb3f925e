//! `fleetsim sensitivity`: the tornado and the Spearman table of a scenario, printed as ranked
//! tables and written to tornado.csv/json and spearman.csv/json.
//!
//! Sharded (`--shard I/N`), a process runs a contiguous range of the analysis' points and stores
//! their collected values ([`Collector::for_points`]) as a partial result; `fleetsim merge`
//! plans the analysis again from the scenario file, checks that it has the shards' inputs,
//! assembles the whole [`Collector`] and writes the files through the same [`finish`] as an
//! unsharded run.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::engines::pick_engines;
use super::planning::{csv_text, open_out, run_models, shard_output, write_files};
use super::{CliError, EngineArgs, OutputArgs, SampleArgs, with_help};
use crate::config::{self, Scenario};
use crate::engine::Sticky;
use crate::export::format::{metric_value, qty, table};
use crate::export::{self, OutputDir, RunIdentity, opt};
use crate::sensitivity::{self, Collector, Plan, Target};
use crate::shard::Shard;

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
    /// Sharding over a cluster's array tasks (shards split the points).
    #[command(flatten)]
    pub shards: super::ShardArgs,
}

/// Resolves `--option` / `--paired` against the option names.
fn target(
    option: Option<&str>,
    paired: Option<&str>,
    names: &[String],
) -> Result<Target, CliError> {
    let find = |n: &str| names.iter().position(|x| x == n);
    if let Some(p) = paired {
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
    match option {
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

/// What a sensitivity analysis is planned from: the command's settings, stored by its shards
/// so the merge plans the same analysis again.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Settings {
    /// The scenario file (absolute in a shard's partial).
    scenario: PathBuf,
    /// `--metric` as given.
    metric: String,
    /// `--option`.
    option: Option<String>,
    /// `--paired`.
    paired: Option<String>,
    /// Paths per point.
    paths: u32,
    /// `--seed` (a shard stores the seed it resolved).
    seed: Option<u64>,
    /// `--top`: rows of the printed tables.
    top: usize,
}

/// A planned analysis: what a run and the merge of its shards share.
struct Prepared {
    scenario: Scenario,
    names: Vec<String>,
    /// The metric's record index, and its name as given.
    metric: usize,
    metric_name: String,
    target: Target,
    seed: u64,
    paths: u32,
    plan: Plan,
}

/// Reads the scenario of `s` and plans its analysis; bad settings exit 2.
fn prepare(s: &Settings) -> Result<Prepared, CliError> {
    let paths = s.paths;
    let scenario =
        config::load_scenario(&s.scenario).map_err(|e| CliError::input(e.to_string()))?;
    let metric = sensitivity::metric_index(&s.metric).ok_or_else(|| {
        CliError::input(format!(
            "--metric {}: not an output metric; one of: {}",
            s.metric,
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
    let target = target(s.option.as_deref(), s.paired.as_deref(), &names)?;
    let read = match target {
        Target::Option(o) => vec![o],
        Target::Paired(a, b) => vec![a, b],
    };
    super::checks::metric_available(&scenario, metric, &read, "--metric")
        .map_err(CliError::input)?;
    let seed = s.seed.or(scenario.seed).unwrap_or(super::run::DEFAULT_SEED);
    let plan = sensitivity::plan(&scenario, seed, target);
    if plan.inputs.is_empty() {
        return Err(CliError::input(format!(
            "{}: every input is fixed: nothing to rank",
            s.scenario.display()
        )));
    }
    Ok(Prepared {
        scenario,
        names,
        metric,
        metric_name: s.metric.clone(),
        target,
        seed,
        paths,
        plan,
    })
}

/// The identity of an analysis' result over `points` of its points (the shards split the
/// points, as a sweep's). The inputs hash covers the resolved scenario (less the file name it
/// was read from: [`super::planning::hashed_scenario`]), the metric, the target and the paths
/// per point.
fn identity(p: &Prepared, points: Range<u64>, shard: Option<Shard>) -> RunIdentity {
    let inputs = serde_json::json!({
        "scenario": super::planning::hashed_scenario(&p.scenario),
        "metric": p.metric_name,
        "target": p.target.label(&p.names),
        "paths_per_point": p.paths,
    });
    RunIdentity::new(
        "sensitivity",
        export::output::inputs_hash(&inputs),
        p.seed,
        "points",
        points,
        p.plan.models.len() as u64,
        shard,
    )
}

/// Beside a shard's partial result: the engine facts (backend, adapter, precision, fallback)
/// and `wall_time_s`, what differs between runs of the same shard. Kept out of the partial so
/// a rerun shard reproduces its partial byte for byte.
const SHARD_META_FILE: &str = "shard.json";

/// What a shard of `fleetsim sensitivity` stores for the merge: its points' collected values,
/// and the settings the merge plans the same analysis from.
#[derive(Serialize, Deserialize)]
struct SensitivityPartial {
    /// [`crate::merge::PARTIAL_FORMAT`].
    format: u32,
    identity: RunIdentity,
    /// The settings, the scenario file absolute and the seed resolved.
    settings: Settings,
    /// The scenario file as given on the command line (the files' `scenario_file`).
    scenario_given: String,
    /// The values of the shard's points.
    collector: Collector,
}

impl crate::merge::Partial for SensitivityPartial {
    fn format(&self) -> u32 {
        self.format
    }
    fn identity(&self) -> &RunIdentity {
        &self.identity
    }
}

/// `fleetsim sensitivity`.
pub fn sensitivity(args: &SensitivityArgs) -> Result<(), CliError> {
    let quiet = args.output.quiet;
    let settings = Settings {
        scenario: args.scenario.clone(),
        metric: args.metric.clone(),
        option: args.option.clone(),
        paired: args.paired.clone(),
        paths: args.sample.paths.unwrap_or(DEFAULT_SENSITIVITY_PATHS),
        seed: args.sample.seed,
        top: args.top,
    };
    let p = prepare(&settings)?;
    let shard = super::shard_of(&args.shards, quiet)?;
    let n_all = p.plan.models.len() as u64;
    let range = shard.map_or(0..n_all, |s| s.range(n_all));
    let out_args = shard_output(&args.output, shard, "sensitivity analysis")?;
    let mut out = open_out(
        &out_args,
        || identity(&p, range.clone(), shard),
        if shard.is_some() {
            &[crate::merge::PARTIAL_FILE, SHARD_META_FILE]
        } else {
            &SENSITIVITY_FILES
        },
    )?;
    super::report::check(&args.output)?;
    let engines = pick_engines(&args.engine, quiet)?;
    let info = engines.primary.info();
    let points = range.start as usize..range.end as usize;
    let mut col = Collector::for_points(&p.plan, p.paths, p.metric, p.target, points.clone());
    let start = Instant::now();
    let mut runner = Sticky::new(engines.primary.as_ref(), engines.fallback.as_deref());
    run_models(
        &mut runner,
        &p.plan.models[points.clone()],
        p.paths,
        quiet,
        "sensitivity",
        |i, b| col.add(points.start + i, b),
        |e| engines.error(e),
    )?;
    let wall = start.elapsed().as_secs_f64();
    let engine = serde_json::json!({
        "backend": info.backend,
        "adapter": info.adapter,
        "precision": info.precision,
        "fallback": runner.event(),
    });
    let engine_words = format!("{} {}", info.backend, info.adapter);
    if let (Some(s), Some(out)) = (shard, out.as_mut()) {
        if !quiet {
            say!(
                "{}: sensitivity shard {s}: points {}..{} of {n_all} x {} paths, seed {}, {engine_words} in {wall:.1} s",
                p.scenario.name,
                range.start,
                range.end,
                p.paths,
                p.seed,
            );
        }
        let partial = SensitivityPartial {
            format: crate::merge::PARTIAL_FORMAT,
            identity: out.identity().clone(),
            settings: Settings {
                scenario: std::path::absolute(&args.scenario)
                    .unwrap_or_else(|_| args.scenario.clone()),
                seed: Some(p.seed),
                ..settings
            },
            scenario_given: args.scenario.display().to_string(),
            collector: col,
        };
        let mut meta = engine;
        meta["wall_time_s"] = serde_json::json!(wall);
        crate::merge::write_partial(&partial, out).map_err(super::export_error)?;
        let meta =
            serde_json::to_string_pretty(&meta).map_err(|e| CliError::runtime(e.to_string()))?;
        write_files(out, &[(SHARD_META_FILE, meta)])?;
        super::planning::shard_written(out.dir(), quiet);
        return Ok(());
    }
    finish(
        &p,
        &col,
        &args.scenario.display().to_string(),
        (engine, &engine_words, wall),
        args.top,
        out.as_mut(),
        &args.output,
    )
}

/// `fleetsim merge` of sensitivity shards (`dirs`, already found): reads and checks their
/// partials ([`crate::merge::read_shards`]), plans the analysis again from the scenario file
/// (which must give the shards' inputs), assembles the collected values and writes the files
/// an unsharded run writes.
pub(super) fn merge_sensitivity(
    args: &super::merge::MergeArgs,
    dirs: &[PathBuf],
) -> Result<(), CliError> {
    if args.xlsx {
        return Err(CliError::input(
            "--xlsx: summary.xlsx belongs to a run; a sensitivity analysis merges into its tornado and spearman files",
        ));
    }
    let parts: Vec<(PathBuf, SensitivityPartial)> =
        crate::merge::read_shards(dirs).map_err(super::merge::merge_error)?;
    let first = &parts[0].1;
    let file = &first.settings.scenario;
    let mut p = prepare(&first.settings).map_err(|e| CliError {
        message: format!(
            "{} (planning the shards' analysis again from {})",
            e.message,
            file.display()
        ),
        ..e
    })?;
    p.scenario.origin = first.scenario_given.clone();
    let identity = crate::merge::merged_identity(&first.identity);
    let n_points = p.plan.models.len();
    let again = self::identity(&p, 0..n_points as u64, None);
    if again.fleetsim_version != identity.fleetsim_version {
        return Err(CliError::input(format!(
            "the shards were written by fleetsim {}, this is {}: merge them with the version that ran them",
            identity.fleetsim_version, again.fleetsim_version
        )));
    }
    if again != identity {
        return Err(CliError::input(format!(
            "{}: the scenario changed since the shards ran (their inputs differ); rerun the shards",
            file.display()
        )));
    }
    let scenario_given = first.scenario_given.clone();
    let top = first.settings.top;
    // The shards' engines and times (a shard.json the manifest lists, verified with the rest).
    let mut engines: Vec<serde_json::Value> = Vec::with_capacity(parts.len());
    for (d, _) in &parts {
        let path = d.join(SHARD_META_FILE);
        let meta = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .filter(|v| v.is_object())
            .ok_or_else(|| {
                CliError::input(format!(
                    "{}: missing or not a JSON object: not a sensitivity shard's folder",
                    path.display()
                ))
            })?;
        engines.push(meta);
    }
    let walls: Vec<Option<f64>> = engines
        .iter_mut()
        .map(|e| e.as_object_mut()?.remove("wall_time_s")?.as_f64())
        .collect();
    let wall: f64 = walls.iter().flatten().sum();
    let mut engine =
        super::planning::merged_engine(&engines, &["backend", "adapter", "precision", "fallback"]);
    if let serde_json::Value::Object(o) = &mut engine {
        o.insert(
            "shards".into(),
            parts
                .iter()
                .zip(engines.iter().zip(&walls))
                .map(|((d, x), (e, w))| {
                    serde_json::json!({
                        "shard": x.identity.shard,
                        "points": [x.identity.start, x.identity.end],
                        "folder": d.display().to_string(),
                        "engine": e,
                        "wall_time_s": w,
                    })
                })
                .collect::<Vec<_>>()
                .into(),
        );
    }
    let n_shards = parts.len();
    let col = Collector::merge(
        parts.into_iter().map(|(_, x)| x.collector).collect(),
        n_points,
    )
    .map_err(|e| CliError::input(format!("the shards' points do not assemble: {e}")))?;
    let mut out = OutputDir::create(
        args.output.out.as_ref().expect("required by clap"),
        args.output.force,
        identity,
    )
    .map_err(super::export_error)?;
    out.check_free(&SENSITIVITY_FILES)
        .map_err(super::export_error)?;
    super::report::check(&args.output)?;
    finish(
        &p,
        &col,
        &scenario_given,
        (engine, &format!("{n_shards} shards"), wall),
        top,
        Some(&mut out),
        &args.output,
    )
}

/// Prints the tornado and the Spearman table of a whole analysis' values `col` (`top` rows
/// each) and, with `out`, writes tornado.csv/json and spearman.csv/json (`scenario_file`: as
/// given; `engine`: the engine facts the JSON files record, the words printed and the
/// simulating seconds).
fn finish(
    p: &Prepared,
    col: &Collector,
    scenario_file: &str,
    (engine, engine_words, wall): (serde_json::Value, &str, f64),
    top: usize,
    out: Option<&mut OutputDir>,
    output: &OutputArgs,
) -> Result<(), CliError> {
    let (plan, paths, seed) = (&p.plan, p.paths, p.seed);
    let a = col.finish(plan, &p.names);

    let mname = a.metric;
    say!(
        "{}: sensitivity of mean {mname} ({}), {} uncertain inputs ({} can move it), {} points x {} paths, seed {seed}, {engine_words} in {wall:.1} s\n",
        p.scenario.name,
        a.target,
        plan.inputs.len(),
        plan.varied.len(),
        plan.models.len(),
        paths,
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
        .take(top)
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
        .take(top)
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

    if let Some(out) = out {
        let mut meta = serde_json::json!({
            "fleetsim_version": env!("CARGO_PKG_VERSION"),
            "scenario_file": scenario_file,
            "seed": seed,
            "paths_per_point": paths,
            "points": plan.models.len(),
            "wall_time_s": wall,
            "metric": mname,
            "target": a.target,
        });
        if let (Some(m), serde_json::Value::Object(e)) = (meta.as_object_mut(), engine) {
            m.extend(e);
        }
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
        if !output.quiet {
            eprintln!("fleetsim: wrote results to {}", out.dir().display());
        }
        super::report::after_write(output, out)?;
    }
    Ok(())
}
