//! A hand-written SVG line chart of a run: offered, accepted and drain rates
//! (left axis, per second) and queue depth (right axis, messages) over time.

use std::fmt::Write as _;

use crate::samples::Series;

const W: f64 = 960.0;
const H: f64 = 480.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 80.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 50.0;
const TICKS: u32 = 5;

/// Rounds up to 1, 2 or 5 times a power of ten so axis labels stay readable.
pub fn nice_ceiling(max: f64) -> f64 {
    if max.is_nan() || max <= 0.0 || max.is_infinite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|c| *c >= max)
        .unwrap_or(10.0 * magnitude)
}

struct Frame {
    t_max: f64,
    rate_max: f64,
    queue_max: f64,
}

impl Frame {
    fn x(&self, t: f64) -> f64 {
        LEFT + t / self.t_max * (W - LEFT - RIGHT)
    }
    fn y(&self, v: f64, max: f64) -> f64 {
        H - BOTTOM - v / max * (H - TOP - BOTTOM)
    }
}

/// Polylines for one series, broken where values are missing.
fn lines(
    out: &mut String,
    frame: &Frame,
    t: &[f64],
    values: &[Option<f64>],
    max: f64,
    style: &str,
) {
    let mut points = String::new();
    let flush = |points: &mut String, out: &mut String| {
        if !points.is_empty() {
            let _ = writeln!(
                out,
                r#"<polyline fill="none" {style} points="{}"/>"#,
                points.trim_end()
            );
            points.clear();
        }
    };
    for (t, v) in t.iter().zip(values) {
        match v {
            Some(v) => {
                let _ = write!(points, "{:.1},{:.1} ", frame.x(*t), frame.y(*v, max));
            }
            None => flush(&mut points, out),
        }
    }
    flush(&mut points, out);
}

fn max_of<'a>(values: impl Iterator<Item = &'a f64>) -> f64 {
    values.copied().fold(0.0, f64::max)
}

/// Renders the chart. An empty series gives a chart that says so.
pub fn render_chart(title: &str, s: &Series) -> String {
    let frame = Frame {
        t_max: nice_ceiling(max_of(s.t.iter())),
        rate_max: nice_ceiling(max_of(
            s.offered
                .iter()
                .chain(&s.accepted)
                .chain(s.drain.iter().flatten()),
        )),
        queue_max: nice_ceiling(max_of(s.queue.iter().flatten())),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="20" font-size="15">{}</text>"#,
        escape(title)
    );
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, H - BOTTOM, TOP);
    for i in 0..=TICKS {
        let f = f64::from(i) / f64::from(TICKS);
        let y = y0 - f * (y0 - y1);
        let x = x0 + f * (x1 - x0);
        let _ = writeln!(
            out,
            r##"<line x1="{x0}" y1="{y:.1}" x2="{x1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><text x="{:.1}" y="{:.1}">{}</text><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            x0 - 6.0,
            y + 4.0,
            label(f * frame.rate_max),
            x1 + 6.0,
            y + 4.0,
            label(f * frame.queue_max),
            y0 + 18.0,
            label(f * frame.t_max),
        );
    }
    let _ = writeln!(
        out,
        r##"<rect x="{x0}" y="{y1}" width="{}" height="{}" fill="none" stroke="#888"/>"##,
        x1 - x0,
        y0 - y1
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">seconds since start</text>"#,
        (x0 + x1) / 2.0,
        H - 8.0
    );
    let _ = writeln!(
        out,
        r#"<text x="14" y="{:.1}" transform="rotate(-90 14 {:.1})" text-anchor="middle">per second</text>"#,
        (y0 + y1) / 2.0,
        (y0 + y1) / 2.0
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" transform="rotate(90 {:.1} {:.1})" text-anchor="middle">queue depth (messages)</text>"#,
        W - 14.0,
        (y0 + y1) / 2.0,
        W - 14.0,
        (y0 + y1) / 2.0
    );

    let legend = [
        ("offered/s", r##"stroke="#1f77b4" stroke-width="1.5""##),
        ("accepted/s", r##"stroke="#2ca02c" stroke-width="1.5""##),
        ("drained/s", r##"stroke="#ff7f0e" stroke-width="1.5""##),
        (
            "queue depth",
            r##"stroke="#d62728" stroke-width="2" stroke-dasharray="6 3""##,
        ),
    ];
    if s.t.is_empty() {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">no samples</text>"#,
            (x0 + x1) / 2.0,
            (y0 + y1) / 2.0
        );
    } else {
        let some = |v: &[f64]| v.iter().copied().map(Some).collect::<Vec<_>>();
        lines(
            &mut out,
            &frame,
            &s.t,
            &some(&s.offered),
            frame.rate_max,
            legend[0].1,
        );
        lines(
            &mut out,
            &frame,
            &s.t,
            &some(&s.accepted),
            frame.rate_max,
            legend[1].1,
        );
        lines(
            &mut out,
            &frame,
            &s.t,
            &s.drain,
            frame.rate_max,
            legend[2].1,
        );
        lines(
            &mut out,
            &frame,
            &s.t,
            &s.queue,
            frame.queue_max,
            legend[3].1,
        );
    }
    for (i, (name, style)) in legend.iter().enumerate() {
        let x = 330.0 + 150.0 * i as f64;
        let _ = writeln!(
            out,
            r#"<line x1="{x}" y1="16" x2="{}" y2="16" {style}/><text x="{}" y="20">{name}</text>"#,
            x + 24.0,
            x + 30.0
        );
    }
    out.push_str("</svg>\n");
    out
}

fn label(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v.fract() == 0.0 || v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series() -> Series {
        Series {
            t: vec![1.0, 2.0, 3.0],
            offered: vec![100.0, 1300.0, 0.0],
            accepted: vec![100.0, 1200.0, 0.0],
            queue: vec![Some(10.0), None, Some(400.0)],
            drain: vec![Some(90.0), None, Some(300.0)],
        }
    }

    #[test]
    fn axis_ceilings_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(1300.0), 2000.0);
        assert_eq!(nice_ceiling(400.0), 500.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
    }

    #[test]
    fn missing_values_split_a_line_instead_of_dropping_to_zero() {
        let svg = render_chart("spike", &series());
        // offered + accepted are whole lines; drain and queue are split in two.
        assert_eq!(svg.matches("<polyline").count(), 6);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn the_title_is_escaped_and_an_empty_run_says_so() {
        let svg = render_chart("a<b & c", &Series::default());
        assert!(svg.contains("a&lt;b &amp; c"));
        assert!(svg.contains("no samples"));
        assert!(!svg.contains("<polyline"));
    }
}
