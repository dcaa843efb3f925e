//! The uncertain inputs of a scenario: every per-path sampled input whose distribution is not
//! fixed, with its key path (as sweep files and overrides write it), its distribution and the
//! slot of the flat model it feeds, so an input can be pinned to a value in a [`FlatModel`]
//! and read back from a path's sampled inputs.

use crate::config::{Scenario, schema};
use crate::distributions::Dist;
use crate::model::fleet_step::PathInputs;
use crate::model::params::{FlatModel, kind, opt_in};

/// Where a sampled input lives in the flat model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Environment input at this `env_in` index.
    Env(usize),
    /// Input of option `.0` at `opt_in` index `.1` (class and job inputs included).
    Opt(usize, usize),
}

/// One uncertain (non-fixed) per-path input.
#[derive(Clone, Debug, PartialEq)]
pub struct UncertainInput {
    /// Key path, e.g. `environment.usd_per_kwh`, `options.trn2.failures.hbm.rate_per_node_day`.
    pub key: String,
    /// Unit in words.
    pub unit: &'static str,
    /// Its distribution as validated (a failure rate per node-day).
    pub dist: Dist,
    /// Where the engines read it.
    pub slot: Slot,
}

/// Every per-path sampled input of `s` whose distribution has uncertainty, in flat-model
/// order (environment, then each option: its inputs, its job inputs, its failure classes).
///
/// Per-event distributions (repair hours, RMA days, outage hours) are not listed: they are
/// drawn anew for every event, so they are part of the noise of one path, not an assumption
/// that holds for a whole path.
pub fn uncertain_inputs(s: &Scenario) -> Vec<UncertainInput> {
    let mut v = Vec::new();
    let mut push = |key: String, unit: &'static str, dist: &Dist, slot: Slot| {
        if !dist.is_fixed() {
            v.push(UncertainInput {
                key,
                unit,
                dist: dist.clone(),
                slot,
            });
        }
    };
    for spec in schema::ENV_INPUTS {
        push(
            format!("environment.{}", spec.name),
            spec.unit,
            s.environment.inputs.get(spec.name),
            Slot::Env(spec.index),
        );
    }
    for (o, opt) in s.options.iter().enumerate() {
        let pre = format!("options.{}", opt.name);
        for spec in schema::OPTION_INPUTS {
            push(
                format!("{pre}.{}", spec.name),
                spec.unit,
                opt.inputs.get(spec.name),
                Slot::Opt(o, spec.index),
            );
        }
        if let Some(j) = &opt.job {
            for spec in schema::JOB_INPUTS {
                let d = j.input(spec.name);
                push(
                    format!("{pre}.job.{}", spec.name),
                    spec.unit,
                    d,
                    Slot::Opt(o, spec.index),
                );
            }
        }
        for (c, cl) in opt.classes.iter().enumerate() {
            let base = opt_in::CLASS_BASE + opt_in::PER_CLASS * c;
            for (spec, d) in schema::CLASS_INPUTS.iter().zip([
                &cl.rate_per_node_day,
                &cl.infant_multiplier,
                &cl.infant_days,
            ]) {
                push(
                    format!("{pre}.failures.{}.{}", cl.name, spec.name),
                    spec.unit,
                    d,
                    Slot::Opt(o, base + spec.index),
                );
            }
        }
    }
    v
}

/// Pins `slot` of `model` to `value` for every path (a fixed distribution, keeping the field's
/// clamp range, so the value is clamped exactly as a sample would be).
pub fn pin(model: &mut FlatModel, slot: Slot, value: f64) {
    let spec = match slot {
        Slot::Env(i) => &mut model.env.inputs[i],
        Slot::Opt(o, i) => &mut model.options[o].inputs[i],
    };
    spec.kind = kind::FIXED;
    spec.aux = 0;
    spec.p = [value as f32, 0.0, 0.0, 0.0];
}

/// The value of `slot` among one path's sampled inputs.
pub fn value_at(x: &PathInputs<f64>, slot: Slot) -> f64 {
    match slot {
        Slot::Env(i) => x.env[i],
        Slot::Opt(o, i) => x.opt[o][i],
    }
}

/// `model` with every input of `inputs` pinned to its median: the tornado's base point.
pub fn at_medians(model: &FlatModel, inputs: &[UncertainInput]) -> FlatModel {
    let mut m = model.clone();
    for i in inputs {
        pin(&mut m, i.slot, i.dist.median());
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{default_scenario, flatten};
    use crate::model::fleet_step::sample_inputs;

    #[test]
    fn lists_only_uncertain_inputs_and_pins_them() {
        let s = default_scenario();
        let inputs = uncertain_inputs(&s);
        assert!(inputs.iter().any(|i| i.key == "environment.usd_per_kwh"));
        assert!(inputs.iter().all(|i| !i.dist.is_fixed()));
        // Young/Daly intervals are resolved to fixed values: not uncertain.
        assert!(
            !inputs
                .iter()
                .any(|i| i.key.ends_with("checkpoint_interval_minutes"))
        );
        let keys: std::collections::HashSet<&str> = inputs.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys.len(), inputs.len(), "keys are unique");
        let m = at_medians(&flatten(&s, 3), &inputs);
        for path in [0u32, 17, 999] {
            let x = sample_inputs::<f64>(&m, path);
            for i in &inputs {
                let want = i.dist.median();
                let got = value_at(&x, i.slot);
                assert!(
                    (got - want).abs() <= 1e-6 * want.abs().max(1e-9),
                    "{}: {got} vs median {want}",
                    i.key
                );
            }
        }
    }
}
