//! `cargo xtask ci` — every check the project holds itself to, in one run.
//!
//! Each check is one command. A check whose tool is missing is skipped with
//! the reason printed, except under `CI=true`, where every check is
//! required and a missing tool fails the run.

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// The longest any one check may take; a check that hangs is killed, with
/// every process it started, and fails.
const LIMIT: Duration = Duration::from_secs(20 * 60);

/// One check: a name, the command, and what it needs to run at all.
struct Check {
    name: &'static str,
    program: &'static str,
    args: Vec<&'static str>,
    env: Vec<(&'static str, &'static str)>,
    needs: Option<Need>,
}

/// Something a check needs that a fresh machine may lack.
enum Need {
    /// A rustup target for cross-building and running under qemu.
    Aarch64Linux,
}

fn check(name: &'static str, program: &'static str, args: &[&'static str]) -> Check {
    Check {
        name,
        program,
        args: args.to_vec(),
        env: Vec::new(),
        needs: None,
    }
}

fn cargo(name: &'static str, args: &[&'static str]) -> Check {
    check(name, "cargo", args)
}

impl Check {
    fn env(mut self, key: &'static str, value: &'static str) -> Self {
        self.env.push((key, value));
        self
    }

    fn needs(mut self, need: Need) -> Self {
        self.needs = Some(need);
        self
    }
}

/// Tests that cannot run under qemu-user, with the reason; each runs in the
/// native x86_64 suites.
const NOT_UNDER_QEMU: &[(&str, &str)] = &[(
    "close_other_fds_falls_back_when_close_range_is_refused",
    "qemu-user refuses seccomp filters",
)];

