//! The Linux fast path: a child that shares the parent's memory until it
//! execs (`CLONE_VM | CLONE_VFORK`), running on a stack in the parent's
//! frame.
//!
//! A fork copies the parent's page tables, so its cost grows with the
//! parent; a child that shares the parent's memory costs the same whatever
//! the parent's size. From a parent with 256 MiB touched, spawning
//! `/bin/true` took 8.4 ms by fork and 36 µs by this path (Linux 6.18,
//! x86_64; `tests/strategy.rs` prints both). The processes that spawn from
//! this crate (runtimes, servers) are the big ones.
//!
//! The price is that the child runs in the parent's memory while the calling
//! thread is suspended (`CLONE_VFORK`) until the child execs or exits:
//! - it runs on its own stack ([`Stack`]), never in the parent's frames, and
//!   the trampoline in `crate::arch` never returns in the child;
//! - it writes nothing the parent uses, except the [`Shared`] report and the
//!   scratch space the parent set aside in the [`Plan`];
//! - it calls no libc function and touches no thread-local state (the child
//!   sequence's own rules), so no lock or cache the parent's other threads
//!   use is disturbed;
//! - it reports a failure by writing the record into [`Shared`], which the
//!   parent reads once it resumes: no pipe is needed. Only the first spawn
//!   of a process also makes one, to learn whether the memory really is
//!   shared (see [`MEMORY`]).
//!
//! Other threads of the parent keep running meanwhile. The child reads only
//! what the calling thread lent it (the command, argv and envp, all borrowed
//! for the call), and `environ` when no environment is given, exactly as the
//! fork path does.

use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};

use libc::{c_int, pid_t};

use crate::arch::{self, CloneArgs};
use crate::child::{self, Plan, RECORD_LEN, Record};
use crate::command::Command;
use crate::process::{self, Child};
use crate::spawn;
use crate::{Errno, Error, Step, os};

/// Size of the child's stack.
///
/// Deepest use measured by `tests::child_stack_depth`: the entry, the whole
/// child sequence with every attribute that can succeed as root (setpgid,
/// signal reset with `sigdefault`, setgroups, setgid, setuid, chdir, a
/// descriptor map that moves every slot, close_other_fds, the mask), a
/// failed `execve`, and the report; Rust 1.95, Linux 6.18:
///
/// | target | debug | release |
/// |---|---|---|
/// | x86_64 | 2720 bytes | 264 bytes |
/// | aarch64 (under qemu-user 7.2) | 2968 bytes | 176 bytes |
///
/// 8 KiB is 2.7 times the deepest of these; the test fails once the use
/// passes half of it. There is no guard page below: the bytes under the
/// stack are the parent's frame.
const STACK_SIZE: usize = 8 * 1024;

/// The child's stack, in the parent's frame, aligned as both ABIs want the
/// stack pointer (16 bytes). It is only ever used as
/// `MaybeUninit<Stack>`: nothing initialises it, even in unoptimised builds.
#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);

static_assertions::const_assert_eq!(STACK_SIZE % 16, 0);

/// `CLONE_VM`, `CLONE_VFORK` (`include/uapi/linux/sched.h`).
const CLONE_VM: u64 = libc::CLONE_VM as u64;
const CLONE_VFORK: u64 = libc::CLONE_VFORK as u64;
/// `CLONE_CLEAR_SIGHAND` (`include/uapi/linux/sched.h`, Linux 5.5, `clone3`
/// only): every caught signal's action is the default in the child, ignored
/// ones stay ignored.
const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
/// `CLONE_PIDFD` (`include/uapi/linux/sched.h`, Linux 5.2).
const CLONE_PIDFD: u64 = libc::CLONE_PIDFD as u64;

/// What the child reports through memory.
///
/// The parent builds it in its frame and reads it after it resumes; the child
/// writes `state` and `record`, nothing else of the parent's.
struct Shared<'p> {
    plan: *mut Plan<'p>,
    /// [`NOT_STARTED`], then [`STARTED`] as the child's first act, then
    /// [`FAILED`] once `record` holds the failure.
    state: AtomicU32,
    record: UnsafeCell<Record>,
    /// Test builds only: what the child runs after the sequence failed, to
    /// look at its own state before it reports.
    #[cfg(test)]
    probe: Option<tests::Probe>,
    /// Test builds only: the lowest byte of the child's stack.
    #[cfg(test)]
    stack_low: *const u8,
}

