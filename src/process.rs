//! The started child: waiting for it, decoding its status, signalling it.

use libc::{c_int, pid_t};

use crate::Errno;
use crate::os;

/// `Child` — a started child process, identified by its pid.
///
/// Dropping a `Child` neither waits for it nor kills it: a child that is
/// never waited for stays a zombie until the parent exits, as with
/// `std::process::Child`.
#[derive(Debug)]
pub struct Child {
    pid: pid_t,
}

impl Child {
    pub(crate) const fn from_pid(pid: pid_t) -> Self {
        Self { pid }
    }

    /// `child.pid()` — the child's process id.
    pub const fn pid(&self) -> pid_t {
        self.pid
    }

    /// `child.wait()` — waits until the child exits, is killed, or stops
    /// under `ptrace`, and decodes the result.
    ///
    /// Interrupted waits (`EINTR`) are retried.
    ///
    /// # Errors
    ///
    /// The errno of `wait4`: `ECHILD` when the child was already reaped.
    ///
    /// # References
    ///
    /// [POSIX `waitpid`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/waitpid.html),
    /// [Linux `wait4(2)`](https://man7.org/linux/man-pages/man2/wait4.2.html)
    pub fn wait(&self) -> Result<ExitStatus, Errno> {
        loop {
            match wait(self.pid, 0) {
                Err(Errno::EINTR) => continue,
                Err(errno) => return Err(errno),
                Ok(None) => continue,
                Ok(Some(status)) => return Ok(status),
            }
        }
    }

    /// `child.try_wait()` — the child's status if it has changed, without
    /// blocking (`WNOHANG`).
    ///
    /// # Errors
    ///
    /// As for [`wait`](Child::wait).
    pub fn try_wait(&self) -> Result<Option<ExitStatus>, Errno> {
        loop {
            match wait(self.pid, libc::WNOHANG) {
                Err(Errno::EINTR) => continue,
                other => return other,
            }
        }
    }

    /// `child.wait_stopped()` — like [`wait`](Child::wait), but also returns
    /// when the child is stopped by a signal or continued (`WUNTRACED |
    /// WCONTINUED`).
    ///
    /// # Errors
    ///
    /// As for [`wait`](Child::wait).
    pub fn wait_stopped(&self) -> Result<ExitStatus, Errno> {
        loop {
            match wait(self.pid, libc::WUNTRACED | libc::WCONTINUED) {
                Err(Errno::EINTR) | Ok(None) => continue,
                Err(errno) => return Err(errno),
                Ok(Some(status)) => return Ok(status),
            }
        }
    }

    /// `child.kill(sig)` — sends signal `sig` to the child.
    ///
    /// # Errors
    ///
    /// The errno of `kill`: `EINVAL` for a bad signal number, `ESRCH` when
    /// the child has been reaped.
    pub fn kill(&self, sig: c_int) -> Result<(), Errno> {
        // SAFETY: kill takes no pointer.
        unsafe { os::kill(self.pid, sig) }
    }
}

fn wait(pid: pid_t, options: c_int) -> Result<Option<ExitStatus>, Errno> {
    let mut status: c_int = 0;
    // SAFETY: `status` is a live c_int; no rusage is asked for.
    let got = unsafe { os::wait4(pid, &mut status, options, core::ptr::null_mut()) }?;
    if got == 0 {
        return Ok(None);
    }
    Ok(Some(ExitStatus::from_raw(status)))
}

/// Reaps `pid`, retrying on `EINTR`; errors are ignored, since the only
/// caller is cleaning up after a failure it already reports.
pub(crate) fn reap(pid: pid_t) {
    let mut status: c_int = 0;
    loop {
        // SAFETY: `status` is a live c_int.
        match unsafe { os::wait4(pid, &mut status, 0, core::ptr::null_mut()) } {
            Err(Errno::EINTR) => continue,
            _ => return,
        }
    }
}

// The traditional status word, the same on every supported OS: exit code in
// bits 8-15; terminating signal in bits 0-6 with the core flag in bit 7; a
// stop is 0x7f in bits 0-7 with the signal in bits 8-15 (`sys/wait.h` of
// each OS, `bits/waitstatus.h` on Linux).
const WCOREFLAG: c_int = 0x80;
const WSTOPPED: c_int = 0x7f;

