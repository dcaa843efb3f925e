//! The report of a `fleetsim run` folder: the question and its answer, the headline table,
//! NPV and cost histograms, payback CDFs and the NPV-difference waterfall; the sections over
//! time are in [`super::over_time`], the break-evens and inputs in [`super::inputs`]. Sections
//! whose file or key an older folder lacks say so in a sentence.

use std::fmt::Write as _;

use super::files::{Stats, Summary};
use super::html::{Unit, figure, h2, missing, option_key, option_label, ptr, table, td, tdt, val};
use super::load::RunFolder;
use super::num::TickKind;
use super::over_time::YEAR_DAYS;
use super::svg::{Axis, Chart, GREY, esc, option_style};

/// Headline rows: metric and the words a reader sees.
const HEADLINE: &[(&str, &str)] = &[
    ("npv_usd", "NPV"),
    ("npv_after_tax_usd", "NPV after tax"),
    ("irr", "IRR (per year)"),
    (
        "levelized_usd_per_effective_pflop_hour",
        "Levelized cost, USD per effective PFLOP-hour",
    ),
    (
        "usd_per_effective_pflop_hour",
        "Cost per effective PFLOP-hour, undiscounted (USD)",
    ),
    ("payback_days", "Payback, paths that pay back"),
    (
        "discounted_payback_days",
        "Discounted payback, paths that pay back",
    ),
    ("availability", "Availability"),
    ("capex_usd", "Capex"),
    ("revenue_usd", "Revenue (net of SLA credits)"),
    ("opex_usd", "Opex"),
];

/// Paired probabilities shown: metric and what "a better" means.
const PAIRED: &[(&str, &str)] = &[
    ("npv_usd", "higher NPV"),
    ("npv_after_tax_usd", "higher NPV after tax"),
    (
        "levelized_usd_per_effective_pflop_hour",
        "lower levelized cost per effective PFLOP-hour",
    ),
    ("availability", "higher availability"),
];

/// The page body of a run folder.
pub fn body(f: &RunFolder) -> String {
    let s = &f.summary;
    let names = s.option_names();
    let labels: Vec<String> = names
        .iter()
        .map(|n| {
            let d = s
                .scenario
                .options
                .iter()
                .find(|o| &o.name == n)
                .map_or("", |o| o.description.as_str());
            option_label(n, d)
        })
        .collect();
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{}</h1>",
        esc(if s.scenario.name.is_empty() {
            "fleetsim run"
        } else {
            &s.scenario.name
        })
    );
    if let Some(d) = &s.scenario.description {
        let _ = write!(b, r#"<p class="meta">{}</p>"#, esc(d));
    }
    let _ = write!(
        b,
        r#"<p class="meta">{} paths, seed {}, horizon {} ({} years){}; engine {}; scenario {}; fleetsim {}</p>"#,
        val("/paths", Some(s.paths as f64), Unit::Qty),
        val("/seed", Some(s.seed as f64), Unit::Qty),
        val("/horizon_days", Some(f64::from(s.horizon_days)), Unit::Days),
        s.scenario.horizon_years,
        s.sizing
            .as_ref()
            .map(|z| format!("; sizing {} ({})", esc(&z.label), esc(&z.basis)))
            .unwrap_or_default(),
        esc(&s.backend),
        esc(&s.scenario_file),
        esc(&s.fleetsim_version),
    );
    b.push_str(&option_key(&labels));
    b.push_str(&answer(s, &names));
    b.push_str(&headline(s, &names));
    b.push_str(&histograms(s, &names));
    b.push_str(&super::over_time::over_time(f, &names));
    b.push_str(&paybacks(s, &names));
    b.push_str(&waterfall(s, &names));
    b.push_str(&super::inputs::break_evens(s, &names));
    b.push_str(&super::inputs::inputs(s));
    b
}

