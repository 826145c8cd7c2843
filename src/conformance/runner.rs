//! Running cases: [`check`] (every case, each on a fresh store from a
//! factory), [`check_cases`] (a chosen list), [`check_in_madsim`] (blocking,
//! on a fresh madsim runtime), [`Suite`] (the same with options: waive
//! dcb-sim's input profile, a progress file, each case in a child
//! process), and the panic catching that keeps one failing case from
//! stopping the others.

use std::any::Any;
use std::future::Future;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::report::{CaseFailure, CaseResult, ConformanceReport};
use super::suite::{CASES, Case};
use crate::store::EventStore;

/// Runs every case of [`CASES`], each on a fresh store built by `factory`
/// (called once per case, and must return an **empty** store), and
/// reports which passed and which failed, with the rule each failure broke.
///
/// Every case runs, whatever the others did: a case returns its first
/// failed check as a [`CaseFailure`], and a panic in the store or in
/// `factory` is caught and reported as [`CaseFailure::Panicked`] /
/// [`CaseFailure::FactoryPanicked`] (with `panic = "abort"` a panic ends
/// the process instead). Cases run one after the other, in [`CASES`]
/// order, on the task that awaits this future: it spawns nothing and
/// needs no particular runtime beyond what the store itself needs (a
/// tokio runtime for a store on tokio I/O, a madsim runtime for a store
/// that sleeps on madsim time).
///
/// A store that never completes a call makes the run hang: wrap the call
/// in your runtime's timeout if that can happen.
///
/// ```
/// # let mut runtime = madsim::runtime::Runtime::new();
/// # runtime.set_allow_system_thread(true); // the race case may run on OS threads
/// # runtime.block_on(async {
/// let report = dcb_sim::conformance::check(|| async { dcb_sim::store::MemoryStore::new() }).await;
/// assert!(report.all_passed(), "{report}");
/// # });
/// ```
pub async fn check<S, F, Fut>(factory: F) -> ConformanceReport
where
    S: EventStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    check_cases(CASES, factory).await
}

/// [`check`] for the chosen `cases` only (e.g. one case while you fix
/// it: `check_cases([Case::named("limit").unwrap()], factory)`), in the
/// given order.
pub async fn check_cases<S, F, Fut>(cases: impl IntoIterator<Item = &'static Case>, factory: F) -> ConformanceReport
where
    S: EventStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    Suite::new().check_cases(cases, factory).await
}

/// The environment variable naming a progress file: when set, every run
/// of the suite appends `running: <case>` to it before each case (and
/// `done: <case>: <outcome>` after), flushed, so that a process that dies
/// in a case (an abort, a signal, an out-of-memory kill) leaves the name
/// of the case it was running. [`Suite::progress_file`] sets it in code.
pub const PROGRESS_ENV: &str = "DCB_CONFORMANCE_PROGRESS";

/// Set in a child process of [`Suite::in_child_processes`] to the name of
/// the one case it runs.
const CHILD_CASE_ENV: &str = "DCB_CONFORMANCE_CHILD_CASE";

/// Set in a child process to the file where it writes the case's outcome.
const CHILD_RESULT_ENV: &str = "DCB_CONFORMANCE_CHILD_RESULT";

/// The conformance suite with options. [`check`] is `Suite::new().check`.
///
/// ```
/// # let mut runtime = madsim::runtime::Runtime::new();
/// # runtime.set_allow_system_thread(true); // the race case may run on OS threads
/// # runtime.block_on(async {
/// use dcb_sim::conformance::Suite;
/// let report = Suite::new()
///     .waive_profile() // only the DCB specification counts for pass/fail
///     .check(|| async { dcb_sim::store::MemoryStore::new() })
///     .await;
/// report.assert_all_passed();
/// # });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suite {
    waive_profile: bool,
    progress: Option<PathBuf>,
    child_test: Option<String>,
}

impl Suite {
    /// Every case counts; progress goes to the file named by
    /// [`PROGRESS_ENV`] if it is set; cases run in this process.
    pub fn new() -> Self {
        Suite::default()
    }

    /// Waives dcb-sim's input profile
    /// ([`RuleSource::InputProfile`](super::RuleSource::InputProfile)): its
    /// cases still run and are scored, but only the DCB specification's
    /// cases decide [`ConformanceReport::all_passed`]. For an engine with
    /// input rules of its own.
    pub fn waive_profile(mut self) -> Self {
        self.waive_profile = true;
        self
    }

