//! The child's side of a spawn: the steps between the fork and `execve`.

use libc::{c_char, c_int};

use crate::command::{Command, Slot};
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
pub(crate) unsafe fn run(plan: &mut Plan<'_>) -> Record {
    // SAFETY: forwarded from this function's contract.
    match unsafe { steps(plan) } {
        Ok(never) => match never {},
        Err(record) => record,
    }
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
    // SAFETY: all signals are blocked (this function's contract).
    unsafe { os::reset_signal_handlers(cmd.sigdefault.0) }.at(Step::Signals)?;

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
    // SAFETY: forwarded from this function's contract.
    unsafe { arrange_fds(plan) }.at(Step::Fd)?;

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

/// Step 8: places every slot of the map, closes what must not reach the
/// program, and keeps the status channel open and close-on-exec.
///
/// # Safety
///
/// As for [`run`]; `plan.moved` has room for one number per slot.
#[inline(always)]
unsafe fn arrange_fds(plan: &mut Plan<'_>) -> Result<(), Errno> {
    let map: &[Slot] = plan.cmd.fds.unwrap_or(&[]);
    let len = map.len() as c_int;
    // Slots 0-2 are closed when the map is shorter, so numbers below 3 are
    // never a safe place to keep anything.
    let floor = if len > 3 { len } else { 3 };

    // The status channel goes above every slot, so that placing a slot never
    // overwrites it; it stays close-on-exec.
    if plan.status_fd >= 0 && plan.status_fd < floor {
        // SAFETY: fcntl(F_DUPFD_CLOEXEC) takes an integer.
        let fd = unsafe { os::fcntl(plan.status_fd, libc::F_DUPFD_CLOEXEC, floor) }?;
        plan.status_fd = fd;
    }

    // Slots are placed in increasing order, so a source numbered below its
    // slot would already be overwritten by the time its slot is placed:
    // such sources are first copied above the map.
    for (i, slot) in (0..len).zip(map) {
        let source = match *slot {
            Slot::Fd(source) => source,
            Slot::Closed => -1,
        };
        let mut place = source;
        if source >= 0 && source < i && !maps_to_itself(map, source) {
            // SAFETY: fcntl(F_DUPFD_CLOEXEC) takes an integer.
            place = unsafe { os::fcntl(source, libc::F_DUPFD_CLOEXEC, floor) }?;
        }
        // SAFETY: the parent sized `moved` to the map.
        unsafe { plan.moved.add(i as usize).write(place) };
    }

    for (i, slot) in (0..len).zip(map) {
        // SAFETY: written by the loop above.
        let source = unsafe { plan.moved.add(i as usize).read() };
        match *slot {
            Slot::Closed => {
                // SAFETY: closing a number; EBADF means it was closed already.
                match unsafe { os::close(i) } {
                    Ok(()) | Err(Errno::EBADF) => {}
                    Err(errno) => return Err(errno),
                }
            }
            // A slot that maps to itself is already in place, but an inherited
            // descriptor is usually close-on-exec: clear the flag, or the
            // program would not see it.
            Slot::Fd(_) if source == i => {
                // SAFETY: fcntl(F_SETFD) takes an integer.
                unsafe { os::fcntl(i, libc::F_SETFD, 0) }?;
            }
            Slot::Fd(_) => {
                // SAFETY: dup2 takes integers; the numbers differ.
                unsafe { os::dup2(source, i) }?;
            }
        }
    }

    // The sources above the map were the caller's way of naming a slot's
    // content, not descriptors to pass on: close them. Copies made above
    // are close-on-exec and go at the exec.
    for slot in map {
        if let Slot::Fd(source) = *slot {
            if source >= len {
                // SAFETY: as above; a source named twice is closed once.
                match unsafe { os::close(source) } {
                    Ok(()) | Err(Errno::EBADF) => {}
                    Err(errno) => return Err(errno),
                }
            }
        }
    }

    // Of the standard descriptors, those beyond a given map are closed.
    if plan.cmd.fds.is_some() {
        for fd in len..3 {
            // SAFETY: as above.
            match unsafe { os::close(fd) } {
                Ok(()) | Err(Errno::EBADF) => {}
                Err(errno) => return Err(errno),
            }
        }
    }

    if plan.cmd.close_other_fds {
        // SAFETY: closing every number above the map is what was asked for;
        // the status channel is kept.
        unsafe { os::close_from(floor, plan.status_fd, plan.fd_limit) }?;
    }
    Ok(())
}

fn maps_to_itself(map: &[Slot], fd: c_int) -> bool {
    match map.get(fd as usize) {
        Some(Slot::Fd(source)) => *source == fd,
        _ => false,
    }
}
