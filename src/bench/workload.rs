//! The benchmark workloads, fixed and versioned: what each simulates, its nominal size and the
//! size `--quick` uses. Results of different workload-set versions are not comparable, so any
//! change here that changes what a workload computes must bump [`WORKLOAD_SET_VERSION`].

use crate::config;
use crate::model::params::{DistSpec, FlatModel, env_in};

/// Version of the workload set; `fleetsim bench compare` refuses files whose versions differ.
pub const WORKLOAD_SET_VERSION: u32 = 2;

/// Points of the sweep workload.
pub const SWEEP_POINTS: u32 = 100;

/// Electricity price of sweep point `k`: 0.04 to 0.139 USD/kWh in steps of 0.001.
pub fn sweep_usd_per_kwh(k: u32) -> f32 {
    0.04 + 0.001 * k as f32
}

/// Capital budget of each option in the hyperscale workload, USD.
pub const HYPERSCALE_BUDGET_USD: u64 = 100_000_000_000;

/// Philox blocks each invocation of the RNG-only workload draws (one unit of its size).
pub const RNG_BLOCKS_PER_UNIT: u32 = 256;

/// What a workload runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadKind {
    /// The built-in default comparison (2 options, 5 years), one run of N paths.
    DefaultRun,
    /// The default comparison at [`SWEEP_POINTS`] electricity prices, N paths per point.
    Sweep,
    /// The default scenario's first option (trn2) alone, N paths.
    OneOption,
    /// The default comparison at [`HYPERSCALE_BUDGET_USD`] of capital each (about 200x the
    /// default's fleets: the counted failure process of MODEL.md 6.4c), N paths.
    Hyperscale,
    /// Philox blocks only: N units of [`RNG_BLOCKS_PER_UNIT`] blocks; the RNG ceiling.
    RngOnly,
}

/// One workload of the set.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Stable identifier, the key results are compared by.
    pub id: &'static str,
    /// What it measures, for people.
    pub description: &'static str,
    /// What it runs.
    pub kind: WorkloadKind,
    /// Nominal size: paths (per point for the sweep) or RNG units.
    pub nominal: u64,
    /// Size under `--quick` (seconds on llvmpipe).
    pub quick: u64,
}

/// The workload set of version [`WORKLOAD_SET_VERSION`], in run order (the RNG ceiling first:
/// the other workloads' fraction of it is computed from it).
pub fn workload_set() -> Vec<Workload> {
    vec![
        Workload {
            id: "rng_philox",
            description: "Philox4x32-10 blocks only (256 per invocation, XOR-reduced): the RNG ceiling",
            kind: WorkloadKind::RngOnly,
            nominal: 1 << 24,
            quick: 1 << 12,
        },
        Workload {
            id: "default_1e5",
            description: "default comparison (trn2 vs b200-hgx, 5 years), 1e5 paths",
            kind: WorkloadKind::DefaultRun,
            nominal: 100_000,
            quick: 256,
        },
        Workload {
            id: "default_1e6",
            description: "default comparison (trn2 vs b200-hgx, 5 years), 1e6 paths",
            kind: WorkloadKind::DefaultRun,
            nominal: 1_000_000,
            quick: 512,
        },
        Workload {
            id: "sweep_100",
            description: "default comparison at 100 electricity prices (0.040-0.139 USD/kWh), 1e4 paths per point",
            kind: WorkloadKind::Sweep,
            nominal: 10_000,
            quick: 4,
        },
        Workload {
            id: "hyperscale_100b_1e4",
            description: "default comparison at USD 100B of capital each (about 2.7M trn2 and 1.1M B200 chips), 1e4 paths",
            kind: WorkloadKind::Hyperscale,
            nominal: 10_000,
            quick: 4,
        },
        Workload {
            id: "one_option_1e7",
            description: "default scenario's trn2 option alone, 5 years, 1e7 paths",
            kind: WorkloadKind::OneOption,
            nominal: 10_000_000,
            quick: 512,
        },
    ]
}

/// The flat models a workload runs (one per sweep point; none for the RNG-only workload).
pub fn models(kind: WorkloadKind) -> Vec<FlatModel> {
    let scenario = config::default_scenario();
    let seed = scenario.seed.unwrap_or(1);
    match kind {
        WorkloadKind::RngOnly => vec![],
        WorkloadKind::DefaultRun => vec![config::flatten(&scenario, seed)],
        WorkloadKind::Sweep => {
            let base = config::flatten(&scenario, seed);
            (0..SWEEP_POINTS)
                .map(|k| {
                    let mut m = base.clone();
                    m.env.inputs[env_in::USD_PER_KWH] = DistSpec::fixed(sweep_usd_per_kwh(k));
                    m
                })
                .collect()
        }
        WorkloadKind::OneOption => {
            let mut s = scenario;
            s.options.truncate(1);
            vec![config::flatten(&s, seed)]
        }
        WorkloadKind::Hyperscale => {
            let text = config::DEFAULT_SCENARIO.replace(
                "capital_budget_usd = 500_000_000",
                &format!("capital_budget_usd = {HYPERSCALE_BUDGET_USD}"),
            );
            let s = config::load_scenario_str(&text, config::DEFAULT_ORIGIN)
                .expect("the built-in default at a larger budget is valid");
            vec![config::flatten(&s, seed)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_has_the_workloads_the_issue_asks_for() {
        let set = workload_set();
        let ids: Vec<_> = set.iter().map(|w| w.id).collect();
        for id in [
            "rng_philox",
            "default_1e5",
            "default_1e6",
            "sweep_100",
            "one_option_1e7",
            "hyperscale_100b_1e4",
        ] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
        assert_eq!(set[0].kind, WorkloadKind::RngOnly, "the ceiling runs first");
        for w in &set {
            assert!(w.quick <= w.nominal, "{}", w.id);
        }
    }

    #[test]
    fn workload_models_are_what_they_say() {
        let run = models(WorkloadKind::DefaultRun);
        assert_eq!(run.len(), 1);
        assert_eq!(run[0].run.n_options, 2);
        assert_eq!(run[0].run.horizon_days, 5 * 365);
        let one = models(WorkloadKind::OneOption);
        assert_eq!(one[0].run.n_options, 1);
        // The same option; only where its day tables sit differs (they follow every
        // option's tables).
        let no_day = |o: &crate::model::params::OptionParams| crate::model::params::OptionParams {
            ev_day: [0; crate::model::params::opt_ev::COUNT],
            ..*o
        };
        assert_eq!(no_day(&one[0].options[0]), no_day(&run[0].options[0]));
        let sweep = models(WorkloadKind::Sweep);
        assert_eq!(sweep.len(), SWEEP_POINTS as usize);
        let price = |m: &FlatModel| m.env.inputs[env_in::USD_PER_KWH];
        assert_eq!(price(&sweep[0]), DistSpec::fixed(0.04));
        assert_eq!(price(&sweep[99]), DistSpec::fixed(sweep_usd_per_kwh(99)));
        assert!((sweep_usd_per_kwh(99) - 0.139).abs() < 1e-6);
        assert!(models(WorkloadKind::RngOnly).is_empty());
        let big = models(WorkloadKind::Hyperscale);
        assert!(big[0].options[0].nodes > 150 * run[0].options[0].nodes);
    }
}
