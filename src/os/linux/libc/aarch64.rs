// Regenerate with `cargo xtask gen` from xtask/spec/calls.toml.
// Generated file: DO NOT EDIT.
//! Linux, libc flavour, aarch64: the entry points of the C library (glibc 2.34
//! or later, musl 1.2.2 or later: `_Fork` is needed) that forkexec calls.
//!
//! The calls allowed between fork and exec are made only through `TABLE`,
//! pointers that the dynamic linker fills in when it loads the program (data
//! relocations), never through a lazily bound stub, which could block on a
//! dynamic-linker lock held by a thread that does not exist in the child.
//! Nothing else in the crate names those symbols: in the built objects they are
//! referenced from the table alone, and each pointer is loaded with a volatile
//! read so that the compiler cannot turn it back into a direct call. The
//! parent-only calls go through the `libc` crate.
//!
//! Except for those made by number: they reach the C library's `syscall`
//! through `TABLE` too, since the child's calls bind it there.

use crate::Errno;
use libc::{
    c_char, c_int, c_long, c_uint, c_ulong, c_void, gid_t, id_t, idtype_t, pid_t, rlimit,
    siginfo_t, sigset_t, ssize_t, stat, uid_t,
};

/// The C declarations, named only by `TABLE`'s initializer.
mod sym {
    use libc::{c_char, c_int, c_long, c_uint, c_ulong, c_void, pid_t, sigset_t, ssize_t};

    unsafe extern "C" {
        #[link_name = "__errno_location"]
        pub(super) fn errno_location() -> *mut c_int;
        #[link_name = "chdir"]
        pub(super) fn chdir(path: *const c_char) -> c_int;
        #[link_name = "chroot"]
        pub(super) fn chroot(path: *const c_char) -> c_int;
        #[link_name = "close"]
        pub(super) fn close(fd: c_int) -> c_int;
        #[link_name = "close_range"]
        pub(super) fn close_range(first: c_uint, last: c_uint, flags: c_int) -> c_int;
        #[link_name = "dup2"]
        pub(super) fn dup2(oldfd: c_int, newfd: c_int) -> c_int;
        #[link_name = "execve"]
        pub(super) fn execve(
            path: *const c_char,
            argv: *const *const c_char,
            envp: *const *const c_char,
        ) -> c_int;
        #[link_name = "_exit"]
        pub(super) fn exit(status: c_int) -> !;
        #[link_name = "fcntl"]
        pub(super) fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
        #[link_name = "_Fork"]
        pub(super) fn fork() -> pid_t;
        #[link_name = "getpid"]
        pub(super) fn getpid() -> pid_t;
        #[link_name = "ioctl"]
        pub(super) fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
        #[link_name = "ptrace"]
        pub(super) fn ptrace(request: c_uint, ...) -> c_long;
        #[link_name = "setpgid"]
        pub(super) fn setpgid(pid: pid_t, pgid: pid_t) -> c_int;
        #[link_name = "setsid"]
        pub(super) fn setsid() -> pid_t;
        #[link_name = "sigaction"]
        pub(super) fn sigaction(
            signum: c_int,
            act: *const libc::sigaction,
            oldact: *mut libc::sigaction,
        ) -> c_int;
        #[link_name = "sigprocmask"]
        pub(super) fn sigprocmask(how: c_int, set: *const sigset_t, oldset: *mut sigset_t)
        -> c_int;
        // `syscall`: makes `setgid`, `setgroups`, `setuid` by number. glibc's
        // `setuid`, `setgid` and `setgroups` change the ids of every thread on
        // glibc's list of threads, under a lock that creating and ending a
        // thread take, and first wait for each listed thread that is still
        // being created. After `_Fork` the child has one thread but the
        // parent's list: a thread the parent was creating at the fork never
        // comes to be in the child, and a lock a parent thread held then is
        // never released, so the child can wait forever. musl's versions take a
        // lock that a parent thread may have held at the fork. The system call
        // itself changes the calling thread alone, which in the child is the
        // whole process. The parent-only `pidfd_open`, `pidfd_send_signal` are
        // made through it too.
        #[link_name = "syscall"]
        pub(super) fn syscall(number: c_long, ...) -> c_long;
        #[link_name = "write"]
        pub(super) fn write(fd: c_int, buf: *const c_void, count: usize) -> ssize_t;
    }
}

