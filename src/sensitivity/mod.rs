//! Sensitivity analysis of a scenario (`fleetsim sensitivity`): which assumption moves the
//! result most.
//!
//! * **Tornado** ([`tornado`]): each uncertain input at its P10 and P90, every other uncertain
//!   input at its median, the chosen metric's *mean* over the same paths at each point; bars
//!   ranked by |swing|. Only inputs that can move the target are varied (the environment's
//!   and the target options'). One input at a time: it ignores interactions and correlations, and
//!   answers "if this assumption is wrong by its stated range, how far does the result move?".
//! * **Spearman** ([`spearman`]): over the paths of the scenario as written (every input
//!   sampled, correlations applied), the rank correlation between each sampled input and each
//!   output. It measures how much of the spread each input explains *given the others' spread*,
//!   including monotone non-linear effects, but attributes shared effects of correlated inputs
//!   to each of them.
//!
//! Both run as points of one [`run_points`](crate::engine::run_points) call: point 0 is the
//! scenario as written (Spearman), point 1 all inputs at their medians, then two points per
//! input. Inputs are pinned in the flat model, so a capital budget's fleet sizing (which uses
//! mean prices) is the same at every point: the tornado varies what happens, not what is bought.

pub mod inputs;
pub mod rank;
pub mod spearman;
pub mod tornado;

use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use inputs::{Slot, UncertainInput, uncertain_inputs};
pub use spearman::SpearmanRow;
pub use tornado::{Tornado, TornadoRow};

use crate::config::{Scenario, flatten};
use crate::engine::PathBlock;
use crate::model::outputs::SCALAR_METRICS;
use crate::model::params::FlatModel;

/// Whose metric the tornado and the printed Spearman ranking are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// One option's metric.
    Option(usize),
    /// The per-path difference option a - option b.
    Paired(usize, usize),
}

impl Target {
    /// The target's value of record index `metric` for path `i` of `block`.
    pub fn value(&self, block: &PathBlock, i: usize, metric: usize) -> f64 {
        match *self {
            Target::Option(o) => block.record(i, o)[metric],
            Target::Paired(a, b) => block.record(i, a)[metric] - block.record(i, b)[metric],
        }
    }

    /// `trn2` or `trn2 - b200`.
    pub fn label(&self, names: &[String]) -> String {
        match *self {
            Target::Option(o) => names[o].clone(),
            Target::Paired(a, b) => format!("{} - {}", names[a], names[b]),
        }
    }
}

/// The points of a sensitivity run and the inputs they vary.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The uncertain inputs, in flat-model order (all of them are correlated with outputs).
    pub inputs: Vec<UncertainInput>,
    /// The tornado's inputs (indices into `inputs`): those that can move the target, the
    /// environment's and the target options' (an option's inputs never move another option).
    pub varied: Vec<usize>,
    /// Point 0: the scenario as written; 1: all inputs at their medians; `2 + 2k` / `3 + 2k`:
    /// input `varied[k]` at its P10 / P90, the others at their medians.
    pub models: Vec<FlatModel>,
}

impl Target {
    /// Whether an input in `slot` can move this target.
    pub fn depends_on(&self, slot: Slot) -> bool {
        match (*self, slot) {
            (_, Slot::Env(_)) => true,
            (Target::Option(o), Slot::Opt(p, _)) => o == p,
            (Target::Paired(a, b), Slot::Opt(p, _)) => a == p || b == p,
        }
    }
}

/// The plan for `s` run with `seed`, its tornado about `target`.
pub fn plan(s: &Scenario, seed: u64, target: Target) -> Plan {
    let inputs = uncertain_inputs(s);
    let varied: Vec<usize> = (0..inputs.len())
        .filter(|&k| target.depends_on(inputs[k].slot))
        .collect();
    let sampled = flatten(s, seed);
    let base = inputs::at_medians(&sampled, &inputs);
    let mut models = vec![sampled, base.clone()];
    for &k in &varied {
        let i = &inputs[k];
        for q in [tornado::LOW_Q, tornado::HIGH_Q] {
            let mut m = base.clone();
            inputs::pin(&mut m, i.slot, i.dist.quantile(q));
            models.push(m);
        }
    }
    Plan {
        inputs,
        varied,
        models,
    }
}

/// Collects what a sensitivity run needs from the engine's blocks: every scalar output of
/// every option at point 0, the target metric at the other points, by path index.
///
/// A collector holds a contiguous range of the plan's points: all of them ([`Collector::new`])
/// or a shard's ([`Collector::for_points`]); [`Collector::merge`] assembles the shards' into
/// the whole run's, holding the same numbers an unsharded run collects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Collector {
    n_paths: usize,
    n_options: usize,
    metric: usize,
    target: Target,
    /// The points held, `start..end` of the plan's.
    start: usize,
    end: usize,
    /// `sampled[(o * SCALARS + m) * n_paths + path]` when point 0 is held, else empty.
    sampled: Vec<f64>,
    /// `points[p - max(start, 1)][path]` for the held points `p >= 1`.
    points: Vec<Vec<f64>>,
}

