//! Spares planning (`fleetsim spares`): per option, the smallest spare pool whose fleet
//! availability meets a target at a stated confidence, found by galloping then bisection over
//! pool sizes, every candidate run on the same paths (common random numbers). The pool is the
//! option's hot spare nodes (`spare_nodes`, the `node` pool) or the on-site stock of one of its
//! replaceable unit types (`unit_stock`, the pool named as the unit); every other pool is held
//! at the scenario's value.
//!
//! # Definitions
//! - A path *meets* the target when its availability (available / installed chip-hours over
//!   the horizon, the `availability` metric) is at least `availability`.
//! - A pool *meets the goal* when `P(path meets) >= confidence` holds with the paths' sampling
//!   error considered: the one-sided 95 % Wilson lower bound of the fraction of paths meeting
//!   the target must be at least `confidence`. With every path meeting, that needs
//!   `n >= 1.645^2 confidence / (1 - confidence)` paths ([`min_paths`]).
//! - The fleet size is held fixed at what the scenario resolved (a capital budget is not
//!   re-spent): spares are bought on top, their cost is `spares x` the pool's unit cost
//!   ([`OptionFacts::unit_cost_usd`]: `chips_per_node x` the mean server capex per chip for a
//!   node, the unit type's `cost_usd` for a unit).
//!
//! The search assumes that a larger pool never meets the goal less often; it reports whether
//! the evaluated pools agreed ([`OptionPlan::monotone`]). Options are independent given the
//! shared environment, so every point of a round sets each option to its own candidate.

use serde::Serialize;

use crate::engine::{FallbackEvent, PathBlock, Precision};
use crate::model::outputs::idx;
use crate::model::params::{FlatModel, OptionParams};
use crate::stats::{MetricStats, MetricSummary, Moments};

/// One-sided 95 % standard normal quantile, for the Wilson lower bound.
pub const Z95: f64 = 1.644_853_626_951_472_2;

/// Most candidate pools evaluated per option in one refinement round (besides the galloping
/// round): each round shrinks the bracket by `REFINE_POINTS + 1`.
pub const REFINE_POINTS: u32 = 7;

/// What the pool must achieve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Goal {
    /// Availability a path must reach (0 < a < 1).
    pub availability: f64,
    /// Share of paths that must reach it (0 < c < 1).
    pub confidence: f64,
}

/// The pool of whole spare nodes (`spare_nodes`), `--pool node`.
pub const NODE_POOL: &str = "node";

/// What `spares.json` says its answer means, written into the file.
pub const DEFINITION: &str = "the pool sized is `pool`: `node` = hot spare nodes (spare_nodes), else the on-site spare stock of the unit type of that name (unit_stock), every other pool held at the scenario's value; spares = the pool's size; a pool meets the goal when the one-sided 95% Wilson lower bound of P(path availability >= availability) is >= confidence; the fleet size is held at what the scenario resolved; spare capex = spares x unit_cost_usd (a node: chips_per_node x mean server capex per chip; a unit type: its cost_usd); npv_vs_no_spares = mean per-path NPV change against an empty pool on the same paths";

/// `spares.json`: how the search ran and every option's plan. Fields are in alphabetical
/// order, the order the file writes them in (see [`crate::export::json_text`]).
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Adapter or CPU description of the engine that started the run.
    pub adapter: &'a str,
    /// `cpu` or `gpu`: the engine that started the run.
    pub backend: &'a str,
    /// Candidate points simulated, all options and rounds together.
    pub candidate_points: usize,
    /// What the answer means ([`DEFINITION`]).
    pub definition: &'static str,
    /// The GPU-to-CPU fallback, if the GPU failed.
    pub fallback: Option<&'a FallbackEvent>,
    /// fleetsim's version.
    pub fleetsim_version: &'static str,
    /// The availability target and confidence.
    pub goal: Goal,
    /// The answer per option (with `--pool all`, per option and pool).
    pub options: &'a [OptionPlan],
    /// Paths per candidate pool.
    pub paths_per_candidate: u32,
    /// The pool asked for: `node`, a unit type's name, or `all`.
    pub pool: &'a str,
    /// Arithmetic precision.
    pub precision: Precision,
    /// The scenario file as given.
    pub scenario_file: String,
    /// Run seed.
    pub seed: u64,
    /// Options without the pool asked for, not sized.
    pub skipped: &'a [Skipped],
    /// Wall time of the search, seconds.
    pub wall_time_s: f64,
}

