//! Reading the replaceable unit types of one option (`[units.NAME]`: on-site stock, unit cost,
//! fitting time, replenishment lead time), checking that every class names a known unit, and
//! sizing a `stock = "auto"` pool from its replenishment pipeline.

use super::error::IssueKind;
use super::fields::{dist_field, int_field, str_field, sub_table, units as unit_of};
use super::raw::{Issues, Node, Table, Val, join};
use super::schema::{self, FieldSpec};
use super::types::{FailureClass, UnitType};
use crate::distributions::Dist;
use crate::model::params::MAX_UNITS;

/// A plain number in `spec`'s range (unit types take numbers, not distributions, for these).
fn plain_number(t: &Table, path: &str, spec: &FieldSpec, iss: &mut Issues) -> Option<f64> {
    let p = join(path, spec.name);
    let Some(n) = t.get(spec.name) else {
        iss.in_file(
            &super::fields::table_file(t, iss),
            &p,
            IssueKind::Missing,
            format!("missing required field (a number in {})", spec.unit),
        );
        return None;
    };
    match n.number() {
        Some(x) if x.is_finite() && (spec.lo..=spec.hi).contains(&x) => Some(x),
        Some(x) => {
            iss.at(
                n,
                &p,
                IssueKind::OutOfRange,
                format!(
                    "must be in [{}, {}] {}, got {}",
                    super::error::num(spec.lo),
                    super::error::num(spec.hi),
                    spec.unit,
                    super::error::num(x)
                ),
            );
            None
        }
        None => {
            iss.at(
                n,
                &p,
                IssueKind::WrongType,
                format!(
                    "expected a number in {} (this field takes no distribution), got {}",
                    spec.unit,
                    n.described()
                ),
            );
            None
        }
    }
}

/// Reads the `units` table of option `t` (absent: no unit types, every hard failure consumes a
/// whole node).
pub(super) fn read_units(t: &Table, path: &str, iss: &mut Issues) -> Option<Vec<UnitType>> {
    let Some(unode) = t.get("units") else {
        return Some(Vec::new());
    };
    let up = join(path, "units");
    let ut = sub_table(
        unode,
        &up,
        "replaceable unit types, one sub-table each",
        iss,
    )?;
    let before = iss.list.len();
    let mut out = Vec::new();
    for (uname, _, un) in &ut.entries {
        let p = join(&up, uname);
        if uname == "node" {
            iss.at(un, &p, IssueKind::Conflict, "`node` is the built-in unit of a whole node (its stock is spare_nodes, its fitting time swap_hours, its lead time rma_days); name this unit otherwise");
            continue;
        }
        let Some(t) = sub_table(un, &p, "one replaceable unit type", iss) else {
            continue;
        };
        iss.unknown_keys(t, &p, schema::UNIT_KEYS, &unit_of);
        let description = t
            .get("description")
            .and_then(|n| str_field(n, &join(&p, "description"), "free text", iss))
            .unwrap_or("")
            .to_string();
        let (key, lo, hi, unit) = schema::UNIT_STOCK;
        let mut stock_auto = false;
        let stock = match t.get(key) {
            None => Some(0),
            Some(n) if matches!(&n.v, Val::Str(s) if s == "auto") => {
                stock_auto = true;
                Some(0)
            }
            Some(n) if matches!(&n.v, Val::Str(_)) => {
                iss.at(
                    n,
                    &join(&p, key),
                    IssueKind::WrongType,
                    format!(
                        "expected an integer number of units or \"auto\" (the {} % quantile of the replenishment pipeline), got {}",
                        AUTO_FILL_RATE * 100.0,
                        n.show()
                    ),
                );
                None
            }
            Some(n) => int_field(n, &join(&p, key), lo, hi, unit, iss),
        };
        let cost = plain_number(t, &p, &schema::UNIT_COST_USD, iss);
        let swap = plain_number(t, &p, &schema::UNIT_SWAP_HOURS, iss);
        let replenish = dist_field(
            t,
            "replenish_days",
            &p,
            &schema::REPLENISH_DAYS,
            true,
            iss,
            "",
        );
        if let (Some(stock), Some(cost_usd), Some(swap_hours), Some(replenish_days)) =
            (stock, cost, swap, replenish)
        {
            out.push(UnitType {
                name: uname.clone(),
                description,
                stock: stock as u32,
                stock_auto,
                cost_usd,
                swap_hours,
                replenish_days,
            });
        }
    }
    if ut.entries.len() > MAX_UNITS - 1 {
        iss.at(
            unode,
            &up,
            IssueKind::TooMany,
            format!(
                "at most {} unit types per option besides the whole node, got {}; merge some",
                MAX_UNITS - 1,
                ut.entries.len()
            ),
        );
    }
    (iss.list.len() == before).then_some(out)
}