impl Collector {
    /// Room for `n_paths` paths of all of `plan`'s points; `metric` is a scalar record index.
    pub fn new(plan: &Plan, n_paths: u32, metric: usize, target: Target) -> Self {
        Self::for_points(plan, n_paths, metric, target, 0..plan.models.len())
    }

    /// Room for `n_paths` paths of `plan`'s points `points` only (a shard's range).
    pub fn for_points(
        plan: &Plan,
        n_paths: u32,
        metric: usize,
        target: Target,
        points: Range<usize>,
    ) -> Self {
        assert!(
            points.start <= points.end && points.end <= plan.models.len(),
            "points {points:?} of a plan of {}",
            plan.models.len()
        );
        let n = n_paths as usize;
        let n_options = plan.models[0].run.n_options as usize;
        let sampled = if points.contains(&0) {
            vec![f64::NAN; n_options * SCALAR_METRICS.len() * n]
        } else {
            Vec::new()
        };
        let others = points.end - points.start.max(1).min(points.end);
        Collector {
            n_paths: n,
            n_options,
            metric,
            target,
            start: points.start,
            end: points.end,
            sampled,
            points: vec![vec![f64::NAN; n]; others],
        }
    }

    /// The plan's points this collector holds.
    pub fn points(&self) -> Range<usize> {
        self.start..self.end
    }

    /// Takes one block of point `point` (the plan's index; the sink of `run_points`). Panics
    /// if the collector does not hold that point.
    pub fn add(&mut self, point: usize, b: &PathBlock) {
        assert!(
            self.points().contains(&point),
            "point {point} is not among the collector's {:?}",
            self.points()
        );
        let first = b.first_path as usize;
        for i in 0..b.n_paths as usize {
            if point == 0 {
                for o in 0..self.n_options {
                    let r = b.record(i, o);
                    for (m, v) in r.iter().take(SCALAR_METRICS.len()).enumerate() {
                        self.sampled[(o * SCALAR_METRICS.len() + m) * self.n_paths + first + i] =
                            *v;
                    }
                }
            } else {
                self.points[point - self.start.max(1)][first + i] =
                    self.target.value(b, i, self.metric);
            }
        }
    }

    /// The collector of points `0..n_points` from `parts` (in any order) that hold contiguous
    /// ranges tiling it, each once, collected for the same paths, metric and target (the shards
    /// of one run). The error says which part does not fit.
    pub fn merge(parts: Vec<Collector>, n_points: usize) -> Result<Collector, String> {
        let mut parts = parts;
        parts.sort_by_key(|c| (c.start, c.end));
        let Some(first) = parts.first() else {
            return Err("no parts to merge".into());
        };
        let (n_paths, n_options, metric, target) =
            (first.n_paths, first.n_options, first.metric, first.target);
        let mut whole = Collector {
            n_paths,
            n_options,
            metric,
            target,
            start: 0,
            end: 0,
            sampled: Vec::new(),
            points: Vec::with_capacity(n_points.saturating_sub(1)),
        };
        for (i, c) in parts.into_iter().enumerate() {
            if (c.n_paths, c.n_options, c.metric, c.target) != (n_paths, n_options, metric, target)
            {
                return Err(format!(
                    "part {i} (points {:?}) was collected for other paths, options, metric or target",
                    c.points()
                ));
            }
            if c.start != whole.end {
                return Err(if c.start > whole.end {
                    format!("points {}..{} are in no part", whole.end, c.start)
                } else {
                    format!(
                        "points {}..{} are in two parts",
                        c.start,
                        whole.end.min(c.end)
                    )
                });
            }
            whole.end = c.end;
            if c.start == 0 && c.end > 0 {
                whole.sampled = c.sampled;
            }
            whole.points.extend(c.points);
        }
        if whole.end != n_points {
            return Err(format!("points {}..{n_points} are in no part", whole.end));
        }
        Ok(whole)
    }

