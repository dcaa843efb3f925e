//! The reports of a sensitivity folder (the tornado and the rank-correlation bars) and of a
//! spares folder (availability against pool size with the target line).

use std::fmt::Write as _;

use super::html::{
    Unit, axis_unit, figure, h2, metric_unit, missing, option_key, ptr, table, td, tdt, tick_kind,
    val,
};
use super::load::{SensitivityFolder, SparesFolder};
use super::num::TickKind;
use super::svg::{Axis, Chart, GREY, esc, option_style};

/// Rows bordering most tornado and Spearman charts.
const TOP_INPUTS: usize = 15;

/// The page body of a sensitivity folder.
pub fn sensitivity(f: &SensitivityFolder) -> String {
    let munit = metric_unit(&f.tornado.metric);
    let mu = Unit::of(munit);
    let t = &f.tornado;
    let mut b = format!(
        "<h1>Sensitivity of {} of {}</h1>",
        esc(&t.metric),
        esc(&t.target)
    );
    let _ = write!(
        b,
        r#"<p class="meta">Scenario {}; {} paths per point; mean {} with every uncertain input at its median: {}.</p>"#,
        esc(&t.scenario_file),
        val(
            "tornado.json#/paths_per_point",
            Some(t.paths_per_point as f64),
            Unit::Qty
        ),
        esc(&t.metric),
        val("tornado.json#/base_mean", t.base_mean, mu),
    );
    b.push_str(&h2("tornado", "Tornado: each input at its P10 and P90"));
    let rows: Vec<&super::files::TornadoRow> = t.rows.iter().take(TOP_INPUTS).collect();
    let base = t.base_mean.unwrap_or(0.0);
    let labels: Vec<String> = rows.iter().map(|r| r.input.clone()).collect();
    let x = Axis::over(
        format!("mean {} of {} ({})", t.metric, t.target, axis_unit(munit)),
        rows.iter()
            .flat_map(|r| [r.mean_at_p10.unwrap_or(base), r.mean_at_p90.unwrap_or(base)]),
        &[base],
        tick_kind(munit),
    );
    let mut c = Chart::new(
        "tornado",
        &format!("Tornado of {} of {}", t.metric, t.target),
        x,
        Axis::categories("", labels),
    );
    let lo: Vec<(usize, f64, f64)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, base, r.mean_at_p10?)))
        .collect();
    let hi: Vec<(usize, f64, f64)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, base, r.mean_at_p90?)))
        .collect();
    c.hbars(&lo, option_style(0), 8.0);
    c.hbars(&hi, option_style(1), 8.0);
    c.vmarker(base, None, "all at medians", GREY);
    c.legend_solid("input at its P10", option_style(0));
    c.legend_solid("input at its P90", option_style(1));
    b.push_str(&figure(&c.render(), &format!("The {} inputs that move the mean most (of {}), ranked by the swing between their P10 and P90, every other input at its median.", rows.len(), t.rows.len())));
    let trows: Vec<String> = t
        .rows
        .iter()
        .enumerate()
        .take(TOP_INPUTS)
        .map(|(k, r)| {
            let p = |f: &str| format!("tornado.json#{}", ptr(&["rows", &k.to_string(), f]));
            let u = if r.input_unit == "fraction" {
                Unit::Pct(2)
            } else {
                Unit::Qty
            };
            format!(
                "<td class=\"num\">{}</td><td class=\"key\">{}</td>{}{}{}{}{}",
                r.rank,
                esc(&r.input),
                td(&p("input_p10"), r.input_p10, u),
                td(&p("input_p90"), r.input_p90, u),
                td(&p("mean_at_p10"), r.mean_at_p10, mu),
                td(&p("mean_at_p90"), r.mean_at_p90, mu),
                td(&p("swing"), r.swing, mu),
            )
        })
        .collect();
    b.push_str(&table(
        &[
            "rank",
            "input",
            "P10",
            "P90",
            "mean at P10",
            "mean at P90",
            "swing",
        ],
        &trows,
        2,
    ));
    b.push_str(&h2("spearman", "Rank correlations over the sampled paths"));
    let Some(sp) = &f.spearman else {
        b.push_str(&missing(
            "spearman.json is not in this folder: no rank correlations.",
        ));
        return b;
    };
    let mut rows: Vec<(usize, &super::files::SpearmanRow)> = sp
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.output == t.target && r.metric == t.metric && r.rho.is_some())
        .collect();
    rows.sort_by_key(|(_, r)| r.rank);
    rows.truncate(TOP_INPUTS);
    let x = Axis::over(
        "Spearman rank correlation with the metric",
        rows.iter().map(|(_, r)| r.rho.unwrap_or(0.0)),
        &[0.0],
        TickKind::Plain,
    );
    let mut c = Chart::new(
        "spearman",
        &format!(
            "Rank correlation of each input with {} of {}",
            t.metric, t.target
        ),
        x,
        Axis::categories("", rows.iter().map(|(_, r)| r.input.clone()).collect()),
    );
    let pos: Vec<(usize, f64, f64)> = rows
        .iter()
        .enumerate()
        .filter(|(_, (_, r))| r.rho.unwrap_or(0.0) >= 0.0)
        .map(|(i, (_, r))| (i, 0.0, r.rho.unwrap_or(0.0)))
        .collect();
    let neg: Vec<(usize, f64, f64)> = rows
        .iter()
        .enumerate()
        .filter(|(_, (_, r))| r.rho.unwrap_or(0.0) < 0.0)
        .map(|(i, (_, r))| (i, 0.0, r.rho.unwrap_or(0.0)))
        .collect();
    c.hbars(&pos, option_style(0), 10.0);
    c.hbars(&neg, option_style(1), 10.0);
    c.vmarker(0.0, None, "", GREY);
    c.legend_solid("raises the metric", option_style(0));
    c.legend_solid("lowers it", option_style(1));
    b.push_str(&figure(&c.render(), "Spearman rank correlation between each sampled input and the metric over the paths of the scenario as written, the strongest first."));
    let srows: Vec<String> = rows
        .iter()
        .map(|&(k, r)| {
            let p = |f: &str| format!("spearman.json#{}", ptr(&["rows", &k.to_string(), f]));
            format!(
                "<td class=\"num\">{}</td><td class=\"key\">{}</td>{}{}",
                r.rank,
                esc(&r.input),
                td(&p("rho"), r.rho, Unit::Qty),
                td(&p("rho_se"), r.rho_se, Unit::Qty),
            )
        })
        .collect();
    b.push_str(&table(&["rank", "input", "rho", "± se"], &srows, 2));
    b
}

