//! `fleetsim sweep SWEEP.toml`: read and validate the sweep file and its base scenario, build
//! every point (refusing designs over `--max-points`), run them on the chosen engines with a
//! progress bar, print the decision table and the break-evens, and write sweep.csv,
//! sweep.parquet and sweep.json.

use std::path::PathBuf;
use std::time::Instant;

use super::engines::{adapter_words, pick_engines};
use super::{CliError, EngineArgs, OutputArgs, SampleArgs, progress_bar, with_help};
use crate::config::error::num;
use crate::config::{BaseScenario, ConfigError};
use crate::engine::Precision;
use crate::export::format::{metric_value, pct, qty, table};
use crate::export::{self, OutputDir};
use crate::sweep::breakeven::{Slice, slices};
use crate::sweep::output::{self, SWEEP_FILES, SWEEP_SCHEMA_VERSION};
use crate::sweep::run::{PointResult, higher_is_better};
use crate::sweep::table::all_columns;
use crate::sweep::{self, AxisValues, DEFAULT_MAX_POINTS, DEFAULT_SWEEP_PATHS, Plan};

/// Rows of the decision table printed (the files hold every point).
const PRINTED_ROWS: usize = 40;

/// Options of `fleetsim sweep`.
#[derive(clap::Args, Debug)]
#[command(
    mut_arg(
        "paths",
        with_help("Paths per point (default: the sweep file's `paths`, else 2,000)")
    ),
    mut_arg(
        "seed",
        with_help("Seed of every point (default: the sweep file's, else the scenario's, else 1)")
    ),
    mut_arg("out", with_help("Write sweep.csv, sweep.parquet and sweep.json here"))
)]
pub struct SweepArgs {
    /// Sweep TOML file (`[sweep]` and `[[axis]]` tables; see README "Planning with sweeps").
    pub sweep: PathBuf,
    /// Paths and seed.
    #[command(flatten)]
    pub sample: SampleArgs,
    /// Engine choice.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Result files, overwriting and quiet.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Sharding over a cluster's array tasks (shards split the points).
    #[command(flatten)]
    pub shards: super::ShardArgs,
    /// Refuse designs with more points than this (before running anything); at least 1.
    #[arg(long, default_value_t = DEFAULT_MAX_POINTS, value_parser = parse_max_points)]
    pub max_points: u64,
}

/// clap's parser of `--max-points`: an integer of at least 1 (0 would refuse every design).
fn parse_max_points(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{s:?} is not a number of points: an integer of at least 1 (0 would refuse every design)"
        )),
    }
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::input(e.to_string())
}

/// Runs `fleetsim sweep`.
/// The sweep file `file` and its base scenario, validated and planned with `paths` per point
/// (default: the file's, else [`DEFAULT_SWEEP_PATHS`]) and `seed` (default: the file's, else
/// the scenario's, else 1).
fn load_plan(
    file: &std::path::Path,
    paths: Option<u32>,
    seed: Option<u64>,
    max_points: u64,
) -> Result<Plan, CliError> {
    let spec = sweep::spec::load(file).map_err(input)?;
    let base = sweep_base(&spec)?;
    let resolved = base.build().map_err(input)?;
    let paths = paths.or(spec.paths).unwrap_or(DEFAULT_SWEEP_PATHS);
    if paths == 0 {
        return Err(CliError::input("--paths must be at least 1"));
    }
    let seed = seed
        .or(spec.seed)
        .or(resolved.seed)
        .unwrap_or(super::run::DEFAULT_SEED);
    sweep::plan(spec, &base, paths, seed, max_points).map_err(input)
}

/// The base scenario a sweep file names (`sweep.scenario`, relative to the sweep file), or
/// the built-in default.
pub(super) fn sweep_base(spec: &sweep::spec::SweepSpec) -> Result<BaseScenario, CliError> {
    match &spec.scenario {
        Some(p) => BaseScenario::load(p).map_err(|e| match e {
            ConfigError::Io { .. } => CliError::input(format!(
                "{}: sweep.scenario: {e} (the path is relative to the sweep file)",
                spec.file
            )),
            e => input(e),
        }),
        None => Ok(BaseScenario::builtin_default()),
    }
}

