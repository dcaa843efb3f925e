//! The monthly series and the NPV decomposition against the path totals they split: on every
//! path the signed present values of the cash-flow lines sum to the NPV, the last month's running
//! NPV is the NPV, the months' revenue, opex and failures add up to the horizon's, and asking for
//! the series changes no output; then the files `fleetsim run -o` writes from them.

use std::path::Path;

use crate::common;
use common::*;
use fleetsim::config::{default_scenario, flatten, load_scenario};
use fleetsim::engine::{Engine, PathBlock, Precision, cpu::CpuEngine};
use fleetsim::model::fleet_step::{n_months, sla_month_start};
use fleetsim::model::outputs::{MONTHLY_METRICS, N_MONTHLY, NPV_COMPONENTS, idx, mon};
use fleetsim::model::params::{FlatModel, env_in};

fn scenario_model(file: &str, seed: u64) -> FlatModel {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    flatten(&load_scenario(&root.join(file)).expect("scenario"), seed)
}

/// The models the identities are checked on: the default (owned data centre, tax, repricing),
/// a rented fleet against an owned one, the hand-check scenario, and a monthly-SLA fleet whose
/// credits are paid.
fn models() -> Vec<(&'static str, FlatModel)> {
    let mut sla = sla_model(Some(&[(0.999, 0.1), (0.99, 0.25)]), 3);
    sla.env.inputs[env_in::OUTAGE_RATE_PER_YEAR] = fx(40.0);
    vec![
        ("default", flatten(&default_scenario(), 42)),
        (
            "rent",
            scenario_model("configs/scenarios/rent_trn2_vs_own_b200.toml", 7),
        ),
        (
            "handcheck",
            scenario_model("configs/validation/economics_handcheck.toml", 5),
        ),
        ("monthly_sla", sla),
    ]
}

fn with_months(mut m: FlatModel) -> FlatModel {
    m.run.n_months = n_months(m.run.horizon_days);
    m
}

fn simulate(m: &FlatModel, n: u32, p: Precision) -> PathBlock {
    CpuEngine::new(p).simulate(m, 0, n).expect("simulate")
}

/// Signed sum of a record's cash-flow lines (`NPV_COMPONENTS`, memo lines left out).
fn lines_sum(r: &[f64]) -> f64 {
    NPV_COMPONENTS
        .iter()
        .map(|c| f64::from(c.sign) * r[c.index])
        .sum()
}

/// Gross size of a record's flows: what rounding is relative to.
fn gross(r: &[f64]) -> f64 {
    NPV_COMPONENTS.iter().map(|c| r[c.index].abs()).sum::<f64>()
}

#[test]
fn npv_lines_sum_to_npv_on_every_path() {
    // In f64 the lines are the NPV's own daily terms regrouped: equal to ~1e-12 of the flows.
    // In f32 each line is its own compensated sum, so they agree to a few f32 ulps of the
    // gross flows (2^-24 = 6e-8; 1e-6 allows the ~10 sums' roundings).
    for (name, m) in models() {
        for (p, tol) in [(Precision::F64, 1e-11), (Precision::F32, 1e-6)] {
            let b = simulate(&m, 200, p);
            for i in 0..200 {
                for o in 0..m.run.n_options as usize {
                    let r = b.record(i, o);
                    let err = (r[idx::NPV_USD] - lines_sum(r)).abs();
                    assert!(
                        err <= tol * gross(r),
                        "{name} {p:?} path {i} option {o}: npv {} lines {} (gross {})",
                        r[idx::NPV_USD],
                        lines_sum(r),
                        gross(r)
                    );
                }
            }
        }
    }
}

#[test]
fn the_lines_are_what_the_model_pays_and_earns() {
    // Rented: no capex, energy or maintenance, a rent; owned: no rent. SLA credits are paid
    // where outages are; the residual is the NPV's discounted residual value, never negative.
    let (_, rent) = &models()[1];
    let b = simulate(rent, 50, Precision::F64);
    for i in 0..50 {
        let (r, own) = (b.record(i, 0), b.record(i, 1));
        assert_eq!(r[idx::PV_CAPEX_USD], 0.0);
        assert_eq!(r[idx::PV_ENERGY_USD], 0.0);
        assert!(r[idx::PV_RENT_USD] > 0.0);
        assert_eq!(own[idx::PV_RENT_USD], 0.0);
        assert!(own[idx::PV_CAPEX_USD] > 0.0 && own[idx::PV_ENERGY_USD] > 0.0);
        assert!(own[idx::PV_RESIDUAL_VALUE_USD] >= 0.0);
    }
    let (_, sla) = &models()[3];
    let b = simulate(sla, 50, Precision::F64);
    let credits: f64 = (0..50)
        .map(|i| b.record(i, 0)[idx::PV_SLA_CREDITS_USD])
        .sum();
    let lost: f64 = (0..50)
        .map(|i| b.record(i, 0)[idx::PV_LOST_REVENUE_OUTAGES_USD])
        .sum();
    assert!(
        credits > 0.0 && lost > 0.0,
        "credits {credits}, lost {lost}"
    );
}

