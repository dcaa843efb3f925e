//! `fleetsim spares`: the smallest spare pool per option (hot spare nodes, or with `--pool` the
//! on-site stock of one unit type, or each pool in turn) that meets an availability target at
//! a stated confidence, with its cost; printed, and written to spares.csv,
//! spares_candidates.csv and spares.json.

use std::path::PathBuf;
use std::time::Instant;

use super::engines::pick_engines;
use super::planning::{csv_text, identity_of, open_out, run_models, write_files};
use super::{CliError, EngineArgs, OutputArgs, SampleArgs, with_help};
use crate::config::{self, FailureKind, OptionConfig};
use crate::engine::Sticky;
use crate::export::format::{pct, table, usd};
use crate::export::{self, opt};
use crate::model::params::OptionParams;
use crate::spares::{self, Goal, NODE_POOL, OptionFacts, OptionPlan, Skipped};

/// Paths per candidate pool when `--paths` is not given.
pub const DEFAULT_SPARES_PATHS: u32 = 4_000;
/// Most paths per candidate (two f64 per path, option and candidate are kept).
pub const MAX_SPARES_PATHS: u32 = 200_000;
/// Largest pool that may be searched (the scenario format's limit on `spare_nodes` and on a
/// unit type's `stock`).
pub const MAX_SPARES: u32 = 1_000_000;
/// `--pool` value that sizes every pool of every option in turn.
pub const ALL_POOLS: &str = "all";
/// Default largest unit pool: this many times the failures expected at mean rates during the
/// unit's longest mean lead time (covers failure rates in their upper tail) ...
pub const UNIT_MAX_FACTOR: f64 = 4.0;
/// ... plus this many (covers the Poisson spread when few failures are expected).
pub const UNIT_MAX_MARGIN: u32 = 8;

/// Files `fleetsim spares --out` writes.
pub const SPARES_FILES: [&str; 3] = ["spares.csv", "spares_candidates.csv", "spares.json"];

