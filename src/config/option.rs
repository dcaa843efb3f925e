//! Reading one option or catalog entry: its fields, fleet size (given, or sized from the
//! capital or the power budget), structure checks and job view, and merging scenario overrides
//! over a catalog entry.

use super::classes::read_classes;
use super::error::{IssueKind, num};
use super::fields::{
    choice_field, date_field, dist_field, int_field, str_field, sub_table, table_file, units,
};
use super::job::{JobDefaults, read_job, read_job_defaults};
use super::raw::{Issues, Node, Table, Val, join};
use super::schema;
use super::types::{DcResidual, Facility, Inputs, OptionConfig};
use super::units::{check_class_units, node_pool_stock, read_units, resolve_auto_stock};

/// Which `[scenario]` budget sizes the options without `accelerators`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BudgetKind {
    /// `capital_budget_usd`: servers, spares and data-centre build.
    Capital,
    /// `power_budget_mw`: facility power of the nodes in service (spares draw none).
    Power,
}

impl BudgetKind {
    /// The `[scenario]` key.
    fn key(self) -> &'static str {
        match self {
            BudgetKind::Capital => "capital_budget_usd",
            BudgetKind::Power => "power_budget_mw",
        }
    }
}

/// The scenario's one sizing budget: its kind, value and node (for error messages).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget<'a> {
    /// Capital or power.
    pub kind: BudgetKind,
    /// USD or MW.
    pub value: f64,
    /// Where it is written.
    pub node: &'a Node,
}

/// How an option table is read.
pub(crate) enum Mode<'a> {
    /// A catalog entry: no `accelerators`, job fields optional defaults.
    Catalog,
    /// A scenario option: the merged table plus the scenario's own table (for "set explicitly").
    Scenario {
        /// The option's table as written in the scenario (before merging).
        own: &'a Table,
        /// `365 * horizon_years`.
        horizon_days: f64,
        /// `[scenario] capital_budget_usd` or `power_budget_mw`, if one is set.
        budget: Option<Budget<'a>>,
    },
}

/// The node to blame for a combination error: `n` itself when the scenario wrote it, else the
/// option's `hardware` key in the scenario (the value came from the catalog), with a note.
fn blame(n: &Node, mode: &Mode<'_>) -> (Node, String) {
    if let Mode::Scenario { own, .. } = mode
        && let Some(h) = own.get("hardware")
        && !std::sync::Arc::ptr_eq(&h.src, &n.src)
    {
        return (
            h.clone(),
            format!(" [value from {} line {}]", n.src.name, n.line()),
        );
    }
    (n.clone(), String::new())
}

