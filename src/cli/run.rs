//! What each subcommand does: load and validate a scenario, pick the engines (GPU with CPU
//! fallback, or one of them), simulate with a progress bar, aggregate, print the comparison
//! table and write the result files (none when the run fails).

use std::path::Path;
use std::time::Instant;

use super::engines::pick_engines;
use super::{CliError, RunArgs, progress_bar};
use crate::config::{self, BaseScenario, Scenario};
use crate::engine::{PathBlock, Precision, Sticky};
use crate::export::format::{days, group_thousands, pct, qty, table, usd};
use crate::export::{self, PerPathWriter};
use crate::model::outputs::idx;
use crate::stats::{RunAggregate, RunSummary};

/// Paths simulated when neither the command line nor the scenario says.
pub const DEFAULT_PATHS: u32 = 20_000;
/// Seed used when neither the command line nor the scenario says.
pub const DEFAULT_SEED: u64 = 1;
/// First batch of a `--target-se` run when `--paths` is not given.
pub const TARGET_SE_FIRST_BATCH: u32 = 1_000;
/// Default `--max-paths` of a `--target-se` run.
pub const DEFAULT_MAX_PATHS: u32 = 10_000_000;

/// The headline of `--target-se`: the largest relative standard error (se / |mean|) of the
/// mean NPV over the options; infinite while some option has fewer than two paths or a zero
/// mean.
pub fn headline_relative_se(agg: &RunAggregate) -> f64 {
    (0..agg.n_options())
        .map(|o| {
            agg.summary(o, idx::NPV_USD)
                .and_then(|s| {
                    let m = s.moments();
                    Some(m.se()? / m.mean()?.abs())
                })
                .filter(|r| r.is_finite())
                .unwrap_or(f64::INFINITY)
        })
        .fold(0.0, f64::max)
}

/// Paths of the next `--target-se` batch end: enough for `rse` to reach `target` if the
/// standard error falls as `1 / sqrt(n)` (plus 5 %), at most 4x the paths done, at most `max`.
pub fn next_batch_end(done: u32, rse: f64, target: f64, max: u32) -> u32 {
    let need = if rse.is_finite() {
        (done as f64 * (rse / target).powi(2) * 1.05).ceil()
    } else {
        f64::INFINITY
    };
    let cap = (done as f64 * 4.0).min(max as f64);
    need.clamp(done as f64 + 1.0, cap.max(done as f64 + 1.0))
        .min(max as f64) as u32
}

/// The base document of a scenario (for the break-even variants) and the scenario itself.
fn load_base(path: Option<&Path>) -> Result<(BaseScenario, Scenario, String), CliError> {
    let bad = |e: config::ConfigError| CliError::input(e.to_string());
    let (base, origin) = match path {
        None => (
            BaseScenario::builtin_default(),
            "built-in configs/default.toml".to_string(),
        ),
        Some(p) => (BaseScenario::load(p).map_err(bad)?, p.display().to_string()),
    };
    let scenario = base.build().map_err(bad)?;
    Ok((base, scenario, origin))
}

pub(super) fn load(path: Option<&Path>) -> Result<(Scenario, String), CliError> {
    match path {
        None => Ok((
            config::default_scenario(),
            "built-in configs/default.toml".into(),
        )),
        Some(p) => config::load_scenario(p)
            .map(|s| (s, p.display().to_string()))
            .map_err(|e| CliError::input(e.to_string())),
    }
}

/// `fleetsim validate`: loads the scenario and prints what it resolves to; errors exit 2.
pub fn validate(path: &Path) -> Result<(), CliError> {
    let (s, origin) = load(Some(path))?;
    let horizon = match s.horizon_days_given {
        Some(d) => format!("{d} days ({} yearly cash flows)", s.horizon_years),
        None => format!("{} years", s.horizon_years),
    };
    say!(
        "{origin}: valid: \"{}\", {} option(s), {horizon}, {}",
        s.name,
        s.options.len(),
        s.sizing().label(),
    );
    for o in &s.options {
        say!("{}", option_line(o, &s));
    }
    Ok(())
}