    /// The tornado and the Spearman table.
    ///
    /// Panics unless the collector holds all of `plan`'s points.
    pub fn finish(&self, plan: &Plan, names: &[String]) -> Analysis {
        assert_eq!(
            self.points(),
            0..plan.models.len(),
            "the tornado and the Spearman table need every point"
        );
        let k = plan.varied.len();
        let low: Vec<Vec<f64>> = (0..k).map(|j| self.points[1 + 2 * j].clone()).collect();
        let high: Vec<Vec<f64>> = (0..k).map(|j| self.points[2 + 2 * j].clone()).collect();
        let varied: Vec<UncertainInput> = plan
            .varied
            .iter()
            .map(|&k| plan.inputs[k].clone())
            .collect();
        let tornado = tornado::tornado(&varied, &self.points[0], &low, &high);
        let nm = SCALAR_METRICS.len();
        let mut outputs: Vec<(String, &'static str, Vec<f64>)> = Vec::new();
        for (o, name) in names.iter().enumerate().take(self.n_options) {
            for (m, mi) in SCALAR_METRICS.iter().enumerate() {
                let at = (o * nm + m) * self.n_paths;
                outputs.push((
                    name.clone(),
                    mi.name,
                    self.sampled[at..at + self.n_paths].to_vec(),
                ));
            }
        }
        if let Target::Paired(a, b) = self.target {
            let col = |o: usize| (o * nm + self.metric) * self.n_paths;
            let diff = (0..self.n_paths)
                .map(|p| self.sampled[col(a) + p] - self.sampled[col(b) + p])
                .collect();
            outputs.push((
                self.target.label(names),
                SCALAR_METRICS[self.metric].name,
                diff,
            ));
        }
        let spearman = spearman::table(&plan.models[0], &plan.inputs, self.n_paths, &outputs);
        Analysis {
            metric: SCALAR_METRICS[self.metric].name,
            target: self.target.label(names),
            n_paths: self.n_paths as u64,
            tornado,
            spearman,
        }
    }
}

/// The result of a sensitivity run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    /// The metric the tornado ranks (record name, e.g. `npv_usd`).
    pub metric: &'static str,
    /// Whose metric: an option name or `a - b`.
    pub target: String,
    /// Paths per point.
    pub n_paths: u64,
    /// The tornado of the target's metric.
    pub tornado: Tornado,
    /// Spearman correlations of every input with every output (ranked within each output).
    pub spearman: Vec<SpearmanRow>,
}

pub use crate::model::outputs::metric_index;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_scenario;

    #[test]
    fn the_tornado_varies_only_inputs_that_can_move_the_target() {
        let s = default_scenario();
        let all = uncertain_inputs(&s);
        let n_env = all
            .iter()
            .filter(|i| matches!(i.slot, Slot::Env(_)))
            .count();
        let of = |o: usize| {
            all.iter()
                .filter(|i| matches!(i.slot, Slot::Opt(p, _) if p == o))
                .count()
        };
        for (target, want) in [
            (Target::Option(0), n_env + of(0)),
            (Target::Option(1), n_env + of(1)),
            (Target::Paired(1, 0), all.len()),
        ] {
            let p = plan(&s, 9, target);
            assert_eq!(p.varied.len(), want, "{target:?}");
            assert_eq!(p.models.len(), 2 + 2 * want);
            assert_eq!(p.inputs.len(), all.len());
        }
        // The P10 / P90 points differ from the all-median point in that input only.
        let p = plan(&s, 9, Target::Option(0));
        let k = p.varied[0];
        let lo = &p.models[2];
        let x = crate::model::fleet_step::sample_inputs::<f64>(lo, 0);
        let want = p.inputs[k].dist.quantile(tornado::LOW_Q);
        assert!((inputs::value_at(&x, p.inputs[k].slot) - want).abs() <= 1e-6 * want.abs());
        let base = crate::model::fleet_step::sample_inputs::<f64>(&p.models[1], 0);
        for (j, i) in p.inputs.iter().enumerate().filter(|(j, _)| *j != k) {
            assert_eq!(
                inputs::value_at(&x, i.slot),
                inputs::value_at(&base, i.slot),
                "input {j}"
            );
        }
    }

    #[test]
    fn shards_collectors_merge_into_the_whole_runs() {
        use crate::engine::cpu::CpuEngine;
        use crate::engine::{Precision, run_points};
        let s = default_scenario();
        let mut p = plan(&s, 3, Target::Paired(0, 1));
        // A few points are enough: the collector does not look at what they vary.
        p.models.truncate(7);
        let e = CpuEngine::new(Precision::F32);
        let n = 12;
        let collect = |points: Range<usize>| {
            let mut c = Collector::for_points(&p, n, 0, Target::Paired(0, 1), points.clone());
            run_points(
                &e,
                &p.models[points.clone()],
                n,
                |i, b| c.add(points.start + i, b),
                |_| {},
            )
            .unwrap();
            c
        };
        let whole = collect(0..7);
        assert_eq!(whole.points(), 0..7);
        // Every path of every point was collected (the NPV difference is always defined).
        assert!(whole.points.iter().flatten().all(|v| v.is_finite()));
        let bytes = |c: &Collector| postcard::to_stdvec(c).unwrap();
        // Any order of the parts, an empty part included.
        let parts = vec![collect(3..7), collect(0..1), collect(1..3), collect(3..3)];
        let merged = Collector::merge(parts, 7).unwrap();
        assert_eq!(bytes(&merged), bytes(&whole));
        let back: Collector = postcard::from_bytes(&bytes(&merged)).unwrap();
        assert_eq!(bytes(&back), bytes(&whole));
        // Gaps and overlaps are named.
        let err = Collector::merge(vec![collect(0..2), collect(4..7)], 7).unwrap_err();
        assert!(err.contains("points 2..4 are in no part"), "{err}");
        let err = Collector::merge(vec![collect(0..3), collect(2..7)], 7).unwrap_err();
        assert!(err.contains("in two parts"), "{err}");
        let err = Collector::merge(vec![collect(0..5)], 7).unwrap_err();
        assert!(err.contains("points 5..7 are in no part"), "{err}");
    }
}
