//! summary.xlsx: a run's result folder as one workbook for spreadsheet users, written from the
//! files on disk (so it always shows what the folder holds). Sheets: `summary` (summary.csv),
//! `pairs` (pairs.csv), `monthly` (timeseries.csv, when the folder has it), `histograms` (the
//! NPV histograms of summary.json) and `about`; native charts of the cumulative discounted
//! cash-flow fan (on `monthly`) and the NPV histograms (on `histograms`). Cells are typed:
//! numbers are numbers (the CSV's shortest round-trip digits, so the same f64), empty cells
//! stay blank, text stays text.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    Chart, ChartAxisLabelPosition, ChartLineDashType, ChartType, Color, Format, FormatAlign,
    Workbook, Worksheet, XlsxError,
};
use serde_json::Value;

use super::{ExportError, io_err, names};

/// The workbook's file name.
pub const SUMMARY_XLSX: &str = "summary.xlsx";
/// The long-format monthly bands the `monthly` sheet and the fan chart come from.
pub const TIMESERIES_CSV: &str = "timeseries.csv";
/// The metric of timeseries.csv the fan chart draws.
pub const FAN_METRIC: &str = "cumulative_discounted_cash_flow_usd";
/// Sheet names, in order (`monthly` only when timeseries.csv exists).
pub const SHEETS: [&str; 5] = ["summary", "pairs", "monthly", "histograms", "about"];

/// Columns that hold text even where a cell would parse as a number (an option named `1e5`).
const TEXT_COLUMNS: [&str; 9] = [
    "option",
    "option_a",
    "option_b",
    "metric",
    "kind",
    "unit",
    "quantile_method",
    "undefined_reason",
    "name",
];
/// Columns of whole counts (`#,##0`); other numbers are formatted by their row's unit: USD
/// `#,##0`, fractions and rates per year `0.0%`, counts, days and quantities `#,##0.0`, unit
/// costs and ratios `#,##0.000`.
const COUNT_COLUMNS: [&str; 7] = [
    "count",
    "n_undefined",
    "n_never",
    "n_compared",
    "n",
    "day_start",
    "day_end",
];
/// Columns of probabilities (`0.0%`) whatever the row's unit.
const PROBABILITY_COLUMNS: [&str; 4] = ["p_negative", "p_never", "p_a_better", "p_a_better_se"];
/// Series colours, one per option (up to 8 options; they repeat after).
const COLOURS: [u32; 8] = [
    0x1F77B4, 0xD62728, 0x2CA02C, 0xFF7F0E, 0x9467BD, 0x8C564B, 0xE377C2, 0x17BECF,
];
/// USD in millions on a chart axis (the values stay USD).
const USD_MILLIONS: &str = "#,##0,,\"M\"";

/// Stages `summary.xlsx` in `out` from the result files already committed there (summary.csv,
/// pairs.csv, summary.json, and timeseries.csv when present); it appears on `out`'s next
/// commit, so a failed write never leaves a partial workbook. Refuses to overwrite an existing
/// workbook unless `out` may. Returns the path it will have.
pub fn write_run_xlsx(out: &mut super::OutputDir) -> Result<PathBuf, ExportError> {
    let dir = out.dir().to_path_buf();
    let dir = dir.as_path();
    let path = dir.join(SUMMARY_XLSX);
    out.check_free(&[SUMMARY_XLSX])?;
    let summary = read_csv(&dir.join(names::SUMMARY_CSV))?;
    let pairs = read_csv(&dir.join(names::PAIRS_CSV))?;
    let json_path = dir.join(names::SUMMARY_JSON);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).map_err(io_err(&json_path))?)
            .map_err(|source| ExportError::Json {
                path: json_path.clone(),
                source,
            })?;
    let ts_path = dir.join(TIMESERIES_CSV);
    let monthly = if ts_path.exists() {
        Some(read_csv(&ts_path)?)
    } else {
        None
    };
    let options = option_order(&summary);

    let xerr = |source| ExportError::Xlsx {
        path: path.clone(),
        source,
    };
    let mut wb = Workbook::new();
    let f = Formats::new();
    table_sheet(wb.add_worksheet(), "summary", &summary, &f).map_err(xerr)?;
    table_sheet(wb.add_worksheet(), "pairs", &pairs, &f).map_err(xerr)?;
    let mut fan = None;
    if let Some(t) = &monthly {
        let ws = wb.add_worksheet();
        table_sheet(ws, "monthly", t, &f).map_err(xerr)?;
        fan = fan_chart(t, &options).map_err(|reason| ExportError::Invalid {
            path: ts_path.clone(),
            reason,
        })?;
        if let Some(chart) = &fan {
            ws.insert_chart(1, t.header.len() as u16 + 1, chart)
                .map_err(xerr)?;
        }
    }
    let hist = histograms(&json, &options);
    histogram_sheet(wb.add_worksheet(), &hist, &f).map_err(xerr)?;
    about_sheet(
        wb.add_worksheet(),
        &json,
        &hist,
        monthly.is_some(),
        fan.is_some(),
        &f,
    )
    .map_err(xerr)?;
    let bytes = wb.save_to_buffer().map_err(xerr)?;
    out.write(SUMMARY_XLSX, &bytes)?;
    Ok(path)
}

