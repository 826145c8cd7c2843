//! The turn-taking runtime behind the controlled schedulers: which client
//! may take its next store step, decided only when no client can run.
//!
//! Every client task runs inside [`Tracked`], which knows whether the task
//! is being polled or was woken (it can run), is blocked (it waits on a
//! timer or anything else), is parked at the store boundary with a pending
//! [`Step`], or is done. Whenever no client can run, the [`Chooser`] picks
//! one pending step, or (while some client is blocked) [`Choice::Wait`]:
//! no step goes yet and virtual time runs to the next event, so a pending
//! call can be delayed past another client's backoff sleep, as a slow
//! store call can in production. The released client is woken and its
//! call takes effect.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use super::schedule::{Choice, Schedule, ScheduleRecord};
use super::step::Step;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a scheduler sees at a decision.
#[derive(Debug)]
pub(crate) struct Options<'a> {
    /// Pending steps, one per client at most, ordered by client.
    pub steps: Vec<&'a Step>,
    /// Blocked clients (on a backoff sleep, a start time, or inside a
    /// released store call: `true`), ordered by client. While any is
    /// blocked, [`Choice::Wait`] is an option: no pending step goes yet,
    /// virtual time runs to the next event — a pending call may take
    /// arbitrarily long, as a slow store's can.
    pub blocked: Vec<(u32, bool)>,
    /// The client that took the previous step.
    pub last: Option<u32>,
}

impl Options<'_> {
    /// Whether `choice` is one of the options.
    pub fn offers(&self, choice: Choice) -> bool {
        match choice {
            Choice::Step(c) => self.steps.iter().any(|s| s.client == c),
            Choice::Wait => !self.blocked.is_empty(),
        }
    }

    /// Whether `client`'s released store call is blocked inside the store.
    pub fn in_store(&self, client: u32) -> bool {
        self.blocked.iter().any(|(c, in_store)| *c == client && *in_store)
    }

    /// The choice that preempts nobody: the previous client's step if it
    /// is pending, else waiting for it if its call is in flight, else the
    /// lowest-numbered pending client.
    pub fn non_preemptive(&self) -> Choice {
        if let Some(last) = self.last {
            if self.offers(Choice::Step(last)) {
                return Choice::Step(last);
            }
            if self.in_store(last) {
                return Choice::Wait;
            }
        }
        self.steps.first().map_or(Choice::Wait, |s| Choice::Step(s.client))
    }
}

/// A controlled scheduler.
pub(crate) trait Chooser: Send {
    /// Picks one of `options` (there is at least one pending step).
    fn choose(&mut self, options: &Options<'_>) -> Choice;
}

#[derive(Debug)]
enum Phase {
    /// Being polled, or woken and about to be.
    Runnable,
    /// Waiting on something other than its turn (a timer, a lock).
    Blocked,
    /// Parked at the store boundary.
    At(Step),
    /// Finished.
    Done,
}

#[derive(Debug)]
struct Slot {
    phase: Phase,
    /// Its step was released and its store call has not returned yet.
    in_store: bool,
    /// Released, not yet seen by the parked call.
    released: bool,
    waker: Option<Waker>,
}

struct State {
    clients: BTreeMap<u32, Slot>,
    chooser: Box<dyn Chooser>,
    choices: Vec<Choice>,
    preemptions: u32,
    last: Option<u32>,
}

/// The shared turn state of one run.
pub(crate) struct Turn {
    state: Mutex<State>,
}

impl std::fmt::Debug for Turn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Turn").finish_non_exhaustive()
    }
}

impl Turn {
    /// A turn over `clients`, all runnable, decided by `chooser`.
    pub fn new(clients: impl IntoIterator<Item = u32>, chooser: Box<dyn Chooser>) -> Arc<Self> {
        let clients = clients.into_iter().map(|c| (c, Slot { phase: Phase::Runnable, in_store: false, released: false, waker: None })).collect();
        Arc::new(Turn { state: Mutex::new(State { clients, chooser, choices: Vec::new(), preemptions: 0, last: None }) })
    }