/// `fleetsim catalog`: lists the built-in hardware, or one entry in full.
pub fn catalog(entry: Option<&str>) -> Result<(), CliError> {
    let cat = config::builtin_catalog();
    match entry {
        None => say_raw!("{}", cat.summary()),
        Some(name) => match cat.entry_listing(name) {
            Some(text) => say_raw!("{text}"),
            None => {
                return Err(CliError::input(format!(
                    "no catalog entry `{name}`; known entries: {}",
                    cat.names().join(", ")
                )));
            }
        },
    }
    Ok(())
}

/// `fleetsim run` (and `fleetsim` with no arguments).
pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let (base, scenario, origin) = load_base(args.scenario.as_deref())?;
    let target_se = match args.target_se {
        None => None,
        Some(x) if x.is_finite() && x > 0.0 && x <= 1.0 => Some(x),
        Some(x) => {
            return Err(CliError::input(format!(
                "--target-se {x}: must be a relative standard error in (0, 1]"
            )));
        }
    };
    let max_paths = args.max_paths.unwrap_or(DEFAULT_MAX_PATHS);
    if max_paths == 0 {
        return Err(CliError::input("--max-paths must be at least 1"));
    }
    // --paths is the first batch: a cap below it would silently cut the batch asked for.
    if let (Some(p), Some(_)) = (args.sample.paths, target_se)
        && max_paths < p
    {
        let m = match args.max_paths {
            Some(m) => m.to_string(),
            None => format!("{} (the default)", group_thousands(u64::from(max_paths))),
        };
        return Err(CliError::input(format!(
            "--max-paths {m} is below --paths {p}: --paths is the first batch of a --target-se run and --max-paths the most it may grow to; raise --max-paths or lower --paths"
        )));
    }
    let paths = match (args.sample.paths, target_se) {
        (Some(p), Some(_)) => p,
        (None, Some(_)) => TARGET_SE_FIRST_BATCH.min(max_paths),
        (Some(p), None) => p,
        (None, None) => scenario
            .paths
            .map(|p| p.min(u32::MAX as u64) as u32)
            .unwrap_or(DEFAULT_PATHS),
    };
    if paths == 0 {
        return Err(CliError::input("--paths must be at least 1"));
    }
    let seed = args.sample.seed.or(scenario.seed).unwrap_or(DEFAULT_SEED);
    let quiet = args.output.quiet;
    let shard = super::shard_of(&args.shards, quiet)?;
    let out_args = super::planning::shard_output(&args.output, shard, "run")?;
    if shard.is_some() {
        if target_se.is_some() {
            return Err(CliError::input(
                "--target-se cannot be sharded: the stopping rule needs every path; give --paths instead",
            ));
        }
        if args.xlsx {
            return Err(CliError::input(
                "--xlsx describes a whole run: pass it to `fleetsim merge` instead of the shards",
            ));
        }
    }
    let total_paths = paths;
    let range = shard.map_or(0..u64::from(paths), |s| s.range(u64::from(paths)));
    let mut model = config::flatten(&scenario, seed);
    // The monthly series cost the engines a few sums a day and the aggregator 5 values per
    // option and month: recorded only when they are written.
    if args.output.out.is_some() && !args.no_timeseries {
        model.run.n_months = crate::model::fleet_step::n_months(model.run.horizon_days);
    }
    let identity = run_identity(&scenario, args, &model, seed, range.clone(), paths, shard);
    let mut out = match &out_args.out {
        None => None,
        Some(dir) => {
            let out = export::OutputDir::create(dir, args.output.force, identity)
                .map_err(super::export_error)?;
            let mut files = if shard.is_some() {
                vec![crate::merge::PARTIAL_FILE]
            } else {
                export::run_files(false, !args.no_timeseries)
            };
            if args.per_path {
                files.extend([export::names::PER_PATH_CSV, export::names::PER_PATH_PARQUET]);
            }
            if args.xlsx || args.output.report {
                files.push(export::xlsx::SUMMARY_XLSX);
            }
            out.check_free(&files).map_err(super::export_error)?;
            Some(out)
        }
    };
    super::report::check(&args.output)?;
    let engines = pick_engines(&args.engine, quiet)?;
    let info = engines.primary.info();
    let names: Vec<String> = scenario
        .option_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let n_years = model.run.n_years as usize;
    let horizon_days = model.run.horizon_days;

    let classes = scenario.class_slot_names();
    let mut agg = RunAggregate::with_classes(
        names.len(),
        n_years,
        &classes,
        crate::stats::DEFAULT_KEEP_VALUES_LIMIT,
    )
    .with_horizon_days(horizon_days)
    .with_timeseries(model.run.n_months);
    let mut per_path = match (out.as_mut(), args.per_path) {
        (Some(out), true) => Some(
            PerPathWriter::with_formats(
                out,
                &names,
                n_years,
                &classes,
                crate::export::PerPathFormats::default(),
            )
            .map_err(super::export_error)?,
        ),
        _ => None,
    };
    let bar = progress_bar(
        range.end - range.start,
        "{spinner} {bar:30} {human_pos}/{human_len} paths  {per_sec}  eta {eta}",
        quiet,
    );
    let mut write_err = None;
    let start = Instant::now();
    // The primary engine's chunk; a fallback keeps the same boundaries.
    let chunk = args.chunk.unwrap_or_else(|| {
        monthly_chunk_cap(&model, engines.primary.chunk_paths(model.run.n_options))
    });
    let first = range.start as u32;
    let mut done = first;
    let mut end = range.end as u32;
    let mut engine_run = Sticky::new(engines.primary.as_ref(), engines.fallback.as_deref());
    let mut batches = Vec::new();
    let outcome = loop {
        bar.set_length(u64::from(end - first));
        let sink = |block: &PathBlock| {
            agg.add_block(block);
            if let Some(w) = per_path.as_mut()
                && write_err.is_none()
                && let Err(e) = w.write_block(block)
            {
                write_err = Some(e.to_string());
            }
        };
        let progress = |d: u32| bar.set_position(u64::from(d - first));
        let r = engine_run.run_path_range(
            &model,
            done..end,
            chunk,
            sink,
            progress,
            |ev| {
                // A warning, not a note: printed even with --quiet.
                bar.suspend(|| {
                    eprintln!(
                        "fleetsim: warning: the GPU engine failed at path {}: {}\nfleetsim: continuing on the CPU engine from path {} ({} of {end} paths); summary.json records this",
                        ev.at_path, ev.reason, ev.at_path, ev.paths_on_fallback
                    )
                })
            },
        );
        if let Err(e) = r {
            break Err(e);
        }
        done = end;
        let Some(x) = target_se else {
            break Ok(());
        };
        let rse = headline_relative_se(&agg);
        batches.push(serde_json::json!({ "paths": done, "relative_se": finite(rse) }));
        if rse <= x || done >= max_paths || write_err.is_some() {
            break Ok(());
        }
        end = next_batch_end(done, rse, x, max_paths);
    };
    let mut fallback = engine_run.take_event();
    if let Some(ev) = fallback.as_mut() {
        ev.paths_on_fallback = done - ev.at_path;
    }
    // Paths this process simulated (its shard's, or the whole run's).
    let paths = done - first;
    let wall = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let failure = match (outcome, write_err) {
        (Err(e), _) => Err(engines.error(e)),
        (Ok(()), Some(e)) => Err(CliError::runtime(format!(
            "{e} (no result file was placed under its final name)"
        ))),
        (Ok(()), None) => Ok(()),
    };
    // On failure the staged files (per-path rows included) are deleted with `out`.
    failure?;
    if target_se.is_some()
        && let Some(o) = out.as_mut()
    {
        o.set_identity(run_identity(
            &scenario,
            args,
            &model,
            seed,
            0..u64::from(paths),
            paths,
            None,
        ));
    }
    // The last batch's relative SE (the aggregate has not changed since).
    let achieved = target_se.map(|_| headline_relative_se(&agg));
    let convergence = target_se.zip(achieved).map(|(x, achieved)| {
        serde_json::json!({
            "headline": "npv_usd: the largest se / |mean| over the options",
            "target_relative_se": x,
            "achieved_relative_se": finite(achieved),
            "reached": achieved <= x,
            "paths": paths,
            "max_paths": max_paths,
            "batches": batches,
        })
    });
    let summary = agg.finish(&names);
    let path_days = paths as f64 * horizon_days as f64;

    if !quiet || args.output.out.is_none() {
        let engine = match (&engines.gpu, &fallback) {
            (Some(a), None) => format!("gpu {} ({})", a.label(), precision_word(info.precision)),
            (Some(a), Some(ev)) => format!(
                "gpu {} then cpu from path {} ({})",
                a.label(),
                ev.at_path,
                precision_word(info.precision)
            ),
            (None, _) => format!(
                "{} {} ({})",
                info.backend,
                info.adapter,
                precision_word(info.precision)
            ),
        };
        let sizing = scenario.sizing();
        say!(
            "{}\nsizing: {} ({})\n{} paths x {} days, seed {seed}, {engine} in {:.2} s: {} path-days/s ({} fleet-days/s)\n",
            scenario.name,
            sizing.label(),
            sizing.basis(),
            paths,
            horizon_days,
            wall,
            qty(path_days / wall),
            qty(path_days * names.len() as f64 / wall),
        );
        for o in &scenario.options {
            say!("{}", option_line(o, &scenario));
        }
        say!();
        say_raw!("{}", comparison_table(&summary, &names, horizon_days));
        if let (Some(x), Some(achieved)) = (target_se, achieved) {
            say!(
                "\nrelative standard error of mean NPV (largest over the options): {:.3}% after {paths} paths, target {:.3}%{}",
                100.0 * achieved,
                100.0 * x,
                if achieved <= x {
                    String::new()
                } else {
                    format!(" NOT reached (--max-paths {max_paths})")
                }
            );
        }
    }

    let breakevens = if shard.is_some() {
        super::breakeven::Report::none(
            "not computed for a sharded run (the break-even sweeps need the whole run): run `fleetsim sweep` with a sweep file, or run unsharded".into(),
            false,
        )
    } else {
        super::breakeven::compute(
            &base,
            &scenario,
            paths,
            seed,
            args.no_breakeven,
            args.breakeven_paths,
            &engines,
            fallback.is_some(),
            quiet,
        )?
    };
    if !quiet || args.output.out.is_none() {
        say_raw!("{}", super::breakeven::text(&breakevens));
    }

    let Some(mut out) = out else {
        return Ok(());
    };
    let meta = serde_json::json!({
        "scenario_file": origin,
        "scenario": scenario,
        "sizing": sizing_json(&scenario),
        "seed": seed,
        "paths": paths,
        "horizon_days": horizon_days,
        "backend": info.backend,
        "adapter": info.adapter,
        "driver": info.driver,
        "api": engines.gpu.as_ref().map(|a| a.backend.clone()),
        "device_type": engines.gpu.as_ref().map(|a| a.device_type.clone()),
        "gpu_adapter": engines.gpu,
        "precision": info.precision,
        "fallback": fallback,
        "target_se": convergence,
        "wall_time_s": wall,
        "path_days_per_s": path_days / wall,
        "fleet_days_per_s": path_days * names.len() as f64 / wall,
        "break_evens": breakevens.items,
        "break_even_method": breakevens.method,
    });
    let per_path_files = match per_path.take() {
        Some(w) => {
            w.finish(out.identity()).map_err(super::export_error)?;
            true
        }
        None => false,
    };
    if shard.is_some() {
        if u64::from(total_paths) > agg.keep_values_limit() as u64 {
            // The merged run will hold more paths than the summaries keep: store sketches.
            agg.to_sketches();
        }
        let partial = crate::merge::PartialRun {
            format: crate::merge::PARTIAL_FORMAT,
            identity: out.identity().clone(),
            option_names: names.clone(),
            n_years,
            classes: classes.clone(),
            horizon_days,
            meta_json: meta.to_string(),
            per_path: per_path_files,
            aggregate: agg,
        };
        crate::merge::write_partial(&partial, &mut out).map_err(super::export_error)?;
        out.commit().map_err(super::export_error)?;
        super::planning::shard_written(out.dir(), quiet);
        return Ok(());
    }
    write_results(
        &mut out,
        &summary,
        &meta,
        agg.timeseries(&names).as_ref(),
        args.xlsx,
        &args.output,
    )
}

