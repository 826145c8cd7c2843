//! scratch
#[cfg(not(madsim))]
compile_error!("sim-tests need --cfg madsim");
use dcb_sim::plant::Plant;
use dcb_sim::sim::enrollment::EnrollmentWorkload;
use dcb_sim::sim::{ExploreOptions, Scenario, explore, run, timeline};
#[test]
fn scratch() {
    let w = EnrollmentWorkload::default();
    let opts = ExploreOptions { seeds: 2000, plant: Some(Plant::NonAtomicStore), stop_on_failure: true, max_reports: 1, ..ExploreOptions::default() };
    let s = explore(&w, &opts);
    let r = s.failures[0].clone();
    let scenario: Scenario<_> = serde_json::from_value(r.scenario.clone()).unwrap();
    let res = run(&w, &scenario, r.seed);
    println!("{}", timeline(&res.history));
    for v in &res.violations { println!("{v:?}"); }
}