/// An option left out because it has no pool of the name asked for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped {
    /// Option name.
    pub option: String,
    /// The pools it has: `node` and its unit types.
    pub pools: Vec<String>,
}

/// Lower bound of a one-sided Wilson score interval for `k` successes in `n` trials.
pub fn wilson_lower(k: u64, n: u64, z: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half) / (1.0 + z2 / n)).clamp(0.0, 1.0)
}

/// Fewest paths that can show `confidence` at all (all paths meeting, Wilson bound at 95 %).
pub fn min_paths(confidence: f64) -> u64 {
    let mut n = (Z95 * Z95 * confidence / (1.0 - confidence))
        .floor()
        .max(1.0) as u64;
    while wilson_lower(n, n, Z95) < confidence {
        n += 1;
    }
    n
}

/// Per-path results of one option under one candidate pool.
#[derive(Clone, Debug, Default)]
pub struct PoolPaths {
    /// Availability per path.
    pub availability: Vec<f64>,
    /// NPV per path, USD.
    pub npv: Vec<f64>,
}

/// What one candidate pool gave one option.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// Pool size: spare nodes, or spare units of the pool's type.
    pub spares: u32,
    /// Paths.
    pub n_paths: u64,
    /// Paths whose availability reached the target.
    pub n_meeting: u64,
    /// `n_meeting / n_paths`.
    pub p_meeting: f64,
    /// One-sided 95 % Wilson lower bound of `p_meeting`.
    pub p_meeting_lo95: f64,
    /// `p_meeting_lo95 >= confidence`.
    pub meets: bool,
    /// Availability at the stated confidence: its `(1 - confidence)` quantile over the paths
    /// (type 7).
    pub availability_at_confidence: f64,
    /// Distribution of the availability over the paths.
    pub availability: MetricStats,
    /// Mean NPV, USD.
    pub npv_mean_usd: Option<f64>,
    /// Mean per-path NPV change against an empty pool (same paths), USD.
    pub npv_vs_no_spares_usd: Option<f64>,
    /// Its standard error.
    pub npv_vs_no_spares_se_usd: Option<f64>,
    /// `spares x unit_cost_usd`, USD.
    pub spare_capex_usd: f64,
}

/// The answer for one option.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OptionPlan {
    /// Option name.
    pub option: String,
    /// Fleet nodes (held fixed).
    pub nodes: u32,
    /// Chips per node.
    pub chips_per_node: u32,
    /// The pool sized: `node` or a unit type's name.
    pub pool: String,
    /// Cost of one spare of the pool, USD.
    pub unit_cost_usd: f64,
    /// The pool's size in the scenario itself.
    pub scenario_spares: u32,
    /// Largest pool searched.
    pub max_spares: u32,
    /// Smallest pool meeting the goal, `None` if even `max_spares` does not.
    pub chosen: Option<u32>,
    /// True when every evaluated pool below the chosen one fails and every one above meets.
    pub monotone: bool,
    /// Every evaluated pool, by size.
    pub candidates: Vec<Candidate>,
}

impl OptionPlan {
    /// The evaluated candidate with `spares` spare nodes.
    pub fn candidate(&self, spares: u32) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.spares == spares)
    }
}

/// The option facts the search needs.
#[derive(Clone, Debug)]
pub struct OptionFacts {
    /// Option name.
    pub name: String,
    /// The option's index in the model.
    pub index: usize,
    /// The pool sized: `node` or a unit type's name.
    pub pool: String,
    /// Its unit type index: 0 = the whole node (`spare_nodes`), `u >= 1` = `unit_stock[u]`.
    pub unit: usize,
    /// Fleet nodes.
    pub nodes: u32,
    /// Chips per node.
    pub chips_per_node: u32,
    /// The pool's size in the scenario.
    pub scenario_spares: u32,
    /// Cost of one spare of the pool, USD: `chips_per_node x` mean server capex per chip for a
    /// node, the unit type's `cost_usd` for a unit.
    pub unit_cost_usd: f64,
    /// Largest pool to try.
    pub max_spares: u32,
}

