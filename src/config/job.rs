//! Reading the training-job view of an option: catalog job defaults, the scenario's `[job]`
//! table, and the Young/Daly checkpoint interval.

use super::error::{IssueKind, num};
use super::fields::{dist_field, int_field, units};
use super::raw::{Issues, Node, Table, Val, join};
use super::schema::{self, FieldSpec};
use super::types::{FailureClass, JobConfig};
use crate::distributions::Dist;

/// `job_chips`' bounds and unit: the schema's one integer job field (a test checks the name).
const JOB_CHIPS: (u64, u64, &str) = {
    let (_, lo, hi, unit) = schema::JOB_INTS[0];
    (lo, hi, unit)
};

/// Result of reading a catalog job table: displayable defaults.
pub(crate) type JobDefaults = Vec<(String, String)>;

fn job_spec(name: &str) -> &'static FieldSpec {
    schema::JOB_INPUTS
        .iter()
        .find(|s| s.name == name)
        .expect("job field")
}

/// Reads a catalog entry's job table as displayable defaults.
pub(super) fn read_job_defaults(jt: &Table, jp: &str, iss: &mut Issues) -> JobDefaults {
    iss.unknown_keys(jt, jp, schema::JOB_KEYS, &units);
    let mut out = Vec::new();
    for (k, _, n) in &jt.entries {
        let p = join(jp, k);
        match k.as_str() {
            "job_chips" => {
                let (lo, hi, unit) = JOB_CHIPS;
                if let Some(v) = int_field(n, &p, lo, hi, unit, iss) {
                    out.push((k.clone(), v.to_string()));
                }
            }
            "checkpoint_interval_minutes" if matches!(&n.v, Val::Str(s) if s == "young_daly") => {
                out.push((k.clone(), "young_daly".into()));
            }
            name if schema::JOB_KEYS.contains(&name) => {
                if let Some(d) = dist_field(jt, name, jp, job_spec(name), true, iss, "") {
                    out.push((k.clone(), serde_json::to_string(&d).unwrap_or_default()));
                }
            }
            _ => {}
        }
    }
    out
}

/// Reads a scenario option's job table, resolving a `"young_daly"` checkpoint interval.
pub(super) fn read_job(
    jt: &Table,
    jn: &Node,
    jp: &str,
    accelerators: u64,
    cpn: u64,
    classes: &[FailureClass],
    iss: &mut Issues,
) -> Option<JobConfig> {
    let before = iss.list.len();
    iss.unknown_keys(jt, jp, schema::JOB_KEYS, &units);
    let job_chips = match jt.get("job_chips") {
        Some(n) => {
            let (lo, max, unit) = JOB_CHIPS;
            let hi = if accelerators > 0 { accelerators } else { max };
            match &n.v {
                Val::Int(v) if *v > hi as i64 => {
                    iss.at(n, &join(jp, "job_chips"), IssueKind::Conflict, format!(
                        "must be <= accelerators = {accelerators} (allowed range [1, {accelerators}] chips), got {v}"
                    ));
                    None
                }
                _ => int_field(n, &join(jp, "job_chips"), lo, hi, unit, iss),
            }
        }
        None => {
            iss.at(
                jn,
                &join(jp, "job_chips"),
                IssueKind::Missing,
                "missing required field (integer chips per synchronous job)",
            );
            None
        }
    };
    let fraction = if jt.has("fraction") {
        dist_field(jt, "fraction", jp, job_spec("fraction"), true, iss, "")
    } else {
        job_spec("fraction").default.dist()
    };
    let restart = dist_field(
        jt,
        "restart_minutes",
        jp,
        job_spec("restart_minutes"),
        true,
        iss,
        "",
    );
    let cost = dist_field(
        jt,
        "checkpoint_cost_seconds",
        jp,
        job_spec("checkpoint_cost_seconds"),
        true,
        iss,
        "",
    );
    let ip = join(jp, "checkpoint_interval_minutes");
    let interval_node = jt.get("checkpoint_interval_minutes");
    let (interval, young_daly) = match interval_node {
        Some(n) if matches!(&n.v, Val::Str(s) if s == "young_daly") => (None, true),
        Some(n) if matches!(&n.v, Val::Str(_)) => {
            iss.at(
                n,
                &ip,
                IssueKind::WrongType,
                format!(
                    "expected a number in minutes, a distribution, or \"young_daly\", got {}",
                    n.show()
                ),
            );
            (None, false)
        }
        Some(_) => (
            dist_field(
                jt,
                "checkpoint_interval_minutes",
                jp,
                job_spec("checkpoint_interval_minutes"),
                true,
                iss,
                "",
            ),
            false,
        ),
        None => {
            iss.at(
                jn,
                &ip,
                IssueKind::Missing,
                "missing required field (minutes, a distribution, or \"young_daly\")",
            );
            (None, false)
        }
    };
    // Inputs read as written, else their built-in default (the planned interruptions).
    let mut other = Vec::new();
    for s in schema::JOB_INPUTS
        .iter()
        .filter(|s| s.name.starts_with("planned_"))
    {
        let d = if jt.has(s.name) {
            dist_field(jt, s.name, jp, s, true, iss, "")
        } else {
            s.default.dist()
        };
        if let Some(d) = d {
            other.push((s.name, d));
        }
    }
    if iss.list.len() > before {
        return None;
    }
    let (job_chips, cost) = (job_chips?, cost?);
    let node_rate: f64 = classes.iter().map(|c| c.rate_per_node_day().mean()).sum();
    let job_nodes = job_chips as f64 / cpn as f64;
    let mtbf_min = if node_rate * job_nodes > 0.0 {
        1440.0 / (node_rate * job_nodes)
    } else {
        f64::INFINITY
    };
    let interval = if young_daly {
        let c_min = cost.median() / 60.0;
        let spec = job_spec("checkpoint_interval_minutes");
        let tau = (2.0 * c_min * mtbf_min).sqrt();
        Dist::Fixed {
            value: if tau.is_finite() {
                tau.clamp(spec.lo, spec.hi)
            } else {
                spec.hi
            },
        }
    } else {
        interval?
    };
    let im = interval.median();
    let cm = cost.median();
    if cm >= 60.0 * im {
        let n = jt.get("checkpoint_cost_seconds").expect("present");
        // Blame the scenario's job table when the cost came from the catalog.
        let (n, note) = if std::sync::Arc::ptr_eq(&n.src, &jn.src) {
            (n, String::new())
        } else {
            (
                jn,
                format!(" [value from {} line {}]", n.src.name, n.line()),
            )
        };
        iss.at(n, &join(jp, "checkpoint_cost_seconds"), IssueKind::Conflict, format!(
            "median {} s must be below the checkpoint interval (median {} min = {} s): the job would do nothing but checkpoint{note}",
            num(cm), num(im), num(60.0 * im)
        ));
        return None;
    }
    Some(JobConfig {
        job_chips: job_chips as u32,
        fraction: fraction?,
        restart_minutes: restart?,
        checkpoint_interval_minutes: interval,
        young_daly,
        job_mtbf_minutes: if mtbf_min.is_finite() {
            mtbf_min
        } else {
            f64::MAX
        },
        checkpoint_cost_seconds: cost,
        other: super::types::Inputs(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_chips_bounds_are_the_schemas_integer_rule() {
        assert_eq!(schema::JOB_INTS[0].0, "job_chips");
        assert_eq!(schema::int_field_spec("job_chips"), Some(JOB_CHIPS));
    }
}
