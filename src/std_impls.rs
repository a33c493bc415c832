//! Conversions to and from the standard library's types, with the `std`
//! feature: errors into `std::io::Error`, `std::os::fd` descriptors into map
//! slots, a child's pidfd as a `BorrowedFd`, and exit statuses both ways
//! with `std::process::ExitStatus`.
//!
//! Each conversion is a few loads and stores, except `From<Error> for
//! io::Error`, which boxes the error: convert after the spawn, not in a
//! signal handler or an allocator.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::process::ExitStatusExt;
use std::process;

use crate::{Child, Errno, Error, ExitStatus, Slot};

/// `io::Error::from(errno)` — the OS error with this number, exactly as
/// `io::Error::from_raw_os_error` makes it: `raw_os_error()` gives the number
/// back and `kind()` is the standard library's reading of it.
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<Errno> for io::Error {
    fn from(errno: Errno) -> Self {
        io::Error::from_raw_os_error(errno.raw())
    }
}

/// `io::Error::from(error)` — an I/O error that keeps the failed step.
///
/// `kind()` is what the standard library makes of the errno (`NotFound` for
/// `ENOENT`, `PermissionDenied` for `EACCES`, ...), `Display` prints the
/// step as [`Error`] does (`chdir: ENOENT (No such file or directory)`), and
/// the [`Error`] itself comes back through `get_ref()` and `downcast_ref`.
///
/// `std::process::Command` reports a failed spawn with
/// `io::Error::from_raw_os_error`, whose `raw_os_error()` is the errno but
/// which has no room for the step. This conversion keeps the step, so its
/// `raw_os_error()` is `None`; code that matches on the number converts
/// [`error.errno()`](Error::errno) instead, which gives the same error
/// `std` would have made.
///
/// ```
/// use std::io;
/// use forkexec::{Command, Errno, Step};
///
/// let error = Command::new(c"/").dir(c"/nonexistent").spawn().unwrap_err();
/// let io_error = io::Error::from(error);
/// assert_eq!(io_error.kind(), io::ErrorKind::NotFound);
/// assert_eq!(io_error.to_string(), "chdir: ENOENT (No such file or directory)");
/// let inner = io_error.get_ref().and_then(|e| e.downcast_ref::<forkexec::Error>());
/// assert_eq!(inner.map(|e| e.step()), Some(Step::Chdir));
///
/// let like_std = io::Error::from(error.errno());
/// assert_eq!(like_std.raw_os_error(), Some(Errno::ENOENT.raw()));
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<Error> for io::Error {
    fn from(error: Error) -> Self {
        let kind = io::Error::from_raw_os_error(error.errno().raw()).kind();
        io::Error::new(kind, error)
    }
}

/// `Slot::from(fd)` — the slot that places the parent's descriptor `fd`.
///
/// A [`Slot`] holds a descriptor number, not a borrow: the caller keeps the
/// descriptor open until [`spawn`](crate::Command::spawn) returns (the
/// child is made before that). A number that was closed in the meantime is
/// no memory-safety problem: the child finds it closed and the spawn fails
/// with `fd: EBADF`. If the number was reused, the child gets whatever
/// holds it now, as with any raw descriptor.
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<BorrowedFd<'_>> for Slot {
    fn from(fd: BorrowedFd<'_>) -> Self {
        Slot::Fd(fd.as_raw_fd())
    }
}

/// `Slot::from(&file)` — the slot that places the descriptor of anything
/// that has one: `&OwnedFd`, `&File`, `&Stdout`, `&UnixStream`,
/// `&ChildStdout`, ...
///
/// As for `From<BorrowedFd>`, the slot holds the number only, and the
/// owner must stay alive until the spawn returns.
///
/// ```
/// use std::io::{self, Read};
/// use std::os::fd::OwnedFd;
/// use std::os::unix::net::UnixStream;
/// use forkexec::{CStrArray, Command, Slot};
///
/// let (mut reader, writer) = UnixStream::pair()?;
/// let writer = OwnedFd::from(writer);
/// let mut argv = CStrArray::<4>::new();
/// argv.push(c"echo")?.push(c"through a pipe")?;
/// let fds = [Slot::Closed, Slot::from(&writer), Slot::from(&io::stderr())];
/// let child = Command::new(c"echo").args(&argv).fds(&fds).spawn()?;
/// drop(writer);
/// let mut out = String::new();
/// reader.read_to_string(&mut out)?;
/// assert!(child.wait()?.success());
/// assert_eq!(out, "through a pipe\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl<T: AsFd + ?Sized> From<&T> for Slot {
    fn from(owner: &T) -> Self {
        Slot::Fd(owner.as_fd().as_raw_fd())
    }
}

/// `process::ExitStatus::from(status)` — the standard library's status for
/// the same status word, through [`ExitStatus::into_raw`] and
/// `ExitStatusExt::from_raw`.
///
/// ```
/// use std::os::unix::process::ExitStatusExt;
/// use forkexec::ExitStatus;
///
/// let std_status = std::process::ExitStatus::from(ExitStatus::Exited(3));
/// assert_eq!(std_status.code(), Some(3));
/// let std_status = std::process::ExitStatus::from(ExitStatus::Signaled {
///     signal: libc::SIGKILL,
///     core_dumped: false,
/// });
/// assert_eq!(std_status.signal(), Some(libc::SIGKILL));
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<ExitStatus> for process::ExitStatus {
    fn from(status: ExitStatus) -> Self {
        process::ExitStatus::from_raw(status.into_raw())
    }
}

/// `ExitStatus::from(std_status)` — the decoded form of a standard
/// library status, through `ExitStatusExt::into_raw` and
/// [`ExitStatus::from_raw`].
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<process::ExitStatus> for ExitStatus {
    fn from(status: process::ExitStatus) -> Self {
        ExitStatus::from_raw(status.into_raw())
    }
}

impl Child {
    /// `child.as_pidfd()` — the child's pidfd ([`Child::pidfd`]) lent as a
    /// `BorrowedFd`, for `poll`, `epoll` or `try_clone_to_owned`; `None`
    /// without one.
    ///
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// use std::os::fd::AsRawFd;
    /// use forkexec::{Command, ExitStatus};
    ///
    /// let child = Command::new(c"true").pidfd().spawn()?;
    /// let pidfd = child.as_pidfd().expect("asked for a pidfd");
    /// assert_eq!(Some(pidfd.as_raw_fd()), child.pidfd());
    /// assert_eq!(child.wait()?, ExitStatus::Exited(0));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn as_pidfd(&self) -> Option<BorrowedFd<'_>> {
        // SAFETY: the Child owns the pidfd and keeps it open for as long as
        // the borrow of `self` lasts.
        self.pidfd().map(|fd| unsafe { BorrowedFd::borrow_raw(fd) })
    }
}
