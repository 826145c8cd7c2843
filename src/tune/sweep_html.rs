//! The page of a contention sweep, for `dcb-sim tune --clients-sweep …
//! --html FILE`: one self-contained HTML file (inline CSS, inline SVG, no
//! script, no external asset or link) with the charts of the AWS
//! "Exponential Backoff And Jitter" study, drawn with `plotters`' SVG
//! backend:
//!
//! - **work**: store writes per run (the study's "calls") against the
//!   number of clients, one line per policy;
//! - **time**: completion time of the last client against the number of
//!   clients, one line per policy (logarithmic time axis: no jitter is an
//!   order of magnitude above the rest);
//! - **latency CDF** at the chosen client count: the share of all commands
//!   that succeeded within a latency, one line per policy (logarithmic
//!   latency axis; a curve ends at the share that succeeded);
//!
//! then the sweep's table and a description of each policy. Each chart is a
//! `<figure>` with an id (`chart-writes`, `chart-time`, `chart-cdf`) and
//! its title inside the SVG; [`charts`] gives the same charts as standalone
//! SVG files.
//!
//! ```
//! use dcb_sim::domain::sequence::HotKeyWorkload;
//! use dcb_sim::tune::{parse_policies, sweep_html};
//! use dcb_sim::tune::sweep::sweep;
//! let policies = parse_policies("study-full,study-equal").unwrap();
//! let report = sweep(HotKeyWorkload::with_clients, &[2, 4], &policies, 0, 2, Some(4));
//! let page = sweep_html::render(&report).unwrap();
//! assert_eq!(page.matches("<svg").count(), 3);
//! assert!(page.contains("study-equal") && !page.contains("http"));
//! ```

use std::fmt::Write;

use plotters::coord::combinators::LogCoord;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::view::html::esc;
use crate::tune::sweep::SweepReport;
use crate::tune::describe;

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlotError {
    /// plotters failed to lay out or draw a chart.
    #[error("cannot draw the {chart} chart: {detail}")]
    Draw {
        /// Which chart.
        chart: &'static str,
        /// plotters' error.
        detail: String,
    },
}

/// Chart size in pixels, the legend's column included.
const SIZE: (u32, u32) = (900, 430);

/// Width of the legend's column, right of the plot.
const LEGEND_WIDTH: u32 = 180;

/// Line colours, one per policy (cycled): distinct in colour and lightness.
const COLOURS: [RGBColor; 8] = [
    RGBColor(0x1f, 0x3a, 0x93),
    RGBColor(0xd9, 0x48, 0x0f),
    RGBColor(0x2b, 0x8a, 0x3e),
    RGBColor(0xae, 0x3e, 0xc9),
    RGBColor(0x86, 0x8e, 0x96),
    RGBColor(0xe0, 0x31, 0x31),
    RGBColor(0x10, 0x98, 0xad),
    RGBColor(0xf0, 0x8c, 0x00),
];

/// One line of a chart.
struct Series {
    name: String,
    colour: RGBColor,
    points: Vec<(f64, f64)>,
    markers: bool,
}

/// What a chart shows.
struct Chart<'a> {
    name: &'static str,
    caption: &'a str,
    x_desc: &'a str,
    y_desc: &'a str,
    series: Vec<Series>,
    /// Tick label of a y value.
    y_label: fn(&f64) -> String,
}

/// A whole number with thousands separated by a thin space: `12 345`.
fn count(v: &f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{2009}');
        }
        out.push(ch);
    }
    if *v < -0.5 { format!("-{out}") } else { out }
}

/// A share as a percentage: `40 %`.
fn percent(v: &f64) -> String {
    format!("{:.0} %", v * 100.0)
}

/// The charts of `report` as standalone SVG documents, by name: `writes`,
/// `time`, and `cdf` when the report kept a latency distribution. Each
/// carries its title; `dcb-sim tune --svg-dir DIR` writes them as
/// `DIR/NAME.svg` (e.g. for a README).
///
/// # Errors
/// [`PlotError`] when plotters fails to draw a chart.
pub fn charts(report: &SweepReport) -> Result<Vec<(&'static str, String)>, PlotError> {
    let colour = |i: usize| COLOURS[i % COLOURS.len()];
    let by_policy = |f: &dyn Fn(&crate::tune::sweep::SweepPoint) -> f64| -> Vec<Series> {
        report
            .policies
            .iter()
            .enumerate()
            .map(|(i, (name, _))| Series {
                name: name.clone(),
                colour: colour(i),
                points: report.series(name).map(|p| (f64::from(p.clients), f(p))).collect(),
                markers: true,
            })
            .collect()
    };
    let mut out = Vec::new();
    let writes = Chart {
        name: "writes",
        caption: "Work: store writes per run (the study's calls)",
        x_desc: "clients",
        y_desc: "writes per run",
        series: by_policy(&|p| p.writes_per_run),
        y_label: count,
    };
    out.push((writes.name, draw(&writes, |c| linear_x(&report.clients, c), linear_y)?));
    let time = Chart {
        name: "time",
        caption: "Time until the last client is done (log scale)",
        x_desc: "clients",
        y_desc: "completion time, virtual ms",
        series: by_policy(&|p| p.completion_ms),
        y_label: count,
    };
    out.push((time.name, draw(&time, |c| linear_x(&report.clients, c), log_y)?));
    if let Some(cdf) = &report.cdf {
        let caption = format!("Latency of the commands that succeeded, {} clients", cdf.clients);
        let series = cdf
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| Series { name: s.policy.clone(), colour: colour(i), points: s.points(), markers: false })
            .collect();
        let chart = Chart {
            name: "cdf",
            caption: &caption,
            x_desc: "command latency, virtual ms (log scale)",
            y_desc: "share of all commands succeeded",
            series,
            y_label: percent,
        };
        out.push((chart.name, draw(&chart, log_x, |_| -> plotters::coord::types::RangedCoordf64 { (0.0..1.0).into() })?));
    }
    Ok(out)
}

