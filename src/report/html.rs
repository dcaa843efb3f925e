//! The report page: one self-contained HTML file (inline CSS with a print stylesheet, the
//! system font stack, no `<script>`, no external reference), its header, and the helpers the
//! section builders share: numbers marked with where they come from (`data-src`) and how they
//! were rounded (`data-precision`), tables, figures and the sentence a missing part leaves.
//!
//! `data-src` forms: a JSON pointer starting with `/` points into summary.json; `FILE#/ptr`
//! into another JSON file of the folder (`tornado.json#/rows/0/swing`); `FILE.csv#col=v&...&stat=C`
//! is column `C` of the row of FILE.csv whose other named columns have those values
//! (`timeseries.csv#option=trn2&month=12&metric=revenue_usd&stat=p50`).

use std::fmt::Write as _;

use super::num::{self, REL};
use super::svg::esc;

/// The page's style: readable type, tabular figures, charts scaled to the column, and a print
/// stylesheet (no page breaks inside a figure or table, colours kept).
const CSS: &str = r#"
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1d1d1f; background: #fff; margin: 0; line-height: 1.45; font-size: 15px; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 10px; border-top: 1px solid #ddd; }
h3 { font-size: 16px; margin: 22px 0 6px; }
p.meta { color: #555; margin: 2px 0; font-size: 13px; }
p.answer { font-size: 19px; background: #f4f6fa; border-left: 5px solid #1f4e8c; padding: 12px 16px; margin: 16px 0; }
p.missing { color: #7a4b00; background: #fff8e6; border-left: 4px solid #e69f00; padding: 8px 12px; }
p.note, figcaption { color: #555; font-size: 13px; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13.5px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
th { background: #f6f6f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.what { white-space: nowrap; color: #555; }
td.key { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.swatch { display: inline-block; width: 22px; height: 0; border-top: 3px solid; vertical-align: middle; margin-right: 6px; }
figure { margin: 12px 0 22px; }
svg.chart { width: 100%; height: auto; max-width: 900px; display: block; font-family: inherit; }
code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure, table, p.answer { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

/// Wraps the sections into the page.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body><main>\n{body}\n<p class=\"note\">Written by fleetsim from the files of this result folder; every number carries its source (<code>data-src</code>) and rounding (<code>data-precision</code>).</p></main></body></html>\n",
        esc(title)
    )
}

/// A JSON pointer from its reference tokens (`~` and `/` escaped as RFC 6901 says).
pub fn ptr(parts: &[&str]) -> String {
    let mut s = String::new();
    for p in parts {
        s.push('/');
        s.push_str(&p.replace('~', "~0").replace('/', "~1"));
    }
    s
}

/// A `data-src` for a CSV cell: `FILE#k=v&...&stat=COLUMN`.
pub fn csv_src(file: &str, keys: &[(&str, &str)], stat: &str) -> String {
    let mut s = format!("{file}#");
    for (k, v) in keys {
        let _ = write!(s, "{k}={v}&");
    }
    let _ = write!(s, "stat={stat}");
    s
}

/// A formatted number and its rounding.
pub struct Shown {
    /// The text.
    pub text: String,
    /// `data-precision`.
    pub precision: String,
}

/// How a value is written, by its unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// US dollars (k / M / B).
    Usd,
    /// US dollars without the `USD` word (a standard error after `±`).
    UsdBare,
    /// A fraction shown as a percentage with this many decimals.
    Pct(usize),
    /// Days.
    Days,
    /// A plain quantity.
    Qty,
}

impl Unit {
    /// The unit of a metric as summary.json names it (`USD`, `fraction`, `per year`, `days`,
    /// `USD/chip-hour`, ...).
    pub fn of(unit: &str) -> Unit {
        match unit {
            u if u.starts_with("USD") => Unit::Usd,
            "fraction" => Unit::Pct(2),
            "per year" => Unit::Pct(1),
            "days" => Unit::Days,
            _ => Unit::Qty,
        }
    }

    /// `x` written in this unit.
    pub fn show(self, x: f64) -> Shown {
        match self {
            Unit::Usd => Shown {
                text: num::usd(x),
                precision: REL.into(),
            },
            Unit::UsdBare => Shown {
                text: num::short(x),
                precision: REL.into(),
            },
            Unit::Pct(d) => Shown {
                text: num::pct(x, d),
                precision: num::pct_precision(d),
            },
            Unit::Days => Shown {
                text: num::days(x),
                precision: num::DAYS_PRECISION.into(),
            },
            Unit::Qty => Shown {
                text: num::qty(x),
                precision: num::qty_precision(x),
            },
        }
    }
}

/// Words for a metric in titles and axis labels (its name when it has none).
pub fn metric_label(metric: &str) -> &str {
    match metric {
        "npv_usd" => "NPV",
        "npv_after_tax_usd" => "NPV after tax",
        "levelized_usd_per_effective_pflop_hour" => "levelized cost per effective PFLOP-hour",
        "usd_per_effective_pflop_hour" => "cost per effective PFLOP-hour",
        "levelized_usd_per_sold_chip_hour" => "levelized cost per sold chip-hour",
        "payback_days" => "payback",
        "discounted_payback_days" => "discounted payback",
        "availability" => "availability",
        "revenue_usd" => "revenue",
        m => m,
    }
}

/// A metric's unit from its name, as summary.json states it, for files that do not carry the
/// unit (sweep.json, tornado.json): `USD` for `*_usd`, `days` for `*_days`, and so on.
pub fn metric_unit(metric: &str) -> &'static str {
    match metric {
        m if m.ends_with("_usd") => "USD",
        m if m.ends_with("_days") => "days",
        m if m.ends_with("_pflop_hour") => "USD/PFLOP-hour",
        m if m.ends_with("_chip_hour") => "USD/chip-hour",
        m if m.ends_with("_tbps_hour") => "USD/TB/s-hour",
        m if m.starts_with("irr") => "per year",
        "availability" | "goodput" | "job_uptime" => "fraction",
        _ => "",
    }
}

/// The tick style for a unit: percent for fractions and rates per year.
pub fn tick_kind(unit: &str) -> super::num::TickKind {
    if unit == "fraction" || unit == "per year" {
        super::num::TickKind::Percent
    } else {
        super::num::TickKind::Plain
    }
}

/// A unit as an axis title shows it: a fraction is drawn in percent.
pub fn axis_unit(unit: &str) -> &str {
    match unit {
        "fraction" | "per year" => "%",
        u => u,
    }
}

/// `<span>` with the number's source and rounding, or `n/a` when undefined.
pub fn val(src: &str, x: Option<f64>, unit: Unit) -> String {
    match x.filter(|v| v.is_finite()) {
        Some(v) => {
            let s = unit.show(v);
            format!(
                r#"<span data-src="{}" data-precision="{}">{}</span>"#,
                esc(src),
                s.precision,
                esc(&s.text)
            )
        }
        None => "n/a".into(),
    }
}

/// A numeric table cell holding [`val`].
pub fn td(src: &str, x: Option<f64>, unit: Unit) -> String {
    format!(r#"<td class="num">{}</td>"#, val(src, x, unit))
}

/// A table: header cells (text, escaped) and rows of ready cells (`<td>...</td>` each).
pub fn table(header: &[&str], rows: &[String], num_from: usize) -> String {
    let mut s = String::from("<table><thead><tr>");
    for (i, h) in header.iter().enumerate() {
        let class = if i >= num_from { r#" class="num""# } else { "" };
        let _ = write!(s, "<th{class}>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        let _ = write!(s, "<tr>{r}</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// A text cell.
pub fn tdt(text: &str) -> String {
    format!("<td>{}</td>", esc(text))
}

/// A figure: the chart and its caption.
pub fn figure(svg: &str, caption: &str) -> String {
    format!("<figure>{svg}<figcaption>{caption}</figcaption></figure>")
}

/// The sentence a section shows when its file or key is missing.
pub fn missing(what: &str) -> String {
    format!(r#"<p class="missing">{what}</p>"#)
}

/// A section heading.
pub fn h2(id: &str, title: &str) -> String {
    format!(r#"<h2 id="{id}">{}</h2>"#, esc(title))
}

/// A short, readable name for an option: its name and the start of its description
/// (`trn2 (AWS Trainium2)`).
pub fn option_label(name: &str, description: &str) -> String {
    let head = description.split(',').next().unwrap_or("");
    let head = head.split('(').next().unwrap_or("").trim();
    if head.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({head})")
    }
}

/// A legend line for the page (outside the charts): each option's swatch in its colour and
/// dash, and its label.
pub fn option_key(labels: &[String]) -> String {
    let mut s = String::from(r#"<p class="meta">"#);
    for (i, l) in labels.iter().enumerate() {
        let st = super::svg::option_style(i);
        let style = if st.dash.is_empty() {
            "solid"
        } else {
            "dashed"
        };
        let _ = write!(
            s,
            r#"<span class="swatch" style="border-top-color:{};border-top-style:{style}"></span>{}&nbsp;&nbsp; "#,
            st.color,
            esc(l)
        );
    }
    s.push_str("</p>");
    s
}