/// The status word of a continued child: `__W_CONTINUED` (Linux
/// `bits/waitstatus.h`), `_WCONTINUED` (OpenBSD and NetBSD `sys/wait.h`).
#[cfg(any(target_os = "linux", target_os = "openbsd", target_os = "netbsd"))]
const WCONTINUED_STATUS: c_int = 0xffff;
/// FreeBSD `sys/wait.h`: `WIFCONTINUED(x)` is `x == 0x13`, the number of
/// `SIGCONT`.
#[cfg(target_os = "freebsd")]
const WCONTINUED_STATUS: c_int = 0x13;
/// macOS `sys/wait.h`: a stop by `SIGCONT` (0x13) means continued.
#[cfg(target_os = "macos")]
const WCONTINUED_STATUS: c_int = (0x13 << 8) | WSTOPPED;

/// `ExitStatus` — how a child ended, or why it stopped, decoded from the
/// status word of `wait4`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// It called `exit` with this code (0 to 255).
    Exited(c_int),
    /// A signal killed it.
    Signaled {
        /// The signal.
        signal: c_int,
        /// Whether it dumped core.
        core_dumped: bool,
    },
    /// A signal stopped it (with `ptrace`, also at its `execve`: `SIGTRAP`).
    Stopped(c_int),
    /// `SIGCONT` continued it.
    Continued,
}

impl ExitStatus {
    /// `ExitStatus::from_raw(status)` — decodes a raw `wait4` status word.
    pub const fn from_raw(status: c_int) -> Self {
        // The W* functions of `libc` follow each OS's own encoding.
        if libc::WIFEXITED(status) {
            ExitStatus::Exited(libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            ExitStatus::Signaled {
                signal: libc::WTERMSIG(status),
                core_dumped: libc::WCOREDUMP(status),
            }
        } else if libc::WIFCONTINUED(status) {
            ExitStatus::Continued
        } else {
            ExitStatus::Stopped(libc::WSTOPSIG(status))
        }
    }

    /// `status.into_raw()` — the status word `wait4` reports for this
    /// status, in this OS's encoding; the inverse of
    /// [`from_raw`](ExitStatus::from_raw).
    ///
    /// The word is rebuilt from the decoded fields, so what the decoding
    /// drops is not there: the `PTRACE_EVENT_*` bits of a Linux ptrace stop,
    /// and all but the low 8 bits of an exit code (`exit` keeps no more).
    ///
    /// ```
    /// use forkexec::ExitStatus;
    /// for status in [
    ///     ExitStatus::Exited(3),
    ///     ExitStatus::Signaled { signal: 9, core_dumped: false },
    ///     ExitStatus::Stopped(19),
    ///     ExitStatus::Continued,
    /// ] {
    ///     assert_eq!(ExitStatus::from_raw(status.into_raw()), status);
    /// }
    /// ```
    pub const fn into_raw(self) -> c_int {
        match self {
            ExitStatus::Exited(code) => (code & 0xff) << 8,
            ExitStatus::Signaled {
                signal,
                core_dumped,
            } => (signal & 0x7f) | if core_dumped { WCOREFLAG } else { 0 },
            ExitStatus::Stopped(signal) => ((signal & 0xff) << 8) | WSTOPPED,
            ExitStatus::Continued => WCONTINUED_STATUS,
        }
    }

    /// `status.success()` — whether it exited with code 0.
    pub const fn success(self) -> bool {
        matches!(self, ExitStatus::Exited(0))
    }

    /// `status.code()` — the exit code, if it exited.
    pub const fn code(self) -> Option<c_int> {
        match self {
            ExitStatus::Exited(code) => Some(code),
            _ => None,
        }
    }

    /// `status.signal()` — the signal that killed or stopped it, if any.
    pub const fn signal(self) -> Option<c_int> {
        match self {
            ExitStatus::Signaled { signal, .. } | ExitStatus::Stopped(signal) => Some(signal),
            _ => None,
        }
    }
}
