//! `forkexec-probe [PROGRAM [ARG [ARG]]]` — spawns `PROGRAM` (default `true`)
//! through [`forkexec_probe`] and exits with the child's code.
//!
//! `cargo xtask check-targets` links this program for macOS against
//! libSystem's stub, so that a binding to a symbol libSystem lacks fails the
//! link; it runs it on the build machine's own system too.

use std::ffi::CString;
use std::os::unix::ffi::OsStringExt;
use std::process::ExitCode;

use forkexec_probe::{FORK, PIDFD, Request, Str, forkexec_probe};

fn main() -> ExitCode {
    let mut args = std::env::args_os()
        .skip(1)
        .map(|arg| CString::new(arg.into_vec()).expect("an argument holds a NUL byte"));
    let program = args.next().unwrap_or_else(|| c"true".into());
    let args: Vec<CString> = args.take(2).collect();
    let arg = |i: usize| args.get(i).map_or(Str::NONE, |a| Str::of(a));
    let fds = [0, 1, 2];
    let request = Request {
        program: Str::of(&program),
        args: [arg(0), arg(1)],
        env: Str::NONE,
        dir: Str::NONE,
        chroot: Str::NONE,
        uid: 0,
        gid: 0,
        groups: std::ptr::null(),
        ngroups: 0,
        pgid: 0,
        ctty: -1,
        fds: fds.as_ptr(),
        nfds: fds.len(),
        signal: 0,
        // On Linux, the child's pidfd too, waited for and signalled
        // through.
        flags: FORK | if cfg!(target_os = "linux") { PIDFD } else { 0 },
    };
    // SAFETY: every pointer of `request` is null or points to live data of
    // the kind its field names.
    let code = unsafe { forkexec_probe(&request) };
    if code < 0 {
        eprintln!("forkexec-probe: spawn failed: {code}");
        return ExitCode::FAILURE;
    }
    ExitCode::from(code as u8)
}
