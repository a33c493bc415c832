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
//! ```
//! use forkexec::{CStrArray, Command, Errno, ExitStatus, Slot, Step};
//!
//! // The argument vector lives on the stack and borrows its strings.
//! let mut argv = CStrArray::<4>::new();
//! argv.push(c"sh")?.push(c"-c")?.push(c"exit 3")?;
//! // Standard input closed; output and errors are the parent's.
//! let fds = [Slot::Closed, Slot::Fd(1), Slot::Fd(2)];
//! let child = Command::new(c"sh").args(&argv).fds(&fds).spawn()?;
//! assert_eq!(child.wait()?, ExitStatus::Exited(3));
//!
//! // A failure names the step and its errno.
//! let error = Command::new(c"sh").dir(c"/nonexistent").spawn().unwrap_err();
//! assert_eq!((error.step(), error.errno()), (Step::Chdir, Errno::ENOENT));
//! assert_eq!(error.to_string(), "chdir: ENOENT (No such file or directory)");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What a spawn promises
//!
//! - No `pthread_atfork` handler and no `atexit` handler runs because of it,
//!   in the parent or the child; a child that fails leaves by the raw exit.
//! - No heap memory is used, in the parent or the child: no allocator is
//!   needed, and none is entered.
//! - No descriptor reaches the program unless it is in the map
//!   ([`Command::fds`]) or inherited (not close-on-exec); with
//!   [`Command::close_other_fds`], only the map's. The spawn's own
//!   descriptors never do.
//! - Every failure is reported as a [`Step`] and an [`Errno`], and no child
//!   is left unreaped.
//!
//! What it does not promise is in `SECURITY.md`, shipped with the crate.
//!
//! # What the child does
//!
//! Between the fork and `execve` the child runs the steps of [`Step`], in
//! their order, each a single system call or a short loop of them: session,
//! process group, terminal, signal handlers, root, credentials, working
//! directory, descriptors, controlling terminal, signal mask, tracing. The
//! table in [`Command`] says which attribute drives which step. The child
//! allocates nothing, takes no lock, touches no thread-local state and calls
//! no function that the dynamic linker might still have to bind.
//!
//! # Who uses it
//!
//! The `examples/` folder, shipped with the crate, has one program for each
//! kind of user:
//!
//! - `signal_handler.rs`: a runtime's crash handler that starts a reporter
//!   from inside a signal handler;
//! - `allocator.rs`: a global allocator that starts a symbolizer from inside
//!   `alloc`, and checks that the spawn never re-entered it;
//! - `nostd/`: a `#![no_std]`, `#![no_main]` program with no allocator, a
//!   crate of its own in the source repository (not shipped);
//! - `run.rs`: every attribute on the command line.
//!
//! # Features
//!
//! - `std`: conversions to and from the standard library's types:
//!   `std::io::Error` from [`Error`] (keeping the step) and from [`Errno`]
//!   (as `from_raw_os_error` makes it), [`Slot`] from `BorrowedFd` and from
//!   `&T` where `T: AsFd` (`&OwnedFd`, `&File`, ...), and [`ExitStatus`]
//!   both ways with `std::process::ExitStatus`. Without it the crate is
//!   `no_std`; [`Error`] and [`Errno`] implement `core::error::Error` and
//!   `Display` either way.
//! - `linux-libc`: on Linux, make the calls through libc's entry points
//!   (`_Fork`, `_exit`; glibc 2.34 or musl 1.2.2 and later) instead of raw
//!   system calls.
//!
//! # Platforms
//!
//! x86_64 and aarch64 on each of these systems:
//!
//! | OS | fork entry | calls | [`close_other_fds`](Command::close_other_fds) |
//! |---|---|---|---|
//! | Linux | raw `clone` | raw system calls (`linux-libc`: libc) | `close_range`, a loop on `ENOSYS` |
//! | macOS | `__fork` | libSystem, bound at load time | a loop up to `getdtablesize()` |
//! | FreeBSD 13.1+ | `_Fork` | libc, bound at load time | `close_range` |
//! | OpenBSD | libc's system-call stub | libc, bound at load time | `closefrom` |
//! | NetBSD | libc's system-call stub | libc, bound at load time | `closefrom` |
//!
//! The [`raw`] module exposes the system calls themselves, for runtimes that
//! compose their own sequence.
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

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
#[cfg(target_os = "linux")]
mod pidfd;
mod process;
mod spawn;
#[cfg(feature = "std")]
mod std_impls;
#[cfg(all(target_os = "linux", not(feature = "linux-libc")))]
mod vfork;

pub use command::{CStrArray, Command, SigSet, Slot, Strategy};
pub use error::{Errno, Error, Step};
pub use fork_lock::{ExclusiveGuard, ForkLock, SharedGuard};
pub use process::{Child, ExitStatus};
pub use spawn::MAX_FDS;

/// The descriptor-map model and its property, for the fuzz target in
/// `fuzz/` (built with `--cfg fuzzing` only).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fdmap_fuzz {
    pub use crate::fdmap::model::{Case, Entry, MODEL_FDS, STATUS_FILE, check};
}

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
