//! A compact text timeline of a run, for `dcb-sim replay` and failure
//! reports: one lane per client (setup is its own lane) on the virtual-time
//! axis.
//!
//! [`timeline_with`] renders, in at most [`WIDTH`] columns:
//! 1. an **overview**: one row per lane, time scaled to the terminal, a bar
//!    per attempt (`[23-x`: command #23's attempt ended in a conflict),
//!    dots for backoff, `#` fill for the commands a violation blames; when
//!    setup (which runs alone, before the clients) would take more than a
//!    fifth of the width, it is squeezed left of a `≈` break so the clients'
//!    part gets the resolution (the HTML chart does the same);
//! 2. the **lanes**: per lane, every command with its outcome, one line per
//!    attempt (start → end, read position, decision, append result) and one
//!    per backoff;
//! 3. the **final log**, each event with the attempt that wrote it;
//! 4. the **violations**, each with the commands and positions it blames.
//!
//! A violation blames a command when it names it ([`Violation::Safety`]'s
//! `command`) or when its detail starts with `position N:` (the log
//! checkers' convention) and command's attempt wrote position `N` (an
//! ambiguous commit's write is attributed through the fault journal).
//!
//! Attempts record only their start and end, not when the read and the
//! append took effect inside them: a read happens near the start, the
//! append near the end, with simulated latency around each.

use std::collections::BTreeMap;
use std::fmt::{Display, Write};
use std::time::Duration;

use crate::sim::history::{CommandRecord, History};
use crate::sim::violation::Violation;
use crate::handler::{AppendRecord, AttemptRecord, DecisionRecord};
use crate::store::Position;

/// The widest line [`timeline_with`] writes for typical commands (the
/// overview and the fixed columns fit; a long command text or error detail
/// may run past it).
pub const WIDTH: usize = 120;

/// Renders `history` without violations: see [`timeline_with`].
pub fn timeline<C: Display>(history: &History<C>) -> String {
    timeline_with(history, &[])
}

/// Renders `history` (overview, lanes, final log) and then `violations`,
/// marking the commands and log positions they blame.
pub fn timeline_with<C: Display>(history: &History<C>, violations: &[Violation]) -> String {
    let model = Model::new(history, violations);
    let mut out = String::new();
    header(&mut out, &model);
    overview(&mut out, &model);
    lanes_section(&mut out, &model);
    log_section(&mut out, &model);
    faults_section(&mut out, &model);
    violations_section(&mut out, &model);
    out
}

// ---------------------------------------------------------------------------
// The model both renderers (text and HTML) draw from.

/// A lane: setup (`client: None`) or one client, its commands by start time.
pub(crate) struct Lane<'a, C> {
    pub client: Option<u32>,
    pub commands: Vec<&'a CommandRecord<C>>,
}

impl<C> Lane<'_, C> {
    pub fn name(&self) -> String {
        lane_name(self.client)
    }
}

pub(crate) fn lane_name(client: Option<u32>) -> String {
    client.map_or_else(|| "setup".to_string(), |n| format!("client {n}"))
}

/// The attempt that wrote a log position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Writer {
    /// Index into [`History::commands`] (= the command's index).
    pub command: usize,
    pub attempt: u32,
    /// Written behind an error (ambiguous commit, timeout after the write).
    pub ghost: bool,
    /// When the writing attempt ended.
    pub at: Duration,
}

/// Everything derived from a history and its violations.
pub(crate) struct Model<'a, C> {
    pub history: &'a History<C>,
    pub violations: &'a [Violation],
    pub lanes: Vec<Lane<'a, C>>,
    pub writers: BTreeMap<Position, Writer>,
    /// Command index → indices into `violations` that blame it.
    pub blamed_commands: BTreeMap<usize, Vec<usize>>,
    /// Log position → indices into `violations` that name it.
    pub blamed_positions: BTreeMap<Position, Vec<usize>>,
    /// The latest time anything happened.
    pub end: Duration,
}

