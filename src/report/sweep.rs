//! The report of a sweep folder: each metric against each axis with P5-P95 bands, the
//! decision metric's per-path difference with the break-even marked and shaded by where the
//! sign is not settled, and the break-evens of every slice.

use std::fmt::Write as _;

use super::html::{
    Unit, axis_unit, csv_src, figure, h2, metric_label, metric_unit, missing, option_key, ptr,
    table, td, tdt, tick_kind, val,
};
use super::load::SweepFolder;
use super::num::TickKind;
use super::run::slug;
use super::svg::{Axis, Chart, GREY, esc, option_style};

/// Sweep metrics charted against each axis, when sweep.csv has them.
const SWEEP_METRICS: &[(&str, &str, &str)] = &[
    ("npv_usd", "NPV", "USD"),
    ("npv_after_tax_usd", "NPV after tax", "USD"),
    (
        "levelized_usd_per_effective_pflop_hour",
        "Levelized cost",
        "USD/PFLOP-hour",
    ),
    (
        "discounted_payback_days",
        "Discounted payback (paths that pay back)",
        "days",
    ),
    ("availability", "Availability", "fraction"),
];

/// The page body of a sweep folder.
pub fn sweep(f: &SweepFolder) -> String {
    let j = &f.json;
    let t = &f.csv;
    let mut b = format!(
        "<h1>Sweep: {}</h1>",
        esc(if j.scenario.name.is_empty() {
            &j.sweep_file
        } else {
            &j.scenario.name
        })
    );
    let design = j
        .design
        .get("design")
        .and_then(|d| d.as_str())
        .unwrap_or("grid");
    let _ = write!(
        b,
        r#"<p class="meta">Sweep file {}; {} design, {} points, {} paths per point (the same paths at every point).</p>"#,
        esc(&j.sweep_file),
        esc(design),
        val("sweep.json#/n_points", Some(j.n_points as f64), Unit::Qty),
        val(
            "sweep.json#/paths_per_point",
            Some(j.paths_per_point as f64),
            Unit::Qty
        ),
    );
    b.push_str(&option_key(&j.options));
    b.push_str(&sweep_break_evens(f));
    let grid = design == "grid";
    for (ai, axis) in j.axes.iter().enumerate() {
        let _ = write!(
            b,
            "{}",
            h2(&format!("axis-{ai}"), &format!("Along {}", axis.key))
        );
        // The other axes at their middle grid value (a grid), or every point (a Latin hypercube).
        let others: Vec<(String, f64)> = j
            .axes
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != ai)
            .filter_map(|(_, a)| Some((a.column.clone(), *a.values.get(a.values.len() / 2)?)))
            .collect();
        if !others.is_empty() {
            let fixed: Vec<String> = j
                .axes
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != ai)
                .filter_map(|(_, a)| {
                    Some(format!(
                        "{} = {}",
                        a.key,
                        super::num::qty(*a.values.get(a.values.len() / 2)?)
                    ))
                })
                .collect();
            let _ = write!(
                b,
                r#"<p class="note">{}</p>"#,
                esc(&if grid {
                    format!(
                        "The other axes at their middle grid value: {}.",
                        fixed.join(", ")
                    )
                } else {
                    "Latin hypercube: every point, the other axes varying too.".into()
                })
            );
        }
        let on_slice = |r: usize| -> bool {
            !grid
                || others.iter().all(|(col, v)| {
                    t.num(r, col)
                        .is_some_and(|x| (x - v).abs() <= 1e-9 * v.abs().max(1.0))
                })
        };
        let kind = if axis.unit == "fraction" {
            TickKind::Percent
        } else {
            TickKind::Plain
        };
        for (metric, label, unit) in SWEEP_METRICS {
            if t.col(&format!("{metric}_p50")).is_none() {
                continue;
            }
            let mut series = Vec::new();
            for (i, o) in j.options.iter().enumerate() {
                let mut pts: Vec<(f64, f64, f64, f64, usize)> = (0..t.rows.len())
                    .filter(|&r| t.text(r, "option") == Some(o) && on_slice(r))
                    .filter_map(|r| {
                        Some((
                            t.num(r, &axis.column)?,
                            t.num(r, &format!("{metric}_p5")).unwrap_or(f64::NAN),
                            t.num(r, &format!("{metric}_p50")).unwrap_or(f64::NAN),
                            t.num(r, &format!("{metric}_p95")).unwrap_or(f64::NAN),
                            r,
                        ))
                    })
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                series.push((i, o, pts));
            }
            let ykind = if *unit == "fraction" {
                TickKind::Percent
            } else {
                TickKind::Plain
            };
            let x = Axis::over(
                format!("{} ({})", axis.key, axis_unit(&axis.unit)),
                series.iter().flat_map(|s| s.2.iter().map(|p| p.0)),
                &[],
                kind,
            );
            let y = Axis::over(
                format!("{label} ({})", axis_unit(unit)),
                series
                    .iter()
                    .flat_map(|s| s.2.iter().flat_map(|p| [p.1, p.3])),
                &[],
                ykind,
            );
            let name = format!("sweep-{}-{}", slug(metric), slug(&axis.key));
            let mut c = Chart::new(&name, &format!("{label} along {}", axis.key), x, y);
            for (i, o, pts) in &series {
                let st = option_style(*i);
                if grid {
                    c.band(
                        &pts.iter().map(|p| (p.0, p.1, p.3)).collect::<Vec<_>>(),
                        st,
                        0.15,
                    );
                    c.line(&pts.iter().map(|p| (p.0, p.2)).collect::<Vec<_>>(), st, 2.2);
                } else {
                    c.points(
                        &pts.iter()
                            .map(|p| (p.0, p.2, Some(p.1), Some(p.3)))
                            .collect::<Vec<_>>(),
                        st,
                        if *i == 0 { 'o' } else { 's' },
                    );
                }
                c.legend(&format!("{o} P50"), st, true);
            }
            b.push_str(&figure(
                &c.render(),
                &if grid {
                    format!("{label} of each option: line P50 over paths, shaded P5 to P95.")
                } else {
                    format!("{label} of each option at every point: dot P50 over paths, whisker P5 to P95.")
                },
            ));
        }
        b.push_str(&difference_chart(f, ai, &on_slice));
    }
    b
}

