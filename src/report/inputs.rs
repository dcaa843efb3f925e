//! What a run's answer rests on: the break-even headlines (where the decision flips along an
//! input, with its uncertainty) and the inputs as resolved, with their distributions and
//! sources, every number marked with where in summary.json it comes from.

use std::fmt::Write as _;

use super::files::Summary;
use super::html::{Unit, axis_unit, figure, h2, metric_label, ptr, table, td, tdt, val};
use super::num::TickKind;
use super::run::slug;
use super::svg::{Axis, Chart, GREY, esc, option_style};

/// The break-even headlines of the run (where the decision flips along an input).
pub(super) fn break_evens(s: &Summary, names: &[String]) -> String {
    if s.break_evens.is_empty() {
        return String::new();
    }
    let mut b = h2("break-even", "Where the decision flips");
    let mut rows = Vec::new();
    for (k, be) in s.break_evens.iter().enumerate() {
        let p = |f: &str| ptr(&["break_evens", &k.to_string(), f]);
        let unit = if be.unit == "fraction" {
            Unit::Pct(2)
        } else {
            Unit::Qty
        };
        let verdict = match (&be.better_throughout, &be.better_below, &be.better_above) {
            (Some(t), _, _) => format!("{t} better throughout"),
            (None, Some(lo), Some(hi)) => format!("{lo} better below, {hi} above"),
            _ => be.note.clone().unwrap_or_default(),
        };
        rows.push(format!(
            "{}{}{}{}{}{}",
            tdt(&be.option),
            tdt(&format!("{} ({})", be.input, be.unit)),
            tdt(&be.metric),
            td(&p("value"), be.value, unit),
            td(&p("uncertainty"), be.uncertainty, unit),
            tdt(&verdict),
        ));
        let ia = names.iter().position(|n| n == &be.option).unwrap_or(0);
        let kind = if be.unit == "fraction" {
            TickKind::Percent
        } else {
            TickKind::Plain
        };
        let pts: Vec<(f64, f64, f64)> = be
            .grid
            .iter()
            .zip(&be.p50_difference)
            .zip(be.p50_difference_se.iter().chain(std::iter::repeat(&None)))
            .map(|((&x, y), se)| {
                let y = y.unwrap_or(f64::NAN);
                let se = se.unwrap_or(f64::NAN);
                (x, y - se, y + se)
            })
            .collect();
        if pts.len() < 2 {
            continue;
        }
        let x = Axis::over(
            format!("{} of {} ({})", be.input, be.option, axis_unit(&be.unit)),
            be.grid.iter().copied(),
            &[],
            kind,
        );
        let munit = s.metrics.get(&be.metric).map_or("USD", |m| m.unit.as_str());
        let y = Axis::over(
            format!("P50 of {} − {} ({munit})", be.option, be.other),
            pts.iter().flat_map(|p| [p.1, p.2]),
            &[0.0],
            TickKind::Plain,
        );
        let name = format!("break-even-{}-{}", slug(&be.input), slug(&be.metric));
        let mut c = Chart::new(
            &name,
            &format!(
                "Break-even of {} along {}",
                metric_label(&be.metric),
                be.input
            ),
            x,
            y,
        );
        c.band(&pts, option_style(ia), 0.18);
        let line: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, (p.1 + p.2) / 2.0)).collect();
        c.line(&line, option_style(ia), 2.2);
        c.hline(0.0, "no difference", GREY);
        if let Some(v) = be.scenario_value {
            c.vmarker(v, None, "scenario value", GREY);
        }
        if let Some(v) = be.value {
            let span = be.uncertainty.map(|u| (v - u, v + u));
            c.vmarker(v, span, "break-even ± uncertainty", option_style(ia));
        }
        c.legend(
            &format!("P50 of {} − {} ± se", be.option, be.other),
            option_style(ia),
            true,
        );
        b.push_str(&figure(&c.render(), &format!("The median over paths of the per-path difference in {} along {}, the other inputs as in the scenario; the break-even is where it crosses zero, shaded by its uncertainty.", metric_label(&be.metric), be.input)));
    }
    b.push_str(&table(
        &[
            "option",
            "input",
            "metric",
            "break-even",
            "± uncertainty",
            "verdict",
        ],
        &rows,
        3,
    ));
    b
}

/// Preferred order of a distribution's parameters.
const PARAM_ORDER: [&str; 8] = ["value", "lo", "mode", "median", "mean", "sd", "p90", "hi"];

