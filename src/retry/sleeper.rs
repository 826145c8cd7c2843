//! The runtime-neutral clock the engine sleeps on.

use std::future::Future;
use std::time::Duration;

/// A clock the retry engine sleeps on. The engine never touches a runtime
/// directly, so the same code runs on madsim's virtual time in simulation
/// and on tokio's clock in production.
pub trait Sleeper: Send + Sync {
    /// Sleeps for `d`.
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send;
    /// Time elapsed since this sleeper's origin.
    fn now(&self) -> Duration;
    /// The shortest sleep the clock can take: `sleep(d)` waits at least
    /// `max(d, min_sleep())`. Zero by default.
    fn min_sleep(&self) -> Duration {
        Duration::ZERO
    }
}

/// Sleeps with `madsim::time`: virtual time inside a madsim simulation
/// (`--cfg madsim`), and tokio's timer in a normal build (madsim re-exports
/// tokio there), so production code needs nothing else.
///
/// Both clocks have a 1 ms resolution: a sleep shorter than
/// [`RuntimeSleeper::MIN_SLEEP`] lasts 1 ms (madsim copies tokio here).
/// Delays of the seed policies are all ≥ 10 ms; only full, equal or
/// decorrelated jitter can draw shorter ones.
#[derive(Debug, Clone, Copy)]
pub struct RuntimeSleeper {
    origin: madsim::time::Instant,
}

impl RuntimeSleeper {
    /// The shortest sleep madsim and tokio take.
    pub const MIN_SLEEP: Duration = Duration::from_millis(1);

    /// A sleeper whose origin is now. Must be called inside a runtime.
    #[allow(clippy::disallowed_methods, reason = "madsim::time::Instant is std's: inside a simulation madsim's clock_gettime override makes it virtual time")]
    pub fn new() -> Self {
        Self { origin: madsim::time::Instant::now() }
    }

    /// A sleeper with the given origin.
    pub fn with_origin(origin: madsim::time::Instant) -> Self {
        Self { origin }
    }
}

impl Default for RuntimeSleeper {
    fn default() -> Self {
        Self::new()
    }
}

impl Sleeper for RuntimeSleeper {
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send {
        madsim::time::sleep(d)
    }
    #[allow(clippy::disallowed_methods, reason = "madsim::time::Instant is std's: inside a simulation madsim's clock_gettime override makes it virtual time")]
    fn now(&self) -> Duration {
        // Inside a simulation, ask madsim's clock directly: the same virtual
        // instant `Instant::now()` returns through the clock_gettime
        // override, without the libc round trip (this runs several times
        // per simulated command).
        #[cfg(madsim)]
        if let Some(time) = madsim::time::TimeHandle::try_current() {
            return time.now_instant().duration_since(self.origin);
        }
        madsim::time::Instant::now().duration_since(self.origin)
    }
    fn min_sleep(&self) -> Duration {
        Self::MIN_SLEEP
    }
}

/// Sleeps with `tokio::time` on the **real** clock: for real-storage runs
/// (the SQLite/PostgreSQL stress tests and benchmarks) in a `--cfg madsim`
/// build, where [`RuntimeSleeper`]'s `madsim::time` only works inside a
/// madsim runtime. Must be used inside a tokio runtime with the time driver
/// enabled (`enable_time()` / `enable_all()`).
///
/// Like [`RuntimeSleeper`], a sleep lasts at least 1 ms
/// ([`TokioSleeper::MIN_SLEEP`]); unlike it, a sleep may last longer than
/// asked by however long the OS takes to wake the thread, so measured gaps
/// between attempts are only bounded below.
#[cfg(feature = "tokio")]
#[derive(Debug, Clone, Copy)]
pub struct TokioSleeper {
    origin: std::time::Instant,
}

#[cfg(feature = "tokio")]
impl TokioSleeper {
    /// tokio's timer resolution: the shortest sleep it takes.
    pub const MIN_SLEEP: Duration = Duration::from_millis(1);

    /// A sleeper whose origin is now (wall clock).
    #[allow(clippy::disallowed_methods, reason = "TokioSleeper is the real-time clock for real-storage runs outside any simulation; it is never used inside a madsim runtime")]
    pub fn new() -> Self {
        Self { origin: std::time::Instant::now() }
    }
}