/// A CSV file: its header and rows of text cells.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

fn read_csv(path: &Path) -> Result<Csv, ExportError> {
    let cerr = |source| ExportError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let mut r = csv::Reader::from_reader(std::io::BufReader::new(file));
    let header = r
        .headers()
        .map_err(cerr)?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        rows.push(rec.map_err(cerr)?.iter().map(str::to_string).collect());
    }
    Ok(Csv { header, rows })
}

/// The options in the order summary.csv lists them (the scenario's).
fn option_order(summary: &Csv) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    if let Some(c) = summary.col("option") {
        for r in &summary.rows {
            if !v.contains(&r[c]) {
                v.push(r[c].clone());
            }
        }
    }
    v
}

/// A cell's number: finite and parsed from the whole text, in a column not of text.
fn number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The cell formats of the workbook.
struct Formats {
    header: Format,
    usd: Format,
    fraction: Format,
    count: Format,
    tenths: Format,
    plain: Format,
    title: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin),
            usd: Format::new().set_num_format("#,##0"),
            fraction: Format::new().set_num_format("0.0%"),
            count: Format::new().set_num_format("#,##0"),
            tenths: Format::new().set_num_format("#,##0.0"),
            plain: Format::new().set_num_format("#,##0.000"),
            title: Format::new().set_bold().set_font_size(14),
        }
    }

    /// The format of a number in `column` of a row whose unit is `unit`.
    fn for_cell(&self, column: &str, unit: &str) -> &Format {
        if COUNT_COLUMNS.contains(&column) || column == "month" {
            &self.count
        } else if PROBABILITY_COLUMNS.contains(&column) {
            &self.fraction
        } else {
            match unit {
                "USD" => &self.usd,
                "fraction" | "per year" => &self.fraction,
                "count" | "days" | "MWh" | "chip-hours" | "node-hours" | "PFLOP-hours" => {
                    &self.tenths
                }
                _ => &self.plain,
            }
        }
    }
}

