//! [`Registry`]: the workloads a CLI binary offers under `--workload NAME`,
//! each built per invocation from the command line's [`Knobs`], and the
//! type erasure that lets one command line run workloads of any type.

use std::marker::PhantomData;

use rand_chacha::ChaCha8Rng;

use super::catch_time::{CatchTimeArgs, catch_time_cmd};
use super::explore::{ExploreArgs, explore_cmd};
use super::realtime::explore_realtime;
use super::replay::{ReplayArgs, run_replay};
use super::tune::{TuneArgs, run_sweep, run_tune};
use crate::plant::Plant;
use crate::sim::{History, Scenario, Scheduler, Violation, Workload};
use crate::domain::enrollment::EnrollmentWorkload;
use crate::domain::sequence::HotKeyWorkload;
use crate::domain::library::LibraryWorkload;
use crate::explore::replay_program;
use crate::store::StoreError;

/// The workload knobs of the command line, handed to a workload factory
/// ([`Registry::add`]): the factory decides what each means for its
/// workload (or ignores one it has no use for).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Knobs {
    /// `--clients N`: exactly this many clients per scenario (`None`: the
    /// workload's own range, drawn per seed). `tune --clients-sweep` calls
    /// the factory once per swept count, with that count here.
    pub clients: Option<u32>,
    /// `--faults`: inject storage faults, drawn per seed (the built-in
    /// workloads turn on their own fault swarm).
    pub faults: bool,
}

/// The workloads a CLI binary offers, in order; the first is the default
/// of `--workload`. Hand it to [`main`](super::main):
///
/// ```ignore
/// fn main() {
///     std::process::exit(dcb_sim::cli::main(dcb_sim::cli::Registry::new().add("claims", "username claims", |_| Claims)))
/// }
/// ```
///
/// Each name is a workload's name in every report, summary and printed
/// replay command of the CLI (it replaces [`Workload::name`] there), so
/// one workload type can be registered several times, e.g. once per
/// handler variant.
pub struct Registry {
    entries: Vec<Entry>,
    replay_program: Option<String>,
}

/// One registered workload.
struct Entry {
    name: &'static str,
    about: &'static str,
    workload: Box<dyn ErasedWorkload>,
}

impl Registry {
    /// No workloads yet; add yours with [`Registry::add`].
    pub fn new() -> Self {
        Registry { entries: Vec::new(), replay_program: None }
    }

    /// The `dcb-sim` binary's workloads: `enrollment` (the default),
    /// `library` and `hotkey`, with `--clients` and `--faults` as documented
    /// on them.
    pub fn builtin() -> Self {
        Registry::new()
            .add("enrollment", "Course enrollment (C# sample): capacity, double enrollment, tier limits", |k: &Knobs| {
                let mut w = k.clients.map_or_else(EnrollmentWorkload::default, EnrollmentWorkload::with_clients);
                w.faults = k.faults;
                w
            })
            .add("library", "The library (Go example): six handlers, loans, the 10-book limit", |k: &Knobs| {
                let mut w = k.clients.map_or_else(LibraryWorkload::default, LibraryWorkload::with_clients);
                w.faults = k.faults;
                w
            })
            .add("hotkey", "A hot key: N clients each take one number from one DCB sequence at once (the AWS backoff study)", |k: &Knobs| {
                let mut w = k.clients.map_or_else(HotKeyWorkload::default, HotKeyWorkload::with_clients);
                w.faults = k.faults;
                w
            })
    }

    /// Registers `factory` under `name` (the value of `--workload`), with a
    /// one-line description for `--help`. Every command that runs the
    /// workload calls `factory` once with the command line's [`Knobs`].
    ///
    /// The handler must be `Sync`: `explore --realtime` shares it between
    /// the client threads of a real-time run.
    ///
    /// # Panics
    /// When `name` is already registered, or is empty.
    #[must_use]
    pub fn add<W, F>(mut self, name: &'static str, about: &'static str, factory: F) -> Self
    where
        W: Workload + Sync + 'static,
        W::Handler: Sync,
        F: Fn(&Knobs) -> W + 'static,
    {
        assert!(!name.is_empty(), "a workload needs a name");
        assert!(self.get(name).is_none(), "workload {name:?} is registered twice");
        self.entries.push(Entry { name, about, workload: Box::new(Factory { name, factory, workload: PhantomData }) });
        self
    }

    /// Overrides how the replay commands this CLI prints start (see
    /// [`set_replay_program`](crate::explore::set_replay_program)); by default
    /// [`main`](super::main) uses the path its binary was invoked with.
    #[must_use]
    pub fn replay_program(mut self, program: impl Into<String>) -> Self {
        self.replay_program = Some(program.into());
        self
    }

    /// The registered names, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.iter().map(|e| e.name)
    }

    /// `(name, description)` of every workload, in order.
    pub(super) fn described(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.entries.iter().map(|e| (e.name, e.about))
    }

    /// The program replay commands start with, if one was set.
    pub(super) fn program(&self) -> Option<&str> {
        self.replay_program.as_deref()
    }

    fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The workload `name` (`None`: the first), or a usage error, printed,
    /// as exit code 2.
    pub(super) fn resolve(&self, name: Option<&str>) -> Result<&dyn ErasedWorkload, i32> {
        let found = match name {
            Some(name) => self.get(name),
            None => self.entries.first(),
        };
        match found {
            Some(e) => Ok(e.workload.as_ref()),
            None if self.entries.is_empty() => {
                eprintln!("error: this binary registers no workloads");
                Err(2)
            }
            None => {
                let names: Vec<_> = self.names().collect();
                eprintln!("error: unknown workload {:?}; choose one of: {}", name.unwrap_or_default(), names.join(", "));
                Err(2)
            }
        }
    }
}

