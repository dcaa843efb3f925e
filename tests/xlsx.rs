//! summary.xlsx (`fleetsim run --xlsx`, src/export/xlsx.rs) read back with calamine: the sheet
//! names, every cell of `summary` and `pairs` equal to summary.csv's and pairs.csv's (numbers
//! as the same f64, empty cells blank), the histogram counts equal to summary.json's, the
//! native charts in the zip; with a hand-made timeseries.csv (the contract of issue 14) the
//! `monthly` sheet and the fan chart; no overwrite without `--force`.

use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use serde_json::Value;

use crate::common::cli::{fleetsim, text};

/// A tiny run into `dir` (CPU engine, no break-evens), with `extra` arguments.
fn tiny_run(dir: &Path, extra: &[&str]) {
    let mut args = vec!["--no-breakeven"];
    args.extend_from_slice(extra);
    crate::common::cli::tiny_run(dir, &args);
}

fn workbook(dir: &Path) -> Xlsx<std::io::BufReader<std::fs::File>> {
    open_workbook(dir.join("summary.xlsx")).expect("summary.xlsx opens")
}

/// Every cell of `sheet` against the CSV file `csv`: header and text cells as strings,
/// numbers as the same f64, empty cells empty.
fn assert_sheet_is_csv(wb: &mut Xlsx<std::io::BufReader<std::fs::File>>, sheet: &str, csv: &Path) {
    let range = wb.worksheet_range(sheet).expect(sheet);
    let mut r = csv::Reader::from_path(csv).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let mut rows = vec![header];
    for rec in r.records() {
        rows.push(rec.unwrap().iter().map(str::to_string).collect());
    }
    assert!(rows.len() > 1, "{} has no rows", csv.display());
    let mut numbers = 0;
    for (i, row) in rows.iter().enumerate() {
        for (j, want) in row.iter().enumerate() {
            let got = range
                .get_value((i as u32, j as u32))
                .unwrap_or(&Data::Empty);
            let at = format!("{sheet}!R{}C{} ({})", i + 1, j + 1, rows[0][j]);
            match (want.parse::<f64>(), got) {
                _ if want.is_empty() => assert_eq!(got, &Data::Empty, "{at}"),
                (Ok(x), Data::Float(y)) if i > 0 => {
                    assert_eq!(x.to_bits(), y.to_bits(), "{at}: {want} vs {y}");
                    numbers += 1;
                }
                (Ok(x), Data::Int(y)) if i > 0 => {
                    assert_eq!(x, *y as f64, "{at}");
                    numbers += 1;
                }
                _ => assert_eq!(got, &Data::String(want.clone()), "{at}"),
            }
        }
    }
    assert!(numbers > 0, "{sheet}: no numbers compared");
}

/// The names of the files in the zip under `xl/charts/`, and their texts.
fn charts(dir: &Path) -> Vec<(String, String)> {
    let f = std::fs::File::open(dir.join("summary.xlsx")).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let mut v = Vec::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        let name = e.name().unwrap().to_string();
        if name.starts_with("xl/charts/chart") {
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            v.push((name, s));
        }
    }
    v.sort();
    v
}

/// The options in summary.csv's order.
fn options(dir: &Path) -> Vec<String> {
    let mut r = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    let mut v: Vec<String> = Vec::new();
    for rec in r.records() {
        let o = rec.unwrap()[0].to_string();
        if !v.contains(&o) {
            v.push(o);
        }
    }
    v
}