/// Writes a whole run's result files into `out` and commits them: summary.json (with `meta`),
/// summary.csv, pairs.csv, the monthly bands when recorded, then (from those files, in a second
/// commit) summary.xlsx with `xlsx` or `--report`, and report.html with `--report`. Per-path
/// files already staged in `out` are placed with the first commit. Used by `run` and `merge`.
pub(super) fn write_results(
    out: &mut export::OutputDir,
    summary: &RunSummary,
    meta: &serde_json::Value,
    timeseries: Option<&crate::stats::Timeseries>,
    xlsx: bool,
    output: &super::OutputArgs,
) -> Result<(), CliError> {
    let e = super::export_error;
    export::write_summary_json(out, summary, meta).map_err(e)?;
    export::write_summary_csv(out, summary).map_err(e)?;
    if let Some(ts) = timeseries {
        export::write_timeseries(out, ts).map_err(e)?;
    }
    out.commit().map_err(e)?;
    // From the files just placed, so the workbook shows exactly what the folder holds.
    if xlsx || output.report {
        export::write_run_xlsx(out).map_err(e)?;
        out.commit().map_err(e)?;
    }
    if !output.quiet {
        eprintln!("fleetsim: wrote results to {}", out.dir().display());
    }
    super::report::after_write(output, out)
}