impl Default for Registry {
    /// An empty registry, as [`Registry::new`].
    fn default() -> Self {
        Registry::new()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("workloads", &self.names().collect::<Vec<_>>()).field("replay_program", &self.replay_program).finish()
    }
}

/// The subcommands that run a workload, object-safe: one implementation
/// ([`Factory`]) per registered workload type calls the generic ones.
pub(super) trait ErasedWorkload {
    /// `explore`.
    fn explore(&self, knobs: &Knobs, args: &ExploreArgs) -> i32;
    /// `replay`.
    fn replay(&self, knobs: &Knobs, args: &ReplayArgs) -> i32;
    /// `check-determinism`.
    fn check_determinism(&self, knobs: &Knobs, scheduler: &Scheduler, start_seed: u64, seeds: u64) -> i32;
    /// `tune`.
    fn tune(&self, knobs: &Knobs, args: &TuneArgs) -> i32;
    /// `catch-time`.
    fn catch_time(&self, knobs: &Knobs, args: &CatchTimeArgs) -> i32;
    /// `bench --workload`: runs the seeds `seeds` on one thread (the
    /// caller times it).
    ///
    /// # Errors
    /// As [`registered_run`](super::bench::registered_run).
    fn bench(&self, knobs: &Knobs, seeds: std::ops::Range<u64>) -> Result<(), String>;
}

/// A registered factory of `W`s.
struct Factory<W, F> {
    name: &'static str,
    factory: F,
    workload: PhantomData<fn() -> W>,
}

impl<W: Workload + Sync + 'static, F: Fn(&Knobs) -> W> Factory<W, F> {
    fn build(&self, knobs: &Knobs) -> Named<W> {
        Named { name: self.name, inner: (self.factory)(knobs) }
    }
}

impl<W: Workload + Sync + 'static, F: Fn(&Knobs) -> W> ErasedWorkload for Factory<W, F>
where
    W::Handler: Sync,
{
    fn explore(&self, knobs: &Knobs, args: &ExploreArgs) -> i32 {
        if args.realtime.realtime {
            return explore_realtime(&self.build(knobs), args);
        }
        explore_cmd(&self.build(knobs), args)
    }

    fn replay(&self, knobs: &Knobs, args: &ReplayArgs) -> i32 {
        run_replay(&self.build(knobs), args)
    }

    fn check_determinism(&self, knobs: &Knobs, scheduler: &Scheduler, start_seed: u64, seeds: u64) -> i32 {
        let w = self.build(knobs);
        let opts = crate::explore::ExploreOptions { start_seed, seeds, scheduler: scheduler.clone(), ..crate::explore::ExploreOptions::default() };
        match crate::explore::check_determinism_with(&w, &opts).map(|d| d.seeds) {
            Ok(n) => {
                println!("dcb-sim check-determinism · workload {} · scheduler {scheduler} · {n} seeds from {start_seed}: every seed ran twice gave identical histories", w.name());
                0
            }
            Err(d) => {
                println!("{d}");
                println!("replay: {} replay --workload {} --seed {}", replay_program(), w.name(), d.seed);
                5
            }
        }
    }

    fn tune(&self, knobs: &Knobs, args: &TuneArgs) -> i32 {
        if args.clients_sweep().is_some() {
            return run_sweep(|n| self.build(&Knobs { clients: Some(n), ..knobs.clone() }), args);
        }
        run_tune(&self.build(knobs), args)
    }

    fn catch_time(&self, knobs: &Knobs, args: &CatchTimeArgs) -> i32 {
        catch_time_cmd(&self.build(knobs), self.name, args)
    }

    fn bench(&self, knobs: &Knobs, seeds: std::ops::Range<u64>) -> Result<(), String> {
        super::bench::registered_run(&self.build(knobs), seeds)
    }
}

/// A workload under its registered name: reports, summaries and replay
/// commands name the registry entry, which `--workload` resolves again.
struct Named<W> {
    name: &'static str,
    inner: W,
}

impl<W: Workload> Workload for Named<W> {
    type Command = W::Command;
    type Store = W::Store;
    type Handler = W::Handler;

    fn name(&self) -> &'static str {
        self.name
    }

    fn store(&self, scenario: &Scenario<Self::Command>) -> Result<Self::Store, StoreError> {
        self.inner.store(scenario)
    }

    fn handler(&self, scenario: &Scenario<Self::Command>) -> Self::Handler {
        self.inner.handler(scenario)
    }

    fn plants(&self) -> &[Plant] {
        self.inner.plants()
    }

    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<Self::Command> {
        self.inner.generate(rng)
    }

    fn follows_engine(&self) -> bool {
        self.inner.follows_engine()
    }
    fn same_event(&self, in_run: &crate::store::Event, alone: &crate::store::Event) -> bool {
        self.inner.same_event(in_run, alone)
    }
    fn policy(&self) -> Option<crate::retry::RetryPolicy> {
        self.inner.policy()
    }
    fn probes(&self, scenario: &Scenario<Self::Command>, history: &History<Self::Command>, hit: &mut dyn FnMut(&str)) {
        self.inner.probes(scenario, history, hit);
    }
    fn required_probes(&self) -> Vec<&'static str> {
        self.inner.required_probes()
    }
    fn check(&self, scenario: &Scenario<Self::Command>, history: &History<Self::Command>, out: &mut Vec<Violation>) {
        self.inner.check(scenario, history, out);
    }
}