fn checks(quick: bool) -> Vec<Check> {
    let strict = ["--", "-D", "warnings"];
    let clippy = |features: &'static str| {
        let mut args = vec!["clippy", "--workspace", "--all-targets"];
        if !features.is_empty() {
            args.extend(["--features", features]);
        }
        args.extend(strict);
        args
    };
    let mut all = vec![
        cargo("fmt", &["fmt", "--all", "--", "--check"]),
        cargo("generated bindings", &["xtask", "gen", "--check"]),
        cargo("clippy", &clippy("")),
        cargo(
            "clippy (std, linux-libc)",
            &clippy("forkexec/std,forkexec/linux-libc"),
        ),
        cargo("doc", &["doc", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"),
        cargo("doc (std)", &["doc", "--no-deps", "--features", "std"])
            .env("RUSTDOCFLAGS", "-D warnings"),
        cargo(
            "test (strategy auto, std)",
            &[
                "test",
                "--no-fail-fast",
                "--workspace",
                "--features",
                "forkexec/std",
            ],
        )
        .env("FORKEXEC_TEST_STRATEGY", "auto"),
        cargo(
            "test (strategy fork)",
            &["test", "--no-fail-fast", "--workspace"],
        )
        .env("FORKEXEC_TEST_STRATEGY", "fork"),
        cargo(
            "test (strategy vfork)",
            &["test", "--no-fail-fast", "--workspace"],
        )
        .env("FORKEXEC_TEST_STRATEGY", "vfork"),
        // The libc flavour runs the extern "C" binding shape of macOS and the
        // BSDs for real; it has no vfork fast path.
        cargo(
            "test (linux-libc)",
            &[
                "test",
                "--no-fail-fast",
                "--workspace",
                "--features",
                "forkexec/linux-libc",
            ],
        )
        .env("FORKEXEC_TEST_STRATEGY", "fork"),
    ];
    let mut qemu = vec![
        "test",
        "--no-fail-fast",
        "--target",
        "aarch64-unknown-linux-gnu",
        "--",
    ];
    for (test, _) in NOT_UNDER_QEMU {
        qemu.extend(["--skip", test]);
    }
    // qemu-user forks a guest with host fork() while its other guest threads
    // may hold qemu's own locks, and the copy can then wait on one forever:
    // the hazard this crate exists for, inside the emulator. Tests run one
    // at a time there, which keeps the harness's threads quiet at forks.
    qemu.push("--test-threads=1");
    all.push(
        cargo("test aarch64 under qemu (strategy fork)", &qemu)
            .env("FORKEXEC_TEST_STRATEGY", "fork")
            .needs(Need::Aarch64Linux),
    );
    all.push(
        cargo("test aarch64 under qemu (strategy vfork)", &qemu)
            .env("FORKEXEC_TEST_STRATEGY", "vfork")
            .needs(Need::Aarch64Linux),
    );
    all.push(cargo("check-targets", &["xtask", "check-targets"]));
    all.push(cargo("bench --quick", &["xtask", "bench", "--quick"]));
    all.extend([
        cargo(
            "example run",
            &["run", "--example", "run", "--", "echo", "hello"],
        ),
        cargo(
            "example signal_handler",
            &["run", "--example", "signal_handler"],
        ),
        cargo("example allocator", &["run", "--example", "allocator"]),
    ]);
    if !quick {
        all.push(cargo("package", &["package", "--allow-dirty", "--quiet"]));
        all.push(cargo(
            "fuzz (30 s per target)",
            &["xtask", "fuzz", "--seconds", "30"],
        ));
    }
    all
}

/// Runs every check, prints a summary, and fails if any check failed.
pub fn run(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    if let Some(other) = args.iter().find(|a| *a != "--quick") {
        return Err(format!("ci: unknown argument `{other}`"));
    }
    let required = std::env::var("CI").is_ok_and(|v| v == "true");
    for (test, why) in NOT_UNDER_QEMU {
        println!("ci: under qemu, `{test}` is skipped: {why}; it runs natively");
    }
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for check in checks(quick) {
        if let Some(Err(why)) = check.needs.as_ref().map(available) {
            if required {
                println!(
                    "ci: {} FAILED: required under CI=true, but {why}",
                    check.name
                );
                failed += 1;
                failures.push(check.name);
            } else {
                println!("ci: {} skipped: {why}", check.name);
                skipped += 1;
            }
            continue;
        }
        println!("ci: {} ...", check.name);
        let start = Instant::now();
        let status = run_bounded(&check, LIMIT);
        let secs = start.elapsed().as_secs_f64();
        match status {
            Ok(status) if status.success() => {
                println!("ci: {} ok ({secs:.0} s)", check.name);
                passed += 1;
            }
            Ok(status) => {
                println!("ci: {} FAILED ({status}, {secs:.0} s)", check.name);
                failed += 1;
                failures.push(check.name);
            }
            Err(err) => {
                println!(
                    "ci: {} FAILED: cannot run {}: {err}",
                    check.name, check.program
                );
                failed += 1;
                failures.push(check.name);
            }
        }
    }
    for name in &failures {
        println!("ci: failed: {name}");
    }
    if skipped > 0 {
        println!("ci: {passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("ci: {passed} passed, {failed} failed");
    }
    if failed > 0 {
        return Err(format!("{failed} check(s) failed"));
    }
    Ok(())
}

/// Whether what `need` names is on this machine; the reason when it is not.
fn available(need: &Need) -> Result<(), String> {
    match need {
        Need::Aarch64Linux => {
            let targets = Command::new("rustup")
                .args(["target", "list", "--installed"])
                .output()
                .map_err(|e| format!("rustup cannot be run: {e}"))?;
            if !String::from_utf8_lossy(&targets.stdout).contains("aarch64-unknown-linux-gnu") {
                return Err("the rustup target aarch64-unknown-linux-gnu is not installed".into());
            }
            for tool in ["qemu-aarch64", "aarch64-linux-gnu-gcc"] {
                if Command::new(tool).arg("--version").output().is_err() {
                    return Err(format!("`{tool}` is not installed"));
                }
            }
            Ok(())
        }
    }
}

/// Runs `check` in a process group of its own, killing the whole group when
/// it runs past `limit`.
fn run_bounded(check: &Check, limit: Duration) -> std::io::Result<ExitStatus> {
    let mut child = Command::new(check.program)
        .args(&check.args)
        .envs(check.env.iter().copied())
        .process_group(0)
        .spawn()?;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if start.elapsed() > limit {
            println!(
                "ci: {} ran past {} s: killing it",
                check.name,
                limit.as_secs()
            );
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            return child.wait();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