/// The identity of a run's result over `range` of `total` paths: the inputs hash covers the
/// resolved scenario and every setting that changes the figures or the files (precision, the
/// monthly series, per-path rows), not the engine (both give the same paths).
fn run_identity(
    scenario: &Scenario,
    args: &RunArgs,
    model: &crate::model::params::FlatModel,
    seed: u64,
    range: std::ops::Range<u64>,
    total: u32,
    shard: Option<crate::shard::Shard>,
) -> export::RunIdentity {
    let inputs = serde_json::json!({
        "scenario": super::planning::hashed_scenario(scenario),
        "precision": precision_word(Precision::from(args.engine.precision)),
        "n_months": model.run.n_months,
        "per_path": args.per_path,
        "keep_values_limit": crate::stats::DEFAULT_KEEP_VALUES_LIMIT,
    });
    export::RunIdentity::new(
        "run",
        export::output::inputs_hash(&inputs),
        seed,
        "paths",
        range,
        u64::from(total),
        shard,
    )
}

/// Bytes a chunk's monthly series may take on the host (f64 values; the driver holds two
/// chunks at a time).
pub const MONTHLY_CHUNK_BYTES: usize = 32 << 20;

/// Paths per chunk with `model`'s monthly series: `chunk`, cut so that one chunk's series stay
/// within [`MONTHLY_CHUNK_BYTES`] (a 5-year, 2-option run records 4,800 B a path: 6,990 paths),
/// and at least 1,024 paths.
pub fn monthly_chunk_cap(model: &crate::model::params::FlatModel, chunk: u32) -> u32 {
    let per_path = crate::engine::PathBlock::monthly_len(model) * 8;
    if per_path == 0 {
        return chunk;
    }
    chunk.min((MONTHLY_CHUNK_BYTES / per_path).max(1024) as u32)
}

