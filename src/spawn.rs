//! The parent's side of a spawn: checks, the fork, and reading the child's
//! report.

use libc::c_int;

use crate::child::{self, Plan, RECORD_LEN, Record};
use crate::command::{Command, Slot, Strategy};
use crate::path::{self, PATH_MAX};
#[cfg(target_os = "linux")]
use crate::pidfd::fork;
use crate::process::{self, Child};
use crate::{Errno, Error, Step, os};

/// Most slots a descriptor map may have ([`Command::fds`]). The child needs one
/// scratch number per slot, kept in the parent's stack frame; the bound keeps
/// that frame at 2 KiB.
///
/// A whole spawn uses about 8 KiB of the caller's stack with
/// [`Strategy::Fork`] and 16.5 KiB with [`Strategy::Vfork`] (measured on
/// x86_64 and aarch64). A signal handler that spawns on an alternate stack
/// needs that much on top of the kernel's signal frame, which is up to 12 KiB
/// on x86_64 with AVX-512 (`AT_MINSIGSTKSZ`): a `SIGSTKSZ` of 8 KiB is not
/// enough there.
pub const MAX_FDS: usize = 512;

/// Most supplementary groups (`NGROUPS_MAX`: 65536 on Linux since 2.6.4, 16
/// on macOS, 1023 on FreeBSD 14, 16 on OpenBSD and NetBSD).
const NGROUPS_MAX: usize = os::NGROUPS_MAX;

impl Command<'_> {
    /// `cmd.spawn()` — starts the program and returns its [`Child`] once it has
    /// been exec'd, or the step that failed.
    ///
    /// The parent checks the attributes, finds the program, blocks every
    /// signal, forks without running any atfork handler, and waits for the
    /// child to exec or report a failure. A failed child is reaped before this
    /// returns. No heap memory is used, in the parent or the child.
    ///
    /// A child that dies before its `execve` without reporting a failure (a
    /// signal from elsewhere, a crash) cannot be told apart from one that
    /// exec'd: `spawn` returns its `Child`, and [`Child::wait`] reports how
    /// it ended.
    ///
    /// The parent's side uses only system calls and the crate's own code: no
    /// allocation and no lock that interrupted code could hold. So `spawn` may
    /// be called from a signal handler or from inside a global allocator. Two
    /// things to know there: on macOS it waits for the
    /// [`ForkLock`](crate::ForkLock), so a handler must not spawn while its own
    /// thread holds that lock shared; and on the libc backends it may change
    /// `errno`, which a handler saves and restores as around any call.
    ///
    /// # Errors
    ///
    /// An [`Error`] naming the [`Step`] and its errno: `invalid` for a bad
    /// request (see [`Error::reason`]), `path` when a name is not found in
    /// `PATH`, `pipe` and `fork` for the parent's own calls, the child's steps
    /// in the order they run, up to `exec`, and `protocol` when the child's
    /// report could not be read (the child is then killed and reaped).
    ///
    /// # References
    ///
    /// - [POSIX `_Fork`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/_Fork.html)
    /// - [POSIX `execve`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/exec.html)
    /// - [Linux `clone(2)`](https://man7.org/linux/man-pages/man2/clone.2.html)
    /// - [Linux `execve(2)`](https://man7.org/linux/man-pages/man2/execve.2.html)
    /// - [macOS `fork(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/fork.2.html)
    /// - [macOS `execve(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/execve.2.html)
    /// - [FreeBSD `fork(2)`, which describes `_Fork`](https://man.freebsd.org/cgi/man.cgi?query=fork&sektion=2)
    /// - [FreeBSD `execve(2)`](https://man.freebsd.org/cgi/man.cgi?query=execve&sektion=2)
    /// - [OpenBSD `fork(2)`](https://man.openbsd.org/fork.2)
    /// - [OpenBSD `execve(2)`](https://man.openbsd.org/execve.2)
    /// - [NetBSD `fork(2)`](https://man.netbsd.org/fork.2)
    /// - [NetBSD `execve(2)`](https://man.netbsd.org/execve.2)
    pub fn spawn(&self) -> Result<Child, Error> {
        validate(self)?;
        let map_len = self.fds.map_or(0, <[Slot]>::len);
        let fd_limit = if self.close_other_fds || map_len > 0 {
            os::fd_limit()
        } else {
            0
        };
        // A slot at or above RLIMIT_NOFILE cannot be made: dup2 says EBADF.
        // Said here, before the fork, it is the same for every strategy.
        if map_len > 0 && map_len > fd_limit as usize {
            return Err(Error::new(Step::Fd, Errno::EBADF));
        }

        let mut path_buf = [0u8; PATH_MAX];
        let path = path::resolve(self, &mut path_buf)?;
        let default_argv = [self.program.as_ptr(), core::ptr::null()];
        let argv = match self.argv {
            Some(argv) => argv.ptr,
            None => default_argv.as_ptr(),
        };
        let envp = match self.envp {
            Some(envp) => envp.ptr,
            None => os::environ(),
        };
        let mut moved = [0 as c_int; MAX_FDS];
        let mut plan = Plan {
            cmd: self,
            path,
            argv,
            envp,
            sigmask: 0,
            fd_limit,
            status_fd: -1,
            moved: moved.as_mut_ptr(),
            handlers_reset: false,
        };

        match self.strategy {
            Strategy::Fork => spawn_fork(&mut plan),
            #[cfg(all(target_os = "linux", not(feature = "linux-libc")))]
            Strategy::Auto if crate::vfork::fits(self) => crate::vfork::spawn(&mut plan),
            Strategy::Auto => spawn_fork(&mut plan),
            #[cfg(all(target_os = "linux", not(feature = "linux-libc")))]
            Strategy::Vfork => crate::vfork::spawn(&mut plan),
            #[cfg(not(all(target_os = "linux", not(feature = "linux-libc"))))]
            Strategy::Vfork => Err(Error::invalid(
                Errno::EINVAL,
                "the vfork strategy needs Linux and raw system calls (not linux-libc)",
            )),
        }
    }
}