/// Options of `fleetsim spares`.
#[derive(clap::Args, Debug)]
#[command(
    mut_arg("paths", |a| a.help("Paths per candidate pool (every candidate runs the same paths)").default_value("4000")),
    mut_arg("out", with_help("Write spares.csv, spares_candidates.csv and spares.json here"))
)]
pub struct SparesArgs {
    /// Scenario TOML file.
    pub scenario: PathBuf,
    /// Availability a path must reach (fraction, e.g. 0.995).
    #[arg(long, allow_negative_numbers = true)]
    pub availability: f64,
    /// Share of paths that must reach it, shown with 95 % statistical confidence (fraction).
    #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
    pub confidence: f64,
    /// Pool to size: `node` (spare_nodes), the name of a unit type (its stock; options without
    /// it are skipped), or `all` (each pool of each option in turn, the others held).
    #[arg(long, value_name = "NAME", default_value = NODE_POOL)]
    pub pool: String,
    /// Largest pool to try per option (default: a quarter of the option's nodes for `node`;
    /// for a unit type 4 x the failures expected during its longest mean lead time, + 8).
    #[arg(long, value_name = "N")]
    pub max_spares: Option<u32>,
    /// Paths (default [`DEFAULT_SPARES_PATHS`]) and seed.
    #[command(flatten)]
    pub sample: SampleArgs,
    /// Engine choice.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Result files, overwriting and quiet.
    #[command(flatten)]
    pub output: OutputArgs,
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
    let paths = args.sample.paths.unwrap_or(DEFAULT_SPARES_PATHS);
    let goal = Goal {
        availability: fraction("availability", args.availability)?,
        confidence: fraction("confidence", args.confidence)?,
    };
    let least = spares::min_paths(goal.confidence);
    if (paths as u64) < least || paths > MAX_SPARES_PATHS {
        return Err(CliError::input(format!(
            "--paths {}: must be in {least}..={MAX_SPARES_PATHS} (fewer paths cannot show --confidence {} at 95 %)",
            paths, goal.confidence
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
    let seed = args
        .sample
        .seed
        .or(scenario.seed)
        .unwrap_or(super::run::DEFAULT_SEED);
    let mut out = open_out(
        &args.output,
        || {
            let inputs = serde_json::json!({
                "scenario": super::planning::hashed_scenario(&scenario),
                "availability": goal.availability,
                "confidence": goal.confidence,
                "max_spares": args.max_spares,
                "pool": format!("{:?}", args.pool),
            });
            identity_of("spares", &inputs, seed, "paths", u64::from(paths))
        },
        &SPARES_FILES,
    )?;
    super::report::check(&args.output)?;
    let base = config::flatten(&scenario, seed);
    let (groups, skipped) = pool_facts(&args.pool, &scenario.options, &base.options)?;
    let groups: Vec<Vec<OptionFacts>> = groups
        .into_iter()
        .map(|g| {
            g.into_iter()
                .map(|mut f| {
                    if let Some(m) = args.max_spares {
                        f.max_spares = m;
                    }
                    f.max_spares = f.max_spares.min(MAX_SPARES);
                    f
                })
                .collect()
        })
        .collect();
    let engines = pick_engines(&args.engine, args.output.quiet)?;
    let info = engines.primary.info();
    let start = Instant::now();
    let mut points_run = 0usize;
    // One runner for every round: once the CPU engine has taken over, it runs the rest.
    let mut runner = Sticky::new(engines.primary.as_ref(), engines.fallback.as_deref());
    // One search per pool (every other pool at the scenario's value); `--pool all` runs them
    // in turn.
    let mut plans: Vec<OptionPlan> = Vec::new();
    for facts in &groups {
        let targets: Vec<(usize, usize)> = facts.iter().map(|f| (f.index, f.unit)).collect();
        plans.extend(spares::search(facts, goal, |points| {
            points_run += points.len();
            spares::evaluate_pools(&base, &targets, points, paths, |models, sink| {
                run_models(
                    &mut runner,
                    models,
                    paths,
                    args.output.quiet,
                    "spares",
                    sink,
                    |e| engines.error(e),
                )
            })
        })?);
    }
    let wall = start.elapsed().as_secs_f64();

    let what = match args.pool.as_str() {
        NODE_POOL => "hot-spare node pool".to_string(),
        ALL_POOLS => {
            "spare pool, each pool in turn (the others at the scenario's values),".to_string()
        }
        u => format!("on-site stock of unit `{u}` (other pools at the scenario's values)"),
    };
    say!(
        "{}: smallest {what} with availability >= {} on >= {} of paths (95 % lower bound), fleet size held fixed\n{points_run} candidate points x {} paths, seed {seed}, {} {} in {wall:.1} s\n",
        scenario.name,
        pct(goal.availability),
        pct(goal.confidence),
        paths,
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
        "pool",
        "unit cost",
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
                p.pool.clone(),
                usd(p.unit_cost_usd),
                s.to_string(),
                // A unit pool is not a share of the fleet's nodes.
                if p.pool == NODE_POOL {
                    pct(s as f64 / p.nodes.max(1) as f64)
                } else {
                    "-".into()
                },
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
    for k in &skipped {
        say!(
            "skipped {}: no pool `{}` (its pools: {})",
            k.option,
            args.pool,
            k.pools.join(", ")
        );
    }
    for p in &plans {
        if !p.monotone {
            eprintln!(
                "fleetsim: warning: {}: a larger pool met the goal less often than a smaller one among the pools tried; the answer assumes more spares never hurt (try more --paths)",
                p.option
            );
        }
    }

    if let Some(out) = out.as_mut() {
        let report = spares::Report {
            adapter: &info.adapter,
            backend: &info.backend,
            candidate_points: points_run,
            definition: spares::DEFINITION,
            fallback: runner.event(),
            fleetsim_version: env!("CARGO_PKG_VERSION"),
            goal,
            options: &plans,
            paths_per_candidate: paths,
            pool: &args.pool,
            precision: info.precision,
            scenario_file: args.scenario.display().to_string(),
            seed,
            skipped: &skipped,
            wall_time_s: wall,
        };
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
                "pool",
                "unit_cost_usd",
            ],
            &plans
                .iter()
                .map(|p| {
                    // The figures the table prints: at the chosen pool, or at --max-spares
                    // when even that fails (chosen_spares then empty).
                    let c = p.candidate(p.chosen.unwrap_or(p.max_spares));
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
                        p.pool.clone(),
                        opt(Some(p.unit_cost_usd)),
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
                "pool",
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
                            p.pool.clone(),
                        ]
                    })
                })
                .collect::<Vec<_>>(),
        )?;
        let text = export::json_text(&report).map_err(|e| CliError::runtime(e.to_string()))?;
        write_files(
            out,
            &[
                ("spares.csv", answer),
                ("spares_candidates.csv", all),
                ("spares.json", text),
            ],
        )?;
        if !args.output.quiet {
            eprintln!("fleetsim: wrote results to {}", out.dir().display());
        }
        super::report::after_write(&args.output, out)?;
    }
    Ok(())
}