const NOT_STARTED: u32 = 0;
const STARTED: u32 = 1;
const FAILED: u32 = 2;

/// Whether `clone3` with `CLONE_CLEAR_SIGHAND` is worth trying; cleared for
/// good once the kernel refuses it.
static CLONE3: AtomicBool = AtomicBool::new(true);

/// What `CLONE_VM` does here: [`UNKNOWN`] until the first spawn tells.
static MEMORY: AtomicU8 = AtomicU8::new(UNKNOWN);
/// Not known yet: the next spawn also makes a pipe, in case.
const UNKNOWN: u8 = 0;
/// The child's writes are the parent's: no pipe is needed.
const SHARED: u8 = 1;
/// The child got a copy of the memory and the parent did not wait for it.
/// qemu-user does this: it turns `CLONE_VM | CLONE_VFORK` into a plain fork
/// (valgrind does the same). The child then reports through a pipe, as on
/// the fork path.
const COPIED: u8 = 2;

/// Whether [`Strategy::Auto`](crate::Strategy::Auto) takes the fast path for
/// `cmd`.
///
/// Each attribute, in a child that shares the parent's memory but nothing
/// else (no `CLONE_FILES`, `CLONE_FS`, `CLONE_SIGHAND`, `CLONE_THREAD`):
/// - setsid, setpgid, foreground, noctty, setctty: the session, the group
///   and the terminal are the child's own; fine.
/// - signal handlers and mask: the child has its own copy of the handler
///   table and its own mask; fine.
/// - chroot, chdir: the root and working directory are the child's own copy
///   (no `CLONE_FS`); fine.
/// - descriptors: the table is the child's own copy (no `CLONE_FILES`);
///   fine.
/// - ptrace: `PTRACE_TRACEME` names the parent as tracer; the exec releases
///   the suspended parent before the child stops at `SIGTRAP`; fine.
/// - setgroups: credentials are per task, and a raw `setgroups` changes the
///   child alone (it is libc's wrapper that broadcasts to threads); fine.
/// - uid, gid: credentials are the child's alone too, but a change of the
///   effective ids makes the kernel mark the *memory* undumpable
///   (`commit_creds` sets `mm->dumpable` to `suid_dumpable`, 0 by default),
///   and that memory is the parent's: the parent would lose its core dumps,
///   its `/proc/<pid>` files would pass to root, and its own user could no
///   longer ptrace it. A fork is taken instead.
pub(crate) fn fits(cmd: &Command<'_>) -> bool {
    cmd.uid.is_none() && cmd.gid.is_none()
}

/// Starts the child with `CLONE_VM | CLONE_VFORK` on a stack in this frame.
///
/// Kept out of line so that the fork path's frame does not carry the stack.
#[inline(never)]
pub(crate) fn spawn(plan: &mut Plan<'_>) -> Result<Child, Error> {
    let mut stack = MaybeUninit::<Stack>::uninit();
    spawn_on(
        plan,
        &mut stack,
        #[cfg(test)]
        None,
    )
}

