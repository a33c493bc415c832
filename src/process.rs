//! The started child: waiting for it, decoding its status, signalling it.

use core::sync::atomic::{AtomicBool, Ordering};

use libc::{c_int, pid_t};

use crate::Errno;
use crate::os;

/// `Child` — a started child process, identified by its pid, and on Linux
/// by its pidfd when the command asked for one ([`Command::pidfd`]).
///
/// Dropping a `Child` neither waits for it nor kills it: a child that is never
/// waited for stays a zombie until the parent exits, as with
/// `std::process::Child`. It closes the child's pidfd, if it has one.
///
/// Once one of its waits has returned an end ([`ExitStatus::Exited`] or
/// [`ExitStatus::Signaled`]), the child is reaped and its pid may be given to
/// another process. The `Child` remembers that: its later waits fail with
/// `ECHILD` and [`kill`](Child::kill) with `ESRCH`, without a system call
/// that could reach the pid's new owner. A child reaped by other code (a
/// `SIGCHLD` handler, `waitpid(-1)`), or a kill racing with the wait that
/// reaps, is beyond what the pid can tell; a pidfd is not: with one, waiting
/// and signalling go through it and can only ever reach this child, and
/// once it is reaped the kernel answers `ECHILD` and `ESRCH`.
///
/// Its methods make one system call each (retried on `EINTR`; on Linux 5.2
/// and 5.3, two: see [`wait`](Child::wait)) and allocate nothing, so they
/// may be called from a signal handler.
///
/// [`Command::pidfd`]: crate::Command::pidfd
#[derive(Debug)]
pub struct Child {
    pid: pid_t,
    /// The pidfd, which the `Child` owns, or -1.
    pidfd: c_int,
    /// Set once a wait of this `Child` has reaped it.
    reaped: AtomicBool,
}

impl Child {
    /// A child with the pidfd `pidfd` (-1 for none), which it then owns.
    pub(crate) const fn with_pidfd(pid: pid_t, pidfd: c_int) -> Self {
        Self {
            pid,
            pidfd,
            reaped: AtomicBool::new(false),
        }
    }

    /// `child.pid()` — the child's process id.
    pub const fn pid(&self) -> pid_t {
        self.pid
    }

    /// `child.pidfd()` — the child's pidfd (Linux), a close-on-exec
    /// descriptor that refers to the child process itself; `None` unless the
    /// command asked for one with [`Command::pidfd`].
    ///
    /// The `Child` owns it and closes it when dropped; the caller may poll
    /// it (readable once the child has ended) or pass it to other pidfd
    /// calls, but must not close it. With the `std` feature,
    /// `child.as_pidfd()` lends it as a `BorrowedFd`.
    ///
    /// # References
    ///
    /// - [Linux `pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    /// - [Linux `clone(2)`, `CLONE_PIDFD`](https://man7.org/linux/man-pages/man2/clone.2.html)
    ///
    /// [`Command::pidfd`]: crate::Command::pidfd
    pub const fn pidfd(&self) -> Option<c_int> {
        if self.pidfd >= 0 {
            Some(self.pidfd)
        } else {
            None
        }
    }

    /// One wait of this child, by `wait4` options: through the pidfd when
    /// there is one; by pid otherwise, or `ECHILD` if a wait of this `Child`
    /// reaped it already. Notes the reaping.
    fn wait_once(&self, options: c_int) -> Result<Option<ExitStatus>, Errno> {
        let status = self.wait_by_pidfd_or_pid(options)?;
        if let Some(ExitStatus::Exited(_) | ExitStatus::Signaled { .. }) = status {
            self.reaped.store(true, Ordering::Release);
        }
        Ok(status)
    }

