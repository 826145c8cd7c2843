//! [`TestTarget`]: the `cargo test` line that runs the failing test
//! again — its package, test binary, filter, profile, features and target
//! directory — so that a replay line runs verbatim from any crate.

use std::path::{Path, PathBuf};

/// The `cargo test` invocation that selects the running test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestTarget {
    /// `-p <package>` (from `CARGO_PKG_NAME`, which cargo sets when it runs tests).
    pub package: Option<String>,
    /// `--test <name>`, or `None` for the library's unit tests (`--lib`).
    pub test: Option<String>,
    /// The test filter (the running test's name), run with `--exact
    /// --include-ignored`.
    pub filter: Option<String>,
    /// Built with optimisations (print `--release`).
    pub release: bool,
    /// A target directory other than the default `target` (a user crate's
    /// `cargo simtest` alias builds in `target/madsim`): the printed line
    /// then passes that directory and `--cfg madsim` itself, so it runs
    /// verbatim without the alias.
    pub target_dir: Option<PathBuf>,
    /// The arguments that chose what was built: `--features`, `-F`,
    /// `--all-features`, `--no-default-features`, `--profile`. Detected
    /// from the `cargo` that started the test binary (Linux), or set with
    /// [`Check::cargo_args`](crate::explore::Check::cargo_args).
    pub cargo_args: Vec<String>,
}

impl TestTarget {
    /// The running test, or `filter` when given.
    pub fn detect(filter: Option<&str>) -> Self {
        let package = std::env::var("CARGO_PKG_NAME").ok();
        let exe = std::env::current_exe().ok();
        let thread = std::thread::current().name().map(str::to_string);
        Self::of(package, exe.as_deref(), thread.as_deref(), filter, !cfg!(debug_assertions), parent_cargo_args())
    }

    /// [`TestTarget::detect`] from what it reads: the package cargo named,
    /// the test binary's path, the running thread's name (libtest names it
    /// after the test), the filter given, the build's profile and the
    /// cargo arguments.
    fn of(package: Option<String>, exe: Option<&Path>, thread: Option<&str>, filter: Option<&str>, release: bool, cargo_args: Vec<String>) -> Self {
        let stem = exe.and_then(|e| e.file_stem().map(|s| s.to_string_lossy().into_owned()));
        // `bugs-0123abcd…` → `bugs`.
        let name = stem.map(|s| match s.rsplit_once('-') {
            Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_string(),
            _ => s,
        });
        let lib = |n: &str| package.as_deref().is_some_and(|p| p.replace('-', "_") == n);
        let test = name.filter(|n| !lib(n));
        let thread = thread.filter(|n| *n != "main").map(str::to_string);
        // target/<profile>/deps/<binary>: the target directory is three up.
        let target_dir = exe.and_then(|e| e.ancestors().nth(3).map(Path::to_path_buf)).filter(|d| d.file_name().is_some_and(|n| n != "target"));
        TestTarget { package, test, filter: filter.map(str::to_string).or(thread), release, target_dir, cargo_args }
    }

    /// `<env> cargo test …` for this target.
    pub fn command(&self, env: &str) -> String {
        let mut cmd = format!("{env} cargo test");
        let profile = self.cargo_args.iter().any(|a| a == "--profile" || a.starts_with("--profile="));
        if self.release && !profile {
            cmd.push_str(" --release");
        }
        if let Some(p) = &self.package {
            cmd.push_str(&format!(" -p {p}"));
        }
        for arg in &self.cargo_args {
            cmd.push(' ');
            cmd.push_str(&shell_word(arg));
        }
        if let Some(dir) = &self.target_dir {
            cmd.push_str(&format!(
                " --config \"build.rustflags=['--cfg','madsim']\" --config \"build.rustdocflags=['--cfg','madsim']\" --target-dir {}",
                dir.display()
            ));
        }
        match &self.test {
            Some(t) => cmd.push_str(&format!(" --test {t}")),
            None => cmd.push_str(" --lib"),
        }
        if let Some(f) = &self.filter {
            // --include-ignored: the line also replays a test marked #[ignore].
            cmd.push_str(&format!(" -- {f} --exact --include-ignored"));
        }
        cmd
    }
}

/// `arg` as one shell word (quoted when it holds anything but plain
/// characters, e.g. `--features "a b"`).
fn shell_word(arg: &str) -> String {
    if !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_=,./:+@".contains(c)) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The build-choosing arguments of the `cargo` process that started this
/// one (empty when the parent is not cargo, or off Linux).
fn parent_cargo_args() -> Vec<String> {
    #[cfg(target_os = "linux")]
    {
        let parent = std::os::unix::process::parent_id();
        let Ok(raw) = std::fs::read(format!("/proc/{parent}/cmdline")) else { return Vec::new() };
        build_args(&cmdline_args(&raw))
    }
    #[cfg(not(target_os = "linux"))]
    Vec::new()
}

/// The arguments of a `/proc/<pid>/cmdline` (NUL-terminated strings).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn cmdline_args(raw: &[u8]) -> Vec<String> {
    raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect()
}