#[cfg(feature = "tokio")]
impl Default for TokioSleeper {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "tokio")]
impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(d)
    }
    #[allow(clippy::disallowed_methods, reason = "TokioSleeper is the real-time clock for real-storage runs outside any simulation; it is never used inside a madsim runtime")]
    fn now(&self) -> Duration {
        std::time::Instant::now().duration_since(self.origin)
    }
    fn min_sleep(&self) -> Duration {
        Self::MIN_SLEEP
    }
}

/// The clock of a handler's run: madsim's virtual time in a simulation,
/// or tokio's real clock when the same runner drives real storage
/// ([`run_realtime`](crate::sim::run_realtime)). What a
/// [`Ctx`](crate::handler::Ctx) hands to a handler as its clock.
#[derive(Debug, Clone, Copy)]
pub enum RunClock {
    /// Virtual time (or tokio's, in a build without `--cfg madsim`).
    Virtual(RuntimeSleeper),
    /// The real clock, on tokio's timer.
    #[cfg(feature = "tokio")]
    Real(TokioSleeper),
}

impl From<RuntimeSleeper> for RunClock {
    fn from(s: RuntimeSleeper) -> Self {
        RunClock::Virtual(s)
    }
}

#[cfg(feature = "tokio")]
impl From<TokioSleeper> for RunClock {
    fn from(s: TokioSleeper) -> Self {
        RunClock::Real(s)
    }
}

impl Sleeper for RunClock {
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send {
        // The timer is armed now, as by the clock itself, not at first poll.
        let (virtual_sleep, real_sleep) = match self {
            RunClock::Virtual(s) => (Some(s.sleep(d)), None),
            #[cfg(feature = "tokio")]
            RunClock::Real(s) => (None, Some(s.sleep(d))),
        };
        #[cfg(not(feature = "tokio"))]
        let real_sleep: Option<std::future::Ready<()>> = real_sleep;
        async move {
            if let Some(f) = virtual_sleep {
                f.await;
            } else if let Some(f) = real_sleep {
                f.await;
            }
        }
    }
    fn now(&self) -> Duration {
        match self {
            RunClock::Virtual(s) => s.now(),
            #[cfg(feature = "tokio")]
            RunClock::Real(s) => s.now(),
        }
    }
    fn min_sleep(&self) -> Duration {
        match self {
            RunClock::Virtual(s) => s.min_sleep(),
            #[cfg(feature = "tokio")]
            RunClock::Real(s) => s.min_sleep(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sleeper that keeps the trait's default `min_sleep`.
    struct Plain;
    impl Sleeper for Plain {
        async fn sleep(&self, _: Duration) {}
        fn now(&self) -> Duration {
            Duration::ZERO
        }
    }

    #[test]
    fn min_sleep_is_zero_by_default_and_one_millisecond_for_the_runtime_clocks() {
        assert_eq!(Plain.min_sleep(), Duration::ZERO);
        madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default()).block_on(async {
            assert_eq!(RuntimeSleeper::new().min_sleep(), Duration::from_millis(1));
        });
        #[cfg(feature = "tokio")]
        assert_eq!(TokioSleeper::new().min_sleep(), Duration::from_millis(1));
    }

    #[test]
    #[allow(clippy::disallowed_methods, reason = "madsim::time::Instant inside a madsim runtime is virtual time")]
    fn runtime_sleeper_measures_virtual_time_from_its_origin() {
        madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default()).block_on(async {
            let origin = madsim::time::Instant::now();
            let from_start = RuntimeSleeper::new();
            from_start.sleep(Duration::from_millis(10)).await;
            // madsim's clock advances a few microseconds per poll on top of
            // the sleep itself: at least the sleep, well under 1 ms more.
            let within = |d: Duration, lo: u64| d >= Duration::from_millis(lo) && d < Duration::from_millis(lo + 1);
            assert!(within(from_start.now(), 10), "{:?}", from_start.now());
            let late = RuntimeSleeper::new();
            late.sleep(Duration::from_millis(5)).await;
            assert!(within(late.now(), 5), "{:?}", late.now());
            // An explicit origin counts from that instant, not from construction.
            let since_origin = RuntimeSleeper::with_origin(origin).now();
            assert!(within(since_origin, 15), "{since_origin:?}");
        });
    }
}
