//! The report of a `fleetsim run` folder: the question and its answer, the headline table,
//! NPV and cost histograms, the cash-flow fan chart with the payback band, availability and
//! failures over time, payback CDFs, the NPV-difference waterfall, the break-even headlines
//! and the resolved inputs. Sections whose file or key an older folder lacks say so.

use std::fmt::Write as _;

use super::html::{
    Unit, csv_src, figure, h2, missing, option_key, option_label, ptr, table, td, tdt, val,
};
use super::load::{RunFolder, Stats, Summary, Table};
use super::num::TickKind;
use super::svg::{Axis, Chart, GREY, option_style};

/// Days per year (the timeseries' months are a twelfth of it).
const YEAR_DAYS: f64 = 365.2425;

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
    ("npv_usd", "has the higher NPV"),
    ("npv_after_tax_usd", "has the higher NPV after tax"),
    (
        "levelized_usd_per_effective_pflop_hour",
        "is cheaper per effective PFLOP-hour (levelized)",
    ),
    ("availability", "has the higher availability"),
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
        super::svg::esc(if s.scenario.name.is_empty() {
            "fleetsim run"
        } else {
            &s.scenario.name
        })
    );
    if let Some(d) = &s.scenario.description {
        let _ = write!(b, r#"<p class="meta">{}</p>"#, super::svg::esc(d));
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
            .map(|z| format!(
                "; sizing {} ({})",
                super::svg::esc(&z.label),
                super::svg::esc(&z.basis)
            ))
            .unwrap_or_default(),
        super::svg::esc(&s.backend),
        super::svg::esc(&s.scenario_file),
        super::svg::esc(&s.fleetsim_version),
    );
    b.push_str(&option_key(&labels));
    b.push_str(&answer(s));
    b.push_str(&headline(s, &names));
    b.push_str(&histograms(s, &names));
    b.push_str(&over_time(f, &names));
    b.push_str(&paybacks(s, &names));
    b.push_str(&waterfall(s, &names));
    b.push_str(&break_evens(s, &names));
    b.push_str(&inputs(s));
    b
}