/// `Some(x)` when finite: summary.json never holds NaN or infinity.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// summary.json's `sizing`: the rule (`per_option`, `equal_capital`, `equal_power`), its
/// budget, the words the header prints, and what the budget counts.
fn sizing_json(s: &Scenario) -> serde_json::Value {
    let z = s.sizing();
    let mut v = serde_json::to_value(z).unwrap_or(serde_json::Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.insert("label".into(), z.label().into());
        m.insert("basis".into(), z.basis().into());
    }
    v
}

/// `f32` / `f64`.
fn precision_word(p: Precision) -> &'static str {
    match p {
        Precision::F32 => "f32",
        Precision::F64 => "f64",
    }
}

/// The lines describing an option's fleet as resolved (size, node shape, spares, classes, and
/// the budget that sized it), then its on-site unit stock and how each pool was sized.
fn option_line(o: &config::OptionConfig, s: &Scenario) -> String {
    let sized = match (o.accelerators_from_budget, s.sizing()) {
        (false, _) | (true, config::Sizing::PerOption) => String::new(),
        (true, config::Sizing::EqualCapital { .. }) => ", sized to the capital budget".into(),
        (true, config::Sizing::EqualPower { .. }) => format!(
            ", sized to the power budget: {:.2} MW facility",
            o.accelerators as f64 * o.inputs.facility_w_per_chip() / 1e6
        ),
    };
    let mut s = format!(
        "  {:<10} {} x {} ({} chips/node, {} spare nodes{}, {} failure classes{}{})",
        o.name,
        group_thousands(o.accelerators),
        o.hardware,
        o.chips_per_node,
        o.spare_nodes,
        if o.spare_nodes_auto { " (auto)" } else { "" },
        o.classes.len(),
        if o.job.is_some() { ", job view" } else { "" },
        sized
    );
    if !o.units.is_empty() {
        let pools: Vec<String> = o
            .units
            .iter()
            .map(|u| {
                format!(
                    "{} {}{}",
                    group_thousands(u64::from(u.stock)),
                    u.name,
                    if u.stock_auto { " (auto)" } else { "" }
                )
            })
            .collect();
        s.push_str(&format!(
            "\n  {:<10} on-site spares: {}",
            "",
            pools.join(", ")
        ));
        if o.spare_nodes_auto || o.units.iter().any(|u| u.stock_auto) {
            s.push_str(&format!(
                "; auto = the {} % quantile of the unit's replenishment pipeline",
                crate::config::AUTO_FILL_RATE * 100.0
            ));
        }
    }
    s
}

