//! Instruction-level code: the trampoline of the Linux fast path, one file
//! per architecture, picked from this one list.
//!
//! A child made with `CLONE_VM` runs in the parent's memory, so it cannot
//! return from the system call into the caller's frames the way a forked
//! child does: those frames are the parent's, and the parent still needs
//! them. The trampoline makes the system call and, in the child only, moves
//! to the child's own stack and calls an entry function that never returns.
//! Only that much is written in assembly; everything else is Rust in
//! `crate::vfork`.

use core::ffi::c_void;

#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
mod imp;

#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
mod imp;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!(
    "forkexec's Linux fast path has a trampoline for x86_64 and aarch64 only; this architecture is neither"
);

pub(crate) use imp::{clone, clone3};

/// The function a child starts in, on its own stack, with the argument the
/// parent gave. It must never return: there is nothing to return to.
pub(crate) type Entry = unsafe extern "C" fn(arg: *mut c_void) -> !;

/// `struct clone_args` of `clone3`, in its first published size
/// (`CLONE_ARGS_SIZE_VER0`, 64 bytes, Linux 5.3; `include/uapi/linux/sched.h`).
#[repr(C)]
#[derive(Default)]
pub(crate) struct CloneArgs {
    /// `CLONE_*` flags.
    pub(crate) flags: u64,
    /// `CLONE_PIDFD`: where the pidfd goes.
    pub(crate) pidfd: u64,
    /// `CLONE_CHILD_SETTID`: where the child's tid goes in the child.
    pub(crate) child_tid: u64,
    /// `CLONE_PARENT_SETTID`: where the child's tid goes in the parent.
    pub(crate) parent_tid: u64,
    /// The signal the parent gets when the child ends.
    pub(crate) exit_signal: u64,
    /// Lowest address of the child's stack.
    pub(crate) stack: u64,
    /// Size of the child's stack; the kernel starts the child at
    /// `stack + stack_size`.
    pub(crate) stack_size: u64,
    /// `CLONE_SETTLS`: the child's thread pointer.
    pub(crate) tls: u64,
}

static_assertions::const_assert_eq!(core::mem::size_of::<CloneArgs>(), 64);
