// Regenerate with `cargo xtask gen` from xtask/spec/calls.toml.
// Generated file: DO NOT EDIT.
//! Linux x86_64 system calls made directly through `sc`, with no libc
//! function in between.

use super::{check, unreachable_exit};
use crate::Errno;
use libc::{
    c_char, c_int, c_long, c_uint, c_ulong, c_void, gid_t, id_t, idtype_t, pid_t, rlimit,
    siginfo_t, stat, uid_t,
};

static_assertions::const_assert_eq!(sc::nr::CHDIR, libc::SYS_chdir as usize);
static_assertions::const_assert_eq!(sc::nr::CHROOT, libc::SYS_chroot as usize);
static_assertions::const_assert_eq!(sc::nr::CLONE, libc::SYS_clone as usize);
static_assertions::const_assert_eq!(sc::nr::CLOSE, libc::SYS_close as usize);
static_assertions::const_assert_eq!(sc::nr::CLOSE_RANGE, libc::SYS_close_range as usize);
static_assertions::const_assert_eq!(sc::nr::DUP2, libc::SYS_dup2 as usize);
static_assertions::const_assert_eq!(sc::nr::DUP3, libc::SYS_dup3 as usize);
static_assertions::const_assert_eq!(sc::nr::EXECVE, libc::SYS_execve as usize);
static_assertions::const_assert_eq!(sc::nr::EXIT_GROUP, libc::SYS_exit_group as usize);
static_assertions::const_assert_eq!(sc::nr::FACCESSAT, libc::SYS_faccessat as usize);
static_assertions::const_assert_eq!(sc::nr::FCNTL, libc::SYS_fcntl as usize);
static_assertions::const_assert_eq!(sc::nr::GETPID, libc::SYS_getpid as usize);
static_assertions::const_assert_eq!(sc::nr::IOCTL, libc::SYS_ioctl as usize);
static_assertions::const_assert_eq!(sc::nr::KILL, libc::SYS_kill as usize);
static_assertions::const_assert_eq!(sc::nr::NEWFSTATAT, libc::SYS_newfstatat as usize);
static_assertions::const_assert_eq!(sc::nr::PIDFD_OPEN, libc::SYS_pidfd_open as usize);
static_assertions::const_assert_eq!(
    sc::nr::PIDFD_SEND_SIGNAL,
    libc::SYS_pidfd_send_signal as usize
);
static_assertions::const_assert_eq!(sc::nr::PIPE2, libc::SYS_pipe2 as usize);
static_assertions::const_assert_eq!(sc::nr::PRLIMIT64, libc::SYS_prlimit64 as usize);
static_assertions::const_assert_eq!(sc::nr::PTRACE, libc::SYS_ptrace as usize);
static_assertions::const_assert_eq!(sc::nr::READ, libc::SYS_read as usize);
static_assertions::const_assert_eq!(sc::nr::RT_SIGACTION, libc::SYS_rt_sigaction as usize);
static_assertions::const_assert_eq!(sc::nr::RT_SIGPROCMASK, libc::SYS_rt_sigprocmask as usize);
static_assertions::const_assert_eq!(sc::nr::SETGID, libc::SYS_setgid as usize);
static_assertions::const_assert_eq!(sc::nr::SETGROUPS, libc::SYS_setgroups as usize);
static_assertions::const_assert_eq!(sc::nr::SETPGID, libc::SYS_setpgid as usize);
static_assertions::const_assert_eq!(sc::nr::SETSID, libc::SYS_setsid as usize);
static_assertions::const_assert_eq!(sc::nr::SETUID, libc::SYS_setuid as usize);
static_assertions::const_assert_eq!(sc::nr::WAIT4, libc::SYS_wait4 as usize);
static_assertions::const_assert_eq!(sc::nr::WAITID, libc::SYS_waitid as usize);
static_assertions::const_assert_eq!(sc::nr::WRITE, libc::SYS_write as usize);

/// `chdir(path)` — changes the working directory.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `path` points to a NUL-terminated string.
#[inline]
pub unsafe fn chdir(path: *const c_char) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(CHDIR, path) }).map(drop)
}

