//! A self-contained HTML page of a run, for `dcb-sim replay --html FILE`.
//!
//! One file, no external assets, no script: inline CSS and an inline SVG
//! swimlane chart on the virtual-time axis —
//! - one lane per client (setup is its own lane, at the top), a bar per
//!   attempt coloured by how it ended (written, conflict, error, rejected,
//!   no-op), a read marker (circle) at its start and an append marker
//!   (diamond) at its end, a dashed line with its length for every backoff,
//!   each command's span shaded behind its attempts;
//! - a "store log" lane marking when each position was written;
//! - tooltips (`<title>`) on every bar, backoff, command and position;
//! - the commands a violation blames outlined in red (see
//!   [`timeline_with`](crate::view::timeline_with) for how blame is assigned) and a
//!   banner listing the violations;
//! - below it the final event log and the commands as tables (blamed rows
//!   highlighted, bars link to their command's row), then the scenario.
//!
//! All text from the run is HTML-escaped.

use std::fmt::{Display, Write};
use std::time::Duration;

use crate::sim::history::History;
use crate::view::timeline::{AttemptEnd, Axis, Model, append_text, decision_text, human, lane_name, ms, read_text};
use crate::sim::violation::Violation;
use crate::handler::{AppendRecord, Outcome};

/// What the page says about the run besides its history (all optional).
#[derive(Debug, Clone, Copy, Default)]
pub struct Page<'a> {
    /// The workload's name, for the title.
    pub workload: Option<&'a str>,
    /// The scenario as JSON (shown folded; its `plant` goes in the title).
    pub scenario: Option<&'a serde_json::Value>,
    /// A command that replays the run.
    pub replay: Option<&'a str>,
}

/// Renders the page of a run: `scenario` is the run's scenario as JSON
/// (`serde_json::to_value(&scenario)`), `violations` what the checkers found.
pub fn render<C: Display>(history: &History<C>, scenario: &serde_json::Value, violations: &[Violation]) -> String {
    render_page(history, violations, &Page { scenario: Some(scenario), ..Page::default() })
}

