//! The Gaussian copula of a scenario: the correlatable input paths, reading `[[correlations]]`
//! into a rank-correlation matrix, and the Cholesky factor that checks and applies it.

use super::error::{IssueKind, num};
use super::fields::{sub_table, units};
use super::raw::{Issues, Node, Table, Val, join};
use super::schema;
use super::types::{Correlations, OptionConfig};
use crate::model::params::{MAX_CORR, env_in, opt_in};

/// Lower Cholesky factor of a symmetric matrix, or `None` if it is not positive definite.
pub fn cholesky(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = m[i][i] - s;
                if d <= 1e-10 {
                    return None;
                }
                l[i][j] = d.sqrt();
            } else {
                l[i][j] = (m[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

/// Every correlatable input path of a scenario with its global index.
pub fn correlatable_inputs(options: &[OptionConfig]) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = schema::ENV_INPUTS
        .iter()
        .map(|s| (format!("environment.{}", s.name), s.index))
        .collect();
    for (o, opt) in options.iter().enumerate() {
        let base = env_in::COUNT + o * opt_in::COUNT;
        for s in schema::OPTION_INPUTS {
            v.push((format!("options.{}.{}", opt.name, s.name), base + s.index));
        }
        if opt.job.is_some() {
            for s in schema::JOB_INPUTS {
                v.push((
                    format!("options.{}.job.{}", opt.name, s.name),
                    base + s.index,
                ));
            }
        }
        for (c, cl) in opt.classes.iter().enumerate() {
            let cb = base + opt_in::CLASS_BASE + opt_in::PER_CLASS * c;
            let p = format!("options.{}.failures.{}", opt.name, cl.name);
            // The rate may also be written per chip-day (same slot).
            v.push((format!("{p}.rate_per_chip_day"), cb + opt_in::CLASS_RATE));
            for s in schema::CLASS_INPUTS {
                v.push((format!("{p}.{}", s.name), cb + s.index));
            }
        }
    }
    v
}

/// Reads `[[correlations]]`; inputs of the `failed` options (already reported) are skipped.
pub(super) fn read_correlations(
    doc: &Table,
    options: &[OptionConfig],
    failed: &[String],
    origin: &str,
    iss: &mut Issues,
) -> Correlations {
    let mut c = Correlations {
        inputs: Vec::new(),
        index: Vec::new(),
        rank: Vec::new(),
    };
    let Some(cn) = doc.get("correlations") else {
        return c;
    };
    let Val::Array(items) = &cn.v else {
        iss.at(
            cn,
            "correlations",
            IssueKind::WrongType,
            "expected an array of tables: write each as [[correlations]]",
        );
        return c;
    };
    let known = correlatable_inputs(options);
    let mut pairs: Vec<(usize, usize, f64, &Node)> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let p = format!("correlations[{i}]");
        let Some(t) = sub_table(item, &p, "inputs = [A, B] and rank_correlation", iss) else {
            ok = false;
            continue;
        };
        iss.unknown_keys(t, &p, &["inputs", "rank_correlation"], &units);
        let rho = match t.get("rank_correlation") {
            None => {
                iss.at(
                    item,
                    &join(&p, "rank_correlation"),
                    IssueKind::Missing,
                    "missing required field (Spearman rank correlation in [-1, 1])",
                );
                None
            }
            Some(rn) => match rn.number() {
                Some(r) if r.is_finite() && (-1.0..=1.0).contains(&r) => Some(r),
                Some(r) => {
                    iss.at(
                        rn,
                        &join(&p, "rank_correlation"),
                        IssueKind::Correlation,
                        format!(
                            "must be within [-1, 1] (a Spearman rank correlation), got {}",
                            num(r)
                        ),
                    );
                    None
                }
                None => {
                    iss.at(
                        rn,
                        &join(&p, "rank_correlation"),
                        IssueKind::WrongType,
                        format!("expected a number in [-1, 1], got {}", rn.show()),
                    );
                    None
                }
            },
        };
        let ins = match t.get("inputs") {
            None => {
                iss.at(item, &join(&p, "inputs"), IssueKind::Missing, "missing required field: inputs = [\"environment.usd_per_kwh\", \"options.NAME.pue\"]");
                None
            }
            Some(inn) => match &inn.v {
                Val::Array(a) if a.len() == 2 => {
                    let mut idx = Vec::new();
                    for (j, x) in a.iter().enumerate() {
                        let xp = format!("{p}.inputs[{j}]");
                        let Val::Str(s) = &x.v else {
                            iss.at(
                                x,
                                &xp,
                                IssueKind::WrongType,
                                format!("expected an input path string, got {}", x.show()),
                            );
                            continue;
                        };
                        match known.iter().find(|k| k.0 == *s) {
                            Some(k) => {
                                if !c.inputs.contains(s) && !c.index.contains(&k.1) {
                                    c.inputs.push(s.clone());
                                    c.index.push(k.1);
                                }
                                idx.push(c.index.iter().position(|v| *v == k.1).expect("pushed"));
                            }
                            None if failed
                                .iter()
                                .any(|f| s.starts_with(&format!("options.{f}."))) =>
                            {
                                // The option itself is invalid (already reported): skip.
                                ok = false;
                            }
                            None => {
                                let close = known
                                    .iter()
                                    .map(|k| (super::raw::edit_distance(s, &k.0), k.0.as_str()))
                                    .min_by_key(|x| x.0)
                                    .filter(|(d, k)| *d <= (k.len() / 4).max(2))
                                    .map(|(_, k)| format!("; did you mean `{k}`?"))
                                    .unwrap_or_default();
                                iss.at(x, &xp, IssueKind::Correlation, format!(
                                    "unknown input path {s:?}{close} (correlatable: environment.FIELD, options.NAME.FIELD, options.NAME.job.FIELD, options.NAME.failures.CLASS.rate_per_chip_day|infant_multiplier|infant_days; not per-event durations)"
                                ));
                            }
                        }
                    }
                    if idx.len() == 2 && idx[0] == idx[1] {
                        iss.at(
                            inn,
                            &join(&p, "inputs"),
                            IssueKind::Correlation,
                            "names the same input twice",
                        );
                        None
                    } else {
                        (idx.len() == 2).then(|| (idx[0], idx[1]))
                    }
                }
                _ => {
                    iss.at(
                        inn,
                        &join(&p, "inputs"),
                        IssueKind::WrongType,
                        "expected an array of exactly two input paths",
                    );
                    None
                }
            },
        };
        match (ins, rho) {
            (Some((a, b)), Some(r)) => {
                if let Some(prev) = pairs
                    .iter()
                    .find(|q| (q.0 == a && q.1 == b) || (q.0 == b && q.1 == a))
                {
                    if prev.2 != r {
                        iss.at(
                            item,
                            &p,
                            IssueKind::Conflict,
                            format!(
                                "repeats the pair of correlations (line {}) with a different value",
                                prev.3.line()
                            ),
                        );
                    }
                } else {
                    pairs.push((a, b, r, item));
                }
            }
            _ => ok = false,
        }
    }
    let n = c.inputs.len();
    if n > MAX_CORR {
        iss.at(
            cn,
            "correlations",
            IssueKind::TooMany,
            format!("at most {MAX_CORR} distinct correlated inputs, got {n}"),
        );
        return c;
    }
    c.rank = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for (a, b, r, _) in &pairs {
        c.rank[*a][*b] = *r;
        c.rank[*b][*a] = *r;
    }
    if ok && n > 0 && cholesky(&c.pearson()).is_none() {
        iss.in_file(origin, "correlations", IssueKind::Correlation, format!(
            "the rank correlations among {} are not jointly possible (the correlation matrix is not positive definite); weaken some of them",
            c.inputs.join(", ")
        ));
    }
    c
}
