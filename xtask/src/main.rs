//! Project tasks: `cargo xtask <task>`.

use std::process::ExitCode;

mod bench;
mod check;
mod ci;
mod fuzz;
#[path = "gen.rs"]
mod generate;
mod spec;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match task.as_str() {
        "bench" => bench::run(rest),
        "check-targets" => check::run(rest),
        "ci" => ci::run(rest),
        "fuzz" => fuzz::run(rest),
        "gen" => generate::run(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown task `{task}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  bench [--quick] [--out DIR]
                 spawn latency against the spawner's RSS, every method side by
                 side; writes docs/bench (--quick: a short run, to target/)
  check-targets [TARGET...]
                 build, lint and audit the crate for every OS and arch:
                 check, clippy, the spawn path's imports and relocations,
                 variadic declarations, the macOS link against libSystem
  ci [--quick]   every check: formatting, lints, the test suite with each
                 strategy, aarch64 under qemu, docs (CI=true: all required)
  fuzz [--seconds N]
                 every fuzz target in fuzz/ for N seconds (default 30)
  gen [--check]  write src/os/*/<arch>.rs from xtask/spec/calls.toml, or
                 (--check) fail when a committed file differs
  help           this text";
