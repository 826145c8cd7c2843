//! Serializability by re-execution (`check::serializable`) on a handler
//! nobody here would write as a `Decider`: imperative account handlers with
//! their own retry loop that read **twice** per attempt (is the account
//! open? what is its balance?). Each case is forced by enumerating every
//! order of its store steps, not by hunting seeds:
//!
//! - a rejection decided on the first of two reads, with the account opened
//!   between them, is explained (the old decider re-run placed it after the
//!   last read and misjudged it);
//! - a retry that re-reads and then appends its first decision is caught by
//!   `serializability` alone — no domain invariant, and `dcb-soundness`
//!   cannot see it;
//! - data stamped from the command's RNG differs on a re-run after retries:
//!   caught with the default event equality, explained once the workload
//!   supplies [`Workload::same_event`];
//! - a read marked independent is replayed as the run saw it, and the same
//!   read left counted (a decision on a read the condition does not
//!   protect) is caught.

use std::fmt;

use dcb_sim::handler::{Ctx, Handler, Outcome};
use dcb_sim::rand::RngExt;
use dcb_sim::rand_chacha::ChaCha8Rng;
use dcb_sim::retry::{Classify, RetryPolicy, Sleeper};
use dcb_sim::sim::sched::exhaustive_with;
use dcb_sim::explore::{Check, ExploreOptions, explore, scenario_for};
use dcb_sim::sim::{ExhaustiveOptions, History, RunResult, Scenario, Scheduled, Violation, Workload};
use dcb_sim::store::{AppendCondition, Event, EventStore, MemoryStore, Query, QueryItem, ReadOptions, SequencedEvent, StoreError};
use serde::{Deserialize, Serialize};

/// What a customer asks of an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
enum Account {
    Open(String),
    Deposit(String, u32),
    Withdraw(String, u32),
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Open(a) => write!(f, "open {a}"),
            Account::Deposit(a, n) => write!(f, "deposit {n} to {a}"),
            Account::Withdraw(a, n) => write!(f, "withdraw {n} from {a}"),
        }
    }
}

/// Which handler code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// Two reads, a condition over both queries.
    Correct,
    /// A retry re-reads, then appends the first attempt's withdrawal.
    StaleDecision,
    /// A withdrawal's event carries a number drawn from the command's RNG.
    RandomStamp,
    /// A withdrawal's event carries the count of all events in the store,
    /// read with `read_independent` (declared not to feed the decision).
    IndependentCount,
    /// The same count read as a counted read (not in the condition).
    CountedCount,
    /// A rejection names the attempt it was decided on: a retried command
    /// is rejected with a reason no run alone gives, and writes nothing.
    AttemptInReason,
}

struct Bank {
    variant: Variant,
    /// Compare events without the data's RNG stamp ([`Workload::same_event`]).
    lenient: bool,
}

fn opened(a: &str) -> Query {
    Query::from_item(QueryItem::new().types(["Opened"]).tags([format!("account:{a}").as_str()])).expect("valid")
}

fn money(a: &str) -> Query {
    Query::from_item(QueryItem::new().types(["Deposited", "Withdrawn"]).tags([format!("account:{a}").as_str()])).expect("valid")
}

fn both(a: &str) -> Query {
    Query::from_items(vec![
        QueryItem::new().types(["Opened"]).tags([format!("account:{a}").as_str()]),
        QueryItem::new().types(["Deposited", "Withdrawn"]).tags([format!("account:{a}").as_str()]),
    ])
    .expect("valid")
}

fn event(ty: &str, a: &str, data: String) -> Event {
    Event::new(ty, [format!("account:{a}").as_str()], data).expect("valid")
}

fn balance(events: &[SequencedEvent]) -> i64 {
    events
        .iter()
        .map(|e| {
            let n: i64 = e.event.data.split(';').next().and_then(|n| n.parse().ok()).unwrap_or(0);
            if e.event.event_type == "Withdrawn" { -n } else { n }
        })
        .sum()
}

fn delay(policy: &RetryPolicy, attempt: u32) -> std::time::Duration {
    policy.base_delay * 2u32.pow(attempt - 2)
}

