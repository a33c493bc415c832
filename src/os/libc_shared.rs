//! What every backend built on the C library shares: signal dispositions and
//! masks through `sigaction` and `sigprocmask`, the descriptor-closing loop,
//! the descriptor limit and the environment.
//!
//! It is compiled as a child of the OS module that uses it, and takes from
//! it the generated `calls`, `RawSigSet`, `NSIG`, `bit` and `close_fast`.

use libc::c_int;

use super::{NSIG, RawSigSet, bit, calls, close_fast};
use crate::Errno;

// A `RawSigSet` is laid over the first bytes of a `sigset_t`. Every C library
// here keeps signal `n` at bit `n - 1` of an array of words starting at the
// lowest address, which on a little-endian machine is the bit order of one
// wide integer.
static_assertions::const_assert!(
    core::mem::size_of::<RawSigSet>() <= core::mem::size_of::<libc::sigset_t>()
);
#[cfg(not(target_endian = "little"))]
compile_error!("forkexec's signal sets assume a little-endian machine");

/// The C library's `sigset_t` holding the signals of `set`.
fn to_sigset(set: RawSigSet) -> libc::sigset_t {
    // SAFETY: `sigset_t` is plain integers, for which all zeros is valid.
    let mut out: libc::sigset_t = unsafe { core::mem::zeroed() };
    // SAFETY: a `RawSigSet` fits in a `sigset_t` (asserted above); the write
    // is unaligned because `sigset_t` may be less aligned.
    unsafe { (&raw mut out).cast::<RawSigSet>().write_unaligned(set) };
    out
}

/// The signals of `set` that a `RawSigSet` can hold.
fn from_sigset(set: &libc::sigset_t) -> RawSigSet {
    // SAFETY: as for `to_sigset`.
    unsafe {
        (set as *const libc::sigset_t)
            .cast::<RawSigSet>()
            .read_unaligned()
    }
}

/// A `sigaction` with `handler` and nothing else set.
fn action(handler: libc::sighandler_t) -> libc::sigaction {
    // SAFETY: `sigaction` is integers, a `sigset_t` and, on some systems,
    // an optional function pointer: all zeros is a valid value of each.
    let mut act: libc::sigaction = unsafe { core::mem::zeroed() };
    act.sa_sigaction = handler;
    act
}

/// Sets every caught signal's action to the default, leaves ignored ones
/// ignored, and also sets those in `force` to the default.
///
/// # Safety
///
/// Only meant for a child that will `execve` next, with all signals blocked.
pub(crate) unsafe fn reset_signal_handlers(force: RawSigSet) -> Result<(), Errno> {
    let default = action(libc::SIG_DFL);
    let ignore = action(libc::SIG_IGN);
    let mut old = action(libc::SIG_DFL);
    for sig in 1..NSIG {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // SAFETY: both pointers point to live `sigaction`s.
        match unsafe { calls::sigaction(sig, &default, &mut old) } {
            Ok(()) => {}
            // Signals that the C library keeps for itself are refused.
            Err(Errno::EINVAL) => continue,
            Err(errno) => return Err(errno),
        }
        if old.sa_sigaction == libc::SIG_IGN && force & bit(sig) == 0 {
            // SAFETY: `ignore` is a live `sigaction`.
            unsafe { calls::sigaction(sig, &ignore, core::ptr::null_mut()) }?;
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
    let set = to_sigset(set);
    let mut previous = to_sigset(0);
    // SAFETY: both pointers point to live `sigset_t`s.
    unsafe { calls::sigprocmask(libc::SIG_SETMASK, &set, &mut previous) }?;
    if let Some(old) = old {
        *old = from_sigset(&previous);
    }
    Ok(())
}

/// `sigprocmask(SIG_BLOCK, set, old)` — adds `set` to the calling thread's
/// mask and stores the previous mask in `old`.
///
/// # Safety
///
/// As for [`set_sigmask`].
#[inline]
pub(crate) unsafe fn block(set: RawSigSet, old: &mut RawSigSet) -> Result<(), Errno> {
    let set = to_sigset(set);
    let mut previous = to_sigset(0);
    // SAFETY: both pointers point to live `sigset_t`s.
    unsafe { calls::sigprocmask(libc::SIG_BLOCK, &set, &mut previous) }?;
    *old = from_sigset(&previous);
    Ok(())
}

/// Closes every descriptor from `first` up, except `keep` (which must be
/// `first` or above), with one call per range where the system has one, or
/// by a loop up to `limit`.
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
        if unsafe { close_fast(low, high) }? {
            continue;
        }
        // Known limitation: where the system has no call for the range, the
        // loop closes only the numbers below the descriptor limit that the
        // parent read before the fork; a descriptor opened above a limit that
        // was lowered later stays open.
        let mut fd = low;
        while fd <= high && fd < limit {
            // SAFETY: as above; EBADF for a closed number is expected.
            let _ = unsafe { calls::close(fd) };
            fd += 1;
        }
    }
    Ok(())
}

/// The soft limit on descriptors (`RLIMIT_NOFILE`), bounding
/// [`close_from`]'s loop.
#[cfg(not(target_os = "macos"))]
pub(crate) fn rlimit_nofile() -> c_int {
    let mut rlim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `rlim` is a live `rlimit`.
    match unsafe { calls::getrlimit(libc::RLIMIT_NOFILE as c_int, &mut rlim) } {
        Ok(()) => rlim.rlim_cur.min(c_int::MAX as libc::rlim_t) as c_int,
        Err(_) => 1 << 20,
    }
}

/// The environment libc keeps, for children that inherit it.
#[cfg(not(target_os = "macos"))]
pub(crate) fn environ() -> *const *const libc::c_char {
    unsafe extern "C" {
        static environ: *const *const libc::c_char;
    }
    // SAFETY: libc sets `environ` up before `main`; reading the pointer is a
    // plain load of a static.
    unsafe { environ }
}
