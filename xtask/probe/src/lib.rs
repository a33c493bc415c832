//! The spawn path of `forkexec`, exported as one C function.
//!
//! `forkexec_probe` calls every part of the public spawn API: each builder
//! method, `spawn`, and every way of waiting for or signalling the child.
//! Whether each one runs depends on the request, read at run time, so no
//! branch of the spawn path can be folded away. A static library built from
//! this crate with fat LTO therefore holds exactly the code of `forkexec`
//! that a spawning program gets, which is what `cargo xtask check-targets`
//! audits.
#![no_std]

#[cfg(feature = "std")]
extern crate std;

use core::ffi::{CStr, c_int};

use forkexec::{CStrArray, Command, SigSet, Slot, Strategy};

/// A C string given with its length, so that reading it needs no
/// `strlen` (which would show up among the imports as the probe's own).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Str {
    /// Null, or the string's bytes, its terminating NUL included.
    pub ptr: *const u8,
    /// The number of bytes at `ptr`, the NUL included.
    pub len: usize,
}

impl Str {
    /// No string.
    pub const NONE: Str = Str {
        ptr: core::ptr::null(),
        len: 0,
    };

    /// The string of `s`, which must outlive every use of the result.
    pub fn of(s: &CStr) -> Str {
        let bytes = s.to_bytes_with_nul();
        Str {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }
}

/// What to spawn and how; see [`forkexec_probe`].
#[repr(C)]
pub struct Request {
    /// The program: a name searched in `PATH`, or a path.
    pub program: Str,
    /// The arguments after `argv[0]`, up to the first that is none.
    pub args: [Str; 2],
    /// None to inherit the environment, or its one `KEY=VALUE` string.
    pub env: Str,
    /// None, or the child's working directory.
    pub dir: Str,
    /// None, or the child's new root.
    pub chroot: Str,
    /// The user id, used with [`UID`].
    pub uid: libc::uid_t,
    /// The group id, used with [`GID`].
    pub gid: libc::gid_t,
    /// Null, or `ngroups` supplementary groups.
    pub groups: *const libc::gid_t,
    /// The length of `groups`.
    pub ngroups: usize,
    /// The process group to join, used with [`PGID`].
    pub pgid: libc::pid_t,
    /// The terminal descriptor, used with [`CTTY`].
    pub ctty: c_int,
    /// Null, or `nfds` (at most [`MAX_SLOTS`]) parent descriptors; `-1`
    /// closes the slot.
    pub fds: *const c_int,
    /// The length of `fds`.
    pub nfds: usize,
    /// A signal number, for the mask, the defaults and `kill`.
    pub signal: c_int,
    /// Which attributes and actions apply: the flag constants below, or'ed.
    pub flags: u32,
}

/// Set the user id.
pub const UID: u32 = 1 << 0;
/// Set the group id.
pub const GID: u32 = 1 << 1;
/// Leave the supplementary groups alone.
pub const NO_SETGROUPS: u32 = 1 << 2;
/// Start a new session.
pub const SETSID: u32 = 1 << 3;
/// Make a new process group.
pub const SETPGID: u32 = 1 << 4;
/// Join the process group `pgid`.
pub const PGID: u32 = 1 << 5;
/// Use `ctty` as the terminal.
pub const CTTY: u32 = 1 << 6;
/// Put the child in the terminal's foreground.
pub const FOREGROUND: u32 = 1 << 7;
/// Make the terminal the child's controlling terminal.
pub const SETCTTY: u32 = 1 << 8;
/// Drop the controlling terminal.
pub const NOCTTY: u32 = 1 << 9;
/// Stop the child at exec for a tracer.
pub const PTRACE: u32 = 1 << 10;
/// Close every descriptor that is not mapped.
pub const CLOSE_OTHER_FDS: u32 = 1 << 11;
/// Set the child's mask to `signal` alone.
pub const SIGMASK: u32 = 1 << 12;
/// Reset `signal`'s handler to the default.
pub const SIGDEFAULT: u32 = 1 << 13;
/// Use the fork strategy.
pub const FORK: u32 = 1 << 14;
/// Use the vfork strategy.
pub const VFORK: u32 = 1 << 15;
/// After the spawn, send `signal` to the child.
pub const KILL: u32 = 1 << 16;
/// After the spawn, poll the child once before waiting.
pub const TRY_WAIT: u32 = 1 << 17;
/// Wait for the child to stop rather than exit.
pub const WAIT_STOPPED: u32 = 1 << 18;
/// Give the child a pidfd (Linux), and wait and signal through it.
pub const PIDFD: u32 = 1 << 19;

/// Most descriptor slots a request may map.
pub const MAX_SLOTS: usize = 16;

/// The string `s` holds, or `None`.
///
/// # Safety
///
/// `s.ptr` is null or points to `s.len` bytes that end in their only NUL
/// and outlive `'a`.
unsafe fn string<'a>(s: Str) -> Option<&'a CStr> {
    if s.ptr.is_null() {
        return None;
    }
    // SAFETY: forwarded from this function's contract.
    let bytes = unsafe { core::slice::from_raw_parts(s.ptr, s.len) };
    CStr::from_bytes_with_nul(bytes).ok()
}

/// `forkexec_probe(request)` — spawns as `request` says, then waits for the
/// child; the child's exit code (or `128 + signal`), or `-1 - step` when
/// the spawn failed, `-1000` when waiting failed.
///
/// # Safety
///
/// `request` points to a `Request` whose pointers are null or valid for
/// what their fields say.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn forkexec_probe(request: *const Request) -> c_int {
    // SAFETY: forwarded from this function's contract.
    let req = unsafe { &*request };
    let has = |flag: u32| req.flags & flag != 0;
    // SAFETY: the string fields are none or valid (this function's
    // contract).
    let (program, args, env, dir, chroot) = unsafe {
        (
            string(req.program).unwrap_or(c"true"),
            [string(req.args[0]), string(req.args[1])],
            string(req.env),
            string(req.dir),
            string(req.chroot),
        )
    };

