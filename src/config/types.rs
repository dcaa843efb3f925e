//! The validated scenario types: options, failure classes, the job view, the environment,
//! correlations and the scenario itself, as the engines read them and `summary.json` records them.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::distributions::Dist;

/// Where an option's facility comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Facility {
    /// Built and owned: `dc_capex_per_mw_usd` is capex.
    Build,
    /// Leased: `colo_usd_per_kw_month` is opex, no data-centre capex.
    Colo,
    /// Rented capacity: `rent_usd_per_chip_hour` (take-or-pay, repriced each
    /// `rent_term_years`), no capex; no energy, power, operations, colocation or part costs
    /// (the provider's, in its price). Energy drawn is still reported.
    Rent,
}

impl Facility {
    /// The config spellings and their variants, in variant order.
    pub const CHOICES: [(&'static str, Self); 3] = [
        ("build", Facility::Build),
        ("colo", Facility::Colo),
        ("rent", Facility::Rent),
    ];
    /// The config spelling.
    pub fn name(self) -> &'static str {
        Self::CHOICES[self as usize].0
    }
}

/// How the data centre is valued at the horizon (`dc_residual`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DcResidual {
    /// By its use: the capital-recovery lease of its remaining life at the discount rate.
    Use,
    /// Straight-line book value.
    Book,
    /// Nothing.
    None,
}

impl DcResidual {
    /// The config spellings and their variants.
    pub const CHOICES: [(&'static str, Self); 3] = [
        ("use", DcResidual::Use),
        ("book", DcResidual::Book),
        ("none", DcResidual::None),
    ];
}

/// What the compute market prices (`[environment] price_basis`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PriceBasis {
    /// Effective dense BF16 PFLOP-hours.
    Bf16,
    /// Effective dense FP8 PFLOP-hours.
    Fp8,
    /// Effective dense FP4 PFLOP-hours.
    Fp4,
    /// HBM TB/s-hours.
    Hbm,
}

impl PriceBasis {
    /// The config spellings and their variants, in variant order.
    pub const CHOICES: [(&'static str, Self); 4] = [
        ("bf16", PriceBasis::Bf16),
        ("fp8", PriceBasis::Fp8),
        ("fp4", PriceBasis::Fp4),
        ("hbm", PriceBasis::Hbm),
    ];
    /// The config spelling.
    pub fn name(self) -> &'static str {
        Self::CHOICES[self as usize].0
    }
    /// The option input holding the performance this basis prices.
    pub fn performance_input(self) -> &'static str {
        match self {
            PriceBasis::Bf16 => "peak_bf16_pflops",
            PriceBasis::Fp8 => "peak_fp8_pflops",
            PriceBasis::Fp4 => "peak_fp4_pflops",
            PriceBasis::Hbm => "hbm_tb_per_s",
        }
    }
}

/// Whether a failure needs a part (spare swap, RMA) or only a reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// Part swap: uses a spare and goes to RMA.
    Hard,
    /// Reset or reboot: no part.
    Soft,
}