/// What a shard of `fleetsim sweep` stores for the merge: its points' results, and what the
/// merge needs to plan the same sweep again (the sweep file is read again, and must give the
/// same inputs hash).
#[derive(serde::Serialize, serde::Deserialize)]
struct SweepPartial {
    /// [`crate::merge::PARTIAL_FORMAT`].
    format: u32,
    identity: export::RunIdentity,
    /// The sweep file, absolute.
    sweep_file: PathBuf,
    paths: u32,
    seed: u64,
    max_points: u64,
    /// Results of the shard's points, in point order.
    results: Vec<PointResult>,
    /// The engine facts of sweep.json (backend, adapter, ...), JSON text.
    engine_json: String,
    simulate_s: f64,
}

/// `fleetsim sweep`.
pub fn sweep(args: &SweepArgs) -> Result<(), CliError> {
    let t0 = Instant::now();
    let quiet = args.output.quiet;
    let plan = load_plan(
        &args.sweep,
        args.sample.paths,
        args.sample.seed,
        args.max_points,
    )?;
    let paths = plan.paths;
    let seed = plan.seed;
    let shard = super::shard_of(&args.shards, quiet)?;
    let n_all = plan.points.len() as u64;
    let range = shard.map_or(0..n_all, |s| s.range(n_all));
    let out_args = super::planning::shard_output(&args.output, shard, "sweep")?;
    let mut out = super::planning::open_out(
        &out_args,
        || sweep_identity(&plan, range.clone(), shard),
        if shard.is_some() {
            &[crate::merge::PARTIAL_FILE]
        } else {
            &SWEEP_FILES
        },
    )?;
    super::report::check(&args.output)?;
    let plan_s = t0.elapsed().as_secs_f64();
    if !quiet {
        for n in &plan.notes {
            eprintln!("fleetsim: note: {n}");
        }
    }
    let engines = pick_engines(&args.engine, quiet)?;
    let info = engines.primary.info();
    let n_points = range.end - range.start;
    let total = n_points * paths as u64;
    let bar = progress_bar(total, "{spinner} {bar:30} {msg}  eta {eta}", quiet);
    bar.set_message(format!("0/{n_points} points"));
    let start = Instant::now();
    let outcome = sweep::run::run(
        &plan,
        range.start as usize..range.end as usize,
        engines.primary.as_ref(),
        engines.fallback.as_deref(),
        |done| {
            bar.set_position(done);
            bar.set_message(format!("{}/{n_points} points", done / paths as u64));
        },
        |ev| {
            bar.suspend(|| {
                eprintln!(
                    "fleetsim: warning: the GPU engine failed: {}\nfleetsim: continuing on the CPU engine from path {} of that call; sweep.json records this",
                    ev.reason, ev.at_path
                )
            })
        },
    );
    let simulate_s = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let (results, fallback) = outcome.map_err(|e| engines.error(e))?;
    let engine = serde_json::json!({
        "backend": info.backend,
        "adapter": info.adapter,
        "driver": info.driver,
        "precision": info.precision,
        "gpu_adapter": engines.gpu,
        "fallback": fallback,
    });
    let engine_words = match (&engines.gpu, &fallback) {
        (Some(g), None) => format!("gpu {}", adapter_words(g)),
        (Some(g), Some(_)) => format!("gpu {} then cpu (fallback)", adapter_words(g)),
        (None, _) => format!(
            "{} {} ({})",
            info.backend,
            info.adapter,
            match info.precision {
                Precision::F32 => "f32",
                Precision::F64 => "f64",
            }
        ),
    };
    if let (Some(s), Some(out)) = (shard, out.as_mut()) {
        let path_days = total as f64 * plan.base.horizon_days() as f64;
        if !quiet {
            say!(
                "{}: shard {s}: points {}..{} of {n_all} x {paths} paths, seed {seed}, {engine_words} in {:.2} s ({} path-days/s)",
                plan.spec.file,
                range.start,
                range.end,
                simulate_s,
                qty(path_days / simulate_s.max(1e-9)),
            );
        }
        let partial = SweepPartial {
            format: crate::merge::PARTIAL_FORMAT,
            identity: out.identity().clone(),
            sweep_file: std::path::absolute(&args.sweep).unwrap_or_else(|_| args.sweep.clone()),
            paths,
            seed,
            max_points: args.max_points,
            results,
            engine_json: engine.to_string(),
            simulate_s,
        };
        crate::merge::write_partial(&partial, out).map_err(super::export_error)?;
        out.commit().map_err(super::export_error)?;
        super::planning::shard_written(out.dir(), quiet);
        return Ok(());
    }
    finish(
        &plan,
        &results,
        engine,
        &engine_words,
        (plan_s, simulate_s),
        out.as_mut(),
        &args.output,
    )
}

