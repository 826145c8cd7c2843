//! [`SeatsWorkload`]: the seat domain plugged into dcb-sim's simulator —
//! our command type, our adapter, our handler, our generator, our
//! invariants. The generic checkers (attempts, delays, retry
//! classification, log consistency, DCB soundness) run on top of them.

use dcb_sim::rand_chacha::ChaCha8Rng;
use dcb_sim::sim::{History, Scenario, Violation, Workload};
use dcb_sim::store::StoreError;

use crate::adapter::{AdapterVariant, SeatsStore};
use crate::commands::SeatCommand;
use crate::handler::{HandlerVariant, SeatsHandler, own_policy};
use dcb_sim::retry::RetryPolicy;

/// Which code runs, whether our own invariants are checked, how many clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatsWorkload {
    /// The handler code.
    pub handler: HandlerVariant,
    /// The adapter code.
    pub adapter: AdapterVariant,
    /// Check `seat-held-once` and `customer-seat-limit` besides the generic checkers.
    pub domain_checks: bool,
    /// Fewest clients per scenario.
    pub clients_min: u32,
    /// Most clients per scenario.
    pub clients_max: u32,
    /// Declare the retry policy the handler follows ([`Workload::policy`]):
    /// [`own_policy`] for [`HandlerVariant::OwnPolicy`], none for the
    /// variants that read [`Ctx::policy`](dcb_sim::handler::Ctx::policy).
    pub declare_policy: bool,
}

impl Default for SeatsWorkload {
    /// Correct handler and adapter, domain checks on, 3 to 8 clients.
    fn default() -> Self {
        SeatsWorkload { handler: HandlerVariant::Correct, adapter: AdapterVariant::Correct, domain_checks: true, clients_min: 3, clients_max: 8, declare_policy: true }
    }
}

impl SeatsWorkload {
    /// The default workload running handler `variant`.
    pub fn with_handler(variant: HandlerVariant) -> Self {
        SeatsWorkload { handler: variant, ..Self::default() }
    }

    /// The default workload running adapter `variant`.
    pub fn with_adapter(variant: AdapterVariant) -> Self {
        SeatsWorkload { adapter: variant, ..Self::default() }
    }

    /// The same workload declaring its handler's policy or not (to see what
    /// a user who forgets gets told).
    pub fn declare_policy(self, on: bool) -> Self {
        SeatsWorkload { declare_policy: on, ..self }
    }

    /// The same workload with or without the domain invariants.
    pub fn domain_checks(self, on: bool) -> Self {
        SeatsWorkload { domain_checks: on, ..self }
    }
}

impl Workload for SeatsWorkload {
    type Command = SeatCommand;
    type Store = SeatsStore;
    type Handler = SeatsHandler;

    fn name(&self) -> &'static str {
        "seats"
    }

    fn store(&self, _scenario: &Scenario<SeatCommand>) -> Result<SeatsStore, StoreError> {
        Ok(SeatsStore::new(self.adapter))
    }

    /// Our handler; the harness applies its own plants (store wrappers) itself.
    fn handler(&self, _scenario: &Scenario<SeatCommand>) -> SeatsHandler {
        SeatsHandler::new(self.handler)
    }

    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<SeatCommand> {
        crate::generate::scenario(rng, self.clients_min, self.clients_max)
    }

    /// [`own_policy`] when the handler is [`HandlerVariant::OwnPolicy`]
    /// (and [`SeatsWorkload::declare_policy`] is on).
    fn policy(&self) -> Option<RetryPolicy> {
        (self.declare_policy && self.handler == HandlerVariant::OwnPolicy).then(own_policy)
    }

    /// With 3 clients or more: conflicts on the first and second attempt,
    /// a seat or customer shared by 3 commands in flight, and both kinds of
    /// rejection; a generator change that stops reaching one fails every
    /// check of this workload (the vacuity guard).
    fn required_probes(&self) -> Vec<&'static str> {
        if self.clients_min < 3 {
            return Vec::new();
        }
        vec!["conflict on attempt 1", "conflict on attempt 2", "boundary shared by 3+ commands", "rejected: Seat is taken", "rejected: Customer reached the seat limit"]
    }

    fn check(&self, _scenario: &Scenario<SeatCommand>, history: &History<SeatCommand>, out: &mut Vec<Violation>) {
        if self.domain_checks {
            crate::check::all(&history.log, out);
        }
    }
}