    /// What the scheduler chose so far.
    pub fn record(&self) -> ScheduleRecord {
        let st = lock(&self.state);
        ScheduleRecord { schedule: Schedule::new(st.choices.clone()), preemptions: st.preemptions }
    }

    /// Parks `step` at the store boundary until the scheduler releases it.
    pub fn take_turn(&self, step: Step) -> TakeTurn<'_> {
        TakeTurn { turn: self, client: step.client, step: Some(step) }
    }

    /// `client` issued a store call that is now in flight (its request
    /// latency), before it reaches the store boundary.
    pub fn entered_store(&self, client: u32) {
        if let Some(slot) = lock(&self.state).clients.get_mut(&client) {
            slot.in_store = true;
        }
    }

    /// The released call of `client` took effect (its response may still
    /// be on the way back).
    pub fn left_store(&self, client: u32) {
        if let Some(slot) = lock(&self.state).clients.get_mut(&client) {
            slot.in_store = false;
        }
    }

    fn slot<'a>(st: &'a mut State, client: u32) -> &'a mut Slot {
        st.clients.get_mut(&client).expect("a tracked client")
    }

    /// Decides if no client can run; returns the waker of the released client.
    fn decide(st: &mut State) -> Option<Waker> {
        if st.clients.values().any(|s| matches!(s.phase, Phase::Runnable)) {
            return None;
        }
        let options = Options {
            steps: st.clients.values().filter_map(|s| if let Phase::At(step) = &s.phase { Some(step) } else { None }).collect(),
            blocked: st.clients.iter().filter(|(_, s)| matches!(s.phase, Phase::Blocked)).map(|(c, s)| (*c, s.in_store)).collect(),
            last: st.last,
        };
        if options.steps.is_empty() {
            return None; // every client is blocked or done: time runs on
        }
        let choice = st.chooser.choose(&options);
        assert!(options.offers(choice), "scheduler chose {choice}, which is not among the options");
        let last_could_go = st.last.is_some_and(|l| options.offers(Choice::Step(l)) || options.in_store(l));
        drop(options);
        st.choices.push(choice);
        let Choice::Step(client) = choice else { return None };
        if last_could_go && st.last != Some(client) {
            st.preemptions += 1;
        }
        st.last = Some(client);
        let slot = Self::slot(st, client);
        slot.phase = Phase::Runnable;
        slot.released = true;
        slot.waker.take()
    }
}

/// The future [`Turn::take_turn`] returns.
pub(crate) struct TakeTurn<'a> {
    turn: &'a Turn,
    client: u32,
    step: Option<Step>,
}

impl Future for TakeTurn<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let turn = self.turn;
        let mut st = lock(&turn.state);
        let slot = Turn::slot(&mut st, self.client);
        if slot.released {
            slot.released = false;
            slot.in_store = true;
            return Poll::Ready(());
        }
        if let Some(step) = self.step.take() {
            slot.phase = Phase::At(step);
        }
        slot.waker = Some(cx.waker().clone());
        drop(st);
        Poll::Pending
    }
}

/// Wakes a tracked client: marks it runnable, then wakes its task.
struct ClientWaker {
    turn: Arc<Turn>,
    client: u32,
    inner: Waker,
}

impl Wake for ClientWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        {
            let mut st = lock(&self.turn.state);
            let slot = Turn::slot(&mut st, self.client);
            if matches!(slot.phase, Phase::Blocked) {
                slot.phase = Phase::Runnable;
            }
        }
        self.inner.wake_by_ref();
    }
}

/// A client task under a [`Turn`].
pub(crate) struct Tracked<F> {
    turn: Arc<Turn>,
    client: u32,
    inner: Pin<Box<F>>,
}