impl Handler<Account> for Bank {
    async fn handle<S: EventStore>(&self, mut ctx: Ctx<'_, S>, command: &Account) -> Outcome {
        let policy = ctx.policy().clone();
        let mut first_decision: Option<Event> = None;
        for attempt in 1..=policy.max_attempts {
            if attempt > 1 {
                ctx.clock().sleep(delay(&policy, attempt)).await;
            }
            let (a, query, events) = match command {
                Account::Open(a) => {
                    let seen = match ctx.store().read(&opened(a), ReadOptions::default()).await {
                        Ok(seen) => seen,
                        Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
                    };
                    if !seen.is_empty() {
                        return Outcome::Rejected { reason: "Account is already open".into() };
                    }
                    (a, opened(a), vec![(event("Opened", a, String::new()), seen.last().map(|e| e.position))])
                }
                Account::Deposit(a, n) | Account::Withdraw(a, n) => {
                    let open = match ctx.store().read(&opened(a), ReadOptions::default()).await {
                        Ok(seen) => seen,
                        Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
                    };
                    let moves = match ctx.store().read(&money(a), ReadOptions::default()).await {
                        Ok(seen) => seen,
                        Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
                    };
                    if open.is_empty() {
                        return Outcome::Rejected { reason: "Account is not open".into() };
                    }
                    let after = open.last().map(|e| e.position).max(moves.last().map(|e| e.position));
                    let ty = if matches!(command, Account::Deposit(..)) { "Deposited" } else { "Withdrawn" };
                    if let Some(stale) = first_decision.clone().filter(|_| self.variant == Variant::StaleDecision) {
                        // The bug: re-read (so `after` is fresh), then append the first decision.
                        (a, both(a), vec![(stale, after)])
                    } else {
                    let mut data = n.to_string();
                    if let Account::Withdraw(..) = command {
                        if balance(&moves) < i64::from(*n) {
                            let reason = if self.variant == Variant::AttemptInReason { format!("Insufficient funds on attempt {attempt}") } else { "Insufficient funds".into() };
                            return Outcome::Rejected { reason };
                        }
                        match self.variant {
                            Variant::RandomStamp => data.push_str(&format!(";stamp:{}", ctx.rng().random::<u32>())),
                            Variant::IndependentCount | Variant::CountedCount => {
                                let all = if self.variant == Variant::IndependentCount {
                                    ctx.read_independent(&Query::all(), ReadOptions::default()).await
                                } else {
                                    ctx.store().read(&Query::all(), ReadOptions::default()).await
                                };
                                match all {
                                    Ok(all) => data.push_str(&format!(";seen:{}", all.len())),
                                    Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
                                }
                            }
                            Variant::Correct | Variant::StaleDecision | Variant::AttemptInReason => {}
                        }
                    }
                    let decided = event(ty, a, data);
                    if self.variant == Variant::StaleDecision {
                        first_decision = Some(decided.clone());
                    }
                    (a, both(a), vec![(decided, after)])
                    }
                }
            };
            let _ = a;
            let (decided, after) = events.into_iter().next().expect("one event");
            match ctx.store().append(vec![decided], Some(AppendCondition::new(query, after))).await {
                Ok(_) => return Outcome::Succeeded,
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
            }
        }
        Outcome::Exhausted { attempts: policy.max_attempts }
    }
}

impl Workload for Bank {
    type Command = Account;
    type Store = MemoryStore;
    type Handler = Bank;
    fn name(&self) -> &'static str {
        "bank"
    }
    fn store(&self, _: &Scenario<Account>) -> Result<MemoryStore, StoreError> {
        Ok(MemoryStore::new())
    }
    fn handler(&self, _: &Scenario<Account>) -> Bank {
        Bank { variant: self.variant, lenient: self.lenient }
    }
    /// Two accounts, one opened and funded in the setup; 2–5 clients
    /// opening, depositing and withdrawing on them.
    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<Account> {
        let setup = vec![Account::Open("a".into()), Account::Deposit("a".into(), 100)];
        let clients = rng.random_range(2..=5u32);
        let commands = (0..clients)
            .map(|c| {
                let account = if rng.random_bool(0.7) { "a" } else { "b" }.to_string();
                let command = match rng.random_range(0..4) {
                    0 => Account::Open(account),
                    1 => Account::Deposit(account, rng.random_range(1..50)),
                    _ => Account::Withdraw(account, rng.random_range(20..80)),
                };
                Scheduled::at_ms(c, rng.random_range(0..3), command)
            })
            .collect();
        let mut scenario = Scenario::new(setup, commands);
        scenario.request_ids = false;
        scenario
    }
    /// No domain invariant: only the generic checkers judge.
    fn check(&self, _: &Scenario<Account>, _: &History<Account>, _: &mut Vec<Violation>) {}
    /// Lenient: the stamp is drawn per attempt, so compare everything before it.
    fn same_event(&self, in_run: &Event, alone: &Event) -> bool {
        if !self.lenient {
            return in_run == alone;
        }
        let strip = |e: &Event| (e.event_type.clone(), e.tags.clone(), e.data.split(";stamp:").next().unwrap_or("").to_string());
        strip(in_run) == strip(alone)
    }
}

