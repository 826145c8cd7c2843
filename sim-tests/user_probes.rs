//! User probes: `ctx.sometimes(name, condition)` and `ctx.reachable(name)`
//! in a handler, recorded per command and counted in the coverage table
//! under the handler's own names; a required one that never held fails the
//! check, naming it.

use dcb_sim::explore::{Check, ExploreOptions, explore};
use dcb_sim::handler::{Ctx, Handler, Outcome};
use dcb_sim::rand_chacha::ChaCha8Rng;
use dcb_sim::retry::{Classify, RetryPolicy};
use dcb_sim::sim::{History, Scenario, Scheduled, UserProbe, Violation, Workload, collect_probes, run};
use dcb_sim::store::{AppendCondition, Event, EventStore, MemoryStore, Query, QueryItem, ReadOptions, StoreError};

/// Claims a username at most once, firing three probes of its own.
struct Claim;

impl Handler<String> for Claim {
    async fn handle<S: EventStore>(&self, ctx: Ctx<'_, S>, name: &String) -> Outcome {
        let tag = format!("username:{name}");
        let query = Query::from_item(QueryItem::new().types(["UsernameClaimed"]).tags([tag.as_str()])).unwrap();
        let seen = match ctx.store().read(&query, ReadOptions::default()).await {
            Ok(seen) => seen,
            Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
        };
        ctx.sometimes("the name was already taken", !seen.is_empty());
        ctx.sometimes("the name was claimed twice", seen.len() > 1);
        if !seen.is_empty() {
            return Outcome::Rejected { reason: "Username is taken.".into() };
        }
        let claimed = Event::new("UsernameClaimed", [tag.as_str()], "").unwrap();
        let condition = AppendCondition::new(query, seen.last().map(|e| e.position));
        match ctx.store().append(vec![claimed], Some(condition)).await {
            Ok(_) => {
                ctx.reachable("claimed");
                Outcome::Succeeded
            }
            Err(StoreError::ConditionFailed { .. }) => Outcome::Exhausted { attempts: 1 },
            Err(e) => Outcome::Failed { error: e.kind(), message: e.to_string() },
        }
    }
}

/// Three clients claim "ada", one after the other or at once.
struct Claims;

impl Workload for Claims {
    type Command = String;
    type Store = MemoryStore;
    type Handler = Claim;
    fn name(&self) -> &'static str {
        "claims"
    }
    fn store(&self, _: &Scenario<String>) -> Result<MemoryStore, StoreError> {
        Ok(MemoryStore::new())
    }
    fn handler(&self, _: &Scenario<String>) -> Claim {
        Claim
    }
    fn generate(&self, _: &mut ChaCha8Rng) -> Scenario<String> {
        Scenario::new(vec![], (0..3).map(|c| Scheduled::at_ms(c, u64::from(c) * 20, "ada".to_string())).collect())
    }
    fn policy(&self) -> Option<RetryPolicy> {
        RetryPolicy::builder().max_attempts(1).build().ok()
    }
    fn check(&self, _: &Scenario<String>, history: &History<String>, out: &mut Vec<Violation>) {
        if history.log.len() > 1 {
            out.push(Violation::safety("unique-username", None, "username claimed twice"));
        }
    }
}

#[test]
fn a_sometimes_probe_that_never_held_fails_the_check_naming_it() {
    let err = Check::new(&Claims).seeds(50).jobs(1).no_races().require(["the name was claimed twice"]).try_run().expect_err("never true: vacuous");
    assert!(err.contains("1 required probe never fired in 50 schedules: `the name was claimed twice`"), "{err}");
    // the probes that did fire are named too
    assert!(err.contains("the name was already taken") && err.contains("claimed"), "{err}");
}

