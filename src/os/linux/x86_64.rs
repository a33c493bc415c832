// Regenerate with `cargo xtask gen` from xtask/spec/calls.toml.
// Generated file: DO NOT EDIT.
//! Linux x86_64 system calls made directly through `sc`.

use super::{Errno, check, unreachable_exit};
use libc::{c_char, c_int, c_uint, c_ulong, c_void, gid_t, pid_t, rlimit, stat, uid_t};

static_assertions::const_assert_eq!(sc::nr::CLONE, libc::SYS_clone as usize);
static_assertions::const_assert_eq!(sc::nr::EXIT_GROUP, libc::SYS_exit_group as usize);
static_assertions::const_assert_eq!(sc::nr::PTRACE, libc::SYS_ptrace as usize);
static_assertions::const_assert_eq!(sc::nr::SETSID, libc::SYS_setsid as usize);
static_assertions::const_assert_eq!(sc::nr::SETPGID, libc::SYS_setpgid as usize);
static_assertions::const_assert_eq!(sc::nr::GETPID, libc::SYS_getpid as usize);
static_assertions::const_assert_eq!(sc::nr::IOCTL, libc::SYS_ioctl as usize);
static_assertions::const_assert_eq!(sc::nr::CHROOT, libc::SYS_chroot as usize);
static_assertions::const_assert_eq!(sc::nr::SETGROUPS, libc::SYS_setgroups as usize);
static_assertions::const_assert_eq!(sc::nr::SETGID, libc::SYS_setgid as usize);
static_assertions::const_assert_eq!(sc::nr::SETUID, libc::SYS_setuid as usize);
static_assertions::const_assert_eq!(sc::nr::CHDIR, libc::SYS_chdir as usize);
static_assertions::const_assert_eq!(sc::nr::DUP2, libc::SYS_dup2 as usize);
static_assertions::const_assert_eq!(sc::nr::DUP3, libc::SYS_dup3 as usize);
static_assertions::const_assert_eq!(sc::nr::FCNTL, libc::SYS_fcntl as usize);
static_assertions::const_assert_eq!(sc::nr::CLOSE, libc::SYS_close as usize);
static_assertions::const_assert_eq!(sc::nr::CLOSE_RANGE, libc::SYS_close_range as usize);
static_assertions::const_assert_eq!(sc::nr::EXECVE, libc::SYS_execve as usize);
static_assertions::const_assert_eq!(sc::nr::WRITE, libc::SYS_write as usize);
static_assertions::const_assert_eq!(sc::nr::RT_SIGACTION, libc::SYS_rt_sigaction as usize);
static_assertions::const_assert_eq!(sc::nr::RT_SIGPROCMASK, libc::SYS_rt_sigprocmask as usize);
static_assertions::const_assert_eq!(sc::nr::PIPE2, libc::SYS_pipe2 as usize);
static_assertions::const_assert_eq!(sc::nr::READ, libc::SYS_read as usize);
static_assertions::const_assert_eq!(sc::nr::WAIT4, libc::SYS_wait4 as usize);
static_assertions::const_assert_eq!(sc::nr::KILL, libc::SYS_kill as usize);
static_assertions::const_assert_eq!(sc::nr::FACCESSAT, libc::SYS_faccessat as usize);
static_assertions::const_assert_eq!(sc::nr::NEWFSTATAT, libc::SYS_newfstatat as usize);
static_assertions::const_assert_eq!(sc::nr::PRLIMIT64, libc::SYS_prlimit64 as usize);

/// `fork()` — a child process, made by `clone(SIGCHLD)`; runs no atfork handler.
#[inline]
pub unsafe fn fork() -> Result<pid_t, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(CLONE, libc::SIGCHLD, 0, 0, 0, 0) }).map(|r| r as pid_t)
}

/// `exit(status)` — ends the whole process by `exit_group`; runs no atexit handler.
#[inline]
pub unsafe fn exit(status: c_int) -> ! {
    // SAFETY: the caller upholds this function's contract.
    unsafe { sc::syscall!(EXIT_GROUP, status) };
    unreachable_exit()
}

/// `ptrace(request, pid, addr, data)` — process tracing.
#[inline]
pub unsafe fn ptrace(
    request: c_uint,
    pid: pid_t,
    addr: *mut c_void,
    data: *mut c_void,
) -> Result<usize, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(PTRACE, request, pid, addr, data) })
}

/// `setsid()` — a new session.
#[inline]
pub unsafe fn setsid() -> Result<pid_t, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(SETSID) }).map(|r| r as pid_t)
}

/// `setpgid(pid, pgid)` — moves a process to a process group.
#[inline]
pub unsafe fn setpgid(pid: pid_t, pgid: pid_t) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(SETPGID, pid, pgid) }).map(drop)
}

