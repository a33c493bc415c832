//! What to start and how: the program, its arguments and environment, and
//! every attribute the child sets up before `execve`.

use core::ffi::CStr;
use core::marker::PhantomData;
use core::ptr;

use libc::{c_char, c_int, gid_t, pid_t, uid_t};

use crate::{Errno, Error};

/// `CStrArray<'a, N>` — a NUL-terminated array of C string pointers in fixed
/// storage, the shape `execve` takes for `argv` and `envp`.
///
/// `N` counts the terminating null pointer, so the array holds at most
/// `N - 1` strings. It lives wherever the caller puts it (the stack, a
/// static) and never allocates.
///
/// ```
/// use forkexec::CStrArray;
/// let mut argv = CStrArray::<4>::new();
/// argv.push(c"echo")?.push(c"hello")?;
/// assert_eq!(argv.len(), 2);
/// # Ok::<(), forkexec::Error>(())
/// ```
///
/// `N` must be at least 1, for the terminator; `N = 0` does not compile:
///
/// ```compile_fail
/// let argv = forkexec::CStrArray::<0>::new();
/// ```
pub struct CStrArray<'a, const N: usize> {
    ptrs: [*const c_char; N],
    len: usize,
    _strings: PhantomData<&'a CStr>,
}

// SAFETY: the pointers all come from `&'a CStr`, which is `Send` and `Sync`.
unsafe impl<const N: usize> Send for CStrArray<'_, N> {}
// SAFETY: as above.
unsafe impl<const N: usize> Sync for CStrArray<'_, N> {}

impl<'a, const N: usize> CStrArray<'a, N> {
    /// `CStrArray::new()` — an empty array.
    pub const fn new() -> Self {
        const {
            assert!(
                N >= 1,
                "a CStrArray needs room for its null terminator: N >= 1"
            )
        };
        Self {
            ptrs: [ptr::null(); N],
            len: 0,
            _strings: PhantomData,
        }
    }

    /// `CStrArray::from_slice(strings)` — an array holding `strings`.
    ///
    /// # Errors
    ///
    /// `invalid: E2BIG` when `strings` does not fit.
    pub fn from_slice(strings: &[&'a CStr]) -> Result<Self, Error> {
        let mut array = Self::new();
        for s in strings {
            array.push(s)?;
        }
        Ok(array)
    }

    /// `array.push(s)` — appends one string.
    ///
    /// # Errors
    ///
    /// `invalid: E2BIG` when the array is full (it already holds `N - 1`
    /// strings).
    pub fn push(&mut self, s: &'a CStr) -> Result<&mut Self, Error> {
        if self.len + 1 >= N {
            return Err(Error::invalid(
                Errno::E2BIG,
                "more strings than the CStrArray capacity holds",
            ));
        }
        self.ptrs[self.len] = s.as_ptr();
        self.len += 1;
        Ok(self)
    }

    /// `array.len()` — how many strings it holds.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// `array.is_empty()` — whether it holds no string.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `array.clear()` — removes every string.
    pub fn clear(&mut self) {
        self.ptrs[..self.len].fill(ptr::null());
        self.len = 0;
    }

    /// `array.as_ptr()` — the NUL-terminated pointer array, valid while
    /// `self` is neither moved nor changed.
    pub const fn as_ptr(&self) -> *const *const c_char {
        self.ptrs.as_ptr()
    }

    fn as_vector(&self) -> Vector<'_> {
        Vector {
            ptr: self.as_ptr(),
            _strings: PhantomData,
        }
    }
}

impl<const N: usize> Default for CStrArray<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// A NUL-terminated array of C strings that lives at least as long as `'a`.
#[derive(Copy, Clone)]
pub(crate) struct Vector<'a> {
    pub(crate) ptr: *const *const c_char,
    _strings: PhantomData<&'a CStr>,
}

/// `Slot` — what one descriptor of the child's map holds: slot `i` of the map
/// given to [`Command::fds`] becomes the child's descriptor `i`.
///
/// A slot holds a descriptor number, not a borrow: the parent's descriptor must
/// stay open until [`spawn`](Command::spawn) returns. One that was closed in
/// the meantime makes the spawn fail with `fd: EBADF`. With the `std` feature,
/// `Slot::from(&file)` and `Slot::from(fd.as_fd())` make a slot from anything
/// that has a descriptor.
///
/// ```
/// use forkexec::Slot;
/// // Standard input closed, output and errors both to the parent's stderr.
/// let map = [Slot::Closed, Slot::Fd(2), Slot::Fd(2)];
/// # let _ = map;
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// The parent's descriptor with this number, placed at the slot's number
    /// (close-on-exec cleared).
    Fd(c_int),
    /// Nothing: the slot's number is closed in the child.
    Closed,
}