/// [`spawn()`] on a given stack.
fn spawn_on(
    plan: &mut Plan<'_>,
    stack: &mut MaybeUninit<Stack>,
    #[cfg(test)] probe: Option<tests::Probe>,
) -> Result<Child, Error> {
    let want_pidfd = plan.cmd.pidfd;
    let pipe = match MEMORY.load(Ordering::Relaxed) {
        SHARED => None,
        _ => Some(spawn::status_pipe(plan)?),
    };
    plan.status_fd = pipe.map_or(-1, |[_, write_end]| write_end);

    let old_mask = match spawn::block_signals(plan) {
        Ok(old_mask) => old_mask,
        Err(err) => {
            spawn::close_fds(pipe.as_ref().map_or(&[], |fds| &fds[..]));
            return Err(err);
        }
    };

    let shared = Shared {
        plan,
        state: AtomicU32::new(NOT_STARTED),
        record: UnsafeCell::new(Record { step: 0, errno: 0 }),
        #[cfg(test)]
        probe,
        #[cfg(test)]
        stack_low: stack.as_ptr().cast(),
    };
    let mut pidfd = -1;
    let cloned = clone_child(&shared, stack, want_pidfd.then_some(&mut pidfd));

    spawn::restore_signals(old_mask);
    if let Some([_, write_end]) = pipe {
        spawn::close_fds(&[write_end]);
    }
    let child = cloned
        .map_err(|errno| Error::new(Step::Fork, errno))
        .and_then(|pid| spawn::adopt(pid, pidfd, want_pidfd));
    let child = match child {
        Ok(child) => child,
        Err(err) => {
            if let Some([read_end, _]) = pipe {
                spawn::close_fds(&[read_end]);
            }
            return Err(err);
        }
    };
    let pid = child.pid();

    // With CLONE_VFORK the kernel resumed this thread only once the child
    // exec'd or exited, and that wake-up orders the child's stores before
    // these loads; the acquire load says as much to the compiler.
    match shared.state.load(Ordering::Acquire) {
        NOT_STARTED => {
            // The child's first act is to mark `state`: since it is still
            // unmarked, the child's memory is a copy and the parent did not
            // wait (qemu-user), or the child was killed before it ran.
            match pipe {
                Some([read_end, _]) => {
                    MEMORY.store(COPIED, Ordering::Relaxed);
                    spawn::await_report(child, read_end)
                }
                None => {
                    // SAFETY: kill takes no pointer; `pid` is our unreaped
                    // child.
                    let _ = unsafe { os::kill(pid, libc::SIGKILL) };
                    process::reap(pid);
                    Err(Error::new(Step::Protocol, Errno::EPROTO))
                }
            }
        }
        state => {
            MEMORY.store(SHARED, Ordering::Relaxed);
            if let Some([read_end, _]) = pipe {
                spawn::close_fds(&[read_end]);
            }
            if state == FAILED {
                // SAFETY: the child wrote the record before it stored FAILED
                // and is gone now.
                let record = unsafe { shared.record.get().read() };
                process::reap(pid);
                Err(spawn::decode(record))
            } else {
                Ok(child)
            }
        }
    }
}

/// Makes the child: `clone3` with `CLONE_CLEAR_SIGHAND` where the kernel
/// takes it, `clone` otherwise; with `CLONE_PIDFD` when `pidfd` is given
/// and the kernel takes the flag, which then stores the pidfd there.
fn clone_child(
    shared: &Shared<'_>,
    stack: &mut MaybeUninit<Stack>,
    pidfd: Option<&mut c_int>,
) -> Result<pid_t, Errno> {
    let arg = core::ptr::from_ref(shared).cast_mut().cast::<c_void>();
    let low = stack.as_mut_ptr().cast::<u8>();
    let pidfd = pidfd.map_or(core::ptr::null_mut(), |fd| fd as *mut c_int);

    if CLONE3.load(Ordering::Relaxed) {
        // SAFETY: the plan is the parent's alone until the child exists.
        unsafe { (*shared.plan).handlers_reset = true };
        let pidfd_flag = if pidfd.is_null() { 0 } else { CLONE_PIDFD };
        let args = CloneArgs {
            flags: CLONE_VM | CLONE_VFORK | CLONE_CLEAR_SIGHAND | pidfd_flag,
            pidfd: pidfd as u64,
            exit_signal: libc::SIGCHLD as u64,
            stack: low as u64,
            stack_size: STACK_SIZE as u64,
            ..CloneArgs::default()
        };
        // SAFETY: `stack` is this spawn's, 16-byte aligned and sized for
        // `entry`; `shared` and everything it points to stay put while the
        // parent is suspended.
        match check(unsafe { arch::clone3(&args, entry, arg) }) {
            Ok(pid) => return Ok(pid),
            // ENOSYS: before Linux 5.3, qemu-user 7.2, and seccomp profiles
            // that refuse clone3 as if it were missing (Docker's default
            // does, so that libc falls back to clone); EPERM: profiles that
            // refuse it outright; EINVAL: Linux 5.3 and 5.4, which have
            // clone3 but not CLONE_CLEAR_SIGHAND.
            Err(Errno::ENOSYS | Errno::EPERM | Errno::EINVAL) => {
                CLONE3.store(false, Ordering::Relaxed);
            }
            Err(errno) => return Err(errno),
        }
    }

    // SAFETY: as above; the child resets the handlers itself.
    unsafe { (*shared.plan).handlers_reset = false };
    let flags = (CLONE_VM | CLONE_VFORK) as usize | libc::SIGCHLD as usize;
    // SAFETY: one past the stack's last byte, in the same allocation; it is
    // 16-byte aligned since the stack and its size are.
    let top = unsafe { low.add(STACK_SIZE) };
    if !pidfd.is_null() && crate::pidfd::CLONE_PIDFD.load(Ordering::Relaxed) {
        let flags = flags | CLONE_PIDFD as usize;
        // SAFETY: as for clone3; `pidfd` points to a live c_int of the
        // parent's.
        match check(unsafe { arch::clone(flags, top, pidfd, entry, arg) }) {
            // qemu-user 7.2 and seccomp profiles refuse the flag; no child
            // was made, and the spawn opens the pidfd once there is one.
            Err(Errno::EINVAL) => crate::pidfd::CLONE_PIDFD.store(false, Ordering::Relaxed),
            cloned => return cloned,
        }
    }
    // SAFETY: as for clone3.
    check(unsafe { arch::clone(flags, top, core::ptr::null_mut(), entry, arg) })
}