/// The child-allowed entry points, bound by the dynamic linker at load time.
struct Table {
    errno_location: unsafe extern "C" fn() -> *mut c_int,
    chdir: unsafe extern "C" fn(*const c_char) -> c_int,
    chroot: unsafe extern "C" fn(*const c_char) -> c_int,
    close: unsafe extern "C" fn(c_int) -> c_int,
    close_range: unsafe extern "C" fn(c_uint, c_uint, c_int) -> c_int,
    dup2: unsafe extern "C" fn(c_int, c_int) -> c_int,
    execve:
        unsafe extern "C" fn(*const c_char, *const *const c_char, *const *const c_char) -> c_int,
    exit: unsafe extern "C" fn(c_int) -> !,
    fcntl: unsafe extern "C" fn(c_int, c_int, ...) -> c_int,
    fork: unsafe extern "C" fn() -> pid_t,
    getpid: unsafe extern "C" fn() -> pid_t,
    ioctl: unsafe extern "C" fn(c_int, c_ulong, ...) -> c_int,
    ptrace: unsafe extern "C" fn(c_uint, ...) -> c_long,
    setpgid: unsafe extern "C" fn(pid_t, pid_t) -> c_int,
    setsid: unsafe extern "C" fn() -> pid_t,
    sigaction: unsafe extern "C" fn(c_int, *const libc::sigaction, *mut libc::sigaction) -> c_int,
    sigprocmask: unsafe extern "C" fn(c_int, *const sigset_t, *mut sigset_t) -> c_int,
    syscall: unsafe extern "C" fn(c_long, ...) -> c_long,
    write: unsafe extern "C" fn(c_int, *const c_void, usize) -> ssize_t,
}

static TABLE: Table = Table {
    errno_location: sym::errno_location,
    chdir: sym::chdir,
    chroot: sym::chroot,
    close: sym::close,
    close_range: sym::close_range,
    dup2: sym::dup2,
    execve: sym::execve,
    exit: sym::exit,
    fcntl: sym::fcntl,
    fork: sym::fork,
    getpid: sym::getpid,
    ioctl: sym::ioctl,
    ptrace: sym::ptrace,
    setpgid: sym::setpgid,
    setsid: sym::setsid,
    sigaction: sym::sigaction,
    sigprocmask: sym::sigprocmask,
    syscall: sym::syscall,
    write: sym::write,
};

/// The calling thread's `errno`, read through `__errno_location`.
#[inline]
fn errno() -> Errno {
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let location = unsafe { core::ptr::read_volatile(&raw const TABLE.errno_location) };
    // SAFETY: `__errno_location` takes no argument and returns the address of
    // the calling thread's errno.
    Errno::from_raw(unsafe { *location() })
}

/// `chdir(path)` — changes the working directory.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `path` points to a NUL-terminated string.
#[inline]
pub unsafe fn chdir(path: *const c_char) -> Result<(), Errno> {
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.chdir) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(path) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.chroot) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(path) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.close) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(fd) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
}

/// `close_range(first, last, flags)` — closes every descriptor from `first` to
/// `last` (Linux 5.9, glibc 2.34).
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// No descriptor in the range is in use by other code.
#[inline]
pub unsafe fn close_range(first: c_uint, last: c_uint, flags: c_int) -> Result<(), Errno> {
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.close_range) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(first, last, flags) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.dup2) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(oldfd, newfd) };
    if ret == -1 { Err(errno()) } else { Ok(ret) }
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.execve) };
    // SAFETY: the caller upholds this function's contract.
    unsafe { f(path, argv, envp) };
    errno()
}

