//! The break-even headlines of `fleetsim run` (glue): after the main run of a two-option
//! scenario, build and run the sweeps of [`crate::sweep::headline`] on the run's engines with
//! a progress bar, print one line per input and metric under the comparison table, and give
//! summary.json its `break_evens` and `break_even_method`.

use std::time::Instant;

use super::engines::Engines;
use super::{CliError, progress_bar};
use crate::config::error::num;
use crate::config::{BaseScenario, Scenario};
use crate::export::format::usd;
use crate::sweep::headline::{self, BreakEven, Method, Settings};

/// What the run reports about break-evens.
pub struct Report {
    /// One per input and metric (empty when skipped or not applicable).
    pub items: Vec<BreakEven>,
    /// How they were computed, or why not (for summary.json).
    pub method: serde_json::Value,
    /// Printed instead of the lines when there are none (`None`: print nothing).
    pub note: Option<String>,
    /// Grid values per input and paths per value, when computed.
    pub shape: Option<(usize, u32)>,
}

impl Report {
    /// No break-evens, for `reason`; printed when `say` is set.
    pub(super) fn none(reason: String, say: bool) -> Self {
        Report {
            items: Vec::new(),
            method: serde_json::json!({ "skipped": reason }),
            note: say.then_some(reason),
            shape: None,
        }
    }
}

/// Computes the break-evens of `scenario` (from `base`) for a main run of `run_paths` paths
/// with `seed`; `skip` (`--no-breakeven`) and `paths_per_point` (`--breakeven-paths`) as given.
/// `fell_back`: the main run moved to the CPU engine, which then runs the sweeps too.
#[allow(clippy::too_many_arguments)]
pub fn compute(
    base: &BaseScenario,
    scenario: &Scenario,
    run_paths: u32,
    seed: u64,
    skip: bool,
    paths_per_point: Option<u32>,
    engines: &Engines,
    fell_back: bool,
    quiet: bool,
) -> Result<Report, CliError> {
    if skip {
        return Ok(Report::none("skipped (--no-breakeven)".into(), false));
    }
    let settings = Settings::defaults(run_paths, seed, paths_per_point);
    let plan = match headline::plan(base, scenario, &settings) {
        Ok(p) => p,
        Err(why) => {
            let two = matches!(why, headline::NotApplicable::Nothing);
            return Ok(Report::none(why.to_string(), two));
        }
    };
    let (primary, fallback): (
        &dyn crate::engine::Engine,
        Option<&dyn crate::engine::Engine>,
    ) = match (&engines.fallback, fell_back) {
        (Some(f), true) => (f.as_ref(), None),
        _ => (engines.primary.as_ref(), engines.fallback.as_deref()),
    };
    let bar = progress_bar(
        plan.total_paths(),
        "{spinner} {bar:30} break-evens {human_pos}/{human_len} paths  eta {eta}",
        quiet,
    );
    let start = Instant::now();
    let outcome = headline::run(
        &plan,
        primary,
        fallback,
        |d, total| {
            bar.set_length(total);
            bar.set_position(d)
        },
        |ev| {
            bar.suspend(|| {
                eprintln!(
                    "fleetsim: warning: the GPU engine failed during the break-even sweeps: {}\nfleetsim: continuing on the CPU engine; summary.json records this",
                    ev.reason
                )
            })
        },
    );
    bar.finish_and_clear();
    let (items, total, event) = outcome.map_err(|e| engines.error(e))?;
    let method = Method::new(&plan, total, start.elapsed().as_secs_f64(), event);
    let method = serde_json::to_value(&method).map_err(|e| CliError::runtime(e.to_string()))?;
    Ok(Report {
        items,
        method,
        note: None,
        shape: Some((plan.settings.points, plan.settings.paths_per_point)),
    })
}

/// A value of an input for the break-even lines, to `digits` significant digits: money with
/// its suffix, else a number.
fn value(unit: &str, x: f64, digits: usize) -> String {
    let r: f64 = format!("{x:.*e}", digits.saturating_sub(1))
        .parse()
        .unwrap_or(x);
    if unit.starts_with("USD") {
        usd(r)
    } else {
        num(r)
    }
}

/// How a metric's winner is said: "on NPV", "on cost per effective PFLOP-hour".
fn on_metric(metric: &str) -> String {
    match metric {
        "npv_usd" => "on NPV".into(),
        "usd_per_effective_pflop_hour" => "on undiscounted cost per effective PFLOP-hour".into(),
        "levelized_usd_per_effective_pflop_hour" => {
            "on levelized cost per effective PFLOP-hour".into()
        }
        "usd_per_chip_hour" => "on cost per chip-hour".into(),
        m => format!("on {m}"),
    }
}

/// The printed lines (empty string when there is nothing to say).
pub fn text(r: &Report) -> String {
    if let Some(n) = &r.note {
        return format!("\nbreak-evens: {n}\n");
    }
    if r.items.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nbreak-evens");
    if let Some((points, paths)) = r.shape {
        out.push_str(&format!(
            " ({points} values per input x {paths} paths, common random numbers; where the P50 of the per-path difference changes sign, ± its uncertainty):"
        ));
    } else {
        out.push(':');
    }
    out.push('\n');
    for b in &r.items {
        out.push_str("  ");
        out.push_str(&line(b));
        out.push('\n');
    }
    out
}

/// One break-even as a sentence.
pub fn line(b: &BreakEven) -> String {
    let v = |x: f64| value(&b.unit, x, 3);
    let scen = format!("scenario {} {}", b.scenario_value_kind, v(b.scenario_value));
    let on = on_metric(&b.metric);
    let Some(x) = b.value else {
        let range = format!("[{}, {}]", v(b.search_lo), v(b.search_hi));
        return match &b.better_throughout {
            Some(w) if b.flat => format!(
                "{}'s {} does not move {} in this scenario ({w} ahead at every value in {range})",
                b.option,
                b.input,
                on.trim_start_matches("on ")
            ),
            Some(w) => {
                let loser = if *w == b.option { &b.other } else { &b.option };
                format!(
                    "{w} beats {loser} {on} at every {} {} in {range} (no break-even); {scen}",
                    b.option, b.input,
                )
            }
            None => format!(
                "{} {on}: {}",
                b.key,
                b.note.as_deref().unwrap_or("no break-even")
            ),
        };
    };
    let pm = b
        .uncertainty
        .map(|u| format!(" (± {})", value(&b.unit, u, 2)))
        .unwrap_or_default();
    let more = if b.crossings.len() > 1 {
        format!(
            "; {} break-evens in the range: {}",
            b.crossings.len(),
            b.crossings
                .iter()
                .map(|c| v(c.value))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        String::new()
    };
    let more = if b.extended {
        format!(
            "{more} (searched up to [{}, {}], past the planned range)",
            v(b.search_lo),
            v(b.search_hi)
        )
    } else {
        more
    };
    let (a, o) = (&b.option, &b.other);
    match (b.better_below.as_deref(), b.better_above.as_deref()) {
        (Some(lo), _) if lo == a => format!(
            "{a} beats {o} {on} while its {} is below {}{pm}; {scen}{more}",
            b.input,
            v(x)
        ),
        (_, Some(hi)) if hi == a => format!(
            "{a} beats {o} {on} while its {} is above {}{pm}; {scen}{more}",
            b.input,
            v(x)
        ),
        _ => format!(
            "the P50 of {a} - {o} {on} changes sign at {}'s {} = {}{pm}; {scen}{more}",
            a,
            b.input,
            v(x)
        ),
    }
}
