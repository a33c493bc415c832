//! Linux, libc flavour: the C library's entry points, bound the way macOS and
//! the BSDs bind theirs. `_Fork` (glibc 2.34, musl 1.2.2) makes the child
//! without running atfork handlers, `_exit` leaves a failed one.

use libc::{c_int, c_uint};

use super::{NSIG, RawSigSet, bit};
use crate::Errno;

#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
pub(crate) mod calls;
#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
pub(crate) mod calls;

pub(crate) use calls::*;

#[path = "../../libc_shared.rs"]
mod shared;
pub(crate) use shared::*;

/// `ptrace(PTRACE_TRACEME)` — lets the parent trace the calling process.
///
/// # Safety
///
/// Only meant for a child that will `execve` next.
#[inline]
pub(crate) unsafe fn trace_me() -> Result<(), Errno> {
    let null = core::ptr::null_mut();
    // SAFETY: PTRACE_TRACEME ignores pid, addr and data.
    unsafe { ptrace(libc::PTRACE_TRACEME as c_uint, 0, null, null) }.map(drop)
}

/// A pipe whose ends are close-on-exec, made atomically by `pipe2`.
pub(crate) fn pipe_cloexec() -> Result<[c_int; 2], Errno> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors.
    unsafe { pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }?;
    Ok(fds)
}

/// Closes `low..=high` by `close_range` (Linux 5.9); `false` on an older
/// kernel, where the caller loops.
///
/// # Safety
///
/// As for [`close_from`].
unsafe fn close_fast(low: c_int, high: c_int) -> Result<bool, Errno> {
    // SAFETY: forwarded from this function's contract.
    match unsafe { close_range(low as c_uint, high as c_uint, 0) } {
        Ok(()) => Ok(true),
        Err(Errno::ENOSYS) => Ok(false),
        Err(errno) => Err(errno),
    }
}

/// The soft limit on descriptors, bounding [`close_from`]'s fallback loop.
pub(crate) fn fd_limit() -> c_int {
    rlimit_nofile()
}
