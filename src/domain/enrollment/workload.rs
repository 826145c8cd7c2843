//! The enrollment workload: course enrollment under contention.

use std::time::Duration;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::check::{capacity, double_enrollment, tier_limit};
use crate::sim::{EngineStore, History, Latency, Scenario, Scheduled, ShellHandler, Violation, Workload};
use crate::plant::Plant;
use crate::store::StoreError;
use crate::domain::enrollment::{EnrollmentCommand, EnrollmentDecider, Tier};
use crate::retry::RetryPolicy;

/// Knobs of the generated scenarios (the swarm draws within them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrollmentWorkload {
    /// Fewest clients.
    pub clients_min: u32,
    /// Most clients.
    pub clients_max: u32,
    /// Draw a fault plan per seed (see [`swarm_faults`](crate::sim::swarm_faults)).
    pub faults: bool,
}

impl Default for EnrollmentWorkload {
    /// 3 to 10 clients, no faults.
    fn default() -> Self {
        EnrollmentWorkload { clients_min: 3, clients_max: 10, faults: false }
    }
}

impl EnrollmentWorkload {
    /// A workload with exactly `n` clients.
    pub fn with_clients(n: u32) -> Self {
        EnrollmentWorkload { clients_min: n, clients_max: n, faults: false }
    }

    /// The same workload with injected faults.
    pub fn with_faults(self) -> Self {
        EnrollmentWorkload { faults: true, ..self }
    }
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

impl Workload for EnrollmentWorkload {
    type Command = EnrollmentCommand;
    type Store = EngineStore;
    type Handler = ShellHandler<EnrollmentDecider>;

    fn name(&self) -> &'static str {
        "enrollment"
    }

    /// With 3 clients or more: conflicts on the first and second attempt, a
    /// boundary shared by 3 commands, an exhausted command, an idempotent
    /// repeat and a full course; with faults, [`SWARM_FAULT_PROBES`](crate::sim::SWARM_FAULT_PROBES).
    fn required_probes(&self) -> Vec<&'static str> {
        let mut required = Vec::new();
        if self.clients_min >= 3 {
            required.extend([
                "conflict on attempt 1",
                "conflict on attempt 2",
                "boundary shared by 3+ commands",
                "outcome exhausted",
                "outcome idempotent",
                "rejected: Course is at maximum capacity",
            ]);
        }
        if self.faults {
            required.extend(crate::sim::SWARM_FAULT_PROBES);
        }
        required
    }

    fn follows_engine(&self) -> bool {
        true
    }

    fn store(&self, scenario: &Scenario<EnrollmentCommand>) -> Result<EngineStore, StoreError> {
        EngineStore::open(scenario.engine)
    }

    fn handler(&self, scenario: &Scenario<EnrollmentCommand>) -> ShellHandler<EnrollmentDecider> {
        ShellHandler::new(EnrollmentDecider, scenario.plant)
    }

    fn plants(&self) -> &[Plant] {
        &Plant::ALL
    }

    /// Swarm: 1–3 courses of capacity 1–4, 2–6 students (mostly Basic),
    /// sometimes an unregistered student or a missing course; each client
    /// issues 1–3 commands (mostly enrollments, some capacity and tier
    /// changes) within the first 10 ms; the C# policy most of the time,
    /// otherwise another preset; store latency 1 ms up to 1.5–4 ms per half-call.
    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<EnrollmentCommand> {
        let courses: Vec<String> = (1..=rng.random_range(1..=3u32)).map(|i| format!("c{i}")).collect();
        let students: Vec<String> = (1..=rng.random_range(2..=6u32)).map(|i| format!("s{i}")).collect();
        let mut setup = Vec::new();
        for course in &courses {
            if rng.random_bool(0.95) {
                setup.push(EnrollmentCommand::CreateCourse { course: course.clone(), capacity: rng.random_range(1..=4) });
            }
        }
        for student in &students {
            if rng.random_bool(0.95) {
                let tier = match rng.random_range(0..10) {
                    0..7 => Tier::Basic,
                    7..9 => Tier::Standard,
                    _ => Tier::Professional,
                };
                setup.push(EnrollmentCommand::RegisterStudent { student: student.clone(), tier });
            }
        }
        let clients = rng.random_range(self.clients_min..=self.clients_max);
        let mut commands = Vec::new();
        for client in 0..clients {
            for _ in 0..rng.random_range(1..=3) {
                let command = match rng.random_range(0..100) {
                    0..86 => EnrollmentCommand::Enroll { course: pick(rng, &courses).clone(), student: pick(rng, &students).clone() },
                    86..93 => EnrollmentCommand::ChangeCapacity { course: pick(rng, &courses).clone(), capacity: rng.random_range(1..=4) },
                    _ => EnrollmentCommand::ChangeTier { student: pick(rng, &students).clone(), tier: *pick(rng, &Tier::ALL) },
                };
                let start = Duration::from_micros(rng.random_range(0..=10_000));
                commands.push(Scheduled { client, start, command });
            }
        }
        let policy = match rng.random_range(0..10) {
            0..6 => RetryPolicy::csharp(),
            6..8 => RetryPolicy::go_default(),
            8 => RetryPolicy::preset("full-jitter").expect("preset exists"),
            _ => RetryPolicy::preset("decorrelated").expect("preset exists"),
        };
        let max = Duration::from_micros(rng.random_range(1_500..=4_000));
        let latency = Latency { read_min: Duration::from_millis(1), read_max: max, append_min: Duration::from_millis(1), append_max: max };
        let mut scenario = Scenario { policy, latency, ..Scenario::new(setup, commands) };
        if self.faults {
            crate::sim::swarm_faults(rng, &mut scenario);
        }
        scenario
    }

    fn check(&self, scenario: &Scenario<EnrollmentCommand>, history: &History<EnrollmentCommand>, out: &mut Vec<Violation>) {
        crate::check::decider(&EnrollmentDecider, scenario, history, out);
        capacity::check(&history.log, out);
        double_enrollment::check(&history.log, out);
        tier_limit::check(&history.log, out);
    }
}