/// `Strategy` — how the child is made (Linux).
///
/// On the other systems, and on Linux with the `linux-libc` feature (libc's
/// wrappers write errno and may signal every thread, which a child sharing
/// the parent's memory must not do), `Auto` is a fork and `Vfork` an
/// `invalid` error.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Strategy {
    /// The fast path (`Vfork`), unless the command changes the user or group
    /// id: then a fork, since a child that shares the parent's memory and
    /// changes its effective ids makes the kernel mark that memory, and so
    /// the parent, undumpable.
    #[default]
    Auto,
    /// A copy of the parent (`clone` with `SIGCHLD`; `__fork`, `_Fork` on
    /// other systems). Its cost grows with the parent's memory, whose page
    /// tables it copies.
    Fork,
    /// A child that shares the parent's memory until it execs, on a stack of
    /// its own (`clone3` or `clone` with `CLONE_VM | CLONE_VFORK`; Linux
    /// only). Its cost does not depend on the parent's size, and the child
    /// reports a failure through memory rather than a pipe. (The first such
    /// spawn of a process also makes a pipe, to learn whether memory is
    /// really shared, so it can fail with `pipe: EMFILE`.)
    ///
    /// The calling thread is suspended until the child execs or fails; the
    /// other threads run on. The child's 8 KiB stack is in the spawning
    /// frame, so a spawn uses up to 16.5 KiB of the caller's stack, against
    /// 8 KiB for a fork (measured on x86_64 and aarch64, optimised or not).
    ///
    /// With [`uid`](Command::uid) or [`gid`](Command::gid), the parent
    /// becomes undumpable (`PR_GET_DUMPABLE` 0: no core dump, `/proc/<pid>`
    /// owned by root). Under an emulator that runs `CLONE_VM | CLONE_VFORK`
    /// as a fork (qemu-user, valgrind), the child reports through a pipe
    /// instead, as with `Fork`.
    Vfork,
}

/// `SigSet` — a set of signals, for the child's mask and for the signals whose
/// handlers are reset to the default.
///
/// It is the kernel's or libc's own set type, copied by value; building one
/// never allocates and never fails except on a number that is not a signal.
///
/// ```
/// use forkexec::SigSet;
/// let set = SigSet::empty().with(libc::SIGINT)?.with(libc::SIGTERM)?;
/// assert!(set.contains(libc::SIGINT));
/// assert!(!set.contains(libc::SIGHUP));
/// # Ok::<(), forkexec::Error>(())
/// ```
#[derive(Copy, Clone, Default, PartialEq, Eq, Hash)]
pub struct SigSet(pub(crate) crate::os::RawSigSet);

impl SigSet {
    /// `SigSet::empty()` — no signal.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// `SigSet::full()` — every signal.
    pub const fn full() -> Self {
        Self(!0)
    }

    /// `set.with(sig)` — the set plus `sig`.
    ///
    /// # Errors
    ///
    /// `invalid: EINVAL` when `sig` is not a signal number of this OS.
    pub fn with(self, sig: c_int) -> Result<Self, Error> {
        check_signal(sig)?;
        Ok(Self(self.0 | crate::os::bit(sig)))
    }

    /// `set.without(sig)` — the set less `sig`.
    ///
    /// # Errors
    ///
    /// `invalid: EINVAL` when `sig` is not a signal number of this OS.
    pub fn without(self, sig: c_int) -> Result<Self, Error> {
        check_signal(sig)?;
        Ok(Self(self.0 & !crate::os::bit(sig)))
    }

    /// `set.contains(sig)` — whether `sig` is in the set.
    pub fn contains(self, sig: c_int) -> bool {
        sig > 0 && sig < crate::os::NSIG && self.0 & crate::os::bit(sig) != 0
    }

    /// `SigSet::current()` — the calling thread's signal mask.
    ///
    /// # Errors
    ///
    /// The errno of `sigprocmask`, which does not fail on a valid call.
    ///
    /// # References
    ///
    /// - [POSIX `pthread_sigmask`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/pthread_sigmask.html)
    /// - [Linux `sigprocmask(2)`](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
    /// - [macOS `sigprocmask(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/sigprocmask.2.html)
    /// - [FreeBSD `sigprocmask(2)`](https://man.freebsd.org/cgi/man.cgi?query=sigprocmask&sektion=2)
    /// - [OpenBSD `sigprocmask(2)`](https://man.openbsd.org/sigprocmask.2)
    /// - [NetBSD `sigprocmask(2)`](https://man.netbsd.org/sigprocmask.2)
    pub fn current() -> Result<Self, Errno> {
        let mut old = 0;
        // SAFETY: SIG_BLOCK with an empty set only reads the mask.
        unsafe { crate::os::block(0, &mut old) }?;
        Ok(Self(old))
    }
}

impl core::fmt::Debug for SigSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set()
            .entries((1..crate::os::NSIG).filter(|&s| self.contains(s)))
            .finish()
    }
}

fn check_signal(sig: c_int) -> Result<(), Error> {
    if sig > 0 && sig < crate::os::NSIG {
        Ok(())
    } else {
        Err(Error::invalid(Errno::EINVAL, "not a signal number"))
    }
}

