//! The hot-key study: `N` clients each take one number from one DCB
//! sequence at once ([`HotKeyWorkload`]), the set-up of the AWS
//! Architecture Blog's "Exponential Backoff And Jitter" (2015).
//!
//! - the study's robust orderings hold at 100 clients over seeds 0..30
//!   (no jitter does the most work and takes the longest; equal jitter takes
//!   longer than full and decorrelated; decorrelated does more work than
//!   full), bounding the exponential term by the cap before the jitter
//!   (as the study does) is what keeps full and equal jitter fast, and the
//!   cap trades work for time;
//! - the workload's own invariant (`sequence`) holds on every schedule,
//!   with faults too, and catches a handler that appends without a
//!   condition and the planted stale decision;
//! - `dcb-sim tune --clients-sweep` end to end: its table, JSON and page,
//!   the page self-contained and rendered in headless Chromium (skipped
//!   locally without `chromium`, a failure under `CI`), and clear errors.
//!
//! `cargo test --release --test sim -- --nocapture hotkey::published` prints
//! dcb-sim's figures beside the study's.

use std::process::{Command, Output};

use dcb_sim::domain::sequence::{SequenceDecider, TakeNumber};
use dcb_sim::handler::{Ctx, Decider, Decision, Handler, Outcome};
use dcb_sim::plant::Plant;
use dcb_sim::retry::{Classify, RetryPolicy};
use dcb_sim::domain::sequence::HotKeyWorkload;
use dcb_sim::tune::sweep::{SweepReport, sweep};
use dcb_sim::sim::{EngineStore, History, Scenario, Violation, Workload, run};
use dcb_sim::explore::{ExploreOptions, SCENARIO_STREAM, explore};
use dcb_sim::tune::{parse_policies, sweep_html};
use dcb_sim::store::{EventStore, ReadOptions, StoreError};
use dcb_sim::rand_chacha::ChaCha8Rng;

use crate::support::{chromium, page};

/// The study's client count for the ordering test, and its seeds.
const N: u32 = 100;
const SEEDS: u64 = 30;

/// The study's simulator (`aws-samples/aws-arch-backoff-simulator`) re-run,
/// mean of 30 runs: (clients, [(time ms, calls); none, full, equal, decorrelated]).
const STUDY: [(u32, [(f64, f64); 4]); 3] = [
    (10, [(3_631.0, 52.0), (454.0, 38.0), (693.0, 43.0), (399.0, 37.0)]),
    (50, [(36_040.0, 619.0), (2_668.0, 332.0), (4_192.0, 347.0), (2_334.0, 374.0)]),
    (100, [(64_332.0, 1_865.0), (4_926.0, 795.0), (6_716.0, 811.0), (4_625.0, 999.0)]),
];

fn study_sweep(clients: &[u32], policies: &[(String, RetryPolicy)]) -> SweepReport {
    sweep(HotKeyWorkload::with_clients, clients, policies, 0, SEEDS, None)
}

/// (time ms, writes per run) of `policy` at `n`.
fn figures(report: &SweepReport, n: u32, policy: &str) -> (f64, f64) {
    let p = report.point(n, policy).unwrap_or_else(|| panic!("no point {policy} at {n}"));
    (p.completion_ms, p.writes_per_run)
}

