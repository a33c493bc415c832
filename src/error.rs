//! Errors: the errno a call returned, and the step of a spawn that failed.

use core::fmt;

/// `Errno` — an error number as the kernel or libc reports it.
///
/// Its [`name`](Errno::name) and [`message`](Errno::message) are static
/// strings, so printing an `Errno` never allocates. The constants cover the
/// POSIX numbers every supported OS defines; other numbers still round-trip
/// through [`from_raw`](Errno::from_raw) and [`raw`](Errno::raw). With the
/// `std` feature, `std::io::Error::from(errno)` gives the error
/// `std::io::Error::from_raw_os_error` would.
///
/// ```
/// use forkexec::Errno;
/// assert_eq!(Errno::ENOENT.name(), "ENOENT");
/// assert_eq!(Errno::ENOENT.to_string(), "ENOENT (No such file or directory)");
/// assert_eq!(Errno::from_raw(libc::EACCES), Errno::EACCES);
/// ```
///
/// # References
///
/// - [POSIX `<errno.h>`](https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/errno.h.html)
/// - [Linux `errno(3)`](https://man7.org/linux/man-pages/man3/errno.3.html)
/// - [macOS `intro(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/intro.2.html)
/// - [FreeBSD `intro(2)`](https://man.freebsd.org/cgi/man.cgi?query=intro&sektion=2)
/// - [OpenBSD `intro(2)`](https://man.openbsd.org/intro.2)
/// - [NetBSD `intro(2)`](https://man.netbsd.org/intro.2)
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Errno(i32);

impl Errno {
    /// `Errno::from_raw(n)` — wraps a raw error number.
    pub const fn from_raw(raw: i32) -> Self {
        Self(raw)
    }

    /// `errno.raw()` — the raw error number.
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// `errno.name()` — the symbolic name, such as `"ENOENT"`.
    ///
    /// Numbers this crate has no name for give `"E?"`.
    pub fn name(self) -> &'static str {
        lookup(self.0).map_or("E?", |(name, _)| name)
    }

    /// `errno.message()` — a short description, such as `"No such file or
    /// directory"`; `"Unknown error"` for a number this crate has no name for.
    ///
    /// The text is the crate's own, the same on every OS, not `strerror`'s.
    pub fn message(self) -> &'static str {
        lookup(self.0).map_or("Unknown error", |(_, message)| message)
    }
}

macro_rules! errno_consts {
    ($($name:ident => $message:literal,)*) => {
        impl Errno {
            $(
                #[doc = $message]
                pub const $name: Errno = Errno(libc::$name);
            )*
        }

        fn lookup(raw: i32) -> Option<(&'static str, &'static str)> {
            $(
                if raw == libc::$name {
                    return Some((stringify!($name), $message));
                }
            )*
            None
        }
    };
}

// The POSIX error numbers that every supported OS defines. Aliases that share
// a number on some OS (EWOULDBLOCK, EDEADLOCK, ENOTSUP) are left out, so each
// number has one name.
errno_consts! {
    EPERM => "Operation not permitted",
    ENOENT => "No such file or directory",
    ESRCH => "No such process",
    EINTR => "Interrupted system call",
    EIO => "Input/output error",
    ENXIO => "No such device or address",
    E2BIG => "Argument list too long",
    ENOEXEC => "Exec format error",
    EBADF => "Bad file descriptor",
    ECHILD => "No child processes",
    EAGAIN => "Resource temporarily unavailable",
    ENOMEM => "Cannot allocate memory",
    EACCES => "Permission denied",
    EFAULT => "Bad address",
    EBUSY => "Device or resource busy",
    EEXIST => "File exists",
    EXDEV => "Invalid cross-device link",
    ENODEV => "No such device",
    ENOTDIR => "Not a directory",
    EISDIR => "Is a directory",
    EINVAL => "Invalid argument",
    ENFILE => "Too many open files in system",
    EMFILE => "Too many open files",
    ENOTTY => "Inappropriate ioctl for device",
    ETXTBSY => "Text file busy",
    EFBIG => "File too large",
    ENOSPC => "No space left on device",
    ESPIPE => "Illegal seek",
    EROFS => "Read-only file system",
    EMLINK => "Too many links",
    EPIPE => "Broken pipe",
    EDOM => "Numerical argument out of domain",
    ERANGE => "Numerical result out of range",
    EDEADLK => "Resource deadlock avoided",
    ENAMETOOLONG => "File name too long",
    ENOLCK => "No locks available",
    ENOSYS => "Function not implemented",
    ENOTEMPTY => "Directory not empty",
    ELOOP => "Too many levels of symbolic links",
    EPROTO => "Protocol error",
    EOVERFLOW => "Value too large for defined data type",
    EOPNOTSUPP => "Operation not supported",
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.message())
    }
}

impl core::error::Error for Errno {}