/// `chroot(path)` — changes the root directory.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `path` points to a NUL-terminated string.
#[inline]
pub unsafe fn chroot(path: *const c_char) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(CHROOT, path) }).map(drop)
}

/// `close(fd)` — closes a descriptor.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `fd` is not in use by other code that would then act on a closed or reused
/// number.
#[inline]
pub unsafe fn close(fd: c_int) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(CLOSE, fd) }).map(drop)
}

/// `close_range(first, last, flags)` — closes every descriptor from `first` to
/// `last` (Linux 5.9).
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// No descriptor in the range is in use by other code.
#[inline]
pub unsafe fn close_range(first: c_uint, last: c_uint, flags: c_uint) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(CLOSE_RANGE, first, last, flags) }).map(drop)
}

/// `dup2(oldfd, newfd)` — duplicates a descriptor onto a given number.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// A descriptor open at `newfd` is not in use by other code: it is closed
/// first.
#[inline]
pub unsafe fn dup2(oldfd: c_int, newfd: c_int) -> Result<c_int, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(DUP2, oldfd, newfd) }).map(|r| r as c_int)
}

/// `dup3(oldfd, newfd, flags)` — `dup2` with flags; fails when the numbers are
/// equal.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// A descriptor open at `newfd` is not in use by other code: it is closed
/// first.
#[inline]
pub unsafe fn dup3(oldfd: c_int, newfd: c_int, flags: c_int) -> Result<c_int, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(DUP3, oldfd, newfd, flags) }).map(|r| r as c_int)
}

/// `execve(path, argv, envp)` — replaces the program; returns only on failure.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `path` points to a NUL-terminated string; `argv` and `envp` point to arrays
/// of such strings, each ended by a null pointer.
#[inline]
pub unsafe fn execve(
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> Errno {
    // SAFETY: the caller upholds this function's contract.
    match check(unsafe { sc::syscall!(EXECVE, path, argv, envp) }) {
        Ok(_) => Errno::from_raw(0),
        Err(errno) => errno,
    }
}

/// `exit(status)` — ends the whole process by `exit_group`; runs no atexit
/// handler.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// Nothing that the process still has to do (buffered output, other threads'
/// work) is needed: it all ends here.
#[doc(alias = "exit_group")]
#[inline]
pub unsafe fn exit(status: c_int) -> ! {
    // SAFETY: the caller upholds this function's contract.
    unsafe { sc::syscall!(EXIT_GROUP, status) };
    unreachable_exit()
}

/// `faccessat(dirfd, path, mode)` — checks access to a file.
///
/// Parent only: not for a forked child.
///
/// # Safety
///
/// `path` points to a NUL-terminated string.
#[inline]
pub unsafe fn faccessat(dirfd: c_int, path: *const c_char, mode: c_int) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(FACCESSAT, dirfd, path, mode) }).map(drop)
}

/// `fcntl(fd, cmd, arg)` — descriptor control, with an integer argument.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `cmd` takes an integer argument, and what it does to `fd` is the caller's to
/// decide.
#[inline]
pub unsafe fn fcntl(fd: c_int, cmd: c_int, arg: c_int) -> Result<c_int, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(FCNTL, fd, cmd, arg) }).map(|r| r as c_int)
}

/// `fork()` — a child process, made by `clone(SIGCHLD)`; runs no atfork
/// handler.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// In a process with other threads, the child may only make async-signal-safe
/// calls before it execs or exits; no lock another thread held is usable there.
#[doc(alias = "clone")]
#[inline]
pub unsafe fn fork() -> Result<pid_t, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(CLONE, libc::SIGCHLD, 0, 0, 0, 0) }).map(|r| r as pid_t)
}

/// `fork_pidfd(pidfd)` — a child process and a pidfd that refers to it, made by
/// `clone(SIGCHLD | CLONE_PIDFD)` (Linux 5.2); runs no atfork handler.
///
/// Allowed between fork and exec. `clone` takes the pidfd's address as its
/// third argument, the parent tid's on x86_64 and aarch64 alike.
///
/// # Safety
///
/// As for `fork`. `pidfd` points to a writable `c_int`, where the parent gets a
/// close-on-exec descriptor that it then owns.
#[doc(alias = "clone")]
#[inline]
pub unsafe fn fork_pidfd(pidfd: *mut c_int) -> Result<pid_t, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(CLONE, libc::SIGCHLD | libc::CLONE_PIDFD, 0, pidfd, 0, 0) })
        .map(|r| r as pid_t)
}