/// Reads and validates one option. `t` is the merged table (catalog entry + scenario overrides).
pub(crate) fn read_option(
    name: &str,
    hardware: &str,
    path: &str,
    t: &Table,
    mode: &Mode<'_>,
    iss: &mut Issues,
) -> Option<(OptionConfig, JobDefaults)> {
    let catalog = matches!(mode, Mode::Catalog);
    let hint = if catalog {
        String::new()
    } else {
        format!("; the catalog entry `{hardware}` should give it")
    };
    let before = iss.list.len();
    // File to blame for a missing key: the scenario for scenario options.
    let own_file = match mode {
        Mode::Scenario { own, .. } => table_file(own, iss),
        Mode::Catalog => table_file(t, iss),
    };
    let mut known = schema::option_keys();
    if catalog {
        known.retain(|k| *k != "accelerators" && *k != "hardware");
    }
    iss.unknown_keys(t, path, &known, &units);

    let description = match t.get("description") {
        Some(n) => str_field(n, &join(path, "description"), "free text", iss)
            .unwrap_or("")
            .to_string(),
        None => String::new(),
    };
    let facility = match t.get("facility") {
        None => Some(Facility::Build),
        Some(n) => choice_field(n, &join(path, "facility"), &Facility::CHOICES, iss),
    };
    let dc_residual = match t.get("dc_residual") {
        None => Some(DcResidual::Use),
        Some(n) => choice_field(n, &join(path, "dc_residual"), &DcResidual::CHOICES, iss),
    };
    let next_gen_date = match t.get("next_gen_date") {
        None => Some(None),
        Some(n) => date_field(n, &join(path, "next_gen_date"), iss).map(Some),
    };
    // Explicit prices come as a pair; without them the option is priced by the market.
    let explicit = ["reserved_usd_per_chip_hour", "on_demand_usd_per_chip_hour"].map(|k| t.has(k));
    if explicit[0] != explicit[1] {
        let (set, unset) = if explicit[0] {
            ("reserved_usd_per_chip_hour", "on_demand_usd_per_chip_hour")
        } else {
            ("on_demand_usd_per_chip_hour", "reserved_usd_per_chip_hour")
        };
        let (n, note) = blame(t.get(set).expect("present"), mode);
        iss.at(&n, &join(path, set), IssueKind::Conflict, format!(
            "explicit prices come as a pair: set {unset} too, or remove {set} to price the option from the compute market (market_usd_per_pflop_hour x performance x (1 + price_premium)){note}"
        ));
    }
    let market_priced = !explicit[0] && !explicit[1];
    let in_service = match t.get("in_service") {
        None => Some(false),
        Some(n) => match &n.v {
            Val::Bool(b) => Some(*b),
            _ => {
                iss.at(
                    n,
                    &join(path, "in_service"),
                    IssueKind::WrongType,
                    format!(
                        "expected true or false (a fleet already in service at day 0), got {}",
                        n.described()
                    ),
                );
                None
            }
        },
    };
    let int = |key: &str, iss: &mut Issues| -> Option<Option<u64>> {
        let (_, lo, hi, unit) = schema::OPTION_INTS.iter().find(|i| i.0 == key).copied()?;
        match t.get(key) {
            None => Some(None),
            Some(n) => int_field(n, &join(path, key), lo, hi, unit, iss).map(Some),
        }
    };
    let cpn = match int("chips_per_node", iss) {
        Some(Some(v)) => Some(v),
        Some(None) => {
            iss.in_file(
                &own_file,
                &join(path, "chips_per_node"),
                IssueKind::Missing,
                format!("missing required field (integer chips per node){hint}"),
            );
            None
        }
        None => None,
    };
    // `spare_nodes = "auto"`: the node pool sized like an auto unit pool (the classes that
    // consume a whole node).
    let spare_auto = matches!(t.get("spare_nodes").map(|n| &n.v), Some(Val::Str(s)) if s == "auto");
    let mut spare = if spare_auto {
        Some(0)
    } else {
        int("spare_nodes", iss).map(|v| v.unwrap_or(0))
    };
    let blast = int("blast_radius_chips", iss);

    // Sampled inputs.
    let mut inputs = Vec::new();
    let mut inputs_ok = true;
    for s in schema::OPTION_INPUTS {
        // A field with a built-in default may be left out (the economics lines default to 0).
        let given = if t.has(s.name) {
            dist_field(t, s.name, path, s, true, iss, &hint)
        } else {
            s.default
                .dist()
                .or_else(|| dist_field(t, s.name, path, s, true, iss, &hint))
        };
        match given {
            Some(d) => inputs.push((s.name, d)),
            None => inputs_ok = false,
        }
    }
    let rma = dist_field(t, "rma_days", path, &schema::RMA_DAYS, true, iss, &hint);

    // Failure classes (need chips_per_node to convert per-chip rates) and unit types.
    let classes = read_classes(t, path, cpn, iss);
    let mut units = read_units(t, path, iss);
    if let (Some(cl), Some(un)) = (&classes, &units) {
        check_class_units(t, path, cl, un, iss);
    }
    let stream = match t.get("stream") {
        None => Some(if hardware.is_empty() { name } else { hardware }.to_string()),
        Some(n) => str_field(
            n,
            &join(path, "stream"),
            "a stream key: options with the same key share their random streams",
            iss,
        )
        .map(str::to_string),
    };

    // Accelerators.
    let mut accelerators = 0u64;
    let mut from_budget = false;
    if let Mode::Scenario { own, budget, .. } = mode {
        let acc_node = own.get("accelerators");
        match (budget, acc_node) {
            // A rented fleet has neither capex nor a facility of its own for a budget to size:
            // it gives its chips, budget or not.
            (Some(_), Some(an)) if facility == Some(Facility::Rent) => {
                if let Some(v) = int_field(
                    an,
                    &join(path, "accelerators"),
                    1,
                    schema::MAX_ACCELERATORS,
                    "chips",
                    iss,
                ) {
                    accelerators = v;
                }
            }
            (Some(bu), Some(an)) => {
                iss.at(an, &join(path, "accelerators"), IssueKind::Conflict, format!(
                    "cannot be set together with [scenario] {} (line {}), which sizes every option; remove one",
                    bu.kind.key(),
                    bu.node.line()
                ));
            }
            (None, None) => {
                iss.in_file(&own_file, &join(path, "accelerators"), IssueKind::Missing,
                    "missing required field (integer chips); or set [scenario] capital_budget_usd or power_budget_mw to size every option".to_string());
            }
            (None, Some(an)) => {
                if let Some(v) = int_field(
                    an,
                    &join(path, "accelerators"),
                    1,
                    schema::MAX_ACCELERATORS,
                    "chips",
                    iss,
                ) {
                    accelerators = v;
                }
            }
            (Some(bu), None) => {
                let (b, bn) = (&bu.value, bu.node);
                let key = join("scenario", bu.kind.key());
                let sized = match (cpn, spare, inputs_ok, facility, bu.kind) {
                    (Some(c), _, true, Some(f), BudgetKind::Power) => {
                        // Spares draw no power, so the auto stock does not change the fleet.
                        Some(size_by_power(*b, c, f, &Inputs(inputs.clone())))
                    }
                    (Some(c), Some(mut sp), true, Some(f), BudgetKind::Capital) => {
                        let inp = Inputs(inputs.clone());
                        // Auto-sized stock depends on the fleet the budget buys, and costs part of
                        // the budget: size without it, size the stock for that fleet, size again
                        // (the stock is a fraction of a percent of the budget, so once is enough).
                        let stock_cost = |units: &Option<Vec<super::types::UnitType>>| -> f64 {
                            units
                                .iter()
                                .flatten()
                                .map(|u| f64::from(u.stock) * u.cost_usd)
                                .sum()
                        };
                        let mut sized = size_by_budget(*b, c, sp, stock_cost(&units), f, &inp);
                        if let (Ok(a), Some(un), Some(cl), Some(r)) =
                            (&sized, units.as_mut(), classes.as_ref(), rma.as_ref())
                            && (spare_auto || un.iter().any(|u| u.stock_auto))
                        {
                            let nodes = (*a / c) as f64;
                            resolve_auto_stock(un, nodes, cl, r);
                            if spare_auto {
                                sp = u64::from(node_pool_stock(nodes, cl, un, r));
                            }
                            sized = size_by_budget(*b, c, sp, stock_cost(&units), f, &inp);
                        }
                        Some(sized)
                    }
                    _ => None,
                };
                match sized {
                    Some(Ok(a)) if a <= schema::MAX_ACCELERATORS => {
                        accelerators = a;
                        from_budget = true;
                    }
                    Some(Ok(a)) => iss.at(bn, &key, IssueKind::OutOfRange, format!(
                        "sizes option `{name}` to {a} accelerators, above the maximum {}; lower the budget", schema::MAX_ACCELERATORS
                    )),
                    Some(Err(m)) => iss.at(bn, &key, IssueKind::Conflict, format!("option `{name}`: {m}")),
                    None => {}
                }
            }
        }
    }

    // Auto-sized unit stock for the fleet as resolved.
    if accelerators > 0
        && let (Some(c), Some(un), Some(cl), Some(r)) =
            (cpn, units.as_mut(), classes.as_ref(), rma.as_ref())
    {
        let nodes = accelerators.div_ceil(c) as f64;
        resolve_auto_stock(un, nodes, cl, r);
        if spare_auto {
            spare = Some(u64::from(node_pool_stock(nodes, cl, un, r)));
        }
    }

    // Structure checks. A fleet is whole nodes (ordered, delivered, powered and failed a node
    // at a time): a written size that is not is an error naming the nearest valid sizes, never
    // rounded up behind the planner's back (a budget always sizes whole nodes).
    let mut whole_nodes = true;
    if let (Some(c), Mode::Scenario { own, .. }) = (cpn, mode)
        && accelerators > 0
        && !accelerators.is_multiple_of(c)
        && let Some(an) = own.get("accelerators")
    {
        whole_nodes = false;
        let source = if own.has("chips_per_node") {
            String::new()
        } else {
            format!(", from the catalog entry `{hardware}`")
        };
        iss.at(
            an,
            &join(path, "accelerators"),
            IssueKind::Conflict,
            not_whole_nodes(accelerators, c, &source, schema::MAX_ACCELERATORS),
        );
    }
    let mut blast_radius = 0u64;
    if let Some(c) = cpn {
        blast_radius = match blast {
            Some(Some(b)) => b,
            _ => c,
        };
        if let Some(Some(b)) = blast {
            let (n, note) = blame(t.get("blast_radius_chips").expect("present"), mode);
            if b % c != 0 {
                iss.at(&n, &join(path, "blast_radius_chips"), IssueKind::Conflict, format!(
                    "must be a multiple of chips_per_node = {c} (a failure stops whole nodes), got {b}{note}"
                ));
            } else if accelerators > 0 && whole_nodes && b > accelerators {
                iss.at(
                    &n,
                    &join(path, "blast_radius_chips"),
                    IssueKind::Conflict,
                    format!("must be <= accelerators = {accelerators}, got {b}{note}"),
                );
            }
        }
    }

    let inputs = Inputs(inputs);
    if let (
        Mode::Scenario {
            own, horizon_days, ..
        },
        true,
    ) = (mode, inputs_ok)
    {
        let m = inputs.get("delivery_delay_days").median();
        if m >= *horizon_days && in_service != Some(true) {
            let (n, note) = blame(t.get("delivery_delay_days").expect("present"), mode);
            iss.at(&n, &join(path, "delivery_delay_days"), IssueKind::Conflict, format!(
                "median {} days is not before the end of the {}-day horizon: the fleet would mostly never arrive; shorten the delay or lengthen horizon_years{note}",
                num(m), num(*horizon_days)
            ));
        }
        let build = inputs.get("dc_build_months").median() * 365.0 / 12.0;
        if facility == Some(Facility::Build) && in_service != Some(true) && build >= *horizon_days {
            let (n, note) = blame(t.get("dc_build_months").expect("present"), mode);
            iss.at(&n, &join(path, "dc_build_months"), IssueKind::Conflict, format!(
                "median {} months of data-centre build is not before the end of the {}-day horizon: the fleet would mostly never be energised; shorten the build or lengthen horizon_years{note}",
                num(inputs.get("dc_build_months").median()), num(*horizon_days)
            ));
        }
        if facility == Some(Facility::Colo)
            && let Some(n) = own.get("dc_capex_per_mw_usd")
        {
            iss.at(n, &join(path, "dc_capex_per_mw_usd"), IssueKind::Conflict,
                "cannot be set for a colo facility (the lease `colo_usd_per_kw_month` replaces data-centre capex); remove it or set facility = \"build\"");
        }
    }

    // Job view.
    let mut job = None;
    let mut job_defaults = Vec::new();
    if let Some(jn) = t.get("job") {
        let jp = join(path, "job");
        if let Some(jt) = sub_table(jn, &jp, "the training-job view", iss) {
            if catalog {
                job_defaults = read_job_defaults(jt, &jp, iss);
            } else if let (Some(c), Some(cl)) = (cpn, classes.as_ref()) {
                job = read_job(jt, jn, &jp, accelerators, c, cl, iss);
            }
        }
    }

    if iss.list.len() > before {
        return None;
    }
    Some((
        OptionConfig {
            name: name.to_string(),
            hardware: hardware.to_string(),
            description,
            facility: facility?,
            accelerators,
            accelerators_from_budget: from_budget,
            chips_per_node: cpn? as u32,
            blast_radius_chips: blast_radius as u32,
            spare_nodes: spare? as u32,
            spare_nodes_auto: spare_auto,
            inputs,
            rma_days: rma?,
            classes: classes?,
            units: units?,
            stream: stream?,
            job,
            in_service: in_service?,
            market_priced,
            next_gen_date: next_gen_date?,
            dc_residual: dc_residual?,
        },
        job_defaults,
    ))
}