impl<'a, C> Model<'a, C> {
    pub fn new(history: &'a History<C>, violations: &'a [Violation]) -> Self {
        let mut by_lane: BTreeMap<(bool, u32), Vec<&CommandRecord<C>>> = BTreeMap::new();
        for c in &history.commands {
            let key = c.client.map_or((false, 0), |n| (true, n));
            by_lane.entry(key).or_default().push(c);
        }
        let lanes = by_lane
            .into_iter()
            .map(|((has_client, n), mut commands)| {
                commands.sort_by_key(|c| (c.started_at, c.index));
                Lane { client: has_client.then_some(n), commands }
            })
            .collect();

        let mut writers = BTreeMap::new();
        for (i, c) in history.commands.iter().enumerate() {
            for a in &c.report.attempts {
                if let AppendRecord::Written { first, last } = a.append {
                    for p in first..=last {
                        writers.insert(p, Writer { command: i, attempt: a.attempt, ghost: false, at: a.ended_at });
                    }
                }
            }
        }
        for g in history.ghost_writes().into_iter().flatten() {
            let at = history.commands[g.command].report.attempts.iter().find(|a| a.attempt == g.attempt).map_or(Duration::ZERO, |a| a.ended_at);
            for p in g.first..=g.last {
                writers.entry(p).or_insert(Writer { command: g.command, attempt: g.attempt, ghost: true, at });
            }
        }

        let mut blamed_commands: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut blamed_positions: BTreeMap<Position, Vec<usize>> = BTreeMap::new();
        for (vi, v) in violations.iter().enumerate() {
            let mut blame = |c: usize| {
                let list = blamed_commands.entry(c).or_default();
                if !list.contains(&vi) {
                    list.push(vi);
                }
            };
            if let Violation::Safety { command: Some(c), .. } = v {
                blame(*c);
            }
            if let Some(p) = leading_position(v) {
                blamed_positions.entry(p).or_default().push(vi);
                if let Some(w) = writers.get(&p) {
                    blame(history.commands[w.command].index);
                }
            }
        }

        let end = history
            .commands
            .iter()
            .flat_map(|c| std::iter::once(c.ended_at).chain(c.report.attempts.iter().map(|a| a.ended_at)))
            .chain(history.faults.iter().map(|f| f.at))
            .max()
            .unwrap_or(Duration::ZERO);
        Model { history, violations, lanes, writers, blamed_commands, blamed_positions, end }
    }

    /// The invariant names blaming command `index`, deduplicated, in order.
    pub fn blame_names(&self, index: usize) -> Vec<&'a str> {
        names(self.violations, self.blamed_commands.get(&index))
    }

    /// The invariant names blaming log position `p`.
    pub fn position_names(&self, p: Position) -> Vec<&'a str> {
        names(self.violations, self.blamed_positions.get(&p))
    }

    /// The command record with index `index`.
    pub fn command(&self, index: usize) -> Option<&'a CommandRecord<C>> {
        self.history.commands.iter().find(|c| c.index == index)
    }

    /// Number of client lanes.
    pub fn clients(&self) -> usize {
        self.lanes.iter().filter(|l| l.client.is_some()).count()
    }
}