/// `fstatat(dirfd, path, buf, flags)` — a file's status, by `newfstatat`.
///
/// Parent only: not for a forked child.
///
/// # Safety
///
/// `path` points to a NUL-terminated string and `buf` to a writable `stat`.
#[doc(alias = "newfstatat")]
#[inline]
pub unsafe fn fstatat(
    dirfd: c_int,
    path: *const c_char,
    buf: *mut stat,
    flags: c_int,
) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(NEWFSTATAT, dirfd, path, buf, flags) }).map(drop)
}

/// `getpid()` — the calling process's id.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// None beyond the call being made at all: it reads no memory.
#[inline]
pub unsafe fn getpid() -> pid_t {
    // SAFETY: the caller upholds this function's contract.
    (unsafe { sc::syscall!(GETPID) }) as pid_t
}

/// `getrlimit(resource, rlim)` — a resource limit, by `prlimit64` on the
/// calling process.
///
/// Parent only: not for a forked child.
///
/// # Safety
///
/// `rlim` points to a writable `rlimit`.
#[doc(alias = "prlimit64")]
#[inline]
pub unsafe fn getrlimit(resource: c_int, rlim: *mut rlimit) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(PRLIMIT64, 0, resource, 0, rlim) }).map(drop)
}

/// `ioctl(fd, request, arg)` — a device-specific request.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `arg` is what `request` expects on `fd`: a valid pointer to the right type,
/// or an integer for requests that take one.
#[inline]
pub unsafe fn ioctl(fd: c_int, request: c_ulong, arg: *mut c_void) -> Result<c_int, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(IOCTL, fd, request, arg) }).map(|r| r as c_int)
}

/// `kill(pid, sig)` — sends a signal.
///
/// Parent only: not for a forked child.
///
/// # Safety
///
/// Sending `sig` to `pid` is what the caller means: it may end or stop
/// processes.
#[inline]
pub unsafe fn kill(pid: pid_t, sig: c_int) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(KILL, pid, sig) }).map(drop)
}

/// `pidfd_open(pid, flags)` — a close-on-exec descriptor that refers to the
/// process `pid` (Linux 5.3).
///
/// Parent only: not for a forked child.
///
/// # Safety
///
/// None beyond the call being made at all: it reads no memory. The caller owns
/// the descriptor it returns.
#[inline]
pub unsafe fn pidfd_open(pid: pid_t, flags: c_uint) -> Result<c_int, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(PIDFD_OPEN, pid, flags) }).map(|r| r as c_int)
}

/// `pidfd_send_signal(pidfd, sig, info, flags)` — sends a signal to the process
/// that `pidfd` refers to (Linux 5.1).
///
/// Parent only: not for a forked child.
///
/// # Safety
///
/// Sending `sig` to that process is what the caller means: it may end or stop
/// it. `info` is null or points to a `siginfo_t`.
#[inline]
pub unsafe fn pidfd_send_signal(
    pidfd: c_int,
    sig: c_int,
    info: *mut siginfo_t,
    flags: c_uint,
) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(PIDFD_SEND_SIGNAL, pidfd, sig, info, flags) }).map(drop)
}

/// `pipe2(fds, flags)` — a pipe, with flags such as `O_CLOEXEC` applied
/// atomically.
///
/// Parent only: not for a forked child.
///
/// # Safety
///
/// `fds` points to room for two descriptors.
#[inline]
pub unsafe fn pipe2(fds: *mut c_int, flags: c_int) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(PIPE2, fds, flags) }).map(drop)
}

/// `ptrace(request, pid, addr, data)` — process tracing.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `addr` and `data` are what `request` expects; tracing another process
/// changes how it runs.
#[inline]
pub unsafe fn ptrace(
    request: c_uint,
    pid: pid_t,
    addr: *mut c_void,
    data: *mut c_void,
) -> Result<c_long, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(PTRACE, request, pid, addr, data) }).map(|r| r as c_long)
}