/// Rejects contradictory or impossible requests before anything is done.
fn validate(cmd: &Command<'_>) -> Result<(), Error> {
    let bad = |errno, reason| Err(Error::invalid(errno, reason));
    if cfg!(not(target_os = "linux")) && cmd.pidfd {
        return bad(Errno::EINVAL, "pidfds are Linux-only");
    }
    let ctty_in_map = |fd: c_int| match cmd.fds {
        Some(map) => matches!(map.get(fd as usize), Some(Slot::Fd(_))),
        None => (0..3).contains(&fd),
    };

    if let Some(map) = cmd.fds {
        if map.len() > MAX_FDS {
            return bad(Errno::E2BIG, "descriptor map longer than MAX_FDS slots");
        }
        if map
            .iter()
            .any(|slot| matches!(slot, Slot::Fd(fd) if *fd < 0))
        {
            return bad(
                Errno::EBADF,
                "descriptor map slot with a negative descriptor",
            );
        }
    }
    if let Some(argv) = cmd.argv {
        // SAFETY: `argv` is a NUL-terminated array (CStrArray, or args_raw's
        // contract).
        if argv.ptr.is_null() || unsafe { (*argv.ptr).is_null() } {
            return bad(Errno::EINVAL, "argv is empty: it needs at least argv[0]");
        }
    }
    if cmd.envp.is_some_and(|envp| envp.ptr.is_null()) {
        return bad(Errno::EINVAL, "envp is a null pointer");
    }
    if cmd.groups.is_some_and(|groups| groups.len() > NGROUPS_MAX) {
        return bad(Errno::EINVAL, "more supplementary groups than NGROUPS_MAX");
    }
    if cmd.uid == Some(libc::uid_t::MAX) || cmd.gid == Some(libc::gid_t::MAX) {
        return bad(Errno::EINVAL, "uid or gid -1 is not an id");
    }
    if cmd.pgid.is_some_and(|pgid| pgid < 0) {
        return bad(Errno::EINVAL, "negative process group id");
    }
    if cmd.setsid && cmd.pgid.is_some() {
        return bad(
            Errno::EINVAL,
            "setsid and setpgid exclude each other: a session leader cannot change its group",
        );
    }
    if cmd.ctty.is_some_and(|fd| fd < 0) {
        return bad(Errno::EBADF, "negative ctty descriptor");
    }
    if cmd.foreground {
        if cmd.setctty {
            return bad(Errno::EINVAL, "foreground and setctty exclude each other");
        }
        if cmd.setsid {
            return bad(
                Errno::EINVAL,
                "foreground needs the parent's terminal, which setsid leaves",
            );
        }
        if cmd.ctty.is_none() {
            return bad(Errno::EINVAL, "foreground needs a ctty descriptor");
        }
    }
    if cmd.noctty {
        if cmd.setsid {
            return bad(
                Errno::EINVAL,
                "noctty and setsid exclude each other: a new session has no terminal to give up",
            );
        }
        if !ctty_in_map(0) {
            return bad(
                Errno::EBADF,
                "noctty acts on descriptor 0, which the map does not give the child",
            );
        }
    }
    if cmd.setctty {
        let Some(fd) = cmd.ctty else {
            return bad(Errno::EINVAL, "setctty needs a ctty descriptor");
        };
        if !ctty_in_map(fd) {
            return bad(
                Errno::EBADF,
                "setctty's ctty is not a descriptor of the child's map",
            );
        }
        if !cmd.setsid {
            return bad(
                Errno::EINVAL,
                "setctty needs setsid: only a session leader can take a terminal",
            );
        }
    }
    Ok(())
}

