//! A small chart module of ours for the HTML report: inline SVG with linear axes and nice
//! ticks, axis titles with units, lines, bands (the area between two series), bars (two
//! options overlaid with transparency), step CDFs, horizontal bars (tornado), points with
//! whiskers, vertical markers with a shaded uncertainty span, and a legend.
//!
//! Every chart is `<svg class="chart" data-chart=NAME role="img">` with a `<title>`, and each
//! data mark (bar, line, band, point, span) has `class="mark"`, so a test can find the data.
//! Text is drawn in the page's font (no font files, no external reference). Options are told
//! apart by colour *and* by dash pattern, so the charts read in greyscale print.

use std::fmt::Write as _;

use super::num::{TickKind, nice_ticks, tick};

/// Width of every chart's view box (CSS scales it to the column).
const W: f64 = 720.0;
/// Room right of the plot.
const RIGHT: f64 = 18.0;
/// Room above the plot (the title and the legend).
const TOP: f64 = 58.0;
/// Room below the plot (tick labels and the axis title).
const BOTTOM: f64 = 50.0;

/// How one series is drawn: its colour and dash pattern (`""` = solid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Stroke and fill colour.
    pub color: &'static str,
    /// SVG `stroke-dasharray` (`""` for a solid line).
    pub dash: &'static str,
}

/// Options' colours: dark blue, orange, bluish green, reddish purple (Okabe-Ito, safe for
/// colour-blind readers), at clearly different lightness so they stay apart in grey.
const PALETTE: [&str; 4] = ["#1f4e8c", "#e69f00", "#009e73", "#cc79a7"];
/// Dash patterns by option: the second option's lines are dashed, so they read in grey.
const DASHES: [&str; 4] = ["", "7 4", "2 3", "9 3 2 3"];

/// The style of the option at `i` in scenario order.
pub fn option_style(i: usize) -> Style {
    Style {
        color: PALETTE[i % PALETTE.len()],
        dash: DASHES[i % DASHES.len()],
    }
}

/// A neutral style for markers and reference lines.
pub const GREY: Style = Style {
    color: "#555555",
    dash: "4 3",
};

/// One linear axis: its title (with the unit), domain, ticks and how tick labels are written;
/// or, with `labels`, a categorical axis (one category per integer 0, 1, ...).
#[derive(Clone, Debug)]
pub struct Axis {
    /// Axis title, unit included: `NPV (USD)`.
    pub title: String,
    /// Domain, low end.
    pub lo: f64,
    /// Domain, high end.
    pub hi: f64,
    /// Tick spacing.
    pub step: f64,
    /// Tick positions.
    pub ticks: Vec<f64>,
    /// How tick labels are written.
    pub kind: TickKind,
    /// Category names of a categorical axis (position i is category i).
    pub labels: Option<Vec<String>>,
}

impl Axis {
    /// A linear axis over the data range `[lo, hi]`, widened to nice ticks.
    pub fn new(title: impl Into<String>, lo: f64, hi: f64, kind: TickKind) -> Axis {
        Axis::with_target(title, lo, hi, kind, 5)
    }

    /// As [`Axis::new`], with about `target` tick intervals.
    pub fn with_target(
        title: impl Into<String>,
        lo: f64,
        hi: f64,
        kind: TickKind,
        target: usize,
    ) -> Axis {
        let (lo, hi, step, ticks) = nice_ticks(lo, hi, target);
        Axis {
            title: title.into(),
            lo,
            hi,
            step,
            ticks,
            kind,
            labels: None,
        }
    }