#[test]
fn published_orderings_hold_at_100_clients() {
    let report = study_sweep(&[N], &parse_policies("study").unwrap());
    println!("{report}");
    println!("clients {N}, seeds 0..{SEEDS}: dcb-sim time ms / writes per run  vs  the study's simulator (30 runs)");
    let study = STUDY.iter().find(|(n, _)| *n == N).unwrap().1;
    for (name, (t, c)) in RetryPolicy::STUDY_PRESETS.iter().zip(study) {
        let (time, writes) = figures(&report, N, name);
        println!("  {name:<20} {time:>9.0} / {writes:>6.1}    {t:>9.0} / {c:>6.0}");
    }
    for p in &report.points {
        assert_eq!(p.stats.violations, 0, "{} violated invariants at seeds {:?}", p.stats.name, p.stats.violating_seeds);
        assert_eq!(p.stats.succeeded, u64::from(N) * SEEDS, "{}: every client takes its number (the attempt limit never ends one)", p.stats.name);
        assert!(p.writes_per_run > f64::from(N), "{}: {N} clients on one key must conflict", p.stats.name);
    }
    let (none, full, equal, decorrelated) =
        (figures(&report, N, "study-none"), figures(&report, N, "study-full"), figures(&report, N, "study-equal"), figures(&report, N, "study-decorrelated"));
    for (name, other) in [("full", full), ("equal", equal), ("decorrelated", decorrelated)] {
        assert!(none.1 > other.1, "no jitter must do the most work: {} writes vs {name} {}", none.1, other.1);
        assert!(none.0 > other.0, "no jitter must take the longest: {} ms vs {name} {}", none.0, other.0);
    }
    assert!(equal.0 > full.0, "equal jitter must take longer than full: {} ms vs {}", equal.0, full.0);
    assert!(equal.0 > decorrelated.0, "equal jitter must take longer than decorrelated: {} ms vs {}", equal.0, decorrelated.0);
    assert!(decorrelated.1 > full.1, "decorrelated must do more work than full: {} writes vs {}", decorrelated.1, full.1);
}

/// The cap of full jitter at 100 clients: a small one finishes sooner but
/// makes every client retry more (work), a large one saves little work and
/// leaves the last clients waiting (time). The README's cap table.
#[test]
fn the_cap_trades_work_for_time_at_100_clients() {
    let caps = [50, 500, 2_000, 10_000];
    let policies: Vec<(String, RetryPolicy)> = caps
        .iter()
        .map(|&ms| (format!("full, cap {ms} ms"), RetryPolicy { max_delay: Some(std::time::Duration::from_millis(ms)), ..RetryPolicy::study(dcb_sim::retry::Jitter::Full) }))
        .collect();
    let report = study_sweep(&[N], &policies);
    println!("{report}");
    let f: Vec<(f64, f64)> = policies.iter().map(|(name, _)| figures(&report, N, name)).collect();
    for (i, w) in f.windows(2).enumerate() {
        assert!(w[0].0 < w[1].0, "a larger cap must take longer: cap {} ms {} ms, cap {} ms {} ms", caps[i], w[0].0, caps[i + 1], w[1].0);
    }
    assert!(f[0].1 > f[1].1 && f[1].1 > f[2].1, "a smaller cap must do more work: {f:?}");
    assert!(f[0].1 > 1.5 * f[2].1, "a 50 ms cap for 100 clients is far too small: {f:?}");
}

#[test]
fn every_client_holds_one_number_on_every_schedule_with_and_without_faults() {
    for (w, seeds) in [(HotKeyWorkload::default(), 300), (HotKeyWorkload::default().with_faults(), 300)] {
        let summary = explore(&w, &ExploreOptions { seeds, ..ExploreOptions::default() });
        assert_eq!(summary.violations, 0, "faults {}: {:?}", w.faults, summary.failures.first().map(|f| f.to_string()));
        assert!(summary.conflicts > summary.commands, "faults {}: one key, every client conflicts: {summary:?}", w.faults);
        if !w.faults {
            assert_eq!(summary.outcomes.get("succeeded"), Some(&summary.commands), "{:?}", summary.outcomes);
        } else {
            assert!(summary.faults.values().sum::<u64>() > 0);
        }
    }
    let w = HotKeyWorkload::with_clients(25);
    let scenario = w.generate(&mut dcb_sim::rng::substream(7, SCENARIO_STREAM));
    let result = run(&w, &scenario, 7);
    let numbers: Vec<u64> = result.history.log.iter().map(|e| dcb_sim::domain::sequence::number(&e.event).unwrap()).collect();
    assert_eq!(numbers, (1..=25).collect::<Vec<u64>>());
}

/// A handler that reads the sequence and appends the next number **without
/// a condition**: two clients that read the same state both write.
struct Unconditional;

