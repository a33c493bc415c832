//! Start a program from any process state.
//!
//! `forkexec` forks and execs without running `pthread_atfork` or `atexit`
//! handlers, without touching the heap, and reports exactly which step
//! failed. It is for code that must start a program from a state where libc
//! cannot be trusted: a multithreaded process whose other threads may hold
//! the malloc, stdio or dynamic-linker locks, a global allocator, a signal
//! handler, a `#![no_std]` binary.
//!
//! libc's `fork()` runs every atfork handler, and those handlers take locks
//! that threads which do not exist in the child may hold, so the child can
//! hang before it reaches `execve`. A child that only arranges descriptors
//! and credentials and then execs needs none of what those handlers repair.
//! `forkexec` calls the fork entry point that skips them (a raw `clone` on
//! Linux, `__fork` on macOS, `_Fork` or its equivalent on the BSDs), runs a
//! short fixed sequence of single system calls in the child, and leaves a
//! failed child through the raw exit, never through `exit`.
//!
//! ```no_run
//! use forkexec::{CStrArray, Command, Slot};
//!
//! let mut argv = CStrArray::<4>::new();
//! argv.push(c"echo")?.push(c"hello")?;
//! let fds = [Slot::Closed, Slot::Fd(1), Slot::Fd(2)];
//! let child = Command::new(c"echo").args(&argv).fds(&fds).spawn()?;
//! assert!(child.wait()?.success());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The [`raw`] module exposes the system calls themselves, for runtimes that
//! compose their own sequence.
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

// The fast path needs raw system calls: libc's wrappers set errno, which is
// thread-local state a child sharing the parent's memory would write into
// the parent's thread, and glibc's setuid and setgroups signal every thread
// of the process they think they are in, the parent's.
#[cfg(all(target_os = "linux", not(feature = "linux-libc")))]
mod arch;
mod child;
mod command;
mod error;
mod fdmap;
mod fork_lock;
mod os;
mod path;
mod process;
mod spawn;
#[cfg(all(target_os = "linux", not(feature = "linux-libc")))]
mod vfork;

pub use command::{CStrArray, Command, SigSet, Slot, Strategy};
pub use error::{Errno, Error, Step};
pub use fork_lock::{ExclusiveGuard, ForkLock, SharedGuard};
pub use process::{Child, ExitStatus};
pub use spawn::MAX_FDS;

/// The backend's system calls, each an `unsafe fn` that returns
/// `Result<_, Errno>`.
///
/// On Linux they are raw system calls with no libc function in between; on
/// the other systems, and on Linux with the `linux-libc` feature, bindings
/// to the C library's entry points. Those a forked child may call are
/// reached through pointers that the dynamic linker binds at load time, so
/// no call from the child goes through lazy binding. Each says whether it is
/// allowed between fork and exec. Their safety contract is the system call's
/// own: valid pointers, and the caller's responsibility for what the call
/// does to the process.
pub mod raw {
    pub use crate::os::calls::*;
}
