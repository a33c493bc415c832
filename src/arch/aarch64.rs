//! The fast path's trampoline on aarch64.
//!
//! `svc #0` changes only `x0` (the result), in the parent and in the child
//! alike, so the entry and its argument ride in `x9` and `x10` across it.

use core::arch::asm;
use core::ffi::{c_int, c_void};

use super::{CloneArgs, Entry};

/// `clone3(args, sizeof *args)` — in the child, calls `entry(arg)` on the
/// stack that `args` names; in the parent, returns the raw result (the pid,
/// or `-errno` as an unsigned word).
///
/// # Safety
///
/// `args` must name a stack of at least the size `entry` needs, 16-byte
/// aligned at both ends, that nothing else uses until the child has exec'd
/// or exited; with `CLONE_VM`, `arg` and everything `entry` touches must
/// stay valid for as long.
#[inline(always)]
pub(crate) unsafe fn clone3(args: &CloneArgs, entry: Entry, arg: *mut c_void) -> usize {
    let ret: usize;
    // SAFETY: the caller vouches for the stack and for `entry`. The child
    // branch never falls through to the code after the block: `entry` does
    // not return, and `udf` stops it if it did. It clears the frame pointer
    // and the link register so that a frame walk ends at the entry instead
    // of wandering into the parent's frames. The parent branch changes only
    // what is declared.
    unsafe {
        asm!(
            "svc #0",
            "cbnz x0, 2f",
            "mov x29, xzr",
            "mov x30, xzr",
            "mov x0, x10",
            "blr x9",
            "udf #0",
            "2:",
            in("x8") libc::SYS_clone3 as usize,
            inlateout("x0") args as *const CloneArgs as usize => ret,
            in("x1") core::mem::size_of::<CloneArgs>(),
            in("x9") entry,
            in("x10") arg,
            options(nostack),
        );
    }
    ret
}

/// `clone(flags, stack_top, parent_tid, 0, 0)` — in the child, calls
/// `entry(arg)` with the stack pointer at `stack_top`; in the parent, returns
/// the raw result.
///
/// # Safety
///
/// As for [`clone3`], with the stack given by its 16-byte aligned top.
/// `parent_tid` is null, or where `CLONE_PIDFD` (or `CLONE_PARENT_SETTID`)
/// in `flags` has the kernel store the pidfd (or the tid).
#[inline(always)]
pub(crate) unsafe fn clone(
    flags: usize,
    stack_top: *mut u8,
    parent_tid: *mut c_int,
    entry: Entry,
    arg: *mut c_void,
) -> usize {
    let ret: usize;
    // SAFETY: as for `clone3`; `parent_tid` is the caller's to vouch for, the
    // thread pointer and the child tid pointer are 0, unused without their
    // flags.
    unsafe {
        asm!(
            "svc #0",
            "cbnz x0, 2f",
            "mov x29, xzr",
            "mov x30, xzr",
            "mov x0, x10",
            "blr x9",
            "udf #0",
            "2:",
            in("x8") libc::SYS_clone as usize,
            inlateout("x0") flags => ret,
            in("x1") stack_top,
            in("x2") parent_tid,
            in("x3") 0usize,
            in("x4") 0usize,
            in("x9") entry,
            in("x10") arg,
            options(nostack),
        );
    }
    ret
}