/// The question and the answer in one sentence with its probability, per pair.
fn answer(s: &Summary, names: &[String]) -> String {
    let mut b = h2("answer", "The answer");
    if s.pairs.is_empty() {
        b.push_str(&missing(
            "One option only: there is no comparison to answer (summary.json has no pairs).",
        ));
        return b;
    }
    let pairs = s.pairs_in_order(names);
    let _ = write!(
        b,
        r#"<p class="meta">Question: over the horizon, which fleet has the higher net present value{}?</p>"#,
        if pairs.len() == 1 {
            format!(", {} or {}", esc(&pairs[0].1.a), esc(&pairs[0].1.b))
        } else {
            " (each pair compared path by path)".to_string()
        }
    );
    let mut diff_rows = Vec::new();
    let mut prob_rows = Vec::new();
    for (key, p) in &pairs {
        let (a, bb) = (esc(&p.a), esc(&p.b));
        if let Some(m) = p.metrics.get("npv_usd") {
            let at = |f: &str| ptr(&["pairs", key, "metrics", "npv_usd", f]);
            let prob = val(&at("p_a_better"), m.p_a_better, Unit::Pct(1));
            let se = val(&at("p_a_better_se"), m.p_a_better_se, Unit::Pct(1));
            let sentence = match m.p_a_better {
                Some(x) if (0.4..=0.6).contains(&x) => format!(
                    "A close call: {a} has the higher NPV on {prob} (± {se}) of the simulated futures, {bb} on the others."
                ),
                Some(x) if x > 0.6 => format!(
                    "<strong>{a}</strong> is the better bet: it has the higher NPV than {bb} on {prob} (± {se}) of the simulated futures."
                ),
                Some(_) => format!(
                    "<strong>{bb}</strong> is the better bet: {a} has the higher NPV on only {prob} (± {se}) of the simulated futures."
                ),
                None => format!("The NPVs of {a} and {bb} could not be compared on any path."),
            };
            let _ = write!(b, r#"<p class="answer">{sentence}</p>"#);
            let d = &m.difference;
            let dp = |stat: &str, x: Option<f64>, unit: Unit| {
                val(
                    &ptr(&["pairs", key, "metrics", "npv_usd", "difference", stat]),
                    x,
                    unit,
                )
            };
            diff_rows.push(format!(
                "<td>{a} − {bb}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} ± {}</td>",
                dp("p5", d.p5, Unit::Usd),
                dp("p50", d.p50, Unit::Usd),
                dp("p95", d.p95, Unit::Usd),
                dp("mean", d.mean, Unit::Usd),
                dp("se", d.se, Unit::UsdBare),
            ));
        }
        let mut row = format!("<td>{a} than {bb}</td>");
        for (metric, _) in PAIRED {
            let base = ["pairs", key.as_str(), "metrics", metric];
            let cell = match p.metrics.get(*metric) {
                Some(pm) => format!(
                    r#"<td class="num">{} ± {}</td>"#,
                    val(
                        &ptr(&[&base[..], &["p_a_better"]].concat()),
                        pm.p_a_better,
                        Unit::Pct(1)
                    ),
                    val(
                        &ptr(&[&base[..], &["p_a_better_se"]].concat()),
                        pm.p_a_better_se,
                        Unit::Pct(1)
                    ),
                ),
                None => "<td></td>".into(),
            };
            row.push_str(&cell);
        }
        prob_rows.push(row);
    }
    b.push_str("<h3>NPV difference, path by path</h3>");
    b.push_str(&table(
        &["pair", "P5", "P50", "P95", "mean ± se"],
        &diff_rows,
        1,
    ));
    b.push_str("<h3>Paired probabilities (the first option of each pair is better)</h3>");
    let mut header = vec!["P(first is better)"];
    header.extend(PAIRED.iter().map(|(_, w)| *w));
    b.push_str(&table(&header, &prob_rows, 1));
    b
}

/// The headline table: P5 / P50 / P95, mean ± se, P(< 0) or P(never) per option.
fn headline(s: &Summary, names: &[String]) -> String {
    let mut b = h2("headline", "Headline figures");
    let mut rows = Vec::new();
    for (metric, label) in HEADLINE {
        let unit = Unit::of(s.metrics.get(*metric).map_or("", |m| m.unit.as_str()));
        for (i, o) in names.iter().enumerate() {
            let Some(st) = s.stats(o, metric) else {
                continue;
            };
            let p = |stat: &str| ptr(&["options", o, metric, stat]);
            let tail = if st.n_never.is_some() {
                format!(
                    "{}<td class=\"what\">never pays back</td>",
                    td(&p("p_never"), st.p_never, Unit::Pct(1))
                )
            } else if metric.ends_with("_usd") && metric.starts_with("npv") {
                format!(
                    "{}<td class=\"what\">NPV &lt; 0</td>",
                    td(&p("p_negative"), st.p_negative, Unit::Pct(1))
                )
            } else {
                "<td></td><td></td>".into()
            };
            rows.push(format!(
                "<td>{}</td><td>{}</td>{}{}{}<td class=\"num\">{} ± {}</td>{tail}",
                if i == 0 { esc(label) } else { String::new() },
                esc(o),
                td(&p("p5"), st.p5, unit),
                td(&p("p50"), st.p50, unit),
                td(&p("p95"), st.p95, unit),
                val(&p("mean"), st.mean, unit),
                val(
                    &p("se"),
                    st.se,
                    match unit {
                        Unit::Usd => Unit::UsdBare,
                        // One decimal more: a standard error is far smaller than the value.
                        Unit::Pct(d) => Unit::Pct(d + 1),
                        u => u,
                    }
                ),
            ));
        }
    }
    b.push_str(&table(
        &[
            "metric",
            "option",
            "P5",
            "P50",
            "P95",
            "mean ± se",
            "share of paths",
            "",
        ],
        &rows,
        2,
    ));
    b.push_str(r#"<p class="note">P5 / P50 / P95: 5 %, 50 % and 95 % quantiles over the simulated paths; se: standard error of the mean. Paybacks are over the paths that pay back within the horizon; the probability column says how many never do.</p>"#);
    b
}

/// Overlaid histograms of NPV and of the levelized cost per effective PFLOP-hour.
fn histograms(s: &Summary, names: &[String]) -> String {
    let mut b = h2("distributions", "Distributions over the simulated futures");
    for (metric, name, title) in [
        ("npv_usd", "npv-histogram", "NPV"),
        (
            "levelized_usd_per_effective_pflop_hour",
            "cost-histogram",
            "Levelized cost per effective PFLOP-hour",
        ),
    ] {
        let unit = s.metrics.get(metric).map_or("", |m| m.unit.as_str());
        match histogram(s, names, metric, name, title, unit) {
            Some(svg) => b.push_str(&figure(
                &svg,
                &format!("{title}: share of paths per bin width, each option's bins from its P0.5 to P99.5 (the tails beyond are left out); overlaid with transparency."),
            )),
            None => b.push_str(&missing(&format!(
                "No histogram of {metric} in summary.json."
            ))),
        }
    }
    b
}

/// One overlaid histogram, heights as density so options with different bin widths compare.
fn histogram(
    s: &Summary,
    names: &[String],
    metric: &str,
    name: &str,
    title: &str,
    unit: &str,
) -> Option<String> {
    let hists: Vec<(usize, &Stats)> = names
        .iter()
        .enumerate()
        .filter_map(|(i, o)| s.stats(o, metric).map(|st| (i, st)))
        .filter(|(_, st)| st.histogram.as_ref().is_some_and(|h| h.edges.len() >= 2))
        .collect();
    if hists.is_empty() {
        return None;
    }
    let min_w = hists
        .iter()
        .filter_map(|(_, st)| st.histogram.as_ref())
        .map(|h| (h.edges[h.edges.len() - 1] - h.edges[0]) / h.counts.len().max(1) as f64)
        .fold(f64::INFINITY, f64::min);
    let ref_w = 10f64.powf(min_w.log10().floor());
    let mut bars = Vec::new();
    for (i, st) in &hists {
        let h = st.histogram.as_ref()?;
        let total = (st.count + st.n_undefined + st.n_never.unwrap_or(0)).max(1) as f64;
        let v: Vec<(f64, f64, f64)> = h
            .counts
            .iter()
            .enumerate()
            .map(|(k, &c)| {
                let (x0, x1) = (h.edges[k], h.edges[k + 1]);
                (x0, x1, 100.0 * c as f64 / total / (x1 - x0) * ref_w)
            })
            .collect();
        bars.push((*i, v));
    }
    let x = Axis::over(
        format!("{title} ({unit})"),
        bars.iter()
            .flat_map(|(_, v)| v.iter().flat_map(|b| [b.0, b.1])),
        &[],
        TickKind::Plain,
    );
    let y = Axis::over(
        format!(
            "% of paths per {} {unit}",
            super::num::tick(ref_w, ref_w, ref_w, TickKind::Plain)
        ),
        bars.iter().flat_map(|(_, v)| v.iter().map(|b| b.2)),
        &[0.0],
        TickKind::Plain,
    );
    let mut c = Chart::new(name, &format!("{title}: histogram by option"), x, y);
    for (i, v) in &bars {
        c.bars(v, option_style(*i));
        c.legend(&names[*i], option_style(*i), false);
    }
    Some(c.render())
}

/// Payback CDFs: the share of all paths paid back by each day (it ends below 100 % when some
/// never pay back).
fn paybacks(s: &Summary, names: &[String]) -> String {
    let mut b = h2("payback", "Payback");
    let years = f64::from(s.horizon_days) / YEAR_DAYS;
    for (metric, name, title) in [
        ("payback_days", "payback-cdf", "Payback (undiscounted)"),
        (
            "discounted_payback_days",
            "discounted-payback-cdf",
            "Discounted payback",
        ),
    ] {
        let x = Axis::new("years since the start", 0.0, years, TickKind::Plain);
        let y = Axis::new("share of paths paid back (%)", 0.0, 1.0, TickKind::Percent);
        let mut c = Chart::new(name, &format!("{title}: cumulative distribution"), x, y);
        let mut any = false;
        let mut rows = Vec::new();
        for (i, o) in names.iter().enumerate() {
            let Some(st) = s.stats(o, metric) else {
                continue;
            };
            let total = (st.count + st.n_never.unwrap_or(0)).max(1) as f64;
            let mut pts = vec![(0.0, 0.0)];
            if let Some(h) = st.histogram.as_ref().filter(|h| h.edges.len() >= 2) {
                let mut cum = h.underflow as f64;
                pts.push((h.edges[0] / YEAR_DAYS, cum / total));
                for (k, &n) in h.counts.iter().enumerate() {
                    cum += n as f64;
                    pts.push((h.edges[k + 1] / YEAR_DAYS, cum / total));
                }
                cum += h.overflow as f64;
                pts.push((years, cum / total));
            } else {
                pts.push((years, st.count as f64 / total));
            }
            any = true;
            c.step(&pts, option_style(i));
            c.legend(o, option_style(i), true);
            let p = |stat: &str| ptr(&["options", o, metric, stat]);
            rows.push(format!(
                "{}{}{}{}",
                tdt(o),
                td(&p("p_never"), st.p_never, Unit::Pct(1)),
                td(&p("p50"), st.p50, Unit::Days),
                td(&p("p95"), st.p95, Unit::Days),
            ));
        }
        if any {
            b.push_str(&figure(
                &c.render(),
                &format!("{title}: share of all paths that have paid back by each time; where the line ends below 100 %, the rest never pay back within the horizon."),
            ));
            b.push_str(&table(
                &[
                    "option",
                    "P(never pays back)",
                    "P50 if it pays back",
                    "P95 if it pays back",
                ],
                &rows,
                1,
            ));
        }
    }
    b
}

/// The waterfall of the NPV difference by cash-flow line (summary.json `npv_decomposition`).
fn waterfall(s: &Summary, names: &[String]) -> String {
    let mut b = h2("why", "Why the NPVs differ");
    let Some(dec) = &s.npv_decomposition else {
        b.push_str(&missing("The NPV difference by cash-flow line needs summary.json's npv_decomposition, which this result folder does not have (it was written by a fleetsim without it)."));
        return b;
    };
    for (key, d) in dec {
        let ia = names.iter().position(|n| n == &d.a).unwrap_or(0);
        let ib = names.iter().position(|n| n == &d.b).unwrap_or(1);
        let terms: Vec<(usize, &super::files::Component)> = d
            .components
            .iter()
            .enumerate()
            .filter(|(_, c)| c.in_npv)
            .collect();
        let mut labels: Vec<String> = terms.iter().map(|(_, c)| c.label.clone()).collect();
        labels.push(format!("NPV difference {} − {}", d.a, d.b));
        let mut run = 0.0;
        let mut ends = vec![0.0];
        let mut up = Vec::new();
        let mut down = Vec::new();
        for (k, (_, comp)) in terms.iter().enumerate() {
            let v = comp.mean_usd.unwrap_or(0.0);
            let bar = (k, run, run + v);
            if v >= 0.0 {
                up.push(bar)
            } else {
                down.push(bar)
            }
            run += v;
            ends.push(run);
        }
        let total = d.npv_difference.mean_usd.unwrap_or(run);
        ends.push(total);
        let x = Axis::over(
            format!("contribution to NPV({}) − NPV({}) (USD)", d.a, d.b),
            ends.iter().copied(),
            &[0.0],
            TickKind::Plain,
        );
        let y = Axis::categories("", labels.clone());
        let name = if dec.len() == 1 {
            "npv-waterfall".to_string()
        } else {
            format!("npv-waterfall-{}", slug(key))
        };
        let mut c = Chart::new(
            &name,
            &format!("NPV difference {key}, by cash-flow line"),
            x,
            y,
        );
        c.hbars(&up, option_style(ia), 14.0);
        c.hbars(&down, option_style(ib), 14.0);
        c.hbars(&[(terms.len(), 0.0, total)], GREY, 14.0);
        c.vmarker(0.0, None, "", GREY);
        c.legend_solid(&format!("favours {}", d.a), option_style(ia));
        c.legend_solid(&format!("favours {}", d.b), option_style(ib));
        b.push_str(&figure(
            &c.render(),
            &format!("Each bar: the mean over paths of one cash-flow line's present value in {} minus in {} (a cost where {} spends more is negative), stacked from zero to the NPV difference.", d.a, d.b, d.a),
        ));
        let mut rows = Vec::new();
        for (k, comp) in d.components.iter().enumerate() {
            let p = |f: &str| ptr(&["npv_decomposition", key, "components", &k.to_string(), f]);
            rows.push(format!(
                "{}<td>{}</td>{}{}",
                tdt(&comp.label),
                if comp.in_npv {
                    ""
                } else {
                    "memo (not in the NPV)"
                },
                td(&p("mean_usd"), comp.mean_usd, Unit::Usd),
                td(&p("se_usd"), comp.se_usd, Unit::Usd),
            ));
        }
        let p = |f: &str| ptr(&["npv_decomposition", key, "npv_difference", f]);
        rows.push(format!(
            "<td><strong>NPV difference</strong></td><td></td>{}{}",
            td(&p("mean_usd"), d.npv_difference.mean_usd, Unit::Usd),
            td(&p("se_usd"), d.npv_difference.se_usd, Unit::Usd),
        ));
        b.push_str(&table(&["cash-flow line", "", "mean", "± se"], &rows, 2));
    }
    b
}

/// A name safe in a `data-chart` value.
pub fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
