//! Linux, raw: system calls made directly through `sc`.

use libc::c_int;

use super::{NSIG, RawSigSet, bit};
use crate::Errno;

#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
pub(crate) mod calls;
#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
pub(crate) mod calls;

pub(crate) use calls::*;

/// Turns a raw system call return into a result: the kernel returns
/// `-errno` in the range `-4095..=-1` on failure.
#[inline(always)]
fn check(ret: usize) -> Result<usize, Errno> {
    if ret > -4096isize as usize {
        Err(Errno::from_raw(-(ret as isize) as i32))
    } else {
        Ok(ret)
    }
}

#[inline(always)]
fn unreachable_exit() -> ! {
    // SAFETY: `exit_group` does not return to its caller.
    unsafe { core::hint::unreachable_unchecked() }
}

/// The kernel's `struct sigaction` (`asm-generic/signal.h`; x86_64 and
/// aarch64 both define `SA_RESTORER`, so the restorer field is there).
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// `ptrace(PTRACE_TRACEME)` — lets the parent trace the calling process.
///
/// # Safety
///
/// Only meant for a child that will `execve` next.
#[inline]
pub(crate) unsafe fn trace_me() -> Result<(), Errno> {
    let null = core::ptr::null_mut();
    // SAFETY: PTRACE_TRACEME ignores pid, addr and data.
    unsafe { ptrace(libc::PTRACE_TRACEME as _, 0, null, null) }.map(drop)
}

/// Sets every caught signal's action to the default, leaves ignored ones
/// ignored, and also sets those in `force` to the default.
///
/// # Safety
///
/// Only meant for a child that will `execve` next, with all signals blocked.
pub(crate) unsafe fn reset_signal_handlers(force: RawSigSet) -> Result<(), Errno> {
    let default = KernelSigaction {
        handler: libc::SIG_DFL,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    let ignore = KernelSigaction {
        handler: libc::SIG_IGN,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    let mut old = KernelSigaction {
        handler: 0,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    for sig in 1..NSIG {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        let act = (&raw const default).cast();
        // SAFETY: both pointers point to live `KernelSigaction`s.
        match unsafe { rt_sigaction(sig, act, (&raw mut old).cast()) } {
            Ok(()) => {}
            // 32 and 33 belong to the threading library and may be refused.
            Err(Errno::EINVAL) => continue,
            Err(errno) => return Err(errno),
        }
        if old.handler == libc::SIG_IGN && force & bit(sig) == 0 {
            // SAFETY: `ignore` is a live `KernelSigaction`.
            unsafe { rt_sigaction(sig, (&raw const ignore).cast(), core::ptr::null_mut()) }?;
        }
    }
    Ok(())
}

/// `sigprocmask(SIG_SETMASK, set, old)` — replaces the calling thread's mask.
///
/// # Safety
///
/// Blocking signals is always memory-safe; the caller decides when it is
/// wanted.
#[inline]
pub(crate) unsafe fn set_sigmask(set: RawSigSet, old: Option<&mut RawSigSet>) -> Result<(), Errno> {
    let old = old.map_or(core::ptr::null_mut(), |o| o as *mut RawSigSet);
    // SAFETY: `set` and `old` point to live 8-byte sets.
    unsafe { rt_sigprocmask(libc::SIG_SETMASK, &set, old) }
}

/// `sigprocmask(SIG_BLOCK, set, old)` — adds `set` to the calling thread's
/// mask and stores the previous mask in `old`.
///
/// # Safety
///
/// As for [`set_sigmask`].
#[inline]
pub(crate) unsafe fn block(set: RawSigSet, old: &mut RawSigSet) -> Result<(), Errno> {
    // SAFETY: `set` and `old` point to live 8-byte sets.
    unsafe { rt_sigprocmask(libc::SIG_BLOCK, &set, old) }
}

/// A pipe whose ends are close-on-exec, made atomically by `pipe2`.
pub(crate) fn pipe_cloexec() -> Result<[c_int; 2], Errno> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors.
    unsafe { pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }?;
    Ok(fds)
}

/// Closes every descriptor from `first` up, except `keep` (which must be
/// `first` or above), by `close_range`, or by a loop up to `limit` on a
/// kernel without it.
///
/// # Safety
///
/// Only meant for a child that will `execve` next: closing descriptors under
/// the feet of other code is its own business.
pub(crate) unsafe fn close_from(first: c_int, keep: c_int, limit: c_int) -> Result<(), Errno> {
    let ranges = if keep < first {
        [(first, c_int::MAX), (1, 0)]
    } else {
        [(first, keep - 1), (keep + 1, c_int::MAX)]
    };
    for (low, high) in ranges {
        if low > high {
            continue;
        }
        // SAFETY: closing descriptors is what the caller asked for.
        match unsafe { close_range(low as _, high as _, 0) } {
            Ok(()) => continue,
            Err(Errno::ENOSYS) => {}
            Err(errno) => return Err(errno),
        }
        // Known limitation: before Linux 5.9 there is no close_range, and the
        // loop closes only the numbers below the RLIMIT_NOFILE soft limit that
        // the parent read before the fork.
        let mut fd = low;
        while fd <= high && fd < limit {
            // SAFETY: as above; EBADF for a closed number is expected.
            let _ = unsafe { close(fd) };
            fd += 1;
        }
    }
    Ok(())
}

/// The soft limit on descriptors, bounding [`close_from`]'s fallback loop.
pub(crate) fn fd_limit() -> c_int {
    let mut rlim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `rlim` is a live `rlimit`.
    match unsafe { getrlimit(libc::RLIMIT_NOFILE as c_int, &mut rlim) } {
        Ok(()) => rlim.rlim_cur.min(c_int::MAX as u64) as c_int,
        Err(_) => 1 << 20,
    }
}

/// The environment libc keeps, for children that inherit it.
pub(crate) fn environ() -> *const *const libc::c_char {
    unsafe extern "C" {
        static environ: *const *const libc::c_char;
    }
    // SAFETY: libc sets `environ` up before `main`; reading the pointer is a
    // plain load of a static.
    unsafe { environ }
}
