//! Replaying a [`Schedule`]: each decision takes the scripted choice; where
//! the script does not fit (a shrunk scenario) or has ended, the
//! non-preemptive choice ([`Options::non_preemptive`]).

use super::schedule::{Choice, Schedule};
use super::turn::{Chooser, Options};

/// The scripted scheduler of one run.
#[derive(Debug)]
pub(crate) struct Script {
    choices: Vec<Choice>,
    at: usize,
}

impl Script {
    /// Replays `schedule`.
    pub fn new(schedule: &Schedule) -> Self {
        Script { choices: schedule.choices().to_vec(), at: 0 }
    }
}

impl Chooser for Script {
    fn choose(&mut self, options: &Options<'_>) -> Choice {
        let scripted = self.choices.get(self.at).copied();
        self.at += 1;
        match scripted {
            Some(c) if options.offers(c) => c,
            _ => options.non_preemptive(),
        }
    }
}