#[test]
fn revenue_lost_to_failures_is_the_price_of_the_unavailable_chip_hours() {
    // One option of 1-chip nodes, all reserved at 1 USD/h for a year, zero discount, no
    // outages: each chip-hour the delivered fleet does not have costs exactly 1 USD, so the
    // lost revenue is installed minus available chip-hours, and revenue is available ones.
    let mut o = quiet_option(200, 1);
    o.inputs[fleetsim::model::params::opt_in::RESERVED_FRACTION] = fx(1.0);
    o.inputs[fleetsim::model::params::opt_in::RESERVED_USD_PER_CHIP_HOUR] = fx(1.0);
    add_class(&mut o, 0.01, false, fx(30.0));
    let m = model(vec![o], 1, 9);
    let b = simulate(&m, 20, Precision::F64);
    for i in 0..20 {
        let r = b.record(i, 0);
        let installed = 200.0 * 24.0 * 365.0;
        let avail = r[idx::AVAILABILITY] * installed;
        let lost = r[idx::PV_LOST_REVENUE_FAILURES_USD];
        assert!(lost > 0.0);
        assert!(
            (lost - (installed - avail)).abs() <= 1e-6 * installed,
            "path {i}"
        );
        assert!((r[idx::PV_REVENUE_USD] - avail).abs() <= 1e-6 * installed);
    }
}

#[test]
fn monthly_series_add_up_to_the_path_totals() {
    for (name, m0) in models() {
        let m = with_months(m0);
        let months = m.run.n_months as usize;
        assert!(
            sla_month_start(months as u32 - 1) < m.run.horizon_days,
            "{name}: the last month starts inside the horizon"
        );
        let b = simulate(&m, 100, Precision::F64);
        for i in 0..100 {
            for o in 0..m.run.n_options as usize {
                let (r, s) = (b.record(i, o), b.months(i, o));
                let col = |k: usize| (0..months).map(move |j| s[j * N_MONTHLY + k]);
                let last = s[(months - 1) * N_MONTHLY + mon::CUM_DCF];
                assert_eq!(last, r[idx::NPV_USD], "{name} path {i} option {o}");
                let rev: f64 = col(mon::REVENUE).sum();
                let opex: f64 = col(mon::OPEX).sum();
                let fail: f64 = col(mon::FAILURES).sum();
                let rel = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
                assert!(
                    rel(rev, r[idx::REVENUE_USD]),
                    "{name}: revenue {rev} vs {}",
                    r[idx::REVENUE_USD]
                );
                assert!(
                    rel(opex, r[idx::OPEX_USD]),
                    "{name}: opex {opex} vs {}",
                    r[idx::OPEX_USD]
                );
                assert_eq!(
                    fail,
                    r[idx::HARD_FAILURES] + r[idx::SOFT_FAILURES],
                    "{name}"
                );
                assert!(col(mon::AVAILABLE).all(|a| (0.0..=1.0 + 1e-12).contains(&a)));
            }
        }
    }
}

#[test]
fn a_quiet_fleet_is_fully_available_every_month_and_earns_the_annuity() {
    // No failures, no outages, delivered at day 0: every month's available fraction is 1 and
    // its revenue is chips x 24 h x days x price.
    let mut o = quiet_option(10, 4);
    o.inputs[fleetsim::model::params::opt_in::RESERVED_FRACTION] = fx(1.0);
    o.inputs[fleetsim::model::params::opt_in::RESERVED_USD_PER_CHIP_HOUR] = fx(2.0);
    let m = with_months(model(vec![o], 2, 1));
    assert_eq!(m.run.n_months, 24);
    let b = simulate(&m, 1, Precision::F64);
    let s = b.months(0, 0);
    for j in 0..24u32 {
        let days = f64::from(sla_month_start(j + 1).min(730) - sla_month_start(j));
        let v = |k: usize| s[j as usize * N_MONTHLY + k];
        assert_eq!(v(mon::AVAILABLE), 1.0, "month {j}");
        assert!(
            (v(mon::REVENUE) - 40.0 * 24.0 * days * 2.0).abs() < 1e-6,
            "month {j}"
        );
        assert_eq!(v(mon::FAILURES), 0.0);
    }
}