    /// A linear axis over the finite values of `values` (and `also`, e.g. 0 or a target line).
    pub fn over(
        title: impl Into<String>,
        values: impl IntoIterator<Item = f64>,
        also: &[f64],
        kind: TickKind,
    ) -> Axis {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.into_iter().chain(also.iter().copied()) {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if lo > hi {
            (lo, hi) = (0.0, 1.0);
        }
        Axis::new(title, lo, hi, kind)
    }

    /// A categorical axis: category i at position i, drawn top to bottom on a y axis.
    pub fn categories(title: impl Into<String>, labels: Vec<String>) -> Axis {
        let n = labels.len().max(1) as f64;
        Axis {
            title: title.into(),
            lo: -0.5,
            hi: n - 0.5,
            step: 1.0,
            ticks: (0..labels.len()).map(|i| i as f64).collect(),
            kind: TickKind::Plain,
            labels: Some(labels),
        }
    }

    fn label(&self, t: f64) -> String {
        match &self.labels {
            Some(l) => l.get(t as usize).cloned().unwrap_or_default(),
            None => {
                let max_abs = self.ticks.iter().fold(0f64, |m, x| m.max(x.abs()));
                tick(t, self.step, max_abs, self.kind)
            }
        }
    }
}

/// How a legend entry's swatch looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Swatch {
    /// A line in the series' dash pattern.
    Line,
    /// A light box with an outline (histogram bars).
    Light,
    /// A solid box (horizontal bars).
    Solid,
}

/// A chart being drawn: axes, the marks so far and the legend.
pub struct Chart {
    name: String,
    title: String,
    x: Axis,
    y: Axis,
    left: f64,
    height: f64,
    marks: String,
    overlay: String,
    legend: Vec<(String, Style, Swatch)>,
    markers: usize,
}