fn bank(variant: Variant) -> Bank {
    Bank { variant, lenient: false }
}

/// Every order of `scenario`'s store steps, without the reduction (it
/// would keep one of two orders whose store results are the same, e.g. an
/// opening just before or just after the withdrawal's second read, which
/// sees only money events): (complete, each run's result).
fn every_order<W: Workload>(w: &W, scenario: &Scenario<Account>) -> (bool, Vec<RunResult<Account>>)
where
    W: Workload<Command = Account>,
{
    let mut runs = Vec::new();
    let options = ExhaustiveOptions { budget: 20_000, reduction: false, stop_at_first: false };
    let report = exhaustive_with(w, scenario, 0, options, |r| runs.push(r.clone())).expect("the scenario runs");
    (report.complete, runs)
}

fn invariants(r: &RunResult<Account>) -> Vec<&str> {
    let mut names: Vec<&str> = r.violations.iter().map(Violation::invariant).collect();
    names.dedup();
    names
}

fn race(setup: Vec<Account>, commands: Vec<Account>) -> Scenario<Account> {
    let mut s = Scenario::new(setup, commands.into_iter().enumerate().map(|(c, cmd)| Scheduled::at_ms(c as u32, 0, cmd)).collect());
    s.request_ids = false;
    s
}

fn open_a() -> Vec<Account> {
    vec![Account::Open("a".into()), Account::Deposit("a".into(), 100)]
}

#[test]
fn a_rejection_decided_on_the_first_of_two_reads_is_explained() {
    let scenario = race(vec![], vec![Account::Open("a".into()), Account::Withdraw("a".into(), 10)]);
    let (complete, runs) = every_order(&bank(Variant::Correct), &scenario);
    assert!(complete);
    for r in &runs {
        assert!(r.violations.is_empty(), "{:?}", r.violations);
    }
    // The case itself was reached: the withdrawal rejected as "not open"
    // while the account was opened between its two reads.
    let between = runs.iter().any(|r| {
        let w = &r.history.commands[1];
        let heads: Vec<u64> = w.calls.iter().filter_map(|c| match &c.op {
            dcb_sim::sim::CallOp::Read { head, .. } => Some(*head),
            _ => None,
        }).collect();
        matches!(w.outcome(), Outcome::Rejected { reason } if reason == "Account is not open") && heads.len() == 2 && heads[0] < heads[1]
    });
    assert!(between, "no order put the opening between the withdrawal's two reads");
}

#[test]
fn a_stale_decision_on_retry_is_caught_by_serializability_alone() {
    let scenario = race(open_a(), vec![Account::Withdraw("a".into(), 60), Account::Withdraw("a".into(), 60)]);
    let (complete, runs) = every_order(&bank(Variant::Correct), &scenario);
    assert!(complete && runs.iter().all(|r| r.violations.is_empty()), "the correct handler is explained in every order");
    let (_, runs) = every_order(&bank(Variant::StaleDecision), &scenario);
    let caught: Vec<_> = runs.iter().filter(|r| !r.violations.is_empty()).collect();
    assert!(!caught.is_empty(), "no order caught the stale decision");
    for r in &caught {
        assert_eq!(invariants(r), vec!["serializability"], "{:?}", r.violations);
        assert!(r.violations[0].to_string().contains("Insufficient funds"), "{}", r.violations[0]);
    }
}

/// A command that wrote nothing must be reproduced with its outcome too:
/// a rejection whose reason no run alone gives is caught, although every
/// run alone writes nothing as well.
#[test]
fn a_rejection_no_run_alone_gives_is_caught() {
    let scenario = race(open_a(), vec![Account::Withdraw("a".into(), 60), Account::Withdraw("a".into(), 60)]);
    let (complete, runs) = every_order(&bank(Variant::AttemptInReason), &scenario);
    assert!(complete);
    let retried = |r: &&RunResult<Account>| r.history.commands.iter().any(|c| matches!(c.outcome(), Outcome::Rejected { reason } if reason.ends_with("attempt 2")));
    let caught: Vec<_> = runs.iter().filter(retried).collect();
    assert!(!caught.is_empty(), "no order rejected a withdrawal on its second attempt");
    for r in &caught {
        assert_eq!(invariants(r), vec!["serializability"], "{:?}", r.violations);
        let text = r.violations[0].to_string();
        assert!(text.contains("Insufficient funds on attempt 2") && text.contains("writes nothing"), "{text}");
    }
    assert!(runs.iter().filter(|r| !retried(r)).all(|r| r.violations.is_empty()), "a rejection on the first attempt is reproduced");
}

