//! The coverage section of the HTML reports, and the page of an
//! exploration (`dcb-sim explore --html FILE`): the same table as the text
//! summary — probe, hits, share of schedules, the first seed that fired it
//! with the line that replays it — required probes marked, and a required
//! probe that never fired flagged as missing.
//!
//! One file, no external assets, no script; all text HTML-escaped.

use std::fmt::Write as _;

use crate::explore::{Coverage, Probe, Summary};
use crate::view::html::esc;

/// The coverage section: a heading and the table. `schedules` is the
/// exploration's total (for the share column); `replay(probe)` is the
/// command that replays the probe's first seed (`None`: none printed; never
/// asked for a probe first fired by a mutated scenario, which its seed
/// alone does not replay).
pub fn coverage_section(coverage: &Coverage, schedules: u64, replay: &dyn Fn(&Probe) -> Option<String>) -> String {
    let mut out = String::new();
    out.push_str("<section class=\"coverage\">\n<h2>Coverage</h2>\n");
    let missing = coverage.missing();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|m| format!("<code>{}</code>", esc(m))).collect();
        let _ = writeln!(out, "<p class=\"vacuous\">vacuous: required probes never fired in {schedules} schedules: {}</p>", names.join(", "));
    }
    out.push_str("<table>\n<thead><tr><th>probe</th><th>hits</th><th>share of schedules</th><th>first seed</th><th>replay</th></tr></thead>\n<tbody>\n");
    for (name, p) in &coverage.probes {
        let share = if schedules == 0 { 0.0 } else { 100.0 * p.schedules as f64 / schedules as f64 };
        let class = match (p.required, p.schedules) {
            (true, 0) => " class=\"missing\"",
            (true, _) => " class=\"required\"",
            _ => "",
        };
        let flag = match (p.required, p.schedules) {
            (true, 0) => " <b>MISSING (required)</b>",
            (true, _) => " (required)",
            _ => "",
        };
        let first = match (p.first_seed, &p.first_schedule) {
            (Some(s), Some(order)) => format!("seed {s}, order {}", esc(order)),
            (Some(s), None) => format!("seed {s}"),
            (None, _) => "never".to_string(),
        };
        let first = if p.first_mutated { format!("{first} (mutated scenario)") } else { first };
        let line = p.first_seed.filter(|_| !p.first_mutated).and_then(|_| replay(p)).map_or_else(String::new, |l| format!("<code>{}</code>", esc(&l)));
        let _ = writeln!(
            out,
            "<tr{class}><td>{}{flag}</td><td class=\"n\">{}</td><td class=\"n\">{share:.1}%</td><td>{first}</td><td>{line}</td></tr>",
            esc(name),
            p.hits
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.missing td{background:#fdd}tr.required td:first-child{font-weight:600}\
p.vacuous{color:#a00;font-weight:600}code{font-size:12px}";

/// The page of an exploration: its counts and the coverage section
/// (`replay` as in [`coverage_section`]).
pub fn summary_page(summary: &Summary, replay: &dyn Fn(&Probe) -> Option<String>) -> String {
    let seeds = summary.exhaustive.map_or(summary.schedules - summary.races.map_or(0, |r| r.orders), |t| t.scenarios);
    let title = format!("dcb-sim explore · {} · seeds {}..{}", summary.workload, summary.start_seed, summary.start_seed + seeds);
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(out, "<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>", esc(&title));
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title));
    out.push_str("<table>\n<tbody>\n");
    for (k, v) in [
        ("schedules", summary.schedules),
        ("commands", summary.commands),
        ("attempts", summary.attempts),
        ("conflicts", summary.conflicts),
        ("schedules violating an invariant", summary.violations),
    ] {
        let _ = writeln!(out, "<tr><th>{k}</th><td class=\"n\">{v}</td></tr>");
    }
    out.push_str("</tbody>\n</table>\n");
    if !summary.violations_by_invariant.is_empty() {
        out.push_str("<h2>Violations</h2>\n<table>\n<tbody>\n");
        for (k, v) in &summary.violations_by_invariant {
            let _ = writeln!(out, "<tr><td>{}</td><td class=\"n\">{v}</td></tr>", esc(k));
        }
        out.push_str("</tbody>\n</table>\n");
        for f in &summary.failures {
            let first = f.violations.first().map_or_else(String::new, ToString::to_string);
            let _ = writeln!(out, "<p>seed {}: {}<br><code>{}</code></p>", f.seed, esc(&first), esc(&f.replay_command()));
        }
    }
    out.push_str(&coverage_section(&summary.coverage, summary.schedules, replay));
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_escaped_and_a_missing_required_probe_is_flagged() {
        let mut c = Coverage::default();
        let mut p = Probe::default();
        (p.hits, p.schedules, p.first_seed, p.first_schedule) = (3, 2, Some(5), Some("0.1".into()));
        c.probes.insert("<b>&".into(), p);
        c.require(["never"]);
        let html = coverage_section(&c, 4, &|p| Some(format!("replay --seed {} <x>", p.first_seed.unwrap_or(0))));
        assert!(html.contains("<td>&lt;b&gt;&amp;</td><td class=\"n\">3</td><td class=\"n\">50.0%</td><td>seed 5, order 0.1</td><td><code>replay --seed 5 &lt;x&gt;</code></td>"), "{html}");
        assert!(html.contains("<tr class=\"missing\"><td>never <b>MISSING (required)</b></td><td class=\"n\">0</td><td class=\"n\">0.0%</td><td>never</td><td></td></tr>"), "{html}");
        assert!(html.contains("vacuous: required probes never fired in 4 schedules: <code>never</code>"), "{html}");
    }
}