/// `exit(status)` — ends the process at once; runs no atexit handler and
/// flushes nothing.
///
/// Allowed between fork and exec. Binds `_exit`.
///
/// # Safety
///
/// Nothing that the process still has to do (buffered output, other threads'
/// work) is needed: it all ends here.
#[doc(alias = "_exit")]
#[inline]
pub unsafe fn exit(status: c_int) -> ! {
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.exit) };
    // SAFETY: the caller upholds this function's contract.
    unsafe { f(status) }
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
    let ret = unsafe { libc::faccessat(dirfd, path, mode, 0) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.fcntl) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(fd, cmd, arg) };
    if ret == -1 { Err(errno()) } else { Ok(ret) }
}

/// `fork()` — a child process, made by `_Fork`; runs no atfork handler.
///
/// Allowed between fork and exec. Binds `_Fork`.
///
/// # Safety
///
/// In a process with other threads, the child may only make async-signal-safe
/// calls before it execs or exits; no lock another thread held is usable there.
#[doc(alias = "_Fork")]
#[inline]
pub unsafe fn fork() -> Result<pid_t, Errno> {
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.fork) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f() };
    if ret == -1 { Err(errno()) } else { Ok(ret) }
}

/// `fstatat(dirfd, path, buf, flags)` — a file's status.
///
/// Parent only: not for a forked child.
///
/// # Safety
///
/// `path` points to a NUL-terminated string and `buf` to a writable `stat`.
#[inline]
pub unsafe fn fstatat(
    dirfd: c_int,
    path: *const c_char,
    buf: *mut stat,
    flags: c_int,
) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { libc::fstatat(dirfd, path, buf, flags) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.getpid) };
    // SAFETY: the caller upholds this function's contract.
    unsafe { f() }
}

/// `getrlimit(resource, rlim)` — a resource limit.
///
/// Parent only: not for a forked child. The resource is an unsigned enum in
/// glibc's declaration.
///
/// # Safety
///
/// `rlim` points to a writable `rlimit`.
#[inline]
pub unsafe fn getrlimit(resource: c_int, rlim: *mut rlimit) -> Result<(), Errno> {
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { libc::getrlimit(resource as _, rlim) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.ioctl) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(fd, request, arg) };
    if ret == -1 { Err(errno()) } else { Ok(ret) }
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
    let ret = unsafe { libc::kill(pid, sig) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
}

/// `pidfd_open(pid, flags)` — a close-on-exec descriptor that refers to the
/// process `pid` (Linux 5.3).
///
/// Parent only: not for a forked child. The C library has no wrapper before
/// glibc 2.36, and musl none. Made as system call `SYS_pidfd_open` through the
/// C library's `syscall`, by the table's pointer to it.
///
/// # Safety
///
/// None beyond the call being made at all: it reads no memory. The caller owns
/// the descriptor it returns.
#[inline]
pub unsafe fn pidfd_open(pid: pid_t, flags: c_uint) -> Result<c_int, Errno> {
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.syscall) };
    // SAFETY: the caller upholds this function's contract, and `SYS_pidfd_open`
    // takes these arguments, each passed as the `long` that `syscall` reads.
    let ret = unsafe { f(libc::SYS_pidfd_open, pid as c_long, flags as c_long) };
    if ret == -1 {
        Err(errno())
    } else {
        Ok(ret as c_int)
    }
}

/// `pidfd_send_signal(pidfd, sig, info, flags)` — sends a signal to the process
/// that `pidfd` refers to (Linux 5.1).
///
/// Parent only: not for a forked child. The C library has no wrapper before
/// glibc 2.36, and musl none. Made as system call `SYS_pidfd_send_signal`
/// through the C library's `syscall`, by the table's pointer to it.
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.syscall) };
    // SAFETY: the caller upholds this function's contract, and
    // `SYS_pidfd_send_signal` takes these arguments, each passed as the `long`
    // that `syscall` reads.
    let ret = unsafe {
        f(
            libc::SYS_pidfd_send_signal,
            pidfd as c_long,
            sig as c_long,
            info as c_long,
            flags as c_long,
        )
    };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    let ret = unsafe { libc::pipe2(fds, flags) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.ptrace) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(request, pid, addr, data) };
    if ret == -1 { Err(errno()) } else { Ok(ret) }
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
    let ret = unsafe { libc::read(fd, buf, count) };
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret as usize)
    }
}