/// Escapes text for HTML and SVG content and attributes.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A coordinate with two decimals (enough at this size; keeps the page small).
fn c(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

impl Chart {
    /// A chart named `name` (its `data-chart`), titled `title` (its `<title>`), over `x` and `y`.
    pub fn new(name: &str, title: &str, x: Axis, y: Axis) -> Chart {
        // Room for the y tick labels: wider for categories (long input names).
        let left = match &y.labels {
            Some(l) => 16.0 + 6.3 * l.iter().map(|s| s.chars().count()).max().unwrap_or(0) as f64,
            None => 78.0,
        }
        .min(380.0);
        let height = match &y.labels {
            Some(l) => TOP + BOTTOM + 22.0 * l.len().max(1) as f64,
            None => 340.0,
        };
        Chart {
            name: name.into(),
            title: title.into(),
            x,
            y,
            left,
            height,
            marks: String::new(),
            overlay: String::new(),
            legend: Vec::new(),
            markers: 0,
        }
    }

    fn sx(&self, x: f64) -> f64 {
        let t = (x - self.x.lo) / (self.x.hi - self.x.lo);
        self.left + t.clamp(-0.02, 1.02) * (W - self.left - RIGHT)
    }

    fn sy(&self, y: f64) -> f64 {
        let t = (y - self.y.lo) / (self.y.hi - self.y.lo);
        let t = if self.y.labels.is_some() { 1.0 - t } else { t };
        self.height - BOTTOM - t.clamp(-0.02, 1.02) * (self.height - BOTTOM - TOP)
    }

    /// Adds a legend entry (`line`: a line swatch, else a light box as histogram bars are).
    pub fn legend(&mut self, label: &str, style: Style, line: bool) {
        let swatch = if line { Swatch::Line } else { Swatch::Light };
        self.legend.push((label.into(), style, swatch));
    }

    /// Adds a legend entry with a solid box, as [`Chart::hbars`] draws.
    pub fn legend_solid(&mut self, label: &str, style: Style) {
        self.legend.push((label.into(), style, Swatch::Solid));
    }

    fn path(&self, pts: &[(f64, f64)]) -> String {
        let mut d = String::new();
        let mut pen = false;
        for &(x, y) in pts {
            if !(x.is_finite() && y.is_finite()) {
                pen = false;
                continue;
            }
            let _ = write!(
                d,
                "{}{},{}",
                if pen { "L" } else { "M" },
                c(self.sx(x)),
                c(self.sy(y))
            );
            pen = true;
        }
        d
    }

    /// A line through `pts` (points with a non-finite coordinate break it).
    pub fn line(&mut self, pts: &[(f64, f64)], s: Style, width: f64) {
        let d = self.path(pts);
        if d.is_empty() {
            return;
        }
        let _ = write!(
            self.marks,
            r#"<path class="mark" d="{d}" fill="none" stroke="{}" stroke-width="{width}" stroke-dasharray="{}" stroke-linejoin="round"/>"#,
            s.color, s.dash
        );
    }

    /// The band between `lo` and `hi` over x (`(x, lo, hi)`; points with a missing bound
    /// are skipped), filled lightly, its edges drawn thin in the series' dash pattern.
    pub fn band(&mut self, pts: &[(f64, f64, f64)], s: Style, opacity: f64) {
        let ok: Vec<&(f64, f64, f64)> = pts
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite() && p.2.is_finite())
            .collect();
        if ok.len() < 2 {
            return;
        }
        let mut d = String::new();
        for (i, p) in ok.iter().enumerate() {
            let _ = write!(
                d,
                "{}{},{}",
                if i == 0 { "M" } else { "L" },
                c(self.sx(p.0)),
                c(self.sy(p.2))
            );
        }
        for p in ok.iter().rev() {
            let _ = write!(d, "L{},{}", c(self.sx(p.0)), c(self.sy(p.1)));
        }
        d.push('Z');
        let _ = write!(
            self.marks,
            r#"<path class="mark band" d="{d}" fill="{}" fill-opacity="{opacity}" stroke="{}" stroke-width="0.8" stroke-dasharray="{}" stroke-opacity="0.7"/>"#,
            s.color, s.color, s.dash
        );
    }

    /// Bars `(x0, x1, height)` from zero, filled with transparency (two options overlay), and
    /// their outline as one step line in the series' dash pattern.
    pub fn bars(&mut self, bars: &[(f64, f64, f64)], s: Style) {
        let y0 = self.sy(0.0);
        let mut outline = Vec::new();
        for &(x0, x1, h) in bars {
            if !(x0.is_finite() && x1.is_finite() && h.is_finite()) {
                continue;
            }
            let (a, b, top) = (self.sx(x0), self.sx(x1), self.sy(h));
            let _ = write!(
                self.marks,
                r#"<rect class="mark" x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="0.35"/>"#,
                c(a),
                c(top.min(y0)),
                c((b - a).max(0.5)),
                c((y0 - top).abs()),
                s.color
            );
            outline.extend([(x0, h), (x1, h)]);
        }
        if let (Some(&(fx, _)), Some(&(lx, _))) = (outline.first(), outline.last()) {
            outline.insert(0, (fx, 0.0));
            outline.push((lx, 0.0));
            self.line(&outline, s, 1.4);
        }
    }

    /// A step function through `pts`: flat from each point to the next x, then up or down
    /// (a CDF drawn from histogram edges).
    pub fn step(&mut self, pts: &[(f64, f64)], s: Style) {
        let mut st = Vec::new();
        for w in pts.windows(2) {
            st.push(w[0]);
            st.push((w[1].0, w[0].1));
        }
        if let Some(l) = pts.last() {
            st.push(*l);
        }
        self.line(&st, s, 2.0);
    }

    /// Horizontal bars on a categorical y axis: `(category, from, to)`, each its own bar.
    pub fn hbars(&mut self, bars: &[(usize, f64, f64)], s: Style, thickness: f64) {
        for &(i, from, to) in bars {
            if !(from.is_finite() && to.is_finite()) {
                continue;
            }
            let (a, b) = (self.sx(from.min(to)), self.sx(from.max(to)));
            let y = self.sy(i as f64);
            let _ = write!(
                self.marks,
                r#"<rect class="mark" x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="0.85"/>"#,
                c(a),
                c(y - thickness / 2.0),
                c((b - a).max(1.0)),
                c(thickness),
                s.color
            );
        }
    }

    /// Points `(x, y)` with whiskers from `lo` to `hi` (vertical, or horizontal on a
    /// categorical y axis); a missing bound draws no whisker.
    pub fn points(&mut self, pts: &[(f64, f64, Option<f64>, Option<f64>)], s: Style, marker: char) {
        let horizontal = self.y.labels.is_some();
        for &(x, y, lo, hi) in pts {
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            let (px, py) = (self.sx(x), self.sy(y));
            if let (Some(lo), Some(hi)) = (lo, hi) {
                let (x1, y1, x2, y2) = if horizontal {
                    (self.sx(lo), py, self.sx(hi), py)
                } else {
                    (px, self.sy(lo), px, self.sy(hi))
                };
                let _ = write!(
                    self.marks,
                    r#"<line class="mark" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1.3"/>"#,
                    c(x1),
                    c(y1),
                    c(x2),
                    c(y2),
                    s.color
                );
            }
            let shape = if marker == 's' {
                format!(
                    r##"<rect class="mark" x="{}" y="{}" width="7" height="7" fill="{}" stroke="#fff" stroke-width="0.8"/>"##,
                    c(px - 3.5),
                    c(py - 3.5),
                    s.color
                )
            } else {
                format!(
                    r##"<circle class="mark" cx="{}" cy="{}" r="3.8" fill="{}" stroke="#fff" stroke-width="0.8"/>"##,
                    c(px),
                    c(py),
                    s.color
                )
            };
            self.marks.push_str(&shape);
        }
    }

    /// A vertical marker at `x` with a label at the top, and the shaded span `[lo, hi]`
    /// around it (its uncertainty) when given; a non-finite `x` draws the span alone.
    pub fn vmarker(&mut self, x: f64, span: Option<(f64, f64)>, label: &str, s: Style) {
        let (a, b) = (self.sy(self.y.hi), self.sy(self.y.lo));
        let (top, bottom) = (a.min(b), a.max(b));
        if let Some((lo, hi)) = span.filter(|(a, b)| a.is_finite() && b.is_finite()) {
            let (a, b) = (self.sx(lo.min(hi)), self.sx(lo.max(hi)));
            let _ = write!(
                self.marks,
                r##"<rect class="mark span" x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="0.16"/>"##,
                c(a),
                c(top),
                c((b - a).max(1.0)),
                c(bottom - top),
                s.color
            );
        }
        if !x.is_finite() {
            return;
        }
        let px = self.sx(x);
        // Each labelled marker's label one line below the previous one's, so they never overlap.
        let row = if label.is_empty() { 0 } else { self.markers };
        if !label.is_empty() {
            self.markers += 1;
        }
        let top_label = top + 12.0 + 13.0 * row as f64;
        let anchor = if px > W - 160.0 { "end" } else { "start" };
        let dx = if anchor == "end" { -4.0 } else { 4.0 };
        let _ = write!(
            self.overlay,
            r##"<line class="mark" x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}" stroke-width="1.5" stroke-dasharray="{4}"/><text x="{5}" y="{6}" font-size="11" text-anchor="{anchor}" fill="{3}" stroke="#fff" stroke-width="3" paint-order="stroke">{7}</text>"##,
            c(px),
            c(top),
            c(bottom),
            s.color,
            s.dash,
            c(px + dx),
            c(top_label),
            esc(label)
        );
    }

    /// An interval on the line `y` from `lo` to `hi` with a tick at `mid`, shifted `offset`
    /// pixels down (so several options' intervals on one line stay apart): a payback band.
    pub fn interval(&mut self, y: f64, lo: f64, hi: f64, mid: f64, offset: f64, s: Style) {
        if !(y.is_finite() && lo.is_finite() && hi.is_finite()) {
            return;
        }
        let py = self.sy(y) + offset;
        let (a, b) = (self.sx(lo.min(hi)), self.sx(lo.max(hi)));
        let _ = write!(
            self.overlay,
            r#"<rect class="mark" x="{}" y="{}" width="{}" height="7" fill="{}" fill-opacity="0.45" stroke="{}" stroke-dasharray="{}"/>"#,
            c(a),
            c(py - 3.5),
            c((b - a).max(1.0)),
            s.color,
            s.color,
            s.dash
        );
        if mid.is_finite() {
            let pm = self.sx(mid);
            let _ = write!(
                self.overlay,
                r#"<line class="mark" x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}" stroke-width="3"/>"#,
                c(pm),
                c(py - 7.0),
                c(py + 7.0),
                s.color
            );
        }
    }

    /// A horizontal reference line at `y` (zero, a target) with a label at the right.
    pub fn hline(&mut self, y: f64, label: &str, s: Style) {
        if !y.is_finite() {
            return;
        }
        let py = self.sy(y);
        let _ = write!(
            self.overlay,
            r#"<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="{3}" stroke-width="1.2" stroke-dasharray="{4}"/>"#,
            c(self.left),
            c(py),
            c(W - RIGHT),
            s.color,
            s.dash
        );
        if !label.is_empty() {
            let _ = write!(
                self.overlay,
                r#"<text x="{}" y="{}" font-size="11" text-anchor="end" fill="{}">{}</text>"#,
                c(W - RIGHT - 2.0),
                c(py - 4.0),
                s.color,
                esc(label)
            );
        }
    }

    /// The finished `<svg>`.
    pub fn render(&self) -> String {
        let h = self.height;
        let (l, r, t, b) = (self.left, W - RIGHT, TOP, h - BOTTOM);
        let mut s = format!(
            r#"<svg class="chart" data-chart="{}" role="img" viewBox="0 0 {W} {}"><title>{}</title>"#,
            esc(&self.name),
            c(h),
            esc(&self.title)
        );
        // Grid and ticks.
        s.push_str(r##"<g class="axis" font-size="11" fill="#333">"##);
        for &tx in &self.x.ticks {
            let px = self.sx(tx);
            let _ = write!(
                s,
                r##"<line x1="{0}" y1="{t}" x2="{0}" y2="{b}" stroke="#e3e3e3"/><text x="{0}" y="{1}" text-anchor="middle">{2}</text>"##,
                c(px),
                c(b + 15.0),
                esc(&self.x.label(tx))
            );
        }
        for &ty in &self.y.ticks {
            let py = self.sy(ty);
            let grid = if self.y.labels.is_some() {
                "#f2f2f2"
            } else {
                "#e3e3e3"
            };
            let _ = write!(
                s,
                r##"<line x1="{l}" y1="{0}" x2="{r}" y2="{0}" stroke="{grid}"/><text x="{1}" y="{2}" text-anchor="end">{3}</text>"##,
                c(py),
                c(l - 6.0),
                c(py + 4.0),
                esc(&self.y.label(ty))
            );
        }
        let _ = write!(
            s,
            r##"<rect x="{l}" y="{t}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
            c(r - l),
            c(b - t)
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="12">{}</text>"#,
            c((l + r) / 2.0),
            c(h - 10.0),
            esc(&self.x.title)
        );
        if self.y.labels.is_none() {
            let _ = write!(
                s,
                r#"<text transform="translate(14,{}) rotate(-90)" text-anchor="middle" font-size="12">{}</text>"#,
                c((t + b) / 2.0),
                esc(&self.y.title)
            );
        }
        s.push_str("</g>");
        s.push_str(&self.marks);
        s.push_str(&self.overlay);
        // Title (smaller when long, so it fits the width), then the legend along the top.
        let x0 = if self.y.labels.is_some() { 8.0 } else { l };
        let size =
            (14.0f64).min((W - x0 - 8.0) / (0.58 * self.title.chars().count().max(1) as f64));
        let _ = write!(
            s,
            r##"<text x="{}" y="17" font-size="{}" font-weight="600" fill="#1d1d1f">{}</text>"##,
            c(x0),
            c(size),
            esc(&self.title)
        );
        let mut x = l;
        for (label, st, line) in &self.legend {
            let swatch = if *line == Swatch::Solid {
                format!(
                    r#"<rect x="{}" y="32" width="26" height="12" fill="{}" fill-opacity="0.85"/>"#,
                    c(x),
                    st.color
                )
            } else if *line == Swatch::Line {
                format!(
                    r#"<line x1="{}" y1="38" x2="{}" y2="38" stroke="{}" stroke-width="2.5" stroke-dasharray="{}"/>"#,
                    c(x),
                    c(x + 26.0),
                    st.color,
                    st.dash
                )
            } else {
                format!(
                    r#"<rect x="{}" y="32" width="26" height="12" fill="{}" fill-opacity="0.35" stroke="{}" stroke-width="1.4" stroke-dasharray="{}"/>"#,
                    c(x),
                    st.color,
                    st.color,
                    st.dash
                )
            };
            s.push_str(&swatch);
            let _ = write!(
                s,
                r##"<text x="{}" y="42" font-size="12" fill="#222">{}</text>"##,
                c(x + 31.0),
                esc(label)
            );
            x += 44.0 + 6.6 * label.chars().count() as f64;
        }
        s.push_str("</svg>");
        s
    }
}