/// The page body of a spares folder.
pub fn spares(f: &SparesFolder) -> String {
    let j = &f.json;
    let mut b = format!(
        "<h1>Spare pool for {} availability</h1>",
        super::num::pct(j.goal.availability, 2)
    );
    let _ = write!(
        b,
        r#"<p class="meta">Scenario {}; pool <code>{}</code>; goal: path availability at least {} with confidence {}; {} paths per candidate pool.</p>"#,
        esc(&j.scenario_file),
        esc(&j.pool),
        val(
            "spares.json#/goal/availability",
            Some(j.goal.availability),
            Unit::Pct(2)
        ),
        val(
            "spares.json#/goal/confidence",
            Some(j.goal.confidence),
            Unit::Pct(1)
        ),
        val(
            "spares.json#/paths_per_candidate",
            Some(j.paths_per_candidate as f64),
            Unit::Qty
        ),
    );
    let names: Vec<String> = j.options.iter().map(|o| o.option.clone()).collect();
    b.push_str(&option_key(&names));
    b.push_str(&h2("availability", "Availability against pool size"));
    let all = j.options.iter().flat_map(|o| o.candidates.iter());
    // Room below the target line, so it does not sit on the frame.
    let top = all
        .clone()
        .filter_map(|c| c.availability_at_confidence)
        .fold(j.goal.availability, f64::max);
    let below = j.goal.availability - 0.15 * (top - j.goal.availability).max(1e-4);
    let x = Axis::over(
        "spare pool size (units)",
        all.clone().map(|c| c.spares as f64),
        &[0.0],
        TickKind::Plain,
    );
    let y = Axis::over(
        format!(
            "availability at {} confidence (%)",
            super::num::pct(j.goal.confidence, 0)
        ),
        all.filter_map(|c| c.availability_at_confidence),
        &[j.goal.availability, below],
        TickKind::Percent,
    );
    let mut c = Chart::new(
        "spares-availability",
        "Availability at the stated confidence against spare pool size",
        x,
        y,
    );
    for (i, o) in j.options.iter().enumerate() {
        let mut pts: Vec<(f64, f64)> = o
            .candidates
            .iter()
            .filter_map(|c| Some((c.spares as f64, c.availability_at_confidence?)))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        c.line(&pts, option_style(i), 2.0);
        c.points(
            &pts.iter()
                .map(|p| (p.0, p.1, None, None))
                .collect::<Vec<_>>(),
            option_style(i),
            if i == 0 { 'o' } else { 's' },
        );
        if let Some(ch) = o.chosen {
            c.vmarker(
                ch as f64,
                None,
                &format!("{} chosen", o.option),
                option_style(i),
            );
        }
        c.legend(&o.option, option_style(i), true);
    }
    c.hline(j.goal.availability, "target", GREY);
    b.push_str(&figure(&c.render(), "Each point: a candidate pool size the planner evaluated; the availability that the stated share of paths reaches or beats. The dashed grey line is the target; the chosen pool is the smallest that meets it at the stated confidence."));
    let mut rows = Vec::new();
    for (i, o) in j.options.iter().enumerate() {
        let k = o
            .chosen
            .and_then(|ch| o.candidates.iter().position(|c| c.spares == ch));
        let p = |f: &str| {
            k.map(|k| {
                format!(
                    "spares.json#{}",
                    ptr(&["options", &i.to_string(), "candidates", &k.to_string(), f])
                )
            })
            .unwrap_or_default()
        };
        let cand = k.map(|k| &o.candidates[k]);
        rows.push(format!(
            "{}{}{}{}{}{}",
            tdt(&o.option),
            match o.chosen {
                Some(ch) => td(
                    &format!(
                        "spares.json#{}",
                        ptr(&["options", &i.to_string(), "chosen"])
                    ),
                    Some(ch as f64),
                    Unit::Qty
                ),
                None => tdt("none meets the goal"),
            },
            td(
                &p("availability_at_confidence"),
                cand.and_then(|c| c.availability_at_confidence),
                Unit::Pct(2)
            ),
            td(
                &p("p_meeting"),
                cand.and_then(|c| c.p_meeting),
                Unit::Pct(1)
            ),
            td(
                &p("spare_capex_usd"),
                cand.and_then(|c| c.spare_capex_usd),
                Unit::Usd
            ),
            td(
                &p("npv_vs_no_spares_usd"),
                cand.and_then(|c| c.npv_vs_no_spares_usd),
                Unit::Usd
            ),
        ));
    }
    b.push_str(&table(
        &[
            "option",
            "chosen pool",
            "availability at confidence",
            "P(meets the goal)",
            "pool capex",
            "mean NPV vs no spares",
        ],
        &rows,
        1,
    ));
    b.push_str("<h3>Every pool size evaluated</h3>");
    let mut rows = Vec::new();
    for (i, o) in j.options.iter().enumerate() {
        for (k, c) in o.candidates.iter().enumerate() {
            let p = |f: &str| {
                format!(
                    "spares.json#{}",
                    ptr(&["options", &i.to_string(), "candidates", &k.to_string(), f])
                )
            };
            rows.push(format!(
                "{}{}{}{}{}{}{}",
                tdt(&o.option),
                td(&p("spares"), Some(c.spares as f64), Unit::Qty),
                td(
                    &p("availability_at_confidence"),
                    c.availability_at_confidence,
                    Unit::Pct(2)
                ),
                td(&p("p_meeting"), c.p_meeting, Unit::Pct(1)),
                tdt(if c.meets { "yes" } else { "no" }),
                td(&p("spare_capex_usd"), c.spare_capex_usd, Unit::Usd),
                td(
                    &p("npv_vs_no_spares_usd"),
                    c.npv_vs_no_spares_usd,
                    Unit::Usd
                ),
            ));
        }
    }
    b.push_str(&table(
        &[
            "option",
            "pool",
            "availability at confidence",
            "P(meets the goal)",
            "meets",
            "pool capex",
            "mean NPV vs no spares",
        ],
        &rows,
        1,
    ));
    b
}
