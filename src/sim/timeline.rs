//! A compact text timeline of a run, for `dcb-sim replay`.

use std::fmt::Write;
use std::time::Duration;

use super::history::History;
use crate::handler::{AppendRecord, DecisionRecord};

fn ms(d: Duration) -> String {
    format!("{:>8.3}ms", d.as_secs_f64() * 1e3)
}

/// Renders `history`: every command in order of invocation with its
/// client, each attempt (read position, decision, append result, delay
/// before it) and the outcome; then the final log.
pub fn timeline<C: std::fmt::Display>(history: &History<C>) -> String {
    let mut out = String::new();
    let mut order: Vec<_> = history.commands.iter().collect();
    order.sort_by_key(|c| (c.started_at, c.index));
    for c in order {
        let who = c.client.map_or_else(|| "setup".to_string(), |n| format!("client {n}"));
        let _ = writeln!(out, "{} {who:>9}  #{:<3} {}", ms(c.started_at), c.index, c.command);
        for a in &c.report.attempts {
            let read = match a.read_after {
                Some(p) => format!("read {} events, last at {p}", a.read_events),
                None => format!("read {} events", a.read_events),
            };
            let decision = match &a.decision {
                None => "no decision".to_string(),
                Some(DecisionRecord::Append { events }) => format!("decide append {events}"),
                Some(DecisionRecord::Idempotent) => "decide no-op".to_string(),
                Some(DecisionRecord::Reject { reason, events }) => format!("decide reject \"{reason}\" (+{events} events)"),
            };
            let append = match &a.append {
                AppendRecord::NotAttempted => String::new(),
                AppendRecord::Written { first, last } if first == last => format!(" → written at {first}"),
                AppendRecord::Written { first, last } => format!(" → written at {first}..={last}"),
                AppendRecord::Conflict { conflicting } => format!(" → CONFLICT (event at {conflicting})"),
                AppendRecord::Error { error, detail } => format!(" → error {} ({detail})", error.label()),
            };
            let wait = if a.delay_before.is_zero() { String::new() } else { format!("after backoff {:?}, ", a.delay_before) };
            let _ = writeln!(out, "{}            attempt {}: {wait}{read}; {decision}{append}", ms(a.started_at), a.attempt);
        }
        let _ = writeln!(out, "{}            ⇒ {}", ms(c.ended_at), c.report.outcome);
    }
    let _ = writeln!(out, "final log ({} events):", history.log.len());
    for e in &history.log {
        let tags: Vec<_> = e.event.tags.iter().map(|t| t.as_str()).collect();
        let _ = writeln!(out, "  {:>4}  {} [{}] {}", e.position, e.event.event_type, tags.join(", "), e.event.data);
    }
    out
}