/// Named distributions in a fixed order, serialised as a map (`name -> dist`).
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs(pub Vec<(&'static str, Dist)>);

impl Inputs {
    /// The distribution of `name`. Panics on a name the schema does not define (a bug).
    pub fn get(&self, name: &str) -> &Dist {
        self.0
            .iter()
            .find(|e| e.0 == name)
            .map(|e| &e.1)
            .unwrap_or_else(|| panic!("no input named {name}"))
    }

    /// Facility power per chip at the inputs' means, W: nameplate IT load (`chip_w` +
    /// `host_w_per_chip`) x `pue`, what `power_budget_mw` sizes by. Option inputs only
    /// (panics on environment inputs, a bug).
    pub fn facility_w_per_chip(&self) -> f64 {
        (self.get("chip_w").mean() + self.get("host_w_per_chip").mean()) * self.get("pue").mean()
    }

    /// Replaces the distribution of `name`. Panics on a name the schema does not define (a bug).
    pub fn set(&mut self, name: &str, d: Dist) {
        let e = self.0.iter_mut().find(|e| e.0 == name);
        e.unwrap_or_else(|| panic!("no input named {name}")).1 = d;
    }
}

impl Serialize for Inputs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One failure class of an option.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FailureClass {
    /// Class name (the key under `failures`).
    pub name: String,
    /// Hard (part) or soft (reset).
    pub kind: FailureKind,
    /// Sampled inputs, in [`schema::CLASS_INPUTS`](super::schema::CLASS_INPUTS) order
    /// (`rate_per_node_day`, `infant_multiplier`, `infant_days`; a `rate_per_chip_day` is
    /// stored multiplied by `chips_per_node`).
    #[serde(flatten)]
    pub inputs: Inputs,
    /// Repair time per event, hours: the hands-on time with a spare at hand (diagnose and swap),
    /// while the blast radius is out.
    pub repair_hours: Dist,
    /// Replaceable unit type a hard failure of this class consumes: `None` is the whole node
    /// (a hot spare node), else the name of one of the option's `units`.
    pub unit: Option<String>,
    /// Whether the failed unit goes on an RMA round trip that refills the stock when it returns
    /// (else a new unit is ordered: the unit type's `replenish_days`).
    pub rma: bool,
    /// RMA round trip of this class's unit, days per event (`None`: the option's `rma_days`).
    pub rma_days: Option<Dist>,
}

impl FailureClass {
    /// Failures per node per day.
    pub fn rate_per_node_day(&self) -> &Dist {
        &self.inputs.0[crate::model::params::opt_in::CLASS_RATE].1
    }
}

/// The optional training-job view of an option.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct JobConfig {
    /// Chips per synchronous job.
    pub job_chips: u32,
    /// Share of the fleet running such jobs (default 1).
    pub fraction: Dist,
    /// Restart overhead per interruption, minutes.
    pub restart_minutes: Dist,
    /// Checkpoint interval, minutes (the resolved value when `young_daly`).
    pub checkpoint_interval_minutes: Dist,
    /// True when the interval was `"young_daly"`: `sqrt(2 C M)`, resolved at load time.
    pub young_daly: bool,
    /// Job mean time between interruptions used by Young/Daly, minutes (mean rates).
    pub job_mtbf_minutes: f64,
    /// Cost of one checkpoint, seconds.
    pub checkpoint_cost_seconds: Dist,
    /// The job inputs with a built-in default read as written (planned interruptions), in
    /// [`schema::JOB_INPUTS`](super::schema::JOB_INPUTS) order.
    pub other: Inputs,
}

impl JobConfig {
    /// The sampled job input named as in [`schema::JOB_INPUTS`](super::schema::JOB_INPUTS).
    /// Panics on another name (a bug: the schema lists every job input).
    pub fn input(&self, name: &str) -> &Dist {
        match name {
            "fraction" => &self.fraction,
            "restart_minutes" => &self.restart_minutes,
            "checkpoint_interval_minutes" => &self.checkpoint_interval_minutes,
            "checkpoint_cost_seconds" => &self.checkpoint_cost_seconds,
            other => self.other.get(other),
        }
    }
}

/// A replaceable unit type below the whole node (a compute tray, a GPU module, an optic...),
/// kept as on-site spare stock.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct UnitType {
    /// Unit name (the key under `units`).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Spare units kept on site, bought with the fleet.
    pub stock: u32,
    /// True when the stock was `"auto"`: sized to the replenishment pipeline's
    /// [`AUTO_FILL_RATE`](super::units::AUTO_FILL_RATE) quantile for the option's fleet.
    pub stock_auto: bool,
    /// Capital cost of one spare unit, USD.
    pub cost_usd: f64,
    /// Hours to fit a unit that arrives for a node waiting for it.
    pub swap_hours: f64,
    /// Lead time of a new unit when the failed one is not returned, days per event.
    pub replenish_days: Dist,
}