/// The question and the answer in one sentence with its probability, per pair.
fn answer(s: &Summary) -> String {
    let mut b = h2("answer", "The answer");
    if s.pairs.is_empty() {
        b.push_str(&missing(
            "One option only: there is no comparison to answer (summary.json has no pairs).",
        ));
        return b;
    }
    for (key, p) in &s.pairs {
        let Some(m) = p.metrics.get("npv_usd") else {
            continue;
        };
        let src = ptr(&["pairs", key, "metrics", "npv_usd", "p_a_better"]);
        let prob = val(&src, m.p_a_better, Unit::Pct(1));
        let se = val(
            &ptr(&["pairs", key, "metrics", "npv_usd", "p_a_better_se"]),
            m.p_a_better_se,
            Unit::Pct(1),
        );
        let (a, bb) = (super::svg::esc(&p.a), super::svg::esc(&p.b));
        let _ = write!(
            b,
            r#"<p class="meta">Question: over the horizon, which fleet has the higher net present value, {a} or {bb}?</p>"#
        );
        let sentence = match m.p_a_better {
            Some(x) if x >= 0.5 => format!(
                "<strong>{a}</strong> has the higher NPV on {prob} (± {se}) of the simulated futures."
            ),
            Some(_) => format!(
                "<strong>{bb}</strong> is the better bet: {a} has the higher NPV on only {prob} (± {se}) of the simulated futures."
            ),
            None => format!("The NPVs of {a} and {bb} could not be compared on any path."),
        };
        let _ = write!(b, r#"<p class="answer">{sentence}</p>"#);
        let d = &m.difference;
        let dp = |stat: &str, x: Option<f64>| {
            val(
                &ptr(&["pairs", key, "metrics", "npv_usd", "difference", stat]),
                x,
                Unit::Usd,
            )
        };
        let _ = write!(
            b,
            r#"<p>NPV of {a} minus NPV of {bb}, path by path: median {}, P5 {}, P95 {}, mean {} (± {}).</p>"#,
            dp("p50", d.p50),
            dp("p5", d.p5),
            dp("p95", d.p95),
            dp("mean", d.mean),
            dp("se", d.se)
        );
        let mut rows = Vec::new();
        for (metric, what) in PAIRED {
            let Some(pm) = p.metrics.get(*metric) else {
                continue;
            };
            let base = ["pairs", key.as_str(), "metrics", metric];
            rows.push(format!(
                "<td>P({a} {what} than {bb})</td>{}{}",
                td(
                    &ptr(&[&base[..], &["p_a_better"]].concat()),
                    pm.p_a_better,
                    Unit::Pct(1)
                ),
                td(
                    &ptr(&[&base[..], &["p_a_better_se"]].concat()),
                    pm.p_a_better_se,
                    Unit::Pct(1)
                ),
            ));
        }
        b.push_str(&table(&["paired probability", "value", "± se"], &rows, 1));
    }
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
                if i == 0 {
                    super::svg::esc(label)
                } else {
                    String::new()
                },
                super::svg::esc(o),
                td(&p("p5"), st.p5, unit),
                td(&p("p50"), st.p50, unit),
                td(&p("p95"), st.p95, unit),
                val(&p("mean"), st.mean, unit),
                val(
                    &p("se"),
                    st.se,
                    if unit == Unit::Usd {
                        Unit::UsdBare
                    } else {
                        unit
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
            "probability",
            "of",
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

/// Rows of timeseries.csv for one option and metric, in month order.
fn ts_rows(t: &Table, option: &str, metric: &str) -> Vec<usize> {
    (0..t.rows.len())
        .filter(|&r| t.text(r, "option") == Some(option) && t.text(r, "metric") == Some(metric))
        .collect()
}

/// The cash-flow fan chart with the payback band, then availability and failures by month.
fn over_time(f: &RunFolder, names: &[String]) -> String {
    let s = &f.summary;
    let mut b = h2("over-time", "Over time");
    let Some(t) = &f.timeseries else {
        b.push_str(&missing("The monthly paths over time (cumulative cash flow, availability, failures) need timeseries.csv, which this result folder does not have (it was written by a fleetsim without it)."));
        return b;
    };
    // Running totals at the month's end, flows of the month at its middle.
    let series = |o: &str, m: &str| -> Vec<(f64, usize)> {
        ts_rows(t, o, m)
            .into_iter()
            .filter_map(|r| {
                let end = t.num(r, "day_end")?;
                let x = if m.starts_with("cumulative") {
                    end
                } else {
                    (t.num(r, "day_start")? + end) / 2.0
                };
                Some((x / YEAR_DAYS, r))
            })
            .collect()
    };
    let all = |m: &str, cols: &[&str]| -> Vec<f64> {
        names
            .iter()
            .flat_map(|o| series(o, m))
            .flat_map(|(_, r)| {
                cols.iter()
                    .filter_map(move |c| t.num(r, c))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let years = f64::from(s.horizon_days) / YEAR_DAYS;
    for (metric, name, title, ytitle, kind) in [
        (
            "cumulative_discounted_cash_flow_usd",
            "cash-flow-fan",
            "Cumulative discounted cash flow (running NPV)",
            "cumulative discounted cash flow (USD)",
            TickKind::Plain,
        ),
        (
            "available_fraction",
            "availability-over-time",
            "Available fraction of the fleet by month",
            "available chip-hours / fleet chip-hours (%)",
            TickKind::Percent,
        ),
        (
            "failures",
            "failures-over-time",
            "Failures by month (hard + soft)",
            "failures in the month (count)",
            TickKind::Plain,
        ),
    ] {
        let values = all(metric, &["p5", "p95", "p50"]);
        if values.is_empty() {
            b.push_str(&missing(&format!(
                "timeseries.csv has no rows of {metric}."
            )));
            continue;
        }
        let also: &[f64] = if metric.ends_with("_usd") {
            &[0.0]
        } else {
            &[]
        };
        let x = Axis::new("years since the start", 0.0, years, TickKind::Plain);
        let y = Axis::over(ytitle, values, also, kind);
        let mut c = Chart::new(name, title, x, y);
        for (i, o) in names.iter().enumerate() {
            let st = option_style(i);
            let rows = series(o, metric);
            let band = |lo: &str, hi: &str| -> Vec<(f64, f64, f64)> {
                rows.iter()
                    .map(|&(x, r)| {
                        (
                            x,
                            t.num(r, lo).unwrap_or(f64::NAN),
                            t.num(r, hi).unwrap_or(f64::NAN),
                        )
                    })
                    .collect()
            };
            c.band(&band("p5", "p95"), st, 0.10);
            if metric.ends_with("_usd") {
                c.band(&band("p25", "p75"), st, 0.20);
            }
            let line: Vec<(f64, f64)> = rows
                .iter()
                .map(|&(x, r)| (x, t.num(r, "p50").unwrap_or(f64::NAN)))
                .collect();
            c.line(&line, st, 2.2);
            c.legend(&format!("{o} P50"), st, true);
        }
        let mut caption = String::from("Line: P50 over paths; shaded: P5 to P95");
        if metric.ends_with("_usd") {
            caption.push_str(" (darker: P25 to P75)");
            c.hline(0.0, "break-even", GREY);
            for (i, o) in names.iter().enumerate() {
                if let Some(p) = s.stats(o, "discounted_payback_days")
                    && let (Some(p5), Some(p50), Some(p95)) = (p.p5, p.p50, p.p95)
                {
                    let d = |x: f64| x / YEAR_DAYS;
                    c.interval(
                        0.0,
                        d(p5),
                        d(p95),
                        d(p50),
                        9.0 + 10.0 * i as f64,
                        option_style(i),
                    );
                }
            }
            caption.push_str("; the bars under the zero line: the discounted payback, P5 to P95 with a tick at the P50, over the paths that pay back (the payback section says how many do)");
        }
        caption.push('.');
        b.push_str(&figure(&c.render(), &caption));
        if metric.ends_with("_usd") {
            b.push_str(&yearly_table(t, names, metric));
        }
    }
    b
}

/// The cumulative discounted cash flow at each year's last month: P5 / P50 / P95 per option,
/// straight from timeseries.csv.
fn yearly_table(t: &Table, names: &[String], metric: &str) -> String {
    let mut rows = Vec::new();
    for o in names {
        let rs = ts_rows(t, o, metric);
        let n = rs.len();
        for (k, &r) in rs.iter().enumerate() {
            let Some(month) = t.text(r, "month") else {
                continue;
            };
            let m: usize = month.parse().unwrap_or(0);
            if !m.is_multiple_of(12) && k + 1 != n {
                continue;
            }
            let cell = |stat: &str| {
                td(
                    &csv_src(
                        "timeseries.csv",
                        &[("option", o), ("month", month), ("metric", metric)],
                        stat,
                    ),
                    t.num(r, stat),
                    Unit::Usd,
                )
            };
            rows.push(format!(
                "{}<td class=\"num\">{month}</td>{}{}{}",
                tdt(o),
                cell("p5"),
                cell("p50"),
                cell("p95")
            ));
        }
    }
    table(&["option", "month", "P5", "P50", "P95"], &rows, 1)
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
        let terms: Vec<(usize, &super::load::Component)> = d
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

/// The break-even headlines of the run (where the decision flips along an input).
fn break_evens(s: &Summary, names: &[String]) -> String {
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
            format!("{} of {} ({})", be.input, be.option, be.unit),
            be.grid.iter().copied(),
            &[],
            kind,
        );
        let munit = s.metrics.get(&be.metric).map_or("USD", |m| m.unit.as_str());
        let y = Axis::over(
            format!(
                "P50 of {} − {}: {} ({munit})",
                be.option, be.other, be.metric
            ),
            pts.iter().flat_map(|p| [p.1, p.2]),
            &[0.0],
            TickKind::Plain,
        );
        let name = format!("break-even-{}-{}", slug(&be.input), slug(&be.metric));
        let mut c = Chart::new(
            &name,
            &format!("Break-even of {} along {}", be.metric, be.input),
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
        b.push_str(&figure(&c.render(), &format!("The median over paths of the per-path difference in {} along {}, the other inputs as in the scenario; the break-even is where it crosses zero, shaded by its uncertainty.", be.metric, be.input)));
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
        other => super::svg::esc(&other.to_string()),
    }
}

/// The resolved inputs: the environment, each option, with their distributions and sources.
fn inputs(s: &Summary) -> String {
    let mut b = h2("inputs", "Inputs as resolved");
    let _ = write!(
        b,
        r#"<p>Source: scenario <code>{}</code> over the hardware catalog <code>{}</code> (the public figures behind the catalog's defaults, with their sources, are in <code>docs/reference-data.md</code>). Each input is sampled once per path from the distribution shown; key names carry their unit.</p>"#,
        super::svg::esc(&s.scenario.origin),
        super::svg::esc(&s.scenario.catalog)
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
                super::svg::esc(k),
                dist_text(&ptr(&["scenario", "environment", "inputs", k]), v)
            )
        })
        .collect();
    b.push_str(&table(&["input", "distribution"], &rows, 9));
    for (i, o) in s.scenario.options.iter().enumerate() {
        let _ = write!(b, "<h3>{}</h3>", super::svg::esc(&o.name));
        let base = ["scenario", "options", &i.to_string(), "inputs"];
        let rows: Vec<String> = o
            .inputs
            .iter()
            .map(|(k, v)| {
                format!(
                    r#"<td class="key">{}</td><td>{}</td>"#,
                    super::svg::esc(k),
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
                                format!(
                                    "<code>{}</code> {}",
                                    super::svg::esc(k),
                                    dist_text(&src, v)
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                format!(
                    r#"<td class="key">{}</td><td>{}</td><td>{}</td>"#,
                    super::svg::esc(name),
                    super::svg::esc(kind),
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
