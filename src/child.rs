//! The child's side of a spawn: the steps between the fork and `execve`.

use libc::{c_char, c_int};

use crate::command::Command;
use crate::fdmap::{self, FdOps, Request};
use crate::os;
use crate::{Errno, Step};

/// Everything the child needs, worked out by the parent before the fork.
///
/// The child reads it and writes only `status_fd` and the `moved` scratch
/// slots, which the parent set aside for it.
pub(crate) struct Plan<'p> {
    pub(crate) cmd: &'p Command<'p>,
    pub(crate) path: *const c_char,
    pub(crate) argv: *const *const c_char,
    pub(crate) envp: *const *const c_char,
    /// The mask the child sets just before `execve`.
    pub(crate) sigmask: os::RawSigSet,
    /// Bound of the descriptor-closing loop on kernels without
    /// `close_range`.
    pub(crate) fd_limit: c_int,
    /// Where the child writes a failure record; `-1` when the parent reads
    /// the failure from shared memory instead.
    pub(crate) status_fd: c_int,
    /// One scratch descriptor number per slot of the map.
    pub(crate) moved: *mut c_int,
    /// Whether the kernel already set every caught signal's action to the
    /// default as it made the child (`CLONE_CLEAR_SIGHAND`).
    pub(crate) handlers_reset: bool,
}

/// What a failed child reports: the step and its errno, as one fixed-size
/// record that a pipe carries atomically.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Record {
    pub(crate) step: u32,
    pub(crate) errno: i32,
}

/// Size of a [`Record`] on the status channel.
pub(crate) const RECORD_LEN: usize = core::mem::size_of::<Record>();

static_assertions::const_assert!(RECORD_LEN <= libc::PIPE_BUF);

trait Fail<T> {
    fn at(self, step: Step) -> Result<T, Record>;
}

impl<T> Fail<T> for Result<T, Errno> {
    #[inline(always)]
    fn at(self, step: Step) -> Result<T, Record> {
        self.map_err(|errno| Record {
            step: step as u32,
            errno: errno.raw(),
        })
    }
}

/// Runs the child's steps in order and returns the first failure; on success
/// it does not return, since `execve` replaced the program.
///
/// Between the fork and `execve` the child must not allocate, take a lock,
/// unwind or panic, touch thread-local state (errno included, on the raw
/// backends), or call anything that is not async-signal-safe or that the
/// dynamic linker might still have to bind. Every call below is one of the
/// backend's entry points, each a single system call.
///
/// # Safety
///
/// Call only in a freshly forked child (or one sharing the parent's memory
/// while the parent waits), with every signal blocked, and with `plan` built
/// by the parent for this spawn.
///
/// Never inlined, so that the object-code audit finds the child's code as a
/// function of its own and checks what it reaches.
#[inline(never)]
pub(crate) unsafe fn run(plan: &mut Plan<'_>) -> Record {
    // SAFETY: forwarded from this function's contract.
    match unsafe { steps(plan) } {
        Ok(never) => match never {},
        Err(record) => record,
    }
}

/// The whole life of a forked child: [`run`], then, on failure, the record
/// on the status channel and the raw exit, which runs no atexit handler and
/// flushes nothing.
///
/// # Safety
///
/// As for [`run`], in a child made by a fork, with `plan.status_fd` the
/// write end of the status channel.
#[inline(never)]
pub(crate) unsafe fn run_and_report(plan: &mut Plan<'_>) -> ! {
    // SAFETY: forwarded from this function's contract.
    let record = unsafe { run(plan) };
    let bytes = (&raw const record).cast();
    // SAFETY: `record` is a live value of RECORD_LEN bytes. A failed write
    // leaves the parent to see end of file and a child that exited 127;
    // nothing else can be done about it here.
    let _ = unsafe { os::write(plan.status_fd, bytes, RECORD_LEN) };
    // SAFETY: the raw exit ends only this child.
    unsafe { os::exit(127) }
}