/// One accelerator option, fully resolved (catalog defaults merged with scenario overrides).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OptionConfig {
    /// Option name (the key under `options`, or the catalog entry name).
    pub name: String,
    /// Catalog entry it derives from.
    pub hardware: String,
    /// Free text.
    pub description: String,
    /// Built or leased facility.
    pub facility: Facility,
    /// Chips ordered (0 in catalog entries).
    pub accelerators: u64,
    /// True when `accelerators` was sized by the scenario's budget (`capital_budget_usd` or
    /// `power_budget_mw`, see [`Scenario::sizing`]).
    pub accelerators_from_budget: bool,
    /// Chips per node (the replaceable unit).
    pub chips_per_node: u32,
    /// Chips stopped by one node failure (a multiple of `chips_per_node`).
    pub blast_radius_chips: u32,
    /// Hot spare nodes (for `"auto"`: the size at the mean failure rates).
    pub spare_nodes: u32,
    /// True when `spare_nodes` was `"auto"`: sized like an auto unit pool, on every path from
    /// its sampled rates.
    pub spare_nodes_auto: bool,
    /// Sampled inputs, in [`schema::OPTION_INPUTS`](super::schema::OPTION_INPUTS) order.
    pub inputs: Inputs,
    /// RMA turnaround per event, days.
    pub rma_days: Dist,
    /// Failure classes, in written order (at most `MAX_CLASSES`).
    pub classes: Vec<FailureClass>,
    /// Replaceable unit types other than the whole node, in written order (at most
    /// `MAX_UNITS - 1`).
    pub units: Vec<UnitType>,
    /// Stream key: options with the same key draw their sampled inputs, failures and repairs
    /// from the same random streams (common random numbers). The `stream` field, else the
    /// catalog entry (`hardware`), else the option's name.
    pub stream: String,
    /// Training-job view, when the scenario asks for one.
    pub job: Option<JobConfig>,
    /// Already in service at day 0 (`in_service = true`): no delivery delay, ramp, burn-in
    /// rejects, infant-mortality uplift or demand ramp.
    pub in_service: bool,
    /// Prices come from the compute market (no explicit `reserved_usd_per_chip_hour` /
    /// `on_demand_usd_per_chip_hour`).
    pub market_priced: bool,
    /// The next generation's ship date (`next_gen_date`), days from 1970-01-01.
    pub next_gen_date: Option<i64>,
    /// How the data centre is valued at the horizon.
    pub dc_residual: DcResidual,
}

impl OptionConfig {
    /// Why this option has no value of the scalar metric `metric` (a record index,
    /// `model::outputs::idx`) on any path, or `None` when it may have one: the job-view
    /// metrics (goodput, job uptime, interruptions per job-day) without a `[job]` table or
    /// with a fixed job fraction too small for one job, and the cost per HBM TB/s-hour with
    /// `hbm_tb_per_s` fixed at 0. The model leaves these undefined (NaN) on every path.
    pub fn metric_unavailable(&self, metric: usize) -> Option<String> {
        use crate::model::outputs::idx;
        let job_metric = [
            idx::GOODPUT,
            idx::JOB_UPTIME,
            idx::INTERRUPTIONS_PER_JOB_DAY,
        ]
        .contains(&metric);
        if job_metric {
            let Some(job) = &self.job else {
                return Some(format!(
                    "option `{}` has no training-job view (add [options.{}.job] with job_chips, restart_minutes, checkpoint_interval_minutes and checkpoint_cost_seconds)",
                    self.name, self.name
                ));
            };
            if let Some(f) = job.fraction.fixed_value()
                && (f * self.accelerators as f64 / f64::from(job.job_chips)).floor() < 1.0
            {
                return Some(format!(
                    "option `{}` runs no job: job fraction {} of {} chips is less than one job of job_chips = {}",
                    self.name,
                    super::error::num(f),
                    self.accelerators,
                    job.job_chips
                ));
            }
        }
        if metric == idx::LEVELIZED_USD_PER_TBPS_HOUR
            && self.inputs.get("hbm_tb_per_s").fixed_value() == Some(0.0)
        {
            return Some(format!(
                "option `{}` has hbm_tb_per_s = 0 (no HBM bandwidth to cost)",
                self.name
            ));
        }
        None
    }
}

