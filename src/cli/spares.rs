//! `fleetsim spares`: the smallest hot-spare pool per option that meets an availability target
//! at a stated confidence, with its cost; printed, and written to spares.csv,
//! spares_candidates.csv and spares.json.

use std::path::PathBuf;
use std::time::Instant;

use super::engines::pick_engines;
use super::planning::{check_files, csv_text, run_models, write_files};
use super::{CliError, EngineArgs};
use crate::config;
use crate::engine::Sticky;
use crate::export::format::{pct, table, usd};
use crate::export::opt;
use crate::spares::{self, Goal, OptionFacts};

/// Paths per candidate pool when `--paths` is not given.
pub const DEFAULT_SPARES_PATHS: u32 = 4_000;
/// Most paths per candidate (two f64 per path, option and candidate are kept).
pub const MAX_SPARES_PATHS: u32 = 200_000;
/// Largest pool that may be searched (the scenario format's limit on `spare_nodes`).
pub const MAX_SPARES: u32 = 1_000_000;

/// Files `fleetsim spares --out` writes.
pub const SPARES_FILES: [&str; 3] = ["spares.csv", "spares_candidates.csv", "spares.json"];

/// Options of `fleetsim spares`.
#[derive(clap::Args, Debug)]
pub struct SparesArgs {
    /// Scenario TOML file.
    pub scenario: PathBuf,
    /// Availability a path must reach (fraction, e.g. 0.995).
    #[arg(long, allow_negative_numbers = true)]
    pub availability: f64,
    /// Share of paths that must reach it, shown with 95 % statistical confidence (fraction).
    #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
    pub confidence: f64,
    /// Largest pool to try per option (default: a quarter of the option's nodes).
    #[arg(long, value_name = "N")]
    pub max_spares: Option<u32>,
    /// Paths per candidate pool (every candidate runs the same paths).
    #[arg(long, short = 'n', default_value_t = DEFAULT_SPARES_PATHS)]
    pub paths: u32,
    /// Run seed (default: the scenario's `seed`, else 1).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Engine choice.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Write spares.csv, spares_candidates.csv and spares.json here.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Overwrite existing result files.
    #[arg(long)]
    pub force: bool,
    /// No progress bar or notes.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn fraction(flag: &str, x: f64) -> Result<f64, CliError> {
    if x.is_finite() && x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err(CliError::input(format!(
            "--{flag} {x}: must be a fraction strictly between 0 and 1"
        )))
    }
}