/// Turns a raw system call return into a pid or an errno: the kernel returns
/// `-errno` in `-4095..=-1` on failure.
fn check(ret: usize) -> Result<pid_t, Errno> {
    if ret > -4096isize as usize {
        Err(Errno::from_raw(-(ret as isize) as c_int))
    } else {
        Ok(ret as pid_t)
    }
}

/// The child's first frame, on its own stack, with every signal blocked.
///
/// It runs the child sequence, which on success never returns, and reports a
/// failure through `Shared` (and the pipe, when the parent made one).
///
/// It leaves by `exit_group`, the raw exit of the fork path too. That ends
/// the child's thread group, which is the child alone: without
/// `CLONE_THREAD` a child is a process of its own even when it shares the
/// parent's memory, so the parent lives on (the failure tests of
/// `tests/strategy.rs` show it). `exit` would end the same single thread.
///
/// # Safety
///
/// `arg` is the parent's [`Shared`], and the parent is suspended until this
/// child execs or exits.
unsafe extern "C" fn entry(arg: *mut c_void) -> ! {
    // SAFETY: this function's contract.
    let shared = unsafe { &*arg.cast::<Shared<'_>>() };
    shared.state.store(STARTED, Ordering::Relaxed);
    // SAFETY: the parent lent the plan to the child and does not touch it
    // before the child is gone.
    let plan = unsafe { &mut *shared.plan };

    // SAFETY: a child of clone, with every signal blocked, and the plan the
    // parent built for it.
    let record = unsafe { child::run(plan) };
    #[cfg(test)]
    let record = match shared.probe {
        Some(probe) => probe(shared, record),
        None => record,
    };

    // SAFETY: the parent reads the record only after it sees FAILED.
    unsafe { shared.record.get().write(record) };
    shared.state.store(FAILED, Ordering::Release);
    if plan.status_fd >= 0 {
        let bytes = (&raw const record).cast();
        // SAFETY: `record` is a live value of RECORD_LEN bytes.
        let _ = unsafe { os::write(plan.status_fd, bytes, RECORD_LEN) };
    }
    // SAFETY: the raw exit runs no atexit handler and flushes nothing.
    unsafe { os::exit(127) }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::eprintln;
    use std::sync::Mutex;

    use super::*;
    use crate::SigSet;
    use crate::command::Slot;

    /// What a test child runs after its sequence failed: it looks at its own
    /// state and returns the record the parent gets.
    pub(super) type Probe = fn(&Shared<'_>, Record) -> Record;

    /// Serialises the tests here: they switch [`CLONE3`] and the process's
    /// signal actions.
    static LOCK: Mutex<()> = Mutex::new(());

    /// The byte the measuring test fills the stack with.
    const PATTERN: u8 = 0xA5;

    /// Puts the depth of the stack used so far (the bytes from the top down
    /// to the lowest one that no longer holds the pattern) into the record's
    /// errno, above the real errno's 8 bits.
    fn stack_depth(shared: &Shared<'_>, record: Record) -> Record {
        // SAFETY: `stack_low` is the lowest byte of this child's stack,
        // STACK_SIZE bytes, which the test filled with the pattern.
        let byte = |i: usize| unsafe { shared.stack_low.add(i).read_volatile() };
        let untouched = (0..STACK_SIZE).take_while(|&i| byte(i) == PATTERN).count();
        let depth = (STACK_SIZE - untouched) as i32;
        Record {
            step: record.step,
            errno: depth << 8 | record.errno,
        }
    }

    /// The kernel's `struct sigaction` (handler, flags, restorer, mask).
    type KernelSigaction = [usize; 4];

    /// Reports, in bits above the real errno's 8 bits: bit 0 when SIGUSR1's
    /// action is the default, bit 1 when SIGUSR2 is ignored, bit 2 when
    /// SIGWINCH is ignored, and from bit 8 the signals blocked among 1..=15.
    fn signal_state(_: &Shared<'_>, record: Record) -> Record {
        let action = |sig| {
            let mut old: KernelSigaction = [0; 4];
            // SAFETY: a null `act` only reads the action into `old`.
            let _ = unsafe { os::rt_sigaction(sig, core::ptr::null(), (&raw mut old).cast()) };
            old[0]
        };
        let mut mask = 0;
        // SAFETY: an empty SIG_BLOCK only reads the mask.
        let _ = unsafe { os::block(0, &mut mask) };
        let mut bits = (mask as i32 & 0x7fff) << 16;
        bits |= i32::from(action(libc::SIGUSR1) == libc::SIG_DFL) << 8;
        bits |= i32::from(action(libc::SIGUSR2) == libc::SIG_IGN) << 9;
        bits |= i32::from(action(libc::SIGWINCH) == libc::SIG_IGN) << 10;
        Record {
            step: record.step,
            errno: bits | record.errno,
        }
    }

    fn ci() -> bool {
        std::env::var("CI").is_ok_and(|v| v == "true")
    }

    /// Spawns `cmd` (whose exec must fail with ENOENT) on `stack` with
    /// `probe`, by clone3 if `clone3`, and returns the probe's bits and
    /// whether clone3 was really used.
    fn probe_spawn(
        cmd: &Command<'_>,
        stack: &mut MaybeUninit<Stack>,
        probe: Probe,
        clone3: bool,
    ) -> (i32, bool) {
        let argv = [cmd.program.as_ptr(), core::ptr::null()];
        let mut moved = [0; 8];
        let mut plan = Plan {
            cmd,
            path: cmd.program.as_ptr(),
            argv: argv.as_ptr(),
            envp: os::environ(),
            sigmask: 0,
            fd_limit: os::fd_limit(),
            status_fd: -1,
            moved: moved.as_mut_ptr(),
            handlers_reset: false,
        };
        CLONE3.store(clone3, Ordering::Relaxed);
        let err = spawn_on(&mut plan, stack, Some(probe)).unwrap_err();
        let used_clone3 = CLONE3.load(Ordering::Relaxed);
        CLONE3.store(true, Ordering::Relaxed);
        let raw = err.errno().raw();
        assert_eq!((err.step(), raw & 0xff), (Step::Exec, libc::ENOENT));
        (raw >> 8, used_clone3)
    }

    /// Measures the child's deepest stack use with every attribute that can
    /// succeed here, up to a failed exec (the longest path), and holds it to
    /// half of [`STACK_SIZE`].
    #[test]
    fn child_stack_depth() {
        let _lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: geteuid and getegid take no argument and cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let groups = [gid];
        let fds = [Slot::Fd(2), Slot::Fd(0), Slot::Fd(1)];
        let mut cmd = Command::new(c"/nonexistent/forkexec-stack-depth");
        cmd.setpgid()
            .dir(c"/")
            .fds(&fds)
            .close_other_fds()
            .sigmask(SigSet::empty().with(libc::SIGUSR2).unwrap())
            .sigdefault(SigSet::empty().with(libc::SIGUSR1).unwrap());
        if uid == 0 {
            cmd.groups(&groups).gid(gid).uid(uid);
        } else {
            eprintln!("not root: setgroups, setgid and setuid are left out of the measurement");
            assert!(
                !ci(),
                "CI runs as root: the measurement must cover the credentials"
            );
        }

        for clone3 in [true, false] {
            let mut stack = MaybeUninit::<Stack>::uninit();
            // SAFETY: the stack is STACK_SIZE writable bytes.
            unsafe {
                stack
                    .as_mut_ptr()
                    .cast::<u8>()
                    .write_bytes(PATTERN, STACK_SIZE)
            };
            let (depth, used_clone3) = probe_spawn(&cmd, &mut stack, stack_depth, clone3);
            eprintln!(
                "child stack: {depth} of {STACK_SIZE} bytes used ({}, {}, {})",
                std::env::consts::ARCH,
                if cfg!(debug_assertions) {
                    "debug"
                } else {
                    "release"
                },
                if used_clone3 { "clone3" } else { "clone" },
            );
            assert!(depth > 0, "the child left its stack untouched");
            assert!(
                depth as usize <= STACK_SIZE / 2,
                "the child used {depth} bytes of stack: more than half of STACK_SIZE"
            );
        }
    }

    extern "C" fn on_usr1(_: c_int) {}

    /// Sets `sig`'s action in this process, returning the old one.
    fn set_action(sig: c_int, handler: libc::sighandler_t) -> libc::sighandler_t {
        // SAFETY: a zeroed sigaction is a valid value to fill in.
        let mut act: libc::sigaction = unsafe { core::mem::zeroed() };
        act.sa_sigaction = handler;
        // SAFETY: a zeroed sigaction is a valid value to fill in.
        let mut old: libc::sigaction = unsafe { core::mem::zeroed() };
        // SAFETY: both point to live sigaction values.
        assert_eq!(unsafe { libc::sigaction(sig, &act, &mut old) }, 0);
        old.sa_sigaction
    }

    /// Just before exec, in a child made by clone3 (the kernel resets the
    /// handlers) and by the clone fallback (the child does): a handled
    /// signal is at its default, an ignored one stays ignored unless
    /// `sigdefault` names it, and the mask is the one asked for.
    #[test]
    fn child_signal_state_before_exec() {
        let _lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let handler = on_usr1 as extern "C" fn(c_int) as libc::sighandler_t;
        let old_usr1 = set_action(libc::SIGUSR1, handler);
        let old_usr2 = set_action(libc::SIGUSR2, libc::SIG_IGN);
        let old_winch = set_action(libc::SIGWINCH, libc::SIG_IGN);

        let mask = SigSet::empty()
            .with(libc::SIGHUP)
            .unwrap()
            .with(libc::SIGTERM)
            .unwrap();
        let mut plain = Command::new(c"/nonexistent/forkexec-signal-state");
        plain.sigmask(mask);
        let mut with_default = plain;
        with_default.sigdefault(SigSet::empty().with(libc::SIGWINCH).unwrap());
        let bit = |sig: c_int| 1 << (sig - 1 + 8);
        let mask_bits = bit(libc::SIGHUP) | bit(libc::SIGTERM);
        let mut stack = MaybeUninit::<Stack>::uninit();
        let mut seen = [false; 2];
        for clone3 in [true, false] {
            // SIGUSR1 at its default, SIGUSR2 ignored, SIGWINCH ignored
            // unless `sigdefault` names it.
            for (cmd, want) in [(&plain, mask_bits | 7), (&with_default, mask_bits | 3)] {
                let (bits, used_clone3) = probe_spawn(cmd, &mut stack, signal_state, clone3);
                seen[usize::from(used_clone3)] = true;
                assert_eq!(
                    bits, want,
                    "signal state in the child (clone3: {used_clone3}): {bits:#x}, expected {want:#x}"
                );
            }
        }

        set_action(libc::SIGUSR1, old_usr1);
        set_action(libc::SIGUSR2, old_usr2);
        set_action(libc::SIGWINCH, old_winch);
        assert!(seen[0], "the clone fallback was not taken");
        if !seen[1] {
            eprintln!("the kernel refused clone3: only the clone fallback was checked");
        }
    }

    /// Installs a seccomp filter that refuses `clone3` with EPERM, as some
    /// container profiles do. Returns false where seccomp is not available
    /// (qemu-user refuses `PR_SET_SECCOMP`).
    fn refuse_clone3() -> bool {
        let op = |code: u32, k: u32| libc::sock_filter {
            code: code as u16,
            jt: 0,
            jf: 0,
            k,
        };
        let jump_if = |k: u32, jt: u8, jf: u8| libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt,
            jf,
            k,
        };
        // The system call number is the first word of `struct seccomp_data`
        // (`include/uapi/linux/seccomp.h`).
        let mut filter = [
            op(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0),
            jump_if(libc::SYS_clone3 as u32, 0, 1),
            op(
                libc::BPF_RET | libc::BPF_K,
                libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
            ),
            op(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
        ];
        let program = libc::sock_fprog {
            len: filter.len() as u16,
            filter: filter.as_mut_ptr(),
        };
        // SAFETY: prctl with integer arguments, and a pointer to a live
        // filter program that the kernel copies.
        unsafe {
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
                && libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &program) == 0
        }
    }

    /// Where a seccomp filter refuses `clone3` with EPERM, the spawn falls
    /// back to `clone` and resets the handlers itself. Runs in a forked copy
    /// of the test process, since a filter cannot be removed; the copy exits
    /// with 0 (filter installed, fallback right), 1 (no seccomp here, but
    /// clone3 refused anyway, fallback right) or 2 and up (wrong).
    #[test]
    fn clone3_refused_by_seccomp_falls_back_to_clone() {
        let _lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let handler = on_usr1 as extern "C" fn(c_int) as libc::sighandler_t;
        let old_usr1 = set_action(libc::SIGUSR1, handler);
        let cmd = Command::new(c"/nonexistent/forkexec-seccomp");
        let argv = [cmd.program.as_ptr(), core::ptr::null()];

        // SAFETY: the copy only makes system calls and spawns with this
        // crate (no heap, no lock), and leaves by _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let filtered = refuse_clone3();
            CLONE3.store(true, Ordering::Relaxed);
            let mut moved = [0; 1];
            let mut plan = Plan {
                cmd: &cmd,
                path: cmd.program.as_ptr(),
                argv: argv.as_ptr(),
                envp: os::environ(),
                sigmask: 0,
                fd_limit: 0,
                status_fd: -1,
                moved: moved.as_mut_ptr(),
                handlers_reset: false,
            };
            let mut stack = MaybeUninit::<Stack>::uninit();
            let code = match spawn_on(&mut plan, &mut stack, Some(signal_state)) {
                // SIGUSR1 at its default, the rest untouched: bit 0 only.
                Err(err) if err.step() == Step::Exec && err.errno().raw() >> 8 == 1 => {
                    match (CLONE3.load(Ordering::Relaxed), filtered) {
                        (false, true) => 0,
                        (false, false) => 1,
                        (true, _) => 2,
                    }
                }
                _ => 3,
            };
            // SAFETY: _exit ends the copy without running anything else.
            unsafe { libc::_exit(code) };
        }
        assert!(pid > 0, "fork failed");
        let mut status = 0;
        // SAFETY: `pid` is our child; `status` is a live c_int.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        set_action(libc::SIGUSR1, old_usr1);
        assert!(
            libc::WIFEXITED(status),
            "the copy ended with status {status:#x}"
        );
        match libc::WEXITSTATUS(status) {
            0 => {}
            1 => eprintln!("no seccomp here: checked the fallback for clone3 refused by ENOSYS"),
            2 => panic!("clone3 was refused, yet it is still marked usable"),
            code => panic!("the spawn under the filter went wrong ({code})"),
        }
    }
}
