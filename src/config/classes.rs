//! Reading the failure classes of one option: kind, rate (per chip or per node), infant period
//! repair time and repair logistics (unit, RMA) of each `[failures.CLASS]`, and the class count
//! limit.

use super::error::{IssueKind, num};
use super::fields::{check_range, dist_field, parse_dist, range_text, str_field, sub_table, units};
use super::raw::{Issues, Table, Val, join};
use super::schema;
use super::types::{FailureClass, FailureKind, Inputs};
use crate::distributions::Dist;
use crate::model::params::{MAX_CLASSES, opt_in};

/// The repair logistics of class table `ct`: its unit (`None` = the whole node), whether the
/// failed unit goes on an RMA round trip (default yes), and its own RMA time. Only hard classes
/// consume a unit, so a soft class may not set them.
fn read_logistics(
    ct: &Table,
    cp: &str,
    kind: Option<FailureKind>,
    iss: &mut Issues,
) -> Option<(Option<String>, bool, Option<Dist>)> {
    let before = iss.list.len();
    if kind == Some(FailureKind::Soft) {
        for k in ["unit", "rma", "rma_days"] {
            if let Some(n) = ct.get(k) {
                iss.at(n, &join(cp, k), IssueKind::Conflict, "only a hard failure consumes a replaceable unit; remove it or set kind = \"hard\"");
            }
        }
    }
    let unit = match ct.get("unit") {
        None => None,
        Some(n) => match str_field(
            n,
            &join(cp, "unit"),
            "\"node\" or the name of one of the option's units",
            iss,
        ) {
            Some("node") => None,
            Some(u) => Some(u.to_string()),
            None => None,
        },
    };
    let rma = match ct.get("rma") {
        None => true,
        Some(n) => match n.v {
            Val::Bool(b) => b,
            _ => {
                iss.at(
                    n,
                    &join(cp, "rma"),
                    IssueKind::WrongType,
                    format!("expected true or false, got {}", n.show()),
                );
                true
            }
        },
    };
    let rma_days = if ct.has("rma_days") {
        dist_field(ct, "rma_days", cp, &schema::RMA_DAYS, true, iss, "")
    } else {
        None
    };
    (iss.list.len() == before).then_some((unit, rma, rma_days))
}

