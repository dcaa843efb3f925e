//! Loading a whole scenario file: the `[scenario]`, `[environment]`, `[options]` and
//! `[[correlations]]` tables read and checked together into a [`Scenario`], so that `flatten`
//! can never meet a bad input. The types and the readers of the parts live in sibling modules.

use super::catalog::Catalog;
use super::correlations::read_correlations;
use super::error::{ConfigError, IssueKind, num};
use super::fields::{choice_field, date_field, dist_field, int_field, str_field, sub_table, units};
use super::option::{Budget, BudgetKind, Mode, merge_option, read_option};
use super::raw::{Issues, Node, Table, Val, join};
use super::schema;
use crate::distributions::Dist;
use crate::model::params::{MAX_OPTIONS, MAX_SLA_TIERS, MAX_YEARS};

use super::types::{
    AWS_EC2_REGION_TIERS, Environment, Facility, Inputs, PriceBasis, Scenario, SlaMode, SlaTier,
};

/// Day 0 of a scenario without `start_date`: 2026-01-01 (days from 1970-01-01).
pub const DEFAULT_START_DATE: i64 = 20_454;

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Validates a parsed scenario document against `catalog`.
pub(crate) fn build(doc: &Table, origin: &str, catalog: &Catalog) -> Result<Scenario, ConfigError> {
    let mut iss = Issues::default();
    iss.unknown_keys(
        doc,
        "",
        &["scenario", "environment", "options", "correlations"],
        &units,
    );

    // [scenario]
    let empty = Table::default();
    let st = match doc.get("scenario") {
        Some(n) => sub_table(n, "scenario", "scenario settings", &mut iss).unwrap_or(&empty),
        None => {
            iss.in_file(
                origin,
                "scenario",
                IssueKind::Missing,
                "missing required table [scenario] (with at least `name`)",
            );
            &empty
        }
    };
    iss.unknown_keys(st, "scenario", schema::SCENARIO_KEYS, &units);
    let name = match st.get("name") {
        Some(n) => {
            str_field(n, "scenario.name", "the scenario's name", &mut iss).map(str::to_string)
        }
        None => {
            if doc.has("scenario") {
                iss.in_file(
                    origin,
                    "scenario.name",
                    IssueKind::Missing,
                    "missing required field (a string)",
                );
            }
            None
        }
    };
    let description = st
        .get("description")
        .and_then(|n| str_field(n, "scenario.description", "free text", &mut iss))
        .map(str::to_string);
    let horizon_years = match st.get("horizon_years") {
        Some(n) => int_field(
            n,
            "scenario.horizon_years",
            1,
            MAX_YEARS as u64,
            "years",
            &mut iss,
        )
        .map(|v| v as u32),
        None => Some(5),
    };
    // Or a horizon in days (exactly one of the two): yearly cash flows ceil(days / 365).
    let horizon_days_given = match st.get("horizon_days") {
        None => None,
        Some(n) => {
            let d = int_field(
                n,
                "scenario.horizon_days",
                1,
                365 * MAX_YEARS as u64,
                "days",
                &mut iss,
            )
            .map(|v| v as u32);
            if st.has("horizon_years") {
                iss.at(
                    n,
                    "scenario.horizon_days",
                    IssueKind::Conflict,
                    "give the horizon once: horizon_days or horizon_years, not both",
                );
            }
            d.or(Some(365))
        }
    };
    let horizon_years = match horizon_days_given {
        Some(d) => Some(d.div_ceil(365)),
        None => horizon_years,
    };
    // The sizing rule: at most one budget (each sizes every option without `accelerators`).
    let capital = read_budget(st, "capital_budget_usd", 1e13, "USD", &mut iss);
    let power = read_budget(st, "power_budget_mw", 1e5, "MW", &mut iss);
    let budget = match (capital, power) {
        (Some((v, n)), Some((_, pn))) => {
            iss.at(pn, "scenario.power_budget_mw", IssueKind::Conflict, format!(
                "cannot be set together with capital_budget_usd (line {}): a run sizes its fleets by one rule, equal capital or equal power; remove one",
                n.line()
            ));
            // Read the options as if only the capital budget were set, so the conflict is
            // not repeated as a missing `accelerators` per option.
            Some(Budget {
                kind: BudgetKind::Capital,
                value: v,
                node: n,
            })
        }
        (Some((v, n)), None) => Some(Budget {
            kind: BudgetKind::Capital,
            value: v,
            node: n,
        }),
        (None, Some((v, n))) => Some(Budget {
            kind: BudgetKind::Power,
            value: v,
            node: n,
        }),
        (None, None) => None,
    };
    let paths = st.get("paths").and_then(|n| {
        int_field(
            n,
            "scenario.paths",
            1,
            u64::from(schema::MAX_PATHS),
            "paths",
            &mut iss,
        )
    });
    let seed = st
        .get("seed")
        .and_then(|n| int_field(n, "scenario.seed", 0, schema::MAX_SEED, "(seed)", &mut iss));

    // [environment]
    let et = match doc.get("environment") {
        Some(n) => sub_table(n, "environment", "environment inputs", &mut iss).unwrap_or(&empty),
        None => &empty,
    };
    let mut env_keys: Vec<&str> = schema::ENV_INPUTS.iter().map(|s| s.name).collect();
    env_keys.extend(["outage_hours", "sla", "sla_tiers", "price_basis"]);
    iss.unknown_keys(et, "environment", &env_keys, &units);
    let mut env = Vec::new();
    for s in schema::ENV_INPUTS {
        let d = if et.has(s.name) {
            dist_field(et, s.name, "environment", s, true, &mut iss, "")
        } else {
            s.default.dist()
        };
        env.push((s.name, d.unwrap_or(Dist::Fixed { value: 0.0 })));
    }
    let outage_hours = if et.has("outage_hours") {
        dist_field(
            et,
            "outage_hours",
            "environment",
            &schema::OUTAGE_HOURS,
            true,
            &mut iss,
            "",
        )
    } else {
        schema::OUTAGE_HOURS.default.dist()
    }
    .unwrap_or(Dist::Fixed { value: 0.0 });
    let (sla, sla_tiers) = read_sla(et, &mut iss);
    let price_basis = et
        .get("price_basis")
        .and_then(|n| choice_field(n, "environment.price_basis", &PriceBasis::CHOICES, &mut iss))
        .unwrap_or(PriceBasis::Bf16);
    // Day 0 of the horizon: dates (next_gen_date) count from it.
    let start_date = match st.get("start_date") {
        None => Some(DEFAULT_START_DATE),
        Some(n) => date_field(n, "scenario.start_date", &mut iss),
    };

    // [options]
    let mut options = Vec::new();
    let horizon_days = horizon_days_given
        .map(f64::from)
        .unwrap_or(365.0 * horizon_years.unwrap_or(5) as f64);
    match doc.get("options") {
        None => iss.in_file(origin, "options", IssueKind::Missing, format!("missing required table: at least one [options.NAME] with `hardware = \"...\"` (1 to {MAX_OPTIONS})")),
        Some(on) => {
            if let Some(ot) = sub_table(on, "options", "one sub-table per option", &mut iss) {
                if ot.entries.len() > MAX_OPTIONS {
                    iss.at(on, "options", IssueKind::TooMany, format!("at most {MAX_OPTIONS} options per scenario, got {} ({})", ot.entries.len(), ot.keys().collect::<Vec<_>>().join(", ")));
                }
                if ot.entries.is_empty() {
                    iss.at(on, "options", IssueKind::Missing, "needs at least one option");
                }
                for (oname, off, onode) in &ot.entries {
                    let op = join("options", oname);
                    if !valid_name(oname) {
                        iss.at_key(&onode.src, *off, &op, IssueKind::OutOfRange, "option names may use only letters, digits, `_` and `-`");
                    }
                    let Some(own) = sub_table(onode, &op, "one option", &mut iss) else { continue };
                    let hw = match own.get("hardware") {
                        None => {
                            iss.at_key(&onode.src, *off, &join(&op, "hardware"), IssueKind::Missing, format!(
                                "missing required field: the catalog entry to start from (one of {})", catalog.names().join(", ")
                            ));
                            continue;
                        }
                        Some(h) => match str_field(h, &join(&op, "hardware"), "a catalog entry name", &mut iss) {
                            Some(s) => (s, h),
                            None => continue,
                        },
                    };
                    let Some(entry) = catalog.entry(hw.0) else {
                        let names = catalog.names();
                        let close = names.iter().map(|n| (super::raw::edit_distance(hw.0, n), *n)).min_by_key(|x| x.0);
                        let hint = match close {
                            Some((d, n)) if d <= 3 => format!("; did you mean {n:?}?"),
                            _ => String::new(),
                        };
                        iss.at(hw.1, &join(&op, "hardware"), IssueKind::UnknownHardware, format!(
                            "unknown hardware {:?}{hint} known entries in {}: {}", hw.0, catalog.origin, names.join(", ")
                        ));
                        continue;
                    };
                    let merged = merge_option(&entry.raw, own);
                    let mode = Mode::Scenario { own, horizon_days, budget };
                    if let Some((o, _)) = read_option(oname, hw.0, &op, &merged, &mode, &mut iss) {
                        options.push(o);
                    }
                }
            }
        }
    }

    // [[correlations]]
    let written: Vec<String> = doc
        .get("options")
        .and_then(Node::table)
        .map(|t| t.keys().map(str::to_string).collect())
        .unwrap_or_default();
    let failed: Vec<String> = written
        .into_iter()
        .filter(|w| !options.iter().any(|o| &o.name == w))
        .collect();
    let correlations = read_correlations(doc, &options, &failed, origin, &mut iss);

    // Market-priced options need the performance the market prices.
    let perf = price_basis.performance_input();
    for o in &options {
        if o.market_priced && o.inputs.get(perf).mean() <= 0.0 {
            iss.in_file(origin, &join(&join("options", &o.name), perf), IssueKind::Missing, format!(
                "option `{}` is priced by the market per unit of {perf} (price_basis = \"{}\"), but its {perf} is 0 (not published for {}); set it, choose another price_basis, or give explicit reserved_usd_per_chip_hour and on_demand_usd_per_chip_hour",
                o.name, price_basis.name(), if o.hardware.is_empty() { &o.name } else { &o.hardware }
            ));
        }
        if o.facility == Facility::Rent && o.inputs.get("rent_usd_per_chip_hour").mean() <= 0.0 {
            iss.in_file(origin, &join(&join("options", &o.name), "rent_usd_per_chip_hour"), IssueKind::Missing, format!(
                "option `{}` is rented (facility = \"rent\") but has no rent_usd_per_chip_hour; set the committed price (USD per chip-hour, allowed range [0, 1000])", o.name
            ));
        }
    }
    if !iss.is_empty() {
        return Err(ConfigError::Invalid(iss.list));
    }
    Ok(Scenario {
        name: name.expect("checked"),
        description,
        origin: origin.to_string(),
        catalog: catalog.origin.clone(),
        horizon_years: horizon_years.expect("checked"),
        capital_budget_usd: capital.map(|b| b.0),
        power_budget_mw: power.map(|b| b.0),
        paths,
        seed,
        start_date: start_date.unwrap_or(DEFAULT_START_DATE),
        environment: Environment {
            inputs: Inputs(env),
            outage_hours,
            sla,
            sla_tiers,
            price_basis,
        },
        options,
        correlations,
        horizon_days_given,
    })
}

