//! [`UserProbe`]: a probe a handler fired itself
//! ([`Ctx::sometimes`](crate::handler::Ctx::sometimes),
//! [`Ctx::reachable`](crate::handler::Ctx::reachable)), recorded per
//! command in the run's history and counted in
//! [`Coverage`](crate::explore::Coverage) under the handler's own name.
//!
//! Recording is on only while a check collects coverage (the explorer,
//! [`Check`](crate::explore::Check), or your code inside [`collect_probes`]):
//! otherwise a probe call returns at once, without locking or allocating.

use std::cell::Cell;

use serde::{Deserialize, Serialize};

/// One user probe of one command: how often it was evaluated and how often
/// its condition held (a `reachable` probe always holds).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserProbe {
    /// The name the handler gave it (the coverage table's row).
    pub name: String,
    /// Times the handler evaluated it.
    pub evaluated: u32,
    /// Times its condition held (0: evaluated, never true).
    pub hits: u32,
}

/// Records `held` for probe `name` into `probes` (one entry per name, in
/// the order the names first appear: deterministic for a deterministic
/// handler). Allocates only the first time a name appears.
pub(crate) fn record(probes: &mut Vec<UserProbe>, name: &str, held: bool) {
    let p = match probes.iter().position(|p| p.name == name) {
        Some(i) => &mut probes[i],
        None => {
            probes.push(UserProbe { name: name.to_string(), evaluated: 0, hits: 0 });
            probes.last_mut().expect("just pushed")
        }
    };
    p.evaluated = p.evaluated.saturating_add(1);
    p.hits = p.hits.saturating_add(u32::from(held));
}

thread_local! {
    static COLLECTING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with user probes recorded by every simulated run it starts on
/// this thread ([`run`](crate::sim::run) and friends); outside it, the
/// harness ignores them. The explorer and [`Check`](crate::explore::Check)
/// call it for you; call it yourself to see user probes in a history you
/// run by hand.
///
/// ```
/// use dcb_sim::domain::enrollment::EnrollmentWorkload;
/// use dcb_sim::sim::{Workload, collect_probes, run};
/// let w = EnrollmentWorkload::default();
/// let scenario = w.generate(&mut dcb_sim::rng::seeded(1));
/// let history = collect_probes(|| run(&w, &scenario, 1).history);
/// assert!(history.commands.iter().all(|c| c.probes.is_empty()), "the built-in handlers fire none");
/// ```
pub fn collect_probes<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            COLLECTING.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(COLLECTING.with(|c| c.replace(true)));
    f()
}

/// Whether runs started now on this thread record user probes.
pub(crate) fn collecting() -> bool {
    COLLECTING.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_name_in_first_seen_order() {
        let mut probes = Vec::new();
        record(&mut probes, "b", false);
        record(&mut probes, "a", true);
        record(&mut probes, "b", true);
        record(&mut probes, "b", false);
        assert_eq!(probes, vec![UserProbe { name: "b".into(), evaluated: 3, hits: 1 }, UserProbe { name: "a".into(), evaluated: 1, hits: 1 }]);
    }

    #[test]
    fn collecting_is_scoped() {
        assert!(!collecting());
        let inner = collect_probes(|| collect_probes(collecting) && collecting());
        assert!(inner);
        assert!(!collecting());
    }
}