/// One CSV as a sheet named `name`: a bold frozen header, typed cells (numbers as numbers with
/// a format by column and the row's `unit`, empty cells blank, text as text) and widths.
fn table_sheet(ws: &mut Worksheet, name: &str, t: &Csv, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    let unit_col = t.col("unit");
    let numeric: Vec<bool> = t
        .header
        .iter()
        .enumerate()
        .map(|(c, h)| {
            !TEXT_COLUMNS.contains(&h.as_str())
                && t.rows
                    .iter()
                    .all(|r| r[c].is_empty() || number(&r[c]).is_some())
        })
        .collect();
    let mut widths: Vec<usize> = t.header.iter().map(|h| h.len().clamp(6, 14)).collect();
    for (c, h) in t.header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &f.header)?;
    }
    for (i, r) in t.rows.iter().enumerate() {
        let row = i as u32 + 1;
        let unit = unit_col.map(|u| r[u].as_str()).unwrap_or("");
        for (c, cell) in r.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let col = c as u16;
            match number(cell).filter(|_| numeric[c]) {
                Some(x) => {
                    ws.write_number_with_format(row, col, x, f.for_cell(&t.header[c], unit))?;
                    widths[c] = widths[c].max(15);
                }
                None => {
                    ws.write_string(row, col, cell)?;
                    widths[c] = widths[c].max(cell.len().min(40));
                }
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w as f64 + 1.0)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The fan chart of [`FAN_METRIC`]: per option its P5, P50 and P95 by month (one colour per
/// option, the P50 solid, the bands dashed), USD in millions. `None` when timeseries.csv has
/// no row of the metric; an error when its rows are not grouped by (option, metric) with
/// months ascending, as its contract says.
fn fan_chart(t: &Csv, options: &[String]) -> Result<Option<Chart>, String> {
    let need = |name: &str| {
        t.col(name)
            .ok_or_else(|| format!("no column {name:?} (columns: {})", t.header.join(",")))
    };
    let (oc, mc, kc) = (need("option")?, need("month")?, need("metric")?);
    let stats = [need("p5")?, need("p50")?, need("p95")?];
    let mut blocks: Vec<(String, u32, u32)> = Vec::new();
    for (i, r) in t.rows.iter().enumerate() {
        if r[kc] != FAN_METRIC {
            continue;
        }
        let row = i as u32 + 1;
        match blocks.last_mut() {
            Some((o, _, last)) if *o == r[oc] && *last + 1 == row => {
                let prev: f64 = number(&t.rows[i - 1][mc]).unwrap_or(f64::NAN);
                if number(&r[mc]).is_none_or(|m| m <= prev) {
                    return Err(format!("row {row}: months of {} not ascending", r[oc]));
                }
                *last = row;
            }
            _ => {
                if blocks.iter().any(|(o, _, _)| *o == r[oc]) {
                    return Err(format!(
                        "the {FAN_METRIC} rows of option {} are not together",
                        r[oc]
                    ));
                }
                blocks.push((r[oc].clone(), row, row));
            }
        }
    }
    if blocks.is_empty() {
        return Ok(None);
    }
    let mut chart = Chart::new(ChartType::Line);
    chart
        .title()
        .set_name("Cumulative discounted cash flow: P5 / P50 / P95 by month");
    // Month labels below the plot, not at the zero line the early negative months cross.
    let months = blocks.iter().map(|(_, f, l)| l - f + 1).max().unwrap_or(1);
    chart
        .x_axis()
        .set_name("month")
        .set_label_position(ChartAxisLabelPosition::Low)
        .set_label_interval(if months > 24 { 6 } else { 1 });
    chart
        .y_axis()
        .set_name("USD (millions)")
        .set_num_format(USD_MILLIONS);
    chart.set_width(900).set_height(480);
    for (o, first, last) in &blocks {
        let k = options.iter().position(|x| x == o).unwrap_or(0);
        let colour = Color::RGB(COLOURS[k % COLOURS.len()]);
        for (s, (label, dash)) in stats.iter().zip([
            ("P5", ChartLineDashType::Dash),
            ("P50", ChartLineDashType::Solid),
            ("P95", ChartLineDashType::Dash),
        ]) {
            chart
                .add_series()
                .set_name(&format!("{o} {label}"))
                .set_categories(("monthly", *first, mc as u16, *last, mc as u16))
                .set_values(("monthly", *first, *s as u16, *last, *s as u16))
                .set_format(
                    rust_xlsxwriter::ChartFormat::new().set_line(
                        rust_xlsxwriter::ChartLine::new()
                            .set_color(colour)
                            .set_dash_type(dash)
                            .set_width(if label == "P50" { 2.25 } else { 1.25 }),
                    ),
                );
        }
    }
    Ok(Some(chart))
}

/// One option's NPV histogram from summary.json.
struct Hist {
    option: String,
    edges: Vec<f64>,
    counts: Vec<f64>,
    underflow: f64,
    overflow: f64,
}

/// The NPV histogram of each option (in `options` order) that summary.json has.
fn histograms(json: &Value, options: &[String]) -> Vec<Hist> {
    let nums = |v: &Value| -> Vec<f64> {
        v.as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    options
        .iter()
        .filter_map(|o| {
            let h = json.pointer(&format!("/options/{}/npv_usd/histogram", escape(o)))?;
            let (edges, counts) = (nums(&h["edges"]), nums(&h["counts"]));
            (edges.len() == counts.len() + 1 && !counts.is_empty()).then(|| Hist {
                option: o.clone(),
                edges,
                counts,
                underflow: h["underflow"].as_f64().unwrap_or(0.0),
                overflow: h["overflow"].as_f64().unwrap_or(0.0),
            })
        })
        .collect()
}

/// A JSON pointer token (`~` and `/` escaped).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The `histograms` sheet and its clustered-column chart. When every option has the same bin
/// edges: `bin, lower_usd, upper_usd, centre_usd`, then one count column per option, the chart
/// over the bin centres. Otherwise (each option's bins span its own P0.5-P99.5) each option
/// has its own four columns `OPT lower_usd, OPT upper_usd, OPT centre_usd, OPT count`, and the
/// chart's categories are the bin numbers. Below the bins: underflow and overflow counts.
fn histogram_sheet(ws: &mut Worksheet, hist: &[Hist], f: &Formats) -> Result<(), XlsxError> {
    ws.set_name("histograms")?;
    if hist.is_empty() {
        ws.write_string(0, 0, "summary.json has no NPV histogram")?;
        return Ok(());
    }
    let shared = hist.iter().all(|h| h.edges == hist[0].edges);
    let n_bins = hist.iter().map(|h| h.counts.len()).max().unwrap_or(0) as u32;
    ws.write_string_with_format(0, 0, "bin", &f.header)?;
    for b in 0..n_bins {
        ws.write_number_with_format(b + 1, 0, b + 1, &f.count)?;
    }
    // (first column of the counts of each option)
    let mut count_cols = Vec::new();
    let edge_block = |ws: &mut Worksheet, col: u16, h: &Hist, prefix: &str| {
        for (k, name) in ["lower_usd", "upper_usd", "centre_usd"].iter().enumerate() {
            ws.write_string_with_format(0, col + k as u16, format!("{prefix}{name}"), &f.header)?;
        }
        for (b, w) in h.edges.windows(2).enumerate() {
            let row = b as u32 + 1;
            ws.write_number_with_format(row, col, w[0], &f.usd)?;
            ws.write_number_with_format(row, col + 1, w[1], &f.usd)?;
            ws.write_number_with_format(row, col + 2, 0.5 * (w[0] + w[1]), &f.usd)?;
        }
        Ok::<_, XlsxError>(())
    };
    let mut col: u16 = 1;
    if shared {
        edge_block(ws, col, &hist[0], "")?;
        col += 3;
    }
    for h in hist {
        if !shared {
            edge_block(ws, col, h, &format!("{} ", h.option))?;
            col += 3;
        }
        ws.write_string_with_format(0, col, format!("{} count", h.option), &f.header)?;
        for (b, c) in h.counts.iter().enumerate() {
            ws.write_number_with_format(b as u32 + 1, col, *c, &f.count)?;
        }
        count_cols.push(col);
        col += 1;
    }
    let below = n_bins + 2;
    ws.write_string_with_format(below, 0, "underflow", &f.header)?;
    ws.write_string_with_format(below + 1, 0, "overflow", &f.header)?;
    for (h, c) in hist.iter().zip(&count_cols) {
        ws.write_number_with_format(below, *c, h.underflow, &f.count)?;
        ws.write_number_with_format(below + 1, *c, h.overflow, &f.count)?;
    }
    for c in 0..col {
        ws.set_column_width(c, if c == 0 { 10.0 } else { 16.0 })?;
    }
    ws.set_freeze_panes(1, 1)?;

    let mut chart = Chart::new(ChartType::Column);
    chart.title().set_name(if shared {
        "NPV histograms (paths per bin)"
    } else {
        "NPV histograms (paths per bin; each option's 40 bins span its own P0.5-P99.5)"
    });
    chart.y_axis().set_name("paths");
    if shared {
        chart
            .x_axis()
            .set_name("NPV, bin centre (USD millions)")
            .set_num_format(USD_MILLIONS);
    } else {
        chart
            .x_axis()
            .set_name("bin (edges in the table: each option's own)");
    }
    chart.set_width(900).set_height(480);
    for (k, (h, c)) in hist.iter().zip(&count_cols).enumerate() {
        let last = h.counts.len() as u32;
        let cat_col = if shared { 3 } else { 0 };
        chart
            .add_series()
            .set_name(h.option.as_str())
            .set_categories(("histograms", 1, cat_col, last, cat_col))
            .set_values(("histograms", 1, *c, last, *c))
            .set_gap(40)
            .set_format(
                rust_xlsxwriter::ChartFormat::new().set_solid_fill(
                    rust_xlsxwriter::ChartSolidFill::new()
                        .set_color(Color::RGB(COLOURS[k % COLOURS.len()])),
                ),
            );
    }
    ws.insert_chart(below + 3, 0, &chart)?;
    Ok(())
}

/// The `about` sheet: where the numbers come from (scenario, seed, paths, version, date of the
/// run when summary.json has one) and what each sheet holds.
fn about_sheet(
    ws: &mut Worksheet,
    json: &Value,
    hist: &[Hist],
    monthly: bool,
    fan: bool,
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_name("about")?;
    ws.write_string_with_format(0, 0, "fleetsim run summary", &f.title)?;
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    let scenario_name = json.pointer("/scenario/name").and_then(text);
    let mut facts: Vec<(&str, Option<String>)> = vec![
        ("scenario", scenario_name),
        ("scenario file", json.get("scenario_file").and_then(text)),
        ("seed", json.get("seed").and_then(text)),
        (
            "paths",
            json.get("n_paths").or(json.get("paths")).and_then(text),
        ),
        ("horizon (days)", json.get("horizon_days").and_then(text)),
        ("sizing", json.pointer("/sizing/label").and_then(text)),
        ("backend", json.get("backend").and_then(text)),
        (
            "fleetsim version",
            json.get("fleetsim_version").and_then(text),
        ),
    ];
    if let Some(date) = [
        "run_date",
        "date",
        "started_at",
        "finished_at",
        "created_at",
    ]
    .iter()
    .find_map(|k| json.get(*k).and_then(text))
    {
        facts.push(("date of the run", Some(date)));
    }
    let mut row = 2;
    for (k, v) in facts {
        if let Some(v) = v {
            ws.write_string_with_format(row, 0, k, &f.header)?;
            match number(&v) {
                Some(x) => ws.write_number(row, 1, x)?,
                None => ws.write_string(row, 1, &v)?,
            };
            row += 1;
        }
    }
    row += 1;
    ws.write_string_with_format(row, 0, "sheet", &f.header)?;
    ws.write_string_with_format(row, 1, "what it holds", &f.header)?;
    row += 1;
    let hist_note = if hist.is_empty() {
        "no NPV histogram in summary.json".to_string()
    } else {
        format!(
            "summary.json's NPV histogram of each option ({}): bin edges and centre in USD, \
             paths per bin, underflow and overflow below; clustered-column chart",
            hist.iter()
                .map(|h| h.option.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let sheets = [
        (
            "summary",
            "summary.csv: one row per (option, metric) with its statistics over the paths \
             (count, mean, sd, se, quantiles P1-P99, CVaR5, P(negative)); empty = undefined"
                .to_string(),
        ),
        (
            "pairs",
            "pairs.csv: one row per (pair, metric, difference|ratio), statistics of the \
             per-path difference or ratio and P(a better)"
                .to_string(),
        ),
        (
            "monthly",
            if monthly {
                format!(
                    "timeseries.csv: per option, metric and month the statistics over paths{}",
                    if fan {
                        "; chart: the cumulative discounted cash-flow fan (P5 / P50 / P95)"
                    } else {
                        ""
                    }
                )
            } else {
                "(not written: the result folder has no timeseries.csv)".to_string()
            },
        ),
        ("histograms", hist_note),
        ("about", "this sheet".to_string()),
    ];
    for (s, what) in sheets {
        ws.write_string_with_format(row, 0, s, &f.header)?;
        ws.write_string(row, 1, &what)?;
        row += 1;
    }
    ws.set_column_width(0, 18.0)?;
    ws.set_column_width(1, 110.0)?;
    Ok(())
}
