//! The run report's sections over time, from timeseries.csv: the cumulative discounted cash
//! flow as a fan chart (P5-P95, P25-P75, P50) with the payback band, a yearly table of it, and
//! the available fraction and failures by month. A folder without the file says so.

use super::html::{Unit, csv_src, figure, h2, missing, table, td, tdt};
use super::load::{RunFolder, Table};
use super::num::TickKind;
use super::svg::{Axis, Chart, GREY, option_style};

/// Days per year (the timeseries' months are a twelfth of it).
pub(super) const YEAR_DAYS: f64 = 365.2425;

/// Rows of timeseries.csv for one option and metric, in month order.
fn ts_rows(t: &Table, option: &str, metric: &str) -> Vec<usize> {
    (0..t.rows.len())
        .filter(|&r| t.text(r, "option") == Some(option) && t.text(r, "metric") == Some(metric))
        .collect()
}

/// The cash-flow fan chart with the payback band, then availability and failures by month.
pub(super) fn over_time(f: &RunFolder, names: &[String]) -> String {
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
        let mut values = all(metric, &["p5", "p95", "p50"]);
        // The available fraction rises from 0 through the delivery ramp, then sits within a
        // percent of 1: the axis spans the delivered months (P5 at least 90 %), where the
        // failures show, and the ramp runs off its floor.
        let ramp_cut = metric == "available_fraction" && {
            let delivered: Vec<f64> = names
                .iter()
                .flat_map(|o| series(o, metric))
                .filter(|&(_, r)| t.num(r, "p5").is_some_and(|v| v >= 0.9))
                .flat_map(|(_, r)| ["p5", "p95", "p50"].map(|c| t.num(r, c)))
                .flatten()
                .collect();
            let cut = !delivered.is_empty() && delivered.len() < values.len();
            if cut {
                values = delivered;
            }
            cut
        };
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
        if ramp_cut {
            caption.push_str("; the axis spans the months after delivery (P5 at least 90 %): the delivery ramp runs off its floor");
        }
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