/// Sets the size of pool `unit` (0 = spare nodes, else `unit_stock[unit]`) of option `p`; a
/// pool set here is a fixed size on every path, no longer `"auto"`.
pub fn set_pool(p: &mut OptionParams, unit: usize, size: u32) {
    if unit == 0 {
        p.spare_nodes = size;
    } else {
        p.unit_stock[unit] = size;
    }
    p.unit_auto &= !(1 << unit);
}

/// The size of pool `unit` of option `p` (see [`set_pool`]).
pub fn pool_size(p: &OptionParams, unit: usize) -> u32 {
    if unit == 0 {
        p.spare_nodes
    } else {
        p.unit_stock[unit]
    }
}

/// The (1 - confidence) quantile of `v` (type 7).
fn lower_quantile(v: &[f64], p: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return 0.0;
    }
    s.sort_by(f64::total_cmp);
    crate::stats::quantile_of_sorted(&s, p)
}

fn summarize(
    spares: u32,
    r: &PoolPaths,
    none: Option<&PoolPaths>,
    goal: Goal,
    facts: &OptionFacts,
) -> Candidate {
    let n = r.availability.len() as u64;
    let k = r
        .availability
        .iter()
        .filter(|a| **a >= goal.availability)
        .count() as u64;
    let lo = wilson_lower(k, n, Z95);
    let mut av = MetricSummary::new(true, usize::MAX);
    r.availability.iter().for_each(|a| av.add(*a));
    let mut npv = Moments::new();
    r.npv.iter().for_each(|x| npv.add(*x));
    let mut d = Moments::new();
    if let Some(z) = none {
        r.npv.iter().zip(&z.npv).for_each(|(a, b)| d.add(a - b));
    }
    Candidate {
        spares,
        n_paths: n,
        n_meeting: k,
        p_meeting: if n > 0 { k as f64 / n as f64 } else { 0.0 },
        p_meeting_lo95: lo,
        meets: lo >= goal.confidence,
        availability_at_confidence: lower_quantile(&r.availability, 1.0 - goal.confidence),
        availability: av.finish(),
        npv_mean_usd: npv.mean(),
        npv_vs_no_spares_usd: d.mean(),
        npv_vs_no_spares_se_usd: d.se(),
        spare_capex_usd: spares as f64 * facts.unit_cost_usd,
    }
}

/// Pools of the galloping round: 0, 1, 2, 4, ... below `max`, then `max`.
pub fn galloping(max: u32) -> Vec<u32> {
    let mut v = vec![0];
    let mut s = 1u32;
    while s < max {
        v.push(s);
        s = s.saturating_mul(2);
    }
    if max > 0 {
        v.push(max);
    }
    v
}

/// Up to [`REFINE_POINTS`] pools evenly spread strictly between `lo` and `hi`.
fn interior(lo: u32, hi: u32) -> Vec<u32> {
    let gap = hi - lo;
    if gap <= 1 {
        return vec![];
    }
    let k = (gap - 1).min(REFINE_POINTS);
    let mut v: Vec<u32> = (1..=k)
        .map(|j| lo + ((gap as u64 * j as u64) / (k as u64 + 1)) as u32)
        .filter(|s| *s > lo && *s < hi)
        .collect();
    v.dedup();
    v
}

/// The bracket of an option: (largest evaluated failing pool below the smallest meeting
/// one, the smallest meeting one), or `None` when no evaluated pool meets.
fn bracket(c: &[Candidate]) -> Option<(Option<u32>, u32)> {
    let hi = c.iter().filter(|c| c.meets).map(|c| c.spares).min()?;
    let lo = c.iter().map(|c| c.spares).filter(|s| *s < hi).max();
    Some((lo, hi))
}