/// Renders the page of a run with everything [`Page`] can add.
pub fn render_page<C: Display>(history: &History<C>, violations: &[Violation], page: &Page<'_>) -> String {
    let m = Model::new(history, violations);
    let plant = page.scenario.and_then(|s| s.get("plant")).and_then(|p| p.as_str());
    let mut title = String::from("dcb-sim run");
    if let Some(w) = page.workload {
        let _ = write!(title, " · {w}");
    }
    let _ = write!(title, " · seed {}", history.seed);
    if let Some(p) = plant {
        let _ = write!(title, " · plant {p}");
    }

    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(out, "<title>{}</title>", esc(&title));
    out.push_str("<style>\n");
    out.push_str(CSS);
    for (class, colour, _) in KINDS {
        let _ = writeln!(out, ".k-{class}{{fill:{colour}}} .sw-{class}{{background:{colour}}}");
    }
    out.push_str("</style>\n</head>\n<body>\n");
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title));
    meta(&mut out, &m, page);
    banner(&mut out, &m);
    out.push_str("<div class=\"chart\">\n");
    svg(&mut out, &m);
    out.push_str("</div>\n");
    legend(&mut out);
    out.push_str("<div class=\"tables\">\n");
    log_table(&mut out, &m);
    commands_table(&mut out, &m);
    faults_table(&mut out, &m);
    out.push_str("</div>\n");
    if let Some(s) = page.scenario {
        let json = serde_json::to_string_pretty(s).unwrap_or_default();
        let _ = writeln!(out, "<details><summary>scenario (JSON)</summary>\n<pre>{}</pre>\n</details>", esc(&json));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// (class, colour, legend) of each way an attempt ends.
const KINDS: [(&str, &str, &str); 6] = [
    ("written", "#2f9e44", "appended"),
    ("conflict", "#f08c00", "conflict (condition failed)"),
    ("error", "#9c36b5", "store error"),
    ("rejected", "#868e96", "business rejection"),
    ("noop", "#adb5bd", "no-op (idempotent)"),
    ("nodecision", "#dee2e6", "no decision (read failed)"),
];

const CSS: &str = r#"body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:16px;color:#212529;background:#fff}
h1{font-size:19px;margin:0 0 6px}
h2{font-size:15px;margin:0 0 6px}
.meta{color:#495057;font-size:13px;margin:0 0 10px}
.meta code{background:#f1f3f5;padding:1px 4px;border-radius:3px}
.banner{border:2px solid #e5001c;background:#fff0f0;padding:8px 12px;margin:0 0 12px;border-radius:6px}
.banner h2{color:#c20016}
.banner.ok{border-color:#2f9e44;background:#ebfbee}
.banner.ok h2{color:#2b8a3e;margin:0}
.banner ul{margin:0;padding-left:20px;font-size:13px;line-height:1.5}
.inv{font-weight:bold;color:#c20016}
.chart{overflow-x:auto;border:1px solid #dee2e6;border-radius:6px;background:#fff}
svg{display:block}
svg text{font-family:"DejaVu Sans Mono",monospace;font-size:11px;fill:#212529}
svg .lane-label{font-size:12px;font-weight:bold}
svg .bar-label{fill:#fff;font-size:10px;font-weight:bold}
svg .small{font-size:9px;fill:#495057}
svg .blamed-text{fill:#c20016;font-weight:bold}
svg .grid{stroke:#e9ecef;stroke-width:1}
svg .span{fill:#e7f5ff;stroke:#a5d8ff;stroke-width:1}
svg .span.blamed{fill:#ffe3e3;stroke:#e5001c;stroke-width:1.5;stroke-dasharray:4 2}
svg .bar{stroke:#343a40;stroke-width:0.5}
svg .bar.blamed{stroke:#e5001c;stroke-width:3}
svg .backoff{stroke:#495057;stroke-width:1.5;stroke-dasharray:3 3}
svg .read{fill:#fff;stroke:#212529;stroke-width:1.2}
svg .append{stroke:#212529;stroke-width:1}
svg .commit{stroke:#1971c2;stroke-width:2}
svg .commit.blamed{stroke:#e5001c;stroke-width:3}
svg .leader{stroke:#adb5bd;stroke-width:0.8;fill:none}
svg .fault polygon{fill:#c20016}
svg .fault-text{fill:#c20016}
svg .break{stroke:#868e96;stroke-width:1;stroke-dasharray:2 3}
svg .break-mark{font-size:14px;font-weight:bold;fill:#495057}
svg .outcome{font-size:12px;fill:#495057}
svg .outcome.ok{fill:#2b8a3e}
svg .outcome.bad{fill:#c20016}
.legend{font-size:12px;color:#495057;margin:6px 0 0}
.legend span.item{margin-right:14px;white-space:nowrap}
.sw{display:inline-block;width:14px;height:10px;border:1px solid #343a40;vertical-align:middle;margin-right:4px}
.sw.blamed{background:#fff;border:3px solid #e5001c;width:10px;height:6px}
.tables{display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start;margin-top:16px}
table{border-collapse:collapse;font-size:12px}
caption{text-align:left;font-weight:bold;font-size:14px;padding:0 0 4px}
th,td{border:1px solid #dee2e6;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f1f3f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.blamed td{background:#ffe3e3}
tr:target td{outline:2px solid #1971c2}
details{margin-top:16px;font-size:12px}
pre{background:#f8f9fa;padding:8px;border:1px solid #dee2e6;overflow-x:auto}
"#;

fn meta<C: Display>(out: &mut String, m: &Model<'_, C>, page: &Page<'_>) {
    let h = m.history;
    let _ = write!(
        out,
        "<p class=\"meta\">{} commands on {} clients + setup · {} events in the log · virtual time 0–{} ms",
        h.commands.len(),
        m.clients(),
        h.log.len(),
        ms(m.end)
    );
    if let Some(policy) = page.scenario.and_then(|s| s.get("policy")) {
        let _ = write!(out, " · policy <code>{}</code>", esc(&policy.to_string()));
    }
    if let Some(r) = page.replay {
        let _ = write!(out, "<br>replay: <code>{}</code>", esc(r));
    }
    out.push_str("</p>\n");
}

fn command_link<C: Display>(m: &Model<'_, C>, index: usize) -> String {
    match m.command(index) {
        Some(c) => format!(
            "<a href=\"#cmd-{index}\">#{index}</a> ({}, “{}”, {})",
            esc(&lane_name(c.client)),
            esc(&c.command.to_string()),
            esc(c.report.outcome.label())
        ),
        None => format!("#{index}"),
    }
}

fn banner<C: Display>(out: &mut String, m: &Model<'_, C>) {
    if m.violations.is_empty() {
        out.push_str("<div class=\"banner ok\"><h2>All invariants held</h2></div>\n");
        return;
    }
    let mut unique = Vec::new();
    for n in m.violations.iter().map(Violation::invariant) {
        if !unique.contains(&n) {
            unique.push(n);
        }
    }
    let _ = writeln!(
        out,
        "<div class=\"banner\" id=\"violations\"><h2>{} violation{} of {}</h2>\n<ul>",
        m.violations.len(),
        if m.violations.len() == 1 { "" } else { "s" },
        unique.iter().map(|n| format!("<span class=\"inv\">{}</span>", esc(n))).collect::<Vec<_>>().join(", ")
    );
    for (vi, v) in m.violations.iter().enumerate() {
        let detail = match v {
            Violation::Safety { command: Some(c), detail, .. } => format!("command #{c}: {detail}"),
            Violation::Safety { detail, .. } | Violation::Liveness { detail } | Violation::Harness { detail } => detail.clone(),
        };
        let _ = write!(out, "<li><span class=\"inv\">[{}]</span> {}", esc(v.invariant()), esc(&detail));
        let blamed: Vec<usize> = m.blamed_commands.iter().filter(|(_, vs)| vs.contains(&vi)).map(|(c, _)| *c).collect();
        if !blamed.is_empty() {
            let links: Vec<String> = blamed.iter().map(|&c| command_link(m, c)).collect();
            let _ = write!(out, " — blames {}", links.join(", "));
        }
        if let Some(p) = m.blamed_positions.iter().find(|(_, vs)| vs.contains(&vi)).map(|(p, _)| *p) {
            let _ = write!(out, " — <a href=\"#pos-{p}\">log position {p}</a>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul></div>\n");
}

const LABEL_W: f64 = 92.0;
const CHART_W: f64 = 1180.0;
const RIGHT_PAD: f64 = 24.0;
const AXIS_H: f64 = 30.0;
const LANE_H: f64 = 40.0;
const BAR_H: f64 = 16.0;
const LOG_H: f64 = 62.0;
/// Share of the chart's width setup gets when the axis is broken.
const SETUP_SHARE: f64 = 0.12;

fn f(x: f64) -> String {
    format!("{x:.1}")
}

fn svg<C: Display>(out: &mut String, m: &Model<'_, C>) {
    let axis = Axis::new(m, SETUP_SHARE);
    let x = |t: Duration| LABEL_W + axis.frac(t) * CHART_W;
    let width = LABEL_W + CHART_W + RIGHT_PAD;
    let lanes_h = LANE_H * m.lanes.len() as f64;
    let log_y0 = AXIS_H + lanes_h;
    let height = log_y0 + LOG_H;
    let _ = writeln!(
        out,
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"swimlane chart of the run on the virtual-time axis\">",
        w = f(width),
        h = f(height)
    );

    // lane backgrounds and labels (a blamed command's index under its lane's name)
    for (i, lane) in m.lanes.iter().enumerate() {
        let y0 = AXIS_H + LANE_H * i as f64;
        let fill = if i % 2 == 0 { "#f8f9fa" } else { "#ffffff" };
        let _ = writeln!(out, "<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"/>", f(y0), f(width), f(LANE_H));
        let blamed: Vec<String> = lane.commands.iter().filter(|c| m.blamed_commands.contains_key(&c.index)).map(|c| format!("#{}", c.index)).collect();
        if blamed.is_empty() {
            let _ = writeln!(out, "<text class=\"lane-label\" x=\"8\" y=\"{}\">{}</text>", f(y0 + LANE_H / 2.0 + 4.0), esc(&lane.name()));
        } else {
            let _ = writeln!(out, "<text class=\"lane-label\" x=\"8\" y=\"{}\">{}</text>", f(y0 + LANE_H / 2.0 - 2.0), esc(&lane.name()));
            let _ = writeln!(out, "<text class=\"small blamed-text\" x=\"8\" y=\"{}\">⚠ {}</text>", f(y0 + LANE_H / 2.0 + 11.0), blamed.join(" "));
        }
    }
    let _ = writeln!(out, "<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#edf2ff\"/>", f(log_y0), f(width), f(LOG_H));
    let _ = writeln!(out, "<text class=\"lane-label\" x=\"8\" y=\"{}\">store log</text>", f(log_y0 + 18.0));
    let _ = writeln!(out, "<text class=\"small\" x=\"8\" y=\"{}\">positions</text>", f(log_y0 + 31.0));

    // axis, grid, and the break after setup
    for t in axis.ticks(CHART_W, 64.0) {
        let xt = x(Duration::from_millis(t));
        let _ = writeln!(out, "<line class=\"grid\" x1=\"{xt:.1}\" y1=\"{}\" x2=\"{xt:.1}\" y2=\"{}\"/>", f(AXIS_H - 6.0), f(height));
        let label = if t == 0 { "0 ms".to_string() } else { t.to_string() };
        let _ = writeln!(out, "<text x=\"{xt:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>", f(AXIS_H - 10.0));
    }
    if axis.broken() {
        let xb = LABEL_W + axis.split * CHART_W;
        let _ = writeln!(
            out,
            "<g class=\"axis-break\"><title>axis broken: setup (0–{:.3} ms) is squeezed to the left of this line; the clients' part is to scale</title><line class=\"break\" x1=\"{xb:.1}\" y1=\"{}\" x2=\"{xb:.1}\" y2=\"{}\"/><text x=\"{xb:.1}\" y=\"{}\" text-anchor=\"middle\" class=\"break-mark\">≈</text></g>",
            axis.origin_ms,
            f(AXIS_H - 6.0),
            f(height),
            f(AXIS_H - 10.0)
        );
    }

    // commands
    for (i, lane) in m.lanes.iter().enumerate() {
        let y0 = AXIS_H + LANE_H * i as f64;
        let bar_y = y0 + LANE_H - BAR_H - 7.0;
        let mid = bar_y + BAR_H / 2.0;
        for c in &lane.commands {
            let blame = m.blame_names(c.index);
            let blamed = !blame.is_empty();
            let cls = if blamed { " blamed" } else { "" };
            let command = esc(&c.command.to_string());
            let blame_note = if blamed { esc(&format!("\nblamed by: {}", blame.join(", "))) } else { String::new() };
            let _ = writeln!(out, "<g class=\"command\" id=\"svg-cmd-{}\">", c.index);
            let (sx, ex) = (x(c.started_at), x(c.ended_at).max(x(c.started_at) + 2.0));
            let _ = writeln!(
                out,
                "<rect class=\"span{cls}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\"><title>#{} {command} · {} · {}–{} ms · {} attempt{} · {}{blame_note}</title></rect>",
                f(sx - 2.0),
                f(bar_y - 4.0),
                f(ex - sx + 4.0),
                f(BAR_H + 8.0),
                c.index,
                esc(&lane_name(c.client)),
                ms(c.started_at),
                ms(c.ended_at),
                c.report.attempts.len(),
                if c.report.attempts.len() == 1 { "" } else { "s" },
                esc(&c.report.outcome.to_string()),
            );
            let mut prev_end: Option<Duration> = None;
            for a in &c.report.attempts {
                if let Some(pe) = prev_end {
                    let (x1, x2) = (x(pe), x(a.started_at));
                    let _ = writeln!(
                        out,
                        "<g class=\"gap\"><title>#{} backoff {} before attempt {} ({}–{} ms)</title><line class=\"backoff\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                        c.index,
                        human(a.delay_before),
                        a.attempt,
                        ms(pe),
                        ms(a.started_at),
                        f(x1),
                        f(mid),
                        f(x2),
                        f(mid)
                    );
                    if x2 - x1 > 90.0 {
                        let _ = writeln!(out, "<text class=\"small\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">backoff {}</text>", f((x1 + x2) / 2.0), f(mid - 4.0), human(a.delay_before));
                    }
                    out.push_str("</g>\n");
                }
                let end = AttemptEnd::of(a);
                let (ax, aw) = (x(a.started_at), (x(a.ended_at) - x(a.started_at)).max(2.0));
                let _ = writeln!(
                    out,
                    "<a href=\"#cmd-{}\"><g class=\"attempt\"><title>#{} {command} · {} · attempt {} · {}–{} ms\n{} · decide {} · append {}{blame_note}</title>",
                    c.index,
                    c.index,
                    esc(&lane_name(c.client)),
                    a.attempt,
                    ms(a.started_at),
                    ms(a.ended_at),
                    esc(&read_text(a)),
                    esc(&decision_text(a, true)),
                    esc(&append_text(a)),
                );
                let _ = writeln!(
                    out,
                    "<rect class=\"bar k-{}{cls}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\"/>",
                    end.class(),
                    f(ax),
                    f(bar_y),
                    f(aw),
                    f(BAR_H)
                );
                let label = format!("#{}", c.index);
                if aw >= 7.0 * label.len() as f64 + 14.0 {
                    let _ = writeln!(out, "<text class=\"bar-label\" x=\"{}\" y=\"{}\">{label}</text>", f(ax + 8.0), f(mid + 3.5));
                }
                // read marker at the start, append marker at the end
                let _ = writeln!(out, "<circle class=\"read\" cx=\"{}\" cy=\"{}\" r=\"3\"/>", f(ax + 1.0), f(mid));
                if !matches!(a.append, AppendRecord::NotAttempted) {
                    let ex = ax + aw;
                    let _ = writeln!(
                        out,
                        "<polygon class=\"append k-{}\" points=\"{},{} {},{} {},{} {},{}\"/>",
                        end.class(),
                        f(ex),
                        f(mid - 5.0),
                        f(ex + 4.0),
                        f(mid),
                        f(ex),
                        f(mid + 5.0),
                        f(ex - 4.0),
                        f(mid)
                    );
                }
                out.push_str("</g></a>\n");
                prev_end = Some(a.ended_at);
            }
            // the outcome, above the end of the command
            let (glyph, gcls) = match &c.report.outcome {
                Outcome::Succeeded => ("✓", "outcome ok"),
                Outcome::Idempotent => ("=", "outcome"),
                Outcome::Rejected { .. } => ("✗", "outcome"),
                Outcome::Exhausted { .. } | Outcome::Failed { .. } => ("⚠", "outcome bad"),
            };
            let _ = writeln!(out, "<text class=\"{gcls}\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{glyph}</text>", f(ex), f(bar_y - 5.0));
            out.push_str("</g>\n");
        }
    }

    // the store log: when each position was written; labels placed greedily
    // on three rows, pushed right (with a leader line) when they would
    // overlap; setup's positions left of a broken axis share one label
    let mut row_free = [0.0f64; 3];
    let squeezed: Vec<u64> = if axis.broken() {
        m.history.log.iter().filter(|e| m.writers.get(&e.position).is_some_and(|w| w.at.as_secs_f64() * 1e3 <= axis.origin_ms)).map(|e| e.position).collect()
    } else {
        Vec::new()
    };
    if let (Some(first), Some(last)) = (squeezed.first(), squeezed.last()) {
        let x0 = x(m.writers[first].at);
        let label = if first == last { format!("@{first}") } else { format!("@{first}–@{last}") };
        let _ = writeln!(out, "<text class=\"small\" x=\"{}\" y=\"{}\">{label}</text>", f(x0 + 2.0), f(log_y0 + 26.0));
        row_free[1] = x0 + 2.0 + 6.0 * label.chars().count() as f64 + 4.0;
    }
    for e in &m.history.log {
        let Some(w) = m.writers.get(&e.position) else { continue };
        let xp = x(w.at);
        let label = format!("@{}", e.position);
        let blame = m.position_names(e.position);
        let cls = if blame.is_empty() { "" } else { " blamed" };
        let c = &m.history.commands[w.command];
        let note = if blame.is_empty() { String::new() } else { format!("\nviolates: {}", blame.join(", ")) };
        let ghost = if w.ghost { " (behind an error)" } else { "" };
        let _ = write!(
            out,
            "<a href=\"#pos-{p}\"><g><title>position {p}: {} written by #{} ({}) attempt {}{ghost} at {} ms{}</title><line class=\"commit{cls}\" x1=\"{xp:.1}\" y1=\"{}\" x2=\"{xp:.1}\" y2=\"{}\"/>",
            esc(&e.event.event_type),
            c.index,
            esc(&lane_name(c.client)),
            w.attempt,
            ms(w.at),
            esc(&note),
            f(log_y0 + 2.0),
            f(log_y0 + 12.0),
            p = e.position
        );
        if !squeezed.contains(&e.position) {
            let lw = 6.0 * label.len() as f64 + 4.0;
            let (row, lx) = row_free
                .iter()
                .enumerate()
                .map(|(r, &free)| (r, free.max(xp + 2.0)))
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
                .unwrap_or((0, xp + 2.0));
            row_free[row] = lx + lw;
            let ty = log_y0 + 14.0 + 12.0 * row as f64;
            if lx > xp + 3.0 || row > 0 {
                let _ = write!(out, "<polyline class=\"leader\" points=\"{xp:.1},{} {xp:.1},{} {lx:.1},{}\"/>", f(log_y0 + 12.0), f(ty - 4.0), f(ty - 4.0));
            }
            let _ = write!(out, "<text class=\"small{}\" x=\"{lx:.1}\" y=\"{}\">{label}</text>", if blame.is_empty() { "" } else { " blamed-text" }, f(ty));
        }
        out.push_str("</g></a>\n");
    }

    // injected faults, on the store's lane at the time they struck
    for fr in &m.history.faults {
        let xf = x(fr.at);
        let yb = log_y0 + LOG_H - 3.0;
        let applied = fr.applied.map_or_else(String::new, |(a, b)| if a == b { format!(", applied @{a}") } else { format!(", applied @{a}..{b}") });
        let _ = writeln!(
            out,
            "<g class=\"fault\"><title>fault #{} {:?} at {} ms{applied}</title><polygon points=\"{},{} {},{} {},{}\"/><text class=\"small fault-text\" x=\"{}\" y=\"{}\">f{}</text></g>",
            fr.id,
            fr.kind,
            ms(fr.at),
            f(xf - 4.0),
            f(yb),
            f(xf + 4.0),
            f(yb),
            f(xf),
            f(yb - 7.0),
            f(xf + 5.0),
            f(yb - 1.0),
            fr.id
        );
    }
    out.push_str("</svg>\n");
}

fn legend(out: &mut String) {
    out.push_str("<p class=\"legend\">");
    for (class, _, label) in KINDS {
        let _ = write!(out, "<span class=\"item\"><span class=\"sw sw-{class}\"></span>{}</span>", esc(label));
    }
    out.push_str("<span class=\"item\"><span class=\"sw blamed\"></span>blamed by a violation</span>");
    out.push_str("<span class=\"item\">○ read · ◆ append · - - backoff · ▲ injected fault · ✓ succeeded ✗ rejected = no-op ⚠ exhausted/failed · bars link to their command</span>");
    out.push_str("</p>\n");
}

fn log_table<C: Display>(out: &mut String, m: &Model<'_, C>) {
    out.push_str("<table class=\"log\">\n");
    let _ = writeln!(out, "<caption>Final event log ({} events)</caption>", m.history.log.len());
    out.push_str("<tr><th>pos</th><th>type</th><th>tags</th><th>data</th><th>written by</th><th>violates</th></tr>\n");
    for e in &m.history.log {
        let blame = m.position_names(e.position);
        let cls = if blame.is_empty() { "" } else { " class=\"blamed\"" };
        let tags: Vec<&str> = e.event.tags.iter().map(|t| t.as_str()).collect();
        let writer = m.writers.get(&e.position).map_or_else(
            || "—".to_string(),
            |w| {
                let c = &m.history.commands[w.command];
                let ghost = if w.ghost { ", behind an error" } else { "" };
                format!("<a href=\"#cmd-{i}\">#{i}</a> {} a{}{ghost}", esc(&lane_name(c.client)), w.attempt, i = c.index)
            },
        );
        let _ = writeln!(
            out,
            "<tr id=\"pos-{p}\"{cls}><td class=\"num\">{p}</td><td>{}</td><td>{}</td><td>{}</td><td>{writer}</td><td>{}</td></tr>",
            esc(&e.event.event_type),
            esc(&tags.join(", ")),
            esc(&e.event.data),
            esc(&blame.join(", ")),
            p = e.position
        );
    }
    out.push_str("</table>\n");
}

fn commands_table<C: Display>(out: &mut String, m: &Model<'_, C>) {
    out.push_str("<table class=\"commands\">\n");
    let _ = writeln!(out, "<caption>Commands ({})</caption>", m.history.commands.len());
    out.push_str("<tr><th>#</th><th>lane</th><th>command</th><th>start ms</th><th>end ms</th><th>attempts</th><th>outcome</th><th>blamed by</th></tr>\n");
    for c in &m.history.commands {
        let blame = m.blame_names(c.index);
        let cls = if blame.is_empty() { "" } else { " class=\"blamed\"" };
        let attempts: Vec<String> = c
            .report
            .attempts
            .iter()
            .map(|a| {
                let wait = if a.delay_before.is_zero() { String::new() } else { format!("after {}: ", human(a.delay_before)) };
                format!("{}. {wait}{}; {} → {}", a.attempt, read_text(a), decision_text(a, false), append_text(a))
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr id=\"cmd-{i}\"{cls}><td class=\"num\">{i}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&lane_name(c.client)),
            esc(&c.command.to_string()),
            ms(c.started_at),
            ms(c.ended_at),
            attempts.iter().map(|s| esc(s)).collect::<Vec<_>>().join("<br>"),
            esc(&c.report.outcome.to_string()),
            esc(&blame.join(", ")),
            i = c.index
        );
    }
    out.push_str("</table>\n");
}

fn faults_table<C: Display>(out: &mut String, m: &Model<'_, C>) {
    if m.history.faults.is_empty() {
        return;
    }
    out.push_str("<table class=\"faults\">\n");
    let _ = writeln!(out, "<caption>Faults injected ({})</caption>", m.history.faults.len());
    out.push_str("<tr><th>id</th><th>at ms</th><th>kind</th><th>applied</th></tr>\n");
    for fr in &m.history.faults {
        let applied = fr.applied.map_or_else(|| "—".to_string(), |(a, b)| if a == b { format!("@{a}") } else { format!("@{a}..{b}") });
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{applied}</td></tr>",
            fr.id,
            ms(fr.at),
            esc(&format!("{:?}", fr.kind))
        );
    }
    out.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc(r#"<a href="x">&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    }
}