/// Reads the `failures` table of option `t`; `cpn` converts per-chip rates (none: skipped).
pub(super) fn read_classes(
    t: &Table,
    path: &str,
    cpn: Option<u64>,
    iss: &mut Issues,
) -> Option<Vec<FailureClass>> {
    let Some(fnode) = t.get("failures") else {
        return Some(Vec::new());
    };
    let fp = join(path, "failures");
    let ft = sub_table(fnode, &fp, "failure classes, one sub-table each", iss)?;
    let before = iss.list.len();
    let mut out = Vec::new();
    for (cname, off, cn) in &ft.entries {
        let cp = join(&fp, cname);
        let Some(ct) = sub_table(cn, &cp, "one failure class", iss) else {
            continue;
        };
        if let Some(en) = ct.get("enabled") {
            match en.v {
                Val::Bool(false) => continue,
                Val::Bool(true) => {}
                _ => {
                    iss.at(
                        en,
                        &join(&cp, "enabled"),
                        IssueKind::WrongType,
                        format!("expected true or false, got {}", en.show()),
                    );
                    continue;
                }
            }
        }
        iss.unknown_keys(ct, &cp, schema::CLASS_KEYS, &units);
        let kind = match ct.get("kind") {
            None => {
                iss.at_key(
                    &cn.src,
                    *off,
                    &join(&cp, "kind"),
                    IssueKind::Missing,
                    "missing required field: \"hard\" (part swap) or \"soft\" (reset)",
                );
                None
            }
            Some(kn) => match str_field(kn, &join(&cp, "kind"), "\"hard\" or \"soft\"", iss) {
                Some("hard") => Some(FailureKind::Hard),
                Some("soft") => Some(FailureKind::Soft),
                Some(o) => {
                    iss.at(
                        kn,
                        &join(&cp, "kind"),
                        IssueKind::OutOfRange,
                        format!("must be \"hard\" or \"soft\", got {o:?}"),
                    );
                    None
                }
                None => None,
            },
        };
        let spec = &schema::CLASS_INPUTS[opt_in::CLASS_RATE];
        let rate = match (
            ct.get("rate_per_chip_day"),
            ct.get("rate_per_node_day"),
            cpn,
        ) {
            (Some(_), Some(nn), _) => {
                iss.at(
                    nn,
                    &join(&cp, "rate_per_node_day"),
                    IssueKind::Conflict,
                    "set exactly one of rate_per_chip_day and rate_per_node_day, not both",
                );
                None
            }
            (None, None, _) => {
                iss.at_key(
                    &cn.src,
                    *off,
                    &join(&cp, "rate_per_chip_day"),
                    IssueKind::Missing,
                    "missing required field: rate_per_chip_day or rate_per_node_day",
                );
                None
            }
            (Some(cnode), None, Some(c)) => {
                let p = join(&cp, "rate_per_chip_day");
                parse_dist(cnode, &p, "per chip-day", iss).and_then(|d| {
                    let range = format!(
                        "allowed range [0, 1] per node-day = [0, {}] per chip-day at {c} chips per node",
                        num(1.0 / c as f64)
                    );
                    check_range(cnode, &p, &d, c as f64, (spec.lo, spec.hi, &range), iss).then(|| d.scaled(c as f64))
                })
            }
            (None, Some(nnode), _) => {
                let p = join(&cp, "rate_per_node_day");
                parse_dist(nnode, &p, spec.unit, iss).filter(|d| {
                    check_range(
                        nnode,
                        &p,
                        d,
                        1.0,
                        (spec.lo, spec.hi, &range_text(spec)),
                        iss,
                    )
                })
            }
            (Some(_), None, None) => None,
        };
        // The other class inputs: as written, else their built-in default.
        let mut inputs = vec![(spec.name, rate)];
        for s in &schema::CLASS_INPUTS[opt_in::CLASS_RATE + 1..] {
            let d = if ct.has(s.name) {
                dist_field(ct, s.name, &cp, s, true, iss, "")
            } else {
                s.default.dist()
            };
            inputs.push((s.name, d));
        }
        let repair = match ct.get("repair_hours") {
            Some(_) => dist_field(
                ct,
                "repair_hours",
                &cp,
                &schema::REPAIR_HOURS,
                true,
                iss,
                "",
            ),
            None => {
                iss.at_key(
                    &cn.src,
                    *off,
                    &join(&cp, "repair_hours"),
                    IssueKind::Missing,
                    "missing required field (hours per event)",
                );
                None
            }
        };
        let logistics = read_logistics(ct, &cp, kind, iss);
        let inputs: Option<Vec<(&'static str, Dist)>> =
            inputs.into_iter().map(|(k, d)| d.map(|d| (k, d))).collect();
        if let (Some(kind), Some(inputs), Some(rep), Some((unit, rma, rma_days))) =
            (kind, inputs, repair, logistics)
        {
            out.push(FailureClass {
                name: cname.clone(),
                kind,
                inputs: Inputs(inputs),
                repair_hours: rep,
                unit,
                rma,
                rma_days,
            });
        }
    }
    let enabled = ft
        .entries
        .iter()
        .filter(|e| {
            !matches!(
                e.2.table().and_then(|t| t.get("enabled")).map(|n| &n.v),
                Some(Val::Bool(false))
            )
        })
        .count();
    if enabled > MAX_CLASSES {
        iss.at(fnode, &fp, IssueKind::TooMany, format!("at most {MAX_CLASSES} failure classes per option, got {enabled}; merge some or drop one with `enabled = false`"));
    }
    (iss.list.len() == before).then_some(out)
}