#[test]
fn probes_that_held_show_their_hits_and_a_probe_that_never_held_is_listed_with_none() {
    let s = Check::new(&Claims).seeds(50).jobs(1).no_races().require(["the name was already taken", "claimed"]).run();
    // Commands 20 ms apart: the first claims, the two others find it taken, in every schedule.
    let taken = &s.coverage.probes["the name was already taken"];
    assert_eq!((taken.hits, taken.schedules, taken.first_seed), (100, 50, Some(0)), "{s}");
    let claimed = &s.coverage.probes["claimed"];
    assert_eq!((claimed.hits, claimed.schedules), (50, 50), "{s}");
    let never = &s.coverage.probes["the name was claimed twice"];
    assert_eq!((never.hits, never.schedules, never.first_seed), (0, 0, None), "evaluated, never true: listed");
    let table = s.to_string();
    let row = |name: &str| table.lines().find(|l| l.trim_start().starts_with(name)).unwrap_or_else(|| panic!("no row {name}\n{table}")).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(row("the name was already taken").ends_with("100 100.0% seed 0 (required)"), "{table}");
    assert!(row("the name was claimed twice").ends_with("0 0.0% never"), "{table}");
}

#[test]
fn probes_are_recorded_per_command_only_while_coverage_is_collected() {
    let scenario = Claims.generate(&mut dcb_sim::rng::seeded(0));
    let plain = run(&Claims, &scenario, 3).history;
    assert!(plain.commands.iter().all(|c| c.probes.is_empty()), "no check collects: nothing recorded");
    let collected = collect_probes(|| run(&Claims, &scenario, 3).history);
    let probe = |name: &str, evaluated, hits| UserProbe { name: name.into(), evaluated, hits };
    assert_eq!(
        collected.commands[0].probes,
        vec![probe("the name was already taken", 1, 0), probe("the name was claimed twice", 1, 0), probe("claimed", 1, 1)]
    );
    assert_eq!(collected.commands[1].probes, vec![probe("the name was already taken", 1, 1), probe("the name was claimed twice", 1, 0)]);
    // Recording does not change the run itself.
    assert_eq!(plain.log, collected.log);
    assert_eq!(collect_probes(|| run(&Claims, &scenario, 3).history), collected, "recorded deterministically");
}

#[test]
fn a_reachable_probe_reached_in_a_race_appears_in_the_table() {
    // All three at once: under random latency the claims race and only one
    // is applied; the others are rejected or exhausted.
    let at_once = AtOnce;
    let s = explore(&at_once, &ExploreOptions { seeds: 100, ..Default::default() });
    assert!(s.coverage.probes.get("claimed").is_some_and(|p| p.schedules == 100), "{s}");
    assert!(s.to_string().contains("claimed"), "{s}");
}

/// [`Claims`] with every command at time 0.
struct AtOnce;

impl Workload for AtOnce {
    type Command = String;
    type Store = MemoryStore;
    type Handler = Claim;
    fn name(&self) -> &'static str {
        "claims-at-once"
    }
    fn store(&self, s: &Scenario<String>) -> Result<MemoryStore, StoreError> {
        Claims.store(s)
    }
    fn handler(&self, _: &Scenario<String>) -> Claim {
        Claim
    }
    fn generate(&self, _: &mut ChaCha8Rng) -> Scenario<String> {
        Scenario::new(vec![], (0..3).map(|c| Scheduled::at_ms(c, 0, "ada".to_string())).collect())
    }
    fn policy(&self) -> Option<RetryPolicy> {
        Claims.policy()
    }
    fn check(&self, s: &Scenario<String>, history: &History<String>, out: &mut Vec<Violation>) {
        Claims.check(s, history, out);
    }
}

#[test]
fn the_html_coverage_section_shows_the_same_table() {
    let s = Check::new(&Claims).seeds(50).jobs(1).no_races().require(["claimed"]).run();
    let html = dcb_sim::view::coverage_html::coverage_section(&s.coverage, s.schedules, &|p| p.first_seed.map(|seed| format!("dcb-sim replay --workload claims --seed {seed}")));
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("coverage_html_claims", html);
    });
}
