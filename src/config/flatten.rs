//! Turns a validated [`Scenario`] into the flat [`FlatModel`] both engines read: every sampled
//! input at its documented index with its field range as clamp, unused slots zeroed, the copula
//! as a Cholesky factor of the normal-space correlation.

use bytemuck::Zeroable;

use super::correlations::cholesky;
use super::schema;
use super::types::{DcResidual, Facility, FailureKind, PriceBasis, Scenario, SlaMode};
use crate::distributions::Dist;
use crate::model::params::{
    CorrParams, DistSpec, EnvParams, FlatModel, MAX_CORR, MAX_SLA_TIERS, OptionParams, RunParams,
    basis, dc_residual, env_in, flags, opt_ev, opt_in, sla,
};

/// Flattens `s` for a run with `seed` (split into the two Philox key words).
pub fn flatten(s: &Scenario, seed: u64) -> FlatModel {
    let mut table: Vec<f32> = Vec::new();
    let mut events = EventTables::default();

    let mut env = EnvParams::zeroed();
    for spec in schema::ENV_INPUTS {
        env.inputs[spec.index] = s
            .environment
            .inputs
            .get(spec.name)
            .to_spec(spec.lo, spec.hi, &mut table);
    }
    let oh = &schema::OUTAGE_HOURS;
    env.outage_hours = events.spec(&s.environment.outage_hours, oh.lo, oh.hi, &mut table);
    env.sla_mode = match s.environment.sla {
        SlaMode::Daily => sla::DAILY,
        SlaMode::Monthly => sla::MONTHLY,
    };
    let tiers = &s.environment.sla_tiers[..s.environment.sla_tiers.len().min(MAX_SLA_TIERS)];
    env.n_sla_tiers = tiers.len() as u32;
    env.price_basis = match s.environment.price_basis {
        PriceBasis::Bf16 => basis::BF16,
        PriceBasis::Fp8 => basis::FP8,
        PriceBasis::Fp4 => basis::FP4,
        PriceBasis::Hbm => basis::HBM,
    };
    for (k, tier) in tiers.iter().enumerate() {
        env.sla_uptime_below[k] = tier.uptime_below as f32;
        env.sla_credit[k] = tier.credit as f32;
    }

    let mut options = Vec::with_capacity(s.options.len());
    for o in &s.options {
        let mut p = OptionParams::zeroed();
        // Whole nodes: validation refuses any other fleet, so this division is exact.
        debug_assert!(o.accelerators.is_multiple_of(u64::from(o.chips_per_node)));
        p.nodes = o.accelerators.div_ceil(u64::from(o.chips_per_node)) as u32;
        p.chips_per_node = o.chips_per_node;
        p.blast_radius_chips = o.blast_radius_chips;
        p.spare_nodes = o.spare_nodes;
        p.n_classes = o.classes.len() as u32;
        p.flags = match o.facility {
            Facility::Build => 0,
            Facility::Colo => flags::COLO,
            Facility::Rent => flags::RENT,
        };
        if o.market_priced {
            p.flags |= flags::MARKET;
        }
        p.next_gen_day = s.next_gen_day(o);
        p.dc_residual = match o.dc_residual {
            DcResidual::Use => dc_residual::USE,
            DcResidual::Book => dc_residual::BOOK,
            DcResidual::None => dc_residual::NONE,
        };
        if o.in_service {
            p.flags |= flags::IN_SERVICE;
        }
        for spec in schema::OPTION_INPUTS {
            p.inputs[spec.index] = o
                .inputs
                .get(spec.name)
                .to_spec(spec.lo, spec.hi, &mut table);
        }
        for spec in schema::JOB_INPUTS {
            let d = match &o.job {
                Some(j) => j.input(spec.name).clone(),
                // No job view: job_chips = 0 disables it; inputs sit at the range floor.
                None => Dist::Fixed { value: spec.lo },
            };
            p.inputs[spec.index] = d.to_spec(spec.lo, spec.hi, &mut table);
        }
        p.job_chips = o.job.as_ref().map_or(0, |j| j.job_chips);
        // Common random numbers: the first option with the same stream key lends its stream.
        let first = s
            .options
            .iter()
            .position(|x| x.stream == o.stream)
            .expect("the option itself");
        p.stream = 1 + first as u32;
        // Unit 0 is the whole node: stock spare_nodes, fitted in swap_hours (a sampled input),
        // a new node arrives after rma_days.
        p.n_units = 1 + o.units.len() as u32;
        if o.spare_nodes_auto {
            p.unit_auto |= 1;
        }
        let rma = &schema::RMA_DAYS;
        let rep = &schema::REPLENISH_DAYS;
        p.events[opt_ev::REPLENISH_BASE] = events.spec(&o.rma_days, rep.lo, rep.hi, &mut table);
        for (u, ut) in o.units.iter().enumerate() {
            p.unit_stock[1 + u] = ut.stock;
            if ut.stock_auto {
                p.unit_auto |= 1 << (1 + u);
            }
            p.unit_swap_hours[1 + u] = ut.swap_hours as f32;
            p.unit_cost_usd[1 + u] = ut.cost_usd as f32;
            p.events[opt_ev::REPLENISH_BASE + 1 + u] =
                events.spec(&ut.replenish_days, rep.lo, rep.hi, &mut table);
        }
        for (c, cl) in o.classes.iter().enumerate() {
            if cl.kind == FailureKind::Hard {
                p.hard_mask |= 1 << c;
                if cl.rma {
                    p.rma_mask |= 1 << c;
                }
                let unit = cl.unit.as_ref().map_or(0, |n| {
                    1 + o
                        .units
                        .iter()
                        .position(|x| &x.name == n)
                        .expect("validated")
                });
                p.class_units |= (unit as u32) << (2 * c);
                p.class_back_days[c] = super::units::back_days(cl, &o.units, &o.rma_days) as f32;
                p.events[opt_ev::RMA_BASE + c] = events.spec(
                    cl.rma_days.as_ref().unwrap_or(&o.rma_days),
                    rma.lo,
                    rma.hi,
                    &mut table,
                );
            }
            let base = opt_in::CLASS_BASE + opt_in::PER_CLASS * c;
            for spec in schema::CLASS_INPUTS {
                p.inputs[base + spec.index] = cl
                    .inputs
                    .get(spec.name)
                    .to_spec(spec.lo, spec.hi, &mut table);
            }
            let r = &schema::REPAIR_HOURS;
            p.events[opt_ev::REPAIR_BASE + c] =
                events.spec(&cl.repair_hours, r.lo, r.hi, &mut table);
        }
        options.push(p);
    }

    let mut corr = CorrParams::zeroed();
    let n_corr = s.correlations.inputs.len().min(MAX_CORR);
    if n_corr > 0 {
        let l = cholesky(&s.correlations.pearson()).expect("validated positive definite");
        for (i, row) in l.iter().enumerate().take(n_corr) {
            corr.idx[i] = s.correlations.index[i] as u32;
            for (j, v) in row.iter().enumerate().take(i + 1) {
                corr.chol[i * MAX_CORR + j] = *v as f32;
            }
        }
    }

    let run = RunParams {
        seed_lo: seed as u32,
        seed_hi: (seed >> 32) as u32,
        n_options: options.len() as u32,
        horizon_days: s.horizon_days(),
        n_years: s.horizon_years,
        n_corr: n_corr as u32,
        table_len: table.len() as u32,
        n_months: 0,
        counted_min_mean: crate::model::counted::COUNTED_MIN_MEAN,
    };
    debug_assert_eq!(env.inputs.len(), env_in::COUNT);
    let mut m = FlatModel {
        run,
        env,
        corr,
        options,
        table,
    };
    crate::model::counted::attach(&mut m);
    m
}

/// The per-event distributions flattened so far: an event distribution used again (every hard
/// class's RMA time is the option's by default, many classes share a repair time) reuses its
/// table instead of writing another copy, which keeps the tables the day step reads small
/// enough for the CPU's caches (a table is 4 KB). Same values, so the same results.
#[derive(Default)]
struct EventTables(Vec<(Dist, f64, f64, DistSpec)>);

impl EventTables {
    fn spec(&mut self, d: &Dist, lo: f64, hi: f64, table: &mut Vec<f32>) -> DistSpec {
        if let Some(e) = self.0.iter().find(|e| &e.0 == d && e.1 == lo && e.2 == hi) {
            return e.3;
        }
        let spec = d.to_event_spec(lo, hi, table);
        self.0.push((d.clone(), lo, hi, spec));
        spec
    }
}