/// Shared environment inputs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Environment {
    /// Sampled inputs, in `env_in` order.
    pub inputs: Inputs,
    /// Outage duration per event, hours.
    pub outage_hours: Dist,
    /// How SLA credits are paid (`sla`, default daily).
    pub sla: SlaMode,
    /// Uptime tiers of the monthly SLA (empty with the daily one), thresholds descending.
    pub sla_tiers: Vec<SlaTier>,
    /// What the compute market prices.
    pub price_basis: PriceBasis,
}

/// How regional outages are credited back to customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SlaMode {
    /// `sla_credit_fraction` of an outage day's revenue, that day.
    Daily,
    /// Tiers of monthly uptime (`sla_tiers`), credited on the month's last day.
    Monthly,
}

impl SlaMode {
    /// The config spellings and their variants.
    pub const CHOICES: [(&'static str, Self); 2] =
        [("daily", SlaMode::Daily), ("monthly", SlaMode::Monthly)];
}

/// One tier of a monthly SLA: a month whose uptime is below `uptime_below` earns `credit` of
/// its revenue back (the lowest tier that applies wins).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct SlaTier {
    /// Uptime threshold, in (0, 1].
    pub uptime_below: f64,
    /// Share of the month's revenue credited, in [0, 1].
    pub credit: f64,
}

/// The default monthly tiers: Amazon EC2's region-level SLA (https://aws.amazon.com/compute/sla/):
/// below 99.99% monthly uptime 10%, below 99.0% 30%, below 95.0% 100% of the month's charges.
pub const AWS_EC2_REGION_TIERS: [SlaTier; 3] = [
    SlaTier {
        uptime_below: 0.9999,
        credit: 0.10,
    },
    SlaTier {
        uptime_below: 0.99,
        credit: 0.30,
    },
    SlaTier {
        uptime_below: 0.95,
        credit: 1.00,
    },
];

/// The Gaussian-copula block: distinct inputs and their Spearman rank correlations.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Correlations {
    /// Input paths as written, first-appearance order.
    pub inputs: Vec<String>,
    /// Global input index of each (see `CorrParams::idx`).
    pub index: Vec<usize>,
    /// Spearman rank-correlation matrix (symmetric, unit diagonal).
    pub rank: Vec<Vec<f64>>,
}

