//! Linux pidfds: a descriptor that refers to one process, not to its pid.
//!
//! A pid names whatever process holds it now: once a child is reaped, the
//! kernel may give its pid to another process, and a `kill(pid)` or
//! `wait4(pid)` made after that reaches the stranger. A pidfd keeps naming
//! the child it was made for: after the child is reaped, signalling through
//! it fails with `ESRCH` and waiting with `ECHILD`.
//!
//! How a spawn gets one ([`Command::pidfd`](crate::Command::pidfd)):
//! - the kernel makes it together with the child, `CLONE_PIDFD` (Linux 5.2):
//!   `clone3`'s `pidfd` field on the fast path, `clone`'s parent-tid
//!   argument on the fork path and the fast path's fallback. It is
//!   close-on-exec, and it exists in the parent alone: the kernel installs
//!   it after it copied the descriptor table for the child.
//! - where `clone` refuses the flag with `EINVAL` (qemu-user 7.2, which
//!   also lacks `clone3`; seccomp profiles that filter clone flags), and
//!   with the `linux-libc` feature, whose `_Fork` takes no flags, the parent
//!   opens it with `pidfd_open` (Linux 5.3, close-on-exec too) as soon as
//!   the clone returns. That is as sound: the pid stays the child's until
//!   the child is reaped, and nothing reaps it before the spawn returns.
//!   Known limitation: a process that has the kernel reap its children
//!   (`SIGCHLD` ignored, or `SA_NOCLDWAIT`), or a thread that reaps any
//!   child (`wait(-1)`), can lose a child that ends at once, and its pid
//!   could be given again before `pidfd_open`; only `CLONE_PIDFD` closes
//!   that window, and such a process cannot wait for its children anyway.
//!
//! A kernel that ignores `CLONE_PIDFD` (before 5.2 the bit was unused and
//! `clone` did not check it) leaves the pidfd unset, and the spawn then
//! asks `pidfd_open`, which fails with `ENOSYS` there: the spawn kills and
//! reaps the child and reports `fork: ENOSYS`.
//!
//! Waiting goes through `waitid(P_PIDFD)` (Linux 5.4); on 5.2 and 5.3 the
//! kernel answers `EINVAL` to that idtype, and [`Child`](crate::Child)
//! falls back to `wait4` on the pid, which is still the child's since only
//! a wait reaps it. Signals go through `pidfd_send_signal` (Linux 5.1),
//! which every kernel that makes pidfds has.

#[cfg(not(feature = "linux-libc"))]
use core::sync::atomic::{AtomicBool, Ordering};

use libc::{c_int, pid_t};

use crate::{Errno, ExitStatus, os};

/// Whether `clone` takes `CLONE_PIDFD`; cleared for good once it refuses
/// the flag, after which the spawn opens the pidfd with `pidfd_open`.
#[cfg(not(feature = "linux-libc"))]
pub(crate) static CLONE_PIDFD: AtomicBool = AtomicBool::new(true);

/// `fork(want, pidfd)` — the fork path's fork, with `CLONE_PIDFD` when `want`
/// is set and the kernel takes the flag: the parent then finds the pidfd in
/// `*pidfd`, which is left alone otherwise. Always a plain fork with
/// `linux-libc`.
///
/// # Safety
///
/// As for [`os::fork`].
#[inline(always)]
pub(crate) unsafe fn fork(want: bool, pidfd: &mut c_int) -> Result<pid_t, Errno> {
    #[cfg(not(feature = "linux-libc"))]
    if want && CLONE_PIDFD.load(Ordering::Relaxed) {
        // SAFETY: forwarded from this function's contract; `pidfd` is a live
        // c_int.
        match unsafe { os::fork_pidfd(pidfd) } {
            Err(Errno::EINVAL) => CLONE_PIDFD.store(false, Ordering::Relaxed),
            forked => return forked,
        }
    }
    #[cfg(feature = "linux-libc")]
    let _ = (want, pidfd);
    // SAFETY: forwarded from this function's contract.
    unsafe { os::fork() }
}

/// `open(pid)` — a pidfd for `pid`, which must be an unreaped child.
pub(crate) fn open(pid: pid_t) -> Result<c_int, Errno> {
    // SAFETY: pidfd_open reads no memory; the caller owns the descriptor.
    unsafe { os::pidfd_open(pid, 0) }
}