fn names<'a>(violations: &'a [Violation], list: Option<&Vec<usize>>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for &i in list.into_iter().flatten() {
        let n = violations[i].invariant();
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// The position a violation's detail starts with (`position N: …`).
pub(crate) fn leading_position(v: &Violation) -> Option<Position> {
    let detail = match v {
        Violation::Safety { detail, .. } | Violation::Liveness { detail } | Violation::Harness { detail } => detail,
    };
    let rest = detail.strip_prefix("position ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if rest[digits.len()..].starts_with(':') { digits.parse().ok() } else { None }
}

/// Milliseconds with microsecond precision: `65.918`.
pub(crate) fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

/// A duration as people write it: `50ms`, `1.5ms`, `2s`.
pub(crate) fn human(d: Duration) -> String {
    let us = d.as_micros();
    if us % 1_000_000 == 0 && us > 0 {
        format!("{}s", us / 1_000_000)
    } else if us % 1000 == 0 {
        format!("{}ms", us / 1000)
    } else {
        format!("{}ms", ms(d))
    }
}

/// "read 2, last @6", "read 0", "read failed".
pub(crate) fn read_text(a: &AttemptRecord) -> String {
    match (&a.decision, a.read_after) {
        (None, _) => "read failed".to_string(),
        (Some(_), Some(p)) => format!("read {}, last @{p}", a.read_events),
        (Some(_), None) => format!("read {}", a.read_events),
    }
}

/// "append 1", "no-op", "reject", "reject +1"; with `reason`, the reject's message.
pub(crate) fn decision_text(a: &AttemptRecord, reason: bool) -> String {
    match &a.decision {
        None => "no decision".to_string(),
        Some(DecisionRecord::Append { events }) => format!("append {events}"),
        Some(DecisionRecord::Idempotent) => "no-op".to_string(),
        Some(DecisionRecord::Reject { reason: r, events }) => {
            let plus = if *events > 0 { format!(" +{events}") } else { String::new() };
            if reason { format!("reject{plus} \"{r}\"") } else { format!("reject{plus}") }
        }
    }
}

/// "ok @7", "ok @7..8", "CONFLICT (event @7)", "ERROR transient: …", "—".
pub(crate) fn append_text(a: &AttemptRecord) -> String {
    match &a.append {
        AppendRecord::NotAttempted => "—".to_string(),
        AppendRecord::Written { first, last } if first == last => format!("ok @{first}"),
        AppendRecord::Written { first, last } => format!("ok @{first}..{last}"),
        AppendRecord::Conflict { conflicting: Some(conflicting) } => format!("CONFLICT (event @{conflicting})"),
        AppendRecord::Conflict { conflicting: None } => "CONFLICT (position unknown)".to_string(),
        AppendRecord::Error { error, detail } => format!("ERROR {}: {detail}", error.label()),
    }
}

/// How an attempt ended, for markers and colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttemptEnd {
    Written,
    Conflict,
    Error,
    Rejected,
    NoOp,
    NoDecision,
}

impl AttemptEnd {
    pub fn of(a: &AttemptRecord) -> Self {
        match (&a.append, &a.decision) {
            (AppendRecord::Conflict { .. }, _) => AttemptEnd::Conflict,
            (AppendRecord::Error { .. }, _) => AttemptEnd::Error,
            (_, Some(DecisionRecord::Reject { .. })) => AttemptEnd::Rejected,
            (AppendRecord::Written { .. }, _) => AttemptEnd::Written,
            (_, Some(DecisionRecord::Idempotent)) => AttemptEnd::NoOp,
            _ => AttemptEnd::NoDecision,
        }
    }

    /// The overview's end marker.
    pub fn glyph(self) -> char {
        match self {
            AttemptEnd::Written => '+',
            AttemptEnd::Conflict => 'x',
            AttemptEnd::Error => '!',
            AttemptEnd::Rejected => 'r',
            AttemptEnd::NoOp => '=',
            AttemptEnd::NoDecision => '?',
        }
    }

    /// CSS class / legend name.
    pub fn class(self) -> &'static str {
        match self {
            AttemptEnd::Written => "written",
            AttemptEnd::Conflict => "conflict",
            AttemptEnd::Error => "error",
            AttemptEnd::Rejected => "rejected",
            AttemptEnd::NoOp => "noop",
            AttemptEnd::NoDecision => "nodecision",
        }
    }
}

// ---------------------------------------------------------------------------
// Text sections.

fn header<C: Display>(out: &mut String, m: &Model<'_, C>) {
    let h = m.history;
    let _ = writeln!(
        out,
        "timeline · seed {} · {} commands on {} clients + setup · {} events in the log · virtual time 0–{} ms",
        h.seed,
        h.commands.len(),
        m.clients(),
        h.log.len(),
        ms(m.end)
    );
}