/// The decision metric's per-path difference (first option minus the other) along axis `ai`,
/// with the break-evens of the slice and the span where its mean is within two standard errors
/// of zero.
fn difference_chart(f: &SweepFolder, ai: usize, on_slice: &dyn Fn(usize) -> bool) -> String {
    let j = &f.json;
    let t = &f.csv;
    let axis = &j.axes[ai];
    let Some(be) = &j.break_even else {
        return String::new();
    };
    if j.options.first() != Some(&be.a) {
        return missing(&format!(
            "sweep.csv holds differences against the first option ({}), not {}: no difference chart.",
            j.options.first().map_or("", String::as_str),
            be.a
        ));
    }
    let m = &be.metric;
    let col = |s: &str| format!("first_minus_this_{m}_{s}");
    if t.col(&col("p50")).is_none() {
        return String::new();
    }
    let mut pts: Vec<(f64, usize)> = (0..t.rows.len())
        .filter(|&r| t.text(r, "option") == Some(&be.b) && on_slice(r))
        .filter_map(|r| Some((t.num(r, &axis.column)?, r)))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let get = |r: usize, s: &str| t.num(r, &col(s)).unwrap_or(f64::NAN);
    let kind = if axis.unit == "fraction" {
        TickKind::Percent
    } else {
        TickKind::Plain
    };
    let x = Axis::over(
        format!("{} ({})", axis.key, axis_unit(&axis.unit)),
        pts.iter().map(|p| p.0),
        &[],
        kind,
    );
    let y = Axis::over(
        format!(
            "{} − {}: {}{}",
            be.a,
            be.b,
            metric_label(m),
            if metric_unit(m).is_empty() {
                String::new()
            } else {
                format!(" ({})", axis_unit(metric_unit(m)))
            }
        ),
        pts.iter().flat_map(|&(_, r)| [get(r, "p5"), get(r, "p95")]),
        &[0.0],
        tick_kind(metric_unit(m)),
    );
    let name = format!("sweep-difference-{}", slug(&axis.key));
    let mut c = Chart::new(
        &name,
        &format!("{} − {} along {}", be.a, be.b, axis.key),
        x,
        y,
    );
    let st = option_style(0);
    c.band(
        &pts.iter()
            .map(|&(x, r)| (x, get(r, "p5"), get(r, "p95")))
            .collect::<Vec<_>>(),
        st,
        0.15,
    );
    c.line(
        &pts.iter()
            .map(|&(x, r)| (x, get(r, "p50")))
            .collect::<Vec<_>>(),
        st,
        2.2,
    );
    c.hline(0.0, "no difference", GREY);
    c.legend("P50 of the difference", st, true);
    // Where mean ± 2 se includes zero: the axis span in which the sign is not settled.
    let undecided: Vec<f64> = pts
        .iter()
        .filter(|&&(_, r)| get(r, "mean").abs() <= 2.0 * get(r, "se"))
        .map(|p| p.0)
        .collect();
    let span = undecided
        .iter()
        .copied()
        .fold(None, |acc: Option<(f64, f64)>, x| {
            Some(acc.map_or((x, x), |(a, b)| (a.min(x), b.max(x))))
        });
    let slice_others = |s: &super::files::SweepSlice| {
        j.axes
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != ai)
            .all(|(_, a)| {
                let mid = a.values.get(a.values.len() / 2).copied();
                s.others.get(&a.key).copied() == mid
            })
    };
    let mut marked = false;
    for s in be
        .slices
        .iter()
        .filter(|s| s.axis == axis.key && slice_others(s))
    {
        for &v in &s.break_evens {
            c.vmarker(v, span, "break-even", st);
            marked = true;
        }
    }
    if !marked && let Some((a, z)) = span {
        c.vmarker(f64::NAN, Some((a, z)), "", st);
    }
    let mut caption = format!(
        "Per-path difference in {m}, {} minus {}: line P50, shaded P5 to P95. The vertical line is the break-even from sweep.json (where the P50 changes sign); its shaded band spans the grid values where the mean difference is within two standard errors of zero (the sweep file states no uncertainty for its break-even).",
        be.a, be.b
    );
    if !marked {
        caption.push_str(" No break-even on this slice.");
    }
    let mut rows = Vec::new();
    for &(x, r) in &pts {
        let point = t.text(r, "point").unwrap_or("");
        let src = |stat: &str| csv_src(&t.file, &[("point", point), ("option", &be.b)], stat);
        rows.push(format!(
            "{}{}{}{}",
            td(
                &src(&axis.column),
                Some(x),
                if axis.unit == "fraction" {
                    Unit::Pct(1)
                } else {
                    Unit::Qty
                }
            ),
            td(
                &src(&col("p50")),
                t.num(r, &col("p50")),
                Unit::of(metric_unit(m))
            ),
            td(
                &src(&col("mean")),
                t.num(r, &col("mean")),
                Unit::of(metric_unit(m))
            ),
            td(
                &src(&format!("p_first_better_{m}")),
                t.num(r, &format!("p_first_better_{m}")),
                Unit::Pct(1)
            ),
        ));
    }
    let mut out = figure(&c.render(), &caption);
    out.push_str(&table(
        &[
            &axis.key,
            &format!("P50 of {} − {}", be.a, be.b),
            "mean",
            &format!("P({} better)", be.a),
        ],
        &rows,
        0,
    ));
    out
}

