//! Reading one field of a table: plain numbers and distribution tables with their range
//! checks, integers, strings and sub-tables, each reporting its own one-line issue.

use super::error::{IssueKind, num};
use super::raw::{Issues, Node, Table, Val, join};
use super::schema::{self, FieldSpec};
use crate::distributions::Dist;

/// Distribution kinds: name, required parameters, optional parameters.
pub const DIST_KINDS: &[(&str, &[&str], &[&str])] = &[
    ("fixed", &["value"], &[]),
    ("uniform", &["lo", "hi"], &[]),
    ("normal", &["mean", "sd"], &["lo", "hi"]),
    ("lognormal", &["median", "p90"], &[]),
    ("triangular", &["lo", "mode", "hi"], &[]),
    ("pert", &["lo", "mode", "hi"], &[]),
    ("discrete", &["values"], &["weights"]),
];

/// The unit of field `k`, for unknown-key messages.
pub(super) fn units(k: &str) -> Option<String> {
    schema::unit_of(k)
}

/// The allowed range of `s` as message text.
pub(super) fn range_text(s: &FieldSpec) -> String {
    format!("allowed range [{}, {}] {}", num(s.lo), num(s.hi), s.unit)
}

/// Reads a plain number or a distribution table, without range checks.
pub fn parse_dist(node: &Node, path: &str, unit: &str, iss: &mut Issues) -> Option<Dist> {
    match &node.v {
        Val::Int(i) => Some(Dist::Fixed { value: *i as f64 }),
        Val::Float(x) => {
            if x.is_finite() {
                Some(Dist::Fixed { value: *x })
            } else {
                iss.at(
                    node,
                    path,
                    IssueKind::OutOfRange,
                    format!("must be a finite number in {unit}, got {}", num(*x)),
                );
                None
            }
        }
        Val::Table(t) => parse_dist_table(node, t, path, unit, iss),
        _ => {
            iss.at(
                node,
                path,
                IssueKind::WrongType,
                format!(
                    "expected a number in {unit} (or a distribution such as {{ dist = \"lognormal\", median = ..., p90 = ... }}), got {}",
                    node.described()
                ),
            );
            None
        }
    }
}

fn param(t: &Table, key: &str, path: &str, iss: &mut Issues) -> Option<f64> {
    let n = t.get(key)?;
    let p = join(path, key);
    match n.number() {
        Some(x) if x.is_finite() => Some(x),
        Some(x) => {
            iss.at(
                n,
                &p,
                IssueKind::OutOfRange,
                format!("must be a finite number, got {}", num(x)),
            );
            None
        }
        None => {
            iss.at(
                n,
                &p,
                IssueKind::WrongType,
                format!("expected a number, got {}", n.described()),
            );
            None
        }
    }
}

fn num_array(n: &Node, path: &str, iss: &mut Issues) -> Option<Vec<f64>> {
    let Val::Array(a) = &n.v else {
        iss.at(
            n,
            path,
            IssueKind::WrongType,
            format!("expected an array of numbers, got {}", n.described()),
        );
        return None;
    };
    let mut out = Vec::new();
    for (i, x) in a.iter().enumerate() {
        match x.number() {
            Some(v) if v.is_finite() => out.push(v),
            _ => {
                iss.at(
                    x,
                    &format!("{path}[{i}]"),
                    IssueKind::WrongType,
                    format!("expected a finite number, got {}", x.show()),
                );
                return None;
            }
        }
    }
    Some(out)
}

