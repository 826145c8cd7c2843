use dcb_sim::sim::library::LibraryWorkload;
use dcb_sim::sim::enrollment::EnrollmentWorkload;
use dcb_sim::sim::{ExploreOptions, explore};

fn main() {
    let n: u64 = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(1000);
    for rep in 0..2 {
        let s = explore(&LibraryWorkload::default(), &ExploreOptions { seeds: n, max_reports: 2, ..Default::default() });
        println!("library default rep{rep}: {:.0}/s, {} violations {:?}, cmds/sched {:.1}", s.schedules_per_sec, s.violations, s.violations_by_invariant, s.commands as f64 / s.schedules as f64);
        let s = explore(&LibraryWorkload::default().with_faults(), &ExploreOptions { seeds: n, max_reports: 2, ..Default::default() });
        println!("library faults rep{rep}: {:.0}/s, {} violations {:?}", s.schedules_per_sec, s.violations, s.violations_by_invariant);
        if rep == 1 && s.violations > 0 { println!("{}", s.failures[0]); }
        let s = explore(&EnrollmentWorkload::default(), &ExploreOptions { seeds: n, max_reports: 0, ..Default::default() });
        println!("enrollment default rep{rep}: {:.0}/s", s.schedules_per_sec);
    }
}
