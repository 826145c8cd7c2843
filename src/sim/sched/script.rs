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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::sched::step::{Footprint, Step};
    use crate::store::Query;

    /// A scripted choice that is not on offer (a client with no pending
    /// step, a wait with nothing blocked) falls back to the non-preemptive
    /// choice, as does a script that has run out.
    #[test]
    fn a_choice_not_on_offer_falls_back_to_the_non_preemptive_one() {
        let steps: Vec<Step> = [0, 1].iter().map(|&c| Step { client: c, command: c as usize, call: 0, footprint: Footprint::Read(Query::all()) }).collect();
        let options = Options { steps: steps.iter().collect(), blocked: vec![], last: Some(1) };
        let mut script = Script::new(&"0.5.w".parse().expect("a valid schedule"));
        assert_eq!(script.choose(&options), Choice::Step(0), "on offer: taken");
        assert_eq!(script.choose(&options), options.non_preemptive(), "client 5 has no step");
        assert_eq!(script.choose(&options), options.non_preemptive(), "nothing is blocked");
        assert_eq!(script.choose(&options), options.non_preemptive(), "past the script's end");
        assert_eq!(options.non_preemptive(), Choice::Step(1), "the client that went last goes on");
    }
}