    /// Appends `running: <case>` to `path` before each case and
    /// `done: <case>: <outcome>` after (flushed each time), so a process
    /// that dies names the case it was running. Overrides [`PROGRESS_ENV`].
    pub fn progress_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.progress = Some(path.into());
        self
    }

    /// Runs each case in a child process: the current executable (a test
    /// binary) is started again for each case with the filter
    /// `test_name --exact` (the full path of the `#[test]` that runs the
    /// suite, e.g. `"conformance::my_adapter"`) and an environment variable
    /// naming the case; in the child, the suite runs that one case, writes
    /// its outcome to a file and exits. A case that aborts or kills its
    /// process is then [`CaseFailure::Crashed`] (with the end of its
    /// output), and the other cases still run and report.
    ///
    /// The calling task blocks while each child runs. The test must call
    /// the suite the same way in the child (it does: it is the same test).
    pub fn in_child_processes(mut self, test_name: impl Into<String>) -> Self {
        self.child_test = Some(test_name.into());
        self
    }

    /// Runs every case of [`CASES`] with these options: see [`check`].
    pub async fn check<S, F, Fut>(&self, factory: F) -> ConformanceReport
    where
        S: EventStore,
        F: FnMut() -> Fut,
        Fut: Future<Output = S>,
    {
        self.check_cases(CASES, factory).await
    }

    /// [`Suite::check`] on a fresh madsim runtime: see [`check_in_madsim`].
    ///
    /// # Panics
    /// If called inside another madsim runtime.
    #[cfg(madsim)]
    pub fn check_in_madsim<S, F, Fut>(&self, factory: F) -> ConformanceReport
    where
        S: EventStore,
        F: FnMut() -> Fut,
        Fut: Future<Output = S>,
    {
        let mut runtime = madsim::runtime::Runtime::new();
        // The race case may run on OS threads (a store whose calls block);
        // nothing else of the suite depends on the simulated schedule.
        runtime.set_allow_system_thread(true);
        runtime.block_on(self.check(factory))
    }

    /// Runs the chosen `cases` with these options: see [`check_cases`].
    pub async fn check_cases<S, F, Fut>(&self, cases: impl IntoIterator<Item = &'static Case>, mut factory: F) -> ConformanceReport
    where
        S: EventStore,
        F: FnMut() -> Fut,
        Fut: Future<Output = S>,
    {
        let cases: Vec<&'static Case> = cases.into_iter().collect();
        if let Ok(name) = std::env::var(CHILD_CASE_ENV) {
            // A child process: run the one case, report it, exit.
            if let Some(case) = cases.iter().find(|c| c.name == name) {
                let outcome = run_on_fresh_store(case, &mut factory).await;
                if let Ok(path) = std::env::var(CHILD_RESULT_ENV) {
                    let _ = std::fs::write(path, encode_outcome(&outcome));
                }
                std::process::exit(0);
            }
        }
        let progress = self.progress.clone().or_else(|| std::env::var_os(PROGRESS_ENV).map(PathBuf::from));
        let mut results = Vec::new();
        for case in cases {
            note_progress(progress.as_deref(), &format!("running: {}", case.name));
            let outcome = match &self.child_test {
                Some(test) => run_in_child(case, test),
                None => run_on_fresh_store(case, &mut factory).await,
            };
            note_progress(progress.as_deref(), &format!("done: {}: {}", case.name, outcome_word(&outcome)));
            results.push(CaseResult { case, outcome });
        }
        ConformanceReport::new(results).with_profile_waived(self.waive_profile)
    }
}

/// `ok`, `FAIL` or `not exercised`.
fn outcome_word(outcome: &Result<(), CaseFailure>) -> &'static str {
    match outcome {
        Ok(()) => "ok",
        Err(CaseFailure::NotExercised { .. }) => "not exercised",
        Err(_) => "FAIL",
    }
}

/// Appends `line` to the progress file and flushes it; a progress file
/// that cannot be written is reported on stderr once per line, never
/// fatal.
fn note_progress(path: Option<&Path>, line: &str) {
    let Some(path) = path else { return };
    let written = std::fs::OpenOptions::new().create(true).append(true).open(path).and_then(|mut file| {
        writeln!(file, "{line}")?;
        file.sync_data()
    });
    if let Err(e) = written {
        eprintln!("dcb-sim conformance: could not write the progress file {}: {e}", path.display());
    }
}