/// Checks that every class's `unit` names one of `units`, blaming the class's `unit` key.
pub(super) fn check_class_units(
    t: &Table,
    path: &str,
    classes: &[FailureClass],
    units: &[UnitType],
    iss: &mut Issues,
) {
    for c in classes {
        let Some(u) = &c.unit else { continue };
        if units.iter().any(|x| &x.name == u) {
            continue;
        }
        let node: Option<&Node> = t
            .get("failures")
            .and_then(Node::table)
            .and_then(|f| f.get(&c.name))
            .and_then(Node::table)
            .and_then(|ct| ct.get("unit"));
        let known: Vec<&str> = std::iter::once("node")
            .chain(units.iter().map(|x| x.name.as_str()))
            .collect();
        let msg = format!(
            "unknown unit {u:?}: the option's units are {} (declare it under [{}.{u}])",
            known.join(", "),
            join(path, "units")
        );
        let p = join(&join(&join(path, "failures"), &c.name), "unit");
        match node {
            Some(n) => iss.at(n, &p, IssueKind::Conflict, msg),
            None => iss.in_file(
                &super::fields::table_file(t, iss),
                &p,
                IssueKind::Conflict,
                msg,
            ),
        }
    }
}

pub use crate::model::sample::AUTO_FILL_RATE;

/// Mean days a failed unit of class `c` takes back into stock: its RMA round trip, or its
/// unit's restock time.
pub(super) fn back_days(c: &FailureClass, units: &[UnitType], option_rma: &Dist) -> f64 {
    if c.rma {
        return c.rma_days.as_ref().unwrap_or(option_rma).mean();
    }
    match &c.unit {
        Some(n) => units
            .iter()
            .find(|u| &u.name == n)
            .map_or(0.0, |u| u.replenish_days.mean()),
        None => option_rma.mean(),
    }
}

/// Mean units in the replenishment pipeline of the pool that the hard classes with unit `unit`
/// (`None`: the whole node) draw from, for `nodes` nodes at the classes' mean rates: the sum of
/// mean failures per day x mean days back.
fn pipeline(
    unit: Option<&str>,
    nodes: f64,
    classes: &[FailureClass],
    units: &[UnitType],
    option_rma: &Dist,
) -> f64 {
    classes
        .iter()
        .filter(|c| c.kind == super::types::FailureKind::Hard && c.unit.as_deref() == unit)
        .map(|c| c.rate_per_node_day().mean() * nodes * back_days(c, units, option_rma))
        .sum()
}

/// The size of an auto node pool (`spare_nodes = "auto"`) for `nodes` nodes at the classes'
/// mean rates.
pub(super) fn node_pool_stock(
    nodes: f64,
    classes: &[FailureClass],
    units: &[UnitType],
    option_rma: &Dist,
) -> u32 {
    crate::model::sample::auto_stock::<f64>(pipeline(None, nodes, classes, units, option_rma))
}

/// Resolves every `stock = "auto"` unit of an option of `nodes` nodes at the classes' mean
/// rates (what the budget sizing and the printed fleet use; the engines size the pool again on
/// every path from its sampled rates, `model::sample::auto_stock`).
pub(super) fn resolve_auto_stock(
    units: &mut [UnitType],
    nodes: f64,
    classes: &[FailureClass],
    option_rma: &Dist,
) {
    for i in 0..units.len() {
        if units[i].stock_auto {
            let name = units[i].name.clone();
            let mu = pipeline(Some(&name), nodes, classes, units, option_rma);
            units[i].stock = crate::model::sample::auto_stock::<f64>(mu);
        }
    }
}