/// Why a fleet of `chips` is refused when it is not whole nodes of `cpn` chips, with the
/// nearest whole-node fleets in `[cpn, max]`: "17 is not a whole number of 16-chip nodes
/// (chips_per_node = 16: ...); nearest valid: 16 or 32". `source` follows the chips per node
/// (where it came from, or empty).
pub(crate) fn not_whole_nodes(chips: u64, cpn: u64, source: &str, max: u64) -> String {
    let below = chips / cpn * cpn;
    let above = below + cpn;
    let valid: Vec<String> = [below, above]
        .into_iter()
        .filter(|&v| v >= cpn && v <= max)
        .map(|v| v.to_string())
        .collect();
    format!(
        "{chips} is not a whole number of {cpn}-chip nodes (chips_per_node = {cpn}{source}; a fleet is ordered, delivered and fails in whole nodes); nearest valid: {}",
        valid.join(" or ")
    )
}

/// Nodes affordable with `budget` after the spare nodes and the on-site unit stock
/// (`stock_cost`) (MODEL: all-in per chip = server + facility share).
fn size_by_budget(
    budget: f64,
    cpn: u64,
    spare: u64,
    stock_cost: f64,
    facility: Facility,
    inp: &Inputs,
) -> Result<u64, String> {
    let server: f64 = [
        "server_capex_per_chip_usd",
        "network_capex_per_chip_usd",
        "storage_capex_per_chip_usd",
        "cooling_capex_per_chip_usd",
    ]
    .iter()
    .map(|k| inp.get(k).mean())
    .sum();
    let dc = match facility {
        Facility::Build => {
            inp.get("dc_capex_per_mw_usd").mean()
                * (inp.get("chip_w").mean() + inp.get("host_w_per_chip").mean())
                / 1e6
        }
        Facility::Colo => 0.0,
        Facility::Rent => {
            return Err("is rented (facility = \"rent\"): it has no capex for a capital budget to size; set its accelerators".into());
        }
    };
    let all_in = server + dc;
    let spare_cost = spare as f64 * cpn as f64 * server + stock_cost;
    let node_cost = cpn as f64 * all_in;
    if node_cost <= 0.0 {
        return Err("all-in capex per chip is 0, so a budget cannot size the fleet; set accelerators instead".into());
    }
    let nodes = ((budget - spare_cost) / node_cost).floor();
    if nodes < 1.0 {
        return Err(format!(
            "capital budget too small for one node: one node of {cpn} chips costs {} USD all-in ({} USD per chip) plus {} USD of spare nodes and spare units, got {} USD",
            num(node_cost),
            num(all_in),
            num(spare_cost),
            num(budget)
        ));
    }
    Ok(nodes as u64 * cpn)
}