/// `getpid()` — the calling process's id.
#[inline]
pub unsafe fn getpid() -> pid_t {
    // SAFETY: the caller upholds this function's contract.
    (unsafe { sc::syscall!(GETPID) }) as pid_t
}

/// `ioctl(fd, request, arg)` — a device-specific request.
#[inline]
pub unsafe fn ioctl(fd: c_int, request: c_ulong, arg: *mut c_void) -> Result<c_int, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(IOCTL, fd, request, arg) }).map(|r| r as c_int)
}

/// `chroot(path)` — changes the root directory.
#[inline]
pub unsafe fn chroot(path: *const c_char) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(CHROOT, path) }).map(drop)
}

/// `setgroups(size, list)` — sets the supplementary groups.
#[inline]
pub unsafe fn setgroups(size: usize, list: *const gid_t) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(SETGROUPS, size, list) }).map(drop)
}

/// `setgid(gid)` — sets the group ids.
#[inline]
pub unsafe fn setgid(gid: gid_t) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(SETGID, gid) }).map(drop)
}

/// `setuid(uid)` — sets the user ids.
#[inline]
pub unsafe fn setuid(uid: uid_t) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(SETUID, uid) }).map(drop)
}

/// `chdir(path)` — changes the working directory.
#[inline]
pub unsafe fn chdir(path: *const c_char) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(CHDIR, path) }).map(drop)
}

/// `dup2(oldfd, newfd)` — duplicates a descriptor onto a given number.
#[inline]
pub unsafe fn dup2(oldfd: c_int, newfd: c_int) -> Result<c_int, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(DUP2, oldfd, newfd) }).map(|r| r as c_int)
}

/// `dup3(oldfd, newfd, flags)` — `dup2` with flags; fails when the numbers are equal.
#[inline]
pub unsafe fn dup3(oldfd: c_int, newfd: c_int, flags: c_int) -> Result<c_int, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(DUP3, oldfd, newfd, flags) }).map(|r| r as c_int)
}

/// `fcntl(fd, cmd, arg)` — descriptor control, with an integer argument.
#[inline]
pub unsafe fn fcntl(fd: c_int, cmd: c_int, arg: c_int) -> Result<c_int, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(FCNTL, fd, cmd, arg) }).map(|r| r as c_int)
}

/// `close(fd)` — closes a descriptor.
#[inline]
pub unsafe fn close(fd: c_int) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(CLOSE, fd) }).map(drop)
}

/// `close_range(first, last, flags)` — closes a range of descriptors (Linux 5.9).
#[inline]
pub unsafe fn close_range(first: c_uint, last: c_uint, flags: c_uint) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(CLOSE_RANGE, first, last, flags) }).map(drop)
}

/// `execve(path, argv, envp)` — replaces the program; returns only on failure.
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

/// `write(fd, buf, count)` — writes bytes.
#[inline]
pub unsafe fn write(fd: c_int, buf: *const c_void, count: usize) -> Result<usize, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(WRITE, fd, buf, count) })
}

/// `rt_sigaction(signum, act, oldact, 8)` — examines or changes a signal's action.
#[inline]
pub unsafe fn rt_sigaction(
    signum: c_int,
    act: *const c_void,
    oldact: *mut c_void,
) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(RT_SIGACTION, signum, act, oldact, 8) }).map(drop)
}

/// `rt_sigprocmask(how, set, oldset, 8)` — examines or changes the signal mask.
#[inline]
pub unsafe fn rt_sigprocmask(how: c_int, set: *const u64, oldset: *mut u64) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(RT_SIGPROCMASK, how, set, oldset, 8) }).map(drop)
}

/// `pipe2(fds, flags)` — a pipe.
#[inline]
pub unsafe fn pipe2(fds: *mut c_int, flags: c_int) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(PIPE2, fds, flags) }).map(drop)
}

/// `read(fd, buf, count)` — reads bytes.
#[inline]
pub unsafe fn read(fd: c_int, buf: *mut c_void, count: usize) -> Result<usize, Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(READ, fd, buf, count) })
}

/// `wait4(pid, status, options, rusage)` — waits for a child's change of state.
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

/// `kill(pid, sig)` — sends a signal.
#[inline]
pub unsafe fn kill(pid: pid_t, sig: c_int) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(KILL, pid, sig) }).map(drop)
}

/// `faccessat(dirfd, path, mode)` — checks access to a file.
#[inline]
pub unsafe fn faccessat(dirfd: c_int, path: *const c_char, mode: c_int) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(FACCESSAT, dirfd, path, mode) }).map(drop)
}

/// `fstatat(dirfd, path, buf, flags)` — a file's status, by `newfstatat`.
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

/// `getrlimit(resource, rlim)` — a resource limit, by `prlimit64` on the calling process.
#[inline]
pub unsafe fn getrlimit(resource: c_int, rlim: *mut rlimit) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    check(unsafe { sc::syscall!(PRLIMIT64, 0, resource, 0, rlim) }).map(drop)
}