/// `Command<'a>` — a program to start and every attribute of its start.
///
/// Everything it refers to is borrowed for `'a`; nothing is copied or
/// allocated, so a `Command` can be built and spawned where allocating is not
/// allowed: in a signal handler, in a global allocator, in a `no_std` program.
/// Build it with the setters, then call [`spawn`](Command::spawn). Attributes
/// are checked against each other by `spawn`, before the fork, so a bad
/// combination is a [`Step::Invalid`](crate::Step::Invalid) error and never a
/// surprise in the child.
///
/// The child applies the attributes in a fixed order, one [`Step`](crate::Step)
/// each, and stops at the first that fails:
///
/// | step | attributes |
/// |---|---|
/// | `setsid` | [`setsid`](Command::setsid) |
/// | `setpgid` | [`setpgid`](Command::setpgid), [`pgid`](Command::pgid), [`foreground`](Command::foreground) |
/// | `foreground` | [`foreground`](Command::foreground), [`ctty`](Command::ctty) |
/// | `signals` | always (caught signals go back to the default), [`sigdefault`](Command::sigdefault) |
/// | `chroot` | [`chroot`](Command::chroot) |
/// | `setgroups`, `setgid`, `setuid` | [`groups`](Command::groups), [`no_setgroups`](Command::no_setgroups), [`gid`](Command::gid), [`uid`](Command::uid) |
/// | `chdir` | [`dir`](Command::dir) |
/// | `fd` | [`fds`](Command::fds), [`close_other_fds`](Command::close_other_fds) |
/// | `noctty`, `setctty` | [`noctty`](Command::noctty), [`setctty`](Command::setctty) |
/// | `sigmask` | always, [`sigmask`](Command::sigmask) |
/// | `ptrace` | [`ptrace`](Command::ptrace) |
/// | `exec` | the program, [`args`](Command::args), [`env`](Command::env) |
///
/// ```no_run
/// use forkexec::{CStrArray, Command};
/// let mut argv = CStrArray::<8>::new();
/// argv.push(c"ls")?.push(c"-l")?;
/// let status = Command::new(c"ls")
///     .args(&argv)
///     .dir(c"/")
///     .spawn()?
///     .wait()?;
/// assert!(status.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Copy, Clone)]
pub struct Command<'a> {
    pub(crate) program: &'a CStr,
    pub(crate) argv: Option<Vector<'a>>,
    pub(crate) envp: Option<Vector<'a>>,
    pub(crate) dir: Option<&'a CStr>,
    pub(crate) chroot: Option<&'a CStr>,
    pub(crate) uid: Option<uid_t>,
    pub(crate) gid: Option<gid_t>,
    pub(crate) groups: Option<&'a [gid_t]>,
    pub(crate) setgroups: bool,
    pub(crate) setsid: bool,
    pub(crate) pgid: Option<pid_t>,
    pub(crate) foreground: bool,
    pub(crate) ctty: Option<c_int>,
    pub(crate) setctty: bool,
    pub(crate) noctty: bool,
    pub(crate) ptrace: bool,
    pub(crate) fds: Option<&'a [Slot]>,
    pub(crate) close_other_fds: bool,
    pub(crate) sigmask: Option<SigSet>,
    pub(crate) sigdefault: SigSet,
    pub(crate) strategy: Strategy,
    pub(crate) pidfd: bool,
}

// SAFETY: every pointer a `Command` holds comes from a borrow of `'a` data
// that is `Sync` (`CStr`, `CStrArray`), or from a caller who promised as
// much in `args_raw`/`env_raw`.
unsafe impl Send for Command<'_> {}
// SAFETY: as above; `Command` has no interior mutability.
unsafe impl Sync for Command<'_> {}

impl<'a> Command<'a> {
    /// `Command::new(program)` — a command that starts `program` with `argv =
    /// [program]`, the parent's environment, and every descriptor that is not
    /// close-on-exec inherited.
    ///
    /// Signal actions are inherited as `execve` leaves them: caught signals
    /// go back to the default, ignored ones stay ignored. A Rust program
    /// ignores `SIGPIPE`, so its children do too unless the command names it
    /// in [`sigdefault`](Command::sigdefault), as `std::process::Command`
    /// does on its own.
    ///
    /// A `program` with a `/` is used as it is. One without is looked up in
    /// `PATH` by [`spawn`](Command::spawn), in the parent and without
    /// allocating, the way `execvp` does: the first entry where it exists and
    /// may be executed wins; an entry where it exists but may not be executed
    /// gives `EACCES` if nothing better is found. Without `PATH` in the
    /// environment the search uses `/usr/local/bin:/bin:/usr/bin`. The `PATH`
    /// searched is the parent's, as with `execvp` and `posix_spawnp`, even
    /// when [`env`](Command::env) gives the child another one
    /// (`std::process::Command` uses the child's). With
    /// [`chroot`](Command::chroot) and [`dir`](Command::dir) the lookup happens
    /// where the child will look.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) reports a failed lookup as `path`
    /// (`ENOENT`, `EACCES`, `ENAMETOOLONG`), and a program that cannot be run
    /// as `exec` (`ENOENT`, `EACCES`, `ENOEXEC`, ...).
    ///
    /// # References
    ///
    /// - [POSIX `execvp`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/exec.html)
    /// - [Linux `execvp(3)`](https://man7.org/linux/man-pages/man3/execvp.3.html)
    /// - [macOS `execvp(3)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man3/execvp.3.html)
    /// - [FreeBSD `execvp(3)`](https://man.freebsd.org/cgi/man.cgi?query=execvp&sektion=3)
    /// - [OpenBSD `execvp(3)`](https://man.openbsd.org/execvp.3)
    /// - [NetBSD `execvp(3)`](https://man.netbsd.org/execvp.3)
    pub const fn new(program: &'a CStr) -> Self {
        Self {
            program,
            argv: None,
            envp: None,
            dir: None,
            chroot: None,
            uid: None,
            gid: None,
            groups: None,
            setgroups: true,
            setsid: false,
            pgid: None,
            foreground: false,
            ctty: None,
            setctty: false,
            noctty: false,
            ptrace: false,
            fds: None,
            close_other_fds: false,
            sigmask: None,
            sigdefault: SigSet::empty(),
            strategy: Strategy::Auto,
            pidfd: false,
        }
    }