/// Renders the page of `report`.
///
/// # Errors
/// [`PlotError`] when plotters fails to draw a chart.
pub fn render(report: &SweepReport) -> Result<String, PlotError> {
    let mut title = format!("dcb-sim tune · workload {} · {} clients", report.workload, span(&report.clients));
    let _ = write!(title, " · seeds {}..{}", report.start_seed, report.start_seed + report.seeds);
    let mut out = String::with_capacity(128 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(out, "<title>{}</title>", esc(&title));
    let _ = writeln!(out, "<style>\n{CSS}</style>\n</head>\n<body>");
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        out,
        "<p class=\"meta\">Every policy ran the same seeds at each client count; times are virtual. \
         Writes are the conditional appends the store saw (the study's \"calls\"); the time is when the last client was done \
         (succeeded or gave up), averaged over the runs. The latency CDF counts only the commands that succeeded, against all \
         commands, so a curve ends at the share that succeeded.</p>"
    );
    for (name, svg) in charts(report)? {
        // Inline SVG in HTML takes its namespace from the parser: drop the
        // attribute, so the page names no URL at all.
        let svg = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
        let _ = writeln!(out, "<figure id=\"chart-{name}\">\n{svg}</figure>");
    }
    out.push_str(
        "<p class=\"meta\">A policy that gives up (see exhausted % below) ends early and does little work: \
         read its time and writes together with its exhaustion.</p>\n",
    );
    table(&mut out, report);
    out.push_str("<h2>Policies</h2>\n<dl class=\"policies\">\n");
    for (name, policy) in &report.policies {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", esc(name), esc(&describe(policy)));
    }
    out.push_str("</dl>\n</body>\n</html>\n");
    Ok(out)
}

/// `a–b` of the client counts (or the one count).
fn span(clients: &[u32]) -> String {
    match (clients.first(), clients.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        (Some(a), _) => a.to_string(),
        _ => "no".to_string(),
    }
}

/// Every point's coordinate on one axis.
fn values<'c>(c: &'c Chart<'_>, axis: fn(&(f64, f64)) -> f64) -> impl Iterator<Item = f64> + 'c {
    c.series.iter().flat_map(|s| s.points.iter()).map(axis).filter(|v| v.is_finite())
}

/// The clients axis: the swept range (widened when it is one value).
fn linear_x(clients: &[u32], _: &Chart<'_>) -> plotters::coord::types::RangedCoordf64 {
    let lo = f64::from(clients.first().copied().unwrap_or(0));
    let hi = f64::from(clients.last().copied().unwrap_or(1));
    if hi > lo { (lo..hi).into() } else { (lo - 1.0..hi + 1.0).into() }
}

/// A linear value axis from 0 to 5 % above the largest value.
fn linear_y(c: &Chart<'_>) -> plotters::coord::types::RangedCoordf64 {
    let hi = values(c, |p| p.1).fold(0.0, f64::max);
    (0.0..if hi > 0.0 { hi * 1.05 } else { 1.0 }).into()
}

/// A logarithmic range over the positive values (points at or below 0
/// are drawn at the bottom).
fn log_range(mut v: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0_f64);
    for x in v.by_ref().filter(|x| *x > 0.0) {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if !lo.is_finite() {
        return 0.1..1.0;
    }
    let lo = lo / 1.25;
    let hi = if hi * 1.25 > lo * 10.0 { hi * 1.25 } else { lo * 10.0 };
    lo..hi
}

fn log_y(c: &Chart<'_>) -> LogCoord<f64> {
    log_range(values(c, |p| p.1)).log_scale().into()
}

fn log_x(c: &Chart<'_>) -> LogCoord<f64> {
    log_range(values(c, |p| p.0)).log_scale().into()
}