/// The classic path: a fork, a close-on-exec pipe for the child's report.
fn spawn_fork(plan: &mut Plan<'_>) -> Result<Child, Error> {
    // Signals first: a handler that spawns must not find its own thread
    // holding the fork lock.
    let old_mask = block_signals(plan)?;
    let fork_lock = crate::fork_lock::for_spawn();
    let [read_end, write_end] = match status_pipe(plan) {
        Ok(fds) => fds,
        Err(err) => {
            drop(fork_lock);
            restore_signals(old_mask);
            return Err(err);
        }
    };
    plan.status_fd = write_end;

    let mut pidfd = -1;
    // SAFETY: the child branch only runs `child::run`, which keeps to the
    // rules a forked child must follow, and leaves by the raw exit.
    let forked = unsafe { fork(plan.cmd.pidfd, &mut pidfd) };
    if let Ok(0) = forked {
        // SAFETY: this is the freshly forked child, with all signals blocked,
        // and the status channel's write end in the plan.
        unsafe { child::run_and_report(plan) };
    }
    drop(fork_lock);

    restore_signals(old_mask);
    // The child has its own copy of the write end.
    close_fds(&[write_end]);
    let child = forked
        .map_err(|errno| Error::new(Step::Fork, errno))
        .and_then(|pid| adopt(pid, pidfd, plan.cmd.pidfd));
    match child {
        Ok(child) => await_report(child, read_end),
        Err(err) => {
            close_fds(&[read_end]);
            Err(err)
        }
    }
}

/// `fork(want_pidfd, pidfd)` — the fork path's fork. On Linux it is
/// [`crate::pidfd::fork`], which has the kernel make the child's pidfd
/// with it when asked; elsewhere `validate` refuses a pidfd, and this is the
/// backend's fork.
///
/// # Safety
///
/// As for the backend's `fork`.
#[cfg(not(target_os = "linux"))]
#[inline(always)]
unsafe fn fork(_want_pidfd: bool, _pidfd: &mut c_int) -> Result<libc::pid_t, Errno> {
    // SAFETY: forwarded from this function's contract.
    unsafe { os::fork() }
}

/// The parent's handle on the child it just made, `pid`, with the pidfd the
/// clone made (`pidfd`, -1 for none); when the command wants a pidfd and the
/// clone made none, one is opened now. A child whose pidfd cannot be had is
/// killed and reaped, and the spawn fails at `fork`.
pub(crate) fn adopt(pid: libc::pid_t, pidfd: c_int, want: bool) -> Result<Child, Error> {
    #[cfg(target_os = "linux")]
    if want && pidfd < 0 {
        return match crate::pidfd::open(pid) {
            Ok(pidfd) => Ok(Child::with_pidfd(pid, pidfd)),
            Err(errno) => {
                // SAFETY: kill takes no pointer; `pid` is our unreaped child.
                let _ = unsafe { os::kill(pid, libc::SIGKILL) };
                process::reap(pid);
                Err(Error::new(Step::Fork, errno))
            }
        };
    }
    // `validate` refuses a pidfd on other systems.
    #[cfg(not(target_os = "linux"))]
    let _ = want;
    Ok(Child::with_pidfd(pid, pidfd))
}