/// The child's checklist; see [`run`].
///
/// # Safety
///
/// As for [`run`].
#[inline(always)]
unsafe fn steps(plan: &mut Plan<'_>) -> Result<core::convert::Infallible, Record> {
    let cmd = plan.cmd;

    // 1. A new session.
    if cmd.setsid {
        // SAFETY: setsid takes no pointer.
        unsafe { os::setsid() }.at(Step::Setsid)?;
    }

    // 2. A process group: its own (0) or the one given; foreground alone
    // implies its own.
    if let Some(pgid) = cmd.pgid.or(if cmd.foreground { Some(0) } else { None }) {
        // SAFETY: setpgid takes no pointer.
        unsafe { os::setpgid(0, pgid) }.at(Step::Setpgid)?;
    }

    // 3. The group becomes the terminal's foreground group. SIGTTOU is
    // blocked, so a background child is not stopped by it.
    if cmd.foreground {
        let mut pgid = match cmd.pgid {
            Some(0) | None => {
                // SAFETY: getpid takes no pointer.
                unsafe { os::getpid() }
            }
            Some(pgid) => pgid,
        };
        let fd = cmd.ctty.unwrap_or(-1);
        let arg = (&raw mut pgid).cast();
        // SAFETY: TIOCSPGRP reads a pid_t from `arg`, which points to one.
        unsafe { os::ioctl(fd, os::TIOCSPGRP as _, arg) }.at(Step::Foreground)?;
    }

    // 4. Handlers back to the default, before any signal can be unblocked.
    // A child made with CLONE_CLEAR_SIGHAND has that done already, and only
    // the ignored signals of `sigdefault` are left.
    if !plan.handlers_reset || cmd.sigdefault.0 != 0 {
        // SAFETY: all signals are blocked (this function's contract).
        unsafe { os::reset_signal_handlers(cmd.sigdefault.0) }.at(Step::Signals)?;
    }

    // 5. The new root, then into it, so nothing resolves outside it.
    if let Some(root) = cmd.chroot {
        // SAFETY: `root` is a NUL-terminated string that outlives the call.
        unsafe { os::chroot(root.as_ptr()) }.at(Step::Chroot)?;
        // SAFETY: as above, for a static string.
        unsafe { os::chdir(c"/".as_ptr()) }.at(Step::Chroot)?;
    }

    // 6. Credentials: groups first, then the group id, then the user id,
    // since each may take away the right to make the next.
    if let Some(groups) = groups_to_set(cmd) {
        // SAFETY: `groups` is a live slice of gid_t; the length was checked
        // against the OS limit by the parent.
        unsafe { os::setgroups(groups.len() as _, groups.as_ptr()) }.at(Step::Setgroups)?;
    }
    if let Some(gid) = cmd.gid {
        // SAFETY: setgid takes no pointer.
        unsafe { os::setgid(gid) }.at(Step::Setgid)?;
    }
    if let Some(uid) = cmd.uid {
        // SAFETY: setuid takes no pointer.
        unsafe { os::setuid(uid) }.at(Step::Setuid)?;
    }

    // 7. The working directory, inside the new root if there is one.
    if let Some(dir) = cmd.dir {
        // SAFETY: `dir` is a NUL-terminated string that outlives the call.
        unsafe { os::chdir(dir.as_ptr()) }.at(Step::Chdir)?;
    }

    // 8. Descriptors.
    let request = Request {
        map: cmd.fds,
        close_other_fds: cmd.close_other_fds,
    };
    let slots = cmd.fds.map_or(0, <[_]>::len);
    // SAFETY: the parent set aside `moved` with room for every slot, for the
    // child alone.
    let moved = unsafe { core::slice::from_raw_parts_mut(plan.moved, slots) };
    let mut fds = RealFds {
        fd_limit: plan.fd_limit,
    };
    fdmap::arrange(&mut fds, &request, &mut plan.status_fd, moved).at(Step::Fd)?;

    // 9. Terminal: give up the one on descriptor 0, or take `ctty`.
    if cmd.noctty {
        // SAFETY: TIOCNOTTY takes no argument.
        unsafe { os::ioctl(0, os::TIOCNOTTY as _, core::ptr::null_mut()) }.at(Step::Noctty)?;
    }
    if cmd.setctty {
        let fd = cmd.ctty.unwrap_or(-1);
        // SAFETY: TIOCSCTTY takes an integer (0: do not steal the terminal).
        unsafe { os::ioctl(fd, os::TIOCSCTTY as _, core::ptr::null_mut()) }.at(Step::Setctty)?;
    }

    // 10. The signal mask the program starts with.
    // SAFETY: the handlers were reset in step 4.
    unsafe { os::set_sigmask(plan.sigmask, None) }.at(Step::Sigmask)?;

    // 11. Tracing, last, so that the tracer sees only the exec.
    if cmd.ptrace {
        // SAFETY: the next call is execve.
        unsafe { os::trace_me() }.at(Step::Ptrace)?;
    }

    // 12. The program.
    // SAFETY: the parent built `path`, `argv` and `envp` as NUL-terminated
    // strings and arrays that outlive the call.
    let errno = unsafe { os::execve(plan.path, plan.argv, plan.envp) };
    Err(Record {
        step: Step::Exec as u32,
        errno: errno.raw(),
    })
}

/// The supplementary groups the child sets: the list given, or none when
/// the user or group id changes, unless told to leave them alone.
pub(crate) fn groups_to_set<'a>(cmd: &Command<'a>) -> Option<&'a [libc::gid_t]> {
    if !cmd.setgroups {
        return None;
    }
    match cmd.groups {
        Some(groups) => Some(groups),
        None if cmd.uid.is_some() || cmd.gid.is_some() => Some(&[]),
        None => None,
    }
}

/// The real descriptor table, for [`fdmap::arrange`]: each operation is one
/// call of the backend.
struct RealFds {
    fd_limit: c_int,
}

impl FdOps for RealFds {
    #[inline(always)]
    fn dup_above(&mut self, fd: c_int, min: c_int) -> Result<c_int, Errno> {
        // SAFETY: fcntl(F_DUPFD_CLOEXEC) takes an integer argument.
        unsafe { os::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) }
    }

    #[inline(always)]
    fn clear_cloexec(&mut self, fd: c_int) -> Result<(), Errno> {
        // SAFETY: fcntl(F_SETFD) takes an integer argument.
        unsafe { os::fcntl(fd, libc::F_SETFD, 0) }.map(drop)
    }

    #[inline(always)]
    fn dup2(&mut self, old: c_int, new: c_int) -> Result<(), Errno> {
        // SAFETY: dup2 takes integers.
        unsafe { os::dup2(old, new) }.map(drop)
    }

    #[inline(always)]
    fn close(&mut self, fd: c_int) -> Result<(), Errno> {
        // SAFETY: the child closes what step 8 says must not reach the
        // program; nothing else in the child uses these numbers.
        unsafe { os::close(fd) }
    }

    #[inline(always)]
    fn close_from(&mut self, first: c_int, keep: c_int) -> Result<(), Errno> {
        // SAFETY: as for `close`.
        unsafe { os::close_from(first, keep, self.fd_limit) }
    }
}