/// `read(fd, buf, count)` — reads bytes.
///
/// Parent only: not for a forked child.
///
/// # Safety
///
/// `buf` points to `count` writable bytes.
#[inline]
pub unsafe fn read(fd: c_int, buf: *mut c_void, count: usize) -> Result<usize, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(READ, fd, buf, count) })
}

/// `rt_sigaction(signum, act, oldact)` — examines or changes a signal's action;
/// the kernel's `struct sigaction`, 8-byte mask.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `act` is null or points to a kernel `sigaction`; `oldact` is null or points
/// to room for one.
#[inline]
pub unsafe fn rt_sigaction(
    signum: c_int,
    act: *const c_void,
    oldact: *mut c_void,
) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(RT_SIGACTION, signum, act, oldact, 8) }).map(drop)
}

/// `rt_sigprocmask(how, set, oldset)` — examines or changes the signal mask;
/// 8-byte sets.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `set` is null or points to a set; `oldset` is null or points to room for
/// one.
#[inline]
pub unsafe fn rt_sigprocmask(how: c_int, set: *const u64, oldset: *mut u64) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(RT_SIGPROCMASK, how, set, oldset, 8) }).map(drop)
}

/// `setgid(gid)` — sets the calling thread's group ids; the process's when it
/// has no other thread.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// Losing privileges is what the caller means.
#[inline]
pub unsafe fn setgid(gid: gid_t) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(SETGID, gid) }).map(drop)
}

/// `setgroups(size, list)` — sets the calling thread's supplementary groups;
/// the process's when it has no other thread.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `list` points to `size` group ids.
#[inline]
pub unsafe fn setgroups(size: usize, list: *const gid_t) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(SETGROUPS, size, list) }).map(drop)
}

/// `setpgid(pid, pgid)` — moves a process to a process group.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// Moving `pid` is what the caller means: it changes which signals from the
/// terminal reach it.
#[inline]
pub unsafe fn setpgid(pid: pid_t, pgid: pid_t) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(SETPGID, pid, pgid) }).map(drop)
}

/// `setsid()` — a new session.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// Leaving the terminal's session is what the caller means.
#[inline]
pub unsafe fn setsid() -> Result<pid_t, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(SETSID) }).map(|r| r as pid_t)
}

/// `setuid(uid)` — sets the calling thread's user ids; the process's when it
/// has no other thread.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// Losing privileges is what the caller means.
#[inline]
pub unsafe fn setuid(uid: uid_t) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(SETUID, uid) }).map(drop)
}

/// `wait4(pid, status, options, rusage)` — waits for a child's change of state.
///
/// Parent only: not for a forked child.
///
/// # Safety
///
/// `status` is null or points to a writable `c_int`; `rusage` is null or points
/// to a writable `rusage`; reaping `pid` is the caller's to decide.
#[inline]
pub unsafe fn wait4(
    pid: pid_t,
    status: *mut c_int,
    options: c_int,
    rusage: *mut libc::rusage,
) -> Result<pid_t, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(WAIT4, pid, status, options, rusage) }).map(|r| r as pid_t)
}

/// `waitid(idtype, id, infop, options)` — waits for a change of state of a
/// child that `idtype` and `id` name, and describes it in `infop`.
///
/// Parent only: not for a forked child. The system call's fifth argument, a
/// `rusage`, is null.
///
/// # Safety
///
/// `infop` points to a writable `siginfo_t`; reaping the child is the caller's
/// to decide.
#[inline]
pub unsafe fn waitid(
    idtype: idtype_t,
    id: id_t,
    infop: *mut siginfo_t,
    options: c_int,
) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(WAITID, idtype, id, infop, options, 0) }).map(drop)
}

/// `write(fd, buf, count)` — writes bytes.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `buf` points to `count` readable bytes.
#[inline]
pub unsafe fn write(fd: c_int, buf: *const c_void, count: usize) -> Result<usize, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(WRITE, fd, buf, count) })
}