impl crate::merge::Partial for SweepPartial {
    fn identity(&self) -> &export::RunIdentity {
        &self.identity
    }
    fn format(&self) -> u32 {
        self.format
    }
}

/// `fleetsim merge` of sweep shards (`dirs`, already found): reads each shard's partial, checks
/// they are the shards of one sweep (as [`crate::merge::check_shards`]), plans the sweep again
/// from its file (which must give the same inputs), and writes the files the unsharded sweep
/// writes.
pub(super) fn merge_sweep(
    args: &super::merge::MergeArgs,
    dirs: &[PathBuf],
) -> Result<(), CliError> {
    let sorted: Vec<(PathBuf, SweepPartial)> =
        crate::merge::read_shards(dirs).map_err(super::merge::merge_error)?;
    let first = &sorted[0].1;
    let plan = load_plan(
        &first.sweep_file,
        Some(first.paths),
        Some(first.seed),
        first.max_points,
    )?;
    let identity = crate::merge::merged_identity(&first.identity);
    let again = sweep_identity(&plan, 0..plan.points.len() as u64, None);
    if again.inputs_sha256 != identity.inputs_sha256 {
        return Err(CliError::input(format!(
            "{}: the sweep file or its scenario changed since the shards ran (their inputs differ); rerun the shards",
            first.sweep_file.display()
        )));
    }
    let results: Vec<PointResult> = sorted
        .iter()
        .flat_map(|(_, p)| p.results.iter().cloned())
        .collect();
    let engines: Vec<serde_json::Value> = sorted
        .iter()
        .map(|(_, p)| serde_json::from_str(&p.engine_json).unwrap_or_default())
        .collect();
    let mut engine = super::planning::merged_engine(
        &engines,
        &[
            "backend",
            "adapter",
            "driver",
            "precision",
            "gpu_adapter",
            "fallback",
        ],
    );
    if let serde_json::Value::Object(o) = &mut engine {
        o.insert(
            "shards".into(),
            sorted
                .iter()
                .zip(&engines)
                .map(|((d, p), e)| {
                    serde_json::json!({
                        "shard": p.identity.shard,
                        "points": [p.identity.start, p.identity.end],
                        "folder": d.display().to_string(),
                        "engine": e,
                        "simulate_s": p.simulate_s,
                    })
                })
                .collect::<Vec<_>>()
                .into(),
        );
    }
    let simulate_s: f64 = sorted.iter().map(|(_, p)| p.simulate_s).sum();
    let mut out = OutputDir::create(
        args.output.out.as_ref().expect("required by clap"),
        args.output.force,
        identity,
    )
    .map_err(super::export_error)?;
    out.check_free(&SWEEP_FILES).map_err(super::export_error)?;
    super::report::check(&args.output)?;
    finish(
        &plan,
        &results,
        engine,
        &format!("{} shards", sorted.len()),
        (0.0, simulate_s),
        Some(&mut out),
        &args.output,
    )
}