/// The break-evens of every slice, with which option each end favours.
fn sweep_break_evens(f: &SweepFolder) -> String {
    let mut b = h2("break-evens", "Break-evens");
    let Some(be) = &f.json.break_even else {
        b.push_str(&missing(
            "sweep.json has no break-even section (the sweep compares no two options).",
        ));
        return b;
    };
    let _ = write!(
        b,
        "<p>Where the P50 of the per-path difference in <code>{}</code>, {} minus {}, changes sign along each axis.</p>",
        esc(&be.metric),
        esc(&be.a),
        esc(&be.b)
    );
    if be.slices.is_empty() {
        b.push_str(&missing(
            "No 1-D slices: a Latin hypercube varies every axis at once, so sweep.json holds no break-evens (a grid design has them).",
        ));
        return b;
    }
    let mut rows = Vec::new();
    for (k, s) in be.slices.iter().enumerate() {
        let fraction = f
            .json
            .axes
            .iter()
            .any(|a| a.key == s.axis && a.unit == "fraction");
        let unit = if fraction { Unit::Pct(1) } else { Unit::Qty };
        let others: Vec<String> = s
            .others
            .iter()
            .map(|(k, v)| format!("{k} = {}", super::num::qty(*v)))
            .collect();
        let values = if s.break_evens.is_empty() {
            "none in range".to_string()
        } else {
            s.break_evens
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    val(
                        &format!(
                            "sweep.json#{}",
                            ptr(&[
                                "break_even",
                                "slices",
                                &k.to_string(),
                                "break_evens",
                                &i.to_string()
                            ])
                        ),
                        Some(v),
                        unit,
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        rows.push(format!(
            "<td class=\"key\">{}</td>{}<td>{values}</td>{}{}",
            esc(&s.axis),
            tdt(&others.join(", ")),
            tdt(s.better_at_lo.as_deref().unwrap_or("tie")),
            tdt(s.better_at_hi.as_deref().unwrap_or("tie")),
        ));
    }
    b.push_str(&table(
        &[
            "axis",
            "other axes",
            "break-even",
            "better at the low end",
            "at the high end",
        ],
        &rows,
        9,
    ));
    b
}