/// `wait(pidfd, options)` — `waitid(P_PIDFD, pidfd)` with `WEXITED` and
/// `options` (`WNOHANG`, `WUNTRACED`, `WCONTINUED`, as for `wait4`); `None`
/// when `WNOHANG` found no change.
pub(crate) fn wait(pidfd: c_int, options: c_int) -> Result<Option<ExitStatus>, Errno> {
    // SAFETY: `siginfo_t` is plain integers, for which all zeroes is a
    // value; a zero `si_pid` afterwards is how waitid says that WNOHANG
    // found nothing (waitid(2)).
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    // wait4's options mean the same here: `WSTOPPED` has `WUNTRACED`'s
    // value (2, `linux/wait.h`).
    let options = options | libc::WEXITED;
    // SAFETY: `info` is a live, writable siginfo_t; a pidfd is never
    // negative, so the cast keeps its value.
    unsafe { os::waitid(libc::P_PIDFD, pidfd as libc::id_t, &mut info, options) }?;
    // SAFETY: waitid filled in a SIGCHLD siginfo (or left it zero), whose
    // union holds the pid and the status.
    let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
    if pid == 0 {
        return Ok(None);
    }
    Ok(Some(decode(info.si_code, status)))
}

/// The status that `waitid` describes by `si_code` and `si_status`
/// (`CLD_*` in `asm-generic/siginfo.h`; waitid(2)).
///
/// For an exit, `si_status` is the exit code; for a signal, the signal;
/// for a ptrace stop, the stop's whole code, whose low 8 bits are the
/// signal and whose next 8 are the `PTRACE_EVENT_*` that `wait4`'s
/// decoding drops too.
pub(crate) const fn decode(code: c_int, status: c_int) -> ExitStatus {
    match code {
        libc::CLD_EXITED => ExitStatus::Exited(status),
        libc::CLD_KILLED | libc::CLD_DUMPED => ExitStatus::Signaled {
            signal: status,
            core_dumped: code == libc::CLD_DUMPED,
        },
        libc::CLD_CONTINUED => ExitStatus::Continued,
        // CLD_STOPPED, CLD_TRAPPED: the kernel reports nothing else.
        _ => ExitStatus::Stopped(status & 0xff),
    }
}

/// `kill(pidfd, sig)` — `pidfd_send_signal(pidfd, sig, NULL, 0)`.
pub(crate) fn kill(pidfd: c_int, sig: c_int) -> Result<(), Errno> {
    // SAFETY: no siginfo is given; signalling the child is what the caller
    // asked for.
    unsafe { os::pidfd_send_signal(pidfd, sig, core::ptr::null_mut(), 0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each `si_code` decodes to what `wait4`'s status word for the same
    /// event decodes to.
    #[test]
    fn decode_agrees_with_the_status_word() {
        let cases = [
            (libc::CLD_EXITED, 0, 0),
            (libc::CLD_EXITED, 255, 255 << 8),
            (libc::CLD_KILLED, libc::SIGTERM, libc::SIGTERM),
            (libc::CLD_DUMPED, libc::SIGSEGV, libc::SIGSEGV | 0x80),
            (
                libc::CLD_STOPPED,
                libc::SIGSTOP,
                (libc::SIGSTOP << 8) | 0x7f,
            ),
            (
                libc::CLD_TRAPPED,
                libc::SIGTRAP,
                (libc::SIGTRAP << 8) | 0x7f,
            ),
            // PTRACE_EVENT_EXEC (4) stop: `SIGTRAP | 4 << 8` in si_status,
            // `(SIGTRAP | 4 << 8) << 8 | 0x7f` in the status word.
            (
                libc::CLD_TRAPPED,
                libc::SIGTRAP | 4 << 8,
                ((libc::SIGTRAP | 4 << 8) << 8) | 0x7f,
            ),
            (libc::CLD_CONTINUED, libc::SIGCONT, 0xffff),
        ];
        for (code, status, word) in cases {
            assert_eq!(
                decode(code, status),
                ExitStatus::from_raw(word),
                "si_code {code}, si_status {status:#x}, status word {word:#x}"
            );
        }
    }
}