/// A fixed budget `[scenario] KEY` (a plain number in (0, `hi`] `unit`, no distribution), with
/// its node for error messages; `None` when absent or invalid (the issue recorded).
fn read_budget<'a>(
    st: &'a Table,
    key: &str,
    hi: f64,
    unit: &str,
    iss: &mut Issues,
) -> Option<(f64, &'a Node)> {
    let n = st.get(key)?;
    let path = join("scenario", key);
    match &n.v {
        Val::Int(_) | Val::Float(_) => {
            let v = n.number().unwrap_or(f64::NAN);
            if v.is_finite() && v > 0.0 && v <= hi {
                return Some((v, n));
            }
            iss.at(
                n,
                &path,
                IssueKind::OutOfRange,
                format!(
                    "must be > 0 and <= {} (allowed range (0, {}] {unit}), got {}",
                    num(hi),
                    num(hi),
                    num(v)
                ),
            );
        }
        _ => iss.at(
            n,
            &path,
            IssueKind::WrongType,
            format!(
                "expected a number in {unit} (a fixed budget, no distribution), got {}",
                n.described()
            ),
        ),
    }
    None
}

/// `[environment] sla` (`"daily"`, the default, or `"monthly"`) and, for the monthly SLA,
/// `sla_tiers` (default: Amazon EC2's region-level tiers): at most `MAX_SLA_TIERS` tables
/// `{ uptime_below, credit }`, `uptime_below` in (0, 1] strictly descending, `credit` in [0, 1].
fn read_sla(et: &Table, iss: &mut Issues) -> (SlaMode, Vec<SlaTier>) {
    let mode = et
        .get("sla")
        .and_then(|n| choice_field(n, "environment.sla", &SlaMode::CHOICES, iss))
        .unwrap_or(SlaMode::Daily);
    let Some(tn) = et.get("sla_tiers") else {
        let tiers = match mode {
            SlaMode::Monthly => AWS_EC2_REGION_TIERS.to_vec(),
            SlaMode::Daily => Vec::new(),
        };
        return (mode, tiers);
    };
    if mode != SlaMode::Monthly {
        iss.at(
            tn,
            "environment.sla_tiers",
            IssueKind::Conflict,
            "applies only with sla = \"monthly\" (the daily SLA uses sla_credit_fraction); set sla = \"monthly\" or remove it",
        );
        return (mode, Vec::new());
    }
    let Val::Array(items) = &tn.v else {
        iss.at(
            tn,
            "environment.sla_tiers",
            IssueKind::WrongType,
            format!(
                "expected an array of tables {{ uptime_below = ..., credit = ... }}, got {}",
                tn.described()
            ),
        );
        return (mode, Vec::new());
    };
    if items.is_empty() || items.len() > MAX_SLA_TIERS {
        iss.at(
            tn,
            "environment.sla_tiers",
            IssueKind::TooMany,
            format!("needs 1 to {MAX_SLA_TIERS} tiers, got {}", items.len()),
        );
        return (mode, Vec::new());
    }
    let mut tiers = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("environment.sla_tiers[{i}]");
        let Some(t) = sub_table(item, &p, "one tier { uptime_below, credit }", iss) else {
            continue;
        };
        iss.unknown_keys(t, &p, &["uptime_below", "credit"], &units);
        let mut get = |key: &str, lo: f64, lo_open: bool, what: &str| -> Option<f64> {
            let kp = join(&p, key);
            let Some(n) = t.get(key) else {
                iss.at(
                    item,
                    &kp,
                    IssueKind::Missing,
                    format!("missing required field ({what})"),
                );
                return None;
            };
            let Some(v) = n.number() else {
                iss.at(
                    n,
                    &kp,
                    IssueKind::WrongType,
                    format!(
                        "expected a number ({what}; fixed, no distribution), got {}",
                        n.described()
                    ),
                );
                return None;
            };
            let ok = v.is_finite() && v <= 1.0 && (v > lo || (!lo_open && v == lo));
            if !ok {
                let range = if lo_open { "(0, 1]" } else { "[0, 1]" };
                iss.at(
                    n,
                    &kp,
                    IssueKind::OutOfRange,
                    format!(
                        "must be in {range} (allowed range {range} fraction), got {}",
                        num(v)
                    ),
                );
                return None;
            }
            Some(v)
        };
        let u = get("uptime_below", 0.0, true, "monthly uptime fraction");
        let c = get("credit", 0.0, false, "share of the month's revenue");
        if let (Some(uptime_below), Some(credit)) = (u, c) {
            if let Some(prev) = tiers.last().map(|x: &SlaTier| x.uptime_below)
                && uptime_below >= prev
            {
                iss.at(
                    item,
                    &join(&p, "uptime_below"),
                    IssueKind::Conflict,
                    format!(
                        "tiers must be in descending uptime_below order: {} is not below the previous tier's {}",
                        num(uptime_below),
                        num(prev)
                    ),
                );
            }
            tiers.push(SlaTier {
                uptime_below,
                credit,
            });
        }
    }
    (mode, tiers)
}