    /// `cmd.args(argv)` — the whole argument vector, `argv[0]` included.
    ///
    /// Without it the child gets `[program]`.
    pub fn args<const N: usize>(&mut self, argv: &'a CStrArray<'a, N>) -> &mut Self {
        self.argv = Some(argv.as_vector());
        self
    }

    /// `cmd.args_raw(argv)` — the whole argument vector, as a raw
    /// NUL-terminated array of C strings, for callers that already have one
    /// (from C, or built in their own storage).
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid: EINVAL` when
    /// `argv` is null or empty (no `argv[0]`).
    ///
    /// # Safety
    ///
    /// Until `spawn` returns:
    ///
    /// - `argv` is null or points to an array of pointers that ends with a null
    ///   pointer;
    /// - each pointer before it points to a NUL-terminated string;
    /// - neither the array nor the strings are freed or written to, by this
    ///   thread or another.
    ///
    /// `spawn` reads them in the parent and, in the child, hands them to
    /// `execve`, which reads them again.
    pub unsafe fn args_raw(&mut self, argv: *const *const c_char) -> &mut Self {
        self.argv = Some(Vector {
            ptr: argv,
            _strings: PhantomData,
        });
        self
    }

    /// `cmd.env(envp)` — the child's whole environment, `KEY=VALUE` strings.
    ///
    /// Without it the child gets the parent's environment (`environ`) as it is
    /// at the time of the spawn; an empty array gives it none.
    ///
    /// Known limitation: the parent's `environ` is passed as it is, without a
    /// copy. A program whose other threads call `setenv` while it spawns
    /// should give the child an explicit environment: a concurrent `setenv`
    /// can free the array while the child reads it, which the fast path
    /// reports as `exec: EFAULT` (a forked child reads its own copy).
    pub fn env<const N: usize>(&mut self, envp: &'a CStrArray<'a, N>) -> &mut Self {
        self.envp = Some(envp.as_vector());
        self
    }

    /// `cmd.env_raw(envp)` — the child's whole environment, as a raw
    /// NUL-terminated array of `KEY=VALUE` C strings.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid: EINVAL` when
    /// `envp` is null.
    ///
    /// # Safety
    ///
    /// As for [`args_raw`](Command::args_raw), except that the array may be
    /// empty (its first pointer null).
    pub unsafe fn env_raw(&mut self, envp: *const *const c_char) -> &mut Self {
        self.envp = Some(Vector {
            ptr: envp,
            _strings: PhantomData,
        });
        self
    }

    /// `cmd.dir(path)` — the child's working directory. With
    /// [`chroot`](Command::chroot) it is resolved inside the new root.
    ///
    /// A relative `path` is taken from the parent's working directory, or from
    /// the new root.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) reports `chdir` with the errno of
    /// `chdir(2)`: `ENOENT`, `ENOTDIR`, `EACCES`, ...
    ///
    /// # References
    ///
    /// - [POSIX `chdir`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/chdir.html)
    /// - [Linux `chdir(2)`](https://man7.org/linux/man-pages/man2/chdir.2.html)
    /// - [macOS `chdir(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/chdir.2.html)
    /// - [FreeBSD `chdir(2)`](https://man.freebsd.org/cgi/man.cgi?query=chdir&sektion=2)
    /// - [OpenBSD `chdir(2)`](https://man.openbsd.org/chdir.2)
    /// - [NetBSD `chdir(2)`](https://man.netbsd.org/chdir.2)
    pub fn dir(&mut self, path: &'a CStr) -> &mut Self {
        self.dir = Some(path);
        self
    }

    /// `cmd.chroot(path)` — the child's root directory. The child then changes
    /// to the new root, or to [`dir`](Command::dir) inside it.
    ///
    /// It needs privilege: root, or `CAP_SYS_CHROOT` on Linux.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) reports `chroot` with the errno of
    /// `chroot(2)` (`EPERM` without privilege), or of the `chdir` to the new
    /// root that follows it.
    ///
    /// # References
    ///
    /// `chroot` is not in POSIX.
    ///
    /// - [POSIX `chroot`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/chroot.html)
    /// - [Linux `chroot(2)`](https://man7.org/linux/man-pages/man2/chroot.2.html)
    /// - [macOS `chroot(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/chroot.2.html)
    /// - [FreeBSD `chroot(2)`](https://man.freebsd.org/cgi/man.cgi?query=chroot&sektion=2)
    /// - [OpenBSD `chroot(2)`](https://man.openbsd.org/chroot.2)
    /// - [NetBSD `chroot(2)`](https://man.netbsd.org/chroot.2)
    pub fn chroot(&mut self, path: &'a CStr) -> &mut Self {
        self.chroot = Some(path);
        self
    }

