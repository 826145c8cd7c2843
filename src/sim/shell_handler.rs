//! [`ShellHandler`]: the built-in workloads' handler — the correct
//! [`DeciderHandler`] or, under a handler-level plant, the broken
//! [`PlantedShell`].

use super::plants::{PlantedShell, ShellBug};
use crate::handler::{Ctx, Decider, DeciderHandler, Handler, Outcome};
use crate::plant::Plant;
use crate::store::EventStore;

/// The decider shell, correct or planted.
#[derive(Debug, Clone)]
pub enum ShellHandler<D> {
    /// The production shell.
    Correct(DeciderHandler<D>),
    /// A planted bug.
    Planted(PlantedShell<D>),
}

impl<D: Decider> ShellHandler<D> {
    /// The shell for `decider` under `plant` (store-level plants and
    /// `ignore-cap` leave the handler correct).
    pub fn new(decider: D, plant: Option<Plant>) -> Self {
        match ShellBug::of(plant) {
            Some(bug) => ShellHandler::Planted(PlantedShell::new(decider, bug)),
            None => ShellHandler::Correct(DeciderHandler::new(decider)),
        }
    }
}

impl<D: Decider> Handler<D::Command> for ShellHandler<D> {
    async fn handle<S: EventStore>(&self, ctx: Ctx<'_, S>, command: &D::Command) -> Outcome {
        match self {
            ShellHandler::Correct(h) => h.handle(ctx, command).await,
            ShellHandler::Planted(h) => h.handle(ctx, command).await,
        }
    }

    fn command_type(&self, command: &D::Command) -> &'static str {
        match self {
            ShellHandler::Correct(h) => h.command_type(command),
            ShellHandler::Planted(h) => h.command_type(command),
        }
    }
}
