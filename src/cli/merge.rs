//! `fleetsim merge DIR... -o OUT`: glue between the command line and [`crate::merge`]. Reads
//! the shards' partial results (refusing incomplete, mixed, duplicated or missing shards, exit
//! 2), and writes the files one unsharded run writes, through the same writers as `run`,
//! `sweep` and `sensitivity`.

use std::path::PathBuf;

use super::{CliError, OutputArgs};
use crate::export::{self, OutputDir, PerPathFormats, PerPathWriter};
use crate::merge::{self, MergeError};

/// Options of `fleetsim merge`.
#[derive(clap::Args, Debug)]
#[command(mut_arg(
    "out",
    |a| a.required(true).help("Write the merged result files here: those the unsharded run writes")
))]
pub struct MergeArgs {
    /// Shard folders (OUT/shard-IIII-of-NNNN of `--shard` runs), or folders holding them.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Result files, overwriting and quiet.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also write summary.xlsx (a run's merge).
    #[arg(long)]
    pub xlsx: bool,
}

/// A merge failure as a CLI error: exit 2 for the shards given, 1 for a failed read or write.
pub(super) fn merge_error(e: MergeError) -> CliError {
    match e {
        MergeError::Export(e) => super::export_error(e),
        e @ (MergeError::Mismatch(_) | MergeError::Corrupt { .. }) => {
            CliError::input(e.to_string())
        }
    }
}

/// `fleetsim merge`.
pub fn merge(args: &MergeArgs) -> Result<(), CliError> {
    let dirs = merge::shard_dirs(&args.dirs).map_err(merge_error)?;
    // The command the shards ran: from the first complete shard's manifest.
    let command = dirs
        .iter()
        .find_map(|d| export::output::read_manifest(d).ok().flatten())
        .map(|m| m.identity.command)
        .ok_or_else(|| {
            CliError::input(format!(
                "none of the {} shard folder(s) is complete (no manifest.json): rerun the shards",
                dirs.len()
            ))
        })?;
    match command.as_str() {
        "run" => merge_run(args),
        "sweep" => super::sweep::merge_sweep(args, &dirs),
        "sensitivity" => super::sensitivity::merge_sensitivity(args, &dirs),
        other => Err(CliError::input(format!(
            "the shards are of `fleetsim {other}`, which merge does not combine (run, sweep and sensitivity shard)"
        ))),
    }
}

fn merge_run(args: &MergeArgs) -> Result<(), CliError> {
    let quiet = args.output.quiet;
    let merged = merge::merge_runs(&args.dirs).map_err(merge_error)?;
    let first = &merged.parts[0].1;
    let names = first.option_names.clone();
    let dir = args.output.out.as_ref().expect("required by clap");
    let mut out = OutputDir::create(dir, args.output.force, merged.identity.clone())
        .map_err(super::export_error)?;
    let mut files = export::run_files(
        first.per_path,
        merged.aggregate.timeseries(&names).is_some(),
    );
    if args.xlsx || args.output.report {
        files.push(export::xlsx::SUMMARY_XLSX);
    }
    out.check_free(&files).map_err(super::export_error)?;
    super::report::check(&args.output)?;
    if first.per_path {
        let mut w = PerPathWriter::with_formats(
            &mut out,
            &names,
            first.n_years,
            &first.classes,
            PerPathFormats::default(),
        )
        .map_err(super::export_error)?;
        for (d, _) in &merged.parts {
            w.append_csv(&d.join(export::names::PER_PATH_CSV))
                .map_err(super::export_error)?;
        }
        w.finish(out.identity()).map_err(super::export_error)?;
    }
    let summary = merged.aggregate.finish(&names);
    let meta = merged_meta(&merged);
    if !quiet {
        say!(
            "merged {} shards: {} paths x {} days\n",
            merged.parts.len(),
            merged.identity.total,
            first.horizon_days
        );
        say_raw!(
            "{}",
            super::run::comparison_table(&summary, &names, first.horizon_days)
        );
    }
    super::run::write_results(
        &mut out,
        &summary,
        &meta,
        merged.aggregate.timeseries(&names).as_ref(),
        args.xlsx,
        &args.output,
    )
}

/// summary.json's metadata of a merged run: the first shard's (scenario, seed, sizing, ...)
/// with the whole run's path count, the engines if they agree (else "mixed"), the wall times
/// summed, and one entry per shard (`shards`) with its range, engine and time.
fn merged_meta(m: &merge::MergedRun) -> serde_json::Value {
    use serde_json::Value;
    let metas: Vec<Value> = m
        .parts
        .iter()
        .map(|(_, p)| serde_json::from_str(&p.meta_json).unwrap_or(Value::Null))
        .collect();
    let mut meta = super::planning::merged_engine(
        &metas,
        &[
            "backend",
            "adapter",
            "driver",
            "api",
            "device_type",
            "gpu_adapter",
        ],
    );
    let wall: f64 = metas.iter().filter_map(|x| x["wall_time_s"].as_f64()).sum();
    let total = m.identity.total as f64;
    let days = m.parts[0].1.horizon_days as f64;
    let n_opt = m.parts[0].1.option_names.len() as f64;
    let per_s = |x: f64| if wall > 0.0 { Some(x / wall) } else { None };
    let shards: Vec<Value> = m
        .parts
        .iter()
        .zip(&metas)
        .map(|((d, p), x)| {
            serde_json::json!({
                "shard": p.identity.shard,
                "paths": [p.identity.start, p.identity.end],
                "folder": d.display().to_string(),
                "backend": x["backend"],
                "adapter": x["adapter"],
                "fallback": x["fallback"],
                "wall_time_s": x["wall_time_s"],
            })
        })
        .collect();
    if let Value::Object(o) = &mut meta {
        o.insert("paths".into(), Value::from(m.identity.total));
        let fallbacks: Vec<&Value> = metas
            .iter()
            .map(|x| &x["fallback"])
            .filter(|f| !f.is_null())
            .collect();
        o.insert(
            "fallback".into(),
            if fallbacks.is_empty() {
                Value::Null
            } else {
                Value::from("some shards moved to the CPU engine (see shards)")
            },
        );
        o.insert("wall_time_s".into(), Value::from(wall));
        o.insert(
            "path_days_per_s".into(),
            serde_json::json!(per_s(total * days)),
        );
        o.insert(
            "fleet_days_per_s".into(),
            serde_json::json!(per_s(total * days * n_opt)),
        );
        o.insert("shards".into(), Value::from(shards));
    }
    meta
}