/// The child's outcome file: `ok`, or `not-exercised` / `failed` and the
/// message on the following lines.
fn encode_outcome(outcome: &Result<(), CaseFailure>) -> String {
    match outcome {
        Ok(()) => "ok".to_string(),
        Err(CaseFailure::NotExercised { reason }) => format!("not-exercised\n{reason}"),
        Err(failure) => format!("failed\n{failure}"),
    }
}

/// Runs `case` in a child process of the current executable, filtered to
/// `test`.
fn run_in_child(case: &Case, test: &str) -> Result<(), CaseFailure> {
    let crashed = |status: String, output: String| Err(CaseFailure::Crashed { status, output });
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return crashed(format!("could not find the current executable to re-run: {e}"), String::new()),
    };
    let result_file = std::env::temp_dir().join(format!("dcb-conformance-{}-{}.outcome", std::process::id(), case.name));
    let _ = std::fs::remove_file(&result_file);
    let output = std::process::Command::new(&exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_CASE_ENV, case.name)
        .env(CHILD_RESULT_ENV, &result_file)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) => return crashed(format!("could not start {}: {e}", exe.display()), String::new()),
    };
    let text = std::fs::read_to_string(&result_file);
    let _ = std::fs::remove_file(&result_file);
    match text {
        Ok(text) => {
            let (word, message) = text.split_once('\n').unwrap_or((text.as_str(), ""));
            match word {
                "ok" => Ok(()),
                "not-exercised" => Err(CaseFailure::NotExercised { reason: message.to_string() }),
                _ => Err(CaseFailure::InChildProcess { message: message.to_string() }),
            }
        }
        Err(_) => {
            let all = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            let tail: Vec<&str> = all.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect();
            let mut status = describe_status(&output.status);
            if all.contains("running 0 tests") {
                status.push_str(&format!(
                    "; the child ran no test named {test:?}: pass Suite::in_child_processes the full path of the #[test] that runs the suite"
                ));
            }
            crashed(status, tail.join("\n"))
        }
    }
}

/// "exit code 134" or "killed by signal 6".
fn describe_status(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}{}", if signal == 6 { " (SIGABRT: an abort)" } else { "" });
        }
    }
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "ended without an exit code".to_string(),
    }
}

/// Builds a store with `factory` (catching a panic) and runs `case` on it.
async fn run_on_fresh_store<S, F, Fut>(case: &Case, factory: &mut F) -> Result<(), CaseFailure>
where
    S: EventStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    let building = match catch_unwind(AssertUnwindSafe(&mut *factory)) {
        Ok(future) => future,
        Err(payload) => return Err(CaseFailure::FactoryPanicked { message: panic_message(&*payload) }),
    };
    let store = match CatchPanic::new(Box::pin(building)).await {
        Ok(store) => store,
        Err(message) => return Err(CaseFailure::FactoryPanicked { message }),
    };
    case.run(store).await
}

/// [`check`] on a fresh madsim runtime (seed 0, virtual time, OS threads
/// allowed for the race case), blocking until every case ran: for a plain `#[test]` over an in-memory or
/// simulated store in a `--cfg madsim` build (stores that sleep on
/// `madsim::time`, such as [`RuntimeSleeper`](crate::retry::RuntimeSleeper),
/// need this runtime). A store on real I/O needs its own runtime: await
/// [`check`] inside it instead.
///
/// ```
/// dcb_sim::conformance::check_in_madsim(|| async { dcb_sim::store::MemoryStore::new() }).assert_all_passed();
/// ```
///
/// # Panics
/// If called inside another madsim runtime.
#[cfg(madsim)]
pub fn check_in_madsim<S, F, Fut>(factory: F) -> ConformanceReport
where
    S: EventStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    Suite::new().check_in_madsim(factory)
}

/// Polls a future, turning a panic during a poll into `Err(message)`.
pub(crate) struct CatchPanic<F> {
    inner: F,
}

impl<F> CatchPanic<F> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: F) -> Self {
        CatchPanic { inner }
    }
}

impl<F: Future + Unpin> Future for CatchPanic<F> {
    type Output = Result<F::Output, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.get_mut().inner;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(panic_message(&*payload))),
        }
    }
}

/// The message of a panic payload (`panic!` with a literal or a format).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "(a panic payload that is not a string)".to_string())
}