    fn wait_by_pidfd_or_pid(&self, options: c_int) -> Result<Option<ExitStatus>, Errno> {
        #[cfg(target_os = "linux")]
        if self.pidfd >= 0 {
            match crate::pidfd::wait(self.pidfd, options) {
                // Linux 5.2 and 5.3 make pidfds but do not know P_PIDFD; the
                // pid is still the child's until a wait reaps it.
                Err(Errno::EINVAL) => {}
                other => return other,
            }
        }
        if self.reaped.load(Ordering::Acquire) {
            return Err(Errno::ECHILD);
        }
        wait(self.pid, options)
    }

    /// `child.wait()` — waits until the child exits, is killed, or stops under
    /// `ptrace`, and decodes the result.
    ///
    /// Interrupted waits (`EINTR`) are retried. With a pidfd, the wait is
    /// `waitid(P_PIDFD, pidfd, WEXITED)` (Linux 5.4), decoded from the
    /// `siginfo_t` into the same [`ExitStatus`]; on Linux 5.2 and 5.3, which
    /// refuse `P_PIDFD` with `EINVAL`, it is `wait4` on the pid.
    ///
    /// # Errors
    ///
    /// The errno of `wait4` (or `waitid`): `ECHILD` when the child was already
    /// reaped (by an earlier wait, which the `Child` remembers, or by a
    /// `SIGCHLD` handler or disposition that reaps children).
    ///
    /// # References
    ///
    /// - [POSIX `waitpid`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/waitpid.html)
    /// - [Linux `wait4(2)`](https://man7.org/linux/man-pages/man2/wait4.2.html)
    /// - [Linux `waitid(2)`](https://man7.org/linux/man-pages/man2/waitid.2.html)
    /// - [macOS `wait(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/wait.2.html)
    /// - [FreeBSD `wait4(2)`](https://man.freebsd.org/cgi/man.cgi?query=wait4&sektion=2)
    /// - [OpenBSD `wait4(2)`](https://man.openbsd.org/wait4.2)
    /// - [NetBSD `wait4(2)`](https://man.netbsd.org/wait4.2)
    pub fn wait(&self) -> Result<ExitStatus, Errno> {
        loop {
            match self.wait_once(0) {
                Err(Errno::EINTR) => continue,
                Err(errno) => return Err(errno),
                Ok(None) => continue,
                Ok(Some(status)) => return Ok(status),
            }
        }
    }