#[test]
fn data_stamped_from_the_rng_needs_the_workloads_event_equality() {
    let scenario = race(open_a(), vec![Account::Withdraw("a".into(), 10), Account::Withdraw("a".into(), 10)]);
    let (_, runs) = every_order(&bank(Variant::RandomStamp), &scenario);
    let retried = |r: &&RunResult<Account>| r.history.commands.iter().any(|c| c.report.attempts.len() > 1);
    assert!(runs.iter().filter(retried).any(|r| invariants(r) == vec!["serializability"]), "a retried stamp differs on the re-run");
    assert!(runs.iter().filter(|r| !retried(r)).all(|r| r.violations.is_empty()), "without a retry the stamp is the same");
    let (complete, runs) = every_order(&Bank { variant: Variant::RandomStamp, lenient: true }, &scenario);
    assert!(complete);
    for r in &runs {
        assert!(r.violations.is_empty(), "{:?}", r.violations);
    }
}

#[test]
fn an_independent_read_is_replayed_as_the_run_saw_it() {
    let scenario = race(open_a(), vec![Account::Withdraw("a".into(), 10), Account::Deposit("b".into(), 5), Account::Open("b".into())]);
    let (complete, runs) = every_order(&bank(Variant::IndependentCount), &scenario);
    assert!(complete);
    for r in &runs {
        assert!(r.violations.is_empty(), "{:?}", r.violations);
    }
    let (_, runs) = every_order(&bank(Variant::CountedCount), &scenario);
    assert!(runs.iter().any(|r| invariants(r).contains(&"serializability")), "a decision on an unprotected counted read is caught");
}

/// The generic checks over generated scenarios: no false positive on the
/// correct handler, and the stale decision caught (random schedules and
/// races), with no domain invariant.
#[test]
fn generated_scenarios_hold_for_the_correct_handler_and_catch_the_stale_decision() {
    let summary = Check::new(&bank(Variant::Correct)).seeds(2_000).run();
    assert!(summary.conflicts > 0, "the generator produces conflicts");
    let failure = Check::new(&bank(Variant::StaleDecision)).seeds(2_000).shrink_budget(0).try_run().expect_err("caught");
    assert!(failure.contains("[serializability]") || failure.contains("serializability"), "{failure}");
}

/// What the re-execution ran: one run alone per write, and at least one per
/// non-writer (here the rejected withdrawal); no command was skipped.
#[test]
fn the_tally_counts_the_runs_alone() {
    let w = bank(Variant::Correct);
    let scenario = race(open_a(), vec![Account::Withdraw("a".into(), 10), Account::Withdraw("a".into(), 500)]);
    let r = dcb_sim::sim::run(&w, &scenario, 0);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert!(matches!(r.history.commands[3].outcome(), Outcome::Rejected { .. }), "{:?}", r.history.commands[3].outcome());
    let mut out = Vec::new();
    let tally = dcb_sim::check::serializable::check(&w, &scenario, &r.history, &mut out);
    assert!(out.is_empty(), "{out:?}");
    // the opening, the deposit and the first withdrawal wrote; the second was rejected
    assert!(tally.reruns >= 4, "{tally:?}");
    assert_eq!(tally.skipped, 0, "{tally:?}");
    assert_eq!(r.serializability, tally, "the run reports the same tally");
}

/// The summary adds up every run's tally: runs alone, and the commands
/// skipped (here: failed under injected faults without a write).
#[test]
fn the_summary_counts_runs_alone_and_skipped_commands() {
    let w = bank(Variant::Correct);
    let opts = ExploreOptions { seeds: 300, faults: true, ..ExploreOptions::default() };
    let summary = explore(&w, &opts);
    let (mut reruns, mut skipped) = (0, 0);
    for seed in 0..300 {
        let r = dcb_sim::sim::run(&w, &scenario_for(&w, &opts, seed), seed);
        reruns += u64::from(r.serializability.reruns);
        skipped += u64::from(r.serializability.skipped);
    }
    assert!(skipped > 0 && reruns > 0, "runs alone {reruns}, skipped {skipped}");
    assert_eq!((summary.runs_alone, summary.skipped_alone), (reruns, skipped));
    let line = format!("  runs alone     {reruns:>10}   serializability re-runs; {skipped} commands skipped (exhausted, failed or crashed without a write)\n");
    assert!(summary.to_string().contains(&line), "{summary}");
}
