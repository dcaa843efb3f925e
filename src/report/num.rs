//! Number formats of the HTML report: USD with k / M / B suffixes, percentages, days and plain
//! quantities, each with the rounding it applies (`data-precision`), so the text on the page
//! parses back to the file's number within a stated tolerance.
//!
//! How a browser test reads a formatted value back: drop a leading `USD`, thousands commas and
//! a trailing unit word; a `k`, `M` or `B` suffix multiplies by 1e3, 1e6, 1e9; a `%` divides by
//! 100. The tolerance is `rel X` (|parsed - file| <= X |file|) or `abs X`.

/// Significant digits of the report's numbers (tables and sentences).
pub const SIG: usize = 4;

/// The tolerance of a [`SIG`]-digit value: half a unit in the 4th digit is at most 5e-4
/// relative, stated with margin.
pub const REL: &str = "rel 1e-3";

/// `x` with `digits` significant digits in plain notation (`262.0`, `0.02500`, `1502`); `0`
/// for zero.
pub fn sig(x: f64, digits: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i64;
    let decimals = (digits as i64 - 1 - mag).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.starts_with("-") && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Inserts thousands commas into the integer part of a plain decimal number.
pub fn group(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(a, b)| (a, Some(b)));
    if int.len() <= 4 {
        return s.to_string();
    }
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// The suffix and divisor for an amount of this size: B, M, k or none.
fn scale(abs: f64) -> (&'static str, f64) {
    if abs >= 1e9 {
        ("B", 1e9)
    } else if abs >= 1e6 {
        ("M", 1e6)
    } else if abs >= 1e4 {
        ("k", 1e3)
    } else {
        ("", 1.0)
    }
}

/// An amount in US dollars: `USD -262.0M`, `USD 1.234B`, `USD 384.0k`, `USD 2.345`.
pub fn usd(x: f64) -> String {
    format!("USD {}", short(x))
}

/// A number with a k / M / B suffix and [`SIG`] digits: `-262.0M`, `2.345`.
pub fn short(x: f64) -> String {
    let (suffix, div) = scale(x.abs());
    let v = sig(x / div, SIG);
    // Rounding can carry into the next unit (999.96k -> 1000k): write it in the next one.
    if !suffix.is_empty() && suffix != "B" && v.trim_start_matches('-').starts_with("1000") {
        return short(x.signum() * div * 1000.0);
    }
    format!("{v}{suffix}")
}

/// A fraction as a percentage with `decimals` decimals: `57.3 %`.
pub fn pct(x: f64, decimals: usize) -> String {
    let s = format!("{:.decimals$}", 100.0 * x);
    // No "-0.00 %": a value that rounds to zero has no sign.
    match s.strip_prefix('-') {
        Some(r) if r.chars().all(|c| c == '0' || c == '.') => format!("{r} %"),
        _ => format!("{s} %"),
    }
}

/// The tolerance of [`pct`] with `decimals` decimals, in fraction units.
pub fn pct_precision(decimals: usize) -> String {
    format!(
        "abs {:.3e}",
        0.5 * 10f64.powi(-(decimals as i32 + 2)) * 1.01
    )
}

/// Days, rounded to whole days: `1502 days`, `12,345 days`.
pub fn days(x: f64) -> String {
    format!("{} days", group(&format!("{x:.0}")))
}

/// The tolerance of [`days`].
pub const DAYS_PRECISION: &str = "abs 0.51";

/// A plain quantity with at most [`SIG`] significant digits (trailing zeros dropped) and
/// thousands commas: `13,680`, `0.667`, `42`.
pub fn qty(x: f64) -> String {
    if x.abs() >= 1e4 {
        group(&format!("{x:.0}"))
    } else {
        let s = sig(x, SIG);
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// The tolerance of [`qty`]: relative for small numbers, half a unit once rounded to integers.
pub fn qty_precision(x: f64) -> String {
    if x.abs() >= 1e4 {
        "abs 0.51".into()
    } else {
        REL.into()
    }
}

/// An axis tick label for `x` on an axis whose ticks are `step` apart: as few digits as the
/// step needs, with the k / M / B suffix of the axis' largest tick (`-600M`, `2.5`, `40 %`).
pub fn tick(x: f64, step: f64, max_abs: f64, kind: TickKind) -> String {
    match kind {
        TickKind::Percent => {
            let d = decimals_for(step * 100.0);
            format!("{:.d$} %", 100.0 * x)
        }
        TickKind::Plain => {
            let (suffix, div) = scale(max_abs);
            let d = decimals_for(step / div);
            let s = format!("{:.d$}", x / div);
            let s = if s
                .trim_start_matches('-')
                .chars()
                .all(|c| c == '0' || c == '.')
            {
                "0".to_string()
            } else {
                s
            };
            if s == "0" {
                s
            } else {
                format!("{}{suffix}", if div == 1.0 { group(&s) } else { s })
            }
        }
    }
}

/// How an axis' ticks are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TickKind {
    /// A plain number with a k / M / B suffix (USD, days, counts).
    Plain,
    /// A fraction shown as a percentage.
    Percent,
}

/// Decimals that show a tick step exactly (a step of 2.5 needs 1, of 0.05 needs 2).
fn decimals_for(step: f64) -> usize {
    let mut d = 0;
    while d < 6
        && ((step * 10f64.powi(d as i32)).round() - step * 10f64.powi(d as i32)).abs() > 1e-6
    {
        d += 1;
    }
    d
}

/// "Nice" ticks covering `[lo, hi]` with about `target` intervals: a step of 1, 2, 2.5 or 5
/// times a power of ten, the domain widened to whole steps. Returns `(lo, hi, step, ticks)`.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> (f64, f64, f64, Vec<f64>) {
    let (mut lo, mut hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1e-300) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let first = (lo / step + 1e-9).floor();
    let last = (hi / step - 1e-9).ceil();
    let ticks: Vec<f64> = (0..=((last - first) as i64))
        .map(|i| {
            let t = (first + i as f64) * step;
            if t.abs() < step * 1e-9 { 0.0 } else { t }
        })
        .collect();
    (first * step, last * step, step, ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_one_two_two_and_a_half_or_five_times_a_power_of_ten() {
        let (lo, hi, step, t) = nice_ticks(0.0, 1.0, 5);
        assert_eq!((lo, hi, step), (0.0, 1.0, 0.2));
        assert_eq!(t.len(), 6);
        let (lo, hi, step, _) = nice_ticks(-589e6, 160e6, 5);
        // range 749M / 5 = 150M -> step 200M, domain widened to whole steps.
        assert_eq!((lo, hi, step), (-600e6, 200e6, 200e6));
        let (_, _, step, _) = nice_ticks(0.0, 11.0, 5);
        assert_eq!(step, 2.5);
        let (lo, hi, step, t) = nice_ticks(0.995, 0.999, 4);
        assert!((step - 0.001).abs() < 1e-15, "{step}");
        assert!(
            (lo - 0.995).abs() < 1e-12 && (hi - 0.999).abs() < 1e-12,
            "{lo} {hi}"
        );
        assert_eq!(t.len(), 5);
        // A single value gets a span around it; zero stays exactly zero.
        let (lo, hi, _, t) = nice_ticks(5.0, 5.0, 5);
        assert!(lo < 5.0 && hi > 5.0);
        assert!(t.contains(&5.0));
        let (_, _, _, t) = nice_ticks(-0.3, 0.3, 6);
        assert!(t.contains(&0.0) && !t.iter().any(|x| x.to_bits() == (-0.0f64).to_bits()));
    }

    #[test]
    fn amounts_use_suffixes_and_four_significant_digits() {
        assert_eq!(usd(-262_017_648.0), "USD -262.0M");
        assert_eq!(usd(1_234_500_000.0), "USD 1.234B");
        assert_eq!(usd(384_000.0), "USD 384.0k");
        assert_eq!(usd(2.3449), "USD 2.345");
        assert_eq!(usd(9_999.0), "USD 9999");
        assert_eq!(usd(999_960.0), "USD 1.000M");
        assert_eq!(usd(0.0), "USD 0");
        assert_eq!(short(-0.00001), "-0.00001000");
    }

    #[test]
    fn percentages_days_and_quantities() {
        assert_eq!(pct(0.0826, 1), "8.3 %");
        assert_eq!(pct(0.081, 1), "8.1 %");
        assert_eq!(pct(-0.000_01, 2), "0.00 %");
        assert_eq!(pct(-0.0028, 2), "-0.28 %");
        assert_eq!(pct(0.99405, 2), "99.41 %");
        assert_eq!(pct_precision(1), "abs 5.050e-4");
        assert_eq!(days(1502.4), "1502 days");
        assert_eq!(days(12_345.0), "12,345 days");
        assert_eq!(days(822.65), "823 days");
        assert_eq!(qty(13_680.0), "13,680");
        assert_eq!(qty(0.667), "0.667");
        assert_eq!(qty(42.0), "42");
        assert_eq!(qty(0.02), "0.02");
        assert_eq!(qty(27.648731882074244), "27.65");
        assert_eq!(group("-1234567.5"), "-1,234,567.5");
        assert_eq!(group("1234"), "1234");
    }

    #[test]
    fn tick_labels_show_the_step_and_the_axis_unit() {
        assert_eq!(tick(-600e6, 200e6, 600e6, TickKind::Plain), "-600M");
        assert_eq!(tick(2.5, 2.5, 10.0, TickKind::Plain), "2.5");
        assert_eq!(tick(0.4, 0.2, 1.0, TickKind::Percent), "40 %");
        assert_eq!(tick(0.996, 0.001, 1.0, TickKind::Percent), "99.6 %");
        assert_eq!(tick(1500.0, 500.0, 2000.0, TickKind::Plain), "1500");
        assert_eq!(tick(15000.0, 5000.0, 20000.0, TickKind::Plain), "15k");
        assert_eq!(tick(0.0, 5000.0, 20000.0, TickKind::Plain), "0");
    }
}
