//! The programs the benchmark builds before it measures: the tiny static
//! child, the C reference points and the Go peer.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The built programs.
pub struct Programs {
    /// The tiny static child (`xtask/bench/tiny.c`).
    pub tiny: PathBuf,
    /// The C vfork+execve and fork+execve spawner (`xtask/bench/floor.c`).
    pub floor: PathBuf,
    /// The Go os/exec spawner (`xtask/bench/peer.go`), or why there is none.
    pub go: Result<PathBuf, String>,
}

/// `build(sources, work)` — compiles the programs of `sources` into `work`.
///
/// # Errors
///
/// A C compiler that is missing or fails; a Go toolchain that fails to
/// build the peer. A missing `go` is not an error here: it is reported in
/// [`Programs::go`].
pub fn build(sources: &Path, work: &Path) -> Result<Programs, String> {
    std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());

    let tiny = work.join("tiny");
    run(Command::new(&cc)
        .args(["-static", "-nostdlib", "-O2", "-o"])
        .arg(&tiny)
        .arg(sources.join("tiny.c")))?;

    let floor = work.join("floor");
    run(Command::new(&cc)
        .args(["-O2", "-pthread", "-o"])
        .arg(&floor)
        .arg(sources.join("floor.c")))?;

    let go = match Command::new("go").arg("version").output() {
        Err(e) => Err(format!(
            "`go` cannot be run ({e}); install Go (Debian: golang-go) to measure os/exec"
        )),
        Ok(out) if !out.status.success() => Err(format!(
            "`go version` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => {
            let peer = work.join("peer");
            // A cache and a GOPATH of its own, so the build needs neither
            // HOME nor the network; CGO_ENABLED=0 keeps the peer a static
            // program like any Go binary that does not use cgo.
            run(Command::new("go")
                .args(["build", "-o"])
                .arg(&peer)
                .arg(sources.join("peer.go"))
                .env("GOCACHE", work.join("gocache"))
                .env("GOPATH", work.join("gopath"))
                .env("GOFLAGS", "")
                .env("CGO_ENABLED", "0"))?;
            Ok(peer)
        }
    };

    Ok(Programs { tiny, floor, go })
}

/// `version(program, arg)` — the first line that `program arg` prints,
/// or `"unknown"`.
pub fn version(program: &str, arg: &str) -> String {
    Command::new(program)
        .arg(arg)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("{shown}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{shown} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