/// The status channel: a close-on-exec pipe, `[read_end, write_end]`.
pub(crate) fn status_pipe(plan: &Plan<'_>) -> Result<[c_int; 2], Error> {
    let [read_end, write_end] =
        os::pipe_cloexec().map_err(|errno| Error::new(Step::Pipe, errno))?;
    // A source that has the pipe's number was not open when the pipe was
    // made: in the child it would be the pipe, so it is reported as the bad
    // descriptor it was.
    if let Some(map) = plan.cmd.fds {
        let is_pipe =
            |slot: &Slot| matches!(*slot, Slot::Fd(fd) if fd == read_end || fd == write_end);
        if map.iter().any(is_pipe) {
            close_fds(&[read_end, write_end]);
            return Err(Error::new(Step::Fd, Errno::EBADF));
        }
    }
    Ok([read_end, write_end])
}

/// Blocks every signal in the calling thread, so that no handler runs in the
/// child, and sets the mask the child will exec with. Returns the mask to
/// restore once the child is made.
pub(crate) fn block_signals(plan: &mut Plan<'_>) -> Result<os::RawSigSet, Error> {
    let mut old_mask = 0;
    // SAFETY: blocking signals in this thread only delays their handlers.
    unsafe { os::block(!0, &mut old_mask) }.map_err(|errno| Error::new(Step::Fork, errno))?;
    plan.sigmask = match plan.cmd.sigmask {
        Some(set) => set.0,
        None => old_mask,
    };
    Ok(old_mask)
}

/// Restores the mask that [`block_signals`] returned.
pub(crate) fn restore_signals(old_mask: os::RawSigSet) {
    // SAFETY: restores the mask saved before the fork.
    let _ = unsafe { os::set_sigmask(old_mask, None) };
}

/// Closes descriptors that this spawn made.
pub(crate) fn close_fds(fds: &[c_int]) {
    for &fd in fds {
        // SAFETY: each descriptor is this spawn's own and is not used again.
        let _ = unsafe { os::close(fd) };
    }
}

/// Waits for the child's report on the read end of the status channel
/// (closed here): end of file means the child exec'd; a record means it
/// failed, and it is reaped (by pid, its pidfd closed after).
pub(crate) fn await_report(child: Child, read_end: c_int) -> Result<Child, Error> {
    let pid = child.pid();
    let report = read_record(read_end);
    close_fds(&[read_end]);
    match report {
        // End of file: the exec closed the child's write end.
        Ok(None) => Ok(child),
        Ok(Some(record)) => {
            process::reap(pid);
            Err(decode(record))
        }
        Err(errno) => {
            // The child's fate is unknown; do not leave it behind.
            // SAFETY: kill takes no pointer; `pid` is our unreaped child.
            let _ = unsafe { os::kill(pid, libc::SIGKILL) };
            process::reap(pid);
            Err(Error::new(Step::Protocol, errno))
        }
    }
}

/// Reads the child's report: `None` at end of file, a record when it is
/// whole, `EPROTO` when it is cut short.
fn read_record(fd: c_int) -> Result<Option<Record>, Errno> {
    let mut buf = [0u8; RECORD_LEN];
    let mut got = 0;
    while got < RECORD_LEN {
        let rest = &mut buf[got..];
        // SAFETY: `rest` is a live, writable buffer of `rest.len()` bytes.
        match unsafe { os::read(fd, rest.as_mut_ptr().cast(), rest.len()) } {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno::EINTR) => continue,
            Err(errno) => return Err(errno),
        }
    }
    match got {
        0 => Ok(None),
        RECORD_LEN => {
            // SAFETY: `buf` holds RECORD_LEN bytes and `Record` is two plain
            // integers, valid for any bit pattern.
            Ok(Some(unsafe {
                buf.as_ptr().cast::<Record>().read_unaligned()
            }))
        }
        _ => Err(Errno::EPROTO),
    }
}

/// The error a child's record stands for; a record that names no child
/// step is a protocol error.
pub(crate) fn decode(record: Record) -> Error {
    match Step::from_raw(record.step) {
        Some(step) if step.is_child() && record.errno > 0 => {
            Error::new(step, Errno::from_raw(record.errno))
        }
        _ => Error::new(Step::Protocol, Errno::EPROTO),
    }
}