    /// `cmd.uid(uid)` — the child's real, effective and saved user id.
    ///
    /// It is set last among the credentials, after the groups and the group id,
    /// since giving up root first would take away the right to set them. Unless
    /// [`groups`](Command::groups) or [`no_setgroups`](Command::no_setgroups)
    /// says otherwise, the child drops every supplementary group.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid: EINVAL` for
    /// `uid_t::MAX` (the "no change" value of `-1`), and reports `setuid` with
    /// its errno (`EPERM` without privilege).
    ///
    /// # References
    ///
    /// - [POSIX `setuid`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/setuid.html)
    /// - [Linux `setuid(2)`](https://man7.org/linux/man-pages/man2/setuid.2.html)
    /// - [macOS `setuid(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/setuid.2.html)
    /// - [FreeBSD `setuid(2)`](https://man.freebsd.org/cgi/man.cgi?query=setuid&sektion=2)
    /// - [OpenBSD `setuid(2)`](https://man.openbsd.org/setuid.2)
    /// - [NetBSD `setuid(2)`](https://man.netbsd.org/setuid.2)
    pub fn uid(&mut self, uid: uid_t) -> &mut Self {
        self.uid = Some(uid);
        self
    }

    /// `cmd.gid(gid)` — the child's real, effective and saved group id.
    ///
    /// Unless [`groups`](Command::groups) or
    /// [`no_setgroups`](Command::no_setgroups) says otherwise, the child drops
    /// every supplementary group.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid: EINVAL` for
    /// `gid_t::MAX` (the "no change" value of `-1`), and reports `setgid` with
    /// its errno (`EPERM` without privilege).
    ///
    /// # References
    ///
    /// - [POSIX `setgid`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/setgid.html)
    /// - [Linux `setgid(2)`](https://man7.org/linux/man-pages/man2/setgid.2.html)
    /// - [macOS `setuid(2)`, which also covers `setgid`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/setuid.2.html)
    /// - [FreeBSD `setgid(2)`](https://man.freebsd.org/cgi/man.cgi?query=setgid&sektion=2)
    /// - [OpenBSD `setgid(2)`](https://man.openbsd.org/setgid.2)
    /// - [NetBSD `setgid(2)`](https://man.netbsd.org/setgid.2)
    pub fn gid(&mut self, gid: gid_t) -> &mut Self {
        self.gid = Some(gid);
        self
    }

    /// `cmd.groups(list)` — the child's supplementary groups; an empty list
    /// drops them all.
    ///
    /// Without it, a command that sets [`uid`](Command::uid) or
    /// [`gid`](Command::gid) drops every supplementary group, unless
    /// [`no_setgroups`](Command::no_setgroups) is set; a command that sets
    /// neither leaves them alone.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid: EINVAL` for a
    /// list longer than the OS's `NGROUPS_MAX`, and reports `setgroups` with
    /// its errno (`EPERM` without privilege).
    ///
    /// # References
    ///
    /// `setgroups` is not in POSIX.
    ///
    /// - [POSIX `setgroups`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/setgroups.html)
    /// - [Linux `setgroups(2)`](https://man7.org/linux/man-pages/man2/setgroups.2.html)
    /// - [macOS `setgroups(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/setgroups.2.html)
    /// - [FreeBSD `setgroups(2)`](https://man.freebsd.org/cgi/man.cgi?query=setgroups&sektion=2)
    /// - [OpenBSD `setgroups(2)`](https://man.openbsd.org/setgroups.2)
    /// - [NetBSD `setgroups(2)`](https://man.netbsd.org/setgroups.2)
    pub fn groups(&mut self, list: &'a [gid_t]) -> &mut Self {
        self.groups = Some(list);
        self
    }

    /// `cmd.no_setgroups()` — leaves the supplementary groups as they are when
    /// the user or group id changes, and ignores [`groups`](Command::groups).
    ///
    /// Useful for an unprivileged process that may not call `setgroups` at all,
    /// such as one in a Linux user namespace where `setgroups` is denied.
    pub fn no_setgroups(&mut self) -> &mut Self {
        self.setgroups = false;
        self
    }

    /// `cmd.setsid()` — the child starts a new session, leads a new process
    /// group, and has no controlling terminal.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid: EINVAL` when
    /// combined with [`setpgid`](Command::setpgid), [`pgid`](Command::pgid) or
    /// [`foreground`](Command::foreground), and reports `setsid` with its
    /// errno.
    ///
    /// # References
    ///
    /// - [POSIX `setsid`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/setsid.html)
    /// - [Linux `setsid(2)`](https://man7.org/linux/man-pages/man2/setsid.2.html)
    /// - [macOS `setsid(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/setsid.2.html)
    /// - [FreeBSD `setsid(2)`](https://man.freebsd.org/cgi/man.cgi?query=setsid&sektion=2)
    /// - [OpenBSD `setsid(2)`](https://man.openbsd.org/setsid.2)
    /// - [NetBSD `setsid(2)`](https://man.netbsd.org/setsid.2)
    pub fn setsid(&mut self) -> &mut Self {
        self.setsid = true;
        self
    }

    /// `cmd.setpgid()` — the child leads a process group of its own, whose id
    /// is its pid; the same as [`pgid(0)`](Command::pgid).
    ///
    /// # Errors
    ///
    /// As for [`pgid`](Command::pgid).
    ///
    /// # References
    ///
    /// - [POSIX `setpgid`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/setpgid.html)
    /// - [Linux `setpgid(2)`](https://man7.org/linux/man-pages/man2/setpgid.2.html)
    /// - [macOS `setpgid(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/setpgid.2.html)
    /// - [FreeBSD `setpgid(2)`](https://man.freebsd.org/cgi/man.cgi?query=setpgid&sektion=2)
    /// - [OpenBSD `setpgid(2)`](https://man.openbsd.org/setpgid.2)
    /// - [NetBSD `setpgid(2)`](https://man.netbsd.org/setpgid.2)
    pub fn setpgid(&mut self) -> &mut Self {
        self.pgid = Some(0);
        self
    }