impl Handler<TakeNumber> for Unconditional {
    async fn handle<S: EventStore>(&self, ctx: Ctx<'_, S>, command: &TakeNumber) -> Outcome {
        let failed = |e: StoreError| Outcome::Failed { error: e.kind(), message: e.to_string() };
        let events = match ctx.store().read(&SequenceDecider.query(command), ReadOptions::default()).await {
            Ok(events) => events,
            Err(e) => return failed(e),
        };
        match SequenceDecider.decide(command, &events) {
            Decision::Append(events) => match ctx.store().append(events, None).await {
                Ok(_) => Outcome::Succeeded,
                Err(e) => failed(e),
            },
            Decision::Idempotent => Outcome::Idempotent,
            Decision::Reject { reason, .. } => Outcome::Rejected { reason },
        }
    }
}

/// The hot-key workload with the [`Unconditional`] handler.
struct UnconditionalHotKey(HotKeyWorkload);

impl Workload for UnconditionalHotKey {
    type Command = TakeNumber;
    type Store = EngineStore;
    type Handler = Unconditional;

    fn name(&self) -> &'static str {
        "hotkey-unconditional"
    }
    fn follows_engine(&self) -> bool {
        true
    }
    fn store(&self, scenario: &Scenario<TakeNumber>) -> Result<EngineStore, StoreError> {
        self.0.store(scenario)
    }
    fn handler(&self, _: &Scenario<TakeNumber>) -> Unconditional {
        Unconditional
    }
    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<TakeNumber> {
        self.0.generate(rng)
    }
    fn check(&self, scenario: &Scenario<TakeNumber>, history: &History<TakeNumber>, out: &mut Vec<Violation>) {
        self.0.check(scenario, history, out);
    }
}

fn sequence_violations(w: &HotKeyWorkload, scenario: &Scenario<TakeNumber>, history: &History<TakeNumber>) -> Vec<Violation> {
    let mut out = Vec::new();
    w.check(scenario, history, &mut out);
    out.retain(|v| v.invariant() == "sequence");
    out
}

#[test]
fn the_sequence_check_catches_an_append_without_condition() {
    let w = HotKeyWorkload::with_clients(10);
    let planted = UnconditionalHotKey(w);
    for seed in 0..5 {
        let scenario = w.generate(&mut dcb_sim::rng::substream(seed, SCENARIO_STREAM));
        let correct = run(&w, &scenario, seed);
        assert!(correct.violations.is_empty(), "seed {seed}: {:?}", correct.violations);
        assert!(sequence_violations(&w, &scenario, &correct.history).is_empty());

        let broken = dcb_sim::sim::run_unchecked(&planted, &scenario, seed).expect("the run itself works");
        let found = sequence_violations(&w, &scenario, &broken);
        assert!(
            found.iter().any(|v| v.to_string().contains("already taken")),
            "seed {seed}: 10 clients appending unconditionally must take a number twice; the sequence check found {found:?}"
        );
    }
}

#[test]
fn the_sequence_check_catches_the_planted_stale_decision() {
    let w = HotKeyWorkload::with_clients(10);
    let summary = explore(&w, &ExploreOptions { seeds: 20, plant: Some(Plant::StaleDecision), max_reports: 1, ..ExploreOptions::default() });
    let caught = summary.violations_by_invariant.get("sequence").copied().unwrap_or(0);
    assert!(caught >= 15, "a retry that reuses its first number repeats it: caught in {caught} of 20 seeds: {:?}", summary.violations_by_invariant);
}

