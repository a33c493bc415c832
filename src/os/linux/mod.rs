//! Linux: raw system calls through `sc`, with no libc function in the child;
//! with the `linux-libc` feature, libc's entry points instead (`_Fork`,
//! `_exit` and the wrappers), bound the way the other systems bind theirs.

use libc::c_int;

#[cfg(not(feature = "linux-libc"))]
mod raw;
#[cfg(not(feature = "linux-libc"))]
pub(crate) use raw::*;

#[cfg(feature = "linux-libc")]
#[path = "libc/mod.rs"]
mod with_libc;
#[cfg(feature = "linux-libc")]
pub(crate) use with_libc::*;

/// Most supplementary groups (`NGROUPS_MAX` in `linux/limits.h`, since
/// Linux 2.6.4).
pub(crate) const NGROUPS_MAX: usize = 65536;

/// The highest signal number plus one (`_NSIG` in the kernel's headers).
pub(crate) const NSIG: c_int = 65;

/// A set of signals as the kernel stores it: one bit per signal, `1..=64`.
pub(crate) type RawSigSet = u64;

/// `ioctl` requests, from `asm-generic/ioctls.h` (the same on x86_64 and
/// aarch64).
pub(crate) const TIOCSCTTY: libc::c_ulong = 0x540E;
pub(crate) const TIOCSPGRP: libc::c_ulong = 0x5410;
pub(crate) const TIOCNOTTY: libc::c_ulong = 0x5422;

/// The bit of `sig` in a [`RawSigSet`].
pub(crate) const fn bit(sig: c_int) -> RawSigSet {
    1 << (sig - 1)
}
