//! Measurement (ignored by default): how many generated seeds it takes to
//! catch each bug, with the generic checkers alone and with the domain
//! invariants added, over 20 start seeds (0, 10 000, 20 000, …).
//!
//! `cargo test --release -p seats --test sim -- --ignored --nocapture measure::`

use crate::common;

use seats::{AdapterVariant, HandlerVariant, SeatsWorkload};

/// Start seeds: 0, 10 000, …, 190 000.
const STARTS: u64 = 20;
/// Distance between start seeds.
const STRIDE: u64 = 10_000;
/// Give up after this many seeds from a start (reported as `>CAP`).
const CAP: u64 = STRIDE;

/// Seeds from `start` up to and including the first failing one, or `None`
/// when `CAP` seeds pass.
fn seeds_to_catch(w: &SeatsWorkload, start: u64) -> Option<u64> {
    common::first_failure(w, start, CAP, None).map(|r| r.seed - start + 1)
}

/// Median and worst of the counts (a miss counts as above every catch).
fn stats(mut counts: Vec<Option<u64>>) -> String {
    counts.sort_by_key(|c| c.unwrap_or(u64::MAX));
    let show = |c: Option<u64>| c.map_or(format!(">{CAP}"), |n| n.to_string());
    let n = counts.len();
    let median = if n % 2 == 1 {
        show(counts[n / 2])
    } else {
        match (counts[n / 2 - 1], counts[n / 2]) {
            (Some(a), Some(b)) => format!("{}", (a + b) as f64 / 2.0),
            (_, b) => show(b),
        }
    };
    format!("{median:>14} | {:>13}", show(counts[n - 1]))
}

#[test]
#[ignore = "measurement: run with --ignored --nocapture"]
fn seeds_to_catch_each_bug() {
    let bugs = [
        ("handler NarrowCondition", SeatsWorkload::with_handler(HandlerVariant::NarrowCondition)),
        ("handler StaleRetry", SeatsWorkload::with_handler(HandlerVariant::StaleRetry)),
        ("handler TwoReadsMaxAfter", SeatsWorkload::with_handler(HandlerVariant::TwoReadsMaxAfter)),
        ("adapter CheckThenInsert", SeatsWorkload::with_adapter(AdapterVariant::CheckThenInsert)),
    ];
    println!("seeds to catch over {STARTS} start seeds (0, {STRIDE}, …)");
    println!("| {:<25} | generic median | generic worst | +domain median | +domain worst |", "bug");
    println!("|{}|---------------:|--------------:|---------------:|--------------:|", "-".repeat(27));
    for (label, w) in bugs {
        let mut columns = Vec::new();
        for domain in [false, true] {
            let w = w.domain_checks(domain);
            columns.push(stats((0..STARTS).map(|i| seeds_to_catch(&w, i * STRIDE)).collect()));
        }
        println!("| {label:<25} | {} | {} |", columns[0], columns[1]);
    }
}

#[test]
fn stats_take_the_median_and_count_a_miss_as_the_worst() {
    assert_eq!(stats(vec![Some(3), Some(1), Some(2)]), format!("{:>14} | {:>13}", "2", "3"));
    assert_eq!(stats(vec![Some(4), Some(1), Some(2), Some(10)]), format!("{:>14} | {:>13}", "3", "10"));
    assert_eq!(stats(vec![Some(1), None]), format!("{:>14} | {:>13}", format!(">{CAP}"), format!(">{CAP}")));
}
