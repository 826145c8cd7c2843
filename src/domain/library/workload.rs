//! The library workload: book copies and readers under contention (the Go
//! dynamic-streams-eventstore-go example's six handlers).
//!
//! Each seed draws one of two shapes (swarm testing):
//!
//! - **hot set** (about 88 % of seeds): 2–5 copies and 2–4 readers; setup
//!   adds most copies and registers most readers (a quarter of the seeds
//!   leave one copy out, a quarter one reader) and lends some copies, so
//!   returns, "currently lent" removals and "outstanding loans"
//!   cancellations have something to hit; then the clients mix all six
//!   commands, lends and returns dominant.
//! - **heavy reader** (about 12 %): 11–14 copies, reader `r1` already holds
//!   6–9 of them after setup, and the clients mostly try to lend `r1` more
//!   copies at once, so the 10-book limit is reached and raced for.
//!
//! The checkers ([`LibraryWorkload::check`]) fold the final log with their
//! own small models, one file each: `library-copy-lent-once`,
//! `library-reader-limit`, `library-removed-not-lent`,
//! `library-cancelled-holds-none`, `library-returns-match`.

use std::time::Duration;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::check::{cancelled_holds_none, copy_lent_once, reader_limit, removed_not_lent, returns_match};
use crate::sim::{EngineStore, History, Latency, Scenario, Scheduled, ShellHandler, Violation, Workload};
use crate::plant::Plant;
use crate::store::StoreError;
use crate::domain::library::{LibraryCommand, LibraryDecider};
use crate::retry::RetryPolicy;

/// Knobs of the generated scenarios (the swarm draws within them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LibraryWorkload {
    /// Fewest clients.
    pub clients_min: u32,
    /// Most clients.
    pub clients_max: u32,
    /// Draw a fault plan per seed (see [`swarm_faults`](crate::sim::swarm_faults)).
    pub faults: bool,
}

impl Default for LibraryWorkload {
    /// 3 to 10 clients, no faults.
    fn default() -> Self {
        LibraryWorkload { clients_min: 3, clients_max: 10, faults: false }
    }
}

impl LibraryWorkload {
    /// A workload with exactly `n` clients.
    pub fn with_clients(n: u32) -> Self {
        LibraryWorkload { clients_min: n, clients_max: n, faults: false }
    }

    /// The same workload with injected faults.
    pub fn with_faults(self) -> Self {
        LibraryWorkload { faults: true, ..self }
    }
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn pick_id<'a>(rng: &mut ChaCha8Rng, ids: &'a [String]) -> &'a str {
    pick::<String>(rng, ids)
}

