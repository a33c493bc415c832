//! `cargo xtask ci` — every check the project holds itself to, in one run.
//!
//! Each check is one command. A check whose tool is missing is skipped with
//! the reason printed, except under `CI=true`, where every check is
//! required and a missing tool fails the run.

use std::process::Command;
use std::time::Instant;

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

fn checks(quick: bool) -> Vec<Check> {
    let mut all = vec![
        check("fmt", "cargo", &["fmt", "--all", "--", "--check"]),
        check("generated bindings", "cargo", &["xtask", "gen", "--check"]),
        check(
            "clippy",
            "cargo",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        check(
            "clippy (linux-libc)",
            "cargo",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--features",
                "linux-libc",
                "--",
                "-D",
                "warnings",
            ],
        ),
    ];
    for strategy in ["auto", "fork", "vfork"] {
        let mut test = check("test", "cargo", &["test", "--workspace"]);
        test.env.push(("FORKEXEC_TEST_STRATEGY", strategy));
        test.name = match strategy {
            "auto" => "test (strategy auto)",
            "fork" => "test (strategy fork)",
            _ => "test (strategy vfork)",
        };
        all.push(test);
    }
    // The libc flavour runs the extern "C" binding shape of macOS and the
    // BSDs for real; it has no vfork fast path.
    let mut test = check(
        "test (linux-libc)",
        "cargo",
        &["test", "--workspace", "--features", "forkexec/linux-libc"],
    );
    test.env.push(("FORKEXEC_TEST_STRATEGY", "fork"));
    all.push(test);
    for strategy in ["fork", "vfork"] {
        let mut test = check(
            "",
            "cargo",
            &["test", "--target", "aarch64-unknown-linux-gnu"],
        );
        test.env.push(("FORKEXEC_TEST_STRATEGY", strategy));
        test.name = match strategy {
            "fork" => "test aarch64 under qemu (strategy fork)",
            _ => "test aarch64 under qemu (strategy vfork)",
        };
        test.needs = Some(Need::Aarch64Linux);
        all.push(test);
    }
    let mut doc = check("doc", "cargo", &["doc", "--no-deps"]);
    doc.env.push(("RUSTDOCFLAGS", "-D warnings"));
    all.push(doc);
    if !quick {
        all.push(check(
            "run example",
            "cargo",
            &["run", "--example", "run", "--", "echo", "hello"],
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
        let status = Command::new(check.program)
            .args(&check.args)
            .envs(check.env.iter().copied())
            .status();
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