/// The histogram sheet's counts against summary.json's, option by option.
fn assert_histograms(wb: &mut Xlsx<std::io::BufReader<std::fs::File>>, dir: &Path) {
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let range = wb.worksheet_range("histograms").unwrap();
    let header: Vec<String> = (0..range.width() as u32)
        .map(|c| {
            range
                .get_value((0, c))
                .map(|d| d.to_string())
                .unwrap_or_default()
        })
        .collect();
    let float = |r: u32, c: u32| match range.get_value((r, c)) {
        Some(Data::Float(x)) => *x,
        other => panic!("histograms R{}C{}: {other:?}", r + 1, c + 1),
    };
    let opts = options(dir);
    assert!(!opts.is_empty());
    for o in &opts {
        let h = &json["options"][o]["npv_usd"]["histogram"];
        let counts: Vec<f64> = h["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_f64().unwrap())
            .collect();
        let edges: Vec<f64> = h["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_f64().unwrap())
            .collect();
        let col = header
            .iter()
            .position(|x| *x == format!("{o} count"))
            .unwrap_or_else(|| panic!("no `{o} count` column in {header:?}"))
            as u32;
        for (b, c) in counts.iter().enumerate() {
            assert_eq!(float(b as u32 + 1, col), *c, "{o} bin {}", b + 1);
        }
        // The lower edges, in the shared column or the option's own.
        let lower = header
            .iter()
            .position(|x| *x == format!("{o} lower_usd") || x == "lower_usd")
            .unwrap() as u32;
        for (b, e) in edges[..counts.len()].iter().enumerate() {
            assert_eq!(float(b as u32 + 1, lower), *e, "{o} lower edge {}", b + 1);
        }
        let below = counts.len() as u32 + 2;
        assert_eq!(
            range.get_value((below, 0)),
            Some(&Data::String("underflow".into()))
        );
        assert_eq!(
            float(below, col),
            h["underflow"].as_f64().unwrap(),
            "{o} underflow"
        );
        assert_eq!(
            float(below + 1, col),
            h["overflow"].as_f64().unwrap(),
            "{o} overflow"
        );
    }
}

#[test]
fn xlsx_workbook_of_a_run_equals_its_files() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    tiny_run(&out, &["--xlsx"]);
    let monthly = out.join("timeseries.csv").exists();
    let mut wb = workbook(&out);
    let mut want = vec!["summary", "pairs"];
    if monthly {
        want.push("monthly");
    }
    want.extend(["histograms", "about"]);
    assert_eq!(wb.sheet_names(), want);
    assert_sheet_is_csv(&mut wb, "summary", &out.join("summary.csv"));
    assert_sheet_is_csv(&mut wb, "pairs", &out.join("pairs.csv"));
    if monthly {
        assert_sheet_is_csv(&mut wb, "monthly", &out.join("timeseries.csv"));
    }
    assert_histograms(&mut wb, &out);
    let about = wb.worksheet_range("about").unwrap();
    let cells: Vec<String> = about.cells().map(|(_, _, d)| d.to_string()).collect();
    for fact in ["seed", "paths", "fleetsim version", "histograms", "summary"] {
        assert!(
            cells.iter().any(|c| c == fact),
            "about lacks {fact}: {cells:?}"
        );
    }
    let charts = charts(&out);
    let names: Vec<&str> = charts.iter().map(|(n, _)| n.as_str()).collect();
    let hist_chart = if monthly {
        assert_eq!(names, ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]);
        &charts[1].1
    } else {
        assert_eq!(names, ["xl/charts/chart1.xml"]);
        &charts[0].1
    };
    assert!(hist_chart.contains("<c:barChart>"), "{hist_chart}");
    assert!(hist_chart.contains("<c:grouping val=\"clustered\"/>"));
    assert_eq!(
        hist_chart.matches("<c:ser>").count(),
        options(&out).len(),
        "one series per option"
    );
    // No temporary file left behind.
    let stray: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// summary.xlsx added to the complete result folder `out` (as `run --xlsx` does).
fn write_xlsx(
    out: &std::path::Path,
    force: bool,
) -> Result<std::path::PathBuf, fleetsim::export::ExportError> {
    let mut o = fleetsim::export::OutputDir::add_to(out, force, &["summary.xlsx"])?;
    let p = fleetsim::export::write_run_xlsx(&mut o)?;
    o.commit()?;
    Ok(p)
}

#[test]
fn xlsx_is_not_overwritten_without_force() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    tiny_run(&out, &["--xlsx"]);
    let before = std::fs::read(out.join("summary.xlsx")).unwrap();
    let err = write_xlsx(&out, false).unwrap_err();
    assert!(
        matches!(err, fleetsim::export::ExportError::Exists { .. }),
        "{err}"
    );
    assert_eq!(std::fs::read(out.join("summary.xlsx")).unwrap(), before);
    write_xlsx(&out, true).unwrap();
    // The command refuses before simulating (exit 2), naming the workbook.
    let o = fleetsim(&[
        "run",
        "-n",
        "50",
        "--no-breakeven",
        "--backend",
        "cpu",
        "-q",
        "-o",
        &out.display().to_string(),
        "--xlsx",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("earlier run") && text(&o).contains("--force"),
        "{}",
        text(&o)
    );
    // --xlsx needs --out.
    let o = fleetsim(&["run", "-n", "50", "--xlsx"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// A timeseries.csv as issue 14's contract has it: `months` months of every metric for each
/// option, in option, metric, month order, with an undefined cell here and there.
fn timeseries_fixture(options: &[String], months: u32) -> String {
    let metrics = [
        ("cumulative_discounted_cash_flow_usd", "USD"),
        ("revenue_usd", "USD"),
        ("opex_usd", "USD"),
        ("available_fraction", "fraction"),
        ("failures", "count"),
    ];
    let mut s =
        String::from("option,month,day_start,day_end,metric,unit,n,mean,p5,p25,p50,p75,p95\n");
    let month_days = 365.2425 / 12.0;
    for (k, o) in options.iter().enumerate() {
        for (mi, (m, unit)) in metrics.iter().enumerate() {
            for month in 1..=months {
                let start = ((month - 1) as f64 * month_days).round();
                let end = (month as f64 * month_days).round();
                let base = (k as f64 + 1.0) * 1e6 * (mi as f64 + 1.0) * month as f64 - 5.5e6;
                let stats: Vec<String> = (0..6)
                    .map(|q| {
                        if *m == "available_fraction" && month == 1 && q == 1 {
                            String::new() // undefined: an empty cell
                        } else {
                            format!("{}", base + q as f64 * 12345.678)
                        }
                    })
                    .collect();
                s.push_str(&format!(
                    "{o},{month},{start},{end},{m},{unit},300,{}\n",
                    stats.join(",")
                ));
            }
        }
    }
    s
}

#[test]
fn xlsx_monthly_sheet_and_fan_chart_from_a_timeseries() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    // Without the recorded series, so the fixture below is not a file of the manifest.
    tiny_run(&out, &["--no-timeseries"]);
    let opts = options(&out);
    std::fs::write(out.join("timeseries.csv"), timeseries_fixture(&opts, 4)).unwrap();
    write_xlsx(&out, false).unwrap();
    let mut wb = workbook(&out);
    assert_eq!(
        wb.sheet_names(),
        ["summary", "pairs", "monthly", "histograms", "about"]
    );
    assert_sheet_is_csv(&mut wb, "monthly", &out.join("timeseries.csv"));
    let charts = charts(&out);
    assert_eq!(
        charts.len(),
        2,
        "{:?}",
        charts.iter().map(|c| &c.0).collect::<Vec<_>>()
    );
    let fan = &charts[0].1;
    assert!(fan.contains("<c:lineChart>"), "{fan}");
    // P5, P50, P95 of each option.
    assert_eq!(fan.matches("<c:ser>").count(), 3 * opts.len());
    // The first option's cumulative cash flow is rows 2-5 of the sheet; p5 is column I.
    assert!(fan.contains("monthly!$I$2:$I$5"), "{fan}");
    assert!(fan.contains("monthly!$B$2:$B$5"), "{fan}");
    // The second option's block starts after the first's 5 metrics x 4 months.
    assert!(fan.contains("monthly!$K$22:$K$25"), "{fan}");
    assert!(
        fan.contains("#,##0,,&quot;M&quot;"),
        "USD axis in millions: {fan}"
    );
    assert!(charts[1].1.contains("<c:barChart>"));
}

#[test]
fn xlsx_refuses_a_timeseries_out_of_order() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    tiny_run(&out, &["--no-timeseries"]);
    let opts = options(&out);
    let good = timeseries_fixture(&opts, 3);
    let mut lines: Vec<&str> = good.lines().collect();
    // Swap two months of the first option's cash flow.
    lines.swap(1, 2);
    std::fs::write(out.join("timeseries.csv"), lines.join("\n") + "\n").unwrap();
    let err = write_xlsx(&out, false).unwrap_err();
    assert!(err.to_string().contains("not ascending"), "{err}");
    assert!(!out.join("summary.xlsx").exists());
}