/// `Step` — the part of a spawn that failed.
///
/// Each step has a short stable name ([`Step::name`]), the same word that
/// [`Error`]'s `Display` and the `run` example print. The child runs the
/// steps from [`Setsid`](Step::Setsid) to [`Exec`](Step::Exec) in the order
/// they are declared here, and stops at the first failure.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum Step {
    /// The request was rejected before anything was done: a contradictory
    /// attribute, a negative descriptor, a capacity overflow.
    Invalid = 1,
    /// Looking the program up in `PATH`.
    Path = 2,
    /// Making the status channel.
    Pipe = 3,
    /// The fork itself, and on Linux the child's pidfd when the command
    /// asks for one ([`Command::pidfd`](crate::Command::pidfd)).
    Fork = 4,
    /// `setsid()` in the child.
    Setsid = 5,
    /// `setpgid()` in the child.
    Setpgid = 6,
    /// Making the child's group the terminal's foreground group.
    Foreground = 7,
    /// Resetting signal handlers to their defaults in the child.
    Signals = 8,
    /// `chroot()` in the child.
    Chroot = 9,
    /// `setgroups()` in the child.
    Setgroups = 10,
    /// `setgid()` in the child.
    Setgid = 11,
    /// `setuid()` in the child.
    Setuid = 12,
    /// `chdir()` in the child.
    Chdir = 13,
    /// Arranging the descriptor map in the child.
    Fd = 14,
    /// Giving up the controlling terminal (`TIOCNOTTY`).
    Noctty = 15,
    /// Taking a controlling terminal (`TIOCSCTTY`).
    Setctty = 16,
    /// Setting the child's signal mask.
    Sigmask = 17,
    /// `ptrace(TRACE_ME)` in the child.
    Ptrace = 18,
    /// `execve()`.
    Exec = 19,
    /// The parent could not make sense of what the child reported, or could
    /// not read it; the child was killed and reaped.
    Protocol = 20,
}

impl Step {
    /// `step.name()` — the short stable name, such as `"chdir"`.
    pub const fn name(self) -> &'static str {
        match self {
            Step::Invalid => "invalid",
            Step::Path => "path",
            Step::Pipe => "pipe",
            Step::Fork => "fork",
            Step::Setsid => "setsid",
            Step::Setpgid => "setpgid",
            Step::Foreground => "foreground",
            Step::Signals => "signals",
            Step::Chroot => "chroot",
            Step::Setgroups => "setgroups",
            Step::Setgid => "setgid",
            Step::Setuid => "setuid",
            Step::Chdir => "chdir",
            Step::Fd => "fd",
            Step::Noctty => "noctty",
            Step::Setctty => "setctty",
            Step::Sigmask => "sigmask",
            Step::Ptrace => "ptrace",
            Step::Exec => "exec",
            Step::Protocol => "protocol",
        }
    }

    /// `Step::from_raw(n)` — the step with wire number `n`, if any.
    pub const fn from_raw(raw: u32) -> Option<Step> {
        Some(match raw {
            1 => Step::Invalid,
            2 => Step::Path,
            3 => Step::Pipe,
            4 => Step::Fork,
            5 => Step::Setsid,
            6 => Step::Setpgid,
            7 => Step::Foreground,
            8 => Step::Signals,
            9 => Step::Chroot,
            10 => Step::Setgroups,
            11 => Step::Setgid,
            12 => Step::Setuid,
            13 => Step::Chdir,
            14 => Step::Fd,
            15 => Step::Noctty,
            16 => Step::Setctty,
            17 => Step::Sigmask,
            18 => Step::Ptrace,
            19 => Step::Exec,
            20 => Step::Protocol,
            _ => return None,
        })
    }

    /// `step.is_child()` — whether this step runs in the child.
    pub const fn is_child(self) -> bool {
        (self as u32) >= Step::Setsid as u32 && (self as u32) <= Step::Exec as u32
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `Error` — a failed spawn: the step that failed and the errno it got.
///
/// For [`Step::Invalid`] the errno says what kind of problem it is (`EINVAL`,
/// `E2BIG`, `ENAMETOOLONG`, `EBADF`) and [`reason`](Error::reason) says which
/// rule was broken. It is `Copy`, holds no heap memory, and prints without
/// allocating, so it can be reported from a signal handler. With the `std`
/// feature it converts into `std::io::Error` and keeps its step.
///
/// ```
/// use forkexec::{Command, Errno, Step};
/// let error = Command::new(c"true").dir(c"/nonexistent").spawn().unwrap_err();
/// assert_eq!(error.step(), Step::Chdir);
/// assert_eq!(error.errno(), Errno::ENOENT);
/// assert_eq!(error.to_string(), "chdir: ENOENT (No such file or directory)");
/// ```
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct Error {
    step: Step,
    errno: Errno,
    reason: Option<&'static str>,
}

impl Error {
    /// `Error::new(step, errno)` — an error of `step` with `errno`, for code
    /// that reports its own failures the way this crate does.
    pub const fn new(step: Step, errno: Errno) -> Self {
        Self {
            step,
            errno,
            reason: None,
        }
    }

    pub(crate) const fn invalid(errno: Errno, reason: &'static str) -> Self {
        Self {
            step: Step::Invalid,
            errno,
            reason: Some(reason),
        }
    }

    /// `error.step()` — the step that failed.
    pub const fn step(&self) -> Step {
        self.step
    }

    /// `error.errno()` — the errno the step got.
    pub const fn errno(&self) -> Errno {
        self.errno
    }

    /// `error.reason()` — for a rejected request, the rule it broke.
    pub const fn reason(&self) -> Option<&'static str> {
        self.reason
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Error");
        s.field("step", &self.step).field("errno", &self.errno);
        if let Some(reason) = self.reason {
            s.field("reason", &reason);
        }
        s.finish()
    }
}

/// Prints `STEP: ERRNO_NAME (message)`, for example
/// `chdir: ENOENT (No such file or directory)`; a rejected request prints its
/// reason in place of the message.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.reason.unwrap_or(self.errno.message());
        write!(f, "{}: {} ({})", self.step, self.errno.name(), message)
    }
}

impl core::error::Error for Error {}