    /// `cmd.pgid(pgid)` — the child joins process group `pgid` (`0`: a group of
    /// its own).
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid: EINVAL` for a
    /// negative `pgid` or with [`setsid`](Command::setsid), and reports
    /// `setpgid` with its errno (`EPERM` for a group of another session).
    ///
    /// # References
    ///
    /// - [POSIX `setpgid`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/setpgid.html)
    /// - [Linux `setpgid(2)`](https://man7.org/linux/man-pages/man2/setpgid.2.html)
    /// - [macOS `setpgid(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/setpgid.2.html)
    /// - [FreeBSD `setpgid(2)`](https://man.freebsd.org/cgi/man.cgi?query=setpgid&sektion=2)
    /// - [OpenBSD `setpgid(2)`](https://man.openbsd.org/setpgid.2)
    /// - [NetBSD `setpgid(2)`](https://man.netbsd.org/setpgid.2)
    pub fn pgid(&mut self, pgid: pid_t) -> &mut Self {
        self.pgid = Some(pgid);
        self
    }

    /// `cmd.ctty(fd)` — the terminal descriptor for
    /// [`foreground`](Command::foreground) (a parent descriptor number) and
    /// [`setctty`](Command::setctty) (a child descriptor number, so a slot of
    /// the map).
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid: EBADF` for a
    /// negative `fd`, or for a `setctty` terminal that is not in the map.
    pub fn ctty(&mut self, fd: c_int) -> &mut Self {
        self.ctty = Some(fd);
        self
    }

    /// `cmd.foreground()` — the child's process group becomes the foreground
    /// group of the terminal [`ctty`](Command::ctty) (`TIOCSPGRP`, what
    /// `tcsetpgrp` does); implies [`setpgid`](Command::setpgid) when no group
    /// is given.
    ///
    /// This is how a shell starts a job in the foreground. `SIGTTOU` is blocked
    /// in the child at that point, so a child of a background process is not
    /// stopped by it.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid: EINVAL`
    /// without a `ctty`, or with [`setsid`](Command::setsid) or
    /// [`setctty`](Command::setctty), and reports `foreground` with the errno
    /// of the `ioctl` (`ENOTTY`: not a terminal, or not the session's).
    ///
    /// # References
    ///
    /// - [POSIX `tcsetpgrp`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/tcsetpgrp.html)
    /// - [Linux `ioctl_tty(2)`](https://man7.org/linux/man-pages/man2/ioctl_tty.2.html)
    /// - [macOS `tty(4)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man4/tty.4.html)
    /// - [FreeBSD `tty(4)`](https://man.freebsd.org/cgi/man.cgi?query=tty&sektion=4)
    /// - [OpenBSD `tty(4)`](https://man.openbsd.org/tty.4)
    /// - [NetBSD `tty(4)`](https://man.netbsd.org/tty.4)
    pub fn foreground(&mut self) -> &mut Self {
        self.foreground = true;
        self
    }