fn parse_dist_table(
    node: &Node,
    t: &Table,
    path: &str,
    unit: &str,
    iss: &mut Issues,
) -> Option<Dist> {
    let Some(kn) = t.get("dist") else {
        iss.at(
            node,
            path,
            IssueKind::Missing,
            format!(
                "a distribution table needs `dist = \"...\"` (one of {}); or write a plain number in {unit}",
                DIST_KINDS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
            ),
        );
        return None;
    };
    let Val::Str(kind) = &kn.v else {
        iss.at(
            kn,
            &join(path, "dist"),
            IssueKind::WrongType,
            format!(
                "expected a string naming the distribution, got {}",
                kn.show()
            ),
        );
        return None;
    };
    let Some((_, req, opt)) = DIST_KINDS.iter().find(|k| k.0 == kind) else {
        iss.at(
            kn,
            &join(path, "dist"),
            IssueKind::UnknownDist,
            format!(
                "unknown distribution {kind:?}; known: {}",
                DIST_KINDS
                    .iter()
                    .map(|k| k.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return None;
    };
    let mut known: Vec<&str> = vec!["dist"];
    known.extend(req.iter().chain(opt.iter()));
    let before = iss.list.len();
    iss.unknown_keys(t, path, &known, &units);
    for r in req.iter() {
        if !t.has(r) {
            iss.at(
                node,
                &join(path, r),
                IssueKind::Missing,
                format!(
                    "missing parameter `{r}` of the {kind} distribution (needs {})",
                    req.join(", ")
                ),
            );
        }
    }
    if iss.list.len() > before {
        return None;
    }
    let d = match kind.as_str() {
        "fixed" => Dist::Fixed {
            value: param(t, "value", path, iss)?,
        },
        "uniform" => Dist::Uniform {
            lo: param(t, "lo", path, iss)?,
            hi: param(t, "hi", path, iss)?,
        },
        "normal" => {
            let lo = if t.has("lo") {
                Some(param(t, "lo", path, iss)?)
            } else {
                None
            };
            let hi = if t.has("hi") {
                Some(param(t, "hi", path, iss)?)
            } else {
                None
            };
            Dist::Normal {
                mean: param(t, "mean", path, iss)?,
                sd: param(t, "sd", path, iss)?,
                lo,
                hi,
            }
        }
        "lognormal" => Dist::Lognormal {
            median: param(t, "median", path, iss)?,
            p90: param(t, "p90", path, iss)?,
        },
        "triangular" => Dist::Triangular {
            lo: param(t, "lo", path, iss)?,
            mode: param(t, "mode", path, iss)?,
            hi: param(t, "hi", path, iss)?,
        },
        "pert" => Dist::Pert {
            lo: param(t, "lo", path, iss)?,
            mode: param(t, "mode", path, iss)?,
            hi: param(t, "hi", path, iss)?,
        },
        _ => {
            let values = num_array(t.get("values")?, &join(path, "values"), iss)?;
            let weights = match t.get("weights") {
                Some(w) => num_array(w, &join(path, "weights"), iss)?,
                None => vec![1.0; values.len()],
            };
            Dist::Discrete { values, weights }
        }
    };
    if let Err(e) = d.check() {
        iss.at(
            node,
            path,
            IssueKind::BadDistribution,
            format!("invalid {kind} distribution: {e}"),
        );
        return None;
    }
    Some(d)
}

/// Checks that `k * d` lies in `[lo, hi]` (a fixed value exactly; a distribution up to 0.1 %).
/// `bounds` = `(lo, hi, text describing the allowed range)`.
pub(super) fn check_range(
    node: &Node,
    path: &str,
    d: &Dist,
    k: f64,
    bounds: (f64, f64, &str),
    iss: &mut Issues,
) -> bool {
    let (lo, hi, range) = bounds;
    if let Dist::Fixed { value } = d {
        let s = value * k;
        if s < lo {
            iss.at(
                node,
                path,
                IssueKind::OutOfRange,
                format!("must be >= {} ({range}), got {}", num(lo / k), num(*value)),
            );
            return false;
        }
        if s > hi {
            iss.at(
                node,
                path,
                IssueKind::OutOfRange,
                format!("must be <= {} ({range}), got {}", num(hi / k), num(*value)),
            );
            return false;
        }
        return true;
    }
    let scaled = if k == 1.0 { d.clone() } else { d.scaled(k) };
    let out = scaled.fraction_outside(lo, hi);
    if out > 0.001 {
        iss.at(
            node,
            path,
            IssueKind::BadDistribution,
            format!(
                "the distribution puts {:.2}% of its mass outside the {range} (at most 0.1% allowed); narrow it or truncate it (a normal with lo/hi, or a triangular/pert inside the range)",
                out * 100.0
            ),
        );
        return false;
    }
    true
}

/// Reads `t[key]` as a distribution for field `spec`; `None` (and an issue if required) when bad.
pub(super) fn dist_field(
    t: &Table,
    key: &str,
    path: &str,
    spec: &FieldSpec,
    required: bool,
    iss: &mut Issues,
    missing_hint: &str,
) -> Option<Dist> {
    let p = join(path, key);
    let Some(n) = t.get(key) else {
        if required {
            iss.in_file(
                &table_file(t, iss),
                &p,
                IssueKind::Missing,
                format!("missing required field ({}){missing_hint}", spec.unit),
            );
        }
        return None;
    };
    let d = parse_dist(n, &p, spec.unit, iss)?;
    check_range(n, &p, &d, 1.0, (spec.lo, spec.hi, &range_text(spec)), iss).then_some(d)
}

/// File name to blame for a missing key of `t` (the file of its first entry).
pub(super) fn table_file(t: &Table, iss: &Issues) -> String {
    t.entries
        .first()
        .map(|e| e.2.src.name.clone())
        .or_else(|| iss.list.first().map(|i| i.file.clone()))
        .unwrap_or_default()
}

/// Reads an integer field in `[lo, hi]`: the one integer reader of scenario, catalog and sweep
/// files. Takes a TOML integer, or a float with no fractional part (`3.0` is `3`, `3.5` is an
/// error); integers are compared exactly (no round trip through f64).
pub fn int_field(
    n: &Node,
    path: &str,
    lo: u64,
    hi: u64,
    unit: &str,
    iss: &mut Issues,
) -> Option<u64> {
    let (v, below, above) = match &n.v {
        Val::Int(i) => {
            let i = i128::from(*i);
            if (i128::from(lo)..=i128::from(hi)).contains(&i) {
                return Some(i as u64);
            }
            (i as f64, i < i128::from(lo), i > i128::from(hi))
        }
        Val::Float(x) if x.fract() == 0.0 && x.is_finite() => (*x, *x < lo as f64, *x > hi as f64),
        Val::Table(_) => {
            iss.at(
                n,
                path,
                IssueKind::WrongType,
                format!(
                    "expected an integer number of {unit} (integer fields take no distribution)"
                ),
            );
            return None;
        }
        _ => {
            iss.at(
                n,
                path,
                IssueKind::WrongType,
                format!(
                    "expected an integer number of {unit}, got {}",
                    n.described()
                ),
            );
            return None;
        }
    };
    if below || above {
        let rel = if below {
            format!(">= {lo}")
        } else {
            format!("<= {hi}")
        };
        iss.at(
            n,
            path,
            IssueKind::OutOfRange,
            format!(
                "must be {rel} (allowed range [{lo}, {hi}] {unit}), got {}",
                num(v)
            ),
        );
        return None;
    }
    Some(v as u64)
}

/// Reads a string field; `what` says what it holds.
pub(super) fn str_field<'a>(
    n: &'a Node,
    path: &str,
    what: &str,
    iss: &mut Issues,
) -> Option<&'a str> {
    match &n.v {
        Val::Str(s) => Some(s),
        _ => {
            iss.at(
                n,
                path,
                IssueKind::WrongType,
                format!("expected a string ({what}), got {}", n.described()),
            );
            None
        }
    }
}

/// Reads a sub-table; `what` says what it holds.
pub(super) fn sub_table<'a>(
    n: &'a Node,
    path: &str,
    what: &str,
    iss: &mut Issues,
) -> Option<&'a Table> {
    match &n.v {
        Val::Table(t) => Some(t),
        _ => {
            iss.at(
                n,
                path,
                IssueKind::WrongType,
                format!("expected a table ({what}), got {}", n.described()),
            );
            None
        }
    }
}