    /// `child.try_wait()` — the child's status if it has changed, without
    /// blocking (`WNOHANG`); `None` while it runs.
    ///
    /// # Errors
    ///
    /// As for [`wait`](Child::wait).
    ///
    /// # References
    ///
    /// - [POSIX `waitpid`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/waitpid.html)
    /// - [Linux `wait4(2)`](https://man7.org/linux/man-pages/man2/wait4.2.html)
    /// - [Linux `waitid(2)`](https://man7.org/linux/man-pages/man2/waitid.2.html)
    /// - [macOS `wait(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/wait.2.html)
    /// - [FreeBSD `wait4(2)`](https://man.freebsd.org/cgi/man.cgi?query=wait4&sektion=2)
    /// - [OpenBSD `wait4(2)`](https://man.openbsd.org/wait4.2)
    /// - [NetBSD `wait4(2)`](https://man.netbsd.org/wait4.2)
    pub fn try_wait(&self) -> Result<Option<ExitStatus>, Errno> {
        loop {
            match self.wait_once(libc::WNOHANG) {
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
    ///
    /// # References
    ///
    /// - [POSIX `waitpid`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/waitpid.html)
    /// - [Linux `wait4(2)`](https://man7.org/linux/man-pages/man2/wait4.2.html)
    /// - [Linux `waitid(2)`](https://man7.org/linux/man-pages/man2/waitid.2.html)
    /// - [macOS `wait(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/wait.2.html)
    /// - [FreeBSD `wait4(2)`](https://man.freebsd.org/cgi/man.cgi?query=wait4&sektion=2)
    /// - [OpenBSD `wait4(2)`](https://man.openbsd.org/wait4.2)
    /// - [NetBSD `wait4(2)`](https://man.netbsd.org/wait4.2)
    pub fn wait_stopped(&self) -> Result<ExitStatus, Errno> {
        loop {
            match self.wait_once(libc::WUNTRACED | libc::WCONTINUED) {
                Err(Errno::EINTR) | Ok(None) => continue,
                Err(errno) => return Err(errno),
                Ok(Some(status)) => return Ok(status),
            }
        }
    }

    /// `child.kill(sig)` — sends signal `sig` to the child.
    ///
    /// With a pidfd, the signal goes through it (`pidfd_send_signal`, Linux
    /// 5.1), so it reaches this child or nobody: once the child is reaped,
    /// `ESRCH`, even if its pid now belongs to another process. Without one,
    /// it is `kill` on the pid, unless a wait of this `Child` reaped it.
    ///
    /// # Errors
    ///
    /// The errno of `kill` (or `pidfd_send_signal`): `EINVAL` for a bad signal
    /// number, `ESRCH` when the child has exited and been reaped (without a
    /// pidfd, by a wait of this `Child`, or by other code as long as no other
    /// process got its pid), `EPERM` when the caller may not signal it.
    ///
    /// # References
    ///
    /// - [POSIX `kill`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/kill.html)
    /// - [Linux `kill(2)`](https://man7.org/linux/man-pages/man2/kill.2.html)
    /// - [Linux `pidfd_send_signal(2)`](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
    /// - [macOS `kill(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/kill.2.html)
    /// - [FreeBSD `kill(2)`](https://man.freebsd.org/cgi/man.cgi?query=kill&sektion=2)
    /// - [OpenBSD `kill(2)`](https://man.openbsd.org/kill.2)
    /// - [NetBSD `kill(2)`](https://man.netbsd.org/kill.2)
    pub fn kill(&self, sig: c_int) -> Result<(), Errno> {
        #[cfg(target_os = "linux")]
        if self.pidfd >= 0 {
            return crate::pidfd::kill(self.pidfd, sig);
        }
        if self.reaped.load(Ordering::Acquire) {
            return Err(Errno::ESRCH);
        }
        // SAFETY: kill takes no pointer.
        unsafe { os::kill(self.pid, sig) }
    }
}

/// Closes the pidfd; the child itself is left alone (see [`Child`]).
impl Drop for Child {
    fn drop(&mut self) {
        if self.pidfd >= 0 {
            // SAFETY: the Child owns its pidfd, and nothing uses it after
            // this.
            let _ = unsafe { os::close(self.pidfd) };
        }
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

/// `ExitStatus` — how a child ended, or why it stopped, decoded from the status
/// word of `wait4`.
///
/// [`from_raw`](ExitStatus::from_raw) and [`into_raw`](ExitStatus::into_raw)
/// convert from and to the status word; with the `std` feature it converts both
/// ways with `std::process::ExitStatus`.
///
/// ```
/// use forkexec::ExitStatus;
/// let status = ExitStatus::Signaled { signal: libc::SIGTERM, core_dumped: false };
/// assert!(!status.success());
/// assert_eq!(status.code(), None);
/// assert_eq!(status.signal(), Some(libc::SIGTERM));
/// ```
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
    /// `ExitStatus::from_raw(status)` — decodes a raw `wait4` status word with
    /// this OS's `WIFEXITED`, `WIFSIGNALED`, `WIFCONTINUED` and `WIFSTOPPED`.
    ///
    /// # References
    ///
    /// - [POSIX `<sys/wait.h>`](https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/sys_wait.h.html)
    /// - [Linux `wait(2)`](https://man7.org/linux/man-pages/man2/wait.2.html)
    /// - [macOS `wait(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/wait.2.html)
    /// - [FreeBSD `wait(2)`](https://man.freebsd.org/cgi/man.cgi?query=wait&sektion=2)
    /// - [OpenBSD `wait(2)`](https://man.openbsd.org/wait.2)
    /// - [NetBSD `wait(2)`](https://man.netbsd.org/wait.2)
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