/// `fleetsim spares`.
pub fn spares(args: &SparesArgs) -> Result<(), CliError> {
    let goal = Goal {
        availability: fraction("availability", args.availability)?,
        confidence: fraction("confidence", args.confidence)?,
    };
    let least = spares::min_paths(goal.confidence);
    if (args.paths as u64) < least || args.paths > MAX_SPARES_PATHS {
        return Err(CliError::input(format!(
            "--paths {}: must be in {least}..={MAX_SPARES_PATHS} (fewer paths cannot show --confidence {} at 95 %)",
            args.paths, goal.confidence
        )));
    }
    if let Some(m) = args.max_spares
        && m > MAX_SPARES
    {
        return Err(CliError::input(format!(
            "--max-spares {m}: must be at most {MAX_SPARES}"
        )));
    }
    let scenario =
        config::load_scenario(&args.scenario).map_err(|e| CliError::input(e.to_string()))?;
    if let Some(dir) = &args.out {
        check_files(dir, &SPARES_FILES, args.force)?;
    }
    let seed = args
        .seed
        .or(scenario.seed)
        .unwrap_or(super::run::DEFAULT_SEED);
    let base = config::flatten(&scenario, seed);
    let facts: Vec<OptionFacts> = scenario
        .options
        .iter()
        .zip(&base.options)
        .map(|(o, p)| OptionFacts {
            name: o.name.clone(),
            nodes: p.nodes,
            chips_per_node: p.chips_per_node,
            scenario_spares: p.spare_nodes,
            server_capex_per_chip_usd: o.inputs.get("server_capex_per_chip_usd").mean(),
            max_spares: args
                .max_spares
                .unwrap_or_else(|| p.nodes.div_ceil(4).max(1))
                .min(MAX_SPARES),
        })
        .collect();
    let engines = pick_engines(&args.engine, args.quiet)?;
    let info = engines.primary.info();
    let start = Instant::now();
    let mut points_run = 0usize;
    // One runner for every round: once the CPU engine has taken over, it runs the rest.
    let mut runner = Sticky::new(engines.primary.as_ref(), engines.fallback.as_deref());
    let plans = spares::search(&facts, goal, |points| {
        points_run += points.len();
        spares::evaluate(&base, points, args.paths, |models, sink| {
            run_models(
                &mut runner,
                models,
                args.paths,
                args.quiet,
                "spares",
                sink,
                |e| engines.error(e),
            )
        })
    })?;
    let wall = start.elapsed().as_secs_f64();

    say!(
        "{}: smallest hot-spare pool with availability >= {} on >= {} of paths (95 % lower bound), fleet size held fixed\n{points_run} candidate points x {} paths, seed {seed}, {} {} in {wall:.1} s\n",
        scenario.name,
        pct(goal.availability),
        pct(goal.confidence),
        args.paths,
        info.backend,
        info.adapter
    );
    let q = format!(
        "avail P{} (at conf.)",
        (100.0 * (1.0 - goal.confidence)).round()
    );
    let header: Vec<String> = [
        "option",
        "nodes",
        "spares",
        "% of fleet",
        "P(meets)",
        "95% lower",
        &q,
        "avail P50",
        "spare capex",
        "NPV vs none",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rows = Vec::new();
    for p in &plans {
        let show = |s: u32, label: String| -> Vec<String> {
            let c = p.candidate(s).expect("chosen pools were evaluated");
            vec![
                label,
                p.nodes.to_string(),
                s.to_string(),
                pct(s as f64 / p.nodes.max(1) as f64),
                pct(c.p_meeting),
                pct(c.p_meeting_lo95),
                pct(c.availability_at_confidence),
                c.availability.p50.map_or("n/a".into(), pct),
                usd(c.spare_capex_usd),
                c.npv_vs_no_spares_usd.map_or("n/a".into(), usd),
            ]
        };
        match p.chosen {
            Some(s) => {
                rows.push(show(s, p.option.clone()));
                if s > 0 {
                    rows.push(show(s - 1, "  one fewer (fails)".into()));
                }
            }
            None => rows.push(show(
                p.max_spares,
                format!("{} (not met at --max-spares)", p.option),
            )),
        }
    }
    say_raw!("{}", table(&header, &rows));
    for p in &plans {
        if !p.monotone {
            eprintln!(
                "fleetsim: warning: {}: a larger pool met the goal less often than a smaller one among the pools tried; the answer assumes more spares never hurt (try more --paths)",
                p.option
            );
        }
    }

    if let Some(dir) = &args.out {
        let json = serde_json::json!({
            "fleetsim_version": env!("CARGO_PKG_VERSION"),
            "scenario_file": args.scenario.display().to_string(),
            "seed": seed,
            "paths_per_candidate": args.paths,
            "candidate_points": points_run,
            "backend": info.backend,
            "adapter": info.adapter,
            "precision": info.precision,
            "fallback": runner.event(),
            "wall_time_s": wall,
            "goal": goal,
            "definition": "a pool meets the goal when the one-sided 95% Wilson lower bound of P(path availability >= availability) is >= confidence; the fleet size is held at what the scenario resolved; spare capex = spares x chips_per_node x mean server capex per chip; npv_vs_no_spares = mean per-path NPV change against no spares on the same paths",
            "options": plans,
        });
        let answer = csv_text(
            &[
                "option",
                "nodes",
                "max_spares",
                "chosen_spares",
                "p_meeting",
                "p_meeting_lo95",
                "availability_at_confidence",
                "availability_p50",
                "availability_mean",
                "spare_capex_usd",
                "npv_vs_no_spares_usd",
                "monotone",
            ],
            &plans
                .iter()
                .map(|p| {
                    let c = p.chosen.and_then(|s| p.candidate(s));
                    vec![
                        p.option.clone(),
                        p.nodes.to_string(),
                        p.max_spares.to_string(),
                        p.chosen.map(|s| s.to_string()).unwrap_or_default(),
                        opt(c.map(|c| c.p_meeting)),
                        opt(c.map(|c| c.p_meeting_lo95)),
                        opt(c.map(|c| c.availability_at_confidence)),
                        opt(c.and_then(|c| c.availability.p50)),
                        opt(c.and_then(|c| c.availability.mean)),
                        opt(c.map(|c| c.spare_capex_usd)),
                        opt(c.and_then(|c| c.npv_vs_no_spares_usd)),
                        p.monotone.to_string(),
                    ]
                })
                .collect::<Vec<_>>(),
        )?;
        let all = csv_text(
            &[
                "option",
                "spares",
                "n_paths",
                "n_meeting",
                "p_meeting",
                "p_meeting_lo95",
                "meets",
                "availability_at_confidence",
                "availability_p50",
                "availability_mean",
                "npv_mean_usd",
                "npv_vs_no_spares_usd",
                "npv_vs_no_spares_se_usd",
                "spare_capex_usd",
            ],
            &plans
                .iter()
                .flat_map(|p| {
                    p.candidates.iter().map(|c| {
                        vec![
                            p.option.clone(),
                            c.spares.to_string(),
                            c.n_paths.to_string(),
                            c.n_meeting.to_string(),
                            opt(Some(c.p_meeting)),
                            opt(Some(c.p_meeting_lo95)),
                            c.meets.to_string(),
                            opt(Some(c.availability_at_confidence)),
                            opt(c.availability.p50),
                            opt(c.availability.mean),
                            opt(c.npv_mean_usd),
                            opt(c.npv_vs_no_spares_usd),
                            opt(c.npv_vs_no_spares_se_usd),
                            opt(Some(c.spare_capex_usd)),
                        ]
                    })
                })
                .collect::<Vec<_>>(),
        )?;
        let text =
            serde_json::to_string_pretty(&json).map_err(|e| CliError::runtime(e.to_string()))?;
        write_files(
            dir,
            &[
                ("spares.csv", answer),
                ("spares_candidates.csv", all),
                ("spares.json", text),
            ],
            args.force,
        )?;
        if !args.quiet {
            eprintln!("fleetsim: wrote results to {}", dir.display());
        }
    }
    Ok(())
}