/// Prints the decision table and the break-evens of a whole sweep's `results` and, with `out`,
/// writes sweep.csv, sweep.parquet and sweep.json (`engine`: the engine facts it records;
/// `timings`: planning and simulating seconds).
fn finish(
    plan: &Plan,
    results: &[PointResult],
    engine: serde_json::Value,
    engine_words: &str,
    (plan_s, simulate_s): (f64, f64),
    out: Option<&mut OutputDir>,
    output: &OutputArgs,
) -> Result<(), CliError> {
    let quiet = output.quiet;
    let paths = plan.paths;
    let seed = plan.seed;
    let n_points = plan.points.len() as u64;
    let total = n_points * paths as u64;
    let (a, b) = plan.pair;
    let metric = plan.spec.metric.clone();
    let hib = higher_is_better(&metric);
    let (name_a, name_b) = (&plan.option_names[a], &plan.option_names[b]);
    let breakevens: Option<Vec<Slice>> = match (&plan.grid, a != b) {
        (Some(grid), true) => {
            let keys: Vec<String> = plan.spec.axes.iter().map(|x| x.key.clone()).collect();
            let y: Vec<Option<f64>> = results.iter().map(|r| r.diff_p50).collect();
            Some(slices(
                &keys,
                &grid.values,
                &grid.indices,
                &y,
                hib,
                name_a,
                name_b,
            ))
        }
        _ => None,
    };
    let path_days = total as f64 * plan.base.horizon_days() as f64;

    if !quiet || out.is_none() {
        say!(
            "{}: {} points x {} paths x {} days, seed {seed}, {engine_words} in {:.2} s ({} path-days/s)\n",
            plan.spec.file,
            n_points,
            paths,
            plan.base.horizon_days(),
            simulate_s,
            qty(path_days / simulate_s.max(1e-9)),
        );
        say_raw!("{}", decision_table(plan, results));
        say!();
        say_raw!("{}", breakeven_text(plan, breakevens.as_deref()));
    }

    if let Some(out) = out {
        let axes: Vec<serde_json::Value> = plan
            .spec
            .axes
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let spec = match &x.values {
                    AxisValues::Values(_) => serde_json::json!({"values": "listed"}),
                    AxisValues::Range { lo, hi, steps, log } => serde_json::json!({
                        "range": {"lo": lo, "hi": hi, "steps": steps, "scale": if *log { "log" } else { "linear" }}
                    }),
                    AxisValues::Dist(d) => serde_json::json!({ "dist": d }),
                };
                serde_json::json!({
                    "key": x.key,
                    "column": x.column(),
                    "unit": x.unit,
                    "integer": x.integer,
                    "given": spec,
                    "values": plan.grid.as_ref().map(|g| g.values[i].clone()),
                })
            })
            .collect();
        let break_even = match &breakevens {
            Some(s) => serde_json::json!({
                "metric": metric,
                "a": name_a,
                "b": name_b,
                "higher_is_better": hib,
                "statistic": "P50 over paths of (a - b) of the metric; a break-even is an axis value where it changes sign, linearly interpolated between the bracketing grid values, along 1-D slices of the grid (the other axes fixed at each combination of their values)",
                "slices": s,
            }),
            None => serde_json::json!({
                "metric": metric,
                "a": name_a,
                "b": name_b,
                "note": if a == b { "the scenario has one option: nothing to compare" } else { "break-evens need a grid design: Latin-hypercube points form no lines along an axis" },
                "slices": [],
            }),
        };
        let columns: Vec<String> = all_columns(
            &output::axis_columns(plan),
            plan.base.horizon_years as usize,
        )
        .into_iter()
        .map(|c| c.0)
        .collect();
        let manifest = serde_json::json!({
            "schema_version": SWEEP_SCHEMA_VERSION,
            "fleetsim_version": env!("CARGO_PKG_VERSION"),
            "sweep_file": plan.spec.file,
            "scenario_file": plan.origin,
            "scenario": plan.base,
            "design": plan.spec.design,
            "axes": axes,
            "n_points": n_points,
            "paths_per_point": paths,
            "seed": seed,
            "common_random_numbers": "every point runs paths 0..paths_per_point with the same seed",
            "options": plan.option_names,
            "horizon_days": plan.base.horizon_days(),
            "columns": columns,
            "timings": {
                "plan_s": plan_s,
                "simulate_s": simulate_s,
                "path_days_per_s": path_days / simulate_s.max(1e-9),
            },
            "break_even": break_even,
            "notes": plan.notes,
        });
        let mut manifest = manifest;
        if let (Some(m), serde_json::Value::Object(e)) = (manifest.as_object_mut(), engine) {
            m.extend(e);
        }
        output::write(out, plan, results, &manifest).map_err(super::export_error)?;
        out.commit().map_err(super::export_error)?;
        if !quiet {
            eprintln!(
                "fleetsim: wrote sweep.csv, sweep.parquet and sweep.json to {}",
                out.dir().display()
            );
        }
        super::report::after_write(output, out)?;
    }
    Ok(())
}