/// Nodes whose facility power fits `mw` (MODEL: facility W per chip = (mean `chip_w` + mean
/// `host_w_per_chip`) x mean `pue`, the nameplate load a site is provisioned for): `nodes =
/// floor(mw * 1e6 / (cpn * W per chip))`. Spare nodes and spare units sit unpowered until
/// swapped in for a failed one, so they use none of the budget. A relative 1e-12 is allowed
/// for rounding, so a budget that fits a whole number of nodes exactly buys them all. A rented
/// option draws no site power, so a power budget cannot size it (an error).
fn size_by_power(mw: f64, cpn: u64, facility: Facility, inp: &Inputs) -> Result<u64, String> {
    if facility == Facility::Rent {
        return Err("is rented (facility = \"rent\"): it draws no power from the planner's site for a power budget to size; set its accelerators".into());
    }
    let per_chip = inp.facility_w_per_chip();
    let node_w = cpn as f64 * per_chip;
    if node_w.is_nan() || node_w <= 0.0 {
        return Err("facility power per chip is 0 W, so a power budget cannot size the fleet; set accelerators instead".into());
    }
    let nodes = (mw * 1e6 / node_w * (1.0 + 1e-12)).floor();
    if nodes < 1.0 {
        return Err(format!(
            "power budget too small for one node: one node of {cpn} chips draws {} kW at the facility ({} W per chip = (chip_w {} + host_w_per_chip {}) x pue {}, means), got {} MW",
            num(node_w / 1e3),
            num(per_chip),
            num(inp.get("chip_w").mean()),
            num(inp.get("host_w_per_chip").mean()),
            num(inp.get("pue").mean()),
            num(mw)
        ));
    }
    Ok(nodes as u64 * cpn)
}