/// The pools option `o` has: `node`, then its unit types in declaration order (unit `u` is
/// `1 +` its position).
fn pools_of(o: &OptionConfig) -> Vec<String> {
    std::iter::once(NODE_POOL.to_string())
        .chain(o.units.iter().map(|u| u.name.clone()))
        .collect()
}

/// The search facts of pool `unit` (0 = the node) of option `index`, its default largest pool
/// included.
fn facts_of(index: usize, o: &OptionConfig, p: &OptionParams, unit: usize) -> OptionFacts {
    let (pool, unit_cost_usd, max_spares) = if unit == 0 {
        let per_chip = o.inputs.get("server_capex_per_chip_usd").mean();
        (
            NODE_POOL.to_string(),
            p.chips_per_node as f64 * per_chip,
            p.nodes.div_ceil(4).max(1),
        )
    } else {
        let ut = &o.units[unit - 1];
        (ut.name.clone(), ut.cost_usd, default_unit_max(o, p, unit))
    };
    OptionFacts {
        name: o.name.clone(),
        index,
        pool,
        unit,
        nodes: p.nodes,
        chips_per_node: p.chips_per_node,
        scenario_spares: spares::pool_size(p, unit),
        unit_cost_usd,
        max_spares,
    }
}

/// Default largest pool of unit type `unit` (`>= 1`) of an option: [`UNIT_MAX_FACTOR`] x the
/// hard failures of its classes expected at mean rates over the fleet's nodes during the
/// longest mean lead time of those classes (RMA round trip, or the unit's replenishment when
/// the class sends no RMA), + [`UNIT_MAX_MARGIN`].
pub fn default_unit_max(o: &OptionConfig, p: &OptionParams, unit: usize) -> u32 {
    let ut = &o.units[unit - 1];
    let (mut per_day, mut lead) = (0.0f64, 0.0f64);
    for c in o
        .classes
        .iter()
        .filter(|c| c.kind == FailureKind::Hard && c.unit.as_deref() == Some(ut.name.as_str()))
    {
        per_day += c.rate_per_node_day().mean() * p.nodes as f64;
        let l = if c.rma {
            c.rma_days.as_ref().unwrap_or(&o.rma_days).mean()
        } else {
            ut.replenish_days.mean()
        };
        lead = lead.max(l);
    }
    let expected = (UNIT_MAX_FACTOR * per_day * lead).ceil();
    (expected.min(MAX_SPARES as f64) as u32)
        .saturating_add(UNIT_MAX_MARGIN)
        .min(MAX_SPARES)
}

/// The searches `--pool` asks for, each a list of option facts (one search per pool), and the
/// options skipped for want of that pool. Exit 2 when no option has it.
fn pool_facts(
    pool: &str,
    options: &[OptionConfig],
    params: &[OptionParams],
) -> Result<(Vec<Vec<OptionFacts>>, Vec<Skipped>), CliError> {
    let all_pools: Vec<Vec<String>> = options.iter().map(pools_of).collect();
    if pool == ALL_POOLS {
        // Every pool name in order of first appearance; each searched over the options that
        // have it.
        let mut names: Vec<&String> = Vec::new();
        for n in all_pools.iter().flatten() {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        let groups = names
            .iter()
            .map(|n| {
                options
                    .iter()
                    .zip(params)
                    .zip(&all_pools)
                    .enumerate()
                    .filter_map(|(i, ((o, p), ps))| {
                        ps.iter()
                            .position(|x| x == *n)
                            .map(|u| facts_of(i, o, p, u))
                    })
                    .collect()
            })
            .collect();
        return Ok((groups, Vec::new()));
    }
    let mut facts = Vec::new();
    let mut skipped = Vec::new();
    for (i, ((o, p), ps)) in options.iter().zip(params).zip(&all_pools).enumerate() {
        match ps.iter().position(|x| x == pool) {
            Some(u) => facts.push(facts_of(i, o, p, u)),
            None => skipped.push(Skipped {
                option: o.name.clone(),
                pools: ps.clone(),
            }),
        }
    }
    if facts.is_empty() {
        let have: Vec<String> = options
            .iter()
            .zip(&all_pools)
            .map(|(o, ps)| format!("{}: {}", o.name, ps.join(", ")))
            .collect();
        return Err(CliError::input(format!(
            "--pool {pool:?}: no option has a pool of that name (`{NODE_POOL}`, a unit type under [options.NAME.units], or `{ALL_POOLS}`); the options' pools are {}",
            have.join("; ")
        )));
    }
    Ok((vec![facts], skipped))
}
