#[cfg(not(madsim))]
compile_error!("sim-tests need --cfg madsim");
use dcb_sim::sim::hotkey::HotKeyWorkload;
use dcb_sim::sim::sweep::sweep;
use dcb_sim::sim::parse_policies;
use dcb_sim::retry::RetryPolicy;

#[test]
#[ignore]
fn experiment() {
    let n: u32 = std::env::var("N").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let seeds: u64 = std::env::var("S").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut policies = parse_policies("study-none,study-full,study-equal,study-decorrelated").unwrap();
    if std::env::var("AFTER").is_ok() {
        for (_, p) in &mut policies { p.cap_before_jitter = false; }
    }
    let _ = RetryPolicy::go_default();
    #[allow(clippy::disallowed_methods)]
    let t = std::time::Instant::now();
    let r = sweep(HotKeyWorkload::with_clients, &[n], &policies, 0, seeds, None);
    println!("{r}");
    println!("elapsed {:?}", t.elapsed());
}