impl<F: Future> Tracked<F> {
    /// Runs `inner` as `client`'s task.
    pub fn new(turn: Arc<Turn>, client: u32, inner: F) -> Self {
        Tracked { turn, client, inner: Box::pin(inner) }
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        {
            let mut st = lock(&self.turn.state);
            let slot = Turn::slot(&mut st, self.client);
            if matches!(slot.phase, Phase::Blocked) {
                slot.phase = Phase::Runnable;
            }
        }
        let waker = Waker::from(Arc::new(ClientWaker { turn: self.turn.clone(), client: self.client, inner: cx.waker().clone() }));
        let result = self.inner.as_mut().poll(&mut Context::from_waker(&waker));
        let wake = {
            let mut st = lock(&self.turn.state);
            let slot = Turn::slot(&mut st, self.client);
            match (&result, &slot.phase) {
                (Poll::Ready(_), _) => slot.phase = Phase::Done,
                (Poll::Pending, Phase::Runnable) if !slot.released => slot.phase = Phase::Blocked,
                _ => {}
            }
            Turn::decide(&mut st)
        };
        if let Some(w) = wake {
            w.wake();
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::sched::step::Footprint;
    use crate::store::Query;

    fn step(client: u32) -> Step {
        Step { client, command: client as usize, call: 0, footprint: Footprint::Read(Query::all()) }
    }

    /// A scheduler that always makes one choice.
    struct Pick(Choice);

    impl Chooser for Pick {
        fn choose(&mut self, _: &Options<'_>) -> Choice {
            self.0
        }
    }

    /// The non-preemptive choice waits for the previous client while its
    /// call is in flight, not while it sleeps a backoff.
    #[test]
    fn the_non_preemptive_choice_waits_only_for_a_call_in_flight() {
        let one = step(1);
        let in_flight = Options { steps: vec![&one], blocked: vec![(0, true)], last: Some(0) };
        assert!(in_flight.in_store(0) && !in_flight.in_store(1));
        assert_eq!(in_flight.non_preemptive(), Choice::Wait);
        let sleeping = Options { steps: vec![&one], blocked: vec![(0, false)], last: Some(0) };
        assert_eq!(sleeping.non_preemptive(), Choice::Step(1));
    }

    /// Client 0 took the previous step and is `phase` (`in_store`: its
    /// call in flight); client 1 waits at the boundary and is chosen.
    /// Returns the preemptions counted.
    fn preemptions_when_client_1_goes(phase: Phase, in_store: bool) -> u32 {
        let turn = Turn::new([0, 1], Box::new(Pick(Choice::Step(1))));
        let mut st = lock(&turn.state);
        st.last = Some(0);
        *Turn::slot(&mut st, 0) = Slot { phase, in_store, released: false, waker: None };
        Turn::slot(&mut st, 1).phase = Phase::At(step(1));
        assert!(Turn::decide(&mut st).is_none(), "no waker was registered");
        assert_eq!((st.choices.clone(), st.last), (vec![Choice::Step(1)], Some(1)));
        let released = Turn::slot(&mut st, 1);
        assert!(matches!(released.phase, Phase::Runnable) && released.released);
        st.preemptions
    }

    #[test]
    fn choosing_another_client_preempts_only_one_that_could_go_on() {
        // client 0's call is in flight: running client 1 first preempts it
        assert_eq!(preemptions_when_client_1_goes(Phase::Blocked, true), 1);
        // client 0 has a step pending: the same
        assert_eq!(preemptions_when_client_1_goes(Phase::At(step(0)), false), 1);
        // client 0 sleeps a backoff, or is done: no preemption
        assert_eq!(preemptions_when_client_1_goes(Phase::Blocked, false), 0);
        assert_eq!(preemptions_when_client_1_goes(Phase::Done, false), 0);
    }

    #[test]
    fn a_call_is_in_the_store_from_entering_to_leaving_it() {
        let turn = Turn::new([0], Box::new(Pick(Choice::Step(0))));
        turn.entered_store(0);
        assert!(lock(&turn.state).clients[&0].in_store);
        turn.left_store(0);
        assert!(!lock(&turn.state).clients[&0].in_store);
        assert_eq!(format!("{turn:?}"), "Turn { .. }");
    }
}