/// A distribution (or a plain number) as text with every number marked by its source.
fn dist_text(base: &str, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Number(n) => val(base, n.as_f64(), Unit::Qty),
        serde_json::Value::Object(m) => {
            let mut parts = Vec::new();
            let dist = m.get("dist").and_then(|d| d.as_str()).unwrap_or("");
            let mut keys: Vec<&String> = m.keys().filter(|k| *k != "dist").collect();
            keys.sort_by_key(|k| PARAM_ORDER.iter().position(|p| p == k).unwrap_or(99));
            for k in keys {
                let sub = format!("{base}/{k}");
                let text = match &m[k] {
                    serde_json::Value::Array(a) => a
                        .iter()
                        .enumerate()
                        .map(|(i, x)| dist_text(&format!("{sub}/{i}"), x))
                        .collect::<Vec<_>>()
                        .join(", "),
                    x => dist_text(&sub, x),
                };
                parts.push(format!("{k} {text}"));
            }
            let head = if dist == "fixed" {
                String::new()
            } else {
                format!("{dist}: ")
            };
            format!("{head}{}", parts.join(" · "))
        }
        other => esc(&other.to_string()),
    }
}

/// The resolved inputs: the environment, each option, with their distributions and sources.
pub(super) fn inputs(s: &Summary) -> String {
    let mut b = h2("inputs", "Inputs as resolved");
    let _ = write!(
        b,
        r#"<p>Source: scenario <code>{}</code> over the hardware catalog <code>{}</code> (the public figures behind the catalog's defaults, with their sources, are in <code>docs/reference-data.md</code>). Each input is sampled once per path from the distribution shown; key names carry their unit.</p>"#,
        esc(&s.scenario.origin),
        esc(&s.scenario.catalog)
    );
    let mut rows = Vec::new();
    for (i, o) in s.scenario.options.iter().enumerate() {
        let p = |f: &str| ptr(&["scenario", "options", &i.to_string(), f]);
        rows.push(format!(
            "{}{}{}{}{}{}",
            tdt(&o.name),
            tdt(&format!("{} — {}", o.hardware, o.description)),
            td(&p("accelerators"), Some(o.accelerators as f64), Unit::Qty),
            td(
                &p("chips_per_node"),
                Some(o.chips_per_node as f64),
                Unit::Qty
            ),
            td(&p("spare_nodes"), Some(o.spare_nodes as f64), Unit::Qty),
            tdt(&o.facility),
        ));
    }
    b.push_str(&table(
        &[
            "option",
            "hardware",
            "chips",
            "chips per node",
            "spare nodes",
            "facility",
        ],
        &rows,
        2,
    ));
    b.push_str("<h3>Shared environment</h3>");
    let rows: Vec<String> = s
        .scenario
        .environment
        .inputs
        .iter()
        .map(|(k, v)| {
            format!(
                r#"<td class="key">{}</td><td>{}</td>"#,
                esc(k),
                dist_text(&ptr(&["scenario", "environment", "inputs", k]), v)
            )
        })
        .collect();
    b.push_str(&table(&["input", "distribution"], &rows, 9));
    for (i, o) in s.scenario.options.iter().enumerate() {
        let _ = write!(b, "<h3>{}</h3>", esc(&o.name));
        let base = ["scenario", "options", &i.to_string(), "inputs"];
        let rows: Vec<String> = o
            .inputs
            .iter()
            .map(|(k, v)| {
                format!(
                    r#"<td class="key">{}</td><td>{}</td>"#,
                    esc(k),
                    dist_text(&ptr(&[&base[..], &[k.as_str()]].concat()), v)
                )
            })
            .collect();
        b.push_str(&table(&["input", "distribution"], &rows, 9));
        let rows: Vec<String> = o
            .classes
            .iter()
            .enumerate()
            .map(|(c, cl)| {
                let name = cl.get("name").and_then(|n| n.as_str()).unwrap_or("");
                let kind = cl.get("kind").and_then(|n| n.as_str()).unwrap_or("");
                let fields: Vec<String> = cl
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .filter(|(_, v)| v.is_object())
                            .map(|(k, v)| {
                                let src = ptr(&[
                                    "scenario",
                                    "options",
                                    &i.to_string(),
                                    "classes",
                                    &c.to_string(),
                                    k,
                                ]);
                                format!("<code>{}</code> {}", esc(k), dist_text(&src, v))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                format!(
                    r#"<td class="key">{}</td><td>{}</td><td>{}</td>"#,
                    esc(name),
                    esc(kind),
                    fields.join("<br>")
                )
            })
            .collect();
        if !rows.is_empty() {
            b.push_str(&table(&["failure class", "kind", "inputs"], &rows, 9));
        }
    }
    b
}