/// Axis step in whole milliseconds (1, 2, 5 × 10^k) so that ticks `span_ms`
/// apart over `width` units are at least `min_gap` units apart.
pub(crate) fn nice_step(span_ms: f64, width: f64, min_gap: f64) -> u64 {
    let span_ms = span_ms.max(1e-3);
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            let s = step * m;
            if s as f64 / span_ms * width >= min_gap {
                return s;
            }
        }
        if step > 1 << 50 {
            return step;
        }
        step *= 10;
    }
}

/// The virtual-time axis both charts share. Setup runs alone before the
/// clients start; when it would take more than a fifth of the width, the
/// axis is broken at `origin` (the first client's start): setup is squeezed
/// into the first `split` of the width, the clients get the rest, linearly.
pub(crate) struct Axis {
    /// Where the break is (ms); 0 without a break.
    pub origin_ms: f64,
    /// The end of the axis (ms).
    pub end_ms: f64,
    /// Fraction of the width before the break; 0 without a break.
    pub split: f64,
}

impl Axis {
    /// An axis for `m`; `setup_share` is the fraction of the width setup
    /// gets when the axis is broken.
    pub fn new<C>(m: &Model<'_, C>, setup_share: f64) -> Self {
        let end_ms = (m.end.as_secs_f64() * 1e3).max(1.0);
        let origin = m.lanes.iter().filter(|l| l.client.is_some()).flat_map(|l| l.commands.iter().map(|c| c.started_at)).min();
        let setup_end = m.lanes.iter().filter(|l| l.client.is_none()).flat_map(|l| l.commands.iter().map(|c| c.ended_at)).max();
        match (origin, setup_end) {
            (Some(o), Some(se)) if se <= o => {
                let origin_ms = o.as_secs_f64() * 1e3;
                if origin_ms / end_ms > setup_share + 0.08 && end_ms > origin_ms {
                    return Axis { origin_ms, end_ms, split: setup_share };
                }
            }
            _ => {}
        }
        Axis { origin_ms: 0.0, end_ms, split: 0.0 }
    }

    /// Whether setup is squeezed left of a break.
    pub fn broken(&self) -> bool {
        self.split > 0.0
    }

    /// Where `t` falls, from 0 (left) to 1 (right).
    pub fn frac(&self, t: Duration) -> f64 {
        let t = t.as_secs_f64() * 1e3;
        let f = if !self.broken() {
            t / self.end_ms
        } else if t <= self.origin_ms {
            t / self.origin_ms * self.split
        } else {
            self.split + (t - self.origin_ms) / (self.end_ms - self.origin_ms) * (1.0 - self.split)
        };
        f.clamp(0.0, 1.0)
    }

    /// Round tick values (ms) right of the break (or from 0), at least
    /// `min_gap` of `width` units apart.
    pub fn ticks(&self, width: f64, min_gap: f64) -> Vec<u64> {
        let span = self.end_ms - self.origin_ms;
        let step = nice_step(span, width * (1.0 - self.split), min_gap);
        let mut t = (self.origin_ms / step as f64).ceil() as u64 * step;
        if self.broken() && (t as f64 - self.origin_ms) / span * width * (1.0 - self.split) < min_gap * 0.6 {
            t += step;
        }
        let mut out = if self.broken() { vec![0] } else { Vec::new() };
        while t as f64 <= self.end_ms {
            out.push(t);
            t += step;
        }
        out
    }
}