#[test]
fn asking_for_the_monthly_series_changes_no_output() {
    for (name, m) in models() {
        for p in [Precision::F32, Precision::F64] {
            let plain = simulate(&m, 60, p);
            let with = simulate(&with_months(m.clone()), 60, p);
            assert!(plain.monthly.is_empty());
            assert_eq!(
                with.monthly.len(),
                60 * PathBlock::monthly_len(&with_months(m.clone()))
            );
            let same = plain
                .values
                .iter()
                .zip(&with.values)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(
                same,
                "{name} {p:?}: a record changed when the series were recorded"
            );
        }
    }
}

use crate::common::cli::fleetsim;

#[test]
fn run_out_writes_the_monthly_bands_and_the_decomposition() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = out.to_str().unwrap();
    let r = fleetsim(&[
        "run",
        "-n",
        "300",
        "--backend",
        "cpu",
        "--no-breakeven",
        "-q",
        "-o",
        o,
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "option,month,day_start,day_end,metric,unit,n,mean,p5,p25,p50,p75,p95"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // 2 options x 60 months x 5 series, none NaN, each band ordered.
    assert_eq!(rows.len(), 2 * 60 * MONTHLY_METRICS.len());
    assert!(!text.contains("NaN") && !text.contains("inf"));
    for row in &rows {
        let q: Vec<f64> = row[7..].iter().map(|x| x.parse().unwrap()).collect();
        assert!(
            q[1] <= q[2] && q[2] <= q[3] && q[3] <= q[4] && q[4] <= q[5],
            "{row:?}"
        );
        assert_eq!(row[6], "300");
    }
    // The last month's running NPV is the NPV's distribution (same paths, same aggregator).
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for name in ["trn2", "b200"] {
        let last = rows
            .iter()
            .find(|r| r[0] == name && r[1] == "60" && r[4] == "cumulative_discounted_cash_flow_usd")
            .unwrap();
        let npv = &json["options"][name]["npv_usd"];
        for (col, key) in [(7, "mean"), (10, "p50"), (8, "p5"), (12, "p95")] {
            let a: f64 = last[col].parse().unwrap();
            let b = npv[key].as_f64().unwrap();
            assert!((a - b).abs() <= 1e-9 * b.abs(), "{name} {key}: {a} vs {b}");
        }
    }
    let dec = &json["npv_decomposition"]["trn2 vs b200"];
    let total = dec["npv_difference"]["mean_usd"].as_f64().unwrap();
    let diff = json["pairs"]["trn2 vs b200"]["metrics"]["npv_usd"]["difference"]["mean"]
        .as_f64()
        .unwrap();
    assert!((total - diff).abs() <= 1e-6 * diff.abs());
    let lines: f64 = dec["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["in_npv"].as_bool().unwrap())
        .map(|c| c["mean_usd"].as_f64().unwrap())
        .sum();
    assert!(
        (lines - total).abs() <= 1e-6 * total.abs(),
        "{lines} vs {total}"
    );
    assert!(out.join("timeseries.parquet").exists());

    // --no-timeseries writes neither file.
    let out2 = dir.path().join("s");
    let r = fleetsim(&[
        "run",
        "-n",
        "50",
        "--backend",
        "cpu",
        "--no-breakeven",
        "-q",
        "--no-timeseries",
        "-o",
        out2.to_str().unwrap(),
    ]);
    assert!(r.status.success());
    assert!(!out2.join("timeseries.csv").exists() && !out2.join("timeseries.parquet").exists());
}

#[test]
fn timeseries_parquet_holds_the_csv_rows() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let r = fleetsim(&[
        "run",
        "-n",
        "40",
        "--backend",
        "cpu",
        "--no-breakeven",
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success());
    let f = std::fs::File::open(out.join("timeseries.parquet")).unwrap();
    let reader = SerializedFileReader::new(f).unwrap();
    let meta = reader.metadata();
    assert_eq!(meta.file_metadata().num_rows(), 2 * 60 * 5);
    let fields: Vec<String> = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(
        fields,
        fleetsim::export::TIMESERIES_COLUMNS
            .iter()
            .map(|(n, _)| n.to_string())
            .collect::<Vec<_>>()
    );
    // Every row's statistics equal the CSV's (the same shortest round-trip digits).
    use parquet::record::RowAccessor;
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    for (line, row) in csv.lines().skip(1).zip(reader.get_row_iter(None).unwrap()) {
        let row = row.unwrap();
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(row.get_string(0).unwrap(), cells[0]);
        assert_eq!(row.get_long(1).unwrap().to_string(), cells[1]);
        assert_eq!(row.get_string(4).unwrap(), cells[4]);
        for (c, cell) in cells.iter().enumerate().skip(7) {
            let want: f64 = cell.parse().unwrap();
            assert_eq!(row.get_double(c).unwrap(), want, "{line} column {c}");
        }
    }
}