impl Correlations {
    /// Normal-space (Pearson) correlation: `2 sin(pi rho / 6)` off the diagonal.
    pub fn pearson(&self) -> Vec<Vec<f64>> {
        self.rank
            .iter()
            .enumerate()
            .map(|(i, row)| {
                row.iter()
                    .enumerate()
                    .map(|(j, r)| {
                        if i == j {
                            1.0
                        } else {
                            2.0 * (std::f64::consts::PI * r / 6.0).sin()
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// How a run's fleets were sized: exactly one rule per scenario.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Sizing {
    /// Every option gives its own `accelerators`.
    PerOption,
    /// `[scenario] capital_budget_usd`: each option gets the most whole nodes whose servers,
    /// spares, spare units and data-centre build (at the inputs' means) fit the budget.
    EqualCapital {
        /// The budget, USD.
        capital_budget_usd: f64,
    },
    /// `[scenario] power_budget_mw`: each option gets the most whole nodes whose facility
    /// power (nameplate IT load per chip x PUE, at the inputs' means) fits the budget; spare
    /// nodes and spare units draw no power until swapped in, so they do not count.
    EqualPower {
        /// The budget, MW of facility power.
        power_budget_mw: f64,
    },
}

impl Sizing {
    /// Words for the run header and summary.json: `equal capital USD 500M`, `equal power 50
    /// MW`, `accelerators per option`.
    pub fn label(&self) -> String {
        match *self {
            Sizing::PerOption => "accelerators per option".to_string(),
            Sizing::EqualCapital { capital_budget_usd } => {
                format!("equal capital USD {}", short_number(capital_budget_usd))
            }
            Sizing::EqualPower { power_budget_mw } => {
                format!("equal power {} MW", short_number(power_budget_mw))
            }
        }
    }

    /// What the rule counts, for the run header.
    pub fn basis(&self) -> &'static str {
        match self {
            Sizing::PerOption => "fleet sizes as written",
            Sizing::EqualCapital { .. } => {
                "servers + spares + data-centre build at the inputs' means"
            }
            Sizing::EqualPower { .. } => {
                "facility power = nameplate IT load x PUE at the inputs' means; spares draw none"
            }
        }
    }
}

/// `x` with a magnitude suffix and at most 3 decimals, trailing zeros dropped: `500M`,
/// `1.25B`, `50`, `0.5`, `12.5k`.
fn short_number(x: f64) -> String {
    let a = x.abs();
    let (v, suffix) = if a >= 1e9 {
        (x / 1e9, "B")
    } else if a >= 1e6 {
        (x / 1e6, "M")
    } else if a >= 1e4 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    let t = format!("{v:.3}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    format!("{t}{suffix}")
}

/// A validated scenario: what the engines run and what `summary.json` records.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Scenario {
    /// Scenario name.
    pub name: String,
    /// Optional free text.
    pub description: Option<String>,
    /// File (or origin label) it was read from.
    pub origin: String,
    /// Catalog used for defaults.
    pub catalog: String,
    /// Horizon in years (1..=20); with `horizon_days` the number of yearly cash flows,
    /// `ceil(horizon_days / 365)`.
    pub horizon_years: u32,
    /// Equal capital budget that sized every option, if given.
    pub capital_budget_usd: Option<f64>,
    /// Equal facility power budget, MW (IT load at nameplate x PUE, at the inputs' means),
    /// that sized every option, if given (never together with `capital_budget_usd`).
    pub power_budget_mw: Option<f64>,
    /// Default for `--paths`.
    pub paths: Option<u64>,
    /// Default for `--seed`.
    pub seed: Option<u64>,
    /// Day 0 of the horizon (`start_date`), days from 1970-01-01.
    pub start_date: i64,
    /// Shared environment.
    pub environment: Environment,
    /// Options in written order (1..=`MAX_OPTIONS` = 8).
    pub options: Vec<OptionConfig>,
    /// Correlated inputs (empty: independent).
    pub correlations: Correlations,
    /// `[scenario] horizon_days` when the horizon was given in days (1..=7300), else `None`
    /// (the horizon is `365 * horizon_years`).
    pub horizon_days_given: Option<u32>,
}

impl Scenario {
    /// The one rule that sized the fleets of this run.
    pub fn sizing(&self) -> Sizing {
        match (self.capital_budget_usd, self.power_budget_mw) {
            (Some(usd), _) => Sizing::EqualCapital {
                capital_budget_usd: usd,
            },
            (None, Some(mw)) => Sizing::EqualPower {
                power_budget_mw: mw,
            },
            (None, None) => Sizing::PerOption,
        }
    }

    /// Option names in order.
    pub fn option_names(&self) -> Vec<&str> {
        self.options.iter().map(|o| o.name.as_str()).collect()
    }

    /// The day of the horizon on which option `o`'s next generation ships (`u32::MAX`: not
    /// within reach, or shipped before day 0, when the market price already has it).
    pub fn next_gen_day(&self, o: &OptionConfig) -> u32 {
        match o.next_gen_date {
            Some(d) if d >= self.start_date => {
                u32::try_from(d - self.start_date).unwrap_or(u32::MAX)
            }
            _ => u32::MAX,
        }
    }

    /// Horizon in days (`horizon_days` as given, else `365 * horizon_years`).
    pub fn horizon_days(&self) -> u32 {
        self.horizon_days_given.unwrap_or(365 * self.horizon_years)
    }

    /// Names of the failure-class slots of the outputs (`failures_NAME`,
    /// `lost_node_hours_NAME`): [`crate::model::outputs::class_slot_names`] of the options'
    /// classes.
    pub fn class_slot_names(&self) -> Vec<String> {
        let per_option: Vec<Vec<String>> = self
            .options
            .iter()
            .map(|o| o.classes.iter().map(|c| c.name.clone()).collect())
            .collect();
        crate::model::outputs::class_slot_names(&per_option)
    }
}
