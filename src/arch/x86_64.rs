//! The fast path's trampoline on x86_64.
//!
//! The system call clobbers only `rax` (the result), `rcx` and `r11`, in the
//! parent and in the child alike, so the entry and its argument ride in
//! `r12` and `r13` across it.
//!
//! Where user shadow stacks are on (CET, Linux 6.6), a `CLONE_VFORK` child
//! keeps the parent's shadow stack: its calls push below the parent's
//! shadow-stack top, which the suspended parent does not need, and it never
//! returns past the entry, so the two stacks never disagree.

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
    // not return, and `ud2` stops it if it did. It clears `rbp` so that a
    // frame-pointer walk ends at the entry instead of wandering into the
    // parent's frames. The parent branch clobbers only what is declared.
    unsafe {
        asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, r13",
            "call r12",
            "ud2",
            "2:",
            inlateout("rax") libc::SYS_clone3 as usize => ret,
            in("rdi") args as *const CloneArgs,
            in("rsi") core::mem::size_of::<CloneArgs>(),
            in("r12") entry,
            in("r13") arg,
            lateout("rcx") _,
            lateout("r11") _,
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
    // child tid pointer and the thread pointer are 0, unused without their
    // flags.
    unsafe {
        asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, r13",
            "call r12",
            "ud2",
            "2:",
            inlateout("rax") libc::SYS_clone as usize => ret,
            in("rdi") flags,
            in("rsi") stack_top,
            in("rdx") parent_tid,
            in("r10") 0usize,
            in("r8") 0usize,
            in("r12") entry,
            in("r13") arg,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret
}