#[test]
fn a_sweep_is_deterministic_and_survives_json() {
    let policies = parse_policies("study-full,default").unwrap();
    let a = sweep(HotKeyWorkload::with_clients, &[3, 12], &policies, 5, 4, Some(12));
    let b = sweep(HotKeyWorkload::with_clients, &[3, 12], &policies, 5, 4, Some(12));
    assert_eq!(a, b);
    assert_eq!(a.to_string(), b.to_string());
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(serde_json::from_str::<SweepReport>(&json).unwrap(), a);
    assert_ne!(sweep(HotKeyWorkload::with_clients, &[3, 12], &policies, 9, 4, Some(12)).points, a.points, "other seeds, other figures");
    assert_eq!(a.points.len(), 4);
    let cdf = a.cdf.as_ref().expect("kept at 12 clients");
    assert_eq!(cdf.clients, 12);
    for s in &cdf.series {
        let points = s.points();
        assert!(points.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1), "{}: a CDF rises", s.policy);
        let end = points.last().map_or(0.0, |p| p.1);
        assert!((end - s.succeeded as f64 / s.commands as f64).abs() < 1e-9, "{}: ends at the success share", s.policy);
    }
    for p in &a.points {
        assert!(p.attempts_p99 >= 1 && p.attempts_p99 <= p.attempts_max, "{p:?}");
        assert!(p.attempts_max <= p.stats.policy.max_attempts);
    }
    let default = a.point(12, "default").unwrap();
    assert_eq!(default.attempts_max, 5, "exhausted commands made all 5 attempts");
    assert!(default.stats.exhausted > 0, "5 attempts do not serve 12 clients on one key");
    assert!(cdf.series[1].succeeded < cdf.series[1].commands);
}

fn small_page() -> (SweepReport, String) {
    let report = sweep(HotKeyWorkload::with_clients, &[2, 5, 10], &parse_policies("study").unwrap(), 0, 3, Some(10));
    let page = sweep_html::render(&report).expect("the page draws");
    (report, page)
}

#[test]
fn the_sweep_page_is_self_contained() {
    let (report, page) = small_page();
    assert!(page.starts_with("<!DOCTYPE html>"));
    page::check_balanced(&page);
    for banned in ["http:", "https:", "src=", "href=", "<script", "<link", "<img", "<iframe", "url(", "@import"] {
        assert!(!page.contains(banned), "the page contains {banned:?}");
    }
    assert_eq!(page.matches("<svg").count(), 3, "three charts");
    for id in ["chart-writes", "chart-time", "chart-cdf"] {
        assert!(page.contains(&format!("<figure id=\"{id}\">")), "no {id}");
    }
    for (name, _) in &report.policies {
        // In each chart's legend, and in the table.
        assert_eq!(page.matches(&format!(">\n{name}\n</text>")).count() + page.matches(&format!(">{name}</text>")).count(), 3, "{name} in every legend");
        assert!(page.contains(&format!("<td>{name}</td>")));
    }
}