/// `setgid(gid)` — sets the calling thread's group ids; the process's when it
/// has no other thread.
///
/// Allowed between fork and exec. Made as system call `SYS_setgid` through the
/// C library's `syscall`, not by its `setgid`, which can leave a forked child
/// waiting forever (see the declaration of `syscall` above).
///
/// # Safety
///
/// Losing privileges is what the caller means.
#[inline]
pub unsafe fn setgid(gid: gid_t) -> Result<(), Errno> {
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.syscall) };
    // SAFETY: the caller upholds this function's contract, and `SYS_setgid`
    // takes these arguments, each passed as the `long` that `syscall` reads.
    let ret = unsafe { f(libc::SYS_setgid, gid as c_long) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
}

/// `setgroups(size, list)` — sets the calling thread's supplementary groups;
/// the process's when it has no other thread.
///
/// Allowed between fork and exec. Made as system call `SYS_setgroups` through
/// the C library's `syscall`, not by its `setgroups`, which can leave a forked
/// child waiting forever (see the declaration of `syscall` above).
///
/// # Safety
///
/// `list` points to `size` group ids.
#[inline]
pub unsafe fn setgroups(size: usize, list: *const gid_t) -> Result<(), Errno> {
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.syscall) };
    // SAFETY: the caller upholds this function's contract, and `SYS_setgroups`
    // takes these arguments, each passed as the `long` that `syscall` reads.
    let ret = unsafe { f(libc::SYS_setgroups, size as c_long, list as c_long) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.setpgid) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(pid, pgid) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.setsid) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f() };
    if ret == -1 { Err(errno()) } else { Ok(ret) }
}

/// `setuid(uid)` — sets the calling thread's user ids; the process's when it
/// has no other thread.
///
/// Allowed between fork and exec. Made as system call `SYS_setuid` through the
/// C library's `syscall`, not by its `setuid`, which can leave a forked child
/// waiting forever (see the declaration of `syscall` above).
///
/// # Safety
///
/// Losing privileges is what the caller means.
#[inline]
pub unsafe fn setuid(uid: uid_t) -> Result<(), Errno> {
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.syscall) };
    // SAFETY: the caller upholds this function's contract, and `SYS_setuid`
    // takes these arguments, each passed as the `long` that `syscall` reads.
    let ret = unsafe { f(libc::SYS_setuid, uid as c_long) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
}

/// `sigaction(signum, act, oldact)` — examines or changes a signal's action.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `act` is null or points to a `sigaction` whose handler may run in this
/// process; `oldact` is null or points to room for one.
#[inline]
pub unsafe fn sigaction(
    signum: c_int,
    act: *const libc::sigaction,
    oldact: *mut libc::sigaction,
) -> Result<(), Errno> {
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.sigaction) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(signum, act, oldact) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
}

/// `sigprocmask(how, set, oldset)` — examines or changes the calling thread's
/// signal mask.
///
/// Allowed between fork and exec.
///
/// # Safety
///
/// `set` is null or points to a `sigset_t`; `oldset` is null or points to room
/// for one.
#[inline]
pub unsafe fn sigprocmask(
    how: c_int,
    set: *const sigset_t,
    oldset: *mut sigset_t,
) -> Result<(), Errno> {
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.sigprocmask) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(how, set, oldset) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    let ret = unsafe { libc::wait4(pid, status, options, rusage) };
    if ret == -1 { Err(errno()) } else { Ok(ret) }
}

/// `waitid(idtype, id, infop, options)` — waits for a change of state of a
/// child that `idtype` and `id` name, and describes it in `infop`.
///
/// Parent only: not for a forked child.
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
    let ret = unsafe { libc::waitid(idtype, id, infop, options) };
    if ret == -1 { Err(errno()) } else { Ok(()) }
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
    // SAFETY: TABLE is an initialized static; see the module's docs for
    // why the load is volatile.
    let f = unsafe { core::ptr::read_volatile(&raw const TABLE.write) };
    // SAFETY: the caller upholds this function's contract.
    let ret = unsafe { f(fd, buf, count) };
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret as usize)
    }
}