fn overview<C: Display>(out: &mut String, m: &Model<'_, C>) {
    if m.lanes.is_empty() {
        return;
    }
    let label_w = m.lanes.iter().map(|l| l.name().len()).max().unwrap_or(5) + 2;
    let cols = WIDTH - label_w - 1;
    let setup_n = m.lanes.iter().filter(|l| l.client.is_none()).map(|l| l.commands.len()).sum::<usize>();
    let setup_cols = (4 * setup_n + 2).clamp(8, cols / 4);
    let axis = Axis::new(m, setup_cols as f64 / (cols - 1) as f64);
    let col = |t: Duration| ((axis.frac(t) * (cols - 1) as f64).round() as usize).min(cols - 1);

    let _ = writeln!(out);
    let scale = (axis.end_ms - axis.origin_ms) / ((cols - 1) as f64 * (1.0 - axis.split));
    if axis.broken() {
        let _ = writeln!(out, "overview (1 column = {scale:.2} ms; setup, 0–{:.3} ms, squeezed left of ≈)", axis.origin_ms);
    } else {
        let _ = writeln!(out, "overview (1 column = {scale:.2} ms)");
    }
    let _ = writeln!(out, "  [7-+ attempt of command #7, ends: + written  x conflict  ! error  r rejected  = no-op  ? no decision");
    let _ = writeln!(out, "  .... backoff   ### attempt of a command a violation blames");

    // axis
    let mut labels = vec![' '; cols];
    let mut ticks = vec![' '; cols];
    let mut free_from = 0;
    for t in axis.ticks((cols - 1) as f64, 10.0) {
        let c = col(Duration::from_millis(t));
        ticks[c] = '|';
        let text = if t == 0 { "0 ms".to_string() } else { t.to_string() };
        if c >= free_from && c + text.len() <= cols {
            for (i, ch) in text.chars().enumerate() {
                labels[c + i] = ch;
            }
            free_from = c + text.len() + 1;
        }
    }
    if axis.broken() {
        let b = ((axis.split * (cols - 1) as f64).round() as usize).min(cols - 1);
        ticks[b] = '≈';
    }
    let pad = " ".repeat(label_w);
    let _ = writeln!(out, "{pad}{}", labels.iter().collect::<String>().trim_end());
    let _ = writeln!(out, "{pad}{}", ticks.iter().collect::<String>().trim_end());

    for lane in &m.lanes {
        let mut row = vec![' '; cols];
        // A bar starts after the previous one's end marker (one column late
        // at worst), so back-to-back attempts keep their markers.
        let mut used: Option<usize> = None;
        for c in &lane.commands {
            let blamed = m.blamed_commands.contains_key(&c.index);
            let mut prev_end: Option<usize> = None;
            for a in &c.report.attempts {
                let s = col(a.started_at).max(used.map_or(0, |u| u + 1)).min(cols - 1);
                let e = col(a.ended_at).max(s);
                used = Some(e);
                if let Some(pe) = prev_end {
                    for cell in row.iter_mut().take(s).skip(pe + 1) {
                        if *cell == ' ' {
                            *cell = '.';
                        }
                    }
                }
                for cell in row.iter_mut().take(e + 1).skip(s) {
                    *cell = if blamed { '#' } else { '-' };
                }
                row[s] = '[';
                row[e] = AttemptEnd::of(a).glyph();
                let label = c.index.to_string();
                if e > s && e - s > label.len() {
                    for (i, ch) in label.chars().enumerate() {
                        row[s + 1 + i] = ch;
                    }
                }
                prev_end = Some(e);
            }
        }
        let _ = writeln!(out, "{:<label_w$}{}", lane.name(), row.iter().collect::<String>().trim_end());
    }
}

fn lanes_section<C: Display>(out: &mut String, m: &Model<'_, C>) {
    let _ = writeln!(out);
    let _ = writeln!(out, "lanes (virtual ms since the run started; ! = blamed by a violation)");
    for lane in &m.lanes {
        let title = format!("── {} ", lane.name());
        let _ = writeln!(out, "{title}{}", "─".repeat(WIDTH.saturating_sub(title.chars().count())));
        for c in &lane.commands {
            let blame = m.blame_names(c.index);
            let mark = if blame.is_empty() { ' ' } else { '!' };
            let tail = if blame.is_empty() { String::new() } else { format!("   <- [{}]", blame.join("] [")) };
            let _ = writeln!(out, " {mark} #{:<3} {}  ⇒ {}{tail}", c.index, c.command, c.report.outcome);
            let outcome_reason = match &c.report.outcome {
                crate::handler::Outcome::Rejected { reason } => Some(reason.as_str()),
                _ => None,
            };
            let mut prev: Option<&AttemptRecord> = None;
            for a in &c.report.attempts {
                if let Some(p) = prev {
                    let _ = writeln!(out, "     {:>10} → {:>10}      backoff {}", ms(p.ended_at), ms(a.started_at), human(a.delay_before));
                }
                let same_reason = matches!(&a.decision, Some(DecisionRecord::Reject { reason, .. }) if Some(reason.as_str()) == outcome_reason);
                let decision = decision_text(a, !same_reason);
                let _ = writeln!(
                    out,
                    "     {:>10} → {:>10}  a{:<2} {:<18} {:<12} → {}",
                    ms(a.started_at),
                    ms(a.ended_at),
                    a.attempt,
                    read_text(a),
                    decision,
                    append_text(a)
                );
                prev = Some(a);
            }
        }
    }
}

