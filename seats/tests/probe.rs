use dcb_sim::sim::{ExploreOptions, explore};
use seats::*;

#[test]
fn probe() {
    let w = SeatsWorkload::default();
    let s = explore(&w, &ExploreOptions { seeds: 2000, ..Default::default() });
    println!("{s}");
    for (name, w) in [
        ("narrow", SeatsWorkload::with_handler(HandlerVariant::NarrowCondition)),
        ("stale", SeatsWorkload::with_handler(HandlerVariant::StaleRetry)),
        ("two", SeatsWorkload::with_handler(HandlerVariant::TwoReadsMaxAfter)),
        ("cti", SeatsWorkload::with_adapter(AdapterVariant::CheckThenInsert)),
    ] {
        for dc in [false, true] {
            let s = explore(&w.domain_checks(dc), &ExploreOptions { seeds: 2000, max_reports: 1, ..Default::default() });
            println!("{name} domain={dc}: {} of {} failed {:?} first {:?} ({:.1}s)", s.violations, s.schedules, s.violations_by_invariant, s.failures.first().map(|f| f.seed), s.elapsed_secs);
        }
    }
}