    /// `cmd.setctty()` — the terminal [`ctty`](Command::ctty) becomes the
    /// child's controlling terminal (`TIOCSCTTY`); needs
    /// [`setsid`](Command::setsid).
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid` without
    /// `setsid` or a `ctty` in the map, and reports `setctty` with the errno of
    /// the `ioctl` (`EPERM` when the terminal belongs to another session).
    ///
    /// # References
    ///
    /// - [Linux `ioctl_tty(2)`](https://man7.org/linux/man-pages/man2/ioctl_tty.2.html)
    /// - [macOS `tty(4)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man4/tty.4.html)
    /// - [FreeBSD `tty(4)`](https://man.freebsd.org/cgi/man.cgi?query=tty&sektion=4)
    /// - [OpenBSD `tty(4)`](https://man.openbsd.org/tty.4)
    /// - [NetBSD `tty(4)`](https://man.netbsd.org/tty.4)
    pub fn setctty(&mut self) -> &mut Self {
        self.setctty = true;
        self
    }

    /// `cmd.noctty()` — the child gives up its controlling terminal
    /// (`TIOCNOTTY` on descriptor 0).
    ///
    /// # Errors
    ///
    /// [`spawn`](Command::spawn) rejects `noctty` with
    /// [`setsid`](Command::setsid) (a new session has no terminal) or with a
    /// map that does not give the child a descriptor 0, and reports `noctty`
    /// with the errno of the `ioctl`: `ENOTTY` when descriptor 0 is not the
    /// controlling terminal, which is the usual case for services and CI
    /// jobs.
    ///
    /// # References
    ///
    /// - [Linux `ioctl_tty(2)`](https://man7.org/linux/man-pages/man2/ioctl_tty.2.html)
    /// - [macOS `tty(4)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man4/tty.4.html)
    /// - [FreeBSD `tty(4)`](https://man.freebsd.org/cgi/man.cgi?query=tty&sektion=4)
    /// - [OpenBSD `tty(4)`](https://man.openbsd.org/tty.4)
    /// - [NetBSD `tty(4)`](https://man.netbsd.org/tty.4)
    pub fn noctty(&mut self) -> &mut Self {
        self.noctty = true;
        self
    }

    /// `cmd.ptrace()` — the child asks to be traced by the parent
    /// (`PTRACE_TRACEME`; `PT_TRACE_ME` on macOS and the BSDs), so it stops
    /// with `SIGTRAP` at its `execve`.
    ///
    /// It is the last step, so the tracer sees nothing of the child's set-up.
    /// [`spawn`](Command::spawn) returns once the child has exec'd;
    /// [`Child::wait`](crate::Child::wait) then reports
    /// [`ExitStatus::Stopped`](crate::ExitStatus::Stopped)`(SIGTRAP)`.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) reports `ptrace` with its errno
    /// (`EPERM` when the parent may not trace, as under a Yama policy).
    ///
    /// # References
    ///
    /// `ptrace` is not in POSIX.
    ///
    /// - [POSIX `ptrace`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/ptrace.html)
    /// - [Linux `ptrace(2)`](https://man7.org/linux/man-pages/man2/ptrace.2.html)
    /// - [macOS `ptrace(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/ptrace.2.html)
    /// - [FreeBSD `ptrace(2)`](https://man.freebsd.org/cgi/man.cgi?query=ptrace&sektion=2)
    /// - [OpenBSD `ptrace(2)`](https://man.openbsd.org/ptrace.2)
    /// - [NetBSD `ptrace(2)`](https://man.netbsd.org/ptrace.2)
    pub fn ptrace(&mut self) -> &mut Self {
        self.ptrace = true;
        self
    }

    /// `cmd.fds(map)` — the child's descriptors: slot `i` of `map` becomes the
    /// child's descriptor `i`. Of 0, 1 and 2, those beyond the map are closed.
    ///
    /// Without a map the child inherits 0, 1 and 2 as they are.
    ///
    /// The parent's descriptors that the map uses as sources, and any
    /// descriptor the spawn itself makes, never reach the child except in the
    /// slots that name them. Other descriptors of the parent that are not
    /// close-on-exec are inherited, unless
    /// [`close_other_fds`](Command::close_other_fds) is set. A slot whose
    /// source is its own number (`map[3] == Slot::Fd(3)`) keeps that descriptor
    /// and clears its close-on-exec flag. Sources may repeat, and may be any
    /// slot's number: the child moves every source out of the way before
    /// placing the slots, so the order of the map never matters.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid: E2BIG` for a
    /// map longer than [`MAX_FDS`](crate::MAX_FDS), `invalid: EBADF` for a
    /// negative source, and reports `fd` with the errno of `dup2` or `fcntl`:
    /// `EBADF` for a source that is not open in the parent.
    ///
    /// # References
    ///
    /// - [POSIX `dup2`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/dup2.html)
    /// - [POSIX `fcntl`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/fcntl.html)
    /// - [Linux `dup2(2)`](https://man7.org/linux/man-pages/man2/dup2.2.html)
    /// - [macOS `dup2(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/dup2.2.html)
    /// - [FreeBSD `dup2(2)`](https://man.freebsd.org/cgi/man.cgi?query=dup2&sektion=2)
    /// - [OpenBSD `dup2(2)`](https://man.openbsd.org/dup2.2)
    /// - [NetBSD `dup2(2)`](https://man.netbsd.org/dup2.2)
    pub fn fds(&mut self, map: &'a [Slot]) -> &mut Self {
        self.fds = Some(map);
        self
    }

    /// `cmd.close_other_fds()` — every descriptor that is not in the map is
    /// closed in the child, whether or not it is close-on-exec.
    ///
    /// This is for a parent that cannot vouch for every descriptor it holds:
    /// one made by a library without `O_CLOEXEC`, or made in two steps by
    /// another thread at the moment of the fork. Each system gets its best way:
    ///
    /// - Linux: `close_range` (Linux 5.9), one call per range. Where it fails
    ///   with `ENOSYS` (an older kernel, or a seccomp policy that answers so
    ///   for calls it does not know), the child closes each number in turn, up
    ///   to the `RLIMIT_NOFILE` soft limit the parent read before the fork.
    /// - FreeBSD: `close_range` (FreeBSD 12.2; the crate needs 13.1 anyway).
    /// - OpenBSD and NetBSD: `closefrom` for the numbers above the status
    ///   channel, a loop below it.
    /// - macOS, which has neither: a loop up to `getdtablesize()`, the
    ///   `RLIMIT_NOFILE` soft limit capped by `kern.maxfilesperproc`.
    ///
    /// Known limitation: where the loop is used, a descriptor numbered at or
    /// above the limit (possible when the limit was lowered after it was
    /// opened) stays open.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) reports `fd` when a range call
    /// fails with anything but `ENOSYS` (a seccomp policy's `EPERM`, say); the
    /// loop ignores `EBADF`, the number that was not open.
    ///
    /// # References
    ///
    /// - [Linux `close_range(2)`](https://man7.org/linux/man-pages/man2/close_range.2.html)
    /// - [FreeBSD `close_range(2)`](https://man.freebsd.org/cgi/man.cgi?query=close_range&sektion=2)
    /// - [OpenBSD `closefrom(2)`](https://man.openbsd.org/closefrom.2)
    /// - [NetBSD `closefrom(3)`](https://man.netbsd.org/closefrom.3)
    /// - [macOS `getdtablesize(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/getdtablesize.2.html)
    /// - [POSIX `getrlimit`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/getrlimit.html)
    pub fn close_other_fds(&mut self) -> &mut Self {
        self.close_other_fds = true;
        self
    }

    /// `cmd.sigmask(set)` — the child's signal mask at `execve`; without it,
    /// the mask of the thread that calls `spawn`.
    ///
    /// The child runs its whole set-up with every signal blocked and sets this
    /// mask just before `execve`.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) reports `sigmask` with the errno of
    /// `sigprocmask`, which does not fail on a valid call.
    ///
    /// # References
    ///
    /// - [POSIX `pthread_sigmask`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/pthread_sigmask.html)
    /// - [Linux `sigprocmask(2)`](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
    /// - [macOS `sigprocmask(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/sigprocmask.2.html)
    /// - [FreeBSD `sigprocmask(2)`](https://man.freebsd.org/cgi/man.cgi?query=sigprocmask&sektion=2)
    /// - [OpenBSD `sigprocmask(2)`](https://man.openbsd.org/sigprocmask.2)
    /// - [NetBSD `sigprocmask(2)`](https://man.netbsd.org/sigprocmask.2)
    pub fn sigmask(&mut self, set: SigSet) -> &mut Self {
        self.sigmask = Some(set);
        self
    }

    /// `cmd.sigdefault(set)` — signals whose action is set to the default in
    /// the child even when the parent ignores them (handled signals are always
    /// reset, since their handlers do not exist after `execve`).
    ///
    /// Without it, signals the parent ignores stay ignored in the program, as
    /// `execve` leaves them. A parent that ignores `SIGPIPE`, as Rust programs
    /// do, passes `SIGPIPE` here to give the program the default action.
    ///
    /// Known limitation: on the backends that go through the C library (every
    /// OS but Linux's default), signals the C library keeps for itself (32 and
    /// 33 with glibc) cannot be reached by its `sigaction` and keep the action
    /// they had.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) reports `signals` with the errno of
    /// `sigaction`.
    ///
    /// # References
    ///
    /// - [POSIX `sigaction`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/sigaction.html)
    /// - [Linux `sigaction(2)`](https://man7.org/linux/man-pages/man2/sigaction.2.html)
    /// - [macOS `sigaction(2)`](https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man2/sigaction.2.html)
    /// - [FreeBSD `sigaction(2)`](https://man.freebsd.org/cgi/man.cgi?query=sigaction&sektion=2)
    /// - [OpenBSD `sigaction(2)`](https://man.openbsd.org/sigaction.2)
    /// - [NetBSD `sigaction(2)`](https://man.netbsd.org/sigaction.2)
    pub fn sigdefault(&mut self, set: SigSet) -> &mut Self {
        self.sigdefault = set;
        self
    }

    /// `cmd.strategy(strategy)` — how the child is made; see [`Strategy`].
    pub fn strategy(&mut self, strategy: Strategy) -> &mut Self {
        self.strategy = strategy;
        self
    }

    /// `cmd.pidfd()` — gives the [`Child`](crate::Child) a pidfd (Linux): a
    /// descriptor that refers to the child process itself rather than to its
    /// pid, through which [`wait`](crate::Child::wait),
    /// [`try_wait`](crate::Child::try_wait),
    /// [`wait_stopped`](crate::Child::wait_stopped) and
    /// [`kill`](crate::Child::kill) then go, so that they can never reach
    /// another process that got the pid once the child was reaped.
    ///
    /// The kernel makes the pidfd with the child (`CLONE_PIDFD`, Linux 5.2),
    /// with either [`Strategy`]. It is close-on-exec and only the parent has
    /// it: neither this child nor a later one inherits it. Where `clone`
    /// refuses the flag (qemu-user) and with the `linux-libc` feature
    /// (`_Fork` takes no flags), the parent opens it with `pidfd_open`
    /// (Linux 5.3) as soon as the clone returns, before anything can have
    /// reaped the child: the pid is still the child's then. A process that
    /// has the kernel reap its children (`SIGCHLD` ignored, `SA_NOCLDWAIT`)
    /// loses that guarantee there, along with the ability to wait at all.
    ///
    /// The [`Child`](crate::Child) owns the pidfd and closes it when
    /// dropped; [`Child::pidfd`](crate::Child::pidfd) lends it.
    ///
    /// # Errors
    ///
    /// None here. [`spawn`](Command::spawn) fails with `invalid: EINVAL` on
    /// other systems than Linux, and reports `fork` with the errno of `clone`
    /// (`EMFILE` when no descriptor is free) or of `pidfd_open` (`ENOSYS`
    /// before Linux 5.3 where the pidfd could not come from `clone`); a child
    /// made without its pidfd is killed and reaped first.
    ///
    /// # References
    ///
    /// - [Linux `clone(2)`, `CLONE_PIDFD`](https://man7.org/linux/man-pages/man2/clone.2.html)
    /// - [Linux `pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    /// - [Linux `pidfd_send_signal(2)`](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
    /// - [Linux `waitid(2)`, `P_PIDFD`](https://man7.org/linux/man-pages/man2/waitid.2.html)
    pub fn pidfd(&mut self) -> &mut Self {
        self.pidfd = true;
        self
    }
}
