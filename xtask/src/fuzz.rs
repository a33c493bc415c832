//! `cargo xtask fuzz [--seconds N]` — runs every fuzz target in `fuzz/`
//! for a bounded time (30 seconds each unless told otherwise).
//!
//! The targets are built by cargo-fuzz with the nightly toolchain; when
//! `cargo fuzz` is missing it is installed from crates.io first.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The fuzz targets, each a `[[bin]]` of `fuzz/Cargo.toml`.
const TARGETS: &[&str] = &["fdmap"];

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 30;

/// Runs every target for the time asked.
pub fn run(args: &[String]) -> Result<(), String> {
    let seconds = parse(args)?;
    let root = workspace_root();
    ensure_cargo_fuzz()?;
    for target in TARGETS {
        println!("fuzz: {target} for {seconds} s");
        let status = Command::new("cargo")
            .args(["+nightly", "fuzz", "run", target, "--"])
            .arg(format!("-max_total_time={seconds}"))
            // Only the summary, not a line per new input.
            .arg("-print_final_stats=1")
            .current_dir(&root)
            .status()
            .map_err(|e| format!("fuzz: cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!(
                "fuzz: {target} failed ({status}); the input is in fuzz/artifacts/{target}/"
            ));
        }
    }
    Ok(())
}

fn parse(args: &[String]) -> Result<u64, String> {
    match args {
        [] => Ok(DEFAULT_SECONDS),
        [flag, n] if flag == "--seconds" => n
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("fuzz: --seconds wants a positive number, not `{n}`")),
        _ => Err("usage: cargo xtask fuzz [--seconds N]".to_owned()),
    }
}

/// The directory holding the workspace's `Cargo.toml` (and `fuzz/`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// Installs cargo-fuzz when `cargo fuzz` is not there.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let present = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    if present {
        return Ok(());
    }
    println!("fuzz: installing cargo-fuzz");
    let status = Command::new("cargo")
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .map_err(|e| format!("fuzz: cannot run cargo install: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("fuzz: installing cargo-fuzz failed ({status})"))
    }
}
