//! FreeBSD: `extern "C"` bindings to libc. `_Fork` (FreeBSD 13.1) makes the child without running atfork
//! handlers, `_exit` leaves a failed one.

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
pub(crate) const NGROUPS_MAX: usize = 1023;

/// The highest signal number plus one (`_SIG_MAXSIG` in `sys/_sigset.h` is
/// 128).
pub(crate) const NSIG: c_int = 129;

/// A set of signals as `sigset_t` holds it (four 32-bit words, one bit per
/// signal, `1..=128`).
pub(crate) type RawSigSet = u128;

/// The bit of `sig` in a [`RawSigSet`] (`_SIG_BIT` in `sys/_sigset.h`).
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

/// A pipe whose ends are close-on-exec, made atomically by `pipe2`.
pub(crate) fn pipe_cloexec() -> Result<[c_int; 2], Errno> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors.
    unsafe { pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }?;
    Ok(fds)
}

/// Closes `low..=high` by `close_range` (FreeBSD 12.2).
///
/// # Safety
///
/// As for [`close_from`].
unsafe fn close_fast(low: c_int, high: c_int) -> Result<bool, Errno> {
    // SAFETY: forwarded from this function's contract.
    unsafe { close_range(low as libc::c_uint, high as libc::c_uint, 0) }.map(|()| true)
}

/// The soft limit on descriptors, bounding [`close_from`]'s fallback loop.
pub(crate) fn fd_limit() -> c_int {
    rlimit_nofile()
}
