//! Argument checks shared by the commands: the `--threads` bound, and whether the options a
//! command reads can produce the metric it is asked for.

use crate::config::Scenario;
use crate::model::outputs::SCALAR_METRICS;

/// Thread floor of the `--threads` bound on machines with few cores (see [`max_threads`]).
pub const MIN_THREAD_BOUND: usize = 64;

/// Logical cores of this machine (1 when the OS does not say).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Largest `--threads`: 4 x the logical cores, at least [`MIN_THREAD_BOUND`]. The engines
/// are compute-bound, so threads beyond the cores never speed a run up, and each costs a
/// stack and a share of every chunk (10,000 threads made a 0.03 s run take 31 s); the bound
/// still leaves room to oversubscribe, and the floor lets a script written for a larger
/// machine run on a small one.
pub fn max_threads() -> usize {
    (4 * cores()).max(MIN_THREAD_BOUND)
}

/// clap's parser of `--threads`: an integer in `1..=max_threads()`, else a message naming the
/// bound and this machine's cores (clap exits 2).
pub fn parse_threads(s: &str) -> Result<usize, String> {
    let (max, cores) = (max_threads(), cores());
    let bound = format!(
        "1..={max} (4 x this machine's {cores} logical cores, at least {MIN_THREAD_BOUND}: more threads than cores only slow a run)"
    );
    match s.trim().parse::<u64>() {
        Ok(n) if n >= 1 && n <= max as u64 => Ok(n as usize),
        Ok(n) => Err(format!("{n} threads is outside {bound}")),
        Err(_) => Err(format!("expected a whole number of threads in {bound}")),
    }
}

/// `Err(message)` when one of `options` (indices into the scenario's options) cannot produce
/// the scalar metric `metric` on any path (see
/// [`crate::config::OptionConfig::metric_unavailable`]): `FLAG METRIC cannot be computed: WHY;
/// metrics they do have: ...`.
pub fn metric_available(
    scenario: &Scenario,
    metric: usize,
    options: &[usize],
    flag: &str,
) -> Result<(), String> {
    let why: Vec<String> = options
        .iter()
        .filter_map(|&o| scenario.options[o].metric_unavailable(metric))
        .collect();
    if why.is_empty() {
        return Ok(());
    }
    let have: Vec<&str> = SCALAR_METRICS
        .iter()
        .enumerate()
        .filter(|&(k, _)| {
            options
                .iter()
                .all(|&o| scenario.options[o].metric_unavailable(k).is_none())
        })
        .map(|(_, m)| m.name)
        .collect();
    Err(format!(
        "{flag} {}: no value on any path here: {}; metrics available here: {}",
        SCALAR_METRICS[metric].name,
        why.join("; "),
        have.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_bounded_with_the_reason() {
        assert_eq!(parse_threads("1"), Ok(1));
        assert_eq!(parse_threads(&max_threads().to_string()), Ok(max_threads()));
        let e = parse_threads("0").unwrap_err();
        assert!(e.contains(&format!("1..={}", max_threads())), "{e}");
        let e = parse_threads(&(max_threads() + 1).to_string()).unwrap_err();
        assert!(e.contains("logical cores"), "{e}");
        assert!(parse_threads("x").unwrap_err().contains("whole number"));
        assert!(max_threads() >= MIN_THREAD_BOUND);
    }

    #[test]
    fn job_metrics_need_a_job_view() {
        use crate::model::outputs::idx;
        // The default scenario has a job view on both options; without one, the job metrics
        // are refused and the others listed.
        let s = crate::config::default_scenario();
        assert!(metric_available(&s, idx::GOODPUT, &[0, 1], "--metric").is_ok());
        let text =
            "[scenario]\nname = \"t\"\n[options.a]\nhardware = \"trn2\"\naccelerators = 32\n";
        let s = crate::config::load_scenario_str(text, "t.toml").unwrap();
        for m in [
            idx::GOODPUT,
            idx::JOB_UPTIME,
            idx::INTERRUPTIONS_PER_JOB_DAY,
        ] {
            let e = metric_available(&s, m, &[0], "--metric").unwrap_err();
            assert!(e.contains("option `a` has no training-job view"), "{e}");
            let available = e.split("available here: ").nth(1).unwrap();
            assert!(available.starts_with("npv_usd"), "{e}");
            assert!(
                !available.contains("goodput") && !available.contains("job_"),
                "{e}"
            );
        }
        assert!(metric_available(&s, idx::NPV_USD, &[0], "--metric").is_ok());
        // No HBM bandwidth: no cost per TB/s-hour.
        let hbm0 = format!("{text}hbm_tb_per_s = 0\n");
        let s = crate::config::load_scenario_str(&hbm0, "t.toml").unwrap();
        let e = metric_available(&s, idx::LEVELIZED_USD_PER_TBPS_HOUR, &[0], "--metric");
        assert!(e.unwrap_err().contains("hbm_tb_per_s = 0"));
    }
}
