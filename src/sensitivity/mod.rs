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

use serde::Serialize;

pub use inputs::{Slot, UncertainInput, uncertain_inputs};
pub use spearman::SpearmanRow;
pub use tornado::{Tornado, TornadoRow};

use crate::config::{Scenario, flatten};
use crate::engine::PathBlock;
use crate::model::outputs::SCALAR_METRICS;
use crate::model::params::FlatModel;

/// Whose metric the tornado and the printed Spearman ranking are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug)]
pub struct Collector {
    n_paths: usize,
    n_options: usize,
    metric: usize,
    target: Target,
    /// `sampled[(o * SCALARS + m) * n_paths + path]`.
    sampled: Vec<f64>,
    /// `points[p - 1][path]` for points 1..
    points: Vec<Vec<f64>>,
}

impl Collector {
    /// Room for `n_paths` paths of `plan`'s points; `metric` is a scalar record index.
    pub fn new(plan: &Plan, n_paths: u32, metric: usize, target: Target) -> Self {
        let n = n_paths as usize;
        let n_options = plan.models[0].run.n_options as usize;
        Collector {
            n_paths: n,
            n_options,
            metric,
            target,
            sampled: vec![f64::NAN; n_options * SCALAR_METRICS.len() * n],
            points: vec![vec![f64::NAN; n]; plan.models.len() - 1],
        }
    }

    /// Takes one block of point `point` (the sink of `run_points`).
    pub fn add(&mut self, point: usize, b: &PathBlock) {
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
                self.points[point - 1][first + i] = self.target.value(b, i, self.metric);
            }
        }
    }

    /// The tornado and the Spearman table.
    pub fn finish(&self, plan: &Plan, names: &[String]) -> Analysis {
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
}
