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

/// `Slot` — what one descriptor of the child's map holds.
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
    /// only). Its cost does not depend on the parent's size, and it needs no
    /// pipe: the child reports a failure through memory.
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

/// `SigSet` — a set of signals, for the child's mask and for the signals
/// whose handlers are reset to the default.
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
/// allocated. Build it with the setters, then call
/// [`spawn`](Command::spawn). Attributes are checked against each other by
/// `spawn`, before the fork, so a bad combination is an
/// [`Step::Invalid`](crate::Step::Invalid) error and never a surprise in the
/// child.
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
}

// SAFETY: every pointer a `Command` holds comes from a borrow of `'a` data
// that is `Sync` (`CStr`, `CStrArray`), or from a caller who promised as
// much in `args_raw`/`env_raw`.
unsafe impl Send for Command<'_> {}
// SAFETY: as above; `Command` has no interior mutability.
unsafe impl Sync for Command<'_> {}

impl<'a> Command<'a> {
    /// `Command::new(program)` — a command that starts `program` with
    /// `argv = [program]`, the parent's environment, and descriptors 0, 1 and
    /// 2 inherited.
    ///
    /// A `program` without a `/` is looked up in `PATH` by
    /// [`spawn`](Command::spawn), the way `execvp` does.
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
        }
    }

    /// `cmd.args(argv)` — the whole argument vector, `argv[0]` included.
    pub fn args<const N: usize>(&mut self, argv: &'a CStrArray<'a, N>) -> &mut Self {
        self.argv = Some(argv.as_vector());
        self
    }

    /// `cmd.args_raw(argv)` — the whole argument vector, as a raw
    /// NUL-terminated array of C strings.
    ///
    /// # Safety
    ///
    /// `argv` must point to an array of pointers to NUL-terminated strings,
    /// ended by a null pointer, all valid and unchanged for `'a`.
    pub unsafe fn args_raw(&mut self, argv: *const *const c_char) -> &mut Self {
        self.argv = Some(Vector {
            ptr: argv,
            _strings: PhantomData,
        });
        self
    }

    /// `cmd.env(envp)` — the child's whole environment, `KEY=VALUE` strings.
    ///
    /// Without it the child gets the parent's environment (`environ`) as it
    /// is at the time of the spawn.
    pub fn env<const N: usize>(&mut self, envp: &'a CStrArray<'a, N>) -> &mut Self {
        self.envp = Some(envp.as_vector());
        self
    }

    /// `cmd.env_raw(envp)` — the child's whole environment, as a raw
    /// NUL-terminated array of C strings.
    ///
    /// # Safety
    ///
    /// As for [`args_raw`](Command::args_raw).
    pub unsafe fn env_raw(&mut self, envp: *const *const c_char) -> &mut Self {
        self.envp = Some(Vector {
            ptr: envp,
            _strings: PhantomData,
        });
        self
    }

    /// `cmd.dir(path)` — the child's working directory. With
    /// [`chroot`](Command::chroot) it is resolved inside the new root.
    pub fn dir(&mut self, path: &'a CStr) -> &mut Self {
        self.dir = Some(path);
        self
    }

    /// `cmd.chroot(path)` — the child's root directory. The child then
    /// changes to the new root, or to [`dir`](Command::dir) inside it.
    pub fn chroot(&mut self, path: &'a CStr) -> &mut Self {
        self.chroot = Some(path);
        self
    }

    /// `cmd.uid(uid)` — the child's real, effective and saved user id.
    pub fn uid(&mut self, uid: uid_t) -> &mut Self {
        self.uid = Some(uid);
        self
    }

    /// `cmd.gid(gid)` — the child's real, effective and saved group id.
    pub fn gid(&mut self, gid: gid_t) -> &mut Self {
        self.gid = Some(gid);
        self
    }

    /// `cmd.groups(list)` — the child's supplementary groups; an empty list
    /// drops them all.
    ///
    /// Without it, a command that sets [`uid`](Command::uid) or
    /// [`gid`](Command::gid) drops every supplementary group, unless
    /// [`no_setgroups`](Command::no_setgroups) is set.
    pub fn groups(&mut self, list: &'a [gid_t]) -> &mut Self {
        self.groups = Some(list);
        self
    }

    /// `cmd.no_setgroups()` — leaves the supplementary groups as they are
    /// when the user or group id changes.
    pub fn no_setgroups(&mut self) -> &mut Self {
        self.setgroups = false;
        self
    }

    /// `cmd.setsid()` — the child starts a new session.
    pub fn setsid(&mut self) -> &mut Self {
        self.setsid = true;
        self
    }

    /// `cmd.setpgid()` — the child leads a process group of its own.
    pub fn setpgid(&mut self) -> &mut Self {
        self.pgid = Some(0);
        self
    }

    /// `cmd.pgid(pgid)` — the child joins process group `pgid`
    /// (`0`: a group of its own).
    pub fn pgid(&mut self, pgid: pid_t) -> &mut Self {
        self.pgid = Some(pgid);
        self
    }

    /// `cmd.ctty(fd)` — the terminal descriptor for
    /// [`foreground`](Command::foreground) (a parent descriptor number) and
    /// [`setctty`](Command::setctty) (a child descriptor number).
    pub fn ctty(&mut self, fd: c_int) -> &mut Self {
        self.ctty = Some(fd);
        self
    }

    /// `cmd.foreground()` — the child's process group becomes the foreground
    /// group of the terminal [`ctty`](Command::ctty); implies
    /// [`setpgid`](Command::setpgid) when no group is given.
    pub fn foreground(&mut self) -> &mut Self {
        self.foreground = true;
        self
    }

    /// `cmd.setctty()` — the terminal [`ctty`](Command::ctty) becomes the
    /// child's controlling terminal (`TIOCSCTTY`); needs
    /// [`setsid`](Command::setsid).
    pub fn setctty(&mut self) -> &mut Self {
        self.setctty = true;
        self
    }

    /// `cmd.noctty()` — the child gives up its controlling terminal
    /// (`TIOCNOTTY` on descriptor 0).
    pub fn noctty(&mut self) -> &mut Self {
        self.noctty = true;
        self
    }

    /// `cmd.ptrace()` — the child asks to be traced by the parent
    /// (`PTRACE_TRACEME`), so it stops with `SIGTRAP` at its `execve`.
    pub fn ptrace(&mut self) -> &mut Self {
        self.ptrace = true;
        self
    }

    /// `cmd.fds(map)` — the child's descriptors: slot `i` of `map` becomes
    /// the child's descriptor `i`. Of 0, 1 and 2, those beyond the map are
    /// closed.
    ///
    /// Without a map the child inherits 0, 1 and 2 as they are.
    ///
    /// The parent's descriptors that the map uses as sources, and any
    /// descriptor the spawn itself makes, never reach the child except in
    /// the slots that name them. Other descriptors of the parent that are not
    /// close-on-exec are inherited, unless
    /// [`close_other_fds`](Command::close_other_fds) is set.
    pub fn fds(&mut self, map: &'a [Slot]) -> &mut Self {
        self.fds = Some(map);
        self
    }

    /// `cmd.close_other_fds()` — every descriptor that is not in the map is
    /// closed in the child (`close_range` where the kernel has it).
    pub fn close_other_fds(&mut self) -> &mut Self {
        self.close_other_fds = true;
        self
    }

    /// `cmd.sigmask(set)` — the child's signal mask at `execve`; without it,
    /// the mask of the thread that calls `spawn`.
    pub fn sigmask(&mut self, set: SigSet) -> &mut Self {
        self.sigmask = Some(set);
        self
    }

    /// `cmd.sigdefault(set)` — signals whose action is set to the default in
    /// the child even when the parent ignores them (handled signals are
    /// always reset).
    pub fn sigdefault(&mut self, set: SigSet) -> &mut Self {
        self.sigdefault = set;
        self
    }

    /// `cmd.strategy(strategy)` — how the child is made; see [`Strategy`].
    pub fn strategy(&mut self, strategy: Strategy) -> &mut Self {
        self.strategy = strategy;
        self
    }
}