fn ids(prefix: &str, n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

fn add(book: &str) -> LibraryCommand {
    LibraryCommand::AddBookCopy { book: book.into(), title: format!("Title of {book}") }
}

fn register(reader: &str) -> LibraryCommand {
    LibraryCommand::RegisterReader { reader: reader.into(), name: format!("Reader {reader}") }
}

fn lend(book: &str, reader: &str) -> LibraryCommand {
    LibraryCommand::LendBookCopy { book: book.into(), reader: reader.into() }
}

fn give_back(book: &str, reader: &str) -> LibraryCommand {
    LibraryCommand::ReturnBookCopy { book: book.into(), reader: reader.into() }
}

/// Start time within the first 10 ms.
fn start(rng: &mut ChaCha8Rng) -> Duration {
    Duration::from_micros(rng.random_range(0..=10_000))
}

/// The hot set: few copies and readers, all six commands.
fn hot_set(rng: &mut ChaCha8Rng, clients: u32) -> (Vec<LibraryCommand>, Vec<Scheduled<LibraryCommand>>) {
    let books = ids("b", rng.random_range(2..=5));
    let readers = ids("r", rng.random_range(2..=4));
    let book_left_out = rng.random_bool(0.25).then(|| rng.random_range(0..books.len()));
    let reader_left_out = rng.random_bool(0.25).then(|| rng.random_range(0..readers.len()));
    let mut setup = Vec::new();
    let added: Vec<&String> = books.iter().enumerate().filter(|(i, _)| Some(*i) != book_left_out).map(|(_, b)| b).collect();
    let registered: Vec<&String> = readers.iter().enumerate().filter(|(i, _)| Some(*i) != reader_left_out).map(|(_, r)| r).collect();
    setup.extend(added.iter().map(|b| add(b)));
    setup.extend(registered.iter().map(|r| register(r)));
    // Some loans before the clients start: returns, "book is currently
    // lent" and "reader has outstanding book loans" need them.
    let mut loans: Vec<(String, String)> = Vec::new();
    for reader in &registered {
        if rng.random_bool(0.35) {
            let book = *pick(rng, &added);
            if !loans.iter().any(|(b, _)| b == book) {
                setup.push(lend(book, reader));
                loans.push((book.clone(), (*reader).clone()));
            }
        }
    }
    let mut commands = Vec::new();
    for client in 0..clients {
        let mut own_lend: Option<(String, String)> = None;
        for _ in 0..rng.random_range(1..=4) {
            let command = match rng.random_range(0..100) {
                0..45 => {
                    let (b, r) = (pick(rng, &books).clone(), pick(rng, &readers).clone());
                    own_lend = Some((b.clone(), r.clone()));
                    lend(&b, &r)
                }
                45..72 => {
                    // A third each: this client's own last lend, a setup
                    // loan, any pair (mostly "not lent to this reader").
                    let (b, r) = match rng.random_range(0..3) {
                        0 if own_lend.is_some() => own_lend.clone().expect("checked"),
                        1 if !loans.is_empty() => pick(rng, &loans).clone(),
                        _ => (pick(rng, &books).clone(), pick(rng, &readers).clone()),
                    };
                    give_back(&b, &r)
                }
                72..79 => LibraryCommand::RemoveBookCopy { book: pick(rng, &books).clone() },
                79..86 => add(pick_id(rng, &books)),
                86..93 => LibraryCommand::CancelReaderContract { reader: pick(rng, &readers).clone() },
                _ => register(pick_id(rng, &readers)),
            };
            commands.push(Scheduled { client, start: start(rng), command });
        }
    }
    (setup, commands)
}

/// The heavy reader: `r1` holds 6–9 of 11–14 copies and the clients race
/// to lend it more, so "reader has too many books" is reached.
fn heavy_reader(rng: &mut ChaCha8Rng, clients: u32) -> (Vec<LibraryCommand>, Vec<Scheduled<LibraryCommand>>) {
    let books = ids("b", rng.random_range(11..=14));
    let readers = ids("r", rng.random_range(2..=3));
    let heavy = &readers[0];
    let held = rng.random_range(6..=9usize);
    let mut setup: Vec<LibraryCommand> = books.iter().map(|b| add(b)).collect();
    setup.extend(readers.iter().map(|r| register(r)));
    setup.extend(books[..held].iter().map(|b| lend(b, heavy)));
    let mut commands = Vec::new();
    for client in 0..clients {
        for _ in 0..rng.random_range(1..=3) {
            let command = match rng.random_range(0..100) {
                0..60 => lend(pick_id(rng, &books[held..]), heavy),
                60..75 => lend(pick_id(rng, &books), pick_id(rng, &readers[1..])),
                75..90 => give_back(pick_id(rng, &books[..held]), heavy),
                90..95 => LibraryCommand::CancelReaderContract { reader: heavy.clone() },
                _ => LibraryCommand::RemoveBookCopy { book: pick(rng, &books).clone() },
            };
            commands.push(Scheduled { client, start: start(rng), command });
        }
    }
    (setup, commands)
}

/// The Go policy with a 20 ms cap: the delay before attempt 3 (20–26 ms
/// with the 30 % jitter) is clamped to the cap, so any command that needs
/// a third attempt exercises the cap.
fn go_capped() -> RetryPolicy {
    RetryPolicy::builder().max_delay(Duration::from_millis(20)).build().expect("a 20 ms cap is above the 10 ms base")
}

impl Workload for LibraryWorkload {
    type Command = LibraryCommand;
    type Store = EngineStore;
    type Handler = ShellHandler<LibraryDecider>;

    fn name(&self) -> &'static str {
        "library"
    }

    /// With 3 clients or more: conflicts on the first and second attempt, a
    /// boundary shared by 3 commands, an exhausted command and an
    /// idempotent repeat; with faults, [`SWARM_FAULT_PROBES`](crate::sim::SWARM_FAULT_PROBES).
    fn required_probes(&self) -> Vec<&'static str> {
        let mut required = Vec::new();
        if self.clients_min >= 3 {
            required.extend(["conflict on attempt 1", "conflict on attempt 2", "boundary shared by 3+ commands", "outcome exhausted", "outcome idempotent"]);
        }
        if self.faults {
            required.extend(crate::sim::SWARM_FAULT_PROBES);
        }
        required
    }

    fn follows_engine(&self) -> bool {
        true
    }

    fn store(&self, scenario: &Scenario<LibraryCommand>) -> Result<EngineStore, StoreError> {
        EngineStore::open(scenario.engine)
    }

    fn handler(&self, scenario: &Scenario<LibraryCommand>) -> ShellHandler<LibraryDecider> {
        ShellHandler::new(LibraryDecider, scenario.plant)
    }

    fn plants(&self) -> &[Plant] {
        &Plant::ALL
    }

    /// Swarm: the hot set (88 %) or the heavy reader (12 %), see the module
    /// docs; `clients_min..=clients_max` clients issuing their commands
    /// within the first 10 ms; the Go policy (5 attempts, 10 ms, jitter
    /// 0.3) 60 % of the time, the same capped at 20 ms 10 %, otherwise
    /// another preset (C#; full / equal / decorrelated jitter capped at
    /// 50 ms; no retry); store latency 1 ms up to 1.5–4 ms per half-call.
    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<LibraryCommand> {
        let heavy = rng.random_bool(0.12);
        let clients = rng.random_range(self.clients_min..=self.clients_max);
        let (setup, commands) = if heavy { heavy_reader(rng, clients) } else { hot_set(rng, clients) };
        let mut scenario = Scenario::new(setup, commands);
        scenario.policy = match rng.random_range(0..20) {
            0..12 => RetryPolicy::go_default(),
            12..14 => go_capped(),
            14 => RetryPolicy::csharp(),
            15..17 => RetryPolicy::preset("full-jitter").expect("preset exists"),
            17 => RetryPolicy::preset("equal-jitter").expect("preset exists"),
            18 => RetryPolicy::preset("decorrelated").expect("preset exists"),
            _ => RetryPolicy::preset("no-retry").expect("preset exists"),
        };
        let max = Duration::from_micros(rng.random_range(1_500..=4_000));
        scenario.latency = Latency { read_min: Duration::from_millis(1), read_max: max, append_min: Duration::from_millis(1), append_max: max };
        if self.faults {
            crate::sim::swarm_faults(rng, &mut scenario);
        }
        scenario
    }

    fn check(&self, scenario: &Scenario<LibraryCommand>, history: &History<LibraryCommand>, out: &mut Vec<Violation>) {
        crate::check::decider(&LibraryDecider, scenario, history, out);
        copy_lent_once::check(&history.log, out);
        reader_limit::check(&history.log, out);
        removed_not_lent::check(&history.log, out);
        cancelled_holds_none::check(&history.log, out);
        returns_match::check(&history.log, out);
    }
}