/// Searches every option's smallest pool meeting `goal`. `eval(points)` runs one point per
/// entry of `points` (each a pool size per option, in option order) on the same paths and
/// returns, per point, per option, the per-path results.
pub fn search<E>(
    facts: &[OptionFacts],
    goal: Goal,
    mut eval: impl FnMut(&[Vec<u32>]) -> Result<Vec<Vec<PoolPaths>>, E>,
) -> Result<Vec<OptionPlan>, E> {
    let n_opt = facts.len();
    let mut cands: Vec<Vec<Candidate>> = vec![Vec::new(); n_opt];
    let mut none: Vec<Option<PoolPaths>> = vec![None; n_opt];
    let mut lists: Vec<Vec<u32>> = facts.iter().map(|f| galloping(f.max_spares)).collect();
    loop {
        let n_points = lists.iter().map(Vec::len).max().unwrap_or(0);
        if n_points == 0 {
            break;
        }
        // Options with fewer candidates repeat their last one (its result is not kept twice).
        let points: Vec<Vec<u32>> = (0..n_points)
            .map(|j| {
                lists
                    .iter()
                    .zip(&cands)
                    .map(|(l, c)| {
                        l.get(j)
                            .or(l.last())
                            .copied()
                            .or_else(|| c.last().map(|c| c.spares))
                            .unwrap_or(0)
                    })
                    .collect()
            })
            .collect();
        let results = eval(&points)?;
        for (j, per_opt) in results.into_iter().enumerate() {
            for (o, r) in per_opt.into_iter().enumerate() {
                let s = points[j][o];
                if cands[o].iter().any(|c| c.spares == s) {
                    continue;
                }
                if s == 0 {
                    none[o] = Some(r.clone());
                }
                let c = summarize(s, &r, none[o].as_ref(), goal, &facts[o]);
                cands[o].push(c);
            }
        }
        for c in &mut cands {
            c.sort_by_key(|c| c.spares);
        }
        lists = cands
            .iter()
            .map(|c| match bracket(c) {
                Some((Some(lo), hi)) => interior(lo, hi),
                _ => vec![],
            })
            .collect();
    }
    Ok(facts
        .iter()
        .zip(cands)
        .map(|(f, c)| {
            let chosen = bracket(&c).map(|b| b.1);
            let monotone = c.iter().all(|x| match chosen {
                Some(s) => x.meets == (x.spares >= s),
                None => !x.meets,
            });
            OptionPlan {
                option: f.name.clone(),
                nodes: f.nodes,
                chips_per_node: f.chips_per_node,
                pool: f.pool.clone(),
                unit_cost_usd: f.unit_cost_usd,
                scenario_spares: f.scenario_spares,
                max_spares: f.max_spares,
                chosen,
                monotone,
                candidates: c,
            }
        })
        .collect())
}

/// Evaluates candidate spare-node pools for [`search`]: [`evaluate_pools`] with option `o`'s
/// `spare_nodes` as entry `o` of each point.
pub fn evaluate<E>(
    base: &FlatModel,
    points: &[Vec<u32>],
    n_paths: u32,
    run: impl FnOnce(&[FlatModel], &mut dyn FnMut(usize, &PathBlock)) -> Result<(), E>,
) -> Result<Vec<Vec<PoolPaths>>, E> {
    let pools: Vec<(usize, usize)> = (0..base.options.len()).map(|o| (o, 0)).collect();
    evaluate_pools(base, &pools, points, n_paths, run)
}