/// How a value of a headline metric is written (the horizon for paybacks).
type Fmt = fn(f64, u32) -> String;

/// What one row of the comparison table shows of its metric.
#[derive(Clone, Copy)]
enum Show {
    /// P5 / P50 / P95.
    Quantiles,
    /// The mean with its standard error.
    Mean,
    /// P(value < 0).
    Negative,
    /// P(never within the horizon), for a [`crate::stats::never_past_horizon_metrics`] metric.
    Never,
}

/// The headline rows: label, metric name, what is shown, formatter. Rows of a metric the run
/// does not have (an older or newer metric list) are left out.
const ROWS: &[(&str, &str, Show, Fmt)] = &[
    ("NPV", "npv_usd", Show::Quantiles, |x, _| usd(x)),
    ("NPV mean (± se)", "npv_usd", Show::Mean, |x, _| usd(x)),
    ("P(NPV < 0)", "npv_usd", Show::Negative, |x, _| pct(x)),
    ("IRR", "irr", Show::Quantiles, |x, _| pct(x)),
    (
        "NPV after tax",
        "npv_after_tax_usd",
        Show::Quantiles,
        |x, _| usd(x),
    ),
    ("IRR after tax", "irr_after_tax", Show::Quantiles, |x, _| {
        pct(x)
    }),
    (
        "payback, if it pays back",
        "payback_days",
        Show::Quantiles,
        days,
    ),
    (
        "payback mean, if it pays back",
        "payback_days",
        Show::Mean,
        days,
    ),
    ("P(never pays back)", "payback_days", Show::Never, |x, _| {
        pct(x)
    }),
    (
        "discounted payback, if it pays back",
        "discounted_payback_days",
        Show::Quantiles,
        days,
    ),
    (
        "P(discounted never pays back)",
        "discounted_payback_days",
        Show::Never,
        |x, _| pct(x),
    ),
    (
        "levelized USD per sold chip-hour",
        "levelized_usd_per_sold_chip_hour",
        Show::Quantiles,
        |x, _| usd(x),
    ),
    (
        "levelized USD per eff. PFLOP-hour",
        "levelized_usd_per_effective_pflop_hour",
        Show::Quantiles,
        |x, _| usd(x),
    ),
    (
        "levelized USD per HBM TB/s-hour",
        "levelized_usd_per_tbps_hour",
        Show::Quantiles,
        |x, _| usd(x),
    ),
    (
        "USD per chip-hour, undiscounted",
        "usd_per_chip_hour",
        Show::Quantiles,
        |x, _| usd(x),
    ),
    (
        "USD per eff. PFLOP-hour, undisc.",
        "usd_per_effective_pflop_hour",
        Show::Quantiles,
        |x, _| usd(x),
    ),
    ("availability", "availability", Show::Quantiles, |x, _| {
        pct(x)
    }),
    ("goodput", "goodput", Show::Quantiles, |x, _| pct(x)),
    ("job uptime", "job_uptime", Show::Quantiles, |x, _| pct(x)),
    ("hard failures", "hard_failures", Show::Quantiles, |x, _| {
        qty(x)
    }),
    ("soft failures", "soft_failures", Show::Quantiles, |x, _| {
        qty(x)
    }),
    ("capex", "capex_usd", Show::Quantiles, |x, _| usd(x)),
    ("revenue", "revenue_usd", Show::Quantiles, |x, _| usd(x)),
];

