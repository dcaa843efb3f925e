//! Human-readable numbers and the text tables the commands print (used by the CLI and by
//! `bench`, which is why they live here and not in `cli/`).

/// Formats money with a magnitude suffix: `$1.23B`, `$456.7M`, `$12.3k`, `$2.35`.
pub fn usd(x: f64) -> String {
    let a = x.abs();
    let sign = if x < 0.0 { "-" } else { "" };
    if a >= 1e9 {
        format!("{sign}${:.2}B", a / 1e9)
    } else if a >= 1e6 {
        format!("{sign}${:.1}M", a / 1e6)
    } else if a >= 1e4 {
        format!("{sign}${:.1}k", a / 1e3)
    } else if a >= 100.0 {
        format!("{sign}${a:.0}")
    } else if a >= 1.0 {
        format!("{sign}${a:.2}")
    } else {
        format!("{sign}${a:.3}")
    }
}

/// Formats a count or quantity with a magnitude suffix: `1.2M`, `34.5k`, `123`.
pub fn qty(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{:.2}G", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// Formats a fraction as a percentage with enough digits for availabilities: `99.73%`.
pub fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

/// Formats a payback in days, `never` past the horizon.
pub fn days(x: f64, horizon_days: u32) -> String {
    if x > horizon_days as f64 {
        "never".to_string()
    } else {
        format!("{x:.0} d")
    }
}

/// Formats a byte count in binary units: `2.00 GiB`, `128 MiB`, `512 B`.
pub fn bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let x = n as f64;
    if x >= KIB * KIB * KIB {
        format!("{:.2} GiB", x / (KIB * KIB * KIB))
    } else if x >= KIB * KIB {
        format!("{:.0} MiB", x / (KIB * KIB))
    } else if x >= KIB {
        format!("{:.0} KiB", x / KIB)
    } else {
        format!("{n} B")
    }
}

/// Writes an integer with thousands separators: `13,840`.
pub fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Lays out rows of cells as an aligned text table (first column left, others right).
pub fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let ncol = header.len();
    let mut w = vec![0usize; ncol];
    for r in std::iter::once(header).chain(rows.iter().map(|r| r.as_slice())) {
        for (i, c) in r.iter().enumerate().take(ncol) {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |r: &[String]| -> String {
        let mut s = String::new();
        for (i, c) in r.iter().enumerate().take(ncol) {
            let pad = w[i] - c.chars().count();
            if i == 0 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        s.trim_end().to_string()
    };
    let mut out = line(header);
    out.push('\n');
    out.push_str(&"-".repeat(w.iter().sum::<usize>() + 2 * (ncol - 1)));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

/// A value of the output metric `name` for tables: money in USD, availability and goodput as
/// percentages, anything else as a short number.
pub fn metric_value(name: &str, x: f64) -> String {
    if name.contains("usd") {
        usd(x)
    } else if name == "availability" || name == "goodput" {
        pct(x)
    } else {
        qty(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_quantities_read_naturally() {
        assert_eq!(usd(1.234e9), "$1.23B");
        assert_eq!(usd(-4.56e7), "-$45.6M");
        assert_eq!(usd(12_345.0), "$12.3k");
        assert_eq!(usd(2.345), "$2.35");
        assert_eq!(usd(0.0123), "$0.012");
        assert_eq!(qty(1_500_000.0), "1.50M");
        assert_eq!(pct(0.99731), "99.73%");
        assert_eq!(days(1826.0, 1825), "never");
        assert_eq!(days(410.2, 1825), "410 d");
        assert_eq!(bytes(2_147_483_647), "2.00 GiB");
        assert_eq!(bytes(134_217_728), "128 MiB");
        assert_eq!(bytes(512), "512 B");
    }

    #[test]
    fn table_aligns_columns() {
        let t = table(
            &["a".into(), "bb".into()],
            &[vec!["long name".into(), "1".into()]],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], format!("a{}bb", " ".repeat(10)));
        assert_eq!(lines[2], "long name   1");
    }
}
