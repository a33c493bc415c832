//! Step 8 of the child: arranging the descriptor table from the map.
//!
//! The algorithm is written against [`FdOps`], so the child runs it on the
//! real descriptor table and the tests run it on a model of one.

use libc::c_int;

use crate::Errno;
use crate::command::Slot;

/// The descriptor operations step 8 needs, each one system call in the
/// child.
pub(crate) trait FdOps {
    /// `fcntl(fd, F_DUPFD_CLOEXEC, min)`: a close-on-exec copy at the lowest
    /// free number `>= min`.
    fn dup_above(&mut self, fd: c_int, min: c_int) -> Result<c_int, Errno>;
    /// `fcntl(fd, F_SETFD, 0)`: clears close-on-exec.
    fn clear_cloexec(&mut self, fd: c_int) -> Result<(), Errno>;
    /// `dup2(old, new)` with `old != new`: a copy at `new`, not close-on-exec.
    fn dup2(&mut self, old: c_int, new: c_int) -> Result<(), Errno>;
    /// `close(fd)`.
    fn close(&mut self, fd: c_int) -> Result<(), Errno>;
    /// Closes every number from `first` up except `keep`.
    fn close_from(&mut self, first: c_int, keep: c_int) -> Result<(), Errno>;
}

/// What step 8 is asked to do.
pub(crate) struct Request<'m> {
    /// The map, or `None` to leave 0, 1 and 2 as inherited.
    pub(crate) map: Option<&'m [Slot]>,
    /// Whether every descriptor outside the map is closed.
    pub(crate) close_other_fds: bool,
}

/// Places every slot of the map, closes what must not reach the program, and
/// keeps the status channel `*status_fd` (if `>= 0`) open and close-on-exec,
/// updating its number when it has to move.
///
/// `moved` is scratch space with room for one number per slot.
#[inline(always)]
pub(crate) fn arrange<O: FdOps>(
    ops: &mut O,
    request: &Request<'_>,
    status_fd: &mut c_int,
    moved: &mut [c_int],
) -> Result<(), Errno> {
    let map: &[Slot] = request.map.unwrap_or(&[]);
    let len = map.len() as c_int;
    // Slots 0-2 are closed when the map is shorter, so numbers below 3 are
    // never a safe place to keep anything.
    let floor = if len > 3 { len } else { 3 };

    // The status channel is not a descriptor of the parent's: a source with
    // its number was not open when the spawn began.
    if *status_fd >= 0 && is_source(map, *status_fd) {
        return Err(Errno::EBADF);
    }

    // The status channel goes above every slot, so that placing a slot never
    // overwrites it; it stays close-on-exec.
    if *status_fd >= 0 && *status_fd < floor {
        *status_fd = copy_above(ops, map, *status_fd, floor)?;
    }

    // Slots are placed in increasing order, so a source numbered below its
    // slot is overwritten by the time its slot is placed, unless that number
    // keeps its own descriptor: such sources are first copied above the map.
    for ((i, slot), place) in (0..len).zip(map).zip(moved.iter_mut()) {
        *place = match *slot {
            Slot::Fd(source) if source < i && !maps_to_itself(map, source) => {
                copy_above(ops, map, source, floor)?
            }
            Slot::Fd(source) => source,
            Slot::Closed => -1,
        };
    }

    for ((i, slot), &source) in (0..len).zip(map).zip(moved.iter()) {
        match *slot {
            Slot::Closed => close_quietly(ops, i)?,
            // A slot that maps to itself is already in place, but an
            // inherited descriptor is usually close-on-exec: clear the flag,
            // or the program would not see it.
            Slot::Fd(_) if source == i => ops.clear_cloexec(i)?,
            Slot::Fd(_) => ops.dup2(source, i)?,
        }
    }

    // A source above the map names a slot's content; it is not a descriptor
    // to pass on. Copies made above the map are close-on-exec.
    for slot in map {
        if let Slot::Fd(source) = *slot {
            if source >= len {
                close_quietly(ops, source)?;
            }
        }
    }

    // Of the standard descriptors, those beyond a given map are closed.
    if request.map.is_some() {
        for fd in len..3 {
            close_quietly(ops, fd)?;
        }
    }

    if request.close_other_fds {
        ops.close_from(floor, *status_fd)?;
    }
    Ok(())
}

/// Closes `fd`; `EBADF` means it was closed already, which is the goal.
fn close_quietly<O: FdOps>(ops: &mut O, fd: c_int) -> Result<(), Errno> {
    match ops.close(fd) {
        Ok(()) | Err(Errno::EBADF) => Ok(()),
        Err(errno) => Err(errno),
    }
}

/// Copies `fd` to the lowest free number from `floor` up.
///
/// Nothing has been closed yet when copies are made, so a free number was
/// free in the parent too: a copy that lands on a source's number means that
/// source was not open, and its slot would get the copy. That is `EBADF`,
/// as the source's own `dup2` would have said.
fn copy_above<O: FdOps>(
    ops: &mut O,
    map: &[Slot],
    fd: c_int,
    floor: c_int,
) -> Result<c_int, Errno> {
    let copy = match ops.dup_above(fd, floor) {
        // F_DUPFD says EINVAL when `floor` is at or above RLIMIT_NOFILE: no
        // number above the map is left, which is what EMFILE means.
        Err(Errno::EINVAL) => return Err(Errno::EMFILE),
        other => other?,
    };
    if is_source(map, copy) {
        return Err(Errno::EBADF);
    }
    Ok(copy)
}

fn is_source(map: &[Slot], fd: c_int) -> bool {
    map.contains(&Slot::Fd(fd))
}

fn maps_to_itself(map: &[Slot], fd: c_int) -> bool {
    match map.get(fd as usize) {
        Some(Slot::Fd(source)) => *source == fd,
        _ => false,
    }
}

#[cfg(any(test, fuzzing))]
#[path = "fdmap_model.rs"]
pub(crate) mod model;
