//! [`Schedule`]: the choices a controlled scheduler made, as a compact
//! string that replays them exactly.
//!
//! A schedule lists, decision by decision, which client's pending store
//! step took effect ([`Choice::Step`]) or that the scheduler let time run
//! until a store call in flight finished ([`Choice::Wait`]). Written as
//! dot-separated tokens: a client number, `w` for a wait, each optionally
//! followed by `*k` for a run of `k` identical choices:
//!
//! ```
//! use dcb_sim::sim::{Choice, Schedule};
//!
//! let s: Schedule = "0*2.1.w.0".parse().unwrap();
//! assert_eq!(s.choices(), &[Choice::Step(0), Choice::Step(0), Choice::Step(1), Choice::Wait, Choice::Step(0)]);
//! assert_eq!(s.to_string(), "0*2.1.w.0");
//! assert!("0.x".parse::<Schedule>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One decision of a controlled scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Choice {
    /// The pending store step of this client took effect.
    Step(u32),
    /// No pending step was released: the scheduler let virtual time run
    /// until a store call already in flight (one that sleeps inside the
    /// store, e.g. a check-then-insert adapter) made progress.
    Wait,
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Step(c) => write!(f, "{c}"),
            Choice::Wait => f.write_str("w"),
        }
    }
}

/// The choices of one controlled run, in order (see the [scheduler docs](super)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Schedule(Vec<Choice>);

/// Why a schedule string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// A token is neither a client number nor `w`, or has a bad `*k`.
    #[error("schedule token {index} `{token}` is not a client number or `w`, optionally followed by `*k` with k ≥ 1 (example: `0*2.1.w.0`); copy the schedule a report printed")]
    BadToken {
        /// 0-based token index.
        index: usize,
        /// The token.
        token: String,
    },
}

impl Schedule {
    /// A schedule of these choices.
    pub fn new(choices: Vec<Choice>) -> Self {
        Schedule(choices)
    }

    /// The choices, in order.
    pub fn choices(&self) -> &[Choice] {
        &self.0
    }

    /// Number of decisions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No decisions.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut i = 0;
        while i < self.0.len() {
            let c = self.0[i];
            let run = self.0[i..].iter().take_while(|x| **x == c).count();
            if !first {
                f.write_str(".")?;
            }
            first = false;
            if run > 1 { write!(f, "{c}*{run}")? } else { write!(f, "{c}")? }
            i += run;
        }
        Ok(())
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(Schedule::default());
        }
        let mut out = Vec::new();
        for (index, token) in s.split('.').enumerate() {
            let bad = || ScheduleError::BadToken { index, token: token.to_string() };
            let (what, count) = match token.split_once('*') {
                Some((w, k)) => (w, k.parse::<usize>().ok().filter(|k| *k >= 1).ok_or_else(bad)?),
                None => (token, 1),
            };
            let choice = if what == "w" { Choice::Wait } else { Choice::Step(what.parse().map_err(|_| bad())?) };
            out.extend(std::iter::repeat_n(choice, count));
        }
        Ok(Schedule(out))
    }
}

impl Serialize for Schedule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a controlled run's scheduler did: its choices and how many of them
/// were preemptions (a step of another client while the client that took
/// the previous step could go on).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScheduleRecord {
    /// The choices; replay them with [`Scheduler::Script`](super::Scheduler::Script).
    pub schedule: Schedule,
    /// Preemptions among them.
    pub preemptions: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_compresses_runs() {
        let s = Schedule::new(vec![Choice::Step(2), Choice::Step(2), Choice::Step(2), Choice::Wait, Choice::Wait, Choice::Step(10)]);
        assert_eq!((s.len(), s.is_empty()), (6, false));
        assert!(Schedule::default().is_empty());
        let json = serde_json::to_string(&s).expect("serializes");
        assert_eq!(serde_json::from_str::<Schedule>(&json).expect("deserializes"), s, "{json}");
        assert!(serde_json::from_str::<Schedule>("\"0.x\"").is_err(), "a bad token is an error");
        assert_eq!(s.to_string(), "2*3.w*2.10");
        assert_eq!(s.to_string().parse::<Schedule>().unwrap(), s);
        assert_eq!("".parse::<Schedule>().unwrap(), Schedule::default());
    }

    #[test]
    fn rejects_bad_tokens_with_their_index() {
        assert_eq!("0.1*0".parse::<Schedule>(), Err(ScheduleError::BadToken { index: 1, token: "1*0".into() }));
        assert!("0..1".parse::<Schedule>().is_err());
        assert!("-1".parse::<Schedule>().is_err());
    }
}