/// Draws `chart` on the axes `x` and `y` build, as a standalone SVG document.
fn draw<X, Y>(chart: &Chart<'_>, x: impl Fn(&Chart<'_>) -> X, y: impl Fn(&Chart<'_>) -> Y) -> Result<String, PlotError>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let fail = |e: &dyn std::fmt::Display| PlotError::Draw { chart: chart.name, detail: e.to_string() };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        // The legend stands beside the plot, never over a line.
        let (plot, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        let (x, y) = (x(chart), y(chart));
        let mut ctx = ChartBuilder::on(&plot)
            .caption(chart.caption, ("sans-serif", 17))
            .margin(12)
            .margin_right(28)
            .x_label_area_size(42)
            .y_label_area_size(70)
            .build_cartesian_2d(x, y)
            .map_err(|e| fail(&e))?;
        let (x_range, y_range) = (ctx.x_range(), ctx.y_range());
        ctx.configure_mesh()
            .x_desc(chart.x_desc)
            .y_desc(chart.y_desc)
            .light_line_style(RGBColor(0xf1, 0xf3, 0xf5))
            .x_label_formatter(&count)
            .y_label_formatter(&chart.y_label)
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(|e| fail(&e))?;
        let clamp = |(px, py): (f64, f64)| (px.clamp(x_range.start, x_range.end), py.clamp(y_range.start, y_range.end));
        for s in &chart.series {
            let colour = s.colour;
            let points: Vec<(f64, f64)> = s.points.iter().copied().map(clamp).collect();
            ctx.draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2))).map_err(|e| fail(&e))?;
            if s.markers {
                ctx.draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled()))).map_err(|e| fail(&e))?;
            }
        }
        for (i, s) in chart.series.iter().enumerate() {
            let y = 48 + 22 * i32::try_from(i).unwrap_or(i32::MAX / 32);
            legend.draw(&PathElement::new(vec![(4, y), (28, y)], s.colour.stroke_width(3))).map_err(|e| fail(&e))?;
            legend.draw(&Text::new(s.name.as_str(), (36, y - 8), ("sans-serif", 14))).map_err(|e| fail(&e))?;
        }
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

/// The sweep's table, grouped by client count.
fn table(out: &mut String, report: &SweepReport) {
    out.push_str("<h2>Figures</h2>\n<table>\n<thead><tr>");
    for h in ["clients", "policy", "time ms", "writes/run", "calls/run", "calls/success", "retries/cmd", "attempts p99", "attempts max", "exhausted %", "p50 ms", "p95 ms", "p99 ms", "violations"] {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (i, p) in report.points.iter().enumerate() {
        let s = &p.stats;
        let first = i == 0 || report.points[i - 1].clients != p.clients;
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td>{:.0}</td><td>{:.1}</td><td>{:.1}</td><td>{:.2}</td><td>{:.2}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td{}>{}</td></tr>",
            if first && i > 0 { " class=\"group\"" } else { "" },
            p.clients,
            esc(&s.name),
            p.completion_ms,
            p.writes_per_run,
            p.calls_per_run,
            p.calls_per_success,
            s.avg_retries,
            p.attempts_p99,
            p.attempts_max,
            s.exhaustion_rate * 100.0,
            s.latency_p50_ms,
            s.latency_p95_ms,
            s.latency_p99_ms,
            if s.violations > 0 { " class=\"bad\"" } else { "" },
            s.violations,
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

const CSS: &str = r#"body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:16px;color:#212529;background:#fff}
h1{font-size:19px;margin:0 0 6px}
h2{font-size:15px;margin:18px 0 6px}
.meta{color:#495057;font-size:13px;margin:0 0 10px;max-width:760px}
figure{margin:10px 0 18px}
table{border-collapse:collapse;font-size:12px}
th,td{border-bottom:1px solid #dee2e6;padding:2px 8px;text-align:right;white-space:nowrap}
th:nth-child(2),td:nth-child(2){text-align:left}
tr.group td{border-top:2px solid #868e96}
td.bad{color:#c20016;font-weight:bold}
dl.policies{font-size:13px}
dt{font-weight:bold;float:left;clear:left;width:170px}
dd{margin:0 0 2px 180px}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ranges_cover_positive_values_and_survive_none() {
        let r = log_range([0.0, 2.0, 50.0].into_iter());
        assert!(r.start < 2.0 && r.end > 50.0, "{r:?}");
        assert_eq!(log_range(std::iter::empty()), 0.1..1.0);
        let one = log_range([5.0].into_iter());
        assert!(one.start < 5.0 && one.end >= one.start * 10.0, "{one:?}");
    }

    #[test]
    fn tick_labels() {
        assert_eq!(count(&104_861.4), "104\u{2009}861");
        assert_eq!(count(&200.0), "200");
        assert_eq!(count(&1_000.0), "1\u{2009}000");
        assert_eq!(percent(&0.4), "40 %");
    }

    #[test]
    fn span_of_counts() {
        assert_eq!(span(&[1, 10, 200]), "1–200");
        assert_eq!(span(&[7]), "7");
    }
}