/// Merges a scenario option table over a catalog entry: scalar keys replace, `failures.CLASS`
/// and `units.UNIT` tables merge key by key (a rate in either unit replaces both), `job` merges key by key and
/// exists only when the scenario writes one.
pub(crate) fn merge_option(base: &Table, over: &Table) -> Table {
    let mut out = base.clone();
    if !over.has("job") {
        out.remove("job");
    }
    for (k, off, node) in &over.entries {
        let merged = match (k.as_str(), base.get(k).and_then(Node::table), node.table()) {
            ("failures" | "units", Some(bt), Some(ot)) => {
                let mut f = bt.clone();
                for (ck, coff, cn) in &ot.entries {
                    match (bt.get(ck).and_then(Node::table), cn.table()) {
                        (Some(bc), Some(oc)) => {
                            let mut c = bc.clone();
                            if oc.has("rate_per_chip_day") || oc.has("rate_per_node_day") {
                                c.remove("rate_per_chip_day");
                                c.remove("rate_per_node_day");
                            }
                            for (kk, ko, kn) in &oc.entries {
                                c.set(kk, *ko, kn.clone());
                            }
                            f.set(
                                ck,
                                *coff,
                                Node {
                                    v: Val::Table(c),
                                    ..cn.clone()
                                },
                            );
                        }
                        _ => f.set(ck, *coff, cn.clone()),
                    }
                }
                Node {
                    v: Val::Table(f),
                    ..node.clone()
                }
            }
            ("job", Some(bt), Some(ot)) => {
                let mut j = bt.clone();
                for (kk, ko, kn) in &ot.entries {
                    j.set(kk, *ko, kn.clone());
                }
                Node {
                    v: Val::Table(j),
                    ..node.clone()
                }
            }
            _ => node.clone(),
        };
        out.set(k, *off, merged);
    }
    out
}