/// Of a `cargo …` command line, the arguments that choose features and
/// profile (before any `--`); nothing when `args[0]` is not cargo.
pub(crate) fn build_args(args: &[String]) -> Vec<String> {
    let cargo = args.first().and_then(|a| Path::new(a).file_name()).is_some_and(|n| n.to_string_lossy().starts_with("cargo"));
    if !cargo {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--" => break,
            "--features" | "-F" | "--profile" => {
                if let Some(value) = rest.next() {
                    out.extend([arg.clone(), value.clone()]);
                }
            }
            "--all-features" | "--no-default-features" => out.push(arg.clone()),
            a if a.starts_with("--features=") || a.starts_with("--profile=") || (a.starts_with("-F") && a.len() > 2) => out.push(arg.clone()),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn only_the_arguments_that_choose_features_and_profile_are_kept() {
        let args = words("/home/u/.cargo/bin/cargo simtest --release -p seats --features planted-bug -F=x --all-features --no-default-features --profile bench --test sim -- --features not-this");
        assert_eq!(build_args(&args), words("--features planted-bug -F=x --all-features --no-default-features --profile bench"));
        assert_eq!(build_args(&words("cargo test --features=a,b -Fc --profile=dev")), words("--features=a,b -Fc --profile=dev"));
        assert!(build_args(&words("/usr/bin/bash -c cargo --features x")).is_empty(), "not started by cargo");
        assert!(build_args(&words("cargo test --features")).is_empty(), "a flag without its value");
    }

    #[test]
    fn the_printed_line_carries_them_and_a_profile_replaces_release() {
        let mut target = TestTarget {
            package: Some("seats".into()),
            test: Some("sim".into()),
            filter: Some("check::fixture".into()),
            release: true,
            target_dir: None,
            cargo_args: words("--features planted-bug"),
        };
        assert_eq!(target.command("DCB_SEED=3"), "DCB_SEED=3 cargo test --release -p seats --features planted-bug --test sim -- check::fixture --exact --include-ignored");
        target.cargo_args = vec!["--profile".into(), "ci".into(), "--features".into(), "a b".into()];
        assert_eq!(target.command("DCB_SEED=3"), "DCB_SEED=3 cargo test -p seats --profile ci --features 'a b' --test sim -- check::fixture --exact --include-ignored");
    }

    #[test]
    fn the_target_is_read_from_the_binary_the_thread_and_the_package() {
        let exe = |p: &str| Some(Path::new(p).to_path_buf());
        // A library's unit tests: `--lib`, the thread's test name as filter.
        let t = TestTarget::of(Some("dcb-sim".into()), exe("/c/target/release/deps/dcb_sim-0123abcdef").as_deref(), Some("explore::x"), None, true, Vec::new());
        assert_eq!((t.package.as_deref(), t.test, t.filter.as_deref(), t.target_dir), (Some("dcb-sim"), None, Some("explore::x"), None));
        // An integration test in a custom target dir, run on the main thread.
        let t = TestTarget::of(Some("seats".into()), exe("/c/target/madsim/debug/deps/sim-89ab").as_deref(), Some("main"), None, false, Vec::new());
        assert_eq!((t.test.as_deref(), t.filter, t.target_dir), (Some("sim"), None, Some(PathBuf::from("/c/target/madsim"))));
        assert!(!t.release);
        // A name whose last part is no hash keeps it; a given filter wins.
        let t = TestTarget::of(None, exe("/c/target/debug/deps/my-tool").as_deref(), Some("t"), Some("f"), true, Vec::new());
        assert_eq!((t.test.as_deref(), t.filter.as_deref()), (Some("my-tool"), Some("f")));
        assert!(t.release);
        let t = TestTarget::of(None, None, None, None, true, vec!["--features".into(), "x".into()]);
        assert_eq!((t.test, t.filter, t.target_dir, t.cargo_args), (None, None, None, words("--features x")));
    }

    #[test]
    fn the_running_test_is_detected() {
        let t = TestTarget::detect(None);
        assert_eq!(t.filter.as_deref(), std::thread::current().name().filter(|n| *n != "main"));
        assert_eq!(t.package.as_deref(), Some(env!("CARGO_PKG_NAME")));
        assert_eq!(t.test, None, "a unit test of the library");
        assert_eq!(t.release, !cfg!(debug_assertions));
        // The cargo arguments are build arguments only.
        let again: Vec<String> = std::iter::once("cargo".to_string()).chain(t.cargo_args.iter().cloned()).collect();
        assert_eq!(build_args(&again), t.cargo_args);
        assert_eq!(TestTarget::detect(Some("f")).filter.as_deref(), Some("f"));
    }

    #[test]
    fn a_cmdline_is_split_at_its_nuls() {
        assert_eq!(cmdline_args(b"cargo\0test\0--features\0a b\0\0"), ["cargo", "test", "--features", "a b"]);
        assert!(cmdline_args(b"").is_empty());
    }

    #[test]
    fn a_line_without_package_test_or_filter_runs_the_library_in_its_target_dir() {
        let mut target = TestTarget { package: None, test: None, filter: None, release: false, target_dir: Some(PathBuf::from("/c/target/madsim")), cargo_args: Vec::new() };
        assert_eq!(
            target.command("DCB_SEED=1"),
            "DCB_SEED=1 cargo test --config \"build.rustflags=['--cfg','madsim']\" --config \"build.rustdocflags=['--cfg','madsim']\" --target-dir /c/target/madsim --lib"
        );
        target.target_dir = None;
        target.release = true;
        target.cargo_args = words("--profile=ci");
        assert_eq!(target.command("X=1"), "X=1 cargo test --profile=ci --lib");
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("--features=a,b./:+@_-1"), "--features=a,b./:+@_-1");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
