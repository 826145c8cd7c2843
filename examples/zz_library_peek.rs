//! throwaway
use dcb_sim::sim::library::LibraryWorkload;
use dcb_sim::sim::enrollment::EnrollmentWorkload;
use dcb_sim::sim::{ExploreOptions, explore};

fn main() {
    let n: u64 = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(1000);
    let which = std::env::args().nth(2).unwrap_or_default();
    if which.contains('l') {
        let s = explore(&LibraryWorkload::default(), &ExploreOptions { seeds: n, max_reports: 2, ..Default::default() });
        println!("library default: {:.0}/s, {} violations {:?}, cmds/sched {:.1}", s.schedules_per_sec, s.violations, s.violations_by_invariant, s.commands as f64 / s.schedules as f64);
        if s.violations > 0 { println!("{}", s.failures[0]); }
        if which.contains('v') { println!("{s}"); }
    }
    if which.contains('f') {
        let s = explore(&LibraryWorkload::default().with_faults(), &ExploreOptions { seeds: n, max_reports: 2, ..Default::default() });
        println!("library faults: {:.0}/s, {} violations {:?}", s.schedules_per_sec, s.violations, s.violations_by_invariant);
        if s.violations > 0 { println!("{}", s.failures[0]); }
    }
    if which.contains('e') {
        let s = explore(&EnrollmentWorkload::default(), &ExploreOptions { seeds: n, max_reports: 0, ..Default::default() });
        println!("enrollment default: {:.0}/s", s.schedules_per_sec);
    }
    if which.contains('3') {
        let s = explore(&LibraryWorkload::with_clients(3), &ExploreOptions { seeds: n, max_reports: 0, ..Default::default() });
        println!("library 3 clients: {:.0}/s {} violations", s.schedules_per_sec, s.violations);
    }
}