    let mut cmd = Command::new(program);
    let mut argv = CStrArray::<4>::new();
    let mut envp = CStrArray::<2>::new();
    if args[0].is_some() {
        if argv.push(program).is_err() {
            return -2000;
        }
        for arg in args.into_iter().map_while(|a| a) {
            if argv.push(arg).is_err() {
                return -2000;
            }
        }
        cmd.args(&argv);
    }
    if let Some(env) = env {
        if envp.push(env).is_err() {
            return -2000;
        }
        cmd.env(&envp);
    }
    if let Some(dir) = dir {
        cmd.dir(dir);
    }
    if let Some(chroot) = chroot {
        cmd.chroot(chroot);
    }
    if has(UID) {
        cmd.uid(req.uid);
    }
    if has(GID) {
        cmd.gid(req.gid);
    }
    if !req.groups.is_null() {
        // SAFETY: `groups` points to `ngroups` ids (this function's contract).
        cmd.groups(unsafe { core::slice::from_raw_parts(req.groups, req.ngroups) });
    }
    if has(NO_SETGROUPS) {
        cmd.no_setgroups();
    }
    if has(SETSID) {
        cmd.setsid();
    }
    if has(SETPGID) {
        cmd.setpgid();
    }
    if has(PGID) {
        cmd.pgid(req.pgid);
    }
    if has(CTTY) {
        cmd.ctty(req.ctty);
    }
    if has(FOREGROUND) {
        cmd.foreground();
    }
    if has(SETCTTY) {
        cmd.setctty();
    }
    if has(NOCTTY) {
        cmd.noctty();
    }
    if has(PTRACE) {
        cmd.ptrace();
    }
    let mut slots = [Slot::Closed; MAX_SLOTS];
    if !req.fds.is_null() {
        let n = req.nfds.min(MAX_SLOTS);
        // SAFETY: `fds` points to `nfds` descriptors (this function's
        // contract).
        let fds = unsafe { core::slice::from_raw_parts(req.fds, n) };
        for (slot, &fd) in slots.iter_mut().zip(fds) {
            *slot = if fd < 0 { Slot::Closed } else { Slot::Fd(fd) };
        }
        cmd.fds(&slots[..n]);
    }
    if has(CLOSE_OTHER_FDS) {
        cmd.close_other_fds();
    }
    if has(SIGMASK) {
        match SigSet::empty().with(req.signal) {
            Ok(set) => cmd.sigmask(set),
            Err(_) => return -2000,
        };
    }
    if has(SIGDEFAULT) {
        match SigSet::current().map(|set| set.without(req.signal)) {
            Ok(Ok(set)) => cmd.sigdefault(set),
            _ => return -2000,
        };
    }
    if has(FORK) {
        cmd.strategy(Strategy::Fork);
    }
    if has(VFORK) {
        cmd.strategy(Strategy::Vfork);
    }
    if has(PIDFD) {
        cmd.pidfd();
    }

    let child = match cmd.spawn() {
        Ok(child) => child,
        Err(err) => return -1 - err.step() as c_int,
    };
    if has(KILL) && child.kill(req.signal).is_err() {
        return -1000;
    }
    if has(TRY_WAIT) {
        match child.try_wait() {
            Ok(Some(status)) => return code(status),
            Ok(None) => {}
            Err(_) => return -1000,
        }
    }
    let status = if has(WAIT_STOPPED) {
        child.wait_stopped()
    } else {
        child.wait()
    };
    match status {
        Ok(status) => code(status),
        Err(_) => -1000,
    }
}

/// The exit code of `status`, or `128 + signal`.
fn code(status: forkexec::ExitStatus) -> c_int {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => -1000,
    }
}

/// A static library needs a panic handler of its own when nothing links
/// `std`; the spawn path does not panic, so this never runs.
#[cfg(not(feature = "std"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