/// One cell of the comparison table, `None` when the figures are missing (`n/a`). Quantiles
/// of a metric undefined on some paths say on how many (IRR without a sign change).
fn table_cell(st: &crate::stats::MetricStats, show: Show, f: Fmt, h: u32) -> Option<String> {
    match show {
        Show::Quantiles => {
            let (a, b, c) = (st.p5?, st.p50?, st.p95?);
            let seen = st.count + st.n_undefined;
            let undefined = if st.n_undefined > 0 && seen > 0 {
                format!(" ({} undefined)", pct(st.n_undefined as f64 / seen as f64))
            } else {
                String::new()
            };
            Some(format!(
                "{} / {} / {}{undefined}",
                f(a, h),
                f(b, h),
                f(c, h)
            ))
        }
        Show::Mean => {
            let m = f(st.mean?, h);
            Some(match st.se {
                Some(se) => format!("{m} (± {})", f(se, h)),
                None => m,
            })
        }
        Show::Negative => st.p_negative.map(|p| f(p, h)),
        // With the counts: the payback figures above it rest on the paths that pay back.
        Show::Never => {
            let (p, n) = (st.p_never?, st.n_never?);
            Some(format!("{} ({n} of {} paths)", f(p, h), st.count + n))
        }
    }
}

/// The comparison table: per option the P5 / P50 / P95 of the headline metrics, the mean NPV,
/// P(NPV < 0), and paybacks over the paths that pay back with P(never); then the paired
/// probabilities.
pub fn comparison_table(s: &RunSummary, names: &[String], horizon_days: u32) -> String {
    let mut header = vec!["P5 / P50 / P95".to_string()];
    header.extend(names.iter().cloned());
    let mut rows = vec![];
    for &(label, metric, show, f) in ROWS {
        if s.metrics.get(metric).is_none() {
            continue;
        }
        let mut r = vec![label.to_string()];
        for n in names {
            let cell = s
                .options
                .get(n)
                .and_then(|m| m.get(metric))
                .and_then(|st| table_cell(st, show, f, horizon_days))
                .unwrap_or_else(|| "n/a".into());
            r.push(cell);
        }
        rows.push(r);
    }
    let mut out = table(&header, &rows);
    for (_, p) in s.pairs.iter() {
        let show = |metric: &str, what: &str| -> Option<String> {
            let st = p.metrics.get(metric)?;
            let prob = st.p_a_better?;
            let se = st.p_a_better_se.unwrap_or(0.0);
            Some(format!(
                "P({} {what} than {}) = {:.1}% (± {:.1}%)\n",
                p.a,
                p.b,
                100.0 * prob,
                100.0 * se
            ))
        };
        out.push('\n');
        for (m, w) in [
            (
                "levelized_usd_per_effective_pflop_hour",
                "cheaper per effective PFLOP-hour (levelized)",
            ),
            ("npv_usd", "higher NPV"),
            ("npv_after_tax_usd", "higher NPV after tax"),
        ] {
            if let Some(line) = show(m, w) {
                out.push_str(&line);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::next_batch_end;

    #[test]
    fn batches_grow_towards_the_estimate_within_limits() {
        // rse 2x the target: 4x the paths (+5 %), capped at 4x.
        assert_eq!(next_batch_end(1000, 0.02, 0.01, 10_000_000), 4000);
        // rse 1.1x the target: 1.21 x 1.05 = 1.2705x.
        assert_eq!(next_batch_end(1000, 0.011, 0.01, 10_000_000), 1271);
        // Never beyond --max-paths, always at least one more path.
        assert_eq!(next_batch_end(1000, 0.5, 0.01, 2500), 2500);
        assert_eq!(next_batch_end(1000, 0.010_000_01, 0.01, 10_000), 1051);
        assert_eq!(next_batch_end(7, f64::INFINITY, 0.01, 100), 28);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::group_thousands(13_840), "13,840");
        assert_eq!(super::group_thousands(999), "999");
        assert_eq!(super::group_thousands(1_000_000), "1,000,000");
    }
}