/// Evaluates candidate pools for [`search`]: one variant of `base` per entry of `points`, where
/// entry `k` of a point is the size of pool `pools[k] = (option, unit)` (see [`set_pool`];
/// fleet size and every other pool unchanged), run on paths `0..n_paths` by
/// `run(models, sink)` (e.g. [`crate::engine::run_points`]), and collects the per-path
/// availability and NPV of each entry's option, per point in `pools` order.
pub fn evaluate_pools<E>(
    base: &FlatModel,
    pools: &[(usize, usize)],
    points: &[Vec<u32>],
    n_paths: u32,
    run: impl FnOnce(&[FlatModel], &mut dyn FnMut(usize, &PathBlock)) -> Result<(), E>,
) -> Result<Vec<Vec<PoolPaths>>, E> {
    let n = n_paths as usize;
    let models: Vec<FlatModel> = points
        .iter()
        .map(|pool| {
            let mut m = base.clone();
            for (&(o, u), s) in pools.iter().zip(pool) {
                set_pool(&mut m.options[o], u, *s);
            }
            m
        })
        .collect();
    let mut out: Vec<Vec<PoolPaths>> = (0..models.len())
        .map(|_| {
            (0..pools.len())
                .map(|_| PoolPaths {
                    availability: vec![0.0; n],
                    npv: vec![0.0; n],
                })
                .collect()
        })
        .collect();
    run(&models, &mut |p, b| {
        for i in 0..b.n_paths as usize {
            let path = b.first_path as usize + i;
            for (r, &(o, _)) in out[p].iter_mut().zip(pools) {
                let rec = b.record(i, o);
                r.availability[path] = rec[idx::AVAILABILITY];
                r.npv[path] = rec[idx::NPV_USD];
            }
        }
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_bound_matches_its_formula_and_min_paths_is_tight() {
        // k = n: bound n / (n + z^2).
        for n in [10u64, 100, 1000] {
            let want = n as f64 / (n as f64 + Z95 * Z95);
            assert!((wilson_lower(n, n, Z95) - want).abs() < 1e-12);
        }
        for c in [0.5, 0.9, 0.99, 0.999] {
            let n = min_paths(c);
            assert!(wilson_lower(n, n, Z95) >= c);
            assert!(
                wilson_lower(n - 1, n - 1, Z95) < c,
                "{c}: {n} is not the least"
            );
        }
        assert!(wilson_lower(0, 50, Z95) == 0.0);
    }

    #[test]
    fn candidate_lists_cover_the_range() {
        assert_eq!(galloping(0), vec![0]);
        assert_eq!(galloping(1), vec![0, 1]);
        assert_eq!(galloping(10), vec![0, 1, 2, 4, 8, 10]);
        assert_eq!(interior(8, 10), vec![9]);
        assert_eq!(interior(8, 9), Vec::<u32>::new());
        assert_eq!(interior(0, 80).len(), REFINE_POINTS as usize);
    }

    /// A synthetic option whose path `i` reaches availability `1 - 0.1 / (1 + s) * w_i`:
    /// monotone in the pool, with a known smallest pool for each goal.
    fn synthetic(max: u32, goal: Goal) -> (OptionPlan, u32) {
        let n = 400usize;
        let w: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
        let avail = |s: u32, i: usize| 1.0 - 0.1 / (1.0 + s as f64) * w[i];
        let facts = vec![OptionFacts {
            name: "x".into(),
            index: 0,
            pool: NODE_POOL.into(),
            unit: 0,
            nodes: 100,
            chips_per_node: 8,
            scenario_spares: 0,
            unit_cost_usd: 8.0 * 1000.0,
            max_spares: max,
        }];
        let mut evaluated = 0;
        let plan = search(&facts, goal, |pts| {
            evaluated += pts.len();
            Ok::<_, ()>(
                pts.iter()
                    .map(|p| {
                        vec![PoolPaths {
                            availability: (0..n).map(|i| avail(p[0], i)).collect(),
                            npv: (0..n).map(|_| -(p[0] as f64)).collect(),
                        }]
                    })
                    .collect(),
            )
        })
        .unwrap()
        .remove(0);
        // Brute force: the smallest pool whose Wilson bound meets the goal.
        let meets = |s: u32| {
            let k = (0..n).filter(|&i| avail(s, i) >= goal.availability).count() as u64;
            wilson_lower(k, n as u64, Z95) >= goal.confidence
        };
        let want = (0..=max).find(|&s| meets(s)).unwrap_or(u32::MAX);
        assert!(max < 100 || evaluated <= 40, "{evaluated} evaluations");
        (plan, want)
    }

    #[test]
    fn search_finds_the_smallest_meeting_pool() {
        for (a, c) in [(0.99, 0.9), (0.995, 0.5), (0.999, 0.95), (0.95, 0.9)] {
            let goal = Goal {
                availability: a,
                confidence: c,
            };
            let (plan, want) = synthetic(500, goal);
            assert_eq!(plan.chosen, Some(want), "goal {a} at {c}");
            assert!(plan.monotone);
            let chosen = plan.candidate(want).unwrap();
            assert!(chosen.meets);
            if want > 0 {
                assert!(!plan.candidate(want - 1).expect("one fewer evaluated").meets);
            }
            assert_eq!(chosen.spare_capex_usd, want as f64 * 8.0 * 1000.0);
            assert_eq!(chosen.npv_vs_no_spares_usd, Some(-(want as f64)));
        }
        // Unreachable within the cap.
        let (plan, _) = synthetic(
            5,
            Goal {
                availability: 0.9999,
                confidence: 0.9,
            },
        );
        assert_eq!(plan.chosen, None);
        assert!(plan.candidate(5).is_some());
    }
}
