//! Headless Chromium for the tests that check a page renders (Debian's
//! `chromium` package; `.ci/run` installs it): find it, run it with a fresh
//! profile and a time limit (`crate::support::chromium`).

#![allow(dead_code, reason = "each module uses what it needs")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// `/usr/bin/chromium`, else `chromium` on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    let system = PathBuf::from("/usr/bin/chromium");
    if system.is_file() {
        return Some(system);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join("chromium")).find(|p| p.is_file())
}

/// Runs headless Chromium with a fresh profile, no network chatter, and a
/// 120 s limit; panics unless it exits successfully.
pub fn chromium_run(chromium: &Path, profile: &Path, args: &[String]) -> std::process::Output {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    // Drain the pipes while waiting, so a full pipe cannot stall Chromium.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let tx2 = tx.clone();
    #[allow(clippy::disallowed_methods, reason = "a real OS process outside any simulation; its pipes need real threads")]
    let readers = [
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
            let _ = tx.send((0, buf));
        }),
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stderr, &mut buf);
            let _ = tx2.send((1, buf));
        }),
    ];
    let mut status = None;
    for _ in 0..1200 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("chromium {args:?} did not finish within 120 s");
    };
    for r in readers {
        let _ = r.join();
    }
    let (mut out, mut err) = (Vec::new(), Vec::new());
    for (which, buf) in rx.try_iter() {
        if which == 0 { out = buf } else { err = buf }
    }
    assert!(status.success(), "chromium {args:?} failed ({status}):\n{}", String::from_utf8_lossy(&err));
    std::process::Output { status, stdout: out, stderr: err }
}