/// The identity of a sweep's result over `points` of its points: the inputs hash covers the
/// base scenario, the axes, every point's values, the metric, the compared pair and the paths
/// per point.
fn sweep_identity(
    plan: &Plan,
    points: std::ops::Range<u64>,
    shard: Option<crate::shard::Shard>,
) -> export::RunIdentity {
    let inputs = serde_json::json!({
        "scenario": super::planning::hashed_scenario(&plan.base),
        "axes": plan.spec.axes.iter().map(|x| x.key.clone()).collect::<Vec<_>>(),
        "points": plan.points,
        "metric": plan.spec.metric,
        "pair": [plan.pair.0, plan.pair.1],
        "paths_per_point": plan.paths,
    });
    export::RunIdentity::new(
        "sweep",
        export::output::inputs_hash(&inputs),
        plan.seed,
        "points",
        points,
        plan.points.len() as u64,
        shard,
    )
}

/// Formats a value of `metric` for the table.
fn fmt_metric(metric: &str, x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |x| metric_value(metric, x))
}

/// The decision table: per point, the axis values, P50 of the metric per option, P50 of the
/// paired difference and P(a better).
fn decision_table(plan: &Plan, results: &[PointResult]) -> String {
    let metric = &plan.spec.metric;
    let (a, b) = plan.pair;
    let mut header = vec!["point".to_string()];
    header.extend(plan.spec.axes.iter().map(|x| x.key.clone()));
    header.extend(
        plan.option_names
            .iter()
            .map(|o| format!("P50 {metric} {o}")),
    );
    if a != b {
        let (na, nb) = (&plan.option_names[a], &plan.option_names[b]);
        header.push(format!("P50 {na} - {nb}"));
        header.push(format!("P({na} better)"));
    }
    let mut rows = Vec::new();
    for (p, (vals, r)) in plan
        .points
        .iter()
        .zip(results)
        .enumerate()
        .take(PRINTED_ROWS)
    {
        let mut row = vec![p.to_string()];
        row.extend(vals.iter().map(|v| num(*v)));
        row.extend(r.p50.iter().map(|x| fmt_metric(metric, *x)));
        if a != b {
            row.push(fmt_metric(metric, r.diff_p50));
            row.push(r.p_a_better.map(pct).unwrap_or_else(|| "n/a".into()));
        }
        rows.push(row);
    }
    let mut out = table(&header, &rows);
    if results.len() > PRINTED_ROWS {
        out.push_str(&format!(
            "... {} more points in sweep.csv (--out)\n",
            results.len() - PRINTED_ROWS
        ));
    }
    out
}

/// The break-even lines.
fn breakeven_text(plan: &Plan, slices: Option<&[Slice]>) -> String {
    let (a, b) = plan.pair;
    if a == b {
        return "break-even: the scenario has one option; nothing to compare\n".into();
    }
    let (na, nb) = (&plan.option_names[a], &plan.option_names[b]);
    let metric = &plan.spec.metric;
    let Some(slices) = slices else {
        return format!(
            "break-even ({na} vs {nb}, P50 of {metric} difference): needs a grid axis; a Latin-hypercube design reports none\n"
        );
    };
    let mut out = format!(
        "break-even of {na} vs {nb} (where the P50 of the per-path {metric} difference changes sign):\n"
    );
    for s in slices {
        let at = if s.others.is_empty() {
            String::new()
        } else {
            format!(
                " at {}",
                s.others
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", num(*v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let what = if s.break_evens.is_empty() {
            match (&s.better_at_lo, &s.better_at_hi) {
                (Some(x), Some(y)) if x == y => format!("none in range: {x} better throughout"),
                _ => "none in range".to_string(),
            }
        } else {
            let vals: Vec<String> = s.break_evens.iter().map(|v| num(*v)).collect();
            let dir = match (&s.better_at_lo, &s.better_at_hi) {
                (Some(x), Some(y)) if x != y => format!(" ({x} better below, {y} above)"),
                _ => String::new(),
            };
            format!("{}{dir}", vals.join(", "))
        };
        out.push_str(&format!("  {}{at}: {what}\n", s.axis));
    }
    out
}