#[test]
fn the_sweep_page_renders_in_headless_chromium() {
    let Some(bin) = chromium::find_chromium() else {
        assert!(std::env::var_os("CI").is_none(), "chromium is not installed but CI is set: .ci/run installs Debian's chromium package");
        println!("SKIPPED: chromium not installed");
        return;
    };
    let (report, page) = small_page();
    let dir = std::env::temp_dir().join(format!("dcb-sim-sweep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sweep.html");
    std::fs::write(&file, &page).unwrap();
    let url = format!("file://{}", file.canonicalize().unwrap().display());

    let dom = chromium::chromium_run(&bin, &dir.join("profile-dom"), &["--dump-dom".to_string(), url.clone()]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert_eq!(dom.matches("<svg").count(), 3, "the dumped DOM lacks the charts:\n{dom}");
    for id in ["chart-writes", "chart-time", "chart-cdf"] {
        let figure = dom.split(&format!("<figure id=\"{id}\">")).nth(1).unwrap_or_else(|| panic!("no {id} in the DOM"));
        let figure = &figure[..figure.find("</figure>").expect("figure closed")];
        assert!(figure.contains("<svg") && figure.contains("</svg>"), "{id} has no chart");
        assert!(figure.matches("<polyline").count() >= report.policies.len(), "{id}: one line per policy");
        for (name, _) in &report.policies {
            assert!(figure.contains(name.as_str()), "{id}: no series {name}");
        }
    }

    let png = dir.join("sweep.png");
    chromium::chromium_run(&bin, &dir.join("profile-png"), &[format!("--screenshot={}", png.display()), "--window-size=1000,1500".into(), "--hide-scrollbars".into(), url]);
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", png.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 20_000, "suspiciously small screenshot: {} bytes", bytes.len());
    if std::env::var_os("DCB_KEEP_HTML").is_some() {
        println!("kept {} and {}", file.display(), png.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn dcb_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dcb-sim")).args(args).output().expect("the binary runs")
}

#[test]
fn tune_clients_sweep_prints_json_and_writes_the_page() {
    let dir = std::env::temp_dir().join(format!("dcb-sim-sweep-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("tune.html");
    let html_arg = html.to_str().unwrap();
    let svgs = dir.join("svg");
    std::fs::create_dir_all(&svgs).unwrap();
    let out = dcb_sim(&[
        "tune", "--workload", "hotkey", "--clients-sweep", "6,2", "--policies", "study", "--seeds", "2", "--json", "--html", html_arg, "--svg-dir", svgs.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["workload"], "hotkey");
    assert_eq!(v["clients"], serde_json::json!([2, 6]));
    assert_eq!(v["points"].as_array().unwrap().len(), 8);
    assert_eq!(v["cdf"]["clients"], 6, "the CDF defaults to the largest count");
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<svg").count(), 3);
    for name in ["writes", "time", "cdf"] {
        let svg = std::fs::read_to_string(svgs.join(format!("{name}.svg"))).unwrap_or_else(|e| panic!("{name}.svg: {e}"));
        assert!(svg.starts_with("<svg") && svg.contains("xmlns=\"http://www.w3.org/2000/svg\"") && svg.contains("study-full"), "{name}.svg");
    }

    let text = dcb_sim(&["tune", "--workload", "hotkey", "--clients-sweep", "2,6", "--policies", "study-full,csharp", "--seeds", "2", "--cdf-at", "2"]);
    assert_eq!(text.status.code(), Some(0));
    let text = String::from_utf8_lossy(&text.stdout);
    for needle in ["clients 2,6", "time ms", "writes/run", "calls/success", "attempts max", "exhausted %", "p99 ms", "study-full", "csharp", "cap 2s"] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }

    // Without a sweep, tune on the hot key prints the usual table.
    let plain = dcb_sim(&["tune", "--workload", "hotkey", "--clients", "8", "--policies", "study-equal", "--seeds", "2"]);
    assert_eq!(plain.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&plain.stdout).contains("workload hotkey · 8 clients"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tune_clients_sweep_rejects_bad_input_clearly() {
    let cases: [(&[&str], &str); 7] = [
        (&["--clients-sweep", "0,10"], "client count 0 is out of range"),
        (&["--clients-sweep", "5,x"], "`x` is not a client count"),
        (&["--clients-sweep", "5,10", "--cdf-at", "7"], "--cdf-at 7 is not one of the swept client counts (5, 10)"),
        (&["--html", "x.html"], "--clients-sweep"),
        (&["--svg-dir", "."], "--clients-sweep"),
        (&["--clients", "5", "--clients-sweep", "5"], "cannot be used with"),
        (&["--clients-sweep", "5", "--policies", "studdy"], "study-decorrelated"),
    ];
    for (args, message) in cases {
        let mut all = vec!["tune", "--workload", "hotkey", "--seeds", "1"];
        all.extend_from_slice(args);
        let out = dcb_sim(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: expected {message:?} in:\n{err}");
    }
}

#[test]
fn explore_runs_the_hot_key_and_catches_its_plant() {
    let ok = dcb_sim(&["explore", "--workload", "hotkey", "--seeds", "60"]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("all invariants held"));
    let bad = dcb_sim(&["explore", "--workload", "hotkey", "--clients", "6", "--seeds", "20", "--plant", "stale-decision", "--max-reports", "1"]);
    assert_eq!(bad.status.code(), Some(1), "{}", String::from_utf8_lossy(&bad.stdout));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("[sequence]"));
}