/// Reads a string that must be the spelling of one of `choices`; returns its value. The error
/// names every choice.
pub(super) fn choice_field<T: Copy>(
    n: &Node,
    path: &str,
    choices: &[(&str, T)],
    iss: &mut Issues,
) -> Option<T> {
    let list = choices
        .iter()
        .map(|c| format!("\"{}\"", c.0))
        .collect::<Vec<_>>()
        .join(", ");
    let s = str_field(n, path, &format!("one of {list}"), iss)?;
    match choices.iter().find(|c| c.0 == s) {
        Some(c) => Some(c.1),
        None => {
            iss.at(
                n,
                path,
                IssueKind::OutOfRange,
                format!("must be one of {list}, got {s:?}"),
            );
            None
        }
    }
}

/// Days from 1970-01-01 of an ISO date `YYYY-MM-DD` (proleptic Gregorian), `None` when it is
/// not one (month 1-12, day within the month).
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: i64 = s[5..7].parse().ok()?;
    let d: i64 = s[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let len = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > len[(m - 1) as usize] {
        return None;
    }
    // Days from civil (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Reads an ISO date string (`"YYYY-MM-DD"`): its days from 1970-01-01.
pub(super) fn date_field(n: &Node, path: &str, iss: &mut Issues) -> Option<i64> {
    let s = str_field(n, path, "a date \"YYYY-MM-DD\"", iss)?;
    match parse_date(s) {
        Some(d) => Some(d),
        None => {
            iss.at(
                n,
                path,
                IssueKind::OutOfRange,
                format!("must be a date \"YYYY-MM-DD\" (e.g. \"2026-09-01\"), got {s:?}"),
            );
            None
        }
    }
}

#[cfg(test)]
mod date_tests {
    use super::parse_date;

    /// Known day numbers (Unix epoch days) and invalid dates.
    #[test]
    fn dates_count_days_from_the_epoch() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert_eq!(parse_date("2026-01-01"), Some(20_454));
        assert_eq!(
            parse_date("2026-12-31").unwrap() - parse_date("2026-01-01").unwrap(),
            364
        );
        assert_eq!(
            parse_date("2028-03-01").unwrap() - parse_date("2028-02-28").unwrap(),
            2
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026-04-31",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
