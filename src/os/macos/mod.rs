//! macOS: `extern "C"` bindings to libSystem. `__fork` makes the child
//! without running any atfork handler, libSystem's own included; `__exit`
//! leaves a failed one.

use libc::c_int;

use crate::Errno;

#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
pub(crate) mod calls;
#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
pub(crate) mod calls;

pub(crate) use calls::*;

#[path = "../libc_shared.rs"]
mod shared;
pub(crate) use shared::*;

/// Most supplementary groups (`NGROUPS_MAX` in `sys/syslimits.h`).
pub(crate) const NGROUPS_MAX: usize = 16;

/// The highest signal number plus one (`__DARWIN_NSIG` in `sys/signal.h`).
pub(crate) const NSIG: c_int = 32;

/// A set of signals as `sigset_t` holds it (`__uint32_t`, one bit per
/// signal, `1..=31`).
pub(crate) type RawSigSet = u32;

/// The bit of `sig` in a [`RawSigSet`] (`__sigbits` in `sys/signal.h`).
pub(crate) const fn bit(sig: c_int) -> RawSigSet {
    1 << (sig - 1)
}

/// `ioctl` requests, from `sys/ttycom.h`: `_IO('t', 97)`,
/// `_IOW('t', 118, int)`, `_IO('t', 113)`.
pub(crate) const TIOCSCTTY: libc::c_ulong = 0x2000_7461;
pub(crate) const TIOCSPGRP: libc::c_ulong = 0x8004_7476;
pub(crate) const TIOCNOTTY: libc::c_ulong = 0x2000_7471;

/// `PT_TRACE_ME` in `sys/ptrace.h`.
const PT_TRACE_ME: c_int = 0;

/// `ptrace(PT_TRACE_ME)` — lets the parent trace the calling process.
///
/// # Safety
///
/// Only meant for a child that will `execve` next.
#[inline]
pub(crate) unsafe fn trace_me() -> Result<(), Errno> {
    // SAFETY: PT_TRACE_ME ignores pid, addr and data.
    unsafe { ptrace(PT_TRACE_ME, 0, core::ptr::null_mut(), 0) }.map(drop)
}

/// A pipe whose ends are close-on-exec.
///
/// Known limitation: macOS has no `pipe2`, so the ends are made by `pipe` and
/// then marked close-on-exec by `fcntl`; a fork in another thread between the
/// two calls hands them to its child unmarked. The caller holds the fork lock
/// exclusively ([`ForkLock`](crate::ForkLock), as every macOS spawn does), so no
/// spawn of this crate, and no code that takes the lock shared, can be in
/// the way; a fork by code that ignores the lock still can.
pub(crate) fn pipe_cloexec() -> Result<[c_int; 2], Errno> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors.
    unsafe { pipe(fds.as_mut_ptr()) }?;
    for fd in fds {
        // SAFETY: F_SETFD takes an integer; `fd` is this call's own.
        if let Err(errno) = unsafe { fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } {
            for fd in fds {
                // SAFETY: as above.
                let _ = unsafe { close(fd) };
            }
            return Err(errno);
        }
    }
    Ok(fds)
}

/// macOS has no call that closes a range of descriptors: always `false`, so
/// the caller loops.
///
/// # Safety
///
/// None: nothing is done.
unsafe fn close_fast(_low: c_int, _high: c_int) -> Result<bool, Errno> {
    Ok(false)
}

/// The number of descriptors the process may have, bounding
/// [`close_from`]'s loop: `getdtablesize`, which is the `RLIMIT_NOFILE` soft
/// limit capped by `kern.maxfilesperproc`, where the limit alone may be
/// `RLIM_INFINITY`.
pub(crate) fn fd_limit() -> c_int {
    // SAFETY: getdtablesize takes no argument and cannot fail.
    unsafe { libc::getdtablesize() }
}

/// The environment libc keeps, for children that inherit it. A shared
/// library on macOS cannot name `environ` directly; `_NSGetEnviron` gives its
/// address.
pub(crate) fn environ() -> *const *const libc::c_char {
    // SAFETY: `_NSGetEnviron` takes no argument and returns the address of
    // the process's `environ`, set up before `main`.
    unsafe { *libc::_NSGetEnviron() as *const *const libc::c_char }
}