fn log_section<C: Display>(out: &mut String, m: &Model<'_, C>) {
    let h = m.history;
    let _ = writeln!(out);
    let _ = writeln!(out, "final log ({} events; #command/attempt that wrote each, * = behind an error)", h.log.len());
    for e in &h.log {
        let tags: Vec<_> = e.event.tags.iter().map(|t| t.as_str()).collect();
        let writer = m.writers.get(&e.position).map_or_else(
            || "(nobody)".to_string(),
            |w| format!("#{}/a{}{}", h.commands[w.command].index, w.attempt, if w.ghost { "*" } else { "" }),
        );
        let blame = m.position_names(e.position);
        let tail = if blame.is_empty() { String::new() } else { format!("   !! [{}]", blame.join("] [")) };
        let data = if e.event.data.is_empty() { String::new() } else { format!(" {}", e.event.data) };
        let _ = writeln!(out, "  {:>4}  {writer:<9} {} [{}]{data}{tail}", e.position, e.event.event_type, tags.join(", "));
    }
}

fn faults_section<C: Display>(out: &mut String, m: &Model<'_, C>) {
    let h = m.history;
    if h.faults.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "faults injected ({}):", h.faults.len());
    for f in &h.faults {
        let applied = f.applied.map_or_else(String::new, |(a, b)| if a == b { format!(", applied @{a}") } else { format!(", applied @{a}..{b}") });
        let _ = writeln!(out, "  {:>10}  fault #{} {:?}{applied}", ms(f.at), f.id, f.kind);
    }
}

fn violations_section<C: Display>(out: &mut String, m: &Model<'_, C>) {
    if m.violations.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "violations ({}):", m.violations.len());
    for (vi, v) in m.violations.iter().enumerate() {
        let _ = writeln!(out, "  - {v}");
        let mut blamed: Vec<usize> = m.blamed_commands.iter().filter(|(_, vs)| vs.contains(&vi)).map(|(c, _)| *c).collect();
        blamed.sort_unstable();
        for index in blamed {
            if let Some(c) = m.command(index) {
                let _ = writeln!(out, "      blames #{index} ({}, \"{}\") ⇒ {}", lane_name(c.client), c.command, c.report.outcome.label());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_position_reads_only_the_prefix() {
        let at = |d: &str| leading_position(&Violation::safety("x", None, d));
        assert_eq!(at("position 8: too many"), Some(8));
        assert_eq!(at("position 12:"), Some(12));
        assert_eq!(at("lent since position 3: no"), None);
        assert_eq!(at("position x: no"), None);
        assert_eq!(at("position 3 is odd"), None);
    }

    #[test]
    fn ticks_are_round_and_spaced() {
        assert_eq!(nice_step(143.0, 100.0, 10.0), 20);
        assert_eq!(nice_step(5.0, 100.0, 10.0), 1);
        assert_eq!(nice_step(10_000.0, 100.0, 10.0), 1000);
        assert_eq!(nice_step(80.0, 1000.0, 70.0), 10);
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_millis(50)), "50ms");
        assert_eq!(human(Duration::from_secs(2)), "2s");
        assert_eq!(human(Duration::from_micros(1500)), "1.500ms");
    }
}
