//! The scenario generator (swarm testing): small hot sets of seats and
//! customers so that holds collide, customers reach their limit, and
//! moves and releases race with holds.

use std::time::Duration;

use dcb_sim::rand::RngExt;
use dcb_sim::rand_chacha::ChaCha8Rng;
use dcb_sim::retry::RetryPolicy;
use dcb_sim::sim::{Latency, Scenario, Scheduled};

use crate::commands::SeatCommand;
use crate::decide::MAX_SEATS_PER_EVENT;

/// The one event (show) every generated command is about.
pub const EVENT: &str = "e1";

/// The ids `prefix1..=prefixN`.
fn ids(prefix: &str, n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

fn pick<'a>(rng: &mut ChaCha8Rng, items: &'a [String]) -> &'a str {
    &items[rng.random_range(0..items.len())]
}

/// A customer, `c1` a third of the time (a hot customer reaches the limit).
fn customer<'a>(rng: &mut ChaCha8Rng, customers: &'a [String]) -> &'a str {
    if rng.random_bool(0.33) { &customers[0] } else { pick(rng, customers) }
}

/// Setup: nothing (half the seeds) or 1–3 holds that all succeed (distinct
/// seats, nobody above the limit).
fn setup(rng: &mut ChaCha8Rng, seats: &[String], customers: &[String]) -> Vec<(String, String)> {
    let mut held: Vec<(String, String)> = Vec::new();
    if rng.random_bool(0.5) {
        return held;
    }
    for _ in 0..rng.random_range(1..=3) {
        let (s, c) = (pick(rng, seats), customer(rng, customers));
        let seat_free = !held.iter().any(|(hs, _)| hs == s);
        let below_limit = held.iter().filter(|(_, hc)| hc == c).count() < MAX_SEATS_PER_EVENT;
        if seat_free && below_limit {
            held.push((s.to_string(), c.to_string()));
        }
    }
    held
}

/// A generated scenario: 1 event, 3–5 seats, 3–6 customers,
/// `clients_min..=clients_max` clients with 1–3 commands each within the
/// first 10 ms (about 70 % holds, 15 % moves, 15 % releases; a move or a
/// release mostly names a hold of the same client or of the setup; a move
/// goes to another seat), the
/// C# policy, store latency 1 ms up to 1.5–4 ms per half-call.
pub fn scenario(rng: &mut ChaCha8Rng, clients_min: u32, clients_max: u32) -> Scenario<SeatCommand> {
    let seats = ids("s", rng.random_range(3..=5));
    let customers = ids("c", rng.random_range(3..=6));
    let held = setup(rng, &seats, &customers);
    let clients = rng.random_range(clients_min..=clients_max);
    let mut commands = Vec::new();
    for client in 0..clients {
        let mut starts: Vec<Duration> = (0..rng.random_range(1..=3)).map(|_| Duration::from_micros(rng.random_range(0..=10_000))).collect();
        starts.sort_unstable();
        let mut own: Vec<(String, String)> = Vec::new();
        for start in starts {
            // A hold to move or release: this client's own, a setup one, or any pair.
            let known = |rng: &mut ChaCha8Rng, own: &[(String, String)]| match rng.random_range(0..3) {
                0 if !own.is_empty() => own[rng.random_range(0..own.len())].clone(),
                1 if !held.is_empty() => held[rng.random_range(0..held.len())].clone(),
                _ => (pick(rng, &seats).to_string(), customer(rng, &customers).to_string()),
            };
            let command = match rng.random_range(0..100) {
                0..70 => {
                    let (s, c) = (pick(rng, &seats), customer(rng, &customers));
                    own.push((s.to_string(), c.to_string()));
                    SeatCommand::hold(EVENT, s, c)
                }
                70..85 => {
                    let (s, c) = known(rng, &own);
                    let others: Vec<String> = seats.iter().filter(|t| **t != s).cloned().collect();
                    SeatCommand::move_seat(EVENT, &c, &s, pick(rng, &others))
                }
                _ => {
                    let (s, c) = known(rng, &own);
                    SeatCommand::release(EVENT, &s, &c)
                }
            };
            commands.push(Scheduled { client, start, command });
        }
    }
    let max = Duration::from_micros(rng.random_range(1_500..=4_000));
    let latency = Latency { read_min: Duration::from_millis(1), read_max: max, append_min: Duration::from_millis(1), append_max: max };
    let setup = held.iter().map(|(s, c)| SeatCommand::hold(EVENT, s, c)).collect();
    Scenario { policy: RetryPolicy::csharp(), latency, ..Scenario::new(setup, commands) }
}
